//! clock_gettime, nanosleep.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_array};
use std::time::Duration;

/// `CLOCK_REALTIME`.
pub const CLOCK_REALTIME: i32 = 0;
/// `CLOCK_MONOTONIC`.
pub const CLOCK_MONOTONIC: i32 = 3;

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
