//! Opening: `open(2)` from a path to a descriptor, the kernel's own
//! `vn_open`, `revoke(2)`, and reading a module image.

use super::resolve::{can_change, child, etfs_find, lookup, new_node, vfs};
use crate::fileflags;
use crate::flags::*;
use crate::node::{SetAttr, VType};
use crate::vfile::VnodeFile;
use crate::vfs::Vnode;
use crate::vnknote;
use rump::cred::Access;
use rump::devsw::{DevKind, DevSw};
use rump::file::File;
use rump::kqueue::consts::NOTE_WRITE;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

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

pub(super) fn open_from(
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
pub(super) const OPEN_FILE_FLAGS: i32 = netbsd_abi::O_ACCMODE
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

/// Largest module file the module loader reads.
pub(super) const MAX_MODULE_IMAGE: u64 = 64 << 20;

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
