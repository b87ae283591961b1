//! The sysctl tree: NetBSD's MIB of named, numbered nodes, and the
//! `__sysctl(2)` system call that walks it.
//!
//! Kernel code adds nodes with [`SysctlTree::create`]; clients read, write,
//! enumerate (CTL_QUERY), describe (CTL_DESCRIBE), create (CTL_CREATE) and
//! destroy (CTL_DESTROY) them through [`SysctlTree::sysctl`], getting the
//! errors and bytes NetBSD 7's `kern_sysctl.c` gives, so that NetBSD's own
//! sysctl(8) works unchanged as a rump client.
//!
//! Not implemented: aliases, CTLFLAG_ANYNUMBER, CTL_MMAP handlers,
//! CTL_CREATESYM (NetBSD's rump kernels have no ksyms either), nodes that
//! point at raw kernel addresses, securelevel and emulation overlay trees.
//! Pointer fields in nodes handed out are always 0.

pub(crate) mod base;
mod call;
pub(crate) mod curproc;
mod node;
pub(crate) mod proc;
mod state;
mod tree;
pub(crate) mod uidinfo;
mod wire;

#[cfg(test)]
mod tests;

pub use base::{OSRELEASE, OSREV, OSTYPE};
use node::{Kind, LeafShape, Node, check_name, encode, from_raw, prepare, stored, to_raw};
use state::{Deferred, Located, Path, TreeState};
pub(crate) use state::{DeferredBuild, SubtreeBuilder};
pub use tree::SysctlTree;

use std::sync::{Arc, Mutex, MutexGuard};

use crate::cred::Cred;
use crate::errno::{Errno, KResult};
use crate::usermem::UserSpace;
use wire::{NODE_LEN, NodeRepr, SYSCTL_VERSION};

/// Writable (by root unless also ANYWRITE).
pub const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;
/// Writable by anyone.
pub const CTLFLAG_ANYWRITE: u32 = netbsd_abi::CTLFLAG_ANYWRITE as u32;
/// Readable, and walkable below, by root only.
pub const CTLFLAG_PRIVATE: u32 = netbsd_abi::CTLFLAG_PRIVATE as u32;
/// Not destroyable by clients; added to every kernel-created node.
pub const CTLFLAG_PERMANENT: u32 = netbsd_abi::CTLFLAG_PERMANENT as u32;
/// The node owns its data (client-created valued nodes).
pub const CTLFLAG_OWNDATA: u32 = netbsd_abi::CTLFLAG_OWNDATA as u32;
/// The value lives in the node and shows in CTL_QUERY answers.
pub const CTLFLAG_IMMEDIATE: u32 = netbsd_abi::CTLFLAG_IMMEDIATE as u32;
/// sysctl(8) prints the value in hex.
pub const CTLFLAG_HEX: u32 = netbsd_abi::CTLFLAG_HEX as u32;
/// sysctl(8) lists the node only when asked by name or with -A.
pub const CTLFLAG_HIDDEN: u32 = netbsd_abi::CTLFLAG_HIDDEN as u32;
/// The node owns its description (set by a client's CTL_DESCRIBE).
pub const CTLFLAG_OWNDESC: u32 = netbsd_abi::CTLFLAG_OWNDESC as u32;
/// sysctl(8) prints the value unsigned.
pub const CTLFLAG_UNSIGNED: u32 = netbsd_abi::CTLFLAG_UNSIGNED as u32;

