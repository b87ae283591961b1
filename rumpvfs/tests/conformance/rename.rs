//! Cases on rename(2).

use super::*;

/// Renames of regular files keep the inode; renaming one hard link onto
/// another name of the same file removes the source name, as NetBSD does
/// (NetBSD `rename_reg_nodir`).
pub(crate) fn rename_reg_nodir(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    touch(k, "file1");
    touch(k, "file2");
    let f1ino = k.sys_stat("file1").unwrap().ino;
    k.sys_link("file1", "file_link").unwrap();
    let st = k.sys_stat("file_link").unwrap();
    assert_eq!((st.ino, st.nlink), (f1ino, 2));

    k.sys_rename("file1", "file3").unwrap();
    assert_eq!(k.sys_stat("file3").unwrap().ino, f1ino);
    assert_errno!(k.sys_stat("file1"), Errno::ENOENT);

    k.sys_rename("file3", "file2").unwrap();
    assert_eq!(k.sys_stat("file2").unwrap().ino, f1ino);
    assert_errno!(k.sys_stat("file3"), Errno::ENOENT);

    k.sys_rename("file2", "file_link").unwrap();
    assert_errno!(k.sys_stat("file2"), Errno::ENOENT);
    let st = k.sys_stat("file_link").unwrap();
    assert_eq!((st.ino, st.nlink), (f1ino, 1));
    assert_eq!(names(k, "."), vec![b"file_link".to_vec()]);
}

/// Renaming over a file replaces it atomically: the new name has the
/// source's data, the old file lives on through an open descriptor with no
/// links.
pub(crate) fn rename_over_file(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("a"), b"AAAA");
    put(k, &fx.p("b"), b"BBBBBB");
    let ino_a = k.sys_stat(&fx.p("a")).unwrap().ino;
    let fd = k.sys_open(&fx.p("b"), O_RDONLY, 0).unwrap();
    k.sys_rename(&fx.p("a"), &fx.p("b")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a")), Errno::ENOENT);
    assert_eq!(get(k, &fx.p("b")), b"AAAA");
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().ino, ino_a);
    assert_eq!(read_to_end(k, fd), b"BBBBBB");
    assert_eq!(k.sys_fstat(fd).unwrap().nlink, 0);
    k.sys_close(fd).unwrap();
    assert_eq!(names(k, &fx.mp), vec![b"b".to_vec()]);
}

/// Directory renames: within and across directories, onto itself via "."
/// (EINVAL from ".", EISDIR onto "."), into its own subtree (EINVAL), over a
/// non-empty directory (ENOTEMPTY) and over an empty one (NetBSD
/// `rename_dir`, PR kern/44288).
pub(crate) fn rename_dir(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    let checkfile = |dir: &str, reference: &rump::file::Stat| {
        let st = k.sys_stat(&fx.p(&format!("{dir}/file"))).unwrap();
        same_node(&st, reference, dir);
    };
    k.sys_mkdir(&fx.p("dir1"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("dir2/subdir"), 0o777).unwrap();
    touch(k, &fx.p("dir1/file"));
    let reference = k.sys_stat(&fx.p("dir1/file")).unwrap();

    k.sys_rename(&fx.p("dir1"), &fx.p("dir3")).unwrap();
    checkfile("dir3", &reference);

    assert_errno!(k.sys_rename(&fx.p("dir3/."), &fx.p("dir3")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("dir3"), &fx.p("dir3/.")), Errno::EISDIR);
    checkfile("dir3", &reference);

    assert_errno!(
        k.sys_rename(&fx.p("dir2"), &fx.p("dir2/dir")),
        Errno::EINVAL
    );
    assert_errno!(
        k.sys_rename(&fx.p("dir2"), &fx.p("dir2/subdir/dir2")),
        Errno::EINVAL
    );
    checkfile("dir3", &reference);

    assert_errno!(k.sys_rename(&fx.p("dir2"), &fx.p("dir3")), Errno::ENOTEMPTY);

    k.sys_rename(&fx.p("dir3"), &fx.p("dir2/somedir")).unwrap();
    checkfile("dir2/somedir", &reference);

    k.sys_rename(&fx.p("dir2/somedir"), &fx.p("dir2/somedir/../../dir3"))
        .unwrap();
    checkfile("dir2/../dir3", &reference);

    k.sys_rename(&fx.p("dir3"), &fx.p("dir2/subdir")).unwrap();
    checkfile("dir2/subdir", &reference);

    k.sys_mkdir(&fx.p("parent"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("parent/dir1"), 0o777).unwrap();
    k.sys_mkdir(&fx.p("parent/dir2"), 0o777).unwrap();
    k.sys_rename(&fx.p("parent/dir1"), &fx.p("parent/dir2"))
        .unwrap();
    assert_eq!(k.sys_stat(&fx.p("parent")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(names(k, &fx.p("parent")), vec![b"dir2".to_vec()]);
    k.sys_rmdir(&fx.p("parent/dir2")).unwrap();
    k.sys_rmdir(&fx.p("parent")).unwrap();
}

/// Renames from or onto `..` give EINVAL (NetBSD `rename_dotdot`, PR
/// kern/43617).
pub(crate) fn rename_dotdot(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    k.sys_mkdir("dir1", 0o777).unwrap();
    k.sys_mkdir("dir2", 0o777).unwrap();
    assert_errno!(k.sys_rename("dir1", "dir1/.."), Errno::EINVAL);
    assert_errno!(k.sys_rename("dir1/..", "sometarget"), Errno::EINVAL);
    assert_errno!(k.sys_rename("dir1", "dir2/.."), Errno::EINVAL);
    assert_eq!(names(k, "."), vec![b"dir1".to_vec(), b"dir2".to_vec()]);
}

/// Type rules: a directory over a file is ENOTDIR, a file over a directory
/// EISDIR, a directory over a non-empty one ENOTEMPTY, a directory into its
/// own subtree EINVAL; nothing changes on failure.
pub(crate) fn rename_types(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("d/x"), 0o755).unwrap();
    put(k, &fx.p("f"), b"file");
    k.sys_mkdir(&fx.p("full"), 0o755).unwrap();
    touch(k, &fx.p("full/entry"));

    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("f")), Errno::ENOTDIR);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("d")), Errno::EISDIR);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("full")), Errno::ENOTEMPTY);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/sub")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/x")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("d"), &fx.p("d/x/y")), Errno::EINVAL);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("f/x")), Errno::ENOTDIR);

    assert_eq!(get(k, &fx.p("f")), b"file");
    assert_eq!(names(k, &fx.p("d")), vec![b"x".to_vec()]);
    assert_eq!(names(k, &fx.p("full")), vec![b"entry".to_vec()]);
    assert_eq!(
        names(k, &fx.mp),
        vec![b"d".to_vec(), b"f".to_vec(), b"full".to_vec()]
    );
}

