//! The pages of a file's shared mappings: a memfd at the file's offsets,
//! the library's own view of it, and what the file is known to hold, to
//! write back what changed and take in what others wrote.

use super::calls::*;
use crate::maptable::{PageCopy, RangeSet, dirty_runs, foreign_runs};
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_char, c_int, c_uint};

/// How much of a shared mapping is compared at a time when writing back.
const WRITE_BACK_CHUNK: usize = 1 << 20;

/// Differing runs this close are written back as one. None are joined:
/// the bytes between may be another process's, changed since this one
/// last read them (sqlite's read marks sit right after its header).
const JOIN_GAP: usize = 0;

/// The pages of a file's shared mappings.
pub(super) struct SharedPages {
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
    pub(super) fn new(h: &Hijack, writable: bool) -> Result<SharedPages, i32> {
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
        Ok(SharedPages {
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
        eprintln!(
            "rumphijack: the descriptor behind mappings of kernel files was closed by the program"
        );
        Err(libc::EBADF)
    }

    /// A copy of bytes `a..b` as the mappings now hold them.
    pub(super) fn snapshot(&self, a: usize, b: usize) -> Vec<u8> {
        let mut v = vec![0u8; b - a];
        // SAFETY: `view` maps `size` bytes of the memfd readable and
        // `a..b` lies within them. Other threads may store into the same
        // pages meanwhile; a byte changed during the copy differs from the
        // clean copy afterwards and is written back the next time.
        unsafe {
            std::ptr::copy_nonoverlapping((self.view + a) as *const u8, v.as_mut_ptr(), b - a)
        };
        v
    }

    /// Make the memfd hold the file's bytes `lo..hi` (whole pages).
    pub(super) fn cover(&mut self, h: &Hijack, kfd: i32, lo: usize, hi: usize) -> Result<(), i32> {
        self.grow(hi)?;
        for gap in self.filled.gaps(lo, hi) {
            kread_into(h, kfd, self.view + gap.start, gap.len(), gap.start as u64)?;
            if self.clean.is_some() {
                let fresh = self.snapshot(gap.start, gap.end);
                if let Some(c) = self.clean.as_mut() {
                    c.set(gap.start, &fresh);
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
        let chunks: Vec<(usize, usize)> = self
            .filled
            .within(lo, hi.min(self.size))
            .into_iter()
            .flat_map(|r| {
                r.clone()
                    .step_by(WRITE_BACK_CHUNK)
                    .map(move |at| (at, (at + WRITE_BACK_CHUNK).min(r.end)))
            })
            .collect();
        for (at, end) in chunks {
            let mut file = vec![0u8; end - at];
            let n = kread_into(h, kfd, file.as_mut_ptr() as usize, end - at, at as u64)?;
            let now = self.snapshot(at, at + n);
            let runs = match self.clean.as_ref() {
                Some(c) => foreign_runs(&file[..n], &now, &c.get(at, at + n)),
                // Nothing here writes to a file not written through.
                None => foreign_runs(&file[..n], &now, &now),
            };
            for r in runs {
                // SAFETY: `view` maps `size` bytes of the memfd writable,
                // and `at + r.end` is within them.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        file[r.clone()].as_ptr(),
                        (self.view + at + r.start) as *mut u8,
                        r.len(),
                    )
                };
                if let Some(c) = self.clean.as_mut() {
                    c.set(at + r.start, &file[r]);
                }
            }
        }
        Ok(())
    }

    /// Zero the pages from `len` on, in the mappings and the clean copy:
    /// the file was cut there.
    pub(super) fn zero_from(&mut self, len: usize) {
        for r in self.filled.within(len, self.size) {
            // SAFETY: `view` maps `size` bytes of the memfd writable, and
            // `r` lies within them.
            unsafe { std::ptr::write_bytes((self.view + r.start) as *mut u8, 0, r.len()) };
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
        let chunks = self
            .filled
            .within(lo, hi.min(self.size))
            .into_iter()
            .flat_map(|r| {
                r.clone()
                    .step_by(WRITE_BACK_CHUNK)
                    .map(move |at| (at, (at + WRITE_BACK_CHUNK).min(r.end)))
            });
        for (at, end) in chunks {
            let Some(clean) = self.clean.as_ref() else {
                return Ok(());
            };
            let now = self.snapshot(at, end);
            let runs = dirty_runs(&now, &clean.get(at, end), JOIN_GAP);
            for r in runs {
                let size = match eof {
                    Some(s) => s,
                    None => {
                        let fl =
                            xlate::open_flags_to_linux(kfcntl(h, kfd, libc::F_GETFL, 0)? as i32);
                        if fl & libc::O_APPEND != 0 {
                            let n = xlate::open_flags_to_netbsd(fl & !libc::O_APPEND)?;
                            kfcntl(h, kfd, libc::F_SETFL, n as u64)?;
                            *append_flags = Some(fl);
                        }
                        *eof.insert(kstat(h, kfd)?.st_size.max(0) as usize)
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
            host_close(self.memfd);
        }
    }
}
