//! ARP for IPv4 over Ethernet (RFC 826).
//!
//! ```text
//!  0      2      4    5    6      8        14       18       24       28
//! +------+------+----+----+------+--------+--------+--------+--------+
//! |htype |ptype |hlen|plen| oper |  sha   |  spa   |  tha   |  tpa   |
//! +------+------+----+----+------+--------+--------+--------+--------+
//! ```

use super::ipv4::Address as Ipv4Address;
use super::{Field, WireError, WireResult, be16, put16};
use rumpnet::wire::ethernet::{Address as EthAddress, ethertype};

mod field {
    use super::Field;
    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    pub const SHA: Field = 8..14;
    pub const SPA: Field = 14..18;
    pub const THA: Field = 18..24;
    pub const TPA: Field = 24..28;
}

/// Bytes of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = netbsd_abi::layout::ether_arp::SIZE;

/// What an ARP packet asks or tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Who has `target_ip`?
    Request,
    /// `sender_ip` is at `sender_hw`.
    Reply,
}

/// An ARP packet, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Request or reply.
    pub op: Operation,
    /// Sender's hardware address.
    pub sender_hw: EthAddress,
    /// Sender's IPv4 address.
    pub sender_ip: Ipv4Address,
    /// Target's hardware address (zero in a request).
    pub target_hw: EthAddress,
    /// Target's IPv4 address.
    pub target_ip: Ipv4Address,
}

impl Repr {
    /// Parse an ARP packet; Malformed unless it is Ethernet/IPv4 with a
    /// request or reply.
    pub fn parse(b: &[u8]) -> WireResult<Repr> {
        if b.len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        if be16(b, field::HTYPE) != 1
            || be16(b, field::PTYPE) != ethertype::IPV4
            || b[field::HLEN] != 6
            || b[field::PLEN] != 4
        {
            return Err(WireError::Malformed);
        }
        let op = match be16(b, field::OPER) {
            1 => Operation::Request,
            2 => Operation::Reply,
            _ => return Err(WireError::Malformed),
        };
        let hw = |f: Field| {
            let mut a = [0u8; 6];
            a.copy_from_slice(&b[f]);
            EthAddress(a)
        };
        let ip = |f: Field| {
            let mut a = [0u8; 4];
            a.copy_from_slice(&b[f]);
            Ipv4Address(a)
        };
        Ok(Repr {
            op,
            sender_hw: hw(field::SHA),
            sender_ip: ip(field::SPA),
            target_hw: hw(field::THA),
            target_ip: ip(field::TPA),
        })
    }

    /// Write the packet into the first `PACKET_LEN` bytes of `b`.
    pub fn emit(&self, b: &mut [u8]) -> WireResult<()> {
        if b.len() < PACKET_LEN {
            return Err(WireError::Truncated);
        }
        put16(b, field::HTYPE, 1);
        put16(b, field::PTYPE, ethertype::IPV4);
        b[field::HLEN] = 6;
        b[field::PLEN] = 4;
        put16(
            b,
            field::OPER,
            if self.op == Operation::Request { 1 } else { 2 },
        );
        b[field::SHA].copy_from_slice(&self.sender_hw.0);
        b[field::SPA].copy_from_slice(&self.sender_ip.0);
        b[field::THA].copy_from_slice(&self.target_hw.0);
        b[field::TPA].copy_from_slice(&self.target_ip.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Who has 10.0.0.2? Tell 10.0.0.1" from 52:54:00:12:34:56.
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 10, 0,
        0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ];

    #[test]
    fn reads_and_builds() {
        let r = Repr::parse(&REQUEST).unwrap();
        assert_eq!(r.op, Operation::Request);
        assert_eq!(r.sender_ip, Ipv4Address([10, 0, 0, 1]));
        assert_eq!(r.target_ip, Ipv4Address([10, 0, 0, 2]));
        assert_eq!(r.sender_hw.to_string(), "52:54:00:12:34:56");
        let mut b = [0u8; 28];
        r.emit(&mut b).unwrap();
        assert_eq!(b, REQUEST);
    }

    #[test]
    fn refuses_other_kinds() {
        assert_eq!(Repr::parse(&REQUEST[..27]), Err(WireError::Truncated));
        for (i, v) in [(1, 6), (3, 0xdd), (4, 8), (5, 16), (7, 3)] {
            let mut b = REQUEST;
            b[i] = v;
            assert_eq!(Repr::parse(&b), Err(WireError::Malformed), "byte {i}");
        }
    }
}
