//! IPv6 addresses as the kernel and its callers see them: `sockaddr_in6`,
//! scopes, the interface identifier of an Ethernet address (RFC 4291
//! appendix A) and the multicast groups neighbour discovery uses.

use netbsd_abi::layout::sockaddr_in6 as sin6;
use rump::{Errno, KResult};
use std::net::Ipv6Addr;

/// `AF_INET6`.
pub const AF_INET6: u8 = netbsd_abi::AF_INET6 as u8;
/// `sizeof(struct sockaddr_in6)`.
pub const SOCKADDR_IN6_LEN: usize = sin6::SIZE;

/// `ff02::1`, all nodes on the link.
pub const ALL_NODES: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);

/// An address with the interface its scope is on (0: none needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScopedAddr {
    /// The address.
    pub addr: Ipv6Addr,
    /// `sin6_scope_id`: the interface index of a link-local address.
    pub scope: u32,
}

/// Whether `a` needs a scope: link-local unicast, and link- or
/// interface-local multicast.
pub fn is_link_scoped(a: &Ipv6Addr) -> bool {
    a.is_unicast_link_local() || (a.is_multicast() && matches!(a.octets()[1] & 0xf, 1 | 2))
}

/// `a` as a `sockaddr_in6` with `port` and `scope`.
pub fn sockaddr(a: &Ipv6Addr, port: u16, scope: u32) -> Vec<u8> {
    let mut v = vec![0u8; SOCKADDR_IN6_LEN];
    v[sin6::sin6_len.offset] = SOCKADDR_IN6_LEN as u8;
    v[sin6::sin6_family.offset] = AF_INET6;
    v[sin6::sin6_port.offset..sin6::sin6_port.offset + 2].copy_from_slice(&port.to_be_bytes());
    v[sin6::sin6_addr.offset..sin6::sin6_addr.offset + 16].copy_from_slice(&a.octets());
    v[sin6::sin6_scope_id.offset..sin6::sin6_scope_id.offset + 4]
        .copy_from_slice(&scope.to_le_bytes());
    v
}

/// `a` as the kernel's lists (`NET_RT_IFLIST`, routes) show it: a
/// link-scoped address carries its zone in bytes 2 and 3 (KAME's
/// embedded form, which `inet6_getscopeid(3)` takes apart).
pub fn sockaddr_embedded(a: &Ipv6Addr, scope: u32) -> Vec<u8> {
    let mut o = a.octets();
    if is_link_scoped(a) {
        o[2..4].copy_from_slice(&(scope as u16).to_be_bytes());
    }
    sockaddr(&Ipv6Addr::from(o), 0, 0)
}

/// The address, port and scope of a `sockaddr_in6` a caller gave:
/// EINVAL if it is short, EAFNOSUPPORT if it is another family.
pub fn parse_sockaddr(sa: &[u8]) -> KResult<(ScopedAddr, u16)> {
    if sa.len() < SOCKADDR_IN6_LEN {
        return Err(Errno::EINVAL);
    }
    if sa[sin6::sin6_family.offset] != AF_INET6 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let mut a = [0u8; 16];
    a.copy_from_slice(&sa[sin6::sin6_addr.offset..sin6::sin6_addr.offset + 16]);
    let port = u16::from_be_bytes([sa[2], sa[3]]);
    let o = sin6::sin6_scope_id.offset;
    let mut scope = u32::from_le_bytes([sa[o], sa[o + 1], sa[o + 2], sa[o + 3]]);
    // KAME's embedded form (what the kernel hands out in interface and
    // route lists, and tools hand back): the zone in bytes 2 and 3.
    let zone = u16::from_be_bytes([a[2], a[3]]);
    if is_link_scoped(&Ipv6Addr::from(a)) && zone != 0 {
        if scope == 0 {
            scope = u32::from(zone);
        }
        a[2] = 0;
        a[3] = 0;
    }
    Ok((
        ScopedAddr {
            addr: Ipv6Addr::from(a),
            scope,
        },
        port,
    ))
}

/// The mask of a prefix of `len` bits.
pub fn prefix_mask(len: u8) -> Ipv6Addr {
    let bits = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    Ipv6Addr::from(bits)
}

