//! A file system in kernel memory: the engine of rumpfs (the root) and of
//! tmpfs. File data lives in pages charged to the kernel's memory; at the
//! memory limit, as at the optional size and node limits, writes fail with
//! ENOSPC (NetBSD's tmpfs_mem_incr: the file system is full). Nodes live while a directory names
//! them or a file refers to them, so an unlinked open file keeps working.

use crate::node::{Attr, DirEntry, FileSystem, FsStats, NewNode, Node, SetAttr, Time, VType};
use rump::kmem::{Kmem, MemCharge};
use rump::{Errno, KResult};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Size of a data page.
pub const PAGE: usize = 4096;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn now() -> Time {
    let d = rumpuser::clock_wall();
    (d.as_secs() as i64, i64::from(d.subsec_nanos()))
}

/// Limits of one instance; 0 means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of file data.
    pub size_max: u64,
    /// Most nodes, the root included.
    pub nodes_max: u64,
}

struct Shared {
    kmem: Arc<Kmem>,
    limits: Limits,
    pages: AtomicU64,
    nodes: AtomicU64,
    next_ino: AtomicU64,
    /// Serialises changes to the name space (create, remove, rename, link),
    /// so a directory change never needs two directory locks at once from
    /// two threads.
    names: Mutex<()>,
    /// Sizes as NetBSD's rumpfs reports them (`makeprivate`): a directory
    /// is `DEV_BSIZE` long, and every node says it holds 512 bytes.
    rumpfs_sizes: bool,
}

impl Shared {
    fn max_pages(&self) -> u64 {
        if self.limits.size_max == 0 {
            u64::MAX
        } else {
            self.limits.size_max.div_ceil(PAGE as u64)
        }
    }
}

struct Page {
    data: Box<[u8]>,
    _charge: MemCharge,
}

enum Content {
    Dir {
        entries: BTreeMap<Vec<u8>, Arc<MemNode>>,
        parent: Weak<MemNode>,
    },
    File {
        size: u64,
        pages: BTreeMap<u64, Page>,
    },
    Link(Vec<u8>),
    Special,
}

struct Inner {
    typ: VType,
    mode: u32,
    uid: u32,
    gid: u32,
    nlink: u32,
    rdev: u64,
    atime: Time,
    mtime: Time,
    ctime: Time,
    birthtime: Time,
    content: Content,
}

/// A node of a memory file system.
pub struct MemNode {
    ino: u64,
    shared: Arc<Shared>,
    me: Weak<MemNode>,
    inner: Mutex<Inner>,
}

/// A memory file system instance.
pub struct MemFs {
    fstype: &'static str,
    shared: Arc<Shared>,
    root: Arc<MemNode>,
}

impl MemFs {
    /// A new, empty file system whose root is owned by `uid`:`gid` with
    /// permission bits `mode`.
    pub fn new(
        fstype: &'static str,
        kmem: Arc<Kmem>,
        limits: Limits,
        uid: u32,
        gid: u32,
        mode: u32,
    ) -> Arc<MemFs> {
        let shared = Arc::new(Shared {
            kmem,
            limits,
            pages: AtomicU64::new(0),
            nodes: AtomicU64::new(0),
            next_ino: AtomicU64::new(2),
            names: Mutex::new(()),
            rumpfs_sizes: fstype == "rumpfs",
        });
        let new = NewNode {
            typ: VType::Dir,
            mode,
            uid,
            gid,
            rdev: 0,
        };
        let root = MemNode::alloc(
            &shared,
            new,
            Content::Dir {
                entries: BTreeMap::new(),
                parent: Weak::new(),
            },
        );
        Arc::new(MemFs {
            fstype,
            shared,
            root,
        })
    }

    /// Bytes of file data stored.
    pub fn bytes_used(&self) -> u64 {
        self.shared.pages.load(Ordering::Relaxed) * PAGE as u64
    }
}

impl FileSystem for MemFs {
    fn root(&self) -> Arc<dyn Node> {
        Arc::clone(&self.root) as Arc<dyn Node>
    }

