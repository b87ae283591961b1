//! etfs, the extra-terrestrial file system of `rump_etfs(3)`: host files
//! that appear inside the kernel under a key. A key is an absolute path
//! that lookups from the root resolve before walking the root file system,
//! so it needs no directory to exist and never shows in a directory
//! listing, as in NetBSD's rumpfs; `stat`, `ls` of the key and `realpath`
//! find it.
//!
//! REG keys read and write the host file directly. BLK and CHR keys go
//! through a write-back block cache (the buffer cache), charged to the
//! kernel's memory and flushed by `sync`, `fsync` and halt.

use crate::node::{Attr, DirEntry, FileSystem, FsStats, NewNode, Node, SetAttr, VType};
use crate::vfs::{Mount, Vfs, Vnode};
use rump::kmem::{Kmem, MemCharge};
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use rumpuser::{HostFile, OpenFlags};
use std::collections::btree_map::Entry;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

mod dir;
pub use dir::EtfsDir;

/// `RUMP_ETFS_SIZE_ENDOFF`: the window reaches the end of the host file.
pub const SIZE_ENDOFF: u64 = u64::MAX;
/// Size of a cached block of a BLK or CHR key.
const BLOCK: u64 = 4096;
/// Most blocks read or written to the host in one call.
const RUN_BLOCKS: u64 = 256;
/// The fewest blocks the cache gives back when memory is short.
const SHED_BLOCKS: u64 = 64;
/// Transfers this large bypass the cache (as a kernel's direct I/O does).
const DIRECT: u64 = 64 * 1024;

/// The bytes of block `bno` that a transfer of `n` bytes at `off` covers.
fn overlap(bno: u64, off: u64, n: usize) -> (u64, u64) {
    let from = (bno * BLOCK).max(off);
    let to = ((bno + 1) * BLOCK).min(off + n as u64);
    (from, to)
}
/// NetBSD's major number of rumpblk devices.
const RUMPBLK_MAJOR: u64 = 197;
/// `RUMPFS_DEFAULTMODE`: the mode of every etfs node in NetBSD's rumpfs.
const RUMPFS_DEFAULTMODE: u32 = 0o755;

use rump::sync::lock;

/// How a key appears (`RUMP_ETFS_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EtfsType {
    /// A regular file (`RUMP_ETFS_REG`).
    Reg,
    /// A block device (`RUMP_ETFS_BLK`).
    Blk,
    /// A character device (`RUMP_ETFS_CHR`).
    Chr,
    /// A host directory, its files (`RUMP_ETFS_DIR`).
    Dir,
    /// A host directory tree (`RUMP_ETFS_DIR_SUBDIRS`).
    DirSubdirs,
}

impl EtfsType {
    /// From NetBSD's number.
    pub fn from_raw(v: i32) -> KResult<EtfsType> {
        Ok(match v {
            0 => EtfsType::Reg,
            1 => EtfsType::Blk,
            2 => EtfsType::Chr,
            3 => EtfsType::Dir,
            4 => EtfsType::DirSubdirs,
            _ => return Err(Errno::EINVAL),
        })
    }
}

struct Block {
    data: Vec<u8>,
    dirty: bool,
    _charge: MemCharge,
}

/// One key's node.
pub struct EtfsNode {
    ino: u64,
    typ: EtfsType,
    host: HostFile,
    begin: u64,
    /// `None`: to the end of the host file, growing with it (REG only).
    size: Option<u64>,
    rdev: u64,
    created: (i64, i64),
    kmem: Arc<Kmem>,
    /// The cached blocks, shared by the keys of one window of one host
    /// file (a disk's block and character devices, say), so that what one
    /// writes the other reads, as rumpblk's one minor per host file has.
    cache: Arc<Mutex<BTreeMap<u64, Block>>>,
}

impl EtfsNode {
    fn len(&self) -> u64 {
        match self.size {
            Some(s) => s,
            None => self
                .host
                .info()
                .map(|i| i.size.saturating_sub(self.begin))
                .unwrap_or(0),
        }
    }

    /// The size of the disk a BLK or CHR key is (its window's length).
    pub(crate) fn disk_size(&self) -> u64 {
        self.len()
    }

    fn cached(&self) -> bool {
        matches!(self.typ, EtfsType::Blk | EtfsType::Chr)
    }

    fn io_err(e: std::io::Error) -> Errno {
        Errno::from_host(&e)
    }

