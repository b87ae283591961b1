//! A mounted FFS: the superblock and group summaries in core, the cylinder
//! group blocks cached as they are used, the table of in-core inodes, and
//! the steps of mounting, syncing and unmounting.

use crate::dev::BlockDev;
use crate::format::cg::Cg;
use crate::format::dinode::Dinode;
use crate::format::dir::DirFormat;
use crate::format::superblock::{self as sbf, Csum, Superblock};
use crate::format::{Flaw, ROOTINO, Version};
use crate::node::FfsNode;
use rump::clock::KernelClock;
use rump::cprng::Cprng;
use rump::{Errno, KResult};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, RwLock, RwLockReadGuard, Weak};

pub(crate) use rump::sync::lock;

/// The clock of a file system used outside a kernel (fsck, newfs and
/// the other tools): the host's time, through the kernel's clock module;
/// a mounted file system reads its kernel's clock.
pub(crate) fn tools_clock() -> &'static KernelClock {
    static CLOCK: OnceLock<KernelClock> = OnceLock::new();
    CLOCK.get_or_init(KernelClock::new)
}

/// The random numbers of a file system used outside a kernel.
fn tools_cprng() -> &'static Cprng {
    static CPRNG: OnceLock<Cprng> = OnceLock::new();
    CPRNG.get_or_init(|| {
        Cprng::from_host().unwrap_or_else(|_| {
            // No entropy from the host: generation numbers and file system
            // ids need only differ from one file system and run to the
            // next, which a key from the clock gives.
            let mut seed = [0u8; rump::cprng::SEED_LEN];
            let t = tools_clock().realtime().to_le_bytes();
            seed[..t.len()].copy_from_slice(&t);
            Cprng::from_seed(seed)
        })
    })
}

/// A random 32-bit number (inode generations, file system ids) for a tool
/// working on a file system outside a kernel.
pub fn random_u32() -> u32 {
    tools_cprng().u32()
}

/// A cached cylinder group block.
pub(crate) struct CgBuf {
    pub cg: Cg,
    pub dirty: bool,
}

/// What changes as blocks and inodes come and go: the live superblock, the
/// per-group summaries and the cached group blocks.
pub(crate) struct Meta {
    pub sb: Superblock,
    pub csums: Vec<Csum>,
    pub cgs: HashMap<u64, CgBuf>,
    /// Groups whose block failed its check: said once, not at every
    /// allocation that passes over them.
    pub bad_cgs: HashSet<u64>,
    /// The superblock or summaries changed since they were written.
    pub sb_dirty: bool,
}

/// The in-core inodes: those in use, and those let go whose last state
/// is not on the device yet (written by the next sync, after the data
/// they point to).
#[derive(Default)]
pub(crate) struct Table {
    pub live: HashMap<u64, Weak<FfsNode>>,
    pub pending: HashMap<u64, Dinode>,
}

impl Meta {
    /// Add `d` to group `c`'s summary in core and to the totals (the
    /// group block's own copy is the caller's).
    pub(crate) fn account(&mut self, c: u64, d: &Csum) {
        if let Some(cs) = self.csums.get_mut(c as usize) {
            cs.add(d);
        }
        self.sb.cstotal.add(d);
        self.sb_dirty = true;
    }
}

/// How a mount should treat the file system.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MountOptions {
    /// Read-only.
    pub read_only: bool,
    /// Mount read-write even if the file system is not clean.
    pub force: bool,
    /// Where it is mounted, for the superblock's `fs_fsmnt` ("last
    /// mounted on", as `ffs_mount` records it); `None` leaves it as it is.
    pub mount_point: Option<Vec<u8>>,
}

impl MountOptions {
    /// Read-only.
    pub const READ_ONLY: MountOptions = MountOptions {
        read_only: true,
        force: false,
        mount_point: None,
    };
    /// Read-write even if not clean (fsck's repairs, fuzzing).
    pub const FORCED: MountOptions = MountOptions {
        read_only: false,
        force: true,
        mount_point: None,
    };
}

