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

/// A yield that took longer than this gave the CPU to a thread with work
/// to do, not to another spinner.
const YIELD_TO_WORK: Duration = Duration::from_micros(20);

/// As [`spin_until`], but only while this CPU has nothing else to do: once
/// a yield gives the CPU to a thread that keeps it (longer than
/// [`YIELD_TO_WORK`]), false at once, so that the caller sleeps. A
/// spinner only saves the cost of a wakeup when its CPU would otherwise
/// halt; where a thread with work shares the CPU (often the very thread
/// that is to answer), a spinner gets the CPU back only at that thread's
/// pleasure, where a sleeper woken by it runs at once.
pub fn spin_while_idle(ready: impl Fn() -> bool, limit: Duration) -> bool {
    let until = clock_monotonic() + limit;
    loop {
        if ready() {
            return true;
        }
        let before = clock_monotonic();
        if before >= until {
            return false;
        }
        yield_cpu();
        if clock_monotonic() - before > YIELD_TO_WORK {
            return ready();
        }
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

    /// Keep the calling thread on CPU `cpu`.
    fn pin_to(cpu: usize) {
        // SAFETY: a zeroed cpu_set_t is an empty set, CPU_SET writes inside
        // it, and sched_setaffinity(0, ...) reads it for the calling thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }

    #[test]
    fn spin_while_idle_gives_up_once_a_yield_lets_a_busy_thread_run() {
        assert!(spin_while_idle(|| true, Duration::from_secs(1)));
        // This thread and one that computes without yielding share one
        // CPU: the first yield that lets it run lasts a time slice, and the
        // spin ends there, long before its limit.
        pin_to(0);
        let busy = Arc::new(AtomicBool::new(true));
        let started = Arc::new(AtomicBool::new(false));
        let (b, s) = (Arc::clone(&busy), Arc::clone(&started));
        let worker = std::thread::spawn(move || {
            pin_to(0);
            s.store(true, Ordering::Release);
            while b.load(Ordering::Relaxed) {
                std::hint::spin_loop();
            }
        });
        while !started.load(Ordering::Acquire) {
            yield_cpu();
        }
        let start = clock_monotonic();
        assert!(!spin_while_idle(|| false, Duration::from_secs(30)));
        let took = clock_monotonic() - start;
        busy.store(false, Ordering::Relaxed);
        worker.join().unwrap();
        assert!(took < Duration::from_secs(10), "{took:?}");
    }
}
