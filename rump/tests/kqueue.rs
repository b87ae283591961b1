//! kqueue, kevent, pselect and pollts: the behaviours NetBSD's
//! `tests/kernel/kqueue/` checks, with the answers NetBSD 7.99's rump
//! kernel gave to the same calls (measured with a C client of the peer).

mod common;

use netbsd_abi::errno;
use rump::kqueue::Kevent;
use rump::kqueue::consts::*;
use rump::syscall::PollFd;
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel};
use std::sync::Arc;
use std::time::{Duration, Instant};

const NOW: Option<Duration> = Some(Duration::ZERO);

fn ev(ident: u64, filter: u32, flags: u32, fflags: u32, data: i64) -> Kevent {
    Kevent {
        ident,
        filter,
        flags,
        fflags,
        data,
        udata: 0,
    }
}

fn pipe(k: &Kernel) -> (i32, i32) {
    let us = BufferSpace::new(0x1000, 16);
    let r = k.syscall(netbsd_abi::SYS_pipe, &[], &us).unwrap();
    (r[0] as i32, r[1] as i32)
}

fn kq(k: &Kernel) -> i32 {
    k.sys_kqueue1(0).unwrap()
}

#[test]
fn bad_filters_descriptors_and_missing_knotes() {
    let k = common::boot();
    let q = kq(&k);
    let (r, _w) = pipe(&k);
    // No EVFILT_USER in 7.99: filter 7 is EINVAL, as EVFILT_AIO.
    for f in [EVFILT_AIO, EVFILT_SYSCOUNT, 99] {
        let e = k.sys_kevent(q, &[ev(0, f, EV_ADD, 0, 0)], 0, NOW);
        assert_eq!(e.unwrap_err(), Errno::EINVAL);
    }
    let e = k.sys_kevent(q, &[ev(r as u64, EVFILT_READ, EV_DELETE, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::ENOENT);
    let e = k.sys_kevent(q, &[ev(77, EVFILT_READ, EV_ADD, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EBADF);
    // kevent on what is not a kqueue.
    assert_eq!(k.sys_kevent(r, &[], 8, NOW).unwrap_err(), Errno::EBADF);
    // A timer of 0 ms, a missing process.
    let e = k.sys_kevent(q, &[ev(1, EVFILT_TIMER, EV_ADD, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    let e = k.sys_kevent(q, &[ev(99999, EVFILT_PROC, EV_ADD, NOTE_EXIT, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::ESRCH);
    // A read or write of the queue itself: ENXIO; a write filter on it is
    // EPERM (NetBSD's kqueue_kqfilter answers 1).
    assert_eq!(k.sys_read(q, &mut [0; 8]).unwrap_err(), Errno::ENXIO);
    let e = k.sys_kevent(q, &[ev(q as u64, EVFILT_WRITE, EV_ADD, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EPERM);
    // Bad timeouts are EINVAL, but only when there is room for events.
    let us = BufferSpace::new(0x1000, 0x1000);
    us.poke(0x1000, &[0xff; 8]);
    us.poke(0x1008, &0i64.to_le_bytes());
    let args = [q as u64, 0, 0, 0x1100, 8, 0x1000];
    let e = k.syscall(netbsd_abi::SYS___kevent50, &args, &us);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    us.poke(0x1000, &0i64.to_le_bytes());
    us.poke(0x1008, &1_000_000_000i64.to_le_bytes());
    let e = k.syscall(netbsd_abi::SYS___kevent50, &args, &us);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    let args = [q as u64, 0, 0, 0x1100, 0, 0x1000];
    assert_eq!(
        k.syscall(netbsd_abi::SYS___kevent50, &args, &us).unwrap(),
        [0, 0]
    );
}

#[test]
fn failed_changes_come_back_as_ev_error_entries_when_there_is_room() {
    let k = common::boot();
    let q = kq(&k);
    let (r, _w) = pipe(&k);
    let changes = [
        ev(77, EVFILT_READ, EV_ADD, 0, 0),
        ev(r as u64, EVFILT_READ, EV_DELETE, 0, 0),
        ev(r as u64, EVFILT_READ, EV_ADD, 0, 0),
    ];
    let out = k.sys_kevent(q, &changes, 8, NOW).unwrap();
    // As the peer: [id=77 fl=0x4000 d=9] [id=r fl=0x4000 d=2].
    assert_eq!(out.len(), 2);
    assert_eq!((out[0].ident, out[0].flags), (77, EV_ERROR));
    assert_eq!(out[0].data, i64::from(errno::EBADF));
    assert_eq!(
        (out[1].ident, out[1].data),
        (r as u64, i64::from(errno::ENOENT))
    );
    // No room: the call fails with the first error.
    let e = k.sys_kevent(q, &changes[..1], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EBADF);
    // A change that fails once its knote is made (the filter refuses
    // the file) shows its fflags and data zeroed, as NetBSD's.
    let bad = ev(q as u64, EVFILT_WRITE, EV_ADD, 0x7f, 3);
    let out = k.sys_kevent(q, &[bad], 8, NOW).unwrap();
    assert_eq!((out[0].fflags, out[0].data), (0, i64::from(errno::EPERM)));
    let bad = ev(77, EVFILT_READ, EV_ADD, 0x7f, 3);
    let out = k.sys_kevent(q, &[bad], 8, NOW).unwrap();
    assert_eq!(
        (out[0].fflags, out[0].data),
        (0x7f, i64::from(errno::EBADF))
    );
    // EV_RECEIPT answers a good change with data 0.
    let out = k.sys_kevent(
        q,
        &[ev(r as u64, EVFILT_READ, EV_ADD | EV_RECEIPT, 0, 0)],
        8,
        NOW,
    );
    let out = out.unwrap();
    assert_eq!((out.len(), out[0].flags, out[0].data), (1, EV_ERROR, 0));
}

#[test]
fn pipe_read_and_write_filters_and_eof_after_the_writer_closes() {
    let k = common::boot();
    let q = kq(&k);
    let (r, w) = pipe(&k);
    k.sys_write(w, b"hello").unwrap();
    let changes = [
        ev(r as u64, EVFILT_READ, EV_ADD, 0, 0),
        ev(w as u64, EVFILT_WRITE, EV_ADD, 0, 0),
    ];
    let out = k.sys_kevent(q, &changes, 8, NOW).unwrap();
    // The peer: [f=0 fl=0x1 d=5] [f=1 fl=0x1 d=16379].
    assert_eq!(out[0], ev(r as u64, EVFILT_READ, EV_ADD, 0, 5));
    assert_eq!(out[1], ev(w as u64, EVFILT_WRITE, EV_ADD, 0, 16379));
    assert_eq!(k.sys_fstat(q).unwrap().size, 2);
    let st = k.sys_fstat(q).unwrap();
    assert_eq!((st.mode, st.blksize), (0o010000, 40));
    // Closing the writer drops its knote and marks the reader's EOF.
    k.sys_close(w).unwrap();
    let out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    assert_eq!(out, vec![ev(r as u64, EVFILT_READ, EV_ADD | EV_EOF, 0, 5)]);
    // Closing the reader drops the last knote.
    k.sys_close(r).unwrap();
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    // The write filter of a pipe whose reader is gone cannot be added.
    let (r, w) = pipe(&k);
    k.sys_close(r).unwrap();
    let e = k.sys_kevent(q, &[ev(w as u64, EVFILT_WRITE, EV_ADD, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EBADF);
}

#[test]
fn clear_oneshot_disable_enable_dispatch_and_delete() {
    let k = common::boot();
    let q = kq(&k);
    let (r, w) = pipe(&k);
    k.sys_write(w, b"ab").unwrap();
    let add = |flags| ev(r as u64, EVFILT_READ, flags, 0, 0);
    // EV_CLEAR: reported once, again only when the pipe changes.
    let out = k.sys_kevent(q, &[add(EV_ADD | EV_CLEAR)], 8, NOW).unwrap();
    assert_eq!(out[0].data, 2);
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    k.sys_write(w, b"c").unwrap();
    assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap()[0].data, 3);
    k.sys_kevent(q, &[add(EV_DELETE)], 0, NOW).unwrap();
    // Level-triggered without EV_CLEAR: reported every time.
    k.sys_kevent(q, &[add(EV_ADD)], 0, NOW).unwrap();
    for _ in 0..2 {
        assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap().len(), 1);
    }
    // EV_DISABLE keeps the knote quiet until EV_ENABLE.
    k.sys_kevent(q, &[add(EV_DISABLE)], 0, NOW).unwrap();
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    k.sys_kevent(q, &[add(EV_ENABLE)], 0, NOW).unwrap();
    assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap().len(), 1);
    // EV_ONESHOT: reported once, then gone (a delete finds nothing).
    k.sys_kevent(q, &[add(EV_DELETE)], 0, NOW).unwrap();
    k.sys_kevent(q, &[add(EV_ADD | EV_ONESHOT)], 0, NOW)
        .unwrap();
    assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap().len(), 1);
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    let e = k.sys_kevent(q, &[add(EV_DELETE)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::ENOENT);
    // EV_DISPATCH: reported, then disabled until enabled and changed.
    k.sys_kevent(q, &[add(EV_ADD | EV_DISPATCH)], 0, NOW)
        .unwrap();
    assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap().len(), 1);
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    k.sys_kevent(q, &[add(EV_ENABLE)], 0, NOW).unwrap();
    k.sys_write(w, b"d").unwrap();
    assert_eq!(k.sys_kevent(q, &[], 8, NOW).unwrap()[0].data, 4);
}

#[test]
fn timers_periodic_and_oneshot() {
    let k = common::boot();
    let q = kq(&k);
    let t = Instant::now();
    let out = k.sys_kevent(q, &[ev(1, EVFILT_TIMER, EV_ADD, 0, 30)], 8, None);
    let out = out.unwrap();
    // As the peer: [id=1 f=6 fl=0x21 d=1], EV_CLEAR set by the filter.
    assert_eq!(out, vec![ev(1, EVFILT_TIMER, EV_ADD | EV_CLEAR, 0, 1)]);
    assert!(t.elapsed() >= Duration::from_millis(30));
    // Not collected for a while: the expirations add up.
    std::thread::sleep(Duration::from_millis(100));
    let out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    assert!(out[0].data >= 2, "{out:?}");
    k.sys_kevent(q, &[ev(1, EVFILT_TIMER, EV_DELETE, 0, 0)], 0, NOW)
        .unwrap();
    let out = k.sys_kevent(
        q,
        &[ev(2, EVFILT_TIMER, EV_ADD | EV_ONESHOT, 0, 10)],
        8,
        None,
    );
    assert_eq!(out.unwrap()[0].flags, EV_ADD | EV_ONESHOT | EV_CLEAR);
    let out = k
        .sys_kevent(q, &[], 8, Some(Duration::from_millis(50)))
        .unwrap();
    assert!(out.is_empty());
    // The timeout is honoured with nothing to report.
    let t = Instant::now();
    assert!(
        k.sys_kevent(q, &[], 8, Some(Duration::from_millis(40)))
            .unwrap()
            .is_empty()
    );
    assert!(t.elapsed() >= Duration::from_millis(40));
}

#[test]
fn a_blocked_kevent_wakes_when_another_thread_writes() {
    let k = common::boot();
    let q = kq(&k);
    let (r, w) = pipe(&k);
    k.sys_kevent(q, &[ev(r as u64, EVFILT_READ, EV_ADD, 0, 0)], 0, NOW)
        .unwrap();
    let k2 = Arc::clone(&k);
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        k2.sys_write(w, b"x").unwrap();
    });
    let t = Instant::now();
    let out = k.sys_kevent(q, &[], 8, None).unwrap();
    assert_eq!(out[0].data, 1);
    assert!(t.elapsed() < Duration::from_secs(5));
    writer.join().unwrap();
    // poll on the queue sees the pending event too.
    let mut fds = [PollFd {
        fd: q,
        events: 1,
        revents: 0,
    }];
    assert_eq!(k.sys_poll(&mut fds, 0).unwrap(), 1);
    assert_eq!(fds[0].revents, 1);
}

#[test]
fn proc_exit_fork_track_and_signal_counting() {
    let k = common::boot();
    let q = kq(&k);
    // A process to watch: made and left by this thread.
    let child = k.lwproc_rfork(0).unwrap();
    let pid = child.proc().pid;
    k.lwproc_switch(None).unwrap();
    let watch = ev(
        pid as u64,
        EVFILT_PROC,
        EV_ADD,
        NOTE_EXIT | NOTE_FORK | NOTE_TRACK,
        0,
    );
    assert!(k.sys_kevent(q, &[watch], 8, NOW).unwrap().is_empty());
    // It forks: NOTE_FORK on it, NOTE_CHILD with the parent's pid on the
    // child, which exits at once (NOTE_EXIT too, and EV_EOF).
    k.lwproc_switch(Some(&child)).unwrap();
    let grandchild = k.lwproc_rfork(0).unwrap();
    let gpid = grandchild.proc().pid;
    k.lwproc_releaselwp();
    k.lwproc_switch(None).unwrap();
    let mut out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    out.sort_by_key(|e| e.ident);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!((out[0].ident, out[0].fflags), (pid as u64, NOTE_FORK));
    let child_note = (gpid as u64, NOTE_CHILD | NOTE_EXIT, EV_EOF);
    assert_eq!(
        (out[1].ident, out[1].fflags, out[1].flags & EV_EOF),
        child_note
    );
    assert_eq!(out[1].data, 0);
    // The child exits: NOTE_EXIT, EV_EOF, and the knote is gone after.
    k.lwproc_switch(Some(&child)).unwrap();
    k.lwproc_releaselwp();
    let out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    let exit = out.iter().find(|e| e.ident == pid as u64).unwrap();
    assert_eq!(exit.fflags, NOTE_EXIT);
    assert_ne!(exit.flags & EV_EOF, 0);
    assert!(k.sys_kevent(q, &[], 8, NOW).unwrap().is_empty());
    // Signals are counted per signal number.
    let sig = ev(30, EVFILT_SIGNAL, EV_ADD, 0, 0);
    k.sys_kevent(q, &[sig], 0, NOW).unwrap();
    k.psignal(1, 30).unwrap();
    k.psignal(1, 30).unwrap();
    k.psignal(1, 31).unwrap();
    let out = k.sys_kevent(q, &[], 8, NOW).unwrap();
    assert_eq!(out, vec![ev(30, EVFILT_SIGNAL, EV_ADD | EV_CLEAR, 0, 2)]);
    let e = k.sys_kevent(q, &[ev(64, EVFILT_SIGNAL, EV_ADD, 0, 0)], 0, NOW);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
}

#[test]
fn kqueue_descriptors_dup_and_are_not_copied_to_a_forked_table() {
    let k = common::boot();
    let q = kq(&k);
    let d = k.sys_dup(q).unwrap();
    k.sys_kevent(d, &[ev(5, EVFILT_TIMER, EV_ADD, 0, 10)], 0, NOW)
        .unwrap();
    // The duplicate is the same queue.
    assert_eq!(k.sys_kevent(q, &[], 8, None).unwrap()[0].ident, 5);
    k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    assert_eq!(k.sys_fstat(q).unwrap_err(), Errno::EBADF);
    k.lwproc_releaselwp();
    // O_CLOEXEC marks the descriptor.
    let c = k.sys_kqueue1(netbsd_abi::O_CLOEXEC).unwrap();
    let us = BufferSpace::new(0x1000, 16);
    let args = [c as u64, netbsd_abi::F_GETFD as u64];
    assert_eq!(k.syscall(netbsd_abi::SYS_fcntl, &args, &us).unwrap()[0], 1);
}

#[test]
fn pollts_with_timeouts_and_a_signal_mask() {
    let k = common::boot();
    let (r, w) = pipe(&k);
    let mut fds = [PollFd {
        fd: r,
        events: 1,
        revents: 0,
    }];
    let t = Instant::now();
    let ms30 = Some(Duration::from_millis(30));
    assert_eq!(k.sys_pollts(&mut fds, ms30, None).unwrap(), 0);
    assert!(t.elapsed() >= Duration::from_millis(30));
    // A signal the mask blocks waits for the end of the call; one it does
    // not block ends the wait with EINTR.
    k.lwproc_rfork(0).unwrap();
    let me = k.lwproc_curlwp().unwrap();
    let pid = me.proc().pid;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let s2 = Arc::clone(&seen);
    me.proc()
        .set_signal_sink(Arc::new(move |sig| s2.lock().unwrap().push(sig)));
    let k2 = Arc::clone(&k);
    let poster = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(50));
        k2.psignal(pid, 30).unwrap();
        std::thread::sleep(Duration::from_millis(50));
        k2.psignal(pid, 31).unwrap();
    });
    let mask = 1u64 << (30 - 1);
    let t = Instant::now();
    let e = k.sys_pollts(&mut fds, Some(Duration::from_secs(10)), Some(mask));
    assert_eq!(e.unwrap_err(), Errno::EINTR);
    assert!(t.elapsed() >= Duration::from_millis(90));
    poster.join().unwrap();
    // 31 was delivered during the call, 30 when the mask went.
    assert_eq!(*seen.lock().unwrap(), vec![31, 30]);
    // Ready descriptors answer at once.
    k.sys_write(w, b"x").unwrap();
    assert_eq!(k.sys_pollts(&mut fds, None, Some(mask)).unwrap(), 1);
    k.lwproc_releaselwp();
}

#[test]
fn pselect_and_pollts_by_number() {
    let k = common::boot();
    let (r, w) = pipe(&k);
    k.sys_write(w, b"x").unwrap();
    let us = BufferSpace::new(0x1000, 0x1000);
    // A bad timespec is EINVAL (the peer: errno 22).
    us.poke(0x1000, &0i64.to_le_bytes());
    us.poke(0x1008, &2_000_000_000i64.to_le_bytes());
    let args = [0, 0, 0, 0, 0x1000, 0];
    let e = k.syscall(netbsd_abi::SYS___pselect50, &args, &us);
    assert_eq!(e.unwrap_err(), Errno::EINVAL);
    // 20 ms and nothing to look at: 0.
    us.poke(0x1008, &20_000_000i64.to_le_bytes());
    let t = Instant::now();
    assert_eq!(
        k.syscall(netbsd_abi::SYS___pselect50, &args, &us).unwrap()[0],
        0
    );
    assert!(t.elapsed() >= Duration::from_millis(20));
    // The pipe's reader in the read set, with an empty mask.
    us.poke(0x1100, &(1u32 << r).to_le_bytes());
    us.poke(0x1200, &[0; 16]);
    let args = [r as u64 + 1, 0x1100, 0, 0, 0x1000, 0x1200];
    assert_eq!(
        k.syscall(netbsd_abi::SYS___pselect50, &args, &us).unwrap()[0],
        1
    );
    assert_eq!(us.peek(0x1100, 4), (1u32 << r).to_le_bytes());
    // pollts: one pollfd, POLLIN.
    use netbsd_abi::layout::pollfd;
    let mut fd = [0u8; pollfd::SIZE];
    pollfd::fd.put(&mut fd, r as u64);
    pollfd::events.put(&mut fd, netbsd_abi::POLLIN as u64);
    us.poke(0x1300, &fd);
    let args = [0x1300, 1, 0x1000, 0x1200];
    assert_eq!(
        k.syscall(netbsd_abi::SYS___pollts50, &args, &us).unwrap()[0],
        1
    );
    let fd = us.peek(0x1300, pollfd::SIZE);
    assert_eq!(pollfd::revents.get(&fd), Some(netbsd_abi::POLLIN as u64));
    for n in [
        netbsd_abi::SYS_kqueue,
        netbsd_abi::SYS_kqueue1,
        netbsd_abi::SYS___kevent50,
    ] {
        assert!(k.syscall_name(n).is_some());
    }
}

#[test]
fn kfilter_ioctls_name_filters_both_ways() {
    let k = common::boot();
    let q = kq(&k);
    let us = BufferSpace::new(0x1000, 0x1000);
    // struct kfilter_mapping at 0x1000: name 0x1100, len 32, filter 4.
    let map = |name: u64, len: u64, filter: u32| {
        let mut b = Vec::new();
        b.extend_from_slice(&name.to_le_bytes());
        b.extend_from_slice(&len.to_le_bytes());
        b.extend_from_slice(&filter.to_le_bytes());
        b.extend_from_slice(&[0; 4]);
        us.poke(0x1000, &b);
    };
    let byfilter = 0xc018_6b00u64;
    map(0x1100, 32, EVFILT_PROC);
    k.syscall(netbsd_abi::SYS_ioctl, &[q as u64, byfilter, 0x1000], &us)
        .unwrap();
    assert_eq!(us.peek(0x1100, 12), b"EVFILT_PROC\0");
    map(0x1100, 32, 9);
    let e = k.syscall(netbsd_abi::SYS_ioctl, &[q as u64, byfilter, 0x1000], &us);
    assert_eq!(e.unwrap_err(), Errno::ENOENT);
    us.poke(0x1100, b"EVFILT_TIMER\0");
    map(0x1100, 0, 0);
    k.syscall(
        netbsd_abi::SYS_ioctl,
        &[q as u64, byfilter + 1, 0x1000],
        &us,
    )
    .unwrap();
    assert_eq!(us.peek(0x1010, 4), EVFILT_TIMER.to_le_bytes());
}

#[test]
fn a_kevent_waiting_for_ever_ends_with_eintr_when_its_process_is_told_to_exit() {
    let k = common::boot();
    let l = k.lwproc_rfork(0).unwrap();
    let q = kq(&k);
    k.lwproc_switch(None).unwrap();
    let k2 = Arc::clone(&k);
    let l2 = Arc::clone(&l);
    let t = Instant::now();
    let waiter = std::thread::spawn(move || {
        k2.lwproc_switch(Some(&l2)).unwrap();
        let r = k2.sys_kevent(q, &[], 8, None);
        k2.lwproc_switch(None).unwrap();
        r
    });
    std::thread::sleep(Duration::from_millis(100));
    l.proc().post_exit();
    assert_eq!(waiter.join().unwrap().unwrap_err(), Errno::EINTR);
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[test]
fn kqueues_watch_kqueues_and_themselves() {
    let k = common::boot();
    let inner = kq(&k);
    let outer = kq(&k);
    let watch = |fd: i32| ev(fd as u64, EVFILT_READ, EV_ADD, 0, 0);
    // The peer: a kqueue's read filter on an idle queue does not fire.
    assert!(
        k.sys_kevent(outer, &[watch(inner)], 8, NOW)
            .unwrap()
            .is_empty()
    );
    k.sys_kevent(inner, &[ev(1, EVFILT_TIMER, EV_ADD, 0, 10)], 0, NOW)
        .unwrap();
    // The inner queue's timer bounds the outer queue's sleep too.
    let t = Instant::now();
    let out = k
        .sys_kevent(outer, &[], 8, Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!((out[0].ident, out[0].data), (inner as u64, 1));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    // A queue watching itself answers without waiting on itself.
    let out = k.sys_kevent(inner, &[watch(inner)], 8, Some(Duration::from_secs(5)));
    assert!(!out.unwrap().is_empty());
}
