//! Signals posted inside the kernel reach a remote client (RAISE), as in
//! NetBSD's `t_sp` signal case, whose server posts signal 27 to its client.

mod common;

use rumpclient::{Client, SignalDelivery};

#[test]
fn a_signal_posted_to_a_remote_process_is_raised_in_the_client() {
    let (k, _server, url) = common::in_process_server("raise", &[]);
    let c = Client::connect(&url).unwrap();
    // Raised, SIGPROF would end the test program.
    c.set_signal_delivery(SignalDelivery::Record);
    let pid = c.getpid().unwrap();
    k.psignal(pid, 27).unwrap();
    // The RAISE request reaches the client with its next exchange.
    c.getpid().unwrap();
    assert_eq!(c.take_signals(), [27]);
    assert_eq!(k.psignal(pid, 64).unwrap_err(), rump::Errno::EINVAL);
    assert_eq!(k.psignal(99_999, 1).unwrap_err(), rump::Errno::ESRCH);
}

#[test]
fn a_local_process_keeps_its_signals_pending() {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .boot()
        .unwrap();
    let l = k.lwproc_newproc().unwrap();
    k.psignal(l.proc().pid, 30).unwrap();
    assert_eq!(l.proc().take_pending_signals(), [30]);
}

/// The child half of the next test: a client that reports its kernel pid
/// and then keeps calling until a signal ends it.
#[test]
fn raise_child() {
    let (Ok(url), Ok(pidfile)) = (
        std::env::var("RAISE_CHILD_URL"),
        std::env::var("RAISE_CHILD_PIDFILE"),
    ) else {
        return;
    };
    let c = Client::connect(&url).unwrap();
    let pid = c.getpid().unwrap();
    // Renamed into place, so that the parent never reads half of it.
    let tmp = format!("{pidfile}.tmp");
    std::fs::write(&tmp, pid.to_string()).unwrap();
    std::fs::rename(&tmp, &pidfile).unwrap();
    for _ in 0..1000 {
        c.getpid().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Still alive after ten seconds: the signal never arrived.
    std::process::exit(3);
}

#[test]
fn a_raised_signal_has_the_hosts_number_and_its_default_action() {
    use std::os::unix::process::ExitStatusExt;
    let (k, _server, url) = common::in_process_server("raisehost", &[]);
    let pidfile = common::tempdir("raisehost-pid").join("pid");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "raise_child", "--nocapture"])
        .env("RAISE_CHILD_URL", &url)
        .env("RAISE_CHILD_PIDFILE", &pidfile)
        .spawn()
        .unwrap();
    common::eventually("the child to report its pid", || pidfile.exists());
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // NetBSD's SIGUSR1 is 30; Linux's is 10, whose default action ends the
    // process.
    k.psignal(pid, 30).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(10), "{status:?}");
}
