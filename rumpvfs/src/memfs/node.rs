//! The vnode operations of a memory file system's nodes: attributes, the
//! name space (create, link, remove, rename), listings, and data through
//! [`super::data`].

use super::{Content, Listing, MemNode, Sizes, lock, round_page};
use crate::node::{Attr, DirEntry, NewNode, Node, SetAttr, VType};
use rump::{Errno, KResult};
use std::collections::BTreeMap;
use std::sync::Arc;

impl MemNode {
    /// A listing with no `.` or `..`, the newest entry first (each is put
    /// at the head of the list, as NetBSD's rumpfs does). Without renames
    /// or hard links every node has one name, made when the node was, so
    /// its number orders the entries.
    fn newest_first(entries: &BTreeMap<Vec<u8>, Arc<MemNode>>) -> Vec<DirEntry> {
        let mut v: Vec<DirEntry> = entries
            .iter()
            .map(|(name, n)| DirEntry {
                name: name.clone(),
                ino: n.ino,
                // Lock order: a child is locked only while its parent is.
                typ: lock(&n.inner).typ,
            })
            .collect();
        v.sort_by_key(|e| std::cmp::Reverse(e.ino));
        v
    }
}

impl Node for MemNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn vtype(&self) -> VType {
        lock(&self.inner).typ
    }

    fn flags(&self) -> u32 {
        lock(&self.inner).flags
    }

    fn getattr(&self) -> Attr {
        let i = lock(&self.inner);
        let rules = &self.shared.rules;
        let (size, bytes) = match rules.sizes {
            Sizes::Counted { dirent } => {
                let size = match &i.content {
                    Content::File { size, .. } => *size,
                    Content::Dir { entries, .. } => entries.len() as u64 * dirent,
                    Content::Link(t) => t.len() as u64,
                    Content::Special => 0,
                };
                (size, round_page(size))
            }
            Sizes::Fixed(n) => {
                let size = match &i.content {
                    Content::File { size, .. } => *size,
                    Content::Link(t) => t.len() as u64,
                    Content::Dir { .. } | Content::Special => n,
                };
                (size, n)
            }
        };
        // A directory whose link count stays 2 (its subdirectories' ".."
        // not counted) tells fts, and so `ls -R` and `find`, that it has
        // no subdirectories. A removed one reports its 0.
        let nlink = match i.typ {
            VType::Dir if !rules.dirs_count_subdirs && i.nlink > 0 => 2,
            _ => i.nlink,
        };
        Attr {
            typ: i.typ,
            mode: i.mode,
            nlink,
            uid: i.uid,
            gid: i.gid,
            ino: self.ino,
            size,
            bytes,
            rdev: i.rdev,
            atime: i.atime,
            mtime: i.mtime,
            ctime: i.ctime,
            birthtime: i.birthtime,
            gen_: 0,
            flags: i.flags,
        }
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        let mut i = lock(&self.inner);
        let t = self.shared.now();
        if let Some(size) = s.size {
            self.truncate(&mut i, size)?;
            if self.shared.stamps_times() {
                i.mtime = t;
            }
        }
        if let Some(m) = s.mode {
            i.mode = m & 0o7777;
        }
        if let Some(u) = s.uid {
            i.uid = u;
        }
        if let Some(g) = s.gid {
            i.gid = g;
        }
        if let Some(a) = s.atime {
            i.atime = a;
        }
        if let Some(m) = s.mtime {
            i.mtime = m;
        }
        if let Some(f) = s.flags {
            i.flags = f;
        }
        if self.shared.stamps_times() {
            i.ctime = t;
        }
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> KResult<Arc<dyn Node>> {
        match &lock(&self.inner).content {
            Content::Dir { entries, .. } => entries
                .get(name)
                .map(|n| Arc::clone(n) as Arc<dyn Node>)
                .ok_or(Errno::ENOENT),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn parent(&self) -> KResult<Arc<dyn Node>> {
        match &lock(&self.inner).content {
            Content::Dir { parent, .. } => {
                Ok(parent.upgrade().unwrap_or_else(|| self.this()) as Arc<dyn Node>)
            }
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn create(&self, name: &[u8], new: NewNode) -> KResult<Arc<dyn Node>> {
        let new = NewNode {
            uid: self.shared.owner(new.uid),
            gid: self.shared.owner(new.gid),
            ..new
        };
        let _ns = lock(&self.shared.names);
        if lock(&self.inner).nlink == 0 {
            // A removed directory takes no new entries.
            return Err(Errno::ENOENT);
        }
        self.lookup(name)
            .err()
            .filter(|e| *e == Errno::ENOENT)
            .ok_or(Errno::EEXIST)?;
        self.reserve_node()?;
        let content = match new.typ {
            VType::Dir => Content::Dir {
                entries: BTreeMap::new(),
                parent: self.me.clone(),
            },
            VType::Reg => Content::File {
                size: 0,
                pages: BTreeMap::new(),
            },
            _ => Content::Special,
        };
        let node = MemNode::alloc(&self.shared, new, content);
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.insert(name.to_vec(), Arc::clone(&node));
        }
        if new.typ == VType::Dir {
            i.nlink += 1;
        }
        self.stamp_changed(&mut i);
        Ok(node)
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> KResult<Arc<dyn Node>> {
        let _ns = lock(&self.shared.names);
        self.lookup(name)
            .err()
            .filter(|e| *e == Errno::ENOENT)
            .ok_or(Errno::EEXIST)?;
        self.reserve_node()?;
        let new = NewNode {
            typ: VType::Lnk,
            mode: 0o777,
            uid: self.shared.owner(uid),
            gid: self.shared.owner(gid),
            rdev: 0,
        };
        let node = MemNode::alloc(&self.shared, new, Content::Link(target.to_vec()));
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.insert(name.to_vec(), Arc::clone(&node));
        }
        self.stamp_changed(&mut i);
        Ok(node)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Node>) -> KResult<()> {
        if !self.shared.rules.renames_and_links {
            return Err(Errno::EOPNOTSUPP);
        }
        let target = MemNode::downcast(target)?;
        if !Arc::ptr_eq(&target.shared, &self.shared) {
            return Err(Errno::EXDEV);
        }
        let _ns = lock(&self.shared.names);
        self.lookup(name)
            .err()
            .filter(|e| *e == Errno::ENOENT)
            .ok_or(Errno::EEXIST)?;
        {
            let mut t = lock(&target.inner);
            if t.typ == VType::Dir {
                return Err(Errno::EPERM);
            }
            if t.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            t.nlink += 1;
            t.ctime = self.shared.now();
        }
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.insert(name.to_vec(), target);
        }
        let t = self.shared.now();
        i.mtime = t;
        i.ctime = t;
        Ok(())
    }

    fn remove(&self, name: &[u8], dir: bool) -> KResult<()> {
        let _ns = lock(&self.shared.names);
        let victim = MemNode::downcast(&self.lookup(name)?)?;
        {
            let mut v = lock(&victim.inner);
            match (&v.content, dir) {
                (Content::Dir { entries, .. }, true) => {
                    if !entries.is_empty() {
                        return Err(Errno::ENOTEMPTY);
                    }
                    v.nlink = 0;
                }
                (Content::Dir { .. }, false) => return Err(Errno::EPERM),
                (_, true) => return Err(Errno::ENOTDIR),
                (_, false) => v.nlink = v.nlink.saturating_sub(1),
            }
            if self.shared.stamps_times() {
                v.ctime = self.shared.now();
            }
        }
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.remove(name);
        }
        if dir {
            i.nlink = i.nlink.saturating_sub(1);
        }
        self.stamp_changed(&mut i);
        Ok(())
    }

    fn rename(&self, from: &[u8], to_dir: &Arc<dyn Node>, to: &[u8]) -> KResult<()> {
        if !self.shared.rules.renames_and_links {
            return Err(Errno::EOPNOTSUPP);
        }
        let dst = MemNode::downcast(to_dir)?;
        if !Arc::ptr_eq(&dst.shared, &self.shared) {
            return Err(Errno::EXDEV);
        }
        let _ns = lock(&self.shared.names);
        let src = MemNode::downcast(&self.lookup(from)?)?;
        let src_dir = lock(&src.inner).typ == VType::Dir;
        // A directory may not move into itself or below itself.
        if src_dir && dst.is_within(&src) {
            return Err(Errno::EINVAL);
        }
        if let Ok(existing) = dst.lookup(to) {
            let existing = MemNode::downcast(&existing)?;
            if Arc::ptr_eq(&existing, &src) {
                // Two names of one file: NetBSD drops the source name
                // (nothing happens if it is the very same entry).
                if MemNode::same(&dst, self) && from == to {
                    return Ok(());
                }
                let mut i = lock(&self.inner);
                if let Content::Dir { entries, .. } = &mut i.content {
                    entries.remove(from);
                }
                let t = self.shared.now();
                i.mtime = t;
                i.ctime = t;
                drop(i);
                let mut sn = lock(&src.inner);
                sn.nlink = sn.nlink.saturating_sub(1);
                sn.ctime = t;
                return Ok(());
            }
            let mut e = lock(&existing.inner);
            match (&e.content, src_dir) {
                (Content::Dir { entries, .. }, true) => {
                    if !entries.is_empty() {
                        return Err(Errno::ENOTEMPTY);
                    }
                    e.nlink = 0;
                }
                (Content::Dir { .. }, false) => return Err(Errno::EISDIR),
                (_, true) => return Err(Errno::ENOTDIR),
                (_, false) => e.nlink = e.nlink.saturating_sub(1),
            }
            e.ctime = self.shared.now();
            let replaced_dir = matches!(e.content, Content::Dir { .. });
            drop(e);
            let mut d = lock(&dst.inner);
            if let Content::Dir { entries, .. } = &mut d.content {
                entries.remove(to);
            }
            if replaced_dir {
                d.nlink = d.nlink.saturating_sub(1);
            }
        }
        let t = self.shared.now();
        let same_dir = MemNode::same(&dst, self);
        {
            let mut i = lock(&self.inner);
            if let Content::Dir { entries, .. } = &mut i.content {
                entries.remove(from);
            }
            if src_dir && !same_dir {
                i.nlink = i.nlink.saturating_sub(1);
            }
            i.mtime = t;
            i.ctime = t;
        }
        {
            let mut d = lock(&dst.inner);
            if let Content::Dir { entries, .. } = &mut d.content {
                entries.insert(to.to_vec(), Arc::clone(&src));
            }
            if src_dir && !same_dir {
                d.nlink += 1;
            }
            d.mtime = t;
            d.ctime = t;
        }
        let mut s = lock(&src.inner);
        if let Content::Dir { parent, .. } = &mut s.content {
            *parent = Arc::downgrade(&dst);
        }
        s.ctime = t;
        Ok(())
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        self.read_data(off, buf)
    }

    fn read_to(
        &self,
        off: u64,
        len: usize,
        sink: &mut rump::devsw::ReadSink<'_>,
    ) -> KResult<usize> {
        self.read_data_to(off, len, sink)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        self.write_data(off, data)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let i = lock(&self.inner);
        let Content::Dir { entries, parent } = &i.content else {
            return Err(Errno::ENOTDIR);
        };
        if self.shared.rules.listing == Listing::NewestFirst {
            return Ok(Self::newest_first(entries));
        }
        let up = parent.upgrade().map_or(self.ino, |p| p.ino);
        let mut v = vec![
            DirEntry {
                name: b".".to_vec(),
                ino: self.ino,
                typ: VType::Dir,
            },
            DirEntry {
                name: b"..".to_vec(),
                ino: up,
                typ: VType::Dir,
            },
        ];
        for (name, n) in entries {
            // Lock order: a child is locked only while its parent is, never the reverse.
            let typ = lock(&n.inner).typ;
            v.push(DirEntry {
                name: name.clone(),
                ino: n.ino,
                typ,
            });
        }
        Ok(v)
    }

    fn readlink(&self) -> KResult<Vec<u8>> {
        match &lock(&self.inner).content {
            Content::Link(t) => Ok(t.clone()),
            _ => Err(Errno::EINVAL),
        }
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
