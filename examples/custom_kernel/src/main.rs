//! A custom rump kernel, composed at build time: the components are this
//! program's Cargo dependencies, chosen with feature flags, as `rump(3)`
//! describes linking a kernel from `librump`, `librumpuser` and components.
//!
//! `cargo run -p custom_kernel` boots a kernel with the VFS faction;
//! `cargo run -p custom_kernel --no-default-features` boots the base alone.
//! It then makes system calls and prints what the kernel answers.

#![forbid(unsafe_code)]

use rump::sysctl::SysctlValue;
use rump::{Kernel, KernelBuilder};
use std::process::ExitCode;

fn components() -> Vec<&'static rump::Component> {
    vec![
        #[cfg(feature = "vfs")]
        &rumpvfs::COMPONENT,
    ]
}

fn show(k: &Kernel, name: &str) {
    // Resolve the name to NetBSD's numeric MIB, then read through __sysctl.
    let Ok(mib) = k.sysctl().name_to_mib(name) else {
        println!("{name}: not present in this kernel");
        return;
    };
    match k
        .sys_sysctl(&mib, Some(1024), None)
        .and_then(|o| o.result.map(|_| o.old))
    {
        Ok(bytes) => {
            let v = match k.sysctl().get(name) {
                Ok(SysctlValue::String(s)) => s,
                Ok(SysctlValue::Int(i)) => i.to_string(),
                Ok(SysctlValue::Quad(q)) => q.to_string(),
                Ok(other) => format!("{other:?}"),
                Err(e) => format!("error: {e}"),
            };
            println!(
                "{name} = {v}    ({} bytes via __sysctl {mib:?})",
                bytes.len()
            );
        }
        Err(e) => println!("{name}: {e}"),
    }
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
    for n in [
        "kern.ostype",
        "kern.osrelease",
        "kern.hostname",
        "hw.ncpu",
        "hw.physmem",
        "kern.maxvnodes",
        "vfs.generic.fstypes",
    ] {
        show(&k, n);
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
