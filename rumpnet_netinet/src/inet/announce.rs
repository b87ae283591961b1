//! What the routing sockets hear when an IPv4 address comes or goes, in
//! NetBSD's order and form (`rt_ifa_addlocal` and `rt_newaddrmsg`,
//! `rtinit` and `rt_newmsg`, `rt_ifa_remlocal` and `rtdeletemsg`):
//!
//! - coming: `RTM_NEWADDR` (netmask, interface, address, and the
//!   broadcast address as it is before `in_ifinit` sets it: 0.0.0.0),
//!   `RTM_ADD` of the local route (destination and gateway only), then
//!   `RTM_ADD` of the prefix route (with netmask, interface and address);
//! - going: `RTM_DELETE` of the prefix route (no longer `RTF_UP`), of the
//!   local route, then `RTM_DELADDR`.
//!
//! A netmask is written as the routing table keeps it (`rn_addmask`):
//! the bytes before the address all ones, cut after its last non-zero
//! byte; an address's own netmask as `in_socktrim` leaves it.

use super::{IfAddr, Inet, RTF_CONNECTED, RTF_LOCAL, RTF_UP};
use crate::addr;
use crate::rtable::{Route, RouteOrigin};
use rumpnet::ifnet::{Ifnet, LinkType};
use rumpnet::net::Net;
use rumpnet::route::{RTF_DONE, RTM_ADD, RTM_DELETE, RTM_VERSION, broadcast, build_msg, rta};
use rumpnet::rtsysctl::{IFA_MSGHDR_LEN, RTM_DELADDR, RTM_NEWADDR};

/// A `sockaddr_dl` naming only an interface (`link#N`), as the local and
/// prefix routes' gateway: its length.
const LINK_ONLY_LEN: usize = 20;

/// `sa` with its length cut after its last non-zero byte (`in_socktrim`).
fn trimmed(mut sa: Vec<u8>) -> Vec<u8> {
    let len = sa.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    sa.truncate(len);
    if let Some(l) = sa.first_mut() {
        *l = len as u8;
    }
    sa
}

/// A netmask as the routing table keeps it (`rn_addmask`).
fn radix_mask(mask: u32) -> Vec<u8> {
    rumpnet::route::radix_mask4(&addr::sockaddr(mask, 0))
}

/// An address's netmask once `in_ifinit` trimmed it.
fn socktrim(mask: u32) -> Vec<u8> {
    trimmed(addr::sockaddr(mask, 0))
}

/// The gateway of an interface's own routes: its `sockaddr_dl` with no
/// name or address (`link#N`).
pub fn link_only(ifp: &Ifnet) -> Vec<u8> {
    use netbsd_abi::layout::sockaddr_dl as sdl;
    let mut sa = vec![0u8; LINK_ONLY_LEN];
    sdl::sdl_len.put(&mut sa, LINK_ONLY_LEN as u64);
    sdl::sdl_family.put(&mut sa, u64::from(rumpnet::ifioctl::AF_LINK));
    sdl::sdl_index.put(&mut sa, u64::from(ifp.index));
    sdl::sdl_addr__dl_type.put(&mut sa, u64::from(ifp.if_type()));
    sa
}

/// `ifa_flags`: an address on a link with ARP is `RTF_CONNECTED`
/// (`arp_ifinit`).
fn ifa_flags(ifp: &Ifnet) -> u32 {
    if ifp.link_type() == LinkType::Ethernet {
        RTF_CONNECTED
    } else {
        0
    }
}

/// `RTM_NEWADDR` or `RTM_DELADDR` for `a` (`rt_newaddrmsg`); `fresh`: an
/// address being added, whose netmask is not trimmed yet and whose
/// broadcast address is not set yet.
fn addr_msg(typ: u8, ifp: &Ifnet, a: &IfAddr, fresh: bool) -> Vec<u8> {
    let mask = if fresh {
        addr::sockaddr(a.mask, 0)
    } else {
        socktrim(a.mask)
    };
    let brd = (ifp.flags() & rumpnet::ifnet::IFF_BROADCAST != 0)
        .then(|| addr::sockaddr(if fresh { addr::ANY } else { a.bcast }, 0));
    let ifa = addr::sockaddr(a.addr, 0);
    ifaddr_msg(typ, ifp, &mask, &ifa, brd.as_deref(), ifa_flags(ifp))
}

/// `RTM_NEWADDR` or `RTM_DELADDR` of any family as `rt_newaddrmsg` makes
/// it: the address's netmask, its interface's link address, the address
/// and its broadcast address if it has one; `flags`: its `ifa_flags`.
pub fn ifaddr_msg(
    typ: u8,
    ifp: &Ifnet,
    mask: &[u8],
    ifa: &[u8],
    brd: Option<&[u8]>,
    flags: u32,
) -> Vec<u8> {
    let ifp_sa = rumpnet::ifioctl::sockaddr_dl(ifp);
    use netbsd_abi::layout::ifa_msghdr as ifam;
    let mut m = vec![0u8; IFA_MSGHDR_LEN];
    ifam::ifam_version.put(&mut m, u64::from(RTM_VERSION));
    ifam::ifam_type.put(&mut m, u64::from(typ));
    let mut bits = 0u32;
    for (bit, sa) in [
        (rta::NETMASK, Some(mask)),
        (rta::IFP, Some(&ifp_sa[..])),
        (rta::IFA, Some(ifa)),
        (rta::BRD, brd),
    ] {
        if let Some(sa) = sa {
            bits |= bit;
            let at = m.len();
            m.extend_from_slice(sa);
            m.resize(at + rumpnet::route::roundup(sa.len()), 0);
        }
    }
    ifam::ifam_addrs.put(&mut m, u64::from(bits));
    ifam::ifam_flags.put(&mut m, u64::from(flags));
    ifam::ifam_metric.put(&mut m, ifp.metric() as u64);
    ifam::ifam_index.put(&mut m, u64::from(ifp.index));
    let len = m.len() as u64;
    ifam::ifam_msglen.put(&mut m, len);
    m
}

