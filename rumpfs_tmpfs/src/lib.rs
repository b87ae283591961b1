//! tmpfs, the memory file system, as a rump component: mountable anywhere,
//! with a size limit and a node limit (ENOSPC when full), its memory
//! charged to the kernel (ENOSPC too at `RUMP_MEMLIMIT`).
//!
//! The storage engine is the VFS faction's memory engine, which the root
//! file system (rumpfs) uses too; this component gives it tmpfs's rules
//! ([`fs`]), reads its mount arguments ([`args`]) and counts its space as
//! NetBSD's tmpfs does ([`statvfs`]).

#![forbid(unsafe_code)]

pub mod args;
pub mod fs;
pub mod statvfs;

pub use args::{TmpfsArgs, args};

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpvfs::{FsOps, register_fstype};

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
    let ops = FsOps {
        args_size: netbsd_abi::layout::tmpfs_args::SIZE,
        read_args: args::read,
        mount: fs::mount,
    };
    register_fstype(k, fs::FSTYPE, Some(ops)).map_err(|e| format!("registering tmpfs: {e}"))
}
