//! Payloads that follow the header (LP64, host byte order, as NetBSD's
//! structures are copied onto the wire without marshalling).
//!
//! ```text
//! copydata:       len: u64 @0, addr: u64 @8, [data @16]
//! sysresp:        error: i32 @0, pad @4, retval0: i64 @8, retval1: i64 @16   (24 bytes)
//! handshake_fork: cookie: [u8; 16] @0, cancel: i32 @16                        (20 bytes)
//! handshake resp: error: i32                                                  (4 bytes)
//! ```

/// Size of `copydata` without its data.
pub const COPYDATA_LEN: usize = 16;
/// Size of `sysresp`.
pub const SYSRESP_LEN: usize = 24;
/// Size of the FORK handshake payload.
pub const HANDSHAKE_FORK_LEN: usize = 20;
/// Size of the PREFORK cookie.
pub const COOKIE_LEN: usize = 16;
/// Argument slots of a system call (`SYS_MAXSYSARGS`), 8 bytes each.
pub const MAX_ARGS: usize = 8;
/// Longest banner NetBSD sends or reads (`MAXBANNER - 1`).
pub const MAX_BANNER: usize = 95;

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[off..off + 8]);
    u64::from_ne_bytes(x)
}

/// A copy request: `len` bytes at client address `addr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CopyData {
    /// Byte count (for COPYINSTR: the most bytes wanted).
    pub len: u64,
    /// Client address.
    pub addr: u64,
}

impl CopyData {
    /// Decode the fixed part; `None` if the payload is too short.
    pub fn parse(b: &[u8]) -> Option<CopyData> {
        (b.len() >= COPYDATA_LEN).then(|| CopyData {
            len: u64_at(b, 0),
            addr: u64_at(b, 8),
        })
    }

    /// Encode, followed by `data` (COPYOUT) or nothing (COPYIN).
    pub fn emit(&self, data: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(COPYDATA_LEN + data.len());
        v.extend_from_slice(&self.len.to_ne_bytes());
        v.extend_from_slice(&self.addr.to_ne_bytes());
        v.extend_from_slice(data);
        v
    }
}

/// The result of a system call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SysResp {
    /// 0 or a NetBSD errno.
    pub error: i32,
    /// The two return registers.
    pub retval: [i64; 2],
}

impl SysResp {
    /// Decode; `None` unless exactly [`SYSRESP_LEN`] bytes.
    pub fn parse(b: &[u8]) -> Option<SysResp> {
        if b.len() != SYSRESP_LEN {
            return None;
        }
        let error = i32::from_ne_bytes([b[0], b[1], b[2], b[3]]);
        Some(SysResp {
            error,
            retval: [u64_at(b, 8) as i64, u64_at(b, 16) as i64],
        })
    }

    /// Encode, with the padding zeroed (NetBSD leaves garbage there).
    pub fn emit(&self) -> [u8; SYSRESP_LEN] {
        let mut b = [0u8; SYSRESP_LEN];
        b[0..4].copy_from_slice(&self.error.to_ne_bytes());
        b[8..16].copy_from_slice(&self.retval[0].to_ne_bytes());
        b[16..24].copy_from_slice(&self.retval[1].to_ne_bytes());
        b
    }
}

/// The FORK handshake: the cookie from PREFORK and the cancel flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HandshakeFork {
    /// The 128-bit cookie.
    pub cookie: [u8; COOKIE_LEN],
    /// Non-zero: the fork failed, release the prepared process.
    pub cancel: i32,
}

impl HandshakeFork {
    /// Decode; `None` unless exactly [`HANDSHAKE_FORK_LEN`] bytes.
    pub fn parse(b: &[u8]) -> Option<HandshakeFork> {
        if b.len() != HANDSHAKE_FORK_LEN {
            return None;
        }
        let mut cookie = [0u8; COOKIE_LEN];
        cookie.copy_from_slice(&b[..COOKIE_LEN]);
        Some(HandshakeFork {
            cookie,
            cancel: i32::from_ne_bytes([b[16], b[17], b[18], b[19]]),
        })
    }

    /// Encode.
    pub fn emit(&self) -> [u8; HANDSHAKE_FORK_LEN] {
        let mut b = [0u8; HANDSHAKE_FORK_LEN];
        b[..COOKIE_LEN].copy_from_slice(&self.cookie);
        b[16..].copy_from_slice(&self.cancel.to_ne_bytes());
        b
    }
}

/// Encode system call arguments as 8-byte slots.
pub fn emit_args(args: &[u64]) -> Vec<u8> {
    args.iter()
        .take(MAX_ARGS)
        .flat_map(|a| a.to_ne_bytes())
        .collect()
}

