//! TCP sockets (`tcp_usrreq`), segment demultiplexing (`tcp_input`'s
//! lookup), listen queues, resets for segments nobody wants, and the
//! timer that drives every connection.
//!
//! The connection table holds sockets strongly: a connection outlives its
//! descriptor until its FIN is acknowledged and TIME_WAIT is over.

use super::conn::{AutoSize, Config, Out, State, Tcb};
use crate::addr::{self, ANY};
use crate::inet::{In, Inet};
use crate::pcb::{self, IPPROTO_IP, Pcb};
use crate::wire::ipv4;
use crate::wire::tcp::{self, Repr, flags};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{
    MSG_OOB, MSG_PEEK, ProtoSocket, Received, SHUT_RD, SHUT_RDWR, SHUT_WR, SOCK_STREAM, SockShared,
};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// `IPPROTO_TCP`.
pub const IPPROTO_TCP: i32 = netbsd_abi::IPPROTO_TCP;
/// `TCP_NODELAY`.
pub const TCP_NODELAY: i32 = netbsd_abi::TCP_NODELAY;
/// `TCP_MAXSEG`.
pub const TCP_MAXSEG: i32 = netbsd_abi::TCP_MAXSEG;
/// `TCP_KEEPIDLE`.
pub const TCP_KEEPIDLE: i32 = netbsd_abi::TCP_KEEPIDLE;
/// `TCP_KEEPINTVL`.
pub const TCP_KEEPINTVL: i32 = netbsd_abi::TCP_KEEPINTVL;
/// `TCP_KEEPCNT`.
pub const TCP_KEEPCNT: i32 = netbsd_abi::TCP_KEEPCNT;
/// `TCP_KEEPINIT`.
pub const TCP_KEEPINIT: i32 = netbsd_abi::TCP_KEEPINIT;
/// `SOMAXCONN`.
pub const SOMAXCONN: usize = netbsd_abi::SOMAXCONN as usize;

const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;

struct ListenQ {
    backlog: usize,
    pending: Vec<Weak<TcpSocket>>,
    ready: VecDeque<Arc<TcpSocket>>,
}

#[derive(Default)]
struct St {
    pcb: Pcb,
    tcb: Option<Tcb>,
    listen: Option<ListenQ>,
    parent: Option<Weak<TcpSocket>>,
    nodelay: bool,
    maxseg: Option<u16>,
    keep: Option<(Duration, Duration, u32)>,
    /// The descriptor is gone; the connection may live on.
    detached: bool,
    /// In the connection table.
    registered: bool,
    /// The connection's buffer sizes last shown in the socket options.
    bufs_shown: Option<(usize, usize)>,
}

/// Whom a change to a connection wakes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wake {
    Nobody,
    /// Only `poll` and `select`.
    Pollers,
    All,
}

/// What sleepers on a connection wait for, seen before a segment comes in:
/// the segment wakes them only if one of these changes, so that a stream
/// of ACKs does not wake a blocked writer for every few bytes freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WakeMarks {
    state: State,
    failed: bool,
    readable: bool,
    /// `SO_SNDLOWAT` free: `poll`'s POLLOUT.
    lowat_free: bool,
    /// A quarter of the buffer free: a blocked writer goes on (Linux wakes
    /// writers at a third).
    quarter_free: bool,
}

impl WakeMarks {
    fn of(t: &Tcb, lowat: usize) -> WakeMarks {
        WakeMarks {
            state: t.state,
            failed: t.error.is_some(),
            readable: t.readable() > 0 || t.at_eof(),
            lowat_free: t.send_space() >= lowat.min(t.cfg.sndbuf),
            quarter_free: t.send_space() >= (t.cfg.sndbuf / 4).max(1),
        }
    }

    fn wake(self, t: &Tcb, lowat: usize) -> Wake {
        let now = WakeMarks::of(t, lowat);
        let only_lowat = WakeMarks {
            lowat_free: self.lowat_free,
            ..now
        } == self;
        if now == self {
            Wake::Nobody
        } else if only_lowat {
            Wake::Pollers
        } else {
            Wake::All
        }
    }
}

