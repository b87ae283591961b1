//! `poll`, `ppoll`, `select` and `pselect` over host and kernel
//! descriptors, mixed as the program likes.
//!
//! All host: the host's call. All kernel: the kernel's `poll`. Mixed: the
//! kernel is asked without waiting, then the host waits up to a slice of
//! the time, in turns, until something is ready or the time is up; the
//! kernel itself re-checks its files at that same pace.

use super::{by_fd, set_errno};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_int, nfds_t, pollfd};
use std::time::{Duration, Instant};

/// How long the host waits at a time when kernel descriptors are polled too.
const SLICE: Duration = Duration::from_millis(10);

fn host_poll(fds: &mut [pollfd], timeout: c_int) -> c_int {
    host!(poll(fds.as_mut_ptr(), fds.len() as nfds_t, timeout)
        as fn(*mut pollfd, nfds_t, c_int) -> c_int)
}

/// Poll kernel descriptors (`fd` fields are kernel numbers); events in
/// Linux values both ways.
fn rump_poll(h: &Hijack, fds: &mut [pollfd], timeout: c_int) -> Result<c_int, i32> {
    let mut nb: Vec<pollfd> = fds
        .iter()
        .map(|p| pollfd {
            fd: p.fd,
            events: xlate::poll_events_to_netbsd(p.events),
            revents: 0,
        })
        .collect();
    // `struct pollfd` has the same layout on both systems.
    let n = h.sys(
        netbsd_abi::SYS_poll,
        &[
            nb.as_mut_ptr() as u64,
            nb.len() as u64,
            timeout as i64 as u64,
        ],
    )?;
    for (p, q) in fds.iter_mut().zip(&nb) {
        p.revents = xlate::poll_events_to_linux(q.revents);
    }
    Ok(n as c_int)
}

/// Poll the program's descriptors, routed; `timeout` in milliseconds, negative for ever.
pub(crate) fn poll_fds(fds: &mut [pollfd], timeout: c_int) -> c_int {
    let Some(h) = state::get() else {
        return host_poll(fds, timeout);
    };
    // Kernel numbers where they are the kernel's; -1 (ignored) in the other set.
    let mut host_set: Vec<pollfd> = Vec::with_capacity(fds.len());
    let mut rump_set: Vec<pollfd> = Vec::with_capacity(fds.len());
    let (mut any_host, mut any_rump) = (false, false);
    for p in fds.iter() {
        let (hfd, rfd) = match by_fd(p.fd) {
            _ if p.fd < 0 => (-1, -1),
            Some((_, k)) => {
                any_rump = true;
                (-1, k)
            }
            None => {
                any_host = true;
                (p.fd, -1)
            }
        };
        host_set.push(pollfd {
            fd: hfd,
            events: p.events,
            revents: 0,
        });
        rump_set.push(pollfd {
            fd: rfd,
            events: p.events,
            revents: 0,
        });
    }
    if !any_rump {
        return host_poll(fds, timeout);
    }
    if !any_host {
        let r = rump_poll(h, &mut rump_set, timeout);
        for (p, q) in fds.iter_mut().zip(&rump_set) {
            p.revents = if p.fd < 0 { 0 } else { q.revents };
        }
        return super::ret(r.map(i64::from));
    }
    let deadline = (timeout >= 0).then(|| Instant::now() + Duration::from_millis(timeout as u64));
    loop {
        let n = match rump_poll(h, &mut rump_set, 0) {
            Ok(n) => n,
            Err(e) => {
                set_errno(e);
                return -1;
            }
        };
        let wait = match deadline {
            _ if n > 0 => 0,
            Some(d) => d
                .saturating_duration_since(Instant::now())
                .min(SLICE)
                .as_millis() as c_int,
            None => SLICE.as_millis() as c_int,
        };
        let m = host_poll(&mut host_set, wait);
        if m < 0 {
            return m;
        }
        if n + m > 0 || deadline.is_some_and(|d| Instant::now() >= d) {
            for (i, p) in fds.iter_mut().enumerate() {
                p.revents = host_set[i].revents | rump_set[i].revents;
            }
            return n + m;
        }
    }
}

