//! The tree through the system call, as NetBSD's sysctl(8) drives it.

use super::wire::{NodeRepr, desc_record};
use super::*;
use crate::usermem::BufferSpace;
use std::sync::atomic::{AtomicI32, Ordering};

const VENDOR: i32 = 11;

fn user() -> Cred {
    Cred::root().set_uid(100).unwrap()
}

/// A request node as sysctl(8) builds one: zeroed, SYSCTL_VERSION set.
fn req(num: i32, name: &str, flags: u32) -> NodeRepr {
    let mut n = NodeRepr {
        flags: SYSCTL_VERSION | flags,
        num,
        ..NodeRepr::default()
    };
    n.set_name(name.as_bytes());
    n
}

fn call(
    t: &SysctlTree,
    c: &Cred,
    name: &[i32],
    cap: Option<usize>,
    new: Option<&[u8]>,
) -> SysctlOutcome {
    t.sysctl(c, name, cap, new)
}

fn query(t: &SysctlTree, c: &Cred, name: &[i32]) -> KResult<Vec<NodeRepr>> {
    let q = req(0, "", 0).emit();
    let mut mib = name.to_vec();
    mib.push(CTL_QUERY);
    let o = call(t, c, &mib, Some(4096), Some(&q));
    o.result?;
    Ok(o.old
        .chunks(NODE_LEN)
        .map(|b| NodeRepr::parse(b).unwrap())
        .collect())
}

fn value(t: &SysctlTree, parent: &str, name: &str, flags: u32, v: SysctlValue) -> Vec<i32> {
    t.create(parent, NodeSpec::new(name, flags, "", NodeData::Value(v)))
        .unwrap()
}

#[test]
fn top_level_query_is_netbsds() {
    let t = SysctlTree::new();
    let root = Cred::root();
    let q = req(0, "", 0).emit();
    let o = call(&t, &root, &[CTL_QUERY], Some(13 * 96), Some(&q));
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 1248, 1248));
    let mut kern = vec![0u8; 96];
    kern[..8].copy_from_slice(&[0x01, 0x02, 0x00, 0x01, 1, 0, 0, 0]);
    kern[8..12].copy_from_slice(b"kern");
    kern[40] = 1; // first node made, first version
    kern[64] = 96; // sizeof(struct sysctlnode)
    assert_eq!(&o.old[..96], &kern[..]);
    let vendor = NodeRepr::parse(&o.old[10 * 96..11 * 96]).unwrap();
    assert_eq!(
        (vendor.num, vendor.name_bytes(), vendor.flags),
        (11, &b"vendor"[..], 0x0100_0271)
    );
    // Sizing call, short buffer (whole records only), bad requests.
    let o = call(&t, &root, &[CTL_QUERY], None, Some(&q));
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 1248, 0));
    let o = call(&t, &root, &[CTL_QUERY], Some(200), Some(&q));
    assert_eq!(
        (o.result, o.oldlen, o.old.len()),
        (Err(Errno::ENOMEM), 1248, 192)
    );
    assert_eq!(
        call(&t, &root, &[CTL_QUERY], None, None).result,
        Err(Errno::EINVAL)
    );
    let v0 = NodeRepr {
        flags: 0,
        ..req(0, "", 0)
    }
    .emit();
    assert_eq!(
        call(&t, &root, &[CTL_QUERY], None, Some(&v0)).result,
        Err(Errno::EINVAL)
    );
    let stale = NodeRepr {
        ver: 5,
        ..req(0, "", 0)
    }
    .emit();
    assert_eq!(
        call(&t, &root, &[CTL_QUERY], None, Some(&stale)).result,
        Err(Errno::EINVAL)
    );
    let current = NodeRepr {
        ver: 13,
        ..req(0, "", 0)
    }
    .emit();
    assert_eq!(
        call(&t, &root, &[CTL_QUERY], None, Some(&current)).result,
        Ok(())
    );
}

