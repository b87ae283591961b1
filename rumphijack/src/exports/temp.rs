//! Temporary files and directories: the `mkstemp` family, `mkdtemp`,
//! `mktemp` and `tmpfile`. glibc makes the file, the directory or the test
//! for a name with its own internal `open`, `mkdir` and `lstat`, which no
//! preloaded library can replace, so a template in the kernel would be
//! made on the host. For those templates the names are made here, by
//! glibc's rules ([`crate::tempname`]); any other template goes to glibc.

use super::{ByPath, KPath, Scratch, by_path, read_path, ret, set_errno};
use crate::state::Hijack;
use crate::{tempname, xlate};
use libc::{FILE, c_char, c_int};

/// What a name is made for.
#[derive(Clone, Copy)]
enum Make {
    /// A new file, opened with these extra flags (`mkostemp`).
    File(c_int),
    /// A new directory (`mkdtemp`).
    Dir,
    /// Only a name that does not exist yet (`mktemp`).
    Name,
}

/// Try `what` with new names in the kernel template `kp` (the program's
/// `tmpl`, which shows each name tried), until one is free: the program's
/// new descriptor for a file, 0 otherwise.
fn make(
    h: &Hijack,
    tmpl: *mut c_char,
    mut kp: KPath,
    suffixlen: c_int,
    what: Make,
) -> Result<i64, i32> {
    let prog = read_path(tmpl).ok_or(libc::EFAULT)?;
    let at = tempname::x_span(&prog, suffixlen)?;
    // The kernel's path differs from the program's at the front only.
    let kat = tempname::x_span(kp.bytes(), suffixlen)?;
    tempname::try_names(tempname::random_bits, |name| {
        kp.overwrite(kat, name);
        super::mem_write(tmpl as u64 + at as u64, name)?;
        match what {
            Make::File(flags) => super::path::rump_open_fd(
                h,
                netbsd_abi::AT_FDCWD,
                &kp,
                (flags & !libc::O_ACCMODE) | libc::O_RDWR | libc::O_CREAT | libc::O_EXCL,
                0o600,
            ),
            Make::Dir => h.sys(
                netbsd_abi::SYS_mkdirat,
                &[netbsd_abi::AT_FDCWD as i64 as u64, kp.arg(), 0o700],
            ),
            Make::Name => free_name(h, &kp),
        }
    })
}

/// Whether nothing in the kernel has the name `kp` (not even a dangling
/// link): Ok when free, EEXIST when taken.
fn free_name(h: &Hijack, kp: &KPath) -> Result<i64, i32> {
    let mut st = Scratch::new(xlate::NETBSD_STAT_LEN);
    let r = h.sys(
        netbsd_abi::SYS_fstatat,
        &[
            netbsd_abi::AT_FDCWD as i64 as u64,
            kp.arg(),
            st.arg(),
            netbsd_abi::AT_SYMLINK_NOFOLLOW as u64,
        ],
    );
    match r {
        Ok(_) => Err(libc::EEXIST),
        Err(libc::ENOENT) => Ok(0),
        Err(e) => Err(e),
    }
}

/// Define a function of the `mkstemp` family: the suffix length and the
/// extra open flags, from its arguments.
macro_rules! mkstemp_fn {
    ($name:ident($($arg:ident: $ty:ty),*) => suffix $s:expr, flags $f:expr) => {
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn $name(tmpl: *mut c_char $(, $arg: $ty)*) -> c_int {
            match by_path(tmpl) {
                ByPath::Rump(h, kp) => ret(make(h, tmpl, kp, $s, Make::File($f))),
                ByPath::Host => {
                    host!($name(tmpl $(, $arg)*) as fn(*mut c_char $(, $ty)*) -> c_int)
                }
            }
        }
    };
}

// The `64` forms add O_LARGEFILE, which is no flag at all on amd64.
mkstemp_fn!(mkstemp() => suffix 0, flags 0);
mkstemp_fn!(mkstemp64() => suffix 0, flags 0);
mkstemp_fn!(mkostemp(flags: c_int) => suffix 0, flags flags);
mkstemp_fn!(mkostemp64(flags: c_int) => suffix 0, flags flags);
mkstemp_fn!(mkstemps(suffixlen: c_int) => suffix suffixlen, flags 0);
mkstemp_fn!(mkstemps64(suffixlen: c_int) => suffix suffixlen, flags 0);
mkstemp_fn!(mkostemps(suffixlen: c_int, flags: c_int) => suffix suffixlen, flags flags);
mkstemp_fn!(mkostemps64(suffixlen: c_int, flags: c_int) => suffix suffixlen, flags flags);

#[unsafe(no_mangle)]
pub unsafe extern "C" fn mkdtemp(tmpl: *mut c_char) -> *mut c_char {
    match by_path(tmpl) {
        ByPath::Rump(h, kp) => match make(h, tmpl, kp, 0, Make::Dir) {
            Ok(_) => tmpl,
            Err(e) => {
                set_errno(e);
                std::ptr::null_mut()
            }
        },
        ByPath::Host => host!(mkdtemp(tmpl) as fn(*mut c_char) -> *mut c_char),
    }
}

/// `mktemp`: a name free at the time of the call; on failure the template
/// becomes the empty string, as glibc leaves it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn mktemp(tmpl: *mut c_char) -> *mut c_char {
    match by_path(tmpl) {
        ByPath::Rump(h, kp) => {
            if let Err(e) = make(h, tmpl, kp, 0, Make::Name) {
                let _ = super::mem_write(tmpl as u64, &[0]);
                set_errno(e);
            }
            tmpl
        }
        ByPath::Host => host!(mktemp(tmpl) as fn(*mut c_char) -> *mut c_char),
    }
}

/// `tmpfile`: glibc makes it in `P_tmpdir` (`/tmp`); when that is the
/// kernel's (`RUMPHIJACK` names it), the file is made there as glibc does
/// without `O_TMPFILE`, which NetBSD lacks: a new name, removed at once,
/// and a stream on its descriptor.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tmpfile() -> *mut FILE {
    let mut tmpl = *b"/tmp/tmpfXXXXXX\0";
    let t = tmpl.as_mut_ptr().cast::<c_char>();
    let ByPath::Rump(h, kp) = by_path(t) else {
        return host!(tmpfile() as fn() -> *mut FILE);
    };
    let fd = match make(h, t, kp, 0, Make::File(0)) {
        Ok(fd) => fd as c_int,
        Err(e) => {
            set_errno(e);
            return std::ptr::null_mut();
        }
    };
    // SAFETY: this library's own unlink, fdopen and close, on the name and
    // descriptor just made.
    unsafe {
        // A name that cannot be removed would outlive the stream.
        if super::path::unlink(t) != 0 {
            let e = std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO);
            super::fd::close(fd);
            set_errno(e);
            return std::ptr::null_mut();
        }
        let f = super::stdio::fdopen(fd, c"w+b".as_ptr());
        if f.is_null() {
            super::fd::close(fd);
        }
        f
    }
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn tmpfile64() -> *mut FILE {
    // SAFETY: the same function; the two are one on amd64.
    unsafe { tmpfile() }
}