/// One FFS instance on one device.
pub struct Ffs {
    pub(crate) dev: Arc<dyn BlockDev>,
    /// The geometry (the counts in it are those at mount time: the live
    /// ones are in `meta`).
    pub(crate) geo: Superblock,
    pub(crate) meta: Mutex<Meta>,
    read_only: AtomicBool,
    /// Set once unmounted: nothing more is written.
    gone: AtomicBool,
    /// An inconsistency was met: the file system is left marked unclean.
    damaged: AtomicBool,
    pub(crate) inodes: Mutex<Table>,
    /// Signalled when an inode let go has left `inodes`.
    pub(crate) inode_gone: Condvar,
    /// Held shared by every change and exclusively by a sync, so that a
    /// sync writes inodes only after the data they point to.
    gate: RwLock<()>,
    /// Serialises changes to the name space, so that a directory change
    /// never waits on a second directory held by another thread.
    pub(crate) names: Mutex<()>,
    pub(crate) me: Weak<Ffs>,
    /// The clock of the kernel the file system is mounted in.
    clock: OnceLock<Arc<KernelClock>>,
    /// The random numbers of the kernel it is mounted in.
    cprng: OnceLock<Arc<Cprng>>,
    /// The console of the kernel it is mounted in.
    console: OnceLock<Complaints>,
}

/// Where a mounted file system says what is wrong with its image.
pub type Complaints = Box<dyn Fn(&str) + Send + Sync>;

/// Find and check the primary superblock of the file system on `dev`,
/// or say what is wrong with it: the flaw of a superblock that claims the
/// place it was found at (else of the first one found), or that there is
/// none. EINVAL for every flaw, as NetBSD's `ffs_mountfs`; the device's
/// own errno when it cannot be read.
pub fn read_superblock(dev: &dyn BlockDev) -> Result<Superblock, Flaw> {
    let size = dev.size();
    // The flaw to report, and whether its superblock claims its place.
    let mut worst: Option<(bool, Flaw)> = None;
    for loc in sbf::SEARCH {
        if loc + sbf::SBLOCKSIZE as u64 > size {
            continue;
        }
        let mut raw = vec![0u8; sbf::SBLOCKSIZE];
        dev.read_at(loc, &mut raw).map_err(|e| {
            Flaw::detailed(e, format!("cannot read the superblock at byte {loc}: {e}"))
        })?;
        if Superblock::sniff(&raw).is_none() {
            continue;
        }
        match Superblock::parse(&raw, loc, size) {
            Ok(sb) => return Ok(sb),
            Err(f) => {
                let claims = Superblock::claims_primary_place(&raw, loc);
                if worst.as_ref().is_none_or(|(had, _)| claims && !had) {
                    worst = Some((claims, f));
                }
            }
        }
    }
    Err(worst.map_or_else(no_superblock, |(_, f)| f))
}

/// NetBSD's fsck's "CAN'T FIND SUPERBLOCK", with the places looked at.
fn no_superblock() -> Flaw {
    let places: Vec<String> = sbf::SEARCH.iter().map(u64::to_string).collect();
    Flaw::invalid(format!(
        "can't find superblock (no magic number at byte {})",
        places.join(", ")
    ))
}

impl Ffs {
    /// Take timestamps from `clock` and random numbers from `cprng`, the
    /// mounting kernel's, from now on.
    pub fn set_kernel_services(&self, clock: Arc<KernelClock>, cprng: Arc<Cprng>) {
        let _ = self.clock.set(clock);
        let _ = self.cprng.set(cprng);
    }

    /// The time now, as inodes keep it.
    pub(crate) fn now(&self) -> (i64, i32) {
        let c = self.clock.get().map_or(tools_clock(), |c| c);
        let (sec, nsec) = c.realtime_timespec();
        (sec, nsec as i32)
    }

    /// A random 32-bit number (inode generations), from the mounting
    /// kernel's generator.
    pub(crate) fn random_u32(&self) -> u32 {
        self.cprng.get().map_or(tools_cprng(), |c| c).u32()
    }

