//! Cases on hard links, cross-device links and renames, and mounts over
//! directories.

use super::*;

/// Hard links share the inode and the data; nlink counts names; removing
/// one name keeps the data; link to a directory gives EPERM, onto an
/// existing name EEXIST, from a missing name ENOENT.
pub(crate) fn hardlinks(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("f"), b"shared");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_link(&fx.p("f"), &fx.p("g")).unwrap();
    k.sys_link(&fx.p("g"), &fx.p("d/h")).unwrap();
    let f = k.sys_stat(&fx.p("f")).unwrap();
    assert_eq!(f.nlink, 3);
    for p in ["g", "d/h"] {
        let st = k.sys_stat(&fx.p(p)).unwrap();
        same_node(&f, &st, p);
    }
    let fd = k.sys_open(&fx.p("g"), O_WRONLY | O_APPEND, 0).unwrap();
    write_all(k, fd, b"+more");
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("d/h")), b"shared+more");
    k.sys_unlink(&fx.p("f")).unwrap();
    assert_eq!(k.sys_stat(&fx.p("g")).unwrap().nlink, 2);
    k.sys_unlink(&fx.p("g")).unwrap();
    let h = k.sys_stat(&fx.p("d/h")).unwrap();
    assert_eq!((h.nlink, h.ino), (1, f.ino));
    assert_eq!(get(k, &fx.p("d/h")), b"shared+more");

    assert_errno!(k.sys_link(&fx.p("d"), &fx.p("dl")), Errno::EPERM);
    touch(k, &fx.p("other"));
    assert_errno!(k.sys_link(&fx.p("d/h"), &fx.p("other")), Errno::EEXIST);
    assert_errno!(k.sys_link(&fx.p("nope"), &fx.p("x")), Errno::ENOENT);
    assert_errno!(k.sys_link(&fx.p("d/h"), &fx.p("nodir/x")), Errno::ENOENT);
    assert_eq!(k.sys_stat(&fx.p("d/h")).unwrap().nlink, 1);
    assert_eq!(k.sys_stat(&fx.p("d")).unwrap().nlink, 2);
}

/// link and rename between different file systems give EXDEV; within one
/// file system they work.
pub(crate) fn cross_device(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"x");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    if fx.is_mount() {
        assert_errno!(k.sys_link(&fx.p("f"), "/xdev"), Errno::EXDEV);
        // The target is looked up first, and the root (rumpfs) does not
        // rename (NetBSD's rumpfs refuses the lookup); from the root to
        // here it is EXDEV.
        assert_errno!(k.sys_rename(&fx.p("f"), "/xdev"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_rename(&fx.p("d"), "/xdevdir"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_stat("/xdev"), Errno::ENOENT);
        touch(k, "/xdev");
        assert_errno!(k.sys_rename("/xdev", &fx.p("g")), Errno::EXDEV);
        k.sys_unlink("/xdev").unwrap();
    } else {
        assert_errno!(k.sys_link(&fx.p("f"), "/xdev"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_rename(&fx.p("d"), "/xdevdir"), Errno::EOPNOTSUPP);
        assert_errno!(k.sys_stat("/xdev"), Errno::ENOENT);
    }
    assert_eq!(get(k, &fx.p("f")), b"x");
    assert_eq!(names(k, &fx.mp), vec![b"d".to_vec(), b"f".to_vec()]);
}

/// A tmpfs mounted on a directory hides its entries until unmounted;
/// mounting on a file gives ENOTDIR, on a missing name ENOENT.
pub(crate) fn mount_covers_dir(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("m"), 0o755).unwrap();
    put(k, &fx.p("m/under"), b"covered");
    touch(k, &fx.p("file"));
    assert_errno!(
        k.sys_mount("tmpfs", &fx.p("file"), 0, &rumpfs_tmpfs::args(0, 0)),
        Errno::ENOTDIR
    );
    assert_errno!(
        k.sys_mount("tmpfs", &fx.p("nope"), 0, &rumpfs_tmpfs::args(0, 0)),
        Errno::ENOENT
    );
    k.sys_mount("tmpfs", &fx.p("m"), 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    assert!(names(k, &fx.p("m")).is_empty());
    put(k, &fx.p("m/over"), b"on top");
    assert_eq!(k.sys_statvfs(&fx.p("m")).unwrap().fstypename, "tmpfs");
    assert_eq!(k.sys_statvfs(&fx.p("m")).unwrap().mntonname, fx.p("m"));
    assert_ne!(
        k.sys_stat(&fx.p("m")).unwrap().dev,
        k.sys_stat(&fx.mp).unwrap().dev
    );
    same_node(
        &k.sys_stat(&fx.mp).unwrap(),
        &k.sys_stat(&fx.p("m/..")).unwrap(),
        "m/.. across the mount",
    );
    k.sys_unmount(&fx.p("m"), 0).unwrap();
    assert_eq!(names(k, &fx.p("m")), vec![b"under".to_vec()]);
    assert_eq!(get(k, &fx.p("m/under")), b"covered");
    assert_errno!(k.sys_unmount(&fx.p("m"), 0), Errno::EINVAL);
}

/// A mounted file system with an open file, or a process inside it, is
/// EBUSY to unmount; its mount point is EBUSY to rmdir. Only for file
/// systems that are mounts of their own.
pub(crate) fn mount_busy(fx: &Fx) {
    if !fx.is_mount() {
        eprintln!("skipped: the case directory is not a mount point");
        return;
    }
    let k = &fx.k;
    let fd = k.sys_open(&fx.p("f"), O_RDWR | O_CREAT, 0o644).unwrap();
    assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    k.sys_close(fd).unwrap();
    fx.enter();
    assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    k.sys_chdir("/").unwrap();
    assert_errno!(k.sys_rmdir(&fx.mp), Errno::EBUSY);
    assert!(k.sys_stat(&fx.p("f")).is_ok(), "still mounted after EBUSY");
}