/// Decode an argument block; `None` unless it is whole slots, at most eight.
pub fn parse_args(b: &[u8]) -> Option<[u64; MAX_ARGS]> {
    if !b.len().is_multiple_of(8) || b.len() > MAX_ARGS * 8 {
        return None;
    }
    let mut a = [0u64; MAX_ARGS];
    for (i, slot) in a.iter_mut().enumerate().take(b.len() / 8) {
        *slot = u64_at(b, i * 8);
    }
    Some(a)
}

/// The banner a server sends: `RUMPSP-0.4-<ostype>-<osrelease>/<machine>\n`.
pub fn banner(ostype: &str, osrelease: &str, machine: &str) -> String {
    let mut b = format!("RUMPSP-0.4-{ostype}-{osrelease}/{machine}");
    b.truncate(MAX_BANNER - 1);
    b.push('\n');
    b
}

/// A program name payload (GUEST, EXEC): the name and its NUL.
pub fn emit_name(name: &str) -> Vec<u8> {
    let mut v = name.as_bytes().to_vec();
    v.push(0);
    v
}

/// Decode a program name payload: up to the first NUL; `None` if empty.
pub fn parse_name(b: &[u8]) -> Option<String> {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    (end > 0).then(|| String::from_utf8_lossy(&b[..end]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::{Class, HEADER_LEN, Header, HeaderError, Type};

    #[test]
    fn header_bytes() {
        // A GUEST handshake for "ls": len 27, reqno 0, REQ, HANDSHAKE, GUEST.
        let h = Header::new(0, Class::Req, Type::Handshake, 0, 3);
        let bytes = h.emit();
        assert_eq!(
            bytes,
            [
                27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        assert_eq!(Header::parse(&bytes), Ok(h));
        // A SYSCALL for __sysctl with six argument slots, reqno 5.
        let sysctl = netbsd_abi::SYS___sysctl as u32;
        let s = Header::new(5, Class::Req, Type::Syscall, sysctl, 48);
        let b = s.emit();
        assert_eq!(&b[..8], &72u64.to_le_bytes());
        assert_eq!(&b[8..16], &5u64.to_le_bytes());
        // abi-literal: the wire bytes of the header, __sysctl's number among them.
        assert_eq!(&b[16..24], &[0, 0, 1, 0, 202, 0, 0, 0]);
        assert_eq!(Header::parse(&b).unwrap().payload_len(), 48);
    }

    #[test]
    fn bad_headers() {
        let mut b = Header::new(1, Class::Resp, Type::Copyin, 0, 0).emit();
        b[0] = 23;
        assert_eq!(Header::parse(&b), Err(HeaderError::BadLength(23)));
        b[0] = 24;
        b[16] = 3;
        assert_eq!(Header::parse(&b), Err(HeaderError::BadClass(3)));
        b[16] = 0;
        b[18] = 9;
        assert_eq!(Header::parse(&b), Err(HeaderError::BadType(9)));
        let mut huge = [0xffu8; HEADER_LEN];
        huge[16..20].fill(0);
        assert!(matches!(
            Header::parse(&huge),
            Err(HeaderError::BadLength(_))
        ));
    }

    #[test]
    fn payloads() {
        let c = CopyData {
            len: 16,
            addr: 0x7fff_0000_1000,
        };
        let b = c.emit(b"xy");
        assert_eq!(b.len(), 18);
        assert_eq!(CopyData::parse(&b), Some(c));
        assert_eq!(CopyData::parse(&b[..15]), None);
        let r = SysResp {
            error: 0,
            retval: [42, 1],
        };
        let rb = r.emit();
        assert_eq!(
            rb,
            [
                0, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        assert_eq!(SysResp::parse(&rb), Some(r));
        assert_eq!(SysResp::parse(&rb[..23]), None);
        let f = HandshakeFork {
            cookie: [7; 16],
            cancel: 0,
        };
        assert_eq!(HandshakeFork::parse(&f.emit()), Some(f));
        assert_eq!(HandshakeFork::parse(&[0; 21]), None);
        assert_eq!(
            parse_args(&emit_args(&[1, 2, 3])).unwrap()[..4],
            [1, 2, 3, 0]
        );
        assert_eq!(parse_args(&[0; 7]), None);
        assert_eq!(parse_args(&[0; 72]), None);
        assert_eq!(parse_name(b"ls\0"), Some("ls".into()));
        assert_eq!(parse_name(b"\0"), None);
        assert_eq!(
            banner("NetBSD", "7.99.34", "amd64"),
            "RUMPSP-0.4-NetBSD-7.99.34/amd64\n"
        );
        assert!(banner(&"x".repeat(200), "1", "m").len() == MAX_BANNER);
    }
}
