//! A generation counter that sleepers wait on: the kernel's `cv_broadcast`
//! for "something changed", which costs nothing when nobody sleeps.

use crate::sync::lock;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

#[derive(Default)]
struct State {
    generation: u64,
    sleepers: u32,
}

/// Waiters note the generation, look at what they wait for, and sleep
/// until the generation moves on: a change between the look and the sleep
/// is never missed.
#[derive(Default)]
pub struct WaitGen {
    state: Mutex<State>,
    cv: Condvar,
}

impl WaitGen {
    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Move the generation on and wake every sleeper. The futex wake is a
    /// system call, so it is made only when someone sleeps.
    pub fn bump(&self) {
        if self.advance() {
            self.notify();
        }
    }

    /// Move the generation on; true if sleepers must be woken with
    /// [`WaitGen::notify`], which may come later.
    pub fn advance(&self) -> bool {
        let mut s = self.lock();
        s.generation = s.generation.wrapping_add(1);
        s.sleepers > 0
    }

    /// Wake every sleeper, to look at the generation again.
    pub fn notify(&self) {
        self.cv.notify_all();
    }

    /// The current generation.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Sleep until the generation differs from `seen`, or for `timeout`.
    pub fn wait(&self, seen: u64, timeout: Duration) {
        let mut s = self.lock();
        if s.generation != seen {
            return;
        }
        s.sleepers += 1;
        let (mut s, _) = self
            .cv
            .wait_timeout_while(s, timeout, |s| s.generation == seen)
            .unwrap_or_else(|e| e.into_inner());
        s.sleepers -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    #[test]
    fn a_bump_wakes_a_sleeper_and_a_stale_generation_does_not_sleep() {
        let w = Arc::new(WaitGen::default());
        let seen = w.generation();
        w.bump();
        let t = Instant::now();
        w.wait(seen, Duration::from_secs(10));
        assert!(t.elapsed() < Duration::from_secs(5));
        let seen = w.generation();
        let w2 = Arc::clone(&w);
        let h = std::thread::spawn(move || w2.wait(seen, Duration::from_secs(10)));
        std::thread::sleep(Duration::from_millis(20));
        w.bump();
        h.join().unwrap();
        assert!(t.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn wait_times_out() {
        let w = WaitGen::default();
        let t = Instant::now();
        w.wait(w.generation(), Duration::from_millis(20));
        assert!(t.elapsed() >= Duration::from_millis(20));
    }
}
