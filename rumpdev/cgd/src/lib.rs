//! The cgd driver (NetBSD's `sys/dev/cgd.c` and `cgd_crypto.c`, component
//! `librumpdev_cgd`): a disk whose sectors are kept encrypted on another
//! disk, at block major 21 and character major 93, with `/dev/cgd0a`..`g`
//! and `/dev/rcgd0a`..`g` made at attach as NetBSD's component makes them.
//!
//! `cgdconfig`'s ioctls (`CGDIOCSET`, `CGDIOCCLR`, `CGDIOCGET`) configure a
//! unit over a block device of the kernel's namespace (a vnd, an etfs
//! drive) with one of NetBSD's ciphers ([`crypto`]); the disk layer
//! (`rumpdev::disk`) gives it its label (read through the cipher, or
//! `dk_getdefaultlabel`'s fictitious one, where `readdisklabel` makes
//! partition `a` the whole disk), partitions and bounds. Images are interchangeable with NetBSD's
//! cgd: same IVs, same ciphers, same sector numbers.
//!
//! Not implemented yet: wedges on a cgd, and a disk underneath whose
//! sectors are not 512 bytes (its sectors are taken as 512 bytes).

#![forbid(unsafe_code)]

pub mod cgdio;
pub mod crypto;
mod unit;

pub use unit::SetRequest;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpdev::disk::driver;
use std::sync::Arc;
use unit::Cgd;

/// cgd's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const CGD_BMAJOR: u32 = 21;
/// cgd's character major on amd64.
pub const CGD_CMAJOR: u32 = 93;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The cgd driver component (`librumpdev_cgd`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_cgd",
    module: "cgd",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev", "rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let cgd = Arc::new(Cgd::default());
    driver::attach(k, "cgd", CGD_BMAJOR, CGD_CMAJOR, NODES_PER_UNIT, cgd)
}
