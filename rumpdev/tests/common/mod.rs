//! What the disk tests share: a kernel with md, ioctls through the system
//! call, device nodes, and a raw disk our newfs and fsck can use.

#![allow(dead_code)]

use netbsd_abi::{SYS___fstat50, SYS___mknod50, SYS_ioctl};
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpdev::md::mdio::{MD_KMEM_ALLOCATED, MD_SETCONF, md_conf};
use rumpfs_ffs::dev::RawDiskDev;
use rumpvfs::VfsCalls;
use std::sync::Arc;

/// Where the test's arguments live in the simulated caller.
pub const UVA: u64 = 0x1000;
/// The argument structure's place.
pub const ARG: u64 = UVA;
/// Room for what an ioctl copies out elsewhere (`DIOCLWEDGES`' array).
pub const OUT: u64 = UVA + 0x1000;

/// A kernel with tmpfs, FFS, the device faction and md, under `config`.
pub fn boot_with(config: BootConfig) -> Arc<Kernel> {
    KernelBuilder::new()
        .config(config)
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev::md::COMPONENT)
        .boot()
        .unwrap()
}

/// [`boot_with`] the default configuration.
pub fn boot() -> Arc<Kernel> {
    boot_with(BootConfig::default())
}

/// The caller's memory for one call: 8 KiB at [`UVA`].
pub fn space() -> BufferSpace {
    BufferSpace::new(UVA, 0x2000)
}

/// `ioctl(fd, cmd, arg)` with `arg` at [`ARG`]: what the kernel left there.
pub fn ioctl(k: &Kernel, fd: i32, cmd: u64, arg: &[u8]) -> Result<Vec<u8>, Errno> {
    let us = space();
    us.poke(ARG, arg);
    ioctl_in(k, fd, cmd, &us)?;
    Ok(us.peek(ARG, arg.len()))
}

/// `ioctl(fd, cmd, ARG)` in the caller's memory `us`.
pub fn ioctl_in(k: &Kernel, fd: i32, cmd: u64, us: &BufferSpace) -> Result<(), Errno> {
    k.syscall(SYS_ioctl, &[fd as u64, cmd, ARG], us).map(drop)
}

/// `mknod(path, mode, dev)`.
pub fn mknod(k: &Kernel, path: &str, mode: u32, dev: u64) {
    let us = space();
    us.poke(ARG, path.as_bytes());
    us.poke(ARG + path.len() as u64, &[0]);
    k.syscall(SYS___mknod50, &[ARG, u64::from(mode), dev], &us)
        .unwrap();
}

/// `fstat(fd)`'s `st_size`.
pub fn fstat_size(k: &Kernel, fd: i32) -> u64 {
    let us = space();
    k.syscall(SYS___fstat50, &[fd as u64, ARG], &us).unwrap();
    let st = us.peek(ARG, netbsd_abi::layout::stat::SIZE);
    netbsd_abi::layout::stat::st_size.get(&st).unwrap()
}

/// `MD_SETCONF` of `size` bytes of kernel memory on the open raw `fd`.
pub fn md_kalloc(k: &Kernel, fd: i32, size: u64) -> Result<(), Errno> {
    let mut arg = [0u8; md_conf::SIZE];
    md_conf::md_size.put(&mut arg, size);
    md_conf::md_type.put(&mut arg, u64::from(MD_KMEM_ALLOCATED));
    ioctl(k, fd, MD_SETCONF, &arg).map(drop)
}

/// newfs on the raw device `raw` (of `size` bytes), then mount the block
/// device `block` on `/mnt`, write a file, unmount, mount again read-only,
/// read it back, unmount, and fsck through the raw device: no problems.
pub fn ffs_round_trip(k: &Arc<Kernel>, raw: &str, block: &str, size: u64) {
    use rumpvfs::flags::*;
    let fd = k.sys_open(raw, O_RDWR, 0).unwrap();
    assert_eq!(fstat_size(k, fd), size);
    let disk = Arc::new(RawDiskDev::new(Arc::clone(k), fd, size));
    rumpfs_ffs::mkfs::newfs(disk, &rumpfs_ffs::mkfs::Params::default()).unwrap();
    k.sys_close(fd).unwrap();
    let _ = k.sys_mkdir("/mnt", 0o755);
    k.sys_mount_dev("ffs", block, "/mnt", 0).unwrap();
    let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    k.sys_mkdir("/mnt/d", 0o755).unwrap();
    let f = k.sys_open("/mnt/d/file", O_CREAT | O_RDWR, 0o644).unwrap();
    assert_eq!(k.sys_write(f, &text).unwrap(), text.len());
    k.sys_close(f).unwrap();
    k.sys_unmount("/mnt", 0).unwrap();
    k.sys_mount_dev("ffs", block, "/mnt", MNT_RDONLY).unwrap();
    let f = k.sys_open("/mnt/d/file", O_RDONLY, 0).unwrap();
    let mut back = vec![0u8; text.len() + 10];
    let mut got = 0;
    loop {
        let n = k.sys_read(f, &mut back[got..]).unwrap();
        if n == 0 {
            break;
        }
        got += n;
    }
    assert_eq!(&back[..got], &text[..]);
    k.sys_close(f).unwrap();
    k.sys_unmount("/mnt", 0).unwrap();
    let fd = k.sys_open(raw, O_RDONLY, 0).unwrap();
    let disk = Arc::new(RawDiskDev::new(Arc::clone(k), fd, size));
    let mut said = Vec::new();
    let out = rumpfs_ffs::check::check(disk, false, &mut |s| said.push(s.to_owned())).unwrap();
    assert_eq!(out.problems, 0, "{said:?}");
    k.sys_close(fd).unwrap();
}
