//! Router discovery as a host (RFC 4861 6.3, NetBSD's `nd6_rtr.c`) and
//! stateless address autoconfiguration (RFC 4862 5.5): when
//! `net.inet6.ip6.accept_rtadv` is set and forwarding is off, router
//! advertisements make default routes through their routers, on-link
//! prefix routes, and addresses of a prefix and the interface's EUI-64
//! identifier with their valid and preferred lifetimes; their hop limit,
//! reachable time, retransmission timer and MTU set the interface's.
//! Interfaces that come up solicit advertisements (6.3.7).

use crate::addr::{self, ScopedAddr};
use crate::inet6::{IfAddr6, Inet6, State, flags};
use crate::rtable6::StaticRoute;
use crate::wire::nd::opt;
use crate::wire::rtr::{self, PrefixInfo, RouterAdvert, pi_flag};
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// `ff02::2`, all routers on the link.
pub const ALL_ROUTERS: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
/// `MAX_RTR_SOLICITATIONS`, `RTR_SOLICITATION_INTERVAL` and
/// `MAX_RTR_SOLICITATION_DELAY` (RFC 4861 10).
const MAX_SOLICITATIONS: u32 = 3;
const SOLICITATION_INTERVAL: Duration = Duration::from_secs(4);
const MAX_SOLICITATION_DELAY_MS: u64 = 1000;
/// `MAX_REACHABLE_TIME` (`nd6.h`): longer advertised reachable times are
/// ignored.
const MAX_REACHABLE_TIME_MS: u32 = 3_600_000;
/// RFC 4862 5.5.3 e): an advertisement may shorten an address's valid
/// lifetime to no less than two hours.
const TWO_HOURS: u32 = 2 * 60 * 60;
/// The interface identifier's length for Ethernet (RFC 4291 2.5.1).
const IID_BITS: u8 = 64;
const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_GATEWAY: u32 = netbsd_abi::RTF_GATEWAY as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;

/// A router on the default router list (`struct nd_defrouter`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefRouter {
    /// The interface it was heard on.
    pub ifindex: u16,
    /// Its link-local address.
    pub addr: Ipv6Addr,
    /// The advertisement's flags.
    pub flags: u8,
    /// Its router lifetime (seconds).
    pub lifetime: u16,
    /// When it expires (kernel monotonic time).
    pub expire: Duration,
}

/// A prefix on the prefix list (`struct nd_prefix`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Prefix {
    /// The interface.
    pub ifindex: u16,
    /// The prefix, masked.
    pub prefix: Ipv6Addr,
    /// Its length.
    pub prefixlen: u8,
    /// [`pi_flag`]s last advertised.
    pub flags: u8,
    /// Valid and preferred lifetimes advertised (seconds).
    pub valid: u32,
    /// The preferred lifetime.
    pub preferred: u32,
    /// When it stops being valid (`None`: never).
    pub expire: Option<Duration>,
    /// The routers that advertised it (`ndpr_advrtrs`).
    pub routers: Vec<Ipv6Addr>,
    /// Whether we put an on-link route in the table for it.
    route: bool,
}

impl Prefix {
    /// A prefix with `flags` ([`pi_flag`]) that lives `lifetime` seconds
    /// from nobody's advertisement.
    pub(crate) fn new(
        ifindex: u16,
        prefix: Ipv6Addr,
        prefixlen: u8,
        flags: u8,
        lifetime: u32,
    ) -> Prefix {
        Prefix {
            ifindex,
            prefix,
            prefixlen,
            flags,
            valid: lifetime,
            preferred: lifetime,
            expire: None,
            routers: Vec::new(),
            route: false,
        }
    }

    /// Whether it is on-link now (`NDPRF_ONLINK`): advertised so.
    pub fn onlink(&self) -> bool {
        self.flags & pi_flag::ONLINK != 0
    }
}

/// An autoconfigured address's lifetimes (`struct in6_addrlifetime`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddrLifetime {
    /// The interface.
    pub ifindex: u16,
    /// The address.
    pub addr: Ipv6Addr,
    /// Valid lifetime (seconds, [`rtr::INFINITE`] for ever).
    pub valid: u32,
    /// Preferred lifetime.
    pub preferred: u32,
    /// When it is removed (`None`: never).
    pub expire: Option<Duration>,
    /// When it becomes deprecated (`None`: never).
    pub preferred_until: Option<Duration>,
}

