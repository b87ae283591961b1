//! `sendmmsg` and `recvmmsg` by number over a local datagram pair, after
//! NetBSD's `tests/lib/libc/sys/t_sendmmsg.c` and `t_recvmmsg.c`: batches,
//! partial counts, `MSG_WAITFORONE`, truncation and the errors.

use netbsd_abi as abi;
use netbsd_abi::layout::{iovec, mmsghdr, msghdr};
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel, KernelBuilder};
use std::sync::Arc;
use std::time::{Duration, Instant};

const BASE: u64 = 0x10000;
const PAIR: u64 = BASE;
/// The `mmsghdr` array, then one `iovec` and one buffer per message.
const MSGS: u64 = BASE + 0x100;
const IOVS: u64 = BASE + 0x1000;
const BUFS: u64 = BASE + 0x2000;
const BUF_STEP: u64 = 0x100;
/// `MSG_IOVUSRSPACE`, which NetBSD's sendmmsg leaves in each `msg_flags`.
const MSG_IOVUSRSPACE: i32 = netbsd_abi::MSG_IOVUSRSPACE;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .boot()
        .expect("boot")
}

fn pair(k: &Kernel, us: &BufferSpace) -> (u64, u64) {
    k.syscall(
        abi::SYS_socketpair,
        &[abi::AF_LOCAL as u64, abi::SOCK_DGRAM as u64, 0, PAIR],
        us,
    )
    .expect("socketpair");
    let fd = |o| u64::from(u32::from_le_bytes(us.peek(PAIR + o, 4).try_into().unwrap()));
    (fd(0), fd(4))
}

fn at(f: netbsd_abi::Field, base: u64) -> u64 {
    base + f.offset as u64
}

/// Message `i`: one buffer of `len` bytes holding `data` (when sending).
fn set_msg(us: &BufferSpace, i: u64, data: &[u8], len: usize) {
    let m = MSGS + i * mmsghdr::SIZE as u64;
    let iov = IOVS + i * iovec::SIZE as u64;
    let buf = BUFS + i * BUF_STEP;
    us.poke(m, &[0; mmsghdr::SIZE]);
    us.poke(buf, data);
    us.poke(at(iovec::iov_base, iov), &buf.to_le_bytes());
    us.poke(at(iovec::iov_len, iov), &(len as u64).to_le_bytes());
    us.poke(at(msghdr::msg_iov, m), &iov.to_le_bytes());
    us.poke(at(msghdr::msg_iovlen, m), &1u32.to_le_bytes());
}

fn msg_len(us: &BufferSpace, i: u64) -> u32 {
    let m = MSGS + i * mmsghdr::SIZE as u64;
    u32::from_le_bytes(us.peek(at(mmsghdr::msg_len, m), 4).try_into().unwrap())
}

fn msg_flags(us: &BufferSpace, i: u64) -> i32 {
    let m = MSGS + i * mmsghdr::SIZE as u64;
    i32::from_le_bytes(us.peek(at(msghdr::msg_flags, m), 4).try_into().unwrap())
}

fn data(us: &BufferSpace, i: u64, n: usize) -> Vec<u8> {
    us.peek(BUFS + i * BUF_STEP, n)
}

fn sendmmsg(k: &Kernel, us: &BufferSpace, fd: u64, vlen: u64, flags: i32) -> Result<u64, Errno> {
    k.syscall(abi::SYS_sendmmsg, &[fd, MSGS, vlen, flags as u64], us)
        .map(|r| r[0])
}

fn recvmmsg(k: &Kernel, us: &BufferSpace, fd: u64, vlen: u64, flags: i32) -> Result<u64, Errno> {
    k.syscall(abi::SYS_recvmmsg, &[fd, MSGS, vlen, flags as u64, 0], us)
        .map(|r| r[0])
}

