//! ICMPv6 (`icmp6_input`, `icmp6_error`): echo replies, neighbour
//! discovery's messages handed to [`crate::nd6`], and errors about
//! packets we cannot take, at most `icmp6errppslim` a second.

use crate::addr::ScopedAddr;
use crate::inet6::{Inet6, MIN_MTU, OutOpts};
use crate::stats6;
use crate::wire::icmpv6::{self, Message, kind};
use crate::wire::ipv6::{self, Packet, nh};
use crate::wire::nd::NeighborMsg;
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use std::net::Ipv6Addr;
use std::sync::Arc;

/// `icmp6errppslim`: most errors sent a second.
const ERRORS_PER_SECOND: u32 = 100;

/// ICMPv6 message `body` from `src` to `dst` arrived on `ifp`; `header`
/// is its IPv6 header.
pub fn input(
    inet: &Arc<Inet6>,
    ifp: &Arc<Ifnet>,
    header: &[u8],
    src: &Ipv6Addr,
    dst: &Ipv6Addr,
    body: &[u8],
) {
    let Ok(m) = Message::new_checked(body) else {
        IfStats::bump(&inet.stats.icmp_bad);
        stats6::icmp6(inet, stats6::ICMP6_STAT_TOOSHORT);
        return;
    };
    if ipv6::upper_checksum(src, dst, nh::ICMPV6, body) != 0 {
        IfStats::bump(&inet.stats.icmp_bad);
        stats6::icmp6(inet, stats6::ICMP6_STAT_CHECKSUM);
        return;
    }
    stats6::icmp6_in(inet, m.kind());
    let hlim = header[7];
    match m.kind() {
        kind::ECHO_REQUEST => echo_reply(inet, ifp, src, dst, &m),
        kind::NEIGHBOR_SOLICIT | kind::NEIGHBOR_ADVERT => {
            // RFC 4861 7.1: hop limit 255 (never forwarded), code 0.
            if hlim != 255 || m.code() != 0 || ifp.link_type() != LinkType::Ethernet {
                IfStats::bump(&inet.stats.icmp_bad);
                stats6::nd_bad(inet, m.kind(), m.code());
                return;
            }
            let Ok(n) = NeighborMsg::new_checked(body) else {
                IfStats::bump(&inet.stats.icmp_bad);
                stats6::icmp6(inet, stats6::ICMP6_STAT_BADLEN);
                return;
            };
            if n.target().is_multicast() {
                return;
            }
            if m.kind() == kind::NEIGHBOR_SOLICIT {
                inet.ns_input(ifp, src, dst, &n);
            } else {
                inet.na_input(ifp, dst, &n);
            }
        }
        kind::DST_UNREACH => crate::transport::ctlinput(inet, ifp, m.code(), body),
        kind::ROUTER_ADVERT => inet.ra_input(ifp, hlim, src, m.code(), body),
        kind::REDIRECT => inet.redirect_input(ifp, hlim, src, m.code(), body),
        kind::PACKET_TOO_BIG => inet.too_big_input(ifp, m.code(), body),
        crate::wire::mld::kind::QUERY | crate::wire::mld::kind::REPORT => {
            inet.mld_input(ifp, src, dst, body)
        }
        // Other errors, echo replies and router solicitations (we are no
        // router) go to raw sockets only.
        _ => {}
    }
}

fn scope_of(ifp: &Ifnet, a: &Ipv6Addr) -> u32 {
    if crate::addr::is_link_scoped(a) {
        u32::from(ifp.index)
    } else {
        0
    }
}

/// Answer an echo request (`icmp6_reflect`): from the address it was
/// sent to, or for a multicast one, from an address of the interface.
fn echo_reply(inet: &Arc<Inet6>, ifp: &Arc<Ifnet>, src: &Ipv6Addr, dst: &Ipv6Addr, m: &Message) {
    if src.is_unspecified() {
        return;
    }
    let from = if dst.is_multicast() {
        match inet.select_source(ifp, src) {
            Ok(a) => a,
            Err(_) => return,
        }
    } else {
        *dst
    };
    let mut reply = m.bytes().to_vec();
    reply[0] = kind::ECHO_REPLY;
    send(inet, ifp, from, src, reply);
}

/// Checksum `msg` and send it from `from` to `to`, whose scope is `ifp`'s.
fn send(inet: &Arc<Inet6>, ifp: &Arc<Ifnet>, from: Ipv6Addr, to: &Ipv6Addr, mut msg: Vec<u8>) {
    msg[2..4].copy_from_slice(&[0, 0]);
    let c = ipv6::upper_checksum(&from, to, nh::ICMPV6, &msg);
    msg[2..4].copy_from_slice(&c.to_be_bytes());
    let dst = ScopedAddr {
        addr: *to,
        scope: scope_of(ifp, to),
    };
    let _ = inet.output(nh::ICMPV6, Some(from), &dst, &msg, &OutOpts::default());
}

/// Answer `packet` (a whole IPv6 packet that arrived on `ifp`) with an
/// error (`icmp6_error`): never about an error, a packet from an
/// unspecified or multicast source, or to multicast (save the
/// exceptions RFC 4443 2.4 allows), and at most `icmp6errppslim` a
/// second.
pub fn error(inet: &Inet6, ifp: &Arc<Ifnet>, packet: &[u8], t: u8, code: u8, word: u32) {
    stats6::error_called(inet, t, code);
    let Ok(p) = Packet::new_checked(packet) else {
        return;
    };
    let (src, dst) = (p.src(), p.dst());
    let mcast_ok = t == kind::PACKET_TOO_BIG
        || (t == kind::PARAM_PROB && code == icmpv6::code::PARAMPROB_OPTION);
    if src.is_unspecified() || src.is_multicast() || (dst.is_multicast() && !mcast_ok) {
        return;
    }
    if p.next_header() == nh::ICMPV6 && p.payload().first().is_some_and(|&k| icmpv6::is_error(k)) {
        stats6::icmp6(inet, stats6::ICMP6_STAT_CANTERROR);
        return;
    }
    if !rate_ok(inet) {
        IfStats::bump(&inet.stats.icmp_ratelimited);
        return;
    }
    // As much of the packet as fits in the minimum MTU.
    let room = MIN_MTU - ipv6::HEADER_LEN - icmpv6::HEADER_LEN;
    let quoted = &packet[..packet.len().min(room)];
    let mut msg = icmpv6::build(t, code, word, quoted);
    // From the address the packet was sent to when it is ours; else (a
    // group, or another node's on a packet we could not forward) one of
    // the interface's (`icmp6_reflect`).
    let ours = !dst.is_multicast()
        && inet
            .local_flags(&dst, 0)
            .is_some_and(|f| f & crate::inet6::flags::NOTREADY == 0);
    let from = if ours {
        dst
    } else {
        match inet.select_source(ifp, &src) {
            Ok(a) => a,
            Err(_) => return,
        }
    };
    let c = ipv6::upper_checksum(&from, &src, nh::ICMPV6, &msg);
    msg[2..4].copy_from_slice(&c.to_be_bytes());
    let to = ScopedAddr {
        addr: src,
        scope: scope_of(ifp, &src),
    };
    let _ = inet.output(nh::ICMPV6, Some(from), &to, &msg, &OutOpts::default());
}

/// `ppsratecheck` for ICMPv6 errors.
pub(crate) fn rate_ok(inet: &Inet6) -> bool {
    let second = inet.clock.monotonic().as_secs();
    let mut st = inet.lock();
    if st.err_second != second {
        st.err_second = second;
        st.err_count = 0;
    }
    st.err_count += 1;
    st.err_count <= ERRORS_PER_SECOND
}
