//! The superblock (`struct fs`, 1376 bytes used of an 8192-byte area).
//!
//! ```text
//!    0 firstfield  unused_1   sblkno   cblkno   iblkno   dblkno
//!   24 old_cgoffset old_cgmask old_time old_size old_dsize ncg
//!   48 bsize fsize frag minfree old_rotdelay old_rps
//!   72 bmask fmask bshift fshift maxcontig maxbpg fragshift fsbtodb
//!  104 sbsize spare1[2] nindir inopb old_nspf optim ...
//!  144 id[2] old_csaddr cssize cgsize spare2 old_nsect old_spc old_ncyl
//!  180 old_cpg ipg fpg old_cstotal{ndir,nbfree,nifree,nffree}
//!  208 fmod clean ronly old_flags fsmnt[468] volname[32] swuid pad cgrotor
//!  728 ocsp[...] (128 bytes)  856 old_cpc maxbsize sparecon64[17]
//! 1000 sblockloc cstotal{ndir,nbfree,nifree,nffree,spare[4]} time size
//! 1088 dsize csaddr pendingblocks pendinginodes snapinum[20]
//! 1196 avgfilesize avgfpdir save_cgsize sparecon32[26]
//! 1312 flags contigsumsize maxsymlinklen old_inodefmt maxfilesize
//! 1336 qbmask qfmask state old_postblformat old_nrpos spare5[2] magic
//! ```

mod validate;

use super::{Endian, Flaw, NDADDR, Version};

/// Where superblocks are looked for, in NetBSD's order: UFS2's place,
/// UFS1's, and the "piggy" place some large-block UFS2 images use.
pub const SEARCH: [u64; 3] = [65536, 8192, 262144];
/// Bytes read at each place.
pub const SBLOCKSIZE: usize = 8192;
/// Where a UFS1 primary superblock always is (`SBLOCK_UFS1`).
pub const SBLOCK_UFS1: u64 = 8192;
/// `FS_UFS1_MAGIC`.
pub const UFS1_MAGIC: u32 = 0x011954;
/// `FS_UFS2_MAGIC`.
pub const UFS2_MAGIC: u32 = 0x1954_0119;
/// `FS_ISCLEAN`.
pub const FS_ISCLEAN: u8 = 0x01;
/// `FS_WASCLEAN`.
pub const FS_WASCLEAN: u8 = 0x02;
/// `FS_44INODEFMT`.
pub const FS_44INODEFMT: i32 = 2;
/// `FS_FLAGS_UPDATED` in `fs_old_flags`: the 64-bit fields are valid.
pub const FS_FLAGS_UPDATED: u8 = 0x80;
/// `FS_DOSOFTDEP`.
pub const FS_DOSOFTDEP: u32 = 0x02;
/// `FS_DOWAPBL`: a journal is in use.
pub const FS_DOWAPBL: u32 = 0x100;
/// `MAXMNTLEN`.
pub const MAXMNTLEN: usize = 468;
/// `FS_DYNAMICPOSTBLFMT`.
pub const FS_DYNAMICPOSTBLFMT: i32 = 1;

