//! The kernel's clock: the realtime clock that `settimeofday`,
//! `clock_settime` and `adjtime` set and that `gettimeofday`,
//! `clock_gettime(CLOCK_REALTIME)`, file timestamps and `kern.boottime`
//! read. It is the host's wall clock (through `rumpuser`) plus an offset
//! kept in the kernel, so that setting it changes nothing on the host;
//! `CLOCK_MONOTONIC` stays the host's monotonic clock.
//!
//! `adjtime` slews as NetBSD's kernel without the NTP option does
//! (`ntp_update_second` in `kern_ntptime.c`): each time the realtime clock
//! crosses a whole second, a step is taken from the outstanding correction:
//! 5000 µs while more than a second is left, 500 µs while more than 500 µs
//! is left, then the rest; the step is spread over the second that follows
//! (NetBSD changes the timecounter's rate for that second). NetBSD slews
//! its uptime clock too; here the monotonic clock is the source's, untouched.
//!
//! Both clocks come from a [`TimeSource`] chosen when the kernel is built:
//! the host's clocks ([`HostTime`], through `rumpuser`), or a
//! [`ManualClock`] that a test moves forward, so that a protocol timer of
//! minutes fires as soon as the test says the minutes have passed. Every
//! timer, timeout and timed wait in the kernel reads this clock and sleeps
//! through [`KernelClock::wait_until`] or for [`KernelClock::host_span`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

/// Where a kernel's time comes from.
pub trait TimeSource: Send + Sync + std::fmt::Debug {
    /// The monotonic clock: time since an arbitrary origin, never going back.
    fn monotonic(&self) -> Duration;
    /// The wall clock: time since the epoch.
    fn wall(&self) -> Duration;
    /// How long a thread may sleep on the host, for a wait of `d` on this
    /// clock, before it must read this clock again.
    fn host_span(&self, d: Duration) -> Duration;
}

/// The host's clocks, read through `rumpuser`: what a kernel runs on
/// unless its builder was given another source.
#[derive(Debug, Default)]
pub struct HostTime;

impl TimeSource for HostTime {
    fn monotonic(&self) -> Duration {
        rumpuser::clock_monotonic()
    }

    fn wall(&self) -> Duration {
        rumpuser::clock_wall()
    }

    fn host_span(&self, d: Duration) -> Duration {
        d
    }
}

/// How often a thread waiting on a [`ManualClock`] looks at it: the clock
/// cannot reach the condition variables its waiters sleep on, so each
/// waiter sleeps at most this long on the host before reading it again.
pub const MANUAL_LOOK: Duration = Duration::from_millis(1);

/// A clock that stands still until a test moves it ([`ManualClock::advance`]):
/// timers and timeouts of a kernel built on it fire when the test says
/// their time has come, however long that is, within [`MANUAL_LOOK`] of
/// host time.
#[derive(Debug)]
pub struct ManualClock {
    /// Nanoseconds of monotonic time.
    mono_ns: AtomicU64,
    /// The wall clock when the monotonic clock read zero.
    wall_origin: Duration,
}

impl ManualClock {
    /// A manual clock reading the host's times now, standing still.
    pub fn new() -> Arc<ManualClock> {
        let mono = rumpuser::clock_monotonic();
        Arc::new(ManualClock {
            mono_ns: AtomicU64::new(u64::try_from(mono.as_nanos()).unwrap_or(u64::MAX)),
            wall_origin: rumpuser::clock_wall().saturating_sub(mono),
        })
    }

    /// Move both clocks forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        // fetch_update cannot fail with a closure that always answers.
        let _ = self
            .mono_ns
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| {
                Some(t.saturating_add(ns))
            });
    }
}

impl TimeSource for ManualClock {
    fn monotonic(&self) -> Duration {
        Duration::from_nanos(self.mono_ns.load(Ordering::Acquire))
    }

    fn wall(&self) -> Duration {
        self.wall_origin + self.monotonic()
    }

    fn host_span(&self, d: Duration) -> Duration {
        d.min(MANUAL_LOOK)
    }
}

/// A point on the realtime clock: nanoseconds since the epoch, signed
/// (NetBSD lets the clock be set before 1970).
pub type Nanos = i128;

const NS_PER_SEC: i128 = 1_000_000_000;
const NS_PER_USEC: i128 = 1000;
/// `ntp_update_second`'s steps and the corrections they apply to, in µs.
const FAST_STEP_US: i64 = 5000;
const FAST_ABOVE_US: i64 = 1_000_000;
const SLOW_STEP_US: i64 = 500;
const SLOW_ABOVE_US: i64 = 500;

