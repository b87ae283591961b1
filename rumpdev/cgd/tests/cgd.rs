//! cgd in one kernel, over vnd over an image in tmpfs: configuration and
//! its errors, sectors on the image as NetBSD's cgd writes them (the
//! vectors of NetBSD's `t_cgd_aes.c`), and an FFS made on `/dev/rcgd0d`,
//! mounted, unconfigured, configured again with the same key (the files
//! are there) and with another (the mount fails cleanly).

use netbsd_abi::SYS_ioctl;
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpdev::disk::label::{FS_BSDFFS, FS_UNUSED, disklabel};
use rumpdev::disk::{DIOCGDINFO, DIOCGMEDIASIZE};
use rumpdev_cgd::cgdio::{
    CGD_CIPHER_CBC_ENCBLKNO1, CGDIOCCLR, CGDIOCGET, CGDIOCSET, cgd_ioctl, cgd_user,
};
use rumpdev_vnd::vndio::{VNDIOCSET, vnd_ioctl};
use rumpfs_ffs::dev::RawDiskDev;
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;

/// Where the test's arguments live in the simulated caller.
const UVA: u64 = 0x1000;
const ARG: u64 = UVA;
const DISK: u64 = UVA + 0x100;
const ALG: u64 = UVA + 0x200;
const IVM: u64 = UVA + 0x300;
const KEY: u64 = UVA + 0x400;

fn boot() -> Arc<Kernel> {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .component(&rumpdev_cgd::COMPONENT)
        .boot()
        .unwrap();
    k.sys_mkdir("/img", 0o755).unwrap();
    k.sys_mount("tmpfs", "/img", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    k
}

/// An image of `size` bytes in tmpfs as `/dev/vnd0d`.
fn vnd(k: &Kernel, size: usize) {
    let fd = k.sys_open("/img/disk", O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_ftruncate(fd, size as i64).unwrap();
    k.sys_close(fd).unwrap();
    let ctl = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; vnd_ioctl::SIZE];
    vnd_ioctl::vnd_file.put(&mut arg, DISK);
    us.poke(ARG, &arg);
    us.poke(DISK, b"/img/disk\0");
    k.syscall(SYS_ioctl, &[ctl as u64, VNDIOCSET, ARG], &us)
        .unwrap();
    k.sys_close(ctl).unwrap();
}

/// `CGDIOCSET` on `fd`.
fn cgd_set(
    k: &Kernel,
    fd: i32,
    disk: &str,
    alg: &str,
    ivmethod: &str,
    key: &[u8],
    keylen: u64,
) -> Result<(), Errno> {
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; cgd_ioctl::SIZE];
    cgd_ioctl::ci_disk.put(&mut arg, DISK);
    cgd_ioctl::ci_alg.put(&mut arg, ALG);
    cgd_ioctl::ci_ivmethod.put(&mut arg, IVM);
    cgd_ioctl::ci_key.put(&mut arg, KEY);
    cgd_ioctl::ci_keylen.put(&mut arg, keylen);
    cgd_ioctl::ci_blocksize.put(&mut arg, u64::MAX);
    us.poke(ARG, &arg);
    for (at, s) in [(DISK, disk), (ALG, alg), (IVM, ivmethod)] {
        us.poke(at, s.as_bytes());
        us.poke(at + s.len() as u64, &[0]);
    }
    us.poke(KEY, key);
    k.syscall(SYS_ioctl, &[fd as u64, CGDIOCSET, ARG], &us)
        .map(drop)
}

fn cgd_clr(k: &Kernel, fd: i32) -> Result<(), Errno> {
    let us = BufferSpace::new(UVA, 4096);
    us.poke(ARG, &[0u8; cgd_ioctl::SIZE]);
    k.syscall(SYS_ioctl, &[fd as u64, CGDIOCCLR, ARG], &us)
        .map(drop)
}

