use super::label::*;
use super::mbr::{SectorIo, readdisklabel, writedisklabel};
use super::*;
use std::sync::Mutex;

/// A disk in memory, in 512-byte sectors.
struct Ram(Mutex<Vec<u8>>);

impl SectorIo for Ram {
    fn read(&self, sector: u64, buf: &mut [u8]) -> KResult<()> {
        let d = self.0.lock().unwrap();
        let off = (sector * DEV_BSIZE) as usize;
        let src = d.get(off..off + buf.len()).ok_or(Errno::EINVAL)?;
        buf.copy_from_slice(src);
        Ok(())
    }
    fn write(&self, sector: u64, buf: &[u8]) -> KResult<()> {
        let mut d = self.0.lock().unwrap();
        let off = (sector * DEV_BSIZE) as usize;
        d.get_mut(off..off + buf.len())
            .ok_or(Errno::EINVAL)?
            .copy_from_slice(buf);
        Ok(())
    }
}

/// vnd's default label for `sectors` sectors (`vndgetdefaultlabel`).
fn default_label(sectors: u32) -> Disklabel {
    let geom = Geometry {
        secperunit: u64::from(sectors),
        secsize: 512,
        nsectors: 32,
        ntracks: 64,
        ncylinders: sectors / 2048,
    };
    Disklabel::fictitious(&geom, DKTYPE_VND, "vnd", 3600)
}

fn disk(sectors: u32) -> Disk {
    Disk {
        geom: Geometry {
            secperunit: u64::from(sectors),
            secsize: 512,
            nsectors: 32,
            ntracks: 64,
            ncylinders: sectors / 2048,
        },
        ..Disk::default()
    }
    .with_label(default_label(sectors))
}

impl Disk {
    fn with_label(mut self, l: Disklabel) -> Disk {
        self.set_label(l);
        self
    }

    /// Change the label in core as a driver would, through `set_label`.
    fn edit_label(&mut self, f: impl FnOnce(&mut Disklabel)) {
        let mut l = self.label().clone();
        f(&mut l);
        self.set_label(l);
    }
}

#[test]
fn ioctl_numbers_are_netbsds() {
    // As NetBSD's tools send them (sizeof(struct disklabel) 408).
    assert_eq!(DIOCGDINFO, 0x4198_6465);
    assert_eq!(DIOCSDINFO, 0x8198_6466);
    assert_eq!(DIOCWDINFO, 0x8198_6467);
    assert_eq!(DIOCGPARTINFO, 0x8020_6468);
    assert_eq!(DIOCWLABEL, 0x8004_646d);
    assert_eq!(DIOCGDEFLABEL, 0x4198_6472);
    assert_eq!(DIOCCACHESYNC, 0x8004_6476);
    assert_eq!(DIOCKLABEL, 0x8004_6477);
    assert_eq!(DIOCGMEDIASIZE, 0x4008_6484);
    assert_eq!(DIOCGSECTORSIZE, 0x4004_6485);
}

#[test]
fn minors_are_unit_and_partition() {
    assert_eq!((disk_unit(0), disk_part(0)), (0, 0));
    assert_eq!((disk_unit(3), disk_part(3)), (0, 3));
    assert_eq!((disk_unit(16), disk_part(16)), (1, 0));
    assert_eq!((disk_unit(33), disk_part(33)), (2, 1));
    assert_eq!(disk_minor(1, 3), 19);
}

#[test]
fn transfers_stop_at_the_partition_end() {
    let mut d = disk(4096);
    d.edit_label(|l| {
        l.set_partition(
            0,
            Partition {
                size: 1000,
                offset: 100,
                fstype: FS_BSDFFS,
                ..Partition::default()
            },
        )
    });
    // Inside: as asked.
    assert_eq!(
        d.bounds_check_with_label(0, 0, 4096, false),
        Ok(Bounds::Go(4096))
    );
    // Over the end: cut; at the end: EOF; past it: EINVAL.
    assert_eq!(
        d.bounds_check_with_label(0, 998, 4096, false),
        Ok(Bounds::Go(1024))
    );
    assert_eq!(
        d.bounds_check_with_label(0, 1000, 512, false),
        Ok(Bounds::Eof)
    );
    assert_eq!(
        d.bounds_check_with_label(0, 1001, 512, false),
        Err(Errno::EINVAL)
    );
    // An unused partition is empty.
    assert_eq!(d.bounds_check_with_label(5, 0, 512, false), Ok(Bounds::Eof));
    // No geometry in the label: EINVAL, not a division by zero.
    d.edit_label(|l| l.set(disklabel::d_secpercyl, 0));
    assert_eq!(
        d.bounds_check_with_label(0, 0, 512, false),
        Err(Errno::EINVAL)
    );
}

