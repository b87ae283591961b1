//! The sysctl tree as NetBSD's `sysctl(8)` sees it: every request made by
//! number through `__sysctl`, and every `struct sysctlnode` decoded here from
//! the offsets in `netbsd_abi::layout`, not by the kernel's own encoder.

mod common;

use netbsd_abi::layout::{sysctldesc, sysctlnode};
use netbsd_abi::{CTL_KERN, CTL_VENDOR, KERN_HOSTNAME};
use rump::Errno;
use rump::usermem::BufferSpace;

const BASE: u64 = 0x100000;
const NAME: u64 = BASE;
const OLDLEN: u64 = BASE + 0x100;
const NEW: u64 = BASE + 0x200;
const OLD: u64 = BASE + 0x1000;
const OLD_SIZE: usize = 0x10000;

const CTL_QUERY: i32 = netbsd_abi::CTL_QUERY;
const CTL_CREATE: i32 = netbsd_abi::CTL_CREATE;
const CTL_DESTROY: i32 = netbsd_abi::CTL_DESTROY;
const CTL_DESCRIBE: i32 = netbsd_abi::CTL_DESCRIBE;
const SYSCTL_VERSION: u32 = netbsd_abi::SYSCTL_VERSION as u32;
const CTLTYPE_NODE: u32 = netbsd_abi::CTLTYPE_NODE as u32;
const CTLTYPE_INT: u32 = netbsd_abi::CTLTYPE_INT as u32;
const CTLTYPE_STRING: u32 = netbsd_abi::CTLTYPE_STRING as u32;
const CTLTYPE_QUAD: u32 = netbsd_abi::CTLTYPE_QUAD as u32;
const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;
const CTLFLAG_IMMEDIATE: u32 = netbsd_abi::CTLFLAG_IMMEDIATE as u32;
const SYSCTL_TYPEMASK: u32 = netbsd_abi::SYSCTL_TYPEMASK as u32;
/// `sizeof(struct sysctlnode)`.
const NODE: usize = sysctlnode::SIZE;

/// The bytes of `f` in the record `rec`.
fn at(rec: &[u8], f: netbsd_abi::Field) -> &[u8] {
    &rec[f.range()]
}

/// One `struct sysctlnode` record.
struct Node {
    flags: u32,
    num: i32,
    name: String,
}

fn decode(rec: &[u8]) -> Node {
    let name = at(rec, sysctlnode::sysctl_name);
    let end = name.iter().position(|&b| b == 0).unwrap();
    Node {
        flags: u32::from_le_bytes(at(rec, sysctlnode::sysctl_flags).try_into().unwrap()),
        num: i32::from_le_bytes(at(rec, sysctlnode::sysctl_num).try_into().unwrap()),
        name: String::from_utf8(name[..end].to_vec()).unwrap(),
    }
}

fn query_node(flags: u32) -> [u8; NODE] {
    let mut n = [0u8; NODE];
    n[sysctlnode::sysctl_flags.range()].copy_from_slice(&(SYSCTL_VERSION | flags).to_le_bytes());
    n
}

/// Set `node`'s `sysctl_num`.
fn set_num(node: &mut [u8], num: i32) {
    node[sysctlnode::sysctl_num.range()].copy_from_slice(&num.to_le_bytes());
}

/// `__sysctl(name, oldp, &oldlen, newp, newlen)` by number; returns the
/// result and the bytes the kernel wrote to oldp.
fn sysctl(
    k: &rump::Kernel,
    us: &BufferSpace,
    name: &[i32],
    new: Option<&[u8]>,
) -> (Result<(), Errno>, Vec<u8>) {
    sysctl_sized(k, us, name, new, OLD_SIZE)
}

/// [`sysctl`] with a buffer of `cap` bytes for the old value.
fn sysctl_sized(
    k: &rump::Kernel,
    us: &BufferSpace,
    name: &[i32],
    new: Option<&[u8]>,
    cap: usize,
) -> (Result<(), Errno>, Vec<u8>) {
    let raw: Vec<u8> = name.iter().flat_map(|n| n.to_le_bytes()).collect();
    us.poke(NAME, &raw);
    us.poke(OLDLEN, &(cap.min(OLD_SIZE) as u64).to_le_bytes());
    let (newp, newlen) = match new {
        Some(b) => {
            us.poke(NEW, b);
            (NEW, b.len() as u64)
        }
        None => (0, 0),
    };
    let r = k
        .syscall(
            netbsd_abi::SYS___sysctl,
            &[NAME, name.len() as u64, OLD, OLDLEN, newp, newlen],
            us,
        )
        .map(drop);
    let len = u64::from_le_bytes(us.peek(OLDLEN, 8).try_into().unwrap()) as usize;
    (r, us.peek(OLD, len.min(OLD_SIZE)))
}

