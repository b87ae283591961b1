//! ARP (RFC 826) as a view over bytes; the [`Repr`] is ARP for IPv4 over
//! Ethernet, the only kind this stack speaks.
//!
//! ```text
//!  0      2      4    5    6      8
//! +------+------+----+----+------+-------+-------+-------+-------+
//! |htype |ptype |hlen|plen| oper |  sha  |  spa  |  tha  |  tpa  |
//! +------+------+----+----+------+-------+-------+-------+-------+
//!                                  hlen    plen    hlen    plen bytes
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
    /// Where the addresses start.
    pub const ADDRS: usize = 8;
}

/// Bytes of the fixed part (`struct arphdr`).
pub const HEADER_LEN: usize = netbsd_abi::layout::arphdr::SIZE;

/// Bytes of an Ethernet/IPv4 ARP packet (`struct ether_arp`).
pub const PACKET_LEN: usize = netbsd_abi::layout::ether_arp::SIZE;

/// `ARPHRD_ETHER`.
const HTYPE_ETHER: u16 = netbsd_abi::ARPHRD_ETHER as u16;
/// `ARPOP_REQUEST`.
const OP_REQUEST: u16 = netbsd_abi::ARPOP_REQUEST as u16;
/// `ARPOP_REPLY`.
const OP_REPLY: u16 = netbsd_abi::ARPOP_REPLY as u16;
/// `ETHER_ADDR_LEN`.
const ETHER_ADDR_LEN: u8 = netbsd_abi::ETHER_ADDR_LEN as u8;
/// Bytes of an IPv4 address (`struct in_addr`).
const IPV4_ADDR_LEN: u8 = netbsd_abi::layout::in_addr::SIZE as u8;

