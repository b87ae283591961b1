//! IPv4 headers (RFC 791).
//!
//! ```text
//!  0       4       8              16    19             31
//! +-------+-------+---------------+-----+---------------+
//! |version|  IHL  |      TOS      |     total length    |
//! |        identification         |flags| frag offset   |
//! |      TTL      |   protocol    |   header checksum   |
//! |                    source address                   |
//! |                  destination address                |
//! |                 options (IHL > 5)                   |
//! ```

use super::{Field, WireError, WireResult, be16, put16};
use rumpnet::wire::checksum;

mod field {
    use super::Field;
    pub const VER_IHL: usize = 0;
    pub const TOS: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC: Field = 12..16;
    pub const DST: Field = 16..20;
}

/// `IPVERSION`.
const IPVERSION: u8 = netbsd_abi::IPVERSION as u8;
/// The fragment field's don't-fragment bit (`IP_DF`).
const IP_DF: u16 = netbsd_abi::IP_DF as u16;
/// The fragment field's more-fragments bit (`IP_MF`).
const IP_MF: u16 = netbsd_abi::IP_MF as u16;
/// The fragment field's offset, in 8-byte units (`IP_OFFMASK`).
const IP_OFFMASK: u16 = netbsd_abi::IP_OFFMASK as u16;

/// Bytes of a header without options.
pub const HEADER_LEN: usize = netbsd_abi::layout::ip::SIZE;

/// `IPPROTO_*`.
#[allow(missing_docs)]
pub mod proto {
    pub const ICMP: u8 = netbsd_abi::IPPROTO_ICMP as u8;
    pub const TCP: u8 = netbsd_abi::IPPROTO_TCP as u8;
    pub const UDP: u8 = netbsd_abi::IPPROTO_UDP as u8;
}

/// An IPv4 address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub [u8; 4]);

impl Address {
    /// 0.0.0.0.
    pub const UNSPECIFIED: Address = Address([0; 4]);
    /// 255.255.255.255.
    pub const BROADCAST: Address = Address([255; 4]);

    /// Whether this is 224.0.0.0/4.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 0xf0 == 0xe0
    }

    /// Whether this is 127.0.0.0/8.
    pub fn is_loopback(&self) -> bool {
        self.0[0] == 127
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0;
        write!(f, "{}.{}.{}.{}", b[0], b[1], b[2], b[3])
    }
}

/// A view of an IPv4 packet.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of `buffer`: version 4, a header length inside the buffer, a
    /// total length no shorter than the header and no longer than the
    /// buffer (which may be longer: link-layer padding).
    pub fn new_checked(buffer: T) -> WireResult<Packet<T>> {
        let b = buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let p = Packet { buffer };
        if p.version() != IPVERSION {
            return Err(WireError::Malformed);
        }
        let hl = p.header_len();
        if hl < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        let total = usize::from(p.total_len());
        if hl > p.buffer.as_ref().len() || total > p.buffer.as_ref().len() {
            return Err(WireError::Truncated);
        }
        if total < hl {
            return Err(WireError::Malformed);
        }
        Ok(p)
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Version (4).
    pub fn version(&self) -> u8 {
        self.b()[field::VER_IHL] >> 4
    }

    /// Header length in bytes.
    pub fn header_len(&self) -> usize {
        usize::from(self.b()[field::VER_IHL] & 0x0f) * 4
    }

    /// Type of service.
    pub fn tos(&self) -> u8 {
        self.b()[field::TOS]
    }

    /// Total length, header included.
    pub fn total_len(&self) -> u16 {
        be16(self.b(), field::LENGTH)
    }

    /// Identification.
    pub fn ident(&self) -> u16 {
        be16(self.b(), field::IDENT)
    }

    /// Don't fragment.
    pub fn dont_frag(&self) -> bool {
        be16(self.b(), field::FLG_OFF) & IP_DF != 0
    }

    /// More fragments.
    pub fn more_frags(&self) -> bool {
        be16(self.b(), field::FLG_OFF) & IP_MF != 0
    }

    /// Fragment offset in bytes.
    pub fn frag_offset(&self) -> u16 {
        (be16(self.b(), field::FLG_OFF) & IP_OFFMASK) << 3
    }

    /// Time to live.
    pub fn ttl(&self) -> u8 {
        self.b()[field::TTL]
    }

    /// Protocol of the payload.
    pub fn protocol(&self) -> u8 {
        self.b()[field::PROTOCOL]
    }

    /// Header checksum.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// Source address.
    pub fn src(&self) -> Address {
        let mut a = [0u8; 4];
        a.copy_from_slice(&self.b()[field::SRC]);
        Address(a)
    }

    /// Destination address.
    pub fn dst(&self) -> Address {
        let mut a = [0u8; 4];
        a.copy_from_slice(&self.b()[field::DST]);
        Address(a)
    }

    /// Whether the header checksum is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(&self.b()[..self.header_len()]) == 0xffff
    }

    /// Options bytes.
    pub fn options(&self) -> &[u8] {
        &self.b()[HEADER_LEN..self.header_len()]
    }

    /// The payload (up to the total length).
    pub fn payload(&self) -> &[u8] {
        &self.b()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// The payload, to fill.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (h, t) = (self.header_len(), usize::from(self.total_len()));
        &mut self.buffer.as_mut()[h..t]
    }

    /// Set the TTL (forwarding), keeping the checksum right.
    pub fn set_ttl(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
        self.fill_checksum();
    }

    /// Compute and store the header checksum.
    pub fn fill_checksum(&mut self) {
        let hl = self.header_len();
        let b = self.buffer.as_mut();
        put16(b, field::CHECKSUM, 0);
        let c = checksum::checksum(&b[..hl]);
        put16(b, field::CHECKSUM, c);
    }
}

