//! `net.route.rtable` (NetBSD's `sysctl_rtable`): the routing table and the
//! interface list as routing-socket messages, which route(8), netstat(1)
//! and arp(8) read with `sysctl(CTL_NET, PF_ROUTE, 0, af, op, arg)`.
//!
//! - `NET_RT_DUMP`: every route of family `af` (0: all), one `RTM_GET`
//!   message each.
//! - `NET_RT_FLAGS`: the same, only routes with a flag of `arg` set.
//! - `NET_RT_IFLIST`: for each interface (`arg`: only that index), an
//!   `RTM_IFINFO` message, then one `RTM_NEWADDR` per address of `af`.

use crate::ifioctl::{if_data, sockaddr_dl};
use crate::ifnet::Ifnet;
use crate::net::Net;
use crate::route::{RouteInfo, build_msg, rta};
use rump::sysctl::{NodeData, NodeSpec};
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Weak};

/// `NET_RT_DUMP`.
pub const NET_RT_DUMP: i32 = netbsd_abi::NET_RT_DUMP;
/// `NET_RT_FLAGS`.
pub const NET_RT_FLAGS: i32 = netbsd_abi::NET_RT_FLAGS;
/// `NET_RT_IFLIST`.
pub const NET_RT_IFLIST: i32 = netbsd_abi::NET_RT_IFLIST;
/// `RTM_NEWADDR`.
pub const RTM_NEWADDR: u8 = netbsd_abi::RTM_NEWADDR as u8;
/// `RTM_DELADDR`.
pub const RTM_DELADDR: u8 = netbsd_abi::RTM_DELADDR as u8;
/// `RTM_IFANNOUNCE`.
pub const RTM_IFANNOUNCE: u8 = netbsd_abi::RTM_IFANNOUNCE as u8;
/// `RTM_IFINFO`.
pub const RTM_IFINFO: u8 = netbsd_abi::RTM_IFINFO as u8;
/// `sizeof(struct if_msghdr)`.
pub const IF_MSGHDR_LEN: usize = netbsd_abi::layout::if_msghdr::SIZE;
/// `sizeof(struct ifa_msghdr)`.
pub const IFA_MSGHDR_LEN: usize = netbsd_abi::layout::ifa_msghdr::SIZE;
/// The `rt_msghdr` fields past what [`build_msg`] fills: `rtm_use`, and
/// `rtm_rmx.rmx_mtu`.
const RTM_USE: usize = 28;
const RMX_MTU: usize = 40 + 8;
/// `rtm_rmx.rmx_expire`.
const RMX_EXPIRE: usize = 40 + 64;

/// `RTF_LLDATA` (NetBSD's old `RTF_LLINFO`): link-layer (ARP) entries.
pub const RTF_LLDATA: u32 = netbsd_abi::RTF_LLDATA as u32;
/// The flags an ARP entry is reported with: `RTF_UP | RTF_HOST |
/// RTF_LLDATA`, and the old `RTF_CLONED` for binaries that look for it.
const LLENTRY_FLAGS: u32 = 0x1 | 0x4 | RTF_LLDATA | 0x2000;
/// `RTF_STATIC`.
const RTF_STATIC: u32 = netbsd_abi::RTF_STATIC as u32;

/// A link-layer (ARP) entry, as `arp -a` reads it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LlEntry {
    /// The protocol address, a sockaddr.
    pub dst: Vec<u8>,
    /// The interface.
    pub ifindex: u16,
    /// The hardware address, once resolved.
    pub hw: Option<[u8; 6]>,
    /// Seconds of wall-clock time when it expires; None for a permanent
    /// entry.
    pub expire: Option<i64>,
    /// Published (`LLE_PUB`): dumped with `RTF_ANNOUNCE`.
    pub published: bool,
}

