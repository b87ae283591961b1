//! ICMPv6 messages (RFC 4443): the four-byte header every message starts
//! with, and the types NetBSD's `icmp6_input` handles here.

use super::Malformed;

/// Length of the header (type, code, checksum) with the four bytes every
/// message has after it.
pub const HEADER_LEN: usize = 8;

/// Message types (`netinet/icmp6.h`).
pub mod kind {
    /// Destination unreachable.
    pub const DST_UNREACH: u8 = 1;
    /// Packet too big.
    pub const PACKET_TOO_BIG: u8 = 2;
    /// Time exceeded.
    pub const TIME_EXCEEDED: u8 = 3;
    /// Parameter problem.
    pub const PARAM_PROB: u8 = 4;
    /// Echo request.
    pub const ECHO_REQUEST: u8 = 128;
    /// Echo reply.
    pub const ECHO_REPLY: u8 = 129;
    /// Router solicitation.
    pub const ROUTER_SOLICIT: u8 = 133;
    /// Router advertisement.
    pub const ROUTER_ADVERT: u8 = 134;
    /// Neighbour solicitation.
    pub const NEIGHBOR_SOLICIT: u8 = 135;
    /// Neighbour advertisement.
    pub const NEIGHBOR_ADVERT: u8 = 136;
    /// Redirect.
    pub const REDIRECT: u8 = 137;
}

/// Codes of the error messages.
pub mod code {
    /// Destination unreachable: no route.
    pub const UNREACH_NOROUTE: u8 = 0;
    /// Destination unreachable: address unreachable (ND failed).
    pub const UNREACH_ADDR: u8 = 3;
    /// Destination unreachable: port unreachable.
    pub const UNREACH_NOPORT: u8 = 4;
    /// Time exceeded: hop limit exceeded in transit.
    pub const TIMXCEED_INTRANS: u8 = 0;
    /// Parameter problem: erroneous header field.
    pub const PARAMPROB_HEADER: u8 = 0;
    /// Parameter problem: unrecognised next header.
    pub const PARAMPROB_NEXTHEADER: u8 = 1;
    /// Parameter problem: unrecognised option.
    pub const PARAMPROB_OPTION: u8 = 2;
}

/// Whether `t` is an error message (types below 128).
pub fn is_error(t: u8) -> bool {
    t < 128
}

/// A checked view of an ICMPv6 message.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    b: &'a [u8],
}

impl<'a> Message<'a> {
    /// Check `b` holds at least the header and view it.
    pub fn new_checked(b: &'a [u8]) -> Result<Message<'a>, Malformed> {
        if b.len() < HEADER_LEN {
            return Err(Malformed::Truncated);
        }
        Ok(Message { b })
    }

    /// Type.
    pub fn kind(&self) -> u8 {
        self.b[0]
    }

    /// Code.
    pub fn code(&self) -> u8 {
        self.b[1]
    }

    /// Echo identifier (echo messages).
    pub fn echo_ident(&self) -> u16 {
        u16::from_be_bytes([self.b[4], self.b[5]])
    }

    /// Echo sequence number (echo messages).
    pub fn echo_seq(&self) -> u16 {
        u16::from_be_bytes([self.b[6], self.b[7]])
    }

    /// The four bytes after the checksum (an error's MTU or pointer).
    pub fn word(&self) -> u32 {
        u32::from_be_bytes([self.b[4], self.b[5], self.b[6], self.b[7]])
    }

    /// What follows the first eight bytes.
    pub fn body(&self) -> &'a [u8] {
        &self.b[HEADER_LEN..]
    }

    /// The whole message.
    pub fn bytes(&self) -> &'a [u8] {
        self.b
    }
}

/// A message to write: type, code, the four-byte word and the body; the
/// checksum is left zero for the sender to fill in.
pub fn build(kind: u8, code: u8, word: u32, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + body.len());
    v.extend_from_slice(&[kind, code, 0, 0]);
    v.extend_from_slice(&word.to_be_bytes());
    v.extend_from_slice(body);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echo_request_fields() {
        // RFC 4443 4.1: type 128, code 0, identifier 0x1234, sequence 1.
        let b = [128u8, 0, 0x12, 0x13, 0x12, 0x34, 0, 1, b'h', b'i'];
        let m = Message::new_checked(&b).unwrap();
        assert_eq!(m.kind(), kind::ECHO_REQUEST);
        assert_eq!(m.echo_ident(), 0x1234);
        assert_eq!(m.echo_seq(), 1);
        assert_eq!(m.body(), b"hi");
        assert!(!is_error(m.kind()));
        assert!(is_error(kind::PARAM_PROB));
        assert_eq!(
            Message::new_checked(&b[..7]).unwrap_err(),
            Malformed::Truncated
        );
    }

    #[test]
    fn param_problem_carries_the_pointer() {
        // RFC 4443 3.4: the pointer is the word after the checksum.
        let m = build(kind::PARAM_PROB, code::PARAMPROB_NEXTHEADER, 6, &[0x60]);
        assert_eq!(m, [4, 1, 0, 0, 0, 0, 0, 6, 0x60]);
        assert_eq!(Message::new_checked(&m).unwrap().word(), 6);
    }
}
