//! Multicast listener discovery version 1 messages (RFC 2710 section 3):
//! queries, reports and dones share one layout.

use super::Malformed;
use std::net::Ipv6Addr;

/// A message's length: the ICMPv6 header, maximum response delay,
/// reserved and the multicast address.
pub const LEN: usize = 24;

/// Message types (`MLD_LISTENER_*`, `netinet/icmp6.h`).
pub mod kind {
    /// Multicast listener query.
    pub const QUERY: u8 = 130;
    /// Multicast listener report.
    pub const REPORT: u8 = 131;
    /// Multicast listener done.
    pub const DONE: u8 = 132;
}

/// A checked view of an MLD message (`b` starts at the ICMPv6 header).
#[derive(Clone, Copy, Debug)]
pub struct MldMsg<'a> {
    b: &'a [u8],
}

impl<'a> MldMsg<'a> {
    /// Check `b` holds a whole message and view it (longer messages are
    /// MLDv2 queries, whose first 24 bytes read as version 1's).
    pub fn new_checked(b: &'a [u8]) -> Result<MldMsg<'a>, Malformed> {
        if b.len() < LEN {
            return Err(Malformed::Truncated);
        }
        Ok(MldMsg { b })
    }

    /// Type.
    pub fn kind(&self) -> u8 {
        self.b[0]
    }

    /// A query's maximum response delay in milliseconds.
    pub fn max_delay_ms(&self) -> u16 {
        u16::from_be_bytes([self.b[4], self.b[5]])
    }

    /// The group (unspecified in a general query).
    pub fn group(&self) -> Ipv6Addr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&self.b[8..24]);
        Ipv6Addr::from(a)
    }
}

/// A message to send (checksum zero).
pub fn build(kind: u8, max_delay_ms: u16, group: &Ipv6Addr) -> Vec<u8> {
    let mut v = vec![kind, 0, 0, 0];
    v.extend_from_slice(&max_delay_ms.to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&group.octets());
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_and_query() {
        // RFC 2710 3: a report for ff02::1:ff00:1 (type 131, delay 0).
        let g: Ipv6Addr = "ff02::1:ff00:1".parse().unwrap();
        let b = build(kind::REPORT, 0, &g);
        assert_eq!(&b[..8], &[131, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&b[8..], &g.octets());
        let m = MldMsg::new_checked(&b).unwrap();
        assert_eq!((m.kind(), m.group()), (kind::REPORT, g));
        // A general query with a 10 s delay.
        let q = build(kind::QUERY, 10000, &Ipv6Addr::UNSPECIFIED);
        let m = MldMsg::new_checked(&q).unwrap();
        assert_eq!(m.max_delay_ms(), 10000);
        assert!(m.group().is_unspecified());
        assert_eq!(
            MldMsg::new_checked(&q[..23]).unwrap_err(),
            Malformed::Truncated
        );
    }
}
