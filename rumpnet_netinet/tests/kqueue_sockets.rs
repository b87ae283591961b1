//! EVFILT_READ and EVFILT_WRITE on sockets, with the answers NetBSD 7.99's
//! rump kernel gave to the same calls (measured with a C client of the
//! peer): local stream pairs with EV_EOF after the peer closes, a
//! listener's data as its ready connections, UDP's data counting the
//! senders' addresses, TCP before and after connecting and after a FIN.

use netbsd_abi::{AF_INET, AF_LOCAL, SOCK_DGRAM, SOCK_STREAM};
use rump::kqueue::Kevent;
use rump::kqueue::consts::*;
use rump::usermem::BufferSpace;
use rump::{BootConfig, Kernel, KernelBuilder};
use std::sync::Arc;
use std::time::Duration;

const NOW: Option<Duration> = Some(Duration::ZERO);
/// Where the test's "user memory" lives.
const MEM: u64 = 0x1000;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot")
}

fn call(k: &Kernel, us: &BufferSpace, n: usize, args: &[u64]) -> i64 {
    k.syscall(n, args, us).expect("syscall")[0] as i64
}

/// A `sockaddr_in` for 127.0.0.1:`port` at `at`.
fn sin(us: &BufferSpace, at: u64, port: u16) {
    let mut sa = [0u8; 16];
    sa[0] = 16;
    sa[1] = AF_INET as u8;
    sa[2..4].copy_from_slice(&port.to_be_bytes());
    sa[4..8].copy_from_slice(&[127, 0, 0, 1]);
    us.poke(at, &sa);
}

/// The one event of filter `filter` on `fd` now, added and deleted again.
fn one(k: &Kernel, q: i32, fd: i64, filter: u32) -> Option<Kevent> {
    let add = Kevent {
        ident: fd as u64,
        filter,
        flags: EV_ADD,
        ..Kevent::default()
    };
    let out = k.sys_kevent(q, &[add], 8, NOW).unwrap();
    let del = Kevent {
        flags: EV_DELETE,
        ..add
    };
    k.sys_kevent(q, &[del], 0, NOW).unwrap();
    out.first().map(|e| {
        assert_eq!(e.filter, filter);
        *e
    })
}

fn data_and_eof(e: Option<Kevent>) -> Option<(i64, bool)> {
    e.map(|e| (e.data, e.flags & EV_EOF != 0))
}

#[test]
fn local_streams_listeners_and_datagrams() {
    let k = boot();
    let us = BufferSpace::new(MEM, 0x1000);
    let q = k.sys_kqueue1(0).unwrap();
    let pair = |typ: i32| {
        let args = [AF_LOCAL as u64, typ as u64, 0, MEM];
        call(&k, &us, netbsd_abi::SYS_socketpair, &args);
        let b = us.peek(MEM, 8);
        let fd = |i: usize| i64::from(i32::from_le_bytes(b[i..i + 4].try_into().unwrap()));
        (fd(0), fd(4))
    };
    let (a, b) = pair(SOCK_STREAM);
    // The peer: nothing to read; room 4096 to write; 3 bytes; EOF both ways.
    assert_eq!(one(&k, q, a, EVFILT_READ), None);
    assert_eq!(
        data_and_eof(one(&k, q, a, EVFILT_WRITE)),
        Some((4096, false))
    );
    k.sys_write(b as i32, b"abc").unwrap();
    assert_eq!(data_and_eof(one(&k, q, a, EVFILT_READ)), Some((3, false)));
    let e = k.sys_kevent(
        q,
        &[Kevent {
            ident: a as u64,
            filter: EVFILT_VNODE,
            flags: EV_ADD,
            ..Kevent::default()
        }],
        0,
        NOW,
    );
    assert_eq!(e.unwrap_err(), rump::Errno::EINVAL);
    k.sys_close(b as i32).unwrap();
    assert_eq!(data_and_eof(one(&k, q, a, EVFILT_READ)), Some((3, true)));
    assert_eq!(
        data_and_eof(one(&k, q, a, EVFILT_WRITE)),
        Some((4096, true))
    );
    // A listener's data: the connections ready to accept.
    let l = call(
        &k,
        &us,
        netbsd_abi::SYS___socket30,
        &[AF_LOCAL as u64, SOCK_STREAM as u64, 0],
    );
    let mut sun = vec![12u8, AF_LOCAL as u8];
    sun.extend_from_slice(b"/ls\0");
    us.poke(MEM + 0x100, &sun);
    call(&k, &us, netbsd_abi::SYS_bind, &[l as u64, MEM + 0x100, 12]);
    call(&k, &us, netbsd_abi::SYS_listen, &[l as u64, 5]);
    assert_eq!(one(&k, q, l, EVFILT_READ), None);
    for _ in 0..2 {
        let c = call(
            &k,
            &us,
            netbsd_abi::SYS___socket30,
            &[AF_LOCAL as u64, SOCK_STREAM as u64, 0],
        );
        call(
            &k,
            &us,
            netbsd_abi::SYS_connect,
            &[c as u64, MEM + 0x100, 12],
        );
    }
    assert_eq!(data_and_eof(one(&k, q, l, EVFILT_READ)), Some((2, false)));
    assert_eq!(one(&k, q, l, EVFILT_WRITE), None);
}

