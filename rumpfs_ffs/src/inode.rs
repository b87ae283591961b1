//! A file's data: mapping logical blocks to the device through direct and
//! indirect pointers, reading, writing with allocation (fragments at the
//! end of small files, promoted to whole blocks as they grow), and
//! truncation that gives blocks back.
//!
//! The invariant NetBSD's fsck relies on is kept after every step: a block
//! exists only below the end of the file, and the last block, when it is a
//! direct one, holds exactly the fragments the size needs.

use crate::format::dinode::{Dinode, IFDIR, IFLNK, IFREG};
use crate::format::dir::{DIRBLKSIZ, Entry};
use crate::format::{DEV_BSIZE, Flaw, NDADDR};
use crate::fs::Ffs;
use rump::{Errno, KResult};

/// Largest transfer made to the device in one call.
const MAX_RUN: u64 = 1 << 20;
/// Room for the block pointers one look-up reads: a run of 256 blocks.
const RUN_PTR_BYTES: usize = 256 * 8;

/// Where a logical block beyond the direct ones is: which indirect pointer
/// of the inode (0, 1, 2 for single, double, triple), and the index at
/// each level below it.
fn indir_path(nindir: u64, lbn: u64) -> KResult<(usize, Vec<u64>)> {
    let n = nindir;
    let mut l = lbn - NDADDR as u64;
    if l < n {
        return Ok((0, vec![l]));
    }
    l -= n;
    if l < n * n {
        return Ok((1, vec![l / n, l % n]));
    }
    l -= n * n;
    if l < n * n * n {
        return Ok((2, vec![l / (n * n), (l / n) % n, l % n]));
    }
    Err(Errno::EFBIG)
}

impl Ffs {
    /// Whether the inode's pointer area holds block pointers (regular
    /// files, directories and symlinks too long for the inode).
    pub(crate) fn has_blocks(&self, d: &Dinode) -> bool {
        match d.ifmt() {
            IFREG | IFDIR => true,
            IFLNK => !self.is_fast_symlink(d),
            _ => false,
        }
    }

    /// Whether a directory's size can be true: whole chunks, no more than
    /// its blocks hold (directories have no holes) nor the file system, and
    /// no more than a directory is read into memory for (1 GiB: some 30
    /// million names).
    pub(crate) fn dir_size_ok(&self, d: &Dinode) -> bool {
        let g = &self.geo;
        d.size.is_multiple_of(crate::format::dir::DIRBLKSIZ as u64)
            && d.size <= 1 << 30
            && d.size <= d.blocks.saturating_mul(DEV_BSIZE)
            && d.size <= g.size.saturating_mul(g.fsize)
    }

    /// The entries of directory `ino` (inode `d`), block by block. EIO for
    /// a size its blocks cannot hold or a malformed block, said on the
    /// console as NetBSD's `ufs_dirbad` says it.
    pub(crate) fn dir_blocks(&self, ino: u64, d: &Dinode) -> KResult<Vec<Vec<Entry>>> {
        if !self.dir_size_ok(d) {
            return Err(self.complain(Flaw::damaged(format!(
                "bad dir ino {ino}: size {} is not whole directory blocks within its {} sectors",
                d.size, d.blocks
            ))));
        }
        let mut data = vec![0u8; d.size as usize];
        let got = self.read_data(d, 0, &mut data)?;
        if got != data.len() {
            return Err(self.complain(Flaw::damaged(format!(
                "bad dir ino {ino}: {got} of its {} bytes readable",
                d.size
            ))));
        }
        let fmt = self.dirfmt();
        data.chunks(DIRBLKSIZ)
            .enumerate()
            .map(|(i, block)| {
                fmt.entries(block).map_err(|f| {
                    let at = i * DIRBLKSIZ;
                    self.complain(f.within(&format!("bad dir ino {ino} at offset {at}")))
                })
            })
            .collect()
    }

    /// NetBSD's rule for a symlink kept in the inode.
    pub(crate) fn is_fast_symlink(&self, d: &Dinode) -> bool {
        let max = self.geo.maxsymlinklen;
        d.size < max || (max == 0 && d.blocks == 0)
    }

    fn read_ptr(&self, block: i64, idx: u64) -> KResult<i64> {
        self.check_addr(block, self.geo.frag)?;
        let v = self.geo.version;
        let mut b = [0u8; 8];
        let w = v.ptr_size();
        self.dev
            .read_at(block as u64 * self.geo.fsize + idx * w as u64, &mut b[..w])?;
        Ok(v.ptr(self.geo.endian, &b, 0))
    }

