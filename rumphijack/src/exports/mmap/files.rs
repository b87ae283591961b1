//! The mapped kernel files of this process and the table of their
//! mappings, under one lock; what the file I/O barrier, `exec` and exit
//! do with them.

use super::calls::*;
use super::pages::SharedPages;
use crate::barrier::{self, FileIoDone};
use crate::maptable::{FileId, MapTable};
use crate::nr;
use crate::state::{self, Hijack};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

/// A kernel file mapped by this process.
pub(super) struct Backing {
    /// A kernel descriptor of the file, the library's own (close-on-exec),
    /// to fill mappings from and write them back to after the program has
    /// closed its descriptor, as a mapping outlives it.
    pub(super) kfd: i32,
    /// `kfd` is open for reading and writing.
    pub(super) writable: bool,
    /// Its shared pages, once it is mapped shared.
    pub(super) pages: Option<SharedPages>,
}

/// The table and the files it maps.
pub(crate) struct Maps {
    /// Every mapped range.
    pub(super) table: MapTable,
    /// The files they map.
    pub(super) files: BTreeMap<FileId, Backing>,
    /// The files behind the program's kernel descriptors, as far as they
    /// have been asked: kept while the barrier is armed, which sees every
    /// close and `dup2` onto a number.
    pub(super) fd_files: BTreeMap<i32, FileId>,
}

static MAPS: Mutex<Maps> = Mutex::new(Maps {
    table: MapTable::new(),
    files: BTreeMap::new(),
    fd_files: BTreeMap::new(),
});

