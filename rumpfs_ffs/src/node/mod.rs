//! FFS vnodes: an in-core inode, its life from the inode table to its
//! release, and the new inodes and directory links it makes; its directory
//! index and its vnode operations are the two modules below.

mod dir_index;
mod vnops;

use dir_index::DirIndex;

use crate::format::dinode::{self, Dinode, IFDIR, IFLNK, IFMT};
use crate::format::dir::{DIRBLKSIZ, DirFormat, dirsiz, dt};
use crate::format::{DEV_BSIZE, Flaw, ROOTINO, Version};
use crate::fs::Ffs;
use rump::sync::lock;
use rump::{Errno, KResult};
use rumpvfs::node::{Attr, DirEntry, NewNode, Node, SetAttr, VType};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

/// The inode number whiteout entries carry.
const WINO: u32 = 1;
/// `LINK_MAX` of FFS.
const LINK_MAX: u16 = netbsd_abi::LINK_MAX as u16;
/// The permission bits of a mode (`ALLPERMS`, `sys/stat.h`).
const ALLPERMS: u16 = netbsd_abi::ALLPERMS as u16;
/// Longest symlink target (`MAXPATHLEN`).
const MAXPATHLEN: u64 = netbsd_abi::MAXPATHLEN as u64;

/// What an in-core inode's lock guards: the inode as it is in core,
/// whether it differs from the copy on disk, and a directory's index.
pub(crate) struct InodeState {
    pub d: Dinode,
    pub dirty: bool,
    index: Option<DirIndex>,
}

/// An in-core inode: a vnode of an FFS.
pub struct FfsNode {
    ino: u64,
    fs: Arc<Ffs>,
    st: Mutex<InodeState>,
}

/// The type of an inode's mode (anything unknown reads as a file).
pub(crate) fn vtype_of(mode: u16) -> VType {
    VType::from_mode(u32::from(mode)).unwrap_or(VType::Reg)
}

fn ifmt_of(t: VType) -> u16 {
    t.mode_bits() as u16
}

fn dt_of(t: VType) -> u8 {
    t.dirent_type()
}

impl FfsNode {
    pub(crate) fn new(fs: Arc<Ffs>, ino: u64, d: Dinode, dirty: bool) -> Arc<FfsNode> {
        Arc::new(FfsNode {
            ino,
            fs,
            st: Mutex::new(InodeState {
                d,
                dirty,
                index: None,
            }),
        })
    }

