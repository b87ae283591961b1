//! Bit strings as cgdconfig keeps keys and salts (`utils.c`'s `bits_t`):
//! a length in bits and the bytes holding them; in a parameters file,
//! base64 of the length (32 bits, big-endian) followed by the bytes.

/// A string of bits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bits {
    /// How many bits.
    pub len: usize,
    /// `BITS2BYTES(len)` bytes.
    pub bytes: Vec<u8>,
}

/// `BITS2BYTES`: the bytes that hold `bits` bits.
pub fn bits2bytes(bits: usize) -> usize {
    bits.div_ceil(8)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 (RFC 4648, with padding), as `__b64_ntop`.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 decoding as `__b64_pton`: white space is skipped, padding must
/// be right; `None` for a mangled stream.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut n = 0;
    let mut pad = 0;
    for c in text.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            pad += 1;
            if n < 2 || n + pad > 4 {
                return None;
            }
            continue;
        }
        if pad > 0 {
            return None;
        }
        let v = ALPHABET.iter().position(|&a| a == c)? as u32;
        acc = (acc << 6) | v;
        n += 1;
        if n == 4 {
            out.extend_from_slice(&[(acc >> 16) as u8, (acc >> 8) as u8, acc as u8]);
            acc = 0;
            n = 0;
        }
    }
    match (n, pad) {
        (0, 0) => {}
        (2, 2) => out.push((acc >> 4) as u8),
        (3, 1) => out.extend_from_slice(&[(acc >> 10) as u8, (acc >> 2) as u8]),
        _ => return None,
    }
    Some(out)
}

impl Bits {
    /// The first `len` bits of `bytes` (which must hold them).
    pub fn new(bytes: &[u8], len: usize) -> Bits {
        Bits {
            len,
            bytes: bytes[..bits2bytes(len)].to_vec(),
        }
    }

    /// `bits_encode`.
    pub fn encode(&self) -> String {
        let mut raw = (self.len as u32).to_be_bytes().to_vec();
        raw.extend_from_slice(&self.bytes);
        b64_encode(&raw)
    }

    /// `bits_decode`: `Err` with NetBSD's complaint for a mangled stream or
    /// a length longer than the bytes after it.
    pub fn decode(text: &str) -> Result<Bits, String> {
        let raw =
            b64_decode(text).ok_or_else(|| "bits_decode: mangled base64 stream".to_owned())?;
        let (len, rest) = raw
            .split_first_chunk::<4>()
            .ok_or_else(|| "bits_decode: mangled base64 stream".to_owned())?;
        let nbits = u32::from_be_bytes(*len) as usize;
        if nbits > rest.len() * 8 {
            return Err(format!(
                "bits_decode: encoded bits claim to be longer than they are \
                 (nbits={nbits}, stream len={} bytes)",
                raw.len()
            ));
        }
        Ok(Bits::new(rest, nbits))
    }

    /// `bits_xor`: as long as the longer; the rest of it is zeros.
    pub fn xor(&self, other: &Bits) -> Bits {
        let len = self.len.max(other.len);
        let mut bytes = vec![0u8; bits2bytes(len)];
        for (i, b) in bytes
            .iter_mut()
            .enumerate()
            .take(bits2bytes(self.len.min(other.len)))
        {
            *b = self.bytes[i] ^ other.bytes[i];
        }
        Bits { len, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_rejects_mangled_streams() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(b64_decode(&b64_encode(&data)).unwrap(), data);
        }
        assert_eq!(b64_encode(b"foob"), "Zm9vYg==");
        assert_eq!(b64_decode("Zm9v\n Yg==").unwrap(), b"foob");
        assert!(b64_decode("Zm9vY").is_none());
        assert!(b64_decode("Zm9v=Yg==").is_none());
        assert!(b64_decode("Zm*v").is_none());
    }

    #[test]
    fn bits_carry_their_length_first() {
        // 128 bits: 0x00000080 then 16 bytes.
        let b = Bits::new(&[0xab; 16], 128);
        let text = b.encode();
        assert_eq!(&text[..8], "AAAAgKur");
        assert_eq!(Bits::decode(&text).unwrap(), b);
        // A length longer than the stream.
        let long = b64_encode(&[0, 0, 1, 0, 1, 2]);
        assert!(Bits::decode(&long).unwrap_err().contains("longer than"));
    }

    #[test]
    fn xor_is_as_long_as_the_longer() {
        let a = Bits::new(&[0xff, 0x0f], 16);
        let b = Bits::new(&[0x0f], 8);
        assert_eq!(a.xor(&b), Bits::new(&[0xf0, 0x00], 16));
    }
}
