//! Advice and space for ranges of open files: `__posix_fadvise50`,
//! `posix_fallocate` (both NOERR: the error is the return value) and
//! `fdiscard`, with NetBSD 7.99's checks in its order (`do_posix_fadvise`,
//! `sys_posix_fallocate`, `sys_fdiscard`).

use super::Calls;
use crate::calls;
use netbsd_abi::*;
use rump::file::{DTYPE_PIPE, DTYPE_SOCKET, DTYPE_VNODE};
use rump::syscall::args::{arg_int, ret, ret_errno_value};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS___posix_fadvise50, "__posix_fadvise50", sys_fadvise),
    (SYS_posix_fallocate, "posix_fallocate", sys_fallocate),
    (SYS_fdiscard, "fdiscard", sys_fdiscard),
];

/// `posix_fadvise(fd, offset, len, advice)`. The advice is a hint: this
/// kernel reads nothing ahead and keeps no page cache apart from the file
/// systems' own storage, so accepted advice changes nothing, as
/// `POSIX_FADV_NOREUSE` changes nothing in NetBSD.
fn fadvise(ctx: &Ctx, fd: i32, offset: i64, len: i64, advice: i32) -> KResult<()> {
    // NetBSD's `INT64_MAX - offset` wraps for a negative offset, which
    // makes any positive length EINVAL (measured on NetBSD's kernel).
    if len < 0 || (len > 0 && i64::MAX.wrapping_sub(offset) < len) {
        return Err(Errno::EINVAL);
    }
    let f = ctx.proc().fdt().get(fd)?;
    match f.ops().dtype() {
        DTYPE_VNODE => {}
        DTYPE_PIPE | DTYPE_SOCKET => return Err(Errno::ESPIPE),
        _ => return Err(Errno::EOPNOTSUPP),
    }
    match advice {
        POSIX_FADV_NORMAL
        | POSIX_FADV_RANDOM
        | POSIX_FADV_SEQUENTIAL
        | POSIX_FADV_WILLNEED
        | POSIX_FADV_DONTNEED
        | POSIX_FADV_NOREUSE => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_fadvise(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    // Slot 1 is the padding before the off_t arguments.
    let r = fadvise(ctx, arg_int(a, 0), a[2] as i64, a[3] as i64, arg_int(a, 4));
    ret_errno_value(r)
}

/// The range check both calls make first: EINVAL for a negative start or
/// length, or one that passes the largest offset.
fn check_range(pos: i64, len: i64) -> KResult<()> {
    if pos < 0 || len < 0 || len > i64::MAX - pos {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

fn sys_fallocate(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let (pos, len) = (a[2] as i64, a[3] as i64);
    let r = check_range(pos, len).and_then(|()| calls::fallocate_or_discard(ctx, arg_int(a, 0)));
    ret_errno_value(r)
}

fn sys_fdiscard(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    check_range(a[2] as i64, a[3] as i64)?;
    calls::fallocate_or_discard(ctx, arg_int(a, 0))?;
    ret(0)
}
