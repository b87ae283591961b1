//! ktrace: NetBSD's kernel trace records (`sys/kern/kern_ktrace.c`,
//! `sys/sys/ktrace.h`), written for the traced processes to a file of the
//! kernel's own name space, in the byte layout NetBSD's kernel writes and
//! its `kdump` reads.
//!
//! A record is a `struct ktr_header` (56 bytes on amd64) and its payload:
//!
//! ```text
//!  0  int   ktr_len          payload length
//!  4  short ktr_type         KTR_SYSCALL, KTR_SYSRET, KTR_NAMEI, ...
//!  6  short ktr_version      0, 1 or 2 (what ktrace(2) asked for)
//!  8  pid_t ktr_pid
//! 12  char  ktr_comm[17]     the command name, NUL-terminated
//! 32  v2: struct timespec    v1: int32 sec, long nsec   v0: int32 sec, long usec
//! 48  v2/v1: lwpid_t         v0: a null pointer
//! ```
//!
//! Records are written as they are made, in order, by the thread that
//! makes them (NetBSD queues them for a writer thread); a write that
//! fails stops the tracing to that file, with NetBSD's message.
//! A rump kernel makes no `KTR_PSIG` or `KTR_CSW` records (its signals are
//! raised in the client, and its scheduler does not trace), and no exec
//! records (its processes do not exec), as NetBSD's rump kernel; and as
//! there, a new process starts untraced (`lwproc_newproc` zeroes
//! `p_traceflag`), `KTRFAC_INHERIT` or not.

use crate::errno::{Errno, KResult};
use crate::file::File;
use crate::lwproc::Proc;
use crate::sync::lock;
use crate::syscall::Ctx;
use netbsd_abi::{
    RUMP_KTR_EMUL, RUMP_KTR_GENIO, RUMP_KTR_MIB, RUMP_KTR_NAMEI, RUMP_KTR_SYSCALL, RUMP_KTR_SYSRET,
    RUMP_KTR_USER, RUMP_KTR_USER_MAXIDLEN, RUMP_KTR_USER_MAXLEN, RUMP_KTRFAC_MASK,
    RUMP_KTRFAC_PERSISTENT, RUMP_KTRFAC_TRC_EMUL, RUMP_KTRFAC_VER_MASK, RUMP_KTRFAC_VER_SHIFT,
    RUMP_KTRFACv0, RUMP_KTRFACv1, RUMP_KTRFACv2, RUMP_KTROP_CLEARFILE, RUMP_KTROP_MASK,
    RUMP_KTROP_SET,
};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

/// `KTRFLAG_DESCEND` (`sys/ktrace.h`): apply to the process's descendants too.
const KTRFLAG_DESCEND: i32 = 4;
/// `sizeof(struct ktr_header)` on amd64, in every version.
pub const HEADER_SIZE: usize = 56;
const COMM_AT: usize = 12;
/// `MAXCOMLEN`: the command name's bytes in a header.
const MAXCOMLEN: usize = netbsd_abi::MAXCOMLEN as usize;
const TIME_AT: usize = 32;
const NSEC_AT: usize = 40;
const LID_AT: usize = 48;
/// A `KTR_GENIO` record holds at most a page, its `struct ktr_genio`
/// (`int ktr_fd; enum uio_rw ktr_rw;`) included (`ktr_io`).
const GENIO_RECORD_MAX: usize = 4096;
const GENIO_SIZE: usize = 8;
/// `enum uio_rw`.
pub const UIO_READ: i32 = 0;
/// `enum uio_rw`.
pub const UIO_WRITE: i32 = 1;
/// `p_emul->e_name` of a rump kernel's processes (`rumpkern/emul.c`).
const EMUL_NAME: &[u8] = b"netbsd-rump";

fn point(ty: i32) -> u32 {
    1 << ty
}

/// A trace file and the lock that keeps its records whole and in order
/// (`struct ktr_desc`).
pub struct TraceFile {
    file: Arc<File>,
    write: Mutex<()>,
}

impl TraceFile {
    /// Whether this traces to `f` (`ktrsamefile`: the same open file, or
    /// one of the same object).
    fn same(&self, f: &Arc<File>) -> bool {
        Arc::ptr_eq(&self.file, f)
            || (self.file.ops().dtype() == f.ops().dtype()
                && self.file.ops().data_id() != 0
                && self.file.ops().data_id() == f.ops().data_id())
    }
}