#[test]
fn walking_errors() {
    let t = SysctlTree::new();
    let r = Cred::root();
    value(&t, "kern", "leaf", 0, SysctlValue::Int(1));
    let err = |name: &[i32]| call(&t, &r, name, None, None).result;
    assert_eq!(err(&[1, 999]), Err(Errno::ENOENT));
    assert_eq!(err(&[2, 5]), Err(Errno::ENOENT)); // childless node
    assert_eq!(err(&[1, 1025, 3]), Err(Errno::ENOTDIR));
    assert_eq!(err(&[1, 1025, CTL_QUERY]), Err(Errno::ENOTDIR));
    assert_eq!(err(&[1; 13]), Err(Errno::EINVAL));
    assert_eq!(err(&[]), Err(Errno::EINVAL));
    assert_eq!(err(&[1]), Err(Errno::EINVAL)); // nodes are queried, not read
    assert_eq!(err(&[1, -8]), Err(Errno::EOPNOTSUPP));
    assert_eq!(err(&[1, CTL_QUERY, 5]), Err(Errno::ENOENT));
    assert_eq!(err(&[1, CTL_CREATESYM]), Err(Errno::EOPNOTSUPP));
}

#[test]
fn ints_read_write_and_permissions() {
    let t = SysctlTree::new();
    let (r, u) = (Cred::root(), user());
    let rw = value(&t, "vendor", "rw", CTLFLAG_READWRITE, SysctlValue::Int(5));
    let ro = value(&t, "vendor", "ro", 0, SysctlValue::Int(6));
    let any = value(
        &t,
        "vendor",
        "any",
        CTLFLAG_READWRITE | CTLFLAG_ANYWRITE,
        SysctlValue::Int(0),
    );
    let o = call(&t, &u, &rw, Some(4), None);
    assert_eq!((o.result, o.old, o.oldlen), (Ok(()), vec![5, 0, 0, 0], 4));
    // A write hands back the old value.
    let o = call(&t, &r, &rw, Some(4), Some(&7i32.to_le_bytes()));
    assert_eq!((o.result, o.old, o.oldlen), (Ok(()), vec![5, 0, 0, 0], 4));
    assert_eq!(t.get("vendor.rw"), Ok(SysctlValue::Int(7)));
    assert_eq!(
        call(&t, &u, &rw, None, Some(&[1, 0, 0, 0])).result,
        Err(Errno::EPERM)
    );
    assert_eq!(
        call(&t, &r, &ro, None, Some(&[1, 0, 0, 0])).result,
        Err(Errno::EPERM)
    );
    assert_eq!(call(&t, &u, &any, None, Some(&[9, 0, 0, 0])).result, Ok(()));
    assert_eq!(t.get("vendor.any"), Ok(SysctlValue::Int(9)));
    // Wrong size: EINVAL, but the old value was already copied out.
    let o = call(&t, &r, &rw, Some(4), Some(&[1, 0]));
    assert_eq!(
        (o.result, o.old, o.oldlen),
        (Err(Errno::EINVAL), vec![7, 0, 0, 0], 4)
    );
    assert_eq!(call(&t, &r, &rw, None, Some(&[])).result, Ok(())); // newlen 0: a read
    assert_eq!(t.get("vendor.rw"), Ok(SysctlValue::Int(7)));
}

#[test]
fn quads_and_bools() {
    let t = SysctlTree::new();
    let r = Cred::root();
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
    assert_eq!(
        call(&t, &r, &q, Some(8), None).old,
        (1u64 << 40).to_le_bytes()
    );
    assert_eq!(
        call(&t, &r, &q, None, Some(&[0; 4])).result,
        Err(Errno::EINVAL)
    );
    assert_eq!(
        call(&t, &r, &b, Some(1), Some(&[2])).result,
        Err(Errno::EINVAL)
    );
    let o = call(&t, &r, &b, Some(1), Some(&[0]));
    assert_eq!((o.result, o.old), (Ok(()), vec![1]));
    assert_eq!(t.get("vendor.b"), Ok(SysctlValue::Bool(false)));
}

