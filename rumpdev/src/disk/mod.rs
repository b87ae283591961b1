//! The disk layer every disk driver shares (NetBSD's `struct disk`,
//! `sys/kern/subr_disk.c` and `subr_disk_mbr.c`): the label on the medium
//! and in core, partition minors (`unit * MAXPARTITIONS + part`),
//! the bounds of every transfer, and the generic disk ioctls.
//!
//! - [`label`]: `struct disklabel` and its checksum;
//! - [`mbr`]: where amd64 finds the label (`readdisklabel`,
//!   `writedisklabel`);
//! - [`Disk`]: one disk's geometry, label and open partitions;
//! - [`wedge`]: wedges (`DIOCAWEDGE`, `dkN` devices) on any of them.
//!
//! `DIOCGDISKINFO` (a proplib dictionary copied out into memory the kernel
//! maps in the caller) is not supported yet: EOPNOTSUPP, NetBSD's answer
//! for a disk without the dictionary.

pub mod driver;
pub mod label;
pub mod mbr;
pub mod wedge;

use label::{Disklabel, MAXPARTITIONS, disklabel};
use netbsd_abi::Field;
use rump::devsw::{DEV_BSIZE, RAW_PART};
use rump::{Errno, KResult};

/// Partitions per unit in a minor number: amd64 has no
/// `__HAVE_OLD_DISKLABEL`, so `sys/disklabel.h`'s `DISKUNIT`/`DISKPART`
/// divide by `MAXPARTITIONS` (16; vnd1a is minor 16).
pub const PARTS_PER_UNIT: u32 = MAXPARTITIONS as u32;

/// `DISKUNIT(dev)` of a minor.
pub fn disk_unit(minor: u32) -> u32 {
    minor / PARTS_PER_UNIT
}

/// `DISKPART(dev)` of a minor.
pub fn disk_part(minor: u32) -> usize {
    (minor % PARTS_PER_UNIT) as usize
}

/// `DISKMINOR(unit, part)`.
pub fn disk_minor(unit: u32, part: usize) -> u32 {
    unit * PARTS_PER_UNIT + part as u32 % PARTS_PER_UNIT
}

pub use rump::disk::{
    BLKDEV_IOSIZE, DIOCCACHESYNC, DIOCGDEFLABEL, DIOCGDINFO, DIOCGMEDIASIZE, DIOCGPARTINFO,
    DIOCGSECTORSIZE, DIOCKLABEL, DIOCSDINFO, DIOCWDINFO, DIOCWLABEL, partinfo,
};

/// `DIOCGDISKINFO`: `_IOR('d', 127, struct plistref)` (16 bytes on amd64).
pub const DIOCGDISKINFO: u64 = netbsd_abi::ioc(netbsd_abi::IOC_OUT, b'd', 127, 16);

/// `MAXPHYS` (`arch/amd64/include/param.h`): `physio` moves at most this
/// much per request.
pub const MAXPHYS: usize = 64 * 1024;

/// `physio` on a raw disk: `len` bytes at `offset` in requests of at most
/// [`MAXPHYS`]; `xfer` moves one request (block number, range of the
/// caller's buffer) and says how many bytes it moved. The offset must be
/// whole `DEV_BSIZE` blocks (EINVAL); a short request ends the transfer.
pub fn physio(
    offset: u64,
    len: usize,
    mut xfer: impl FnMut(u64, std::ops::Range<usize>) -> KResult<usize>,
) -> KResult<usize> {
    let mut done = 0;
    while done < len {
        let pos = offset + done as u64;
        if !pos.is_multiple_of(DEV_BSIZE) {
            return Err(Errno::EINVAL);
        }
        let n = (len - done).min(MAXPHYS);
        let moved = xfer(pos / DEV_BSIZE, done..done + n)?;
        done += moved;
        if moved < n {
            break;
        }
    }
    Ok(done)
}

/// A disk's geometry (`struct disk_geom`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Geometry {
    /// Sectors on the disk.
    pub secperunit: u64,
    /// Bytes per sector.
    pub secsize: u32,
    /// Sectors per track.
    pub nsectors: u32,
    /// Tracks per cylinder.
    pub ntracks: u32,
    /// Cylinders.
    pub ncylinders: u32,
}

/// `DK_DEV_BSIZE_OK`: a sector size the disk code takes (a power of two
/// from `DEV_BSIZE` to 32 KiB).
pub fn sector_size_ok(b: u32) -> bool {
    b.is_power_of_two() && u64::from(b) >= DEV_BSIZE && b <= 32768
}

/// Where a transfer stands after its bounds check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bounds {
    /// Go ahead with this many bytes (the request, or cut at the end).
    Go(usize),
    /// Exactly at the end: nothing moves and nothing fails.
    Eof,
}

