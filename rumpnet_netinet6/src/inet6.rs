//! A kernel's IPv6 stack: its addresses, output (`ip6_output`) with
//! next-hop resolution, and the input path (`ip6_input`) with the
//! extension headers NetBSD walks. ICMPv6 is in [`crate::icmp6`],
//! neighbour discovery and DAD in [`crate::nd6`].

use crate::addr::{self, ScopedAddr};
use crate::nd6::{DadState, Neighbor};
use crate::raw6::Raw6Socket;
use crate::stats6;
use crate::wire::ipv6::{self, ExtHeader, Packet, Repr, nh};
use rump::{Errno, KResult, Kernel};
use rumpnet::callout::TimerId;
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use rumpnet::net::{LinkInfo, Net};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address, ethertype};
use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

/// `IN6_IFF_*` (`netinet6/in6_var.h`, not in the ABI tables).
pub mod flags {
    /// The address is being checked by DAD and not yet usable.
    pub const TENTATIVE: u32 = 0x02;
    /// DAD found another node using it.
    pub const DUPLICATED: u32 = 0x04;
    /// Its preferred lifetime ran out: kept, but not chosen as a source
    /// for new communication (RFC 4862 5.5.4).
    pub const DEPRECATED: u32 = 0x10;
    /// No DAD for this address.
    pub const NODAD: u32 = 0x20;
    /// Made by stateless autoconfiguration from an advertised prefix.
    pub const AUTOCONF: u32 = 0x40;
    /// Tentative or duplicated (`IN6_IFF_NOTREADY`).
    pub const NOTREADY: u32 = TENTATIVE | DUPLICATED;
}

/// `ip6_defhlim`, `net.inet6.ip6.hlim`.
pub const DEFAULT_HLIM: u8 = 64;
/// `ip6_defmcasthlim`.
pub const DEFAULT_MCAST_HLIM: u8 = 1;
/// `ip6_hdrnestlimit`: most extension headers walked.
const HDR_NEST_LIMIT: usize = 50;
/// The IPv6 minimum MTU (RFC 8200 section 5).
pub const MIN_MTU: usize = 1280;

/// An address of an interface (`struct in6_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr6 {
    /// The interface.
    pub ifindex: u16,
    /// The address.
    pub addr: Ipv6Addr,
    /// Its prefix length.
    pub prefixlen: u8,
    /// `IN6_IFF_*`.
    pub flags: u32,
}

/// Counters (a part of `struct ip6stat` and `icmp6stat`).
#[derive(Default, Debug)]
pub struct Stats {
    /// Packets received.
    pub total: AtomicU64,
    /// Malformed headers.
    pub badheaders: AtomicU64,
    /// Not for us, and not forwarded (forwarding off).
    pub notforus: AtomicU64,
    /// Forwarded (`ip6s_forward`).
    pub forwarded: AtomicU64,
    /// Not forwarded: no route, hop limit, scope, size (`ip6s_cantforward`).
    pub cantforward: AtomicU64,
    /// Fragments dropped: limits, overlaps, ends that disagree
    /// (`ip6s_fragdropped`).
    pub fragdropped: AtomicU64,
    /// Datagrams whose fragments timed out (`ip6s_fragtimeout`).
    pub fragtimeout: AtomicU64,
    /// Datagrams reassembled (`ip6s_reassembled`).
    pub reassembled: AtomicU64,
    /// Datagrams sent in fragments (`ip6s_fragmented`).
    pub fragmented: AtomicU64,
    /// Packets sent.
    pub localout: AtomicU64,
    /// ICMPv6 messages with a bad checksum or length.
    pub icmp_bad: AtomicU64,
    /// ICMPv6 errors not sent because of the rate limit.
    pub icmp_ratelimited: AtomicU64,
    /// Router advertisements dropped as invalid (`icp6s_badra`).
    pub badra: AtomicU64,
    /// Redirects dropped as invalid (`icp6s_badredirect`).
    pub badredirect: AtomicU64,
    /// Redirects sent (`icp6s_outhist[ND_REDIRECT]`).
    pub redirects_sent: AtomicU64,
    /// Path MTUs lowered by a packet too big (`icp6s_pmtuchg`).
    pub pmtuchg: AtomicU64,
}

