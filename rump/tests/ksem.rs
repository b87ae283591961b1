//! POSIX semaphores (`_ksem_*`) by number, as NetBSD's `tests/lib/libc/sys/
//! t_ksem`, `tests/lib/semaphore` and `tests/kernel/t_sem` exercise them;
//! and the calls of absent modules (`sys_nomodule`).

mod common;

use netbsd_abi as abi;
use rump::Errno;
use rump::usermem::BufferSpace;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BASE: u64 = 0x10000;
/// Where the tests keep the id a call stores, a name, a time and a value.
const ID: u64 = BASE;
const NAME: u64 = BASE + 0x100;
const TIME: u64 = BASE + 0x200;
const VALUE: u64 = BASE + 0x300;
const STAT: u64 = BASE + 0x400;

fn space() -> BufferSpace {
    BufferSpace::new(BASE, 64 << 10)
}

fn id(us: &BufferSpace) -> u64 {
    u64::from_le_bytes(us.peek(ID, 8).try_into().unwrap())
}

fn init(k: &rump::Kernel, us: &BufferSpace, value: u32) -> u64 {
    k.syscall(abi::SYS__ksem_init, &[value.into(), ID], us)
        .unwrap();
    id(us)
}

fn open(
    k: &rump::Kernel,
    us: &BufferSpace,
    name: &str,
    oflag: i32,
    mode: u32,
    value: u32,
) -> Result<u64, Errno> {
    let mut b = name.as_bytes().to_vec();
    b.push(0);
    us.poke(NAME, &b);
    k.syscall(
        abi::SYS__ksem_open,
        &[NAME, oflag as u64, mode.into(), value.into(), ID],
        us,
    )?;
    Ok(id(us))
}

fn value(k: &rump::Kernel, us: &BufferSpace, id: u64) -> u32 {
    k.syscall(abi::SYS__ksem_getvalue, &[id, VALUE], us)
        .unwrap();
    u32::from_le_bytes(us.peek(VALUE, 4).try_into().unwrap())
}

fn call(k: &rump::Kernel, us: &BufferSpace, nr: usize, id: u64) -> Result<(), Errno> {
    k.syscall(nr, &[id], us).map(|_| ())
}

fn set_time(us: &BufferSpace, t: Duration) {
    us.poke(TIME, &(t.as_secs() as i64).to_le_bytes());
    us.poke(TIME + 8, &i64::from(t.subsec_nanos()).to_le_bytes());
}

fn set_sysctl_int(k: &rump::Kernel, name: &str, v: i32) {
    let mib = k.sysctl().name_to_mib(name).unwrap();
    let out = k.sys_sysctl(&mib, None, Some(&v.to_le_bytes())).unwrap();
    out.result.unwrap();
}

#[test]
fn calls_of_absent_modules_answer_enosys_and_post_sigsys() {
    let k = common::boot();
    let us = space();
    let proc = Arc::clone(k.procs().local_proc());
    proc.take_pending_signals();
    for nr in [
        abi::SYS_compat_50_mknod,
        abi::SYS_compat_50_select,
        abi::SYS_compat_50_kevent,
        abi::SYS_compat_50___stat30,
        abi::SYS_nfssvc,
    ] {
        assert_eq!(k.syscall(nr, &[0; 4], &us).unwrap_err(), Errno::ENOSYS);
        assert_eq!(proc.take_pending_signals(), [abi::SIGSYS], "call {nr}");
        assert!(k.syscall_is_placeholder(nr));
    }
    // A call no kernel of this build has at all is a plain ENOSYS.
    assert_eq!(
        k.syscall(abi::SYS_recvmmsg, &[0; 4], &us).unwrap_err(),
        Errno::ENOSYS
    );
    assert_eq!(proc.take_pending_signals(), []);
    // The semaphores are real calls of the base.
    assert!(!k.syscall_is_placeholder(abi::SYS__ksem_init));
    assert_eq!(k.syscall_name(abi::SYS__ksem_init), Some("_ksem_init"));
}

fn answer_seven(
    _: &rump::syscall::Ctx,
    _: &rump::syscall::SysArgs,
    _: &dyn rump::usermem::UserSpace,
) -> rump::KResult<rump::syscall::SysRet> {
    Ok([7, 0])
}

#[test]
fn a_component_replaces_a_placeholder_but_not_a_real_call() {
    let k = common::boot();
    let us = space();
    k.register_syscall(abi::SYS_nfssvc, "nfssvc", answer_seven)
        .unwrap();
    assert_eq!(k.syscall(abi::SYS_nfssvc, &[], &us).unwrap()[0], 7);
    assert!(!k.syscall_is_placeholder(abi::SYS_nfssvc));
    assert_eq!(
        k.register_syscall(abi::SYS_nfssvc, "nfssvc", answer_seven),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        k.register_syscall(abi::SYS__ksem_post, "_ksem_post", answer_seven),
        Err(Errno::EEXIST)
    );
}

