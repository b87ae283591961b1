//! Linux values to NetBSD's and back: the one place where the two ABIs
//! meet. The kernel speaks NetBSD (amd64); the program speaks Linux
//! (x86_64, glibc). NetBSD numbers are from `netbsd-abi/` (`errno.tsv`,
//! `constants.tsv`, `structs.tsv`); Linux numbers from the `libc` crate.
//!
//! Everything here is total: any input bytes give a value or `None`,
//! never a panic.

// ---------------------------------------------------------------------
// errno

/// NetBSD errno numbers (1-96) with their Linux counterparts, by name.
/// Names Linux lacks take the nearest Linux meaning, said beside them.
const ERRNOS: &[(i32, i32)] = &[
    (1, libc::EPERM),
    (2, libc::ENOENT),
    (3, libc::ESRCH),
    (4, libc::EINTR),
    (5, libc::EIO),
    (6, libc::ENXIO),
    (7, libc::E2BIG),
    (8, libc::ENOEXEC),
    (9, libc::EBADF),
    (10, libc::ECHILD),
    (11, libc::EDEADLK),
    (12, libc::ENOMEM),
    (13, libc::EACCES),
    (14, libc::EFAULT),
    (15, libc::ENOTBLK),
    (16, libc::EBUSY),
    (17, libc::EEXIST),
    (18, libc::EXDEV),
    (19, libc::ENODEV),
    (20, libc::ENOTDIR),
    (21, libc::EISDIR),
    (22, libc::EINVAL),
    (23, libc::ENFILE),
    (24, libc::EMFILE),
    (25, libc::ENOTTY),
    (26, libc::ETXTBSY),
    (27, libc::EFBIG),
    (28, libc::ENOSPC),
    (29, libc::ESPIPE),
    (30, libc::EROFS),
    (31, libc::EMLINK),
    (32, libc::EPIPE),
    (33, libc::EDOM),
    (34, libc::ERANGE),
    (35, libc::EAGAIN),
    (36, libc::EINPROGRESS),
    (37, libc::EALREADY),
    (38, libc::ENOTSOCK),
    (39, libc::EDESTADDRREQ),
    (40, libc::EMSGSIZE),
    (41, libc::EPROTOTYPE),
    (42, libc::ENOPROTOOPT),
    (43, libc::EPROTONOSUPPORT),
    (44, libc::ESOCKTNOSUPPORT),
    (45, libc::EOPNOTSUPP),
    (46, libc::EPFNOSUPPORT),
    (47, libc::EAFNOSUPPORT),
    (48, libc::EADDRINUSE),
    (49, libc::EADDRNOTAVAIL),
    (50, libc::ENETDOWN),
    (51, libc::ENETUNREACH),
    (52, libc::ENETRESET),
    (53, libc::ECONNABORTED),
    (54, libc::ECONNRESET),
    (55, libc::ENOBUFS),
    (56, libc::EISCONN),
    (57, libc::ENOTCONN),
    (58, libc::ESHUTDOWN),
    (59, libc::ETOOMANYREFS),
    (60, libc::ETIMEDOUT),
    (61, libc::ECONNREFUSED),
    (62, libc::ELOOP),
    (63, libc::ENAMETOOLONG),
    (64, libc::EHOSTDOWN),
    (65, libc::EHOSTUNREACH),
    (66, libc::ENOTEMPTY),
    // EPROCLIM: too many processes, which Linux says with EAGAIN.
    (67, libc::EAGAIN),
    (68, libc::EUSERS),
    (69, libc::EDQUOT),
    (70, libc::ESTALE),
    (71, libc::EREMOTE),
    // EBADRPC, ERPCMISMATCH, EPROGUNAVAIL, EPROGMISMATCH, EPROCUNAVAIL:
    // Sun RPC failures, which Linux's RPC code reports as EIO, EPROTONOSUPPORT
    // (program unavailable or version mismatch) and EOPNOTSUPP (procedure).
    (72, libc::EIO),
    (73, libc::EPROTONOSUPPORT),
    (74, libc::EPROTONOSUPPORT),
    (75, libc::EPROTONOSUPPORT),
    (76, libc::EOPNOTSUPP),
    (77, libc::ENOLCK),
    (78, libc::ENOSYS),
    // EFTYPE: inappropriate file type or format.
    (79, libc::EINVAL),
    // EAUTH, ENEEDAUTH: authentication errors, a permission matter.
    (80, libc::EACCES),
    (81, libc::EACCES),
    (82, libc::EIDRM),
    (83, libc::ENOMSG),
    (84, libc::EOVERFLOW),
    (85, libc::EILSEQ),
    (86, libc::ENOTSUP),
    (87, libc::ECANCELED),
    (88, libc::EBADMSG),
    (89, libc::ENODATA),
    (90, libc::ENOSR),
    (91, libc::ENOSTR),
    (92, libc::ETIME),
    // ENOATTR: Linux says a missing extended attribute with ENODATA.
    (93, libc::ENODATA),
    (94, libc::EMULTIHOP),
    (95, libc::ENOLINK),
    (96, libc::EPROTO),
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
    ERRNOS.iter().find(|&&(_, l)| l == e).map_or(5, |&(n, _)| n)
}

