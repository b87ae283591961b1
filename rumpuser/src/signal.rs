//! Termination signals (SIGTERM, SIGINT) delivered to a thread that halts
//! the kernel cleanly, instead of killing the process mid-write; and host
//! signals raised for a rump kernel (a server's RAISE request).

/// Let SIGPIPE end the process, as it ends NetBSD's tools: a tool whose
/// reader has gone (`rump.sysctl -a | head`) stops quietly instead of
/// failing on its next write. Rust programs start with SIGPIPE ignored;
/// call first thing in a tool's `main`.
pub fn sigpipe_ends_process() {
    // SAFETY: SIG_DFL installs no handler, so no code runs in signal context.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

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

/// The host's number for NetBSD's signal `sig`. NetBSD keeps the historic
/// BSD numbering, which differs from Linux's past 6; SIGEMT and SIGINFO
/// have no Linux counterpart.
pub fn host_signal(sig: u32) -> Option<i32> {
    Some(match sig {
        1 => libc::SIGHUP,
        2 => libc::SIGINT,
        3 => libc::SIGQUIT,
        4 => libc::SIGILL,
        5 => libc::SIGTRAP,
        6 => libc::SIGABRT,
        8 => libc::SIGFPE,
        9 => libc::SIGKILL,
        10 => libc::SIGBUS,
        11 => libc::SIGSEGV,
        12 => libc::SIGSYS,
        13 => libc::SIGPIPE,
        14 => libc::SIGALRM,
        15 => libc::SIGTERM,
        16 => libc::SIGURG,
        17 => libc::SIGSTOP,
        18 => libc::SIGTSTP,
        19 => libc::SIGCONT,
        20 => libc::SIGCHLD,
        21 => libc::SIGTTIN,
        22 => libc::SIGTTOU,
        23 => libc::SIGIO,
        24 => libc::SIGXCPU,
        25 => libc::SIGXFSZ,
        26 => libc::SIGVTALRM,
        27 => libc::SIGPROF,
        28 => libc::SIGWINCH,
        30 => libc::SIGUSR1,
        31 => libc::SIGUSR2,
        32 => libc::SIGPWR,
        _ => return None,
    })
}

/// Raise in the calling thread the host signal that means NetBSD's signal
/// `sig`, as NetBSD's client library does for a server's RAISE request.
/// False if the host has no such signal.
pub fn raise_netbsd_signal(sig: u32) -> bool {
    let Some(host) = host_signal(sig) else {
        return false;
    };
    // SAFETY: raise takes no pointers; what the signal does is the
    // program's own disposition for it.
    unsafe { libc::raise(host) == 0 }
}

/// A thread's signal mask, as it was before [`block_all_signals`].
#[derive(Clone, Copy)]
pub struct SignalMask(libc::sigset_t);

fn full_set() -> libc::sigset_t {
    // SAFETY: sigfillset initialises the zeroed set it is given.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        set
    }
}

/// Block every signal in the calling thread, as NetBSD's client library
/// does for the length of a call: a handler that ran in the middle of
/// reading a frame could not make a call of its own. Returns the mask to
/// restore.
pub fn block_all_signals() -> SignalMask {
    let full = full_set();
    // SAFETY: both sets are valid; `old` is written by the call.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_SETMASK, &full, &mut old);
        SignalMask(old)
    }
}

/// Put back the calling thread's mask from [`block_all_signals`]: signals
/// that came meanwhile and that the mask lets in are handled now.
pub fn restore_signal_mask(m: &SignalMask) {
    // SAFETY: `m.0` is a mask pthread_sigmask filled in; no old set wanted.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &m.0, std::ptr::null_mut()) };
}

/// Wait until `fd` is readable (or hung up, or in error), for at most
/// `limit`, with the calling thread's signal mask set to `m` for the wait
/// alone (`ppoll`): a thread that blocks every signal for a call lets the
/// program's handlers run while it sleeps, and at no other point. True
/// when `fd` is readable; false when a handler ran, the time ran out or
/// the wait failed.
pub fn wait_readable_with_mask(
    fd: std::os::fd::RawFd,
    m: &SignalMask,
    limit: std::time::Duration,
) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let mut ts = libc::timespec {
        tv_sec: limit.as_secs().min(i64::MAX as u64) as libc::time_t,
        tv_nsec: limit.subsec_nanos() as libc::c_long,
    };
    // The system call itself, not libc's ppoll: a library that replaces
    // libc's functions (the hijack) must not see this one. The kernel's
    // signal set is its first 8 bytes.
    // SAFETY: `p` and `ts` are valid on the stack for the call (the kernel
    // writes the time left into `ts`) and `m.0` is a mask pthread_sigmask
    // filled in, longer than the 8 bytes read.
    // Polling a number that is no longer open does no harm: it is reported
    // as invalid.
    let n = unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            &mut p as *mut libc::pollfd,
            1 as libc::c_ulong,
            &mut ts as *mut libc::timespec,
            &m.0 as *const libc::sigset_t,
            8usize,
        )
    };
    n > 0 && p.revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0
}

/// Sleep for `d` with the calling thread's signal mask set to `m` (see
/// [`wait_readable_with_mask`]): handlers run, and the sleep goes on.
pub fn sleep_with_mask(d: std::time::Duration, m: &SignalMask) {
    let until = std::time::Instant::now() + d;
    loop {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        // A negative descriptor is not polled: only the time and signals end it.
        wait_readable_with_mask(-1, m, left);
    }
}
