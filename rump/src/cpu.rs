//! Virtual CPUs: at most `ncpu` host threads execute inside the kernel at
//! once. A thread holds a virtual CPU while it runs kernel code and gives it
//! up while it blocks (`Ctx::block`), as NetBSD's rump scheduler does
//! (`rump_schedule`, `rump_unschedule`).

use crate::sync::lock;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Condvar, Mutex};

/// The set of virtual CPUs of one kernel.
pub struct Vcpus {
    ncpu: usize,
    free: AtomicUsize,
    waiters: AtomicUsize,
    lock: Mutex<()>,
    wakeup: Condvar,
}

/// Proof that the holder runs on a virtual CPU; the CPU is released on drop.
#[must_use = "the virtual CPU is released as soon as the guard is dropped"]
pub struct CpuGuard<'a> {
    cpus: &'a Vcpus,
}

impl Vcpus {
    /// `ncpu` virtual CPUs, all idle.
    pub fn new(ncpu: usize) -> Vcpus {
        let ncpu = ncpu.max(1);
        Vcpus {
            ncpu,
            free: AtomicUsize::new(ncpu),
            waiters: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wakeup: Condvar::new(),
        }
    }

    /// The number of virtual CPUs.
    pub fn ncpu(&self) -> usize {
        self.ncpu
    }

    fn try_take(&self) -> bool {
        self.free
            .fetch_update(SeqCst, SeqCst, |f| f.checked_sub(1))
            .is_ok()
    }

    /// Wait for a virtual CPU and take it. Uncontended, this is one atomic
    /// operation; only when every CPU is busy does the thread sleep.
    #[inline]
    pub fn schedule(&self) -> CpuGuard<'_> {
        self.take();
        CpuGuard { cpus: self }
    }

    /// Take a virtual CPU for a holder that keeps no guard (a thread giving
    /// its CPU back for a while with [`Vcpus::give_back`]).
    #[inline]
    pub(crate) fn take(&self) {
        if !self.try_take() {
            self.wait_and_take();
        }
    }

    /// The contended path of [`Vcpus::take`], kept out of line so that the
    /// uncontended one stays a single atomic operation where it is inlined.
    #[cold]
    fn wait_and_take(&self) {
        let mut g = lock(&self.lock);
        // Registered before the retry, so a release either sees this
        // waiter and wakes it, or happened early enough for the retry.
        self.waiters.fetch_add(1, SeqCst);
        while !self.try_take() {
            g = self.wakeup.wait(g).unwrap_or_else(|e| e.into_inner());
        }
        self.waiters.fetch_sub(1, SeqCst);
    }

    /// Give up a CPU whose guard is held further up the caller's stack; it
    /// is taken again with [`Vcpus::take`] before the guard is dropped.
    pub(crate) fn give_back(&self) {
        self.release();
    }

    #[inline]
    fn release(&self) {
        self.free.fetch_add(1, SeqCst);
        if self.waiters.load(SeqCst) > 0 {
            self.wake_one();
        }
    }

    /// The contended path of [`Vcpus::release`], out of line as
    /// [`Vcpus::wait_and_take`] is.
    #[cold]
    fn wake_one(&self) {
        let _g = lock(&self.lock);
        self.wakeup.notify_one();
    }

    /// Virtual CPUs currently idle (for statistics and tests).
    pub fn idle(&self) -> usize {
        self.free.load(SeqCst)
    }
}

impl Drop for CpuGuard<'_> {
    #[inline]
    fn drop(&mut self) {
        self.cpus.release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_releases() {
        let c = Vcpus::new(2);
        let a = c.schedule();
        let b = c.schedule();
        assert_eq!(c.idle(), 0);
        drop(a);
        assert_eq!(c.idle(), 1);
        drop(b);
        assert_eq!(c.idle(), 2);
    }
}
