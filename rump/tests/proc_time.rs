//! Sessions and process groups, the settable clock and the timers of the
//! base kernel, with NetBSD's rules (`kern_prot.c`, `kern_proc.c`,
//! `kern_time.c`) and the answers NetBSD's rump kernel gives a client, as
//! measured with a C client of its librumpclient against rump_allserver.

mod common;

use netbsd_abi::errno::{EAGAIN, EINVAL, EPERM, ESRCH, ETIMEDOUT};
use netbsd_abi::layout::{itimerspec, timespec, timeval};
use netbsd_abi::{
    CLOCK_MONOTONIC, CLOCK_PROF, CLOCK_REALTIME, CLOCK_VIRTUAL, SIGALRM, SIGUSR1, SIGVTALRM,
    SYS___adjtime50, SYS___clock_gettime50, SYS___clock_settime50, SYS___getitimer50,
    SYS___gettimeofday50, SYS___setitimer50, SYS___settimeofday50, SYS___timer_gettime50,
    SYS___timer_settime50, SYS_getpgid, SYS_getpgrp, SYS_getsid, SYS_setpgid, SYS_setsid,
    SYS_setuid, SYS_timer_create, SYS_timer_delete, SYS_timer_getoverrun, TIMER_ABSTIME,
};
use netbsd_abi::{O_CREAT, O_RDWR};
use rump::Errno;
use rump::usermem::BufferSpace;
use rumpvfs::VfsCalls;
use std::time::Duration;

const BASE: u64 = 0x10000;
/// `ITIMER_REAL`, `ITIMER_VIRTUAL`, `ITIMER_MONOTONIC` (`sys/time.h`).
const ITIMER_REAL: i32 = 0;
const ITIMER_VIRTUAL: i32 = 1;
const ITIMER_MONOTONIC: i32 = 3;
/// `sizeof(struct itimerval)`: two `struct timeval`s.
const ITIMERVAL_SIZE: usize = 2 * timeval::SIZE;
/// `SIGEV_NONE`, `SIGEV_SIGNAL`, `SIGEV_THREAD` (`sys/signal.h`).
const SIGEV_NONE: i32 = 0;
const SIGEV_SIGNAL: i32 = 1;
const SIGEV_THREAD: i32 = 2;

fn space() -> BufferSpace {
    BufferSpace::new(BASE, 64 << 10)
}

fn e(n: i32) -> Errno {
    Errno(n)
}

/// A new process in `k` for the calling thread, as a remote client gets.
fn newproc(k: &rump::Kernel) -> i32 {
    k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG)
        .unwrap()
        .proc()
        .pid
}

#[test]
fn every_process_starts_in_group_and_session_zero() {
    let k = common::boot();
    let us = space();
    assert_eq!(k.syscall(SYS_getpgrp, &[], &us).unwrap()[0], 0);
    assert_eq!(k.sys_getsid(0).unwrap(), 0);
    let pid = newproc(&k);
    assert_eq!(k.sys_getpgrp().unwrap(), 0);
    assert_eq!(k.syscall(SYS_getsid, &[0], &us).unwrap()[0], 0);
    assert_eq!(k.syscall(SYS_getpgid, &[0], &us).unwrap()[0], 0);
    assert_eq!(k.sys_getpgid(1).unwrap(), 0);
    assert_eq!(k.sys_getsid(1).unwrap(), 0);
    assert_eq!(k.sys_getpgid(0x7777).unwrap_err(), e(ESRCH));
    assert_eq!(k.sys_getsid(0x7777).unwrap_err(), e(ESRCH));
    assert_eq!(
        k.syscall(SYS_getpgid, &[u64::from(u32::MAX)], &us)
            .unwrap_err(),
        e(ESRCH),
        "getpgid(-1)"
    );
    assert!(pid > 1);
}

