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

mod wire;

#[cfg(test)]
mod tests;

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

fn until_nul(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// The bytes stored for a value written as `b`: a string ends at its NUL.
fn stored(ty: u32, b: &[u8]) -> &[u8] {
    if ty == CTLTYPE_STRING {
        until_nul(b)
    } else {
        b
    }
}

/// A value's type and stored bytes (strings without their NUL).
fn to_raw(v: SysctlValue) -> (u32, Vec<u8>) {
    match v {
        SysctlValue::Int(i) => (CTLTYPE_INT, i.to_le_bytes().to_vec()),
        SysctlValue::Quad(q) => (CTLTYPE_QUAD, q.to_le_bytes().to_vec()),
        SysctlValue::Bool(b) => (CTLTYPE_BOOL, vec![b as u8]),
        SysctlValue::String(s) => {
            let mut b = s.into_bytes();
            b.truncate(until_nul(&b).len());
            (CTLTYPE_STRING, b)
        }
        SysctlValue::Struct(s) => (CTLTYPE_STRUCT, s),
    }
}

fn from_raw(ty: u32, b: &[u8]) -> SysctlValue {
    let mut n = [0u8; 8];
    n[..b.len().min(8)].copy_from_slice(&b[..b.len().min(8)]);
    match ty {
        CTLTYPE_INT => SysctlValue::Int(i32::from_le_bytes([n[0], n[1], n[2], n[3]])),
        CTLTYPE_QUAD => SysctlValue::Quad(u64::from_le_bytes(n)),
        CTLTYPE_BOOL => SysctlValue::Bool(n[0] != 0),
        CTLTYPE_STRING => SysctlValue::String(String::from_utf8_lossy(until_nul(b)).into()),
        _ => SysctlValue::Struct(b.to_vec()),
    }
}

/// What a read returns: strings carry their NUL.
fn encode(ty: u32, b: &[u8]) -> Vec<u8> {
    let nul: &[u8] = if ty == CTLTYPE_STRING { &[0] } else { &[] };
    [b, nul].concat()
}

/// What a node holds, kept small (boxed where it is big and rare) so
/// that a node is at most 128 bytes and a parent's first eight children
/// fit in a small allocation.
enum Kind {
    Node,
    /// Stored bytes, as [`to_raw`] gives them.
    Value(Box<[u8]>),
    Dynamic(Box<(SysctlReader, Option<SysctlWriter>)>),
    Handler(SysctlHandler),
}

struct Node {
    num: i32,
    name: SysctlName,
    ty: u32,
    /// CTLFLAG_* without type and version bits.
    flags: u32,
    ver: u32,
    /// `sysctl_size`: bounds writes of strings and structs unless 0.
    size: usize,
    desc: Option<Box<[u8]>>,
    kind: Kind,
    /// Sorted by number, as NetBSD keeps them.
    children: Vec<Node>,
    csize: u32,
}

// Eight children in 1 KiB: the allocator's small, fast size classes.
const _: () = assert!(std::mem::size_of::<Node>() <= 128);

impl Node {
    fn new(name: SysctlName, ty: u32, flags: u32, size: usize, kind: Kind) -> Node {
        let children = Vec::new();
        Node {
            num: 0,
            name,
            ty,
            flags,
            ver: 0,
            size,
            desc: None,
            kind,
            children,
            csize: 0,
        }
    }

    /// The node as CTL_QUERY, CTL_CREATE and CTL_DESTROY hand it out.
    fn repr(&self) -> NodeRepr {
        let flags = SYSCTL_VERSION | self.ty | self.flags;
        let (num, ver, size) = (self.num, self.ver, self.size as u64);
        let mut r = NodeRepr {
            flags,
            num,
            ver,
            size,
            ..NodeRepr::default()
        };
        r.set_name(self.name.as_bytes());
        match &self.kind {
            Kind::Node => r.set_children(self.csize, self.children.len() as u32),
            Kind::Value(b) if self.flags & CTLFLAG_IMMEDIATE != 0 => r.set_immediate(b),
            _ => {}
        }
        r
    }
}

/// One `__sysctl(2)` call: who asks, what they sent, what they get back.
struct Call<'a> {
    cred: &'a Cred,
    new: Option<&'a [u8]>,
    us: &'a dyn UserSpace,
    cap: Option<usize>,
    old: Vec<u8>,
    oldlen: usize,
}

impl Call<'_> {
    fn room(&self) -> usize {
        self.cap.map_or(0, |c| c.saturating_sub(self.old.len()))
    }

    /// Node and description records are copied whole or not at all.
    fn record(&mut self, r: &[u8]) {
        if self.cap.is_some() && self.room() >= r.len() {
            self.old.extend_from_slice(r);
        }
    }

    /// The node passed in newp (`sysctl_cvt_in`).
    fn node_in(&self) -> KResult<NodeRepr> {
        NodeRepr::from_request(self.new)
    }
}

/// A caller with no memory to copy from: pointers inside nodes fault.
struct NoUserSpace;

