//! Neighbour discovery (RFC 4861, NetBSD's `nd6.c` and `nd6_nbr.c`): the
//! neighbour cache with its states and unreachability detection,
//! solicitations and advertisements, and duplicate address detection
//! (RFC 4862, `nd6_dad_*`).

use crate::addr;
use crate::inet6::{Inet6, flags};
use crate::wire::icmpv6::kind;
use crate::wire::ipv6::{self, Repr, nh};
use crate::wire::nd::{self, NeighborMsg, flag, opt};
use rumpnet::ifnet::Ifnet;
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address, ethertype};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::time::Duration;

/// `ND6_LLINFO_*`: the states of a neighbour cache entry (RFC 4861 7.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NdState {
    /// Resolution under way.
    Incomplete,
    /// Confirmed reachable lately.
    Reachable,
    /// Not confirmed lately; used as it is until traffic goes to it.
    Stale,
    /// Traffic went to a stale entry: wait for upper-layer confirmation.
    Delay,
    /// Probing it with unicast solicitations.
    Probe,
}

impl NdState {
    /// The number `ndp` shows (`ND6_LLINFO_*`, `netinet6/nd6.h`).
    pub fn code(self) -> i32 {
        match self {
            NdState::Incomplete => 0,
            NdState::Reachable => 1,
            NdState::Stale => 2,
            NdState::Delay => 3,
            NdState::Probe => 4,
        }
    }
}

/// `REACHABLE_TIME` (30 s), `RETRANS_TIMER` (1 s), `DELAY_FIRST_PROBE_TIME`
/// (5 s), `MAX_MULTICAST_SOLICIT` and `MAX_UNICAST_SOLICIT` (3), from
/// RFC 4861 section 10 as `nd6.h` has them.
pub(crate) const REACHABLE_TIME: Duration = Duration::from_secs(30);
pub(crate) const RETRANS_TIMER: Duration = Duration::from_secs(1);
const DELAY_FIRST_PROBE: Duration = Duration::from_secs(5);
const MAX_SOLICIT: u32 = 3;
/// `MAX_RTR_SOLICITATION_DELAY`: DAD's first probe waits up to this long.
const MAX_DAD_DELAY_MS: u64 = 1000;
/// `nd6_maxqueuelen`: packets held while a neighbour is resolved.
const MAX_HELD: usize = 16;
/// `ip6_neighborgcthresh`: past this many entries, a new one pushes out
/// the oldest stale one (or the oldest of all), so that a flood of
/// solicitations from made-up sources cannot grow the cache without end.
const MAX_NEIGHBORS: usize = 2048;

/// Make room for one more entry in `nbrs`.
fn make_room(nbrs: &mut Vec<Neighbor>) {
    if nbrs.len() < MAX_NEIGHBORS {
        return;
    }
    let i = nbrs
        .iter()
        .position(|n| n.state == NdState::Stale)
        .unwrap_or(0);
    nbrs.remove(i);
}

/// A neighbour cache entry (`struct llentry`).
#[derive(Debug)]
pub struct Neighbor {
    /// The interface.
    pub ifindex: u16,
    /// The neighbour's address.
    pub addr: Ipv6Addr,
    /// Its link-layer address, once known.
    pub lladdr: Option<[u8; 6]>,
    /// Its state.
    pub state: NdState,
    /// When the state's timer runs out.
    pub expire: Duration,
    /// Solicitations sent in this state.
    pub asked: u32,
    /// Whether it said it is a router.
    pub router: bool,
    /// Packets waiting for resolution.
    pub(crate) held: Vec<Pkt>,
}

/// Duplicate address detection of one address.
#[derive(Debug)]
pub struct DadState {
    /// The interface.
    pub ifindex: u16,
    /// The tentative address.
    pub addr: Ipv6Addr,
    /// Solicitations sent.
    pub sent: u32,
    /// When to send the next or decide.
    pub next: Duration,
}

/// What a neighbour cache entry shows (`ndp -a`, `SIOCGNBRINFO_IN6`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NeighborInfo {
    /// The interface.
    pub ifindex: u16,
    /// The address.
    pub addr: Ipv6Addr,
    /// The link-layer address, once known.
    pub lladdr: Option<[u8; 6]>,
    /// The state.
    pub state: NdState,
    /// Seconds left in the state (monotonic).
    pub expire: Duration,
    /// Whether it is a router.
    pub router: bool,
    /// Solicitations sent in this state.
    pub asked: u32,
}

