//! Interval timers (`__setitimer50`, `__getitimer50`) and POSIX timers
//! (`timer_create`, `timer_delete`, `__timer_settime50`,
//! `__timer_gettime50`, `timer_getoverrun`), as NetBSD's `kern_time.c`.
//!
//! A process has up to `TIMER_MAX` timers: slots 0 to 3 are `setitimer`'s
//! (`ITIMER_REAL`, `_VIRTUAL`, `_PROF`, `_MONOTONIC`), the rest are
//! `timer_create`'s. Realtime and monotonic timers keep their expiry as an
//! absolute time on their clock and expire as the kernel's callouts
//! ([`crate::callout`]), which post their signal to the process (a remote client gets it as a
//! RAISE, as NetBSD's rump kernel sends it). Virtual and profiling timers
//! count the process's user and system time, which a rump kernel's clock
//! interrupt never charges to a client process: as on NetBSD's rump
//! kernel, they keep their value and never expire. Timers are not
//! inherited by a new process and die with their process.

use super::{Ctx, SysArgs, SysRet, SyscallFn, arg_int, ret};
use crate::callout::CalloutId;
use crate::clock::{Nanos, from_timespec, to_timespec};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::lwproc::{NSIG, Proc, ProcData};
use crate::sync::lock;
use crate::usermem::{UserSpace, copyin_array};
use netbsd_abi::layout::{itimerspec, timespec, timeval};
use netbsd_abi::{
    CLOCK_MONOTONIC, CLOCK_PROF, CLOCK_REALTIME, CLOCK_VIRTUAL, SIGALRM, SIGPROF, SIGVTALRM,
    SYS___getitimer50, SYS___setitimer50, SYS___timer_gettime50, SYS___timer_settime50,
    SYS_timer_create, SYS_timer_delete, SYS_timer_getoverrun, TIMER_ABSTIME,
};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// `TIMER_MIN` and `TIMER_MAX` (`sys/timevar.h`): the first slot
/// `timer_create` hands out, and one past the last.
const TIMER_MIN: usize = 4;
const TIMER_MAX: usize = 36;
/// The lowest id the timer calls accept (NetBSD checks `timerid < 2`).
const TIMER_ID_LOW: i32 = 2;
/// `DELAYTIMER_MAX`: the most overruns `timer_getoverrun` reports.
const DELAYTIMER_MAX: i64 = 32;
/// `ITIMER_MONOTONIC` (`sys/time.h`), the highest `setitimer` slot; the
/// `ITIMER_*` numbers are the `CLOCK_*` numbers of the timers' clocks.
const ITIMER_MONOTONIC: i32 = 3;
/// `sigev_notify` values (`sys/signal.h`).
const SIGEV_NONE: i32 = 0;
const SIGEV_SIGNAL: i32 = 1;
const SIGEV_SA: i32 = 3;
/// `struct sigevent` (`sys/signal.h`): `int sigev_notify; int
/// sigev_signo; union sigval sigev_value; void (*sigev_notify_function)
/// (union sigval); void *sigev_notify_attributes;`.
mod sigevent {
    use netbsd_abi::Field;
    pub const SIGEV_NOTIFY: Field = Field {
        offset: 0,
        size: 4,
        bit_offset: 0,
        bit_width: 0,
    };
    pub const SIGEV_SIGNO: Field = Field {
        offset: 4,
        size: 4,
        bit_offset: 0,
        bit_width: 0,
    };
    pub const SIZE: usize = 32;
}
/// `struct itimerval` (`sys/time.h`): `it_interval`, then `it_value`,
/// two `struct timeval`s.
const ITIMERVAL_SIZE: usize = 2 * timeval::SIZE;
/// `tick` of a rump kernel (`hz` = 100): a shorter non-zero timer runs
/// this long, as NetBSD's `itimerfix` has it.
const TICK_NS: Nanos = 10_000_000;
const NS_PER_SEC: Nanos = 1_000_000_000;

/// An interval and a value, in nanoseconds (`struct itimerspec`). A zero
/// value is a disarmed timer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Spec {
    interval: Nanos,
    value: Nanos,
}

