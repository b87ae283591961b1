//! A node's attributes: `stat`, ownership and mode, flags, times, access
//! checks and `pathconf`.

use super::resolve::{lookup, vnode_file};
use crate::fileflags;
use crate::flags::*;
use crate::node::{SetAttr, VType};
use crate::vfile::stat_of;
use crate::vfs::Vnode;
use crate::vnknote;
use rump::cred::{Access, Cred};
use rump::file::Stat;
use rump::kqueue::consts::NOTE_ATTRIB;
use rump::syscall::Ctx;
use rump::{Errno, KResult};

/// `stat(2)` (`follow`) and `lstat(2)`.
pub fn stat(ctx: &Ctx, at: Option<Vnode>, path: &[u8], follow: bool) -> KResult<Stat> {
    Ok(stat_of(&lookup(ctx, at, path, follow)?))
}

pub(super) fn check_owner(vn: &Vnode, cred: &Cred) -> KResult<()> {
    if cred.is_root() || cred.euid == vn.node.getattr().uid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

pub(super) fn chmod_vn(vn: &Vnode, cred: &Cred, mode: u32) -> KResult<()> {
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

pub(super) fn chown_vn(
    vn: &Vnode,
    cred: &Cred,
    uid: u32,
    gid: u32,
    rule: ChownRule,
) -> KResult<()> {
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

/// `pathconf(2)` of `vn`'s file system.
pub(super) fn pathconf_vn(vn: &Vnode, name: i32) -> KResult<i64> {
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

pub(super) fn resolve_time(ctx: &Ctx, t: TimeArg) -> Option<(i64, i64)> {
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
