//! The mapped kernel files of this process and the table of their
//! mappings, under one lock; what the file I/O barrier, `exec` and exit
//! do with them.

use super::calls::*;
use super::pages::SharedPages;
use crate::barrier::{self, FileIoDone, FileIoStart};
use crate::maptable::{FileId, MapTable};
use crate::state::{self, Hijack};
use std::collections::BTreeMap;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A kernel file mapped by this process.
pub(super) struct Backing {
    /// A kernel descriptor of the file, the library's own (close-on-exec,
    /// hidden from the program's closes), to fill mappings from and write
    /// them back to after the program has closed its descriptor, as a
    /// mapping outlives it. -1 once it was lost (closed by the program).
    pub(super) kfd: i32,
    /// `kfd` is open for reading and writing.
    pub(super) writable: bool,
    /// Its shared pages, once it is mapped shared.
    pub(super) pages: Option<SharedPages>,
    /// Descriptors `kfd` replaced (read-only ones, before the file was
    /// mapped writable), kept as long as it is.
    retired: Vec<i32>,
    /// The process may hold record locks on the file. A close of any of
    /// its descriptors drops them all (NetBSD's and POSIX's rule), which
    /// Linux's `munmap` does not: so the library's descriptors are kept,
    /// after the last mapping is gone, until the program closes one of its
    /// own descriptors of the file (which dropped the locks anyway).
    may_hold_locks: bool,
}

impl Backing {
    /// Close the library's descriptors of the file.
    fn close(self, h: &Hijack) {
        for k in self
            .retired
            .into_iter()
            .chain((self.kfd >= 0).then_some(self.kfd))
        {
            kclose_own(h, k);
        }
    }
}

/// The table and the files it maps.
pub(crate) struct Maps {
    /// Every mapped range.
    pub(super) table: MapTable,
    /// The files they map, and files no longer mapped whose descriptors
    /// are kept for the locks (see [`Backing::may_hold_locks`]).
    pub(super) files: BTreeMap<FileId, Backing>,
    /// The files behind the program's kernel descriptors, as far as they
    /// have been asked: kept while the barrier is armed, which sees every
    /// close and `dup2` onto a number.
    pub(super) fd_files: BTreeMap<i32, FileId>,
    /// What went wrong, said on standard error once the lock is let go
    /// (standard error may be a kernel file, whose write would pass the
    /// barrier).
    notes: Vec<String>,
}

static MAPS: Mutex<Maps> = Mutex::new(Maps {
    table: MapTable::new(),
    files: BTreeMap::new(),
    fd_files: BTreeMap::new(),
    notes: Vec::new(),
});

/// How many ranges the table holds: calls on host memory look no further
/// while it is 0.
pub(super) static LIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread holds the table: a call it makes meanwhile that would
    /// take it again (a kernel call passing the barrier, an allocator's
    /// `munmap`) must not wait for it.
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The table, locked, with every signal blocked for the hold: a handler
/// that ran meanwhile and called `fork`, `_exit` or a memory call would
/// find the table in use by the very thread it interrupted.
pub(crate) struct MapsGuard {
    guard: ManuallyDrop<MutexGuard<'static, Maps>>,
    mask: rumpuser::SignalMask,
}

impl std::ops::Deref for MapsGuard {
    type Target = Maps;
    fn deref(&self) -> &Maps {
        &self.guard
    }
}

impl std::ops::DerefMut for MapsGuard {
    fn deref_mut(&mut self) -> &mut Maps {
        &mut self.guard
    }
}

impl Drop for MapsGuard {
    fn drop(&mut self) {
        let notes = std::mem::take(&mut self.guard.notes);
        // SAFETY: the guard is dropped here once, and not used after.
        unsafe { ManuallyDrop::drop(&mut self.guard) };
        HOLDING.with(|h| h.set(false));
        rumpuser::restore_signal_mask(&self.mask);
        for n in notes {
            eprintln!("rumphijack: {n}");
        }
    }
}

/// The table, locked by this thread.
pub(super) fn maps() -> MapsGuard {
    let mask = rumpuser::block_all_signals();
    let guard = MAPS.lock().unwrap_or_else(|e| e.into_inner());
    HOLDING.with(|h| h.set(true));
    MapsGuard {
        guard: ManuallyDrop::new(guard),
        mask,
    }
}

