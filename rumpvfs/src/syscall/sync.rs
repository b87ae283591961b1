//! Getting data to stable storage: `sync`, `fsync`, `fdatasync` and
//! `fsync_range`.

use super::Calls;
use crate::calls;
use netbsd_abi::*;
use rump::KResult;
use rump::syscall::args::{arg_int, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;

pub(super) const CALLS: Calls = &[
    (SYS_sync, "sync", sys_sync),
    (SYS_fsync, "fsync", sys_fsync),
    // Data and metadata both go: what fsync does is also enough here.
    (SYS_fdatasync, "fdatasync", sys_fsync),
    (SYS_fsync_range, "fsync_range", sys_fsync_range),
];

fn sys_sync(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::sync(ctx)?;
    ret(0)
}

fn sys_fsync(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fsync(ctx, arg_int(a, 0))?;
    ret(0)
}

fn sys_fsync_range(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fsync_range(ctx, arg_int(a, 0), arg_int(a, 1), a[3] as i64)?;
    ret(0)
}