/// An interface's neighbour discovery parameters (`struct nd_ifinfo`)
/// that advertisements change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NdIfInfo {
    /// The interface.
    pub ifindex: u16,
    /// `basereachable` (ms).
    pub base_reachable_ms: u32,
    /// `reachable`: between half and one and a half times the base.
    pub reachable: Duration,
    /// `retrans`.
    pub retrans: Duration,
    /// `linkmtu` (0: the interface's).
    pub link_mtu: u32,
}

#[derive(Debug)]
struct Solicitation {
    ifindex: u16,
    sent: u32,
    next: Duration,
}

/// The router discovery state of a stack.
#[derive(Debug, Default)]
pub(crate) struct RtrState {
    routers: Vec<DefRouter>,
    prefixes: Vec<Prefix>,
    lifetimes: Vec<AddrLifetime>,
    solicits: Vec<Solicitation>,
    ifinfo: Vec<NdIfInfo>,
}

impl RtrState {
    /// `REACHABLE_TIME` and `RETRANS_TIMER` of interface `ifindex`, as
    /// advertisements set them (RFC 4861 10 when none did).
    pub(crate) fn nd_times(&self, ifindex: u16) -> (Duration, Duration) {
        self.ifinfo.iter().find(|i| i.ifindex == ifindex).map_or(
            (crate::nd6::REACHABLE_TIME, crate::nd6::RETRANS_TIMER),
            |i| (i.reachable, i.retrans),
        )
    }

    /// Whether the autoconfigured address `a` of interface `ifindex`
    /// (prefix length `len`) has its prefix on-link: RFC 4862 5.5.3 says
    /// an address does not make its prefix on-link by itself.
    pub(crate) fn offlink_autoconf(&self, x: &IfAddr6) -> bool {
        x.flags & flags::AUTOCONF != 0
            && !self.prefixes.iter().any(|p| {
                p.ifindex == x.ifindex
                    && p.prefixlen == x.prefixlen
                    && p.flags & pi_flag::ONLINK != 0
                    && addr::same_prefix(&p.prefix, &x.addr, p.prefixlen)
            })
    }

    /// `IN6_LINKMTU(ifp)`: an advertised MTU if it is smaller than the
    /// interface's.
    pub(crate) fn link_mtu(&self, ifp: &Ifnet) -> u32 {
        match self.ifinfo.iter().find(|i| i.ifindex == ifp.index) {
            Some(i) if i.link_mtu != 0 => i.link_mtu.min(ifp.mtu()),
            _ => ifp.mtu(),
        }
    }

    pub(crate) fn forget_if(&mut self, ifindex: u16) {
        self.routers.retain(|r| r.ifindex != ifindex);
        self.prefixes.retain(|p| p.ifindex != ifindex);
        self.lifetimes.retain(|l| l.ifindex != ifindex);
        self.solicits.retain(|s| s.ifindex != ifindex);
        self.ifinfo.retain(|i| i.ifindex != ifindex);
    }

    pub(crate) fn forget_addr(&mut self, ifindex: u16, a: &Ipv6Addr) {
        self.lifetimes
            .retain(|l| !(l.ifindex == ifindex && l.addr == *a));
    }

    fn ifinfo_mut(&mut self, ifindex: u16) -> &mut NdIfInfo {
        if let Some(i) = self.ifinfo.iter().position(|i| i.ifindex == ifindex) {
            return &mut self.ifinfo[i];
        }
        self.ifinfo.push(NdIfInfo {
            ifindex,
            base_reachable_ms: crate::nd6::REACHABLE_TIME.as_millis() as u32,
            reachable: crate::nd6::REACHABLE_TIME,
            retrans: crate::nd6::RETRANS_TIMER,
            link_mtu: 0,
        });
        self.ifinfo.last_mut().expect("just pushed")
    }
}

/// When `secs` from `now` is (`None` for [`rtr::INFINITE`]).
fn deadline(now: Duration, secs: u32) -> Option<Duration> {
    (secs != rtr::INFINITE).then(|| now + Duration::from_secs(u64::from(secs)))
}

/// Seconds left until `at` (infinity for `None`).
fn left(now: Duration, at: Option<Duration>) -> u32 {
    at.map_or(rtr::INFINITE, |a| {
        u32::try_from(a.saturating_sub(now).as_secs()).unwrap_or(rtr::INFINITE - 1)
    })
}

