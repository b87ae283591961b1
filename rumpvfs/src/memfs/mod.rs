//! A file system in kernel memory: the engine of the root file system
//! ([`crate::rumpfs`]), which memory file system components use too, with
//! rules of their own. File data lives in pages charged to the
//! kernel's memory; at the memory limit, as at the optional size and node
//! limits, writes fail with ENOSPC (the file system is full). Nodes live
//! while a directory names them or a file refers to them, so an unlinked
//! open file keeps working.
//!
//! The engine makes nodes and keeps names and data; where NetBSD's memory
//! file systems differ in how their nodes answer (owners, times, sizes,
//! listings, renames), the [`Rules`] a file system gives decide. What a
//! file system answers as a whole (`statvfs`, `pathconf`, flags, file
//! handles) is the file system's own `FileSystem`, built on [`MemFs`].

mod data;
mod node;
#[cfg(test)]
mod tests;

use crate::node::{NewNode, Node, Time, VType};
use rump::clock::KernelClock;
use rump::idhash::IdHashMap;
use rump::kmem::Kmem;
use rump::sync::lock;
use rump::{Errno, KResult};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// Size of a data page.
pub const PAGE: usize = 4096;

/// `n` rounded up to whole pages.
pub fn round_page(n: u64) -> u64 {
    n.div_ceil(PAGE as u64) * PAGE as u64
}

/// Limits of one instance; 0 means none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Most bytes of file data.
    pub size_max: u64,
    /// Most nodes, the root included.
    pub nodes_max: u64,
}

/// How a node's size and the bytes it holds are counted (`va_size`,
/// `va_bytes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sizes {
    /// A directory is `dirent` bytes per entry long, a device, FIFO or
    /// socket node 0 bytes, and a node holds its size in whole pages.
    Counted {
        /// What one directory entry adds to its directory's size.
        dirent: u64,
    },
    /// Every directory, device, FIFO and socket node is this long, and
    /// every node holds this many bytes.
    Fixed(u64),
}

/// The order and content of a directory's listing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Listing {
    /// `.` and `..` first, then the entries by name.
    DotsThenByName,
    /// No `.` or `..`, the newest entry first.
    NewestFirst,
}

/// How the nodes of one memory file system behave where NetBSD's memory
/// file systems differ.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The root's node number; later nodes count up from it.
    pub root_ino: u64,
    /// Whether a new node belongs to the user and group its maker asks
    /// for; otherwise every node is made root's, group 0 (`chown` changes
    /// that afterwards).
    pub makers_own: bool,
    /// Whether reads, writes and changes of names and attributes stamp the
    /// times they change; otherwise times are set when a node is made and
    /// afterwards only by `utimes` and the like.
    pub stamps_times: bool,
    /// Whether names move (`rename`) and files get more names (`link`);
    /// otherwise both fail with EOPNOTSUPP.
    pub renames_and_links: bool,
    /// Whether a directory's link count counts its subdirectories' `..`;
    /// otherwise it stays the 2 it was made with.
    pub dirs_count_subdirs: bool,
    /// How sizes are counted.
    pub sizes: Sizes,
    /// How directories list.
    pub listing: Listing,
}

/// How much a file system holds, as [`MemFs::usage`] counts it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Live nodes, the root included.
    pub nodes: u64,
    /// Pages of file data.
    pub pages: u64,
    /// The length of every directory entry's name.
    pub name_lens: Vec<usize>,
    /// The length of every symbolic link's target (each link once).
    pub target_lens: Vec<usize>,
}

/// What every node of one file system shares.
struct Shared {
    rules: Rules,
    kmem: Arc<Kmem>,
    /// The kernel's clock, which timestamps read.
    clock: Arc<KernelClock>,
    limits: Limits,
    pages: AtomicU64,
    nodes: AtomicU64,
    next_ino: AtomicU64,
    /// Every live node by number, for file handles.
    by_ino: Mutex<IdHashMap<u64, Weak<MemNode>>>,
    /// Serialises changes to the name space (create, remove, rename, link),
    /// so a directory change never needs two directory locks at once from
    /// two threads.
    names: Mutex<()>,
    /// Mounted `noatime`: reads leave access times alone.
    noatime: AtomicBool,
}

