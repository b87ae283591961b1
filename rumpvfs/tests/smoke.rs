//! A first pass through the VFS: the root, tmpfs, files, directories,
//! links and renames. The conformance suite goes case by case.

use rump::{BootConfig, Errno, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;

/// A kernel with the VFS faction and tmpfs, booted with `cfg`.
fn boot_with_tmpfs(cfg: BootConfig) -> std::sync::Arc<rump::Kernel> {
    KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap()
}

#[test]
fn files_dirs_links_tmpfs() {
    let k = boot_with_tmpfs(BootConfig::default());
    k.sys_mkdir("/a", 0o755).unwrap();
    assert_eq!(k.sys_mkdir("/a", 0o755).unwrap_err(), Errno::EEXIST);
    let fd = k.sys_open("/a/f", O_CREAT | O_RDWR, 0o644).unwrap();
    assert_eq!(k.sys_write(fd, b"hello").unwrap(), 5);
    assert_eq!(k.sys_pwrite(fd, b"!", 10000).unwrap(), 1);
    let mut buf = [1u8; 8];
    assert_eq!(k.sys_pread(fd, &mut buf, 0).unwrap(), 8);
    assert_eq!(&buf, b"hello\0\0\0");
    assert_eq!(k.sys_fstat(fd).unwrap().size, 10001);
    k.sys_close(fd).unwrap();
    // The root (NetBSD's rumpfs) has neither hard links nor renames.
    assert_eq!(k.sys_link("/a/f", "/a/g").unwrap_err(), Errno::EOPNOTSUPP);
    assert_eq!(k.sys_rename("/a/f", "/a/h").unwrap_err(), Errno::EOPNOTSUPP);
    let fd = k.sys_open("/a/h", O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_symlink("f", "/a/l").unwrap();
    assert_eq!(k.sys_stat("/a/l").unwrap().size, 10001);
    assert_eq!(k.sys_lstat("/a/l").unwrap().mode & S_IFMT, S_IFLNK);
    assert_eq!(k.sys_rmdir("/a").unwrap_err(), Errno::ENOTEMPTY);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount("tmpfs", "/mnt", 0, &rumpfs_tmpfs::args(1 << 20, 0))
        .unwrap();
    assert_eq!(k.sys_statvfs("/mnt").unwrap().fstypename, "tmpfs");
    assert_eq!(k.sys_statvfs("/a").unwrap().fstypename, "rumpfs");
    k.sys_mkdir("/mnt/d", 0o700).unwrap();
    // tmpfs links and renames.
    let fd = k.sys_open("/mnt/d/f", O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_link("/mnt/d/f", "/mnt/d/g").unwrap();
    assert_eq!(k.sys_stat("/mnt/d/g").unwrap().nlink, 2);
    k.sys_rename("/mnt/d/g", "/mnt/d/h").unwrap();
    assert_eq!(k.sys_stat("/mnt/d/g").unwrap_err(), Errno::ENOENT);
    assert_eq!(k.sys_stat("/mnt/d/f").unwrap().nlink, 2);
    k.sys_unlink("/mnt/d/h").unwrap();
    k.sys_unlink("/mnt/d/f").unwrap();
    k.sys_chdir("/mnt/d").unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/mnt/d");
    let fd = k.sys_open("big", O_CREAT | O_WRONLY, 0o600).unwrap();
    let chunk = vec![7u8; 64 << 10];
    let mut total = 0;
    let err = loop {
        match k.sys_write(fd, &chunk) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!((900 << 10..=1 << 20).contains(&total), "{total}");
    // The target's file system is asked first: the root refuses.
    assert_eq!(
        k.sys_rename("/mnt/d/big", "/a/big").unwrap_err(),
        Errno::EOPNOTSUPP
    );
    assert_eq!(k.sys_rename("/a/h", "/mnt/d/h").unwrap_err(), Errno::EXDEV);
    let dfd = k.sys_open("/a", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let names: Vec<_> = k
        .sys_getdents(dfd)
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    // rumpfs lists no `.` or `..`, and the newest entry first.
    assert_eq!(names, [b"l".to_vec(), b"h".to_vec(), b"f".to_vec()]);
    k.sys_chdir("/").unwrap();
    // A file open on it keeps it mounted.
    assert_eq!(k.sys_unmount("/mnt", 0).unwrap_err(), Errno::EBUSY);
    k.sys_close(fd).unwrap();
    assert_eq!(k.sys_unmount("/mnt", 0).map_err(|e| e.name()), Ok(()));
}

#[test]
fn a_memory_limit_makes_tmpfs_fail_cleanly() {
    // 4 MiB of kernel memory: writes fail with ENOSPC, as NetBSD's tmpfs
    // at its memory limit, the kernel keeps working, and freeing the file
    // gives the memory back.
    let cfg = BootConfig {
        memlimit: Some(4 << 20),
        ..BootConfig::default()
    };
    let k = boot_with_tmpfs(cfg);
    k.sys_mkdir("/m", 0o755).unwrap();
    k.sys_mount("tmpfs", "/m", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    let fd = k.sys_open("/m/fill", O_CREAT | O_WRONLY, 0o644).unwrap();
    let chunk = vec![1u8; 64 << 10];
    let err = loop {
        match k.sys_write(fd, &chunk) {
            Ok(_) => {}
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert!(k.kmem().used() <= 4 << 20);
    // Still working: metadata, other files, and space comes back on unlink.
    k.sys_close(fd).unwrap();
    k.sys_unlink("/m/fill").unwrap();
    assert!(k.kmem().used() < 1 << 20, "pages freed with the file");
    let fd = k.sys_open("/m/again", O_CREAT | O_WRONLY, 0o644).unwrap();
    assert_eq!(k.sys_write(fd, &chunk).unwrap(), chunk.len());
}

#[test]
fn poll_select_and_chroot() {
    use rump::syscall::PollFd;
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    k.sys_mkdir("/jail", 0o755).unwrap();
    let fd = k.sys_open("/jail/f", O_CREAT | O_RDWR, 0o644).unwrap();
    // A file on the root (NetBSD's rumpfs, which has no VOP_POLL) answers
    // EOPNOTSUPP's bits, so it looks ready; a closed descriptor is
    // POLLNVAL; a wait with nothing ready times out.
    let mut fds = [
        PollFd {
            fd,
            events: 0x1 | 0x4,
            revents: 0,
        },
        PollFd {
            fd: 99,
            events: 0x1,
            revents: 0,
        },
    ];
    assert_eq!(k.sys_poll(&mut fds, 1000).unwrap(), 2);
    assert_eq!(
        (fds[0].revents, fds[1].revents),
        (Errno::EOPNOTSUPP.0 as i16, 0x20)
    );
    let t = std::time::Instant::now();
    assert_eq!(k.sys_poll(&mut [], 30).unwrap(), 0);
    assert!(t.elapsed() >= std::time::Duration::from_millis(30));
    // select by number: the file's bit comes back set in the read set.
    let us = rump::usermem::BufferSpace::new(0x1000, 4096);
    let mut set = [0u8; 4];
    set[fd as usize / 8] |= 1 << (fd % 8);
    us.poke(0x1000, &set);
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___select50,
            &[(fd + 1) as u64, 0x1000, 0, 0, 0],
            &us
        )
        .unwrap()[0],
        1
    );
    assert_eq!(us.peek(0x1000, 4), set);
    // chroot: "/" is the jail now, and ".." stops there.
    k.sys_chroot("/jail").unwrap();
    assert_eq!(k.sys_stat("/f").unwrap().ino, k.sys_fstat(fd).unwrap().ino);
    assert_eq!(
        k.sys_stat("/../../f").unwrap().ino,
        k.sys_fstat(fd).unwrap().ino
    );
    assert_eq!(k.sys_stat("/jail").unwrap_err(), Errno::ENOENT);
    k.lwproc_rfork(0).unwrap();
    k.sys_setuid(5).unwrap();
    assert_eq!(k.sys_chroot("/").unwrap_err(), Errno::EPERM);
}

#[test]
fn mknod_makes_device_nodes_root_only() {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let us = rump::usermem::BufferSpace::new(0x1000, 4096);
    us.poke(0x1000, b"/null\0");
    // __mknod50("/null", S_IFCHR|0666, makedev(2, 2))
    k.syscall(
        netbsd_abi::SYS___mknod50,
        &[0x1000, (S_IFCHR | 0o666) as u64, (2 << 8) | 2],
        &us,
    )
    .unwrap();
    let st = k.sys_stat("/null").unwrap();
    assert_eq!(st.mode & S_IFMT, S_IFCHR);
    assert_eq!(st.rdev, (2 << 8) | 2);
    // The null driver is behind it, as NetBSD's rumpvfs attaches it.
    let fd = k.sys_open("/null", O_RDWR, 0).unwrap();
    k.sys_close(fd).unwrap();
    // No driver at major 250: as NetBSD says for a device without one.
    us.poke(0x1000, b"/nodriver\0");
    k.syscall(
        netbsd_abi::SYS___mknod50,
        &[0x1000, (S_IFCHR | 0o666) as u64, 250 << 8],
        &us,
    )
    .unwrap();
    assert_eq!(
        k.sys_open("/nodriver", O_RDWR, 0).unwrap_err(),
        Errno::ENXIO
    );
    us.poke(0x1000, b"/bad\0");
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___mknod50,
            &[0x1000, S_IFDIR as u64 | 0o755, 0],
            &us
        )
        .unwrap_err(),
        Errno::EINVAL
    );
    k.lwproc_rfork(0).unwrap();
    k.sys_setuid(7).unwrap();
    us.poke(0x1000, b"/dev2\0");
    assert_eq!(
        k.syscall(
            netbsd_abi::SYS___mknod50,
            &[0x1000, (S_IFBLK | 0o600) as u64, 1],
            &us
        )
        .unwrap_err(),
        Errno::EPERM
    );
}

#[test]
fn the_root_has_tmp_and_a_mount_on_it_covers_it() {
    let k = boot_with_tmpfs(BootConfig::default());
    // As NetBSD's rump kernel: /tmp, sticky and open to all, from boot.
    assert_eq!(k.sys_stat("/tmp").unwrap().mode & 0o177777, 0o041777);
    // A file system mounted on / is what lookups from the root see, as
    // NetBSD's `mount_tmpfs tmpfs /` is; unmounting it shows rumpfs again.
    k.sys_mount("tmpfs", "/", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    assert_eq!(k.sys_stat("/tmp").unwrap_err(), Errno::ENOENT);
    k.sys_mkdir("/x", 0o755).unwrap();
    assert_eq!(k.sys_getcwd().unwrap(), "/");
    k.sys_unmount("/", 0).unwrap();
    assert!(k.sys_stat("/tmp").is_ok());
    assert_eq!(k.sys_stat("/x").unwrap_err(), Errno::ENOENT);
}