impl UserSpace for NoUserSpace {
    fn copyin(&self, _addr: u64, _buf: &mut [u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }
    fn copyout(&self, _addr: u64, _data: &[u8]) -> KResult<()> {
        Err(Errno::EFAULT)
    }
}

fn check_name(name: &[u8]) -> KResult<()> {
    if name.len() >= wire::NAMELEN {
        return Err(Errno::ENAMETOOLONG);
    }
    let ok = |c: &u8| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_';
    match name.first() {
        Some(c) if !c.is_ascii_digit() && name.iter().all(ok) => Ok(()),
        _ => Err(Errno::EINVAL),
    }
}

/// A kernel's node as [`SysctlTree::create`] makes it from `spec`, and
/// the number asked for; the checks that need no tree.
// Inlined: a node returned through a call is copied on the way.
#[inline(always)]
fn prepare(spec: NodeSpec) -> KResult<(Node, Option<i32>)> {
    if spec.name.too_long() {
        return Err(Errno::ENAMETOOLONG);
    }
    check_name(spec.name.as_bytes())?;
    let flags = (spec.flags & SYSCTL_FLAGMASK) | CTLFLAG_PERMANENT;
    let immediate = flags & CTLFLAG_IMMEDIATE != 0;
    let owndata = flags & CTLFLAG_OWNDATA != 0;
    if flags & CTLFLAG_UNSUPPORTED != 0 || spec.num.is_some_and(|n| n < 0) {
        return Err(Errno::EINVAL);
    }
    let (ty, size, kind) = match spec.data {
        NodeData::Node if owndata || immediate => return Err(Errno::EINVAL),
        NodeData::Node => (CTLTYPE_NODE, NODE_LEN, Kind::Node),
        NodeData::Value(v) => {
            let (ty, mut b) = to_raw(v);
            let size = match ty {
                CTLTYPE_STRING => spec.max_len.unwrap_or(b.len() + 1),
                CTLTYPE_STRUCT => spec.max_len.unwrap_or(b.len()),
                _ => b.len(),
            };
            // A string must fit with its NUL, a struct in a size above 0.
            let bad = match ty {
                CTLTYPE_STRING => b.len() >= size || immediate,
                CTLTYPE_STRUCT => b.len() > size || size == 0 || immediate,
                _ => immediate && owndata,
            };
            if bad {
                return Err(Errno::EINVAL);
            }
            if ty == CTLTYPE_STRUCT {
                b.resize(size, 0);
            }
            (ty, size, Kind::Value(b.into_boxed_slice()))
        }
        NodeData::Dynamic { .. } if immediate => return Err(Errno::EINVAL),
        NodeData::Dynamic { read, write } => {
            let (ty, b) = to_raw(read());
            let size = if ty == CTLTYPE_STRING || ty == CTLTYPE_STRUCT {
                spec.max_len.unwrap_or(0)
            } else {
                b.len()
            };
            (ty, size, Kind::Dynamic(Box::new((read, write))))
        }
        NodeData::Handler(_) if owndata || immediate => return Err(Errno::EINVAL),
        NodeData::Handler(h) => (CTLTYPE_NODE, NODE_LEN, Kind::Handler(h)),
        NodeData::LeafHandler { .. } if owndata || immediate => return Err(Errno::EINVAL),
        NodeData::LeafHandler { ty, size, handler } if ty != CTLTYPE_NODE => {
            (ty, size, Kind::Handler(handler))
        }
        NodeData::LeafHandler { .. } => return Err(Errno::EINVAL),
    };
    // No description: see NodeSpec::description.
    let node = Node::new(spec.name, ty, flags, size, kind);
    Ok((node, spec.num))
}

/// `sysctl_lookup` on a leaf (`ty`, `flags`, `size`) reading as `cur`:
/// check permissions, copy out, and validate new bytes for the caller to
/// store.
fn lookup<'a>(
    c: &mut Call<'a>,
    (ty, flags, sz): (u32, u32, usize),
    cur: &[u8],
) -> KResult<Option<&'a [u8]>> {
    let new = c.new.filter(|b| !b.is_empty()); // newlen 0 is no write
    let root = c.cred.is_root();
    let may_write = (root || flags & CTLFLAG_ANYWRITE != 0) && flags & CTLFLAG_READWRITE != 0;
    if (flags & CTLFLAG_PRIVATE != 0 && !root) || (new.is_some() && !may_write) {
        return Err(Errno::EPERM);
    }
    // NetBSD copies MIN(size, *oldlenp): partial reads are allowed.
    let n = cur.len().min(c.room());
    c.old.extend_from_slice(&cur[..n]);
    c.oldlen = cur.len();
    let Some(b) = new else { return Ok(None) };
    let ok = match ty {
        CTLTYPE_BOOL => b.len() == sz && b[0] <= 1,
        CTLTYPE_INT | CTLTYPE_QUAD => b.len() == sz,
        CTLTYPE_STRUCT => sz == 0 || b.len() == sz,
        // Shorter strings are fine; one filling the node must carry its NUL.
        _ => sz == 0 || b.len() < sz || (b.len() == sz && b[sz - 1] == 0),
    };
    if ok {
        Ok(Some(stored(ty, b)))
    } else {
        Err(Errno::EINVAL)
    }
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