/// Whether this thread holds the table: calls that would take it pass
/// straight to the host.
pub(crate) fn held_here() -> bool {
    HOLDING.with(|h| h.get())
}

/// The table, unless this thread holds it already (see `HOLDING`).
pub(super) fn maps_unless_held() -> Option<MapsGuard> {
    (!held_here()).then(maps)
}

/// The table, held across `fork` (so that the child finds it whole),
/// after writing back what the mappings changed.
pub(crate) fn hold_written_back(h: &Hijack) -> MapsGuard {
    {
        // Failures are said before the fork, not by both processes.
        let mut m = maps();
        if let Err(e) = m.write_back_all(h) {
            m.report(e);
        }
    }
    maps()
}

impl Maps {
    /// Say (once the lock is let go) that mapped data could not reach its
    /// file: the program is not told otherwise (`munmap` and exit cannot
    /// fail for it).
    pub(super) fn report(&mut self, e: i32) {
        self.notes.push(format!(
            "writing a mapping back to its kernel file failed: {}",
            std::io::Error::from_raw_os_error(e)
        ));
    }

    /// The file behind the program's kernel descriptor `k`, remembered
    /// until the descriptor is closed or replaced.
    pub(super) fn file_of(&mut self, h: &Hijack, k: i32) -> Result<FileId, i32> {
        if let Some(id) = self.fd_files.get(&k) {
            return Ok(*id);
        }
        let id = FileId::from(&kstat(h, k)?);
        self.fd_files.insert(k, id);
        Ok(id)
    }

    /// Every shared mapping takes in what other processes wrote.
    pub(super) fn refresh_all(&mut self, h: &Hijack) -> Result<(), i32> {
        let mut first_err = Ok(());
        for f in self.files.values_mut().filter(|f| f.kfd >= 0) {
            if let Some(p) = f.pages.as_mut() {
                let r = p.refresh(h, f.kfd);
                if first_err.is_ok() {
                    first_err = r;
                }
            }
        }
        first_err
    }

    /// This process took a lock on the file of descriptor `k`: its
    /// mappings take in what others wrote, and its descriptors are kept.
    fn lock_taken(&mut self, h: &Hijack, k: i32) -> Result<(), i32> {
        if let Ok(id) = self.file_of(h, k)
            && let Some(b) = self.files.get_mut(&id)
        {
            b.may_hold_locks = true;
        }
        self.refresh_all(h)
    }

    /// `n` bytes were written through descriptor `k` at `off` (`None`: at
    /// its offset, now past them).
    pub(super) fn wrote(
        &mut self,
        h: &Hijack,
        k: i32,
        off: Option<u64>,
        n: u64,
    ) -> Result<(), i32> {
        // A descriptor without a file to stat is no mapped file's.
        let Ok(id) = self.file_of(h, k) else {
            return Ok(());
        };
        let Some(f) = self.files.get_mut(&id).filter(|f| f.kfd >= 0) else {
            return Ok(());
        };
        let Some(p) = f.pages.as_mut() else {
            return Ok(());
        };
        let off = match off {
            Some(o) => o,
            // NetBSD's lseek(fd, pad, 0, SEEK_CUR).
            None => (h.sys_unbarriered(netbsd_abi::SYS_lseek, &[k as u64, 0, 0, 1])? as u64)
                .saturating_sub(n),
        };
        // The barrier wrote what the mappings changed there before the
        // call, so what the file now holds is newer (as in Linux's one
        // page cache), even where a mapping changed bytes past the end
        // that could not be written back.
        p.take_in(h, f.kfd, off as usize, off.saturating_add(n) as usize)
    }

    /// File `id` was truncated to `len`: what its mappings hold past the
    /// end is gone, and reads as zero should it grow back (as Linux cuts
    /// its page cache).
    pub(super) fn truncated(&mut self, id: FileId, len: u64) {
        if let Some(p) = self.files.get_mut(&id).and_then(|f| f.pages.as_mut()) {
            p.zero_from(len as usize);
        }
    }

