//! Path MTU discovery (RFC 1191) as NetBSD's `icmp_mtudisc` keeps it: a
//! router's "fragmentation needed" lowers the MTU of the host route to the
//! destination (made, `RTF_DYNAMIC`, from the route the datagram took if
//! that was not a host route), which `route get` shows and every later
//! datagram to that host is cut to; after `net.inet.ip.mtudisctimeout`
//! seconds a route made so goes, and one that was there keeps its MTU no
//! longer (`icmp_mtudisc_timeout`).

use super::{Inet, RTF_GATEWAY, RTF_HOST, RTF_UP};
use crate::rtable::{Route, RouteOrigin};
use rumpnet::ifnet::Ifnet;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// `RTF_DYNAMIC` (`net/route.h`): made by the kernel on an ICMP message.
pub const RTF_DYNAMIC: u32 = netbsd_abi::RTF_DYNAMIC as u32;

/// RFC 1191's plateaus (`mtu_table` in `ip_icmp.c`), for a router that
/// names no next-hop MTU.
const PLATEAUS: [u32; 13] = [
    65535, 65280, 32000, 17914, 9180, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
];

/// The smallest MTU `icmp_mtudisc` takes; a smaller one (or one larger
/// than the interface's) leaves the route as it was.
const MIN_MTU: u32 = 296;

/// A host route's MTU learnt at `since` (`rt_timer_add`); it lasts the
/// timeout `net.inet.ip.mtudisctimeout` says when it is looked at, as a
/// change of the node moves every timer of NetBSD's queue.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PmtuTimer {
    dst: u32,
    since: Duration,
}

impl Inet {
    /// `net.inet.ip.mtudisc` is on: TCP sends its segments with DF.
    pub fn mtudisc(&self) -> bool {
        self.cfg.mtudisc.load(Relaxed) != 0
    }

    /// The MTU a datagram to `dst` leaving by `ifp` is cut to: its
    /// route's, if it has one, else the interface's (`ip_output`). Never
    /// more than the interface's: a route through lo0 keeps the MTU lo0
    /// had when the route was made.
    pub fn path_mtu(&self, ifp: &Ifnet, dst: u32) -> u32 {
        let st = self.lock();
        st.routes
            .iter()
            .filter(|r| dst & r.mask == r.dst && r.flags & RTF_UP != 0)
            .max_by_key(|r| r.mask.count_ones())
            .map(|r| r.mtu)
            .filter(|&m| m != 0)
            .map_or_else(|| ifp.mtu(), |m| m.min(ifp.mtu()))
    }

    /// A router could not forward a datagram to `dst` without fragments
    /// (`icmp_mtudisc`): `next_mtu` is the MTU it names, 0 from a router
    /// older than RFC 1191, whose quoted datagram was `quoted_len` bytes
    /// with a header of `quoted_hl`. The host route to `dst` takes the
    /// smaller MTU; what it carries afterwards is returned (None: no
    /// route).
    pub(crate) fn mtudisc_route(
        &self,
        dst: u32,
        next_mtu: u16,
        quoted_len: u16,
        quoted_hl: usize,
    ) -> Option<u32> {
        let net = self.net()?;
        let since = self.now();
        let mut st = self.lock();
        let i = st
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| dst & r.mask == r.dst && r.flags & RTF_UP != 0)
            .max_by_key(|(_, r)| r.mask.count_ones())
            .map(|(i, _)| i)?;
        let i = if st.routes[i].flags & RTF_HOST != 0 {
            i
        } else {
            let via = st.routes[i].clone();
            st.routes.push(Route {
                dst,
                mask: u32::MAX,
                flags: RTF_UP
                    | RTF_HOST
                    | RTF_DYNAMIC
                    | if via.gateway.is_some() {
                        RTF_GATEWAY
                    } else {
                        0
                    },
                uses: 0,
                expire: 0,
                origin: RouteOrigin::Dynamic,
                ..via
            });
            st.routes.len() - 1
        };
        st.pmtu_timers.retain(|t| t.dst != dst);
        st.pmtu_timers.push(PmtuTimer { dst, since });
        let r = &mut st.routes[i];
        let if_mtu = net.ifindex(r.ifindex).map_or(0, |i| i.mtu());
        let mtu = match u32::from(next_mtu) {
            0 => {
                let mut m = u32::from(quoted_len);
                // Some 4.2BSD routers quote the length less the header.
                if r.mtu != 0 && m > r.mtu {
                    m = m.saturating_sub(quoted_hl as u32);
                }
                if m == 0 {
                    m = if r.mtu != 0 { r.mtu } else { if_mtu };
                }
                PLATEAUS.iter().copied().find(|&p| m > p).unwrap_or(0)
            }
            m => m,
        };
        if (MIN_MTU..=if_mtu).contains(&mtu) && (r.mtu == 0 || mtu < r.mtu) {
            r.mtu = mtu;
        }
        drop(st);
        self.arm(since + self.mtudisc_timeout());
        self.route_mtu_of(dst)
    }

    /// How long a path MTU learnt lasts.
    fn mtudisc_timeout(&self) -> Duration {
        Duration::from_secs(u64::try_from(self.cfg.mtudisc_timeout.load(Relaxed)).unwrap_or(0))
    }

    /// The MTU on the host route to `dst`, if it has one.
    fn route_mtu_of(&self, dst: u32) -> Option<u32> {
        self.lock()
            .routes
            .iter()
            .find(|r| r.dst == dst && r.mask == u32::MAX)
            .map(|r| r.mtu)
            .filter(|&m| m != 0)
    }

    /// The timeouts due by `now` (`icmp_mtudisc_timeout`): a dynamic host
    /// route goes, any other forgets its MTU. The next deadline, if any.
    pub(super) fn pmtu_expire(&self, now: Duration) -> Option<Duration> {
        let timeout = self.mtudisc_timeout();
        let mut st = self.lock();
        let (due, left): (Vec<PmtuTimer>, Vec<PmtuTimer>) = st
            .pmtu_timers
            .iter()
            .partition(|t| t.since + timeout <= now);
        st.pmtu_timers = left;
        for t in due {
            let host = |r: &Route| r.dst == t.dst && r.mask == u32::MAX;
            st.routes
                .retain(|r| !(host(r) && r.origin == RouteOrigin::Dynamic));
            for r in st.routes.iter_mut().filter(|r| host(r)) {
                r.mtu = 0;
            }
        }
        st.pmtu_timers.iter().map(|t| t.since + timeout).min()
    }
}
