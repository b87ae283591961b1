//! `rumpclient_exec`: the program execs another that goes on as the same
//! process in the kernel. The connection's descriptor stays open across
//! the exec and its number goes in the environment (NetBSD's
//! `RUMPCLIENT__EXECFD=fd,holyfd`, which NetBSD's library reads as ours
//! does), so the new program's `rumpclient_init` takes it up with an EXEC
//! handshake.

use crate::call::{errno, set_errno};
use crate::connection;
use rumpclient::{Client, ConnectError, EXECFD_ENV, ExecEnv, parse_exec_fd};
use std::ffi::{CStr, c_char};
use std::os::fd::{FromRawFd, OwnedFd};

type CStrP = *const c_char;

/// The connection an earlier program image handed on, if this one was
/// started by `rumpclient_exec`. The variable is consumed (NetBSD unsets
/// it), so that programs this one starts do not see it.
pub fn inherited_connection() -> Option<OwnedFd> {
    let v = std::env::var(EXECFD_ENV).ok()?;
    // SAFETY: changing the environment during init, before this library
    // starts threads; the program's own threads are its business, as with
    // NetBSD's unsetenv here.
    unsafe { std::env::remove_var(EXECFD_ENV) };
    let fd = parse_exec_fd(&v)?;
    // SAFETY: the descriptor was the earlier image's connection, left open
    // across exec for this library alone; it is owned from here on.
    Some(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Resume the connection `fd` to `url` under this program's name.
pub fn resume(url: &str, fd: OwnedFd) -> Result<Client, ConnectError> {
    let name = std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    Client::resume_after_exec(url, fd, &name, |fd| fd)
}

/// The NULL-terminated array at `p` (none if `p` is NULL).
fn strings(p: *const CStrP) -> Vec<CStrP> {
    let mut out = Vec::new();
    if p.is_null() {
        return out;
    }
    loop {
        // SAFETY: the caller's NULL-terminated array, read up to its NULL.
        let s = unsafe { *p.add(out.len()) };
        if s.is_null() {
            return out;
        }
        out.push(s);
    }
}

/// `execve(path, argv, envp)` with the connection handed on to the new
/// program. Returns only on failure: -1 with `errno` set.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_exec(
    path: CStrP,
    argv: *const CStrP,
    envp: *const CStrP,
) -> libc::c_int {
    let Ok(c) = connection::current() else {
        // Nothing to hand on: a plain exec.
        // SAFETY: the caller's arguments, passed through unchanged.
        return unsafe { libc::execve(path, argv, envp) };
    };
    let conn = c.connection_fd();
    let handed_on = ExecEnv::new(conn, c.url());
    let env = handed_on.pointers(strings(envp).into_iter().map(|s| {
        // SAFETY: an environment string of the caller's, NUL-terminated.
        unsafe { CStr::from_ptr(s) }
    }));
    // SAFETY: fcntl on the connection's descriptor, which this library owns.
    unsafe { libc::fcntl(conn, libc::F_SETFD, 0) };
    // SAFETY: the caller's path and arguments, and an environment array of
    // NUL-terminated strings that live until the call returns.
    let r = unsafe { libc::execve(path, argv, env.as_ptr()) };
    // Still here: the exec failed, and the connection stays this program's.
    let err = errno();
    // SAFETY: as above.
    unsafe { libc::fcntl(conn, libc::F_SETFD, libc::FD_CLOEXEC) };
    set_errno(err);
    r
}
