//! A cylinder group block (`struct cg`) and the maps that follow it.
//!
//! ```text
//!   0 firstfield magic old_time cgx old_ncyl(16) old_niblk(16) ndblk
//!  24 cs{ndir,nbfree,nifree,nffree} rotor frotor irotor frsum[8]
//!  84 old_btotoff old_boff iusedoff freeoff nextfreeoff
//! 104 clustersumoff clusteroff nclusterblks niblk initediblk sparecon32[3]
//! 136 time(64) sparecon64[3]  168 maps...
//! ```
//!
//! The inode map has a bit per inode (set: in use), the free map a bit per
//! fragment (set: free), the cluster map a bit per block (set: free), and
//! the cluster summary counts free runs of 1..=contigsumsize blocks.

use super::superblock::{Csum, Superblock};
use super::{Endian, Flaw, MAXFRAG, Version};

/// `CG_MAGIC`.
pub const CG_MAGIC: u32 = 0x090255;

/// Byte offsets of the fields.
#[allow(missing_docs)]
pub mod field {
    pub const MAGIC: usize = 4;
    pub const OLD_TIME: usize = 8;
    pub const CGX: usize = 12;
    pub const OLD_NCYL: usize = 16;
    pub const OLD_NIBLK: usize = 18;
    pub const NDBLK: usize = 20;
    pub const CS: usize = 24;
    pub const ROTOR: usize = 40;
    pub const FROTOR: usize = 44;
    pub const IROTOR: usize = 48;
    pub const FRSUM: usize = 52;
    pub const OLD_BTOTOFF: usize = 84;
    pub const OLD_BOFF: usize = 88;
    pub const IUSEDOFF: usize = 92;
    pub const FREEOFF: usize = 96;
    pub const NEXTFREEOFF: usize = 100;
    pub const CLUSTERSUMOFF: usize = 104;
    pub const CLUSTEROFF: usize = 108;
    pub const NCLUSTERBLKS: usize = 112;
    pub const NIBLK: usize = 116;
    pub const INITEDIBLK: usize = 120;
    pub const TIME: usize = 136;
    /// Where the maps start (`cg_space`).
    pub const SPACE: usize = 168;
}

/// One cylinder group block, checked against the superblock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cg {
    e: Endian,
    /// The bytes (`fs_cgsize`).
    pub raw: Vec<u8>,
    iused: usize,
    free: usize,
    clustersum: usize,
    cluster: usize,
    ipg: u64,
    fpg: u64,
    frag: u64,
    contigsumsize: u64,
}

fn bit(map: &[u8], n: u64) -> bool {
    map.get((n / 8) as usize)
        .is_some_and(|b| b & (1 << (n % 8)) != 0)
}

fn set_bit(map: &mut [u8], n: u64, on: bool) {
    if let Some(b) = map.get_mut((n / 8) as usize) {
        if on {
            *b |= 1 << (n % 8);
        } else {
            *b &= !(1 << (n % 8));
        }
    }
}

impl Cg {
    /// Check `raw`, read as group `c`'s block, saying what is wrong (EIO).
    pub fn parse(sb: &Superblock, c: u64, raw: Vec<u8>) -> Result<Cg, Flaw> {
        let e = sb.endian;
        let magic = e.u32(&raw, field::MAGIC);
        if magic != CG_MAGIC {
            return Err(Flaw::damaged(format!("bad magic number {magic:#x}")));
        }
        let cgx = e.u32(&raw, field::CGX);
        if u64::from(cgx) != c {
            return Err(Flaw::damaged(format!("says it is group {cgx}")));
        }
        let off = |f: usize| e.u32(&raw, f) as usize;
        let len = raw.len();
        let fits = |start: usize, bytes: u64| {
            start >= field::SPACE
                && (start as u64)
                    .checked_add(bytes)
                    .is_some_and(|end| end <= len as u64)
        };
        let outside = |what: &str, start: usize, bytes: u64| {
            Flaw::damaged(format!(
                "{what} at byte {start} ({bytes} bytes) outside the block's {} to {len}",
                field::SPACE
            ))
        };
        let (iused, free) = (off(field::IUSEDOFF), off(field::FREEOFF));
        if !fits(iused, sb.ipg.div_ceil(8)) {
            return Err(outside("inode map", iused, sb.ipg.div_ceil(8)));
        }
        if !fits(free, sb.fpg.div_ceil(8)) {
            return Err(outside("fragment map", free, sb.fpg.div_ceil(8)));
        }
        let (clustersum, cluster) = (off(field::CLUSTERSUMOFF), off(field::CLUSTEROFF));
        if sb.contigsumsize > 0 {
            let (sum_bytes, map_bytes) =
                (4 * (sb.contigsumsize + 1), (sb.fpg / sb.frag).div_ceil(8));
            if !fits(clustersum, sum_bytes) {
                return Err(outside("cluster summary", clustersum, sum_bytes));
            }
            if !fits(cluster, map_bytes) {
                return Err(outside("cluster map", cluster, map_bytes));
            }
        }
        let cg = Cg::laid_out(sb, raw, [iused, free, clustersum, cluster]);
        if u64::from(cg.ndblk()) > sb.fpg {
            return Err(Flaw::damaged(format!(
                "{} data fragments in a group of {}",
                cg.ndblk(),
                sb.fpg
            )));
        }
        if sb.version == Version::Ufs2 && u64::from(cg.initediblk()) > sb.ipg {
            return Err(Flaw::damaged(format!(
                "{} initialised inodes in a group of {}",
                cg.initediblk(),
                sb.ipg
            )));
        }
        Ok(cg)
    }

