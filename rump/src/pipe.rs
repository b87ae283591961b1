//! Pipes (NetBSD's `sys_pipe.c`): a bounded queue of bytes between a
//! reading and a writing end. `pipe(2)` and `pipe2(2)` make both ends at
//! once; a FIFO is a pipe whose ends are opened by name, so the VFS keeps
//! one per FIFO node and opens its ends with [`Pipe::open_end`], which
//! waits for the other side as `open(2)` of a FIFO does.

use crate::errno::{Errno, KResult};
use crate::file::{DTYPE_PIPE, File, FileOps, Stat};
use crate::kernel::Kernel;
use crate::kqueue::consts::{EV_EOF, EVFILT_READ, EVFILT_WRITE};
use crate::kqueue::{FilterState, VnodeKey};
use crate::restart::RestartCount;
use crate::sync::lock;
use crate::syscall::{Ctx, SysArgs, SysRet};
use crate::usermem::UserSpace;
use crate::waitgen::WaitGen;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// NetBSD's `PIPE_SIZE`: the bytes a pipe holds.
pub const PIPE_SIZE: usize = 16384;
/// `PIPE_BUF`: a write of at most this many bytes is never split.
pub const PIPE_BUF: usize = netbsd_abi::PIPE_BUF as usize;
/// `SIGPIPE`.
const SIGPIPE: i32 = netbsd_abi::SIGPIPE;
/// How long a wait sleeps before it looks at the process again.
const SLICE: Duration = Duration::from_millis(100);
/// `O_NONBLOCK`, `O_CLOEXEC`, `O_NOSIGPIPE`: what `pipe2` takes.
const O_NONBLOCK: i32 = netbsd_abi::O_NONBLOCK;
const O_CLOEXEC: i32 = netbsd_abi::O_CLOEXEC;
const O_NOSIGPIPE: i32 = netbsd_abi::O_NOSIGPIPE;
/// `O_RDONLY`, `O_WRONLY` as the ends' status flags.
const O_RDONLY: u32 = netbsd_abi::O_RDONLY as u32;
const O_WRONLY: u32 = netbsd_abi::O_WRONLY as u32;
/// `S_IFIFO`.
const S_IFIFO: u32 = netbsd_abi::S_IFIFO as u32;
/// `POLL*` bits.
const POLLIN: i16 = netbsd_abi::POLLIN as i16;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
const POLLRDNORM: i16 = netbsd_abi::POLLRDNORM as i16;
const POLLWRNORM: i16 = POLLOUT;

#[derive(Default)]
struct State {
    bytes: VecDeque<u8>,
    readers: usize,
    writers: usize,
    /// Ends ever opened for reading and for writing: a FIFO's `open` waits
    /// for one to come, even if it has gone again by the time it looks.
    reader_opens: u64,
    writer_opens: u64,
}

/// One pipe, shared by its ends.
pub struct Pipe {
    st: Mutex<State>,
    wait: WaitGen,
    kernel: Weak<Kernel>,
    /// When it was made, for `fstat`.
    born: (i64, i64),
}

