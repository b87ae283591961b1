//! Calls on paths: opening, making and removing names, links, modes,
//! owners and times, access checks, the current directory, file system
//! statistics.

use super::{
    ByAt, ByPath, KPath, Scratch, by_at, by_fd, by_path, host_fd, read_path, ret, ret0, set_errno,
};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_char, c_int, c_uint, gid_t, mode_t, off_t, size_t, ssize_t, uid_t};

type CStrP = *const c_char;

fn rump_open(h: &Hijack, dirfd: i32, p: &KPath, flags: c_int, mode: c_uint) -> c_int {
    ret(rump_open_fd(h, dirfd, p, flags, mode))
}

/// Open `p` under kernel directory `dirfd` (Linux flags): the program's
/// number for the new descriptor.
pub(crate) fn rump_open_fd(
    h: &Hijack,
    dirfd: i32,
    p: &KPath,
    flags: c_int,
    mode: c_uint,
) -> Result<i64, i32> {
    let r = xlate::open_flags_to_netbsd(flags).and_then(|f| {
        h.sys(
            netbsd_abi::SYS_openat,
            &[
                dirfd as i64 as u64,
                p.arg(),
                f as u32 as u64,
                u64::from(mode),
            ],
        )
    });
    // NetBSD says EFTYPE for O_NOFOLLOW on a link, which comes out as
    // EINVAL; Linux programs look for ELOOP.
    r.map_err(|e| {
        if e == libc::EINVAL && flags & libc::O_NOFOLLOW != 0 {
            libc::ELOOP
        } else {
            e
        }
    })
    .map(|k| h.rump_to_program(k))
}

fn host_open(path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    host_fd(host!(
        open(path, flags, mode) as fn(CStrP, c_int, c_uint) -> c_int
    ))
}

fn host_openat(dirfd: c_int, path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    host_fd(host!(
        openat(dirfd, path, flags, mode) as fn(c_int, CStrP, c_int, c_uint) -> c_int
    ))
}

/// `openat` for the program: the kernel or the host.
pub(crate) fn open_at(dirfd: c_int, path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => rump_open(h, d, &p, flags, mode),
        ByAt::Host if dirfd == libc::AT_FDCWD => host_open(path, flags, mode),
        ByAt::Host => host_openat(dirfd, path, flags, mode),
    }
}

// The mode argument is variadic in C; on amd64 a fixed third argument is
// read from the same register, and is only looked at with O_CREAT or
// O_TMPFILE, as in C.

