//! Kernel threads (`kthread_create`) and the kernel's condition variable.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::lwproc::PID_KERNEL;
use crate::sync::lock;
use crate::syscall::Ctx;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// A running kernel thread.
pub struct KThread {
    name: String,
    host: rumpuser::HostThread,
}

impl KThread {
    /// The thread's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Wait for the thread to finish; `false` if it panicked.
    pub fn join(self) -> bool {
        self.host.join()
    }
}

impl Kernel {
    /// Start a kernel thread: a host thread that runs `f` as an lwp of the
    /// kernel's own process (pid 0). Under `RUMP_THREADS=0` the kernel makes
    /// no threads: the call fails with EOPNOTSUPP and says why on the console.
    pub fn kthread_create(
        self: &Arc<Self>,
        name: &str,
        f: impl FnOnce(&Kernel) + Send + 'static,
    ) -> KResult<KThread> {
        if !self.config().threads {
            self.printf(&format!(
                "kthread_create({name}): RUMP_THREADS=0 forbids kernel threads"
            ));
            return Err(Errno::EOPNOTSUPP);
        }
        let k = Arc::clone(self);
        let host = rumpuser::thread_create(name, move || {
            if k.procs().newlwp(PID_KERNEL).is_ok() {
                f(&k);
                let _ = k.procs().releaselwp();
            }
        })
        .map_err(|e| Errno::from_host(&e))?;
        Ok(KThread {
            name: name.to_owned(),
            host,
        })
    }
}

impl Kernel {
    /// Start a kernel thread that does not keep the kernel alive: `f` gets
    /// a weak reference and should return once it no longer upgrades (the
    /// kernel was dropped) or the kernel halts. Drivers' receive loops and
    /// the network's timers run this way.
    pub fn kthread_spawn(
        &self,
        name: &str,
        f: impl FnOnce(&Weak<Kernel>) + Send + 'static,
    ) -> KResult<KThread> {
        if !self.config().threads {
            self.printf(&format!(
                "kthread_create({name}): RUMP_THREADS=0 forbids kernel threads"
            ));
            return Err(Errno::EOPNOTSUPP);
        }
        let w = self.weak();
        let host = rumpuser::thread_create(name, move || {
            let bound = w
                .upgrade()
                .is_some_and(|k| k.procs().newlwp(PID_KERNEL).is_ok());
            if bound {
                f(&w);
                if let Some(k) = w.upgrade() {
                    let _ = k.procs().releaselwp();
                }
            }
        })
        .map_err(|e| Errno::from_host(&e))?;
        Ok(KThread {
            name: name.to_owned(),
            host,
        })
    }
}

/// A condition variable for kernel code. Waiting gives the virtual CPU up;
/// on wakeup the thread takes a CPU first and the mutex second, as NetBSD's
/// rump scheduler does, so that a thread holding the mutex while waiting for
/// a CPU can never block a thread holding a CPU while waiting for the mutex.
/// Callers recheck their condition in a loop, as with any condition variable.
#[derive(Default)]
pub struct KCondvar {
    cv: Condvar,
}

impl KCondvar {
    /// A new condition variable.
    pub fn new() -> KCondvar {
        KCondvar::default()
    }

    /// Release `guard`, sleep until notified, then relock `mutex`.
    pub fn wait<'a, T>(
        &self,
        ctx: &Ctx,
        mutex: &'a Mutex<T>,
        guard: MutexGuard<'a, T>,
    ) -> MutexGuard<'a, T> {
        ctx.block(|| drop(self.cv.wait(guard).unwrap_or_else(|e| e.into_inner())));
        lock(mutex)
    }

    /// As [`KCondvar::wait`], for at most `timeout` of the kernel's clock;
    /// the flag is true if it timed out.
    pub fn wait_timeout<'a, T>(
        &self,
        ctx: &Ctx,
        mutex: &'a Mutex<T>,
        guard: MutexGuard<'a, T>,
        timeout: Duration,
    ) -> (MutexGuard<'a, T>, bool) {
        let clock = ctx.kernel().clock();
        let deadline = clock.monotonic().saturating_add(timeout);
        let timed_out = ctx.block(|| {
            let (g, timed_out) = clock.wait_until(&self.cv, guard, deadline);
            drop(g);
            timed_out
        });
        (lock(mutex), timed_out)
    }

    /// Wake one waiter.
    pub fn notify_one(&self) {
        self.cv.notify_one();
    }

    /// Wake every waiter.
    pub fn notify_all(&self) {
        self.cv.notify_all();
    }
}