use crate::sync::lock;

/// A correction `adjtime` is slewing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Slew {
    /// The correction when it was set, µs.
    delta_us: i64,
    /// The unslewed realtime it was set at: the seconds it has crossed
    /// since are the steps taken.
    start: Nanos,
}

/// How much of a correction of `delta_us` the first `n` steps take (µs,
/// with its sign).
fn taken_after(delta_us: i64, n: i128) -> i64 {
    let sign = delta_us.signum();
    let total = i128::from(delta_us).abs();
    let mut left = total;
    let mut n = n.max(0);
    for (step, above) in [(FAST_STEP_US, FAST_ABOVE_US), (SLOW_STEP_US, SLOW_ABOVE_US)] {
        let (step, above) = (i128::from(step), i128::from(above));
        if left > above {
            let steps = (left - above + step - 1) / step;
            let now = steps.min(n);
            left -= now * step;
            n -= now;
        }
    }
    if n > 0 {
        left = 0;
    }
    ((total - left) as i64) * sign
}

impl Slew {
    /// Seconds crossed between the start and `base` (unslewed time).
    fn crossed(&self, base: Nanos) -> i128 {
        (base.div_euclid(NS_PER_SEC) - self.start.div_euclid(NS_PER_SEC)).max(0)
    }

    /// What is left to slew at `base`, µs (what `adjtime` reports).
    fn remaining(&self, base: Nanos) -> i64 {
        self.delta_us - taken_after(self.delta_us, self.crossed(base))
    }

    /// How far the clock has been moved at `base`, ns: the steps of the
    /// seconds past, and the share of this second's step.
    fn applied(&self, base: Nanos) -> Nanos {
        let n = self.crossed(base);
        if n == 0 {
            return 0;
        }
        let before = i128::from(taken_after(self.delta_us, n - 1));
        let this = i128::from(taken_after(self.delta_us, n)) - before;
        let into_second = base.rem_euclid(NS_PER_SEC);
        before * NS_PER_USEC + this * NS_PER_USEC * into_second / NS_PER_SEC
    }
}

#[derive(Debug, Default)]
struct State {
    /// Realtime minus the host's wall clock, ns.
    offset: Nanos,
    /// What `settime` has moved the boot time by, ns.
    boot_shift: Nanos,
    slew: Option<Slew>,
}

/// The realtime clock of one kernel.
#[derive(Debug)]
pub struct KernelClock {
    state: Mutex<State>,
    /// Whether the clock was ever set or slewed: until then it is the
    /// host's, read without the lock.
    adjusted: std::sync::atomic::AtomicBool,
    /// The source's wall clock when the kernel booted.
    boot_wall: Duration,
    source: Arc<dyn TimeSource>,
}

/// `ns` as a NetBSD `struct timespec` (seconds, nanoseconds in 0..1e9).
pub fn to_timespec(ns: Nanos) -> (i64, i64) {
    let sec = ns.div_euclid(NS_PER_SEC);
    let sec = sec.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    (sec, ns.rem_euclid(NS_PER_SEC) as i64)
}

/// A `struct timespec` as nanoseconds; the fields are taken as they are,
/// as NetBSD's `settime1` takes them (a nanosecond count of a second or
/// more carries into the seconds).
pub fn from_timespec(sec: i64, nsec: i64) -> Nanos {
    i128::from(sec) * NS_PER_SEC + i128::from(nsec)
}

impl KernelClock {
    /// The clock of a kernel booting now: the host's time, nothing slewing.
    pub fn new() -> KernelClock {
        KernelClock::with_source(Arc::new(HostTime))
    }

    /// The clock of a kernel booting now on `source`'s time.
    pub fn with_source(source: Arc<dyn TimeSource>) -> KernelClock {
        KernelClock {
            state: Mutex::new(State::default()),
            adjusted: std::sync::atomic::AtomicBool::new(false),
            boot_wall: source.wall(),
            source,
        }
    }

    fn host_wall(&self) -> Nanos {
        self.source.wall().as_nanos() as Nanos
    }

    /// The realtime clock now, as time since the epoch (zero before it).
    pub fn wall(&self) -> Duration {
        let ns = self.realtime().clamp(0, i128::from(u64::MAX));
        Duration::from_nanos(ns as u64)
    }

    /// How long to sleep on the host for a wait of `d` on this clock
    /// before reading the clock again: `d` itself on the host's clock.
    pub fn host_span(&self, d: Duration) -> Duration {
        self.source.host_span(d)
    }

