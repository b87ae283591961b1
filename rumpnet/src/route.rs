//! The routing socket (`PF_ROUTE`, NetBSD's `rtsock.c`): processes write
//! `rt_msghdr` messages (add, delete, change, get a route) followed by
//! sockaddrs, and every routing socket reads the kernel's answer. The
//! routes themselves belong to each protocol family ([`Domain::route`]).

use crate::net::{Domain, Net};
use crate::socket::{ProtoSocket, Received, SOCK_RAW, SockShared, poll_bits};
use rump::syscall::Ctx;
use rump::{Errno, KResult, Kernel};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};

/// `PF_ROUTE`.
pub const PF_ROUTE: u8 = netbsd_abi::PF_ROUTE as u8;
/// `RTM_VERSION`.
pub const RTM_VERSION: u8 = netbsd_abi::RTM_VERSION as u8;
/// `RTM_ADD`.
pub const RTM_ADD: u8 = netbsd_abi::RTM_ADD as u8;
/// `RTM_DELETE`.
pub const RTM_DELETE: u8 = netbsd_abi::RTM_DELETE as u8;
/// `RTM_CHANGE`.
pub const RTM_CHANGE: u8 = netbsd_abi::RTM_CHANGE as u8;
/// `RTM_GET`.
pub const RTM_GET: u8 = netbsd_abi::RTM_GET as u8;
/// `RTF_DONE`.
pub const RTF_DONE: u32 = netbsd_abi::RTF_DONE as u32;
/// `RTF_UP`.
const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
/// `AF_INET`, whose messages carry netmasks as the table keeps them.
const AF_INET: u8 = netbsd_abi::AF_INET as u8;
/// `sizeof(struct rt_msghdr)`.
pub const RT_MSGHDR_LEN: usize = netbsd_abi::layout::rt_msghdr::SIZE;
/// The `RTA_*` bits, in the order their sockaddrs follow the header.
pub mod rta {
    /// Destination.
    pub const DST: u32 = netbsd_abi::RTA_DST as u32;
    /// Gateway.
    pub const GATEWAY: u32 = netbsd_abi::RTA_GATEWAY as u32;
    /// Netmask.
    pub const NETMASK: u32 = netbsd_abi::RTA_NETMASK as u32;
    /// Cloning mask.
    pub const GENMASK: u32 = netbsd_abi::RTA_GENMASK as u32;
    /// Interface name (sockaddr_dl).
    pub const IFP: u32 = netbsd_abi::RTA_IFP as u32;
    /// Interface address.
    pub const IFA: u32 = netbsd_abi::RTA_IFA as u32;
    /// Author of a redirect.
    pub const AUTHOR: u32 = netbsd_abi::RTA_AUTHOR as u32;
    /// Broadcast address.
    pub const BRD: u32 = netbsd_abi::RTA_BRD as u32;
    /// Tag.
    pub const TAG: u32 = netbsd_abi::RTA_TAG as u32;
    /// How many kinds there are.
    pub const MAX: usize = netbsd_abi::RTAX_MAX as usize;
}

/// A route as a family reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteInfo {
    /// Destination sockaddr.
    pub dst: Vec<u8>,
    /// Gateway sockaddr (a `sockaddr_dl` for interface routes).
    pub gateway: Option<Vec<u8>>,
    /// Netmask sockaddr (`None` for host routes).
    pub mask: Option<Vec<u8>>,
    /// The local address used on the route.
    pub ifa: Option<Vec<u8>>,
    /// Outgoing interface.
    pub ifindex: u16,
    /// `RTF_*`.
    pub flags: u32,
    /// Times used.
    pub uses: u64,
    /// Path MTU (`rmx_mtu`), 0 if unset.
    pub mtu: u64,
    /// `rmx_expire`, wall-clock seconds; 0: none.
    pub expire: i64,
}