    fn write_ptr(&self, block: i64, idx: u64, p: i64) -> KResult<()> {
        self.check_addr(block, self.geo.frag)?;
        let v = self.geo.version;
        let mut b = [0u8; 8];
        let w = v.ptr_size();
        v.put_ptr(self.geo.endian, &mut b, 0, p);
        self.dev
            .write_at(block as u64 * self.geo.fsize + idx * w as u64, &b[..w])
    }

    fn zero(&self, addr: i64, from: u64, to: u64) -> KResult<()> {
        if to > from {
            let z = vec![0u8; (to - from) as usize];
            self.dev.write_at(addr as u64 * self.geo.fsize + from, &z)?;
        }
        Ok(())
    }

    /// The frag address of logical block `lbn` (0 for a hole).
    pub(crate) fn bmap(&self, d: &Dinode, lbn: u64) -> KResult<i64> {
        self.bmap_run(d, lbn, 0).map(|(p, _)| p)
    }

    /// The frag address of logical block `lbn` (0 for a hole), and how many
    /// of the (up to `max`) blocks after it follow it on the device: the run
    /// NetBSD's `ufs_bmaparray` finds for its clustered reads, among the
    /// pointers of the inode or of the one indirect block that holds
    /// `lbn`'s, which are read from the device in one transfer rather than
    /// one pointer at a time.
    pub(crate) fn bmap_run(&self, d: &Dinode, lbn: u64, max: u64) -> KResult<(i64, u64)> {
        let g = &self.geo;
        let follows = |p: i64, q: i64, k: u64| q == p + (k * g.frag) as i64;
        if lbn < NDADDR as u64 {
            let frags = |l: u64| g.blksize(d.size, l).div_ceil(g.fsize).max(1);
            let p = d.db[lbn as usize];
            if p == 0 {
                return Ok((0, 0));
            }
            self.check_addr(p, frags(lbn))?;
            let mut run = 0;
            while run < max && lbn + run + 1 < NDADDR as u64 {
                let l = lbn + run + 1;
                let q = d.db[l as usize];
                if !follows(p, q, run + 1) {
                    break;
                }
                self.check_addr(q, frags(l))?;
                run += 1;
            }
            return Ok((p, run));
        }
        let (slot, path) = indir_path(g.nindir, lbn)?;
        let Some((&idx, upper)) = path.split_last() else {
            return Ok((0, 0));
        };
        let mut p = d.ib[slot];
        for &i in upper {
            if p == 0 {
                return Ok((0, 0));
            }
            p = self.read_ptr(p, i)?;
        }
        if p == 0 {
            return Ok((0, 0));
        }
        // This block's pointer and those after it in the same indirect
        // block, as many as the run may use.
        let v = g.version;
        let w = v.ptr_size();
        let mut ptrs = [0u8; RUN_PTR_BYTES];
        let count = (max + 1)
            .min(g.nindir - idx)
            .min((RUN_PTR_BYTES / w) as u64) as usize;
        self.check_addr(p, g.frag)?;
        self.dev
            .read_at(p as u64 * g.fsize + idx * w as u64, &mut ptrs[..count * w])?;
        let first = v.ptr(g.endian, &ptrs, 0);
        if first == 0 {
            return Ok((0, 0));
        }
        self.check_addr(first, g.frag)?;
        let mut run = 0;
        while run + 1 < count as u64 {
            let q = v.ptr(g.endian, &ptrs, run as usize + 1);
            if !follows(first, q, run + 1) {
                break;
            }
            self.check_addr(q, g.frag)?;
            run += 1;
        }
        Ok((first, run))
    }

