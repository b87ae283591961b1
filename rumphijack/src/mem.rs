//! The program's own memory as the server sees it. The server copies the
//! buffers of a call in and out by address; the addresses are the real
//! pointers the program passed (or buffers of the hijack itself, for
//! structures it translates). The copies go through `process_vm_readv` and
//! `process_vm_writev` on this very process, so an address the program got
//! wrong is EFAULT, as a kernel would say, and never a crash in here.

use rumpclient::{ClientMemory, Span};

/// The memory of this process.
pub struct ProcessMemory;

/// How far a string is read ahead at a time: never across a page, so that
/// a string ending just before an unmapped page is still read whole.
const PAGE: u64 = 4096;

fn iov(addr: u64, len: usize) -> libc::iovec {
    libc::iovec {
        iov_base: addr as usize as *mut libc::c_void,
        iov_len: len,
    }
}

/// Copy `buf.len()` bytes from `addr` (`to_proc` false) or to it (true).
/// Partial copies stop at the first unmapped byte; the result is whether
/// all of it was copied.
fn transfer(addr: u64, buf: *mut u8, len: usize, to_proc: bool) -> bool {
    let mut done = 0usize;
    while done < len {
        let local = iov(buf as u64 + done as u64, len - done);
        let remote = iov(addr + done as u64, len - done);
        // SAFETY: the local iovec covers memory this function's caller owns
        // for `len` bytes; the remote one is checked by the host kernel,
        // which fails with EFAULT instead of touching an unmapped page.
        let n = unsafe {
            if to_proc {
                libc::process_vm_writev(libc::getpid(), &local, 1, &remote, 1, 0)
            } else {
                libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0)
            }
        };
        if n <= 0 {
            return false;
        }
        done += n as usize;
    }
    true
}

impl ClientMemory for ProcessMemory {
    fn span(&self) -> Span {
        Span::Process
    }

    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        if len == 0 {
            return Some(Vec::new());
        }
        let mut v = vec![0u8; len];
        transfer(addr, v.as_mut_ptr(), len, false).then_some(v)
    }

    fn read_str(&self, addr: u64, max: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let chunk = ((PAGE - at % PAGE) as usize).min(max - out.len());
            let start = out.len();
            out.resize(start + chunk, 0);
            if !transfer(at, out[start..].as_mut_ptr(), chunk, false) {
                return None;
            }
            if let Some(n) = out[start..].iter().position(|&b| b == 0) {
                out.truncate(start + n + 1);
                return Some(out);
            }
            at += chunk as u64;
        }
        Some(out)
    }

    fn write(&self, addr: u64, data: &[u8]) -> bool {
        // The host only reads the local side of a write, but its signature
        // wants a mutable pointer.
        data.is_empty() || transfer(addr, data.as_ptr() as *mut u8, data.len(), true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_own_memory_and_faults_cleanly() {
        let src = b"hello\0world".to_vec();
        let m = ProcessMemory;
        let a = src.as_ptr() as u64;
        assert_eq!(m.read(a, 5).unwrap(), b"hello");
        assert_eq!(m.read_str(a, 100).unwrap(), b"hello\0");
        assert_eq!(m.read_str(a, 3).unwrap(), b"hel");
        let mut dst = vec![0u8; 4];
        assert!(m.write(dst.as_mut_ptr() as u64, b"abcd"));
        assert_eq!(std::hint::black_box(&dst), b"abcd");
        assert_eq!(m.read(8, 4), None);
        assert!(!m.write(8, b"x"));
        assert_eq!(m.read_str(8, 10), None);
    }
}