/// A timer (`struct ptimer`).
struct PTimer {
    clock: i32,
    notify: i32,
    signo: i32,
    /// For realtime and monotonic timers the value is absolute.
    time: Spec,
    overruns: i64,
    poverruns: i64,
    /// Bumped at each change, so that an expiry already taken off the
    /// queue for an older setting does nothing.
    generation: u64,
    queued: Option<CalloutId>,
}

fn is_virtual(clock: i32) -> bool {
    clock == CLOCK_VIRTUAL || clock == CLOCK_PROF
}

/// A process's timers (`p_timers`).
#[derive(Default)]
struct ProcTimers {
    slots: Mutex<Vec<Option<PTimer>>>,
}

impl ProcData for ProcTimers {
    fn fork(&self) -> Self {
        // A new process has no timers (NetBSD's fork leaves p_timers NULL).
        ProcTimers::default()
    }
}

fn slots(p: &Proc) -> Arc<ProcTimers> {
    p.data(ProcTimers::default)
}

/// The time on `clock`, for a realtime or monotonic timer.
fn clock_now(k: &Kernel, clock: i32) -> Nanos {
    if clock == CLOCK_MONOTONIC {
        k.clock().monotonic().as_nanos() as Nanos
    } else {
        k.clock().realtime()
    }
}

/// NetBSD's `itimespecfix`: EINVAL for bad nanoseconds, ETIMEDOUT for a
/// negative time, and a non-zero time under a tick becomes a tick.
fn itimespecfix(sec: i64, nsec: i64) -> KResult<Nanos> {
    if !(0..NS_PER_SEC as i64).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    if sec < 0 {
        return Err(Errno::ETIMEDOUT);
    }
    if sec == 0 && nsec != 0 && Nanos::from(nsec) < TICK_NS {
        return Ok(TICK_NS);
    }
    Ok(from_timespec(sec, nsec))
}

fn decode_timespec(b: &[u8]) -> (i64, i64) {
    (
        timespec::tv_sec.get(b).unwrap_or(0) as i64,
        timespec::tv_nsec.get(b).unwrap_or(0) as i64,
    )
}

fn encode_timespec(b: &mut [u8], ns: Nanos) {
    let (sec, nsec) = to_timespec(ns);
    timespec::tv_sec.put(b, sec as u64);
    timespec::tv_nsec.put(b, nsec as u64);
}

fn decode_itimerspec(b: &[u8; itimerspec::SIZE]) -> KResult<Spec> {
    let interval = decode_timespec(&b[itimerspec::it_interval.range()]);
    let value = decode_timespec(&b[itimerspec::it_value.range()]);
    Ok(Spec {
        value: itimespecfix(value.0, value.1)?,
        interval: itimespecfix(interval.0, interval.1)?,
    })
}

fn encode_itimerspec(s: Spec) -> [u8; itimerspec::SIZE] {
    let mut b = [0u8; itimerspec::SIZE];
    encode_timespec(&mut b[itimerspec::it_interval.range()], s.interval);
    encode_timespec(&mut b[itimerspec::it_value.range()], s.value);
    b
}

/// A `struct timeval` as nanoseconds, through NetBSD's `itimerfix`.
fn itimerfix(b: &[u8]) -> KResult<Nanos> {
    let sec = timeval::tv_sec.get(b).unwrap_or(0) as i64;
    let usec = i64::from(timeval::tv_usec.get(b).unwrap_or(0) as u32 as i32);
    itimespecfix(sec, usec.saturating_mul(1000))
}

fn encode_itimerval(s: Spec) -> [u8; ITIMERVAL_SIZE] {
    let mut b = [0u8; ITIMERVAL_SIZE];
    for (at, ns) in [(0, s.interval), (timeval::SIZE, s.value)] {
        let (sec, nsec) = to_timespec(ns);
        timeval::tv_sec.put(&mut b[at..], sec as u64);
        timeval::tv_usec.put(&mut b[at..], (nsec / 1000) as u64);
    }
    b
}

/// Which timer an expiry is for: the process (which must still be the
/// one with that pid), the slot, and the setting it was armed for.
struct Expiry {
    proc: Weak<Proc>,
    pid: i32,
    slot: usize,
    generation: u64,
}