/// The default route through `r` as the table keeps it
/// (`defrouter_addreq`: `RTF_GATEWAY`, not static).
fn default_route(r: &DefRouter) -> StaticRoute {
    StaticRoute {
        dst: Ipv6Addr::UNSPECIFIED,
        dst_zone: 0,
        prefixlen: 0,
        gateway: Some(ScopedAddr {
            addr: r.addr,
            scope: u32::from(r.ifindex),
        }),
        ifindex: r.ifindex,
        flags: RTF_UP | RTF_GATEWAY,
        mtu: 0,
    }
}

/// The on-link route of prefix `p` (`nd6_prefix_onlink`).
fn onlink_route(p: &Prefix) -> StaticRoute {
    StaticRoute {
        dst: p.prefix,
        dst_zone: 0,
        prefixlen: p.prefixlen,
        gateway: None,
        ifindex: p.ifindex,
        flags: RTF_UP | if p.prefixlen == 128 { RTF_HOST } else { 0 },
        mtu: 0,
    }
}

/// Make the first router on the list the default route when there is
/// no default route (`defrouter_select`, without preferences: a
/// default route added by hand stays).
fn select_default(st: &mut State) {
    if st.routes.iter().any(|r| r.prefixlen == 0) {
        return;
    }
    if let Some(r) = st.rtr.routers.first() {
        let route = default_route(r);
        st.routes.push(route);
    }
}

/// Forget router `r` and its default route (`defrtrlist_del`).
fn remove_router(st: &mut State, r: &DefRouter) {
    st.rtr.routers.retain(|x| x != r);
    for p in st
        .rtr
        .prefixes
        .iter_mut()
        .filter(|p| p.ifindex == r.ifindex)
    {
        p.routers.retain(|a| *a != r.addr);
    }
    let route = default_route(r);
    st.routes.retain(|x| *x != route);
    select_default(st);
}

impl Inet6 {
    /// Whether router advertisements are taken: `accept_rtadv` on and
    /// forwarding off (a router does not autoconfigure).
    pub fn accepts_rtadv(&self) -> bool {
        self.accept_rtadv.load(Relaxed) && !self.forwarding.load(Relaxed)
    }

    /// The default router list (`ndp -r`).
    pub fn default_routers(&self) -> Vec<DefRouter> {
        self.lock().rtr.routers.clone()
    }

    /// The prefix list (`ndp -p`).
    pub fn prefixes(&self) -> Vec<Prefix> {
        self.lock().rtr.prefixes.clone()
    }

    /// The lifetimes of address `a` of interface `ifindex`, if
    /// autoconfiguration gave it (others live for ever).
    pub fn address_lifetime(&self, ifindex: u16, a: &Ipv6Addr) -> Option<AddrLifetime> {
        self.lock()
            .rtr
            .lifetimes
            .iter()
            .find(|l| l.ifindex == ifindex && l.addr == *a)
            .cloned()
    }

    /// Interface `ifindex`'s neighbour discovery parameters.
    pub fn nd_ifinfo(&self, ifindex: u16) -> NdIfInfo {
        *self.lock().rtr.ifinfo_mut(ifindex)
    }

    /// The MTU of IPv6 packets out of `ifp`: an advertised one if it is
    /// smaller (`IN6_LINKMTU`).
    pub fn link_mtu(&self, ifp: &Ifnet) -> u32 {
        self.lock().rtr.link_mtu(ifp)
    }

    /// Start soliciting advertisements on `ifp` (RFC 4861 6.3.7): the
    /// first after a random delay of up to a second.
    pub(crate) fn start_solicit(&self, ifp: &Ifnet) {
        if !self.accepts_rtadv() || ifp.link_type() != LinkType::Ethernet || !ifp.is_usable() {
            return;
        }
        let wait = self
            .kernel()
            .map_or(0, |k| k.cprng().u64() % MAX_SOLICITATION_DELAY_MS);
        let at = self.clock.monotonic() + Duration::from_millis(wait);
        {
            let mut st = self.lock();
            st.rtr.solicits.retain(|s| s.ifindex != ifp.index);
            st.rtr.solicits.push(Solicitation {
                ifindex: ifp.index,
                sent: 0,
                next: at,
            });
        }
        self.arm(at);
    }

    /// `accept_rtadv` was switched on: every interface that is up
    /// solicits.
    pub(crate) fn rtadv_enabled(&self) {
        if let Some(net) = self.net() {
            for ifp in net.interfaces() {
                self.start_solicit(&ifp);
            }
        }
    }

