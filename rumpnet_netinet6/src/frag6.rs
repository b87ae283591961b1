//! Fragments (RFC 8200 section 4.5): reassembly of what arrives, with
//! NetBSD's limits (`frag6.c`: `net.inet6.ip6.maxfragpackets` datagrams
//! and `maxfrags` fragments in all, 60 seconds each), and fragmentation
//! of what we send that is larger than the way out. An overlapping
//! fragment drops its whole datagram (RFC 5722).

use crate::inet6::Inet6;
use crate::wire::icmpv6::{code, kind};
use crate::wire::ipv6::{self, FragHeader};
use rumpnet::ifnet::{IfStats, Ifnet};
use rumpnet::net::LinkInfo;
use rumpnet::pkt::Pkt;
use std::collections::HashMap;
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// How long a datagram's fragments wait for the rest (`IPV6_FRAGTTL`,
/// 120 slow-timer ticks of half a second).
pub const TIMEOUT: Duration = Duration::from_secs(60);
/// `net.inet6.ip6.maxfragpackets` and `maxfrags` at boot, as NetBSD's
/// rump kernel has them (`nmbclusters / 4`).
pub const MAX_DATAGRAMS: i32 = 200;
/// See [`MAX_DATAGRAMS`].
pub const MAX_FRAGS: i32 = 200;
/// The size of a fragment header.
pub const FRAG_HEADER_LEN: usize = 8;
/// `ICMP6_TIME_EXCEED_REASSEMBLY` (`netinet/icmp6.h`).
const TIMXCEED_REASS: u8 = 1;
/// Where the payload length is in the IPv6 header: a parameter problem
/// about a fragment's length points there.
const PAYLOAD_LEN_AT: u32 = 4;
/// The most bytes a datagram's payload may have.
const MAX_PAYLOAD: usize = u16::MAX as usize;

type Key = (Ipv6Addr, Ipv6Addr, u32);

/// A datagram being reassembled (`struct ip6q`).
struct Partial {
    /// The offset-0 fragment's header and unfragmentable headers, and
    /// where among them the byte naming the fragment header is.
    head: Option<(Vec<u8>, usize)>,
    /// The header after the fragment header.
    next: u8,
    data: Vec<u8>,
    /// Byte ranges received, sorted, not overlapping.
    have: Vec<(usize, usize)>,
    total: Option<usize>,
    pieces: usize,
    deadline: Duration,
    /// The interface the offset-0 fragment came on, for time exceeded.
    ifindex: u16,
    /// The offset-0 fragment as it came, to quote when time is up.
    first: Option<Vec<u8>>,
}

/// The datagrams being reassembled.
#[derive(Default)]
pub struct Frags {
    parts: HashMap<Key, Partial>,
    /// Fragments held in all (`frag6_nfrags`).
    held: usize,
}

/// One fragment as input found it.
struct Fragment<'a> {
    /// The whole packet.
    pub pkt: &'a [u8],
    /// Where the fragment header starts in it.
    pub at: usize,
    /// Where the byte naming the fragment header is.
    pub next_at: usize,
}

impl Frags {
    /// When the next datagram times out.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.parts.values().map(|p| p.deadline).min()
    }

    /// Datagrams being reassembled.
    pub fn datagrams(&self) -> usize {
        self.parts.len()
    }

    fn drop_datagram(&mut self, key: &Key) {
        if let Some(p) = self.parts.remove(key) {
            self.held -= p.pieces;
        }
    }
}

/// What became of a fragment.
enum Outcome {
    /// Held until the rest comes (or dropped).
    Held,
    /// The whole datagram, without its fragment header.
    Whole(Vec<u8>),
    /// Answer with a parameter problem pointing at this byte.
    ParamProblem(u32),
}

impl Inet6 {
    /// How many datagrams are being reassembled.
    pub fn reassembling(&self) -> usize {
        self.lock().frags.datagrams()
    }

