//! The IPv6 routes route(8) adds: prefix and default routes through a
//! gateway on a connected link (a link-local one with its scope), and
//! routes out of an interface, as NetBSD's `rtrequest` keeps them beside
//! the routes of the addresses ([`crate::routes6`]). Here too are the
//! routing socket's requests for `AF_INET6` (`RTM_ADD`, `RTM_DELETE`,
//! `RTM_CHANGE`, `RTM_GET`, and ndp(8)'s with `RTF_LLDATA`) and the
//! choice of interface and next hop that output and forwarding make by
//! the table; reject and blackhole routes refuse or drop what is sent
//! along them.

use crate::addr::{self, ScopedAddr};
use crate::inet6::Inet6;
use rump::{Errno, KResult};
use rumpnet::ifnet::{Ifnet, LinkType};
use rumpnet::net::Net;
use rumpnet::route::{RTM_ADD, RTM_CHANGE, RTM_DELETE, RTM_GET, RouteInfo, RouteRequest};
use std::net::Ipv6Addr;
use std::sync::Arc;

const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_GATEWAY: u32 = netbsd_abi::RTF_GATEWAY as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_STATIC: u32 = netbsd_abi::RTF_STATIC as u32;
const RTF_REJECT: u32 = netbsd_abi::RTF_REJECT as u32;
const RTF_BLACKHOLE: u32 = netbsd_abi::RTF_BLACKHOLE as u32;
const RTF_LLDATA: u32 = netbsd_abi::RTF_LLDATA as u32;
const RTF_LOCAL: u32 = netbsd_abi::RTF_LOCAL as u32;
const RTF_ANNOUNCE: u32 = netbsd_abi::RTF_ANNOUNCE as u32;

/// A route added through the routing socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticRoute {
    /// The destination prefix, masked.
    pub dst: Ipv6Addr,
    /// Its zone when it is link-scoped (0: none).
    pub dst_zone: u32,
    /// Its length.
    pub prefixlen: u8,
    /// The next hop (`RTF_GATEWAY`); `None` for a route out of an
    /// interface, whose destinations are on its link.
    pub gateway: Option<ScopedAddr>,
    /// The outgoing interface.
    pub ifindex: u16,
    /// `RTF_*`.
    pub flags: u32,
    /// `rmx_mtu`: a route through ::1 takes the loopback interface's MTU
    /// when it is made (`lortrequest`); 0 for others.
    pub mtu: u32,
}

impl StaticRoute {
    fn covers(&self, dst: &ScopedAddr) -> bool {
        addr::same_prefix(&self.dst, &dst.addr, self.prefixlen)
            && (self.dst_zone == 0 || self.dst_zone == dst.scope)
    }
}

/// Where a packet goes: out of `ifp`, to the link-layer address of
/// `next` (the destination itself when it is on the link).
pub struct NextHop {
    /// The outgoing interface.
    pub ifp: Arc<Ifnet>,
    /// The neighbour to hand it to.
    pub next: Ipv6Addr,
    /// Whether a route through a gateway was taken.
    pub via_gateway: bool,
    /// The flags of the route taken (`RTF_REJECT`, `RTF_BLACKHOLE` ...);
    /// 0 for the routes of the addresses and link-scoped destinations.
    pub route_flags: u32,
}

impl NextHop {
    /// What a reject or blackhole route does with a packet handed to it,
    /// as NetBSD's `looutput` and `rt_check_reject_route` decide when
    /// `nd6_output` sends it: `None` to send it; `Some(Err)` for a reject
    /// route (through the loopback interface EHOSTUNREACH for a host
    /// route, ENETUNREACH for a network; elsewhere EHOSTUNREACH through a
    /// gateway, EHOSTDOWN for a route out of the interface); `Some(Ok)`
    /// to drop it without a word for a blackhole route through the
    /// loopback interface (elsewhere NetBSD sends it on).
    pub fn refusal(&self) -> Option<KResult<()>> {
        let f = self.route_flags;
        let lo = self.ifp.link_type() == LinkType::Loopback;
        if f & RTF_REJECT != 0 {
            Some(Err(match (lo, f & RTF_HOST != 0, f & RTF_GATEWAY != 0) {
                (true, true, _) | (false, _, true) => Errno::EHOSTUNREACH,
                (true, false, _) => Errno::ENETUNREACH,
                (false, _, false) => Errno::EHOSTDOWN,
            }))
        } else if f & RTF_BLACKHOLE != 0 && lo {
            Some(Ok(()))
        } else {
            None
        }
    }
}