    /// Open the file system on `dev`: find the superblock, read the group
    /// summaries, and for a read-write mount mark it in use on the device.
    /// EINVAL when there is no valid superblock, EPERM for a read-write
    /// mount of a file system that was not unmounted cleanly (unless forced),
    /// EROFS when it uses features this code cannot keep up to date; each
    /// with its reason.
    pub fn open(dev: Arc<dyn BlockDev>, opts: MountOptions) -> Result<Arc<Ffs>, Flaw> {
        let sb = read_superblock(dev.as_ref())?;
        Ffs::open_with(dev, sb, opts)
    }

    pub(crate) fn open_with(
        dev: Arc<dyn BlockDev>,
        mut sb: Superblock,
        opts: MountOptions,
    ) -> Result<Arc<Ffs>, Flaw> {
        if let Some(on) = &opts.mount_point {
            sb.set_fsmnt(on);
        }
        let mut raw = vec![0u8; sb.cssize as usize];
        dev.read_at(sb.csaddr * sb.fsize, &mut raw)?;
        let csums: Vec<Csum> = (0..sb.ncg as usize)
            .map(|c| Csum::parse32(sb.endian, &raw, c * Csum::SIZE))
            .collect();
        if !opts.read_only {
            Ffs::writable_flaw(&sb, opts.force)?;
        }
        let fs = Arc::new_cyclic(|me| Ffs {
            dev,
            geo: sb.clone(),
            meta: Mutex::new(Meta {
                sb,
                csums,
                cgs: HashMap::new(),
                bad_cgs: HashSet::new(),
                sb_dirty: false,
            }),
            read_only: AtomicBool::new(true),
            gone: AtomicBool::new(false),
            damaged: AtomicBool::new(false),
            inodes: Mutex::new(Table::default()),
            inode_gone: Condvar::new(),
            gate: RwLock::new(()),
            names: Mutex::new(()),
            me: me.clone(),
            clock: OnceLock::new(),
            cprng: OnceLock::new(),
            console: OnceLock::new(),
        });
        if !opts.read_only {
            fs.set_writable()?;
        }
        Ok(fs)
    }

    /// Why a file system with superblock `sb` cannot be written, if it
    /// cannot: soft dependencies and the journal need their own machinery
    /// (EROFS); one not unmounted cleanly needs fsck first, unless `force`
    /// (EPERM).
    fn writable_flaw(sb: &Superblock, force: bool) -> Result<(), Flaw> {
        if sb.flags & (sbf::FS_DOSOFTDEP | sbf::FS_DOWAPBL) != 0 {
            return Err(Flaw::new(
                Errno::EROFS,
                "soft dependencies or a WAPBL journal in use, not supported yet: read-only mounts only",
            ));
        }
        if sb.clean & sbf::FS_ISCLEAN == 0 && !force {
            return Err(Flaw::detailed(
                Errno::EPERM,
                format!(
                    "file system not clean (fs_clean={:#x}); please fsck_ffs",
                    sb.clean
                ),
            ));
        }
        Ok(())
    }

    /// Where the file system's complaints go from now on: the console of
    /// the kernel it is mounted in. Without one they are only returned.
    pub fn set_console(&self, console: Complaints) {
        let _ = self.console.set(console);
    }

    /// Say `flaw` on the console, as NetBSD's kernel prints the damage it
    /// meets, and give the errno to return.
    pub(crate) fn complain(&self, flaw: Flaw) -> Errno {
        if let Some(say) = self.console.get() {
            say(flaw.reason());
        }
        flaw.errno()
    }

    /// UFS1 or UFS2.
    pub fn version(&self) -> Version {
        self.geo.version
    }

    /// The superblock as it is now.
    pub fn superblock(&self) -> Superblock {
        lock(&self.meta).sb.clone()
    }

    /// Whether writes are refused.
    pub fn read_only(&self) -> bool {
        self.read_only.load(Ordering::Acquire)
    }