impl Inet6 {
    /// The neighbour cache.
    pub fn neighbors(&self) -> Vec<NeighborInfo> {
        self.lock()
            .nbrs
            .iter()
            .map(|n| NeighborInfo {
                ifindex: n.ifindex,
                addr: n.addr,
                lladdr: n.lladdr,
                state: n.state,
                expire: n.expire,
                router: n.router,
                asked: n.asked,
            })
            .collect()
    }

    /// The link-layer address of `next` on `ifp`, with `pkt` to send to
    /// it; or `None` with `pkt` held while a solicitation asks for it.
    pub(crate) fn resolve(
        &self,
        ifp: &Arc<Ifnet>,
        next: &Ipv6Addr,
        pkt: Pkt,
    ) -> Option<(Pkt, [u8; 6])> {
        if let Some(mac) = self.static_lladdr(ifp.index, next) {
            return Some((pkt, mac));
        }
        let t = self.clock.monotonic();
        let mut st = self.lock();
        if let Some(n) = st
            .nbrs
            .iter_mut()
            .find(|n| n.ifindex == ifp.index && n.addr == *next)
        {
            if let Some(mac) = n.lladdr {
                if n.state == NdState::Stale {
                    n.state = NdState::Delay;
                    n.expire = t + DELAY_FIRST_PROBE;
                    drop(st);
                    self.arm(t + DELAY_FIRST_PROBE);
                }
                return Some((pkt, mac));
            }
            if n.held.len() < MAX_HELD {
                n.held.push(pkt);
            }
            return None;
        }
        let (_, retrans) = st.rtr.nd_times(ifp.index);
        make_room(&mut st.nbrs);
        st.nbrs.push(Neighbor {
            ifindex: ifp.index,
            addr: *next,
            lladdr: None,
            state: NdState::Incomplete,
            expire: t + retrans,
            asked: 1,
            router: false,
            held: vec![pkt],
        });
        drop(st);
        self.arm(t + retrans);
        self.send_ns(ifp, next, None);
        None
    }

    /// Send a solicitation for `target` (`nd6_ns_output`): to its
    /// solicited-node group, or to `unicast` when probing; from `::`
    /// without a link-layer option for DAD.
    pub(crate) fn send_ns(&self, ifp: &Arc<Ifnet>, target: &Ipv6Addr, unicast: Option<[u8; 6]>) {
        let dad = self.local_flags(target, u32::from(ifp.index)).is_some();
        let dst = if unicast.is_some() {
            *target
        } else {
            addr::solicited_node(target)
        };
        let src = if dad {
            Ipv6Addr::UNSPECIFIED
        } else {
            match self.select_source(ifp, target) {
                Ok(s) => s,
                Err(_) => return,
            }
        };
        let lla = (!dad).then_some((opt::SOURCE_LLADDR, ifp.hwaddr.0));
        let msg = nd::build(kind::NEIGHBOR_SOLICIT, 0, target, lla);
        let mac = unicast.unwrap_or_else(|| addr::multicast_mac(&dst));
        self.send_nd(ifp, &src, &dst, msg, mac);
    }