    /// Bytes of block `bno` inside the window (the last may be short).
    fn block_len(&self, bno: u64, len: u64) -> usize {
        (len - bno * BLOCK).min(BLOCK) as usize
    }

    /// A cache block holding `data` (zeros after it), paid for with a
    /// charge taken before the cache was locked.
    fn new_block(charges: &mut Vec<MemCharge>, data: &[u8], dirty: bool) -> KResult<Block> {
        let charge = charges.pop().ok_or(Errno::EIO)?;
        let mut b = vec![0u8; BLOCK as usize];
        b[..data.len()].copy_from_slice(data);
        Ok(Block {
            data: b,
            dirty,
            _charge: charge,
        })
    }

    /// Run `op` on the cache with charges for every block of `[first,
    /// last]` it lacks. The charges are taken before the cache is locked:
    /// a charge may ask the kernel's reclaimers, which lock caches (this
    /// one too), to give memory back, so nobody charges holding a cache.
    fn with_charges<R>(
        &self,
        first: u64,
        last: u64,
        mut op: impl FnMut(&mut BTreeMap<u64, Block>, &mut Vec<MemCharge>) -> KResult<R>,
    ) -> KResult<R> {
        let mut charges = Vec::new();
        loop {
            let mut cache = lock(&self.cache);
            let lacking = (first..=last).filter(|b| !cache.contains_key(b)).count();
            if lacking <= charges.len() {
                return op(&mut cache, &mut charges);
            }
            drop(cache);
            while charges.len() < lacking {
                charges.push(self.kmem.charge(BLOCK)?);
            }
        }
    }

    /// Bring blocks `[first, last]` into the cache, reading each run of
    /// missing ones from the host in one call.
    fn fill(
        &self,
        cache: &mut BTreeMap<u64, Block>,
        charges: &mut Vec<MemCharge>,
        first: u64,
        last: u64,
        len: u64,
    ) -> KResult<()> {
        let mut bno = first;
        while bno <= last {
            if cache.contains_key(&bno) {
                bno += 1;
                continue;
            }
            let mut end = bno;
            while end < last && !cache.contains_key(&(end + 1)) && end + 1 - bno < RUN_BLOCKS {
                end += 1;
            }
            let bytes = ((end - bno) * BLOCK) as usize + self.block_len(end, len);
            let mut buf = vec![0u8; bytes];
            self.host
                .pread(&mut buf, self.begin + bno * BLOCK)
                .map_err(Self::io_err)?;
            for (i, piece) in buf.chunks(BLOCK as usize).enumerate() {
                cache.insert(bno + i as u64, Self::new_block(charges, piece, false)?);
            }
            bno = end + 1;
        }
        Ok(())
    }

