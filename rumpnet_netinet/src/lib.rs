//! IPv4, ARP, ICMP and UDP as a rump component (`librumpnet_netinet`).
//!
//! - [`inet::Inet`] is a kernel's IPv4 stack: addresses, routes, the ARP
//!   cache, input, forwarding, fragmentation and reassembly.
//! - [`rtable`] holds the routes and the rules for those addresses bring.
//! - [`udp`] and [`raw`] are the socket types; [`icmp`] answers pings and
//!   reports errors.
//! - [`wire`] holds the header formats as checked views.
//! - [`dad`] is duplicate address detection (RFC 5227): new addresses
//!   are tentative until ARP probes find no other host using them.
//!
//! - [`tcp`] is TCP: the connection state machine and the sockets.
//!
//! Not yet here (see the issue): multicast group membership.

#![forbid(unsafe_code)]

pub mod addr;
pub mod arp;
mod arp_dad;
pub mod dad;
pub mod domain;
pub mod icmp;
pub mod inet;
pub mod ip6layer;
pub mod mcast6;
pub mod pcb;
pub mod pcblist;
pub mod raw;
pub mod reass;
pub mod rtable;
pub mod stats;
mod sysctl;
pub mod tcp;
pub mod udp;
pub mod wire;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpnet::net::Net;
use rumpnet::wire::ethernet::ethertype;
use std::sync::Arc;

/// The component.
pub static COMPONENT: Component = Component {
    name: "rumpnet_netinet",
    module: "netinet",
    class: ModuleClass::Misc,
    phase: Phase::NetIfCfg,
    faction: None,
    requires: &["rumpnet"],
    needs_threads: true,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let net = Net::of(k);
    let inet = inet::Inet::of(k);
    net.add_domain(Arc::new(domain::InetDomain {
        inet: Arc::clone(&inet),
    }))
    .map_err(|e| format!("AF_INET: {e} (rumpnet_sockin and rumpnet_netinet both provide AF_INET: load only one of them)"))?;
    let i = Arc::clone(&inet);
    net.add_input(
        ethertype::IPV4,
        Arc::new(move |ifp, pkt, info| i.ip_input(ifp, pkt, info)),
    );
    let i = Arc::clone(&inet);
    net.add_input(
        ethertype::ARP,
        Arc::new(move |ifp, pkt, info| i.arp_input(ifp, pkt, info)),
    );
    inet.start_timer(&net)
        .map_err(|e| format!("timer thread: {e}"))?;
    sysctl::register(k, &inet).map_err(|e| format!("sysctl nodes: {e}"))?;
    // lo0 gets 127.0.0.1/8 and comes up, as NetBSD's netinet component
    // configures it at boot.
    if let Some(lo) = net.ifunit("lo0") {
        inet.add_address(
            &net,
            &lo,
            inet::IfAddr {
                ifindex: lo.index,
                addr: netbsd_abi::INADDR_LOOPBACK,
                mask: 0xff00_0000,
                bcast: 0,
            },
        )
        .map_err(|e| format!("lo0: {e}"))?;
    }
    Ok(())
}
