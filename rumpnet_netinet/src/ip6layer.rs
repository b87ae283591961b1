//! What TCP and UDP need of IPv6, which `rumpnet_netinet6` hands the IPv4
//! stack when it attaches ([`crate::inet::Inet::attach_ip6`]): one TCP and
//! one UDP serve both families, as NetBSD's `tcp_usrreq` and
//! `udp6_usrreq` share their protocol code, while the IPv6 layer itself
//! (addresses, routes, neighbour discovery) stays in its own component.

use crate::addr::PcbAddr;
use rump::KResult;
use rumpnet::pkt::Pkt;

/// The way to a destination: the source address to use, the interface's
/// MTU and index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route6 {
    /// The source address (RFC 6724), zone embedded when link-local.
    pub src: PcbAddr,
    /// The outgoing interface's MTU.
    pub mtu: u32,
    /// The error a reject route gives everything sent along it
    /// (`rt_check_reject_route`), which TCP's first segment meets at
    /// connect.
    pub reject: Option<rump::Errno>,
}

/// The IPv6 layer as TCP and UDP use it. Addresses are [`PcbAddr`]s that
/// are not IPv4-mapped, link-local ones with their zone embedded.
pub trait Ip6Layer: Send + Sync {
    /// The source address and MTU for reaching `dst` (`in6_selectsrc`):
    /// EHOSTUNREACH, ENETUNREACH or EADDRNOTAVAIL when there is none.
    fn route(&self, dst: &PcbAddr) -> KResult<Route6>;

    /// Whether `a` may be bound (`in6_pcbbind_addr`): one of our
    /// addresses that is ready (not tentative, duplicated or detached),
    /// else EADDRNOTAVAIL.
    fn check_local(&self, a: &PcbAddr) -> KResult<()>;

    /// Send transport payload `pkt` of protocol `proto` from `src` to
    /// `dst` as `o` says.
    fn output(&self, proto: u8, src: &PcbAddr, dst: &PcbAddr, o: &Out6, pkt: Pkt) -> KResult<()>;

    /// `net.inet6.ip6.v6only`: the `IPV6_V6ONLY` a new socket starts with.
    fn v6only_default(&self) -> bool;

    /// Join multicast group `g` on interface `ifindex`, or with 0 on the
    /// interface the group's route goes out of (`in6_joingroup` as
    /// `IPV6_JOIN_GROUP` calls it); the interface joined. ENXIO for no
    /// such interface, EADDRNOTAVAIL for no route.
    fn join_group(&self, g: &PcbAddr, ifindex: u32) -> KResult<u16> {
        let _ = (g, ifindex);
        Err(rump::Errno::EOPNOTSUPP)
    }

    /// Give up one membership of `g` on `ifindex` (`in6_leavegroup`).
    fn leave_group(&self, g: &PcbAddr, ifindex: u16) -> KResult<()> {
        let _ = (g, ifindex);
        Err(rump::Errno::EOPNOTSUPP)
    }

    /// Whether interface `ifindex` exists (ENXIO if not) and, when
    /// `multicast`, can send multicast (EADDRNOTAVAIL if not): for
    /// `IPV6_MULTICAST_IF`, `IPV6_JOIN_GROUP` and an `IPV6_PKTINFO`'s
    /// interface.
    fn check_interface(&self, ifindex: u32, multicast: bool) -> KResult<()> {
        let _ = (ifindex, multicast);
        Err(rump::Errno::EOPNOTSUPP)
    }

    /// Whether `a` may be the source an `IPV6_PKTINFO` names
    /// (`ip6_setpktopt`): one of our ready unicast addresses, on interface
    /// `ifindex` when that is not 0; else EADDRNOTAVAIL.
    fn check_source(&self, a: &PcbAddr, ifindex: u32) -> KResult<()> {
        let _ = (a, ifindex);
        Err(rump::Errno::EOPNOTSUPP)
    }
}

/// How one datagram goes out over IPv6: the socket's options
/// (`in6p_hops`, `ip6_moptions`) with a `sendmsg`'s control messages
/// over them (`ip6_pktopts`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Out6 {
    /// Unicast hop limit (`None`: the interface's).
    pub hops: Option<u8>,
    /// Multicast hop limit (`None`: `ip6_defmcasthlim`).
    pub mcast_hops: Option<u8>,
    /// Whether a multicast datagram is also delivered here when this
    /// host is in the group (`IPV6_MULTICAST_LOOP`).
    pub mcast_loop: bool,
    /// The interface to send on (`IPV6_MULTICAST_IF` for multicast, an
    /// `IPV6_PKTINFO`'s interface for any destination); 0: the route's.
    pub ifindex: u16,
    /// Traffic class (`IPV6_TCLASS`).
    pub tclass: u8,
}

impl Default for Out6 {
    fn default() -> Out6 {
        Out6 {
            hops: None,
            mcast_hops: None,
            // IPV6_DEFAULT_MULTICAST_LOOP (netinet6/in6.h).
            mcast_loop: true,
            ifindex: 0,
            tclass: 0,
        }
    }
}
