//! Timers for protocols (NetBSD's callouts): each is a function called when
//! its deadline passes, which answers when it wants to be called next. One
//! kernel thread per network stack runs them; it holds only a weak
//! reference to the kernel and ends when the stack is dropped.
//!
//! Times are readings of the kernel's monotonic clock, so that a kernel
//! built on a manual clock (`rump::clock::ManualClock`) fires its protocol
//! timers when a test moves the clock on.

use rump::clock::KernelClock;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// A timer function: called with the time, returns its next deadline.
pub type TimerFn = Box<dyn Fn(Duration) -> Option<Duration> + Send + Sync>;

/// A registered timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimerId(usize);

struct Entry {
    name: &'static str,
    due: Option<Duration>,
    f: Arc<TimerFn>,
}

#[derive(Default)]
struct State {
    entries: Vec<Entry>,
    stopped: bool,
    /// While the timer thread sleeps: until when (`None`: until armed).
    /// Arming a later deadline need not wake it.
    sleeping: Option<Option<Duration>>,
}

/// The timers of one stack.
pub struct Callouts {
    state: Mutex<State>,
    cv: Condvar,
    clock: Arc<KernelClock>,
}

use rump::sync::lock;

impl Callouts {
    /// No timers yet; they are due by `clock`.
    pub fn new(clock: Arc<KernelClock>) -> Callouts {
        Callouts {
            state: Mutex::default(),
            cv: Condvar::new(),
            clock,
        }
    }

    /// The time on the clock the timers are due by.
    pub fn now(&self) -> Duration {
        self.clock.monotonic()
    }

    /// Register `f`, not yet armed.
    pub fn add(&self, name: &'static str, f: TimerFn) -> TimerId {
        let mut s = lock(&self.state);
        s.entries.push(Entry {
            name,
            due: None,
            f: Arc::new(f),
        });
        TimerId(s.entries.len() - 1)
    }

    /// Make sure `id` runs no later than `at` (`callout_schedule`; an
    /// earlier deadline already set stays).
    pub fn arm(&self, id: TimerId, at: Duration) {
        let mut s = lock(&self.state);
        if let Some(e) = s.entries.get_mut(id.0)
            && e.due.is_none_or(|d| at < d)
        {
            e.due = Some(at);
            if s.sleeping.is_some_and(|until| until.is_none_or(|u| at < u)) {
                self.cv.notify_all();
            }
        }
    }

    /// The names of the timers and when each is due, for diagnostics.
    pub fn pending(&self) -> Vec<(&'static str, Option<Duration>)> {
        lock(&self.state)
            .entries
            .iter()
            .map(|e| (e.name, e.due))
            .collect()
    }

    /// Run every timer due at `now`; answer the earliest deadline left.
    pub fn run_due(&self, now: Duration) -> Option<Duration> {
        let due: Vec<(usize, Arc<TimerFn>)> = {
            let mut s = lock(&self.state);
            s.entries
                .iter_mut()
                .enumerate()
                .filter(|(_, e)| e.due.is_some_and(|d| d <= now))
                .map(|(i, e)| {
                    e.due = None;
                    (i, Arc::clone(&e.f))
                })
                .collect()
        };
        for (i, f) in due {
            // Called without the lock: a timer may arm others, or itself.
            if let Some(next) = f(now) {
                self.arm(TimerId(i), next);
            }
        }
        lock(&self.state).entries.iter().filter_map(|e| e.due).min()
    }

    /// The loop of the timer thread: returns once [`Callouts::stop`] is called.
    pub fn run(&self) {
        loop {
            let next = self.run_due(self.now());
            let mut s = lock(&self.state);
            if s.stopped {
                return;
            }
            let now = self.now();
            // Armed since run_due looked: go round again at once.
            let next = s.entries.iter().filter_map(|e| e.due).chain(next).min();
            s.sleeping = Some(next);
            let mut s = match next {
                Some(at) if at <= now => s,
                Some(at) => self.clock.wait_until(&self.cv, s, at).0,
                None => self.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
            };
            s.sleeping = None;
        }
    }

    /// End the timer thread.
    pub fn stop(&self) {
        lock(&self.state).stopped = true;
        self.cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn due_timers_run_and_rearm() {
        let c = Callouts::new(Arc::new(KernelClock::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let h = Arc::clone(&hits);
        let id = c.add(
            "t",
            Box::new(move |now| {
                h.fetch_add(1, Ordering::Relaxed);
                Some(now + Duration::from_secs(1))
            }),
        );
        assert_eq!(c.run_due(Duration::from_secs(5)), None);
        c.arm(id, Duration::from_secs(10));
        c.arm(id, Duration::from_secs(20)); // later: the earlier one stays
        assert_eq!(
            c.run_due(Duration::from_secs(9)),
            Some(Duration::from_secs(10))
        );
        assert_eq!(hits.load(Ordering::Relaxed), 0);
        assert_eq!(
            c.run_due(Duration::from_secs(10)),
            Some(Duration::from_secs(11))
        );
        assert_eq!(hits.load(Ordering::Relaxed), 1);
    }
}
