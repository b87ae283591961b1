//! `kern.proc2` and `kern.file2`: the processes and their open files as
//! NetBSD's `struct kinfo_proc2` and `struct kinfo_file` records, which
//! ps, fstat and sockstat read.

use crate::errno::{Errno, KResult};
use crate::file::File;
use crate::kernel::Kernel;
use crate::lwproc::Proc;
use crate::sysctl::{NodeData, NodeSpec, SysctlAnswer, SysctlHandler};
use std::sync::{Arc, Weak};

/// `KERN_PROC2`, `KERN_FILE2`.
const KERN_PROC2: i32 = netbsd_abi::KERN_PROC2;
const KERN_FILE2: i32 = netbsd_abi::KERN_FILE2;
/// `sizeof(struct kinfo_proc2)`, `sizeof(struct kinfo_file)` on amd64.
pub const KINFO_PROC2_LEN: usize = 680;
/// See [`KINFO_PROC2_LEN`].
pub const KINFO_FILE_LEN: usize = 120;
/// `KERN_PROC_*` selectors.
const KERN_PROC_ALL: i32 = netbsd_abi::KERN_PROC_ALL;
const KERN_PROC_PID: i32 = netbsd_abi::KERN_PROC_PID;
const KERN_PROC_UID: i32 = netbsd_abi::KERN_PROC_UID;
const KERN_PROC_RUID: i32 = netbsd_abi::KERN_PROC_RUID;
const KERN_PROC_GID: i32 = netbsd_abi::KERN_PROC_GID;
const KERN_PROC_RGID: i32 = netbsd_abi::KERN_PROC_RGID;
const KERN_PROC_PGRP: i32 = netbsd_abi::KERN_PROC_PGRP;
const KERN_PROC_SESSION: i32 = netbsd_abi::KERN_PROC_SESSION;
const KERN_PROC_TTY: i32 = netbsd_abi::KERN_PROC_TTY;
/// `KERN_FILE_BYFILE`, `KERN_FILE_BYPID`.
const KERN_FILE_BYFILE: i32 = netbsd_abi::KERN_FILE_BYFILE;
const KERN_FILE_BYPID: i32 = netbsd_abi::KERN_FILE_BYPID;
/// Room for this many more processes or files when a size is asked.
const SLOP: usize = 10;
/// `SACTIVE`, `LSONPROC`; `NODEV`.
const SACTIVE: u64 = 2;
const LSONPROC: i8 = 7;
const NODEV: u32 = u32::MAX;

fn put32(r: &mut [u8], at: usize, v: u32) {
    r[at..at + 4].copy_from_slice(&v.to_ne_bytes());
}

fn put64(r: &mut [u8], at: usize, v: u64) {
    r[at..at + 8].copy_from_slice(&v.to_ne_bytes());
}

/// A process as `struct kinfo_proc2`.
fn kinfo_proc2(p: &Proc) -> [u8; KINFO_PROC2_LEN] {
    let mut r = [0u8; KINFO_PROC2_LEN];
    let c = p.cred();
    put32(&mut r, 116, p.pid as u32);
    put32(&mut r, 120, p.ppid as u32);
    let job = p.job();
    put32(&mut r, 124, job.sid as u32);
    put32(&mut r, 128, job.pgid as u32);
    put32(&mut r, 132, u32::MAX); // NO_PGID
    for (at, v) in [(136, c.euid), (140, c.ruid), (144, c.egid), (148, c.rgid)] {
        put32(&mut r, at, v);
    }
    let groups = c.groups.len().min(16);
    for (i, g) in c.groups.iter().take(groups).enumerate() {
        put32(&mut r, 152 + 4 * i, *g);
    }
    r[216..218].copy_from_slice(&(groups as i16).to_ne_bytes());
    put32(&mut r, 220, NODEV);
    r[360] = LSONPROC as u8;
    let comm = p.comm();
    let n = comm.len().min(23);
    r[368..368 + n].copy_from_slice(&comm.as_bytes()[..n]);
    let login = p.login();
    let n = login.len().min(23);
    r[408..408 + n].copy_from_slice(&login.as_bytes()[..n]);
    let lwps = p.nlwps().max(1) as u64;
    put64(&mut r, 616, lwps);
    put64(&mut r, 624, lwps);
    put64(&mut r, 632, SACTIVE);
    put32(&mut r, 640, c.svuid);
    put32(&mut r, 644, c.svgid);
    r
}

