//! Making a call in the server's kernel and handing its result to C as
//! NetBSD's `rump_syscalls.c` does.

use crate::connection;
use netbsd_abi::Errno;
use rumpclient::ProcessMemory;

pub(crate) use rump_cabi::c_export;
pub use rump_cabi::{errno, noerr32, ret32, ret64, set_errno, void};

/// Make system call `nr` with register-sized argument slots `args`, whose
/// pointers are addresses in this process.
pub fn syscall(nr: usize, args: &[u64]) -> Result<[i64; 2], Errno> {
    connection::current()?.syscall(nr, args, &ProcessMemory)
}