    /// Send a router solicitation on `ifp`: from its link-local address
    /// with our link-layer address, or from `::` without while that is
    /// tentative (RFC 4861 4.1, 6.3.7).
    fn send_rs(&self, ifp: &Arc<Ifnet>) {
        let src = self
            .select_source(ifp, &ALL_ROUTERS)
            .ok()
            .filter(|a| a.is_unicast_link_local());
        let msg = rtr::solicitation(src.map(|_| ifp.hwaddr.0));
        let src = src.unwrap_or(Ipv6Addr::UNSPECIFIED);
        self.send_nd(
            ifp,
            &src,
            &ALL_ROUTERS,
            msg,
            addr::multicast_mac(&ALL_ROUTERS),
        );
    }

    /// A router advertisement arrived on `ifp` (`nd6_ra_input`): `hlim`
    /// is its IPv6 hop limit, `code` its ICMPv6 code.
    pub(crate) fn ra_input(
        self: &Arc<Self>,
        ifp: &Arc<Ifnet>,
        hlim: u8,
        src: &Ipv6Addr,
        code: u8,
        body: &[u8],
    ) {
        if !self.accepts_rtadv() || ifp.link_type() != LinkType::Ethernet {
            return;
        }
        // RFC 4861 6.1.2: never forwarded, from a link-local address,
        // code 0, long enough, options whole.
        let ra = match RouterAdvert::new_checked(body) {
            Ok(ra) if hlim == 255 && src.is_unicast_link_local() && code == 0 => ra,
            _ => {
                IfStats::bump(&self.stats.badra);
                return;
            }
        };
        if let Some(mac) = ra.source_lladdr() {
            self.learn(ifp, src, mac, true);
        }
        let now = self.clock.monotonic();
        let rtime = self.kernel().map_or(0, |k| k.cprng().u32());
        let mut new_addrs = Vec::new();
        {
            let mut st = self.lock();
            st.rtr.solicits.retain(|s| s.ifindex != ifp.index);
            let info = st.rtr.ifinfo_mut(ifp.index);
            let adv = ra.reachable_time();
            if adv != 0 && adv <= MAX_REACHABLE_TIME_MS && adv != info.base_reachable_ms {
                info.base_reachable_ms = adv;
                // ND_COMPUTE_RTIME: uniformly between half and one and
                // a half times the base (RFC 4861 6.3.2).
                let base = u64::from(adv);
                let ms = base / 2 + u64::from(rtime) % base.max(1);
                info.reachable = Duration::from_millis(ms);
            }
            if ra.retrans_timer() != 0 {
                info.retrans = Duration::from_millis(u64::from(ra.retrans_timer()));
            }
            for (k, b) in ra.options() {
                if k == opt::MTU {
                    // Between the minimum and the link's own.
                    match rtr::parse_mtu(b) {
                        Ok(m) if m as usize >= crate::inet6::MIN_MTU && m <= ifp.mtu() => {
                            st.rtr.ifinfo_mut(ifp.index).link_mtu = m;
                        }
                        _ => {}
                    }
                }
            }
            if ra.cur_hop_limit() != 0 {
                match st.chlim.iter_mut().find(|(i, _)| *i == ifp.index) {
                    Some(c) => c.1 = ra.cur_hop_limit(),
                    None => st.chlim.push((ifp.index, ra.cur_hop_limit())),
                }
            }
            self.router_update(&mut st, ifp, src, &ra, now);
            for (k, b) in ra.options() {
                if k != opt::PREFIX_INFO {
                    continue;
                }
                let Ok(pi) = PrefixInfo::parse(b) else {
                    continue;
                };
                if let Some(a) = prefix_update(&mut st, ifp, &pi, now, src) {
                    new_addrs.push(a);
                }
            }
        }
        for a in new_addrs {
            let _ = self.add_address(ifp, a);
        }
        // The timer finds the next lifetime to run out.
        self.arm(now);
    }

