//! Cases on attributes, access checks and time stamps.

use super::*;

/// chown, chmod and utimes set what stat then reports, to the nanosecond
/// (NetBSD `attrs`).
pub(crate) fn attrs(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("afile", O_RDWR | O_CREAT, 0o755).unwrap();
    k.sys_close(fd).unwrap();
    let before = k.sys_stat("afile").unwrap();
    k.sys_chown("afile", 1, 2).unwrap();
    k.sys_chmod("afile", 0o123).unwrap();
    let atime = (1_000_000_000, 1_000);
    let mtime = (1_000_000_002, 3_000);
    k.sys_utimes("afile", atime, mtime).unwrap();
    k.sys_utimes("afile", atime, mtime).unwrap();
    let st = k.sys_stat("afile").unwrap();
    assert_eq!((st.uid, st.gid), (1, 2));
    assert_eq!(st.mode, S_IFREG | 0o123);
    assert_eq!(st.atime, atime);
    assert_eq!(st.mtime, mtime);
    assert_eq!(
        (st.ino, st.dev, st.size, st.nlink),
        (before.ino, before.dev, 0, 1)
    );
    let fd = k.sys_open("afile", O_RDONLY, 0).unwrap();
    same_node(&k.sys_fstat(fd).unwrap(), &st, "fstat vs stat");
    k.sys_close(fd).unwrap();
}

/// A new file is a regular file owned by the caller, in the group of its
/// directory (BSD semantics), mode masked by the umask, one link, size 0,
/// its own inode number on the directory's device.
pub(crate) fn new_file_attrs(fx: &Fx) {
    let k = &fx.k;
    k.sys_umask(0o022).unwrap();
    k.sys_mkdir(&fx.p("d"), 0o777).unwrap();
    k.sys_chown(&fx.p("d"), 0, 77).unwrap();
    let fd = k.sys_open(&fx.p("d/f"), O_RDWR | O_CREAT, 0o666).unwrap();
    let st = k.sys_fstat(fd).unwrap();
    k.sys_close(fd).unwrap();
    let dir = k.sys_stat(&fx.p("d")).unwrap();
    assert_eq!(st.mode, S_IFREG | 0o644);
    // NetBSD's rumpfs makes every node root's, group 0 (`makeprivate`).
    let group = if fx.fs == Fs::Rumpfs { 0 } else { 77 };
    assert_eq!((st.uid, st.gid), (0, group));
    assert_eq!((st.nlink, st.size), (1, 0));
    if fx.fs == Fs::Rumpfs {
        // NetBSD's rumpfs gives each node its number as its st_dev.
        assert_eq!((st.dev, dir.dev), (st.ino, dir.ino));
    } else {
        assert_eq!(st.dev, dir.dev);
    }
    assert_ne!(st.ino, 0);
    assert_ne!(st.ino, dir.ino);
    assert!(st.blksize > 0);
    assert_eq!(dir.mode, S_IFDIR | 0o755);
    touch(k, &fx.p("d/g"));
    assert_ne!(k.sys_stat(&fx.p("d/g")).unwrap().ino, st.ino);
    k.sys_mkdir(&fx.p("d/sub"), 0o777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d/sub")).unwrap().gid, group);
    let mut data = vec![7u8; 10_000];
    data[9_999] = 9;
    put(k, &fx.p("d/g"), &data);
    let g = k.sys_stat(&fx.p("d/g")).unwrap();
    assert_eq!(g.size, 10_000);
    let fd = k.sys_open(&fx.p("d/g"), O_RDONLY, 0).unwrap();
    same_node(&k.sys_fstat(fd).unwrap(), &g, "fstat vs stat");
    k.sys_close(fd).unwrap();
}

/// umask returns the previous mask (NetBSD's initial one is 022) and masks
/// the mode of new files and directories, not of chmod.
pub(crate) fn umask_applies(fx: &Fx) {
    let k = &fx.k;
    assert_eq!(k.sys_umask(0o077).unwrap(), 0o022, "NetBSD's CMASK");
    touch(k, &fx.p("f"));
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o600);
    k.sys_mkdir(&fx.p("d"), 0o777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().mode, S_IFDIR | 0o700);
    k.sys_chmod(&fx.p("f"), 0o666).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o666);
    assert_eq!(k.sys_umask(0).unwrap(), 0o077);
    touch(k, &fx.p("g"));
    assert_eq!(k.sys_stat(&fx.p("g")).unwrap().mode, S_IFREG | 0o644);
    assert_eq!(k.sys_umask(0o022).unwrap(), 0);
}

