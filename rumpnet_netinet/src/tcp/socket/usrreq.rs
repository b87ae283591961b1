//! The protocol requests of a TCP socket (`tcp_usrreq`): bind, listen,
//! connect, accept, send, receive, shutdown, close, poll and the
//! socket layer's questions about its state.

use super::wake::Wake;
use super::{IPPROTO_TCP, ListenQ, POLLHUP, SOMAXCONN, TcpSocket, send_segment};
use crate::addr::{self, ANY, PcbAddr};
use crate::tcp::conn::{State, Tcb};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::socket::{
    MSG_OOB, MSG_PEEK, ProtoSocket, Received, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_STREAM, SockShared,
};
use std::collections::VecDeque;
use std::sync::{Arc, Weak};

impl ProtoSocket for TcpSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        let family = if self.lock().pcb.v6 {
            addr::AF_INET6
        } else {
            addr::AF_INET
        };
        (i32::from(family), SOCK_STREAM, IPPROTO_TCP)
    }

    fn bind(&self, ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, p) = self.lock().pcb.parse_sockaddr(sa)?;
        if self.lock().pcb.lport != 0 {
            return Err(Errno::EINVAL);
        }
        if a.is_multicast() || a == PcbAddr::v4(addr::BROADCAST) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        self.do_bind(Some(ctx), a, p)
    }

    fn listen(&self, backlog: i32) -> KResult<()> {
        {
            let s = self.lock();
            if s.tcb.is_some() {
                return Err(Errno::EINVAL);
            }
        }
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, PcbAddr::UNSPECIFIED, 0)?;
        }
        let backlog = usize::try_from(backlog)
            .ok()
            .filter(|&b| b <= SOMAXCONN)
            .unwrap_or(SOMAXCONN);
        let mut s = self.lock();
        match &mut s.listen {
            Some(l) => l.backlog = backlog,
            None => {
                s.listen = Some(ListenQ {
                    backlog,
                    pending: Vec::new(),
                    ready: VecDeque::new(),
                })
            }
        }
        Ok(())
    }

    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        {
            let s = self.lock();
            if s.listen.is_some() {
                return Err(Errno::EOPNOTSUPP);
            }
            match s.tcb.as_ref().map(|t| t.state) {
                Some(State::SynSent | State::SynReceived) => return Err(Errno::EALREADY),
                Some(State::Closed) | None => {}
                Some(_) => return Err(Errno::EISCONN),
            }
        }
        let (fa, fp) = self.lock().pcb.parse_sockaddr(sa)?;
        if fp == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let (fa, src, mtu) = self.route_for_connect(fa)?;
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, PcbAddr::UNSPECIFIED, 0)?;
        }
        let (laddr, lport) = {
            let s = self.lock();
            (
                if s.pcb.laddr.is_any() {
                    src
                } else {
                    s.pcb.laddr
                },
                s.pcb.lport,
            )
        };
        // The same four numbers as another connection cannot be.
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        let _bind = rump::sync::lock(&self.inet.tcp_bind);
        let taken = TcpSocket::list(&self.inet).iter().any(|o| {
            !Arc::ptr_eq(o, &me) && {
                let (p, state, _, _) = o.describe();
                p.lport == lport
                    && p.laddr == laddr
                    && p.faddr == fa
                    && p.fport == fp
                    && state != "CLOSED"
            }
        });
        if taken {
            return Err(Errno::EADDRINUSE);
        }
        let mss = mss_for(mtu, fa.is_v4mapped());
        let mut st = self.lock();
        st.pcb.laddr = laddr;
        st.pcb.faddr = fa;
        st.pcb.fport = fp;
        st.pcb.connected = true;
        let cfg = self.config(&st, mss);
        let t = self.inet.now();
        let mut tcb = Tcb::connect(cfg, t);
        let outs = tcb.output(t);
        st.tcb = Some(tcb);
        self.inet.stats.bump(&self.inet.stats.tcp_connattempt);
        self.settle(st, outs);
        Err(Errno::EINPROGRESS)
    }

    fn connect_result(&self) -> Option<KResult<()>> {
        let mut s = self.lock();
        let t = s.tcb.as_mut()?;
        match t.state {
            State::SynSent | State::SynReceived => None,
            State::Closed => Some(Err(t.error.take().unwrap_or(Errno::ECONNREFUSED))),
            _ => Some(Ok(())),
        }
    }

    fn accept(&self) -> KResult<Arc<dyn ProtoSocket>> {
        let mut s = self.lock();
        let l = s.listen.as_mut().ok_or(Errno::EINVAL)?;
        let child = l.ready.pop_front().ok_or(Errno::EAGAIN)?;
        drop(s);
        child.lock().parent = None;
        self.inet.stats.bump(&self.inet.stats.tcp_accepts);
        Ok(child)
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, f: i32) -> KResult<usize> {
        if f & MSG_OOB != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut st = self.lock();
        if to.is_some() && st.tcb.is_some() {
            return Err(Errno::EISCONN);
        }
        let Some(t) = st.tcb.as_mut() else {
            return Err(Errno::ENOTCONN);
        };
        let r = t.send(data);
        let outs = t.output(self.inet.now());
        if let Err(Errno::EPIPE | Errno::ECONNRESET | Errno::ETIMEDOUT) = r {
            // The error is reported once, by this call.
            t.error = None;
        }
        self.settle_and(st, outs, Wake::Nobody);
        r
    }

    fn recv(&self, buf: &mut [u8], f: i32) -> KResult<Received> {
        if f & MSG_OOB != 0 {
            return Err(Errno::EINVAL);
        }
        let mut st = self.lock();
        let Some(t) = st.tcb.as_mut() else {
            return Err(Errno::ENOTCONN);
        };
        if !t.state.synchronized() && t.state != State::Closed {
            return Err(Errno::EAGAIN);
        }
        let n = t.recv(buf, f & MSG_PEEK != 0);
        let outs = t.output(self.inet.now());
        if n.is_err() && n != Err(Errno::EAGAIN) {
            t.error = None;
        }
        self.settle_and(st, outs, Wake::Nobody);
        let n = n?;
        Ok(Received {
            len: n,
            full: n,
            from: None,
            flags: 0,
            control: Vec::new(),
        })
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        let mut st = self.lock();
        if st.listen.is_some() {
            return Err(Errno::ENOTCONN);
        }
        let Some(t) = st.tcb.as_mut() else {
            return Err(Errno::ENOTCONN);
        };
        if how == SHUT_RD || how == SHUT_RDWR {
            t.rd_shut = true;
            let mut sink = vec![0u8; t.readable()];
            let _ = t.recv(&mut sink, false);
        }
        if how == SHUT_WR || how == SHUT_RDWR {
            t.close_send();
        }
        let outs = t.output(self.inet.now());
        self.settle(st, outs);
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Ok(self.lock().pcb.local_sockaddr())
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let s = self.lock();
        match &s.tcb {
            Some(t) if t.state.synchronized() || t.state == State::SynReceived => {
                Ok(s.pcb.foreign_sockaddr())
            }
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        self.set_option(level, name, v)
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        self.get_option(level, name)
    }

    fn poll(&self, events: i16) -> i16 {
        let s = self.lock();
        if let Some(l) = &s.listen {
            return rumpnet::socket::poll_bits(events, !l.ready.is_empty(), false, false);
        }
        let Some(t) = &s.tcb else {
            return rumpnet::socket::poll_bits(events, false, false, true) & !POLLHUP | POLLHUP;
        };
        let lowat = self.shared.opts().sndlowat;
        let failed = t.error.is_some() || t.state == State::Closed;
        let readable = t.readable() > 0 || t.at_eof() || t.rd_shut || failed;
        // sowritable: after our FIN (SS_CANTSENDMORE) a send fails at once,
        // so the socket polls writable, as after a failure.
        let writable =
            (t.can_send() && t.send_space() >= lowat.min(t.cfg.sndbuf)) || failed || t.fin_queued();
        let hup = failed || (t.at_eof() && !t.can_send() && t.state != State::Established);
        rumpnet::socket::poll_bits(events, readable, writable, hup)
    }

    fn close(&self) {
        let mut st = self.lock();
        st.detached = true;
        if let Some(l) = st.listen.take() {
            drop(st);
            // Connections nobody accepted are reset.
            let mut children: Vec<Arc<TcpSocket>> = l.ready.into_iter().collect();
            children.extend(l.pending.iter().filter_map(Weak::upgrade));
            for c in children {
                c.lock().detached = true;
                let rst = c.with_tcb(|t| t.abort()).flatten();
                let pcb = c.lock().pcb.clone();
                if let Some(r) = rst {
                    send_segment(&self.inet, &pcb, r);
                }
                c.unregister();
            }
            self.unregister();
            return;
        }
        let linger0 = self.shared.opts().linger == Some(0);
        let mut outs = Vec::new();
        if let Some(t) = st.tcb.as_mut() {
            if linger0 || t.readable() > 0 {
                // Unread data or a zero linger: reset (RFC 9293 3.10.4).
                outs.extend(t.abort());
                self.inet.stats.bump(&self.inet.stats.tcp_drops);
            } else {
                t.close_send();
                outs.extend(t.output(self.inet.now()));
            }
        }
        self.settle(st, outs);
    }

    fn take_error(&self) -> i32 {
        let mut s = self.lock();
        s.tcb
            .as_mut()
            .and_then(|t| t.error.take())
            .map_or(0, |e| e.0)
    }

    fn nread(&self) -> usize {
        self.lock().tcb.as_ref().map_or(0, Tcb::readable)
    }

    fn nwrite(&self) -> usize {
        self.lock().tcb.as_ref().map_or(0, Tcb::unacked)
    }

    fn drained(&self) -> bool {
        self.lock().tcb.as_ref().is_none_or(|t| {
            t.unacked() == 0
                && !matches!(
                    t.state,
                    State::FinWait1 | State::Closing | State::LastAck | State::SynSent
                )
        })
    }

    fn is_listening(&self) -> bool {
        self.lock().listen.is_some()
    }

    fn accept_ready(&self) -> usize {
        self.lock().listen.as_ref().map_or(0, |l| l.ready.len())
    }

    fn cant_send(&self) -> bool {
        self.lock().tcb.as_ref().is_some_and(|t| !t.can_send())
    }

    fn cant_recv_more(&self) -> bool {
        // A socket never connected is not at its end, as NetBSD's.
        let failed = |t: &Tcb| t.error.is_some() || t.state == State::Closed;
        self.lock()
            .tcb
            .as_ref()
            .is_some_and(|t| t.fin_received() || t.rd_shut || failed(t))
    }

    fn cant_send_more(&self) -> bool {
        let failed = |t: &Tcb| t.error.is_some() || t.state == State::Closed;
        self.lock()
            .tcb
            .as_ref()
            .is_some_and(|t| t.send_shut() || failed(t))
    }
}

