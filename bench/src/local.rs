//! The kernel in this process: boot and local system calls.

use crate::*;
use std::process::{Command, Stdio};

/// Boot a kernel with `components` and shut it down.
pub(crate) fn boot(components: &[&'static rump::Component]) {
    let mut b = rump::KernelBuilder::new();
    for &c in components {
        b = b.component(c);
    }
    drop(b.boot().expect("boot"));
}

/// Spawn `true(1)` and wait for it: the host's cost of starting a program.
pub(crate) fn spawn_true() {
    let st = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("spawn true");
    assert!(st.success());
}

/// Every component linked into this benchmark: the full kernel so far.
pub(crate) const ALL: &[&rump::Component] = &[&rumpvfs::COMPONENT];

/// Local system calls against the host's `getpid(2)`.
pub(crate) fn local_calls(records: &mut Vec<Record>, runs: usize) {
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .boot()
        .expect("boot");
    let local = per_call(runs.min(101), 10_000, || {
        std::hint::black_box(k.sys_getpid().expect("getpid"));
    });
    let host = per_call(runs.min(101), 10_000, || {
        std::hint::black_box(std::process::id());
    });
    records.push(Record {
        name: "local getpid",
        unit: "us",
        ours: local * 1e6,
        baseline_name: "host: getpid(2)",
        baseline: host * 1e6,
    });
    let lim = rump::resource::Rlimit {
        cur: 64,
        max: rump::resource::RLIM_INFINITY,
    };
    let local_set = per_call(runs.min(101), 10_000, || {
        k.sys_setrlimit(netbsd_abi::RLIMIT_NOFILE, lim)
            .expect("setrlimit");
    });
    records.push(Record {
        name: "local setrlimit",
        unit: "us",
        ours: local_set * 1e6,
        baseline_name: "host: getpid(2)",
        baseline: host * 1e6,
    });
}
