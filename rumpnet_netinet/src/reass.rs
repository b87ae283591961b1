//! IPv4 reassembly (RFC 791 section 3.2, NetBSD's `ip_reass.c` limits):
//! fragments are kept per (source, destination, protocol, identification)
//! until the datagram is whole or 30 seconds pass. Overlaps keep the first
//! bytes received (RFC 5722's caution applies to IPv6; NetBSD trims).

use crate::wire::ipv4::{self, Repr as IpRepr};
use rumpnet::pkt::Pkt;
use std::collections::HashMap;
use std::time::Duration;

/// How long fragments wait for the rest (`IPFRAGTTL`).
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// Most datagrams being reassembled at once.
pub const MAX_DATAGRAMS: usize = 200;
/// Most fragments of one datagram.
pub const MAX_FRAGS: usize = 128;

type Key = (u32, u32, u8, u16);

struct Partial {
    first: IpRepr,
    data: Vec<u8>,
    // Byte ranges received, sorted and merged.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
    pieces: usize,
    deadline: Duration,
}

impl Partial {
    /// Copy in the bytes of `[start, start + bytes.len())` not already
    /// held: the first copy of any byte wins.
    fn add(&mut self, start: usize, bytes: &[u8]) {
        let end = start + bytes.len();
        if self.data.len() < end {
            self.data.resize(end, 0);
        }
        let mut at = start;
        for &(s, e) in &self.have {
            if e <= at || s >= end {
                continue;
            }
            if s > at {
                self.data[at..s].copy_from_slice(&bytes[at - start..s - start]);
            }
            at = at.max(e);
        }
        if at < end {
            self.data[at..end].copy_from_slice(&bytes[at - start..]);
        }
        self.have.push((start, end));
        self.have.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::with_capacity(self.have.len());
        for &(s, e) in &self.have {
            match merged.last_mut() {
                Some(m) if s <= m.1 => m.1 = m.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        self.have = merged;
    }
}

/// The datagrams being reassembled.
pub struct Reassembly {
    parts: HashMap<Key, Partial>,
    /// Most datagrams reassembled at once (`net.inet.ip.maxfragpackets`);
    /// `None`: no limit (NetBSD's -1).
    pub max_datagrams: Option<usize>,
}

impl Default for Reassembly {
    fn default() -> Reassembly {
        Reassembly {
            parts: HashMap::new(),
            max_datagrams: Some(MAX_DATAGRAMS),
        }
    }
}

impl Reassembly {
    /// Add one fragment (its header `r`, `hl` bytes long, at the start of
    /// `pkt`). Returns the whole datagram, header rebuilt, once complete.
    pub fn insert(
        &mut self,
        r: IpRepr,
        hl: usize,
        pkt: Pkt,
        now: Duration,
    ) -> Option<(IpRepr, Pkt)> {
        let key = (
            u32::from_be_bytes(r.src.0),
            u32::from_be_bytes(r.dst.0),
            r.protocol,
            r.ident,
        );
        if !self.parts.contains_key(&key)
            && self.max_datagrams.is_some_and(|m| self.parts.len() >= m)
        {
            return None;
        }
        let p = self.parts.entry(key).or_insert_with(|| Partial {
            first: r,
            data: Vec::new(),
            have: Vec::new(),
            total: None,
            pieces: 0,
            deadline: now + TIMEOUT,
        });
        let bytes = pkt.data().get(hl..)?;
        let start = usize::from(r.frag_offset);
        let end = start + bytes.len();
        let bad_end = !r.more_frags && p.total.is_some_and(|t| t != end);
        let past_end = p.total.is_some_and(|t| end > t);
        if bad_end
            || past_end
            || end > usize::from(u16::MAX) - ipv4::HEADER_LEN
            || p.pieces >= MAX_FRAGS
        {
            self.parts.remove(&key);
            return None;
        }
        if !r.more_frags {
            p.total = Some(end);
        }
        if r.frag_offset == 0 {
            p.first = r;
        }
        p.pieces += 1;
        p.add(start, bytes);
        let total = p.total?;
        if p.have != [(0, total)] && !(total == 0 && p.have.is_empty()) {
            return None;
        }
        let p = self.parts.remove(&key)?;
        let mut r = p.first;
        r.payload_len = total;
        r.more_frags = false;
        r.frag_offset = 0;
        let mut out = Pkt::with_payload(&p.data[..total]);
        out.prepend(ipv4::HEADER_LEN);
        r.emit(out.data_mut()).ok()?;
        Some((r, out))
    }

    /// Drop datagrams whose time is up; how many were dropped.
    pub fn expire(&mut self, now: Duration) -> usize {
        let before = self.parts.len();
        self.parts.retain(|_, p| p.deadline > now);
        before - self.parts.len()
    }

    /// When the next datagram times out.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.parts.values().map(|p| p.deadline).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ipv4::Address;

    fn frag(off: u16, more: bool, data: &[u8]) -> (IpRepr, Pkt) {
        let r = IpRepr {
            src: Address([1, 1, 1, 1]),
            dst: Address([1, 1, 1, 2]),
            protocol: 17,
            payload_len: data.len(),
            ttl: 64,
            tos: 0,
            ident: 7,
            dont_frag: false,
            more_frags: more,
            frag_offset: off,
        };
        let mut p = Pkt::with_payload(data);
        p.prepend(20);
        r.emit(p.data_mut()).unwrap();
        (r, p)
    }

    #[test]
    fn out_of_order_and_overlapping_fragments_make_one_datagram() {
        let data: Vec<u8> = (0..64u8).collect();
        let mut t = Reassembly::default();
        let now = Duration::ZERO;
        let (r, p) = frag(48, false, &data[48..]);
        assert!(t.insert(r, 20, p, now).is_none());
        let (r, p) = frag(0, true, &data[..24]);
        assert!(t.insert(r, 20, p, now).is_none());
        // Overlaps the first piece by 8 bytes.
        let (r, p) = frag(16, true, &data[16..48]);
        let (whole, pkt) = t.insert(r, 20, p, now).expect("complete");
        assert_eq!(whole.payload_len, 64);
        assert_eq!(&pkt.data()[20..], &data[..]);
        assert!(t.next_deadline().is_none());
    }

    #[test]
    fn incomplete_datagrams_time_out() {
        let mut t = Reassembly::default();
        let (r, p) = frag(0, true, &[0; 8]);
        t.insert(r, 20, p, Duration::ZERO);
        assert_eq!(t.next_deadline(), Some(TIMEOUT));
        assert_eq!(t.expire(TIMEOUT - Duration::from_secs(1)), 0);
        assert_eq!(t.expire(TIMEOUT), 1);
    }
}
