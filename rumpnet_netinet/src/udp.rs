//! UDP (RFC 768): sockets, input demultiplexing, port unreachable, and
//! errors reported to connected sockets.

use crate::addr::{self, ANY, BROADCAST};
use crate::inet::{In, Inet};
use crate::pcb::{self, Datagram, DgramState, Pcb};
use crate::wire::icmp::{kind, unreach};
use crate::wire::ipv4;
use crate::wire::udp::{self, Repr};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{ProtoSocket, Received, SOCK_DGRAM, SockShared};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Default receive buffer (`net.inet.udp.recvspace`).
pub const RECVSPACE: usize = 41600;
/// Default send buffer: the largest datagram (`net.inet.udp.sendspace`).
pub const SENDSPACE: usize = 9216;
/// Largest datagram payload.
const MAX_DGRAM: usize = 65535 - 20 - 8;

/// A UDP socket.
pub struct UdpSocket {
    inet: Arc<Inet>,
    shared: SockShared,
    st: Mutex<DgramState>,
    me: Weak<UdpSocket>,
}

impl UdpSocket {
    /// A new unbound socket, registered for input.
    pub fn new(inet: &Arc<Inet>) -> Arc<UdpSocket> {
        let s = Arc::new_cyclic(|me| UdpSocket {
            inet: Arc::clone(inet),
            shared: SockShared::new(
                inet.kernel_weak(),
                inet.cfg
                    .udp_recvspace
                    .load(std::sync::atomic::Ordering::Relaxed) as usize,
                inet.cfg
                    .udp_sendspace
                    .load(std::sync::atomic::Ordering::Relaxed) as usize,
            ),
            st: Mutex::new(DgramState::new(false)),
            me: me.clone(),
        });
        let mut st = inet.lock();
        st.udp.retain(|w| w.strong_count() > 0);
        st.udp.push(Arc::downgrade(&s));
        s
    }

    fn lock(&self) -> MutexGuard<'_, DgramState> {
        rump::sync::lock(&self.st)
    }

    pub(crate) fn pcb(&self) -> Pcb {
        self.lock().pcb.clone()
    }

    /// Every open UDP socket's addressing (for `netstat`, `sockstat`).
    pub fn list(inet: &Inet) -> Vec<Pcb> {
        live(inet).iter().map(|s| s.pcb()).collect()
    }

    /// Bind to `laddr:lport` (port 0: an ephemeral one), as `in_pcbbind`.
    fn do_bind(&self, ctx: Option<&Ctx>, laddr: u32, lport: u16) -> KResult<()> {
        pcb::bind_allowed(&self.inet, ctx, laddr, lport)?;
        let opts = self.shared.opts();
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        // The table is held across the check and the store, so that two
        // binds cannot both take one port.
        let st = self.inet.lock();
        let others: Vec<Arc<UdpSocket>> = st
            .udp
            .iter()
            .filter_map(Weak::upgrade)
            .filter(|s| !Arc::ptr_eq(s, &me))
            .collect();
        let conflict = |port: u16| {
            others.iter().any(|o| {
                let p = o.pcb();
                let oo = o.shared.opts();
                p.lport == port
                    && (p.laddr == laddr || p.laddr == ANY || laddr == ANY)
                    && !(opts.reuseport && oo.reuseport)
                    && !(addr::is_multicast(laddr) && opts.reuseaddr && oo.reuseaddr)
                    && !(p.laddr != laddr && opts.reuseaddr)
            })
        };
        let port = if lport == 0 {
            let range = self.pcb().portrange;
            pcb::ephemeral_port(&self.inet, ctx, range, conflict)?
        } else if conflict(lport) {
            return Err(Errno::EADDRINUSE);
        } else {
            lport
        };
        let mut s = self.lock();
        s.pcb.laddr = laddr;
        s.pcb.lport = port;
        drop(st);
        Ok(())
    }

    fn queue(&self, from: Vec<u8>, data: &[u8]) -> bool {
        let limit = self.shared.opts().rcvbuf;
        let ok = {
            let mut s = self.lock();
            if s.rd_shut {
                return true;
            }
            s.rcv.push(
                Datagram {
                    from,
                    data: data.to_vec(),
                },
                limit,
            )
        };
        if ok {
            self.shared.wait.wakeup();
        }
        ok
    }

    fn set_error(&self, e: Errno) {
        self.lock().error = e.0;
        self.shared.wait.wakeup();
    }
}

