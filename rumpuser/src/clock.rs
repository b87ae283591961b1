//! Host clocks and sleeping.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Time since an arbitrary fixed point, never going backwards.
pub fn clock_monotonic() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC always exists on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0);
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Wall-clock time since the Unix epoch (zero if the host clock is before it).
pub fn clock_wall() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// Sleep for `d` of host time.
pub fn sleep_rel(d: Duration) {
    std::thread::sleep(d);
}

/// Sleep until the monotonic clock reads at least `deadline`.
pub fn sleep_until_monotonic(deadline: Duration) {
    let now = clock_monotonic();
    if deadline > now {
        std::thread::sleep(deadline - now);
    }
}
