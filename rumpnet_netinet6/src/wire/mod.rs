//! IPv6 wire formats as checked views over byte buffers: the fixed
//! header and the extension headers (RFC 8200), ICMPv6 (RFC 4443) and the
//! neighbour discovery messages and options (RFC 4861), router
//! discovery and redirects, and MLD (RFC 2710).

pub mod icmpv6;
pub mod ipv6;
pub mod mld;
pub mod nd;
pub mod rtr;

/// Why a buffer is not a well-formed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Shorter than the header says it is.
    Truncated,
    /// A field holds a value the format does not allow.
    BadField,
}