    fn fstype(&self) -> &'static str {
        self.fstype
    }

    fn stats(&self) -> FsStats {
        let s = &self.shared;
        let used = s.pages.load(Ordering::Relaxed);
        let nodes = s.nodes.load(Ordering::Relaxed);
        // Unlimited instances report what the kernel's memory would allow.
        let limit = s
            .kmem
            .limit()
            .map(|l| l / PAGE as u64)
            .unwrap_or(rumpuser::host_physmem() / PAGE as u64);
        let blocks = if s.limits.size_max == 0 {
            limit.max(used)
        } else {
            s.max_pages()
        };
        let files = if s.limits.nodes_max == 0 {
            blocks.max(nodes)
        } else {
            s.limits.nodes_max
        };
        FsStats {
            bsize: PAGE as u64,
            frsize: PAGE as u64,
            blocks,
            bfree: blocks.saturating_sub(used),
            bavail: blocks.saturating_sub(used),
            bresvd: 0,
            files,
            ffree: files.saturating_sub(nodes),
        }
    }
}

impl Drop for MemNode {
    fn drop(&mut self) {
        let inner = self.inner.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Content::File { pages, .. } = &inner.content {
            self.shared
                .pages
                .fetch_sub(pages.len() as u64, Ordering::Relaxed);
        }
        self.shared.nodes.fetch_sub(1, Ordering::Relaxed);
    }
}

impl MemNode {
    fn alloc(shared: &Arc<Shared>, new: NewNode, content: Content) -> Arc<MemNode> {
        shared.nodes.fetch_add(1, Ordering::Relaxed);
        let t = now();
        Arc::new_cyclic(|me| MemNode {
            ino: shared.next_ino.fetch_add(1, Ordering::Relaxed),
            shared: Arc::clone(shared),
            me: me.clone(),
            inner: Mutex::new(Inner {
                typ: new.typ,
                mode: new.mode & 0o7777,
                uid: new.uid,
                gid: new.gid,
                nlink: if new.typ == VType::Dir { 2 } else { 1 },
                rdev: new.rdev,
                atime: t,
                mtime: t,
                ctime: t,
                birthtime: t,
                content,
            }),
        })
    }

    fn reserve_node(&self) -> KResult<()> {
        let s = &self.shared;
        if s.limits.nodes_max != 0 && s.nodes.load(Ordering::Relaxed) >= s.limits.nodes_max {
            return Err(Errno::ENOSPC);
        }
        Ok(())
    }

    fn this(&self) -> Arc<MemNode> {
        self.me
            .upgrade()
            .unwrap_or_else(|| unreachable!("a node in use is alive"))
    }

    /// A new page holding `fill`, zeros after it (a page the write covers
    /// whole is built from the data, not zeroed first).
    fn page(&self, fill: &[u8]) -> KResult<Page> {
        let s = &self.shared;
        if s.pages.fetch_add(1, Ordering::Relaxed) >= s.max_pages() {
            s.pages.fetch_sub(1, Ordering::Relaxed);
            return Err(Errno::ENOSPC);
        }
        match s.kmem.charge(PAGE as u64) {
            Ok(c) => {
                let mut data = Vec::with_capacity(PAGE);
                data.extend_from_slice(&fill[..fill.len().min(PAGE)]);
                data.resize(PAGE, 0);
                Ok(Page {
                    data: data.into_boxed_slice(),
                    _charge: c,
                })
            }
            Err(e) => {
                s.pages.fetch_sub(1, Ordering::Relaxed);
                Err(if e == Errno::ENOMEM { Errno::ENOSPC } else { e })
            }
        }
    }

    /// Drop pages past `size` and zero the tail of the last one.
    fn shrink(&self, pages: &mut BTreeMap<u64, Page>, size: u64) {
        let keep = size.div_ceil(PAGE as u64);
        let gone = pages.split_off(&keep);
        self.shared
            .pages
            .fetch_sub(gone.len() as u64, Ordering::Relaxed);
        let tail = (size % PAGE as u64) as usize;
        if tail != 0
            && let Some(p) = pages.get_mut(&(size / PAGE as u64))
        {
            p.data[tail..].fill(0);
        }
    }

    fn same(a: &Arc<MemNode>, b: &MemNode) -> bool {
        std::ptr::eq(Arc::as_ptr(a), b)
    }

    fn downcast(n: &Arc<dyn Node>) -> KResult<Arc<MemNode>> {
        n.as_any()
            .downcast_ref::<MemNode>()
            .map(MemNode::this)
            .ok_or(Errno::EXDEV)
    }

    /// Is `self` (a directory) `anc` or below it?
    fn is_within(&self, anc: &MemNode) -> bool {
        let mut cur = Some(self.this());
        while let Some(n) = cur {
            if std::ptr::eq(Arc::as_ptr(&n), anc) {
                return true;
            }
            cur = match &lock(&n.inner).content {
                Content::Dir { parent, .. } => parent.upgrade(),
                _ => None,
            };
        }
        false
    }
}

