//! The IPv6 header (RFC 8200 section 3) and the extension headers NetBSD's
//! `ip6_input` walks (hop-by-hop and destination options, routing,
//! fragment).

use super::Malformed;
use std::net::Ipv6Addr;

/// Length of the fixed header.
pub const HEADER_LEN: usize = 40;

/// Next-header values (`IPPROTO_*`, `netinet/in.h`).
pub mod nh {
    /// Hop-by-hop options.
    pub const HOPOPTS: u8 = netbsd_abi::RUMP_IPPROTO_HOPOPTS as u8;
    /// Routing header.
    pub const ROUTING: u8 = netbsd_abi::RUMP_IPPROTO_ROUTING as u8;
    /// Fragment header.
    pub const FRAGMENT: u8 = netbsd_abi::RUMP_IPPROTO_FRAGMENT as u8;
    /// ICMPv6.
    pub const ICMPV6: u8 = netbsd_abi::IPPROTO_ICMPV6 as u8;
    /// No next header.
    pub const NONE: u8 = netbsd_abi::RUMP_IPPROTO_NONE as u8;
    /// Destination options.
    pub const DSTOPTS: u8 = netbsd_abi::RUMP_IPPROTO_DSTOPTS as u8;
    /// TCP.
    pub const TCP: u8 = netbsd_abi::IPPROTO_TCP as u8;
    /// UDP.
    pub const UDP: u8 = netbsd_abi::IPPROTO_UDP as u8;
}

/// A checked view of an IPv6 packet: the fixed header is there, the
/// version is 6 and the payload length fits the buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    b: &'a [u8],
}

impl<'a> Packet<'a> {
    /// Check `b` and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<Packet<'a>, Malformed> {
        if b.len() < HEADER_LEN {
            return Err(Malformed::Truncated);
        }
        if b[0] >> 4 != 6 {
            return Err(Malformed::BadField);
        }
        let p = Packet { b };
        if HEADER_LEN + usize::from(p.payload_len()) > b.len() {
            return Err(Malformed::Truncated);
        }
        Ok(p)
    }

    /// Traffic class.
    pub fn traffic_class(&self) -> u8 {
        (self.b[0] << 4) | (self.b[1] >> 4)
    }

    /// Flow label (20 bits).
    pub fn flow_label(&self) -> u32 {
        u32::from_be_bytes([0, self.b[1] & 0xf, self.b[2], self.b[3]])
    }

    /// Payload length (extension headers included).
    pub fn payload_len(&self) -> u16 {
        u16::from_be_bytes([self.b[4], self.b[5]])
    }

    /// The first next-header value.
    pub fn next_header(&self) -> u8 {
        self.b[NEXT_HEADER_AT]
    }

    /// Hop limit.
    pub fn hop_limit(&self) -> u8 {
        self.b[HOP_LIMIT_AT]
    }

    /// Source address.
    pub fn src(&self) -> Ipv6Addr {
        addr_at(self.b, 8)
    }

    /// Destination address.
    pub fn dst(&self) -> Ipv6Addr {
        addr_at(self.b, 24)
    }

    /// The payload, without what the link padded on after it.
    pub fn payload(&self) -> &'a [u8] {
        &self.b[HEADER_LEN..HEADER_LEN + usize::from(self.payload_len())]
    }
}

/// Where the payload length, next header and hop limit are (RFC 8200
/// section 3).
const PAYLOAD_LEN_AT: usize = 4;
const NEXT_HEADER_AT: usize = 6;
const HOP_LIMIT_AT: usize = 7;

/// Set the payload length of the packet in `b`.
pub fn set_payload_len(b: &mut [u8], len: u16) {
    if let Some(f) = b.get_mut(PAYLOAD_LEN_AT..PAYLOAD_LEN_AT + 2) {
        f.copy_from_slice(&len.to_be_bytes());
    }
}

/// Set the traffic class of the packet in `b` (the eight bits after the
/// version); a buffer shorter than that is left as it is.
pub fn set_traffic_class(b: &mut [u8], tclass: u8) {
    if let Some(f) = b.get_mut(0..2) {
        f[0] = (f[0] & 0xf0) | (tclass >> 4);
        f[1] = (f[1] & 0x0f) | (tclass << 4);
    }
}

/// Set the first next-header value of the packet in `b`.
pub fn set_next_header(b: &mut [u8], next: u8) {
    if let Some(f) = b.get_mut(NEXT_HEADER_AT) {
        *f = next;
    }
}

/// A fragment header (RFC 8200 section 4.5): the header after the
/// fragmentable part, the offset of this piece's data in bytes (a
/// multiple of 8), whether more follow, the identification.
pub fn frag_header(next: u8, offset: u16, more: bool, ident: u32) -> [u8; 8] {
    let mut h = [0u8; 8];
    h[0] = next;
    h[2..4].copy_from_slice(&((offset & !7) | u16::from(more)).to_be_bytes());
    h[4..8].copy_from_slice(&ident.to_be_bytes());
    h
}