impl Pipe {
    /// A new, empty pipe of kernel `k`, with no ends.
    pub fn new(k: &Kernel) -> Arc<Pipe> {
        Arc::new(Pipe {
            st: Mutex::default(),
            wait: WaitGen::default(),
            kernel: k.weak(),
            born: k.clock().realtime_timespec(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.st)
    }

    /// Something changed: wake the ends' sleepers and the pollers.
    fn wakeup(&self) {
        self.wait.bump();
        if let Some(k) = self.kernel.upgrade() {
            k.selnotify();
        }
    }

    /// Call `op` on the pipe's state until it answers, waiting between
    /// tries; EAGAIN instead of waiting when `nonblock`, EINTR if the
    /// process is told to exit, ERESTART once `restarts` (the end's) moves.
    /// `op` looks and acts under one hold of the lock, so that two readers
    /// or two writers never act on one look.
    fn wait_for<R>(
        &self,
        ctx: &Ctx,
        nonblock: bool,
        restarts: Option<&RestartCount>,
        mut op: impl FnMut(&mut State) -> Option<R>,
    ) -> KResult<R> {
        let restart_seen = restarts.map(RestartCount::seen);
        loop {
            let seen = self.wait.generation();
            if let Some(r) = op(&mut self.lock()) {
                return Ok(r);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            if ctx.proc().is_exiting() {
                return Err(Errno::EINTR);
            }
            if let (Some(r), Some(at)) = (restarts, restart_seen) {
                r.check(at)?;
            }
            ctx.block(|| self.wait.wait(seen, SLICE));
        }
    }

    /// An end, counted at once.
    fn end(self: &Arc<Self>, read: bool, write: bool, nonblock: bool) -> PipeEnd {
        {
            let mut s = self.lock();
            if read {
                s.readers += 1;
                s.reader_opens += 1;
            }
            if write {
                s.writers += 1;
                s.writer_opens += 1;
            }
        }
        self.wakeup();
        PipeEnd {
            pipe: Arc::clone(self),
            read,
            write,
            nonblock: AtomicBool::new(nonblock),
            nosigpipe: AtomicBool::new(false),
            restarts: RestartCount::default(),
        }
    }

    /// Open an end of a FIFO, as `open(2)` does: for reading it waits for a
    /// writer, for writing for a reader, unless `nonblock` (then a writer
    /// with no reader is ENXIO); an end for both never waits. A write with
    /// no reader left is EPIPE, with SIGPIPE unless `nosigpipe`.
    pub fn open_end(
        self: &Arc<Self>,
        ctx: &Ctx,
        read: bool,
        write: bool,
        nonblock: bool,
        nosigpipe: bool,
    ) -> KResult<PipeEnd> {
        let (readers_seen, writers_seen) = {
            let s = self.lock();
            (s.reader_opens, s.writer_opens)
        };
        if write && !read && nonblock && self.lock().readers == 0 {
            return Err(Errno::ENXIO);
        }
        let mut end = self.end(read, write, nonblock);
        end.nosigpipe = AtomicBool::new(nosigpipe);
        if read && write || nonblock {
            return Ok(end);
        }
        // Dropping the end on EINTR counts it out again.
        if read {
            self.wait_for(ctx, false, None, |s| {
                (s.writers > 0 || s.writer_opens != writers_seen).then_some(())
            })?;
        } else {
            self.wait_for(ctx, false, None, |s| {
                (s.readers > 0 || s.reader_opens != readers_seen).then_some(())
            })?;
        }
        Ok(end)
    }
}

/// One end of a pipe: the file behind a descriptor.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    read: bool,
    write: bool,
    nonblock: AtomicBool,
    /// `O_NOSIGPIPE` (or `F_SETNOSIGPIPE`): EPIPE without the signal.
    nosigpipe: AtomicBool,
    /// A descriptor of this end was closed under a waiting call.
    restarts: RestartCount,
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut s = self.pipe.lock();
            if self.read {
                s.readers -= 1;
            }
            if self.write {
                s.writers -= 1;
            }
            // The last reader gone, what is queued will never be read.
            if s.readers == 0 {
                s.bytes.clear();
            }
        }
        self.pipe.wakeup();
    }
}

impl PipeEnd {
    fn nonblock(&self) -> bool {
        self.nonblock.load(Ordering::Relaxed)
    }

    /// A FIFO's kevent filters (NetBSD's filt_fiforead and
    /// filt_fifowrite), which both look at the FIFO's reading socket
    /// whichever end the descriptor is: the read filter sees what is
    /// queued, with `EV_EOF` once every writer that came has gone; the
    /// write filter looks at that socket's send half, shut for good, so it
    /// always fires with `EV_EOF` and the half's whole room.
    pub fn fifo_kevent(&self, kn: &mut FilterState) -> bool {
        /// `unpst_sendspace`: the room of a FIFO socket's send half.
        const UNPST_SENDSPACE: i64 = 4096;
        let s = self.pipe.lock();
        if kn.filter == EVFILT_WRITE {
            kn.data = UNPST_SENDSPACE;
            kn.flags |= EV_EOF;
            return true;
        }
        kn.data = s.bytes.len() as i64;
        if s.writers == 0 && s.writer_opens > 0 {
            kn.flags |= EV_EOF;
            return true;
        }
        kn.flags &= !EV_EOF;
        kn.data > 0
    }

    /// The bytes queued now (`FIONREAD`, `st_size`).
    pub fn queued(&self) -> usize {
        self.pipe.lock().bytes.len()
    }

