//! Mount data reaches the file system type that reads it: tmpfs's
//! `tmpfs_args` and FFS's `ufs_args` are each checked by their own
//! component, and the VFS knows neither.

use netbsd_abi::layout::ufs_args;
use rump::{Errno, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;

fn boot() -> Arc<rump::Kernel> {
    KernelBuilder::new()
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .unwrap()
}

#[test]
fn tmpfs_reads_its_own_arguments() {
    let k = boot();
    k.sys_mkdir("/m", 0o755).unwrap();
    let good = rumpfs_tmpfs::TmpfsArgs {
        size_max: 1 << 20,
        uid: 7,
        gid: 8,
        mode: 0o750,
        ..Default::default()
    }
    .bytes();
    // Short data, and none at all, as NetBSD's tmpfs_mount: EINVAL.
    let short = &good[..good.len() - 1];
    assert_eq!(k.sys_mount("tmpfs", "/m", 0, short), Err(Errno::EINVAL));
    assert_eq!(k.sys_mount("tmpfs", "/m", 0, &[]), Err(Errno::EINVAL));
    k.sys_mount("tmpfs", "/m", 0, &good).unwrap();
    let st = k.sys_stat("/m").unwrap();
    assert_eq!((st.uid, st.gid, st.mode & 0o7777), (7, 8, 0o750));
    let vfs = k.sys_statvfs("/m").unwrap();
    assert_eq!(vfs.fstypename, "tmpfs");
    assert_eq!(vfs.blocks * vfs.frsize, 1 << 20);
    // An update reads no arguments.
    k.sys_mount("tmpfs", "/m", MNT_UPDATE | MNT_RDONLY, &[])
        .unwrap();
    assert_eq!(k.sys_mkdir("/m/d", 0o755), Err(Errno::EROFS));
}

#[test]
fn ffs_reads_its_device_path_from_the_callers_memory() {
    let k = boot();
    k.sys_mkdir("/m", 0o755).unwrap();
    let mut u = vec![0u8; ufs_args::SIZE];
    assert_eq!(k.sys_mount("ffs", "/m", 0, &u), Err(Errno::EINVAL));
    assert_eq!(k.sys_mount("ffs", "/m", 0, &u[..4]), Err(Errno::EINVAL));
    // An in-process caller has no user memory for the pointer to name.
    ufs_args::fspec.put(&mut u, 0x1000);
    assert_eq!(k.sys_mount("ffs", "/m", 0, &u), Err(Errno::EFAULT));
}

#[test]
fn types_without_a_reader_fail_as_mounts_do() {
    let k = boot();
    k.sys_mkdir("/m", 0o755).unwrap();
    let data = rumpfs_tmpfs::args(0, 0);
    assert_eq!(k.sys_mount("nosuchfs", "/m", 0, &data), Err(Errno::ENODEV));
    // The root's type is registered but not mountable.
    assert_eq!(k.sys_mount("rumpfs", "/m", 0, &data), Err(Errno::ENODEV));
    assert_eq!(k.sys_mount("tmpfs", "/nope", 0, &data), Err(Errno::ENOENT));
}
