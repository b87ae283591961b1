//! The stat family: `stat`, `lstat`, `fstat`, `fstatat`, their `64` and
//! glibc `__xstat` forms, and `statx`. The kernel fills in NetBSD's
//! `struct stat`, which becomes Linux's here.

use super::{ByAt, KPath, Scratch, by_at, by_fd, ret0};
use crate::state::Hijack;
use crate::xlate;
use libc::{c_char, c_int, c_uint};

type CStrP = *const c_char;

/// `fstatat` flags that only concern Linux: which kind of sync, automounts.
const LINUX_ONLY_AT: c_int = libc::AT_NO_AUTOMOUNT | libc::AT_STATX_SYNC_TYPE;

/// NetBSD's `struct stat` for `path` under `d` (AT_EMPTY_PATH and an empty
/// path: the descriptor or directory itself).
fn rump_stat_at(h: &Hijack, d: i32, p: &KPath, flags: c_int) -> Result<Vec<u8>, i32> {
    let mut buf = Scratch::new(xlate::NETBSD_STAT_LEN);
    if p.bytes().is_empty() && flags & libc::AT_EMPTY_PATH != 0 {
        if d == netbsd_abi::AT_FDCWD {
            let dot = KPath::new(b".");
            h.sys(
                netbsd_abi::SYS_fstatat,
                &[d as i64 as u64, dot.arg(), buf.arg(), 0],
            )?;
        } else {
            h.sys(netbsd_abi::SYS___fstat50, &[d as u64, buf.arg()])?;
        }
    } else {
        let f = xlate::at_flags_to_netbsd(flags & !(libc::AT_EMPTY_PATH | LINUX_ONLY_AT))?;
        h.sys(
            netbsd_abi::SYS_fstatat,
            &[d as i64 as u64, p.arg(), buf.arg(), f as u64],
        )?;
    }
    Ok(buf.bytes().to_vec())
}

fn rump_fstat(h: &Hijack, k: i32) -> Result<Vec<u8>, i32> {
    let mut buf = Scratch::new(xlate::NETBSD_STAT_LEN);
    h.sys(netbsd_abi::SYS___fstat50, &[k as u64, buf.arg()])?;
    Ok(buf.bytes().to_vec())
}

fn store_stat(out: *mut libc::stat, b: Result<Vec<u8>, i32>) -> c_int {
    ret0(b.and_then(|b| {
        let st = xlate::stat_from_netbsd(&b).ok_or(libc::EIO)?;
        super::put(out, &st).map(|_| 0)
    }))
}

fn stat_at(
    dirfd: c_int,
    path: CStrP,
    out: *mut libc::stat,
    flags: c_int,
    host: impl FnOnce() -> c_int,
) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => store_stat(out, rump_stat_at(h, d, &p, flags)),
        ByAt::Host => host(),
    }
}

fn fstat_fd(fd: c_int, out: *mut libc::stat, host: impl FnOnce() -> c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => store_stat(out, rump_fstat(h, k)),
        None => host(),
    }
}

/// Define a path stat function (`stat`, `lstat` and their 64 forms).
macro_rules! path_stat {
    ($name:ident, $flags:expr) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(path: CStrP, out: *mut libc::stat) -> c_int {
            stat_at(libc::AT_FDCWD, path, out, $flags, || {
                host!($name(path, out) as fn(CStrP, *mut libc::stat) -> c_int)
            })
        }
    };
}

path_stat!(stat, 0);
path_stat!(stat64, 0);
path_stat!(lstat, libc::AT_SYMLINK_NOFOLLOW);
path_stat!(lstat64, libc::AT_SYMLINK_NOFOLLOW);

/// Define an `fstatat` form.
macro_rules! at_stat {
    ($name:ident) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(
            dirfd: c_int,
            path: CStrP,
            out: *mut libc::stat,
            flags: c_int,
        ) -> c_int {
            stat_at(dirfd, path, out, flags, || {
                host!($name(dirfd, path, out, flags)
                    as fn(c_int, CStrP, *mut libc::stat, c_int) -> c_int)
            })
        }
    };
}

at_stat!(fstatat);
at_stat!(fstatat64);

/// Define an `fstat` form.
macro_rules! fd_stat {
    ($name:ident) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(fd: c_int, out: *mut libc::stat) -> c_int {
            fstat_fd(fd, out, || {
                host!($name(fd, out) as fn(c_int, *mut libc::stat) -> c_int)
            })
        }
    };
}

fd_stat!(fstat);
fd_stat!(fstat64);

// glibc before 2.33 had programs call these, with a layout version first;
// on amd64 it is 1 and the layout is `struct stat`.

/// Define an `__xstat` path form.
macro_rules! xstat {
    ($name:ident, $flags:expr) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(ver: c_int, path: CStrP, out: *mut libc::stat) -> c_int {
            stat_at(libc::AT_FDCWD, path, out, $flags, || {
                host!($name(ver, path, out) as fn(c_int, CStrP, *mut libc::stat) -> c_int)
            })
        }
    };
}

xstat!(__xstat, 0);
xstat!(__xstat64, 0);
xstat!(__lxstat, libc::AT_SYMLINK_NOFOLLOW);
xstat!(__lxstat64, libc::AT_SYMLINK_NOFOLLOW);

/// Define an `__fxstat` form.
macro_rules! fxstat {
    ($name:ident) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(ver: c_int, fd: c_int, out: *mut libc::stat) -> c_int {
            fstat_fd(fd, out, || {
                host!($name(ver, fd, out) as fn(c_int, c_int, *mut libc::stat) -> c_int)
            })
        }
    };
}

fxstat!(__fxstat);
fxstat!(__fxstat64);

/// Define an `__fxstatat` form.
macro_rules! fxstatat {
    ($name:ident) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(
            ver: c_int,
            dirfd: c_int,
            path: CStrP,
            out: *mut libc::stat,
            flags: c_int,
        ) -> c_int {
            stat_at(dirfd, path, out, flags, || {
                host!($name(ver, dirfd, path, out, flags)
                    as fn(c_int, c_int, CStrP, *mut libc::stat, c_int) -> c_int)
            })
        }
    };
}

fxstatat!(__fxstatat);
fxstatat!(__fxstatat64);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn statx(
    dirfd: c_int,
    path: CStrP,
    flags: c_int,
    mask: c_uint,
    out: *mut libc::statx,
) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => ret0(rump_stat_at(h, d, &p, flags).and_then(|b| {
            let st = xlate::statx_from_netbsd(&b, mask).ok_or(libc::EIO)?;
            super::put(out, &st).map(|_| 0)
        })),
        ByAt::Host => host!(statx(dirfd, path, flags, mask, out)
            as fn(c_int, CStrP, c_int, c_uint, *mut libc::statx) -> c_int),
    }
}