    /// Calls waiting on this end restart (`pipe_restart`): a FIFO's
    /// vnode file passes its descriptor's close on here.
    pub fn restart(&self) {
        self.restarts.restart();
        self.pipe.wait.bump();
    }
}

impl FileOps for PipeEnd {
    fn read(&self, ctx: &Ctx, buf: &mut [u8], offset: Option<u64>) -> KResult<usize> {
        if offset.is_some() {
            return Err(Errno::ESPIPE);
        }
        if !self.read {
            return Err(Errno::EBADF);
        }
        if buf.is_empty() {
            return Ok(0);
        }
        // Data, or no writer left (end of file).
        let n = self
            .pipe
            .wait_for(ctx, self.nonblock(), Some(&self.restarts), |s| {
                if s.bytes.is_empty() {
                    return (s.writers == 0).then_some(0);
                }
                let n = s.bytes.len().min(buf.len());
                for (d, b) in buf.iter_mut().zip(s.bytes.drain(..n)) {
                    *d = b;
                }
                Some(n)
            })?;
        if n > 0 {
            self.pipe.wakeup();
        }
        Ok(n)
    }

    fn write(&self, ctx: &Ctx, data: &[u8], offset: Option<u64>) -> KResult<usize> {
        if offset.is_some() {
            return Err(Errno::ESPIPE);
        }
        if !self.write {
            return Err(Errno::EBADF);
        }
        // Up to PIPE_BUF goes in whole or not at all; more goes in pieces.
        let atomic = data.len() <= PIPE_BUF;
        let mut done = 0;
        while done < data.len() {
            let want = data.len() - done;
            let put = self
                .pipe
                .wait_for(ctx, self.nonblock(), Some(&self.restarts), |s| {
                    if s.readers == 0 {
                        return Some(Err(Errno::EPIPE));
                    }
                    let room = PIPE_SIZE.saturating_sub(s.bytes.len());
                    if room == 0 || (atomic && room < want) {
                        return None;
                    }
                    let n = room.min(want);
                    s.bytes.extend(&data[done..done + n]);
                    Some(Ok(n))
                });
            match put {
                Ok(Ok(n)) => {
                    done += n;
                    self.pipe.wakeup();
                }
                // As NetBSD's dofilewrite: a wait cut short after some
                // bytes went in is a short write; EPIPE is EPIPE.
                Err(Errno::EAGAIN | Errno::EINTR | Errno::ERESTART) if done > 0 => return Ok(done),
                Err(e) | Ok(Err(e)) => {
                    if e == Errno::EPIPE && !self.nosigpipe.load(Ordering::Relaxed) {
                        let _ = ctx.proc().psignal(SIGPIPE);
                    }
                    return Err(e);
                }
            }
        }
        Ok(done)
    }

    fn stat(&self, _ctx: &Ctx) -> KResult<Stat> {
        let t = self.pipe.born;
        Ok(Stat {
            mode: S_IFIFO | 0o600,
            nlink: 1,
            size: self.queued() as i64,
            blksize: PIPE_SIZE as i32,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: t,
            ..Stat::default()
        })
    }

    fn set_status_flags(&self, flags: u32) {
        self.nonblock
            .store(flags & O_NONBLOCK as u32 != 0, Ordering::Relaxed);
        self.nosigpipe
            .store(flags & O_NOSIGPIPE as u32 != 0, Ordering::Relaxed);
    }

    fn poll(&self, events: i16) -> i16 {
        let s = self.pipe.lock();
        let mut r = 0;
        if self.read && (!s.bytes.is_empty() || s.writers == 0) {
            r |= events & (POLLIN | POLLRDNORM);
        }
        if self.write && (s.readers == 0 || PIPE_SIZE - s.bytes.len() >= PIPE_BUF) {
            r |= events & (POLLOUT | POLLWRNORM);
        }
        // The other side gone: NetBSD's pipe_poll says POLLHUP.
        if (self.read && !self.write && s.writers == 0) || (self.write && s.readers == 0) {
            r |= POLLHUP;
        }
        r
    }

