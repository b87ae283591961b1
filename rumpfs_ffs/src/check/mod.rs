//! Checking and repairing a file system (`fsck_ffs`), in NetBSD's phases:
//! blocks and sizes of every inode, directory entries, connectivity,
//! link counts, and the cylinder group maps and summaries.
//!
//! Repair runs in rounds: each round checks everything and fixes what it
//! finds; the next round checks the result, until a round finds nothing
//! (or gives up). Inodes with bad or doubly claimed block pointers are
//! cleared; entries naming nothing are removed; files and directories
//! that nothing names are reconnected in `lost+found`; link counts, block
//! counts, maps and summaries are set to what the file system holds.
//! A root directory that is gone is made again (`root`); a damaged
//! primary superblock is replaced by a cylinder group's copy (`locate`).

mod locate;
mod root;

use crate::dev::BlockDev;
use crate::format::cg::Cg;
use crate::format::dinode::{self, Dinode, IFDIR};
use crate::format::dir::{DIRBLKSIZ, dt};
use crate::format::superblock::{self as sbf, Csum};
use crate::format::{DEV_BSIZE, NDADDR, ROOTINO, Version};
use crate::fs::{Ffs, MountOptions};
use rump::{Errno, KResult};
use std::sync::Arc;

/// The outcome of a check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Problems found by the first round.
    pub problems: usize,
    /// Whether anything was written.
    pub modified: bool,
    /// Whether problems remain (found without repairing, or not fixable).
    pub unresolved: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Free,
    File,
    Dir,
}

/// What a round knows of one inode.
#[derive(Clone, Copy)]
struct Ino {
    kind: Kind,
    /// Link count on disk.
    nlink: u16,
    /// Entries naming it (`.` and `..` included).
    refs: u32,
    /// For a directory: the directory whose entry names it (0: none yet).
    parent: u64,
    /// For a directory: where its `..` points.
    dotdot: u64,
    /// Bytes, for deciding whether an unnamed file is worth keeping.
    size: u64,
    /// `DT_*` type an entry for it should carry.
    dtype: u8,
}

/// A bit per frag of the file system.
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: u64) -> Bits {
        Bits(vec![0; n.div_ceil(64) as usize])
    }
    fn get(&self, i: u64) -> bool {
        self.0
            .get((i / 64) as usize)
            .is_some_and(|w| w & (1 << (i % 64)) != 0)
    }
    fn set(&mut self, i: u64) {
        if let Some(w) = self.0.get_mut((i / 64) as usize) {
            *w |= 1 << (i % 64);
        }
    }
    fn clear(&mut self, i: u64) {
        if let Some(w) = self.0.get_mut((i / 64) as usize) {
            *w &= !(1 << (i % 64));
        }
    }
}

struct Round<'a> {
    fs: &'a Arc<Ffs>,
    repair: bool,
    say: &'a mut dyn FnMut(&str),
    problems: usize,
    modified: bool,
    inos: Vec<Ino>,
    used: Bits,
    orphans: Vec<(u64, bool)>,
    /// Phase 1 found the root's blocks bad or claimed twice.
    root_bad: bool,
}

fn dtype_of(mode: u16) -> u8 {
    crate::node::vtype_of(mode).dirent_type()
}