    fn st(&self) -> MutexGuard<'_, InodeState> {
        lock(&self.st)
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.st().d.ifmt() == IFDIR
    }

    /// Whether its last name is gone (it lives on while it is open).
    pub(crate) fn is_unlinked(&self) -> bool {
        let st = self.st();
        st.d.nlink == 0 && st.d.mode != 0
    }

    /// Free the storage of a removed file now (the file system is going
    /// away while it is still open); what is left of the node is empty.
    pub(crate) fn reclaim(&self) {
        let mut st = self.st();
        if st.d.nlink == 0 && st.d.mode != 0 {
            let freed = self.release(&mut st);
            self.settle(&mut st, freed);
        }
    }

    /// After a release: the inode to write goes to the table's pending
    /// list; a release that failed part way leaves the inode as it is, for
    /// fsck, and the file system marked unclean.
    fn settle(&self, st: &mut InodeState, freed: KResult<Dinode>) {
        let d = match freed {
            Ok(d) => d,
            Err(_) => {
                self.fs.note_damage();
                st.d.clone()
            }
        };
        lock(&self.fs.inodes).pending.insert(self.ino, d.clone());
        st.d = d;
        st.dirty = false;
    }

    /// Write the inode to the device if it changed.
    pub(crate) fn write_back(&self) -> KResult<()> {
        let mut st = self.st();
        if st.dirty && !self.fs.gone() && !self.fs.read_only() {
            self.fs.write_dinode(self.ino, &st.d)?;
            st.dirty = false;
        }
        Ok(())
    }

    fn downcast(n: &Arc<dyn Node>) -> KResult<&FfsNode> {
        n.as_any().downcast_ref::<FfsNode>().ok_or(Errno::EXDEV)
    }

    fn same_fs(&self, other: &FfsNode) -> KResult<()> {
        if Arc::ptr_eq(&self.fs, &other.fs) {
            Ok(())
        } else {
            Err(Errno::EXDEV)
        }
    }

    fn touch(&self, st: &mut InodeState, m: bool, c: bool) {
        let t = self.fs.now();
        if m {
            st.d.mtime = t;
        }
        if c {
            st.d.ctime = t;
        }
        st.dirty = true;
    }

    fn child(&self, name: &[u8]) -> KResult<Arc<FfsNode>> {
        // The directory stays locked until the inode is in core, so that
        // a removal cannot free it between the entry and the inode.
        let mut st = self.st();
        let ino = self.dir_find(&mut st, name)?.ok_or(Errno::ENOENT)?.ino;
        self.fs.iget(u64::from(ino)).map_err(|e| match e {
            Errno::EIO => self.fs.complain(Flaw::damaged(format!(
                "bad dir ino {}: entry {} names unusable inode {ino}",
                self.ino,
                String::from_utf8_lossy(name)
            ))),
            e => e,
        })
    }

    /// Whether this directory is `anc` or lies below it (walking `..`).
    fn is_within(&self, anc: u64) -> KResult<bool> {
        let mut cur = self.ino;
        let mut node: Option<Arc<FfsNode>> = None;
        for _ in 0..4096 {
            if cur == anc {
                return Ok(true);
            }
            if cur == ROOTINO {
                return Ok(false);
            }
            let n = match &node {
                Some(n) => n.child(b"..")?,
                None => self.child(b"..")?,
            };
            cur = n.ino;
            node = Some(n);
        }
        Err(Errno::EIO)
    }

    /// Allocate and set up a new inode of type `typ` for this directory.
    fn new_inode(&self, mode: u16, uid: u32, gid: u32, rdev: u64) -> KResult<Arc<FfsNode>> {
        let dir = mode & IFMT == IFDIR;
        let ino = self
            .fs
            .alloc_inode_checked(self.fs.geo.ino_to_cg(self.ino), dir)?;
        let t = self.fs.now();
        let mut d = Dinode {
            mode,
            nlink: if dir { 2 } else { 1 },
            uid,
            gid,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: if self.fs.version() == Version::Ufs2 {
                t
            } else {
                (0, 0)
            },
            gen_: self.fs.random_u32().max(1),
            ..Dinode::default()
        };
        if rdev != 0 {
            d.db[0] = match self.fs.version() {
                Version::Ufs1 => i64::from(rdev as u32 as i32),
                Version::Ufs2 => rdev as i64,
            };
        }
        self.fs.install(ino, d)
    }

    fn check_name_free(&self, st: &mut InodeState, name: &[u8]) -> KResult<()> {
        if st.d.nlink == 0 {
            return Err(Errno::ENOENT);
        }
        match self.dir_find(st, name)? {
            Some(_) => Err(Errno::EEXIST),
            None => Ok(()),
        }
    }

    /// Give an inode whose links are gone its blocks and number back;
    /// returns the inode to write (free, its generation kept).
    fn release(&self, st: &mut InodeState) -> KResult<Dinode> {
        let dir = st.d.ifmt() == IFDIR;
        if self.fs.has_blocks(&st.d) {
            self.fs.truncate(self.ino, &mut st.d, 0)?;
        }
        // FreeBSD's extended attribute blocks go too.
        for i in 0..2 {
            let (p, n) = (
                st.d.extb[i],
                self.fs.geo.ext_frags(u64::from(st.d.extsize), i as u64),
            );
            if p != 0 && n != 0 && self.fs.check_addr(p, n).is_ok() {
                self.fs.free_frags(p, n)?;
            }
            st.d.extb[i] = 0;
        }
        self.fs.free_inode(self.ino, dir)?;
        Ok(Dinode {
            gen_: st.d.gen_,
            ..Dinode::default()
        })
    }
}