    /// A new, empty group block for group `c` of `sb` (everything in use
    /// until the caller frees it), laid out as NetBSD's newfs does.
    pub fn new(sb: &Superblock, c: u64) -> Cg {
        let e = sb.endian;
        let mut raw = vec![0u8; sb.cgsize as usize];
        let mut next = field::SPACE;
        if sb.version == Version::Ufs1 {
            // The old rotational tables: kept empty, but present so that
            // NetBSD's tools find the maps where they expect them.
            e.put_u32(&mut raw, field::OLD_BTOTOFF, next as u32);
            next += sb.old_cpg as usize * 4;
            e.put_u32(&mut raw, field::OLD_BOFF, next as u32);
            next += sb.old_cpg as usize * 2;
        }
        let iused = next;
        next += sb.ipg.div_ceil(8) as usize;
        let free = next;
        next += sb.fpg.div_ceil(8) as usize;
        let (mut clustersum, mut cluster) = (0, 0);
        if sb.contigsumsize > 0 {
            // The summary is indexed from 1: its slot 0 overlaps the word before.
            clustersum = (next - 4).next_multiple_of(4);
            next = clustersum + 4 * (sb.contigsumsize as usize + 1);
            cluster = next;
            next += (sb.fpg / sb.frag).div_ceil(8) as usize;
        }
        e.put_u32(&mut raw, field::MAGIC, CG_MAGIC);
        e.put_u32(&mut raw, field::CGX, c as u32);
        e.put_u32(&mut raw, field::IUSEDOFF, iused as u32);
        e.put_u32(&mut raw, field::FREEOFF, free as u32);
        e.put_u32(&mut raw, field::NEXTFREEOFF, next as u32);
        e.put_u32(&mut raw, field::CLUSTERSUMOFF, clustersum as u32);
        e.put_u32(&mut raw, field::CLUSTEROFF, cluster as u32);
        Cg::laid_out(sb, raw, [iused, free, clustersum, cluster])
    }

    /// The view over `raw` with its maps at `[iused, free, clustersum, cluster]`.
    fn laid_out(sb: &Superblock, raw: Vec<u8>, maps: [usize; 4]) -> Cg {
        let [iused, free, clustersum, cluster] = maps;
        Cg {
            e: sb.endian,
            raw,
            iused,
            free,
            clustersum,
            cluster,
            ipg: sb.ipg,
            fpg: sb.fpg,
            frag: sb.frag,
            contigsumsize: sb.contigsumsize,
        }
    }

    /// Bytes the maps need for `sb` (what `fs_cgsize` must hold).
    pub fn size_needed(sb: &Superblock) -> u64 {
        let mut n = field::SPACE as u64;
        if sb.version == Version::Ufs1 {
            n = n.saturating_add(sb.old_cpg.saturating_mul(6));
        }
        n = n.saturating_add(sb.ipg.div_ceil(8) + sb.fpg.div_ceil(8));
        if sb.contigsumsize > 0 {
            let blocks = sb.fpg / sb.frag.max(1);
            n = n.saturating_add(4 * (sb.contigsumsize + 1) + blocks.div_ceil(8));
        }
        n
    }

    fn get(&self, off: usize) -> u32 {
        self.e.u32(&self.raw, off)
    }

    fn put(&mut self, off: usize, v: u32) {
        self.e.put_u32(&mut self.raw, off, v);
    }

    /// Data frags in the group (`cg_ndblk`).
    pub fn ndblk(&self) -> u32 {
        self.get(field::NDBLK)
    }