/// Where a node is: the index among its parent's children of each node
/// on the way down from the root. No MIB is longer than `CTL_MAXNAME`, so
/// no node is deeper, and a path needs no allocation.
#[derive(Clone, Copy)]
struct Path {
    len: usize,
    at: [usize; CTL_MAXNAME],
}

impl Path {
    /// The root's.
    const ROOT: Path = Path {
        len: 0,
        at: [0; CTL_MAXNAME],
    };

    /// One step up: the index of the node left, None at the root.
    fn pop(&mut self) -> Option<usize> {
        self.len = self.len.checked_sub(1)?;
        Some(self.at[self.len])
    }

    /// One step down, to child `i`; EINVAL below the deepest a MIB reaches.
    fn push(&mut self, i: usize) -> KResult<()> {
        *self.at.get_mut(self.len).ok_or(Errno::EINVAL)? = i;
        self.len += 1;
        Ok(())
    }
}

impl std::ops::Deref for Path {
    type Target = [usize];
    fn deref(&self) -> &[usize] {
        &self.at[..self.len]
    }
}

/// Makes the nodes of a deferred subtree (see
/// [`SysctlTree::create_deferred`]).
pub(crate) type DeferredBuild = Box<dyn FnOnce(&mut SubtreeBuilder<'_>) -> KResult<()> + Send>;

/// Nodes made when the tree is first used rather than at boot.
struct Deferred {
    /// The node they go below, empty until then.
    parent: Mib,
    /// The root's version before the first of them would have been made.
    ver_before: u32,
    /// How many nodes `build` makes.
    count: u32,
    build: DeferredBuild,
}

/// Adds the nodes of a deferred subtree, as [`SysctlTree::create_in`]
/// does, with the numbers fixed (an allocated number would depend on when
/// the nodes are made).
pub(crate) struct SubtreeBuilder<'a> {
    inner: &'a mut Inner,
    /// The deferred subtree's parent: nodes go below it only.
    top: Mib,
    made: u32,
}

impl SubtreeBuilder<'_> {
    /// Add `spec`, whose `num` must be set, below `parent`, which must be
    /// in the subtree (EINVAL).
    pub(crate) fn create_in(&mut self, parent: &[i32], spec: NodeSpec) -> KResult<Mib> {
        let (node, num) = prepare(spec)?;
        if num.is_none() || !parent.starts_with(&self.top) {
            return Err(Errno::EINVAL);
        }
        let mut path = self.inner.find(parent)?;
        path.push(self.inner.place(&path, node, num)?)?;
        self.made += 1;
        Ok(self.inner.mib(&path))
    }
}

struct Inner {
    root: Node,
    /// NetBSD keeps this counter in the root's `sysctl_num`.
    next_num: i32,
    /// Subtrees not made yet.
    deferred: Vec<Deferred>,
}

impl Inner {
    /// Whether the node at `path` waits for deferred children.
    fn is_deferred(&self, path: &[usize]) -> bool {
        !self.deferred.is_empty() && {
            let mib = self.mib(path);
            self.deferred.iter().any(|d| d.parent == mib)
        }
    }

    /// Make the deferred subtrees, giving every node the version it would
    /// have had if made when it was deferred.
    fn settle(&mut self) {
        for d in std::mem::take(&mut self.deferred) {
            let Ok(path) = self.find(&d.parent) else {
                continue;
            };
            // The nodes above the parent keep the versions they have now
            // (what later changes gave them); the parent and the new nodes
            // get those of the inserts as they would have been.
            let mut above = [0u32; CTL_MAXNAME];
            let mut n = &self.root;
            let root_ver = n.ver;
            for (v, &i) in above.iter_mut().zip(path.iter()) {
                *v = n.ver;
                n = &n.children[i];
            }
            self.root.ver = d.ver_before;
            let mut b = SubtreeBuilder {
                inner: self,
                top: d.parent,
                made: 0,
            };
            // A failure leaves the nodes made before it, as at boot.
            let built = (d.build)(&mut b);
            let made = b.made;
            debug_assert!(
                built.is_err() || made == d.count,
                "a deferred subtree made {made} nodes, not {}",
                d.count
            );
            let mut n = &mut self.root;
            n.ver = root_ver;
            for (k, &i) in path.iter().enumerate().take(path.len().saturating_sub(1)) {
                n = &mut n.children[i];
                n.ver = above[k + 1];
            }
        }
    }

    fn node(&self, path: &[usize]) -> &Node {
        path.iter().fold(&self.root, |n, &i| &n.children[i])
    }

    fn node_mut(&mut self, path: &[usize]) -> &mut Node {
        path.iter().fold(&mut self.root, |n, &i| &mut n.children[i])
    }

    fn mib(&self, path: &[usize]) -> Mib {
        let mut out = Mib {
            len: path.len(),
            nums: [0; CTL_MAXNAME],
        };
        let mut n = &self.root;
        for (num, &i) in out.nums.iter_mut().zip(path) {
            n = &n.children[i];
            *num = n.num;
        }
        out
    }

