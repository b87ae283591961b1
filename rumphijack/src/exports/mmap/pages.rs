//! The pages of a file's shared mappings: a memfd at the file's offsets,
//! the library's own view of it, and what the file is known to hold, to
//! write back what changed and take in what others wrote.

use super::calls::*;
use crate::maptable::{FileId, PageCopy, RangeSet, dirty_runs, foreign_runs};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_char, c_int, c_uint};
use std::ops::Range;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// Differing runs this close are written back as one. None are joined:
/// the bytes between may be another process's, changed since this one
/// last read them (sqlite's read marks sit right after its header).
const JOIN_GAP: usize = 0;

/// The pages of a file's shared mappings.
pub(super) struct SharedPages {
    /// The file they are of.
    file: FileId,
    /// A shared mapping of them was writable (made with `PROT_WRITE`, or
    /// given it by `mprotect`): only then can they differ from the file,
    /// and need comparing when written back.
    pub(super) written: bool,
    /// The host memfd holding them, at the file's offsets.
    pub(super) memfd: c_int,
    /// Its inode, to notice a program that closed or replaced the number.
    pub(super) memfd_ino: u64,
    /// Bytes in the memfd (whole pages).
    pub(super) size: usize,
    /// The parts of the memfd read from the file: those mapped so far (a
    /// mapping far into a file does not read all that comes before).
    pub(super) filled: RangeSet,
    /// The library's own shared mapping of all `size` bytes (0: none yet).
    pub(super) view: usize,
    /// The file's modification and change times and size when it was
    /// last read whole into the pages: a lock taken while they are the
    /// same finds nothing new to read.
    pub(super) seen: Option<[i64; 5]>,
    /// The file's bytes (in the filled parts) as last read or written
    /// back; `None` when the file is not written through (no descriptor
    /// allowed it).
    pub(super) clean: Option<PageCopy>,
}

impl SharedPages {
    /// No pages yet, in a new memfd; `writable`: the file is written through.
    pub(super) fn new(h: &Hijack, writable: bool, file: FileId) -> Result<SharedPages, i32> {
        let fd = host!(memfd_create(c"rumphijack-mmap".as_ptr(), libc::MFD_CLOEXEC)
            as fn(*const c_char, c_uint) -> c_int);
        if fd < 0 {
            return Err(errno());
        }
        // Out of the program's way, as the connection is: high, below the
        // kernel's numbers.
        let floor = state::connection_floor(h.cfg.fdoff);
        let moved =
            host!(fcntl(fd, libc::F_DUPFD_CLOEXEC, floor) as fn(c_int, c_int, c_int) -> c_int);
        let memfd = if moved >= 0 && moved < h.cfg.fdoff {
            host_close(fd);
            moved
        } else {
            if moved >= 0 {
                host_close(moved);
            }
            fd
        };
        let Some(memfd_ino) = host_ino(memfd) else {
            host_close(memfd);
            return Err(libc::EBADF);
        };
        state::OWN_HOST_FDS.set(memfd, true);
        Ok(SharedPages {
            file,
            written: false,
            memfd,
            memfd_ino,
            size: 0,
            filled: RangeSet::new(),
            seen: None,
            view: 0,
            clean: writable.then(PageCopy::new),
        })
    }

    /// The memfd is still under its number (a program may close every
    /// descriptor it does not know of).
    pub(super) fn memfd_ok(&self) -> Result<(), i32> {
        if host_ino(self.memfd) == Some(self.memfd_ino) {
            return Ok(());
        }
        Err(libc::EBADF)
    }

    /// The kernel's `st` is of the file these pages are of: a write-back
    /// never goes to another file under a reused descriptor number.
    fn check_file(&self, st: &libc::stat) -> Result<(), i32> {
        if FileId::from(st) == self.file {
            Ok(())
        } else {
            Err(libc::EBADF)
        }
    }

    /// A copy of bytes `a..b` as the mappings now hold them.
    pub(super) fn snapshot(&self, a: usize, b: usize) -> Vec<u8> {
        let mut v = vec![0u8; b - a];
        read_shared(self.view + a, &mut v);
        v
    }

    /// Make the memfd hold the file's bytes `lo..hi` (whole pages).
    pub(super) fn cover(&mut self, h: &Hijack, kfd: i32, lo: usize, hi: usize) -> Result<(), i32> {
        self.grow(hi)?;
        for gap in self.filled.gaps(lo, hi) {
            // No mapping shows a gap yet: nothing else stores there.
            kread_into(h, kfd, self.view + gap.start, gap.len(), gap.start as u64)?;
            if self.clean.is_some() {
                for r in pieces(gap.clone()) {
                    let fresh = self.snapshot(r.start, r.end);
                    if let Some(c) = self.clean.as_mut() {
                        c.set(r.start, &fresh);
                    }
                }
            }
            self.filled.add(gap);
        }
        Ok(())
    }

