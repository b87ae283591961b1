//! POSIX asynchronous I/O by number, after NetBSD's `tests/lib/libc/sys/
//! t_aio*` and `tests/kernel/t_lio`: jobs queued and served in order,
//! EINPROGRESS while they wait, results collected once, `aio_suspend`,
//! `lio_listio` in both modes, cancelling, and completion signals.

mod common;

use netbsd_abi as abi;
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use std::sync::Arc;
use std::time::Duration;

const BASE: u64 = 0x10000;
/// Two control blocks, their buffers, a list and a time.
const CB1: u64 = BASE;
const CB2: u64 = BASE + 0x100;
const CB3: u64 = BASE + 0x200;
const LIST: u64 = BASE + 0x300;
const TIME: u64 = BASE + 0x400;
const SIG: u64 = BASE + 0x500;
const PIPEFDS: u64 = BASE + 0x600;
const BUF1: u64 = BASE + 0x1000;
const BUF2: u64 = BASE + 0x2000;
const BUF3: u64 = BASE + 0x3000;

/// NetBSD's `struct aiocb` on amd64 (`sys/aio.h`): offset, buffer, length,
/// descriptor, list opcode, then the `sigevent` (notify, signo) and the
/// kernel's `_state`, `_errno`, `_retval`.
mod aiocb {
    pub const OFFSET: u64 = 0;
    pub const BUF: u64 = 8;
    pub const NBYTES: u64 = 16;
    pub const FILDES: u64 = 24;
    pub const LIO_OPCODE: u64 = 28;
    pub const SIGEV_NOTIFY: u64 = 40;
    pub const SIGEV_SIGNO: u64 = 44;
    pub const STATE: u64 = 72;
    pub const SIZE: usize = 88;
}
/// `LIO_*` and `AIO_*` of `sys/aio.h`, `SIGEV_SIGNAL` of `sys/signal.h`.
const LIO_NOP: u32 = 0;
const LIO_WRITE: u32 = 1;
const LIO_READ: u32 = 2;
const LIO_NOWAIT: u64 = 0;
const LIO_WAIT: u64 = 1;
const AIO_CANCELED: u64 = 1;
const AIO_NOTCANCELED: u64 = 2;
const AIO_ALLDONE: u64 = 3;
const SIGEV_SIGNAL: u32 = 1;
const JOB_DONE: u32 = 2;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpvfs::COMPONENT)
        .boot()
        .expect("boot")
}

fn space() -> BufferSpace {
    BufferSpace::new(BASE, 64 << 10)
}

/// Fill the control block at `cb`.
fn set_cb(us: &BufferSpace, cb: u64, fd: i32, offset: i64, buf: u64, n: u64, opcode: u32) {
    us.poke(cb, &[0; aiocb::SIZE]);
    us.poke(cb + aiocb::OFFSET, &offset.to_le_bytes());
    us.poke(cb + aiocb::BUF, &buf.to_le_bytes());
    us.poke(cb + aiocb::NBYTES, &n.to_le_bytes());
    us.poke(cb + aiocb::FILDES, &fd.to_le_bytes());
    us.poke(cb + aiocb::LIO_OPCODE, &opcode.to_le_bytes());
}

fn u32_at(us: &BufferSpace, a: u64) -> u32 {
    u32::from_le_bytes(us.peek(a, 4).try_into().unwrap())
}

fn u64_at(us: &BufferSpace, a: u64) -> u64 {
    u64::from_le_bytes(us.peek(a, 8).try_into().unwrap())
}

fn aio_error(k: &Kernel, us: &BufferSpace, cb: u64) -> Result<i32, Errno> {
    k.syscall(abi::SYS_aio_error, &[cb], us)
        .map(|r| r[0] as i32)
}

/// Wait for the job at `cb` with `aio_suspend` (a second at most).
fn suspend(k: &Kernel, us: &BufferSpace, cbs: &[u64], ms: i64) -> Result<(), Errno> {
    for (i, cb) in cbs.iter().enumerate() {
        us.poke(LIST + 8 * i as u64, &cb.to_le_bytes());
    }
    us.poke(TIME, &(ms / 1000).to_le_bytes());
    us.poke(TIME + 8, &((ms % 1000) * 1_000_000).to_le_bytes());
    k.syscall(
        abi::SYS___aio_suspend50,
        &[LIST, cbs.len() as u64, TIME],
        us,
    )
    .map(|_| ())
}

