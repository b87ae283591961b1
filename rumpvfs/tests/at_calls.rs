//! The `*at` calls by number: paths relative to a directory descriptor,
//! `AT_FDCWD`, and the flags each takes.

use netbsd_abi::layout::{flock, stat, statvfs, tmpfs_args};
use netbsd_abi::{
    AT_FDCWD, AT_REMOVEDIR, IOV_MAX, MNT_RDONLY, ST_RDONLY, TMPFS_ARGS_VERSION, UTIME_OMIT,
};
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;

const B: u64 = 0x10000;
/// `FFILESYNC` (`sys/fcntl.h`), which netbsd_abi's data lacks.
const FFILESYNC: u64 = 0x20;

fn put(us: &BufferSpace, at: u64, s: &str) -> u64 {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    us.poke(at, &v);
    at
}

#[test]
fn relative_to_a_directory_descriptor() {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap();
    let us = BufferSpace::new(B, 1 << 16);
    k.sys_mkdir("/d", 0o755).unwrap();
    // renameat and linkat need a file system that renames and links:
    // NetBSD's rumpfs, the root, does neither (EOPNOTSUPP).
    k.sys_open("/r", O_CREAT | O_RDWR, 0o644).unwrap();
    let (r, r2) = (put(&us, B + 384, "/r"), put(&us, B + 448, "/r2"));
    for nr in [netbsd_abi::SYS_renameat, netbsd_abi::SYS_linkat] {
        let args: &[u64] = if nr == netbsd_abi::SYS_linkat {
            &[AT_FDCWD as u64, r, AT_FDCWD as u64, r2, 0]
        } else {
            &[AT_FDCWD as u64, r, AT_FDCWD as u64, r2]
        };
        assert_eq!(k.syscall(nr, args, &us).unwrap_err(), Errno::EOPNOTSUPP);
    }
    k.sys_mount("tmpfs", "/d", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    let dfd = k.sys_open("/d", O_RDONLY | O_DIRECTORY, 0).unwrap() as u64;
    let (f, sub, g, sg, l) = (
        put(&us, B, "f"),
        put(&us, B + 64, "sub"),
        put(&us, B + 128, "g"),
        put(&us, B + 192, "sub/g"),
        put(&us, B + 256, "l"),
    );
    // openat(dfd, "f", O_CREAT|O_RDWR); fstatat(dfd, "f")
    let fd = k
        .syscall(
            netbsd_abi::SYS_openat,
            &[dfd, f, (O_CREAT | O_RDWR) as u64, 0o644],
            &us,
        )
        .unwrap()[0] as i32;
    k.sys_write(fd, b"at").unwrap();
    k.syscall(netbsd_abi::SYS_fstatat, &[dfd, f, B + 0x1000, 0], &us)
        .unwrap();
    assert_eq!(
        i64::from_le_bytes(
            us.peek(B + 0x1000 + stat::st_size.offset as u64, 8)
                .try_into()
                .unwrap()
        ),
        2
    );
    assert_eq!(k.sys_stat("/d/f").unwrap().size, 2);
    // mkdirat, renameat into it, unlinkat with and without AT_REMOVEDIR
    k.syscall(netbsd_abi::SYS_mkdirat, &[dfd, sub, 0o755], &us)
        .unwrap();
    k.syscall(netbsd_abi::SYS_renameat, &[dfd, f, dfd, sg], &us)
        .unwrap();
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_unlinkat,
            &[dfd, sub, AT_REMOVEDIR as u64],
            &us
        )
        .unwrap_err(),
        Errno::ENOTEMPTY
    );
    // linkat, symlinkat, readlinkat
    k.syscall(netbsd_abi::SYS_linkat, &[dfd, sg, dfd, g, 0], &us)
        .unwrap();
    assert_eq!(k.sys_stat("/d/g").unwrap().nlink, 2);
    k.syscall(netbsd_abi::SYS_symlinkat, &[g, dfd, l], &us)
        .unwrap();
    let n = k
        .syscall(netbsd_abi::SYS_readlinkat, &[dfd, l, B + 0x2000, 64], &us)
        .unwrap()[0] as usize;
    assert_eq!(us.peek(B + 0x2000, n), b"g");
    k.syscall(netbsd_abi::SYS_unlinkat, &[dfd, sg, 0], &us)
        .unwrap();
    k.syscall(
        netbsd_abi::SYS_unlinkat,
        &[dfd, sub, AT_REMOVEDIR as u64],
        &us,
    )
    .unwrap();
    // AT_FDCWD is the current directory; an absolute path ignores the descriptor.
    k.sys_chdir("/d").unwrap();
    k.syscall(
        netbsd_abi::SYS_fstatat,
        &[AT_FDCWD as u64, g, B + 0x1000, 0],
        &us,
    )
    .unwrap();
    let abs = put(&us, B + 320, "/d/g");
    k.syscall(netbsd_abi::SYS_fstatat, &[9999, abs, B + 0x1000, 0], &us)
        .unwrap();
    // A descriptor of a file is ENOTDIR; unknown flags are EINVAL.
    let ffd = k.sys_open("/d/g", O_RDONLY, 0).unwrap() as u64;
    assert_eq!(
        k.syscall(netbsd_abi::SYS_fstatat, &[ffd, g, B + 0x1000, 0], &us)
            .unwrap_err(),
        Errno::ENOTDIR
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_fstatat, &[dfd, g, B + 0x1000, 0x4000], &us)
            .unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(
        k.syscall(netbsd_abi::SYS_fstatat, &[777, g, B + 0x1000, 0], &us)
            .unwrap_err(),
        Errno::EBADF
    );
}

