//! Files mapped shared between processes, and waiting for another process
//! to write one: what NetBSD's `rumpcomp_shmif_*` host calls do for the
//! shmif bus (`mmap` with `MAP_SHARED`, inotify, a `pwrite` as the wakeup).

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering, fence};
use std::time::Duration;

/// A host file mapped read-write and shared with every other process that
/// maps it. Other processes change it at any time: it is only read and
/// written by copying, or through atomic words.
pub struct SharedFileMap {
    file: File,
    map: memmap2::MmapRaw,
    path: String,
}

impl SharedFileMap {
    /// Open (creating) `path`, size it to `len` bytes (growing or cutting
    /// it, as NetBSD's shmif does) and map it.
    pub fn open(path: &str, len: usize) -> std::io::Result<SharedFileMap> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        if file.metadata()?.len() != len as u64 {
            file.set_len(len as u64)?;
        }
        let map = memmap2::MmapOptions::new().len(len).map_raw(&file)?;
        Ok(SharedFileMap {
            file,
            map,
            path: path.to_owned(),
        })
    }

    /// The path it was opened by.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the mapping is empty.
    pub fn is_empty(&self) -> bool {
        self.map.len() == 0
    }

    fn check(&self, off: usize, len: usize, align: usize) {
        assert!(
            off.checked_add(len).is_some_and(|e| e <= self.len()) && off.is_multiple_of(align),
            "shared mapping access out of range"
        );
    }

    /// Copy `buf.len()` bytes from `off`. Panics if out of range.
    pub fn read(&self, off: usize, buf: &mut [u8]) {
        self.check(off, buf.len(), 1);
        // SAFETY: the range was checked to lie inside the mapping, which
        // lives as long as `self`. Other processes may write the same bytes
        // concurrently; callers serialise through the bus lock, and a torn
        // read only yields bytes the caller validates.
        unsafe {
            std::ptr::copy_nonoverlapping(self.map.as_ptr().add(off), buf.as_mut_ptr(), buf.len())
        };
    }

    /// Copy `len` bytes from `off` onto the end of `out`, without zeroing
    /// the room first as a [`SharedFileMap::read`] into a resized vector
    /// would. Panics if out of range.
    pub fn read_append(&self, off: usize, len: usize, out: &mut Vec<u8>) {
        self.check(off, len, 1);
        out.reserve(len);
        let at = out.len();
        // SAFETY: the source range was checked to lie inside the live
        // mapping (torn reads as in `read`); the destination is `len` bytes
        // of the vector's spare capacity, reserved just above, and the
        // length is extended over them only once the copy has filled them.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.map.as_ptr().add(off),
                out.as_mut_ptr().add(at),
                len,
            );
            out.set_len(at + len);
        }
    }

    /// Copy `data` to `off`. Panics if out of range.
    pub fn write(&self, off: usize, data: &[u8]) {
        self.check(off, data.len(), 1);
        // SAFETY: as in `read`: the range lies inside the live mapping, and
        // writers serialise through the bus lock.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.map.as_mut_ptr().add(off), data.len())
        };
    }

    fn word32(&self, off: usize) -> &AtomicU32 {
        self.check(off, 4, 4);
        // SAFETY: the word is inside the mapping and 4-byte aligned (the
        // mapping is page aligned and `off` was checked); the mapping
        // outlives the returned reference, which borrows `self`.
        unsafe { AtomicU32::from_ptr(self.map.as_mut_ptr().add(off).cast()) }
    }

    fn word64(&self, off: usize) -> &AtomicU64 {
        self.check(off, 8, 8);
        // SAFETY: as in `word32`, with 8-byte alignment checked.
        unsafe { AtomicU64::from_ptr(self.map.as_mut_ptr().add(off).cast()) }
    }

    /// Read the 32-bit word at `off` (4-byte aligned).
    pub fn load32(&self, off: usize) -> u32 {
        self.word32(off).load(Ordering::Acquire)
    }

    /// Write the 32-bit word at `off`.
    pub fn store32(&self, off: usize, v: u32) {
        self.word32(off).store(v, Ordering::Release);
    }

    /// Compare-and-swap the 32-bit word at `off`; the value found.
    pub fn cas32(&self, off: usize, old: u32, new: u32) -> u32 {
        match self
            .word32(off)
            .compare_exchange(old, new, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(v) | Err(v) => v,
        }
    }

    /// Swap the 32-bit word at `off`; the old value.
    pub fn swap32(&self, off: usize, v: u32) -> u32 {
        self.word32(off).swap(v, Ordering::AcqRel)
    }

    /// Read the 64-bit word at `off` (8-byte aligned).
    pub fn load64(&self, off: usize) -> u64 {
        self.word64(off).load(Ordering::Acquire)
    }

    /// Write the 64-bit word at `off`.
    pub fn store64(&self, off: usize, v: u64) {
        self.word64(off).store(v, Ordering::Release);
    }

    /// A full memory barrier (`membar_sync`).
    pub fn barrier(&self) {
        fence(Ordering::SeqCst);
    }

    /// Write `data` at `off` through the file rather than the mapping, so
    /// that processes watching the file (see [`FileWatch`]) wake up.
    pub fn poke_file(&self, off: u64, data: &[u8]) -> std::io::Result<()> {
        self.file.write_all_at(data, off)
    }
}