#[test]
fn udp_and_tcp() {
    let k = boot();
    let us = BufferSpace::new(MEM, 0x1000);
    let q = k.sys_kqueue1(0).unwrap();
    let socket = |typ: i32| {
        call(
            &k,
            &us,
            netbsd_abi::SYS___socket30,
            &[AF_INET as u64, typ as u64, 0],
        )
    };
    // UDP: room 9216; two datagrams of 5 and 2 bytes from a sockaddr_in
    // each are 39 bytes in the buffer, as NetBSD's sb_cc counts them.
    let u = socket(SOCK_DGRAM);
    sin(&us, MEM, 12345);
    call(&k, &us, netbsd_abi::SYS_bind, &[u as u64, MEM, 16]);
    assert_eq!(one(&k, q, u, EVFILT_READ), None);
    assert_eq!(
        data_and_eof(one(&k, q, u, EVFILT_WRITE)),
        Some((9216, false))
    );
    us.poke(MEM + 0x100, b"helloxy");
    call(
        &k,
        &us,
        netbsd_abi::SYS_sendto,
        &[u as u64, MEM + 0x100, 5, 0, MEM, 16],
    );
    call(
        &k,
        &us,
        netbsd_abi::SYS_sendto,
        &[u as u64, MEM + 0x105, 2, 0, MEM, 16],
    );
    // Datagrams to the kernel's own address come back through lo0's
    // queue: wait until both are in.
    let mut last = None;
    for _ in 0..100 {
        last = data_and_eof(one(&k, q, u, EVFILT_READ));
        if last == Some((39, false)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(last, Some((39, false)));
    // TCP: nothing fires before connecting; the listener's queue; data;
    // EV_EOF once the peer's FIN is in.
    let l = socket(SOCK_STREAM);
    sin(&us, MEM, 12346);
    call(&k, &us, netbsd_abi::SYS_bind, &[l as u64, MEM, 16]);
    call(&k, &us, netbsd_abi::SYS_listen, &[l as u64, 5]);
    let c = socket(SOCK_STREAM);
    assert_eq!(one(&k, q, c, EVFILT_READ), None);
    assert_eq!(one(&k, q, c, EVFILT_WRITE), None);
    call(&k, &us, netbsd_abi::SYS_connect, &[c as u64, MEM, 16]);
    let wait = |fd: i64| {
        let add = Kevent {
            ident: fd as u64,
            filter: EVFILT_READ,
            flags: EV_ADD | EV_ONESHOT,
            ..Kevent::default()
        };
        k.sys_kevent(q, &[add], 8, Some(Duration::from_secs(10)))
            .unwrap()[0]
    };
    assert_eq!(wait(l).data, 1);
    let a = call(&k, &us, netbsd_abi::SYS_accept, &[l as u64, 0, 0]);
    assert!(one(&k, q, c, EVFILT_WRITE).is_some());
    k.sys_write(a as i32, b"hello").unwrap();
    assert_eq!(wait(c).data, 5);
    call(&k, &us, netbsd_abi::SYS_shutdown, &[a as u64, 1]);
    // The FIN follows the data: wait for it to arrive.
    let mut last = None;
    for _ in 0..100 {
        last = data_and_eof(one(&k, q, c, EVFILT_READ));
        if last == Some((5, true)) {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(last, Some((5, true)));
}
