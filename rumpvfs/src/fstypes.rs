//! The registry of file system types and the VFS faction's sysctl nodes.

use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Mutex};

/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = 0x70;
/// `KERN_MAXVNODES`.
const KERN_MAXVNODES: i32 = 5;
/// `VFS_GENERIC`.
const VFS_GENERIC: i32 = 0;

/// The file system types registered in one kernel, in registration order.
#[derive(Default)]
pub struct FsTypes {
    names: Mutex<Vec<String>>,
}

impl FsTypes {
    /// The names, as `vfs.generic.fstypes` lists them.
    pub fn names(&self) -> Vec<String> {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// Register file system type `name` (what a file system component does when
/// it attaches). EEXIST if a type of that name is registered already.
pub fn register_fstype(k: &Kernel, name: &str) -> KResult<()> {
    let t = k.extension(FsTypes::default);
    let mut names = t.names.lock().unwrap_or_else(|e| e.into_inner());
    if names.iter().any(|n| n == name) {
        return Err(Errno::EEXIST);
    }
    names.push(name.to_owned());
    Ok(())
}

pub(crate) fn attach(k: &Kernel) -> KResult<()> {
    let types = k.extension(FsTypes::default);
    let t = k.sysctl();
    t.create(
        "kern",
        NodeSpec {
            num: Some(KERN_MAXVNODES),
            flags: CTLFLAG_READWRITE,
            ..NodeSpec::value(
                "maxvnodes",
                SysctlValue::Int(i32::try_from(k.config().nvnodes).unwrap_or(i32::MAX)),
                "Maximum number of vnodes",
            )
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