/// As root: chmod keeps the file type and may set every permission bit
/// (sticky included), fchmod/fchown act on the descriptor's file, chown with
/// -1 leaves an id alone, lchown changes the link and chown its target.
pub(crate) fn chmod_chown_root(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    k.sys_chmod(&fx.p("f"), 0o7777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().mode, S_IFREG | 0o7777);
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_chmod(&fx.p("d"), 0o1777).unwrap();
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().mode, S_IFDIR | 0o1777);

    let fd = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap();
    k.sys_fchmod(fd, 0o640).unwrap();
    k.sys_fchown(fd, 5, 6).unwrap();
    k.sys_close(fd).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.mode, st.uid, st.gid), (S_IFREG | 0o640, 5, 6));

    k.sys_chown(&fx.p("f"), u32::MAX, 9).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (5, 9));
    k.sys_chown(&fx.p("f"), 8, u32::MAX).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (8, 9));

    k.sys_symlink("f", &fx.p("l")).unwrap();
    k.sys_lchown(&fx.p("l"), 11, 12).unwrap();
    let l = k.sys_lstat(&fx.p("l")).unwrap();
    assert_eq!((l.uid, l.gid), (11, 12));
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (8, 9));
    k.sys_chown(&fx.p("l"), 13, 14).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!((st.uid, st.gid), (13, 14));
    let l = k.sys_lstat(&fx.p("l")).unwrap();
    assert_eq!((l.uid, l.gid), (11, 12));
    assert_errno!(k.sys_chmod(&fx.p("nope"), 0o644), Errno::ENOENT);
    assert_errno!(k.sys_chown(&fx.p("nope"), 1, 1), Errno::ENOENT);
}

/// access(2) with every mode works on a 0777 file; an unknown mode bit
/// gives EINVAL (NetBSD `access_simple`, PR kern/44648).
pub(crate) fn access_simple(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("tfile", O_CREAT | O_RDWR, 0o777).unwrap();
    k.sys_close(fd).unwrap();
    let all = F_OK | X_OK | W_OK | R_OK;
    k.sys_access("tfile", all).unwrap();
    assert_errno!(k.sys_access("tfile", all + 1), Errno::EINVAL);
    assert_errno!(k.sys_access("nope", F_OK), Errno::ENOENT);
    k.sys_chmod("tfile", 0).unwrap();
    k.sys_access("tfile", R_OK | W_OK).unwrap();
}

/// A write updates mtime and ctime.
pub(crate) fn mtime_on_write(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"first");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_WRONLY, 0).unwrap();
    k.sys_pwrite(fd, b"x", 2).unwrap();
    let st = k.sys_fstat(fd).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("f")), b"fixst");
    if !stamps_times(fx) {
        assert_eq!(st.mtime, OLD, "rumpfs: a write leaves mtime");
        return;
    }
    assert!(st.mtime > OLD, "mtime after write: {:?}", st.mtime);
    assert!(
        st.ctime >= st.mtime,
        "ctime {:?} < mtime {:?}",
        st.ctime,
        st.mtime
    );
    assert_eq!(get(k, &fx.p("f")), b"fixst");
}

/// Opening a non-empty file with O_TRUNC, and ftruncate/truncate changing
/// the size, update mtime.
pub(crate) fn mtime_on_trunc(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"some contents");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_WRONLY | O_TRUNC, 0).unwrap();
    k.sys_close(fd).unwrap();
    let st = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!(st.size, 0);
    if !stamps_times(fx) {
        assert_eq!(st.mtime, OLD, "rumpfs: O_TRUNC leaves mtime");
        k.sys_truncate(&fx.p("f"), 100).unwrap();
        let st = k.sys_stat(&fx.p("f")).unwrap();
        assert_eq!((st.size, st.mtime), (100, OLD), "rumpfs: truncate");
        return;
    }
    assert!(st.mtime > OLD, "mtime after O_TRUNC: {:?}", st.mtime);

    put(k, &fx.p("f"), b"some contents");
    age(k, &fx.p("f"));
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_ftruncate(fd, 4).unwrap();
    assert!(
        k.sys_fstat(fd).unwrap().mtime > OLD,
        "mtime after ftruncate"
    );
    k.sys_close(fd).unwrap();

    age(k, &fx.p("f"));
    k.sys_truncate(&fx.p("f"), 100).unwrap();
    assert!(
        k.sys_stat(&fx.p("f")).unwrap().mtime > OLD,
        "mtime after truncate"
    );
}

/// Adding, removing and renaming entries updates the directory's mtime.
pub(crate) fn dir_times_on_entries(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("e"), 0o755).unwrap();
    let changed = |what: &str| {
        let m = k.sys_stat(&fx.p("d")).unwrap().mtime;
        if stamps_times(fx) {
            assert!(m > OLD, "directory mtime after {what}: {m:?}");
        } else {
            assert_eq!(m, OLD, "rumpfs: directory mtime after {what}");
        }
        age(k, &fx.p("d"));
    };
    age(k, &fx.p("d"));
    touch(k, &fx.p("d/f"));
    changed("create");
    k.sys_mkdir(&fx.p("d/sub"), 0o755).unwrap();
    changed("mkdir");
    if renames_and_links(fx) {
        k.sys_rename(&fx.p("d/f"), &fx.p("d/g")).unwrap();
        changed("rename within");
        k.sys_rename(&fx.p("d/g"), &fx.p("e/g")).unwrap();
        changed("rename out");
        k.sys_link(&fx.p("e/g"), &fx.p("d/h")).unwrap();
        changed("link");
        k.sys_unlink(&fx.p("d/h")).unwrap();
    } else {
        k.sys_unlink(&fx.p("d/f")).unwrap();
    }
    changed("unlink");
    k.sys_symlink("x", &fx.p("d/s")).unwrap();
    changed("symlink");
    k.sys_rmdir(&fx.p("d/sub")).unwrap();
    changed("rmdir");
}
