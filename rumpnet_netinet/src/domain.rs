//! The Internet family as the socket layer sees it (`inetdomain`): socket
//! creation by type and protocol, and the address ioctls (`in_control`).

use crate::addr::{self, AF_INET, ANY};
use crate::inet::{IfAddr, Inet};
use crate::raw::RawSocket;
use crate::udp::UdpSocket;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_POINTOPOINT, Ifnet};
use rumpnet::net::{Domain, Net};
use rumpnet::route::{RouteInfo, RouteRequest};
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
use std::sync::Arc;

/// `SIOCSIFADDR`.
pub const SIOCSIFADDR: u64 = netbsd_abi::SIOCSIFADDR;
/// `SIOCGIFADDR`.
pub const SIOCGIFADDR: u64 = netbsd_abi::SIOCGIFADDR;
/// `SIOCGIFDSTADDR`.
pub const SIOCGIFDSTADDR: u64 = netbsd_abi::SIOCGIFDSTADDR;
/// `SIOCGIFBRDADDR`.
pub const SIOCGIFBRDADDR: u64 = netbsd_abi::SIOCGIFBRDADDR;
/// `SIOCGIFNETMASK`.
pub const SIOCGIFNETMASK: u64 = netbsd_abi::SIOCGIFNETMASK;
/// `SIOCSIFNETMASK`.
pub const SIOCSIFNETMASK: u64 = netbsd_abi::SIOCSIFNETMASK;
/// `SIOCDIFADDR`.
pub const SIOCDIFADDR: u64 = netbsd_abi::SIOCDIFADDR;
/// `SIOCAIFADDR`.
pub const SIOCAIFADDR: u64 = netbsd_abi::SIOCAIFADDR;
/// `SIOCGIFALIAS`.
pub const SIOCGIFALIAS: u64 = netbsd_abi::SIOCGIFALIAS;
/// `SIOCGIFAFLAG_IN`.
pub const SIOCGIFAFLAG_IN: u64 = netbsd_abi::SIOCGIFAFLAG_IN;

/// `IPPROTO_ICMP`, `IPPROTO_UDP`, `IPPROTO_TCP`, `IPPROTO_RAW`.
const IPPROTO_UDP: i32 = netbsd_abi::IPPROTO_UDP;
const IPPROTO_TCP: i32 = netbsd_abi::IPPROTO_TCP;

/// `AF_INET` for the socket layer.
pub struct InetDomain {
    /// The stack.
    pub inet: Arc<Inet>,
}

fn put_sa(data: &mut [u8], off: usize, a: u32) -> KResult<()> {
    data.get_mut(off..off + 16)
        .ok_or(Errno::EINVAL)?
        .copy_from_slice(&addr::sockaddr(a, 0));
    Ok(())
}

fn broadcast_of(ifp: &Ifnet, a: u32, mask: u32) -> u32 {
    if ifp.flags() & IFF_BROADCAST != 0 && mask != u32::MAX {
        a | !mask
    } else {
        0
    }
}

impl InetDomain {
    fn aifaddr(&self, ctx: &Ctx, data: &[u8], ifp: &Arc<Ifnet>) -> KResult<()> {
        let a = addr::ioctl_sockaddr(data, 16).ok_or(Errno::EINVAL)?;
        let existing = self
            .inet
            .addresses()
            .into_iter()
            .find(|x| x.addr == a && x.ifindex == ifp.index);
        let mask = addr::ioctl_sockaddr(data, 48)
            .or_else(|| existing.as_ref().map(|x| x.mask))
            .unwrap_or_else(|| addr::class_mask(a));
        if addr::prefix_len(mask).is_none() {
            return Err(Errno::EINVAL);
        }
        let given = addr::ioctl_sockaddr(data, 32).filter(|&b| b != ANY);
        let bcast = if ifp.flags() & IFF_POINTOPOINT != 0 {
            given.ok_or(Errno::EINVAL)?
        } else {
            given.unwrap_or_else(|| broadcast_of(ifp, a, mask))
        };
        self.put(ctx, ifp, a, mask, bcast)
    }

    /// Add or change address `a` on `ifp`.
    fn put(&self, ctx: &Ctx, ifp: &Arc<Ifnet>, a: u32, mask: u32, bcast: u32) -> KResult<()> {
        let x = IfAddr {
            ifindex: ifp.index,
            addr: a,
            mask,
            bcast,
        };
        self.inet.add_address(&Net::of(ctx.kernel()), ifp, x)
    }

    fn first(&self, ifp: &Ifnet) -> KResult<IfAddr> {
        self.inet
            .addresses()
            .into_iter()
            .find(|x| x.ifindex == ifp.index)
            .ok_or(Errno::EADDRNOTAVAIL)
    }
}

