//! Cases that race system calls on several threads: renames, rmdir and
//! creation.

use super::*;

/// One racing thread's loop body.
type Body = Box<dyn Fn(&Kernel) + Send>;

/// How long each race runs.
const RACE: Duration = Duration::from_millis(1000);

/// Run `threads` workers, each calling `body` until the race time is over.
/// Each worker joins the process `pid` as a new lwp when one is given.
fn race(k: &Arc<Kernel>, pid: Option<i32>, bodies: Vec<Body>) {
    let stop = Arc::new(AtomicBool::new(false));
    let handles: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let k = Arc::clone(k);
            let stop = Arc::clone(&stop);
            thread::spawn(move || {
                if let Some(pid) = pid {
                    k.lwproc_newlwp(pid).expect("newlwp");
                }
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    body(&k);
                    n += 1;
                }
                if pid.is_some() {
                    k.lwproc_releaselwp();
                }
                n
            })
        })
        .collect();
    let start = Instant::now();
    while start.elapsed() < RACE {
        thread::sleep(Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        let n = h.join().expect("a racing thread panicked");
        assert!(n > 0, "a racing thread made no progress");
    }
}

/// Creating/unlinking a file while other threads rename it, from lwps of
/// one process using relative paths: no panic, creates fail only with
/// EEXIST, and the end state is consistent (NetBSD `renamerace`, PR
/// kern/41128).
pub(crate) fn renamerace(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let pid = k.sys_getpid().unwrap();
    k.sys_chdir(&fx.mp).unwrap();
    let mut bodies: Vec<Body> = Vec::new();
    for _ in 0..4 {
        bodies.push(Box::new(|k: &Kernel| {
            match k.sys_open("rename.test1", O_WRONLY | O_CREAT | O_TRUNC, 0o666) {
                Ok(fd) => {
                    let _ = k.sys_unlink("rename.test1");
                    k.sys_close(fd).unwrap();
                }
                Err(e) => {
                    assert_eq!(e, Errno::EEXIST, "create");
                    let _ = k.sys_unlink("rename.test1");
                }
            }
        }));
        bodies.push(Box::new(|k: &Kernel| {
            let r = k.sys_rename("rename.test1", "rename.test2");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rename: {r:?}");
        }));
    }
    race(k, Some(pid), bodies);
    let left = names(k, ".");
    for n in &left {
        assert!(
            n == b"rename.test1" || n == b"rename.test2",
            "stray entry {n:?}"
        );
        let st = k.sys_stat(std::str::from_utf8(n).unwrap()).unwrap();
        assert_eq!((ftype(st.mode), st.nlink), (S_IFREG, 1));
        k.sys_unlink(std::str::from_utf8(n).unwrap()).unwrap();
    }
    k.sys_chdir("/").unwrap();
    k.lwproc_releaselwp();
}

/// mkdir/rmdir of a directory while another thread renames it over an
/// empty directory: mkdir never fails, and the end state has consistent
/// link counts (NetBSD `renamerace_dirs`).
pub(crate) fn renamerace_dirs(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.lwproc_rfork(RUMP_RFCFDG).unwrap();
    let pid = k.sys_getpid().unwrap();
    k.sys_chdir(&fx.mp).unwrap();
    let top = k.sys_stat(".").unwrap().nlink;
    let bodies: Vec<Body> = vec![
        Box::new(|k: &Kernel| {
            k.sys_mkdir("rename.test1", 0o777).expect("mkdir");
            let r = k.sys_rmdir("rename.test1");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rmdir: {r:?}");
        }),
        Box::new(|k: &Kernel| {
            let r = k.sys_rename("rename.test1", "rename.test2");
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rename: {r:?}");
        }),
    ];
    race(k, Some(pid), bodies);
    let left = names(k, ".");
    for n in &left {
        assert!(n == b"rename.test2", "stray entry {n:?}");
        let st = k.sys_stat("rename.test2").unwrap();
        assert_eq!((ftype(st.mode), st.nlink), (S_IFDIR, 2));
        assert_eq!(
            k.sys_stat("rename.test2/..").unwrap().ino,
            k.sys_stat(".").unwrap().ino
        );
    }
    assert_eq!(
        k.sys_stat(".").unwrap().nlink,
        dir_links(fx, top + left.len() as u32)
    );
    for n in &left {
        k.sys_rmdir(std::str::from_utf8(n).unwrap()).unwrap();
    }
    assert_eq!(k.sys_stat(".").unwrap().nlink, top);
    k.sys_chdir("/").unwrap();
    k.lwproc_releaselwp();
}

/// mkdir and rmdir of one name from several threads at once: only EEXIST
/// and ENOENT, no panic, consistent end state (NetBSD `rmdirrace`).
pub(crate) fn rmdirrace(fx: &Fx) {
    let k = &fx.k;
    let top = k.sys_stat(&fx.mp).unwrap().nlink;
    let dir = fx.p("rmdir.test");
    let mut bodies: Vec<Body> = Vec::new();
    for _ in 0..3 {
        let d = dir.clone();
        bodies.push(Box::new(move |k: &Kernel| {
            let r = k.sys_mkdir(&d, 0o755);
            assert!(r.is_ok() || r == Err(Errno::EEXIST), "mkdir: {r:?}");
        }));
        let d = dir.clone();
        bodies.push(Box::new(move |k: &Kernel| {
            let r = k.sys_rmdir(&d);
            assert!(r.is_ok() || r == Err(Errno::ENOENT), "rmdir: {r:?}");
        }));
    }
    race(k, None, bodies);
    match k.sys_stat(&dir) {
        Ok(st) => {
            assert_eq!((ftype(st.mode), st.nlink), (S_IFDIR, 2));
            assert_eq!(k.sys_stat(&fx.mp).unwrap().nlink, dir_links(fx, top + 1));
            assert_eq!(names(k, &fx.mp), vec![b"rmdir.test".to_vec()]);
            k.sys_rmdir(&dir).unwrap();
        }
        Err(e) => {
            assert_eq!(e, Errno::ENOENT);
            assert!(names(k, &fx.mp).is_empty());
        }
    }
    assert_eq!(k.sys_stat(&fx.mp).unwrap().nlink, top);
}

/// Threads creating and removing distinct files in one directory at once:
/// every file is listed exactly once, then every file is gone.
pub(crate) fn concurrent_create(fx: &Fx) {
    const THREADS: usize = 4;
    const PER: usize = 300;
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let k = Arc::clone(&fx.k);
            let mp = fx.mp.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    let fd = k
                        .sys_open(&format!("{mp}/t{t}-{i}"), O_RDWR | O_CREAT | O_EXCL, 0o644)
                        .unwrap_or_else(|e| panic!("create t{t}-{i}: {e:?}"));
                    k.sys_pwrite(fd, format!("{t}-{i}").as_bytes(), 0).unwrap();
                    k.sys_close(fd).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a creating thread panicked");
    }
    let k = &fx.k;
    let listed = names(k, &fx.mp);
    assert_eq!(listed.len(), THREADS * PER);
    for t in 0..THREADS {
        for i in (0..PER).step_by(37) {
            assert_eq!(
                get(k, &fx.p(&format!("t{t}-{i}"))),
                format!("{t}-{i}").as_bytes()
            );
        }
    }
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let k = Arc::clone(&fx.k);
            let mp = fx.mp.clone();
            thread::spawn(move || {
                for i in 0..PER {
                    k.sys_unlink(&format!("{mp}/t{t}-{i}")).unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("an unlinking thread panicked");
    }
    assert!(names(k, &fx.mp).is_empty());
}
