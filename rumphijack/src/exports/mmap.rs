//! `mmap` and its companions on kernel files. The host cannot map a file
//! it does not have, so a mapping of a kernel descriptor is host memory
//! filled by reading the file through the kernel:
//!
//! - `MAP_PRIVATE`: anonymous memory holding a copy of the file's bytes.
//! - `MAP_SHARED`: one memfd per file (by the kernel's `st_dev`/`st_ino`),
//!   laid out at the file's own offsets and mapped shared, so every shared
//!   mapping of one file in this process sees the same pages. The library
//!   keeps its own view of the memfd and a copy of what the file held; the
//!   bytes that differ are written back (never past the file's end) at
//!   `msync`, `munmap`, exit, `exec`, and before the kernel reads or syncs
//!   a file for this process (the file I/O barrier in `state`).
//!
//! Mappings of one file in two processes do not see each other's writes
//! until one writes back and the other maps the file again: each process
//! has its own pages.

use super::{Scratch, by_fd, set_errno};
use crate::maptable::{
    FileId, MapTable, Mapping, PAGE, RangeSet, dirty_runs, foreign_runs, page_up,
};
use crate::nr;
use crate::state::{self, FileIoDone, Hijack};
use crate::xlate;
use libc::{c_char, c_int, c_uint, c_void, off_t, size_t};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};

const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

// Linux's flag values (<linux/mman.h>), named once.
const MAP_TYPE: c_int = 0x0f;
const MAP_SHARED_VALIDATE: c_int = 0x03;
const MAP_SYNC: c_int = 0x80000;
const MAP_FIXED_NOREPLACE: c_int = 0x100000;
const MAP_UNINITIALIZED: c_int = 0x4000000;
const MREMAP_DONTUNMAP: c_int = 4;

/// Flags handed on to the host's `mmap` of the memory behind a mapping.
const HOST_FLAGS: c_int = libc::MAP_FIXED
    | MAP_FIXED_NOREPLACE
    | libc::MAP_NORESERVE
    | libc::MAP_POPULATE
    | libc::MAP_NONBLOCK
    | libc::MAP_LOCKED
    | libc::MAP_32BIT
    | libc::MAP_STACK;

/// Flags Linux accepts and ignores for a file mapping.
const IGNORED_FLAGS: c_int = libc::MAP_DENYWRITE | libc::MAP_EXECUTABLE | MAP_UNINITIALIZED;

/// How much of a shared mapping is compared at a time when writing back.
const WRITE_BACK_CHUNK: usize = 1 << 20;

/// Differing runs this close are written back as one. None are joined:
/// the bytes between may be another process's, changed since this one
/// last read them (sqlite's read marks sit right after its header).
const JOIN_GAP: usize = 0;

/// The pages of a file's shared mappings.
struct SharedPages {
    /// The host memfd holding them, at the file's offsets.
    memfd: c_int,
    /// Its inode, to notice a program that closed or replaced the number.
    memfd_ino: u64,
    /// Bytes in the memfd (whole pages).
    size: usize,
    /// The parts of the memfd read from the file: those mapped so far (a
    /// mapping far into a file does not read all that comes before).
    filled: RangeSet,
    /// The library's own shared mapping of all `size` bytes (0: none yet).
    view: usize,
    /// The file's modification and change times and size when it was
    /// last read whole into the pages: a lock taken while they are the
    /// same finds nothing new to read.
    seen: Option<[i64; 5]>,
    /// The file's bytes (in the filled parts) as last read or written
    /// back; `None` when the file is not written through (no descriptor
    /// allowed it).
    clean: Option<Vec<u8>>,
}

/// A kernel file mapped by this process.
struct Backing {
    /// A kernel descriptor of the file, the library's own (close-on-exec),
    /// to fill mappings from and write them back to after the program has
    /// closed its descriptor, as a mapping outlives it.
    kfd: i32,
    /// `kfd` is open for reading and writing.
    writable: bool,
    /// Its shared pages, once it is mapped shared.
    pages: Option<SharedPages>,
}

