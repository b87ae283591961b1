//! Data of open files: positioned reads and writes, seeking, truncation,
//! locks and syncing.

use super::resolve::{lookup, vfs, vnode_file, vnode_file_dead_as, with_vfile};
use crate::fileflags;
use crate::flags::*;
use crate::node::{SetAttr, VType};
use crate::vfs::{Vfs, Vnode};
use crate::vnknote;
use rump::cred::{Access, Cred};
use rump::kqueue::consts::NOTE_EXTEND;
use rump::syscall::Ctx;
use rump::{Errno, KResult};

pub(super) fn truncate_vn(vn: &Vnode, cred: &Cred, len: i64) -> KResult<()> {
    if len < 0 {
        return Err(Errno::EINVAL);
    }
    match vn.vtype() {
        VType::Dir => return Err(Errno::EISDIR),
        VType::Reg => {}
        _ => return Err(Errno::EINVAL),
    }
    vn.access(cred, Access::WRITE)?;
    fileflags::check_changeable(vn)?;
    vn.node.setattr(&SetAttr {
        size: Some(len as u64),
        ..SetAttr::default()
    })
}

/// `pread(2)`.
pub fn pread(ctx: &Ctx, fd: i32, buf: &mut [u8], off: i64) -> KResult<usize> {
    // As NetBSD's sys_pread: what is not a vnode (a pipe, a socket, a
    // semaphore) or is a FIFO has no offset.
    let (f, vn) = vnode_file_dead_as(ctx, fd, Errno::ESPIPE, Errno::EIO)?;
    if vn.vtype() == VType::Fifo {
        return Err(Errno::ESPIPE);
    }
    // NetBSD's VOP_SEEK refuses a negative offset, except a device's
    // (spec_seek takes any).
    if off < 0 && !is_device(&vn) {
        return Err(Errno::EINVAL);
    }
    if f.status_flags() & O_ACCMODE as u32 == O_WRONLY as u32 {
        return Err(Errno::EBADF);
    }
    if vn.vtype() == VType::Dir {
        return Err(Errno::EISDIR);
    }
    // Through the open file: a device's reads are its driver's.
    f.ops().read(ctx, buf, Some(off as u64))
}

/// `pwrite(2)`.
pub fn pwrite(ctx: &Ctx, fd: i32, buf: &[u8], off: i64) -> KResult<usize> {
    let (f, vn) = vnode_file_dead_as(ctx, fd, Errno::ESPIPE, Errno::EIO)?;
    if vn.vtype() == VType::Fifo {
        return Err(Errno::ESPIPE);
    }
    if off < 0 && !is_device(&vn) {
        return Err(Errno::EINVAL);
    }
    if f.status_flags() & O_ACCMODE as u32 == O_RDONLY as u32 {
        return Err(Errno::EBADF);
    }
    f.ops().write(ctx, buf, Some(off as u64))
}

/// `lseek(2)`.
pub fn lseek(ctx: &Ctx, fd: i32, off: i64, whence: i32) -> KResult<i64> {
    with_vfile(ctx, fd, Errno::ESPIPE, |vf| {
        if vf.is_fifo() {
            return Err(Errno::ESPIPE);
        }
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => vf.offset() as i64,
            SEEK_END => vf.vn.node.getattr().size as i64,
            _ => return Err(Errno::EINVAL),
        };
        let new = base
            .checked_add(off)
            .filter(|n| *n >= 0)
            .ok_or(Errno::EINVAL)?;
        vf.set_offset(new as u64);
        Ok(new)
    })
}

/// `truncate(2)`.
pub fn truncate(ctx: &Ctx, at: Option<Vnode>, path: &[u8], len: i64) -> KResult<()> {
    let vn = lookup(ctx, at, path, true)?;
    let old = vn.node.getattr().size;
    truncate_vn(&vn, &ctx.cred(), len)?;
    note_resized(ctx, &vn, old);
    Ok(())
}

