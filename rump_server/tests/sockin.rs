//! sockin: a kernel without TCP/IP whose Internet sockets are the host's
//! (`rump_server -lrumpvfs -lrumpnet -lrumpnet_sockin`). Unmodified
//! python3 under the hijack library talks through it to host sockets on
//! 127.0.0.1 that the test itself serves.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Command, Output};

/// A sockin server that is halted however the test ends.
struct SockinServer {
    dir: std::path::PathBuf,
    url: String,
}

impl SockinServer {
    fn start(tag: &str) -> SockinServer {
        let dir = tempdir(tag);
        let url = "unix://sockin".to_owned();
        let o = Command::new(bin("rump_server"))
            .current_dir(&dir)
            .args(["-lrumpvfs", "-lrumpnet", "-lrumpnet_sockin", &url])
            .output()
            .unwrap();
        assert!(o.status.success(), "rump_server: {}", stderr(&o));
        SockinServer { dir, url }
    }

    fn python(&self, prog: &str, args: &[&str]) -> Output {
        Command::new("/usr/bin/python3")
            .current_dir(&self.dir)
            .arg("-c")
            .arg(prog)
            .args(args)
            .env("RUMP_SERVER", &self.url)
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .output()
            .unwrap()
    }
}

impl Drop for SockinServer {
    fn drop(&mut self) {
        let _ = tool(&self.dir, &self.url, "rump.halt", &[]);
    }
}

/// The bytes the client sends: `n` of a pattern that does not repeat at
/// any power of two.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| ((i * 7 + i / 251) % 256) as u8).collect()
}

const TCP_CLIENT: &str = r#"
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
data = bytes((i * 7 + i // 251) % 256 for i in range(n))
s = socket.socket(); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.connect(("127.0.0.1", port)); s.sendall(data); s.shutdown(socket.SHUT_WR)
got = bytearray()
while True:
    d = s.recv(1 << 16)
    if not d: break
    got += d
assert got == bytes(b ^ 0x5a for b in data), "reply differs"
print(len(got), s.getpeername()[1] == port, s.getsockname()[0])
"#;

/// A hijacked program connects through sockin to a host TCP listener and
/// moves 4 MiB each way: what the host reads is what the program sent,
/// and the reply (the bytes changed) arrives whole up to the end of the
/// stream.
#[test]
fn tcp_reaches_a_host_listener() {
    let srv = SockinServer::start("sockin-tcp");
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    let host = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        let reply: Vec<u8> = got.iter().map(|b| b ^ 0x5a).collect();
        c.write_all(&reply).unwrap();
        got
    });
    let n = 4 << 20;
    let o = srv.python(TCP_CLIENT, &[&port.to_string(), &n.to_string()]);
    let out = ok(&o, "tcp client");
    assert_eq!(out, format!("{n} True 127.0.0.1\n"));
    assert!(
        host.join().unwrap() == pattern(n),
        "the host read other bytes"
    );
}

const UDP_CLIENT: &str = r#"
import socket, sys
port = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(20):
    msg = b"datagram %d " % i + bytes(range(256)) * 20
    s.sendto(msg, ("127.0.0.1", port))
    d, a = s.recvfrom(65536)
    assert d == msg.upper() and a == ("127.0.0.1", port), (d[:20], a)
s.connect(("127.0.0.1", port)); s.send(b"last"); print(s.recv(100).decode())
"#;

/// UDP the same way: datagrams to a host socket, replies read with their
/// sender's address, and a connected socket.
#[test]
fn udp_reaches_a_host_socket() {
    let srv = SockinServer::start("sockin-udp");
    let u = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = u.local_addr().unwrap().port();
    let host = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        for _ in 0..21 {
            let (n, from) = u.recv_from(&mut buf).unwrap();
            assert!(from.ip().is_loopback());
            u.send_to(&buf[..n].to_ascii_uppercase(), from).unwrap();
        }
    });
    let o = srv.python(UDP_CLIENT, &[&port.to_string()]);
    assert_eq!(ok(&o, "udp client"), "LAST\n");
    host.join().unwrap();
}

const REFUSED: &str = r#"
import socket, sys
s = socket.socket()
try:
    s.connect(("127.0.0.1", int(sys.argv[1])))
except ConnectionRefusedError:
    print("refused")
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(1)
c = socket.socket(); c.connect(l.getsockname()); a, peer = l.accept()
a.send(b"in kernel"); print(c.recv(100).decode(), peer == c.getsockname())
"#;

/// A connect to a port nobody listens on is refused, as on the host; and
/// a listener in the kernel accepts a connection from the kernel (both
/// host sockets underneath).
#[test]
fn refused_connect_and_a_listener() {
    let srv = SockinServer::start("sockin-refused");
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let o = srv.python(REFUSED, &[&port.to_string()]);
    assert_eq!(ok(&o, "refused"), "refused\nin kernel True\n");
}

/// sockin and rumpnet_netinet both provide AF_INET: a server asked for
/// both refuses to start and says why.
#[test]
fn sockin_and_netinet_are_refused_together() {
    let dir = tempdir("sockin-conflict");
    for libs in [
        ["-lrumpnet_netinet", "-lrumpnet_sockin"],
        ["-lrumpnet_sockin", "-lrumpnet_netinet"],
    ] {
        let o = Command::new(bin("rump_server"))
            .current_dir(&dir)
            .args(["-lrumpnet"])
            .args(libs)
            .arg("unix://conflict")
            .output()
            .unwrap();
        assert!(!o.status.success(), "{libs:?} started");
        assert!(
            stderr(&o).contains("both provide AF_INET"),
            "{libs:?}: {}",
            stderr(&o)
        );
    }
    assert!(!Path::new(&dir.join("conflict")).exists());
}

const TCP6_CLIENT: &str = r#"
import socket, sys
s = socket.socket(socket.AF_INET6)
s.connect(("::1", int(sys.argv[1]))); s.sendall(b"over six"); s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode(), s.getpeername()[0])
"#;

/// AF_INET6 too: a host listener on ::1.
#[test]
fn tcp_over_ipv6_reaches_a_host_listener() {
    let srv = SockinServer::start("sockin-tcp6");
    let Ok(l) = TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: the host has no IPv6 loopback");
        return;
    };
    let port = l.local_addr().unwrap().port();
    let host = std::thread::spawn(move || {
        let (mut c, _) = l.accept().unwrap();
        let mut got = Vec::new();
        c.read_to_end(&mut got).unwrap();
        c.write_all(&got.to_ascii_uppercase()).unwrap();
    });
    let o = srv.python(TCP6_CLIENT, &[&port.to_string()]);
    assert_eq!(ok(&o, "tcp6 client"), "OVER SIX ::1\n");
    host.join().unwrap();
}