#[test]
fn unnamed_semaphore_counts_and_fails_as_netbsd() {
    let k = common::boot();
    let us = space();
    let s = init(&k, &us, 1);
    assert!(s >= 3, "a descriptor number after the console's: {s}");
    assert_eq!(value(&k, &us, s), 1);
    call(&k, &us, abi::SYS__ksem_trywait, s).unwrap();
    assert_eq!(call(&k, &us, abi::SYS__ksem_trywait, s), Err(Errno::EAGAIN));
    call(&k, &us, abi::SYS__ksem_post, s).unwrap();
    call(&k, &us, abi::SYS__ksem_wait, s).unwrap();
    // A time already past: ETIMEDOUT; a bad one: EINVAL.
    set_time(&us, Duration::from_secs(1));
    assert_eq!(
        k.syscall(abi::SYS__ksem_timedwait, &[s, TIME], &us),
        Err(Errno::ETIMEDOUT)
    );
    us.poke(TIME + 8, &1_000_000_000i64.to_le_bytes());
    assert_eq!(
        k.syscall(abi::SYS__ksem_timedwait, &[s, TIME], &us),
        Err(Errno::EINVAL)
    );
    // fstat: a regular file whose size is the value.
    call(&k, &us, abi::SYS__ksem_post, s).unwrap();
    k.syscall(abi::SYS___fstat50, &[s, STAT], &us).unwrap();
    let st = us.peek(STAT, abi::layout::stat::SIZE);
    let mode = abi::layout::stat::st_mode.get(&st).unwrap() as i32;
    assert_eq!(mode & abi::S_IFMT, abi::S_IFREG);
    assert_eq!(abi::layout::stat::st_size.get(&st), Some(1));
    // A named-only call and a descriptor of another kind.
    assert_eq!(
        k.syscall(abi::SYS__ksem_unlink, &[0], &us),
        Err(Errno::EFAULT)
    );
    assert_eq!(call(&k, &us, abi::SYS__ksem_post, 0), Err(Errno::EINVAL));
    assert_eq!(call(&k, &us, abi::SYS__ksem_post, 99), Err(Errno::EINVAL));
    call(&k, &us, abi::SYS__ksem_destroy, s).unwrap();
    assert_eq!(call(&k, &us, abi::SYS__ksem_post, s), Err(Errno::EINVAL));
    assert_eq!(call(&k, &us, abi::SYS__ksem_close, s), Err(Errno::EBADF));
    // A faulting id pointer.
    assert_eq!(
        k.syscall(abi::SYS__ksem_init, &[0, 0], &us),
        Err(Errno::EFAULT)
    );
}

#[test]
fn post_overflows_at_sem_value_max() {
    let k = common::boot();
    let us = space();
    let s = init(&k, &us, u32::MAX);
    assert_eq!(call(&k, &us, abi::SYS__ksem_post, s), Err(Errno::EOVERFLOW));
}

#[test]
fn a_waiter_sleeps_until_posted_and_a_timed_one_until_its_time() {
    let k = common::boot();
    let us = Arc::new(space());
    let s = init(&k, &us, 0);
    let (k2, us2) = (Arc::clone(&k), Arc::clone(&us));
    let t = Instant::now();
    let waiter = std::thread::spawn(move || call(&k2, &us2, abi::SYS__ksem_wait, s));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!waiter.is_finished(), "the wait returned before a post");
    // A waiter makes destroy EBUSY.
    assert_eq!(call(&k, &us, abi::SYS__ksem_destroy, s), Err(Errno::EBUSY));
    call(&k, &us, abi::SYS__ksem_post, s).unwrap();
    waiter.join().unwrap().unwrap();
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert_eq!(value(&k, &us, s), 0);

    let deadline = k.clock().wall() + Duration::from_millis(300);
    set_time(&us, deadline);
    let t = Instant::now();
    assert_eq!(
        k.syscall(abi::SYS__ksem_timedwait, &[s, TIME], &*us),
        Err(Errno::ETIMEDOUT)
    );
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(250) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
}

#[test]
fn a_wait_is_interrupted_when_its_process_exits() {
    let k = common::boot();
    let us = Arc::new(space());
    let s = init(&k, &us, 0);
    let l = k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    k.lwproc_switch(None).unwrap();
    let (k2, us2, l2) = (Arc::clone(&k), Arc::clone(&us), Arc::clone(&l));
    let waiter = std::thread::spawn(move || {
        k2.lwproc_switch(Some(&l2)).unwrap();
        let r = call(&k2, &us2, abi::SYS__ksem_wait, s);
        k2.lwproc_releaselwp();
        r
    });
    std::thread::sleep(Duration::from_millis(200));
    l.proc().post_exit();
    assert_eq!(waiter.join().unwrap(), Err(Errno::EINTR));
}

