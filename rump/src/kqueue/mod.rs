//! Kernel event queues, as NetBSD's `kern_event.c`: a kqueue is a
//! descriptor holding knotes keyed by (ident, filter); `kevent` applies a
//! list of changes and then waits for fired events.
//!
//! Waiters sleep on the kernel's select generation ([`Kernel::selnotify`]):
//! every file that becomes ready bumps it, and so does every hint posted to
//! a knote, so a blocked `kevent` looks again exactly when something may
//! have changed. Timers are counted from the clock and bound the sleep.

pub mod consts;
mod knote;

use crate::cred::Cred;
use crate::errno::{Errno, KResult};
use crate::file::{DTYPE_KQUEUE, File, FileOps, Stat};
use crate::kernel::Kernel;
use crate::lwproc::Proc;
use crate::sync::lock;
use crate::syscall::Ctx;
use consts::*;
pub use knote::{FilterState, Kevent, VnodeKey, vnode_note, vnode_revoke_mount, vnode_watched};
pub(crate) use knote::{KnState, Knote, NOTE_SIGNAL, Source};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// One kernel event queue.
pub struct Kqueue {
    knotes: Mutex<Vec<Arc<Knote>>>,
    pub(crate) kernel: Weak<Kernel>,
    /// The kernel's clock, which timers are set and fire by.
    clock: Arc<crate::clock::KernelClock>,
    /// Looks at this queue in progress: a filter on the queue met again
    /// inside one (a queue watching itself) answers from `last_count`.
    looking: AtomicUsize,
    last_count: AtomicUsize,
    /// The queue's descriptor was closed under a waiting `kevent`.
    pub(crate) restarts: crate::restart::RestartCount,
}

/// Who registers a change: the process whose descriptors and credentials
/// count.
pub(crate) struct Registrar<'a> {
    pub kernel: &'a Kernel,
    pub proc: &'a Arc<Proc>,
}

impl Kqueue {
    /// An empty queue of kernel `k`.
    pub fn new(k: &Kernel) -> Arc<Kqueue> {
        Arc::new(Kqueue {
            knotes: Mutex::new(Vec::new()),
            kernel: k.weak(),
            clock: Arc::clone(k.clock()),
            looking: AtomicUsize::new(0),
            restarts: Default::default(),
            last_count: AtomicUsize::new(0),
        })
    }

    fn find(&self, ident: u64, filter: u32) -> Option<Arc<Knote>> {
        lock(&self.knotes)
            .iter()
            .find(|kn| {
                let st = kn.lock();
                st.kev.ident == ident && st.kev.filter == filter
            })
            .cloned()
    }

    /// Take `kn` off the queue for good (`knote_detach`).
    pub(crate) fn detach(&self, kn: &Arc<Knote>) {
        kn.lock().detached = true;
        lock(&self.knotes).retain(|k| !Arc::ptr_eq(k, kn));
    }

    /// Apply one change (NetBSD's `kqueue_register`).
    /// A new knote takes the change's `fflags` and `data` as its own and
    /// zeroes them in `kev`, so an `EV_ERROR` or `EV_RECEIPT` entry made
    /// from it shows them zero, as NetBSD's does.
    pub(crate) fn register(self: &Arc<Self>, who: &Registrar, kev: &mut Kevent) -> KResult<()> {
        let filter = kev.filter;
        if filter >= EVFILT_SYSCOUNT || filter == EVFILT_AIO {
            return Err(Errno::EINVAL);
        }
        let on_fd = matches!(filter, EVFILT_READ | EVFILT_WRITE | EVFILT_VNODE);
        let fdt = who.proc.fdt();
        let file = if on_fd {
            let fd = i32::try_from(kev.ident).map_err(|_| Errno::EBADF)?;
            Some((fd, fdt.get(fd)?))
        } else {
            None
        };
        let kn = match (self.find(kev.ident, filter), kev.flags & EV_ADD != 0) {
            (Some(kn), true) => {
                // Later adds change the filter's values, not its state.
                let mut st = kn.lock();
                st.sfflags = kev.fflags;
                st.sdata = kev.data;
                st.kev.udata = kev.udata;
                drop(st);
                kn
            }
            (None, true) => {
                let asked = *kev;
                kev.fflags = 0;
                kev.data = 0;
                self.attach(who, &asked, file)?
            }
            (None, false) => return Err(Errno::ENOENT),
            (Some(kn), false) => {
                if kev.flags & EV_DELETE != 0 {
                    self.detach(&kn);
                    return Ok(());
                }
                kn
            }
        };
        let mut st = kn.lock();
        if kev.flags & EV_DISABLE != 0 {
            st.disabled = true;
        }
        if kev.flags & EV_ENABLE != 0 {
            st.disabled = false;
        }
        drop(st);
        if let Some(k) = self.kernel.upgrade() {
            k.selnotify();
        }
        Ok(())
    }

