//! The ARP cache (RFC 826, NetBSD's `if_arp.c` policy): entries learnt from
//! requests and replies, packets held while a request is out, requests
//! repeated once a second, entries kept 20 minutes, and a host that never
//! answers reported down for 20 seconds.
//!
//! The table is plain data driven by the caller's clock; the stack does
//! the sending.

use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::Address as EthAddr;
use std::collections::HashMap;
use std::time::Duration;

/// Packets held per unresolved address.
pub const MAX_HOLD: usize = 16;
/// Requests sent before the host is reported down.
pub const MAX_TRIES: u32 = 5;
/// Time between requests.
pub const RETRY: Duration = Duration::from_secs(1);
/// How long a resolved entry lives (`net.inet.arp.keep`).
pub const KEEP: Duration = Duration::from_secs(1200);
/// How long a host that did not answer is reported down.
pub const DOWN: Duration = Duration::from_secs(20);
/// Most entries kept: a flood of senders cannot grow the table further.
pub const MAX_ENTRIES: usize = 4096;

#[derive(Debug)]
enum State {
    Incomplete {
        held: Vec<Pkt>,
        asked: u32,
        next: Duration,
    },
    Resolved {
        hw: EthAddr,
        expire: Duration,
        permanent: bool,
    },
}

/// What to do with a packet for an address.
#[derive(Debug, PartialEq, Eq)]
pub enum Resolve {
    /// Send it to this hardware address now.
    Ready(EthAddr),
    /// Held; send a request for the address now.
    Ask,
    /// Held; a request is already out.
    Held,
    /// The host did not answer: drop the packet (EHOSTDOWN).
    Down,
}

/// One entry as `arp -a` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArpEntry {
    /// Interface index.
    pub ifindex: u16,
    /// Protocol address.
    pub ip: u32,
    /// Hardware address, if resolved.
    pub hw: Option<EthAddr>,
    /// Seconds left, or `None` for permanent entries.
    pub expires: Option<Duration>,
}

/// `IN_LLTBL_DEFAULT_HSIZE` (`netinet/in.c`): buckets of an interface's
/// table.
const LLTBL_HSIZE: u32 = 32;

/// The bucket of `ip` (host order) in NetBSD's table (`IN_LLTBL_HASH` of
/// the address as it lies in memory, read on a little-endian machine).
fn lltable_bucket(ip: u32) -> u32 {
    let k = u32::from_le_bytes(ip.to_be_bytes());
    ((((((k >> 8) ^ k) >> 8) ^ k) >> 8) ^ k) & (LLTBL_HSIZE - 1)
}

/// The cache of one stack.
#[derive(Debug)]
pub struct ArpTable {
    entries: HashMap<(u16, u32), State>,
    /// When each entry was made (a running count), for listing them in
    /// NetBSD's order.
    born: HashMap<(u16, u32), u64>,
    made: u64,
    /// How long a resolved entry lives (`net.inet.arp.keep`).
    pub keep: Duration,
    /// How long a host that did not answer is reported down
    /// (`net.inet.arp.down`).
    pub down: Duration,
}

impl Default for ArpTable {
    fn default() -> ArpTable {
        ArpTable {
            entries: HashMap::new(),
            born: HashMap::new(),
            made: 0,
            keep: KEEP,
            down: DOWN,
        }
    }
}

impl ArpTable {
    /// Where `pkt` for `ip` on interface `ifindex` should go. When the
    /// answer is `Ready`, the packet is handed back to be sent.
    pub fn resolve(
        &mut self,
        ifindex: u16,
        ip: u32,
        pkt: Pkt,
        now: Duration,
    ) -> (Resolve, Option<Pkt>) {
        if self.entries.len() >= MAX_ENTRIES && !self.entries.contains_key(&(ifindex, ip)) {
            self.expire_some(now);
            if self.entries.len() >= MAX_ENTRIES {
                return (Resolve::Down, None);
            }
        }
        self.note((ifindex, ip));
        let e = self
            .entries
            .entry((ifindex, ip))
            .or_insert(State::Incomplete {
                held: Vec::new(),
                asked: 0,
                next: now,
            });
        match e {
            State::Resolved {
                hw,
                expire,
                permanent,
            } if *permanent || now < *expire => (Resolve::Ready(*hw), Some(pkt)),
            State::Resolved { .. } => {
                *e = State::Incomplete {
                    held: vec![pkt],
                    asked: 1,
                    next: now + RETRY,
                };
                (Resolve::Ask, None)
            }
            State::Incomplete { asked, .. } if *asked > MAX_TRIES => (Resolve::Down, None),
            State::Incomplete { held, asked, next } => {
                if held.len() >= MAX_HOLD {
                    held.remove(0);
                }
                held.push(pkt);
                if *asked == 0 {
                    *asked = 1;
                    *next = now + RETRY;
                    (Resolve::Ask, None)
                } else {
                    (Resolve::Held, None)
                }
            }
        }
    }

