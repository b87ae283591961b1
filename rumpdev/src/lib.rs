//! The DEV faction: device drivers behind the base kernel's device switch
//! (`rump::devsw`), attached in NetBSD's order (after the NET faction),
//! each making its own `/dev` nodes as it attaches.
//!
//! - [`autoconf`]: the tree of attached devices (`mainbus0` at the
//!   root, pseudo-device units beside it while they are in use);
//! - [`drvctl`]: `/dev/drvctl`, which lists that tree;
//! - [`rnd`]: `/dev/random` and `/dev/urandom` and the `rndctl` ioctls;
//! - [`disk`]: the disk layer disk drivers share (labels, partitions,
//!   bounds, the generic disk ioctls, wedges and the `dk` driver); the
//!   vnd driver (`rumpdev_vnd`) is built on it;
//! - [`md`]: memory disks (its own component, `librumpdev_md`).
//!
//! `/dev/null` and `/dev/zero` come with the VFS faction, as in NetBSD's
//! rump kernel (`rumpvfs::devnull`).

#![forbid(unsafe_code)]

pub mod autoconf;
pub mod disk;
pub mod drvctl;
pub mod md;
pub mod rnd;
pub mod rndio;

use rump::Kernel;
use rump::component::{AttachResult, Component, Faction, Phase};
use rump::devsw::DevSw;
use rump::module::ModuleClass;

/// The DEV faction component (`librumpdev`).
pub static COMPONENT: Component = Component {
    name: "rumpdev",
    module: "dev",
    class: ModuleClass::Misc,
    phase: Phase::Dev,
    faction: Some(Faction::Dev),
    requires: &[],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    // The switch drivers attach to; the base kernel holds it, so that the
    // VFS opens device nodes without knowing this faction.
    DevSw::of(k);
    // librumpdev_disk's dkwedge_init: wedges come with the disk layer.
    disk::wedge::attach(k)?;
    // The root bus, as NetBSD's `config_rootfound("mainbus")`.
    autoconf::DeviceTree::of(k)
        .attach(None, "mainbus", 0, None)
        .map_err(|e| format!("cannot attach mainbus0: {e}"))?;
    Ok(())
}