/// Set the hop limit of the packet in `b` (a router's decrement); a
/// buffer shorter than the header is left as it is.
pub fn set_hop_limit(b: &mut [u8], hlim: u8) {
    if let Some(h) = b.get_mut(HOP_LIMIT_AT) {
        *h = hlim;
    }
}

fn addr_at(b: &[u8], off: usize) -> Ipv6Addr {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[off..off + 16]);
    Ipv6Addr::from(a)
}

/// The fields of a header to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source address.
    pub src: Ipv6Addr,
    /// Destination address.
    pub dst: Ipv6Addr,
    /// Next header.
    pub next_header: u8,
    /// Hop limit.
    pub hop_limit: u8,
    /// Payload length.
    pub payload_len: u16,
}

impl Repr {
    /// Write the header into the first [`HEADER_LEN`] bytes of `b`.
    pub fn emit(&self, b: &mut [u8]) {
        b[0..4].copy_from_slice(&[0x60, 0, 0, 0]);
        b[4..6].copy_from_slice(&self.payload_len.to_be_bytes());
        b[6] = self.next_header;
        b[HOP_LIMIT_AT] = self.hop_limit;
        b[8..24].copy_from_slice(&self.src.octets());
        b[24..40].copy_from_slice(&self.dst.octets());
    }
}

/// A hop-by-hop or destination options header, a routing header: each
/// starts with the next header and its length in 8-byte units past the
/// first eight.
#[derive(Clone, Copy, Debug)]
pub struct ExtHeader<'a> {
    b: &'a [u8],
}

impl<'a> ExtHeader<'a> {
    /// Check that the header `b` starts with is whole, and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<ExtHeader<'a>, Malformed> {
        if b.len() < 8 {
            return Err(Malformed::Truncated);
        }
        let len = (usize::from(b[1]) + 1) * 8;
        if len > b.len() {
            return Err(Malformed::Truncated);
        }
        Ok(ExtHeader { b: &b[..len] })
    }

    /// The header after this one.
    pub fn next_header(&self) -> u8 {
        self.b[0]
    }

    /// The whole header's length in bytes.
    pub fn len(&self) -> usize {
        self.b.len()
    }

    /// Never empty: at least eight bytes.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The bytes after the next-header and length fields (options, or a
    /// routing header's type-specific data).
    pub fn data(&self) -> &'a [u8] {
        &self.b[2..]
    }
}

/// An option of a hop-by-hop or destination options header
/// (RFC 8200 section 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlvOption<'a> {
    /// Its type; the two high bits say what to do when it is unknown.
    pub kind: u8,
    /// Its data.
    pub data: &'a [u8],
    /// Its offset from the start of the options.
    pub offset: usize,
}

/// `IP6OPT_PAD1` and `IP6OPT_PADN`.
pub const OPT_PAD1: u8 = 0;
/// `IP6OPT_PADN`.
pub const OPT_PADN: u8 = 1;
/// `IP6OPT_ROUTER_ALERT` (RFC 2711).
pub const OPT_ROUTER_ALERT: u8 = 5;

/// The options of `data` (an options header's [`ExtHeader::data`]);
/// `Err` if one runs past the end.
pub fn options(data: &[u8]) -> Result<Vec<TlvOption<'_>>, Malformed> {
    let mut v = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let kind = data[i];
        if kind == OPT_PAD1 {
            i += 1;
            continue;
        }
        let len = usize::from(*data.get(i + 1).ok_or(Malformed::Truncated)?);
        let body = data.get(i + 2..i + 2 + len).ok_or(Malformed::Truncated)?;
        v.push(TlvOption {
            kind,
            data: body,
            offset: i,
        });
        i += 2 + len;
    }
    Ok(v)
}

/// A fragment header (RFC 8200 section 4.5).
#[derive(Clone, Copy, Debug)]
pub struct FragHeader<'a> {
    b: &'a [u8],
}

impl<'a> FragHeader<'a> {
    /// Check `b` holds a fragment header and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<FragHeader<'a>, Malformed> {
        if b.len() < 8 {
            return Err(Malformed::Truncated);
        }
        Ok(FragHeader { b: &b[..8] })
    }

    /// The header after the fragmentable part.
    pub fn next_header(&self) -> u8 {
        self.b[0]
    }

    /// Offset of the fragment's data, in bytes.
    pub fn offset(&self) -> u16 {
        u16::from_be_bytes([self.b[2], self.b[3]]) & !7
    }

    /// More fragments follow.
    pub fn more(&self) -> bool {
        self.b[3] & 1 != 0
    }

    /// Identification.
    pub fn ident(&self) -> u32 {
        u32::from_be_bytes([self.b[4], self.b[5], self.b[6], self.b[7]])
    }
}

