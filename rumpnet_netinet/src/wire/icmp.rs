//! ICMP for IPv4 (RFC 792): echo, destination unreachable and time
//! exceeded are understood; other types are kept as type and code.
//!
//! ```text
//!  0      8      16             32
//! +------+------+--------------+
//! | type | code |   checksum   |
//! |   rest of header (4 bytes) |
//! |   data ...                 |
//! ```

use super::{Field, WireError, WireResult, be16, put16};
use rumpnet::wire::checksum;

mod field {
    use super::Field;
    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const SEQ: Field = 6..8;
    pub const MTU: Field = 6..8;
    pub const DATA: usize = 8;
}

/// Bytes of the header.
pub const HEADER_LEN: usize = 8;

/// `ICMP_*` types.
#[allow(missing_docs)]
pub mod kind {
    pub const ECHO_REPLY: u8 = netbsd_abi::ICMP_ECHOREPLY as u8;
    pub const UNREACH: u8 = netbsd_abi::ICMP_UNREACH as u8;
    pub const ECHO: u8 = netbsd_abi::ICMP_ECHO as u8;
    pub const TIME_EXCEEDED: u8 = netbsd_abi::ICMP_TIMXCEED as u8;
}

/// `ICMP_UNREACH_*` codes.
#[allow(missing_docs)]
pub mod unreach {
    pub const NET: u8 = netbsd_abi::ICMP_UNREACH_NET as u8;
    pub const HOST: u8 = netbsd_abi::ICMP_UNREACH_HOST as u8;
    pub const PROTOCOL: u8 = netbsd_abi::ICMP_UNREACH_PROTOCOL as u8;
    pub const PORT: u8 = netbsd_abi::ICMP_UNREACH_PORT as u8;
    pub const NEEDFRAG: u8 = netbsd_abi::ICMP_UNREACH_NEEDFRAG as u8;
}

/// An ICMP message, parsed; its data is `msg[HEADER_LEN..]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Repr {
    /// Echo request (ping).
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq: u16,
    },
    /// Echo reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq: u16,
    },
    /// Destination unreachable; the data is the offending header and more.
    DstUnreachable {
        /// Why.
        code: u8,
        /// Next-hop MTU (for NEEDFRAG).
        mtu: u16,
    },
    /// TTL exceeded in transit (code 0) or in reassembly (1).
    TimeExceeded {
        /// Which.
        code: u8,
    },
    /// Anything else.
    Other {
        /// Type.
        typ: u8,
        /// Code.
        code: u8,
    },
}

impl Repr {
    /// Parse a whole ICMP message (the IPv4 payload); the checksum covers
    /// all of it.
    pub fn parse(msg: &[u8]) -> WireResult<Repr> {
        if msg.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        if checksum::sum(msg) != 0xffff {
            return Err(WireError::Checksum);
        }
        let (typ, code) = (msg[field::TYPE], msg[field::CODE]);
        Ok(match (typ, code) {
            (kind::ECHO, 0) => Repr::EchoRequest {
                ident: be16(msg, field::IDENT),
                seq: be16(msg, field::SEQ),
            },
            (kind::ECHO_REPLY, 0) => Repr::EchoReply {
                ident: be16(msg, field::IDENT),
                seq: be16(msg, field::SEQ),
            },
            (kind::UNREACH, c) => Repr::DstUnreachable {
                code: c,
                mtu: be16(msg, field::MTU),
            },
            (kind::TIME_EXCEEDED, c) => Repr::TimeExceeded { code: c },
            (t, c) => Repr::Other { typ: t, code: c },
        })
    }

    /// Write the header of a message whose data is already at
    /// `msg[HEADER_LEN..]`, and its checksum over all of `msg`.
    pub fn emit(&self, msg: &mut [u8]) -> WireResult<()> {
        if msg.len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let (typ, code, a, b) = match *self {
            Repr::EchoRequest { ident, seq } => (kind::ECHO, 0, ident, seq),
            Repr::EchoReply { ident, seq } => (kind::ECHO_REPLY, 0, ident, seq),
            Repr::DstUnreachable { code, mtu } => (kind::UNREACH, code, 0, mtu),
            Repr::TimeExceeded { code } => (kind::TIME_EXCEEDED, code, 0, 0),
            Repr::Other { typ, code } => {
                (typ, code, be16(msg, field::IDENT), be16(msg, field::SEQ))
            }
        };
        msg[field::TYPE] = typ;
        msg[field::CODE] = code;
        put16(msg, field::IDENT, a);
        put16(msg, field::SEQ, b);
        put16(msg, field::CHECKSUM, 0);
        let c = checksum::checksum(msg);
        put16(msg, field::CHECKSUM, c);
        Ok(())
    }

    /// Where an error message's data (the offending packet) starts.
    pub const DATA: usize = field::DATA;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ping` from Linux: echo request, id 0x1234, seq 1, 8 bytes of data.
    fn echo() -> Vec<u8> {
        let mut m = vec![8, 0, 0, 0, 0x12, 0x34, 0x00, 0x01];
        m.extend_from_slice(b"abcdefgh");
        let c = checksum::checksum(&m);
        m[2..4].copy_from_slice(&c.to_be_bytes());
        m
    }

    #[test]
    fn reads_and_builds() {
        let m = echo();
        assert_eq!(
            Repr::parse(&m).unwrap(),
            Repr::EchoRequest {
                ident: 0x1234,
                seq: 1
            }
        );
        let mut out = vec![0u8; 8];
        out.extend_from_slice(b"abcdefgh");
        Repr::EchoRequest {
            ident: 0x1234,
            seq: 1,
        }
        .emit(&mut out)
        .unwrap();
        assert_eq!(out, m);
        let mut reply = out.clone();
        Repr::EchoReply {
            ident: 0x1234,
            seq: 1,
        }
        .emit(&mut reply)
        .unwrap();
        assert_eq!(
            Repr::parse(&reply).unwrap(),
            Repr::EchoReply {
                ident: 0x1234,
                seq: 1
            }
        );
        let mut un = vec![0u8; 36];
        Repr::DstUnreachable {
            code: unreach::PORT,
            mtu: 0,
        }
        .emit(&mut un)
        .unwrap();
        assert_eq!(
            Repr::parse(&un).unwrap(),
            Repr::DstUnreachable { code: 3, mtu: 0 }
        );
    }

    #[test]
    fn bad_input() {
        let m = echo();
        assert_eq!(Repr::parse(&m[..7]), Err(WireError::Truncated));
        let mut bad = m.clone();
        bad[9] ^= 1;
        assert_eq!(Repr::parse(&bad), Err(WireError::Checksum));
    }
}
