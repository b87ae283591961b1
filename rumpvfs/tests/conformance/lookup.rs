//! Cases on name lookup: `.` and `..`, missing names, long names and paths,
//! symlink loops.

use super::*;

/// `mp/../base` and `mp/./../base` reach the case directory (NetBSD
/// `lookup_simple`).
pub(crate) fn lookup_simple(fx: &Fx) {
    let k = &fx.k;
    let base = fx.mp.rsplit('/').next().unwrap();
    let a = k.sys_stat(&format!("{}/../{}", fx.mp, base)).unwrap();
    let b = k.sys_stat(&format!("{}/./../{}", fx.mp, base)).unwrap();
    let c = k.sys_stat(&fx.mp).unwrap();
    same_node(&a, &b, "mp/../base vs mp/./../base");
    same_node(&a, &c, "mp/../base vs mp");
}

/// `./dir/../././dir/.` names `dir` (NetBSD `lookup_complex`).
pub(crate) fn lookup_complex(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    let a = k.sys_stat(&fx.p("dir")).unwrap();
    let b = k.sys_stat(&fx.p("./dir/../././dir/.")).unwrap();
    same_node(&a, &b, "dir vs ./dir/../././dir/.");
    assert_eq!(a.ctime, b.ctime);
    assert_eq!(a.birthtime, b.birthtime);
}

/// `..` of the root is the root; `..` leaves a mounted file system for the
/// directory it covers; `..` of a subdirectory is its parent.
pub(crate) fn lookup_dotdot(fx: &Fx) {
    let k = &fx.k;
    let root = k.sys_stat("/").unwrap();
    same_node(&root, &k.sys_stat("/..").unwrap(), "/..");
    same_node(&root, &k.sys_stat("/../../.").unwrap(), "/../../.");
    same_node(&root, &k.sys_stat(&fx.p("..")).unwrap(), "mp/..");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/e"), 0o755).unwrap();
    let mp = k.sys_stat(&fx.mp).unwrap();
    same_node(&mp, &k.sys_stat(&fx.p("d/e/../..")).unwrap(), "d/e/../..");
    fx.enter();
    same_node(&root, &k.sys_stat("..").unwrap(), ".. from mp");
    same_node(&mp, &k.sys_stat(".").unwrap(), ". from mp");
    k.sys_chdir("d/e").unwrap();
    same_node(&mp, &k.sys_stat("../..").unwrap(), "../.. from d/e");
    same_node(&root, &k.sys_stat("../../..").unwrap(), "../../.. from d/e");
    // NetBSD's rumpfs gives each node its own number as its st_dev; other
    // file systems give all their nodes one.
    assert_eq!(root.dev, root.ino, "rumpfs: st_dev is the node's number");
    let e = k.sys_stat(".").unwrap();
    if fx.is_mount() {
        assert_eq!(mp.dev, e.dev, "one file system, one st_dev");
    } else {
        assert_eq!((mp.dev, e.dev), (mp.ino, e.ino));
    }
}

