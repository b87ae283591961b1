//! Calls by number with the caller's memory: file handles, revoke, extended
//! attributes, quotas, advice (facts from NetBSD's rump_allserver: tmpfs
//! and FFS make file handles, rumpfs none; no file system keeps extended
//! attributes or quotas).

use super::*;

use netbsd_abi as abi;
use rump::usermem::BufferSpace;

/// Where the caller's memory starts.
const UB: u64 = 0x10000;
/// Slots in it: a path, a second string, a handle, a size, a result.
pub(crate) const U_PATH: u64 = UB;
const U_STR: u64 = UB + 0x800;
const U_FH: u64 = UB + 0x1000;
const U_SIZE: u64 = UB + 0x1100;
const U_OUT: u64 = UB + 0x2000;

pub(crate) fn user() -> BufferSpace {
    BufferSpace::new(UB, 1 << 16)
}

/// `s` with its NUL at `at`; returns `at`.
pub(crate) fn cstr(us: &BufferSpace, at: u64, s: &str) -> u64 {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    us.poke(at, &v);
    at
}

pub(crate) fn call(k: &Kernel, n: usize, args: &[u64], us: &BufferSpace) -> Result<u64, Errno> {
    k.syscall(n, args, us).map(|r| r[0])
}

/// Whether the file system makes file handles (NetBSD's rumpfs does not).
fn has_handles(fx: &Fx) -> bool {
    !matches!(fx.fs, Fs::Rumpfs)
}

/// `__getfh30` into [`U_FH`] with room for `room` bytes; the size it says.
fn getfh(fx: &Fx, us: &BufferSpace, path: &str, room: u64) -> (Result<u64, Errno>, u64) {
    us.poke(U_SIZE, &room.to_le_bytes());
    let r = call(
        &fx.k,
        abi::SYS___getfh30,
        &[cstr(us, U_PATH, path), U_FH, U_SIZE],
        us,
    );
    let size = u64::from_le_bytes(us.peek(U_SIZE, 8).try_into().unwrap());
    (r, size)
}

fn fhstat(fx: &Fx, us: &BufferSpace, size: u64) -> Result<u64, Errno> {
    call(&fx.k, abi::SYS___fhstat50, &[U_FH, size, U_OUT], us)
}

/// A handle names its file for `fhstat`, `fhopen` and `fhstatvfs1`; sizes,
/// flags, foreign handles and non-root callers are refused.
pub(crate) fn file_handles(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"handled");
    let (r, size) = getfh(fx, &us, &f, 64);
    if !has_handles(fx) {
        assert_eq!(r, Err(Errno::EOPNOTSUPP));
        assert_eq!(size, 64, "nothing said");
        return;
    }
    r.unwrap();
    assert_eq!(size, 28, "FHANDLE_SIZE_COMPAT");
    let st = k.sys_stat(&f).unwrap();
    fhstat(fx, &us, 28).unwrap();
    let ino = abi::layout::stat::st_ino.get(&us.peek(U_OUT, abi::layout::stat::SIZE));
    assert_eq!(ino, Some(st.ino));

    let fd = call(k, abi::SYS___fhopen40, &[U_FH, 28, O_RDONLY as u64], &us).unwrap();
    assert_eq!(read_to_end(k, fd as i32), b"handled");
    k.sys_close(fd as i32).unwrap();
    for bad in [O_ACCMODE_ALL, O_CREAT | O_RDWR] {
        let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, bad as u64], &us);
        assert_eq!(r, Err(Errno::EINVAL), "flags {bad:#x}");
    }
    for size in [27, 29, 2000] {
        assert_eq!(fhstat(fx, &us, size), Err(Errno::EINVAL), "size {size}");
    }
    call(k, abi::SYS___fhstatvfs140, &[U_FH, 28, U_OUT, 1], &us).unwrap();
    let sv = us.peek(U_OUT, abi::layout::statvfs::SIZE);
    let fsid = abi::layout::statvfs::f_fsidx
        .get(&sv)
        .map(|v| v & 0xffff_ffff);
    assert_eq!(fsid, Some(k.sys_statvfs(&f).unwrap().fsid));

    // Too little room: E2BIG, and the size needed.
    let good = us.peek(U_FH, 28);
    assert_eq!(getfh(fx, &us, &f, 4), (Err(Errno::E2BIG), 28));
    // Another file system's id, another generation: stale. A fid of
    // another length: EINVAL.
    for (at, flip) in [(FH_FSID, 0x55u8), (FH_GEN, 0x55)] {
        let mut fh = good.clone();
        fh[at] ^= flip;
        us.poke(U_FH, &fh);
        assert_eq!(fhstat(fx, &us, 28), Err(Errno::ESTALE), "byte {at}");
    }
    let mut fh = good.clone();
    fh[FH_FID_LEN] = 20;
    us.poke(U_FH, &fh);
    assert_eq!(fhstat(fx, &us, 28), Err(Errno::EINVAL));
    us.poke(U_FH, &good);
    as_user(k, 1000, 1000, || {
        assert_eq!(getfh(fx, &us, &f, 64).0, Err(Errno::EPERM));
        assert_eq!(fhstat(fx, &us, 28), Err(Errno::EPERM));
        let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, 0], &us);
        assert_eq!(r, Err(Errno::EPERM));
    });
}

