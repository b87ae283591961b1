//! The caller's memory, as system calls see it.
//!
//! A system call made by number gets addresses in the caller's address space.
//! A local caller's memory is read directly (by a C-ABI shim); a remote
//! client's is read over the wire with COPYIN/COPYOUT requests. The kernel
//! only ever touches it through this trait.

use crate::errno::{Errno, KResult};
use crate::sync::lock;

/// Access to the memory of the process making a system call.
pub trait UserSpace {
    /// Copy `buf.len()` bytes from user address `addr`.
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()>;
    /// Copy `data` to user address `addr`.
    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()>;
    /// Whether a copy may wait on something outside the kernel (a remote
    /// client's reply). The system call layer then gives the virtual CPU up
    /// for the duration of each copy, as NetBSD's sysproxy server does.
    fn copies_block(&self) -> bool {
        false
    }

    /// Copy a NUL-terminated string of at most `max` bytes (NUL included)
    /// from `addr`. ENAMETOOLONG when there is no NUL within `max` bytes.
    fn copyinstr(&self, addr: u64, max: usize) -> KResult<Vec<u8>> {
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        for i in 0..max as u64 {
            self.copyin(addr.checked_add(i).ok_or(Errno::EFAULT)?, &mut byte)?;
            if byte[0] == 0 {
                return Ok(out);
            }
            out.push(byte[0]);
        }
        Err(Errno::ENAMETOOLONG)
    }
}

/// Copy in a value of `N` bytes.
pub fn copyin_array<const N: usize>(us: &dyn UserSpace, addr: u64) -> KResult<[u8; N]> {
    let mut b = [0u8; N];
    us.copyin(addr, &mut b)?;
    Ok(b)
}

/// Copy in `len` bytes into a new vector.
pub fn copyin_vec(us: &dyn UserSpace, addr: u64, len: usize) -> KResult<Vec<u8>> {
    let mut b = vec![0u8; len];
    us.copyin(addr, &mut b)?;
    Ok(b)
}

/// A simulated address space: one buffer at a base address. Used by tests and
/// by callers that marshal their arguments into a scratch area. Addresses
/// outside the buffer (including 0, NULL) fault with EFAULT.
pub struct BufferSpace {
    base: u64,
    mem: std::sync::Mutex<Vec<u8>>,
}

impl BufferSpace {
    /// A space of `len` zero bytes starting at address `base` (must be non-zero).
    pub fn new(base: u64, len: usize) -> BufferSpace {
        BufferSpace {
            base,
            mem: std::sync::Mutex::new(vec![0; len]),
        }
    }

    fn range(&self, addr: u64, len: usize, size: usize) -> KResult<std::ops::Range<usize>> {
        let start = addr.checked_sub(self.base).ok_or(Errno::EFAULT)? as usize;
        let end = start.checked_add(len).ok_or(Errno::EFAULT)?;
        if addr == 0 || end > size {
            Err(Errno::EFAULT)
        } else {
            Ok(start..end)
        }
    }

    /// Store bytes at `addr` (for the test setting up arguments).
    pub fn poke(&self, addr: u64, data: &[u8]) {
        self.copyout(addr, data).expect("poke outside BufferSpace");
    }

    /// Read bytes at `addr` (for the test checking results).
    pub fn peek(&self, addr: u64, len: usize) -> Vec<u8> {
        copyin_vec(self, addr, len).expect("peek outside BufferSpace")
    }
}

impl UserSpace for BufferSpace {
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        let mem = lock(&self.mem);
        let r = self.range(addr, buf.len(), mem.len())?;
        buf.copy_from_slice(&mem[r]);
        Ok(())
    }

    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()> {
        let mut mem = lock(&self.mem);
        let size = mem.len();
        let r = self.range(addr, data.len(), size)?;
        mem[r].copy_from_slice(data);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_outside_and_at_null() {
        let s = BufferSpace::new(0x1000, 16);
        s.poke(0x1000, b"ab\0");
        assert_eq!(s.copyinstr(0x1000, 8).unwrap(), b"ab");
        assert_eq!(s.copyin(0x0fff, &mut [0; 2]), Err(Errno::EFAULT));
        assert_eq!(s.copyin(0x100f, &mut [0; 2]), Err(Errno::EFAULT));
        s.poke(0x1004, b"xyz");
        assert_eq!(s.copyinstr(0x1004, 2), Err(Errno::ENAMETOOLONG));
    }

    /// A caller that answers every address, as a remote client may.
    struct Everywhere;

    impl UserSpace for Everywhere {
        fn copyin(&self, _: u64, buf: &mut [u8]) -> KResult<()> {
            buf.fill(b'a');
            Ok(())
        }
        fn copyout(&self, _: u64, _: &[u8]) -> KResult<()> {
            Ok(())
        }
    }

    #[test]
    fn a_string_running_past_the_top_of_memory_faults() {
        assert_eq!(Everywhere.copyinstr(u64::MAX - 1, 8), Err(Errno::EFAULT));
    }
}
