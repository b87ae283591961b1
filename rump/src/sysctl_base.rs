//! The base kernel's sysctl nodes: `kern.*` and `hw.*`.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sysctl::{CTLTYPE_INT, NodeData, NodeSpec, SysctlAnswer, SysctlValue};
use std::sync::Arc;

/// The operating system the ABI is NetBSD's, so clients see NetBSD.
pub const OSTYPE: &str = "NetBSD";
/// The NetBSD release whose ABI this kernel speaks (`netbsd-abi/`).
pub const OSRELEASE: &str = "7.99.34";
/// `__NetBSD_Version__` of that release.
pub const OSREV: i32 = 799_003_400;
/// `MAXHOSTNAMELEN`.
const MAXHOSTNAMELEN: usize = 256;
const CTLFLAG_READWRITE: u32 = 0x70;
/// `KERN_ARND`, and the most bytes one read of it gives.
const KERN_ARND: i32 = 81;
const ARND_MAX: usize = 256;
const CTLFLAG_IMMEDIATE: u32 = 0x800;

pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let c = k.config();
    let ncpu = c.ncpu as i32;
    let physmem = c.memlimit.unwrap_or_else(rumpuser::host_physmem);
    let string = |s: &str| SysctlValue::String(s.to_owned());
    let imm = CTLFLAG_IMMEDIATE;
    // (parent, name, number, value, flags, description), as NetBSD's
    // init_sysctl_base.c and the machine-dependent hw nodes declare them.
    let nodes: [(&str, &str, i32, SysctlValue, u32, &str); 14] = [
        (
            "kern",
            "ostype",
            1,
            string(OSTYPE),
            0,
            "Operating system type",
        ),
        (
            "kern",
            "osrelease",
            2,
            string(OSRELEASE),
            0,
            "Operating system release",
        ),
        (
            "kern",
            "osrevision",
            3,
            SysctlValue::Int(OSREV),
            imm,
            "Operating system revision",
        ),
        (
            "kern",
            "version",
            4,
            string(&format!("{OSTYPE} {OSRELEASE} (RUMP-RUST)")),
            0,
            "Kernel version",
        ),
        (
            "kern",
            "hostname",
            10,
            string(&c.hostname),
            CTLFLAG_READWRITE,
            "System hostname",
        ),
        ("hw", "machine", 1, string("amd64"), 0, "Machine class"),
        (
            "hw",
            "model",
            2,
            string("rump kernel virtual machine"),
            0,
            "Machine model",
        ),
        (
            "hw",
            "ncpu",
            3,
            SysctlValue::Int(ncpu),
            0,
            "Number of CPUs configured",
        ),
        (
            "hw",
            "byteorder",
            4,
            SysctlValue::Int(1234),
            imm,
            "System byte order",
        ),
        (
            "hw",
            "physmem",
            5,
            SysctlValue::Int(physmem.min(i32::MAX as u64) as i32),
            0,
            "Bytes of physical memory",
        ),
        (
            "hw",
            "pagesize",
            7,
            SysctlValue::Int(4096),
            imm,
            "Software page size",
        ),
        (
            "hw",
            "machine_arch",
            10,
            string("x86_64"),
            0,
            "Machine CPU class",
        ),
        (
            "hw",
            "physmem64",
            13,
            SysctlValue::Quad(physmem),
            0,
            "Bytes of physical memory",
        ),
        (
            "hw",
            "ncpuonline",
            16,
            SysctlValue::Int(ncpu),
            0,
            "Number of CPUs online",
        ),
    ];
    let t = k.sysctl();
    for (parent, name, num, value, flags, descr) in nodes {
        let max_len = (name == "hostname").then_some(MAXHOSTNAMELEN);
        t.create(
            parent,
            NodeSpec {
                num: Some(num),
                flags,
                max_len,
                ..NodeSpec::value(name, value, descr)
            },
        )?;
    }
    // The generator /dev/urandom reads too.
    let rnd = crate::rnd::Rnd::of(k);
    // kern.arandom (KERN_ARND): an int by its type, but as many random
    // bytes as the caller's buffer holds, up to 256, as NetBSD's
    // sysctl_kern_arnd (its libc's arc4random seeds itself from it).
    t.create(
        "kern",
        NodeSpec {
            num: Some(KERN_ARND),
            ..NodeSpec::new(
                "arandom",
                0,
                "n bytes of random data",
                NodeData::LeafHandler {
                    ty: CTLTYPE_INT,
                    size: 4,
                    handler: Arc::new(move |_, _, cap, new| {
                        if new.is_some() {
                            return Err(Errno::EPERM);
                        }
                        let n = cap.unwrap_or(0);
                        if n > ARND_MAX {
                            return Err(Errno::E2BIG);
                        }
                        let mut data = vec![0u8; n];
                        rnd.fill(&mut data)?;
                        Ok(SysctlAnswer::from(data))
                    }),
                },
            )
        },
    )?;
    // kern.boottime: a struct timespec read from the kernel's clock, which
    // settimeofday and clock_settime move (NetBSD's settime1).
    let kernel = k.weak();
    let boottime = move || {
        let ns = kernel.upgrade().map_or(0, |k| k.clock().boottime());
        let (sec, nsec) = crate::clock::to_timespec(ns);
        let mut ts = vec![0u8; netbsd_abi::layout::timespec::SIZE];
        netbsd_abi::layout::timespec::tv_sec.put(&mut ts, sec as u64);
        netbsd_abi::layout::timespec::tv_nsec.put(&mut ts, nsec as u64);
        SysctlValue::Struct(ts)
    };
    t.create(
        "kern",
        NodeSpec {
            num: Some(netbsd_abi::KERN_BOOTTIME),
            ..NodeSpec::new(
                "boottime",
                0,
                "System boot time",
                NodeData::Dynamic {
                    read: Arc::new(boottime),
                    write: None,
                },
            )
        },
    )?;
    // What is left for programs: computed on every read.
    let kmem = Arc::clone(k.kmem());
    let usermem =
        move || SysctlValue::Quad(kmem.limit().unwrap_or(physmem).saturating_sub(kmem.used()));
    t.create(
        "hw",
        NodeSpec {
            num: Some(14),
            ..NodeSpec::new(
                "usermem64",
                0,
                "Bytes of non-kernel memory",
                NodeData::Dynamic {
                    read: Arc::new(usermem),
                    write: None,
                },
            )
        },
    )?;
    Ok(())
}

impl NodeSpec {
    /// A read-only value node with an allocated number.
    pub fn value(name: &str, v: SysctlValue, description: &str) -> NodeSpec {
        NodeSpec::new(name, 0, description, NodeData::Value(v))
    }

    /// An interior node with an allocated number.
    pub fn node(name: &str, description: &str) -> NodeSpec {
        NodeSpec::new(name, 0, description, NodeData::Node)
    }
}
