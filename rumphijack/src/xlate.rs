//! Linux values to NetBSD's and back: the one place where the two ABIs
//! meet. The kernel speaks NetBSD (amd64); the program speaks Linux
//! (x86_64, glibc). NetBSD numbers are from `netbsd-abi/` (`errno.tsv`,
//! `constants.tsv`, `structs.tsv`); Linux numbers from the `libc` crate.
//!
//! Everything here is total: any input bytes give a value or `None`,
//! never a panic.

use netbsd_abi::errno::raw;
use netbsd_abi::layout::{dirent, flock, stat, statvfs};

// ---------------------------------------------------------------------
// errno

/// NetBSD errno numbers with their Linux counterparts, by name.
/// Names Linux lacks take the nearest Linux meaning, said beside them.
const ERRNOS: &[(i32, i32)] = &[
    (raw::EPERM, libc::EPERM),
    (raw::ENOENT, libc::ENOENT),
    (raw::ESRCH, libc::ESRCH),
    (raw::EINTR, libc::EINTR),
    (raw::EIO, libc::EIO),
    (raw::ENXIO, libc::ENXIO),
    (raw::E2BIG, libc::E2BIG),
    (raw::ENOEXEC, libc::ENOEXEC),
    (raw::EBADF, libc::EBADF),
    (raw::ECHILD, libc::ECHILD),
    (raw::EDEADLK, libc::EDEADLK),
    (raw::ENOMEM, libc::ENOMEM),
    (raw::EACCES, libc::EACCES),
    (raw::EFAULT, libc::EFAULT),
    (raw::ENOTBLK, libc::ENOTBLK),
    (raw::EBUSY, libc::EBUSY),
    (raw::EEXIST, libc::EEXIST),
    (raw::EXDEV, libc::EXDEV),
    (raw::ENODEV, libc::ENODEV),
    (raw::ENOTDIR, libc::ENOTDIR),
    (raw::EISDIR, libc::EISDIR),
    (raw::EINVAL, libc::EINVAL),
    (raw::ENFILE, libc::ENFILE),
    (raw::EMFILE, libc::EMFILE),
    (raw::ENOTTY, libc::ENOTTY),
    (raw::ETXTBSY, libc::ETXTBSY),
    (raw::EFBIG, libc::EFBIG),
    (raw::ENOSPC, libc::ENOSPC),
    (raw::ESPIPE, libc::ESPIPE),
    (raw::EROFS, libc::EROFS),
    (raw::EMLINK, libc::EMLINK),
    (raw::EPIPE, libc::EPIPE),
    (raw::EDOM, libc::EDOM),
    (raw::ERANGE, libc::ERANGE),
    (raw::EAGAIN, libc::EAGAIN),
    (raw::EINPROGRESS, libc::EINPROGRESS),
    (raw::EALREADY, libc::EALREADY),
    (raw::ENOTSOCK, libc::ENOTSOCK),
    (raw::EDESTADDRREQ, libc::EDESTADDRREQ),
    (raw::EMSGSIZE, libc::EMSGSIZE),
    (raw::EPROTOTYPE, libc::EPROTOTYPE),
    (raw::ENOPROTOOPT, libc::ENOPROTOOPT),
    (raw::EPROTONOSUPPORT, libc::EPROTONOSUPPORT),
    (raw::ESOCKTNOSUPPORT, libc::ESOCKTNOSUPPORT),
    (raw::EOPNOTSUPP, libc::EOPNOTSUPP),
    (raw::EPFNOSUPPORT, libc::EPFNOSUPPORT),
    (raw::EAFNOSUPPORT, libc::EAFNOSUPPORT),
    (raw::EADDRINUSE, libc::EADDRINUSE),
    (raw::EADDRNOTAVAIL, libc::EADDRNOTAVAIL),
    (raw::ENETDOWN, libc::ENETDOWN),
    (raw::ENETUNREACH, libc::ENETUNREACH),
    (raw::ENETRESET, libc::ENETRESET),
    (raw::ECONNABORTED, libc::ECONNABORTED),
    (raw::ECONNRESET, libc::ECONNRESET),
    (raw::ENOBUFS, libc::ENOBUFS),
    (raw::EISCONN, libc::EISCONN),
    (raw::ENOTCONN, libc::ENOTCONN),
    (raw::ESHUTDOWN, libc::ESHUTDOWN),
    (raw::ETOOMANYREFS, libc::ETOOMANYREFS),
    (raw::ETIMEDOUT, libc::ETIMEDOUT),
    (raw::ECONNREFUSED, libc::ECONNREFUSED),
    (raw::ELOOP, libc::ELOOP),
    (raw::ENAMETOOLONG, libc::ENAMETOOLONG),
    (raw::EHOSTDOWN, libc::EHOSTDOWN),
    (raw::EHOSTUNREACH, libc::EHOSTUNREACH),
    (raw::ENOTEMPTY, libc::ENOTEMPTY),
    // EPROCLIM: too many processes, which Linux says with EAGAIN.
    (raw::EPROCLIM, libc::EAGAIN),
    (raw::EUSERS, libc::EUSERS),
    (raw::EDQUOT, libc::EDQUOT),
    (raw::ESTALE, libc::ESTALE),
    (raw::EREMOTE, libc::EREMOTE),
    // EBADRPC, ERPCMISMATCH, EPROGUNAVAIL, EPROGMISMATCH, EPROCUNAVAIL:
    // Sun RPC failures, which Linux's RPC code reports as EIO, EPROTONOSUPPORT
    // (program unavailable or version mismatch) and EOPNOTSUPP (procedure).
    (raw::EBADRPC, libc::EIO),
    (raw::ERPCMISMATCH, libc::EPROTONOSUPPORT),
    (raw::EPROGUNAVAIL, libc::EPROTONOSUPPORT),
    (raw::EPROGMISMATCH, libc::EPROTONOSUPPORT),
    (raw::EPROCUNAVAIL, libc::EOPNOTSUPP),
    (raw::ENOLCK, libc::ENOLCK),
    (raw::ENOSYS, libc::ENOSYS),
    // EFTYPE: inappropriate file type or format.
    (raw::EFTYPE, libc::EINVAL),
    // EAUTH, ENEEDAUTH: authentication errors, a permission matter.
    (raw::EAUTH, libc::EACCES),
    (raw::ENEEDAUTH, libc::EACCES),
    (raw::EIDRM, libc::EIDRM),
    (raw::ENOMSG, libc::ENOMSG),
    (raw::EOVERFLOW, libc::EOVERFLOW),
    (raw::EILSEQ, libc::EILSEQ),
    (raw::ENOTSUP, libc::ENOTSUP),
    (raw::ECANCELED, libc::ECANCELED),
    (raw::EBADMSG, libc::EBADMSG),
    (raw::ENODATA, libc::ENODATA),
    (raw::ENOSR, libc::ENOSR),
    (raw::ENOSTR, libc::ENOSTR),
    (raw::ETIME, libc::ETIME),
    // ENOATTR: Linux says a missing extended attribute with ENODATA.
    (raw::ENOATTR, libc::ENODATA),
    (raw::EMULTIHOP, libc::EMULTIHOP),
    (raw::ENOLINK, libc::ENOLINK),
    (raw::EPROTO, libc::EPROTO),
];

