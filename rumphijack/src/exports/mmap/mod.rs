//! `mmap` and its companions on kernel files. The host cannot map a file
//! it does not have, so a mapping of a kernel descriptor is host memory
//! filled by reading the file through the kernel:
//!
//! - `MAP_PRIVATE`: anonymous memory holding a copy of the file's bytes.
//! - `MAP_SHARED`: one memfd per file (by the kernel's `st_dev`/`st_ino`),
//!   laid out at the file's own offsets and mapped shared, so every shared
//!   mapping of one file in this process sees the same pages ([`pages`]).
//!
//! The library keeps its own view of each memfd and what the file is known
//! to hold. The bytes the mappings changed are written back (never past
//! the file's end) at `msync`, `munmap`, `exit`, `_exit`, `fork`, `exec`,
//! and before the kernel reads, writes, syncs or locks a file for this
//! process; what the process writes through a descriptor, and what other
//! processes wrote by the time it takes a file lock, is read into the
//! pages (the file I/O barrier, [`files`]). So one file's mappings in two
//! processes agree at lock boundaries, as programs that share mapped files
//! with locks (sqlite's WAL index) need, but not between them.

mod calls;
mod files;
mod pages;

pub(crate) use files::{before_exec, held_here, hold_written_back};

use super::{by_fd, set_errno};
use crate::maptable::{FileId, Mapping, PAGE, page_up};
use crate::state::{self, Hijack};
use crate::xlate;
use calls::*;
use files::{LIVE, Maps, at_exit, maps};
use libc::{c_int, c_void, off_t, size_t};
use std::sync::atomic::Ordering;

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
    let id = FileId::from(&st);
    let mut m = maps();
    m.fd_files.insert(k, id);
    let fixed = flags & libc::MAP_FIXED != 0;
    if fixed && let Err(e) = m.write_back_range(h, addr, addr.saturating_add(plen)) {
        m.report(e);
    }
    let mut late = Ok(());
    let r = m.backing(h, id, k, may_write, shared).and_then(|()| {
        let b = m.files.get_mut(&id).ok_or(libc::EIO)?;
        let kfd = b.kfd;
        match b.pages.as_mut() {
            Some(p) if shared => {
                p.cover(h, kfd, off as usize, off as usize + plen)?;
                p.memfd_ok()?;
                // Before the program can store into them.
                p.written |= prot & libc::PROT_WRITE != 0;
                host_mmap(addr, plen, prot, libc::MAP_SHARED | hflags, p.memfd, off)
            }
            pages => {
                // A private copy starts from what this process's shared
                // mappings of the file hold, as Linux's page cache gives.
                if let Some(p) = pages {
                    late = p.write_back(h, kfd, 0, p.size);
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
                if let Err(e) = fill_private(h, kfd, at, plen, off, prot) {
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
    if let Err(e) = late {
        m.report(e);
    }
    m.settle(h);
    r
}

/// Fill the private memory at `at` (`len` bytes) with the file's bytes at
/// `off` and give it `prot`: the program sees it only then.
fn fill_private(
    h: &Hijack,
    kfd: i32,
    at: usize,
    len: usize,
    off: u64,
    prot: c_int,
) -> Result<(), i32> {
    host_mprotect(at, len, libc::PROT_READ | libc::PROT_WRITE)?;
    let r = kread_into(h, kfd, at, len, off).map(|_| ());
    // Even after a failed read: the pages keep the program's protection.
    host_mprotect(at, len, prot)?;
    r
}

/// A host mapping about to replace `a..b` (MAP_FIXED, MREMAP_FIXED): what
/// kernel mappings there changed is written back first.
fn before_replacing(h: &Hijack, m: &mut Maps, a: usize, b: usize) {
    if let Err(e) = m.write_back_range(h, a, b) {
        m.report(e);
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
    // This thread holds the table (an allocator called from inside the
    // mapping code): its memory is the host's.
    let kernel = if flags & libc::MAP_ANONYMOUS != 0 || held_here() {
        None
    } else {
        by_fd(fd)
    };
    let Some((h, k)) = kernel else {
        if flags & libc::MAP_FIXED == 0 || LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
        m.report(e);
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
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
    if prot & libc::PROT_WRITE != 0 {
        // Before the program can store into them.
        for p in parts.iter().filter(|p| p.shared) {
            if let Some(pages) = m.files.get_mut(&p.file).and_then(|f| f.pages.as_mut()) {
                pages.written = true;
            }
        }
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
    if r < 0 || LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
        files.sort();
        files.dedup();
        for id in files {
            if let Some(f) = m.files.get(&id).filter(|f| f.writable && f.kfd >= 0) {
                res = res.and(
                    h.sys_unbarriered(netbsd_abi::SYS_fsync, &[f.kfd as u64])
                        .map(|_| ()),
                );
            }
        }
    }
    if res.is_ok() && flags & libc::MS_INVALIDATE != 0 {
        // Linux has one page cache and nothing to do; here the range takes
        // in what other processes wrote to the file since it was read.
        for p in m.table.overlapping(a, b).iter().filter(|p| p.shared) {
            if let Some(f) = m.files.get_mut(&p.file)
                && let Some(pages) = f.pages.as_mut()
            {
                let r = p.file_range();
                let got = pages.refresh_range(h, f.kfd, r.start as usize, r.end as usize);
                res = res.and(got);
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
    fill_private(h, kfd, m.start, m.len, m.offset, m.prot)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn madvise(addr: *mut c_void, len: size_t, advice: c_int) -> c_int {
    let host = || host!(madvise(addr, len, advice) as fn(*mut c_void, size_t, c_int) -> c_int);
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
            m.report(e);
        }
    }
    if flags & libc::MREMAP_FIXED != 0 {
        before_replacing(h, m, to, to.saturating_add(new_len));
    }
    let p = host_mremap(a, old_size, new_size, flags, to)?;
    // The source is gone (unless it was copied), and what the target
    // replaced with MREMAP_FIXED.
    if old_len != 0 {
        m.table.remove_range(a, a + old_len);
    }
    m.table.remove_range(p, p + new_len);
    let mut len = new_len;
    let mut res = Ok(p);
    if !src.shared && new_len > old_len {
        // The new tail of a private mapping holds the file's next bytes.
        let tail = p + old_len;
        let filled = fill_private(
            h,
            kfd,
            tail,
            new_len - old_len,
            off + old_len as u64,
            src.prot,
        );
        if let Err(e) = filled {
            // Back to the old length: a tail of zeros is not the file.
            let _ = host_mremap(p, new_len, old_len, 0, 0);
            len = old_len;
            res = Err(e);
        }
    }
    m.table.insert(Mapping {
        start: p,
        len,
        offset: off,
        ..src
    });
    res
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
    if LIVE.load(Ordering::Relaxed) == 0 || held_here() {
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