/// `bounds_check_with_mediasize`: a transfer of `bcount` bytes at
/// `blkno` (`DEV_BSIZE` units) on a medium of `mediasize` units of
/// `secsize` bytes.
pub fn bounds_check_with_mediasize(
    blkno: u64,
    bcount: usize,
    secsize: u64,
    mediasize: u64,
) -> KResult<Bounds> {
    let sz = (bcount as u64).div_ceil(secsize);
    if blkno.saturating_add(sz) > mediasize {
        if blkno == mediasize {
            return Ok(Bounds::Eof);
        }
        if blkno > mediasize {
            return Err(Errno::EINVAL);
        }
        return Ok(Bounds::Go(((mediasize - blkno) * secsize) as usize));
    }
    Ok(Bounds::Go(bcount))
}

/// What a transfer needs of the label, taken out of it whenever the label
/// changes, so that a transfer decodes no label bytes.
#[derive(Clone, Debug, Default)]
struct Slices {
    /// `d_secpercyl` is not 0: the label has a geometry.
    geometry: bool,
    /// `d_secsize`.
    secsize: u32,
    /// Each partition's `p_offset` and `p_size`, in sectors.
    parts: [(u32, u32); MAXPARTITIONS],
}

impl Slices {
    fn of(l: &Disklabel) -> Slices {
        Slices {
            geometry: l.get(disklabel::d_secpercyl) != 0,
            secsize: l.secsize(),
            parts: std::array::from_fn(|i| {
                let p = l.partition(i);
                (p.offset, p.size)
            }),
        }
    }

    /// Partition `part`'s offset and size (none past the label's room).
    fn part(&self, part: usize) -> (u32, u32) {
        self.parts.get(part).copied().unwrap_or_default()
    }
}

/// One disk (NetBSD's `struct disk` with the label flags drivers keep).
#[derive(Clone, Debug, Default)]
pub struct Disk {
    /// The geometry the driver set (`disk_set_info`).
    pub geom: Geometry,
    /// The label in core (`dk_label`): set through [`Disk::set_label`],
    /// which keeps `slices` with it.
    label: Disklabel,
    /// The partition table transfers are checked against.
    slices: Slices,
    /// Partitions open through the character device (`dk_copenmask`).
    pub copenmask: u32,
    /// Partitions open through the block device (`dk_bopenmask`).
    pub bopenmask: u32,
    /// The label sector may be written (`DIOCWLABEL`).
    pub wlabel: bool,
    /// A label is being written.
    pub labelling: bool,
}

impl Disk {
    /// `dk_openmask`.
    pub fn openmask(&self) -> u32 {
        self.copenmask | self.bopenmask
    }

    /// The label in core.
    pub fn label(&self) -> &Disklabel {
        &self.label
    }

    /// Take `label` as the label in core, and the partition table
    /// transfers use with it.
    pub fn set_label(&mut self, label: Disklabel) {
        self.slices = Slices::of(&label);
        self.label = label;
    }

    /// The label's sector size (`d_secsize`; 0 in a label without one).
    pub fn label_secsize(&self) -> u32 {
        self.slices.secsize
    }

    /// Partition `part`'s first sector (`p_offset`).
    pub fn part_offset(&self, part: usize) -> u32 {
        self.slices.part(part).0
    }

    /// Partition `part`'s size in sectors (`p_size`).
    pub fn part_size(&self, part: usize) -> u32 {
        self.slices.part(part).1
    }

    /// `dk_labelsector`: `LABELSECTOR`, as `disk_init` sets it.
    pub fn labelsector(&self) -> u64 {
        mbr::LABELSECTOR
    }

    /// `bounds_check_with_label` for partition `part`: a transfer of
    /// `bcount` bytes at `blkno` (`DEV_BSIZE` units, relative to the
    /// partition). EINVAL past the end, EROFS over the label sector unless
    /// the label may be written.
    pub fn bounds_check_with_label(
        &self,
        part: usize,
        blkno: u64,
        bcount: usize,
        write: bool,
    ) -> KResult<Bounds> {
        if !self.slices.geometry {
            return Err(Errno::EINVAL);
        }
        let blkshift = self.blkshift();
        let (offset, size) = self.slices.part(part);
        let p_size = u64::from(size) << blkshift;
        let p_offset = u64::from(offset) << blkshift;
        // RAW_PART is 3: the label is found relative to partition c.
        let labelsector = (u64::from(self.part_offset(2)) + self.labelsector()) << blkshift;
        let mut sz = (bcount as u64).div_ceil(DEV_BSIZE);
        let mut n = bcount;
        if blkno.saturating_add(sz) > p_size {
            if blkno == p_size {
                return Ok(Bounds::Eof);
            }
            if blkno > p_size {
                return Err(Errno::EINVAL);
            }
            sz = p_size - blkno;
            n = (sz * DEV_BSIZE) as usize;
        }
        if blkno + p_offset <= labelsector
            && blkno + p_offset + sz > labelsector
            && write
            && !(self.wlabel || self.labelling)
        {
            return Err(Errno::EROFS);
        }
        Ok(Bounds::Go(n))
    }

