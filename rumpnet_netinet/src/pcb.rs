//! What UDP, raw and (later) TCP sockets share (NetBSD's `inpcb`): local
//! and foreign address and port, binding rules, the IP-level socket
//! options, and the datagram receive queue.

use crate::addr::{self, ANY};
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

/// The addressing and IP options of one socket.
#[derive(Clone, Debug, Default)]
pub struct Pcb {
    /// Local address (`ANY` if unbound or wildcard).
    pub laddr: u32,
    /// Local port (0 if unbound).
    pub lport: u16,
    /// Foreign address, when connected.
    pub faddr: u32,
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

    /// Set an `IPPROTO_IP` option.
    pub fn setopt(&mut self, name: i32, v: &[u8]) -> KResult<()> {
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

    /// Read an `IPPROTO_IP` option.
    pub fn getopt(&self, inet: &Inet, name: i32) -> KResult<Vec<u8>> {
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

    /// Whether a datagram from `src:sport` to `dst:dport` is for this socket.
    pub fn matches(&self, src: u32, sport: u16, dst: u32, dport: u16) -> bool {
        self.lport == dport
            && (self.laddr == ANY || self.laddr == dst)
            && (!self.connected || (self.faddr == src && self.fport == sport))
    }

    /// How specific the match is: connected and bound sockets first.
    pub fn specificity(&self) -> u8 {
        u8::from(self.connected) * 2 + u8::from(self.laddr != ANY)
    }
}

/// A received datagram waiting to be read.
#[derive(Clone, Debug)]
pub struct Datagram {
    /// The sender, as a sockaddr.
    pub from: Vec<u8>,
    /// The bytes.
    pub data: Vec<u8>,
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
            control: Vec::new(),
        };
        if !peek {
            self.bytes -= d.data.len();
            self.q.pop_front();
        }
        Some(r)
    }

    /// Bytes of the next datagram (`FIONREAD` on a datagram socket).
    pub fn next_len(&self) -> usize {
        self.q.front().map_or(0, |d| d.data.len())
    }

    /// Bytes queued with their senders' addresses (NetBSD's `sb_cc`).
    pub fn cc(&self) -> usize {
        self.q.iter().map(|d| d.from.len() + d.data.len()).sum()
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

    /// An `IPPROTO_IP` option, or ENOPROTOOPT for other levels.
    pub fn setopt(&mut self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        if level == IPPROTO_IP {
            return self.pcb.setopt(name, v);
        }
        Err(Errno::ENOPROTOOPT)
    }

    /// Read an `IPPROTO_IP` option.
    pub fn getopt(&self, inet: &Inet, level: i32, name: i32) -> KResult<Vec<u8>> {
        if level == IPPROTO_IP {
            return self.pcb.getopt(inet, name);
        }
        Err(Errno::ENOPROTOOPT)
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
