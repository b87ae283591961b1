//! Bursts: stretches of work in which the stack sends or receives several
//! frames in a row (a receive loop's batch, one socket call). What each
//! frame would otherwise do at once (wake the link's peers, wake a sleeper,
//! acknowledge) is done once, when the last burst open ends.

use rump::waitgen::WaitGen;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Something put off until the bursts end.
pub trait BurstEnd: Send + Sync {
    /// The bursts have ended (or none was open after all).
    fn burst_end(&self);
}

impl BurstEnd for WaitGen {
    fn burst_end(&self) {
        self.notify();
    }
}

/// The bursts open on a stack, and what waits for them to end.
#[derive(Default)]
pub struct Bursts {
    /// How many are open.
    pub(crate) open: AtomicUsize,
    deferred: Mutex<Vec<Arc<dyn BurstEnd>>>,
}

impl Bursts {
    /// Whether a burst is open now.
    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst) > 0
    }

    /// Run `w` when the bursts open now end, or at once if none is; once,
    /// however often it is put off meanwhile. It goes in the list before
    /// the count is read again, and the list is taken after the count drops
    /// to zero (both SeqCst), so it never waits for a burst that has ended.
    /// Call it without locks that `w` takes.
    pub fn defer(&self, w: Arc<dyn BurstEnd>) {
        if !self.is_open() {
            w.burst_end();
            return;
        }
        {
            let mut l = rump::sync::lock(&self.deferred);
            if !l
                .iter()
                .any(|x| std::ptr::addr_eq(Arc::as_ptr(x), Arc::as_ptr(&w)))
            {
                l.push(w);
            }
        }
        if !self.is_open() {
            self.run_deferred();
        }
    }

    /// Run what was put off.
    pub(crate) fn run_deferred(&self) {
        let l = std::mem::take(&mut *rump::sync::lock(&self.deferred));
        for w in l {
            w.burst_end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    struct Count(AtomicU32);
    impl BurstEnd for Count {
        fn burst_end(&self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[test]
    fn put_off_until_the_last_burst_ends_and_run_once() {
        let b = Bursts::default();
        let c = Arc::new(Count(AtomicU32::new(0)));
        b.defer(c.clone());
        assert_eq!(c.0.load(Ordering::SeqCst), 1, "no burst: at once");
        b.open.fetch_add(2, Ordering::SeqCst);
        b.defer(c.clone());
        b.defer(c.clone());
        b.open.fetch_sub(1, Ordering::SeqCst);
        assert_eq!(c.0.load(Ordering::SeqCst), 1);
        b.open.fetch_sub(1, Ordering::SeqCst);
        b.run_deferred();
        assert_eq!(c.0.load(Ordering::SeqCst), 2, "once for both");
    }
}