/// A TCP socket.
pub struct TcpSocket {
    inet: Arc<Inet>,
    shared: SockShared,
    st: Mutex<St>,
    // Taken before `st` is let go and held while the segments made under
    // it are handed to IP, so that segments leave in the order made (an
    // old window must never overtake a newer one).
    tx: Mutex<()>,
    me: Weak<TcpSocket>,
}

impl TcpSocket {
    /// A new, unbound socket.
    pub fn new(inet: &Arc<Inet>) -> Arc<TcpSocket> {
        use std::sync::atomic::Ordering::Relaxed;
        Arc::new_cyclic(|me| TcpSocket {
            inet: Arc::clone(inet),
            shared: SockShared::new(
                inet.kernel_weak(),
                inet.cfg.tcp_recvspace.load(Relaxed) as usize,
                inet.cfg.tcp_sendspace.load(Relaxed) as usize,
            ),
            st: Mutex::new(St {
                pcb: Pcb {
                    mcast_ttl: 1,
                    ..Pcb::default()
                },
                ..St::default()
            }),
            tx: Mutex::new(()),
            me: me.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `(local, foreign, state)` for `netstat` and `sockstat`.
    pub fn describe(&self) -> (Pcb, &'static str, usize, usize) {
        let s = self.lock();
        let state = if s.listen.is_some() {
            "LISTEN"
        } else {
            s.tcb.as_ref().map_or("CLOSED", |t| t.state.name())
        };
        let (r, w) = s
            .tcb
            .as_ref()
            .map_or((0, 0), |t| (t.readable(), t.unacked()));
        (s.pcb.clone(), state, r, w)
    }

    /// `(local and foreign, TCPS_* state, bytes to read, bytes unacknowledged)`
    /// for `pcblist`.
    pub fn describe_numeric(&self) -> (Pcb, i32, usize, usize) {
        let s = self.lock();
        let state = if s.listen.is_some() {
            State::Listen.number()
        } else {
            s.tcb.as_ref().map_or(0, |t| t.state.number())
        };
        let (r, w) = s
            .tcb
            .as_ref()
            .map_or((0, 0), |t| (t.readable(), t.unacked()));
        (s.pcb.clone(), state, r, w)
    }

    /// Every TCP socket in the connection table.
    pub fn list(inet: &Inet) -> Vec<Arc<TcpSocket>> {
        inet.lock().tcp.clone()
    }

    fn config(&self, st: &St, mss: u16) -> Config {
        use std::sync::atomic::Ordering::Relaxed;
        let o = self.shared.opts();
        let c = &self.inet.cfg;
        let (keep_idle, keep_intvl, keep_cnt) =
            st.keep.unwrap_or_else(|| self.inet.tcp_keep_defaults());
        Config {
            mss: st.maxseg.map_or(mss, |m| m.min(mss)),
            mss_default: c.tcp_mssdflt.load(Relaxed),
            rcvbuf: o.rcvbuf,
            sndbuf: o.sndbuf,
            nodelay: st.nodelay,
            wscale: self.inet.cfg.tcp_rfc1323.load(Relaxed),
            timestamps: self.inet.cfg.tcp_rfc1323.load(Relaxed),
            msl: Duration::from_secs(u64::from(self.inet.cfg.tcp_msl.load(Relaxed))),
            delack: Duration::from_millis(100),
            keepalive: o.keepalive,
            keep_idle,
            keep_intvl,
            keep_cnt,
            iss: self.inet.cprng.u32(),
            rcv_auto: (o.rcv_autosize && c.tcp_recvbuf_auto.load(Relaxed)).then(|| AutoSize {
                inc: c.tcp_recvbuf_inc.load(Relaxed) as usize,
                max: c.tcp_recvbuf_max.load(Relaxed) as usize,
            }),
            snd_auto: (o.snd_autosize && c.tcp_sendbuf_auto.load(Relaxed)).then(|| AutoSize {
                inc: c.tcp_sendbuf_inc.load(Relaxed) as usize,
                max: c.tcp_sendbuf_max.load(Relaxed) as usize,
            }),
        }
    }

    /// Put the socket in the connection table (once).
    fn register(&self) {
        let Some(me) = self.me.upgrade() else { return };
        let mut t = self.inet.lock();
        if !t.tcp.iter().any(|s| Arc::ptr_eq(s, &me)) {
            t.tcp.push(me);
        }
        drop(t);
        self.lock().registered = true;
    }

    fn unregister(&self) {
        let me = self.me.clone();
        self.inet
            .lock()
            .tcp
            .retain(|s| !std::ptr::eq(Arc::as_ptr(s), me.as_ptr()));
    }

    /// Bind as `in_pcbbind` does for TCP: a port is shared only with
    /// `SO_REUSEPORT` on both, or with `SO_REUSEADDR` when the others on it
    /// are connections rather than listeners.
    fn do_bind(&self, ctx: Option<&Ctx>, laddr: u32, lport: u16) -> KResult<()> {
        pcb::bind_allowed(&self.inet, ctx, laddr, lport)?;
        let opts = self.shared.opts();
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        // Binds are serialised by their own lock: the table's is never held
        // while a socket is locked (input takes them the other way round).
        let _bind = self.inet.tcp_bind.lock().unwrap_or_else(|e| e.into_inner());
        let table = TcpSocket::list(&self.inet);
        let conflict = |port: u16| {
            table.iter().filter(|o| !Arc::ptr_eq(o, &me)).any(|o| {
                let (p, state, _, _) = o.describe();
                let oo = o.shared.opts();
                p.lport == port
                    && (p.laddr == laddr || p.laddr == ANY || laddr == ANY)
                    && !(opts.reuseport && oo.reuseport)
                    && !(opts.reuseaddr
                        && state != "LISTEN"
                        && (p.faddr != ANY || state == "TIME_WAIT"))
            })
        };
        let port = if lport == 0 {
            let range = self.describe().0.portrange;
            pcb::ephemeral_port(&self.inet, ctx, range, conflict)?
        } else if conflict(lport) {
            return Err(Errno::EADDRINUSE);
        } else {
            lport
        };
        let in_table = table.iter().any(|s| Arc::ptr_eq(s, &me));
        {
            let mut s = self.lock();
            s.pcb.laddr = laddr;
            s.pcb.lport = port;
        }
        if !in_table {
            self.register();
        }
        Ok(())
    }

    /// Send `outs` for this connection (no locks held).
    fn transmit(&self, pcb: &Pcb, outs: Vec<Out>) {
        for o in outs {
            send_segment(&self.inet, pcb, o);
        }
    }

    /// After any change: arm the timer, wake waiters, and leave the table
    /// once the connection is over and nobody holds the descriptor.
    fn settle(&self, st: MutexGuard<'_, St>, outs: Vec<Out>) {
        self.settle_and(st, outs, Wake::All);
    }

    /// As [`TcpSocket::settle`], waking whom `wake` says: nobody for a
    /// caller's own send or receive, which changes nothing another waiter
    /// is waiting for (and whose own waiting loop must not be woken by
    /// itself).
    fn settle_and(&self, mut st: MutexGuard<'_, St>, outs: Vec<Out>, wake: Wake) {
        self.publish_buffers(&mut st);
        let pcb = st.pcb.clone();
        let deadline = st.tcb.as_ref().and_then(Tcb::next_deadline);
        let closed = st.tcb.as_ref().is_none_or(|t| t.state == State::Closed);
        let gone = st.detached && closed && st.listen.is_none();
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        drop(st);
        self.transmit(&pcb, outs);
        drop(tx);
        if let Some(at) = deadline {
            self.inet.arm_tcp(at);
        }
        match wake {
            Wake::All => self.shared.wait.wakeup(),
            Wake::Pollers => self.shared.wait.notify_pollers(),
            Wake::Nobody => {}
        }
        if gone {
            self.unregister();
        }
    }

    /// Show buffers the connection grew as `SO_RCVBUF`/`SO_SNDBUF`, unless
    /// the user has set them since.
    fn publish_buffers(&self, st: &mut St) {
        let Some(t) = st.tcb.as_ref() else { return };
        let sizes = (t.cfg.rcvbuf, t.cfg.sndbuf);
        if st.bufs_shown == Some(sizes) {
            return;
        }
        st.bufs_shown = Some(sizes);
        let mut o = self.shared.opts.lock().unwrap_or_else(|e| e.into_inner());
        if o.rcv_autosize && t.cfg.rcv_auto.is_some() {
            o.rcvbuf = o.rcvbuf.max(sizes.0);
        }
        if o.snd_autosize && t.cfg.snd_auto.is_some() {
            o.sndbuf = o.sndbuf.max(sizes.1);
        }
    }

    fn with_tcb<R>(&self, f: impl FnOnce(&mut Tcb) -> R) -> Option<R> {
        let mut st = self.lock();
        let r = st.tcb.as_mut().map(f);
        let outs = st
            .tcb
            .as_mut()
            .map(|t| t.output(self.inet.now()))
            .unwrap_or_default();
        self.settle(st, outs);
        r
    }
}

/// An ACK held back during a burst goes out when it ends.
impl rumpnet::burst::BurstEnd for TcpSocket {
    fn burst_end(&self) {
        let mut st = self.lock();
        let outs = st
            .tcb
            .as_mut()
            .map(|t| t.output(self.inet.now()))
            .unwrap_or_default();
        self.settle_and(st, outs, Wake::Nobody);
    }
}

/// Build and send one segment of the connection `pcb`.
pub(crate) fn send_segment(inet: &Inet, pcb: &Pcb, o: Out) {
    let mut r = o.repr;
    r.src_port = pcb.lport;
    r.dst_port = pcb.fport;
    let mut pkt = o.payload;
    pkt.prepend(r.header_len());
    if r.emit(
        &mut tcp::Packet::new_unchecked(pkt.data_mut()),
        addr::from_u32(pcb.laddr),
        addr::from_u32(pcb.faddr),
    )
    .is_err()
    {
        return;
    }
    let opts = crate::inet::OutOpts {
        ttl: pcb.ttl.unwrap_or_else(|| inet.default_ttl()),
        tos: pcb.tos,
        dont_frag: false,
        broadcast: false,
        dontroute: false,
    };
    inet.stats.bump(&inet.stats.tcp_sndtotal);
    let _ = inet.output(ipv4::proto::TCP, Some(pcb.laddr), pcb.faddr, pkt, &opts);
}

impl ProtoSocket for TcpSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(addr::AF_INET), SOCK_STREAM, IPPROTO_TCP)
    }

