//! Sessions and process groups: getpgrp, setpgid, setsid, getpgid,
//! getsid, with the rules of NetBSD's `proc_enterpgrp` (`kern_proc.c`).
//!
//! A rump kernel's processes all start in proc0's group and session, both
//! 0, and a new process joins its parent's (NetBSD's `lwproc_newproc`
//! copies `p_pgrp`). A group or session lives while a process is in it;
//! its id is the pid of the process that made it, which no new process
//! gets meanwhile.

use super::{Ctx, SysArgs, SysRet, SyscallFn, arg_int, ret};
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::lwproc::{JobIds, PID_KERNEL, PID_LOCAL, PID_MAX, Proc};
use crate::sync::lock;
use crate::usermem::UserSpace;
use netbsd_abi::{SYS_getpgid, SYS_getpgrp, SYS_getsid, SYS_setpgid, SYS_setsid};
use std::sync::{Arc, Mutex};

/// The kernel's `proc_lock` for job control: a move between groups is
/// checked and made as one step.
#[derive(Default)]
struct JobLock(Mutex<()>);

/// Whether `p` is `q` or one of its descendants (`p_inferior`). A process
/// whose parent has exited counts as init's child, as NetBSD reparents it.
fn inferior(k: &Kernel, p: &Arc<Proc>, q: &Proc) -> bool {
    let (mut pid, mut ppid) = (p.pid, p.ppid);
    for _ in 0..=PID_MAX {
        if pid == q.pid {
            return true;
        }
        if pid == PID_KERNEL {
            return false;
        }
        match k.procs().find(ppid) {
            Some(parent) => (pid, ppid) = (parent.pid, parent.ppid),
            None => (pid, ppid) = (PID_LOCAL, PID_KERNEL),
        }
    }
    false
}

/// The session of the live group `pgid`, if there is one.
fn group_session(k: &Kernel, pgid: i32) -> Option<i32> {
    k.procs()
        .all()
        .iter()
        .map(|p| p.job())
        .find(|j| j.pgid == pgid)
        .map(|j| j.sid)
}

/// Move process `pid` (the caller's or a descendant's) into group `pgid`,
/// or with `mksess` make the caller the leader of a new session and group.
fn enterpgrp(ctx: &Ctx, pid: i32, pgid: i32, mksess: bool) -> KResult<()> {
    let k = ctx.kernel();
    let joblock = k.extension(JobLock::default);
    let _g = lock(&joblock.0);
    let curp = ctx.proc();
    let group = group_session(k, pgid);
    let p = if pid != curp.pid {
        let p = k
            .procs()
            .find(pid)
            .filter(|p| inferior(k, p, curp))
            .ok_or(Errno::ESRCH)?;
        let sid = p.job().sid;
        if mksess || sid != curp.job().sid || group.is_some_and(|s| s != sid) {
            return Err(Errno::EPERM);
        }
        // NetBSD's EACCES for a child that has exec'd cannot happen: a
        // rump kernel's processes do not exec.
        p
    } else {
        if mksess && (curp.job().pgid == curp.pid || group_session(k, curp.pid).is_some()) {
            return Err(Errno::EPERM);
        }
        Arc::clone(curp)
    };
    let cur = p.job();
    if cur.sid == p.pid {
        // A session leader stays where it is; asking for that is no error.
        return if !mksess && group.is_some() && cur.pgid == pgid {
            Ok(())
        } else {
            Err(Errno::EPERM)
        };
    }
    let new = match group {
        None if pgid != p.pid => return Err(Errno::EPERM),
        None if mksess => JobIds {
            pgid: p.pid,
            sid: p.pid,
        },
        None => JobIds { pgid, sid: cur.sid },
        Some(_) if mksess => return Err(Errno::EPERM),
        Some(sid) => JobIds { pgid, sid },
    };
    p.set_job(new);
    Ok(())
}

fn getpgid(ctx: &Ctx, pid: i32) -> KResult<JobIds> {
    if pid == 0 {
        return Ok(ctx.proc().job());
    }
    Ok(ctx.kernel().procs().find(pid).ok_or(Errno::ESRCH)?.job())
}

fn setpgid(ctx: &Ctx, pid: i32, pgid: i32) -> KResult<()> {
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let pid = if pid == 0 { ctx.proc().pid } else { pid };
    enterpgrp(ctx, pid, if pgid == 0 { pid } else { pgid }, false)
}

fn setsid(ctx: &Ctx) -> KResult<i32> {
    let pid = ctx.proc().pid;
    enterpgrp(ctx, pid, pid, true)?;
    Ok(pid)
}

fn sys_getpgrp(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(ctx.proc().job().pgid as u64)
}

fn sys_getpgid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(getpgid(ctx, arg_int(a, 0))?.pgid as u64)
}

fn sys_getsid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(getpgid(ctx, arg_int(a, 0))?.sid as u64)
}

fn sys_setpgid(ctx: &Ctx, a: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    setpgid(ctx, arg_int(a, 0), arg_int(a, 1))?;
    ret(0)
}

fn sys_setsid(ctx: &Ctx, _: &SysArgs, _: &dyn UserSpace) -> KResult<SysRet> {
    ret(setsid(ctx)? as u64)
}

/// Register the session and process group calls.
pub(super) fn register(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (SYS_getpgrp, "getpgrp", sys_getpgrp),
        (SYS_setpgid, "setpgid", sys_setpgid),
        (SYS_setsid, "setsid", sys_setsid),
        (SYS_getpgid, "getpgid", sys_getpgid),
        (SYS_getsid, "getsid", sys_getsid),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
}

impl Kernel {
    /// `getpgrp(2)`.
    pub fn sys_getpgrp(&self) -> KResult<i32> {
        self.with_ctx(|ctx| Ok(ctx.proc().job().pgid))
    }

    /// `getpgid(2)`; 0 names the caller. ESRCH for no such process.
    pub fn sys_getpgid(&self, pid: i32) -> KResult<i32> {
        self.with_ctx(|ctx| Ok(getpgid(ctx, pid)?.pgid))
    }

    /// `getsid(2)`; 0 names the caller. ESRCH for no such process.
    pub fn sys_getsid(&self, pid: i32) -> KResult<i32> {
        self.with_ctx(|ctx| Ok(getpgid(ctx, pid)?.sid))
    }

    /// `setpgid(2)` with NetBSD's rules.
    pub fn sys_setpgid(&self, pid: i32, pgid: i32) -> KResult<()> {
        self.with_ctx(|ctx| setpgid(ctx, pid, pgid))
    }

    /// `setsid(2)`: the new session's id, the caller's pid.
    pub fn sys_setsid(&self) -> KResult<i32> {
        self.with_ctx(setsid)
    }
}
