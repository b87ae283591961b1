//! The IPv6 family as the socket layer sees it (`inet6domain`): socket
//! creation and the address ioctls (`in6_control`).

use crate::addr::{self, AF_INET6};
use crate::inet6::{IfAddr6, Inet6, flags};
use crate::raw6::Raw6Socket;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use rumpnet::ifnet::Ifnet;
use rumpnet::net::Domain;
use rumpnet::rtsysctl::{IfAddrInfo, LlEntry};
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
use std::net::Ipv6Addr;
use std::sync::Arc;

/// `sizeof(struct in6_ifreq)` (`netinet6/in6_var.h`): the name, then a
/// union whose largest member is `struct icmp6_ifstat`, 34 `u_quad_t`.
const IN6_IFREQ_SIZE: usize = 16 + 34 * 8;
/// `sizeof(struct in6_aliasreq)`: name, address, destination, prefix
/// mask, flags, then a `struct in6_addrlifetime` (two `time_t`, two
/// `uint32_t`).
const IN6_ALIASREQ_SIZE: usize = 16 + 3 * 28 + 4 + 24;
/// Where `in6_aliasreq` keeps its fields.
const IFRA_ADDR: usize = 16;
const IFRA_PREFIXMASK: usize = 16 + 2 * 28;
const IFRA_FLAGS: usize = 16 + 3 * 28;
/// Where `struct if_addrprefreq` (`net/if.h`) keeps its preference
/// (`int16_t`) and its address (a `sockaddr_storage`).
const IFAP_PREFERENCE: usize = 16;
const IFAP_ADDR: usize = 24;
/// Where `in6_ifreq`'s union starts.
const IFR_IFRU: usize = 16;

/// `SIOCDIFADDR_IN6`, `SIOCGIFAFLAG_IN6`, `SIOCGIFALIFETIME_IN6`,
/// `SIOCAIFADDR_IN6` (`netinet6/in6_var.h`, not in the ABI tables).
pub const SIOCDIFADDR_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_IN, b'i', 25, IN6_IFREQ_SIZE);
/// `SIOCGIFNETMASK_IN6`.
pub const SIOCGIFNETMASK_IN6: u64 =
    netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 37, IN6_IFREQ_SIZE);
/// `SIOCGNBRINFO_IN6`: `struct in6_nbrinfo` is a name, an address, a
/// `long` (probes sent), then three `int`s (router, state, expiry).
pub const SIOCGNBRINFO_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 78, NBRINFO_SIZE);
const NBRINFO_SIZE: usize = 16 + 16 + 8 + 4 + 4 + 4 + 4;
const NBI_ADDR: usize = 16;
const NBI_ASKED: usize = 32;
const NBI_ISROUTER: usize = 40;
const NBI_STATE: usize = 44;
const NBI_EXPIRE: usize = 48;
/// `SIOCGIFAFLAG_IN6`.
pub const SIOCGIFAFLAG_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 73, IN6_IFREQ_SIZE);
/// `SIOCGIFALIFETIME_IN6`.
pub const SIOCGIFALIFETIME_IN6: u64 =
    netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 106, IN6_IFREQ_SIZE);
/// `struct in6_addrlifetime` (`netinet6/in6_var.h`, not in the ABI
/// tables): two `time_t` expiry times, then the valid and preferred
/// lifetimes.
const LT_EXPIRE: usize = 0;
const LT_PREFERRED: usize = 8;
const LT_VLTIME: usize = 16;
const LT_PLTIME: usize = 20;
const LT_SIZE: usize = 24;
/// `SIOCAIFADDR_IN6`.
pub const SIOCAIFADDR_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_IN, b'i', 107, IN6_ALIASREQ_SIZE);

/// `AF_INET6` for the socket layer.
pub struct Inet6Domain {
    /// The stack.
    pub inet: Arc<Inet6>,
}

fn sockaddr_at(data: &[u8], off: usize) -> KResult<addr::ScopedAddr> {
    let sa = data
        .get(off..off + addr::SOCKADDR_IN6_LEN)
        .ok_or(Errno::EINVAL)?;
    Ok(addr::parse_sockaddr(sa)?.0)
}

