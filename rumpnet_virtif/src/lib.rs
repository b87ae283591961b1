//! `rumpnet_virtif`: `virt(4)`, an Ethernet interface whose link is a host
//! tap device, so that a rump kernel talks to the host's own network stack
//! (NetBSD's `rumpnet_virtif`).
//!
//! `ifconfig virt0 create` makes the interface; bringing it up opens the
//! host tap device named by its link string (`ifconfig virt0 linkstr
//! tap3`), by default the interface's own name (`virt0`), creating the
//! device if the host allows it.

#![forbid(unsafe_code)]

pub mod virt;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;

/// The component.
pub static COMPONENT: Component = Component {
    name: "rumpnet_virtif",
    module: "virtif",
    class: ModuleClass::Driver,
    phase: Phase::NetIf,
    faction: None,
    requires: &["rumpnet"],
    needs_threads: true,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    rumpnet::Net::of(k)
        .add_cloner(virt::CLONER)
        .map_err(|e| format!("virt cloner: {e}"))
}
