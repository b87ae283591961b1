//! The file system calls by NetBSD number: argument slots decoded, paths
//! and structures copied through the caller's memory. Layouts are from
//! `netbsd-abi/structs.tsv`.

use crate::calls::{self, Dirent, StatVfs, TimeArg};
use crate::flags::PATH_MAX;
use crate::fstypes::MountArgs;
use crate::node::VType;
use rump::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use rump::usermem::{UserSpace, copyin_array};
use rump::{Errno, KResult, Kernel};

/// Largest single transfer (a bounce buffer is allocated for it).
const MAX_IO: usize = 1 << 24;
/// `TMPFS_ARGS_VERSION`.
const TMPFS_ARGS_VERSION: i32 = 1;
/// `sizeof(struct statvfs)`.
const STATVFS_LEN: usize = 2256;

fn int(a: &SysArgs, i: usize) -> i32 {
    a[i] as u32 as i32
}

fn path(us: &dyn UserSpace, addr: u64) -> KResult<Vec<u8>> {
    us.copyinstr(addr, PATH_MAX)
}

fn ok(v: u64) -> KResult<SysRet> {
    Ok([v, 0])
}

fn sys_open(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    ok(calls::open(ctx, None, &path(us, a[0])?, int(a, 1), a[2] as u32)? as u64)
}

fn sys_mkdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::mkdir(ctx, None, &path(us, a[0])?, a[1] as u32)?;
    ok(0)
}

fn sys_mkfifo(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::mknod(ctx, None, &path(us, a[0])?, VType::Fifo, a[1] as u32, 0)?;
    ok(0)
}

/// The node type `mknod` makes from the type bits of `mode`.
fn mknod_type(mode: u32) -> KResult<VType> {
    use crate::flags::{S_IFBLK, S_IFCHR, S_IFIFO, S_IFMT, S_IFREG};
    match mode & S_IFMT {
        S_IFCHR => Ok(VType::Chr),
        S_IFBLK => Ok(VType::Blk),
        S_IFIFO => Ok(VType::Fifo),
        // NetBSD lets root make an empty regular file this way too.
        S_IFREG | 0 => Ok(VType::Reg),
        _ => Err(Errno::EINVAL),
    }
}

fn sys_mknod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let mode = a[1] as u32;
    calls::mknod(
        ctx,
        None,
        &path(us, a[0])?,
        mknod_type(mode)?,
        mode & 0o7777,
        a[2],
    )?;
    ok(0)
}

fn sys_mknodat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    let mode = a[2] as u32;
    calls::mknod(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        mknod_type(mode)?,
        mode & 0o7777,
        a[4],
    )?;
    ok(0)
}

fn sys_rmdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::remove(ctx, None, &path(us, a[0])?, true)?;
    ok(0)
}

fn sys_unlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::remove(ctx, None, &path(us, a[0])?, false)?;
    ok(0)
}

fn sys_rename(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::rename(ctx, None, &path(us, a[0])?, None, &path(us, a[1])?)?;
    ok(0)
}

fn sys_link(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::link(ctx, None, &path(us, a[0])?, None, &path(us, a[1])?, false)?;
    ok(0)
}

fn sys_symlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::symlink(ctx, &path(us, a[0])?, None, &path(us, a[1])?)?;
    ok(0)
}

fn sys_readlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let target = calls::readlink(ctx, None, &path(us, a[0])?)?;
    let n = target.len().min(a[2] as usize);
    us.copyout(a[1], &target[..n])?;
    ok(n as u64)
}

fn stat_out(us: &dyn UserSpace, addr: u64, st: &rump::file::Stat) -> KResult<SysRet> {
    us.copyout(addr, &st.to_bytes())?;
    ok(0)
}

fn sys_stat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    stat_out(us, a[1], &calls::stat(ctx, None, &path(us, a[0])?, true)?)
}

fn sys_lstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    stat_out(us, a[1], &calls::stat(ctx, None, &path(us, a[0])?, false)?)
}

/// NetBSD's `struct dirent`: fileno u64 @0, reclen u16 @8, namlen u16 @10,
/// type u8 @12, name @13 with its NUL, the record padded to 8 bytes.
fn dirent_len(d: &Dirent) -> usize {
    (13 + d.name.len() + 1 + 7) & !7
}