/// The Linux errno for NetBSD's `e`; EIO for numbers NetBSD does not have.
pub fn errno_to_linux(e: i32) -> i32 {
    ERRNOS
        .iter()
        .find(|&&(n, _)| n == e)
        .map_or(libc::EIO, |&(_, l)| l)
}

/// The NetBSD errno for Linux's `e` (the first NetBSD name that maps to
/// it); EIO when NetBSD has none.
pub fn errno_to_netbsd(e: i32) -> i32 {
    ERRNOS
        .iter()
        .find(|&&(_, l)| l == e)
        .map_or(raw::EIO, |&(n, _)| n)
}

// ---------------------------------------------------------------------
// open flags

/// Open flags both systems have: (Linux, NetBSD). O_SYNC is handled apart,
/// because Linux's includes its O_DSYNC bit.
const OPEN_FLAGS: &[(i32, i32)] = &[
    (libc::O_NONBLOCK, netbsd_abi::O_NONBLOCK),
    (libc::O_APPEND, netbsd_abi::O_APPEND),
    (libc::O_ASYNC, netbsd_abi::O_ASYNC),
    (libc::O_NOFOLLOW, netbsd_abi::O_NOFOLLOW),
    (libc::O_CREAT, netbsd_abi::O_CREAT),
    (libc::O_TRUNC, netbsd_abi::O_TRUNC),
    (libc::O_EXCL, netbsd_abi::O_EXCL),
    (libc::O_NOCTTY, netbsd_abi::O_NOCTTY),
    (libc::O_DIRECT, netbsd_abi::O_DIRECT),
    (libc::O_DIRECTORY, netbsd_abi::O_DIRECTORY),
    (libc::O_CLOEXEC, netbsd_abi::O_CLOEXEC),
];

/// Linux open flags for the kernel. O_TMPFILE has no NetBSD counterpart:
/// EINVAL. O_PATH (a descriptor that only names the file, which programs
/// use to look at directories) opens for reading, the nearest NetBSD has.
/// O_LARGEFILE means nothing on 64 bits and O_NOATIME is an optimisation;
/// both are dropped.
pub fn open_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    if f & libc::O_TMPFILE == libc::O_TMPFILE {
        return Err(libc::EINVAL);
    }
    if f & libc::O_PATH != 0 {
        let kept = libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        return open_flags_to_netbsd(f & kept);
    }
    let mut n = f & libc::O_ACCMODE;
    for &(l, b) in OPEN_FLAGS {
        if f & l != 0 {
            n |= b;
        }
    }
    if f & libc::O_SYNC == libc::O_SYNC {
        n |= netbsd_abi::O_SYNC;
    } else if f & libc::O_DSYNC != 0 {
        n |= netbsd_abi::O_DSYNC;
    }
    // glibc's O_RSYNC is O_SYNC itself, so it needs no bit of its own.
    Ok(n)
}

/// NetBSD open flags (`F_GETFL`) for the program.
pub fn open_flags_to_linux(n: i32) -> i32 {
    let mut f = n & libc::O_ACCMODE;
    for &(l, b) in OPEN_FLAGS {
        if n & b != 0 {
            f |= l;
        }
    }
    if n & netbsd_abi::O_SYNC != 0 {
        f |= libc::O_SYNC;
    } else if n & (netbsd_abi::O_DSYNC | netbsd_abi::O_RSYNC) != 0 {
        f |= libc::O_DSYNC;
    }
    f
}

// ---------------------------------------------------------------------
// *at flags