impl Round<'_> {
    fn problem(&mut self, what: &str, fix: &str) -> bool {
        self.problems += 1;
        let answer = if self.repair { "yes" } else { "no" };
        (self.say)(&format!("{what}\n{fix}? {answer}"));
        if self.repair {
            self.modified = true;
        }
        self.repair
    }

    fn note(&mut self, what: &str) {
        (self.say)(what);
    }

    /// The frags an inode holds (address, frags, whether data rather than
    /// an indirect block), checked: every pointer inside data space and
    /// below the end of the file.
    fn blocks_of(&self, d: &Dinode) -> Result<Vec<(u64, u64, bool)>, &'static str> {
        let fs = self.fs;
        let g = &fs.geo;
        let nblocks = d.size.div_ceil(g.bsize);
        let mut out = Vec::new();
        let pointers = if fs.has_blocks(d) { &d.db[..] } else { &[] };
        for (i, &p) in pointers.iter().enumerate() {
            let i = i as u64;
            if p == 0 {
                continue;
            }
            if i >= nblocks {
                return Err("block past the end of the file");
            }
            let n = g.blksize(d.size, i) / g.fsize;
            fs.check_addr(p, n).map_err(|_| "bad block number")?;
            out.push((p as u64, n, true));
        }
        if g.version == Version::Ufs2 {
            for (i, &p) in d.extb.iter().enumerate() {
                let n = g.ext_frags(u64::from(d.extsize), i as u64);
                if p != 0 {
                    if n == 0 {
                        return Err("extended attribute block past its area");
                    }
                    fs.check_addr(p, n)
                        .map_err(|_| "bad extended attribute block")?;
                    out.push((p as u64, n, false));
                }
            }
        }
        let mut first = NDADDR as u64;
        let indirect = if fs.has_blocks(d) { &d.ib[..] } else { &[] };
        for (slot, &p) in indirect.iter().enumerate() {
            let span = g.nindir.pow(slot as u32 + 1);
            if p != 0 {
                if first >= nblocks {
                    return Err("indirect block past the end of the file");
                }
                self.indirect(p, slot as u32 + 1, first, nblocks, &mut out)?;
            }
            first = first.saturating_add(span);
        }
        Ok(out)
    }

    fn indirect(
        &self,
        p: i64,
        level: u32,
        first: u64,
        nblocks: u64,
        out: &mut Vec<(u64, u64, bool)>,
    ) -> Result<(), &'static str> {
        let fs = self.fs;
        let g = &fs.geo;
        fs.check_addr(p, g.frag)
            .map_err(|_| "bad indirect block number")?;
        out.push((p as u64, g.frag, false));
        let mut block = vec![0u8; g.bsize as usize];
        fs.dev
            .read_at(p as u64 * g.fsize, &mut block)
            .map_err(|_| "unreadable indirect block")?;
        let span = g.nindir.pow(level - 1);
        for i in 0..g.nindir {
            let q = g.version.ptr(g.endian, &block, i as usize);
            if q == 0 {
                continue;
            }
            let start = first + i * span;
            if start >= nblocks {
                return Err("block past the end of the file");
            }
            if level == 1 {
                fs.check_addr(q, g.frag).map_err(|_| "bad block number")?;
                out.push((q as u64, g.frag, true));
            } else {
                self.indirect(q, level - 1, start, nblocks, out)?;
            }
        }
        Ok(())
    }

    fn clear_inode(&mut self, ino: u64) -> KResult<()> {
        let gen_ = self.fs.read_dinode(ino).map(|d| d.gen_).unwrap_or(0);
        self.inos[ino as usize].kind = Kind::Free;
        if self.repair {
            self.fs.write_dinode(
                ino,
                &Dinode {
                    gen_,
                    ..Dinode::default()
                },
            )?;
        }
        Ok(())
    }

    /// Phase 1: every inode's type, blocks and block count.
    fn pass1(&mut self) -> KResult<()> {
        self.note("** Phase 1 - Check Blocks and Sizes");
        let g = self.fs.geo.clone();
        for c in 0..g.ncg {
            for f in g.meta_frags(c) {
                self.used.set(f);
            }
        }
        for f in g.cs_frags() {
            self.used.set(f);
        }
        let isize = g.version.inode_size();
        for c in 0..g.ncg {
            let mut limit = g.ipg;
            if g.version == Version::Ufs2 {
                let mut raw = vec![0u8; g.cgsize as usize];
                self.fs.dev.read_at(g.cgtod(c) * g.fsize, &mut raw)?;
                // Inodes past cg_initediblk were never written.
                if let Ok(cg) = Cg::parse(&g, c, raw) {
                    limit = u64::from(cg.initediblk()).min(g.ipg);
                }
            }
            let mut block = vec![0u8; g.bsize as usize];
            for i in 0..limit {
                let ino = c * g.ipg + i;
                if i % g.inopb == 0 {
                    let n = ((limit - i).min(g.inopb) as usize) * isize;
                    self.fs.dev.read_at(g.inode_offset(ino), &mut block[..n])?;
                }
                if ino < ROOTINO {
                    continue;
                }
                let at = (i % g.inopb) as usize * isize;
                let d = Dinode::parse(g.version, g.endian, &block[at..at + isize]);
                if d.mode == 0 {
                    continue;
                }
                self.inode(ino, d)?;
            }
        }
        Ok(())
    }

    fn inode(&mut self, ino: u64, mut d: Dinode) -> KResult<()> {
        let kind = match d.ifmt() {
            IFDIR => Kind::Dir,
            dinode::IFREG
            | dinode::IFLNK
            | dinode::IFBLK
            | dinode::IFCHR
            | dinode::IFIFO
            | dinode::IFSOCK => Kind::File,
            _ => {
                if self.problem(&format!("UNKNOWN FILE TYPE I={ino}"), "CLEAR") {
                    self.clear_inode(ino)?;
                }
                return Ok(());
            }
        };
        let mut blocks = Vec::new();
        let mut bad = None;
        if kind == Kind::Dir && !self.fs.dir_size_ok(&d) {
            bad = Some("directory length not whole chunks or beyond its blocks");
        } else {
            match self.blocks_of(&d) {
                Ok(b) => blocks = b,
                Err(why) => bad = Some(why),
            }
            let g = &self.fs.geo;
            let data: u64 = blocks.iter().filter(|b| b.2).map(|b| b.1 * g.fsize).sum();
            if kind == Kind::Dir && bad.is_none() && data < d.size {
                bad = Some("directory with holes");
            }
        }
        if bad.is_none() {
            // Claimed before, by another inode or by this one.
            let mut mine = std::collections::HashSet::new();
            let dup = blocks
                .iter()
                .any(|&(a, n, _)| (a..a + n).any(|f| self.used.get(f) || !mine.insert(f)));
            if dup {
                bad = Some("block claimed by another inode or by metadata");
            }
        }
        if let Some(why) = bad {
            if ino == ROOTINO {
                // Phase 2 makes it again (NetBSD's DCLEAR state).
                self.note(&format!("BAD INODE I={ino}: {why}"));
                self.root_bad = true;
                self.inos[ino as usize].kind = Kind::Free;
                return Ok(());
            }
            if self.problem(&format!("BAD INODE I={ino}: {why}"), "CLEAR") {
                self.clear_inode(ino)?;
            }
            self.inos[ino as usize].kind = Kind::Free;
            return Ok(());
        }
        let mut sectors = 0;
        for &(a, n, _) in &blocks {
            for f in a..a + n {
                self.used.set(f);
            }
            sectors += n * self.fs.geo.fsize / DEV_BSIZE;
        }
        if sectors != d.blocks {
            let msg = format!(
                "INCORRECT BLOCK COUNT I={ino} ({} should be {sectors})",
                d.blocks
            );
            if self.problem(&msg, "CORRECT") {
                d.blocks = sectors;
                self.fs.write_dinode(ino, &d)?;
            }
        }
        self.inos[ino as usize] = Ino {
            kind,
            nlink: d.nlink,
            refs: 0,
            parent: 0,
            dotdot: 0,
            size: d.size,
            dtype: dtype_of(d.mode),
        };
        Ok(())
    }

    /// Phase 2: every directory entry names an inode in use, with its
    /// type; each directory is named once; count the names of each inode.
    /// `false`: there is no root directory to start from (not repairing).
    fn pass2(&mut self) -> KResult<bool> {
        self.note("** Phase 2 - Check Pathnames");
        let fmt = self.fs.dirfmt();
        let ninodes = self.inos.len() as u64;
        if !self.check_root()? {
            return Ok(false);
        }
        // The root is named by nothing but its own `..`.
        self.inos[ROOTINO as usize].parent = ROOTINO;
        for dir in 0..ninodes {
            if self.inos[dir as usize].kind != Kind::Dir {
                continue;
            }
            let d = self.fs.read_dinode(dir)?;
            let mut data = vec![0u8; d.size as usize];
            self.fs.read_data(&d, 0, &mut data)?;
            for (ci, chunk) in data.chunks(DIRBLKSIZ).enumerate() {
                let mut chunk = chunk.to_vec();
                let mut changed = false;
                let ents = match fmt.entries(&chunk) {
                    Ok(e) => e,
                    Err(_) => {
                        let msg = format!("DIRECTORY CORRUPTED I={dir} OFFSET {}", ci * DIRBLKSIZ);
                        if self.problem(&msg, "SALVAGE") {
                            chunk = if ci == 0 {
                                fmt.new_dir_chunk(dir as u32, ROOTINO as u32)
                            } else {
                                fmt.empty_chunk()
                            };
                            changed = true;
                        }
                        fmt.entries(&chunk).unwrap_or_default()
                    }
                };
                // Whiteouts (inode 1, DT_WHT) name nothing and count nothing.
                for e in ents
                    .iter()
                    .filter(|e| e.ino != 0 && !(e.ino == 1 && e.typ == dt::WHT))
                {
                    let target = u64::from(e.ino);
                    let name = String::from_utf8_lossy(&e.name).into_owned();
                    let kind = self
                        .inos
                        .get(target as usize)
                        .map(|i| i.kind)
                        .unwrap_or(Kind::Free);
                    let remove = match e.name.as_slice() {
                        b"." if target != dir => Some(format!("BAD INODE NUMBER FOR '.' I={dir}")),
                        b"." => None,
                        b".." if kind != Kind::Dir => {
                            Some(format!("BAD INODE NUMBER FOR '..' I={dir}"))
                        }
                        b".." => {
                            self.inos[dir as usize].dotdot = target;
                            None
                        }
                        _ if target >= ninodes || target < ROOTINO || kind == Kind::Free => {
                            Some(format!("UNALLOCATED I={target} NAME={name} IN DIR I={dir}"))
                        }
                        _ if kind == Kind::Dir
                            && (target == ROOTINO || self.inos[target as usize].parent != 0) =>
                        {
                            Some(format!(
                                "EXTRA HARD LINK TO DIRECTORY I={target} NAME={name} IN DIR I={dir}"
                            ))
                        }
                        _ => {
                            if kind == Kind::Dir {
                                self.inos[target as usize].parent = dir;
                            }
                            None
                        }
                    };
                    if let Some(msg) = remove {
                        if self.problem(&msg, "REMOVE") {
                            fmt.remove(&mut chunk, &e.name)?;
                            changed = true;
                        }
                        continue;
                    }
                    self.inos[target as usize].refs += 1;
                    let want = self.inos[target as usize].dtype;
                    if fmt.typed && e.typ != want {
                        let msg = format!("WRONG TYPE {} FOR {name} IN DIR I={dir}", e.typ);
                        if self.problem(&msg, "FIX") {
                            fmt.retarget(&mut chunk, &e.name, e.ino, want)?;
                            changed = true;
                        }
                    }
                }
                if changed && self.repair {
                    self.write_dir_chunk(&d, ci as u64, &chunk)?;
                }
            }
        }
        Ok(true)
    }

    fn write_dir_chunk(&self, d: &Dinode, ci: u64, chunk: &[u8]) -> KResult<()> {
        let g = &self.fs.geo;
        let off = ci * DIRBLKSIZ as u64;
        let p = self.fs.bmap(d, g.lblkno(off))?;
        if p == 0 {
            return Err(Errno::EIO);
        }
        self.fs
            .dev
            .write_at(p as u64 * g.fsize + g.blkoff(off), chunk)
    }

    /// Point `..` of directory `dir` at `to`.
    fn set_dotdot(&mut self, dir: u64, to: u64) -> KResult<()> {
        let d = self.fs.read_dinode(dir)?;
        let fmt = self.fs.dirfmt();
        let mut chunk = vec![0u8; DIRBLKSIZ];
        self.fs.read_data(&d, 0, &mut chunk)?;
        if !fmt.retarget(&mut chunk, b"..", to as u32, dt::DIR)?
            && !fmt.insert(&mut chunk, to as u32, dt::DIR, b"..")?
        {
            return Err(Errno::EIO);
        }
        self.write_dir_chunk(&d, 0, &chunk)
    }

    /// Phase 3: every directory reachable from the root, with `..` naming
    /// its parent.
    fn pass3(&mut self) -> KResult<()> {
        self.note("** Phase 3 - Check Connectivity");
        let n = self.inos.len();
        for dir in 0..n as u64 {
            if self.inos[dir as usize].kind != Kind::Dir || dir == ROOTINO {
                continue;
            }
            // Walk up the names; a chain that ends before the root, or loops,
            // is cut off from the tree.
            let mut cur = dir;
            let mut steps = 0;
            while cur != ROOTINO && cur != 0 && steps <= n {
                cur = self.inos[cur as usize].parent;
                steps += 1;
            }
            let parent = self.inos[dir as usize].parent;
            if cur != ROOTINO {
                if parent == 0 || steps > n {
                    // The top of a cut-off subtree.
                    if self.problem(&format!("UNREF DIR I={dir}"), "RECONNECT") {
                        self.orphans.push((dir, true));
                        // Its `..` will name lost+found instead.
                        let dd = self.inos[dir as usize].dotdot;
                        if let Some(i) = self.inos.get_mut(dd as usize) {
                            i.refs = i.refs.saturating_sub(1);
                        }
                    }
                }
                continue;
            }
            let dd = self.inos[dir as usize].dotdot;
            if dd != parent {
                let msg = format!("BAD '..' IN DIR I={dir}: I={dd} SHOULD BE I={parent}");
                if self.problem(&msg, "FIX") {
                    self.set_dotdot(dir, parent)?;
                    if let Some(i) = self.inos.get_mut(dd as usize) {
                        i.refs = i.refs.saturating_sub(1);
                    }
                    self.inos[parent as usize].refs += 1;
                }
            }
        }
        if self.inos[ROOTINO as usize].dotdot != ROOTINO
            && self.problem("BAD '..' IN ROOT DIRECTORY", "FIX")
        {
            self.set_dotdot(ROOTINO, ROOTINO)?;
        }
        Ok(())
    }

    /// Phase 4: link counts match the names; unnamed files are
    /// reconnected, or cleared when empty.
    fn pass4(&mut self) -> KResult<()> {
        self.note("** Phase 4 - Check Reference Counts");
        let orphan_dirs: Vec<u64> = self.orphans.iter().map(|o| o.0).collect();
        for ino in ROOTINO..self.inos.len() as u64 {
            let i = self.inos[ino as usize];
            if i.kind == Kind::Free || orphan_dirs.contains(&ino) {
                continue;
            }
            if i.refs == 0 && i.kind == Kind::File {
                if i.size == 0 || i.nlink == 0 {
                    if self.problem(&format!("UNREF FILE I={ino} SIZE={}", i.size), "CLEAR") {
                        self.clear_inode(ino)?;
                    }
                } else if self.problem(&format!("UNREF FILE I={ino} SIZE={}", i.size), "RECONNECT")
                {
                    self.orphans.push((ino, false));
                }
                continue;
            }
            if u32::from(i.nlink) != i.refs {
                let what = if i.kind == Kind::Dir { "DIR" } else { "FILE" };
                let msg = format!(
                    "LINK COUNT {what} I={ino} COUNT {} SHOULD BE {}",
                    i.nlink, i.refs
                );
                if self.problem(&msg, "ADJUST") {
                    let mut d = self.fs.read_dinode(ino)?;
                    d.nlink = i.refs.min(u32::from(u16::MAX)) as u16;
                    self.fs.write_dinode(ino, &d)?;
                }
            }
        }
        Ok(())
    }

    /// Phase 5: the group maps and every summary match the inodes.
    fn pass5(&mut self) -> KResult<()> {
        self.note("** Phase 5 - Check Cyl groups");
        let g = self.fs.geo.clone();
        let mut total = Csum::default();
        let mut sums = Vec::with_capacity(g.ncg as usize);
        let mut cs_raw = vec![0u8; g.cssize as usize];
        self.fs.dev.read_at(g.csaddr * g.fsize, &mut cs_raw)?;
        for c in 0..g.ncg {
            let mut raw = vec![0u8; g.cgsize as usize];
            self.fs.dev.read_at(g.cgtod(c) * g.fsize, &mut raw)?;
            let old = Cg::parse(&g, c, raw.clone());
            let mut cg = match &old {
                Ok(cg) => cg.clone(),
                Err(_) => {
                    // Rebuilt below from the inodes, and written if repairing.
                    self.problem(&format!("CG {c}: BAD MAGIC NUMBER OR LAYOUT"), "REBUILD");
                    let mut cg = Cg::new(&g, c);
                    cg.set_ndblk(g.cg_frags(c) as u32);
                    cg.set_niblk(g.ipg as u32);
                    cg.set_nclusterblks((g.cg_frags(c) / g.frag) as u32);
                    if g.version == Version::Ufs2 {
                        cg.set_initediblk(g.ipg as u32);
                    }
                    cg
                }
            };
            let cs = self.rebuild_cg(&g, c, &mut cg);
            total.add(&cs);
            sums.push(cs);
            let disk = Csum::parse32(g.endian, &cs_raw, c as usize * Csum::SIZE);
            if disk != cs {
                let msg = format!("CG {c}: SUMMARY INFORMATION BAD ({disk:?} should be {cs:?})");
                if self.problem(&msg, "FIX") {
                    cs.emit32(g.endian, &mut cs_raw, c as usize * Csum::SIZE);
                }
            }
            if old.as_ref().map(|o| o.raw != cg.raw).unwrap_or(true) {
                let msg = format!("CG {c}: BLK(S) OR INODE(S) MISSING IN BIT MAPS OR COUNTS WRONG");
                if self.problem(&msg, "SALVAGE") {
                    self.fs.dev.write_at(g.cgtod(c) * g.fsize, &cg.raw)?;
                }
            }
        }
        if self.repair && self.modified {
            self.fs.dev.write_at(g.csaddr * g.fsize, &cs_raw)?;
        }
        let mut sb = self.fs.superblock();
        if sb.cstotal != total {
            let msg = format!(
                "FREE BLK COUNT(S) WRONG IN SUPERBLK ({:?} should be {total:?})",
                sb.cstotal
            );
            if self.problem(&msg, "FIX") {
                sb.cstotal = total;
                sb.emit();
                self.fs.dev.write_at(sb.location, &sb.raw)?;
            }
        }
        Ok(())
    }

    /// Recompute group `c`'s maps and counts from what the inodes hold.
    fn rebuild_cg(&self, g: &sbf::Superblock, c: u64, cg: &mut Cg) -> Csum {
        let mut cs = Csum::default();
        for i in 0..g.ipg {
            let ino = c * g.ipg + i;
            let kind = if ino < ROOTINO {
                Kind::File
            } else {
                self.inos[ino as usize].kind
            };
            cg.set_inode_used(i, kind != Kind::Free);
            match kind {
                Kind::Free => cs.nifree += 1,
                Kind::Dir => cs.ndir += 1,
                Kind::File => {}
            }
        }
        cg.clear_frsum();
        let base = g.cgbase(c);
        let ndblk = u64::from(cg.ndblk()).min(g.fpg);
        for f in 0..g.fpg {
            cg.set_frag_free(f, f < ndblk && !self.used.get(base + f));
        }
        let frag = g.frag;
        let mut b = 0;
        while b < g.fpg {
            let free = (b..b + frag).filter(|&f| cg.frag_free(f)).count() as i64;
            let whole = free == frag as i64;
            cg.set_cluster_free(b / frag, whole);
            if whole {
                cs.nbfree += 1;
            } else {
                cs.nffree += free;
                let mut run = 0;
                for f in b..b + frag {
                    if cg.frag_free(f) {
                        run += 1;
                    } else if run > 0 {
                        cg.add_frsum(run, 1);
                        run = 0;
                    }
                }
                if run > 0 {
                    cg.add_frsum(run, 1);
                }
            }
            b += frag;
        }
        if cg.has_clusters() {
            crate::mkfs::recount_clusters(cg);
        }
        cg.set_cs(&cs);
        cs
    }
}

