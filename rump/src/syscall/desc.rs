//! The descriptor calls every file type shares: read, write, close, dup,
//! dup2, fstat.

use super::pieces::{Cut, io_len, read_pieces, write_pieces};
use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::file::{FLOCK_SIZE, File, Flock, Stat};
use crate::kernel::Kernel;
use crate::ktrace;
use crate::resource::RLIMIT_NOFILE;
use crate::sync::lock;
use crate::usermem::{UserSpace, copyin_array, copyin_vec};
use netbsd_abi::layout::iovec;
use std::sync::Arc;

const O_ACCMODE: u32 = netbsd_abi::O_ACCMODE as u32;
const O_RDONLY: u32 = netbsd_abi::O_RDONLY as u32;
const O_WRONLY: u32 = netbsd_abi::O_WRONLY as u32;

fn nofile(ctx: &Ctx) -> usize {
    ctx.proc()
        .limit(RLIMIT_NOFILE)
        .map_or(1024, |l| l.cur.min(1 << 20) as usize)
}

fn file(ctx: &Ctx, fd: i32) -> KResult<Arc<File>> {
    ctx.proc().fdt().get(fd)
}

fn read(ctx: &Ctx, fd: i32, buf: &mut [u8]) -> KResult<usize> {
    let f = file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE == O_WRONLY {
        return Err(Errno::EBADF);
    }
    f.ops().read(ctx, buf, None)
}

fn write(ctx: &Ctx, fd: i32, buf: &[u8]) -> KResult<usize> {
    let f = file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EBADF);
    }
    f.ops().write(ctx, buf, None)
}

fn dup2(ctx: &Ctx, from: i32, to: i32) -> KResult<i32> {
    let f = file(ctx, from)?;
    if from != to {
        ctx.proc().fdt().install_at(to, f, nofile(ctx), false)?;
    }
    Ok(to)
}

pub(super) fn sys_read(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    // EBADF before EINVAL, as NetBSD checks the descriptor first.
    file(ctx, arg_int(a, 0))?;
    let iov = [(a[1], io_len(a[2])?)];
    ret(readv(ctx, us, arg_int(a, 0), &iov, None)? as u64)
}

pub(super) fn sys_write(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    // EBADF before EINVAL, as NetBSD checks the descriptor first.
    file(ctx, arg_int(a, 0))?;
    let iov = [(a[1], io_len(a[2])?)];
    ret(writev(ctx, us, arg_int(a, 0), &iov, None)? as u64)
}

fn close(ctx: &Ctx, fd: i32) -> KResult<()> {
    let f = file(ctx, fd)?;
    f.ops().close_fd(ctx);
    // The table's reference and ours: nothing else holds the file. The
    // descriptor goes first (as NetBSD's fd_close), so that its number is
    // free while a lingering close waits.
    let last = Arc::strong_count(&f) == 2;
    ctx.proc().fdt().close(fd)?;
    if last {
        f.ops().last_close(ctx);
        f.ops().flush_on_close(ctx)?;
    }
    Ok(())
}

/// `IOV_MAX`: most buffers one vector call takes.
const IOV_MAX: usize = netbsd_abi::IOV_MAX as usize;

/// The `struct iovec` array at `addr`: (base, length) pairs, checked
/// (EINVAL for more than `IOV_MAX` or a total beyond `SSIZE_MAX`).
pub fn iovecs(us: &dyn UserSpace, addr: u64, count: i32) -> KResult<Vec<(u64, usize)>> {
    let n = usize::try_from(count)
        .ok()
        .filter(|&n| n <= IOV_MAX)
        .ok_or(Errno::EINVAL)?;
    let raw = copyin_vec(us, addr, n * iovec::SIZE)?;
    let mut total = 0usize;
    raw.chunks_exact(iovec::SIZE)
        .map(|c| {
            let base = iovec::iov_base.get(c).unwrap_or_default();
            let len = iovec::iov_len.get(c).unwrap_or_default() as usize;
            total = total
                .checked_add(len)
                .filter(|&t| t <= isize::MAX as usize)
                .ok_or(Errno::EINVAL)?;
            Ok((base, len))
        })
        .collect()
}

