//! pcap output for a bus's frames (what `shmif_dumpbus -p` writes, and
//! `tcpdump -r` reads): the classic format, native byte order, Ethernet.

use crate::bus::PktHdr;

/// The pcap magic number.
pub const MAGIC: u32 = 0xa1b2_c3d4;
/// `DLT_EN10MB`.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// The snapshot length `shmif_dumpbus` declares.
pub const SNAPLEN: u32 = 1518;

/// The 24-byte file header.
pub fn file_header() -> Vec<u8> {
    let mut h = Vec::with_capacity(24);
    h.extend_from_slice(&MAGIC.to_ne_bytes());
    h.extend_from_slice(&2u16.to_ne_bytes());
    h.extend_from_slice(&4u16.to_ne_bytes());
    h.extend_from_slice(&0i32.to_ne_bytes());
    h.extend_from_slice(&0u32.to_ne_bytes());
    h.extend_from_slice(&SNAPLEN.to_ne_bytes());
    h.extend_from_slice(&LINKTYPE_ETHERNET.to_ne_bytes());
    h
}

/// One record: its 16-byte header (the sender's timestamp) and the frame.
pub fn record(h: &PktHdr, frame: &[u8]) -> Vec<u8> {
    let mut r = Vec::with_capacity(16 + frame.len());
    r.extend_from_slice(&h.sec.to_ne_bytes());
    r.extend_from_slice(&h.usec.to_ne_bytes());
    r.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
    r.extend_from_slice(&(frame.len() as u32).to_ne_bytes());
    r.extend_from_slice(frame);
    r
}