/// Make the root directory (inode 2) of a file system just written by
/// [`crate::mkfs::write_empty`].
pub(crate) fn make_root(fs: &Arc<Ffs>, uid: u32, gid: u32, mode: u32) -> KResult<()> {
    let ino = fs.alloc_root_inode()?;
    if ino != ROOTINO {
        return Err(Errno::EIO);
    }
    let t = fs.now();
    let d = Dinode {
        mode: IFDIR | (mode as u16 & ALLPERMS),
        nlink: 2,
        uid,
        gid,
        atime: t,
        mtime: t,
        ctime: t,
        birthtime: if fs.version() == Version::Ufs2 {
            t
        } else {
            (0, 0)
        },
        gen_: fs.random_u32().max(1),
        ..Dinode::default()
    };
    let root = fs.install(ino, d)?;
    let mut st = root.st();
    let chunk = fs.dirfmt().new_dir_chunk(ROOTINO as u32, ROOTINO as u32);
    root.write_chunk(&mut st, 0, &chunk)
}

/// Name each orphan (inode, is a directory) `#ino` in `lost+found`,
/// making that directory if it is missing (fsck's reconnect). Link counts
/// are left for the next check to set.
pub(crate) fn reconnect(fs: &Arc<Ffs>, orphans: &[(u64, bool)]) -> KResult<()> {
    let root = fs.root()?;
    let lf = match root.child(b"lost+found") {
        Ok(n) if n.is_dir() => n,
        Ok(_) => return Err(Errno::ENOTDIR),
        Err(Errno::ENOENT) => {
            let new = NewNode {
                typ: VType::Dir,
                mode: 0o700,
                uid: 0,
                gid: 0,
                rdev: 0,
            };
            let n = root.create(b"lost+found", new)?;
            fs.iget(n.ino())?
        }
        Err(e) => return Err(e),
    };
    for &(ino, dir) in orphans {
        let node = fs.iget(ino).or_else(|_| {
            // A link count of zero: give it one so it can be named.
            let mut d = fs.read_dinode(ino)?;
            d.nlink = 1;
            fs.write_dinode(ino, &d)?;
            fs.iget(ino)
        })?;
        let typ = dt_of(vtype_of(node.st().d.mode));
        {
            let mut ls = lf.st();
            lf.dir_add(&mut ls, format!("#{ino}").as_bytes(), ino, typ)?;
            if dir {
                ls.d.nlink = ls.d.nlink.saturating_add(1);
            }
        }
        if dir {
            let mut ns = node.st();
            if node.dir_retarget(&mut ns, b"..", lf.ino, dt::DIR).is_err() {
                let fmt = fs.dirfmt();
                let mut chunk = node.read_chunk(&ns, 0)?;
                if fmt.insert(&mut chunk, lf.ino as u32, dt::DIR, b"..")? {
                    node.write_chunk(&mut ns, 0, &chunk)?;
                }
            }
        }
    }
    Ok(())
}

impl Drop for FfsNode {
    fn drop(&mut self) {
        let fs = Arc::clone(&self.fs);
        // Held throughout, so that nobody reads this inode from the device
        // before what is in core has been written there.
        let mut table = lock(&fs.inodes);
        let mut st = {
            let st = self.st.get_mut().unwrap_or_else(|e| e.into_inner());
            InodeState {
                d: std::mem::take(&mut st.d),
                dirty: st.dirty,
                index: None,
            }
        };
        if !fs.gone() && !fs.read_only() {
            // Errors have nowhere to go here; fsck repairs what is left.
            // The inode itself is written by the next sync, after its data.
            if st.d.nlink == 0 && st.d.mode != 0 {
                match self.release(&mut st) {
                    Ok(d) => {
                        table.pending.insert(self.ino, d);
                    }
                    Err(_) => {
                        fs.note_damage();
                        table.pending.insert(self.ino, st.d);
                    }
                }
            } else if st.dirty {
                table.pending.insert(self.ino, st.d);
            }
        }
        if table
            .live
            .get(&self.ino)
            .is_some_and(|w| w.strong_count() == 0)
        {
            table.live.remove(&self.ino);
        }
        // An iget waiting for this inode to leave may read it now.
        fs.inode_gone.notify_all();
    }
}