/// What a process asked for.
#[derive(Clone, Debug, Default)]
pub struct RouteRequest {
    /// `RTM_*`.
    pub cmd: u8,
    /// `RTF_*` given.
    pub flags: u32,
    /// Destination.
    pub dst: Vec<u8>,
    /// Gateway.
    pub gateway: Option<Vec<u8>>,
    /// Netmask (`None`: a host route).
    pub mask: Option<Vec<u8>>,
    /// `rmx_expire`: when the route (an ARP entry) expires, wall-clock
    /// seconds; 0: never.
    pub expire: i64,
}

/// An IPv4 netmask sockaddr as NetBSD's routing table keeps it
/// (`rn_addmask`): the bytes before the address all ones, the length cut
/// after the last non-zero byte; no address bits at all is the table's
/// zero mask, of length 0.
pub fn radix_mask4(mask: &[u8]) -> Vec<u8> {
    const SIN_ADDR_AT: usize = 4;
    if mask.iter().skip(SIN_ADDR_AT).all(|&b| b == 0) {
        return Vec::new();
    }
    let mut sa = mask.to_vec();
    if let Some(head) = sa.get_mut(1..SIN_ADDR_AT) {
        head.fill(0xff);
    }
    let len = sa.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    sa.truncate(len);
    if let Some(l) = sa.first_mut() {
        *l = len as u8;
    }
    sa
}

/// `RT_ROUNDUP`: sockaddrs are padded to 8 bytes; an empty one takes 8.
pub fn roundup(len: usize) -> usize {
    if len == 0 { 8 } else { len.div_ceil(8) * 8 }
}

/// Split the sockaddrs after a header by the `rtm_addrs` bits. As
/// `rt_xaddrs`, the message may end before every bit has its sockaddr
/// (arp(8) asks `RTA_IFP` with none): those are absent.
pub fn parse_addrs(addrs: u32, mut b: &[u8]) -> KResult<[Option<Vec<u8>>; rta::MAX]> {
    let mut out: [Option<Vec<u8>>; rta::MAX] = Default::default();
    for (i, slot) in out.iter_mut().enumerate() {
        if addrs & (1 << i) == 0 {
            continue;
        }
        if b.is_empty() {
            break;
        }
        let len = usize::from(*b.first().ok_or(Errno::EINVAL)?);
        let step = roundup(len);
        if step > b.len() {
            return Err(Errno::EINVAL);
        }
        *slot = Some(b[..len].to_vec());
        b = &b[step..];
    }
    Ok(out)
}

/// A message: header fields and sockaddrs (`rt_msg1`).
pub fn build_msg(
    typ: u8,
    index: u16,
    flags: u32,
    pid: i32,
    seq: i32,
    errno: i32,
    addrs: &[(u32, &[u8])],
) -> Vec<u8> {
    let mut m = vec![0u8; RT_MSGHDR_LEN];
    m[2] = RTM_VERSION;
    m[3] = typ;
    m[4..6].copy_from_slice(&index.to_le_bytes());
    m[8..12].copy_from_slice(&flags.to_le_bytes());
    let mut bits = 0u32;
    for (bit, sa) in addrs {
        bits |= bit;
        let mut s = sa.to_vec();
        s.resize(roundup(sa.len()), 0);
        m.extend_from_slice(&s);
    }
    m[12..16].copy_from_slice(&bits.to_le_bytes());
    m[16..20].copy_from_slice(&pid.to_le_bytes());
    m[20..24].copy_from_slice(&seq.to_le_bytes());
    m[24..28].copy_from_slice(&errno.to_le_bytes());
    let len = m.len() as u16;
    m[0..2].copy_from_slice(&len.to_le_bytes());
    m
}

#[derive(Default)]
struct State {
    q: VecDeque<Vec<u8>>,
    bytes: usize,
    rd_shut: bool,
    wr_shut: bool,
}

/// A routing socket.
pub struct RouteSocket {
    net: Weak<Net>,
    family: u8,
    shared: SockShared,
    st: Mutex<State>,
}

impl RouteSocket {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        rump::sync::lock(&self.st)
    }

    fn deliver(&self, msg: &[u8]) {
        let limit = self.shared.opts().rcvbuf;
        {
            let mut s = self.lock();
            if s.rd_shut || s.bytes + msg.len() > limit {
                return;
            }
            s.bytes += msg.len();
            s.q.push_back(msg.to_vec());
        }
        self.shared.wait.wakeup();
    }
}

