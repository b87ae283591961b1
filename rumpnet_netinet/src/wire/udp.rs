//! UDP (RFC 768) datagrams as a view over bytes.
//!
//! ```text
//!  0              16             32
//! +--------------+--------------+
//! | source port  |  dest port   |
//! |    length    |   checksum   |
//! +--------------+--------------+
//! ```

use super::ipv4::{Address, proto};
use super::pseudo::Pseudo;
use super::{Field, WireError, WireResult, be16, put16};
use rumpnet::wire::checksum;

mod field {
    use super::Field;
    pub const SRC: Field = 0..2;
    pub const DST: Field = 2..4;
    pub const LENGTH: Field = 4..6;
    pub const CHECKSUM: Field = 6..8;
}

/// Bytes of the header.
pub const HEADER_LEN: usize = netbsd_abi::layout::udphdr::SIZE;

/// A view of a UDP datagram. The length field bounds it: bytes of the
/// buffer after that length are not part of it.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of `buffer` that is not checked: accessors may panic unless
    /// it holds a valid header (use it to write one).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view of `buffer`: the header, and a length field no shorter than
    /// the header and no longer than the buffer. After this no accessor
    /// panics.
    pub fn new_checked(buffer: T) -> WireResult<Packet<T>> {
        let p = Packet::new_unchecked(buffer);
        let have = p.buffer.as_ref().len();
        if have < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = usize::from(p.length());
        if len < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if len > have {
            return Err(WireError::Truncated);
        }
        Ok(p)
    }

    /// The bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        be16(self.b(), field::SRC)
    }

    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        be16(self.b(), field::DST)
    }

    /// Length field: header and payload.
    pub fn length(&self) -> u16 {
        be16(self.b(), field::LENGTH)
    }

    /// Checksum (0: none was computed).
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// The payload (up to the length field).
    pub fn payload(&self) -> &[u8] {
        &self.b()[HEADER_LEN..usize::from(self.length())]
    }

    /// Whether the checksum is right, or absent (0), which RFC 768
    /// allows.
    pub fn verify_checksum(&self, src: Address, dst: Address) -> bool {
        self.verify_checksum_in(&Pseudo::v4(src, dst))
    }

    /// Whether the checksum over pseudo-header `ph` is right; absent (0)
    /// is right over IPv4 only, as IPv6 makes it mandatory (RFC 8200 8.1).
    pub fn verify_checksum_in(&self, ph: &Pseudo) -> bool {
        if self.checksum() == 0 {
            return !ph.is_v6();
        }
        let d = &self.b()[..usize::from(self.length())];
        checksum::combine(&[ph.sum(proto::UDP, d.len()), checksum::sum(d)]) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn b_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Set the source port.
    pub fn set_src_port(&mut self, v: u16) {
        put16(self.b_mut(), field::SRC, v);
    }

    /// Set the destination port.
    pub fn set_dst_port(&mut self, v: u16) {
        put16(self.b_mut(), field::DST, v);
    }

    /// Set the length field.
    pub fn set_length(&mut self, v: u16) {
        put16(self.b_mut(), field::LENGTH, v);
    }

    /// Set the checksum (0 for none).
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.b_mut(), field::CHECKSUM, v);
    }

    /// The payload, to fill.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let len = usize::from(self.length());
        &mut self.b_mut()[HEADER_LEN..len]
    }

    /// Compute and store the checksum over the pseudo-header and the
    /// datagram; one that comes out 0 is sent as 0xffff, as 0 means none.
    pub fn fill_checksum(&mut self, src: Address, dst: Address) {
        self.fill_checksum_in(&Pseudo::v4(src, dst));
    }

    /// As [`Packet::fill_checksum`], over pseudo-header `ph`.
    pub fn fill_checksum_in(&mut self, ph: &Pseudo) {
        self.set_checksum(0);
        let d = &self.b()[..usize::from(self.length())];
        let c = !checksum::combine(&[ph.sum(proto::UDP, d.len()), checksum::sum(d)]);
        self.set_checksum(if c == 0 { 0xffff } else { c });
    }
}

/// A UDP datagram's header, parsed; the payload stays in the packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload bytes.
    pub payload_len: usize,
}

