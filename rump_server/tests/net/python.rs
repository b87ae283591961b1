//! Unmodified python3 under the hijack: local sockets, threads and signal handlers.

use crate::*;

/// Unmodified python3 under the hijack library with local sockets routed
/// to the kernel: a socketpair, and a stream socket named in the kernel's
/// file system (a socket node that stat sees).
#[test]
fn python_uses_local_sockets_in_the_kernel() {
    use std::io::{BufRead, Write};
    let dir = tempdir("local");
    let _servers = Servers::allservers(&dir, &["L"], &[]);
    let prog = r#"
import socket, os, sys
a, b = socket.socketpair(); a.send(b"hi"); print("pair", b.recv(2))
s = socket.socket(socket.AF_UNIX); s.bind("/usock"); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("/usock")
x, _ = s.accept(); c.sendall(b"over unix"); print("named", x.recv(64))
print("node", oct(os.stat("/rump/usock").st_mode), flush=True)
sys.stdin.readline()
c.close(); print("eof", x.recv(8))
"#;
    let mut py = python(&dir, "unix://L", prog, &[])
        .env("RUMPHIJACK", "path=/rump,socket=all")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(py.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l);
    }
    assert_eq!(
        lines.concat(),
        "pair b'hi'\nnamed b'over unix'\nnode 0o140755\n"
    );
    // sockstat sees the local sockets the program holds, by name.
    let st = ok(
        &tool(&dir, "unix://L", "rump.sockstat", &["-u"]),
        "sockstat -u",
    );
    let rows: Vec<&str> = st.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{st}");
    assert!(
        rows.iter().all(|r| r.starts_with("root     python3    ")),
        "{st}"
    );
    // PROTO, LOCAL ADDRESS (21 wide) and FOREIGN ADDRESS of a row.
    let count = |local: &str, foreign: &str| {
        let tail = format!(" stream {local:<21} {foreign}");
        rows.iter().filter(|r| r.ends_with(&tail)).count()
    };
    assert_eq!(
        count("/usock", "-"),
        2,
        "the listener and the accepted one: {st}"
    );
    assert_eq!(
        count("-", "-"),
        2,
        "the socketpair, connected but unnamed: {st}"
    );
    assert_eq!(count("-", "/usock"), 1, "the client: {st}");
    let listening = ok(
        &tool(&dir, "unix://L", "rump.sockstat", &["-l", "-u"]),
        "-l",
    );
    assert_eq!(listening.lines().count(), 2, "{listening}");
    py.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(py.wait().unwrap().success());
    assert_eq!(rest, "eof b''\n");
}

/// One connection carries all of a hijacked program's threads at once,
/// as NetBSD's client library does: a thread blocked in the kernel
/// (`accept`) holds up no other thread's calls, and a signal handler that
/// makes a kernel call while its thread waits in one (python's wakeup
/// descriptor, a kernel socket here, as asyncio sets it) does not hang.
#[test]
fn python_threads_and_signal_handlers_share_the_connection() {
    let dir = tempdir("threads");
    let _servers = Servers::allservers(&dir, &["T"], &[]);
    let prog = r#"
import os, signal, socket, threading, time
s = socket.socket(socket.AF_UNIX); s.bind("/thr"); s.listen(2)
got = []
def serve():
    x, _ = s.accept()
    got.append(x.recv(64))
t = threading.Thread(target=serve); t.start()
time.sleep(0.3)
for i in range(50):
    os.stat("/rump/thr")
open("/rump/f", "w").write("x")
c = socket.socket(socket.AF_UNIX); c.connect("/thr"); c.sendall(b"while accepting")
t.join(10); print("accepted", got, t.is_alive(), flush=True)
r, w = socket.socketpair(); r.setblocking(False); w.setblocking(False)
signal.set_wakeup_fd(w.fileno())
signal.signal(signal.SIGUSR1, lambda *a: None)
main = threading.get_ident()
def poke():
    time.sleep(0.3); signal.pthread_kill(main, signal.SIGUSR1)
    time.sleep(0.3); socket.socket(socket.AF_UNIX).connect("/thr")
threading.Thread(target=poke).start()
y, _ = s.accept()
print("woken", r.recv(8)[0] == signal.SIGUSR1, flush=True)
"#;
    let o = python(&dir, "unix://T", prog, &[])
        .env("RUMPHIJACK", "path=/rump,socket=all")
        .output()
        .unwrap();
    assert_eq!(
        ok(&o, "threaded python"),
        "accepted [b'while accepting'] False\nwoken True\n"
    );
}