/// A handle of a removed file is stale once nothing holds the file; an
/// open file keeps its handle good.
pub(crate) fn file_handles_stale(fx: &Fx) {
    if !has_handles(fx) {
        return;
    }
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"x");
    getfh(fx, &us, &f, 64).0.unwrap();
    let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
    k.sys_unlink(&f).unwrap();
    fhstat(fx, &us, 28).unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(fhstat(fx, &us, 28), Err(Errno::ESTALE));
    let r = call(k, abi::SYS___fhopen40, &[U_FH, 28, 0], &us);
    assert_eq!(r, Err(Errno::ESTALE));
    // A new file in its place has a handle of its own.
    put(k, &f, b"y");
    getfh(fx, &us, &f, 64).0.unwrap();
    fhstat(fx, &us, 28).unwrap();
}

/// Where a file handle keeps its file system's id, its fid's length and
/// its node's generation (`fhandle_t` with tmpfs's or UFS's fid).
const FH_FSID: usize = 0;
const FH_FID_LEN: usize = 8;
const FH_GEN: usize = 12;

/// `O_ACCMODE` itself: neither reading nor writing.
const O_ACCMODE_ALL: i32 = 3;

/// revoke: the files open on a node die (reads and writes EIO, the rest
/// EBADF, lseek and fsync still answer), new opens work; only the owner
/// or root may; NetBSD's rumpfs has no revoke.
pub(crate) fn revoke_kills_open_files(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    put(k, &f, b"ab");
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap();
    let d = fx.p("d");
    k.sys_mkdir(&d, 0o755).unwrap();
    let dfd = k.sys_open(&d, O_RDONLY, 0).unwrap();
    call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &f)], &us).unwrap();
    call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &d)], &us).unwrap();
    let mut b = [0u8; 2];
    if matches!(fx.fs, Fs::Rumpfs) {
        assert_eq!(k.sys_pread(fd, &mut b, 0), Ok(2));
    } else {
        assert_eq!(k.sys_pread(fd, &mut b, 0), Err(Errno::EIO));
        assert_eq!(k.sys_pwrite(fd, b"x", 0), Err(Errno::EIO));
        assert_eq!(errno_of(&k.sys_fstat(fd)), Some(Errno::EBADF));
        assert_eq!(k.sys_fchmod(fd, 0o600), Err(Errno::EBADF));
        assert_eq!(k.sys_ftruncate(fd, 0), Err(Errno::EBADF));
        assert_eq!(k.sys_fsync(fd), Ok(()));
        let r = call(k, abi::SYS___getdents30, &[dfd as u64, U_OUT, 512], &us);
        assert_eq!(r, Err(Errno::EBADF));
    }
    k.sys_close(fd).unwrap();
    k.sys_close(dfd).unwrap();
    assert_eq!(get(k, &f), b"ab", "the file itself is untouched");
    as_user(k, 1000, 1000, || {
        let r = call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &f)], &us);
        assert_eq!(r, Err(Errno::EPERM));
    });
    let r = call(k, abi::SYS_revoke, &[cstr(&us, U_PATH, &fx.p("none"))], &us);
    assert_eq!(r, Err(Errno::ENOENT));
}