/// `read(2)`, `readv(2)` (`offset` `None`) and `preadv(2)`: the buffers filled in
/// turn, by pieces of the one transfer (see [`read_pieces`]), so that
/// nothing read is lost between the buffers.
fn readv(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    offset: Option<u64>,
) -> KResult<usize> {
    let f = file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE == O_WRONLY {
        return Err(Errno::EBADF);
    }
    let mut at = offset;
    read_pieces(ctx, us, fd, iov, Cut::of(&f), |buf| {
        let n = f.ops().read(ctx, buf, at)?;
        at = at.map(|o| o + n as u64);
        Ok(n)
    })
}

/// `write(2)`, `writev(2)` and `pwritev(2)`: the buffers gathered into pieces of one
/// write, so that a pipe's `PIPE_BUF` writes stay whole.
fn writev(
    ctx: &Ctx,
    us: &dyn UserSpace,
    fd: i32,
    iov: &[(u64, usize)],
    offset: Option<u64>,
) -> KResult<usize> {
    let f = file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE == O_RDONLY {
        return Err(Errno::EBADF);
    }
    let mut at = offset;
    write_pieces(ctx, us, fd, iov, Cut::of(&f), |buf| {
        let n = f.ops().write(ctx, buf, at)?;
        at = at.map(|o| o + n as u64);
        Ok(n)
    })
}

pub(super) fn sys_readv(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let iov = iovecs(us, a[1], arg_int(a, 2))?;
    ret(readv(ctx, us, arg_int(a, 0), &iov, None)? as u64)
}

pub(super) fn sys_writev(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let iov = iovecs(us, a[1], arg_int(a, 2))?;
    ret(writev(ctx, us, arg_int(a, 0), &iov, None)? as u64)
}

fn offset_arg(v: u64) -> KResult<u64> {
    if (v as i64) < 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(v)
    }
}

pub(super) fn sys_preadv(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let iov = iovecs(us, a[1], arg_int(a, 2))?;
    ret(readv(ctx, us, arg_int(a, 0), &iov, Some(offset_arg(a[4])?))? as u64)
}

pub(super) fn sys_pwritev(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let iov = iovecs(us, a[1], arg_int(a, 2))?;
    ret(writev(ctx, us, arg_int(a, 0), &iov, Some(offset_arg(a[4])?))? as u64)
}

pub(super) fn sys_close(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    close(ctx, arg_int(a, 0))?;
    ret(0)
}

/// `F_*` commands of `fcntl(2)`.
const F_DUPFD: i32 = netbsd_abi::F_DUPFD;
const F_GETFD: i32 = netbsd_abi::F_GETFD;
const F_SETFD: i32 = netbsd_abi::F_SETFD;
const F_GETFL: i32 = netbsd_abi::F_GETFL;
const F_SETFL: i32 = netbsd_abi::F_SETFL;
const F_GETLK: i32 = netbsd_abi::F_GETLK;
const F_SETLK: i32 = netbsd_abi::F_SETLK;
const F_SETLKW: i32 = netbsd_abi::F_SETLKW;
const F_DUPFD_CLOEXEC: i32 = netbsd_abi::F_DUPFD_CLOEXEC;
/// Status flags `F_SETFL` may change: `O_NONBLOCK`, `O_APPEND`, `O_ASYNC`.
const SETFL_MASK: u32 = 0x4 | 0x8 | 0x40;

/// `FNOSIGPIPE` as a status flag (`O_NOSIGPIPE`).
const NOSIGPIPE: u32 = netbsd_abi::O_NOSIGPIPE as u32;

/// `F_CLOSEM`: close every descriptor from this one up.
const F_CLOSEM: i32 = netbsd_abi::F_CLOSEM;