    fn ioctl(&self, _ctx: &Ctx, cmd: u64, data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        /// `FIONREAD` (`_IOR('f', 127, int)`); `FIONBIO` is the descriptor
        /// layer's, which sets the status flag.
        const FIONREAD: u64 = netbsd_abi::FIONREAD;
        match cmd {
            FIONREAD if data.len() >= 4 => {
                let n = if self.read { self.queued() as i32 } else { 0 };
                data[..4].copy_from_slice(&n.to_le_bytes());
                Ok(())
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn dtype(&self) -> u32 {
        DTYPE_PIPE
    }

    fn restart(&self) {
        PipeEnd::restart(self);
    }

    fn kqfilter(&self, filter: u32) -> KResult<Option<VnodeKey>> {
        match filter {
            EVFILT_READ => Ok(None),
            // As NetBSD's pipe_kqfilter: the reader is already gone.
            EVFILT_WRITE if self.write && self.pipe.lock().readers == 0 => Err(Errno::EBADF),
            EVFILT_WRITE => Ok(None),
            _ => Err(Errno::EINVAL),
        }
    }

    fn kevent(&self, kn: &mut FilterState) -> bool {
        // NetBSD's filt_piperead and filt_pipewrite. An end that does not
        // carry the filter's direction looks at the empty reverse queue,
        // which only ever shows the other side going.
        let s = self.pipe.lock();
        let (carries, other_gone, queued) = match kn.filter {
            EVFILT_READ if self.read => (true, s.writers == 0, s.bytes.len()),
            EVFILT_READ => (false, s.readers == 0, 0),
            _ if self.write => (true, s.readers == 0, PIPE_SIZE - s.bytes.len()),
            _ => (false, s.writers == 0, 0),
        };
        if other_gone {
            kn.flags |= EV_EOF;
            kn.data = if kn.filter == EVFILT_READ {
                queued as i64
            } else {
                0
            };
            return true;
        }
        kn.data = queued as i64;
        match kn.filter {
            EVFILT_READ => carries && queued > 0,
            _ => carries && queued >= PIPE_BUF,
        }
    }

    fn data_id(&self) -> u64 {
        self.pipe
            .kernel
            .upgrade()
            .map_or(0, |k| k.kaddr(Arc::as_ptr(&self.pipe) as usize))
    }
}

/// `pipe2(2)`'s work: a pipe's two ends as descriptors (read, write).
fn make_pipe(ctx: &Ctx, flags: i32) -> KResult<(i32, i32)> {
    if flags & !(O_NONBLOCK | O_CLOEXEC | O_NOSIGPIPE) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = Pipe::new(ctx.kernel());
    let nonblock = flags & O_NONBLOCK != 0;
    let status = |acc: u32| acc | (flags & (O_NONBLOCK | O_NOSIGPIPE)) as u32;
    let ends = [p.end(true, false, nonblock), p.end(false, true, nonblock)];
    for e in &ends {
        e.nosigpipe
            .store(flags & O_NOSIGPIPE != 0, Ordering::Relaxed);
    }
    let [r, w] = ends;
    let rfd = ctx.fd_alloc(File::new(Box::new(r), status(O_RDONLY)))?;
    let wfd = match ctx.fd_alloc(File::new(Box::new(w), status(O_WRONLY))) {
        Ok(fd) => fd,
        Err(e) => {
            let _ = ctx.proc().fdt().close(rfd);
            return Err(e);
        }
    };
    if flags & O_CLOEXEC != 0 {
        for fd in [rfd, wfd] {
            ctx.proc().fdt().set_cloexec(fd, true)?;
        }
    }
    Ok((rfd, wfd))
}

/// `pipe(2)`: the descriptors in the two return registers, as NetBSD's.
pub(crate) fn sys_pipe(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let (r, w) = make_pipe(ctx, 0)?;
    Ok([r as u64, w as u64])
}

/// `pipe2(2)`: the descriptors stored at `fildes`.
pub(crate) fn sys_pipe2(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (r, w) = make_pipe(ctx, a[1] as i32)?;
    let mut out = [0u8; 8];
    out[..4].copy_from_slice(&r.to_le_bytes());
    out[4..].copy_from_slice(&w.to_le_bytes());
    if let Err(e) = us.copyout(a[0], &out) {
        let fdt = ctx.proc().fdt();
        let _ = fdt.close(r);
        let _ = fdt.close(w);
        return Err(e);
    }
    Ok([0, 0])
}