    /// The backing of file `id`, made from the program's kernel descriptor
    /// `k` if it has none; made writable if `k` allows writing.
    pub(super) fn backing(
        &mut self,
        h: &Hijack,
        id: FileId,
        k: i32,
        writable: bool,
        shared: bool,
    ) -> Result<(), i32> {
        if let std::collections::btree_map::Entry::Vacant(e) = self.files.entry(id) {
            let kfd = own_dup(h, k)?;
            e.insert(Backing {
                kfd,
                writable,
                pages: None,
                retired: Vec::new(),
                // Locks taken before the barrier was armed are unknown.
                may_hold_locks: true,
            });
        }
        let Some(b) = self.files.get_mut(&id) else {
            return Err(libc::EIO);
        };
        if b.kfd < 0 {
            b.kfd = own_dup(h, k)?;
            b.writable = writable;
        }
        if writable && !b.writable {
            // Shared read-only mappings could not change the pages, so
            // they are what the file holds.
            let clean = b.pages.as_ref().map(|p| p.clean_now());
            let kfd = own_dup(h, k)?;
            // Closing the old one could drop the process's locks.
            b.retired.push(std::mem::replace(&mut b.kfd, kfd));
            b.writable = true;
            if let Some(p) = b.pages.as_mut() {
                p.clean = clean;
            }
        }
        if shared && b.pages.is_none() {
            b.pages = Some(SharedPages::new(h, b.writable, id)?);
        }
        Ok(())
    }

    /// Write back what the shared mappings in `a..b` changed.
    pub(super) fn write_back_range(&mut self, h: &Hijack, a: usize, b: usize) -> Result<(), i32> {
        let mut first_err = Ok(());
        for m in self.table.overlapping(a, b) {
            if !m.shared {
                continue;
            }
            let Some(f) = self.files.get_mut(&m.file).filter(|f| f.kfd >= 0) else {
                continue;
            };
            if let Some(p) = f.pages.as_mut() {
                let r = m.file_range();
                let res = p.write_back(h, f.kfd, r.start as usize, r.end as usize);
                if first_err.is_ok() {
                    first_err = res;
                }
            }
        }
        first_err
    }

    /// Write back everything the shared mappings of file `id` changed.
    fn write_back_file(&mut self, h: &Hijack, id: FileId) -> Result<(), i32> {
        match self.files.get_mut(&id) {
            // A lost descriptor was said once, when it went.
            Some(Backing {
                kfd,
                pages: Some(p),
                ..
            }) if *kfd >= 0 => p.write_back(h, *kfd, 0, p.size),
            _ => Ok(()),
        }
    }

    /// Write back what the mappings changed of the file of the program's
    /// descriptor `k`, before a call on it.
    fn write_back_fd(&mut self, h: &Hijack, k: i32) -> Result<(), i32> {
        let written = |b: &Backing| b.pages.as_ref().is_some_and(|p| p.written);
        if !self.files.values().any(written) {
            return Ok(());
        }
        // A descriptor without a file to stat is no mapped file's.
        match self.file_of(h, k) {
            Ok(id) => self.write_back_file(h, id),
            Err(_) => Ok(()),
        }
    }

    /// Write back everything every shared mapping changed.
    pub(super) fn write_back_all(&mut self, h: &Hijack) -> Result<(), i32> {
        let mut first_err = Ok(());
        let ids: Vec<FileId> = self.files.keys().copied().collect();
        for id in ids {
            let res = self.write_back_file(h, id);
            if first_err.is_ok() {
                first_err = res;
            }
        }
        first_err
    }

    /// The program's kernel descriptor `k` (`and_above`: and all above
    /// it) is about to be closed: its file is learnt now, to know after
    /// the close whose locks it dropped.
    fn closing(&mut self, h: &Hijack, k: i32, and_above: bool) {
        if !and_above && self.files.values().any(|b| b.may_hold_locks) {
            let _ = self.file_of(h, k);
        }
    }

    /// Kernel descriptor `k` (`and_above`: and all above it) was closed.
    fn closed(&mut self, h: &Hijack, k: i32, and_above: bool) {
        let hit = |d: i32| d == k || (and_above && d > k);
        let gone: Vec<FileId> = self
            .fd_files
            .iter()
            .filter(|(d, _)| hit(**d))
            .map(|(_, id)| *id)
            .collect();
        self.fd_files.retain(|d, _| !hit(*d));
        let mut lost = false;
        for b in self.files.values_mut() {
            // Only a descriptor the library could not hide (see
            // state::FdBits) is closed under it.
            if b.kfd >= 0 && hit(b.kfd) {
                state::OWN_KFDS.set(b.kfd, false);
                b.kfd = -1;
                lost = true;
            }
            b.retired.retain(|&d| !hit(d));
        }
        if lost {
            self.notes.push(
                "the program closed the descriptor behind mappings of a kernel file: \
                 what they change is no longer written back"
                    .into(),
            );
        }
        // That close dropped the process's locks on these files.
        for id in gone {
            if let Some(b) = self.files.get_mut(&id) {
                b.may_hold_locks = false;
            }
        }
        self.settle(h);
    }

