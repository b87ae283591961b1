//! Cases on advisory locks (fcntl's F_SETLK and F_GETLK).

use super::*;

/// A write lock at SEEK_END+1024 for 1024 bytes: a second process gets
/// EAGAIN until the first unlocks, then gets the lock (NetBSD `fcntl_lock`).
pub(crate) fn fcntl_lock(fx: &Fx) {
    use rump::file::Flock;
    const F_GETLK: i32 = netbsd_abi::F_GETLK;
    const F_SETLK: i32 = netbsd_abi::F_SETLK;
    const F_WRLCK: i16 = netbsd_abi::F_WRLCK as i16;
    const F_UNLCK: i16 = netbsd_abi::F_UNLCK as i16;
    let k = &fx.k;
    let path = fx.p("lockfile");
    let fd = k.sys_open(&path, O_CREAT | O_RDWR, 0o644).unwrap();
    write_all(k, fd, &[1u8; 4096]);
    let req = Flock {
        start: 1024,
        len: 1024,
        pid: 0,
        typ: F_WRLCK,
        whence: SEEK_END as i16,
    };
    k.sys_fcntl_lock(fd, F_SETLK, &mut req.clone()).unwrap();
    let holder = k.sys_getpid().unwrap();
    // Another process with its own descriptor.
    let me = k.lwproc_curlwp();
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let fd2 = k.sys_open(&path, O_RDWR, 0).unwrap();
    assert_errno!(
        k.sys_fcntl_lock(fd2, F_SETLK, &mut req.clone()),
        Errno::EAGAIN
    );
    let mut probe = req;
    k.sys_fcntl_lock(fd2, F_GETLK, &mut probe).unwrap();
    assert_eq!(
        (probe.typ, probe.start, probe.len, probe.pid),
        (F_WRLCK, 4096 + 1024, 1024, holder)
    );
    let other = k.lwproc_curlwp();
    k.lwproc_switch(me.as_ref()).unwrap();
    k.sys_fcntl_lock(
        fd,
        F_SETLK,
        &mut Flock {
            typ: F_UNLCK,
            ..req
        },
    )
    .unwrap();
    k.lwproc_switch(other.as_ref()).unwrap();
    k.sys_fcntl_lock(fd2, F_SETLK, &mut req.clone()).unwrap();
    k.sys_close(fd2).unwrap();
    k.lwproc_releaselwp();
    k.lwproc_switch(me.as_ref()).unwrap();
    // The second process's close released its lock: the range is free.
    let mut free = req;
    k.sys_fcntl_lock(fd, F_GETLK, &mut free).unwrap();
    assert_eq!(free.typ, F_UNLCK);
    k.sys_close(fd).unwrap();
}

/// F_GETLK reports every blocking lock with its owner's pid, across five
/// processes holding non-overlapping ranges (NetBSD `fcntl_getlock_pids`,
/// PR kern/44494).
pub(crate) fn fcntl_getlock_pids(fx: &Fx) {
    use rump::file::Flock;
    const F_GETLK: i32 = netbsd_abi::F_GETLK;
    const F_SETLK: i32 = netbsd_abi::F_SETLK;
    const F_RDLCK: i16 = netbsd_abi::F_RDLCK as i16;
    const F_WRLCK: i16 = netbsd_abi::F_WRLCK as i16;
    let k = &fx.k;
    let path = fx.p("pids");
    let fd = k.sys_open(&path, O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_close(fd).unwrap();
    let me = k.lwproc_curlwp();
    let mut holders = Vec::new();
    for i in 0..5i64 {
        k.lwproc_switch(me.as_ref()).unwrap();
        k.lwproc_rfork(RUMP_RFCFDG).unwrap();
        let fd = k.sys_open(&path, O_RDWR, 0).unwrap();
        let typ = if i % 2 == 0 { F_WRLCK } else { F_RDLCK };
        k.sys_fcntl_lock(
            fd,
            F_SETLK,
            &mut Flock {
                start: i * 10,
                len: 10,
                pid: 0,
                typ,
                whence: SEEK_SET as i16,
            },
        )
        .unwrap();
        holders.push((k.lwproc_curlwp(), k.sys_getpid().unwrap(), typ));
    }
    // A sixth process asks about each range with a write lock.
    k.lwproc_switch(me.as_ref()).unwrap();
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let fd = k.sys_open(&path, O_RDWR, 0).unwrap();
    for (i, (_, pid, typ)) in holders.iter().enumerate() {
        let mut q = Flock {
            start: i as i64 * 10 + 3,
            len: 2,
            pid: 0,
            typ: F_WRLCK,
            whence: SEEK_SET as i16,
        };
        k.sys_fcntl_lock(fd, F_GETLK, &mut q).unwrap();
        assert_eq!(
            (q.pid, q.typ, q.start, q.len),
            (*pid, *typ, i as i64 * 10, 10),
            "range {i}"
        );
    }
    k.lwproc_releaselwp();
    for (l, _, _) in holders {
        k.lwproc_switch(l.as_ref()).unwrap();
        k.lwproc_releaselwp();
    }
    k.lwproc_switch(me.as_ref()).unwrap();
}