#[test]
fn setpgid_follows_netbsds_rules() {
    let k = common::boot();
    let us = space();
    let pid = newproc(&k);
    let neg = u64::from(u32::MAX);
    assert_eq!(
        k.syscall(SYS_setpgid, &[0, neg], &us).unwrap_err(),
        e(EINVAL)
    );
    // Not the caller, nor a descendant of it.
    assert_eq!(k.sys_setpgid(0x7777, 0).unwrap_err(), e(ESRCH));
    assert_eq!(k.sys_setpgid(1, 0).unwrap_err(), e(ESRCH));
    // A group of its own.
    k.syscall(SYS_setpgid, &[0, 0], &us).unwrap();
    assert_eq!(k.sys_getpgrp().unwrap(), pid);
    assert_eq!(k.sys_getsid(0).unwrap(), 0);
    // No such group in the session.
    assert_eq!(k.sys_setpgid(0, 1).unwrap_err(), e(EPERM));
    assert_eq!(k.sys_setpgid(0, 0x7777).unwrap_err(), e(EPERM));
    // A group leader may not make a session; again is no error.
    assert_eq!(k.syscall(SYS_setsid, &[], &us).unwrap_err(), e(EPERM));
    k.sys_setpgid(0, 0).unwrap();
    k.sys_setpgid(pid, pid).unwrap();

    // A child may join its parent's group, and the parent may move it.
    let child = newproc(&k);
    assert_eq!(k.sys_getpgrp().unwrap(), pid, "a child joins its parent's");
    k.sys_setpgid(0, 0).unwrap();
    assert_eq!(k.sys_getpgrp().unwrap(), child);
    k.sys_setpgid(0, pid).unwrap();
    assert_eq!(k.sys_getpgrp().unwrap(), pid);
    // Its own group died with its last member; it may make it again.
    k.sys_setpgid(0, child).unwrap();
    assert_eq!(k.sys_getpgrp().unwrap(), child);
    // The child cannot move its parent.
    assert_eq!(k.sys_setpgid(pid, 0).unwrap_err(), e(ESRCH));
}

#[test]
fn setsid_makes_a_session_whose_leader_stays_put() {
    let k = common::boot();
    let us = space();
    let parent_lwp = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    let parent = parent_lwp.proc().pid;
    let child = newproc(&k);
    assert_eq!(k.syscall(SYS_setsid, &[], &us).unwrap()[0], child as u64);
    assert_eq!(k.sys_getsid(0).unwrap(), child);
    assert_eq!(k.sys_getpgrp().unwrap(), child);
    assert_eq!(k.sys_getsid(parent).unwrap(), 0);
    // A session leader cannot leave, nor make another session.
    assert_eq!(k.sys_setsid().unwrap_err(), e(EPERM));
    assert_eq!(k.sys_setpgid(0, 0).unwrap(), (), "its own group: a no-op");
    let grandchild = newproc(&k);
    assert_eq!(k.sys_getsid(0).unwrap(), child);
    // Not a leader: may make its own group in the session...
    k.sys_setpgid(0, 0).unwrap();
    assert_eq!(k.sys_getpgid(grandchild).unwrap(), grandchild);
    assert_eq!(k.sys_getsid(0).unwrap(), child);
    k.lwproc_switch(Some(&parent_lwp)).unwrap();
    // The parent may not move its descendants into another session's group.
    assert_eq!(k.sys_setpgid(child, parent).unwrap_err(), e(EPERM));
    assert_eq!(k.sys_setpgid(grandchild, 0).unwrap_err(), e(EPERM));
    // A pid stays taken while a group or session of that id lives.
    for _ in 0..4 {
        let l = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
        assert!(![child, grandchild].contains(&l.proc().pid));
        k.lwproc_releaselwp();
        k.lwproc_switch(Some(&parent_lwp)).unwrap();
    }
}