fn emit_dirent(d: &Dirent, out: &mut Vec<u8>) {
    let len = dirent_len(d);
    let start = out.len();
    out.resize(start + len, 0);
    let r = &mut out[start..];
    r[0..8].copy_from_slice(&d.ino.to_le_bytes());
    r[8..10].copy_from_slice(&(len as u16).to_le_bytes());
    r[10..12].copy_from_slice(&(d.name.len() as u16).to_le_bytes());
    r[12] = d.typ;
    r[13..13 + d.name.len()].copy_from_slice(&d.name);
}

fn sys_getdents(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let count = (a[2] as usize).min(MAX_IO);
    let mut used = 0;
    let entries = calls::getdents(ctx, int(a, 0), |d| {
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
    ok(out.len() as u64)
}

fn sys_lseek(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ok(calls::lseek(ctx, int(a, 0), a[2] as i64, int(a, 3))? as u64)
}

fn sys_pread(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let _charge = ctx.kernel().charge((a[2] as usize).min(MAX_IO) as u64)?;
    let mut buf = vec![0u8; (a[2] as usize).min(MAX_IO)];
    let n = calls::pread(ctx, int(a, 0), &mut buf, a[4] as i64)?;
    us.copyout(a[1], &buf[..n])?;
    ok(n as u64)
}

fn sys_pwrite(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let len = (a[2] as usize).min(MAX_IO);
    let _charge = ctx.kernel().charge(len as u64)?;
    let buf = rump::usermem::copyin_vec(us, a[1], len)?;
    ok(calls::pwrite(ctx, int(a, 0), &buf, a[4] as i64)? as u64)
}

fn sys_chdir(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chdir(ctx, &path(us, a[0])?)?;
    ok(0)
}

fn sys_chroot(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chroot(ctx, Some(&path(us, a[0])?), None)?;
    ok(0)
}

fn sys_fchroot(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::chroot(ctx, None, Some(int(a, 0)))?;
    ok(0)
}

fn sys_fchdir(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchdir(ctx, int(a, 0))?;
    ok(0)
}

fn sys_getcwd(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let mut cwd = calls::getcwd(ctx)?.into_bytes();
    cwd.push(0);
    if cwd.len() > a[1] as usize {
        return Err(Errno::ERANGE);
    }
    us.copyout(a[0], &cwd)?;
    ok(cwd.len() as u64)
}

fn sys_chmod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chmod(ctx, None, &path(us, a[0])?, a[1] as u32, true)?;
    ok(0)
}

fn sys_lchmod(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chmod(ctx, None, &path(us, a[0])?, a[1] as u32, false)?;
    ok(0)
}

fn sys_fchmod(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchmod(ctx, int(a, 0), a[1] as u32)?;
    ok(0)
}

fn sys_chown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chown(ctx, None, &path(us, a[0])?, a[1] as u32, a[2] as u32, true)?;
    ok(0)
}

fn sys_lchown(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::chown(ctx, None, &path(us, a[0])?, a[1] as u32, a[2] as u32, false)?;
    ok(0)
}

fn sys_fchown(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fchown(ctx, int(a, 0), a[1] as u32, a[2] as u32)?;
    ok(0)
}

fn sys_access(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::access(ctx, None, &path(us, a[0])?, int(a, 1))?;
    ok(0)
}

fn sys_truncate(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::truncate(ctx, None, &path(us, a[0])?, a[2] as i64)?;
    ok(0)
}

fn sys_ftruncate(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::ftruncate(ctx, int(a, 0), a[2] as i64)?;
    ok(0)
}

fn sys_fsync(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fsync(ctx, int(a, 0))?;
    ok(0)
}

fn sys_flock(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::flock(ctx, int(a, 0), int(a, 1))?;
    ok(0)
}

fn sys_sync(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::sync(ctx)?;
    ok(0)
}

fn sys_umask(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ok(u64::from(calls::umask_set(ctx, a[0] as u32)))
}

/// `struct timeval` pairs (sec i64, usec i32 + pad) of `utimes`; NULL is now.
fn times(us: &dyn UserSpace, addr: u64) -> KResult<(TimeArg, TimeArg)> {
    if addr == 0 {
        return Ok((TimeArg::Now, TimeArg::Now));
    }
    let b = copyin_array::<32>(us, addr)?;
    let tv = |o: usize| -> KResult<TimeArg> {
        let sec = i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        let usec = i64::from(i32::from_le_bytes(
            b[o + 8..o + 12].try_into().unwrap_or_default(),
        ));
        if !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Ok(TimeArg::At(sec, usec * 1000))
    };
    Ok((tv(0)?, tv(16)?))
}