/// Where `struct if_addrprefreq` (`net/if.h`, not in the ABI tables) keeps
/// its preference (`int16_t`) and its address (a `sockaddr_storage`).
const IFAP_PREFERENCE: usize = 16;
const IFAP_ADDR: usize = 24;

impl InetDomain {
    /// `SIOCGIFADDRPREF` (`ifaddrpref_ioctl`): an address's preference for
    /// source selection. We select sources without preferences, so every
    /// address has the default, 0, and setting one is not supported yet.
    fn addrpref(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], ifp: &Ifnet) -> KResult<()> {
        if cmd == netbsd_abi::SIOCSIFADDRPREF && ctx.cred().euid != 0 {
            return Err(Errno::EPERM);
        }
        let len = *data.get(IFAP_ADDR).ok_or(Errno::EINVAL)?;
        let a = addr::ioctl_sockaddr(data, IFAP_ADDR)
            .filter(|_| usize::from(len) == addr::SOCKADDR_IN_LEN)
            .ok_or(Errno::EINVAL)?;
        if !self
            .inet
            .addresses()
            .iter()
            .any(|x| x.ifindex == ifp.index && x.addr == a)
        {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if cmd == netbsd_abi::SIOCSIFADDRPREF {
            ctx.kernel().printf(&format!(
                "{}: address preferences for source selection are not supported yet",
                ifp.name
            ));
            return Err(Errno::EOPNOTSUPP);
        }
        data.get_mut(IFAP_PREFERENCE..IFAP_PREFERENCE + 2)
            .ok_or(Errno::EINVAL)?
            .copy_from_slice(&0i16.to_le_bytes());
        put_sa(data, IFAP_ADDR, a)
    }

    /// arp(8) asking about an address without an entry (rtsock.c's
    /// `RTM_GET` with `RTF_LLDATA`): the route that covers it, unless that
    /// is a host route to the address itself, answers with the address
    /// and the link address of the route's interface, without a hardware
    /// address (`route_get_sdl`); arp(8) learns from it where to add one.
    fn arp_get_missing(&self, dst: u32) -> KResult<RouteInfo> {
        let net = self.inet.net().ok_or(Errno::ENXIO)?;
        let r = self.inet.lookup(dst).ok_or(Errno::ESRCH)?;
        let mut info = r.info(&self.inet.addresses(), Some(&net));
        if r.dst == dst && r.mask == u32::MAX {
            return Ok(info);
        }
        let ifp = net.ifindex(r.ifindex).ok_or(Errno::ENXIO)?;
        info.dst = addr::sockaddr(dst, 0);
        info.gateway = Some(rumpnet::rtsysctl::ll_sockaddr(&ifp, None));
        info.flags |= rumpnet::rtsysctl::RTF_LLDATA;
        Ok(info)
    }

    /// arp(8)'s requests on the routing socket: look an entry up (the
    /// answer's gateway is its link address), delete it, or add a
    /// permanent one.
    fn arp_request(
        &self,
        cmd: u8,
        dst: u32,
        link_gw: Option<&[u8]>,
        expire: i64,
    ) -> KResult<RouteInfo> {
        use crate::inet::{RTF_HOST, RTF_STATIC, RTF_UP};
        use rumpnet::route::{RTM_ADD, RTM_DELETE, RTM_GET};
        let net = self.inet.net().ok_or(Errno::ENXIO)?;
        let entry = |ip: u32| self.inet.arp_entries().into_iter().find(|e| e.ip == ip);
        let answer = |e: &crate::arp::ArpEntry| -> KResult<RouteInfo> {
            let ifp = net.ifindex(e.ifindex).ok_or(Errno::ENXIO)?;
            let stat = if e.expires.is_none() { RTF_STATIC } else { 0 };
            Ok(RouteInfo {
                dst: addr::sockaddr(e.ip, 0),
                gateway: Some(rumpnet::rtsysctl::ll_sockaddr(&ifp, e.hw.map(|h| h.0))),
                ifindex: e.ifindex,
                flags: RTF_UP | RTF_HOST | rumpnet::rtsysctl::RTF_LLDATA | stat,
                ..RouteInfo::default()
            })
        };
        match cmd {
            RTM_GET => match entry(dst) {
                Some(e) => answer(&e),
                None => self.arp_get_missing(dst),
            },
            RTM_DELETE => {
                let e = entry(dst).ok_or(Errno::ENOENT)?;
                let ifindex = link_gw
                    .map(|g| u16::from_le_bytes([g[2], g[3]]))
                    .filter(|&i| i != 0)
                    .unwrap_or(e.ifindex);
                let r = answer(&e)?;
                if !self.inet.arp_delete(ifindex, dst) {
                    return Err(Errno::ENOENT);
                }
                Ok(r)
            }
            RTM_ADD => {
                let g = link_gw.ok_or(Errno::EINVAL)?;
                let at = 8 + usize::from(g[5]);
                let hw: [u8; 6] = g
                    .get(at..at + 6)
                    .filter(|_| g[6] == 6)
                    .and_then(|b| b.try_into().ok())
                    .ok_or(Errno::EINVAL)?;
                // rmx_expire is wall-clock seconds; 0 makes it permanent.
                let wall = self.inet.wall_secs();
                let lifetime = (expire != 0).then(|| {
                    std::time::Duration::from_secs(expire.saturating_sub(wall).max(0) as u64)
                });
                self.inet
                    .arp_set(dst, rumpnet::wire::ethernet::Address(hw), lifetime)?;
                answer(&entry(dst).ok_or(Errno::ENOENT)?)
            }
            _ => Err(Errno::EOPNOTSUPP),
        }
    }
}