impl Node for MemNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn getattr(&self) -> Attr {
        let i = lock(&self.inner);
        let (size, pages) = match &i.content {
            Content::File { size, pages } => (*size, pages.len() as u64),
            Content::Dir { entries, .. } => ((entries.len() as u64 + 2) * 16, 1),
            Content::Link(t) => (t.len() as u64, 0),
            Content::Special => (0, 0),
        };
        /// NetBSD's `DEV_BSIZE`, what rumpfs says of every node's bytes.
        const DEV_BSIZE: u64 = 512;
        let (size, bytes) = match (self.shared.rumpfs_sizes, &i.content) {
            (true, Content::Dir { .. }) => (DEV_BSIZE, DEV_BSIZE),
            (true, _) => (size, DEV_BSIZE),
            (false, _) => (size, pages * PAGE as u64),
        };
        Attr {
            typ: i.typ,
            mode: i.mode,
            nlink: i.nlink,
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
        }
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        let mut i = lock(&self.inner);
        let t = now();
        if let Some(size) = s.size {
            let Content::File { size: cur, pages } = &mut i.content else {
                return Err(if i.typ == VType::Dir {
                    Errno::EISDIR
                } else {
                    Errno::EINVAL
                });
            };
            if size < *cur {
                self.shrink(pages, size);
            }
            *cur = size;
            i.mtime = t;
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
        i.ctime = t;
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
        let t = now();
        i.mtime = t;
        i.ctime = t;
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
            uid,
            gid,
            rdev: 0,
        };
        let node = MemNode::alloc(&self.shared, new, Content::Link(target.to_vec()));
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.insert(name.to_vec(), Arc::clone(&node));
        }
        let t = now();
        i.mtime = t;
        i.ctime = t;
        Ok(node)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Node>) -> KResult<()> {
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
            t.ctime = now();
        }
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.insert(name.to_vec(), target);
        }
        let t = now();
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
            v.ctime = now();
        }
        let mut i = lock(&self.inner);
        if let Content::Dir { entries, .. } = &mut i.content {
            entries.remove(name);
        }
        if dir {
            i.nlink = i.nlink.saturating_sub(1);
        }
        let t = now();
        i.mtime = t;
        i.ctime = t;
        Ok(())
    }

    fn rename(&self, from: &[u8], to_dir: &Arc<dyn Node>, to: &[u8]) -> KResult<()> {
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
                let t = now();
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
            e.ctime = now();
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
        let t = now();
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
        let mut i = lock(&self.inner);
        let Content::File { size, pages } = &i.content else {
            return Err(if i.typ == VType::Dir {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        };
        if off >= *size {
            return Ok(0);
        }
        let n = ((*size - off) as usize).min(buf.len());
        let mut done = 0;
        while done < n {
            let pos = off + done as u64;
            let (pno, poff) = (pos / PAGE as u64, (pos % PAGE as u64) as usize);
            let chunk = (PAGE - poff).min(n - done);
            match pages.get(&pno) {
                Some(p) => buf[done..done + chunk].copy_from_slice(&p.data[poff..poff + chunk]),
                None => buf[done..done + chunk].fill(0), // a hole
            }
            done += chunk;
        }
        i.atime = now();
        Ok(n)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        let end = off.checked_add(data.len() as u64).ok_or(Errno::EFBIG)?;
        let mut i = lock(&self.inner);
        let Content::File { size, pages } = &mut i.content else {
            return Err(if i.typ == VType::Dir {
                Errno::EISDIR
            } else {
                Errno::EINVAL
            });
        };
        let mut done = 0;
        while done < data.len() {
            let pos = off + done as u64;
            let (pno, poff) = (pos / PAGE as u64, (pos % PAGE as u64) as usize);
            let chunk = (PAGE - poff).min(data.len() - done);
            let page = match pages.entry(pno) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) if poff == 0 && chunk == PAGE => {
                    match self.page(&data[done..done + chunk]) {
                        Ok(p) => {
                            v.insert(p);
                            done += chunk;
                            continue;
                        }
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => break,
                    }
                }
                std::collections::btree_map::Entry::Vacant(v) => match self.page(&[]) {
                    Ok(p) => v.insert(p),
                    // A short write when some data went in, else the error.
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                },
            };
            page.data[poff..poff + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        let written_end = off + done as u64;
        if written_end > *size {
            *size = written_end.min(end);
        }
        let t = now();
        i.mtime = t;
        i.ctime = t;
        Ok(done)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let i = lock(&self.inner);
        let Content::Dir { entries, parent } = &i.content else {
            return Err(Errno::ENOTDIR);
        };
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
