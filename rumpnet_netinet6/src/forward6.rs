//! Forwarding between interfaces when `net.inet6.ip6.forwarding` is on
//! (`ip6_forward`): the hop limit goes down by one, and a packet that
//! cannot go on is answered as RFC 4443 and NetBSD say: time exceeded at
//! the last hop, destination unreachable without a route or beyond the
//! source's scope, packet too big when the way out is narrower (routers
//! do not fragment, RFC 8200 section 5). Link-local destinations and
//! packets from the unspecified address stay on their link, a reject
//! route answers with an address unreachable and a blackhole route drops
//! the packet. A packet that goes back out of the interface it came in
//! on earns its sender a redirect ([`crate::redirect`]).

use crate::addr::{self, ScopedAddr};
use crate::inet6::Inet6;
use crate::wire::icmpv6::{code, kind};
use crate::wire::ipv6::{self, Packet};
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use rumpnet::pkt::Pkt;
use std::sync::Arc;

/// `IPV6_HLIMDEC`: what each router takes off the hop limit.
const HLIM_DEC: u8 = 1;

/// `ICMP6_DST_UNREACH_BEYONDSCOPE` (`netinet/icmp6.h`).
const UNREACH_BEYONDSCOPE: u8 = 2;

impl Inet6 {
    /// Forward `pkt`, which arrived on `ifp` for another node.
    pub(crate) fn forward(&self, ifp: &Arc<Ifnet>, mut pkt: Pkt) {
        let Ok(p) = Packet::new_checked(pkt.data()) else {
            return;
        };
        let (src, dst, hlim) = (p.src(), p.dst(), p.hop_limit());
        // Without what the link padded on.
        let whole = ipv6::HEADER_LEN + usize::from(p.payload_len());
        if dst.is_multicast()
            || src.is_unspecified()
            || addr::is_link_scoped(&dst)
            || ifp.link_type() == LinkType::Loopback
        {
            IfStats::bump(&self.stats.cantforward);
            return;
        }
        if hlim <= HLIM_DEC {
            self.forward_error(ifp, &pkt, kind::TIME_EXCEEDED, code::TIMXCEED_INTRANS, 0);
            return;
        }
        let Some(net) = self.net() else {
            return;
        };
        let to = ScopedAddr {
            addr: dst,
            scope: 0,
        };
        let hop = match self.next_hop(&net, &to) {
            // A reject or blackhole route is usually through lo0.
            Ok(h) if h.ifp.link_type() != LinkType::Loopback || h.refusal().is_some() => h,
            _ => {
                self.forward_error(ifp, &pkt, kind::DST_UNREACH, code::UNREACH_NOROUTE, 0);
                return;
            }
        };
        // A link-local source cannot leave its link (RFC 4007 9).
        if addr::is_link_scoped(&src) && hop.ifp.index != ifp.index {
            self.forward_error(ifp, &pkt, kind::DST_UNREACH, UNREACH_BEYONDSCOPE, 0);
            return;
        }
        pkt.truncate(whole);
        let mtu = hop.ifp.mtu();
        if pkt.len() > mtu as usize {
            self.forward_error(ifp, &pkt, kind::PACKET_TOO_BIG, 0, mtu);
            return;
        }
        // nd6_output's refusal for a reject route is answered as any
        // error of the way out; a blackhole route takes the packet.
        match hop.refusal() {
            Some(Err(_)) => {
                self.forward_error(ifp, &pkt, kind::DST_UNREACH, code::UNREACH_ADDR, 0);
                return;
            }
            Some(Ok(())) => {
                IfStats::bump(&self.stats.forwarded);
                return;
            }
            None => {}
        }
        // The redirect quotes the packet as it came in.
        let quote = (hop.ifp.index == ifp.index).then(|| pkt.data().to_vec());
        ipv6::set_hop_limit(pkt.data_mut(), hlim - HLIM_DEC);
        IfStats::bump(&self.stats.forwarded);
        let _ = self.send_on(&hop.ifp, pkt, &hop.next);
        if let Some(q) = quote {
            self.redirect_output(ifp, &q, (&src, &dst), (&hop.next, hop.via_gateway));
        }
    }

    fn forward_error(&self, ifp: &Arc<Ifnet>, pkt: &Pkt, t: u8, c: u8, word: u32) {
        IfStats::bump(&self.stats.cantforward);
        crate::icmp6::error(self, ifp, pkt.data(), t, c, word);
    }
}