    /// Release `guard` and sleep on `cv` until notified or until the
    /// monotonic clock may have reached `deadline`; then relock. The flag
    /// is true once the deadline has passed. Spurious wakeups happen, as
    /// with any condition variable: the caller looks again.
    pub fn wait_until<'a, T>(
        &self,
        cv: &Condvar,
        guard: MutexGuard<'a, T>,
        deadline: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        let now = self.monotonic();
        if now >= deadline {
            return (guard, true);
        }
        let g = cv
            .wait_timeout(guard, self.host_span(deadline - now))
            .map_or_else(|e| e.into_inner().0, |r| r.0);
        (g, self.monotonic() >= deadline)
    }

    /// The realtime clock now (`nanotime`).
    pub fn realtime(&self) -> Nanos {
        if !self.adjusted.load(std::sync::atomic::Ordering::Acquire) {
            return self.host_wall();
        }
        let s = lock(&self.state);
        let base = self.host_wall() + s.offset;
        base + s.slew.map_or(0, |sl| sl.applied(base))
    }

    /// The realtime clock now as a `struct timespec`.
    pub fn realtime_timespec(&self) -> (i64, i64) {
        if !self.adjusted.load(std::sync::atomic::Ordering::Acquire) {
            // The host's time as it comes, without the 128-bit division
            // that splitting nanoseconds takes: every file timestamp is
            // read here.
            let d = self.source.wall();
            let sec = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
            return (sec, i64::from(d.subsec_nanos()));
        }
        to_timespec(self.realtime())
    }

    /// The monotonic clock (the source's; setting the time does not move it).
    pub fn monotonic(&self) -> Duration {
        self.source.monotonic()
    }

    /// When the kernel booted, on the realtime clock: setting the clock
    /// moves it by as much, as NetBSD's `settime1` moves `boottime`.
    pub fn boottime(&self) -> Nanos {
        self.boot_wall.as_nanos() as Nanos + lock(&self.state).boot_shift
    }

    /// Fold the steps already taken into the offset and let the rest of
    /// the correction continue from `base`.
    fn settle(s: &mut State, base: Nanos) {
        if let Some(sl) = s.slew.take() {
            let taken = sl.delta_us - sl.remaining(base);
            s.offset += i128::from(taken) * NS_PER_USEC;
            let left = sl.delta_us - taken;
            if left != 0 {
                s.slew = Some(Slew {
                    delta_us: left,
                    start: base + i128::from(taken) * NS_PER_USEC,
                });
            }
        }
    }

    /// Set the realtime clock to `t` (`tc_setclock`); the boot time moves
    /// by as much. A correction being slewed goes on.
    pub fn settime(&self, t: Nanos) {
        let mut s = lock(&self.state);
        self.adjusted
            .store(true, std::sync::atomic::Ordering::Release);
        let base = self.host_wall() + s.offset;
        Self::settle(&mut s, base);
        let now = self.host_wall() + s.offset;
        let delta = t - now;
        s.offset += delta;
        s.boot_shift += delta;
        if let Some(sl) = &mut s.slew {
            sl.start += delta;
        }
    }

    /// `adjtime`: the correction still to be slewed, µs, and if `delta_us`
    /// is given, slew that instead from now (zero stops slewing).
    pub fn adjtime(&self, delta_us: Option<i64>) -> i64 {
        let mut s = lock(&self.state);
        let base = self.host_wall() + s.offset;
        let old = s.slew.map_or(0, |sl| sl.remaining(base));
        if let Some(d) = delta_us {
            self.adjusted
                .store(true, std::sync::atomic::Ordering::Release);
            Self::settle(&mut s, base);
            let base = self.host_wall() + s.offset;
            s.slew = (d != 0).then_some(Slew {
                delta_us: d,
                start: base,
            });
        }
        old
    }
}

