//! route(8)'s `-inet6` operands: a destination (`ADDR/LEN`, `ADDR`,
//! `default`, a link-local one with `%IF`) and a gateway, as the
//! `sockaddr_in6` messages NetBSD's route sends (`getaddr`,
//! `inet6_makenetandmask`, `prefixlen`, `mask_addr`): link-local zones
//! are embedded in the address (`inet6_putscopeid`) and the mask is cut
//! after its last non-zero byte.

use crate::inet6::{is_link_scoped, sockaddr_in6};
use netbsd_abi::layout::sockaddr_in6 as sin6;
use std::collections::HashMap;
use std::net::Ipv6Addr;

/// A destination as the routing socket takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dest6 {
    /// The destination's `sockaddr_in6`.
    pub sa: Vec<u8>,
    /// The mask's, cut short (empty for `default`); `None`: no mask sent.
    pub mask: Option<Vec<u8>>,
    /// A host route.
    pub host: bool,
}

/// `ADDR[%IF]` with `IF` a name in `names` or an index: the
/// `sockaddr_in6`, zone embedded when link-scoped.
pub fn scoped_sockaddr(s: &str, names: &HashMap<u16, String>) -> Option<Vec<u8>> {
    let (a, zone) = match s.split_once('%') {
        Some((a, z)) => {
            let idx = z
                .parse::<u16>()
                .ok()
                .or_else(|| names.iter().find(|(_, n)| n.as_str() == z).map(|(i, _)| *i))?;
            (a, idx)
        }
        None => (s, 0),
    };
    let a: Ipv6Addr = a.parse().ok()?;
    let mut o = a.octets();
    if zone != 0 {
        if !is_link_scoped(&a) {
            return None;
        }
        o[2..4].copy_from_slice(&zone.to_be_bytes());
    }
    Some(sockaddr_in6(&Ipv6Addr::from(o), 0))
}

/// A mask `sockaddr_in6` of `len` bits as route(8) sends it: family
/// `AF_INET6`, length cut after the last non-zero byte (`mask_addr`).
pub fn mask_sockaddr(len: u8) -> Vec<u8> {
    let bits = if len == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(len.min(128)))
    };
    let mut sa = sockaddr_in6(&Ipv6Addr::from(bits), 0);
    let used = sa.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    sa.truncate(used);
    if let Some(l) = sa.first_mut() {
        *l = used as u8;
    }
    sa
}

/// The destination operand, with `-host` or `-net` if given (`net`):
/// `default` is ::/0, `ADDR/LEN` a prefix, a plain address a host
/// unless it is :: or a global one whose low 64 bits are zero
/// (`inet6_makenetandmask`).
pub fn destination(s: &str, net: Option<bool>, names: &HashMap<u16, String>) -> Option<Dest6> {
    if s == "default" {
        return Some(Dest6 {
            sa: sockaddr_in6(&Ipv6Addr::UNSPECIFIED, 0),
            mask: Some(Vec::new()),
            host: false,
        });
    }
    let (a, len) = match s.rsplit_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().ok().filter(|&l| l <= 128)?)),
        None => (s, None),
    };
    let sa = scoped_sockaddr(a, names)?;
    let b: [u8; 16] = sa.get(sin6::sin6_addr.range())?.try_into().ok()?;
    let len = len.or_else(|| {
        let ip = Ipv6Addr::from(b);
        if ip.is_unspecified() {
            Some(0)
        } else if b[0] & 0xe0 == 0x20 && b[8..] == [0; 8] {
            Some(64)
        } else {
            None
        }
    });
    let host = match (net, len) {
        (Some(n), _) => !n,
        (None, l) => l.is_none_or(|l| l == 128),
    };
    Some(Dest6 {
        sa,
        mask: len.filter(|_| !host).map(mask_sockaddr),
        host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operands_become_route8s_sockaddrs() {
        let names: HashMap<u16, String> = [(2, "shmif0".to_string())].into();
        let d = destination("default", None, &names).unwrap();
        assert_eq!((d.mask, d.host), (Some(Vec::new()), false));
        let d = destination("2001:db8:2::/64", None, &names).unwrap();
        // Eight bytes of ones after the 8-byte sockaddr head.
        assert_eq!(d.mask.as_ref().map(Vec::len), Some(16));
        assert_eq!(d.mask.unwrap()[0], 16);
        assert!(!d.host);
        assert!(destination("2001:db8::5", None, &names).unwrap().host);
        assert!(!destination("2001:db8::", None, &names).unwrap().host);
        let g = scoped_sockaddr("fe80::1%shmif0", &names).unwrap();
        assert_eq!(&g[8..12], &[0xfe, 0x80, 0, 2]);
        assert_eq!(scoped_sockaddr("fe80::1%2", &names), Some(g));
        assert_eq!(scoped_sockaddr("fe80::1%nope0", &names), None);
        assert_eq!(scoped_sockaddr("2001:db8::1%shmif0", &names), None);
        assert_eq!(destination("2001:db8::/129", None, &names), None);
    }
}