impl UdpSocket {
    /// Every open UDP socket.
    pub fn sockets(inet: &Inet) -> Vec<Arc<UdpSocket>> {
        live(inet)
    }
}

fn live(inet: &Inet) -> Vec<Arc<UdpSocket>> {
    inet.lock().udp.iter().filter_map(Weak::upgrade).collect()
}

impl ProtoSocket for UdpSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(addr::AF_INET), SOCK_DGRAM, 17)
    }

    fn bind(&self, ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, p) = addr::parse_sockaddr(sa)?;
        if self.lock().pcb.lport != 0 {
            return Err(Errno::EINVAL);
        }
        self.do_bind(Some(ctx), a, p)
    }

    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        // AF_UNSPEC disconnects a datagram socket.
        if sa.len() >= 2 && sa[1] == 0 {
            let mut s = self.lock();
            s.pcb.connected = false;
            s.pcb.faddr = ANY;
            s.pcb.fport = 0;
            return Ok(());
        }
        let (mut fa, fp) = addr::parse_sockaddr(sa)?;
        if fp == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if fa == ANY {
            // Connecting to INADDR_ANY means the first local address.
            fa = self
                .inet
                .addresses()
                .first()
                .map(|a| a.addr)
                .unwrap_or(netbsd_abi::INADDR_LOOPBACK);
        }
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, ANY, 0)?;
        }
        let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
        let so = self.shared.opts();
        let (ifp, _) = self
            .inet
            .route_to(&net, fa, &self.pcb().out_opts(&self.inet, &so, fa))?;
        let src = self.inet.source_for(&ifp, fa).ok_or(Errno::EADDRNOTAVAIL)?;
        let mut s = self.lock();
        if s.pcb.laddr == ANY {
            s.pcb.laddr = src;
        }
        s.pcb.faddr = fa;
        s.pcb.fport = fp;
        s.pcb.connected = true;
        s.error = 0;
        Ok(())
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        if data.len() > MAX_DGRAM {
            return Err(Errno::EMSGSIZE);
        }
        let (dst, dport) = {
            let s = self.lock();
            if s.wr_shut {
                return Err(Errno::EPIPE);
            }
            match (to, s.pcb.connected) {
                (Some(_), true) => return Err(Errno::EISCONN),
                (None, false) => return Err(Errno::EDESTADDRREQ),
                (None, true) => (s.pcb.faddr, s.pcb.fport),
                (Some(sa), false) => addr::parse_sockaddr(sa)?,
            }
        };
        if dport == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if data.len() > self.shared.opts().sndbuf {
            return Err(Errno::EMSGSIZE);
        }
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, ANY, 0)?;
        }
        let pcb = self.pcb();
        let so = self.shared.opts();
        let o = pcb.out_opts(&self.inet, &so, dst);
        let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
        let src = if pcb.laddr != ANY && !addr::is_multicast(pcb.laddr) {
            pcb.laddr
        } else {
            let (ifp, _) = self.inet.route_to(&net, dst, &o)?;
            self.inet
                .source_for(&ifp, dst)
                .ok_or(Errno::EADDRNOTAVAIL)?
        };
        let mut pkt = Pkt::with_payload(data);
        pkt.prepend(udp::HEADER_LEN);
        let mut d = udp::Packet::new_unchecked(pkt.data_mut());
        Repr {
            src_port: pcb.lport,
            dst_port: dport,
            payload_len: data.len(),
        }
        .emit(&mut d, addr::from_u32(src), addr::from_u32(dst))
        .map_err(|_| Errno::EMSGSIZE)?;
        if !self
            .inet
            .cfg
            .udp_checksum
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            // net.inet.udp.checksum off: no checksum (0), as RFC 768 allows.
            d.set_checksum(0);
        }
        self.inet.stats.bump(&self.inet.stats.udp_opackets);
        self.inet
            .output(ipv4::proto::UDP, Some(src), dst, pkt, &o)?;
        Ok(data.len())
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        self.lock().recv(buf, flags)
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        {
            let mut s = self.lock();
            if !s.pcb.connected {
                return Err(Errno::ENOTCONN);
            }
            s.shutdown(how);
        }
        self.shared.wait.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        let p = self.pcb();
        Ok(addr::sockaddr(p.laddr, p.lport))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let p = self.pcb();
        if !p.connected {
            return Err(Errno::ENOTCONN);
        }
        Ok(addr::sockaddr(p.faddr, p.fport))
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        self.lock().setopt(level, name, v)
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        self.lock().getopt(&self.inet, level, name)
    }

    fn poll(&self, events: i16) -> i16 {
        self.lock().poll(events)
    }

    fn close(&self) {
        self.lock().rd_shut = true;
        let me = self.me.clone();
        self.inet
            .lock()
            .udp
            .retain(|w| w.strong_count() > 0 && !w.ptr_eq(&me));
    }

    fn take_error(&self) -> i32 {
        std::mem::take(&mut self.lock().error)
    }

    fn nread(&self) -> usize {
        self.lock().rcv.next_len()
    }

    fn rcv_cc(&self) -> usize {
        self.lock().rcv.cc()
    }
}