    /// Make the memfd (and the view) `need` bytes long.
    pub(super) fn grow(&mut self, need: usize) -> Result<(), i32> {
        if need <= self.size {
            return Ok(());
        }
        self.memfd_ok()?;
        let old = self.size;
        host_ftruncate(self.memfd, need)?;
        let view = if self.view == 0 {
            host_mmap(
                0,
                need,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                self.memfd,
                0,
            )
        } else {
            host_mremap(self.view, old, need, libc::MREMAP_MAYMOVE, 0)
        };
        match view {
            Ok(v) => self.view = v,
            Err(e) => {
                let _ = host_ftruncate(self.memfd, old);
                return Err(e);
            }
        }
        self.size = need;
        Ok(())
    }

    /// The clean copy of what is filled now: for a file that becomes
    /// written through (shared read-only mappings could not change it).
    pub(super) fn clean_now(&self) -> PageCopy {
        let mut c = PageCopy::new();
        for r in self.filled.within(0, self.size) {
            c.set(r.start, &self.snapshot(r.start, r.end));
        }
        c
    }

    /// Take in what another process wrote to the file since this one last
    /// read or wrote it, where this one's mappings have not changed it.
    pub(super) fn refresh(&mut self, h: &Hijack, kfd: i32) -> Result<(), i32> {
        let st = kstat(h, kfd)?;
        self.check_file(&st)?;
        // Times are kept to the nanosecond: a write by anyone changes them.
        let stamp = [
            st.st_mtime,
            st.st_mtime_nsec,
            st.st_ctime,
            st.st_ctime_nsec,
            st.st_size,
        ];
        if self.seen == Some(stamp) {
            return Ok(());
        }
        self.refresh_range(h, kfd, 0, self.size)?;
        // Read after the stamp was taken: a later write changes it again.
        self.seen = Some(stamp);
        Ok(())
    }

    /// [`SharedPages::refresh`] for the file's bytes `lo..hi`, whatever
    /// the stamp: this process just wrote them through a descriptor.
    pub(super) fn refresh_range(
        &mut self,
        h: &Hijack,
        kfd: i32,
        lo: usize,
        hi: usize,
    ) -> Result<(), i32> {
        for Range { start: at, end } in self.pieces(lo, hi) {
            let file = read_piece(h, kfd, at, end)?;
            let n = file.len();
            let now = self.snapshot(at, at + n);
            let runs = match self.clean.as_ref() {
                Some(c) => foreign_runs(&file, &now, &c.get(at, at + n)),
                // Nothing here writes to a file not written through.
                None => foreign_runs(&file, &now, &now),
            };
            for r in runs {
                self.put(at + r.start, &file[r]);
            }
        }
        Ok(())
    }

    /// Read the file's bytes `lo..hi` into the pages, all of them: this
    /// process just wrote them through a descriptor, after the barrier
    /// wrote back what the mappings had changed there.
    pub(super) fn take_in(
        &mut self,
        h: &Hijack,
        kfd: i32,
        lo: usize,
        hi: usize,
    ) -> Result<(), i32> {
        for Range { start: at, end } in self.pieces(lo, hi) {
            let file = read_piece(h, kfd, at, end)?;
            self.put(at, &file);
        }
        Ok(())
    }

    /// The filled parts of `lo..hi`, in pieces of at most [`PIECE`].
    fn pieces(&self, lo: usize, hi: usize) -> Vec<Range<usize>> {
        self.filled
            .within(lo, hi.min(self.size))
            .into_iter()
            .flat_map(pieces)
            .collect()
    }

    /// Put the file's `bytes` at `at` into the pages and the clean copy.
    fn put(&mut self, at: usize, bytes: &[u8]) {
        write_shared(self.view + at, bytes);
        if let Some(c) = self.clean.as_mut() {
            c.set(at, bytes);
        }
    }

    /// Zero the pages from `len` on, in the mappings and the clean copy:
    /// the file was cut there.
    pub(super) fn zero_from(&mut self, len: usize) {
        let zeros = vec![0u8; PIECE.min(self.size.saturating_sub(len))];
        for r in self.filled.within(len, self.size) {
            for p in pieces(r.clone()) {
                write_shared(self.view + p.start, &zeros[..p.len()]);
            }
            if let Some(c) = self.clean.as_mut() {
                c.zero(r.start, r.end);
            }
        }
    }

    /// Write the bytes of `lo..hi` (file offsets) that differ from the
    /// clean copy to the file, up to its end.
    pub(super) fn write_back(
        &mut self,
        h: &Hijack,
        kfd: i32,
        lo: usize,
        hi: usize,
    ) -> Result<(), i32> {
        if !self.written {
            return Ok(());
        }
        let mut append_flags = None;
        let r = self.write_dirty(h, kfd, lo, hi, &mut append_flags);
        if let Some(fl) = append_flags {
            let _ = xlate::open_flags_to_netbsd(fl)
                .and_then(|n| kfcntl(h, kfd, libc::F_SETFL, n as u64));
        }
        r
    }

