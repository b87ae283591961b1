//! The tree through the system call, as NetBSD's sysctl(8) drives it.

use super::wire::{NodeRepr, desc_record};
use super::*;
use crate::errno::Errno as E;
use crate::usermem::BufferSpace;
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};

const VENDOR: i32 = 11;
const V: i32 = VENDOR;
type Res = KResult<()>;

fn user() -> Cred {
    Cred::root().set_uid(100).unwrap()
}

/// A request node as sysctl(8) builds one: zeroed, SYSCTL_VERSION set.
fn req(num: i32, name: &str, flags: u32) -> NodeRepr {
    let mut n = NodeRepr::default();
    (n.flags, n.num) = (SYSCTL_VERSION | flags, num);
    n.set_name(name.as_bytes());
    n
}

/// The same, as bytes, with one field changed.
fn reqb(num: i32, name: &str, flags: u32, edit: impl FnOnce(&mut NodeRepr)) -> Vec<u8> {
    let mut n = req(num, name, flags);
    edit(&mut n);
    n.emit().to_vec()
}

fn sc(t: &SysctlTree, c: &Cred, mib: &[i32], cap: usize, new: &[u8]) -> SysctlOutcome {
    let cap = (cap != usize::MAX).then_some(cap);
    t.sysctl(c, mib, cap, (new != b"NULL").then_some(new))
}

/// The result of a call with no old buffer.
fn res(t: &SysctlTree, c: &Cred, mib: &[i32], new: &[u8]) -> Res {
    sc(t, c, mib, NONE, new).result
}

const NONE: usize = usize::MAX;
const NULL: &[u8] = b"NULL";

fn query(t: &SysctlTree, c: &Cred, mib: &[i32]) -> KResult<Vec<NodeRepr>> {
    let o = sc(
        t,
        c,
        &[mib, &[CTL_QUERY]].concat(),
        4096,
        &req(0, "", 0).emit(),
    );
    o.result?;
    Ok(o.old
        .chunks(96)
        .map(|b| NodeRepr::parse(b).unwrap())
        .collect())
}

fn value(t: &SysctlTree, parent: &str, name: &str, flags: u32, v: SysctlValue) -> Vec<i32> {
    t.create(parent, NodeSpec::new(name, flags, "", NodeData::Value(v)))
        .unwrap()
        .to_vec()
}

fn node(name: &str, num: i32, flags: u32, desc: &str) -> NodeSpec {
    let mut s = NodeSpec::new(name, flags, desc, NodeData::Node);
    s.num = Some(num);
    s
}

#[test]
fn top_level_query_is_netbsds() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let q = req(0, "", 0).emit();
    let o = sc(&t, &r, &[CTL_QUERY], 13 * 96, &q);
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 1248, 1248));
    let mut kern = [0u8; 96];
    kern[..8].copy_from_slice(&[0x01, 0x02, 0x00, 0x01, 1, 0, 0, 0]);
    kern[8..12].copy_from_slice(b"kern");
    kern[40] = 1; // first node made, first version
    kern[64] = 96; // sizeof(struct sysctlnode)
    assert_eq!(o.old[..96], kern);
    let v = NodeRepr::parse(&o.old[10 * 96..11 * 96]).unwrap();
    assert_eq!(
        (v.num, v.name_bytes(), v.flags),
        (11, &b"vendor"[..], 0x0100_0271)
    );
    // Sizing call; short buffer: whole records only.
    let o = sc(&t, &r, &[CTL_QUERY], NONE, &q);
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 1248, 0));
    let o = sc(&t, &r, &[CTL_QUERY], 200, &q);
    assert_eq!(
        (o.result, o.oldlen, o.old.len()),
        (Err(E::ENOMEM), 1248, 192)
    );
    // Requests must be versioned nodes; a given tree version must be current.
    let cases: [(Vec<u8>, Res); 4] = [
        (NULL.to_vec(), Err(E::EINVAL)),
        (reqb(0, "", 0, |n| n.flags = 0), Err(E::EINVAL)),
        (reqb(0, "", 0, |n| n.ver = 5), Err(E::EINVAL)),
        (reqb(0, "", 0, |n| n.ver = 13), Ok(())),
    ];
    for (new, want) in cases {
        assert_eq!(res(&t, &r, &[CTL_QUERY], &new), want);
    }
}

