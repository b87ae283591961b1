//! The time calls: clock_gettime, clock_getres, gettimeofday, nanosleep,
//! clock_nanosleep, and the ones that set the realtime clock
//! (settimeofday, clock_settime, adjtime), as NetBSD's `kern_time.c`. The
//! clocks are the kernel's ([`crate::clock`]): the host's, and an offset
//! for the realtime clock.

use super::{Ctx, SysArgs, SysRet, SyscallFn, arg_int, ret};
use crate::clock::{KernelClock, Nanos, from_timespec};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_array};
use netbsd_abi::layout::{timespec, timeval};
use netbsd_abi::{SYS___adjtime50, SYS___clock_settime50, SYS___settimeofday50};
use std::time::Duration;

/// `CLOCK_REALTIME`.
pub const CLOCK_REALTIME: i32 = netbsd_abi::CLOCK_REALTIME;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: i32 = netbsd_abi::CLOCK_MONOTONIC;
/// `TIMER_ABSTIME`: `clock_nanosleep` until a time rather than for one.
pub const TIMER_ABSTIME: i32 = netbsd_abi::TIMER_ABSTIME;
/// The resolution of both clocks: a rump kernel's timecounter runs at
/// 1 GHz (nanoseconds), so NetBSD's `clock_getres1` answers one.
const RESOLUTION_NS: i64 = 1;

/// A NetBSD `struct timespec` as (seconds, nanoseconds).
pub type Timespec = (i64, i64);

fn encode(ts: Timespec) -> [u8; timespec::SIZE] {
    let mut b = [0u8; timespec::SIZE];
    timespec::tv_sec.put(&mut b, ts.0 as u64);
    timespec::tv_nsec.put(&mut b, ts.1 as u64);
    b
}

fn decode(b: [u8; timespec::SIZE]) -> Timespec {
    (
        timespec::tv_sec.get(&b).unwrap_or_default() as i64,
        timespec::tv_nsec.get(&b).unwrap_or_default() as i64,
    )
}

/// Clock `clock` now, for the calls that read a clock.
pub(crate) fn clock_gettime(clock: &KernelClock, id: i32) -> KResult<Timespec> {
    match id {
        CLOCK_REALTIME => Ok(clock.realtime_timespec()),
        CLOCK_MONOTONIC => {
            let d = clock.monotonic();
            Ok((d.as_secs() as i64, i64::from(d.subsec_nanos())))
        }
        _ => Err(Errno::EINVAL),
    }
}

fn to_duration(ts: Timespec) -> KResult<Duration> {
    if ts.0 < 0 || !(0..1_000_000_000).contains(&ts.1) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(ts.0 as u64, ts.1 as u32))
}

fn nanosleep(ctx: &Ctx, d: Duration) -> KResult<()> {
    // The sleeping thread gives its virtual CPU up for the whole sleep.
    ctx.sleep(d)
}

pub(super) fn sys_clock_gettime(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let now = clock_gettime(ctx.kernel().clock(), arg_int(a, 0))?;
    us.copyout(a[1], &encode(now))?;
    ret(0)
}

pub(super) fn sys_clock_getres(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    clock_gettime(ctx.kernel().clock(), arg_int(a, 0))?;
    if a[1] != 0 {
        us.copyout(a[1], &encode((0, RESOLUTION_NS)))?;
    }
    ret(0)
}

/// `__gettimeofday50`: the time as a `struct timeval` (seconds, then
/// microseconds in an int and 4 bytes of padding), and a zero `struct
/// timezone` if asked (NetBSD has no kernel notion of a time zone).
pub(super) fn sys_gettimeofday(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    if a[0] != 0 {
        let (sec, nsec) = ctx.kernel().clock().realtime_timespec();
        let mut tv = [0u8; timeval::SIZE];
        timeval::tv_sec.put(&mut tv, sec as u64);
        timeval::tv_usec.put(&mut tv, u64::from((nsec / 1000) as i32 as u32));
        us.copyout(a[0], &tv)?;
    }
    if a[1] != 0 {
        us.copyout(a[1], &[0u8; 8])?;
    }
    ret(0)
}

/// How long until `ts` on `clock` (`TIMER_ABSTIME`), or `ts` itself.
fn sleep_length(kc: &KernelClock, clock: i32, flags: i32, ts: Timespec) -> KResult<Duration> {
    if !(0..1_000_000_000).contains(&ts.1) {
        return Err(Errno::EINVAL);
    }
    let now = clock_gettime(kc, clock)?;
    if flags & TIMER_ABSTIME == 0 {
        return to_duration((ts.0.max(0), if ts.0 < 0 { 0 } else { ts.1 }));
    }
    let left = i128::from(ts.0) * 1_000_000_000 + i128::from(ts.1)
        - (i128::from(now.0) * 1_000_000_000 + i128::from(now.1));
    Ok(Duration::from_nanos(
        left.clamp(0, i128::from(u64::MAX)) as u64
    ))
}

/// `clock_nanosleep(2)`: NetBSD's returns its error as the call's value
/// (NOERR), as POSIX has it; what remains of an interrupted relative
/// sleep goes to `rmtp`.
pub(super) fn sys_clock_nanosleep(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (clock, flags) = (arg_int(a, 0), arg_int(a, 1));
    let slept = copyin_array::<{ timespec::SIZE }>(us, a[2])
        .and_then(|b| sleep_length(ctx.kernel().clock(), clock, flags, decode(b)))
        .and_then(|d| nanosleep(ctx, d));
    let error = match slept {
        Ok(()) => {
            if a[3] != 0 && flags & TIMER_ABSTIME == 0 {
                us.copyout(a[3], &encode((0, 0))).err()
            } else {
                None
            }
        }
        Err(e) => Some(e),
    };
    ret(error.map_or(0, |e| e.0 as u64))
}