/// The table and the files it maps.
pub(crate) struct Maps {
    table: MapTable,
    files: BTreeMap<FileId, Backing>,
    /// The files behind the program's kernel descriptors, as far as they
    /// have been asked: kept while the barrier is armed, which sees every
    /// close and `dup2` onto a number.
    fd_files: BTreeMap<i32, FileId>,
}

static MAPS: Mutex<Maps> = Mutex::new(Maps {
    table: MapTable::new(),
    files: BTreeMap::new(),
    fd_files: BTreeMap::new(),
});

/// How many ranges the table holds: calls on host memory look no further
/// while it is 0.
static LIVE: AtomicUsize = AtomicUsize::new(0);

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

fn maps() -> MapsGuard {
    let g = MAPS.lock().unwrap_or_else(|e| e.into_inner());
    HOLDING.with(|h| h.set(true));
    MapsGuard(g)
}

/// The table, unless this thread holds it already (see `HOLDING`).
fn maps_unless_held() -> Option<MapsGuard> {
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

fn errno() -> i32 {
    // SAFETY: this thread's errno.
    unsafe { *libc::__errno_location() }
}

fn check(r: c_int) -> Result<(), i32> {
    if r < 0 { Err(errno()) } else { Ok(()) }
}

// The host's memory calls (this library's own would route them).

fn host_mmap(
    addr: usize,
    len: usize,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: u64,
) -> Result<usize, i32> {
    let p = host!(
        mmap(addr as *mut c_void, len, prot, flags, fd, off as off_t)
            as fn(*mut c_void, size_t, c_int, c_int, c_int, off_t) -> *mut c_void
    );
    if p == MAP_FAILED {
        Err(errno())
    } else {
        Ok(p as usize)
    }
}

fn host_munmap(addr: usize, len: usize) -> Result<(), i32> {
    check(host!(
        munmap(addr as *mut c_void, len) as fn(*mut c_void, size_t) -> c_int
    ))
}

fn host_mprotect(addr: usize, len: usize, prot: c_int) -> Result<(), i32> {
    check(host!(
        mprotect(addr as *mut c_void, len, prot) as fn(*mut c_void, size_t, c_int) -> c_int
    ))
}

fn host_mremap(
    old: usize,
    old_len: usize,
    new_len: usize,
    flags: c_int,
    to: usize,
) -> Result<usize, i32> {
    let p = host!(mremap(
        old as *mut c_void,
        old_len,
        new_len,
        flags,
        to as *mut c_void
    )
        as fn(*mut c_void, size_t, size_t, c_int, *mut c_void) -> *mut c_void);
    if p == MAP_FAILED {
        Err(errno())
    } else {
        Ok(p as usize)
    }
}

fn host_ftruncate(fd: c_int, len: usize) -> Result<(), i32> {
    check(host!(
        ftruncate(fd, len as off_t) as fn(c_int, off_t) -> c_int
    ))
}

fn host_close(fd: c_int) {
    host!(close(fd) as fn(c_int) -> c_int);
}

fn host_ino(fd: c_int) -> Option<u64> {
    // SAFETY: libc::stat is plain C data, valid all zero.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = host!(fstat(fd, &mut st) as fn(c_int, *mut libc::stat) -> c_int);
    (r == 0).then_some(st.st_ino)
}

// Kernel calls. They skip the file I/O barrier: its work is done here,
// under the table's lock.

fn kstat(h: &Hijack, k: i32) -> Result<libc::stat, i32> {
    let mut buf = Scratch::new(xlate::NETBSD_STAT_LEN);
    h.sys_unbarriered(nr::FSTAT, &[k as u64, buf.arg()])?;
    xlate::stat_from_netbsd(buf.bytes()).ok_or(libc::EIO)
}

fn kfcntl(h: &Hijack, k: i32, cmd: c_int, arg: u64) -> Result<i64, i32> {
    let ncmd = xlate::fcntl_cmd_to_netbsd(cmd).ok_or(libc::EINVAL)?;
    h.sys_unbarriered(nr::FCNTL, &[k as u64, ncmd as u64, arg])
}

fn kclose(h: &Hijack, k: i32) {
    let _ = h.sys_unbarriered(nr::CLOSE, &[k as u64]);
}

/// Read `len` bytes of the file at `off` into this process's memory at
/// `addr`; what lies past the end of the file is left as it is (zero).
/// Returns how many bytes the file had.
fn kread_into(h: &Hijack, k: i32, addr: usize, len: usize, off: u64) -> Result<usize, i32> {
    let mut done = 0;
    while done < len {
        // NetBSD's pread has a padding slot before the offset.
        let n = h.sys_unbarriered(
            nr::PREAD,
            &[
                k as u64,
                (addr + done) as u64,
                (len - done) as u64,
                0,
                off + done as u64,
            ],
        )? as usize;
        if n == 0 {
            break;
        }
        done += n;
    }
    Ok(done)
}

fn kwrite_all(h: &Hijack, k: i32, data: &[u8], off: u64) -> Result<(), i32> {
    let mut done = 0;
    while done < data.len() {
        let n = h.sys_unbarriered(
            nr::PWRITE,
            &[
                k as u64,
                data[done..].as_ptr() as u64,
                (data.len() - done) as u64,
                0,
                off + done as u64,
            ],
        )? as usize;
        if n == 0 {
            return Err(libc::EIO);
        }
        done += n;
    }
    Ok(())
}

/// Say on standard error that mapped data could not reach its file: the
/// program is not told otherwise (`munmap` and exit cannot fail for it).
fn report(e: i32) {
    eprintln!(
        "rumphijack: writing a mapping back to its kernel file failed: {}",
        std::io::Error::from_raw_os_error(e)
    );
}

impl SharedPages {
    fn new(h: &Hijack, writable: bool) -> Result<SharedPages, i32> {
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
            clean: writable.then(Vec::new),
        })
    }

    /// The memfd is still under its number (a program may close every
    /// descriptor it does not know of).
    fn memfd_ok(&self) -> Result<(), i32> {
        if host_ino(self.memfd) == Some(self.memfd_ino) {
            return Ok(());
        }
        eprintln!(
            "rumphijack: the descriptor behind mappings of kernel files was closed by the program"
        );
        Err(libc::EBADF)
    }

    /// A copy of bytes `a..b` as the mappings now hold them.
    fn snapshot(&self, a: usize, b: usize) -> Vec<u8> {
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
    fn cover(&mut self, h: &Hijack, kfd: i32, lo: usize, hi: usize) -> Result<(), i32> {
        self.grow(hi)?;
        for gap in self.filled.gaps(lo, hi) {
            kread_into(h, kfd, self.view + gap.start, gap.len(), gap.start as u64)?;
            if self.clean.is_some() {
                let fresh = self.snapshot(gap.start, gap.end);
                if let Some(c) = self.clean.as_mut() {
                    c[gap.clone()].copy_from_slice(&fresh);
                }
            }
            self.filled.add(gap);
        }
        Ok(())
    }

    /// Make the memfd (and the view, and the clean copy) `need` bytes long.
    fn grow(&mut self, need: usize) -> Result<(), i32> {
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
        if let Some(c) = self.clean.as_mut() {
            // A fresh zeroed allocation costs no memory until the parts
            // that are filled are written.
            let mut bigger = vec![0u8; need];
            bigger[..old].copy_from_slice(c);
            *c = bigger;
        }
        Ok(())
    }

    /// The clean copy of what is filled now: for a file that becomes
    /// written through (shared read-only mappings could not change it).
    fn clean_now(&self) -> Vec<u8> {
        let mut c = vec![0u8; self.size];
        for r in self.filled.within(0, self.size) {
            c[r.clone()].copy_from_slice(&self.snapshot(r.start, r.end));
        }
        c
    }

    /// Take in what another process wrote to the file since this one last
    /// read or wrote it, where this one's mappings have not changed it.
    fn refresh(&mut self, h: &Hijack, kfd: i32) -> Result<(), i32> {
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
    fn refresh_range(&mut self, h: &Hijack, kfd: i32, lo: usize, hi: usize) -> Result<(), i32> {
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
                Some(c) => foreign_runs(&file[..n], &now, &c[at..at + n]),
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
                    c[at + r.start..at + r.end].copy_from_slice(&file[r]);
                }
            }
        }
        Ok(())
    }

    /// Write the bytes of `lo..hi` (file offsets) that differ from the
    /// clean copy to the file, up to its end.
    fn write_back(&mut self, h: &Hijack, kfd: i32, lo: usize, hi: usize) -> Result<(), i32> {
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
    fn write_dirty(
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
            let runs = dirty_runs(&now, &clean[at..end], JOIN_GAP);
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
                    c[a..b].copy_from_slice(data);
                }
            }
        }
        Ok(())
    }

    fn release(self) {
        if self.view != 0 {
            let _ = host_munmap(self.view, self.size);
        }
        if host_ino(self.memfd) == Some(self.memfd_ino) {
            host_close(self.memfd);
        }
    }
}

