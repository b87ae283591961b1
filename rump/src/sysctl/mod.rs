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

/// Longest MIB a caller may pass.
pub const CTL_MAXNAME: usize = 12;
/// Meta name: list the children of a node.
pub const CTL_QUERY: i32 = -2;
/// Meta name: create a child (also the `sysctl_num` asking for a number).
pub const CTL_CREATE: i32 = -3;
/// Meta name: create a child bound to a kernel symbol (unsupported).
pub const CTL_CREATESYM: i32 = -4;
/// Meta name: destroy a child.
pub const CTL_DESTROY: i32 = -5;
/// Meta name: map a node's data (no node supports it).
pub const CTL_MMAP: i32 = -6;
/// Meta name: fetch or set descriptions of children.
pub const CTL_DESCRIBE: i32 = -7;

/// Type: interior node.
pub const CTLTYPE_NODE: u32 = 1;
/// Type: 32-bit integer.
pub const CTLTYPE_INT: u32 = 2;
/// Type: NUL-terminated string.
pub const CTLTYPE_STRING: u32 = 3;
/// Type: 64-bit integer.
pub const CTLTYPE_QUAD: u32 = 4;
/// Type: opaque bytes.
pub const CTLTYPE_STRUCT: u32 = 5;
/// Type: one-byte boolean.
pub const CTLTYPE_BOOL: u32 = 6;

/// Writable (by root unless also ANYWRITE).
pub const CTLFLAG_READWRITE: u32 = 0x70;
/// Writable by anyone.
pub const CTLFLAG_ANYWRITE: u32 = 0x80;
/// Readable, and walkable below, by root only.
pub const CTLFLAG_PRIVATE: u32 = 0x100;
/// Cannot be destroyed by clients; set on every kernel-created node.
pub const CTLFLAG_PERMANENT: u32 = 0x200;
/// The node owns its data (set on client-created valued nodes).
pub const CTLFLAG_OWNDATA: u32 = 0x400;
/// The value lives in the node itself and shows in CTL_QUERY answers.
pub const CTLFLAG_IMMEDIATE: u32 = 0x800;
/// sysctl(8) prints the value in hex.
pub const CTLFLAG_HEX: u32 = 0x1000;
/// sysctl(8) does not list the node unless asked by name or with -A.
pub const CTLFLAG_HIDDEN: u32 = 0x8000;
/// The node owns its description (set by CTL_DESCRIBE from a client).
pub const CTLFLAG_OWNDESC: u32 = 0x40000;
/// sysctl(8) prints the value unsigned.
pub const CTLFLAG_UNSIGNED: u32 = 0x80000;

const CTLFLAG_ROOT: u32 = 0x2000;
const CTLFLAG_UNSUPPORTED: u32 = CTLFLAG_ROOT | 0x4000 | 0x10000 | 0x20000; // ROOT ANYNUMBER ALIAS MMAP
const SYSCTL_USERFLAGS: u32 = 0x9df0;
const SYSCTL_TYPEMASK: u32 = 0xf;
const SYSCTL_FLAGMASK: u32 = 0x00ff_fff0;
/// Numbers handed out for CTL_CREATE start above this (NetBSD's CREATE_BASE).
const CREATE_BASE: i32 = 1024;
/// Child slots a node gets first; NetBSD doubles them when full and
/// reports the capacity as `sysctl_csize`.
const SYSCTL_DEFSIZE: u32 = 8;
/// Largest CTLFLAG_OWNDATA buffer a client may ask for (NetBSD's malloc
/// would fail with ENOMEM somewhere; we choose where).
const MAX_OWNDATA: u64 = 1 << 20;