/// A size change that grew the file is `NOTE_EXTEND` (as NetBSD's file
/// systems' `*_reg_resize`).
pub(super) fn note_resized(ctx: &Ctx, vn: &Vnode, old: u64) {
    if vn.node.getattr().size > old {
        vnknote::note(ctx, vn, NOTE_EXTEND);
    }
}

/// `ftruncate(2)`.
pub fn ftruncate(ctx: &Ctx, fd: i32, len: i64) -> KResult<()> {
    let (f, vn) = vnode_file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE as u32 == O_RDONLY as u32 || len < 0 {
        return Err(Errno::EINVAL);
    }
    if vn.vtype() == VType::Reg {
        fileflags::check_changeable(&vn)?;
    }
    // A device has no size to change: NetBSD's file systems take the
    // request and do nothing (ufs_setattr, tmpfs_chsize, rumpfs).
    if is_device(&vn) {
        return Ok(());
    }
    let old = vn.node.getattr().size;
    vn.node.setattr(&SetAttr {
        size: Some(len as u64),
        ..SetAttr::default()
    })?;
    note_resized(ctx, &vn, old);
    Ok(())
}

/// `flock(2)`: EOPNOTSUPP for a descriptor that is not a vnode's, as
/// NetBSD's sys_flock.
pub fn flock(ctx: &Ctx, fd: i32, how: i32) -> KResult<()> {
    with_vfile(ctx, fd, Errno::EOPNOTSUPP, |vf| vf.flock(ctx, how))
}

/// `fsync(2)`.
pub fn fsync(ctx: &Ctx, fd: i32) -> KResult<()> {
    match vnode_file(ctx, fd) {
        // deadfs has nothing to write: a revoked file syncs at once.
        Err(Errno::EBADF) if ctx.proc().fdt().get(fd).is_ok() => Ok(()),
        r => r?.1.node.fsync(),
    }
}

/// `sync(2)`: every mounted file system.
pub fn sync(ctx: &Ctx) -> KResult<()> {
    Vfs::sync_mounts(ctx.kernel(), "sync", vfs(ctx).mounts());
    Ok(())
}

/// `posix_fallocate(2)` and `fdiscard(2)` once their ranges are checked:
/// the descriptor must be a vnode's open for writing, and no file system
/// here allocates or discards ranges, as none of NetBSD 7.99's do
/// (`VOP_FALLOCATE` and `VOP_FDISCARD` are `genfs_eopnotsupp`).
pub fn fallocate_or_discard(ctx: &Ctx, fd: i32) -> KResult<()> {
    let (f, vn) = vnode_file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE as u32 == O_RDONLY as u32 {
        return Err(Errno::EBADF);
    }
    if vn.vtype() == VType::Dir {
        return Err(Errno::EISDIR);
    }
    Err(Errno::EOPNOTSUPP)
}

/// `fsync_range(2)`: `FDATASYNC` or `FFILESYNC` over a range (the whole
/// file is flushed).
pub fn fsync_range(ctx: &Ctx, fd: i32, flags: i32, len: i64) -> KResult<()> {
    const FDATASYNC: i32 = 0x10;
    const FFILESYNC: i32 = 0x20;
    const FDISKSYNC: i32 = 0x40;
    if flags & (FDATASYNC | FFILESYNC) == 0
        || flags & !(FDATASYNC | FFILESYNC | FDISKSYNC) != 0
        || len < 0
    {
        return Err(Errno::EINVAL);
    }
    let (f, vn) = vnode_file(ctx, fd)?;
    if f.status_flags() & O_ACCMODE as u32 == O_RDONLY as u32 {
        return Err(Errno::EBADF);
    }
    vn.node.fsync()
}

/// Whether `vn` is a device node, whose offsets are its driver's business.
fn is_device(vn: &Vnode) -> bool {
    matches!(vn.vtype(), VType::Chr | VType::Blk)
}
