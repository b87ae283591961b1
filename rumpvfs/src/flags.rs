//! NetBSD's file system constants, as `netbsd-abi/constants.tsv` lists them.

/// Open for reading only.
pub const O_RDONLY: i32 = netbsd_abi::O_RDONLY;
/// Open for writing only.
pub const O_WRONLY: i32 = netbsd_abi::O_WRONLY;
/// Open for reading and writing.
pub const O_RDWR: i32 = netbsd_abi::O_RDWR;
/// Mask of the access mode.
pub const O_ACCMODE: i32 = netbsd_abi::O_ACCMODE;
/// Non-blocking I/O.
pub const O_NONBLOCK: i32 = netbsd_abi::O_NONBLOCK;
/// Every write appends.
pub const O_APPEND: i32 = netbsd_abi::O_APPEND;
/// Do not follow a final symlink.
pub const O_NOFOLLOW: i32 = netbsd_abi::O_NOFOLLOW;
/// Create if missing.
pub const O_CREAT: i32 = netbsd_abi::O_CREAT;
/// Truncate to zero length.
pub const O_TRUNC: i32 = netbsd_abi::O_TRUNC;
/// With `O_CREAT`: fail if it exists.
pub const O_EXCL: i32 = netbsd_abi::O_EXCL;
/// Fail unless a directory.
pub const O_DIRECTORY: i32 = netbsd_abi::O_DIRECTORY;
/// Close on exec.
pub const O_CLOEXEC: i32 = netbsd_abi::O_CLOEXEC;
/// Writes with no reader left are EPIPE without `SIGPIPE`.
pub const O_NOSIGPIPE: i32 = netbsd_abi::O_NOSIGPIPE;

/// `lseek` from the start.
pub const SEEK_SET: i32 = netbsd_abi::SEEK_SET;
/// `lseek` from the current offset.
pub const SEEK_CUR: i32 = netbsd_abi::SEEK_CUR;
/// `lseek` from the end.
pub const SEEK_END: i32 = netbsd_abi::SEEK_END;

/// `access` modes.
pub const F_OK: i32 = netbsd_abi::F_OK;
/// Execute/search.
pub const X_OK: i32 = netbsd_abi::X_OK;
/// Write.
pub const W_OK: i32 = netbsd_abi::W_OK;
/// Read.
pub const R_OK: i32 = netbsd_abi::R_OK;

/// File type mask of `st_mode`.
pub const S_IFMT: u32 = netbsd_abi::S_IFMT as u32;
/// FIFO.
pub const S_IFIFO: u32 = netbsd_abi::S_IFIFO as u32;
/// Character device.
pub const S_IFCHR: u32 = netbsd_abi::S_IFCHR as u32;
/// Directory.
pub const S_IFDIR: u32 = netbsd_abi::S_IFDIR as u32;
/// Block device.
pub const S_IFBLK: u32 = netbsd_abi::S_IFBLK as u32;
/// Regular file.
pub const S_IFREG: u32 = netbsd_abi::S_IFREG as u32;
/// Symbolic link.
pub const S_IFLNK: u32 = netbsd_abi::S_IFLNK as u32;
/// Socket.
pub const S_IFSOCK: u32 = netbsd_abi::S_IFSOCK as u32;
/// Set-user-id, set-group-id, sticky.
pub const S_ISUID: u32 = netbsd_abi::S_ISUID as u32;
/// Set-group-id.
pub const S_ISGID: u32 = netbsd_abi::S_ISGID as u32;
/// Sticky directory: only owners may remove entries.
pub const S_ISVTX: u32 = netbsd_abi::S_ISVTX as u32;

