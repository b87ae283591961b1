//! Parameters the host hands to the kernel: `RUMP_*` variables, host facts.

/// The value of a kernel parameter, read from the host environment
/// (`RUMP_NCPU`, `RUMP_VERBOSE`, ...). `None` when it is not set.
pub fn param(name: &str) -> Option<String> {
    std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
}

/// The number of CPUs the host makes available to this process, as the
/// host answered when first asked. Asking is dear (the standard library
/// reads the process's cgroup files each time, a dozen system calls), and
/// every boot asks; NetBSD's rumpuser asks once per `rump_init`, which is
/// once per process there.
pub fn host_ncpu() -> usize {
    static NCPU: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *NCPU.get_or_init(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// The host's name, used as the kernel's initial `kern.hostname`.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: `buf` is writable for its full length; gethostname NUL-terminates
    // within it or truncates, and we look for the NUL ourselves.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return String::from("rump");
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Bytes of physical memory in the host.
pub fn host_physmem() -> u64 {
    // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages <= 0 || size <= 0 {
        0
    } else {
        pages as u64 * size as u64
    }
}
