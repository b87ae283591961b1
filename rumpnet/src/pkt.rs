//! Packet buffers: NetBSD's mbuf chain, flattened into one vector with room
//! in front, so that each layer on the way out prepends its header without
//! copying what is already there.

impl std::ops::Deref for Pkt {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.data()
    }
}

/// One packet: the bytes from `start` to the end of `buf`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pkt {
    buf: Vec<u8>,
    start: usize,
    /// What the bytes are when the link does not say (loopback): an
    /// Ethernet type, such as `ethernet::ethertype::IPV4`.
    pub proto: u16,
}

impl Pkt {
    /// Room left in front of a new payload: enough for Ethernet, IPv4 with
    /// options and TCP with options.
    pub const HEADROOM: usize = 14 + 60 + 60 + 2;

    /// A packet holding a copy of `payload`, with [`Pkt::HEADROOM`] in front.
    pub fn with_payload(payload: &[u8]) -> Pkt {
        let mut buf = Vec::with_capacity(Self::HEADROOM + payload.len());
        buf.resize(Self::HEADROOM, 0);
        buf.extend_from_slice(payload);
        Pkt {
            buf,
            start: Self::HEADROOM,
            proto: 0,
        }
    }

    /// A packet holding `a` then `b` (the two halves of a ring buffer),
    /// with [`Pkt::HEADROOM`] in front.
    pub fn from_slices(a: &[u8], b: &[u8]) -> Pkt {
        let mut buf = Vec::with_capacity(Self::HEADROOM + a.len() + b.len());
        buf.resize(Self::HEADROOM, 0);
        buf.extend_from_slice(a);
        buf.extend_from_slice(b);
        Pkt {
            buf,
            start: Self::HEADROOM,
            proto: 0,
        }
    }

    /// A packet that is exactly `bytes` (a received frame).
    pub fn from_vec(bytes: Vec<u8>) -> Pkt {
        Pkt {
            buf: bytes,
            start: 0,
            proto: 0,
        }
    }

    /// The packet's bytes.
    pub fn data(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// The packet's bytes, to change in place.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buf[self.start..]
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.buf.len() - self.start
    }

    /// Whether the packet is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Make `n` bytes of room in front (zeroed) and return them
    /// (`M_PREPEND`). Moves the packet only when the headroom is used up.
    pub fn prepend(&mut self, n: usize) -> &mut [u8] {
        if n > self.start {
            let grow = n - self.start + Self::HEADROOM;
            self.buf.splice(0..0, std::iter::repeat_n(0, grow));
            self.start += grow;
        }
        self.start -= n;
        let front = &mut self.buf[self.start..self.start + n];
        front.fill(0);
        front
    }

    /// Drop `n` bytes from the front (`m_adj` with a positive count); all of
    /// them if the packet is shorter.
    pub fn strip(&mut self, n: usize) {
        self.start = (self.start + n).min(self.buf.len());
    }

    /// Keep only the first `len` bytes (link padding, for instance).
    pub fn truncate(&mut self, len: usize) {
        self.buf.truncate(self.start + len);
    }

    /// Append `bytes` at the end.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepend_uses_headroom_then_grows() {
        let mut p = Pkt::with_payload(b"data");
        p.prepend(8).copy_from_slice(b"udp-head");
        assert_eq!(p.data(), b"udp-headdata");
        p.prepend(Pkt::HEADROOM).fill(1);
        assert_eq!(p.len(), Pkt::HEADROOM + 12);
        assert_eq!(&p.data()[Pkt::HEADROOM..], b"udp-headdata");
        p.strip(Pkt::HEADROOM + 8);
        assert_eq!(p.data(), b"data");
        p.truncate(2);
        assert_eq!(p.data(), b"da");
        p.strip(100);
        assert!(p.is_empty());
    }
}
