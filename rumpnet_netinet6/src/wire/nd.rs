//! Neighbour discovery messages and options (RFC 4861 section 4): the
//! solicitation's and advertisement's target, the advertisement's flags
//! and the link-layer address options.

use super::Malformed;
use std::net::Ipv6Addr;

/// A solicitation or advertisement: header (8), target (16).
pub const NS_NA_LEN: usize = 24;

/// Option types.
pub mod opt {
    /// Source link-layer address.
    pub const SOURCE_LLADDR: u8 = 1;
    /// Target link-layer address.
    pub const TARGET_LLADDR: u8 = 2;
    /// Prefix information (router advertisements).
    pub const PREFIX_INFO: u8 = 3;
    /// Redirected header (redirects).
    pub const REDIRECTED_HEADER: u8 = 4;
    /// MTU (router advertisements).
    pub const MTU: u8 = 5;
}

/// Advertisement flags (the first byte of the reserved word).
pub mod flag {
    /// Router.
    pub const ROUTER: u8 = 0x80;
    /// Solicited.
    pub const SOLICITED: u8 = 0x40;
    /// Override.
    pub const OVERRIDE: u8 = 0x20;
}

/// A checked view of a solicitation or advertisement (`b` starts at the
/// ICMPv6 header).
#[derive(Clone, Copy, Debug)]
pub struct NeighborMsg<'a> {
    b: &'a [u8],
}

impl<'a> NeighborMsg<'a> {
    /// Check the message and its options (each whole, none of length 0,
    /// RFC 4861 7.1.1) and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<NeighborMsg<'a>, Malformed> {
        if b.len() < NS_NA_LEN {
            return Err(Malformed::Truncated);
        }
        let m = NeighborMsg { b };
        m.options()?;
        Ok(m)
    }

    /// The target address.
    pub fn target(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.b[8..24]);
        Ipv6Addr::from(a)
    }

    /// An advertisement's flags ([`flag`]).
    pub fn flags(&self) -> u8 {
        self.b[4]
    }

    /// The options, as (type, body after the type and length bytes).
    pub fn options(&self) -> Result<Vec<(u8, &'a [u8])>, Malformed> {
        options(&self.b[NS_NA_LEN..])
    }

    /// The Ethernet address of option `kind`, if it is there.
    pub fn lladdr(&self, kind: u8) -> Option<[u8; 6]> {
        self.options()
            .ok()?
            .into_iter()
            .find(|(k, b)| *k == kind && b.len() >= 6)
            .map(|(_, b)| {
                let mut a = [0u8; 6];
                a.copy_from_slice(&b[..6]);
                a
            })
    }
}

/// The options in `b`, as (type, body after the type and length
/// bytes): each whole and none of length 0 (RFC 4861 4.6), which every
/// ND message's options must be.
pub fn options(mut rest: &[u8]) -> Result<Vec<(u8, &[u8])>, Malformed> {
    let mut v = Vec::new();
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(Malformed::Truncated);
        }
        let len = usize::from(rest[1]) * 8;
        if len == 0 {
            return Err(Malformed::BadField);
        }
        if len > rest.len() {
            return Err(Malformed::Truncated);
        }
        v.push((rest[0], &rest[2..len]));
        rest = &rest[len..];
    }
    Ok(v)
}

/// The Ethernet address in link-layer address option body `b` (after
/// the type and length bytes).
pub fn option_lladdr(b: &[u8]) -> Option<[u8; 6]> {
    b.get(..6).map(|x| {
        let mut a = [0u8; 6];
        a.copy_from_slice(x);
        a
    })
}

/// A solicitation or advertisement to send, checksum zero: `flags` is
/// the advertisement's, `lladdr` the option to add (of type `opt_kind`).
pub fn build(kind: u8, flags: u8, target: &Ipv6Addr, lladdr: Option<(u8, [u8; 6])>) -> Vec<u8> {
    let mut v = vec![kind, 0, 0, 0, flags, 0, 0, 0];
    v.extend_from_slice(&target.octets());
    if let Some((k, a)) = lladdr {
        v.extend_from_slice(&[k, 1]);
        v.extend_from_slice(&a);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solicitation_with_source_lladdr() {
        // RFC 4861 4.3 and 4.6.1: NS for fe80::1 with SLLA 02:00:00:00:00:01.
        let mut b = vec![135u8, 0, 0, 0, 0, 0, 0, 0];
        b.extend_from_slice(&"fe80::1".parse::<Ipv6Addr>().unwrap().octets());
        b.extend_from_slice(&[1, 1, 2, 0, 0, 0, 0, 1]);
        let m = NeighborMsg::new_checked(&b).unwrap();
        assert_eq!(m.target(), "fe80::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(m.lladdr(opt::SOURCE_LLADDR), Some([2, 0, 0, 0, 0, 1]));
        assert_eq!(m.lladdr(opt::TARGET_LLADDR), None);
        let built = build(
            135,
            0,
            &m.target(),
            Some((opt::SOURCE_LLADDR, [2, 0, 0, 0, 0, 1])),
        );
        assert_eq!(built, b);
    }

    #[test]
    fn zero_length_and_overlong_options_are_refused() {
        let mut b = build(136, flag::SOLICITED, &Ipv6Addr::LOCALHOST, None);
        assert_eq!(NeighborMsg::new_checked(&b).unwrap().flags(), 0x40);
        b.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            NeighborMsg::new_checked(&b).unwrap_err(),
            Malformed::BadField
        );
        let n = b.len();
        b[n - 7] = 2;
        assert_eq!(
            NeighborMsg::new_checked(&b).unwrap_err(),
            Malformed::Truncated
        );
        assert_eq!(
            NeighborMsg::new_checked(&b[..23]).unwrap_err(),
            Malformed::Truncated
        );
    }
}