/// The MSS to announce on a route of `mtu`: less IPv4's and TCP's
/// headers (40 bytes), or IPv6's and TCP's (60).
pub(super) fn mss_for(mtu: u32, v4: bool) -> u16 {
    let headers = if v4 { 40 } else { 60 };
    mtu.saturating_sub(headers).clamp(64, 65495) as u16
}

impl TcpSocket {
    /// Where a connect to `fa` goes (`in_pcbconnect`, `in6_pcbconnect`):
    /// the destination (a wildcard means loopback), the source address
    /// the route gives and the route's MTU. An IPv6 socket bound to a
    /// native IPv6 address cannot reach an IPv4-mapped one, nor one bound
    /// to a mapped address a native one (EINVAL).
    fn route_for_connect(&self, fa: PcbAddr) -> KResult<(PcbAddr, PcbAddr, u32)> {
        let laddr = self.lock().pcb.laddr;
        if fa.is_v4mapped() || !self.lock().pcb.v6 {
            if !laddr.is_any() && !laddr.is_v4mapped() {
                return Err(Errno::EINVAL);
            }
            let mut a = fa.low32();
            if a == ANY {
                a = netbsd_abi::INADDR_LOOPBACK;
            }
            if a == addr::BROADCAST || addr::is_multicast(a) {
                return Err(Errno::ENETUNREACH);
            }
            let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
            let (ifp, _) = self.inet.route_to(&net, a, &self.inet.default_opts())?;
            let src = self.inet.select_source(&ifp, a)?;
            return Ok((
                PcbAddr::v4(a),
                PcbAddr::v4(src),
                self.inet.path_mtu(&ifp, a),
            ));
        }
        if laddr.is_v4mapped() {
            return Err(Errno::EINVAL);
        }
        let fa = if fa.is_any() {
            PcbAddr(std::net::Ipv6Addr::LOCALHOST.octets())
        } else {
            fa
        };
        if fa.is_multicast() {
            return Err(Errno::ENETUNREACH);
        }
        let r = self.inet.ip6()?.route(&fa)?;
        r.reject.map_or(Ok(()), Err)?;
        Ok((fa, r.src, r.mtu))
    }
}