/// Arm `pt` (slot `slot` of `p`) for its value, or leave it disarmed
/// (`timer_settime`).
fn arm(k: &Kernel, p: &Arc<Proc>, slot: usize, pt: &mut PTimer) -> KResult<()> {
    pt.generation += 1;
    if let Some(id) = pt.queued.take() {
        k.callout_stop(id);
    }
    if is_virtual(pt.clock) || pt.time.value == 0 {
        return Ok(());
    }
    let left = (pt.time.value - clock_now(k, pt.clock)).max(0);
    let at = k.clock().monotonic() + Duration::from_nanos(left.min(u64::MAX as Nanos) as u64);
    let e = Expiry {
        proc: Arc::downgrade(p),
        pid: p.pid,
        slot,
        generation: pt.generation,
    };
    pt.queued = Some(k.callout_at(at, Box::new(move |k| expire(k, &e)))?);
    Ok(())
}

/// A timer's time is up (`realtimerexpire`, then `timer_intr`): set the
/// next expiry of a periodic timer, counting the periods missed, and post
/// the signal unless the last one still waits in the process.
fn expire(k: &Kernel, q: &Expiry) {
    let Some(p) = q.proc.upgrade() else { return };
    let alive = k.procs().find(q.pid).is_some_and(|c| Arc::ptr_eq(&c, &p));
    if !alive || p.is_exiting() {
        return;
    }
    let timers = slots(&p);
    let post = {
        let mut slots = lock(&timers.slots);
        let Some(Some(pt)) = slots.get_mut(q.slot) else {
            return;
        };
        if pt.generation != q.generation {
            return;
        }
        pt.queued = None;
        if pt.time.interval == 0 {
            pt.time.value = 0;
        } else {
            pt.time.value = next_expiry(pt, clock_now(k, pt.clock));
            if arm(k, &p, q.slot, pt).is_err() {
                pt.time.value = 0;
            }
        }
        if pt.notify != SIGEV_SIGNAL {
            None
        } else if p.signal_pending(pt.signo) {
            pt.overruns += 1;
            None
        } else {
            pt.poverruns = pt.overruns;
            pt.overruns = 0;
            Some(pt.signo)
        }
    };
    if let Some(sig) = post {
        let _ = p.psignal(sig);
    }
}

/// The next expiry of a periodic timer, and the periods missed added to
/// its overruns, computed as NetBSD's `realtimerexpire` does (in unsigned
/// 64-bit nanoseconds).
fn next_expiry(pt: &mut PTimer, now: Nanos) -> Nanos {
    let backwards = pt.time.value > now;
    let next = pt.time.value + pt.time.interval;
    if !backwards && next > now {
        return next;
    }
    let (now, last, interval) = (now as u64, pt.time.value as u64, pt.time.interval as u64);
    let mut next = now.wrapping_add(
        now.wrapping_sub(last)
            .wrapping_add(interval)
            .wrapping_sub(1)
            % interval,
    );
    if backwards {
        next = next.wrapping_add(interval);
    } else {
        let missed = (now - last) / interval;
        pt.overruns = pt.overruns.saturating_add(missed as i64);
    }
    Nanos::from(next)
}

/// What is left of `pt` (`timer_gettime`): a realtime or monotonic timer's
/// value made relative, zero once passed.
fn remaining(k: &Kernel, pt: &PTimer) -> Spec {
    let mut s = pt.time;
    if !is_virtual(pt.clock) && s.value != 0 {
        let now = clock_now(k, pt.clock);
        s.value = (s.value - now).max(0);
    }
    s
}

/// Set `pt` to `val` (`dotimer_settime` after its checks).
fn settime(
    k: &Kernel,
    p: &Arc<Proc>,
    slot: usize,
    pt: &mut PTimer,
    mut val: Spec,
    abstime: bool,
) -> KResult<()> {
    if val.value != 0 {
        if !is_virtual(pt.clock) {
            if !abstime {
                val.value += clock_now(k, pt.clock);
            }
        } else if abstime {
            // A virtual timer counts down: an absolute time becomes
            // what is left of it, at least a nanosecond.
            val.value -= k.clock().realtime();
            if val.value <= 0 {
                val.value = 1;
            }
        }
    }
    pt.time = val;
    arm(k, p, slot, pt).inspect_err(|_| {
        // Not armed (no callout thread under RUMP_THREADS=0): not set either.
        pt.time = Spec::default();
    })
}

