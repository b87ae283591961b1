//! The glibc functions this library replaces, grouped by what they work
//! on. Every one routes its call (see [`crate::route`]) and either calls
//! the host's own function with the arguments unchanged, or makes the call
//! in the rump kernel with translated arguments.

/// Export `$alias` as the very function `$target`: glibc's `64` forms,
/// which on this 64-bit host take the same arguments.
macro_rules! alias {
    ($alias:ident => $target:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $alias($($arg: $ty),*) -> $ret {
            // SAFETY: the same function, the program's arguments passed on.
            unsafe { $target($($arg),*) }
        }
    };
}

mod dir;
mod epoll;
mod fd;
mod mmap;
mod path;
mod poll;
mod proc;
mod socket;
mod stat;
pub(crate) mod stdio;
mod syscall;
mod temp;

use crate::mem::ProcessMemory;
use crate::route::{self, FdRoute, PathRoute};
use crate::state::{self, Hijack};
use libc::c_char;
use rumpclient::ClientMemory;

/// The longest path the hijack reads from the program (Linux's PATH_MAX).
const LINUX_PATH_MAX: usize = libc::PATH_MAX as usize;

/// This thread's errno.
pub(crate) fn errno() -> i32 {
    // SAFETY: glibc's errno location is this thread's, always valid.
    unsafe { *libc::__errno_location() }
}

/// Set the program's errno.
pub(crate) fn set_errno(e: i32) {
    // SAFETY: glibc's errno location is this thread's, always valid.
    unsafe { *libc::__errno_location() = e };
}

/// A C return type: `-1` with errno on failure.
pub(crate) trait CRet {
    /// The value for a success.
    fn ok(v: i64) -> Self;
    /// `-1`.
    fn failed() -> Self;
}

impl CRet for i32 {
    fn ok(v: i64) -> i32 {
        v as i32
    }
    fn failed() -> i32 {
        -1
    }
}

impl CRet for isize {
    fn ok(v: i64) -> isize {
        v as isize
    }
    fn failed() -> isize {
        -1
    }
}

impl CRet for i64 {
    fn ok(v: i64) -> i64 {
        v
    }
    fn failed() -> i64 {
        -1
    }
}

/// The C return of `r`, setting errno on failure.
pub(crate) fn ret<T: CRet>(r: Result<i64, i32>) -> T {
    match r {
        Ok(v) => T::ok(v),
        Err(e) => {
            set_errno(e);
            T::failed()
        }
    }
}

/// `r` with a success value of 0.
pub(crate) fn ret0(r: Result<i64, i32>) -> i32 {
    ret(r.map(|_| 0))
}

/// The path at `p`, without its NUL; `None` if it cannot be read (the host
/// then gives the program its EFAULT or ENAMETOOLONG).
pub(crate) fn read_path(p: *const c_char) -> Option<Vec<u8>> {
    if p.is_null() {
        return None;
    }
    let mut s = ProcessMemory.read_str(p as u64, LINUX_PATH_MAX)?;
    if s.pop() != Some(0) {
        return None;
    }
    Some(s)
}

/// A path for the kernel: NUL-terminated, at an address the server can copy from.
pub(crate) struct KPath(Vec<u8>);

impl KPath {
    fn new(p: &[u8]) -> KPath {
        let mut v = Vec::with_capacity(p.len() + 1);
        v.extend_from_slice(p);
        v.push(0);
        KPath(v)
    }

    /// Its address, as a system call argument.
    pub(crate) fn arg(&self) -> u64 {
        self.0.as_ptr() as u64
    }

    /// The path without its NUL.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0[..self.0.len() - 1]
    }

    /// Overwrite the path's bytes from `at` with `b` (a temporary name's
    /// letters; within the path).
    pub(crate) fn overwrite(&mut self, at: usize, b: &[u8]) {
        let len = self.0.len() - 1;
        if let Some(dst) = self.0[..len].get_mut(at..at + b.len()) {
            dst.copy_from_slice(b);
        }
    }
}

