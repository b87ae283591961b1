//! UDP (RFC 768): sockets, input demultiplexing, port unreachable, and
//! errors reported to connected sockets. One UDP serves both families:
//! a socket of the IPv6 family sends and receives over IPv6 through the
//! IPv6 layer ([`crate::ip6layer`]) and, unless `IPV6_V6ONLY`, over IPv4
//! with IPv4-mapped addresses.

use crate::addr::{self, ANY, BROADCAST, PcbAddr};
use crate::inet::{In, Inet};
use crate::mcast6::{self, PktOpts};
use crate::pcb::{self, Arrival, Datagram, DgramState, Pcb};
use crate::wire::icmp::{kind, unreach};
use crate::wire::ipv4;
use crate::wire::pseudo::Pseudo;
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
    /// A new unbound socket of the IPv4 family, registered for input.
    pub fn new(inet: &Arc<Inet>) -> Arc<UdpSocket> {
        UdpSocket::new_in(inet, false)
    }

    /// A new unbound socket of the IPv6 family, its `IPV6_V6ONLY` as
    /// `net.inet6.ip6.v6only` says; its buffers are `udp6`'s.
    pub fn new6(inet: &Arc<Inet>, sendspace: usize, recvspace: usize) -> KResult<Arc<UdpSocket>> {
        let v6only = inet.ip6()?.v6only_default();
        let s = UdpSocket::new_in(inet, true);
        {
            let mut st = s.lock();
            st.pcb.v6only = v6only;
        }
        let mut o = rump::sync::lock(&s.shared.opts);
        o.sndbuf = sendspace;
        o.rcvbuf = recvspace;
        drop(o);
        Ok(s)
    }

    fn new_in(inet: &Arc<Inet>, v6: bool) -> Arc<UdpSocket> {
        let mut state = DgramState::new(false);
        state.pcb.v6 = v6;
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
            st: Mutex::new(state),
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
    fn do_bind(&self, ctx: Option<&Ctx>, laddr: PcbAddr, lport: u16) -> KResult<()> {
        pcb::bind_allowed_pcb(&self.inet, ctx, &laddr, lport)?;
        let mut want = self.pcb();
        want.laddr = laddr;
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
                    && p.local_overlaps(&want)
                    && !(opts.reuseport && oo.reuseport)
                    && !(laddr.is_multicast() && opts.reuseaddr && oo.reuseaddr)
                    && !(p.laddr != laddr && opts.reuseaddr)
            })
        };
        let port = if lport == 0 {
            let range = want.portrange;
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

    fn queue(&self, from: Vec<u8>, data: &[u8], control: Vec<u8>) -> bool {
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
                    control,
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
    /// Send `data` over IPv6 from this socket to `dst:dport`
    /// (`udp6_output`): the source is the bound address, else the one
    /// the route gives; the checksum is mandatory (RFC 8200 8.1).
    fn send6(
        &self,
        pcb: &Pcb,
        dst: PcbAddr,
        dport: u16,
        data: &[u8],
        opts: &PktOpts,
    ) -> KResult<usize> {
        if pcb.laddr.is_v4mapped() {
            return Err(Errno::EINVAL);
        }
        let l = self.inet.ip6()?;
        let o = opts.apply(mcast6::out_opts(pcb));
        let src = if let Some(s) = opts.source(l.as_ref())? {
            s
        } else if !pcb.laddr.is_any() && !pcb.laddr.is_multicast() {
            pcb.laddr
        } else if o.ifindex != 0 && dst.is_multicast() {
            // Out of the interface chosen: a source of its own.
            let zoned = PcbAddr::embed(dst.wire(), u32::from(o.ifindex))?;
            l.route(&zoned)?.src
        } else {
            l.route(&dst)?.src
        };
        let mut pkt = Pkt::with_payload(data);
        pkt.prepend(udp::HEADER_LEN);
        let mut d = udp::Packet::new_unchecked(pkt.data_mut());
        Repr {
            src_port: pcb.lport,
            dst_port: dport,
            payload_len: data.len(),
        }
        .emit_in(&mut d, &Pseudo::V6(src.wire(), dst.wire()))
        .map_err(|_| Errno::EMSGSIZE)?;
        self.inet.stats.bump(&self.inet.stats.udp_opackets);
        l.output(ipv4::proto::UDP, &src, &dst, &o, pkt)?;
        Ok(data.len())
    }

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
        let family = if self.lock().pcb.v6 {
            addr::AF_INET6
        } else {
            addr::AF_INET
        };
        (i32::from(family), SOCK_DGRAM, netbsd_abi::IPPROTO_UDP)
    }

    fn bind(&self, ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, p) = self.lock().pcb.parse_sockaddr(sa)?;
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
            s.pcb.faddr = PcbAddr::UNSPECIFIED;
            s.pcb.fport = 0;
            return Ok(());
        }
        let (fa, fp) = self.lock().pcb.parse_sockaddr(sa)?;
        if fp == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, PcbAddr::UNSPECIFIED, 0)?;
        }
        let (fa, src) = if fa.is_v4mapped() || !self.lock().pcb.v6 {
            let mut fa = fa.low32();
            if fa == ANY {
                // Connecting to INADDR_ANY means the first local address.
                fa = self
                    .inet
                    .addresses()
                    .first()
                    .map(|a| a.addr)
                    .unwrap_or(netbsd_abi::INADDR_LOOPBACK);
            }
            let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
            let so = self.shared.opts();
            let (ifp, _) =
                self.inet
                    .route_to(&net, fa, &self.pcb().out_opts(&self.inet, &so, fa))?;
            let src = self.inet.select_source(&ifp, fa)?;
            (PcbAddr::v4(fa), PcbAddr::v4(src))
        } else {
            let fa = if fa.is_any() {
                PcbAddr(std::net::Ipv6Addr::LOCALHOST.octets())
            } else {
                fa
            };
            (fa, self.inet.ip6()?.route(&fa)?.src)
        };
        let mut s = self.lock();
        if s.pcb.laddr.is_any() {
            s.pcb.laddr = src;
        } else if s.pcb.laddr.is_v4mapped() != fa.is_v4mapped() {
            // in6_pcbconnect: a socket bound to one family's address
            // cannot reach the other's.
            return Err(Errno::EINVAL);
        }
        s.pcb.faddr = fa;
        s.pcb.fport = fp;
        s.pcb.connected = true;
        s.error = 0;
        Ok(())
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        self.send_opts(data, to, None)
    }

    fn send_control(
        &self,
        _ctx: &Ctx,
        data: &[u8],
        to: Option<&[u8]>,
        _flags: i32,
        control: &[u8],
    ) -> KResult<usize> {
        if !self.lock().pcb.v6 {
            // udp_send: no control messages over IPv4 yet.
            return Err(Errno::EINVAL);
        }
        let opts = mcast6::parse_control(self.inet.ip6()?.as_ref(), control)?;
        self.send_opts(data, to, Some(&opts))
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
        Ok(self.pcb().local_sockaddr())
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let p = self.pcb();
        if !p.connected {
            return Err(Errno::ENOTCONN);
        }
        Ok(p.foreign_sockaddr())
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        if level == netbsd_abi::IPPROTO_IPV6 && mcast6::is_moption(name) && self.lock().pcb.v6 {
            let l = self.inet.ip6()?;
            return mcast6::set(l.as_ref(), &mut self.lock().pcb, name, v);
        }
        self.lock().setopt(level, name, v)
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        let s = self.lock();
        if level == netbsd_abi::IPPROTO_IPV6 && mcast6::is_moption(name) && s.pcb.v6 {
            return mcast6::get(&s.pcb, name);
        }
        s.getopt(&self.inet, level, name)
    }

    fn poll(&self, events: i16) -> i16 {
        self.lock().poll(events)
    }

    fn close(&self) {
        let groups = {
            let mut s = self.lock();
            s.rd_shut = true;
            std::mem::take(&mut s.pcb.groups6)
        };
        if !groups.is_empty()
            && let Ok(l) = self.inet.ip6()
        {
            mcast6::leave_all(l.as_ref(), groups);
        }
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

impl UdpSocket {
    /// Send `data` to `to` (or the connected peer), with a `sendmsg`'s
    /// IPv6 control messages `opts` if any (`udp_send`, `udp6_output`).
    fn send_opts(&self, data: &[u8], to: Option<&[u8]>, opts: Option<&PktOpts>) -> KResult<usize> {
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
                (Some(sa), false) => s.pcb.parse_sockaddr(sa)?,
            }
        };
        if dport == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if data.len() > self.shared.opts().sndbuf {
            return Err(Errno::EMSGSIZE);
        }
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, PcbAddr::UNSPECIFIED, 0)?;
        }
        let pcb = self.pcb();
        if pcb.v6 && !dst.is_v4mapped() {
            return self.send6(&pcb, dst, dport, data, &opts.copied().unwrap_or_default());
        }
        if opts.is_some() {
            // udp6_output hands a datagram to an IPv4-mapped address to
            // IPv4, which takes no control messages here yet.
            return Err(Errno::EINVAL);
        }
        let dst = dst.low32();
        let so = self.shared.opts();
        let o = pcb.out_opts(&self.inet, &so, dst);
        let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
        let src = if !pcb.laddr.is_any() && !pcb.laddr.is_multicast() {
            pcb.laddr.low32()
        } else {
            let (ifp, _) = self.inet.route_to(&net, dst, &o)?;
            self.inet.select_source(&ifp, dst)?
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
}