    /// A fragment arrived on `ifp`: `pkt` with its fragment header at
    /// `at`, named by the byte at `next_at`. Held, or the datagram it
    /// completes goes through input again, or a parameter problem.
    pub(crate) fn fragment_input(
        self: &Arc<Self>,
        ifp: &Arc<Ifnet>,
        pkt: &Pkt,
        at: usize,
        next_at: usize,
    ) {
        crate::stats6::ip6(self, crate::stats6::IP6_STAT_FRAGMENTS);
        let f = Fragment {
            pkt: pkt.data(),
            at,
            next_at,
        };
        let now = self.net().map_or(Duration::ZERO, |n| n.callouts().now());
        match self.reassemble(ifp, &f, now) {
            Outcome::Held => {
                if let Some(d) = self.lock().frags.next_deadline() {
                    self.arm(d);
                }
            }
            // IPv6 input does not look at how the frame came.
            Outcome::Whole(b) => self.input(ifp, Pkt::from_vec(b), LinkInfo::default()),
            Outcome::ParamProblem(ptr) => self.param_problem(ifp, pkt, code::PARAMPROB_HEADER, ptr),
        }
    }

    /// Take fragment `f` that arrived on `ifp` at time `now`
    /// (`frag6_input`).
    fn reassemble(&self, ifp: &Ifnet, f: &Fragment, now: Duration) -> Outcome {
        let Ok(p) = ipv6::Packet::new_checked(f.pkt) else {
            return Outcome::Held;
        };
        let end_of_packet = ipv6::HEADER_LEN + usize::from(p.payload_len());
        let Some(h) = f
            .pkt
            .get(f.at..end_of_packet)
            .and_then(|b| FragHeader::new_checked(b).ok())
        else {
            IfStats::bump(&self.stats.badheaders);
            return Outcome::Held;
        };
        let body = &f.pkt[f.at + FRAG_HEADER_LEN..end_of_packet];
        let start = usize::from(h.offset());
        // RFC 8200 4.5: all but the last carry a multiple of 8 bytes, and
        // no fragment reaches past 65535.
        if h.more() && (!body.len().is_multiple_of(8) || body.is_empty()) {
            return Outcome::ParamProblem(PAYLOAD_LEN_AT);
        }
        if start + body.len() + f.at - ipv6::HEADER_LEN + FRAG_HEADER_LEN > MAX_PAYLOAD {
            return Outcome::ParamProblem((f.at + 2) as u32);
        }
        let max_dgrams = self.max_fragpackets.load(Relaxed);
        let max_frags = self.max_frags.load(Relaxed);
        let key = (p.src(), p.dst(), h.ident());
        let mut st = self.lock();
        let fr = &mut st.frags;
        if max_frags >= 0 && fr.held >= max_frags as usize {
            IfStats::bump(&self.stats.fragdropped);
            return Outcome::Held;
        }
        if !fr.parts.contains_key(&key) && max_dgrams >= 0 && fr.parts.len() >= max_dgrams as usize
        {
            IfStats::bump(&self.stats.fragdropped);
            return Outcome::Held;
        }
        let end = start + body.len();
        let (overlaps, bad_end) = fr.parts.get(&key).map_or((false, false), |part| {
            (
                part.have.iter().any(|&(s, e)| s < end && start < e),
                part.total
                    .is_some_and(|t| end > t || (!h.more() && t != end)),
            )
        });
        if overlaps || bad_end {
            fr.drop_datagram(&key);
            IfStats::bump(&self.stats.fragdropped);
            return Outcome::Held;
        }
        fr.held += 1;
        let part = fr.parts.entry(key).or_insert_with(|| Partial {
            head: None,
            next: h.next_header(),
            data: Vec::new(),
            have: Vec::new(),
            total: None,
            pieces: 0,
            deadline: now + TIMEOUT,
            ifindex: ifp.index,
            first: None,
        });
        part.pieces += 1;
        if !h.more() {
            part.total = Some(end);
        }
        if start == 0 {
            part.head = Some((f.pkt[..f.at].to_vec(), f.next_at));
            part.next = h.next_header();
            part.ifindex = ifp.index;
            part.first = Some(f.pkt[..end_of_packet].to_vec());
        }
        if part.data.len() < end {
            part.data.resize(end, 0);
        }
        part.data[start..end].copy_from_slice(body);
        part.have.push((start, end));
        part.have.sort_unstable();
        let complete = part.total.is_some_and(|t| {
            part.head.is_some()
                && part
                    .have
                    .iter()
                    .try_fold(0, |at, &(s, e)| (s == at).then_some(e))
                    == Some(t)
        });
        if !complete {
            return Outcome::Held;
        }
        let part = fr.parts.remove(&key).expect("complete");
        fr.held -= part.pieces;
        drop(st);
        let Some((mut head, next_at)) = part.head else {
            return Outcome::Held;
        };
        head[next_at] = part.next;
        let plen = head.len() - ipv6::HEADER_LEN + part.data.len();
        let Ok(plen) = u16::try_from(plen) else {
            return Outcome::ParamProblem((f.at + 2) as u32);
        };
        ipv6::set_payload_len(&mut head, plen);
        head.extend_from_slice(&part.data);
        IfStats::bump(&self.stats.reassembled);
        Outcome::Whole(head)
    }