/// Byte offsets of the fields used here.
#[allow(missing_docs)]
pub mod field {
    pub const SBLKNO: usize = 8;
    pub const CBLKNO: usize = 12;
    pub const IBLKNO: usize = 16;
    pub const DBLKNO: usize = 20;
    pub const OLD_CGOFFSET: usize = 24;
    pub const OLD_CGMASK: usize = 28;
    pub const OLD_TIME: usize = 32;
    pub const OLD_SIZE: usize = 36;
    pub const OLD_DSIZE: usize = 40;
    pub const NCG: usize = 44;
    pub const BSIZE: usize = 48;
    pub const FSIZE: usize = 52;
    pub const FRAG: usize = 56;
    pub const MINFREE: usize = 60;
    pub const OLD_ROTDELAY: usize = 64;
    pub const OLD_RPS: usize = 68;
    pub const BMASK: usize = 72;
    pub const FMASK: usize = 76;
    pub const BSHIFT: usize = 80;
    pub const FSHIFT: usize = 84;
    pub const MAXCONTIG: usize = 88;
    pub const MAXBPG: usize = 92;
    pub const FRAGSHIFT: usize = 96;
    pub const FSBTODB: usize = 100;
    pub const SBSIZE: usize = 104;
    pub const NINDIR: usize = 116;
    pub const INOPB: usize = 120;
    pub const OLD_NSPF: usize = 124;
    pub const OPTIM: usize = 128;
    pub const OLD_NPSECT: usize = 132;
    pub const OLD_INTERLEAVE: usize = 136;
    pub const ID: usize = 144;
    pub const OLD_CSADDR: usize = 152;
    pub const CSSIZE: usize = 156;
    pub const CGSIZE: usize = 160;
    pub const OLD_NSECT: usize = 168;
    pub const OLD_SPC: usize = 172;
    pub const OLD_NCYL: usize = 176;
    pub const OLD_CPG: usize = 180;
    pub const IPG: usize = 184;
    pub const FPG: usize = 188;
    pub const OLD_CSTOTAL: usize = 192;
    pub const FMOD: usize = 208;
    pub const CLEAN: usize = 209;
    pub const RONLY: usize = 210;
    pub const OLD_FLAGS: usize = 211;
    pub const FSMNT: usize = 212;
    pub const VOLNAME: usize = 680;
    pub const CGROTOR: usize = 724;
    pub const OLD_CPC: usize = 856;
    // abi-literal: the offset of `fs_maxbsize`, not param.h's MAXBSIZE.
    pub const MAXBSIZE: usize = 860;
    pub const SBLOCKLOC: usize = 1000;
    pub const CSTOTAL: usize = 1008;
    pub const TIME: usize = 1072;
    pub const SIZE: usize = 1080;
    pub const DSIZE: usize = 1088;
    pub const CSADDR: usize = 1096;
    pub const PENDINGBLOCKS: usize = 1104;
    pub const PENDINGINODES: usize = 1112;
    pub const AVGFILESIZE: usize = 1196;
    pub const AVGFPDIR: usize = 1200;
    pub const FLAGS: usize = 1312;
    pub const CONTIGSUMSIZE: usize = 1316;
    pub const MAXSYMLINKLEN: usize = 1320;
    pub const OLD_INODEFMT: usize = 1324;
    pub const MAXFILESIZE: usize = 1328;
    pub const QBMASK: usize = 1336;
    pub const QFMASK: usize = 1344;
    pub const OLD_POSTBLFORMAT: usize = 1356;
    pub const OLD_NRPOS: usize = 1360;
    pub const MAGIC: usize = 1372;
    /// Bytes of `struct fs`.
    pub const END: usize = 1376;
}

/// Summary counts of a cylinder group or the whole file system (`struct csum`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Csum {
    /// Directories.
    pub ndir: i64,
    /// Free blocks.
    pub nbfree: i64,
    /// Free inodes.
    pub nifree: i64,
    /// Free fragments (not in a free block).
    pub nffree: i64,
}

impl Csum {
    /// Bytes of one on-disk `struct csum` (the per-group summary area).
    pub const SIZE: usize = 16;

    /// The 32-bit summary at `off`.
    pub fn parse32(e: Endian, b: &[u8], off: usize) -> Csum {
        Csum {
            ndir: i64::from(e.i32(b, off)),
            nbfree: i64::from(e.i32(b, off + 4)),
            nifree: i64::from(e.i32(b, off + 8)),
            nffree: i64::from(e.i32(b, off + 12)),
        }
    }

    /// Store as a 32-bit summary at `off`.
    pub fn emit32(&self, e: Endian, b: &mut [u8], off: usize) {
        e.put_i32(b, off, self.ndir as i32);
        e.put_i32(b, off + 4, self.nbfree as i32);
        e.put_i32(b, off + 8, self.nifree as i32);
        e.put_i32(b, off + 12, self.nffree as i32);
    }

    fn parse64(e: Endian, b: &[u8], off: usize) -> Csum {
        Csum {
            ndir: e.i64(b, off),
            nbfree: e.i64(b, off + 8),
            nifree: e.i64(b, off + 16),
            nffree: e.i64(b, off + 24),
        }
    }

    fn emit64(&self, e: Endian, b: &mut [u8], off: usize) {
        e.put_i64(b, off, self.ndir);
        e.put_i64(b, off + 8, self.nbfree);
        e.put_i64(b, off + 16, self.nifree);
        e.put_i64(b, off + 24, self.nffree);
    }

    /// Add `d` field by field.
    pub fn add(&mut self, d: &Csum) {
        // Counts read from a damaged image may be anything.
        self.ndir = self.ndir.saturating_add(d.ndir);
        self.nbfree = self.nbfree.saturating_add(d.nbfree);
        self.nifree = self.nifree.saturating_add(d.nifree);
        self.nffree = self.nffree.saturating_add(d.nffree);
    }
}