/// The destination, prefix length and gateway of a request, from its
/// sockaddrs: the mask may be cut short after its last non-zero byte and
/// its family left unset, as route(8) sends it; none (or `RTF_HOST`)
/// means a host route.
fn request_parts(req: &RouteRequest) -> KResult<(ScopedAddr, u8, Option<ScopedAddr>)> {
    let (dst, _) = addr::parse_sockaddr(&req.dst)?;
    let len = match &req.mask {
        Some(m) if req.flags & RTF_HOST == 0 => {
            let at = netbsd_abi::layout::sockaddr_in6::sin6_addr.offset;
            let mut b = [0u8; 16];
            let have = m.get(at..).unwrap_or(&[]);
            let n = have.len().min(16);
            b[..n].copy_from_slice(&have[..n]);
            addr::prefix_len(&Ipv6Addr::from(b)).ok_or(Errno::EINVAL)?
        }
        _ => 128,
    };
    let gateway = match &req.gateway {
        Some(g) if g.get(1) == Some(&addr::AF_INET6) => Some(addr::parse_sockaddr(g)?.0),
        // ndp(8) -s gives a link-layer gateway.
        Some(_) => return Err(Errno::EOPNOTSUPP),
        None => None,
    };
    let masked = Ipv6Addr::from(u128::from(dst.addr) & u128::from(addr::prefix_mask(len)));
    Ok((
        ScopedAddr {
            addr: masked,
            scope: dst.scope,
        },
        len,
        gateway,
    ))
}

impl Inet6 {
    /// The routes added through the routing socket.
    pub fn static_routes(&self) -> Vec<StaticRoute> {
        self.lock().routes.clone()
    }

    /// The interface of the connected prefix `a` is on (its zone's for a
    /// link-local address), as `ifa_ifwithroute` finds a gateway's.
    fn onlink_ifindex(&self, a: &ScopedAddr) -> Option<u16> {
        if addr::is_link_scoped(&a.addr) {
            return u16::try_from(a.scope).ok().filter(|&i| i != 0);
        }
        let st = self.lock();
        st.addrs
            .iter()
            .filter(|x| addr::same_prefix(&x.addr, &a.addr, x.prefixlen))
            .max_by_key(|x| x.prefixlen)
            .map(|x| x.ifindex)
    }