    /// A new knote for `kev` (`f_attach`), on the queue.
    fn attach(
        self: &Arc<Self>,
        who: &Registrar,
        kev: &Kevent,
        file: Option<(i32, Arc<File>)>,
    ) -> KResult<Arc<Knote>> {
        let mut shown = Kevent {
            fflags: 0,
            data: 0,
            ..*kev
        };
        let now = self.clock.monotonic();
        let (src, vnode) = match kev.filter {
            EVFILT_READ | EVFILT_WRITE | EVFILT_VNODE => {
                let (_, f) = file.as_ref().ok_or(Errno::EBADF)?;
                let vnode = f.ops().kqfilter(kev.filter)?;
                (Source::File(Arc::downgrade(f)), vnode)
            }
            EVFILT_PROC => {
                let target = i32::try_from(kev.ident)
                    .ok()
                    .and_then(|pid| who.kernel.procs().find(pid))
                    .ok_or(Errno::ESRCH)?;
                may_watch(&who.proc.cred(), &target.cred())?;
                shown.flags |= EV_CLEAR;
                let kn = self.push(shown, kev, Source::Proc);
                target.knote_attach(&kn);
                return Ok(kn);
            }
            EVFILT_SIGNAL => {
                if !(1..crate::lwproc::NSIG as u64).contains(&kev.ident) {
                    return Err(Errno::EINVAL);
                }
                shown.flags |= EV_CLEAR;
                let kn = self.push(shown, kev, Source::Signal);
                who.proc.knote_attach(&kn);
                return Ok(kn);
            }
            EVFILT_TIMER => {
                if kev.data == 0 {
                    return Err(Errno::EINVAL);
                }
                shown.flags |= EV_CLEAR;
                let next = now.saturating_add(knote::timer_period(kev.data));
                return Ok(self.push(shown, kev, Source::Timer { next }));
            }
            _ => return Err(Errno::EINVAL),
        };
        let kn = self.push(shown, kev, src);
        if let Some((fd, _)) = file {
            who.proc.fdt().knote_attach(fd, &kn);
        }
        if let Some(key) = vnode {
            knote::watch_vnode(who.kernel, key, &kn);
        }
        Ok(kn)
    }

    /// Follow forked process `child` with the knote `kev` that a
    /// `NOTE_TRACK` knote made (`EV_FLAG1`): it reports `NOTE_CHILD` and
    /// its parent's pid at once.
    fn track(self: &Arc<Self>, child: &Arc<Proc>, kev: &Kevent) {
        if let Some(kn) = self.find(kev.ident, EVFILT_PROC) {
            let mut st = kn.lock();
            st.sfflags = kev.fflags;
            st.kev.udata = kev.udata;
            return;
        }
        let shown = Kevent {
            flags: (kev.flags | EV_CLEAR) & !EV_FLAG1,
            fflags: NOTE_CHILD,
            ..*kev
        };
        let kn = self.push(shown, kev, Source::Proc);
        child.knote_attach(&kn);
        if let Some(k) = self.kernel.upgrade() {
            k.selnotify();
        }
    }

    fn push(self: &Arc<Self>, shown: Kevent, asked: &Kevent, src: Source) -> Arc<Knote> {
        let kn = Arc::new(Knote {
            kq: Arc::downgrade(self),
            st: Mutex::new(KnState {
                kev: shown,
                sfflags: asked.fflags,
                sdata: asked.data,
                src,
                disabled: false,
                detached: false,
                rearm: None,
                latched: false,
            }),
        });
        lock(&self.knotes).push(Arc::clone(&kn));
        kn
    }

    /// Up to `max` fired events, handled as their flags say (NetBSD's
    /// `kqueue_scan` without the wait): one-shot knotes go, `EV_CLEAR`
    /// resets, `EV_DISPATCH` disables.
    pub(crate) fn collect(&self, max: usize) -> Vec<Kevent> {
        let now = self.clock.monotonic();
        self.looking.fetch_add(1, Ordering::AcqRel);
        let knotes = lock(&self.knotes).clone();
        let mut out = Vec::new();
        let mut gone = Vec::new();
        for kn in knotes {
            if out.len() >= max {
                break;
            }
            if kn.lock().disabled || !kn.evaluate(now) {
                continue;
            }
            let mut st = kn.lock();
            if st.detached || st.disabled {
                continue;
            }
            out.push(st.kev);
            let level = matches!(st.src, Source::File(_)) && st.kev.filter != EVFILT_VNODE;
            let seen = (st.kev.data, st.kev.flags & EV_EOF);
            if st.kev.flags & EV_ONESHOT != 0 {
                st.detached = true;
                gone.push(Arc::clone(&kn));
            } else if st.kev.flags & EV_CLEAR != 0 {
                st.kev.data = 0;
                st.kev.fflags = 0;
                if level {
                    st.rearm = Some(seen);
                }
            } else if st.kev.flags & EV_DISPATCH != 0 {
                st.disabled = true;
                if level {
                    st.rearm = Some(seen);
                }
            }
        }
        if !gone.is_empty() {
            lock(&self.knotes).retain(|k| !gone.iter().any(|g| Arc::ptr_eq(g, k)));
        }
        self.looking.fetch_sub(1, Ordering::AcqRel);
        out
    }

