//! What `rump.mount` and `rump.umount` share: NetBSD's mount flags and
//! the `struct statvfs` records `getvfsstat(2)` returns.

#![forbid(unsafe_code)]

pub mod mode;

/// `MNT_RDONLY`.
pub const MNT_RDONLY: u64 = 0x1;
/// `MNT_NOEXEC`.
pub const MNT_NOEXEC: u64 = 0x4;
/// `MNT_NOSUID`.
pub const MNT_NOSUID: u64 = 0x8;
/// `MNT_NODEV`.
pub const MNT_NODEV: u64 = 0x10;
/// `MNT_LOCAL`.
pub const MNT_LOCAL: u64 = 0x1000;
/// `MNT_ROOTFS`.
pub const MNT_ROOTFS: u64 = 0x4000;
/// `MNT_UPDATE`.
pub const MNT_UPDATE: u64 = 0x10000;
/// `MNT_FORCE`.
pub const MNT_FORCE: u64 = 0x80000;
/// `sizeof(struct statvfs)`.
pub const STATVFS_LEN: usize = 2256;

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
        let q = |o: usize| u64::from_ne_bytes(r[o..o + 8].try_into().unwrap_or([0; 8]));
        Some(Mounted {
            flag: q(0),
            frsize: q(16),
            blocks: q(32),
            bfree: q(40),
            bavail: q(48),
            fstype: text(&r[172..204]),
            on: text(&r[204..1228]),
            from: text(&r[1228..2252]),
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
    // ST_WAIT; a first call with no buffer counts them.
    let n = c.syscall(356, &[0, 0, 1], &m)?[0] as usize;
    let buf = m.add_zeroed((n + 4) * STATVFS_LEN);
    let got = c.syscall(356, &[buf, ((n + 4) * STATVFS_LEN) as u64, 1], &m)?[0] as usize;
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
