//! Link-layer formats as typed views over bytes, in smoltcp's manner: a
//! view is checked once when made (`new_checked`), after which no accessor
//! can panic; a `Repr` is the parsed, owned form with `parse` and `emit`.

pub mod checksum;
pub mod ethernet;

/// Why bytes are not a valid packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WireError {
    /// Shorter than the header (or than a length field says).
    Truncated,
    /// A field holds a value the format does not allow.
    Malformed,
    /// The checksum does not match.
    Checksum,
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            WireError::Truncated => "truncated packet",
            WireError::Malformed => "malformed packet",
            WireError::Checksum => "bad checksum",
        })
    }
}

/// The result of parsing.
pub type WireResult<T> = Result<T, WireError>;

/// A byte range of a header (`start..end`).
pub type Field = std::ops::Range<usize>;

/// A big-endian `u16` at `f` (the view was checked to hold it).
#[inline]
pub fn be16(b: &[u8], f: Field) -> u16 {
    let s = &b[f];
    u16::from_be_bytes([s[0], s[1]])
}

/// A big-endian `u32` at `f`.
#[inline]
pub fn be32(b: &[u8], f: Field) -> u32 {
    let s = &b[f];
    u32::from_be_bytes([s[0], s[1], s[2], s[3]])
}

/// Store a big-endian `u16` at `f`.
#[inline]
pub fn put16(b: &mut [u8], f: Field, v: u16) {
    b[f].copy_from_slice(&v.to_be_bytes());
}

/// Store a big-endian `u32` at `f`.
#[inline]
pub fn put32(b: &mut [u8], f: Field, v: u32) {
    b[f].copy_from_slice(&v.to_be_bytes());
}
