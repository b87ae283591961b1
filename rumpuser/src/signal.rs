//! Termination signals (SIGTERM, SIGINT) delivered to a thread that halts
//! the kernel cleanly, instead of killing the process mid-write.

/// Block SIGTERM and SIGINT in the calling thread and every thread it
/// starts afterwards; call first thing in `main`.
pub fn block_termination_signals() {
    let set = termination_set();
    // SAFETY: `set` is an initialised sigset; a null old-set pointer is allowed.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
}

fn termination_set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the zeroed set before sigaddset uses it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::sigaddset(&mut set, libc::SIGINT);
        set
    }
}

/// Wait (in the calling thread) for SIGTERM or SIGINT, which must be
/// blocked; returns the signal number.
pub fn wait_termination_signal() -> i32 {
    let set = termination_set();
    let mut sig = 0;
    // SAFETY: `set` is initialised and `sig` is a valid out-pointer.
    while unsafe { libc::sigwait(&set, &mut sig) } != 0 {}
    sig
}
