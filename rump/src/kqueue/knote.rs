//! Knotes: one watched event of one kqueue, and the filters that decide
//! whether it has fired (NetBSD's `struct knote` and `filterops`).
//!
//! Descriptor filters are level-triggered: the file answers whether the
//! event holds now ([`crate::file::FileOps::kevent`]). Vnode, process and
//! signal events are edge-triggered: the place where they happen posts a
//! hint to the knotes watching ([`vnode_note`], [`proc_note`]). Timers are
//! counted from the clock whenever a knote is looked at, so they need no
//! thread of their own.

use super::Kqueue;
use super::consts::*;
use crate::file::File;
use crate::kernel::Kernel;
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// NetBSD's `struct kevent`, decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kevent {
    /// What is watched: a descriptor, pid, signal or timer number.
    pub ident: u64,
    /// `EVFILT_*`.
    pub filter: u32,
    /// `EV_*`.
    pub flags: u32,
    /// Filter flags (`NOTE_*`).
    pub fflags: u32,
    /// Filter data.
    pub data: i64,
    /// The caller's own value, handed back.
    pub udata: i64,
}

impl Kevent {
    /// Decode NetBSD's layout (`netbsd_abi::layout::kevent`).
    pub fn from_bytes(b: &[u8]) -> Kevent {
        use netbsd_abi::layout::kevent as l;
        Kevent {
            ident: l::ident.get(b).unwrap_or(0),
            filter: l::filter.get(b).unwrap_or(0) as u32,
            flags: l::flags.get(b).unwrap_or(0) as u32,
            fflags: l::fflags.get(b).unwrap_or(0) as u32,
            data: l::data.get(b).unwrap_or(0) as i64,
            udata: l::udata.get(b).unwrap_or(0) as i64,
        }
    }

    /// Encode NetBSD's layout.
    pub fn to_bytes(&self) -> [u8; netbsd_abi::layout::kevent::SIZE] {
        use netbsd_abi::layout::kevent as l;
        let mut b = [0u8; l::SIZE];
        l::ident.put(&mut b, self.ident);
        l::filter.put(&mut b, u64::from(self.filter));
        l::flags.put(&mut b, u64::from(self.flags));
        l::fflags.put(&mut b, u64::from(self.fflags));
        l::data.put(&mut b, self.data as u64);
        l::udata.put(&mut b, self.udata as u64);
        b
    }
}

/// What a file's filter reads and sets (the fields of NetBSD's knote that
/// `f_event` uses).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FilterState {
    /// `EVFILT_*`.
    pub filter: u32,
    /// The filter flags the caller asked for (`kn_sfflags`).
    pub sfflags: u32,
    /// The data the caller gave (`kn_sdata`, a low-water mark).
    pub sdata: i64,
    /// Flags reported (`EV_EOF` is the filter's to set).
    pub flags: u32,
    /// Filter flags reported.
    pub fflags: u32,
    /// Data reported.
    pub data: i64,
}

/// A vnode as the knote registry names it: mount id and inode number.
pub type VnodeKey = (u64, u64);

/// Where a knote's events come from.
pub(crate) enum Source {
    /// A descriptor's file: asked each time (and hinted, for vnodes).
    File(Weak<File>),
    /// A process: `NOTE_FORK`/`NOTE_EXIT` hints.
    Proc,
    /// Signals posted to the registering process.
    Signal,
    /// A timer: when it next expires.
    Timer { next: Duration },
}

/// A knote's state, under its lock.
pub(crate) struct KnState {
    pub kev: Kevent,
    pub sfflags: u32,
    pub sdata: i64,
    pub src: Source,
    pub disabled: bool,
    /// Gone from its kqueue (deleted, its descriptor closed).
    pub detached: bool,
    /// For a level-triggered file filter after `EV_CLEAR` or `EV_DISPATCH`
    /// reported it: the data and `EV_EOF` seen then. NetBSD reports such a
    /// knote again only when the object changes; a change shows here as
    /// different data or a new end of file.
    pub rearm: Option<(i64, u32)>,
    /// Fires whatever its filter says: a read filter whose vnode was
    /// revoked (`NOTE_REVOKE` makes it a one-shot end of file).
    pub latched: bool,
}

/// One watched event.
pub(crate) struct Knote {
    pub kq: Weak<Kqueue>,
    pub st: Mutex<KnState>,
}

/// One clock tick of NetBSD's rump kernel (`hz` = 100): the shortest timer.
const TICK: Duration = Duration::from_millis(10);