#[test]
fn a_process_may_join_another_sessions_group_itself() {
    // NetBSD 7.99's proc_enterpgrp checks the group's session only when
    // the caller moves a child; its rump kernel lets a process join a
    // group of another session, and the session follows the group.
    let k = common::boot();
    let leader_lwp = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
    let leader = k.sys_setsid().unwrap();
    k.lwproc_switch(None).unwrap();
    let other = newproc(&k);
    assert_eq!(k.sys_getsid(0).unwrap(), 0);
    k.sys_setpgid(0, leader).unwrap();
    assert_eq!(k.sys_getpgrp().unwrap(), leader);
    assert_eq!(k.sys_getsid(0).unwrap(), leader);
    // Not its child: the leader's group is its own business.
    assert_eq!(k.sys_setpgid(leader, leader).unwrap_err(), e(ESRCH));
    k.lwproc_switch(Some(&leader_lwp)).unwrap();
    assert_eq!(k.sys_getpgid(other).unwrap(), leader);
}

fn timeval_bytes(sec: i64, usec: i32) -> Vec<u8> {
    let mut b = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut b, sec as u64);
    timeval::tv_usec.put(&mut b, usec as u32 as u64);
    b
}

fn read_timeval(us: &BufferSpace, addr: u64) -> (i64, i32) {
    let b = us.peek(addr, timeval::SIZE);
    (
        timeval::tv_sec.get(&b).unwrap() as i64,
        timeval::tv_usec.get(&b).unwrap() as u32 as i32,
    )
}

fn timespec_bytes(sec: i64, nsec: i64) -> Vec<u8> {
    let mut b = vec![0u8; timespec::SIZE];
    timespec::tv_sec.put(&mut b, sec as u64);
    timespec::tv_nsec.put(&mut b, nsec as u64);
    b
}

#[test]
fn root_sets_the_realtime_clock_and_the_monotonic_clock_stays() {
    let k = common::boot();
    let us = space();
    let before = k.sys_clock_gettime(CLOCK_REALTIME).unwrap();
    let mono = k.sys_clock_gettime(CLOCK_MONOTONIC).unwrap();
    let boot = k.boot_time();
    // An hour ahead, by settimeofday.
    us.poke(BASE, &timeval_bytes(before.0 + 3600, 0));
    k.syscall(SYS___settimeofday50, &[BASE, 0], &us).unwrap();
    k.syscall(SYS___gettimeofday50, &[BASE + 64, 0], &us)
        .unwrap();
    let (sec, _) = read_timeval(&us, BASE + 64);
    assert!((sec - before.0 - 3600).abs() <= 1, "{sec} vs {}", before.0);
    let after_mono = k.sys_clock_gettime(CLOCK_MONOTONIC).unwrap();
    assert!(
        after_mono.0 - mono.0 <= 1,
        "the monotonic clock did not jump"
    );
    let moved = k.boot_time().as_secs() as i64 - boot.as_secs() as i64;
    assert!((moved - 3600).abs() <= 1, "kern.boottime moved {moved}");
    // Back, by clock_settime; NetBSD checks neither range nor fields.
    us.poke(BASE, &timespec_bytes(before.0, 0));
    k.syscall(SYS___clock_settime50, &[CLOCK_REALTIME as u64, BASE], &us)
        .unwrap();
    let now = k.sys_clock_gettime(CLOCK_REALTIME).unwrap();
    assert!((now.0 - before.0).abs() <= 1);
    assert_eq!(
        k.syscall(SYS___clock_settime50, &[CLOCK_MONOTONIC as u64, BASE], &us)
            .unwrap_err(),
        e(EINVAL)
    );
    assert_eq!(k.sys_clock_settime(9, now).unwrap_err(), e(EINVAL));
    k.sys_clock_settime(CLOCK_REALTIME, (-5, 0)).unwrap();
    let t = k.sys_clock_gettime(CLOCK_REALTIME).unwrap();
    assert!(t.0 < 0 && (0..1_000_000_000).contains(&t.1), "{t:?}");
    // A null time sets nothing and needs nothing.
    k.syscall(SYS___settimeofday50, &[0, 0], &us).unwrap();
    // Without root: EPERM for all three, even to read adjtime.
    k.sys_clock_settime(CLOCK_REALTIME, before).unwrap();
    k.syscall(SYS_setuid, &[100], &us).unwrap();
    us.poke(BASE, &timeval_bytes(before.0 + 60, 0));
    assert_eq!(
        k.syscall(SYS___settimeofday50, &[BASE, 0], &us)
            .unwrap_err(),
        e(EPERM)
    );
    assert_eq!(
        k.sys_clock_settime(CLOCK_REALTIME, before).unwrap_err(),
        e(EPERM)
    );
    assert_eq!(
        k.syscall(SYS___adjtime50, &[0, BASE + 64], &us)
            .unwrap_err(),
        e(EPERM)
    );
    k.syscall(SYS___settimeofday50, &[0, 0], &us).unwrap();
}

