//! The md driver (NetBSD's `sys/dev/md.c`, component `librumpdev_md`):
//! memory disks, at block major 17 and character major 24, with
//! `/dev/md0a`..`g` and `/dev/rmd0a`..`g` made at attach as NetBSD's
//! component makes them.
//!
//! A unit comes to be at the first open of its raw partition and is
//! configured once with `MD_SETCONF`: `MD_KMEM_ALLOCATED` gives it zeroed
//! kernel memory charged to the kernel (`RUMP_MEMLIMIT`: ENOMEM past it);
//! `MD_GETCONF` tells its size and type. `MD_UMEM_SERVER` (the configuring
//! process serving transfers from its own memory inside the ioctl) is not
//! supported yet: EOPNOTSUPP, with a console message saying so.
//! Transfers ignore the partition, as NetBSD's `mdstrategy` does.

pub mod mdio;
mod unit;

pub use unit::DKTYPE_MD;

use crate::disk::driver;
use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use std::sync::Arc;
use unit::Md;

/// md's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const MD_BMAJOR: u32 = 17;
/// md's character major on amd64.
pub const MD_CMAJOR: u32 = 24;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The md driver component (`librumpdev_md`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_md",
    module: "md",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let md = Arc::new(Md::default());
    driver::attach(k, "md", MD_BMAJOR, MD_CMAJOR, NODES_PER_UNIT, md)
}
