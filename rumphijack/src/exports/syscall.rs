//! `syscall(2)`, glibc's way to make a system call it has no function for.
//! Programs use it for calls newer than their glibc, and those on a path
//! must be routed as well: `openat2` (rsync opens files with it). NetBSD
//! has no `openat2`, so for a kernel path it is ENOSYS, the answer of a
//! Linux older than 5.6, on which programs fall back to `openat`. Every
//! other call goes to the host as it is.

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
    if n == libc::SYS_openat2
        && let ByAt::Rump(..) = by_at(a1 as i32, a2 as *const c_char)
    {
        set_errno(libc::ENOSYS);
        return -1;
    }
    host_syscall(n, [a1, a2, a3, a4, a5, a6])
}
