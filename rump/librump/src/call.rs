//! Making a call in this process's kernel and handing its result to C as
//! NetBSD's `rump_syscalls.c` does for a local kernel (`rsys_seterrno` is
//! `rumpuser_seterrno`, which stores the error number in `errno` as is).

use crate::memory::LocalMemory;
use netbsd_abi::Errno;

/// Declare C functions this library exports under their own names: the
/// generated wrappers (`sysimpl.rs`) are written with it, so that the
/// export attribute stands in this shim and not in the generator.
macro_rules! c_export {
    ($($(#[$m:meta])* fn $name:ident($($p:ident: $t:ty),*) $(-> $r:ty)? $body:block)*) => {
        $(
            $(#[$m])*
            #[unsafe(no_mangle)]
            pub extern "C" fn $name($($p: $t),*) $(-> $r)? $body
        )*
    };
}
pub(crate) use c_export;

/// Set the calling thread's `errno`.
pub fn set_errno(e: i32) {
    // SAFETY: `__errno_location` returns the calling thread's errno
    // variable, valid for the thread's lifetime.
    unsafe { *libc::__errno_location() = e };
}

/// Make system call `nr` with register-sized argument slots `args`, whose
/// pointers are addresses in this process, as the calling thread's lwp.
pub fn syscall(nr: usize, args: &[u64]) -> Result<[i64; 2], Errno> {
    let k = crate::init::kernel()?;
    let r = crate::sched::unscheduled(k, || k.syscall(nr, args, &LocalMemory))?;
    Ok([r[0] as i64, r[1] as i64])
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

/// A `NOERR` call (`getpid`): the kernel's answer is its first return
/// register and `errno` is left alone. Only a call that never reached the
/// kernel (none booted) sets `errno` and returns -1.
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