/// Where a call on a path goes.
pub(crate) enum ByPath {
    /// The host's function, with the program's arguments.
    Host,
    /// The kernel, with this path.
    Rump(&'static Hijack, KPath),
}

/// Route a call on the path at `p` (relative to the current directory).
pub(crate) fn by_path(p: *const c_char) -> ByPath {
    match by_at(libc::AT_FDCWD, p) {
        ByAt::Host => ByPath::Host,
        ByAt::Rump(h, _, kp) => ByPath::Rump(h, kp),
    }
}

/// Where a `*at` call goes.
pub(crate) enum ByAt {
    /// The host's function, with the program's arguments.
    Host,
    /// The kernel: the directory descriptor (NetBSD's AT_FDCWD for the
    /// current directory) and the path.
    Rump(&'static Hijack, i32, KPath),
}

/// Route a `*at` call on `dirfd` and the path at `p`: an absolute path
/// goes where the path says, a relative one where `dirfd` (or the current
/// directory) is; a relative name under a host directory goes to the
/// kernel if it enters a hijacked prefix ([`crate::route::join_entering`]).
pub(crate) fn by_at(dirfd: i32, p: *const c_char) -> ByAt {
    let Some(h) = state::get() else {
        return ByAt::Host;
    };
    let Some(path) = read_path(p) else {
        return ByAt::Host;
    };
    if path.first() == Some(&b'/') || (dirfd == libc::AT_FDCWD && h.cwd_in_rump()) {
        return match h.path(&path) {
            PathRoute::Host => ByAt::Host,
            PathRoute::Rump(kp) => ByAt::Rump(h, netbsd_abi::AT_FDCWD, KPath::new(kp)),
        };
    }
    let dir = match dirfd {
        libc::AT_FDCWD => HostDir::Cwd,
        fd => match h.fd(fd) {
            FdRoute::Rump(k) => return ByAt::Rump(h, k, KPath::new(&path)),
            FdRoute::Host(fd) => HostDir::Fd(fd),
        },
    };
    if !route::may_enter(&h.cfg, &path) {
        return ByAt::Host;
    }
    let entered = host_dir_path(dir).and_then(|d| route::join_entering(&h.cfg, &d, &path));
    match entered {
        Some(kp) => ByAt::Rump(h, netbsd_abi::AT_FDCWD, KPath::new(&kp)),
        None => ByAt::Host,
    }
}

/// A host directory a relative name is looked up in.
#[derive(Clone, Copy)]
enum HostDir {
    /// The current directory.
    Cwd,
    /// A descriptor.
    Fd(i32),
}

/// The host's real path of a directory (`None` if it has none, or the
/// descriptor is not a directory).
fn host_dir_path(dir: HostDir) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; LINUX_PATH_MAX];
    let cbuf = buf.as_mut_ptr().cast::<c_char>();
    let len = match dir {
        HostDir::Cwd => {
            let r = host!(getcwd(cbuf, LINUX_PATH_MAX) as fn(*mut c_char, usize) -> *mut c_char);
            if r.is_null() {
                return None;
            }
            buf.iter().position(|&b| b == 0)?
        }
        HostDir::Fd(fd) => {
            // SAFETY: fstat of a descriptor into a local structure.
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            // A removed directory (no links left) has no path, only a name
            // that Linux ends with " (deleted)".
            if host!(fstat(fd, &mut st) as fn(i32, *mut libc::stat) -> i32) < 0
                || st.st_mode & libc::S_IFMT != libc::S_IFDIR
                || st.st_nlink == 0
            {
                return None;
            }
            let link = std::ffi::CString::new(format!("/proc/self/fd/{fd}")).ok()?;
            let n = host!(readlink(link.as_ptr(), cbuf, LINUX_PATH_MAX)
                as fn(*const c_char, *mut c_char, usize) -> isize);
            if n <= 0 || n as usize >= LINUX_PATH_MAX {
                return None;
            }
            n as usize
        }
    };
    buf.truncate(len);
    Some(buf)
}

/// The hijack and kernel descriptor for the program's `fd`, or `None` when
/// it is the host's.
pub(crate) fn by_fd(fd: i32) -> Option<(&'static Hijack, i32)> {
    let h = state::get()?;
    match h.fd(fd) {
        FdRoute::Host(_) => None,
        FdRoute::Rump(k) => Some((h, k)),
    }
}

/// A descriptor the host just gave the program: numbers from `fdoff` up
/// are the kernel's, so a host descriptor there is given back (ENFILE),
/// as NetBSD's hijack does.
pub(crate) fn host_fd(fd: i32) -> i32 {
    let Some(h) = state::get() else {
        return fd;
    };
    if fd >= h.cfg.fdoff {
        // SAFETY: the host just made this descriptor for this call.
        host!(close(fd) as fn(i32) -> i32);
        set_errno(libc::ENFILE);
        return -1;
    }
    fd
}

/// A kernel descriptor, as the program numbers it.
pub(crate) fn rump_fd(h: &Hijack, r: Result<i64, i32>) -> i32 {
    ret(r.map(|k| h.rump_to_program(k)))
}

/// A scratch buffer the kernel fills in (a NetBSD structure to translate).
pub(crate) struct Scratch(Vec<u8>);

impl Scratch {
    fn new(len: usize) -> Scratch {
        Scratch(vec![0; len])
    }

    /// Its address, as a system call argument.
    pub(crate) fn arg(&mut self) -> u64 {
        self.0.as_mut_ptr() as u64
    }

    /// What the kernel wrote.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Store `v` at the program's `p`: EFAULT if it cannot be written.
pub(crate) fn put<T: Copy>(p: *mut T, v: &T) -> Result<(), i32> {
    // SAFETY: viewing a plain C structure as its bytes.
    let bytes = unsafe {
        std::slice::from_raw_parts((v as *const T).cast::<u8>(), std::mem::size_of::<T>())
    };
    if !p.is_null() && ProcessMemory.write(p as u64, bytes) {
        Ok(())
    } else {
        Err(libc::EFAULT)
    }
}

/// Read a `T` from the program's `p`: EFAULT if it cannot be read.
pub(crate) fn get<T: Copy>(p: *const T) -> Result<T, i32> {
    if p.is_null() {
        return Err(libc::EFAULT);
    }
    let b = ProcessMemory
        .read(p as u64, std::mem::size_of::<T>())
        .ok_or(libc::EFAULT)?;
    // SAFETY: the bytes are a whole T copied from the program, and the
    // types read this way are plain C structures valid for any bits.
    Ok(unsafe { std::ptr::read_unaligned(b.as_ptr().cast::<T>()) })
}

/// `len` bytes of the program's memory at `addr`: EFAULT if unreadable.
pub(crate) fn mem_read(addr: u64, len: usize) -> Result<Vec<u8>, i32> {
    if addr == 0 && len > 0 {
        return Err(libc::EFAULT);
    }
    ProcessMemory.read(addr, len).ok_or(libc::EFAULT)
}

/// Write `data` into the program's memory at `addr`: EFAULT if unwritable.
pub(crate) fn mem_write(addr: u64, data: &[u8]) -> Result<(), i32> {
    if ProcessMemory.write(addr, data) {
        Ok(())
    } else {
        Err(libc::EFAULT)
    }
}
