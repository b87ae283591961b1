//! NetBSD's rump kernel as the oracle for how blocked calls end (see
//! `sockwait.rs`): `tests/c/sockwait_client.c`, built on NetBSD's headers
//! and linked with NetBSD's librumpclient, runs against NetBSD's
//! `rump_allserver` and against ours. Everything it prints must agree but
//! one thing: a call woken by a close of its descriptor in another thread
//! answers EBADF here, where NetBSD's rump kernel hands the woken call's
//! ERESTART (-3) to its remote client instead of restarting the call, as a
//! NetBSD kernel would (to find the descriptor gone).

mod common;

use common::cc::{compile, netbsd_header_flags, peer};
use common::*;
use std::path::Path;
use std::process::{Command, Output};

/// The numbers the program names (`-DNB_...`), from the netbsd_abi crate.
fn defines() -> Vec<String> {
    use netbsd_abi::errno::raw;
    /// `ITIMER_REAL` (`sys/time.h`).
    const ITIMER_REAL: i32 = 0;
    [
        ("NB_EBADF", raw::EBADF),
        ("NB_EPIPE", raw::EPIPE),
        ("NB_EWOULDBLOCK", raw::EWOULDBLOCK),
        ("NB_EINTR", raw::EINTR),
        ("NB_ERESTART", raw::ERESTART),
        ("NB_ITIMER_REAL", ITIMER_REAL),
    ]
    .iter()
    .map(|(k, v)| format!("-D{k}={v}"))
    .collect()
}

/// The program's output against `server`, started in a folder of its own.
fn run_against(side: &str, server: &Path, exe: &Path, peer: &Path) -> Output {
    let dir = tempdir(&format!("sockwait-{side}"));
    let url = format!("unix://{}", dir.join("s").display());
    let mut child = Command::new(server)
        .args(["-s", &url])
        .env("LD_LIBRARY_PATH", peer.join("rump/lib"))
        .spawn()
        .unwrap();
    eventually("the server to answer", || dir.join("s").exists());
    let out = client_program(exe, &dir, &url, &[]);
    let _ = Command::new(peer.join("rumpctrl/bin/halt"))
        .env("RUMP_SERVER", &url)
        .output();
    let _ = child.wait();
    out
}

#[test]
fn blocked_calls_end_on_our_kernel_as_on_netbsds() {
    let Some(peer) = peer("sockwait_peer") else {
        return;
    };
    let dir = tempdir("sockwait-c");
    let lib = peer.join("rump/lib");
    let mut flags = netbsd_header_flags(&peer);
    flags.extend(defines());
    flags.extend([
        format!("-L{}", lib.display()),
        "-lrumpclient".into(),
        "-lpthread".into(),
        format!("-Wl,-rpath,{}", lib.display()),
    ]);
    let exe = compile("sockwait_client.c", &dir, &flags);
    let theirs = run_against("netbsd", &peer.join("rump/bin/rump_allserver"), &exe, &peer);
    let ours = run_against("ours", &bin("rump_allserver"), &exe, &peer);
    assert!(theirs.status.success(), "{}", stderr(&theirs));
    assert!(ours.status.success(), "{}", stderr(&ours));
    let expected = stdout(&theirs).replace(
        "read: ERESTART, woken by the close",
        "read: EBADF, woken by the close",
    );
    assert_eq!(stdout(&ours), expected);
    // What NetBSD's kernel answered, measured: the close wakes the call;
    // the signal does not end the receive before its timeout.
    let theirs = stdout(&theirs);
    for line in [
        "socket read: ERESTART, woken by the close: yes",
        "socket read again: EBADF",
        "socket peer read: ok, 0 bytes",
        "pipe read: ERESTART, woken by the close: yes",
        "pipe write: EPIPE",
        "recv: EWOULDBLOCK, after its whole timeout: yes, handler ran: yes",
        "recv (SA_RESTART): EWOULDBLOCK, after its whole timeout: yes, handler ran: yes",
    ] {
        assert!(theirs.lines().any(|l| l == line), "{line:?} in\n{theirs}");
    }
}
