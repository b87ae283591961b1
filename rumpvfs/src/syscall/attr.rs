//! A node's attributes: mode (`chmod` and friends), owner (`chown` and
//! friends, and their `__posix_*` forms), times (`utimes`, `utimensat` and
//! friends) and flags (`chflags`, `fchflags`, `lchflags`).

use super::{Calls, at_dir};
use crate::calls::{self, ChownRule, TimeArg};
use netbsd_abi::*;
use rump::syscall::args::{
    arg_int, arg_path, check_flags, copyin_timespec_pair, copyin_timeval_pair, ret,
};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS_chmod, "chmod", sys_chmod),
    (SYS_lchmod, "lchmod", sys_lchmod),
    (SYS_fchmod, "fchmod", sys_fchmod),
    (SYS_fchmodat, "fchmodat", sys_fchmodat),
    (SYS_chown, "chown", sys_chown),
    (SYS_lchown, "lchown", sys_lchown),
    (SYS_fchown, "fchown", sys_fchown),
    (SYS_fchownat, "fchownat", sys_fchownat),
    (SYS___utimes50, "__utimes50", sys_utimes),
    (SYS___lutimes50, "__lutimes50", sys_lutimes),
    (SYS___futimes50, "__futimes50", sys_futimes),
    (SYS_futimens, "futimens", sys_futimens),
    (SYS_utimensat, "utimensat", sys_utimensat),
    (SYS___posix_chown, "__posix_chown", sys_posix_chown),
    (SYS___posix_fchown, "__posix_fchown", sys_posix_fchown),
    (SYS___posix_lchown, "__posix_lchown", sys_posix_lchown),
    (SYS_chflags, "chflags", sys_chflags),
    (SYS_fchflags, "fchflags", sys_fchflags),
    (SYS_lchflags, "lchflags", sys_lchflags),
];

fn sys_chmod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chmod(ctx, None, &arg_path(us, a[0])?, a[1] as u32, true)?;
    ret(0)
}

fn sys_lchmod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chmod(ctx, None, &arg_path(us, a[0])?, a[1] as u32, false)?;
    ret(0)
}

fn sys_fchmod(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchmod(ctx, arg_int(a, 0), a[1] as u32)?;
    ret(0)
}

fn sys_fchmodat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    let follow = arg_int(a, 3) & AT_SYMLINK_NOFOLLOW == 0;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    calls::chmod(ctx, at, &p, a[2] as u32, follow)?;
    ret(0)
}

/// The owner and group slots `i` and `i + 1` (`-1`: leave alone).
fn ids(a: &SysArgs, i: usize) -> (u32, u32) {
    (a[i] as u32, a[i + 1] as u32)
}

fn sys_chown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[0])?;
    calls::chown(ctx, None, &p, ids(a, 1), true, ChownRule::NetBsd)?;
    ret(0)
}

fn sys_lchown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[0])?;
    calls::chown(ctx, None, &p, ids(a, 1), false, ChownRule::NetBsd)?;
    ret(0)
}

fn sys_fchown(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let (uid, gid) = ids(a, 1);
    calls::fchown(ctx, arg_int(a, 0), uid, gid, ChownRule::NetBsd)?;
    ret(0)
}

fn sys_fchownat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 4), AT_SYMLINK_NOFOLLOW)?;
    let follow = arg_int(a, 4) & AT_SYMLINK_NOFOLLOW == 0;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    calls::chown(ctx, at, &p, ids(a, 2), follow, ChownRule::NetBsd)?;
    ret(0)
}

fn sys_posix_chown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[0])?;
    calls::chown(ctx, None, &p, ids(a, 1), true, ChownRule::Posix)?;
    ret(0)
}

fn sys_posix_lchown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[0])?;
    calls::chown(ctx, None, &p, ids(a, 1), false, ChownRule::Posix)?;
    ret(0)
}

fn sys_posix_fchown(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let (uid, gid) = ids(a, 1);
    calls::fchown(ctx, arg_int(a, 0), uid, gid, ChownRule::Posix)?;
    ret(0)
}

/// The `u_long` flags argument: NetBSD's file systems keep 32 bits.
fn flags_arg(a: &SysArgs, i: usize) -> u32 {
    a[i] as u32
}

fn sys_chflags(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chflags(ctx, &arg_path(us, a[0])?, flags_arg(a, 1), true)?;
    ret(0)
}

fn sys_lchflags(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chflags(ctx, &arg_path(us, a[0])?, flags_arg(a, 1), false)?;
    ret(0)
}

fn sys_fchflags(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchflags(ctx, arg_int(a, 0), flags_arg(a, 1))?;
    ret(0)
}

/// The `struct timeval` pair of `utimes`; NULL is now.
fn timevals(us: &dyn UserSpace, addr: u64) -> KResult<(TimeArg, TimeArg)> {
    if addr == 0 {
        return Ok((TimeArg::Now, TimeArg::Now));
    }
    let [a, m] = copyin_timeval_pair(us, addr)?.map(|(sec, usec)| {
        if (0..1_000_000).contains(&usec) {
            Ok(TimeArg::At(sec, usec * 1000))
        } else {
            Err(Errno::EINVAL)
        }
    });
    Ok((a?, m?))
}

/// The `struct timespec` pair of `utimensat`/`futimens`; NULL is now, and
/// a `tv_nsec` of `UTIME_NOW` or `UTIME_OMIT` says so for one time.
fn timespecs(us: &dyn UserSpace, addr: u64) -> KResult<(TimeArg, TimeArg)> {
    if addr == 0 {
        return Ok((TimeArg::Now, TimeArg::Now));
    }
    let [a, m] = copyin_timespec_pair(us, addr)?.map(|(sec, nsec)| match nsec {
        n if n == i64::from(UTIME_NOW) => Ok(TimeArg::Now),
        n if n == i64::from(UTIME_OMIT) => Ok(TimeArg::Omit),
        n if (0..1_000_000_000).contains(&n) => Ok(TimeArg::At(sec, n)),
        _ => Err(Errno::EINVAL),
    });
    Ok((a?, m?))
}

fn sys_utimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = timevals(us, a[1])?;
    calls::utimes(ctx, None, &arg_path(us, a[0])?, at, mt, true)?;
    ret(0)
}

fn sys_lutimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = timevals(us, a[1])?;
    calls::utimes(ctx, None, &arg_path(us, a[0])?, at, mt, false)?;
    ret(0)
}

fn sys_futimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = timevals(us, a[1])?;
    calls::futimes(ctx, arg_int(a, 0), at, mt)?;
    ret(0)
}

fn sys_futimens(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = timespecs(us, a[1])?;
    calls::futimes(ctx, arg_int(a, 0), at, mt)?;
    ret(0)
}

fn sys_utimensat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    let (at, mt) = timespecs(us, a[2])?;
    let follow = arg_int(a, 3) & AT_SYMLINK_NOFOLLOW == 0;
    let dir = at_dir(ctx, arg_int(a, 0), &p)?;
    calls::utimes(ctx, dir, &p, at, mt, follow)?;
    ret(0)
}
