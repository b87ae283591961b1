//! The mount flags a mount keeps, as NetBSD's `mnt_flag`: `statvfs` shows
//! them, `nodev` refuses device opens, `noatime` leaves access times
//! alone, `synchronous` writes through; flags of features not built are
//! EOPNOTSUPP; `MNT_UPDATE` replaces them as a whole.

use netbsd_abi::layout::tmpfs_args;
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;

const BASE: u64 = 0x1000;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .unwrap()
}

/// `mount("tmpfs", path, flags, &tmpfs_args)` by number.
fn mount_tmpfs(k: &Kernel, path: &str, flags: i32) -> Result<(), Errno> {
    let us = BufferSpace::new(BASE, 4096);
    let mut ta = vec![0u8; tmpfs_args::SIZE];
    tmpfs_args::ta_version.put(&mut ta, netbsd_abi::TMPFS_ARGS_VERSION as u64);
    tmpfs_args::ta_root_mode.put(&mut ta, 0o755);
    us.poke(BASE, b"tmpfs\0");
    us.poke(BASE + 64, format!("{path}\0").as_bytes());
    us.poke(BASE + 512, &ta);
    k.syscall(
        netbsd_abi::SYS___mount50,
        &[
            BASE,
            BASE + 64,
            flags as u32 as u64,
            BASE + 512,
            ta.len() as u64,
        ],
        &us,
    )
    .map(drop)
}

#[test]
fn kept_flags_show_and_act() {
    let k = boot();
    k.sys_mkdir("/m", 0o755).unwrap();
    let flags = netbsd_abi::MNT_NODEV | netbsd_abi::MNT_NOSUID | netbsd_abi::MNT_NOEXEC;
    mount_tmpfs(&k, "/m", flags).unwrap();
    let f = k.sys_statvfs("/m").unwrap().flag;
    assert_eq!(f & 0xffff_ffff & MNT_KEPT as u64, flags as u64, "{f:#x}");
    assert_ne!(f & MNT_LOCAL, 0);
    // nodev: /dev/null's twin on it does not open; the root's does.
    let us = BufferSpace::new(BASE, 64);
    us.poke(BASE, b"/m/null\0");
    // makedev(2, 2): mm's null, as /dev/null.
    let null = u64::from(S_IFCHR | 0o666);
    k.syscall(netbsd_abi::SYS___mknod50, &[BASE, null, 0x0202], &us)
        .unwrap();
    assert_eq!(k.sys_open("/m/null", O_RDWR, 0), Err(Errno::ENXIO));
    let fd = k.sys_open("/dev/null", O_RDWR, 0).unwrap();
    k.sys_close(fd).unwrap();
    // MNT_UPDATE replaces the basic flags as a whole (mount_update).
    mount_tmpfs(&k, "/m", MNT_UPDATE | netbsd_abi::MNT_NOSUID).unwrap();
    let f = k.sys_statvfs("/m").unwrap().flag;
    assert_eq!(f & MNT_KEPT as u64, netbsd_abi::MNT_NOSUID as u64, "{f:#x}");
    let fd = k.sys_open("/m/null", O_RDWR, 0).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn noatime_leaves_access_times_and_synchronous_writes_through() {
    let k = boot();
    for (dir, flags) in [
        ("/a", 0),
        ("/n", netbsd_abi::MNT_NOATIME | netbsd_abi::MNT_SYNCHRONOUS),
    ] {
        k.sys_mkdir(dir, 0o755).unwrap();
        mount_tmpfs(&k, dir, flags).unwrap();
        let f = format!("{dir}/f");
        let fd = k.sys_open(&f, O_CREAT | O_RDWR, 0o644).unwrap();
        assert_eq!(k.sys_write(fd, b"data"), Ok(4));
        k.sys_close(fd).unwrap();
        k.sys_utimes(&f, (1, 0), (1, 0)).unwrap();
        let fd = k.sys_open(&f, O_RDONLY, 0).unwrap();
        assert_eq!(k.sys_read(fd, &mut [0u8; 8]), Ok(4));
        k.sys_close(fd).unwrap();
        let atime = k.sys_stat(&f).unwrap().atime;
        if flags == 0 {
            assert_ne!(atime, (1, 0), "a read stamps the access time");
        } else {
            assert_eq!(atime, (1, 0), "noatime: a read leaves it");
        }
    }
}

#[test]
fn flags_of_features_not_built_are_refused() {
    let k = boot();
    k.sys_mkdir("/m", 0o755).unwrap();
    for flag in [
        netbsd_abi::MNT_UNION,
        netbsd_abi::MNT_LOG,
        netbsd_abi::MNT_EXTATTR,
        netbsd_abi::MNT_RELATIME,
        netbsd_abi::MNT_NODEVMTIME,
    ] {
        assert_eq!(
            mount_tmpfs(&k, "/m", flag),
            Err(Errno::EOPNOTSUPP),
            "{flag:#x}"
        );
    }
    mount_tmpfs(&k, "/m", 0).unwrap();
    assert_eq!(
        mount_tmpfs(&k, "/m", MNT_UPDATE | netbsd_abi::MNT_UNION),
        Err(Errno::EOPNOTSUPP)
    );
}