/// How to check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Repair what is found (`-y`); otherwise only report (`-n`).
    pub repair: bool,
    /// Use the superblock copy at this `DEV_BSIZE` sector (`-b`).
    pub alternate: Option<u64>,
}

/// Why a check could not run to its end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// Reading or writing the device failed, or damage stopped the check.
    Io(Errno),
    /// No superblock could be used (the reason, for the user).
    NoSuperblock(String),
}

impl From<Errno> for CheckError {
    fn from(e: Errno) -> CheckError {
        CheckError::Io(e)
    }
}

/// An unusable superblock says why; a device that failed gives its errno.
impl From<crate::format::Flaw> for CheckError {
    fn from(f: crate::format::Flaw) -> CheckError {
        match f.errno() {
            Errno::EINVAL => CheckError::NoSuperblock(f.to_string()),
            e => CheckError::Io(e),
        }
    }
}

impl std::fmt::Display for CheckError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CheckError::Io(e) => write!(f, "{e}"),
            CheckError::NoSuperblock(why) => f.write_str(why),
        }
    }
}

/// Check the file system on `dev`, repairing when `repair`. Messages go
/// to `say`, one problem or phase at a time. EINVAL when no superblock
/// can be used.
pub fn check(dev: Arc<dyn BlockDev>, repair: bool, say: &mut dyn FnMut(&str)) -> KResult<Outcome> {
    let opts = Options {
        repair,
        alternate: None,
    };
    check_with(dev, &opts, say).map_err(|e| match e {
        CheckError::Io(e) => e,
        CheckError::NoSuperblock(_) => Errno::EINVAL,
    })
}

