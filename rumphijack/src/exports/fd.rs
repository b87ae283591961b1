//! Calls on descriptors: reading and writing, seeking, closing, duplicating,
//! `fcntl` and `ioctl`, syncing (`fsync`, `fdatasync`, `syncfs`, `sync`).

use super::{Scratch, by_fd, host_fd, ret, ret0, rump_fd, set_errno};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_int, c_uint, c_ulong, c_void, iovec, off_t, size_t, ssize_t};

fn rw(h: &Hijack, nr: usize, k: i32, buf: u64, n: size_t) -> Result<i64, i32> {
    h.sys(nr, &[k as u64, buf, n as u64])
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn read(fd: c_int, buf: *mut c_void, n: size_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rw(h, netbsd_abi::SYS_read, k, buf as u64, n)),
        None => host!(read(fd, buf, n) as fn(c_int, *mut c_void, size_t) -> ssize_t),
    }
}

/// glibc's checked `read` (what `_FORTIFY_SOURCE` builds call).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __read_chk(
    fd: c_int,
    buf: *mut c_void,
    n: size_t,
    buflen: size_t,
) -> ssize_t {
    if n > buflen {
        // SAFETY: glibc's own answer to a buffer overflow.
        unsafe { libc::abort() };
    }
    // SAFETY: the program's arguments, passed on.
    unsafe { read(fd, buf, n) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn write(fd: c_int, buf: *const c_void, n: size_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(rw(h, netbsd_abi::SYS_write, k, buf as u64, n)),
        None => host!(write(fd, buf, n) as fn(c_int, *const c_void, size_t) -> ssize_t),
    }
}

fn positioned(nr: usize, h: &Hijack, k: i32, buf: u64, n: size_t, off: off_t) -> ssize_t {
    // NetBSD's pread and pwrite have a padding slot before the offset.
    ret(h.sys(nr, &[k as u64, buf, n as u64, 0, off as u64]))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pread(fd: c_int, buf: *mut c_void, n: size_t, off: off_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => positioned(netbsd_abi::SYS_pread, h, k, buf as u64, n, off),
        None => host!(pread(fd, buf, n, off) as fn(c_int, *mut c_void, size_t, off_t) -> ssize_t),
    }
}

alias!(pread64 => pread(fd: c_int, buf: *mut c_void, n: size_t, off: off_t) -> ssize_t);

/// glibc's checked `pread`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __pread_chk(
    fd: c_int,
    buf: *mut c_void,
    n: size_t,
    off: off_t,
    buflen: size_t,
) -> ssize_t {
    if n > buflen {
        // SAFETY: glibc's own answer to a buffer overflow.
        unsafe { libc::abort() };
    }
    // SAFETY: the program's arguments, passed on.
    unsafe { pread(fd, buf, n, off) }
}

/// glibc's checked `pread64`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn __pread64_chk(
    fd: c_int,
    buf: *mut c_void,
    n: size_t,
    off: off_t,
    buflen: size_t,
) -> ssize_t {
    // SAFETY: the program's arguments, passed on.
    unsafe { __pread_chk(fd, buf, n, off, buflen) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwrite(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => positioned(netbsd_abi::SYS_pwrite, h, k, buf as u64, n, off),
        None => {
            host!(pwrite(fd, buf, n, off) as fn(c_int, *const c_void, size_t, off_t) -> ssize_t)
        }
    }
}

alias!(pwrite64 => pwrite(fd: c_int, buf: *const c_void, n: size_t, off: off_t) -> ssize_t);

// `struct iovec` is the same on both systems: the vectors go as they are.

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readv(fd: c_int, iov: *const iovec, cnt: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(h.sys(netbsd_abi::SYS_readv, &[k as u64, iov as u64, cnt as u64])),
        None => host!(readv(fd, iov, cnt) as fn(c_int, *const iovec, c_int) -> ssize_t),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn writev(fd: c_int, iov: *const iovec, cnt: c_int) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => ret(h.sys(netbsd_abi::SYS_writev, &[k as u64, iov as u64, cnt as u64])),
        None => host!(writev(fd, iov, cnt) as fn(c_int, *const iovec, c_int) -> ssize_t),
    }
}

fn vectored_at(
    nr: usize,
    h: &Hijack,
    k: i32,
    iov: *const iovec,
    cnt: c_int,
    off: off_t,
) -> ssize_t {
    ret(h.sys(nr, &[k as u64, iov as u64, cnt as u64, 0, off as u64]))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn preadv(fd: c_int, iov: *const iovec, cnt: c_int, off: off_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => vectored_at(netbsd_abi::SYS_preadv, h, k, iov, cnt, off),
        None => {
            host!(preadv(fd, iov, cnt, off) as fn(c_int, *const iovec, c_int, off_t) -> ssize_t)
        }
    }
}