    /// How many events have fired and wait to be collected (`kq_count`).
    pub fn pending(&self) -> usize {
        if self.looking.fetch_add(1, Ordering::AcqRel) > 0 {
            self.looking.fetch_sub(1, Ordering::AcqRel);
            return self.last_count.load(Ordering::Acquire);
        }
        let now = self.clock.monotonic();
        let knotes = lock(&self.knotes).clone();
        let n = knotes
            .iter()
            .filter(|kn| !kn.lock().disabled && kn.evaluate(now))
            .count();
        self.last_count.store(n, Ordering::Release);
        self.looking.fetch_sub(1, Ordering::AcqRel);
        n
    }

    /// When the earliest timer on the queue, or on a queue it watches,
    /// fires: a timer wakes nobody, so a waiter sleeps no longer.
    pub(crate) fn next_timer(&self) -> Option<Duration> {
        self.next_timer_at(0)
    }

    fn next_timer_at(&self, depth: usize) -> Option<Duration> {
        /// Queues watching queues deeper than this are not followed (a
        /// queue may watch itself).
        const MAX_DEPTH: usize = 4;
        if depth > MAX_DEPTH {
            return None;
        }
        let knotes = lock(&self.knotes).clone();
        knotes.iter().filter_map(|kn| kn.next_expiry(depth)).min()
    }

    /// Drop every knote (the queue's last close).
    fn close(&self) {
        let all = std::mem::take(&mut *lock(&self.knotes));
        for kn in &all {
            kn.lock().detached = true;
        }
    }
}

/// The names of the system filters, by number (`sys_kfilters`).
const FILTER_NAMES: [&str; EVFILT_SYSCOUNT as usize] = [
    "EVFILT_READ",
    "EVFILT_WRITE",
    "EVFILT_AIO",
    "EVFILT_VNODE",
    "EVFILT_PROC",
    "EVFILT_SIGNAL",
    "EVFILT_TIMER",
];
/// `KFILTER_BYFILTER` and `KFILTER_BYNAME`: `_IOWR('k', 0 or 1, struct
/// kfilter_mapping)`, a 24-byte `{ char *name; size_t len; uint32_t
/// filter; }` (`sys/event.h`).
const KFILTER_BYFILTER: u64 = 0xc018_6b00;
const KFILTER_BYNAME: u64 = 0xc018_6b01;
/// `KFILTER_MAXNAME`: the longest name looked up.
const KFILTER_MAXNAME: usize = 256;

/// A kqueue's ioctls: a filter's name from its number and back
/// (NetBSD's `kqueue_ioctl`); ENOTTY for others.
fn kfilter_ioctl(cmd: u64, data: &mut [u8], user: &dyn crate::usermem::UserSpace) -> KResult<()> {
    let word = |d: &[u8], at: usize| {
        d.get(at..at + 8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or_default()))
    };
    let (name_at, len) = (word(data, 0), word(data, 8) as usize);
    let filter_field = data.get_mut(16..20).ok_or(Errno::EINVAL)?;
    match cmd {
        KFILTER_BYFILTER => {
            let f = u32::from_le_bytes(filter_field.try_into().unwrap_or_default());
            let name = FILTER_NAMES.get(f as usize).ok_or(Errno::ENOENT)?;
            // copyoutstr: the name and its NUL, cut to the buffer.
            let mut bytes = name.as_bytes().to_vec();
            bytes.push(0);
            let n = bytes.len().min(len);
            user.copyout(name_at, &bytes[..n])?;
            if n < bytes.len() {
                return Err(Errno::ENAMETOOLONG);
            }
            Ok(())
        }
        KFILTER_BYNAME => {
            let name = user.copyinstr(name_at, KFILTER_MAXNAME)?;
            let f = FILTER_NAMES
                .iter()
                .position(|n| n.as_bytes() == name.as_slice())
                .ok_or(Errno::ENOENT)?;
            filter_field.copy_from_slice(&(f as u32).to_le_bytes());
            Ok(())
        }
        _ => Err(Errno::ENOTTY),
    }
}