/// A superblock: the geometry checked for consistency, the counts and
/// flags that change, and the bytes it came from (written back with the
/// changes, so fields not understood here survive).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superblock {
    /// Byte order.
    pub endian: Endian,
    /// UFS1 or UFS2.
    pub version: Version,
    /// Byte offset it was found at.
    pub location: u64,
    /// The raw bytes (`SBLOCKSIZE`).
    pub raw: Vec<u8>,
    /// Superblock's frag offset within a group.
    pub sblkno: i64,
    /// Cylinder group block's frag offset within a group.
    pub cblkno: i64,
    /// Inode blocks' frag offset within a group.
    pub iblkno: i64,
    /// First data frag's offset within a group.
    pub dblkno: i64,
    /// UFS1 group start skew (`fs_old_cgoffset`).
    pub old_cgoffset: i64,
    /// UFS1 group skew mask (`fs_old_cgmask`).
    pub old_cgmask: i64,
    /// Cylinder groups.
    pub ncg: u64,
    /// Block size.
    pub bsize: u64,
    /// Fragment size.
    pub fsize: u64,
    /// Fragments per block.
    pub frag: u64,
    /// `log2(bsize)`.
    pub bshift: u32,
    /// `log2(fsize)`.
    pub fshift: u32,
    /// `log2(frag)`.
    pub fragshift: u32,
    /// `log2(fsize / DEV_BSIZE)`.
    pub fsbtodb: u32,
    /// Percentage of blocks kept back from non-root users.
    pub minfree: i64,
    /// Most blocks a file puts in one group before moving on.
    pub maxbpg: i64,
    /// Most contiguous blocks allocated together.
    pub maxcontig: i64,
    /// Block pointers in an indirect block.
    pub nindir: u64,
    /// Inodes in a block.
    pub inopb: u64,
    /// Bytes of the group summary area.
    pub cssize: u64,
    /// Bytes of a cylinder group block.
    pub cgsize: u64,
    /// Inodes per group.
    pub ipg: u64,
    /// Fragments per group.
    pub fpg: u64,
    /// Fragments in the file system.
    pub size: u64,
    /// Data fragments in the file system.
    pub dsize: u64,
    /// Frag address of the group summary area.
    pub csaddr: u64,
    /// Totals (`fs_cstotal`).
    pub cstotal: Csum,
    /// `fs_clean`.
    pub clean: u8,
    /// `fs_flags` (or `fs_old_flags` for an old UFS1).
    pub flags: u32,
    /// Longest symlink target kept in the inode.
    pub maxsymlinklen: u64,
    /// 4.4BSD inode and directory format (else 4.2BSD's).
    pub inodefmt44: bool,
    /// Cluster summary entries per group (0: no cluster maps).
    pub contigsumsize: u64,
    /// Largest file.
    pub maxfilesize: u64,
    /// Last written (seconds).
    pub time: i64,
    /// Expected average file size.
    pub avgfilesize: u64,
    /// Expected files per directory.
    pub avgfpdir: u64,
    /// UFS1 cylinders per group (sizes the old rotational tables).
    pub old_cpg: u64,
}

impl Superblock {
    /// The byte order and version a magic number at `raw` names, if any.
    pub fn sniff(raw: &[u8]) -> Option<(Endian, Version)> {
        for e in [Endian::Little, Endian::Big] {
            match e.u32(raw, field::MAGIC) {
                UFS1_MAGIC => return Some((e, Version::Ufs1)),
                UFS2_MAGIC => return Some((e, Version::Ufs2)),
                _ => {}
            }
        }
        None
    }

    /// Parse and check the primary superblock read at byte `location` of
    /// a device of `dev_size` bytes, saying what is wrong (EINVAL) when
    /// it is inconsistent. A primary superblock sits where its format puts
    /// it: UFS1's at 8192 (a UFS1 superblock elsewhere is a group's copy,
    /// as NetBSD's kernel and fsck also reason), UFS2's at its own
    /// `fs_sblockloc`.
    pub fn parse(raw: &[u8], location: u64, dev_size: u64) -> Result<Superblock, Flaw> {
        let sb = Superblock::fields(raw, location)?;
        let home = sb.primary_location()?;
        if home != location {
            return Err(Flaw::invalid(format!(
                "superblock at byte {location} is not at its standard place ({home}): a group's copy"
            )));
        }
        sb.check(dev_size)?;
        Ok(sb)
    }

    /// Whether `raw`, read at byte `location`, is a superblock that says
    /// it is the primary there (however damaged the rest): its flaws are
    /// the ones worth reporting.
    pub fn claims_primary_place(raw: &[u8], location: u64) -> bool {
        Superblock::fields(raw, location)
            .and_then(|sb| sb.primary_location())
            .is_ok_and(|home| home == location)
    }

