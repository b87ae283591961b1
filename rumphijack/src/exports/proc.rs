//! Processes: `fork` and `vfork` (the child becomes a copy of the parent's
//! process in the kernel, through the client library's fork support), the
//! `exec` family (the connection, the descriptor map and the current
//! directory go on into the new program), and closing ranges of
//! descriptors.

use super::set_errno;
use crate::nr;
use crate::route::LOWFDS_ENV;
use crate::state::{self, EXECFD_ENV, Hijack, PARSEDSERVER_ENV, PWD_ENV};
use libc::{c_char, c_int, c_uint, pid_t};
use rumpclient::Client;
use std::ffi::{CStr, CString};
use std::sync::Arc;

type CStrP = *const c_char;

unsafe extern "C" {
    static environ: *const CStrP;
}

fn host_fork() -> pid_t {
    host!(fork() as fn() -> pid_t)
}

/// In a new child: the process in the kernel the parent prepared with
/// `cookie` becomes this one's, over a connection of its own.
fn attach_child(h: &Hijack, slot: &mut Arc<Client>, cookie: [u8; sysproxy::payload::COOKIE_LEN]) {
    let old_fd = state::connection_fd();
    match Client::connect_forked_placed(&h.url, cookie, state::place_connection) {
        Ok(c) => {
            let old = std::mem::replace(slot, Arc::new(c));
            // The parent's connection is the parent's: let go of the copy,
            // even if a thread that does not exist here held a reference.
            match Arc::try_unwrap(old) {
                Ok(c) => drop(c),
                Err(shared) => {
                    std::mem::forget(shared);
                    host!(close(old_fd) as fn(c_int) -> c_int);
                }
            }
        }
        Err(e) => crate::die(&format!("rumpclient fork init: {e}")),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fork() -> pid_t {
    let Some(h) = state::get() else {
        return host_fork();
    };
    // Held across the fork, so the child finds the slot as it was.
    let mut slot = h.client_slot();
    let cookie = match slot.prefork() {
        Ok(c) => c,
        Err(e) => {
            set_errno(crate::xlate::errno_to_linux(e.0));
            return -1;
        }
    };
    let pid = host_fork();
    if pid == 0 {
        attach_child(h, &mut slot, cookie);
    }
    // A fork that failed leaves a prepared copy in the server, which it
    // drops when the cookie is never used (NetBSD's client does the same).
    pid
}

/// The child of `vfork` may do anything a child of `fork` may, so a fork
/// it is: a child sharing the parent's memory would also share its
/// connection.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vfork() -> pid_t {
    // SAFETY: fork as above.
    unsafe { fork() }
}

/// The C strings of a NULL-terminated array.
fn strings(mut p: *const CStrP) -> Vec<CStrP> {
    let mut v = Vec::new();
    if p.is_null() {
        return v;
    }
    loop {
        // SAFETY: the program passed a NULL-terminated array, as execve asks.
        let s = unsafe { *p };
        if s.is_null() {
            return v;
        }
        v.push(s);
        // SAFETY: within the array, which goes on up to its NULL.
        p = unsafe { p.add(1) };
    }
}

/// The environment for the new program: the program's, without what an
/// earlier image handed on, with what this one hands on.
fn exec_env(h: &Hijack, envp: *const CStrP, conn: c_int) -> (Vec<CString>, Vec<CStrP>) {
    let ours = [EXECFD_ENV, LOWFDS_ENV, PWD_ENV, PARSEDSERVER_ENV];
    let mut added = vec![
        format!("{EXECFD_ENV}={conn},-1"),
        format!("{PARSEDSERVER_ENV}={}", h.url),
        format!("{LOWFDS_ENV}={}", h.low().encode()),
    ];
    if h.cwd_in_rump() {
        added.push(format!("{PWD_ENV}=true"));
    }
    let added: Vec<CString> = added
        .into_iter()
        .filter_map(|s| CString::new(s).ok())
        .collect();
    let mut ptrs: Vec<CStrP> = strings(envp)
        .into_iter()
        .filter(|&s| {
            // SAFETY: an environment string of the program's, NUL-terminated.
            let b = unsafe { CStr::from_ptr(s) }.to_bytes();
            !ours
                .iter()
                .any(|n| b.starts_with(n.as_bytes()) && b.get(n.len()) == Some(&b'='))
        })
        .collect();
    ptrs.extend(added.iter().map(|s| s.as_ptr()));
    ptrs.push(std::ptr::null());
    (added, ptrs)
}

/// Low descriptors whose kernel descriptor closes on exec lose their
/// number now, so the new program does not inherit a stale one.
fn drop_cloexec_low_fds(h: &Hijack) {
    let entries: Vec<(i32, i32)> = h.low().entries().collect();
    for (fd, k) in entries {
        if h.sys(nr::FCNTL, &[k as u64, libc::F_GETFD as u64, 0])
            .unwrap_or(1)
            & 1
            != 0
        {
            h.low().remove(fd);
            host!(close(fd) as fn(c_int) -> c_int);
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execve(path: CStrP, argv: *const CStrP, envp: *const CStrP) -> c_int {
    let Some(h) = state::get() else {
        return host!(execve(path, argv, envp) as fn(CStrP, *const CStrP, *const CStrP) -> c_int);
    };
    drop_cloexec_low_fds(h);
    let conn = state::connection_fd();
    let (_keep, env) = exec_env(h, envp, conn);
    let setfd = |v: c_int| {
        host!(fcntl(conn, libc::F_SETFD, v as libc::c_ulong)
            as fn(c_int, c_int, libc::c_ulong) -> c_int)
    };
    setfd(0);
    let r =
        host!(execve(path, argv, env.as_ptr()) as fn(CStrP, *const CStrP, *const CStrP) -> c_int);
    // Still here: the exec failed, and the connection stays this program's.
    // SAFETY: errno of this thread, kept across the fcntl.
    let err = unsafe { *libc::__errno_location() };
    setfd(libc::FD_CLOEXEC);
    set_errno(err);
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execv(path: CStrP, argv: *const CStrP) -> c_int {
    // SAFETY: the program's arguments, with its environment.
    unsafe { execve(path, argv, environ) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvp(file: CStrP, argv: *const CStrP) -> c_int {
    // SAFETY: the program's arguments, with its environment.
    unsafe { execvpe(file, argv, environ) }
}

/// `execvpe` as glibc does it (its own goes straight to the kernel, past
/// this library): a name without `/` is looked for along PATH, a file
/// without a known format is run by `/bin/sh`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn execvpe(file: CStrP, argv: *const CStrP, envp: *const CStrP) -> c_int {
    if file.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    // SAFETY: the program's NUL-terminated file name.
    let name = unsafe { CStr::from_ptr(file) }.to_bytes().to_vec();
    if name.is_empty() {
        set_errno(libc::ENOENT);
        return -1;
    }
    let try_one = |path: &CStr| -> c_int {
        // SAFETY: a NUL-terminated path and the program's arrays.
        let r = unsafe { execve(path.as_ptr(), argv, envp) };
        // SAFETY: this thread's errno.
        if r < 0 && unsafe { *libc::__errno_location() } == libc::ENOEXEC {
            let mut args = vec![c"/bin/sh".as_ptr(), path.as_ptr()];
            args.extend(strings(argv).into_iter().skip(1));
            args.push(std::ptr::null());
            // SAFETY: a NULL-terminated array of NUL-terminated strings.
            unsafe { execve(c"/bin/sh".as_ptr(), args.as_ptr(), envp) };
        }
        -1
    };
    if name.contains(&b'/') {
        let Ok(p) = CString::new(name) else {
            set_errno(libc::ENOENT);
            return -1;
        };
        return try_one(&p);
    }
    let path = std::env::var_os("PATH")
        .map(std::os::unix::ffi::OsStringExt::into_vec)
        .unwrap_or_else(|| b"/bin:/usr/bin".to_vec());
    let mut saw_eacces = false;
    for dir in path.split(|&b| b == b':') {
        let mut full = if dir.is_empty() {
            b".".to_vec()
        } else {
            dir.to_vec()
        };
        full.push(b'/');
        full.extend_from_slice(&name);
        let Ok(p) = CString::new(full) else { continue };
        try_one(&p);
        // SAFETY: this thread's errno.
        match unsafe { *libc::__errno_location() } {
            libc::EACCES => saw_eacces = true,
            libc::ENOENT | libc::ENOTDIR | libc::ESTALE | libc::ENODEV | libc::ETIMEDOUT => {}
            _ => return -1,
        }
    }
    set_errno(if saw_eacces {
        libc::EACCES
    } else {
        libc::ENOENT
    });
    -1
}

/// Close host descriptors `first..=last` except the connection's, and the
/// kernel descriptors with numbers in the range.
fn close_all(h: &Hijack, first: c_uint, last: c_uint, flags: c_uint) -> c_int {
    let fdoff = h.cfg.fdoff as c_uint;
    let host_range = |a: c_uint, b: c_uint| -> c_int {
        if a > b {
            return 0;
        }
        host!(close_range(a, b, flags as c_int) as fn(c_uint, c_uint, c_int) -> c_int)
    };
    if flags & !(libc::CLOSE_RANGE_CLOEXEC | libc::CLOSE_RANGE_UNSHARE) != 0 || first > last {
        set_errno(libc::EINVAL);
        return -1;
    }
    let cloexec = flags & libc::CLOSE_RANGE_CLOEXEC != 0;
    // Low numbers of kernel descriptors: as the program's close would.
    let low: Vec<(i32, i32)> = h
        .low()
        .entries()
        .filter(|&(fd, _)| (first..=last).contains(&(fd as c_uint)))
        .collect();
    for (fd, k) in low {
        if cloexec {
            let _ = h.sys(nr::FCNTL, &[k as u64, libc::F_SETFD as u64, 1]);
        } else {
            // SAFETY: closing the program's own descriptor as it asked.
            unsafe { super::fd::close(fd) };
        }
    }
    let conn = state::connection_fd() as c_uint;
    let host_last = last.min(fdoff.saturating_sub(1));
    let r = if (first..=host_last).contains(&conn) {
        host_range(first, conn.saturating_sub(1)).min(host_range(conn + 1, host_last))
    } else {
        host_range(first, host_last)
    };
    if r < 0 {
        return r;
    }
    if last >= fdoff {
        let lo = (first.max(fdoff) - fdoff) as u64;
        if cloexec {
            let hi = (last - fdoff).min(4095) as u64;
            for k in lo..=hi {
                let _ = h.sys(nr::FCNTL, &[k, libc::F_SETFD as u64, 1]);
            }
        } else if last - fdoff >= OPEN_ENDED {
            // To the end (callers pass ~0 or INT_MAX): NetBSD's F_CLOSEM,
            // every descriptor from `lo` up, in one call.
            let _ = h.sys(nr::FCNTL, &[lo, F_CLOSEM_NETBSD, 0]);
        } else {
            for k in lo..=u64::from(last - fdoff) {
                let _ = h.sys(nr::CLOSE, &[k]);
            }
        }
    }
    0
}

/// A range of kernel numbers this long counts as "to the end": the kernel
/// has no descriptor numbers that high.
const OPEN_ENDED: c_uint = 1 << 20;

/// NetBSD's `F_CLOSEM`.
const F_CLOSEM_NETBSD: u64 = 10;

#[unsafe(no_mangle)]
pub unsafe extern "C" fn close_range(first: c_uint, last: c_uint, flags: c_int) -> c_int {
    match state::get() {
        Some(h) => close_all(h, first, last, flags as c_uint),
        None => host!(close_range(first, last, flags) as fn(c_uint, c_uint, c_int) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn closefrom(lowfd: c_int) {
    match state::get() {
        Some(h) => {
            close_all(h, lowfd.max(0) as c_uint, c_uint::MAX, 0);
        }
        None => host!(closefrom(lowfd) as fn(c_int) -> ()),
    }
}
