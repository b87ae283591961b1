//! The disk layer's parsers (`rumpdev::disk`): labels and MBRs read from
//! a medium, labels handed to `DIOCSDINFO`, and the bounds of transfers.

use crate::{BASE, SIZE};
use rump::usermem::BufferSpace;
use rump::{BootConfig, Errno, KResult, KernelBuilder};
use rumpdev::disk::label::{DKTYPE_VND, Disklabel, MAXPARTITIONS};
use rumpdev::disk::mbr::{SectorIo, readdisklabel, writedisklabel};
use rumpdev::disk::{Bounds, Disk, Geometry, bounds_check_with_mediasize};
use std::sync::Mutex;

/// A medium in memory, 512-byte sectors.
struct Medium(Mutex<Vec<u8>>);

impl SectorIo for Medium {
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()> {
        let d = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let off = usize::try_from(sector.checked_mul(512).ok_or(Errno::EINVAL)?)
            .map_err(|_| Errno::EINVAL)?;
        let end = off.checked_add(buf.len()).ok_or(Errno::EINVAL)?;
        buf.copy_from_slice(d.get(off..end).ok_or(Errno::EINVAL)?);
        Ok(())
    }
    fn write(&self, sector: u64, buf: &[u8]) -> KResult<()> {
        let mut d = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let off = usize::try_from(sector.checked_mul(512).ok_or(Errno::EINVAL)?)
            .map_err(|_| Errno::EINVAL)?;
        let end = off.checked_add(buf.len()).ok_or(Errno::EINVAL)?;
        d.get_mut(off..end)
            .ok_or(Errno::EINVAL)?
            .copy_from_slice(buf);
        Ok(())
    }
}

/// A driver's default label for `sectors` sectors, as vnd makes it.
fn default_label(sectors: u32) -> Disklabel {
    let geom = Geometry {
        secperunit: u64::from(sectors),
        secsize: 512,
        nsectors: 1,
        ntracks: 1,
        ncylinders: sectors,
    };
    Disklabel::fictitious(&geom, DKTYPE_VND, "vnd", 0)
}

/// A medium's bytes as a disk driver reads its label from it (MBR, label
/// sectors, ISO volume descriptors), then the first 408 bytes as a label
/// given to `DIOCSDINFO`/`DIOCWDINFO`, and transfers checked against the
/// label in core. Any bytes give a label or NetBSD's message and errno,
/// never a panic, and a label read from the medium is one NetBSD accepts.
pub fn disk_label(data: &[u8]) {
    // At least the sectors the label code reads: a short medium reads as
    // zeros past its end would not, so it is padded to whole sectors.
    let mut image = data.to_vec();
    image.resize(image.len().div_ceil(512).max(4) * 512, 0);
    let sectors = (image.len() / 512) as u32;
    let io = Medium(Mutex::new(image));
    let mut lp = default_label(sectors);
    if readdisklabel(&io, &mut lp).is_ok() {
        assert!(lp.npartitions() <= MAXPARTITIONS);
    }
    let mut disk = Disk::default();
    disk.geom = Geometry {
        secperunit: u64::from(sectors),
        secsize: 512,
        nsectors: 1,
        ntracks: 1,
        ncylinders: sectors,
    };
    disk.set_label(lp);
    if let Some(new) = Disklabel::from_bytes(data) {
        let openmask = u32::from(data.get(408).copied().unwrap_or(0));
        if disk.setdisklabel(&new, openmask).is_ok() && disk.label().has_magic() {
            assert!(disk.label().is_valid());
            if writedisklabel(&io, disk.label()).is_ok() {
                let mut back = default_label(sectors);
                let _ = readdisklabel(&io, &mut back);
            }
        }
    }
    for (i, w) in data.chunks(6).take(64).enumerate() {
        let part = usize::from(w[0]) % MAXPARTITIONS;
        let blkno = u64::from(w.get(1).copied().unwrap_or(0)) << (w.len() * 3);
        let bcount = usize::from(w.get(2).copied().unwrap_or(0)) * 512;
        let write = i % 2 == 0;
        match disk.bounds_check_with_label(part, blkno, bcount, write) {
            Ok(Bounds::Go(n)) => assert!(n <= bcount),
            Ok(Bounds::Eof) | Err(_) => {}
        }
        if let Ok(Bounds::Go(n)) =
            bounds_check_with_mediasize(blkno, bcount, 512, u64::from(sectors))
        {
            assert!(n <= bcount);
        }
    }
}