impl Repr {
    /// Parse a checked view of a datagram sent from `src` to `dst`: a
    /// checksum, if present, must be right.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>, src: Address, dst: Address) -> WireResult<Repr> {
        Repr::parse_in(p, &Pseudo::v4(src, dst))
    }

    /// Parse a checked view of a datagram whose network header gives
    /// pseudo-header `ph`.
    pub fn parse_in<T: AsRef<[u8]>>(p: &Packet<T>, ph: &Pseudo) -> WireResult<Repr> {
        if !p.verify_checksum_in(ph) {
            return Err(WireError::Checksum);
        }
        Ok(Repr {
            src_port: p.src_port(),
            dst_port: p.dst_port(),
            payload_len: usize::from(p.length()) - HEADER_LEN,
        })
    }

    /// Bytes of the datagram `emit` writes: header and payload.
    pub fn buffer_len(&self) -> usize {
        HEADER_LEN + self.payload_len
    }

    /// Write the header and checksum into `p`, whose buffer is exactly
    /// [`Repr::buffer_len`] bytes with the payload already at its end.
    /// Malformed if the datagram would not fit the length field or the
    /// buffer is longer, Truncated if it is shorter.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Packet<T>,
        src: Address,
        dst: Address,
    ) -> WireResult<()> {
        self.emit_in(p, &Pseudo::v4(src, dst))
    }

    /// As [`Repr::emit`], the checksum over pseudo-header `ph`.
    pub fn emit_in<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        p: &mut Packet<T>,
        ph: &Pseudo,
    ) -> WireResult<()> {
        let len = self.buffer_len();
        let Ok(field) = u16::try_from(len) else {
            return Err(WireError::Malformed);
        };
        match p.b().len() {
            n if n < len => return Err(WireError::Truncated),
            n if n > len => return Err(WireError::Malformed),
            _ => {}
        }
        p.set_src_port(self.src_port);
        p.set_dst_port(self.dst_port);
        p.set_length(field);
        p.fill_checksum_in(ph);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LO: Address = Address([127, 0, 0, 1]);

    #[test]
    fn a_missing_checksum_is_allowed_over_ipv4_only() {
        let mut d = LINUX;
        d[6] = 0;
        d[7] = 0;
        let p = Packet::new_checked(&d[..]).unwrap();
        assert!(p.verify_checksum_in(&Pseudo::v4(LO, LO)));
        let v6lo = std::net::Ipv6Addr::LOCALHOST.octets();
        assert!(
            !p.verify_checksum_in(&Pseudo::V6(v6lo, v6lo)),
            "RFC 8200 8.1"
        );
        // Filled over IPv6's pseudo-header, it verifies there and not
        // over IPv4's.
        let mut d = LINUX;
        let mut p = Packet::new_unchecked(&mut d[..]);
        p.fill_checksum_in(&Pseudo::V6(v6lo, v6lo));
        let p = Packet::new_checked(&d[..]).unwrap();
        assert!(p.verify_checksum_in(&Pseudo::V6(v6lo, v6lo)));
        assert!(!p.verify_checksum_in(&Pseudo::v4(LO, LO)));
    }

    /// A datagram Linux sent over loopback from port 33253 to 53 with
    /// "hello" (captured; the checksum is the one tcpdump computed, as
    /// loopback leaves it to offload).
    const LINUX: [u8; 13] = [
        0x81, 0xe5, 0x00, 0x35, 0x00, 0x0d, 0x3b, 0xe5, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    fn parse(b: &[u8], src: Address, dst: Address) -> WireResult<Repr> {
        Repr::parse(&Packet::new_checked(b)?, src, dst)
    }

    #[test]
    fn reads_every_field() {
        let p = Packet::new_checked(&LINUX[..]).unwrap();
        assert_eq!((p.src_port(), p.dst_port(), p.length()), (33253, 53, 13));
        assert_eq!((p.checksum(), p.payload()), (0x3be5, &b"hello"[..]));
        assert!(p.verify_checksum(LO, LO));
        assert_eq!(
            Repr::parse(&p, LO, LO),
            Ok(Repr {
                src_port: 33253,
                dst_port: 53,
                payload_len: 5
            })
        );
    }

    #[test]
    fn builds_the_same_bytes() {
        let r = parse(&LINUX, LO, LO).unwrap();
        assert_eq!(r.buffer_len(), 13);
        let mut out = vec![0xeeu8; 13];
        out[HEADER_LEN..].copy_from_slice(b"hello");
        r.emit(&mut Packet::new_unchecked(&mut out[..]), LO, LO)
            .unwrap();
        assert_eq!(out, LINUX);
        for (len, e) in [(12, WireError::Truncated), (14, WireError::Malformed)] {
            let mut b = vec![0u8; len];
            assert_eq!(
                r.emit(&mut Packet::new_unchecked(&mut b[..]), LO, LO),
                Err(e)
            );
        }
        let huge = Repr {
            payload_len: usize::from(u16::MAX),
            ..r
        };
        let mut b = vec![0u8; huge.buffer_len()];
        assert_eq!(
            huge.emit(&mut Packet::new_unchecked(&mut b[..]), LO, LO),
            Err(WireError::Malformed)
        );
    }

    #[test]
    fn a_zero_sum_is_sent_as_all_ones() {
        // Ports chosen so that the header and pseudo-header sum to 0xffff
        // with an empty payload: the checksum computes to 0.
        let a = Address([0, 0, 0, 0]);
        let ph = checksum::pseudo_header_v4(a.0, a.0, proto::UDP, 8);
        let port = 0xffff - ph - 8; // the length field counts too
        let r = Repr {
            src_port: port,
            dst_port: 0,
            payload_len: 0,
        };
        let mut b = [0u8; 8];
        let mut p = Packet::new_unchecked(&mut b[..]);
        r.emit(&mut p, a, a).unwrap();
        assert_eq!(p.checksum(), 0xffff);
        assert!(p.verify_checksum(a, a));
    }

    #[test]
    fn bad_input() {
        assert_eq!(parse(&LINUX[..7], LO, LO), Err(WireError::Truncated));
        assert_eq!(parse(&LINUX[..12], LO, LO), Err(WireError::Truncated));
        assert_eq!(
            parse(&LINUX, LO, Address([1, 2, 3, 4])),
            Err(WireError::Checksum)
        );
        let mut short = LINUX;
        short[5] = 4;
        assert_eq!(parse(&short, LO, LO), Err(WireError::Malformed));
        // No checksum at all is allowed.
        let mut none = LINUX;
        none[6] = 0;
        none[7] = 0;
        assert!(parse(&none, LO, Address([1, 2, 3, 4])).is_ok());
        // Bytes past the length field (link padding) are not payload.
        let mut padded = LINUX.to_vec();
        padded.extend_from_slice(&[0; 5]);
        let p = Packet::new_checked(&padded[..]).unwrap();
        assert_eq!(p.payload(), b"hello");
        assert_eq!(Repr::parse(&p, LO, LO).unwrap().payload_len, 5);
    }
}
