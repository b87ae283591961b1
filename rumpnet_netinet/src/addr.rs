//! IPv4 addresses as the stack computes with them (host-order `u32`), and
//! `struct sockaddr_in` in NetBSD's layout.

use crate::wire::ipv4::Address;
use rump::{Errno, KResult};

/// `AF_INET`.
pub const AF_INET: u8 = netbsd_abi::AF_INET as u8;
/// `sizeof(struct sockaddr_in)`.
pub const SOCKADDR_IN_LEN: usize = netbsd_abi::layout::sockaddr_in::SIZE;
/// `INADDR_ANY`.
pub const ANY: u32 = netbsd_abi::INADDR_ANY;
/// `INADDR_BROADCAST`.
pub const BROADCAST: u32 = netbsd_abi::INADDR_BROADCAST;

/// An address as a host-order number.
pub fn to_u32(a: Address) -> u32 {
    u32::from_be_bytes(a.0)
}

/// A host-order number as an address.
pub fn from_u32(a: u32) -> Address {
    Address(a.to_be_bytes())
}

/// Whether `a` is in 224.0.0.0/4.
pub fn is_multicast(a: u32) -> bool {
    a >> 28 == 0xe
}

/// Whether `a` is in 127.0.0.0/8.
pub fn is_loopback(a: u32) -> bool {
    a >> 24 == netbsd_abi::IN_LOOPBACKNET as u32
}

/// The classful netmask of `a`, for an address given without one.
pub fn class_mask(a: u32) -> u32 {
    match a >> 28 {
        0..=7 => 0xff00_0000,
        8..=11 => 0xffff_0000,
        _ => 0xffff_ff00,
    }
}

/// A contiguous mask's prefix length, if it is contiguous.
pub fn prefix_len(mask: u32) -> Option<u32> {
    let n = mask.leading_ones();
    (mask.checked_shl(n).unwrap_or(0) == 0).then_some(n)
}

/// Dotted-quad form.
pub fn fmt(a: u32) -> String {
    from_u32(a).to_string()
}

/// `struct sockaddr_in` for `addr:port`.
pub fn sockaddr(addr: u32, port: u16) -> Vec<u8> {
    let mut s = vec![0u8; SOCKADDR_IN_LEN];
    s[0] = SOCKADDR_IN_LEN as u8;
    s[1] = AF_INET;
    s[2..4].copy_from_slice(&port.to_be_bytes());
    s[4..8].copy_from_slice(&addr.to_be_bytes());
    s
}

/// Parse a `sockaddr_in` a caller passed: its length must be that of the
/// structure (EINVAL) and its family `AF_INET` (EAFNOSUPPORT).
pub fn parse_sockaddr(s: &[u8]) -> KResult<(u32, u16)> {
    if s.len() < SOCKADDR_IN_LEN || usize::from(s[0]) != SOCKADDR_IN_LEN {
        return Err(Errno::EINVAL);
    }
    if s[1] != AF_INET {
        return Err(Errno::EAFNOSUPPORT);
    }
    Ok((
        u32::from_be_bytes([s[4], s[5], s[6], s[7]]),
        u16::from_be_bytes([s[2], s[3]]),
    ))
}

/// The address in a sockaddr inside an ioctl structure (at `off`), where
/// NetBSD is lenient: a zero length means "not given".
pub fn ioctl_sockaddr(b: &[u8], off: usize) -> Option<u32> {
    let s = b.get(off..off + SOCKADDR_IN_LEN)?;
    (s[0] != 0 && s[1] == AF_INET).then(|| u32::from_be_bytes([s[4], s[5], s[6], s[7]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_round_trip_and_checks() {
        let s = sockaddr(0x0101_0102, 7);
        assert_eq!(s, [16, 2, 0, 7, 1, 1, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(parse_sockaddr(&s), Ok((0x0101_0102, 7)));
        let mut bad = s.clone();
        bad[0] = 15;
        assert_eq!(parse_sockaddr(&bad), Err(Errno::EINVAL));
        bad[0] = 16;
        bad[1] = 1;
        assert_eq!(parse_sockaddr(&bad), Err(Errno::EAFNOSUPPORT));
        assert_eq!(parse_sockaddr(&s[..8]), Err(Errno::EINVAL));
    }

    #[test]
    fn masks() {
        assert_eq!(prefix_len(0xffff_ff00), Some(24));
        assert_eq!(prefix_len(0), Some(0));
        assert_eq!(prefix_len(0xff00_ff00), None);
        assert_eq!(class_mask(0x0a00_0001), 0xff00_0000);
        assert_eq!(class_mask(0xc0a8_0001), 0xffff_ff00);
    }
}
