//! TCP sockets (`tcp_usrreq`), segment demultiplexing (`tcp_input`'s
//! lookup), listen queues, resets for segments nobody wants, and the
//! timer that drives every connection.
//!
//! The socket and its connection-table plumbing are here; whom a
//! change wakes, the protocol requests, the socket options, segment
//! input and the timer are the submodules.
//!
//! The connection table holds sockets strongly: a connection outlives its
//! descriptor until its FIN is acknowledged and TIME_WAIT is over.

mod input;
mod pmtu;
mod sockopt;
mod timer;
mod usrreq;
mod wake;

use crate::addr::{self, PcbAddr};
use crate::inet::Inet;
use crate::pcb::{self, Pcb};
use crate::tcp::conn::{AutoSize, Config, Out, State, Tcb};
use crate::wire::ipv4;
use crate::wire::pseudo::Pseudo;
use crate::wire::tcp;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use rumpnet::socket::SockShared;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

pub use input::{input, input6};
pub use pmtu::{msgsize4, path_mtu};
pub use timer::timer;
use wake::Wake;

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
    /// A new, unbound socket of the IPv4 family.
    pub fn new(inet: &Arc<Inet>) -> Arc<TcpSocket> {
        TcpSocket::new_in(inet, false)
    }

    /// A new, unbound socket of the IPv6 family; `IPV6_V6ONLY` starts as
    /// `net.inet6.ip6.v6only` says.
    pub fn new6(inet: &Arc<Inet>) -> KResult<Arc<TcpSocket>> {
        let v6only = inet.ip6()?.v6only_default();
        let s = TcpSocket::new_in(inet, true);
        s.lock().pcb.v6only = v6only;
        Ok(s)
    }

    fn new_in(inet: &Arc<Inet>, v6: bool) -> Arc<TcpSocket> {
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
                    v6,
                    ..Pcb::default()
                },
                ..St::default()
            }),
            tx: Mutex::new(()),
            me: me.clone(),
        })
    }

    fn lock(&self) -> MutexGuard<'_, St> {
        rump::sync::lock(&self.st)
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

    /// Every TCP socket in the connection table (a snapshot).
    pub fn list(inet: &Inet) -> Arc<Vec<Arc<TcpSocket>>> {
        Arc::clone(&inet.lock().tcp)
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
            Arc::make_mut(&mut t.tcp).push(me);
        }
        drop(t);
        self.lock().registered = true;
    }

    fn unregister(&self) {
        let me = self.me.clone();
        let mut t = self.inet.lock();
        if t.tcp
            .iter()
            .any(|s| std::ptr::eq(Arc::as_ptr(s), me.as_ptr()))
        {
            Arc::make_mut(&mut t.tcp).retain(|s| !std::ptr::eq(Arc::as_ptr(s), me.as_ptr()));
        }
    }

    /// Bind as `in_pcbbind` does for TCP: a port is shared only with
    /// `SO_REUSEPORT` on both, or with `SO_REUSEADDR` when the others on it
    /// are connections rather than listeners.
    fn do_bind(&self, ctx: Option<&Ctx>, laddr: PcbAddr, lport: u16) -> KResult<()> {
        pcb::bind_allowed_pcb(&self.inet, ctx, &laddr, lport)?;
        let mut want = self.describe().0;
        want.laddr = laddr;
        let opts = self.shared.opts();
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        // Binds are serialised by their own lock: the table's is never held
        // while a socket is locked (input takes them the other way round).
        let _bind = rump::sync::lock(&self.inet.tcp_bind);
        let table = TcpSocket::list(&self.inet);
        let conflict = |port: u16| {
            table.iter().filter(|o| !Arc::ptr_eq(o, &me)).any(|o| {
                let (p, state, _, _) = o.describe();
                let oo = o.shared.opts();
                p.lport == port
                    && p.local_overlaps(&want)
                    && !(opts.reuseport && oo.reuseport)
                    && !(opts.reuseaddr
                        && state != "LISTEN"
                        && (!p.faddr.is_any() || state == "TIME_WAIT"))
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
        let tx = rump::sync::lock(&self.tx);
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
        let mut o = rump::sync::lock(&self.shared.opts);
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

/// Build and send one segment of the connection `pcb`, over IPv4 when
/// its foreign address is IPv4-mapped, else over IPv6.
pub(crate) fn send_segment(inet: &Inet, pcb: &Pcb, o: Out) {
    let mut r = o.repr;
    r.src_port = pcb.lport;
    r.dst_port = pcb.fport;
    let mut pkt = o.payload;
    pkt.prepend(r.header_len());
    let v4 = pcb.faddr.is_v4mapped();
    let ph = if v4 {
        Pseudo::v4(
            addr::from_u32(pcb.laddr.low32()),
            addr::from_u32(pcb.faddr.low32()),
        )
    } else {
        Pseudo::V6(pcb.laddr.wire(), pcb.faddr.wire())
    };
    if r.emit_in(&mut tcp::Packet::new_unchecked(pkt.data_mut()), &ph)
        .is_err()
    {
        return;
    }
    inet.stats.bump(&inet.stats.tcp_sndtotal);
    if !v4 {
        if let Ok(l) = inet.ip6() {
            let o = crate::ip6layer::Out6 {
                hops: pcb.hops,
                ..Default::default()
            };
            let _ = l.output(ipv4::proto::TCP, &pcb.laddr, &pcb.faddr, &o, pkt);
        }
        return;
    }
    let opts = crate::inet::OutOpts {
        ttl: pcb.ttl.unwrap_or_else(|| inet.default_ttl()),
        tos: pcb.tos,
        // tcp_output: with path MTU discovery on, segments carry DF.
        dont_frag: inet.mtudisc(),
        broadcast: false,
        dontroute: false,
    };
    let _ = inet.output(
        ipv4::proto::TCP,
        Some(pcb.laddr.low32()),
        pcb.faddr.low32(),
        pkt,
        &opts,
    );
}