fn wait_done(k: &Kernel, us: &BufferSpace, cb: u64) {
    for _ in 0..50 {
        if aio_error(k, us, cb).unwrap() != abi::errno::EINPROGRESS {
            return;
        }
        let _ = suspend(k, us, &[cb], 100);
    }
    panic!("job at {cb:#x} never finished");
}

fn pipe(k: &Kernel, us: &BufferSpace) -> (i32, i32) {
    k.syscall(abi::SYS_pipe2, &[PIPEFDS, 0], us).unwrap();
    (u32_at(us, PIPEFDS) as i32, u32_at(us, PIPEFDS + 4) as i32)
}

#[test]
fn write_and_read_at_offsets_and_collect_once() {
    let k = boot();
    let us = space();
    let fd = k
        .sys_open("/tmp/f", abi::O_CREAT | abi::O_RDWR, 0o644)
        .unwrap();
    // No aio yet: aio_error and aio_return know no job.
    assert_eq!(aio_error(&k, &us, CB1), Err(Errno::EINVAL));
    us.poke(BUF1, b"hello aio");
    set_cb(&us, CB1, fd, 4, BUF1, 9, 0);
    k.syscall(abi::SYS_aio_write, &[CB1], &us).unwrap();
    wait_done(&k, &us, CB1);
    assert_eq!(aio_error(&k, &us, CB1), Ok(0));
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB1], &us).unwrap()[0], 9);
    assert_eq!(
        k.syscall(abi::SYS_aio_return, &[CB1], &us),
        Err(Errno::EINVAL),
        "a result is collected once"
    );
    let mut back = [0u8; 13];
    assert_eq!(k.sys_pread(fd, &mut back, 0).unwrap(), 13);
    assert_eq!(&back, b"\0\0\0\0hello aio");

    set_cb(&us, CB2, fd, 10, BUF2, 100, 0);
    k.syscall(abi::SYS_aio_read, &[CB2], &us).unwrap();
    wait_done(&k, &us, CB2);
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB2], &us).unwrap()[0], 3);
    assert_eq!(us.peek(BUF2, 3), b"aio");
    // As NetBSD's worker leaves them: the length moved, the offset past it.
    assert_eq!(u64_at(&us, CB2 + aiocb::NBYTES), 3);
    assert_eq!(u64_at(&us, CB2 + aiocb::OFFSET), 13);

    // fsync: O_SYNC or O_DSYNC only.
    set_cb(&us, CB3, fd, 0, 0, 0, 0);
    assert_eq!(
        k.syscall(abi::SYS_aio_fsync, &[0, CB3], &us),
        Err(Errno::EINVAL)
    );
    k.syscall(abi::SYS_aio_fsync, &[abi::O_SYNC as u64, CB3], &us)
        .unwrap();
    wait_done(&k, &us, CB3);
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB3], &us).unwrap()[0], 0);
}

#[test]
fn bad_requests_fail_at_once_or_in_their_result() {
    let k = boot();
    let us = space();
    set_cb(&us, CB1, 0, 0, 0, 10, 0);
    assert_eq!(
        k.syscall(abi::SYS_aio_read, &[CB1], &us),
        Err(Errno::EINVAL),
        "no buffer"
    );
    set_cb(&us, CB1, 0, 0, BUF1, 10, 0);
    us.poke(CB1 + aiocb::SIGEV_NOTIFY, &9u32.to_le_bytes());
    assert_eq!(
        k.syscall(abi::SYS_aio_read, &[CB1], &us),
        Err(Errno::EINVAL),
        "no such notification"
    );
    assert_eq!(k.syscall(abi::SYS_aio_read, &[0], &us), Err(Errno::EFAULT));
    // A descriptor that is not open: the job fails with EBADF.
    set_cb(&us, CB1, 77, 0, BUF1, 10, 0);
    k.syscall(abi::SYS_aio_read, &[CB1], &us).unwrap();
    wait_done(&k, &us, CB1);
    assert_eq!(aio_error(&k, &us, CB1), Ok(abi::errno::EBADF));
    assert_eq!(
        k.syscall(abi::SYS_aio_return, &[CB1], &us).unwrap()[0],
        u64::MAX
    );
    // Writing through a read-only descriptor.
    let fd = k
        .sys_open("/tmp/ro", abi::O_CREAT | abi::O_RDONLY, 0o644)
        .unwrap();
    set_cb(&us, CB2, fd, 0, BUF1, 1, 0);
    k.syscall(abi::SYS_aio_write, &[CB2], &us).unwrap();
    wait_done(&k, &us, CB2);
    assert_eq!(aio_error(&k, &us, CB2), Ok(abi::errno::EBADF));
    // A zero timeout never waits; nent must be 1 to aio_listio_max.
    assert_eq!(suspend(&k, &us, &[CB2], 0), Err(Errno::EAGAIN));
    assert_eq!(
        k.syscall(abi::SYS___aio_suspend50, &[LIST, 0, 0], &us),
        Err(Errno::EAGAIN)
    );
    assert_eq!(aio_error(&k, &us, 0), Err(Errno::EFAULT));
}

