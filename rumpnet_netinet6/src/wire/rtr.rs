//! Router discovery and redirect messages (RFC 4861 sections 4.1, 4.2,
//! 4.5) and the options only they carry: prefix information (4.6.2),
//! MTU (4.6.4) and the redirected header (4.6.3).

use super::Malformed;
use super::nd::{self, opt};
use std::net::Ipv6Addr;

/// A router advertisement's fixed part: the ICMPv6 header, hop limit,
/// flags, router lifetime, reachable time and retransmission timer.
pub const RA_LEN: usize = 16;
/// A router solicitation's fixed part: the header and a reserved word.
pub const RS_LEN: usize = 8;
/// A redirect's fixed part: the header, a reserved word, target and
/// destination.
pub const REDIRECT_LEN: usize = 40;
/// A prefix information option's body (after type and length): its
/// length field is 4 (32 bytes).
pub const PREFIX_INFO_BODY: usize = 30;
/// A prefix information option's length field (`nd_opt_pi_len`).
pub const PREFIX_INFO_UNITS: u8 = 4;
/// An MTU option's length field.
pub const MTU_UNITS: u8 = 1;

/// Prefix information flags (`ND_OPT_PI_FLAG_*`).
pub mod pi_flag {
    /// On-link.
    pub const ONLINK: u8 = 0x80;
    /// Autonomous address configuration.
    pub const AUTO: u8 = 0x40;
}

/// A lifetime of all ones is infinity (`ND6_INFINITE_LIFETIME`).
pub const INFINITE: u32 = u32::MAX;

/// A checked view of a router advertisement (`b` starts at the ICMPv6
/// header).
#[derive(Clone, Copy, Debug)]
pub struct RouterAdvert<'a> {
    b: &'a [u8],
}

impl<'a> RouterAdvert<'a> {
    /// Check the fixed part and the options (RFC 4861 6.1.2) and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<RouterAdvert<'a>, Malformed> {
        if b.len() < RA_LEN {
            return Err(Malformed::Truncated);
        }
        nd::options(&b[RA_LEN..])?;
        Ok(RouterAdvert { b })
    }

    /// Cur hop limit (0: unspecified).
    pub fn cur_hop_limit(&self) -> u8 {
        self.b[4]
    }

    /// The M and O flags and the router preference.
    pub fn flags(&self) -> u8 {
        self.b[5]
    }

    /// Router lifetime in seconds (0: not a default router).
    pub fn router_lifetime(&self) -> u16 {
        u16::from_be_bytes([self.b[6], self.b[7]])
    }

    /// Reachable time in milliseconds (0: unspecified).
    pub fn reachable_time(&self) -> u32 {
        u32::from_be_bytes([self.b[8], self.b[9], self.b[10], self.b[11]])
    }

    /// Retransmission timer in milliseconds (0: unspecified).
    pub fn retrans_timer(&self) -> u32 {
        u32::from_be_bytes([self.b[12], self.b[13], self.b[14], self.b[15]])
    }

    /// The options, as (type, body after the type and length bytes).
    pub fn options(&self) -> Vec<(u8, &'a [u8])> {
        nd::options(&self.b[RA_LEN..]).unwrap_or_default()
    }

    /// The source link-layer address option, if there is one.
    pub fn source_lladdr(&self) -> Option<[u8; 6]> {
        self.options()
            .into_iter()
            .find(|(k, _)| *k == opt::SOURCE_LLADDR)
            .and_then(|(_, b)| nd::option_lladdr(b))
    }
}

/// A prefix information option (its body, after type and length).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PrefixInfo {
    /// Prefix length.
    pub prefixlen: u8,
    /// [`pi_flag`]s.
    pub flags: u8,
    /// Valid lifetime in seconds ([`INFINITE`]: for ever).
    pub valid: u32,
    /// Preferred lifetime in seconds.
    pub preferred: u32,
    /// The prefix.
    pub prefix: Ipv6Addr,
}

impl PrefixInfo {
    /// Parse option body `b`; a body of another length than
    /// [`PREFIX_INFO_BODY`] is malformed (`nd_opt_pi_len != 4`).
    pub fn parse(b: &[u8]) -> Result<PrefixInfo, Malformed> {
        if b.len() != PREFIX_INFO_BODY {
            return Err(Malformed::BadField);
        }
        let word = |at: usize| u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        let mut p = [0u8; 16];
        p.copy_from_slice(&b[14..30]);
        Ok(PrefixInfo {
            prefixlen: b[0],
            flags: b[1],
            valid: word(2),
            preferred: word(6),
            prefix: Ipv6Addr::from(p),
        })
    }

    /// The whole option (type, length and body).
    pub fn emit(&self) -> Vec<u8> {
        let mut v = vec![
            opt::PREFIX_INFO,
            PREFIX_INFO_UNITS,
            self.prefixlen,
            self.flags,
        ];
        v.extend_from_slice(&self.valid.to_be_bytes());
        v.extend_from_slice(&self.preferred.to_be_bytes());
        v.extend_from_slice(&[0; 4]);
        v.extend_from_slice(&self.prefix.octets());
        v
    }
}