// ---------------------------------------------------------------------
// open flags

/// NetBSD's `O_CLOEXEC`.
pub const O_CLOEXEC_NETBSD: i32 = 0x40_0000;

/// Open flags both systems have: (Linux, NetBSD). O_SYNC is handled apart,
/// because Linux's includes its O_DSYNC bit.
const OPEN_FLAGS: &[(i32, i32)] = &[
    (libc::O_NONBLOCK, 0x4),
    (libc::O_APPEND, 0x8),
    (libc::O_ASYNC, 0x40),
    (libc::O_NOFOLLOW, 0x100),
    (libc::O_CREAT, 0x200),
    (libc::O_TRUNC, O_TRUNC_NETBSD),
    (libc::O_EXCL, 0x800),
    (libc::O_NOCTTY, 0x8000),
    (libc::O_DIRECT, 0x8_0000),
    (libc::O_DIRECTORY, 0x20_0000),
    (libc::O_CLOEXEC, O_CLOEXEC_NETBSD),
];

const NETBSD_O_SYNC: i32 = 0x80;
const NETBSD_O_DSYNC: i32 = 0x1_0000;
const NETBSD_O_RSYNC: i32 = 0x2_0000;

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
        n |= NETBSD_O_SYNC;
    } else if f & libc::O_DSYNC != 0 {
        n |= NETBSD_O_DSYNC;
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
    if n & NETBSD_O_SYNC != 0 {
        f |= libc::O_SYNC;
    } else if n & (NETBSD_O_DSYNC | NETBSD_O_RSYNC) != 0 {
        f |= libc::O_DSYNC;
    }
    f
}

// ---------------------------------------------------------------------
// *at flags

/// NetBSD's `AT_FDCWD` (the same number as Linux's).
pub const AT_FDCWD_NETBSD: i32 = -100;
/// NetBSD's `AT_EACCESS`.
pub const AT_EACCESS_NETBSD: i32 = 0x100;
/// NetBSD's `AT_SYMLINK_NOFOLLOW`.
pub const AT_SYMLINK_NOFOLLOW_NETBSD: i32 = 0x200;
/// NetBSD's `AT_SYMLINK_FOLLOW`.
pub const AT_SYMLINK_FOLLOW_NETBSD: i32 = 0x400;
/// NetBSD's `AT_REMOVEDIR`.
pub const AT_REMOVEDIR_NETBSD: i32 = 0x800;

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
        (libc::AT_SYMLINK_NOFOLLOW, AT_SYMLINK_NOFOLLOW_NETBSD),
        (libc::AT_SYMLINK_FOLLOW, AT_SYMLINK_FOLLOW_NETBSD),
        (libc::AT_REMOVEDIR, AT_REMOVEDIR_NETBSD),
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
        n |= AT_EACCESS_NETBSD;
    }
    if f & libc::AT_SYMLINK_NOFOLLOW != 0 {
        n |= AT_SYMLINK_NOFOLLOW_NETBSD;
    }
    if f & !(libc::AT_EACCESS | libc::AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(libc::EINVAL);
    }
    Ok(n)
}

// ---------------------------------------------------------------------
// fcntl

/// NetBSD's `F_GETLK` (<sys/fcntl.h>).
pub const F_GETLK_NETBSD: i32 = 7;
/// NetBSD's `F_SETLK`.
pub const F_SETLK_NETBSD: i32 = 8;
/// NetBSD's `F_SETLKW`.
pub const F_SETLKW_NETBSD: i32 = 9;
/// NetBSD's `F_CLOSEM`: close every descriptor from the one given up.
pub const F_CLOSEM_NETBSD: i32 = 10;
/// NetBSD's `O_TRUNC`.
pub const O_TRUNC_NETBSD: i32 = 0x400;