/// `d_type` values.
pub const DT_UNKNOWN: u8 = netbsd_abi::DT_UNKNOWN as u8;
/// FIFO.
pub const DT_FIFO: u8 = netbsd_abi::DT_FIFO as u8;
/// Character device.
pub const DT_CHR: u8 = netbsd_abi::DT_CHR as u8;
/// Directory.
pub const DT_DIR: u8 = netbsd_abi::DT_DIR as u8;
/// Block device.
pub const DT_BLK: u8 = netbsd_abi::DT_BLK as u8;
/// Regular file.
pub const DT_REG: u8 = netbsd_abi::DT_REG as u8;
/// Symbolic link.
pub const DT_LNK: u8 = netbsd_abi::DT_LNK as u8;
/// Socket.
pub const DT_SOCK: u8 = netbsd_abi::DT_SOCK as u8;

/// Mount read-only.
pub const MNT_RDONLY: i32 = netbsd_abi::MNT_RDONLY;
/// Unmount even if busy.
pub const MNT_FORCE: i32 = netbsd_abi::MNT_FORCE;
/// Change flags of a mounted file system.
pub const MNT_UPDATE: i32 = netbsd_abi::MNT_UPDATE;
/// Mount flags a mount keeps, as NetBSD's `mnt_flag` keeps its basic
/// flags, and `statvfs` shows. What they ask is done here: read-only, no
/// devices (opening a device node is ENXIO), synchronous writes (each
/// write is followed by the file's fsync), no access times; no program
/// runs from a rump kernel's file systems and nothing dumps core in one,
/// so `noexec`, `nosuid` and `nocoredump` hold by nature; `async` allows
/// what is done anyway, and `ignore` is for `df` alone.
pub const MNT_KEPT: i32 = netbsd_abi::MNT_RDONLY
    | netbsd_abi::MNT_SYNCHRONOUS
    | netbsd_abi::MNT_NOEXEC
    | netbsd_abi::MNT_NOSUID
    | netbsd_abi::MNT_NODEV
    | netbsd_abi::MNT_ASYNC
    | netbsd_abi::MNT_NOCOREDUMP
    | netbsd_abi::MNT_NOATIME
    | netbsd_abi::MNT_IGNORE;
/// Mount flags of features not built here: union mounts, the FFS log
/// (WAPBL) and soft dependencies, UFS1 extended attributes, discard,
/// lazy access times, symlink permissions, device mtimes. Asked for,
/// they are EOPNOTSUPP rather than dropped.
pub const MNT_NOT_BUILT: i32 = netbsd_abi::MNT_UNION
    | netbsd_abi::MNT_LOG
    | netbsd_abi::MNT_SOFTDEP as i32
    | netbsd_abi::MNT_EXTATTR
    | netbsd_abi::MNT_DISCARD
    | netbsd_abi::MNT_RELATIME
    | netbsd_abi::MNT_SYMPERM
    | netbsd_abi::MNT_NODEVMTIME;
/// No device nodes.
pub const MNT_NODEV: i32 = netbsd_abi::MNT_NODEV;
/// Synchronous writes.
pub const MNT_SYNCHRONOUS: i32 = netbsd_abi::MNT_SYNCHRONOUS;
/// No access times.
pub const MNT_NOATIME: i32 = netbsd_abi::MNT_NOATIME;
/// `statvfs` flag: local file system.
pub const MNT_LOCAL: u64 = netbsd_abi::MNT_LOCAL as u64;
/// `statvfs` flag: the root file system.
pub const MNT_ROOTFS: u64 = netbsd_abi::MNT_ROOTFS as u64;

/// Longest name component namei takes (`KERNEL_NAME_MAX`, `sys/param.h`):
/// NetBSD keeps it at 255 for old binaries, below `NAME_MAX` (511).
pub const KERNEL_NAME_MAX: usize = 255;
/// Longest path, NUL included (`PATH_MAX`/`MAXPATHLEN`).
pub const PATH_MAX: usize = netbsd_abi::PATH_MAX as usize;
/// Most symlinks followed in one lookup (`MAXSYMLINKS`).
pub const MAXSYMLINKS: usize = netbsd_abi::MAXSYMLINKS as usize;
