//! Allocation of blocks, fragments and inodes through the cylinder group
//! maps, with NetBSD's placement in spirit: a file's blocks follow one
//! another, near its inode; a file's inode goes in its directory's group;
//! a new directory goes to a group with few directories and room to spare.
//!
//! Every change to a map goes through [`Ffs::change_block`], which keeps
//! the fragment summary, the free counts of the group and of the file
//! system, and the cluster map and summary in step with the map.

use crate::format::Flaw;
use crate::format::cg::Cg;
use crate::format::superblock::Csum;
use crate::fs::{Ffs, Meta};
use rump::{Errno, KResult};

/// Counts the maximal free runs inside the block starting at `b` (not wholly
/// free) into the fragment summary, with `sign` +1 or -1 (`ffs_fragacct`).
fn fragacct(cg: &mut Cg, b: u64, frag: u64, sign: i32) {
    let mut run = 0;
    for f in b..b + frag {
        if cg.frag_free(f) {
            run += 1;
        } else if run > 0 {
            cg.add_frsum(run, sign);
            run = 0;
        }
    }
    if run > 0 && run < frag as usize {
        cg.add_frsum(run, sign);
    }
}

/// Account block `blk` (block index in the group) becoming free (`+1`) or
/// used (`-1`) in the cluster summary (`ffs_clusteracct`).
fn clusteracct(cg: &mut Cg, blk: u64, cnt: i32) {
    if !cg.has_clusters() {
        return;
    }
    cg.set_cluster_free(blk, cnt > 0);
    let max = cg.contigsumsize();
    let nblk = cg.cluster_blocks();
    let mut forw = 0;
    while forw < max && blk + forw + 1 < nblk && cg.cluster_free(blk + forw + 1) {
        forw += 1;
    }
    let mut back = 0;
    while back < max && back < blk && cg.cluster_free(blk - back - 1) {
        back += 1;
    }
    cg.add_clustersum((back + forw + 1).min(max), cnt);
    if back > 0 {
        cg.add_clustersum(back, -cnt);
    }
    if forw > 0 {
        cg.add_clustersum(forw, -cnt);
    }
}

/// The groups to try, in NetBSD's order (`ffs_hashalloc`): the preferred
/// one, a quadratic rehash, then every group in turn.
fn search_order(start: u64, ncg: u64) -> impl Iterator<Item = u64> {
    let rehash = std::iter::successors(Some(1u64), |i| i.checked_mul(2))
        .take_while(move |&i| i < ncg)
        .map(move |i| (start + i) % ncg);
    std::iter::once(start)
        .chain(rehash)
        .chain((0..ncg).map(move |k| (start + 2 + k) % ncg))
}