    /// Read file data at `off` into `buf`; returns the bytes read.
    pub(crate) fn read_data(&self, d: &Dinode, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let g = &self.geo;
        let size = d.size;
        if off >= size {
            return Ok(0);
        }
        let n = (size - off).min(buf.len() as u64) as usize;
        let mut done = 0usize;
        while done < n {
            let pos = off + done as u64;
            let lbn = g.lblkno(pos);
            let boff = g.blkoff(pos);
            let chunk = (g.bsize - boff).min((n - done) as u64);
            // The blocks after the first `covered` bytes that the
            // transfer still needs, no more than one transfer takes.
            let after = |covered: u64| {
                (n as u64 - done as u64 - covered)
                    .div_ceil(g.bsize)
                    .min(MAX_RUN / g.bsize)
            };
            let (p, mut more) = self.bmap_run(d, lbn, after(chunk))?;
            if p == 0 {
                buf[done..done + chunk as usize].fill(0);
                done += chunk as usize;
                continue;
            }
            // Gather the blocks that follow on the device into one transfer;
            // a run found ends where its pointers do (the end of the inode's
            // or of an indirect block's), so the next block is asked anew.
            let mut run = chunk;
            let mut next = lbn + 1;
            while done as u64 + run < n as u64 && run < MAX_RUN {
                if more == 0 {
                    let (q, m) = self.bmap_run(d, next, after(run).saturating_sub(1))?;
                    if q != p + ((next - lbn) * g.frag) as i64 {
                        break;
                    }
                    more = m + 1;
                }
                run += g.bsize.min(n as u64 - done as u64 - run);
                next += 1;
                more -= 1;
            }
            self.dev.read_at(
                p as u64 * g.fsize + boff,
                &mut buf[done..done + run as usize],
            )?;
            done += run as usize;
        }
        Ok(n)
    }

    /// The preferred place for logical block `lbn`: right after the block
    /// before it, if that exists.
    fn blkpref(&self, d: &Dinode, lbn: u64) -> u64 {
        if lbn == 0 {
            return 0;
        }
        match self.bmap(d, lbn - 1) {
            Ok(p) if p > 0 => p as u64 + self.geo.frag,
            _ => 0,
        }
    }

    /// Grow the `have` bytes at `addr` to `want` bytes, in place or moved;
    /// the new bytes read as zeros. Returns the (maybe new) address.
    fn realloc(&self, ino: u64, addr: i64, have: u64, want: u64, pref: u64) -> KResult<i64> {
        let g = &self.geo;
        let (of, nf) = (have / g.fsize, want / g.fsize);
        if self.extend_frags(addr, of, nf)? {
            self.zero(addr, have, want)?;
            return Ok(addr);
        }
        let new = self.alloc_frags(pref, g.ino_to_cg(ino), nf)?;
        let mut data = vec![0u8; want as usize];
        self.dev
            .read_at(addr as u64 * g.fsize, &mut data[..have as usize])?;
        self.dev.write_at(new as u64 * g.fsize, &data)?;
        self.free_frags(addr, of)?;
        Ok(new)
    }

    /// Make sure logical block `lbn` exists with room for a file of
    /// `new_size` bytes. Returns its address and whether it is new (and
    /// holds nothing yet).
    fn balloc(&self, ino: u64, d: &mut Dinode, lbn: u64, new_size: u64) -> KResult<(i64, bool)> {
        let g = &self.geo;
        let cur = d.size;
        // A fragment at the old end becomes a whole block once the file
        // goes past it.
        if cur > 0 {
            let last = g.lblkno(cur - 1);
            if last < lbn && last < NDADDR as u64 && d.db[last as usize] != 0 {
                let have = g.blksize(cur, last);
                if have < g.bsize {
                    let pref = self.blkpref(d, last);
                    let p = self.realloc(ino, d.db[last as usize], have, g.bsize, pref)?;
                    d.db[last as usize] = p;
                    d.blocks = d.blocks.saturating_add((g.bsize - have) / DEV_BSIZE);
                    d.size = (last + 1) * g.bsize;
                }
            }
        }
        let pref = self.blkpref(d, lbn);
        let cg = g.ino_to_cg(ino);
        if lbn < NDADDR as u64 {
            let want = g.blksize(new_size.max(d.size), lbn);
            let p = d.db[lbn as usize];
            if p == 0 {
                let p = self.alloc_frags(pref, cg, want / g.fsize)?;
                d.db[lbn as usize] = p;
                d.blocks = d.blocks.saturating_add(want / DEV_BSIZE);
                return Ok((p, true));
            }
            let have = g.blksize(d.size, lbn);
            if want > have {
                let np = self.realloc(ino, p, have, want, pref)?;
                d.db[lbn as usize] = np;
                d.blocks = d.blocks.saturating_add((want - have) / DEV_BSIZE);
                return Ok((np, false));
            }
            return Ok((p, false));
        }
        let (slot, path) = indir_path(g.nindir, lbn)?;
        let per = g.bsize / DEV_BSIZE;
        let mut p = d.ib[slot];
        if p == 0 {
            p = self.alloc_frags(pref, cg, g.frag)?;
            self.zero(p, 0, g.bsize)?;
            d.ib[slot] = p;
            d.blocks = d.blocks.saturating_add(per);
        }
        let last = path.len() - 1;
        let mut fresh = false;
        for (k, idx) in path.into_iter().enumerate() {
            let mut q = self.read_ptr(p, idx)?;
            if q == 0 {
                q = self.alloc_frags(pref.max(p as u64 + g.frag), cg, g.frag)?;
                if k < last {
                    self.zero(q, 0, g.bsize)?;
                } else {
                    fresh = true;
                }
                self.write_ptr(p, idx, q)?;
                d.blocks = d.blocks.saturating_add(per);
            } else {
                self.check_addr(q, g.frag)?;
            }
            p = q;
        }
        Ok((p, fresh))
    }

