//! A file system in kernel memory: the engine of rumpfs (the root) and of
//! tmpfs. File data lives in pages charged to the kernel's memory; at the
//! memory limit, as at the optional size and node limits, writes fail with
//! ENOSPC (NetBSD's tmpfs_mem_incr: the file system is full). Nodes live while a directory names
//! them or a file refers to them, so an unlinked open file keeps working.
//!
//! As rumpfs the engine answers as NetBSD 7.99's `rumpfs.c` does, which is
//! deliberately small: no renames and no hard links (EOPNOTSUPP), every
//! node root's and one block big, times set only when a node is made and
//! by `utimes`, listings without `.` and `..`, newest entry first. Users
//! who want a full file system mount tmpfs, as on NetBSD.

use crate::node::{Attr, DirEntry, FileSystem, FsStats, NewNode, Node, SetAttr, Time, VType};
use rump::clock::KernelClock;
use rump::idhash::IdHashMap;
use rump::kmem::{Kmem, MemCharge};
use rump::{Errno, KResult};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Size of a data page.
pub const PAGE: usize = 4096;

/// What NetBSD's tmpfs charges per node, `sizeof(struct tmpfs_node)` on
/// amd64: a fresh mount's free nodes are its free memory over it (NetBSD's
/// rump kernel answers 2485513 for 512 MiB).
const TMPFS_NODE_SIZE: u64 = 216;
/// `sizeof(struct tmpfs_dirent)` on amd64: what a directory entry costs
/// and adds to its directory's size (`tmpfs_dir_attach`).
const TMPFS_DIRENT_SIZE: u64 = 48;
/// Names and link targets are charged in these steps (`TMPFS_NAME_QUANTUM`).
const TMPFS_NAME_QUANTUM: u64 = 32;
// `DEV_BSIZE`: rumpfs's directory size and every node's `va_bytes`, and
// the block size of its `genfs_statvfs`.
use rump::devsw::DEV_BSIZE;
/// The memory an unlimited rump kernel has, in pages (`PHYSMEM`,
/// `sys/rump/librump/rumpkern/emul.c`), which tmpfs sees as free.
const RUMP_PHYSMEM_PAGES: u64 = 512 * 256;
/// What a memory-limited rump kernel keeps for its page daemon
/// (`PDRESERVE`, `vm.c`: twice `MAXPHYS`).
const PDRESERVE: u64 = 2 * 64 * 1024;

fn round_page(n: u64) -> u64 {
    n.div_ceil(PAGE as u64) * PAGE as u64
}

fn name_charge(len: usize) -> u64 {
    (len as u64).div_ceil(TMPFS_NAME_QUANTUM) * TMPFS_NAME_QUANTUM
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
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
    /// The root file system (NetBSD's rumpfs) rather than tmpfs: sizes,
    /// block counts, `statvfs`, listings and times as rumpfs gives them,
    /// and no renames or hard links.
    rumpfs: bool,
    kmem: Arc<Kmem>,
    /// The kernel's clock, which timestamps read.
    clock: Arc<KernelClock>,
    limits: Limits,
    pages: AtomicU64,
    nodes: AtomicU64,
    next_ino: AtomicU64,
    /// Every live node by number, for file handles (tmpfs's `tm_nodes`).
    by_ino: Mutex<IdHashMap<u64, Weak<MemNode>>>,
    /// Serialises changes to the name space (create, remove, rename, link),
    /// so a directory change never needs two directory locks at once from
    /// two threads.
    names: Mutex<()>,
    /// Mounted `noatime`: reads leave access times alone.
    noatime: std::sync::atomic::AtomicBool,
}

impl Shared {
    fn now(&self) -> Time {
        self.clock.realtime_timespec()
    }

    /// The owner (or group) a new node gets when its maker asks for `id`:
    /// NetBSD's rumpfs makes every node root's, group 0 (`makeprivate`),
    /// whoever makes it; `chown` changes that afterwards.
    fn owner(&self, id: u32) -> u32 {
        if self.rumpfs { 0 } else { id }
    }