    /// Let go of the files nothing maps any more (keeping the descriptors
    /// of those the process may hold locks on), and publish the counts.
    pub(super) fn settle(&mut self, h: &Hijack) {
        let unused: Vec<FileId> = self
            .files
            .keys()
            .filter(|id| !self.table.uses(**id))
            .copied()
            .collect();
        for id in unused {
            let Some(b) = self.files.get_mut(&id) else {
                continue;
            };
            if let Some(p) = b.pages.take() {
                p.release();
            }
            if !b.may_hold_locks
                && let Some(b) = self.files.remove(&id)
            {
                b.close(h);
            }
        }
        LIVE.store(self.table.len(), Ordering::Relaxed);
        let armed = !self.files.is_empty();
        if !armed {
            // Unarmed, the barrier would not see descriptors closed.
            self.fd_files.clear();
        }
        let barrier = barrier::FileIoBarrier {
            before: file_io_barrier,
            after: after_file_io,
        };
        barrier::arm(barrier, armed);
    }
}

/// Before the kernel reads, writes, syncs or locks a file: what shared
/// mappings changed reaches the file first, so the call sees it; before a
/// close, the descriptor's file is learnt.
fn file_io_barrier(h: &Hijack, start: FileIoStart) {
    let Some(mut m) = maps_unless_held() else {
        return;
    };
    let r = match start {
        FileIoStart::Fd(k) => m.write_back_fd(h, k),
        FileIoStart::All => m.write_back_all(h),
        FileIoStart::Closing { fd, and_above } => {
            m.closing(h, fd, and_above);
            Ok(())
        }
    };
    if let Err(e) = r {
        m.report(e);
    }
}

/// After a kernel call the barrier follows (see [`FileIoDone`]).
fn after_file_io(h: &Hijack, done: FileIoDone) {
    let Some(mut m) = maps_unless_held() else {
        return;
    };
    let r = match done {
        // What other processes wrote to the files this one maps shared,
        // under the lock just taken, reaches its mappings: mappings of one
        // file in two processes agree at lock boundaries, which is what
        // programs sharing mapped files rely on (sqlite's WAL index).
        FileIoDone::LockTaken { fd } => m.lock_taken(h, fd),
        // What this process wrote through a descriptor reaches its
        // mappings of the file, as in Linux's one page cache.
        FileIoDone::Wrote { fd, off, n } => m.wrote(h, fd, off, n),
        FileIoDone::Truncated { fd, len } => m.file_of(h, fd).map(|id| m.truncated(id, len)),
        FileIoDone::TruncatedPath { path, len } => {
            kstat_path(h, path).map(|st| m.truncated(FileId::from(&st), len))
        }
        FileIoDone::Closed { fd, and_above } => {
            m.closed(h, fd, and_above);
            Ok(())
        }
    };
    if let Err(e) = r {
        m.notes.push(format!(
            "reading a mapped kernel file again failed: {}",
            std::io::Error::from_raw_os_error(e)
        ));
    }
}

/// Before `exec`, which ends the mappings with the old program: what they
/// changed is written back now.
pub(crate) fn before_exec(h: &Hijack) {
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
        return;
    }
    let mut m = maps();
    match m.write_back_all(h) {
        // The parent of a child between fork and exec has the same pages
        // and writes them back too.
        Ok(()) | Err(libc::EBADF) => {}
        Err(e) => m.report(e),
    }
}

/// At exit (`exit`, `_exit`): write back what the mappings changed.
pub(super) fn at_exit() {
    // A thread that holds the table exits from inside its own work (a
    // handler cannot run then: signals are blocked for the hold).
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
        return;
    }
    if let Some(h) = state::get() {
        let mut m = maps();
        if let Err(e) = m.write_back_all(h) {
            m.report(e);
        }
    }
}