/// The slot of a POSIX timer id, or EINVAL.
fn timer_slot(id: i32) -> KResult<usize> {
    if !(TIMER_ID_LOW..TIMER_MAX as i32).contains(&id) {
        return Err(Errno::EINVAL);
    }
    Ok(id as usize)
}

/// Run `f` on the process's timer `id`; EINVAL if there is none.
fn with_timer<R>(
    ctx: &Ctx,
    id: i32,
    f: impl FnOnce(&Kernel, &Arc<Proc>, usize, &mut PTimer) -> KResult<R>,
) -> KResult<R> {
    let slot = timer_slot(id)?;
    let p = ctx.proc();
    let timers = slots(p);
    let mut slots = lock(&timers.slots);
    match slots.get_mut(slot) {
        Some(Some(pt)) => f(ctx.kernel(), p, slot, pt),
        _ => Err(Errno::EINVAL),
    }
}

// The calls.

fn getitimer(ctx: &Ctx, which: i32) -> KResult<Spec> {
    if !(0..=ITIMER_MONOTONIC).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let timers = slots(ctx.proc());
    let slots = lock(&timers.slots);
    Ok(match slots.get(which as usize) {
        Some(Some(pt)) => remaining(ctx.kernel(), pt),
        _ => Spec::default(),
    })
}

fn setitimer(ctx: &Ctx, which: i32, interval: Nanos, value: Nanos) -> KResult<()> {
    let p = ctx.proc();
    let timers = slots(p);
    let mut slots = lock(&timers.slots);
    let slot = which as usize;
    if slots.len() <= slot {
        if value == 0 {
            return Ok(());
        }
        slots.resize_with(TIMER_MAX, || None);
    }
    let entry = &mut slots[slot];
    if entry.is_none() && value == 0 {
        return Ok(());
    }
    let pt = entry.get_or_insert_with(|| PTimer {
        clock: which,
        notify: SIGEV_SIGNAL,
        signo: default_signal(which),
        time: Spec::default(),
        overruns: 0,
        poverruns: 0,
        generation: 0,
        queued: None,
    });
    settime(ctx.kernel(), p, slot, pt, Spec { interval, value }, false)
}

/// The signal a timer on `clock` sends unless told otherwise.
fn default_signal(clock: i32) -> i32 {
    match clock {
        CLOCK_VIRTUAL => SIGVTALRM,
        CLOCK_PROF => SIGPROF,
        _ => SIGALRM,
    }
}

fn sys_getitimer(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let s = getitimer(ctx, arg_int(a, 0))?;
    us.copyout(a[1], &encode_itimerval(s))?;
    ret(0)
}

/// `__setitimer50(which, itv, oitv)`: the old value is written before the
/// new one is checked; a null `itv` only reads.
fn sys_setitimer(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let which = arg_int(a, 0);
    if !(0..=ITIMER_MONOTONIC).contains(&which) {
        return Err(Errno::EINVAL);
    }
    let new = if a[1] != 0 {
        Some(copyin_array::<ITIMERVAL_SIZE>(us, a[1])?)
    } else {
        None
    };
    if a[2] != 0 {
        us.copyout(a[2], &encode_itimerval(getitimer(ctx, which)?))?;
    }
    let Some(new) = new else { return ret(0) };
    let bad = |_| Errno::EINVAL;
    let value = itimerfix(&new[timeval::SIZE..]).map_err(bad)?;
    let interval = itimerfix(&new[..timeval::SIZE]).map_err(bad)?;
    setitimer(ctx, which, interval, value)?;
    ret(0)
}