/// How a datagram's delivery went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    /// A socket took it (or it was dropped as bad or for a full buffer).
    Done,
    /// No socket wants it: the sender is owed a port unreachable.
    NoPort,
    /// No socket wants a broadcast or multicast datagram: nobody is told.
    NoPortBroadcast,
}

/// UDP input of an IPv4 datagram (`udp_input`): to every matching socket
/// for a broadcast, to the most specific one otherwise; port
/// unreachable if none.
pub fn input(inet: &Inet, d: &In, pkt: Pkt) {
    let at = Arrival {
        ifp: d.ifp,
        src: PcbAddr::v4(addr::to_u32(d.ip.src)),
        dst: PcbAddr::v4(addr::to_u32(d.ip.dst)),
        bcast: d.bcast || addr::to_u32(d.ip.dst) == BROADCAST,
    };
    if deliver(inet, &at, &pkt.data()[d.hl..], 0) == Delivery::NoPort {
        crate::icmp::error(inet, d, &pkt, kind::UNREACH, unreach::PORT, 0);
    }
}

/// UDP input of datagram `seg` that came over IPv6 from `src` to `dst`
/// on `ifp` with hop limit `hlim` (`udp6_input`); the caller answers
/// [`Delivery::NoPort`] with an ICMPv6 port unreachable.
pub fn input6(
    inet: &Inet,
    ifp: &Arc<rumpnet::ifnet::Ifnet>,
    (src, dst): (PcbAddr, PcbAddr),
    hlim: u8,
    seg: &[u8],
) -> Delivery {
    let at = Arrival {
        ifp,
        src,
        dst,
        bcast: dst.is_multicast(),
    };
    deliver(inet, &at, seg, hlim)
}