    /// Parse and check a group's copy of the superblock (what `fsck_ffs -b`
    /// names), read at byte `location`: it must be consistent and sit where
    /// its own geometry puts some group's copy. The result's `location` is
    /// the primary's place, where it belongs once written back.
    pub fn parse_copy(raw: &[u8], location: u64, dev_size: u64) -> Result<Superblock, Flaw> {
        let mut sb = Superblock::fields(raw, location)?;
        sb.check(dev_size)?;
        if sb.copy_group(location).is_none() {
            return Err(Flaw::invalid(format!(
                "superblock at byte {location} is not at the place of a cylinder group's copy"
            )));
        }
        sb.location = sb.primary_location()?;
        Ok(sb)
    }

    /// The group whose superblock copy sits at byte `location`, if any.
    pub fn copy_group(&self, location: u64) -> Option<u64> {
        if self.fsize == 0 || !location.is_multiple_of(self.fsize) {
            return None;
        }
        let frag = location / self.fsize;
        let c = frag.checked_div(self.fpg)?;
        (c < self.ncg && self.cgsblock(c) == frag).then_some(c)
    }

    /// Where the primary superblock of this file system belongs: 8192 for
    /// UFS1, `fs_sblockloc` (one of the standard places) for UFS2.
    pub fn primary_location(&self) -> Result<u64, Flaw> {
        match self.version {
            Version::Ufs1 => Ok(SBLOCK_UFS1),
            Version::Ufs2 => {
                let loc = self.endian.i64(&self.raw, field::SBLOCKLOC);
                u64::try_from(loc)
                    .ok()
                    .filter(|l| SEARCH.contains(l))
                    .ok_or_else(|| {
                        Flaw::invalid(format!("fs_sblockloc {loc} is not a standard place"))
                    })
            }
        }
    }

    /// Whether `other` describes the same layout (the fields NetBSD's fsck
    /// compares between the primary and a copy).
    pub fn same_layout(&self, other: &Superblock) -> bool {
        let key = |s: &Superblock| {
            (
                (s.version, s.endian, s.sblkno, s.cblkno, s.iblkno, s.dblkno),
                (s.ncg, s.bsize, s.fsize, s.frag, s.bshift, s.fshift),
                (s.fragshift, s.fsbtodb, s.nindir, s.inopb, s.cssize),
                (s.ipg, s.fpg),
            )
        };
        key(self) == key(other)
    }

    /// The fields, not yet checked.
    fn fields(raw: &[u8], location: u64) -> Result<Superblock, Flaw> {
        if raw.len() < SBLOCKSIZE {
            return Err(Flaw::invalid(format!(
                "superblock area of {} bytes is short of {SBLOCKSIZE}",
                raw.len()
            )));
        }
        let (e, version) = Superblock::sniff(raw).ok_or_else(|| {
            let magic = Endian::Little.u32(raw, field::MAGIC);
            Flaw::invalid(format!("magic number wrong ({magic:#010x})"))
        })?;
        let i = |off: usize| i64::from(e.i32(raw, off));
        let u = |off: usize| u64::from(e.u32(raw, off));
        let old_flags = raw[field::OLD_FLAGS];
        // UFS1 written before the 64-bit fields existed keeps its sizes in
        // the old ones; newer UFS1 keeps both, the old ones authoritative.
        let (size, dsize, csaddr, cstotal, time, flags) = match version {
            Version::Ufs1 => (
                u(field::OLD_SIZE),
                u(field::OLD_DSIZE),
                u(field::OLD_CSADDR),
                Csum::parse32(e, raw, field::OLD_CSTOTAL),
                i(field::OLD_TIME),
                if old_flags & FS_FLAGS_UPDATED != 0 {
                    e.u32(raw, field::FLAGS)
                } else {
                    u32::from(old_flags)
                },
            ),
            Version::Ufs2 => (
                e.u64(raw, field::SIZE),
                e.u64(raw, field::DSIZE),
                e.u64(raw, field::CSADDR),
                Csum::parse64(e, raw, field::CSTOTAL),
                e.i64(raw, field::TIME),
                e.u32(raw, field::FLAGS),
            ),
        };
        let sb = Superblock {
            endian: e,
            version,
            location,
            raw: raw[..SBLOCKSIZE].to_vec(),
            sblkno: i(field::SBLKNO),
            cblkno: i(field::CBLKNO),
            iblkno: i(field::IBLKNO),
            dblkno: i(field::DBLKNO),
            old_cgoffset: i(field::OLD_CGOFFSET),
            old_cgmask: i(field::OLD_CGMASK),
            ncg: u(field::NCG),
            bsize: u(field::BSIZE),
            fsize: u(field::FSIZE),
            frag: u(field::FRAG),
            bshift: e.u32(raw, field::BSHIFT),
            fshift: e.u32(raw, field::FSHIFT),
            fragshift: e.u32(raw, field::FRAGSHIFT),
            fsbtodb: e.u32(raw, field::FSBTODB),
            minfree: i(field::MINFREE),
            maxbpg: i(field::MAXBPG),
            maxcontig: i(field::MAXCONTIG),
            nindir: u(field::NINDIR),
            inopb: u(field::INOPB),
            cssize: u(field::CSSIZE),
            cgsize: u(field::CGSIZE),
            ipg: u(field::IPG),
            fpg: u(field::FPG),
            size,
            dsize,
            csaddr,
            cstotal,
            clean: raw[field::CLEAN],
            flags,
            maxsymlinklen: u64::try_from(i(field::MAXSYMLINKLEN)).unwrap_or(0),
            inodefmt44: version == Version::Ufs2
                || i(field::OLD_INODEFMT) >= i64::from(FS_44INODEFMT),
            contigsumsize: u64::try_from(i(field::CONTIGSUMSIZE)).unwrap_or(0),
            maxfilesize: e.u64(raw, field::MAXFILESIZE),
            time,
            avgfilesize: u(field::AVGFILESIZE),
            avgfpdir: u(field::AVGFPDIR),
            old_cpg: u(field::OLD_CPG),
        };
        Ok(sb)
    }

