//! The VFS faction: the file system half of a rump kernel.
//!
//! Vnodes, path lookup, the mount table, per-process current and root
//! directories, the file system calls ([`VfsCalls`]), and rumpfs, the
//! in-memory root file system that is always there. File system components
//! register their type with [`register_fstype`]: how to read their own
//! mount arguments and how to mount them.
//!
//! etfs ([`etfs`]) exposes host files; BLK and CHR keys go through a block
//! cache flushed by `sync`.
//!
//! Device nodes open through the base kernel's device switch
//! (`rump::devsw`); [`devnull`] is the `null` driver NetBSD attaches with
//! this faction.
//!
//! Not yet here (see the issue): new names inside etfs directories.

#![forbid(unsafe_code)]

mod calls;
pub mod devnull;
pub mod etfs;
mod fhandle;
mod fifo;
mod fileflags;
pub mod flags;
mod fstypes;
mod ktrace;
pub mod lockf;
pub mod memfs;
pub mod node;
pub mod pathconf;
pub mod rumpblk;
pub mod rumpfs;
pub mod specdev;
pub mod syncer;
mod syscall;
mod vfile;
pub mod vfs;
mod vnknote;

pub use calls::{Dirent, StatVfs, TimeArg, VfsCalls, vn_open};
pub use fstypes::{ArgsReader, FsOps, FsTypes, MountArgs, Mounter, fs_ops, register_fstype};
pub use vfile::{VnodeFile, stat_of};

use rump::Kernel;
use rump::component::{AttachResult, Component, Faction, Phase};
use rump::module::ModuleClass;

/// The default bound of the vnode cache (`RUMP_NVNODES`, `kern.maxvnodes`).
pub const DEFAULT_NVNODES: usize = 1024;

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
    let v = vfs::Vfs::of(k);
    v.set_maxvnodes(usize::try_from(k.config().nvnodes).unwrap_or(DEFAULT_NVNODES));
    fstypes::attach(k).map_err(|e| format!("sysctl nodes: {e}"))?;
    etfs::attach_sysctl(k).map_err(|e| format!("vm.bufmem: {e}"))?;
    register_fstype(k, rumpfs::FSTYPE, None).map_err(|e| format!("rumpfs: {e}"))?;
    // rumpfs: the root file system, in memory, always there.
    let root = rumpfs::RumpFs::new(k, 0o755);
    let root = v.mount_root(root);
    // As NetBSD's rump_vfs_init ("mtree"): /dev, and /tmp for everyone, sticky.
    for (name, mode) in [(&b"dev"[..], 0o755), (&b"tmp"[..], 0o1777)] {
        root.node
            .create(
                name,
                node::NewNode {
                    typ: node::VType::Dir,
                    mode,
                    uid: 0,
                    gid: 0,
                    rdev: 0,
                },
            )
            .map_err(|e| format!("/{}: {e}", String::from_utf8_lossy(name)))?;
    }
    devnull::attach(k).map_err(|e| format!("/dev/null: {e}"))?;
    // A halt unless RB_NOSYNC: as NetBSD's vfs_shutdown, the syncer stops,
    // every file system is unmounted (a disk is left clean), and what is
    // left (the root, etfs) is flushed.
    k.register_sync_hook(
        "vfs",
        Box::new(|k, _| {
            syncer::Syncer::of(k).stop();
            let v = vfs::Vfs::of(k);
            for (path, e) in v.unmount_all() {
                k.printf(&format!("unmount of {path} failed: {e}"));
            }
            vfs::Vfs::sync_mounts(k, "halt", v.mounts());
        }),
    );
    syncer::attach(k).map_err(|e| format!("syncer: {e}"))?;
    k.modules()
        .set_file_reader(std::sync::Arc::new(calls::module_image));
    k.set_socknames(std::sync::Arc::new(calls::SockNodes));
    syscall::register(k).map_err(|e| format!("system calls: {e}"))
}