fn sys_utimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = times(us, a[1])?;
    calls::utimes(ctx, None, &path(us, a[0])?, at, mt, true)?;
    ok(0)
}

fn sys_lutimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = times(us, a[1])?;
    calls::utimes(ctx, None, &path(us, a[0])?, at, mt, false)?;
    ok(0)
}

/// NetBSD's `struct statvfs` (offsets from `structs.tsv`).
fn emit_statvfs(s: &StatVfs) -> Vec<u8> {
    let mut b = vec![0u8; STATVFS_LEN];
    for (off, v) in [
        (0, s.flag),
        (8, s.bsize),
        (16, s.frsize),
        (24, s.bsize),
        (32, s.blocks),
        (40, s.bfree),
        (48, s.bavail),
        (56, s.bresvd),
        (64, s.files),
        (72, s.ffree),
        (80, s.favail),
        (144, 255),
    ] {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }
    let put = |b: &mut [u8], off: usize, max: usize, text: &str| {
        let t = text.as_bytes();
        let n = t.len().min(max - 1);
        b[off..off + n].copy_from_slice(&t[..n]);
    };
    put(&mut b, 172, 32, &s.fstypename);
    put(&mut b, 204, 1024, &s.mntonname);
    put(&mut b, 1228, 1024, &s.mntfromname);
    b
}

fn sys_statvfs(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    us.copyout(a[1], &emit_statvfs(&calls::statvfs(ctx, &path(us, a[0])?)?))?;
    ok(0)
}

fn sys_fstatvfs(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    us.copyout(a[1], &emit_statvfs(&calls::fstatvfs(ctx, int(a, 0))?))?;
    ok(0)
}

/// `__mount50(type, path, flags, data, data_len)`; tmpfs takes
/// `tmpfs_args`, ffs `ufs_args` (a pointer to the device path).
fn sys_mount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fstype = String::from_utf8_lossy(&us.copyinstr(a[0], 32)?).into_owned();
    let target = path(us, a[1])?;
    let flags = int(a, 2);
    if flags & crate::flags::MNT_UPDATE != 0 {
        calls::mount(ctx, &fstype, &target, flags, &MountArgs::default())?;
        return ok(0);
    }
    let args = match fstype.as_str() {
        "tmpfs" => {
            if (a[4] as usize) < 40 {
                return Err(Errno::EINVAL);
            }
            let t = copyin_array::<40>(us, a[3])?;
            let field = |o: usize| u64::from_le_bytes(t[o..o + 8].try_into().unwrap_or_default());
            let word = |o: usize| u32::from_le_bytes(t[o..o + 4].try_into().unwrap_or_default());
            if word(0) as i32 != TMPFS_ARGS_VERSION {
                return Err(Errno::EINVAL);
            }
            MountArgs {
                nodes_max: field(8),
                size_max: field(16),
                uid: word(24),
                gid: word(28),
                mode: word(32) & 0o7777,
                ..MountArgs::default()
            }
        }
        "ffs" => {
            if (a[4] as usize) < 8 {
                return Err(Errno::EINVAL);
            }
            let p = u64::from_le_bytes(copyin_array::<8>(us, a[3])?);
            if p == 0 {
                return Err(Errno::EINVAL);
            }
            MountArgs {
                fspec: Some(path(us, p)?),
                ..MountArgs::default()
            }
        }
        _ => MountArgs::default(),
    };
    calls::mount(ctx, &fstype, &target, flags, &args)?;
    ok(0)
}

fn sys_unmount(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    calls::unmount(ctx, &path(us, a[0])?, int(a, 1))?;
    ok(0)
}

/// `AT_FDCWD`: relative to the current directory.
const AT_FDCWD: i32 = -100;
/// `AT_SYMLINK_NOFOLLOW`.
const AT_SYMLINK_NOFOLLOW: i32 = 0x200;
/// `AT_SYMLINK_FOLLOW`.
const AT_SYMLINK_FOLLOW: i32 = 0x400;
/// `AT_REMOVEDIR`.
const AT_REMOVEDIR: i32 = 0x800;
/// `AT_EACCESS`.
const AT_EACCESS: i32 = 0x100;

