//! The IPv6 routes NetBSD's kernel keeps for its addresses, as the
//! routing socket and `net.route` dumps report them: each address's
//! prefix route and local route (`in6_ifaddprefix`, `in6_ifaddlocal`),
//! and each IPv6 interface's interface- and link-local multicast routes
//! (`in6_ifattach`), and those added through the routing socket
//! ([`crate::rtable6`]).

use crate::addr::{self, sockaddr_embedded};
use crate::inet6::{IfAddr6, Inet6};
use rumpnet::ifnet::{IFF_LOOPBACK, Ifnet};
use rumpnet::net::Net;
use rumpnet::route::RouteInfo;
use std::net::Ipv6Addr;
use std::sync::Arc;

const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_LOCAL: u32 = netbsd_abi::RTF_LOCAL as u32;

/// A route, with its destination's bytes (embedded scope included) and
/// prefix length to sort by.
struct Entry {
    key: (u128, std::cmp::Reverse<u8>),
    info: RouteInfo,
}

fn zone(ifp: &Ifnet) -> u32 {
    u32::from(ifp.index)
}

fn mask(len: u8) -> Option<Vec<u8>> {
    (len < 128).then(|| addr::sockaddr(&addr::prefix_mask(len), 0, 0))
}

fn entry(
    ifp: &Ifnet,
    dst: Ipv6Addr,
    len: u8,
    gateway: Vec<u8>,
    flags: u32,
    mtu: u64,
    ifa: &Ipv6Addr,
) -> Entry {
    let sa = sockaddr_embedded(&dst, zone(ifp));
    let mut o = [0u8; 16];
    o.copy_from_slice(&sa[8..24]);
    Entry {
        key: (u128::from_be_bytes(o), std::cmp::Reverse(len)),
        info: RouteInfo {
            dst: sa,
            gateway: Some(gateway),
            mask: mask(len),
            ifa: Some(sockaddr_embedded(ifa, zone(ifp))),
            ifindex: ifp.index,
            flags: flags | if len == 128 { RTF_HOST } else { 0 },
            uses: 0,
            mtu,
            expire: 0,
        },
    }
}

/// Every route, in the order of NetBSD's radix tree walk: by destination,
/// the more specific first among equal keys.
pub fn routes(net: &Net, inet: &Inet6, addrs: &[IfAddr6]) -> Vec<RouteInfo> {
    let ifs: Vec<Arc<Ifnet>> = net.interfaces();
    let lo = ifs.iter().find(|i| i.flags() & IFF_LOOPBACK != 0);
    let mut v: Vec<Entry> = Vec::new();
    for ifp in &ifs {
        let mine: Vec<&IfAddr6> = addrs.iter().filter(|a| a.ifindex == ifp.index).collect();
        let Some(first) = mine.first() else {
            continue;
        };
        let loopback = ifp.flags() & IFF_LOOPBACK != 0;
        let link = rumpnet::rtsysctl::ll_sockaddr(ifp, None);
        // Routes through ::1 carry the loopback interface's MTU of when
        // they were made, as in6_ifattach_loopback's do.
        let via_lo = |gw: &Ipv6Addr| {
            if loopback && gw.is_loopback() {
                (addr::sockaddr(gw, 0, 0), u64::from(inet.attach_mtu(ifp)))
            } else if loopback {
                (sockaddr_embedded(gw, zone(ifp)), 0)
            } else {
                (link.clone(), 0)
            }
        };
        for a in &mine {
            let base =
                Ipv6Addr::from(u128::from(a.addr) & u128::from(addr::prefix_mask(a.prefixlen)));
            let (gw, mtu) = via_lo(&a.addr);
            v.push(entry(ifp, base, a.prefixlen, gw, RTF_UP, mtu, &a.addr));
            if a.prefixlen < 128
                && let Some(lo) = lo
            {
                let gw = if loopback {
                    rumpnet::ifioctl::sockaddr_dl(lo)
                } else {
                    link.clone()
                };
                let mut e = entry(ifp, a.addr, 128, gw, RTF_UP | RTF_LOCAL, 0, &a.addr);
                e.info.ifindex = lo.index;
                v.push(e);
            }
        }
        let ifa = if loopback {
            Ipv6Addr::LOCALHOST
        } else {
            first.addr
        };
        for g in [
            Ipv6Addr::new(0xff01, 0, 0, 0, 0, 0, 0, 0),
            Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 0),
        ] {
            let (gw, mtu) = via_lo(&Ipv6Addr::LOCALHOST);
            v.push(entry(ifp, g, 32, gw, RTF_UP, mtu, &ifa));
        }
    }
    for r in inet.static_routes() {
        let Ok(info) = inet.static_info(net, &r) else {
            continue;
        };
        let mut o = [0u8; 16];
        o.copy_from_slice(&info.dst[netbsd_abi::layout::sockaddr_in6::sin6_addr.range()]);
        v.push(Entry {
            key: (u128::from_be_bytes(o), std::cmp::Reverse(r.prefixlen)),
            info,
        });
    }
    v.sort_by_key(|e| e.key);
    v.into_iter().map(|e| e.info).collect()
}