    pub(crate) fn check_writable(&self) -> KResult<()> {
        if self.read_only() || self.gone.load(Ordering::Acquire) {
            return Err(Errno::EROFS);
        }
        Ok(())
    }

    /// Enter a change (held until the change is done): writes the file
    /// system can take, and no sync is half way.
    pub(crate) fn change(&self) -> KResult<RwLockReadGuard<'_, ()>> {
        self.check_writable()?;
        Ok(self.gate.read().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn gone(&self) -> bool {
        self.gone.load(Ordering::Acquire)
    }

    /// The directory entry format.
    pub(crate) fn dirfmt(&self) -> DirFormat {
        DirFormat {
            endian: self.geo.endian,
            typed: self.geo.inodefmt44,
        }
    }

    /// Mark the file system in use (not clean) on the device, and take writes.
    fn set_writable(&self) -> KResult<()> {
        {
            let mut m = lock(&self.meta);
            // NetBSD's convention: "was clean" while mounted, clean again at unmount.
            m.sb.clean = if m.sb.clean & sbf::FS_ISCLEAN != 0 {
                sbf::FS_WASCLEAN
            } else {
                0
            };
            m.sb_dirty = true;
            self.write_super(&mut m)?;
        }
        self.dev.flush()?;
        self.read_only.store(false, Ordering::Release);
        Ok(())
    }

    /// Switch between read-only and read-write (`MNT_UPDATE`). Going
    /// read-only writes everything and marks the file system clean (EBUSY
    /// while a removed file is still open: its storage is not free yet);
    /// going read-write needs it clean unless `force`.
    pub fn remount(&self, read_only: bool, force: bool) -> KResult<()> {
        match (self.read_only(), read_only) {
            (false, true) => {
                let gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
                if self.live_nodes().iter().any(|n| n.is_unlinked()) {
                    return Err(Errno::EBUSY);
                }
                let res = self.sync_locked().and_then(|()| {
                    self.read_only.store(true, Ordering::Release);
                    self.mark_clean()
                });
                drop(gate);
                res
            }
            (true, false) => {
                let m = lock(&self.meta);
                if let Err(flaw) = Ffs::writable_flaw(&m.sb, force) {
                    drop(m);
                    return Err(self.complain(flaw));
                }
                drop(m);
                self.set_writable()
            }
            _ => Ok(()),
        }
    }

    /// Note that the file system is not as it should be (an inconsistency
    /// met while changing it): it stays marked unclean for fsck.
    pub(crate) fn note_damage(&self) {
        self.damaged.store(true, Ordering::Release);
    }

    /// Mark the file system clean on the device, maps included, unless
    /// damage was met.
    fn mark_clean(&self) -> KResult<()> {
        let mut m = lock(&self.meta);
        if m.sb.clean & sbf::FS_WASCLEAN != 0 && !self.damaged.load(Ordering::Acquire) {
            m.sb.clean = sbf::FS_ISCLEAN;
        }
        m.sb_dirty = true;
        self.write_cgs(&mut m)?;
        self.write_super(&mut m)?;
        drop(m);
        self.dev.flush()
    }

    fn live_nodes(&self) -> Vec<Arc<FfsNode>> {
        lock(&self.inodes)
            .live
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Write everything (`VFS_SYNC`), in an order that leaves the device
    /// consistent wherever it stops: first what is already written (file
    /// data, directories, indirect blocks), then the inodes that point to
    /// it, then the group maps, the summaries and the superblock.
    pub fn sync(&self) -> KResult<()> {
        if self.read_only() || self.gone() {
            return Ok(());
        }
        let gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
        let res = self.sync_locked();
        drop(gate);
        res
    }

    /// [`Ffs::sync`] with the gate held.
    fn sync_locked(&self) -> KResult<()> {
        let mut first_err = None;
        if let Err(e) = self.dev.flush() {
            first_err.get_or_insert(e);
        }
        let live = {
            // Inodes let go are written with the table held, so that nobody
            // reads an older copy from the device meanwhile.
            let mut t = lock(&self.inodes);
            let mut pending: Vec<(u64, Dinode)> = t.pending.drain().collect();
            pending.sort_unstable_by_key(|p| p.0);
            for (ino, d) in &pending {
                if let Err(e) = self.write_dinode(*ino, d) {
                    first_err.get_or_insert(e);
                }
            }
            t.live
                .values()
                .filter_map(Weak::upgrade)
                .collect::<Vec<_>>()
        };
        for n in &live {
            if let Err(e) = n.write_back() {
                first_err.get_or_insert(e);
            }
        }
        {
            let mut m = lock(&self.meta);
            if let Err(e) = self.write_cgs(&mut m) {
                first_err.get_or_insert(e);
            }
            if let Err(e) = self.write_super(&mut m) {
                first_err.get_or_insert(e);
            }
        }
        if let Err(e) = self.dev.flush() {
            first_err.get_or_insert(e);
        }
        // A node let go here may free its storage: it takes no gate.
        drop(live);
        first_err.map_or(Ok(()), Err)
    }

    /// Write everything and mark the file system clean; nothing is written
    /// afterwards. Removed files still open lose their storage now, as a
    /// forced unmount's revoke does in NetBSD.
    pub fn unmount(&self) -> KResult<()> {
        if self.gone() {
            return Ok(());
        }
        if self.read_only() {
            self.gone.store(true, Ordering::Release);
            return Ok(());
        }
        let gate = self.gate.write().unwrap_or_else(|e| e.into_inner());
        for n in self.live_nodes() {
            n.reclaim();
        }
        let res = self.sync_locked().and_then(|()| {
            // From here on nodes let go change nothing.
            self.gone.store(true, Ordering::Release);
            self.mark_clean()
        });
        self.gone.store(true, Ordering::Release);
        drop(gate);
        res
    }

    fn write_cgs(&self, m: &mut Meta) -> KResult<()> {
        let t = self.now().0;
        let sb = &m.sb;
        let mut dirty: Vec<u64> = m
            .cgs
            .iter()
            .filter(|(_, b)| b.dirty)
            .map(|(c, _)| *c)
            .collect();
        dirty.sort_unstable();
        for c in dirty {
            let at = sb.cgtod(c) * sb.fsize;
            if let Some(b) = m.cgs.get_mut(&c) {
                b.cg.set_time(t);
                self.dev.write_at(at, &b.cg.raw)?;
                b.dirty = false;
            }
        }
        Ok(())
    }

    fn write_super(&self, m: &mut Meta) -> KResult<()> {
        if !m.sb_dirty {
            return Ok(());
        }
        let mut raw = vec![0u8; m.sb.cssize as usize];
        for (c, cs) in m.csums.iter().enumerate() {
            cs.emit32(m.sb.endian, &mut raw, c * Csum::SIZE);
        }
        self.dev.write_at(m.sb.csaddr * m.sb.fsize, &raw)?;
        m.sb.time = self.now().0;
        m.sb.emit();
        self.dev.write_at(m.sb.location, &m.sb.raw)?;
        m.sb_dirty = false;
        Ok(())
    }

    /// Group `c`'s block, read and checked on first use.
    pub(crate) fn cg<'a>(&self, m: &'a mut Meta, c: u64) -> KResult<&'a mut CgBuf> {
        if c >= m.sb.ncg {
            return Err(Errno::EIO);
        }
        if !m.cgs.contains_key(&c) {
            let mut raw = vec![0u8; m.sb.cgsize as usize];
            self.dev.read_at(m.sb.cgtod(c) * m.sb.fsize, &mut raw)?;
            let cg = match Cg::parse(&m.sb, c, raw) {
                Ok(cg) => cg,
                Err(f) if m.bad_cgs.insert(c) => {
                    return Err(self.complain(f.within(&format!("cg {c}"))));
                }
                Err(f) => return Err(f.errno()),
            };
            m.cgs.insert(c, CgBuf { cg, dirty: false });
        }
        m.cgs.get_mut(&c).ok_or(Errno::EIO)
    }

