//! Mounts and file system statistics: `mount`, `unmount`, `statvfs`,
//! `getvfsstat`.

use super::resolve::{lookup, vfs, vnode_file};
use crate::flags::*;
use crate::node::VType;
use crate::vfs::Vnode;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `struct statvfs`, in the kernel's terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatVfs {
    /// Block size.
    pub bsize: u64,
    /// Fragment size.
    pub frsize: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Blocks free to non-root.
    pub bavail: u64,
    /// Blocks kept for root (`f_bresvd`).
    pub bresvd: u64,
    /// Total nodes.
    pub files: u64,
    /// Free nodes.
    pub ffree: u64,
    /// Nodes free to non-root.
    pub favail: u64,
    /// `ST_*` flags.
    pub flag: u64,
    /// File system type.
    pub fstypename: String,
    /// Mount point.
    pub mntonname: String,
    /// What is mounted (the device, or the type's name).
    pub mntfromname: String,
    /// The file system's id (`f_fsidx`, `f_fsid`): the mount's, as file
    /// handles carry it.
    pub fsid: u64,
}

/// `statvfs1(2)` of the file system holding `vn`.
pub fn statvfs_vn(vn: &Vnode) -> StatVfs {
    let s = vn.mnt.fs.stats();
    let mut flag = (vn.mount_flags() & crate::flags::MNT_KEPT) as u64;
    if vn.mnt.fs.local() {
        flag |= MNT_LOCAL;
    }
    if vn.read_only() {
        flag |= MNT_RDONLY as u64;
    }
    if vn.mnt.covered.is_none() {
        flag |= MNT_ROOTFS;
    }
    StatVfs {
        bsize: s.bsize,
        frsize: if s.frsize == 0 { s.bsize } else { s.frsize },
        blocks: s.blocks,
        bfree: s.bfree,
        bavail: s.bavail.min(s.bfree),
        bresvd: s.bresvd,
        files: s.files,
        ffree: s.ffree,
        favail: s.ffree,
        flag,
        fstypename: vn.mnt.fs.fstype().to_owned(),
        fsid: vn.mnt.id,
        mntonname: vn.mnt.path.clone(),
        mntfromname: if vn.mnt.from.is_empty() {
            vn.mnt
                .fs
                .mounted_from()
                .unwrap_or_else(|| vn.mnt.fs.fstype().to_owned())
        } else {
            vn.mnt.from.clone()
        },
    }
}

/// `getvfsstat(2)`: the mounted file systems, as many as `max` (all when `None`).
pub fn getvfsstat(ctx: &Ctx, max: Option<usize>) -> KResult<Vec<StatVfs>> {
    let v = vfs(ctx);
    let root = v.root()?;
    Ok(v.mounts()
        .into_iter()
        .filter(|m| m.covered.is_some() || m.id == root.mnt.id)
        .take(max.unwrap_or(usize::MAX))
        .map(|m| statvfs_vn(&Vnode::new(Arc::clone(&m), m.fs.root())))
        .collect())
}

/// `mount(2)` of file system type `fstype` on `path`.
pub fn mount(
    ctx: &Ctx,
    fstype: &str,
    path: &[u8],
    flags: i32,
    args: &crate::fstypes::MountArgs,
) -> KResult<()> {
    ctx.cred().require_root()?;
    if flags & crate::flags::MNT_NOT_BUILT != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    if flags & MNT_UPDATE != 0 {
        return update_mount(ctx, path, flags);
    }
    let on = lookup(ctx, None, path, true)?;
    let make = crate::fstypes::fs_ops(ctx.kernel(), fstype)
        .ok_or(Errno::ENODEV)?
        .mount;
    let mut args = args.clone();
    args.flags = flags;
    args.on = path.to_vec();
    let mut source = None;
    if let Some(spec) = &args.fspec {
        let dev = lookup(ctx, None, spec, true)?;
        if dev.vtype() != VType::Blk {
            return Err(Errno::ENOTBLK);
        }
        // One mount per device: two would write over each other.
        if vfs(ctx).mounts().iter().any(|m| m.dev == Some(dev.key())) {
            return Err(Errno::EBUSY);
        }
        // An etfs key is its own device (rumpblk); any other block node
        // is a driver's, held open for the mount.
        args.dev = Some(if dev.node.as_any().is::<crate::etfs::EtfsNode>() {
            Arc::clone(&dev.node)
        } else {
            let rw = if flags & MNT_RDONLY != 0 {
                O_RDONLY
            } else {
                O_RDWR
            };
            crate::specdev::open(ctx, &dev, rw as u32)?
        });
        source = Some((String::from_utf8_lossy(spec).into_owned(), dev.key()));
    }
    let fs = make(ctx.kernel(), &args)?;
    fs.set_noatime(flags & crate::flags::MNT_NOATIME != 0);
    let m = vfs(ctx).mount(
        &on,
        &String::from_utf8_lossy(path),
        Arc::clone(&fs),
        flags,
        source,
    );
    if m.is_err() {
        let _ = fs.unmount();
    }
    m.map(drop)
}

/// `mount(2)` with `MNT_UPDATE`: switch a mounted file system between
/// read-only and read-write.
pub(super) fn update_mount(ctx: &Ctx, path: &[u8], flags: i32) -> KResult<()> {
    let root = lookup(ctx, None, path, true)?;
    if !root.is_mount_root() {
        return Err(Errno::EINVAL);
    }
    let ro = flags & MNT_RDONLY != 0;
    root.mnt.fs.remount(ro, flags & MNT_FORCE != 0)?;
    // As NetBSD's mount_update: the basic flags are replaced as a whole.
    root.mnt
        .fs
        .set_noatime(flags & crate::flags::MNT_NOATIME != 0);
    root.mnt.flags.store(
        flags & crate::flags::MNT_KEPT,
        std::sync::atomic::Ordering::Release,
    );
    Ok(())
}

/// `unmount(2)`: EBUSY while files or current directories are in it,
/// unless `MNT_FORCE`.
pub fn unmount(ctx: &Ctx, path: &[u8], flags: i32) -> KResult<()> {
    ctx.cred().require_root()?;
    let root = lookup(ctx, None, path, true)?;
    let mnt = root.mnt.id;
    vfs(ctx).unmount(&root, flags & MNT_FORCE != 0)?;
    // What was still open on it is revoked, as vgone does for a forced
    // unmount.
    rump::kqueue::vnode_revoke_mount(ctx.kernel(), mnt);
    Ok(())
}

/// `statvfs1(2)`.
pub fn statvfs(ctx: &Ctx, path: &[u8]) -> KResult<StatVfs> {
    Ok(statvfs_vn(&lookup(ctx, None, path, true)?))
}

/// `fstatvfs1(2)`.
pub fn fstatvfs(ctx: &Ctx, fd: i32) -> KResult<StatVfs> {
    Ok(statvfs_vn(&vnode_file(ctx, fd)?.1))
}
