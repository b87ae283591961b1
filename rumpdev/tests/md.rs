//! md in one kernel: its nodes, MD_SETCONF and MD_GETCONF, the disk
//! ioctls, transfers at the end of the unit, memory charged to
//! RUMP_MEMLIMIT, and an FFS made on `/dev/rmd0a` and mounted through
//! `/dev/md0a`.

mod common;

use common::*;
use rump::devsw::makedev;
use rump::{BootConfig, Errno};
use rumpdev::disk::label::{Disklabel, disklabel};
use rumpdev::disk::{DIOCGDINFO, DIOCGDISKINFO, DIOCGMEDIASIZE, DIOCGSECTORSIZE};
use rumpdev::md::mdio::{
    MD_GETCONF, MD_KMEM_ALLOCATED, MD_KMEM_FIXED, MD_SETCONF, MD_UMEM_SERVER, MD_UNCONFIGURED,
    md_conf,
};
use rumpdev::md::{DKTYPE_MD, MD_BMAJOR, MD_CMAJOR};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;

fn getconf(k: &rump::Kernel, fd: i32) -> (u64, u64, u32) {
    let out = ioctl(k, fd, MD_GETCONF, &[0xaa; md_conf::SIZE]).unwrap();
    (
        md_conf::md_addr.get(&out).unwrap(),
        md_conf::md_size.get(&out).unwrap(),
        md_conf::md_type.get(&out).unwrap() as u32,
    )
}

fn setconf(k: &rump::Kernel, fd: i32, size: u64, ty: u32) -> Result<(), Errno> {
    let mut arg = [0u8; md_conf::SIZE];
    md_conf::md_size.put(&mut arg, size);
    md_conf::md_type.put(&mut arg, u64::from(ty));
    ioctl(k, fd, MD_SETCONF, &arg).map(drop)
}

#[test]
fn nodes_are_netbsds() {
    let k = boot();
    for (p, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let b = k.sys_stat(&format!("/dev/md0{name}")).unwrap();
        assert_eq!(b.mode, S_IFBLK | 0o644);
        assert_eq!(b.rdev, makedev(MD_BMAJOR, p as u32));
        let c = k.sys_stat(&format!("/dev/rmd0{name}")).unwrap();
        assert_eq!(c.mode, S_IFCHR | 0o644);
        assert_eq!(c.rdev, makedev(MD_CMAJOR, p as u32));
    }
    assert_eq!((MD_BMAJOR, MD_CMAJOR), (17, 24));
    assert_eq!(k.sys_stat("/dev/md0h").unwrap_err(), Errno::ENOENT);
}