    /// `dk_blkshift`: from sectors to `DEV_BSIZE` blocks.
    pub fn blkshift(&self) -> u32 {
        let secsize = u64::from(self.geom.secsize.max(DEV_BSIZE as u32));
        (secsize / DEV_BSIZE).trailing_zeros()
    }

    /// `disk_ioctl` for minor partition `part`: the commands every disk
    /// answers alike. `None` for a command it does not know (NetBSD's
    /// `EPASSTHROUGH`), left to the driver.
    pub fn ioctl(&self, part: usize, cmd: u64, data: &mut [u8]) -> Option<KResult<()>> {
        Some(match cmd {
            DIOCGSECTORSIZE => answer(data, &self.geom.secsize.to_le_bytes()),
            DIOCGMEDIASIZE => {
                let bytes = u64::from(self.geom.secsize).saturating_mul(self.geom.secperunit);
                answer(data, &bytes.to_le_bytes())
            }
            DIOCGDISKINFO => Err(Errno::EOPNOTSUPP),
            DIOCGDINFO => answer(data, self.label.as_bytes()),
            DIOCGPARTINFO => answer(data, &self.partinfo(part)),
            _ => return None,
        })
    }

    /// `struct partinfo` of partition `part` (`DIOCGPARTINFO`).
    pub fn partinfo(&self, part: usize) -> [u8; partinfo::SIZE] {
        let mut pi = [0u8; partinfo::SIZE];
        let put = |pi: &mut [u8], f: Field, v: u64| {
            f.put(pi, v);
        };
        put(&mut pi, partinfo::pi_secsize, u64::from(self.geom.secsize));
        put(&mut pi, partinfo::pi_bsize, u64::from(BLKDEV_IOSIZE));
        if part == RAW_PART as usize {
            put(&mut pi, partinfo::pi_size, self.geom.secperunit);
            return pi;
        }
        let p = self.label.partition(part);
        put(&mut pi, partinfo::pi_offset, u64::from(p.offset));
        put(&mut pi, partinfo::pi_size, u64::from(p.size));
        put(&mut pi, partinfo::pi_fstype, u64::from(p.fstype));
        put(&mut pi, partinfo::pi_frag, u64::from(p.frag));
        put(&mut pi, partinfo::pi_fsize, u64::from(p.fsize));
        put(&mut pi, partinfo::pi_cpg, u64::from(p.cpg));
        if p.fstype == label::FS_BSDFFS && p.frag != 0 && p.fsize != 0 {
            put(
                &mut pi,
                partinfo::pi_bsize,
                u64::from(p.frag) * u64::from(p.fsize),
            );
        }
        pi
    }

    /// `setdisklabel`: take `new` as the label in core if it is sound and
    /// moves no open partition (`openmask`). EINVAL for a bad label, EBUSY
    /// for one that would move an open partition.
    pub fn setdisklabel(&mut self, new: &Disklabel, openmask: u32) -> KResult<()> {
        let mut nlp = new.clone();
        let secsize = nlp.secsize();
        if nlp.get(disklabel::d_secpercyl) == 0
            || secsize == 0
            || u64::from(secsize) % DEV_BSIZE != 0
        {
            return Err(Errno::EINVAL);
        }
        // A magic of all ones invalidates the label.
        if nlp.get(disklabel::d_magic) == u64::from(u32::MAX) {
            self.set_label(nlp);
            return Ok(());
        }
        // NetBSD sums whatever d_npartitions says; more than the label
        // holds is refused here rather than read past it.
        if !nlp.is_valid() {
            return Err(Errno::EINVAL);
        }
        let mut mask = openmask;
        while mask != 0 {
            let i = mask.trailing_zeros() as usize;
            mask &= !(1 << i);
            if i > nlp.npartitions() {
                return Err(Errno::EBUSY);
            }
            let opp = self.label.partition(i);
            let npp = nlp.partition(i);
            if npp.fstype == label::FS_UNUSED && opp.fstype != label::FS_UNUSED {
                nlp.set_partition(i, opp);
                continue;
            }
            if npp.offset != opp.offset || npp.size < opp.size {
                return Err(Errno::EBUSY);
            }
        }
        nlp.update_checksum();
        self.set_label(nlp);
        Ok(())
    }
}

/// Copy `src` to the front of an ioctl's parameter buffer; EINVAL when the
/// buffer is too small for it.
pub fn answer(data: &mut [u8], src: &[u8]) -> KResult<()> {
    data.get_mut(..src.len())
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(src);
    Ok(())
}

/// An `int` ioctl argument; EINVAL when the buffer is too small.
pub fn int_arg(data: &[u8]) -> KResult<i32> {
    let b = data.get(..4).ok_or(Errno::EINVAL)?;
    Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A label passed to `DIOCSDINFO`/`DIOCWDINFO`; EINVAL when short.
pub fn label_arg(data: &[u8]) -> KResult<Disklabel> {
    Disklabel::from_bytes(data).ok_or(Errno::EINVAL)
}

#[cfg(test)]
mod tests;