impl Domain for InetDomain {
    fn family(&self) -> u8 {
        AF_INET
    }

    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        match (typ, protocol) {
            (SOCK_DGRAM, 0 | IPPROTO_UDP) => Ok(UdpSocket::new(&self.inet)),
            (SOCK_RAW, p) => Ok(RawSocket::new(ctx, &self.inet, p)?),
            (SOCK_STREAM, 0 | IPPROTO_TCP) => Ok(crate::tcp::socket::TcpSocket::new(&self.inet)),
            (SOCK_DGRAM | SOCK_STREAM, _) => Err(Errno::EPROTONOSUPPORT),
            _ => Err(Errno::EPROTOTYPE),
        }
    }

    fn ifioctl(
        &self,
        ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        ifp: &Arc<Ifnet>,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        let root = || {
            if ctx.cred().euid == 0 {
                Ok(())
            } else {
                Err(Errno::EPERM)
            }
        };
        match cmd {
            SIOCAIFADDR => {
                root()?;
                self.aifaddr(ctx, data, ifp)
            }
            SIOCDIFADDR => {
                root()?;
                let a = match addr::ioctl_sockaddr(data, 16) {
                    Some(a) => a,
                    None => self.first(ifp)?.addr,
                };
                self.inet.remove_address(ifp.index, a)
            }
            SIOCSIFADDR => {
                root()?;
                let a = addr::ioctl_sockaddr(data, 16).ok_or(Errno::EINVAL)?;
                if let Ok(old) = self.first(ifp) {
                    self.inet.remove_address(ifp.index, old.addr)?;
                }
                let mask = addr::class_mask(a);
                self.put(ctx, ifp, a, mask, broadcast_of(ifp, a, mask))
            }
            SIOCSIFNETMASK => {
                root()?;
                let mask = addr::ioctl_sockaddr(data, 16).ok_or(Errno::EINVAL)?;
                if addr::prefix_len(mask).is_none() {
                    return Err(Errno::EINVAL);
                }
                let mut a = self.first(ifp)?;
                a.mask = mask;
                a.bcast = broadcast_of(ifp, a.addr, mask);
                self.inet.add_address(&Net::of(ctx.kernel()), ifp, a)
            }
            SIOCGIFADDR => put_sa(data, 16, self.first(ifp)?.addr),
            SIOCGIFNETMASK => put_sa(data, 16, self.first(ifp)?.mask),
            SIOCGIFBRDADDR | SIOCGIFDSTADDR => put_sa(data, 16, self.first(ifp)?.bcast),
            SIOCGIFAFLAG_IN => {
                let a = addr::ioctl_sockaddr(data, 16).ok_or(Errno::EINVAL)?;
                if !self
                    .inet
                    .addresses()
                    .iter()
                    .any(|x| x.ifindex == ifp.index && x.addr == a)
                {
                    return Err(Errno::EADDRNOTAVAIL);
                }
                let flags = self.inet.addr_flags(ifp.index, a) as i32;
                let at = netbsd_abi::layout::ifreq::ifr_ifru__ifru_addrflags.range();
                data.get_mut(at)
                    .ok_or(Errno::EINVAL)?
                    .copy_from_slice(&flags.to_le_bytes());
                Ok(())
            }
            SIOCGIFALIAS => {
                let a = addr::ioctl_sockaddr(data, 16).ok_or(Errno::EINVAL)?;
                let x = self
                    .inet
                    .addresses()
                    .into_iter()
                    .find(|x| x.ifindex == ifp.index && x.addr == a)
                    .ok_or(Errno::EADDRNOTAVAIL)?;
                put_sa(data, 32, x.bcast)?;
                put_sa(data, 48, x.mask)
            }
            netbsd_abi::SIOCGIFADDRPREF | netbsd_abi::SIOCSIFADDRPREF => {
                self.addrpref(ctx, cmd, data, ifp)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn ifaddrs(&self, ifp: &Ifnet) -> Vec<Vec<u8>> {
        self.inet
            .addresses()
            .into_iter()
            .filter(|x| x.ifindex == ifp.index)
            .map(|x| addr::sockaddr(x.addr, 0))
            .collect()
    }

    fn if_changed(&self, ifp: &Arc<Ifnet>) {
        self.inet.if_changed(ifp);
    }

    fn if_detach(&self, ifp: &Ifnet) {
        self.inet.detach_interface(ifp);
    }

    fn route(&self, req: &RouteRequest) -> KResult<RouteInfo> {
        use crate::inet::{RTF_GATEWAY, RTF_HOST};
        use rumpnet::route::{RTM_ADD, RTM_CHANGE, RTM_DELETE, RTM_GET};
        let inaddr = |sa: &[u8]| -> Option<u32> {
            (sa.len() >= 8 && sa[1] == AF_INET)
                .then(|| u32::from_be_bytes([sa[4], sa[5], sa[6], sa[7]]))
        };
        let dst = inaddr(&req.dst).ok_or(Errno::EINVAL)?;
        let link_gw = req
            .gateway
            .as_deref()
            .filter(|g| g.len() >= 8 && g[1] == rumpnet::ifioctl::AF_LINK);
        // arp(8): requests about link-layer entries (RTF_LLDATA, or the
        // old binaries' RTM_GET without RTF_UP, or a link-address gateway).
        if req.flags & rumpnet::rtsysctl::RTF_LLDATA != 0
            || link_gw.is_some()
            || (req.cmd == RTM_GET && req.flags & crate::inet::RTF_UP == 0)
        {
            return self.arp_request(req.cmd, dst, link_gw, req.expire);
        }
        // A mask may be cut short after its last non-zero byte, and its
        // family left unset (route(8) does both); none means a host.
        let mask = match &req.mask {
            Some(m) if req.flags & RTF_HOST == 0 => {
                let mut b = [0u8; 4];
                for (i, x) in b.iter_mut().enumerate() {
                    *x = m.get(4 + i).copied().unwrap_or(0);
                }
                u32::from_be_bytes(b)
            }
            _ => u32::MAX,
        };
        if addr::prefix_len(mask).is_none() {
            return Err(Errno::EINVAL);
        }
        let gateway = req.gateway.as_deref().and_then(inaddr);
        let r = match req.cmd {
            RTM_ADD => self
                .inet
                .add_route(dst, mask, gateway.ok_or(Errno::EINVAL)?, req.flags)?,
            RTM_DELETE => self.inet.delete_route(dst, mask)?,
            RTM_CHANGE => {
                let old = self.inet.delete_route(dst, mask)?;
                let g = gateway.ok_or(Errno::EINVAL)?;
                match self
                    .inet
                    .add_route(dst, mask, g, req.flags | (old.flags & RTF_GATEWAY))
                {
                    Ok(r) => r,
                    Err(e) => {
                        let back = old.gateway.unwrap_or(0);
                        let _ = self.inet.add_route(old.dst, old.mask, back, old.flags);
                        return Err(e);
                    }
                }
            }
            RTM_GET => self.inet.lookup(dst).ok_or(Errno::ESRCH)?,
            _ => return Err(Errno::EOPNOTSUPP),
        };
        Ok(r.info(&self.inet.addresses(), self.inet.net().as_deref()))
    }

    fn routes(&self) -> Vec<RouteInfo> {
        let addrs = self.inet.addresses();
        let net = self.inet.net();
        // In the order of NetBSD's radix tree walk: by destination, the
        // more specific mask first among equal keys.
        let mut routes = self.inet.routes();
        routes.sort_by_key(|r| (r.dst, std::cmp::Reverse(r.mask)));
        routes
            .iter()
            .map(|r| r.info(&addrs, net.as_deref()))
            .collect()
    }

    fn lltable(&self) -> Vec<rumpnet::rtsysctl::LlEntry> {
        let wall = self.inet.wall_secs();
        self.inet
            .arp_entries()
            .into_iter()
            .map(|e| rumpnet::rtsysctl::LlEntry {
                dst: addr::sockaddr(e.ip, 0),
                ifindex: e.ifindex,
                hw: e.hw.map(|h| h.0),
                expire: e.expires.map(|d| wall + d.as_secs() as i64),
                published: false,
            })
            .collect()
    }

    fn ifaddr_info(&self, ifp: &Ifnet) -> Vec<rumpnet::rtsysctl::IfAddrInfo> {
        self.inet
            .addresses()
            .into_iter()
            .filter(|a| a.ifindex == ifp.index)
            .map(|a| a.info(ifp))
            .collect()
    }
}