impl Default for KernelClock {
    fn default() -> Self {
        KernelClock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_follow_ntp_update_second() {
        // 5 s: 5000 µs a second while more than a second is left.
        assert_eq!(taken_after(5_000_000, 0), 0);
        assert_eq!(taken_after(5_000_000, 2), 10_000);
        // 800 steps bring 5 s down to 1 s; then 500 µs a second.
        assert_eq!(taken_after(5_000_000, 800), 4_000_000);
        assert_eq!(taken_after(5_000_000, 801), 4_000_500);
        // 1 s at 500 µs a second: 1999 steps leave 500 µs, taken at once.
        assert_eq!(taken_after(5_000_000, 800 + 1999), 4_999_500);
        assert_eq!(taken_after(5_000_000, 800 + 2000), 5_000_000);
        assert_eq!(taken_after(5_000_000, 1 << 40), 5_000_000);
        // Small and negative corrections.
        assert_eq!(taken_after(300, 1), 300);
        assert_eq!(taken_after(-1200, 1), -500);
        assert_eq!(taken_after(-1200, 2), -1000);
        assert_eq!(taken_after(-1200, 3), -1200);
        assert_eq!(taken_after(-1_500_000, 1), -5000);
    }

    #[test]
    fn a_slew_is_spread_over_each_second() {
        let start = 10 * NS_PER_SEC + NS_PER_SEC / 2;
        let sl = Slew {
            delta_us: 5_000_000,
            start,
        };
        assert_eq!(sl.remaining(start), 5_000_000);
        assert_eq!(sl.applied(start + NS_PER_SEC / 4), 0);
        // Crossing 11 s takes the first step; half of it is in by 11.5 s.
        assert_eq!(sl.remaining(11 * NS_PER_SEC), 4_995_000);
        assert_eq!(sl.applied(11 * NS_PER_SEC + NS_PER_SEC / 2), 2_500_000);
        assert_eq!(sl.applied(12 * NS_PER_SEC), 5_000_000);
        // As NetBSD answered after two seconds: 4.990000 left.
        assert_eq!(sl.remaining(12 * NS_PER_SEC + 600_000_000), 4_990_000);
    }

    #[test]
    fn timespecs_floor_before_the_epoch() {
        assert_eq!(to_timespec(-1), (-1, 999_999_999));
        assert_eq!(to_timespec(from_timespec(-5, 0)), (-5, 0));
        assert_eq!(from_timespec(1, 1_000_000_000), 2 * NS_PER_SEC);
    }

    #[test]
    fn setting_moves_realtime_and_boottime_only() {
        let c = KernelClock::new();
        let boot = c.boottime();
        let m0 = c.monotonic();
        let target = from_timespec(1_000_000_000, 0);
        c.settime(target);
        let now = c.realtime();
        assert!((now - target).abs() < NS_PER_SEC, "{now} vs {target}");
        let shift = c.boottime() - boot;
        assert!((shift - (target - c.host_wall())).abs() < NS_PER_SEC);
        assert!(c.monotonic() >= m0);
        assert_eq!(c.adjtime(Some(-2_000_000)), 0);
        assert_eq!(c.adjtime(None), -2_000_000);
        assert_eq!(c.adjtime(Some(0)), -2_000_000);
        assert_eq!(c.adjtime(None), 0);
    }

    #[test]
    fn timespecs_read_the_set_clock_once_it_is_set() {
        let c = KernelClock::new();
        // Unset: the host's time, between two reads of it.
        let before = to_timespec(c.host_wall());
        let ts = c.realtime_timespec();
        let after = to_timespec(c.host_wall());
        assert!(before <= ts && ts <= after, "{before:?} {ts:?} {after:?}");
        assert!((0..NS_PER_SEC as i64).contains(&ts.1));
        // Set before the epoch: the split floors, as to_timespec does.
        c.settime(from_timespec(-100, 0));
        let (sec, nsec) = c.realtime_timespec();
        assert!((-100..-98).contains(&sec), "{sec}");
        assert!((0..NS_PER_SEC as i64).contains(&nsec));
    }

    #[test]
    fn a_manual_clock_moves_only_when_told_and_wakes_its_waiters() {
        let m = ManualClock::new();
        let c = Arc::new(KernelClock::with_source(m.clone()));
        let (t0, w0) = (c.monotonic(), c.realtime());
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(c.monotonic(), t0);
        assert_eq!(c.realtime(), w0);
        // A wait of an hour ends once the clock is moved by an hour.
        let deadline = t0 + Duration::from_secs(3600);
        let waiter = {
            let c = Arc::clone(&c);
            std::thread::spawn(move || {
                let (m, cv) = (Mutex::new(()), Condvar::new());
                let mut g = lock(&m);
                loop {
                    let (g2, passed) = c.wait_until(&cv, g, deadline);
                    if passed {
                        return c.monotonic();
                    }
                    g = g2;
                }
            })
        };
        let started = std::time::Instant::now();
        m.advance(Duration::from_secs(1800));
        m.advance(Duration::from_secs(1800));
        let woke = waiter.join().unwrap();
        assert!(started.elapsed() < Duration::from_secs(1));
        assert_eq!(woke - t0, Duration::from_secs(3600));
        assert_eq!(c.realtime() - w0, 3600 * NS_PER_SEC);
        assert_eq!(c.host_span(Duration::from_secs(9)), MANUAL_LOOK);
    }
}