#[test]
fn the_label_sector_is_written_only_when_allowed() {
    let mut d = disk(4096);
    d.edit_label(|l| {
        l.set_partition(
            0,
            Partition {
                size: 4096,
                offset: 0,
                fstype: FS_BSDFFS,
                ..Partition::default()
            },
        )
    });
    assert_eq!(
        d.bounds_check_with_label(0, 0, 1024, true),
        Err(Errno::EROFS)
    );
    assert_eq!(
        d.bounds_check_with_label(0, 1, 512, true),
        Err(Errno::EROFS)
    );
    // Reading it, or writing around it, is fine.
    assert_eq!(
        d.bounds_check_with_label(0, 0, 1024, false),
        Ok(Bounds::Go(1024))
    );
    assert_eq!(
        d.bounds_check_with_label(0, 0, 512, true),
        Ok(Bounds::Go(512))
    );
    assert_eq!(
        d.bounds_check_with_label(0, 2, 512, true),
        Ok(Bounds::Go(512))
    );
    d.wlabel = true;
    assert_eq!(
        d.bounds_check_with_label(0, 0, 1024, true),
        Ok(Bounds::Go(1024))
    );
}

#[test]
fn media_bounds() {
    assert_eq!(
        bounds_check_with_mediasize(0, 1024, 512, 10),
        Ok(Bounds::Go(1024))
    );
    assert_eq!(
        bounds_check_with_mediasize(9, 1024, 512, 10),
        Ok(Bounds::Go(512))
    );
    assert_eq!(
        bounds_check_with_mediasize(10, 512, 512, 10),
        Ok(Bounds::Eof)
    );
    assert_eq!(
        bounds_check_with_mediasize(11, 512, 512, 10),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        bounds_check_with_mediasize(u64::MAX, 512, 512, 10),
        Err(Errno::EINVAL)
    );
}

#[test]
fn generic_ioctls() {
    let d = disk(4096);
    let mut b = [0u8; 8];
    d.ioctl(3, DIOCGMEDIASIZE, &mut b).unwrap().unwrap();
    assert_eq!(u64::from_le_bytes(b), 4096 * 512);
    let mut b = [0u8; 4];
    d.ioctl(3, DIOCGSECTORSIZE, &mut b).unwrap().unwrap();
    assert_eq!(u32::from_le_bytes(b), 512);
    let mut l = [0u8; disklabel::SIZE];
    d.ioctl(0, DIOCGDINFO, &mut l).unwrap().unwrap();
    assert_eq!(&l, d.label().as_bytes());
    // A short argument is EINVAL, an unknown command is the driver's.
    assert_eq!(
        d.ioctl(0, DIOCGDINFO, &mut [0u8; 10]),
        Some(Err(Errno::EINVAL))
    );
    assert!(d.ioctl(0, DIOCWLABEL, &mut [0u8; 4]).is_none());
    // partinfo: the raw partition is the whole disk.
    let pi = d.partinfo(3);
    assert_eq!(partinfo::pi_size.get(&pi), Some(4096));
    assert_eq!(partinfo::pi_secsize.get(&pi), Some(512));
    assert_eq!(partinfo::pi_bsize.get(&pi), Some(u64::from(BLKDEV_IOSIZE)));
}

#[test]
fn setdisklabel_checks_the_label_and_open_partitions() {
    let mut d = disk(4096);
    let mut new = d.label().clone();
    new.set_partition(
        0,
        Partition {
            size: 2048,
            offset: 0,
            fstype: FS_BSDFFS,
            fsize: 1024,
            frag: 8,
            cpg: 0,
        },
    );
    // A bad checksum is refused.
    assert_eq!(d.setdisklabel(&new, 0), Err(Errno::EINVAL));
    new.update_checksum();
    d.setdisklabel(&new, 0).unwrap();
    assert_eq!(d.label().partition(0).size, 2048);
    // Transfers follow the new table at once.
    assert_eq!((d.part_offset(0), d.part_size(0)), (0, 2048));
    assert_eq!(
        d.bounds_check_with_label(0, 2048, 512, false),
        Ok(Bounds::Eof)
    );
    assert_eq!(
        d.bounds_check_with_label(0, 2047, 1024, false),
        Ok(Bounds::Go(512))
    );
    // Partition a open: it may grow, not shrink or move.
    let mut smaller = new.clone();
    smaller.set_partition(
        0,
        Partition {
            size: 1024,
            ..new.partition(0)
        },
    );
    smaller.update_checksum();
    assert_eq!(d.setdisklabel(&smaller, 1), Err(Errno::EBUSY));
    let mut bigger = new.clone();
    bigger.set_partition(
        0,
        Partition {
            size: 4096,
            ..new.partition(0)
        },
    );
    bigger.update_checksum();
    d.setdisklabel(&bigger, 1).unwrap();
    // No sectors, or too many partitions: EINVAL.
    let mut bad = bigger.clone();
    bad.set(disklabel::d_secpercyl, 0);
    bad.update_checksum();
    assert_eq!(d.setdisklabel(&bad, 0), Err(Errno::EINVAL));
    let mut bad = bigger.clone();
    bad.set(disklabel::d_npartitions, 200);
    assert_eq!(d.setdisklabel(&bad, 0), Err(Errno::EINVAL));
}