#[test]
fn set_get_and_the_disk_ioctls() {
    let k = boot();
    // Unconfigured: only the raw partition opens.
    assert_eq!(
        k.sys_open("/dev/rmd0a", O_RDWR, 0).unwrap_err(),
        Errno::ENXIO
    );
    assert_eq!(
        k.sys_open("/dev/md0a", O_RDWR, 0).unwrap_err(),
        Errno::ENXIO
    );
    let fd = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    assert_eq!(getconf(&k, fd), (0, 0, MD_UNCONFIGURED));
    // Disk ioctls of an unconfigured unit fall to md's own: EINVAL.
    assert_eq!(
        ioctl(&k, fd, DIOCGDINFO, &[0; disklabel::SIZE]).unwrap_err(),
        Errno::EINVAL
    );
    let mut buf = [0u8; 512];
    assert_eq!(k.sys_read(fd, &mut buf).unwrap_err(), Errno::ENXIO);
    // Types md takes from no ioctl, and the user-memory server.
    assert_eq!(setconf(&k, fd, 1 << 20, MD_KMEM_FIXED), Err(Errno::EINVAL));
    assert_eq!(setconf(&k, fd, 1 << 20, 9), Err(Errno::EINVAL));
    assert_eq!(
        setconf(&k, fd, 1 << 20, MD_UMEM_SERVER),
        Err(Errno::EOPNOTSUPP)
    );
    // 4 MiB of kernel memory.
    setconf(&k, fd, 4 << 20, MD_KMEM_ALLOCATED).unwrap();
    assert_eq!(getconf(&k, fd), (0, 4 << 20, MD_KMEM_ALLOCATED));
    assert_eq!(
        setconf(&k, fd, 1 << 20, MD_KMEM_ALLOCATED),
        Err(Errno::EINVAL)
    );
    let out = ioctl(&k, fd, DIOCGMEDIASIZE, &[0; 8]).unwrap();
    assert_eq!(u64::from_le_bytes(out.try_into().unwrap()), 4 << 20);
    let out = ioctl(&k, fd, DIOCGSECTORSIZE, &[0; 4]).unwrap();
    assert_eq!(u32::from_le_bytes(out.try_into().unwrap()), 512);
    assert_eq!(
        ioctl(&k, fd, DIOCGDISKINFO, &[0; 16]).unwrap_err(),
        Errno::EOPNOTSUPP
    );
    let l =
        Disklabel::from_bytes(&ioctl(&k, fd, DIOCGDINFO, &[0; disklabel::SIZE]).unwrap()).unwrap();
    assert!(l.is_valid());
    assert_eq!(l.get(disklabel::d_type), u64::from(DKTYPE_MD));
    assert_eq!(l.get(disklabel::d_secperunit), 8192);
    assert_eq!(l.partition(0).size, 8192);
    // Partition a opens now, and the raw one is the whole unit.
    let a = k.sys_open("/dev/rmd0a", O_RDWR, 0).unwrap();
    assert_eq!(fstat_size(&k, a), 4 << 20);
    // Other partitions' ioctls that are not the disk's: ENOTTY.
    assert_eq!(
        ioctl(&k, a, MD_GETCONF, &[0; md_conf::SIZE]).unwrap_err(),
        Errno::ENOTTY
    );
    // Transfers: round trip, short at the end, EOF there, EIO past it
    // for a write, whole blocks only.
    let data: Vec<u8> = (0..8192u32).map(|i| (i * 7) as u8).collect();
    assert_eq!(k.sys_pwrite(a, &data, 512 * 100).unwrap(), data.len());
    let mut back = vec![0u8; data.len()];
    assert_eq!(k.sys_pread(fd, &mut back, 512 * 100).unwrap(), data.len());
    assert_eq!(back, data);
    let end = 4 << 20;
    assert_eq!(k.sys_pread(fd, &mut back, end - 1024).unwrap(), 1024);
    assert_eq!(k.sys_pread(fd, &mut back, end).unwrap(), 0);
    assert_eq!(k.sys_pwrite(fd, &data, end - 512).unwrap(), 512);
    assert_eq!(k.sys_pwrite(fd, &data, end).unwrap_err(), Errno::EIO);
    assert_eq!(k.sys_pread(fd, &mut back, 100).unwrap_err(), Errno::EINVAL);
    // The unit stays configured after the last close.
    k.sys_close(a).unwrap();
    k.sys_close(fd).unwrap();
    let fd = k.sys_open("/dev/rmd0d", O_RDONLY, 0).unwrap();
    assert_eq!(getconf(&k, fd).1, 4 << 20);
    let mut back = vec![0u8; data.len()];
    assert_eq!(k.sys_pread(fd, &mut back, 512 * 100).unwrap(), data.len());
    assert_eq!(back, data);
    k.sys_close(fd).unwrap();
}

#[test]
fn memory_is_charged_to_the_limit() {
    let k = boot_with(BootConfig {
        memlimit: Some(64 << 20),
        ..BootConfig::default()
    });
    let fd = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    let before = k.kmem().used();
    assert_eq!(
        setconf(&k, fd, 1 << 30, MD_KMEM_ALLOCATED),
        Err(Errno::ENOMEM)
    );
    assert_eq!(
        setconf(&k, fd, u64::MAX, MD_KMEM_ALLOCATED),
        Err(Errno::ENOMEM)
    );
    assert_eq!(getconf(&k, fd), (0, 0, MD_UNCONFIGURED));
    // The kernel still serves, and a unit that fits is made and charged.
    setconf(&k, fd, 8 << 20, MD_KMEM_ALLOCATED).unwrap();
    assert!(k.kmem().used() >= before + (8 << 20));
    // A second unit past what is left: ENOMEM, the first one unharmed.
    mknod(
        &k,
        "/dev/rmd1d",
        S_IFCHR | 0o600,
        makedev(MD_CMAJOR, 16 + 3),
    );
    let fd1 = k.sys_open("/dev/rmd1d", O_RDWR, 0).unwrap();
    assert_eq!(
        setconf(&k, fd1, 60 << 20, MD_KMEM_ALLOCATED),
        Err(Errno::ENOMEM)
    );
    assert_eq!(getconf(&k, fd).1, 8 << 20);
    setconf(&k, fd1, 1 << 20, MD_KMEM_ALLOCATED).unwrap();
    assert_eq!(getconf(&k, fd1), (0, 1 << 20, MD_KMEM_ALLOCATED));
    k.sys_close(fd1).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn ffs_on_md() {
    let k = boot();
    let ctl = k.sys_open("/dev/rmd0d", O_RDWR, 0).unwrap();
    md_kalloc(&k, ctl, 16 << 20).unwrap();
    ffs_round_trip(&k, "/dev/rmd0a", "/dev/md0a", 16 << 20);
    k.sys_close(ctl).unwrap();
}
