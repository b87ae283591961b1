//! A kernel FFS under the hijack: `sync` reaches the image before a crash,
//! as sleuthkit reads it.

use super::*;

/// A server of its own with an FFS image of `tag`'s mounted on `/mnt`
/// (`/rump/mnt` to the hijack): the server, its URL, the image.
fn ffs_server(tag: &str) -> (Child, String, PathBuf) {
    let dir = tempdir(tag);
    let img = dir.join("ffs.img");
    newfs(&img, &["-s", "16m"]);
    let url = format!("unix://{}", dir.join("s").display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    let (server, c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpfs_ffs", "-d", &spec],
        &url,
    );
    let m = Regions::new();
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    let o = tool(&dir, &url, "rump.mount", &["-t", "ffs", "/dev/ffs", "/mnt"]);
    assert!(o.status.success(), "rump.mount: {}", stderr(&o));
    (server, url, img)
}

/// The contents of `name` in the root directory of the FFS image `img`,
/// as sleuthkit reads it (`None` if it has no such name).
fn sleuthkit_file(img: &Path, name: &str) -> Option<Vec<u8>> {
    let fls = Command::new("fls")
        .args(["-r", "-f", "ufs2"])
        .arg(img)
        .output()
        .unwrap();
    assert!(fls.status.success(), "fls: {}", stderr(&fls));
    // Lines such as "r/r 4:\tname".
    let inode = stdout(&fls).lines().find_map(|l| {
        let (head, n) = l.split_once(":\t")?;
        (n == name).then(|| head.rsplit(' ').next().unwrap().to_string())
    })?;
    let icat = Command::new("icat")
        .args(["-f", "ufs2"])
        .arg(img)
        .arg(&inode)
        .output()
        .unwrap();
    assert!(icat.status.success(), "icat: {}", stderr(&icat));
    Some(icat.stdout)
}

#[test]
fn sync_reaches_the_kernel_before_a_crash() {
    let py_sync = "import os\nopen('/rump/mnt/f', 'w').write('data\\n')\nos.sync()";
    let py_fsync = "import os\nf = open('/rump/mnt/f', 'w')\nf.write('data\\n')\nf.flush()\nos.fsync(f.fileno())";
    let cases: [(&str, &[&str]); 6] = [
        ("sync", &["sh", "-c", "echo data > /rump/mnt/f && sync"]),
        (
            "syncfs",
            &["sh", "-c", "echo data > /rump/mnt/f && sync -f /rump/mnt/f"],
        ),
        (
            "fsync",
            &["sh", "-c", "echo data > /rump/mnt/f && sync /rump/mnt/f"],
        ),
        (
            "fdatasync",
            &["sh", "-c", "echo data > /rump/mnt/f && sync -d /rump/mnt/f"],
        ),
        ("os.sync", &["/usr/bin/python3", "-c", py_sync]),
        ("os.fsync", &["/usr/bin/python3", "-c", py_fsync]),
    ];
    for (what, args) in cases {
        let (mut server, url, img) = ffs_server("hj-sync");
        let o = hijacked(&url, args);
        assert!(o.status.success(), "{what}: {}", stderr(&o));
        // Nothing is written after the sync: the server dies at once.
        server.kill().unwrap();
        server.wait().unwrap();
        let fsck = Command::new(bin("fsck_ffs"))
            .arg("-n")
            .arg(&img)
            .output()
            .unwrap();
        assert!(
            fsck.status.success() && !stdout(&fsck).contains('?'),
            "{what}: fsck_ffs -n: {}{}",
            stdout(&fsck),
            stderr(&fsck)
        );
        assert_eq!(
            sleuthkit_file(&img, "f").as_deref(),
            Some(&b"data\n"[..]),
            "{what}"
        );
    }
    // Without a sync the file is not on the image yet: the cases above
    // are what wrote it.
    let (mut server, url, img) = ffs_server("hj-nosync");
    let o = hijacked(&url, &["sh", "-c", "echo data > /rump/mnt/f"]);
    assert!(o.status.success(), "{}", stderr(&o));
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(sleuthkit_file(&img, "f"), None);
    // syncfs on a descriptor that is not open is EBADF.
    let r = Rig::start("hj-syncfs");
    let prog = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n\
        fd = os.open('/rump', os.O_RDONLY)\nprint(libc.syncfs(fd))\nos.close(fd)\n\
        print(libc.syncfs(fd), ctypes.get_errno() == 9)";
    assert_eq!(python(&r, prog, &[]), "0\n-1 True\n");
}
