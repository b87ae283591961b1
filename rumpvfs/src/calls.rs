//! The file system calls: each a function of the call context, wrapped by a
//! typed method of [`VfsCalls`] on the kernel.

use crate::fileflags;
use crate::flags::*;
use crate::node::{NewNode, SetAttr, VType};
use crate::vfile::{VnodeFile, stat_of};
use crate::vfs::{Parent, Vfs, Vnode};
use crate::vnknote;
use rump::cred::{Access, Cred};
use rump::devsw::{DevKind, DevSw};
use rump::file::{File, Stat};
use rump::kqueue::consts::{NOTE_ATTRIB, NOTE_EXTEND, NOTE_LINK, NOTE_RENAME, NOTE_WRITE};
use rump::syscall::Ctx;
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;

/// A directory entry as `getdents` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dirent {
    /// Inode number.
    pub ino: u64,
    /// `DT_*` type.
    pub typ: u8,
    /// Name.
    pub name: Vec<u8>,
}

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

fn vfs(ctx: &Ctx) -> Arc<Vfs> {
    Vfs::of(ctx.kernel())
}

/// The etfs key `path` names, or the DIR key it lies under and the rest
/// of the path: as NetBSD's rumpfs, keys are found by the whole rest of a
/// path that starts at the root, absolute or relative to a root start
/// directory (`dvp == rootvnode`), before the tree is walked (they need no
/// directory and are in none).
fn etfs_find(ctx: &Ctx, at: &Option<Vnode>, path: &[u8]) -> Option<(Vnode, Vec<u8>)> {
    if path.first() == Some(&b'/') {
        return crate::etfs::find(ctx.kernel(), path);
    }
    let v = vfs(ctx);
    let start = match at {
        Some(d) => d.clone(),
        None => v.cwd(ctx.proc()).ok()?,
    };
    let at_root = [v.root().ok()?, v.top_root().ok()?]
        .iter()
        .any(|r| r.key() == start.key());
    if !at_root {
        return None;
    }
    let mut abs = b"/".to_vec();
    abs.extend_from_slice(path);
    crate::etfs::find(ctx.kernel(), &abs)
}

/// The vnode `path` names (from `at`, or the current directory), through
/// a last symlink when `follow`.
pub(crate) fn lookup(ctx: &Ctx, at: Option<Vnode>, path: &[u8], follow: bool) -> KResult<Vnode> {
    rump::ktrace::namei(ctx, path);
    if let Some((v, rest)) = etfs_find(ctx, &at, path) {
        return if rest.is_empty() {
            Ok(v)
        } else {
            vfs(ctx).lookup(ctx.proc(), Some(v), &rest, follow)
        };
    }
    vfs(ctx).lookup(ctx.proc(), at, path, follow)
}

fn parent_of(ctx: &Ctx, at: Option<Vnode>, path: &[u8]) -> KResult<Parent> {
    rump::ktrace::namei(ctx, path);
    vfs(ctx).lookup_parent(ctx.proc(), at, path)
}

/// Write access to a directory about to change, and not read-only.
fn can_change(dir: &Vnode, cred: &Cred) -> KResult<()> {
    if dir.read_only() {
        return Err(Errno::EROFS);
    }
    dir.access(cred, Access::WRITE | Access::EXEC)
}