impl Shared {
    fn now(&self) -> Time {
        self.clock.realtime_timespec()
    }

    /// The owner (or group) a new node gets when its maker asks for `id`.
    fn owner(&self, id: u32) -> u32 {
        if self.rules.makers_own { id } else { 0 }
    }

    fn stamps_times(&self) -> bool {
        self.rules.stamps_times
    }

    fn max_pages(&self) -> u64 {
        if self.limits.size_max == 0 {
            u64::MAX
        } else {
            self.limits.size_max.div_ceil(PAGE as u64)
        }
    }
}

enum Content {
    Dir {
        entries: BTreeMap<Vec<u8>, Arc<MemNode>>,
        parent: Weak<MemNode>,
    },
    File {
        size: u64,
        pages: BTreeMap<u64, data::Page>,
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

/// A memory file system instance: its nodes and data, without the answers
/// of a file system as a whole, which its owner gives.
pub struct MemFs {
    shared: Arc<Shared>,
    root: Arc<MemNode>,
}

impl MemFs {
    /// A new, empty file system following `rules`, whose root is owned by
    /// `uid`:`gid` with permission bits `mode`.
    pub fn new(
        rules: Rules,
        kmem: Arc<Kmem>,
        clock: Arc<KernelClock>,
        limits: Limits,
        root: NewNode,
    ) -> MemFs {
        let shared = Arc::new(Shared {
            rules,
            kmem,
            clock,
            limits,
            pages: AtomicU64::new(0),
            nodes: AtomicU64::new(0),
            next_ino: AtomicU64::new(rules.root_ino),
            by_ino: Mutex::new(IdHashMap::default()),
            names: Mutex::new(()),
            noatime: AtomicBool::new(false),
        });
        let root = MemNode::alloc(
            &shared,
            NewNode {
                typ: VType::Dir,
                ..root
            },
            Content::Dir {
                entries: BTreeMap::new(),
                parent: Weak::new(),
            },
        );
        MemFs { shared, root }
    }

    /// The root directory.
    pub fn root(&self) -> Arc<dyn Node> {
        Arc::clone(&self.root) as Arc<dyn Node>
    }

    /// The limits it was made with.
    pub fn limits(&self) -> Limits {
        self.shared.limits
    }

    /// The kernel memory its pages are charged to.
    pub fn kmem(&self) -> &Arc<Kmem> {
        &self.shared.kmem
    }

    /// Bytes of file data stored.
    pub fn bytes_used(&self) -> u64 {
        self.shared.pages.load(Ordering::Relaxed) * PAGE as u64
    }

    /// Whether reads stop stamping access times (`MNT_NOATIME`).
    pub fn set_noatime(&self, on: bool) {
        self.shared.noatime.store(on, Ordering::Relaxed);
    }

    /// The live node numbered `ino` (a file handle's): ESTALE when there
    /// is none.
    pub fn node(&self, ino: u64) -> KResult<Arc<dyn Node>> {
        // The table's lock is let go before the node may be dropped.
        let weak = lock(&self.shared.by_ino).get(&ino).cloned();
        weak.and_then(|w| w.upgrade())
            .map(|n| n as Arc<dyn Node>)
            .ok_or(Errno::ESTALE)
    }

    /// What the file system holds: its nodes, its pages, and the lengths
    /// of the names and link targets in its tree.
    pub fn usage(&self) -> Usage {
        let s = &self.shared;
        let mut u = Usage {
            nodes: s.nodes.load(Ordering::Relaxed),
            pages: s.pages.load(Ordering::Relaxed),
            ..Usage::default()
        };
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
                u.name_lens.push(namelen);
                match &lock(&c.inner).content {
                    Content::Dir { .. } => dirs.push(Arc::clone(&c)),
                    Content::Link(t) if links.insert(c.ino) => u.target_lens.push(t.len()),
                    _ => {}
                }
            }
        }
        u
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
