//! The registry of file system types, how to mount each, and the VFS
//! faction's sysctl nodes.

use crate::node::FileSystem;
use rump::sync::lock;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::any::Any;
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
    /// The device path, for file systems on a block device.
    pub fspec: Option<Vec<u8>>,
    /// The device's node, found from `fspec` by the VFS.
    pub dev: Option<Arc<dyn crate::node::Node>>,
    /// `MNT_*` flags of the mount.
    pub flags: i32,
    /// The mount point as the mount names it (FFS keeps it in `fs_fsmnt`).
    pub on: Vec<u8>,
    /// The file system's own arguments, as its [`ArgsReader`] made them
    /// from the caller's mount data; only that file system reads them.
    pub fs_args: Option<Arc<dyn Any + Send + Sync>>,
}

impl MountArgs {
    /// The file system's own arguments, if its reader left some of type `T`.
    pub fn fs_args<T: Any>(&self) -> Option<&T> {
        self.fs_args.as_deref().and_then(|a| a.downcast_ref::<T>())
    }
}

/// Reads a file system's own mount data (the `data`, `data_len` of
/// `mount(2)`, copied in), as its `VFS_MOUNT` checks and takes apart its
/// argument structure; pointers inside the data are addresses in `us`.
pub type ArgsReader = fn(data: &[u8], us: &dyn UserSpace) -> KResult<MountArgs>;

/// Makes a new instance of a file system type for a mount.
pub type Mounter = fn(&Kernel, &MountArgs) -> KResult<Arc<dyn FileSystem>>;

/// How a file system type is mounted.
#[derive(Clone, Copy)]
pub struct FsOps {
    /// The size of its argument structure, the data a caller who gives
    /// no length means (`vfs_min_mount_data`).
    pub args_size: usize,
    /// Reads its mount data.
    pub read_args: ArgsReader,
    /// Makes an instance.
    pub mount: Mounter,
}

/// The file system types registered in one kernel, in registration order.
#[derive(Default)]
pub struct FsTypes {
    types: Mutex<Vec<(String, Option<FsOps>)>>,
}

impl FsTypes {
    /// The names, as `vfs.generic.fstypes` lists them.
    pub fn names(&self) -> Vec<String> {
        lock(&self.types).iter().map(|(n, _)| n.clone()).collect()
    }
}

/// Register file system type `name`, mountable through `ops` if given.
/// EEXIST if a type of that name is registered already.
pub fn register_fstype(k: &Kernel, name: &str, ops: Option<FsOps>) -> KResult<()> {
    let t = k.extension(FsTypes::default);
    let mut types = lock(&t.types);
    if types.iter().any(|(n, _)| n == name) {
        return Err(Errno::EEXIST);
    }
    types.push((name.to_owned(), ops));
    Ok(())
}

/// How to mount type `name`, if it is registered and mountable.
pub fn fs_ops(k: &Kernel, name: &str) -> Option<FsOps> {
    let t = k.extension(FsTypes::default);
    let types = lock(&t.types);
    types.iter().find(|(n, _)| n == name).and_then(|(_, m)| *m)
}

/// The arguments of a mount of `fstype` with `flags`: what the type's
/// reader makes of the mount data `data(args_size)` gives (the type's
/// argument size for a caller who gave no length), or none for an update
/// or a type that cannot be mounted (the mount then fails as it should).
pub(crate) fn read_mount_args(
    k: &Kernel,
    fstype: &str,
    flags: i32,
    data: impl FnOnce(usize) -> KResult<Vec<u8>>,
    us: &dyn UserSpace,
) -> KResult<MountArgs> {
    match fs_ops(k, fstype) {
        Some(ops) if flags & netbsd_abi::MNT_UPDATE == 0 => {
            (ops.read_args)(&data(ops.args_size)?, us)
        }
        _ => Ok(MountArgs::default()),
    }
}

/// The user memory of an in-process caller, which gives mount data as
/// bytes: there is none, so a pointer inside the data faults.
pub(crate) struct NoUserMemory;

impl UserSpace for NoUserMemory {
    fn copyin(&self, _addr: u64, _buf: &mut [u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }

    fn copyout(&self, _addr: u64, _data: &[u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }
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