/// Missing names give ENOENT, wherever in the path they are, and so does an
/// empty path.
pub(crate) fn lookup_enoent(fx: &Fx) {
    let k = &fx.k;
    assert_errno!(k.sys_stat(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_lstat(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_stat(&fx.p("nope/x")), Errno::ENOENT);
    assert_errno!(k.sys_open(&fx.p("nope"), O_RDONLY, 0), Errno::ENOENT);
    assert_errno!(
        k.sys_open(&fx.p("nope/x"), O_RDWR | O_CREAT, 0o644),
        Errno::ENOENT
    );
    assert_errno!(k.sys_mkdir(&fx.p("nope/x"), 0o755), Errno::ENOENT);
    assert_errno!(k.sys_unlink(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_rmdir(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_chdir(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_readlink(&fx.p("nope")), Errno::ENOENT);
    assert_errno!(k.sys_stat(""), Errno::ENOENT);
    fx.enter();
    assert_errno!(k.sys_stat("nope"), Errno::ENOENT);
    assert_errno!(k.sys_stat("./nope/.."), Errno::ENOENT);
}

/// A regular file used as a directory gives ENOTDIR: in the middle of a
/// path, with a trailing slash, with O_DIRECTORY, for chdir and rmdir.
pub(crate) fn lookup_enotdir(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"data");
    assert_errno!(k.sys_stat(&fx.p("f/x")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/.")), Errno::ENOTDIR);
    assert_errno!(k.sys_stat(&fx.p("f/..")), Errno::ENOTDIR);
    assert_errno!(k.sys_open(&fx.p("f/"), O_RDONLY, 0), Errno::ENOTDIR);
    assert_errno!(
        k.sys_open(&fx.p("f"), O_RDONLY | O_DIRECTORY, 0),
        Errno::ENOTDIR
    );
    assert_errno!(
        k.sys_open(&fx.p("f/x"), O_RDWR | O_CREAT, 0o644),
        Errno::ENOTDIR
    );
    assert_errno!(k.sys_mkdir(&fx.p("f/d"), 0o755), Errno::ENOTDIR);
    assert_errno!(k.sys_chdir(&fx.p("f")), Errno::ENOTDIR);
    assert_errno!(k.sys_rmdir(&fx.p("f")), Errno::ENOTDIR);
    assert_eq!(get(k, &fx.p("f")), b"data");
}

/// A component of 256 bytes gives ENAMETOOLONG wherever it is (NAME_MAX is
/// 255); 255 bytes is fine.
pub(crate) fn lookup_nametoolong(fx: &Fx) {
    let k = &fx.k;
    let n255 = "n".repeat(255);
    let n256 = "n".repeat(256);
    touch(k, &fx.p(&n255));
    k.sys_stat(&fx.p(&n255)).unwrap();
    assert_errno!(k.sys_stat(&fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(
        k.sys_open(&fx.p(&n256), O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
    assert_errno!(k.sys_mkdir(&fx.p(&n256), 0o755), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_stat(&fx.p(&format!("{n256}/x"))), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_symlink("x", &fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_link(&fx.p(&n255), &fx.p(&n256)), Errno::ENAMETOOLONG);
    assert_errno!(k.sys_unlink(&fx.p(&n256)), Errno::ENAMETOOLONG);
    k.sys_unlink(&fx.p(&n255)).unwrap();
}

/// A path of 1023 bytes resolves; one over MAXPATHLEN (1024, NUL included)
/// gives ENAMETOOLONG, even when made of short components.
pub(crate) fn lookup_pathtoolong(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    // mp + "/" + "./"*n + "f", padded to exactly 1023 bytes
    let head = format!("{}/", fx.mp);
    let n = (1023 - head.len() - 1) / 2;
    let mut path = format!("{head}{}f", "./".repeat(n));
    if path.len() < 1023 {
        path = format!("{head}/{}f", "./".repeat(n));
    }
    assert_eq!(path.len(), 1023);
    k.sys_stat(&path).expect("a 1023-byte path resolves");
    let long = format!("{}/{}f", fx.mp, "./".repeat(600));
    assert!(long.len() > 1024);
    assert_errno!(k.sys_stat(&long), Errno::ENAMETOOLONG);
    assert_errno!(
        k.sys_open(&long, O_RDWR | O_CREAT, 0o644),
        Errno::ENAMETOOLONG
    );
    let longdir = format!("{}/{}", fx.mp, "d/".repeat(600));
    assert_errno!(k.sys_mkdir(&longdir, 0o755), Errno::ENAMETOOLONG);
}

/// Symlink loops give ELOOP; a chain of MAXSYMLINKS (32) links resolves and
/// one more does not.
pub(crate) fn lookup_eloop(fx: &Fx) {
    let k = &fx.k;
    k.sys_symlink("self", &fx.p("self")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("self")), Errno::ELOOP);
    assert_errno!(k.sys_open(&fx.p("self"), O_RDONLY, 0), Errno::ELOOP);
    assert_errno!(k.sys_stat(&fx.p("self/x")), Errno::ELOOP);
    assert_eq!(ftype(k.sys_lstat(&fx.p("self")).unwrap().mode), S_IFLNK);
    k.sys_symlink("b", &fx.p("a")).unwrap();
    k.sys_symlink("a", &fx.p("b")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a")), Errno::ELOOP);
    assert_errno!(k.sys_chdir(&fx.p("b")), Errno::ELOOP);

    // l0 -> l1 -> ... -> l32 -> target
    put(k, &fx.p("target"), b"end");
    k.sys_symlink("target", &fx.p("l32")).unwrap();
    for i in (0..32).rev() {
        k.sys_symlink(&format!("l{}", i + 1), &fx.p(&format!("l{i}")))
            .unwrap();
    }
    // l1 is 32 links from the file, l0 is 33.
    assert_eq!(get(k, &fx.p("l1")), b"end");
    assert_errno!(k.sys_stat(&fx.p("l0")), Errno::ELOOP);
}
