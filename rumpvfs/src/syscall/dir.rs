//! Directories: `mkdir`, `mkdirat`, `rmdir`, `__getdents30`, and the
//! process's current and root directories (`chdir`, `fchdir`, `chroot`,
//! `fchroot`, `__getcwd`).

use super::{Calls, MAX_IO, at_dir};
use crate::calls::{self, Dirent};
use netbsd_abi::layout::dirent;
use netbsd_abi::*;
use rump::syscall::args::{arg_int, arg_path, ret};
use rump::syscall::{Ctx, SysArgs, SysRet};
use rump::usermem::UserSpace;
use rump::{Errno, KResult};

pub(super) const CALLS: Calls = &[
    (SYS_mkdir, "mkdir", sys_mkdir),
    (SYS_mkdirat, "mkdirat", sys_mkdirat),
    (SYS_rmdir, "rmdir", sys_rmdir),
    (SYS___getdents30, "__getdents30", sys_getdents),
    (SYS_chdir, "chdir", sys_chdir),
    (SYS_fchdir, "fchdir", sys_fchdir),
    (SYS_chroot, "chroot", sys_chroot),
    (SYS_fchroot, "fchroot", sys_fchroot),
    (SYS___getcwd, "__getcwd", sys_getcwd),
];

fn sys_mkdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::mkdir(ctx, None, &arg_path(us, a[0])?, a[1] as u32)?;
    ret(0)
}

fn sys_mkdirat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = arg_path(us, a[1])?;
    calls::mkdir(ctx, at_dir(ctx, arg_int(a, 0), &p)?, &p, a[2] as u32)?;
    ret(0)
}

fn sys_rmdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::remove(ctx, None, &arg_path(us, a[0])?, true)?;
    ret(0)
}

/// The record length of `d` as NetBSD's `struct dirent`: the name with its
/// NUL after the fixed fields, padded to the structure's alignment.
fn dirent_len(d: &Dirent) -> usize {
    (dirent::d_name.offset + d.name.len() + 1).next_multiple_of(dirent::ALIGN)
}

fn emit_dirent(d: &Dirent, out: &mut Vec<u8>) {
    let len = dirent_len(d);
    let start = out.len();
    out.resize(start + len, 0);
    let r = &mut out[start..];
    dirent::d_fileno.put(r, d.ino);
    dirent::d_reclen.put(r, len as u64);
    dirent::d_namlen.put(r, d.name.len() as u64);
    dirent::d_type.put(r, u64::from(d.typ));
    let name = dirent::d_name.offset;
    r[name..name + d.name.len()].copy_from_slice(&d.name);
}

fn sys_getdents(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let count = (a[2] as usize).min(MAX_IO);
    let mut used = 0;
    let entries = calls::getdents(ctx, arg_int(a, 0), |d| {
        used += dirent_len(d);
        used <= count
    })?;
    if entries.is_empty() && used > count {
        return Err(Errno::EINVAL); // not even one entry fits
    }
    let mut out = Vec::with_capacity(count);
    for d in &entries {
        emit_dirent(d, &mut out);
    }
    us.copyout(a[1], &out)?;
    rump::ktrace::genio(ctx, arg_int(a, 0), rump::ktrace::UIO_READ, &out);
    ret(out.len() as u64)
}

fn sys_chdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chdir(ctx, &arg_path(us, a[0])?)?;
    ret(0)
}

fn sys_fchdir(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchdir(ctx, arg_int(a, 0))?;
    ret(0)
}

fn sys_chroot(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chroot(ctx, Some(&arg_path(us, a[0])?), None)?;
    ret(0)
}

fn sys_fchroot(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::chroot(ctx, None, Some(arg_int(a, 0)))?;
    ret(0)
}

fn sys_getcwd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let mut cwd = calls::getcwd(ctx)?.into_bytes();
    cwd.push(0);
    if cwd.len() > a[1] as usize {
        return Err(Errno::ERANGE);
    }
    us.copyout(a[0], &cwd)?;
    ret(cwd.len() as u64)
}
