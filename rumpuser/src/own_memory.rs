//! Copies to and from this process's own memory at addresses that came
//! from elsewhere (a C caller's pointers, which the server of a remote
//! client reads and writes through the client). The copies go through
//! `process_vm_readv`/`process_vm_writev` on this very process, so an
//! address that is not mapped is a clean failure, as a kernel's EFAULT,
//! and never a crash.

fn iov(addr: u64, len: usize) -> libc::iovec {
    libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: len,
    }
}

/// Copy `len` bytes between `local` and `addr`: into this process's
/// memory at `addr` when `to_addr`, out of it otherwise. Partial copies
/// stop at the first unmapped byte; the result is whether all was copied.
fn transfer(addr: u64, local: *mut u8, len: usize, to_addr: bool) -> bool {
    let mut done = 0usize;
    while done < len {
        let here = iov(local as u64 + done as u64, len - done);
        let there = iov(addr.wrapping_add(done as u64), len - done);
        // SAFETY: `here` covers `len` bytes the caller lent us (a slice,
        // see the two functions below); `there` is checked by the host
        // kernel, which answers EFAULT instead of touching an unmapped page.
        let n = unsafe {
            if to_addr {
                libc::process_vm_writev(libc::getpid(), &here, 1, &there, 1, 0)
            } else {
                libc::process_vm_readv(libc::getpid(), &here, 1, &there, 1, 0)
            }
        };
        if n <= 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

/// Fill `buf` from this process's memory at `addr`; `false` if any of it
/// is not mapped (then `buf` holds what could be read before that).
pub fn read_own_memory(addr: u64, buf: &mut [u8]) -> bool {
    buf.is_empty() || transfer(addr, buf.as_mut_ptr(), buf.len(), false)
}

/// Store `data` into this process's memory at `addr`; `false` if any of
/// it is not mapped or not writable.
pub fn write_own_memory(addr: u64, data: &[u8]) -> bool {
    // The host only reads the local side of a write, but its signature
    // wants a mutable pointer.
    data.is_empty() || transfer(addr, data.as_ptr() as *mut u8, data.len(), true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_own_memory_and_fails_cleanly_on_unmapped_addresses() {
        let src = b"hello".to_vec();
        let mut got = [0u8; 5];
        assert!(read_own_memory(src.as_ptr() as u64, &mut got));
        assert_eq!(&got, b"hello");
        let mut dst = vec![0u8; 4];
        assert!(write_own_memory(dst.as_mut_ptr() as u64, b"abcd"));
        assert_eq!(std::hint::black_box(&dst), b"abcd");
        assert!(!read_own_memory(8, &mut got));
        assert!(!write_own_memory(8, b"x"));
        assert!(read_own_memory(8, &mut []));
    }
}