/// NetBSD's top-level nodes (`sysctl_basenode_init`).
const TOP: [(i32, &str, &str); 13] = [
    (1, "kern", "High kernel"),
    (2, "vm", "Virtual memory"),
    (3, "vfs", "Filesystem"),
    (4, "net", "Networking"),
    (5, "debug", "Debugging"),
    (6, "hw", "Generic CPU, I/O"),
    (7, "machdep", "Machine dependent"),
    (8, "user", "User-level"),
    (9, "ddb", "In-kernel debugger"),
    (10, "proc", "Per-process"),
    (11, "vendor", "Vendor specific"),
    (12, "emul", "Emulation settings"),
    (13, "security", "Security"),
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

/// What a node holds.
pub enum NodeData {
    /// An interior node.
    Node,
    /// A value stored in the tree, writable if the flags allow.
    Value(SysctlValue),
    /// A value computed on each read. Its type is that of the first value
    /// `read` returns (called once by `create`). Without a writer, writes
    /// fail with EPERM.
    Dynamic {
        /// Called on every read, without the tree lock held.
        read: SysctlReader,
        /// Called on every write, without the tree lock held.
        write: Option<SysctlWriter>,
    },
}

/// A node to add with [`SysctlTree::create`].
pub struct NodeSpec {
    /// Name: letters, digits, `-`, `_`, not starting with a digit, < 32 bytes.
    pub name: String,
    /// MIB number, or None to allocate one as CTL_CREATE does (> 1024).
    pub num: Option<i32>,
    /// CTLFLAG_* bits; type bits are ignored, CTLFLAG_PERMANENT is added.
    pub flags: u32,
    /// What CTL_DESCRIBE answers ("" for none).
    pub description: String,
    /// The contents.
    pub data: NodeData,
    /// Strings: the size including NUL, bounding writes (default: the
    /// initial length + 1 for values, unbounded for dynamic nodes). Structs:
    /// the size (default: the initial length, unbounded for dynamic nodes).
    pub max_len: Option<usize>,
}

impl NodeSpec {
    /// A spec with an allocated number and no size bound.
    pub fn new(name: &str, flags: u32, description: &str, data: NodeData) -> NodeSpec {
        NodeSpec {
            name: name.to_string(),
            num: None,
            flags,
            description: description.to_string(),
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
    /// Bytes to copy to oldp, even on error (NetBSD copies out before some
    /// failures); never longer than the capacity given.
    pub old: Vec<u8>,
    /// What to store in `*oldlenp` (also on error).
    pub oldlen: usize,
}

/// A stored value. Strings are bytes: clients may write any bytes.
#[derive(Clone, Debug, PartialEq)]
enum Data {
    Int(i32),
    Quad(u64),
    Bool(bool),
    Str(Vec<u8>),
    Struct(Vec<u8>),
}

fn until_nul(b: &[u8]) -> Vec<u8> {
    b.iter().take_while(|&&c| c != 0).copied().collect()
}

fn le<const N: usize>(b: &[u8]) -> [u8; N] {
    let mut a = [0u8; N];
    let n = b.len().min(N);
    a[..n].copy_from_slice(&b[..n]);
    a
}

impl Data {
    fn from_value(v: SysctlValue) -> Data {
        match v {
            SysctlValue::Int(i) => Data::Int(i),
            SysctlValue::Quad(q) => Data::Quad(q),
            SysctlValue::Bool(b) => Data::Bool(b),
            SysctlValue::String(s) => Data::Str(until_nul(s.as_bytes())),
            SysctlValue::Struct(s) => Data::Struct(s),
        }
    }

    fn to_value(&self) -> SysctlValue {
        match self {
            Data::Int(i) => SysctlValue::Int(*i),
            Data::Quad(q) => SysctlValue::Quad(*q),
            Data::Bool(b) => SysctlValue::Bool(*b),
            Data::Str(s) => SysctlValue::String(String::from_utf8_lossy(s).into_owned()),
            Data::Struct(s) => SysctlValue::Struct(s.clone()),
        }
    }

    fn ty(&self) -> u32 {
        match self {
            Data::Int(_) => CTLTYPE_INT,
            Data::Quad(_) => CTLTYPE_QUAD,
            Data::Bool(_) => CTLTYPE_BOOL,
            Data::Str(_) => CTLTYPE_STRING,
            Data::Struct(_) => CTLTYPE_STRUCT,
        }
    }

    /// The bytes a read returns: strings carry their NUL.
    fn encode(&self) -> Vec<u8> {
        match self {
            Data::Int(i) => i.to_le_bytes().to_vec(),
            Data::Quad(q) => q.to_le_bytes().to_vec(),
            Data::Bool(b) => vec![*b as u8],
            Data::Str(s) => [s.as_slice(), &[0]].concat(),
            Data::Struct(s) => s.clone(),
        }
    }

    fn decode(ty: u32, b: &[u8]) -> Data {
        match ty {
            CTLTYPE_INT => Data::Int(i32::from_le_bytes(le(b))),
            CTLTYPE_QUAD => Data::Quad(u64::from_le_bytes(le(b))),
            CTLTYPE_BOOL => Data::Bool(b.first().is_some_and(|&c| c != 0)),
            CTLTYPE_STRING => Data::Str(until_nul(b)),
            _ => Data::Struct(b.to_vec()),
        }
    }
}

enum Kind {
    Node,
    Value(Data),
    Dynamic(SysctlReader, Option<SysctlWriter>),
}

struct Node {
    num: i32,
    name: String,
    ty: u32,
    /// CTLFLAG_* without type and version bits.
    flags: u32,
    ver: u32,
    /// `sysctl_size`: write bound for strings and structs, 0 if none.
    size: usize,
    desc: Option<Vec<u8>>,
    kind: Kind,
    /// Sorted by number, as NetBSD keeps them.
    children: Vec<Node>,
    csize: u32,
}

impl Node {
    fn new(name: &str, ty: u32, flags: u32, size: usize, kind: Kind) -> Node {
        Node {
            num: 0,
            name: name.to_string(),
            ty,
            flags,
            ver: 0,
            size,
            desc: None,
            kind,
            children: Vec::new(),
            csize: 0,
        }
    }

    /// The node as CTL_QUERY, CTL_CREATE and CTL_DESTROY hand it out.
    fn repr(&self) -> NodeRepr {
        let mut r = NodeRepr {
            flags: SYSCTL_VERSION | self.ty | self.flags,
            num: self.num,
            ver: self.ver,
            size: self.size as u64,
            ..NodeRepr::default()
        };
        r.set_name(self.name.as_bytes());
        match &self.kind {
            Kind::Node => r.set_children(self.csize, self.children.len() as u32),
            Kind::Value(d) if self.flags & CTLFLAG_IMMEDIATE != 0 => r.set_immediate(&d.encode()),
            _ => {}
        }
        r
    }
}

/// What `lookup` needs to know about a leaf.
struct Leaf {
    ty: u32,
    flags: u32,
    size: usize,
}

/// The caller's old buffer being filled.
struct Out {
    cap: Option<usize>,
    buf: Vec<u8>,
    oldlen: usize,
}

impl Out {
    fn room(&self) -> usize {
        self.cap.map_or(0, |c| c.saturating_sub(self.buf.len()))
    }

    /// Node and description records are copied whole or not at all.
    fn record(&mut self, r: &[u8]) {
        if self.cap.is_some() && self.room() >= r.len() {
            self.buf.extend_from_slice(r);
        }
    }

    /// Values are copied as far as they fit.
    fn partial(&mut self, v: &[u8]) {
        let n = v.len().min(self.room());
        self.buf.extend_from_slice(&v[..n]);
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

/// `sysctl_lookup`: permission checks, copy out the current value, and
/// validate a new one, which the caller then stores.
fn lookup(
    cred: &Cred,
    leaf: &Leaf,
    cur: &Data,
    extra: usize,
    out: &mut Out,
    new: Option<&[u8]>,
) -> KResult<Option<Data>> {
    let new = new.filter(|b| !b.is_empty()); // newlen 0 is no write
    if leaf.ty == CTLTYPE_NODE || extra != 0 {
        return Err(Errno::EINVAL);
    }
    let root = cred.is_root();
    if leaf.flags & CTLFLAG_PRIVATE != 0 && !root {
        return Err(Errno::EPERM);
    }
    let may_write =
        (root || leaf.flags & CTLFLAG_ANYWRITE != 0) && leaf.flags & CTLFLAG_READWRITE != 0;
    if new.is_some() && !may_write {
        return Err(Errno::EPERM);
    }
    let old = cur.encode();
    out.partial(&old);
    out.oldlen = old.len();
    let Some(b) = new else { return Ok(None) };
    let sz = leaf.size;
    let ok = match leaf.ty {
        CTLTYPE_BOOL => b.len() == sz && b[0] <= 1,
        CTLTYPE_INT | CTLTYPE_QUAD => b.len() == sz,
        CTLTYPE_STRUCT => sz == 0 || b.len() == sz,
        // Shorter strings are fine; one filling the node must carry its NUL.
        CTLTYPE_STRING => sz == 0 || b.len() < sz || (b.len() == sz && b[sz - 1] == 0),
        _ => false,
    };
    if !ok {
        return Err(Errno::EINVAL);
    }
    Ok(Some(Data::decode(leaf.ty, b)))
}

struct Inner {
    root: Node,
    /// NetBSD keeps this counter in the root's `sysctl_num`.
    next_num: i32,
}

impl Inner {
    fn node(&self, path: &[usize]) -> &Node {
        path.iter().fold(&self.root, |n, &i| &n.children[i])
    }

    fn node_mut(&mut self, path: &[usize]) -> &mut Node {
        let mut n = &mut self.root;
        for &i in path {
            n = &mut n.children[i];
        }
        n
    }

    fn mib(&self, path: &[usize]) -> Vec<i32> {
        let mut n = &self.root;
        path.iter()
            .map(|&i| {
                n = &n.children[i];
                n.num
            })
            .collect()
    }

    /// Walk a dotted path of names (or numbers) for kernel callers.
    fn resolve(&self, path: &str) -> KResult<Vec<usize>> {
        let mut n = &self.root;
        let mut out = Vec::new();
        for comp in path.split('.').filter(|c| !c.is_empty()) {
            if n.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            let by_num = |c: &Node| comp.parse::<i32>().is_ok_and(|v| v == c.num);
            let i = (n.children.iter().position(|c| c.name == comp))
                .or_else(|| n.children.iter().position(by_num))
                .ok_or(Errno::ENOENT)?;
            out.push(i);
            n = &n.children[i];
        }
        Ok(out)
    }

    /// `sysctl_locate`: how far `name` leads, and why it stopped.
    fn locate(&self, cred: &Cred, name: &[i32]) -> (Vec<usize>, usize, Option<Errno>) {
        let mut path = Vec::new();
        let mut n = &self.root;
        for (ni, &tn) in name.iter().enumerate() {
            if n.children.is_empty() {
                let e = if n.ty == CTLTYPE_NODE {
                    Errno::ENOENT
                } else {
                    Errno::ENOTDIR
                };
                return (path, ni, Some(e));
            }
            if n.flags & CTLFLAG_PRIVATE != 0 && !cred.is_root() {
                return (Vec::new(), 0, Some(Errno::EPERM));
            }
            match n.children.iter().position(|c| c.num == tn) {
                Some(i) => {
                    path.push(i);
                    n = &n.children[i];
                }
                None => return (path, ni, Some(Errno::ENOENT)),
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

    /// Add a child (number checked free by the caller, or allocated here).
    fn insert(&mut self, parent: &[usize], mut node: Node, num: Option<i32>) -> usize {
        node.num = match num {
            Some(n) => n,
            None => {
                self.next_num = self.next_num.checked_add(1).unwrap_or(CREATE_BASE + 1);
                let mut nm = self.next_num;
                while self.node(parent).children.iter().any(|c| c.num == nm) {
                    nm = nm.checked_add(1).unwrap_or(CREATE_BASE + 1);
                }
                nm
            }
        };
        let p = self.node_mut(parent);
        if p.children.is_empty() {
            p.csize = SYSCTL_DEFSIZE;
        } else if p.children.len() >= p.csize as usize {
            p.csize = p.csize.saturating_mul(2);
        }
        let at = p.children.partition_point(|c| c.num < node.num);
        p.children.insert(at, node);
        let mut full = parent.to_vec();
        full.push(at);
        self.bump(&full);
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
    fn query(&self, path: &[usize], out: &mut Out, new: Option<&[u8]>) -> KResult<()> {
        let p = self.node(path);
        if p.ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        let q = NodeRepr::from_request(new)?;
        if q.ver != 0 && q.ver != p.ver && q.ver != self.root.ver {
            return Err(Errno::EINVAL);
        }
        for c in &p.children {
            out.record(&c.repr().emit());
        }
        out.oldlen = p.children.len() * NODE_LEN;
        Ok(())
    }

    /// `sysctl_create` for a client, in NetBSD's order of checks.
    fn create(
        &mut self,
        cred: &Cred,
        parent: &[usize],
        out: &mut Out,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> KResult<()> {
        let p = self.node(parent);
        if !cred.is_root() || p.flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        if p.ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        let n = NodeRepr::from_request(new)?;
        if n.parent != 0
            || n.num < 0 && n.num != CTL_CREATE
            || n.name_bytes().len() == wire::NAMELEN
        {
            return Err(Errno::EINVAL);
        }
        check_name(n.name_bytes())?;
        let num = (n.num != CTL_CREATE).then_some(n.num);
        if let Some(c) = self.clash(parent, num, n.name_bytes()) {
            out.record(&c.repr().emit());
            out.oldlen = NODE_LEN;
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
        let scalar = matches!(ty, CTLTYPE_INT | CTLTYPE_QUAD | CTLTYPE_BOOL);
        if immediate && (owndata || !scalar) {
            return Err(Errno::EINVAL);
        }
        let data = n.qdata();
        let size = match ty {
            CTLTYPE_NODE if n.size != 0 || n.un != [0; 16] || owndata => return Err(Errno::EINVAL),
            CTLTYPE_NODE => NODE_LEN as u64,
            CTLTYPE_INT | CTLTYPE_QUAD | CTLTYPE_BOOL => {
                let want = match ty {
                    CTLTYPE_INT => 4,
                    CTLTYPE_QUAD => 8,
                    _ => 1,
                };
                if n.size != 0 && n.size != want {
                    return Err(Errno::EINVAL);
                }
                want
            }
            CTLTYPE_STRING if n.size == 0 && data == 0 && owndata => return Err(Errno::EINVAL),
            CTLTYPE_STRING if n.size == 0 => match us.copyinstr(data, 33 * 4096) {
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
                us.copyin(data, &mut buf)?;
            }
            Kind::Value(Data::decode(ty, &buf))
        } else if immediate {
            Kind::Value(match ty {
                CTLTYPE_INT => Data::Int(n.idata()),
                CTLTYPE_QUAD => Data::Quad(n.qdata()),
                _ => Data::Bool(n.bdata() != 0),
            })
        } else if data != 0 {
            // NetBSD would trust this as a kernel address; there is no
            // kernel memory here to point at.
            return Err(Errno::EFAULT);
        } else {
            return Err(Errno::EINVAL);
        };
        let name = String::from_utf8_lossy(n.name_bytes()).into_owned();
        let i = self.insert(
            parent,
            Node::new(&name, ty, flags, size as usize, kind),
            num,
        );
        let mut path = parent.to_vec();
        path.push(i);
        out.record(&self.node(&path).repr().emit());
        out.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_destroy` for a client: answers the removed node.
    fn destroy(
        &mut self,
        cred: &Cred,
        parent: &[usize],
        out: &mut Out,
        new: Option<&[u8]>,
    ) -> KResult<()> {
        if !cred.is_root() || self.node(parent).flags & CTLFLAG_READWRITE == 0 {
            return Err(Errno::EPERM);
        }
        let d = NodeRepr::from_request(new)?;
        let i = (self.node(parent).children.iter())
            .position(|c| {
                c.num == d.num
                    && (d.name_bytes().is_empty() || d.name_bytes() == c.name.as_bytes())
                    && (d.ver == 0 || d.ver == c.ver)
            })
            .ok_or(Errno::ENOENT)?;
        let c = &self.node(parent).children[i];
        if c.flags & CTLFLAG_PERMANENT != 0 {
            return Err(Errno::EPERM);
        }
        if !c.children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        let gone = self.remove(parent, i);
        out.record(&gone.repr().emit());
        out.oldlen = NODE_LEN;
        Ok(())
    }

    /// `sysctl_describe`: descriptions of all children, or of the one named
    /// in newp, first setting it if newp carries a description pointer.
    fn describe(
        &mut self,
        cred: &Cred,
        parent: &[usize],
        out: &mut Out,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> KResult<()> {
        if self.node(parent).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        let mut want = None;
        if new.is_some() {
            let d = NodeRepr::from_request(new)?;
            want = Some(d.num);
            if d.desc != 0 {
                if !cred.is_root() {
                    return Err(Errno::EPERM);
                }
                let p = self.node_mut(parent);
                let c = p
                    .children
                    .iter_mut()
                    .find(|c| c.num == d.num)
                    .ok_or(Errno::ENOENT)?;
                if d.ver != 0 && d.ver != c.ver {
                    return Err(Errno::EINVAL);
                }
                // Kernel nodes keep theirs; a client may describe a node once.
                if c.flags & CTLFLAG_PERMANENT != 0 || c.desc.is_some() {
                    return Err(Errno::EPERM);
                }
                c.desc = Some(us.copyinstr(d.desc, wire::MAXDESCLEN)?);
                c.flags |= CTLFLAG_OWNDESC;
            }
        }
        let mut total = 0;
        for c in &self.node(parent).children {
            if want.is_some_and(|n| n != c.num) {
                continue;
            }
            // NetBSD 7 tests kauth's result inverted here (0 means allowed),
            // so private nodes are described to everyone except root.
            if c.flags & CTLFLAG_PRIVATE != 0 && cred.is_root() {
                continue;
            }
            let r = wire::desc_record(c.num, c.ver, c.desc.as_deref());
            out.record(&r);
            total += r.len();
            if want.is_some() {
                break;
            }
        }
        if want.is_some() && total == 0 {
            return Err(Errno::ENOENT);
        }
        out.oldlen = total;
        Ok(())
    }

    /// `sysctl_mmap`: finds the node, but none of ours can be mapped.
    fn mmap(&self, cred: &Cred, parent: &[usize], new: Option<&[u8]>) -> KResult<()> {
        let n = NodeRepr::parse(new.ok_or(Errno::EINVAL)?)?;
        let p = self.node(parent);
        if p.children.is_empty() {
            return Err(Errno::ENOENT);
        }
        if p.flags & CTLFLAG_PRIVATE != 0 && !cred.is_root() {
            return Err(Errno::EPERM);
        }
        match p.children.iter().any(|c| c.num == n.num) {
            true => Err(Errno::EOPNOTSUPP),
            false => Err(Errno::ENOENT),
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
    /// A tree with NetBSD's top-level nodes (kern=1 ... security=13); only
    /// `vendor` is open to client CTL_CREATE, as in NetBSD.
    pub fn new() -> SysctlTree {
        let root = Node::new(
            "(root)",
            CTLTYPE_NODE,
            CTLFLAG_ROOT | CTLFLAG_READWRITE,
            NODE_LEN,
            Kind::Node,
        );
        let t = SysctlTree {
            inner: Mutex::new(Inner {
                root,
                next_num: CREATE_BASE,
            }),
        };
        for (num, name, desc) in TOP {
            let flags = if name == "vendor" {
                CTLFLAG_READWRITE
            } else {
                0
            };
            let spec = NodeSpec {
                num: Some(num),
                ..NodeSpec::new(name, flags, desc, NodeData::Node)
            };
            let made = t.create("", spec);
            debug_assert!(made.is_ok());
        }
        t
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Add a node below `parent` ("" for the root); returns its MIB.
    /// ENOENT/ENOTDIR for a bad parent, EEXIST if the name or number is
    /// taken, EINVAL for a bad name, flags or value.
    pub fn create(&self, parent: &str, spec: NodeSpec) -> KResult<Vec<i32>> {
        check_name(spec.name.as_bytes())?;
        let flags = (spec.flags & SYSCTL_FLAGMASK) | CTLFLAG_PERMANENT;
        let immediate = flags & CTLFLAG_IMMEDIATE != 0;
        if flags & CTLFLAG_UNSUPPORTED != 0 || (immediate && flags & CTLFLAG_OWNDATA != 0) {
            return Err(Errno::EINVAL);
        }
        if spec.num.is_some_and(|n| n < 0) || spec.max_len == Some(0) {
            return Err(Errno::EINVAL);
        }
        let (ty, size, kind) = match spec.data {
            NodeData::Node if flags & CTLFLAG_OWNDATA != 0 => return Err(Errno::EINVAL),
            NodeData::Node => (CTLTYPE_NODE, NODE_LEN, Kind::Node),
            NodeData::Value(v) => {
                let mut d = Data::from_value(v);
                let size = match &d {
                    Data::Str(s) => spec.max_len.unwrap_or(s.len() + 1),
                    Data::Struct(s) => spec.max_len.unwrap_or(s.len()),
                    d => d.encode().len(),
                };
                // A string must fit with its NUL, a struct in a size above 0.
                match &mut d {
                    Data::Str(s) if s.len() >= size => return Err(Errno::EINVAL),
                    Data::Struct(s) if s.len() > size || size == 0 => return Err(Errno::EINVAL),
                    Data::Struct(s) => s.resize(size, 0),
                    _ => {}
                }
                (d.ty(), size, Kind::Value(d))
            }
            NodeData::Dynamic { read, write } => {
                let d = Data::from_value(read());
                let size = match d {
                    Data::Str(_) | Data::Struct(_) => spec.max_len.unwrap_or(0),
                    _ => d.encode().len(),
                };
                (d.ty(), size, Kind::Dynamic(read, write))
            }
        };
        let immediate_ok = matches!(
            kind,
            Kind::Value(Data::Int(_) | Data::Quad(_) | Data::Bool(_))
        );
        if immediate && !immediate_ok {
            return Err(Errno::EINVAL);
        }
        let mut g = self.lock();
        let mut path = g.resolve(parent)?;
        if g.node(&path).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        if g.clash(&path, spec.num, spec.name.as_bytes()).is_some() {
            return Err(Errno::EEXIST);
        }
        let mut node = Node::new(&spec.name, ty, flags, size, kind);
        node.desc = Some(spec.description.into_bytes()).filter(|d| !d.is_empty());
        path.push(g.insert(&path, node, spec.num));
        Ok(g.mib(&path))
    }

    /// Make sure the interior nodes along `path` exist, creating missing
    /// ones with allocated numbers; the last one gets `description` if it
    /// is new. Returns the MIB of the last.
    pub fn create_path(&self, path: &str, description: &str) -> KResult<Vec<i32>> {
        let comps: Vec<&str> = path.split('.').filter(|c| !c.is_empty()).collect();
        let mut g = self.lock();
        let mut at = Vec::new();
        for (k, comp) in comps.iter().enumerate() {
            let p = g.node(&at);
            if p.ty != CTLTYPE_NODE {
                return Err(Errno::ENOTDIR);
            }
            if let Some(i) = p.children.iter().position(|c| c.name == *comp) {
                at.push(i);
                continue;
            }
            check_name(comp.as_bytes())?;
            let mut node = Node::new(comp, CTLTYPE_NODE, CTLFLAG_PERMANENT, NODE_LEN, Kind::Node);
            if k + 1 == comps.len() && !description.is_empty() {
                node.desc = Some(description.as_bytes().to_vec());
            }
            let i = g.insert(&at, node, None);
            at.push(i);
        }
        if g.node(&at).ty != CTLTYPE_NODE {
            return Err(Errno::ENOTDIR);
        }
        Ok(g.mib(&at))
    }

    /// Remove a node (kernel nodes too: this is the kernel tearing down its
    /// own). ENOTEMPTY if it has children.
    pub fn destroy(&self, path: &str) -> KResult<()> {
        let mut g = self.lock();
        let mut p = g.resolve(path)?;
        let i = p.pop().ok_or(Errno::EINVAL)?;
        let n = &g.node(&p).children[i];
        if !n.children.is_empty() {
            return Err(Errno::ENOTEMPTY);
        }
        g.remove(&p, i);
        Ok(())
    }

    /// The MIB of a dotted path, e.g. "kern.hostname" -> [1, 10].
    pub fn name_to_mib(&self, path: &str) -> KResult<Vec<i32>> {
        let g = self.lock();
        let p = g.resolve(path)?;
        Ok(g.mib(&p))
    }

    /// Read a value. EINVAL for an interior node.
    pub fn get(&self, path: &str) -> KResult<SysctlValue> {
        let g = self.lock();
        let p = g.resolve(path)?;
        match &g.node(&p).kind {
            Kind::Value(d) => Ok(d.to_value()),
            Kind::Dynamic(read, _) => {
                let read = read.clone();
                drop(g);
                Ok(read())
            }
            Kind::Node => Err(Errno::EINVAL),
        }
    }

    /// Write a value as the kernel: no permission or read-only check, but
    /// the type must match and the value fit the node (EINVAL).
    pub fn set(&self, path: &str, v: SysctlValue) -> KResult<()> {
        let mut g = self.lock();
        let p = g.resolve(path)?;
        let n = g.node_mut(&p);
        let new = Data::from_value(v);
        match &mut n.kind {
            Kind::Value(d) => {
                let fits = match &new {
                    Data::Str(s) => s.len() < n.size,
                    Data::Struct(s) => s.len() == n.size,
                    _ => true,
                };
                if new.ty() != n.ty || !fits {
                    return Err(Errno::EINVAL);
                }
                *d = new;
                Ok(())
            }
            Kind::Dynamic(_, Some(write)) => {
                let write = write.clone();
                drop(g);
                write(new.to_value())
            }
            Kind::Dynamic(_, None) => Err(Errno::EPERM),
            Kind::Node => Err(Errno::EINVAL),
        }
    }

    /// The `__sysctl(2)` system call. `old_capacity`: None if oldp is NULL,
    /// else `Some(*oldlenp)`. `new`: None if newp is NULL, else the newlen
    /// bytes at newp. Pointers inside a passed node (CTL_CREATE data,
    /// CTL_DESCRIBE text) fault: use [`SysctlTree::sysctl_user`] for those.
    pub fn sysctl(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
    ) -> SysctlOutcome {
        self.sysctl_user(cred, name, old_capacity, new, &NoUserSpace)
    }

    /// [`SysctlTree::sysctl`] with the caller's memory, for the pointers
    /// inside nodes passed in newp. When oldp is NULL and the call fails
    /// before setting a length, `oldlen` is 0 (NetBSD leaves `*oldlenp` as
    /// it was).
    pub fn sysctl_user(
        &self,
        cred: &Cred,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> SysctlOutcome {
        let mut out = Out {
            cap: old_capacity,
            buf: Vec::new(),
            oldlen: old_capacity.unwrap_or(0),
        };
        let mut result = match name.len() {
            1..=CTL_MAXNAME => self.dispatch(cred, name, &mut out, new, us),
            _ => Err(Errno::EINVAL),
        };
        // Only a short buffer, and nothing worse, makes ENOMEM.
        if result.is_ok() && old_capacity.is_some_and(|c| c < out.oldlen) {
            result = Err(Errno::ENOMEM);
        }
        SysctlOutcome {
            result,
            old: out.buf,
            oldlen: out.oldlen,
        }
    }

    /// `sysctl_dispatch`: find the node and pick the operation.
    fn dispatch(
        &self,
        cred: &Cred,
        name: &[i32],
        out: &mut Out,
        new: Option<&[u8]>,
        us: &dyn UserSpace,
    ) -> KResult<()> {
        let mut g = self.lock();
        let (path, ni, err) = g.locate(cred, name);
        let node = g.node(&path);
        let leaf = Leaf {
            ty: node.ty,
            flags: node.flags,
            size: node.size,
        };
        match (&node.kind, err) {
            // A node with a helper is called whatever locate said; ours
            // behave like NetBSD helpers that wrap sysctl_lookup.
            (Kind::Dynamic(read, write), _) => {
                let (read, write) = (read.clone(), write.clone());
                drop(g);
                let cur = Data::from_value(read());
                match (lookup(cred, &leaf, &cur, name.len() - ni, out, new)?, write) {
                    (None, _) => Ok(()),
                    (Some(v), Some(write)) => write(v.to_value()),
                    (Some(_), None) => Err(Errno::EPERM),
                }
            }
            (Kind::Value(cur), None) => {
                let cur = cur.clone();
                if let Some(v) = lookup(cred, &leaf, &cur, 0, out, new)? {
                    g.node_mut(&path).kind = Kind::Value(v);
                }
                Ok(())
            }
            (Kind::Node, None) => Err(Errno::EINVAL),
            (_, Some(Errno::ENOENT)) if ni + 1 == name.len() && name[ni] < 0 => match name[ni] {
                CTL_QUERY => g.query(&path, out, new),
                CTL_CREATE if new.is_none() => Err(Errno::EINVAL),
                CTL_CREATE => g.create(cred, &path, out, new, us),
                CTL_DESTROY if new.is_none() => Err(Errno::EINVAL),
                CTL_DESTROY => g.destroy(cred, &path, out, new),
                CTL_MMAP => g.mmap(cred, &path, new),
                CTL_DESCRIBE => g.describe(cred, &path, out, new, us),
                _ => Err(Errno::EOPNOTSUPP),
            },
            (_, Some(e)) => Err(e),
        }
    }
}
