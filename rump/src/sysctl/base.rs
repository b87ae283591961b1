//! The base kernel's sysctl nodes: `kern.*` and `hw.*`.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sysctl::{CTLTYPE_INT, NodeData, NodeSpec, SysctlAnswer, SysctlTree, SysctlValue};
use netbsd_abi::{
    CTLFLAG_IMMEDIATE, CTLFLAG_READWRITE, HW_ALIGNBYTES, HW_BYTEORDER, HW_MACHINE, HW_MACHINE_ARCH,
    HW_MODEL, HW_NCPU, HW_NCPUONLINE, HW_PAGESIZE, HW_PHYSMEM, HW_PHYSMEM64, KERN_ARND,
    KERN_CLOCKRATE, KERN_DOMAINNAME, KERN_HARDCLOCK_TICKS, KERN_HOSTNAME, KERN_OSRELEASE,
    KERN_OSREV, KERN_OSTYPE, KERN_RAWPARTITION, KERN_URND, KERN_VERSION, MAXHOSTNAMELEN,
};
use std::sync::Arc;

/// The operating system the ABI is NetBSD's, so clients see NetBSD.
pub const OSTYPE: &str = "NetBSD";
/// The NetBSD release whose ABI this kernel speaks (`netbsd-abi/`).
pub const OSRELEASE: &str = "7.99.34";
/// `__NetBSD_Version__` of that release.
pub const OSREV: i32 = 799_003_400;
/// Bytes of a CTLTYPE_INT value.
const INT_LEN: usize = 4;
/// The most bytes one read of `kern.arandom` gives (`sysctl_kern_arnd`).
const ARND_MAX: usize = 256;
/// The clock's ticks per second (`hz`): timers and `kern.hardclock_ticks`
/// count in these, as NetBSD's rump kernel's clock does.
pub const HZ: u32 = 100;
/// `tickadj` as NetBSD's `param.c` computes it: `240000 / (60 * hz)`.
const TICKADJ: u32 = 240_000 / (60 * HZ);
/// `stathz` and `profhz` as NetBSD's rump kernel shows them: it has no
/// statistics or profiling clock, and `kern.clockrate` says 1 for both.
const STATHZ: u32 = 1;
const PROFHZ: u32 = 1;
/// NetBSD's rump kernel's `physmem` (`rumpkern/emul.c`: 512 * 256 pages),
/// whatever the memory limit: the nominal size things are scaled by
/// (`proc.curproc.rlimit.memorylocked` is a third of it).
pub const PHYSMEM_BYTES: u64 = 512 * 256 * PAGE_SIZE;
/// `PAGE_SIZE` on amd64.
const PAGE_SIZE: u64 = 4096;
/// `ALIGNBYTES` on amd64 (`amd64/include/param.h`: `sizeof(long) - 1`).
const ALIGNBYTES: i32 = 7;
use crate::devsw::RAW_PART;
/// `BYTE_ORDER` (little endian).
const BYTE_ORDER: i32 = 1234;
/// `hw.model` as NetBSD's rump kernel says it (`rumpkern/emul.c`).
const MODEL: &str = "rumpcore (virtual)";
/// `security.models.suser.name`: the only security model we have is
/// NetBSD's traditional superuser one (root may do everything).
const SUSER_NAME: &str = "Traditional NetBSD: Superuser";

/// `struct clockinfo` (`sys/time.h`): hz, tick, tickadj, stathz, profhz,
/// each an `int`.
fn clockinfo() -> Vec<u8> {
    [HZ, 1_000_000 / HZ, TICKADJ, STATHZ, PROFHZ]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect()
}

/// A fixed node: parent, name, number, value, flags, size bound.
type BaseNode = (
    &'static str,
    &'static str,
    i32,
    SysctlValue,
    u32,
    Option<usize>,
);

/// The kernel's nodes have no descriptions, as in NetBSD's rump kernels
/// (built without `SYSCTL_INCLUDE_DESCR`): `sysctl -d` says so.
const NO_DESCR: &str = "";

/// Registers the base kernel's `kern.*`, `hw.*` and `security.*` nodes,
/// in NetBSD's order (which fixes their versions).
pub(crate) fn register(k: &Kernel) -> KResult<()> {
    register_fixed(k)?;
    let t = k.sysctl();
    // The generator /dev/urandom reads too.
    let rnd = crate::rnd::Rnd::of(k);
    register_urandom(t, Arc::clone(&rnd))?;
    register_hardclock_ticks(k)?;
    register_arandom(t, rnd)?;
    t.create_path("security.models.suser", NO_DESCR)?;
    t.create(
        "security.models.suser",
        NodeSpec::value("name", SysctlValue::String(SUSER_NAME.to_owned()), NO_DESCR),
    )?;
    Ok(())
}

