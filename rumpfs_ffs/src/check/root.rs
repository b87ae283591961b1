//! A root directory that is missing, has bad blocks or is not a directory
//! is made again, as NetBSD's pass 2 does ("ROOT INODE UNALLOCATED.
//! ALLOCATE?", "DUPS/BAD IN ROOT INODE. REALLOCATE?", "ROOT INODE NOT
//! DIRECTORY. REALLOCATE?"): inode 2 becomes an empty directory with
//! `.` and `..` in one fragment taken from those phase 1 found free. What
//! the old root named is then unreferenced, and phases 3 and 4 reconnect
//! it in `lost+found`.

use super::{Ino, Kind, Round};
use crate::format::dinode::{Dinode, IFDIR};
use crate::format::dir::dt;
use crate::format::{DEV_BSIZE, NDADDR, ROOTINO, Version};
use rump::{Errno, KResult};

/// Permissions of a re-made root, as NetBSD's `allocdir(ROOTINO, ROOTINO, 0755)`.
const ROOT_MODE: u16 = 0o755;

impl Round<'_> {
    /// Check that the root is a directory, making it again when repairing.
    /// `false`: it is not, and the check cannot go on.
    pub(super) fn check_root(&mut self) -> KResult<bool> {
        let kind = self
            .inos
            .get(ROOTINO as usize)
            .map_or(Kind::Free, |i| i.kind);
        let (what, fix) = match kind {
            Kind::Dir => return Ok(true),
            // Its blocks were never counted as used, so nothing to give back.
            Kind::Free if self.root_bad => ("DUPS/BAD IN ROOT INODE", "REALLOCATE"),
            Kind::Free => ("ROOT INODE UNALLOCATED", "ALLOCATE"),
            Kind::File => ("ROOT INODE NOT DIRECTORY", "REALLOCATE"),
        };
        if !self.problem(what, fix) {
            return Ok(false);
        }
        if kind == Kind::File {
            self.release_root_blocks();
        }
        self.make_root()?;
        Ok(true)
    }

    /// Give back what phase 1 counted as the old root's blocks.
    fn release_root_blocks(&mut self) {
        let Ok(d) = self.fs.read_dinode(ROOTINO) else {
            return;
        };
        // Phase 1 accepted these blocks, so they are the old root's alone.
        if let Ok(blocks) = self.blocks_of(&d) {
            for (a, n, _) in blocks {
                for f in a..a + n {
                    self.used.clear(f);
                }
            }
        }
    }

    /// The first data fragment nothing uses.
    fn free_frag(&self) -> Option<u64> {
        let g = &self.fs.geo;
        (0..g.ncg)
            .flat_map(|c| g.cgdmin(c)..g.cgbase(c) + g.cg_frags(c))
            .find(|&f| !self.used.get(f))
    }

    fn make_root(&mut self) -> KResult<()> {
        let g = self.fs.geo.clone();
        let frag = self.free_frag().ok_or_else(|| {
            self.note("CANNOT ALLOCATE ROOT INODE: NO FREE FRAGMENT");
            Errno::ENOSPC
        })?;
        self.used.set(frag);
        let fmt = self.fs.dirfmt();
        let mut data = Vec::with_capacity(g.fsize as usize);
        data.extend(fmt.new_dir_chunk(ROOTINO as u32, ROOTINO as u32));
        while data.len() < g.fsize as usize {
            data.extend(fmt.empty_chunk());
        }
        self.fs.dev.write_at(frag * g.fsize, &data)?;
        let t = self.fs.now();
        let mut db = [0i64; NDADDR];
        db[0] = frag as i64;
        let d = Dinode {
            mode: IFDIR | ROOT_MODE,
            nlink: 2,
            size: g.fsize,
            blocks: g.fsize / DEV_BSIZE,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: if g.version == Version::Ufs2 {
                t
            } else {
                (0, 0)
            },
            gen_: crate::random_u32().max(1),
            db,
            ..Dinode::default()
        };
        // Nothing of the damaged inode survives, fields unknown here included.
        let zero = vec![0u8; g.version.inode_size()];
        self.fs.dev.write_at(g.inode_offset(ROOTINO), &zero)?;
        self.fs.write_dinode(ROOTINO, &d)?;
        if let Some(i) = self.inos.get_mut(ROOTINO as usize) {
            *i = Ino {
                kind: Kind::Dir,
                nlink: 2,
                refs: 0,
                parent: 0,
                dotdot: 0,
                size: g.fsize,
                dtype: dt::DIR,
            };
        }
        Ok(())
    }
}