/// The period of a timer knote whose `data` is `ms` milliseconds.
pub(crate) fn timer_period(ms: i64) -> Duration {
    // As mstohz: below one tick (a negative value too) is one tick.
    u64::try_from(ms)
        .map(Duration::from_millis)
        .unwrap_or(TICK)
        .max(TICK)
}

impl Knote {
    pub fn lock(&self) -> MutexGuard<'_, KnState> {
        lock(&self.st)
    }

    /// Whether the knote has fired, updating what it reports (`f_event`
    /// with no hint). `now` is the monotonic clock. The knote's lock is not
    /// held while a file is asked, so a kqueue may watch itself.
    pub fn evaluate(&self, now: Duration) -> bool {
        let (file, mut fs, rearm) = {
            let mut st = self.lock();
            if st.detached {
                return false;
            }
            let st = &mut *st;
            let (period, oneshot) = (timer_period(st.sdata), st.kev.flags & EV_ONESHOT != 0);
            let f = match &mut st.src {
                Source::File(w) => w.clone(),
                Source::Proc => return st.kev.fflags != 0 || st.kev.flags & EV_EOF != 0,
                Source::Signal => return st.kev.data > 0,
                Source::Timer { next } => {
                    if now >= *next {
                        let late = (now - *next).as_nanos() / period.as_nanos().max(1);
                        let n = 1 + u64::try_from(late).unwrap_or(u64::MAX - 1);
                        *next = if oneshot {
                            Duration::MAX
                        } else {
                            let n = u32::try_from(n).unwrap_or(u32::MAX);
                            next.saturating_add(period.saturating_mul(n))
                        };
                        st.kev.data = st.kev.data.saturating_add(n as i64);
                    }
                    return st.kev.data > 0;
                }
            };
            let fs = FilterState {
                filter: st.kev.filter,
                sfflags: st.sfflags,
                sdata: st.sdata,
                flags: st.kev.flags,
                fflags: st.kev.fflags,
                data: st.kev.data,
            };
            (f, fs, st.rearm)
        };
        let Some(file) = file.upgrade() else {
            return false;
        };
        let fired = file.ops().kevent(&mut fs);
        let mut st = self.lock();
        if st.detached {
            return false;
        }
        if st.latched {
            st.kev.data = fs.data;
            return true;
        }
        st.kev.flags = fs.flags;
        st.kev.fflags = fs.fflags;
        st.kev.data = fs.data;
        match rearm {
            Some((data, eof)) if st.kev.filter != EVFILT_VNODE => {
                let now_eof = fs.flags & EV_EOF;
                if fired && (fs.data != data || now_eof & !eof != 0) {
                    st.rearm = None;
                    true
                } else {
                    st.rearm = Some((fs.data, now_eof));
                    false
                }
            }
            _ => fired,
        }
    }

    /// When a timer knote next fires, if it is one; for a knote on a
    /// kqueue, when that queue's next timer fires (`depth` bounds queues
    /// watching each other).
    pub fn next_expiry(&self, depth: usize) -> Option<Duration> {
        let st = self.lock();
        if st.disabled || st.detached {
            return None;
        }
        match &st.src {
            Source::Timer { next } => Some(*next),
            Source::File(w) => {
                let f = w.upgrade()?;
                drop(st);
                let kq = f.ops().as_any()?.downcast_ref::<super::KqueueFile>()?;
                kq.kq.next_timer_at(depth + 1)
            }
            _ => None,
        }
    }

    /// Tell the kqueue's waiters to look again.
    fn wake(&self) {
        if let Some(k) = self.kq.upgrade().and_then(|kq| kq.kernel.upgrade()) {
            k.selnotify();
        }
    }
}

/// The knotes watching vnodes, by vnode: a kernel extension.
#[derive(Default)]
struct VnodeKlists {
    map: Mutex<HashMap<VnodeKey, Vec<Weak<Knote>>>>,
}

/// Watch vnode `key` with `kn` (genfs_kqfilter's list insertion).
pub(crate) fn watch_vnode(k: &Kernel, key: VnodeKey, kn: &Arc<Knote>) {
    let lists = k.extension(VnodeKlists::default);
    k.vnode_knotes
        .store(true, std::sync::atomic::Ordering::Release);
    let mut m = lock(&lists.map);
    m.retain(|_, v| {
        v.retain(|w| w.strong_count() > 0);
        !v.is_empty()
    });
    m.entry(key).or_default().push(Arc::downgrade(kn));
}

/// Whether any knote watches vnode `key`: the VFS asks before it
/// gathers what a hint needs.
pub fn vnode_watched(k: &Kernel, key: VnodeKey) -> bool {
    if !k.vnode_knotes.load(std::sync::atomic::Ordering::Acquire) {
        return false;
    }
    k.try_extension::<VnodeKlists>().is_some_and(|lists| {
        lock(&lists.map)
            .get(&key)
            .is_some_and(|v| v.iter().any(|w| w.strong_count() > 0))
    })
}