#[test]
fn walking_errors() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    value(&t, "kern", "leaf", 0, SysctlValue::Int(1));
    let cases: [(&[i32], E); 10] = [
        (&[1, 999], E::ENOENT),
        (&[2, 5], E::ENOENT), // childless node
        (&[1, 1025, 3], E::ENOTDIR),
        (&[1, 1025, CTL_QUERY], E::ENOTDIR),
        (&[1; 13], E::EINVAL),
        (&[], E::EINVAL),
        (&[1], E::EINVAL), // nodes are queried, not read
        (&[1, -8], E::EOPNOTSUPP),
        (&[1, -4], E::EOPNOTSUPP), // CTL_CREATESYM
        (&[1, CTL_QUERY, 5], E::ENOENT),
    ];
    for (mib, e) in cases {
        assert_eq!(res(&t, &r, mib, NULL), Err(e), "{mib:?}");
    }
}

#[test]
fn ints_read_write_and_permissions() {
    let (t, r, u) = (SysctlTree::new(), Cred::root(), user());
    let rw = value(&t, "vendor", "rw", CTLFLAG_READWRITE, SysctlValue::Int(5));
    let ro = value(&t, "vendor", "ro", 0, SysctlValue::Int(6));
    let any = value(&t, "vendor", "any", 0xf0, SysctlValue::Int(0)); // READWRITE|ANYWRITE
    let o = sc(&t, &u, &rw, 4, NULL);
    assert_eq!((o.result, o.old, o.oldlen), (Ok(()), vec![5, 0, 0, 0], 4));
    // A write hands back the old value.
    let o = sc(&t, &r, &rw, 4, &7i32.to_le_bytes());
    assert_eq!((o.result, o.old, o.oldlen), (Ok(()), vec![5, 0, 0, 0], 4));
    assert_eq!(t.get("vendor.rw"), Ok(SysctlValue::Int(7)));
    assert_eq!(res(&t, &u, &rw, &[1, 0, 0, 0]), Err(E::EPERM));
    assert_eq!(res(&t, &r, &ro, &[1, 0, 0, 0]), Err(E::EPERM));
    assert_eq!(res(&t, &u, &any, &[9, 0, 0, 0]), Ok(()));
    assert_eq!(t.get("vendor.any"), Ok(SysctlValue::Int(9)));
    // Wrong size: EINVAL, but the old value was already copied out.
    let o = sc(&t, &r, &rw, 4, &[1, 0]);
    assert_eq!(
        (o.result, o.old, o.oldlen),
        (Err(E::EINVAL), vec![7, 0, 0, 0], 4)
    );
    assert_eq!(res(&t, &r, &rw, &[]), Ok(())); // newlen 0: a read
    assert_eq!(t.get("vendor.rw"), Ok(SysctlValue::Int(7)));
}

#[test]
fn quads_and_bools() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let q = value(
        &t,
        "vendor",
        "q",
        CTLFLAG_READWRITE,
        SysctlValue::Quad(1 << 40),
    );
    let b = value(
        &t,
        "vendor",
        "b",
        CTLFLAG_READWRITE,
        SysctlValue::Bool(true),
    );
    assert_eq!(sc(&t, &r, &q, 8, NULL).old, (1u64 << 40).to_le_bytes());
    assert_eq!(res(&t, &r, &q, &[0; 4]), Err(E::EINVAL));
    assert_eq!(res(&t, &r, &b, &[2]), Err(E::EINVAL));
    let o = sc(&t, &r, &b, 1, &[0]);
    assert_eq!((o.result, o.old), (Ok(()), vec![1]));
    assert_eq!(t.get("vendor.b"), Ok(SysctlValue::Bool(false)));
}

