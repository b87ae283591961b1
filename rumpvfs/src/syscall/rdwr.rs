//! Reading, writing and sizing open files: `pread`, `pwrite`, `lseek`,
//! `truncate`, `ftruncate` and `flock`.

use super::Calls;
use crate::calls;
use netbsd_abi::*;
use rump::KResult;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::pieces::{Cut, io_len, read_pieces, write_pieces};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;

pub(super) const CALLS: Calls = &[
    (SYS_pread, "pread", sys_pread),
    (SYS_pwrite, "pwrite", sys_pwrite),
    (SYS_lseek, "lseek", sys_lseek),
    (SYS_truncate, "truncate", sys_truncate),
    (SYS_ftruncate, "ftruncate", sys_ftruncate),
    (SYS_flock, "flock", sys_flock),
];

fn sys_pread(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = arg_int(a, 0);
    let cut = Cut::of(&*ctx.proc().fdt().get(fd)?);
    let iov = [(a[1], io_len(a[2])?)];
    let mut at = a[4] as i64;
    let n = read_pieces(ctx, us, fd, &iov, cut, |buf| {
        let n = calls::pread(ctx, fd, buf, at)?;
        at = at.saturating_add(n as i64);
        Ok(n)
    })?;
    ret(n as u64)
}

fn sys_pwrite(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = arg_int(a, 0);
    let cut = Cut::of(&*ctx.proc().fdt().get(fd)?);
    let iov = [(a[1], io_len(a[2])?)];
    let mut at = a[4] as i64;
    let n = write_pieces(ctx, us, fd, &iov, cut, |buf| {
        let n = calls::pwrite(ctx, fd, buf, at)?;
        at = at.saturating_add(n as i64);
        Ok(n)
    })?;
    ret(n as u64)
}

fn sys_lseek(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(calls::lseek(ctx, arg_int(a, 0), a[2] as i64, arg_int(a, 3))? as u64)
}

fn sys_truncate(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::truncate(ctx, None, &arg_path(us, a[0])?, a[2] as i64)?;
    ret(0)
}

fn sys_ftruncate(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::ftruncate(ctx, arg_int(a, 0), a[2] as i64)?;
    ret(0)
}

fn sys_flock(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::flock(ctx, arg_int(a, 0), arg_int(a, 1))?;
    ret(0)
}