    /// Read inode `ino` from the device.
    pub(crate) fn read_dinode(&self, ino: u64) -> KResult<Dinode> {
        if ino == 0 || ino >= self.geo.ninodes() {
            return Err(Errno::EIO);
        }
        let mut b = vec![0u8; self.geo.version.inode_size()];
        self.dev.read_at(self.geo.inode_offset(ino), &mut b)?;
        Ok(Dinode::parse(self.geo.version, self.geo.endian, &b))
    }

    /// Write inode `ino` to the device.
    pub(crate) fn write_dinode(&self, ino: u64, d: &Dinode) -> KResult<()> {
        if ino == 0 || ino >= self.geo.ninodes() {
            return Err(Errno::EIO);
        }
        let off = self.geo.inode_offset(ino);
        let mut b = vec![0u8; self.geo.version.inode_size()];
        self.dev.read_at(off, &mut b)?;
        d.emit(self.geo.version, self.geo.endian, &mut b);
        self.dev.write_at(off, &b)
    }

    /// The in-core inode `ino`, read from the device if nobody holds it.
    /// EIO for a number out of range or an inode that is not in use.
    pub fn iget(&self, ino: u64) -> KResult<Arc<FfsNode>> {
        let mut table = lock(&self.inodes);
        loop {
            match table.live.get(&ino).map(Weak::upgrade) {
                Some(Some(n)) => return Ok(n),
                // Its last reference just went: the node is on its way
                // out and may hold changes not yet on the device. Wait
                // until it has written them and left the table.
                Some(None) => {
                    table = self
                        .inode_gone
                        .wait(table)
                        .unwrap_or_else(|e| e.into_inner());
                }
                None => break,
            }
        }
        // A node let go but not written yet: its state is in the table.
        let (d, dirty) = match table.pending.remove(&ino) {
            Some(d) => (d, true),
            None => (self.read_dinode(ino)?, false),
        };
        if d.mode == 0 || d.nlink == 0 {
            if dirty {
                table.pending.insert(ino, d);
            }
            return Err(Errno::EIO);
        }
        let fs = self.me.upgrade().ok_or(Errno::EIO)?;
        let n = FfsNode::new(fs, ino, d, dirty);
        table.live.insert(ino, Arc::downgrade(&n));
        Ok(n)
    }