#[test]
fn strings_partial_reads_and_bounds() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let hello = NodeData::Value(SysctlValue::String("hello".into()));
    let mut spec = NodeSpec::new("s", CTLFLAG_READWRITE, "", hello);
    spec.max_len = Some(8);
    let s = t.create("vendor", spec).unwrap();
    let o = sc(&t, &r, &s, NONE, NULL);
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 6, 0));
    let o = sc(&t, &r, &s, 3, NULL);
    assert_eq!(
        (o.result, o.oldlen, o.old),
        (Err(E::ENOMEM), 6, b"hel".to_vec())
    );
    assert_eq!(sc(&t, &r, &s, 64, NULL).old, b"hello\0");
    let cases: [(&[u8], Res); 4] = [
        (b"abcdefgh", Err(E::EINVAL)), // fills the node without a NUL
        (b"abcdefghi", Err(E::EINVAL)),
        (b"abcdefg\0", Ok(())),
        (b"xy", Ok(())),
    ];
    for (new, want) in cases {
        assert_eq!(res(&t, &r, &s, new), want);
    }
    assert_eq!(sc(&t, &r, &s, 8, NULL).old, b"xy\0");
    assert_eq!(t.get("vendor.s"), Ok(SysctlValue::String("xy".into())));
    // Without max_len a string may not grow beyond its first value.
    value(&t, "vendor", "f", 0, SysctlValue::String("ab".into()));
    assert_eq!(
        t.set("vendor.f", SysctlValue::String("abc".into())),
        Err(E::EINVAL)
    );
    assert_eq!(t.set("vendor.f", SysctlValue::Int(1)), Err(E::EINVAL));
    assert_eq!(t.set("vendor.f", SysctlValue::String("z".into())), Ok(()));
}

#[test]
fn private_nodes() {
    let (t, r, u) = (SysctlTree::new(), Cred::root(), user());
    let p = t
        .create("vendor", node("p", 1, CTLFLAG_PRIVATE, ""))
        .unwrap();
    let e = t
        .create("vendor", node("e", 2, CTLFLAG_PRIVATE, ""))
        .unwrap();
    let leaf = value(&t, "vendor.p", "v", 0, SysctlValue::Int(3));
    let secret = value(&t, "vendor", "secret", CTLFLAG_PRIVATE, SysctlValue::Int(4));
    assert_eq!(query(&t, &u, &p), Err(E::EPERM));
    assert_eq!(query(&t, &r, &p).map(|v| v.len()), Ok(1));
    assert_eq!(res(&t, &u, &leaf, NULL), Err(E::EPERM));
    assert_eq!(res(&t, &u, &secret, NULL), Err(E::EPERM));
    assert_eq!(sc(&t, &r, &secret, 4, NULL).old, [4, 0, 0, 0]);
    // NetBSD checks privacy only when walking into children.
    assert_eq!(query(&t, &u, &e), Ok(vec![]));
}

