//! The frame: a 24-byte header in host byte order, then a payload.
//!
//! ```text
//!  0               8               16      18      20      24
//! +---------------+---------------+-------+-------+-------+------------
//! | len (u64)     | reqno (u64)   | class | type  | union | payload ...
//! +---------------+---------------+-------+-------+-------+------------
//! ```
//! `len` counts the header too. The union holds the handshake type, the
//! syscall number, the error code or the signal number, by frame type.

use std::ops::Range;

mod field {
    use super::Range;
    pub const LEN: Range<usize> = 0..8;
    pub const REQNO: Range<usize> = 8..16;
    pub const CLASS: Range<usize> = 16..18;
    pub const TYPE: Range<usize> = 18..20;
    pub const UNION: Range<usize> = 20..24;
}

/// Size of the header.
pub const HEADER_LEN: usize = 24;

/// Largest frame we accept from a peer. Syscall argument blocks are at most
/// a few hundred bytes; copies are bounded by what the kernel asks for.
pub const MAX_FRAME: u64 = 16 << 20;

/// Most bytes one COPYIN or COPYOUT request of our server moves: a larger
/// copy goes as several requests, each naming its own address and length
/// (NetBSD's protocol puts no limit on how many a call makes), so that no
/// frame comes near [`MAX_FRAME`] and a call's memory stays bounded
/// whatever length its client gives.
pub const MAX_COPY: usize = 1 << 20;

/// Largest frame our server takes from a client: a COPYIN reply of
/// [`MAX_COPY`] bytes (system call requests and handshakes are far
/// smaller), so that a client announcing more is cut off before the server
/// allocates anything for it.
pub const MAX_CLIENT_FRAME: u64 = (HEADER_LEN + MAX_COPY) as u64;

/// `rsp_class`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// A request.
    Req = 0,
    /// A response to a request with the same `reqno`.
    Resp = 1,
    /// An error response; the union holds the [`SpError`].
    Error = 2,
}

/// `rsp_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// Connection setup; the union holds the [`Handshake`] kind.
    Handshake = 0,
    /// A system call; the union holds its number.
    Syscall = 1,
    /// Server asks client for bytes at an address.
    Copyin = 2,
    /// Server asks client for a NUL-terminated string at an address.
    Copyinstr = 3,
    /// Server writes bytes to the client's memory.
    Copyout = 4,
    /// Server writes a string to the client's memory.
    Copyoutstr = 5,
    /// Server asks client to map anonymous memory.
    Anonmmap = 6,
    /// Client asks for a fork cookie before forking.
    Prefork = 7,
    /// Server asks client to raise a signal; the union holds its number.
    Raise = 8,
    /// Client proves a shared key before its handshake: ours, not NetBSD's
    /// (see [`crate::auth`]); numbered well past NetBSD's types.
    Auth = 32,
}

/// Kinds of handshake (`HANDSHAKE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handshake {
    /// A new client; the payload is its program name.
    Guest = 0,
    /// A forked child presenting its cookie.
    Auth = 1,
    /// The client's fork has completed.
    Fork = 2,
    /// The client has exec'd; the payload is the new program name.
    Exec = 3,
}

/// Protocol error codes (`RUMPSP_ERR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpError {
    /// No error.
    None = 0,
    /// Temporary failure; try again.
    TryAgain = 1,
    /// Authentication failed.
    Auth = 2,
    /// Invalid fork.
    InvalidPrefork = 3,
    /// The server could not create the process.
    RforkFailed = 4,
    /// The process is exec'ing.
    InExec = 5,
    /// The server is out of memory.
    NoMem = 6,
    /// The request could not be understood.
    MalformedRequest = 7,
}

impl SpError {
    /// The code as a number.
    pub fn code(self) -> u32 {
        self as u32
    }

    /// The error for code `c` (unknown codes read as malformed).
    pub fn from_code(c: u32) -> SpError {
        [
            SpError::None,
            SpError::TryAgain,
            SpError::Auth,
            SpError::InvalidPrefork,
            SpError::RforkFailed,
            SpError::InExec,
            SpError::NoMem,
            SpError::MalformedRequest,
        ]
        .get(c as usize)
        .copied()
        .unwrap_or(SpError::MalformedRequest)
    }

