//! POSIX asynchronous I/O, as NetBSD's `sys/kern/sys_aio.c`: `aio_read`,
//! `aio_write`, `aio_fsync` and `lio_listio` queue jobs on the calling
//! process's queue, which a kernel thread of the process's own serves in
//! order; `aio_error` and `aio_return` read the state the kernel keeps in
//! the caller's `struct aiocb` (`_state`, `_errno`, `_retval`), so a result
//! is collected once; `aio_suspend` waits for one of a list;
//! `aio_cancel` takes queued jobs off (a running one goes on).
//!
//! The files are reached through the descriptor layer ([`FileOps`] read and
//! write at an offset, `fsync`), whatever the file is.
//!
//! One difference in mechanism, not in what a caller sees through the
//! calls: the worker cannot reach the caller's memory outside a call (a
//! remote client's memory is reached over its connection, one call at a
//! time), so a write's data is copied in when it is queued, and a finished
//! job's data and `aiocb` are copied out at the process's next aio call,
//! before that call reads any `aiocb`. Completion signals are posted when
//! the job finishes, as NetBSD's worker does; a handler then calls
//! `aio_error`/`aio_return` as POSIX asks.
//!
//! [`FileOps`]: crate::file::FileOps

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::kmem::MemCharge;
use crate::lwproc::{Proc, ProcData};
use crate::sync::lock;
use crate::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use crate::sysctl::{CTLFLAG_IMMEDIATE, CTLFLAG_READWRITE, NodeData, NodeSpec, SysctlValue};
use crate::usermem::{UserSpace, copyin_array, copyin_vec};
use crate::waitgen::WaitGen;
use netbsd_abi::layout::timespec;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicI32, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// NetBSD's `struct aiocb` on amd64 (`sys/aio.h`), which the measured
/// layouts lack:
///
/// ```text
///  0 off_t aio_offset      8 void *aio_buf      16 size_t aio_nbytes
/// 24 int aio_fildes       28 int aio_lio_opcode 32 int aio_reqprio  (36: pad)
/// 40 struct sigevent aio_sigevent (32 bytes, see `sigevent` below)
/// 72 int _state           76 int _errno         80 ssize_t _retval   (88 in all)
/// ```
mod aiocb {
    use netbsd_abi::Field;

    const fn field(offset: usize, size: usize) -> Field {
        Field::bytes(offset, size)
    }

    pub const OFFSET: Field = field(0, 8);
    pub const BUF: Field = field(8, 8);
    pub const NBYTES: Field = field(16, 8);
    pub const FILDES: Field = field(24, 4);
    pub const LIO_OPCODE: Field = field(28, 4);
    pub const SIGEVENT: usize = 40;
    pub const STATE: Field = field(72, 4);
    pub const ERRNO: Field = field(76, 4);
    pub const RETVAL: Field = field(80, 8);
    pub const SIZE: usize = 88;
}

/// NetBSD's `struct sigevent` (`sys/signal.h`): `int sigev_notify` at 0,
/// `int sigev_signo` at 4, `union sigval sigev_value` at 8, the notify
/// function at 16 and its attributes at 24; 32 bytes.
mod sigevent {
    use netbsd_abi::Field;

    pub const NOTIFY: Field = Field {
        offset: 0,
        size: 4,
        bit_offset: 0,
        bit_width: 0,
    };
    pub const SIGNO: Field = Field {
        offset: 4,
        size: 4,
        bit_offset: 0,
        bit_width: 0,
    };
    pub const SIZE: usize = 32;
}