    /// Walk a dotted path of names (or numbers) for kernel callers.
    fn resolve(&self, path: &str) -> KResult<Path> {
        let mut out = Path::ROOT;
        let mut n = &self.root;
        for comp in path.split('.').filter(|c| !c.is_empty()) {
            if n.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            let by_name = n
                .children
                .iter()
                .position(|c| c.name.as_bytes() == comp.as_bytes());
            let i = by_name.or_else(|| {
                let num = comp.parse::<i32>().ok()?;
                n.children.iter().position(|c| c.num == num)
            });
            let i = i.ok_or(Errno::ENOENT)?;
            out.push(i)?;
            n = &n.children[i];
        }
        Ok(out)
    }

    /// Walk a MIB for kernel callers: ENOENT where a number is missing,
    /// ENOTDIR below a leaf.
    fn find(&self, mib: &[i32]) -> KResult<Path> {
        let mut out = Path::ROOT;
        let mut n = &self.root;
        for &num in mib {
            if n.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            // Children are kept sorted by number.
            let i = n.children.binary_search_by_key(&num, |c| c.num);
            let i = i.map_err(|_| Errno::ENOENT)?;
            out.push(i)?;
            n = &n.children[i];
        }
        Ok(out)
    }

    /// `sysctl_locate`: how far `name` leads, and why it stopped.
    fn locate(&self, cred: &Cred, name: &[i32]) -> (Path, usize, Option<Errno>) {
        let mut path = Path::ROOT;
        for (ni, &tn) in name.iter().enumerate() {
            let n = self.node(&path);
            if n.children.is_empty() {
                let leaf = n.ty != CTLTYPE_NODE;
                return (
                    path,
                    ni,
                    Some(if leaf { Errno::ENOTDIR } else { Errno::ENOENT }),
                );
            }
            if n.flags & CTLFLAG_PRIVATE != 0 && !cred.is_root() {
                return (Path::ROOT, 0, Some(Errno::EPERM));
            }
            match n.children.iter().position(|c| c.num == tn) {
                // A name is at most CTL_MAXNAME long, and so is the path.
                Some(i) if path.push(i).is_ok() => {}
                _ => return (path, ni, Some(Errno::ENOENT)),
            }
        }
        (path, name.len(), None)
    }

    /// A change below `path`: every node from the root down gets the next
    /// version, so clients can tell their cached copy is stale.
    fn bump(&mut self, path: &[usize]) {
        let v = self.root.ver.wrapping_add(1);
        let mut n = &mut self.root;
        n.ver = v;
        for &i in path {
            n = &mut n.children[i];
            n.ver = v;
        }
    }

    fn clash(&self, parent: &[usize], num: Option<i32>, name: &[u8]) -> Option<&Node> {
        let p = self.node(parent);
        p.children
            .iter()
            .find(|c| Some(c.num) == num || c.name.as_bytes() == name)
    }

    /// Add a kernel's node below `parent`, after the checks that need the
    /// tree; returns its index.
    // Inlined for the same reason as `prepare`.
    #[inline(always)]
    fn place(&mut self, parent: &[usize], node: Node, num: Option<i32>) -> KResult<usize> {
        if self.node(parent).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        if parent.len() == CTL_MAXNAME {
            // No MIB could name the node.
            return Err(Errno::EINVAL);
        }
        if self.clash(parent, num, node.name.as_bytes()).is_some() {
            return Err(Errno::EEXIST);
        }
        Ok(self.insert(parent, node, num))
    }

    /// Add a child (its number checked free, or allocated here).
    fn insert(&mut self, parent: &[usize], mut node: Node, num: Option<i32>) -> usize {
        let next = |n: i32| n.checked_add(1).unwrap_or(CREATE_BASE + 1);
        node.num = num.unwrap_or_else(|| {
            self.next_num = next(self.next_num);
            let mut nm = self.next_num;
            while self.node(parent).children.iter().any(|c| c.num == nm) {
                nm = next(nm);
            }
            nm
        });
        // The change bumps the version of every node from the root down,
        // the new one's included (`bump`), on one walk.
        let v = self.root.ver.wrapping_add(1);
        node.ver = v;
        let mut p = &mut self.root;
        p.ver = v;
        for &i in parent {
            p = &mut p.children[i];
            p.ver = v;
        }
        p.csize = match p.children.len() {
            0 => SYSCTL_DEFSIZE,
            n if n >= p.csize as usize => p.csize.saturating_mul(2),
            _ => p.csize,
        };
        let at = p.children.partition_point(|c| c.num < node.num);
        p.children.insert(at, node);
        at
    }

    fn remove(&mut self, parent: &[usize], i: usize) -> Node {
        let p = self.node_mut(parent);
        let gone = p.children.remove(i);
        if p.children.is_empty() {
            p.csize = 0;
        }
        self.bump(parent);
        gone
    }

    /// `sysctl_query`: every child of the node, as records.
    fn query(&self, c: &mut Call, path: &[usize]) -> KResult<()> {
        let p = self.node(path);
        let q = c.node_in()?;
        if q.ver != 0 && q.ver != p.ver && q.ver != self.root.ver {
            return Err(Errno::EINVAL);
        }
        for n in &p.children {
            c.record(&n.repr().emit());
        }
        c.oldlen = p.children.len() * NODE_LEN;
        Ok(())
    }