/// Whether a process with credentials `me` may watch one with `them`:
/// the same effective user, or the superuser
/// (`KAUTH_PROCESS_KEVENT_FILTER`).
fn may_watch(me: &Cred, them: &Cred) -> KResult<()> {
    if me.is_root() || me.euid == them.euid {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// The file behind a kqueue descriptor.
pub struct KqueueFile {
    /// The queue.
    pub kq: Arc<Kqueue>,
}

impl FileOps for KqueueFile {
    fn read(&self, _: &Ctx, _: &mut [u8], _: Option<u64>) -> KResult<usize> {
        Err(Errno::ENXIO)
    }

    fn write(&self, _: &Ctx, _: &[u8], _: Option<u64>) -> KResult<usize> {
        Err(Errno::ENXIO)
    }

    fn stat(&self, _: &Ctx) -> KResult<Stat> {
        // As NetBSD's kqueue_stat: a FIFO by its mode, the pending events
        // as its size, one kevent as its block.
        Ok(Stat {
            mode: netbsd_abi::S_IFIFO as u32,
            size: self.kq.pending() as i64,
            blksize: netbsd_abi::layout::kevent::SIZE as i32,
            ..Stat::default()
        })
    }

    fn poll(&self, events: i16) -> i16 {
        let readable = (netbsd_abi::POLLIN | netbsd_abi::POLLRDNORM) as i16;
        if events & readable != 0 && self.kq.pending() > 0 {
            events & readable
        } else {
            0
        }
    }

    fn close(&self) {
        self.kq.close();
    }

    /// `kqueue_restart`: a waiting `kevent` wakes and restarts.
    fn restart(&self) {
        self.kq.restarts.restart();
        if let Some(k) = self.kq.kernel.upgrade() {
            k.selnotify();
        }
    }

    fn ioctl(
        &self,
        _ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        user: &dyn crate::usermem::UserSpace,
    ) -> KResult<()> {
        kfilter_ioctl(cmd, data, user)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn dtype(&self) -> u32 {
        DTYPE_KQUEUE
    }

    fn kqfilter(&self, filter: u32) -> KResult<Option<VnodeKey>> {
        // NetBSD's kqueue_kqfilter answers 1 for any other filter, which
        // callers see as EPERM.
        if filter == EVFILT_READ {
            Ok(None)
        } else {
            Err(Errno::EPERM)
        }
    }

    fn kevent(&self, kn: &mut FilterState) -> bool {
        kn.data = self.kq.pending() as i64;
        kn.data > 0
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

/// Post process hint `hint` to the knotes of `list` (a process's); for
/// a `NOTE_FORK`, `child` is the new process, which `NOTE_TRACK` knotes
/// follow with a knote of their own.
pub(crate) fn proc_note(list: &[Weak<Knote>], hint: u32, child: Option<&Arc<Proc>>) {
    for (kq, kev, parent) in knote::proc_hint(list, hint) {
        match child {
            Some(c) => kq.track(c, &kev),
            None => parent.lock().kev.fflags |= NOTE_TRACKERR,
        }
    }
}

/// How long `kevent` may sleep before it must look again: until the
/// deadline or the queue's next timer, whichever is first.
pub(crate) fn sleep_for(kq: &Kqueue, deadline: Option<Duration>, now: Duration) -> Duration {
    let until = [deadline, kq.next_timer()].into_iter().flatten().min();
    until.map_or(Duration::MAX, |t| t.saturating_sub(now))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kevent_bytes_round_trip_at_netbsd_offsets() {
        let k = Kevent {
            ident: 7,
            filter: EVFILT_VNODE,
            flags: EV_ADD | EV_CLEAR,
            fflags: NOTE_WRITE | NOTE_EXTEND,
            data: -2,
            udata: 0x1234,
        };
        let b = k.to_bytes();
        assert_eq!(b.len(), 40);
        assert_eq!(&b[0..8], &7u64.to_le_bytes());
        assert_eq!(&b[8..12], &3u32.to_le_bytes());
        assert_eq!(&b[12..16], &0x21u32.to_le_bytes());
        assert_eq!(&b[16..20], &6u32.to_le_bytes());
        assert_eq!(&b[24..32], &(-2i64).to_le_bytes());
        assert_eq!(&b[32..40], &0x1234i64.to_le_bytes());
        assert_eq!(Kevent::from_bytes(&b), k);
    }

    #[test]
    fn timer_periods_below_a_tick_are_one_tick() {
        assert_eq!(knote::timer_period(1), Duration::from_millis(10));
        assert_eq!(knote::timer_period(-5), Duration::from_millis(10));
        assert_eq!(knote::timer_period(250), Duration::from_millis(250));
    }
}
