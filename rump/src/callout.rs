//! The base kernel's callouts (NetBSD's `callout(9)` and its softclock):
//! functions to run once at a time of the monotonic clock, run in order
//! by one kernel thread, which starts with the first callout and holds
//! only a weak reference to the kernel. It waits on a condition variable
//! until the next one is due by the kernel's clock; nothing polls (on a
//! manual clock, it looks at the clock as [`crate::clock::MANUAL_LOOK`] says).
//!
//! A callout runs without a virtual CPU and without the queue's lock: it
//! may set another callout. Under `RUMP_THREADS=0` there is no thread, and
//! setting a callout fails with EOPNOTSUPP (the console says why).

use crate::clock::KernelClock;
use crate::errno::KResult;
use crate::kernel::Kernel;
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// What a callout runs.
pub type CalloutFn = Box<dyn FnOnce(&Kernel) + Send>;

/// A callout set and not yet run: what [`Kernel::callout_stop`] takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct CalloutId {
    at: Duration,
    seq: u64,
}

use crate::sync::lock;

#[derive(Default)]
struct State {
    due: BTreeMap<CalloutId, CalloutFn>,
    next_seq: u64,
    stopped: bool,
    thread: bool,
}

#[derive(Default)]
struct Queue {
    state: Mutex<State>,
    cv: Condvar,
}

/// The kernel's queue; dropping the kernel stops its thread.
#[derive(Default)]
struct Callouts {
    queue: Arc<Queue>,
}

impl Drop for Callouts {
    fn drop(&mut self) {
        lock(&self.queue.state).stopped = true;
        self.queue.cv.notify_all();
    }
}

fn run(w: &Weak<Kernel>, queue: &Queue, clock: &KernelClock) {
    loop {
        let f = {
            let mut s = lock(&queue.state);
            loop {
                if s.stopped {
                    return;
                }
                let now = clock.monotonic();
                match s.due.first_key_value().map(|(id, _)| id.at) {
                    Some(at) if at <= now => break s.due.pop_first().map(|(_, f)| f),
                    Some(at) => s = clock.wait_until(&queue.cv, s, at).0,
                    None => s = queue.cv.wait(s).unwrap_or_else(|e| e.into_inner()),
                }
            }
        };
        let Some(k) = w.upgrade() else { return };
        if k.is_halted() {
            return;
        }
        if let Some(f) = f {
            f(&k);
        }
    }
}

impl Kernel {
    /// Run `f` once the kernel's monotonic clock reads `at` (`callout_reset`).
    /// EOPNOTSUPP when the kernel may not make threads.
    pub fn callout_at(&self, at: Duration, f: CalloutFn) -> KResult<CalloutId> {
        let c = self.extension(Callouts::default);
        let mut s = lock(&c.queue.state);
        if !s.thread {
            let queue = Arc::clone(&c.queue);
            let clock = Arc::clone(self.clock());
            self.kthread_spawn("callout", move |w| run(w, &queue, &clock))?;
            s.thread = true;
        }
        s.next_seq += 1;
        let id = CalloutId {
            at,
            seq: s.next_seq,
        };
        s.due.insert(id, f);
        c.queue.cv.notify_one();
        Ok(id)
    }

    /// Take callout `id` off the queue (`callout_stop`); false if it has
    /// run, is running, or was stopped already.
    pub fn callout_stop(&self, id: CalloutId) -> bool {
        self.try_extension::<Callouts>()
            .is_some_and(|c| lock(&c.queue.state).due.remove(&id).is_some())
    }
}

#[cfg(test)]
mod tests {
    use crate::clock::ManualClock;
    use crate::{BootConfig, KernelBuilder};
    use std::sync::mpsc;
    use std::time::Duration;

    #[test]
    fn callouts_run_in_time_order_and_stopped_ones_do_not() {
        let clock = ManualClock::new();
        let k = KernelBuilder::new()
            .config(BootConfig::default())
            .console(Box::new(|_, _| ()))
            .time_source(clock.clone())
            .boot()
            .unwrap();
        let (tx, rx) = mpsc::channel();
        let now = k.clock().monotonic();
        for (n, ms) in [(3, 60), (1, 20), (2, 40)] {
            let tx = tx.clone();
            k.callout_at(
                now + Duration::from_millis(ms),
                Box::new(move |_| tx.send(n).unwrap()),
            )
            .unwrap();
        }
        let tx2 = tx.clone();
        let stopped = k
            .callout_at(
                now + Duration::from_millis(30),
                Box::new(move |_| tx2.send(99).unwrap()),
            )
            .unwrap();
        assert!(k.callout_stop(stopped));
        assert!(!k.callout_stop(stopped));
        // The clock stands still: nothing is due.
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        clock.advance(Duration::from_millis(45));
        let got: Vec<i32> = (0..2)
            .map(|_| rx.recv_timeout(Duration::from_secs(5)).unwrap())
            .collect();
        assert_eq!(got, [1, 2]);
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
        clock.advance(Duration::from_millis(15));
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(3));
        assert!(rx.recv_timeout(Duration::from_millis(50)).is_err());
    }
}
