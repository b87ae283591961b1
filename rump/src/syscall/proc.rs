//! getpid, getppid, __getlogin, __setlogin.

use super::{Ctx, SysArgs, SysRet, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::UserSpace;

/// NetBSD's `MAXLOGNAME`: the login name buffer, NUL included.
const MAXLOGNAME: usize = netbsd_abi::MAXLOGNAME as usize;

pub(super) fn sys_getpid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    // NetBSD returns the parent's pid in the second register too.
    Ok([ctx.proc().pid as u64, ctx.proc().ppid as u64])
}

pub(super) fn sys_getppid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(ctx.proc().ppid as u64)
}

pub(super) fn sys_getlogin(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    // As NetBSD: the name in a zero-filled MAXLOGNAME buffer, of which at
    // most `namelen` bytes are copied out; a short buffer is not an error.
    let mut login = [0u8; MAXLOGNAME];
    let name = ctx.proc().login();
    let n = name.len().min(MAXLOGNAME);
    login[..n].copy_from_slice(&name.as_bytes()[..n]);
    let len = (a[1] as usize).min(MAXLOGNAME);
    us.copyout(a[0], &login[..len])?;
    ret(0)
}

fn setlogin(ctx: &Ctx, name: &[u8]) -> KResult<()> {
    ctx.cred().require_root()?;
    let name = std::str::from_utf8(name).map_err(|_| Errno::EINVAL)?;
    ctx.proc().set_login(name);
    Ok(())
}

pub(super) fn sys_setlogin(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let name = us.copyinstr(a[0], MAXLOGNAME).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::EINVAL
        } else {
            e
        }
    })?;
    setlogin(ctx, &name)?;
    ret(0)
}

impl Kernel {
    /// `getpid(2)`.
    pub fn sys_getpid(&self) -> KResult<i32> {
        self.with_ctx(|ctx| Ok(ctx.proc().pid))
    }

    /// `getppid(2)`.
    pub fn sys_getppid(&self) -> KResult<i32> {
        self.with_ctx(|ctx| Ok(ctx.proc().ppid))
    }

    /// `__setlogin(2)`.
    pub fn sys_setlogin(&self, name: &str) -> KResult<()> {
        if name.len() >= MAXLOGNAME {
            return Err(Errno::EINVAL);
        }
        self.with_ctx(|ctx| setlogin(ctx, name.as_bytes()))
    }

    /// `__getlogin(2)`.
    pub fn sys_getlogin(&self) -> KResult<String> {
        self.with_ctx(|ctx| Ok(ctx.proc().login()))
    }
}