#[test]
fn a_blank_disk_reads_as_the_default_label_with_a_whole_disk_a() {
    let io = Ram(Mutex::new(vec![0; 4096 * 512]));
    let mut l = default_label(4096);
    readdisklabel(&io, &mut l).unwrap();
    assert_eq!(l.npartitions(), 4);
    assert_eq!(l.partition(0).size, 4096);
    assert_eq!(l.partition(0).fstype, FS_BSDFFS);
    assert_eq!(l.partition(3).size, 4096);
}

#[test]
fn a_written_label_is_read_back_from_sector_one() {
    let io = Ram(Mutex::new(vec![0; 4096 * 512]));
    let mut l = default_label(4096);
    l.set_partition(
        4,
        Partition {
            size: 1000,
            offset: 96,
            fstype: FS_BSDFFS,
            fsize: 1024,
            frag: 8,
            cpg: 16,
        },
    );
    l.set(disklabel::d_npartitions, 5);
    l.update_checksum();
    writedisklabel(&io, &l).unwrap();
    let raw = io.0.lock().unwrap()[512..512 + disklabel::SIZE].to_vec();
    assert_eq!(&raw[..], &l.as_bytes()[..]);
    let mut back = default_label(4096);
    readdisklabel(&io, &mut back).unwrap();
    assert_eq!(back.as_bytes(), l.as_bytes());
    // A corrupted copy is reported, and the default label stays.
    io.0.lock().unwrap()[512 + 200] ^= 0xff;
    let mut back = default_label(4096);
    assert_eq!(readdisklabel(&io, &mut back), Err("disk label corrupted"));
}

#[test]
fn an_mbr_netbsd_partition_holds_the_label() {
    let io = Ram(Mutex::new(vec![0; 4096 * 512]));
    {
        let mut d = io.0.lock().unwrap();
        d[510] = 0x55;
        d[511] = 0xaa;
        // Partition 0: NetBSD's, sectors 63..63+4000; partition 1: FAT32.
        let p = &mut d[446..462];
        p[4] = 0xa9;
        p[8..12].copy_from_slice(&63u32.to_le_bytes());
        p[12..16].copy_from_slice(&4000u32.to_le_bytes());
        let p = &mut d[462..478];
        p[4] = 0x0b;
        p[8..12].copy_from_slice(&4063u32.to_le_bytes());
        p[12..16].copy_from_slice(&33u32.to_le_bytes());
    }
    // No label yet: the FAT partition shows up as f, a is no longer the disk.
    let mut l = default_label(4096);
    readdisklabel(&io, &mut l).unwrap();
    assert_eq!(l.partition(0).size, 0);
    assert_eq!(l.partition(2).offset, 63);
    assert_eq!(l.partition(5).fstype, FS_MSDOS);
    assert_eq!(l.partition(5).offset, 4063);
    // A label written goes inside the NetBSD partition, at its sector 1.
    let mut w = default_label(4096);
    w.set_partition(
        0,
        Partition {
            size: 4000,
            offset: 63,
            fstype: FS_BSDFFS,
            ..Partition::default()
        },
    );
    w.update_checksum();
    writedisklabel(&io, &w).unwrap();
    let at = (63 + 1) * 512;
    assert_eq!(
        &io.0.lock().unwrap()[at..at + disklabel::SIZE],
        &w.as_bytes()[..]
    );
    let mut back = default_label(4096);
    readdisklabel(&io, &mut back).unwrap();
    assert_eq!(back.partition(0).offset, 63);
}

#[test]
fn garbage_never_panics_the_reader() {
    let mut seed = 0x1234_5678u32;
    for _ in 0..50 {
        let mut v = vec![0u8; 64 * 512];
        for b in v.iter_mut() {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *b = (seed >> 16) as u8;
        }
        v[510] = 0x55;
        v[511] = 0xaa;
        let io = Ram(Mutex::new(v));
        let mut l = default_label(64);
        let _ = readdisklabel(&io, &mut l);
    }
}
