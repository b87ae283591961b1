//! `pathconf(2)` names and the values NetBSD's file systems answer for
//! them (`tmpfs_pathconf`, `ufs_pathconf`, rumpfs's `rump_vop_pathconf`):
//! the same list for all three, except the file size bits and whether the
//! symlink names are known.

use rump::{Errno, KResult};

// `_PC_*` from NetBSD's `sys/unistd.h` (not in netbsd_abi's tables).
/// `_PC_LINK_MAX`.
pub const PC_LINK_MAX: i32 = 1;
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
/// `_PC_SYNC_IO`.
pub const PC_SYNC_IO: i32 = 10;
/// `_PC_FILESIZEBITS`.
pub const PC_FILESIZEBITS: i32 = 11;
/// `_PC_SYMLINK_MAX`.
pub const PC_SYMLINK_MAX: i32 = 12;
/// `_PC_2_SYMLINKS`.
pub const PC_2_SYMLINKS: i32 = 13;

/// `LINK_MAX` (`sys/syslimits.h`).
const LINK_MAX: i64 = 32767;
/// `PIPE_BUF` (`sys/syslimits.h`).
const PIPE_BUF: i64 = 512;
/// The longest name in a directory of these file systems (`MAXNAMLEN`).
const MAXNAMLEN: i64 = 255;

/// What differs between the file systems' answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathconfLimits {
    /// `_PC_FILESIZEBITS`: 64 for tmpfs, 42 for UFS, 43 for rumpfs.
    pub filesizebits: i64,
    /// Whether `_PC_SYMLINK_MAX` and `_PC_2_SYMLINKS` are answered (UFS
    /// and rumpfs) or EINVAL (tmpfs).
    pub symlinks: bool,
}

/// NetBSD's tmpfs.
pub const TMPFS: PathconfLimits = PathconfLimits {
    filesizebits: 64,
    symlinks: false,
};
/// NetBSD's UFS (FFS).
pub const UFS: PathconfLimits = PathconfLimits {
    filesizebits: 42,
    symlinks: true,
};
/// NetBSD's rumpfs (the root and etfs).
pub const RUMPFS: PathconfLimits = PathconfLimits {
    filesizebits: 43,
    symlinks: true,
};

/// The value of `name` for a file system with `limits`; EINVAL for a name
/// it does not know.
pub fn value(limits: PathconfLimits, name: i32) -> KResult<i64> {
    Ok(match name {
        PC_LINK_MAX => LINK_MAX,
        PC_NAME_MAX => MAXNAMLEN,
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
}