/// A process's trace state (`p_traceflag`, `p_tracep`).
#[derive(Default)]
pub struct ProcTrace {
    flags: AtomicU32,
    file: Mutex<Option<Arc<TraceFile>>>,
}

impl ProcTrace {
    /// The `KTRFAC_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// Whether system calls are traced (`trace_is_enabled`).
    pub fn syscalls_traced(&self) -> bool {
        self.flags() & (point(RUMP_KTR_SYSCALL) | point(RUMP_KTR_SYSRET)) != 0
    }

    fn file(&self) -> Option<Arc<TraceFile>> {
        lock(&self.file).clone()
    }

    /// Stop tracing the process (`ktrderef`).
    fn clear(&self) {
        let mut f = lock(&self.file);
        self.flags.store(0, Ordering::Release);
        *f = None;
    }
}

/// Whether the calling process traces records of type `ty` (`KTRPOINT`).
pub fn traces(ctx: &Ctx, ty: i32) -> bool {
    ctx.proc().ktrace().flags() & point(ty) != 0
}

/// The header of a record of type `ty` with `len` bytes of payload, in the
/// version the process is traced with.
fn header(ctx: &Ctx, p: &Proc, ty: i32, len: usize) -> [u8; HEADER_SIZE] {
    let mut h = [0u8; HEADER_SIZE];
    let version =
        (p.ktrace().flags() & RUMP_KTRFAC_VER_MASK as u32) >> RUMP_KTRFAC_VER_SHIFT as u32;
    h[0..4].copy_from_slice(&(len as i32).to_le_bytes());
    h[4..6].copy_from_slice(&(ty as i16).to_le_bytes());
    h[6..8].copy_from_slice(&(version as i16).to_le_bytes());
    h[8..12].copy_from_slice(&p.pid.to_le_bytes());
    let comm = p.comm();
    let n = comm.len().min(MAXCOMLEN);
    h[COMM_AT..COMM_AT + n].copy_from_slice(&comm.as_bytes()[..n]);
    let (sec, nsec) = ctx.kernel().clock().realtime_timespec();
    let lid = ctx.lwp().map_or(1, |l| l.lid);
    match version {
        0 => {
            h[TIME_AT..TIME_AT + 4].copy_from_slice(&(sec as i32).to_le_bytes());
            h[NSEC_AT..NSEC_AT + 8].copy_from_slice(&(nsec / 1000).to_le_bytes());
        }
        1 => {
            h[TIME_AT..TIME_AT + 4].copy_from_slice(&(sec as i32).to_le_bytes());
            h[NSEC_AT..NSEC_AT + 8].copy_from_slice(&nsec.to_le_bytes());
            h[LID_AT..LID_AT + 4].copy_from_slice(&lid.to_le_bytes());
        }
        _ => {
            h[TIME_AT..TIME_AT + 8].copy_from_slice(&sec.to_le_bytes());
            h[NSEC_AT..NSEC_AT + 8].copy_from_slice(&nsec.to_le_bytes());
            h[LID_AT..LID_AT + 4].copy_from_slice(&lid.to_le_bytes());
        }
    }
    h
}

/// Write a record of type `ty` for the calling process (`ktraddentry`),
/// an emulation record first if tracing just changed.
fn add(ctx: &Ctx, ty: i32, payload: &[u8]) {
    let p = ctx.proc();
    let t = p.ktrace();
    let emul_first = t
        .flags
        .fetch_and(!(RUMP_KTRFAC_TRC_EMUL as u32), Ordering::AcqRel)
        & RUMP_KTRFAC_TRC_EMUL as u32
        != 0;
    let Some(tf) = t.file() else { return };
    let mut rec = Vec::with_capacity(2 * HEADER_SIZE + payload.len() + EMUL_NAME.len());
    if emul_first && t.flags() & point(RUMP_KTR_EMUL) != 0 {
        rec.extend_from_slice(&header(ctx, p, RUMP_KTR_EMUL, EMUL_NAME.len()));
        rec.extend_from_slice(EMUL_NAME);
    }
    rec.extend_from_slice(&header(ctx, p, ty, payload.len()));
    rec.extend_from_slice(payload);
    let _g = lock(&tf.write);
    let mut done = 0;
    while done < rec.len() {
        match tf.file.ops().write(ctx, &rec[done..], None) {
            Ok(0) => {
                stop_all(ctx, &tf, Errno::EIO);
                return;
            }
            Ok(n) => done += n,
            Err(e) => {
                stop_all(ctx, &tf, e);
                return;
            }
        }
    }
}