/// `CGDIOCGET`: (unit, dev, alg, blocksize, mode, keylen).
fn cgd_get(k: &Kernel, fd: i32) -> (i32, u64, String, u64, u64, u64) {
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; cgd_user::SIZE];
    cgd_user::cgu_unit.put(&mut arg, u64::from(u32::MAX));
    us.poke(ARG, &arg);
    k.syscall(SYS_ioctl, &[fd as u64, CGDIOCGET, ARG], &us)
        .unwrap();
    let out = us.peek(ARG, cgd_user::SIZE);
    let alg = &out[16..48];
    let alg = String::from_utf8_lossy(&alg[..alg.iter().position(|&b| b == 0).unwrap()]);
    let g = |f: netbsd_abi::Field| f.get(&out).unwrap();
    (
        g(cgd_user::cgu_unit) as u32 as i32,
        g(cgd_user::cgu_dev),
        alg.into_owned(),
        g(cgd_user::cgu_blocksize),
        g(cgd_user::cgu_mode),
        g(cgd_user::cgu_keylen),
    )
}

#[test]
fn nodes_are_netbsds() {
    let k = boot();
    for (p, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let b = k.sys_stat(&format!("/dev/cgd0{name}")).unwrap();
        assert_eq!(b.mode, S_IFBLK | 0o644);
        assert_eq!(b.rdev, rump::devsw::makedev(21, p as u32));
        let c = k.sys_stat(&format!("/dev/rcgd0{name}")).unwrap();
        assert_eq!(c.mode, S_IFCHR | 0o644);
        assert_eq!(c.rdev, rump::devsw::makedev(93, p as u32));
    }
}

