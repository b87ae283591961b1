//! The Internet protocols' headers as typed views over bytes (see
//! `rumpnet::wire` for the conventions): ARP, IPv4, ICMP, UDP and TCP with
//! its options. Each `Packet` is checked once by `new_checked`; each
//! `Repr` parses from a checked view and emits, allocating nothing, into a
//! view of the whole packet: exactly `buffer_len` bytes for ARP, UDP and
//! TCP, and for ICMP a header followed by the data already in place.

pub mod arp;
pub mod icmp;
pub mod ipv4;
pub mod pseudo;
pub mod tcp;
pub mod tcp_option;
pub mod udp;

pub use rumpnet::wire::{Field, WireError, WireResult};
pub(crate) use rumpnet::wire::{be16, be32, put16, put32};