    /// Write `data` at `off`, allocating as needed. Returns the bytes
    /// written: fewer than asked when space ran out part way.
    pub(crate) fn write_data(
        &self,
        ino: u64,
        d: &mut Dinode,
        off: u64,
        data: &[u8],
    ) -> KResult<usize> {
        let g = &self.geo;
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        if end > g.maxfilesize {
            return Err(Errno::EFBIG);
        }
        let orig = d.size;
        let mut done = 0usize;
        // Bytes of `data` going to consecutive places on the device, written
        // in one transfer: (device offset, start in data, end in data).
        let mut run: Option<(u64, usize, usize)> = None;
        let flush = |run: &mut Option<(u64, usize, usize)>| -> KResult<()> {
            if let Some((at, a, b)) = run.take() {
                self.dev.write_at(at, &data[a..b])?;
            }
            Ok(())
        };
        while done < data.len() {
            let pos = off + done as u64;
            let lbn = g.lblkno(pos);
            let boff = g.blkoff(pos);
            let chunk = (g.bsize - boff).min((data.len() - done) as u64) as usize;
            let new_size = d.size.max(pos + chunk as u64);
            let (p, fresh) = match self.balloc(ino, d, lbn, new_size) {
                Ok(x) => x,
                Err(e) => {
                    flush(&mut run)?;
                    // Back to what was written: nothing stays allocated past
                    // the end (an indirect block made for a data block that
                    // then did not fit, a last fragment made whole).
                    let keep = if done == 0 { orig } else { orig.max(pos) };
                    self.truncate(ino, d, keep)?;
                    if done == 0 {
                        return Err(e);
                    }
                    break;
                }
            };
            let at = p as u64 * g.fsize + boff;
            let len = g.blksize(new_size, lbn) as usize;
            if fresh && (boff != 0 || chunk != len) {
                // A new block only partly written: zeros around the data,
                // never stale contents.
                flush(&mut run)?;
                let mut b = vec![0u8; len];
                b[boff as usize..boff as usize + chunk].copy_from_slice(&data[done..done + chunk]);
                self.dev.write_at(p as u64 * g.fsize, &b)?;
            } else {
                match &mut run {
                    Some((start, a, b)) if *start + (*b - *a) as u64 == at && *b == done => {
                        *b += chunk
                    }
                    _ => {
                        flush(&mut run)?;
                        run = Some((at, done, done + chunk));
                    }
                }
            }
            d.size = new_size;
            done += chunk;
        }
        flush(&mut run)?;
        Ok(done)
    }

    /// Free the subtree under indirect block `p` at `level` (1: pointers to
    /// data) whose first logical block is `first`, keeping logical blocks
    /// below `keep`. Returns the `DEV_BSIZE` units freed and whether `p`
    /// itself was freed.
    fn free_indirect(&self, p: i64, level: u32, first: u64, keep: u64) -> KResult<(u64, bool)> {
        let g = &self.geo;
        self.check_addr(p, g.frag)?;
        let span = g.nindir.pow(level - 1);
        let mut block = vec![0u8; g.bsize as usize];
        self.dev.read_at(p as u64 * g.fsize, &mut block)?;
        let (v, e) = (g.version, g.endian);
        let mut freed = 0;
        let mut changed = false;
        for i in 0..g.nindir {
            let start = first + i * span;
            if start + span <= keep {
                continue;
            }
            let q = v.ptr(e, &block, i as usize);
            if q == 0 {
                continue;
            }
            // A pointer into metadata or beyond is left alone: fsck's business.
            if self.check_addr(q, g.frag).is_err() {
                continue;
            }
            if level == 1 {
                self.free_frags(q, g.frag)?;
                freed += g.bsize / DEV_BSIZE;
                v.put_ptr(e, &mut block, i as usize, 0);
                changed = true;
            } else {
                let (f, gone) = self.free_indirect(q, level - 1, start, keep)?;
                freed += f;
                if gone {
                    v.put_ptr(e, &mut block, i as usize, 0);
                    changed = true;
                }
            }
        }
        if keep <= first {
            self.free_frags(p, g.frag)?;
            return Ok((freed + g.bsize / DEV_BSIZE, true));
        }
        if changed {
            self.dev.write_at(p as u64 * g.fsize, &block)?;
        }
        Ok((freed, false))
    }

