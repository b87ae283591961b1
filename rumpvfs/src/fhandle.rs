//! File handles (NetBSD's `fhandle_t`): a file named by its file system
//! and its node, for `__getfh30`, `__fhopen40`, `__fhstat50` and
//! `__fhstatvfs140`.
//!
//! ```text
//!  0  fh_fsid   two int32: the mount's f_fsidx (here its id, and 0)
//!  8  fid_len   u16: 16, the size of the fid (each file system's fid)
//! 10  fid_reserved
//! 12  gen       u32: the node's generation
//! 16  ino       u64: the node's number
//! ```
//! Handles are at least `FHANDLE_SIZE_COMPAT` (28) bytes, zero-padded.
//! File systems that make them (`VFS_VPTOFH`) share this fid layout;
//! rumpfs makes none. A handle whose mount, node or generation is
//! gone is stale (ESTALE).

use crate::vfs::{Vfs, Vnode};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `FHANDLE_SIZE_COMPAT`, the smallest handle (`sys/fstypes.h`).
pub const FHANDLE_SIZE_MIN: usize = 28;
/// `FHANDLE_SIZE_MAX`.
pub const FHANDLE_SIZE_MAX: usize = 1024;
/// `NFSX_V2FH`: a handle of this size may carry padding after a shorter
/// one (NetBSD's "kludge for nfsv2 padded handles").
const NFSX_V2FH: usize = 32;
/// `offsetof(fhandle_t, fh_fid)`.
const FID: usize = 8;
/// The fid's length: `sizeof(struct ufid)`, and the memory file system's.
const FID_LEN: usize = 16;
const GEN: usize = FID + 4;
const INO: usize = FID + 8;

/// The size of the handle whose fid says it is `fid_len` bytes
/// (`FHANDLE_SIZE_FROM_FILEID_SIZE`).
fn size_for(fid_len: usize) -> usize {
    (FID + fid_len).max(FHANDLE_SIZE_MIN)
}

/// The handle of `vn` (`vfs_composefh_alloc`); EOPNOTSUPP on a file
/// system without handles.
pub fn compose(vn: &Vnode) -> KResult<Vec<u8>> {
    if !vn.mnt.fs.makes_file_handles() {
        return Err(Errno::EOPNOTSUPP);
    }
    let a = vn.node.getattr();
    let mut fh = vec![0u8; size_for(FID_LEN)];
    fh[..4].copy_from_slice(&(vn.mnt.id as u32).to_le_bytes());
    fh[FID..FID + 2].copy_from_slice(&(FID_LEN as u16).to_le_bytes());
    fh[GEN..GEN + 4].copy_from_slice(&a.gen_.to_le_bytes());
    fh[INO..INO + 8].copy_from_slice(&a.ino.to_le_bytes());
    Ok(fh)
}

/// Check a handle of `fh.len()` bytes as the caller gave it
/// (`vfs_copyinfh_alloc`): EINVAL when the size is out of bounds or not
/// the one the handle says; returns the handle without padding.
pub fn check_size(fh: &[u8]) -> KResult<&[u8]> {
    if !(FHANDLE_SIZE_MIN..=FHANDLE_SIZE_MAX).contains(&fh.len()) {
        return Err(Errno::EINVAL);
    }
    let fid_len = usize::from(u16::from_le_bytes([fh[FID], fh[FID + 1]]));
    let size = size_for(fid_len);
    if size == fh.len() {
        Ok(fh)
    } else if fh.len() == NFSX_V2FH && size < NFSX_V2FH {
        Ok(&fh[..size])
    } else {
        Err(Errno::EINVAL)
    }
}

/// The vnode a checked handle names (`vfs_fhtovp`): ESTALE when its
/// mount, node or generation is gone, EOPNOTSUPP when its file system
/// makes no handles, EINVAL for a fid of another size.
pub fn resolve(ctx: &Ctx, fh: &[u8]) -> KResult<Vnode> {
    let word = |o: usize| u32::from_le_bytes([fh[o], fh[o + 1], fh[o + 2], fh[o + 3]]);
    let (id, second) = (u64::from(word(0)), word(4));
    let mnt = Vfs::of(ctx.kernel())
        .mounts()
        .into_iter()
        .find(|m| second == 0 && m.id == id)
        .ok_or(Errno::ESTALE)?;
    if !mnt.fs.makes_file_handles() {
        return Err(Errno::EOPNOTSUPP);
    }
    let fid = &fh[FID..];
    if usize::from(u16::from_le_bytes([fid[0], fid[1]])) != FID_LEN || fid.len() < FID_LEN {
        return Err(Errno::EINVAL);
    }
    let ino = u64::from_le_bytes(fh[INO..INO + 8].try_into().unwrap_or_default());
    let node = mnt.fs.vget(ino)?;
    if node.getattr().gen_ != word(GEN) {
        return Err(Errno::ESTALE);
    }
    Ok(Vnode::new(Arc::clone(&mnt), node))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_checked_as_netbsd_does() {
        let mut fh = vec![0u8; 28];
        fh[FID] = 16;
        assert_eq!(check_size(&fh).map(<[u8]>::len), Ok(28));
        assert_eq!(check_size(&fh[..27]), Err(Errno::EINVAL));
        fh.resize(32, 0);
        assert_eq!(check_size(&fh).map(<[u8]>::len), Ok(28)); // NFSv2 padding
        fh.resize(33, 0);
        assert_eq!(check_size(&fh), Err(Errno::EINVAL));
        assert_eq!(check_size(&vec![0u8; 2000]), Err(Errno::EINVAL));
    }
}