#[test]
fn batches_go_and_come_with_their_lengths() {
    let k = boot();
    let us = BufferSpace::new(BASE, 64 << 10);
    let (a, b) = pair(&k, &us);
    let sent: [&[u8]; 3] = [b"one", b"second", b"3"];
    for (i, d) in sent.iter().enumerate() {
        set_msg(&us, i as u64, d, d.len());
    }
    assert_eq!(sendmmsg(&k, &us, a, 3, 0), Ok(3));
    for (i, d) in sent.iter().enumerate() {
        assert_eq!(msg_len(&us, i as u64) as usize, d.len());
        assert_eq!(msg_flags(&us, i as u64), MSG_IOVUSRSPACE);
    }
    for i in 0..4 {
        set_msg(&us, i, &[0; 16], 16);
    }
    assert_eq!(recvmmsg(&k, &us, b, 2, 0), Ok(2));
    assert_eq!(data(&us, 0, 3), b"one");
    assert_eq!(data(&us, 1, 6), b"second");
    assert_eq!((msg_len(&us, 0), msg_len(&us, 1)), (3, 6));
    // As NetBSD's: the flags passed and what happened come back in
    // msg_flags (sendmmsg leaves its MSG_IOVUSRSPACE mark).
    assert_eq!(msg_flags(&us, 0), 0);
    // The rest, without waiting for more; then nothing.
    assert_eq!(recvmmsg(&k, &us, b, 4, abi::MSG_DONTWAIT), Ok(1));
    assert_eq!(data(&us, 0, 1), b"3");
    assert_eq!(msg_flags(&us, 0), abi::MSG_DONTWAIT);
    assert_eq!(
        recvmmsg(&k, &us, b, 4, abi::MSG_DONTWAIT),
        Err(Errno::EAGAIN)
    );
    assert_eq!(recvmmsg(&k, &us, b, 0, 0), Ok(0));
}

#[test]
fn a_datagram_cut_short_says_so() {
    let k = boot();
    let us = BufferSpace::new(BASE, 64 << 10);
    let (a, b) = pair(&k, &us);
    set_msg(&us, 0, b"too long for it", 15);
    assert_eq!(sendmmsg(&k, &us, a, 1, 0), Ok(1));
    set_msg(&us, 0, &[0; 4], 4);
    assert_eq!(recvmmsg(&k, &us, b, 1, 0), Ok(1));
    assert_eq!(msg_len(&us, 0), 4);
    assert_eq!(data(&us, 0, 4), b"too ");
    assert_eq!(msg_flags(&us, 0), abi::MSG_TRUNC);
}

#[test]
fn waitforone_waits_for_the_first_only() {
    let k = boot();
    let us = Arc::new(BufferSpace::new(BASE, 64 << 10));
    let (a, b) = pair(&k, &us);
    for i in 0..4 {
        set_msg(&us, i, &[0; 16], 16);
    }
    let (k2, us2) = (Arc::clone(&k), Arc::clone(&us));
    let t = Instant::now();
    let reader = std::thread::spawn(move || recvmmsg(&k2, &us2, b, 4, abi::MSG_WAITFORONE));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!reader.is_finished(), "returned before anything came");
    k.with_ctx(|ctx| {
        let f = ctx.proc().fdt().get(a as i32)?;
        f.ops().write(ctx, b"late", None)
    })
    .unwrap();
    assert_eq!(reader.join().unwrap(), Ok(1));
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert_eq!(data(&us, 0, 4), b"late");
}

#[test]
fn a_failure_after_some_counts_them_and_on_the_first_is_the_error() {
    let k = boot();
    let us = BufferSpace::new(BASE, 64 << 10);
    let (a, b) = pair(&k, &us);
    set_msg(&us, 0, b"ok", 2);
    set_msg(&us, 1, b"bad", 3);
    // The second message's buffer lies outside the caller's memory.
    let iov1 = IOVS + iovec::SIZE as u64;
    us.poke(at(iovec::iov_base, iov1), &8u64.to_le_bytes());
    assert_eq!(sendmmsg(&k, &us, a, 2, 0), Ok(1));
    set_msg(&us, 0, b"x", 1);
    us.poke(at(iovec::iov_base, IOVS), &8u64.to_le_bytes());
    assert_eq!(sendmmsg(&k, &us, a, 1, 0), Err(Errno::EFAULT));
    // More buffers than IOV_MAX.
    set_msg(&us, 0, b"x", 1);
    us.poke(at(msghdr::msg_iovlen, MSGS), &2000u32.to_le_bytes());
    assert_eq!(sendmmsg(&k, &us, a, 1, 0), Err(Errno::EMSGSIZE));
    // Not sockets.
    assert_eq!(sendmmsg(&k, &us, 99, 1, 0), Err(Errno::EBADF));
    assert_eq!(recvmmsg(&k, &us, 99, 1, 0), Err(Errno::EBADF));
    k.syscall(abi::SYS_pipe2, &[PAIR, 0], &us).unwrap();
    let p = u64::from(u32::from_le_bytes(us.peek(PAIR, 4).try_into().unwrap()));
    assert_eq!(recvmmsg(&k, &us, p, 1, 0), Err(Errno::ENOTSOCK));
    // The one datagram that went.
    set_msg(&us, 0, &[0; 8], 8);
    assert_eq!(recvmmsg(&k, &us, b, 1, abi::MSG_DONTWAIT), Ok(1));
    assert_eq!(data(&us, 0, 2), b"ok");
}