/// One open file as `struct kinfo_file` (`fill_file`).
fn kinfo_file(k: &Kernel, f: &Arc<File>, pid: i32, fd: i32, cloexec: bool) -> [u8; KINFO_FILE_LEN] {
    let mut r = [0u8; KINFO_FILE_LEN];
    put64(&mut r, 0, k.kaddr(Arc::as_ptr(f) as usize));
    // FREAD, FWRITE: the open mode plus one (FFLAGS).
    put32(
        &mut r,
        8,
        (f.status_flags() & !3) | ((f.status_flags() & 3) + 1),
    );
    put32(&mut r, 16, f.ops().dtype());
    put32(&mut r, 20, Arc::strong_count(f).saturating_sub(1) as u32);
    put64(&mut r, 64, k.kaddr(f.ops().data_id() as usize));
    put32(&mut r, 104, pid as u32);
    put32(&mut r, 108, fd as u32);
    put32(&mut r, 112, u32::from(cloexec));
    r
}

/// Records of `size` bytes each (the record cut or padded), at most
/// `count`, as many as fit in the caller's `cap` bytes; with no buffer,
/// the length needed and room for more. The length reported is that of
/// all of them, so a short buffer gets ENOMEM.
fn records<const N: usize>(
    all: Vec<[u8; N]>,
    size: usize,
    count: usize,
    cap: Option<usize>,
) -> SysctlAnswer {
    let want = all.len().min(count);
    let needed = want.saturating_mul(size);
    let Some(cap) = cap else {
        return SysctlAnswer {
            data: Vec::new(),
            len: needed.saturating_add(SLOP.saturating_mul(size)),
        };
    };
    let fit = want.min(cap / size);
    let mut data = Vec::with_capacity(fit * size);
    for r in all.iter().take(fit) {
        let at = data.len();
        data.extend_from_slice(&r[..size.min(N)]);
        data.resize(at + size, 0);
    }
    SysctlAnswer { data, len: needed }
}

fn four(name: &[i32]) -> KResult<(i32, i32, usize, usize)> {
    let &[op, arg, size, count] = name else {
        return Err(Errno::EINVAL);
    };
    let size = usize::try_from(size).ok().filter(|&s| s >= 1);
    let count = usize::try_from(count).ok();
    match (size, count) {
        (Some(s), Some(c)) => Ok((op, arg, s, c)),
        _ => Err(Errno::EINVAL),
    }
}

fn proc2(k: &Kernel, name: &[i32], cap: Option<usize>) -> KResult<SysctlAnswer> {
    let (op, arg, size, count) = four(name)?;
    let want = |p: &Proc| -> KResult<bool> {
        let c = p.cred();
        let a = arg as u32;
        Ok(match op {
            KERN_PROC_ALL => true,
            KERN_PROC_PID => p.pid == arg,
            KERN_PROC_UID => c.euid == a,
            KERN_PROC_RUID => c.ruid == a,
            KERN_PROC_GID => c.egid == a,
            KERN_PROC_RGID => c.rgid == a,
            KERN_PROC_PGRP => p.job().pgid == arg,
            KERN_PROC_SESSION => p.job().sid == arg,
            // No process has a controlling terminal.
            KERN_PROC_TTY => false,
            _ => return Err(Errno::EINVAL),
        })
    };
    let mut all = Vec::new();
    // NetBSD walks allproc, where a new process goes to the head: newest
    // first, which is by pid downwards until pids wrap at PID_MAX.
    for p in k.procs().all().into_iter().rev() {
        if want(&p)? {
            all.push(kinfo_proc2(&p));
        }
    }
    Ok(records(all, size, count, cap))
}