/// Extended attributes: names are checked first (ENAMETOOLONG), then the
/// file, then every file system says EOPNOTSUPP (ENOTSUP for `*xattr`).
pub(crate) fn extattr_calls(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let f = fx.p("f");
    touch(k, &f);
    k.sys_symlink("f", &fx.p("l")).unwrap();
    let fd = k.sys_open(&f, O_RDWR, 0).unwrap() as u64;
    let path = cstr(&us, U_PATH, &f);
    let link = cstr(&us, U_PATH + 0x400, &fx.p("l"));
    let name = cstr(&us, U_STR, "user.x");
    let long = cstr(&us, U_STR + 0x100, &"a".repeat(299));
    let none = cstr(&us, U_STR + 0x300, &fx.p("none"));
    let ns = USER;
    let eop = Err(Errno::EOPNOTSUPP);
    for (n, args) in [
        (abi::SYS_extattr_set_file, vec![path, ns, name, U_OUT, 1]),
        (abi::SYS_extattr_get_file, vec![path, ns, name, U_OUT, 64]),
        (abi::SYS_extattr_get_file, vec![path, ns, name, 0, 0]),
        (abi::SYS_extattr_delete_file, vec![path, ns, name]),
        (abi::SYS_extattr_list_file, vec![path, ns, U_OUT, 64]),
        (abi::SYS_extattr_set_fd, vec![fd, 0, name, U_OUT, 1]),
        (abi::SYS_extattr_get_fd, vec![fd, 3, name, U_OUT, 64]),
        (abi::SYS_extattr_delete_fd, vec![fd, ns, name]),
        (abi::SYS_extattr_list_fd, vec![fd, ns, U_OUT, 64]),
        (abi::SYS_extattr_set_link, vec![link, ns, name, U_OUT, 1]),
        (abi::SYS_extattr_get_link, vec![link, ns, name, U_OUT, 64]),
        (abi::SYS_extattr_delete_link, vec![link, ns, name]),
        (abi::SYS_extattr_list_link, vec![link, ns, U_OUT, 64]),
    ] {
        assert_eq!(
            call(k, n, &args, &us),
            eop,
            "{}",
            k.syscall_name(n).unwrap()
        );
    }
    let enotsup = Err(Errno::ENOTSUP);
    for (n, args) in [
        (abi::SYS_setxattr, vec![path, name, U_OUT, 1, 0]),
        (abi::SYS_setxattr, vec![path, name, U_OUT, 1, 1]),
        (abi::SYS_lsetxattr, vec![link, name, U_OUT, 1, 0]),
        (abi::SYS_fsetxattr, vec![fd, name, U_OUT, 1, 0]),
        (abi::SYS_getxattr, vec![path, name, U_OUT, 64]),
        (abi::SYS_lgetxattr, vec![link, name, U_OUT, 64]),
        (abi::SYS_fgetxattr, vec![fd, name, U_OUT, 64]),
        (abi::SYS_listxattr, vec![path, U_OUT, 64]),
        (abi::SYS_llistxattr, vec![link, 0, 0]),
        (abi::SYS_flistxattr, vec![fd, U_OUT, 64]),
        (abi::SYS_removexattr, vec![path, name]),
        (abi::SYS_lremovexattr, vec![link, name]),
        (abi::SYS_fremovexattr, vec![fd, name]),
    ] {
        assert_eq!(
            call(k, n, &args, &us),
            enotsup,
            "{}",
            k.syscall_name(n).unwrap()
        );
    }
    // The name before the file; the file before the file system.
    let r = call(
        k,
        abi::SYS_extattr_get_file,
        &[none, ns, long, U_OUT, 64],
        &us,
    );
    assert_eq!(r, Err(Errno::ENAMETOOLONG));
    let r = call(k, abi::SYS_setxattr, &[none, long, U_OUT, 1, 0], &us);
    assert_eq!(r, Err(Errno::ENAMETOOLONG));
    let r = call(
        k,
        abi::SYS_extattr_get_file,
        &[none, ns, name, U_OUT, 64],
        &us,
    );
    assert_eq!(r, Err(Errno::ENOENT));
    let r = call(k, abi::SYS_getxattr, &[none, name, U_OUT, 64], &us);
    assert_eq!(r, Err(Errno::ENOENT));
    let r = call(k, abi::SYS_extattr_list_fd, &[99, ns, U_OUT, 64], &us);
    assert_eq!(r, Err(Errno::EBADF));
    let r = call(
        k,
        abi::SYS_extattr_set_file,
        &[path, ns, name, U_OUT, 1 << 31],
        &us,
    );
    assert_eq!(r, Err(Errno::EINVAL), "more than INT_MAX bytes");
    k.sys_close(fd as i32).unwrap();
}

