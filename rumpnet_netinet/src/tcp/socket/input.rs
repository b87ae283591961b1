//! TCP input (`tcp_input`): checks, the lookup of the connection or
//! listener a segment is for, new connections from a listener's SYN,
//! and resets for segments nobody wants (RFC 9293 3.10.7.1).

use super::wake::WakeMarks;
use super::{TcpSocket, send_segment};
use crate::addr::{self, PcbAddr};
use crate::inet::{In, Inet};
use crate::pcb::{Arrival, Pcb};
use crate::tcp::conn::{Out, State, Tcb};
use crate::wire::tcp::{self, Repr, flags};
use rumpnet::pkt::Pkt;
use std::sync::Arc;

fn lookup(
    inet: &Inet,
    src: PcbAddr,
    sport: u16,
    dst: PcbAddr,
    dport: u16,
) -> Option<Arc<TcpSocket>> {
    let all = TcpSocket::list(inet);
    let mut listener: Option<(&Arc<TcpSocket>, bool)> = None;
    for s in all.iter() {
        let st = s.lock();
        if st.pcb.lport != dport {
            continue;
        }
        if st.listen.is_some() {
            if !st.pcb.takes_family(dst.is_v4mapped()) {
                continue;
            }
            if st.pcb.laddr == dst {
                drop(st);
                listener = Some((s, true));
            } else if st.pcb.laddr.is_any() && listener.as_ref().is_none_or(|l| !l.1) {
                drop(st);
                listener = Some((s, false));
            }
            continue;
        }
        let live = st.tcb.as_ref().is_some_and(|t| t.state != State::Closed);
        if live && st.pcb.faddr == src && st.pcb.fport == sport && st.pcb.laddr == dst {
            drop(st);
            return Some(Arc::clone(s));
        }
    }
    listener.map(|l| Arc::clone(l.0))
}

/// Answer a segment nobody wants with a reset (RFC 9293 3.10.7.1).
fn respond_rst(inet: &Inet, d: &Arrival, r: &Repr, plen: usize) {
    if r.flags & flags::RST != 0 || d.bcast {
        return;
    }
    let pcb = Pcb {
        laddr: d.dst,
        lport: r.dst_port,
        faddr: d.src,
        fport: r.src_port,
        v6: !d.is_v4(),
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

/// TCP input of an IPv4 datagram (`tcp_input`).
pub fn input(inet: &Inet, d: &In, pkt: Pkt) {
    let at = Arrival {
        ifp: d.ifp,
        src: PcbAddr::v4(addr::to_u32(d.ip.src)),
        dst: PcbAddr::v4(addr::to_u32(d.ip.dst)),
        bcast: d.bcast,
    };
    segment_input(inet, &at, &pkt.data()[d.hl..]);
}

/// TCP input of segment `seg` that came over IPv6 from `src` to `dst`
/// on `ifp` (`tcp6_input`): the same connections and listeners as
/// IPv4's, the checksum over IPv6's pseudo-header.
pub fn input6(
    inet: &Inet,
    ifp: &Arc<rumpnet::ifnet::Ifnet>,
    src: PcbAddr,
    dst: PcbAddr,
    seg: &[u8],
) {
    let at = Arrival {
        ifp,
        src,
        dst,
        bcast: dst.is_multicast(),
    };
    segment_input(inet, &at, seg);
}

fn segment_input(inet: &Inet, d: &Arrival, seg: &[u8]) {
    let st = &inet.stats;
    st.bump(&st.tcp_rcvtotal);
    let parsed = tcp::Packet::new_checked(seg).and_then(|p| Repr::parse_in(&p, &d.pseudo()));
    let Some(r) = inet.counted(parsed, &st.tcp_rcvbadsum, &st.tcp_rcvshort) else {
        return;
    };
    if d.bcast {
        return;
    }
    // Checked by the parse.
    let view = tcp::Packet::new_unchecked(seg);
    let payload = view.payload();
    let (src, dst) = (d.src, d.dst);
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
        let v6 = st.pcb.v6;
        let l = st.listen.as_mut().unwrap_or_else(|| unreachable!());
        l.pending.retain(|w| w.strong_count() > 0);
        if l.pending.len() + l.ready.len() > 3 * l.backlog / 2 {
            inet.stats.bump(&inet.stats.tcp_listendrop);
            return;
        }
        let child = TcpSocket::new_in(&sock.inet, v6);
        l.pending.push(Arc::downgrade(&child));
        let opts = sock.shared.opts();
        let (nodelay, maxseg, keep) = (st.nodelay, st.maxseg, st.keep);
        let (lport, v6only, hops) = (st.pcb.lport, st.pcb.v6only, st.pcb.hops);
        drop(st);
        *rump::sync::lock(&child.shared.opts) = opts;
        let mss = super::usrreq::mss_for(d.ifp.mtu(), d.is_v4());
        let mut cs = child.lock();
        cs.pcb.laddr = dst;
        cs.pcb.lport = lport;
        cs.pcb.faddr = src;
        cs.pcb.fport = r.src_port;
        cs.pcb.connected = true;
        cs.pcb.v6only = v6only;
        cs.pcb.hops = hops;
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
    let lowat = rump::sync::lock(&sock.shared.opts).sndlowat;
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