    /// Write the dirty blocks to the host file and make them stable.
    pub fn flush(&self) -> KResult<()> {
        let mut cache = lock(&self.cache);
        let dirty: Vec<u64> = cache
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(n, _)| *n)
            .collect();
        self.write_blocks(&mut cache, &dirty)?;
        drop(cache);
        self.host.sync(false).map_err(Self::io_err)
    }

    /// Write the dirty blocks out and forget every cached block, so that
    /// what the host file holds is read again: a file system mounted on
    /// the key then sees what host tools (`fsck_ffs -y`, `newfs_ffs`)
    /// wrote to the image since it was last used here, as NetBSD's
    /// `ffs_mountfs` first flushes out the device's old buffers
    /// (`vinvalbuf(devvp, V_SAVE)`).
    pub fn invalidate(&self) -> KResult<()> {
        let mut cache = lock(&self.cache);
        let dirty: Vec<u64> = cache
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(n, _)| *n)
            .collect();
        self.write_blocks(&mut cache, &dirty)?;
        cache.clear();
        Ok(())
    }

    /// Write blocks `bnos` (ascending) to the host file, runs of neighbours
    /// in one call; they are clean afterwards.
    fn write_blocks(&self, cache: &mut BTreeMap<u64, Block>, bnos: &[u64]) -> KResult<()> {
        let len = self.len();
        let mut i = 0;
        let mut buf = Vec::new();
        while i < bnos.len() {
            let first = bnos[i];
            let mut j = i;
            while j + 1 < bnos.len()
                && bnos[j + 1] == bnos[j] + 1
                && (j + 1 - i) < RUN_BLOCKS as usize
            {
                j += 1;
            }
            buf.clear();
            for bno in first..=bnos[j] {
                if let Some(b) = cache.get(&bno) {
                    buf.extend_from_slice(&b.data[..self.block_len(bno, len)]);
                }
            }
            self.host
                .pwrite(&buf, self.begin + first * BLOCK)
                .map_err(Self::io_err)?;
            for bno in first..=bnos[j] {
                if let Some(b) = cache.get_mut(&bno) {
                    b.dirty = false;
                }
            }
            i = j + 1;
        }
        Ok(())
    }

    /// Give back about `want` bytes of cached blocks (memory is short):
    /// clean blocks first, then dirty ones, written to the host before they
    /// go, as a buffer cache under pressure does. Returns the bytes given
    /// back.
    fn shed(&self, cache: &mut BTreeMap<u64, Block>, want: u64) -> KResult<u64> {
        // A little more than asked, so that the next charges find room.
        let blocks = want.div_ceil(BLOCK).max(SHED_BLOCKS) as usize;
        let clean: Vec<u64> = cache
            .iter()
            .filter(|(_, b)| !b.dirty)
            .map(|(n, _)| *n)
            .take(blocks)
            .collect();
        for bno in &clean {
            cache.remove(bno);
        }
        let mut freed = clean.len();
        if freed < blocks {
            // Dirty blocks go out in runs, however few are wanted.
            let dirty: Vec<u64> = cache
                .iter()
                .filter(|(_, b)| b.dirty)
                .map(|(n, _)| *n)
                .take((blocks - freed).max(RUN_BLOCKS as usize))
                .collect();
            self.write_blocks(cache, &dirty)?;
            for bno in &dirty {
                cache.remove(bno);
            }
            freed += dirty.len();
        }
        Ok(freed as u64 * BLOCK)
    }
}