#[test]
fn describe_records() {
    let (t, r, u) = (SysctlTree::new(), Cred::root(), user());
    // The top nodes have no descriptions, as in NetBSD's rump kernels.
    let all: usize = TOP
        .iter()
        .map(|(n, ..)| desc_record(*n, 0, None).len())
        .sum();
    let o = sc(&t, &u, &[CTL_DESCRIBE], NONE, NULL);
    assert_eq!((o.result, o.oldlen), (Ok(()), all));
    let o = sc(&t, &u, &[CTL_DESCRIBE], 4096, NULL);
    assert_eq!(o.old[..16], *b"\x01\0\0\0\x01\0\0\0\x01\0\0\0\0\0\0\0");
    // One node, by number in newp.
    let o = sc(&t, &u, &[CTL_DESCRIBE], 4096, &req(V, "", 0).emit());
    assert_eq!(o.old, desc_record(11, 11, None));
    assert_eq!(
        res(&t, &u, &[CTL_DESCRIBE], &req(77, "", 0).emit()),
        Err(E::ENOENT)
    );
    // Records that do not fit are skipped; later ones that do are copied.
    // (A kernel node gets no description: this one is given it as a
    // client's CTL_DESCRIBE would.)
    t.create("vendor", node("a", 1, 0, "")).unwrap();
    {
        let mut g = t.lock();
        let path = g.resolve("vendor.a").unwrap();
        g.node_mut(&path).desc = Some(b"a description of thirty bytes.".as_slice().into());
    }
    t.create("vendor", node("b", 2, 0, "")).unwrap();
    let o = sc(&t, &u, &[V, CTL_DESCRIBE], 20, NULL);
    assert_eq!((o.result, o.oldlen), (Err(E::ENOMEM), 44 + 16));
    assert_eq!(o.old, desc_record(2, 15, None));
    // NetBSD 7 inverts the privacy test: everyone but root sees these.
    t.create("vendor", node("p", 3, CTLFLAG_PRIVATE, "x"))
        .unwrap();
    let p = req(3, "", 0).emit();
    assert_eq!(sc(&t, &u, &[V, CTL_DESCRIBE], NONE, &p).oldlen, 16);
    assert_eq!(res(&t, &r, &[V, CTL_DESCRIBE], &p), Err(E::ENOENT));
    // A kernel node made with a description does not give it (the text
    // after the header is the NUL alone): NetBSD's rump kernels are built
    // without SYSCTL_INCLUDE_DESCR.
    t.create("vendor", node("d", 5, 0, "Vendor specific"))
        .unwrap();
    let o = sc(&t, &u, &[V, CTL_DESCRIBE], 4096, &req(5, "", 0).emit());
    assert_eq!(o.old.len(), desc_record(5, 0, None).len());
    assert_eq!(o.old[8..16], [1, 0, 0, 0, 0, 0, 0, 0]);
    t.create_path("vendor.e", "Vendor node").unwrap();
    let e = t.name_to_mib("vendor.e").unwrap()[1];
    let o = sc(&t, &u, &[V, CTL_DESCRIBE], 4096, &req(e, "", 0).emit());
    assert_eq!(o.old[8..16], [1, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn client_sets_a_description_once() {
    let (t, r, u) = (SysctlTree::new(), Cred::root(), user());
    let us = BufferSpace::new(0x1000, 64);
    us.poke(0x1000, b"set by client\0");
    let call = |c: &Cred, mib: &[i32], new: &[u8]| t.sysctl_user(c, mib, Some(96), Some(new), &us);
    let o = call(
        &r,
        &[V, CTL_CREATE],
        &req(CTL_CREATE, "n", CTLTYPE_NODE).emit(),
    );
    let num = NodeRepr::parse(&o.old).unwrap().num;
    let set = reqb(num, "", CTLFLAG_OWNDESC, |n| n.desc = 0x1000);
    assert_eq!(call(&u, &[V, CTL_DESCRIBE], &set).result, Err(E::EPERM));
    let o = call(&r, &[V, CTL_DESCRIBE], &set);
    assert_eq!(
        (o.result, &o.old[8..26]),
        (Ok(()), &b"\x0e\0\0\0set by client\0"[..])
    );
    assert_eq!(call(&r, &[V, CTL_DESCRIBE], &set).result, Err(E::EPERM)); // only once
    let n = query(&t, &r, &[V]).unwrap().pop().unwrap();
    assert_eq!(n.flags & CTLFLAG_OWNDESC, CTLFLAG_OWNDESC);
    let kern = reqb(1, "", 0, |n| n.desc = 0x1000);
    assert_eq!(call(&r, &[CTL_DESCRIBE], &kern).result, Err(E::EPERM)); // permanent
}

#[test]
fn client_create_and_destroy() {
    let (t, r, u) = (SysctlTree::new(), Cred::root(), user());
    let int_rw_imm = CTLTYPE_INT | CTLFLAG_READWRITE | CTLFLAG_IMMEDIATE;
    let foo = reqb(CTL_CREATE, "foo", int_rw_imm, |n| {
        n.set_immediate(&[42, 0, 0, 0])
    });
    let mk = [V, CTL_CREATE];
    assert_eq!(res(&t, &u, &mk, &foo), Err(E::EPERM));
    assert_eq!(res(&t, &r, &[1, CTL_CREATE], &foo), Err(E::EPERM)); // kern is read-only
    assert_eq!(res(&t, &r, &mk, NULL), Err(E::EINVAL));
    let o = sc(&t, &r, &mk, 96, &foo);
    assert_eq!((o.result, o.oldlen), (Ok(()), 96));
    let made = NodeRepr::parse(&o.old).unwrap();
    assert_eq!(
        (made.num, made.ver, made.qdata(), made.size),
        (1025, 14, 42, 4)
    );
    assert_eq!(made.flags, SYSCTL_VERSION | 0x872);
    assert_eq!(sc(&t, &u, &[V, 1025], 4, NULL).old, [42, 0, 0, 0]);
    assert_eq!(query(&t, &u, &[V]), Ok(vec![made.clone()]));
    let top = query(&t, &u, &[]).unwrap();
    assert_eq!((top[10].ver, top[10].qdata()), (14, 8 | 1 << 32)); // csize 8, clen 1
    // The same name again: EEXIST, answering the node in the way.
    let o = sc(&t, &r, &mk, 96, &foo);
    assert_eq!(
        (o.result, NodeRepr::parse(&o.old)),
        (Err(E::EEXIST), Ok(made))
    );
    let cases: [(Vec<u8>, E); 10] = [
        (reqb(CTL_CREATE, "1x", 1, |_| ()), E::EINVAL),
        (reqb(CTL_CREATE, "a.b", 1, |_| ()), E::EINVAL),
        (reqb(-9, "neg", 1, |_| ()), E::EINVAL),
        (
            reqb(CTL_CREATE, "p", 1 | CTLFLAG_PERMANENT, |_| ()),
            E::EPERM,
        ),
        (reqb(CTL_CREATE, "f", 2, |n| n.func = 1), E::EPERM),
        (reqb(CTL_CREATE, "n", 1, |n| n.size = 4), E::EINVAL),
        (reqb(CTL_CREATE, "i", 2, |_| ()), E::EINVAL), // no data at all
        (
            reqb(CTL_CREATE, "s", 5 | CTLFLAG_OWNDATA, |_| ()),
            E::EINVAL,
        ), // no size
        (reqb(CTL_CREATE, "t", 9, |_| ()), E::EINVAL),
        (reqb(CTL_CREATE, "k", 2, |n| n.un = [1; 16]), E::EFAULT), // a kernel address
    ];
    for (new, e) in cases {
        assert_eq!(res(&t, &r, &mk, &new), Err(e));
    }
    // Destroy: by number (and name, if given); answers the dead node.
    let rm = [V, CTL_DESTROY];
    let gone = req(1025, "foo", 0).emit();
    assert_eq!(res(&t, &u, &rm, &gone), Err(E::EPERM));
    assert_eq!(
        res(&t, &r, &rm, &req(1025, "bar", 0).emit()),
        Err(E::ENOENT)
    );
    let o = sc(&t, &r, &rm, 96, &gone);
    assert_eq!(
        (o.result, NodeRepr::parse(&o.old).unwrap().num),
        (Ok(()), 1025)
    );
    assert_eq!(res(&t, &u, &[V, 1025], NULL), Err(E::ENOENT));
    let top = query(&t, &u, &[]).unwrap();
    assert_eq!((top[10].ver, top[10].qdata()), (15, 0)); // no children, no slots
    // Kernel nodes are permanent; nodes with children stay.
    assert_eq!(
        res(&t, &r, &[CTL_DESTROY], &req(V, "", 0).emit()),
        Err(E::EPERM)
    );
    let dir = sc(&t, &r, &mk, 96, &req(CTL_CREATE, "d", 0x71).emit()); // READWRITE node
    assert_eq!(NodeRepr::parse(&dir.old).unwrap().num, 1026);
    let sub = req(5, "sub", CTLTYPE_NODE).emit();
    assert_eq!(res(&t, &r, &[V, 1026, CTL_CREATE], &sub), Ok(()));
    assert_eq!(
        res(&t, &r, &rm, &req(1026, "", 0).emit()),
        Err(E::ENOTEMPTY)
    );
}

#[test]
fn client_creates_owned_data_from_its_memory() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let us = BufferSpace::new(0x1000, 64);
    us.poke(0x1000, b"hi\0");
    us.poke(0x1010, &7u64.to_le_bytes());
    let mk = [V, CTL_CREATE];
    let ptr = |p: u64| move |n: &mut NodeRepr| n.un[..8].copy_from_slice(&p.to_le_bytes());
    let s = reqb(CTL_CREATE, "s", 0x473, ptr(0x1000)); // STRING|READWRITE|OWNDATA
    let o = t.sysctl_user(&r, &mk, None, Some(&s), &us);
    assert_eq!((o.result, o.oldlen), (Ok(()), 96));
    assert_eq!(t.get("vendor.s"), Ok(SysctlValue::String("hi".into())));
    let q = reqb(CTL_CREATE, "q", CTLTYPE_QUAD | CTLFLAG_OWNDATA, ptr(0x1010));
    assert_eq!(t.sysctl_user(&r, &mk, None, Some(&q), &us).result, Ok(()));
    assert_eq!(t.get("vendor.q"), Ok(SysctlValue::Quad(7)));
    // Without access to the caller's memory the pointer faults.
    let z = reqb(CTL_CREATE, "z", 0x473, ptr(0x1000));
    assert_eq!(res(&t, &r, &mk, &z), Err(E::EFAULT));
}

#[test]
fn child_slots_double_like_netbsd() {
    let t = SysctlTree::new();
    for i in 0..9 {
        value(&t, "vendor", &format!("v{i}"), 0, SysctlValue::Int(i));
    }
    assert_eq!(
        query(&t, &Cred::root(), &[]).unwrap()[10].qdata(),
        16 | 9 << 32
    );
}

#[test]
fn dynamic_nodes() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let n = Arc::new(AtomicI32::new(0));
    let (rn, wn) = (n.clone(), n.clone());
    let read: SysctlReader = Arc::new(move || SysctlValue::Int(rn.fetch_add(1, SeqCst)));
    let write: SysctlWriter = Arc::new(move |v: SysctlValue| match v {
        SysctlValue::Int(i) if i >= 0 => {
            wn.store(i, SeqCst);
            Ok(())
        }
        _ => Err(E::EINVAL),
    });
    let data = NodeData::Dynamic {
        read,
        write: Some(write),
    };
    let mib = t
        .create(
            "kern",
            NodeSpec::new("counter", CTLFLAG_READWRITE, "", data),
        )
        .unwrap();
    assert_eq!(sc(&t, &r, &mib, 4, NULL).old, [1, 0, 0, 0]); // create read it once
    assert_eq!(sc(&t, &r, &mib, 4, NULL).old, [2, 0, 0, 0]);
    let o = sc(&t, &r, &mib, 4, &100i32.to_le_bytes());
    assert_eq!((o.result, o.old), (Ok(()), vec![3, 0, 0, 0]));
    assert_eq!(t.get("kern.counter"), Ok(SysctlValue::Int(100)));
    assert_eq!(res(&t, &r, &mib, &(-1i32).to_le_bytes()), Err(E::EINVAL));
    assert_eq!(t.set("kern.counter", SysctlValue::Int(7)), Ok(()));
    assert_eq!(n.load(SeqCst), 7);
    assert_eq!(res(&t, &r, &[1, mib[1], CTL_QUERY], NULL), Err(E::EINVAL));
    let x: SysctlReader = Arc::new(|| SysctlValue::String("x".into()));
    let ro = NodeData::Dynamic {
        read: x,
        write: None,
    };
    let s = t
        .create("kern", NodeSpec::new("ro", CTLFLAG_READWRITE, "", ro))
        .unwrap();
    assert_eq!(sc(&t, &r, &s, 8, NULL).old, b"x\0");
    assert_eq!(res(&t, &r, &s, b"y\0"), Err(E::EPERM));
    let q = query(&t, &r, &[1]).unwrap();
    assert_eq!((q[1].size, q[1].flags & 0xf), (0, CTLTYPE_STRING)); // unbounded: size 0
}

#[test]
fn kernel_api() {
    let t = SysctlTree::new();
    for _ in 0..2 {
        let made = t.create_path("vfs.generic.foo", "Foo");
        assert_eq!(made.as_deref(), Ok(&[3, 1025, 1026][..]));
    }
    assert_eq!(t.name_to_mib("vfs.1025.foo"), Ok(vec![3, 1025, 1026]));
    assert_eq!(t.name_to_mib("vfs.nope"), Err(E::ENOENT));
    value(&t, "vfs.generic.foo", "leaf", 0, SysctlValue::Int(1));
    let long = "x".repeat(32);
    let cases: [(&str, NodeSpec, E); 6] = [
        ("vfs", node("generic", 5, 0, ""), E::EEXIST),
        ("vfs", node("x", 1025, 0, ""), E::EEXIST),
        ("nope", node("x", 5, 0, ""), E::ENOENT),
        ("", node(&long, 50, 0, ""), E::ENAMETOOLONG),
        ("", node("9x", 50, 0, ""), E::EINVAL),
        ("vfs.generic.foo.leaf", node("x", 5, 0, ""), E::ENOTDIR),
    ];
    for (parent, spec, e) in cases {
        assert_eq!(t.create(parent, spec), Err(e));
    }
    let s = NodeData::Value(SysctlValue::String("s".into()));
    assert_eq!(
        t.create("", NodeSpec::new("i", CTLFLAG_IMMEDIATE, "", s)),
        Err(E::EINVAL)
    );
    assert_eq!(t.create_path("vfs.generic.foo.leaf.x", ""), Err(E::ENOTDIR));
    assert_eq!(t.get("vfs.generic"), Err(E::EINVAL));
    assert_eq!(t.destroy("vfs.generic"), Err(E::ENOTEMPTY));
    assert_eq!(t.destroy("vfs.generic.foo.leaf"), Ok(()));
    assert_eq!(t.destroy("vfs.generic.foo"), Ok(()));
    assert_eq!(t.get("vfs.generic.foo.leaf"), Err(E::ENOENT));
    let mut st = NodeSpec::new(
        "st",
        0,
        "",
        NodeData::Value(SysctlValue::Struct(vec![1, 2])),
    );
    st.max_len = Some(4);
    t.create("vfs", st).unwrap();
    assert_eq!(t.get("vfs.st"), Ok(SysctlValue::Struct(vec![1, 2, 0, 0])));
    assert_eq!(
        t.set("vfs.st", SysctlValue::Struct(vec![1])),
        Err(E::EINVAL)
    );
}

#[test]
fn mmap_is_refused() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    assert_eq!(
        res(&t, &r, &[CTL_MMAP], &req(1, "", 0).emit()),
        Err(E::EOPNOTSUPP)
    );
    assert_eq!(
        res(&t, &r, &[CTL_MMAP], &req(99, "", 0).emit()),
        Err(E::ENOENT)
    );
    assert_eq!(res(&t, &r, &[CTL_MMAP], NULL), Err(E::EINVAL));
}

