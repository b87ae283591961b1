//! Routes as the IPv4 stack keeps them, and NetBSD's rules for the ones
//! an address brings (`in_ifinit`, `in_addprefix`, `rt_ifa_addlocal`) and
//! takes away (`in_scrubprefix`, `in_ifremlocal`): a local host route
//! through the loopback interface for every address, and a prefix route
//! where the interface calls for one.

use crate::addr::{self, ANY};
use crate::inet::{IfAddr, RTF_CONNECTED, RTF_HOST, RTF_LOCAL, RTF_UP, State};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_LOOPBACK, Ifnet, LinkType};
use rumpnet::net::Net;

/// Who made a route, which says when it goes away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteOrigin {
    /// A process, through the routing socket (`route add`).
    Static,
    /// An address's prefix (`in_addprefix`): the connected network, or the
    /// peer of a point-to-point link.
    Prefix,
    /// An address's local host route through the loopback interface
    /// (`rt_ifa_addlocal`).
    Local,
    /// The kernel's, on an ICMP message: a host route that carries a
    /// path MTU (`icmp_mtudisc`, `RTF_DYNAMIC`).
    Dynamic,
}

/// One route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// Destination (network or host).
    pub dst: u32,
    /// Netmask (all ones for a host route).
    pub mask: u32,
    /// Next hop, for gateway routes.
    pub gateway: Option<u32>,
    /// Outgoing interface.
    pub ifindex: u16,
    /// `RTF_*`.
    pub flags: u32,
    /// Times used.
    pub uses: u64,
    /// The local address the route uses (`rt_ifa`); `None`: the
    /// interface's first.
    pub ifa: Option<u32>,
    /// For a local route: the interface whose link address is the
    /// gateway (the one the address is on).
    pub link_gateway: Option<u16>,
    /// Path MTU (`rmx_mtu`), 0 if unset.
    pub mtu: u32,
    /// `rmx_expire`, wall-clock seconds, 0 if unset: a connected route on
    /// a link with ARP carries the time it was made (`arp_rtrequest`),
    /// which `route get` shows as its age.
    pub expire: i64,
    /// Who made it.
    pub origin: RouteOrigin,
}

impl Route {
    /// The route as the routing socket reports it, with the address the
    /// interface uses (from `addrs`); `net` names a local route's gateway.
    pub fn info(&self, addrs: &[IfAddr], net: Option<&Net>) -> rumpnet::route::RouteInfo {
        let ifa = self
            .ifa
            .or_else(|| {
                addrs
                    .iter()
                    .find(|a| a.ifindex == self.ifindex)
                    .map(|a| a.addr)
            })
            .map(|a| addr::sockaddr(a, 0));
        let link_gateway = self
            .link_gateway
            .and_then(|i| net?.ifindex(i))
            .map(|ifp| local_gateway(&ifp));
        rumpnet::route::RouteInfo {
            dst: addr::sockaddr(self.dst, 0),
            gateway: self.gateway.map(|g| addr::sockaddr(g, 0)).or(link_gateway),
            mask: (self.flags & RTF_HOST == 0).then(|| addr::sockaddr(self.mask, 0)),
            ifa,
            ifindex: self.ifindex,
            flags: self.flags,
            uses: self.uses,
            mtu: u64::from(self.mtu),
            expire: self.expire,
        }
    }
}

/// A local route's gateway: the loopback interface's own link address
/// (`if_sadl`, which netstat shows by name), or for an address on a link
/// with ARP the index-only address `arp_setgate` makes (`link#N`).
fn local_gateway(ifp: &Ifnet) -> Vec<u8> {
    if ifp.flags() & IFF_LOOPBACK != 0 {
        rumpnet::ifioctl::sockaddr_dl(ifp)
    } else {
        rumpnet::rtsysctl::ll_sockaddr(ifp, None)
    }
}

/// The prefix route an address gets (`in_ifinit`, `in_addprefix`):
/// destination, mask and flags. A broadcast link routes its subnet, a
/// loopback interface only the address itself (which its local route
/// already is), a point-to-point link its peer, and one without a peer
/// nothing.
pub(crate) fn prefix_route(ifp: &Ifnet, a: &IfAddr) -> Option<(u32, u32, u32)> {
    let f = ifp.flags();
    if f & IFF_BROADCAST != 0 {
        let connected = if ifp.link_type() == LinkType::Ethernet {
            RTF_CONNECTED
        } else {
            0
        };
        Some((a.net(), a.mask, RTF_UP | connected))
    } else if f & IFF_LOOPBACK != 0 {
        Some((a.addr, u32::MAX, RTF_UP | RTF_HOST))
    } else if f & rumpnet::ifnet::IFF_POINTOPOINT != 0 {
        (a.bcast != ANY).then_some((a.bcast, u32::MAX, RTF_UP | RTF_HOST))
    } else {
        Some((a.net(), a.mask, RTF_UP))
    }
}

/// The local route address `a` on `ifp` gets (`rt_ifa_addlocal`): a host
/// route through the loopback interface `lo`, unless there is one already
/// (the same address on another interface) or the address is its own
/// point-to-point peer. On the loopback interface it carries the
/// interface's MTU (`lortrequest`); on a link with ARP it is link data
/// and has none (`arp_rtrequest`).
pub(crate) fn local_route(
    st: &State,
    ifp: &Ifnet,
    lo: Option<&Ifnet>,
    a: &IfAddr,
) -> Option<Route> {
    let lo = lo?;
    let point = ifp.flags() & rumpnet::ifnet::IFF_POINTOPOINT != 0;
    if point && a.bcast == a.addr {
        return None;
    }
    let exists = st
        .routes
        .iter()
        .any(|r| r.dst == a.addr && r.mask == u32::MAX && r.ifindex == lo.index);
    if exists {
        return None;
    }
    let looped = ifp.flags() & IFF_LOOPBACK != 0;
    let lldata = if looped || point {
        0
    } else {
        rumpnet::rtsysctl::RTF_LLDATA
    };
    Some(Route {
        dst: a.addr,
        mask: u32::MAX,
        gateway: None,
        ifindex: lo.index,
        flags: RTF_UP | RTF_HOST | RTF_LOCAL | lldata,
        uses: 0,
        ifa: Some(a.addr),
        link_gateway: Some(ifp.index),
        mtu: if looped { ifp.mtu() } else { 0 },
        expire: 0,
        origin: RouteOrigin::Local,
    })
}

/// Address `gone` no longer holds its prefix route (`in_scrubprefix`): another
/// address with the same prefix takes the route over, else it goes; the
/// routes that went are returned.
pub(crate) fn scrub_prefix(st: &mut State, gone: &IfAddr) -> Vec<Route> {
    let mine = |r: &Route| {
        r.origin == RouteOrigin::Prefix && r.ifindex == gone.ifindex && r.ifa == Some(gone.addr)
    };
    let Some(at) = st.routes.iter().position(mine) else {
        return Vec::new();
    };
    let (dst, mask) = (st.routes[at].dst, st.routes[at].mask);
    let heir = st
        .addrs
        .iter()
        .find(|x| x.addr != gone.addr && x.addr & mask == dst && x.mask == mask)
        .cloned();
    match heir {
        Some(h) => {
            let r = &mut st.routes[at];
            r.ifindex = h.ifindex;
            r.ifa = Some(h.addr);
            Vec::new()
        }
        None => vec![st.routes.remove(at)],
    }
}