/// The MTU in an MTU option's body; a body of another length is
/// malformed.
pub fn parse_mtu(b: &[u8]) -> Result<u32, Malformed> {
    if b.len() != usize::from(MTU_UNITS) * 8 - 2 {
        return Err(Malformed::BadField);
    }
    Ok(u32::from_be_bytes([b[2], b[3], b[4], b[5]]))
}

/// An MTU option.
pub fn mtu_option(mtu: u32) -> Vec<u8> {
    let mut v = vec![opt::MTU, MTU_UNITS, 0, 0];
    v.extend_from_slice(&mtu.to_be_bytes());
    v
}

/// What a router advertisement says, to send one (checksum zero).
#[derive(Clone, Debug, Default)]
pub struct AdvertRepr {
    /// Cur hop limit.
    pub cur_hop_limit: u8,
    /// Flags.
    pub flags: u8,
    /// Router lifetime (seconds).
    pub router_lifetime: u16,
    /// Reachable time (ms).
    pub reachable_time: u32,
    /// Retransmission timer (ms).
    pub retrans_timer: u32,
    /// The options, each whole.
    pub options: Vec<Vec<u8>>,
}

impl AdvertRepr {
    /// The message.
    pub fn emit(&self) -> Vec<u8> {
        let mut v = vec![
            super::icmpv6::kind::ROUTER_ADVERT,
            0,
            0,
            0,
            self.cur_hop_limit,
            self.flags,
        ];
        v.extend_from_slice(&self.router_lifetime.to_be_bytes());
        v.extend_from_slice(&self.reachable_time.to_be_bytes());
        v.extend_from_slice(&self.retrans_timer.to_be_bytes());
        for o in &self.options {
            v.extend_from_slice(o);
        }
        v
    }
}

/// A router solicitation (checksum zero), with our link-layer address
/// when we have a source address (RFC 4861 4.1).
pub fn solicitation(lladdr: Option<[u8; 6]>) -> Vec<u8> {
    let mut v = vec![super::icmpv6::kind::ROUTER_SOLICIT, 0, 0, 0, 0, 0, 0, 0];
    if let Some(a) = lladdr {
        v.extend_from_slice(&[opt::SOURCE_LLADDR, 1]);
        v.extend_from_slice(&a);
    }
    v
}

/// A checked view of a redirect (`b` starts at the ICMPv6 header).
#[derive(Clone, Copy, Debug)]
pub struct Redirect<'a> {
    b: &'a [u8],
}

impl<'a> Redirect<'a> {
    /// Check the fixed part and the options (RFC 4861 8.1) and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<Redirect<'a>, Malformed> {
        if b.len() < REDIRECT_LEN {
            return Err(Malformed::Truncated);
        }
        nd::options(&b[REDIRECT_LEN..])?;
        Ok(Redirect { b })
    }

    fn addr_at(&self, at: usize) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.b[at..at + 16]);
        Ipv6Addr::from(a)
    }

    /// The better first hop.
    pub fn target(&self) -> Ipv6Addr {
        self.addr_at(8)
    }

    /// The destination redirected.
    pub fn destination(&self) -> Ipv6Addr {
        self.addr_at(24)
    }

    /// The target link-layer address option, if there is one.
    pub fn target_lladdr(&self) -> Option<[u8; 6]> {
        nd::options(&self.b[REDIRECT_LEN..])
            .unwrap_or_default()
            .into_iter()
            .find(|(k, _)| *k == opt::TARGET_LLADDR)
            .and_then(|(_, b)| nd::option_lladdr(b))
    }
}