/// Linux `*at` flags for the kernel. AT_NO_AUTOMOUNT has no meaning there
/// and is dropped; AT_EMPTY_PATH is for the caller to turn into a call on
/// the descriptor, and is EINVAL here, like any other unknown bit.
/// (Linux's AT_EACCESS and AT_REMOVEDIR are the same bit, 0x200: the
/// caller knows which call it is making and names the NetBSD flag itself
/// for `faccessat`, so here 0x200 is AT_REMOVEDIR.)
pub fn at_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    let mut n = 0;
    let mut rest = f & !libc::AT_NO_AUTOMOUNT;
    for (l, b) in [
        (libc::AT_SYMLINK_NOFOLLOW, netbsd_abi::AT_SYMLINK_NOFOLLOW),
        (libc::AT_SYMLINK_FOLLOW, netbsd_abi::AT_SYMLINK_FOLLOW),
        (libc::AT_REMOVEDIR, netbsd_abi::AT_REMOVEDIR),
    ] {
        if rest & l != 0 {
            n |= b;
            rest &= !l;
        }
    }
    if rest != 0 { Err(libc::EINVAL) } else { Ok(n) }
}

/// `faccessat` flags: Linux's AT_EACCESS (0x200) and AT_SYMLINK_NOFOLLOW.
pub fn access_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    let mut n = 0;
    if f & libc::AT_EACCESS != 0 {
        n |= netbsd_abi::AT_EACCESS;
    }
    if f & libc::AT_SYMLINK_NOFOLLOW != 0 {
        n |= netbsd_abi::AT_SYMLINK_NOFOLLOW;
    }
    if f & !(libc::AT_EACCESS | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(libc::EINVAL);
    }
    Ok(n)
}

// ---------------------------------------------------------------------
// fcntl

/// NetBSD's number for a Linux `fcntl` command; `None` for commands NetBSD
/// lacks (leases, notifications, seals, pipe sizes, OFD locks).
pub fn fcntl_cmd_to_netbsd(cmd: i32) -> Option<i32> {
    Some(match cmd {
        libc::F_DUPFD => netbsd_abi::F_DUPFD,
        libc::F_GETFD => netbsd_abi::F_GETFD,
        libc::F_SETFD => netbsd_abi::F_SETFD,
        libc::F_GETFL => netbsd_abi::F_GETFL,
        libc::F_SETFL => netbsd_abi::F_SETFL,
        libc::F_GETOWN => netbsd_abi::F_GETOWN,
        libc::F_SETOWN => netbsd_abi::F_SETOWN,
        libc::F_GETLK => netbsd_abi::F_GETLK,
        libc::F_SETLK => netbsd_abi::F_SETLK,
        libc::F_SETLKW => netbsd_abi::F_SETLKW,
        libc::F_DUPFD_CLOEXEC => netbsd_abi::F_DUPFD_CLOEXEC,
        _ => return None,
    })
}

/// `sizeof(struct flock)` on NetBSD.
pub const NETBSD_FLOCK_LEN: usize = flock::SIZE;

/// Lock types: (Linux, NetBSD).
const LOCK_TYPES: &[(i16, i16)] = &[
    (libc::F_RDLCK as i16, netbsd_abi::F_RDLCK as i16),
    (libc::F_UNLCK as i16, netbsd_abi::F_UNLCK as i16),
    (libc::F_WRLCK as i16, netbsd_abi::F_WRLCK as i16),
];

/// A Linux `struct flock` as NetBSD's (l_start, l_len, l_pid, l_type,
/// l_whence). An unknown lock type goes as -1, which the kernel refuses.
pub fn flock_to_netbsd(l: &libc::flock) -> [u8; NETBSD_FLOCK_LEN] {
    let typ = LOCK_TYPES
        .iter()
        .find(|&&(a, _)| a == l.l_type)
        .map_or(-1, |&(_, b)| b);
    let mut b = [0u8; NETBSD_FLOCK_LEN];
    flock::l_start.put(&mut b, l.l_start as u64);
    flock::l_len.put(&mut b, l.l_len as u64);
    flock::l_pid.put(&mut b, l.l_pid as u32 as u64);
    flock::l_type.put(&mut b, typ as u16 as u64);
    flock::l_whence.put(&mut b, l.l_whence as u16 as u64);
    b
}

/// NetBSD's `struct flock` as Linux's.
pub fn flock_from_netbsd(b: &[u8]) -> Option<libc::flock> {
    let typ = flock::l_type.get(b)? as u16 as i16;
    let mut l = zeroed_flock();
    l.l_start = flock::l_start.get(b)? as i64;
    l.l_len = flock::l_len.get(b)? as i64;
    l.l_pid = flock::l_pid.get(b)? as u32 as i32;
    l.l_type = LOCK_TYPES.iter().find(|&&(_, n)| n == typ)?.0;
    l.l_whence = flock::l_whence.get(b)? as u16 as i16;
    Some(l)
}