const CTL_MAXNAME: usize = netbsd_abi::CTL_MAXNAME as usize;
const CTL_QUERY: i32 = netbsd_abi::CTL_QUERY;
const CTL_CREATE: i32 = netbsd_abi::CTL_CREATE;
const CTL_DESTROY: i32 = netbsd_abi::CTL_DESTROY;
const CTL_MMAP: i32 = netbsd_abi::CTL_MMAP;
const CTL_DESCRIBE: i32 = netbsd_abi::CTL_DESCRIBE;
const CTLTYPE_NODE: u32 = netbsd_abi::CTLTYPE_NODE as u32;
/// `CTLTYPE_INT`.
pub const CTLTYPE_INT: u32 = netbsd_abi::CTLTYPE_INT as u32;
const CTLTYPE_STRING: u32 = netbsd_abi::CTLTYPE_STRING as u32;
const CTLTYPE_QUAD: u32 = netbsd_abi::CTLTYPE_QUAD as u32;
const CTLTYPE_STRUCT: u32 = netbsd_abi::CTLTYPE_STRUCT as u32;
const CTLTYPE_BOOL: u32 = netbsd_abi::CTLTYPE_BOOL as u32;
const CTLFLAG_ROOT: u32 = netbsd_abi::CTLFLAG_ROOT as u32;
/// ROOT, ANYNUMBER, ALIAS, MMAP: not for kernel code here either.
const CTLFLAG_UNSUPPORTED: u32 = 0x3_6000;
const SYSCTL_USERFLAGS: u32 = netbsd_abi::SYSCTL_USERFLAGS as u32;
const SYSCTL_TYPEMASK: u32 = netbsd_abi::SYSCTL_TYPEMASK as u32;
const SYSCTL_FLAGMASK: u32 = netbsd_abi::SYSCTL_FLAGMASK as u32;
/// CTL_CREATE numbers start above this (NetBSD's CREATE_BASE).
const CREATE_BASE: i32 = 1024;
/// Child slots a node gets first; NetBSD doubles them when full and shows
/// the capacity as `sysctl_csize`.
const SYSCTL_DEFSIZE: u32 = netbsd_abi::SYSCTL_DEFSIZE as u32;
/// Largest CTLFLAG_OWNDATA buffer a client may ask for (where NetBSD's
/// malloc would fail with ENOMEM is unspecified; this is ours).
const MAX_OWNDATA: u64 = 1 << 20;

/// NetBSD's top-level nodes (`sysctl_basenode_init`): only `vendor` is
/// open to clients' CTL_CREATE.
const TOP: [(i32, &str, &str, u32); 13] = [
    (1, "kern", "High kernel", 0),
    (2, "vm", "Virtual memory", 0),
    (3, "vfs", "Filesystem", 0),
    (4, "net", "Networking", 0),
    (5, "debug", "Debugging", 0),
    (6, "hw", "Generic CPU, I/O", 0),
    (7, "machdep", "Machine dependent", 0),
    (8, "user", "User-level", 0),
    (9, "ddb", "In-kernel debugger", 0),
    (10, "proc", "Per-process", 0),
    (11, "vendor", "Vendor specific", CTLFLAG_READWRITE),
    (12, "emul", "Emulation settings", 0),
    (13, "security", "Security", 0),
];

/// A value as kernel code sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SysctlValue {
    /// CTLTYPE_INT.
    Int(i32),
    /// CTLTYPE_QUAD.
    Quad(u64),
    /// CTLTYPE_BOOL.
    Bool(bool),
    /// CTLTYPE_STRING (without the NUL).
    String(String),
    /// CTLTYPE_STRUCT.
    Struct(Vec<u8>),
}

/// Computes a dynamic node's current value.
pub type SysctlReader = Arc<dyn Fn() -> SysctlValue + Send + Sync>;
/// Accepts a new value for a dynamic node (already size-checked).
pub type SysctlWriter = Arc<dyn Fn(SysctlValue) -> KResult<()> + Send + Sync>;
/// Answers every call on a node itself, as a NetBSD helper function on a
/// node does (`sysctl_rtable`): given the name below the node, the caller,
/// the size of the caller's buffer (None: oldp is NULL, a size is asked)
/// and the new value, the whole answer. The tree copies what fits in the
/// caller's buffer and reports the whole length (ENOMEM if it did not fit).
pub type SysctlHandler =
    Arc<dyn Fn(&[i32], &Cred, Option<usize>, Option<&[u8]>) -> KResult<SysctlAnswer> + Send + Sync>;

/// The most bytes a [`SysctlHandler`] is asked to make for one call.
pub const MAX_HANDLER_ANSWER: usize = 16 << 20;

/// What a [`SysctlHandler`] answers: the bytes it made, and the length to
/// report, which is more when the caller's buffer could not hold it all
/// (a handler makes only what fits, never more than the caller asked).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SysctlAnswer {
    /// The bytes for the caller's buffer.
    pub data: Vec<u8>,
    /// The whole answer's length.
    pub len: usize,
}

impl From<Vec<u8>> for SysctlAnswer {
    fn from(data: Vec<u8>) -> SysctlAnswer {
        let len = data.len();
        SysctlAnswer { data, len }
    }
}