/// `_state` of an `aiocb` (`JOB_NONE`, `JOB_WIP`, `JOB_DONE`, `sys/aio.h`).
const JOB_NONE: u64 = 0;
const JOB_WIP: u64 = 1;
const JOB_DONE: u64 = 2;
/// `aio_lio_opcode` values and `lio_listio` modes (`sys/aio.h`).
const LIO_NOP: i32 = 0;
const LIO_WRITE: i32 = 1;
const LIO_READ: i32 = 2;
const LIO_NOWAIT: i32 = 0;
const LIO_WAIT: i32 = 1;
/// `aio_cancel` answers (`sys/aio.h`).
const AIO_CANCELED: u64 = 1;
const AIO_NOTCANCELED: u64 = 2;
const AIO_ALLDONE: u64 = 3;
/// `sigev_notify` values (`sys/signal.h`): none, and the highest accepted
/// (`SIGEV_SA`).
const SIGEV_NONE: i32 = 0;
const SIGEV_SA: i32 = 3;
/// Default `kern.aio_listio_max` and `kern.aio_max` (`sys/aio.h`).
const AIO_LISTIO_MAX: i32 = 512;
const AIO_MAX: i32 = AIO_LISTIO_MAX * 16;
/// `kern.posix_aio`: `_POSIX_ASYNCHRONOUS_IO` (`unistd.h`).
const POSIX_ASYNCHRONOUS_IO: i32 = 200112;
/// A rump kernel's clock ticks (`hz`), which `aio_suspend`'s timeout is
/// rounded down to (`mstohz`).
const HZ: i64 = 100;
/// How long the worker and waiters sleep before looking whether the
/// process is leaving.
const SLICE: Duration = Duration::from_millis(100);
/// `SSIZE_MAX`.
const SSIZE_MAX: u64 = i64::MAX as u64;

/// The limits and the count of queued jobs of the whole kernel.
struct AioLimits {
    jobs: AtomicUsize,
    max: AtomicI32,
    listio_max: AtomicI32,
}

impl Default for AioLimits {
    fn default() -> Self {
        AioLimits {
            jobs: AtomicUsize::new(0),
            max: AtomicI32::new(AIO_MAX),
            listio_max: AtomicI32::new(AIO_LISTIO_MAX),
        }
    }
}

impl AioLimits {
    fn max(&self) -> usize {
        self.max.load(Ordering::Relaxed).max(0) as usize
    }

    fn listio_max(&self) -> usize {
        self.listio_max.load(Ordering::Relaxed).max(0) as usize
    }
}

fn limits(k: &Kernel) -> Arc<AioLimits> {
    k.extension(AioLimits::default)
}

/// What a job does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Read,
    Write,
    Sync,
}

/// One `lio_listio` call's jobs: the call holds one reference, each
/// queued job one more; the last to go posts the list's signal.
struct Lio {
    refs: AtomicU32,
    sig: [u8; sigevent::SIZE],
}

/// A queued, running or finished job.
struct Job {
    /// The caller's `aiocb`.
    uptr: u64,
    /// The kernel's copy of it.
    cb: [u8; aiocb::SIZE],
    op: Op,
    /// A write's data, or what a read read.
    data: Vec<u8>,
    lio: Option<Arc<Lio>>,
    _charge: Option<MemCharge>,
}

impl Job {
    fn fd(&self) -> i32 {
        aiocb::FILDES.get(&self.cb).unwrap_or_default() as u32 as i32
    }
}

#[derive(Default)]
struct Queue {
    queued: VecDeque<Job>,
    /// The running job's `aiocb` address and descriptor.
    current: Option<(u64, i32)>,
    /// Finished jobs whose results the caller has not been given yet.
    finished: Vec<Job>,
    worker: bool,
}

/// A process's aio state (`struct aioproc`).
#[derive(Default)]
struct AioProc {
    queue: Mutex<Queue>,
    work: Condvar,
    done: WaitGen,
}

impl ProcData for AioProc {
    /// A child starts without aio, as NetBSD's `p_aio` at fork.
    fn fork(&self) -> Self {
        AioProc::default()
    }
}

impl AioProc {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        lock(&self.queue)
    }
}

/// The process's aio state, if it has used aio.
fn aio_of(ctx: &Ctx) -> Option<Arc<AioProc>> {
    let a = ctx.proc().data(AioProc::default);
    let started = a.lock().worker;
    started.then_some(a)
}