/// NetBSD's number for a Linux `fcntl` command; `None` for commands NetBSD
/// lacks (leases, notifications, seals, pipe sizes, OFD locks).
pub fn fcntl_cmd_to_netbsd(cmd: i32) -> Option<i32> {
    Some(match cmd {
        libc::F_DUPFD => 0,
        libc::F_GETFD => 1,
        libc::F_SETFD => 2,
        libc::F_GETFL => 3,
        libc::F_SETFL => 4,
        libc::F_GETOWN => 5,
        libc::F_SETOWN => 6,
        libc::F_GETLK => F_GETLK_NETBSD,
        libc::F_SETLK => F_SETLK_NETBSD,
        libc::F_SETLKW => F_SETLKW_NETBSD,
        libc::F_DUPFD_CLOEXEC => 12,
        _ => return None,
    })
}

/// `sizeof(struct flock)` on NetBSD.
pub const NETBSD_FLOCK_LEN: usize = 24;

/// Lock types: (Linux, NetBSD).
const LOCK_TYPES: &[(i16, i16)] = &[
    (libc::F_RDLCK as i16, 1),
    (libc::F_UNLCK as i16, 2),
    (libc::F_WRLCK as i16, 3),
];

/// A Linux `struct flock` as NetBSD's (l_start, l_len, l_pid, l_type,
/// l_whence). An unknown lock type goes as -1, which the kernel refuses.
pub fn flock_to_netbsd(l: &libc::flock) -> [u8; NETBSD_FLOCK_LEN] {
    let typ = LOCK_TYPES
        .iter()
        .find(|&&(a, _)| a == l.l_type)
        .map_or(-1, |&(_, b)| b);
    let mut b = [0u8; NETBSD_FLOCK_LEN];
    b[0..8].copy_from_slice(&l.l_start.to_ne_bytes());
    b[8..16].copy_from_slice(&l.l_len.to_ne_bytes());
    b[16..20].copy_from_slice(&l.l_pid.to_ne_bytes());
    b[20..22].copy_from_slice(&typ.to_ne_bytes());
    b[22..24].copy_from_slice(&l.l_whence.to_ne_bytes());
    b
}

