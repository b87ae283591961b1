//! Acceptance: the behaviours NetBSD's `tests/rump/rumpkern/t_lwproc.c`
//! checks, one test per case, each on its own kernel.

mod common;

use rump::file::{File, FileOps, Stat};
use rump::lwproc::{RUMP_RFCFDG, RUMP_RFFDG};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::{Arc, Mutex};

#[test]
fn makelwp() {
    let k = common::boot();
    k.lwproc_newlwp(0).unwrap();
    assert_eq!(k.lwproc_newlwp(37).unwrap_err(), Errno::ESRCH);
    let l = k.lwproc_curlwp().unwrap();
    k.lwproc_newproc().unwrap();
    assert!(!Arc::ptr_eq(&k.lwproc_curlwp().unwrap(), &l));
    let l = k.lwproc_curlwp().unwrap();
    k.lwproc_newlwp(k.sys_getpid().unwrap()).unwrap();
    assert!(!Arc::ptr_eq(&k.lwproc_curlwp().unwrap(), &l));
    let pid = k.sys_getpid().unwrap();
    assert!(pid != -1 && pid != 0);
}

#[test]
fn proccreds() {
    let k = common::boot();
    k.lwproc_newproc().unwrap();
    let l1 = k.lwproc_curlwp().unwrap();
    k.lwproc_newproc().unwrap();
    let l2 = k.lwproc_curlwp().unwrap();
    k.sys_setuid(22).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 22);
    k.lwproc_switch(Some(&l1)).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 0);
    k.sys_setuid(11).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 11);
    k.lwproc_switch(Some(&l2)).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 22);
    k.lwproc_newlwp(k.sys_getpid().unwrap()).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 22);
}

#[test]
fn inherit() {
    let k = common::boot();
    k.lwproc_newproc().unwrap();
    k.sys_setuid(66).unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 66);
    k.lwproc_newproc().unwrap();
    assert_eq!(k.sys_getuid().unwrap(), 66);
    // Release the lwp, and with it the process: back in the implicit context.
    k.lwproc_releaselwp();
    assert_eq!(k.sys_getuid().unwrap(), 0);
}

#[test]
fn lwps() {
    const LOOPS: usize = 128;
    let k = common::boot();
    k.lwproc_newproc().unwrap();
    let mut mypid = k.sys_getpid().unwrap();
    k.sys_setuid(375).unwrap();
    let l_orig = k.lwproc_curlwp().unwrap();
    let mut l = Vec::new();
    for _ in 0..LOOPS {
        mypid = k.sys_getpid().unwrap();
        assert!(mypid != -1 && mypid != 0);
        k.lwproc_newlwp(mypid).unwrap();
        l.push(k.lwproc_curlwp().unwrap());
        assert_eq!(k.sys_getuid().unwrap(), 375);
    }
    k.lwproc_switch(Some(&l_orig)).unwrap();
    k.lwproc_releaselwp();
    for lwp in &l {
        k.lwproc_switch(Some(lwp)).unwrap();
        assert_eq!(k.sys_getpid().unwrap(), mypid);
        assert_eq!(k.sys_getuid().unwrap(), 375);
        k.lwproc_releaselwp();
        assert_eq!(k.sys_getpid().unwrap(), 1);
        assert_eq!(k.sys_getuid().unwrap(), 0);
    }
    // The process went away with its last lwp.
    assert_eq!(k.lwproc_newlwp(mypid).unwrap_err(), Errno::ESRCH);
}

const NOLWPRELEASE_CHILD: &str = "RUMP_TEST_NOLWPRELEASE_CHILD";

#[test]
fn nolwprelease() {
    if std::env::var_os(NOLWPRELEASE_CHILD).is_some() {
        let k = common::boot();
        k.lwproc_releaselwp();
        println!("survived");
        std::process::exit(0);
    }
    // Run the case in a child process: releasing without an lwp must panic
    // the kernel, which aborts its host process with SIGABRT.
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "nolwprelease", "--nocapture", "--test-threads=1"])
        .env(NOLWPRELEASE_CHILD, "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(out.status.signal(), Some(6), "child: {out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("rump kernel panic"));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("survived"));
}