/// `aio_procinit`: the process's state and its worker; EAGAIN when no
/// thread can be made (`RUMP_THREADS=0` included).
fn aio_init(ctx: &Ctx) -> KResult<Arc<AioProc>> {
    let a = ctx.proc().data(AioProc::default);
    let mut q = a.lock();
    if q.worker {
        drop(q);
        return Ok(a);
    }
    let k = ctx.kernel();
    if !k.config().threads {
        return Err(Errno::EAGAIN);
    }
    let (kw, pw, aw) = (k.weak(), Arc::downgrade(ctx.proc()), Arc::clone(&a));
    let pid = ctx.proc().pid;
    rumpuser::thread_create("aiosrv", move || worker(kw, pw, pid, aw))
        .map_err(|_| Errno::EAGAIN)?;
    q.worker = true;
    drop(q);
    Ok(a)
}

/// Whether the worker of process `pid` has nobody left to work for.
fn orphaned(k: &Kernel, proc: &Weak<Proc>, pid: i32) -> bool {
    let Some(p) = proc.upgrade() else {
        return true;
    };
    k.is_halted() || p.is_exiting() || !k.procs().find(pid).is_some_and(|q| Arc::ptr_eq(&p, &q))
}

/// `aio_worker`: serve the queue in order until the process goes.
fn worker(kernel: Weak<Kernel>, proc: Weak<Proc>, pid: i32, aio: Arc<AioProc>) {
    loop {
        let Some(k) = kernel.upgrade() else { return };
        let mut job = {
            let mut q = aio.lock();
            loop {
                if let Some(j) = q.queued.pop_front() {
                    q.current = Some((j.uptr, j.fd()));
                    break j;
                }
                if orphaned(&k, &proc, pid) {
                    return;
                }
                q = aio
                    .work
                    .wait_timeout(q, SLICE)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
        };
        limits(&k).jobs.fetch_sub(1, Ordering::Relaxed);
        let Some(p) = proc.upgrade() else { return };
        let result = match k.enter_for(Arc::clone(&p)) {
            Ok(ctx) => process(&ctx, &mut job),
            Err(e) => Err(e),
        };
        finish(&mut job, result);
        let sig = sigevent_of(&job.cb);
        let lio_done = job
            .lio
            .as_ref()
            .filter(|l| l.refs.fetch_sub(1, Ordering::AcqRel) == 1)
            .map(|l| l.sig);
        {
            let mut q = aio.lock();
            q.current = None;
            q.finished.push(job);
        }
        aio.done.bump();
        sendsig(&p, &sig);
        if let Some(s) = lio_done {
            sendsig(&p, &s);
        }
    }
}

/// How much of a job's data moves at a time. A job's buffer grows by
/// these as data arrives, so that an `aio_nbytes` no file or buffer could
/// fill costs only what is really moved, and a length the host cannot
/// give memory for is EAGAIN, not an abort of the kernel's process.
const JOB_CHUNK: usize = 64 * 1024;

/// Grow `v` by `n` zero bytes; EAGAIN if the host has no memory for them.
fn grow(v: &mut Vec<u8>, n: usize) -> KResult<std::ops::Range<usize>> {
    v.try_reserve(n).map_err(|_| Errno::EAGAIN)?;
    let start = v.len();
    v.resize(start + n, 0);
    Ok(start..start + n)
}

/// Copy in a write job's `len` bytes at `buf`.
fn copyin_job(us: &dyn UserSpace, buf: u64, len: usize) -> KResult<Vec<u8>> {
    let mut data = Vec::new();
    while data.len() < len {
        let at = buf.checked_add(data.len() as u64).ok_or(Errno::EFAULT)?;
        let n = JOB_CHUNK.min(len - data.len());
        let piece = grow(&mut data, n)?;
        us.copyin(at, &mut data[piece])?;
    }
    Ok(data)
}

/// A read job: up to `want` bytes from `offset`, as one read of that many
/// would give. Files without positions (pipes, sockets, FIFOs) ignore the
/// offset in NetBSD's `fo_read`; ours refuse it (ESPIPE), and are read
/// once, as much as one piece holds.
fn read_job(ctx: &Ctx, f: &dyn crate::file::FileOps, offset: u64, want: u64) -> KResult<Vec<u8>> {
    let want = usize::try_from(want).map_err(|_| Errno::EINVAL)?;
    let mut data = Vec::new();
    while data.len() < want {
        let n = JOB_CHUNK.min(want - data.len());
        let piece = grow(&mut data, n)?;
        let (start, asked) = (piece.start, piece.len());
        let at = offset.checked_add(start as u64).ok_or(Errno::EINVAL)?;
        let n = match f.read(ctx, &mut data[piece], Some(at)) {
            Err(Errno::ESPIPE) if start == 0 => {
                let n = f.read(ctx, &mut data[..asked], None)?;
                data.truncate(n);
                return Ok(data);
            }
            r => r?,
        };
        data.truncate(start + n);
        if n < asked {
            break;
        }
    }
    Ok(data)
}

/// `aio_process`: do the job on the file.
fn process(ctx: &Ctx, job: &mut Job) -> KResult<usize> {
    use netbsd_abi::{O_ACCMODE, O_RDONLY, O_WRONLY};
    let f = ctx.proc().fdt().get(job.fd())?;
    let access = f.status_flags() as i32 & O_ACCMODE;
    let offset = aiocb::OFFSET.get(&job.cb).unwrap_or_default();
    match job.op {
        Op::Read => {
            if access == O_WRONLY {
                return Err(Errno::EBADF);
            }
            let want = aiocb::NBYTES.get(&job.cb).unwrap_or_default();
            job.data = read_job(ctx, f.ops(), offset, want)?;
            Ok(job.data.len())
        }
        Op::Write => {
            if access == O_RDONLY {
                return Err(Errno::EBADF);
            }
            match f.ops().write(ctx, &job.data, Some(offset)) {
                Err(Errno::ESPIPE) => f.ops().write(ctx, &job.data, None),
                r => r,
            }
        }
        Op::Sync => {
            if access == O_RDONLY {
                return Err(Errno::EBADF);
            }
            f.ops().fsync(ctx, false).map(|()| 0)
        }
    }
}

/// Record a job's outcome in its `aiocb` as NetBSD's worker does: a
/// transfer leaves `aio_nbytes` at what moved and `aio_offset` past it.
fn finish(job: &mut Job, result: KResult<usize>) {
    let cb = &mut job.cb;
    match result {
        Ok(n) => {
            if job.op != Op::Sync {
                let off = aiocb::OFFSET.get(cb).unwrap_or_default();
                aiocb::OFFSET.put(cb, off.wrapping_add(n as u64));
                aiocb::NBYTES.put(cb, n as u64);
            }
            aiocb::RETVAL.put(cb, n as u64);
            aiocb::ERRNO.put(cb, 0);
        }
        Err(e) => {
            if job.op == Op::Read {
                job.data.clear();
            }
            aiocb::RETVAL.put(cb, u64::MAX);
            aiocb::ERRNO.put(cb, e.0 as u64);
        }
    }
    aiocb::STATE.put(cb, JOB_DONE);
}

fn sigevent_of(cb: &[u8; aiocb::SIZE]) -> [u8; sigevent::SIZE] {
    let mut s = [0u8; sigevent::SIZE];
    s.copy_from_slice(&cb[aiocb::SIGEVENT..aiocb::SIGEVENT + sigevent::SIZE]);
    s
}

/// `aio_sendsig`: a signal number and a notification other than
/// `SIGEV_NONE` post the signal (without its value: our signals carry
/// none).
fn sendsig(p: &Proc, sig: &[u8; sigevent::SIZE]) {
    let signo = sigevent::SIGNO.get(sig).unwrap_or_default() as i32;
    let notify = sigevent::NOTIFY.get(sig).unwrap_or_default() as i32;
    if signo != 0 && notify != SIGEV_NONE {
        let _ = p.psignal(signo);
    }
}

/// EINVAL for a signal number or notification NetBSD refuses.
fn check_sigevent(sig: &[u8]) -> KResult<()> {
    let signo = sigevent::SIGNO.get(sig).unwrap_or_default() as i32;
    let notify = sigevent::NOTIFY.get(sig).unwrap_or_default() as i32;
    if !(0..netbsd_abi::NSIG).contains(&signo) || !(SIGEV_NONE..=SIGEV_SA).contains(&notify) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Give the caller the results of its finished jobs: a read's data into
/// its buffer, and each `aiocb`. What no longer reaches the caller is
/// dropped, as NetBSD's worker ignores a failed copy.
fn deliver(aio: &AioProc, us: &dyn UserSpace) {
    let finished = std::mem::take(&mut aio.lock().finished);
    for job in finished {
        if job.op == Op::Read && !job.data.is_empty() {
            let buf = aiocb::BUF.get(&job.cb).unwrap_or_default();
            let _ = us.copyout(buf, &job.data);
        }
        let _ = us.copyout(job.uptr, &job.cb);
    }
}

/// How a job was asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Request {
    One(Op),
    List,
}

/// `aio_enqueue_job`.
fn enqueue(
    ctx: &Ctx,
    us: &dyn UserSpace,
    req: Request,
    uptr: u64,
    lio: Option<&Arc<Lio>>,
) -> KResult<()> {
    let lim = limits(ctx.kernel());
    if lim.jobs.load(Ordering::Relaxed) + 1 > lim.max() {
        return Err(Errno::EAGAIN);
    }
    let mut cb: [u8; aiocb::SIZE] = copyin_array(us, uptr)?;
    check_sigevent(&cb[aiocb::SIGEVENT..])?;
    let nbytes = aiocb::NBYTES.get(&cb).unwrap_or_default();
    let buf = aiocb::BUF.get(&cb).unwrap_or_default();
    if req != Request::One(Op::Sync) && (buf == 0 || nbytes > SSIZE_MAX) {
        return Err(Errno::EINVAL);
    }
    let op = match req {
        Request::One(op) => op,
        Request::List => match aiocb::LIO_OPCODE.get(&cb).unwrap_or_default() as i32 {
            LIO_WRITE => Op::Write,
            LIO_READ => Op::Read,
            LIO_NOP => return Ok(()),
            _ => return Err(Errno::EINVAL),
        },
    };
    if aio_of(ctx).is_some_and(|a| a.lock().queued.iter().any(|j| j.uptr == uptr)) {
        return Err(Errno::EINVAL);
    }
    let aio = aio_init(ctx)?;
    aiocb::STATE.put(&mut cb, JOB_WIP);
    aiocb::ERRNO.put(&mut cb, netbsd_abi::errno::EINPROGRESS as u64);
    aiocb::RETVAL.put(&mut cb, u64::MAX);
    us.copyout(uptr, &cb)?;
    // The data moves through the kernel: charged, so that queued jobs
    // cannot take more memory than RUMP_MEMLIMIT allows.
    let (charge, data) = match op {
        Op::Sync => (None, Vec::new()),
        Op::Read | Op::Write => {
            let len = usize::try_from(nbytes).map_err(|_| Errno::EINVAL)?;
            let charge = ctx.kernel().charge(nbytes).map_err(|_| Errno::EAGAIN)?;
            // A read's buffer is made as the job reads (`read_job`).
            let data = if op == Op::Write {
                copyin_job(us, buf, len)?
            } else {
                Vec::new()
            };
            (Some(charge), data)
        }
    };
    let job = Job {
        uptr,
        cb,
        op,
        data,
        lio: lio.cloned(),
        _charge: charge,
    };
    let mut q = aio.lock();
    if lim.jobs.fetch_add(1, Ordering::Relaxed) + 1 > lim.max()
        || q.queued.len() >= lim.listio_max()
    {
        lim.jobs.fetch_sub(1, Ordering::Relaxed);
        return Err(Errno::EAGAIN);
    }
    q.queued.push_back(job);
    if let Some(l) = lio {
        l.refs.fetch_add(1, Ordering::AcqRel);
    }
    aio.work.notify_one();
    Ok(())
}

fn sys_aio_read(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    enqueue(ctx, us, Request::One(Op::Read), a[0], None)?;
    Ok([0, 0])
}

fn sys_aio_write(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    enqueue(ctx, us, Request::One(Op::Write), a[0], None)?;
    Ok([0, 0])
}

/// `aio_fsync(op, aiocbp)`: `O_SYNC` or `O_DSYNC` (EINVAL otherwise).
fn sys_aio_fsync(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let op = a[0] as i32;
    if op != netbsd_abi::O_SYNC && op != netbsd_abi::O_DSYNC {
        return Err(Errno::EINVAL);
    }
    enqueue(ctx, us, Request::One(Op::Sync), a[1], None)?;
    Ok([0, 0])
}

/// `aio_error(aiocbp)`: the job's errno as the value (EINPROGRESS while
/// queued); EINVAL for a process without aio or an `aiocb` with no job.
fn sys_aio_error(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let aio = aio_of(ctx).ok_or(Errno::EINVAL)?;
    deliver(&aio, us);
    let cb: [u8; aiocb::SIZE] = copyin_array(us, a[0])?;
    if aiocb::STATE.get(&cb) == Some(JOB_NONE) {
        return Err(Errno::EINVAL);
    }
    Ok([
        aiocb::ERRNO.get(&cb).unwrap_or_default() as u32 as i32 as u64,
        0,
    ])
}

/// `aio_return(aiocbp)`: the job's result, once; EINVAL before it is done
/// and after it was collected.
fn sys_aio_return(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let aio = aio_of(ctx).ok_or(Errno::EINVAL)?;
    deliver(&aio, us);
    let mut cb: [u8; aiocb::SIZE] = copyin_array(us, a[0])?;
    let errno = aiocb::ERRNO.get(&cb).unwrap_or_default() as i32;
    if errno == netbsd_abi::errno::EINPROGRESS || aiocb::STATE.get(&cb) != Some(JOB_DONE) {
        return Err(Errno::EINVAL);
    }
    let retval = aiocb::RETVAL.get(&cb).unwrap_or_default();
    aiocb::ERRNO.put(&mut cb, 0);
    aiocb::RETVAL.put(&mut cb, u64::MAX);
    aiocb::STATE.put(&mut cb, JOB_NONE);
    us.copyout(a[0], &cb)?;
    Ok([retval, 0])
}

/// `aio_cancel(fildes, aiocbp)`: take the queued jobs of the descriptor
/// (or the one job) off; AIO_CANCELED, AIO_NOTCANCELED when the running
/// job is among them, AIO_ALLDONE when there was nothing to cancel.
fn sys_aio_cancel(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = a[0] as i32;
    let target = a[1];
    ctx.proc().fdt().get(fd)?;
    let Some(aio) = aio_of(ctx) else {
        return Ok([AIO_NOTCANCELED, 0]);
    };
    deliver(&aio, us);
    let (cancelled, running) = {
        let mut q = aio.lock();
        let mut out = Vec::new();
        let mut i = 0;
        while i < q.queued.len() {
            let j = &q.queued[i];
            let hit = if target != 0 {
                if j.uptr != target {
                    i += 1;
                    continue;
                }
                if j.fd() != fd {
                    return Err(Errno::EBADF);
                }
                true
            } else {
                j.fd() == fd
            };
            if !hit {
                i += 1;
                continue;
            }
            if let Some(j) = q.queued.remove(i) {
                out.push(j);
            }
            if target != 0 {
                break;
            }
        }
        let running = q
            .current
            .is_some_and(|(uptr, cfd)| cfd == fd || uptr == target);
        (out, running)
    };
    let lim = limits(ctx.kernel());
    let mut retval = if cancelled.is_empty() {
        0
    } else {
        AIO_CANCELED
    };
    if running {
        retval = AIO_NOTCANCELED;
    }
    let mut faults = 0;
    for mut job in cancelled {
        lim.jobs.fetch_sub(1, Ordering::Relaxed);
        aiocb::ERRNO.put(&mut job.cb, netbsd_abi::errno::ECANCELED as u64);
        aiocb::STATE.put(&mut job.cb, JOB_DONE);
        if us.copyout(job.uptr, &job.cb).is_err() {
            faults += 1;
        }
        sendsig(ctx.proc(), &sigevent_of(&job.cb));
        if let Some(l) = job
            .lio
            .filter(|l| l.refs.fetch_sub(1, Ordering::AcqRel) == 1)
        {
            sendsig(ctx.proc(), &l.sig);
        }
    }
    aio.done.bump();
    if faults > 0 {
        return Err(Errno::EFAULT);
    }
    if retval == 0 {
        retval = AIO_ALLDONE;
    }
    Ok([retval, 0])
}

/// A `timespec` at `addr`, as a wait in clock ticks (`mstohz`, at least
/// one tick for a positive time under one); EAGAIN for none.
fn suspend_timeout(us: &dyn UserSpace, addr: u64) -> KResult<Option<Duration>> {
    if addr == 0 {
        return Ok(None);
    }
    let ts: [u8; timespec::SIZE] = copyin_array(us, addr)?;
    let sec = timespec::tv_sec.get(&ts).unwrap_or_default() as i64;
    let nsec = timespec::tv_nsec.get(&ts).unwrap_or_default() as i64;
    let ms = sec.saturating_mul(1000).saturating_add(nsec / 1_000_000);
    let mut ticks = ms.saturating_mul(HZ) / 1000;
    if ticks == 0 && sec == 0 && nsec > 0 {
        ticks = 1;
    }
    if ticks <= 0 {
        return Err(Errno::EAGAIN);
    }
    Ok(Some(Duration::from_millis((ticks * (1000 / HZ)) as u64)))
}

/// `aio_suspend(list, nent, timeout)`: wait until a listed job is done
/// (0), the time passes (EAGAIN) or the process is told to exit (EINTR).
fn sys_aio_suspend(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let lim = limits(ctx.kernel());
    let nent = a[1] as i32;
    if nent <= 0 || nent as usize > lim.listio_max() {
        return Err(Errno::EAGAIN);
    }
    let timeout = suspend_timeout(us, a[2])?;
    let raw = copyin_vec(us, a[0], nent as usize * 8)?;
    let list: Vec<u64> = raw
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let aio = aio_of(ctx).ok_or(Errno::EAGAIN)?;
    let clock = ctx.kernel().clock();
    let deadline = timeout.map(|t| clock.monotonic() + t);
    loop {
        let seen = aio.done.generation();
        deliver(&aio, us);
        for &uptr in list.iter().filter(|&&p| p != 0) {
            let busy = {
                let q = aio.lock();
                q.current.is_some_and(|(c, _)| c == uptr) || q.queued.iter().any(|j| j.uptr == uptr)
            };
            if busy {
                continue;
            }
            let cb: [u8; aiocb::SIZE] = copyin_array(us, uptr)?;
            if aiocb::STATE.get(&cb) == Some(JOB_DONE) {
                return Ok([0, 0]);
            }
        }
        let pause = match deadline {
            None => SLICE,
            Some(d) => {
                let now = clock.monotonic();
                if now >= d {
                    return Err(Errno::EAGAIN);
                }
                SLICE.min(d - now)
            }
        };
        if ctx.proc().is_exiting() {
            return Err(Errno::EINTR);
        }
        ctx.block(|| aio.done.wait(seen, clock.host_span(pause)));
    }
}

/// `lio_listio(mode, list, nent, sig)`: queue every job of the list;
/// `LIO_WAIT` returns when all are done (their results given), EIO when
/// some could not be queued.
fn sys_lio_listio(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (mode, nent) = (a[0] as i32, a[2] as i32);
    let lim = limits(ctx.kernel());
    if nent < 1 || nent as usize > lim.listio_max() {
        return Err(Errno::EINVAL);
    }
    if lim.jobs.load(Ordering::Relaxed) + nent as usize > lim.max() {
        return Err(Errno::EAGAIN);
    }
    let aio = aio_init(ctx)?;
    let mut sig = [0u8; sigevent::SIZE];
    match mode {
        LIO_WAIT => {}
        LIO_NOWAIT if a[3] != 0 => {
            sig = copyin_array(us, a[3])?;
            check_sigevent(&sig)?;
        }
        LIO_NOWAIT => {}
        _ => return Err(Errno::EINVAL),
    }
    let lio = Arc::new(Lio {
        refs: AtomicU32::new(1),
        sig,
    });
    let result = (|| {
        let raw = copyin_vec(us, a[1], nent as usize * 8)?;
        let failed = raw
            .chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .filter(|&uptr| enqueue(ctx, us, Request::List, uptr, Some(&lio)).is_err())
            .count();
        if failed > 0 {
            return Err(Errno::EIO);
        }
        if mode == LIO_WAIT {
            while lio.refs.load(Ordering::Acquire) > 1 {
                let seen = aio.done.generation();
                if lio.refs.load(Ordering::Acquire) <= 1 {
                    break;
                }
                if ctx.proc().is_exiting() {
                    return Err(Errno::EINTR);
                }
                ctx.block(|| aio.done.wait(seen, SLICE));
            }
            deliver(&aio, us);
        }
        Ok(())
    })();
    if lio.refs.fetch_sub(1, Ordering::AcqRel) == 1 {
        sendsig(ctx.proc(), &lio.sig);
    }
    result.map(|()| [0, 0])
}

/// Register the aio calls and `kern.posix_aio`, `kern.aio_listio_max`,
/// `kern.aio_max`.
pub(crate) fn register(k: &Kernel) {
    use netbsd_abi as abi;
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (abi::SYS_aio_cancel, "aio_cancel", sys_aio_cancel),
        (abi::SYS_aio_error, "aio_error", sys_aio_error),
        (abi::SYS_aio_fsync, "aio_fsync", sys_aio_fsync),
        (abi::SYS_aio_read, "aio_read", sys_aio_read),
        (abi::SYS_aio_return, "aio_return", sys_aio_return),
        (abi::SYS_aio_write, "aio_write", sys_aio_write),
        (abi::SYS_lio_listio, "lio_listio", sys_lio_listio),
        (abi::SYS___aio_suspend50, "__aio_suspend50", sys_aio_suspend),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
    let _ = register_sysctl(k);
}

fn register_sysctl(k: &Kernel) -> KResult<()> {
    let t = k.sysctl();
    t.create(
        "kern",
        NodeSpec::new(
            "posix_aio",
            CTLFLAG_IMMEDIATE,
            "Version of IEEE Std 1003.1 and its Asynchronous I/O option to which the system attempts to conform",
            NodeData::Value(SysctlValue::Int(POSIX_ASYNCHRONOUS_IO)),
        ),
    )?;
    let lim = limits(k);
    let (r, w) = (Arc::clone(&lim), Arc::clone(&lim));
    t.create(
        "kern",
        NodeSpec::new(
            "aio_listio_max",
            CTLFLAG_READWRITE,
            "Maximum number of asynchronous I/O operations in a single list I/O call",
            NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(r.listio_max.load(Ordering::Relaxed))),
                write: Some(Arc::new(move |v| match v {
                    // `sysctl_aio_listio_max`: 1 to aio_max.
                    SysctlValue::Int(n) if n >= 1 && n <= w.max.load(Ordering::Relaxed) => {
                        w.listio_max.store(n, Ordering::Relaxed);
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                })),
            },
        ),
    )?;
    let (r, w) = (Arc::clone(&lim), lim);
    t.create(
        "kern",
        NodeSpec::new(
            "aio_max",
            CTLFLAG_READWRITE,
            "Maximum number of asynchronous I/O operations",
            NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(r.max.load(Ordering::Relaxed))),
                write: Some(Arc::new(move |v| match v {
                    // `sysctl_aio_max`: at least 1 and aio_listio_max.
                    SysctlValue::Int(n) if n >= 1 && n >= w.listio_max.load(Ordering::Relaxed) => {
                        w.max.store(n, Ordering::Relaxed);
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                })),
            },
        ),
    )?;
    Ok(())
}