    /// `ip` is at `hw` (from a request or reply). Entries are made only
    /// when `create` (the packet was for us); held packets are returned to
    /// be sent.
    pub fn learn(
        &mut self,
        ifindex: u16,
        ip: u32,
        hw: EthAddr,
        now: Duration,
        create: bool,
    ) -> Vec<Pkt> {
        let key = (ifindex, ip);
        if !self.entries.contains_key(&key) {
            if !create {
                return Vec::new();
            }
            if self.entries.len() >= MAX_ENTRIES {
                self.expire_some(now);
                if self.entries.len() >= MAX_ENTRIES {
                    return Vec::new();
                }
            }
        }
        self.note(key);
        let old = self.entries.insert(
            key,
            State::Resolved {
                hw,
                expire: now + self.keep,
                permanent: false,
            },
        );
        match old {
            Some(State::Incomplete { held, .. }) => held,
            Some(State::Resolved {
                permanent: true,
                hw: h,
                ..
            }) => {
                // A static entry stays as it was set.
                self.entries.insert(
                    key,
                    State::Resolved {
                        hw: h,
                        expire: Duration::MAX,
                        permanent: true,
                    },
                );
                Vec::new()
            }
            _ => Vec::new(),
        }
    }

    /// A permanent entry (`arp -s`).
    pub fn set_static(&mut self, ifindex: u16, ip: u32, hw: EthAddr) -> Vec<Pkt> {
        self.set(ifindex, ip, hw, None)
    }

    /// Whether there is an entry, complete or not, for `ip` on `ifindex`.
    pub fn contains(&self, ifindex: u16, ip: u32) -> bool {
        self.entries.contains_key(&(ifindex, ip))
    }

    /// An entry set by hand (`arp -s`): permanent, or with `until` (`arp -s
    /// ... temp`) one that expires then.
    pub fn set(&mut self, ifindex: u16, ip: u32, hw: EthAddr, until: Option<Duration>) -> Vec<Pkt> {
        self.note((ifindex, ip));
        let old = self.entries.insert(
            (ifindex, ip),
            State::Resolved {
                hw,
                expire: until.unwrap_or(Duration::MAX),
                permanent: until.is_none(),
            },
        );
        match old {
            Some(State::Incomplete { held, .. }) => held,
            _ => Vec::new(),
        }
    }

    /// Time passes: the addresses to ask for again, and when to look next.
    pub fn tick(&mut self, now: Duration) -> (Vec<(u16, u32)>, Option<Duration>) {
        let mut ask = Vec::new();
        let mut next: Option<Duration> = None;
        self.entries.retain(|&(i, ip), e| match e {
            State::Resolved {
                permanent: true, ..
            } => true,
            State::Resolved { expire, .. } => {
                let keep = now < *expire;
                if keep {
                    next = Some(next.map_or(*expire, |n| n.min(*expire)));
                }
                keep
            }
            State::Incomplete {
                held,
                asked,
                next: at,
            } => {
                if now < *at {
                    next = Some(next.map_or(*at, |n| n.min(*at)));
                    return true;
                }
                if *asked > MAX_TRIES {
                    return false; // the time it was reported down is over
                }
                if *asked == MAX_TRIES {
                    // No answer to the last request: down for a while.
                    held.clear();
                    *asked += 1;
                    *at = now + self.down;
                } else {
                    *asked += 1;
                    *at = now + RETRY;
                    ask.push((i, ip));
                }
                next = Some(next.map_or(*at, |n| n.min(*at)));
                true
            }
        });
        (ask, next)
    }

    /// Make room: drop expired entries and those that never resolved.
    fn expire_some(&mut self, now: Duration) {
        self.entries.retain(|_, e| match e {
            State::Resolved {
                expire, permanent, ..
            } => *permanent || now < *expire,
            State::Incomplete { held, .. } => !held.is_empty(),
        });
    }

    /// Forget `ip` on `ifindex` (`arp -d`); whether it was there.
    pub fn remove(&mut self, ifindex: u16, ip: u32) -> bool {
        self.entries.remove(&(ifindex, ip)).is_some()
    }

    /// Forget everything learnt on `ifindex`.
    pub fn remove_interface(&mut self, ifindex: u16) {
        self.entries.retain(|&(i, _), _| i != ifindex);
    }

    /// Every entry, for `arp -a`.
    pub fn list(&self, now: Duration) -> Vec<ArpEntry> {
        let mut v: Vec<ArpEntry> = self
            .entries
            .iter()
            .map(|(&(ifindex, ip), e)| match e {
                State::Resolved {
                    hw,
                    expire,
                    permanent,
                } => ArpEntry {
                    ifindex,
                    ip,
                    hw: Some(*hw),
                    expires: (!permanent).then(|| expire.saturating_sub(now)),
                },
                State::Incomplete { .. } => ArpEntry {
                    ifindex,
                    ip,
                    hw: None,
                    expires: Some(Duration::ZERO),
                },
            })
            .collect();
        // lltable_sysctl_dumparp: the newest interface's table first, each
        // by hash bucket, the newest entry first within a bucket.
        let born = |e: &ArpEntry| self.born.get(&(e.ifindex, e.ip)).copied().unwrap_or(0);
        v.sort_by_key(|e| {
            (
                std::cmp::Reverse(e.ifindex),
                lltable_bucket(e.ip),
                std::cmp::Reverse(born(e)),
            )
        });
        v
    }

