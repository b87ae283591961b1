//! The typed file system calls as methods of the kernel ([`VfsCalls`]), for
//! tests and in-process users: each wraps a call of this module in a call
//! context.

use super::*;
use crate::node::VType;
use netbsd_abi::AT_SYMLINK_NOFOLLOW;
use rump::file::Stat;
use rump::syscall::args::check_flags;
use rump::{KResult, Kernel};

/// The typed file system calls, as methods of the kernel.
pub trait VfsCalls {
    /// `open(2)`.
    fn sys_open(&self, path: &str, flags: i32, mode: u32) -> KResult<i32>;
    /// `pread(2)`.
    fn sys_pread(&self, fd: i32, buf: &mut [u8], off: i64) -> KResult<usize>;
    /// `pwrite(2)`.
    fn sys_pwrite(&self, fd: i32, buf: &[u8], off: i64) -> KResult<usize>;
    /// `lseek(2)`.
    fn sys_lseek(&self, fd: i32, off: i64, whence: i32) -> KResult<i64>;
    /// `stat(2)`.
    fn sys_stat(&self, path: &str) -> KResult<Stat>;
    /// `lstat(2)`.
    fn sys_lstat(&self, path: &str) -> KResult<Stat>;
    /// `mkdir(2)`.
    fn sys_mkdir(&self, path: &str, mode: u32) -> KResult<()>;
    /// `rmdir(2)`.
    fn sys_rmdir(&self, path: &str) -> KResult<()>;
    /// `unlink(2)`.
    fn sys_unlink(&self, path: &str) -> KResult<()>;
    /// `rename(2)`.
    fn sys_rename(&self, from: &str, to: &str) -> KResult<()>;
    /// `link(2)`.
    fn sys_link(&self, existing: &str, new: &str) -> KResult<()>;
    /// `symlink(2)`.
    fn sys_symlink(&self, target: &str, linkpath: &str) -> KResult<()>;
    /// `readlink(2)`.
    fn sys_readlink(&self, path: &str) -> KResult<Vec<u8>>;
    /// `truncate(2)`.
    fn sys_truncate(&self, path: &str, len: i64) -> KResult<()>;
    /// `ftruncate(2)`.
    fn sys_ftruncate(&self, fd: i32, len: i64) -> KResult<()>;
    /// `fsync(2)`.
    fn sys_fsync(&self, fd: i32) -> KResult<()>;
    /// `flock(2)`: `LOCK_SH`, `LOCK_EX` or `LOCK_UN`, with `LOCK_NB`.
    fn sys_flock(&self, fd: i32, how: i32) -> KResult<()>;
    /// `sync(2)`.
    fn sys_sync(&self) -> KResult<()>;
    /// `chmod(2)`.
    fn sys_chmod(&self, path: &str, mode: u32) -> KResult<()>;
    /// `fchmod(2)`.
    fn sys_fchmod(&self, fd: i32, mode: u32) -> KResult<()>;
    /// `chown(2)`; `u32::MAX` leaves an id alone.
    fn sys_chown(&self, path: &str, uid: u32, gid: u32) -> KResult<()>;
    /// `lchown(2)`.
    fn sys_lchown(&self, path: &str, uid: u32, gid: u32) -> KResult<()>;
    /// `fchown(2)`.
    fn sys_fchown(&self, fd: i32, uid: u32, gid: u32) -> KResult<()>;
    /// `access(2)`, with the real ids.
    fn sys_access(&self, path: &str, amode: i32) -> KResult<()>;
    /// `chdir(2)`.
    fn sys_chdir(&self, path: &str) -> KResult<()>;
    /// `fchdir(2)`.
    fn sys_fchdir(&self, fd: i32) -> KResult<()>;
    /// `__getcwd(2)`.
    fn sys_getcwd(&self) -> KResult<String>;
    /// `getdents(2)`: every remaining entry of an open directory.
    fn sys_getdents(&self, fd: i32) -> KResult<Vec<Dirent>>;
    /// `utimes(2)`.
    fn sys_utimes(&self, path: &str, atime: (i64, i64), mtime: (i64, i64)) -> KResult<()>;
    /// `umask(2)`: set the mask, return the old one.
    fn sys_umask(&self, mask: u32) -> KResult<u32>;
    /// `mount(2)` of a file system of type `fstype` on `path`, with the
    /// type's own argument structure `data` (its `struct *_args`).
    fn sys_mount(&self, fstype: &str, path: &str, flags: i32, data: &[u8]) -> KResult<()>;
    /// `mount(2)` of a file system of type `fstype` on block device `fspec`
    /// (an etfs key or a drive) at `path`, with `MNT_*` flags (with
    /// `MNT_UPDATE`, `fspec` is not used).
    fn sys_mount_dev(&self, fstype: &str, fspec: &str, path: &str, flags: i32) -> KResult<()>;
    /// `unmount(2)`.
    fn sys_unmount(&self, path: &str, flags: i32) -> KResult<()>;
    /// `statvfs1(2)`.
    fn sys_statvfs(&self, path: &str) -> KResult<StatVfs>;
    /// `mkfifo(2)`.
    fn sys_mkfifo(&self, path: &str, mode: u32) -> KResult<()>;
    /// `chroot(2)`.
    fn sys_chroot(&self, path: &str) -> KResult<()>;
    /// `chflags(2)`.
    fn sys_chflags(&self, path: &str, flags: u32) -> KResult<()>;
    /// `fchflags(2)`.
    fn sys_fchflags(&self, fd: i32, flags: u32) -> KResult<()>;
    /// `pathconf(2)`.
    fn sys_pathconf(&self, path: &str, name: i32) -> KResult<i64>;
    /// `__posix_rename(2)`.
    fn sys_posix_rename(&self, from: &str, to: &str) -> KResult<()>;
    /// `utimensat(AT_FDCWD, path, times, flags)`: `UTIME_NOW` and
    /// `UTIME_OMIT` are [`TimeArg::Now`] and [`TimeArg::Omit`]; `flags`
    /// may hold `AT_SYMLINK_NOFOLLOW`.
    fn sys_utimensat(&self, path: &str, atime: TimeArg, mtime: TimeArg, flags: i32) -> KResult<()>;
    /// `mknod(2)`: the type bits of `mode` say what node (character or
    /// block device, or a regular file).
    fn sys_mknod(&self, path: &str, mode: u32, dev: u64) -> KResult<()>;
    /// `lsetxattr(2)`.
    fn sys_lsetxattr(&self, path: &str, name: &[u8], value: &[u8], flags: i32) -> KResult<()>;
    /// `lgetxattr(2)` into `value`; an empty `value` asks for the size.
    fn sys_lgetxattr(&self, path: &str, name: &[u8], value: &mut [u8]) -> KResult<usize>;
    /// `llistxattr(2)` into `list`; an empty `list` asks for the size.
    fn sys_llistxattr(&self, path: &str, list: &mut [u8]) -> KResult<usize>;
    /// `lremovexattr(2)`.
    fn sys_lremovexattr(&self, path: &str, name: &[u8]) -> KResult<()>;
}

