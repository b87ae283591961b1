//! vnd in one kernel: configuration, its answers, the label and
//! partitions, and an FFS made on `/dev/rvnd0a` over an image in tmpfs,
//! mounted through `/dev/vnd0a`, written, read back and checked.

use netbsd_abi::SYS_ioctl;
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpdev::disk::label::{Disklabel, FS_BSDFFS, Partition, disklabel};
use rumpdev::disk::{
    DIOCGDEFLABEL, DIOCGDINFO, DIOCGMEDIASIZE, DIOCGSECTORSIZE, DIOCSDINFO, DIOCWDINFO, DIOCWLABEL,
};
use rumpdev_vnd::vndio::{
    VNDIOCCLR, VNDIOCGET, VNDIOCSET, VNDIOF_FORCE, VNDIOF_HASGEOM, VNDIOF_READONLY, vnd_ioctl,
    vnd_user,
};
use rumpfs_ffs::dev::RawDiskDev;
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::sync::Arc;

/// Where the test's arguments live in the simulated caller.
const UVA: u64 = 0x1000;
/// The argument structure's place; the path is at `PATH`.
const ARG: u64 = UVA;
const PATH: u64 = UVA + 0x800;

fn boot() -> Arc<Kernel> {
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .boot()
        .unwrap();
    k.sys_mkdir("/img", 0o755).unwrap();
    k.sys_mount("tmpfs", "/img", 0, &rumpfs_tmpfs::args(0, 0))
        .unwrap();
    k
}

/// An image of `size` bytes at `path`.
fn image(k: &Kernel, path: &str, size: usize) {
    let fd = k.sys_open(path, O_CREAT | O_RDWR, 0o644).unwrap();
    k.sys_ftruncate(fd, size as i64).unwrap();
    k.sys_close(fd).unwrap();
}

fn ioctl(k: &Kernel, fd: i32, cmd: u64, us: &BufferSpace) -> Result<(), Errno> {
    k.syscall(SYS_ioctl, &[fd as u64, cmd, ARG], us).map(drop)
}

/// `VNDIOCSET` of `file` with `flags` (and a geometry when given).
fn vnd_set(
    k: &Kernel,
    fd: i32,
    file: &str,
    flags: u32,
    geom: Option<[u32; 4]>,
) -> Result<u64, Errno> {
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; vnd_ioctl::SIZE];
    vnd_ioctl::vnd_file.put(&mut arg, PATH);
    let flags = flags | if geom.is_some() { VNDIOF_HASGEOM } else { 0 };
    vnd_ioctl::vnd_flags.put(&mut arg, u64::from(flags));
    if let Some(g) = geom {
        for (f, v) in [
            vnd_ioctl::vng_secsize,
            vnd_ioctl::vng_nsectors,
            vnd_ioctl::vng_ntracks,
            vnd_ioctl::vng_ncylinders,
        ]
        .iter()
        .zip(g)
        {
            f.put(&mut arg, u64::from(v));
        }
    }
    us.poke(ARG, &arg);
    us.poke(PATH, file.as_bytes());
    us.poke(PATH + file.len() as u64, &[0]);
    ioctl(k, fd, VNDIOCSET, &us)?;
    let out = us.peek(ARG, vnd_ioctl::SIZE);
    assert_eq!(
        vnd_ioctl::vnd_osize.get(&out),
        vnd_ioctl::vnd_size.get(&out).map(|s| s & 0xffff_ffff)
    );
    Ok(vnd_ioctl::vnd_size.get(&out).unwrap())
}

fn vnd_clr(k: &Kernel, fd: i32, force: bool) -> Result<(), Errno> {
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; vnd_ioctl::SIZE];
    if force {
        vnd_ioctl::vnd_flags.put(&mut arg, u64::from(VNDIOF_FORCE));
    }
    us.poke(ARG, &arg);
    ioctl(k, fd, VNDIOCCLR, &us)
}

