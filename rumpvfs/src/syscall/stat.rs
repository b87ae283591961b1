//! Asking about nodes and file systems: `stat`, `lstat`, `fstatat`,
//! `access`, `faccessat`, `statvfs1`, `fstatvfs1`, `getvfsstat`,
//! `pathconf` and `fpathconf`.

use super::{Calls, at_dir};
use crate::calls::{self, StatVfs};
use netbsd_abi::layout::statvfs;
use netbsd_abi::*;
use rump::KResult;
use rump::syscall::args::{arg_int, arg_path, check_flags, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;

pub(super) const CALLS: Calls = &[
    (SYS___stat50, "__stat50", sys_stat),
    (SYS___lstat50, "__lstat50", sys_lstat),
    (SYS_fstatat, "fstatat", sys_fstatat),
    (SYS_access, "access", sys_access),
    (SYS_faccessat, "faccessat", sys_faccessat),
    (SYS_statvfs1, "statvfs1", sys_statvfs),
    (SYS_fstatvfs1, "fstatvfs1", sys_fstatvfs),
    (SYS_getvfsstat, "getvfsstat", sys_getvfsstat),
    (SYS_pathconf, "pathconf", sys_pathconf),
    (SYS_fpathconf, "fpathconf", sys_fpathconf),
];

fn sys_pathconf(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let v = calls::pathconf(ctx, &arg_path(us, a[0])?, arg_int(a, 1))?;
    ret(v as u64)
}

fn sys_fpathconf(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(calls::fpathconf(ctx, arg_int(a, 0), arg_int(a, 1))? as u64)
}

/// Copy `st` out as NetBSD's `struct stat`.
pub(super) fn stat_out(us: &dyn UserSpace, addr: u64, st: &rump::file::Stat) -> KResult<SysRet> {
    us.copyout(addr, &st.to_bytes())?;
    ret(0)
}

fn sys_stat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    stat_out(
        us,
        a[1],
        &calls::stat(ctx, None, &arg_path(us, a[0])?, true)?,
    )
}

fn sys_lstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    stat_out(
        us,
        a[1],
        &calls::stat(ctx, None, &arg_path(us, a[0])?, false)?,
    )
}

fn sys_fstatat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    let follow = arg_int(a, 3) & AT_SYMLINK_NOFOLLOW == 0;
    let at = at_dir(ctx, arg_int(a, 0), &p)?;
    stat_out(us, a[2], &calls::stat(ctx, at, &p, follow)?)
}

fn sys_access(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::access(ctx, None, &arg_path(us, a[0])?, arg_int(a, 1))?;
    ret(0)
}

fn sys_faccessat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    check_flags(arg_int(a, 3), AT_EACCESS | AT_SYMLINK_NOFOLLOW)?;
    calls::access(ctx, at_dir(ctx, arg_int(a, 0), &p)?, &p, arg_int(a, 2))?;
    ret(0)
}

/// NetBSD's `struct statvfs` for `s`.
pub(super) fn emit_statvfs(s: &StatVfs) -> Vec<u8> {
    let mut b = vec![0u8; statvfs::SIZE];
    for (field, v) in [
        (statvfs::f_flag, s.flag),
        (statvfs::f_bsize, s.bsize),
        (statvfs::f_frsize, s.frsize),
        (statvfs::f_iosize, s.bsize),
        (statvfs::f_blocks, s.blocks),
        (statvfs::f_bfree, s.bfree),
        (statvfs::f_bavail, s.bavail),
        (statvfs::f_bresvd, s.bresvd),
        (statvfs::f_files, s.files),
        (statvfs::f_ffree, s.ffree),
        (statvfs::f_favail, s.favail),
        // namei's limit, as NetBSD's memory file systems and FFS answer (255), not
        // NAME_MAX (511).
        (statvfs::f_namemax, crate::flags::KERNEL_NAME_MAX as u64),
        // f_fsidx's first int32 and f_fsid: the id file handles carry.
        (statvfs::f_fsidx, s.fsid & 0xffff_ffff),
        (statvfs::f_fsid, s.fsid & 0xffff_ffff),
    ] {
        field.put(&mut b, v);
    }
    for (field, text) in [
        (statvfs::f_fstypename, &s.fstypename),
        (statvfs::f_mntonname, &s.mntonname),
        (statvfs::f_mntfromname, &s.mntfromname),
    ] {
        // Cut to the field, keeping its NUL.
        let t = text.as_bytes();
        let n = t.len().min(field.size - 1);
        b[field.offset..field.offset + n].copy_from_slice(&t[..n]);
    }
    b
}

fn sys_statvfs(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let s = calls::statvfs(ctx, &arg_path(us, a[0])?)?;
    us.copyout(a[1], &emit_statvfs(&s))?;
    ret(0)
}

fn sys_fstatvfs(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    us.copyout(a[1], &emit_statvfs(&calls::fstatvfs(ctx, arg_int(a, 0))?))?;
    ret(0)
}

fn sys_getvfsstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let max = (a[0] != 0).then(|| a[1] as usize / statvfs::SIZE);
    let all = calls::getvfsstat(ctx, max)?;
    if a[0] != 0 {
        let bytes: Vec<u8> = all.iter().flat_map(emit_statvfs).collect();
        us.copyout(a[0], &bytes)?;
    }
    ret(all.len() as u64)
}
