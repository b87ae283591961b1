//! `pathconf(2)` names and the values NetBSD's file systems answer for
//! them (`tmpfs_pathconf`, `ufs_pathconf`, rumpfs's `rump_vop_pathconf`):
//! the same list for all three, except the file size bits and whether the
//! symlink names are known. Device nodes answer as specfs
//! (`spec_pathconf`) everywhere, FIFOs as fifofs (`fifo_pathconf`) on
//! tmpfs and FFS; rumpfs's FIFOs answer as its other nodes.

use crate::node::VType;
use rump::{Errno, KResult};

// `_PC_*` from NetBSD's `sys/unistd.h` (not in netbsd_abi's tables).
/// `_PC_LINK_MAX`.
pub const PC_LINK_MAX: i32 = 1;
/// `_PC_MAX_CANON`.
pub const PC_MAX_CANON: i32 = 2;
/// `_PC_MAX_INPUT`.
pub const PC_MAX_INPUT: i32 = 3;
/// `_PC_NAME_MAX`.
pub const PC_NAME_MAX: i32 = 4;
/// `_PC_PATH_MAX`.
pub const PC_PATH_MAX: i32 = 5;
/// `_PC_PIPE_BUF`.
pub const PC_PIPE_BUF: i32 = 6;
/// `_PC_CHOWN_RESTRICTED`.
pub const PC_CHOWN_RESTRICTED: i32 = 7;
/// `_PC_NO_TRUNC`.
pub const PC_NO_TRUNC: i32 = 8;
/// `_PC_VDISABLE`.
pub const PC_VDISABLE: i32 = 9;
/// `_PC_SYNC_IO`.
pub const PC_SYNC_IO: i32 = 10;
/// `_PC_FILESIZEBITS`.
pub const PC_FILESIZEBITS: i32 = 11;
/// `_PC_SYMLINK_MAX`.
pub const PC_SYMLINK_MAX: i32 = 12;
/// `_PC_2_SYMLINKS`.
pub const PC_2_SYMLINKS: i32 = 13;

/// `LINK_MAX` (`sys/syslimits.h`).
const LINK_MAX: i64 = netbsd_abi::LINK_MAX as i64;
/// `PIPE_BUF` (`sys/syslimits.h`).
const PIPE_BUF: i64 = netbsd_abi::PIPE_BUF as i64;
/// The longest name in a directory of these file systems: `FFS_MAXNAMLEN`
/// (`ufs/ufs/dir.h`) and `TMPFS_MAXNAMLEN` (`fs/tmpfs/tmpfs.h`), both 255.
const FS_MAXNAMLEN: i64 = 255;
/// `MAX_CANON` and `MAX_INPUT` (`sys/syslimits.h`).
const MAX_CANON: i64 = 255;
/// `_POSIX_VDISABLE` (`sys/unistd.h`), as an unsigned char.
const POSIX_VDISABLE: i64 = 0xff;

/// What differs between the file systems' answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathconfLimits {
    /// `_PC_FILESIZEBITS`: 64 for tmpfs, 42 for UFS, 43 for rumpfs.
    pub filesizebits: i64,
    /// Whether `_PC_SYMLINK_MAX` and `_PC_2_SYMLINKS` are answered (UFS
    /// and rumpfs) or EINVAL (tmpfs).
    pub symlinks: bool,
    /// Whether FIFOs answer as fifofs (tmpfs and UFS) rather than as the
    /// file system's other nodes (rumpfs).
    pub fifofs: bool,
}

/// NetBSD's tmpfs.
pub const TMPFS: PathconfLimits = PathconfLimits {
    filesizebits: 64,
    symlinks: false,
    fifofs: true,
};
/// NetBSD's UFS (FFS).
pub const UFS: PathconfLimits = PathconfLimits {
    filesizebits: 42,
    symlinks: true,
    fifofs: true,
};
/// NetBSD's rumpfs (the root and etfs).
pub const RUMPFS: PathconfLimits = PathconfLimits {
    filesizebits: 43,
    symlinks: true,
    fifofs: false,
};

/// What a node of `typ` answers for `name` on a file system with `limits`.
pub fn node_value(limits: PathconfLimits, typ: VType, name: i32) -> KResult<i64> {
    match typ {
        VType::Blk | VType::Chr => special(name),
        VType::Fifo if limits.fifofs => fifo(name),
        _ => value(limits, name),
    }
}

/// specfs's answers (`spec_pathconf`).
fn special(name: i32) -> KResult<i64> {
    Ok(match name {
        PC_LINK_MAX => LINK_MAX,
        PC_MAX_CANON | PC_MAX_INPUT => MAX_CANON,
        PC_PIPE_BUF => PIPE_BUF,
        PC_CHOWN_RESTRICTED | PC_SYNC_IO => 1,
        PC_VDISABLE => POSIX_VDISABLE,
        _ => return Err(Errno::EINVAL),
    })
}

/// fifofs's answers (`fifo_pathconf`).
fn fifo(name: i32) -> KResult<i64> {
    Ok(match name {
        PC_LINK_MAX => LINK_MAX,
        PC_PIPE_BUF => PIPE_BUF,
        PC_CHOWN_RESTRICTED | PC_SYNC_IO => 1,
        _ => return Err(Errno::EINVAL),
    })
}

/// The value of `name` for a file system with `limits`; EINVAL for a name
/// it does not know.
pub fn value(limits: PathconfLimits, name: i32) -> KResult<i64> {
    Ok(match name {
        PC_LINK_MAX => LINK_MAX,
        PC_NAME_MAX => FS_MAXNAMLEN,
        PC_PATH_MAX => i64::from(netbsd_abi::PATH_MAX),
        PC_SYMLINK_MAX if limits.symlinks => i64::from(netbsd_abi::MAXPATHLEN),
        PC_PIPE_BUF => PIPE_BUF,
        PC_CHOWN_RESTRICTED | PC_NO_TRUNC | PC_SYNC_IO => 1,
        PC_FILESIZEBITS => limits.filesizebits,
        PC_2_SYMLINKS if limits.symlinks => 1,
        _ => return Err(Errno::EINVAL),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tmpfs_has_no_symlink_names_and_ufs_does() {
        assert_eq!(value(TMPFS, PC_SYMLINK_MAX), Err(Errno::EINVAL));
        assert_eq!(value(TMPFS, PC_FILESIZEBITS), Ok(64));
        assert_eq!(value(UFS, PC_SYMLINK_MAX), Ok(1024));
        assert_eq!(value(RUMPFS, PC_2_SYMLINKS), Ok(1));
        assert_eq!(value(UFS, 9), Err(Errno::EINVAL)); // _PC_VDISABLE
        assert_eq!(value(TMPFS, PC_PATH_MAX), Ok(1024));
    }

    #[test]
    fn devices_answer_as_specfs_and_fifos_as_fifofs() {
        assert_eq!(node_value(UFS, VType::Chr, PC_VDISABLE), Ok(0xff));
        assert_eq!(node_value(UFS, VType::Chr, PC_NAME_MAX), Err(Errno::EINVAL));
        assert_eq!(
            node_value(TMPFS, VType::Fifo, PC_NAME_MAX),
            Err(Errno::EINVAL)
        );
        assert_eq!(node_value(TMPFS, VType::Fifo, PC_PIPE_BUF), Ok(512));
        assert_eq!(node_value(RUMPFS, VType::Fifo, PC_NAME_MAX), Ok(255));
    }
}
