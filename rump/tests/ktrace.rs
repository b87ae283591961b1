//! ktrace, fktrace and utrace: the records NetBSD's kernel writes
//! (`struct ktr_header` v2 and the SYSCALL, SYSRET, NAMEI, GENIO, USER and
//! EMUL payloads, laid out as `sys/ktrace.h` has them on amd64), for the
//! traced processes only, and the errno cases of `kern_ktrace.c`.

use netbsd_abi::errno::{EACCES, EBADF, EINVAL, EISDIR, ENOSPC, EPERM, ESRCH};
use netbsd_abi::{
    O_CREAT, O_RDONLY, O_RDWR, RUMP_KTR_EMUL, RUMP_KTR_GENIO, RUMP_KTR_NAMEI, RUMP_KTR_SYSCALL,
    RUMP_KTR_SYSRET, RUMP_KTR_USER, RUMP_KTRFAC_EMUL, RUMP_KTRFAC_GENIO, RUMP_KTRFAC_NAMEI,
    RUMP_KTRFAC_SYSCALL, RUMP_KTRFAC_SYSRET, RUMP_KTRFAC_USER, RUMP_KTRFACv2, RUMP_KTROP_CLEAR,
    RUMP_KTROP_CLEARFILE, RUMP_KTROP_SET, SYS___stat50, SYS_fktrace, SYS_getpid, SYS_ktrace,
    SYS_setuid, SYS_utrace, SYS_write,
};
use rump::Errno;
use rump::usermem::BufferSpace;
use rumpvfs::VfsCalls;

const BASE: u64 = 0x10000;
const HEADER: usize = 56;
const FACS: i32 = RUMP_KTRFAC_SYSCALL
    | RUMP_KTRFAC_SYSRET
    | RUMP_KTRFAC_NAMEI
    | RUMP_KTRFAC_GENIO
    | RUMP_KTRFAC_USER
    | RUMP_KTRFAC_EMUL;

fn e(n: i32) -> Errno {
    Errno(n)
}

fn boot() -> std::sync::Arc<rump::Kernel> {
    rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .console(Box::new(|_, _| ()))
        .boot()
        .unwrap()
}

/// A record: (type, version, pid, comm, lid, payload).
type Record = (i16, i16, i32, String, i32, Vec<u8>);

fn records(b: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER <= b.len() {
        let h = &b[at..at + HEADER];
        let len = i32::from_le_bytes(h[0..4].try_into().unwrap()) as usize;
        let comm = h[12..29].split(|&c| c == 0).next().unwrap();
        out.push((
            i16::from_le_bytes(h[4..6].try_into().unwrap()),
            i16::from_le_bytes(h[6..8].try_into().unwrap()),
            i32::from_le_bytes(h[8..12].try_into().unwrap()),
            String::from_utf8_lossy(comm).into_owned(),
            i32::from_le_bytes(h[48..52].try_into().unwrap()),
            b[at + HEADER..at + HEADER + len].to_vec(),
        ));
        at += HEADER + len;
    }
    assert_eq!(at, b.len(), "whole records");
    out
}

/// The start of a `struct ktr_syscall`: the number and the size of its
/// `nargs` register arguments.
fn syscall_head(code: usize, nargs: i32) -> Vec<u8> {
    let mut b = (code as i32).to_le_bytes().to_vec();
    b.extend_from_slice(&(8 * nargs).to_le_bytes());
    b
}

