//! What `rump.mount` and `rump.umount` share: NetBSD's mount flags and
//! the `struct statvfs` records `getvfsstat(2)` returns.

#![forbid(unsafe_code)]

pub mod mode;

use netbsd_abi::layout::statvfs;

/// `MNT_RDONLY`, as the 64-bit flags word the tools keep.
pub const MNT_RDONLY: u64 = netbsd_abi::MNT_RDONLY as u64;
/// `MNT_NOEXEC`.
pub const MNT_NOEXEC: u64 = netbsd_abi::MNT_NOEXEC as u64;
/// `MNT_NOSUID`.
pub const MNT_NOSUID: u64 = netbsd_abi::MNT_NOSUID as u64;
/// `MNT_NODEV`.
pub const MNT_NODEV: u64 = netbsd_abi::MNT_NODEV as u64;
/// `MNT_LOCAL`.
pub const MNT_LOCAL: u64 = netbsd_abi::MNT_LOCAL as u64;
/// `MNT_ROOTFS`.
pub const MNT_ROOTFS: u64 = netbsd_abi::MNT_ROOTFS as u64;
/// `MNT_UPDATE`.
pub const MNT_UPDATE: u64 = netbsd_abi::MNT_UPDATE as u64;
/// `MNT_FORCE`.
pub const MNT_FORCE: u64 = netbsd_abi::MNT_FORCE as u64;
/// `sizeof(struct statvfs)`.
pub const STATVFS_LEN: usize = statvfs::SIZE;

/// The fields of a `struct statvfs` the tools print.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mounted {
    /// `f_flag`.
    pub flag: u64,
    /// `f_frsize`.
    pub frsize: u64,
    /// `f_blocks`.
    pub blocks: u64,
    /// `f_bfree`.
    pub bfree: u64,
    /// `f_bavail`.
    pub bavail: u64,
    /// `f_fstypename`.
    pub fstype: String,
    /// `f_mntonname`.
    pub on: String,
    /// `f_mntfromname`.
    pub from: String,
}

fn text(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

impl Mounted {
    /// Read one record (`STATVFS_LEN` bytes, host byte order).
    pub fn parse(r: &[u8]) -> Option<Mounted> {
        if r.len() < STATVFS_LEN {
            return None;
        }
        let q = |f: netbsd_abi::Field| f.get(r).unwrap_or(0);
        Some(Mounted {
            flag: q(statvfs::f_flag),
            frsize: q(statvfs::f_frsize),
            blocks: q(statvfs::f_blocks),
            bfree: q(statvfs::f_bfree),
            bavail: q(statvfs::f_bavail),
            fstype: text(&r[statvfs::f_fstypename.range()]),
            on: text(&r[statvfs::f_mntonname.range()]),
            from: text(&r[statvfs::f_mntfromname.range()]),
        })
    }

    /// The line NetBSD's `mount` prints: `from on on type fstype (opts)`.
    pub fn line(&self) -> String {
        let mut opts = Vec::new();
        for (bit, name) in [
            (MNT_RDONLY, "read-only"),
            (MNT_NOEXEC, "noexec"),
            (MNT_NOSUID, "nosuid"),
            (MNT_NODEV, "nodev"),
            (MNT_LOCAL, "local"),
        ] {
            if self.flag & bit != 0 {
                opts.push(name);
            }
        }
        format!(
            "{} on {} type {} ({})",
            self.from,
            self.on,
            self.fstype,
            opts.join(", ")
        )
    }
}

/// Every mounted file system, by `getvfsstat(2)`.
pub fn mounted(c: &rumpclient::Client) -> Result<Vec<Mounted>, rumpclient::Errno> {
    let m = rumpclient::Regions::new();
    let wait = netbsd_abi::ST_WAIT as u64;
    // A first call with no buffer counts them.
    let n = c.syscall(netbsd_abi::SYS_getvfsstat, &[0, 0, wait], &m)?[0] as usize;
    let buf = m.add_zeroed((n + 4) * STATVFS_LEN);
    let len = ((n + 4) * STATVFS_LEN) as u64;
    let got = c.syscall(netbsd_abi::SYS_getvfsstat, &[buf, len, wait], &m)?[0] as usize;
    Ok(m.get(buf)
        .chunks(STATVFS_LEN)
        .take(got)
        .filter_map(Mounted::parse)
        .collect())
}

/// A NUL-terminated copy of `s`.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}