#[test]
fn strings_partial_reads_and_bounds() {
    let t = SysctlTree::new();
    let r = Cred::root();
    let spec = NodeSpec {
        max_len: Some(8),
        ..NodeSpec::new(
            "s",
            CTLFLAG_READWRITE,
            "",
            NodeData::Value(SysctlValue::String("hello".into())),
        )
    };
    let s = t.create("vendor", spec).unwrap();
    let o = call(&t, &r, &s, None, None);
    assert_eq!((o.result, o.oldlen, o.old.len()), (Ok(()), 6, 0));
    let o = call(&t, &r, &s, Some(3), None);
    assert_eq!(
        (o.result, o.oldlen, o.old),
        (Err(Errno::ENOMEM), 6, b"hel".to_vec())
    );
    assert_eq!(call(&t, &r, &s, Some(64), None).old, b"hello\0");
    assert_eq!(
        call(&t, &r, &s, None, Some(b"abcdefgh")).result,
        Err(Errno::EINVAL)
    );
    assert_eq!(
        call(&t, &r, &s, None, Some(b"abcdefghi")).result,
        Err(Errno::EINVAL)
    );
    assert_eq!(call(&t, &r, &s, None, Some(b"abcdefg\0")).result, Ok(()));
    assert_eq!(call(&t, &r, &s, None, Some(b"xy")).result, Ok(()));
    assert_eq!(call(&t, &r, &s, Some(8), None).old, b"xy\0");
    assert_eq!(t.get("vendor.s"), Ok(SysctlValue::String("xy".into())));
    // Without max_len a string may not grow beyond its first value.
    value(
        &t,
        "vendor",
        "fixed",
        CTLFLAG_READWRITE,
        SysctlValue::String("ab".into()),
    );
    assert_eq!(
        t.set("vendor.fixed", SysctlValue::String("abc".into())),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        t.set("vendor.fixed", SysctlValue::Int(1)),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        t.set("vendor.fixed", SysctlValue::String("z".into())),
        Ok(())
    );
}

#[test]
fn private_nodes() {
    let t = SysctlTree::new();
    let (r, u) = (Cred::root(), user());
    let p = t
        .create(
            "vendor",
            NodeSpec::new("p", CTLFLAG_PRIVATE, "", NodeData::Node),
        )
        .unwrap();
    let e = t
        .create(
            "vendor",
            NodeSpec::new("e", CTLFLAG_PRIVATE, "", NodeData::Node),
        )
        .unwrap();
    let leaf = value(&t, "vendor.p", "v", 0, SysctlValue::Int(3));
    let secret = value(&t, "vendor", "secret", CTLFLAG_PRIVATE, SysctlValue::Int(4));
    assert_eq!(query(&t, &u, &p), Err(Errno::EPERM));
    assert_eq!(query(&t, &r, &p).map(|v| v.len()), Ok(1));
    assert_eq!(call(&t, &u, &leaf, Some(4), None).result, Err(Errno::EPERM));
    assert_eq!(
        call(&t, &u, &secret, Some(4), None).result,
        Err(Errno::EPERM)
    );
    assert_eq!(call(&t, &r, &secret, Some(4), None).old, [4, 0, 0, 0]);
    // NetBSD checks privacy only when walking into children.
    assert_eq!(query(&t, &u, &e), Ok(vec![]));
}

#[test]
fn describe_records() {
    let t = SysctlTree::new();
    let (r, u) = (Cred::root(), user());
    let all: usize = TOP
        .iter()
        .map(|(n, _, d)| desc_record(*n, 0, Some(d.as_bytes())).len())
        .sum();
    let o = call(&t, &u, &[CTL_DESCRIBE], None, None);
    assert_eq!((o.result, o.oldlen), (Ok(()), all));
    let o = call(&t, &u, &[CTL_DESCRIBE], Some(4096), None);
    let mut kern = vec![1, 0, 0, 0, 1, 0, 0, 0, 12, 0, 0, 0];
    kern.extend_from_slice(b"High kernel\0");
    assert_eq!(&o.old[..24], &kern[..]);
    // One node, by number in newp.
    let one = req(VENDOR, "", 0).emit();
    let o = call(&t, &u, &[CTL_DESCRIBE], Some(4096), Some(&one));
    assert_eq!(o.old, desc_record(11, 11, Some(b"Vendor specific")));
    let none = req(77, "", 0).emit();
    assert_eq!(
        call(&t, &u, &[CTL_DESCRIBE], Some(4096), Some(&none)).result,
        Err(Errno::ENOENT)
    );
    // Records that do not fit are skipped; later ones that do are copied.
    let long = "a description of thirty bytes.";
    t.create(
        "vendor",
        NodeSpec {
            num: Some(1),
            ..NodeSpec::new("a", 0, long, NodeData::Node)
        },
    )
    .unwrap();
    t.create(
        "vendor",
        NodeSpec {
            num: Some(2),
            ..NodeSpec::new("b", 0, "", NodeData::Node)
        },
    )
    .unwrap();
    let o = call(&t, &u, &[VENDOR, CTL_DESCRIBE], Some(20), None);
    assert_eq!((o.result, o.oldlen), (Err(Errno::ENOMEM), 44 + 16));
    assert_eq!(o.old, desc_record(2, 15, None));
    // NetBSD 7 inverts the privacy test: everyone but root sees these.
    t.create(
        "vendor",
        NodeSpec {
            num: Some(3),
            ..NodeSpec::new("p", CTLFLAG_PRIVATE, "x", NodeData::Node)
        },
    )
    .unwrap();
    let p = req(3, "", 0).emit();
    assert_eq!(
        call(&t, &u, &[VENDOR, CTL_DESCRIBE], None, Some(&p)).oldlen,
        16
    );
    assert_eq!(
        call(&t, &r, &[VENDOR, CTL_DESCRIBE], None, Some(&p)).result,
        Err(Errno::ENOENT)
    );
}

