//! The VFS proper: vnodes, the mount table, each process's current and
//! root directories, and path lookup (`namei`).

use crate::flags::{KERNEL_NAME_MAX, MAXSYMLINKS, PATH_MAX};
use crate::node::{FileSystem, Node, VType};
use rump::cred::{Access, Cred};
use rump::idhash::IdHashMap;
use rump::lwproc::{Proc, ProcData};
use rump::sync::lock;
use rump::{Errno, KResult, Kernel};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A mounted file system.
pub struct Mount {
    /// Mount id, unique in the kernel (also the `st_dev` of its files).
    pub id: u64,
    /// The file system.
    pub fs: Arc<dyn FileSystem>,
    /// The directory it is mounted on; `None` for the root.
    pub covered: Option<Vnode>,
    /// Where it is mounted, as given.
    pub path: String,
    /// `MNT_*` flags.
    pub flags: AtomicI32,
    /// What is mounted: the device path, empty for none.
    pub from: String,
    /// The device's vnode key, for a file system on a block device.
    pub dev: Option<(u64, u64)>,
    /// Live vnodes of this mount (open files, current directories, lookups
    /// in progress): an unmount is refused while others than its own exist.
    refs: std::sync::atomic::AtomicUsize,
    /// How many times each node was revoked (`revoke(2)`); a file opened
    /// before the last time is dead.
    revocations: Mutex<IdHashMap<u64, u64>>,
}

impl Mount {
    /// How many times node `ino` was revoked.
    pub fn revocations(&self, ino: u64) -> u64 {
        lock(&self.revocations).get(&ino).copied().unwrap_or(0)
    }

    /// `revoke(2)` of node `ino`: every file open on it now is dead, as
    /// NetBSD's `vrevoke` leaves it on deadfs; later opens are new.
    pub fn revoke(&self, ino: u64) {
        *lock(&self.revocations).entry(ino).or_insert(0) += 1;
    }
}

/// One reference to a mount, counted while it lives.
struct Held(Arc<Mount>);

impl Held {
    fn new(m: &Arc<Mount>) -> Held {
        m.refs.fetch_add(1, Ordering::AcqRel);
        Held(Arc::clone(m))
    }
}

