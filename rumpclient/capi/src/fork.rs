//! Forking a client: `rumpclient_prefork` asks the server to copy this
//! process in the kernel and holds the cookie that names the copy; after
//! the host's fork the child's `rumpclient_fork_init` connects with that
//! cookie and becomes the copy (same descriptors, a new pid), while the
//! parent goes on as before. `rumpclient_fork` and `rumpclient_daemon` do
//! the three steps, as NetBSD's library does.

use crate::call::{errno, set_errno};
use crate::connection;
use rumpclient::Client;
use std::sync::Arc;
use sysproxy::payload::COOKIE_LEN;

/// `struct rumpclient_fork`: what the child needs to attach, and the
/// parent's connection for a `vfork` parent to take back. As NetBSD's, it
/// is not freed (a vfork child and its parent share it).
pub struct ForkHandle {
    cookie: [u8; COOKIE_LEN],
    parent: Arc<Client>,
}

/// Ask the server to copy this process for a child about to be forked.
/// NULL with `errno` set on failure.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_prefork() -> *mut ForkHandle {
    let made = connection::current().and_then(|c| Ok((c.prefork()?, c)));
    match made {
        Ok((cookie, parent)) => Box::into_raw(Box::new(ForkHandle { cookie, parent })),
        Err(e) => {
            set_errno(e.0);
            std::ptr::null_mut()
        }
    }
}

/// The handle behind `rpf`, or EINVAL for NULL.
fn handle<'a>(rpf: *mut ForkHandle) -> Option<&'a ForkHandle> {
    // SAFETY: a non-NULL `rpf` came from `rumpclient_prefork`, which never
    // frees what it hands out.
    unsafe { rpf.as_ref() }
}

/// In the child of a fork: become the process the parent's prefork made.
/// 0, or -1 with `errno` set.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_fork_init(rpf: *mut ForkHandle) -> libc::c_int {
    let Some(h) = handle(rpf) else {
        set_errno(libc::EINVAL);
        return -1;
    };
    let url = h.parent.url().to_string();
    match Client::connect_forked(&url, h.cookie) {
        Ok(c) => {
            let old_fd = h.parent.connection_fd();
            // The parent's connection is the parent's: this copy of its
            // descriptor goes. The client itself stays (the handle holds
            // it, and a vfork parent takes it back).
            drop(connection::install(c));
            // SAFETY: closing this process's copy of the parent's
            // connection, which nothing here uses any longer.
            unsafe { libc::close(old_fd) };
            0
        }
        Err(e) => {
            eprintln!("rumpclient_fork_init: {e}");
            set_errno(libc::ECONNREFUSED);
            -1
        }
    }
}

/// The fork did not happen: the server lets go of the copy it made.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_fork_cancel(rpf: *mut ForkHandle) {
    if let Some(h) = handle(rpf) {
        let e = errno();
        let _ = Client::cancel_fork(&h.parent.url().to_string(), h.cookie);
        set_errno(e);
    }
}

/// In a `vfork` parent whose child has run: the parent's connection is
/// the program's again (the child replaced it in the shared memory).
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_fork_vparent(rpf: *mut ForkHandle) {
    if let Some(h) = handle(rpf) {
        connection::restore(h.parent.clone());
    }
}

/// `fork(2)` for a client: the child is a copy of this process in the
/// kernel too. As `fork`: the child's pid, 0 in the child, -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_fork() -> libc::pid_t {
    let rpf = rumpclient_prefork();
    if rpf.is_null() {
        return -1;
    }
    // SAFETY: the host's fork; the child only reconnects before returning.
    match unsafe { libc::fork() } {
        -1 => {
            let e = errno();
            rumpclient_fork_cancel(rpf);
            set_errno(e);
            -1
        }
        0 if rumpclient_fork_init(rpf) == -1 => -1,
        pid => pid,
    }
}

/// `daemon(3)` for a client: the parent exits, the child goes on in a new
/// session as a copy of the process in the kernel. 0 in the daemon, -1 with
/// `errno` set on failure.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_daemon(nochdir: libc::c_int, noclose: libc::c_int) -> libc::c_int {
    let rpf = rumpclient_prefork();
    if rpf.is_null() {
        return -1;
    }
    // SAFETY: the host's fork; the parent leaves at once.
    match unsafe { libc::fork() } {
        0 => {}
        -1 => return cancelled(rpf),
        // SAFETY: the parent's work is done; `_exit` as daemon(3) does.
        _ => unsafe { libc::_exit(0) },
    }
    // SAFETY: plain host calls on this process with constant arguments.
    if unsafe { libc::setsid() } == -1
        || (nochdir == 0 && unsafe { libc::chdir(c"/".as_ptr()) } == -1)
    {
        return cancelled(rpf);
    }
    if noclose == 0 {
        // SAFETY: opening /dev/null and moving it onto the standard
        // descriptors, as daemon(3) does.
        unsafe {
            let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            if fd >= 0 {
                for std_fd in 0..3 {
                    libc::dup2(fd, std_fd);
                }
                if fd > 2 {
                    libc::close(fd);
                }
            }
        }
    }
    rumpclient_fork_init(rpf)
}

fn cancelled(rpf: *mut ForkHandle) -> libc::c_int {
    let e = errno();
    rumpclient_fork_cancel(rpf);
    set_errno(e);
    -1
}
