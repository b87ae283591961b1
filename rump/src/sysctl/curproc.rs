//! `proc.curproc.rlimit`: the calling process's resource limits as
//! sysctl nodes, a `soft` and a `hard` quad under one node per limit, as
//! NetBSD's `sysctl_proc_setup` (kern_resource.c) makes them. Reading
//! gives the limit in force; writing changes it as `setrlimit(2)` does
//! (`dosetrlimit`: the soft limit may not pass the hard one, only root
//! raises a hard limit).
//!
//! NetBSD's `proc.curproc.corename` and `stopfork`/`stopexec`/`stopexit`
//! are left out: this kernel dumps no cores and has no process tracing,
//! so they would have no meaning.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::resource::Rlimit;
use crate::sysctl::{NodeData, NodeSpec, SubtreeBuilder, SysctlAnswer};
use netbsd_abi::{
    CTLFLAG_ANYWRITE, CTLFLAG_READWRITE, CTLTYPE_QUAD, RLIMIT_AS, RLIMIT_CORE, RLIMIT_CPU,
    RLIMIT_DATA, RLIMIT_FSIZE, RLIMIT_MEMLOCK, RLIMIT_NOFILE, RLIMIT_NPROC, RLIMIT_NTHR,
    RLIMIT_RSS, RLIMIT_SBSIZE, RLIMIT_STACK,
};
use std::sync::{Arc, Weak};

/// `PROC_CURPROC` (`sys/sysctl.h`: `~(1U << 31)`): the caller's process.
const PROC_CURPROC: i32 = i32::MAX;
/// `PROC_PID_LIMIT` (`sys/sysctl.h`): the limits node under a process.
const PROC_PID_LIMIT: i32 = 2;
/// `PROC_PID_LIMIT_TYPE_SOFT`, `PROC_PID_LIMIT_TYPE_HARD` (`sys/sysctl.h`).
const PROC_PID_LIMIT_TYPE_SOFT: i32 = 1;
const PROC_PID_LIMIT_TYPE_HARD: i32 = 2;
/// Bytes of a CTLTYPE_QUAD value.
const QUAD_LEN: usize = 8;

/// The limits by their node names, in NetBSD's order
/// (`PROC_PID_LIMIT_NAMES`); each node's number is its `RLIMIT_*` + 1.
const LIMITS: [(&str, i32); 12] = [
    ("cputime", RLIMIT_CPU),
    ("filesize", RLIMIT_FSIZE),
    ("datasize", RLIMIT_DATA),
    ("stacksize", RLIMIT_STACK),
    ("coredumpsize", RLIMIT_CORE),
    ("memoryuse", RLIMIT_RSS),
    ("memorylocked", RLIMIT_MEMLOCK),
    ("maxproc", RLIMIT_NPROC),
    ("descriptors", RLIMIT_NOFILE),
    ("sbsize", RLIMIT_SBSIZE),
    ("vmemoryuse", RLIMIT_AS),
    ("maxlwp", RLIMIT_NTHR),
];

/// One side of one limit of the calling process: read it, and set it if
/// `new` holds a quad (`sysctl_proc_plimit`).
fn plimit(
    k: &Weak<Kernel>,
    which: usize,
    hard: bool,
    cred_is_root: bool,
    new: Option<&[u8]>,
) -> KResult<SysctlAnswer> {
    let k = k.upgrade().ok_or(Errno::ENXIO)?;
    let p = k.procs().curproc();
    let old = p.limit(which).ok_or(Errno::EINVAL)?;
    let side = |l: Rlimit| if hard { l.max } else { l.cur };
    let answer = SysctlAnswer::from(side(old).to_ne_bytes().to_vec());
    // newlen 0 is no write, as for every node.
    let Some(b) = new.filter(|b| !b.is_empty()) else {
        return Ok(answer);
    };
    let v = u64::from_ne_bytes(b.try_into().map_err(|_| Errno::EINVAL)?);
    p.update_limit(which, |cur| {
        let want = if hard {
            Rlimit { max: v, ..cur }
        } else {
            Rlimit { cur: v, ..cur }
        };
        cur.check_change(want, || cred_is_root)
    })?;
    Ok(answer)
}

/// `rlimit` and the nodes below it: one node per limit, each with a soft
/// and a hard leaf.
const RLIMIT_NODES: u32 = 1 + 3 * LIMITS.len() as u32;

/// Make `proc.curproc`, and its `rlimit` tree when the sysctl tree is
/// first used (see `SysctlTree::create_deferred`): as NetBSD's
/// `sysctl_proc_setup` makes them, with the same numbers and versions.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let t = k.sysctl();
    let curproc = t.create("proc", node("curproc", PROC_CURPROC))?;
    let kw = k.weak();
    t.create_deferred(
        &curproc,
        RLIMIT_NODES,
        Box::new(move |b| build_rlimit(b, &curproc, &kw)),
    )
}

/// An interior node with a fixed number.
fn node(name: &str, num: i32) -> NodeSpec {
    NodeSpec {
        num: Some(num),
        ..NodeSpec::node(name, "")
    }
}

/// The `rlimit` tree below `proc.curproc` (`curproc`).
fn build_rlimit(b: &mut SubtreeBuilder, curproc: &[i32], k: &Weak<Kernel>) -> KResult<()> {
    let rlimit = b.create_in(curproc, node("rlimit", PROC_PID_LIMIT))?;
    for (name, which) in LIMITS {
        let parent = b.create_in(&rlimit, node(name, which + 1))?;
        for (side, num) in [
            ("soft", PROC_PID_LIMIT_TYPE_SOFT),
            ("hard", PROC_PID_LIMIT_TYPE_HARD),
        ] {
            let kw = k.clone();
            let hard = num == PROC_PID_LIMIT_TYPE_HARD;
            let which = which as usize;
            let leaf = NodeData::LeafHandler {
                ty: CTLTYPE_QUAD as u32,
                size: QUAD_LEN,
                handler: Arc::new(move |below, cred, _, new| {
                    if !below.is_empty() {
                        return Err(Errno::EINVAL);
                    }
                    plimit(&kw, which, hard, cred.is_root(), new)
                }),
            };
            let flags = (CTLFLAG_READWRITE | CTLFLAG_ANYWRITE) as u32;
            b.create_in(
                &parent,
                NodeSpec {
                    num: Some(num),
                    ..NodeSpec::new(side, flags, "", leaf)
                },
            )?;
        }
    }
    Ok(())
}