/// Where a `*at` call's relative path starts: the directory `fd` names, or
/// the current directory for `AT_FDCWD`. An absolute path ignores it.
fn at_dir(ctx: &Ctx, fd: i32, path: &[u8]) -> KResult<Option<crate::vfs::Vnode>> {
    if fd == AT_FDCWD || path.first() == Some(&b'/') {
        return Ok(None);
    }
    let f = ctx.proc().fdt().get(fd)?;
    let vn = f
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<crate::VnodeFile>())
        .map(|v| v.vn.clone())
        .ok_or(Errno::ENOTDIR)?;
    if vn.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    Ok(Some(vn))
}

fn flags_ok(flags: i32, allowed: i32) -> KResult<()> {
    if flags & !allowed != 0 {
        Err(Errno::EINVAL)
    } else {
        Ok(())
    }
}

fn sys_openat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    ok(calls::open(ctx, at_dir(ctx, int(a, 0), &p)?, &p, int(a, 2), a[3] as u32)? as u64)
}

fn sys_mkdirat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    calls::mkdir(ctx, at_dir(ctx, int(a, 0), &p)?, &p, a[2] as u32)?;
    ok(0)
}

fn sys_mkfifoat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    calls::mknod(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        VType::Fifo,
        a[2] as u32,
        0,
    )?;
    ok(0)
}

fn sys_fstatat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    let follow = int(a, 3) & AT_SYMLINK_NOFOLLOW == 0;
    stat_out(
        us,
        a[2],
        &calls::stat(ctx, at_dir(ctx, int(a, 0), &p)?, &p, follow)?,
    )
}

fn sys_unlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 2), AT_REMOVEDIR)?;
    calls::remove(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        int(a, 2) & AT_REMOVEDIR != 0,
    )?;
    ok(0)
}

fn sys_renameat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (path(us, a[1])?, path(us, a[3])?);
    calls::rename(
        ctx,
        at_dir(ctx, int(a, 0), &from)?,
        &from,
        at_dir(ctx, int(a, 2), &to)?,
        &to,
    )?;
    ok(0)
}

fn sys_linkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (from, to) = (path(us, a[1])?, path(us, a[3])?);
    flags_ok(int(a, 4), AT_SYMLINK_FOLLOW)?;
    let follow = int(a, 4) & AT_SYMLINK_FOLLOW != 0;
    calls::link(
        ctx,
        at_dir(ctx, int(a, 0), &from)?,
        &from,
        at_dir(ctx, int(a, 2), &to)?,
        &to,
        follow,
    )?;
    ok(0)
}

fn sys_symlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (target, p) = (path(us, a[0])?, path(us, a[2])?);
    calls::symlink(ctx, &target, at_dir(ctx, int(a, 1), &p)?, &p)?;
    ok(0)
}

fn sys_readlinkat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    let target = calls::readlink(ctx, at_dir(ctx, int(a, 0), &p)?, &p)?;
    let n = target.len().min(a[3] as usize);
    us.copyout(a[2], &target[..n])?;
    ok(n as u64)
}

fn sys_faccessat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 3), AT_EACCESS | AT_SYMLINK_NOFOLLOW)?;
    calls::access(ctx, at_dir(ctx, int(a, 0), &p)?, &p, int(a, 2))?;
    ok(0)
}

fn sys_fchmodat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    calls::chmod(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        a[2] as u32,
        int(a, 3) & AT_SYMLINK_NOFOLLOW == 0,
    )?;
    ok(0)
}

fn sys_fchownat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 4), AT_SYMLINK_NOFOLLOW)?;
    let follow = int(a, 4) & AT_SYMLINK_NOFOLLOW == 0;
    calls::chown(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        a[2] as u32,
        a[3] as u32,
        follow,
    )?;
    ok(0)
}

/// `UTIME_NOW` and `UTIME_OMIT` in a `tv_nsec`.
const UTIME_NOW: i64 = 0x3fff_ffff;
const UTIME_OMIT: i64 = 0x3fff_fffe;

/// `struct timespec` pairs of `utimensat`/`futimens`; NULL is now.
fn timespecs(us: &dyn UserSpace, addr: u64) -> KResult<(TimeArg, TimeArg)> {
    if addr == 0 {
        return Ok((TimeArg::Now, TimeArg::Now));
    }
    let b = copyin_array::<32>(us, addr)?;
    let ts = |o: usize| -> KResult<TimeArg> {
        let sec = i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        let nsec = i64::from_le_bytes(b[o + 8..o + 16].try_into().unwrap_or_default());
        match nsec {
            UTIME_NOW => Ok(TimeArg::Now),
            UTIME_OMIT => Ok(TimeArg::Omit),
            n if (0..1_000_000_000).contains(&n) => Ok(TimeArg::At(sec, n)),
            _ => Err(Errno::EINVAL),
        }
    };
    Ok((ts(0)?, ts(16)?))
}