// `sys/extattr.h`: namespaces and extattrctl commands.
const EMPTY: u64 = 0;
const USER: u64 = 1;
const START: u64 = 1;
const STOP: u64 = 2;
const ENABLE: u64 = 3;
const DISABLE: u64 = 4;

/// extattrctl: FFSv1's backing-file attributes answer as NetBSD's before
/// `start` (ENOENT without /.attribute, EINVAL for misplaced arguments,
/// ENODATA to disable what was never enabled, EPERM for users); the other
/// file systems have nothing to configure.
pub(crate) fn extattrctl_per_fs(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    touch(k, &fx.p("backing"));
    let mp = cstr(&us, U_PATH, &fx.mp);
    let file = cstr(&us, U_PATH + 0x400, &fx.p("backing"));
    let name = cstr(&us, U_STR, "x");
    let ctl = |cmd: u64, file: u64, ns: u64, name: u64| {
        call(k, abi::SYS_extattrctl, &[mp, cmd, file, ns, name], &us)
    };
    if !matches!(fx.fs, Fs::Ffs1) {
        assert_eq!(ctl(START, 0, USER, 0), Err(Errno::EOPNOTSUPP));
        assert_eq!(ctl(START, 0, USER, name), Err(Errno::EOPNOTSUPP));
        return;
    }
    assert_eq!(
        ctl(START, 0, USER, 0),
        Err(Errno::ENOENT),
        "start without /.attribute"
    );
    assert_eq!(ctl(START, 0, USER, name), Err(Errno::EINVAL));
    assert_eq!(ctl(START, file, USER, 0), Err(Errno::EINVAL));
    assert_eq!(ctl(STOP, 0, USER, 0), Ok(0), "stop");
    assert_eq!(
        ctl(ENABLE, 0, USER, name),
        Err(Errno::EINVAL),
        "enable without a file"
    );
    assert_eq!(
        ctl(ENABLE, file, EMPTY, name),
        Err(Errno::EINVAL),
        "empty namespace"
    );
    assert_eq!(
        ctl(ENABLE, file, USER, name),
        Err(Errno::EOPNOTSUPP),
        "not started"
    );
    assert_eq!(ctl(DISABLE, 0, USER, name), Err(Errno::ENODATA));
    assert_eq!(ctl(9, 0, USER, 0), Err(Errno::EINVAL));
    as_user(k, 1000, 1000, || {
        assert_eq!(ctl(STOP, 0, USER, 0), Err(Errno::EPERM))
    });
    k.sys_mkdir(&fx.p(".attribute"), 0o755).unwrap();
    assert_eq!(
        ctl(START, 0, USER, 0),
        Err(Errno::EOPNOTSUPP),
        "backing files: not yet"
    );
}