/// A free run of at least `n` frags inside one block of the group,
/// searching from `from` (`ffs_mapsearch`). Only blocks that are not wholly
/// free are considered.
fn mapsearch(cg: &Cg, n: u64, frag: u64, ndblk: u64, from: u64) -> Option<u64> {
    let nblocks = ndblk.div_ceil(frag);
    let start = (from / frag) % nblocks.max(1);
    for k in 0..nblocks {
        let b = ((start + k) % nblocks) * frag;
        if cg.block_free(b) {
            continue;
        }
        let mut run = 0;
        for f in b..(b + frag).min(ndblk) {
            if cg.frag_free(f) {
                run += 1;
                if run == n {
                    return Some(f + 1 - n);
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

impl Ffs {
    /// Change frags `[f, f + n)` of group `c` (all inside one block) to
    /// free or used, keeping every summary in step. EIO if any is already
    /// in the wanted state (a double free or a double use: the maps and
    /// the inodes disagree).
    pub(crate) fn change_frags(
        &self,
        m: &mut Meta,
        c: u64,
        f: u64,
        n: u64,
        free: bool,
    ) -> KResult<()> {
        let frag = m.sb.frag;
        let b = f - f % frag;
        if n == 0 || f % frag + n > frag {
            return Err(Errno::EIO);
        }
        let buf = self.cg(m, c)?;
        let cg = &mut buf.cg;
        if u64::from(cg.ndblk()) < f + n || (f..f + n).any(|x| cg.frag_free(x) == free) {
            return Err(Errno::EIO);
        }
        let was_whole = cg.block_free(b);
        let before = (b..b + frag).filter(|&x| cg.frag_free(x)).count() as i64;
        if !was_whole {
            fragacct(cg, b, frag, -1);
        }
        for x in f..f + n {
            cg.set_frag_free(x, free);
        }
        let now_whole = cg.block_free(b);
        let after = (b..b + frag).filter(|&x| cg.frag_free(x)).count() as i64;
        if !now_whole {
            fragacct(cg, b, frag, 1);
        }
        let mut d = Csum::default();
        if was_whole {
            d.nbfree -= 1;
        } else {
            d.nffree -= before;
        }
        if now_whole {
            d.nbfree += 1;
        } else {
            d.nffree += after;
        }
        if was_whole != now_whole {
            clusteracct(cg, b / frag, if now_whole { 1 } else { -1 });
        }
        cg.add_cs(&d);
        buf.dirty = true;
        m.account(c, &d);
        Ok(())
    }

    /// Check that frags `[addr, addr + n)` are data space of one group, so
    /// a pointer read from the image never reaches metadata or past the
    /// end. EIO for a bad block, said on the console as NetBSD's kernel
    /// says "bad block".
    pub(crate) fn check_addr(&self, addr: i64, n: u64) -> KResult<()> {
        match self.addr_flaw(addr, n) {
            None => Ok(()),
            Some(why) => Err(self.complain(Flaw::damaged(format!(
                "bad block {addr} ({n} fragments): {why}"
            )))),
        }
    }

    fn addr_flaw(&self, addr: i64, n: u64) -> Option<String> {
        let sb = &self.geo;
        let Ok(a) = u64::try_from(addr) else {
            return Some("negative".into());
        };
        if a == 0 || n == 0 {
            return Some("empty".into());
        }
        // A block, or a run of frags, lies inside one block.
        if n <= sb.frag && a % sb.frag + n > sb.frag {
            return Some("crosses a block boundary".into());
        }
        if a.checked_add(n).is_none_or(|end| end > sb.size) {
            return Some(format!("past the end of {} fragments", sb.size));
        }
        let c = sb.dtog(a);
        if sb.dtog(a + n - 1) != c {
            return Some("crosses a cylinder group boundary".into());
        }
        // Not the superblock copy, the group block or the inodes.
        let overlaps = |r: std::ops::Range<u64>| a < r.end && a + n > r.start;
        if overlaps(sb.meta_frags(c)) {
            return Some(format!("in cylinder group {c}'s metadata"));
        }
        if overlaps(sb.cs_frags()) {
            return Some("in the cylinder group summary area".into());
        }
        None
    }

    /// Free `n` frags at `addr` (all inside one block).
    pub(crate) fn free_frags(&self, addr: i64, n: u64) -> KResult<()> {
        self.check_addr(addr, n)?;
        let a = addr as u64;
        let mut m = crate::fs::lock(&self.meta);
        let c = m.sb.dtog(a);
        let f = m.sb.dtogd(a);
        self.change_frags(&mut m, c, f, n, true)
    }

    /// Allocate `n` frags (a whole block when `n` is frag) near `pref` (a
    /// frag address, 0 for none) or else in group `cg_pref`. ENOSPC when
    /// nothing fits.
    pub(crate) fn alloc_frags(&self, pref: u64, cg_pref: u64, n: u64) -> KResult<i64> {
        let mut m = crate::fs::lock(&self.meta);
        let sb = &m.sb;
        let frag = sb.frag;
        let ncg = sb.ncg;
        if sb.free_frags() < n {
            return Err(Errno::ENOSPC);
        }
        let start = if pref != 0 && pref < sb.size {
            sb.dtog(pref)
        } else {
            cg_pref % ncg
        };
        for c in search_order(start, ncg) {
            let cs = m.csums[c as usize];
            if cs.nbfree == 0 && (n == frag || cs.nffree < n as i64) {
                continue;
            }
            let pref_in = if pref != 0 && m.sb.dtog(pref) == c {
                Some(m.sb.dtogd(pref))
            } else {
                None
            };
            match self.alloc_in_cg(&mut m, c, pref_in, n) {
                Ok(Some(f)) => return Ok((m.sb.cgbase(c) + f) as i64),
                Ok(None) => continue,
                Err(Errno::EIO) => continue, // a damaged group: look elsewhere
                Err(e) => return Err(e),
            }
        }
        Err(Errno::ENOSPC)
    }

    /// Allocate in group `c`; `None` if it has no room.
    fn alloc_in_cg(&self, m: &mut Meta, c: u64, pref: Option<u64>, n: u64) -> KResult<Option<u64>> {
        let frag = m.sb.frag;
        let dmin = m.sb.cgdmin(c) - m.sb.cgbase(c);
        let cg = &mut self.cg(m, c)?.cg;
        let ndblk = u64::from(cg.ndblk());
        let found = if n == frag {
            let f = Self::find_block(cg, pref, frag, ndblk, dmin);
            if let Some(f) = f {
                cg.set_rotor(f);
            }
            f
        } else if let Some(p) = pref.filter(|&p| {
            p % frag + n <= frag
                && p + n <= ndblk
                && (p..p + n).all(|x| cg.frag_free(x))
                && !cg.block_free(p - p % frag)
        }) {
            // Right after the file's previous frags, in a block already broken up.
            Some(p)
        } else if (n as usize..frag as usize).any(|k| cg.frsum(k) > 0)
            && let Some(f) = mapsearch(cg, n, frag, ndblk, cg.frotor())
        {
            cg.set_frotor(f);
            Some(f)
        } else {
            // Break up a whole block.
            Self::find_block(cg, pref, frag, ndblk, dmin)
        };
        let Some(f) = found else {
            return Ok(None);
        };
        self.change_frags(m, c, f, n, false)?;
        Ok(Some(f))
    }

    /// A wholly free block, at `pref` if it is free, else the first from
    /// the rotor onwards.
    fn find_block(cg: &Cg, pref: Option<u64>, frag: u64, ndblk: u64, dmin: u64) -> Option<u64> {
        if let Some(p) = pref {
            let b = p - p % frag;
            if b + frag <= ndblk && cg.block_free(b) {
                return Some(b);
            }
        }
        let nblocks = ndblk / frag;
        if nblocks == 0 {
            return None;
        }
        let from = pref.unwrap_or(cg.rotor().max(dmin)) / frag;
        (0..nblocks)
            .map(|k| ((from + k) % nblocks) * frag)
            .find(|&b| cg.block_free(b))
    }

    /// Grow the `old` frags at `addr` to `new` in place if the frags after
    /// them in the block are free (`ffs_fragextend`). Returns whether it did.
    pub(crate) fn extend_frags(&self, addr: i64, old: u64, new: u64) -> KResult<bool> {
        self.check_addr(addr, old)?;
        let a = addr as u64;
        let frag = self.geo.frag;
        if a % frag + new > frag {
            return Ok(false);
        }
        let mut m = crate::fs::lock(&self.meta);
        let (c, f) = (m.sb.dtog(a), m.sb.dtogd(a));
        let cg = &self.cg(&mut m, c)?.cg;
        if u64::from(cg.ndblk()) < f + new || !(f + old..f + new).all(|x| cg.frag_free(x)) {
            return Ok(false);
        }
        self.change_frags(&mut m, c, f + old, new - old, false)?;
        Ok(true)
    }

    /// Allocate an inode near group `cg_pref`, for a directory when `dir`.
    /// Returns its number.
    pub(crate) fn alloc_inode(&self, cg_pref: u64, dir: bool) -> KResult<u64> {
        let mut m = crate::fs::lock(&self.meta);
        if m.sb.cstotal.nifree <= 0 {
            return Err(Errno::ENOSPC);
        }
        let ncg = m.sb.ncg;
        let start = if dir {
            self.dirpref(&m, cg_pref)
        } else {
            cg_pref % ncg
        };
        for c in search_order(start, ncg) {
            if m.csums[c as usize].nifree <= 0 {
                continue;
            }
            match self.ialloc_in_cg(&mut m, c, dir) {
                Ok(Some(ino)) => return Ok(ino),
                Ok(None) | Err(Errno::EIO) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(Errno::ENOSPC)
    }

    /// Allocate the root directory's inode: the first free one of group 0.
    pub(crate) fn alloc_root_inode(&self) -> KResult<u64> {
        let mut m = crate::fs::lock(&self.meta);
        self.ialloc_in_cg(&mut m, 0, true)?.ok_or(Errno::ENOSPC)
    }

    /// The group for a new directory: of those with at least the average
    /// free inodes and blocks, the one with the fewest directories.
    fn dirpref(&self, m: &Meta, parent_cg: u64) -> u64 {
        let ncg = m.sb.ncg;
        let avgi = m.sb.cstotal.nifree / ncg as i64;
        let avgb = m.sb.cstotal.nbfree / ncg as i64;
        let mut best: Option<(i64, u64)> = None;
        for k in 0..ncg {
            let c = (parent_cg + k) % ncg;
            let cs = &m.csums[c as usize];
            if cs.nifree > 0
                && cs.nifree >= avgi
                && cs.nbfree >= avgb
                && best.is_none_or(|(d, _)| cs.ndir < d)
            {
                best = Some((cs.ndir, c));
            }
        }
        best.map_or(parent_cg % ncg, |(_, c)| c)
    }

    fn ialloc_in_cg(&self, m: &mut Meta, c: u64, dir: bool) -> KResult<Option<u64>> {
        let ipg = m.sb.ipg;
        let inopb = m.sb.inopb;
        let ufs2 = m.sb.version == crate::format::Version::Ufs2;
        let base_frag = m.sb.cgimin(c);
        let fsize = m.sb.fsize;
        let frag = m.sb.frag;
        let block_bytes = m.sb.bsize as usize;
        let buf = self.cg(m, c)?;
        let from = buf.cg.irotor() % ipg;
        let first = if c == 0 { crate::format::ROOTINO } else { 0 };
        let Some(i) = (0..ipg)
            .map(|k| (from + k) % ipg)
            .find(|&i| i >= first && !buf.cg.inode_used(i))
        else {
            return Ok(None);
        };
        if ufs2 {
            // Inode blocks past cg_initediblk were never written: zero them first.
            while u64::from(buf.cg.initediblk()) <= i {
                let at = u64::from(buf.cg.initediblk());
                let off = (base_frag + at / inopb * frag) * fsize;
                self.dev.write_at(off, &vec![0u8; block_bytes])?;
                buf.cg.set_initediblk((at + inopb).min(ipg) as u32);
                buf.dirty = true;
            }
        }
        buf.cg.set_inode_used(i, true);
        buf.cg.set_irotor(i);
        let d = Csum {
            nifree: -1,
            ndir: i64::from(dir),
            ..Csum::default()
        };
        buf.cg.add_cs(&d);
        buf.dirty = true;
        m.account(c, &d);
        Ok(Some(c * ipg + i))
    }

    /// Mark inode `ino` free (a directory when `dir`).
    pub(crate) fn free_inode(&self, ino: u64, dir: bool) -> KResult<()> {
        let mut m = crate::fs::lock(&self.meta);
        let ipg = m.sb.ipg;
        let (c, i) = (ino / ipg, ino % ipg);
        let buf = self.cg(&mut m, c)?;
        if !buf.cg.inode_used(i) {
            return Err(Errno::EIO);
        }
        buf.cg.set_inode_used(i, false);
        if i < buf.cg.irotor() {
            buf.cg.set_irotor(i);
        }
        let d = Csum {
            nifree: 1,
            ndir: -i64::from(dir),
            ..Csum::default()
        };
        buf.cg.add_cs(&d);
        buf.dirty = true;
        m.account(c, &d);
        Ok(())
    }
}