impl Inet6Domain {
    fn own(&self, ifp: &Ifnet, a: &Ipv6Addr) -> KResult<IfAddr6> {
        self.inet
            .addresses()
            .into_iter()
            .find(|x| x.ifindex == ifp.index && x.addr == *a)
            .ok_or(Errno::EADDRNOTAVAIL)
    }
}

impl Domain for Inet6Domain {
    fn family(&self) -> u8 {
        AF_INET6
    }

    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        if typ == SOCK_RAW {
            return Ok(Raw6Socket::new(ctx, &self.inet, protocol)?);
        }
        // One TCP and one UDP serve both families: netinet's, with
        // sockets of the IPv6 family.
        let inet4 = rumpnet_netinet::inet::Inet::of(ctx.kernel());
        if typ == SOCK_DGRAM && (protocol == 0 || protocol == netbsd_abi::IPPROTO_UDP) {
            return Ok(rumpnet_netinet::udp::UdpSocket::new6(
                &inet4,
                crate::sysctl::UDP6_SENDSPACE,
                crate::sysctl::UDP6_RECVSPACE,
            )?);
        }
        if typ == SOCK_STREAM && (protocol == 0 || protocol == netbsd_abi::IPPROTO_TCP) {
            return Ok(rumpnet_netinet::tcp::socket::TcpSocket::new6(&inet4)?);
        }
        Err(Errno::EPROTONOSUPPORT)
    }

    fn ifioctl(
        &self,
        ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        ifp: &Arc<Ifnet>,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        match cmd {
            SIOCAIFADDR_IN6 => {
                if ctx.cred().euid != 0 {
                    return Err(Errno::EPERM);
                }
                let a = sockaddr_at(data, IFRA_ADDR)?;
                let mask = data
                    .get(IFRA_PREFIXMASK..IFRA_PREFIXMASK + 28)
                    .ok_or(Errno::EINVAL)?;
                let prefixlen = if mask[0] == 0 {
                    // No mask given: keep the one the address has, else /128.
                    self.own(ifp, &a.addr).map_or(128, |x| x.prefixlen)
                } else {
                    let m = addr::parse_sockaddr(mask)
                        .or_else(|_| {
                            // in6_aliasreq's mask may carry family 0.
                            let mut m = mask.to_vec();
                            m[1] = AF_INET6;
                            addr::parse_sockaddr(&m)
                        })?
                        .0;
                    addr::prefix_len(&m.addr).ok_or(Errno::EINVAL)?
                };
                if a.addr.is_unicast_link_local() && a.scope != 0 && a.scope != u32::from(ifp.index)
                {
                    return Err(Errno::EINVAL);
                }
                let f = data.get(IFRA_FLAGS..IFRA_FLAGS + 4).ok_or(Errno::EINVAL)?;
                let given = u32::from_le_bytes([f[0], f[1], f[2], f[3]]);
                self.inet.add_address(
                    ifp,
                    IfAddr6 {
                        ifindex: ifp.index,
                        addr: a.addr,
                        prefixlen,
                        flags: given & flags::NODAD,
                    },
                )
            }
            SIOCDIFADDR_IN6 => {
                if ctx.cred().euid != 0 {
                    return Err(Errno::EPERM);
                }
                let a = sockaddr_at(data, IFR_IFRU)?;
                self.inet.delete_address(ifp.index, &a.addr)
            }
            SIOCGIFAFLAG_IN6 => {
                let a = sockaddr_at(data, IFR_IFRU)?;
                let x = self.own(ifp, &a.addr)?;
                let out = data.get_mut(IFR_IFRU..IFR_IFRU + 4).ok_or(Errno::EINVAL)?;
                out.copy_from_slice(&x.flags.to_le_bytes());
                Ok(())
            }
            SIOCGNBRINFO_IN6 => {
                let b = data.get(NBI_ADDR..NBI_ADDR + 16).ok_or(Errno::EINVAL)?;
                let mut a = [0u8; 16];
                a.copy_from_slice(b);
                // Tools may hand back KAME's embedded form.
                let mut a = Ipv6Addr::from(a);
                if addr::is_link_scoped(&a) {
                    let mut o = a.octets();
                    o[2] = 0;
                    o[3] = 0;
                    a = Ipv6Addr::from(o);
                }
                let e = nbrinfo(&self.inet, ifp, &a).ok_or(Errno::EINVAL)?;
                let put = |d: &mut [u8], at: usize, v: &[u8]| -> KResult<()> {
                    d.get_mut(at..at + v.len())
                        .ok_or(Errno::EINVAL)?
                        .copy_from_slice(v);
                    Ok(())
                };
                put(data, NBI_ASKED, &e.0.to_le_bytes())?;
                put(data, NBI_ISROUTER, &i32::from(e.1).to_le_bytes())?;
                put(data, NBI_STATE, &e.2.to_le_bytes())?;
                put(data, NBI_EXPIRE, &e.3.to_le_bytes())
            }
            SIOCGIFNETMASK_IN6 => {
                let a = sockaddr_at(data, IFR_IFRU)?;
                let x = self.own(ifp, &a.addr)?;
                let m = addr::sockaddr(&addr::prefix_mask(x.prefixlen), 0, 0);
                data.get_mut(IFR_IFRU..IFR_IFRU + m.len())
                    .ok_or(Errno::EINVAL)?
                    .copy_from_slice(&m);
                Ok(())
            }
            netbsd_abi::SIOCGIFADDRPREF | netbsd_abi::SIOCSIFADDRPREF => {
                // ifaddrpref_ioctl: we select sources without
                // preferences, so every address has the default, 0.
                if cmd == netbsd_abi::SIOCSIFADDRPREF {
                    if ctx.cred().euid != 0 {
                        return Err(Errno::EPERM);
                    }
                    ctx.kernel().printf(&format!(
                        "{}: address preferences for source selection are not supported yet",
                        ifp.name
                    ));
                    return Err(Errno::EOPNOTSUPP);
                }
                let a = sockaddr_at(data, IFAP_ADDR)?;
                self.own(ifp, &a.addr)?;
                data.get_mut(IFAP_PREFERENCE..IFAP_PREFERENCE + 2)
                    .ok_or(Errno::EINVAL)?
                    .copy_from_slice(&0i16.to_le_bytes());
                Ok(())
            }
            SIOCGIFALIFETIME_IN6 => {
                let a = sockaddr_at(data, IFR_IFRU)?;
                self.own(ifp, &a.addr)?;
                // struct in6_addrlifetime: the expiry times in wall-clock
                // seconds (0: never), then the valid and preferred
                // lifetimes; addresses configured by hand live for ever
                // (ND6_INFINITE_LIFETIME).
                let (mut expire, mut preferred) = (0i64, 0i64);
                let (mut vl, mut pl) = (u32::MAX, u32::MAX);
                if let Some(l) = self.inet.address_lifetime(ifp.index, &a.addr) {
                    let clock = &self.inet.clock;
                    let at =
                        |d: Option<std::time::Duration>| d.map_or(0, |d| wall_seconds(clock, d));
                    (expire, preferred, vl, pl) =
                        (at(l.expire), at(l.preferred_until), l.valid, l.preferred);
                }
                let out = data
                    .get_mut(IFR_IFRU..IFR_IFRU + LT_SIZE)
                    .ok_or(Errno::EINVAL)?;
                out[LT_EXPIRE..LT_EXPIRE + 8].copy_from_slice(&expire.to_le_bytes());
                out[LT_PREFERRED..LT_PREFERRED + 8].copy_from_slice(&preferred.to_le_bytes());
                out[LT_VLTIME..LT_VLTIME + 4].copy_from_slice(&vl.to_le_bytes());
                out[LT_PLTIME..LT_PLTIME + 4].copy_from_slice(&pl.to_le_bytes());
                Ok(())
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn ifaddrs(&self, ifp: &Ifnet) -> Vec<Vec<u8>> {
        self.ifaddr_info(ifp).into_iter().map(|i| i.addr).collect()
    }

    fn ifaddr_info(&self, ifp: &Ifnet) -> Vec<IfAddrInfo> {
        self.inet
            .addresses()
            .into_iter()
            .filter(|x| x.ifindex == ifp.index)
            .map(|x| crate::announce6::ifaddr_info(ifp, &x))
            .collect()
    }

    /// The neighbour cache, then each interface's own addresses as
    /// permanent entries, as NetBSD's lltable keeps them.
    fn lltable(&self) -> Vec<LlEntry> {
        let manual = self.inet.static_neighbors();
        let by_hand = |i: u16, a: &Ipv6Addr| manual.iter().any(|m| m.ifindex == i && m.addr == *a);
        let mut v: Vec<LlEntry> = self
            .inet
            .neighbors()
            .into_iter()
            .filter(|n| n.lladdr.is_some() && !by_hand(n.ifindex, &n.addr))
            .map(|n| LlEntry {
                dst: addr::sockaddr_embedded(&n.addr, u32::from(n.ifindex)),
                ifindex: n.ifindex,
                hw: n.lladdr,
                expire: Some(wall_seconds(&self.inet.clock, n.expire)),
                published: false,
            })
            .collect();
        // Entries added by hand keep their la_expire as it was given.
        v.extend(manual.iter().map(|m| LlEntry {
            dst: addr::sockaddr_embedded(&m.addr, u32::from(m.ifindex)),
            ifindex: m.ifindex,
            hw: Some(m.lladdr),
            expire: m.expire.map(|e| e.as_secs() as i64),
            published: m.published,
        }));
        let Some(net) = self.inet.net() else {
            return v;
        };
        for x in self.inet.addresses() {
            let Some(ifp) = net.ifindex(x.ifindex) else {
                continue;
            };
            if ifp.link_type() != rumpnet::ifnet::LinkType::Ethernet {
                continue;
            }
            v.push(LlEntry {
                dst: addr::sockaddr_embedded(&x.addr, u32::from(x.ifindex)),
                ifindex: x.ifindex,
                hw: Some(ifp.hwaddr.0),
                expire: None,
                published: false,
            });
        }
        v
    }

    fn routes(&self) -> Vec<rumpnet::route::RouteInfo> {
        match self.inet.net() {
            Some(net) => crate::routes6::routes(&net, &self.inet, &self.inet.addresses()),
            None => Vec::new(),
        }
    }

    fn route(&self, req: &rumpnet::route::RouteRequest) -> KResult<rumpnet::route::RouteInfo> {
        self.inet.route_request(req)
    }

    fn if_changed(&self, ifp: &Arc<Ifnet>) {
        self.inet.if_up(ifp);
    }

    fn if_detach(&self, ifp: &Ifnet) {
        self.inet.if_detach(ifp.index);
    }
}

/// Wall-clock seconds at monotonic time `t`.
pub(crate) fn wall_seconds(clock: &rump::clock::KernelClock, t: std::time::Duration) -> i64 {
    let now = clock.monotonic();
    let wall = clock.wall();
    let at = if t >= now {
        wall + (t - now)
    } else {
        wall.saturating_sub(now - t)
    };
    at.as_secs() as i64
}

/// What `SIOCGNBRINFO_IN6` answers about `a` on `ifp`: probes sent,
/// router, state, expiry (wall-clock seconds; 0 for our own addresses,
/// which are permanent).
fn nbrinfo(inet: &Inet6, ifp: &Ifnet, a: &Ipv6Addr) -> Option<(i64, bool, i32, i32)> {
    let reachable = crate::nd6::NdState::Reachable.code();
    if let Some(m) = inet
        .static_neighbors()
        .into_iter()
        .find(|m| m.ifindex == ifp.index && m.addr == *a)
    {
        // time_mono_to_wall(la_expire) in nbi.expire, an int: what it
        // does not hold wraps, as in NetBSD's kernel.
        let expire = m.expire.map_or(0, |e| wall_seconds(&inet.clock, e) as i32);
        return Some((0, false, reachable, expire));
    }
    if let Some(n) = inet
        .neighbors()
        .into_iter()
        .find(|n| n.ifindex == ifp.index && n.addr == *a)
    {
        let expire = i32::try_from(wall_seconds(&inet.clock, n.expire)).unwrap_or(i32::MAX);
        return Some((i64::from(n.asked), n.router, n.state.code(), expire));
    }
    inet.local_flags(a, u32::from(ifp.index))
        .map(|_| (0, false, reachable, 0))
}