#[test]
fn nolwp() {
    let k = common::boot();
    assert!(k.lwproc_curlwp().is_none());
}

#[test]
fn nullswitch() {
    let k = common::boot();
    k.lwproc_newlwp(0).unwrap();
    let l = k.lwproc_curlwp().unwrap();
    k.lwproc_switch(None).unwrap();
    // If the lwp were still marked running, this switch would fail.
    k.lwproc_switch(Some(&l)).unwrap();
    assert_eq!(k.sys_getpid().unwrap(), 0);
}

#[test]
fn switch_to_lwp_running_elsewhere_is_refused() {
    let k = common::boot();
    k.lwproc_newproc().unwrap();
    let l = k.lwproc_curlwp().unwrap();
    let k2 = Arc::clone(&k);
    let err = std::thread::spawn(move || k2.lwproc_switch(Some(&l)))
        .join()
        .unwrap();
    assert_eq!(err.unwrap_err(), Errno::EBUSY);
}

/// A regular file in kernel memory: enough of a file for the descriptor
/// table tests of `rfork` (the VFS faction supplies real ones).
#[derive(Default)]
struct MemFile {
    data: Mutex<Vec<u8>>,
}

struct MemFileRef(Arc<MemFile>);

impl FileOps for MemFileRef {
    fn write(&self, _: &Ctx, buf: &[u8], _: Option<u64>) -> KResult<usize> {
        self.0.data.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn stat(&self, _: &Ctx) -> KResult<Stat> {
        Ok(Stat {
            mode: 0o100644,
            size: self.0.data.lock().unwrap().len() as i64,
            nlink: 1,
            ..Stat::default()
        })
    }
}

const O_RDWR: u32 = netbsd_abi::O_RDWR as u32;

#[test]
fn rfork() {
    let k = common::boot();
    let file = Arc::new(MemFile::default());
    let open = |k: &rump::Kernel| {
        k.fd_install(File::new(Box::new(MemFileRef(Arc::clone(&file))), O_RDWR))
            .unwrap()
    };
    let word = 7i32.to_le_bytes();

    assert_eq!(
        k.lwproc_rfork(RUMP_RFFDG | RUMP_RFCFDG).unwrap_err(),
        Errno::EINVAL
    );
    k.lwproc_rfork(0).unwrap();
    let l = k.lwproc_curlwp().unwrap();
    let fd = open(&k);

    // rfork(RUMP_RFCFDG) does not preserve descriptors.
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    assert_eq!(k.sys_write(fd, &word).unwrap_err(), Errno::EBADF);

    // rfork(0) does.
    k.lwproc_switch(Some(&l)).unwrap();
    k.lwproc_rfork(0).unwrap();
    assert_eq!(k.sys_write(fd, &word).unwrap(), word.len());
    k.sys_fstat(fd).unwrap();
    let l2 = k.lwproc_curlwp().unwrap();

    // The shared table is really shared: closing in the parent closes here.
    k.lwproc_switch(Some(&l)).unwrap();
    k.sys_close(fd).unwrap();
    k.lwproc_switch(Some(&l2)).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap_err(), Errno::EBADF);

    // Again, copying the table instead of sharing it.
    k.lwproc_releaselwp();
    k.lwproc_switch(Some(&l)).unwrap();
    file.data.lock().unwrap().clear();
    let fd = open(&k);
    k.lwproc_rfork(RUMP_RFFDG).unwrap();
    assert_eq!(k.sys_write(fd, &word).unwrap(), word.len());
    k.sys_fstat(fd).unwrap();
    let l2 = k.lwproc_curlwp().unwrap();

    // The copy survives the parent closing its descriptor.
    k.lwproc_switch(Some(&l)).unwrap();
    k.sys_close(fd).unwrap();
    k.lwproc_switch(Some(&l2)).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, word.len() as i64);
}

