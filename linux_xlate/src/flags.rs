//! Flag words and small numbers: open(2) and *at(2) flags, access(2)
//! modes, lseek(2)'s whence and poll(2)'s events.

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