/// A write to the trace file failed: no process traces to it any more.
fn stop_all(ctx: &Ctx, tf: &Arc<TraceFile>, e: Errno) {
    ctx.kernel().printf(&format!(
        "ktrace write failed, errno {}, tracing stopped",
        e.0
    ));
    for p in ctx.kernel().procs().all() {
        let t = p.ktrace();
        if t.file().is_some_and(|f| Arc::ptr_eq(&f, tf)) {
            t.clear();
        }
    }
}

/// The number of register arguments of system call `code` (`sy_narg`).
fn nargs(code: usize) -> usize {
    netbsd_abi::SYSCALLS
        .iter()
        .find(|s| s.number == code)
        .map_or(0, |s| s.nargs)
}

/// `KTR_SYSCALL`: the call's number and its register arguments.
pub fn syscall(ctx: &Ctx, code: usize, args: &[u64]) {
    if !traces(ctx, RUMP_KTR_SYSCALL) {
        return;
    }
    use syscall_layout as l;
    let n = nargs(code).min(args.len());
    let mut b = vec![0u8; l::SIZE];
    b[l::CODE].copy_from_slice(&(code as i32).to_le_bytes());
    b[l::ARGSIZE].copy_from_slice(&((l::REGISTER * n) as i32).to_le_bytes());
    for a in &args[..n] {
        b.extend_from_slice(&a.to_le_bytes());
    }
    add(ctx, RUMP_KTR_SYSCALL, &b);
}

/// `struct ktr_sysret` (`sys/ktrace.h`):
///
/// ```text
///  0 short ktr_code   2 short ktr_eosys   4 int ktr_error
///  8 register_t ktr_retval               16 register_t ktr_retval_1
/// ```
mod sysret_layout {
    pub const CODE: std::ops::Range<usize> = 0..2;
    pub const ERROR: std::ops::Range<usize> = 4..8;
    pub const RETVAL: std::ops::Range<usize> = 8..16;
    pub const RETVAL_1: std::ops::Range<usize> = 16..24;
    pub const SIZE: usize = 24;
}

/// `struct ktr_syscall` (`sys/ktrace.h`): `int ktr_code; int
/// ktr_argsize;`, then the register arguments.
mod syscall_layout {
    pub const CODE: std::ops::Range<usize> = 0..4;
    pub const ARGSIZE: std::ops::Range<usize> = 4..8;
    pub const SIZE: usize = 8;
    /// `sizeof(register_t)`.
    pub const REGISTER: usize = 8;
}

/// `KTR_SYSRET`: the call's number, its error and its two return
/// registers (zero on error).
pub fn sysret(ctx: &Ctx, code: usize, result: &KResult<[u64; 2]>) {
    use sysret_layout as l;
    if !traces(ctx, RUMP_KTR_SYSRET) {
        return;
    }
    let (error, rv) = match result {
        Ok(rv) => (0, *rv),
        Err(e) => (e.0, [0, 0]),
    };
    let mut b = [0u8; l::SIZE];
    b[l::CODE].copy_from_slice(&(code as i16).to_le_bytes());
    b[l::ERROR].copy_from_slice(&error.to_le_bytes());
    b[l::RETVAL].copy_from_slice(&rv[0].to_le_bytes());
    b[l::RETVAL_1].copy_from_slice(&rv[1].to_le_bytes());
    add(ctx, RUMP_KTR_SYSRET, &b);
}

/// `KTR_NAMEI`: a path a call looks up, with its NUL (`ni_pathlen`).
pub fn namei(ctx: &Ctx, path: &[u8]) {
    if !traces(ctx, RUMP_KTR_NAMEI) {
        return;
    }
    let mut b = path.to_vec();
    b.push(0);
    add(ctx, RUMP_KTR_NAMEI, &b);
}

/// `KTR_GENIO`: the data a call read (`UIO_READ`) or wrote (`UIO_WRITE`)
/// on descriptor `fd`, a page per record at most (`ktr_io`).
pub fn genio(ctx: &Ctx, fd: i32, rw: i32, data: &[u8]) {
    if !traces(ctx, RUMP_KTR_GENIO) {
        return;
    }
    io_records(ctx, RUMP_KTR_GENIO, fd, rw, data);
}

