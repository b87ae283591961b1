//! The consistency checks of a superblock, each failing with its own
//! reason. They cover what NetBSD's `ffs_superblock_validate` and
//! `ffs_mountfs` check, and what `fsck_ffs`'s `readsb` and `setup` check
//! before trusting the geometry, and more: everything that sizes a buffer,
//! indexes a map or places a structure is in range, so that no later
//! arithmetic on the geometry can overflow or reach past the device.

use super::{Csum, FS_44INODEFMT, Superblock, field};
use crate::format::cg::Cg;
use crate::format::{DEV_BSIZE, Flaw, MAXFRAG, NDADDR, NIADDR, Version};

/// `MINBSIZE`: the smallest block size (`ufs/ffs/fs.h`).
const MINBSIZE: u64 = 4096;
/// `MAXBSIZE`: the largest block size (`sys/param.h`).
const MAXBSIZE: u64 = netbsd_abi::MAXBSIZE as u64;
/// The most summary bytes a reader takes in core.
const MAX_CSSIZE: u64 = 64 << 20;
/// The most cluster summary entries (`fs_contigsumsize`) a map is given.
const MAX_CONTIGSUMSIZE: u64 = 256;

fn pow2_log(v: u64) -> Option<u32> {
    (v != 0 && v.is_power_of_two()).then(|| v.trailing_zeros())
}

/// `what` must be `log2(of)`: the shifts NetBSD keeps beside the sizes.
fn shift_agrees(name: &str, got: u32, of: u64, of_name: &str) -> Result<(), Flaw> {
    match pow2_log(of) {
        Some(want) if want == got => Ok(()),
        _ => Err(Flaw::invalid(format!(
            "{name} {got} disagrees with the {of_name} {of}"
        ))),
    }
}

impl Superblock {
    /// Check the geometry for a device of `dev_size` bytes.
    pub(super) fn check(&self, dev_size: u64) -> Result<(), Flaw> {
        self.check_sizes()?;
        self.check_groups()?;
        self.check_group_layout()?;
        self.check_extent(dev_size)?;
        self.check_features()
    }

    /// The superblock's own size, block and fragment sizes and the
    /// numbers derived from them.
    fn check_sizes(&self) -> Result<(), Flaw> {
        let sbsize = u64::from(self.endian.u32(&self.raw, field::SBSIZE));
        if !(field::END as u64..=super::SBLOCKSIZE as u64).contains(&sbsize) {
            return Err(Flaw::invalid(format!(
                "superblock size {sbsize} is not between {} and {}",
                field::END,
                super::SBLOCKSIZE
            )));
        }
        let bsize = self.bsize;
        if pow2_log(bsize).is_none() || !(MINBSIZE..=MAXBSIZE).contains(&bsize) {
            return Err(Flaw::invalid(format!(
                "block size {bsize} is not a power of two from {MINBSIZE} to {MAXBSIZE}"
            )));
        }
        let fsize = self.fsize;
        if pow2_log(fsize).is_none() || !(DEV_BSIZE..=bsize).contains(&fsize) {
            return Err(Flaw::invalid(format!(
                "fragment size {fsize} is not a power of two from {DEV_BSIZE} to the block size {bsize}"
            )));
        }
        let frag = bsize / fsize;
        if frag as usize > MAXFRAG {
            return Err(Flaw::invalid(format!(
                "{frag} fragments per block (block size {bsize}, fragment size {fsize}); at most {MAXFRAG}"
            )));
        }
        if self.frag != frag {
            return Err(Flaw::invalid(format!(
                "{} fragments per block where the sizes make {frag}",
                self.frag
            )));
        }
        shift_agrees("fs_bshift", self.bshift, bsize, "block size")?;
        shift_agrees("fs_fshift", self.fshift, fsize, "fragment size")?;
        shift_agrees("fs_fragshift", self.fragshift, frag, "fragments per block")?;
        shift_agrees(
            "fs_fsbtodb",
            self.fsbtodb,
            fsize / DEV_BSIZE,
            "sectors per fragment",
        )?;
        let inopb = bsize / self.version.inode_size() as u64;
        if self.inopb != inopb {
            return Err(Flaw::invalid(format!(
                "{} inodes per block where the block size makes {inopb}",
                self.inopb
            )));
        }
        let nindir = bsize / self.version.ptr_size() as u64;
        if self.nindir != nindir {
            return Err(Flaw::invalid(format!(
                "{} pointers per indirect block where the block size makes {nindir}",
                self.nindir
            )));
        }
        Ok(())
    }

    /// The number and sizes of the cylinder groups.
    fn check_groups(&self) -> Result<(), Flaw> {
        if self.ncg == 0 {
            return Err(Flaw::invalid("no cylinder groups (fs_ncg 0)"));
        }
        if self.fpg == 0 || !self.fpg.is_multiple_of(self.frag) || self.fpg > 1 << 31 {
            return Err(Flaw::invalid(format!(
                "{} fragments per group is not a whole number of blocks below 2^31",
                self.fpg
            )));
        }
        if self.ipg == 0 || !self.ipg.is_multiple_of(self.inopb) || self.ipg > 1 << 31 {
            return Err(Flaw::invalid(format!(
                "{} inodes per group is not a whole number of inode blocks ({} inodes) below 2^31",
                self.ipg, self.inopb
            )));
        }
        if self
            .ncg
            .checked_mul(self.ipg)
            .is_none_or(|n| n > u64::from(u32::MAX))
        {
            return Err(Flaw::invalid(format!(
                "{} groups of {} inodes are more inodes than 32 bits number",
                self.ncg, self.ipg
            )));
        }
        Ok(())
    }

