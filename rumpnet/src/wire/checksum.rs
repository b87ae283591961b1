//! The Internet checksum (RFC 1071): the ones' complement of the ones'
//! complement sum of 16-bit words, and the IPv4 pseudo-header that UDP and
//! TCP include.

/// The ones' complement sum of `data` (big-endian words, an odd last byte
/// padded with zero), folded to 16 bits, not complemented.
pub fn sum(data: &[u8]) -> u16 {
    fold(u64::from(raw(data)))
}

/// Add `data` to a running 32-bit sum of big-endian 16-bit words.
///
/// The ones' complement sum does not depend on byte order (RFC 1071,
/// section 2(B)), so the words are added eight bytes at a time in the
/// machine's own order with end-around carry, and the folded result is
/// swapped to network order once at the end.
fn raw(data: &[u8]) -> u32 {
    let mut acc: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let w = u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
        let (s, carry) = acc.overflowing_add(w);
        acc = s + u64::from(carry);
    }
    let mut rest = [0u8; 8];
    let tail = chunks.remainder();
    rest[..tail.len()].copy_from_slice(tail);
    let (s, carry) = acc.overflowing_add(u64::from_ne_bytes(rest));
    acc = s + u64::from(carry);
    let folded = fold((acc >> 32) + (acc & 0xffff_ffff));
    u32::from(u16::from_be(folded))
}

fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// Ones' complement addition of folded sums.
pub fn combine(sums: &[u16]) -> u16 {
    fold(sums.iter().map(|&s| u64::from(s)).sum())
}

/// The checksum field's value for `data` (with its checksum field zero).
pub fn checksum(data: &[u8]) -> u16 {
    !sum(data)
}

/// The sum of the IPv4 pseudo-header: source, destination, protocol and
/// the upper-layer length.
pub fn pseudo_header_v4(src: [u8; 4], dst: [u8; 4], proto: u8, len: u32) -> u16 {
    let mut b = [0u8; 12];
    b[0..4].copy_from_slice(&src);
    b[4..8].copy_from_slice(&dst);
    b[9] = proto;
    b[10..12].copy_from_slice(&(len as u16).to_be_bytes());
    sum(&b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // RFC 1071 section 3: the sum of these words is 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(sum(&data), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn real_ipv4_header_checks() {
        // An IPv4 header from a capture: its checksum makes the sum 0xffff.
        let h = [
            0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0xb8, 0x61, 0xc0, 0xa8,
            0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7,
        ];
        assert_eq!(sum(&h), 0xffff);
        let mut z = h;
        z[10] = 0;
        z[11] = 0;
        assert_eq!(checksum(&z), 0xb861);
    }

    #[test]
    fn odd_lengths_and_long_input() {
        assert_eq!(sum(&[0xab]), 0xab00);
        assert_eq!(sum(&[]), 0);
        let big = vec![0xffu8; 1 << 20];
        assert_eq!(sum(&big), 0xffff);
        assert_eq!(combine(&[0xffff, 0x0001]), 0x0001);
    }

    #[test]
    fn matches_word_by_word_sum() {
        // RFC 1071's definition, one big-endian word at a time.
        fn reference(d: &[u8]) -> u16 {
            let mut acc: u32 = 0;
            for c in d.chunks(2) {
                acc += u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
                acc = (acc & 0xffff) + (acc >> 16);
            }
            acc as u16
        }
        let mut x: u32 = 0x1234_5678;
        let data: Vec<u8> = (0..3000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        for start in 0..9 {
            for len in (0..64).chain([1499, 1500, 1501, 2000]) {
                let d = &data[start..start + len];
                assert_eq!(sum(d), reference(d), "start {start} len {len}");
            }
        }
    }
}
