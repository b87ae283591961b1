//! Cases on statvfs, sync and fsync, and a full file system.

use super::*;

/// statvfs reports the file system's type and mount point and sane counts.
pub(crate) fn statvfs_sane(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    let sv = k.sys_statvfs(&fx.mp).unwrap();
    assert_eq!(sv.fstypename, fx.fs.typename());
    let mnton = if fx.is_mount() { fx.mp.as_str() } else { "/" };
    assert_eq!(sv.mntonname, mnton);
    assert!(sv.bsize > 0 && sv.frsize > 0, "{} {}", sv.bsize, sv.frsize);
    assert!(
        sv.bfree <= sv.blocks,
        "bfree {} > blocks {}",
        sv.bfree,
        sv.blocks
    );
    assert!(
        sv.bavail <= sv.bfree,
        "bavail {} > bfree {}",
        sv.bavail,
        sv.bfree
    );
    assert!(
        sv.ffree <= sv.files,
        "ffree {} > files {}",
        sv.ffree,
        sv.files
    );
    assert!(
        sv.favail <= sv.ffree,
        "favail {} > ffree {}",
        sv.favail,
        sv.ffree
    );
    let of_file = k.sys_statvfs(&fx.p("f")).unwrap();
    assert_eq!(of_file.fstypename, sv.fstypename);
    assert_eq!(of_file.mntonname, sv.mntonname);
    assert_errno!(k.sys_statvfs(&fx.p("nope")), Errno::ENOENT);
    let root = k.sys_statvfs("/").unwrap();
    assert_eq!(
        (root.fstypename.as_str(), root.mntonname.as_str()),
        ("rumpfs", "/")
    );
}

/// sync and fsync (on files and on a read-only directory descriptor)
/// succeed and keep the data.
pub(crate) fn sync_and_fsync(fx: &Fx) {
    let k = &fx.k;
    let data = pattern(9, 100_000);
    put(k, &fx.p("f"), &data);
    k.sys_sync().unwrap();
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, b"synced", 50_000).unwrap();
    k.sys_fsync(fd).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_fsync(fd).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_sync().unwrap();
    let mut want = data;
    want[50_000..50_006].copy_from_slice(b"synced");
    assert_eq!(get(k, &fx.p("f")), want);
}

/// A size-limited tmpfs fills up: writes end with ENOSPC before much more
/// than the limit is written, statvfs shows the space used, nothing
/// crashes, and freeing the file makes room again (NetBSD `fillfs`).
/// rumpfs has no size limit and is skipped, as in NetBSD.
pub(crate) fn fillfs(fx: &Fx) {
    if fx.fs == Fs::Rumpfs {
        eprintln!("skipped: rumpfs has no size limit");
        return;
    }
    let k = &fx.k;
    const LIMIT: u64 = 1 << 20;
    let m = fx.p("full");
    k.sys_mkdir(&m, 0o755).unwrap();
    k.sys_mount("tmpfs", &m, 0, &rumpfs_tmpfs::args(LIMIT, 0))
        .unwrap();
    let empty = k.sys_statvfs(&m).unwrap();
    assert!(
        empty.blocks * empty.frsize <= LIMIT,
        "blocks {} frsize {}",
        empty.blocks,
        empty.frsize
    );
    assert!(
        empty.blocks * empty.frsize >= LIMIT / 2,
        "blocks {} frsize {}",
        empty.blocks,
        empty.frsize
    );

    let f = format!("{m}/afile");
    let fd = k.sys_open(&f, O_CREAT | O_RDWR, 0o644).unwrap();
    let mut written = 0u64;
    let mut i = 0u8;
    let err = loop {
        let buf = vec![i; 8192];
        i = i.wrapping_add(1);
        match k.sys_write(fd, &buf) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        assert!(
            written <= LIMIT + 65536,
            "filled the file system over its size limit"
        );
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(
        written >= LIMIT / 2,
        "only {written} bytes fit in a {LIMIT}-byte tmpfs"
    );
    assert_eq!(k.sys_fstat(fd).unwrap().size as u64, written);
    assert_errno!(k.sys_write(fd, &[1u8; 8192]), Errno::ENOSPC);
    let full = k.sys_statvfs(&m).unwrap();
    assert!(
        full.bfree < empty.bfree,
        "bfree {} not below {}",
        full.bfree,
        empty.bfree
    );
    let tail = pread_n(k, fd, written as i64 - 8192, 8192);
    assert_eq!(tail.len(), 8192);

    k.sys_ftruncate(fd, 0).unwrap();
    k.sys_close(fd).unwrap();
    put(k, &f, &vec![7u8; 256 * 1024]);
    assert_eq!(get(k, &f).len(), 256 * 1024);
    k.sys_unlink(&f).unwrap();
    k.sys_unmount(&m, 0).unwrap();
}

/// A node-limited tmpfs refuses new files and directories with ENOSPC once
/// the limit is reached, and accepts them again after a removal; statvfs
/// counts the free nodes. rumpfs has no node limit and is skipped.
pub(crate) fn fill_nodes(fx: &Fx) {
    if fx.fs == Fs::Rumpfs {
        eprintln!("skipped: rumpfs has no node limit");
        return;
    }
    let k = &fx.k;
    const NODES: u64 = 16;
    let m = fx.p("nodes");
    k.sys_mkdir(&m, 0o755).unwrap();
    k.sys_mount("tmpfs", &m, 0, &rumpfs_tmpfs::args(0, NODES))
        .unwrap();
    let before = k.sys_statvfs(&m).unwrap();
    assert!(
        before.files <= NODES,
        "files {} > nodes_max {NODES}",
        before.files
    );
    let mut made = 0;
    let err = loop {
        let p = format!("{m}/f{made}");
        match k.sys_open(&p, O_CREAT | O_RDWR, 0o644) {
            Ok(fd) => {
                k.sys_close(fd).unwrap();
                made += 1;
            }
            Err(e) => break e,
        }
        assert!(made <= NODES, "created more files than the node limit");
        if made == 1 {
            let after = k.sys_statvfs(&m).unwrap();
            assert_eq!(after.ffree + 1, before.ffree, "one node used by one file");
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(
        made >= NODES - 2,
        "only {made} files with a limit of {NODES} nodes"
    );
    let full = k.sys_statvfs(&m).unwrap().ffree;
    assert_errno!(k.sys_mkdir(&format!("{m}/dir"), 0o755), Errno::ENOSPC);
    assert_errno!(k.sys_symlink("x", &format!("{m}/sl")), Errno::ENOSPC);
    k.sys_link(&format!("{m}/f0"), &format!("{m}/hard"))
        .expect("a hard link needs no node");
    k.sys_unlink(&format!("{m}/f0")).unwrap();
    k.sys_unlink(&format!("{m}/hard")).unwrap();
    k.sys_mkdir(&format!("{m}/dir"), 0o755).unwrap();
    assert_eq!(k.sys_statvfs(&m).unwrap().ffree, full);
    assert_errno!(
        k.sys_open(&format!("{m}/again"), O_CREAT | O_RDWR, 0o644),
        Errno::ENOSPC
    );
    k.sys_unmount(&m, 0).unwrap();
}