    /// `sysctl_create` for a client, in NetBSD's order of checks.
    fn create(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        let p = self.node(parent);
        if !c.cred.is_root() || p.flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        let n = c.node_in()?;
        let name = n.name_bytes();
        let bad_num = n.num < 0 && n.num != CTL_CREATE;
        if n.parent != 0 || bad_num || name.len() == wire::NAMELEN {
            return Err(Errno::EINVAL);
        }
        check_name(name)?;
        let num = (n.num != CTL_CREATE).then_some(n.num);
        if let Some(old) = self.clash(parent, num, name) {
            c.record(&old.repr().emit());
            c.oldlen = NODE_LEN;
            return Err(Errno::EEXIST);
        }
        if n.ver != 0 && n.ver != self.root.ver && n.ver != p.ver {
            return Err(Errno::EINVAL);
        }
        let (ty, flags) = (n.flags & SYSCTL_TYPEMASK, n.flags & SYSCTL_FLAGMASK);
        if n.func != 0 || flags & !SYSCTL_USERFLAGS != 0 {
            return Err(Errno::EPERM);
        }
        let immediate = flags & CTLFLAG_IMMEDIATE != 0;
        let owndata = flags & CTLFLAG_OWNDATA != 0;
        let fixed = match ty {
            CTLTYPE_INT => 4,
            CTLTYPE_QUAD => 8,
            CTLTYPE_BOOL => 1,
            _ => 0,
        };
        if immediate && (owndata || fixed == 0) {
            return Err(Errno::EINVAL);
        }
        let data = n.qdata();
        let size = match ty {
            CTLTYPE_NODE if n.size == 0 && n.un == [0; wire::UN_LEN] && !owndata => NODE_LEN as u64,
            _ if fixed != 0 && (n.size == 0 || n.size == fixed) => fixed,
            CTLTYPE_STRING if n.size == 0 && data == 0 && owndata => return Err(Errno::EINVAL),
            CTLTYPE_STRING if n.size == 0 => match c.us.copyinstr(data, 33 * 4096) {
                Ok(s) => s.len() as u64 + 1,
                Err(Errno::ENAMETOOLONG) => return Err(Errno::ERANGE),
                Err(e) => return Err(e),
            },
            CTLTYPE_STRING | CTLTYPE_STRUCT if n.size != 0 => n.size,
            _ => return Err(Errno::EINVAL),
        };
        let kind = if ty == CTLTYPE_NODE {
            Kind::Node
        } else if owndata {
            if size > MAX_OWNDATA {
                return Err(Errno::ENOMEM);
            }
            let mut buf = vec![0u8; size as usize];
            if data != 0 {
                c.us.copyin(data, &mut buf)?;
            }
            Kind::Value(stored(ty, &buf).into())
        } else if immediate {
            Kind::Value(n.un[..size as usize].into())
        } else if data != 0 {
            // NetBSD would trust this as a kernel address; there is no
            // kernel memory here to point at.
            return Err(Errno::EFAULT);
        } else {
            return Err(Errno::EINVAL);
        };
        let node = Node::new(SysctlName::new(name), ty, flags, size as usize, kind);
        let i = self.insert(parent, node, num);
        c.record(&self.node(parent).children[i].repr().emit());
        c.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_destroy` for a client: answers the removed node.
    fn destroy(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        if !c.cred.is_root() || self.node(parent).flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        let d = c.node_in()?;
        let (name, ver) = (d.name_bytes(), d.ver);
        let matches = |n: &Node| {
            n.num == d.num
                && (name.is_empty() || name == n.name.as_bytes())
                && (ver == 0 || ver == n.ver)
        };
        let p = self.node(parent);
        let i = p.children.iter().position(matches).ok_or(Errno::ENOENT)?;
        if p.children[i].flags & CTLFLAG_PERMANENT != 0 {
            return Err(Errno::EPERM);
        }
        if !p.children[i].children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        c.record(&self.remove(parent, i).repr().emit());
        c.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_describe`: descriptions of all children, or of the one named
    /// in newp, first setting it if newp carries a description pointer.
    fn describe(&mut self, c: &mut Call, parent: &[usize]) -> KResult<()> {
        let mut want = None;
        if c.new.is_some() {
            let d = c.node_in()?;
            want = Some(d.num);
            if d.desc != 0 {
                if !c.cred.is_root() {
                    return Err(Errno::EPERM);
                }
                let p = self.node_mut(parent);
                let n = p.children.iter_mut().find(|n| n.num == d.num);
                let n = n.ok_or(Errno::ENOENT)?;
                if d.ver != 0 && d.ver != n.ver {
                    return Err(Errno::EINVAL);
                }
                // Kernel nodes keep theirs; a client may describe a node once.
                if n.flags & CTLFLAG_PERMANENT != 0 || n.desc.is_some() {
                    return Err(Errno::EPERM);
                }
                n.desc = Some(c.us.copyinstr(d.desc, wire::MAXDESCLEN)?.into());
                n.flags |= CTLFLAG_OWNDESC;
            }
        }
        let mut total = 0;
        for n in &self.node(parent).children {
            // NetBSD 7 tests kauth's answer inverted here (0 means allowed),
            // so private nodes are described to everyone except root.
            let hidden = n.flags & CTLFLAG_PRIVATE != 0 && c.cred.is_root();
            if hidden || want.is_some_and(|num| num != n.num) {
                continue;
            }
            let r = wire::desc_record(n.num, n.ver, n.desc.as_deref());
            c.record(&r);
            total += r.len();
            if want.is_some() {
                break;
            }
        }
        if want.is_some() && total == 0 {
            return Err(Errno::ENOENT);
        }
        c.oldlen = total;
        Ok(())
    }

    /// `sysctl_mmap`: finds the node, but none of ours can be mapped.
    fn mmap(&self, c: &Call, parent: &[usize]) -> KResult<()> {
        let n = NodeRepr::parse(c.new.ok_or(Errno::EINVAL)?)?;
        match self.locate(c.cred, &[&self.mib(parent)[..], &[n.num]].concat()) {
            (_, _, Some(e)) => Err(e),
            _ => Err(Errno::EOPNOTSUPP),
        }
    }
}

/// The sysctl tree of one kernel.
pub struct SysctlTree {
    inner: Mutex<Inner>,
}

impl Default for SysctlTree {
    fn default() -> Self {
        SysctlTree::new()
    }
}

impl SysctlTree {
    /// A tree with NetBSD's top-level nodes (kern=1 ... security=13).
    pub fn new() -> SysctlTree {
        let root_flags = CTLFLAG_ROOT | CTLFLAG_READWRITE;
        let name = SysctlName::new(b"(root)");
        let root = Node::new(name, CTLTYPE_NODE, root_flags, NODE_LEN, Kind::Node);
        let t = SysctlTree {
            inner: Mutex::new(Inner {
                root,
                next_num: CREATE_BASE,
                deferred: Vec::new(),
            }),
        };
        // NetBSD's rump kernels are built without descriptions
        // (SYSCTL_INCLUDE_DESCR unset): its top nodes' are kept in TOP
        // for the reader, and not given. Their names and numbers are
        // known good, so they go in without create's checks.
        {
            let mut g = t.lock();
            // The room NetBSD gives them (twice SYSCTL_DEFSIZE), at once.
            g.root.children.reserve_exact(TOP.len().next_power_of_two());
            for (num, name, _desc, flags) in TOP {
                let flags = flags | CTLFLAG_PERMANENT;
                let name = SysctlName::new(name.as_bytes());
                let node = Node::new(name, CTLTYPE_NODE, flags, NODE_LEN, Kind::Node);
                g.insert(&[], node, Some(num));
            }
        }
        t
    }

