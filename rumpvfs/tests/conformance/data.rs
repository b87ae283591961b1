//! Cases on file data: holes, extension, overwrites, truncation, and I/O
//! after unlink.

use super::*;

/// Filling a hole across a page boundary leaves zeros around the written
/// bytes (NetBSD `holywrite`).
pub(crate) fn holywrite(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k
        .sys_open("file", O_RDWR | O_CREAT | O_TRUNC, 0o666)
        .unwrap();
    k.sys_pwrite(fd, b"A", PAGE as i64).unwrap();
    k.sys_pwrite(fd, b"BB", PAGE as i64 - 1).unwrap();
    let got = pread_n(k, fd, 0, PAGE + 1);
    let mut want = vec![0u8; PAGE + 1];
    want[PAGE - 1] = b'B';
    want[PAGE] = b'B';
    assert_eq!(got, want);
    k.sys_close(fd).unwrap();
}

fn extendbody(fx: &Fx, seekcnt: i64) {
    const TESTSTR: &[u8] = b"this is a string.  collect enough and you'll have Em\0";
    let k = &fx.k;
    fx.enter();
    let flags = O_CREAT | O_RDWR | if seekcnt > 0 { O_APPEND } else { 0 };
    let fd = k.sys_open("testfile", flags, 0o644).unwrap();
    k.sys_ftruncate(fd, seekcnt).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, seekcnt);
    assert_eq!(k.sys_write(fd, TESTSTR).unwrap(), TESTSTR.len());
    assert_eq!(pread_n(k, fd, seekcnt, TESTSTR.len()), TESTSTR);
    assert_eq!(
        k.sys_fstat(fd).unwrap().size,
        seekcnt + TESTSTR.len() as i64
    );
    assert_eq!(
        pread_n(k, fd, 0, seekcnt as usize),
        vec![0u8; seekcnt as usize]
    );
    k.sys_close(fd).unwrap();
}

/// Writing to a new file extends it (NetBSD `extendfile`).
pub(crate) fn extendfile(fx: &Fx) {
    extendbody(fx, 0);
}

/// An O_APPEND write after ftruncate extends from the new end (NetBSD
/// `extendfile_append`, PR kern/44307).
pub(crate) fn extendfile_append(fx: &Fx) {
    extendbody(fx, 37);
}

/// pwrite past the end makes a hole: size is offset + length, the hole
/// reads as zeros, reads at or past the end return 0 bytes.
pub(crate) fn sparse_pwrite(fx: &Fx) {
    let k = &fx.k;
    let fd = k
        .sys_open(&fx.p("sparse"), O_RDWR | O_CREAT, 0o644)
        .unwrap();
    let off = (1 << 20) + 3;
    assert_eq!(k.sys_pwrite(fd, b"tail", off).unwrap(), 4);
    assert_eq!(k.sys_fstat(fd).unwrap().size, off + 4);
    assert_eq!(k.sys_stat(&fx.p("sparse")).unwrap().size, off + 4);
    let hole = pread_n(k, fd, 0, off as usize);
    assert!(hole.iter().all(|&b| b == 0), "the hole reads as zeros");
    assert_eq!(pread_n(k, fd, off - 2, 10), b"\0\0tail");
    let mut b = [0u8; 16];
    assert_eq!(k.sys_pread(fd, &mut b, off + 4).unwrap(), 0);
    assert_eq!(k.sys_pread(fd, &mut b, 1 << 40).unwrap(), 0);
    k.sys_pwrite(fd, b"mid", 500_000).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, off + 4);
    assert_eq!(pread_n(k, fd, 499_999, 5), b"\0mid\0");
    k.sys_close(fd).unwrap();
}

