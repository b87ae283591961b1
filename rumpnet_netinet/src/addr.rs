//! IPv4 addresses as the stack computes with them (host-order `u32`),
//! `struct sockaddr_in` in NetBSD's layout, and the 16-byte addresses of
//! protocol control blocks that TCP and UDP share with IPv6.

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

/// `AF_INET6`.
pub const AF_INET6: u8 = netbsd_abi::AF_INET6 as u8;
/// `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: usize = netbsd_abi::layout::sockaddr_in6::SIZE;

/// An address in a protocol control block: IPv6, with an IPv4 address as
/// IPv4-mapped (`::ffff:a.b.c.d`), as NetBSD's in6pcb keeps a mapped
/// socket's, so that one TCP and one UDP serve both families. A
/// link-local address carries its zone (the interface index) in bytes 2
/// and 3, KAME's embedded form, as NetBSD's kernel keeps it inside.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct PcbAddr(pub [u8; 16]);

impl PcbAddr {
    /// `::`, the IPv6 wildcard.
    pub const UNSPECIFIED: PcbAddr = PcbAddr([0; 16]);

    /// IPv4 address `a` (host order) as IPv4-mapped.
    pub const fn v4(a: u32) -> PcbAddr {
        let b = a.to_be_bytes();
        PcbAddr([
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, b[0], b[1], b[2], b[3],
        ])
    }

    /// The IPv4 address of a mapped address, or of `::` (0, the
    /// wildcard); `None` for any other IPv6 address.
    pub fn as_v4(&self) -> Option<u32> {
        let a = &self.0;
        (a[..10] == [0; 10] && ((a[10] == 0xff && a[11] == 0xff) || a[10..] == [0; 6]))
            .then(|| u32::from_be_bytes([a[12], a[13], a[14], a[15]]))
    }

    /// The low 32 bits, which are the IPv4 address of a mapped address.
    pub fn low32(&self) -> u32 {
        u32::from_be_bytes([self.0[12], self.0[13], self.0[14], self.0[15]])
    }

    /// Whether this is an IPv4-mapped address.
    pub fn is_v4mapped(&self) -> bool {
        self.0[..10] == [0; 10] && self.0[10] == 0xff && self.0[11] == 0xff
    }

    /// Whether this is a wildcard: `::`, or the mapped `0.0.0.0`.
    pub fn is_any(&self) -> bool {
        *self == PcbAddr::UNSPECIFIED || *self == PcbAddr::v4(ANY)
    }

    /// Whether this is IPv6 multicast or mapped IPv4 multicast.
    pub fn is_multicast(&self) -> bool {
        self.0[0] == 0xff || (self.is_v4mapped() && is_multicast(self.low32()))
    }

    /// Whether this IPv6 address needs a zone: link-local unicast, and
    /// interface- or link-local multicast.
    pub fn is_link_scoped(&self) -> bool {
        let a = &self.0;
        (a[0] == 0xfe && a[1] & 0xc0 == 0x80) || (a[0] == 0xff && matches!(a[1] & 0xf, 1 | 2))
    }

    /// The zone embedded in a link-scoped address (0: none).
    pub fn zone(&self) -> u32 {
        if self.is_link_scoped() {
            u32::from(u16::from_be_bytes([self.0[2], self.0[3]]))
        } else {
            0
        }
    }

    /// The address with its zone taken out, as it goes on the wire.
    pub fn wire(&self) -> [u8; 16] {
        let mut a = self.0;
        if self.is_link_scoped() {
            a[2] = 0;
            a[3] = 0;
        }
        a
    }

    /// Wire address `a` with `zone` embedded when it is link-scoped (a
    /// zone above 65535 cannot be embedded and is refused).
    pub fn embed(a: [u8; 16], zone: u32) -> KResult<PcbAddr> {
        let mut p = PcbAddr(a);
        if p.is_link_scoped() {
            let z = u16::try_from(zone).map_err(|_| Errno::EINVAL)?;
            p.0[2..4].copy_from_slice(&z.to_be_bytes());
        }
        Ok(p)
    }
}