#[test]
fn a_thread_that_exits_bound_leaves_its_lwp_switchable() {
    let k = common::boot();
    let k2 = Arc::clone(&k);
    let l = std::thread::spawn(move || {
        k2.lwproc_newproc().unwrap();
        k2.lwproc_curlwp().unwrap()
    })
    .join()
    .unwrap();
    // The host thread is gone; its lwp is no longer running anywhere.
    k.lwproc_switch(Some(&l)).unwrap();
    assert_eq!(k.sys_getpid().unwrap(), l.proc().pid);
}

#[test]
fn newlwp_never_joins_a_process_that_is_exiting() {
    // One thread releases a process's only lwp while another adds an lwp to
    // it: the newcomer either keeps the process alive or gets ESRCH, never
    // an lwp in a process that is gone.
    let k = common::boot();
    for _ in 0..300 {
        let l = k.lwproc_newproc().unwrap();
        let pid = l.proc().pid;
        k.lwproc_switch(None).unwrap();
        let joiner = {
            let k = Arc::clone(&k);
            std::thread::spawn(move || {
                if k.lwproc_newlwp(pid).is_ok() {
                    assert!(
                        k.procs().find(pid).is_some(),
                        "bound to an lwp of an exited process"
                    );
                    k.lwproc_releaselwp();
                }
            })
        };
        k.lwproc_switch(Some(&l)).unwrap();
        k.lwproc_releaselwp();
        joiner.join().unwrap();
    }
}

#[test]
fn getlogin_copies_what_fits() {
    use rump::usermem::BufferSpace;
    let k = common::boot();
    k.sys_setlogin("operator").unwrap();
    let us = BufferSpace::new(0x1000, 64);
    us.poke(0x1000, &[0xaa; 32]);
    // A short buffer gets a truncated name, not ERANGE (NetBSD's behaviour).
    k.syscall(netbsd_abi::SYS___getlogin, &[0x1000, 4], &us)
        .unwrap();
    assert_eq!(us.peek(0x1000, 5), b"oper\xaa");
    k.syscall(netbsd_abi::SYS___getlogin, &[0x1000, 64], &us)
        .unwrap();
    assert_eq!(us.peek(0x1000, 17), b"operator\0\0\0\0\0\0\0\0\xaa");
    assert_eq!(
        k.sys_setlogin("a-name-of-16-byt").unwrap_err(),
        Errno::EINVAL
    );
}

#[test]
fn an_exiting_process_wakes_its_sleepers_and_takes_no_new_lwps() {
    let k = common::boot();
    let l = k.lwproc_newproc().unwrap();
    let pid = l.proc().pid;
    k.lwproc_switch(None).unwrap();
    let sleeper = {
        let (k, l) = (Arc::clone(&k), Arc::clone(&l));
        std::thread::spawn(move || {
            k.lwproc_switch(Some(&l)).unwrap();
            let t = std::time::Instant::now();
            let r = k.sys_nanosleep((100, 0));
            (r, t.elapsed())
        })
    };
    while k.threads_inside() == 0 {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    std::thread::sleep(std::time::Duration::from_millis(20));
    l.proc().post_exit();
    let (r, took) = sleeper.join().unwrap();
    assert_eq!(r.unwrap_err(), Errno::EINTR);
    assert!(took < std::time::Duration::from_secs(5));
    assert_eq!(k.lwproc_newlwp(pid).unwrap_err(), Errno::EBUSY);
}

#[test]
fn a_call_handed_its_lwp_runs_as_that_lwps_process() {
    // As a server does for a remote call: a new lwp in the client's
    // process, then the call handed that lwp instead of looking it up.
    let k = common::boot();
    k.lwproc_newproc().unwrap();
    let pid = k.sys_getpid().unwrap();
    k.lwproc_switch(None).unwrap();
    let l = k.lwproc_newlwp(pid).unwrap();
    let us = rump::usermem::BufferSpace::new(0x1000, 16);
    let r = k.syscall_as(&l, netbsd_abi::SYS_getpid, &[], &us).unwrap();
    assert_eq!(r[0], pid as u64);
    k.lwproc_releaselwp();
    let r = k.syscall(netbsd_abi::SYS_getpid, &[], &us).unwrap();
    assert_eq!(r[0], rump::lwproc::PID_LOCAL as u64);
}
