//! The vnd driver (NetBSD's `sys/dev/vnd.c`, component `librumpdev_vnd`):
//! a regular file in the kernel's own namespace seen as a disk, at block
//! major 14 and character major 41, with `/dev/vnd0a`..`g` and
//! `/dev/rvnd0a`..`g` made at attach as NetBSD's component makes them.
//!
//! `vnconfig`'s ioctls (`VNDIOCSET`, `VNDIOCCLR`, `VNDIOCGET`) configure
//! a unit; the disk layer (`rumpdev::disk`) gives it a label, partitions
//! and bounds; transfers go to the backing file's vnode (`VOP_READ`,
//! `VOP_WRITE`), and `DIOCCACHESYNC` is its `VOP_FSYNC`. Compressed
//! images (`vnconfig -z`) are refused with EOPNOTSUPP, as by a NetBSD
//! kernel built without `VND_COMPRESSION` (the rump kernel's vnd is).

#![forbid(unsafe_code)]

mod unit;
pub mod vndio;

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpdev::disk::driver;
use unit::Vnd;

/// vnd's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const VND_BMAJOR: u32 = 14;
/// vnd's character major on amd64.
pub const VND_CMAJOR: u32 = 41;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The vnd driver component (`librumpdev_vnd`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_vnd",
    module: "vnd",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev", "rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let vnd = Vnd::new(rumpdev::autoconf::DeviceTree::of(k));
    driver::attach(k, "vnd", VND_BMAJOR, VND_CMAJOR, NODES_PER_UNIT, vnd)
}