    /// Set `cg_ndblk`.
    pub fn set_ndblk(&mut self, v: u32) {
        self.put(field::NDBLK, v);
    }

    /// Inode blocks' worth of inodes (`cg_niblk`).
    pub fn niblk(&self) -> u32 {
        self.get(field::NIBLK)
    }

    /// Set `cg_niblk` (and UFS1's 16-bit copy).
    pub fn set_niblk(&mut self, v: u32) {
        self.put(field::NIBLK, v);
        self.e.put_u16(&mut self.raw, field::OLD_NIBLK, v as u16);
    }

    /// UFS2: inodes written so far (`cg_initediblk`); past it, inode
    /// blocks hold whatever the device held.
    pub fn initediblk(&self) -> u32 {
        self.get(field::INITEDIBLK)
    }

    /// Set `cg_initediblk`.
    pub fn set_initediblk(&mut self, v: u32) {
        self.put(field::INITEDIBLK, v);
    }

    /// Clusters (whole blocks) in the group.
    pub fn set_nclusterblks(&mut self, v: u32) {
        self.put(field::NCLUSTERBLKS, v);
    }

    /// UFS1: cylinders in the group.
    pub fn set_old_ncyl(&mut self, v: u16) {
        self.e.put_u16(&mut self.raw, field::OLD_NCYL, v);
    }

    /// The group's summary counts.
    pub fn cs(&self) -> Csum {
        Csum::parse32(self.e, &self.raw, field::CS)
    }

    /// Set the group's summary counts.
    pub fn set_cs(&mut self, cs: &Csum) {
        cs.emit32(self.e, &mut self.raw, field::CS);
    }

    /// Add `d` to the group's summary counts.
    pub fn add_cs(&mut self, d: &Csum) {
        let mut cs = self.cs();
        cs.add(d);
        self.set_cs(&cs);
    }

    /// Where the last block search ended (a frag index in the group).
    pub fn rotor(&self) -> u64 {
        u64::from(self.get(field::ROTOR))
    }

    /// Set the block rotor.
    pub fn set_rotor(&mut self, v: u64) {
        self.put(field::ROTOR, v as u32);
    }

    /// Where the last frag search ended.
    pub fn frotor(&self) -> u64 {
        u64::from(self.get(field::FROTOR))
    }

    /// Set the frag rotor.
    pub fn set_frotor(&mut self, v: u64) {
        self.put(field::FROTOR, v as u32);
    }

    /// Where the last inode search ended.
    pub fn irotor(&self) -> u64 {
        u64::from(self.get(field::IROTOR))
    }

    /// Set the inode rotor.
    pub fn set_irotor(&mut self, v: u64) {
        self.put(field::IROTOR, v as u32);
    }

    /// Free runs of `n` frags that are not whole blocks (`cg_frsum[n]`).
    pub fn frsum(&self, n: usize) -> i32 {
        if n >= MAXFRAG {
            return 0;
        }
        self.get(field::FRSUM + 4 * n) as i32
    }

    /// Add `d` to `cg_frsum[n]`.
    pub fn add_frsum(&mut self, n: usize, d: i32) {
        if n < MAXFRAG {
            let v = self.frsum(n).wrapping_add(d);
            self.put(field::FRSUM + 4 * n, v as u32);
        }
    }

    /// Zero the fragment summary.
    pub fn clear_frsum(&mut self) {
        for n in 0..MAXFRAG {
            self.put(field::FRSUM + 4 * n, 0);
        }
    }

    /// Zero the cluster summary.
    pub fn clear_clustersum(&mut self) {
        if self.has_clusters() {
            for n in 1..=self.contigsumsize as usize {
                self.e.put_i32(&mut self.raw, self.clustersum + 4 * n, 0);
            }
        }
    }

    /// Set the time last written.
    pub fn set_time(&mut self, t: i64) {
        self.e.put_i64(&mut self.raw, field::TIME, t);
        self.put(field::OLD_TIME, t as u32);
    }

    /// Whether inode `i` (index within the group) is in use.
    pub fn inode_used(&self, i: u64) -> bool {
        i < self.ipg && bit(self.raw.get(self.iused..).unwrap_or(&[]), i)
    }

    /// Mark inode `i` in use or free.
    pub fn set_inode_used(&mut self, i: u64, used: bool) {
        if i < self.ipg {
            set_bit(self.raw.get_mut(self.iused..).unwrap_or(&mut []), i, used);
        }
    }

