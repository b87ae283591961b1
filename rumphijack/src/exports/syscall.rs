//! `syscall(2)`, glibc's way to make a system call it has no function for.
//! Programs use it for calls newer than their glibc, and those on a path
//! or a descriptor must be routed as well. `openat2` (rsync opens files
//! with it): NetBSD has no `openat2`, so for a kernel path it is ENOSYS,
//! the answer of a Linux older than 5.6, on which programs fall back to
//! `openat`. `close_range`, `statx`, `renameat2` and `faccessat2` take the
//! routes of this library's functions of those names. Every other call
//! goes to the host as it is.
//!
//! The six arguments are read whatever the call takes: on x86-64 and
//! aarch64 they are registers (or, for the sixth on x86-64, a stack slot
//! the caller's frame always has), as glibc's own `syscall` reads them.

use super::{ByAt, by_at, set_errno};
use libc::{c_char, c_long};

/// The host's `syscall`, with as many arguments as any call takes: glibc's
/// takes them from the same registers (and stack slot) as a variadic call.
fn host_syscall(n: c_long, a: [c_long; 6]) -> c_long {
    host!(syscall(n, a[0], a[1], a[2], a[3], a[4], a[5])
        as fn(
            c_long,
            c_long,
            c_long,
            c_long,
            c_long,
            c_long,
            c_long,
        ) -> c_long)
}

#[unsafe(no_mangle)]
pub unsafe extern "C" fn syscall(
    n: c_long,
    a1: c_long,
    a2: c_long,
    a3: c_long,
    a4: c_long,
    a5: c_long,
    a6: c_long,
) -> c_long {
    let path = a2 as *const c_char;
    // SAFETY (each call): the arguments are the program's, passed on as
    // the function of that name takes them.
    match n {
        libc::SYS_openat2 => {
            if let ByAt::Rump(..) = by_at(a1 as i32, path) {
                set_errno(libc::ENOSYS);
                return -1;
            }
        }
        libc::SYS_close_range => {
            return unsafe { super::proc::close_range(a1 as u32, a2 as u32, a3 as i32) }.into();
        }
        libc::SYS_statx => {
            return unsafe {
                super::stat::statx(a1 as i32, path, a3 as i32, a4 as u32, a5 as *mut _)
            }
            .into();
        }
        libc::SYS_renameat2 => {
            let to = a4 as *const c_char;
            return unsafe { super::path::renameat2(a1 as i32, path, a3 as i32, to, a5 as u32) }
                .into();
        }
        libc::SYS_faccessat2 => {
            return unsafe { super::path::faccessat(a1 as i32, path, a3 as i32, a4 as i32) }.into();
        }
        _ => {}
    }
    host_syscall(n, [a1, a2, a3, a4, a5, a6])
}
