//! Each request runs in the kernel as the program that made it: every
//! request thread has a kernel process of its own (all sharing one
//! descriptor table, so that a file opened by one thread is read by
//! another), whose credentials are set to the caller's user, group and
//! supplementary groups before the request enters the file system, unless
//! `uid=`/`gid=` options map every caller to fixed ids.

use rump::cred::{Cred, NGROUPS_MAX};
use rump::lwproc::{ForkFd, Proc};
use rump::{Errno, Kernel};
use std::sync::Arc;

/// Who a request acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// User id.
    pub uid: u32,
    /// Group id.
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Vec<u32>,
}

impl Caller {
    /// The credentials of the request from host process `pid` running as
    /// `uid`/`gid`, with `map_uid`/`map_gid` in place of the caller's ids
    /// when given. A non-root caller's supplementary groups are read from
    /// `/proc`, as libfuse's `fuse_req_getgroups` does: FUSE does not send
    /// them.
    pub fn of(pid: u32, uid: u32, gid: u32, map_uid: Option<u32>, map_gid: Option<u32>) -> Caller {
        let uid = map_uid.unwrap_or(uid);
        let gid = map_gid.unwrap_or(gid);
        let groups = if uid == 0 || map_uid.is_some() || map_gid.is_some() {
            vec![gid]
        } else {
            host_groups(pid).unwrap_or_else(|| vec![gid])
        };
        Caller { uid, gid, groups }
    }

    fn cred(&self) -> Cred {
        Cred {
            ruid: self.uid,
            euid: self.uid,
            svuid: self.uid,
            rgid: self.gid,
            egid: self.gid,
            svgid: self.gid,
            groups: self.groups.clone(),
        }
    }
}

/// The `Groups:` line of `/proc/PID/status`; `None` when the process is
/// gone or the line is missing.
fn host_groups(pid: u32) -> Option<Vec<u32>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("Groups:"))?;
    let mut groups: Vec<u32> = line
        .split_whitespace()
        .filter_map(|g| g.parse().ok())
        .collect();
    groups.truncate(NGROUPS_MAX);
    Some(groups)
}

/// Run the calling (request) thread as `caller`: give it its own process,
/// a child of `base` sharing its descriptors, the first time, and set the
/// credentials when they differ from the last request's.
pub fn enter(k: &Kernel, base: &Arc<Proc>, caller: &Caller) -> Result<(), Errno> {
    let procs = k.procs();
    if procs.curlwp().is_none() {
        let l = procs.spawn(base, ForkFd::Share, &base.comm())?;
        procs.switch(Some(l))?;
    }
    let p = procs.curproc();
    let want = caller.cred();
    if p.with_cred(|c| *c != want) {
        p.change_cred(|_| Ok(want))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_ids_replace_the_callers() {
        let c = Caller::of(std::process::id(), 1000, 1000, Some(0), None);
        assert_eq!(
            c,
            Caller {
                uid: 0,
                gid: 1000,
                groups: vec![1000]
            }
        );
        let root = Caller::of(1, 0, 0, None, None);
        assert_eq!(root.groups, vec![0]);
    }

    #[test]
    fn supplementary_groups_come_from_proc() {
        let mine = host_groups(std::process::id()).expect("our own status");
        let c = Caller::of(std::process::id(), 1000, 1000, None, None);
        assert_eq!(c.groups, mine);
        assert_eq!(host_groups(u32::MAX), None);
    }
}