/// The checksum of an upper-layer `payload` with IPv6's pseudo-header
/// (RFC 8200 section 8.1), `payload`'s own checksum field included.
pub fn upper_checksum(src: &Ipv6Addr, dst: &Ipv6Addr, proto: u8, payload: &[u8]) -> u16 {
    let mut sum: u64 = 0;
    let mut add = |b: &[u8]| {
        for c in b.chunks(2) {
            let w = if c.len() == 2 {
                u16::from_be_bytes([c[0], c[1]])
            } else {
                u16::from_be_bytes([c[0], 0])
            };
            sum += u64::from(w);
        }
    };
    add(&src.octets());
    add(&dst.octets());
    add(&(payload.len() as u32).to_be_bytes());
    add(&[0, 0, 0, proto]);
    add(payload);
    while sum >> 16 != 0 {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An echo request from 2001:db8::1 to 2001:db8::2, hop limit 64, as
    /// RFC 8200's figure lays the header out.
    const ECHO: [u8; 48] = [
        0x60, 0x00, 0x00, 0x00, 0x00, 0x08, 0x3a, 0x40, // ver, len 8, ICMPv6, hlim 64
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        0x80, 0x00, 0x00, 0x00, 0x12, 0x34, 0x00, 0x01, // echo request, id, seq
    ];

    #[test]
    fn fixed_header_fields() {
        let p = Packet::new_checked(&ECHO).unwrap();
        assert_eq!(p.payload_len(), 8);
        assert_eq!(p.next_header(), nh::ICMPV6);
        assert_eq!(p.hop_limit(), 64);
        assert_eq!(p.src(), "2001:db8::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.dst(), "2001:db8::2".parse::<Ipv6Addr>().unwrap());
        assert_eq!(p.payload().len(), 8);
        let mut out = [0u8; 40];
        Repr {
            src: p.src(),
            dst: p.dst(),
            next_header: 58,
            hop_limit: 64,
            payload_len: 8,
        }
        .emit(&mut out);
        assert_eq!(out[..], ECHO[..40]);
    }

    #[test]
    fn bad_version_and_short_payload_are_refused() {
        let mut b = ECHO;
        b[0] = 0x45;
        assert_eq!(Packet::new_checked(&b).unwrap_err(), Malformed::BadField);
        assert_eq!(
            Packet::new_checked(&ECHO[..47]).unwrap_err(),
            Malformed::Truncated
        );
        assert_eq!(
            Packet::new_checked(&ECHO[..39]).unwrap_err(),
            Malformed::Truncated
        );
    }

    #[test]
    fn checksum_of_the_echo_request() {
        let p = Packet::new_checked(&ECHO).unwrap();
        let mut icmp = p.payload().to_vec();
        let c = upper_checksum(&p.src(), &p.dst(), 58, &icmp);
        icmp[2..4].copy_from_slice(&c.to_be_bytes());
        // A packet with its checksum in place sums to zero.
        assert_eq!(upper_checksum(&p.src(), &p.dst(), 58, &icmp), 0);
        // Worked out independently (a Python sum of the 16-bit words).
        assert_eq!(c, 0x1213);
    }

    #[test]
    fn options_walk_and_truncation() {
        // next header 58, length 0, then Pad1, PadN(1), an unknown type 0x3e with 1 byte.
        let h = [58u8, 0, 0, 1, 1, 0, 0x3e, 0];
        let e = ExtHeader::new_checked(&h).unwrap();
        assert_eq!(e.next_header(), 58);
        assert_eq!(e.len(), 8);
        let o = options(e.data()).unwrap();
        assert_eq!(o.len(), 2);
        assert_eq!(o[0].kind, OPT_PADN);
        assert_eq!(o[1].kind, 0x3e);
        assert_eq!(o[1].offset, 4);
        assert_eq!(options(&[5, 4, 0]).unwrap_err(), Malformed::Truncated);
        assert_eq!(
            ExtHeader::new_checked(&[58, 1, 0, 0, 0, 0, 0, 0]).unwrap_err(),
            Malformed::Truncated
        );
    }

    #[test]
    fn fragment_header_fields() {
        // RFC 8200 4.5: offset 185 units (1480 bytes), M set, id 0xdeadbeef.
        let h = [17u8, 0, 0x05, 0xc9, 0xde, 0xad, 0xbe, 0xef];
        let f = FragHeader::new_checked(&h).unwrap();
        assert_eq!(f.next_header(), 17);
        assert_eq!(f.offset(), 1480);
        assert!(f.more());
        assert_eq!(f.ident(), 0xdead_beef);
        // And built from the fields.
        assert_eq!(frag_header(17, 1480, true, 0xdead_beef), h);
        assert_eq!(&frag_header(6, 0, false, 1)[..], &[6, 0, 0, 0, 0, 0, 0, 1]);
    }
}