#[test]
fn times_fsync_range_and_getvfsstat() {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap();
    let us = BufferSpace::new(B, 1 << 16);
    let fd = k.sys_open("/t", O_CREAT | O_RDWR, 0o666).unwrap();
    let before = k.sys_fstat(fd).unwrap();
    // futimens: atime UTIME_OMIT, mtime explicit.
    let mut ts = Vec::new();
    for (s, n) in [(0i64, UTIME_OMIT as i64), (1_000_000, 5)] {
        ts.extend_from_slice(&s.to_le_bytes());
        ts.extend_from_slice(&n.to_le_bytes());
    }
    us.poke(B, &ts);
    k.syscall(netbsd_abi::SYS_futimens, &[fd as u64, B], &us)
        .unwrap();
    let after = k.sys_fstat(fd).unwrap();
    assert_eq!(after.atime, before.atime, "UTIME_OMIT left atime alone");
    assert_eq!(after.mtime, (1_000_000, 5));
    // Another user: "now" needs only write access, explicit times the owner.
    k.sys_fchmod(fd, 0o666).unwrap();
    k.lwproc_rfork(0).unwrap();
    k.sys_setuid(9).unwrap();
    k.syscall(netbsd_abi::SYS_futimens, &[fd as u64, 0], &us)
        .unwrap();
    assert_eq!(
        k.syscall(netbsd_abi::SYS_futimens, &[fd as u64, B], &us)
            .unwrap_err(),
        Errno::EPERM
    );
    k.lwproc_releaselwp();
    // fsync_range wants FDATASYNC or FFILESYNC.
    k.syscall(
        netbsd_abi::SYS_fsync_range,
        &[fd as u64, FFILESYNC, 0, 0],
        &us,
    )
    .unwrap();
    assert_eq!(
        k.syscall(netbsd_abi::SYS_fsync_range, &[fd as u64, 0, 0, 0], &us)
            .unwrap_err(),
        Errno::EINVAL
    );
    // getvfsstat: the root and a tmpfs.
    k.sys_mkdir("/m", 0o755).unwrap();
    k.sys_mount("tmpfs", "/m", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    assert_eq!(
        k.syscall(netbsd_abi::SYS_getvfsstat, &[0, 0, 1], &us)
            .unwrap()[0],
        2
    );
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_getvfsstat,
            &[B, 2 * statvfs::SIZE as u64, 1],
            &us
        )
        .unwrap()[0],
        2
    );
    assert_eq!(
        &us.peek(B + (statvfs::SIZE + statvfs::f_fstypename.offset) as u64, 5),
        b"tmpfs"
    );
    // f_namemax is namei's limit on both, as NetBSD's rumpfs and tmpfs say.
    let all = us.peek(B, 2 * statvfs::SIZE);
    for one in all.chunks(statvfs::SIZE) {
        assert_eq!(statvfs::f_namemax.get(one), Some(255), "f_namemax");
    }
}

