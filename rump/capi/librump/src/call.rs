//! Making a call in this process's kernel and handing its result to C as
//! NetBSD's `rump_syscalls.c` does for a local kernel (`rsys_seterrno` is
//! `rumpuser_seterrno`, which stores the error number in `errno` as is).

use crate::memory::LocalMemory;
use netbsd_abi::Errno;

pub(crate) use rump_cabi::c_export;
pub use rump_cabi::{noerr32, ret32, ret64, set_errno, void};

/// Make system call `nr` with register-sized argument slots `args`, whose
/// pointers are addresses in this process, as the calling thread's lwp.
pub fn syscall(nr: usize, args: &[u64]) -> Result<[i64; 2], Errno> {
    let k = crate::init::kernel()?;
    let r = crate::sched::unscheduled(k, || k.syscall(nr, args, &LocalMemory))?;
    Ok([r[0] as i64, r[1] as i64])
}