// `sys/quotactl.h`.
const QUOTACTL_STAT: u32 = 0;
const QUOTACTL_GET: u32 = 3;

/// __quotactl: the arguments are read, the path looked up, the request
/// checked; no file system keeps quotas.
pub(crate) fn quotactl_calls(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    let mp = cstr(&us, U_PATH, &fx.mp);
    let none = cstr(&us, U_PATH + 0x400, &fx.p("none"));
    let args = |op: u32, p1: u64| {
        let mut a = [0u8; 48];
        a[..4].copy_from_slice(&op.to_le_bytes());
        a[8..16].copy_from_slice(&p1.to_le_bytes());
        us.poke(U_STR, &a);
        U_STR
    };
    let q = |path: u64, a: u64| call(k, abi::SYS___quotactl, &[path, a], &us);
    assert_eq!(q(mp, args(QUOTACTL_STAT, U_OUT)), Err(Errno::EOPNOTSUPP));
    assert_eq!(q(mp, args(99, U_OUT)), Err(Errno::EINVAL));
    assert_eq!(q(none, args(QUOTACTL_STAT, U_OUT)), Err(Errno::ENOENT));
    assert_eq!(
        q(mp, args(QUOTACTL_GET, 8)),
        Err(Errno::EFAULT),
        "the key is read first"
    );
    assert_eq!(q(mp, 8), Err(Errno::EFAULT));
}

/// posix_fadvise and posix_fallocate return their error as the value;
/// fdiscard fails as usual; no file system allocates or discards ranges.
pub(crate) fn advice_and_space(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    put(k, &fx.p("f"), b"data");
    let fd = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap() as u64;
    let ro = k.sys_open(&fx.p("f"), O_RDONLY, 0).unwrap() as u64;
    let advise = |fd: u64, off: i64, len: i64, advice: i32| {
        call(
            k,
            abi::SYS___posix_fadvise50,
            &[fd, 0, off as u64, len as u64, advice as u64],
            &us,
        )
    };
    let errno = |e: Errno| Ok(e.0 as u64);
    assert_eq!(advise(fd, 0, 0, abi::POSIX_FADV_SEQUENTIAL), Ok(0));
    assert_eq!(advise(fd, 0, 10, abi::POSIX_FADV_DONTNEED), Ok(0));
    assert_eq!(advise(fd, 0, 0, 9), errno(Errno::EINVAL));
    assert_eq!(advise(fd, 0, -1, 0), errno(Errno::EINVAL));
    // A negative offset: EINVAL with a length, accepted without, as the
    // wrapping subtraction of NetBSD's range check gives.
    assert_eq!(advise(fd, -1, 1, 0), errno(Errno::EINVAL));
    assert_eq!(advise(fd, i64::MIN, 1, 0), errno(Errno::EINVAL));
    assert_eq!(advise(fd, -5, i64::MAX, 0), errno(Errno::EINVAL));
    assert_eq!(advise(fd, -5, 0, 0), Ok(0));
    assert_eq!(advise(fd, i64::MAX, 1, 0), errno(Errno::EINVAL));
    assert_eq!(advise(99, 0, 0, 0), errno(Errno::EBADF));
    let fallocate = |fd: u64, pos: i64, len: i64| {
        call(
            k,
            abi::SYS_posix_fallocate,
            &[fd, 0, pos as u64, len as u64],
            &us,
        )
    };
    assert_eq!(fallocate(fd, 0, 10), errno(Errno::EOPNOTSUPP));
    assert_eq!(fallocate(ro, 0, 10), errno(Errno::EBADF));
    assert_eq!(fallocate(fd, -1, 10), errno(Errno::EINVAL));
    assert_eq!(fallocate(99, 0, 10), errno(Errno::EBADF));
    let fdiscard = |fd: u64, pos: i64, len: i64| {
        call(k, abi::SYS_fdiscard, &[fd, 0, pos as u64, len as u64], &us)
    };
    assert_eq!(fdiscard(fd, 0, 10), Err(Errno::EOPNOTSUPP));
    assert_eq!(fdiscard(ro, 0, 10), Err(Errno::EBADF));
    assert_eq!(fdiscard(fd, 0, -1), Err(Errno::EINVAL));
    assert_eq!(get(k, &fx.p("f")), b"data");
    k.sys_close(fd as i32).unwrap();
    k.sys_close(ro as i32).unwrap();
}