    /// Drop the datagrams whose time is up at `now`, answering with time
    /// exceeded where the first fragment came (`frag6_slowtimo`); when
    /// the next one is due.
    pub(crate) fn frag_timeout(&self, now: Duration) -> Option<Duration> {
        let gone: Vec<Partial> = {
            let mut st = self.lock();
            let fr = &mut st.frags;
            let keys: Vec<Key> = fr
                .parts
                .iter()
                .filter(|(_, p)| p.deadline <= now)
                .map(|(k, _)| *k)
                .collect();
            let mut v = Vec::new();
            for k in keys {
                if let Some(p) = fr.parts.remove(&k) {
                    fr.held -= p.pieces;
                    v.push(p);
                }
            }
            v
        };
        let net = self.net();
        for p in gone {
            IfStats::bump(&self.stats.fragtimeout);
            let (Some(first), Some(ifp)) =
                (p.first, net.as_ref().and_then(|n| n.ifindex(p.ifindex)))
            else {
                continue;
            };
            crate::icmp6::error(self, &ifp, &first, kind::TIME_EXCEEDED, TIMXCEED_REASS, 0);
        }
        self.lock().frags.next_deadline()
    }

    /// Send `pkt` (a whole IPv6 packet, header included) out of `ifp`
    /// towards `next` in fragments that fit `mtu` (`ip6_fragment`): the
    /// header is the unfragmentable part.
    pub(crate) fn send_fragments(
        &self,
        ifp: &Arc<Ifnet>,
        pkt: &Pkt,
        next: &Ipv6Addr,
        mtu: usize,
    ) -> rump::KResult<()> {
        let b = pkt.data();
        let Ok(p) = ipv6::Packet::new_checked(b) else {
            return Err(rump::Errno::EINVAL);
        };
        let piece = (mtu.saturating_sub(ipv6::HEADER_LEN + FRAG_HEADER_LEN)) & !7;
        if piece == 0 {
            return Err(rump::Errno::EMSGSIZE);
        }
        let ident = self.frag_ident.fetch_add(1, Relaxed);
        let body = p.payload();
        let mut off = 0;
        while off < body.len() {
            let n = piece.min(body.len() - off);
            let more = off + n < body.len();
            let mut f = Vec::with_capacity(ipv6::HEADER_LEN + FRAG_HEADER_LEN + n);
            f.extend_from_slice(&b[..ipv6::HEADER_LEN]);
            ipv6::set_next_header(&mut f, ipv6::nh::FRAGMENT);
            f.extend_from_slice(&ipv6::frag_header(p.next_header(), off as u16, more, ident));
            f.extend_from_slice(&body[off..off + n]);
            ipv6::set_payload_len(&mut f, (FRAG_HEADER_LEN + n) as u16);
            self.send_on(ifp, Pkt::from_vec(f), next)?;
            crate::stats6::ip6(self, crate::stats6::IP6_STAT_OFRAGMENTS);
            off += n;
        }
        IfStats::bump(&self.stats.fragmented);
        Ok(())
    }
}