pub(crate) struct State {
    pub(crate) addrs: Vec<IfAddr6>,
    pub(crate) nbrs: Vec<Neighbor>,
    pub(crate) dad: Vec<DadState>,
    pub(crate) raw: Vec<Weak<Raw6Socket>>,
    /// Each interface's current hop limit (`ND_IFINFO(ifp)->chlim`),
    /// `net.inet6.ip6.hlim` when the stack first met the interface.
    pub(crate) chlim: Vec<(u16, u8)>,
    /// Each interface's MTU when it got its first IPv6 address: the
    /// routes made then keep it (`rmx_mtu`).
    pub(crate) attach_mtu: Vec<(u16, u32)>,
    /// ICMPv6 errors sent in the current second (`icmp6errppslim`).
    pub(crate) err_second: u64,
    pub(crate) err_count: u32,
    /// The routes added through the routing socket.
    pub(crate) routes: Vec<crate::rtable6::StaticRoute>,
    /// The neighbour entries added by hand (`ndp -s`).
    pub(crate) static_nbrs: Vec<crate::nd6_static::StaticNeighbor>,
    /// The datagrams being reassembled.
    pub(crate) frags: crate::frag6::Frags,
    /// Routers, prefixes and autoconfigured addresses' lifetimes.
    pub(crate) rtr: crate::rtadv::RtrState,
    /// The multicast groups interfaces listen to ([`crate::mld6`]).
    pub(crate) groups: Vec<crate::mld6::Membership>,
    /// The interfaces that were up when last seen, to tell when one
    /// comes up.
    pub(crate) up: Vec<u16>,
    /// The host routes redirects made, with their expiry.
    pub(crate) redirects: Vec<crate::redirect::Learned>,
    /// Path MTUs learnt from packets too big ([`crate::pmtu6`]).
    pub(crate) pmtu: Vec<crate::pmtu6::PathMtu>,
}

/// A kernel's IPv6 stack.
pub struct Inet6 {
    kernel: Weak<Kernel>,
    /// The kernel's clock, which the neighbour cache's and DAD's times
    /// are on (the callouts' clock, so a manual clock drives both).
    pub(crate) clock: Arc<rump::clock::KernelClock>,
    st: Mutex<State>,
    timer: OnceLock<TimerId>,
    /// `net.inet6.ip6.dad_count`: solicitations DAD sends (0 or less: no
    /// DAD).
    pub dad_count: std::sync::atomic::AtomicI32,
    /// `net.inet6.ip6.forwarding`: whether packets for other nodes are
    /// forwarded ([`crate::forward6`]).
    pub forwarding: std::sync::atomic::AtomicBool,
    /// `net.inet6.ip6.accept_rtadv`: whether router advertisements
    /// configure the host ([`crate::rtadv`]).
    pub accept_rtadv: std::sync::atomic::AtomicBool,
    /// `net.inet6.ip6.redirect`: whether forwarding sends redirects.
    pub sendredirects: std::sync::atomic::AtomicBool,
    /// `net.inet6.icmp6.rediraccept`: whether redirects are taken.
    pub rediraccept: std::sync::atomic::AtomicBool,
    /// `net.inet6.icmp6.redirtimeout`: seconds a redirect's route lasts
    /// (0 or less: until deleted).
    pub redirtimeout: std::sync::atomic::AtomicI32,
    /// `net.inet6.ip6.maxfragpackets`: most datagrams reassembled at
    /// once (negative: no limit).
    pub max_fragpackets: std::sync::atomic::AtomicI32,
    /// `net.inet6.ip6.maxfrags`: most fragments held in all (negative:
    /// no limit).
    pub max_frags: std::sync::atomic::AtomicI32,
    /// The next fragment identification we send.
    pub(crate) frag_ident: std::sync::atomic::AtomicU32,
    /// `net.inet6.ip6.hlim`: the default hop limit.
    pub hlim: std::sync::atomic::AtomicU8,
    /// `net.inet6.ip6.v6only`: what a new socket's `IPV6_V6ONLY` starts
    /// as (`in6_pcballoc`), for raw sockets here and TCP and UDP in
    /// netinet's layer.
    pub v6only: Arc<std::sync::atomic::AtomicBool>,
    /// Counters.
    pub stats: Stats,
    /// NetBSD's counter arrays (`net.inet6.*.stats`).
    pub stats6: crate::stats6::Stats6,
}

