//! TCP and UDP over IPv6: the IPv6 layer as netinet's one TCP and one UDP
//! use it ([`rumpnet_netinet::ip6layer::Ip6Layer`]), and the hand-over of
//! their segments from IPv6 input (`tcp6_input`, `udp6_input`).
//!
//! Inside the pcbs, a link-local address carries its zone embedded, as in
//! NetBSD's kernel; here is where zones go in (input) and come out
//! (output).

use crate::addr::{self, ScopedAddr};
use crate::inet6::{Inet6, OutOpts, flags};
use crate::stats6;
use crate::wire::icmpv6::{code, kind};
use crate::wire::ipv6::{Packet, nh};
use rump::{Errno, KResult};
use rumpnet::ifnet::{Ifnet, LinkType};
use rumpnet::pkt::Pkt;
use rumpnet_netinet::addr::PcbAddr;
use rumpnet_netinet::inet::Inet;
use rumpnet_netinet::ip6layer::{Ip6Layer, Out6, Route6};
use rumpnet_netinet::udp::Delivery;
use std::net::Ipv6Addr;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Weak};

/// The IPv6 layer as netinet sees it.
pub struct Layer {
    inet6: Weak<Inet6>,
    /// `net.inet6.ip6.v6only`.
    pub v6only: Arc<AtomicBool>,
}

impl Layer {
    /// The layer of `inet6`, whose new sockets take `v6only` as their
    /// `IPV6_V6ONLY`.
    pub fn new(inet6: &Arc<Inet6>, v6only: Arc<AtomicBool>) -> Layer {
        Layer {
            inet6: Arc::downgrade(inet6),
            v6only,
        }
    }

    fn inet6(&self) -> KResult<Arc<Inet6>> {
        self.inet6.upgrade().ok_or(Errno::ENETDOWN)
    }
}

fn scoped(a: &PcbAddr) -> ScopedAddr {
    ScopedAddr {
        addr: Ipv6Addr::from(a.wire()),
        scope: a.zone(),
    }
}

impl Ip6Layer for Layer {
    fn route(&self, dst: &PcbAddr) -> KResult<Route6> {
        let inet = self.inet6()?;
        let net = inet.net().ok_or(Errno::ENETDOWN)?;
        let d = scoped(dst);
        let hop = inet.next_hop(&net, &d)?;
        let ifp = hop.ifp.clone();
        let ours = inet.local_flags(&d.addr, d.scope).is_some();
        let src = if ifp.link_type() == LinkType::Loopback && !d.addr.is_loopback() && ours {
            // One of our own addresses: it is its own source.
            d.addr
        } else {
            inet.select_source(&ifp, &d.addr)?
        };
        // A link-local source is in the destination's zone, or the
        // outgoing interface's.
        let zone = if d.scope != 0 {
            d.scope
        } else {
            u32::from(ifp.index)
        };
        Ok(Route6 {
            src: PcbAddr::embed(src.octets(), zone)?,
            mtu: inet.path_mtu(&ifp, &d.addr),
            reject: hop.refusal().and_then(Result::err),
        })
    }

    fn check_local(&self, a: &PcbAddr) -> KResult<()> {
        let inet = self.inet6()?;
        if a.is_link_scoped() && a.zone() == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        match inet.local_flags(&Ipv6Addr::from(a.wire()), a.zone()) {
            Some(f) if f & flags::NOTREADY == 0 => Ok(()),
            _ => Err(Errno::EADDRNOTAVAIL),
        }
    }

    fn output(&self, proto: u8, src: &PcbAddr, dst: &PcbAddr, o6: &Out6, pkt: Pkt) -> KResult<()> {
        let o = OutOpts {
            hlim: o6.hops,
            mcast_hlim: o6.mcast_hops,
            min_mtu: false,
            tclass: o6.tclass,
            ifindex: o6.ifindex,
            mcast_loop: o6.mcast_loop,
        };
        let s = Ipv6Addr::from(src.wire());
        let inet = self.inet6()?;
        if proto == nh::UDP {
            stats6::udp6(&inet, stats6::UDP6_STAT_OPACKETS);
        }
        inet.output_pkt(proto, Some(s), &scoped(dst), pkt, &o)
    }

    fn v6only_default(&self) -> bool {
        self.v6only.load(Relaxed)
    }

    fn join_group(&self, g: &PcbAddr, ifindex: u32) -> KResult<u16> {
        let inet = self.inet6()?;
        let net = inet.net().ok_or(Errno::ENXIO)?;
        let group = Ipv6Addr::from(g.wire());
        let ifp = if ifindex == 0 {
            let to = ScopedAddr {
                addr: group,
                scope: 0,
            };
            inet.route(&net, &to).map_err(|_| Errno::EADDRNOTAVAIL)?
        } else {
            let i = u16::try_from(ifindex).map_err(|_| Errno::ENXIO)?;
            net.ifindex(i).ok_or(Errno::ENXIO)?
        };
        inet.join_group(&ifp, &group)?;
        Ok(ifp.index)
    }

    fn leave_group(&self, g: &PcbAddr, ifindex: u16) -> KResult<()> {
        self.inet6()?
            .leave_group(ifindex, &Ipv6Addr::from(g.wire()))
    }