/// An IPv4 header, parsed (options are not kept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source.
    pub src: Address,
    /// Destination.
    pub dst: Address,
    /// Payload protocol.
    pub protocol: u8,
    /// Payload bytes.
    pub payload_len: usize,
    /// Time to live.
    pub ttl: u8,
    /// Type of service.
    pub tos: u8,
    /// Identification.
    pub ident: u16,
    /// Don't fragment.
    pub dont_frag: bool,
    /// More fragments.
    pub more_frags: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub frag_offset: u16,
}

impl Repr {
    /// Parse a checked view; EChecksum when the header checksum is wrong.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> WireResult<Repr> {
        if !p.verify_checksum() {
            return Err(WireError::Checksum);
        }
        Ok(Repr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()) - p.header_len(),
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: p.more_frags(),
            frag_offset: p.frag_offset(),
        })
    }

    /// Bytes of the header this writes.
    pub fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write a 20-byte header (checksum included) at the start of `b`,
    /// which holds at least the header and the payload. Malformed if the
    /// packet would not fit in 65535 bytes.
    pub fn emit(&self, b: &mut [u8]) -> WireResult<()> {
        let total = HEADER_LEN + self.payload_len;
        if total > usize::from(u16::MAX) || !self.frag_offset.is_multiple_of(8) {
            return Err(WireError::Malformed);
        }
        if b.len() < total {
            return Err(WireError::Truncated);
        }
        b[field::VER_IHL] = (IPVERSION << 4) | (HEADER_LEN / 4) as u8;
        b[field::TOS] = self.tos;
        put16(b, field::LENGTH, total as u16);
        put16(b, field::IDENT, self.ident);
        let mut fo = self.frag_offset >> 3;
        if self.dont_frag {
            fo |= IP_DF;
        }
        if self.more_frags {
            fo |= IP_MF;
        }
        put16(b, field::FLG_OFF, fo);
        b[field::TTL] = self.ttl;
        b[field::PROTOCOL] = self.protocol;
        b[field::SRC].copy_from_slice(&self.src.0);
        b[field::DST].copy_from_slice(&self.dst.0);
        let mut p = Packet { buffer: &mut *b };
        p.fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A UDP datagram's IPv4 header from a capture (192.168.0.1 to
    /// 192.168.0.199, 115 bytes, TTL 64, DF), with 95 payload bytes.
    fn sample() -> Vec<u8> {
        let mut v = vec![
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        v.resize(0x73, 0xab);
        v
    }

    #[test]
    fn reads_every_field() {
        let b = sample();
        let p = Packet::new_checked(&b[..]).unwrap();
        assert_eq!((p.version(), p.header_len(), p.total_len()), (4, 20, 115));
        assert!(p.dont_frag() && !p.more_frags());
        assert_eq!(
            (p.ttl(), p.protocol(), p.frag_offset()),
            (64, proto::UDP, 0)
        );
        assert_eq!(
            (p.src().to_string(), p.dst().to_string()),
            ("192.168.0.1".into(), "192.168.0.199".into())
        );
        assert!(p.verify_checksum());
        assert_eq!(p.payload().len(), 95);
    }

    #[test]
    fn builds_the_same_bytes() {
        let b = sample();
        let r = Repr::parse(&Packet::new_checked(&b[..]).unwrap()).unwrap();
        let mut out = vec![0xabu8; 115];
        r.emit(&mut out).unwrap();
        assert_eq!(out, b);
    }

    #[test]
    fn bad_input() {
        let b = sample();
        assert_eq!(
            Packet::new_checked(&b[..19]).err(),
            Some(WireError::Truncated)
        );
        assert_eq!(
            Packet::new_checked(&b[..100]).err(),
            Some(WireError::Truncated)
        );
        let mut v6 = b.clone();
        v6[0] = 0x65;
        assert_eq!(
            Packet::new_checked(&v6[..]).err(),
            Some(WireError::Malformed)
        );
        let mut ihl = b.clone();
        ihl[0] = 0x44;
        assert_eq!(
            Packet::new_checked(&ihl[..]).err(),
            Some(WireError::Malformed)
        );
        let mut short_total = b.clone();
        short_total[3] = 10;
        assert_eq!(
            Packet::new_checked(&short_total[..]).err(),
            Some(WireError::Malformed)
        );
        let mut sum = b.clone();
        sum[8] = 63;
        assert_eq!(
            Repr::parse(&Packet::new_checked(&sum[..]).unwrap()),
            Err(WireError::Checksum)
        );
        // Padding after the total length is not payload.
        let mut padded = b.clone();
        padded.extend_from_slice(&[0; 10]);
        assert_eq!(
            Packet::new_checked(&padded[..]).unwrap().payload().len(),
            95
        );
    }
}