/// `fcntl(2)` except the record locks, which take a `struct flock`.
fn fcntl(ctx: &Ctx, fd: i32, cmd: i32, arg: u64) -> KResult<u64> {
    if cmd == F_CLOSEM {
        // The descriptor need not be open; NetBSD only asks it is not negative.
        let from = usize::try_from(fd).map_err(|_| Errno::EBADF)?;
        ctx.proc().fdt().close_from(from);
        return Ok(0);
    }
    let f = file(ctx, fd)?;
    let fdt = ctx.proc().fdt();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            let min = usize::try_from(arg as i64).map_err(|_| Errno::EINVAL)?;
            if min >= nofile(ctx) {
                return Err(Errno::EINVAL);
            }
            Ok(fdt.alloc(f, min, nofile(ctx), cmd == F_DUPFD_CLOEXEC)? as u64)
        }
        F_GETFD => Ok(u64::from(fdt.cloexec(fd)?)),
        F_SETFD => fdt.set_cloexec(fd, arg & 1 != 0).map(|_| 0),
        F_GETFL => Ok(u64::from(f.status_flags())),
        F_SETFL => {
            let want = arg as u32 & SETFL_MASK;
            let changed = want ^ (f.status_flags() & SETFL_MASK);
            // As NetBSD's fcntl: the file is told of a changed O_NONBLOCK
            // or O_ASYNC first, and a refusal leaves the flags as they were.
            for (flag, cmd) in [(O_NONBLOCK, FIONBIO), (O_ASYNC, FIOASYNC)] {
                if changed & flag != 0 {
                    let on = i32::from(want & flag != 0).to_ne_bytes();
                    tell_vnode(ctx, &f, cmd, on)?;
                }
            }
            let mut fl = lock(&f.flags);
            *fl = (*fl & !SETFL_MASK) | want;
            f.ops().set_status_flags(*fl);
            Ok(0)
        }
        // FNOSIGPIPE: a write to a pipe or socket with no reader left is
        // EPIPE without SIGPIPE (NetBSD's fcntl).
        netbsd_abi::F_GETNOSIGPIPE => Ok(u64::from(f.status_flags() & NOSIGPIPE != 0)),
        netbsd_abi::F_SETNOSIGPIPE => {
            let mut fl = lock(&f.flags);
            *fl = if arg as i32 != 0 {
                *fl | NOSIGPIPE
            } else {
                *fl & !NOSIGPIPE
            };
            f.ops().set_status_flags(*fl);
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub(super) fn sys_fcntl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (fd, cmd) = (arg_int(a, 0), arg_int(a, 1));
    if matches!(cmd, F_GETLK | F_SETLK | F_SETLKW) {
        let mut l = Flock::from_bytes(&copyin_array::<FLOCK_SIZE>(us, a[2])?);
        file(ctx, fd)?.ops().advlock(ctx, cmd, &mut l)?;
        if cmd == F_GETLK {
            us.copyout(a[2], &l.to_bytes())?;
        }
        return ret(0);
    }
    ret(fcntl(ctx, fd, cmd, a[2])?)
}

/// `_IOC` fields of an ioctl command: the argument's size and direction.
const IOCPARM_SHIFT: u64 = netbsd_abi::IOCPARM_SHIFT as u64;
const IOCPARM_MASK: u64 = netbsd_abi::IOCPARM_MASK as u64;
const IOC_OUT: u64 = netbsd_abi::IOC_OUT;
const IOC_IN: u64 = netbsd_abi::IOC_IN;
/// The generic file ioctls every descriptor answers.
const FIOCLEX: u64 = netbsd_abi::FIOCLEX;
const FIONCLEX: u64 = netbsd_abi::FIONCLEX;
const FIONBIO: u64 = netbsd_abi::FIONBIO;
const FIOASYNC: u64 = netbsd_abi::FIOASYNC;
/// `O_NONBLOCK`, the status flag FIONBIO sets.
const O_NONBLOCK: u32 = netbsd_abi::O_NONBLOCK as u32;
/// `O_ASYNC`, the status flag FIOASYNC sets.
const O_ASYNC: u32 = netbsd_abi::O_ASYNC as u32;