impl Node for EtfsNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn getattr(&self) -> Attr {
        let typ = match self.typ {
            EtfsType::Blk => VType::Blk,
            EtfsType::Chr => VType::Chr,
            _ => VType::Reg,
        };
        Attr {
            typ,
            mode: RUMPFS_DEFAULTMODE,
            nlink: 1,
            uid: 0,
            gid: 0,
            ino: self.ino,
            size: self.len(),
            // `makeprivate`: every rumpfs node, etfs keys too, holds one
            // block.
            bytes: rump::devsw::DEV_BSIZE,
            rdev: self.rdev,
            atime: self.created,
            mtime: self.created,
            ctime: self.created,
            birthtime: self.created,
            gen_: 0,
            flags: 0,
        }
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        // The window onto the host file is fixed; only a whole-file REG key resizes.
        match (s.size, self.size, self.typ) {
            (Some(n), None, EtfsType::Reg) => {
                self.host.set_len(self.begin + n).map_err(Self::io_err)
            }
            (Some(_), _, _) => Err(Errno::EINVAL),
            _ => Ok(()),
        }
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let len = self.len();
        if off >= len {
            return Ok(0);
        }
        let n = ((len - off) as usize).min(buf.len());
        if !self.cached() {
            return self
                .host
                .pread(&mut buf[..n], self.begin + off)
                .map_err(Self::io_err);
        }
        let (first, last) = (off / BLOCK, (off + n as u64 - 1) / BLOCK);
        if n as u64 >= DIRECT {
            // Large transfers go straight to the host, with whatever the
            // cache holds laid over them (it may be newer).
            let cache = lock(&self.cache);
            self.host
                .pread(&mut buf[..n], self.begin + off)
                .map_err(Self::io_err)?;
            for (bno, b) in cache.range(first..=last) {
                let (from, to) = overlap(*bno, off, n);
                buf[(from - off) as usize..(to - off) as usize].copy_from_slice(
                    &b.data[(from - bno * BLOCK) as usize..(to - bno * BLOCK) as usize],
                );
            }
            return Ok(n);
        }
        self.with_charges(first, last, |cache, charges| {
            self.fill(cache, charges, first, last, len)?;
            let mut done = 0;
            while done < n {
                let pos = off + done as u64;
                let (bno, boff) = (pos / BLOCK, (pos % BLOCK) as usize);
                let chunk = (BLOCK as usize - boff).min(n - done);
                let b = cache.get(&bno).ok_or(Errno::EIO)?;
                buf[done..done + chunk].copy_from_slice(&b.data[boff..boff + chunk]);
                done += chunk;
            }
            Ok(n)
        })
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        let n = match self.size {
            None => data.len(),
            Some(len) if off >= len => return Err(Errno::ENOSPC),
            Some(len) => ((len - off) as usize).min(data.len()),
        };
        if !self.cached() {
            self.host
                .pwrite(&data[..n], self.begin + off)
                .map_err(Self::io_err)?;
            return Ok(n);
        }
        let len = self.len();
        let (first, last) = (off / BLOCK, (off + n as u64 - 1) / BLOCK);
        if n as u64 >= DIRECT {
            // Large transfers go straight to the host; cached copies of
            // the blocks take the new bytes too, and are clean if wholly
            // rewritten.
            let mut cache = lock(&self.cache);
            self.host
                .pwrite(&data[..n], self.begin + off)
                .map_err(Self::io_err)?;
            for (bno, b) in cache.range_mut(first..=last) {
                let (from, to) = overlap(*bno, off, n);
                b.data[(from - bno * BLOCK) as usize..(to - bno * BLOCK) as usize]
                    .copy_from_slice(&data[(from - off) as usize..(to - off) as usize]);
                if to - from == self.block_len(*bno, len) as u64 {
                    b.dirty = false;
                }
            }
            return Ok(n);
        }
        self.with_charges(first, last, |cache, charges| {
            let mut done = 0;
            while done < n {
                let pos = off + done as u64;
                let (bno, boff) = (pos / BLOCK, (pos % BLOCK) as usize);
                let chunk = (BLOCK as usize - boff).min(n - done);
                let piece = &data[done..done + chunk];
                let whole = boff == 0 && chunk == self.block_len(bno, len);
                match cache.entry(bno) {
                    // A whole block needs nothing from the host.
                    Entry::Vacant(v) if whole => {
                        v.insert(Self::new_block(charges, piece, true)?);
                        done += chunk;
                        continue;
                    }
                    Entry::Vacant(_) => self.fill(cache, charges, bno, bno, len)?,
                    Entry::Occupied(_) => {}
                }
                let b = cache.get_mut(&bno).ok_or(Errno::EIO)?;
                b.data[boff..boff + chunk].copy_from_slice(piece);
                b.dirty = true;
                done += chunk;
            }
            Ok(n)
        })
    }

    fn fsync(&self) -> KResult<()> {
        self.flush()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// The keys of one kernel, and the pseudo file system their vnodes live on.
pub struct Etfs {
    keys: Arc<Keys>,
    dirs: Mutex<HashMap<Vec<u8>, Arc<EtfsDir>>>,
    next_ino: AtomicU64,
    /// rumpblk's minors, one per host path: keys of the same host file
    /// share it, as NetBSD's `rumpblk_register` finds the path again.
    minors: Mutex<HashMap<String, u64>>,
    mount: Arc<Mount>,
}

type Keys = Mutex<HashMap<Vec<u8>, Arc<EtfsNode>>>;

/// The pseudo file system of etfs vnodes: it flushes the block caches.
struct EtfsFs {
    keys: std::sync::Weak<Keys>,
    root: Arc<dyn Node>,
}

impl FileSystem for EtfsFs {
    fn revocable(&self) -> bool {
        // etfs nodes are rumpfs nodes in NetBSD.
        false
    }

    // etfs nodes are rumpfs nodes in NetBSD (`makeprivate`): their own
    // number as st_dev, 512-byte blocks, no VOP_IOCTL and no VOP_POLL.
    fn dev_is_ino(&self) -> bool {
        true
    }

    fn io_blksize(&self) -> i32 {
        rump::devsw::DEV_BSIZE as i32
    }

    fn unknown_ioctl(&self) -> Errno {
        Errno::EOPNOTSUPP
    }

    fn kqfilters(&self) -> bool {
        false
    }

    fn poll_events(&self, _events: i16) -> i16 {
        Errno::EOPNOTSUPP.0 as i16
    }

    fn pathconf_limits(&self) -> Option<crate::pathconf::PathconfLimits> {
        // etfs nodes are rumpfs nodes in NetBSD.
        Some(crate::rumpfs::PATHCONF)
    }

    fn root(&self) -> Arc<dyn Node> {
        // An empty directory: etfs vnodes are found by key, never from here.
        Arc::clone(&self.root)
    }

    fn fstype(&self) -> &'static str {
        crate::rumpfs::FSTYPE
    }

    fn stats(&self) -> FsStats {
        FsStats::default()
    }

    fn sync(&self) -> KResult<()> {
        let Some(keys) = self.keys.upgrade() else {
            return Ok(());
        };
        let nodes: Vec<_> = lock(&keys).values().cloned().collect();
        for n in nodes {
            n.flush()?;
        }
        Ok(())
    }
}

