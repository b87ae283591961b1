//! Ethernet II frames.
//!
//! ```text
//!  0               6              12     14
//! +---------------+---------------+------+---------
//! |  destination  |    source     | type | payload
//! +---------------+---------------+------+---------
//! ```

use super::{Field, WireError, WireResult, be16};

mod field {
    use super::Field;
    pub const DST: Field = 0..6;
    pub const SRC: Field = 6..12;
    pub const TYPE: Field = 12..14;
    pub const PAYLOAD: usize = 14;
}

/// Bytes of the header.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A 48-bit hardware address.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub [u8; 6]);

impl Address {
    /// ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Address = Address([0xff; 6]);

    /// Whether this is the broadcast address.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Whether the group bit is set (broadcast and multicast).
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 != 0
    }

    /// Whether this is an address one interface may have.
    pub fn is_unicast(&self) -> bool {
        !self.is_multicast()
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// `ETHERTYPE_*`.
#[allow(missing_docs)]
pub mod ethertype {
    pub const IPV4: u16 = netbsd_abi::ETHERTYPE_IP as u16;
    pub const ARP: u16 = netbsd_abi::ETHERTYPE_ARP as u16;
    pub const IPV6: u16 = netbsd_abi::ETHERTYPE_IPV6 as u16;
}

/// A view of an Ethernet frame.
#[derive(Debug, Clone)]
pub struct Frame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Frame<T> {
    /// A view of `buffer`, which must hold at least a header.
    pub fn new_checked(buffer: T) -> WireResult<Frame<T>> {
        if buffer.as_ref().len() < HEADER_LEN {
            return Err(WireError::Truncated);
        }
        Ok(Frame { buffer })
    }

    /// The bytes.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    fn addr(&self, f: Field) -> Address {
        let mut a = [0u8; 6];
        a.copy_from_slice(&self.buffer.as_ref()[f]);
        Address(a)
    }

    /// Destination address.
    pub fn dst(&self) -> Address {
        self.addr(field::DST)
    }

    /// Source address.
    pub fn src(&self) -> Address {
        self.addr(field::SRC)
    }

    /// EtherType.
    pub fn ethertype(&self) -> u16 {
        be16(self.buffer.as_ref(), field::TYPE)
    }

    /// The payload.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Frame<T> {
    /// Set the destination.
    pub fn set_dst(&mut self, a: Address) {
        self.buffer.as_mut()[field::DST].copy_from_slice(&a.0);
    }

    /// Set the source.
    pub fn set_src(&mut self, a: Address) {
        self.buffer.as_mut()[field::SRC].copy_from_slice(&a.0);
    }

    /// Set the EtherType.
    pub fn set_ethertype(&mut self, t: u16) {
        super::put16(self.buffer.as_mut(), field::TYPE, t);
    }

    /// The payload, to fill.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// An Ethernet header, parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Repr {
    /// Source.
    pub src: Address,
    /// Destination.
    pub dst: Address,
    /// EtherType.
    pub ethertype: u16,
}

impl Repr {
    /// The header of a frame.
    pub fn parse<T: AsRef<[u8]>>(f: &Frame<T>) -> Repr {
        Repr {
            src: f.src(),
            dst: f.dst(),
            ethertype: f.ethertype(),
        }
    }

    /// Write the header into a frame.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, f: &mut Frame<T>) {
        f.set_src(self.src);
        f.set_dst(self.dst);
        f.set_ethertype(self.ethertype);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ARP request broadcast from 52:54:00:12:34:56 (the start of it).
    const FRAME: [u8; 18] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x08, 0x06, 0x00,
        0x01, 0x08, 0x00,
    ];

    #[test]
    fn reads_every_field() {
        let f = Frame::new_checked(&FRAME[..]).unwrap();
        assert!(f.dst().is_broadcast() && f.dst().is_multicast());
        assert_eq!(f.src().to_string(), "52:54:00:12:34:56");
        assert!(f.src().is_unicast());
        assert_eq!(f.ethertype(), ethertype::ARP);
        assert_eq!(f.payload(), &[0x00, 0x01, 0x08, 0x00]);
    }

    #[test]
    fn builds_the_same_bytes() {
        let r = Repr::parse(&Frame::new_checked(&FRAME[..]).unwrap());
        let mut b = [0u8; 18];
        let mut f = Frame::new_checked(&mut b[..]).unwrap();
        r.emit(&mut f);
        f.payload_mut().copy_from_slice(&FRAME[14..]);
        assert_eq!(b, FRAME);
    }

    #[test]
    fn short_is_truncated() {
        assert_eq!(
            Frame::new_checked(&FRAME[..13]).err(),
            Some(WireError::Truncated)
        );
        assert!(
            Frame::new_checked(&FRAME[..14])
                .unwrap()
                .payload()
                .is_empty()
        );
    }
}