/// The length of `mask`'s prefix, if it is one (contiguous ones).
pub fn prefix_len(mask: &Ipv6Addr) -> Option<u8> {
    let m = u128::from(*mask);
    let n = m.leading_ones();
    (m.checked_shl(n).unwrap_or(0) == 0).then_some(n as u8)
}

/// Whether `a` and `b` share their first `len` bits.
pub fn same_prefix(a: &Ipv6Addr, b: &Ipv6Addr, len: u8) -> bool {
    let m = u128::from(prefix_mask(len));
    u128::from(*a) & m == u128::from(*b) & m
}

/// The link-local address of an interface with Ethernet address `mac`:
/// fe80:: and the modified EUI-64 identifier (RFC 4291 appendix A).
pub fn link_local_of(mac: [u8; 6]) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a[0] = 0xfe;
    a[1] = 0x80;
    a[8] = mac[0] ^ 0x02;
    a[9] = mac[1];
    a[10] = mac[2];
    a[11] = 0xff;
    a[12] = 0xfe;
    a[13] = mac[3];
    a[14] = mac[4];
    a[15] = mac[5];
    Ipv6Addr::from(a)
}

/// The solicited-node group of `a` (RFC 4291 2.7.1): ff02::1:ff00:0/104
/// with the low 24 bits of `a`.
pub fn solicited_node(a: &Ipv6Addr) -> Ipv6Addr {
    let o = a.octets();
    let mut g = [0u8; 16];
    g[0] = 0xff;
    g[1] = 0x02;
    g[11] = 1;
    g[12] = 0xff;
    g[13..].copy_from_slice(&o[13..]);
    Ipv6Addr::from(g)
}

/// The Ethernet address of multicast group `g` (RFC 2464 7): 33:33 and
/// the group's last four bytes.
pub fn multicast_mac(g: &Ipv6Addr) -> [u8; 6] {
    let o = g.octets();
    [0x33, 0x33, o[12], o[13], o[14], o[15]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eui64_and_solicited_node() {
        // RFC 4291 appendix A's example: 34-56-78-9A-BC-DE gives
        // 3656:78ff:fe9a:bcde.
        let ll = link_local_of([0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde]);
        assert_eq!(ll, "fe80::3656:78ff:fe9a:bcde".parse::<Ipv6Addr>().unwrap());
        assert_eq!(
            solicited_node(&ll),
            "ff02::1:ff9a:bcde".parse::<Ipv6Addr>().unwrap()
        );
        assert_eq!(
            multicast_mac(&solicited_node(&ll)),
            [0x33, 0x33, 0xff, 0x9a, 0xbc, 0xde]
        );
    }

    #[test]
    fn prefixes() {
        assert_eq!(prefix_len(&prefix_mask(64)), Some(64));
        assert_eq!(prefix_len(&prefix_mask(0)), Some(0));
        assert_eq!(prefix_len(&prefix_mask(128)), Some(128));
        assert_eq!(prefix_len(&"ffff::1".parse().unwrap()), None);
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert!(same_prefix(&a, &"2001:db8::ffff".parse().unwrap(), 64));
        assert!(!same_prefix(&a, &"2001:db9::1".parse().unwrap(), 32));
    }

    #[test]
    fn sockaddr_round_trip() {
        let a: Ipv6Addr = "fe80::1".parse().unwrap();
        let sa = sockaddr(&a, 7, 3);
        assert_eq!(sa.len(), 28);
        assert_eq!(&sa[..4], &[28, 24, 0, 7]);
        let (s, port) = parse_sockaddr(&sa).unwrap();
        assert_eq!((s.addr, s.scope, port), (a, 3, 7));
        assert_eq!(parse_sockaddr(&sa[..20]).unwrap_err(), Errno::EINVAL);
        assert!(is_link_scoped(&a) && is_link_scoped(&ALL_NODES));
        assert!(!is_link_scoped(&"2001:db8::1".parse().unwrap()));
        // The embedded form: fe80:2::1 is fe80::1 on interface 2.
        let e = sockaddr_embedded(&a, 2);
        assert_eq!(&e[8..12], &[0xfe, 0x80, 0, 2]);
        let (s, _) = parse_sockaddr(&e).unwrap();
        assert_eq!((s.addr, s.scope), (a, 2));
    }
}
