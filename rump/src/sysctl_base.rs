//! The base kernel's sysctl nodes: `kern.*` and `hw.*`.

use crate::errno::KResult;
use crate::kernel::Kernel;
use crate::sysctl::{NodeData, NodeSpec, SysctlValue};
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
const CTLFLAG_IMMEDIATE: u32 = 0x800;

fn fixed(name: &str, num: i32, v: SysctlValue, descr: &str) -> NodeSpec {
    NodeSpec {
        num: Some(num),
        ..NodeSpec::value(name, v, descr)
    }
}

pub(crate) fn register(k: &Kernel) -> KResult<()> {
    let t = k.sysctl();
    let c = k.config();
    t.create(
        "kern",
        fixed(
            "ostype",
            1,
            SysctlValue::String(OSTYPE.into()),
            "Operating system type",
        ),
    )?;
    t.create(
        "kern",
        fixed(
            "osrelease",
            2,
            SysctlValue::String(OSRELEASE.into()),
            "Operating system release",
        ),
    )?;
    t.create(
        "kern",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed(
                "osrevision",
                3,
                SysctlValue::Int(OSREV),
                "Operating system revision",
            )
        },
    )?;
    t.create(
        "kern",
        fixed(
            "version",
            4,
            SysctlValue::String(format!("{OSTYPE} {OSRELEASE} (RUMP-RUST)")),
            "Kernel version",
        ),
    )?;
    t.create(
        "kern",
        NodeSpec {
            flags: CTLFLAG_READWRITE,
            max_len: Some(MAXHOSTNAMELEN),
            ..fixed(
                "hostname",
                10,
                SysctlValue::String(c.hostname.clone()),
                "System hostname",
            )
        },
    )?;
    let boot = k.boot_time();
    let mut bt = Vec::with_capacity(16);
    bt.extend_from_slice(&(boot.as_secs() as i64).to_le_bytes());
    bt.extend_from_slice(&i64::from(boot.subsec_nanos()).to_le_bytes());
    t.create(
        "kern",
        fixed("boottime", 83, SysctlValue::Struct(bt), "System boot time"),
    )?;

    let ncpu = c.ncpu as i32;
    let physmem = c.memlimit.unwrap_or_else(rumpuser::host_physmem);
    t.create(
        "hw",
        fixed(
            "machine",
            1,
            SysctlValue::String("amd64".into()),
            "Machine class",
        ),
    )?;
    t.create(
        "hw",
        fixed(
            "model",
            2,
            SysctlValue::String("rump kernel virtual machine".into()),
            "Machine model",
        ),
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed(
                "ncpu",
                3,
                SysctlValue::Int(ncpu),
                "Number of CPUs configured",
            )
        },
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed("byteorder", 4, SysctlValue::Int(1234), "System byte order")
        },
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed(
                "physmem",
                5,
                SysctlValue::Int(physmem.min(i32::MAX as u64) as i32),
                "Bytes of physical memory",
            )
        },
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed("pagesize", 7, SysctlValue::Int(4096), "Software page size")
        },
    )?;
    t.create(
        "hw",
        fixed(
            "machine_arch",
            10,
            SysctlValue::String("x86_64".into()),
            "Machine CPU class",
        ),
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed(
                "physmem64",
                13,
                SysctlValue::Quad(physmem),
                "Bytes of physical memory",
            )
        },
    )?;
    let kmem = Arc::clone(k.kmem());
    t.create(
        "hw",
        NodeSpec {
            data: NodeData::Dynamic {
                read: Arc::new(move || {
                    SysctlValue::Quad(kmem.limit().unwrap_or(physmem).saturating_sub(kmem.used()))
                }),
                write: None,
            },
            ..fixed(
                "usermem64",
                14,
                SysctlValue::Quad(0),
                "Bytes of non-kernel memory",
            )
        },
    )?;
    t.create(
        "hw",
        NodeSpec {
            flags: CTLFLAG_IMMEDIATE,
            ..fixed(
                "ncpuonline",
                16,
                SysctlValue::Int(ncpu),
                "Number of CPUs online",
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
