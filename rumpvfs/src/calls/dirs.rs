//! The process's directories and directory listing: `getcwd`, `chdir`,
//! `chroot`, `getdents`, and the umask new nodes are made with.

use super::Dirent;
use super::resolve::{child, lookup, vfs, vnode_file_ops, with_vfile};
use crate::node::VType;
use crate::vfs::Vnode;
use rump::cred::Access;
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::{Errno, KResult};

/// `getcwd(2)`: the path of the current directory, by walking `..` and
/// finding each directory's name in its parent.
pub fn getcwd(ctx: &Ctx) -> KResult<String> {
    let v = vfs(ctx);
    let root = match lock(&v.cwdinfo(ctx.proc()).root).clone() {
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
    *lock(&vfs(ctx).cwdinfo(ctx.proc()).root) = Some(vn);
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

/// `umask(2)`.
pub fn umask_set(ctx: &Ctx, mask: u32) -> u32 {
    let info = vfs(ctx).cwdinfo(ctx.proc());
    let mut m = lock(&info.umask);
    std::mem::replace(&mut *m, mask & 0o777)
}

/// A new working or root directory must be a directory the caller may
/// search.
pub(super) fn check_searchable_dir(ctx: &Ctx, vn: &Vnode) -> KResult<()> {
    if vn.vtype() != VType::Dir {
        return Err(Errno::ENOTDIR);
    }
    vn.access(&ctx.cred(), Access::EXEC)
}

pub(super) fn set_cwd(ctx: &Ctx, vn: Vnode) -> KResult<()> {
    check_searchable_dir(ctx, &vn)?;
    *lock(&vfs(ctx).cwdinfo(ctx.proc()).cwd) = Some(vn);
    Ok(())
}