/// How many ranges the table holds: calls on host memory look no further
/// while it is 0.
pub(super) static LIVE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread holds the table: a kernel call it makes meanwhile (a
    /// message on a standard error that is a kernel file) passes the
    /// barrier, which would wait for the table.
    static HOLDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The table, locked.
pub(crate) struct MapsGuard(MutexGuard<'static, Maps>);

impl std::ops::Deref for MapsGuard {
    type Target = Maps;
    fn deref(&self) -> &Maps {
        &self.0
    }
}

impl std::ops::DerefMut for MapsGuard {
    fn deref_mut(&mut self) -> &mut Maps {
        &mut self.0
    }
}

impl Drop for MapsGuard {
    fn drop(&mut self) {
        HOLDING.with(|h| h.set(false));
    }
}

/// The table, locked by this thread.
pub(super) fn maps() -> MapsGuard {
    let g = MAPS.lock().unwrap_or_else(|e| e.into_inner());
    HOLDING.with(|h| h.set(true));
    MapsGuard(g)
}

/// The table, unless this thread holds it already (see `HOLDING`).
pub(super) fn maps_unless_held() -> Option<MapsGuard> {
    (!HOLDING.with(|h| h.get())).then(maps)
}

/// The table, held across `fork` (so that the child finds it whole),
/// after writing back what the mappings changed.
pub(crate) fn hold_written_back(h: &Hijack) -> MapsGuard {
    let mut m = maps();
    if let Err(e) = m.write_back_all(h) {
        report(e);
    }
    m
}

impl Maps {
    /// The file behind the program's kernel descriptor `k`, remembered
    /// until the descriptor is closed or replaced.
    pub(super) fn file_of(&mut self, h: &Hijack, k: i32) -> Result<FileId, i32> {
        if let Some(id) = self.fd_files.get(&k) {
            return Ok(*id);
        }
        let st = kstat(h, k)?;
        let id = FileId {
            dev: st.st_dev,
            ino: st.st_ino,
        };
        self.fd_files.insert(k, id);
        Ok(id)
    }

    /// Every shared mapping takes in what other processes wrote.
    pub(super) fn refresh_all(&mut self, h: &Hijack) -> Result<(), i32> {
        let mut first_err = Ok(());
        for f in self.files.values_mut() {
            if let Some(p) = f.pages.as_mut() {
                let r = p.refresh(h, f.kfd);
                if first_err.is_ok() {
                    first_err = r;
                }
            }
        }
        first_err
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
        let Some(f) = self.files.get_mut(&id) else {
            return Ok(());
        };
        let Some(p) = f.pages.as_mut() else {
            return Ok(());
        };
        let off = match off {
            Some(o) => o,
            // NetBSD's lseek(fd, pad, 0, SEEK_CUR).
            None => (h.sys_unbarriered(nr::LSEEK, &[k as u64, 0, 0, 1])? as u64).saturating_sub(n),
        };
        p.refresh_range(h, f.kfd, off as usize, off.saturating_add(n) as usize)
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
            let kfd = kfcntl(h, k, libc::F_DUPFD_CLOEXEC, 0)? as i32;
            e.insert(Backing {
                kfd,
                writable,
                pages: None,
            });
        }
        let Some(b) = self.files.get_mut(&id) else {
            return Err(libc::EIO);
        };
        if writable && !b.writable {
            // Shared read-only mappings could not change the pages, so
            // they are what the file holds.
            let clean = b.pages.as_ref().map(|p| p.clean_now());
            let kfd = kfcntl(h, k, libc::F_DUPFD_CLOEXEC, 0)? as i32;
            kclose(h, b.kfd);
            b.kfd = kfd;
            b.writable = true;
            if let Some(p) = b.pages.as_mut() {
                p.clean = clean;
            }
        }
        if shared && b.pages.is_none() {
            b.pages = Some(SharedPages::new(h, b.writable)?);
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
            let Some(f) = self.files.get_mut(&m.file) else {
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

    /// Write back everything every shared mapping changed.
    pub(super) fn write_back_all(&mut self, h: &Hijack) -> Result<(), i32> {
        let mut first_err = Ok(());
        for f in self.files.values_mut() {
            if let Some(p) = f.pages.as_mut() {
                let res = p.write_back(h, f.kfd, 0, p.size);
                if first_err.is_ok() {
                    first_err = res;
                }
            }
        }
        first_err
    }

    /// Let go of the files nothing maps any more, and publish the counts.
    pub(super) fn settle(&mut self, h: &Hijack) {
        let unused: Vec<FileId> = self
            .files
            .keys()
            .filter(|id| !self.table.uses(**id))
            .copied()
            .collect();
        for id in unused {
            if let Some(b) = self.files.remove(&id) {
                if let Some(p) = b.pages {
                    p.release();
                }
                kclose(h, b.kfd);
            }
        }
        LIVE.store(self.table.len(), Ordering::Relaxed);
        let shared = self.files.values().any(|b| b.pages.is_some());
        if !shared {
            // Unarmed, the barrier would not see descriptors closed.
            self.fd_files.clear();
        }
        let barrier = barrier::FileIoBarrier {
            before: file_io_barrier,
            after: after_file_io,
        };
        barrier::arm(barrier, shared);
    }
}

/// Before the kernel reads or syncs a file: what shared mappings changed
/// reaches the files first, so `read` and `fsync` see it.
pub(super) fn file_io_barrier(h: &Hijack) {
    let Some(mut m) = maps_unless_held() else {
        return;
    };
    if let Err(e) = m.write_back_all(h) {
        report(e);
    }
}

/// After a kernel call the barrier follows (see [`FileIoDone`]).
pub(super) fn after_file_io(h: &Hijack, done: FileIoDone) {
    let Some(mut m) = maps_unless_held() else {
        return;
    };
    let r = match done {
        // What other processes wrote to the files this one maps shared,
        // under the lock just taken, reaches its mappings: mappings of one
        // file in two processes agree at lock boundaries, which is what
        // programs sharing mapped files rely on (sqlite's WAL index).
        FileIoDone::LockTaken => m.refresh_all(h),
        // What this process wrote through a descriptor reaches its
        // mappings of the file, as in Linux's one page cache.
        FileIoDone::Wrote { fd, off, n } => m.wrote(h, fd, off, n),
        FileIoDone::Truncated { fd, len } => m.file_of(h, fd).map(|id| m.truncated(id, len)),
        FileIoDone::TruncatedPath { path, len } => kstat_path(h, path).map(|st| {
            let id = FileId {
                dev: st.st_dev,
                ino: st.st_ino,
            };
            m.truncated(id, len)
        }),
        FileIoDone::Closed { fd, and_above } => {
            m.fd_files.retain(|&k, _| k != fd && !(and_above && k > fd));
            Ok(())
        }
    };
    if let Err(e) = r {
        eprintln!(
            "rumphijack: reading a mapped kernel file again failed: {}",
            std::io::Error::from_raw_os_error(e)
        );
    }
}

/// Before `exec`, which ends the mappings with the old program: what they
/// changed is written back now.
pub(crate) fn before_exec(h: &Hijack) {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    match maps().write_back_all(h) {
        // A child between fork and exec may have closed every descriptor;
        // the parent still has the same pages and writes them back.
        Ok(()) | Err(libc::EBADF) => {}
        Err(e) => report(e),
    }
}

/// At exit (`exit`, `_exit`): write back what the mappings changed.
pub(super) fn at_exit() {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    if let Some(h) = state::get()
        && let Err(e) = maps().write_back_all(h)
    {
        report(e);
    }
}
