//! The calls the mapping code makes: the host's memory calls (this
//! library's own would route them back here) and kernel calls that skip
//! the file I/O barrier, whose work is done under the table's lock.

use super::super::Scratch;
pub(super) use super::super::errno;
use crate::state::{self, Hijack};
use crate::xlate;
use libc::{c_int, c_void, off_t, size_t};
use std::ops::Range;

/// The most one kernel call moves of a mapping, and the most compared at
/// a time: a reply must fit the protocol's frame (16 MiB).
pub(super) const PIECE: usize = 1 << 20;

/// `r` cut into pieces of at most [`PIECE`] bytes.
pub(super) fn pieces(r: Range<usize>) -> impl Iterator<Item = Range<usize>> {
    r.clone()
        .step_by(PIECE)
        .map(move |at| at..(at.saturating_add(PIECE)).min(r.end))
}

/// What `mmap` and `mremap` return on failure.
pub(super) const MAP_FAILED: *mut c_void = !0usize as *mut c_void;

/// A host call's `-1` as its errno.
pub(super) fn check(r: c_int) -> Result<(), i32> {
    if r < 0 { Err(errno()) } else { Ok(()) }
}

// The host's memory calls (this library's own would route them).

/// The host's `mmap`.
pub(super) fn host_mmap(
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

/// The host's `munmap`.
pub(super) fn host_munmap(addr: usize, len: usize) -> Result<(), i32> {
    check(host!(
        munmap(addr as *mut c_void, len) as fn(*mut c_void, size_t) -> c_int
    ))
}

/// The host's `mprotect`.
pub(super) fn host_mprotect(addr: usize, len: usize, prot: c_int) -> Result<(), i32> {
    check(host!(
        mprotect(addr as *mut c_void, len, prot) as fn(*mut c_void, size_t, c_int) -> c_int
    ))
}

/// The host's `mremap` (`to` is read with MREMAP_FIXED only).
pub(super) fn host_mremap(
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

/// The host's `ftruncate`.
pub(super) fn host_ftruncate(fd: c_int, len: usize) -> Result<(), i32> {
    check(host!(
        ftruncate(fd, len as off_t) as fn(c_int, off_t) -> c_int
    ))
}

/// The host's `close`.
pub(super) fn host_close(fd: c_int) {
    host!(close(fd) as fn(c_int) -> c_int);
}

/// The inode of host descriptor `fd`, if it is open.
pub(super) fn host_ino(fd: c_int) -> Option<u64> {
    // SAFETY: libc::stat is plain C data, valid all zero.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let r = host!(fstat(fd, &mut st) as fn(c_int, *mut libc::stat) -> c_int);
    (r == 0).then_some(st.st_ino)
}

// Kernel calls. They skip the file I/O barrier: its work is done here,
// under the table's lock.

/// The kernel's `fstat` of descriptor `k`, as Linux's `struct stat`.
pub(super) fn kstat(h: &Hijack, k: i32) -> Result<libc::stat, i32> {
    let mut buf = Scratch::new(xlate::NETBSD_STAT_LEN);
    h.sys_unbarriered(netbsd_abi::SYS___fstat50, &[k as u64, buf.arg()])?;
    xlate::stat_from_netbsd(buf.bytes()).ok_or(libc::EIO)
}

/// The kernel's `stat` of the kernel path at address `path`.
pub(super) fn kstat_path(h: &Hijack, path: u64) -> Result<libc::stat, i32> {
    let mut buf = Scratch::new(xlate::NETBSD_STAT_LEN);
    let at = netbsd_abi::AT_FDCWD as i64 as u64;
    h.sys_unbarriered(netbsd_abi::SYS_fstatat, &[at, path, buf.arg(), 0])?;
    xlate::stat_from_netbsd(buf.bytes()).ok_or(libc::EIO)
}

/// The kernel's `fcntl` with a Linux command.
pub(super) fn kfcntl(h: &Hijack, k: i32, cmd: c_int, arg: u64) -> Result<i64, i32> {
    let ncmd = xlate::fcntl_cmd_to_netbsd(cmd).ok_or(libc::EINVAL)?;
    h.sys_unbarriered(netbsd_abi::SYS_fcntl, &[k as u64, ncmd as u64, arg])
}

/// Close kernel descriptor `k` (the library's own).
fn kclose(h: &Hijack, k: i32) {
    let _ = h.sys_unbarriered(netbsd_abi::SYS_close, &[k as u64]);
}

/// Read `len` bytes of the file at `off` into this process's memory at
/// `addr`; what lies past the end of the file is left as it is (zero).
/// Returns how many bytes the file had.
pub(super) fn kread_into(
    h: &Hijack,
    k: i32,
    addr: usize,
    len: usize,
    off: u64,
) -> Result<usize, i32> {
    let mut done = 0;
    while done < len {
        // NetBSD's pread has a padding slot before the offset.
        let n = h.sys_unbarriered(
            netbsd_abi::SYS_pread,
            &[
                k as u64,
                (addr + done) as u64,
                (len - done).min(PIECE) as u64,
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

/// Write all of `data` to the file at `off`.
pub(super) fn kwrite_all(h: &Hijack, k: i32, data: &[u8], off: u64) -> Result<(), i32> {
    let mut done = 0;
    while done < data.len() {
        let n = h.sys_unbarriered(
            netbsd_abi::SYS_pwrite,
            &[
                k as u64,
                data[done..].as_ptr() as u64,
                (data.len() - done).min(PIECE) as u64,
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

/// Close kernel descriptor `k`, one of the library's own (see
/// [`own_dup`]).
pub(super) fn kclose_own(h: &Hijack, k: i32) {
    state::OWN_KFDS.set(k, false);
    kclose(h, k);
}

/// A close-on-exec copy of kernel descriptor `k` for the library itself,
/// hidden from the program's `close`, `close_range` and `closefrom`.
pub(super) fn own_dup(h: &Hijack, k: i32) -> Result<i32, i32> {
    let kfd = kfcntl(h, k, libc::F_DUPFD_CLOEXEC, 0)? as i32;
    state::OWN_KFDS.set(kfd, true);
    Ok(kfd)
}
