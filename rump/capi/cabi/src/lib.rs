//! What the C-ABI shims share (`librump.so` for local clients,
//! `librumpclient.so` for remote ones): the macro their generated
//! wrappers are declared with, the calling thread's `errno`, and how a
//! call's result reaches C, as NetBSD's `rump_syscalls.c` hands it over
//! (`rsys_seterrno` stores the error number in `errno` as is).

use netbsd_abi::Errno;

/// Declare C functions a library exports under their own names: the
/// generated wrappers (`sysimpl.rs`) are written with it, so that the
/// export attribute stands in a shim and not in the generator.
#[macro_export]
macro_rules! c_export {
    ($($(#[$m:meta])* fn $name:ident($($p:ident: $t:ty),*) $(-> $r:ty)? $body:block)*) => {
        $(
            $(#[$m])*
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($($p: $t),*) $(-> $r)? $body
        )*
    };
}

/// Set the calling thread's `errno`.
pub fn set_errno(e: i32) {
    // SAFETY: `__errno_location` returns the calling thread's errno
    // variable, valid for the thread's lifetime.
    unsafe { *libc::__errno_location() = e };
}

/// The calling thread's `errno`.
pub fn errno() -> i32 {
    // SAFETY: as in `set_errno`.
    unsafe { *libc::__errno_location() }
}

/// A call returning a 32-bit value: -1 and `errno` on error, and `errno`
/// 0 on success (NetBSD's wrappers store the error either way).
pub fn ret32(r: Result<[i64; 2], Errno>) -> i32 {
    ret64(r) as i32
}

/// A call returning a 64-bit value (`ssize_t`, `off_t`, `long`).
pub fn ret64(r: Result<[i64; 2], Errno>) -> i64 {
    match r {
        Ok(v) => {
            set_errno(0);
            v[0]
        }
        Err(e) => {
            set_errno(e.0);
            -1
        }
    }
}

/// A `NOERR` call (`getpid`, `posix_fallocate`): the kernel's answer is
/// its first return register and `errno` is left alone. Only a call that
/// never reached the kernel (none booted, no connection) sets `errno` and
/// returns -1.
pub fn noerr32(r: Result<[i64; 2], Errno>) -> i32 {
    match r {
        Ok(v) => v[0] as i32,
        Err(e) => {
            set_errno(e.0);
            -1
        }
    }
}

/// A call with no result (`sync`).
pub fn void(r: Result<[i64; 2], Errno>) {
    if let Err(e) = r {
        set_errno(e.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_reach_c_as_netbsds_wrappers_hand_them() {
        set_errno(99);
        assert_eq!(ret32(Ok([7, 0])), 7);
        assert_eq!(errno(), 0);
        assert_eq!(ret64(Err(Errno::ENOENT)), -1);
        assert_eq!(errno(), Errno::ENOENT.0);
        set_errno(5);
        assert_eq!(noerr32(Ok([42, 0])), 42);
        assert_eq!(errno(), 5, "NOERR calls leave errno alone");
        assert_eq!(noerr32(Err(Errno::ENXIO)), -1);
        assert_eq!(errno(), Errno::ENXIO.0);
        set_errno(0);
        void(Ok([0, 0]));
        assert_eq!(errno(), 0);
        void(Err(Errno::EBADF));
        assert_eq!(errno(), Errno::EBADF.0);
    }
}