fn timer_create(ctx: &Ctx, clock: i32, event: Option<&[u8]>) -> KResult<i32> {
    if !(CLOCK_REALTIME..=CLOCK_MONOTONIC).contains(&clock) {
        return Err(Errno::EINVAL);
    }
    let (notify, signo) = match event {
        Some(ev) => {
            let notify = sigevent::SIGEV_NOTIFY.get(ev).unwrap_or(0) as u32 as i32;
            let signo = sigevent::SIGEV_SIGNO.get(ev).unwrap_or(0) as u32 as i32;
            if !(SIGEV_NONE..=SIGEV_SA).contains(&notify)
                || (notify == SIGEV_SIGNAL && !(1..NSIG).contains(&signo))
            {
                return Err(Errno::EINVAL);
            }
            (notify, signo)
        }
        None => (SIGEV_SIGNAL, default_signal(clock)),
    };
    let timers = slots(ctx.proc());
    let mut slots = lock(&timers.slots);
    if slots.len() < TIMER_MAX {
        slots.resize_with(TIMER_MAX, || None);
    }
    let id = (TIMER_MIN..TIMER_MAX)
        .find(|&i| slots[i].is_none())
        .ok_or(Errno::EAGAIN)?;
    slots[id] = Some(PTimer {
        clock,
        notify,
        signo,
        time: Spec::default(),
        overruns: 0,
        poverruns: 0,
        generation: 0,
        queued: None,
    });
    Ok(id as i32)
}

/// `timer_create(clockid_t, struct sigevent *, timer_t *)`: with no event,
/// the clock's signal; the value of a signal is not carried (a rump
/// kernel raises the bare signal in its client, as NetBSD's does).
fn sys_timer_create(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let event = if a[1] != 0 {
        Some(copyin_array::<{ sigevent::SIZE }>(us, a[1])?)
    } else {
        None
    };
    let id = timer_create(ctx, arg_int(a, 0), event.as_ref().map(|e| &e[..]))?;
    // As NetBSD: a timer whose id cannot be written out stays made.
    us.copyout(a[2], &id.to_le_bytes())?;
    ret(0)
}

fn timer_delete(ctx: &Ctx, id: i32) -> KResult<()> {
    let slot = timer_slot(id)?;
    let timers = slots(ctx.proc());
    let mut slots = lock(&timers.slots);
    let pt = slots
        .get_mut(slot)
        .and_then(Option::take)
        .ok_or(Errno::EINVAL)?;
    if let Some(id) = pt.queued {
        ctx.kernel().callout_stop(id);
    }
    Ok(())
}

fn sys_timer_delete(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    timer_delete(ctx, arg_int(a, 0))?;
    ret(0)
}

/// `__timer_settime50(timer_t, int flags, const struct itimerspec *value,
/// struct itimerspec *ovalue)`. The old setting is reported as NetBSD
/// 7.99 keeps it: a realtime or monotonic timer's value is its absolute
/// expiry time.
fn sys_timer_settime(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let raw = copyin_array::<{ itimerspec::SIZE }>(us, a[2])?;
    let id = arg_int(a, 0);
    timer_slot(id)?;
    let val = decode_itimerspec(&raw)?;
    let abstime = arg_int(a, 1) & TIMER_ABSTIME != 0;
    let old = with_timer(ctx, id, |k, p, slot, pt| {
        let old = pt.time;
        settime(k, p, slot, pt, val, abstime)?;
        Ok(old)
    })?;
    if a[3] != 0 {
        us.copyout(a[3], &encode_itimerspec(old))?;
    }
    ret(0)
}

fn sys_timer_gettime(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let s = with_timer(ctx, arg_int(a, 0), |k, _, _, pt| Ok(remaining(k, pt)))?;
    us.copyout(a[1], &encode_itimerspec(s))?;
    ret(0)
}

/// `timer_getoverrun(timer_t)`: the expiries missed while the signal of
/// the one before still waited, up to `DELAYTIMER_MAX`.
fn sys_timer_getoverrun(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    let n = with_timer(ctx, arg_int(a, 0), |_, _, _, pt| {
        Ok(pt.poverruns.min(DELAYTIMER_MAX))
    })?;
    ret(n as u64)
}