/// One address of an interface, as `RTM_NEWADDR` reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IfAddrInfo {
    /// The address.
    pub addr: Vec<u8>,
    /// Its netmask.
    pub mask: Option<Vec<u8>>,
    /// Its broadcast (or point-to-point destination) address.
    pub brd: Option<Vec<u8>>,
    /// `IFA_*` flags.
    pub flags: u32,
}

/// Make `net.route` (34) and its handler `net.route.rtable` (0).
pub fn register(k: &Kernel, net: &Arc<Net>) -> KResult<()> {
    let t = k.sysctl();
    t.create(
        "net",
        NodeSpec {
            num: Some(i32::from(crate::route::PF_ROUTE)),
            ..NodeSpec::new("route", 0, "PF_ROUTE information", NodeData::Node)
        },
    )?;
    let w: Weak<Net> = Arc::downgrade(net);
    let h: rump::sysctl::SysctlHandler = Arc::new(move |name, _cred, _cap, new| {
        let net = w.upgrade().ok_or(Errno::ENXIO)?;
        rtable(&net, name, new).map(Into::into)
    });
    t.create(
        "net.route",
        NodeSpec {
            num: Some(0),
            ..NodeSpec::new(
                "rtable",
                0,
                "Routing table information",
                NodeData::Handler(h),
            )
        },
    )?;
    Ok(())
}

