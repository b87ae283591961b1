//! ICMP for IPv4 (RFC 792) as a view over bytes: echo, destination
//! unreachable and time exceeded are understood; other types are kept as
//! type and code.
//!
//! ```text
//!  0      8      16             32
//! +------+------+--------------+
//! | type | code |   checksum   |
//! |   rest of header (4 bytes) |   echo: identifier, sequence number;
//! |   data ...                 |   unreachable: unused, next-hop MTU
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
    pub const UNUSED: Field = 4..6;
    pub const MTU: Field = 6..8;
    pub const REST: Field = 4..8;
}

/// Bytes of the header (`ICMP_MINLEN`): an error message's data (the
/// offending packet) starts here.
pub const HEADER_LEN: usize = netbsd_abi::ICMP_MINLEN as usize;

/// `ICMP_*` types.
#[allow(missing_docs)]
pub mod kind {
    pub const ECHO_REPLY: u8 = netbsd_abi::ICMP_ECHOREPLY as u8;
    pub const UNREACH: u8 = netbsd_abi::ICMP_UNREACH as u8;
    pub const ECHO: u8 = netbsd_abi::ICMP_ECHO as u8;
    pub const TIME_EXCEEDED: u8 = netbsd_abi::ICMP_TIMXCEED as u8;
    pub const TSTAMP: u8 = netbsd_abi::ICMP_TSTAMP as u8;
    pub const TSTAMP_REPLY: u8 = netbsd_abi::ICMP_TSTAMPREPLY as u8;
    pub const IREQ: u8 = netbsd_abi::ICMP_IREQ as u8;
    pub const IREQ_REPLY: u8 = netbsd_abi::ICMP_IREQREPLY as u8;
    pub const MASK_REQ: u8 = netbsd_abi::ICMP_MASKREQ as u8;
    pub const MASK_REPLY: u8 = netbsd_abi::ICMP_MASKREPLY as u8;
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

/// A view of an ICMP message: header and data, to the end of the buffer,
/// which the checksum covers.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of `buffer` that is not checked: accessors may panic unless
    /// it holds a header (use it to write one).
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view of `buffer`, which must hold the header. After this no
    /// accessor panics.
    pub fn new_checked(buffer: T) -> WireResult<Packet<T>> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Packet { buffer })
    }

    /// The bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn b(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Type.
    pub fn msg_type(&self) -> u8 {
        self.b()[field::TYPE]
    }

    /// Code.
    pub fn msg_code(&self) -> u8 {
        self.b()[field::CODE]
    }

    /// Checksum.
    pub fn checksum(&self) -> u16 {
        be16(self.b(), field::CHECKSUM)
    }

    /// An echo's identifier.
    pub fn echo_ident(&self) -> u16 {
        be16(self.b(), field::IDENT)
    }

    /// An echo's sequence number.
    pub fn echo_seq_no(&self) -> u16 {
        be16(self.b(), field::SEQ)
    }

    /// A "fragmentation needed" message's next-hop MTU (RFC 1191).
    pub fn next_hop_mtu(&self) -> u16 {
        be16(self.b(), field::MTU)
    }

    /// The data after the header: an echo's payload, or an error's quote
    /// of the offending datagram.
    pub fn data(&self) -> &[u8] {
        &self.b()[HEADER_LEN..]
    }

    /// Whether the checksum over the whole message is right.
    pub fn verify_checksum(&self) -> bool {
        checksum::sum(self.b()) == 0xffff
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn b_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Set the type.
    pub fn set_msg_type(&mut self, v: u8) {
        self.b_mut()[field::TYPE] = v;
    }

    /// Set the code.
    pub fn set_msg_code(&mut self, v: u8) {
        self.b_mut()[field::CODE] = v;
    }

    /// Set the checksum.
    pub fn set_checksum(&mut self, v: u16) {
        put16(self.b_mut(), field::CHECKSUM, v);
    }

    /// Set an echo's identifier.
    pub fn set_echo_ident(&mut self, v: u16) {
        put16(self.b_mut(), field::IDENT, v);
    }

    /// Set an echo's sequence number.
    pub fn set_echo_seq_no(&mut self, v: u16) {
        put16(self.b_mut(), field::SEQ, v);
    }

    /// Set the next-hop MTU, clearing the unused field before it.
    pub fn set_next_hop_mtu(&mut self, v: u16) {
        put16(self.b_mut(), field::UNUSED, 0);
        put16(self.b_mut(), field::MTU, v);
    }

    /// Clear the rest of the header (unused in time exceeded).
    pub fn clear_rest(&mut self) {
        self.b_mut()[field::REST].fill(0);
    }

    /// The data, to fill.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.b_mut()[HEADER_LEN..]
    }

    /// Compute and store the checksum over the whole message.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let c = checksum::checksum(self.b());
        self.set_checksum(c);
    }
}