/// NetBSD's key rule: a leading `/` is required, and slashes are collapsed
/// at the front only.
fn normalize(key: &str) -> KResult<Vec<u8>> {
    if !key.starts_with('/') {
        return Err(Errno::EINVAL);
    }
    let rest = key.trim_start_matches('/');
    let mut k = b"/".to_vec();
    k.extend_from_slice(rest.as_bytes());
    Ok(k)
}

/// Bytes held in the block caches of kernel `k`'s BLK and CHR keys: the
/// buffer cache.
fn cached_bytes(k: &Kernel) -> u64 {
    let Some(e) = k.try_extension::<Etfs>() else {
        return 0;
    };
    let nodes: Vec<_> = lock(&e.keys).values().cloned().collect();
    nodes
        .iter()
        .map(|n| lock(&n.cache).len() as u64 * BLOCK)
        .sum()
}

/// Make `vm.bufmem`: the memory the buffer cache holds now, read-only,
/// as NetBSD's `vfs_bio.c` has it (a long, a quad on amd64).
pub(crate) fn attach_sysctl(k: &Kernel) -> KResult<()> {
    let kw = k.weak();
    k.sysctl().create(
        "vm",
        NodeSpec::new(
            "bufmem",
            0,
            "",
            NodeData::Dynamic {
                read: Arc::new(move || {
                    SysctlValue::Quad(kw.upgrade().map_or(0, |k| cached_bytes(&k)))
                }),
                write: None,
            },
        ),
    )?;
    Ok(())
}

/// The etfs state of kernel `k`.
fn of(k: &Kernel) -> Arc<Etfs> {
    // Outside the extension's lock: making the state needs another extension.
    let vfs = Vfs::of(k);
    k.extension(|| {
        let keys = Arc::new(Mutex::new(HashMap::new()));
        let empty = crate::rumpfs::RumpFs::new(k, 0o555);
        let fs = Arc::new(EtfsFs {
            keys: Arc::downgrade(&keys),
            root: empty.root(),
        });
        let mount = vfs.add_pseudo_mount(fs);
        Etfs {
            keys,
            dirs: Mutex::new(HashMap::new()),
            next_ino: AtomicU64::new(1),
            minors: Mutex::new(HashMap::new()),
            mount,
        }
    })
}

impl Etfs {
    /// The vnode of `path` if it is a key, or of a DIR key it lies under
    /// together with the rest of the path (absolute paths only).
    pub fn find(&self, path: &[u8]) -> Option<(Vnode, Vec<u8>)> {
        if path.first() != Some(&b'/') {
            return None;
        }
        let mut k = b"/".to_vec();
        k.extend(path.iter().skip_while(|&&b| b == b'/'));
        if let Some(n) = lock(&self.keys).get(&k) {
            return Some((
                Vnode::new(Arc::clone(&self.mount), Arc::clone(n) as Arc<dyn Node>),
                Vec::new(),
            ));
        }
        let dirs = lock(&self.dirs);
        dirs.iter().find_map(|(key, d)| {
            let rest = k.strip_prefix(key.as_slice())?;
            if !rest.is_empty() && rest[0] != b'/' {
                return None;
            }
            let rest: Vec<u8> = rest.iter().copied().skip_while(|&b| b == b'/').collect();
            Some((
                Vnode::new(Arc::clone(&self.mount), Arc::clone(d) as Arc<dyn Node>),
                rest,
            ))
        })
    }
}