#[test]
fn vector_io_and_read_only_mounts() {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap();
    let us = BufferSpace::new(B, 1 << 16);
    let fd = k.sys_open("/v", O_CREAT | O_RDWR, 0o644).unwrap() as u64;
    // writev of three buffers, then readv into two of other sizes.
    us.poke(B, b"abcdefghij");
    let iov = |pairs: &[(u64, u64)]| {
        pairs
            .iter()
            .flat_map(|(b, l)| [b.to_le_bytes(), l.to_le_bytes()])
            .flatten()
            .collect::<Vec<u8>>()
    };
    us.poke(B + 0x100, &iov(&[(B, 3), (B + 3, 4), (B + 7, 3)]));
    assert_eq!(
        k.syscall(netbsd_abi::SYS_writev, &[fd, B + 0x100, 3], &us)
            .unwrap()[0],
        10
    );
    us.poke(B + 0x200, &iov(&[(B + 0x1000, 6), (B + 0x2000, 6)]));
    assert_eq!(
        k.syscall(netbsd_abi::SYS_preadv, &[fd, B + 0x200, 2, 0, 0], &us)
            .unwrap()[0],
        10,
        "preadv at 0"
    );
    assert_eq!(us.peek(B + 0x1000, 6), b"abcdef");
    assert_eq!(us.peek(B + 0x2000, 4), b"ghij");
    // pwritev at an offset leaves the file offset alone.
    us.poke(B + 0x300, &iov(&[(B, 2)]));
    assert_eq!(
        k.syscall(netbsd_abi::SYS_pwritev, &[fd, B + 0x300, 1, 0, 20], &us)
            .unwrap()[0],
        2
    );
    assert_eq!(k.sys_fstat(fd as i32).unwrap().size, 22);
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_writev,
            &[fd, B + 0x100, IOV_MAX as u64 + 1],
            &us
        )
        .unwrap_err(),
        Errno::EINVAL,
        "IOV_MAX"
    );
    // A tmpfs mounted read-only takes no writes.
    k.sys_mkdir("/ro", 0o755).unwrap();
    us.poke(B + 0x400, b"tmpfs\0");
    us.poke(B + 0x410, b"/ro\0");
    let mut ta = [0u8; tmpfs_args::SIZE];
    assert!(tmpfs_args::ta_version.put(&mut ta, TMPFS_ARGS_VERSION as u64));
    assert!(tmpfs_args::ta_root_mode.put(&mut ta, 0o777));
    us.poke(B + 0x420, &ta);
    k.syscall(
        netbsd_abi::SYS___mount50,
        &[
            B + 0x400,
            B + 0x410,
            MNT_RDONLY as u64,
            B + 0x420,
            tmpfs_args::SIZE as u64,
        ],
        &us,
    )
    .unwrap();
    assert_eq!(
        k.sys_open("/ro/f", O_CREAT | O_RDWR, 0o644).unwrap_err(),
        Errno::EROFS
    );
    assert_eq!(k.sys_mkdir("/ro/d", 0o755).unwrap_err(), Errno::EROFS);
    assert_eq!(
        k.sys_statvfs("/ro").unwrap().flag & ST_RDONLY as u64,
        ST_RDONLY as u64
    );
}

#[test]
fn flock_locks_belong_to_the_open_file_and_meet_record_locks() {
    use rumpvfs::lockf::{LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN};
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let a = k.sys_open("/f", O_CREAT | O_RDWR, 0o644).unwrap();
    let b = k.sys_open("/f", O_RDWR, 0).unwrap();
    k.sys_flock(a, LOCK_EX).unwrap();
    assert_eq!(k.sys_flock(b, LOCK_SH | LOCK_NB), Err(Errno::EAGAIN));
    // A duplicate is the same open file: the lock is its own, and stays
    // until the last descriptor of the file is closed.
    let us = BufferSpace::new(B, 4096);
    let [d, _] = k.syscall(netbsd_abi::SYS_dup, &[a as u64], &us).unwrap();
    let d = d as i32;
    k.sys_flock(d, LOCK_EX | LOCK_NB).unwrap();
    k.sys_close(a).unwrap();
    assert_eq!(k.sys_flock(b, LOCK_EX | LOCK_NB), Err(Errno::EAGAIN));
    // As NetBSD's: a record lock over the file meets the flock lock.
    // fcntl(b, F_SETLK, {start 0, len 0, pid 0, F_WRLCK, SEEK_SET})
    let mut fl = [0u8; flock::SIZE];
    assert!(flock::l_type.put(&mut fl, netbsd_abi::F_WRLCK as u64));
    assert!(flock::l_whence.put(&mut fl, netbsd_abi::SEEK_SET as u64));
    us.poke(B, &fl);
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS_fcntl,
            &[b as u64, netbsd_abi::F_SETLK as u64, B],
            &us
        ),
        Err(Errno::EAGAIN)
    );
    k.sys_close(d).unwrap();
    k.sys_flock(b, LOCK_SH | LOCK_NB).unwrap();
    k.sys_flock(b, LOCK_UN).unwrap();
    assert_eq!(k.sys_flock(b, 0), Err(Errno::EINVAL));
    k.sys_close(b).unwrap();
}