/// The disk and vnd ioctls a caller may make on vnd's devices.
const VND_IOCTLS: &[u64] = &[
    rumpdev_vnd::vndio::VNDIOCSET,
    rumpdev_vnd::vndio::VNDIOCCLR,
    rumpdev_vnd::vndio::VNDIOCGET,
    rumpdev::disk::DIOCGDINFO,
    rumpdev::disk::DIOCSDINFO,
    rumpdev::disk::DIOCWDINFO,
    rumpdev::disk::DIOCGPARTINFO,
    rumpdev::disk::DIOCWLABEL,
    rumpdev::disk::DIOCKLABEL,
    rumpdev::disk::DIOCGDEFLABEL,
    rumpdev::disk::DIOCCACHESYNC,
    rumpdev::disk::DIOCGMEDIASIZE,
    rumpdev::disk::DIOCGSECTORSIZE,
];

/// vnd's ioctl decoders: a run of ioctls chosen by the input, on the raw
/// devices of partitions the input names, with the input as the argument
/// structures and the caller's memory (a `VNDIOCSET` path points into it,
/// and `/img` is a file of the input's size to configure). Then the disk
/// is read and written through both devices. Nothing may panic, and the
/// kernel still answers.
pub fn vnd_ioctl(data: &[u8]) {
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_CREAT, O_RDWR};
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let k = KernelBuilder::new()
        .config(BootConfig {
            ncpu: 1,
            ..BootConfig::default()
        })
        .component(&rumpvfs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev_vnd::COMPONENT)
        .boot()
        .expect("boot");
    let Ok(img) = k.sys_open("/img", O_CREAT | O_RDWR, 0o644) else {
        return;
    };
    let size = 512 * (64 + u64::from(rest.first().copied().unwrap_or(0)) * 16);
    let _ = k.sys_pwrite(img, &[0], size as i64 - 1);
    let us = BufferSpace::new(BASE, SIZE);
    us.poke(BASE, &rest[..rest.len().min(SIZE)]);
    // A path the input may point at.
    us.poke(BASE + SIZE as u64 - 8, b"/img\0");
    for (i, op) in rest.chunks(4).take(usize::from(count % 16)).enumerate() {
        let cmd = VND_IOCTLS[usize::from(op[0]) % VND_IOCTLS.len()];
        let part = op.get(1).copied().unwrap_or(3) % 8;
        let path = format!("/dev/rvnd0{}", char::from(b'a' + part));
        let Ok(fd) = k.sys_open(&path, O_RDWR, 0) else {
            continue;
        };
        // The argument: from the input, or a VNDIOCSET of /img.
        let arg = BASE + u64::from(op.get(2).copied().unwrap_or(0)) * 8;
        if cmd == rumpdev_vnd::vndio::VNDIOCSET && i % 2 == 0 {
            let mut v = [0u8; rumpdev_vnd::vndio::vnd_ioctl::SIZE];
            rumpdev_vnd::vndio::vnd_ioctl::vnd_file.put(&mut v, BASE + SIZE as u64 - 8);
            rumpdev_vnd::vndio::vnd_ioctl::vnd_flags
                .put(&mut v, u64::from(op.get(3).copied().unwrap_or(0) & 0x3));
            us.poke(arg, &v);
        }
        let _ = k.syscall(netbsd_abi::SYS_ioctl, &[fd as u64, cmd, arg], &us);
        let mut buf = [0u8; 1024];
        let off = i64::from(op.get(3).copied().unwrap_or(0)) * 512;
        let _ = k.sys_pread(fd, &mut buf, off);
        let _ = k.sys_pwrite(fd, &buf, off);
        let _ = k.sys_close(fd);
    }
    if let Ok(fd) = k.sys_open("/dev/vnd0a", O_RDWR, 0) {
        let mut buf = [0u8; 700];
        let _ = k.sys_pread(fd, &mut buf, 300);
        let _ = k.sys_pwrite(fd, &buf, 1000);
        let _ = k.sys_close(fd);
    }
    assert!(k.sys_getpid().is_ok());
}