/// Moving a directory to another parent updates its `..`: lookups, getdents
/// and getcwd see the new parent, and both parents' link counts change.
pub(crate) fn rename_moves_dotdot(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    for d in ["a", "b", "a/c", "a/c/deep"] {
        k.sys_mkdir(&fx.p(d), 0o755).unwrap();
    }
    put(k, &fx.p("a/c/file"), b"moved");
    let a = k.sys_stat(&fx.p("a")).unwrap();
    let b = k.sys_stat(&fx.p("b")).unwrap();
    assert_eq!((a.nlink, b.nlink), (dir_links(fx, 3), 2));

    k.sys_rename(&fx.p("a/c"), &fx.p("b/c")).unwrap();
    assert_errno!(k.sys_stat(&fx.p("a/c")), Errno::ENOENT);
    assert_eq!(k.sys_stat(&fx.p("a")).unwrap().nlink, 2);
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(k.sys_stat(&fx.p("b/c/..")).unwrap().ino, b.ino);
    assert_eq!(k.sys_stat(&fx.p("b/c/deep/../..")).unwrap().ino, b.ino);
    assert_eq!(list(k, &fx.p("b/c"))[&b"..".to_vec()].0, b.ino);
    assert_eq!(get(k, &fx.p("b/c/file")), b"moved");

    k.sys_chdir(&fx.p("b/c/deep")).unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), fx.p("b/c/deep"));
    assert_eq!(k.sys_stat("../..").unwrap().ino, b.ino);
    k.sys_chdir("/").unwrap();

    // and back, by a relative path through the moved directory
    k.sys_rename(&fx.p("b/c"), &fx.p("b/c/../../a/c")).unwrap();
    assert_eq!(k.sys_stat(&fx.p("a/c/..")).unwrap().ino, a.ino);
    assert_eq!(k.sys_stat(&fx.p("a")).unwrap().nlink, dir_links(fx, 3));
    assert_eq!(k.sys_stat(&fx.p("b")).unwrap().nlink, 2);
}

/// Renaming a name to itself succeeds and changes nothing.
pub(crate) fn rename_self(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    put(k, &fx.p("f"), b"same");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    let f = k.sys_stat(&fx.p("f")).unwrap();
    let d = k.sys_stat(&fx.p("d")).unwrap();
    k.sys_rename(&fx.p("f"), &fx.p("f")).unwrap();
    k.sys_rename(&fx.p("d"), &fx.p("d")).unwrap();
    k.sys_rename(&fx.p("f"), &fx.p("./f")).unwrap();
    k.sys_rename(&fx.p("d"), &fx.p("d/../d")).unwrap();
    same_node(&f, &k.sys_stat(&fx.p("f")).unwrap(), "f after rename f f");
    same_node(&d, &k.sys_stat(&fx.p("d")).unwrap(), "d after rename d d");
    assert_eq!(get(k, &fx.p("f")), b"same");
    assert_eq!(names(k, &fx.mp), vec![b"d".to_vec(), b"f".to_vec()]);
}

/// Renaming to a 256-byte name gives ENAMETOOLONG and keeps the source
/// (NetBSD `rename_nametoolong`).
pub(crate) fn rename_nametoolong(fx: &Fx) {
    if !renames_and_links(fx) {
        return;
    }
    let k = &fx.k;
    fx.enter();
    touch(k, "dummy");
    assert_errno!(k.sys_rename("dummy", &"a".repeat(256)), Errno::ENAMETOOLONG);
    k.sys_stat("dummy").unwrap();
    k.sys_rename("dummy", &"a".repeat(255)).unwrap();
    k.sys_unlink(&"a".repeat(255)).unwrap();
}

/// A missing source or a missing target directory gives ENOENT; a file as
/// the target's directory gives ENOTDIR.
pub(crate) fn rename_enoent(fx: &Fx) {
    let k = &fx.k;
    touch(k, &fx.p("f"));
    assert_errno!(k.sys_rename(&fx.p("nope"), &fx.p("x")), Errno::ENOENT);
    assert_errno!(k.sys_rename(&fx.p("f"), &fx.p("nodir/x")), Errno::ENOENT);
    assert_errno!(k.sys_rename(&fx.p("nodir/f"), &fx.p("x")), Errno::ENOENT);
    assert_eq!(names(k, &fx.mp), vec![b"f".to_vec()]);
}
