//! A packet too big about a segment we sent (`tcp6_ctlinput` with
//! `PRC_MSGSIZE`, `tcp_mtudisc`): the connection it belongs to sends
//! smaller segments at once.

use super::TcpSocket;
use crate::addr::PcbAddr;
use crate::inet::Inet;

/// The IPv6 and TCP headers a segment's MTU carries besides its data.
const IP6_TCP_HEADERS: u32 = 40 + 20;

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