#[test]
fn garbage_requests_never_panic() {
    let (t, r) = (SysctlTree::new(), Cred::root());
    let mut seed = 0x1234_5678u32;
    for i in 0..3000 {
        let mut b = [0u8; 96];
        for x in b.iter_mut() {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            *x = (seed >> 16) as u8;
        }
        (b[0], b[3]) = (b[0] & 0x0f, 1); // mostly plausible, versioned creates
        let op = [CTL_QUERY, CTL_CREATE, CTL_DESTROY, CTL_MMAP, CTL_DESCRIBE][i % 5];
        let len = [96, 96, 95, 4, 0][(i / 5) % 5];
        let _ = sc(&t, &r, &[V, op], seed as usize % 300, &b[..len]);
    }
}

#[test]
fn tree_is_shareable() {
    fn shared<T: Send + Sync>() {}
    shared::<SysctlTree>();
}

#[test]
fn a_handler_node_answers_the_names_below_it() {
    let t = SysctlTree::new();
    let h: SysctlHandler = Arc::new(|rest: &[i32], _c: &Cred, _cap, new: Option<&[u8]>| {
        if new.is_some() {
            return Err(E::EPERM);
        }
        if rest.len() != 2 {
            return Err(E::EINVAL);
        }
        Ok(rest
            .iter()
            .flat_map(|n| n.to_le_bytes())
            .collect::<Vec<u8>>()
            .into())
    });
    let mib = t
        .create(
            "vendor",
            NodeSpec::new("table", 0, "", NodeData::Handler(h)),
        )
        .unwrap();
    let c = Cred::root();
    let o = sc(&t, &c, &[&mib[..], &[7, 9]].concat(), 64, NULL);
    assert_eq!(o.result, Ok(()));
    assert_eq!(o.old, [7, 0, 0, 0, 9, 0, 0, 0]);
    // No buffer: the length needed. A short one: what fits, and ENOMEM.
    assert_eq!(
        sc(&t, &c, &[&mib[..], &[7, 9]].concat(), NONE, NULL).oldlen,
        8
    );
    let o = sc(&t, &c, &[&mib[..], &[7, 9]].concat(), 5, NULL);
    assert_eq!((o.result, o.old.len(), o.oldlen), (Err(E::ENOMEM), 5, 8));
    assert_eq!(
        res(&t, &c, &[&mib[..], &[1]].concat(), NULL),
        Err(E::EINVAL)
    );
    assert_eq!(
        res(&t, &c, &[&mib[..], &[1, 2]].concat(), b"x"),
        Err(E::EPERM)
    );
    // It lists no children, and reads as a node.
    assert!(query(&t, &c, &mib).unwrap().is_empty());
    assert!(
        query(&t, &c, &[VENDOR])
            .unwrap()
            .iter()
            .any(|n| n.name_bytes() == b"table")
    );
    assert_eq!(t.get("vendor.table"), Err(E::EINVAL));
}

