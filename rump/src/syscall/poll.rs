//! poll and select over any descriptors.

use super::{Ctx, SysArgs, SysRet, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::usermem::{UserSpace, copyin_array, copyin_vec};
use netbsd_abi::layout::{pollfd, timeval};
use std::time::Duration;

/// `POLLNVAL`: the descriptor is not open.
const POLLNVAL: i16 = netbsd_abi::POLLNVAL as i16;
const POLLIN: i16 = netbsd_abi::POLLIN as i16;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
const POLLPRI: i16 = netbsd_abi::POLLPRI as i16;
/// Most descriptors one call may ask about.
const MAX_FDS: usize = 1 << 16;
/// How often a wait looks again even without a wakeup: files that do not
/// call `selnotify` (and a process told to exit) are noticed this soon.
const SLICE: Duration = Duration::from_millis(50);

/// One `struct pollfd`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PollFd {
    /// Descriptor (negative: ignored).
    pub fd: i32,
    /// Events asked for.
    pub events: i16,
    /// Events that happened.
    pub revents: i16,
}

fn scan(ctx: &Ctx, fds: &mut [PollFd]) -> usize {
    let fdt = ctx.proc().fdt();
    let mut n = 0;
    for p in fds.iter_mut() {
        p.revents = if p.fd < 0 {
            0
        } else {
            match fdt.get(p.fd) {
                Ok(f) => f.ops().poll(p.events),
                Err(_) => POLLNVAL,
            }
        };
        n += usize::from(p.revents != 0);
    }
    n
}

/// `poll(2)`: wait up to `timeout` (`None`: for ever) for any of `fds`.
fn poll(ctx: &Ctx, fds: &mut [PollFd], timeout: Option<Duration>) -> KResult<usize> {
    poll_until(ctx, fds, timeout, &|| false)
}

/// [`poll`], which ends with EINTR once `interrupted` says so (a signal
/// for `pollts` and `pselect`).
pub(super) fn poll_until(
    ctx: &Ctx,
    fds: &mut [PollFd],
    timeout: Option<Duration>,
    interrupted: &dyn Fn() -> bool,
) -> KResult<usize> {
    let k = ctx.kernel();
    let start = k.clock().monotonic();
    loop {
        // Taken before the scan, so that a wakeup between the scan and the
        // wait is not lost.
        let seen = k.select_generation();
        let n = scan(ctx, fds);
        if n > 0 {
            return Ok(n);
        }
        let waited = k.clock().monotonic().saturating_sub(start);
        let left = match timeout {
            Some(t) if waited >= t => return Ok(0),
            Some(t) => (t - waited).min(SLICE),
            None => SLICE,
        };
        if ctx.proc().is_exiting() || interrupted() {
            return Err(Errno::EINTR);
        }
        ctx.block(|| k.select_wait(seen, left));
    }
}

fn ms_timeout(ms: i32) -> Option<Duration> {
    (ms >= 0).then(|| Duration::from_millis(ms as u64))
}

pub(super) fn sys_poll(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let timeout = ms_timeout(arg_int(a, 2));
    poll_user(ctx, a[0], a[1] as usize, us, |ctx, fds| {
        poll(ctx, fds, timeout)
    })
}

/// Read `nfds` pollfds at `addr`, run `wait` on them and write them back.
pub(super) fn poll_user(
    ctx: &Ctx,
    addr: u64,
    nfds: usize,
    us: &dyn UserSpace,
    wait: impl FnOnce(&Ctx, &mut [PollFd]) -> KResult<usize>,
) -> KResult<SysRet> {
    if nfds > MAX_FDS {
        return Err(Errno::EINVAL);
    }
    let a = [addr];
    let raw = copyin_vec(us, a[0], nfds * pollfd::SIZE)?;
    let mut fds: Vec<PollFd> = raw
        .chunks_exact(pollfd::SIZE)
        .map(|c| PollFd {
            fd: pollfd::fd.get(c).unwrap_or_default() as i32,
            events: pollfd::events.get(c).unwrap_or_default() as i16,
            revents: 0,
        })
        .collect();
    let n = wait(ctx, &mut fds)?;
    let out: Vec<u8> = fds
        .iter()
        .flat_map(|p| {
            let mut b = [0u8; pollfd::SIZE];
            pollfd::fd.put(&mut b, u64::from(p.fd as u32));
            pollfd::events.put(&mut b, u64::from(p.events as u16));
            pollfd::revents.put(&mut b, u64::from(p.revents as u16));
            b
        })
        .collect();
    us.copyout(a[0], &out)?;
    ret(n as u64)
}

