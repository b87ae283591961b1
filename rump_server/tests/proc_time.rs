//! Timers, sessions and the clock seen by a remote client: a timer's
//! signal reaches the client as a RAISE (as NetBSD's rump kernel sends
//! it, with the client's next exchange), and the clock root sets is the
//! one the client reads.

mod common;

use netbsd_abi::errno::EPERM;
use netbsd_abi::layout::{itimerspec, timespec, timeval};
use netbsd_abi::{
    CLOCK_MONOTONIC, SIGALRM, SIGUSR2, SYS___gettimeofday50, SYS___setitimer50,
    SYS___settimeofday50, SYS___timer_settime50, SYS_getpgrp, SYS_getsid, SYS_setsid, SYS_setuid,
    SYS_timer_create, SYS_timer_delete,
};
use rumpclient::{Client, Regions, SignalDelivery};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `SIGEV_SIGNAL` (`sys/signal.h`).
const SIGEV_SIGNAL: i32 = 1;
/// `struct sigevent` (`sys/signal.h`): `int sigev_notify; int
/// sigev_signo;` and a value and two pointers, 32 bytes.
const SIGEV_NOTIFY: std::ops::Range<usize> = 0..4;
const SIGEV_SIGNO: std::ops::Range<usize> = 4..8;
const SIGEVENT_SIZE: usize = 32;
/// `ITIMER_REAL` (`sys/time.h`).
const ITIMER_REAL: u64 = 0;

fn serve(name: &str) -> (Arc<rump::Kernel>, rump_server::SpServer, Client) {
    let (k, server, url) = common::in_process_server(name, &[]);
    let c = Client::connect(&url).unwrap();
    // Raised, the signals would end the test program.
    c.set_signal_delivery(SignalDelivery::Record);
    (k, server, c)
}

/// Make harmless calls until the client has recorded `n` signals.
fn signals_within(c: &Client, n: usize, within: Duration) -> Vec<u32> {
    let until = Instant::now() + within;
    let mut got = Vec::new();
    while got.len() < n && Instant::now() < until {
        c.getpid().unwrap();
        got.extend(c.take_signals());
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

fn timeval_bytes(sec: i64, usec: i64) -> Vec<u8> {
    let mut b = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut b, sec as u64);
    timeval::tv_usec.put(&mut b, usec as u64);
    b
}

#[test]
fn a_posix_timer_and_itimer_real_signal_a_remote_client() {
    let (_k, _server, c) = serve("timers");
    let m = Regions::new();
    let mut ev = [0u8; SIGEVENT_SIZE];
    ev[SIGEV_NOTIFY].copy_from_slice(&SIGEV_SIGNAL.to_le_bytes());
    ev[SIGEV_SIGNO].copy_from_slice(&SIGUSR2.to_le_bytes());
    let evp = m.add(&ev);
    let idp = m.add_zeroed(4);
    c.syscall(SYS_timer_create, &[CLOCK_MONOTONIC as u64, evp, idp], &m)
        .unwrap();
    let id = i32::from_le_bytes(m.get(idp)[..4].try_into().unwrap());
    assert_eq!(id, 4, "the first id, as NetBSD's TIMER_MIN");
    // Every 30 ms, from 30 ms on.
    let mut its = [0u8; itimerspec::SIZE];
    for half in [itimerspec::it_interval, itimerspec::it_value] {
        let ts = &mut its[half.range()];
        timespec::tv_nsec.put(ts, 30_000_000);
    }
    let itsp = m.add(&its);
    c.syscall(SYS___timer_settime50, &[id as u64, 0, itsp, 0], &m)
        .unwrap();
    let got = signals_within(&c, 3, Duration::from_secs(10));
    assert!(got.len() >= 3, "{got:?}");
    assert!(got.iter().all(|&s| s == SIGUSR2 as u32), "{got:?}");
    c.syscall(SYS_timer_delete, &[id as u64], &m).unwrap();
    c.take_signals();
    std::thread::sleep(Duration::from_millis(100));
    c.getpid().unwrap();
    assert!(c.take_signals().len() <= 1, "at most one was on its way");
    c.getpid().unwrap();
    assert_eq!(c.take_signals(), [], "a deleted timer is quiet");

    // setitimer(ITIMER_REAL, 50 ms): one SIGALRM.
    let mut itv = timeval_bytes(0, 0);
    itv.extend(timeval_bytes(0, 50_000));
    let itvp = m.add(&itv);
    c.syscall(SYS___setitimer50, &[ITIMER_REAL, itvp, 0], &m)
        .unwrap();
    let got = signals_within(&c, 1, Duration::from_secs(10));
    assert_eq!(got, [SIGALRM as u32]);
}

#[test]
fn a_remote_client_sets_the_clock_as_root_only_and_starts_in_session_zero() {
    let (k, _server, c) = serve("clock");
    let m = Regions::new();
    assert_eq!(c.syscall(SYS_getpgrp, &[], &m).unwrap()[0], 0);
    assert_eq!(c.syscall(SYS_getsid, &[0], &m).unwrap()[0], 0);
    let pid = c.getpid().unwrap();
    assert_eq!(c.syscall(SYS_setsid, &[], &m).unwrap()[0], i64::from(pid));
    let host = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let tv = m.add(&timeval_bytes(host + 86_400, 0));
    c.syscall(SYS___settimeofday50, &[tv, 0], &m).unwrap();
    let out = m.add_zeroed(timeval::SIZE);
    c.syscall(SYS___gettimeofday50, &[out, 0], &m).unwrap();
    let sec = timeval::tv_sec.get(&m.get(out)).unwrap() as i64;
    assert!((sec - host - 86_400).abs() <= 2, "{sec} vs {host}");
    // The kernel's clock, not the host's: the server's process reads it too.
    let ours = k.sys_clock_gettime(netbsd_abi::CLOCK_REALTIME).unwrap().0;
    assert!((ours - host - 86_400).abs() <= 2);
    c.syscall(SYS_setuid, &[1000], &m).unwrap();
    assert_eq!(
        c.syscall(SYS___settimeofday50, &[tv, 0], &m).unwrap_err().0,
        EPERM
    );
}
