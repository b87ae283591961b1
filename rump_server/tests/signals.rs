//! Signals posted inside the kernel reach a remote client (RAISE), as in
//! NetBSD's `t_sp` signal case, whose server posts signal 27 to its client.

mod common;

use rumpclient::Client;
use std::sync::Arc;

#[test]
fn a_signal_posted_to_a_remote_process_is_raised_in_the_client() {
    let dir = common::tempdir("raise");
    let path = dir.join("s");
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .console(Box::new(|_, _| ()))
        .boot()
        .unwrap();
    let url = sysproxy::Url::Unix(path.to_string_lossy().into_owned());
    let _server = rump_server::SpServer::start(Arc::clone(&k), &url).unwrap();
    let c = Client::connect(&url.to_string()).unwrap();
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
