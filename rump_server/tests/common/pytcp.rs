//! Python programs under the hijack that move data by TCP between two
//! kernels: the network and IPv6 tests share them.

use super::{ok, prefix};
use std::path::Path;
use std::process::Command;

/// A python3 program run unmodified under the hijack library on `url`.
pub fn python(dir: &Path, url: &str, prog: &str, args: &[&str]) -> Command {
    let mut c = Command::new("/usr/bin/python3");
    c.current_dir(dir)
        .arg("-c")
        .arg(prog)
        .args(args)
        .env("RUMP_SERVER", url)
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"));
    c
}

pub const TCP_SINK: &str = r#"
import socket, hashlib, sys
a = sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0"
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((a, 5000)); s.listen(1); print("ready", flush=True)
c, peer = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest(), peer[0], flush=True)
"#;

pub const TCP_SOURCE: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes((i * 7 + i // 251) % 256 for i in range(1 << 20))
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.connect((sys.argv[1], 5000)); h = hashlib.sha256(); sent = 0
while sent < n:
    b = block[: min(len(block), n - sent)]; s.sendall(b); h.update(b); sent += len(b)
s.close(); print(sent, h.hexdigest(), flush=True)
"#;

/// Move 100 MiB by TCP from a python3 on `from` to one on `to` (listening
/// at `to_addr`), and check that the sink read exactly what was sent, from
/// `from_addr`, to the end of the stream. An IPv6 `to_addr` makes both
/// ends `AF_INET6` sockets, the sink bound to `::`.
pub fn tcp_transfer(dir: &Path, from: &str, to: &str, to_addr: &str, from_addr: &str) {
    let any: &[&str] = if to_addr.contains(':') { &["::"] } else { &[] };
    let n = (100 << 20).to_string();
    let got = stream(
        python(dir, to, TCP_SINK, any),
        python(dir, from, TCP_SOURCE, &[to_addr, &n]),
        from_addr,
    );
    assert!(got.starts_with("104857600 "), "{got}");
}

/// Run `sink` (a [`TCP_SINK`]) until it is ready, then `source` (a
/// [`TCP_SOURCE`]), and check that the sink read what was sent, from
/// `from_addr`, to the end of the stream: the sink's line.
pub fn stream(mut sink: Command, mut source: Command, from_addr: &str) -> String {
    use std::io::BufRead;
    let mut sink = sink.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let o = source.output().unwrap();
    let sent = ok(&o, "tcp source");
    let got = lines.next().unwrap().unwrap();
    // The sink saw the end of the stream (the source closed) and exits.
    assert!(sink.wait().unwrap().success());
    assert_eq!(
        format!("{got}\n"),
        sent.replace('\n', &format!(" {from_addr}\n"))
    );
    got
}

/// One `sendall` of 256 MiB: the program hands the kernel the whole
/// buffer in one call (a `sendto` of 256 MiB, then of what is left).
pub const TCP_SENDALL: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes(i % 251 for i in range(251 * 4177))
data = (block * (n // len(block) + 1))[:n]
s = socket.socket(); s.connect((sys.argv[1], 5000)); s.sendall(data)
s.close(); print(n, hashlib.sha256(data).hexdigest(), flush=True)
"#;