fn zeroed_flock() -> libc::flock {
    libc::flock {
        l_type: 0,
        l_whence: 0,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

// ---------------------------------------------------------------------
// lseek, ioctl, poll

/// Linux `whence` for the kernel: SEEK_SET, SEEK_CUR and SEEK_END are the
/// same; NetBSD has no SEEK_DATA or SEEK_HOLE, so EINVAL (the answer
/// programs take as "no holes to look for").
pub fn whence_to_netbsd(w: i32) -> Result<i32, i32> {
    match w {
        libc::SEEK_SET | libc::SEEK_CUR | libc::SEEK_END => Ok(w),
        _ => Err(libc::EINVAL),
    }
}

/// Poll events: (Linux, NetBSD). IN, PRI, OUT, ERR, HUP and NVAL are the
/// same numbers; the band bits differ. POLLRDHUP has no counterpart.
const POLL_BITS: &[(i16, i16)] = &[
    (libc::POLLIN, netbsd_abi::POLLIN as i16),
    (libc::POLLPRI, netbsd_abi::POLLPRI as i16),
    (libc::POLLOUT, netbsd_abi::POLLOUT as i16),
    (libc::POLLERR, netbsd_abi::POLLERR as i16),
    (libc::POLLHUP, netbsd_abi::POLLHUP as i16),
    (libc::POLLNVAL, netbsd_abi::POLLNVAL as i16),
    (libc::POLLRDNORM, netbsd_abi::POLLRDNORM as i16),
    (libc::POLLRDBAND, netbsd_abi::POLLRDBAND as i16),
    (libc::POLLWRNORM, netbsd_abi::POLLWRNORM as i16),
    (libc::POLLWRBAND, netbsd_abi::POLLWRBAND as i16),
];

/// Linux poll events for the kernel.
pub fn poll_events_to_netbsd(e: i16) -> i16 {
    POLL_BITS
        .iter()
        .filter(|&&(l, _)| e & l != 0)
        .fold(0, |n, &(_, b)| n | b)
}

/// NetBSD poll events for the program. NetBSD's POLLWRNORM is POLLOUT,
/// so both Linux bits are given for it.
pub fn poll_events_to_linux(n: i16) -> i16 {
    POLL_BITS
        .iter()
        .filter(|&&(_, b)| n & b != 0)
        .fold(0, |e, &(l, _)| e | l)
}

// ---------------------------------------------------------------------
// struct stat and statx

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

/// NetBSD's `major(dev)` and `minor(dev)`.
fn netbsd_major_minor(d: u64) -> (u32, u32) {
    let d = d as u32;
    (
        (d & 0x000f_ff00) >> 8,
        ((d & 0xfff0_0000) >> 12) | (d & 0xff),
    )
}

/// A NetBSD device number as Linux's (the same major and minor).
pub fn dev_to_linux(d: u64) -> u64 {
    let (ma, mi) = netbsd_major_minor(d);
    libc::makedev(ma, mi)
}

/// A Linux device number as NetBSD's.
pub fn dev_to_netbsd(d: u64) -> u64 {
    let (ma, mi) = (libc::major(d), libc::minor(d));
    u64::from(((ma << 8) & 0x000f_ff00) | ((mi << 12) & 0xfff0_0000) | (mi & 0xff))
}

/// A NetBSD mode as Linux shows it: the type and permission bits are the
/// same numbers, but a Linux symlink always shows every permission (it has
/// no mode of its own), where NetBSD's keeps 0777 less the creator's umask.
fn mode_to_linux(mode: u32) -> u32 {
    if mode & libc::S_IFMT == libc::S_IFLNK {
        mode | 0o777
    } else {
        mode
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

// ---------------------------------------------------------------------
// directory entries

/// A NetBSD directory entry. DT_* type values are the same on both systems.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetbsdDirent {
    /// The file number.
    pub ino: u64,
    /// The DT_* type.
    pub dtype: u8,
    /// The name.
    pub name: Vec<u8>,
}

/// Where `d_name` starts in NetBSD's `struct dirent`.
const NETBSD_DIRENT_NAME: usize = dirent::d_name.offset;

/// NetBSD `struct dirent` records as `getdents` returns them; stops at the
/// first malformed record.
pub fn parse_netbsd_dirents(b: &[u8]) -> Vec<NetbsdDirent> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(rec) = b.get(at..) {
        let (Some(ino), Some(reclen), Some(namlen), Some(dtype)) = (
            dirent::d_fileno.get(rec),
            dirent::d_reclen.get(rec).map(|x| x as usize),
            dirent::d_namlen.get(rec).map(|x| x as usize),
            dirent::d_type.get(rec).map(|x| x as u8),
        ) else {
            break;
        };
        let name_end = NETBSD_DIRENT_NAME + namlen;
        if reclen < name_end + 1 || reclen > rec.len() {
            break;
        }
        out.push(NetbsdDirent {
            ino,
            dtype,
            name: rec[NETBSD_DIRENT_NAME..name_end].to_vec(),
        });
        at += reclen;
    }
    out
}

/// Where `d_name` starts in Linux's `struct linux_dirent64`.
const LINUX_DIRENT_NAME: usize = 19;

/// The length of a Linux `dirent64` record for a name of `name_len` bytes.
pub fn linux_dirent64_len(name_len: usize) -> usize {
    (LINUX_DIRENT_NAME + name_len + 1 + 7) & !7
}

/// Append a Linux `dirent64` record.
pub fn emit_linux_dirent64(ino: u64, off: i64, dtype: u8, name: &[u8], out: &mut Vec<u8>) {
    let len = linux_dirent64_len(name.len());
    let start = out.len();
    out.extend_from_slice(&ino.to_ne_bytes());
    out.extend_from_slice(&off.to_ne_bytes());
    out.extend_from_slice(&(len as u16).to_ne_bytes());
    out.push(dtype);
    out.extend_from_slice(name);
    out.resize(start + len, 0);
}

// ---------------------------------------------------------------------
// statvfs and statfs

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

// ---------------------------------------------------------------------
// sockets

/// Families both systems have: (Linux, NetBSD).
const FAMILIES: &[(i32, u8)] = &[
    (libc::AF_UNSPEC, netbsd_abi::AF_UNSPEC as u8),
    (libc::AF_UNIX, netbsd_abi::AF_UNIX as u8),
    (libc::AF_INET, netbsd_abi::AF_INET as u8),
    (libc::AF_INET6, netbsd_abi::AF_INET6 as u8),
];

/// NetBSD's number for a Linux address family.
pub fn family_to_netbsd(f: i32) -> Option<u8> {
    FAMILIES.iter().find(|&&(l, _)| l == f).map(|&(_, n)| n)
}

/// Linux's number for a NetBSD address family.
pub fn family_to_linux(n: u8) -> Option<i32> {
    FAMILIES.iter().find(|&&(_, b)| b == n).map(|&(l, _)| l)
}

/// NetBSD's `sun_path` length.
const NETBSD_SUN_PATH: usize = netbsd_abi::layout::sockaddr_un::sun_path.size;

/// A Linux `struct sockaddr` as NetBSD's, `sa_len` first. The bytes after
/// the family are laid out alike for the families both systems have.
pub fn sockaddr_to_netbsd(b: &[u8]) -> Result<Vec<u8>, i32> {
    let fam = i32::from(u16::from_ne_bytes([
        *b.first().ok_or(libc::EINVAL)?,
        *b.get(1).ok_or(libc::EINVAL)?,
    ]));
    let nfam = family_to_netbsd(fam).ok_or(libc::EAFNOSUPPORT)?;
    let rest = &b[2..];
    let rest = match fam {
        libc::AF_UNIX => {
            // The path, NUL or not; an abstract name (leading NUL) is Linux's own.
            if rest.first() == Some(&0) && rest.len() > 1 {
                return Err(libc::EINVAL);
            }
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            if end >= NETBSD_SUN_PATH {
                return Err(libc::ENAMETOOLONG);
            }
            &rest[..end]
        }
        libc::AF_INET if rest.len() < 14 => return Err(libc::EINVAL),
        libc::AF_INET => &rest[..14],
        libc::AF_INET6 if rest.len() < 26 => return Err(libc::EINVAL),
        libc::AF_INET6 => &rest[..26],
        _ => rest,
    };
    let mut out = Vec::with_capacity(rest.len() + 3);
    out.push((rest.len() + 2).min(255) as u8);
    out.push(nfam);
    out.extend_from_slice(rest);
    if fam == libc::AF_UNIX {
        out.push(0);
    }
    Ok(out)
}

/// A NetBSD `struct sockaddr` (as long as its `sa_len` says) as Linux's.
pub fn sockaddr_from_netbsd(b: &[u8]) -> Option<Vec<u8>> {
    let len = usize::from(*b.first()?).min(b.len());
    let fam = family_to_linux(*b.get(1)?)?;
    let rest = b.get(2..len.max(2))?;
    let mut out = Vec::with_capacity(rest.len() + 3);
    out.extend_from_slice(&(fam as u16).to_ne_bytes());
    match fam {
        libc::AF_UNIX => {
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            out.extend_from_slice(&rest[..end]);
            out.push(0);
        }
        _ => out.extend_from_slice(rest),
    }
    Some(out)
}

/// A Linux socket type with its flags, for the kernel. The base types
/// (stream, datagram, raw, seqpacket) are the same numbers.
pub fn socket_type_to_netbsd(t: i32) -> Result<i32, i32> {
    let base = t & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
    if !matches!(base, 1..=5) {
        return Err(libc::EINVAL);
    }
    let mut n = base;
    if t & libc::SOCK_CLOEXEC != 0 {
        n |= netbsd_abi::SOCK_CLOEXEC;
    }
    if t & libc::SOCK_NONBLOCK != 0 {
        n |= netbsd_abi::SOCK_NONBLOCK;
    }
    Ok(n)
}

/// `accept4` flags (SOCK_CLOEXEC, SOCK_NONBLOCK) for NetBSD's `paccept`.
pub fn accept_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    if f & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK) != 0 {
        return Err(libc::EINVAL);
    }
    socket_type_to_netbsd(f | 1).map(|n| n & !1)
}

