//! Directory reading: the `DIR` functions and `getdents64`. A directory
//! in the kernel gets a `DIR` of this library's own, told apart from the
//! host's by its address.

use super::{ByPath, Scratch, by_fd, by_path, ret, set_errno};
use crate::state::Hijack;
use crate::xlate::{self, NetbsdDirent};
use libc::{c_char, c_int, c_long, c_void, dirent64, size_t, ssize_t};
use std::collections::{HashSet, VecDeque};
use std::sync::Mutex;

type CStrP = *const c_char;

/// How much of a directory is read from the kernel at a time.
const CHUNK: usize = 32 * 1024;

/// A directory stream on a kernel descriptor.
struct RumpDir {
    /// The program's descriptor.
    fd: c_int,
    /// Entries read and not yet returned.
    pending: VecDeque<NetbsdDirent>,
    /// Entries returned since the start (what `telldir` says).
    pos: i64,
    /// The kernel said there are no more.
    eof: bool,
    /// What `readdir` returns points here.
    ent: dirent64,
}

/// The addresses of the `DIR`s that are this library's.
static DIRS: Mutex<Option<HashSet<usize>>> = Mutex::new(None);

pub(crate) fn dirs() -> std::sync::MutexGuard<'static, Option<HashSet<usize>>> {
    DIRS.lock().unwrap_or_else(|e| e.into_inner())
}

/// This library's stream at `dirp`, if it is one.
fn ours(dirp: *mut c_void) -> Option<&'static mut RumpDir> {
    if dirs().as_ref()?.contains(&(dirp as usize)) {
        // SAFETY: the address was made by Box::into_raw in `fdopendir` and
        // is still registered, so the box is alive; the program uses a
        // stream from one thread at a time, as POSIX asks.
        Some(unsafe { &mut *dirp.cast::<RumpDir>() })
    } else {
        None
    }
}

/// Read the next entries of kernel directory `k` into `out`.
fn fill(h: &Hijack, k: i32, bytes: usize) -> Result<Vec<NetbsdDirent>, i32> {
    let mut buf = Scratch::new(bytes);
    let n = h.sys(
        netbsd_abi::SYS___getdents30,
        &[k as u64, buf.arg(), bytes as u64],
    )? as usize;
    Ok(xlate::parse_netbsd_dirents(&buf.bytes()[..n.min(bytes)]))
}

impl RumpDir {
    /// The next entry, reading more from the kernel when needed.
    fn next(&mut self) -> Result<Option<NetbsdDirent>, i32> {
        if self.pending.is_empty() && !self.eof {
            let (h, k) = by_fd(self.fd).ok_or(libc::EBADF)?;
            let got = fill(h, k, CHUNK)?;
            self.eof = got.is_empty();
            self.pending.extend(got);
        }
        Ok(self.pending.pop_front())
    }

    fn rewind(&mut self) -> Result<(), i32> {
        let (h, k) = by_fd(self.fd).ok_or(libc::EBADF)?;
        h.sys(netbsd_abi::SYS_lseek, &[k as u64, 0, 0, 0])?;
        self.pending.clear();
        self.pos = 0;
        self.eof = false;
        Ok(())
    }
}