#[test]
fn a_blocked_job_is_in_progress_the_queued_one_behind_it_cancels() {
    let k = boot();
    let us = space();
    let (r, w) = pipe(&k, &us);
    set_cb(&us, CB1, r, 0, BUF1, 5, 0);
    k.syscall(abi::SYS_aio_read, &[CB1], &us).unwrap();
    set_cb(&us, CB2, r, 0, BUF2, 5, 0);
    k.syscall(abi::SYS_aio_read, &[CB2], &us).unwrap();
    // The same control block twice while it is queued.
    assert_eq!(
        k.syscall(abi::SYS_aio_read, &[CB2], &us),
        Err(Errno::EINVAL)
    );
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(aio_error(&k, &us, CB1), Ok(abi::errno::EINPROGRESS));
    assert_eq!(aio_error(&k, &us, CB2), Ok(abi::errno::EINPROGRESS));
    assert_eq!(
        k.syscall(abi::SYS_aio_return, &[CB1], &us),
        Err(Errno::EINVAL)
    );
    assert_eq!(suspend(&k, &us, &[CB1, CB2], 150), Err(Errno::EAGAIN));
    // The second waits in the queue: cancelled; but the first runs on
    // the same descriptor, and NetBSD's answer then says AIO_NOTCANCELED.
    assert_eq!(
        k.syscall(abi::SYS_aio_cancel, &[r as u64, CB2], &us)
            .unwrap()[0],
        AIO_NOTCANCELED
    );
    assert_eq!(aio_error(&k, &us, CB2), Ok(abi::errno::ECANCELED));
    // A job of another descriptor queued behind the running one.
    let (r2, _w2) = pipe(&k, &us);
    set_cb(&us, CB3, r2, 0, BUF3, 5, 0);
    k.syscall(abi::SYS_aio_read, &[CB3], &us).unwrap();
    assert_eq!(
        k.syscall(abi::SYS_aio_cancel, &[r2 as u64, 0], &us)
            .unwrap()[0],
        AIO_CANCELED
    );
    assert_eq!(aio_error(&k, &us, CB3), Ok(abi::errno::ECANCELED));
    assert_eq!(
        k.syscall(abi::SYS_aio_return, &[CB3], &us).unwrap()[0],
        u64::MAX
    );
    assert_eq!(
        k.syscall(abi::SYS_aio_cancel, &[r as u64, 0], &us).unwrap()[0],
        AIO_NOTCANCELED
    );
    assert_eq!(
        k.syscall(abi::SYS_aio_cancel, &[w as u64, 0], &us).unwrap()[0],
        AIO_ALLDONE
    );
    assert_eq!(
        k.syscall(abi::SYS_aio_cancel, &[99, 0], &us),
        Err(Errno::EBADF)
    );
    k.sys_write(w, b"piped").unwrap();
    suspend(&k, &us, &[CB1], 2000).unwrap();
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB1], &us).unwrap()[0], 5);
    assert_eq!(us.peek(BUF1, 5), b"piped");
}

