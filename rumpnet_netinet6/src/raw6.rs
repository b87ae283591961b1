//! Raw IPv6 sockets (`rip6_usrreq`): they receive the payload of every
//! packet of their protocol (IPv6 raw sockets never see the IPv6 header),
//! ICMPv6 ones through their `ICMP6_FILTER`, and send a payload the stack
//! puts a header on, checksumming ICMPv6 messages (RFC 3542).

use crate::addr::{self, ScopedAddr};
use crate::inet6::{Inet6, OutOpts};
use crate::wire::ipv6::{self, nh};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::socket::{ProtoSocket, Received, SOCK_RAW, SockShared};
use rumpnet_netinet::addr::PcbAddr;
use rumpnet_netinet::mcast6::PktOpts;
use std::collections::VecDeque;
use std::net::Ipv6Addr;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Default buffers (`rip6_recvspace`, `rip6_sendspace`).
const RECVSPACE: usize = 8192;
const SENDSPACE: usize = 8192;

/// `ICMP6_FILTER` (`netinet/icmp6.h`, not in the ABI tables).
pub const ICMP6_FILTER: i32 = 18;
/// `IPPROTO_IPV6`, `IPPROTO_ICMPV6` as option levels.
const IPPROTO_IPV6: i32 = netbsd_abi::IPPROTO_IPV6;
const IPPROTO_ICMPV6: i32 = netbsd_abi::IPPROTO_ICMPV6;

/// A received datagram with its sender and control messages.
#[derive(Debug)]
struct Datagram {
    from: Vec<u8>,
    data: Vec<u8>,
    control: Vec<u8>,
}

// Control messages are laid out as `struct cmsghdr` (`sys/socket.h`)
// says, by the same function UDP's use.
use rumpnet_netinet::pcb::cmsg;

#[derive(Debug)]
struct State {
    laddr: Ipv6Addr,
    faddr: Option<ScopedAddr>,
    rcv: VecDeque<Datagram>,
    rcv_bytes: usize,
    recv_pktinfo: bool,
    recv_hoplimit: bool,
    /// `IPV6_V6ONLY`: kept and answered as every in6pcb's (a raw socket
    /// takes no IPv4 either way).
    v6only: bool,
    /// `IPV6_USE_MIN_MTU`: -1 (per destination), 0 or 1.
    use_min_mtu: i32,
    /// `struct icmp6_filter`: a bit per type, set when it passes.
    filter: [u32; 8],
    hlim: Option<u8>,
    mcast_hlim: Option<u8>,
    /// The groups joined with `IPV6_JOIN_GROUP` (interface, group),
    /// left when the socket closes.
    groups: Vec<(u16, Ipv6Addr)>,
    rd_shut: bool,
    wr_shut: bool,
}

/// A raw IPv6 socket of protocol `proto` (0: every protocol).
pub struct Raw6Socket {
    inet: Arc<Inet6>,
    proto: u8,
    shared: SockShared,
    st: Mutex<State>,
    me: Weak<Raw6Socket>,
}

impl Raw6Socket {
    /// A new raw socket, registered for input. Only root may make one.
    pub fn new(ctx: &Ctx, inet: &Arc<Inet6>, proto: i32) -> KResult<Arc<Raw6Socket>> {
        if ctx.cred().euid != 0 {
            return Err(Errno::EACCES);
        }
        let proto = u8::try_from(proto).map_err(|_| Errno::EPROTONOSUPPORT)?;
        let s = Arc::new_cyclic(|me| Raw6Socket {
            inet: Arc::clone(inet),
            proto,
            shared: SockShared::new(inet.kernel_weak(), RECVSPACE, SENDSPACE),
            st: Mutex::new(State {
                laddr: Ipv6Addr::UNSPECIFIED,
                faddr: None,
                rcv: VecDeque::new(),
                rcv_bytes: 0,
                recv_pktinfo: false,
                recv_hoplimit: false,
                v6only: inet.v6only.load(std::sync::atomic::Ordering::Relaxed),
                use_min_mtu: -1,
                filter: [u32::MAX; 8],
                hlim: None,
                mcast_hlim: None,
                groups: Vec::new(),
                rd_shut: false,
                wr_shut: false,
            }),
            me: me.clone(),
        });
        let mut st = inet.lock();
        st.raw.retain(|w| w.strong_count() > 0);
        st.raw.push(Arc::downgrade(&s));
        Ok(s)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.st)
    }

    /// The socket's protocol.
    pub fn protocol(&self) -> u8 {
        self.proto
    }
}

