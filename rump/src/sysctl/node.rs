//! One node of the tree: how its value is stored and handed out, and how
//! a kernel's [`NodeSpec`] becomes a node (the checks that need no tree).

use super::*;

pub(super) fn until_nul(b: &[u8]) -> &[u8] {
    &b[..b.iter().position(|&c| c == 0).unwrap_or(b.len())]
}

/// The bytes stored for a value written as `b`: a string ends at its NUL.
pub(super) fn stored(ty: u32, b: &[u8]) -> &[u8] {
    if ty == CTLTYPE_STRING {
        until_nul(b)
    } else {
        b
    }
}

/// A value's type and stored bytes (strings without their NUL).
pub(super) fn to_raw(v: SysctlValue) -> (u32, Vec<u8>) {
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

pub(super) fn from_raw(ty: u32, b: &[u8]) -> SysctlValue {
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
pub(super) fn encode(ty: u32, b: &[u8]) -> Vec<u8> {
    let nul: &[u8] = if ty == CTLTYPE_STRING { &[0] } else { &[] };
    [b, nul].concat()
}

/// What a node holds, kept small (boxed where it is big and rare) so
/// that a node is at most 128 bytes and a parent's first eight children
/// fit in a small allocation.
pub(super) enum Kind {
    Node,
    /// Stored bytes, as [`to_raw`] gives them.
    Value(Box<[u8]>),
    Dynamic(Box<DynamicValue>),
    Handler(SysctlHandler),
}

/// A dynamic node's functions: the one that computes its value and the
/// one, if any, that takes a new value.
pub(super) struct DynamicValue {
    pub(super) read: SysctlReader,
    pub(super) write: Option<SysctlWriter>,
}

/// What `sysctl_lookup` checks a leaf's reads and writes against.
#[derive(Clone, Copy)]
pub(super) struct LeafShape {
    /// CTLTYPE_*.
    pub(super) ty: u32,
    /// CTLFLAG_* without type and version bits.
    pub(super) flags: u32,
    /// `sysctl_size`: the length a write must have (0: any).
    pub(super) size: usize,
}

pub(super) struct Node {
    pub(super) num: i32,
    pub(super) name: SysctlName,
    pub(super) ty: u32,
    /// CTLFLAG_* without type and version bits.
    pub(super) flags: u32,
    pub(super) ver: u32,
    /// `sysctl_size`: bounds writes of strings and structs unless 0.
    pub(super) size: usize,
    pub(super) desc: Option<Box<[u8]>>,
    pub(super) kind: Kind,
    /// Sorted by number, as NetBSD keeps them.
    pub(super) children: Vec<Node>,
    pub(super) csize: u32,
}

// Eight children in 1 KiB: the allocator's small, fast size classes.
const _: () = assert!(std::mem::size_of::<Node>() <= 128);

impl Node {
    pub(super) fn new(name: SysctlName, ty: u32, flags: u32, size: usize, kind: Kind) -> Node {
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
    pub(super) fn repr(&self) -> NodeRepr {
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

pub(super) fn check_name(name: &[u8]) -> KResult<()> {
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
pub(super) fn prepare(spec: NodeSpec) -> KResult<(Node, Option<i32>)> {
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
            (
                ty,
                size,
                Kind::Dynamic(Box::new(DynamicValue { read, write })),
            )
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