fn read_all(k: &rump::Kernel, path: &str) -> Vec<u8> {
    let fd = k.sys_open(path, O_RDONLY, 0).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = k.sys_read(fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    k.sys_close(fd).unwrap();
    out
}

#[test]
fn a_traced_process_writes_netbsds_records() {
    let k = boot();
    let us = BufferSpace::new(BASE, 64 << 10);
    let fd = k.sys_open("/tmp/kt", O_CREAT | O_RDWR, 0o600).unwrap();
    let tracer = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    let traced = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    let pid = traced.proc().pid;
    k.lwproc_switch(Some(&tracer)).unwrap();
    let ops = RUMP_KTROP_SET | RUMP_KTRFACv2;
    k.syscall(
        SYS_fktrace,
        &[fd as u64, ops as u64, FACS as u64, pid as u64],
        &us,
    )
    .unwrap();
    // The tracer itself is not traced: nothing of its calls is written.
    k.syscall(SYS_getpid, &[], &us).unwrap();

    k.lwproc_switch(Some(&traced)).unwrap();
    k.syscall(SYS_getpid, &[], &us).unwrap();
    us.poke(BASE, b"/tmp\0");
    k.syscall(SYS___stat50, &[BASE, BASE + 64], &us).unwrap();
    let (r, w) = {
        let mut p = [0i32; 2];
        us.poke(BASE + 512, &[0; 8]);
        k.syscall(netbsd_abi::SYS_pipe2, &[BASE + 512, 0], &us)
            .unwrap();
        let b = us.peek(BASE + 512, 8);
        p[0] = i32::from_le_bytes(b[0..4].try_into().unwrap());
        p[1] = i32::from_le_bytes(b[4..8].try_into().unwrap());
        (p[0], p[1])
    };
    let _ = r;
    us.poke(BASE + 1024, b"hello");
    k.syscall(SYS_write, &[w as u64, BASE + 1024, 5], &us)
        .unwrap();
    us.poke(BASE + 2048, b"mylabel\0");
    us.poke(BASE + 2100, &[1, 2, 3]);
    k.syscall(SYS_utrace, &[BASE + 2048, BASE + 2100, 3], &us)
        .unwrap();
    assert_eq!(
        k.syscall(SYS_utrace, &[BASE + 2048, BASE + 2100, 2049], &us)
            .unwrap_err(),
        e(ENOSPC)
    );
    // Clearing: the rest is not written.
    k.lwproc_switch(Some(&tracer)).unwrap();
    k.syscall(
        SYS_ktrace,
        &[0, RUMP_KTROP_CLEAR as u64, FACS as u64, pid as u64],
        &us,
    )
    .unwrap();
    k.lwproc_switch(Some(&traced)).unwrap();
    k.syscall(SYS_getpid, &[], &us).unwrap();
    k.lwproc_switch(None).unwrap();

    let recs = records(&read_all(&k, "/tmp/kt"));
    let kinds: Vec<i32> = recs.iter().map(|r| i32::from(r.0)).collect();
    assert_eq!(
        kinds,
        [
            RUMP_KTR_EMUL,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_SYSRET,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_NAMEI,
            RUMP_KTR_SYSRET,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_SYSRET,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_GENIO,
            RUMP_KTR_SYSRET,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_USER,
            RUMP_KTR_SYSRET,
            RUMP_KTR_SYSCALL,
            RUMP_KTR_SYSRET,
        ]
    );
    for r in &recs {
        assert_eq!((r.1, r.2), (2, pid), "version 2, the traced pid");
        assert_eq!(r.3, traced.proc().comm());
    }
    assert_eq!(recs[0].5, b"netbsd-rump");
    // getpid: its number, no arguments (struct ktr_syscall: int
    // ktr_code, int ktr_argsize); returns pid and ppid (struct
    // ktr_sysret: short code, short eosys, int error, two registers).
    assert_eq!(recs[1].5, syscall_head(SYS_getpid, 0));
    let ret = &recs[2].5;
    assert_eq!(ret.len(), 24);
    assert_eq!(&ret[0..2], &(SYS_getpid as i16).to_le_bytes());
    assert_eq!(&ret[2..8], &[0; 6], "eosys and error");
    assert_eq!(
        i64::from_le_bytes(ret[8..16].try_into().unwrap()),
        i64::from(pid)
    );
    // __stat50(path, sb): two register arguments, then the path looked up.
    assert_eq!(&recs[3].5[0..8], &syscall_head(SYS___stat50, 2)[..]);
    assert_eq!(recs[4].5, b"/tmp\0");
    // write(w, "hello", 5): its data, as written to descriptor w.
    let mut genio = w.to_le_bytes().to_vec();
    genio.extend_from_slice(&1i32.to_le_bytes());
    genio.extend_from_slice(b"hello");
    assert_eq!(recs[9].5, genio);
    let mut user = b"mylabel".to_vec();
    user.resize(20, 0);
    user.extend_from_slice(&[1, 2, 3]);
    assert_eq!(recs[12].5, user);
    // The utrace over KTR_USER_MAXLEN: ENOSPC, reported in its SYSRET.
    assert_eq!(
        i32::from_le_bytes(recs[15].5[4..8].try_into().unwrap()),
        ENOSPC
    );
}

#[test]
fn ktrace_checks_its_file_its_target_and_its_caller() {
    let k = boot();
    let us = BufferSpace::new(BASE, 64 << 10);
    k.sys_open("/tmp/kt", O_CREAT | O_RDWR, 0o666).unwrap();
    let ro = k.sys_open("/tmp/kt", O_RDONLY, 0).unwrap();
    let set = (RUMP_KTROP_SET | RUMP_KTRFACv2) as u64;
    assert_eq!(
        k.syscall(SYS_fktrace, &[ro as u64, set, FACS as u64, 1], &us)
            .unwrap_err(),
        e(EBADF)
    );
    us.poke(BASE, b"/tmp/kt\0");
    assert_eq!(
        k.syscall(SYS_ktrace, &[BASE, set, 0, 1], &us).unwrap_err(),
        e(EINVAL),
        "no facilities"
    );
    assert_eq!(
        k.syscall(SYS_ktrace, &[BASE, set, FACS as u64, 99_999], &us)
            .unwrap_err(),
        e(ESRCH)
    );
    assert_eq!(
        k.syscall(SYS_ktrace, &[BASE, set, FACS as u64, (-77i64) as u64], &us)
            .unwrap_err(),
        e(ESRCH),
        "no process group 77"
    );
    us.poke(BASE + 64, b"/tmp\0");
    assert_eq!(
        k.syscall(SYS_ktrace, &[BASE + 64, set, FACS as u64, 1], &us)
            .unwrap_err(),
        e(EISDIR)
    );
    k.sys_mkfifo("/tmp/fifo", 0o666).unwrap();
    us.poke(BASE + 128, b"/tmp/fifo\0");
    assert_eq!(
        k.syscall(SYS_ktrace, &[BASE + 128, set, FACS as u64, 1], &us)
            .unwrap_err(),
        e(EACCES),
        "not a regular file"
    );
    // Group 0, every process: allowed for root.
    k.syscall(SYS_ktrace, &[BASE, set, FACS as u64, 0], &us)
        .unwrap();
    let clearfile = RUMP_KTROP_CLEARFILE as u64;
    k.syscall(SYS_ktrace, &[BASE, clearfile, FACS as u64, 0], &us)
        .unwrap();
    // Another user's process: EPERM; one's own: allowed.
    let other = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    k.syscall(SYS_setuid, &[2000], &us).unwrap();
    k.lwproc_switch(None).unwrap();
    // The root file system (NetBSD's rumpfs) makes every file root's,
    // whoever creates it, so root makes one the user may write.
    let kt2 = k.sys_open("/tmp/kt2", O_CREAT | O_RDWR, 0o666).unwrap();
    k.sys_fchmod(kt2, 0o666).unwrap();
    k.sys_close(kt2).unwrap();
    let mine = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    k.syscall(SYS_setuid, &[1000], &us).unwrap();
    us.poke(BASE + 192, b"/tmp/kt2\0");
    assert_eq!(
        k.syscall(
            SYS_ktrace,
            &[BASE + 192, set, FACS as u64, other.proc().pid as u64],
            &us
        )
        .unwrap_err(),
        e(EPERM)
    );
    k.syscall(
        SYS_ktrace,
        &[BASE + 192, set, FACS as u64, mine.proc().pid as u64],
        &us,
    )
    .unwrap();
    // Untraced, utrace reads nothing and succeeds.
    k.lwproc_switch(Some(&other)).unwrap();
    k.syscall(SYS_utrace, &[0, 0, 1 << 20], &us).unwrap();
}
