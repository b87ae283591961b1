//! The typed [`VfsCalls`] methods that p2k serves FUSE with (`utimensat`,
//! `mknod`, the `l*xattr` calls) answer as the system calls by number do,
//! which NetBSD's own tools are checked against elsewhere.

use netbsd_abi::{AT_SYMLINK_NOFOLLOW, UTIME_NOW, UTIME_OMIT};
use rump::usermem::BufferSpace;
use rump::{Errno, Kernel};
use rumpvfs::flags::*;
use rumpvfs::{TimeArg, VfsCalls};
use std::sync::Arc;

mod common;

const B: u64 = 0x10000;

fn put(us: &BufferSpace, at: u64, s: &[u8]) -> u64 {
    let mut v = s.to_vec();
    v.push(0);
    us.poke(at, &v);
    at
}

/// A kernel with a tmpfs at /t holding a file /t/f and a link /t/l to it.
fn kernel() -> Arc<Kernel> {
    let k = common::boot();
    k.sys_mkdir("/t", 0o755).unwrap();
    k.sys_mount("tmpfs", "/t", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    let fd = k.sys_open("/t/f", O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_symlink("f", "/t/l").unwrap();
    k
}

/// `utimensat(AT_FDCWD, path, {atime, mtime}, flags)` by number.
fn utimensat_by_number(
    k: &Kernel,
    path: &str,
    times: [(i64, i64); 2],
    flags: i32,
) -> Result<(), Errno> {
    use netbsd_abi::layout::timespec::{SIZE, tv_nsec, tv_sec};
    let us = BufferSpace::new(B, 4096);
    let mut b = [0u8; 2 * SIZE];
    for (i, (s, ns)) in times.into_iter().enumerate() {
        tv_sec.put(&mut b[i * SIZE..], s as u64);
        tv_nsec.put(&mut b[i * SIZE..], ns as u64);
    }
    us.poke(B, &b);
    let p = put(&us, B + 64, path.as_bytes());
    let args = [netbsd_abi::AT_FDCWD as u64, p, B, flags as u64];
    k.syscall(netbsd_abi::SYS_utimensat, &args, &us).map(|_| ())
}

#[test]
fn utimensat_sets_omits_and_does_not_follow_as_by_number() {
    let k = kernel();
    let before = k.sys_lstat("/t/f").unwrap();
    k.sys_utimensat("/t/f", TimeArg::At(5, 7), TimeArg::Omit, 0)
        .unwrap();
    let st = k.sys_lstat("/t/f").unwrap();
    assert_eq!((st.atime, st.mtime), ((5, 7), before.mtime));
    utimensat_by_number(&k, "/t/f", [(9, 1), (0, i64::from(UTIME_OMIT))], 0).unwrap();
    assert_eq!(k.sys_lstat("/t/f").unwrap().atime, (9, 1));
    // Not followed: the link's own times change, the file's stay.
    k.sys_utimensat(
        "/t/l",
        TimeArg::Omit,
        TimeArg::At(3, 0),
        AT_SYMLINK_NOFOLLOW,
    )
    .unwrap();
    assert_eq!(k.sys_lstat("/t/l").unwrap().mtime, (3, 0));
    assert_eq!(k.sys_lstat("/t/f").unwrap().mtime, before.mtime);
    k.sys_utimensat("/t/l", TimeArg::Omit, TimeArg::At(4, 0), 0)
        .unwrap();
    assert_eq!(k.sys_lstat("/t/f").unwrap().mtime, (4, 0));
    k.sys_utimensat("/t/f", TimeArg::Now, TimeArg::Now, 0)
        .unwrap();
    assert!(k.sys_lstat("/t/f").unwrap().mtime.0 > 4);
    // A flag utimensat does not know, and a missing file.
    let bad = AT_SYMLINK_NOFOLLOW << 1;
    let typed = k.sys_utimensat("/t/f", TimeArg::Now, TimeArg::Now, bad);
    let now = (0, i64::from(UTIME_NOW));
    let raw = utimensat_by_number(&k, "/t/f", [now, now], bad);
    assert_eq!((typed, raw), (Err(Errno::EINVAL), Err(Errno::EINVAL)));
    let typed = k.sys_utimensat("/t/none", TimeArg::Now, TimeArg::Now, 0);
    let raw = utimensat_by_number(&k, "/t/none", [now, now], 0);
    assert_eq!((typed, raw), (Err(Errno::ENOENT), Err(Errno::ENOENT)));
}

/// `__mknod50(path, mode, dev)` by number.
fn mknod_by_number(k: &Kernel, path: &str, mode: u32, dev: u64) -> Result<(), Errno> {
    let us = BufferSpace::new(B, 4096);
    let p = put(&us, B, path.as_bytes());
    let args = [p, u64::from(mode), dev];
    k.syscall(netbsd_abi::SYS___mknod50, &args, &us).map(|_| ())
}

#[test]
fn mknod_makes_the_node_its_mode_says_as_by_number() {
    let k = kernel();
    // The umask (022) applies as to any node made.
    k.sys_mknod("/t/c", S_IFCHR | 0o666, 0x0102).unwrap();
    let st = k.sys_lstat("/t/c").unwrap();
    assert_eq!(
        (st.mode & S_IFMT, st.mode & 0o7777, st.rdev),
        (S_IFCHR, 0o644, 0x0102)
    );
    k.sys_mknod("/t/b", S_IFBLK | 0o600, 7).unwrap();
    mknod_by_number(&k, "/t/b2", S_IFBLK | 0o600, 7).unwrap();
    let (typed, raw) = (k.sys_lstat("/t/b").unwrap(), k.sys_lstat("/t/b2").unwrap());
    assert_eq!((typed.mode, typed.rdev), (S_IFBLK | 0o600, 7));
    assert_eq!((typed.mode, typed.rdev), (raw.mode, raw.rdev));
    // A FIFO is mkfifo's to make, and no type is no node; both ways.
    for mode in [S_IFIFO | 0o600, 0o600] {
        let typed = k.sys_mknod("/t/x", mode, 0);
        let raw = mknod_by_number(&k, "/t/x", mode, 0);
        assert_eq!((typed, raw), (Err(Errno::EINVAL), Err(Errno::EINVAL)));
    }
    let typed = k.sys_mknod("/t/c", S_IFCHR | 0o600, 0);
    let raw = mknod_by_number(&k, "/t/c", S_IFCHR | 0o600, 0);
    assert_eq!((typed, raw), (Err(Errno::EEXIST), Err(Errno::EEXIST)));
}

/// An `l*xattr` call by number on `path` with `name`, `size` bytes of
/// room or value: its errno.
fn xattr_by_number(k: &Kernel, nr: usize, path: &str, name: &[u8], size: u64) -> Errno {
    let us = BufferSpace::new(B, 8192);
    let p = put(&us, B, path.as_bytes());
    let n = put(&us, B + 1024, name);
    let v = B + 4096;
    let args: Vec<u64> = match nr {
        netbsd_abi::SYS_lsetxattr => vec![p, n, v, size, 0],
        netbsd_abi::SYS_lgetxattr => vec![p, n, v, size],
        netbsd_abi::SYS_llistxattr => vec![p, v, size],
        _ => vec![p, n],
    };
    k.syscall(nr, &args, &us).unwrap_err()
}

#[test]
fn xattr_calls_check_name_then_file_as_by_number() {
    let k = kernel();
    let long = [b'a'; 255];
    let mut buf = [0u8; 16];
    let cases: [(&str, &[u8], Errno); 4] = [
        ("/t/f", b"user.x", Errno::ENOTSUP),
        ("/t/l", b"user.x", Errno::ENOTSUP),
        ("/t/none", b"user.x", Errno::ENOENT),
        // The name is checked before the file is looked up.
        ("/t/none", &long, Errno::ENAMETOOLONG),
    ];
    for (path, name, want) in cases {
        let set = k.sys_lsetxattr(path, name, b"v", 0).unwrap_err();
        let get = k.sys_lgetxattr(path, name, &mut buf).unwrap_err();
        let size = k.sys_lgetxattr(path, name, &mut []).unwrap_err();
        let rm = k.sys_lremovexattr(path, name).unwrap_err();
        assert_eq!([set, get, size, rm], [want; 4], "{path}");
        let raw = [
            xattr_by_number(&k, netbsd_abi::SYS_lsetxattr, path, name, 1),
            xattr_by_number(&k, netbsd_abi::SYS_lgetxattr, path, name, 16),
            xattr_by_number(&k, netbsd_abi::SYS_lremovexattr, path, name, 0),
        ];
        assert_eq!(raw, [want; 3], "{path}");
    }
    // listxattr has no name.
    assert_eq!(k.sys_llistxattr("/t/f", &mut buf), Err(Errno::ENOTSUP));
    assert_eq!(k.sys_llistxattr("/t/none", &mut []), Err(Errno::ENOENT));
    let raw = xattr_by_number(&k, netbsd_abi::SYS_llistxattr, "/t/f", b"", 16);
    assert_eq!(raw, Errno::ENOTSUP);
    // A name of 254 bytes fits its 255-byte buffer with the NUL.
    let fits = k.sys_lremovexattr("/t/f", &long[..254]).unwrap_err();
    assert_eq!(fits, Errno::ENOTSUP);
}