    /// The router's entry and default route (`defrtrlist_update`): a
    /// lifetime of 0 removes them.
    fn router_update(
        &self,
        st: &mut State,
        ifp: &Ifnet,
        src: &Ipv6Addr,
        ra: &RouterAdvert,
        now: Duration,
    ) {
        let lifetime = ra.router_lifetime();
        let at = st
            .rtr
            .routers
            .iter()
            .position(|r| r.ifindex == ifp.index && r.addr == *src);
        match (at, lifetime) {
            (Some(i), 0) => {
                let r = st.rtr.routers[i].clone();
                remove_router(st, &r);
            }
            (Some(i), n) => {
                let r = &mut st.rtr.routers[i];
                r.flags = ra.flags();
                r.lifetime = n;
                r.expire = now + Duration::from_secs(u64::from(n));
            }
            (None, 0) => {}
            (None, n) => {
                st.rtr.routers.push(DefRouter {
                    ifindex: ifp.index,
                    addr: *src,
                    flags: ra.flags(),
                    lifetime: n,
                    expire: now + Duration::from_secs(u64::from(n)),
                });
                select_default(st);
            }
        }
    }

    /// The router discovery timer: solicitations, and routers, prefixes
    /// and addresses whose lifetimes ran out (`nd6_timer`'s share).
    /// Answers when it wants to run next.
    pub(crate) fn rtadv_timeout(&self, net: &rumpnet::net::Net, t: Duration) -> Option<Duration> {
        let mut next: Option<Duration> = None;
        let mut soon = |d: Duration| next = Some(next.map_or(d, |n: Duration| n.min(d)));
        let mut rs = Vec::new();
        let mut gone = Vec::new();
        {
            let mut st = self.lock();
            st.rtr.solicits.retain_mut(|s| {
                if s.next > t {
                    soon(s.next);
                    return true;
                }
                if s.sent >= MAX_SOLICITATIONS {
                    return false;
                }
                s.sent += 1;
                s.next = t + SOLICITATION_INTERVAL;
                soon(s.next);
                rs.push(s.ifindex);
                true
            });
            let expired: Vec<DefRouter> = st
                .rtr
                .routers
                .iter()
                .filter(|r| r.expire <= t)
                .cloned()
                .collect();
            for r in &expired {
                remove_router(&mut st, r);
            }
            for r in &st.rtr.routers {
                soon(r.expire);
            }
            let (dead, live): (Vec<Prefix>, Vec<Prefix>) = std::mem::take(&mut st.rtr.prefixes)
                .into_iter()
                .partition(|p| p.expire.is_some_and(|e| e <= t));
            st.rtr.prefixes = live;
            for p in dead {
                let route = onlink_route(&p);
                st.routes.retain(|r| !(p.route && *r == route));
            }
            for p in &st.rtr.prefixes {
                if let Some(e) = p.expire {
                    soon(e);
                }
            }
            let mut deprecate = Vec::new();
            st.rtr.lifetimes.retain(|l| {
                if l.expire.is_some_and(|e| e <= t) {
                    gone.push((l.ifindex, l.addr));
                    return false;
                }
                if let Some(e) = l.expire {
                    soon(e);
                }
                match l.preferred_until {
                    Some(p) if p <= t => deprecate.push((l.ifindex, l.addr)),
                    Some(p) => soon(p),
                    None => {}
                }
                true
            });
            for x in st.addrs.iter_mut() {
                if deprecate.contains(&(x.ifindex, x.addr)) {
                    x.flags |= flags::DEPRECATED;
                }
            }
        }
        for (i, a) in gone {
            let _ = self.delete_address(i, &a);
        }
        for i in rs {
            if let Some(ifp) = net.ifindex(i) {
                self.send_rs(&ifp);
            }
        }
        next
    }
}