/// `VNDIOCGET` of `unit`: (unit, dev, ino).
fn vnd_get(k: &Kernel, fd: i32, unit: i32) -> Result<(i32, u64, u64), Errno> {
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; vnd_user::SIZE];
    vnd_user::vnu_unit.put(&mut arg, unit as u32 as u64);
    us.poke(ARG, &arg);
    ioctl(k, fd, VNDIOCGET, &us)?;
    let out = us.peek(ARG, vnd_user::SIZE);
    Ok((
        vnd_user::vnu_unit.get(&out).unwrap() as u32 as i32,
        vnd_user::vnu_dev.get(&out).unwrap(),
        vnd_user::vnu_ino.get(&out).unwrap(),
    ))
}

fn label_of(k: &Kernel, fd: i32, cmd: u64) -> Result<Disklabel, Errno> {
    let us = BufferSpace::new(UVA, 4096);
    ioctl(k, fd, cmd, &us)?;
    Ok(Disklabel::from_bytes(&us.peek(ARG, disklabel::SIZE)).unwrap())
}

#[test]
fn nodes_are_netbsds() {
    let k = boot();
    for (p, name) in ["a", "b", "c", "d", "e", "f", "g"].iter().enumerate() {
        let b = k.sys_stat(&format!("/dev/vnd0{name}")).unwrap();
        assert_eq!(b.mode, S_IFBLK | 0o644);
        assert_eq!(b.rdev, rump::devsw::makedev(14, p as u32));
        let c = k.sys_stat(&format!("/dev/rvnd0{name}")).unwrap();
        assert_eq!(c.mode, S_IFCHR | 0o644);
        assert_eq!(c.rdev, rump::devsw::makedev(41, p as u32));
    }
    assert_eq!(k.sys_stat("/dev/vnd0h").unwrap_err(), Errno::ENOENT);
}