    /// [`SharedPages::write_back`]; `append_flags` is set to the file's
    /// flags when `O_APPEND` had to be cleared for the writes (a `pwrite`
    /// with it appends, on NetBSD as on Linux), to be restored.
    pub(super) fn write_dirty(
        &mut self,
        h: &Hijack,
        kfd: i32,
        lo: usize,
        hi: usize,
        append_flags: &mut Option<i32>,
    ) -> Result<(), i32> {
        let mut eof: Option<usize> = None;
        for Range { start: at, end } in self.pieces(lo, hi) {
            let Some(clean) = self.clean.as_ref() else {
                return Ok(());
            };
            let now = self.snapshot(at, end);
            let runs = dirty_runs(&now, &clean.get(at, end), JOIN_GAP);
            for r in runs {
                let size = match eof {
                    Some(s) => s,
                    None => {
                        let st = kstat(h, kfd)?;
                        self.check_file(&st)?;
                        let fl =
                            xlate::open_flags_to_linux(kfcntl(h, kfd, libc::F_GETFL, 0)? as i32);
                        if fl & libc::O_APPEND != 0 {
                            let n = xlate::open_flags_to_netbsd(fl & !libc::O_APPEND)?;
                            kfcntl(h, kfd, libc::F_SETFL, n as u64)?;
                            *append_flags = Some(fl);
                        }
                        *eof.insert(st.st_size.max(0) as usize)
                    }
                };
                // Bytes past the end of the file stay only in the mapping
                // (as on Linux); they remain dirty, to be written should
                // the file grow.
                let (a, b) = (at + r.start, (at + r.end).min(size));
                if a >= b {
                    continue;
                }
                let data = &now[a - at..b - at];
                kwrite_all(h, kfd, data, a as u64)?;
                if let Some(c) = self.clean.as_mut() {
                    c.set(a, data);
                }
            }
        }
        Ok(())
    }

    /// Let the pages go (nothing maps them any more).
    pub(super) fn release(self) {
        if self.view != 0 {
            let _ = host_munmap(self.view, self.size);
        }
        if host_ino(self.memfd) == Some(self.memfd_ino) {
            state::OWN_HOST_FDS.set(self.memfd, false);
            host_close(self.memfd);
        }
    }
}

// The pages are shared with the program's threads, which may store into
// them while the library reads or writes them: the library's accesses are
// atomic (relaxed) ones, so that each byte read is one that was stored,
// never a torn or invented value. A byte changed during a read differs
// from the clean copy afterwards and is written back the next time.

/// Copy `dst.len()` bytes of the shared pages at `src` into `dst`.
fn read_shared(src: usize, dst: &mut [u8]) {
    let mut i = 0;
    while i < dst.len() {
        let at = src + i;
        if at.is_multiple_of(8) && dst.len() - i >= 8 {
            // SAFETY: `at` is 8-aligned and within the library's view of
            // the pages (the caller's range), which lives as long as they do.
            let w = unsafe { AtomicU64::from_ptr(at as *mut u64) }.load(Ordering::Relaxed);
            dst[i..i + 8].copy_from_slice(&w.to_ne_bytes());
            i += 8;
        } else {
            // SAFETY: `at` is within the view, as above.
            dst[i] = unsafe { AtomicU8::from_ptr(at as *mut u8) }.load(Ordering::Relaxed);
            i += 1;
        }
    }
}

/// Store `src` into the shared pages at `dst`.
fn write_shared(dst: usize, src: &[u8]) {
    let mut i = 0;
    while i < src.len() {
        let at = dst + i;
        if at.is_multiple_of(8) && src.len() - i >= 8 {
            let mut w = [0u8; 8];
            w.copy_from_slice(&src[i..i + 8]);
            // SAFETY: `at` is 8-aligned and within the library's writable
            // view of the pages (the caller's range).
            unsafe { AtomicU64::from_ptr(at as *mut u64) }
                .store(u64::from_ne_bytes(w), Ordering::Relaxed);
            i += 8;
        } else {
            // SAFETY: `at` is within the writable view, as above.
            unsafe { AtomicU8::from_ptr(at as *mut u8) }.store(src[i], Ordering::Relaxed);
            i += 1;
        }
    }
}

/// The file's bytes `at..end` through kernel descriptor `kfd` (fewer at
/// its end).
fn read_piece(h: &Hijack, kfd: i32, at: usize, end: usize) -> Result<Vec<u8>, i32> {
    let mut file = vec![0u8; end - at];
    let n = kread_into(h, kfd, file.as_mut_ptr() as usize, end - at, at as u64)?;
    file.truncate(n);
    Ok(file)
}
