//! What routing sockets hear of IPv6 addresses: `RTM_NEWADDR` when one
//! is added to an interface and `RTM_DELADDR` when it goes, as NetBSD's
//! `in6_update_ifa` and `in6_purgeaddr` say it with `rt_newaddrmsg`.

use crate::addr;
use crate::inet6::IfAddr6;
use rumpnet::ifnet::Ifnet;
use rumpnet::net::Net;
use rumpnet::rtsysctl::{IfAddrInfo, RTM_DELADDR, RTM_NEWADDR, newaddr_msg};

/// Address `x` of `ifp` as routing messages report it: its netmask and
/// the address, a link-local one with its zone embedded (KAME's form).
pub fn ifaddr_info(ifp: &Ifnet, x: &IfAddr6) -> IfAddrInfo {
    let scope = if x.addr.is_unicast_link_local() {
        u32::from(ifp.index)
    } else {
        0
    };
    IfAddrInfo {
        addr: addr::sockaddr_embedded(&x.addr, scope),
        mask: Some(addr::sockaddr(&addr::prefix_mask(x.prefixlen), 0, 0)),
        brd: None,
        flags: 0,
    }
}

/// Tell the routing sockets listening for IPv6 (or every family) that
/// `x` came to `ifp` (`added`) or went.
pub fn announce(net: &Net, ifp: &Ifnet, x: &IfAddr6, added: bool) {
    let typ = if added { RTM_NEWADDR } else { RTM_DELADDR };
    rumpnet::route::broadcast(
        net,
        addr::AF_INET6,
        &newaddr_msg(typ, ifp, &ifaddr_info(ifp, x)),
    );
}
