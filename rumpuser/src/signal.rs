//! Termination signals (SIGTERM, SIGINT) delivered to a thread that halts
//! the kernel cleanly, instead of killing the process mid-write; and host
//! signals raised for a rump kernel (a server's RAISE request).

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