#[test]
fn client_sets_a_description_once() {
    let t = SysctlTree::new();
    let (r, u) = (Cred::root(), user());
    let us = BufferSpace::new(0x1000, 64);
    us.poke(0x1000, b"set by client\0");
    let mk = req(CTL_CREATE, "n", CTLTYPE_NODE | CTLFLAG_READWRITE).emit();
    let o = t.sysctl_user(&r, &[VENDOR, CTL_CREATE], Some(96), Some(&mk), &us);
    let num = NodeRepr::parse(&o.old).unwrap().num;
    let set = NodeRepr {
        desc: 0x1000,
        ..req(num, "", CTLFLAG_OWNDESC)
    }
    .emit();
    let denied = t.sysctl_user(&u, &[VENDOR, CTL_DESCRIBE], Some(64), Some(&set), &us);
    assert_eq!(denied.result, Err(Errno::EPERM));
    let o = t.sysctl_user(&r, &[VENDOR, CTL_DESCRIBE], Some(64), Some(&set), &us);
    assert_eq!(o.result, Ok(()));
    assert_eq!(&o.old[8..26], b"\x0e\0\0\0set by client\0");
    let again = t.sysctl_user(&r, &[VENDOR, CTL_DESCRIBE], Some(64), Some(&set), &us);
    assert_eq!(again.result, Err(Errno::EPERM));
    let n = query(&t, &r, &[VENDOR]).unwrap().pop().unwrap();
    assert_eq!(n.flags & CTLFLAG_OWNDESC, CTLFLAG_OWNDESC);
    let kern = NodeRepr {
        desc: 0x1000,
        ..req(1, "", 0)
    }
    .emit();
    let o = t.sysctl_user(&r, &[CTL_DESCRIBE], Some(64), Some(&kern), &us);
    assert_eq!(o.result, Err(Errno::EPERM)); // permanent
}

