//! kqueue, kevent and pollts made remotely by NetBSD number, as a NetBSD
//! program linked with librumpclient makes them: a client blocked in
//! kevent wakes when another of its threads writes to the pipe it
//! watches, and a client whose process is ended while it is blocked
//! (what the server does when a client goes) gets EINTR, the server
//! serving on.

mod common;

use netbsd_abi::layout::kevent as kev;
use netbsd_abi::{SYS___kevent50, SYS___pollts50, SYS_kqueue, SYS_pipe2, SYS_write};
use rump::kqueue::Kevent;
use rump::kqueue::consts::{EV_ADD, EVFILT_READ};
use rumpclient::{Client, Regions};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn server() -> (Arc<rump::Kernel>, rump_server::SpServer, String) {
    common::in_process_server("kqremote", &[])
}

/// A kqueue watching the read end of a new pipe: (kqueue, write end).
fn watched_pipe(c: &Client, m: &Regions) -> (u64, u64) {
    let fds = m.add_zeroed(8);
    c.syscall(SYS_pipe2, &[fds, 0], m).unwrap();
    let b = m.get(fds);
    let r = u32::from_le_bytes(b[0..4].try_into().unwrap());
    let w = u32::from_le_bytes(b[4..8].try_into().unwrap());
    let q = c.syscall(SYS_kqueue, &[], m).unwrap()[0] as u64;
    let change = Kevent {
        ident: u64::from(r),
        filter: EVFILT_READ,
        flags: EV_ADD,
        ..Kevent::default()
    };
    let ch = m.add(&change.to_bytes());
    c.syscall(SYS___kevent50, &[q, ch, 1, 0, 0, 0], m).unwrap();
    (q, u64::from(w))
}

#[test]
fn a_remote_kevent_wakes_when_another_thread_writes() {
    let (_k, _s, url) = server();
    let c = Arc::new(Client::connect(&url).unwrap());
    let m = Regions::new();
    let (q, w) = watched_pipe(&c, &m);
    let c2 = Arc::clone(&c);
    let writer = std::thread::spawn(move || {
        // The other thread's memory is its own.
        let m2 = Regions::new();
        std::thread::sleep(Duration::from_millis(200));
        let b = m2.add(b"hey");
        c2.syscall(SYS_write, &[w, b, 3], &m2).unwrap();
    });
    let t = Instant::now();
    let out = m.add_zeroed(4 * kev::SIZE);
    let n = c
        .syscall(SYS___kevent50, &[q, 0, 0, out, 4, 0], &m)
        .unwrap()[0];
    assert_eq!(n, 1);
    let e = Kevent::from_bytes(&m.get(out)[..kev::SIZE]);
    assert_eq!((e.filter, e.data), (EVFILT_READ, 3));
    assert!(t.elapsed() >= Duration::from_millis(150));
    writer.join().unwrap();
    // pollts with a zero timespec on the kqueue: readable.
    let pfd = m.add(&[q as u8, 0, 0, 0, 1, 0, 0, 0]);
    let ts = m.add_zeroed(16);
    let r = c.syscall(SYS___pollts50, &[pfd, 1, ts, 0], &m).unwrap();
    assert_eq!(r[0], 1);
}

#[test]
fn a_client_process_ended_while_blocked_in_kevent_gets_eintr() {
    let (k, _s, url) = server();
    let c = Client::connect(&url).unwrap();
    let m = Regions::new();
    let (q, _w) = watched_pipe(&c, &m);
    let blocked = std::thread::spawn(move || {
        let out = m.add_zeroed(kev::SIZE);
        // Waits for ever: only the process's end stops it.
        c.syscall(SYS___kevent50, &[q, 0, 0, out, 1, 0], &m)
    });
    std::thread::sleep(Duration::from_millis(200));
    // The server ends the client's process as it does when a client goes.
    for p in k.procs().all().into_iter().filter(|p| p.pid > 1) {
        p.post_exit();
    }
    common::eventually("the blocked kevent to end", || blocked.is_finished());
    let r = blocked.join().unwrap();
    assert_eq!(r.unwrap_err().0, netbsd_abi::errno::raw::EINTR);
    // The server still serves new clients.
    let c2 = Client::connect(&url).unwrap();
    let m2 = Regions::new();
    assert!(c2.syscall(SYS_kqueue, &[], &m2).unwrap()[0] >= 3);
}
