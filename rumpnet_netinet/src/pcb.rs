//! What UDP, raw and TCP sockets share (NetBSD's `inpcb` and `in6pcb`):
//! local and foreign address and port, binding rules, the IP-level socket
//! options, and the datagram receive queue. Addresses are 16 bytes, IPv4
//! as IPv4-mapped ([`PcbAddr`]), so that one TCP and one UDP serve both
//! families.

use crate::addr::{self, ANY, PcbAddr};
use crate::inet::{Inet, OutOpts};
use rump::{Errno, KResult};
use rumpnet::socket::SockOpts;
use std::collections::VecDeque;

/// `IPPROTO_IP`, the level of the IP options.
pub const IPPROTO_IP: i32 = netbsd_abi::IPPROTO_IP;
/// `IP_HDRINCL`.
pub const IP_HDRINCL: i32 = netbsd_abi::IP_HDRINCL;
/// `IP_TOS`.
pub const IP_TOS: i32 = netbsd_abi::IP_TOS;
/// `IP_TTL`.
pub const IP_TTL: i32 = netbsd_abi::IP_TTL;
/// `IP_RECVDSTADDR`.
pub const IP_RECVDSTADDR: i32 = netbsd_abi::IP_RECVDSTADDR;
/// `IP_MULTICAST_IF`.
pub const IP_MULTICAST_IF: i32 = netbsd_abi::IP_MULTICAST_IF;
/// `IP_MULTICAST_TTL`.
pub const IP_MULTICAST_TTL: i32 = netbsd_abi::IP_MULTICAST_TTL;
/// `IP_MULTICAST_LOOP`.
pub const IP_MULTICAST_LOOP: i32 = netbsd_abi::IP_MULTICAST_LOOP;
/// `IP_PORTRANGE`.
pub const IP_PORTRANGE: i32 = netbsd_abi::IP_PORTRANGE;
/// `IP_RECVTTL`.
pub const IP_RECVTTL: i32 = netbsd_abi::IP_RECVTTL;
/// `IP_MINTTL`.
pub const IP_MINTTL: i32 = netbsd_abi::IP_MINTTL;

/// `IPPROTO_IPV6`, the level of the IPv6 options.
pub const IPPROTO_IPV6: i32 = netbsd_abi::IPPROTO_IPV6;
/// `IPV6_V6ONLY`.
pub const IPV6_V6ONLY: i32 = netbsd_abi::IPV6_V6ONLY;
/// `IPV6_UNICAST_HOPS`.
pub const IPV6_UNICAST_HOPS: i32 = netbsd_abi::IPV6_UNICAST_HOPS;
/// `IPV6_RECVPKTINFO`.
pub const IPV6_RECVPKTINFO: i32 = netbsd_abi::IPV6_RECVPKTINFO;

/// The addressing and IP options of one socket.
#[derive(Clone, Debug, Default)]
pub struct Pcb {
    /// Local address (a wildcard if unbound).
    pub laddr: PcbAddr,
    /// Local port (0 if unbound).
    pub lport: u16,
    /// Foreign address, when connected.
    pub faddr: PcbAddr,
    /// Foreign port, when connected.
    pub fport: u16,
    /// Connected (`connect` on a datagram socket).
    pub connected: bool,
    /// `IP_TTL`, if set.
    pub ttl: Option<u8>,
    /// `IP_TOS`.
    pub tos: u8,
    /// `IP_HDRINCL` (raw sockets).
    pub hdrincl: bool,
    /// `IP_MULTICAST_TTL`.
    pub mcast_ttl: u8,
    /// `IP_MULTICAST_LOOP`.
    pub mcast_loop: bool,
    /// `IP_MULTICAST_IF`.
    pub mcast_if: u32,
    /// `IP_PORTRANGE`.
    pub portrange: i32,
    /// `IP_RECVDSTADDR`, `IP_RECVTTL`: stored; no control messages yet.
    pub recv_flags: u32,
    /// `IP_MINTTL`.
    pub minttl: u8,
    /// The socket is of the IPv6 family (an `in6pcb`).
    pub v6: bool,
    /// `IPV6_V6ONLY`: an IPv6 socket takes no IPv4 (its default is
    /// `net.inet6.ip6.v6only`).
    pub v6only: bool,
    /// `IPV6_UNICAST_HOPS`, if set (`in6p_hops`).
    pub hops: Option<u8>,
    /// `IPV6_RECVPKTINFO`: datagrams that came over IPv6 carry an
    /// `IPV6_PKTINFO` control message.
    pub recvpktinfo: bool,
    /// `IPV6_RECVHOPLIMIT`: datagrams that came over IPv6 carry an
    /// `IPV6_HOPLIMIT` control message.
    pub recvhoplimit: bool,
    /// `IPV6_MULTICAST_HOPS`, if set.
    pub mcast6_hops: Option<u8>,
    /// `IPV6_MULTICAST_LOOP` turned off (it is on by default).
    pub mcast6_noloop: bool,
    /// `IPV6_MULTICAST_IF` (0: the route's).
    pub mcast6_if: u16,
    /// The IPv6 groups joined (interface, group), left on close
    /// ([`crate::mcast6`]).
    pub groups6: Vec<(u16, PcbAddr)>,
}

