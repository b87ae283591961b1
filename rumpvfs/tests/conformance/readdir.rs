//! Cases on reading directories: getdents' entries, rewinding, and open
//! flags.

use super::*;

/// read(2) and pread(2) on a directory either work or give EISDIR (NetBSD
/// `read_directory`); writing opens of a directory give EISDIR.
pub(crate) fn read_directory(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open(".", O_DIRECTORY | O_RDONLY, 0o777).unwrap();
    let mut buf = [0u8; 1024];
    let r = k.sys_pread(fd, &mut buf, 0);
    assert!(r.is_ok() || r == Err(Errno::EISDIR), "pread: {r:?}");
    let r = k.sys_read(fd, &mut buf);
    assert!(r.is_ok() || r == Err(Errno::EISDIR), "read: {r:?}");
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_open(".", O_WRONLY, 0), Errno::EISDIR);
    assert_errno!(k.sys_open(".", O_RDWR, 0), Errno::EISDIR);
    k.sys_mkdir("d", 0o755).unwrap();
    assert_errno!(k.sys_open("d", O_RDWR | O_CREAT, 0o644), Errno::EISDIR);
}

/// getdents lists ".", ".." and every entry exactly once, with the inode
/// numbers stat reports and the right d_type; on a file it gives EINVAL.
pub(crate) fn getdents_entries(fx: &Fx) {
    let k = &fx.k;
    k.sys_mkdir(&fx.p("top"), 0o755).unwrap();
    k.sys_mkdir(&fx.p("top/d"), 0o755).unwrap();
    put(k, &fx.p("top/f"), b"x");
    k.sys_symlink("f", &fx.p("top/l")).unwrap();
    let ino = |p: &str| k.sys_lstat(&fx.p(p)).unwrap().ino;
    if fx.fs == Fs::Rumpfs {
        // NetBSD's rumpfs: no `.` or `..`, the newest entry first, and no
        // hard links.
        assert_errno!(
            k.sys_link(&fx.p("top/f"), &fx.p("top/h")),
            Errno::EOPNOTSUPP
        );
        let fd = k.sys_open(&fx.p("top"), O_RDONLY | O_DIRECTORY, 0).unwrap();
        let got: Vec<(Vec<u8>, u64, u8)> = k
            .sys_getdents(fd)
            .unwrap()
            .into_iter()
            .map(|d| (d.name, d.ino, d.typ))
            .collect();
        k.sys_close(fd).unwrap();
        let want = [("l", DT_LNK), ("f", DT_REG), ("d", DT_DIR)]
            .map(|(n, t)| (n.as_bytes().to_vec(), ino(&format!("top/{n}")), t));
        assert_eq!(got, want);
        assert!(list(k, &fx.p("top/d")).is_empty());
        let fd = k.sys_open(&fx.p("top/f"), O_RDONLY, 0).unwrap();
        assert_errno!(k.sys_getdents(fd), Errno::EINVAL);
        k.sys_close(fd).unwrap();
        return;
    }
    k.sys_link(&fx.p("top/f"), &fx.p("top/h")).unwrap();
    let ents = list(k, &fx.p("top"));
    let got: Vec<&[u8]> = ents.keys().map(|n| n.as_slice()).collect();
    assert_eq!(got, vec![&b"."[..], b"..", b"d", b"f", b"h", b"l"]);
    assert_eq!(ents[&b".".to_vec()], (ino("top"), DT_DIR));
    assert_eq!(ents[&b"..".to_vec()], (ino(""), DT_DIR));
    assert_eq!(ents[&b"d".to_vec()], (ino("top/d"), DT_DIR));
    assert_eq!(ents[&b"f".to_vec()], (ino("top/f"), DT_REG));
    assert_eq!(ents[&b"h".to_vec()], (ino("top/f"), DT_REG));
    assert_eq!(ents[&b"l".to_vec()], (ino("top/l"), DT_LNK));

    let empty = list(k, &fx.p("top/d"));
    assert_eq!(empty.len(), 2);
    assert_eq!(empty[&b"..".to_vec()].0, ino("top"));

    let fd = k.sys_open(&fx.p("top/f"), O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_getdents(fd), Errno::EINVAL);
    k.sys_close(fd).unwrap();
}

/// getdents returns the remaining entries: nothing at the end, everything
/// again after lseek to 0.
pub(crate) fn getdents_rewind(fx: &Fx) {
    let k = &fx.k;
    for i in 0..50 {
        touch(k, &fx.p(&format!("f{i}")));
    }
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let first = k.sys_getdents(fd).unwrap();
    assert_eq!(first.len(), 50 + dots(fx));
    assert!(
        k.sys_getdents(fd).unwrap().is_empty(),
        "getdents at the end"
    );
    assert_eq!(k.sys_lseek(fd, 0, SEEK_SET).unwrap(), 0);
    let again = k.sys_getdents(fd).unwrap();
    k.sys_close(fd).unwrap();
    let a: BTreeSet<Vec<u8>> = first.into_iter().map(|d| d.name).collect();
    let b: BTreeSet<Vec<u8>> = again.into_iter().map(|d| d.name).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 50 + dots(fx));
}

/// Open flags and descriptor errors: O_APPEND writes at the end whatever
/// the offset, O_TRUNC empties, reads on write-only and writes on read-only
/// descriptors give EBADF, as do closed descriptors; negative offsets give
/// EINVAL.
pub(crate) fn open_flags(fx: &Fx) {
    let k = &fx.k;
    let f = fx.p("f");
    put(k, &f, b"0123456789");
    let fd = k.sys_open(&f, O_WRONLY | O_APPEND, 0).unwrap();
    assert_eq!(k.sys_lseek(fd, 0, SEEK_SET).unwrap(), 0);
    write_all(k, fd, b"ab");
    assert_eq!(k.sys_lseek(fd, 0, SEEK_CUR).unwrap(), 12);
    let mut b = [0u8; 4];
    assert_errno!(k.sys_read(fd, &mut b), Errno::EBADF);
    assert_errno!(k.sys_pread(fd, &mut b, 0), Errno::EBADF);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &f), b"0123456789ab");

    let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_write(fd, b"x"), Errno::EBADF);
    assert_errno!(k.sys_pwrite(fd, b"x", 0), Errno::EBADF);
    assert_errno!(k.sys_pread(fd, &mut b, -1), Errno::EINVAL);
    assert_errno!(k.sys_lseek(fd, -1, SEEK_SET), Errno::EINVAL);
    assert_errno!(k.sys_lseek(fd, -13, SEEK_END), Errno::EINVAL);
    assert_eq!(k.sys_lseek(fd, -2, SEEK_END).unwrap(), 10);
    assert_eq!(pread_n(k, fd, 10, 10), b"ab");
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_close(fd), Errno::EBADF);
    assert_errno!(k.sys_read(fd, &mut b), Errno::EBADF);

    let fd = k.sys_open(&f, O_RDWR | O_TRUNC, 0).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 0);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap();
    k.sys_close(fd).unwrap();
}