impl VfsCalls for Kernel {
    fn sys_open(&self, path: &str, flags: i32, mode: u32) -> KResult<i32> {
        self.with_ctx(|ctx| open(ctx, None, path.as_bytes(), flags, mode))
    }
    fn sys_pread(&self, fd: i32, buf: &mut [u8], off: i64) -> KResult<usize> {
        self.with_ctx(|ctx| pread(ctx, fd, buf, off))
    }
    fn sys_pwrite(&self, fd: i32, buf: &[u8], off: i64) -> KResult<usize> {
        self.with_ctx(|ctx| pwrite(ctx, fd, buf, off))
    }
    fn sys_lseek(&self, fd: i32, off: i64, whence: i32) -> KResult<i64> {
        self.with_ctx(|ctx| lseek(ctx, fd, off, whence))
    }
    fn sys_stat(&self, path: &str) -> KResult<Stat> {
        self.with_ctx(|ctx| stat(ctx, None, path.as_bytes(), true))
    }
    fn sys_lstat(&self, path: &str) -> KResult<Stat> {
        self.with_ctx(|ctx| stat(ctx, None, path.as_bytes(), false))
    }
    fn sys_mkdir(&self, path: &str, mode: u32) -> KResult<()> {
        self.with_ctx(|ctx| mkdir(ctx, None, path.as_bytes(), mode))
    }
    fn sys_rmdir(&self, path: &str) -> KResult<()> {
        self.with_ctx(|ctx| remove(ctx, None, path.as_bytes(), true))
    }
    fn sys_unlink(&self, path: &str) -> KResult<()> {
        self.with_ctx(|ctx| remove(ctx, None, path.as_bytes(), false))
    }
    fn sys_rename(&self, from: &str, to: &str) -> KResult<()> {
        self.with_ctx(|ctx| rename(ctx, None, from.as_bytes(), None, to.as_bytes()))
    }
    fn sys_link(&self, existing: &str, new: &str) -> KResult<()> {
        self.with_ctx(|ctx| link(ctx, None, existing.as_bytes(), None, new.as_bytes(), false))
    }
    fn sys_symlink(&self, target: &str, linkpath: &str) -> KResult<()> {
        self.with_ctx(|ctx| symlink(ctx, target.as_bytes(), None, linkpath.as_bytes()))
    }
    fn sys_readlink(&self, path: &str) -> KResult<Vec<u8>> {
        self.with_ctx(|ctx| readlink(ctx, None, path.as_bytes()))
    }
    fn sys_truncate(&self, path: &str, len: i64) -> KResult<()> {
        self.with_ctx(|ctx| truncate(ctx, None, path.as_bytes(), len))
    }
    fn sys_ftruncate(&self, fd: i32, len: i64) -> KResult<()> {
        self.with_ctx(|ctx| ftruncate(ctx, fd, len))
    }
    fn sys_flock(&self, fd: i32, how: i32) -> KResult<()> {
        self.with_ctx(|ctx| flock(ctx, fd, how))
    }
    fn sys_fsync(&self, fd: i32) -> KResult<()> {
        self.with_ctx(|ctx| fsync(ctx, fd))
    }
    fn sys_sync(&self) -> KResult<()> {
        self.with_ctx(sync)
    }
    fn sys_chmod(&self, path: &str, mode: u32) -> KResult<()> {
        self.with_ctx(|ctx| chmod(ctx, None, path.as_bytes(), mode, true))
    }
    fn sys_fchmod(&self, fd: i32, mode: u32) -> KResult<()> {
        self.with_ctx(|ctx| fchmod(ctx, fd, mode))
    }
    fn sys_chown(&self, path: &str, uid: u32, gid: u32) -> KResult<()> {
        self.with_ctx(|ctx| {
            chown(
                ctx,
                None,
                path.as_bytes(),
                (uid, gid),
                true,
                ChownRule::Posix,
            )
        })
    }
    fn sys_lchown(&self, path: &str, uid: u32, gid: u32) -> KResult<()> {
        self.with_ctx(|ctx| {
            chown(
                ctx,
                None,
                path.as_bytes(),
                (uid, gid),
                false,
                ChownRule::Posix,
            )
        })
    }
    fn sys_fchown(&self, fd: i32, uid: u32, gid: u32) -> KResult<()> {
        self.with_ctx(|ctx| fchown(ctx, fd, uid, gid, ChownRule::Posix))
    }
    fn sys_access(&self, path: &str, amode: i32) -> KResult<()> {
        self.with_ctx(|ctx| access(ctx, None, path.as_bytes(), amode))
    }
    fn sys_chdir(&self, path: &str) -> KResult<()> {
        self.with_ctx(|ctx| chdir(ctx, path.as_bytes()))
    }
    fn sys_fchdir(&self, fd: i32) -> KResult<()> {
        self.with_ctx(|ctx| fchdir(ctx, fd))
    }
    fn sys_getcwd(&self) -> KResult<String> {
        self.with_ctx(getcwd)
    }
    fn sys_getdents(&self, fd: i32) -> KResult<Vec<Dirent>> {
        self.with_ctx(|ctx| getdents(ctx, fd, |_| true))
    }
    fn sys_utimes(&self, path: &str, atime: (i64, i64), mtime: (i64, i64)) -> KResult<()> {
        self.with_ctx(|ctx| {
            utimes(
                ctx,
                None,
                path.as_bytes(),
                TimeArg::At(atime.0, atime.1),
                TimeArg::At(mtime.0, mtime.1),
                true,
            )
        })
    }
    fn sys_umask(&self, mask: u32) -> KResult<u32> {
        self.with_ctx(|ctx| Ok(umask_set(ctx, mask)))
    }
    fn sys_mount(&self, fstype: &str, path: &str, flags: i32, data: &[u8]) -> KResult<()> {
        self.with_ctx(|ctx| {
            let us = crate::fstypes::NoUserMemory;
            let data = |_| Ok(data.to_vec());
            let args = crate::fstypes::read_mount_args(ctx.kernel(), fstype, flags, data, &us)?;
            mount(ctx, fstype, path.as_bytes(), flags, &args)
        })
    }
    fn sys_mount_dev(&self, fstype: &str, fspec: &str, path: &str, flags: i32) -> KResult<()> {
        let args = crate::fstypes::MountArgs {
            fspec: Some(fspec.as_bytes().to_vec()),
            ..Default::default()
        };
        self.with_ctx(|ctx| mount(ctx, fstype, path.as_bytes(), flags, &args))
    }
    fn sys_unmount(&self, path: &str, flags: i32) -> KResult<()> {
        self.with_ctx(|ctx| unmount(ctx, path.as_bytes(), flags))
    }
    fn sys_statvfs(&self, path: &str) -> KResult<StatVfs> {
        self.with_ctx(|ctx| statvfs(ctx, path.as_bytes()))
    }
    fn sys_chflags(&self, path: &str, flags: u32) -> KResult<()> {
        self.with_ctx(|ctx| chflags(ctx, path.as_bytes(), flags, true))
    }
    fn sys_fchflags(&self, fd: i32, flags: u32) -> KResult<()> {
        self.with_ctx(|ctx| fchflags(ctx, fd, flags))
    }
    fn sys_pathconf(&self, path: &str, name: i32) -> KResult<i64> {
        self.with_ctx(|ctx| pathconf(ctx, path.as_bytes(), name))
    }
    fn sys_posix_rename(&self, from: &str, to: &str) -> KResult<()> {
        self.with_ctx(|ctx| posix_rename(ctx, from.as_bytes(), to.as_bytes()))
    }
    fn sys_mkfifo(&self, path: &str, mode: u32) -> KResult<()> {
        self.with_ctx(|ctx| mknod(ctx, None, path.as_bytes(), VType::Fifo, mode, 0))
    }
    fn sys_chroot(&self, path: &str) -> KResult<()> {
        self.with_ctx(|ctx| chroot(ctx, Some(path.as_bytes()), None))
    }
    fn sys_utimensat(&self, path: &str, atime: TimeArg, mtime: TimeArg, flags: i32) -> KResult<()> {
        check_flags(flags, AT_SYMLINK_NOFOLLOW)?;
        let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
        self.with_ctx(|ctx| utimes(ctx, None, path.as_bytes(), atime, mtime, follow))
    }
    fn sys_mknod(&self, path: &str, mode: u32, dev: u64) -> KResult<()> {
        let typ = mknod_type(mode)?;
        self.with_ctx(|ctx| mknod(ctx, None, path.as_bytes(), typ, mode & 0o7777, dev))
    }
    fn sys_lsetxattr(&self, path: &str, name: &[u8], value: &[u8], flags: i32) -> KResult<()> {
        // XATTR_CREATE and XATTR_REPLACE only change what a file system
        // with attributes does, and none here has them.
        let _ = flags;
        let size = value.len() as u64;
        xattr_by_path(self, path, Some(name), XattrOp::Set { size }).map(|_| ())
    }
    fn sys_lgetxattr(&self, path: &str, name: &[u8], value: &mut [u8]) -> KResult<usize> {
        let size = (!value.is_empty()).then_some(value.len() as u64);
        xattr_by_path(self, path, Some(name), XattrOp::Get { size }).map(|n| n as usize)
    }
    fn sys_llistxattr(&self, path: &str, list: &mut [u8]) -> KResult<usize> {
        let size = (!list.is_empty()).then_some(list.len() as u64);
        xattr_by_path(self, path, None, XattrOp::List { size }).map(|n| n as usize)
    }
    fn sys_lremovexattr(&self, path: &str, name: &[u8]) -> KResult<()> {
        xattr_by_path(self, path, Some(name), XattrOp::Remove).map(|_| ())
    }
}

/// An `l*xattr` call on `path` (not followed), with the system calls'
/// checks in their order: the name, then the file, then the rest.
fn xattr_by_path(k: &Kernel, path: &str, name: Option<&[u8]>, op: XattrOp) -> KResult<u64> {
    k.with_ctx(|ctx| {
        xattr_errno((|| {
            name.map_or(Ok(()), check_attr_name)?;
            let vn = lookup_vnode(ctx, path.as_bytes(), false)?;
            xattr(&vn, op)
        })())
    })
}
