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
    /// `dst` with hop limit `hops` (the interface's default when `None`).
    fn output(
        &self,
        proto: u8,
        src: &PcbAddr,
        dst: &PcbAddr,
        hops: Option<u8>,
        pkt: Pkt,
    ) -> KResult<()>;

    /// `net.inet6.ip6.v6only`: the `IPV6_V6ONLY` a new socket starts with.
    fn v6only_default(&self) -> bool;
}