/// NetBSD's `struct flock` as Linux's.
pub fn flock_from_netbsd(b: &[u8]) -> Option<libc::flock> {
    let typ = i16::from_ne_bytes(b.get(20..22)?.try_into().ok()?);
    let mut l = zeroed_flock();
    l.l_start = i64_at(b, 0)?;
    l.l_len = i64_at(b, 8)?;
    l.l_pid = i32_at(b, 16)?;
    l.l_type = LOCK_TYPES.iter().find(|&&(_, n)| n == typ)?.0;
    l.l_whence = i16::from_ne_bytes(b.get(22..24)?.try_into().ok()?);
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

/// NetBSD's `FIONREAD` (`_IOR('f', 127, int)`).
pub const FIONREAD_NETBSD: u64 = 0x4004_667f;
/// NetBSD's `FIONBIO` (`_IOW('f', 126, int)`).
pub const FIONBIO_NETBSD: u64 = 0x8004_667e;

/// Poll events: (Linux, NetBSD). IN, PRI, OUT, ERR, HUP and NVAL are the
/// same numbers; the band bits differ. POLLRDHUP has no counterpart.
const POLL_BITS: &[(i16, i16)] = &[
    (libc::POLLIN, 0x1),
    (libc::POLLPRI, 0x2),
    (libc::POLLOUT, 0x4),
    (libc::POLLERR, 0x8),
    (libc::POLLHUP, 0x10),
    (libc::POLLNVAL, 0x20),
    (libc::POLLRDNORM, 0x40),
    (libc::POLLRDBAND, 0x80),
    (libc::POLLWRNORM, 0x4),
    (libc::POLLWRBAND, 0x100),
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
pub const NETBSD_STAT_LEN: usize = 152;

fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn i32_at(b: &[u8], o: usize) -> Option<i32> {
    Some(i32::from_ne_bytes(b.get(o..o + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

fn i64_at(b: &[u8], o: usize) -> Option<i64> {
    Some(i64::from_ne_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

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
        let t = |o: usize| Some((i64_at(b, o)?, i64_at(b, o + 8)?));
        Some(NetbsdStat {
            dev: u64_at(b, 0)?,
            mode: u32_at(b, 8)?,
            ino: u64_at(b, 16)?,
            nlink: u32_at(b, 24)?,
            uid: u32_at(b, 28)?,
            gid: u32_at(b, 32)?,
            rdev: u64_at(b, 40)?,
            times: [t(48)?, t(64)?, t(80)?, t(96)?],
            size: i64_at(b, 112)?,
            blocks: i64_at(b, 120)?,
            blksize: i32_at(b, 128)?,
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
/// same numbers, but a Linux symlink is always `rwxrwxrwx` (its bits are
/// never used), where NetBSD's keeps what it was made with (0777 less the
/// umask).
fn mode_to_linux(mode: u32) -> u32 {
    if mode & libc::S_IFMT == libc::S_IFLNK {
        libc::S_IFLNK | 0o777
    } else {
        mode
    }
}

/// NetBSD's `struct stat` as Linux's (see [`mode_to_linux`] for the mode).
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
const NETBSD_DIRENT_NAME: usize = 13;

/// NetBSD `struct dirent` records as `getdents` returns them; stops at the
/// first malformed record.
pub fn parse_netbsd_dirents(b: &[u8]) -> Vec<NetbsdDirent> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while let Some(rec) = b.get(at..) {
        let (Some(ino), Some(reclen), Some(namlen), Some(&dtype)) = (
            u64_at(rec, 0),
            rec.get(8..10)
                .map(|x| u16::from_ne_bytes([x[0], x[1]]) as usize),
            rec.get(10..12)
                .map(|x| u16::from_ne_bytes([x[0], x[1]]) as usize),
            rec.get(12),
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
pub const NETBSD_STATVFS_LEN: usize = 2256;

/// NetBSD mount flags in `f_flag` and Linux's ST_* bits.
const MOUNT_FLAGS: &[(u64, u64)] = &[
    (0x1, libc::ST_RDONLY),
    (0x2, libc::ST_SYNCHRONOUS),
    (0x4, libc::ST_NOEXEC),
    (0x8, libc::ST_NOSUID),
    (0x10, libc::ST_NODEV),
    (0x400_0000, libc::ST_NOATIME),
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
        let name = b.get(172..204)?;
        let end = name.iter().position(|&c| c == 0).unwrap_or(name.len());
        Some(NetbsdStatvfs {
            flag: u64_at(b, 0)?,
            bsize: u64_at(b, 8)?,
            frsize: u64_at(b, 16)?,
            blocks: u64_at(b, 32)?,
            bfree: u64_at(b, 40)?,
            bavail: u64_at(b, 48)?,
            files: u64_at(b, 64)?,
            ffree: u64_at(b, 72)?,
            favail: u64_at(b, 80)?,
            fsid: u64_at(b, 136)?,
            namemax: u64_at(b, 144)?,
            fstype: name[..end].to_vec(),
        })
    }

    fn linux_flags(&self) -> u64 {
        MOUNT_FLAGS
            .iter()
            .filter(|&&(n, _)| self.flag & n != 0)
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
    (libc::AF_UNSPEC, 0),
    (libc::AF_UNIX, 1),
    (libc::AF_INET, 2),
    (libc::AF_INET6, 24),
];

/// NetBSD's number for a Linux address family.
pub fn family_to_netbsd(f: i32) -> Option<u8> {
    FAMILIES.iter().find(|&&(l, _)| l == f).map(|&(_, n)| n)
}

/// Linux's number for a NetBSD address family.
pub fn family_to_linux(n: u8) -> Option<i32> {
    FAMILIES.iter().find(|&&(_, b)| b == n).map(|&(l, _)| l)
}

/// NetBSD's `sun_path` length (`struct sockaddr_un` is 106 bytes there).
const NETBSD_SUN_PATH: usize = 104;

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

/// NetBSD's `SOCK_CLOEXEC`, `SOCK_NONBLOCK`.
const NETBSD_SOCK_CLOEXEC: i32 = 0x1000_0000;
const NETBSD_SOCK_NONBLOCK: i32 = 0x2000_0000;

/// A Linux socket type with its flags, for the kernel. The base types
/// (stream, datagram, raw, seqpacket) are the same numbers.
pub fn socket_type_to_netbsd(t: i32) -> Result<i32, i32> {
    let base = t & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
    if !matches!(base, 1..=5) {
        return Err(libc::EINVAL);
    }
    let mut n = base;
    if t & libc::SOCK_CLOEXEC != 0 {
        n |= NETBSD_SOCK_CLOEXEC;
    }
    if t & libc::SOCK_NONBLOCK != 0 {
        n |= NETBSD_SOCK_NONBLOCK;
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
    (libc::MSG_OOB, 0x1),
    (libc::MSG_PEEK, 0x2),
    (libc::MSG_DONTROUTE, 0x4),
    (libc::MSG_EOR, 0x8),
    (libc::MSG_TRUNC, 0x10),
    (libc::MSG_CTRUNC, 0x20),
    (libc::MSG_WAITALL, 0x40),
    (libc::MSG_DONTWAIT, 0x80),
    (libc::MSG_NOSIGNAL, 0x400),
    (libc::MSG_CMSG_CLOEXEC, 0x800),
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

/// NetBSD's `SOL_SOCKET`.
const NETBSD_SOL_SOCKET: i32 = 0xffff;

/// Socket options both systems have: (Linux level, Linux name, NetBSD
/// level, NetBSD name). Their values are ints or the same structures
/// (`struct linger`, `struct timeval`) on both.
const SOCKOPTS: &[(i32, i32, i32, i32)] = &[
    (libc::SOL_SOCKET, libc::SO_DEBUG, NETBSD_SOL_SOCKET, 0x1),
    (
        libc::SOL_SOCKET,
        libc::SO_ACCEPTCONN,
        NETBSD_SOL_SOCKET,
        0x2,
    ),
    (libc::SOL_SOCKET, libc::SO_REUSEADDR, NETBSD_SOL_SOCKET, 0x4),
    (libc::SOL_SOCKET, libc::SO_KEEPALIVE, NETBSD_SOL_SOCKET, 0x8),
    (
        libc::SOL_SOCKET,
        libc::SO_DONTROUTE,
        NETBSD_SOL_SOCKET,
        0x10,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_BROADCAST,
        NETBSD_SOL_SOCKET,
        0x20,
    ),
    (libc::SOL_SOCKET, libc::SO_LINGER, NETBSD_SOL_SOCKET, 0x80),
    (
        libc::SOL_SOCKET,
        libc::SO_OOBINLINE,
        NETBSD_SOL_SOCKET,
        0x100,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_REUSEPORT,
        NETBSD_SOL_SOCKET,
        0x200,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_TIMESTAMP,
        NETBSD_SOL_SOCKET,
        0x2000,
    ),
    (libc::SOL_SOCKET, libc::SO_SNDBUF, NETBSD_SOL_SOCKET, 0x1001),
    (libc::SOL_SOCKET, libc::SO_RCVBUF, NETBSD_SOL_SOCKET, 0x1002),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDLOWAT,
        NETBSD_SOL_SOCKET,
        0x1003,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVLOWAT,
        NETBSD_SOL_SOCKET,
        0x1004,
    ),
    (libc::SOL_SOCKET, libc::SO_ERROR, NETBSD_SOL_SOCKET, 0x1007),
    (libc::SOL_SOCKET, libc::SO_TYPE, NETBSD_SOL_SOCKET, 0x1008),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDTIMEO,
        NETBSD_SOL_SOCKET,
        0x100b,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        NETBSD_SOL_SOCKET,
        0x100c,
    ),
    (libc::IPPROTO_TCP, libc::TCP_NODELAY, libc::IPPROTO_TCP, 1),
    (libc::IPPROTO_TCP, libc::TCP_MAXSEG, libc::IPPROTO_TCP, 2),
    (libc::IPPROTO_TCP, libc::TCP_KEEPIDLE, libc::IPPROTO_TCP, 3),
    (libc::IPPROTO_TCP, libc::TCP_KEEPINTVL, libc::IPPROTO_TCP, 5),
    (libc::IPPROTO_TCP, libc::TCP_KEEPCNT, libc::IPPROTO_TCP, 6),
    (libc::IPPROTO_IP, libc::IP_HDRINCL, libc::IPPROTO_IP, 2),
    (libc::IPPROTO_IP, libc::IP_TOS, libc::IPPROTO_IP, 3),
    (libc::IPPROTO_IP, libc::IP_TTL, libc::IPPROTO_IP, 4),
    (libc::IPPROTO_IP, libc::IP_MULTICAST_IF, libc::IPPROTO_IP, 9),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_TTL,
        libc::IPPROTO_IP,
        10,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_LOOP,
        libc::IPPROTO_IP,
        11,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_ADD_MEMBERSHIP,
        libc::IPPROTO_IP,
        12,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_DROP_MEMBERSHIP,
        libc::IPPROTO_IP,
        13,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_UNICAST_HOPS,
        libc::IPPROTO_IPV6,
        4,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_V6ONLY,
        libc::IPPROTO_IPV6,
        27,
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
    fn a_symlink_shows_rwx_for_all_as_on_linux() {
        let mut b = netbsd_stat_bytes();
        // st_mode, as netbsd_stat_bytes puts it.
        b[8..12].copy_from_slice(&(libc::S_IFLNK | 0o755).to_ne_bytes());
        assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, libc::S_IFLNK | 0o777);
        let x = statx_from_netbsd(&b, libc::STATX_ALL).unwrap();
        assert_eq!(u32::from(x.stx_mode), libc::S_IFLNK | 0o777);
        // Other files keep their bits.
        let b = netbsd_stat_bytes();
        assert_eq!(stat_from_netbsd(&b).unwrap().st_mode, 0o100644);
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
