//! How a call finds its vnodes: path lookup (etfs keys first), the
//! parent of a new name, the vnode behind a descriptor, and the rules a
//! directory about to change must pass.

use crate::flags::*;
use crate::node::{NewNode, VType};
use crate::vfile::VnodeFile;
use crate::vfs::{Parent, Vfs, Vnode};
use rump::cred::{Access, Cred};
use rump::file::File;
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

pub(super) fn vfs(ctx: &Ctx) -> Arc<Vfs> {
    Vfs::of(ctx.kernel())
}

/// The etfs key `path` names, or the DIR key it lies under and the rest
/// of the path: as NetBSD's rumpfs, keys are found by the whole rest of a
/// path that starts at the root, absolute or relative to a root start
/// directory (`dvp == rootvnode`), before the tree is walked (they need no
/// directory and are in none).
pub(super) fn etfs_find(ctx: &Ctx, at: &Option<Vnode>, path: &[u8]) -> Option<(Vnode, Vec<u8>)> {
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

pub(super) fn parent_of(ctx: &Ctx, at: Option<Vnode>, path: &[u8]) -> KResult<Parent> {
    rump::ktrace::namei(ctx, path);
    vfs(ctx).lookup_parent(ctx.proc(), at, path)
}

/// Write access to a directory about to change, and not read-only.
pub(super) fn can_change(dir: &Vnode, cred: &Cred) -> KResult<()> {
    if dir.read_only() {
        return Err(Errno::EROFS);
    }
    dir.access(cred, Access::WRITE | Access::EXEC)
}

/// The sticky-directory rule: in a sticky directory only the owner of the
/// entry, the owner of the directory or root may remove or rename it.
pub(super) fn sticky_ok(dir: &Vnode, victim: &Vnode, cred: &Cred) -> KResult<()> {
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

pub(super) fn umask(ctx: &Ctx) -> u32 {
    *lock(&vfs(ctx).cwdinfo(ctx.proc()).umask)
}

pub(super) fn new_node(ctx: &Ctx, dir: &Vnode, typ: VType, mode: u32) -> NewNode {
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

pub(super) fn child(dir: &Vnode, name: &[u8]) -> KResult<Vnode> {
    Ok(Vnode::new(Arc::clone(&dir.mnt), dir.node.lookup(name)?))
}

/// The open file at `fd` and its vnode: EINVAL when it is not a vnode's,
/// EBADF when the vnode was revoked (deadfs answers EBADF).
pub(super) fn vnode_file(ctx: &Ctx, fd: i32) -> KResult<(Arc<File>, Vnode)> {
    vnode_file_ops(ctx, fd, Errno::EINVAL)
}

pub(crate) fn vnode_file_ops(ctx: &Ctx, fd: i32, not_vnode: Errno) -> KResult<(Arc<File>, Vnode)> {
    vnode_file_dead_as(ctx, fd, not_vnode, Errno::EBADF)
}

/// The open file at `fd` and its vnode: `not_vnode` when it is another
/// kind of file, `dead` when its vnode was revoked.
pub(super) fn vnode_file_dead_as(
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

pub(super) fn with_vfile<R>(
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