/// lseek past the end then write makes a hole; SEEK_CUR/SEEK_END report
/// offsets relative to the position and the size.
pub(crate) fn lseek_holes(fx: &Fx) {
    let k = &fx.k;
    let fd = k.sys_open(&fx.p("f"), O_RDWR | O_CREAT, 0o644).unwrap();
    write_all(k, fd, b"head");
    assert_eq!(k.sys_lseek(fd, 100_000, SEEK_SET).unwrap(), 100_000);
    assert_eq!(
        k.sys_fstat(fd).unwrap().size,
        4,
        "lseek alone does not extend"
    );
    write_all(k, fd, b"x");
    assert_eq!(k.sys_fstat(fd).unwrap().size, 100_001);
    assert_eq!(k.sys_lseek(fd, 0, SEEK_END).unwrap(), 100_001);
    assert_eq!(k.sys_lseek(fd, -1, SEEK_CUR).unwrap(), 100_000);
    assert_eq!(read_to_end(k, fd), b"x");
    assert_eq!(k.sys_lseek(fd, 2, SEEK_SET).unwrap(), 2);
    let all = read_to_end(k, fd);
    assert_eq!(all.len(), 100_001 - 2);
    assert_eq!(&all[..2], b"ad");
    assert!(all[2..all.len() - 1].iter().all(|&b| b == 0));
    k.sys_close(fd).unwrap();
}

fn overwritebody(fx: &Fx, count: usize, dotrunc: bool) {
    let k = &fx.k;
    fx.enter();
    let first = pattern(1, count);
    let second = pattern(2, count);
    let fd = k.sys_open("testi", O_CREAT | O_RDWR, 0o666).unwrap();
    assert_eq!(k.sys_write(fd, &first).unwrap(), count);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open("testi", O_RDWR, 0).unwrap();
    if dotrunc {
        k.sys_ftruncate(fd, 0).unwrap();
    }
    assert_eq!(k.sys_write(fd, &second).unwrap(), count);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, "testi"), second);
}

/// A 512-byte file written twice holds the second write (NetBSD
/// `overwrite512`).
pub(crate) fn overwrite512(fx: &Fx) {
    overwritebody(fx, 512, false);
}

/// A 64 KiB file written twice holds the second write (NetBSD
/// `overwrite64k`).
pub(crate) fn overwrite64k(fx: &Fx) {
    overwritebody(fx, 1 << 16, false);
}

/// 64 KiB, truncate to 0, 64 KiB again (NetBSD `overwrite_trunc`).
pub(crate) fn overwrite_trunc(fx: &Fx) {
    overwritebody(fx, 1 << 16, true);
}

/// Overwrites of 512 bytes and 64 KiB at odd, unaligned offsets (inside the
/// file, across page edges, across the end) change exactly those bytes.
pub(crate) fn overwrite_odd_offsets(fx: &Fx) {
    let k = &fx.k;
    let size = 200 * 1024;
    let mut model = pattern(3, size);
    put(k, &fx.p("f"), &model);
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    let writes: [(usize, usize, u8); 9] = [
        (1, 512, 10),
        (4095, 512, 11),
        (12345, 512, 12),
        (65535, 512, 13),
        (777, 65536, 14),
        (100_001, 65536, 15),
        (size - 511, 512, 16),
        (size - 1000, 65536, 17),
        (size + 70_000, 512, 18),
    ];
    for (off, len, tag) in writes {
        let data = pattern(tag, len);
        assert_eq!(k.sys_pwrite(fd, &data, off as i64).unwrap(), len);
        if model.len() < off + len {
            model.resize(off + len, 0);
        }
        model[off..off + len].copy_from_slice(&data);
        assert_eq!(k.sys_fstat(fd).unwrap().size, model.len() as i64);
    }
    k.sys_close(fd).unwrap();
    let got = get(k, &fx.p("f"));
    assert_eq!(got.len(), model.len());
    if let Some(i) = (0..got.len()).find(|&i| got[i] != model[i]) {
        panic!("first difference at byte {i}: {} != {}", got[i], model[i]);
    }
}

/// Shrinking a file by ftruncate works (NetBSD `shrinkfile`).
pub(crate) fn shrinkfile(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k
        .sys_open("file", O_RDWR | O_CREAT | O_TRUNC, 0o666)
        .unwrap();
    k.sys_ftruncate(fd, 2).unwrap();
    k.sys_ftruncate(fd, 1).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 1);
    assert_eq!(pread_n(k, fd, 0, 10), b"\0");
    k.sys_close(fd).unwrap();
}