    /// Remember when the entry for `key` was made, if it is new.
    fn note(&mut self, key: (u16, u32)) {
        if !self.entries.contains_key(&key) {
            self.made += 1;
            self.born.insert(key, self.made);
        }
        if self.born.len() > 2 * self.entries.len() + 64 {
            let entries = &self.entries;
            self.born
                .retain(|k, _| entries.contains_key(k) || *k == key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HW: EthAddr = EthAddr([2, 0, 0, 0, 0, 1]);
    fn s(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn entries_list_in_netbsds_lltable_order() {
        let ip = |d: u8| u32::from_be_bytes([10, 0, 0, d]);
        // 10.0.0.8 hashes to bucket 2, 10.0.0.7 to 13 (as NetBSD's arp -a
        // lists them); 10.0.0.40 shares 10.0.0.8's bucket and, newer, comes
        // before it. The newer interface's table comes first.
        assert_eq!((lltable_bucket(ip(8)), lltable_bucket(ip(7))), (2, 13));
        assert_eq!(lltable_bucket(ip(40)), lltable_bucket(ip(8)));
        let mut t = ArpTable::default();
        for (i, d) in [(1, 7), (1, 8), (1, 40), (2, 7)] {
            t.set(i, ip(d), HW, None);
        }
        let order: Vec<(u16, u32)> = t.list(s(0)).iter().map(|e| (e.ifindex, e.ip)).collect();
        assert_eq!(order, [(2, ip(7)), (1, ip(40)), (1, ip(8)), (1, ip(7))]);
        // A temporary entry expires; a permanent one does not.
        let mut t = ArpTable::default();
        t.set(1, ip(9), HW, Some(s(5)));
        assert_eq!(t.list(s(0))[0].expires, Some(s(5)));
        t.tick(s(6));
        assert!(t.list(s(6)).is_empty());
        assert!(!t.contains(1, ip(9)));
    }

    #[test]
    fn packets_wait_for_the_reply_then_go() {
        let mut t = ArpTable::default();
        let (r, back) = t.resolve(1, 7, Pkt::with_payload(b"a"), s(0));
        assert_eq!((r, back), (Resolve::Ask, None));
        assert_eq!(
            t.resolve(1, 7, Pkt::with_payload(b"b"), s(0)).0,
            Resolve::Held
        );
        let held = t.learn(1, 7, HW, s(0), false);
        assert_eq!(held.len(), 2);
        assert_eq!(held[0].data(), b"a");
        let (r, back) = t.resolve(1, 7, Pkt::with_payload(b"c"), s(1));
        assert_eq!(r, Resolve::Ready(HW));
        assert_eq!(back.unwrap().data(), b"c");
        // Expiry: after KEEP the entry goes and a new request is made.
        let (ask, next) = t.tick(s(10));
        assert!(ask.is_empty());
        assert_eq!(next, Some(KEEP));
        t.tick(KEEP + s(1));
        assert!(t.list(KEEP).is_empty());
    }

    #[test]
    fn unanswered_requests_report_the_host_down_then_forget_it() {
        let mut t = ArpTable::default();
        t.resolve(1, 9, Pkt::with_payload(b"x"), s(0));
        let mut asked = 1;
        let mut now = s(0);
        for _ in 0..MAX_TRIES {
            now += RETRY;
            asked += t.tick(now).0.len() as u32;
        }
        assert_eq!(asked, MAX_TRIES);
        assert_eq!(
            t.resolve(1, 9, Pkt::with_payload(b"y"), now).0,
            Resolve::Down
        );
        t.tick(now + DOWN);
        assert_eq!(
            t.resolve(1, 9, Pkt::with_payload(b"z"), now + DOWN).0,
            Resolve::Ask
        );
    }

    #[test]
    fn a_flood_of_senders_cannot_grow_the_table_without_bound() {
        let mut t = ArpTable::default();
        for ip in 0..(MAX_ENTRIES as u32 * 2) {
            t.learn(1, ip, HW, s(0), true);
        }
        assert_eq!(t.list(s(0)).len(), MAX_ENTRIES);
        assert_eq!(
            t.resolve(1, u32::MAX, Pkt::with_payload(b"x"), s(1)).0,
            Resolve::Down
        );
        // Once entries expire there is room again.
        assert_eq!(
            t.resolve(1, u32::MAX, Pkt::with_payload(b"x"), KEEP + s(1))
                .0,
            Resolve::Ask
        );
    }

    #[test]
    fn learning_without_create_only_updates() {
        let mut t = ArpTable::default();
        assert!(t.learn(1, 5, HW, s(0), false).is_empty());
        assert!(t.list(s(0)).is_empty());
        t.learn(1, 5, HW, s(0), true);
        assert_eq!(t.list(s(0))[0].hw, Some(HW));
        assert!(t.remove(1, 5));
        assert!(!t.remove(1, 5));
    }
}