#[test]
fn set_get_clear_and_their_errors() {
    let k = boot();
    vnd(&k, 4 << 20);
    let key = [0x41u8; 65];
    let ro = k.sys_open("/dev/rcgd0d", O_RDONLY, 0).unwrap();
    let fd = k.sys_open("/dev/rcgd0d", O_RDWR, 0).unwrap();
    let set = |disk, alg, iv, bits| cgd_set(&k, fd, disk, alg, iv, &key, bits);
    // Not configured: nothing to clear or read, and nothing reported.
    assert_eq!(cgd_clr(&k, fd), Err(Errno::ENXIO));
    assert_eq!(cgd_get(&k, fd), (0, 0, String::new(), 0, 0, 0));
    let mut b = [0u8; 512];
    assert_eq!(k.sys_pread(fd, &mut b, 0), Err(Errno::ENXIO));
    // cgdioctl wants a descriptor open for writing.
    assert_eq!(
        cgd_set(&k, ro, "/dev/vnd0d", "aes-cbc", "encblkno1", &key, 128),
        Err(Errno::EBADF)
    );
    assert_eq!(
        set("/nonexistent", "aes-cbc", "encblkno1", 128),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        set("/img/disk", "aes-cbc", "encblkno1", 128),
        Err(Errno::ENOTBLK)
    );
    assert_eq!(
        set("/dev/vnd0d", "rot13", "encblkno1", 128),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        set("/dev/vnd0d", "aes-cbc", "encblkno2", 128),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        set("/dev/vnd0d", "aes-cbc", "encblkno1", 100),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        set("/dev/vnd0d", "3des-cbc", "encblkno1", 128),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        set("/dev/vnd0d", "aes-cbc", "encblkno1", 9000),
        Err(Errno::EINVAL)
    );
    // A bad key pointer is EFAULT.
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; cgd_ioctl::SIZE];
    cgd_ioctl::ci_disk.put(&mut arg, DISK);
    cgd_ioctl::ci_alg.put(&mut arg, ALG);
    cgd_ioctl::ci_ivmethod.put(&mut arg, IVM);
    cgd_ioctl::ci_key.put(&mut arg, 0xdead_0000);
    cgd_ioctl::ci_keylen.put(&mut arg, 256);
    us.poke(ARG, &arg);
    us.poke(DISK, b"/dev/vnd0d\0");
    us.poke(ALG, b"aes-cbc\0");
    us.poke(IVM, b"encblkno1\0");
    assert_eq!(
        k.syscall(SYS_ioctl, &[fd as u64, CGDIOCSET, ARG], &us)
            .map(drop),
        Err(Errno::EFAULT)
    );
    // Over itself: it has no size yet, ENXIO (and no hang).
    assert_eq!(
        set("/dev/cgd0d", "aes-cbc", "encblkno1", 128),
        Err(Errno::ENXIO)
    );
    // Still unconfigured after all that.
    assert_eq!(cgd_get(&k, fd).1, 0);
    set("/dev/vnd0d", "blowfish-cbc", "encblkno8", 448).unwrap();
    let vnd0d = k.sys_stat("/dev/vnd0d").unwrap().rdev;
    assert_eq!(
        cgd_get(&k, fd),
        (0, vnd0d, "blowfish-cbc".into(), 64, 1, 448)
    );
    assert_eq!(
        set("/dev/vnd0d", "aes-cbc", "encblkno1", 128),
        Err(Errno::EBUSY)
    );
    assert_eq!(cgd_clr(&k, ro), Err(Errno::EBADF));
    // Open through the block device too: busy.
    let blk = k.sys_open("/dev/cgd0d", O_RDONLY, 0).unwrap();
    assert_eq!(cgd_clr(&k, fd), Err(Errno::EBUSY));
    k.sys_close(blk).unwrap();
    cgd_clr(&k, fd).unwrap();
    set("/dev/vnd0d", "aes-xts", "encblkno1", 512).unwrap();
    assert_eq!(
        cgd_get(&k, fd),
        (
            0,
            vnd0d,
            "aes-xts".into(),
            16,
            u64::from(CGD_CIPHER_CBC_ENCBLKNO1),
            512
        )
    );
    // The disk is the size of the one underneath, with dk's fictitious
    // label as readdisklabel leaves it when the disk holds none: the raw
    // partition, and partition a the whole disk, an FFS.
    let us = BufferSpace::new(UVA, 4096);
    k.syscall(SYS_ioctl, &[fd as u64, DIOCGMEDIASIZE, ARG], &us)
        .unwrap();
    assert_eq!(
        u64::from_le_bytes(us.peek(ARG, 8).try_into().unwrap()),
        4 << 20
    );
    // The label is read at the first open after configuration.
    let again = k.sys_open("/dev/rcgd0d", O_RDONLY, 0).unwrap();
    k.syscall(SYS_ioctl, &[again as u64, DIOCGDINFO, ARG], &us)
        .unwrap();
    k.sys_close(again).unwrap();
    let l = rumpdev::disk::label::Disklabel::from_bytes(&us.peek(ARG, disklabel::SIZE)).unwrap();
    assert_eq!(l.get(disklabel::d_type), 17);
    assert_eq!(l.npartitions(), 4);
    assert_eq!(l.partition(3).fstype, FS_UNUSED);
    assert_eq!(l.partition(3).size, 8192);
    assert_eq!(l.partition(0).fstype, FS_BSDFFS);
    assert_eq!(l.partition(0).size, 8192);
    assert_eq!(l.partition(1).size, 0);
    assert_eq!(k.sys_open("/dev/rcgd0b", O_RDONLY, 0), Err(Errno::ENXIO));
    k.sys_close(ro).unwrap();
    cgd_clr(&k, fd).unwrap();
    k.sys_close(fd).unwrap();
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn sectors_land_on_the_disk_as_netbsds_cgd_writes_them() {
    // t_cgd_aes.c: key "0123456789ABCDEF", aes-cbc 128, encblkno1; the
    // plaintext written to sector 0, its ciphertext begins so.
    let k = boot();
    vnd(&k, 1 << 20);
    let fd = k.sys_open("/dev/rcgd0d", O_RDWR, 0).unwrap();
    cgd_set(
        &k,
        fd,
        "/dev/vnd0d",
        "aes-cbc",
        "encblkno1",
        b"0123456789ABCDEF\0",
        128,
    )
    .unwrap();
    let ptxt = b"                abcdefghijklmnop".repeat(16);
    let mut three = ptxt.repeat(3);
    assert_eq!(k.sys_pwrite(fd, &three, 0).unwrap(), 1536);
    let img = k.sys_open("/img/disk", O_RDONLY, 0).unwrap();
    let mut on_disk = vec![0u8; 1536];
    k.sys_pread(img, &mut on_disk, 0).unwrap();
    assert_eq!(
        on_disk[..32],
        unhex("1e951215f6e0a75695a0a73577f4dddc37c028200079a035e08323954eea8da2")[..]
    );
    assert_eq!(
        on_disk[1024..1056],
        unhex("bc49352ce31012657af4ded3f8e149970a07936cf80eb7df53ba1e8e14bdf681")[..]
    );
    assert_eq!(
        on_disk[1520..],
        unhex("df6c86471029819a73ba78bdc061ee23")[..]
    );
    three.fill(0);
    assert_eq!(k.sys_pread(fd, &mut three, 0).unwrap(), 1536);
    assert_eq!(three, ptxt.repeat(3));
    k.sys_close(img).unwrap();
    cgd_clr(&k, fd).unwrap();
    k.sys_close(fd).unwrap();
}

