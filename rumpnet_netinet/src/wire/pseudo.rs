//! The pseudo-headers a TCP or UDP checksum covers: IPv4's (RFC 768,
//! RFC 9293 3.1: source, destination, zero, protocol, length) and IPv6's
//! (RFC 8200 8.1: source, destination, a 32-bit length, three zeros and
//! the next header), so that one TCP and one UDP checksum for both.

use super::ipv4::Address;
use rumpnet::wire::checksum;

/// The addresses of a segment's network header, which its checksum covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    /// IPv4 source and destination.
    V4([u8; 4], [u8; 4]),
    /// IPv6 source and destination, as on the wire (no zone).
    V6([u8; 16], [u8; 16]),
}

impl Pseudo {
    /// IPv4's, from `src` to `dst`.
    pub fn v4(src: Address, dst: Address) -> Pseudo {
        Pseudo::V4(src.0, dst.0)
    }

    /// The folded sum of the pseudo-header for `len` bytes of `proto`.
    pub fn sum(&self, proto: u8, len: usize) -> u16 {
        match self {
            Pseudo::V4(s, d) => checksum::pseudo_header_v4(*s, *d, proto, len as u32),
            Pseudo::V6(s, d) => {
                let mut b = [0u8; 40];
                b[..16].copy_from_slice(s);
                b[16..32].copy_from_slice(d);
                b[32..36].copy_from_slice(&(len as u32).to_be_bytes());
                b[39] = proto;
                checksum::sum(&b)
            }
        }
    }

    /// Whether this is IPv6's.
    pub fn is_v6(&self) -> bool {
        matches!(self, Pseudo::V6(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_pseudo_header_matches_rfc_8200_layout() {
        // A UDP datagram from fe80::1 to fe80::2, port 7 to 7, payload
        // "hi": the pseudo-header's sum plus the datagram's must equal the
        // checksum of RFC 8200's layout written out as bytes.
        let src = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
        let dst = [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];
        let udp = [0x00, 0x07, 0x00, 0x07, 0x00, 0x0a, 0x00, 0x00, b'h', b'i'];
        let ph = Pseudo::V6(src, dst).sum(17, udp.len());
        let c = !checksum::combine(&[ph, checksum::sum(&udp)]);
        // The same sum as an independent computation over the layout.
        let mut whole = Vec::new();
        whole.extend_from_slice(&src);
        whole.extend_from_slice(&dst);
        whole.extend_from_slice(&(udp.len() as u32).to_be_bytes());
        whole.extend_from_slice(&[0, 0, 0, 17]);
        whole.extend_from_slice(&udp);
        assert_eq!(c, checksum::checksum(&whole));
    }
}
