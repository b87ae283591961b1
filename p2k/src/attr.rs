//! The kernel's attributes (NetBSD's `struct stat`) as FUSE's, and
//! NetBSD's errno values as Linux's, through the tables the hijack uses
//! too (`linux_xlate`).

use fuser::{FileAttr, FileType, INodeNo};
use linux_xlate::{dev_to_linux, errno_to_linux, mode_to_linux};
use rump::Errno;
use rump::file::Stat;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The FUSE file type of a NetBSD mode; `None` for a whiteout or a type
/// NetBSD does not define.
pub fn file_type(mode: u32) -> Option<FileType> {
    let t = mode & netbsd_abi::S_IFMT as u32;
    Some(match t as i32 {
        netbsd_abi::S_IFREG => FileType::RegularFile,
        netbsd_abi::S_IFDIR => FileType::Directory,
        netbsd_abi::S_IFLNK => FileType::Symlink,
        netbsd_abi::S_IFCHR => FileType::CharDevice,
        netbsd_abi::S_IFBLK => FileType::BlockDevice,
        netbsd_abi::S_IFIFO => FileType::NamedPipe,
        netbsd_abi::S_IFSOCK => FileType::Socket,
        _ => return None,
    })
}

/// The FUSE file type of a directory entry's `DT_*` type (the same
/// numbers on both systems: the mode's type bits shifted right by 12).
pub fn dirent_type(dt: u8) -> FileType {
    file_type(u32::from(dt) << 12).unwrap_or(FileType::RegularFile)
}

/// A (seconds, nanoseconds) time as the host's; times before 1970 count
/// back from the epoch.
pub fn system_time((sec, nsec): (i64, i64)) -> SystemTime {
    let nsec = nsec.clamp(0, 999_999_999) as u32;
    if sec >= 0 {
        UNIX_EPOCH + Duration::new(sec as u64, nsec)
    } else {
        UNIX_EPOCH - Duration::from_secs(sec.unsigned_abs()) + Duration::new(0, nsec)
    }
}

/// The FUSE attributes of a kernel `Stat`. A node of a type FUSE cannot
/// show is EIO (a damaged inode).
pub fn file_attr(st: &Stat) -> Result<FileAttr, Errno> {
    let kind = file_type(st.mode).ok_or(Errno::EIO)?;
    Ok(FileAttr {
        ino: INodeNo(st.ino),
        size: st.size.max(0) as u64,
        blocks: st.blocks.max(0) as u64,
        atime: system_time(st.atime),
        mtime: system_time(st.mtime),
        ctime: system_time(st.ctime),
        crtime: system_time(st.birthtime),
        kind,
        perm: (mode_to_linux(st.mode) & 0o7777) as u16,
        nlink: st.nlink,
        uid: st.uid,
        gid: st.gid,
        rdev: dev_to_linux(st.rdev) as u32,
        blksize: st.blksize.max(512) as u32,
        flags: 0,
    })
}

/// A kernel error as the Linux errno FUSE answers with.
pub fn linux_errno(e: Errno) -> fuser::Errno {
    fuser::Errno::from_i32(errno_to_linux(e.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_becomes_fuse_attributes() {
        let st = Stat {
            mode: netbsd_abi::S_IFLNK as u32 | 0o755,
            ino: 9,
            nlink: 1,
            size: 5,
            mtime: (1_700_000_000, 5),
            atime: (-2, 0),
            blksize: 16384,
            ..Stat::default()
        };
        let a = file_attr(&st).unwrap();
        assert_eq!(a.kind, FileType::Symlink);
        assert_eq!(a.perm, 0o777, "Linux shows a symlink's mode as 0777");
        assert_eq!(a.ino, INodeNo(9));
        assert_eq!(a.mtime, UNIX_EPOCH + Duration::new(1_700_000_000, 5));
        assert_eq!(a.atime, UNIX_EPOCH - Duration::from_secs(2));
        let bad = Stat {
            mode: 0o644,
            ..Stat::default()
        };
        assert_eq!(file_attr(&bad), Err(Errno::EIO));
    }

    #[test]
    fn errors_and_entry_types_use_linux_numbers() {
        assert_eq!(i32::from(linux_errno(Errno::ENOTEMPTY)), libc::ENOTEMPTY);
        assert_eq!(i32::from(linux_errno(Errno::EAGAIN)), libc::EAGAIN);
        assert_eq!(dirent_type(libc::DT_DIR), FileType::Directory);
        assert_eq!(dirent_type(libc::DT_LNK), FileType::Symlink);
    }
}