/// `__select50(nd, in, out, ex, timeval)`: `fd_set`s are arrays of 32-bit
/// words; a `timeval` is seconds and microseconds.
pub(super) fn sys_select(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let timeout = if a[4] == 0 {
        None
    } else {
        let tv = copyin_array::<{ timeval::SIZE }>(us, a[4])?;
        let sec = timeval::tv_sec.get(&tv).unwrap_or_default() as i64;
        let usec = i64::from(timeval::tv_usec.get(&tv).unwrap_or_default() as u32 as i32);
        if sec < 0 || !(0..1_000_000).contains(&usec) {
            return Err(Errno::EINVAL);
        }
        Some(Duration::from_secs(sec as u64) + Duration::from_micros(usec as u64))
    };
    select_user(ctx, a, us, |ctx, fds| poll(ctx, fds, timeout))
}

/// `select`'s work on the caller's `fd_set`s (`nd`, `in`, `ou`, `ex` in
/// slots 0 to 3 of `a`), waiting with `wait`.
pub(super) fn select_user(
    ctx: &Ctx,
    a: &SysArgs,
    us: &dyn UserSpace,
    wait: impl FnOnce(&Ctx, &mut [PollFd]) -> KResult<usize>,
) -> KResult<SysRet> {
    let nd = usize::try_from(arg_int(a, 0))
        .map_err(|_| Errno::EINVAL)?
        .min(MAX_FDS);
    let words = nd.div_ceil(32);
    let mut sets = [Vec::new(), Vec::new(), Vec::new()];
    for (i, set) in sets.iter_mut().enumerate() {
        if a[1 + i] != 0 {
            *set = copyin_vec(us, a[1 + i], words * 4)?;
        }
    }
    // One pollfd per set bit, remembering which set it came from.
    let events = [POLLIN, POLLOUT, POLLPRI];
    let mut fds = Vec::new();
    let mut from = Vec::new();
    for (i, set) in sets.iter().enumerate() {
        for fd in 0..nd {
            if set.get(fd / 8).is_some_and(|b| b & (1 << (fd % 8)) != 0) {
                fds.push(PollFd {
                    fd: fd as i32,
                    events: events[i],
                    revents: 0,
                });
                from.push(i);
            }
        }
    }
    if fds.iter().any(|p| ctx.proc().fdt().get(p.fd).is_err()) {
        return Err(Errno::EBADF);
    }
    wait(ctx, &mut fds)?;
    let mut n = 0;
    for set in sets.iter_mut() {
        set.iter_mut().for_each(|b| *b = 0);
    }
    // NetBSD's selscan counts a hang-up or an error as readable and
    // writable (sel_flag): a widowed pipe is in both sets.
    const HUP_OR_ERR: i16 = (netbsd_abi::POLLHUP | netbsd_abi::POLLERR) as i16;
    let counts = [POLLIN | HUP_OR_ERR, POLLOUT | HUP_OR_ERR, POLLPRI];
    for (p, &i) in fds.iter().zip(&from) {
        if p.revents & counts[i] != 0 {
            sets[i][p.fd as usize / 8] |= 1 << (p.fd % 8);
            n += 1;
        }
    }
    for (i, set) in sets.iter().enumerate() {
        if a[1 + i] != 0 {
            us.copyout(a[1 + i], set)?;
        }
    }
    ret(n as u64)
}

impl Kernel {
    /// `poll(2)` with a timeout in milliseconds (negative: for ever).
    pub fn sys_poll(&self, fds: &mut [PollFd], timeout_ms: i32) -> KResult<usize> {
        self.with_ctx(|ctx| poll(ctx, fds, ms_timeout(timeout_ms)))
    }
}
