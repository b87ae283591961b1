//! The registry of file system types, how to mount each, and the VFS
//! faction's sysctl nodes.

use crate::node::FileSystem;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Mutex};

/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;
/// `KERN_MAXVNODES`.
const KERN_MAXVNODES: i32 = netbsd_abi::KERN_MAXVNODES;
/// `VFS_GENERIC`.
const VFS_GENERIC: i32 = netbsd_abi::VFS_GENERIC;

/// What a mount asks of a file system type.
#[derive(Clone, Default)]
pub struct MountArgs {
    /// Most bytes of data (0: no limit).
    pub size_max: u64,
    /// Most nodes (0: no limit).
    pub nodes_max: u64,
    /// Owner of the root directory.
    pub uid: u32,
    /// Group of the root directory.
    pub gid: u32,
    /// Permission bits of the root directory.
    pub mode: u32,
    /// The device path, for file systems on a block device.
    pub fspec: Option<Vec<u8>>,
    /// The device's node, found from `fspec` by the VFS.
    pub dev: Option<Arc<dyn crate::node::Node>>,
    /// `MNT_*` flags of the mount.
    pub flags: i32,
    /// The mount point as the mount names it (FFS keeps it in `fs_fsmnt`).
    pub on: Vec<u8>,
}

/// Makes a new instance of a file system type for a mount.
pub type Mounter = fn(&Kernel, &MountArgs) -> KResult<Arc<dyn FileSystem>>;

/// The file system types registered in one kernel, in registration order.
#[derive(Default)]
pub struct FsTypes {
    types: Mutex<Vec<(String, Option<Mounter>)>>,
}

impl FsTypes {
    /// The names, as `vfs.generic.fstypes` lists them.
    pub fn names(&self) -> Vec<String> {
        self.types
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(n, _)| n.clone())
            .collect()
    }
}

/// Register file system type `name`, mountable with `mount` if given.
/// EEXIST if a type of that name is registered already.
pub fn register_fstype(k: &Kernel, name: &str, mount: Option<Mounter>) -> KResult<()> {
    let t = k.extension(FsTypes::default);
    let mut types = t.types.lock().unwrap_or_else(|e| e.into_inner());
    if types.iter().any(|(n, _)| n == name) {
        return Err(Errno::EEXIST);
    }
    types.push((name.to_owned(), mount));
    Ok(())
}

/// How to mount type `name`, if it is registered and mountable.
pub fn mounter(k: &Kernel, name: &str) -> Option<Mounter> {
    let t = k.extension(FsTypes::default);
    let types = t.types.lock().unwrap_or_else(|e| e.into_inner());
    types.iter().find(|(n, _)| n == name).and_then(|(_, m)| *m)
}

pub(crate) fn attach(k: &Kernel) -> KResult<()> {
    let types = k.extension(FsTypes::default);
    let t = k.sysctl();
    // kern.maxvnodes is the vnode cache's bound: writing it resizes the cache.
    let vfs = crate::vfs::Vfs::of(k);
    let (r, w) = (Arc::clone(&vfs), Arc::clone(&vfs));
    t.create(
        "kern",
        NodeSpec {
            num: Some(KERN_MAXVNODES),
            flags: CTLFLAG_READWRITE,
            data: NodeData::Dynamic {
                read: Arc::new(move || {
                    SysctlValue::Int(i32::try_from(r.maxvnodes()).unwrap_or(i32::MAX))
                }),
                write: Some(Arc::new(move |v| match v {
                    SysctlValue::Int(n) if n > 0 => {
                        w.set_maxvnodes(n as usize);
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                })),
            },
            ..NodeSpec::value("maxvnodes", SysctlValue::Int(0), "Maximum number of vnodes")
        },
    )?;
    t.create(
        "vfs",
        NodeSpec {
            num: Some(VFS_GENERIC),
            ..NodeSpec::node("generic", "Non-specific vfs related information")
        },
    )?;
    let reader = Arc::clone(&types);
    t.create(
        "vfs.generic",
        NodeSpec {
            data: NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::String(reader.names().join(" "))),
                write: None,
            },
            ..NodeSpec::value(
                "fstypes",
                SysctlValue::String(String::new()),
                "List of file systems present",
            )
        },
    )?;
    Ok(())
}