/// Message flags both systems have: (Linux, NetBSD).
const MSG_FLAGS: &[(i32, i32)] = &[
    (libc::MSG_OOB, netbsd_abi::MSG_OOB),
    (libc::MSG_PEEK, netbsd_abi::MSG_PEEK),
    (libc::MSG_DONTROUTE, netbsd_abi::MSG_DONTROUTE),
    (libc::MSG_EOR, netbsd_abi::MSG_EOR),
    (libc::MSG_TRUNC, netbsd_abi::MSG_TRUNC),
    (libc::MSG_CTRUNC, netbsd_abi::MSG_CTRUNC),
    (libc::MSG_WAITALL, netbsd_abi::MSG_WAITALL),
    (libc::MSG_DONTWAIT, netbsd_abi::MSG_DONTWAIT),
    (libc::MSG_NOSIGNAL, netbsd_abi::MSG_NOSIGNAL),
    (libc::MSG_CMSG_CLOEXEC, netbsd_abi::MSG_CMSG_CLOEXEC),
];

/// Linux `send`/`recv` flags for the kernel; flags NetBSD lacks
/// (MSG_MORE, MSG_CONFIRM, MSG_ERRQUEUE, ...) are EOPNOTSUPP.
pub fn msg_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    let mut n = 0;
    let mut rest = f;
    for &(l, b) in MSG_FLAGS {
        if f & l != 0 {
            n |= b;
            rest &= !l;
        }
    }
    if rest != 0 {
        Err(libc::EOPNOTSUPP)
    } else {
        Ok(n)
    }
}

