//! rumpblk: what an etfs BLK or CHR key answers as a disk, after NetBSD's
//! `sys/rump/librump/rumpvfs/rumpblk.c`. Each host file is a fictitious
//! disk whose label is made up from its size (`makedefaultlabel`): one
//! cylinder of one track, 512-byte sectors, and one partition, the one
//! numbered like the device's minor. The ioctls are those rumpblk
//! answers (`DIOCGDINFO`, `DIOCGPARTINFO`, `DIOCCACHESYNC`,
//! `DIOCGMEDIASIZE`); every other one is ENOTTY, as there. The character
//! device moves whole sectors at sector offsets (`physio`), the block
//! device any bytes (the buffer cache).
//!
//! The disk code of the device faction (#18) is to take this module over.

use crate::etfs::EtfsNode;
use crate::node::Node;
use netbsd_abi::Field;
use rump::devsw::{DeviceOpen, minor};
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `DEV_BSHIFT` (`sys/param.h`): rumpblk's sectors are `1 << DEV_BSHIFT`
/// bytes unless `RUMP_BLKSECTSHIFT` says otherwise (not supported here).
const SECTOR: u64 = rump::devsw::DEV_BSIZE;
pub use rump::devsw::RAW_PART;
/// `DKTYPE_RUMPD` (`sys/disklabel.h`): a rump virtual disk.
pub const DKTYPE_RUMPD: u16 = 21;
/// The rotational speed `makedefaultlabel` gives ("rpm: 11").
const RUMPD_RPM: u16 = 11;

use rump::disk::{BLKDEV_IOSIZE, MAXPARTITIONS};
pub use rump::disk::{
    DIOCCACHESYNC, DIOCGDINFO, DIOCGMEDIASIZE, DIOCGPARTINFO, DISKMAGIC, disklabel, partinfo,
    partition,
};

/// The label rumpblk's `makedefaultlabel` makes for a disk of `size`
/// bytes whose minor is `part`. Its `d_secperunit` is the size in bytes,
/// not sectors, exactly as NetBSD's (and so what NetBSD's tools print).
pub fn default_label(size: u64, part: usize) -> [u8; disklabel::SIZE] {
    let mut l = [0u8; disklabel::SIZE];
    let sectors = size / SECTOR;
    // The fields are 32 bits wide; wider values are cut as C's stores are.
    let put = |l: &mut [u8], f: Field, v: u64| {
        f.put(l, v);
    };
    put(&mut l, disklabel::d_secperunit, size);
    put(&mut l, disklabel::d_secsize, SECTOR);
    put(&mut l, disklabel::d_nsectors, sectors);
    put(&mut l, disklabel::d_ntracks, 1);
    put(&mut l, disklabel::d_ncylinders, 1);
    put(&mut l, disklabel::d_secpercyl, sectors);
    l[disklabel::d_typename.range()][..5].copy_from_slice(b"rumpd");
    l[disklabel::d_packname.range()][..10].copy_from_slice(b"fictitious");
    put(&mut l, disklabel::d_type, u64::from(DKTYPE_RUMPD));
    put(&mut l, disklabel::d_rpm, u64::from(RUMPD_RPM));
    put(&mut l, disklabel::d_interleave, 1);
    // Partitions before `part` stay FS_UNUSED (0); a minor past the
    // table (NetBSD's has no more minors than partitions) gets none.
    if part < MAXPARTITIONS {
        let p = disklabel::d_partitions + part * partition::SIZE;
        put(&mut l[p..], partition::p_size, sectors);
        put(&mut l, disklabel::d_npartitions, part as u64 + 1);
    }
    put(&mut l, disklabel::d_magic, u64::from(DISKMAGIC));
    put(&mut l, disklabel::d_magic2, u64::from(DISKMAGIC));
    l
}

/// The `struct partinfo` of partition `part` of `label` (`DIOCGPARTINFO`).
pub fn part_info(label: &[u8; disklabel::SIZE], part: usize) -> [u8; partinfo::SIZE] {
    let mut pi = [0u8; partinfo::SIZE];
    let p = &label[disklabel::d_partitions + (part % MAXPARTITIONS) * partition::SIZE..];
    let get = |f: Field| f.get(p).unwrap_or(0);
    partinfo::pi_offset.put(&mut pi, get(partition::p_offset));
    partinfo::pi_size.put(&mut pi, get(partition::p_size));
    partinfo::pi_secsize.put(&mut pi, disklabel::d_secsize.get(label).unwrap_or(0));
    partinfo::pi_bsize.put(&mut pi, u64::from(BLKDEV_IOSIZE));
    partinfo::pi_fstype.put(&mut pi, get(partition::p_fstype));
    partinfo::pi_fsize.put(&mut pi, get(partition::p_fsize));
    partinfo::pi_frag.put(&mut pi, get(partition::p_frag));
    partinfo::pi_cpg.put(&mut pi, get(partition::p_cpg));
    pi
}

/// Copy `src` to the front of an ioctl's parameter buffer.
fn answer(data: &mut [u8], src: &[u8]) -> KResult<()> {
    data.get_mut(..src.len())
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(src);
    Ok(())
}

/// An open etfs BLK or CHR key: its reads, writes and ioctls as rumpblk's
/// block (`raw == false`) or character device.
pub(crate) struct DiskOpen {
    node: Arc<dyn Node>,
    raw: bool,
}

/// Open `node`, an etfs device key, as rumpblk does.
pub(crate) fn open(node: Arc<dyn Node>, raw: bool) -> KResult<Box<dyn DeviceOpen>> {
    if !node.as_any().is::<EtfsNode>() {
        return Err(Errno::ENXIO);
    }
    Ok(Box::new(DiskOpen { node, raw }))
}