#[test]
fn client_create_and_destroy() {
    let t = SysctlTree::new();
    let (r, u) = (Cred::root(), user());
    let mut foo = req(
        CTL_CREATE,
        "foo",
        CTLTYPE_INT | CTLFLAG_READWRITE | CTLFLAG_IMMEDIATE,
    );
    foo.set_immediate(&42i32.to_le_bytes());
    let foo = foo.emit();
    assert_eq!(
        call(&t, &u, &[VENDOR, CTL_CREATE], Some(96), Some(&foo)).result,
        Err(Errno::EPERM)
    );
    assert_eq!(
        call(&t, &r, &[1, CTL_CREATE], Some(96), Some(&foo)).result,
        Err(Errno::EPERM)
    );
    assert_eq!(
        call(&t, &r, &[VENDOR, CTL_CREATE], Some(96), None).result,
        Err(Errno::EINVAL)
    );
    let o = call(&t, &r, &[VENDOR, CTL_CREATE], Some(96), Some(&foo));
    assert_eq!((o.result, o.oldlen), (Ok(()), 96));
    let made = NodeRepr::parse(&o.old).unwrap();
    assert_eq!(
        (made.num, made.ver, made.idata(), made.size),
        (1025, 14, 42, 4)
    );
    assert_eq!(made.flags, SYSCTL_VERSION | 0x872);
    assert_eq!(
        call(&t, &u, &[VENDOR, 1025], Some(4), None).old,
        [42, 0, 0, 0]
    );
    let listed = query(&t, &u, &[VENDOR]).unwrap();
    assert_eq!(listed, vec![made.clone()]);
    let top = query(&t, &u, &[]).unwrap();
    assert_eq!((top[10].ver, top[10].qdata()), (14, 8 | 1 << 32)); // csize 8, clen 1
    // The same name again: EEXIST with the node in the way.
    let o = call(&t, &r, &[VENDOR, CTL_CREATE], Some(96), Some(&foo));
    assert_eq!(
        (o.result, NodeRepr::parse(&o.old).unwrap()),
        (Err(Errno::EEXIST), made)
    );
    let bad = |n: NodeRepr| call(&t, &r, &[VENDOR, CTL_CREATE], None, Some(&n.emit())).result;
    assert_eq!(bad(req(CTL_CREATE, "1x", CTLTYPE_NODE)), Err(Errno::EINVAL));
    assert_eq!(
        bad(req(CTL_CREATE, "a.b", CTLTYPE_NODE)),
        Err(Errno::EINVAL)
    );
    assert_eq!(bad(req(-9, "neg", CTLTYPE_NODE)), Err(Errno::EINVAL));
    assert_eq!(
        bad(req(CTL_CREATE, "p", CTLTYPE_NODE | CTLFLAG_PERMANENT)),
        Err(Errno::EPERM)
    );
    assert_eq!(
        bad(NodeRepr {
            func: 1,
            ..req(CTL_CREATE, "f", CTLTYPE_INT)
        }),
        Err(Errno::EPERM)
    );
    assert_eq!(
        bad(NodeRepr {
            size: 4,
            ..req(CTL_CREATE, "n", CTLTYPE_NODE)
        }),
        Err(Errno::EINVAL)
    );
    assert_eq!(bad(req(CTL_CREATE, "i", CTLTYPE_INT)), Err(Errno::EINVAL)); // no data at all
    assert_eq!(
        bad(req(CTL_CREATE, "s", CTLTYPE_STRUCT | CTLFLAG_OWNDATA)),
        Err(Errno::EINVAL)
    );
    assert_eq!(bad(req(CTL_CREATE, "t", 9)), Err(Errno::EINVAL));
    let kptr = NodeRepr {
        un: [1; 16],
        ..req(CTL_CREATE, "k", CTLTYPE_INT)
    };
    assert_eq!(bad(kptr), Err(Errno::EFAULT));
    // Destroy: by number (and name, if given); answers the dead node.
    let gone = req(1025, "foo", 0).emit();
    assert_eq!(
        call(&t, &u, &[VENDOR, CTL_DESTROY], None, Some(&gone)).result,
        Err(Errno::EPERM)
    );
    let wrong = req(1025, "bar", 0).emit();
    assert_eq!(
        call(&t, &r, &[VENDOR, CTL_DESTROY], None, Some(&wrong)).result,
        Err(Errno::ENOENT)
    );
    let o = call(&t, &r, &[VENDOR, CTL_DESTROY], Some(96), Some(&gone));
    assert_eq!(
        (o.result, NodeRepr::parse(&o.old).unwrap().num),
        (Ok(()), 1025)
    );
    assert_eq!(
        call(&t, &u, &[VENDOR, 1025], Some(4), None).result,
        Err(Errno::ENOENT)
    );
    let top = query(&t, &u, &[]).unwrap();
    assert_eq!((top[10].ver, top[10].qdata()), (15, 0)); // no children, no slots
    // Kernel nodes are permanent; nodes with children stay.
    let vendor = req(VENDOR, "", 0).emit();
    assert_eq!(
        call(&t, &r, &[CTL_DESTROY], None, Some(&vendor)).result,
        Err(Errno::EPERM)
    );
    let dir = req(CTL_CREATE, "dir", CTLTYPE_NODE | CTLFLAG_READWRITE).emit();
    let dir =
        NodeRepr::parse(&call(&t, &r, &[VENDOR, CTL_CREATE], Some(96), Some(&dir)).old).unwrap();
    assert_eq!(dir.num, 1026);
    let sub = req(5, "sub", CTLTYPE_NODE).emit();
    assert_eq!(
        call(&t, &r, &[VENDOR, 1026, CTL_CREATE], None, Some(&sub)).result,
        Ok(())
    );
    let o = call(
        &t,
        &r,
        &[VENDOR, CTL_DESTROY],
        None,
        Some(&req(1026, "", 0).emit()),
    );
    assert_eq!(o.result, Err(Errno::ENOTEMPTY));
}

