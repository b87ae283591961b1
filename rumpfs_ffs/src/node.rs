//! FFS vnodes: an in-core inode with its operations, directories included.

use crate::format::dinode::{self, Dinode, IFDIR, IFLNK, IFMT};
use crate::format::dir::{DIRBLKSIZ, DirFormat, dirsiz, dt};
use crate::format::{DEV_BSIZE, Flaw, ROOTINO, Version};
use crate::fs::{Ffs, lock};
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

/// A directory's names in core (NetBSD's dirhash): where each name is and
/// how much room each chunk has.
struct DirIndex {
    names: HashMap<Vec<u8>, (u32, u8, u32)>,
    slack: Vec<u16>,
}

pub(crate) struct IState {
    pub d: Dinode,
    pub dirty: bool,
    index: Option<DirIndex>,
}

/// An in-core inode: a vnode of an FFS.
pub struct FfsNode {
    ino: u64,
    fs: Arc<Ffs>,
    st: Mutex<IState>,
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
            st: Mutex::new(IState {
                d,
                dirty,
                index: None,
            }),
        })
    }

    fn st(&self) -> MutexGuard<'_, IState> {
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
    fn settle(&self, st: &mut IState, freed: KResult<Dinode>) {
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

    fn touch(&self, st: &mut IState, m: bool, c: bool) {
        let t = self.fs.now();
        if m {
            st.d.mtime = t;
        }
        if c {
            st.d.ctime = t;
        }
        st.dirty = true;
    }

    // ---- directories -------------------------------------------------

    fn index<'a>(&self, st: &'a mut IState) -> KResult<&'a mut DirIndex> {
        if st.d.ifmt() != IFDIR {
            return Err(Errno::ENOTDIR);
        }
        if st.index.is_none() {
            let blocks = self.fs.dir_blocks(self.ino, &st.d)?;
            let mut names = HashMap::new();
            let mut slack = Vec::with_capacity(blocks.len());
            for (i, ents) in blocks.into_iter().enumerate() {
                slack.push(ents.iter().map(|e| e.slack()).sum::<usize>() as u16);
                for e in ents.into_iter().filter(|e| e.ino != 0) {
                    names.insert(e.name, (e.ino, e.typ, i as u32));
                }
            }
            st.index = Some(DirIndex { names, slack });
        }
        st.index.as_mut().ok_or(Errno::EIO)
    }

    fn read_chunk(&self, st: &IState, i: u32) -> KResult<Vec<u8>> {
        let mut c = vec![0u8; DIRBLKSIZ];
        let off = u64::from(i) * DIRBLKSIZ as u64;
        if self.fs.read_data(&st.d, off, &mut c)? != DIRBLKSIZ {
            return Err(Errno::EIO);
        }
        Ok(c)
    }

    fn write_chunk(&self, st: &mut IState, i: u32, c: &[u8]) -> KResult<()> {
        let off = u64::from(i) * DIRBLKSIZ as u64;
        let res = self.fs.write_data(self.ino, &mut st.d, off, c);
        st.dirty = true;
        let n = res?;
        if n != c.len() {
            return Err(Errno::ENOSPC);
        }
        let slack = self
            .fs
            .dirfmt()
            .entries(c)?
            .iter()
            .map(|e| e.slack())
            .sum::<usize>() as u16;
        if let Some(ix) = st.index.as_mut() {
            if ix.slack.len() <= i as usize {
                ix.slack.resize(i as usize + 1, 0);
            }
            ix.slack[i as usize] = slack;
        }
        Ok(())
    }

    fn dir_find(&self, st: &mut IState, name: &[u8]) -> KResult<Option<(u32, u8, u32)>> {
        Ok(self.index(st)?.names.get(name).copied())
    }

    /// Add `name` -> `ino` to this directory, in the first chunk with room
    /// or in a new chunk at the end.
    fn dir_add(&self, st: &mut IState, name: &[u8], ino: u64, typ: u8) -> KResult<()> {
        let need = dirsiz(name.len());
        let fmt = self.fs.dirfmt();
        let ix = self.index(st)?;
        let slot = ix.slack.iter().position(|&s| usize::from(s) >= need);
        let (i, mut chunk) = match slot {
            Some(i) => (i as u32, self.read_chunk(st, i as u32)?),
            None => ((st.d.size / DIRBLKSIZ as u64) as u32, fmt.empty_chunk()),
        };
        if !fmt.insert(&mut chunk, ino as u32, typ, name)? {
            return Err(Errno::EIO);
        }
        self.write_chunk(st, i, &chunk)?;
        if let Some(ix) = st.index.as_mut() {
            ix.names.insert(name.to_vec(), (ino as u32, typ, i));
        }
        self.touch(st, true, true);
        Ok(())
    }

    /// Remove `name` from this directory; trailing chunks left empty are
    /// cut off.
    fn dir_remove(&self, st: &mut IState, name: &[u8]) -> KResult<()> {
        self.edit_entry(st, name, None, |fmt, chunk| fmt.remove(chunk, name))?;
        // Compact: drop empty chunks at the end (never the first).
        let mut n = st.d.size / DIRBLKSIZ as u64;
        while n > 1 {
            let last = (n - 1) as u32;
            let empty = st.index.as_ref().is_some_and(|ix| {
                ix.slack
                    .get(last as usize)
                    .is_some_and(|&s| usize::from(s) == DIRBLKSIZ)
            });
            if !empty {
                break;
            }
            n -= 1;
        }
        if n < st.d.size / DIRBLKSIZ as u64 {
            self.fs
                .truncate(self.ino, &mut st.d, n * DIRBLKSIZ as u64)?;
            if let Some(ix) = st.index.as_mut() {
                ix.slack.truncate(n as usize);
            }
        }
        self.touch(st, true, true);
        Ok(())
    }

    fn dir_retarget(&self, st: &mut IState, name: &[u8], ino: u64, typ: u8) -> KResult<()> {
        self.edit_entry(st, name, Some((ino as u32, typ)), |fmt, chunk| {
            fmt.retarget(chunk, name, ino as u32, typ)
        })?;
        self.touch(st, true, true);
        Ok(())
    }

    /// Change the chunk holding `name` with `edit` (which must find it),
    /// write it back, and record `name`'s new target (`None`: gone).
    fn edit_entry(
        &self,
        st: &mut IState,
        name: &[u8],
        now: Option<(u32, u8)>,
        edit: impl FnOnce(&DirFormat, &mut [u8]) -> KResult<bool>,
    ) -> KResult<()> {
        let (_, _, i) = self.dir_find(st, name)?.ok_or(Errno::ENOENT)?;
        let mut chunk = self.read_chunk(st, i)?;
        if !edit(&self.fs.dirfmt(), &mut chunk)? {
            return Err(Errno::EIO);
        }
        self.write_chunk(st, i, &chunk)?;
        if let Some(ix) = st.index.as_mut() {
            match now {
                Some((ino, typ)) => ix.names.insert(name.to_vec(), (ino, typ, i)),
                None => ix.names.remove(name),
            };
        }
        Ok(())
    }

    fn dir_is_empty(&self, st: &mut IState) -> KResult<bool> {
        Ok(self
            .index(st)?
            .names
            .keys()
            .all(|n| n == b"." || n == b".."))
    }

    fn child(&self, name: &[u8]) -> KResult<Arc<FfsNode>> {
        // The directory stays locked until the inode is in core, so that
        // a removal cannot free it between the entry and the inode.
        let mut st = self.st();
        let (ino, _, _) = self.dir_find(&mut st, name)?.ok_or(Errno::ENOENT)?;
        if ino == WINO {
            // A whiteout (left by a union mount) names nothing.
            return Err(Errno::ENOENT);
        }
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

    fn check_name_free(&self, st: &mut IState, name: &[u8]) -> KResult<()> {
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
    fn release(&self, st: &mut IState) -> KResult<Dinode> {
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
            IState {
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

impl Node for FfsNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn getattr(&self) -> Attr {
        let st = self.st();
        let d = &st.d;
        let ts = |s: (i64, i32)| (s.0, i64::from(s.1));
        Attr {
            typ: vtype_of(d.mode),
            mode: u32::from(d.mode & ALLPERMS),
            nlink: u32::from(d.nlink),
            uid: d.uid,
            gid: d.gid,
            ino: self.ino,
            size: d.size,
            bytes: d.blocks.saturating_mul(DEV_BSIZE),
            rdev: match d.ifmt() {
                dinode::IFBLK | dinode::IFCHR => d.rdev(self.fs.version()),
                _ => 0,
            },
            atime: ts(d.atime),
            mtime: ts(d.mtime),
            ctime: ts(d.ctime),
            birthtime: ts(d.birthtime),
            gen_: d.gen_,
            flags: d.flags,
        }
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        let _change = self.fs.change()?;
        let mut st = self.st();
        if let Some(size) = s.size {
            match st.d.ifmt() {
                dinode::IFREG => {}
                IFDIR => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            let res = self.fs.truncate(self.ino, &mut st.d, size);
            st.dirty = true;
            res?;
            self.touch(&mut st, true, false);
        }
        if let Some(m) = s.mode {
            st.d.mode = (st.d.mode & IFMT) | (m as u16 & ALLPERMS);
        }
        if let Some(u) = s.uid {
            st.d.uid = u;
        }
        if let Some(g) = s.gid {
            st.d.gid = g;
        }
        if let Some(a) = s.atime {
            st.d.atime = (a.0, a.1 as i32);
        }
        if let Some(m) = s.mtime {
            st.d.mtime = (m.0, m.1 as i32);
        }
        if let Some(f) = s.flags {
            st.d.flags = f;
        }
        self.touch(&mut st, false, true);
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> KResult<Arc<dyn Node>> {
        Ok(self.child(name)? as Arc<dyn Node>)
    }

    fn parent(&self) -> KResult<Arc<dyn Node>> {
        if self.ino == ROOTINO {
            return Ok(self.fs.iget(ROOTINO)? as Arc<dyn Node>);
        }
        self.lookup(b"..")
    }

    fn create(&self, name: &[u8], new: NewNode) -> KResult<Arc<dyn Node>> {
        let _change = self.fs.change()?;
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let dir = new.typ == VType::Dir;
        if dir && st.d.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let mode = ifmt_of(new.typ) | (new.mode as u16 & ALLPERMS);
        let rdev = if matches!(new.typ, VType::Blk | VType::Chr) {
            new.rdev
        } else {
            0
        };
        let node = self.new_inode(mode, new.uid, new.gid, rdev)?;
        if dir {
            let mut ns = node.st();
            let chunk = self
                .fs
                .dirfmt()
                .new_dir_chunk(node.ino as u32, self.ino as u32);
            let res = node.write_chunk(&mut ns, 0, &chunk);
            if let Err(e) = res {
                ns.d.nlink = 0;
                return Err(e);
            }
        }
        if let Err(e) = self.dir_add(&mut st, name, node.ino, dt_of(new.typ)) {
            node.st().d.nlink = 0;
            return Err(e);
        }
        if dir {
            st.d.nlink += 1;
        }
        Ok(node as Arc<dyn Node>)
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> KResult<Arc<dyn Node>> {
        let _change = self.fs.change()?;
        if target.len() as u64 >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let node = self.new_inode(IFLNK | 0o777, uid, gid, 0)?;
        {
            let mut ns = node.st();
            let (v, e) = (self.fs.version(), self.fs.geo.endian);
            if (target.len() as u64) < self.fs.geo.maxsymlinklen {
                ns.d.set_addr_bytes(v, e, target);
                ns.d.size = target.len() as u64;
            } else {
                let r = self.fs.write_data(node.ino, &mut ns.d, 0, target);
                if !matches!(r, Ok(n) if n == target.len()) {
                    ns.d.nlink = 0;
                    return Err(r.err().unwrap_or(Errno::ENOSPC));
                }
            }
            ns.dirty = true;
        }
        if let Err(e) = self.dir_add(&mut st, name, node.ino, dt::LNK) {
            node.st().d.nlink = 0;
            return Err(e);
        }
        Ok(node as Arc<dyn Node>)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Node>) -> KResult<()> {
        let _change = self.fs.change()?;
        let t = Self::downcast(target)?;
        self.same_fs(t)?;
        if t.ino == self.ino {
            // A directory, which takes no hard links (checked here, before
            // its lock would be taken twice).
            return Err(Errno::EPERM);
        }
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let typ = {
            let mut ts = t.st();
            if ts.d.ifmt() == IFDIR {
                return Err(Errno::EPERM);
            }
            if ts.d.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            if ts.d.nlink >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            ts.d.nlink += 1;
            self.touch(&mut ts, false, true);
            dt_of(vtype_of(ts.d.mode))
        };
        if let Err(e) = self.dir_add(&mut st, name, t.ino, typ) {
            t.st().d.nlink -= 1;
            return Err(e);
        }
        Ok(())
    }

    fn remove(&self, name: &[u8], dir: bool) -> KResult<()> {
        let _change = self.fs.change()?;
        let _ns = lock(&self.fs.names);
        let victim = self.child(name)?;
        if victim.ino == self.ino {
            // Only `.` names a directory from inside it: a damaged entry.
            return Err(Errno::EIO);
        }
        let mut st = self.st();
        {
            let mut vs = victim.st();
            match (vs.d.ifmt() == IFDIR, dir) {
                (true, true) => {
                    if !victim.dir_is_empty(&mut vs)? {
                        return Err(Errno::ENOTEMPTY);
                    }
                }
                (true, false) => return Err(Errno::EPERM),
                (false, true) => return Err(Errno::ENOTDIR),
                (false, false) => {}
            }
        }
        self.dir_remove(&mut st, name)?;
        let mut vs = victim.st();
        if dir {
            vs.d.nlink = 0;
            st.d.nlink = st.d.nlink.saturating_sub(1);
            // NetBSD cuts a removed directory down at once.
            let res = self.fs.truncate(victim.ino, &mut vs.d, 0);
            vs.dirty = true;
            res?;
            vs.index = None;
        } else {
            vs.d.nlink = vs.d.nlink.saturating_sub(1);
        }
        self.touch(&mut vs, false, true);
        Ok(())
    }

    fn rename(&self, from: &[u8], to_dir: &Arc<dyn Node>, to: &[u8]) -> KResult<()> {
        let _change = self.fs.change()?;
        let dst = Self::downcast(to_dir)?;
        self.same_fs(dst)?;
        let _ns = lock(&self.fs.names);
        let src = self.child(from)?;
        let src_dir = src.is_dir();
        let same_dir = dst.ino == self.ino;
        if src_dir && !same_dir && dst.is_within(src.ino)? {
            return Err(Errno::EINVAL);
        }
        let existing = match dst.child(to) {
            Ok(n) => Some(n),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        let typ = dt_of(vtype_of(src.st().d.mode));
        if let Some(ex) = &existing {
            if ex.ino == src.ino {
                // Two names of one file: the source name goes, unless it is
                // the very same entry.
                if same_dir && from == to {
                    return Ok(());
                }
                let mut st = self.st();
                self.dir_remove(&mut st, from)?;
                let mut ss = src.st();
                ss.d.nlink = ss.d.nlink.saturating_sub(1);
                self.touch(&mut ss, false, true);
                return Ok(());
            }
            let ex_dir = ex.is_dir();
            match (ex_dir, src_dir) {
                (true, true) => {
                    let mut es = ex.st();
                    if !ex.dir_is_empty(&mut es)? {
                        return Err(Errno::ENOTEMPTY);
                    }
                }
                (true, false) => return Err(Errno::EISDIR),
                (false, true) => return Err(Errno::ENOTDIR),
                (false, false) => {}
            }
            {
                let mut ds = if same_dir { self.st() } else { dst.st() };
                let node = if same_dir { self } else { dst };
                node.dir_retarget(&mut ds, to, src.ino, typ)?;
                if ex_dir {
                    ds.d.nlink = ds.d.nlink.saturating_sub(1);
                }
            }
            let mut es = ex.st();
            if ex_dir {
                es.d.nlink = 0;
                let res = self.fs.truncate(ex.ino, &mut es.d, 0);
                es.dirty = true;
                res?;
                es.index = None;
            } else {
                es.d.nlink = es.d.nlink.saturating_sub(1);
            }
            self.touch(&mut es, false, true);
        } else {
            let mut ds = if same_dir { self.st() } else { dst.st() };
            let node = if same_dir { self } else { dst };
            if src_dir && !same_dir && ds.d.nlink >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            node.dir_add(&mut ds, to, src.ino, typ)?;
        }
        {
            let mut st = self.st();
            self.dir_remove(&mut st, from)?;
            if src_dir && !same_dir {
                st.d.nlink = st.d.nlink.saturating_sub(1);
            }
        }
        if src_dir && !same_dir {
            {
                let mut ss = src.st();
                src.dir_retarget(&mut ss, b"..", dst.ino, dt::DIR)?;
            }
            // The moved directory's `..` now counts in its new parent (which
            // lost the replaced directory's, if one was replaced, above).
            let mut ds = dst.st();
            ds.d.nlink = ds.d.nlink.saturating_add(1);
            self.touch(&mut ds, false, true);
        }
        let mut ss = src.st();
        self.touch(&mut ss, false, true);
        Ok(())
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut st = self.st();
        match st.d.ifmt() {
            dinode::IFREG => {}
            IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        let n = self.fs.read_data(&st.d, off, buf)?;
        if !self.fs.read_only() && !self.fs.gone() {
            st.d.atime = self.fs.now();
            st.dirty = true;
        }
        Ok(n)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        let _change = self.fs.change()?;
        let mut st = self.st();
        match st.d.ifmt() {
            dinode::IFREG => {}
            IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        // Even a failed write may have moved blocks: the inode must go out.
        let res = self.fs.write_data(self.ino, &mut st.d, off, data);
        st.dirty = true;
        let n = res?;
        self.touch(&mut st, true, true);
        Ok(n)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let entries: Vec<(Vec<u8>, u32, u8)> = {
            let st = self.st();
            if st.d.ifmt() != IFDIR {
                return Err(Errno::ENOTDIR);
            }
            let blocks = self.fs.dir_blocks(self.ino, &st.d)?;
            blocks
                .into_iter()
                .flatten()
                .filter(|e| e.ino != 0 && e.ino != WINO)
                .map(|e| (e.name, e.ino, e.typ))
                .collect::<Vec<_>>()
        };
        let mut out = Vec::with_capacity(entries.len());
        for (name, ino, t) in entries {
            let typ = match VType::from_dirent_type(t) {
                Some(t) => t,
                // No type in the entry (4.2BSD format): ask the inode.
                None => match self.fs.iget(u64::from(ino)) {
                    Ok(n) => vtype_of(n.st().d.mode),
                    Err(_) => VType::Reg,
                },
            };
            out.push(DirEntry {
                name,
                ino: u64::from(ino),
                typ,
            });
        }
        // `.` and `..` first, as the VFS expects.
        out.sort_by_key(|e| match e.name.as_slice() {
            b"." => 0,
            b".." => 1,
            _ => 2,
        });
        Ok(out)
    }

    fn readlink(&self) -> KResult<Vec<u8>> {
        let st = self.st();
        if st.d.ifmt() != IFLNK {
            return Err(Errno::EINVAL);
        }
        let size = st.d.size;
        if size > MAXPATHLEN {
            return Err(Errno::EIO);
        }
        if self.fs.is_fast_symlink(&st.d) {
            let b = st.d.addr_bytes(self.fs.version(), self.fs.geo.endian);
            return Ok(b[..(size as usize).min(b.len())].to_vec());
        }
        let mut b = vec![0u8; size as usize];
        let n = self.fs.read_data(&st.d, 0, &mut b)?;
        b.truncate(n);
        Ok(b)
    }

    fn fsync(&self) -> KResult<()> {
        self.fs.sync()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
