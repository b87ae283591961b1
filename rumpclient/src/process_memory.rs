//! The memory of a program that hands the server its own pointers: the
//! hijack library (the program's buffers, and the hijack's own for the
//! structures it translates) and `librumpclient.so` (a C caller's). The
//! server copies a call's buffers in and out by those very addresses; an
//! address the program got wrong is EFAULT, as a kernel would say.

use crate::memory::{ClientMemory, Span};
use rumpuser::{read_own_memory, write_own_memory};

/// The memory of this process.
pub struct ProcessMemory;

/// How far a string is read ahead at a time: never across a page, so that
/// a string ending just before an unmapped page is still read whole.
const PAGE: u64 = 4096;

impl ClientMemory for ProcessMemory {
    fn span(&self) -> Span {
        Span::Process
    }

    fn read(&self, addr: u64, len: usize) -> Option<Vec<u8>> {
        let mut v = vec![0u8; len];
        read_own_memory(addr, &mut v).then_some(v)
    }

    fn read_str(&self, addr: u64, max: usize) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let chunk = ((PAGE - at % PAGE) as usize).min(max - out.len());
            let start = out.len();
            out.resize(start + chunk, 0);
            if !read_own_memory(at, &mut out[start..]) {
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
        write_own_memory(addr, data)
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
