//! Names in directories: making nodes (`mkdir`, `mknod`, `symlink`, socket
//! names), removing, linking and renaming them, and reading a symbolic
//! link.

use super::resolve::{can_change, child, lookup, new_node, parent_of, sticky_ok, umask, vfs};
use crate::fileflags;
use crate::flags::*;
use crate::node::{NewNode, SetAttr, VType};
use crate::vfs::Vnode;
use crate::vnknote;
use rump::cred::Access;
use rump::kqueue::consts::{NOTE_LINK, NOTE_RENAME, NOTE_WRITE};
use rump::syscall::Ctx;
use rump::{Errno, KResult};

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

/// The node type `mknod` makes from the type bits of `mode`.
pub fn mknod_type(mode: u32) -> KResult<VType> {
    match mode & S_IFMT {
        S_IFCHR => Ok(VType::Chr),
        S_IFBLK => Ok(VType::Blk),
        // NetBSD lets root make an empty regular file this way too; a
        // FIFO is mkfifo's to make, and a type of 0 is no type
        // (do_sys_mknodat).
        S_IFREG => Ok(VType::Reg),
        _ => Err(Errno::EINVAL),
    }
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

pub(super) fn rename_retaining(
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
