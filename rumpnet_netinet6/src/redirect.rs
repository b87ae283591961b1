//! Redirects (RFC 4861 8, NetBSD's `icmp6_redirect_input` and
//! `icmp6_redirect_output`): a host takes a valid redirect from its
//! current first hop for a destination as a host route (through the
//! better router, or on-link when the target is the destination) that
//! lasts `net.inet6.icmp6.redirtimeout`; a forwarding kernel tells the
//! sender of a packet it forwards back out of the interface it came in
//! on, at most `icmp6errppslim` a second.

use crate::addr::{self, ScopedAddr};
use crate::inet6::{Inet6, MIN_MTU, flags};
use crate::rtable6::StaticRoute;
use crate::wire::ipv6::Repr;
use crate::wire::ipv6::{self, nh};
use crate::wire::rtr::{self, Redirect};
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use rumpnet::pkt::Pkt;
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_GATEWAY: u32 = netbsd_abi::RTF_GATEWAY as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_DYNAMIC: u32 = netbsd_abi::RTF_DYNAMIC as u32;
const RTF_MODIFIED: u32 = netbsd_abi::RTF_MODIFIED as u32;

/// `icmp6_redirtimeout` at boot: ten minutes.
pub(crate) const REDIRECT_TIMEOUT_SECS: i32 = 600;

/// A route a redirect made, and when it goes.
#[derive(Clone, Debug)]
pub(crate) struct Learned {
    route: StaticRoute,
    expire: Option<Duration>,
}

impl Learned {
    /// The interface of the route.
    pub(crate) fn ifindex(&self) -> u16 {
        self.route.ifindex
    }
}

impl Inet6 {
    /// The host route for `dst` a redirect made, if there is one.
    pub fn redirect_route(&self, dst: &Ipv6Addr) -> Option<StaticRoute> {
        self.lock()
            .redirects
            .iter()
            .find(|l| l.route.dst == *dst)
            .map(|l| l.route.clone())
    }

    /// A redirect arrived on `ifp` from `src` (`icmp6_redirect_input`).
    pub(crate) fn redirect_input(
        &self,
        ifp: &Arc<Ifnet>,
        hlim: u8,
        src: &Ipv6Addr,
        code: u8,
        body: &[u8],
    ) {
        // A router keeps its own routes.
        if self.forwarding.load(Relaxed)
            || !self.rediraccept.load(Relaxed)
            || ifp.link_type() != LinkType::Ethernet
        {
            return;
        }
        let bad = || IfStats::bump(&self.stats.badredirect);
        // RFC 4861 8.1: never forwarded, from a link-local address, code
        // 0, long enough, options whole.
        let Ok(rd) = Redirect::new_checked(body) else {
            return bad();
        };
        if hlim != 255 || !src.is_unicast_link_local() || code != 0 {
            return bad();
        }
        let (dst, target) = (rd.destination(), rd.target());
        if dst.is_multicast() {
            return bad();
        }
        // From the first hop we use for the destination now.
        let Some(net) = self.net() else { return };
        let to = ScopedAddr {
            addr: dst,
            scope: if addr::is_link_scoped(&dst) {
                u32::from(ifp.index)
            } else {
                0
            },
        };
        match self.next_hop(&net, &to) {
            Ok(h) if h.via_gateway && h.next == *src && h.ifp.index == ifp.index => {}
            _ => return bad(),
        }
        let is_router = target.is_unicast_link_local();
        let is_onlink = target == dst;
        if !is_router && !is_onlink {
            return bad();
        }
        if let Some(mac) = rd.target_lladdr() {
            self.learn(ifp, &target, mac, is_router && !is_onlink);
        }
        let route = StaticRoute {
            dst,
            dst_zone: 0,
            prefixlen: 128,
            gateway: (!is_onlink).then_some(ScopedAddr {
                addr: target,
                scope: u32::from(ifp.index),
            }),
            ifindex: ifp.index,
            flags: RTF_UP | RTF_HOST | RTF_DYNAMIC | if is_onlink { 0 } else { RTF_GATEWAY },
            mtu: 0,
        };
        let timeout = self.redirtimeout.load(Relaxed);
        let expire = u64::try_from(timeout)
            .ok()
            .filter(|&s| s > 0)
            .map(|s| self.clock.monotonic() + Duration::from_secs(s));
        let mut st = self.lock();
        // A host route of our own is changed (`rtredirect`: RTF_MODIFIED),
        // one a redirect made is replaced.
        if let Some(r) = st
            .routes
            .iter_mut()
            .find(|r| r.dst == dst && r.prefixlen == 128 && r.flags & RTF_DYNAMIC == 0)
        {
            r.gateway = route.gateway;
            r.flags = (r.flags & !RTF_GATEWAY) | (route.flags & RTF_GATEWAY) | RTF_MODIFIED;
            return;
        }
        st.routes
            .retain(|r| !(r.dst == dst && r.prefixlen == 128 && r.flags & RTF_DYNAMIC != 0));
        st.redirects.retain(|l| l.route.dst != dst);
        st.routes.push(route.clone());
        st.redirects.push(Learned { route, expire });
        drop(st);
        if let Some(e) = expire {
            self.arm(e);
        }
    }

