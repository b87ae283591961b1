//! `struct stat` and `statx`, and device numbers.

use linux_xlate::stat::{dev_to_linux, mode_to_linux, netbsd_major_minor};
use netbsd_abi::layout::stat;

/// `sizeof(struct stat)` on NetBSD (the `__stat50` layout).
pub const NETBSD_STAT_LEN: usize = stat::SIZE;

/// NetBSD's `struct stat`, read from its bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct NetbsdStat {
    dev: u64,
    mode: u32,
    ino: u64,
    nlink: u32,
    uid: u32,
    gid: u32,
    rdev: u64,
    /// atime, mtime, ctime, birthtime: (seconds, nanoseconds).
    times: [(i64, i64); 4],
    size: i64,
    blocks: i64,
    blksize: i32,
}

impl NetbsdStat {
    fn parse(b: &[u8]) -> Option<NetbsdStat> {
        if b.len() < NETBSD_STAT_LEN {
            return None;
        }
        let get = |f: netbsd_abi::Field| f.get(b);
        // A struct timespec: tv_sec, then tv_nsec.
        let t = |f: netbsd_abi::Field| {
            let at = |g: netbsd_abi::Field| netbsd_abi::Field {
                offset: f.offset + g.offset,
                ..g
            };
            use netbsd_abi::layout::timespec::{tv_nsec, tv_sec};
            Some((get(at(tv_sec))? as i64, get(at(tv_nsec))? as i64))
        };
        Some(NetbsdStat {
            dev: get(stat::st_dev)?,
            mode: get(stat::st_mode)? as u32,
            ino: get(stat::st_ino)?,
            nlink: get(stat::st_nlink)? as u32,
            uid: get(stat::st_uid)? as u32,
            gid: get(stat::st_gid)? as u32,
            rdev: get(stat::st_rdev)?,
            times: [
                t(stat::st_atim)?,
                t(stat::st_mtim)?,
                t(stat::st_ctim)?,
                t(stat::st_birthtim)?,
            ],
            size: get(stat::st_size)? as i64,
            blocks: get(stat::st_blocks)? as i64,
            blksize: get(stat::st_blksize)? as u32 as i32,
        })
    }
}

/// NetBSD's `struct stat` as Linux's. The mode's type and permission bits
/// are the same numbers on both systems.
pub fn stat_from_netbsd(b: &[u8]) -> Option<libc::stat> {
    let n = NetbsdStat::parse(b)?;
    let mut s = zeroed_stat();
    s.st_dev = dev_to_linux(n.dev);
    s.st_ino = n.ino;
    s.st_nlink = u64::from(n.nlink);
    s.st_mode = mode_to_linux(n.mode);
    s.st_uid = n.uid;
    s.st_gid = n.gid;
    s.st_rdev = dev_to_linux(n.rdev);
    s.st_size = n.size;
    s.st_blksize = i64::from(n.blksize);
    s.st_blocks = n.blocks;
    (s.st_atime, s.st_atime_nsec) = n.times[0];
    (s.st_mtime, s.st_mtime_nsec) = n.times[1];
    (s.st_ctime, s.st_ctime_nsec) = n.times[2];
    Some(s)
}

/// An all-zero `struct stat` (it has private padding fields, so it cannot
/// be written as a literal).
fn zeroed_stat() -> libc::stat {
    // SAFETY: libc::stat is plain C data for which all-zero bytes are a
    // valid value.
    unsafe { std::mem::zeroed() }
}

/// NetBSD's `struct stat` as Linux's `struct statx`. Everything asked for
/// that NetBSD knows is given, birth time included; `stx_mask` says what
/// was filled.
pub fn statx_from_netbsd(b: &[u8], _mask: u32) -> Option<libc::statx> {
    let n = NetbsdStat::parse(b)?;
    // SAFETY: libc::statx is plain C data; all-zero bytes are valid.
    let mut x: libc::statx = unsafe { std::mem::zeroed() };
    x.stx_mask = libc::STATX_BASIC_STATS | libc::STATX_BTIME;
    x.stx_blksize = n.blksize as u32;
    x.stx_nlink = n.nlink;
    x.stx_uid = n.uid;
    x.stx_gid = n.gid;
    x.stx_mode = mode_to_linux(n.mode) as u16;
    x.stx_ino = n.ino;
    x.stx_size = n.size as u64;
    x.stx_blocks = n.blocks as u64;
    let ts = |(s, ns): (i64, i64)| {
        // SAFETY: plain C data; all-zero bytes are valid.
        let mut t: libc::statx_timestamp = unsafe { std::mem::zeroed() };
        t.tv_sec = s;
        t.tv_nsec = ns as u32;
        t
    };
    x.stx_atime = ts(n.times[0]);
    x.stx_mtime = ts(n.times[1]);
    x.stx_ctime = ts(n.times[2]);
    x.stx_btime = ts(n.times[3]);
    (x.stx_rdev_major, x.stx_rdev_minor) = netbsd_major_minor(n.rdev);
    (x.stx_dev_major, x.stx_dev_minor) = netbsd_major_minor(n.dev);
    Some(x)
}