/// Something happened to vnode `key` (NetBSD's `VN_KNOTE`): `hint` is the
/// `NOTE_*` bits, which each watching `EVFILT_VNODE` knote records if it
/// asked for them. File systems call this where the change is made.
pub fn vnode_note(k: &Kernel, key: VnodeKey, hint: u32) {
    if !k.vnode_knotes.load(std::sync::atomic::Ordering::Acquire) {
        return;
    }
    let Some(lists) = k.try_extension::<VnodeKlists>() else {
        return;
    };
    let knotes: Vec<Arc<Knote>> = lock(&lists.map)
        .get(&key)
        .map(|v| v.iter().filter_map(Weak::upgrade).collect())
        .unwrap_or_default();
    for kn in knotes {
        let fired = {
            let mut st = kn.lock();
            if hint & NOTE_REVOKE != 0 {
                // filt_genfsvnode and filt_genfsread: the file system is
                // gone; a read filter reports its end once.
                if st.kev.filter == EVFILT_READ {
                    st.kev.flags |= EV_EOF | EV_ONESHOT;
                    st.latched = true;
                } else {
                    st.kev.flags |= EV_EOF;
                }
            }
            if st.kev.filter == EVFILT_VNODE && st.sfflags & hint != 0 {
                st.kev.fflags |= st.sfflags & hint;
                true
            } else {
                // A read filter looks again: the file's size changed.
                st.kev.filter == EVFILT_READ
            }
        };
        if fired {
            kn.wake();
        }
    }
}

/// Every vnode of mount `mnt` was revoked (a forced unmount): post
/// `NOTE_REVOKE` to the knotes watching them.
pub fn vnode_revoke_mount(k: &Kernel, mnt: u64) {
    let Some(lists) = k.try_extension::<VnodeKlists>() else {
        return;
    };
    let keys: Vec<VnodeKey> = lock(&lists.map)
        .keys()
        .filter(|key| key.0 == mnt)
        .copied()
        .collect();
    for key in keys {
        vnode_note(k, key, NOTE_REVOKE);
    }
}

/// Apply process hint `hint` (`NOTE_EXIT`, `NOTE_FORK | child pid`,
/// `NOTE_SIGNAL | signal`) to the knotes of a process's list, as NetBSD's
/// `filt_proc` and `filt_signal` do. Returns the `NOTE_TRACK` knotes to
/// make for a child: its kqueue, its change, and the knote that asked.
pub(crate) fn proc_hint(list: &[Weak<Knote>], hint: u32) -> Vec<(Arc<Kqueue>, Kevent, Arc<Knote>)> {
    let mut track = Vec::new();
    for kn in list.iter().filter_map(Weak::upgrade) {
        let mut st = kn.lock();
        if st.detached {
            continue;
        }
        match st.kev.filter {
            EVFILT_SIGNAL if hint & NOTE_SIGNAL != 0 => {
                if st.kev.ident == u64::from(hint & !NOTE_SIGNAL) {
                    st.kev.data += 1;
                } else {
                    continue;
                }
            }
            EVFILT_PROC if hint & NOTE_SIGNAL == 0 => {
                let event = hint & NOTE_PCTRLMASK;
                if event == NOTE_EXIT {
                    // The process is gone: report once, then the knote goes.
                    st.kev.data = 0;
                    st.kev.flags |= EV_EOF | EV_ONESHOT;
                    st.kev.fflags |= st.sfflags & NOTE_EXIT;
                } else if event == NOTE_FORK {
                    st.kev.fflags |= st.sfflags & NOTE_FORK;
                    if st.sfflags & NOTE_TRACK != 0
                        && let Some(kq) = kn.kq.upgrade()
                    {
                        let child = Kevent {
                            ident: u64::from(hint & NOTE_PDATAMASK),
                            filter: EVFILT_PROC,
                            flags: st.kev.flags | EV_ADD | EV_ENABLE | EV_FLAG1,
                            fflags: st.sfflags,
                            // The child's event names its parent.
                            data: st.kev.ident as i64,
                            udata: st.kev.udata,
                        };
                        track.push((kq, child, Arc::clone(&kn)));
                    }
                } else {
                    continue;
                }
            }
            _ => continue,
        }
        drop(st);
        kn.wake();
    }
    track
}

/// NetBSD's kernel-only `NOTE_SIGNAL`: a process hint that carries a signal.
pub(crate) const NOTE_SIGNAL: u32 = 0x0800_0000;
