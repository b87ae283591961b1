//! Leaving the host process.

/// Exit the host process with `code` without running further kernel code.
pub fn exit(code: i32) -> ! {
    std::process::exit(code)
}

/// Abort the host process so that it dumps core (SIGABRT), for `RB_DUMP`.
pub fn abort() -> ! {
    std::process::abort()
}

/// The host's process id of the process hosting the kernel.
pub fn host_pid() -> u32 {
    std::process::id()
}