/// The `int` argument of FIONBIO or FIOASYNC, as copied in.
fn int_arg(data: &[u8]) -> [u8; 4] {
    let mut on = [0u8; 4];
    let n = data.len().min(4);
    on[..n].copy_from_slice(&data[..n]);
    on
}

/// Tell a vnode's file of a changed `O_NONBLOCK` or `O_ASYNC` (`cmd` is
/// FIONBIO or FIOASYNC, `on` its argument), as NetBSD's `vn_ioctl` does:
/// a device's driver answers (NetBSD's null driver refuses with ENODEV),
/// a file that has no use for it (ENOTTY) takes it. Other files keep the
/// flag for themselves.
fn tell_vnode(ctx: &Ctx, f: &File, cmd: u64, mut on: [u8; 4]) -> KResult<()> {
    if f.ops().dtype() != crate::file::DTYPE_VNODE {
        return Ok(());
    }
    match f
        .ops()
        .ioctl(ctx, cmd, &mut on, &crate::usermem::BufferSpace::new(0, 0))
    {
        Err(Errno::ENOTTY) => Ok(()),
        r => r,
    }
}

pub(super) fn sys_ioctl(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (fd, cmd) = (arg_int(a, 0), a[1] & 0xffff_ffff);
    let f = file(ctx, fd)?;
    let fdt = ctx.proc().fdt();
    match cmd {
        FIOCLEX => return fdt.set_cloexec(fd, true).and_then(|_| ret(0)),
        FIONCLEX => return fdt.set_cloexec(fd, false).and_then(|_| ret(0)),
        _ => {}
    }
    let len = ((cmd >> IOCPARM_SHIFT) & IOCPARM_MASK) as usize;
    let mut data = if cmd & IOC_IN != 0 && len > 0 {
        let data = copyin_vec(us, a[2], len)?;
        ktrace::genio(ctx, fd, ktrace::UIO_WRITE, &data);
        data
    } else {
        vec![0; len]
    };
    if cmd == FIONBIO {
        let on = data.get(..4).is_some_and(|b| b != [0; 4]);
        let mut fl = lock(&f.flags);
        *fl = if on {
            *fl | O_NONBLOCK
        } else {
            *fl & !O_NONBLOCK
        };
        f.ops().set_status_flags(*fl);
        drop(fl);
        // NetBSD sets the flag, then asks the file, and keeps the flag
        // even when the file refuses.
        tell_vnode(ctx, &f, FIONBIO, int_arg(&data))?;
        return ret(0);
    }
    if cmd == FIOASYNC && f.ops().dtype() == crate::file::DTYPE_VNODE {
        let on = data.get(..4).is_some_and(|b| b != [0; 4]);
        let mut fl = crate::sync::lock(&f.flags);
        *fl = if on { *fl | O_ASYNC } else { *fl & !O_ASYNC };
        f.ops().set_status_flags(*fl);
        drop(fl);
        tell_vnode(ctx, &f, FIOASYNC, int_arg(&data))?;
        return ret(0);
    }
    f.ops().ioctl(ctx, cmd, &mut data, us)?;
    if cmd & IOC_OUT != 0 && len > 0 {
        us.copyout(a[2], &data)?;
        ktrace::genio(ctx, fd, ktrace::UIO_READ, &data);
    }
    ret(0)
}

pub(super) fn sys_dup3(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(dup3(ctx, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2))? as u64)
}

/// `O_CLOEXEC`, the one flag `dup3` takes.
const O_CLOEXEC: i32 = netbsd_abi::O_CLOEXEC;

fn dup3(ctx: &Ctx, from: i32, to: i32, flags: i32) -> KResult<i32> {
    if flags & !O_CLOEXEC != 0 || from == to {
        return Err(Errno::EINVAL);
    }
    let f = file(ctx, from)?;
    ctx.proc()
        .fdt()
        .install_at(to, f, nofile(ctx), flags & O_CLOEXEC != 0)?;
    Ok(to)
}