/// Shrink then extend reads zeros in the extension, also within the page
/// the shrink cut (stale bytes must not come back).
pub(crate) fn truncate_shrink_extend(fx: &Fx) {
    let k = &fx.k;
    let data = pattern(5, 10_000);
    put(k, &fx.p("f"), &data);
    k.sys_truncate(&fx.p("f"), 100).unwrap();
    assert_eq!(k.sys_stat(&fx.p("f")).unwrap().size, 100);
    k.sys_truncate(&fx.p("f"), 8000).unwrap();
    let got = get(k, &fx.p("f"));
    assert_eq!(got.len(), 8000);
    assert_eq!(&got[..100], &data[..100]);
    assert!(got[100..].iter().all(|&b| b == 0), "extension reads zeros");

    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    k.sys_pwrite(fd, &pattern(6, 2 * PAGE), 0).unwrap();
    k.sys_ftruncate(fd, PAGE as i64 + 1).unwrap();
    k.sys_ftruncate(fd, 2 * PAGE as i64).unwrap();
    let got = pread_n(k, fd, 0, 2 * PAGE);
    assert_eq!(&got[..PAGE + 1], &pattern(6, 2 * PAGE)[..PAGE + 1]);
    assert!(
        got[PAGE + 1..].iter().all(|&b| b == 0),
        "no stale bytes after the cut"
    );
    k.sys_ftruncate(fd, 0).unwrap();
    assert_eq!(k.sys_fstat(fd).unwrap().size, 0);
    k.sys_ftruncate(fd, 5000).unwrap();
    assert_eq!(pread_n(k, fd, 0, 6000), vec![0u8; 5000]);
    k.sys_close(fd).unwrap();
}

/// truncate errors: negative length EINVAL, a directory EISDIR, a missing
/// file ENOENT, ftruncate on a read-only descriptor EINVAL (NetBSD).
pub(crate) fn truncate_errors(fx: &Fx) {
    let k = &fx.k;
    put(k, &fx.p("f"), b"abc");
    k.sys_mkdir(&fx.p("d"), 0o755).unwrap();
    assert_errno!(k.sys_truncate(&fx.p("f"), -1), Errno::EINVAL);
    assert_errno!(k.sys_truncate(&fx.p("d"), 0), Errno::EISDIR);
    assert_errno!(k.sys_truncate(&fx.p("nope"), 0), Errno::ENOENT);
    let fd = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap();
    assert_errno!(k.sys_ftruncate(fd, 0), Errno::EINVAL);
    k.sys_close(fd).unwrap();
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap();
    assert_errno!(k.sys_ftruncate(fd, -5), Errno::EINVAL);
    k.sys_close(fd).unwrap();
    assert_eq!(get(k, &fx.p("f")), b"abc");
}

/// Data can be read through an open descriptor after the last name is gone;
/// the unlinked file has no links; a mounted file system in use is EBUSY to
/// unmount (NetBSD `read_after_unlink`).
pub(crate) fn read_after_unlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let buf = vec![b'D'; 9000];
    put(k, "file", &buf);
    if fx.is_mount() {
        assert_errno!(k.sys_unmount(&fx.mp, 0), Errno::EBUSY);
    }
    let fd = k.sys_open("file", O_RDWR, 0).unwrap();
    k.sys_unlink("file").unwrap();
    assert_errno!(k.sys_stat("file"), Errno::ENOENT);
    assert_eq!(read_to_end(k, fd), buf);
    let st = k.sys_fstat(fd).unwrap();
    assert_eq!((st.nlink, st.size), (0, 9000));
    k.sys_close(fd).unwrap();
    assert!(names(k, ".").is_empty());
}

/// A file can be written, synced and read after unlink (NetBSD
/// `wrrd_after_unlink`).
pub(crate) fn wrrd_after_unlink(fx: &Fx) {
    let k = &fx.k;
    fx.enter();
    let fd = k.sys_open("file", O_RDWR | O_CREAT, 0o666).unwrap();
    k.sys_unlink("file").unwrap();
    let value = 0x11i32.to_le_bytes();
    k.sys_pwrite(fd, &value, 654321).unwrap();
    k.sys_fsync(fd).unwrap();
    assert_eq!(pread_n(k, fd, 654321, 4), value);
    assert_eq!(k.sys_fstat(fd).unwrap().size, 654325);
    k.sys_close(fd).unwrap();
    assert_errno!(k.sys_stat("file"), Errno::ENOENT);
}
