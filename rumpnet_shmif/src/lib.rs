//! `rumpnet_shmif`: Ethernet over a bus file shared by any number of rump
//! kernels in separate processes, in the format of NetBSD's `shmif(4)`.
//!
//! - [`bus`] is the file format and its ring, lock and reader positions.
//! - [`shmif`] is the interface driver and its cloner.
//! - [`impair`] makes a kernel's frames get lost, repeated and reordered
//!   (`RUMP_SHMIF_IMPAIR`), for tests.
//! - [`pcap`] writes a bus's frames as a pcap file (`shmif_dumpbus`).

#![forbid(unsafe_code)]

pub mod bus;
pub mod impair;
pub mod pcap;
pub mod shmif;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;

/// The component.
pub static COMPONENT: Component = Component {
    name: "rumpnet_shmif",
    module: "shmif",
    class: ModuleClass::Driver,
    phase: Phase::NetIf,
    faction: None,
    requires: &["rumpnet"],
    needs_threads: true,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    rumpnet::Net::of(k)
        .add_cloner(shmif::CLONER)
        .map_err(|e| format!("shmif cloner: {e}"))
}