/// A subtree with fixed numbers below `top`: a node holding three nodes
/// with a writable leaf each, seven nodes in all.
fn seven_nodes(mut add: impl FnMut(&[i32], NodeSpec) -> KResult<Mib>, top: &[i32]) -> Res {
    let mid = add(top, node("mid", 2, 0, ""))?;
    for i in 1..=3 {
        let n = add(&mid, node(&format!("n{i}"), i, 0, ""))?;
        let v = NodeData::Value(SysctlValue::Int(i));
        let mut leaf = NodeSpec::new("leaf", CTLFLAG_READWRITE, "", v);
        leaf.num = Some(1);
        add(&n, leaf)?;
    }
    Ok(())
}

/// Every node below `mib` as CTL_QUERY hands it out, depth first, with
/// the values of the leaves.
fn dump(t: &SysctlTree, mib: &[i32]) -> Vec<Vec<u8>> {
    let r = Cred::root();
    let mut out = Vec::new();
    for n in query(t, &r, mib).unwrap() {
        out.push(n.emit().to_vec());
        let below = [mib, &[n.num]].concat();
        if n.flags & SYSCTL_TYPEMASK == CTLTYPE_NODE {
            out.extend(dump(t, &below));
        } else {
            out.push(sc(t, &r, &below, 64, NULL).old);
        }
    }
    out
}

