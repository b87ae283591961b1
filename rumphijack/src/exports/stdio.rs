//! Standard I/O streams on kernel descriptors.
//!
//! glibc's stdio writes with its own internal `write`, which no preloaded
//! library can replace: a `printf` to a standard output that a shell
//! redirected into the kernel would reach the host's descriptor instead.
//! So when descriptor 0, 1 or 2 becomes a kernel descriptor, the program's
//! `stdin`, `stdout` or `stderr` is switched to a stream of this library
//! (`fopencookie`) that reads and writes through the hijacked calls, and
//! switched back when the descriptor returns to the host. `fopen` and
//! `fdopen` on kernel files make such streams too.

use super::set_errno;
use crate::state;
use libc::{FILE, c_char, c_int, c_void, off64_t, size_t, ssize_t};
use std::sync::Mutex;

/// Where glibc keeps a stream's descriptor (`struct _IO_FILE`'s `_fileno`,
/// the same offset in every glibc for amd64). A cookie stream has -1
/// there; the descriptor is written in so that `fileno` answers.
const FILENO_OFFSET: usize = 112;

/// glibc's `cookie_io_functions_t`.
#[repr(C)]
struct CookieIoFunctions {
    read: Option<extern "C" fn(*mut c_void, *mut c_char, size_t) -> ssize_t>,
    write: Option<extern "C" fn(*mut c_void, *const c_char, size_t) -> ssize_t>,
    seek: Option<extern "C" fn(*mut c_void, *mut off64_t, c_int) -> c_int>,
    close: Option<extern "C" fn(*mut c_void) -> c_int>,
}

unsafe extern "C" {
    /// glibc's `fopencookie(3)`.
    fn fopencookie(cookie: *mut c_void, mode: *const c_char, funcs: CookieIoFunctions)
    -> *mut FILE;
}

/// What a cookie stream works on.
struct Cookie {
    fd: c_int,
    /// A standard stream that was switched back: closing it must not close
    /// the descriptor, which is the host's again.
    detached: bool,
}

fn cookie_fd(c: *mut c_void) -> c_int {
    // SAFETY: glibc hands back the cookie this module made from a Box.
    unsafe { (*c.cast::<Cookie>()).fd }
}

extern "C" fn ck_read(c: *mut c_void, buf: *mut c_char, n: size_t) -> ssize_t {
    // SAFETY: glibc's buffer of `n` bytes, read into through the hijack.
    unsafe { super::fd::read(cookie_fd(c), buf.cast(), n) }
}

extern "C" fn ck_write(c: *mut c_void, buf: *const c_char, n: size_t) -> ssize_t {
    // SAFETY: glibc's buffer of `n` bytes, written through the hijack.
    let r = unsafe { super::fd::write(cookie_fd(c), buf.cast(), n) };
    // A cookie write reports failure as 0.
    r.max(0)
}

extern "C" fn ck_seek(c: *mut c_void, off: *mut off64_t, whence: c_int) -> c_int {
    // SAFETY: glibc passes a valid pointer to the offset.
    let r = unsafe { super::fd::lseek(cookie_fd(c), *off, whence) };
    if r < 0 {
        return -1;
    }
    // SAFETY: as above.
    unsafe { *off = r };
    0
}

extern "C" fn ck_close(c: *mut c_void) -> c_int {
    {
        // Under the lock that `after_change` detaches streams under.
        let mut sw = SWITCHED.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the cookie is alive until the Box is taken back below.
        if !unsafe { (*c.cast::<Cookie>()).detached } {
            // The program closed a switched standard stream itself: its
            // variable gets glibc's stream back (never a freed one), and
            // the descriptor's return to the host leaves it alone.
            for slot in sw.iter_mut() {
                if let Some(s) = slot.take_if(|s| s.cookie == c as usize) {
                    // SAFETY: the program's stream variable and the stream it held.
                    unsafe { (s.var as *mut *mut FILE).write(s.original as *mut FILE) };
                }
            }
        }
    }
    // SAFETY: the cookie is this module's Box, and glibc closes a stream once.
    let cookie = unsafe { Box::from_raw(c.cast::<Cookie>()) };
    if cookie.detached {
        return 0;
    }
    // SAFETY: closing the stream's descriptor, as fclose does.
    unsafe { super::fd::close(cookie.fd) }
}

