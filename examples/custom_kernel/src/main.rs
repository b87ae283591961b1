//! A custom rump kernel, composed at build time: the components are this
//! program's Cargo dependencies, chosen with feature flags, as `rump(3)`
//! describes linking a kernel from `librump`, `librumpuser` and components.
//!
//! `cargo run -p custom_kernel` boots a kernel with the VFS faction;
//! `cargo run -p custom_kernel --no-default-features` boots the base alone.
//! It then makes system calls and prints what the kernel answers.

#![forbid(unsafe_code)]

use rump::{Kernel, KernelBuilder};
use std::process::ExitCode;

fn components() -> Vec<&'static rump::Component> {
    vec![
        #[cfg(feature = "vfs")]
        &rumpvfs::COMPONENT,
    ]
}

/// How to print a node's bytes.
enum Kind {
    Str,
    Int,
}

fn show(k: &Kernel, name: &str, kind: Kind) {
    // Resolve the name to NetBSD's numeric MIB, then read through __sysctl
    // and decode the bytes it returns, as sysctl(8) does.
    let Ok(mib) = k.sysctl().name_to_mib(name) else {
        println!("{name}: not present in this kernel");
        return;
    };
    let bytes = match k
        .sys_sysctl(&mib, Some(1024), None)
        .and_then(|o| o.result.map(|_| o.old))
    {
        Ok(b) => b,
        Err(e) => return println!("{name}: {e}"),
    };
    let value = match kind {
        Kind::Str => {
            String::from_utf8_lossy(bytes.split(|&b| b == 0).next().unwrap_or(&[])).into_owned()
        }
        Kind::Int => bytes.get(..4).map_or("?".into(), |b| {
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_string()
        }),
    };
    println!("{name} = {value}    (MIB {mib:?})");
}

fn main() -> ExitCode {
    let started = std::time::Instant::now();
    let mut b = KernelBuilder::new();
    for c in components() {
        b = b.component(c);
    }
    let k = match b.boot() {
        Ok(k) => k,
        Err(e) => {
            eprintln!("custom_kernel: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "booted a rump kernel in {:?} with components {:?}",
        started.elapsed(),
        k.components()
    );
    for (n, kind) in [
        ("kern.ostype", Kind::Str),
        ("kern.osrelease", Kind::Str),
        ("kern.hostname", Kind::Str),
        ("hw.ncpu", Kind::Int),
        ("hw.physmem", Kind::Int),
        ("kern.maxvnodes", Kind::Int),
        ("vfs.generic.fstypes", Kind::Str),
    ] {
        show(&k, n, kind);
    }
    println!(
        "getpid() = {:?} (the implicit context, rumplocal)",
        k.sys_getpid()
    );
    let l = k.lwproc_rfork(0).expect("rfork");
    k.sys_setuid(1000).expect("setuid");
    println!(
        "after rfork: getpid() = {:?}, getuid() = {:?}",
        k.sys_getpid(),
        k.sys_getuid()
    );
    k.lwproc_releaselwp();
    drop(l);
    println!(
        "after releaselwp: getpid() = {:?}, getuid() = {:?}",
        k.sys_getpid(),
        k.sys_getuid()
    );
    for m in k.sys_modctl_stat().unwrap_or_default() {
        println!(
            "module {:<10} class {:?} refs {}",
            m.name, m.class, m.refcnt
        );
    }
    ExitCode::SUCCESS
}
