//! A packet too big about a segment we sent (`tcp6_ctlinput` with
//! `PRC_MSGSIZE`, `tcp_mtudisc`): the connection it belongs to sends
//! smaller segments at once. For IPv4 (`tcp_ctlinput`), the host route
//! to the peer learns the MTU first and every connection to the peer
//! takes it.

use super::TcpSocket;
use crate::addr::PcbAddr;
use crate::inet::Inet;

/// The IPv6 and TCP headers a segment's MTU carries besides its data.
const IP6_TCP_HEADERS: u32 = 40 + 20;
/// The IPv4 and TCP headers.
const IP_TCP_HEADERS: u32 =
    (netbsd_abi::layout::ip::SIZE + netbsd_abi::layout::tcphdr::SIZE) as u32;

/// The path from `src:sport` to `dst:dport` carries packets of at most
/// `mtu` bytes: its connection lowers its segment size and resends what
/// is unacknowledged. False when no connection had larger segments.
pub fn path_mtu(
    inet: &Inet,
    (src, sport): (PcbAddr, u16),
    (dst, dport): (PcbAddr, u16),
    mtu: u32,
) -> bool {
    let mss = u16::try_from(mtu.saturating_sub(IP6_TCP_HEADERS)).unwrap_or(u16::MAX);
    let mut any = false;
    for s in TcpSocket::list(inet).iter() {
        let mut st = s.lock();
        let p = &st.pcb;
        if !(p.connected
            && p.lport == sport
            && p.faddr == dst
            && p.fport == dport
            && p.laddr == src)
        {
            continue;
        }
        let Some(tcb) = st.tcb.as_mut() else { continue };
        if !tcb.path_mtu_lowered(mss) {
            continue;
        }
        any = true;
        let outs = tcb.output(inet.now());
        s.settle(st, outs);
    }
    if any && let Some(net) = inet.net() {
        net.drain();
    }
    any
}

/// A router could not forward an IPv4 segment from `src:sport` to
/// `dst:dport` whose sequence number was `seq` without fragments
/// (`tcp_ctlinput` with `PRC_MSGSIZE`). Unless that is a connection of
/// ours with `seq` sent and unacknowledged, nothing happens; else
/// `learn` gives the MTU the host route to `dst` carries now
/// (`icmp_mtudisc`), and each connection to `dst` sends segments that fit
/// it, resending what is unacknowledged (`tcp_mtudisc_callback`). True
/// when a connection lowered its segment size.
pub fn msgsize4(
    inet: &Inet,
    (src, sport): (u32, u16),
    (dst, dport): (u32, u16),
    seq: u32,
    learn: impl FnOnce() -> Option<u32>,
) -> bool {
    let (src, dst) = (PcbAddr::v4(src), PcbAddr::v4(dst));
    let ours = TcpSocket::list(inet).iter().any(|s| {
        let st = s.lock();
        let p = &st.pcb;
        p.connected
            && p.lport == sport
            && p.faddr == dst
            && p.fport == dport
            && p.laddr == src
            && st.tcb.as_ref().is_some_and(|t| t.has_sent_unacked(seq))
    });
    if !ours {
        return false;
    }
    let Some(mtu) = learn() else {
        return false;
    };
    let mss = u16::try_from(mtu.saturating_sub(IP_TCP_HEADERS)).unwrap_or(u16::MAX);
    let mut any = false;
    for s in TcpSocket::list(inet).iter() {
        let mut st = s.lock();
        if !(st.pcb.connected && st.pcb.faddr == dst) {
            continue;
        }
        let Some(tcb) = st.tcb.as_mut() else { continue };
        if !tcb.path_mtu_lowered(mss) {
            continue;
        }
        any = true;
        let outs = tcb.output(inet.now());
        s.settle(st, outs);
    }
    if any && let Some(net) = inet.net() {
        net.drain();
    }
    any
}
