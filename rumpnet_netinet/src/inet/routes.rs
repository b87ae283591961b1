//! The routing table as the stack uses it: `route add`, `delete` and
//! `get`, and the choice of interface, next hop and source address for
//! a datagram.

use super::{Inet, OutOpts, RTF_BLACKHOLE, RTF_GATEWAY, RTF_HOST, RTF_REJECT, RTF_STATIC, RTF_UP};
use crate::addr::{self, BROADCAST};
use crate::rtable::{Route, RouteOrigin};
use rump::{Errno, KResult};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_LOOPBACK, Ifnet};
use rumpnet::net::Net;
use std::sync::Arc;

impl Inet {
    /// Every route.
    pub fn routes(&self) -> Vec<Route> {
        self.lock().routes.clone()
    }

    /// Add a route (`route add`). With `RTF_GATEWAY` the gateway must be
    /// on a connected network (ENETUNREACH); without, it names one of our
    /// addresses and the route goes out of that interface. An existing
    /// route to the same destination and mask is EEXIST.
    pub fn add_route(&self, dst: u32, mask: u32, gateway: u32, flags: u32) -> KResult<Route> {
        let mut st = self.lock();
        let dst = dst & mask;
        if st.routes.iter().any(|r| r.dst == dst && r.mask == mask) {
            return Err(Errno::EEXIST);
        }
        let via_gateway = flags & RTF_GATEWAY != 0;
        let ifindex = if via_gateway {
            st.addrs
                .iter()
                .find(|a| a.addr == gateway || (gateway & a.mask) == a.net())
                .map(|a| a.ifindex)
                .ok_or(Errno::ENETUNREACH)?
        } else {
            st.addrs
                .iter()
                .find(|a| a.addr == gateway)
                .map(|a| a.ifindex)
                .ok_or(Errno::ENETUNREACH)?
        };
        // A route out of the loopback interface takes its MTU
        // (`lortrequest`).
        let mtu = self
            .net()
            .and_then(|n| n.ifindex(ifindex))
            .filter(|i| i.flags() & IFF_LOOPBACK != 0)
            .map_or(0, |i| i.mtu());
        let r = Route {
            dst,
            mask,
            gateway: via_gateway.then_some(gateway),
            ifindex,
            flags: RTF_UP
                | RTF_STATIC
                | if via_gateway { RTF_GATEWAY } else { 0 }
                | if mask == u32::MAX { RTF_HOST } else { 0 }
                | (flags & (RTF_REJECT | RTF_BLACKHOLE)),
            uses: 0,
            ifa: None,
            link_gateway: None,
            mtu,
            expire: 0,
            origin: RouteOrigin::Static,
        };
        st.routes.push(r.clone());
        Ok(r)
    }

    /// Delete the route to `dst`/`mask` (`route delete`); ESRCH if none.
    pub fn delete_route(&self, dst: u32, mask: u32) -> KResult<Route> {
        let mut st = self.lock();
        let i = st
            .routes
            .iter()
            .position(|r| r.dst == dst & mask && r.mask == mask)
            .ok_or(Errno::ESRCH)?;
        Ok(st.routes.remove(i))
    }

    /// The route `dst` takes (`route get`): the longest prefix that matches.
    pub fn lookup(&self, dst: u32) -> Option<Route> {
        let mut st = self.lock();
        let best = st
            .routes
            .iter_mut()
            .filter(|r| dst & r.mask == r.dst && r.flags & RTF_UP != 0)
            .max_by_key(|r| r.mask.count_ones())?;
        best.uses += 1;
        Some(best.clone())
    }

    /// Where a packet to `dst` leaves: the interface and next hop, by the
    /// table. Local addresses go through the loopback interface by their
    /// local routes, as on NetBSD (no route: EHOSTUNREACH, for 127.0.0.2
    /// too).
    pub fn route_to(&self, net: &Net, dst: u32, opts: &OutOpts) -> KResult<(Arc<Ifnet>, u32)> {
        if dst == BROADCAST {
            // The limited broadcast goes out of the first broadcast-capable
            // interface with an address, as NetBSD's ip_output picks one.
            let st = self.lock();
            let ifp = st
                .addrs
                .iter()
                .filter_map(|a| net.ifindex(a.ifindex))
                .find(|i| i.flags() & IFF_BROADCAST != 0)
                .ok_or(Errno::ENETUNREACH)?;
            return Ok((ifp, dst));
        }
        let r = self.lookup(dst).ok_or(Errno::EHOSTUNREACH)?;
        if opts.dontroute && r.gateway.is_some() {
            return Err(Errno::ENETUNREACH);
        }
        let ifp = net.ifindex(r.ifindex).ok_or(Errno::ENETUNREACH)?;
        if r.flags & RTF_REJECT != 0 {
            // As looutput and rt_check_reject_route answer.
            let lo = ifp.flags() & IFF_LOOPBACK != 0;
            return Err(match (lo, r.flags & RTF_HOST != 0, r.gateway.is_some()) {
                (true, true, _) | (false, _, true) => Errno::EHOSTUNREACH,
                (true, false, _) => Errno::ENETUNREACH,
                (false, _, false) => Errno::EHOSTDOWN,
            });
        }
        Ok((ifp, r.gateway.unwrap_or(dst)))
    }

    /// The source address for a packet leaving by `ifp` towards `dst`:
    /// the interface's address on `dst`'s subnet, else its first.
    pub fn source_for(&self, ifp: &Ifnet, dst: u32) -> Option<u32> {
        let st = self.lock();
        if addr::is_loopback(dst) || st.addrs.iter().any(|a| a.addr == dst) {
            return Some(dst);
        }
        let on = st.addrs.iter().filter(|a| a.ifindex == ifp.index);
        on.clone()
            .find(|a| dst & a.mask == a.net())
            .or_else(|| on.clone().next())
            .or_else(|| st.addrs.first())
            .map(|a| a.addr)
    }

    /// The source address a socket takes towards `dst` when it has none
    /// (`in_selectsrc`): the outgoing interface's, unless that is the
    /// loopback interface (a route through a loopback gateway gives no
    /// source); then the address `dst` is, and then the first IPv4
    /// address on an interface that is not a loopback one. None of them:
    /// EADDRNOTAVAIL.
    pub fn select_source(&self, ifp: &Ifnet, dst: u32) -> KResult<u32> {
        if ifp.flags() & IFF_LOOPBACK == 0 {
            return self.source_for(ifp, dst).ok_or(Errno::EADDRNOTAVAIL);
        }
        let net = self.net();
        let st = self.lock();
        let not_loopback = |ifindex: u16| {
            net.as_ref()
                .and_then(|n| n.ifindex(ifindex))
                .is_some_and(|i| i.flags() & IFF_LOOPBACK == 0)
        };
        st.addrs
            .iter()
            .find(|a| a.addr == dst)
            .or_else(|| st.addrs.iter().find(|a| not_loopback(a.ifindex)))
            .map(|a| a.addr)
            .ok_or(Errno::EADDRNOTAVAIL)
    }
}