/// UDP input (`udp_input`): to every matching socket for a broadcast, to
/// the most specific one otherwise; port unreachable if none.
pub fn input(inet: &Inet, d: &In, pkt: Pkt) {
    let st = &inet.stats;
    let counters = [&st.udp_ipackets, &st.udp_badsum, &st.udp_hdrops];
    let parse = |seg, src, dst| Repr::parse(&udp::Packet::new_checked(seg)?, src, dst);
    let Some((seg, repr)) = inet.transport(d, &pkt, parse, counters) else {
        return;
    };
    let (src, dst) = (addr::to_u32(d.ip.src), addr::to_u32(d.ip.dst));
    // Checked by the parse.
    let view = udp::Packet::new_unchecked(seg);
    let payload = view.payload();
    let from = addr::sockaddr(src, repr.src_port);
    let socks: Vec<(Arc<UdpSocket>, Pcb)> = live(inet)
        .into_iter()
        .map(|s| {
            let p = s.pcb();
            (s, p)
        })
        .filter(|(_, p)| {
            let to = if d.bcast && p.laddr != ANY && !addr::is_multicast(p.laddr) {
                // A socket bound to a unicast address also hears its
                // subnet's broadcasts.
                p.laddr
            } else {
                dst
            };
            p.matches(src, repr.src_port, to, repr.dst_port)
        })
        .collect();
    if socks.is_empty() {
        if d.bcast || dst == BROADCAST {
            inet.stats.bump(&inet.stats.udp_noportbcast);
            return;
        }
        inet.stats.bump(&inet.stats.udp_noport);
        crate::icmp::error(inet, d, &pkt, kind::UNREACH, unreach::PORT, 0);
        return;
    }
    let targets: Vec<&Arc<UdpSocket>> = if d.bcast || addr::is_multicast(dst) {
        socks.iter().map(|(s, _)| s).collect()
    } else {
        let best = socks
            .iter()
            .map(|(_, p)| p.specificity())
            .max()
            .unwrap_or(0);
        socks
            .iter()
            .filter(|(_, p)| p.specificity() == best)
            .map(|(s, _)| s)
            .take(1)
            .collect()
    };
    for s in targets {
        if !s.queue(from.clone(), payload) {
            inet.stats.bump(&inet.stats.udp_fullsock);
        }
    }
}

/// An ICMP error about a datagram we sent from `src:sport` to
/// `dst:dport`: connected sockets get the error (`udp_ctlinput`), as
/// NetBSD reports ECONNREFUSED only to sockets that connected.
pub fn ctlinput(inet: &Inet, src: u32, sport: u16, dst: u32, dport: u16, e: Errno) {
    for s in live(inet) {
        let p = s.pcb();
        if p.connected
            && p.lport == sport
            && p.faddr == dst
            && p.fport == dport
            && (p.laddr == src || p.laddr == ANY)
        {
            s.set_error(e);
        }
    }
}
