//! What routing sockets hear of IPv6 addresses, in NetBSD's order and
//! form (`in6_update_ifa`, `nd6_prefix_onlink` and `in6_purgeaddr`, each
//! through `rt_newaddrmsg` or `rt_newmsg`), with the IPv4 code's message
//! builders (`rumpnet_netinet::inet::announce`):
//!
//! - coming: `RTM_NEWADDR` (netmask, interface, address, and on the
//!   loopback interface its destination address, an empty sockaddr), then on a link
//!   with neighbours or the loopback `RTM_ADD` of the local route and of
//!   the prefix route, whose address is the interface's link-local one
//!   (on the loopback its gateway too);
//! - going: `RTM_DELETE` of the local route, `RTM_DELADDR` (on a link
//!   the address still `RTF_CONNECTED`), then `RTM_DELETE` of the prefix
//!   route.

use crate::addr;
use crate::inet6::IfAddr6;
use rumpnet::ifnet::{IFF_LOOPBACK, Ifnet, LinkType};
use rumpnet::net::Net;
use rumpnet::route::{RTM_ADD, RTM_DELETE};
use rumpnet::rtsysctl::{IfAddrInfo, RTM_DELADDR, RTM_NEWADDR};
use rumpnet_netinet::inet::announce::{ifaddr_msg, link_only, local_route_msg, prefix_route_msg};
use std::net::Ipv6Addr;

const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_CONNECTED: u32 = netbsd_abi::RTF_CONNECTED as u32;
const RTF_LOCAL: u32 = netbsd_abi::RTF_LOCAL as u32;
/// `RTF_LLINFO`, the same bit as `RTF_LLDATA` (`net/route.h`).
const RTF_LLINFO: u32 = netbsd_abi::RTF_LLDATA as u32;

/// Address `x` of `ifp` as routing messages report it: its netmask and
/// the address, a link-local one with its zone embedded (KAME's form).
pub fn ifaddr_info(ifp: &Ifnet, x: &IfAddr6) -> IfAddrInfo {
    IfAddrInfo {
        addr: ifa_sockaddr(ifp, &x.addr),
        mask: Some(addr::sockaddr(&addr::prefix_mask(x.prefixlen), 0, 0)),
        brd: None,
        flags: 0,
    }
}

/// `a` on `ifp` as a routing message carries it: a link-local address
/// with its zone embedded.
fn ifa_sockaddr(ifp: &Ifnet, a: &Ipv6Addr) -> Vec<u8> {
    let scope = if a.is_unicast_link_local() {
        u32::from(ifp.index)
    } else {
        0
    };
    addr::sockaddr_embedded(a, scope)
}

/// A netmask of `prefixlen` bits as the radix table keeps it
/// (`rn_addmask`): the bytes before the address all ones, cut after the
/// last non-zero byte; no bits at all is the table's zero mask.
pub fn radix_mask6(prefixlen: u8) -> Vec<u8> {
    let at = netbsd_abi::layout::sockaddr_in6::sin6_addr.offset;
    let mut sa = addr::sockaddr(&addr::prefix_mask(prefixlen), 0, 0);
    if prefixlen == 0 {
        return Vec::new();
    }
    if let Some(head) = sa.get_mut(1..at) {
        head.fill(0xff);
    }
    let len = sa.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    sa.truncate(len);
    if let Some(l) = sa.first_mut() {
        *l = len as u8;
    }
    sa
}

/// Tell the routing sockets listening for IPv6 (or every family) that
/// `x` came to `ifp` (`added`) or went; `others`: the interface's other
/// addresses, whose link-local one the prefix route names and whose
/// prefixes already have their route.
pub fn announce(net: &Net, ifp: &Ifnet, x: &IfAddr6, others: &[IfAddr6], added: bool) {
    let on_link = ifp.link_type() == LinkType::Ethernet;
    let loopback = ifp.flags() & IFF_LOOPBACK != 0;
    let mask = addr::sockaddr(&addr::prefix_mask(x.prefixlen), 0, 0);
    let ifa = ifa_sockaddr(ifp, &x.addr);
    // A loopback address's destination address, which nothing sets:
    // an empty sockaddr, as NetBSD's route(8) hears it (`default`).
    let dst = loopback.then(Vec::new);
    let mut msgs = Vec::new();
    let local = ((on_link || loopback) && x.prefixlen < 128).then(|| {
        let typ = if added { RTM_ADD } else { RTM_DELETE };
        if loopback {
            let gw = rumpnet::ifioctl::sockaddr_dl(ifp);
            local_route_msg(typ, ifp, &ifa, &gw, RTF_UP | RTF_HOST | RTF_LOCAL)
        } else {
            let flags = RTF_UP | RTF_HOST | RTF_LLINFO | RTF_LOCAL;
            local_route_msg(typ, ifp, &ifa, &link_only(ifp), flags)
        }
    });
    let base = |a: &IfAddr6| {
        Ipv6Addr::from(u128::from(a.addr) & u128::from(addr::prefix_mask(a.prefixlen)))
    };
    let shared = others.iter().any(|o| {
        o.ifindex == x.ifindex
            && o.addr != x.addr
            && o.prefixlen == x.prefixlen
            && base(o) == base(x)
    });
    let prefix = (local.is_some() && !shared).then(|| {
        let via = others
            .iter()
            .find(|o| o.ifindex == x.ifindex && o.addr.is_unicast_link_local())
            .map_or(x.addr, |o| o.addr);
        let typ = if added { RTM_ADD } else { RTM_DELETE };
        let via = ifa_sockaddr(ifp, &via);
        let (gw, flags) = if loopback {
            (Some(&via[..]), RTF_UP)
        } else {
            (None, RTF_UP | RTF_CONNECTED)
        };
        let dst = ifa_sockaddr(ifp, &base(x));
        prefix_route_msg(typ, ifp, &dst, gw, &radix_mask6(x.prefixlen), &via, flags)
    });
    if added {
        msgs.push(ifaddr_msg(RTM_NEWADDR, ifp, &mask, &ifa, dst.as_deref(), 0));
        msgs.extend(local);
        msgs.extend(prefix);
    } else {
        let flags = if on_link { RTF_CONNECTED } else { 0 };
        msgs.extend(local);
        msgs.push(ifaddr_msg(
            RTM_DELADDR,
            ifp,
            &mask,
            &ifa,
            dst.as_deref(),
            flags,
        ));
        msgs.extend(prefix);
    }
    for m in &msgs {
        rumpnet::route::broadcast(net, addr::AF_INET6, m);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_are_cut_after_their_last_non_zero_byte() {
        // As NetBSD's radix keeps a /64: the length, seven bytes of ones
        // before sin6_addr, then the eight bytes of the prefix.
        let m = radix_mask6(64);
        assert_eq!(m.len(), 16);
        assert!(m[1..].iter().all(|&b| b == 0xff));
        assert_eq!(
            radix_mask6(20)[..],
            [11, 255, 255, 255, 255, 255, 255, 255, 255, 255, 0xf0]
        );
        assert!(radix_mask6(0).is_empty());
    }
}
