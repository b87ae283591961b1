//! The Internet protocols' headers as typed views over bytes (see
//! `rumpnet::wire` for the conventions): ARP, IPv4, ICMP, UDP and TCP.

pub mod arp;
pub mod icmp;
pub mod ipv4;
pub mod tcp;
pub mod tcp_option;
pub mod udp;

pub use rumpnet::wire::{Field, WireError, WireResult};
pub(crate) use rumpnet::wire::{be16, be32, put16, put32};
