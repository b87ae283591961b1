//! The Berkeley Fast File System (FFSv1 and FFSv2, NetBSD's on-disk
//! format) as a rump component, with the pieces the host tools share.
//!
//! - [`format`]: the on-disk structures as checked views over bytes;
//! - [`dev`]: the block device a file system lives on;
//! - [`Ffs`] and [`FfsMount`]: a mounted file system and its vnodes;
//! - [`mkfs`]: making a new file system (`newfs_ffs`).
//!
//! A mount names a block device (`mount -t ffs /dev/key /mnt`): an etfs BLK
//! key or a `rump_server -d` drive. Images in the other byte order are read
//! and written. Soft dependencies and the WAPBL journal are not
//! implemented: such file systems mount read-only only.

#![forbid(unsafe_code)]

mod alloc;
pub mod check;
pub mod dev;
pub mod format;
mod fs;
mod inode;
pub mod mkfs;
mod node;
#[cfg(test)]
mod tests;

pub use format::Flaw;
pub use fs::{Complaints, Ffs, FfsMount, MountOptions, random_u32, read_superblock};
pub use node::FfsNode;

use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use rumpvfs::flags::{MNT_FORCE, MNT_RDONLY};
use rumpvfs::node::FileSystem;
use rumpvfs::{FsOps, MountArgs, register_fstype};
use std::sync::Arc;

/// The FFS component (`librumpfs_ffs`).
pub static COMPONENT: Component = Component {
    name: "rumpfs_ffs",
    module: "ffs",
    class: ModuleClass::Vfs,
    phase: Phase::Vfs,
    faction: None,
    requires: &["rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let ops = FsOps {
        args_size: netbsd_abi::layout::ufs_args::SIZE,
        read_args,
        mount,
    };
    register_fstype(k, "ffs", Some(ops)).map_err(|e| format!("registering ffs: {e}"))
}

/// `ffs_mount`'s reading of its data (`struct ufs_args`): the path of the
/// device, a pointer into the caller's memory; EINVAL when the data is
/// shorter than the structure or the pointer is null.
fn read_args(data: &[u8], us: &dyn UserSpace) -> KResult<MountArgs> {
    use netbsd_abi::layout::ufs_args;
    if data.len() < ufs_args::SIZE {
        return Err(Errno::EINVAL);
    }
    let fspec = ufs_args::fspec.get(data).unwrap_or_default();
    if fspec == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(MountArgs {
        fspec: Some(rump::syscall::args::arg_path(us, fspec)?),
        ..MountArgs::default()
    })
}

/// Mount the FFS on the device the VFS found from the mount's `fspec`.
fn mount(k: &Kernel, a: &MountArgs) -> KResult<Arc<dyn FileSystem>> {
    let node = a.dev.clone().ok_or(Errno::EINVAL)?;
    let opts = MountOptions {
        read_only: a.flags & MNT_RDONLY != 0,
        force: a.flags & MNT_FORCE != 0,
        mount_point: Some(a.on.clone()),
    };
    // The image may have changed on the host since the device was last
    // used here (fsck_ffs -y between two mounts): read it afresh.
    if let Some(disk) = node.as_any().downcast_ref::<rumpvfs::etfs::EtfsNode>() {
        disk.invalidate()?;
    }
    let from = a.fspec.as_deref().map(String::from_utf8_lossy);
    let from = from.as_deref().unwrap_or("ffs").to_string();
    // As NetBSD's kernel prints a refused or damaged file system's reason
    // on the console: the caller gets the errno alone.
    let m = FfsMount::open(Arc::new(dev::NodeDev::new(node)), opts).map_err(|flaw| {
        k.printf(&format!("{from}: cannot mount: {flaw}"));
        flaw.errno()
    })?;
    m.set_kernel_services(Arc::clone(k.clock()), Arc::clone(k.cprng()));
    let on = String::from_utf8_lossy(&a.on).into_owned();
    let kernel = k.weak();
    m.set_console(Box::new(move |why| {
        if let Some(k) = kernel.upgrade() {
            k.printf(&format!("{on}: {why}"));
        }
    }));
    Ok(m)
}
