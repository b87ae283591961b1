//! The behaviours NetBSD's `t_sp` tests check, through the client library
//! and raw sockets against a real server process.

mod common;

use common::*;
use rumpclient::{Client, Errno};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, Command};

struct Server {
    child: Child,
    url: String,
    path: std::path::PathBuf,
}

impl Server {
    fn start(tag: &str) -> Server {
        let dir = tempdir(tag);
        let path = dir.join("s");
        let url = format!("unix://{}", path.display());
        let child = Command::new(bin("rump_server"))
            .args(["-s", &url])
            .spawn()
            .unwrap();
        eventually("the server to listen", || {
            UnixStream::connect(&path).is_ok()
        });
        Server { child, url, path }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn basic() {
    let s = Server::start("basic");
    let c = Client::connect(&s.url).unwrap();
    assert!(c.getpid().unwrap() > 1);
}

#[test]
fn each_client_is_its_own_process() {
    let s = Server::start("procs");
    let a = Client::connect(&s.url).unwrap();
    let b = Client::connect(&s.url).unwrap();
    assert_ne!(a.getpid().unwrap(), b.getpid().unwrap());
    // Credentials are per process too: setuid(7) in one only.
    a.syscall(netbsd_abi::SYS_setuid, &[7], &rumpclient::Regions::new())
        .unwrap();
    assert_eq!(
        a.syscall(netbsd_abi::SYS_getuid, &[], &rumpclient::Regions::new())
            .unwrap()[0],
        7
    );
    assert_eq!(
        b.syscall(netbsd_abi::SYS_getuid, &[], &rumpclient::Regions::new())
            .unwrap()[0],
        0
    );
}

#[test]
fn stress_many_short_lived_clients() {
    let s = Server::start("stress");
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = s.url.clone();
            std::thread::spawn(move || {
                for _ in 0..25 {
                    let c = Client::connect(&url).unwrap();
                    assert!(c.getpid().unwrap() > 1);
                    let r = c.sysctl(&[1, 10], Some(256), None).unwrap();
                    assert!(r.result.is_ok());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}

#[test]
fn two_hundred_fifty_five_clients_at_once() {
    let s = Server::start("many");
    let clients: Vec<Client> = (0..255).map(|_| Client::connect(&s.url).unwrap()).collect();
    let mut pids: Vec<i32> = clients.iter().map(|c| c.getpid().unwrap()).collect();
    pids.sort();
    pids.dedup();
    assert_eq!(pids.len(), 255);
}

#[test]
fn a_client_killed_mid_call_is_cleaned_up() {
    let s = Server::start("killer");
    for _ in 0..20 {
        // Start a nanosleep of 10 s (syscall 430 with a timespec in our
        // memory) and vanish while the server runs it.
        let mut raw = UnixStream::connect(&s.path).unwrap();
        let mut banner = [0u8; 95];
        let _ = raw.read(&mut banner).unwrap();
        let hs = sysproxy::frame(
            &sysproxy::Header::new(0, sysproxy::Class::Req, sysproxy::Type::Handshake, 0, 3),
            b"kk\0",
        );
        raw.write_all(&hs).unwrap();
        let mut resp = [0u8; 28];
        raw.read_exact(&mut resp).unwrap();
        let args = sysproxy::payload::emit_args(&[0x1000, 0]);
        let call = sysproxy::frame(
            &sysproxy::Header::new(
                1,
                sysproxy::Class::Req,
                sysproxy::Type::Syscall,
                430,
                args.len(),
            ),
            &args,
        );
        raw.write_all(&call).unwrap();
        drop(raw);
    }
    // The server keeps serving everyone else.
    let c = Client::connect(&s.url).unwrap();
    assert!(c.getpid().unwrap() > 1);
}

#[test]
fn fork_child_gets_its_own_process_with_the_parents_descriptors() {
    let s = Server::start("fork");
    let parent = Client::connect(&s.url).unwrap();
    let ppid = parent.getpid().unwrap();
    let cookie = parent.prefork().unwrap();
    let child = Client::connect_forked(&s.url, cookie).unwrap();
    let cpid = child.getpid().unwrap();
    assert!(cpid >= 2 && cpid != ppid);
    // The cookie is used up.
    assert!(Client::connect_forked(&s.url, cookie).is_err());
    // Parent and child both keep working.
    assert_eq!(parent.getpid().unwrap(), ppid);
}

#[test]
fn a_forged_cookie_is_refused_with_esrch() {
    let s = Server::start("fakeauth");
    let parent = Client::connect(&s.url).unwrap();
    let mut cookie = parent.prefork().unwrap();
    cookie[12] ^= 1;
    match Client::connect_forked(&s.url, cookie) {
        Err(rumpclient::ConnectError::Refused(e)) => assert_eq!(Errno(e.errno()), Errno::ESRCH),
        Err(e) => panic!("refused the wrong way: {e}"),
        Ok(_) => panic!("a forged cookie was accepted"),
    }
}

fn raw_client(s: &Server) -> UnixStream {
    let mut raw = UnixStream::connect(&s.path).unwrap();
    let mut banner = [0u8; 95];
    let n = raw.read(&mut banner).unwrap();
    assert!(banner[..n].starts_with(b"RUMPSP-0.4-NetBSD-") && banner[n - 1] == b'\n');
    raw
}

#[test]
fn malformed_frames_close_only_that_connection() {
    let s = Server::start("malformed");
    let good = Client::connect(&s.url).unwrap();
    // A length shorter than a header ends the connection.
    let mut raw = raw_client(&s);
    raw.write_all(&[1u8; 24]).unwrap();
    let mut buf = [0u8; 64];
    assert_eq!(raw.read(&mut buf).unwrap_or(0), 0, "connection closed");
    // A request before the handshake: ERROR AUTH, then closed.
    let mut raw = raw_client(&s);
    let args = sysproxy::payload::emit_args(&[]);
    raw.write_all(&sysproxy::frame(
        &sysproxy::Header::new(
            9,
            sysproxy::Class::Req,
            sysproxy::Type::Syscall,
            20,
            args.len(),
        ),
        &args,
    ))
    .unwrap();
    let mut err = [0u8; 24];
    raw.read_exact(&mut err).unwrap();
    let h = sysproxy::Header::parse(&err).unwrap();
    assert_eq!(
        (h.class, h.reqno, h.union),
        (sysproxy::Class::Error, 9, sysproxy::SpError::Auth.code())
    );
    assert_eq!(raw.read(&mut buf).unwrap_or(0), 0);
    // An unknown type after the handshake: ERROR MALFORMED_REQUEST, and the connection stays.
    let mut raw = raw_client(&s);
    raw.write_all(&sysproxy::frame(
        &sysproxy::Header::new(0, sysproxy::Class::Req, sysproxy::Type::Handshake, 0, 2),
        b"x\0",
    ))
    .unwrap();
    let mut resp = [0u8; 28];
    raw.read_exact(&mut resp).unwrap();
    let mut bogus =
        sysproxy::Header::new(4, sysproxy::Class::Req, sysproxy::Type::Handshake, 0, 0).emit();
    bogus[18] = 77;
    raw.write_all(&bogus).unwrap();
    raw.read_exact(&mut err).unwrap();
    let h = sysproxy::Header::parse(&err).unwrap();
    assert_eq!(
        (h.class, h.reqno, h.union),
        (
            sysproxy::Class::Error,
            4,
            sysproxy::SpError::MalformedRequest.code()
        )
    );
    // A syscall with a broken argument block gets EINVAL, connection still fine.
    raw.write_all(&sysproxy::frame(
        &sysproxy::Header::new(5, sysproxy::Class::Req, sysproxy::Type::Syscall, 20, 3),
        &[1, 2, 3],
    ))
    .unwrap();
    let mut sr = [0u8; 48];
    raw.read_exact(&mut sr).unwrap();
    assert_eq!(
        sysproxy::payload::SysResp::parse(&sr[24..]).unwrap().error,
        Errno::EINVAL.0
    );
    // Others were never disturbed.
    assert!(good.getpid().unwrap() > 1);
}

#[test]
fn exec_keeps_the_process_and_renames_it() {
    let s = Server::start("exec");
    let c = Client::connect(&s.url).unwrap();
    let pid = c.getpid().unwrap();
    c.exec_handshake("newname").unwrap();
    assert_eq!(c.getpid().unwrap(), pid);
}

#[test]
fn copyin_of_an_unmapped_address_ends_the_connection_not_the_server() {
    let s = Server::start("fault");
    let c = Client::connect(&s.url).unwrap();
    // __sysctl with a name pointer into nothing the client owns.
    let r = c.syscall(
        netbsd_abi::SYS___sysctl,
        &[0xdead_0000, 2, 0, 0, 0, 0],
        &rumpclient::Regions::new(),
    );
    assert_eq!(r, Err(Errno::EFAULT));
    assert_eq!(c.getpid(), Err(Errno::ENOTCONN));
    assert!(Client::connect(&s.url).unwrap().getpid().unwrap() > 1);
}

/// Threads share one connection, as with NetBSD's client library: while
/// one sleeps in the kernel, the others' calls go on, and each call's
/// copies reach its own buffers (the server's copy requests do not say
/// which call they are for).
#[test]
fn threads_share_one_connection() {
    let s = Server::start("threads");
    let c = std::sync::Arc::new(Client::connect(&s.url).unwrap());
    // Read single-threaded first: kern.ostype, osrelease, hostname, hw.machine.
    let names: [&[i32]; 4] = [&[1, 1], &[1, 2], &[1, 10], &[6, 1]];
    let want: Vec<Vec<u8>> = names.iter().map(|n| c.sysctl_read(n).unwrap()).collect();
    let sleeper = {
        let c = std::sync::Arc::clone(&c);
        std::thread::spawn(move || {
            let m = rumpclient::Regions::new();
            let ts: Vec<u8> = [1i64, 500_000_000]
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect();
            // __nanosleep50(&{1.5 s}, NULL)
            c.syscall(netbsd_abi::SYS___nanosleep50, &[m.add(&ts), 0], &m)
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let t0 = std::time::Instant::now();
    let workers: Vec<_> = (0..4)
        .map(|i| {
            let c = std::sync::Arc::clone(&c);
            let (name, want) = (names[i], want[i].clone());
            std::thread::spawn(move || {
                for _ in 0..100 {
                    assert_eq!(c.sysctl_read(name).unwrap(), want, "{name:?}");
                    assert!(c.getpid().unwrap() > 0);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert!(
        !sleeper.is_finished(),
        "the calls finished while the sleeper slept ({:?})",
        t0.elapsed()
    );
    assert_eq!(sleeper.join().unwrap(), Ok([0, 0]));
}

/// A server at a fixed path that the test can kill and start again.
fn start_at(path: &std::path::Path) -> Child {
    let _ = std::fs::remove_file(path);
    let child = Command::new(bin("rump_server"))
        .args(["-s", &format!("unix://{}", path.display())])
        .spawn()
        .unwrap();
    eventually("the server to listen", || UnixStream::connect(path).is_ok());
    child
}

#[test]
fn reconnect_forever_survives_a_server_restart() {
    let dir = tempdir("reconnect");
    let path = dir.join("s");
    let mut first = start_at(&path);
    let c = Client::connect(&format!("unix://{}", path.display())).unwrap();
    c.set_retry(rumpclient::Retry::Forever);
    let before = c.getpid().unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    let restarter = {
        let path = path.clone();
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(300));
            start_at(&path)
        })
    };
    // The call made while the server is gone goes through once it is back,
    // as a new process (the old one died with its server).
    let after = c.getpid().unwrap();
    assert!(after > 1);
    let _ = before;
    let mut second = restarter.join().unwrap();
    assert!(c.getpid().is_ok());
    second.kill().unwrap();
    second.wait().unwrap();
}

#[test]
fn reconnect_policies_give_up_as_told() {
    let dir = tempdir("giveup");
    let path = dir.join("s");
    let url = format!("unix://{}", path.display());
    for (policy, at_least) in [
        (rumpclient::Retry::Never, 0),
        (rumpclient::Retry::Once, 0),
        (rumpclient::Retry::Seconds(1), 1000),
    ] {
        let mut server = start_at(&path);
        let c = Client::connect(&url).unwrap();
        c.set_retry(policy);
        c.getpid().unwrap();
        server.kill().unwrap();
        server.wait().unwrap();
        let t = std::time::Instant::now();
        assert_eq!(c.getpid(), Err(Errno::ENOTCONN), "{policy:?}");
        assert!(
            t.elapsed().as_millis() >= at_least,
            "{policy:?} gave up too soon"
        );
    }
}

const DIE_CHILD: &str = "RUMP_TEST_RETRY_DIE";

#[test]
fn reconnect_die_exits_the_program() {
    if let Ok(url) = std::env::var(DIE_CHILD) {
        let c = Client::connect(&url).unwrap();
        c.set_retry(rumpclient::Retry::Die);
        c.getpid().unwrap();
        println!("ready");
        std::thread::sleep(std::time::Duration::from_millis(500));
        let _ = c.getpid();
        std::process::exit(0);
    }
    let dir = tempdir("die");
    let path = dir.join("s");
    let mut server = start_at(&path);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "reconnect_die_exits_the_program", "--nocapture"])
        .env(DIE_CHILD, format!("unix://{}", path.display()))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kill the server only once the child is connected and has made a call.
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
    assert!(
        lines.any(|l| l.is_ok_and(|l| l.contains("ready"))),
        "child never got ready"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("rump_sp: connection to kernel lost"));
}

#[test]
fn retry_env_values_are_checked() {
    assert!(
        rumpclient::Retry::parse("sometimes")
            .unwrap_err()
            .contains("must be keyword or integer")
    );
}

const SIGNALLED_CHILD: &str = "RUMP_TEST_SIGNALLED";

/// Every signal is blocked during a call except while it sleeps on the
/// connection: a signal still ends a program that waits in the kernel or
/// keeps reconnecting for ever (its default action runs there).
#[test]
fn signals_reach_a_program_in_a_long_call() {
    if let Ok(url) = std::env::var(SIGNALLED_CHILD) {
        let c = Client::connect(&url).unwrap();
        c.set_retry(rumpclient::Retry::Forever);
        c.getpid().unwrap();
        println!("ready");
        // 30 s in the kernel, or reconnecting once the server is gone.
        let m = rumpclient::Regions::new();
        let ts: Vec<u8> = [30i64, 0].iter().flat_map(|v| v.to_ne_bytes()).collect();
        let _ = c.syscall(netbsd_abi::SYS___nanosleep50, &[m.add(&ts), 0], &m);
        let _ = c.getpid();
        std::process::exit(0);
    }
    for kill_server_first in [false, true] {
        let dir = tempdir("signalled");
        let path = dir.join("s");
        let mut server = start_at(&path);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "signals_reach_a_program_in_a_long_call",
                "--nocapture",
            ])
            .env(SIGNALLED_CHILD, format!("unix://{}", path.display()))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines =
            std::io::BufRead::lines(std::io::BufReader::new(child.stdout.take().unwrap()));
        assert!(lines.any(|l| l.is_ok_and(|l| l.contains("ready"))));
        std::thread::sleep(std::time::Duration::from_millis(300));
        if kill_server_first {
            server.kill().unwrap();
            server.wait().unwrap();
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        let t = std::time::Instant::now();
        kill("-TERM", child.id() as i32);
        let status = child.wait().unwrap();
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "{:?}",
            t.elapsed()
        );
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(15), "{status:?}");
        let _ = server.kill();
        let _ = server.wait();
    }
}