alias!(preadv64 => preadv(fd: c_int, iov: *const iovec, cnt: c_int, off: off_t) -> ssize_t);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev(fd: c_int, iov: *const iovec, cnt: c_int, off: off_t) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => vectored_at(netbsd_abi::SYS_pwritev, h, k, iov, cnt, off),
        None => {
            host!(pwritev(fd, iov, cnt, off) as fn(c_int, *const iovec, c_int, off_t) -> ssize_t)
        }
    }
}

alias!(pwritev64 => pwritev(fd: c_int, iov: *const iovec, cnt: c_int, off: off_t,) -> ssize_t);

/// `preadv2` and `pwritev2` on a kernel descriptor: NetBSD has no per-call
/// flags, so only 0 is taken; offset -1 means the file offset.
fn vectored2(
    read: bool,
    h: &Hijack,
    k: i32,
    iov: *const iovec,
    cnt: c_int,
    off: off_t,
    flags: c_int,
) -> ssize_t {
    if flags != 0 {
        set_errno(libc::EOPNOTSUPP);
        return -1;
    }
    match (read, off) {
        (true, -1) => ret(h.sys(netbsd_abi::SYS_readv, &[k as u64, iov as u64, cnt as u64])),
        (false, -1) => ret(h.sys(netbsd_abi::SYS_writev, &[k as u64, iov as u64, cnt as u64])),
        (true, _) => vectored_at(netbsd_abi::SYS_preadv, h, k, iov, cnt, off),
        (false, _) => vectored_at(netbsd_abi::SYS_pwritev, h, k, iov, cnt, off),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn preadv2(
    fd: c_int,
    iov: *const iovec,
    cnt: c_int,
    off: off_t,
    flags: c_int,
) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => vectored2(true, h, k, iov, cnt, off, flags),
        None => host!(preadv2(fd, iov, cnt, off, flags)
            as fn(c_int, *const iovec, c_int, off_t, c_int) -> ssize_t),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pwritev2(
    fd: c_int,
    iov: *const iovec,
    cnt: c_int,
    off: off_t,
    flags: c_int,
) -> ssize_t {
    match by_fd(fd) {
        Some((h, k)) => vectored2(false, h, k, iov, cnt, off, flags),
        None => host!(pwritev2(fd, iov, cnt, off, flags)
            as fn(c_int, *const iovec, c_int, off_t, c_int) -> ssize_t),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn lseek(fd: c_int, off: off_t, whence: c_int) -> off_t {
    match by_fd(fd) {
        Some((h, k)) => ret(xlate::whence_to_netbsd(whence)
            .and_then(|w| h.sys(netbsd_abi::SYS_lseek, &[k as u64, 0, off as u64, w as u64]))),
        None => host!(lseek(fd, off, whence) as fn(c_int, off_t, c_int) -> off_t),
    }
}

alias!(lseek64 => lseek(fd: c_int, off: off_t, whence: c_int) -> off_t);

fn host_close(fd: c_int) -> c_int {
    host!(close(fd) as fn(c_int) -> c_int)
}

fn host_dup2(from: c_int, to: c_int) -> c_int {
    host!(dup2(from, to) as fn(c_int, c_int) -> c_int)
}

/// Keep the host's descriptor `fd` taken while a kernel descriptor has its
/// number, so that the host never hands the number out for something
/// else. It is an `O_PATH` descriptor: reads and writes on it fail with
/// EBADF, as on a closed descriptor.
fn reserve(fd: c_int) -> Result<(), i32> {
    let root = c"/";
    let tmp = host!(
        open(root.as_ptr(), libc::O_PATH, 0) as fn(*const libc::c_char, c_int, c_uint) -> c_int
    );
    if tmp < 0 {
        return Err(libc::EMFILE);
    }
    let r = if tmp == fd { fd } else { host_dup2(tmp, fd) };
    if tmp != fd {
        host_close(tmp);
    }
    if r < 0 { Err(libc::EBADF) } else { Ok(()) }
}

/// The program is about to close or replace its descriptor `fd`: if the
/// connection to the server has that number, move the connection away.
pub(crate) fn spare_connection(h: &Hijack, fd: c_int) {
    if state::connection_fd() == fd {
        let c = h.client();
        let _ = state::inside(|| c.move_connection());
    }
}

/// Close kernel descriptor `k`, the program's low number `fd` for it too.
fn close_low(h: &Hijack, fd: c_int, k: i32) -> Result<i64, i32> {
    let r = h.sys(netbsd_abi::SYS_close, &[k as u64]);
    host_close(fd);
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn close(fd: c_int) -> c_int {
    let Some(h) = state::get() else {
        return host_close(fd);
    };
    super::epoll::forget(fd);
    if fd >= h.cfg.fdoff && fd != state::connection_fd() {
        let k = fd - h.cfg.fdoff;
        if h.hidden(k) {
            // The copy behind a low number, or the library's own, is not
            // the program's to close.
            return ret0(Err(libc::EBADF));
        }
        return ret0(h.sys(netbsd_abi::SYS_close, &[k as u64]));
    }
    if h.low().contains(fd) {
        super::stdio::before_change(fd);
        let low = h.low().remove(fd);
        if let Some(k) = low {
            let r = close_low(h, fd, k);
            super::stdio::after_change(fd, false);
            return ret0(r);
        }
    }
    if state::OWN_HOST_FDS.has(fd) {
        // The library's own, as the kernel's hidden copies.
        return ret0(Err(libc::EBADF));
    }
    spare_connection(h, fd);
    host_close(fd)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn dup(fd: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => rump_fd(h, h.sys(netbsd_abi::SYS_dup, &[k as u64])),
        None => host_fd(host!(dup(fd) as fn(c_int) -> c_int)),
    }
}

/// `dup3(from, to, flags)` for the program's descriptors (`dup2` is this
/// with `flags` None: no EINVAL when `from == to`).
fn dup_onto(from: c_int, to: c_int, flags: Option<c_int>) -> c_int {
    let Some(h) = state::get() else {
        return match flags {
            Some(f) => host!(dup3(from, to, f) as fn(c_int, c_int, c_int) -> c_int),
            None => host_dup2(from, to),
        };
    };
    let cloexec = match flags {
        Some(f) if f & !libc::O_CLOEXEC != 0 || from == to => {
            set_errno(libc::EINVAL);
            return -1;
        }
        Some(f) => f & libc::O_CLOEXEC != 0,
        None => false,
    };
    if to < 0 {
        set_errno(libc::EBADF);
        return -1;
    }
    let src = by_fd(from);
    if from == to {
        // dup2 onto itself: only whether it is open.
        return match src {
            Some((h, k)) => ret(h
                .sys(netbsd_abi::SYS_fcntl, &[k as u64, libc::F_GETFD as u64, 0])
                .map(|_| i64::from(to))),
            None => host_dup2(from, to),
        };
    }
    let fdoff = h.cfg.fdoff;
    if state::OWN_HOST_FDS.has(to) {
        // Not the program's to replace, as it is not the program's to close.
        set_errno(libc::EBADF);
        return -1;
    }
    if to < fdoff {
        super::stdio::before_change(to);
        let r = dup_onto_low(h, src, from, to, flags, cloexec);
        super::stdio::after_change(to, h.low().contains(to));
        return r;
    }
    if to >= fdoff {
        // Onto a kernel number: only a kernel descriptor goes there, and
        // not onto one the program cannot close.
        let Some((_, k)) = src.filter(|_| !h.hidden(to - fdoff)) else {
            set_errno(libc::EBADF);
            return -1;
        };
        let (nr, args) = match flags {
            Some(_) => (
                netbsd_abi::SYS_dup3,
                vec![
                    k as u64,
                    (to - fdoff) as u64,
                    if cloexec {
                        netbsd_abi::O_CLOEXEC as u64
                    } else {
                        0
                    },
                ],
            ),
            None => (netbsd_abi::SYS_dup2, vec![k as u64, (to - fdoff) as u64]),
        };
        return ret(h.sys(nr, &args).map(|_| i64::from(to)));
    }
    unreachable!("every target is below or from fdoff")
}

/// `dup_onto` for a target below fdoff: a kernel source gets a kernel copy
/// under that number, a host source is the host's `dup2`/`dup3`.
fn dup_onto_low(
    h: &Hijack,
    src: Option<(&Hijack, i32)>,
    from: c_int,
    to: c_int,
    flags: Option<c_int>,
    cloexec: bool,
) -> c_int {
    match src {
        Some((_, k)) => {
            // A kernel descriptor under a low number: a copy of its own,
            // so that closing either leaves the other open.
            let copy = match h.sys(netbsd_abi::SYS_dup, &[k as u64]) {
                Ok(c) => c as i32,
                Err(e) => {
                    set_errno(e);
                    return -1;
                }
            };
            if cloexec {
                let _ = h.sys(
                    netbsd_abi::SYS_fcntl,
                    &[copy as u64, libc::F_SETFD as u64, 1],
                );
            }
            let had = h.low().contains(to);
            if !had {
                // Moved off the number before it becomes the kernel's.
                spare_connection(h, to);
                if let Err(e) = reserve(to) {
                    let _ = h.sys(netbsd_abi::SYS_close, &[copy as u64]);
                    set_errno(e);
                    return -1;
                }
            }
            let old = h.low().insert(to, copy);
            if let Some(o) = old {
                let _ = h.sys(netbsd_abi::SYS_close, &[o as u64]);
            }
            to
        }
        None => {
            // A bad source leaves the target as it was (POSIX).
            if host!(fcntl(from, libc::F_GETFD, 0) as fn(c_int, c_int, c_int) -> c_int) < 0 {
                return -1;
            }
            let old = h.low().remove(to);
            if let Some(o) = old {
                let _ = h.sys(netbsd_abi::SYS_close, &[o as u64]);
            } else {
                spare_connection(h, to);
            }
            match flags {
                Some(f) => host!(dup3(from, to, f) as fn(c_int, c_int, c_int) -> c_int),
                None => host_dup2(from, to),
            }
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn dup2(from: c_int, to: c_int) -> c_int {
    dup_onto(from, to, None)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn dup3(from: c_int, to: c_int, flags: c_int) -> c_int {
    dup_onto(from, to, Some(flags))
}

/// `fcntl` on a kernel descriptor.
fn rump_fcntl(h: &Hijack, k: i32, cmd: c_int, arg: c_ulong) -> c_int {
    let fdoff = h.cfg.fdoff as c_ulong;
    let Some(ncmd) = xlate::fcntl_cmd_to_netbsd(cmd) else {
        set_errno(libc::EINVAL);
        return -1;
    };
    let call = |a: u64| h.sys(netbsd_abi::SYS_fcntl, &[k as u64, ncmd as u64, a]);
    match cmd {
        libc::F_DUPFD | libc::F_DUPFD_CLOEXEC => {
            // Any kernel number is at least `arg` when `arg` is below fdoff.
            rump_fd(h, call(arg.saturating_sub(fdoff)))
        }
        libc::F_GETFL => ret(call(0).map(|f| i64::from(xlate::open_flags_to_linux(f as i32)))),
        libc::F_SETFL => {
            ret(xlate::open_flags_to_netbsd(arg as c_int).and_then(|f| call(f as u64)))
        }
        libc::F_GETLK | libc::F_SETLK | libc::F_SETLKW => {
            let p = arg as *mut libc::flock;
            let r = super::get(p).and_then(|l| {
                let mut b = Scratch(xlate::flock_to_netbsd(&l).to_vec());
                call(b.arg())?;
                if cmd == libc::F_GETLK {
                    let l = xlate::flock_from_netbsd(b.bytes()).ok_or(libc::EIO)?;
                    super::put(p, &l)?;
                }
                Ok(0)
            });
            ret(r)
        }
        _ => ret(call(arg)),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int {
    if let Some((h, k)) = by_fd(fd) {
        return rump_fcntl(h, k, cmd, arg);
    }
    if let Some(h) = state::get()
        && matches!(cmd, libc::F_DUPFD | libc::F_DUPFD_CLOEXEC)
    {
        if arg >= h.cfg.fdoff as c_ulong {
            set_errno(libc::EINVAL);
            return -1;
        }
        return host_fd(host!(
            fcntl(fd, cmd, arg) as fn(c_int, c_int, c_ulong) -> c_int
        ));
    }
    host!(fcntl(fd, cmd, arg) as fn(c_int, c_int, c_ulong) -> c_int)
}

alias!(fcntl64 => fcntl(fd: c_int, cmd: c_int, arg: c_ulong) -> c_int);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ioctl(fd: c_int, req: c_ulong, arg: *mut c_void) -> c_int {
    let Some((h, k)) = by_fd(fd) else {
        return host!(ioctl(fd, req, arg) as fn(c_int, c_ulong, *mut c_void) -> c_int);
    };
    let set_cloexec =
        |on: u64| ret0(h.sys(netbsd_abi::SYS_fcntl, &[k as u64, libc::F_SETFD as u64, on]));
    match req {
        libc::FIOCLEX => set_cloexec(1),
        libc::FIONCLEX => set_cloexec(0),
        // Both take an int, the same size on both systems.
        libc::FIONREAD => ret0(h.sys(
            netbsd_abi::SYS_ioctl,
            &[k as u64, netbsd_abi::FIONREAD, arg as u64],
        )),
        libc::FIONBIO => ret0(h.sys(
            netbsd_abi::SYS_ioctl,
            &[k as u64, netbsd_abi::FIONBIO, arg as u64],
        )),
        // Not a terminal, nor anything else this kernel's files answer to.
        _ => {
            set_errno(libc::ENOTTY);
            -1
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn isatty(fd: c_int) -> c_int {
    match by_fd(fd) {
        Some(_) => {
            set_errno(libc::ENOTTY);
            0
        }
        None => host!(isatty(fd) as fn(c_int) -> c_int),
    }
}

/// `flock(2)`: a kernel file's lock is the kernel's (NetBSD's, which meets
/// `fcntl` record locks). The operations are the same numbers on both
/// systems.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn flock(fd: c_int, op: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_flock, &[k as u64, op as u64])),
        None => host!(flock(fd, op) as fn(c_int, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fsync(fd: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_fsync, &[k as u64])),
        None => host!(fsync(fd) as fn(c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdatasync(fd: c_int) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_fdatasync, &[k as u64])),
        None => host!(fdatasync(fd) as fn(c_int) -> c_int),
    }
}

/// `sync(2)`: the kernel's file systems, then the host's. Neither can
/// say it failed (NetBSD's and Linux's `sync` return nothing).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sync() {
    if let Some(h) = state::get() {
        let _ = h.sys(netbsd_abi::SYS_sync, &[]);
    }
    host!(sync() as fn() -> ())
}

/// `syncfs(2)` on a kernel descriptor: NetBSD has no `syncfs`, and its
/// `sync(2)` writes every file system, the descriptor's among them.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn syncfs(fd: c_int) -> c_int {
    match by_fd(fd) {
        // EBADF for a descriptor that is not open, as Linux says.
        Some((h, k)) => ret0(
            h.sys(netbsd_abi::SYS_fcntl, &[k as u64, libc::F_GETFD as u64, 0])
                .and_then(|_| h.sys(netbsd_abi::SYS_sync, &[])),
        ),
        None => host!(syncfs(fd) as fn(c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ftruncate(fd: c_int, len: off_t) -> c_int {
    match by_fd(fd) {
        Some((h, k)) => ret0(h.sys(netbsd_abi::SYS_ftruncate, &[k as u64, 0, len as u64])),
        None => host!(ftruncate(fd, len) as fn(c_int, off_t) -> c_int),
    }
}

alias!(ftruncate64 => ftruncate(fd: c_int, len: off_t) -> c_int);

/// Advice is a hint the kernel may ignore (POSIX), and this one has no use
/// for it; what is checked is that the descriptor is open, and the advice
/// and range valid. Returns an error number, as `posix_fadvise` does.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn posix_fadvise(fd: c_int, off: off_t, len: off_t, advice: c_int) -> c_int {
    let Some((h, k)) = by_fd(fd) else {
        return host!(
            posix_fadvise(fd, off, len, advice) as fn(c_int, off_t, off_t, c_int) -> c_int
        );
    };
    if !(0..=5).contains(&advice) || len < 0 {
        return libc::EINVAL;
    }
    match h.sys(netbsd_abi::SYS_fcntl, &[k as u64, libc::F_GETFD as u64, 0]) {
        Ok(_) => 0,
        Err(e) => e,
    }
}

alias!(posix_fadvise64 => posix_fadvise(fd: c_int, off: off_t, len: off_t, advice: c_int,) -> c_int);

/// Between the kernel and anything else there is no shortcut: EXDEV tells
/// the program to copy by reading and writing, as between file systems.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn copy_file_range(
    fd_in: c_int,
    off_in: *mut i64,
    fd_out: c_int,
    off_out: *mut i64,
    len: size_t,
    flags: c_uint,
) -> ssize_t {
    if by_fd(fd_in).is_some() || by_fd(fd_out).is_some() {
        set_errno(libc::EXDEV);
        return -1;
    }
    host!(copy_file_range(fd_in, off_in, fd_out, off_out, len, flags)
        as fn(
            c_int,
            *mut i64,
            c_int,
            *mut i64,
            size_t,
            c_uint,
        ) -> ssize_t)
}

/// `sendfile` from or to a kernel descriptor is not offered: EINVAL, the
/// answer that makes programs fall back to reading and writing.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn sendfile(
    out: c_int,
    inp: c_int,
    off: *mut off_t,
    count: size_t,
) -> ssize_t {
    if by_fd(out).is_some() || by_fd(inp).is_some() {
        set_errno(libc::EINVAL);
        return -1;
    }
    host!(sendfile(out, inp, off, count) as fn(c_int, c_int, *mut off_t, size_t) -> ssize_t)
}

alias!(sendfile64 => sendfile(out: c_int, inp: c_int, off: *mut off_t, count: size_t,) -> ssize_t);