#[test]
fn adjtime_reports_what_is_left_as_netbsd_writes_it() {
    let k = common::boot();
    let us = space();
    let old = BASE + 64;
    us.poke(BASE, &timeval_bytes(5, 0));
    k.syscall(SYS___adjtime50, &[BASE, old], &us).unwrap();
    assert_eq!(read_timeval(&us, old), (0, 0));
    k.syscall(SYS___adjtime50, &[0, old], &us).unwrap();
    let left = read_timeval(&us, old);
    // 5000 µs a second is slewed in.
    assert!(left == (5, 0) || left.0 == 4, "{left:?}");
    // -0.5 s reads back as -1 s + 500000 µs; microseconds are not checked.
    us.poke(BASE, &timeval_bytes(-1, 500_000));
    k.syscall(SYS___adjtime50, &[BASE, 0], &us).unwrap();
    k.syscall(SYS___adjtime50, &[0, old], &us).unwrap();
    assert_eq!(read_timeval(&us, old), (-1, 500_000));
    us.poke(BASE, &timeval_bytes(0, 2_000_000));
    k.syscall(SYS___adjtime50, &[BASE, 0], &us).unwrap();
    assert_eq!(k.sys_adjtime(Some(0)).unwrap(), 2_000_000);
    assert_eq!(k.sys_adjtime(None).unwrap(), 0);
}

fn itimerval(interval_us: i64, value_us: i64) -> Vec<u8> {
    let mut b = timeval_bytes(interval_us / 1_000_000, (interval_us % 1_000_000) as i32);
    b.extend(timeval_bytes(
        value_us / 1_000_000,
        (value_us % 1_000_000) as i32,
    ));
    b
}

