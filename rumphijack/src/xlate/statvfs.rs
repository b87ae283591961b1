//! `struct statvfs` and `struct statfs`.

use netbsd_abi::layout::statvfs;

/// `sizeof(struct statvfs)` on NetBSD.
pub const NETBSD_STATVFS_LEN: usize = statvfs::SIZE;

/// NetBSD mount flags in `f_flag` and Linux's ST_* bits.
const MOUNT_FLAGS: &[(i32, u64)] = &[
    (netbsd_abi::ST_RDONLY, libc::ST_RDONLY),
    (netbsd_abi::ST_SYNCHRONOUS, libc::ST_SYNCHRONOUS),
    (netbsd_abi::ST_NOEXEC, libc::ST_NOEXEC),
    (netbsd_abi::ST_NOSUID, libc::ST_NOSUID),
    (netbsd_abi::ST_NODEV, libc::ST_NODEV),
    (netbsd_abi::ST_NOATIME, libc::ST_NOATIME),
];

/// Linux magic numbers for `f_type`, by NetBSD file system name. rumpfs is
/// a memory file system, as ramfs is.
const FS_MAGIC: &[(&[u8], i64)] = &[
    (b"tmpfs", 0x0102_1994),
    (b"ffs", 0x0001_1954),
    (b"rumpfs", 0x8584_58f6),
    (b"nfs", 0x6969),
];

struct NetbsdStatvfs {
    flag: u64,
    bsize: u64,
    frsize: u64,
    blocks: u64,
    bfree: u64,
    bavail: u64,
    files: u64,
    ffree: u64,
    favail: u64,
    fsid: u64,
    namemax: u64,
    fstype: Vec<u8>,
}

impl NetbsdStatvfs {
    fn parse(b: &[u8]) -> Option<NetbsdStatvfs> {
        if b.len() < NETBSD_STATVFS_LEN {
            return None;
        }
        let name = b.get(statvfs::f_fstypename.range())?;
        let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
        let get = |f: netbsd_abi::Field| f.get(b);
        Some(NetbsdStatvfs {
            flag: get(statvfs::f_flag)?,
            bsize: get(statvfs::f_bsize)?,
            frsize: get(statvfs::f_frsize)?,
            blocks: get(statvfs::f_blocks)?,
            bfree: get(statvfs::f_bfree)?,
            bavail: get(statvfs::f_bavail)?,
            files: get(statvfs::f_files)?,
            ffree: get(statvfs::f_ffree)?,
            favail: get(statvfs::f_favail)?,
            fsid: get(statvfs::f_fsid)?,
            namemax: get(statvfs::f_namemax)?,
            fstype: name[..end].to_vec(),
        })
    }

    fn linux_flags(&self) -> u64 {
        MOUNT_FLAGS
            .iter()
            .filter(|&&(n, _)| self.flag & n as u64 != 0)
            .fold(0, |f, &(_, l)| f | l)
    }
}

/// NetBSD's `struct statvfs` as Linux's.
pub fn statvfs_from_netbsd(b: &[u8]) -> Option<libc::statvfs> {
    let n = NetbsdStatvfs::parse(b)?;
    // SAFETY: libc::statvfs is plain C data; all-zero bytes are valid.
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    s.f_bsize = n.bsize;
    s.f_frsize = n.frsize;
    s.f_blocks = n.blocks;
    s.f_bfree = n.bfree;
    s.f_bavail = n.bavail;
    s.f_files = n.files;
    s.f_ffree = n.ffree;
    s.f_favail = n.favail;
    s.f_fsid = n.fsid;
    s.f_flag = n.linux_flags();
    s.f_namemax = n.namemax;
    Some(s)
}

/// Linux's `struct statfs` (x86_64), spelt out because the `libc` crate
/// keeps `f_flags` private.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinuxStatfs {
    pub f_type: i64,
    pub f_bsize: i64,
    pub f_blocks: u64,
    pub f_bfree: u64,
    pub f_bavail: u64,
    pub f_files: u64,
    pub f_ffree: u64,
    pub f_fsid: [i32; 2],
    pub f_namelen: i64,
    pub f_frsize: i64,
    pub f_flags: i64,
    pub f_spare: [i64; 4],
}

const _: () = assert!(std::mem::size_of::<LinuxStatfs>() == std::mem::size_of::<libc::statfs>());

/// NetBSD's `struct statvfs` as Linux's `struct statfs`; `f_type` is the
/// Linux magic number of the same kind of file system, 0 when there is none.
pub fn statfs_from_netbsd(b: &[u8]) -> Option<LinuxStatfs> {
    let n = NetbsdStatvfs::parse(b)?;
    let flags = n.linux_flags() as i64;
    Some(LinuxStatfs {
        f_type: FS_MAGIC
            .iter()
            .find(|(name, _)| *name == n.fstype.as_slice())
            .map_or(0, |&(_, m)| m),
        // Linux's statfs block size is the fragment size statvfs counts in.
        f_bsize: n.frsize as i64,
        f_blocks: n.blocks,
        f_bfree: n.bfree,
        f_bavail: n.bavail,
        f_files: n.files,
        f_ffree: n.ffree,
        f_fsid: [n.fsid as i32, (n.fsid >> 32) as i32],
        f_namelen: n.namemax as i64,
        f_frsize: n.frsize as i64,
        f_flags: flags,
        f_spare: [0; 4],
    })
}