/// What a node holds.
pub enum NodeData {
    /// An interior node.
    Node,
    /// A value stored in the tree, writable if the flags allow.
    Value(SysctlValue),
    /// A value computed on each read; its type is that of the value `read`
    /// returns when `create` calls it once. Without a writer, writes fail
    /// with EPERM. Both are called without the tree lock held.
    Dynamic {
        /// Called on every read.
        read: SysctlReader,
        /// Called on every write.
        write: Option<SysctlWriter>,
    },
    /// A node whose calls a function answers, names below it included.
    Handler(SysctlHandler),
    /// A leaf of type `ty` (`CTLTYPE_*`) and nominal size `size` whose
    /// reads and writes a function answers, as a NetBSD helper on a leaf
    /// does (`kern.arandom` answers as many bytes as the caller asks).
    LeafHandler {
        /// The type queries report.
        ty: u32,
        /// The size queries report.
        size: usize,
        /// Answers every read and write.
        handler: SysctlHandler,
    },
}

/// A node's name, kept inline (a valid one is shorter than
/// `SYSCTL_NAMELEN`), so that making a node allocates nothing for it.
#[derive(Clone, Copy)]
pub struct SysctlName {
    bytes: [u8; wire::NAMELEN],
    /// The name's length; above `NAMELEN` for one too long to keep.
    len: u8,
}

impl SysctlName {
    /// `name`, or a marker that it is too long (which
    /// [`SysctlTree::create`] refuses with ENAMETOOLONG).
    pub fn new(name: &[u8]) -> SysctlName {
        let mut bytes = [0; wire::NAMELEN];
        let kept = name.len().min(wire::NAMELEN);
        bytes[..kept].copy_from_slice(&name[..kept]);
        let len = u8::try_from(name.len()).map_or(u8::MAX, |n| n.min(wire::NAMELEN as u8 + 1));
        SysctlName { bytes, len }
    }

    /// The name's bytes (its first `NAMELEN` if it is too long).
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len).min(wire::NAMELEN)]
    }

    /// Whether the name is too long for a node.
    fn too_long(&self) -> bool {
        usize::from(self.len) >= wire::NAMELEN
    }
}

impl std::fmt::Debug for SysctlName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// A node to add with [`SysctlTree::create`].
pub struct NodeSpec {
    /// Name: letters, digits, `-`, `_`, not starting with a digit, < 32 bytes.
    pub name: SysctlName,
    /// MIB number, or None to allocate one as CTL_CREATE does (> 1024).
    pub num: Option<i32>,
    /// CTLFLAG_* bits; type bits are ignored, CTLFLAG_PERMANENT is added.
    pub flags: u32,
    /// NetBSD's description of the node (its `SYSCTL_DESCR` text), for
    /// the reader: CTL_DESCRIBE does not give it, as NetBSD's rump kernels
    /// are built without `SYSCTL_INCLUDE_DESCR` and describe no node of
    /// their own (a client may describe the nodes it creates).
    pub description: String,
    /// The contents.
    pub data: NodeData,
    /// Strings: size including the NUL, bounding writes. Structs: size.
    /// Default: the first value's size; none (size 0) for dynamic nodes.
    pub max_len: Option<usize>,
}

impl NodeSpec {
    /// A spec with an allocated number and no size bound.
    pub fn new(name: &str, flags: u32, description: &str, data: NodeData) -> NodeSpec {
        let (name, description) = (SysctlName::new(name.as_bytes()), description.to_string());
        NodeSpec {
            name,
            num: None,
            flags,
            description,
            data,
            max_len: None,
        }
    }
}

/// The result of one `__sysctl(2)` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysctlOutcome {
    /// The error to return, if any.
    pub result: KResult<()>,
    /// Bytes to copy to oldp, also on error (NetBSD copies the old value
    /// out before some failures); never longer than the capacity given.
    pub old: Vec<u8>,
    /// What to store in `*oldlenp`, also on error.
    pub oldlen: usize,
}

/// A node's MIB, the numbers naming it from the top, as
/// [`SysctlTree::create`] returns it. A path is never longer than
/// `CTL_MAXNAME`, so it is kept inline and making a node allocates none.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mib {
    len: usize,
    /// The numbers, then zeros.
    nums: [i32; CTL_MAXNAME],
}

impl std::ops::Deref for Mib {
    type Target = [i32];
    fn deref(&self) -> &[i32] {
        &self.nums[..self.len]
    }
}

impl std::fmt::Debug for Mib {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