impl Clone for Held {
    fn clone(&self) -> Held {
        Held::new(&self.0)
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.0.refs.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A node together with the mount it belongs to.
#[derive(Clone)]
pub struct Vnode {
    /// The mount.
    pub mnt: Arc<Mount>,
    /// The node.
    pub node: Arc<dyn Node>,
    _held: Held,
}

impl Vnode {
    /// `node` of mount `mnt`.
    pub fn new(mnt: Arc<Mount>, node: Arc<dyn Node>) -> Vnode {
        Vnode {
            _held: Held::new(&mnt),
            mnt,
            node,
        }
    }

    /// (mount id, inode): equal for two references to the same file.
    pub fn key(&self) -> (u64, u64) {
        (self.mnt.id, self.node.ino())
    }

    /// Whether this is the root of its mount.
    pub fn is_mount_root(&self) -> bool {
        self.node.ino() == self.mnt.fs.root().ino()
    }

    /// The type of the node.
    pub fn vtype(&self) -> VType {
        self.node.vtype()
    }

    /// The flags its mount keeps (`MNT_*` of [`crate::flags::MNT_KEPT`]).
    pub fn mount_flags(&self) -> i32 {
        self.mnt.flags.load(Ordering::Acquire)
    }

    /// Whether the mount is read-only.
    pub fn read_only(&self) -> bool {
        self.mnt.flags.load(Ordering::Acquire) & crate::flags::MNT_RDONLY != 0
    }

    /// `VOP_ACCESS`: may `cred` have `want` on this node?
    pub fn access(&self, cred: &Cred, want: Access) -> KResult<()> {
        let a = self.node.getattr();
        if want.0 & Access::WRITE.0 != 0
            && self.read_only()
            && matches!(a.typ, VType::Reg | VType::Dir | VType::Lnk)
        {
            return Err(Errno::EROFS);
        }
        if want.0 & Access::WRITE.0 != 0 {
            crate::fileflags::check_writable(self)?;
        }
        cred.can_access(a.uid, a.gid, a.mode, a.typ == VType::Dir, want)
    }
}

/// Recently used nodes kept in core, bounded by `kern.maxvnodes`: a disk
/// file system's in-core inodes live while the cache or a user holds them.
/// Full, the cache drops its least recently used entry.
#[derive(Default)]
struct VnodeCache {
    entries: IdHashMap<(u64, u64), (Arc<dyn Node>, u64)>,
    by_age: std::collections::BTreeMap<u64, (u64, u64)>,
    clock: u64,
}

impl VnodeCache {
    fn touch(&mut self, key: (u64, u64), node: &Arc<dyn Node>, max: usize) {
        self.clock += 1;
        let stamp = self.clock;
        if let Some((_, old)) = self.entries.insert(key, (Arc::clone(node), stamp)) {
            self.by_age.remove(&old);
        }
        self.by_age.insert(stamp, key);
        while self.entries.len() > max.max(1) {
            let Some((_, victim)) = self.by_age.pop_first() else {
                break;
            };
            self.entries.remove(&victim);
        }
    }
}

/// The VFS state of one kernel.
pub struct Vfs {
    cache: Mutex<VnodeCache>,
    /// `kern.maxvnodes`, read when the cache fills.
    maxvnodes: std::sync::atomic::AtomicUsize,
    mounts: Mutex<Vec<Arc<Mount>>>,
    /// Mounts by the (mount, inode) of the directory they cover.
    covering: Mutex<IdHashMap<(u64, u64), Arc<Mount>>>,
    next_mount: AtomicU64,
    root: Mutex<Option<Vnode>>,
}

impl Default for Vfs {
    fn default() -> Self {
        Vfs {
            cache: Mutex::new(VnodeCache::default()),
            maxvnodes: std::sync::atomic::AtomicUsize::new(crate::DEFAULT_NVNODES),
            mounts: Mutex::new(Vec::new()),
            covering: Mutex::new(IdHashMap::default()),
            next_mount: AtomicU64::new(1),
            root: Mutex::new(None),
        }
    }
}

/// A process's current and root directories (`struct cwdinfo`), copied at fork.
pub struct CwdInfo {
    /// The current directory.
    pub cwd: Mutex<Option<Vnode>>,
    /// The root directory (`chroot`).
    pub root: Mutex<Option<Vnode>>,
    /// The file creation mask.
    pub umask: Mutex<u32>,
}

impl ProcData for CwdInfo {
    fn fork(&self) -> Self {
        CwdInfo {
            cwd: Mutex::new(lock(&self.cwd).clone()),
            root: Mutex::new(lock(&self.root).clone()),
            umask: Mutex::new(*lock(&self.umask)),
        }
    }
}

/// The result of a lookup that stops before the last component.
pub struct Parent {
    /// The directory that holds (or would hold) the last component.
    pub dir: Vnode,
    /// The last component (empty for `/`).
    pub name: Vec<u8>,
    /// Whether the path ended in a slash (`a/`), which demands a directory.
    pub trailing_slash: bool,
}

impl Vfs {
    /// The VFS state of kernel `k`.
    pub fn of(k: &Kernel) -> Arc<Vfs> {
        k.extension(Vfs::default)
    }

    /// Mount `fs` as the root file system.
    pub fn mount_root(&self, fs: Arc<dyn FileSystem>) -> Vnode {
        let m = Arc::new(Mount {
            id: self.next_mount.fetch_add(1, Ordering::Relaxed),
            fs,
            covered: None,
            path: "/".into(),
            flags: AtomicI32::new(0),
            from: String::new(),
            dev: None,
            refs: std::sync::atomic::AtomicUsize::new(0),
            revocations: Mutex::new(IdHashMap::default()),
        });
        lock(&self.mounts).push(Arc::clone(&m));
        let root = Vnode::new(Arc::clone(&m), m.fs.root());
        *lock(&self.root) = Some(root.clone());
        root
    }

    /// Add a file system that is not mounted anywhere in the tree (etfs):
    /// it is synced with the others.
    pub fn add_pseudo_mount(&self, fs: Arc<dyn FileSystem>) -> Arc<Mount> {
        let m = Arc::new(Mount {
            id: self.next_mount.fetch_add(1, Ordering::Relaxed),
            fs,
            covered: None,
            path: "/".into(),
            flags: AtomicI32::new(0),
            from: String::new(),
            dev: None,
            refs: std::sync::atomic::AtomicUsize::new(0),
            revocations: Mutex::new(IdHashMap::default()),
        });
        lock(&self.mounts).push(Arc::clone(&m));
        m
    }

    /// Set the bound of the vnode cache (`kern.maxvnodes`).
    pub fn set_maxvnodes(&self, n: usize) {
        self.maxvnodes.store(n.max(1), Ordering::Release);
        let mut c = lock(&self.cache);
        while c.entries.len() > n.max(1) {
            let Some((_, victim)) = c.by_age.pop_first() else {
                break;
            };
            c.entries.remove(&victim);
        }
    }

    /// The bound of the vnode cache.
    pub fn maxvnodes(&self) -> usize {
        self.maxvnodes.load(Ordering::Acquire)
    }

    /// How many vnodes the cache holds now.
    pub fn cached_vnodes(&self) -> usize {
        lock(&self.cache).entries.len()
    }

    /// Drop `v` from the cache if its last name is gone, so that its
    /// storage goes as soon as nothing else uses it (`VOP_INACTIVE`).
    pub fn forget_if_unlinked(&self, v: &Vnode) {
        // A network file system's node is forgotten without asking its
        // server for a link count (NetBSD's VFS asks nothing after a
        // remove; the next lookup makes the node again): a server asked
        // about a file just removed may not answer at all.
        if !v.mnt.fs.local() || v.node.getattr().nlink == 0 {
            let mut c = lock(&self.cache);
            if let Some((_, stamp)) = c.entries.remove(&v.key()) {
                c.by_age.remove(&stamp);
            }
        }
    }

    fn remember(&self, v: &Vnode) {
        let max = self.maxvnodes.load(Ordering::Acquire);
        lock(&self.cache).touch(v.key(), &v.node, max);
    }

    /// The root file system's root vnode (below anything mounted on it).
    /// EIO before the root file system is mounted.
    pub fn root(&self) -> KResult<Vnode> {
        lock(&self.root).clone().ok_or(Errno::EIO)
    }

    /// Mount `fs` on directory `on`, reached by `path`, from device
    /// `source` (its path and vnode key) if it has one. EBUSY if something
    /// is mounted there already.
    pub fn mount(
        &self,
        on: &Vnode,
        path: &str,
        fs: Arc<dyn FileSystem>,
        flags: i32,
        source: Option<(String, (u64, u64))>,
    ) -> KResult<Arc<Mount>> {
        if on.vtype() != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let mut covering = lock(&self.covering);
        if covering.contains_key(&on.key()) {
            return Err(Errno::EBUSY);
        }
        let m = Arc::new(Mount {
            id: self.next_mount.fetch_add(1, Ordering::Relaxed),
            fs,
            covered: Some(on.clone()),
            path: path.to_owned(),
            flags: AtomicI32::new(flags & crate::flags::MNT_KEPT),
            from: source.as_ref().map(|s| s.0.clone()).unwrap_or_default(),
            dev: source.map(|s| s.1),
            refs: std::sync::atomic::AtomicUsize::new(0),
            revocations: Mutex::new(IdHashMap::default()),
        });
        covering.insert(on.key(), Arc::clone(&m));
        lock(&self.mounts).push(Arc::clone(&m));
        Ok(m)
    }

    /// Unmount the file system whose root is `root`. EBUSY if another is
    /// mounted inside it, EINVAL if it is not a mount root or is the root.
    pub fn unmount(&self, root: &Vnode, force: bool) -> KResult<()> {
        if !root.is_mount_root() {
            return Err(Errno::EINVAL);
        }
        let Some(covered) = root.mnt.covered.clone() else {
            return Err(Errno::EBUSY);
        };
        let mut covering = lock(&self.covering);
        if covering
            .values()
            .any(|m| m.covered.as_ref().is_some_and(|c| c.mnt.id == root.mnt.id))
        {
            return Err(Errno::EBUSY);
        }
        // The caller's `root` is the one reference allowed.
        if !force && root.mnt.refs.load(Ordering::Acquire) > 1 {
            return Err(Errno::EBUSY);
        }
        // Its nodes leave the cache first, so that a disk file system
        // finishes with them (removed files freed, changes written) before
        // its last write.
        let id = root.mnt.id;
        let gone: Vec<_> = {
            let mut c = lock(&self.cache);
            let keys: Vec<_> = c.entries.keys().filter(|k| k.0 == id).copied().collect();
            keys.into_iter()
                .filter_map(|k| {
                    let (n, stamp) = c.entries.remove(&k)?;
                    c.by_age.remove(&stamp);
                    Some(n)
                })
                .collect()
        };
        drop(gone);
        root.mnt.fs.unmount()?;
        covering.remove(&covered.key());
        lock(&self.mounts).retain(|m| m.id != root.mnt.id);
        Ok(())
    }

    /// Unmount, forced, every file system mounted in the tree, the last
    /// mounted first (NetBSD's `vfs_unmountall`): the root and etfs stay.
    /// Returns the mounts that failed, by path.
    pub fn unmount_all(&self) -> Vec<(String, Errno)> {
        let mut failed = Vec::new();
        for m in self.mounts().into_iter().rev() {
            if m.covered.is_none() {
                continue;
            }
            let root = Vnode::new(Arc::clone(&m), m.fs.root());
            if let Err(e) = self.unmount(&root, true) {
                failed.push((m.path.clone(), e));
            }
        }
        failed
    }

    /// Write `mounts` back, carrying on past failures, which go to the
    /// console as `what: ...` (NetBSD's sync(2) answers 0 whatever
    /// happens). A mount unmounted meanwhile has nothing left to write.
    pub fn sync_mounts(k: &Kernel, what: &str, mounts: impl IntoIterator<Item = Arc<Mount>>) {
        for m in mounts {
            if let Err(e) = m.fs.sync() {
                k.printf(&format!("{what}: write-back of {} failed: {e}", m.path));
            }
        }
    }

    /// Every mount, root first.
    pub fn mounts(&self) -> Vec<Arc<Mount>> {
        lock(&self.mounts).clone()
    }

    /// If a file system is mounted on `v`, its root; else `v`.
    pub fn cross_down(&self, v: Vnode) -> Vnode {
        let mut v = v;
        loop {
            let next = lock(&self.covering).get(&v.key()).cloned();
            match next {
                Some(m) => v = Vnode::new(Arc::clone(&m), m.fs.root()),
                None => return v,
            }
        }
    }

    /// The process's cwd/root information, starting at the root.
    pub fn cwdinfo(&self, p: &Proc) -> Arc<CwdInfo> {
        p.data(|| CwdInfo {
            cwd: Mutex::new(None),
            root: Mutex::new(None),
            umask: Mutex::new(0o022),
        })
    }

    fn proc_root(&self, p: &Proc) -> KResult<Vnode> {
        match lock(&self.cwdinfo(p).root).clone() {
            Some(r) => Ok(r),
            None => self.top_root(),
        }
    }

    /// The root as lookups see it: the file system mounted last on `/`
    /// (a file system NetBSD mounts on `/` hides the rumpfs root below).
    pub fn top_root(&self) -> KResult<Vnode> {
        let root = self.root()?;
        let top = self.cross_down(root.clone());
        if top.mnt.id != root.mnt.id {
            top.mnt.fs.check_root()?;
        }
        Ok(top)
    }

    /// The process's current directory.
    pub fn cwd(&self, p: &Proc) -> KResult<Vnode> {
        match lock(&self.cwdinfo(p).cwd).clone() {
            Some(c) => Ok(c),
            None => self.proc_root(p),
        }
    }

    /// `..` of `dir`, staying at the process root and crossing mount points up.
    fn dotdot(&self, dir: &Vnode, root: &Vnode) -> KResult<Vnode> {
        // A removed directory has no parent any more.
        if dir.node.getattr().nlink == 0 {
            return Err(Errno::ENOENT);
        }
        let mut d = dir.clone();
        loop {
            if d.key() == root.key() {
                return Ok(d);
            }
            if d.is_mount_root() {
                match &d.mnt.covered {
                    Some(c) => {
                        d = c.clone();
                        continue;
                    }
                    None => return Ok(d),
                }
            }
            return Ok(Vnode::new(Arc::clone(&d.mnt), d.node.parent()?));
        }
    }

    /// Look `path` up relative to `start` (the cwd when `None`) for `p`,
    /// checking search permission; follow a final symlink when `follow`.
    pub fn lookup(
        &self,
        p: &Proc,
        start: Option<Vnode>,
        path: &[u8],
        follow: bool,
    ) -> KResult<Vnode> {
        let parent = self.lookup_parent(p, start, path)?;
        if parent.name.is_empty() {
            return Ok(parent.dir);
        }
        let v = self.step(
            p,
            &parent.dir,
            &parent.name,
            follow || parent.trailing_slash,
            &mut 0,
        )?;
        if parent.trailing_slash && v.vtype() != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        Ok(v)
    }

    /// Resolve all but the last component of `path`.
    pub fn lookup_parent(&self, p: &Proc, start: Option<Vnode>, path: &[u8]) -> KResult<Parent> {
        let mut links = 0;
        self.walk_parent(p, start, path, &mut links)
    }

    fn walk_parent(
        &self,
        p: &Proc,
        start: Option<Vnode>,
        path: &[u8],
        links: &mut usize,
    ) -> KResult<Parent> {
        if path.is_empty() {
            return Err(Errno::ENOENT);
        }
        if path.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let cred = p.cred();
        let root = self.proc_root(p)?;
        let mut dir = if path[0] == b'/' {
            root.clone()
        } else {
            match start {
                Some(s) => s,
                None => self.cwd(p)?,
            }
        };
        let comps: Vec<&[u8]> = path
            .split(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let trailing_slash = path.len() > 1 && path.ends_with(b"/");
        if comps.iter().any(|c| c.len() > KERNEL_NAME_MAX) {
            return Err(Errno::ENAMETOOLONG);
        }
        let Some((last, inner)) = comps.split_last() else {
            return Ok(Parent {
                dir,
                name: Vec::new(),
                trailing_slash: false,
            });
        };
        for c in inner {
            dir = self.step(p, &dir, c, true, links)?;
            if dir.vtype() != VType::Dir {
                return Err(Errno::ENOTDIR);
            }
        }
        if dir.vtype() != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        dir.access(&cred, Access::EXEC)?;
        let _ = root;
        Ok(Parent {
            dir,
            name: last.to_vec(),
            trailing_slash,
        })
    }

    /// One component: `.`, `..`, or a name, crossing mount points and
    /// following a symlink when `follow`.
    fn step(
        &self,
        p: &Proc,
        dir: &Vnode,
        name: &[u8],
        follow: bool,
        links: &mut usize,
    ) -> KResult<Vnode> {
        if dir.vtype() != VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        dir.access(&p.cred(), Access::EXEC)?;
        match name {
            b"." => return Ok(dir.clone()),
            b".." => return self.dotdot(dir, &self.proc_root(p)?),
            _ => {}
        }
        let found = Vnode::new(Arc::clone(&dir.mnt), dir.node.lookup(name)?);
        let found = self.cross_down(found);
        if found.mnt.id != dir.mnt.id {
            found.mnt.fs.check_root()?;
        }
        self.remember(&found);
        if follow && found.vtype() == VType::Lnk {
            *links += 1;
            if *links > MAXSYMLINKS {
                return Err(Errno::ELOOP);
            }
            let target = found.node.readlink()?;
            if target.is_empty() {
                return Err(Errno::ENOENT);
            }
            let parent = self.walk_parent(p, Some(dir.clone()), &target, links)?;
            if parent.name.is_empty() {
                return Ok(parent.dir);
            }
            let v = self.step(p, &parent.dir, &parent.name, true, links)?;
            if parent.trailing_slash && v.vtype() != VType::Dir {
                return Err(Errno::ENOTDIR);
            }
            return Ok(v);
        }
        Ok(found)
    }
}