/// Waits for writes to a file by other processes (inotify `IN_MODIFY`).
pub struct FileWatch {
    fd: std::os::fd::OwnedFd,
}

impl FileWatch {
    /// Watch `path`.
    pub fn new(path: &str) -> std::io::Result<FileWatch> {
        let cpath = std::ffi::CString::new(path)
            .map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: inotify_init1 takes flags only and returns a new fd or -1.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we just opened and own from here.
        let fd = unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(raw) };
        // SAFETY: `fd` is a live inotify descriptor and `cpath` a valid
        // NUL-terminated string for the duration of the call.
        let wd =
            unsafe { libc::inotify_add_watch(fd.as_raw_fd(), cpath.as_ptr(), libc::IN_MODIFY) };
        if wd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(FileWatch { fd })
    }

    /// Wait until the file is written or `timeout` passes; true if it was
    /// written. Pending events are consumed.
    pub fn wait(&self, timeout: Duration) -> bool {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        let n = crate::sock::poll_in(self.fd.as_raw_fd(), ms);
        if n <= 0 {
            return false;
        }
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: `buf` is writable for its whole length; the fd is ours
            // and non-blocking, so this returns -1 (EAGAIN) once drained.
            let r = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            // A short read took every event there was.
            if r <= 0 || (r as usize) < buf.len() {
                break;
            }
        }
        true
    }

    /// Wait until `ready` holds, the file is written, or `timeout` passes.
    /// For `spin` of host time first, `ready` is looked at between yields
    /// of the CPU, without sleeping: a writer that is about to write is
    /// usually microseconds away, and a sleep and wakeup cost more than
    /// that. True if `ready` held or the file was written.
    pub fn wait_for(&self, ready: impl Fn() -> bool, spin: Duration, timeout: Duration) -> bool {
        if crate::spin_until(&ready, spin) {
            return true;
        }
        ready() || self.wait(timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_mappings_share_and_watch_sees_pokes() {
        let dir = std::env::temp_dir().join(format!("rumpuser-shmem-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("bus");
        let p = path.to_str().unwrap();
        let a = SharedFileMap::open(p, 8192).unwrap();
        let b = SharedFileMap::open(p, 8192).unwrap();
        a.write(100, b"hello");
        let mut got = [0u8; 5];
        b.read(100, &mut got);
        assert_eq!(&got, b"hello");
        assert_eq!(a.cas32(24, 0, 1), 0);
        assert_eq!(b.cas32(24, 0, 1), 1);
        assert_eq!(b.swap32(24, 0), 1);
        b.store64(8, u64::MAX - 1);
        assert_eq!(a.load64(8), u64::MAX - 1);
        let w = FileWatch::new(p).unwrap();
        assert!(!w.wait(Duration::from_millis(10)));
        b.poke_file(4, &3u32.to_ne_bytes()).unwrap();
        assert!(w.wait(Duration::from_secs(5)));
        assert_eq!(a.load32(4), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn read_append_adds_exactly_the_range_after_what_is_there() {
        let dir = std::env::temp_dir().join(format!("rumpuser-append-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("bus");
        let m = SharedFileMap::open(path.to_str().unwrap(), 8192).unwrap();
        m.write(8190, b"yz");
        m.write(0, b"abc");
        let mut v = b"x".to_vec();
        m.read_append(8190, 2, &mut v);
        m.read_append(0, 3, &mut v);
        m.read_append(5, 0, &mut v);
        assert_eq!(v, b"xyzabc");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