fn int_opt(v: &[u8]) -> KResult<i32> {
    let b: [u8; 4] = v
        .get(..4)
        .and_then(|b| b.try_into().ok())
        .ok_or(Errno::EINVAL)?;
    Ok(i32::from_le_bytes(b))
}

/// A hop limit option's value: -1 is the default, else 0..=255.
fn hlim_opt(v: &[u8]) -> KResult<Option<u8>> {
    match int_opt(v)? {
        -1 => Ok(None),
        n => u8::try_from(n).map(Some).map_err(|_| Errno::EINVAL),
    }
}

impl ProtoSocket for Raw6Socket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(addr::AF_INET6), SOCK_RAW, i32::from(self.proto))
    }

    fn bind(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, _) = addr::parse_sockaddr(sa)?;
        if !a.addr.is_unspecified()
            && self
                .inet
                .local_flags(&a.addr, a.scope)
                .is_none_or(|f| f & crate::inet6::flags::DUPLICATED != 0)
        {
            return Err(Errno::EADDRNOTAVAIL);
        }
        self.lock().laddr = a.addr;
        Ok(())
    }

    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, _) = addr::parse_sockaddr(sa)?;
        self.lock().faddr = Some(a);
        Ok(())
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        self.send_opts(data, to, &PktOpts::default(), None)
    }

    fn send_control(
        &self,
        _ctx: &Ctx,
        data: &[u8],
        to: Option<&[u8]>,
        _flags: i32,
        control: &[u8],
    ) -> KResult<usize> {
        let k = self.inet.kernel().ok_or(Errno::ENETDOWN)?;
        let inet4 = rumpnet_netinet::inet::Inet::of(&k);
        let layer = inet4.ip6()?;
        let opts = rumpnet_netinet::mcast6::parse_control(layer.as_ref(), control)?;
        let src = opts.source(layer.as_ref())?;
        self.send_opts(data, to, &opts, src)
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        let mut s = self.lock();
        if let Some(d) = s.rcv.front() {
            let n = d.data.len().min(buf.len());
            buf[..n].copy_from_slice(&d.data[..n]);
            let r = Received {
                len: n,
                full: d.data.len(),
                from: Some(d.from.clone()),
                flags: if n < d.data.len() {
                    rumpnet::socket::MSG_TRUNC
                } else {
                    0
                },
                control: d.control.clone(),
            };
            if flags & netbsd_abi::MSG_PEEK == 0 {
                s.rcv_bytes -= d.data.len();
                s.rcv.pop_front();
            }
            return Ok(r);
        }
        if s.rd_shut {
            return Ok(Received::default());
        }
        Err(Errno::EAGAIN)
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        use rumpnet::socket::{SHUT_RD, SHUT_RDWR, SHUT_WR};
        {
            let mut s = self.lock();
            s.rd_shut |= how == SHUT_RD || how == SHUT_RDWR;
            s.wr_shut |= how == SHUT_WR || how == SHUT_RDWR;
        }
        self.shared.wait.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Ok(addr::sockaddr(&self.lock().laddr, 0, 0))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let f = self.lock().faddr.ok_or(Errno::ENOTCONN)?;
        Ok(addr::sockaddr(&f.addr, 0, f.scope))
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        if level == IPPROTO_IPV6
            && (name == netbsd_abi::IPV6_JOIN_GROUP || name == netbsd_abi::IPV6_LEAVE_GROUP)
        {
            return self.membership(name == netbsd_abi::IPV6_JOIN_GROUP, v);
        }
        let mut s = self.lock();
        match (level, name) {
            (IPPROTO_ICMPV6, ICMP6_FILTER) if self.proto == nh::ICMPV6 => {
                if v.len() < 32 {
                    return Err(Errno::EINVAL);
                }
                for (i, w) in s.filter.iter_mut().enumerate() {
                    *w = u32::from_le_bytes([v[i * 4], v[i * 4 + 1], v[i * 4 + 2], v[i * 4 + 3]]);
                }
                Ok(())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_UNICAST_HOPS) => {
                s.hlim = hlim_opt(v)?;
                Ok(())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_MULTICAST_HOPS) => {
                s.mcast_hlim = hlim_opt(v)?;
                Ok(())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_RECVPKTINFO) => {
                s.recv_pktinfo = int_opt(v)? != 0;
                Ok(())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_RECVHOPLIMIT) => {
                s.recv_hoplimit = int_opt(v)? != 0;
                Ok(())
            }
            // ip6_ctloutput: only before the socket is bound.
            (IPPROTO_IPV6, netbsd_abi::IPV6_V6ONLY) => {
                if !s.laddr.is_unspecified() {
                    return Err(Errno::EINVAL);
                }
                s.v6only = int_opt(v)? != 0;
                Ok(())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_USE_MIN_MTU) => {
                let n = int_opt(v)?;
                if !(-1..=1).contains(&n) {
                    return Err(Errno::EINVAL);
                }
                s.use_min_mtu = n;
                Ok(())
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        let s = self.lock();
        match (level, name) {
            (IPPROTO_ICMPV6, ICMP6_FILTER) if self.proto == nh::ICMPV6 => {
                Ok(s.filter.iter().flat_map(|w| w.to_le_bytes()).collect())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_UNICAST_HOPS) => {
                // -1: the interface's hop limit is used (in6_selecthlim).
                Ok(s.hlim.map_or(-1, i32::from).to_le_bytes().to_vec())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_MULTICAST_HOPS) => Ok(i32::from(
                s.mcast_hlim.unwrap_or(crate::inet6::DEFAULT_MCAST_HLIM),
            )
            .to_le_bytes()
            .to_vec()),
            (IPPROTO_IPV6, netbsd_abi::IPV6_RECVPKTINFO) => {
                Ok(i32::from(s.recv_pktinfo).to_le_bytes().to_vec())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_RECVHOPLIMIT) => {
                Ok(i32::from(s.recv_hoplimit).to_le_bytes().to_vec())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_V6ONLY) => {
                Ok(i32::from(s.v6only).to_le_bytes().to_vec())
            }
            (IPPROTO_IPV6, netbsd_abi::IPV6_USE_MIN_MTU) => {
                Ok(s.use_min_mtu.to_le_bytes().to_vec())
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn poll(&self, events: i16) -> i16 {
        let s = self.lock();
        rumpnet::socket::poll_bits(events, !s.rcv.is_empty() || s.rd_shut, !s.wr_shut, false)
    }

    fn close(&self) {
        let groups = std::mem::take(&mut self.lock().groups);
        for (i, g) in groups {
            let _ = self.inet.leave_group(i, &g);
        }
        let me = self.me.clone();
        self.inet
            .lock()
            .raw
            .retain(|w| w.strong_count() > 0 && !w.ptr_eq(&me));
    }

    fn nread(&self) -> usize {
        self.lock().rcv.front().map_or(0, |d| d.data.len())
    }

    fn rcv_cc(&self) -> usize {
        self.lock()
            .rcv
            .iter()
            .map(|d| d.from.len() + d.data.len() + d.control.len())
            .sum()
    }
}

impl Raw6Socket {
    /// Send `data` to `to` (or the connected peer) with a `sendmsg`'s
    /// control messages `opts` over the socket's options, from `src`
    /// when an `IPV6_PKTINFO` chose it (`rip6_output`).
    fn send_opts(
        &self,
        data: &[u8],
        to: Option<&[u8]>,
        opts: &PktOpts,
        chosen: Option<PcbAddr>,
    ) -> KResult<usize> {
        let (laddr, faddr, wr_shut, hlim, mcast_hlim, min_mtu) = {
            let s = self.lock();
            (
                s.laddr,
                s.faddr,
                s.wr_shut,
                s.hlim,
                s.mcast_hlim,
                s.use_min_mtu,
            )
        };
        if wr_shut {
            return Err(Errno::EPIPE);
        }
        let dst = match (to, faddr) {
            (Some(sa), _) => addr::parse_sockaddr(sa)?.0,
            (None, Some(f)) => f,
            (None, None) => return Err(Errno::EDESTADDRREQ),
        };
        if data.len() > self.shared.opts().sndbuf {
            return Err(Errno::EMSGSIZE);
        }
        // IPV6_USE_MIN_MTU: fragments of the minimum MTU for every
        // destination (1), for multicast ones (-1), or none (0).
        let min_mtu = min_mtu == 1 || (min_mtu == -1 && dst.addr.is_multicast());
        let net = self.inet.net().ok_or(Errno::ENXIO)?;
        let ifindex = u16::try_from(opts.ifindex).map_err(|_| Errno::ENXIO)?;
        // An interface named is the way out of a multicast or a
        // zoneless link-scoped destination (in6_selectif).
        let ifp = if ifindex != 0
            && (dst.addr.is_multicast() || (addr::is_link_scoped(&dst.addr) && dst.scope == 0))
        {
            net.ifindex(ifindex).ok_or(Errno::ENXIO)?
        } else {
            self.inet.route(&net, &dst)?
        };
        let src = if let Some(c) = chosen {
            Ipv6Addr::from(c.wire())
        } else if laddr.is_unspecified() {
            if ifp.link_type() == rumpnet::ifnet::LinkType::Loopback {
                dst.addr
            } else {
                self.inet.select_source(&ifp, &dst.addr)?
            }
        } else {
            laddr
        };
        let mut msg = data.to_vec();
        if self.proto == nh::ICMPV6 {
            // RFC 3542 3.1: the kernel computes ICMPv6 checksums.
            if msg.len() < 4 {
                return Err(Errno::EINVAL);
            }
            msg[2..4].copy_from_slice(&[0, 0]);
            let c = ipv6::upper_checksum(&src, &dst.addr, nh::ICMPV6, &msg);
            msg[2..4].copy_from_slice(&c.to_be_bytes());
        }
        let o = OutOpts {
            hlim: opts.hops.or(hlim),
            mcast_hlim: opts.hops.or(mcast_hlim),
            min_mtu,
            tclass: opts.tclass.unwrap_or(0),
            ifindex,
            ..OutOpts::default()
        };
        self.inet.output(self.proto, Some(src), &dst, &msg, &o)?;
        Ok(data.len())
    }
}

/// `struct ipv6_mreq` (`netinet6/in6.h`, not in the ABI tables): the
/// group, then the interface index.
const MREQ_IFINDEX: usize = 16;
const MREQ_SIZE: usize = 20;

impl Raw6Socket {
    /// `IPV6_JOIN_GROUP` and `IPV6_LEAVE_GROUP` (`ip6_setmoptions`): a
    /// group of the interface named, or without one of the interface
    /// the group's route goes out of. EINVAL for a unicast group,
    /// EADDRNOTAVAIL without a route or when leaving what was not
    /// joined, EADDRINUSE when joining twice, ENXIO for no such
    /// interface.
    fn membership(&self, join: bool, v: &[u8]) -> KResult<()> {
        if v.len() < MREQ_SIZE {
            return Err(Errno::EINVAL);
        }
        let mut g = [0u8; 16];
        g.copy_from_slice(&v[..MREQ_IFINDEX]);
        let g = Ipv6Addr::from(g);
        let idx = u32::from_le_bytes([
            v[MREQ_IFINDEX],
            v[MREQ_IFINDEX + 1],
            v[MREQ_IFINDEX + 2],
            v[MREQ_IFINDEX + 3],
        ]);
        if !g.is_multicast() {
            return Err(Errno::EINVAL);
        }
        let net = self.inet.net().ok_or(Errno::ENXIO)?;
        if !join {
            let mut s = self.lock();
            let at = s
                .groups
                .iter()
                .position(|(i, x)| *x == g && (idx == 0 || u32::from(*i) == idx))
                .ok_or(Errno::EADDRNOTAVAIL)?;
            let (i, _) = s.groups.remove(at);
            drop(s);
            return self.inet.leave_group(i, &g);
        }
        let ifp = if idx == 0 {
            let to = ScopedAddr { addr: g, scope: 0 };
            self.inet
                .route(&net, &to)
                .map_err(|_| Errno::EADDRNOTAVAIL)?
        } else {
            let i = u16::try_from(idx).map_err(|_| Errno::ENXIO)?;
            net.ifindex(i).ok_or(Errno::ENXIO)?
        };
        {
            let mut s = self.lock();
            if s.groups.contains(&(ifp.index, g)) {
                return Err(Errno::EADDRINUSE);
            }
            s.groups.push((ifp.index, g));
        }
        self.inet.join_group(&ifp, &g)
    }
}

/// Where a packet arrived: its addresses, the interface and hop limit
/// (for `IPV6_PKTINFO` and `IPV6_HOPLIMIT`).
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// Source.
    pub src: Ipv6Addr,
    /// Destination.
    pub dst: Ipv6Addr,
    /// The interface it came in on.
    pub ifindex: u16,
    /// Its hop limit.
    pub hlim: u8,
}

/// Give a copy of payload `body` of protocol `proto` to every raw socket
/// that wants it (`rip6_input`); whether any did.
pub fn input(inet: &Inet6, proto: u8, at: &Arrival, body: &[u8]) -> bool {
    let socks: Vec<Arc<Raw6Socket>> = inet.lock().raw.iter().filter_map(Weak::upgrade).collect();
    let scope = if addr::is_link_scoped(&at.src) {
        u32::from(at.ifindex)
    } else {
        0
    };
    let from = addr::sockaddr(&at.src, 0, scope);
    let mut any = false;
    for s in socks {
        if s.proto != 0 && s.proto != proto {
            continue;
        }
        let mut st = s.lock();
        if st.rd_shut
            || (!st.laddr.is_unspecified() && st.laddr != at.dst)
            || st.faddr.is_some_and(|f| f.addr != at.src)
        {
            continue;
        }
        any = true;
        if proto == nh::ICMPV6 {
            let t = usize::from(body.first().copied().unwrap_or(0));
            if st.filter[t >> 5] & (1 << (t & 31)) == 0 {
                continue;
            }
        }
        let mut control = Vec::new();
        if st.recv_pktinfo {
            // struct in6_pktinfo: the destination and the interface.
            let mut pi = at.dst.octets().to_vec();
            pi.extend_from_slice(&u32::from(at.ifindex).to_le_bytes());
            control.extend(cmsg(IPPROTO_IPV6, netbsd_abi::IPV6_PKTINFO, &pi));
        }
        if st.recv_hoplimit {
            let h = i32::from(at.hlim).to_le_bytes();
            control.extend(cmsg(IPPROTO_IPV6, netbsd_abi::IPV6_HOPLIMIT, &h));
        }
        let limit = s.shared.opts().rcvbuf;
        if st.rcv_bytes + body.len() > limit {
            continue;
        }
        st.rcv_bytes += body.len();
        st.rcv.push_back(Datagram {
            from: from.clone(),
            data: body.to_vec(),
            control,
        });
        drop(st);
        s.shared.wait.wakeup();
    }
    any
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_message_layout() {
        // CMSG_LEN(4) is 20 and CMSG_SPACE(4) 24 on NetBSD/amd64.
        let c = cmsg(41, 47, &64i32.to_le_bytes());
        assert_eq!(c.len(), 24);
        assert_eq!(&c[..12], &[20, 0, 0, 0, 41, 0, 0, 0, 47, 0, 0, 0]);
        assert_eq!(&c[16..20], &[64, 0, 0, 0]);
        // in6_pktinfo is 20 bytes: CMSG_SPACE(20) is 40.
        assert_eq!(cmsg(41, 46, &[0; 20]).len(), 40);
    }
}