/// A redirect (checksum zero): `target`, `destination`, the target's
/// link-layer address when known, and as much of the packet that caused
/// it as `room` bytes of redirected header allow (RFC 4861 4.5, 4.6.3):
/// padded to a multiple of 8 bytes when it all fits, else cut to one,
/// as NetBSD's `icmp6_redirect_output` does.
pub fn redirect(
    target: &Ipv6Addr,
    destination: &Ipv6Addr,
    lladdr: Option<[u8; 6]>,
    packet: &[u8],
    room: usize,
) -> Vec<u8> {
    let mut v = vec![super::icmpv6::kind::REDIRECT, 0, 0, 0, 0, 0, 0, 0];
    v.extend_from_slice(&target.octets());
    v.extend_from_slice(&destination.octets());
    if let Some(a) = lladdr {
        v.extend_from_slice(&[opt::TARGET_LLADDR, 1]);
        v.extend_from_slice(&a);
    }
    // The redirected header: 8 bytes of type, length and reserved, then
    // the packet cut to a multiple of 8 bytes.
    let avail = room.saturating_sub(8) & !7;
    let (take, padded) = if packet.len() <= avail {
        (packet.len(), packet.len().div_ceil(8) * 8)
    } else {
        (avail, avail)
    };
    if padded > 0 {
        v.extend_from_slice(&[
            opt::REDIRECTED_HEADER,
            (padded / 8 + 1) as u8,
            0,
            0,
            0,
            0,
            0,
            0,
        ]);
        v.extend_from_slice(&packet[..take]);
        v.resize(v.len() + padded - take, 0);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Ipv6Addr {
        s.parse().unwrap()
    }

    #[test]
    fn router_advert_fields_and_options() {
        // RFC 4861 4.2: hop limit 64, M flag, lifetime 1800 s, reachable
        // 30000 ms, retrans 1000 ms; a prefix option (4.6.2) for
        // 2001:db8:1::/64, L and A, valid 86400, preferred 14400; an MTU
        // option (4.6.4) of 1400; a source link-layer option.
        let b: Vec<u8> = [
            &[134u8, 0, 0, 0, 64, 0x80, 0x07, 0x08][..],
            &[0, 0, 0x75, 0x30, 0, 0, 0x03, 0xe8],
            &[
                3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
            ],
            &[0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            &[5, 1, 0, 0, 0, 0, 0x05, 0x78],
            &[1, 1, 2, 0, 0, 0, 0, 7],
        ]
        .concat();
        let ra = RouterAdvert::new_checked(&b).unwrap();
        assert_eq!(ra.cur_hop_limit(), 64);
        assert_eq!(ra.flags(), 0x80);
        assert_eq!(ra.router_lifetime(), 1800);
        assert_eq!(ra.reachable_time(), 30000);
        assert_eq!(ra.retrans_timer(), 1000);
        assert_eq!(ra.source_lladdr(), Some([2, 0, 0, 0, 0, 7]));
        let o = ra.options();
        assert_eq!(o.len(), 3);
        let pi = PrefixInfo::parse(o[0].1).unwrap();
        let want = PrefixInfo {
            prefixlen: 64,
            flags: pi_flag::ONLINK | pi_flag::AUTO,
            valid: 86400,
            preferred: 14400,
            prefix: a("2001:db8:1::"),
        };
        assert_eq!(pi, want);
        assert_eq!(parse_mtu(o[1].1), Ok(1400));
        let built = AdvertRepr {
            cur_hop_limit: 64,
            flags: 0x80,
            router_lifetime: 1800,
            reachable_time: 30000,
            retrans_timer: 1000,
            options: vec![want.emit(), mtu_option(1400), vec![1, 1, 2, 0, 0, 0, 0, 7]],
        }
        .emit();
        assert_eq!(built, b);
    }

    #[test]
    fn short_and_malformed_messages_are_refused() {
        let b = AdvertRepr::default().emit();
        assert!(RouterAdvert::new_checked(&b).is_ok());
        assert_eq!(
            RouterAdvert::new_checked(&b[..15]).unwrap_err(),
            Malformed::Truncated
        );
        let mut z = b.clone();
        z.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            RouterAdvert::new_checked(&z).unwrap_err(),
            Malformed::BadField
        );
        assert_eq!(PrefixInfo::parse(&[0; 14]), Err(Malformed::BadField));
        assert_eq!(parse_mtu(&[0; 14]), Err(Malformed::BadField));
        assert_eq!(
            Redirect::new_checked(&[137; 39]).unwrap_err(),
            Malformed::Truncated
        );
    }

    #[test]
    fn solicitation_and_redirect() {
        // RFC 4861 4.1: type 133, reserved, a source link-layer option.
        assert_eq!(solicitation(None), [133, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            solicitation(Some([2, 0, 0, 0, 0, 1]))[8..],
            [1, 1, 2, 0, 0, 0, 0, 1]
        );
        // RFC 4861 4.5: target fe80::2, destination 2001:db8::9, the
        // target's link-layer address, the 20-byte packet padded to 24.
        let pkt = [0x60u8; 20];
        let r = redirect(
            &a("fe80::2"),
            &a("2001:db8::9"),
            Some([2, 0, 0, 0, 0, 2]),
            &pkt,
            100,
        );
        assert_eq!(r.len(), 40 + 8 + 8 + 24);
        let v = Redirect::new_checked(&r).unwrap();
        assert_eq!(v.target(), a("fe80::2"));
        assert_eq!(v.destination(), a("2001:db8::9"));
        assert_eq!(v.target_lladdr(), Some([2, 0, 0, 0, 0, 2]));
        assert_eq!(&r[48..56], &[4, 4, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&r[56..76], &pkt);
        assert_eq!(&r[76..], &[0; 4]);
        // Too little room: cut to a multiple of 8.
        let r = redirect(&a("fe80::2"), &a("::9"), None, &pkt, 8 + 19);
        assert_eq!(&r[40..48], &[4, 3, 0, 0, 0, 0, 0, 0]);
        assert_eq!(r.len(), 40 + 8 + 16);
        // Room for the option header alone: no redirected header.
        assert_eq!(redirect(&a("fe80::2"), &a("::9"), None, &pkt, 8).len(), 40);
    }
}
