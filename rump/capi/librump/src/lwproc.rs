//! `rump_pub_lwproc_*`: processes and threads of the kernel for the
//! calling host thread. C knows an lwp by an opaque `struct lwp *`; ours is
//! the address of the kernel's lwp, which this library keeps alive in a
//! table until the lwp is released, so that an address stays one lwp.

use kernel::lwproc::Lwp;
use kernel::{Errno, Kernel};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The lwps handed to C, by the address C knows them by.
static HANDED_OUT: Mutex<Option<HashMap<usize, Arc<Lwp>>>> = Mutex::new(None);

/// The address C knows `l` by, after recording it.
fn hand_out(l: Arc<Lwp>) -> *mut libc::c_void {
    let addr = Arc::as_ptr(&l) as usize;
    HANDED_OUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(addr, l);
    addr as *mut libc::c_void
}

/// The lwp C knows by `addr`, if this library handed it out.
fn handed_out(addr: usize) -> Option<Arc<Lwp>> {
    HANDED_OUT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&addr).cloned())
}

/// 0 or the error number, as the `rump_pub_*` calls answer.
fn status(r: Result<(), Errno>) -> libc::c_int {
    r.err().map_or(0, |e| e.0)
}

/// Report a misuse that NetBSD's interface cannot return as an error.
fn complain(k: &Kernel, msg: &str) {
    k.printf(msg);
}

/// `rump_pub_lwproc_rfork`: a new process, child of the caller's, its
/// descriptors shared (0), copied (`RUMP_RFFDG`) or none
/// (`RUMP_RFCFDG`); the calling thread becomes its lwp.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_lwproc_rfork(flags: libc::c_int) -> libc::c_int {
    status(crate::init::kernel().and_then(|k| {
        k.lwproc_rfork(flags).map(|l| {
            hand_out(l);
        })
    }))
}

/// `rump_pub_lwproc_newlwp`: a new lwp in process `pid` (ESRCH if none);
/// the calling thread becomes it.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_lwproc_newlwp(pid: libc::pid_t) -> libc::c_int {
    status(crate::init::kernel().and_then(|k| {
        k.lwproc_newlwp(pid).map(|l| {
            hand_out(l);
        })
    }))
}

/// `rump_pub_lwproc_switch`: run the calling thread as `l`, or in the
/// kernel's implicit context for NULL.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_lwproc_switch(l: *mut libc::c_void) {
    let Ok(k) = crate::init::kernel() else {
        rumpuser::console_write("rump_pub_lwproc_switch: no rump kernel booted\n");
        return;
    };
    let target = if l.is_null() {
        None
    } else {
        match handed_out(l as usize) {
            Some(lwp) => Some(lwp),
            None => {
                complain(
                    k,
                    &format!("rump_pub_lwproc_switch: {l:p} is no lwp of this kernel"),
                );
                return;
            }
        }
    };
    if let Err(e) = k.lwproc_switch(target.as_ref()) {
        complain(
            k,
            &format!("rump_pub_lwproc_switch: cannot switch to {l:p}: {e:?}"),
        );
    }
}

/// `rump_pub_lwproc_releaselwp`: release the calling thread's lwp; its
/// process exits with its last lwp. Without an lwp the kernel panics, as
/// NetBSD's does.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_lwproc_releaselwp() {
    let Ok(k) = crate::init::kernel() else {
        rumpuser::console_write("rump_pub_lwproc_releaselwp: no rump kernel booted\n");
        return;
    };
    if let Some(l) = k.lwproc_curlwp()
        && let Some(m) = HANDED_OUT
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
    {
        m.remove(&(Arc::as_ptr(&l) as usize));
    }
    k.lwproc_releaselwp();
}

/// `rump_pub_lwproc_curlwp`: the calling thread's lwp, NULL in the
/// implicit context.
#[unsafe(no_mangle)]
pub extern "C" fn rump_pub_lwproc_curlwp() -> *mut libc::c_void {
    match crate::init::kernel().ok().and_then(|k| k.lwproc_curlwp()) {
        Some(l) => hand_out(l),
        None => std::ptr::null_mut(),
    }
}
