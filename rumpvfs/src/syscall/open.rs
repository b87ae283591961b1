//! Making and opening nodes: `open`, `openat`, `mknod`, `mkfifo` and their
//! `*at` forms, and `umask`, which shapes the modes they create with.

use super::{Calls, at_dir};
use crate::calls;
use crate::node::VType;
use netbsd_abi::*;
use rump::KResult;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;

pub(super) const CALLS: Calls = &[
    (SYS_open, "open", sys_open),
    (SYS_openat, "openat", sys_openat),
    (SYS___mknod50, "__mknod50", sys_mknod),
    (SYS_mknodat, "mknodat", sys_mknodat),
    (SYS_mkfifo, "mkfifo", sys_mkfifo),
    (SYS_mkfifoat, "mkfifoat", sys_mkfifoat),
    (SYS_umask, "umask", sys_umask),
];

fn sys_open(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[0])?;
    ret(calls::open(ctx, None, &p, arg_int(a, 1), a[2] as u32)? as u64)
}

fn sys_openat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    ret(calls::open(ctx, at, &p, arg_int(a, 2), a[3] as u32)? as u64)
}

fn sys_mknod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let mode = a[1] as u32;
    let p = arg_path(us, a[0])?;
    calls::mknod(ctx, None, &p, calls::mknod_type(mode)?, mode & 0o7777, a[2])?;
    ret(0)
}

fn sys_mknodat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    let mode = a[2] as u32;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    calls::mknod(ctx, at, &p, calls::mknod_type(mode)?, mode & 0o7777, a[4])?;
    ret(0)
}

fn sys_mkfifo(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::mknod(ctx, None, &arg_path(us, a[0])?, VType::Fifo, a[1] as u32, 0)?;
    ret(0)
}

fn sys_mkfifoat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    calls::mknod(ctx, at, &p, VType::Fifo, a[2] as u32, 0)?;
    ret(0)
}

fn sys_umask(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(u64::from(calls::umask_set(ctx, a[0] as u32)))
}
