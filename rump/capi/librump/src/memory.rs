//! The memory of a local client: its own process's. The kernel copies a
//! call's buffers in and out by the addresses the C caller handed, through
//! the hypercall layer's own-memory copies, so that an address that is not
//! mapped (or a write to read-only memory) is EFAULT, as a kernel says it.

use kernel::usermem::UserSpace;
use kernel::{Errno, KResult};

/// The calling process's memory.
pub struct LocalMemory;

/// How far a string is read ahead at a time: never across a page, so that
/// a string ending just before an unmapped page is still read whole.
const PAGE: u64 = 4096;

impl UserSpace for LocalMemory {
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        if rumpuser::read_own_memory(addr, buf) {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }

    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()> {
        if rumpuser::write_own_memory(addr, data) {
            Ok(())
        } else {
            Err(Errno::EFAULT)
        }
    }

    fn copyinstr(&self, addr: u64, max: usize) -> KResult<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let chunk = ((PAGE - at % PAGE) as usize).min(max - out.len());
            let start = out.len();
            out.resize(start + chunk, 0);
            if !rumpuser::read_own_memory(at, &mut out[start..]) {
                return Err(Errno::EFAULT);
            }
            if let Some(n) = out[start..].iter().position(|&b| b == 0) {
                out.truncate(start + n);
                return Ok(out);
            }
            at = at.checked_add(chunk as u64).ok_or(Errno::EFAULT)?;
        }
        Err(Errno::ENAMETOOLONG)
    }
}
