//! kqueue on vnodes: which `EVFILT_*` a vnode takes, and the `NOTE_*`
//! hints the VFS posts where a change is made (NetBSD's `genfs_kqfilter`
//! and its file systems' `VN_KNOTE` calls).

use crate::node::VType;
use crate::vfs::Vnode;
use rump::kqueue::consts::{EV_EOF, EVFILT_READ, EVFILT_VNODE, NOTE_DELETE, NOTE_LINK};
use rump::kqueue::{FilterState, VnodeKey, vnode_note};
use rump::syscall::Ctx;
use rump::{Errno, KResult};

/// Asks [`kqfilter`] only whether the file system watches its vnodes.
pub(crate) const FIFO_FILTER: u32 = EVFILT_READ;

/// The filters a vnode of a regular file system takes: `EVFILT_READ` and
/// `EVFILT_VNODE` (genfs_kqfilter; EINVAL for others). NetBSD's rumpfs
/// has no kqfilter at all: EOPNOTSUPP, as its rump kernel answers.
pub(crate) fn kqfilter(vn: &Vnode, filter: u32) -> KResult<Option<VnodeKey>> {
    if !vn.mnt.fs.kqfilters() {
        return Err(Errno::EOPNOTSUPP);
    }
    match filter {
        EVFILT_READ | EVFILT_VNODE => Ok(Some(vn.key())),
        _ => Err(Errno::EINVAL),
    }
}

/// `filt_genfsread` and `filt_genfsvnode`: what is left to read from
/// `offset`, and the events noted so far.
pub(crate) fn kevent(vn: &Vnode, offset: u64, kn: &mut FilterState) -> bool {
    match kn.filter {
        EVFILT_READ => {
            kn.data = vn.node.getattr().size as i64 - offset as i64;
            kn.data != 0
        }
        EVFILT_VNODE => kn.fflags != 0,
        _ => {
            kn.flags |= EV_EOF;
            false
        }
    }
}

/// Post `hint` to the knotes watching `vn`.
pub(crate) fn note(ctx: &Ctx, vn: &Vnode, hint: u32) {
    vnode_note(ctx.kernel(), vn.key(), hint);
}

/// A name of `vn` went: its last (`NOTE_DELETE`) or one of several
/// (`NOTE_LINK`).
pub(crate) fn note_unlinked(ctx: &Ctx, vn: &Vnode) {
    // The link count is only worth reading for a watched vnode.
    if !rump::kqueue::vnode_watched(ctx.kernel(), vn.key()) {
        return;
    }
    let nlink = vn.node.getattr().nlink;
    let gone = match vn.vtype() {
        // A removed directory keeps only its own "." until it goes.
        VType::Dir => nlink <= 1,
        _ => nlink == 0,
    };
    note(ctx, vn, if gone { NOTE_DELETE } else { NOTE_LINK });
}