pub(super) fn sys_nanosleep(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let d = to_duration(decode(copyin_array::<{ timespec::SIZE }>(us, a[0])?))?;
    nanosleep(ctx, d)?;
    if a[1] != 0 {
        // Nothing interrupts a sleep in a rump kernel: nothing remains.
        us.copyout(a[1], &encode((0, 0)))?;
    }
    ret(0)
}

impl Kernel {
    /// `clock_gettime(2)` for `CLOCK_REALTIME` and `CLOCK_MONOTONIC`.
    pub fn sys_clock_gettime(&self, clock: i32) -> KResult<Timespec> {
        self.with_ctx(|ctx| clock_gettime(ctx.kernel().clock(), clock))
    }

    /// `clock_settime(2)`: set `CLOCK_REALTIME` (root only); the other
    /// clocks cannot be set (EINVAL).
    pub fn sys_clock_settime(&self, clock: i32, ts: Timespec) -> KResult<()> {
        self.with_ctx(|ctx| clock_settime(ctx, clock, from_timespec(ts.0, ts.1)))
    }

    /// `adjtime(2)` in microseconds: slew the realtime clock by `delta`
    /// (root only); returns what was still to be slewed.
    pub fn sys_adjtime(&self, delta: Option<i64>) -> KResult<i64> {
        self.with_ctx(|ctx| {
            ctx.cred().require_root()?;
            Ok(ctx.kernel().clock().adjtime(delta))
        })
    }

    /// `nanosleep(2)`; the thread's virtual CPU is free while it sleeps.
    pub fn sys_nanosleep(&self, ts: Timespec) -> KResult<()> {
        let d = to_duration(ts)?;
        self.with_ctx(|ctx| nanosleep(ctx, d))
    }
}

/// NetBSD's `settime1`: setting the clock needs the `KAUTH_SYSTEM_TIME`
/// right, root's under the traditional security model. The time is taken
/// as it is: NetBSD checks neither its range nor its fields.
fn settime(ctx: &Ctx, t: Nanos) -> KResult<()> {
    ctx.cred().require_root()?;
    ctx.kernel().clock().settime(t);
    Ok(())
}

fn clock_settime(ctx: &Ctx, clock: i32, t: Nanos) -> KResult<()> {
    match clock {
        CLOCK_REALTIME => settime(ctx, t),
        // The monotonic clock and the rest are read-only.
        _ => Err(Errno::EINVAL),
    }
}

/// `__clock_settime50(clockid_t, const struct timespec *)`.
fn sys_clock_settime(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let (sec, nsec) = decode(copyin_array::<{ timespec::SIZE }>(us, a[1])?);
    clock_settime(ctx, arg_int(a, 0), from_timespec(sec, nsec))?;
    ret(0)
}

/// A NetBSD `struct timeval` as (seconds, microseconds).
fn decode_timeval(b: &[u8]) -> (i64, i64) {
    let sec = timeval::tv_sec.get(b).unwrap_or(0) as i64;
    let usec = timeval::tv_usec.get(b).unwrap_or(0) as u32 as i32;
    (sec, i64::from(usec))
}

fn encode_timeval(sec: i64, usec: i64) -> [u8; timeval::SIZE] {
    let mut b = [0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut b, sec as u64);
    timeval::tv_usec.put(&mut b, usec as u64);
    b
}

/// `__settimeofday50(const struct timeval *, const void *tzp)`: a null
/// time sets nothing and succeeds before any check; a time zone is
/// obsolete and only logged, as NetBSD does.
fn sys_settimeofday(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    if a[1] != 0 {
        ctx.kernel().printf(&format!(
            "pid {} attempted to set the (obsolete) kernel time zone",
            ctx.proc().pid
        ));
    }
    if a[0] == 0 {
        return ret(0);
    }
    let (sec, usec) = decode_timeval(&copyin_array::<{ timeval::SIZE }>(us, a[0])?);
    settime(ctx, from_timespec(sec, usec * 1000))?;
    ret(0)
}

/// `__adjtime50(const struct timeval *delta, struct timeval *olddelta)`:
/// root only, even to read; the old correction is written as NetBSD's
/// `adjtime1` writes it (microseconds made non-negative by borrowing a
/// second).
fn sys_adjtime(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    ctx.cred().require_root()?;
    let delta = if a[0] != 0 {
        let (sec, usec) = decode_timeval(&copyin_array::<{ timeval::SIZE }>(us, a[0])?);
        Some(sec.saturating_mul(1_000_000).saturating_add(usec))
    } else {
        None
    };
    let old = ctx.kernel().clock().adjtime(delta);
    if a[1] != 0 {
        let (mut sec, mut usec) = (old / 1_000_000, old % 1_000_000);
        if usec < 0 {
            usec += 1_000_000;
            sec -= 1;
        }
        us.copyout(a[1], &encode_timeval(sec, usec))?;
    }
    ret(0)
}

/// Register the calls that set the clock.
pub(super) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (SYS___settimeofday50, "__settimeofday50", sys_settimeofday),
        (SYS___adjtime50, "__adjtime50", sys_adjtime),
        (
            SYS___clock_settime50,
            "__clock_settime50",
            sys_clock_settime,
        ),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}
