//! The host's limits on the process, and host errors worded for people.

/// A host error as `strerror(3)` words it: the message alone, without the
/// " (os error N)" that Rust's `io::Error` adds, so that tools print
/// `prog: what: No such file or directory` as NetBSD's do.
pub fn strerror(e: &std::io::Error) -> String {
    let text = e.to_string();
    match e.raw_os_error() {
        Some(n) => text
            .strip_suffix(&format!(" (os error {n})"))
            .unwrap_or(&text)
            .to_owned(),
        None => text,
    }
}

/// Raise the soft limit on open descriptors (`RLIMIT_NOFILE`) to the hard
/// limit, so that what bounds a server's clients is the descriptors the
/// host lets it have, not a default meant for interactive programs.
/// Returns the soft limit now in force.
pub fn raise_descriptor_limit() -> std::io::Result<u64> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid rlimit for getrlimit to fill.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut want = lim.rlim_max;
    if want == libc::RLIM_INFINITY {
        // Linux refuses more than fs.nr_open even with no hard limit.
        want = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(lim.rlim_cur);
    }
    if want <= lim.rlim_cur {
        return Ok(lim.rlim_cur);
    }
    let raised = libc::rlimit {
        rlim_cur: want,
        rlim_max: lim.rlim_max,
    };
    // SAFETY: `raised` is a valid rlimit read by setrlimit.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(want)
}

/// Whether `e` says the process or the host is out of descriptors.
pub fn out_of_descriptors(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_is_the_message_alone() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(strerror(&e), "No such file or directory");
        let custom = std::io::Error::other("bad banner");
        assert_eq!(strerror(&custom), "bad banner");
        assert!(out_of_descriptors(&std::io::Error::from_raw_os_error(
            libc::EMFILE
        )));
        assert!(!out_of_descriptors(&e));
    }
}
