//! The sysctl tree as NetBSD's `sysctl(8)` sees it: every request made by
//! number through `__sysctl`, and every `struct sysctlnode` decoded here from
//! the offsets in `netbsd-abi/structs.tsv`, not by the kernel's own encoder.

mod common;

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

/// One `struct sysctlnode` record (96 bytes on amd64).
struct Node {
    flags: u32,
    num: i32,
    name: String,
}

fn decode(rec: &[u8]) -> Node {
    let name = &rec[8..40];
    let end = name.iter().position(|&b| b == 0).unwrap();
    Node {
        flags: u32::from_le_bytes(rec[0..4].try_into().unwrap()),
        num: i32::from_le_bytes(rec[4..8].try_into().unwrap()),
        name: String::from_utf8(name[..end].to_vec()).unwrap(),
    }
}

fn query_node(flags: u32) -> [u8; 96] {
    let mut n = [0u8; 96];
    n[0..4].copy_from_slice(&(SYSCTL_VERSION | flags).to_le_bytes());
    n
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
    assert_eq!(bytes.len() % 96, 0);
    for rec in bytes.chunks(96) {
        let n = decode(rec);
        let full = if path.is_empty() {
            n.name.clone()
        } else {
            format!("{path}.{}", n.name)
        };
        mib.push(n.num);
        match n.flags & 0xf {
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

    // CTL_DESCRIBE on kern, asking for one node (KERN_HOSTNAME = 10).
    let mut want = query_node(0);
    want[4..8].copy_from_slice(&10i32.to_le_bytes());
    let (r, d) = sysctl(&k, &us, &[1, CTL_DESCRIBE], Some(&want));
    r.unwrap();
    // struct sysctldesc: num, ver, len (including the NUL), then the
    // text: none, as NetBSD's rump kernels are built without descriptions.
    assert_eq!(i32::from_le_bytes(d[0..4].try_into().unwrap()), 10);
    let len = u32::from_le_bytes(d[8..12].try_into().unwrap()) as usize;
    assert_eq!(&d[12..12 + len], b"\0");

    // `sysctl -w //create=vendor.rumptest,type=int,value=5`: an immediate
    // int under vendor (11), number chosen by the kernel.
    let mut node = query_node(CTLTYPE_INT | CTLFLAG_READWRITE | CTLFLAG_IMMEDIATE);
    node[4..8].copy_from_slice(&CTL_CREATE.to_le_bytes());
    node[8..16].copy_from_slice(b"rumptest");
    node[48..52].copy_from_slice(&5i32.to_le_bytes());
    node[64..72].copy_from_slice(&4u64.to_le_bytes());
    let (r, created) = sysctl(&k, &us, &[11, CTL_CREATE], Some(&node));
    r.unwrap();
    let made = decode(&created);
    assert_eq!(made.name, "rumptest");
    assert!(made.num >= 0);
    let (r, v) = sysctl(&k, &us, &[11, made.num], None);
    r.unwrap();
    assert_eq!(v, 5i32.to_le_bytes());
    // Write it by number as a user would, then read it through the kernel API.
    let (r, _) = sysctl(&k, &us, &[11, made.num], Some(&9i32.to_le_bytes()));
    r.unwrap();
    assert_eq!(
        k.sysctl().get("vendor.rumptest").unwrap(),
        rump::sysctl::SysctlValue::Int(9)
    );

    // Only root creates; permanent kernel nodes cannot be destroyed.
    let mut gone = query_node(0);
    gone[4..8].copy_from_slice(&1i32.to_le_bytes());
    assert_eq!(
        sysctl(&k, &us, &[1, CTL_DESTROY], Some(&gone)).0,
        Err(Errno::EPERM)
    );
    gone[4..8].copy_from_slice(&made.num.to_le_bytes());
    sysctl(&k, &us, &[11, CTL_DESTROY], Some(&gone)).0.unwrap();
    assert_eq!(sysctl(&k, &us, &[11, made.num], None).0, Err(Errno::ENOENT));

    // A malformed node record is EINVAL, never a crash.
    assert_eq!(
        sysctl(&k, &us, &[11, CTL_CREATE], Some(&node[..50])).0,
        Err(Errno::EINVAL)
    );
    assert_eq!(
        sysctl(&k, &us, &[11, CTL_QUERY], Some(&[0xff; 96])).0,
        Err(Errno::EINVAL)
    );
}