/// NetBSD message flags (`msg_flags` of a received message) for the program.
pub fn msg_flags_to_linux(n: i32) -> i32 {
    MSG_FLAGS
        .iter()
        .filter(|&&(_, b)| n & b != 0)
        .fold(0, |f, &(l, _)| f | l)
}

/// Socket options both systems have: (Linux level, Linux name, NetBSD
/// level, NetBSD name). Their values are ints or the same structures
/// (`struct linger`, `struct timeval`) on both.
const SOCKOPTS: &[(i32, i32, i32, i32)] = &[
    (
        libc::SOL_SOCKET,
        libc::SO_DEBUG,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_DEBUG,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_ACCEPTCONN,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_ACCEPTCONN,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_REUSEADDR,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_KEEPALIVE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_KEEPALIVE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_DONTROUTE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_DONTROUTE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_BROADCAST,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_BROADCAST,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_LINGER,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_LINGER,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_OOBINLINE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_OOBINLINE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_REUSEPORT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_REUSEPORT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_TIMESTAMP,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_TIMESTAMP,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDBUF,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDBUF,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVBUF,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVBUF,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDLOWAT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDLOWAT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVLOWAT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVLOWAT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_ERROR,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_TYPE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_TYPE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDTIMEO,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDTIMEO,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVTIMEO,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_NODELAY,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_NODELAY,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_MAXSEG,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_MAXSEG,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPIDLE,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPIDLE,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPINTVL,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPINTVL,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPCNT,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPCNT,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_HDRINCL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_HDRINCL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_TOS,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_TOS,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_TTL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_TTL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_IF,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_IF,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_TTL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_TTL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_LOOP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_LOOP,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_ADD_MEMBERSHIP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_ADD_MEMBERSHIP,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_DROP_MEMBERSHIP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_DROP_MEMBERSHIP,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_UNICAST_HOPS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_UNICAST_HOPS,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_V6ONLY,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_V6ONLY,
    ),
];

/// NetBSD's level and name for a Linux socket option; `None` for options
/// NetBSD does not have.
pub fn sockopt_to_netbsd(level: i32, name: i32) -> Option<(i32, i32)> {
    SOCKOPTS
        .iter()
        .find(|&&(l, n, _, _)| l == level && n == name)
        .map(|&(_, _, nl, nn)| (nl, nn))
}