#[test]
fn client_creates_owned_data_from_its_memory() {
    let t = SysctlTree::new();
    let r = Cred::root();
    let us = BufferSpace::new(0x1000, 64);
    us.poke(0x1000, b"hi\0");
    us.poke(0x1010, &7u64.to_le_bytes());
    let mut s = req(
        CTL_CREATE,
        "s",
        CTLTYPE_STRING | CTLFLAG_READWRITE | CTLFLAG_OWNDATA,
    );
    s.un[..8].copy_from_slice(&0x1000u64.to_le_bytes());
    let o = t.sysctl_user(&r, &[VENDOR, CTL_CREATE], None, Some(&s.emit()), &us);
    assert_eq!((o.result, o.oldlen), (Ok(()), 96));
    assert_eq!(t.get("vendor.s"), Ok(SysctlValue::String("hi".into())));
    let mut q = NodeRepr {
        size: 8,
        ..req(CTL_CREATE, "q", CTLTYPE_QUAD | CTLFLAG_OWNDATA)
    };
    q.un[..8].copy_from_slice(&0x1010u64.to_le_bytes());
    assert_eq!(
        t.sysctl_user(&r, &[VENDOR, CTL_CREATE], None, Some(&q.emit()), &us)
            .result,
        Ok(())
    );
    assert_eq!(t.get("vendor.q"), Ok(SysctlValue::Quad(7)));
    // Without access to the caller's memory the pointer faults.
    let o = call(
        &t,
        &r,
        &[VENDOR, CTL_CREATE],
        None,
        Some(&req(0, "z", 0).emit()),
    );
    assert_eq!(o.result, Err(Errno::EINVAL)); // type 0
    let mut z = req(CTL_CREATE, "z", CTLTYPE_STRING | CTLFLAG_OWNDATA);
    z.un[0] = 1;
    assert_eq!(
        call(&t, &r, &[VENDOR, CTL_CREATE], None, Some(&z.emit())).result,
        Err(Errno::EFAULT)
    );
}

#[test]
fn child_slots_double_like_netbsd() {
    let t = SysctlTree::new();
    for i in 0..9 {
        value(&t, "vendor", &format!("v{i}"), 0, SysctlValue::Int(i));
    }
    let top = query(&t, &Cred::root(), &[]).unwrap();
    assert_eq!(top[10].qdata(), 16 | 9 << 32);
}