/// The program's pollfd array.
fn pollfds<'a>(fds: *mut pollfd, n: nfds_t) -> Option<&'a mut [pollfd]> {
    if n == 0 {
        return Some(&mut []);
    }
    if fds.is_null() {
        return None;
    }
    // SAFETY: the program passed `n` pollfds at `fds`, as poll asks.
    Some(unsafe { std::slice::from_raw_parts_mut(fds, n as usize) })
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn poll(fds: *mut pollfd, n: nfds_t, timeout: c_int) -> c_int {
    if state::get().is_none() {
        return host!(poll(fds, n, timeout) as fn(*mut pollfd, nfds_t, c_int) -> c_int);
    }
    match pollfds(fds, n) {
        Some(f) => poll_fds(f, timeout),
        None => super::ret(Err(libc::EFAULT)),
    }
}

/// Milliseconds of a timespec, rounded up; negative for NULL.
fn ms_of(ts: Option<libc::timespec>) -> Result<c_int, i32> {
    match ts {
        None => Ok(-1),
        Some(t) if t.tv_sec < 0 || !(0..1_000_000_000).contains(&t.tv_nsec) => Err(libc::EINVAL),
        Some(t) => {
            let ms = t
                .tv_sec
                .saturating_mul(1000)
                .saturating_add((t.tv_nsec + 999_999) / 1_000_000);
            Ok(ms.min(c_int::MAX as i64) as c_int)
        }
    }
}

/// Run `f` with the signal mask `mask` (if any) in place, as ppoll and
/// pselect do for their wait.
pub(crate) fn with_sigmask<R>(mask: *const libc::sigset_t, f: impl FnOnce() -> R) -> R {
    if mask.is_null() {
        return f();
    }
    // SAFETY: sigset_t is plain data; the program's mask is read whole.
    let mut old: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: the program's mask pointer, and a local for the old one.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, mask, &mut old) };
    let r = f();
    // SAFETY: restoring the mask saved above.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut()) };
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn ppoll(
    fds: *mut pollfd,
    n: nfds_t,
    ts: *const libc::timespec,
    mask: *const libc::sigset_t,
) -> c_int {
    let host = || {
        host!(ppoll(fds, n, ts, mask)
            as fn(
                *mut pollfd,
                nfds_t,
                *const libc::timespec,
                *const libc::sigset_t,
            ) -> c_int)
    };
    let Some(f) = pollfds(fds, n) else {
        return host();
    };
    if state::get().is_none() || f.iter().all(|p| by_fd(p.fd).is_none()) {
        return host();
    }
    let t = if ts.is_null() {
        Ok(None)
    } else {
        super::get(ts).map(Some)
    };
    match t.and_then(ms_of) {
        Ok(ms) => with_sigmask(mask, || poll_fds(f, ms)),
        Err(e) => super::ret(Err(e)),
    }
}

/// Bits of an `fd_set`, read and written as plain memory.
fn fdset_has(s: *const libc::fd_set, fd: c_int) -> bool {
    // SAFETY: FD_ISSET on the program's set, for fd below FD_SETSIZE.
    !s.is_null() && unsafe { libc::FD_ISSET(fd, s) }
}

/// `select` as `poll`: the sets become pollfds and back.
fn select_as_poll(
    nfds: c_int,
    r: *mut libc::fd_set,
    w: *mut libc::fd_set,
    e: *mut libc::fd_set,
    ms: c_int,
) -> c_int {
    if !(0..=libc::FD_SETSIZE as c_int).contains(&nfds) {
        set_errno(libc::EINVAL);
        return -1;
    }
    let mut fds = Vec::new();
    for fd in 0..nfds {
        let mut ev = 0;
        if fdset_has(r, fd) {
            ev |= libc::POLLIN;
        }
        if fdset_has(w, fd) {
            ev |= libc::POLLOUT;
        }
        if fdset_has(e, fd) {
            ev |= libc::POLLPRI;
        }
        if ev != 0 {
            fds.push(pollfd {
                fd,
                events: ev,
                revents: 0,
            });
        }
    }
    let n = poll_fds(&mut fds, ms);
    if n < 0 {
        return n;
    }
    if fds.iter().any(|p| p.revents & libc::POLLNVAL != 0) {
        set_errno(libc::EBADF);
        return -1;
    }
    for s in [r, w, e] {
        if !s.is_null() {
            // SAFETY: clearing the program's set before filling it in.
            unsafe { libc::FD_ZERO(s) };
        }
    }
    let mut count = 0;
    let mut set = |s: *mut libc::fd_set, fd: c_int| {
        if !s.is_null() {
            // SAFETY: fd is below nfds, itself at most FD_SETSIZE.
            unsafe { libc::FD_SET(fd, s) };
            count += 1;
        }
    };
    for p in &fds {
        let bad = p.revents & (libc::POLLERR | libc::POLLHUP) != 0;
        if p.events & libc::POLLIN != 0 && (p.revents & libc::POLLIN != 0 || bad) {
            set(r, p.fd);
        }
        if p.events & libc::POLLOUT != 0
            && (p.revents & libc::POLLOUT != 0 || p.revents & libc::POLLERR != 0)
        {
            set(w, p.fd);
        }
        if p.events & libc::POLLPRI != 0 && p.revents & libc::POLLPRI != 0 {
            set(e, p.fd);
        }
    }
    count
}

/// Whether any descriptor below `nfds` in the sets is the kernel's.
fn sets_have_rump(nfds: c_int, sets: [*const libc::fd_set; 3]) -> bool {
    state::get().is_some()
        && (0..nfds.clamp(0, libc::FD_SETSIZE as c_int))
            .any(|fd| sets.iter().any(|&s| fdset_has(s, fd)) && by_fd(fd).is_some())
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn select(
    nfds: c_int,
    r: *mut libc::fd_set,
    w: *mut libc::fd_set,
    e: *mut libc::fd_set,
    tv: *mut libc::timeval,
) -> c_int {
    if !sets_have_rump(nfds, [r, w, e]) {
        return host!(select(nfds, r, w, e, tv)
            as fn(
                c_int,
                *mut libc::fd_set,
                *mut libc::fd_set,
                *mut libc::fd_set,
                *mut libc::timeval,
            ) -> c_int);
    }
    let t = if tv.is_null() {
        Ok(None)
    } else {
        super::get(tv).and_then(|t| {
            if t.tv_usec < 0 || t.tv_usec >= 1_000_000 {
                Err(libc::EINVAL)
            } else {
                Ok(Some(libc::timespec {
                    tv_sec: t.tv_sec,
                    tv_nsec: t.tv_usec * 1000,
                }))
            }
        })
    };
    match t.and_then(ms_of) {
        Ok(ms) => select_as_poll(nfds, r, w, e, ms),
        Err(err) => super::ret(Err(err)),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn pselect(
    nfds: c_int,
    r: *mut libc::fd_set,
    w: *mut libc::fd_set,
    e: *mut libc::fd_set,
    ts: *const libc::timespec,
    mask: *const libc::sigset_t,
) -> c_int {
    if !sets_have_rump(nfds, [r, w, e]) {
        return host!(pselect(nfds, r, w, e, ts, mask)
            as fn(
                c_int,
                *mut libc::fd_set,
                *mut libc::fd_set,
                *mut libc::fd_set,
                *const libc::timespec,
                *const libc::sigset_t,
            ) -> c_int);
    }
    let t = if ts.is_null() {
        Ok(None)
    } else {
        super::get(ts).map(Some)
    };
    match t.and_then(ms_of) {
        Ok(ms) => with_sigmask(mask, || select_as_poll(nfds, r, w, e, ms)),
        Err(err) => super::ret(Err(err)),
    }
}
