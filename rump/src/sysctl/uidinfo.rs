//! `kern.uidinfo`: what the caller's user has in use, as NetBSD's
//! `kern_uidinfo.c` shows it for the effective user of the caller: the
//! processes and lwps charged to that user (NetBSD charges a process to
//! its real user when it is made; here they are counted when asked, from
//! the process table, which gives the same numbers).
//!
//! NetBSD's `lockcnt` (advisory locks held) and `sbsize` (socket buffer
//! bytes) are left out: this kernel charges neither to a user.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sysctl::{NodeData, NodeSpec, SysctlAnswer};
use netbsd_abi::CTLTYPE_QUAD;
use std::sync::{Arc, Weak};

/// Bytes of a CTLTYPE_QUAD value.
const QUAD_LEN: usize = 8;

/// What one node counts.
#[derive(Clone, Copy)]
enum Count {
    Procs,
    Lwps,
}

/// The count for user `uid` in kernel `k`.
fn count(k: &Kernel, uid: u32, what: Count) -> u64 {
    k.procs()
        .all()
        .iter()
        .filter(|p| p.cred().ruid == uid)
        .map(|p| match what {
            Count::Procs => 1,
            Count::Lwps => p.nlwps() as u64,
        })
        .sum()
}

/// Make `kern.uidinfo` and its counters.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let t = k.sysctl();
    t.create("kern", NodeSpec::node("uidinfo", ""))?;
    for (name, what) in [("proccnt", Count::Procs), ("lwpcnt", Count::Lwps)] {
        let kw: Weak<Kernel> = k.weak();
        t.create(
            "kern.uidinfo",
            NodeSpec::new(
                name,
                0,
                "",
                NodeData::LeafHandler {
                    ty: CTLTYPE_QUAD as u32,
                    size: QUAD_LEN,
                    handler: Arc::new(move |below, cred, _, new| {
                        if !below.is_empty() {
                            return Err(Errno::ENOTDIR);
                        }
                        if new.is_some_and(|b| !b.is_empty()) {
                            return Err(Errno::EPERM);
                        }
                        let k = kw.upgrade().ok_or(Errno::ENXIO)?;
                        let n = count(&k, cred.euid, what);
                        Ok(SysctlAnswer::from(n.to_ne_bytes().to_vec()))
                    }),
                },
            ),
        )?;
    }
    Ok(())
}
