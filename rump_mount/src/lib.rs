//! What `rump.mount` and `rump.umount` share: NetBSD's mount flags and
//! the `struct statvfs` records `getvfsstat(2)` returns.

#![forbid(unsafe_code)]

pub mod mode;
pub mod nfs;

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

/// `MNT_VISFLAGMASK` (`sys/fstypes.h`): the flags `mount` shows, named
/// in `__MNT_FLAGS` order as (bit, shown only with `-v`, name).
const FLAG_NAMES: &[(u64, bool, &str)] = {
    use netbsd_abi::*;
    &[
        (MNT_ASYNC as u64, false, "asynchronous"),
        (MNT_DISCARD as u64, false, "discard"),
        (MNT_EXTATTR as u64, false, "extattr"),
        (MNT_IGNORE as u64, false, "hidden"),
        (MNT_LOG as u64, false, "log"),
        (MNT_NOATIME as u64, false, "noatime"),
        (MNT_NOCOREDUMP as u64, false, "nocoredump"),
        (MNT_NODEV as u64, false, "nodev"),
        (MNT_NODEVMTIME as u64, false, "nodevmtime"),
        (MNT_NOEXEC as u64, false, "noexec"),
        (MNT_NOSUID as u64, false, "nosuid"),
        (MNT_RDONLY as u64, false, "read-only"),
        (MNT_SOFTDEP as u64, false, "soft dependencies"),
        (MNT_SYMPERM as u64, false, "symperm"),
        (MNT_SYNCHRONOUS as u64, false, "synchronous"),
        (MNT_UNION as u64, false, "union"),
        (MNT_EXRDONLY as u64, true, "exported read-only"),
        (MNT_EXPORTED as u64, false, "NFS exported"),
        (MNT_DEFEXPORTED as u64, true, "exported to the world"),
        (MNT_EXPORTANON as u64, true, "anon uid mapping"),
        (MNT_EXKERB as u64, true, "kerberos uid mapping"),
        (MNT_EXNORESPORT as u64, false, "non-reserved ports"),
        (MNT_EXPUBLIC as u64, false, "WebNFS exports"),
        (MNT_LOCAL as u64, false, "local"),
        (MNT_QUOTA as u64, false, "with quotas"),
        (MNT_ROOTFS as u64, true, "root file system"),
    ]
};

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
    /// `f_fsidx`: the file system id's two words.
    pub fsid: [u32; 2],
    /// `f_owner`: who mounted it (0: root).
    pub owner: u32,
    /// `f_syncreads`, `f_asyncreads`, `f_syncwrites`, `f_asyncwrites`.
    pub io: [u64; 4],
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
        let fsid = statvfs::f_fsidx____fsid_val;
        let word = |i: usize| {
            u32::from_ne_bytes(r[fsid.offset + 4 * i..][..4].try_into().unwrap_or_default())
        };
        Some(Mounted {
            flag: q(statvfs::f_flag),
            frsize: q(statvfs::f_frsize),
            blocks: q(statvfs::f_blocks),
            bfree: q(statvfs::f_bfree),
            bavail: q(statvfs::f_bavail),
            fsid: [word(0), word(1)],
            owner: q(statvfs::f_owner) as u32,
            io: [
                q(statvfs::f_syncreads),
                q(statvfs::f_asyncreads),
                q(statvfs::f_syncwrites),
                q(statvfs::f_asyncwrites),
            ],
            fstype: text(&r[statvfs::f_fstypename.range()]),
            on: text(&r[statvfs::f_mntonname.range()]),
            from: text(&r[statvfs::f_mntfromname.range()]),
        })
    }

    /// The line NetBSD's `mount` (`prmount`) prints: `from on on type
    /// fstype (opts)`; with `verbose`, the flags `-v` adds, the file system
    /// id and the I/O counts.
    pub fn line(&self, verbose: bool) -> String {
        let mut opts: Vec<String> = Vec::new();
        let mut flags = self.flag & FLAG_NAMES.iter().fold(0, |m, f| m | f.0);
        for &(bit, silent, name) in FLAG_NAMES {
            if flags & bit != 0 {
                if !silent || verbose {
                    opts.push(name.to_owned());
                }
                flags &= !bit;
            }
        }
        if self.owner != 0 {
            // The kernel has no password file to name the user by.
            opts.push(format!("mounted by {}", self.owner));
        }
        if verbose {
            opts.push(format!("fsid: 0x{:x}/0x{:x}", self.fsid[0], self.fsid[1]));
            let [sr, ar, sw, aw] = self.io;
            opts.push(format!(
                "reads: sync {sr} async {ar}, writes: sync {sw} async {aw}"
            ));
        }
        let head = format!("{} on {} type {}", self.from, self.on, self.fstype);
        if opts.is_empty() {
            head
        } else {
            format!("{head} ({})", opts.join(", "))
        }
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

/// The mode of `path` in the kernel (`lstat` if `follow` is false).
pub fn mode_of(c: &rumpclient::Client, path: &str, follow: bool) -> Result<u32, rumpclient::Errno> {
    use netbsd_abi::layout::stat;
    let m = rumpclient::Regions::new();
    let st = m.add_zeroed(stat::SIZE);
    let nr = if follow {
        netbsd_abi::SYS___stat50
    } else {
        netbsd_abi::SYS___lstat50
    };
    c.syscall(nr, &[m.add(&cstr(path)), st], &m)?;
    Ok(stat::st_mode.get(&m.get(st)).unwrap_or(0) as u32)
}

/// `realpath(3)` in the kernel's name space, as NetBSD's libc walks it:
/// from the current directory for a relative path, each component looked
/// at with `lstat` and symbolic links read and followed (at most
/// `MAXSYMLINKS`); ENOENT, ENOTDIR, ELOOP as the walk meets them.
pub fn realpath(c: &rumpclient::Client, path: &str) -> Result<String, rumpclient::Errno> {
    use rumpclient::Errno;
    let max = netbsd_abi::MAXPATHLEN as usize;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let mut done = if path.starts_with('/') {
        String::new()
    } else {
        let m = rumpclient::Regions::new();
        let buf = m.add_zeroed(max);
        c.syscall(netbsd_abi::SYS___getcwd, &[buf, max as u64], &m)?;
        let cwd = text(&m.get(buf));
        cwd.trim_end_matches('/').to_owned()
    };
    // Components still to walk, first one last.
    let mut todo: Vec<String> = path.rsplit('/').map(str::to_owned).collect();
    let mut links = 0;
    while let Some(comp) = todo.pop() {
        match comp.as_str() {
            "" | "." => continue,
            ".." => {
                let cut = done.rfind('/').unwrap_or(0);
                done.truncate(cut);
                continue;
            }
            _ => {}
        }
        let next = format!("{done}/{comp}");
        if next.len() >= max {
            return Err(Errno::ENAMETOOLONG);
        }
        let mode = mode_of(c, &next, false)?;
        let kind = mode & netbsd_abi::S_IFMT as u32;
        if kind == netbsd_abi::S_IFLNK as u32 {
            links += 1;
            if links > netbsd_abi::MAXSYMLINKS {
                return Err(Errno::ELOOP);
            }
            let m = rumpclient::Regions::new();
            let buf = m.add_zeroed(max);
            let n = c.syscall(
                netbsd_abi::SYS_readlink,
                &[m.add(&cstr(&next)), buf, max as u64],
                &m,
            )?[0] as usize;
            let target = String::from_utf8_lossy(&m.get(buf)[..n.min(max)]).into_owned();
            if target.starts_with('/') {
                done.clear();
            }
            todo.extend(target.rsplit('/').map(str::to_owned));
            continue;
        }
        if kind != netbsd_abi::S_IFDIR as u32 && todo.iter().any(|t| !t.is_empty() && t != ".") {
            return Err(Errno::ENOTDIR);
        }
        done = next;
    }
    Ok(if done.is_empty() { "/".into() } else { done })
}