    /// Add a route (`rtrequest(RTM_ADD)`): through `gateway` on a
    /// connected link with `RTF_GATEWAY` (ENETUNREACH if it is not on
    /// one), else out of the interface that has address `gateway`. A route
    /// to the same destination and prefix is EEXIST.
    pub fn add_route(
        &self,
        dst: ScopedAddr,
        prefixlen: u8,
        gateway: ScopedAddr,
        flags: u32,
    ) -> KResult<StaticRoute> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        if addr::is_link_scoped(&dst.addr) && dst.scope == 0 {
            return Err(Errno::EINVAL);
        }
        let via = flags & RTF_GATEWAY != 0;
        let ifindex = if via {
            self.onlink_ifindex(&gateway).ok_or(Errno::ENETUNREACH)?
        } else {
            self.lock()
                .addrs
                .iter()
                .find(|x| {
                    x.addr == gateway.addr
                        && (gateway.scope == 0 || u32::from(x.ifindex) == gateway.scope)
                })
                .map(|x| x.ifindex)
                .ok_or(Errno::ENETUNREACH)?
        };
        net.ifindex(ifindex).ok_or(Errno::ENETUNREACH)?;
        let dst_zone = if addr::is_link_scoped(&dst.addr) {
            dst.scope
        } else {
            0
        };
        let connected = crate::routes6::routes(&net, self, &self.addresses())
            .iter()
            .any(|r| route_key(r) == Some((dst.addr, dst_zone, prefixlen)));
        let mut st = self.lock();
        if connected
            || st
                .routes
                .iter()
                .any(|r| (r.dst, r.dst_zone, r.prefixlen) == (dst.addr, dst_zone, prefixlen))
        {
            return Err(Errno::EEXIST);
        }
        let gw_scope = if addr::is_link_scoped(&gateway.addr) {
            u32::from(ifindex)
        } else {
            0
        };
        let r = StaticRoute {
            dst: dst.addr,
            dst_zone,
            prefixlen,
            gateway: via.then_some(ScopedAddr {
                addr: gateway.addr,
                scope: gw_scope,
            }),
            ifindex,
            mtu: if via && gateway.addr.is_loopback() {
                net.ifindex(ifindex).map_or(0, |i| i.mtu())
            } else {
                0
            },
            flags: RTF_UP
                | RTF_STATIC
                | if via { RTF_GATEWAY } else { 0 }
                | if prefixlen == 128 { RTF_HOST } else { 0 }
                | (flags & (RTF_REJECT | RTF_BLACKHOLE)),
        };
        st.routes.push(r.clone());
        Ok(r)
    }

    /// Delete the route to `dst`/`prefixlen`: ESRCH if there is none,
    /// EOPNOTSUPP (said on the console) for an address's own routes.
    pub fn delete_route(&self, dst: &ScopedAddr, prefixlen: u8) -> KResult<StaticRoute> {
        let zone = if addr::is_link_scoped(&dst.addr) {
            dst.scope
        } else {
            0
        };
        let mut st = self.lock();
        if let Some(i) = st
            .routes
            .iter()
            .position(|r| (r.dst, r.dst_zone, r.prefixlen) == (dst.addr, zone, prefixlen))
        {
            return Ok(st.routes.remove(i));
        }
        drop(st);
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        let theirs = crate::routes6::routes(&net, self, &self.addresses())
            .iter()
            .any(|r| route_key(r) == Some((dst.addr, zone, prefixlen)));
        if theirs {
            if let Some(k) = self.kernel() {
                k.printf("inet6: deleting an address's own route is not supported yet");
            }
            return Err(Errno::EOPNOTSUPP);
        }
        Err(Errno::ESRCH)
    }

    /// The interface and next hop for `dst` (`rtalloc1` and
    /// `nd6_output`'s choice): link-scoped destinations by their zone,
    /// our own addresses through lo0, else the longest prefix among the
    /// connected ones and the routes added, a connected one winning a
    /// tie. EHOSTUNREACH when nothing covers it.
    pub fn next_hop(&self, net: &Net, dst: &ScopedAddr) -> KResult<NextHop> {
        let a = &dst.addr;
        let here = |ifp: Arc<Ifnet>| NextHop {
            ifp,
            next: *a,
            via_gateway: false,
            route_flags: 0,
        };
        let lo = || {
            net.interfaces()
                .into_iter()
                .find(|i| i.link_type() == LinkType::Loopback)
                .ok_or(Errno::ENETUNREACH)
        };
        if a.is_loopback() {
            return lo().map(here);
        }
        if addr::is_link_scoped(a) {
            let idx = u16::try_from(dst.scope).map_err(|_| Errno::ENXIO)?;
            if idx == 0 {
                return Err(Errno::EHOSTUNREACH);
            }
            let ifp = net.ifindex(idx).ok_or(Errno::ENXIO)?;
            if a.is_unicast_link_local() && self.local_flags(a, dst.scope).is_some() {
                return lo().map(here);
            }
            return Ok(here(ifp));
        }
        let (own, onlink, routed) = {
            let st = self.lock();
            let own = st.addrs.iter().any(|x| x.addr == *a);
            let onlink = st
                .addrs
                .iter()
                .filter(|x| addr::same_prefix(&x.addr, a, x.prefixlen) && x.prefixlen < 128)
                .filter(|x| !st.rtr.offlink_autoconf(x))
                .max_by_key(|x| x.prefixlen)
                .map(|x| (x.prefixlen, x.ifindex));
            let routed = st
                .routes
                .iter()
                .filter(|r| r.covers(dst))
                .max_by_key(|r| r.prefixlen)
                .cloned();
            (own, onlink, routed)
        };
        if own {
            return lo().map(here);
        }
        match (onlink, routed) {
            (Some((len, i)), r) if r.as_ref().is_none_or(|r| r.prefixlen <= len) => {
                net.ifindex(i).map(here).ok_or(Errno::EHOSTUNREACH)
            }
            (_, Some(r)) => {
                let ifp = net.ifindex(r.ifindex).ok_or(Errno::EHOSTUNREACH)?;
                Ok(NextHop {
                    next: r.gateway.map_or(*a, |g| g.addr),
                    via_gateway: r.gateway.is_some(),
                    route_flags: r.flags,
                    ifp,
                })
            }
            _ => Err(Errno::EHOSTUNREACH),
        }
    }

    /// A routing socket request for `AF_INET6` (`route_output`).
    pub fn route_request(&self, req: &RouteRequest) -> KResult<RouteInfo> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        if req.flags & RTF_LLDATA != 0 {
            let (dst, _) = addr::parse_sockaddr(&req.dst)?;
            return self.neighbor_request(&net, req, &dst);
        }
        let (dst, len, gateway) = request_parts(req)?;
        let info = |r: &StaticRoute| self.static_info(&net, r);
        match req.cmd {
            RTM_ADD => {
                let r = self.add_route(dst, len, gateway.ok_or(Errno::EINVAL)?, req.flags)?;
                info(&r)
            }
            RTM_DELETE => info(&self.delete_route(&dst, len)?),
            RTM_CHANGE => {
                let g = gateway.ok_or(Errno::EINVAL)?;
                let old = self.delete_route(&dst, len)?;
                match self.add_route(dst, len, g, req.flags | (old.flags & RTF_GATEWAY)) {
                    Ok(r) => {
                        // The metrics stay as they were (`rt_setmetrics`
                        // only sets those the request names).
                        let mut st = self.lock();
                        if let Some(x) = st.routes.iter_mut().find(|x| **x == r) {
                            x.mtu = old.mtu;
                        }
                        drop(st);
                        info(&StaticRoute { mtu: old.mtu, ..r })
                    }
                    Err(e) => {
                        self.lock().routes.push(old);
                        Err(e)
                    }
                }
            }
            RTM_GET => self.lookup_info(&net, &dst).ok_or(Errno::ESRCH),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }

    /// ndp(8)'s requests on the routing socket (`RTF_LLDATA`): look a
    /// neighbour up (the answer's gateway is its link address; without an
    /// entry, the route that covers the address, as `lla_lookup` failing
    /// leaves it), add one by hand (`ndp -s`) or delete one (`ndp -d`).
    fn neighbor_request(
        &self,
        net: &Net,
        req: &RouteRequest,
        dst: &ScopedAddr,
    ) -> KResult<RouteInfo> {
        let cmd = req.cmd;
        if cmd == RTM_ADD {
            return self.add_neighbor_request(net, req, dst);
        }
        let zone_ok =
            |ifindex: u16| !addr::is_link_scoped(&dst.addr) || u32::from(ifindex) == dst.scope;
        let manual = self
            .static_neighbors()
            .into_iter()
            .find(|n| n.addr == dst.addr && zone_ok(n.ifindex))
            .map(|n| (n.ifindex, n.addr, Some(n.lladdr), true));
        let entry = manual.or_else(|| {
            self.neighbors()
                .into_iter()
                .find(|n| n.addr == dst.addr && n.lladdr.is_some() && zone_ok(n.ifindex))
                .map(|n| (n.ifindex, n.addr, n.lladdr, false))
        });
        let answer = |(ifindex, a, lladdr, _): (u16, Ipv6Addr, Option<[u8; 6]>, bool)| -> KResult<RouteInfo> {
            let ifp = net.ifindex(ifindex).ok_or(Errno::ENXIO)?;
            Ok(RouteInfo {
                dst: addr::sockaddr_embedded(&a, u32::from(ifindex)),
                gateway: Some(rumpnet::rtsysctl::ll_sockaddr(&ifp, lladdr)),
                ifindex,
                flags: RTF_UP | RTF_HOST | RTF_LLDATA,
                ..RouteInfo::default()
            })
        };
        match (cmd, entry) {
            (RTM_GET, Some(n)) => answer(n),
            (RTM_GET, None) => {
                let mut r = self.lookup_info(net, dst).ok_or(Errno::ESRCH)?;
                // The local route of an address of ours is a link-layer
                // entry too (RTF_LLINFO) in NetBSD's table.
                if r.flags & RTF_LOCAL != 0 {
                    r.flags |= RTF_LLDATA;
                }
                Ok(r)
            }
            (RTM_DELETE, Some(n)) => {
                let r = answer(n)?;
                let gone = if n.3 {
                    self.delete_static_neighbor(n.0, &n.1)
                } else {
                    self.delete_neighbor(n.0, &n.1)
                };
                if !gone {
                    return Err(Errno::ENOENT);
                }
                Ok(r)
            }
            (RTM_DELETE, None) => Err(Errno::ENOENT),
            _ => Err(Errno::EINVAL),
        }
    }

    /// `ndp -s`: an entry for `dst` with the link address the request's
    /// gateway carries, on the interface it names (`lla_rt_output`):
    /// EINVAL for an interface that is not there or a link address that
    /// is not Ethernet's length.
    fn add_neighbor_request(
        &self,
        net: &Net,
        req: &RouteRequest,
        dst: &ScopedAddr,
    ) -> KResult<RouteInfo> {
        use netbsd_abi::layout::sockaddr_dl as sdl;
        let gw = req.gateway.as_deref().ok_or(Errno::EINVAL)?;
        let ifindex = sdl::sdl_index.get(gw).ok_or(Errno::EINVAL)? as u16;
        let ifp = net.ifindex(ifindex).ok_or(Errno::EINVAL)?;
        let nlen = usize::from(sdl::sdl_addr__dl_nlen.get(gw).unwrap_or(0) as u8);
        let alen = usize::from(sdl::sdl_addr__dl_alen.get(gw).unwrap_or(0) as u8);
        let at = sdl::sdl_addr__dl_data.offset + nlen;
        let mac: [u8; 6] = match gw.get(at..at + alen) {
            Some(b) if alen == 6 => b.try_into().map_err(|_| Errno::EINVAL)?,
            _ => {
                if let Some(k) = self.kernel() {
                    k.printf(
                        "inet6: a neighbour entry without an Ethernet address is not supported yet",
                    );
                }
                return Err(Errno::EOPNOTSUPP);
            }
        };
        let expire = (req.expire > 0).then(|| std::time::Duration::from_secs(req.expire as u64));
        self.add_static_neighbor(crate::nd6_static::StaticNeighbor {
            ifindex,
            addr: dst.addr,
            lladdr: mac,
            expire,
            published: req.flags & RTF_ANNOUNCE != 0,
        })?;
        Ok(RouteInfo {
            dst: addr::sockaddr_embedded(&dst.addr, u32::from(ifindex)),
            gateway: Some(rumpnet::rtsysctl::ll_sockaddr(&ifp, Some(mac))),
            ifindex,
            flags: req.flags | RTF_UP,
            ..RouteInfo::default()
        })
    }

    /// The route `dst` takes as the routing socket shows it (`route
    /// get`): the longest prefix among every route that covers it.
    fn lookup_info(&self, net: &Net, dst: &ScopedAddr) -> Option<RouteInfo> {
        let zone = if addr::is_link_scoped(&dst.addr) {
            dst.scope
        } else {
            0
        };
        crate::routes6::routes(net, self, &self.addresses())
            .into_iter()
            .filter_map(|r| route_key(&r).map(|k| (k, r)))
            .filter(|((a, z, len), _)| {
                addr::same_prefix(a, &dst.addr, *len) && (*z == 0 || *z == zone)
            })
            .max_by_key(|((_, _, len), _)| *len)
            .map(|(_, r)| r)
    }

    /// How the routing socket and `net.route` show route `r`.
    pub(crate) fn static_info(&self, net: &Net, r: &StaticRoute) -> KResult<RouteInfo> {
        let ifp = net.ifindex(r.ifindex).ok_or(Errno::ENETUNREACH)?;
        let zone = u32::from(ifp.index);
        let near = r.gateway.map_or(r.dst, |g| g.addr);
        let ifa = self
            .select_source(&ifp, &near)
            .ok()
            .map(|a| addr::sockaddr_embedded(&a, zone));
        let gateway = match r.gateway {
            Some(g) => addr::sockaddr_embedded(&g.addr, zone),
            None => rumpnet::rtsysctl::ll_sockaddr(&ifp, None),
        };
        Ok(RouteInfo {
            dst: addr::sockaddr_embedded(&r.dst, r.dst_zone),
            gateway: Some(gateway),
            // A default route's mask is empty, as the radix tree keeps
            // an all-zero mask.
            mask: match r.prefixlen {
                0 => Some(Vec::new()),
                128 => None,
                n => Some(addr::sockaddr(&addr::prefix_mask(n), 0, 0)),
            },
            ifa,
            ifindex: r.ifindex,
            flags: r.flags,
            uses: 0,
            mtu: u64::from(r.mtu),
            expire: 0,
        })
    }
}

/// A route's destination, zone and prefix length from its sockaddrs.
fn route_key(r: &RouteInfo) -> Option<(Ipv6Addr, u32, u8)> {
    let (d, _) = addr::parse_sockaddr(&r.dst).ok()?;
    let len = match &r.mask {
        Some(m) if m.is_empty() => 0,
        Some(m) => addr::prefix_len(&addr::parse_sockaddr(m).ok()?.0.addr)?,
        None => 128,
    };
    let zone = if addr::is_link_scoped(&d.addr) {
        d.scope
    } else {
        0
    };
    Some((d.addr, zone, len))
}