/// Check the file system on `dev` as `opts` say. Messages go to `say`,
/// one problem or phase at a time.
pub fn check_with(
    dev: Arc<dyn BlockDev>,
    opts: &Options,
    say: &mut dyn FnMut(&str),
) -> Result<Outcome, CheckError> {
    let repair = opts.repair;
    let found = locate::locate(dev.as_ref(), opts.alternate, repair, say).map_err(|e| match e {
        locate::NotFound::Io(e) => CheckError::Io(e),
        locate::NotFound::Unusable(why) => CheckError::NoSuperblock(why),
    })?;
    let mut outcome = Outcome::default();
    // The superblock to check with when it is not (yet) the primary on the device.
    let mut unsaved = None;
    let mut early_problems = 0;
    if found.copy.is_some() {
        // NetBSD asks this last (ckfini); the copy goes back first here, so
        // that every round and the reconnection find it at its place.
        // Marked unclean until the check has ended.
        let mut sb = found.sb;
        early_problems += usize::from(found.primary_bad);
        let answer = if repair { "yes" } else { "no" };
        say(&format!("UPDATE STANDARD SUPERBLOCK? {answer}"));
        if repair {
            sb.clean = 0;
            sb.emit();
            dev.write_at(sb.location, &sb.raw)?;
            dev.flush()?;
            outcome.modified = true;
        } else {
            unsaved = Some(sb);
        }
    }
    for round in 0..4 {
        let fs = match &unsaved {
            Some(sb) => Ffs::open_with(Arc::clone(&dev), sb.clone(), MountOptions::READ_ONLY)?,
            None => Ffs::open(Arc::clone(&dev), MountOptions::READ_ONLY)?,
        };
        let g = fs.geo.clone();
        if round == 0 && g.clean & sbf::FS_ISCLEAN == 0 {
            say("** File system is not marked clean");
        }
        let mut r = Round {
            fs: &fs,
            repair,
            say: &mut *say,
            problems: 0,
            modified: false,
            inos: vec![
                Ino {
                    kind: Kind::Free,
                    nlink: 0,
                    refs: 0,
                    parent: 0,
                    dotdot: 0,
                    size: 0,
                    dtype: 0,
                };
                g.ninodes() as usize
            ],
            used: Bits::new(g.size),
            orphans: Vec::new(),
            root_bad: false,
        };
        r.pass1()?;
        if !r.pass2()? {
            // NetBSD exits here: nothing can be checked without a root.
            outcome.problems += r.problems + early_problems;
            outcome.unresolved = true;
            return Ok(outcome);
        }
        r.pass3()?;
        r.pass4()?;
        r.pass5()?;
        let (problems, modified, orphans) =
            (r.problems, r.modified, std::mem::take(&mut r.orphans));
        let files = r.inos.iter().filter(|i| i.kind != Kind::Free).count();
        drop(r);
        if round == 0 {
            outcome.problems = problems + early_problems;
        }
        outcome.modified |= modified;
        if repair && !orphans.is_empty() {
            drop(fs);
            reconnect(&dev, &orphans)?;
            continue;
        }
        if problems == 0 || !repair {
            let sb = fs.superblock();
            let free = sb.free_frags();
            let used = sb.dsize.saturating_sub(free);
            say(&format!(
                "{files} files, {used} used, {free} free ({} frags, {} blocks, {:.1}% fragmentation)",
                sb.cstotal.nffree,
                sb.cstotal.nbfree,
                sb.cstotal.nffree as f64 * 100.0 / sb.dsize.max(1) as f64
            ));
            outcome.unresolved = (problems > 0 || early_problems > 0) && !repair;
            if repair {
                mark_clean(dev.as_ref(), sb, &mut outcome)?;
            }
            if outcome.modified {
                say("\n***** FILE SYSTEM WAS MODIFIED *****");
            }
            return Ok(outcome);
        }
    }
    say("***** PROBLEMS REMAIN AFTER REPAIR *****");
    outcome.unresolved = true;
    Ok(outcome)
}

fn mark_clean(dev: &dyn BlockDev, mut sb: sbf::Superblock, o: &mut Outcome) -> KResult<()> {
    if sb.clean != sbf::FS_ISCLEAN {
        sb.clean = sbf::FS_ISCLEAN;
        sb.emit();
        dev.write_at(sb.location, &sb.raw)?;
        o.modified = true;
    }
    dev.flush()
}

/// Give each orphan a name in `lost+found` (made if missing).
fn reconnect(dev: &Arc<dyn BlockDev>, orphans: &[(u64, bool)]) -> KResult<()> {
    let fs = Ffs::open(Arc::clone(dev), MountOptions::FORCED)?;
    let res = crate::node::reconnect(&fs, orphans);
    fs.unmount()?;
    res
}