fn walk(k: &rump::Kernel, us: &BufferSpace, mib: &mut Vec<i32>, path: &str, out: &mut Vec<String>) {
    let mut q = mib.clone();
    q.push(CTL_QUERY);
    let (r, bytes) = sysctl(k, us, &q, Some(&query_node(0)));
    r.unwrap();
    assert_eq!(bytes.len() % NODE, 0);
    for rec in bytes.chunks(NODE) {
        let n = decode(rec);
        let full = if path.is_empty() {
            n.name.clone()
        } else {
            format!("{path}.{}", n.name)
        };
        mib.push(n.num);
        match n.flags & SYSCTL_TYPEMASK {
            CTLTYPE_NODE => walk(k, us, mib, &full, out),
            t => {
                // As sysctl(8): numbers are read with a buffer of their
                // size (kern.arandom answers as much as it is given room).
                let cap = match t {
                    CTLTYPE_INT => 4,
                    CTLTYPE_QUAD => 8,
                    _ => OLD_SIZE,
                };
                let (r, v) = sysctl_sized(k, us, mib, None, cap);
                r.unwrap();
                let value = match t {
                    CTLTYPE_INT => i32::from_le_bytes(v[..4].try_into().unwrap()).to_string(),
                    CTLTYPE_QUAD => u64::from_le_bytes(v[..8].try_into().unwrap()).to_string(),
                    CTLTYPE_STRING => {
                        String::from_utf8_lossy(v.split(|&b| b == 0).next().unwrap()).into_owned()
                    }
                    _ => format!("{} bytes", v.len()),
                };
                out.push(format!("{full} = {value}"));
            }
        }
        mib.pop();
    }
}

fn kernel() -> std::sync::Arc<rump::Kernel> {
    let cfg = rump::BootConfig {
        ncpu: 2,
        ..rump::BootConfig::default()
    };
    rump::KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap()
}

#[test]
fn walking_the_tree_lists_every_value() {
    let k = kernel();
    let us = BufferSpace::new(BASE, 0x20000);
    let mut lines = Vec::new();
    walk(&k, &us, &mut Vec::new(), "", &mut lines);
    for want in [
        "kern.ostype = NetBSD",
        "kern.osrelease = 7.99.34",
        "hw.ncpu = 2",
        "kern.maxvnodes = 1024",
        "vfs.generic.fstypes = rumpfs",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want:?} in {lines:#?}"
        );
    }
    assert!(lines.iter().any(|l| l.starts_with("kern.hostname = ")));
}

#[test]
fn describe_create_and_destroy_as_sysctl8_does() {
    let k = kernel();
    let us = BufferSpace::new(BASE, 0x20000);

    // CTL_DESCRIBE on kern, asking for one node (KERN_HOSTNAME).
    let mut want = query_node(0);
    set_num(&mut want, KERN_HOSTNAME);
    let (r, d) = sysctl(&k, &us, &[CTL_KERN, CTL_DESCRIBE], Some(&want));
    r.unwrap();
    // struct sysctldesc: num, ver, len (including the NUL), then the
    // text: none, as NetBSD's rump kernels are built without descriptions.
    assert_eq!(
        sysctldesc::descr_num.get(&d),
        Some(u64::from(KERN_HOSTNAME as u32))
    );
    let len = sysctldesc::descr_len.get(&d).unwrap() as usize;
    let text = sysctldesc::descr_str.offset;
    assert_eq!(&d[text..text + len], b"\0");

    // `sysctl -w //create=vendor.rumptest,type=int,value=5`: an immediate
    // int under vendor, number chosen by the kernel.
    let mut node = query_node(CTLTYPE_INT | CTLFLAG_READWRITE | CTLFLAG_IMMEDIATE);
    set_num(&mut node, CTL_CREATE);
    let name = sysctlnode::sysctl_name.offset;
    node[name..name + 8].copy_from_slice(b"rumptest");
    sysctlnode::sysctl_un__scu_idata.put(&mut node, 5);
    sysctlnode::_sysctl_size.put(&mut node, 4);
    let (r, created) = sysctl(&k, &us, &[CTL_VENDOR, CTL_CREATE], Some(&node));
    r.unwrap();
    let made = decode(&created);
    assert_eq!(made.name, "rumptest");
    assert!(made.num >= 0);
    let (r, v) = sysctl(&k, &us, &[CTL_VENDOR, made.num], None);
    r.unwrap();
    assert_eq!(v, 5i32.to_le_bytes());
    // Write it by number as a user would, then read it through the kernel API.
    let (r, _) = sysctl(&k, &us, &[CTL_VENDOR, made.num], Some(&9i32.to_le_bytes()));
    r.unwrap();
    assert_eq!(
        k.sysctl().get("vendor.rumptest").unwrap(),
        rump::sysctl::SysctlValue::Int(9)
    );

    // Only root creates; permanent kernel nodes cannot be destroyed.
    let mut gone = query_node(0);
    set_num(&mut gone, netbsd_abi::KERN_OSTYPE);
    assert_eq!(
        sysctl(&k, &us, &[CTL_KERN, CTL_DESTROY], Some(&gone)).0,
        Err(Errno::EPERM)
    );
    set_num(&mut gone, made.num);
    sysctl(&k, &us, &[CTL_VENDOR, CTL_DESTROY], Some(&gone))
        .0
        .unwrap();
    assert_eq!(
        sysctl(&k, &us, &[CTL_VENDOR, made.num], None).0,
        Err(Errno::ENOENT)
    );

    // A malformed node record is EINVAL, never a crash.
    assert_eq!(
        sysctl(&k, &us, &[CTL_VENDOR, CTL_CREATE], Some(&node[..50])).0,
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sysctl(&k, &us, &[CTL_VENDOR, CTL_QUERY], Some(&[0xff; NODE])).0,
        Err(Errno::EINVAL)
    );
}