fn io_records(ctx: &Ctx, ty: i32, fd: i32, rw: i32, data: &[u8]) {
    let mut rest = data;
    loop {
        let n = rest.len().min(GENIO_RECORD_MAX - GENIO_SIZE);
        let mut b = Vec::with_capacity(GENIO_SIZE + n);
        b.extend_from_slice(&fd.to_le_bytes());
        b.extend_from_slice(&rw.to_le_bytes());
        b.extend_from_slice(&rest[..n]);
        add(ctx, ty, &b);
        rest = &rest[n..];
        if rest.is_empty() {
            break;
        }
    }
}

/// `KTR_MIB`: the name a `__sysctl` call asks for.
pub fn mib(ctx: &Ctx, name: &[i32]) {
    if !traces(ctx, RUMP_KTR_MIB) {
        return;
    }
    let b: Vec<u8> = name.iter().flat_map(|n| n.to_le_bytes()).collect();
    add(ctx, RUMP_KTR_MIB, &b);
}

/// The data a `__sysctl` call copies in (`UIO_WRITE`) or out
/// (`UIO_READ`): `KTR_GENIO` records on descriptor -1 when `KTR_MIB` is
/// traced (`ktr_mibio`).
pub fn mibio(ctx: &Ctx, rw: i32, data: &[u8]) {
    if !traces(ctx, RUMP_KTR_MIB) {
        return;
    }
    io_records(ctx, RUMP_KTR_GENIO, -1, rw, data);
}

/// `utrace(2)` (`ktruser`): a `KTR_USER` record of the caller's label
/// (`struct ktr_user`: 20 bytes, NUL-terminated) and `data`. ENOSPC for
/// more than `KTR_USER_MAXLEN` bytes; nothing when not traced.
pub fn user(ctx: &Ctx, label: &[u8], data: &[u8]) -> KResult<()> {
    if !traces(ctx, RUMP_KTR_USER) {
        return Ok(());
    }
    if data.len() > RUMP_KTR_USER_MAXLEN as usize {
        return Err(Errno::ENOSPC);
    }
    let idlen = RUMP_KTR_USER_MAXIDLEN as usize;
    let mut b = vec![0u8; idlen];
    let n = label.len().min(idlen - 1);
    b[..n].copy_from_slice(&label[..n]);
    b.extend_from_slice(data);
    add(ctx, RUMP_KTR_USER, &b);
    Ok(())
}

/// A `KTR_USER` record the kernel makes itself (`ktr_kuser`): `id` and
/// `data`, as NetBSD's symlink records its target ("symlink-target").
pub fn kuser(ctx: &Ctx, id: &str, data: &[u8]) {
    if data.len() <= RUMP_KTR_USER_MAXLEN as usize {
        let _ = user(ctx, id.as_bytes(), data);
    }
}

/// Whether the caller may change `target`'s tracing (`ktrcanset`): root,
/// or a caller whose ids are the target's, unless the target is traced
/// persistently (NetBSD's `ktrace_listener_cb`).
fn can_set(ctx: &Ctx, target: &Proc) -> bool {
    let me = ctx.cred();
    if me.is_root() {
        return true;
    }
    if target.ktrace().flags() & RUMP_KTRFAC_PERSISTENT != 0 {
        return false;
    }
    target.with_cred(|t| {
        me.euid == t.ruid && me.ruid == t.svuid && me.rgid == t.rgid && me.rgid == t.svgid
    })
}

/// Set or clear `facs` on `p` (`ktrops`); false if not allowed.
fn ops_on(ctx: &Ctx, p: &Proc, ops: i32, facs: u32, tf: Option<&Arc<TraceFile>>) -> bool {
    if !can_set(ctx, p) {
        return false;
    }
    let vers = ops & RUMP_KTRFAC_VER_MASK;
    if ![RUMP_KTRFACv0, RUMP_KTRFACv1, RUMP_KTRFACv2].contains(&vers) {
        return false;
    }
    let t = p.ktrace();
    let mut file = lock(&t.file);
    let mut flags = t.flags();
    match tf {
        Some(tf) if ops & RUMP_KTROP_MASK == RUMP_KTROP_SET => {
            if !file.as_ref().is_some_and(|f| Arc::ptr_eq(f, tf)) {
                flags = 0;
                *file = Some(Arc::clone(tf));
            }
            flags |= facs;
            if ctx.cred().is_root() {
                flags |= RUMP_KTRFAC_PERSISTENT;
            }
        }
        _ => {
            flags &= !facs;
            if flags & RUMP_KTRFAC_MASK as u32 == 0 {
                flags = 0;
                *file = None;
            }
        }
    }
    if flags != 0 {
        flags |= vers as u32;
    }
    // An emulation record goes first after every change.
    if flags & point(RUMP_KTR_EMUL) != 0 {
        flags |= RUMP_KTRFAC_TRC_EMUL as u32;
    }
    t.flags.store(flags, Ordering::Release);
    true
}