#[test]
fn dynamic_nodes() {
    let t = SysctlTree::new();
    let r = Cred::root();
    let n = Arc::new(AtomicI32::new(0));
    let (rn, wn) = (n.clone(), n.clone());
    let data = NodeData::Dynamic {
        read: Arc::new(move || SysctlValue::Int(rn.fetch_add(1, Ordering::SeqCst))),
        write: Some(Arc::new(move |v| match v {
            SysctlValue::Int(i) if i >= 0 => {
                wn.store(i, Ordering::SeqCst);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        })),
    };
    let mib = t
        .create(
            "kern",
            NodeSpec::new("counter", CTLFLAG_READWRITE, "", data),
        )
        .unwrap();
    assert_eq!(call(&t, &r, &mib, Some(4), None).old, [1, 0, 0, 0]); // create read it once
    assert_eq!(call(&t, &r, &mib, Some(4), None).old, [2, 0, 0, 0]);
    let o = call(&t, &r, &mib, Some(4), Some(&100i32.to_le_bytes()));
    assert_eq!((o.result, o.old), (Ok(()), vec![3, 0, 0, 0]));
    assert_eq!(t.get("kern.counter"), Ok(SysctlValue::Int(100)));
    assert_eq!(
        call(&t, &r, &mib, None, Some(&(-1i32).to_le_bytes())).result,
        Err(Errno::EINVAL)
    );
    assert_eq!(t.set("kern.counter", SysctlValue::Int(7)), Ok(()));
    assert_eq!(n.load(Ordering::SeqCst), 7);
    let mut deeper = mib.clone();
    deeper.push(CTL_QUERY);
    assert_eq!(call(&t, &r, &deeper, None, None).result, Err(Errno::EINVAL));
    let ro = NodeData::Dynamic {
        read: Arc::new(|| SysctlValue::String("x".into())),
        write: None,
    };
    let s = t
        .create("kern", NodeSpec::new("ro", CTLFLAG_READWRITE, "", ro))
        .unwrap();
    assert_eq!(call(&t, &r, &s, Some(8), None).old, b"x\0");
    assert_eq!(
        call(&t, &r, &s, None, Some(b"y\0")).result,
        Err(Errno::EPERM)
    );
    let q = query(&t, &r, &[1]).unwrap();
    assert_eq!((q[1].size, q[1].flags & 0xf), (0, CTLTYPE_STRING)); // no bound: size 0
}

#[test]
fn kernel_api() {
    let t = SysctlTree::new();
    assert_eq!(
        t.create_path("vfs.generic.foo", "Foo"),
        Ok(vec![3, 1025, 1026])
    );
    assert_eq!(
        t.create_path("vfs.generic.foo", "Foo"),
        Ok(vec![3, 1025, 1026])
    );
    assert_eq!(t.name_to_mib("vfs.1025.foo"), Ok(vec![3, 1025, 1026]));
    assert_eq!(t.name_to_mib("vfs.nope"), Err(Errno::ENOENT));
    let node = |n: &str| NodeSpec::new(n, 0, "", NodeData::Node);
    assert_eq!(t.create("vfs", node("generic")), Err(Errno::EEXIST));
    assert_eq!(
        t.create(
            "vfs",
            NodeSpec {
                num: Some(1025),
                ..node("x")
            }
        ),
        Err(Errno::EEXIST)
    );
    assert_eq!(t.create("nope", node("x")), Err(Errno::ENOENT));
    assert_eq!(
        t.create("", node(&"x".repeat(32))),
        Err(Errno::ENAMETOOLONG)
    );
    assert_eq!(t.create("", node("9x")), Err(Errno::EINVAL));
    let imm = NodeSpec::new(
        "i",
        CTLFLAG_IMMEDIATE,
        "",
        NodeData::Value(SysctlValue::String("s".into())),
    );
    assert_eq!(t.create("", imm), Err(Errno::EINVAL));
    value(&t, "vfs.generic.foo", "leaf", 0, SysctlValue::Int(1));
    assert_eq!(
        t.create("vfs.generic.foo.leaf", node("x")),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        t.create_path("vfs.generic.foo.leaf.x", ""),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(t.get("vfs.generic"), Err(Errno::EINVAL));
    assert_eq!(t.destroy("vfs.generic"), Err(Errno::ENOTEMPTY));
    assert_eq!(t.destroy("vfs.generic.foo.leaf"), Ok(()));
    assert_eq!(t.destroy("vfs.generic.foo"), Ok(()));
    assert_eq!(t.get("vfs.generic.foo.leaf"), Err(Errno::ENOENT));
    let st = NodeSpec {
        max_len: Some(4),
        ..NodeSpec::new(
            "st",
            0,
            "",
            NodeData::Value(SysctlValue::Struct(vec![1, 2])),
        )
    };
    t.create("vfs", st).unwrap();
    assert_eq!(t.get("vfs.st"), Ok(SysctlValue::Struct(vec![1, 2, 0, 0])));
    assert_eq!(
        t.set("vfs.st", SysctlValue::Struct(vec![1])),
        Err(Errno::EINVAL)
    );
}

#[test]
fn mmap_is_refused() {
    let t = SysctlTree::new();
    let r = Cred::root();
    let kern = req(1, "", 0).emit();
    assert_eq!(
        call(&t, &r, &[CTL_MMAP], None, Some(&kern)).result,
        Err(Errno::EOPNOTSUPP)
    );
    let none = req(99, "", 0).emit();
    assert_eq!(
        call(&t, &r, &[CTL_MMAP], None, Some(&none)).result,
        Err(Errno::ENOENT)
    );
    assert_eq!(
        call(&t, &r, &[CTL_MMAP], None, None).result,
        Err(Errno::EINVAL)
    );
}

#[test]
fn garbage_requests_never_panic() {
    let t = SysctlTree::new();
    let r = Cred::root();
    let mut seed = 0x1234_5678u32;
    for i in 0..2000 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let mut b = vec![0u8; 96];
        for (j, x) in b.iter_mut().enumerate() {
            *x = (seed.rotate_left(j as u32) >> 3) as u8;
        }
        b[3] = 1; // most pass the version check
        let op = [CTL_QUERY, CTL_CREATE, CTL_DESTROY, CTL_MMAP, CTL_DESCRIBE][i % 5];
        let len = [96, 96, 95, 4, 0][(i / 5) % 5];
        let _ = call(
            &t,
            &r,
            &[VENDOR, op],
            Some(seed as usize % 300),
            Some(&b[..len]),
        );
    }
}