fn file2(k: &Kernel, name: &[i32], cap: Option<usize>) -> KResult<SysctlAnswer> {
    let (op, arg, size, count) = four(name)?;
    let mut all = Vec::new();
    match op {
        KERN_FILE_BYPID if arg >= -1 => {
            for p in k.procs().all() {
                if arg > 0 && p.pid != arg {
                    continue;
                }
                for (fd, f, cloexec) in p.fdt().snapshot() {
                    all.push(kinfo_file(k, &f, p.pid, fd, cloexec));
                }
            }
        }
        KERN_FILE_BYFILE if arg == 0 => {
            let mut seen = std::collections::HashSet::new();
            for p in k.procs().all() {
                for (_, f, _) in p.fdt().snapshot() {
                    if seen.insert(Arc::as_ptr(&f) as usize) {
                        all.push(kinfo_file(k, &f, 0, 0, false));
                    }
                }
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(records(all, size, count, cap))
}

/// What answers one of the lists.
type Lister = fn(&Kernel, &[i32], Option<usize>) -> KResult<SysctlAnswer>;

/// Make `kern.proc2` and `kern.file2`.
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let handlers: [(&str, i32, &str, Lister); 2] = [
        (
            "proc2",
            KERN_PROC2,
            "Machine-independent process information",
            proc2,
        ),
        ("file2", KERN_FILE2, "System open file table", file2),
    ];
    for (name, num, desc, f) in handlers {
        let w: Weak<Kernel> = k.weak();
        let h: SysctlHandler = Arc::new(move |n, _cred, cap, new| {
            if new.is_some() {
                return Err(Errno::EPERM);
            }
            let k = w.upgrade().ok_or(Errno::ENXIO)?;
            f(&k, n, cap)
        });
        k.sysctl().create(
            "kern",
            NodeSpec {
                num: Some(num),
                ..NodeSpec::new(name, 0, desc, NodeData::Handler(h))
            },
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KernelBuilder;

    #[test]
    fn proc2_lists_processes_and_file2_their_files() {
        let k = KernelBuilder::new().boot().unwrap();
        let size = k.sys_sysctl(&[1, 47, 0, 0, 680, 100], None, None).unwrap();
        assert_eq!(size.oldlen, (2 + SLOP) * 680, "proc0, proc1 and slop");
        let o = k
            .sys_sysctl(&[1, 47, 0, 0, 680, 100], Some(size.oldlen), None)
            .unwrap();
        o.result.unwrap();
        assert_eq!(o.old.len(), 2 * 680);
        let comm = |r: &[u8]| {
            let c = &r[368..392];
            String::from_utf8_lossy(&c[..c.iter().position(|&b| b == 0).unwrap()]).into_owned()
        };
        // Newest first, as NetBSD's allproc; both in proc0's session.
        assert_eq!(comm(&o.old[..680]), "rumplocal");
        assert_eq!(u32_at(&o.old, 116), 1);
        assert_eq!((u32_at(&o.old, 124), u32_at(&o.old, 128)), (0, 0));
        assert_eq!(comm(&o.old[680..]), "system");
        // One by pid, cut to a shorter record; a pid not there: nothing.
        let one = k
            .sys_sysctl(&[1, 47, 1, 1, 400, 1], Some(400), None)
            .unwrap();
        assert_eq!((one.result, one.old.len()), (Ok(()), 400));
        let none = k
            .sys_sysctl(&[1, 47, 1, 99, 680, 1], Some(680), None)
            .unwrap();
        assert_eq!((none.result, none.old.len()), (Ok(()), 0));
        assert_eq!(
            k.sys_sysctl(&[1, 47, 99, 0, 680, 1], Some(680), None)
                .unwrap()
                .result,
            Err(Errno::EINVAL)
        );
        // Only rumplocal's 0, 1 and 2, on the console, are open yet.
        let f = k
            .sys_sysctl(&[1, 77, 2, 0, 120, 100], Some(1200), None)
            .unwrap();
        assert_eq!((f.result, f.old.len()), (Ok(()), 3 * 120));
        assert_eq!(
            k.sys_sysctl(&[1, 77, 2, -2, 120, 1], Some(120), None)
                .unwrap()
                .result,
            Err(Errno::EINVAL)
        );
        assert_eq!(
            k.sys_sysctl(&[1, 77, 2, 0, 0, 1], Some(120), None)
                .unwrap()
                .result,
            Err(Errno::EINVAL)
        );
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_ne_bytes(b[at..at + 4].try_into().unwrap())
    }
}
