//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rump::{BootConfig, Kernel, KernelBuilder};
use std::sync::Arc;

/// A base kernel with `ncpu` virtual CPUs and an optional memory limit.
pub fn boot_with(ncpu: usize, memlimit: Option<u64>) -> Arc<Kernel> {
    let cfg = BootConfig {
        ncpu,
        memlimit,
        ..BootConfig::default()
    };
    KernelBuilder::new().config(cfg).boot().expect("boot")
}

/// A base kernel with the host's CPU count.
pub fn boot() -> Arc<Kernel> {
    boot_with(rumpuser::host_ncpu(), None)
}

/// Read an integer sysctl node by name through `__sysctl`.
pub fn sysctl_int(k: &Kernel, name: &str) -> i32 {
    let mib = k.sysctl().name_to_mib(name).expect(name);
    let out = k.sys_sysctl(&mib, Some(4), None).expect("sysctl");
    out.result.expect("sysctl result");
    i32::from_le_bytes(out.old[..4].try_into().unwrap())
}

/// Read a string sysctl node by name through `__sysctl`.
pub fn sysctl_string(k: &Kernel, name: &str) -> String {
    let mib = k.sysctl().name_to_mib(name).expect(name);
    let out = k.sys_sysctl(&mib, Some(1024), None).expect("sysctl");
    out.result.expect("sysctl result");
    String::from_utf8(out.old.split(|&b| b == 0).next().unwrap().to_vec()).unwrap()
}