/// Deliver `seg`; `hlim` is the IPv6 hop limit it came with (for
/// `IPV6_RECVHOPLIMIT`; unused for IPv4).
fn deliver(inet: &Inet, d: &Arrival, seg: &[u8], hlim: u8) -> Delivery {
    let st = &inet.stats;
    st.bump(&st.udp_ipackets);
    let parsed = udp::Packet::new_checked(seg).and_then(|p| Repr::parse_in(&p, &d.pseudo()));
    let Some(repr) = inet.counted(parsed, &st.udp_badsum, &st.udp_hdrops) else {
        return Delivery::Done;
    };
    let (src, dst) = (d.src, d.dst);
    // Checked by the parse.
    let view = udp::Packet::new_unchecked(seg);
    let payload = view.payload();
    let socks: Vec<(Arc<UdpSocket>, Pcb)> = live(inet)
        .into_iter()
        .map(|s| {
            let p = s.pcb();
            (s, p)
        })
        .filter(|(_, p)| {
            let to = if d.bcast && !p.laddr.is_any() && !p.laddr.is_multicast() {
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
        if d.bcast {
            inet.stats.bump(&inet.stats.udp_noportbcast);
            return Delivery::NoPortBroadcast;
        }
        inet.stats.bump(&inet.stats.udp_noport);
        return Delivery::NoPort;
    }
    let targets: Vec<&(Arc<UdpSocket>, Pcb)> = if d.bcast || dst.is_multicast() {
        socks.iter().collect()
    } else {
        let best = socks
            .iter()
            .map(|(_, p)| p.specificity())
            .max()
            .unwrap_or(0);
        socks
            .iter()
            .filter(|(_, p)| p.specificity() == best)
            .take(1)
            .collect()
    };
    for (s, p) in targets {
        // Each socket names the sender in its own family: an IPv6 socket
        // hears an IPv4 sender as an IPv4-mapped address.
        let mut control = if p.recvpktinfo && !d.is_v4() {
            pcb::pktinfo(&dst, d.ifp.index)
        } else {
            Vec::new()
        };
        if p.recvhoplimit && !d.is_v4() {
            let h = i32::from(hlim).to_le_bytes();
            control.extend(pcb::cmsg(
                netbsd_abi::IPPROTO_IPV6,
                netbsd_abi::IPV6_HOPLIMIT,
                &h,
            ));
        }
        if !s.queue(p.sockaddr_of(&src, repr.src_port), payload, control) {
            inet.stats.bump(&inet.stats.udp_fullsock);
        }
    }
    Delivery::Done
}

/// An ICMP error about a datagram we sent from `src:sport` to
/// `dst:dport`: connected sockets get the error (`udp_ctlinput`), as
/// NetBSD reports ECONNREFUSED only to sockets that connected.
pub fn ctlinput(inet: &Inet, src: u32, sport: u16, dst: u32, dport: u16, e: Errno) {
    ctlinput_pcb(
        inet,
        (PcbAddr::v4(src), sport),
        (PcbAddr::v4(dst), dport),
        e,
    );
}

/// As [`ctlinput`], for a datagram of either family (`udp6_ctlinput`
/// for an ICMPv6 error).
pub fn ctlinput_pcb(
    inet: &Inet,
    (src, sport): (PcbAddr, u16),
    (dst, dport): (PcbAddr, u16),
    e: Errno,
) {
    for s in live(inet) {
        let p = s.pcb();
        if p.connected
            && p.lport == sport
            && p.faddr == dst
            && p.fport == dport
            && (p.laddr == src || p.laddr.is_any())
        {
            s.set_error(e);
        }
    }
}