    /// Allocate an inode as [`Ffs::alloc_inode`] does, passing over any
    /// the map calls free that is in use all the same (a damaged map:
    /// NetBSD panics "dup alloc" here). The map keeps those marked used.
    pub(crate) fn alloc_inode_checked(&self, cg_pref: u64, dir: bool) -> KResult<u64> {
        for _ in 0..64 {
            let ino = self.alloc_inode(cg_pref, dir)?;
            let t = lock(&self.inodes);
            let busy = t.live.contains_key(&ino)
                || t.pending.get(&ino).is_some_and(|d| d.mode != 0)
                || (!t.pending.contains_key(&ino) && self.read_dinode(ino)?.mode != 0);
            if !busy {
                return Ok(ino);
            }
            drop(t);
            self.note_damage();
        }
        Err(Errno::EIO)
    }

    /// Enter a freshly allocated inode in the table.
    pub(crate) fn install(&self, ino: u64, d: Dinode) -> KResult<Arc<FfsNode>> {
        let fs = self.me.upgrade().ok_or(Errno::EIO)?;
        let n = FfsNode::new(fs, ino, d, true);
        let mut t = lock(&self.inodes);
        // Whatever the number held before is superseded.
        t.pending.remove(&ino);
        t.live.insert(ino, Arc::downgrade(&n));
        Ok(n)
    }

    /// The root directory.
    pub fn root(&self) -> KResult<Arc<FfsNode>> {
        let r = self.iget(ROOTINO)?;
        if r.is_dir() {
            Ok(r)
        } else {
            Err(Errno::EINVAL)
        }
    }

