//! Cases on symbolic links.

use super::*;

/// A symlink with an empty target can be made and read back, but following
/// it gives ENOENT (NetBSD `symlink_zerolen`).
pub(crate) fn symlink_zerolen(fx: &Fx) {
    let k = &fx.k;
    k.sys_symlink("", &fx.p("afile")).unwrap();
    assert_eq!(k.sys_readlink(&fx.p("afile")).unwrap(), b"");
    let st = k.sys_lstat(&fx.p("afile")).unwrap();
    assert_eq!((ftype(st.mode), st.size), (S_IFLNK, 0));
    assert_errno!(k.sys_stat(&fx.p("afile")), Errno::ENOENT);
    assert_errno!(k.sys_open(&fx.p("afile"), O_RDONLY, 0), Errno::ENOENT);
    k.sys_unlink(&fx.p("afile")).unwrap();
}

/// Targets up to 1023 bytes are kept exactly; 1024 and more give
/// ENAMETOOLONG (MAXPATHLEN with the NUL). Lengths near powers of two, as
/// NetBSD `symlink_long` tries.
pub(crate) fn symlink_long(fx: &Fx) {
    let k = &fx.k;
    let mut len = 2usize;
    while len <= 65536 {
        for l in [len - 1, len, len + 1] {
            let target = "a".repeat(l);
            let r = k.sys_symlink(&target, &fx.p("afile"));
            if l < 1024 {
                r.unwrap_or_else(|e| panic!("symlink of {l} bytes: {e:?}"));
                assert_eq!(k.sys_readlink(&fx.p("afile")).unwrap(), target.as_bytes());
                assert_eq!(k.sys_lstat(&fx.p("afile")).unwrap().size, l as i64);
                k.sys_unlink(&fx.p("afile")).unwrap();
            } else {
                assert_errno!(r, Errno::ENAMETOOLONG);
                assert_errno!(k.sys_lstat(&fx.p("afile")), Errno::ENOENT);
            }
        }
        len *= 2;
    }
}

/// A symlink to "/" can be entered and leads to the root (NetBSD
/// `symlink_root`).
pub(crate) fn symlink_root(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_symlink("/", "foo").unwrap();
    let root = k.sys_stat("/").unwrap();
    same_node(&root, &k.sys_stat("foo").unwrap(), "foo -> /");
    let mp = k.sys_stat(&fx.mp).unwrap();
    let base = fx.mp.trim_start_matches('/');
    same_node(&mp, &k.sys_stat(&format!("foo/{base}")).unwrap(), "foo/mp");
    k.sys_chdir("foo").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/");
    same_node(&root, &k.sys_stat(".").unwrap(), "cwd after chdir foo");
}

/// A dangling symlink: stat gives ENOENT, lstat works; O_CREAT through it
/// creates the target, O_CREAT|O_EXCL gives EEXIST.
pub(crate) fn symlink_dangling(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("sub"), 0o755).unwrap();
    k.sys_symlink("target", &fx.p("sub/dl")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("sub/dl")), Errno::ENOENT);
    assert_eq!(ftype(k.sys_lstat(&fx.p("sub/dl")).unwrap().mode), S_IFLNK);
    assert_errno!(
        k.sys_open(&fx.p("sub/dl"), O_WRONLY | O_CREAT | O_EXCL, 0o644),
        Errno::EEXIST
    );
    let fd = k
        .sys_open(&fx.p("sub/dl"), O_WRONLY | O_CREAT, 0o644)
        .unwrap();
    write_all(k, fd, b"through the link");
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("sub/target")), b"through the link");
    assert_eq!(
        names(k, &fx.p("sub")),
        vec![b"dl".to_vec(), b"target".to_vec()]
    );
    assert_errno!(k.sys_symlink("other", &fx.p("sub/dl")), Errno::EEXIST);
}

/// Relative targets resolve from the link's directory, also through
/// chains of links across directories.
pub(crate) fn symlink_relative(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("sub"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("sub/deeper"), 0o755).unwrap();
    put(k, &fx.p("f"), b"hi");
    k.sys_symlink("../f", &fx.p("sub/l")).unwrap();
    k.sys_symlink("../l", &fx.p("sub/deeper/l2")).unwrap();
    k.sys_symlink("sub/deeper", &fx.p("dl")).unwrap();
    assert_eq!(get(k, &fx.p("sub/l")), b"hi");
    assert_eq!(get(k, &fx.p("sub/deeper/l2")), b"hi");
    assert_eq!(get(k, &fx.p("dl/l2")), b"hi");
    assert_eq!(
        get(k, &fx.p("dl/../l")),
        b"hi",
        "`..` after a symlink is the target's parent"
    );
}

/// lstat describes the link (S_IFLNK, size = target length), stat the
/// target; readlink of a non-link gives EINVAL; unlink removes the link only;
/// rmdir of a link to a directory gives ENOTDIR (NetBSD `lstat_symlink`).
pub(crate) fn lstat_symlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_symlink("source", "destination").unwrap();
    let st = k.sys_lstat("destination").unwrap();
    assert_eq!(ftype(st.mode), S_IFLNK);
    assert_eq!(st.size, "source".len() as i64);
    assert_eq!(st.nlink, 1);

    put(k, "file", b"0123456789");
    k.sys_symlink("file", "flink").unwrap();
    let f = k.sys_stat("file").unwrap();
    let via = k.sys_stat("flink").unwrap();
    same_node(&f, &via, "stat through a link");
    let l = k.sys_lstat("flink").unwrap();
    assert_ne!(l.ino, f.ino);
    assert_eq!((ftype(l.mode), l.size), (S_IFLNK, 4));
    assert_errno!(k.sys_readlink("file"), Errno::EINVAL);
    assert_eq!(k.sys_readlink("flink").unwrap(), b"file");

    k.sys_mkdir("dir", 0o755).unwrap();
    k.sys_symlink("dir", "dlink").unwrap();
    assert_eq!(ftype(k.sys_stat("dlink/").unwrap().mode), S_IFDIR);
    assert_eq!(ftype(k.sys_lstat("dlink").unwrap().mode), S_IFLNK);
    assert_errno!(k.sys_rmdir("dlink"), Errno::ENOTDIR);

    k.sys_unlink("flink").unwrap();
    assert_eq!(get(k, "file"), b"0123456789");
}

/// O_NOFOLLOW on a final symlink fails with EFTYPE, NetBSD's errno for it;
/// links earlier in the path are still followed.
pub(crate) fn symlink_nofollow(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o755).unwrap();
    put(k, &fx.p("dir/f"), b"x");
    k.sys_symlink("dir", &fx.p("dl")).unwrap();
    k.sys_symlink("dir/f", &fx.p("fl")).unwrap();
    assert_errno!(
        k.sys_open(&fx.p("fl"), O_RDONLY | O_NOFOLLOW, 0),
        Errno::EFTYPE
    );
    let fd = k.sys_open(&fx.p("dl/f"), O_RDONLY | O_NOFOLLOW, 0).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k
        .sys_open(&fx.p("dir/f"), O_RDONLY | O_NOFOLLOW, 0)
        .unwrap();
    k.sys_close(fd).unwrap();
}