/// What `output` needs besides the packet.
#[derive(Clone, Copy, Debug, Default)]
pub struct OutOpts {
    /// Hop limit for unicast (None: the default).
    pub hlim: Option<u8>,
    /// Hop limit for multicast (None: the default).
    pub mcast_hlim: Option<u8>,
    /// Fragment to the minimum MTU (`IPV6_USE_MIN_MTU`).
    pub min_mtu: bool,
    /// Traffic class (`IPV6_TCLASS`).
    pub tclass: u8,
    /// The interface to send on (`IPV6_MULTICAST_IF`, an
    /// `IPV6_PKTINFO`'s); 0: the route's.
    pub ifindex: u16,
    /// Deliver a copy of a multicast packet here too when the interface
    /// is in the group (`ip6_mloopback`); off for the stack's own
    /// messages, as NetBSD's neighbour discovery turns it off.
    pub mcast_loop: bool,
}

impl Inet6 {
    /// The stack of kernel `k`, made on first use.
    pub fn of(k: &Kernel) -> Arc<Inet6> {
        k.extension(|| Inet6 {
            kernel: k.weak(),
            clock: Arc::clone(k.clock()),
            st: Mutex::new(State {
                addrs: Vec::new(),
                nbrs: Vec::new(),
                dad: Vec::new(),
                raw: Vec::new(),
                chlim: Vec::new(),
                attach_mtu: Vec::new(),
                err_second: 0,
                err_count: 0,
                routes: Vec::new(),
                static_nbrs: Vec::new(),
                frags: crate::frag6::Frags::default(),
                rtr: crate::rtadv::RtrState::default(),
                groups: Vec::new(),
                up: Vec::new(),
                redirects: Vec::new(),
                pmtu: Vec::new(),
            }),
            timer: OnceLock::new(),
            dad_count: std::sync::atomic::AtomicI32::new(1),
            forwarding: std::sync::atomic::AtomicBool::new(false),
            accept_rtadv: std::sync::atomic::AtomicBool::new(false),
            sendredirects: std::sync::atomic::AtomicBool::new(true),
            rediraccept: std::sync::atomic::AtomicBool::new(true),
            redirtimeout: std::sync::atomic::AtomicI32::new(crate::redirect::REDIRECT_TIMEOUT_SECS),
            max_fragpackets: std::sync::atomic::AtomicI32::new(crate::frag6::MAX_DATAGRAMS),
            max_frags: std::sync::atomic::AtomicI32::new(crate::frag6::MAX_FRAGS),
            frag_ident: std::sync::atomic::AtomicU32::new(k.cprng().u32()),
            hlim: std::sync::atomic::AtomicU8::new(DEFAULT_HLIM),
            v6only: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            stats: Stats::default(),
            stats6: crate::stats6::Stats6::default(),
        })
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.st)
    }

    /// The kernel, while it exists.
    pub fn kernel(&self) -> Option<Arc<Kernel>> {
        self.kernel.upgrade()
    }

    /// A weak reference to the kernel, for sockets.
    pub fn kernel_weak(&self) -> Weak<Kernel> {
        self.kernel.clone()
    }

    /// The network stack.
    pub fn net(&self) -> Option<Arc<Net>> {
        self.kernel().map(|k| Net::of(&k))
    }

    /// Register the ND and DAD timer and start the timer thread.
    pub fn start_timer(self: &Arc<Self>, net: &Net) -> KResult<()> {
        let me = Arc::downgrade(self);
        let id = net.callouts().add(
            "nd6",
            Box::new(move |now| me.upgrade().and_then(|i| i.timeout(now))),
        );
        let _ = self.timer.set(id);
        net.start_timers()
    }

    /// Make the ND timer run no later than `at`.
    pub(crate) fn arm(&self, at: std::time::Duration) {
        if let (Some(net), Some(id)) = (self.net(), self.timer.get()) {
            net.callouts().arm(*id, at);
        }
    }

    /// Every address.
    pub fn addresses(&self) -> Vec<IfAddr6> {
        self.lock().addrs.clone()
    }

    /// Add `a` to `ifp`, or change its prefix length if it is there. On
    /// a link with neighbours it is tentative until DAD passes
    /// (`in6_update_ifa`, `nd6_dad_start`).
    pub fn add_address(&self, ifp: &Arc<Ifnet>, mut a: IfAddr6) -> KResult<()> {
        if a.addr.is_multicast() || a.addr.is_unspecified() || a.prefixlen > 128 {
            return Err(Errno::EINVAL);
        }
        let dad = ifp.link_type() == LinkType::Ethernet
            && a.flags & flags::NODAD == 0
            && self.dad_count.load(Ordering::Relaxed) > 0;
        {
            let mut st = self.lock();
            if let Some(x) = st
                .addrs
                .iter_mut()
                .find(|x| x.ifindex == a.ifindex && x.addr == a.addr)
            {
                x.prefixlen = a.prefixlen;
                return Ok(());
            }
            if dad {
                a.flags |= flags::TENTATIVE;
            }
            if !st.chlim.iter().any(|(i, _)| *i == ifp.index) {
                let h = self.hlim.load(Ordering::Relaxed);
                st.chlim.push((ifp.index, h));
                st.attach_mtu.push((ifp.index, ifp.mtu()));
            }
            st.addrs.push(a.clone());
        }
        // Listen to the solicited-node group before DAD asks about the
        // address (RFC 4862 5.4.2).
        let _ = self.join_group(ifp, &addr::solicited_node(&a.addr));
        if let Some(net) = self.net() {
            crate::announce6::announce(&net, ifp, &a, &self.addresses(), true);
        }
        if dad && ifp.is_usable() {
            self.dad_start(ifp, &a.addr, true);
        }
        Ok(())
    }

    /// Delete `a` from interface `ifindex`; EADDRNOTAVAIL if it is not
    /// there.
    pub fn delete_address(&self, ifindex: u16, a: &Ipv6Addr) -> KResult<()> {
        let gone = {
            let mut st = self.lock();
            let Some(at) = st
                .addrs
                .iter()
                .position(|x| x.ifindex == ifindex && x.addr == *a)
            else {
                return Err(Errno::EADDRNOTAVAIL);
            };
            let gone = st.addrs.remove(at);
            st.dad.retain(|d| !(d.ifindex == ifindex && d.addr == *a));
            st.rtr.forget_addr(ifindex, a);
            gone
        };
        let _ = self.leave_group(ifindex, &addr::solicited_node(a));
        if let Some(net) = self.net()
            && let Some(ifp) = net.ifindex(ifindex)
        {
            crate::announce6::announce(&net, &ifp, &gone, &self.addresses(), false);
        }
        Ok(())
    }

    /// Forget everything about interface `ifindex`.
    pub fn if_detach(&self, ifindex: u16) {
        let mut st = self.lock();
        st.addrs.retain(|x| x.ifindex != ifindex);
        st.nbrs.retain(|n| n.ifindex != ifindex);
        st.dad.retain(|d| d.ifindex != ifindex);
        st.chlim.retain(|(i, _)| *i != ifindex);
        st.attach_mtu.retain(|(i, _)| *i != ifindex);
        st.routes.retain(|r| r.ifindex != ifindex);
        st.static_nbrs.retain(|n| n.ifindex != ifindex);
        st.rtr.forget_if(ifindex);
        st.groups.retain(|m| m.ifindex != ifindex);
        st.redirects.retain(|l| l.ifindex() != ifindex);
        st.up.retain(|i| *i != ifindex);
    }

    /// The MTU `ifp` had when it got its first IPv6 address.
    pub fn attach_mtu(&self, ifp: &Ifnet) -> u32 {
        self.lock()
            .attach_mtu
            .iter()
            .find(|(i, _)| *i == ifp.index)
            .map_or_else(|| ifp.mtu(), |(_, m)| *m)
    }

    /// The hop limit of unicast packets out of `ifp` (`in6_selecthlim`
    /// without a socket's own).
    pub fn if_hlim(&self, ifp: &Ifnet) -> u8 {
        let st = self.lock();
        st.chlim
            .iter()
            .find(|(i, _)| *i == ifp.index)
            .map_or_else(|| self.hlim.load(Ordering::Relaxed), |(_, h)| *h)
    }

    /// `ifp` came up: give it its link-local address (`in6_ifattach`) if
    /// it has none, and start DAD on its tentative addresses.
    pub fn if_up(&self, ifp: &Arc<Ifnet>) {
        if ifp.link_type() != LinkType::Ethernet {
            return;
        }
        if !ifp.is_usable() {
            self.lock().up.retain(|i| *i != ifp.index);
            return;
        }
        let came_up = {
            let mut st = self.lock();
            let was = st.up.contains(&ifp.index);
            if !was {
                st.up.push(ifp.index);
            }
            !was
        };
        if came_up {
            self.mld_if_up(ifp);
        }
        let ll = addr::link_local_of(ifp.hwaddr.0);
        let has_ll = self
            .lock()
            .addrs
            .iter()
            .any(|x| x.ifindex == ifp.index && x.addr.is_unicast_link_local());
        if !has_ll {
            let _ = self.add_address(
                ifp,
                IfAddr6 {
                    ifindex: ifp.index,
                    addr: ll,
                    prefixlen: 64,
                    flags: 0,
                },
            );
        }
        let tentative: Vec<Ipv6Addr> = self
            .lock()
            .addrs
            .iter()
            .filter(|x| x.ifindex == ifp.index && x.flags & flags::TENTATIVE != 0)
            .map(|x| x.addr)
            .collect();
        for a in tentative {
            self.dad_start(ifp, &a, true);
        }
        if came_up {
            self.start_solicit(ifp);
        }
    }

    /// The flags of local address `a` (on any interface), if it is ours.
    pub fn local_flags(&self, a: &Ipv6Addr, scope: u32) -> Option<u32> {
        self.lock()
            .addrs
            .iter()
            .find(|x| x.addr == *a && (scope == 0 || u32::from(x.ifindex) == scope))
            .map(|x| x.flags)
    }

    /// Whether `ifp` listens to multicast group `g`: all nodes and the
    /// groups joined ([`crate::mld6`]); loopback hears every group.
    fn joined(&self, ifp: &Ifnet, g: &Ipv6Addr) -> bool {
        (ifp.link_type() == LinkType::Loopback && g.is_multicast()) || self.in_group(ifp, g)
    }

    /// The source address for `dst` out of `ifp` (a simple RFC 6724: an
    /// address of the same scope on the interface, the longest matching
    /// prefix first); EADDRNOTAVAIL if it has none ready.
    pub fn select_source(&self, ifp: &Ifnet, dst: &Ipv6Addr) -> KResult<Ipv6Addr> {
        let link = addr::is_link_scoped(dst) || dst.is_loopback();
        let st = self.lock();
        let ours = |x: &&IfAddr6| x.ifindex == ifp.index && x.flags & flags::NOTREADY == 0;
        // RFC 6724 rule 3: a deprecated address only when there is no
        // other.
        let same_scope = st
            .addrs
            .iter()
            .filter(ours)
            .filter(|x| x.addr.is_unicast_link_local() == link || x.addr.is_loopback())
            .max_by_key(|x| {
                (
                    x.flags & flags::DEPRECATED == 0,
                    (u128::from(x.addr) ^ u128::from(*dst)).leading_zeros(),
                )
            });
        same_scope
            .or_else(|| st.addrs.iter().find(ours))
            .map(|x| x.addr)
            .ok_or(Errno::EADDRNOTAVAIL)
    }

    /// The interface to reach `dst` through (see [`Inet6::next_hop`]):
    /// EHOSTUNREACH when no route covers it.
    pub fn route(&self, net: &Net, dst: &ScopedAddr) -> KResult<Arc<Ifnet>> {
        self.next_hop(net, dst).map(|h| h.ifp)
    }

    /// The way to `dst` out of interface `ifindex` when that is not 0
    /// (`in6_selectif`): a multicast destination, or a link-scoped one
    /// without a zone, goes straight out of it; others take their route.
    fn hop_for(
        &self,
        net: &Net,
        dst: &ScopedAddr,
        ifindex: u16,
    ) -> KResult<crate::rtable6::NextHop> {
        if ifindex == 0 {
            return self.next_hop(net, dst);
        }
        if dst.addr.is_multicast() {
            let ifp = net.ifindex(ifindex).ok_or(Errno::ENXIO)?;
            return Ok(crate::rtable6::NextHop {
                ifp,
                next: dst.addr,
                via_gateway: false,
                route_flags: 0,
            });
        }
        if addr::is_link_scoped(&dst.addr) && dst.scope == 0 {
            let d = ScopedAddr {
                addr: dst.addr,
                scope: u32::from(ifindex),
            };
            return self.next_hop(net, &d);
        }
        self.next_hop(net, dst)
    }

    /// Send `payload` of protocol `proto` to `dst` (`ip6_output`): choose
    /// the interface and source, put the header on, resolve the next hop.
    pub fn output(
        &self,
        proto: u8,
        src: Option<Ipv6Addr>,
        dst: &ScopedAddr,
        payload: &[u8],
        o: &OutOpts,
    ) -> KResult<()> {
        self.output_pkt(proto, src, dst, Pkt::with_payload(payload), o)
    }

    /// As [`Inet6::output`], the payload already in `pkt` (with room in
    /// front for the header, as a transport segment is built).
    pub fn output_pkt(
        &self,
        proto: u8,
        src: Option<Ipv6Addr>,
        dst: &ScopedAddr,
        mut pkt: Pkt,
        o: &OutOpts,
    ) -> KResult<()> {
        let net = self.net().ok_or(Errno::ENXIO)?;
        let hop = self
            .hop_for(&net, dst, o.ifindex)
            .inspect_err(|_| stats6::ip6(self, stats6::IP6_STAT_NOROUTE))?;
        if let Some(refused) = hop.refusal() {
            return refused;
        }
        let ifp = hop.ifp;
        let src = match src {
            Some(s) => s,
            // Our own address goes out on lo0 and is its own source.
            None if ifp.link_type() == LinkType::Loopback => dst.addr,
            None => self.select_source(&ifp, &dst.addr)?,
        };
        let hlim = if dst.addr.is_multicast() {
            o.mcast_hlim.unwrap_or(DEFAULT_MCAST_HLIM)
        } else {
            o.hlim.unwrap_or_else(|| self.if_hlim(&ifp))
        };
        let plen = pkt.len();
        let len = u16::try_from(plen).map_err(|_| Errno::EMSGSIZE)?;
        Repr {
            src,
            dst: dst.addr,
            next_header: proto,
            hop_limit: hlim,
            payload_len: len,
        }
        .emit(pkt.prepend(ipv6::HEADER_LEN));
        ipv6::set_traffic_class(pkt.data_mut(), o.tclass);
        IfStats::bump(&self.stats.localout);
        if o.mcast_loop
            && dst.addr.is_multicast()
            && ifp.link_type() != LinkType::Loopback
            && self.in_group(&ifp, &dst.addr)
            && let Some(me) = self.kernel().map(|k| Inet6::of(&k))
        {
            // ip6_mloopback: our own listeners hear it as if it came in.
            let info = LinkInfo {
                broadcast: false,
                multicast: true,
                // IPv6 input does not look at the link-layer sender.
                src: Address([0; 6]),
            };
            me.input(&ifp, pkt.clone(), info);
        }
        if proto == nh::ICMPV6 {
            stats6::icmp6_out(self, &pkt.data()[ipv6::HEADER_LEN..]);
        }
        let mut mtu = self.path_mtu(&ifp, &dst.addr) as usize;
        if o.min_mtu {
            mtu = mtu.min(MIN_MTU);
        }
        if pkt.len() > mtu {
            // Larger than the way out: in fragments (`ip6_fragment`).
            return self.send_fragments(&ifp, &pkt, &hop.next, mtu);
        }
        self.send_on(&ifp, pkt, &hop.next)
    }

    /// Put a whole IPv6 packet on `ifp` towards `next` (`nd6_output`).
    pub(crate) fn send_on(&self, ifp: &Arc<Ifnet>, mut pkt: Pkt, next: &Ipv6Addr) -> KResult<()> {
        match ifp.link_type() {
            LinkType::Loopback => {
                pkt.proto = ethertype::IPV6;
                ifp.transmit(pkt)
            }
            LinkType::Ethernet => {
                if next.is_multicast() {
                    return ifp.ether_output(
                        pkt,
                        Address(addr::multicast_mac(next)),
                        ethertype::IPV6,
                    );
                }
                match self.resolve(ifp, next, pkt) {
                    Some((pkt, mac)) => ifp.ether_output(pkt, Address(mac), ethertype::IPV6),
                    None => Ok(()),
                }
            }
        }
    }

    /// Input of one IPv6 packet from `ifp` (`ip6_input`).
    pub fn input(self: &Arc<Self>, ifp: &Arc<Ifnet>, pkt: Pkt, info: LinkInfo) {
        IfStats::bump(&self.stats.total);
        let Ok(p) = Packet::new_checked(pkt.data()) else {
            IfStats::bump(&self.stats.badheaders);
            stats6::bad_header(self, pkt.data());
            return;
        };
        let (src, dst) = (p.src(), p.dst());
        stats6::ip6(
            self,
            stats6::IP6_STAT_NXTHIST + usize::from(p.next_header()),
        );
        // RFC 4291 2.5.2 and 2.7: never from multicast; ::1 only on lo.
        if src.is_multicast()
            || ((src.is_loopback() || dst.is_loopback()) && ifp.link_type() != LinkType::Loopback)
        {
            IfStats::bump(&self.stats.badheaders);
            stats6::ip6(self, stats6::IP6_STAT_BADSCOPE);
            return;
        }
        let for_us = if dst.is_multicast() {
            self.joined(ifp, &dst)
        } else {
            let st = self.lock();
            // A tentative or duplicated address is not ours yet
            // (RFC 4862 5.4): DAD's messages go to multicast groups.
            st.addrs.iter().any(|x| {
                x.addr == dst
                    && x.flags & flags::NOTREADY == 0
                    && (!dst.is_unicast_link_local()
                        || x.ifindex == ifp.index
                        || ifp.link_type() == LinkType::Loopback)
            })
        };
        if !for_us {
            if self.forwarding.load(Ordering::Relaxed) && !dst.is_multicast() {
                self.forward(ifp, pkt);
            } else {
                IfStats::bump(&self.stats.notforus);
            }
            return;
        }
        // IPv6 input does not look at how the frame came.
        let _ = info;
        stats6::ip6(self, stats6::IP6_STAT_DELIVERED);
        let whole = p.payload();
        let header = &pkt.data()[..ipv6::HEADER_LEN];
        let mut next = p.next_header();
        let mut off = 0usize;
        // Where the field naming `next` is, for a parameter problem.
        let mut next_at = 6usize;
        for n in 0.. {
            if n > HDR_NEST_LIMIT {
                IfStats::bump(&self.stats.badheaders);
                stats6::ip6(self, stats6::IP6_STAT_TOOMANYHDR);
                return;
            }
            match next {
                nh::HOPOPTS | nh::DSTOPTS => {
                    if next == nh::HOPOPTS && n != 0 {
                        // Hop-by-hop options only right after the header.
                        self.param_problem(ifp, &pkt, 0, 6 + off as u32);
                        return;
                    }
                    let Ok(h) = ExtHeader::new_checked(&whole[off..]) else {
                        IfStats::bump(&self.stats.badheaders);
                        stats6::ip6(self, stats6::IP6_STAT_TOOSHORT);
                        return;
                    };
                    if !self.options_ok(ifp, &pkt, &dst, off, &h) {
                        return;
                    }
                    next = h.next_header();
                    next_at = ipv6::HEADER_LEN + off;
                    off += h.len();
                }
                nh::ROUTING => {
                    let Ok(h) = ExtHeader::new_checked(&whole[off..]) else {
                        IfStats::bump(&self.stats.badheaders);
                        stats6::ip6(self, stats6::IP6_STAT_TOOSHORT);
                        return;
                    };
                    // Segments left: NetBSD does not act on routing
                    // headers (type 0 is deprecated, RFC 5095): with
                    // segments left it is a parameter problem.
                    if h.data()[1] != 0 {
                        let ptr = ipv6::HEADER_LEN + off + 2;
                        self.param_problem(
                            ifp,
                            &pkt,
                            crate::wire::icmpv6::code::PARAMPROB_HEADER,
                            ptr as u32,
                        );
                        return;
                    }
                    next = h.next_header();
                    next_at = ipv6::HEADER_LEN + off;
                    off += h.len();
                }
                nh::FRAGMENT => {
                    let Ok(h) = crate::wire::ipv6::FragHeader::new_checked(&whole[off..]) else {
                        IfStats::bump(&self.stats.badheaders);
                        stats6::ip6(self, stats6::IP6_STAT_TOOSHORT);
                        return;
                    };
                    if h.offset() == 0 && !h.more() {
                        // An atomic fragment (RFC 6946): the datagram is
                        // all here.
                        next = h.next_header();
                        next_at = ipv6::HEADER_LEN + off;
                        off += crate::frag6::FRAG_HEADER_LEN;
                        continue;
                    }
                    self.fragment_input(ifp, &pkt, ipv6::HEADER_LEN + off, next_at);
                    return;
                }
                nh::NONE => return,
                _ => break,
            }
        }
        let body = &whole[off..];
        let at = crate::raw6::Arrival {
            src,
            dst,
            ifindex: ifp.index,
            hlim: p.hop_limit(),
        };
        let raw_took = crate::raw6::input(self, next, &at, body);
        stats6::raw_input_done(self, next, raw_took);
        if next == nh::ICMPV6 {
            crate::icmp6::input(self, ifp, header, &src, &dst, body);
        } else if !crate::transport::input(self, ifp, next, (&src, &dst), body, &pkt) && !raw_took {
            // ip6_input hands unknown protocols to rip6_input, which
            // answers a parameter problem unless the destination is
            // multicast.
            let ptr = next_at as u32;
            self.param_problem(
                ifp,
                &pkt,
                crate::wire::icmpv6::code::PARAMPROB_NEXTHEADER,
                ptr,
            );
        }
    }

    /// Walk an options header's options (`ip6_process_hopopts`,
    /// `dest6_input`): unknown ones are skipped, or the packet dropped, or
    /// answered with a parameter problem, as their type's high bits say.
    fn options_ok(
        &self,
        ifp: &Arc<Ifnet>,
        pkt: &Pkt,
        dst: &Ipv6Addr,
        off: usize,
        h: &ExtHeader,
    ) -> bool {
        let Ok(opts) = ipv6::options(h.data()) else {
            IfStats::bump(&self.stats.badheaders);
            stats6::ip6(self, stats6::IP6_STAT_TOOSMALL);
            return false;
        };
        for o in opts {
            // Pad1 never appears here; PadN and router alert are known.
            if o.kind == ipv6::OPT_PADN || o.kind == ipv6::OPT_ROUTER_ALERT {
                continue;
            }
            let ptr = (ipv6::HEADER_LEN + off + 2 + o.offset) as u32;
            match o.kind >> 6 {
                0 => continue,
                1 => return false,
                2 => {
                    stats6::ip6(self, stats6::IP6_STAT_BADOPTIONS);
                    self.param_problem(ifp, pkt, crate::wire::icmpv6::code::PARAMPROB_OPTION, ptr);
                    return false;
                }
                _ => {
                    stats6::ip6(self, stats6::IP6_STAT_BADOPTIONS);
                    if !dst.is_multicast() {
                        self.param_problem(
                            ifp,
                            pkt,
                            crate::wire::icmpv6::code::PARAMPROB_OPTION,
                            ptr,
                        );
                    }
                    return false;
                }
            }
        }
        true
    }

    pub(crate) fn param_problem(&self, ifp: &Arc<Ifnet>, pkt: &Pkt, code: u8, ptr: u32) {
        crate::icmp6::error(
            self,
            ifp,
            pkt.data(),
            crate::wire::icmpv6::kind::PARAM_PROB,
            code,
            ptr,
        );
    }
}