/// Send `msg` (about family `af`, 0 for all) to every routing socket that
/// listens for it (`route_enqueue`).
pub fn broadcast(net: &Net, af: u8, msg: &[u8]) {
    for s in net.route_sockets() {
        if s.family == 0 || af == 0 || s.family == af {
            s.deliver(msg);
        }
    }
}

impl ProtoSocket for RouteSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(PF_ROUTE), SOCK_RAW, i32::from(self.family))
    }

    fn send(&self, ctx: &Ctx, m: &[u8], _to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        if self.lock().wr_shut {
            return Err(Errno::EPIPE);
        }
        if m.len() < RT_MSGHDR_LEN {
            return Err(Errno::EINVAL);
        }
        let msglen = usize::from(u16::from_le_bytes([m[0], m[1]]));
        if msglen != m.len() {
            return Err(Errno::EINVAL);
        }
        if m[2] != RTM_VERSION {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let net = self.net.upgrade().ok_or(Errno::ENETDOWN)?;
        let typ = m[3];
        let flags = u32::from_le_bytes(m[8..12].try_into().unwrap_or_default());
        let addrs = u32::from_le_bytes(m[12..16].try_into().unwrap_or_default());
        let seq = i32::from_le_bytes(m[20..24].try_into().unwrap_or_default());
        let sas = parse_addrs(addrs, &m[RT_MSGHDR_LEN..])?;
        let dst = sas[0].clone().ok_or(Errno::EINVAL)?;
        let af = *dst.get(1).ok_or(Errno::EINVAL)?;
        if !matches!(typ, RTM_ADD | RTM_DELETE | RTM_CHANGE | RTM_GET) {
            return Err(Errno::EOPNOTSUPP);
        }
        if typ != RTM_GET && ctx.cred().euid != 0 {
            return Err(Errno::EACCES);
        }
        let d: Arc<dyn Domain> = net.domain(af).ok_or(Errno::EAFNOSUPPORT)?;
        let req = RouteRequest {
            cmd: typ,
            flags,
            dst,
            gateway: sas[1].clone(),
            mask: sas[2].clone(),
            expire: {
                use netbsd_abi::layout::{rt_metrics, rt_msghdr};
                let at = rt_msghdr::rtm_rmx.offset;
                rt_metrics::rmx_expire.get(&m[at..]).unwrap_or(0) as i64
            },
        };
        let pid = ctx.proc().pid;
        let reply = d.route(&req);
        let (errno, info) = match &reply {
            Ok(i) => (0, i.clone()),
            Err(e) => (
                e.0,
                RouteInfo {
                    dst: req.dst.clone(),
                    gateway: req.gateway.clone(),
                    mask: req.mask.clone(),
                    flags,
                    ..RouteInfo::default()
                },
            ),
        };
        let ifp_sa = net
            .ifindex(info.ifindex)
            .map(|i| crate::ifioctl::sockaddr_dl(&i));
        // route_output answers an IPv4 add with the netmask as given, a
        // deletion with the one the table kept (`rn_addmask`), and the
        // deleted route is no longer up.
        let mask = match (typ, af) {
            (RTM_ADD, AF_INET) if errno == 0 => req.mask.clone(),
            (RTM_DELETE, AF_INET) => info.mask.as_deref().map(radix_mask4),
            _ => info.mask.clone(),
        };
        let flags = if typ == RTM_DELETE && errno == 0 {
            info.flags & !RTF_UP
        } else {
            info.flags
        };
        let mut parts: Vec<(u32, &[u8])> = vec![(rta::DST, &info.dst)];
        if let Some(g) = &info.gateway {
            parts.push((rta::GATEWAY, g));
        }
        if let Some(mk) = &mask {
            parts.push((rta::NETMASK, mk));
        }
        if typ == RTM_GET {
            if let Some(i) = &ifp_sa {
                parts.push((rta::IFP, i));
            }
            if let Some(a) = &info.ifa {
                parts.push((rta::IFA, a));
            }
        }
        let mut out = build_msg(
            typ,
            info.ifindex,
            flags | if errno == 0 { RTF_DONE } else { 0 },
            pid,
            seq,
            errno,
            &parts,
        );
        // The route's metrics that we keep, as `route get` shows them.
        {
            use netbsd_abi::layout::{rt_metrics, rt_msghdr};
            let rmx = &mut out[rt_msghdr::rtm_rmx.offset..];
            rt_metrics::rmx_mtu.put(rmx, info.mtu);
            rt_metrics::rmx_expire.put(rmx, info.expire as u64);
        }
        broadcast(&net, af, &out);
        reply.map(|_| m.len())
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        let mut s = self.lock();
        let Some(m) = s.q.front() else {
            return if s.rd_shut {
                Ok(Received::default())
            } else {
                Err(Errno::EAGAIN)
            };
        };
        let n = m.len().min(buf.len());
        buf[..n].copy_from_slice(&m[..n]);
        let full = m.len();
        if flags & crate::socket::MSG_PEEK == 0 {
            s.bytes -= full;
            s.q.pop_front();
        }
        Ok(Received {
            len: n,
            full,
            from: Some(vec![2, PF_ROUTE]),
            flags: if n < full {
                crate::socket::MSG_TRUNC
            } else {
                0
            },
            control: Vec::new(),
        })
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        let mut s = self.lock();
        if how != crate::socket::SHUT_WR {
            s.rd_shut = true;
            s.q.clear();
            s.bytes = 0;
        }
        if how != crate::socket::SHUT_RD {
            s.wr_shut = true;
        }
        drop(s);
        self.shared.wait.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Ok(vec![2, PF_ROUTE])
    }

    fn poll(&self, events: i16) -> i16 {
        let s = self.lock();
        poll_bits(events, !s.q.is_empty() || s.rd_shut, !s.wr_shut, false)
    }

    fn nread(&self) -> usize {
        self.lock().q.front().map_or(0, Vec::len)
    }
}

