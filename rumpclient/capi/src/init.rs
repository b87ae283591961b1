//! `rumpclient_init`, `rumpclient_syscall`, `rumpclient_setconnretry` and
//! `rumpclient__closenotify`.

use crate::call::set_errno;
use crate::connection::{self, server_url};
use crate::exec;
use netbsd_abi::Errno;
use rumpclient::{Client, ConnectError, ProcessMemory, Retry};

/// `rumpclient_setconnretry`'s keywords (NetBSD's `rumpclient.h`).
const RETRYCONN_INFTIME: libc::time_t = -1;
const RETRYCONN_ONCE: libc::time_t = -2;
const RETRYCONN_DIE: libc::time_t = -3;

/// `enum rumpclient_closevariant` (NetBSD's `rumpclient.h`).
const CLOSE_CLOSE: libc::c_int = 0;
const CLOSE_DUP2: libc::c_int = 1;
const CLOSE_FCLOSEM: libc::c_int = 2;

/// The errno a failed connection leaves, as NetBSD's library sets it.
fn connect_errno(e: &ConnectError) -> i32 {
    match e {
        ConnectError::NotSet => libc::ENOENT,
        ConnectError::Url(_) => libc::EINVAL,
        ConnectError::Io(io) => io.raw_os_error().unwrap_or(libc::ECONNREFUSED),
        ConnectError::Refused(sp) => sp.errno(),
        ConnectError::Declined(_) | ConnectError::Key(_) => libc::EACCES,
    }
}

/// Connect to the server of `RUMP__PARSEDSERVER` or `RUMP_SERVER` as a
/// new process in its kernel, or, in a program just exec'd by
/// `rumpclient_exec`, take up the connection the program before it held.
/// 0 on success (and at once if this process is connected already); -1
/// with `errno` set otherwise.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_init() -> libc::c_int {
    if connection::connected_here() {
        return 0;
    }
    let Some(url) = server_url() else {
        eprintln!("error: RUMP_SERVER not set");
        set_errno(libc::ENOENT);
        return -1;
    };
    let made = match exec::inherited_connection() {
        Some(fd) => exec::resume(&url, fd),
        None => Client::connect(&url),
    };
    match made {
        Ok(c) => {
            connection::install(c);
            0
        }
        Err(e) => {
            if matches!(e, ConnectError::Declined(_) | ConnectError::Key(_)) {
                eprintln!("rumpclient: {e}");
            }
            set_errno(connect_errno(&e));
            -1
        }
    }
}

/// Make system call `sysnum` with the argument block `data` of `dlen`
/// bytes (NetBSD's `struct sys_*_args`: register-sized slots) and store
/// the two return registers in `retval`. Returns 0 or the error number
/// (the kernel's, or EINVAL for a block that is not whole slots).
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_syscall(
    sysnum: libc::c_int,
    data: *const libc::c_void,
    dlen: libc::size_t,
    retval: *mut i64,
) -> libc::c_int {
    let slot = std::mem::size_of::<u64>();
    if !dlen.is_multiple_of(slot) || dlen > sysproxy::payload::MAX_ARGS * slot {
        return Errno::EINVAL.0;
    }
    let Some(block) = rumpclient::ClientMemory::read(&ProcessMemory, data as u64, dlen) else {
        return Errno::EFAULT.0;
    };
    let args: Vec<u64> = block
        .chunks_exact(slot)
        .map(|c| u64::from_ne_bytes(c.try_into().unwrap_or_default()))
        .collect();
    let nr = usize::try_from(sysnum).unwrap_or(usize::MAX);
    match crate::call::syscall(nr, &args) {
        Ok(rv) => {
            let bytes: Vec<u8> = rv.iter().flat_map(|v| v.to_ne_bytes()).collect();
            if retval.is_null()
                || rumpclient::ClientMemory::write(&ProcessMemory, retval as u64, &bytes)
            {
                0
            } else {
                Errno::EFAULT.0
            }
        }
        Err(e) => e.0,
    }
}

/// What a lost connection does: reconnect for up to `timeout` seconds,
/// or `RUMPCLIENT_RETRYCONN_INFTIME` (for ever), `_ONCE` (one attempt) or
/// `_DIE` (exit the program); 0 fails the call with ENOTCONN. Values
/// below `_DIE` are ignored, as NetBSD's library ignores them.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient_setconnretry(timeout: libc::time_t) {
    let policy = match timeout {
        RETRYCONN_INFTIME => Retry::Forever,
        RETRYCONN_ONCE => Retry::Once,
        RETRYCONN_DIE => Retry::Die,
        0 => Retry::Never,
        n if n > 0 => Retry::Seconds(n as u64),
        _ => return,
    };
    connection::set_retry(policy);
}

/// The program is about to close descriptor `*fdp` (or `dup2` over it, or
/// close every descriptor from `*fdp` up): the connection moves out of the
/// way first. For `RUMPCLIENT_CLOSE_FCLOSEM` the descriptors from `*fdp`
/// to the connection's are closed here, the connection's skipped, and
/// `*fdp` is left at the first one the caller still has to close.
#[unsafe(no_mangle)]
pub extern "C" fn rumpclient__closenotify(
    fdp: *mut libc::c_int,
    variant: libc::c_int,
) -> libc::c_int {
    let mem = ProcessMemory;
    let Some(raw) = rumpclient::ClientMemory::read(&mem, fdp as u64, 4) else {
        set_errno(libc::EFAULT);
        return -1;
    };
    let fd = i32::from_ne_bytes(raw.try_into().unwrap_or_default());
    let Ok(c) = connection::current() else {
        return 0;
    };
    let conn = c.connection_fd();
    match variant {
        CLOSE_CLOSE | CLOSE_DUP2 if fd == conn => match c.move_connection() {
            Ok(()) => 0,
            Err(e) => {
                set_errno(e.raw_os_error().unwrap_or(libc::EBADF));
                -1
            }
        },
        CLOSE_CLOSE | CLOSE_DUP2 => 0,
        CLOSE_FCLOSEM => {
            let mut at = fd.max(0);
            while at <= conn {
                // SAFETY: closing a descriptor number the caller asked us
                // to close; the connection's is skipped.
                if at != conn
                    && unsafe { libc::close(at) } == -1
                    && crate::call::errno() != libc::EBADF
                {
                    return -1;
                }
                at += 1;
            }
            if rumpclient::ClientMemory::write(&mem, fdp as u64, &at.to_ne_bytes()) {
                0
            } else {
                set_errno(libc::EFAULT);
                -1
            }
        }
        _ => {
            set_errno(libc::EINVAL);
            -1
        }
    }
}