impl Pcb {
    /// The options for a datagram this socket sends.
    pub fn out_opts(&self, inet: &Inet, so: &SockOpts, dst: u32) -> OutOpts {
        OutOpts {
            ttl: if addr::is_multicast(dst) {
                self.mcast_ttl
            } else {
                self.ttl.unwrap_or_else(|| inet.default_ttl())
            },
            tos: self.tos,
            dont_frag: false,
            broadcast: so.broadcast,
            dontroute: so.dontroute,
        }
    }

    /// Set an `IPPROTO_IP` option; a socket of the IPv6 family has none
    /// (`ip6_ctloutput` answers ENOPROTOOPT for other levels).
    pub fn setopt(&mut self, name: i32, v: &[u8]) -> KResult<()> {
        if self.v6 {
            return Err(Errno::ENOPROTOOPT);
        }
        let int = || -> KResult<i32> {
            match v.len() {
                1 => Ok(i32::from(v[0])),
                n if n >= 4 => Ok(i32::from_le_bytes([v[0], v[1], v[2], v[3]])),
                _ => Err(Errno::EINVAL),
            }
        };
        match name {
            IP_TTL => {
                let t = int()?;
                self.ttl = Some(u8::try_from(t).map_err(|_| Errno::EINVAL)?);
            }
            IP_TOS => self.tos = u8::try_from(int()?).map_err(|_| Errno::EINVAL)?,
            IP_HDRINCL => self.hdrincl = int()? != 0,
            IP_MULTICAST_TTL => self.mcast_ttl = u8::try_from(int()?).map_err(|_| Errno::EINVAL)?,
            IP_MULTICAST_LOOP => self.mcast_loop = int()? != 0,
            IP_MULTICAST_IF => {
                let b = v.get(..4).ok_or(Errno::EINVAL)?;
                self.mcast_if = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
            }
            IP_PORTRANGE => {
                let r = int()?;
                if !(0..=2).contains(&r) {
                    return Err(Errno::EINVAL);
                }
                self.portrange = r;
            }
            IP_RECVDSTADDR | IP_RECVTTL => {
                let bit = 1 << (name & 31);
                if int()? != 0 {
                    self.recv_flags |= bit;
                } else {
                    self.recv_flags &= !bit;
                }
            }
            IP_MINTTL => self.minttl = u8::try_from(int()?).map_err(|_| Errno::EINVAL)?,
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Read an `IPPROTO_IP` option (ENOPROTOOPT on an IPv6 socket).
    pub fn getopt(&self, inet: &Inet, name: i32) -> KResult<Vec<u8>> {
        if self.v6 {
            return Err(Errno::ENOPROTOOPT);
        }
        let i = |v: i32| v.to_le_bytes().to_vec();
        Ok(match name {
            IP_TTL => i(i32::from(self.ttl.unwrap_or_else(|| inet.default_ttl()))),
            IP_TOS => i(i32::from(self.tos)),
            IP_HDRINCL => i(i32::from(self.hdrincl)),
            IP_MULTICAST_TTL => vec![self.mcast_ttl],
            IP_MULTICAST_LOOP => vec![u8::from(self.mcast_loop)],
            IP_MULTICAST_IF => self.mcast_if.to_be_bytes().to_vec(),
            IP_PORTRANGE => i(self.portrange),
            IP_RECVDSTADDR | IP_RECVTTL => i(i32::from(self.recv_flags & (1 << (name & 31)) != 0)),
            IP_MINTTL => i(i32::from(self.minttl)),
            _ => return Err(Errno::ENOPROTOOPT),
        })
    }

    /// Whether traffic of this family (IPv4 when `v4`) may reach the
    /// socket: an IPv4 socket takes only IPv4; an IPv6 socket takes IPv6,
    /// and IPv4 as mapped addresses unless `IPV6_V6ONLY` is on or it is
    /// bound or connected to a native IPv6 address.
    pub fn takes_family(&self, v4: bool) -> bool {
        if !v4 {
            return self.v6;
        }
        !self.v6
            || (!self.v6only
                && (self.laddr.is_any() || self.laddr.is_v4mapped())
                && (!self.connected || self.faddr.is_v4mapped()))
    }

    /// Whether a datagram from `src:sport` to `dst:dport` is for this socket.
    pub fn matches(&self, src: PcbAddr, sport: u16, dst: PcbAddr, dport: u16) -> bool {
        self.lport == dport
            && (self.laddr.is_any() || self.laddr == dst)
            && (!self.connected || (self.faddr == src && self.fport == sport))
            && self.takes_family(dst.is_v4mapped())
    }

    /// How specific the match is: connected and bound sockets first.
    pub fn specificity(&self) -> u8 {
        u8::from(self.connected) * 2 + u8::from(!self.laddr.is_any())
    }

    /// Parse the sockaddr a caller gave this socket: `sockaddr_in` for an
    /// IPv4 socket; `sockaddr_in6` for an IPv6 one, where an IPv4-mapped
    /// address is EINVAL while `IPV6_V6ONLY` is on (`in6_pcbbind_addr`,
    /// `in6_pcbconnect`).
    pub fn parse_sockaddr(&self, sa: &[u8]) -> KResult<(PcbAddr, u16)> {
        if !self.v6 {
            let (a, p) = addr::parse_sockaddr(sa)?;
            return Ok((PcbAddr::v4(a), p));
        }
        let (a, p) = addr::parse_sockaddr6(sa)?;
        if a.is_v4mapped() && self.v6only {
            return Err(Errno::EINVAL);
        }
        Ok((a, p))
    }

    /// The families the local address takes traffic of, `(IPv4, IPv6)`.
    fn local_families(&self) -> (bool, bool) {
        if !self.v6 || self.laddr.is_v4mapped() {
            (true, false)
        } else if self.laddr.is_any() && !self.v6only {
            (true, true)
        } else {
            (false, true)
        }
    }

    /// Whether `self` and `other`, on one port, would take some of the
    /// same traffic: they share a family and their local addresses are
    /// equal or one is a wildcard (an IPv4 socket and an `IPV6_V6ONLY`
    /// one never do).
    pub fn local_overlaps(&self, other: &Pcb) -> bool {
        let (a4, a6) = self.local_families();
        let (b4, b6) = other.local_families();
        ((a4 && b4) || (a6 && b6))
            && (self.laddr.is_any() || other.laddr.is_any() || self.laddr == other.laddr)
    }

    /// Set an `IPPROTO_IPV6` option of an IPv6 socket (`ip6_ctloutput`):
    /// `IPV6_V6ONLY` only before the socket is bound (EINVAL),
    /// `IPV6_UNICAST_HOPS` from -1 (the default) to 255, and
    /// `IPV6_RECVPKTINFO`.
    pub fn setopt6(&mut self, name: i32, v: &[u8]) -> KResult<()> {
        if !self.v6 {
            return Err(Errno::ENOPROTOOPT);
        }
        let int = i32::from_le_bytes(
            v.get(..4)
                .ok_or(Errno::EINVAL)?
                .try_into()
                .unwrap_or_default(),
        );
        match name {
            IPV6_V6ONLY => {
                if self.lport != 0 || !self.laddr.is_any() {
                    return Err(Errno::EINVAL);
                }
                self.v6only = int != 0;
            }
            IPV6_UNICAST_HOPS => {
                self.hops = match int {
                    -1 => None,
                    0..=255 => Some(int as u8),
                    _ => return Err(Errno::EINVAL),
                };
            }
            IPV6_RECVPKTINFO => self.recvpktinfo = int != 0,
            netbsd_abi::IPV6_RECVHOPLIMIT => self.recvhoplimit = int != 0,
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Read an `IPPROTO_IPV6` option (`IPV6_UNICAST_HOPS` is -1 while the
    /// default is in force, as `in6p_hops` is).
    pub fn getopt6(&self, name: i32) -> KResult<Vec<u8>> {
        if !self.v6 {
            return Err(Errno::ENOPROTOOPT);
        }
        let v = match name {
            IPV6_V6ONLY => i32::from(self.v6only),
            IPV6_UNICAST_HOPS => self.hops.map_or(-1, i32::from),
            IPV6_RECVPKTINFO => i32::from(self.recvpktinfo),
            netbsd_abi::IPV6_RECVHOPLIMIT => i32::from(self.recvhoplimit),
            _ => return Err(Errno::ENOPROTOOPT),
        };
        Ok(v.to_le_bytes().to_vec())
    }

    /// The local address as a sockaddr of the socket's family.
    pub fn local_sockaddr(&self) -> Vec<u8> {
        self.sockaddr_of(&self.laddr, self.lport)
    }

    /// The foreign address as a sockaddr of the socket's family.
    pub fn foreign_sockaddr(&self) -> Vec<u8> {
        self.sockaddr_of(&self.faddr, self.fport)
    }

    /// `a:port` as a sockaddr of the socket's family: `sockaddr_in6`
    /// (IPv4 as mapped) for an IPv6 socket, else `sockaddr_in`.
    pub fn sockaddr_of(&self, a: &PcbAddr, port: u16) -> Vec<u8> {
        if self.v6 {
            let a = if a.is_any() { PcbAddr::UNSPECIFIED } else { *a };
            addr::sockaddr6(&a, port)
        } else {
            addr::sockaddr(a.low32(), port)
        }
    }
}

/// Where a segment or datagram came from and went to, of either family
/// (IPv4 as mapped addresses, IPv6 link-local with the receiving
/// interface's zone embedded).
pub struct Arrival<'a> {
    /// The receiving interface.
    pub ifp: &'a std::sync::Arc<rumpnet::ifnet::Ifnet>,
    /// The source address.
    pub src: PcbAddr,
    /// The destination address.
    pub dst: PcbAddr,
    /// Sent to a broadcast or multicast address.
    pub bcast: bool,
}

impl Arrival<'_> {
    /// Whether it came over IPv4.
    pub fn is_v4(&self) -> bool {
        self.dst.is_v4mapped()
    }

    /// The pseudo-header its transport checksum covers.
    pub fn pseudo(&self) -> crate::wire::pseudo::Pseudo {
        use crate::wire::pseudo::Pseudo;
        if self.is_v4() {
            Pseudo::V4(
                self.src.low32().to_be_bytes(),
                self.dst.low32().to_be_bytes(),
            )
        } else {
            Pseudo::V6(self.src.wire(), self.dst.wire())
        }
    }
}

/// A received datagram waiting to be read.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// The sender, as a sockaddr.
    pub from: Vec<u8>,
    /// The bytes.
    pub data: Vec<u8>,
    /// Control messages for `recvmsg` (`IPV6_PKTINFO`), laid out.
    pub control: Vec<u8>,
}

/// `sizeof(struct cmsghdr)` and the alignment of what follows it.
const CMSG_HDR: usize = 12;
const CMSG_ALIGN: usize = 8;

/// One control message as `CMSG_SPACE` lays it out.
pub fn cmsg(level: i32, kind: i32, data: &[u8]) -> Vec<u8> {
    let start = CMSG_HDR.div_ceil(CMSG_ALIGN) * CMSG_ALIGN;
    let end = start + data.len().div_ceil(CMSG_ALIGN) * CMSG_ALIGN;
    let mut v = Vec::with_capacity(end);
    v.extend_from_slice(&((start + data.len()) as u32).to_le_bytes());
    v.extend_from_slice(&level.to_le_bytes());
    v.extend_from_slice(&kind.to_le_bytes());
    v.resize(start, 0);
    v.extend_from_slice(data);
    v.resize(end, 0);
    v
}

/// The `IPV6_PKTINFO` control message for a datagram to `dst` that came
/// in on interface `ifindex` (`struct in6_pktinfo`: the address, as on
/// the wire, and the index).
pub fn pktinfo(dst: &PcbAddr, ifindex: u16) -> Vec<u8> {
    let mut pi = dst.wire().to_vec();
    pi.extend_from_slice(&u32::from(ifindex).to_le_bytes());
    cmsg(IPPROTO_IPV6, netbsd_abi::IPV6_PKTINFO, &pi)
}

/// A datagram socket's receive queue, bounded by `SO_RCVBUF`.
#[derive(Default, Debug)]
pub struct DgramQueue {
    q: VecDeque<Datagram>,
    bytes: usize,
}

impl DgramQueue {
    /// Queue `d` if it fits in `limit` bytes; false if it was dropped.
    pub fn push(&mut self, d: Datagram, limit: usize) -> bool {
        if self.bytes + d.data.len() > limit && !self.q.is_empty() {
            return false;
        }
        if d.data.len() > limit {
            return false;
        }
        self.bytes += d.data.len();
        self.q.push_back(d);
        true
    }

    /// Take (or with `peek` copy) the next datagram into `buf`.
    pub fn pop_into(&mut self, buf: &mut [u8], peek: bool) -> Option<rumpnet::socket::Received> {
        let d = self.q.front()?;
        let n = d.data.len().min(buf.len());
        buf[..n].copy_from_slice(&d.data[..n]);
        let r = rumpnet::socket::Received {
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
        if !peek {
            self.bytes -= d.data.len();
            self.q.pop_front();
        }
        Some(r)
    }

    /// Bytes of the next datagram (a datagram socket's `st_size`;
    /// `FIONREAD` counts the whole buffer, [`DgramQueue::cc`]).
    pub fn next_len(&self) -> usize {
        self.q.front().map_or(0, |d| d.data.len())
    }

    /// Bytes queued with their senders' addresses (NetBSD's `sb_cc`).
    pub fn cc(&self) -> usize {
        self.q
            .iter()
            .map(|d| d.from.len() + d.data.len() + d.control.len())
            .sum()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
}

/// The state of a datagram socket (UDP, raw): addressing, the receive
/// queue, a pending error and the shut halves.
#[derive(Default, Debug)]
pub struct DgramState {
    /// Addressing and IP options.
    pub pcb: Pcb,
    /// Received datagrams.
    pub rcv: DgramQueue,
    /// The pending error (`so_error`).
    pub error: i32,
    /// `SHUT_RD` done.
    pub rd_shut: bool,
    /// `SHUT_WR` done.
    pub wr_shut: bool,
}

impl DgramState {
    /// Receive: the pending error first, then a datagram, then end of
    /// file once the reading half is shut, else EAGAIN.
    pub fn recv(&mut self, buf: &mut [u8], flags: i32) -> KResult<rumpnet::socket::Received> {
        if self.error != 0 {
            return Err(Errno(std::mem::take(&mut self.error)));
        }
        if let Some(r) = self
            .rcv
            .pop_into(buf, flags & rumpnet::socket::MSG_PEEK != 0)
        {
            return Ok(r);
        }
        if self.rd_shut {
            return Ok(rumpnet::socket::Received::default());
        }
        Err(Errno::EAGAIN)
    }

    /// Shut one or both halves.
    pub fn shutdown(&mut self, how: i32) {
        use rumpnet::socket::{SHUT_RD, SHUT_RDWR, SHUT_WR};
        if how == SHUT_RD || how == SHUT_RDWR {
            self.rd_shut = true;
        }
        if how == SHUT_WR || how == SHUT_RDWR {
            self.wr_shut = true;
        }
    }

    /// Readiness.
    pub fn poll(&self, events: i16) -> i16 {
        rumpnet::socket::poll_bits(
            events,
            !self.rcv.is_empty() || self.rd_shut || self.error != 0,
            !self.wr_shut,
            false,
        )
    }

    /// An `IPPROTO_IP` option, an `IPPROTO_IPV6` one of an IPv6 socket,
    /// or ENOPROTOOPT for other levels.
    pub fn setopt(&mut self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        match level {
            IPPROTO_IP => self.pcb.setopt(name, v),
            IPPROTO_IPV6 => self.pcb.setopt6(name, v),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// Read an `IPPROTO_IP` or `IPPROTO_IPV6` option.
    pub fn getopt(&self, inet: &Inet, level: i32, name: i32) -> KResult<Vec<u8>> {
        match level {
            IPPROTO_IP => self.pcb.getopt(inet, name),
            IPPROTO_IPV6 => self.pcb.getopt6(name),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// A fresh state with the multicast defaults.
    pub fn new(hdrincl: bool) -> DgramState {
        DgramState {
            pcb: Pcb {
                mcast_ttl: 1,
                mcast_loop: true,
                hdrincl,
                ..Pcb::default()
            },
            ..DgramState::default()
        }
    }
}

/// Check a local address for `bind`: wildcard, or one of ours that is
/// neither tentative, duplicated nor detached (EADDRNOTAVAIL), or a
/// multicast or broadcast address.
pub fn check_local_addr(inet: &Inet, a: u32) -> KResult<()> {
    if a == ANY || addr::is_multicast(a) || a == addr::BROADCAST || inet.is_usable_local(a) {
        return Ok(());
    }
    if addr::is_loopback(a) && inet.is_local(netbsd_abi::INADDR_LOOPBACK) {
        return Err(Errno::EADDRNOTAVAIL);
    }
    Err(Errno::EADDRNOTAVAIL)
}

/// `IPPORT_RESERVED`: binding below it needs root.
pub const IPPORT_RESERVED: u16 = netbsd_abi::IPPORT_RESERVED as u16;

/// What every bind checks first: the address is ours (or a wildcard), and
/// a port below `IPPORT_RESERVED` asks for root (EACCES). `ctx` is `None`
/// for the implicit binds of connect and send, which take ephemeral ports.
pub fn bind_allowed(
    inet: &Inet,
    ctx: Option<&rump::syscall::Ctx>,
    laddr: u32,
    lport: u16,
) -> KResult<()> {
    check_local_addr(inet, laddr)?;
    if lport != 0 && lport < IPPORT_RESERVED && ctx.is_some_and(|c| c.cred().euid != 0) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// [`bind_allowed`] for an address of either family: an IPv4 (mapped)
/// one as IPv4's bind checks it, an IPv6 one with the IPv6 layer
/// (EADDRNOTAVAIL unless it is ours and ready).
pub fn bind_allowed_pcb(
    inet: &Inet,
    ctx: Option<&rump::syscall::Ctx>,
    laddr: &PcbAddr,
    lport: u16,
) -> KResult<()> {
    if laddr.is_v4mapped() || laddr.is_any() {
        return bind_allowed(inet, ctx, laddr.low32(), lport);
    }
    if !laddr.is_multicast() {
        inet.ip6()?.check_local(laddr)?;
    }
    if lport != 0 && lport < IPPORT_RESERVED && ctx.is_some_and(|c| c.cred().euid != 0) {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// `IP_PORTRANGE_LOW` (`netinet/in.h`): ephemeral ports from the
/// privileged range.
pub const IP_PORTRANGE_LOW: i32 = netbsd_abi::IP_PORTRANGE_LOW;

/// Pick an ephemeral port not in use according to `in_use`, starting at a
/// random place as NetBSD's default port algorithm does: from the
/// anonymous range (`net.inet.ip.anonportmin`..`max`), or for a socket
/// that asked `IP_PORTRANGE_LOW` from the privileged one
/// (`net.inet.ip.lowportmin`..`max`), which needs root (EACCES), as
/// `in_pcbsetport` does. `ctx` is `None` for the kernel's own binds.
pub fn ephemeral_port(
    inet: &Inet,
    ctx: Option<&rump::syscall::Ctx>,
    portrange: i32,
    in_use: impl Fn(u16) -> bool,
) -> KResult<u16> {
    use std::sync::atomic::Ordering::Relaxed;
    let (lo, hi) = if portrange == IP_PORTRANGE_LOW {
        if ctx.is_some_and(|c| c.cred().euid != 0) {
            return Err(Errno::EACCES);
        }
        (
            inet.cfg.lowportmin.load(Relaxed),
            inet.cfg.lowportmax.load(Relaxed),
        )
    } else {
        (
            inet.cfg.anonportmin.load(Relaxed),
            inet.cfg.anonportmax.load(Relaxed),
        )
    };
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let span = u32::from(hi - lo) + 1;
    let start = inet.cprng.u32() % span;
    (0..span)
        .map(|i| lo + ((start + i) % span) as u16)
        .find(|&p| !in_use(p))
        .ok_or(Errno::EAGAIN)
}