    /// The sizes and free counts `statvfs` reports, in fragments and
    /// inodes; `bresvd` is what `minfree` keeps for root.
    pub fn statvfs_counts(&self) -> rumpvfs::node::FsStats {
        let m = lock(&self.meta);
        let sb = &m.sb;
        let free = sb.free_frags();
        let reserve = sb.dsize.saturating_mul(sb.minfree.clamp(0, 100) as u64) / 100;
        rumpvfs::node::FsStats {
            bsize: self.geo.bsize,
            frsize: sb.fsize,
            blocks: sb.dsize,
            bfree: free,
            bavail: free.saturating_sub(reserve),
            bresvd: reserve,
            files: sb.ninodes().saturating_sub(ROOTINO),
            ffree: sb.cstotal.nifree.max(0) as u64,
        }
    }
}

/// An FFS as the VFS mounts it.
pub struct FfsMount {
    fs: Arc<Ffs>,
    root: Arc<FfsNode>,
    /// Why lookups cannot enter the root, if they cannot.
    root_error: Option<Errno>,
}

impl FfsMount {
    /// Take timestamps and random numbers from the mounting kernel's.
    pub fn set_kernel_services(&self, clock: Arc<KernelClock>, cprng: Arc<Cprng>) {
        self.fs.set_kernel_services(clock, cprng);
    }

    /// Open the file system on `dev` for a mount, or say why it cannot be.
    pub fn open(dev: Arc<dyn BlockDev>, opts: MountOptions) -> Result<Arc<FfsMount>, Flaw> {
        let fs = Ffs::open(dev, opts)?;
        let root = match fs.iget(ROOTINO) {
            // NetBSD's `ffs_mountfs` does not look at the root's type
            // either: a root that is a file mounts, the mount point then
            // stats as that file, and the VFS answers ENOTDIR for every
            // name looked up below it (`lookup_once` on a non-directory).
            Ok(r) => Ok((r, None)),
            // NetBSD's mount does not read the root inode: an unallocated
            // one mounts, and `ffs_loadvnode` answers every lookup that
            // reaches it with ENOENT.
            Err(Errno::EIO) => match fs.read_dinode(ROOTINO) {
                Ok(d) if d.mode == 0 => Ok((
                    FfsNode::new(Arc::clone(&fs), ROOTINO, d, false),
                    Some(Errno::ENOENT),
                )),
                _ => Err(Flaw::damaged("root inode unallocated or unreadable")),
            },
            Err(e) => Err(Flaw::from(e)),
        }
        .inspect_err(|_| {
            let _ = fs.unmount();
        })?;
        let (root, root_error) = root;
        Ok(Arc::new(FfsMount {
            fs,
            root,
            root_error,
        }))
    }

    /// Say what is wrong with the image on the mounting kernel's console.
    pub fn set_console(&self, console: Complaints) {
        self.fs.set_console(console);
    }

    /// The file system.
    pub fn ffs(&self) -> &Arc<Ffs> {
        &self.fs
    }
}

// `sys/extattr.h` and `ufs/ufs/extattr.h` (not in netbsd_abi's tables).
/// `EXTATTR_NAMESPACE_EMPTY`.
const EXTATTR_NAMESPACE_EMPTY: i32 = 0;
/// `EXTATTR_CMD_START`.
const EXTATTR_CMD_START: i32 = 1;
/// `EXTATTR_CMD_STOP`.
const EXTATTR_CMD_STOP: i32 = 2;
/// `UFS_EXTATTR_CMD_ENABLE`.
const EXTATTR_CMD_ENABLE: i32 = 3;
/// `UFS_EXTATTR_CMD_DISABLE`.
const EXTATTR_CMD_DISABLE: i32 = 4;
/// `UFS_EXTATTR_FSROOTSUBDIR`: where UFS1 keeps attribute backing files.
const UFS_EXTATTR_FSROOTSUBDIR: &[u8] = b".attribute";

/// NetBSD's `ufs_pathconf` answers.
const UFS_PATHCONF: rumpvfs::pathconf::PathconfLimits = rumpvfs::pathconf::PathconfLimits {
    filesizebits: 42,
    symlinks: true,
    fifofs: true,
};