/// A prefix information option (`prelist_update`): the prefix list and
/// its on-link route, and the autoconfigured address's lifetimes (RFC
/// 4862 5.5.3). Answers an address to add.
fn prefix_update(
    st: &mut State,
    ifp: &Ifnet,
    pi: &PrefixInfo,
    now: Duration,
    router: &Ipv6Addr,
) -> Option<IfAddr6> {
    if pi.prefixlen > 128
        || pi.prefix.is_multicast()
        || pi.prefix.is_unicast_link_local()
        || pi.preferred > pi.valid
    {
        return None;
    }
    let prefix =
        Ipv6Addr::from(u128::from(pi.prefix) & u128::from(addr::prefix_mask(pi.prefixlen)));
    let at =
        st.rtr.prefixes.iter().position(|p| {
            p.ifindex == ifp.index && p.prefix == prefix && p.prefixlen == pi.prefixlen
        });
    match at {
        Some(i) if pi.valid == 0 => {
            let p = st.rtr.prefixes.remove(i);
            let route = onlink_route(&p);
            st.routes.retain(|r| !(p.route && *r == route));
        }
        Some(i) => {
            let p = &mut st.rtr.prefixes[i];
            // An advertisement only ever turns the on-link flag on (RFC
            // 4861 6.3.4); the autonomous flag is the latest one's.
            p.flags = ((p.flags | pi.flags) & pi_flag::ONLINK) | (pi.flags & pi_flag::AUTO);
            p.valid = pi.valid;
            p.preferred = pi.preferred;
            p.expire = deadline(now, pi.valid);
            if !p.routers.contains(router) {
                p.routers.push(*router);
            }
        }
        None if pi.valid == 0 => {}
        None => st.rtr.prefixes.push(Prefix {
            ifindex: ifp.index,
            prefix,
            prefixlen: pi.prefixlen,
            flags: pi.flags,
            valid: pi.valid,
            preferred: pi.preferred,
            expire: deadline(now, pi.valid),
            routers: vec![*router],
            route: false,
        }),
    }
    let auto = pi.flags & pi_flag::AUTO != 0 && pi.prefixlen + IID_BITS == 128;
    let mine = if auto {
        Some(autoconf_address(st, ifp, prefix, pi, now))
    } else {
        None
    }
    .flatten();
    onlink_check(st, ifp.index, prefix, pi.prefixlen, mine.is_some());
    mine
}

/// Put the prefix's on-link route in the table when no address of the
/// interface has the prefix (whose own route covers it).
fn onlink_check(st: &mut State, ifindex: u16, prefix: Ipv6Addr, len: u8, adding: bool) {
    let covered = adding
        || st.addrs.iter().any(|x| {
            x.ifindex == ifindex && x.prefixlen == len && addr::same_prefix(&x.addr, &prefix, len)
        });
    let Some(p) = st
        .rtr
        .prefixes
        .iter_mut()
        .find(|p| p.ifindex == ifindex && p.prefix == prefix && p.prefixlen == len)
    else {
        return;
    };
    if p.flags & pi_flag::ONLINK == 0 || p.route || covered {
        return;
    }
    p.route = true;
    let route = onlink_route(p);
    if !st.routes.contains(&route) {
        st.routes.push(route);
    }
}

/// The address of `prefix` and `ifp`'s identifier: its lifetimes updated
/// if we have it (RFC 4862 5.5.3 e's two-hour rule), or it to add.
fn autoconf_address(
    st: &mut State,
    ifp: &Ifnet,
    prefix: Ipv6Addr,
    pi: &PrefixInfo,
    now: Duration,
) -> Option<IfAddr6> {
    let iid = u128::from(addr::link_local_of(ifp.hwaddr.0)) & !u128::from(addr::prefix_mask(64));
    let a = Ipv6Addr::from(u128::from(prefix) | iid);
    if let Some(l) = st
        .rtr
        .lifetimes
        .iter_mut()
        .find(|l| l.ifindex == ifp.index && l.addr == a)
    {
        let remaining = left(now, l.expire);
        let valid = if pi.valid > TWO_HOURS || pi.valid > remaining {
            Some(pi.valid)
        } else if remaining <= TWO_HOURS {
            None
        } else {
            Some(TWO_HOURS)
        };
        if let Some(v) = valid {
            l.valid = v;
            l.expire = deadline(now, v);
        }
        l.preferred = pi.preferred;
        l.preferred_until = deadline(now, pi.preferred);
        let undeprecate = pi.preferred != 0;
        if let Some(x) = st
            .addrs
            .iter_mut()
            .find(|x| x.ifindex == ifp.index && x.addr == a)
        {
            if undeprecate {
                x.flags &= !flags::DEPRECATED;
            } else {
                x.flags |= flags::DEPRECATED;
            }
        }
        return None;
    }
    if pi.valid == 0
        || st
            .addrs
            .iter()
            .any(|x| x.ifindex == ifp.index && x.addr == a)
    {
        return None;
    }
    st.rtr.lifetimes.push(AddrLifetime {
        ifindex: ifp.index,
        addr: a,
        valid: pi.valid,
        preferred: pi.preferred,
        expire: deadline(now, pi.valid),
        preferred_until: deadline(now, pi.preferred),
    });
    Some(IfAddr6 {
        ifindex: ifp.index,
        addr: a,
        prefixlen: pi.prefixlen,
        flags: flags::AUTOCONF
            | if pi.preferred == 0 {
                flags::DEPRECATED
            } else {
                0
            },
    })
}