/// ioctl and poll of a regular file and a directory, as NetBSD's vn_ioctl
/// and VOP_POLL answer: FIONWRITE and FIONSPACE are 0 everywhere; a
/// command no file system knows is ENOTTY (`genfs_enoioctl`), but
/// EOPNOTSUPP on rumpfs, which has no VOP_IOCTL; poll is "always ready",
/// but on rumpfs, which has no VOP_POLL, the bits of EOPNOTSUPP. And
/// `open(O_CREAT)` of the root or of a mount point is EEXIST (namei for
/// CREATE has no parent to give).
pub(crate) fn ioctl_poll_and_creating_the_root(fx: &Fx) {
    let k = &fx.k;
    let us = user();
    put(k, &fx.p("f"), b"data");
    let f = k.sys_open(&fx.p("f"), O_RDWR, 0).unwrap() as u64;
    let d = k.sys_open(&fx.mp, O_RDONLY | O_DIRECTORY, 0).unwrap() as u64;
    let rumpfs = fx.fs == Fs::Rumpfs;
    // A disk's command, which no file system knows.
    use rumpvfs::rumpblk::DIOCGDINFO;
    let unknown = if rumpfs {
        Errno::EOPNOTSUPP
    } else {
        Errno::ENOTTY
    };
    for fd in [f, d] {
        for cmd in [abi::FIONWRITE, abi::FIONSPACE] {
            us.poke(U_OUT, &7i32.to_ne_bytes());
            assert_eq!(call(k, abi::SYS_ioctl, &[fd, cmd, U_OUT], &us), Ok(0));
            assert_eq!(us.peek(U_OUT, 4), 0i32.to_ne_bytes());
        }
        assert_eq!(
            call(k, abi::SYS_ioctl, &[fd, DIOCGDINFO, U_OUT], &us),
            Err(unknown)
        );
        let mut pfd = vec![0u8; abi::layout::pollfd::SIZE];
        abi::layout::pollfd::fd.put(&mut pfd, fd);
        abi::layout::pollfd::events.put(&mut pfd, abi::POLLIN as u64);
        us.poke(U_STR, &pfd);
        assert_eq!(call(k, abi::SYS_poll, &[U_STR, 1, 0], &us), Ok(1));
        let revents = abi::layout::pollfd::revents.get(&us.peek(U_STR, pfd.len()));
        let want = if rumpfs {
            Errno::EOPNOTSUPP.0 as u64
        } else {
            abi::POLLIN as u64
        };
        assert_eq!(revents, Some(want));
        k.sys_close(fd as i32).unwrap();
    }
    assert_errno!(k.sys_open("/", O_CREAT | O_RDONLY, 0o644), Errno::EEXIST);
    let mp = k.sys_open(&fx.mp, O_CREAT | O_RDONLY, 0o644);
    if fx.is_mount() {
        assert_errno!(mp, Errno::EEXIST);
    } else {
        k.sys_close(mp.unwrap()).unwrap();
    }
    let dot = k.sys_open(&fx.p("."), O_CREAT | O_RDONLY, 0o644).unwrap();
    k.sys_close(dot).unwrap();
}
