//! The VFS faction: the file system half of a rump kernel.
//!
//! What exists so far is the faction's registration: it attaches once per
//! kernel, publishes `kern.maxvnodes` (from `RUMP_NVNODES`) and
//! `vfs.generic.fstypes`, and keeps the registry of file system types that
//! file system components add themselves to. Vnodes, lookup, the mount table
//! and the file system calls arrive with the VFS issue.

#![forbid(unsafe_code)]

mod fstypes;

pub use fstypes::{FsTypes, register_fstype};

use rump::Kernel;
use rump::component::{AttachResult, Component, Faction, Phase};
use rump::module::ModuleClass;

/// The VFS faction component (`librumpvfs`).
pub static COMPONENT: Component = Component {
    name: "rumpvfs",
    module: "vfs",
    class: ModuleClass::Misc,
    phase: Phase::Vfs,
    faction: Some(Faction::Vfs),
    requires: &[],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    fstypes::attach(k).map_err(|e| format!("sysctl nodes: {e}"))
}