pub(super) fn sys_dup(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let f = file(ctx, arg_int(a, 0))?;
    ret(ctx.proc().fdt().alloc(f, 0, nofile(ctx), false)? as u64)
}

pub(super) fn sys_dup2(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(dup2(ctx, arg_int(a, 0), arg_int(a, 1))? as u64)
}

pub(super) fn sys_fstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let st = file(ctx, arg_int(a, 0))?.ops().stat(ctx)?;
    us.copyout(a[1], &st.to_bytes())?;
    ret(0)
}

impl Ctx<'_> {
    /// Install an open file at the lowest free descriptor of the calling
    /// process (how a faction's call hands out a new descriptor).
    pub fn fd_alloc(&self, file: Arc<File>) -> KResult<i32> {
        self.proc().fdt().alloc(file, 0, nofile(self), false)
    }

    /// `close(2)` of descriptor `fd` of the calling process (calls that
    /// end a descriptor of their own kind: `_ksem_close`, `_ksem_destroy`).
    pub fn fd_close(&self, fd: i32) -> KResult<()> {
        close(self, fd)
    }

    /// As [`Ctx::fd_alloc`], with close-on-exec set as asked.
    pub fn fd_alloc_cloexec(&self, file: Arc<File>, cloexec: bool) -> KResult<i32> {
        self.proc().fdt().alloc(file, 0, nofile(self), cloexec)
    }
}

impl Kernel {
    /// Install an open file in the calling process's descriptor table at the
    /// lowest free descriptor (how factions hand out new descriptors).
    pub fn fd_install(&self, file: Arc<File>) -> KResult<i32> {
        self.with_ctx(|ctx| ctx.proc().fdt().alloc(file, 0, nofile(ctx), false))
    }

    /// `read(2)`.
    pub fn sys_read(&self, fd: i32, buf: &mut [u8]) -> KResult<usize> {
        self.with_ctx(|ctx| read(ctx, fd, buf))
    }

    /// `write(2)`.
    pub fn sys_write(&self, fd: i32, buf: &[u8]) -> KResult<usize> {
        self.with_ctx(|ctx| write(ctx, fd, buf))
    }

    /// `close(2)`.
    pub fn sys_close(&self, fd: i32) -> KResult<()> {
        self.with_ctx(|ctx| close(ctx, fd))
    }

    /// `fcntl(2)` for everything but record locks (see [`Kernel::sys_fcntl_lock`]).
    pub fn sys_fcntl(&self, fd: i32, cmd: i32, arg: u64) -> KResult<u64> {
        self.with_ctx(|ctx| fcntl(ctx, fd, cmd, arg))
    }

    /// `fcntl(2)` `F_GETLK`, `F_SETLK` or `F_SETLKW`.
    pub fn sys_fcntl_lock(&self, fd: i32, cmd: i32, lock: &mut Flock) -> KResult<()> {
        if !matches!(cmd, F_GETLK | F_SETLK | F_SETLKW) {
            return Err(Errno::EINVAL);
        }
        self.with_ctx(|ctx| file(ctx, fd)?.ops().advlock(ctx, cmd, lock))
    }

    /// `dup3(2)`.
    pub fn sys_dup3(&self, from: i32, to: i32, flags: i32) -> KResult<i32> {
        self.with_ctx(|ctx| dup3(ctx, from, to, flags))
    }

    /// `dup(2)`.
    pub fn sys_dup(&self, fd: i32) -> KResult<i32> {
        self.with_ctx(|ctx| {
            let f = file(ctx, fd)?;
            ctx.proc().fdt().alloc(f, 0, nofile(ctx), false)
        })
    }

    /// `dup2(2)`.
    pub fn sys_dup2(&self, from: i32, to: i32) -> KResult<i32> {
        self.with_ctx(|ctx| dup2(ctx, from, to))
    }

    /// `fstat(2)`.
    pub fn sys_fstat(&self, fd: i32) -> KResult<Stat> {
        self.with_ctx(|ctx| file(ctx, fd)?.ops().stat(ctx))
    }
}
