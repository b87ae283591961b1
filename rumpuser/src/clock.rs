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

/// Give the host CPU to another runnable thread, if there is one
/// (`sched_yield`).
pub fn yield_cpu() {
    std::thread::yield_now();
}

/// Look at `ready` between yields of the host CPU for up to `limit` of host
/// time; true once it holds, false if the time ran out. For a waiter whose
/// wakeup is usually microseconds away: a sleep and its wakeup cost more
/// than that, above all when the waker runs on another CPU (an idle
/// virtual CPU is woken by an interrupt through the hypervisor), while a
/// thread that yields keeps its CPU busy and lets a thread waiting for the
/// same CPU (often the one that is to answer) run meanwhile.
pub fn spin_until(ready: impl Fn() -> bool, limit: Duration) -> bool {
    let until = clock_monotonic() + limit;
    loop {
        if ready() {
            return true;
        }
        if clock_monotonic() >= until {
            return false;
        }
        yield_cpu();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn spin_until_sees_a_change_from_another_thread_and_gives_up_in_time() {
        let flag = Arc::new(AtomicBool::new(false));
        let f = Arc::clone(&flag);
        let t = std::thread::spawn(move || f.store(true, Ordering::Release));
        assert!(spin_until(
            || flag.load(Ordering::Acquire),
            Duration::from_secs(30)
        ));
        t.join().unwrap();
        let start = clock_monotonic();
        assert!(!spin_until(|| false, Duration::from_millis(20)));
        let took = clock_monotonic() - start;
        assert!(took >= Duration::from_millis(20), "{took:?}");
    }
}