/// A view of an ARP packet of any hardware and protocol.
#[derive(Debug, Clone)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// A view of `buffer` that is not checked: accessors may panic unless
    /// it holds the fixed part and the addresses its lengths say.
    pub const fn new_unchecked(buffer: T) -> Packet<T> {
        Packet { buffer }
    }

    /// A view of `buffer`: the fixed part and the four addresses of the
    /// lengths it gives (it may be longer: link-layer padding). After this
    /// no accessor panics.
    pub fn new_checked(buffer: T) -> WireResult<Packet<T>> {
        let p = Packet::new_unchecked(buffer);
        let have = p.b().len();
        if have < HEADER_LEN || have < p.addrs_end() {
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

    /// Hardware type (`ARPHRD_*`).
    pub fn hardware_type(&self) -> u16 {
        be16(self.b(), field::HTYPE)
    }

    /// Protocol type (an EtherType).
    pub fn protocol_type(&self) -> u16 {
        be16(self.b(), field::PTYPE)
    }

    /// Bytes of a hardware address.
    pub fn hardware_len(&self) -> u8 {
        self.b()[field::HLEN]
    }

    /// Bytes of a protocol address.
    pub fn protocol_len(&self) -> u8 {
        self.b()[field::PLEN]
    }

    /// Operation (`ARPOP_*`).
    pub fn operation(&self) -> u16 {
        be16(self.b(), field::OPER)
    }

    /// Where the sender's hardware address, the sender's protocol address,
    /// the target's hardware address and the target's protocol address
    /// are.
    fn addr_fields(&self) -> [Field; 4] {
        let (h, p) = (
            usize::from(self.hardware_len()),
            usize::from(self.protocol_len()),
        );
        let sha = field::ADDRS;
        let spa = sha + h;
        let tha = spa + p;
        let tpa = tha + h;
        [sha..spa, spa..tha, tha..tpa, tpa..tpa + p]
    }

    fn addrs_end(&self) -> usize {
        let b = self.b();
        if b.len() < HEADER_LEN {
            return HEADER_LEN;
        }
        field::ADDRS + 2 * (usize::from(b[field::HLEN]) + usize::from(b[field::PLEN]))
    }

    /// The sender's hardware address.
    pub fn source_hardware_addr(&self) -> &[u8] {
        &self.b()[self.addr_fields()[0].clone()]
    }

    /// The sender's protocol address.
    pub fn source_protocol_addr(&self) -> &[u8] {
        &self.b()[self.addr_fields()[1].clone()]
    }

    /// The target's hardware address.
    pub fn target_hardware_addr(&self) -> &[u8] {
        &self.b()[self.addr_fields()[2].clone()]
    }

    /// The target's protocol address.
    pub fn target_protocol_addr(&self) -> &[u8] {
        &self.b()[self.addr_fields()[3].clone()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn b_mut(&mut self) -> &mut [u8] {
        self.buffer.as_mut()
    }

    /// Set the hardware type.
    pub fn set_hardware_type(&mut self, v: u16) {
        put16(self.b_mut(), field::HTYPE, v);
    }

    /// Set the protocol type.
    pub fn set_protocol_type(&mut self, v: u16) {
        put16(self.b_mut(), field::PTYPE, v);
    }

    /// Set the hardware address length (before the addresses).
    pub fn set_hardware_len(&mut self, v: u8) {
        self.b_mut()[field::HLEN] = v;
    }

    /// Set the protocol address length (before the addresses).
    pub fn set_protocol_len(&mut self, v: u8) {
        self.b_mut()[field::PLEN] = v;
    }

    /// Set the operation.
    pub fn set_operation(&mut self, v: u16) {
        put16(self.b_mut(), field::OPER, v);
    }

    fn set_addr(&mut self, which: usize, a: &[u8]) {
        let f = self.addr_fields()[which].clone();
        self.b_mut()[f].copy_from_slice(a);
    }

    /// Set the sender's hardware address (of the hardware length).
    pub fn set_source_hardware_addr(&mut self, a: &[u8]) {
        self.set_addr(0, a);
    }

    /// Set the sender's protocol address (of the protocol length).
    pub fn set_source_protocol_addr(&mut self, a: &[u8]) {
        self.set_addr(1, a);
    }

    /// Set the target's hardware address.
    pub fn set_target_hardware_addr(&mut self, a: &[u8]) {
        self.set_addr(2, a);
    }

    /// Set the target's protocol address.
    pub fn set_target_protocol_addr(&mut self, a: &[u8]) {
        self.set_addr(3, a);
    }
}

/// What an ARP packet asks or tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Who has `target_ip`?
    Request,
    /// `sender_ip` is at `sender_hw`.
    Reply,
}

/// An Ethernet/IPv4 ARP packet, parsed.
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
    /// Parse a checked view; Malformed unless it is Ethernet/IPv4 with a
    /// request or reply.
    pub fn parse<T: AsRef<[u8]>>(p: &Packet<T>) -> WireResult<Repr> {
        if p.hardware_type() != HTYPE_ETHER
            || p.protocol_type() != ethertype::IPV4
            || p.hardware_len() != ETHER_ADDR_LEN
            || p.protocol_len() != IPV4_ADDR_LEN
        {
            return Err(WireError::Malformed);
        }
        let op = match p.operation() {
            OP_REQUEST => Operation::Request,
            OP_REPLY => Operation::Reply,
            _ => return Err(WireError::Malformed),
        };
        let hw = |a: &[u8]| {
            let mut b = [0u8; 6];
            b.copy_from_slice(a);
            EthAddress(b)
        };
        let ip = |a: &[u8]| {
            let mut b = [0u8; 4];
            b.copy_from_slice(a);
            Ipv4Address(b)
        };
        Ok(Repr {
            op,
            sender_hw: hw(p.source_hardware_addr()),
            sender_ip: ip(p.source_protocol_addr()),
            target_hw: hw(p.target_hardware_addr()),
            target_ip: ip(p.target_protocol_addr()),
        })
    }

    /// Bytes of the packet `emit` writes.
    pub fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Write the packet into `p`, whose buffer is exactly
    /// [`Repr::buffer_len`] bytes: Truncated if shorter, Malformed if
    /// longer.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, p: &mut Packet<T>) -> WireResult<()> {
        match p.b().len() {
            n if n < PACKET_LEN => return Err(WireError::Truncated),
            n if n > PACKET_LEN => return Err(WireError::Malformed),
            _ => {}
        }
        p.set_hardware_type(HTYPE_ETHER);
        p.set_protocol_type(ethertype::IPV4);
        p.set_hardware_len(ETHER_ADDR_LEN);
        p.set_protocol_len(IPV4_ADDR_LEN);
        p.set_operation(match self.op {
            Operation::Request => OP_REQUEST,
            Operation::Reply => OP_REPLY,
        });
        p.set_source_hardware_addr(&self.sender_hw.0);
        p.set_source_protocol_addr(&self.sender_ip.0);
        p.set_target_hardware_addr(&self.target_hw.0);
        p.set_target_protocol_addr(&self.target_ip.0);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// "Who has 10.0.0.2? Tell 10.0.0.1" as Linux sent it from
    /// 52:54:00:12:34:56 (captured).
    const LINUX_REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x0a,
        0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02,
    ];

    fn parse(b: &[u8]) -> WireResult<Repr> {
        Repr::parse(&Packet::new_checked(b)?)
    }

    #[test]
    fn reads_every_field() {
        let p = Packet::new_checked(&LINUX_REQUEST[..]).unwrap();
        assert_eq!((p.hardware_type(), p.protocol_type()), (1, ethertype::IPV4));
        assert_eq!(
            (p.hardware_len(), p.protocol_len(), p.operation()),
            (6, 4, 1)
        );
        assert_eq!(p.source_hardware_addr(), &[0x52, 0x54, 0, 0x12, 0x34, 0x56]);
        assert_eq!(p.source_protocol_addr(), &[10, 0, 0, 1]);
        assert_eq!(p.target_hardware_addr(), &[0; 6]);
        assert_eq!(p.target_protocol_addr(), &[10, 0, 0, 2]);
        let r = Repr::parse(&p).unwrap();
        assert_eq!(r.op, Operation::Request);
        assert_eq!(r.sender_ip, Ipv4Address([10, 0, 0, 1]));
        assert_eq!(r.target_ip, Ipv4Address([10, 0, 0, 2]));
        assert_eq!(r.sender_hw.to_string(), "52:54:00:12:34:56");
    }

    #[test]
    fn builds_the_same_bytes() {
        let r = parse(&LINUX_REQUEST).unwrap();
        let mut b = [0xeeu8; 28];
        r.emit(&mut Packet::new_unchecked(&mut b[..])).unwrap();
        assert_eq!(b, LINUX_REQUEST);
        let mut short = [0u8; 27];
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut short[..])),
            Err(WireError::Truncated)
        );
        let mut long = [0u8; 29];
        assert_eq!(
            r.emit(&mut Packet::new_unchecked(&mut long[..])),
            Err(WireError::Malformed)
        );
    }

    #[test]
    fn other_hardware_is_viewed_but_not_parsed() {
        // Room after the 28 bytes (as Ethernet's padding gives) for the
        // longer addresses of other kinds.
        let mut padded = LINUX_REQUEST.to_vec();
        padded.resize(64, 0);
        assert!(parse(&padded).is_ok());
        for (i, v) in [(1, 6), (3, 0xdd), (4, 8), (5, 16), (7, 3)] {
            let mut b = padded.clone();
            b[i] = v;
            assert!(Packet::new_checked(&b[..]).is_ok(), "byte {i}");
            assert_eq!(parse(&b), Err(WireError::Malformed), "byte {i}");
        }
    }

    #[test]
    fn short_is_truncated() {
        assert_eq!(parse(&LINUX_REQUEST[..7]), Err(WireError::Truncated));
        assert_eq!(parse(&LINUX_REQUEST[..27]), Err(WireError::Truncated));
        // Address lengths that run past the end.
        let mut big = LINUX_REQUEST;
        big[4] = 255;
        assert_eq!(
            Packet::new_checked(&big[..]).err(),
            Some(WireError::Truncated)
        );
    }
}