/// A local route's `RTM_ADD` or `RTM_DELETE`.
fn local_msg(typ: u8, ifp: &Ifnet, r: &Route) -> Vec<u8> {
    local_route_msg(
        typ,
        ifp,
        &addr::sockaddr(r.dst, 0),
        &link_only(ifp),
        r.flags,
    )
}

/// A local route's `RTM_ADD` or `RTM_DELETE`, of any family: its
/// destination `dst` and gateway `gw`. Added, it carries the route's
/// `flags` and its address's interface (`rt_newaddrmsg`); deleted,
/// `RTF_DONE` too and no interface (`rtdeletemsg`).
pub fn local_route_msg(typ: u8, ifp: &Ifnet, dst: &[u8], gw: &[u8], flags: u32) -> Vec<u8> {
    let (index, flags) = if typ == RTM_ADD {
        (ifp.index, flags)
    } else {
        (0, flags | RTF_DONE)
    };
    let parts: [(u32, &[u8]); 2] = [(rta::DST, dst), (rta::GATEWAY, gw)];
    build_msg(typ, index, flags, 0, 0, 0, &parts)
}

/// A prefix route's `RTM_ADD` or `RTM_DELETE` (`rt_newmsg`).
fn prefix_msg(typ: u8, ifp: &Ifnet, a: &IfAddr, r: &Route) -> Vec<u8> {
    let dst = addr::sockaddr(r.dst, 0);
    let gw = r.gateway.map(|g| addr::sockaddr(g, 0));
    let mask = radix_mask(r.mask);
    let ifa = addr::sockaddr(r.ifa.unwrap_or(a.addr), 0);
    prefix_route_msg(typ, ifp, &dst, gw.as_deref(), &mask, &ifa, r.flags)
}

/// A prefix route's `RTM_ADD` or `RTM_DELETE` of any family
/// (`rt_newmsg`): destination, gateway (`link#N` of `ifp` if `None`),
/// netmask as the table keeps it, interface and address; `RTF_DONE`, and
/// deleted, no longer up.
pub fn prefix_route_msg(
    typ: u8,
    ifp: &Ifnet,
    dst: &[u8],
    gw: Option<&[u8]>,
    mask: &[u8],
    ifa: &[u8],
    flags: u32,
) -> Vec<u8> {
    let link = link_only(ifp);
    let ifp_sa = rumpnet::ifioctl::sockaddr_dl(ifp);
    let mut flags = flags | RTF_DONE;
    if typ == RTM_DELETE {
        flags &= !RTF_UP;
    }
    let parts: [(u32, &[u8]); 5] = [
        (rta::DST, dst),
        (rta::GATEWAY, gw.unwrap_or(&link)),
        (rta::NETMASK, mask),
        (rta::IFP, &ifp_sa),
        (rta::IFA, ifa),
    ];
    build_msg(typ, 0, flags, 0, 0, 0, &parts)
}

impl Inet {
    /// Tell the routing sockets that address `a` of `ifp` came (`added`,
    /// with its new `routes`) or went (with the `routes` it took); `fresh`:
    /// it is new, not changed nor announced again.
    pub(crate) fn announce_address(
        &self,
        net: &Net,
        ifp: &Ifnet,
        a: &IfAddr,
        routes: &[Route],
        added: bool,
        fresh: bool,
    ) {
        let route_ifp = |r: &Route| net.ifindex(r.ifindex);
        let local = |r: &Route| r.origin == RouteOrigin::Local || r.flags & RTF_LOCAL != 0;
        let mut msgs = Vec::new();
        if added {
            msgs.push(addr_msg(RTM_NEWADDR, ifp, a, fresh));
            for r in routes.iter().filter(|r| local(r)) {
                msgs.push(local_msg(RTM_ADD, ifp, r));
            }
            for r in routes.iter().filter(|r| !local(r)) {
                let out = route_ifp(r);
                msgs.push(prefix_msg(RTM_ADD, out.as_deref().unwrap_or(ifp), a, r));
            }
        } else {
            for r in routes.iter().filter(|r| !local(r)) {
                let out = route_ifp(r);
                msgs.push(prefix_msg(RTM_DELETE, out.as_deref().unwrap_or(ifp), a, r));
            }
            for r in routes.iter().filter(|r| local(r)) {
                msgs.push(local_msg(RTM_DELETE, ifp, r));
            }
            msgs.push(addr_msg(RTM_DELADDR, ifp, a, false));
        }
        for m in &msgs {
            broadcast(net, addr::AF_INET, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_cut_after_their_last_non_zero_byte() {
        // As NetBSD's kernel writes 255.255.0.0 in a route message, and
        // an address's own /24 netmask after in_socktrim.
        assert_eq!(radix_mask(0xffff_0000), [6, 0xff, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(socktrim(0xffff_ff00), [7, 2, 0, 0, 0xff, 0xff, 0xff]);
        assert_eq!(radix_mask(0), [0u8; 0]);
    }
}