/// `rump_pub_etfs_register_withsize`: expose `hostpath` as `key`, the window
/// `[begin, begin + size)` (`size` may be [`SIZE_ENDOFF`]).
pub fn register_withsize(
    k: &Kernel,
    key: &str,
    hostpath: &str,
    typ: EtfsType,
    begin: u64,
    size: u64,
) -> KResult<()> {
    let key = normalize(key)?;
    if matches!(typ, EtfsType::Dir | EtfsType::DirSubdirs) {
        let info = rumpuser::file_info(hostpath).map_err(|e| Errno::from_host(&e))?;
        if info.kind != rumpuser::FileKind::Directory {
            return Err(Errno::ENOTDIR);
        }
        let e = of(k);
        let mut dirs = lock(&e.dirs);
        if dirs.contains_key(&key) || lock(&e.keys).contains_key(&key) {
            return Err(Errno::EEXIST);
        }
        let subdirs = typ == EtfsType::DirSubdirs;
        let dir = EtfsDir::new(hostpath, hostpath, subdirs, Arc::clone(k.clock()));
        dirs.insert(key, Arc::new(dir));
        return Ok(());
    }
    let info = rumpuser::file_info(hostpath).map_err(|e| Errno::from_host(&e))?;
    let host_size = info.size;
    if begin > host_size
        || (size != SIZE_ENDOFF && begin.checked_add(size).is_none_or(|end| end > host_size))
    {
        return Err(Errno::EINVAL);
    }
    let host = HostFile::open(
        hostpath,
        OpenFlags {
            write: true,
            ..OpenFlags::default()
        },
    )
    .or_else(|_| HostFile::open(hostpath, OpenFlags::default()))
    .map_err(|e| Errno::from_host(&e))?;
    let e = of(k);
    let mut keys = lock(&e.keys);
    if keys.contains_key(&key) || lock(&e.dirs).contains_key(&key) {
        return Err(Errno::EEXIST);
    }
    let fixed = if size == SIZE_ENDOFF {
        (typ != EtfsType::Reg).then_some(host_size - begin)
    } else {
        Some(size)
    };
    let minor = if typ == EtfsType::Reg {
        0
    } else {
        let mut minors = lock(&e.minors);
        let next = minors.len() as u64;
        *minors.entry(hostpath.to_owned()).or_insert(next)
    };
    let rdev = (RUMPBLK_MAJOR << 8) | minor;
    let shared = keys
        .values()
        .find(|n| n.cached() && n.rdev == rdev && n.begin == begin && n.size == fixed)
        .map(|n| Arc::clone(&n.cache));
    let node = Arc::new(EtfsNode {
        ino: e.next_ino.fetch_add(1, Ordering::Relaxed),
        typ,
        host,
        begin,
        size: fixed,
        rdev,
        created: k.clock().realtime_timespec(),
        kmem: Arc::clone(k.kmem()),
        cache: shared.unwrap_or_default(),
    });
    if node.cached() {
        k.register_reclaimer(Arc::new(Purge(Arc::downgrade(&node))));
    }
    keys.insert(key, node);
    Ok(())
}

/// `rump_pub_etfs_register`: the whole host file.
pub fn register(k: &Kernel, key: &str, hostpath: &str, typ: EtfsType) -> KResult<()> {
    register_withsize(k, key, hostpath, typ, 0, SIZE_ENDOFF)
}

/// `rump_pub_etfs_remove`: ENOENT for an unknown key. Dirty blocks are
/// written first.
pub fn remove(k: &Kernel, key: &str) -> KResult<()> {
    let key = normalize(key)?;
    let e = of(k);
    if lock(&e.dirs).remove(&key).is_some() {
        return Ok(());
    }
    let node = lock(&e.keys).remove(&key).ok_or(Errno::ENOENT)?;
    node.flush()
}

/// Hands clean cached blocks back when the kernel runs short of memory.
struct Purge(std::sync::Weak<EtfsNode>);

impl rump::kmem::Reclaimer for Purge {
    fn name(&self) -> &str {
        "etfs buffer cache"
    }

    /// Nobody charges memory while holding a cache (see
    /// `EtfsNode::with_charges`), so waiting for a cache in use is safe.
    fn reclaim(&self, want: u64) -> u64 {
        let Some(n) = self.0.upgrade() else {
            return 0;
        };
        // A block that cannot be written stays cached, and dirty.
        n.shed(&mut lock(&n.cache), want).unwrap_or(0)
    }
}

/// Used by lookups: the etfs vnode for an absolute path that is a key, or
/// a DIR key's vnode and the rest of the path below it.
pub(crate) fn find(k: &Kernel, path: &[u8]) -> Option<(Vnode, Vec<u8>)> {
    k.try_extension::<Etfs>().and_then(|e| e.find(path))
}
