//! UDP (RFC 768).
//!
//! ```text
//!  0              16             32
//! +--------------+--------------+
//! | source port  |  dest port   |
//! |    length    |   checksum   |
//! +--------------+--------------+
//! ```

use super::ipv4::{Address, proto};
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

/// A UDP datagram, parsed (the payload is `data[HEADER_LEN..length]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload bytes.
    pub payload_len: usize,
}

/// The checksum of a datagram `d` (its checksum field zero) between
/// `src` and `dst`; 0 is sent as 0xffff, as 0 means "none".
fn sum(src: Address, dst: Address, d: &[u8]) -> u16 {
    let ph = checksum::pseudo_header_v4(src.0, dst.0, proto::UDP, d.len() as u32);
    let c = !checksum::combine(&[ph, checksum::sum(d)]);
    if c == 0 { 0xffff } else { c }
}

impl Repr {
    /// Parse `d` (an IPv4 payload from `src` to `dst`): the length must
    /// fit, and a checksum, if present, must be right.
    pub fn parse(d: &[u8], src: Address, dst: Address) -> WireResult<Repr> {
        if d.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let len = usize::from(be16(d, field::LENGTH));
        if len < HEADER_LEN {
            return Err(WireError::Malformed);
        }
        if len > d.len() {
            return Err(WireError::Truncated);
        }
        if be16(d, field::CHECKSUM) != 0 {
            let ph = checksum::pseudo_header_v4(src.0, dst.0, proto::UDP, len as u32);
            if checksum::combine(&[ph, checksum::sum(&d[..len])]) != 0xffff {
                return Err(WireError::Checksum);
            }
        }
        Ok(Repr {
            src_port: be16(d, field::SRC),
            dst_port: be16(d, field::DST),
            payload_len: len - HEADER_LEN,
        })
    }

    /// Write the header of a datagram whose payload is already at
    /// `d[HEADER_LEN..]`, checksum included.
    pub fn emit(&self, d: &mut [u8], src: Address, dst: Address) -> WireResult<()> {
        let len = HEADER_LEN + self.payload_len;
        if len > usize::from(u16::MAX) {
            return Err(WireError::Malformed);
        }
        if d.len() < len {
            return Err(WireError::Truncated);
        }
        put16(d, field::SRC, self.src_port);
        put16(d, field::DST, self.dst_port);
        put16(d, field::LENGTH, len as u16);
        put16(d, field::CHECKSUM, 0);
        let c = sum(src, dst, &d[..len]);
        put16(d, field::CHECKSUM, c);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: Address = Address([192, 168, 1, 1]);
    const DST: Address = Address([192, 168, 1, 2]);

    /// A DNS-sized datagram from port 53 to 33000 with "hello".
    fn sample() -> Vec<u8> {
        let mut d = vec![0x00, 0x35, 0x80, 0xe8, 0x00, 0x0d, 0x00, 0x00];
        d.extend_from_slice(b"hello");
        let c = sum(SRC, DST, &d);
        d[6..8].copy_from_slice(&c.to_be_bytes());
        d
    }

    #[test]
    fn reads_and_builds() {
        let d = sample();
        let r = Repr::parse(&d, SRC, DST).unwrap();
        assert_eq!((r.src_port, r.dst_port, r.payload_len), (53, 33000, 5));
        let mut out = vec![0u8; 8];
        out.extend_from_slice(b"hello");
        r.emit(&mut out, SRC, DST).unwrap();
        assert_eq!(out, d);
    }

    #[test]
    fn bad_input() {
        let d = sample();
        assert_eq!(Repr::parse(&d[..7], SRC, DST), Err(WireError::Truncated));
        assert_eq!(Repr::parse(&d[..10], SRC, DST), Err(WireError::Truncated));
        assert_eq!(
            Repr::parse(&d, SRC, Address([1, 2, 3, 4])),
            Err(WireError::Checksum)
        );
        let mut short = d.clone();
        short[5] = 4;
        assert_eq!(Repr::parse(&short, SRC, DST), Err(WireError::Malformed));
        // No checksum at all is allowed.
        let mut none = d.clone();
        none[6] = 0;
        none[7] = 0;
        assert!(Repr::parse(&none, SRC, Address([1, 2, 3, 4])).is_ok());
    }
}