#[test]
fn lio_listio_waits_or_signals() {
    let k = boot();
    let us = space();
    let fd = k
        .sys_open("/tmp/l", abi::O_CREAT | abi::O_RDWR, 0o644)
        .unwrap();
    us.poke(BUF1, b"one");
    us.poke(BUF2, b"two");
    set_cb(&us, CB1, fd, 0, BUF1, 3, LIO_WRITE);
    set_cb(&us, CB2, fd, 3, BUF2, 3, LIO_WRITE);
    set_cb(&us, CB3, fd, 0, BUF3, 3, LIO_NOP);
    for (i, cb) in [CB1, CB2, CB3].iter().enumerate() {
        us.poke(LIST + 8 * i as u64, &cb.to_le_bytes());
    }
    k.syscall(abi::SYS_lio_listio, &[LIO_WAIT, LIST, 3, 0], &us)
        .unwrap();
    // Done on return, results in place.
    assert_eq!(u32_at(&us, CB1 + aiocb::STATE), JOB_DONE);
    assert_eq!(u32_at(&us, CB2 + aiocb::STATE), JOB_DONE);
    assert_eq!(u32_at(&us, CB3 + aiocb::STATE), 0, "a LIO_NOP is no job");
    let mut back = [0u8; 6];
    k.sys_pread(fd, &mut back, 0).unwrap();
    assert_eq!(&back, b"onetwo");

    // LIO_NOWAIT with a signal for the list and one for a job.
    let proc = Arc::clone(k.procs().local_proc());
    proc.take_pending_signals();
    set_cb(&us, CB1, fd, 0, BUF3, 6, LIO_READ);
    us.poke(CB1 + aiocb::SIGEV_NOTIFY, &SIGEV_SIGNAL.to_le_bytes());
    us.poke(CB1 + aiocb::SIGEV_SIGNO, &abi::SIGUSR1.to_le_bytes());
    us.poke(SIG, &SIGEV_SIGNAL.to_le_bytes());
    us.poke(SIG + 4, &abi::SIGUSR2.to_le_bytes());
    k.syscall(abi::SYS_lio_listio, &[LIO_NOWAIT, LIST, 1, SIG], &us)
        .unwrap();
    wait_done(&k, &us, CB1);
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB1], &us).unwrap()[0], 6);
    assert_eq!(us.peek(BUF3, 6), b"onetwo");
    // Posted right after the results are published, as NetBSD's worker.
    let mut sigs = Vec::new();
    for _ in 0..100 {
        sigs.extend(proc.take_pending_signals());
        if sigs.len() >= 2 {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(sigs, [abi::SIGUSR1, abi::SIGUSR2]);

    // Bad modes, counts and entries.
    assert_eq!(
        k.syscall(abi::SYS_lio_listio, &[7, LIST, 1, 0], &us),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.syscall(abi::SYS_lio_listio, &[LIO_WAIT, LIST, 0, 0], &us),
        Err(Errno::EINVAL)
    );
    set_cb(&us, CB1, fd, 0, BUF1, 1, 9);
    assert_eq!(
        k.syscall(abi::SYS_lio_listio, &[LIO_WAIT, LIST, 1, 0], &us),
        Err(Errno::EIO)
    );
}

#[test]
fn the_aio_sysctls_are_netbsds() {
    let k = boot();
    assert_eq!(common::sysctl_int(&k, "kern.posix_aio"), 200112);
    assert_eq!(common::sysctl_int(&k, "kern.aio_listio_max"), 512);
    assert_eq!(common::sysctl_int(&k, "kern.aio_max"), 8192);
    let mib = k.sysctl().name_to_mib("kern.aio_listio_max").unwrap();
    let out = k
        .sys_sysctl(&mib, None, Some(&9000i32.to_le_bytes()))
        .unwrap();
    assert_eq!(out.result, Err(Errno::EINVAL), "above aio_max");
}

#[test]
fn a_read_longer_than_any_memory_reads_what_the_file_has() {
    let k = boot();
    let us = space();
    let fd = k
        .sys_open("/tmp/short", abi::O_CREAT | abi::O_RDWR, 0o644)
        .unwrap();
    k.sys_write(fd, b"abc").unwrap();
    // Within SSIZE_MAX, far beyond what the host could allocate at once
    // (found by the capi_calls fuzz target, which aborted the process).
    set_cb(&us, CB1, fd, 0, BUF1, 0x0000_9898_9898_9898, 0);
    k.syscall(abi::SYS_aio_read, &[CB1], &us).unwrap();
    wait_done(&k, &us, CB1);
    assert_eq!(k.syscall(abi::SYS_aio_return, &[CB1], &us).unwrap()[0], 3);
    assert_eq!(us.peek(BUF1, 3), b"abc");
}