/// Two trees: in one the subtree is made at once, in the other deferred;
/// `then` runs on both after.
fn eager_and_deferred(then: impl Fn(&SysctlTree)) -> (SysctlTree, SysctlTree) {
    let (eager, late) = (SysctlTree::new(), SysctlTree::new());
    let top = eager.create("proc", node("cur", 5, 0, "")).unwrap();
    seven_nodes(|p, s| eager.create_in(p, s), &top).unwrap();
    let top = late.create("proc", node("cur", 5, 0, "")).unwrap();
    let build: DeferredBuild = Box::new(move |b| seven_nodes(|p, s| b.create_in(p, s), &top));
    late.create_deferred(&top, 7, build).unwrap();
    for t in [&eager, &late] {
        then(t);
    }
    (eager, late)
}

#[test]
fn deferred_nodes_answer_as_if_made_at_once() {
    // Changes beside, above and elsewhere while the nodes wait.
    let (eager, late) = eager_and_deferred(|t| {
        t.create("proc", node("other", 7, 0, "")).unwrap();
        value(t, "kern", "x", 0, SysctlValue::Int(1));
        t.create_path("vendor.a.b", "").unwrap();
    });
    assert_eq!(late.lock_raw().deferred.len(), 1);
    assert_eq!(dump(&eager, &[]), dump(&late, &[]));
    assert!(late.lock_raw().deferred.is_empty());
    // The leaves are the tree's own: written and read back.
    let r = Cred::root();
    for t in [&eager, &late] {
        assert_eq!(res(t, &r, &[10, 5, 2, 3, 1], &7i32.to_ne_bytes()), Ok(()));
        assert_eq!(
            sc(t, &r, &[10, 5, 2, 3, 1], 4, NULL).old,
            7i32.to_ne_bytes()
        );
    }
}

