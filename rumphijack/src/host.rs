//! The host's own versions of the functions this library replaces, found
//! with `dlsym(RTLD_NEXT)`: what a call that is not for the rump kernel
//! ends up in.

use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A lazily found host function.
pub struct HostFn {
    name: &'static CStr,
    addr: AtomicUsize,
}

impl HostFn {
    /// The host function called `name`.
    pub const fn new(name: &'static CStr) -> HostFn {
        HostFn {
            name,
            addr: AtomicUsize::new(0),
        }
    }

    /// Its address; the program cannot go on without it.
    pub fn addr(&self) -> usize {
        let a = self.addr.load(Ordering::Relaxed);
        if a != 0 {
            return a;
        }
        // SAFETY: dlsym with RTLD_NEXT and a NUL-terminated name only looks
        // the name up in the libraries loaded after this one.
        let a = unsafe { libc::dlsym(libc::RTLD_NEXT, self.name.as_ptr()) } as usize;
        if a == 0 {
            let msg = format!(
                "rumphijack: the host has no {}\n",
                self.name.to_string_lossy()
            );
            // SAFETY: a plain write of a local buffer to stderr.
            unsafe {
                libc::write(2, msg.as_ptr().cast(), msg.len());
                libc::abort();
            }
        }
        self.addr.store(a, Ordering::Relaxed);
        a
    }
}

/// Call the host's version of a function: `host!(name(args...) as fn(types) -> ret)`.
macro_rules! host {
    ($name:ident ( $($arg:expr),* $(,)? ) as fn( $($ty:ty),* $(,)? ) -> $ret:ty) => {{
        static F: $crate::host::HostFn = $crate::host::HostFn::new(
            // SAFETY of the transmute below: the symbol has this C signature in glibc.
            match ::std::ffi::CStr::from_bytes_with_nul(concat!(stringify!($name), "\0").as_bytes()) {
                Ok(c) => c,
                Err(_) => panic!("symbol name"),
            },
        );
        let f: unsafe extern "C" fn($($ty),*) -> $ret =
            // SAFETY: F's address is glibc's function of this name, whose
            // C signature is the one named here.
            unsafe { ::std::mem::transmute::<usize, unsafe extern "C" fn($($ty),*) -> $ret>(F.addr()) };
        // SAFETY: the arguments are the program's own, passed on unchanged
        // (or built here to the function's contract).
        unsafe { f($($arg),*) }
    }};
}