    /// The errno a client reports for it (NetBSD's client mapping).
    pub fn errno(self) -> i32 {
        use netbsd_abi::errno::raw;
        match self {
            SpError::None => 0,
            SpError::TryAgain => raw::EAGAIN,
            SpError::Auth => raw::EPERM,
            SpError::InvalidPrefork => raw::ESRCH,
            SpError::RforkFailed => raw::EIO,
            SpError::InExec => raw::EBUSY,
            SpError::NoMem => raw::ENOMEM,
            SpError::MalformedRequest => raw::EINVAL,
        }
    }
}

/// A decoded header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Whole frame length, header included.
    pub len: u64,
    /// Request number, echoed by the response.
    pub reqno: u64,
    /// Class.
    pub class: Class,
    /// Type.
    pub typ: Type,
    /// The union: handshake kind, syscall number, error code or signal.
    pub union: u32,
}

/// Why a header is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HeaderError {
    /// Shorter than a header, or longer than the limit ([`MAX_FRAME`]
    /// unless the reader names another).
    BadLength(u64),
    /// Unknown class.
    BadClass(u16),
    /// Unknown type.
    BadType(u16),
}

impl std::fmt::Display for HeaderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HeaderError::BadLength(l) => write!(f, "bad frame length {l}"),
            HeaderError::BadClass(c) => write!(f, "bad frame class {c}"),
            HeaderError::BadType(t) => write!(f, "bad frame type {t}"),
        }
    }
}

impl std::error::Error for HeaderError {}

fn u64_at(b: &[u8], r: Range<usize>) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[r]);
    u64::from_ne_bytes(x)
}

impl Header {
    /// A header for a frame with `payload_len` bytes after it.
    pub fn new(reqno: u64, class: Class, typ: Type, union: u32, payload_len: usize) -> Header {
        Header {
            len: (HEADER_LEN + payload_len) as u64,
            reqno,
            class,
            typ,
            union,
        }
    }

    /// Bytes of payload that follow the header.
    pub fn payload_len(&self) -> usize {
        (self.len as usize).saturating_sub(HEADER_LEN)
    }

    /// Decode and validate a header.
    pub fn parse(b: &[u8; HEADER_LEN]) -> Result<Header, HeaderError> {
        Header::parse_within(b, MAX_FRAME)
    }

    /// Decode and validate a header of a frame at most `max` bytes long.
    pub fn parse_within(b: &[u8; HEADER_LEN], max: u64) -> Result<Header, HeaderError> {
        let len = u64_at(b, field::LEN);
        if len < HEADER_LEN as u64 || len > max {
            return Err(HeaderError::BadLength(len));
        }
        let class = u16::from_ne_bytes([b[field::CLASS.start], b[field::CLASS.start + 1]]);
        let typ = u16::from_ne_bytes([b[field::TYPE.start], b[field::TYPE.start + 1]]);
        let class = match class {
            0 => Class::Req,
            1 => Class::Resp,
            2 => Class::Error,
            c => return Err(HeaderError::BadClass(c)),
        };
        let typ = match typ {
            0 => Type::Handshake,
            1 => Type::Syscall,
            2 => Type::Copyin,
            3 => Type::Copyinstr,
            4 => Type::Copyout,
            5 => Type::Copyoutstr,
            6 => Type::Anonmmap,
            7 => Type::Prefork,
            8 => Type::Raise,
            32 => Type::Auth,
            t => return Err(HeaderError::BadType(t)),
        };
        let mut u = [0u8; 4];
        u.copy_from_slice(&b[field::UNION]);
        Ok(Header {
            len,
            reqno: u64_at(b, field::REQNO),
            class,
            typ,
            union: u32::from_ne_bytes(u),
        })
    }

    /// Encode.
    pub fn emit(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[field::LEN].copy_from_slice(&self.len.to_ne_bytes());
        b[field::REQNO].copy_from_slice(&self.reqno.to_ne_bytes());
        b[field::CLASS].copy_from_slice(&(self.class as u16).to_ne_bytes());
        b[field::TYPE].copy_from_slice(&(self.typ as u16).to_ne_bytes());
        b[field::UNION].copy_from_slice(&self.union.to_ne_bytes());
        b
    }
}

/// A header and its payload, ready to send.
pub fn frame(h: &Header, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_LEN + payload.len());
    v.extend_from_slice(&h.emit());
    v.extend_from_slice(payload);
    v
}