#[test]
fn adding_below_deferred_nodes_makes_them_first() {
    let (eager, late) = eager_and_deferred(|t| {
        value(t, "proc.cur.mid.n2", "y", 0, SysctlValue::Int(2));
        t.create_path("proc.cur.mid.n1.deep", "").unwrap();
        t.create_in(&[10, 5, 2], node("n9", 9, 0, "")).unwrap();
    });
    assert_eq!(dump(&eager, &[]), dump(&late, &[]));
    // Names clash with the deferred ones as with made ones.
    let again = late.create_in(&[10, 5], node("mid", 3, 0, ""));
    assert_eq!(again.err(), Some(E::EEXIST));
}

#[test]
fn a_deferred_builder_stays_in_its_subtree() {
    let t = SysctlTree::new();
    let top = t.create("proc", node("cur", 5, 0, "")).unwrap();
    let outside: DeferredBuild = Box::new(|b| b.create_in(&[1], node("x", 3000, 0, "")).map(drop));
    t.create_deferred(&top, 1, outside)
        .unwrap_or_else(|e| panic!("{e:?}"));
    // Settling runs it; its node goes nowhere.
    assert!(!dump(&t, &[1]).iter().any(|n| n.get(8..10) == Some(b"x\0")));
    assert!(dump(&t, &[10, 5]).is_empty());
    // A deferral needs an empty interior node.
    let none: fn() -> DeferredBuild = || Box::new(|_| Ok(()));
    let leaf = value(&t, "vendor", "v", 0, SysctlValue::Int(1));
    assert_eq!(t.create_deferred(&leaf, 0, none()), Err(E::EINVAL));
    assert_eq!(t.create_deferred(&[], 0, none()), Err(E::EINVAL));
    assert_eq!(t.create_deferred(&[1, 9999], 0, none()), Err(E::ENOENT));
}