fn sys_futimes(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = times(us, a[1])?;
    calls::futimes(ctx, int(a, 0), at, mt)?;
    ok(0)
}

fn sys_futimens(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (at, mt) = timespecs(us, a[1])?;
    calls::futimes(ctx, int(a, 0), at, mt)?;
    ok(0)
}

fn sys_fsync_range(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    calls::fsync_range(ctx, int(a, 0), int(a, 1), a[3] as i64)?;
    ok(0)
}

fn sys_getvfsstat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let max = (a[0] != 0).then(|| a[1] as usize / STATVFS_LEN);
    let all = calls::getvfsstat(ctx, max)?;
    if a[0] != 0 {
        let bytes: Vec<u8> = all.iter().flat_map(emit_statvfs).collect();
        us.copyout(a[0], &bytes)?;
    }
    ok(all.len() as u64)
}

fn sys_utimensat(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let p = path(us, a[1])?;
    flags_ok(int(a, 3), AT_SYMLINK_NOFOLLOW)?;
    let (at, mt) = timespecs(us, a[2])?;
    calls::utimes(
        ctx,
        at_dir(ctx, int(a, 0), &p)?,
        &p,
        at,
        mt,
        int(a, 3) & AT_SYMLINK_NOFOLLOW == 0,
    )?;
    ok(0)
}

/// Register the file system calls in `k`'s table.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (5, "open", sys_open),
        (9, "link", sys_link),
        (10, "unlink", sys_unlink),
        (12, "chdir", sys_chdir),
        (13, "fchdir", sys_fchdir),
        (15, "chmod", sys_chmod),
        (16, "chown", sys_chown),
        (22, "unmount", sys_unmount),
        (33, "access", sys_access),
        (36, "sync", sys_sync),
        (57, "symlink", sys_symlink),
        (58, "readlink", sys_readlink),
        (60, "umask", sys_umask),
        (61, "chroot", sys_chroot),
        (95, "fsync", sys_fsync),
        (131, "flock", sys_flock),
        (241, "fdatasync", sys_fsync),
        (123, "fchown", sys_fchown),
        (124, "fchmod", sys_fchmod),
        (128, "rename", sys_rename),
        (132, "mkfifo", sys_mkfifo),
        (136, "mkdir", sys_mkdir),
        (137, "rmdir", sys_rmdir),
        (173, "pread", sys_pread),
        (174, "pwrite", sys_pwrite),
        (199, "lseek", sys_lseek),
        (200, "truncate", sys_truncate),
        (201, "ftruncate", sys_ftruncate),
        (274, "lchmod", sys_lchmod),
        (275, "lchown", sys_lchown),
        (296, "__getcwd", sys_getcwd),
        (297, "fchroot", sys_fchroot),
        (354, "fsync_range", sys_fsync_range),
        (356, "getvfsstat", sys_getvfsstat),
        (357, "statvfs1", sys_statvfs),
        (358, "fstatvfs1", sys_fstatvfs),
        (390, "__getdents30", sys_getdents),
        (410, "__mount50", sys_mount),
        (420, "__utimes50", sys_utimes),
        (423, "__futimes50", sys_futimes),
        (424, "__lutimes50", sys_lutimes),
        (439, "__stat50", sys_stat),
        (441, "__lstat50", sys_lstat),
        (450, "__mknod50", sys_mknod),
        (457, "linkat", sys_linkat),
        (458, "renameat", sys_renameat),
        (459, "mkfifoat", sys_mkfifoat),
        (460, "mknodat", sys_mknodat),
        (461, "mkdirat", sys_mkdirat),
        (462, "faccessat", sys_faccessat),
        (463, "fchmodat", sys_fchmodat),
        (464, "fchownat", sys_fchownat),
        (466, "fstatat", sys_fstatat),
        (467, "utimensat", sys_utimensat),
        (468, "openat", sys_openat),
        (469, "readlinkat", sys_readlinkat),
        (470, "symlinkat", sys_symlinkat),
        (471, "unlinkat", sys_unlinkat),
        (472, "futimens", sys_futimens),
    ];
    for &(n, name, h) in calls {
        k.register_syscall(n, name, h)?;
    }
    Ok(())
}
