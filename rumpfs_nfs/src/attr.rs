//! NFS attributes as the VFS sees them, and the attribute cache with
//! NetBSD's timeouts (`NFS_ATTRTIMEO`: a tenth of the time since the file
//! last changed, at least `NFS_MINATTRTIMO`, at most `NFS_MAXATTRTIMO`).

use crate::nfs3::{Fattr, FileType, Sattr, Time};
use rump::{Errno, KResult};
use rumpvfs::node::{Attr, SetAttr, VType};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// `NFS_MINATTRTIMO`, seconds.
const MIN_ATTR_TIMEO: u64 = 5;
/// `NFS_MAXATTRTIMO`, seconds.
const MAX_ATTR_TIMEO: u64 = 60;

/// The VFS's type of an NFS file type.
pub fn vtype(t: FileType) -> VType {
    match t {
        FileType::Regular => VType::Reg,
        FileType::Directory => VType::Dir,
        FileType::Block => VType::Blk,
        FileType::Char => VType::Chr,
        FileType::Symlink => VType::Lnk,
        FileType::Socket => VType::Sock,
        FileType::Fifo => VType::Fifo,
    }
}

fn time(t: Time) -> (i64, i64) {
    (t.seconds.into(), t.nseconds.into())
}

/// `fattr3` as `struct vattr` (`nfs_loadattrcache`): NFS has no file
/// flags, generation or birth time.
pub fn to_vattr(a: &Fattr) -> Attr {
    Attr {
        typ: vtype(a.ftype),
        mode: a.mode & 0o7777,
        nlink: a.nlink,
        uid: a.uid,
        gid: a.gid,
        ino: a.fileid,
        size: a.size,
        bytes: a.used,
        rdev: rump::devsw::makedev(a.rdev.0, a.rdev.1),
        atime: time(a.atime),
        mtime: time(a.mtime),
        ctime: time(a.ctime),
        birthtime: (0, 0),
        gen_: 0,
        flags: 0,
    }
}

fn nfs_time(t: (i64, i64)) -> KResult<Time> {
    Ok(Time {
        seconds: u32::try_from(t.0).map_err(|_| Errno::EINVAL)?,
        nseconds: u32::try_from(t.1).map_err(|_| Errno::EINVAL)?,
    })
}

/// A `VOP_SETATTR` as `sattr3`: file flags cannot be set over NFS
/// (EOPNOTSUPP, as NetBSD's `nfs_setattr`), and times before 1970 or
/// after 2106 do not fit (EINVAL).
pub fn to_sattr(s: &SetAttr) -> KResult<Sattr> {
    if s.flags.is_some() {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(Sattr {
        mode: s.mode.map(|m| m & 0o7777),
        uid: s.uid,
        gid: s.gid,
        size: s.size,
        atime: s.atime.map(nfs_time).transpose()?,
        mtime: s.mtime.map(nfs_time).transpose()?,
    })
}

/// A node's cached attributes.
pub struct Cached {
    /// The attributes.
    pub attr: Fattr,
    /// When they came from the server.
    at: Instant,
    /// The file system's change count then.
    generation: u64,
}

impl Cached {
    /// Attributes just received, at change count `generation`.
    pub fn new(attr: Fattr, generation: u64) -> Cached {
        Cached {
            attr,
            at: Instant::now(),
            generation,
        }
    }

    /// How long attributes stay good (`NFS_ATTRTIMEO`): a tenth of the
    /// file's age since its last change, within NetBSD's bounds.
    fn timeout(&self) -> Duration {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let age = now.saturating_sub(self.attr.mtime.seconds.into()) / 10;
        Duration::from_secs(age.clamp(MIN_ATTR_TIMEO, MAX_ATTR_TIMEO))
    }

    /// Whether they may still be used, with the file system's change count
    /// now `generation` (a change of names made through this mount may
    /// have changed link counts and directory times).
    pub fn fresh(&self, generation: u64) -> bool {
        self.generation == generation && self.at.elapsed() < self.timeout()
    }
}