    /// The tree, with every deferred subtree made.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        let mut g = self.lock_raw();
        if !g.deferred.is_empty() {
            g.settle();
        }
        g
    }

    /// The tree as it is, deferred subtrees not made.
    fn lock_raw(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The tree for adding below the node `parent` finds: deferred
    /// subtrees are made first if the parent is, or is below, one.
    fn lock_for_add(
        &self,
        parent: impl Fn(&Inner) -> KResult<Path>,
    ) -> KResult<(MutexGuard<'_, Inner>, Path)> {
        let mut g = self.lock_raw();
        match parent(&g) {
            Ok(p) if !g.is_deferred(&p) => Ok((g, p)),
            // A deferred node has no children yet, so a path below one
            // fails until they are made.
            _ => {
                g.settle();
                let p = parent(&g)?;
                Ok((g, p))
            }
        }
    }

    /// Have `build` make `count` nodes below the empty node `parent` when
    /// the tree is next used for anything but adding elsewhere, instead of
    /// now: the kernel's per-process nodes (`proc.curproc`) cost most of a
    /// boot to make and few kernels are ever asked about them. Every answer
    /// is as if they had been made now, versions included, since the
    /// builder's numbers are fixed. EINVAL if `parent` is no empty node.
    pub(crate) fn create_deferred(
        &self,
        parent: &[i32],
        count: u32,
        build: DeferredBuild,
    ) -> KResult<()> {
        let mut g = self.lock();
        let path = g.find(parent)?;
        let p = g.node(&path);
        if p.ty != CTLTYPE_NODE || !p.children.is_empty() || !matches!(p.kind, Kind::Node) {
            return Err(Errno::EINVAL);
        }
        // The root and every node down to the parent get the version the
        // last of the inserts would give them.
        let ver_before = g.root.ver;
        let v = ver_before.wrapping_add(count);
        g.root.ver = v;
        let mut n = &mut g.root;
        for &i in path.iter() {
            n = &mut n.children[i];
            n.ver = v;
        }
        let parent = g.mib(&path);
        g.deferred.push(Deferred {
            parent,
            ver_before,
            count,
            build,
        });
        Ok(())
    }

    /// Add a node below `parent` ("" for the root); returns its MIB.
    /// ENOENT/ENOTDIR for a bad parent, EEXIST if the name or number is
    /// taken, ENAMETOOLONG/EINVAL for a bad name, EINVAL for bad flags or
    /// a value that does not fit `max_len`.
    pub fn create(&self, parent: &str, spec: NodeSpec) -> KResult<Mib> {
        self.add(spec, |g| g.resolve(parent))
    }

    /// [`SysctlTree::create`] below the node whose MIB is `parent` (as
    /// [`SysctlTree::create`] returns it), which spares finding it by name.
    pub fn create_in(&self, parent: &[i32], spec: NodeSpec) -> KResult<Mib> {
        self.add(spec, |g| g.find(parent))
    }

    /// Several nodes below one parent, in order, each as
    /// [`SysctlTree::create`] would add it (the same checks, numbers and
    /// versions), finding the parent and taking the tree's lock once. The
    /// first failure stops it, with the nodes before it added.
    pub fn create_all(
        &self,
        parent: &str,
        specs: impl IntoIterator<Item = NodeSpec>,
    ) -> KResult<()> {
        self.add_all(specs, |g| g.resolve(parent))
    }

    /// Add the node `spec` below the one `parent` finds.
    fn add(&self, spec: NodeSpec, parent: impl Fn(&Inner) -> KResult<Path>) -> KResult<Mib> {
        let (node, num) = prepare(spec)?;
        let (mut g, mut path) = self.lock_for_add(parent)?;
        path.push(g.place(&path, node, num)?)?;
        Ok(g.mib(&path))
    }

    /// Add the nodes `specs` below the one `parent` finds. The nodes are
    /// made before the lock is taken, as [`SysctlTree::add`] does, since
    /// making a dynamic node reads it.
    fn add_all(
        &self,
        specs: impl IntoIterator<Item = NodeSpec>,
        parent: impl Fn(&Inner) -> KResult<Path>,
    ) -> KResult<()> {
        let specs = specs.into_iter();
        let mut ready = Vec::with_capacity(specs.size_hint().0);
        let mut failed = Ok(());
        for spec in specs {
            match prepare(spec) {
                Ok(made) => ready.push(made),
                Err(e) => {
                    failed = Err(e);
                    break;
                }
            }
        }
        if ready.is_empty() {
            return failed;
        }
        let (mut g, path) = self.lock_for_add(parent)?;
        for (node, num) in ready {
            g.place(&path, node, num)?;
        }
        failed
    }

    /// Make sure the interior nodes along `path` exist, creating missing
    /// ones (permanent, numbers allocated). `description` is the last one's
    /// NetBSD description, for the reader only (see
    /// [`NodeSpec::description`]). Returns the MIB of the last.
    pub fn create_path(&self, path: &str, _description: &str) -> KResult<Mib> {
        let comps: Vec<&str> = path.split('.').filter(|c| !c.is_empty()).collect();
        let mut g = self.lock_raw();
        let mut at = Path::ROOT;
        for comp in &comps {
            if g.is_deferred(&at) {
                g.settle();
            }
            let p = g.node(&at);
            if p.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            let by_name = p
                .children
                .iter()
                .position(|c| c.name.as_bytes() == comp.as_bytes());
            if let Some(i) = by_name {
                at.push(i)?;
                continue;
            }
            check_name(comp.as_bytes())?;
            if at.len() == CTL_MAXNAME {
                return Err(Errno::EINVAL);
            }
            let name = SysctlName::new(comp.as_bytes());
            let node = Node::new(name, CTLTYPE_NODE, CTLFLAG_PERMANENT, NODE_LEN, Kind::Node);
            at.push(g.insert(&at, node, None))?;
        }
        if g.node(&at).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        Ok(g.mib(&at))
    }

    /// Remove a node, permanent ones too (this is the kernel tearing down
    /// its own). ENOTEMPTY if it has children.
    pub fn destroy(&self, path: &str) -> KResult<()> {
        let mut g = self.lock();
        let mut p = g.resolve(path)?;
        let i = p.pop().ok_or(Errno::EINVAL)?;
        if !g.node(&p).children[i].children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        g.remove(&p, i);
        Ok(())
    }

    /// The MIB of a dotted path, e.g. "kern.hostname" -> [1, 10].
    pub fn name_to_mib(&self, path: &str) -> KResult<Vec<i32>> {
        let g = self.lock();
        let p = g.resolve(path)?;
        Ok(g.mib(&p).to_vec())
    }

    /// Read a value. EINVAL for an interior node.
    pub fn get(&self, path: &str) -> KResult<SysctlValue> {
        let g = self.lock();
        let n = g.node(&g.resolve(path)?);
        match &n.kind {
            Kind::Value(b) => Ok(from_raw(n.ty, b)),
            Kind::Dynamic(d) => {
                let read = d.0.clone();
                drop(g);
                Ok(read())
            }
            Kind::Node | Kind::Handler(_) => Err(Errno::EINVAL),
        }
    }

    /// Write a value as the kernel: no permission or read-only check, but
    /// the type must match and the value fit the node (EINVAL).
    pub fn set(&self, path: &str, v: SysctlValue) -> KResult<()> {
        let mut g = self.lock();
        let p = g.resolve(path)?;
        let n = g.node_mut(&p);
        match &mut n.kind {
            Kind::Value(old) => {
                let (ty, b) = to_raw(v);
                let fits = match ty {
                    CTLTYPE_STRING => b.len() < n.size,
                    _ => b.len() == n.size,
                };
                if ty != n.ty || !fits {
                    return Err(Errno::EINVAL);
                }
                *old = b.into_boxed_slice();
                Ok(())
            }
            Kind::Dynamic(d) => {
                let write = d.1.clone().ok_or(Errno::EPERM)?;
                drop(g);
                write(v)
            }
            Kind::Node | Kind::Handler(_) => Err(Errno::EINVAL),
        }
    }

    /// The `__sysctl(2)` system call. `old_capacity`: None if oldp is NULL,
    /// else `Some(*oldlenp)`. `new`: None if newp is NULL, else the newlen
    /// bytes at newp. Pointers inside a node passed in newp (CTL_CREATE
    /// data, CTL_DESCRIBE text) fault: [`SysctlTree::sysctl_user`] follows them.
    pub fn sysctl(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
    ) -> SysctlOutcome {
        self.sysctl_user(cred, name, old_capacity, new, &NoUserSpace)
    }

    /// [`SysctlTree::sysctl`], following pointers in `new` into `us`, the
    /// caller's memory. If oldp is NULL and the call fails before setting a
    /// length, `oldlen` is 0 (NetBSD leaves `*oldlenp` as it was).
    pub fn sysctl_user(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> SysctlOutcome {
        let oldlen = old_capacity.unwrap_or(0);
        let (cap, old) = (old_capacity, Vec::new());
        let mut c = Call {
            cred,
            new,
            us,
            cap,
            old,
            oldlen,
        };
        let mut result = match name.len() {
            1..=CTL_MAXNAME => self.dispatch(&mut c, name),
            _ => Err(Errno::EINVAL),
        };
        // A short buffer is an error only if nothing else went wrong.
        if result.is_ok() && cap.is_some_and(|cap| cap < c.oldlen) {
            result = Err(Errno::ENOMEM);
        }
        SysctlOutcome {
            result,
            old: c.old,
            oldlen: c.oldlen,
        }
    }

    /// `sysctl_dispatch`: find the node and pick the operation.
    fn dispatch(&self, c: &mut Call, name: &[i32]) -> KResult<()> {
        let mut g = self.lock();
        let (path, ni, err) = g.locate(c.cred, name);
        let node = g.node(&path);
        let leaf = (node.ty, node.flags, node.size);
        match (&node.kind, err) {
            // A node with a helper gets the call whatever locate said; ours
            // act like NetBSD helpers wrapping sysctl_lookup, which refuses
            // any name left over.
            (Kind::Dynamic(d), _) => {
                let (read, write) = (d.0.clone(), d.1.clone());
                drop(g);
                if ni != name.len() {
                    return Err(Errno::EINVAL);
                }
                let (ty, cur) = to_raw(read());
                match (lookup(c, leaf, &encode(ty, &cur))?, write) {
                    (None, _) => Ok(()),
                    (Some(b), Some(write)) => write(from_raw(leaf.0, b)),
                    (Some(_), None) => Err(Errno::EPERM),
                }
            }
            // A handler answers whatever is asked below it, except for a
            // query of its (empty) list of children.
            (Kind::Handler(h), _) => {
                let rest = &name[ni..];
                // A leaf has nothing below it.
                if leaf.0 != CTLTYPE_NODE && !rest.is_empty() {
                    return Err(Errno::ENOTDIR);
                }
                if rest == [CTL_QUERY] {
                    return g.query(c, &path);
                }
                let h = h.clone();
                drop(g);
                // A caller may claim any buffer size: a handler is told at
                // most this much, so that it never makes more.
                let cap = c.cap.map(|n| n.min(MAX_HANDLER_ANSWER));
                let out = h(rest, c.cred, cap, c.new)?;
                let n = out.data.len().min(c.room());
                c.old.extend_from_slice(&out.data[..n]);
                c.oldlen = out.len.max(out.data.len());
                Ok(())
            }
            (Kind::Value(cur), None) => {
                if let Some(b) = lookup(c, leaf, &encode(leaf.0, cur))? {
                    g.node_mut(&path).kind = Kind::Value(b.into());
                }
                Ok(())
            }
            (Kind::Node, None) => Err(Errno::EINVAL), // nodes are queried, not read
            (_, Some(Errno::ENOENT)) if ni + 1 == name.len() && name[ni] < 0 => match name[ni] {
                CTL_QUERY => g.query(c, &path),
                CTL_CREATE | CTL_DESTROY if c.new.is_none() => Err(Errno::EINVAL),
                CTL_CREATE => g.create(c, &path),
                CTL_DESTROY => g.destroy(c, &path),
                CTL_MMAP => g.mmap(c, &path),
                CTL_DESCRIBE => g.describe(c, &path),
                _ => Err(Errno::EOPNOTSUPP),
            },
            (_, Some(e)) => Err(e),
        }
    }
}