/// The nodes whose value is fixed at boot (`kern.hostname` and
/// `kern.domainname` are written later, by clients).
fn register_fixed(k: &Kernel) -> KResult<()> {
    let c = k.config();
    let ncpu = c.ncpu as i32;
    let string = |s: &str| SysctlValue::String(s.to_owned());
    let imm = CTLFLAG_IMMEDIATE as u32;
    let rw = CTLFLAG_READWRITE as u32;
    let maxhost = Some(MAXHOSTNAMELEN as usize);
    // (parent, name, number, value, flags, size bound), as NetBSD's
    // init_sysctl_base.c, init_sysctl.c and the machine-dependent hw nodes
    // declare them.
    let nodes: [BaseNode; 18] = [
        ("kern", "ostype", KERN_OSTYPE, string(OSTYPE), 0, None),
        (
            "kern",
            "osrelease",
            KERN_OSRELEASE,
            string(OSRELEASE),
            0,
            None,
        ),
        (
            "kern",
            "osrevision",
            KERN_OSREV,
            SysctlValue::Int(OSREV),
            imm,
            None,
        ),
        (
            "kern",
            "version",
            KERN_VERSION,
            // NetBSD's rump kernel's configuration name, and the newline
            // its version string ends with (vers.c).
            string(&format!("{OSTYPE} {OSRELEASE} (RUMP-ROAST)\n")),
            0,
            None,
        ),
        (
            "kern",
            "hostname",
            KERN_HOSTNAME,
            string(&c.hostname),
            rw,
            maxhost,
        ),
        (
            "kern",
            "clockrate",
            KERN_CLOCKRATE,
            SysctlValue::Struct(clockinfo()),
            0,
            None,
        ),
        (
            "kern",
            "domainname",
            KERN_DOMAINNAME,
            string(""),
            rw,
            maxhost,
        ),
        (
            "kern",
            "rawpartition",
            KERN_RAWPARTITION,
            SysctlValue::Int(RAW_PART),
            imm,
            None,
        ),
        ("hw", "machine", HW_MACHINE, string("amd64"), 0, None),
        ("hw", "model", HW_MODEL, string(MODEL), 0, None),
        ("hw", "ncpu", HW_NCPU, SysctlValue::Int(ncpu), 0, None),
        (
            "hw",
            "byteorder",
            HW_BYTEORDER,
            SysctlValue::Int(BYTE_ORDER),
            imm,
            None,
        ),
        (
            "hw",
            "physmem",
            HW_PHYSMEM,
            SysctlValue::Int(PHYSMEM_BYTES.min(u32::MAX.into()) as i32),
            0,
            None,
        ),
        (
            "hw",
            "pagesize",
            HW_PAGESIZE,
            SysctlValue::Int(PAGE_SIZE as i32),
            imm,
            None,
        ),
        (
            "hw",
            "machine_arch",
            HW_MACHINE_ARCH,
            string("x86_64"),
            0,
            None,
        ),
        (
            "hw",
            "alignbytes",
            HW_ALIGNBYTES,
            SysctlValue::Int(ALIGNBYTES),
            imm,
            None,
        ),
        (
            "hw",
            "physmem64",
            HW_PHYSMEM64,
            SysctlValue::Quad(PHYSMEM_BYTES),
            0,
            None,
        ),
        (
            "hw",
            "ncpuonline",
            HW_NCPUONLINE,
            SysctlValue::Int(ncpu),
            0,
            None,
        ),
    ];
    let t = k.sysctl();
    let mut nodes = nodes.into_iter().peekable();
    // Each run of nodes with one parent goes in at once.
    while let Some(&(parent, ..)) = nodes.peek() {
        let run = std::iter::from_fn(|| nodes.next_if(|n| n.0 == parent));
        let specs = run.map(|(_, name, num, value, flags, max_len)| NodeSpec {
            num: Some(num),
            flags,
            max_len,
            ..NodeSpec::value(name, value, NO_DESCR)
        });
        t.create_all(parent, specs)?;
    }
    Ok(())
}

/// kern.urandom (KERN_URND): one random int per read
/// (sysctl_kern_urnd). A handler, so that nothing is drawn from the
/// generator until a client reads.
fn register_urandom(t: &SysctlTree, urnd: Arc<crate::rnd::Rnd>) -> KResult<()> {
    t.create(
        "kern",
        NodeSpec {
            num: Some(KERN_URND),
            ..NodeSpec::new(
                "urandom",
                0,
                NO_DESCR,
                NodeData::LeafHandler {
                    ty: CTLTYPE_INT,
                    size: INT_LEN,
                    handler: Arc::new(move |below, _, _, new| {
                        if !below.is_empty() {
                            return Err(Errno::ENOTDIR);
                        }
                        if new.is_some_and(|b| !b.is_empty()) {
                            return Err(Errno::EPERM);
                        }
                        let mut b = [0u8; INT_LEN];
                        urnd.fill(&mut b)?;
                        Ok(SysctlAnswer::from(b.to_vec()))
                    }),
                },
            )
        },
    )?;
    Ok(())
}

/// kern.hardclock_ticks: clock ticks since boot, at HZ.
fn register_hardclock_ticks(k: &Kernel) -> KResult<()> {
    let ticks_of = k.weak();
    k.sysctl().create(
        "kern",
        NodeSpec {
            num: Some(KERN_HARDCLOCK_TICKS),
            ..NodeSpec::new(
                "hardclock_ticks",
                0,
                NO_DESCR,
                NodeData::Dynamic {
                    read: Arc::new(move || {
                        let up = ticks_of.upgrade().map(|k| k.uptime()).unwrap_or_default();
                        // An int that wraps, as NetBSD's counter does.
                        SysctlValue::Int((up.as_millis() * u128::from(HZ) / 1000) as u32 as i32)
                    }),
                    write: None,
                },
            )
        },
    )?;
    Ok(())
}

/// kern.arandom (KERN_ARND): an int by its type, but as many random
/// bytes as the caller's buffer holds, up to 256, as NetBSD's
/// sysctl_kern_arnd (its libc's arc4random seeds itself from it).
fn register_arandom(t: &SysctlTree, rnd: Arc<crate::rnd::Rnd>) -> KResult<()> {
    t.create(
        "kern",
        NodeSpec {
            num: Some(KERN_ARND),
            ..NodeSpec::new(
                "arandom",
                0,
                NO_DESCR,
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