/// A stream of this library on the program's descriptor `fd`, and its cookie.
fn cookie_stream(fd: c_int, mode: &std::ffi::CStr) -> Option<(*mut FILE, *mut Cookie)> {
    let cookie = Box::into_raw(Box::new(Cookie {
        fd,
        detached: false,
    }));
    let funcs = CookieIoFunctions {
        read: Some(ck_read),
        write: Some(ck_write),
        seek: Some(ck_seek),
        close: Some(ck_close),
    };
    // SAFETY: a valid mode string and callbacks that match glibc's types.
    let f = unsafe { fopencookie(cookie.cast(), mode.as_ptr(), funcs) };
    if f.is_null() {
        // SAFETY: not handed to glibc after all.
        drop(unsafe { Box::from_raw(cookie) });
        return None;
    }
    // SAFETY: `f` is a glibc FILE, whose `_fileno` is at this offset.
    unsafe { f.cast::<u8>().add(FILENO_OFFSET).cast::<c_int>().write(fd) };
    Some((f, cookie))
}

/// A standard stream switched to a cookie stream: the variable, the
/// stream it held before, the cookie stream and its cookie (addresses).
pub(crate) struct Switched {
    var: usize,
    original: usize,
    ours: usize,
    cookie: usize,
}

static SWITCHED: Mutex<[Option<Switched>; 3]> = Mutex::new([None, None, None]);

/// The table of switched streams, locked (held across a fork).
pub(crate) fn hold() -> std::sync::MutexGuard<'static, [Option<Switched>; 3]> {
    SWITCHED.lock().unwrap_or_else(|e| e.into_inner())
}

/// The address of glibc's `stdin`, `stdout` or `stderr` variable.
fn std_var(fd: c_int) -> Option<*mut *mut FILE> {
    let name = match fd {
        0 => c"stdin",
        1 => c"stdout",
        2 => c"stderr",
        _ => return None,
    };
    // SAFETY: looking up a data symbol by its NUL-terminated name.
    let p = unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) };
    (!p.is_null()).then_some(p.cast())
}

/// Descriptor `fd` is about to change what it refers to: what the program
/// wrote to its standard stream so far goes where the descriptor still
/// points.
pub(crate) fn before_change(fd: c_int) {
    if fd == 0 {
        return;
    }
    if let Some(var) = std_var(fd) {
        // SAFETY: the program's stream variable holds a FILE or NULL.
        let f = unsafe { *var };
        if !f.is_null() {
            // SAFETY: flushing the program's own stream.
            unsafe { libc::fflush(f) };
        }
    }
}

/// Descriptor `fd` now refers to the kernel (`rump`) or to the host:
/// switch its standard stream to match.
pub(crate) fn after_change(fd: c_int, rump: bool) {
    let Some(var) = std_var(fd) else {
        return;
    };
    let mut sw = SWITCHED.lock().unwrap_or_else(|e| e.into_inner());
    let slot = &mut sw[fd as usize];
    if rump && slot.is_none() {
        let mode = if fd == 0 { c"r" } else { c"w" };
        let Some((ours, cookie)) = cookie_stream(fd, mode) else {
            return;
        };
        if fd == 2 {
            // SAFETY: our new stream made unbuffered, as stderr is.
            unsafe { libc::setvbuf(ours, std::ptr::null_mut(), libc::_IONBF, 0) };
        }
        // SAFETY: the program's stream variable, read and replaced.
        let original = unsafe { var.replace(ours) };
        *slot = Some(Switched {
            var: var as usize,
            original: original as usize,
            ours: ours as usize,
            cookie: cookie as usize,
        });
    } else if !rump && let Some(s) = slot.take() {
        // SAFETY: our stream and cookie, still alive since the slot held
        // them; detached under the lock so that closing it leaves the
        // descriptor (the host's again) alone. Its data went out in
        // `before_change`.
        unsafe {
            (*(s.cookie as *mut Cookie)).detached = true;
            (s.var as *mut *mut FILE).write(s.original as *mut FILE);
        }
        drop(sw);
        // SAFETY: our own stream, closed once.
        unsafe { libc::fclose(s.ours as *mut FILE) };
    }
}