/// `PF_ROUTE` for the socket layer.
pub struct RouteDomain {
    /// The stack.
    pub net: Weak<Net>,
}

impl Domain for RouteDomain {
    fn family(&self) -> u8 {
        PF_ROUTE
    }

    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        if typ != SOCK_RAW {
            return Err(Errno::EPROTOTYPE);
        }
        let family = u8::try_from(protocol).map_err(|_| Errno::EPROTONOSUPPORT)?;
        let net = self.net.upgrade().ok_or(Errno::ENETDOWN)?;
        let k: &Kernel = ctx.kernel();
        let s = Arc::new(RouteSocket {
            net: Arc::downgrade(&net),
            family,
            shared: SockShared::new(k.weak(), 8192, 8192),
            st: Mutex::new(State::default()),
        });
        net.add_route_socket(Arc::downgrade(&s));
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_round_trip_through_the_sockaddr_layout() {
        let dst = [16u8, 2, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mask = [7u8, 2, 0, 0, 255, 255, 255];
        let m = build_msg(
            RTM_ADD,
            0,
            0x803,
            7,
            1,
            0,
            &[(rta::DST, &dst), (rta::NETMASK, &mask)],
        );
        assert_eq!(m.len(), RT_MSGHDR_LEN + 16 + 8);
        assert_eq!(u16::from_le_bytes([m[0], m[1]]) as usize, m.len());
        let sas = parse_addrs(rta::DST | rta::NETMASK, &m[RT_MSGHDR_LEN..]).unwrap();
        assert_eq!(sas[0].as_deref(), Some(&dst[..]));
        assert_eq!(sas[1], None);
        assert_eq!(sas[2].as_deref(), Some(&mask[..]));
        // An empty sockaddr (a default route's mask) still takes 8 bytes.
        assert_eq!(roundup(0), 8);
        assert!(parse_addrs(rta::DST, &[16, 2]).is_err());
        // Bits past the message's end have no sockaddr.
        let sas = parse_addrs(rta::DST | rta::IFP, &dst).unwrap();
        assert_eq!(
            (sas[0].as_deref(), sas[4].as_deref()),
            (Some(&dst[..]), None)
        );
    }
}