    /// An ND message goes out with hop limit 255 (RFC 4861 7.1), straight
    /// to `mac`.
    pub(crate) fn send_nd(
        &self,
        ifp: &Arc<Ifnet>,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        mut msg: Vec<u8>,
        mac: [u8; 6],
    ) {
        let c = ipv6::upper_checksum(src, dst, nh::ICMPV6, &msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        crate::stats6::nd_out(self, &msg);
        let mut pkt = Pkt::with_payload(&msg);
        Repr {
            src: *src,
            dst: *dst,
            next_header: nh::ICMPV6,
            hop_limit: 255,
            payload_len: msg.len() as u16,
        }
        .emit(pkt.prepend(ipv6::HEADER_LEN));
        let _ = ifp.ether_output(pkt, Address(mac), ethertype::IPV6);
    }

    /// A solicitation arrived (`nd6_ns_input`).
    pub(crate) fn ns_input(
        &self,
        ifp: &Arc<Ifnet>,
        src: &Ipv6Addr,
        dst: &Ipv6Addr,
        m: &NeighborMsg,
    ) {
        let target = m.target();
        let slla = m.lladdr(opt::SOURCE_LLADDR);
        // RFC 4861 7.1.1: DAD's solicitations go to the solicited-node
        // group and carry no link-layer option.
        if src.is_unspecified() && (slla.is_some() || *dst != addr::solicited_node(&target)) {
            return;
        }
        let Some(tflags) = self.local_flags(&target, u32::from(ifp.index)) else {
            return;
        };
        if tflags & flags::TENTATIVE != 0 {
            if src.is_unspecified() {
                // Another node is checking the same address.
                self.dad_duplicated(ifp, &target, "NS in from another node");
            }
            return;
        }
        if tflags & flags::DUPLICATED != 0 {
            return;
        }
        let (na_dst, mac, solicited) = if src.is_unspecified() {
            (addr::ALL_NODES, addr::multicast_mac(&addr::ALL_NODES), 0)
        } else {
            let Some(mac) = slla else {
                return; // no way to answer a unicast solicitation yet
            };
            self.learn(ifp, src, mac, false);
            (*src, mac, flag::SOLICITED)
        };
        // A router says so in its advertisements (`nd6_ns_input`).
        let router = if self.forwarding.load(std::sync::atomic::Ordering::Relaxed) {
            flag::ROUTER
        } else {
            0
        };
        let msg = nd::build(
            kind::NEIGHBOR_ADVERT,
            solicited | flag::OVERRIDE | router,
            &target,
            Some((opt::TARGET_LLADDR, ifp.hwaddr.0)),
        );
        self.send_nd(ifp, &target, &na_dst, msg, mac);
    }

    /// An advertisement arrived (`nd6_na_input`).
    pub(crate) fn na_input(self: &Arc<Self>, ifp: &Arc<Ifnet>, dst: &Ipv6Addr, m: &NeighborMsg) {
        let target = m.target();
        let f = m.flags();
        // RFC 4861 7.1.2: a solicited advertisement is never multicast.
        if f & flag::SOLICITED != 0 && dst.is_multicast() {
            return;
        }
        if let Some(tf) = self.local_flags(&target, u32::from(ifp.index)) {
            if tf & flags::TENTATIVE != 0 {
                self.dad_duplicated(ifp, &target, "NA in");
            } else if let Some(k) = self.kernel() {
                k.printf(&format!("{}: duplicate IPv6 address {target}", ifp.name));
            }
            return;
        }
        let tlla = m.lladdr(opt::TARGET_LLADDR);
        let t = self.clock.monotonic();
        let (held, mac, reachable) = {
            let mut st = self.lock();
            let (reachable, _) = st.rtr.nd_times(ifp.index);
            let Some(n) = st
                .nbrs
                .iter_mut()
                .find(|n| n.ifindex == ifp.index && n.addr == target)
            else {
                return; // unsolicited for an unknown neighbour: ignored
            };
            n.router = f & flag::ROUTER != 0;
            let changed = tlla.is_some() && tlla != n.lladdr;
            if n.state == NdState::Incomplete {
                let Some(mac) = tlla else { return };
                n.lladdr = Some(mac);
                n.state = if f & flag::SOLICITED != 0 {
                    NdState::Reachable
                } else {
                    NdState::Stale
                };
            } else if changed && f & flag::OVERRIDE == 0 {
                // RFC 4861 7.2.5: a different address without override
                // only makes a reachable entry stale.
                if n.state == NdState::Reachable {
                    n.state = NdState::Stale;
                }
                return;
            } else {
                if changed {
                    n.lladdr = tlla;
                }
                if f & flag::SOLICITED != 0 {
                    n.state = NdState::Reachable;
                } else if changed {
                    n.state = NdState::Stale;
                }
            }
            n.asked = 0;
            if n.state == NdState::Reachable {
                n.expire = t + reachable;
            }
            (std::mem::take(&mut n.held), n.lladdr, reachable)
        };
        self.arm(t + reachable);
        if let Some(mac) = mac {
            for p in held {
                let _ = ifp.ether_output(p, Address(mac), ethertype::IPV6);
            }
        }
    }

    /// A neighbour's link-layer address was seen in a solicitation
    /// (`nd6_cache_lladdr`): new or changed entries become stale.
    pub(crate) fn learn(&self, ifp: &Arc<Ifnet>, a: &Ipv6Addr, mac: [u8; 6], router: bool) {
        let mut st = self.lock();
        match st
            .nbrs
            .iter_mut()
            .find(|n| n.ifindex == ifp.index && n.addr == *a)
        {
            Some(n) => {
                // A router advertisement says its sender is a router
                // (`nd6_cache_lladdr`).
                n.router |= router;
                if n.lladdr != Some(mac) {
                    n.lladdr = Some(mac);
                    n.state = NdState::Stale;
                    let held = std::mem::take(&mut n.held);
                    drop(st);
                    for p in held {
                        let _ = ifp.ether_output(p, Address(mac), ethertype::IPV6);
                    }
                }
            }
            None => {
                make_room(&mut st.nbrs);
                st.nbrs.push(Neighbor {
                    ifindex: ifp.index,
                    addr: *a,
                    lladdr: Some(mac),
                    state: NdState::Stale,
                    expire: self.clock.monotonic(),
                    asked: 0,
                    router,
                    held: Vec::new(),
                })
            }
        }
    }

    /// Delete the neighbour cache entry for `a` on `ifindex` (`ndp -d`).
    pub fn delete_neighbor(&self, ifindex: u16, a: &Ipv6Addr) -> bool {
        let mut st = self.lock();
        let before = st.nbrs.len();
        st.nbrs.retain(|n| !(n.ifindex == ifindex && n.addr == *a));
        st.nbrs.len() != before
    }

    /// Start DAD of `a` on `ifp` (`nd6_dad_start`): the first solicitation
    /// after a random delay of up to a second when `delay` is set.
    pub(crate) fn dad_start(&self, ifp: &Arc<Ifnet>, a: &Ipv6Addr, delay: bool) {
        let mut r = [0u8; 8];
        let wait = match self.kernel() {
            Some(k) if delay && rump::rnd::Rnd::of(&k).fill(&mut r).is_ok() => {
                Duration::from_millis(u64::from_le_bytes(r) % MAX_DAD_DELAY_MS)
            }
            _ => Duration::ZERO,
        };
        let at = self.clock.monotonic() + wait;
        {
            let mut st = self.lock();
            st.dad.retain(|d| !(d.ifindex == ifp.index && d.addr == *a));
            st.dad.push(DadState {
                ifindex: ifp.index,
                addr: *a,
                sent: 0,
                next: at,
            });
        }
        self.arm(at);
    }

    /// DAD found `a` in use elsewhere (`nd6_dad_duplicated`).
    fn dad_duplicated(&self, ifp: &Ifnet, a: &Ipv6Addr, why: &str) {
        let sent = {
            let mut st = self.lock();
            let sent = st
                .dad
                .iter()
                .find(|d| d.ifindex == ifp.index && d.addr == *a)
                .map_or(0, |d| d.sent);
            st.dad.retain(|d| !(d.ifindex == ifp.index && d.addr == *a));
            if let Some(x) = st
                .addrs
                .iter_mut()
                .find(|x| x.ifindex == ifp.index && x.addr == *a)
            {
                x.flags = (x.flags & !flags::TENTATIVE) | flags::DUPLICATED;
            }
            sent
        };
        if let Some(k) = self.kernel() {
            // nd6_dad_duplicated's message.
            k.printf(&format!(
                "{}: DAD detected duplicate IPv6 address {a}: {why}, NS out={sent}",
                ifp.name
            ));
            k.printf(&format!(
                "{}: DAD complete for {a} - duplicate found",
                ifp.name
            ));
        }
    }

    /// The ND timer: DAD's solicitations and decisions, and the neighbour
    /// cache's state changes (`nd6_timer`, `nd6_llinfo_timer`,
    /// `nd6_dad_timer`). Answers when it wants to run next.
    pub(crate) fn timeout(self: &Arc<Self>, t: Duration) -> Option<Duration> {
        let net = self.net()?;
        let count =
            u32::try_from(self.dad_count.load(std::sync::atomic::Ordering::Relaxed)).unwrap_or(0);
        let mut send_dad = Vec::new();
        let mut done = Vec::new();
        let mut probes = Vec::new();
        let mut next: Option<Duration> = None;
        let mut soon = |d: Duration| next = Some(next.map_or(d, |n| n.min(d)));
        {
            let mut guard = self.lock();
            let st = &mut *guard;
            let rtr = &st.rtr;
            st.dad.retain_mut(|d| {
                if d.next > t {
                    soon(d.next);
                    return true;
                }
                if d.sent >= count {
                    done.push((d.ifindex, d.addr));
                    return false;
                }
                d.sent += 1;
                d.next = t + rtr.nd_times(d.ifindex).1;
                soon(d.next);
                send_dad.push((d.ifindex, d.addr));
                true
            });
            for (i, a) in &done {
                if let Some(x) = st
                    .addrs
                    .iter_mut()
                    .find(|x| x.ifindex == *i && x.addr == *a)
                {
                    x.flags &= !flags::TENTATIVE;
                }
            }
            st.nbrs.retain_mut(|n| {
                if n.expire > t {
                    if n.state != NdState::Stale {
                        soon(n.expire);
                    }
                    return true;
                }
                match n.state {
                    NdState::Incomplete => {
                        if n.asked >= MAX_SOLICIT {
                            return false; // unreachable: held packets go
                        }
                        n.asked += 1;
                        n.expire = t + rtr.nd_times(n.ifindex).1;
                        probes.push((n.ifindex, n.addr, None));
                    }
                    NdState::Reachable => n.state = NdState::Stale,
                    NdState::Stale => {}
                    NdState::Delay => {
                        n.state = NdState::Probe;
                        n.asked = 1;
                        n.expire = t + rtr.nd_times(n.ifindex).1;
                        probes.push((n.ifindex, n.addr, n.lladdr));
                    }
                    NdState::Probe => {
                        if n.asked >= MAX_SOLICIT {
                            return false;
                        }
                        n.asked += 1;
                        n.expire = t + rtr.nd_times(n.ifindex).1;
                        probes.push((n.ifindex, n.addr, n.lladdr));
                    }
                }
                if n.state != NdState::Stale {
                    soon(n.expire);
                }
                true
            });
        }
        if let Some(d) = self.frag_timeout(t) {
            soon(d);
        }
        if let Some(d) = self.rtadv_timeout(&net, t) {
            soon(d);
        }
        if let Some(d) = self.mld_timeout(&net, t) {
            soon(d);
        }
        if let Some(d) = self.redirect_timeout(t) {
            soon(d);
        }
        if let Some(d) = self.pmtu_timeout(t) {
            soon(d);
        }
        for (i, a) in send_dad {
            if let Some(ifp) = net.ifindex(i) {
                self.send_ns(&ifp, &a, None);
            }
        }
        for (i, a, mac) in probes {
            if let Some(ifp) = net.ifindex(i) {
                self.send_ns(&ifp, &a, mac);
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(i: u16, state: NdState) -> Neighbor {
        Neighbor {
            ifindex: 2,
            addr: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, i),
            lladdr: None,
            state,
            expire: Duration::ZERO,
            asked: 0,
            router: false,
            held: Vec::new(),
        }
    }

    #[test]
    fn a_full_cache_gives_up_a_stale_entry_first() {
        let mut v: Vec<Neighbor> = (0..MAX_NEIGHBORS as u16)
            .map(|i| {
                entry(
                    i,
                    if i == 7 {
                        NdState::Stale
                    } else {
                        NdState::Reachable
                    },
                )
            })
            .collect();
        make_room(&mut v);
        assert_eq!(v.len(), MAX_NEIGHBORS - 1);
        assert!(v.iter().all(|n| n.state == NdState::Reachable));
        v.push(entry(9999, NdState::Reachable));
        make_room(&mut v);
        // No stale one left: the oldest goes.
        assert_eq!(v.len(), MAX_NEIGHBORS - 1);
        assert_eq!(v[0].addr, Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1));
        let mut small = vec![entry(1, NdState::Stale)];
        make_room(&mut small);
        assert_eq!(small.len(), 1);
    }
}
