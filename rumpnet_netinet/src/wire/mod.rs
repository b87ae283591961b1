//! The Internet protocols' headers as typed views over bytes (see
//! `rumpnet::wire` for the conventions): ARP, IPv4, ICMP, UDP and TCP.

pub mod arp;
pub mod icmp;
pub mod ipv4;
pub mod tcp;
pub mod udp;

pub use rumpnet::wire::{Field, WireError, WireResult};

pub(crate) fn be16(b: &[u8], f: Field) -> u16 {
    let s = &b[f];
    u16::from_be_bytes([s[0], s[1]])
}

pub(crate) fn be32(b: &[u8], f: Field) -> u32 {
    let s = &b[f];
    u32::from_be_bytes([s[0], s[1], s[2], s[3]])
}

pub(crate) fn put16(b: &mut [u8], f: Field, v: u16) {
    b[f].copy_from_slice(&v.to_be_bytes());
}

pub(crate) fn put32(b: &mut [u8], f: Field, v: u32) {
    b[f].copy_from_slice(&v.to_be_bytes());
}
