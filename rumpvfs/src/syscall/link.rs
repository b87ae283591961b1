//! Names of nodes: `link`, `symlink`, `readlink`, `unlink`, `rename` and
//! their `*at` forms, and `__posix_rename`.

use super::{Calls, at_dir};
use crate::calls;
use netbsd_abi::*;
use rump::KResult;
use rump::syscall::args::{arg_int, arg_path, check_flags, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;

pub(super) const CALLS: Calls = &[
    (SYS_link, "link", sys_link),
    (SYS_linkat, "linkat", sys_linkat),
    (SYS_symlink, "symlink", sys_symlink),
    (SYS_symlinkat, "symlinkat", sys_symlinkat),
    (SYS_readlink, "readlink", sys_readlink),
    (SYS_readlinkat, "readlinkat", sys_readlinkat),
    (SYS_unlink, "unlink", sys_unlink),
    (SYS_unlinkat, "unlinkat", sys_unlinkat),
    (SYS_rename, "rename", sys_rename),
    (SYS_renameat, "renameat", sys_renameat),
    (SYS___posix_rename, "__posix_rename", sys_posix_rename),
];

fn sys_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (arg_path(us, a[0])?, arg_path(us, a[1])?);
    calls::link(ctx, None, &from, None, &to, false)?;
    ret(0)
}

fn sys_linkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (arg_path(us, a[1])?, arg_path(us, a[3])?);
    check_flags(arg_int(a, 4), AT_SYMLINK_FOLLOW)?;
    let follow = arg_int(a, 4) & AT_SYMLINK_FOLLOW != 0;
    let from_at = at_dir(ctx, arg_int(a, 0), &from)?;
    let to_at = at_dir(ctx, arg_int(a, 2), &to)?;
    calls::link(ctx, from_at, &from, to_at, &to, follow)?;
    ret(0)
}

fn sys_symlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (target, p) = (arg_path(us, a[0])?, arg_path(us, a[1])?);
    calls::symlink(ctx, &target, None, &p)?;
    ret(0)
}

fn sys_symlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (target, p) = (arg_path(us, a[0])?, arg_path(us, a[2])?);
    calls::symlink(ctx, &target, at_dir(ctx, arg_int(a, 1), &p)?, &p)?;
    ret(0)
}

/// Copy a link's target out, cut to the caller's buffer (no NUL added).
fn target_out(us: &dyn UserSpace, buf: u64, len: u64, target: &[u8]) -> KResult<SysRet> {
    let n = target.len().min(len as usize);
    us.copyout(buf, &target[..n])?;
    ret(n as u64)
}

fn sys_readlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let target = calls::readlink(ctx, None, &arg_path(us, a[0])?)?;
    target_out(us, a[1], a[2], &target)
}

fn sys_readlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    let target = calls::readlink(ctx, at_dir(ctx, arg_int(a, 0), &p)?, &p)?;
    target_out(us, a[2], a[3], &target)
}

fn sys_unlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::remove(ctx, None, &arg_path(us, a[0])?, false)?;
    ret(0)
}

fn sys_unlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 2), AT_REMOVEDIR)?;
    let dir = arg_int(a, 2) & AT_REMOVEDIR != 0;
    calls::remove(ctx, at_dir(ctx, arg_int(a, 0), &p)?, &p, dir)?;
    ret(0)
}

fn sys_rename(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (arg_path(us, a[0])?, arg_path(us, a[1])?);
    calls::rename(ctx, None, &from, None, &to)?;
    ret(0)
}

fn sys_posix_rename(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (arg_path(us, a[0])?, arg_path(us, a[1])?);
    calls::posix_rename(ctx, &from, &to)?;
    ret(0)
}

fn sys_renameat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (arg_path(us, a[1])?, arg_path(us, a[3])?);
    let from_at = at_dir(ctx, arg_int(a, 0), &from)?;
    let to_at = at_dir(ctx, arg_int(a, 2), &to)?;
    calls::rename(ctx, from_at, &from, to_at, &to)?;
    ret(0)
}