/// The answer to `net.route.rtable.<af>.<op>.<arg>`.
pub fn rtable(net: &Net, name: &[i32], new: Option<&[u8]>) -> KResult<Vec<u8>> {
    if new.is_some() {
        return Err(Errno::EPERM);
    }
    let &[af, op, arg] = name else {
        return Err(Errno::EINVAL);
    };
    let af = u8::try_from(af).map_err(|_| Errno::EINVAL)?;
    let mut out = Vec::new();
    match op {
        // The ARP tables, as NetBSD's lltable_sysctl_dumparp gives them.
        NET_RT_FLAGS if arg == 0 || arg as u32 & RTF_LLDATA != 0 => {
            if af == 0 {
                return Err(Errno::EINVAL);
            }
            for d in net.domains().iter().filter(|d| d.family() == af) {
                for e in d.lltable() {
                    if let Some(ifp) = net.ifindex(e.ifindex) {
                        out.extend(llentry_msg(&ifp, &e));
                    }
                }
            }
        }
        NET_RT_DUMP | NET_RT_FLAGS => {
            for d in net.domains() {
                if af != 0 && d.family() != af {
                    continue;
                }
                for r in d.routes() {
                    if op == NET_RT_FLAGS && r.flags & (arg as u32) == 0 {
                        continue;
                    }
                    out.extend(route_msg(net, &r));
                }
            }
        }
        NET_RT_IFLIST => {
            for ifp in net.interfaces() {
                if arg != 0 && i32::from(ifp.index) != arg {
                    continue;
                }
                out.extend(ifinfo_msg(&ifp));
                // The link address is the interface's first address.
                if af == 0 || af == crate::ifioctl::AF_LINK {
                    let link = IfAddrInfo {
                        addr: sockaddr_dl(&ifp),
                        ..IfAddrInfo::default()
                    };
                    out.extend(newaddr_msg(RTM_NEWADDR, &ifp, &link));
                }
                for d in net.domains() {
                    if af != 0 && d.family() != af {
                        continue;
                    }
                    for a in d.ifaddr_info(&ifp) {
                        out.extend(newaddr_msg(RTM_NEWADDR, &ifp, &a));
                    }
                }
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(out)
}

/// A route as `sysctl_dumpentry` writes it: `RTM_GET`, its destination,
/// gateway (the interface's link address for a route to a network on the
/// link), netmask, interface and local address.
pub fn route_msg(net: &Net, r: &RouteInfo) -> Vec<u8> {
    route_msg_of(crate::route::RTM_GET, net.ifindex(r.ifindex).as_deref(), r)
}

/// [`route_msg`] as a message of type `typ` (`RTM_ADD` when a route is
/// made, `RTM_DELETE` when it goes), the route's interface being `ifp`.
pub fn route_msg_of(typ: u8, ifp: Option<&Ifnet>, r: &RouteInfo) -> Vec<u8> {
    let link_gw = match (&r.gateway, ifp) {
        (None, Some(i)) => Some(link_only(i)),
        _ => None,
    };
    let ifp_sa = ifp.map(sockaddr_dl);
    let mut addrs: Vec<(u32, &[u8])> = vec![(rta::DST, &r.dst)];
    if let Some(g) = r.gateway.as_deref().or(link_gw.as_deref()) {
        addrs.push((rta::GATEWAY, g));
    }
    if let Some(m) = &r.mask {
        addrs.push((rta::NETMASK, m));
    }
    if let Some(s) = &ifp_sa {
        addrs.push((rta::IFP, s));
    }
    if let Some(a) = &r.ifa {
        addrs.push((rta::IFA, a));
    }
    let mut m = build_msg(typ, r.ifindex, r.flags, 0, 0, 0, &addrs);
    let uses = i32::try_from(r.uses).unwrap_or(i32::MAX);
    m[RTM_USE..RTM_USE + 4].copy_from_slice(&uses.to_le_bytes());
    m[RMX_MTU..RMX_MTU + 8].copy_from_slice(&r.mtu.to_le_bytes());
    m[RMX_EXPIRE..RMX_EXPIRE + 8].copy_from_slice(&r.expire.to_le_bytes());
    m
}

/// An ARP entry as `lltable_dump_entry` writes it: `RTM_GET`, the address
/// and the interface's link address carrying the hardware address (none
/// while incomplete), the expiry in `rmx_expire` (0: permanent).
pub fn llentry_msg(ifp: &Ifnet, e: &LlEntry) -> Vec<u8> {
    let sdl = ll_sockaddr(ifp, e.hw);
    let announce = if e.published {
        netbsd_abi::RTF_ANNOUNCE as u32
    } else {
        0
    };
    let flags = LLENTRY_FLAGS | announce | if e.expire.is_none() { RTF_STATIC } else { 0 };
    let addrs: [(u32, &[u8]); 2] = [(rta::DST, &e.dst), (rta::GATEWAY, &sdl)];
    let mut m = build_msg(crate::route::RTM_GET, ifp.index, flags, 0, 0, 0, &addrs);
    m[RMX_EXPIRE..RMX_EXPIRE + 8].copy_from_slice(&e.expire.unwrap_or(0).to_le_bytes());
    m
}

/// The link address of an ARP entry: index, type and, when resolved, the
/// hardware address (`sockaddr_dl_init` with the interface's address
/// length, so it is 14 bytes long either way).
pub fn ll_sockaddr(ifp: &Ifnet, hw: Option<[u8; 6]>) -> Vec<u8> {
    let mut sa = vec![0u8; 14];
    sa[0] = 14;
    sa[1] = crate::ifioctl::AF_LINK;
    sa[2..4].copy_from_slice(&ifp.index.to_le_bytes());
    sa[4] = ifp.if_type();
    if let Some(hw) = hw {
        sa[6] = 6;
        sa[8..14].copy_from_slice(&hw);
    }
    sa
}

/// A link address naming only the interface (`link#N` to netstat).
fn link_only(ifp: &Ifnet) -> Vec<u8> {
    let mut sa = vec![0u8; 20];
    sa[0] = 20;
    sa[1] = crate::ifioctl::AF_LINK;
    sa[2..4].copy_from_slice(&ifp.index.to_le_bytes());
    sa[4] = ifp.if_type();
    sa
}

/// `RTM_IFINFO`: `if_msghdr` (flags, index, `if_data`) and the
/// interface's link address.
pub fn ifinfo_msg(ifp: &Ifnet) -> Vec<u8> {
    let sdl = sockaddr_dl(ifp);
    let mut m = vec![0u8; IF_MSGHDR_LEN];
    m[2] = crate::route::RTM_VERSION;
    m[3] = RTM_IFINFO;
    m[4..8].copy_from_slice(&rta::IFP.to_le_bytes());
    m[8..12].copy_from_slice(&ifp.flags().to_le_bytes());
    m[12..14].copy_from_slice(&ifp.index.to_le_bytes());
    m[16..16 + 136].copy_from_slice(&if_data(ifp));
    push_sa(&mut m, &sdl);
    set_len(&mut m);
    m
}

/// `IFAN_ARRIVAL`, `IFAN_DEPARTURE`.
pub const IFAN_ARRIVAL: u16 = netbsd_abi::IFAN_ARRIVAL as u16;
/// See [`IFAN_ARRIVAL`].
pub const IFAN_DEPARTURE: u16 = netbsd_abi::IFAN_DEPARTURE as u16;

/// `RTM_IFANNOUNCE`: an interface arrived or is leaving
/// (`if_announcemsghdr`: index, name, what).
pub fn ifannounce_msg(ifp: &Ifnet, what: u16) -> Vec<u8> {
    let mut m = vec![0u8; 24];
    m[2] = crate::route::RTM_VERSION;
    m[3] = RTM_IFANNOUNCE;
    m[4..6].copy_from_slice(&ifp.index.to_le_bytes());
    let name = ifp.name.as_bytes();
    let n = name.len().min(15);
    m[6..6 + n].copy_from_slice(&name[..n]);
    m[22..24].copy_from_slice(&what.to_le_bytes());
    set_len(&mut m);
    m
}

/// `RTM_IFINFO` as `if_up`/`if_down` announce it: flags and `if_data`,
/// no addresses.
pub fn ifstate_msg(ifp: &Ifnet) -> Vec<u8> {
    let mut m = vec![0u8; IF_MSGHDR_LEN];
    m[2] = crate::route::RTM_VERSION;
    m[3] = RTM_IFINFO;
    m[8..12].copy_from_slice(&ifp.flags().to_le_bytes());
    m[12..14].copy_from_slice(&ifp.index.to_le_bytes());
    m[16..16 + 136].copy_from_slice(&if_data(ifp));
    set_len(&mut m);
    m
}

/// `RTM_NEWADDR` or `RTM_DELADDR`: `ifa_msghdr` and the address's
/// netmask, address and broadcast address, in `RTA_*` order.
pub fn newaddr_msg(typ: u8, ifp: &Ifnet, a: &IfAddrInfo) -> Vec<u8> {
    let mut m = vec![0u8; IFA_MSGHDR_LEN];
    m[2] = crate::route::RTM_VERSION;
    m[3] = typ;
    let mut bits = 0u32;
    for (bit, sa) in [
        (rta::NETMASK, a.mask.as_deref()),
        (rta::IFA, Some(&a.addr[..])),
        (rta::BRD, a.brd.as_deref()),
    ] {
        if let Some(sa) = sa {
            bits |= bit;
            push_sa(&mut m, sa);
        }
    }
    m[4..8].copy_from_slice(&bits.to_le_bytes());
    m[8..12].copy_from_slice(&a.flags.to_le_bytes());
    m[12..16].copy_from_slice(&ifp.metric().to_le_bytes());
    m[16..18].copy_from_slice(&ifp.index.to_le_bytes());
    set_len(&mut m);
    m
}

fn push_sa(m: &mut Vec<u8>, sa: &[u8]) {
    let at = m.len();
    m.extend_from_slice(sa);
    m.resize(at + crate::route::roundup(sa.len()), 0);
}

fn set_len(m: &mut [u8]) {
    let len = u16::try_from(m.len()).unwrap_or(u16::MAX);
    m[0..2].copy_from_slice(&len.to_le_bytes());
}
