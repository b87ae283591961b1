//! sockin as a rump component (`librumpnet_sockin`, NetBSD's
//! `sys/rump/net/lib/libsockin`): the `AF_INET` and `AF_INET6` families
//! whose TCP and UDP sockets are the host's own, so that a kernel without
//! its own TCP/IP (`rumpnet_netinet`) reaches the network through the
//! host's addresses and routes.
//!
//! - [`domain`] makes sockets for the socket layer.
//! - [`socket`] is one socket, over a non-blocking host socket.
//! - [`poller`] is the thread that wakes the kernel's pollers when a host
//!   socket is ready.
//! - [`sockaddr`] converts NetBSD's socket addresses.
//!
//! There are no interfaces, routes or raw sockets: those belong to the
//! host. Since sockin and `rumpnet_netinet` both provide `AF_INET`, a
//! kernel takes only one of them.

#![forbid(unsafe_code)]

pub mod domain;
mod errno;
pub mod poller;
pub mod sockaddr;
pub mod socket;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpnet::net::Net;
use std::sync::Arc;

/// The component.
pub static COMPONENT: Component = Component {
    name: "rumpnet_sockin",
    module: "sockin",
    class: ModuleClass::Misc,
    phase: Phase::Net,
    faction: None,
    requires: &["rumpnet"],
    needs_threads: true,
    init: attach,
};

/// What loading sockin beside another `AF_INET` provider says.
pub const CONFLICT: &str =
    "rumpnet_sockin and rumpnet_netinet both provide AF_INET: load only one of them";

fn attach(k: &Kernel) -> AttachResult {
    let net = Net::of(k);
    let families = [sockaddr::AF_INET, sockaddr::AF_INET6];
    if families.iter().any(|&af| net.domain(af).is_some()) {
        return Err(CONFLICT.to_owned());
    }
    let poller = poller::Poller::new().map_err(|e| format!("sockin: {}", e.name()))?;
    for family in families {
        net.add_domain(Arc::new(domain::SockinDomain {
            family,
            poller: Arc::clone(&poller),
        }))
        .map_err(|_| CONFLICT.to_owned())?;
    }
    Ok(())
}
