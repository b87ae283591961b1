//! The network faction with the installed binaries, as NetBSD's own tests
//! use it: rump_server processes on a shmif bus, configured with
//! rump.ifconfig and checked with rump.ping, the bus read back with
//! shmif_dumpbus and tcpdump.

#[path = "../common/mod.rs"]
mod common;

mod bus;
mod python;
mod tables;
mod tcp;

use common::*;
use std::path::Path;
use std::process::Command;

/// Servers that are halted (or killed) however the test ends.
pub(crate) struct Servers {
    dir: std::path::PathBuf,
    urls: Vec<String>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for u in &self.urls {
            let _ = tool(&self.dir, u, "rump.halt", &[]);
        }
    }
}

impl Servers {
    /// Start `rump_allserver` daemons named `names` in `dir`, with `env`.
    fn allservers(dir: &Path, names: &[&str], env: &[(&str, &str)]) -> Servers {
        let mut s = Servers {
            dir: dir.to_path_buf(),
            urls: Vec::new(),
        };
        for name in names {
            let url = format!("unix://{name}");
            let st = Command::new(bin("rump_allserver"))
                .current_dir(dir)
                .envs(env.iter().copied())
                .arg(&url)
                .status()
                .unwrap();
            assert!(st.success(), "rump_allserver {url}");
            s.urls.push(url);
        }
        s
    }
}

pub(crate) fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Start `n` servers with the network components loaded by `-l`, each
/// with shmif0 on `bus` and address 1.1.1.(i+1).
pub(crate) fn bus_of_servers(dir: &Path, n: usize, bus: &str) -> Servers {
    let mut s = Servers {
        dir: dir.to_path_buf(),
        urls: Vec::new(),
    };
    for i in 1..=n {
        let url = format!("unix://sock{i}");
        let st = Command::new(bin("rump_server"))
            .current_dir(dir)
            .args(["-lrumpnet", "-lrumpnet_netinet", "-lrumpnet_shmif", &url])
            .status()
            .unwrap();
        assert!(st.success(), "rump_server {url}");
        s.urls.push(url.clone());
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "create"]),
            "create",
        );
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "linkstr", bus]),
            "linkstr",
        );
        let addr = format!("1.1.1.{i}");
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "inet", &addr]),
            "inet",
        );
        ok(&tool(dir, &url, "rump.ifconfig", &["-w", "10"]), "-w");
    }
    s
}

/// A python3 program run unmodified under the hijack library on `url`.
pub(crate) fn python(dir: &Path, url: &str, prog: &str, args: &[&str]) -> Command {
    let mut c = Command::new("/usr/bin/python3");
    c.current_dir(dir)
        .arg("-c")
        .arg(prog)
        .args(args)
        .env("RUMP_SERVER", url)
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"));
    c
}

pub(crate) const TCP_SINK: &str = r#"
import socket, hashlib
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5000)); s.listen(1); print("ready", flush=True)
c, peer = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest(), peer[0], flush=True)
"#;

pub(crate) const TCP_SOURCE: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes((i * 7 + i // 251) % 256 for i in range(1 << 20))
s = socket.socket(); s.connect((sys.argv[1], 5000)); h = hashlib.sha256(); sent = 0
while sent < n:
    b = block[: min(len(block), n - sent)]; s.sendall(b); h.update(b); sent += len(b)
s.close(); print(sent, h.hexdigest(), flush=True)
"#;

/// Move 100 MiB by TCP from a python3 on `from` to one on `to` (listening
/// at `to_addr`), and check that the sink read exactly what was sent, from
/// `from_addr`, to the end of the stream.
pub(crate) fn tcp_transfer(dir: &Path, from: &str, to: &str, to_addr: &str, from_addr: &str) {
    use std::io::BufRead;
    let mut sink = python(dir, to, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let n = (100 << 20).to_string();
    let o = python(dir, from, TCP_SOURCE, &[to_addr, &n])
        .output()
        .unwrap();
    let sent = ok(&o, "tcp source");
    let got = lines.next().unwrap().unwrap();
    // The sink saw the end of the stream (the source closed) and exits.
    assert!(sink.wait().unwrap().success());
    assert_eq!(
        format!("{got}\n"),
        sent.replace('\n', &format!(" {from_addr}\n"))
    );
    assert!(got.starts_with("104857600 "), "{got}");
}

/// One `sendall` of 256 MiB: the program hands the kernel the whole
/// buffer in one call (a `sendto` of 256 MiB, then of what is left).
pub(crate) const TCP_SENDALL: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes(i % 251 for i in range(251 * 4177))
data = (block * (n // len(block) + 1))[:n]
s = socket.socket(); s.connect((sys.argv[1], 5000)); s.sendall(data)
s.close(); print(n, hashlib.sha256(data).hexdigest(), flush=True)
"#;

/// The pid of the server daemon serving `url` from `dir`.
pub(crate) fn server_pid(dir: &Path, url: &str) -> u32 {
    let pids: Vec<i32> = pids_with(&dir.to_string_lossy())
        .into_iter()
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(url))
        })
        .collect();
    assert_eq!(pids.len(), 1, "one server for {url}: {pids:?}");
    pids[0] as u32
}