    /// Where a group's superblock copy, group block, inodes and data lie
    /// within it, and the size of the group block.
    fn check_group_layout(&self) -> Result<(), Flaw> {
        let (sbk, cbk, ibk, dbk) = (self.sblkno, self.cblkno, self.iblkno, self.dblkno);
        if sbk < 0 || cbk <= sbk || ibk <= cbk || dbk < ibk || dbk as u64 > self.fpg {
            return Err(Flaw::invalid(format!(
                "group layout out of order: superblock copy at fragment {sbk}, group block at {cbk}, \
                 inodes at {ibk}, data at {dbk} of {}",
                self.fpg
            )));
        }
        let inode_frags = self.ipg / self.inopb * self.frag;
        if (dbk - ibk) as u64 != inode_frags {
            return Err(Flaw::invalid(format!(
                "inode area of {} fragments where {} inodes per group need {inode_frags}",
                dbk - ibk,
                self.ipg
            )));
        }
        let cgsize = self.cgsize;
        if cgsize == 0 || cgsize > self.bsize {
            return Err(Flaw::invalid(format!(
                "cylinder group size {cgsize} is not between 1 and the block size {}",
                self.bsize
            )));
        }
        let room = (ibk - cbk) as u64 * self.fsize;
        if room < cgsize {
            return Err(Flaw::invalid(format!(
                "cylinder group size {cgsize} is larger than the {room} bytes before the inodes"
            )));
        }
        let need = Cg::size_needed(self);
        if need > cgsize {
            return Err(Flaw::invalid(format!(
                "cylinder group size {cgsize} is too small for its maps ({need} bytes)"
            )));
        }
        Ok(())
    }

    /// The file system's size against its groups and its device, and the
    /// group summary area.
    fn check_extent(&self, dev_size: u64) -> Result<(), Flaw> {
        let preposterous = || {
            Flaw::invalid(format!(
                "size preposterously large ({} fragments of {} bytes in {} groups)",
                self.size, self.fsize, self.ncg
            ))
        };
        // The last group may be short but must hold its metadata.
        let groups = self.ncg.checked_mul(self.fpg).ok_or_else(preposterous)?;
        if self.size > groups || self.size <= groups - self.fpg {
            return Err(Flaw::invalid(format!(
                "size of {} fragments disagrees with {} groups of {} fragments",
                self.size, self.ncg, self.fpg
            )));
        }
        let last_len = self.size - (self.ncg - 1) * self.fpg;
        let last_meta = (self.dblkno as u64) + self.cg_offset(self.ncg - 1);
        if last_len < last_meta {
            return Err(Flaw::invalid(format!(
                "last cylinder group of {last_len} fragments is too small for its {last_meta} of metadata"
            )));
        }
        let bytes = self.size.checked_mul(self.fsize).ok_or_else(preposterous)?;
        if bytes > dev_size {
            return Err(Flaw::invalid(format!(
                "file system of {bytes} bytes ({} groups) is larger than its device of {dev_size} bytes",
                self.ncg
            )));
        }
        let cs_need = self.ncg * Csum::SIZE as u64;
        if self.cssize < cs_need || self.cssize > MAX_CSSIZE {
            return Err(Flaw::invalid(format!(
                "summary area of {} bytes where {} groups need {cs_need}",
                self.cssize, self.ncg
            )));
        }
        let cs_frags = self.cssize.div_ceil(self.fsize);
        if self
            .csaddr
            .checked_add(cs_frags)
            .is_none_or(|end| end > self.size)
        {
            return Err(Flaw::invalid(format!(
                "summary area at fragment {} is outside the file system of {} fragments",
                self.csaddr, self.size
            )));
        }
        Ok(())
    }

    /// Formats and features this code does not handle.
    fn check_features(&self) -> Result<(), Flaw> {
        let room = (NDADDR + NIADDR) as u64 * self.version.ptr_size() as u64;
        if self.maxsymlinklen > room {
            return Err(Flaw::invalid(format!(
                "maxsymlinklen {} is larger than the inode's {room} bytes of block pointers",
                self.maxsymlinklen
            )));
        }
        if !self.inodefmt44 {
            // Owners in the old 16-bit fields, entries without types: the
            // 4.2BSD format, which nothing made since 1994 uses.
            return Err(Flaw::invalid(format!(
                "4.2BSD inode format (fs_old_inodefmt below {FS_44INODEFMT}) not supported"
            )));
        }
        if self.contigsumsize > MAX_CONTIGSUMSIZE {
            return Err(Flaw::invalid(format!(
                "contigsumsize {} is larger than {MAX_CONTIGSUMSIZE}",
                self.contigsumsize
            )));
        }
        if self.version == Version::Ufs1 && self.old_cgmask != -1 && self.old_cgoffset != 0 {
            // Rotational skew of groups belongs to 4.2BSD-era disks; nothing
            // made in this century uses it, and every address would move.
            return Err(Flaw::invalid(format!(
                "skewed cylinder groups (fs_old_cgoffset {}, fs_old_cgmask {:#x}) not supported",
                self.old_cgoffset, self.old_cgmask
            )));
        }
        Ok(())
    }
}
