//! XDR (RFC 4506): the encoding of every ONC RPC message. Items are
//! big-endian and padded to four bytes. The decoder checks every length
//! against what is left of the message before it takes anything, so that
//! no reply, however malformed, makes it panic or allocate more than the
//! reply holds.

/// Why a message did not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XdrError {
    /// The message ends inside an item.
    Short,
    /// A variable-length item is longer than its limit allows.
    TooLong,
    /// A boolean other than 0 or 1, or an enum value out of range.
    BadValue,
    /// Bytes were left over after the last item.
    Trailing,
}

impl std::fmt::Display for XdrError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            XdrError::Short => "message ends inside an item",
            XdrError::TooLong => "item longer than its limit",
            XdrError::BadValue => "value out of range",
            XdrError::Trailing => "bytes after the last item",
        })
    }
}

/// The result of decoding.
pub type XdrResult<T> = Result<T, XdrError>;

/// The bytes that pad `len` bytes to a multiple of four.
pub const fn padding(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// Builds an XDR message.
#[derive(Clone, Debug, Default)]
pub struct Encoder {
    buf: Vec<u8>,
}

impl Encoder {
    /// An empty message.
    pub fn new() -> Encoder {
        Encoder::default()
    }

    /// An empty message written into `buf`'s allocation (a client reuses
    /// one buffer for its calls rather than allocating one per call).
    pub fn reusing(mut buf: Vec<u8>) -> Encoder {
        buf.clear();
        Encoder { buf }
    }

    /// The message so far.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Nothing written yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// An unsigned int.
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// An unsigned hyper.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.buf.extend_from_slice(&v.to_be_bytes());
        self
    }

    /// A boolean.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.u32(u32::from(v))
    }

    /// Fixed-length opaque data: the bytes and their padding.
    pub fn opaque_fixed(&mut self, data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(data);
        self.buf.resize(self.buf.len() + padding(data.len()), 0);
        self
    }

    /// Variable-length opaque data: its length, then the bytes. A length
    /// beyond `u32` cannot be encoded; callers limit their items far below
    /// (every protocol here gives each item a maximum).
    pub fn opaque(&mut self, data: &[u8]) -> &mut Self {
        self.u32(u32::try_from(data.len()).unwrap_or(u32::MAX));
        self.opaque_fixed(data)
    }

    /// A string (as variable-length opaque data).
    pub fn string(&mut self, s: &[u8]) -> &mut Self {
        self.opaque(s)
    }

    /// Bytes already encoded (a nested message).
    pub fn raw(&mut self, data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(data);
        self
    }
}

/// Reads an XDR message.
#[derive(Clone, Debug)]
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Decoder<'a> {
    /// A decoder at the start of `buf`.
    pub fn new(buf: &'a [u8]) -> Decoder<'a> {
        Decoder { buf, pos: 0 }
    }

    /// Bytes not read yet.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// What is left, unread.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Fail unless everything was read.
    pub fn finish(&self) -> XdrResult<()> {
        if self.remaining() == 0 {
            Ok(())
        } else {
            Err(XdrError::Trailing)
        }
    }

    fn take(&mut self, n: usize) -> XdrResult<&'a [u8]> {
        if n > self.remaining() {
            return Err(XdrError::Short);
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// An unsigned int.
    pub fn u32(&mut self) -> XdrResult<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// An unsigned hyper.
    pub fn u64(&mut self) -> XdrResult<u64> {
        let hi = self.u32()?;
        let lo = self.u32()?;
        Ok((u64::from(hi) << 32) | u64::from(lo))
    }

    /// A boolean: 0 or 1, anything else is an error.
    pub fn bool(&mut self) -> XdrResult<bool> {
        match self.u32()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(XdrError::BadValue),
        }
    }

    /// `n` bytes of fixed-length opaque data (and their padding).
    pub fn opaque_fixed(&mut self, n: usize) -> XdrResult<&'a [u8]> {
        let total = n.checked_add(padding(n)).ok_or(XdrError::TooLong)?;
        let b = self.take(total)?;
        Ok(&b[..n])
    }

    /// Variable-length opaque data of at most `max` bytes.
    pub fn opaque(&mut self, max: usize) -> XdrResult<&'a [u8]> {
        let n = usize::try_from(self.u32()?).map_err(|_| XdrError::TooLong)?;
        if n > max {
            return Err(XdrError::TooLong);
        }
        self.opaque_fixed(n)
    }

    /// A string of at most `max` bytes (its bytes, not checked as text:
    /// file names are bytes to NFS).
    pub fn string(&mut self, max: usize) -> XdrResult<&'a [u8]> {
        self.opaque(max)
    }

    /// An optional item (`*T`): whether it follows.
    pub fn optional(&mut self) -> XdrResult<bool> {
        self.bool()
    }

    /// An array's element count, limited to `max` and to what the rest
    /// of the message could hold at `min_item` bytes an element.
    pub fn count(&mut self, max: usize, min_item: usize) -> XdrResult<usize> {
        let n = usize::try_from(self.u32()?).map_err(|_| XdrError::TooLong)?;
        if n > max {
            return Err(XdrError::TooLong);
        }
        if n.saturating_mul(min_item.max(1)) > self.remaining() {
            return Err(XdrError::Short);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_encode_as_rfc_4506_lays_them_out() {
        let mut e = Encoder::new();
        e.u32(1)
            .u64(0x0102_0304_0506_0708)
            .bool(true)
            .string(b"abcde");
        e.opaque_fixed(&[9, 9]);
        let want: Vec<u8> = [
            &[0, 0, 0, 1][..],
            &[1, 2, 3, 4, 5, 6, 7, 8],
            &[0, 0, 0, 1],
            &[0, 0, 0, 5, b'a', b'b', b'c', b'd', b'e', 0, 0, 0],
            &[9, 9, 0, 0],
        ]
        .concat();
        assert_eq!(e.into_bytes(), want);
        let mut d = Decoder::new(&want);
        assert_eq!(d.u32(), Ok(1));
        assert_eq!(d.u64(), Ok(0x0102_0304_0506_0708));
        assert_eq!(d.bool(), Ok(true));
        assert_eq!(d.string(5), Ok(&b"abcde"[..]));
        assert_eq!(d.opaque_fixed(2), Ok(&[9u8, 9][..]));
        assert_eq!(d.finish(), Ok(()));
    }

    #[test]
    fn lengths_are_checked_against_the_rest_and_the_limit() {
        // A string claiming 4 GiB in a 12-byte message.
        let mut d = Decoder::new(&[0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(d.opaque(usize::MAX), Err(XdrError::Short));
        let mut d = Decoder::new(&[0, 0, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0]);
        assert_eq!(d.string(5), Err(XdrError::TooLong));
        // The padding must be there too.
        let mut d = Decoder::new(&[0, 0, 0, 5, 1, 2, 3, 4, 5]);
        assert_eq!(d.opaque(8), Err(XdrError::Short));
        let mut d = Decoder::new(&[0, 0, 0, 2]);
        assert_eq!(d.bool(), Err(XdrError::BadValue));
        let mut d = Decoder::new(&[0, 0, 0x10, 0, 0, 0, 0, 1]);
        assert_eq!(d.count(1 << 20, 4), Err(XdrError::Short));
        assert_eq!(Decoder::new(&[0, 0]).u32(), Err(XdrError::Short));
        assert_eq!(
            Decoder::new(&[0, 0, 0, 0]).finish(),
            Err(XdrError::Trailing)
        );
    }
}
