//! The NFS client mounted through mount(2), against nfs-ganesha (see
//! `ganesha/mod.rs`): a kernel with rumpvfs, rumpnet, sockin and
//! rumpfs_nfs, given `struct nfs_args` as NetBSD's `mount_nfs` fills it
//! (the handle from the server's mount daemon, which mount_nfs asks in
//! userland). What the kernel writes is compared with the exported host
//! directory byte for byte, and what the host wrote is read through it.

mod ganesha;
mod mounting;

use mounting::{boot, mount_nfs, mount_nfs_args, pattern, read_file, write_file};
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use std::path::Path;
use std::sync::Arc;

const O_RDONLY: i32 = netbsd_abi::O_RDONLY;
const O_WRONLY: i32 = netbsd_abi::O_WRONLY;
const O_CREAT: i32 = netbsd_abi::O_CREAT;
const O_EXCL: i32 = netbsd_abi::O_EXCL;
const O_DIRECTORY: i32 = netbsd_abi::O_DIRECTORY;

fn names(k: &Kernel, dir: &str) -> Vec<String> {
    let fd = k.sys_open(dir, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut out = Vec::new();
    loop {
        let page = k.sys_getdents(fd).unwrap();
        if page.is_empty() {
            break;
        }
        out.extend(
            page.into_iter()
                .map(|d| String::from_utf8(d.name).unwrap())
                .filter(|n| n != "." && n != ".."),
        );
    }
    k.sys_close(fd).unwrap();
    out.sort();
    out
}

fn as_user<R>(k: &Kernel, uid: u32, f: impl FnOnce() -> R) -> R {
    k.lwproc_rfork(0).expect("rfork");
    k.sys_setgroups(&[]).expect("setgroups");
    k.sys_setgid(uid).expect("setgid");
    k.sys_setuid(uid).expect("setuid");
    let r = f();
    k.lwproc_releaselwp();
    r
}

/// What the mount refuses: NFSv2 (not supported yet), a port
/// nobody listens on, a handle the server does not know.
fn mount_refusals(k: &Kernel, fh: &[u8]) {
    let tcp = netbsd_abi::SOCK_STREAM;
    let v3 = netbsd_abi::NFSMNT_NFSV3;
    let h = "127.0.0.1:/export";
    let refused = [
        (
            mount_nfs_args(k, "/mnt", fh, h, 2049, 0, tcp),
            Errno::EPROGMISMATCH,
        ),
        (
            mount_nfs_args(k, "/mnt", fh, h, 1, v3, tcp),
            Errno::ECONNREFUSED,
        ),
        (
            mount_nfs_args(k, "/mnt", &[7; 28], h, 2049, v3, tcp),
            Errno::ESTALE,
        ),
    ];
    for (got, want) in refused {
        assert_eq!(got, Err(want));
    }
    assert_eq!(k.sys_stat("/mnt/hostfile").err(), Some(Errno::ENOENT));
}

/// Readers and writers at once on one virtual CPU, each waiting for the
/// server in turn.
fn concurrent_callers(k: &Arc<Kernel>, export: &Path, small: &[u8]) {
    // Four readers at once on one virtual CPU, each waiting for the server
    // in turn.
    let readers: Vec<_> = (0..4)
        .map(|_| {
            let k = Arc::clone(k);
            std::thread::spawn(move || read_file(&k, "/mnt/small"))
        })
        .collect();
    for r in readers {
        assert!(r.join().unwrap() == *small, "a concurrent reader");
    }

    // Four writers at once in one directory on one virtual CPU.
    k.sys_mkdir("/mnt/conc", 0o755).unwrap();
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let k = Arc::clone(k);
            std::thread::spawn(move || {
                for i in 0..25 {
                    let p = format!("/mnt/conc/{t}-{i}");
                    write_file(&k, &p, p.as_bytes(), 64);
                    assert_eq!(k.sys_stat(&p).unwrap().size, p.len() as i64);
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(std::fs::read_dir(export.join("conc")).unwrap().count(), 100);
    for t in 0..4 {
        for i in 0..25 {
            k.sys_unlink(&format!("/mnt/conc/{t}-{i}")).unwrap();
        }
    }
    k.sys_rmdir("/mnt/conc").unwrap();
}

fn mounted(export: &Path) {
    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();

    mount_refusals(&k, &fh);
    mount_nfs(&k, "/mnt", &fh, "127.0.0.1:/export", 0).expect("mount");
    let vfs = k.sys_statvfs("/mnt").unwrap();
    assert_eq!(
        (vfs.fstypename.as_str(), vfs.mntonname.as_str()),
        ("nfs", "/mnt")
    );

    // A file the host put there reads identically.
    let host = std::fs::read(export.join("hostfile")).unwrap();
    assert!(read_file(&k, "/mnt/hostfile") == host, "hostfile differs");
    assert_eq!(k.sys_stat("/mnt/hostfile").unwrap().size, host.len() as i64);

    // Files written through the kernel are the host's bytes.
    let small = pattern(1_000_123, 2);
    write_file(&k, "/mnt/small", &small, 65536);
    assert!(std::fs::read(export.join("small")).unwrap() == small);
    assert!(read_file(&k, "/mnt/small") == small);
    let big = pattern(64 << 20, 9);
    write_file(&k, "/mnt/big", &big, 1 << 20);
    assert!(
        std::fs::read(export.join("big")).unwrap() == big,
        "64 MiB differ"
    );
    assert!(read_file(&k, "/mnt/big") == big, "64 MiB read back differ");
    k.sys_unlink("/mnt/big").unwrap();
    assert!(!export.join("big").exists());

    concurrent_callers(&k, export, &small);

    // Names and attributes, as the host sees them.
    use std::os::unix::fs::MetadataExt;
    k.sys_mkdir("/mnt/d", 0o750).unwrap();
    assert_eq!(
        std::fs::metadata(export.join("d")).unwrap().mode() & 0o7777,
        0o750
    );
    k.sys_rename("/mnt/small", "/mnt/d/moved").unwrap();
    assert!(export.join("d/moved").exists() && !export.join("small").exists());
    k.sys_link("/mnt/d/moved", "/mnt/hard").unwrap();
    assert_eq!(std::fs::metadata(export.join("hard")).unwrap().nlink(), 2);
    assert_eq!(k.sys_stat("/mnt/hard").unwrap().nlink, 2);
    k.sys_symlink("d/moved", "/mnt/sl").unwrap();
    assert_eq!(
        std::fs::read_link(export.join("sl")).unwrap(),
        Path::new("d/moved")
    );
    assert_eq!(k.sys_readlink("/mnt/sl").unwrap(), b"d/moved");
    assert!(read_file(&k, "/mnt/sl") == small, "through the symlink");
    k.sys_chmod("/mnt/hard", 0o604).unwrap();
    assert_eq!(
        std::fs::metadata(export.join("hard")).unwrap().mode() & 0o7777,
        0o604
    );
    k.sys_utimes("/mnt/hard", (1_000_000_000, 0), (1_200_000_000, 500))
        .unwrap();
    let m = std::fs::metadata(export.join("hard")).unwrap();
    assert_eq!(
        (m.atime(), m.mtime(), m.mtime_nsec()),
        (1_000_000_000, 1_200_000_000, 500)
    );
    let st = k.sys_stat("/mnt/hard").unwrap();
    assert_eq!(
        (st.mtime, st.mode & 0o7777, st.uid),
        ((1_200_000_000, 500), 0o604, m.uid())
    );
    assert_eq!(st.ino, m.ino());
    k.sys_truncate("/mnt/hard", 10).unwrap();
    assert_eq!(std::fs::read(export.join("d/moved")).unwrap(), small[..10]);

    // Errors, as NetBSD's client gives them.
    assert_eq!(k.sys_open("/mnt/missing", O_RDONLY, 0), Err(Errno::ENOENT));
    assert_eq!(k.sys_mkdir("/mnt/d", 0o755), Err(Errno::EEXIST));
    assert_eq!(k.sys_rmdir("/mnt/d"), Err(Errno::ENOTEMPTY));
    assert_eq!(k.sys_symlink("x", "/mnt/sl"), Err(Errno::EEXIST));
    k.sys_mkdir("/mnt/private", 0o700).unwrap();
    write_file(&k, "/mnt/private/f", b"secret", 16);
    as_user(&k, 1000, || {
        assert_eq!(
            k.sys_open("/mnt/private/f", O_RDONLY, 0),
            Err(Errno::EACCES)
        );
        assert_eq!(k.sys_mkdir("/mnt/private/x", 0o755), Err(Errno::EACCES));
    });
    for f in ["/mnt/hard", "/mnt/sl", "/mnt/d/moved", "/mnt/private/f"] {
        k.sys_unlink(f).unwrap();
    }
    k.sys_rmdir("/mnt/d").unwrap();
    k.sys_rmdir("/mnt/private").unwrap();

    // 2,000 entries the host made, every one once.
    let want: Vec<String> = (0..2000).map(|i| format!("entry-{i:04}")).collect();
    assert!(names(&k, "/mnt/many") == want, "the 2,000 names");
    assert_eq!(names(&k, "/mnt"), ["hostfile", "many"]);

    // statvfs in NFS_FABLKSIZE blocks, as the host counts the space.
    let v = k.sys_statvfs("/mnt").unwrap();
    let o = std::process::Command::new("stat")
        .args(["-f", "-c", "%b %S"])
        .arg(export)
        .output()
        .unwrap();
    let s = String::from_utf8(o.stdout).unwrap();
    let mut it = s.split_whitespace().map(|x| x.parse::<u64>().unwrap());
    let host_bytes = it.next().unwrap() * it.next().unwrap();
    assert_eq!((v.bsize, v.blocks * 512), (512, host_bytes));

    k.sys_unmount("/mnt", 0).unwrap();
    assert_eq!(k.sys_stat("/mnt/hostfile").err(), Some(Errno::ENOENT));
}

#[test]
fn mount_read_write_and_names_against_ganesha() {
    if let Some(export) = ganesha::inside() {
        mounted(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "mount") else {
        return;
    };
    std::fs::write(g.export().join("hostfile"), pattern(300_000, 5)).unwrap();
    std::fs::create_dir(g.export().join("many")).unwrap();
    for i in 0..2000 {
        std::fs::write(g.export().join(format!("many/entry-{i:04}")), b"").unwrap();
    }
    g.run_inside("mount_read_write_and_names_against_ganesha");
}

/// A hard mount waits through a server restart in the middle of a copy and
/// the data arrives whole; a soft mount of a server that stays down fails
/// with EIO.
fn through_a_restart(export: &Path) {
    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    mount_nfs(&k, "/mnt", &fh, "127.0.0.1:/export", 0).expect("mount");
    let data = Arc::new(pattern(24 << 20, 4));
    let writer = {
        let (k, data) = (Arc::clone(&k), Arc::clone(&data));
        // Paced, so that the server goes down in the middle of the copy.
        std::thread::spawn(move || {
            let fd = k
                .sys_open("/mnt/copy", O_WRONLY | O_CREAT | O_EXCL, 0o644)
                .unwrap();
            for part in data.chunks(256 << 10) {
                assert_eq!(k.sys_write(fd, part).unwrap(), part.len());
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            k.sys_close(fd).unwrap();
        })
    };
    let host = export.join("copy");
    let t = std::time::Instant::now();
    while std::fs::metadata(&host).map_or(0, |m| m.len()) < 4 << 20 {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "no progress"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(!writer.is_finished(), "the copy ended before the restart");
    let restart = std::env::var(ganesha::RESTART_ENV).unwrap();
    let st = std::process::Command::new("sh")
        .args(["-c", &restart])
        .status();
    assert!(st.unwrap().success(), "ganesha restarted");
    writer.join().unwrap();
    assert!(std::fs::read(&host).unwrap() == *data, "the copy is whole");
    assert!(read_file(&k, "/mnt/copy") == *data);

    // A soft mount (timeo 1 s, 2 tries) of a server that goes away.
    k.sys_mkdir("/soft", 0o755).unwrap();
    let soft = netbsd_abi::NFSMNT_SOFT | netbsd_abi::NFSMNT_TIMEO | netbsd_abi::NFSMNT_RETRANS;
    mount_nfs(&k, "/soft", &fh, "127.0.0.1:/export", soft).expect("soft mount");
    assert_eq!(k.sys_stat("/soft/copy").unwrap().size, data.len() as i64);
    let pid = std::fs::read_to_string(export.parent().unwrap().join("ganesha2.pid")).unwrap();
    let st = std::process::Command::new("kill").arg(pid.trim()).status();
    assert!(st.unwrap().success());
    while Path::new(&format!("/proc/{}", pid.trim())).exists() {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let t = std::time::Instant::now();
    assert_eq!(k.sys_stat("/soft/other").err(), Some(Errno::EIO));
    assert!(
        t.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        t.elapsed()
    );
}

#[test]
fn a_hard_mount_waits_through_a_server_restart() {
    if let Some(export) = ganesha::inside() {
        through_a_restart(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "restart") else {
        return;
    };
    g.run_inside("a_hard_mount_waits_through_a_server_restart");
}