impl Maps {
    /// The file behind the program's kernel descriptor `k`, remembered
    /// until the descriptor is closed or replaced.
    fn file_of(&mut self, h: &Hijack, k: i32) -> Result<FileId, i32> {
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
    fn refresh_all(&mut self, h: &Hijack) -> Result<(), i32> {
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
    fn wrote(&mut self, h: &Hijack, k: i32, off: Option<u64>, n: u64) -> Result<(), i32> {
        let id = self.file_of(h, k)?;
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

    /// A file was truncated to `len` through descriptor `k`, or by path.
    fn truncated(&mut self, h: &Hijack, k: Option<i32>, len: u64) -> Result<(), i32> {
        let only = match k {
            Some(k) => Some(self.file_of(h, k)?),
            None => None,
        };
        for (id, f) in self.files.iter_mut() {
            if only.is_some_and(|o| o != *id) {
                continue;
            }
            if let Some(p) = f.pages.as_mut() {
                // What lies past the end reads as zero when it grows back.
                p.refresh_range(h, f.kfd, len as usize, usize::MAX)?;
            }
        }
        Ok(())
    }

    /// The backing of file `id`, made from the program's kernel descriptor
    /// `k` if it has none; made writable if `k` allows writing.
    fn backing(
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
            let kfd = kfcntl(h, k, libc::F_DUPFD_CLOEXEC, 0)? as i32;
            kclose(h, b.kfd);
            b.kfd = kfd;
            b.writable = true;
            if let Some(p) = b.pages.as_mut() {
                p.clean = Some(p.clean_now());
            }
        }
        if shared && b.pages.is_none() {
            b.pages = Some(SharedPages::new(h, b.writable)?);
        }
        Ok(())
    }

    /// Write back what the shared mappings in `a..b` changed.
    fn write_back_range(&mut self, h: &Hijack, a: usize, b: usize) -> Result<(), i32> {
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
    fn write_back_all(&mut self, h: &Hijack) -> Result<(), i32> {
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
    fn settle(&mut self, h: &Hijack) {
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
        let barrier = state::FileIoBarrier {
            before: file_io_barrier,
            after: after_file_io,
        };
        state::arm_file_io_barrier(barrier, shared);
    }
}

/// Before the kernel reads or syncs a file: what shared mappings changed
/// reaches the files first, so `read` and `fsync` see it.
fn file_io_barrier(h: &Hijack) {
    let Some(mut m) = maps_unless_held() else {
        return;
    };
    if let Err(e) = m.write_back_all(h) {
        report(e);
    }
}

/// After a kernel call the barrier follows (see [`state::FileIoDone`]).
fn after_file_io(h: &Hijack, done: FileIoDone) {
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
        FileIoDone::Truncated { fd, len } => m.truncated(h, fd, len),
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
fn at_exit() {
    if LIVE.load(Ordering::Relaxed) == 0 {
        return;
    }
    if let Some(h) = state::get()
        && let Err(e) = maps().write_back_all(h)
    {
        report(e);
    }
}

/// The flags to hand on to the host for a file mapping, or Linux's errno
/// for flags this cannot honour.
fn host_flags_for(flags: c_int) -> Result<c_int, i32> {
    if flags & (libc::MAP_HUGETLB | libc::MAP_GROWSDOWN) != 0 {
        // Linux: huge pages need hugetlbfs; growing down is for stacks.
        return Err(libc::EINVAL);
    }
    if flags & MAP_TYPE == MAP_SHARED_VALIDATE {
        if flags & MAP_SYNC != 0 {
            // What Linux says for a file without DAX.
            return Err(libc::EOPNOTSUPP);
        }
        if flags & !(MAP_TYPE | HOST_FLAGS | IGNORED_FLAGS) != 0 {
            return Err(libc::EOPNOTSUPP);
        }
    }
    Ok(flags & HOST_FLAGS)
}

/// `mmap` of kernel descriptor `k`.
fn map_file(
    h: &Hijack,
    k: i32,
    addr: usize,
    len: usize,
    prot: c_int,
    flags: c_int,
    off: off_t,
) -> Result<usize, i32> {
    if len == 0 || off < 0 || !(off as usize).is_multiple_of(PAGE) {
        return Err(libc::EINVAL);
    }
    let plen = page_up(len).ok_or(libc::ENOMEM)?;
    let off = off as u64;
    if off
        .checked_add(plen as u64)
        .is_none_or(|e| e > i64::MAX as u64)
    {
        return Err(libc::EOVERFLOW);
    }
    let shared = match flags & MAP_TYPE {
        libc::MAP_SHARED | MAP_SHARED_VALIDATE => true,
        libc::MAP_PRIVATE => false,
        _ => return Err(libc::EINVAL),
    };
    let hflags = host_flags_for(flags)?;
    let st = kstat(h, k)?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        // Linux's answer for a file whose file system cannot map it.
        return Err(libc::ENODEV);
    }
    let fl = xlate::open_flags_to_linux(kfcntl(h, k, libc::F_GETFL, 0)? as i32);
    if fl & libc::O_ACCMODE == libc::O_WRONLY {
        return Err(libc::EACCES);
    }
    let may_write = shared && fl & libc::O_ACCMODE == libc::O_RDWR;
    if shared && prot & libc::PROT_WRITE != 0 && !may_write {
        return Err(libc::EACCES);
    }
    let id = FileId {
        dev: st.st_dev,
        ino: st.st_ino,
    };
    let mut m = maps();
    m.fd_files.insert(k, id);
    let fixed = flags & libc::MAP_FIXED != 0;
    if fixed && let Err(e) = m.write_back_range(h, addr, addr.saturating_add(plen)) {
        report(e);
    }
    let r = m.backing(h, id, k, may_write, shared).and_then(|()| {
        let b = m.files.get_mut(&id).ok_or(libc::EIO)?;
        let kfd = b.kfd;
        match b.pages.as_mut() {
            Some(p) if shared => {
                p.cover(h, kfd, off as usize, off as usize + plen)?;
                p.memfd_ok()?;
                host_mmap(addr, plen, prot, libc::MAP_SHARED | hflags, p.memfd, off)
            }
            pages => {
                // A private copy starts from what this process's shared
                // mappings of the file hold, as Linux's page cache gives.
                if let Some(p) = pages
                    && let Err(e) = p.write_back(h, kfd, 0, p.size)
                {
                    report(e);
                }
                let rw = libc::PROT_READ | libc::PROT_WRITE;
                let at = host_mmap(
                    addr,
                    plen,
                    rw,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | hflags,
                    -1,
                    0,
                )?;
                let filled = kread_into(h, kfd, at, plen, off).and_then(|_| {
                    if prot != rw {
                        host_mprotect(at, plen, prot)
                    } else {
                        Ok(())
                    }
                });
                if let Err(e) = filled {
                    // MAP_FIXED has already replaced what was there.
                    if fixed {
                        m.table.remove_range(at, at + plen);
                    }
                    let _ = host_munmap(at, plen);
                    return Err(e);
                }
                Ok(at)
            }
        }
    });
    if let Ok(at) = r {
        m.table.remove_range(at, at + plen);
        m.table.insert(Mapping {
            start: at,
            len: plen,
            file: id,
            offset: off,
            prot,
            shared,
            may_write,
        });
    }
    m.settle(h);
    r
}

/// A host mapping about to replace `a..b` (MAP_FIXED, MREMAP_FIXED): what
/// kernel mappings there changed is written back first.
fn before_replacing(h: &Hijack, m: &mut Maps, a: usize, b: usize) {
    if let Err(e) = m.write_back_range(h, a, b) {
        report(e);
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mmap(
    addr: *mut c_void,
    len: size_t,
    prot: c_int,
    flags: c_int,
    fd: c_int,
    off: off_t,
) -> *mut c_void {
    let host = || {
        host!(mmap(addr, len, prot, flags, fd, off)
            as fn(
                *mut c_void,
                size_t,
                c_int,
                c_int,
                c_int,
                off_t,
            ) -> *mut c_void)
    };
    let Some(h) = state::get() else {
        return host();
    };
    let kernel = if flags & libc::MAP_ANONYMOUS != 0 {
        None
    } else {
        by_fd(fd)
    };
    let Some((h, k)) = kernel else {
        if flags & libc::MAP_FIXED == 0 || LIVE.load(Ordering::Relaxed) == 0 {
            return host();
        }
        let (a, b) = (
            addr as usize,
            (addr as usize).saturating_add(page_up(len).unwrap_or(usize::MAX)),
        );
        let mut m = maps();
        before_replacing(h, &mut m, a, b);
        let p = host();
        if p != MAP_FAILED {
            m.table.remove_range(a, b);
            m.settle(h);
        }
        return p;
    };
    match map_file(h, k, addr as usize, len, prot, flags, off) {
        Ok(p) => p as *mut c_void,
        Err(e) => {
            set_errno(e);
            MAP_FAILED
        }
    }
}

alias!(mmap64 => mmap(addr: *mut c_void, len: size_t, prot: c_int, flags: c_int, fd: c_int, off: off_t) -> *mut c_void);

/// The page range `addr..addr+len` of a call on memory, if it is one the
/// host would take (otherwise the host gives the errno).
fn page_range(addr: *mut c_void, len: size_t) -> Option<(usize, usize)> {
    let a = addr as usize;
    if !a.is_multiple_of(PAGE) || len == 0 {
        return None;
    }
    Some((a, a.checked_add(page_up(len)?)?))
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn munmap(addr: *mut c_void, len: size_t) -> c_int {
    let host = || host!(munmap(addr, len) as fn(*mut c_void, size_t) -> c_int);
    if LIVE.load(Ordering::Relaxed) == 0 {
        return host();
    }
    let (Some(h), Some((a, b))) = (state::get(), page_range(addr, len)) else {
        return host();
    };
    let mut m = maps();
    if m.table.overlapping(a, b).is_empty() {
        drop(m);
        return host();
    }
    if let Err(e) = m.write_back_range(h, a, b) {
        report(e);
    }
    let r = host();
    if r == 0 {
        m.table.remove_range(a, b);
        m.settle(h);
    }
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mprotect(addr: *mut c_void, len: size_t, prot: c_int) -> c_int {
    let host = || host!(mprotect(addr, len, prot) as fn(*mut c_void, size_t, c_int) -> c_int);
    if LIVE.load(Ordering::Relaxed) == 0 {
        return host();
    }
    let (Some(_), Some((a, b))) = (state::get(), page_range(addr, len)) else {
        return host();
    };
    let mut m = maps();
    let parts = m.table.overlapping(a, b);
    if prot & libc::PROT_WRITE != 0 && parts.iter().any(|p| p.shared && !p.may_write) {
        // Linux: the descriptor did not allow a shared writable mapping.
        set_errno(libc::EACCES);
        return -1;
    }
    let r = host();
    if r == 0 && !parts.is_empty() {
        m.table.set_prot(a, b, prot);
    }
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn msync(addr: *mut c_void, len: size_t, flags: c_int) -> c_int {
    // The host checks the flags, the alignment and that all is mapped.
    let r = host!(msync(addr, len, flags) as fn(*mut c_void, size_t, c_int) -> c_int);
    if r < 0 || LIVE.load(Ordering::Relaxed) == 0 {
        return r;
    }
    let Some(h) = state::get() else {
        return r;
    };
    let a = addr as usize;
    let b = a.saturating_add(page_up(len).unwrap_or(usize::MAX));
    let mut m = maps();
    let mut res = m.write_back_range(h, a, b);
    if res.is_ok() && flags & libc::MS_SYNC != 0 {
        // As Linux's msync, which syncs the file's range.
        let mut files: Vec<FileId> = m
            .table
            .overlapping(a, b)
            .iter()
            .filter(|p| p.shared)
            .map(|p| p.file)
            .collect();
        files.dedup();
        for id in files {
            if let Some(f) = m.files.get(&id).filter(|f| f.writable) {
                res = res.and(h.sys_unbarriered(nr::FSYNC, &[f.kfd as u64]).map(|_| ()));
            }
        }
    }
    super::ret0(res.map(|()| 0))
}

/// Linux's `MADV_WIPEONFORK` (<asm-generic/mman-common.h>).
const MADV_WIPEONFORK: c_int = 18;

/// Read the file's bytes again into the private mapping part `m`, whose
/// pages `MADV_DONTNEED` has just emptied: Linux refaults them from the
/// file, where this memory would come back zero.
fn refill_private(h: &Hijack, maps: &mut Maps, m: &Mapping) -> Result<(), i32> {
    let f = maps.files.get_mut(&m.file).ok_or(libc::EIO)?;
    let kfd = f.kfd;
    if let Some(p) = f.pages.as_mut() {
        let r = m.file_range();
        p.write_back(h, kfd, r.start as usize, r.end as usize)?;
    }
    let rw = libc::PROT_READ | libc::PROT_WRITE;
    host_mprotect(m.start, m.len, rw)?;
    let r = kread_into(h, kfd, m.start, m.len, m.offset).map(|_| ());
    host_mprotect(m.start, m.len, m.prot)?;
    r
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn madvise(addr: *mut c_void, len: size_t, advice: c_int) -> c_int {
    let host = || host!(madvise(addr, len, advice) as fn(*mut c_void, size_t, c_int) -> c_int);
    if LIVE.load(Ordering::Relaxed) == 0 {
        return host();
    }
    let (Some(h), Some((a, b))) = (state::get(), page_range(addr, len)) else {
        return host();
    };
    let mut m = maps();
    let parts = m.table.overlapping(a, b);
    if parts.is_empty() {
        drop(m);
        return host();
    }
    if matches!(advice, libc::MADV_FREE | MADV_WIPEONFORK) {
        // Linux keeps these for private anonymous memory, which the
        // private copies here are only underneath.
        set_errno(libc::EINVAL);
        return -1;
    }
    if advice == libc::MADV_REMOVE
        && parts
            .iter()
            .any(|p| !p.shared || p.prot & libc::PROT_WRITE == 0)
    {
        // Linux frees a file's blocks only through a shared writable
        // mapping; the memfd's are freed, and the hole written back as zeros.
        set_errno(libc::EACCES);
        return -1;
    }
    let r = host();
    if r == 0 && advice == libc::MADV_DONTNEED {
        for p in parts.iter().filter(|p| !p.shared) {
            if let Err(e) = refill_private(h, &mut m, p) {
                set_errno(e);
                return -1;
            }
        }
    }
    r
}

/// The arguments of an `mremap` call.
struct Remap {
    /// The old address.
    a: usize,
    old_size: usize,
    new_size: usize,
    flags: c_int,
    /// The new address (MREMAP_FIXED).
    to: usize,
}

/// `mremap` of (part of) the kernel mapping `src`.
fn remap_file(h: &Hijack, m: &mut Maps, src: Mapping, call: Remap) -> Result<usize, i32> {
    let Remap {
        a,
        old_size,
        new_size,
        flags,
        to,
    } = call;
    let (Some(old_len), Some(new_len)) = (page_up(old_size), page_up(new_size)) else {
        return Err(libc::ENOMEM);
    };
    if new_len == 0 || flags & MREMAP_DONTUNMAP != 0 {
        // Linux keeps MREMAP_DONTUNMAP for private anonymous memory.
        return Err(libc::EINVAL);
    }
    if old_len == 0 && !src.shared {
        return Err(libc::EINVAL);
    }
    if a + old_len > src.end() {
        return Err(libc::EFAULT);
    }
    let off = src.offset + (a - src.start) as u64;
    let f = m.files.get_mut(&src.file).ok_or(libc::EIO)?;
    let kfd = f.kfd;
    if let Some(p) = f.pages.as_mut().filter(|_| src.shared) {
        if new_len > old_len {
            p.cover(h, kfd, off as usize, off as usize + new_len)?;
        } else if let Err(e) = p.write_back(h, kfd, off as usize + new_len, off as usize + old_len)
        {
            report(e);
        }
    }
    if flags & libc::MREMAP_FIXED != 0 {
        before_replacing(h, m, to, to.saturating_add(new_len));
    }
    let p = host_mremap(a, old_size, new_size, flags, to)?;
    let mut got = new_len;
    if !src.shared && new_len > old_len {
        // The new tail of a private mapping holds the file's next bytes.
        let tail = p + old_len;
        let rw = libc::PROT_READ | libc::PROT_WRITE;
        let filled = host_mprotect(tail, new_len - old_len, rw)
            .and_then(|()| kread_into(h, kfd, tail, new_len - old_len, off + old_len as u64))
            .map(|_| ())
            .and_then(|()| host_mprotect(tail, new_len - old_len, src.prot));
        if let Err(e) = filled {
            let _ = host_mremap(p, new_len, old_len, 0, 0);
            got = old_len;
            m.table.remove_range(a, a + old_len);
            m.table.insert(Mapping {
                start: p,
                len: got,
                offset: off,
                ..src
            });
            return Err(e);
        }
    }
    if old_len != 0 {
        m.table.remove_range(a, a + old_len);
    }
    m.table.remove_range(p, p + got);
    m.table.insert(Mapping {
        start: p,
        len: got,
        offset: off,
        ..src
    });
    Ok(p)
}

/// `mremap` (glibc's is variadic; the fifth argument is read only with
/// MREMAP_FIXED, as the host does).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mremap(
    old: *mut c_void,
    old_size: size_t,
    new_size: size_t,
    flags: c_int,
    to: *mut c_void,
) -> *mut c_void {
    let host = || {
        host!(mremap(old, old_size, new_size, flags, to)
            as fn(
                *mut c_void,
                size_t,
                size_t,
                c_int,
                *mut c_void,
            ) -> *mut c_void)
    };
    if LIVE.load(Ordering::Relaxed) == 0 {
        return host();
    }
    let Some(h) = state::get() else {
        return host();
    };
    let a = old as usize;
    let mut m = maps();
    let src = if a.is_multiple_of(PAGE) {
        m.table.containing(a)
    } else {
        None
    };
    let r = match src {
        Some(src) => remap_file(
            h,
            &mut m,
            src,
            Remap {
                a,
                old_size,
                new_size,
                flags,
                to: to as usize,
            },
        ),
        None => {
            let fixed = flags & libc::MREMAP_FIXED != 0;
            let end = (to as usize).saturating_add(page_up(new_size).unwrap_or(usize::MAX));
            if fixed {
                before_replacing(h, &mut m, to as usize, end);
            }
            let p = host();
            if p == MAP_FAILED {
                return p;
            }
            if fixed {
                m.table.remove_range(to as usize, end);
            }
            Ok(p as usize)
        }
    };
    m.settle(h);
    match r {
        Ok(p) => p as *mut c_void,
        Err(e) => {
            set_errno(e);
            MAP_FAILED
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _exit(status: c_int) -> ! {
    at_exit();
    host!(_exit(status) as fn(c_int) -> ());
    // SAFETY: the host's _exit does not return; this is never reached.
    unsafe { libc::abort() }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn _Exit(status: c_int) -> ! {
    // SAFETY: the same function.
    unsafe { _exit(status) }
}

/// Runs at `exit`, after the program's own handlers.
extern "C" fn fini() {
    at_exit();
}

#[used]
#[unsafe(link_section = ".fini_array")]
static FINI: extern "C" fn() = fini;
