//! The time calls: clock_gettime, clock_getres, gettimeofday, nanosleep,
//! clock_nanosleep. The clocks are the host's (the hypercall clocks), as
//! a rump kernel's timecounter is; setting them is not supported yet.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_array};
use std::time::Duration;

/// `CLOCK_REALTIME`.
pub const CLOCK_REALTIME: i32 = 0;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: i32 = 3;
/// `TIMER_ABSTIME`: `clock_nanosleep` until a time rather than for one.
pub const TIMER_ABSTIME: i32 = 1;
/// The resolution of both clocks: a rump kernel's timecounter runs at
/// 1 GHz (nanoseconds), so NetBSD's `clock_getres1` answers one.
const RESOLUTION_NS: i64 = 1;

/// A NetBSD `struct timespec` as (seconds, nanoseconds).
pub type Timespec = (i64, i64);

fn encode(ts: Timespec) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&ts.0.to_le_bytes());
    b[8..].copy_from_slice(&ts.1.to_le_bytes());
    b
}

fn decode(b: [u8; 16]) -> Timespec {
    let (s, n) = b.split_at(8);
    (
        i64::from_le_bytes(s.try_into().unwrap_or_default()),
        i64::from_le_bytes(n.try_into().unwrap_or_default()),
    )
}

fn clock_gettime(clock: i32) -> KResult<Timespec> {
    let d = match clock {
        CLOCK_REALTIME => rumpuser::clock_wall(),
        CLOCK_MONOTONIC => rumpuser::clock_monotonic(),
        _ => return Err(Errno::EINVAL),
    };
    Ok((d.as_secs() as i64, i64::from(d.subsec_nanos())))
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

pub(super) fn sys_clock_gettime(_: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    us.copyout(a[1], &encode(clock_gettime(arg_int(a, 0))?))?;
    ret(0)
}

pub(super) fn sys_clock_getres(_: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    clock_gettime(arg_int(a, 0))?;
    if a[1] != 0 {
        us.copyout(a[1], &encode((0, RESOLUTION_NS)))?;
    }
    ret(0)
}

/// `__gettimeofday50`: the time as a `struct timeval` (seconds, then
/// microseconds in an int and 4 bytes of padding), and a zero `struct
/// timezone` if asked (NetBSD has no kernel notion of a time zone).
pub(super) fn sys_gettimeofday(_: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    if a[0] != 0 {
        let (sec, nsec) = clock_gettime(CLOCK_REALTIME)?;
        let mut tv = [0u8; 16];
        tv[..8].copy_from_slice(&sec.to_le_bytes());
        tv[8..12].copy_from_slice(&((nsec / 1000) as i32).to_le_bytes());
        us.copyout(a[0], &tv)?;
    }
    if a[1] != 0 {
        us.copyout(a[1], &[0u8; 8])?;
    }
    ret(0)
}

/// How long until `ts` on `clock` (`TIMER_ABSTIME`), or `ts` itself.
fn sleep_length(clock: i32, flags: i32, ts: Timespec) -> KResult<Duration> {
    if !(0..1_000_000_000).contains(&ts.1) {
        return Err(Errno::EINVAL);
    }
    let now = clock_gettime(clock)?;
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
    let slept = copyin_array::<16>(us, a[2])
        .and_then(|b| sleep_length(clock, flags, decode(b)))
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
    let d = to_duration(decode(copyin_array::<16>(us, a[0])?))?;
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
        self.with_ctx(|_| clock_gettime(clock))
    }

    /// `nanosleep(2)`; the thread's virtual CPU is free while it sleeps.
    pub fn sys_nanosleep(&self, ts: Timespec) -> KResult<()> {
        let d = to_duration(ts)?;
        self.with_ctx(|ctx| nanosleep(ctx, d))
    }
}