/// An ICMP message's header, parsed; the data stays in the packet.
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
    /// Anything else; its rest of header is left as it is.
    Other {
        /// Type.
        typ: u8,
        /// Code.
        code: u8,
    },
}

impl Repr {
    /// Parse a checked view; the checksum must be right.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> WireResult<Repr> {
        if !p.verify_checksum() {
            return Err(WireError::Checksum);
        }
        Ok(match (p.msg_type(), p.msg_code()) {
            (kind::ECHO, 0) => Repr::EchoRequest {
                ident: p.echo_ident(),
                seq: p.echo_seq_no(),
            },
            (kind::ECHO_REPLY, 0) => Repr::EchoReply {
                ident: p.echo_ident(),
                seq: p.echo_seq_no(),
            },
            (kind::UNREACH, code) => Repr::DstUnreachable {
                code,
                mtu: p.next_hop_mtu(),
            },
            (kind::TIME_EXCEEDED, code) => Repr::TimeExceeded { code },
            (typ, code) => Repr::Other { typ, code },
        })
    }

    /// Bytes of the header `emit` writes; the data follows it.
    pub fn header_len(&self) -> usize {
        HEADER_LEN
    }

    /// Write the header into `p`, whose data is already in place, and the
    /// checksum over the whole buffer. Truncated if it is shorter than a
    /// header.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) -> WireResult<()> {
        if p.b().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        let (typ, code) = match *self {
            Repr::EchoRequest { ident, seq } => {
                p.set_echo_ident(ident);
                p.set_echo_seq_no(seq);
                (kind::ECHO, 0)
            }
            Repr::EchoReply { ident, seq } => {
                p.set_echo_ident(ident);
                p.set_echo_seq_no(seq);
                (kind::ECHO_REPLY, 0)
            }
            Repr::DstUnreachable { code, mtu } => {
                p.set_next_hop_mtu(mtu);
                (kind::UNREACH, code)
            }
            Repr::TimeExceeded { code } => {
                p.clear_rest();
                (kind::TIME_EXCEEDED, code)
            }
            Repr::Other { typ, code } => (typ, code),
        };
        p.set_msg_type(typ);
        p.set_msg_code(code);
        p.fill_checksum();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ping -c1 127.0.0.1` on Linux (captured): echo request, identifier
    /// 0x576f, sequence 1, 56 bytes of data (a timestamp, then 0x10..0x37).
    fn linux_echo() -> Vec<u8> {
        let mut m = vec![
            0x08, 0x00, 0x78, 0x34, 0x57, 0x6f, 0x00, 0x01, 0x64, 0xfe, 0x15, 0x6b, 0x00, 0x00,
            0x00, 0x00, 0xee, 0x1e, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        m.extend(0x10..0x38u8);
        m
    }

    /// Linux's port unreachable for a UDP datagram to 127.0.0.1:53
    /// (captured), quoting the datagram whole.
    const LINUX_UNREACH: [u8; 41] = [
        0x03, 0x03, 0x38, 0xe2, 0x00, 0x00, 0x00, 0x00, 0x45, 0x00, 0x00, 0x21, 0xba, 0xf1, 0x40,
        0x00, 0x40, 0x11, 0x81, 0xd8, 0x7f, 0x00, 0x00, 0x01, 0x7f, 0x00, 0x00, 0x01, 0x81, 0xe5,
        0x00, 0x35, 0x00, 0x0d, 0xfe, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
    ];

    fn parse(b: &[u8]) -> WireResult<Repr> {
        Repr::parse(&Packet::new_checked(b)?)
    }

    #[test]
    fn reads_every_field() {
        let m = linux_echo();
        let p = Packet::new_checked(&m[..]).unwrap();
        assert_eq!(
            (p.msg_type(), p.msg_code(), p.checksum()),
            (kind::ECHO, 0, 0x7834)
        );
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (0x576f, 1));
        assert_eq!(p.data().len(), 56);
        assert!(p.verify_checksum());
        let u = Packet::new_checked(&LINUX_UNREACH[..]).unwrap();
        assert_eq!(
            Repr::parse(&u),
            Ok(Repr::DstUnreachable {
                code: unreach::PORT,
                mtu: 0
            })
        );
        assert_eq!(u.data(), &LINUX_UNREACH[8..]);
    }

    #[test]
    fn builds_the_same_bytes() {
        let m = linux_echo();
        let r = parse(&m).unwrap();
        assert_eq!(
            r,
            Repr::EchoRequest {
                ident: 0x576f,
                seq: 1
            }
        );
        // Linux's reply is the request with the type changed.
        let mut reply = m.clone();
        reply[..4].fill(0xee);
        Repr::EchoReply {
            ident: 0x576f,
            seq: 1,
        }
        .emit(&mut Packet::new_unchecked(&mut reply[..]))
        .unwrap();
        assert_eq!(&reply[..4], &[0x00, 0x00, 0x80, 0x34], "captured reply");
        assert_eq!(&reply[4..], &m[4..]);
        let mut un = LINUX_UNREACH;
        un[..8].fill(0xee);
        parse(&LINUX_UNREACH)
            .unwrap()
            .emit(&mut Packet::new_unchecked(&mut un[..]))
            .unwrap();
        assert_eq!(un, LINUX_UNREACH);
        let mut te = LINUX_UNREACH;
        Repr::TimeExceeded { code: 1 }
            .emit(&mut Packet::new_unchecked(&mut te[..]))
            .unwrap();
        assert_eq!(parse(&te), Ok(Repr::TimeExceeded { code: 1 }));
        assert_eq!(&te[4..8], &[0; 4]);
    }

    #[test]
    fn other_types_keep_their_rest_of_header() {
        // A timestamp request: identifier and sequence in the rest of the
        // header, which this Repr does not name.
        let mut m = vec![kind::TSTAMP, 0, 0, 0, 0x12, 0x34, 0x00, 0x07];
        m.resize(20, 0);
        Packet::new_unchecked(&mut m[..]).fill_checksum();
        let r = parse(&m).unwrap();
        assert_eq!(
            r,
            Repr::Other {
                typ: kind::TSTAMP,
                code: 0
            }
        );
        let mut out = m.clone();
        out[..4].fill(0);
        r.emit(&mut Packet::new_unchecked(&mut out[..])).unwrap();
        assert_eq!(out, m);
    }

    #[test]
    fn bad_input() {
        let m = linux_echo();
        assert_eq!(parse(&m[..7]), Err(WireError::Truncated));
        let mut bad = m.clone();
        bad[9] ^= 1;
        assert_eq!(parse(&bad), Err(WireError::Checksum));
        let mut short = [0u8; 7];
        assert_eq!(
            Repr::TimeExceeded { code: 0 }.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(WireError::Truncated)
        );
    }
}