    fn bind(&self, ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let (a, p) = addr::parse_sockaddr(sa)?;
        if self.lock().pcb.lport != 0 {
            return Err(Errno::EINVAL);
        }
        if addr::is_multicast(a) || a == addr::BROADCAST {
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
            self.do_bind(None, ANY, 0)?;
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
        let (mut fa, fp) = addr::parse_sockaddr(sa)?;
        if fp == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        if fa == ANY {
            fa = netbsd_abi::INADDR_LOOPBACK;
        }
        if fa == addr::BROADCAST || addr::is_multicast(fa) {
            return Err(Errno::ENETUNREACH);
        }
        let net = self.inet.net().ok_or(Errno::ENETDOWN)?;
        let (ifp, _) = self.inet.route_to(&net, fa, &self.inet.default_opts())?;
        let src = self.inet.source_for(&ifp, fa).ok_or(Errno::EADDRNOTAVAIL)?;
        if self.lock().pcb.lport == 0 {
            self.do_bind(None, ANY, 0)?;
        }
        let (laddr, lport) = {
            let s = self.lock();
            (
                if s.pcb.laddr == ANY { src } else { s.pcb.laddr },
                s.pcb.lport,
            )
        };
        // The same four numbers as another connection cannot be.
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        let _bind = self.inet.tcp_bind.lock().unwrap_or_else(|e| e.into_inner());
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
        let mss = (ifp.mtu().saturating_sub(40)).clamp(64, 65495) as u16;
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
        let s = self.lock();
        Ok(addr::sockaddr(s.pcb.laddr, s.pcb.lport))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let s = self.lock();
        match &s.tcb {
            Some(t) if t.state.synchronized() || t.state == State::SynReceived => {
                Ok(addr::sockaddr(s.pcb.faddr, s.pcb.fport))
            }
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn setopt(&self, level: i32, name: i32, v: &[u8]) -> KResult<()> {
        let int = || -> KResult<i32> {
            Ok(i32::from_le_bytes(
                v.get(..4)
                    .ok_or(Errno::EINVAL)?
                    .try_into()
                    .unwrap_or_default(),
            ))
        };
        let mut st = self.lock();
        match level {
            IPPROTO_TCP => {
                match name {
                    TCP_NODELAY => {
                        st.nodelay = int()? != 0;
                        let nd = st.nodelay;
                        if let Some(t) = st.tcb.as_mut() {
                            t.cfg.nodelay = nd;
                        }
                    }
                    TCP_MAXSEG => {
                        let m = u16::try_from(int()?)
                            .ok()
                            .filter(|&m| m >= 64)
                            .ok_or(Errno::EINVAL)?;
                        st.maxseg = Some(m);
                    }
                    TCP_KEEPIDLE | TCP_KEEPINTVL | TCP_KEEPCNT | TCP_KEEPINIT => {
                        let n = u32::try_from(int()?)
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or(Errno::EINVAL)?;
                        let mut k = st.keep.unwrap_or_else(|| self.inet.tcp_keep_defaults());
                        match name {
                            TCP_KEEPIDLE => k.0 = Duration::from_secs(u64::from(n)),
                            TCP_KEEPINTVL => k.1 = Duration::from_secs(u64::from(n)),
                            TCP_KEEPCNT => k.2 = n,
                            _ => {}
                        }
                        st.keep = Some(k);
                        if let Some(t) = st.tcb.as_mut() {
                            (t.cfg.keep_idle, t.cfg.keep_intvl, t.cfg.keep_cnt) = k;
                        }
                    }
                    _ => return Err(Errno::ENOPROTOOPT),
                }
                Ok(())
            }
            IPPROTO_IP => st.pcb.setopt(name, v),
            rumpnet::socket::SOL_SOCKET => {
                let o = self.shared.opts();
                if let Some(t) = st.tcb.as_mut() {
                    t.cfg.keepalive = o.keepalive;
                    if !o.rcv_autosize {
                        t.cfg.rcv_auto = None;
                    }
                    if !o.snd_autosize {
                        t.cfg.snd_auto = None;
                    }
                    t.cfg.sndbuf = o.sndbuf;
                    if !t.state.synchronized() {
                        t.cfg.rcvbuf = o.rcvbuf;
                    } else {
                        // The window scale is fixed: the buffer may grow
                        // only as far as the scale can announce.
                        t.cfg.rcvbuf = o.rcvbuf.max(t.cfg.rcvbuf.min(o.rcvbuf));
                    }
                }
                Ok(())
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        let st = self.lock();
        let i = |v: i32| v.to_le_bytes().to_vec();
        match level {
            IPPROTO_TCP => {
                let k = st.keep.unwrap_or_else(|| self.inet.tcp_keep_defaults());
                Ok(match name {
                    TCP_NODELAY => i(i32::from(st.nodelay)),
                    TCP_MAXSEG => i(i32::from(
                        st.tcb
                            .as_ref()
                            .map_or(st.maxseg.unwrap_or(512), |t| t.eff_mss() as u16),
                    )),
                    TCP_KEEPIDLE => i(k.0.as_secs() as i32),
                    TCP_KEEPINTVL => i(k.1.as_secs() as i32),
                    TCP_KEEPCNT => i(k.2 as i32),
                    TCP_KEEPINIT => i(75),
                    _ => return Err(Errno::ENOPROTOOPT),
                })
            }
            IPPROTO_IP => st.pcb.getopt(&self.inet, name),
            _ => Err(Errno::ENOPROTOOPT),
        }
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
        let writable = (t.can_send() && t.send_space() >= lowat.min(t.cfg.sndbuf)) || failed;
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

/// Find the socket for a segment: the connection, else a listener.
fn lookup(inet: &Inet, src: u32, sport: u16, dst: u32, dport: u16) -> Option<Arc<TcpSocket>> {
    let all = TcpSocket::list(inet);
    let mut listener: Option<(Arc<TcpSocket>, bool)> = None;
    for s in all {
        let st = s.lock();
        if st.pcb.lport != dport {
            continue;
        }
        if st.listen.is_some() {
            if st.pcb.laddr == dst {
                drop(st);
                listener = Some((s, true));
            } else if st.pcb.laddr == ANY && listener.as_ref().is_none_or(|l| !l.1) {
                drop(st);
                listener = Some((s, false));
            }
            continue;
        }
        let live = st.tcb.as_ref().is_some_and(|t| t.state != State::Closed);
        if live && st.pcb.faddr == src && st.pcb.fport == sport && st.pcb.laddr == dst {
            drop(st);
            return Some(s);
        }
    }
    listener.map(|l| l.0)
}

/// Answer a segment nobody wants with a reset (RFC 9293 3.10.7.1).
fn respond_rst(inet: &Inet, d: &In, r: &Repr, plen: usize) {
    if r.flags & flags::RST != 0 || d.bcast {
        return;
    }
    let pcb = Pcb {
        laddr: addr::to_u32(d.ip.dst),
        lport: r.dst_port,
        faddr: addr::to_u32(d.ip.src),
        fport: r.src_port,
        ..Pcb::default()
    };
    let repr = match r.ack {
        Some(ack) => Repr {
            seq: ack,
            flags: flags::RST,
            ..Repr::default()
        },
        None => {
            let len = plen as u32
                + u32::from(r.flags & flags::SYN != 0)
                + u32::from(r.flags & flags::FIN != 0);
            Repr {
                seq: 0,
                ack: Some(r.seq.wrapping_add(len)),
                flags: flags::RST,
                ..Repr::default()
            }
        }
    };
    inet.stats.bump(&inet.stats.tcp_sndrst);
    send_segment(
        inet,
        &pcb,
        Out {
            repr,
            payload: Pkt::default(),
        },
    );
}

/// TCP input (`tcp_input`).
pub fn input(inet: &Inet, d: &In, pkt: Pkt) {
    let st = &inet.stats;
    let counters = [&st.tcp_rcvtotal, &st.tcp_rcvbadsum, &st.tcp_rcvshort];
    let parse = |seg, src, dst| Repr::parse(&tcp::Packet::new_checked(seg)?, src, dst);
    let Some((seg, r)) = inet.transport(d, &pkt, parse, counters) else {
        return;
    };
    if d.bcast {
        return;
    }
    // Checked by the parse.
    let view = tcp::Packet::new_unchecked(seg);
    let payload = view.payload();
    let (src, dst) = (addr::to_u32(d.ip.src), addr::to_u32(d.ip.dst));
    let Some(sock) = lookup(inet, src, r.src_port, dst, r.dst_port) else {
        inet.stats.bump(&inet.stats.tcp_noport);
        respond_rst(inet, d, &r, payload.len());
        return;
    };
    let t = inet.now();
    let mut st = sock.lock();
    if st.listen.is_some() {
        if r.flags & flags::RST != 0 {
            return;
        }
        if r.ack.is_some() || r.flags & flags::SYN == 0 {
            drop(st);
            respond_rst(inet, d, &r, payload.len());
            return;
        }
        // A SYN for a listener: a new connection, unless the queues are
        // over one and a half times the backlog (`sonewconn`).
        let l = st.listen.as_mut().unwrap_or_else(|| unreachable!());
        l.pending.retain(|w| w.strong_count() > 0);
        if l.pending.len() + l.ready.len() > 3 * l.backlog / 2 {
            inet.stats.bump(&inet.stats.tcp_listendrop);
            return;
        }
        let child = TcpSocket::new(&sock.inet);
        l.pending.push(Arc::downgrade(&child));
        let opts = sock.shared.opts();
        let (nodelay, maxseg, keep) = (st.nodelay, st.maxseg, st.keep);
        let lport = st.pcb.lport;
        drop(st);
        *child.shared.opts.lock().unwrap_or_else(|e| e.into_inner()) = opts;
        let mss = d.ifp.mtu().saturating_sub(40).clamp(64, 65495) as u16;
        let mut cs = child.lock();
        cs.pcb.laddr = dst;
        cs.pcb.lport = lport;
        cs.pcb.faddr = src;
        cs.pcb.fport = r.src_port;
        cs.pcb.connected = true;
        cs.nodelay = nodelay;
        cs.maxseg = maxseg;
        cs.keep = keep;
        cs.parent = Some(Arc::downgrade(&sock));
        let cfg = child.config(&cs, mss);
        let mut tcb = Tcb::accept(cfg, &r, t);
        let outs = tcb.output(t);
        cs.tcb = Some(tcb);
        drop(cs);
        child.register();
        let cs = child.lock();
        child.settle(cs, outs);
        return;
    }
    let Some(tcb) = st.tcb.as_mut() else {
        drop(st);
        respond_rst(inet, d, &r, payload.len());
        return;
    };
    let before = tcb.state;
    let lowat = sock
        .shared
        .opts
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .sndlowat;
    let marks = WakeMarks::of(tcb, lowat);
    tcb.input(&r, payload, t);
    let after = tcb.state;
    let bursts = d.ifp.bursts();
    tcb.hold_ack = bursts.is_open();
    let outs = tcb.output(t);
    tcb.hold_ack = false;
    let held = tcb.ack_owed();
    let wake = marks.wake(tcb, lowat);
    let parent = st.parent.clone();
    sock.settle_and(st, outs, wake);
    if held {
        bursts.defer(sock.clone());
    }
    if before == State::SynReceived
        && after != State::SynReceived
        && let Some(p) = parent.and_then(|w| w.upgrade())
    {
        // Handshake over: the listener may accept it (or forget it, if
        // it failed).
        let mut ps = p.lock();
        if let Some(l) = ps.listen.as_mut() {
            l.pending
                .retain(|w| !std::ptr::eq(w.as_ptr(), Arc::as_ptr(&sock)));
            if after != State::Closed {
                l.ready.push_back(Arc::clone(&sock));
                inet.stats.bump(&inet.stats.tcp_accepts_ready);
            }
        }
        drop(ps);
        p.shared.wait.wakeup();
    }
    if after == State::Established && before == State::SynSent {
        inet.stats.bump(&inet.stats.tcp_connects);
    }
}

/// The TCP timer: run every connection's due timers; the next deadline.
pub fn timer(inet: &Inet, t: Duration) -> Option<Duration> {
    let mut next: Option<Duration> = None;
    for s in TcpSocket::list(inet) {
        let mut st = s.lock();
        let Some(tcb) = st.tcb.as_mut() else { continue };
        if tcb.next_deadline().is_some_and(|d| d <= t) {
            let before = tcb.state;
            tcb.on_timer(t);
            let outs = tcb.output(t);
            if tcb.state == State::Closed && before != State::Closed {
                let parent = st.parent.clone();
                if let Some(p) = parent.and_then(|w| w.upgrade()) {
                    // An embryonic connection that timed out leaves the queue.
                    drop(st);
                    if let Some(l) = p.lock().listen.as_mut() {
                        l.pending
                            .retain(|w| !std::ptr::eq(w.as_ptr(), Arc::as_ptr(&s)));
                    }
                    s.detach_embryo();
                    st = s.lock();
                }
            }
            let d = st.tcb.as_ref().and_then(Tcb::next_deadline);
            s.settle(st, outs);
            next = [next, d].into_iter().flatten().min();
        } else {
            next = [next, tcb.next_deadline()].into_iter().flatten().min();
        }
    }
    if let Some(net) = inet.net() {
        net.drain();
    }
    next
}

impl TcpSocket {
    fn detach_embryo(&self) {
        let mut s = self.lock();
        s.detached = true;
        s.parent = None;
    }
}