/// Register the timer calls.
pub(super) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (SYS___setitimer50, "__setitimer50", sys_setitimer),
        (SYS___getitimer50, "__getitimer50", sys_getitimer),
        (SYS_timer_create, "timer_create", sys_timer_create),
        (SYS_timer_delete, "timer_delete", sys_timer_delete),
        (
            SYS_timer_getoverrun,
            "timer_getoverrun",
            sys_timer_getoverrun,
        ),
        (
            SYS___timer_settime50,
            "__timer_settime50",
            sys_timer_settime,
        ),
        (
            SYS___timer_gettime50,
            "__timer_gettime50",
            sys_timer_gettime,
        ),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}

/// A timer's setting as the typed calls take and give it: (interval,
/// value) as `struct timespec`s.
pub type ItimerSpec = ((i64, i64), (i64, i64));

fn to_spec(s: Spec) -> ItimerSpec {
    (to_timespec(s.interval), to_timespec(s.value))
}

impl Kernel {
    /// `getitimer(2)`: timer `which` (`ITIMER_REAL` ... `ITIMER_MONOTONIC`).
    pub fn sys_getitimer(&self, which: i32) -> KResult<ItimerSpec> {
        self.with_ctx(|ctx| getitimer(ctx, which).map(to_spec))
    }

    /// `setitimer(2)` in nanoseconds: the interval and the first expiry.
    pub fn sys_setitimer(
        &self,
        which: i32,
        interval: (i64, i64),
        value: (i64, i64),
    ) -> KResult<()> {
        if !(0..=ITIMER_MONOTONIC).contains(&which) {
            return Err(Errno::EINVAL);
        }
        let fix = |t: (i64, i64)| itimespecfix(t.0, t.1).map_err(|_| Errno::EINVAL);
        let (interval, value) = (fix(interval)?, fix(value)?);
        self.with_ctx(|ctx| setitimer(ctx, which, interval, value))
    }

    /// `timer_create(2)`: `signal` `None` for the clock's default
    /// (`SIGEV_SIGNAL`), `Some((notify, signo))` for a `struct sigevent`.
    pub fn sys_timer_create(&self, clock: i32, signal: Option<(i32, i32)>) -> KResult<i32> {
        let event = signal.map(|(notify, signo)| {
            let mut ev = [0u8; sigevent::SIZE];
            sigevent::SIGEV_NOTIFY.put(&mut ev, notify as u32 as u64);
            sigevent::SIGEV_SIGNO.put(&mut ev, signo as u32 as u64);
            ev
        });
        self.with_ctx(|ctx| timer_create(ctx, clock, event.as_ref().map(|e| &e[..])))
    }

    /// `timer_delete(2)`.
    pub fn sys_timer_delete(&self, id: i32) -> KResult<()> {
        self.with_ctx(|ctx| timer_delete(ctx, id))
    }

    /// `timer_settime(2)`: returns the old setting as NetBSD keeps it.
    pub fn sys_timer_settime(&self, id: i32, flags: i32, spec: ItimerSpec) -> KResult<ItimerSpec> {
        timer_slot(id)?;
        let val = Spec {
            interval: itimespecfix(spec.0.0, spec.0.1)?,
            value: itimespecfix(spec.1.0, spec.1.1)?,
        };
        self.with_ctx(|ctx| {
            with_timer(ctx, id, |k, p, slot, pt| {
                let old = pt.time;
                settime(k, p, slot, pt, val, flags & TIMER_ABSTIME != 0)?;
                Ok(to_spec(old))
            })
        })
    }

    /// `timer_gettime(2)`.
    pub fn sys_timer_gettime(&self, id: i32) -> KResult<ItimerSpec> {
        self.with_ctx(|ctx| with_timer(ctx, id, |k, _, _, pt| Ok(to_spec(remaining(k, pt)))))
    }

    /// `timer_getoverrun(2)`.
    pub fn sys_timer_getoverrun(&self, id: i32) -> KResult<i32> {
        self.with_ctx(|ctx| {
            with_timer(ctx, id, |_, _, _, pt| {
                Ok(pt.poverruns.min(DELAYTIMER_MAX) as i32)
            })
        })
    }
}