/// The sticky-directory rule: in a sticky directory only the owner of the
/// entry, the owner of the directory or root may remove or rename it.
fn sticky_ok(dir: &Vnode, victim: &Vnode, cred: &Cred) -> KResult<()> {
    let d = dir.node.getattr();
    if d.mode & S_ISVTX == 0 || cred.is_root() {
        return Ok(());
    }
    let v = victim.node.getattr();
    if cred.euid == v.uid || cred.euid == d.uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn umask(ctx: &Ctx) -> u32 {
    *vfs(ctx)
        .cwdinfo(ctx.proc())
        .umask
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn new_node(ctx: &Ctx, dir: &Vnode, typ: VType, mode: u32) -> NewNode {
    let cred = ctx.cred();
    // BSD semantics: a new node takes its directory's group.
    NewNode {
        typ,
        mode: mode & 0o7777 & !umask(ctx),
        uid: cred.euid,
        gid: dir.node.getattr().gid,
        rdev: 0,
    }
}

fn child(dir: &Vnode, name: &[u8]) -> KResult<Vnode> {
    Ok(Vnode::new(Arc::clone(&dir.mnt), dir.node.lookup(name)?))
}

/// The open file at `fd` and its vnode: EINVAL when it is not a vnode's,
/// EBADF when the vnode was revoked (deadfs answers EBADF).
fn vnode_file(ctx: &Ctx, fd: i32) -> KResult<(Arc<File>, Vnode)> {
    vnode_file_ops(ctx, fd, Errno::EINVAL)
}

/// `revoke(2)`: the owner of `path`'s node, or root, kills every file
/// open on it (`dorevoke`); the name stays, later opens work.
pub fn revoke(ctx: &Ctx, path: &[u8]) -> KResult<()> {
    let vn = lookup(ctx, None, path, true)?;
    let cred = ctx.cred();
    if !cred.is_root() && cred.euid != vn.node.getattr().uid {
        return Err(Errno::EPERM);
    }
    // NetBSD's rumpfs has no VOP_REVOKE and dorevoke ignores the answer:
    // there, revoke succeeds and changes nothing.
    if vn.mnt.fs.revocable() {
        vn.mnt.revoke(vn.node.ino());
    }
    Ok(())
}

/// `vn_open` for the kernel's own use: the vnode `path` names (symbolic
/// links followed), checked for reading, and for writing when `write`,
/// with the caller's credentials, as an `open(2)` would (vnd's backing
/// file).
pub fn vn_open(ctx: &Ctx, path: &[u8], write: bool) -> KResult<Vnode> {
    let vn = lookup(ctx, None, path, true)?;
    let mut want = Access::READ;
    if write {
        if vn.vtype() == VType::Dir {
            return Err(Errno::EISDIR);
        }
        want = want | Access::WRITE;
    }
    vn.access(&ctx.cred(), want)?;
    fileflags::check_open(&vn, write, false)?;
    Ok(vn)
}

/// `open(2)`.
pub fn open(ctx: &Ctx, at: Option<Vnode>, path: &[u8], flags: i32, mode: u32) -> KResult<i32> {
    rump::ktrace::namei(ctx, path);
    if let Some((v, rest)) = etfs_find(ctx, &at, path) {
        if !rest.is_empty() {
            return open_from(ctx, Some(v), &rest, flags, mode, 0);
        }
        if flags & O_CREAT != 0 && flags & O_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        return open_vnode(ctx, v, flags, false);
    }
    open_from(ctx, at, path, flags, mode, 0)
}

fn open_from(
    ctx: &Ctx,
    start: Option<Vnode>,
    path: &[u8],
    flags: i32,
    mode: u32,
    links: usize,
) -> KResult<i32> {
    let cred = ctx.cred();
    if flags & O_ACCMODE == O_ACCMODE {
        return Err(Errno::EINVAL);
    }
    let p = vfs(ctx).lookup_parent(ctx.proc(), start, path)?;
    let existing = if p.name.is_empty() {
        Ok(p.dir.clone())
    } else {
        vfs(ctx).lookup(
            ctx.proc(),
            Some(p.dir.clone()),
            &p.name,
            flags & O_NOFOLLOW == 0,
        )
    };
    let (vn, created) = match existing {
        // namei for CREATE has no parent to give for the root or a mount
        // point it crossed into, and says EEXIST (NetBSD's lookup_once).
        Ok(v)
            if flags & O_CREAT != 0
                && (p.name.is_empty() || (v.is_mount_root() && v.mnt.id != p.dir.mnt.id)) =>
        {
            return Err(Errno::EEXIST);
        }
        Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(Errno::EEXIST),
        Ok(v) => (v, false),
        Err(Errno::ENOENT) if flags & O_CREAT != 0 && !p.name.is_empty() && !p.trailing_slash => {
            match child(&p.dir, &p.name) {
                // A dangling symlink: create what it points to, as NetBSD does.
                Ok(link) if link.vtype() == VType::Lnk && flags & (O_NOFOLLOW | O_EXCL) == 0 => {
                    if links >= MAXSYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    let target = link.node.readlink()?;
                    return open_from(ctx, Some(p.dir.clone()), &target, flags, mode, links + 1);
                }
                Ok(_) => return Err(Errno::EEXIST),
                Err(_) => {}
            }
            can_change(&p.dir, &cred)?;
            let n = p
                .dir
                .node
                .create(&p.name, new_node(ctx, &p.dir, VType::Reg, mode))?;
            vnknote::note(ctx, &p.dir, NOTE_WRITE);
            (Vnode::new(Arc::clone(&p.dir.mnt), n), true)
        }
        Err(e) => return Err(e),
    };
    if p.trailing_slash && vn.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    open_vnode(ctx, vn, flags, created)
}

/// The flags an open file keeps (NetBSD's `FMASK`): what `F_GETFL` tells;
/// `O_CREAT`, `O_EXCL`, `O_TRUNC` and the like act at open and are gone.
const OPEN_FILE_FLAGS: i32 = netbsd_abi::O_ACCMODE
    | netbsd_abi::O_APPEND
    | netbsd_abi::O_ASYNC
    | netbsd_abi::O_SYNC
    | netbsd_abi::O_NONBLOCK
    | netbsd_abi::O_DSYNC
    | netbsd_abi::O_RSYNC
    | netbsd_abi::O_ALT_IO
    | netbsd_abi::O_DIRECT
    | netbsd_abi::O_NOSIGPIPE;

/// The checks and the descriptor of `open(2)` once the vnode is known.
pub(crate) fn open_vnode(ctx: &Ctx, vn: Vnode, flags: i32, created: bool) -> KResult<i32> {
    let cred = ctx.cred();
    let acc = flags & O_ACCMODE;
    let typ = vn.vtype();
    if typ == VType::Lnk {
        // O_NOFOLLOW met a symlink: NetBSD says EFTYPE.
        return Err(Errno::EFTYPE);
    }
    if flags & O_DIRECTORY != 0 && typ != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    if !created {
        let mut want = Access(0);
        if acc == O_RDONLY || acc == O_RDWR {
            want = want | Access::READ;
        }
        if acc == O_WRONLY || acc == O_RDWR || flags & O_TRUNC != 0 {
            if typ == VType::Dir {
                return Err(Errno::EISDIR);
            }
            want = want | Access::WRITE;
        }
        vn.access(&cred, want)?;
        if flags & O_TRUNC != 0 && typ == VType::Reg && acc != O_RDONLY {
            fileflags::check_changeable(&vn)?;
            vn.node.setattr(&SetAttr {
                size: Some(0),
                ..SetAttr::default()
            })?;
        }
        fileflags::check_open(&vn, acc != O_RDONLY, flags & O_APPEND != 0)?;
    }
    let fifo = if typ == VType::Fifo {
        let how = crate::fifo::FifoOpen {
            read: acc != O_WRONLY,
            write: acc != O_RDONLY,
            nonblock: flags & O_NONBLOCK != 0,
            nosigpipe: flags & O_NOSIGPIPE != 0,
        };
        Some(crate::fifo::open_end(ctx, vn.key(), how)?)
    } else {
        None
    };
    // A device node's data is its driver's (specfs); etfs keys are their
    // own devices (rumpblk). A `nodev` mount opens none (spec_open).
    if matches!(typ, VType::Blk | VType::Chr) && vn.mount_flags() & crate::flags::MNT_NODEV != 0 {
        return Err(Errno::ENXIO);
    }
    let device = if matches!(typ, VType::Blk | VType::Chr)
        && vn.node.as_any().is::<crate::etfs::EtfsNode>()
    {
        Some(crate::rumpblk::open(
            std::sync::Arc::clone(&vn.node),
            typ == VType::Chr,
        )?)
    } else if matches!(typ, VType::Blk | VType::Chr) {
        let kind = if typ == VType::Blk {
            DevKind::Block
        } else {
            DevKind::Char
        };
        let rdev = vn.node.getattr().rdev;
        Some(DevSw::of(ctx.kernel()).open(ctx, kind, rdev, flags as u32)?)
    } else {
        None
    };
    let locks = ctx.kernel().extension(crate::lockf::LockTable::default);
    let mut vf = VnodeFile::new(vn, flags & O_APPEND != 0, locks, ctx.proc().pid);
    if let Some(end) = fifo {
        vf = vf.with_fifo(end);
    }
    if let Some(dev) = device {
        vf = vf.with_device(dev);
    }
    let file = File::new(Box::new(vf), (flags & OPEN_FILE_FLAGS) as u32);
    let fd = ctx.fd_alloc(file)?;
    if flags & O_CLOEXEC != 0 {
        ctx.proc().fdt().set_cloexec(fd, true)?;
    }
    Ok(fd)
}

/// `mkdir(2)`.
pub fn mkdir(ctx: &Ctx, at: Option<Vnode>, path: &[u8], mode: u32) -> KResult<()> {
    let p = parent_of(ctx, at, path)?;
    if p.name.is_empty() {
        return Err(Errno::EEXIST);
    }
    if child(&p.dir, &p.name).is_ok() || p.name == b"." || p.name == b".." {
        return Err(Errno::EEXIST);
    }
    can_change(&p.dir, &ctx.cred())?;
    p.dir
        .node
        .create(&p.name, new_node(ctx, &p.dir, VType::Dir, mode))?;
    vnknote::note(ctx, &p.dir, NOTE_WRITE | NOTE_LINK);
    Ok(())
}

/// `mknod(2)`/`mkfifo(2)` of type `typ`.
pub fn mknod(
    ctx: &Ctx,
    at: Option<Vnode>,
    path: &[u8],
    typ: VType,
    mode: u32,
    rdev: u64,
) -> KResult<()> {
    let p = parent_of(ctx, at, path)?;
    if p.name.is_empty() || child(&p.dir, &p.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if typ != VType::Fifo {
        ctx.cred().require_root()?;
    }
    can_change(&p.dir, &ctx.cred())?;
    let new = NewNode {
        rdev,
        ..new_node(ctx, &p.dir, typ, mode)
    };
    p.dir.node.create(&p.name, new)?;
    vnknote::note(ctx, &p.dir, NOTE_WRITE);
    Ok(())
}

/// The file system's part of local-domain socket names (`VSOCK` nodes).
pub struct SockNodes;

impl rump::socknames::SockNames for SockNodes {
    fn bind(&self, ctx: &Ctx, path: &[u8]) -> KResult<rump::socknames::NodeId> {
        let p = parent_of(ctx, None, path)?;
        if p.name.is_empty() || child(&p.dir, &p.name).is_ok() {
            return Err(Errno::EADDRINUSE);
        }
        can_change(&p.dir, &ctx.cred())?;
        let node = p
            .dir
            .node
            .create(&p.name, new_node(ctx, &p.dir, VType::Sock, 0o777))?;
        Ok((p.dir.mnt.id, node.ino()))
    }

    fn lookup(&self, ctx: &Ctx, path: &[u8]) -> KResult<rump::socknames::NodeId> {
        let vn = lookup(ctx, None, path, true)?;
        if vn.node.getattr().typ != VType::Sock {
            return Err(Errno::ENOTSOCK);
        }
        vn.access(&ctx.cred(), Access::WRITE)?;
        Ok(vn.key())
    }
}

/// Remove a name: `rmdir(2)` when `dir`, else `unlink(2)`.
pub fn remove(ctx: &Ctx, at: Option<Vnode>, path: &[u8], dir: bool) -> KResult<()> {
    let cred = ctx.cred();
    let p = parent_of(ctx, at, path)?;
    match p.name.as_slice() {
        b"" => return Err(Errno::EBUSY),
        b"." if dir => return Err(Errno::EINVAL),
        b".." if dir => return Err(Errno::ENOTEMPTY),
        b"." | b".." => return Err(Errno::EISDIR),
        _ => {}
    }
    let victim = child(&p.dir, &p.name)?;
    if vfs(ctx).cross_down(victim.clone()).key() != victim.key() {
        return Err(Errno::EBUSY); // a mount point
    }
    if !dir && victim.vtype() == VType::Dir {
        return Err(Errno::EPERM);
    }
    if !dir && p.trailing_slash {
        return Err(Errno::ENOTDIR);
    }
    can_change(&p.dir, &cred)?;
    sticky_ok(&p.dir, &victim, &cred)?;
    // A directory that is not empty says so before its flags are asked.
    if dir
        && victim.vtype() == VType::Dir
        && victim
            .node
            .readdir()?
            .iter()
            .any(|e| e.name != b"." && e.name != b"..")
    {
        return Err(Errno::ENOTEMPTY);
    }
    fileflags::check_remove(&p.dir, &victim)?;
    p.dir.node.remove(&p.name, dir)?;
    vnknote::note_unlinked(ctx, &victim);
    let hint = if dir {
        NOTE_WRITE | NOTE_LINK
    } else {
        NOTE_WRITE
    };
    vnknote::note(ctx, &p.dir, hint);
    vfs(ctx).forget_if_unlinked(&victim);
    Ok(())
}

/// `rename(2)`.
pub fn rename(
    ctx: &Ctx,
    from_at: Option<Vnode>,
    from: &[u8],
    to_at: Option<Vnode>,
    to: &[u8],
) -> KResult<()> {
    rename_retaining(ctx, (from_at, from), (to_at, to), false)
}

/// `__posix_rename(2)`: as `rename`, but when both names are links to one
/// file nothing happens (NetBSD's `retain`), where `rename` drops `from`.
pub fn posix_rename(ctx: &Ctx, from: &[u8], to: &[u8]) -> KResult<()> {
    rename_retaining(ctx, (None, from), (None, to), true)
}

fn rename_retaining(
    ctx: &Ctx,
    (from_at, from): (Option<Vnode>, &[u8]),
    (to_at, to): (Option<Vnode>, &[u8]),
    retain: bool,
) -> KResult<()> {
    let cred = ctx.cred();
    let v = vfs(ctx);
    // The source is looked up first: a missing source is ENOENT whatever
    // is wrong with the target.
    let src = v.lookup_parent(ctx.proc(), from_at, from)?;
    match src.name.as_slice() {
        b"" => return Err(Errno::EBUSY),
        b"." | b".." => return Err(Errno::EINVAL),
        _ => {}
    }
    let moving = child(&src.dir, &src.name)?;
    // namei for DELETE refuses a mount point it crossed into (EBUSY),
    // before the target is looked up.
    if v.cross_down(moving.clone()).key() != moving.key() {
        return Err(Errno::EBUSY);
    }
    if !src.dir.mnt.fs.renames() {
        // Its lookup for DELETE asks for write access to the directory
        // (NetBSD's rump_vop_lookup), before the target is looked up.
        can_change(&src.dir, &cred)?;
    }
    let dst = v.lookup_parent(ctx.proc(), to_at, to)?;
    // The target's last component is looked up for RENAME, which a file
    // system without rename refuses for every name but `.` (NetBSD's
    // rumpfs answers `.` itself first), before the generic checks.
    if !dst.name.is_empty() && dst.name != b"." && !dst.dir.mnt.fs.renames() {
        return Err(Errno::EOPNOTSUPP);
    }
    match dst.name.as_slice() {
        b"" => return Err(Errno::EBUSY),
        b"." => return Err(Errno::EISDIR),
        b".." => return Err(Errno::EINVAL),
        _ => {}
    }
    if src.dir.mnt.id != dst.dir.mnt.id {
        return Err(Errno::EXDEV);
    }
    if (src.trailing_slash || dst.trailing_slash) && moving.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    let existing = child(&dst.dir, &dst.name).ok();
    if retain && existing.as_ref().is_some_and(|e| e.key() == moving.key()) {
        return Ok(());
    }
    fileflags::check_rename(&src.dir, &moving, &dst.dir, existing.as_ref())?;
    can_change(&src.dir, &cred)?;
    can_change(&dst.dir, &cred)?;
    sticky_ok(&src.dir, &moving, &cred)?;
    if let Ok(target) = child(&dst.dir, &dst.name) {
        if v.cross_down(target.clone()).key() != target.key() {
            return Err(Errno::EBUSY);
        }
        sticky_ok(&dst.dir, &target, &cred)?;
    }
    let replaced = child(&dst.dir, &dst.name).ok();
    src.dir.node.rename(&src.name, &dst.dir.node, &dst.name)?;
    if let Some(r) = &replaced {
        vnknote::note_unlinked(ctx, r);
    }
    // A directory moving between directories changes both link counts.
    let moved_dir = moving.vtype() == VType::Dir && src.dir.key() != dst.dir.key();
    let dir_hint = if moved_dir {
        NOTE_WRITE | NOTE_LINK
    } else {
        NOTE_WRITE
    };
    vnknote::note(ctx, &src.dir, dir_hint);
    if dst.dir.key() != src.dir.key() {
        vnknote::note(ctx, &dst.dir, dir_hint);
    }
    vnknote::note(ctx, &moving, NOTE_RENAME);
    for gone in replaced.iter().chain(std::iter::once(&moving)) {
        v.forget_if_unlinked(gone);
    }
    Ok(())
}

/// `link(2)`.
pub fn link(
    ctx: &Ctx,
    at1: Option<Vnode>,
    existing: &[u8],
    at2: Option<Vnode>,
    new: &[u8],
    follow: bool,
) -> KResult<()> {
    let target = lookup(ctx, at1, existing, follow)?;
    let p = parent_of(ctx, at2, new)?;
    if p.name.is_empty() || child(&p.dir, &p.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    if target.vtype() == VType::Dir {
        return Err(Errno::EPERM);
    }
    // etfs keys are nodes of the root file system in NetBSD (rumpfs),
    // which then refuses the link itself.
    let mount_of = |vn: &Vnode| -> KResult<u64> {
        if vn.node.as_any().is::<crate::etfs::EtfsNode>() {
            Ok(vfs(ctx).top_root()?.mnt.id)
        } else {
            Ok(vn.mnt.id)
        }
    };
    if mount_of(&target)? != p.dir.mnt.id {
        return Err(Errno::EXDEV);
    }
    can_change(&p.dir, &ctx.cred())?;
    if !p.dir.mnt.fs.links() {
        return Err(Errno::EOPNOTSUPP);
    }
    fileflags::check_changeable(&target)?;
    p.dir.node.link(&p.name, &target.node)?;
    vnknote::note(ctx, &p.dir, NOTE_WRITE);
    vnknote::note(ctx, &target, NOTE_LINK);
    Ok(())
}

/// `symlink(2)`.
pub fn symlink(ctx: &Ctx, target: &[u8], at: Option<Vnode>, path: &[u8]) -> KResult<()> {
    if target.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    rump::ktrace::kuser(ctx, "symlink-target", target);
    let p = parent_of(ctx, at, path)?;
    if p.name.is_empty() || child(&p.dir, &p.name).is_ok() {
        return Err(Errno::EEXIST);
    }
    can_change(&p.dir, &ctx.cred())?;
    let cred = ctx.cred();
    let gid = p.dir.node.getattr().gid;
    let link = p.dir.node.symlink(&p.name, target, cred.euid, gid)?;
    // NetBSD's symlinkat: ACCESSPERMS less the umask.
    link.setattr(&SetAttr {
        mode: Some(0o777 & !umask(ctx)),
        ..SetAttr::default()
    })?;
    vnknote::note(ctx, &p.dir, NOTE_WRITE);
    Ok(())
}

/// `readlink(2)`.
pub fn readlink(ctx: &Ctx, at: Option<Vnode>, path: &[u8]) -> KResult<Vec<u8>> {
    let v = lookup(ctx, at, path, false)?;
    if v.vtype() != VType::Lnk {
        return Err(Errno::EINVAL);
    }
    v.node.readlink()
}

/// `stat(2)` (`follow`) and `lstat(2)`.
pub fn stat(ctx: &Ctx, at: Option<Vnode>, path: &[u8], follow: bool) -> KResult<Stat> {
    Ok(stat_of(&lookup(ctx, at, path, follow)?))
}

fn check_owner(vn: &Vnode, cred: &Cred) -> KResult<()> {
    if cred.is_root() || cred.euid == vn.node.getattr().uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

fn chmod_vn(vn: &Vnode, cred: &Cred, mode: u32) -> KResult<()> {
    check_owner(vn, cred)?;
    if vn.read_only() {
        return Err(Errno::EROFS);
    }
    fileflags::check_changeable(vn)?;
    let a = vn.node.getattr();
    let mode = mode & 0o7777;
    if !cred.is_root() {
        // Only root sets the sticky bit on a file (NetBSD: EFTYPE).
        if a.typ != VType::Dir && mode & S_ISVTX != 0 {
            return Err(Errno::EFTYPE);
        }
        if mode & S_ISGID != 0 && !cred.in_group(a.gid) {
            return Err(Errno::EPERM);
        }
    }
    vn.node.setattr(&SetAttr {
        mode: Some(mode),
        ..SetAttr::default()
    })
}

/// What a change of owner does to the set-id bits (NetBSD's
/// `change_owner`, vfs_syscalls.c).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChownRule {
    /// `chown`, `fchown`, `lchown`, `fchownat`: set-user-id goes when an
    /// owner is given, set-group-id when a group is, whoever asks.
    NetBsd,
    /// `__posix_chown` and friends (what NetBSD's libc calls `chown`):
    /// both go unless root asks.
    Posix,
}

fn chown_vn(vn: &Vnode, cred: &Cred, uid: u32, gid: u32, rule: ChownRule) -> KResult<()> {
    if vn.read_only() {
        return Err(Errno::EROFS);
    }
    fileflags::check_changeable(vn)?;
    let a = vn.node.getattr();
    let uid = (uid != u32::MAX).then_some(uid);
    let gid = (gid != u32::MAX).then_some(gid);
    if !cred.is_root() {
        // The owner may only give the file to a group it belongs to.
        let uid_ok = uid.is_none_or(|u| u == a.uid);
        let gid_ok = gid.is_none_or(|g| cred.in_group(g));
        if cred.euid != a.uid || !uid_ok || !gid_ok {
            return Err(Errno::EPERM);
        }
    }
    let cleared = match rule {
        ChownRule::Posix if cred.is_root() => 0,
        ChownRule::Posix => S_ISUID | S_ISGID,
        ChownRule::NetBsd => {
            (if uid.is_some() { S_ISUID } else { 0 }) | (if gid.is_some() { S_ISGID } else { 0 })
        }
    };
    let mode = (a.mode & cleared != 0).then_some(a.mode & !cleared);
    vn.node.setattr(&SetAttr {
        uid,
        gid,
        mode,
        ..SetAttr::default()
    })
}

fn truncate_vn(vn: &Vnode, cred: &Cred, len: i64) -> KResult<()> {
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

/// `getcwd(2)`: the path of the current directory, by walking `..` and
/// finding each directory's name in its parent.
pub fn getcwd(ctx: &Ctx) -> KResult<String> {
    let v = vfs(ctx);
    let root = match v
        .cwdinfo(ctx.proc())
        .root
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    {
        Some(r) => r,
        None => v.top_root()?,
    };
    let mut cur = v.cwd(ctx.proc())?;
    let mut parts: Vec<Vec<u8>> = Vec::new();
    while cur.key() != root.key() {
        let up = v.lookup(ctx.proc(), Some(cur.clone()), b"..", false)?;
        let me = cur.key();
        let name = up
            .node
            .readdir()?
            .into_iter()
            .filter(|e| e.name != b"." && e.name != b"..")
            .find(|e| {
                child(&up, &e.name)
                    .map(|c| v.cross_down(c).key() == me)
                    .unwrap_or(false)
            })
            .map(|e| e.name)
            .ok_or(Errno::ENOENT)?;
        parts.push(name);
        if up.key() == cur.key() {
            break;
        }
        cur = up;
    }
    parts.reverse();
    let mut s = String::new();
    for p in parts {
        s.push('/');
        s.push_str(&String::from_utf8_lossy(&p));
    }
    if s.is_empty() {
        s.push('/');
    }
    Ok(s)
}

/// `statvfs1(2)` of the file system holding `vn`.
pub fn statvfs_vn(vn: &Vnode) -> StatVfs {
    let s = vn.mnt.fs.stats();
    let mut flag = MNT_LOCAL | (vn.mount_flags() & crate::flags::MNT_KEPT) as u64;
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
            vn.mnt.fs.fstype().to_owned()
        } else {
            vn.mnt.from.clone()
        },
    }
}

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
}

/// Largest module file the module loader reads.
const MAX_MODULE_IMAGE: u64 = 64 << 20;

/// Read a module file for `modctl` load of a path (`kobj_load_vfs`): a
/// regular file the caller may read, whole. EFTYPE for anything else, EFBIG
/// past 64 MiB.
pub fn module_image(ctx: &Ctx, path: &str) -> KResult<Vec<u8>> {
    let vn = lookup(ctx, None, path.as_bytes(), true)?;
    vn.access(&ctx.cred(), Access::READ)?;
    let attr = vn.node.getattr();
    if attr.typ != VType::Reg {
        return Err(Errno::EFTYPE);
    }
    if attr.size > MAX_MODULE_IMAGE {
        return Err(Errno::EFBIG);
    }
    let mut image = vec![0u8; attr.size as usize];
    let mut done = 0;
    while done < image.len() {
        match vn.node.read(done as u64, &mut image[done..])? {
            0 => break,
            n => done += n,
        }
    }
    image.truncate(done);
    Ok(image)
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

/// Whether `vn` is a device node, whose offsets are its driver's business.
fn is_device(vn: &Vnode) -> bool {
    matches!(vn.vtype(), VType::Chr | VType::Blk)
}

pub(crate) fn vnode_file_ops(ctx: &Ctx, fd: i32, not_vnode: Errno) -> KResult<(Arc<File>, Vnode)> {
    vnode_file_dead_as(ctx, fd, not_vnode, Errno::EBADF)
}

/// The open file at `fd` and its vnode: `not_vnode` when it is another
/// kind of file, `dead` when its vnode was revoked.
fn vnode_file_dead_as(
    ctx: &Ctx,
    fd: i32,
    not_vnode: Errno,
    dead: Errno,
) -> KResult<(Arc<File>, Vnode)> {
    let f = ctx.proc().fdt().get(fd)?;
    let vn = f
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<VnodeFile>())
        .map(|v| (!v.is_revoked()).then(|| v.vn.clone()).ok_or(dead))
        .ok_or(not_vnode)??;
    Ok((f, vn))
}

fn with_vfile<R>(
    ctx: &Ctx,
    fd: i32,
    not_vnode: Errno,
    f: impl FnOnce(&VnodeFile) -> KResult<R>,
) -> KResult<R> {
    let file = ctx.proc().fdt().get(fd)?;
    let vf = file
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<VnodeFile>())
        .ok_or(not_vnode)?;
    f(vf)
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
fn note_resized(ctx: &Ctx, vn: &Vnode, old: u64) {
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

/// `chmod(2)` (`follow`) and `lchmod(2)`.
pub fn chmod(ctx: &Ctx, at: Option<Vnode>, path: &[u8], mode: u32, follow: bool) -> KResult<()> {
    let vn = lookup(ctx, at, path, follow)?;
    chmod_vn(&vn, &ctx.cred(), mode)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// `fchmod(2)`.
pub fn fchmod(ctx: &Ctx, fd: i32, mode: u32) -> KResult<()> {
    let vn = vnode_file(ctx, fd)?.1;
    chmod_vn(&vn, &ctx.cred(), mode)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// `chown(2)` (`follow`) and `lchown(2)`, with `rule`'s set-id bits.
pub fn chown(
    ctx: &Ctx,
    at: Option<Vnode>,
    path: &[u8],
    (uid, gid): (u32, u32),
    follow: bool,
    rule: ChownRule,
) -> KResult<()> {
    let vn = lookup(ctx, at, path, follow)?;
    chown_vn(&vn, &ctx.cred(), uid, gid, rule)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// `fchown(2)`, with `rule`'s set-id bits.
pub fn fchown(ctx: &Ctx, fd: i32, uid: u32, gid: u32, rule: ChownRule) -> KResult<()> {
    let vn = vnode_file(ctx, fd)?.1;
    chown_vn(&vn, &ctx.cred(), uid, gid, rule)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// The vnode `path` names from the current directory, for calls that
/// work on the node itself (file handles, extended attributes, revoke).
pub(crate) fn lookup_vnode(ctx: &Ctx, path: &[u8], follow: bool) -> KResult<Vnode> {
    lookup(ctx, None, path, follow)
}

/// The vnode open at `fd` (`fd_getvnode`): EBADF for no file, EINVAL
/// for a file that is not a vnode's.
pub(crate) fn fd_vnode(ctx: &Ctx, fd: i32) -> KResult<Vnode> {
    Ok(vnode_file(ctx, fd)?.1)
}

/// `pathconf(2)` of `vn`'s file system.
fn pathconf_vn(vn: &Vnode, name: i32) -> KResult<i64> {
    let limits = vn.mnt.fs.pathconf_limits().ok_or(Errno::EOPNOTSUPP)?;
    crate::pathconf::node_value(limits, vn.vtype(), name)
}

/// `pathconf(2)`.
pub fn pathconf(ctx: &Ctx, path: &[u8], name: i32) -> KResult<i64> {
    pathconf_vn(&lookup(ctx, None, path, true)?, name)
}

/// `fpathconf(2)`.
pub fn fpathconf(ctx: &Ctx, fd: i32, name: i32) -> KResult<i64> {
    pathconf_vn(&vnode_file(ctx, fd)?.1, name)
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

/// `chflags(2)` (`follow`) and `lchflags(2)`.
pub fn chflags(ctx: &Ctx, path: &[u8], flags: u32, follow: bool) -> KResult<()> {
    let vn = lookup(ctx, None, path, follow)?;
    fileflags::chflags(&vn, &ctx.cred(), flags)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// `fchflags(2)`.
pub fn fchflags(ctx: &Ctx, fd: i32, flags: u32) -> KResult<()> {
    let vn = vnode_file(ctx, fd)?.1;
    fileflags::chflags(&vn, &ctx.cred(), flags)?;
    vnknote::note(ctx, &vn, NOTE_ATTRIB);
    Ok(())
}

/// `access(2)`, with the real ids.
pub fn access(ctx: &Ctx, at: Option<Vnode>, path: &[u8], amode: i32) -> KResult<()> {
    if amode & !(R_OK | W_OK | X_OK) != 0 {
        return Err(Errno::EINVAL);
    }
    let vn = lookup(ctx, at, path, true)?;
    let c = ctx.cred();
    let real = Cred {
        euid: c.ruid,
        egid: c.rgid,
        ..(*c).clone()
    };
    let mut want = Access(0);
    for (bit, a) in [
        (R_OK, Access::READ),
        (W_OK, Access::WRITE),
        (X_OK, Access::EXEC),
    ] {
        if amode & bit != 0 {
            want = want | a;
        }
    }
    if want.0 == 0 {
        Ok(())
    } else {
        vn.access(&real, want)
    }
}

/// `chdir(2)`.
pub fn chdir(ctx: &Ctx, path: &[u8]) -> KResult<()> {
    set_cwd(ctx, lookup(ctx, None, path, true)?)
}

/// `chroot(2)` (`fd` `None`) or `fchroot(2)`: the process's root becomes
/// that directory. Root only.
pub fn chroot(ctx: &Ctx, path: Option<&[u8]>, fd: Option<i32>) -> KResult<()> {
    ctx.cred().require_root()?;
    let vn = match (path, fd) {
        (Some(p), _) => lookup(ctx, None, p, true)?,
        (None, Some(fd)) => vnode_file_ops(ctx, fd, Errno::ENOTDIR)?.1,
        (None, None) => return Err(Errno::EINVAL),
    };
    check_searchable_dir(ctx, &vn)?;
    *vfs(ctx)
        .cwdinfo(ctx.proc())
        .root
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(vn);
    Ok(())
}

/// `fchdir(2)`.
pub fn fchdir(ctx: &Ctx, fd: i32) -> KResult<()> {
    set_cwd(ctx, vnode_file_ops(ctx, fd, Errno::ENOTDIR)?.1)
}

/// Directory entries of an open directory from its cursor, as many as
/// `fits` accepts.
pub fn getdents(ctx: &Ctx, fd: i32, mut fits: impl FnMut(&Dirent) -> bool) -> KResult<Vec<Dirent>> {
    with_vfile(ctx, fd, Errno::EINVAL, |vf| {
        if vf.is_revoked() {
            return Err(Errno::EBADF);
        }
        if vf.vn.vtype() != VType::Dir {
            return Err(Errno::EINVAL);
        }
        vf.take_entries(|e| {
            fits(&Dirent {
                ino: e.ino,
                typ: e.typ.dirent_type(),
                name: e.name.clone(),
            })
        })
        .map(|v| {
            v.into_iter()
                .map(|e| Dirent {
                    ino: e.ino,
                    typ: e.typ.dirent_type(),
                    name: e.name,
                })
                .collect()
        })
    })
}

/// One time given to `utimes`-like calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeArg {
    /// This time.
    At(i64, i64),
    /// The current time (`UTIME_NOW`, or no times given).
    Now,
    /// Leave it alone (`UTIME_OMIT`).
    Omit,
}

fn resolve_time(ctx: &Ctx, t: TimeArg) -> Option<(i64, i64)> {
    match t {
        TimeArg::At(s, n) => Some((s, n)),
        TimeArg::Now => Some(ctx.kernel().clock().realtime_timespec()),
        TimeArg::Omit => None,
    }
}

/// Set the times of `vn`: explicit times need the owner or root; setting
/// both to now also lets anyone who may write the file do it.
pub fn set_times(ctx: &Ctx, vn: &Vnode, atime: TimeArg, mtime: TimeArg) -> KResult<()> {
    let cred = ctx.cred();
    let explicit = matches!(atime, TimeArg::At(..)) || matches!(mtime, TimeArg::At(..));
    if check_owner(vn, &cred).is_err() {
        if explicit {
            return Err(Errno::EPERM);
        }
        vn.access(&cred, Access::WRITE)?;
    }
    if vn.read_only() {
        return Err(Errno::EROFS);
    }
    fileflags::check_changeable(vn)?;
    vn.node.setattr(&SetAttr {
        atime: resolve_time(ctx, atime),
        mtime: resolve_time(ctx, mtime),
        ..SetAttr::default()
    })?;
    vnknote::note(ctx, vn, NOTE_ATTRIB);
    Ok(())
}

/// `utimes(2)` and friends by path.
pub fn utimes(
    ctx: &Ctx,
    at: Option<Vnode>,
    path: &[u8],
    atime: TimeArg,
    mtime: TimeArg,
    follow: bool,
) -> KResult<()> {
    set_times(ctx, &lookup(ctx, at, path, follow)?, atime, mtime)
}

/// `futimes(2)`/`futimens(2)`.
pub fn futimes(ctx: &Ctx, fd: i32, atime: TimeArg, mtime: TimeArg) -> KResult<()> {
    set_times(ctx, &vnode_file(ctx, fd)?.1, atime, mtime)
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

/// `umask(2)`.
pub fn umask_set(ctx: &Ctx, mask: u32) -> u32 {
    let info = vfs(ctx).cwdinfo(ctx.proc());
    let mut m = info.umask.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::replace(&mut *m, mask & 0o777)
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
fn update_mount(ctx: &Ctx, path: &[u8], flags: i32) -> KResult<()> {
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
}

/// A new working or root directory must be a directory the caller may
/// search.
fn check_searchable_dir(ctx: &Ctx, vn: &Vnode) -> KResult<()> {
    if vn.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    vn.access(&ctx.cred(), Access::EXEC)
}

fn set_cwd(ctx: &Ctx, vn: Vnode) -> KResult<()> {
    check_searchable_dir(ctx, &vn)?;
    *vfs(ctx)
        .cwdinfo(ctx.proc())
        .cwd
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = Some(vn);
    Ok(())
}