    fn check_interface(&self, ifindex: u32, multicast: bool) -> KResult<()> {
        let inet = self.inet6()?;
        let net = inet.net().ok_or(Errno::ENXIO)?;
        let i = u16::try_from(ifindex).map_err(|_| Errno::ENXIO)?;
        let ifp = net.ifindex(i).ok_or(Errno::ENXIO)?;
        if multicast && ifp.flags() & rumpnet::ifnet::IFF_MULTICAST == 0 {
            return Err(Errno::EADDRNOTAVAIL);
        }
        Ok(())
    }

    fn check_source(&self, a: &PcbAddr, ifindex: u32) -> KResult<()> {
        let inet = self.inet6()?;
        let s = Ipv6Addr::from(a.wire());
        if s.is_multicast() {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let ok = inet.addresses().into_iter().any(|x| {
            x.addr == s
                && (ifindex == 0 || u32::from(x.ifindex) == ifindex)
                && (a.zone() == 0 || u32::from(x.ifindex) == a.zone())
                && x.flags & (flags::NOTREADY) == 0
        });
        if ok {
            Ok(())
        } else {
            Err(Errno::EADDRNOTAVAIL)
        }
    }
}

/// The zone a link-scoped address that arrived on `ifp` is in: the
/// interface's, or for one of our own that came back through lo0, the
/// zone of the interface that has it.
fn zone_of(inet: &Inet6, ifp: &Ifnet, a: &Ipv6Addr) -> u32 {
    if ifp.link_type() == LinkType::Loopback
        && let Some(x) = inet.addresses().into_iter().find(|x| x.addr == *a)
    {
        return u32::from(x.ifindex);
    }
    u32::from(ifp.index)
}

/// Hand TCP segment or UDP datagram `body` (protocol `next`) that came
/// over IPv6 from `src` to `dst` on `ifp` to netinet's TCP or UDP; a
/// UDP datagram nobody wants is answered with a port unreachable about
/// `packet`. False when `next` is neither.
pub fn input(
    inet: &Inet6,
    ifp: &Arc<Ifnet>,
    next: u8,
    (src, dst): (&Ipv6Addr, &Ipv6Addr),
    body: &[u8],
    packet: &Pkt,
) -> bool {
    if next != nh::TCP && next != nh::UDP {
        return false;
    }
    let Some(k) = inet.kernel() else { return true };
    let inet4 = Inet::of(&k);
    let zone = if addr::is_link_scoped(dst) || addr::is_link_scoped(src) {
        zone_of(inet, ifp, dst)
    } else {
        0
    };
    let (Ok(s), Ok(d)) = (
        PcbAddr::embed(src.octets(), zone),
        PcbAddr::embed(dst.octets(), zone),
    ) else {
        return true;
    };
    if next == nh::TCP {
        rumpnet_netinet::tcp::socket::input6(&inet4, ifp, s, d, body);
        return true;
    }
    // The checks of the datagram itself (header, checksum, room) are
    // netinet's UDP's, counted in net.inet.udp.stats.
    stats6::udp6(inet, stats6::UDP6_STAT_IPACKETS);
    let hlim = Packet::new_checked(packet.data()).map_or(0, |p| p.hop_limit());
    let got = rumpnet_netinet::udp::input6(&inet4, ifp, (s, d), hlim, body);
    if got == Delivery::NoPortBroadcast {
        stats6::udp6(inet, stats6::UDP6_STAT_NOPORTMCAST);
    }
    if got == Delivery::NoPort {
        stats6::udp6(inet, stats6::UDP6_STAT_NOPORT);
        crate::icmp6::error(
            inet,
            ifp,
            packet.data(),
            kind::DST_UNREACH,
            code::UNREACH_NOPORT,
            0,
        );
    }
    true
}

/// An ICMPv6 destination unreachable `body` (the message, the invoking
/// packet after its first eight bytes) about a UDP datagram we sent
/// (`udp6_ctlinput`): the sockets connected to where it went get
/// ECONNREFUSED for a port unreachable, EHOSTUNREACH for the other codes
/// (NetBSD's `inet6ctlerrmap`). Errors about TCP, or about a datagram
/// whose first next header is not UDP, are not passed on yet.
pub fn ctlinput(inet: &Inet6, ifp: &Ifnet, code_: u8, body: &[u8]) {
    use crate::wire::ipv6::HEADER_LEN;
    let Some(orig) = body.get(crate::wire::icmpv6::HEADER_LEN..) else {
        return;
    };
    let Ok(p) = Packet::new_checked(orig) else {
        return;
    };
    let Some(udp) = orig.get(HEADER_LEN..HEADER_LEN + 4) else {
        return;
    };
    if p.next_header() != nh::UDP {
        return;
    }
    let Some(k) = inet.kernel() else { return };
    let (src, dst) = (p.src(), p.dst());
    let zone = if addr::is_link_scoped(&src) || addr::is_link_scoped(&dst) {
        zone_of(inet, ifp, &src)
    } else {
        0
    };
    let (Ok(s), Ok(d)) = (
        PcbAddr::embed(src.octets(), zone),
        PcbAddr::embed(dst.octets(), zone),
    ) else {
        return;
    };
    let e = if code_ == code::UNREACH_NOPORT {
        Errno::ECONNREFUSED
    } else {
        Errno::EHOSTUNREACH
    };
    let sport = u16::from_be_bytes([udp[0], udp[1]]);
    let dport = u16::from_be_bytes([udp[2], udp[3]]);
    rumpnet_netinet::udp::ctlinput_pcb(&Inet::of(&k), (s, sport), (d, dport), e);
}