    /// The skew of group `c`'s metadata from its base (0 but for old UFS1).
    pub(super) fn cg_offset(&self, c: u64) -> u64 {
        match self.version {
            Version::Ufs2 => 0,
            Version::Ufs1 => {
                let skew = self.old_cgoffset.max(0) as u64;
                skew * (c & !(self.old_cgmask as u64))
            }
        }
    }

    /// First frag of group `c` (`cgbase`).
    pub fn cgbase(&self, c: u64) -> u64 {
        self.fpg * c
    }

    /// Frag where group `c`'s metadata starts (`cgstart`).
    pub fn cgstart(&self, c: u64) -> u64 {
        self.cgbase(c) + self.cg_offset(c)
    }

    /// Frag of group `c`'s cylinder group block (`cgtod`).
    pub fn cgtod(&self, c: u64) -> u64 {
        self.cgstart(c) + self.cblkno as u64
    }

    /// Frag of group `c`'s superblock copy (`cgsblock`).
    pub fn cgsblock(&self, c: u64) -> u64 {
        self.cgstart(c) + self.sblkno as u64
    }

    /// First inode frag of group `c` (`cgimin`).
    pub fn cgimin(&self, c: u64) -> u64 {
        self.cgstart(c) + self.iblkno as u64
    }

    /// First data frag of group `c` (`cgdmin`).
    pub fn cgdmin(&self, c: u64) -> u64 {
        self.cgstart(c) + self.dblkno as u64
    }

    /// Frags in group `c` (the last may be short).
    pub fn cg_frags(&self, c: u64) -> u64 {
        if c + 1 == self.ncg {
            self.size - self.cgbase(c)
        } else {
            self.fpg
        }
    }

    /// The frags of group `c` that hold metadata: the superblock copy,
    /// the group block and the inodes, and in group 0 everything before
    /// them too (boot blocks, the primary superblock).
    pub fn meta_frags(&self, c: u64) -> std::ops::Range<u64> {
        let lo = if c == 0 { 0 } else { self.cgsblock(c) };
        lo..self.cgdmin(c)
    }

    /// The frags of the group summary area.
    pub fn cs_frags(&self) -> std::ops::Range<u64> {
        self.csaddr..self.csaddr + self.cssize.div_ceil(self.fsize)
    }

    /// Total inodes.
    pub fn ninodes(&self) -> u64 {
        self.ncg * self.ipg
    }

    /// Group of inode `ino`.
    pub fn ino_to_cg(&self, ino: u64) -> u64 {
        ino / self.ipg
    }

    /// Byte offset of inode `ino` on the device.
    pub fn inode_offset(&self, ino: u64) -> u64 {
        let c = self.ino_to_cg(ino);
        let within = ino % self.ipg;
        let frag = self.cgimin(c) + (within / self.inopb) * self.frag;
        frag * self.fsize + (within % self.inopb) * self.version.inode_size() as u64
    }

    /// Group of frag `d` (`dtog`).
    pub fn dtog(&self, d: u64) -> u64 {
        d / self.fpg
    }

    /// Frag `d`'s index within its group (`dtogd`).
    pub fn dtogd(&self, d: u64) -> u64 {
        d % self.fpg
    }

    /// Logical block of byte `off` (`lblkno`).
    pub fn lblkno(&self, off: u64) -> u64 {
        off >> self.bshift
    }

