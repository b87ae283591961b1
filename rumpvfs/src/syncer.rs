//! The syncer (NetBSD's `sched_sync`, run by the `ioflush` thread): once a
//! second it looks at the mounted file systems and writes back each one
//! whose last write-back is `vfs.sync.delay` seconds old, so that a kernel
//! that dies without `sync(2)` loses at most the last few seconds of work.
//!
//! NetBSD queues each mount's syncer vnode `syncdelay` seconds ahead and
//! syncs the whole mount when it comes up; that is what is done here.
//! NetBSD's per-vnode delays (`vfs.sync.filedelay`, `dirdelay`,
//! `metadelay`) have no counterpart: the file systems here write a mount's
//! changes back as a whole, in the order that keeps it consistent.

use crate::flags::MNT_RDONLY;
use crate::vfs::Vfs;
use rump::clock::KernelClock;
use rump::sync::lock;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Duration;

/// `vfs.sync.delay` at boot, NetBSD's `syncdelay`.
const DEFAULT_DELAY: i32 = 30;
/// The longest delay honoured: NetBSD's worklist has `SYNCER_MAXDELAY`
/// (32) slots and queues nothing further ahead than two less.
const MAX_DELAY: i32 = 30;
/// How often the syncer looks.
const TICK: Duration = Duration::from_secs(1);
/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;

/// One kernel's syncer.
pub struct Syncer {
    delay: AtomicI32,
    state: Mutex<State>,
    cv: Condvar,
    /// Held while file systems are written back, so that [`Syncer::stop`]
    /// returns only once nothing more will be written.
    busy: Mutex<()>,
}

#[derive(Default)]
struct State {
    stopped: bool,
    /// The delay was changed: look now rather than at the next tick.
    poked: bool,
    /// When each mount (by id) is next written back, on the monotonic clock.
    due: HashMap<u64, Duration>,
}

impl Default for Syncer {
    fn default() -> Syncer {
        Syncer {
            delay: AtomicI32::new(DEFAULT_DELAY),
            state: Mutex::default(),
            cv: Condvar::new(),
            busy: Mutex::new(()),
        }
    }
}

impl Syncer {
    /// The syncer of kernel `k`.
    pub fn of(k: &Kernel) -> Arc<Syncer> {
        k.extension(Syncer::default)
    }

    /// Seconds between a mount's write-backs (`vfs.sync.delay`).
    pub fn delay(&self) -> i32 {
        self.delay.load(Ordering::Relaxed)
    }

    /// Set `vfs.sync.delay`. As in NetBSD any number is taken; below 1 the
    /// syncer writes back at every look, above 30 it waits 30 seconds.
    pub fn set_delay(&self, seconds: i32) {
        self.delay.store(seconds, Ordering::Relaxed);
        lock(&self.state).poked = true;
        self.cv.notify_all();
    }

    /// Stop for good; returns once a write-back in progress has ended.
    pub fn stop(&self) {
        lock(&self.state).stopped = true;
        self.cv.notify_all();
        drop(lock(&self.busy));
    }

    /// The thread's loop: returns once stopped or the kernel is gone.
    fn run(&self, k: &Weak<Kernel>, clock: &KernelClock) {
        loop {
            let look = clock.monotonic() + TICK;
            let mut s = lock(&self.state);
            loop {
                if s.stopped {
                    return;
                }
                let (s2, passed) = clock.wait_until(&self.cv, s, look);
                s = s2;
                if passed || std::mem::take(&mut s.poked) {
                    break;
                }
            }
            drop(s);
            let Some(k) = k.upgrade() else {
                return;
            };
            if k.is_halted() {
                return;
            }
            self.tick(&k, clock.monotonic());
        }
    }

    /// Write back every read-write mount that is due at `now`.
    fn tick(&self, k: &Kernel, now: Duration) {
        let busy = lock(&self.busy);
        let delay = Duration::from_secs(self.delay().clamp(0, MAX_DELAY) as u64);
        let mounts = Vfs::of(k).mounts();
        let due_now: Vec<_> = {
            let mut s = lock(&self.state);
            if s.stopped {
                return;
            }
            s.due.retain(|id, _| mounts.iter().any(|m| m.id == *id));
            mounts
                .into_iter()
                .filter(|m| m.flags.load(Ordering::Acquire) & MNT_RDONLY == 0)
                .filter(|m| {
                    let at = s.due.entry(m.id).or_insert(now + delay);
                    // A shortened delay applies to what was queued before.
                    *at = (*at).min(now + delay);
                    if *at <= now {
                        *at = now + delay;
                        true
                    } else {
                        false
                    }
                })
                .collect()
        };
        Vfs::sync_mounts(k, "syncer", due_now);
        drop(busy);
    }
}

/// Make `vfs.sync.delay` and start the `ioflush` thread. Under
/// `RUMP_THREADS=0` there is no thread, and file systems are written back
/// only by `sync(2)`, `fsync(2)`, unmount and halt; the console says so.
pub(crate) fn attach(k: &Kernel) -> KResult<()> {
    let syncer = Syncer::of(k);
    let t = k.sysctl();
    t.create_path("vfs.sync", "")?;
    let (r, w) = (Arc::clone(&syncer), Arc::clone(&syncer));
    t.create(
        "vfs.sync",
        NodeSpec {
            flags: CTLFLAG_READWRITE,
            data: NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(r.delay())),
                write: Some(Arc::new(move |v| match v {
                    SysctlValue::Int(n) => {
                        w.set_delay(n);
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                })),
            },
            ..NodeSpec::value("delay", SysctlValue::Int(DEFAULT_DELAY), "")
        },
    )?;
    if !k.config().threads {
        k.aprint_verbose("no syncer (RUMP_THREADS=0): data is written back by sync(2) only");
        return Ok(());
    }
    let s = Arc::clone(&syncer);
    let clock = Arc::clone(k.clock());
    // The thread ends by itself when the kernel goes; nobody joins it.
    drop(k.kthread_spawn("ioflush", move |w| s.run(w, &clock))?);
    k.register_shutdown_hook("syncer", Box::new(move |_, _| syncer.stop()));
    Ok(())
}
