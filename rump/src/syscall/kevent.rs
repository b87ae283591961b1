//! `kqueue`, `kqueue1` and `__kevent50` (NetBSD's `sys_kqueue`,
//! `sys_kqueue1`, `sys___kevent50` and `kevent1`).

use super::{Ctx, SysArgs, SysRet, SyscallFn, ret};
use crate::errno::{Errno, KResult};
use crate::file::File;
use crate::kernel::Kernel;
use crate::kqueue::consts::{EV_ERROR, EV_RECEIPT, EV_SYSFLAGS};
use crate::kqueue::{Kevent, Kqueue, KqueueFile, Registrar, sleep_for};
use crate::usermem::{UserSpace, copyin_array, copyin_vec};
use netbsd_abi::layout::{kevent as kev_layout, timespec};
use std::sync::Arc;
use std::time::Duration;

/// `KQ_NEVENTS`: changes are read, and events written, this many at a time.
const KQ_NEVENTS: usize = 8;
/// Nanoseconds in a second: a timespec's `tv_nsec` is below it.
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// Register the calls of this module.
pub(crate) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (netbsd_abi::SYS_kqueue, "kqueue", sys_kqueue),
        (netbsd_abi::SYS___kevent50, "__kevent50", sys_kevent),
        (netbsd_abi::SYS_kqueue1, "kqueue1", sys_kqueue1),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}

/// A `struct timespec` as a duration: EINVAL when negative or its
/// nanoseconds are out of range (NetBSD's `inittimeleft`).
pub(super) fn timespec_duration(sec: i64, nsec: i64) -> KResult<Duration> {
    if sec < 0 || !(0..NSEC_PER_SEC).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    Ok(Duration::new(sec as u64, nsec as u32))
}

/// Read the `struct timespec` at `addr`, not yet checked.
pub(super) fn copyin_timespec(us: &dyn UserSpace, addr: u64) -> KResult<(i64, i64)> {
    let b = copyin_array::<{ timespec::SIZE }>(us, addr)?;
    let sec = timespec::tv_sec.get(&b).unwrap_or(0) as i64;
    let nsec = timespec::tv_nsec.get(&b).unwrap_or(0) as i64;
    Ok((sec, nsec))
}

/// `kqueue1(2)`: a new queue; `O_CLOEXEC` marks the descriptor, and
/// `O_NONBLOCK`/`O_NOSIGPIPE` go to the file's flags. NetBSD ignores other
/// bits.
fn kqueue1(ctx: &Ctx, flags: i32) -> KResult<i32> {
    let status = netbsd_abi::O_RDWR | (flags & (netbsd_abi::O_NONBLOCK | netbsd_abi::O_NOSIGPIPE));
    let file = File::new(
        Box::new(KqueueFile {
            kq: Kqueue::new(ctx.kernel()),
        }),
        status as u32,
    );
    ctx.fd_alloc_cloexec(file, flags & netbsd_abi::O_CLOEXEC != 0)
}

fn sys_kqueue(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(kqueue1(ctx, 0)? as u64)
}

fn sys_kqueue1(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(kqueue1(ctx, a[0] as i32)? as u64)
}

/// Where `kevent` reads its changes and writes its events.
trait KeventIo {
    /// Changes `index..index + n`.
    fn changes(&self, index: usize, n: usize) -> KResult<Vec<Kevent>>;
    /// Store `events` from slot `index` of the event list on.
    fn put(&mut self, index: usize, events: &[Kevent]) -> KResult<()>;
}

/// `kevent1`: apply the changes, then wait for events (see kevent(2)).
fn kevent1(
    ctx: &Ctx,
    fd: i32,
    nchanges: usize,
    nevents: usize,
    timeout: Option<(i64, i64)>,
    io: &mut dyn KeventIo,
) -> KResult<usize> {
    let file = ctx.proc().fdt().get(fd)?;
    let kq = file
        .ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<KqueueFile>())
        .map(|f| Arc::clone(&f.kq))
        .ok_or(Errno::EBADF)?;
    let who = Registrar {
        kernel: ctx.kernel(),
        proc: ctx.proc(),
    };
    let mut room = nevents;
    let mut nerrors = 0;
    let mut index = 0;
    while index < nchanges {
        let n = (nchanges - index).min(KQ_NEVENTS);
        for mut kev in io.changes(index, n)? {
            kev.flags &= !EV_SYSFLAGS;
            let done = kq.register(&who, &mut kev);
            if done.is_ok() && kev.flags & EV_RECEIPT == 0 {
                continue;
            }
            if room == 0 {
                // No room to report it: the call fails with the error
                // (or stops, for a receipt), as NetBSD's does.
                return done.map(|()| 0);
            }
            kev.flags = EV_ERROR;
            kev.data = done.err().map_or(0, |e| i64::from(e.0));
            io.put(nerrors, &[kev])?;
            room -= 1;
            nerrors += 1;
        }
        index += n;
    }
    if nerrors > 0 {
        return Ok(nerrors);
    }
    scan(ctx, &kq, nevents, timeout, io)
}

