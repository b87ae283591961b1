//! Cases on directories: mkdir and rmdir, link counts, `..`, and the
//! current directory.

use super::*;

/// mkdir makes a directory and rmdir makes it unreachable (NetBSD
/// `dir_simple`); mkdir over an existing name gives EEXIST.
pub(crate) fn dir_simple(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    let st = k.sys_stat(&fx.p("dir")).unwrap();
    assert_eq!(ftype(st.mode), S_IFDIR);
    assert_eq!(st.nlink, 2);
    assert_errno!(k.sys_mkdir(&fx.p("dir"), 0o777), Errno::EEXIST);
    touch(k, &fx.p("file"));
    assert_errno!(k.sys_mkdir(&fx.p("file"), 0o777), Errno::EEXIST);
    k.sys_rmdir(&fx.p("dir")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("dir")), Errno::ENOENT);
    assert_errno!(k.sys_rmdir(&fx.p("dir")), Errno::ENOENT);
}

/// Trailing slashes name the directory (NetBSD `dir_slash`, `dir_2slash`,
/// `dir_3slash`).
pub(crate) fn dir_slash(fx: &Fx) {
    let k = &fx.k;
    for tail in ["/", "//", "///"] {
        k.sys_mkdir(&fx.p("dir/"), 0o777).unwrap();
        k.sys_stat(&fx.p(&format!("dir{tail}"))).unwrap();
        k.sys_rmdir(&fx.p(&format!("dir{tail}"))).unwrap();
        assert_errno!(k.sys_stat(&fx.p("dir/")), Errno::ENOENT);
    }
}

/// A directory with an entry cannot be removed (ENOTEMPTY); it can once the
/// entry is gone; rmdir of "." is EINVAL (NetBSD `dir_notempty`).
pub(crate) fn dir_notempty(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("dir"), 0o777).unwrap();
    touch(k, &fx.p("dir/file"));
    assert_errno!(k.sys_rmdir(&fx.p("dir")), Errno::ENOTEMPTY);
    k.sys_mkdir(&fx.p("dir2"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2/sub"), 0o777).unwrap();
    assert_errno!(k.sys_rmdir(&fx.p("dir2")), Errno::ENOTEMPTY);
    k.sys_symlink("x", &fx.p("dir3")).unwrap();
    assert_errno!(k.sys_rmdir(&fx.p("dir3")), Errno::ENOTDIR);
    assert_errno!(k.sys_rmdir(&fx.p("dir/.")), Errno::EINVAL);
    k.sys_unlink(&fx.p("dir/file")).unwrap();
    k.sys_rmdir(&fx.p("dir")).unwrap();
    k.sys_rmdir(&fx.p("dir2/sub")).unwrap();
    k.sys_rmdir(&fx.p("dir2")).unwrap();
    assert_eq!(names(k, &fx.mp), vec![b"dir3".to_vec()]);
}

/// Whether `fx`'s file system renames and makes hard links. NetBSD's
/// rumpfs does neither ("we don't do rename" in its lookup, and
/// `genfs_eopnotsupp` for `VOP_LINK`), and NetBSD's `tests/fs/vfs` skips
/// such cases there; on rumpfs this checks that both are EOPNOTSUPP and
/// that nothing changed, and the case then stops.
pub(crate) fn renames_and_links(fx: &Fx) -> bool {
    if fx.fs != Fs::Rumpfs {
        return true;
    }
    let k = &fx.k;
    let (a, b) = (fx.p("no-rename"), fx.p("no-rename.2"));
    put(k, &a, b"kept");
    k.sys_mkdir(&fx.p("no-rename.d"), 0o755).unwrap();
    assert_errno!(k.sys_rename(&a, &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_posix_rename(&a, &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_rename(&a, &fx.p("no-rename.d/x")), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_rename(&fx.p("no-rename.d"), &b), Errno::EOPNOTSUPP);
    assert_errno!(k.sys_link(&a, &b), Errno::EOPNOTSUPP);
    assert_eq!(get(k, &a), b"kept");
    assert_errno!(k.sys_stat(&b), Errno::ENOENT);
    assert_eq!(k.sys_stat(&a).unwrap().nlink, 1);
    k.sys_unlink(&a).unwrap();
    k.sys_rmdir(&fx.p("no-rename.d")).unwrap();
    false
}

/// What `stat` says of a directory with `links` links: NetBSD's rumpfs
/// keeps every directory's count at the 2 it was made with (`makeprivate`
/// in rumpfs.c; fts, and so `ls -R`, take that for "no subdirectories").
pub(crate) fn dir_links(fx: &Fx, links: u32) -> u32 {
    if fx.fs == Fs::Rumpfs { 2 } else { links }
}

/// A directory's link count is 2 plus its subdirectories (2 on rumpfs);
/// files do not count; rmdir and renames keep it right.
pub(crate) fn dir_nlink(fx: &Fx) {
    let k = &fx.k;
    let nl = |p: &str| k.sys_stat(&fx.p(p)).unwrap().nlink;
    let top = nl("");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    assert_eq!(nl(""), dir_links(fx, top + 1));
    assert_eq!(nl("d"), 2);
    k.sys_mkdir(&fx.p("d/a"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/b"), 0o755).unwrap();
    touch(k, &fx.p("d/f"));
    assert_eq!(nl("d"), dir_links(fx, 4));
    k.sys_rmdir(&fx.p("d/a")).unwrap();
    assert_eq!(nl("d"), dir_links(fx, 3));
    if !renames_and_links(fx) {
        return;
    }
    k.sys_rename(&fx.p("d/b"), &fx.p("b")).unwrap();
    assert_eq!(nl("d"), 2);
    assert_eq!(nl(""), dir_links(fx, top + 2));
    k.sys_rename(&fx.p("b"), &fx.p("d/b2")).unwrap();
    assert_eq!(nl("d"), dir_links(fx, 3));
    assert_eq!(nl(""), dir_links(fx, top + 1));
    assert_eq!(nl("d/f"), 1);
}

/// After removing the current directory and its parent, `chdir("..")` gives
/// ENOENT (NetBSD `dir_rmdirdotdot`, PR kern/44657).
pub(crate) fn dir_rmdirdotdot(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    k.sys_mkdir("test", 0o777).unwrap();
    k.sys_chdir("test").unwrap();
    k.sys_mkdir("subtest", 0o777).unwrap();
    k.sys_chdir("subtest").unwrap();
    k.sys_rmdir(&fx.p("test/subtest")).unwrap();
    k.sys_rmdir(&fx.p("test")).unwrap();
    assert_errno!(k.sys_chdir(".."), Errno::ENOENT);
}

/// chdir, fchdir and getcwd agree, inside the file system and across its
/// mount point.
pub(crate) fn getcwd_chdir(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    assert_eq!(k.sys_getcwd().unwrap(), fx.mp);
    k.sys_mkdir("a", 0o755).unwrap();
    k.sys_mkdir("a/b", 0o755).unwrap();
    k.sys_chdir("a/b").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("a/b"));
    k.sys_chdir("../..").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.mp);
    k.sys_chdir("..").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/");
    let fd = k.sys_open(&fx.p("a"), O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_fchdir(fd).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("a"));
    touch(k, "f");
    assert!(
        k.sys_stat(&fx.p("a/f")).is_ok(),
        "relative create lands in the cwd"
    );
    let fd = k.sys_open("f", O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_fchdir(fd), Errno::ENOTDIR);
    k.sys_close(fd).unwrap();
    k.sys_chdir("/").unwrap();
}
