//! The NET faction: sockets, interfaces, packet buffers, link-layer input
//! and protocol timers.
//!
//! - [`net::Net`] is a kernel's stack: interfaces, cloners, protocol
//!   families ([`net::Domain`]) and the input queue.
//! - [`socket`] is the socket layer: protocols implement
//!   [`socket::ProtoSocket`] without blocking, and the layer waits.
//! - [`ifnet`] is the interface and the trait drivers implement.
//! - [`wire`] holds the link-layer formats (Ethernet, the Internet checksum).
//!
//! - [`route`] is the routing socket, [`rtsysctl`] the route and interface
//!   dumps by `sysctl`.
//!
//! - [`link`] is the link-layer domain (`AF_LINK`): interfaces' link
//!   addresses for `ifconfig`.
//!
//! - [`local`] is the local domain (`AF_LOCAL`): stream and datagram
//!   sockets, named in the file system.

#![forbid(unsafe_code)]

pub mod burst;
pub mod callout;
pub mod ifioctl;
pub mod ifnet;
pub mod link;
pub mod local;
pub mod loopback;
mod mmsg;
pub mod net;
pub mod pcblist;
pub mod pkt;
pub mod route;
pub mod rtsysctl;
pub mod socket;
mod syscall;
#[cfg(test)]
mod testkit;
pub mod wire;

pub use net::Net;
pub use syscall::{getsockopt, setsockopt, socket};

use rump::Kernel;
use rump::component::{AttachResult, Component, Faction, Phase};
use rump::module::ModuleClass;

/// The NET faction component (`librumpnet`).
pub static COMPONENT: Component = Component {
    name: "rumpnet",
    module: "net",
    class: ModuleClass::Misc,
    phase: Phase::Net,
    faction: Some(Faction::Net),
    requires: &[],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let net = Net::of(k);
    net.add_cloner(loopback::CLONER)
        .map_err(|e| format!("lo cloner: {e}"))?;
    net.clone_create(k, "lo0")
        .map_err(|e| format!("lo0: {e}"))?;
    net.add_domain(std::sync::Arc::new(route::RouteDomain {
        net: std::sync::Arc::downgrade(&net),
    }))
    .map_err(|e| format!("PF_ROUTE: {e}"))?;
    net.add_domain(std::sync::Arc::new(link::LinkDomain))
        .map_err(|e| format!("AF_LINK: {e}"))?;
    let local = local::LocalDomain::new(k);
    local
        .register_sysctl(k)
        .map_err(|e| format!("net.local: {e}"))?;
    net.add_local_domain(local)
        .map_err(|e| format!("AF_LOCAL: {e}"))?;
    syscall::register(k).map_err(|e| format!("system calls: {e}"))?;
    mmsg::register(k).map_err(|e| format!("recvmmsg, sendmmsg: {e}"))?;
    rtsysctl::register(k, &net).map_err(|e| format!("net.route: {e}"))?;
    // A halted kernel's interfaces stop: drivers' threads end and host
    // resources (bus files, tap devices) are let go.
    k.register_shutdown_hook(
        "net",
        Box::new(|k, _| {
            if let Some(net) = k.try_extension::<Net>() {
                net.shutdown();
            }
        }),
    );
    Ok(())
}