/// Wait for and collect up to `max` events (`kqueue_scan`): `None` waits
/// for ever, a zero timeout only looks.
fn scan(
    ctx: &Ctx,
    kq: &Kqueue,
    max: usize,
    timeout: Option<(i64, i64)>,
    io: &mut dyn KeventIo,
) -> KResult<usize> {
    if max == 0 {
        return Ok(0);
    }
    let k = ctx.kernel();
    let start = k.clock().monotonic();
    let deadline = match timeout {
        Some((sec, nsec)) => Some(start.saturating_add(timespec_duration(sec, nsec)?)),
        None => None,
    };
    let restart_seen = kq.restarts.seen();
    loop {
        // Taken before looking, so that a change between the look and the
        // sleep is not lost.
        let seen = k.select_generation();
        let events = kq.collect(max);
        if !events.is_empty() {
            for (i, chunk) in events.chunks(KQ_NEVENTS).enumerate() {
                io.put(i * KQ_NEVENTS, chunk)?;
            }
            return Ok(events.len());
        }
        let now = k.clock().monotonic();
        if deadline.is_some_and(|d| now >= d) {
            return Ok(0);
        }
        if ctx.proc().is_exiting() {
            return Err(Errno::EINTR);
        }
        kq.restarts.check(restart_seen)?;
        let sleep = sleep_for(kq, deadline, now);
        ctx.block(|| k.select_wait(seen, sleep));
    }
}

/// The caller's change and event lists in its memory.
struct UserLists<'a> {
    us: &'a dyn UserSpace,
    changes: u64,
    events: u64,
}

impl KeventIo for UserLists<'_> {
    fn changes(&self, index: usize, n: usize) -> KResult<Vec<Kevent>> {
        let addr = self.changes + (index * kev_layout::SIZE) as u64;
        let raw = copyin_vec(self.us, addr, n * kev_layout::SIZE)?;
        Ok(raw
            .chunks_exact(kev_layout::SIZE)
            .map(Kevent::from_bytes)
            .collect())
    }

    fn put(&mut self, index: usize, events: &[Kevent]) -> KResult<()> {
        let bytes: Vec<u8> = events.iter().flat_map(|e| e.to_bytes()).collect();
        let addr = self.events + (index * kev_layout::SIZE) as u64;
        self.us.copyout(addr, &bytes)
    }
}

/// `__kevent50(fd, changelist, nchanges, eventlist, nevents, timeout)`.
fn sys_kevent(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let fd = a[0] as u32 as i32;
    // The timeout is read before anything else, as NetBSD's kevent1.
    let timeout = match a[5] {
        0 => None,
        addr => Some(copyin_timespec(us, addr)?),
    };
    let mut io = UserLists {
        us,
        changes: a[1],
        events: a[3],
    };
    ret(kevent1(ctx, fd, a[2] as usize, a[4] as usize, timeout, &mut io)? as u64)
}

/// A Rust caller's change list and event list.
struct Lists<'a> {
    changes: &'a [Kevent],
    events: Vec<Kevent>,
}

impl KeventIo for Lists<'_> {
    fn changes(&self, index: usize, n: usize) -> KResult<Vec<Kevent>> {
        Ok(self.changes[index..index + n].to_vec())
    }

    fn put(&mut self, index: usize, events: &[Kevent]) -> KResult<()> {
        let end = index + events.len();
        if self.events.len() < end {
            self.events.resize(end, Kevent::default());
        }
        self.events[index..end].copy_from_slice(events);
        Ok(())
    }
}

impl Kernel {
    /// `kqueue1(2)`: a new kqueue descriptor (`kqueue(2)` is `flags` 0).
    pub fn sys_kqueue1(&self, flags: i32) -> KResult<i32> {
        self.with_ctx(|ctx| kqueue1(ctx, flags))
    }

    /// `kevent(2)`: apply `changes` to kqueue `fd`, then return up to
    /// `nevents` events, waiting up to `timeout` (`None`: for ever).
    pub fn sys_kevent(
        &self,
        fd: i32,
        changes: &[Kevent],
        nevents: usize,
        timeout: Option<Duration>,
    ) -> KResult<Vec<Kevent>> {
        let ts = timeout.map(|t| (t.as_secs() as i64, i64::from(t.subsec_nanos())));
        self.with_ctx(|ctx| {
            let mut io = Lists {
                changes,
                events: Vec::new(),
            };
            let n = kevent1(ctx, fd, changes.len(), nevents, ts, &mut io)?;
            io.events.truncate(n);
            Ok(io.events)
        })
    }
}