#[unsafe(no_mangle)]
pub unsafe extern "C" fn open(path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    open_at(libc::AT_FDCWD, path, flags, mode)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn open64(path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    open_at(libc::AT_FDCWD, path, flags, mode)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn openat(dirfd: c_int, path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    open_at(dirfd, path, flags, mode)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn openat64(dirfd: c_int, path: CStrP, flags: c_int, mode: c_uint) -> c_int {
    open_at(dirfd, path, flags, mode)
}

/// glibc's checked `open` (no mode: O_CREAT is not allowed here).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __open_2(path: CStrP, flags: c_int) -> c_int {
    open_at(libc::AT_FDCWD, path, flags, 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn __open64_2(path: CStrP, flags: c_int) -> c_int {
    open_at(libc::AT_FDCWD, path, flags, 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn __openat_2(dirfd: c_int, path: CStrP, flags: c_int) -> c_int {
    open_at(dirfd, path, flags, 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn __openat64_2(dirfd: c_int, path: CStrP, flags: c_int) -> c_int {
    open_at(dirfd, path, flags, 0)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn creat(path: CStrP, mode: mode_t) -> c_int {
    open_at(
        libc::AT_FDCWD,
        path,
        libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
        mode,
    )
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn creat64(path: CStrP, mode: mode_t) -> c_int {
    open_at(
        libc::AT_FDCWD,
        path,
        libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC,
        mode,
    )
}

/// A `*at` call made in the kernel as `nr(dirfd, path, rest...)`.
fn at_call(h: &Hijack, nr: usize, d: i32, p: &KPath, rest: &[u64]) -> Result<i64, i32> {
    let mut args = vec![d as i64 as u64, p.arg()];
    args.extend_from_slice(rest);
    h.sys(nr, &args)
}

/// Define a libc function on a path that becomes the kernel's `*at` call
/// with AT_FDCWD, or goes to the host unchanged.
macro_rules! path_call {
    ($name:ident($($arg:ident: $ty:ty),*) => $nr:expr, [$($rest:expr),*]) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(path: CStrP $(, $arg: $ty)*) -> c_int {
            match by_path(path) {
                ByPath::Rump(h, p) => ret0(at_call(h, $nr, netbsd_abi::AT_FDCWD, &p, &[$($rest),*])),
                ByPath::Host => host!($name(path $(, $arg)*) as fn(CStrP $(, $ty)*) -> c_int),
            }
        }
    };
}

/// Define a libc `*at` function that becomes the kernel's, flags
/// translated by `$flags`, or goes to the host unchanged.
macro_rules! at_fn {
    ($name:ident($($arg:ident: $ty:ty),*) => $nr:expr, |$h:ident| [$($rest:expr),*]) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(dirfd: c_int, path: CStrP $(, $arg: $ty)*) -> c_int {
            match by_at(dirfd, path) {
                ByAt::Rump($h, d, p) => {
                    // A closure, so that `?` in the arguments ends here.
                    #[allow(clippy::redundant_closure_call)]
                    let rest: Result<Vec<u64>, i32> = (|| Ok(vec![$($rest),*]))();
                    ret0(rest.and_then(|r| at_call($h, $nr, d, &p, &r)))
                }
                ByAt::Host => host!($name(dirfd, path $(, $arg)*) as fn(c_int, CStrP $(, $ty)*) -> c_int),
            }
        }
    };
}

path_call!(mkdir(mode: mode_t) => netbsd_abi::SYS_mkdirat, [u64::from(mode)]);
at_fn!(mkdirat(mode: mode_t) => netbsd_abi::SYS_mkdirat, |h| [u64::from(mode)]);
path_call!(rmdir() => netbsd_abi::SYS_unlinkat, [netbsd_abi::AT_REMOVEDIR as u64]);
path_call!(unlink() => netbsd_abi::SYS_unlinkat, [0]);
at_fn!(unlinkat(flags: c_int) => netbsd_abi::SYS_unlinkat, |h| [xlate::at_flags_to_netbsd(flags)? as u64]);
path_call!(chmod(mode: mode_t) => netbsd_abi::SYS_fchmodat, [u64::from(mode), 0]);
at_fn!(fchmodat(mode: mode_t, flags: c_int) => netbsd_abi::SYS_fchmodat, |h| [u64::from(mode), xlate::at_flags_to_netbsd(flags)? as u64]);
path_call!(lchmod(mode: mode_t) => netbsd_abi::SYS_fchmodat, [u64::from(mode), netbsd_abi::AT_SYMLINK_NOFOLLOW as u64]);
path_call!(chown(uid: uid_t, gid: gid_t) => netbsd_abi::SYS_fchownat, [u64::from(uid), u64::from(gid), 0]);
path_call!(lchown(uid: uid_t, gid: gid_t) => netbsd_abi::SYS_fchownat, [u64::from(uid), u64::from(gid), netbsd_abi::AT_SYMLINK_NOFOLLOW as u64]);
at_fn!(fchownat(uid: uid_t, gid: gid_t, flags: c_int) => netbsd_abi::SYS_fchownat, |h| [u64::from(uid), u64::from(gid), xlate::at_flags_to_netbsd(flags)? as u64]);
// R_OK, W_OK, X_OK and F_OK are the same numbers on both systems.
path_call!(access(mode: c_int) => netbsd_abi::SYS_faccessat, [mode as u64, 0]);
at_fn!(faccessat(mode: c_int, flags: c_int) => netbsd_abi::SYS_faccessat, |h| [mode as u64, xlate::access_flags_to_netbsd(flags)? as u64]);
path_call!(euidaccess(mode: c_int) => netbsd_abi::SYS_faccessat, [mode as u64, netbsd_abi::AT_EACCESS as u64]);
path_call!(eaccess(mode: c_int) => netbsd_abi::SYS_faccessat, [mode as u64, netbsd_abi::AT_EACCESS as u64]);
path_call!(mkfifo(mode: mode_t) => netbsd_abi::SYS_mkfifoat, [u64::from(mode & 0o7777)]);
at_fn!(mkfifoat(mode: mode_t) => netbsd_abi::SYS_mkfifoat, |h| [u64::from(mode & 0o7777)]);
// Linux's mknod also makes FIFOs and, with no type, regular files; NetBSD's
// makes neither (mkfifo makes FIFOs, S_IFREG regular files). Its mknodat
// has a padding slot before the device number, which NetBSD encodes its
// own way.
path_call!(mknod(mode: mode_t, dev: libc::dev_t) => mknod_call(mode), [mknod_mode(mode), 0, xlate::dev_to_netbsd(dev)]);
at_fn!(mknodat(mode: mode_t, dev: libc::dev_t) => mknod_call(mode), |h| [mknod_mode(mode), 0, xlate::dev_to_netbsd(dev)]);

/// The kernel call that makes what Linux's `mknod` makes for `mode`.
fn mknod_call(mode: mode_t) -> usize {
    if mode & libc::S_IFMT == libc::S_IFIFO {
        netbsd_abi::SYS_mkfifoat
    } else {
        netbsd_abi::SYS_mknodat
    }
}

/// The mode to pass with [`mknod_call`]: a FIFO's permissions alone, a
/// regular file's type made explicit, any other as the program gave it.
fn mknod_mode(mode: mode_t) -> u64 {
    u64::from(match mode & libc::S_IFMT {
        libc::S_IFIFO => mode & 0o7777,
        0 => mode | libc::S_IFREG,
        _ => mode,
    })
}

/// glibc before 2.33 had programs call `__xmknod(1, path, mode, &dev)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __xmknod(
    ver: c_int,
    path: CStrP,
    mode: mode_t,
    dev: *const libc::dev_t,
) -> c_int {
    // SAFETY: the program's arguments, passed on.
    unsafe { __xmknodat(ver, libc::AT_FDCWD, path, mode, dev) }
}

/// glibc before 2.33 had programs call `__xmknodat(1, dirfd, path, mode, &dev)`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __xmknodat(
    ver: c_int,
    dirfd: c_int,
    path: CStrP,
    mode: mode_t,
    dev: *const libc::dev_t,
) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => ret0(super::get(dev).and_then(|dev| {
            at_call(
                h,
                mknod_call(mode),
                d,
                &p,
                &[mknod_mode(mode), 0, xlate::dev_to_netbsd(dev)],
            )
        })),
        ByAt::Host => host!(__xmknodat(ver, dirfd, path, mode, dev)
            as fn(c_int, c_int, CStrP, mode_t, *const libc::dev_t) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn truncate(path: CStrP, len: off_t) -> c_int {
    match by_path(path) {
        // NetBSD's truncate has a padding slot before the length.
        ByPath::Rump(h, p) => ret0(h.sys(netbsd_abi::SYS_truncate, &[p.arg(), 0, len as u64])),
        ByPath::Host => host!(truncate(path, len) as fn(CStrP, off_t) -> c_int),
    }
}

alias!(truncate64 => truncate(path: CStrP, len: off_t) -> c_int);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fchmod(fd: c_int, mode: mode_t) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_fchmod, &[k as u64, u64::from(mode)])),
        None => host!(fchmod(fd, mode) as fn(c_int, mode_t) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fchown(fd: c_int, uid: uid_t, gid: gid_t) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(
            netbsd_abi::SYS_fchown,
            &[k as u64, u64::from(uid), u64::from(gid)],
        )),
        None => host!(fchown(fd, uid, gid) as fn(c_int, uid_t, gid_t) -> c_int),
    }
}

/// Two paths that must be in the same kernel (rename, link): EXDEV
/// between the host and the kernel.
enum Pair {
    Host,
    Rump(&'static Hijack, (i32, KPath), (i32, KPath)),
}

fn pair(d1: c_int, p1: CStrP, d2: c_int, p2: CStrP) -> Result<Pair, i32> {
    match (by_at(d1, p1), by_at(d2, p2)) {
        (ByAt::Host, ByAt::Host) => Ok(Pair::Host),
        (ByAt::Rump(h, a, pa), ByAt::Rump(_, b, pb)) => Ok(Pair::Rump(h, (a, pa), (b, pb))),
        _ => Err(libc::EXDEV),
    }
}

fn rump_pair(
    nr: usize,
    h: &Hijack,
    a: (i32, KPath),
    b: (i32, KPath),
    flags: u64,
) -> Result<i64, i32> {
    let mut args = vec![a.0 as i64 as u64, a.1.arg(), b.0 as i64 as u64, b.1.arg()];
    if nr == netbsd_abi::SYS_linkat {
        args.push(flags);
    }
    h.sys(nr, &args)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn rename(from: CStrP, to: CStrP) -> c_int {
    match pair(libc::AT_FDCWD, from, libc::AT_FDCWD, to) {
        Ok(Pair::Rump(h, a, b)) => ret0(rump_pair(netbsd_abi::SYS_renameat, h, a, b, 0)),
        Ok(Pair::Host) => host!(rename(from, to) as fn(CStrP, CStrP) -> c_int),
        Err(e) => ret0(Err(e)),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn renameat(d1: c_int, from: CStrP, d2: c_int, to: CStrP) -> c_int {
    match pair(d1, from, d2, to) {
        Ok(Pair::Rump(h, a, b)) => ret0(rump_pair(netbsd_abi::SYS_renameat, h, a, b, 0)),
        Ok(Pair::Host) => {
            host!(renameat(d1, from, d2, to) as fn(c_int, CStrP, c_int, CStrP) -> c_int)
        }
        Err(e) => ret0(Err(e)),
    }
}

/// `renameat2`: NetBSD's rename has no flags, so only 0 is taken in the kernel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn renameat2(
    d1: c_int,
    from: CStrP,
    d2: c_int,
    to: CStrP,
    flags: c_uint,
) -> c_int {
    match pair(d1, from, d2, to) {
        Ok(Pair::Rump(..)) if flags != 0 => ret0(Err(libc::EINVAL)),
        Ok(Pair::Rump(h, a, b)) => ret0(rump_pair(netbsd_abi::SYS_renameat, h, a, b, 0)),
        Ok(Pair::Host) => {
            host!(renameat2(d1, from, d2, to, flags)
                as fn(c_int, CStrP, c_int, CStrP, c_uint) -> c_int)
        }
        Err(e) => ret0(Err(e)),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn link(from: CStrP, to: CStrP) -> c_int {
    match pair(libc::AT_FDCWD, from, libc::AT_FDCWD, to) {
        Ok(Pair::Rump(h, a, b)) => ret0(rump_pair(netbsd_abi::SYS_linkat, h, a, b, 0)),
        Ok(Pair::Host) => host!(link(from, to) as fn(CStrP, CStrP) -> c_int),
        Err(e) => ret0(Err(e)),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn linkat(
    d1: c_int,
    from: CStrP,
    d2: c_int,
    to: CStrP,
    flags: c_int,
) -> c_int {
    match pair(d1, from, d2, to) {
        Ok(Pair::Rump(h, a, b)) => ret0(
            xlate::at_flags_to_netbsd(flags)
                .and_then(|f| rump_pair(netbsd_abi::SYS_linkat, h, a, b, f as u64)),
        ),
        Ok(Pair::Host) => {
            host!(linkat(d1, from, d2, to, flags) as fn(c_int, CStrP, c_int, CStrP, c_int) -> c_int)
        }
        Err(e) => ret0(Err(e)),
    }
}

/// `symlinkat` in the kernel: the target is the link's contents, not a
/// path to route, and goes as it is.
fn rump_symlink(h: &Hijack, target: CStrP, d: i32, p: &KPath) -> c_int {
    let Some(t) = read_path(target) else {
        return ret0(Err(libc::EFAULT));
    };
    let t = KPath::new(&t);
    ret0(h.sys(
        netbsd_abi::SYS_symlinkat,
        &[t.arg(), d as i64 as u64, p.arg()],
    ))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn symlink(target: CStrP, path: CStrP) -> c_int {
    match by_path(path) {
        ByPath::Rump(h, p) => rump_symlink(h, target, netbsd_abi::AT_FDCWD, &p),
        ByPath::Host => host!(symlink(target, path) as fn(CStrP, CStrP) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn symlinkat(target: CStrP, dirfd: c_int, path: CStrP) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => rump_symlink(h, target, d, &p),
        ByAt::Host => host!(symlinkat(target, dirfd, path) as fn(CStrP, c_int, CStrP) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readlink(path: CStrP, buf: *mut c_char, len: size_t) -> ssize_t {
    match by_path(path) {
        ByPath::Rump(h, p) => ret(at_call(
            h,
            netbsd_abi::SYS_readlinkat,
            netbsd_abi::AT_FDCWD,
            &p,
            &[buf as u64, len as u64],
        )),
        ByPath::Host => {
            host!(readlink(path, buf, len) as fn(CStrP, *mut c_char, size_t) -> ssize_t)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readlinkat(
    dirfd: c_int,
    path: CStrP,
    buf: *mut c_char,
    len: size_t,
) -> ssize_t {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => ret(at_call(
            h,
            netbsd_abi::SYS_readlinkat,
            d,
            &p,
            &[buf as u64, len as u64],
        )),
        ByAt::Host => {
            host!(readlinkat(dirfd, path, buf, len)
                as fn(c_int, CStrP, *mut c_char, size_t) -> ssize_t)
        }
    }
}

/// glibc's checked `readlink`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __readlink_chk(
    path: CStrP,
    buf: *mut c_char,
    len: size_t,
    buflen: size_t,
) -> ssize_t {
    if len > buflen {
        // SAFETY: glibc's own answer to a buffer overflow.
        unsafe { libc::abort() };
    }
    // SAFETY: the program's arguments, passed on.
    unsafe { readlink(path, buf, len) }
}

/// glibc's checked `readlinkat`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __readlinkat_chk(
    dirfd: c_int,
    path: CStrP,
    buf: *mut c_char,
    len: size_t,
    buflen: size_t,
) -> ssize_t {
    if len > buflen {
        // SAFETY: glibc's own answer to a buffer overflow.
        unsafe { libc::abort() };
    }
    // SAFETY: the program's arguments, passed on.
    unsafe { readlinkat(dirfd, path, buf, len) }
}

// Times. `struct timespec` and UTIME_NOW/UTIME_OMIT are the same on both
// systems; `struct timeval` pairs become timespec pairs.

fn timespecs_from_timevals(tv: *const libc::timeval) -> Result<Option<[libc::timespec; 2]>, i32> {
    if tv.is_null() {
        return Ok(None);
    }
    let t: [libc::timeval; 2] = super::get(tv.cast())?;
    let ts = |v: libc::timeval| {
        if !(0..1_000_000).contains(&v.tv_usec) {
            return Err(libc::EINVAL);
        }
        Ok(libc::timespec {
            tv_sec: v.tv_sec,
            tv_nsec: v.tv_usec * 1000,
        })
    };
    Ok(Some([ts(t[0])?, ts(t[1])?]))
}

fn rump_utimens(
    h: &Hijack,
    d: i32,
    p: &KPath,
    ts: Option<[libc::timespec; 2]>,
    flags: i32,
) -> Result<i64, i32> {
    let buf = ts.map(|t| t.to_vec());
    let addr = buf.as_ref().map_or(0, |b| b.as_ptr() as u64);
    at_call(h, netbsd_abi::SYS_utimensat, d, p, &[addr, flags as u64])
}

fn rump_futimens(h: &Hijack, k: i32, ts: Option<[libc::timespec; 2]>) -> Result<i64, i32> {
    let buf = ts.map(|t| t.to_vec());
    let addr = buf.as_ref().map_or(0, |b| b.as_ptr() as u64);
    h.sys(netbsd_abi::SYS_futimens, &[k as u64, addr])
}

fn timespec_pair(ts: *const libc::timespec) -> Result<Option<[libc::timespec; 2]>, i32> {
    if ts.is_null() {
        Ok(None)
    } else {
        super::get(ts.cast::<[libc::timespec; 2]>()).map(Some)
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn utimensat(
    dirfd: c_int,
    path: CStrP,
    ts: *const libc::timespec,
    flags: c_int,
) -> c_int {
    // A NULL path is futimens on dirfd (glibc passes that on to Linux).
    if path.is_null() {
        return match by_fd(dirfd) {
            Some((h, k)) => ret0(timespec_pair(ts).and_then(|t| rump_futimens(h, k, t))),
            None => host!(utimensat(dirfd, path, ts, flags)
                as fn(c_int, CStrP, *const libc::timespec, c_int) -> c_int),
        };
    }
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => ret0(timespec_pair(ts).and_then(|t| {
            let f = xlate::at_flags_to_netbsd(flags)?;
            rump_utimens(h, d, &p, t, f)
        })),
        ByAt::Host => host!(utimensat(dirfd, path, ts, flags)
            as fn(c_int, CStrP, *const libc::timespec, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn futimens(fd: c_int, ts: *const libc::timespec) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(timespec_pair(ts).and_then(|t| rump_futimens(h, k, t))),
        None => host!(futimens(fd, ts) as fn(c_int, *const libc::timespec) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn utimes(path: CStrP, tv: *const libc::timeval) -> c_int {
    match by_path(path) {
        ByPath::Rump(h, p) => ret0(
            timespecs_from_timevals(tv)
                .and_then(|t| rump_utimens(h, netbsd_abi::AT_FDCWD, &p, t, 0)),
        ),
        ByPath::Host => host!(utimes(path, tv) as fn(CStrP, *const libc::timeval) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn lutimes(path: CStrP, tv: *const libc::timeval) -> c_int {
    match by_path(path) {
        ByPath::Rump(h, p) => ret0(timespecs_from_timevals(tv).and_then(|t| {
            rump_utimens(
                h,
                netbsd_abi::AT_FDCWD,
                &p,
                t,
                netbsd_abi::AT_SYMLINK_NOFOLLOW,
            )
        })),
        ByPath::Host => host!(lutimes(path, tv) as fn(CStrP, *const libc::timeval) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn futimes(fd: c_int, tv: *const libc::timeval) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(timespecs_from_timevals(tv).and_then(|t| rump_futimens(h, k, t))),
        None => host!(futimes(fd, tv) as fn(c_int, *const libc::timeval) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn futimesat(dirfd: c_int, path: CStrP, tv: *const libc::timeval) -> c_int {
    match by_at(dirfd, path) {
        ByAt::Rump(h, d, p) => {
            ret0(timespecs_from_timevals(tv).and_then(|t| rump_utimens(h, d, &p, t, 0)))
        }
        ByAt::Host => {
            host!(futimesat(dirfd, path, tv) as fn(c_int, CStrP, *const libc::timeval) -> c_int)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn utime(path: CStrP, times: *const libc::utimbuf) -> c_int {
    match by_path(path) {
        ByPath::Rump(h, p) => {
            let t = if times.is_null() {
                Ok(None)
            } else {
                super::get(times).map(|u| {
                    Some([
                        libc::timespec {
                            tv_sec: u.actime,
                            tv_nsec: 0,
                        },
                        libc::timespec {
                            tv_sec: u.modtime,
                            tv_nsec: 0,
                        },
                    ])
                })
            };
            ret0(t.and_then(|t| rump_utimens(h, netbsd_abi::AT_FDCWD, &p, t, 0)))
        }
        ByPath::Host => host!(utime(path, times) as fn(CStrP, *const libc::utimbuf) -> c_int),
    }
}

// The current directory.

#[unsafe(no_mangle)]
pub unsafe extern "C" fn chdir(path: CStrP) -> c_int {
    match by_path(path) {
        ByPath::Rump(h, p) => {
            let r = h.sys(netbsd_abi::SYS_chdir, &[p.arg()]);
            if r.is_ok() {
                h.set_cwd_in_rump(true);
            }
            ret0(r)
        }
        ByPath::Host => {
            let r = host!(chdir(path) as fn(CStrP) -> c_int);
            if r == 0
                && let Some(h) = state::get()
            {
                h.set_cwd_in_rump(false);
            }
            r
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fchdir(fd: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => {
            let r = h.sys(netbsd_abi::SYS_fchdir, &[k as u64]);
            if r.is_ok() {
                h.set_cwd_in_rump(true);
            }
            ret0(r)
        }
        None => {
            let r = host!(fchdir(fd) as fn(c_int) -> c_int);
            if r == 0
                && let Some(h) = state::get()
            {
                h.set_cwd_in_rump(false);
            }
            r
        }
    }
}

/// The current directory in the kernel, as the program names it: under the
/// `path=` prefix.
fn rump_cwd(h: &Hijack) -> Result<Vec<u8>, i32> {
    let room = netbsd_abi::MAXPATHLEN as usize + 1;
    let mut buf = Scratch::new(room);
    h.sys(netbsd_abi::SYS___getcwd, &[buf.arg(), room as u64])?;
    let b = buf.bytes();
    let inner = &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())];
    let mut out = h.cfg.prefix.clone().unwrap_or_default();
    if inner != b"/" || out.is_empty() {
        out.extend_from_slice(inner);
    }
    Ok(out)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn getcwd(buf: *mut c_char, size: size_t) -> *mut c_char {
    let h = match state::get() {
        Some(h) if h.cwd_in_rump() => h,
        _ => return host!(getcwd(buf, size) as fn(*mut c_char, size_t) -> *mut c_char),
    };
    let cwd = match rump_cwd(h) {
        Ok(c) => c,
        Err(e) => {
            set_errno(e);
            return std::ptr::null_mut();
        }
    };
    let need = cwd.len() + 1;
    let out = if buf.is_null() {
        // glibc's extension: allocate, `size` bytes or as many as needed.
        // SAFETY: malloc of a positive size; the program frees it.
        let p = unsafe { libc::malloc(size.max(need)) }.cast::<c_char>();
        if p.is_null() {
            set_errno(libc::ENOMEM);
            return p;
        }
        if size != 0 && size < need {
            // SAFETY: `p` came from malloc just now.
            unsafe { libc::free(p.cast()) };
            set_errno(libc::ERANGE);
            return std::ptr::null_mut();
        }
        p
    } else {
        if size == 0 {
            set_errno(libc::EINVAL);
            return std::ptr::null_mut();
        }
        if size < need {
            set_errno(libc::ERANGE);
            return std::ptr::null_mut();
        }
        buf
    };
    let mut z = cwd;
    z.push(0);
    if !rumpclient::ClientMemory::write(&crate::mem::ProcessMemory, out as u64, &z) {
        set_errno(libc::EFAULT);
        return std::ptr::null_mut();
    }
    out
}

/// glibc's checked `getcwd`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __getcwd_chk(
    buf: *mut c_char,
    size: size_t,
    buflen: size_t,
) -> *mut c_char {
    if size > buflen {
        // SAFETY: glibc's own answer to a buffer overflow.
        unsafe { libc::abort() };
    }
    // SAFETY: the program's arguments, passed on.
    unsafe { getcwd(buf, size) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn get_current_dir_name() -> *mut c_char {
    // SAFETY: getcwd's allocating form.
    unsafe { getcwd(std::ptr::null_mut(), 0) }
}

// File system statistics.

fn rump_statvfs(h: &Hijack, by: Result<(usize, u64), i32>) -> Result<Vec<u8>, i32> {
    let (nr, first) = by?;
    let mut buf = Scratch::new(xlate::NETBSD_STATVFS_LEN);
    // ST_WAIT: fresh numbers, as Linux gives.
    h.sys(nr, &[first, buf.arg(), netbsd_abi::ST_WAIT as u64])?;
    Ok(buf.bytes().to_vec())
}

/// Define `statfs`/`statvfs` and their descriptor and 64 forms.
macro_rules! statfs_fns {
    ($path_fn:ident, $fd_fn:ident, $ty:ty, $conv:path) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $path_fn(path: CStrP, out: *mut $ty) -> c_int {
            match by_path(path) {
                ByPath::Rump(h, p) => ret0(
                    rump_statvfs(h, Ok((netbsd_abi::SYS_statvfs1, p.arg())))
                        .and_then(|b| $conv(&b).ok_or(libc::EIO))
                        .and_then(|s| super::put(out, &s).map(|_| 0)),
                ),
                ByPath::Host => host!($path_fn(path, out) as fn(CStrP, *mut $ty) -> c_int),
            }
        }

        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $fd_fn(fd: c_int, out: *mut $ty) -> c_int {
            match by_fd(fd) {
                Some((h, k)) => ret0(
                    rump_statvfs(h, Ok((netbsd_abi::SYS_fstatvfs1, k as u64)))
                        .and_then(|b| $conv(&b).ok_or(libc::EIO))
                        .and_then(|s| super::put(out, &s).map(|_| 0)),
                ),
                None => host!($fd_fn(fd, out) as fn(c_int, *mut $ty) -> c_int),
            }
        }
    };
}

statfs_fns!(
    statfs,
    fstatfs,
    xlate::LinuxStatfs,
    xlate::statfs_from_netbsd
);
statfs_fns!(
    statfs64,
    fstatfs64,
    xlate::LinuxStatfs,
    xlate::statfs_from_netbsd
);
statfs_fns!(statvfs, fstatvfs, libc::statvfs, xlate::statvfs_from_netbsd);
statfs_fns!(
    statvfs64,
    fstatvfs64,
    libc::statvfs,
    xlate::statvfs_from_netbsd
);

// Extended attributes: the kernel's file systems have none, which Linux
// says with ENOTSUP (programs such as `ls -l` then show no ACL mark).

/// Define the path, link and descriptor forms of an xattr function.
macro_rules! xattr_fns {
    ($path_fn:ident, $link_fn:ident, $fd_fn:ident, ($($arg:ident: $ty:ty),*) -> $ret:ty) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $path_fn(path: CStrP $(, $arg: $ty)*) -> $ret {
            match by_path(path) {
                ByPath::Rump(..) => ret(Err(libc::ENOTSUP)),
                ByPath::Host => host!($path_fn(path $(, $arg)*) as fn(CStrP $(, $ty)*) -> $ret),
            }
        }

        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $link_fn(path: CStrP $(, $arg: $ty)*) -> $ret {
            match by_path(path) {
                ByPath::Rump(..) => ret(Err(libc::ENOTSUP)),
                ByPath::Host => host!($link_fn(path $(, $arg)*) as fn(CStrP $(, $ty)*) -> $ret),
            }
        }

        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $fd_fn(fd: c_int $(, $arg: $ty)*) -> $ret {
            match by_fd(fd) {
                Some(_) => ret(Err(libc::ENOTSUP)),
                None => host!($fd_fn(fd $(, $arg)*) as fn(c_int $(, $ty)*) -> $ret),
            }
        }
    };
}

type VoidP = *mut libc::c_void;

xattr_fns!(getxattr, lgetxattr, fgetxattr, (name: CStrP, value: VoidP, size: size_t) -> ssize_t);
xattr_fns!(setxattr, lsetxattr, fsetxattr, (name: CStrP, value: *const libc::c_void, size: size_t, flags: c_int) -> c_int);
xattr_fns!(listxattr, llistxattr, flistxattr, (list: *mut c_char, size: size_t) -> ssize_t);
xattr_fns!(removexattr, lremovexattr, fremovexattr, (name: CStrP) -> c_int);