impl rumpvfs::node::FileSystem for FfsMount {
    fn flag_policy(&self) -> rumpvfs::node::FlagPolicy {
        rumpvfs::node::FlagPolicy::Ufs
    }

    fn pathconf_limits(&self) -> Option<rumpvfs::pathconf::PathconfLimits> {
        Some(UFS_PATHCONF)
    }

    fn makes_file_handles(&self) -> bool {
        true
    }

    /// `ffs_extattrctl`: UFS1's backing-file attributes (`ufs_extattrctl`)
    /// as they answer before `start`; UFS2 has nothing to configure.
    fn extattrctl(&self, req: &rumpvfs::node::ExtattrCtl<'_>) -> KResult<()> {
        use rumpvfs::node::VType;
        if self.fs.geo.version != Version::Ufs1 {
            return Err(Errno::EOPNOTSUPP);
        }
        if !req.root {
            return Err(Errno::EPERM);
        }
        // ufs_extattr_valid_attrname: a namespace and a non-empty name.
        let valid =
            req.namespace != EXTATTR_NAMESPACE_EMPTY && req.name.is_some_and(|n| !n.is_empty());
        match req.cmd {
            EXTATTR_CMD_START | EXTATTR_CMD_STOP if req.file.is_some() || req.name.is_some() => {
                Err(Errno::EINVAL)
            }
            EXTATTR_CMD_START => {
                // ufs_extattr_autostart: the backing files live below
                // /.attribute, and without it there is nothing to start.
                rumpvfs::node::Node::lookup(&*self.root, UFS_EXTATTR_FSROOTSUBDIR)?;
                // With it, NetBSD would start backing-file attributes,
                // which this FFS does not have yet.
                Err(Errno::EOPNOTSUPP)
            }
            // Stopping what never started succeeds (ufs_extattr_stop).
            EXTATTR_CMD_STOP => Ok(()),
            EXTATTR_CMD_ENABLE => match (req.file, req.name) {
                (None, _) | (_, None) => Err(Errno::EINVAL),
                _ if !valid || req.file != Some(VType::Reg) => Err(Errno::EINVAL),
                // ufs_extattr_enable before start.
                _ => Err(Errno::EOPNOTSUPP),
            },
            EXTATTR_CMD_DISABLE => match (req.file, req.name) {
                (Some(_), _) | (_, None) => Err(Errno::EINVAL),
                _ if !valid => Err(Errno::EINVAL),
                // ufs_extattr_disable: no attribute was ever enabled.
                _ => Err(Errno::ENODATA),
            },
            _ => Err(Errno::EINVAL),
        }
    }

    fn vget(&self, ino: u64) -> KResult<Arc<dyn rumpvfs::node::Node>> {
        // ffs_checkrange: numbers outside the inode table are stale.
        if ino < ROOTINO || ino >= self.fs.geo.ninodes() {
            return Err(Errno::ESTALE);
        }
        match self.fs.iget(ino) {
            // iget's answer for a free inode: no file has that number.
            Err(Errno::EIO) => Err(Errno::ESTALE),
            r => r.map(|n| n as Arc<dyn rumpvfs::node::Node>),
        }
    }

    fn root(&self) -> Arc<dyn rumpvfs::node::Node> {
        Arc::clone(&self.root) as Arc<dyn rumpvfs::node::Node>
    }

    fn check_root(&self) -> KResult<()> {
        self.root_error.map_or(Ok(()), Err)
    }

    fn fstype(&self) -> &'static str {
        "ffs"
    }

    fn stats(&self) -> rumpvfs::node::FsStats {
        self.fs.statvfs_counts()
    }

    fn sync(&self) -> KResult<()> {
        self.fs.sync()
    }

    fn remount(&self, read_only: bool, force: bool) -> KResult<()> {
        self.fs.remount(read_only, force)
    }

    fn unmount(&self) -> KResult<()> {
        self.fs.unmount()
    }
}
