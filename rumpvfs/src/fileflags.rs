//! `chflags(2)` flags: who may change them and what they forbid, as
//! NetBSD's file systems' `*_chflags` and `ufs_setattr` (with `genfs_can_chflags`
//! and the suser security model a rump kernel runs) decide, and the
//! `genfs_ufslike_*_check_possible` rules for remove and rename. Each file
//! system says through [`FlagPolicy`] which of these it follows; rumpfs
//! only stores flags, as NetBSD's does. `UF_NOUNLINK` and `SF_NOUNLINK`
//! are not implemented in NetBSD either: they are stored, nothing more.

use crate::node::{FlagPolicy, SetAttr, VType};
use crate::vfs::Vnode;
use netbsd_abi::{SF_APPEND, SF_IMMUTABLE, SF_SETTABLE, SF_SNAPINVAL, SF_SNAPSHOT};
use netbsd_abi::{UF_APPEND, UF_IMMUTABLE, UF_SETTABLE};
use rump::cred::Cred;
use rump::{Errno, KResult};

/// Either immutable flag (`IMMUTABLE` in `sys/stat.h`'s kernel part).
pub const IMMUTABLE: u32 = UF_IMMUTABLE as u32 | SF_IMMUTABLE as u32;
/// Either append-only flag (`APPEND`).
pub const APPEND: u32 = UF_APPEND as u32 | SF_APPEND as u32;
/// The flags only root may change.
const SYSTEM: u32 = SF_SETTABLE;
/// The flags their owner may change.
const USER: u32 = UF_SETTABLE as u32;
/// The snapshot flags, which UFS never lets `chflags` change.
const SNAPSHOT: u32 = SF_SNAPSHOT as u32 | SF_SNAPINVAL as u32;

/// The flags of `vn` that restrict what may be done to it: none on a file
/// system that does not act on them.
pub fn effective(vn: &Vnode) -> u32 {
    match vn.mnt.fs.flag_policy() {
        FlagPolicy::Enforced | FlagPolicy::Ufs => vn.node.flags(),
        FlagPolicy::Unsupported | FlagPolicy::StoredOnly => 0,
    }
}

/// EPERM when `vn` is immutable or append-only: its mode, owner, times,
/// size and links cannot change (`*_chmod`, `ufs_setattr`, ...).
pub fn check_changeable(vn: &Vnode) -> KResult<()> {
    if effective(vn) & (IMMUTABLE | APPEND) != 0 {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// `VOP_ACCESS` for writing: nobody writes an immutable node, root neither.
pub fn check_writable(vn: &Vnode) -> KResult<()> {
    if effective(vn) & IMMUTABLE != 0 {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// `VOP_OPEN`: an append-only file is opened for writing only with
/// `O_APPEND`.
pub fn check_open(vn: &Vnode, writing: bool, appending: bool) -> KResult<()> {
    if writing && !appending && effective(vn) & APPEND != 0 {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// UFS's write rule: a write to an append-only file starts at its end.
pub fn check_write_at(vn: &Vnode, offset: u64) -> KResult<()> {
    if vn.mnt.fs.flag_policy() != FlagPolicy::Ufs {
        return Ok(());
    }
    let a = vn.node.getattr();
    if a.flags & APPEND != 0 && offset != a.size {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// Removing `victim` from `dir` (`genfs_ufslike_remove_check_possible`).
pub fn check_remove(dir: &Vnode, victim: &Vnode) -> KResult<()> {
    if (effective(dir) | effective(victim)) & (IMMUTABLE | APPEND) != 0 {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// Renaming `moving` from `from_dir` to `to_dir`, over `target` if there
/// is one (`genfs_ufslike_rename_check_possible`).
pub fn check_rename(
    from_dir: &Vnode,
    moving: &Vnode,
    to_dir: &Vnode,
    target: Option<&Vnode>,
) -> KResult<()> {
    let both = IMMUTABLE | APPEND;
    let clobber = target.is_some();
    let to_dir_forbids = IMMUTABLE | if clobber { APPEND } else { 0 };
    if (effective(from_dir) | effective(moving)) & both != 0
        || effective(to_dir) & to_dir_forbids != 0
        || target.is_some_and(|t| effective(t) & both != 0)
    {
        Err(Errno::EPERM)
    } else {
        Ok(())
    }
}

/// `chflags(2)` on `vn`: the permission checks of the file system's
/// policy, then the new flags stored.
pub fn chflags(vn: &Vnode, cred: &Cred, flags: u32) -> KResult<()> {
    let policy = vn.mnt.fs.flag_policy();
    if policy == FlagPolicy::Unsupported {
        return Err(Errno::EOPNOTSUPP);
    }
    if vn.read_only() {
        return Err(Errno::EROFS);
    }
    let a = vn.node.getattr();
    if policy == FlagPolicy::Ufs && flags & SNAPSHOT != a.flags & SNAPSHOT {
        return Err(Errno::EPERM);
    }
    // rumpfs asks genfs_can_chflags as if system flags never changed.
    let changing_system = policy != FlagPolicy::StoredOnly && flags & SYSTEM != a.flags & SYSTEM;
    if !cred.is_root() {
        let device = matches!(a.typ, VType::Chr | VType::Blk);
        if cred.euid != a.uid || changing_system || device {
            return Err(Errno::EPERM);
        }
    }
    let stored = if changing_system || policy == FlagPolicy::StoredOnly {
        flags
    } else {
        (a.flags & SYSTEM) | (flags & USER)
    };
    vn.node.setattr(&SetAttr {
        flags: Some(stored),
        ..SetAttr::default()
    })
}