fn wait_for_signal(p: &rump::lwproc::Proc, sig: i32, within: Duration) -> Vec<i32> {
    let until = std::time::Instant::now() + within;
    let mut got = Vec::new();
    while std::time::Instant::now() < until {
        got.extend(p.take_pending_signals());
        if got.contains(&sig) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    got
}

#[test]
fn itimer_real_posts_sigalrm_and_the_others_keep_their_value() {
    let k = common::boot();
    let us = space();
    let l = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
    // Nothing set: zeros, for every timer; a fifth is EINVAL.
    for which in 0..=ITIMER_MONOTONIC {
        k.syscall(SYS___getitimer50, &[which as u64, BASE], &us)
            .unwrap();
        assert_eq!(us.peek(BASE, ITIMERVAL_SIZE), [0u8; ITIMERVAL_SIZE]);
    }
    assert_eq!(
        k.syscall(SYS___getitimer50, &[4, BASE], &us).unwrap_err(),
        e(EINVAL)
    );
    assert_eq!(
        k.syscall(SYS___setitimer50, &[u64::from(u32::MAX), BASE, 0], &us)
            .unwrap_err(),
        e(EINVAL)
    );
    // Microseconds out of range: EINVAL (and the old value was written).
    us.poke(BASE, &itimerval(0, 0));
    us.poke(BASE + 16, &timeval_bytes(0, 1_000_000));
    assert_eq!(
        k.syscall(SYS___setitimer50, &[0, BASE, BASE + 64], &us)
            .unwrap_err(),
        e(EINVAL)
    );
    // A virtual timer is charged no time in a rump kernel: it keeps its value.
    us.poke(BASE, &itimerval(0, 200_000));
    k.syscall(SYS___setitimer50, &[ITIMER_VIRTUAL as u64, BASE, 0], &us)
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    k.syscall(SYS___getitimer50, &[ITIMER_VIRTUAL as u64, BASE + 64], &us)
        .unwrap();
    assert_eq!(us.peek(BASE + 64, ITIMERVAL_SIZE), itimerval(0, 200_000));
    // ITIMER_REAL: 50 ms, SIGALRM once; counting down meanwhile.
    us.poke(BASE, &itimerval(0, 50_000));
    k.syscall(
        SYS___setitimer50,
        &[ITIMER_REAL as u64, BASE, BASE + 64],
        &us,
    )
    .unwrap();
    assert_eq!(
        us.peek(BASE + 64, ITIMERVAL_SIZE),
        [0u8; ITIMERVAL_SIZE],
        "nothing was set"
    );
    let (interval, value) = k.sys_getitimer(ITIMER_REAL).unwrap();
    assert_eq!(interval, (0, 0));
    assert!(
        value.0 == 0 && value.1 > 0 && value.1 <= 50_000_000,
        "{value:?}"
    );
    let got = wait_for_signal(l.proc(), SIGALRM, Duration::from_secs(5));
    assert_eq!(got, [SIGALRM]);
    std::thread::sleep(Duration::from_millis(100));
    assert!(l.proc().take_pending_signals().is_empty(), "once only");
    assert_eq!(k.sys_getitimer(ITIMER_REAL).unwrap(), ((0, 0), (0, 0)));
    // A short non-zero time becomes a tick (10 ms).
    k.sys_setitimer(ITIMER_MONOTONIC, (0, 1000), (5, 0))
        .unwrap();
    let (interval, _) = k.sys_getitimer(ITIMER_MONOTONIC).unwrap();
    assert_eq!(interval, (0, 10_000_000));
    k.sys_setitimer(ITIMER_MONOTONIC, (0, 0), (0, 0)).unwrap();
    assert_eq!(k.sys_getitimer(ITIMER_MONOTONIC).unwrap(), ((0, 0), (0, 0)));
}

/// A `struct sigevent` (`sys/signal.h`): `int sigev_notify; int
/// sigev_signo;`, a value and two pointers, 32 bytes.
fn sigevent(notify: i32, signo: i32) -> Vec<u8> {
    let mut b = notify.to_le_bytes().to_vec();
    b.extend_from_slice(&signo.to_le_bytes());
    b.resize(32, 0);
    b
}

fn itimerspec_bytes(interval: (i64, i64), value: (i64, i64)) -> Vec<u8> {
    let mut b = vec![0u8; itimerspec::SIZE];
    b[itimerspec::it_interval.range()].copy_from_slice(&timespec_bytes(interval.0, interval.1));
    b[itimerspec::it_value.range()].copy_from_slice(&timespec_bytes(value.0, value.1));
    b
}

#[test]
fn timer_create_checks_its_event_and_hands_out_ids_4_to_35() {
    let k = common::boot();
    let us = space();
    newproc(&k);
    let id_at = BASE + 256;
    let create = |clock: i32, ev: Option<Vec<u8>>| {
        let evp = ev.map_or(0, |ev| {
            us.poke(BASE, &ev);
            BASE
        });
        k.syscall(SYS_timer_create, &[clock as u64, evp, id_at], &us)
            .map(|_| i32::from_le_bytes(us.peek(id_at, 4).try_into().unwrap()))
    };
    assert_eq!(create(7, None).unwrap_err(), e(EINVAL));
    assert_eq!(
        create(CLOCK_REALTIME, Some(sigevent(4, 1))).unwrap_err(),
        e(EINVAL)
    );
    for bad in [0, 64, 99] {
        assert_eq!(
            create(CLOCK_REALTIME, Some(sigevent(SIGEV_SIGNAL, bad))).unwrap_err(),
            e(EINVAL)
        );
    }
    let first = create(CLOCK_MONOTONIC, Some(sigevent(SIGEV_NONE, 0))).unwrap();
    assert_eq!(first, 4);
    assert_eq!(create(CLOCK_VIRTUAL, None).unwrap(), 5);
    assert_eq!(create(CLOCK_PROF, None).unwrap(), 6);
    assert_eq!(
        create(CLOCK_REALTIME, Some(sigevent(SIGEV_THREAD, 0))).unwrap(),
        7
    );
    let mut last = 7;
    while let Ok(id) = create(CLOCK_REALTIME, None) {
        last = id;
    }
    assert_eq!(last, 35);
    assert_eq!(create(CLOCK_REALTIME, None).unwrap_err(), e(EAGAIN));
    k.syscall(SYS_timer_delete, &[5], &us).unwrap();
    assert_eq!(
        k.syscall(SYS_timer_delete, &[5], &us).unwrap_err(),
        e(EINVAL)
    );
    assert_eq!(create(CLOCK_REALTIME, None).unwrap(), 5);
    for bad in [0u64, 1, 36, u64::from(u32::MAX)] {
        assert_eq!(
            k.syscall(SYS_timer_delete, &[bad], &us).unwrap_err(),
            e(EINVAL)
        );
        assert_eq!(
            k.syscall(SYS_timer_getoverrun, &[bad], &us).unwrap_err(),
            e(EINVAL)
        );
    }
    // A new process has no timers.
    newproc(&k);
    assert_eq!(k.sys_timer_gettime(4).unwrap_err(), e(EINVAL));
    assert_eq!(k.sys_timer_create(CLOCK_REALTIME, None).unwrap(), 4);
}

#[test]
fn timer_settime_arms_relative_and_absolute_and_checks_times() {
    let k = common::boot();
    let us = space();
    newproc(&k);
    let id = k
        .sys_timer_create(CLOCK_REALTIME, Some((SIGEV_NONE, 0)))
        .unwrap();
    us.poke(BASE, &itimerspec_bytes((0, 0), (5, 0)));
    k.syscall(SYS___timer_settime50, &[id as u64, 0, BASE, BASE + 64], &us)
        .unwrap();
    assert_eq!(
        us.peek(BASE + 64, itimerspec::SIZE),
        [0u8; itimerspec::SIZE]
    );
    k.syscall(SYS___timer_gettime50, &[id as u64, BASE + 64], &us)
        .unwrap();
    let value = us.peek(BASE + 64, itimerspec::SIZE);
    let left = timespec::tv_sec
        .get(&value[itimerspec::it_value.range()])
        .unwrap();
    assert!(left == 4 || left == 5, "{left}");
    // Bad nanoseconds: EINVAL; a negative time: ETIMEDOUT (itimespecfix).
    us.poke(BASE, &itimerspec_bytes((0, 0), (0, 1_000_000_000)));
    assert_eq!(
        k.syscall(SYS___timer_settime50, &[id as u64, 0, BASE, 0], &us)
            .unwrap_err(),
        e(EINVAL)
    );
    us.poke(BASE, &itimerspec_bytes((0, 0), (-1, 0)));
    assert_eq!(
        k.syscall(SYS___timer_settime50, &[id as u64, 0, BASE, 0], &us)
            .unwrap_err(),
        e(ETIMEDOUT)
    );
    // Absolute, in the past: expires at once, nothing left.
    let now = k.sys_clock_gettime(CLOCK_REALTIME).unwrap();
    k.sys_timer_settime(id, TIMER_ABSTIME, ((0, 0), (now.0 - 10, 0)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(k.sys_timer_gettime(id).unwrap(), ((0, 0), (0, 0)));
    // Absolute in the future, on the monotonic clock.
    let mid = k
        .sys_timer_create(CLOCK_MONOTONIC, Some((SIGEV_NONE, 0)))
        .unwrap();
    let m = k.sys_clock_gettime(CLOCK_MONOTONIC).unwrap();
    k.sys_timer_settime(mid, TIMER_ABSTIME, ((1, 0), (m.0 + 100, 0)))
        .unwrap();
    let (interval, value) = k.sys_timer_gettime(mid).unwrap();
    assert_eq!(interval, (1, 0));
    assert!((98..=100).contains(&value.0), "{value:?}");
    // Disarmed by a zero value.
    k.sys_timer_settime(mid, 0, ((0, 0), (0, 0))).unwrap();
    assert_eq!(k.sys_timer_gettime(mid).unwrap(), ((0, 0), (0, 0)));
    assert_eq!(k.sys_timer_getoverrun(mid).unwrap(), 0);
    assert_eq!(
        k.sys_timer_settime(40, 0, ((0, 0), (1, 0))).unwrap_err(),
        e(EINVAL)
    );
}

#[test]
fn a_periodic_timer_counts_overruns_while_its_signal_waits() {
    let k = common::boot();
    let l = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
    let id = k
        .sys_timer_create(CLOCK_MONOTONIC, Some((SIGEV_SIGNAL, SIGUSR1)))
        .unwrap();
    // Every 20 ms; a local process keeps the signal pending, so every
    // expiry after the first is an overrun until the signal is taken.
    k.sys_timer_settime(id, 0, ((0, 20_000_000), (0, 20_000_000)))
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(l.proc().take_pending_signals(), [SIGUSR1]);
    let got = wait_for_signal(l.proc(), SIGUSR1, Duration::from_secs(5));
    assert_eq!(got, [SIGUSR1]);
    // Delivered after ~15 missed expiries: timer_getoverrun says so,
    // capped at DELAYTIMER_MAX (32).
    let over = k.sys_timer_getoverrun(id).unwrap();
    assert!((5..=32).contains(&over), "{over}");
    k.sys_timer_delete(id).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        l.proc().take_pending_signals().is_empty(),
        "deleted timers stay quiet"
    );
}

#[test]
fn timers_die_with_their_process() {
    let k = common::boot();
    let l = k.lwproc_rfork(rump::lwproc::RUMP_RFCFDG).unwrap();
    let p = std::sync::Arc::clone(l.proc());
    k.sys_setitimer(ITIMER_REAL, (0, 20_000_000), (0, 20_000_000))
        .unwrap();
    let id = k
        .sys_timer_create(CLOCK_REALTIME, Some((SIGEV_SIGNAL, SIGVTALRM)))
        .unwrap();
    k.sys_timer_settime(id, 0, ((0, 20_000_000), (0, 20_000_000)))
        .unwrap();
    k.lwproc_releaselwp();
    p.take_pending_signals();
    std::thread::sleep(Duration::from_millis(200));
    assert!(p.take_pending_signals().is_empty());
}

#[test]
fn a_new_files_times_come_from_the_kernels_clock() {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let us = space();
    // 2001-09-09 01:46:40 UTC.
    us.poke(BASE, &timespec_bytes(1_000_000_000, 0));
    k.syscall(SYS___clock_settime50, &[CLOCK_REALTIME as u64, BASE], &us)
        .unwrap();
    let fd = k.sys_open("/tmp/f", O_CREAT | O_RDWR, 0o644).unwrap();
    let st = k.sys_fstat(fd).unwrap();
    assert!(
        (1_000_000_000..1_000_000_010).contains(&st.mtime.0),
        "mtime {:?}",
        st.mtime
    );
    k.syscall(SYS___clock_gettime50, &[CLOCK_REALTIME as u64, BASE], &us)
        .unwrap();
    let now = timespec::tv_sec.get(&us.peek(BASE, 16)).unwrap() as i64;
    assert!((1_000_000_000..1_000_000_010).contains(&now));
}

#[test]
fn without_kernel_threads_a_timer_cannot_be_armed() {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig {
            threads: false,
            ..rump::BootConfig::default()
        })
        .console(Box::new(|_, _| ()))
        .boot()
        .unwrap();
    newproc(&k);
    assert_eq!(
        k.sys_setitimer(ITIMER_REAL, (0, 0), (1, 0)).unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(k.sys_getitimer(ITIMER_REAL).unwrap(), ((0, 0), (0, 0)));
    // Virtual timers need no thread: they never expire in a rump kernel.
    k.sys_setitimer(ITIMER_VIRTUAL, (0, 0), (1, 0)).unwrap();
    assert_eq!(k.sys_getitimer(ITIMER_VIRTUAL).unwrap(), ((0, 0), (1, 0)));
}