    /// Change the size to `len`: shrinking frees the blocks past the end
    /// and zeros the rest of the last block; growing leaves a hole but
    /// makes the old last fragment whole if it is no longer last.
    pub(crate) fn truncate(&self, ino: u64, d: &mut Dinode, len: u64) -> KResult<()> {
        let g = &self.geo;
        if len > g.maxfilesize {
            return Err(Errno::EFBIG);
        }
        let old = d.size;
        if !self.has_blocks(d) {
            d.size = len;
            return Ok(());
        }
        if len > old {
            if old > 0 {
                let last = g.lblkno(old - 1);
                let p = if last < NDADDR as u64 {
                    d.db[last as usize]
                } else {
                    0
                };
                let (have, want) = (g.blksize(old, last), g.blksize(len, last));
                if p != 0 && want > have {
                    let pref = self.blkpref(d, last);
                    d.db[last as usize] = self.realloc(ino, p, have, want, pref)?;
                    d.blocks = d.blocks.saturating_add((want - have) / DEV_BSIZE);
                }
            }
            d.size = len;
            return Ok(());
        }
        // Zero the tail of the new last block so that growing again reads zeros.
        if g.blkoff(len) != 0 {
            let lbn = g.lblkno(len);
            let p = self.bmap(d, lbn)?;
            if p != 0 {
                let upto = g.blksize(old, lbn).min(if lbn < NDADDR as u64 {
                    g.blksize(len, lbn)
                } else {
                    g.bsize
                });
                self.zero(p, g.blkoff(len), upto)?;
            }
        }
        let keep = len.div_ceil(g.bsize);
        for lbn in keep..NDADDR as u64 {
            let p = d.db[lbn as usize];
            if p != 0 {
                let n = g.blksize(old, lbn) / g.fsize;
                if self.check_addr(p, n).is_ok() {
                    self.free_frags(p, n)?;
                    d.blocks = d.blocks.saturating_sub(n * g.fsize / DEV_BSIZE);
                }
                d.db[lbn as usize] = 0;
            }
        }
        let mut first = NDADDR as u64;
        for slot in 0..3usize {
            let span = g.nindir.pow(slot as u32 + 1);
            let p = d.ib[slot];
            if p != 0 && first + span > keep && self.check_addr(p, g.frag).is_ok() {
                let (freed, gone) = self.free_indirect(p, slot as u32 + 1, first, keep)?;
                d.blocks = d.blocks.saturating_sub(freed);
                if gone {
                    d.ib[slot] = 0;
                }
            }
            first += span;
        }
        // The new last direct block holds only the frags the size needs.
        if len > 0 {
            let last = g.lblkno(len - 1);
            if last < NDADDR as u64 && d.db[last as usize] != 0 {
                let (have, want) = (g.blksize(old, last), g.blksize(len, last));
                if want < have {
                    let p = d.db[last as usize];
                    self.free_frags(p + (want / g.fsize) as i64, (have - want) / g.fsize)?;
                    d.blocks = d.blocks.saturating_sub((have - want) / DEV_BSIZE);
                }
            }
        }
        d.size = len;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indirect_paths() {
        assert_eq!(indir_path(1024, 12).unwrap(), (0, vec![0]));
        assert_eq!(indir_path(1024, 12 + 1023).unwrap(), (0, vec![1023]));
        assert_eq!(indir_path(1024, 12 + 1024).unwrap(), (1, vec![0, 0]));
        assert_eq!(indir_path(1024, 12 + 1024 + 1025).unwrap(), (1, vec![1, 1]));
        let t = 12 + 1024 + 1024 * 1024;
        assert_eq!(indir_path(1024, t).unwrap(), (2, vec![0, 0, 0]));
        assert_eq!(
            indir_path(1024, t + 1024 * 1024 + 5).unwrap(),
            (2, vec![1, 0, 5])
        );
        assert_eq!(indir_path(4, 12 + 4 + 16 + 64), Err(Errno::EFBIG));
    }
}