    /// Offset of byte `off` within its block (`blkoff`).
    pub fn blkoff(&self, off: u64) -> u64 {
        off & (self.bsize - 1)
    }

    /// `size` rounded up to whole frags (`fragroundup`).
    pub fn fragroundup(&self, size: u64) -> u64 {
        size.div_ceil(self.fsize) * self.fsize
    }

    /// Frags in `bytes` (`numfrags`).
    pub fn numfrags(&self, bytes: u64) -> u64 {
        bytes >> self.fshift
    }

    /// Bytes of logical block `lbn` of a file of `size` bytes: whole
    /// blocks, but a direct block at the end holds only the frags needed.
    pub fn blksize(&self, size: u64, lbn: u64) -> u64 {
        if lbn >= NDADDR as u64 || size >= (lbn + 1) << self.bshift {
            self.bsize
        } else {
            self.fragroundup(self.blkoff(size))
        }
    }

    /// Frags of extended attribute block `i` of an area of `extsize` bytes
    /// (whole blocks but for a short last one, as file data).
    pub fn ext_frags(&self, extsize: u64, i: u64) -> u64 {
        if i * self.bsize >= extsize {
            0
        } else if extsize >= (i + 1) * self.bsize {
            self.frag
        } else {
            self.numfrags(self.fragroundup(self.blkoff(extsize)))
        }
    }

    /// Data frags free (the whole-block and loose-frag counts together).
    pub fn free_frags(&self) -> u64 {
        let t = &self.cstotal;
        (t.nbfree.max(0) as u64)
            .saturating_mul(self.frag)
            .saturating_add(t.nffree.max(0) as u64)
    }

    /// Record mount point `on` in `fs_fsmnt` (`MAXMNTLEN` bytes, NUL
    /// padded, cut to leave a NUL as `ffs_mount`'s `copystr` does).
    pub fn set_fsmnt(&mut self, on: &[u8]) {
        let Some(slot) = self.raw.get_mut(field::FSMNT..field::FSMNT + MAXMNTLEN) else {
            return;
        };
        slot.fill(0);
        let n = on.len().min(MAXMNTLEN - 1);
        slot[..n].copy_from_slice(&on[..n]);
    }

