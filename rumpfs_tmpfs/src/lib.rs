//! tmpfs, the memory file system, as a rump component: mountable anywhere,
//! with a size limit and a node limit (ENOSPC when full), its memory
//! charged to the kernel (ENOSPC too at `RUMP_MEMLIMIT`).
//!
//! The storage engine is the VFS faction's memory file system, which rumpfs
//! uses too; this component adds the tmpfs type, its mount arguments and
//! its limits.

#![forbid(unsafe_code)]

use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rump::{KResult, Kernel};
use rumpvfs::memfs::{Limits, MemFs};
use rumpvfs::node::FileSystem;
use rumpvfs::{MountArgs, register_fstype};
use std::sync::Arc;

/// The tmpfs component (`librumpfs_tmpfs`).
pub static COMPONENT: Component = Component {
    name: "rumpfs_tmpfs",
    module: "tmpfs",
    class: ModuleClass::Vfs,
    phase: Phase::Vfs,
    faction: None,
    requires: &["rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    register_fstype(k, "tmpfs", Some(mount)).map_err(|e| format!("registering tmpfs: {e}"))
}

/// A new tmpfs instance for a mount.
fn mount(k: &Kernel, a: &MountArgs) -> KResult<Arc<dyn FileSystem>> {
    let limits = Limits {
        size_max: a.size_max,
        nodes_max: a.nodes_max,
    };
    Ok(MemFs::new(
        "tmpfs",
        Arc::clone(k.kmem()),
        Arc::clone(k.clock()),
        limits,
        a.uid,
        a.gid,
        a.mode,
    ))
}