    /// Whether frag `f` (index within the group) is free.
    pub fn frag_free(&self, f: u64) -> bool {
        f < self.fpg && bit(self.raw.get(self.free..).unwrap_or(&[]), f)
    }

    /// Mark frag `f` free or in use.
    pub fn set_frag_free(&mut self, f: u64, free: bool) {
        if f < self.fpg {
            set_bit(self.raw.get_mut(self.free..).unwrap_or(&mut []), f, free);
        }
    }

    /// Whether the block starting at frag `f` (a multiple of frag) is
    /// wholly free.
    pub fn block_free(&self, f: u64) -> bool {
        (f..f + self.frag).all(|x| self.frag_free(x))
    }

    /// Whether the cluster maps are kept.
    pub fn has_clusters(&self) -> bool {
        self.contigsumsize > 0
    }

    /// Whether block `b` (block index within the group) is marked free in
    /// the cluster map.
    pub fn cluster_free(&self, b: u64) -> bool {
        self.has_clusters() && bit(self.raw.get(self.cluster..).unwrap_or(&[]), b)
    }

    /// Mark block `b` free or in use in the cluster map.
    pub fn set_cluster_free(&mut self, b: u64, free: bool) {
        if self.has_clusters() && b < self.fpg / self.frag {
            set_bit(self.raw.get_mut(self.cluster..).unwrap_or(&mut []), b, free);
        }
    }

    /// Free clusters of `n` blocks (`n` of contigsumsize counts larger ones).
    pub fn clustersum(&self, n: u64) -> i32 {
        if !self.has_clusters() || n == 0 || n > self.contigsumsize {
            return 0;
        }
        self.e.i32(&self.raw, self.clustersum + 4 * n as usize)
    }

    /// Add `d` to the cluster summary for runs of `n`.
    pub fn add_clustersum(&mut self, n: u64, d: i32) {
        if self.has_clusters() && n >= 1 && n <= self.contigsumsize {
            let off = self.clustersum + 4 * n as usize;
            let v = self.e.i32(&self.raw, off).wrapping_add(d);
            self.e.put_i32(&mut self.raw, off, v);
        }
    }

    /// `contigsumsize`.
    pub fn contigsumsize(&self) -> u64 {
        self.contigsumsize
    }

    /// Blocks in the group's cluster map.
    pub fn cluster_blocks(&self) -> u64 {
        self.fpg / self.frag
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mkfs::tests_support::small_ufs1;

    #[test]
    fn new_group_parses_and_maps_work() {
        let sb = small_ufs1();
        let mut cg = Cg::new(&sb, 3);
        assert!(Cg::size_needed(&sb) <= sb.cgsize);
        cg.set_frag_free(9, true);
        cg.set_inode_used(5, true);
        cg.set_cluster_free(1, true);
        cg.add_clustersum(1, 1);
        cg.add_frsum(1, 2);
        let back = Cg::parse(&sb, 3, cg.raw.clone()).unwrap();
        assert!(back.frag_free(9) && !back.frag_free(8));
        assert!(back.inode_used(5) && !back.inode_used(4));
        assert!(back.cluster_free(1) && !back.cluster_free(0));
        assert_eq!((back.clustersum(1), back.frsum(1)), (1, 2));
        // Out-of-range indexes read as nothing and write nowhere.
        assert!(!back.frag_free(sb.fpg + 5));
        assert_eq!(back.clustersum(sb.contigsumsize + 1), 0);
    }

    #[test]
    fn rejects_wrong_group_and_bad_offsets_saying_why() {
        let sb = small_ufs1();
        let cg = Cg::new(&sb, 2);
        let why = |c: u64, raw: Vec<u8>| {
            let flaw = Cg::parse(&sb, c, raw).unwrap_err();
            assert_eq!(flaw.errno(), rump::Errno::EIO);
            flaw.reason().to_string()
        };
        assert_eq!(why(1, cg.raw.clone()), "says it is group 2");
        let mut raw = cg.raw.clone();
        Endian::Little.put_u32(&mut raw, field::FREEOFF, sb.cgsize as u32 - 2);
        assert!(why(2, raw).starts_with(&format!("fragment map at byte {}", sb.cgsize - 2)));
        let mut raw = cg.raw.clone();
        Endian::Little.put_u32(&mut raw, field::IUSEDOFF, u32::MAX);
        assert!(why(2, raw).starts_with("inode map at byte 4294967295"));
        let mut raw = cg.raw;
        Endian::Little.put_u32(&mut raw, field::MAGIC, 7);
        assert_eq!(why(2, raw), "bad magic number 0x7");
    }
}
