//! `pathconf(2)` names and the values NetBSD's file systems answer for
//! them (each file system's `VOP_PATHCONF`): the same list for all, except
//! the file size bits and whether the symlink names are known, which each
//! file system gives as its [`PathconfLimits`]. Device nodes answer as
//! specfs (`spec_pathconf`) everywhere, FIFOs as fifofs (`fifo_pathconf`)
//! or as the file system's other nodes.

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
/// The longest name in a directory of NetBSD's local file systems: each
/// one's `*_MAXNAMLEN` (`ufs/ufs/dir.h`, `fs/*/...`), all 255.
const FS_MAXNAMLEN: i64 = 255;
/// `MAX_CANON` and `MAX_INPUT` (`sys/syslimits.h`).
const MAX_CANON: i64 = 255;
/// `_POSIX_VDISABLE` (`sys/unistd.h`), as an unsigned char.
const POSIX_VDISABLE: i64 = 0xff;

/// What differs between the file systems' answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathconfLimits {
    /// `_PC_FILESIZEBITS`.
    pub filesizebits: i64,
    /// Whether `_PC_SYMLINK_MAX` and `_PC_2_SYMLINKS` are answered, rather
    /// than EINVAL.
    pub symlinks: bool,
    /// Whether FIFOs answer as fifofs rather than as the file system's
    /// other nodes.
    pub fifofs: bool,
}

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

    /// Without symlink names, FIFOs as fifofs (NetBSD's memory file system).
    const NO_SYMLINK_NAMES: PathconfLimits = PathconfLimits {
        filesizebits: 64,
        symlinks: false,
        fifofs: true,
    };
    /// With symlink names, FIFOs as fifofs (NetBSD's UFS).
    const FIFOFS: PathconfLimits = PathconfLimits {
        filesizebits: 42,
        symlinks: true,
        fifofs: true,
    };
    /// With symlink names, FIFOs as other nodes (NetBSD's rumpfs).
    const OWN_FIFOS: PathconfLimits = PathconfLimits {
        filesizebits: 43,
        symlinks: true,
        fifofs: false,
    };

    #[test]
    fn symlink_names_answer_only_where_known() {
        assert_eq!(value(NO_SYMLINK_NAMES, PC_SYMLINK_MAX), Err(Errno::EINVAL));
        assert_eq!(value(NO_SYMLINK_NAMES, PC_FILESIZEBITS), Ok(64));
        assert_eq!(value(FIFOFS, PC_SYMLINK_MAX), Ok(1024));
        assert_eq!(value(OWN_FIFOS, PC_2_SYMLINKS), Ok(1));
        assert_eq!(value(FIFOFS, 9), Err(Errno::EINVAL)); // _PC_VDISABLE
        assert_eq!(value(NO_SYMLINK_NAMES, PC_PATH_MAX), Ok(1024));
    }

    #[test]
    fn devices_answer_as_specfs_and_fifos_as_fifofs() {
        assert_eq!(node_value(FIFOFS, VType::Chr, PC_VDISABLE), Ok(0xff));
        assert_eq!(
            node_value(FIFOFS, VType::Chr, PC_NAME_MAX),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            node_value(NO_SYMLINK_NAMES, VType::Fifo, PC_NAME_MAX),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            node_value(NO_SYMLINK_NAMES, VType::Fifo, PC_PIPE_BUF),
            Ok(512)
        );
        assert_eq!(node_value(OWN_FIFOS, VType::Fifo, PC_NAME_MAX), Ok(255));
    }
}