/// `ktrops` on `top` and every descendant (`ktrsetchildren`).
fn ops_on_children(
    ctx: &Ctx,
    top: &Arc<Proc>,
    ops: i32,
    facs: u32,
    tf: Option<&Arc<TraceFile>>,
) -> bool {
    let all = ctx.kernel().procs().all();
    let mut ok = false;
    let mut level = vec![top.pid];
    let mut seen = std::collections::HashSet::new();
    while let Some(pid) = level.pop() {
        if !seen.insert(pid) {
            continue;
        }
        if let Some(p) = all.iter().find(|p| p.pid == pid) {
            ok |= ops_on(ctx, p, ops, facs, tf);
        }
        level.extend(
            all.iter()
                .filter(|c| c.ppid == pid && c.pid != pid)
                .map(|c| c.pid),
        );
    }
    ok
}

/// `ktrace(2)` and `fktrace(2)` once the file is known (`ktrace_common`):
/// `KTROP_SET` traces `facs` of process `pid` (or of process group `-pid`)
/// to `file`, `KTROP_CLEAR` stops them, `KTROP_CLEARFILE` stops all
/// tracing to `file`; `KTRFLAG_DESCEND` takes the descendants too.
pub fn ktrace_common(
    ctx: &Ctx,
    file: Option<Arc<File>>,
    ops: i32,
    facs: i32,
    pid: i32,
) -> KResult<()> {
    let descend = ops & KTRFLAG_DESCEND != 0;
    let facs = facs as u32 & !RUMP_KTRFAC_PERSISTENT;
    let procs = ctx.kernel().procs().all();
    let find = |f: &Arc<File>| {
        procs
            .iter()
            .filter_map(|p| p.ktrace().file())
            .find(|tf| tf.same(f))
    };
    let tf = match (ops & RUMP_KTROP_MASK, &file) {
        (RUMP_KTROP_CLEARFILE, Some(f)) => {
            let Some(tf) = find(f) else { return Ok(()) };
            let mut denied = false;
            for p in &procs {
                if p.ktrace().file().is_some_and(|t| Arc::ptr_eq(&t, &tf)) {
                    if can_set(ctx, p) {
                        p.ktrace().clear();
                    } else {
                        denied = true;
                    }
                }
            }
            return if denied { Err(Errno::EPERM) } else { Ok(()) };
        }
        (RUMP_KTROP_SET, Some(f)) => Some(find(f).unwrap_or_else(|| {
            Arc::new(TraceFile {
                file: Arc::clone(f),
                write: Mutex::new(()),
            })
        })),
        _ => None,
    };
    if facs == 0 {
        return Err(Errno::EINVAL);
    }
    let apply = |p: &Arc<Proc>| {
        if descend {
            ops_on_children(ctx, p, ops, facs, tf.as_ref())
        } else {
            ops_on(ctx, p, ops, facs, tf.as_ref())
        }
    };
    let ok = if pid < 0 {
        let members: Vec<&Arc<Proc>> = procs
            .iter()
            .filter(|p| p.job().pgid == pid.wrapping_neg())
            .collect();
        if members.is_empty() {
            return Err(Errno::ESRCH);
        }
        members.into_iter().fold(false, |ok, p| apply(p) | ok)
    } else {
        let p = ctx.kernel().procs().find(pid).ok_or(Errno::ESRCH)?;
        apply(&p)
    };
    if ok { Ok(()) } else { Err(Errno::EPERM) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_56_bytes_with_the_time_at_32_and_the_lid_at_48() {
        // sizeof(struct ktr_header) on amd64: int, 2 shorts, pid_t,
        // char[17], padding to 32, a timespec, an lwpid_t, padding.
        assert_eq!(HEADER_SIZE, 4 + 2 + 2 + 4 + 17 + 3 + 16 + 4 + 4);
        assert_eq!(COMM_AT + MAXCOMLEN + 1, 29);
        assert_eq!(LID_AT, TIME_AT + 16);
    }
}