/// `struct sockaddr_in6` for `a:port`, the zone as `sin6_scope_id` and
/// out of the address.
pub fn sockaddr6(a: &PcbAddr, port: u16) -> Vec<u8> {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    let mut v = vec![0u8; SOCKADDR_IN6_LEN];
    v[sin6::sin6_len.offset] = SOCKADDR_IN6_LEN as u8;
    v[sin6::sin6_family.offset] = AF_INET6;
    v[sin6::sin6_port.offset..sin6::sin6_port.offset + 2].copy_from_slice(&port.to_be_bytes());
    v[sin6::sin6_addr.offset..sin6::sin6_addr.offset + 16].copy_from_slice(&a.wire());
    v[sin6::sin6_scope_id.offset..sin6::sin6_scope_id.offset + 4]
        .copy_from_slice(&a.zone().to_le_bytes());
    v
}

/// Parse a `sockaddr_in6` a caller passed: its length must be that of
/// the structure (EINVAL) and its family `AF_INET6` (EAFNOSUPPORT). A
/// link-scoped address takes its zone from `sin6_scope_id`, or from
/// KAME's embedded form when that is 0; a link-scoped address with
/// neither is returned with zone 0, for the caller to refuse or fill.
pub fn parse_sockaddr6(s: &[u8]) -> KResult<(PcbAddr, u16)> {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    if s.len() < SOCKADDR_IN6_LEN || usize::from(s[sin6::sin6_len.offset]) < SOCKADDR_IN6_LEN {
        return Err(Errno::EINVAL);
    }
    if s[sin6::sin6_family.offset] != AF_INET6 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let mut a = [0u8; 16];
    a.copy_from_slice(&s[sin6::sin6_addr.offset..sin6::sin6_addr.offset + 16]);
    let o = sin6::sin6_scope_id.offset;
    let scope = u32::from_le_bytes([s[o], s[o + 1], s[o + 2], s[o + 3]]);
    let embedded = PcbAddr(a).zone();
    let zone = if scope != 0 { scope } else { embedded };
    let port = u16::from_be_bytes([s[sin6::sin6_port.offset], s[sin6::sin6_port.offset + 1]]);
    Ok((PcbAddr::embed(PcbAddr(a).wire(), zone)?, port))
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
    fn pcb_addresses() {
        let m = PcbAddr::v4(0x7f00_0001);
        assert_eq!(
            std::net::Ipv6Addr::from(m.0),
            "::ffff:127.0.0.1".parse::<std::net::Ipv6Addr>().unwrap()
        );
        assert_eq!(m.as_v4(), Some(0x7f00_0001));
        assert!(m.is_v4mapped() && !m.is_any());
        assert!(PcbAddr::v4(ANY).is_any() && PcbAddr::UNSPECIFIED.is_any());
        assert_eq!(PcbAddr::UNSPECIFIED.as_v4(), Some(ANY));
        let ll: std::net::Ipv6Addr = "fe80::1".parse().unwrap();
        let e = PcbAddr::embed(ll.octets(), 3).unwrap();
        assert_eq!(e.zone(), 3);
        assert_eq!(e.wire(), ll.octets());
        assert_eq!(e.as_v4(), None);
        let s = sockaddr6(&e, 80);
        assert_eq!(s.len(), 28);
        assert_eq!(parse_sockaddr6(&s), Ok((e, 80)));
        let g: std::net::Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(PcbAddr::embed(g.octets(), 3).unwrap().zone(), 0);
        assert_eq!(parse_sockaddr6(&s[..20]), Err(Errno::EINVAL));
        assert_eq!(parse_sockaddr6(&sockaddr(1, 1)), Err(Errno::EINVAL));
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