#[test]
fn named_semaphores_open_create_exclude_and_unlink() {
    let k = common::boot();
    let us = space();
    let (creat, excl) = (abi::O_CREAT, abi::O_CREAT | abi::O_EXCL);
    assert_eq!(open(&k, &us, "/sem", 0, 0, 0), Err(Errno::ENOENT));
    for bad in ["sem", "/", "/a/b"] {
        assert_eq!(
            open(&k, &us, bad, creat, 0o600, 0),
            Err(Errno::EINVAL),
            "{bad}"
        );
    }
    assert_eq!(
        open(&k, &us, "/fifteen-chars!", creat, 0o600, 0),
        Err(Errno::ENAMETOOLONG)
    );
    let a = open(&k, &us, "/sem", excl, 0o600, 2).unwrap();
    assert_eq!(open(&k, &us, "/sem", excl, 0o600, 0), Err(Errno::EEXIST));
    // NetBSD stores the descriptor it took before the call fails.
    assert_eq!(id(&us), a + 1);
    // Without O_EXCL the existing one, its value kept.
    let b = open(&k, &us, "/sem", creat, 0o600, 9).unwrap();
    assert_ne!(a, b);
    assert_eq!(value(&k, &us, b), 2);
    call(&k, &us, abi::SYS__ksem_wait, a).unwrap();
    assert_eq!(value(&k, &us, b), 1);
    assert_eq!(common::sysctl_int(&k, "kern.posix.semcnt"), 1);
    // fstat: a link whose link count is the opens.
    k.syscall(abi::SYS___fstat50, &[a, STAT], &us).unwrap();
    let st = us.peek(STAT, abi::layout::stat::SIZE);
    let mode = abi::layout::stat::st_mode.get(&st).unwrap() as i32;
    assert_eq!(mode & abi::S_IFMT, abi::S_IFLNK);
    assert_eq!(abi::layout::stat::st_nlink.get(&st), Some(2));
    // Named ones are not destroyed, they are closed and unlinked.
    assert_eq!(call(&k, &us, abi::SYS__ksem_destroy, a), Err(Errno::EINVAL));
    us.poke(NAME, b"/sem\0");
    k.syscall(abi::SYS__ksem_unlink, &[NAME], &us).unwrap();
    assert_eq!(
        k.syscall(abi::SYS__ksem_unlink, &[NAME], &us),
        Err(Errno::ENOENT)
    );
    assert_eq!(open(&k, &us, "/sem", 0, 0, 0), Err(Errno::ENOENT));
    assert_eq!(common::sysctl_int(&k, "kern.posix.semcnt"), 0);
    // The unlinked semaphore lives on for its descriptors.
    call(&k, &us, abi::SYS__ksem_post, b).unwrap();
    assert_eq!(value(&k, &us, a), 2);
    call(&k, &us, abi::SYS__ksem_close, a).unwrap();
    call(&k, &us, abi::SYS__ksem_close, b).unwrap();
    assert_eq!(call(&k, &us, abi::SYS__ksem_close, b), Err(Errno::EBADF));
    // A new one of the same name is another semaphore.
    let c = open(&k, &us, "/sem", excl, 0o600, 0).unwrap();
    assert_eq!(value(&k, &us, c), 0);
}

#[test]
fn others_need_a_write_bit_and_semmax_bounds_the_named() {
    let k = common::boot();
    let us = space();
    let creat = abi::O_CREAT;
    open(&k, &us, "/private", creat, 0o600, 0).unwrap();
    open(&k, &us, "/shared", creat, 0o602, 0).unwrap();
    assert_eq!(common::sysctl_int(&k, "kern.posix.semmax"), 128);
    set_sysctl_int(&k, "kern.posix.semmax", 2);
    assert_eq!(open(&k, &us, "/third", creat, 0o600, 0), Err(Errno::ENFILE));
    assert_eq!(
        k.syscall(abi::SYS__ksem_init, &[0, ID], &us),
        Err(Errno::ENFILE)
    );
    k.lwproc_rfork(0).unwrap();
    k.sys_setuid(1000).unwrap();
    assert_eq!(open(&k, &us, "/private", 0, 0, 0), Err(Errno::EACCES));
    us.poke(NAME, b"/private\0");
    assert_eq!(
        k.syscall(abi::SYS__ksem_unlink, &[NAME], &us),
        Err(Errno::EACCES)
    );
    let s = open(&k, &us, "/shared", 0, 0, 0).unwrap();
    call(&k, &us, abi::SYS__ksem_post, s).unwrap();
    k.lwproc_releaselwp();
}

#[test]
fn a_process_that_exits_closes_its_semaphores() {
    let k = common::boot();
    let us = space();
    let a = open(&k, &us, "/exit", abi::O_CREAT, 0o600, 0).unwrap();
    k.lwproc_rfork(rump::lwproc::RUMP_RFFDG).unwrap();
    open(&k, &us, "/exit", 0, 0, 0).unwrap();
    open(&k, &us, "/exit", 0, 0, 0).unwrap();
    k.lwproc_releaselwp();
    k.syscall(abi::SYS___fstat50, &[a, STAT], &us).unwrap();
    let st = us.peek(STAT, abi::layout::stat::SIZE);
    assert_eq!(abi::layout::stat::st_nlink.get(&st), Some(1));
}