    /// Write the fields that change back into [`Superblock::raw`]: counts,
    /// time, flags and the clean flag, in both the UFS1 and UFS2 places
    /// where the format has two.
    pub fn emit(&mut self) {
        let e = self.endian;
        let r = &mut self.raw;
        r[field::FMOD] = 0;
        r[field::CLEAN] = self.clean;
        r[field::RONLY] = 0;
        match self.version {
            Version::Ufs1 => {
                self.cstotal.emit32(e, r, field::OLD_CSTOTAL);
                e.put_i32(r, field::OLD_TIME, self.time as i32);
                if r[field::OLD_FLAGS] & FS_FLAGS_UPDATED != 0 {
                    self.cstotal.emit64(e, r, field::CSTOTAL);
                    e.put_i64(r, field::TIME, self.time);
                    e.put_u32(r, field::FLAGS, self.flags);
                    r[field::OLD_FLAGS] = (self.flags as u8 & 0x7f) | FS_FLAGS_UPDATED;
                } else {
                    r[field::OLD_FLAGS] = self.flags as u8;
                }
            }
            Version::Ufs2 => {
                self.cstotal.emit64(e, r, field::CSTOTAL);
                e.put_i64(r, field::TIME, self.time);
                e.put_u32(r, field::FLAGS, self.flags);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rump::Errno;

    /// A UFS2 superblock as `makefs -t ffs -o version=2 -s 32m` writes it,
    /// reduced to the fields a reader checks.
    fn ufs2_sample() -> Vec<u8> {
        let mut r = vec![0u8; SBLOCKSIZE];
        let e = Endian::Little;
        let put = |r: &mut Vec<u8>, off, v: i32| e.put_i32(r, off, v);
        put(&mut r, field::SBLKNO, 8);
        put(&mut r, field::CBLKNO, 16);
        put(&mut r, field::IBLKNO, 24);
        put(&mut r, field::DBLKNO, 24 + 8 * 8);
        put(&mut r, field::NCG, 4);
        put(&mut r, field::BSIZE, 8192);
        put(&mut r, field::FSIZE, 1024);
        put(&mut r, field::FRAG, 8);
        put(&mut r, field::BSHIFT, 13);
        put(&mut r, field::FSHIFT, 10);
        put(&mut r, field::FRAGSHIFT, 3);
        put(&mut r, field::FSBTODB, 1);
        put(&mut r, field::NINDIR, 1024);
        put(&mut r, field::INOPB, 32);
        put(&mut r, field::CSSIZE, 1024);
        put(&mut r, field::CGSIZE, 8192);
        put(&mut r, field::IPG, 256);
        put(&mut r, field::FPG, 8192);
        e.put_i64(&mut r, field::SBLOCKLOC, 65536);
        e.put_i64(&mut r, field::SIZE, 32768);
        e.put_i64(&mut r, field::DSIZE, 32000);
        e.put_i64(&mut r, field::CSADDR, 88);
        e.put_i64(&mut r, field::CSTOTAL + 8, 3900);
        put(&mut r, field::MAXSYMLINKLEN, 120);
        put(&mut r, field::SBSIZE, 2048);
        e.put_u32(&mut r, field::MAGIC, UFS2_MAGIC);
        r
    }

    #[test]
    fn parses_and_places_groups() {
        let sb = Superblock::parse(&ufs2_sample(), 65536, 32 << 20).unwrap();
        assert_eq!((sb.version, sb.endian), (Version::Ufs2, Endian::Little));
        assert_eq!((sb.bsize, sb.fsize, sb.frag, sb.ncg), (8192, 1024, 8, 4));
        assert_eq!(sb.cgtod(1), 8192 + 16);
        assert_eq!(sb.cgdmin(2), 2 * 8192 + 88);
        // Inode 2 is the third 256-byte inode of group 0's first inode block.
        assert_eq!(sb.inode_offset(2), 24 * 1024 + 512);
        assert_eq!(sb.inode_offset(256 + 33), (8192 + 24 + 8) * 1024 + 256);
        assert_eq!(sb.cstotal.nbfree, 3900);
        assert_eq!(sb.blksize(10_000, 0), 8192);
        assert_eq!(sb.blksize(10_000, 1), 2048);
        assert_eq!(sb.blksize(200_000, 12), 8192);
    }

    #[test]
    fn byte_swapped_reads_the_same() {
        let le = ufs2_sample();
        let mut be = le.clone();
        // Swap each 4-byte field and the 8-byte ones used.
        for off in (0..field::END).step_by(4) {
            be[off..off + 4].reverse();
        }
        for off in [
            field::SBLOCKLOC,
            field::SIZE,
            field::DSIZE,
            field::CSADDR,
            field::CSTOTAL + 8,
        ] {
            let v = Endian::Little.u64(&le, off);
            Endian::Big.put_u64(&mut be, off, v);
        }
        let a = Superblock::parse(&le, 65536, 32 << 20).unwrap();
        let b = Superblock::parse(&be, 65536, 32 << 20).unwrap();
        assert_eq!(b.endian, Endian::Big);
        assert_eq!((a.size, a.cstotal, a.ipg), (b.size, b.cstotal, b.ipg));
    }

    #[test]
    fn rejects_what_does_not_add_up_and_says_why() {
        let cases: [(usize, i32, &str); 12] = [
            (
                field::BSIZE,
                4096 + 512,
                "block size 4608 is not a power of two from 4096 to 65536",
            ),
            (
                field::FSIZE,
                256,
                "fragment size 256 is not a power of two from 512 to the block size 8192",
            ),
            (
                field::FRAG,
                4,
                "4 fragments per block where the sizes make 8",
            ),
            (
                field::BSHIFT,
                12,
                "fs_bshift 12 disagrees with the block size 8192",
            ),
            (field::NCG, 0, "no cylinder groups (fs_ncg 0)"),
            (
                field::IPG,
                100,
                "100 inodes per group is not a whole number of inode blocks (32 inodes) below 2^31",
            ),
            (
                field::DBLKNO,
                20,
                "group layout out of order: superblock copy at fragment 8, group block at 16, \
                 inodes at 24, data at 20 of 8192",
            ),
            (
                field::CGSIZE,
                65536,
                "cylinder group size 65536 is not between 1 and the block size 8192",
            ),
            (
                field::NCG,
                5,
                "size of 32768 fragments disagrees with 5 groups of 8192 fragments",
            ),
            (field::MAGIC, 0x1234, "magic number wrong (0x00001234)"),
            (
                field::SBSIZE,
                9000,
                "superblock size 9000 is not between 1376 and 8192",
            ),
            (
                field::CSSIZE,
                8,
                "summary area of 8 bytes where 4 groups need 64",
            ),
        ];
        for (off, v, why) in cases {
            let mut r = ufs2_sample();
            Endian::Little.put_i32(&mut r, off, v);
            let flaw = Superblock::parse(&r, 65536, 32 << 20).unwrap_err();
            assert_eq!(
                (flaw.errno(), flaw.reason()),
                (Errno::EINVAL, why),
                "field at {off}"
            );
        }
        let reason = |r: Result<Superblock, Flaw>| r.unwrap_err().reason().to_string();
        assert_eq!(
            reason(Superblock::parse(&ufs2_sample(), 65536, 16 << 20)),
            "file system of 33554432 bytes (4 groups) is larger than its device of 16777216 bytes"
        );
        assert_eq!(
            reason(Superblock::parse(&ufs2_sample()[..1376], 65536, 32 << 20)),
            "superblock area of 1376 bytes is short of 8192"
        );
    }

    /// The sample made UFS1 (old fields, 128-byte inodes).
    fn ufs1_sample() -> Vec<u8> {
        let mut r = ufs2_sample();
        let e = Endian::Little;
        e.put_i32(&mut r, field::INOPB, 64);
        e.put_i32(&mut r, field::NINDIR, 2048);
        e.put_i32(&mut r, field::DBLKNO, 24 + 4 * 8);
        e.put_i32(&mut r, field::OLD_SIZE, 32768);
        e.put_i32(&mut r, field::OLD_DSIZE, 32000);
        e.put_i32(&mut r, field::OLD_CSADDR, 56);
        e.put_i32(&mut r, field::OLD_INODEFMT, FS_44INODEFMT);
        e.put_i32(&mut r, field::MAXSYMLINKLEN, 60);
        e.put_u32(&mut r, field::MAGIC, UFS1_MAGIC);
        r
    }

    #[test]
    fn primaries_only_at_their_place() {
        let size = 32 << 20;
        assert!(Superblock::parse(&ufs1_sample(), 8192, size).is_ok());
        assert!(Superblock::claims_primary_place(&ufs1_sample(), 8192));
        // A UFS1 superblock anywhere else is a group's copy (NetBSD's fsck:
        // "likely to be the first alternate of a fs with 64k blocks").
        let reason = |r: Result<Superblock, Flaw>| r.unwrap_err().reason().to_string();
        assert_eq!(
            reason(Superblock::parse(&ufs1_sample(), 65536, size)),
            "superblock at byte 65536 is not at its standard place (8192): a group's copy"
        );
        assert!(!Superblock::claims_primary_place(&ufs1_sample(), 65536));
        assert_eq!(
            reason(Superblock::parse(&ufs2_sample(), 8192, size)),
            "superblock at byte 8192 is not at its standard place (65536): a group's copy"
        );
        let mut r = ufs2_sample();
        Endian::Little.put_u32(&mut r, field::MAGIC, 0);
        let flaw = Superblock::parse(&r, 65536, size).unwrap_err();
        assert_eq!(flaw.shouted(), "MAGIC NUMBER WRONG (0x00000000)");
    }

    #[test]
    fn copies_are_taken_at_a_group_copy_place() {
        let size = 32 << 20;
        // cgsblock(c) = 8192 * c + 8 frags of 1 KiB.
        for c in 0..4u64 {
            let at = (8192 * c + 8) * 1024;
            for raw in [ufs1_sample(), ufs2_sample()] {
                let sb = Superblock::parse_copy(&raw, at, size).unwrap();
                assert_eq!(sb.copy_group(at), Some(c));
                // Written back where the primary belongs.
                let want = if sb.version == Version::Ufs1 {
                    8192
                } else {
                    65536
                };
                assert_eq!(sb.location, want);
            }
        }
        let reason = |r: Result<Superblock, Flaw>| r.unwrap_err().reason().to_string();
        assert_eq!(
            reason(Superblock::parse_copy(&ufs2_sample(), 9 * 1024, size)),
            "superblock at byte 9216 is not at the place of a cylinder group's copy"
        );
        let mut r = ufs2_sample();
        Endian::Little.put_i64(&mut r, field::SBLOCKLOC, 12345);
        assert_eq!(
            reason(Superblock::parse_copy(&r, 8 * 1024, size)),
            "fs_sblockloc 12345 is not a standard place"
        );
        let a = Superblock::parse_copy(&ufs2_sample(), 8 * 1024, size).unwrap();
        let b = Superblock::parse(&ufs2_sample(), 65536, size).unwrap();
        assert!(
            a.same_layout(&b)
                && !a.same_layout(&Superblock::parse_copy(&ufs1_sample(), 8 * 1024, size).unwrap())
        );
    }

    #[test]
    fn emit_round_trips() {
        let mut sb = Superblock::parse(&ufs2_sample(), 65536, 32 << 20).unwrap();
        sb.cstotal.nbfree -= 3;
        sb.clean = FS_ISCLEAN;
        sb.emit();
        let again = Superblock::parse(&sb.raw, 65536, 32 << 20).unwrap();
        assert_eq!(again, sb);
    }
}