fn read_all(k: &Kernel, path: &str) -> Vec<u8> {
    let f = k.sys_open(path, O_RDONLY, 0).unwrap();
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = k.sys_read(f, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    k.sys_close(f).unwrap();
    out
}

#[test]
fn ffs_on_cgd_comes_back_with_its_key_and_not_without() {
    const SIZE: u64 = 16 << 20;
    let k = boot();
    vnd(&k, SIZE as usize);
    let key: Vec<u8> = (1..=33u8).collect();
    let ctl = k.sys_open("/dev/rcgd0d", O_RDWR, 0).unwrap();
    cgd_set(&k, ctl, "/dev/vnd0d", "aes-cbc", "encblkno1", &key, 256).unwrap();
    let disk = Arc::new(RawDiskDev::new(Arc::clone(&k), ctl, SIZE));
    rumpfs_ffs::mkfs::newfs(disk, &rumpfs_ffs::mkfs::Params::default()).unwrap();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/cgd0d", "/mnt", 0).unwrap();
    // Mounted: the unit cannot be cleared.
    assert_eq!(cgd_clr(&k, ctl), Err(Errno::EBUSY));
    let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    k.sys_mkdir("/mnt/d", 0o755).unwrap();
    let f = k.sys_open("/mnt/d/file", O_CREAT | O_RDWR, 0o644).unwrap();
    assert_eq!(k.sys_write(f, &text).unwrap(), text.len());
    k.sys_close(f).unwrap();
    k.sys_unmount("/mnt", 0).unwrap();
    cgd_clr(&k, ctl).unwrap();
    // The image holds no FFS in the clear: no superblock magic at 65536 +
    // 1372, and not the file's bytes.
    let img = read_all(&k, "/img/disk");
    assert_ne!(
        img[65536 + 1372..65536 + 1376],
        0x1954_0119u32.to_le_bytes()
    );
    assert!(!img.windows(64).any(|w| w == &text[..64]));
    // Another key: the disk reads as noise and the mount fails cleanly.
    let mut wrong = key.clone();
    wrong[0] ^= 1;
    cgd_set(&k, ctl, "/dev/vnd0d", "aes-cbc", "encblkno1", &wrong, 256).unwrap();
    assert!(
        k.sys_mount_dev("ffs", "/dev/cgd0d", "/mnt", MNT_RDONLY)
            .is_err()
    );
    cgd_clr(&k, ctl).unwrap();
    // The same key: the file is there, and fsck finds the file system clean.
    cgd_set(&k, ctl, "/dev/vnd0d", "aes-cbc", "encblkno1", &key, 256).unwrap();
    k.sys_mount_dev("ffs", "/dev/cgd0d", "/mnt", MNT_RDONLY)
        .unwrap();
    assert_eq!(read_all(&k, "/mnt/d/file"), text);
    k.sys_unmount("/mnt", 0).unwrap();
    let disk = Arc::new(RawDiskDev::new(Arc::clone(&k), ctl, SIZE));
    let mut said = Vec::new();
    let out = rumpfs_ffs::check::check(disk, false, &mut |s| said.push(s.to_owned())).unwrap();
    assert_eq!(out.problems, 0, "{said:?}");
    cgd_clr(&k, ctl).unwrap();
    k.sys_close(ctl).unwrap();
}
