//! Fuzz entry points. Each takes arbitrary bytes and drives one parser of
//! untrusted input in the kernel; none may panic, hang or corrupt the kernel.
//! The cargo-fuzz targets in `fuzz/` call these, and `tests/smoke.rs` runs
//! them over pseudo-random inputs on every test run.

#![forbid(unsafe_code)]

mod cgd;
mod devtools;
mod disk;
mod ffs;
mod net;
mod net6input;
mod netinput;
mod nfs;
mod route;
mod sp;

pub use cgd::{cgd_ioctl, cgd_params};
pub use devtools::disklabel_proto;
pub use disk::{disk_ioctl, disk_label, vnd_ioctl};
pub use ffs::ffs_image;
pub use net::net_headers;
pub use net6input::{net6_input, net6_input_answers};
pub use netinput::{net_input, net_input_answers, shmif_bus};
pub use nfs::nfs_reply;
pub use route::route_socket;
pub use sp::{frame, sp_stream, sp_stream_seeds};

use rump::usermem::BufferSpace;
use rump::{BootConfig, Kernel, KernelBuilder};
use std::sync::Arc;

/// Where the simulated caller's memory starts.
pub const BASE: u64 = 0x1_0000;
/// How large it is.
pub const SIZE: usize = 0x4000;

fn kernel() -> Arc<Kernel> {
    let cfg = BootConfig {
        ncpu: 1,
        memlimit: Some(1 << 20),
        ..BootConfig::default()
    };
    let k = KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .boot()
        .expect("boot");
    // A fuzzed reboot must not end the fuzzing process.
    k.set_exit_handler(Box::new(|_| ()));
    k
}

fn u64_at(d: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    for (j, x) in b.iter_mut().enumerate() {
        *x = d.get(i + j).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}

/// An argument slot: mostly addresses inside the caller's memory (so that
/// the kernel reads the fuzzed bytes), sometimes raw values.
fn slot(d: &[u8], i: usize) -> u64 {
    let v = u64_at(d, 2 + i * 8);
    if v & 1 == 0 {
        BASE + (v >> 1) % SIZE as u64
    } else {
        v >> 1
    }
}

/// The base kernel's system calls that may be fuzzed: all but `nanosleep`,
/// whose only effect is time.
const CALLS: &[usize] = &[
    netbsd_abi::SYS_read,
    netbsd_abi::SYS_write,
    netbsd_abi::SYS_close,
    netbsd_abi::SYS_getpid,
    netbsd_abi::SYS_setuid,
    netbsd_abi::SYS_getuid,
    netbsd_abi::SYS_geteuid,
    netbsd_abi::SYS_getppid,
    netbsd_abi::SYS_dup,
    netbsd_abi::SYS_getegid,
    netbsd_abi::SYS_getgid,
    netbsd_abi::SYS___getlogin,
    netbsd_abi::SYS___setlogin,
    netbsd_abi::SYS_getgroups,
    netbsd_abi::SYS_setgroups,
    netbsd_abi::SYS_dup2,
    netbsd_abi::SYS_setreuid,
    netbsd_abi::SYS_setregid,
    netbsd_abi::SYS_setgid,
    netbsd_abi::SYS_setegid,
    netbsd_abi::SYS_seteuid,
    netbsd_abi::SYS_getrlimit,
    netbsd_abi::SYS_setrlimit,
    netbsd_abi::SYS___sysctl,
    netbsd_abi::SYS_reboot,
    netbsd_abi::SYS_modctl,
    netbsd_abi::SYS_issetugid,
    netbsd_abi::SYS___clock_gettime50,
    netbsd_abi::SYS___fstat50,
];

/// A system call by number with fuzzed arguments and fuzzed caller memory.
pub fn syscall(data: &[u8]) {
    if data.len() < 2 {
        return;
    }
    let k = kernel();
    let us = BufferSpace::new(BASE, SIZE);
    let mem = data.get(66..).unwrap_or(&[]);
    us.poke(BASE, &mem[..mem.len().min(SIZE)]);
    let nr = CALLS[usize::from(data[0]) % CALLS.len()];
    let mut args: Vec<u64> = (0..8).map(|i| slot(data, i)).collect();
    // RB_DUMP dumps core on purpose: a fuzzed reboot may do anything else.
    if nr == netbsd_abi::SYS_reboot {
        args[0] &= !(netbsd_abi::RB_DUMP as u64);
    }
    let _ = k.syscall(nr, &args, &us);
    // The kernel still works afterwards.
    assert!(k.sys_getppid().is_ok() || k.is_halted());
}

/// `__sysctl` with a fuzzed name and new value, including fuzzed
/// `struct sysctlnode` records for the meta-operations.
pub fn sysctl(data: &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let namelen = usize::from(n % 13);
    let k = kernel();
    let us = BufferSpace::new(BASE, SIZE);
    let mut name: Vec<u8> = Vec::new();
    for i in 0..namelen {
        // Small numbers and the meta-operations are where the tree lives.
        let raw = rest.get(i).copied().unwrap_or(0);
        let v = i32::from(raw % 24) - 8;
        name.extend_from_slice(&v.to_le_bytes());
    }
    let new = rest.get(namelen..).unwrap_or(&[]);
    let new = &new[..new.len().min(SIZE / 2)];
    us.poke(BASE, &name);
    us.poke(BASE + 0x100, &(512u64).to_le_bytes());
    us.poke(BASE + 0x1000, new);
    let newp = if new.is_empty() { 0 } else { BASE + 0x1000 };
    let _ = k.syscall(
        netbsd_abi::SYS___sysctl,
        &[
            BASE,
            namelen as u64,
            BASE + 0x200,
            BASE + 0x100,
            newp,
            new.len() as u64,
        ],
        &us,
    );
    assert!(k.sys_getpid().is_ok());
}

/// Boot-time parameters: fuzzed `RUMP_*` values must give a config or a
/// clear error naming the variable.
pub fn boot_config(data: &[u8]) {
    const VARS: [&str; 5] = [
        "RUMP_NCPU",
        "RUMP_VERBOSE",
        "RUMP_THREADS",
        "RUMP_MEMLIMIT",
        "RUMP_NVNODES",
    ];
    let text = String::from_utf8_lossy(data);
    let values: Vec<&str> = text.split('\n').collect();
    let r = BootConfig::from_lookup(|name| {
        let i = VARS.iter().position(|v| *v == name)?;
        values.get(i).map(|s| s.to_string())
    });
    if let Err(e) = r {
        assert!(VARS.contains(&e.variable));
        assert!(e.to_string().starts_with(e.variable));
    }
    let _ = rump::config::parse_size(&text);
}

/// A disk image's first bytes as `rump_server -d ...,disklabel=` scans them:
/// the first input byte is the partition letter, the rest the image.
/// Any bytes give a window or NetBSD's error, never a panic.
pub fn disklabel(data: &[u8]) {
    let Some((&letter, image)) = data.split_first() else {
        return;
    };
    if let Ok((offset, size)) = rump_server::disklabel::find_partition(image, letter) {
        assert_eq!(offset % 512, 0);
        assert_eq!(size % 512, 0);
        assert!(offset <= u64::from(u32::MAX) * 512 && size <= u64::from(u32::MAX) * 512);
    }
}