/// Switch the standard streams of descriptors inherited as the kernel's.
pub(crate) fn adopt_inherited() {
    let Some(h) = state::get() else {
        return;
    };
    for fd in 0..3 {
        if h.low().contains(fd) {
            after_change(fd, true);
        }
    }
}

/// Flags and `fopencookie` mode for an `fopen` mode string.
fn fopen_flags(mode: &[u8]) -> Option<(c_int, &'static std::ffi::CStr)> {
    let plus = mode.contains(&b'+');
    let (mut flags, m) = match (mode.first()?, plus) {
        (b'r', false) => (libc::O_RDONLY, c"r"),
        (b'r', true) => (libc::O_RDWR, c"r+"),
        (b'w', false) => (libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC, c"w"),
        (b'w', true) => (libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC, c"w+"),
        (b'a', false) => (libc::O_WRONLY | libc::O_CREAT | libc::O_APPEND, c"w"),
        (b'a', true) => (libc::O_RDWR | libc::O_CREAT | libc::O_APPEND, c"w+"),
        _ => return None,
    };
    for &c in &mode[1..] {
        match c {
            b'e' => flags |= libc::O_CLOEXEC,
            b'x' => flags |= libc::O_EXCL,
            _ => {}
        }
    }
    Some((flags, m))
}

/// `fopen` of a kernel file: a stream of this library on a new descriptor.
fn rump_fopen(path: *const c_char, mode: *const c_char) -> *mut FILE {
    let Some(m) = super::read_path(mode) else {
        set_errno(libc::EFAULT);
        return std::ptr::null_mut();
    };
    let Some((flags, cmode)) = fopen_flags(&m) else {
        set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    };
    let fd = super::path::open_at(libc::AT_FDCWD, path, flags, 0o666);
    if fd < 0 {
        return std::ptr::null_mut();
    }
    match cookie_stream(fd, cmode) {
        Some((f, _)) => f,
        None => {
            // SAFETY: the descriptor just opened, given back.
            unsafe { super::fd::close(fd) };
            set_errno(libc::ENOMEM);
            std::ptr::null_mut()
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fopen(path: *const c_char, mode: *const c_char) -> *mut FILE {
    match super::by_path(path) {
        super::ByPath::Rump(..) => rump_fopen(path, mode),
        super::ByPath::Host => {
            host!(fopen(path, mode) as fn(*const c_char, *const c_char) -> *mut FILE)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fopen64(path: *const c_char, mode: *const c_char) -> *mut FILE {
    match super::by_path(path) {
        super::ByPath::Rump(..) => rump_fopen(path, mode),
        super::ByPath::Host => {
            host!(fopen64(path, mode) as fn(*const c_char, *const c_char) -> *mut FILE)
        }
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn fdopen(fd: c_int, mode: *const c_char) -> *mut FILE {
    if super::by_fd(fd).is_none() {
        return host!(fdopen(fd, mode) as fn(c_int, *const c_char) -> *mut FILE);
    }
    let Some((_, cmode)) = super::read_path(mode).as_deref().and_then(fopen_flags) else {
        set_errno(libc::EINVAL);
        return std::ptr::null_mut();
    };
    match cookie_stream(fd, cmode) {
        Some((f, _)) => f,
        None => {
            set_errno(libc::ENOMEM);
            std::ptr::null_mut()
        }
    }
}
