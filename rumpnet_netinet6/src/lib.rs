//! IPv6 as a rump component (`librumpnet_netinet6`), as NetBSD's
//! `rumpnet_netinet6` has it from boot.
//!
//! - [`inet6::Inet6`] is a kernel's IPv6 stack: addresses, input with
//!   the extension headers, output and next-hop choice.
//! - [`nd6`] is neighbour discovery (RFC 4861) and duplicate address
//!   detection (RFC 4862); [`icmp6`] answers echo requests and reports
//!   errors; [`raw6`] is the raw socket `ping6` uses.
//! - [`wire`] holds the header formats as checked views.
//!
//! - [`transport`] lets netinet's one TCP and one UDP run over IPv6.
//!
//! - `forward6` forwards between interfaces when
//!   `net.inet6.ip6.forwarding` is on.
//! - [`rtable6`] holds the routes added through the routing socket and
//!   chooses each packet's interface and next hop.
//!
//! - [`frag6`] reassembles fragments and fragments what is too large.
//!
//! - [`rtadv`] takes router advertisements and autoconfigures addresses
//!   when `net.inet6.ip6.accept_rtadv` is set.
//!
//! - [`mld6`] keeps the multicast groups each interface listens to and
//!   reports them to routers (MLDv1).
//!
//! - [`redirect`] takes redirects as a host and sends them as a router.
//! - [`pmtu6`] lowers path MTUs from packets too big (RFC 8201).

#![forbid(unsafe_code)]

pub mod addr;
pub mod announce6;
pub mod domain;
mod forward6;
pub mod frag6;
pub mod icmp6;
pub mod inet6;
pub mod mld6;
pub mod nd6;
pub mod nd6_static;
mod ndlists;
pub mod pmtu6;
pub mod raw6;
pub mod redirect;
pub mod routes6;
pub mod rtable6;
pub mod rtadv;
pub mod stats6;
mod sysctl;
pub mod transport;
pub mod wire;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpnet::net::Net;
use rumpnet::wire::ethernet::ethertype;
use std::net::Ipv6Addr;
use std::sync::Arc;

/// The component.
pub static COMPONENT: Component = Component {
    name: "rumpnet_netinet6",
    module: "netinet6",
    class: ModuleClass::Misc,
    phase: Phase::NetIfCfg,
    faction: None,
    requires: &["rumpnet", "rumpnet_netinet"],
    needs_threads: true,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let net = Net::of(k);
    let inet = inet6::Inet6::of(k);
    register_family(&net, &inet)?;
    inet.start_timer(&net)
        .map_err(|e| format!("timer thread: {e}"))?;
    let v6only = Arc::clone(&inet.v6only);
    let inet4 = rumpnet_netinet::inet::Inet::of(k);
    inet4
        .attach_ip6(Arc::new(transport::Layer::new(&inet, Arc::clone(&v6only))))
        .map_err(|e| format!("TCP and UDP over IPv6: {e}"))?;
    sysctl::register(k, &inet, &v6only).map_err(|e| format!("sysctl nodes: {e}"))?;
    sysctl::register_pcblists(k, &inet4).map_err(|e| format!("pcblists: {e}"))?;
    stats6::register(k, &inet, &inet4).map_err(|e| format!("statistics: {e}"))?;
    // lo0 gets ::1/128 and fe80::1/64, as NetBSD's in6_ifattach gives
    // the loopback interface at boot.
    if let Some(lo) = net.ifunit("lo0") {
        for (a, len) in [
            (Ipv6Addr::LOCALHOST, 128),
            (Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1), 64),
        ] {
            inet.add_address(
                &lo,
                inet6::IfAddr6 {
                    ifindex: lo.index,
                    addr: a,
                    prefixlen: len,
                    flags: 0,
                },
            )
            .map_err(|e| format!("lo0: {e}"))?;
        }
    }
    // Interfaces attached before us that are up get their link-local
    // addresses now.
    for ifp in net.interfaces() {
        inet.if_up(&ifp);
    }
    Ok(())
}

/// Register `AF_INET6` with the socket layer and IPv6 input by its
/// Ethernet type.
fn register_family(net: &Arc<Net>, inet: &Arc<inet6::Inet6>) -> AttachResult {
    net.add_domain(Arc::new(domain::Inet6Domain {
        inet: Arc::clone(inet),
    }))
    .map_err(|e| format!("AF_INET6: {e}"))?;
    let i = Arc::clone(inet);
    net.add_input(
        ethertype::IPV6,
        Arc::new(move |ifp, pkt, info| i.input(ifp, pkt, info)),
    );
    Ok(())
}