    /// Whether reads, writes and changes of names and attributes stamp
    /// the times they change. NetBSD's rumpfs sets a node's times once,
    /// when it makes the node (`makeprivate`); afterwards only `utimes`
    /// and the like change them (`rump_vop_setattr`).
    fn stamps_times(&self) -> bool {
        !self.rumpfs
    }

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
    flags: u32,
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
        clock: Arc<KernelClock>,
        limits: Limits,
        uid: u32,
        gid: u32,
        mode: u32,
    ) -> Arc<MemFs> {
        let shared = Arc::new(Shared {
            rumpfs: fstype == "rumpfs",
            kmem,
            clock,
            limits,
            pages: AtomicU64::new(0),
            nodes: AtomicU64::new(0),
            // NetBSD's rumpfs numbers from `lastino` (2) plus one, so its
            // root is 3; tmpfs's root is 2.
            next_ino: AtomicU64::new(if fstype == "rumpfs" { 3 } else { 2 }),
            by_ino: Mutex::new(IdHashMap::default()),
            names: Mutex::new(()),
            noatime: std::sync::atomic::AtomicBool::new(false),
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
    fn set_noatime(&self, on: bool) {
        self.shared.noatime.store(on, Ordering::Relaxed);
    }

    fn renames(&self) -> bool {
        !self.shared.rumpfs
    }

    fn links(&self) -> bool {
        !self.shared.rumpfs
    }

    fn io_blksize(&self) -> i32 {
        if self.shared.rumpfs {
            // `makeprivate`'s `va_blocksize`.
            DEV_BSIZE as i32
        } else {
            PAGE as i32
        }
    }

    fn dev_is_ino(&self) -> bool {
        self.shared.rumpfs
    }

    fn poll_events(&self, events: i16) -> i16 {
        if self.shared.rumpfs {
            Errno::EOPNOTSUPP.0 as i16
        } else {
            events & rump::file::POLL_ALWAYS_READY
        }
    }

    fn unknown_ioctl(&self) -> Errno {
        if self.shared.rumpfs {
            Errno::EOPNOTSUPP
        } else {
            Errno::ENOTTY
        }
    }

    fn revocable(&self) -> bool {
        self.fstype != "rumpfs"
    }

    fn makes_file_handles(&self) -> bool {
        // NetBSD's tmpfs has file handles, its rumpfs none.
        self.fstype != "rumpfs"
    }

    fn vget(&self, ino: u64) -> KResult<Arc<dyn Node>> {
        if !self.makes_file_handles() {
            return Err(Errno::EOPNOTSUPP);
        }
        // The table's lock is let go before the node may be dropped.
        let weak = lock(&self.shared.by_ino).get(&ino).cloned();
        weak.and_then(|w| w.upgrade())
            .map(|n| n as Arc<dyn Node>)
            .ok_or(Errno::ESTALE)
    }

    fn pathconf_limits(&self) -> Option<crate::pathconf::PathconfLimits> {
        Some(if self.fstype == "rumpfs" {
            crate::pathconf::RUMPFS
        } else {
            crate::pathconf::TMPFS
        })
    }

    fn flag_policy(&self) -> crate::node::FlagPolicy {
        // rumpfs keeps flags without acting on them; tmpfs enforces them.
        if self.fstype == "rumpfs" {
            crate::node::FlagPolicy::StoredOnly
        } else {
            crate::node::FlagPolicy::Tmpfs
        }
    }

    fn root(&self) -> Arc<dyn Node> {
        Arc::clone(&self.root) as Arc<dyn Node>
    }

    fn fstype(&self) -> &'static str {
        self.fstype
    }

    fn stats(&self) -> FsStats {
        if self.shared.rumpfs {
            // `genfs_statvfs`: two blocks, none free, "to keep df happy".
            return FsStats {
                bsize: DEV_BSIZE,
                frsize: DEV_BSIZE,
                blocks: 2,
                ..FsStats::default()
            };
        }
        self.tmpfs_stats()
    }
}

impl MemFs {
    /// Bytes NetBSD's tmpfs would count as used (`tm_bytes_used`): its
    /// nodes, directory entries, names and link targets, and file pages.
    fn bytes_charged(&self) -> u64 {
        let s = &self.shared;
        let mut bytes = s.nodes.load(Ordering::Relaxed) * TMPFS_NODE_SIZE
            + s.pages.load(Ordering::Relaxed) * PAGE as u64;
        let mut links = std::collections::HashSet::new();
        let mut dirs = vec![Arc::clone(&self.root)];
        while let Some(d) = dirs.pop() {
            let children: Vec<(usize, Arc<MemNode>)> = match &lock(&d.inner).content {
                Content::Dir { entries, .. } => entries
                    .iter()
                    .map(|(n, c)| (n.len(), Arc::clone(c)))
                    .collect(),
                _ => Vec::new(),
            };
            for (namelen, c) in children {
                bytes += TMPFS_DIRENT_SIZE + name_charge(namelen);
                match &lock(&c.inner).content {
                    Content::Dir { .. } => dirs.push(Arc::clone(&c)),
                    Content::Link(t) if links.insert(c.ino) => bytes += name_charge(t.len()),
                    _ => {}
                }
            }
        }
        bytes
    }

    /// Free pages as NetBSD's tmpfs sees them (`tmpfs_mem_info` less
    /// `uvmexp.freetarg`): a rump kernel's memory, which it never counts
    /// down.
    fn free_pages(&self) -> u64 {
        match self.shared.kmem.limit() {
            None => RUMP_PHYSMEM_PAGES,
            Some(limit) => {
                let npages = limit / PAGE as u64;
                let phys = limit.saturating_sub(PDRESERVE);
                let freetarg = (phys - 9 * (phys / 10)) / PAGE as u64;
                npages.saturating_sub(freetarg)
            }
        }
    }

    /// NetBSD's `tmpfs_statvfs`: pages of the memory the file system may
    /// still take (its size limit, or what the kernel has) plus what it
    /// holds, what is free, and nodes as many as the free memory holds.
    fn tmpfs_stats(&self) -> FsStats {
        let s = &self.shared;
        let used = self.bytes_charged();
        let mem_limit = if s.limits.size_max < PAGE as u64 {
            u64::MAX
        } else {
            s.limits.size_max
        };
        let bytes_max = mem_limit.min(round_page(used) + self.free_pages() * PAGE as u64);
        let blocks = bytes_max / PAGE as u64;
        let avail = bytes_max.saturating_sub(used) / PAGE as u64;
        let nodes_max = if s.limits.nodes_max > 3 {
            s.limits.nodes_max
        } else {
            3 + mem_limit / 1024
        }
        .min(i32::MAX as u64);
        let nodes = s.nodes.load(Ordering::Relaxed);
        let free_nodes = nodes_max
            .saturating_sub(nodes)
            .min(avail * PAGE as u64 / TMPFS_NODE_SIZE);
        FsStats {
            bsize: PAGE as u64,
            frsize: PAGE as u64,
            blocks,
            bfree: avail,
            bavail: avail,
            bresvd: 0,
            files: nodes + free_nodes,
            ffree: free_nodes,
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
        lock(&self.shared.by_ino).remove(&self.ino);
    }
}

impl MemNode {
    fn alloc(shared: &Arc<Shared>, new: NewNode, content: Content) -> Arc<MemNode> {
        shared.nodes.fetch_add(1, Ordering::Relaxed);
        let t = shared.now();
        let ino = shared.next_ino.fetch_add(1, Ordering::Relaxed);
        Arc::new_cyclic(|me| {
            lock(&shared.by_ino).insert(ino, me.clone());
            MemNode::with(shared, ino, me, new, content, t)
        })
    }

    fn with(
        shared: &Arc<Shared>,
        ino: u64,
        me: &Weak<MemNode>,
        new: NewNode,
        content: Content,
        t: Time,
    ) -> MemNode {
        MemNode {
            ino,
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
                flags: 0,
                content,
            }),
        }
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

    /// A change of this node's data or entries: its modification and
    /// change times become now, where the file system keeps them so.
    fn stamp_changed(&self, i: &mut Inner) {
        if self.shared.stamps_times() {
            let t = self.shared.now();
            i.mtime = t;
            i.ctime = t;
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

impl MemNode {
    /// A rumpfs directory's listing, as NetBSD's `rump_vop_readdir` gives
    /// it: no `.` or `..`, the newest entry first (each is put at the head
    /// of the list). Without renames or hard links every node has one name,
    /// made when the node was, so its number orders the entries.
    fn rumpfs_listing(entries: &BTreeMap<Vec<u8>, Arc<MemNode>>) -> Vec<DirEntry> {
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
        // tmpfs: a directory's size is its entries' (`tmpfs_dirent`s),
        // and the bytes held are the size in whole pages, as NetBSD's
        // `tmpfs_getattr`; rumpfs directories and device, FIFO and socket
        // nodes are `DEV_BSIZE` long and every rumpfs node holds
        // `DEV_BSIZE` bytes (`makeprivate`).
        let size = match &i.content {
            Content::File { size, .. } => *size,
            Content::Dir { .. } if self.shared.rumpfs => DEV_BSIZE,
            Content::Dir { entries, .. } => entries.len() as u64 * TMPFS_DIRENT_SIZE,
            Content::Link(t) => t.len() as u64,
            // `rump_vop_mknod`, and `rump_vop_create` of a socket.
            Content::Special if self.shared.rumpfs => DEV_BSIZE,
            Content::Special => 0,
        };
        let bytes = if self.shared.rumpfs {
            DEV_BSIZE
        } else {
            round_page(size)
        };
        // A rumpfs directory's link count stays the 2 it was made with
        // (its subdirectories' ".." are not counted), which tells fts, and
        // so `ls -R` and `find`, that it has no subdirectories: NetBSD's
        // tools do not descend below the top of a rumpfs tree. A removed
        // one reports its 0.
        let nlink = match i.typ {
            VType::Dir if self.shared.rumpfs && i.nlink > 0 => 2,
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
        if self.shared.rumpfs {
            // `vop_link` is `genfs_eopnotsupp` in NetBSD's rumpfs.
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
        if self.shared.rumpfs {
            // "we don't do rename" (NetBSD's `rump_vop_lookup`).
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
        if self.shared.stamps_times() && !self.shared.noatime.load(Ordering::Relaxed) {
            i.atime = self.shared.now();
        }
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
        self.stamp_changed(&mut i);
        Ok(done)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let i = lock(&self.inner);
        let Content::Dir { entries, parent } = &i.content else {
            return Err(Errno::ENOTDIR);
        };
        if self.shared.rumpfs {
            return Ok(Self::rumpfs_listing(entries));
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_and_flags_answer_as_getattr_does() {
        let fs = MemFs::new(
            "tmpfs",
            Kmem::new(None),
            Arc::new(KernelClock::new()),
            Limits::default(),
            0,
            0,
            0o755,
        );
        let root = fs.root();
        let mut nodes = vec![Arc::clone(&root)];
        for (i, typ) in [VType::Reg, VType::Dir, VType::Chr, VType::Fifo]
            .into_iter()
            .enumerate()
        {
            let new = NewNode {
                typ,
                mode: 0o644,
                uid: 1,
                gid: 1,
                rdev: 0,
            };
            nodes.push(root.create(format!("n{i}").as_bytes(), new).unwrap());
        }
        nodes.push(root.symlink(b"l", b"n0", 1, 1).unwrap());
        nodes[1]
            .setattr(&SetAttr {
                flags: Some(netbsd_abi::UF_APPEND as u32),
                ..SetAttr::default()
            })
            .unwrap();
        for n in &nodes {
            let a = n.getattr();
            assert_eq!(n.vtype(), a.typ);
            assert_eq!(n.flags(), a.flags);
        }
        assert_eq!(nodes[5].vtype(), VType::Lnk);
        assert_eq!(nodes[1].flags(), netbsd_abi::UF_APPEND as u32);
    }
}