#[test]
fn set_get_and_clear() {
    let k = boot();
    image(&k, "/img/disk", 8 << 20);
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    // Nothing configured: unit 0 is unused, 1..3 too, 4 does not exist.
    assert_eq!(vnd_get(&k, fd, 0), Ok((0, 0, 0)));
    assert_eq!(vnd_get(&k, fd, 3), Ok((3, 0, 0)));
    assert_eq!(vnd_get(&k, fd, 4), Err(Errno::ENXIO));
    assert_eq!(vnd_get(&k, fd, -2), Err(Errno::EINVAL));
    // Before SET, the partitions are not there and CLR is ENXIO.
    assert_eq!(
        k.sys_open("/dev/vnd0a", O_RDONLY, 0).unwrap_err(),
        Errno::ENXIO
    );
    assert_eq!(vnd_clr(&k, fd, false), Err(Errno::ENXIO));
    assert_eq!(label_of(&k, fd, DIOCGDINFO).unwrap_err(), Errno::ENXIO);
    // Not a regular file; not there; a directory for writing.
    assert_eq!(
        vnd_set(&k, fd, "/dev/null", 0, None),
        Err(Errno::EOPNOTSUPP)
    );
    assert_eq!(vnd_set(&k, fd, "/img/none", 0, None), Err(Errno::ENOENT));
    assert_eq!(vnd_set(&k, fd, "/img", 0, None), Err(Errno::EISDIR));
    // A bad geometry, and one bigger than the file.
    assert_eq!(
        vnd_set(&k, fd, "/img/disk", 0, Some([100, 32, 64, 8])),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        vnd_set(&k, fd, "/img/disk", 0, Some([512, 32, 64, 9])),
        Err(Errno::EINVAL)
    );
    assert_eq!(vnd_set(&k, fd, "/img/disk", 0, None), Ok(8 << 20));
    assert_eq!(vnd_set(&k, fd, "/img/disk", 0, None), Err(Errno::EBUSY));
    let st = k.sys_stat("/img/disk").unwrap();
    assert_eq!(vnd_get(&k, fd, 0), Ok((0, st.dev, st.ino)));
    assert_eq!(vnd_get(&k, fd, -1), Ok((0, st.dev, st.ino)));
    // Sizes: 512-byte sectors, 32 sectors, 64 tracks, 8 cylinders.
    let us = BufferSpace::new(UVA, 4096);
    ioctl(&k, fd, DIOCGMEDIASIZE, &us).unwrap();
    assert_eq!(us.peek(ARG, 8), (8u64 << 20).to_le_bytes());
    ioctl(&k, fd, DIOCGSECTORSIZE, &us).unwrap();
    assert_eq!(us.peek(ARG, 4), 512u32.to_le_bytes());
    let def = label_of(&k, fd, DIOCGDEFLABEL).unwrap();
    assert!(def.is_valid());
    assert_eq!(def.get(disklabel::d_ncylinders), 8);
    assert_eq!(def.get(disklabel::d_secpercyl), 2048);
    assert_eq!(def.get(disklabel::d_secperunit), 16384);
    assert_eq!(&def.as_bytes()[8..12], b"vnd\0");
    // Open by the block device too: CLR refuses, unless forced.
    let b = k.sys_open("/dev/vnd0a", O_RDONLY, 0).unwrap();
    assert_eq!(vnd_clr(&k, fd, false), Err(Errno::EBUSY));
    // A partition is held until its last close.
    let b2 = k.sys_open("/dev/vnd0a", O_RDONLY, 0).unwrap();
    k.sys_close(b2).unwrap();
    assert_eq!(vnd_clr(&k, fd, false), Err(Errno::EBUSY));
    k.sys_close(b).unwrap();
    // CLR needs the device open for writing.
    let ro = k.sys_open("/dev/rvnd0d", O_RDONLY, 0).unwrap();
    assert_eq!(vnd_clr(&k, ro, false), Err(Errno::EBADF));
    k.sys_close(ro).unwrap();
    vnd_clr(&k, fd, false).unwrap();
    assert_eq!(vnd_get(&k, fd, 0), Ok((0, 0, 0)));
    // The same unit takes a file again, forced clear with a partition open.
    vnd_set(&k, fd, "/img/disk", 0, Some([512, 32, 64, 4])).unwrap();
    let b = k.sys_open("/dev/vnd0a", O_RDONLY, 0).unwrap();
    vnd_clr(&k, fd, true).unwrap();
    let mut buf = [0u8; 512];
    assert_eq!(k.sys_pread(b, &mut buf, 0).unwrap_err(), Errno::ENXIO);
    k.sys_close(b).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn raw_transfers_follow_physio() {
    let k = boot();
    image(&k, "/img/disk", 1 << 20);
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_set(&k, fd, "/img/disk", 0, None).unwrap();
    // An open raw disk is as large as its partition (spec_open sets the
    // vnode's size from DIOCGPARTINFO; newfs sizes by fstat); the node
    // itself is rumpfs's 512 bytes.
    assert_eq!(k.sys_fstat(fd).unwrap().size, 1 << 20);
    assert_eq!(k.sys_stat("/dev/rvnd0d").unwrap().size, 512);
    let data: Vec<u8> = (0..4096u32).map(|i| (i * 7) as u8).collect();
    assert_eq!(k.sys_pwrite(fd, &data, 8192).unwrap(), 4096);
    // The bytes are in the file.
    let f = k.sys_open("/img/disk", O_RDONLY, 0).unwrap();
    let mut back = vec![0u8; 4096];
    k.sys_pread(f, &mut back, 8192).unwrap();
    assert_eq!(back, data);
    // Unaligned offsets: EINVAL (physio's own check).
    let mut buf = vec![0u8; 512];
    assert_eq!(k.sys_pread(fd, &mut buf, 100).unwrap_err(), Errno::EINVAL);
    assert_eq!(k.sys_pwrite(fd, &buf, 100).unwrap_err(), Errno::EINVAL);
    // Partial sectors and past the end: EINVAL from the strategy, which
    // reads lose as NetBSD's rump kernel loses them for remote callers.
    assert_eq!(k.sys_pwrite(fd, &buf[..100], 0).unwrap_err(), Errno::EINVAL);
    assert_eq!(k.sys_pread(fd, &mut buf[..100], 0).unwrap(), 0);
    assert_eq!(
        k.sys_pwrite(fd, &buf, (1 << 20) + 512).unwrap_err(),
        Errno::EINVAL
    );
    assert_eq!(k.sys_pread(fd, &mut buf, (1 << 20) + 512).unwrap(), 0);
    // At the end: nothing; over it: cut.
    assert_eq!(k.sys_pread(fd, &mut buf, 1 << 20).unwrap(), 0);
    assert_eq!(k.sys_pwrite(fd, &buf, 1 << 20).unwrap(), 0);
    let mut big = vec![0u8; 2048];
    assert_eq!(k.sys_pread(fd, &mut big, (1 << 20) - 1024).unwrap(), 1024);
    // More than MAXPHYS at once.
    let mut huge = vec![0u8; 200 * 1024];
    assert_eq!(k.sys_pread(fd, &mut huge, 0).unwrap(), 200 * 1024);
    assert_eq!(&huge[8192..8192 + 4096], &data[..]);
    k.sys_close(f).unwrap();
    vnd_clr(&k, fd, false).unwrap();
    // Read-only: writes are EACCES, and the file need only be readable.
    vnd_set(&k, fd, "/img/disk", VNDIOF_READONLY, None).unwrap();
    assert_eq!(k.sys_pwrite(fd, &buf, 0).unwrap_err(), Errno::EACCES);
    assert_eq!(k.sys_pread(fd, &mut buf, 0).unwrap(), 512);
    vnd_clr(&k, fd, false).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn the_backing_file_is_opened_with_the_callers_credentials() {
    let k = boot();
    image(&k, "/img/disk", 1 << 20);
    k.sys_chmod("/img/disk", 0o444).unwrap();
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    // Root may write a 0444 file; an ordinary user may not open it so.
    k.sys_setuid(1000).unwrap();
    assert_eq!(vnd_set(&k, fd, "/img/disk", 0, None), Err(Errno::EACCES));
    vnd_set(&k, fd, "/img/disk", VNDIOF_READONLY, None).unwrap();
    k.sys_close(fd).unwrap();
}

#[test]
fn labels_are_read_written_and_protected() {
    let k = boot();
    image(&k, "/img/disk", 4 << 20);
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_set(&k, fd, "/img/disk", 0, None).unwrap();
    // A blank disk: the label the next open reads has a as the whole disk.
    let fd2 = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    let l = label_of(&k, fd2, DIOCGDINFO).unwrap();
    assert_eq!(l.npartitions(), 4);
    assert_eq!(l.partition(0).fstype, FS_BSDFFS);
    assert_eq!(l.partition(0).size, 8192);
    // Write a label with a at 64 for 4096 sectors and e after it.
    let mut new = l.clone();
    new.set_partition(
        0,
        Partition {
            size: 4096,
            offset: 64,
            fstype: FS_BSDFFS,
            fsize: 1024,
            frag: 8,
            cpg: 16,
        },
    );
    new.set_partition(
        4,
        Partition {
            size: 2048,
            offset: 4160,
            fstype: FS_BSDFFS,
            ..Partition::default()
        },
    );
    new.set(disklabel::d_npartitions, 5);
    new.update_checksum();
    let us = BufferSpace::new(UVA, 4096);
    // A short or corrupt label is refused.
    let mut bad = new.as_bytes().to_vec();
    bad[160] ^= 1;
    us.poke(ARG, &bad);
    assert_eq!(ioctl(&k, fd2, DIOCSDINFO, &us), Err(Errno::EINVAL));
    us.poke(ARG, new.as_bytes());
    ioctl(&k, fd2, DIOCWDINFO, &us).unwrap();
    // On the medium at sector 1, with its checksum.
    let f = k.sys_open("/img/disk", O_RDONLY, 0).unwrap();
    let mut sector = vec![0u8; 512];
    k.sys_pread(f, &mut sector, 512).unwrap();
    assert_eq!(&sector[..disklabel::SIZE], &new.as_bytes()[..]);
    k.sys_close(fd2).unwrap();
    k.sys_close(fd).unwrap();
    // A new configuration reads it back.
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_clr(&k, fd, false).unwrap();
    vnd_set(&k, fd, "/img/disk", 0, None).unwrap();
    let fd2 = k.sys_open("/dev/rvnd0e", O_RDWR, 0).unwrap();
    assert_eq!(
        label_of(&k, fd2, DIOCGDINFO).unwrap().as_bytes(),
        new.as_bytes()
    );
    // Partition e: transfers are relative to it and end with it.
    let data = [0x5au8; 1024];
    assert_eq!(k.sys_pwrite(fd2, &data, 0).unwrap(), 1024);
    k.sys_pread(f, &mut sector, 4160 * 512).unwrap();
    assert_eq!(sector, vec![0x5a; 512]);
    let mut buf = [0u8; 1024];
    assert_eq!(k.sys_pread(fd2, &mut buf, 2047 * 512).unwrap(), 512);
    assert_eq!(k.sys_pread(fd2, &mut buf, 2049 * 512).unwrap(), 0);
    assert_eq!(
        k.sys_pwrite(fd2, &buf, 2049 * 512).unwrap_err(),
        Errno::EINVAL
    );
    // Partition a holds the label sector (64 + 1 is not it; make one that
    // does): a partition from 0 may not write sector 1 unless DIOCWLABEL.
    let mut over = new.clone();
    over.set_partition(
        1,
        Partition {
            size: 100,
            offset: 0,
            fstype: FS_BSDFFS,
            ..Partition::default()
        },
    );
    over.update_checksum();
    us.poke(ARG, over.as_bytes());
    ioctl(&k, fd, DIOCSDINFO, &us).unwrap();
    let b = k.sys_open("/dev/rvnd0b", O_RDWR, 0).unwrap();
    assert_eq!(k.sys_pwrite(b, &data, 0).unwrap_err(), Errno::EROFS);
    assert_eq!(k.sys_pwrite(b, &data, 1024).unwrap(), 1024);
    us.poke(ARG, &1i32.to_le_bytes());
    ioctl(&k, fd, DIOCWLABEL, &us).unwrap();
    assert_eq!(k.sys_pwrite(b, &data, 0).unwrap(), 1024);
    // A partition not in the label is not there.
    assert_eq!(
        k.sys_open("/dev/rvnd0g", O_RDONLY, 0).unwrap_err(),
        Errno::ENXIO
    );
    for d in [b, fd2, fd, f] {
        k.sys_close(d).unwrap();
    }
}

#[test]
fn ffs_on_vnd_over_a_tmpfs_image() {
    let k = boot();
    image(&k, "/img/ffs.img", 16 << 20);
    let ctl = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_set(&k, ctl, "/img/ffs.img", 0, None).unwrap();
    let raw = k.sys_open("/dev/rvnd0a", O_RDWR, 0).unwrap();
    let disk = Arc::new(RawDiskDev::new(Arc::clone(&k), raw, 16 << 20));
    rumpfs_ffs::mkfs::newfs(disk.clone(), &rumpfs_ffs::mkfs::Params::default()).unwrap();
    k.sys_close(raw).unwrap();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/vnd0a", "/mnt", 0).unwrap();
    // Mounted: the unit cannot be cleared.
    assert_eq!(vnd_clr(&k, ctl, false), Err(Errno::EBUSY));
    let text: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    k.sys_mkdir("/mnt/d", 0o755).unwrap();
    let f = k.sys_open("/mnt/d/file", O_CREAT | O_RDWR, 0o644).unwrap();
    assert_eq!(k.sys_write(f, &text).unwrap(), text.len());
    k.sys_close(f).unwrap();
    k.sys_unmount("/mnt", 0).unwrap();
    // Mounted again, the file reads back.
    k.sys_mount_dev("ffs", "/dev/vnd0a", "/mnt", MNT_RDONLY)
        .unwrap();
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
    // fsck finds it clean, through the raw device.
    let raw = k.sys_open("/dev/rvnd0a", O_RDONLY, 0).unwrap();
    let disk = Arc::new(RawDiskDev::new(Arc::clone(&k), raw, 16 << 20));
    let mut said = Vec::new();
    let out = rumpfs_ffs::check::check(disk, false, &mut |s| said.push(s.to_owned())).unwrap();
    assert_eq!(out.problems, 0, "{said:?}");
    assert!(!out.unresolved, "{said:?}");
    k.sys_close(raw).unwrap();
    // The image in tmpfs holds the file system: the superblock magic of
    // FFSv2 (0x19540119) at 65536 + 1372.
    let img = k.sys_open("/img/ffs.img", O_RDONLY, 0).unwrap();
    let mut magic = [0u8; 4];
    k.sys_pread(img, &mut magic, 65536 + 1372).unwrap();
    assert_eq!(u32::from_le_bytes(magic), 0x1954_0119);
    k.sys_close(img).unwrap();
    vnd_clr(&k, ctl, false).unwrap();
    k.sys_close(ctl).unwrap();
}

/// `DIOCAWEDGE` of `size` sectors at `offset` on the open vnd `fd`: the
/// wedge's device name.
fn add_wedge(k: &Kernel, fd: i32, wname: &str, offset: u64, size: u64) -> Result<String, Errno> {
    use rumpdev::disk::wedge::{DIOCAWEDGE, dkwedge_info};
    let us = BufferSpace::new(UVA, 4096);
    let mut arg = [0u8; dkwedge_info::SIZE];
    arg[dkwedge_info::dkw_wname.range()][..wname.len()].copy_from_slice(wname.as_bytes());
    dkwedge_info::dkw_offset.put(&mut arg, offset);
    dkwedge_info::dkw_size.put(&mut arg, size);
    us.poke(ARG, &arg);
    ioctl(k, fd, DIOCAWEDGE, &us)?;
    let out = us.peek(ARG, dkwedge_info::SIZE);
    let name = &out[dkwedge_info::dkw_devname.range()];
    let n = name.iter().position(|&b| b == 0).unwrap();
    Ok(String::from_utf8(name[..n].to_vec()).unwrap())
}

#[test]
fn wedges_on_vnd() {
    use rumpdev::disk::wedge::DK_MAJOR;
    let k = boot();
    image(&k, "/img/w.img", 4 << 20);
    let ctl = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_set(&k, ctl, "/img/w.img", 0, None).unwrap();
    assert_eq!(add_wedge(&k, ctl, "vw", 100, 200).unwrap(), "dk0");
    // With wedges, only the raw partition opens.
    assert_eq!(
        k.sys_open("/dev/rvnd0a", O_RDONLY, 0).unwrap_err(),
        Errno::EBUSY
    );
    assert_eq!(
        k.sys_open("/dev/vnd0a", O_RDONLY, 0).unwrap_err(),
        Errno::EBUSY
    );
    let us = BufferSpace::new(UVA, 4096);
    us.poke(ARG, b"/dev/rdk0\0");
    let mode = u64::from(S_IFCHR | 0o600);
    k.syscall(
        netbsd_abi::SYS___mknod50,
        &[ARG, mode, rump::devsw::makedev(DK_MAJOR, 0)],
        &us,
    )
    .unwrap();
    // Wedge sector 0 is byte 100 * 512 of the image.
    let w = k.sys_open("/dev/rdk0", O_RDWR, 0).unwrap();
    assert_eq!(k.sys_pwrite(w, &[0x5a; 512], 0).unwrap(), 512);
    let img = k.sys_open("/img/w.img", O_RDONLY, 0).unwrap();
    let mut b = [0u8; 512];
    assert_eq!(k.sys_pread(img, &mut b, 100 * 512).unwrap(), 512);
    assert_eq!(b, [0x5a; 512]);
    // The open wedge holds the raw disk: no clearing without force; a
    // forced clear deletes the wedge, whose open then answers ENXIO.
    assert_eq!(vnd_clr(&k, ctl, false), Err(Errno::EBUSY));
    vnd_clr(&k, ctl, true).unwrap();
    assert_eq!(k.sys_pread(w, &mut b, 0).unwrap_err(), Errno::ENXIO);
    k.sys_close(w).unwrap();
    assert_eq!(
        k.sys_open("/dev/rdk0", O_RDWR, 0).unwrap_err(),
        Errno::ENXIO
    );
    // Configured again, the unit has no wedges and its partitions open.
    vnd_set(&k, ctl, "/img/w.img", 0, None).unwrap();
    let a = k.sys_open("/dev/rvnd0a", O_RDONLY, 0).unwrap();
    k.sys_close(a).unwrap();
    // A wedge deleted while its block device is open keeps its unit until
    // that closes: the block device's close names only the minor.
    us.poke(ARG, b"/dev/dk0\0");
    let mode = u64::from(S_IFBLK | 0o600);
    k.syscall(
        netbsd_abi::SYS___mknod50,
        &[ARG, mode, rump::devsw::makedev(DK_MAJOR, 0)],
        &us,
    )
    .unwrap();
    assert_eq!(add_wedge(&k, ctl, "first", 0, 100).unwrap(), "dk0");
    let blk = k.sys_open("/dev/dk0", O_RDONLY, 0).unwrap();
    vnd_clr(&k, ctl, true).unwrap();
    vnd_set(&k, ctl, "/img/w.img", 0, None).unwrap();
    assert_eq!(add_wedge(&k, ctl, "first", 0, 100).unwrap(), "dk1");
    k.sys_close(blk).unwrap();
    assert_eq!(add_wedge(&k, ctl, "second", 200, 100).unwrap(), "dk0");
    vnd_clr(&k, ctl, true).unwrap();
    k.sys_close(img).unwrap();
    k.sys_close(ctl).unwrap();
}

/// What a read answered and the bytes it gave.
type Answer = (Result<usize, Errno>, Vec<u8>);

/// What `read` and `read_to` give for `len` bytes at `off` of `node`.
fn read_both(node: &dyn rumpvfs::node::Node, off: u64, len: usize) -> (Answer, Answer) {
    let mut read = vec![0xa5u8; len];
    let r = node.read(off, &mut read);
    read.truncate(*r.as_ref().unwrap_or(&0));
    let mut sunk = Vec::new();
    let s = node.read_to(off, len, &mut |p| {
        sunk.extend_from_slice(p);
        Ok(())
    });
    ((r, read), (s, sunk))
}

#[test]
fn the_sink_path_hands_out_what_read_reads() {
    let k = boot();
    let size = 64 * 1024;
    image(&k, "/img/disk", size);
    // Data around holes, across tmpfs's pages, and at the very end.
    let f = k.sys_open("/img/disk", O_RDWR, 0).unwrap();
    let data: Vec<u8> = (0..6000u32).map(|i| (i * 13 + 5) as u8).collect();
    k.sys_pwrite(f, &data, 700).unwrap();
    k.sys_pwrite(f, &data[..900], 5 * 4096 - 300).unwrap();
    k.sys_pwrite(f, &data[..100], (size - 100) as i64).unwrap();
    let fd = k.sys_open("/dev/rvnd0d", O_RDWR, 0).unwrap();
    vnd_set(&k, fd, "/img/disk", 0, None).unwrap();
    let cases: &[(u64, usize)] = &[
        (0, size),
        (512, 8192),
        (4096 - 512, 1024),
        (5 * 4096 - 1024, 3 * 512),
        (100, 5000),
        (4095, 2),
        (size as u64 - 1024, 4096),
        (size as u64 - 3, 10),
        (size as u64, 512),
        (size as u64 + 512, 512),
        (0, 0),
    ];
    k.with_ctx(|ctx| {
        let file = rumpvfs::vn_open(ctx, b"/img/disk", false)?.node;
        let vn = rumpvfs::vn_open(ctx, b"/dev/vnd0d", false)?;
        let disk = rumpvfs::specdev::open(ctx, &vn, O_RDONLY as u32)?;
        for &(off, len) in cases {
            let (read, sunk) = read_both(&*file, off, len);
            assert!(read == sunk, "tmpfs file, {off} {len}");
            let (read, sunk) = read_both(&*disk, off, len);
            assert!(read == sunk, "vnd0d, {off} {len}");
        }
        // The file shrinks under the disk: past its end the disk reads
        // zeros both ways.
        k.sys_ftruncate(f, 3 * 4096 + 10).unwrap();
        for &(off, len) in cases {
            let (read, sunk) = read_both(&*disk, off, len);
            assert!(read == sunk, "vnd0d of a shrunk file, {off} {len}");
        }
        let (_, (_, whole)) = read_both(&*disk, 0, size);
        assert!(whole[3 * 4096 + 10..].iter().all(|&b| b == 0));
        assert_eq!(&whole[700..700 + 100], &data[..100]);
        // A sink's error ends the read with it.
        let r = disk.read_to(0, size, &mut |_| Err(Errno::EFAULT));
        assert_eq!(r, Err(Errno::EFAULT));
        Ok(())
    })
    .unwrap();
    k.sys_close(f).unwrap();
    vnd_clr(&k, fd, false).unwrap();
    k.sys_close(fd).unwrap();
}
