//! NetBSD's file system constants, as `netbsd-abi/constants.tsv` lists them.

/// Open for reading only.
pub const O_RDONLY: i32 = 0;
/// Open for writing only.
pub const O_WRONLY: i32 = 1;
/// Open for reading and writing.
pub const O_RDWR: i32 = 2;
/// Mask of the access mode.
pub const O_ACCMODE: i32 = 3;
/// Non-blocking I/O.
pub const O_NONBLOCK: i32 = 4;
/// Every write appends.
pub const O_APPEND: i32 = 8;
/// Do not follow a final symlink.
pub const O_NOFOLLOW: i32 = 0x100;
/// Create if missing.
pub const O_CREAT: i32 = 0x200;
/// Truncate to zero length.
pub const O_TRUNC: i32 = 0x400;
/// With `O_CREAT`: fail if it exists.
pub const O_EXCL: i32 = 0x800;
/// Fail unless a directory.
pub const O_DIRECTORY: i32 = 0x20_0000;
/// Close on exec.
pub const O_CLOEXEC: i32 = 0x40_0000;
/// Writes with no reader left are EPIPE without `SIGPIPE`.
pub const O_NOSIGPIPE: i32 = 0x100_0000;

/// `lseek` from the start.
pub const SEEK_SET: i32 = 0;
/// `lseek` from the current offset.
pub const SEEK_CUR: i32 = 1;
/// `lseek` from the end.
pub const SEEK_END: i32 = 2;

/// `access` modes.
pub const F_OK: i32 = 0;
/// Execute/search.
pub const X_OK: i32 = 1;
/// Write.
pub const W_OK: i32 = 2;
/// Read.
pub const R_OK: i32 = 4;

/// File type mask of `st_mode`.
pub const S_IFMT: u32 = 0o170000;
/// FIFO.
pub const S_IFIFO: u32 = 0o010000;
/// Character device.
pub const S_IFCHR: u32 = 0o020000;
/// Directory.
pub const S_IFDIR: u32 = 0o040000;
/// Block device.
pub const S_IFBLK: u32 = 0o060000;
/// Regular file.
pub const S_IFREG: u32 = 0o100000;
/// Symbolic link.
pub const S_IFLNK: u32 = 0o120000;
/// Socket.
pub const S_IFSOCK: u32 = 0o140000;
/// Set-user-id, set-group-id, sticky.
pub const S_ISUID: u32 = 0o4000;
/// Set-group-id.
pub const S_ISGID: u32 = 0o2000;
/// Sticky directory: only owners may remove entries.
pub const S_ISVTX: u32 = 0o1000;

/// `d_type` values.
pub const DT_UNKNOWN: u8 = 0;
/// FIFO.
pub const DT_FIFO: u8 = 1;
/// Character device.
pub const DT_CHR: u8 = 2;
/// Directory.
pub const DT_DIR: u8 = 4;
/// Block device.
pub const DT_BLK: u8 = 6;
/// Regular file.
pub const DT_REG: u8 = 8;
/// Symbolic link.
pub const DT_LNK: u8 = 10;
/// Socket.
pub const DT_SOCK: u8 = 12;

/// Mount read-only.
pub const MNT_RDONLY: i32 = 0x1;
/// Unmount even if busy.
pub const MNT_FORCE: i32 = 0x80000;
/// Change flags of a mounted file system.
pub const MNT_UPDATE: i32 = 0x10000;
/// `statvfs` flag: local file system.
pub const MNT_LOCAL: u64 = 0x1000;
/// `statvfs` flag: the root file system.
pub const MNT_ROOTFS: u64 = 0x4000;

/// Longest name component (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Longest path, NUL included (`PATH_MAX`/`MAXPATHLEN`).
pub const PATH_MAX: usize = 1024;
/// Most symlinks followed in one lookup (`MAXSYMLINKS`).
pub const MAXSYMLINKS: usize = 32;
