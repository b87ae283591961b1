//! `__pselect50` and `__pollts50`: `select` and `poll` with a `struct
//! timespec` timeout and a signal mask that holds for the call (NetBSD's
//! `sys_select.c`, with `sigsuspendsetup` and `sigsuspendteardown`).
//!
//! While the call waits, the signals of its mask are held back and
//! delivered when it returns; any other signal delivered meanwhile ends
//! the wait with EINTR. Without a mask the call waits as `select` and
//! `poll` do.

use super::kevent::{copyin_timespec, timespec_duration};
use super::poll::{PollFd, poll_until, poll_user, select_user};
use super::{Ctx, SysArgs, SysRet, SyscallFn};
use crate::errno::KResult;
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_array};
use std::time::Duration;

/// `sizeof(sigset_t)`: four 32-bit words, signal `n` at bit `n - 1`.
const SIGSET_SIZE: usize = 16;

/// Register the calls of this module.
pub(crate) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (netbsd_abi::SYS___pselect50, "__pselect50", sys_pselect),
        (netbsd_abi::SYS___pollts50, "__pollts50", sys_pollts),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}

/// The timeout at `addr` (0: none), checked.
fn timeout_at(us: &dyn UserSpace, addr: u64) -> KResult<Option<Duration>> {
    if addr == 0 {
        return Ok(None);
    }
    let (sec, nsec) = copyin_timespec(us, addr)?;
    timespec_duration(sec, nsec).map(Some)
}

/// The signal mask at `addr` (0: none), as bits of signals 1 to 63.
fn mask_at(us: &dyn UserSpace, addr: u64) -> KResult<Option<u64>> {
    if addr == 0 {
        return Ok(None);
    }
    let b = copyin_array::<SIGSET_SIZE>(us, addr)?;
    let lo = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
    let hi = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    Ok(Some(u64::from(lo) | u64::from(hi) << 32))
}

/// Wait as `poll` does, with `mask` installed for the wait.
fn masked_poll(
    ctx: &Ctx,
    fds: &mut [PollFd],
    timeout: Option<Duration>,
    mask: Option<u64>,
) -> KResult<usize> {
    let Some(mask) = mask else {
        return poll_until(ctx, fds, timeout, &|| false);
    };
    let proc = ctx.proc();
    let before = proc.begin_signal_wait(mask);
    let r = poll_until(ctx, fds, timeout, &|| proc.signals_delivered() != before);
    proc.end_signal_wait();
    r
}

/// `__pselect50(nd, in, ou, ex, ts, mask)`.
fn sys_pselect(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let timeout = timeout_at(us, a[4])?;
    let mask = mask_at(us, a[5])?;
    select_user(ctx, a, us, |ctx, fds| masked_poll(ctx, fds, timeout, mask))
}

/// `__pollts50(fds, nfds, ts, mask)`.
fn sys_pollts(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let timeout = timeout_at(us, a[2])?;
    let mask = mask_at(us, a[3])?;
    poll_user(ctx, a[0], a[1] as usize, us, |ctx, fds| {
        masked_poll(ctx, fds, timeout, mask)
    })
}

impl Kernel {
    /// `pollts(2)`: `poll` with a timeout as a duration (`None`: for ever)
    /// and signal mask `mask` (bit `n - 1` blocks signal `n`) for the wait.
    pub fn sys_pollts(
        &self,
        fds: &mut [PollFd],
        timeout: Option<Duration>,
        mask: Option<u64>,
    ) -> KResult<usize> {
        self.with_ctx(|ctx| masked_poll(ctx, fds, timeout, mask))
    }
}
