//! `rump_sys_pipe`, which NetBSD's library writes by hand: the kernel
//! answers with both descriptors in its two return registers.

use crate::call::{set_errno, syscall};
use crate::memory::LocalMemory;
use kernel::usermem::UserSpace;

/// `pipe(2)` in this process's kernel: the read end in `fd[0]`, the write
/// end in `fd[1]`. EFAULT if `fd` cannot take two `int`s.
#[unsafe(no_mangle)]
pub extern "C" fn rump_sys_pipe(fd: *mut libc::c_int) -> libc::c_int {
    match syscall(netbsd_abi::SYS_pipe, &[]) {
        Ok([r, w]) => {
            let both: Vec<u8> = [r as i32, w as i32]
                .iter()
                .flat_map(|v| v.to_ne_bytes())
                .collect();
            match LocalMemory.copyout(fd as u64, &both) {
                // NetBSD's wrapper leaves `errno` alone when it worked.
                Ok(()) => 0,
                Err(e) => {
                    // The descriptors exist in the kernel; close them and
                    // say so as a kernel would for a bad pointer.
                    for d in [r, w] {
                        let _ = syscall(netbsd_abi::SYS_close, &[d as u32 as u64]);
                    }
                    set_errno(e.0);
                    -1
                }
            }
        }
        Err(e) => {
            set_errno(e.0);
            -1
        }
    }
}