/// The md and wedge ioctls a caller may make on md's and dk's devices.
const DISK_IOCTLS: &[u64] = &[
    rumpdev::md::mdio::MD_SETCONF,
    rumpdev::md::mdio::MD_GETCONF,
    rumpdev::disk::wedge::DIOCAWEDGE,
    rumpdev::disk::wedge::DIOCDWEDGE,
    rumpdev::disk::wedge::DIOCLWEDGES,
    rumpdev::disk::wedge::DIOCMWEDGES,
    rumpdev::disk::wedge::DIOCGWEDGEINFO,
    rumpdev::disk::DIOCGDINFO,
    rumpdev::disk::DIOCGPARTINFO,
    rumpdev::disk::DIOCGMEDIASIZE,
    rumpdev::disk::DIOCGSECTORSIZE,
    rumpdev::disk::DIOCGDISKINFO,
    rumpdev::disk::DIOCCACHESYNC,
];

/// The devices [`disk_ioctl`] opens: md's raw partitions and block
/// device, and dk nodes for the first wedges.
const DISK_DEVICES: &[&str] = &[
    "/dev/rmd0d",
    "/dev/rmd0a",
    "/dev/rmd0b",
    "/dev/md0a",
    "/dev/md0d",
    "/dev/rdk0",
    "/dev/rdk1",
    "/dev/dk0",
];

/// md's and the wedges' ioctl decoders: a run of ioctls chosen by the
/// input on md's and dk's devices, with the input as the argument
/// structures (`struct md_conf`, `dkwedge_info`, `dkwedge_list`, whose
/// buffer points into the caller's memory) in a kernel of 16 MiB, then
/// transfers through the device. Nothing may panic, and the kernel still
/// answers.
pub fn disk_ioctl(data: &[u8]) {
    use rumpdev::md::mdio::{MD_KMEM_ALLOCATED, MD_SETCONF, md_conf};
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_RDWR, S_IFBLK, S_IFCHR};
    let Some((&count, rest)) = data.split_first() else {
        return;
    };
    let k = KernelBuilder::new()
        .config(BootConfig {
            ncpu: 1,
            memlimit: Some(16 << 20),
            ..BootConfig::default()
        })
        .component(&rumpvfs::COMPONENT)
        .component(&rumpdev::COMPONENT)
        .component(&rumpdev::md::COMPONENT)
        .boot()
        .expect("boot");
    let names = BufferSpace::new(BASE, 64);
    for (path, mode, unit) in [
        ("/dev/rdk0\0", S_IFCHR, 0),
        ("/dev/rdk1\0", S_IFCHR, 1),
        ("/dev/dk0\0", S_IFBLK, 0),
    ] {
        names.poke(BASE, path.as_bytes());
        let dev = rump::devsw::makedev(rumpdev::disk::wedge::DK_MAJOR, unit);
        let _ = k.syscall(
            netbsd_abi::SYS___mknod50,
            &[BASE, u64::from(mode | 0o600), dev],
            &names,
        );
    }
    let us = BufferSpace::new(BASE, SIZE);
    us.poke(BASE, &rest[..rest.len().min(SIZE)]);
    for (i, op) in rest.chunks(4).take(usize::from(count % 16)).enumerate() {
        let cmd = DISK_IOCTLS[usize::from(op[0]) % DISK_IOCTLS.len()];
        let path = DISK_DEVICES[usize::from(op.get(1).copied().unwrap_or(0)) % DISK_DEVICES.len()];
        let Ok(fd) = k.sys_open(path, O_RDWR, 0) else {
            continue;
        };
        // The argument: from the input, or a configuration of md that fits.
        let arg = BASE + u64::from(op.get(2).copied().unwrap_or(0)) * 8;
        if cmd == MD_SETCONF && i % 2 == 0 {
            let mut c = [0u8; md_conf::SIZE];
            md_conf::md_size.put(&mut c, u64::from(op.get(3).copied().unwrap_or(0)) << 16);
            md_conf::md_type.put(&mut c, u64::from(MD_KMEM_ALLOCATED));
            us.poke(arg, &c);
        }
        let _ = k.syscall(netbsd_abi::SYS_ioctl, &[fd as u64, cmd, arg], &us);
        let mut buf = [0u8; 1024];
        let off = i64::from(op.get(3).copied().unwrap_or(0)) * 512;
        let _ = k.sys_pread(fd, &mut buf, off);
        let _ = k.sys_pwrite(fd, &buf, off);
        let _ = k.sys_close(fd);
    }
    assert!(k.sys_getpid().is_ok());
}
