//! Virtual CPUs: at most `ncpu` host threads execute inside the kernel at
//! once. A thread holds a virtual CPU while it runs kernel code and gives it
//! up while it blocks (`Ctx::block`), as NetBSD's rump scheduler does
//! (`rump_schedule`, `rump_unschedule`).

use std::sync::{Condvar, Mutex};

/// The set of virtual CPUs of one kernel.
pub struct Vcpus {
    ncpu: usize,
    free: Mutex<usize>,
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
            free: Mutex::new(ncpu),
            wakeup: Condvar::new(),
        }
    }

    /// The number of virtual CPUs.
    pub fn ncpu(&self) -> usize {
        self.ncpu
    }

    /// Wait for a virtual CPU and take it.
    pub fn schedule(&self) -> CpuGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        while *free == 0 {
            free = self.wakeup.wait(free).unwrap_or_else(|e| e.into_inner());
        }
        *free -= 1;
        CpuGuard { cpus: self }
    }

    fn release(&self) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        *free += 1;
        drop(free);
        self.wakeup.notify_one();
    }

    /// Virtual CPUs currently idle (for statistics and tests).
    pub fn idle(&self) -> usize {
        *self.free.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for CpuGuard<'_> {
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