    /// Redirect routes whose time ran out go; answers when the next
    /// goes.
    pub(crate) fn redirect_timeout(&self, t: Duration) -> Option<Duration> {
        let mut st = self.lock();
        let (dead, live): (Vec<Learned>, Vec<Learned>) = std::mem::take(&mut st.redirects)
            .into_iter()
            .partition(|l| l.expire.is_some_and(|e| e <= t));
        st.redirects = live;
        for l in dead {
            st.routes.retain(|r| *r != l.route);
        }
        st.redirects.iter().filter_map(|l| l.expire).min()
    }

    /// Whether forwarding `packet` (from `src` to `dst`, in on `ifp`) to
    /// `next` back out of `ifp` deserves a redirect, and send it
    /// (`icmp6_redirect_output`): the source must be on the link, the
    /// route not one a redirect made, and a better router link-local.
    pub(crate) fn redirect_output(
        &self,
        ifp: &Arc<Ifnet>,
        packet: &[u8],
        (src, dst): (&Ipv6Addr, &Ipv6Addr),
        next: (&Ipv6Addr, bool),
    ) {
        let (next, via_gateway) = next;
        if !self.sendredirects.load(Relaxed) || dst.is_multicast() {
            return;
        }
        let (ll, onlink_src, dynamic) = {
            let st = self.lock();
            let ll = st
                .addrs
                .iter()
                .find(|x| {
                    x.ifindex == ifp.index
                        && x.addr.is_unicast_link_local()
                        && x.flags & flags::NOTREADY == 0
                })
                .map(|x| x.addr);
            let onlink_src = src.is_unicast_link_local()
                || st.addrs.iter().any(|x| {
                    x.ifindex == ifp.index
                        && x.prefixlen < 128
                        && addr::same_prefix(&x.addr, src, x.prefixlen)
                });
            let dynamic = st.redirects.iter().any(|l| l.route.dst == *dst);
            (ll, onlink_src, dynamic)
        };
        let Some(ll) = ll else { return };
        if !onlink_src || dynamic {
            return;
        }
        let target = if via_gateway {
            if !next.is_unicast_link_local() {
                return;
            }
            *next
        } else {
            *dst
        };
        if !crate::icmp6::rate_ok(self) {
            IfStats::bump(&self.stats.icmp_ratelimited);
            return;
        }
        let lladdr = self
            .neighbors()
            .into_iter()
            .find(|n| n.ifindex == ifp.index && n.addr == target)
            .and_then(|n| n.lladdr);
        // The whole message within the minimum MTU.
        let fixed = ipv6::HEADER_LEN + rtr::REDIRECT_LEN + if lladdr.is_some() { 8 } else { 0 };
        let mut msg = rtr::redirect(&target, dst, lladdr, packet, MIN_MTU - fixed);
        let c = ipv6::upper_checksum(&ll, src, nh::ICMPV6, &msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        self.send_icmp_nd(ifp, &ll, src, msg);
        IfStats::bump(&self.stats.redirects_sent);
    }

    /// Send ND message `msg` from `from` to unicast `to` on `ifp` with
    /// hop limit 255 (RFC 4861 7.1), resolving `to` as any next hop.
    fn send_icmp_nd(&self, ifp: &Arc<Ifnet>, from: &Ipv6Addr, to: &Ipv6Addr, msg: Vec<u8>) {
        let mut pkt = Pkt::with_payload(&msg);
        Repr {
            src: *from,
            dst: *to,
            next_header: nh::ICMPV6,
            hop_limit: 255,
            payload_len: msg.len() as u16,
        }
        .emit(pkt.prepend(ipv6::HEADER_LEN));
        let _ = self.send_on(ifp, pkt, to);
    }
}