// The tests write NetBSD's numbers out on purpose: they check the
// translations against the values in NetBSD's headers, not against the
// tables the code uses.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_by_name() {
        assert_eq!(errno_to_linux(35), libc::EAGAIN);
        assert_eq!(errno_to_linux(62), libc::ELOOP);
        assert_eq!(errno_to_linux(66), libc::ENOTEMPTY);
        assert_eq!(errno_to_linux(78), libc::ENOSYS);
        assert_eq!(errno_to_linux(93), libc::ENODATA);
        assert_eq!(errno_to_linux(0), libc::EIO);
        assert_eq!(errno_to_linux(1000), libc::EIO);
        for &(n, l) in ERRNOS {
            assert_eq!(errno_to_linux(errno_to_netbsd(l)), l, "{n}");
        }
        assert_eq!(errno_to_netbsd(libc::ENOTEMPTY), 66);
    }

    #[test]
    fn open_flags_both_ways() {
        let f = libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | libc::O_DIRECTORY;
        assert_eq!(
            open_flags_to_netbsd(f),
            Ok(2 | 0x200 | 0x800 | 0x40_0000 | 0x20_0000)
        );
        assert_eq!(
            open_flags_to_netbsd(libc::O_WRONLY | libc::O_SYNC),
            Ok(1 | 0x80)
        );
        assert_eq!(open_flags_to_netbsd(libc::O_DSYNC), Ok(0x1_0000));
        assert_eq!(
            open_flags_to_netbsd(libc::O_LARGEFILE | libc::O_NOATIME),
            Ok(0)
        );
        assert_eq!(
            open_flags_to_netbsd(libc::O_PATH | libc::O_DIRECTORY),
            Ok(0x20_0000)
        );
        assert_eq!(
            open_flags_to_netbsd(libc::O_TMPFILE | libc::O_RDWR),
            Err(libc::EINVAL)
        );
        assert_eq!(
            open_flags_to_linux(0x8 | 0x4 | 1),
            libc::O_APPEND | libc::O_NONBLOCK | libc::O_WRONLY
        );
        assert_eq!(open_flags_to_linux(0x80), libc::O_SYNC);
    }

    #[test]
    fn at_and_fcntl_values() {
        assert_eq!(at_flags_to_netbsd(libc::AT_SYMLINK_NOFOLLOW), Ok(0x200));
        assert_eq!(at_flags_to_netbsd(libc::AT_REMOVEDIR), Ok(0x800));
        assert_eq!(
            at_flags_to_netbsd(libc::AT_SYMLINK_FOLLOW | libc::AT_NO_AUTOMOUNT),
            Ok(0x400)
        );
        assert_eq!(at_flags_to_netbsd(libc::AT_EMPTY_PATH), Err(libc::EINVAL));
        assert_eq!(access_flags_to_netbsd(libc::AT_EACCESS), Ok(0x100));
        assert_eq!(fcntl_cmd_to_netbsd(libc::F_SETLKW), Some(9));
        assert_eq!(fcntl_cmd_to_netbsd(libc::F_DUPFD_CLOEXEC), Some(12));
        assert_eq!(fcntl_cmd_to_netbsd(libc::F_OFD_SETLK), None);
        assert_eq!(whence_to_netbsd(libc::SEEK_END), Ok(2));
        assert_eq!(whence_to_netbsd(libc::SEEK_DATA), Err(libc::EINVAL));
    }

    #[test]
    fn flock_round_trip() {
        let mut l = zeroed_flock();
        l.l_type = libc::F_WRLCK as i16;
        l.l_whence = libc::SEEK_CUR as i16;
        l.l_start = 10;
        l.l_len = 20;
        l.l_pid = 7;
        let b = flock_to_netbsd(&l);
        assert_eq!(i16::from_ne_bytes([b[20], b[21]]), 3);
        let back = flock_from_netbsd(&b).unwrap();
        assert_eq!(
            (
                back.l_type,
                back.l_whence,
                back.l_start,
                back.l_len,
                back.l_pid
            ),
            (l.l_type, l.l_whence, 10, 20, 7)
        );
        assert!(flock_from_netbsd(&b[..10]).is_none());
    }

    #[test]
    fn poll_bits() {
        assert_eq!(poll_events_to_netbsd(libc::POLLIN | libc::POLLOUT), 0x5);
        assert_eq!(poll_events_to_netbsd(libc::POLLWRBAND), 0x100);
        assert_eq!(
            poll_events_to_linux(0x100 | 0x10),
            libc::POLLWRBAND | libc::POLLHUP
        );
        assert_eq!(poll_events_to_linux(0x4), libc::POLLOUT | libc::POLLWRNORM);
    }

    /// A NetBSD stat laid out by hand from structs.tsv.
    fn netbsd_stat_bytes() -> Vec<u8> {
        let mut b = vec![0u8; NETBSD_STAT_LEN];
        let put = |b: &mut Vec<u8>, o: usize, v: &[u8]| b[o..o + v.len()].copy_from_slice(v);
        put(&mut b, 0, &((3u64 << 8) | 5).to_ne_bytes()); // dev 3,5
        put(&mut b, 8, &(0o100644u32).to_ne_bytes());
        put(&mut b, 16, &42u64.to_ne_bytes());
        put(&mut b, 24, &2u32.to_ne_bytes());
        put(&mut b, 28, &1000u32.to_ne_bytes());
        put(&mut b, 32, &100u32.to_ne_bytes());
        put(
            &mut b,
            40,
            &((0x123u64 << 8) | 0x45 | (0x6 << 20)).to_ne_bytes(),
        );
        put(&mut b, 48, &11i64.to_ne_bytes());
        put(&mut b, 56, &12i64.to_ne_bytes());
        put(&mut b, 64, &21i64.to_ne_bytes());
        put(&mut b, 80, &31i64.to_ne_bytes());
        put(&mut b, 96, &41i64.to_ne_bytes());
        put(&mut b, 112, &12345i64.to_ne_bytes());
        put(&mut b, 120, &32i64.to_ne_bytes());
        put(&mut b, 128, &4096i32.to_ne_bytes());
        b
    }

    #[test]
    fn symlinks_show_every_permission_as_on_linux() {
        let mut b = netbsd_stat_bytes();
        b[8..12].copy_from_slice(&0o120755u32.to_ne_bytes());
        assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, 0o120777);
        let x = statx_from_netbsd(&b, libc::STATX_ALL).unwrap();
        assert_eq!(x.stx_mode, 0o120777);
        b[8..12].copy_from_slice(&0o100755u32.to_ne_bytes());
        assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, 0o100755);
    }

    #[test]
    fn stat_fields() {
        let b = netbsd_stat_bytes();
        let s = stat_from_netbsd(&b).unwrap();
        assert_eq!((libc::major(s.st_dev), libc::minor(s.st_dev)), (3, 5));
        assert_eq!(s.st_mode, 0o100644);
        assert_eq!(s.st_ino, 42);
        assert_eq!(s.st_nlink, 2);
        assert_eq!((s.st_uid, s.st_gid), (1000, 100));
        assert_eq!(
            (libc::major(s.st_rdev), libc::minor(s.st_rdev)),
            (0x123, 0x645)
        );
        assert_eq!(
            (s.st_atime, s.st_atime_nsec, s.st_mtime, s.st_ctime),
            (11, 12, 21, 31)
        );
        assert_eq!((s.st_size, s.st_blocks, s.st_blksize), (12345, 32, 4096));
        let x = statx_from_netbsd(&b, libc::STATX_ALL).unwrap();
        assert_eq!(
            (x.stx_size, x.stx_mode, x.stx_btime.tv_sec),
            (12345, 0o100644, 41)
        );
        assert_eq!((x.stx_dev_major, x.stx_dev_minor), (3, 5));
        assert!(stat_from_netbsd(&b[..100]).is_none());
        assert_eq!(
            dev_to_linux(dev_to_netbsd(libc::makedev(0x123, 0x6045))),
            libc::makedev(0x123, 0x6045)
        );
    }

    fn netbsd_dirent(ino: u64, t: u8, name: &[u8]) -> Vec<u8> {
        let len = (NETBSD_DIRENT_NAME + name.len() + 1 + 7) & !7;
        let mut r = vec![0u8; len];
        r[0..8].copy_from_slice(&ino.to_ne_bytes());
        r[8..10].copy_from_slice(&(len as u16).to_ne_bytes());
        r[10..12].copy_from_slice(&(name.len() as u16).to_ne_bytes());
        r[12] = t;
        r[13..13 + name.len()].copy_from_slice(name);
        r
    }

    #[test]
    fn dirents_parse_and_emit() {
        let mut b = netbsd_dirent(2, libc::DT_DIR, b".");
        b.extend(netbsd_dirent(77, libc::DT_REG, b"hello.txt"));
        let d = parse_netbsd_dirents(&b);
        assert_eq!(d.len(), 2);
        assert_eq!(
            d[1],
            NetbsdDirent {
                ino: 77,
                dtype: libc::DT_REG,
                name: b"hello.txt".to_vec()
            }
        );
        // Truncated and garbage input stops cleanly.
        assert_eq!(parse_netbsd_dirents(&b[..b.len() - 1]).len(), 1);
        let mut x = 0x9e37_79b9_u32;
        for n in 0..500 {
            let junk: Vec<u8> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 17;
                    x ^= x << 5;
                    x as u8
                })
                .collect();
            let _ = parse_netbsd_dirents(&junk);
        }
        let mut out = Vec::new();
        emit_linux_dirent64(77, 3, libc::DT_REG, b"hello.txt", &mut out);
        assert_eq!(out.len(), linux_dirent64_len(9));
        assert_eq!(out.len(), 32);
        assert_eq!(u64::from_ne_bytes(out[0..8].try_into().unwrap()), 77);
        assert_eq!(i64::from_ne_bytes(out[8..16].try_into().unwrap()), 3);
        assert_eq!(u16::from_ne_bytes([out[16], out[17]]), 32);
        assert_eq!(out[18], libc::DT_REG);
        assert_eq!(&out[19..29], b"hello.txt\0");
    }

    #[test]
    fn sockets() {
        let mut sin = vec![0u8; 16];
        sin[0..2].copy_from_slice(&(libc::AF_INET as u16).to_ne_bytes());
        sin[2..4].copy_from_slice(&8080u16.to_be_bytes());
        sin[4..8].copy_from_slice(&[127, 0, 0, 1]);
        let n = sockaddr_to_netbsd(&sin).unwrap();
        assert_eq!(&n[..8], &[16, 2, 0x1f, 0x90, 127, 0, 0, 1]);
        assert_eq!(sockaddr_from_netbsd(&n).unwrap(), sin);
        let mut s6 = vec![0u8; 28];
        s6[0..2].copy_from_slice(&(libc::AF_INET6 as u16).to_ne_bytes());
        s6[23] = 1;
        let n = sockaddr_to_netbsd(&s6).unwrap();
        assert_eq!((n[0], n[1], n.len()), (28, 24, 28));
        assert_eq!(sockaddr_from_netbsd(&n).unwrap(), s6);
        let mut un = (libc::AF_UNIX as u16).to_ne_bytes().to_vec();
        un.extend_from_slice(b"/tmp/s\0");
        let n = sockaddr_to_netbsd(&un).unwrap();
        assert_eq!(&n[1..], b"\x01/tmp/s\0");
        assert_eq!(sockaddr_from_netbsd(&n).unwrap(), un);
        assert_eq!(sockaddr_to_netbsd(&[0x11, 0]), Err(libc::EAFNOSUPPORT));
        assert_eq!(sockaddr_to_netbsd(&[2]), Err(libc::EINVAL));
        assert!(sockaddr_from_netbsd(&[]).is_none());
        assert_eq!(
            socket_type_to_netbsd(libc::SOCK_STREAM | libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK),
            Ok(1 | 0x1000_0000 | 0x2000_0000)
        );
        assert_eq!(accept_flags_to_netbsd(libc::SOCK_CLOEXEC), Ok(0x1000_0000));
        assert_eq!(
            msg_flags_to_netbsd(libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL),
            Ok(0x80 | 0x400)
        );
        assert_eq!(msg_flags_to_netbsd(libc::MSG_MORE), Err(libc::EOPNOTSUPP));
        assert_eq!(msg_flags_to_linux(0x10), libc::MSG_TRUNC);
        assert_eq!(
            sockopt_to_netbsd(libc::SOL_SOCKET, libc::SO_RCVBUF),
            Some((0xffff, 0x1002))
        );
        assert_eq!(sockopt_to_netbsd(libc::SOL_SOCKET, libc::SO_PEERCRED), None);
    }

    #[test]
    fn statvfs_fields() {
        let mut b = vec![0u8; NETBSD_STATVFS_LEN];
        b[0..8].copy_from_slice(&(0x1u64 | 0x8).to_ne_bytes());
        b[8..16].copy_from_slice(&4096u64.to_ne_bytes());
        b[16..24].copy_from_slice(&512u64.to_ne_bytes());
        b[32..40].copy_from_slice(&1000u64.to_ne_bytes());
        b[144..152].copy_from_slice(&255u64.to_ne_bytes());
        b[172..177].copy_from_slice(b"tmpfs");
        let v = statvfs_from_netbsd(&b).unwrap();
        assert_eq!(
            (v.f_bsize, v.f_frsize, v.f_blocks, v.f_namemax),
            (4096, 512, 1000, 255)
        );
        assert_eq!(v.f_flag, libc::ST_RDONLY | libc::ST_NOSUID);
        let f = statfs_from_netbsd(&b).unwrap();
        assert_eq!((f.f_type, f.f_bsize, f.f_namelen), (0x0102_1994, 512, 255));
        assert!(statvfs_from_netbsd(&b[..100]).is_none());
    }
}