/// A `DIR` for the program's kernel descriptor `fd`, which must be a directory.
fn open_stream(h: &Hijack, k: i32, fd: c_int) -> *mut c_void {
    let mut st = Scratch::new(xlate::NETBSD_STAT_LEN);
    let is_dir = h
        .sys(netbsd_abi::SYS___fstat50, &[k as u64, st.arg()])
        .and_then(|_| xlate::stat_from_netbsd(st.bytes()).ok_or(libc::EIO))
        .map(|s| s.st_mode & libc::S_IFMT == libc::S_IFDIR);
    match is_dir {
        Ok(true) => {}
        Ok(false) => {
            set_errno(libc::ENOTDIR);
            return std::ptr::null_mut();
        }
        Err(e) => {
            set_errno(e);
            return std::ptr::null_mut();
        }
    }
    // SAFETY: dirent64 is a plain C structure; all zeroes is valid.
    let ent: dirent64 = unsafe { std::mem::zeroed() };
    let d = Box::into_raw(Box::new(RumpDir {
        fd,
        pending: VecDeque::new(),
        pos: 0,
        eof: false,
        ent,
    }));
    dirs().get_or_insert_with(HashSet::new).insert(d as usize);
    d.cast()
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdopendir(fd: c_int) -> *mut c_void {
    match by_fd(fd) {
        Some((h, k)) => open_stream(h, k, fd),
        None => host!(fdopendir(fd) as fn(c_int) -> *mut c_void),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn opendir(path: CStrP) -> *mut c_void {
    match by_path(path) {
        ByPath::Rump(h, _) => {
            let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC;
            let fd = super::path::open_at(libc::AT_FDCWD, path, flags, 0);
            if fd < 0 {
                return std::ptr::null_mut();
            }
            let k = fd - h.cfg.fdoff;
            let d = open_stream(h, k, fd);
            if d.is_null() {
                let _ = h.sys(netbsd_abi::SYS_close, &[k as u64]);
            }
            d
        }
        ByPath::Host => host!(opendir(path) as fn(CStrP) -> *mut c_void),
    }
}

/// The next entry as a `dirent64` in the stream, or NULL at the end (errno
/// untouched) or on an error (errno set).
fn read_entry(d: &mut RumpDir) -> *mut dirent64 {
    let e = match d.next() {
        Ok(Some(e)) => e,
        Ok(None) => return std::ptr::null_mut(),
        Err(e) => {
            set_errno(e);
            return std::ptr::null_mut();
        }
    };
    if e.name.len() >= d.ent.d_name.len() {
        // Linux's dirent cannot hold it.
        set_errno(libc::EOVERFLOW);
        return std::ptr::null_mut();
    }
    d.pos += 1;
    d.ent.d_ino = e.ino;
    d.ent.d_off = d.pos;
    d.ent.d_type = e.dtype;
    d.ent.d_reclen = xlate::linux_dirent64_len(e.name.len()) as u16;
    d.ent.d_name.fill(0);
    for (dst, &b) in d.ent.d_name.iter_mut().zip(&e.name) {
        *dst = b as c_char;
    }
    &mut d.ent
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readdir64(dirp: *mut c_void) -> *mut dirent64 {
    match ours(dirp) {
        Some(d) => read_entry(d),
        None => host!(readdir64(dirp) as fn(*mut c_void) -> *mut dirent64),
    }
}

/// `struct dirent` and `struct dirent64` are the same on amd64.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn readdir(dirp: *mut c_void) -> *mut dirent64 {
    match ours(dirp) {
        Some(d) => read_entry(d),
        None => host!(readdir(dirp) as fn(*mut c_void) -> *mut dirent64),
    }
}

fn read_entry_r(d: &mut RumpDir, entry: *mut dirent64, result: *mut *mut dirent64) -> c_int {
    let e = read_entry(d);
    let out = if e.is_null() {
        // SAFETY: errno of this thread; 0 at the end was not set by us.
        let err = unsafe { *libc::__errno_location() };
        if d.pending.is_empty() && d.eof {
            std::ptr::null_mut()
        } else {
            return err;
        }
    } else {
        // SAFETY: `e` points at the stream's own entry.
        if super::put(entry, unsafe { &*e }).is_err() {
            return libc::EFAULT;
        }
        entry
    };
    match super::put(result, &out) {
        Ok(()) => 0,
        Err(e) => e,
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readdir64_r(
    dirp: *mut c_void,
    entry: *mut dirent64,
    result: *mut *mut dirent64,
) -> c_int {
    match ours(dirp) {
        Some(d) => read_entry_r(d, entry, result),
        None => host!(readdir64_r(dirp, entry, result)
            as fn(*mut c_void, *mut dirent64, *mut *mut dirent64) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn readdir_r(
    dirp: *mut c_void,
    entry: *mut dirent64,
    result: *mut *mut dirent64,
) -> c_int {
    match ours(dirp) {
        Some(d) => read_entry_r(d, entry, result),
        None => host!(readdir_r(dirp, entry, result)
            as fn(*mut c_void, *mut dirent64, *mut *mut dirent64) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn closedir(dirp: *mut c_void) -> c_int {
    if ours(dirp).is_none() {
        return host!(closedir(dirp) as fn(*mut c_void) -> c_int);
    }
    if let Some(set) = dirs().as_mut() {
        set.remove(&(dirp as usize));
    }
    // SAFETY: made by Box::into_raw in `open_stream` and just unregistered,
    // so this is the one owner.
    let d = unsafe { Box::from_raw(dirp.cast::<RumpDir>()) };
    // SAFETY: closing the stream's own descriptor.
    unsafe { super::fd::close(d.fd) }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn dirfd(dirp: *mut c_void) -> c_int {
    match ours(dirp) {
        Some(d) => d.fd,
        None => host!(dirfd(dirp) as fn(*mut c_void) -> c_int),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn rewinddir(dirp: *mut c_void) {
    match ours(dirp) {
        Some(d) => {
            let _ = d.rewind();
        }
        None => host!(rewinddir(dirp) as fn(*mut c_void) -> ()),
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn telldir(dirp: *mut c_void) -> c_long {
    match ours(dirp) {
        Some(d) => d.pos as c_long,
        None => host!(telldir(dirp) as fn(*mut c_void) -> c_long),
    }
}

/// A position from `telldir` counts entries from the start: go back to the
/// start and pass that many.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn seekdir(dirp: *mut c_void, loc: c_long) {
    match ours(dirp) {
        Some(d) => {
            if d.rewind().is_ok() {
                while d.pos < loc && matches!(d.next(), Ok(Some(_))) {
                    d.pos += 1;
                }
            }
        }
        None => host!(seekdir(dirp, loc) as fn(*mut c_void, c_long) -> ()),
    }
}

/// `getdents64` on a kernel descriptor: a Linux record is at most half as
/// long again as NetBSD's, so asking the kernel for two thirds of the
/// buffer means every entry read fits.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn getdents64(fd: c_int, buf: *mut c_void, count: size_t) -> ssize_t {
    let Some((h, k)) = by_fd(fd) else {
        return host!(getdents64(fd, buf, count) as fn(c_int, *mut c_void, size_t) -> ssize_t);
    };
    let want = (count / 3 * 2).min(1 << 20);
    let r = fill(h, k, want).and_then(|entries| {
        let mut out = Vec::with_capacity(count);
        for (i, e) in entries.iter().enumerate() {
            xlate::emit_linux_dirent64(e.ino, i as i64 + 1, e.dtype, &e.name, &mut out);
        }
        if out.len() > count {
            return Err(libc::EINVAL);
        }
        if !rumpclient::ClientMemory::write(&crate::mem::ProcessMemory, buf as u64, &out) {
            return Err(libc::EFAULT);
        }
        Ok(out.len() as i64)
    });
    ret(r)
}