impl DiskOpen {
    fn etfs(&self) -> KResult<&EtfsNode> {
        self.node
            .as_any()
            .downcast_ref::<EtfsNode>()
            .ok_or(Errno::ENXIO)
    }

    /// The bytes of a transfer of `len` at `off` on the character device
    /// that reach the medium, by `physio`'s and rumpblk's rules as NetBSD's
    /// kernel answers them: the offset must be a whole number of sectors
    /// (EINVAL); a write must be whole sectors and may start at the end
    /// but not past it (EINVAL), and is cut there; a read that is not whole
    /// sectors or starts at or past the end moves nothing and fails not.
    fn raw_span(&self, off: u64, len: usize, write: bool) -> KResult<usize> {
        let size = self.node.getattr().size;
        if !off.is_multiple_of(SECTOR) {
            return Err(Errno::EINVAL);
        }
        let whole = (len as u64).is_multiple_of(SECTOR);
        if write && (!whole || off > size) {
            return Err(Errno::EINVAL);
        }
        if !whole || off >= size {
            return Ok(0);
        }
        Ok(len.min((size - off) as usize))
    }
}

impl DeviceOpen for DiskOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        let n = if self.raw {
            self.raw_span(offset, buf.len(), false)?
        } else {
            buf.len()
        };
        if n == 0 {
            return Ok(0);
        }
        self.node.read(offset, &mut buf[..n])
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        let n = if self.raw {
            self.raw_span(offset, buf.len(), true)?
        } else {
            buf.len()
        };
        // At or past the end the block device takes nothing (dd's "end
        // of device"), where a fixed etfs file would say ENOSPC.
        if n == 0 || offset >= self.node.getattr().size {
            return Ok(0);
        }
        self.node.write(offset, &buf[..n])
    }

    fn ioctl(&self, _ctx: &Ctx, cmd: u64, data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        let node = self.etfs()?;
        let part = minor(node.getattr().rdev) as usize;
        match cmd {
            DIOCGDINFO => answer(data, &default_label(node.disk_size(), part)),
            DIOCGPARTINFO => answer(
                data,
                &part_info(&default_label(node.disk_size(), part), part),
            ),
            // NetBSD's writes go to the host at once; ours may sit in the
            // buffer cache, so a cache sync writes them out.
            DIOCCACHESYNC => node.flush(),
            DIOCGMEDIASIZE => answer(data, &node.disk_size().to_le_bytes()),
            _ => Err(Errno::ENOTTY),
        }
    }

    fn may_block(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ioctl_numbers_are_netbsds() {
        // As NetBSD's rumpctrl tools send them (sizeof disklabel 408).
        assert_eq!(disklabel::SIZE, 408);
        assert_eq!(DIOCGDINFO, 0x4198_6465);
        assert_eq!(DIOCGPARTINFO, 0x8020_6468);
        assert_eq!(DIOCCACHESYNC, 0x8004_6476);
        assert_eq!(DIOCGMEDIASIZE, 0x4008_6484);
    }

    #[test]
    fn default_label_is_rumpblks() {
        let size = 16 << 20;
        let l = default_label(size, 2);
        let le32 = |o: usize| u32::from_le_bytes(l[o..o + 4].try_into().unwrap());
        let le16 = |o: usize| u16::from_le_bytes(l[o..o + 2].try_into().unwrap());
        assert_eq!(le32(0), DISKMAGIC);
        assert_eq!(le16(4), DKTYPE_RUMPD);
        assert_eq!(&l[8..16], b"rumpd\0\0\0");
        assert_eq!(&l[24..35], b"fictitious\0");
        assert_eq!(le32(40), 512);
        assert_eq!(le32(44), 32768);
        assert_eq!((le32(48), le32(52)), (1, 1));
        assert_eq!(le32(56), 32768);
        // d_secperunit: bytes, as NetBSD's makedefaultlabel stores it.
        assert_eq!(le32(60), 16 << 20);
        assert_eq!((le16(72), le16(74)), (11, 1));
        assert_eq!(le32(132), DISKMAGIC);
        assert_eq!(le16(138), 3);
        // Partition c (the minor) has the disk; a and b are unused.
        for p in 0..2 {
            assert!(l[148 + p * 16..164 + p * 16].iter().all(|&b| b == 0));
        }
        assert_eq!(le32(148 + 2 * 16), 32768);
        assert_eq!(le32(148 + 2 * 16 + 4), 0);
        assert!(l[148 + 3 * 16..].iter().all(|&b| b == 0));
    }

    #[test]
    fn partinfo_describes_the_minors_partition() {
        let l = default_label(1 << 20, 0);
        let pi = part_info(&l, 0);
        assert_eq!(u64::from_le_bytes(pi[0..8].try_into().unwrap()), 0);
        assert_eq!(u64::from_le_bytes(pi[8..16].try_into().unwrap()), 2048);
        assert_eq!(u32::from_le_bytes(pi[16..20].try_into().unwrap()), 512);
        assert_eq!(u32::from_le_bytes(pi[20..24].try_into().unwrap()), 2048);
        assert_eq!(&pi[24..], &[0; 8]);
    }

    #[test]
    fn a_minor_past_the_table_gets_no_partition() {
        let l = default_label(1 << 20, MAXPARTITIONS);
        assert_eq!(disklabel::d_npartitions.get(&l), Some(0));
        assert!(l[disklabel::d_partitions..].iter().all(|&b| b == 0));
    }
}
