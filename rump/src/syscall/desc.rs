//! The descriptor calls every file type shares: read, write, close, dup,
//! dup2, fstat.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::file::{File, Stat};
use crate::kernel::Kernel;
use crate::kmem::MemCharge;
use crate::resource::RLIMIT_NOFILE;
use crate::usermem::{UserSpace, copyin_vec};
use std::sync::Arc;

/// Largest single transfer, so that a hostile length cannot make the kernel
/// allocate without bound (NetBSD caps at SSIZE_MAX; a bounce buffer is ours).
const MAX_IO: usize = 1 << 24;
const O_ACCMODE: u32 = 3;
const O_RDONLY: u32 = 0;
const O_WRONLY: u32 = 1;

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

/// A bounce buffer for a caller's I/O, charged to the kernel's memory so
/// that many large concurrent transfers cannot exceed `RUMP_MEMLIMIT`.
fn bounce(ctx: &Ctx, len: u64) -> KResult<(MemCharge, usize)> {
    let len = (len as usize).min(MAX_IO);
    Ok((ctx.kernel().charge(len as u64)?, len))
}

pub(super) fn sys_read(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    file(ctx, arg_int(a, 0))?;
    let (_charge, len) = bounce(ctx, a[2])?;
    let mut buf = vec![0u8; len];
    let n = read(ctx, arg_int(a, 0), &mut buf)?;
    us.copyout(a[1], &buf[..n])?;
    ret(n as u64)
}

pub(super) fn sys_write(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    file(ctx, arg_int(a, 0))?;
    let (_charge, len) = bounce(ctx, a[2])?;
    let buf = copyin_vec(us, a[1], len)?;
    ret(write(ctx, arg_int(a, 0), &buf)? as u64)
}

pub(super) fn sys_close(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ctx.proc().fdt().close(arg_int(a, 0))?;
    ret(0)
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
        self.with_ctx(|ctx| ctx.proc().fdt().close(fd))
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
