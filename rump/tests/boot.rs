//! Boot: configuration errors, components needing threads, phase order,
//! factions at most once, and the halt sequence.

mod common;

use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[test]
fn an_unparsable_variable_is_a_boot_error_naming_it() {
    let env: HashMap<&str, &str> = [("RUMP_MEMLIMIT", "lots")].into();
    let err = BootConfig::from_lookup(|k| env.get(k).map(|v| v.to_string())).unwrap_err();
    assert!(
        err.to_string().starts_with("RUMP_MEMLIMIT=\"lots\""),
        "{err}"
    );
}

fn noop(_: &Kernel) -> AttachResult {
    Ok(())
}

static THREADED: Component = Component {
    name: "threaded",
    module: "threaded",
    class: ModuleClass::Driver,
    phase: Phase::Net,
    faction: None,
    requires: &[],
    needs_threads: true,
    init: noop,
};

#[test]
fn rump_threads_0_refuses_components_that_need_threads() {
    let cfg = BootConfig {
        threads: false,
        ..BootConfig::default()
    };
    let err = KernelBuilder::new()
        .config(cfg)
        .component(&THREADED)
        .boot()
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains("threaded") && msg.contains("RUMP_THREADS=0"),
        "{msg}"
    );
    // With threads allowed it attaches.
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&THREADED)
        .boot()
        .unwrap();
}

static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

fn record_postinit(_: &Kernel) -> AttachResult {
    ORDER.lock().unwrap().push("postinit");
    Ok(())
}

fn record_vfs(_: &Kernel) -> AttachResult {
    ORDER.lock().unwrap().push("vfs");
    Ok(())
}

static LATE: Component = Component {
    name: "late",
    module: "late",
    class: ModuleClass::Misc,
    phase: Phase::PostInit,
    faction: None,
    requires: &[],
    needs_threads: false,
    init: record_postinit,
};

static EARLY: Component = Component {
    name: "early",
    module: "early",
    class: ModuleClass::Vfs,
    phase: Phase::Vfs,
    faction: None,
    requires: &[],
    needs_threads: false,
    init: record_vfs,
};

#[test]
fn components_attach_in_boot_phase_order_and_factions_once() {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&LATE)
        .component(&EARLY)
        .boot()
        .unwrap();
    assert_eq!(*ORDER.lock().unwrap(), ["vfs", "postinit"]);
    let err = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap_err();
    assert!(err.to_string().contains("rumpvfs"), "{err}");
}

#[test]
fn rump_nvnodes_becomes_kern_maxvnodes() {
    let cfg = BootConfig {
        nvnodes: 77,
        ..BootConfig::default()
    };
    let k = KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    assert_eq!(common::sysctl_int(&k, "kern.maxvnodes"), 77);
    // Without the VFS faction there is no such node.
    assert!(
        common::boot()
            .sysctl()
            .name_to_mib("kern.maxvnodes")
            .is_err()
    );
}

#[test]
fn hw_and_kern_nodes() {
    let cfg = BootConfig {
        ncpu: 3,
        memlimit: Some(64 << 20),
        ..BootConfig::default()
    };
    let k = KernelBuilder::new().config(cfg).boot().unwrap();
    assert_eq!(common::sysctl_int(&k, "hw.ncpu"), 3);
    // NetBSD's rump kernel's nominal 512 MiB, whatever the memory limit.
    assert_eq!(common::sysctl_int(&k, "hw.physmem"), 512 << 20);
    assert_eq!(common::sysctl_string(&k, "kern.ostype"), "NetBSD");
    assert_eq!(
        common::sysctl_string(&k, "kern.hostname"),
        format!("rump-{:05}.{}", std::process::id(), rumpuser::hostname())
    );
}

fn halt_kernel() -> (Arc<Kernel>, Arc<Mutex<Vec<String>>>) {
    let k = common::boot();
    let log = Arc::new(Mutex::new(Vec::new()));
    let (a, b, c) = (Arc::clone(&log), Arc::clone(&log), Arc::clone(&log));
    k.register_sync_hook(
        "fs",
        Box::new(move |_, _| a.lock().unwrap().push("sync".into())),
    );
    k.register_shutdown_hook(
        "net",
        Box::new(move |_, sync| b.lock().unwrap().push(format!("shutdown sync={sync}"))),
    );
    k.set_exit_handler(Box::new(move |how| {
        c.lock().unwrap().push(match how {
            rump::HostExit::Exit(code) => format!("exit {code}"),
            rump::HostExit::Dump => "dump".into(),
        })
    }));
    (k, log)
}

#[test]
fn halt_syncs_runs_hooks_and_stops_the_kernel() {
    let (k, log) = halt_kernel();
    k.sys_reboot(rump::kernel::RB_HALT).unwrap();
    assert_eq!(*log.lock().unwrap(), ["sync", "shutdown sync=true"]);
    assert!(k.is_halted());
    assert_eq!(k.sys_getpid().unwrap_err(), Errno::ENXIO);
}

#[test]
fn nosync_skips_the_flush_and_reboot_leaves_through_the_exit_handler() {
    let (k, log) = halt_kernel();
    k.sys_reboot(rump::kernel::RB_NOSYNC).unwrap();
    assert_eq!(*log.lock().unwrap(), ["shutdown sync=false", "exit 0"]);
}

#[test]
fn only_root_halts() {
    let (k, log) = halt_kernel();
    k.sys_setuid(1).unwrap();
    assert_eq!(
        k.sys_reboot(rump::kernel::RB_HALT).unwrap_err(),
        Errno::EPERM
    );
    assert!(log.lock().unwrap().is_empty());
    assert!(!k.is_halted());
}

#[test]
fn a_dump_goes_to_the_exit_handler_when_one_is_set() {
    let (k, log) = halt_kernel();
    k.sys_reboot(rump::kernel::RB_DUMP).unwrap();
    assert_eq!(*log.lock().unwrap(), ["shutdown sync=false", "dump"]);
}

const DUMP_CHILD: &str = "RUMP_TEST_DUMP_CHILD";

#[test]
fn rb_dump_dumps_core() {
    if std::env::var_os(DUMP_CHILD).is_some() {
        let k = common::boot();
        let _ = k.sys_reboot(rump::kernel::RB_DUMP | rump::kernel::RB_HALT);
        std::process::exit(0);
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "rb_dump_dumps_core", "--test-threads=1"])
        .env(DUMP_CHILD, "1")
        .output()
        .unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(
        out.status.signal(),
        Some(6),
        "SIGABRT, which dumps core: {out:?}"
    );
}

fn boot_messages(verbose: bool) -> Vec<(rump::kernel::ConsoleLevel, String)> {
    let said = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&said);
    let cfg = BootConfig {
        verbose,
        ..BootConfig::default()
    };
    KernelBuilder::new()
        .config(cfg)
        .component(&rumpvfs::COMPONENT)
        .console(Box::new(move |l, m| {
            s.lock().unwrap().push((l, m.to_owned()))
        }))
        .boot()
        .unwrap();
    said.lock().unwrap().clone()
}

#[test]
fn rump_verbose_prints_boot_messages() {
    let loud = boot_messages(true);
    assert!(
        loud.iter()
            .any(|(_, m)| m.starts_with("rump kernel booting")),
        "{loud:?}"
    );
    assert!(
        loud.iter()
            .any(|(_, m)| m.contains("attached component rumpvfs")),
        "{loud:?}"
    );
    assert!(boot_messages(false).is_empty());
}

/// `proc.curproc.rlimit`: the calling process's real limits, read and
/// changed as setrlimit changes them (a soft limit above the hard one is
/// EINVAL), at MIB numbers NetBSD fixes (PROC_CURPROC, PROC_PID_LIMIT,
/// RLIMIT_NOFILE + 1, PROC_PID_LIMIT_TYPE_SOFT).
#[test]
fn curproc_rlimit_nodes_are_the_real_limits() {
    let k = KernelBuilder::new().boot().unwrap();
    let name = "proc.curproc.rlimit.descriptors.soft";
    let mib = k.sysctl().name_to_mib(name).unwrap();
    let nofile = netbsd_abi::RLIMIT_NOFILE;
    assert_eq!(mib, [netbsd_abi::CTL_PROC, i32::MAX, 2, nofile + 1, 1]);
    let read = |k: &Kernel| {
        let out = k.sys_sysctl(&mib, Some(8), None).unwrap();
        out.result.unwrap();
        u64::from_ne_bytes(out.old[..8].try_into().unwrap())
    };
    assert_eq!(read(&k), k.sys_getrlimit(nofile).unwrap().cur);
    assert_eq!(read(&k), 128);
    let out = k
        .sys_sysctl(&mib, Some(8), Some(&64u64.to_ne_bytes()))
        .unwrap();
    out.result.unwrap();
    assert_eq!(k.sys_getrlimit(nofile).unwrap().cur, 64);
    let out = k
        .sys_sysctl(&mib, Some(8), Some(&100_000u64.to_ne_bytes()))
        .unwrap();
    assert_eq!(out.result, Err(Errno::EINVAL));
    assert_eq!(read(&k), 64);
}

/// `kern.clockrate` is a `struct clockinfo` of the kernel's 100 Hz clock
/// and `kern.hardclock_ticks` counts its ticks.
#[test]
fn clockrate_and_ticks() {
    let k = KernelBuilder::new().boot().unwrap();
    let mib = k.sysctl().name_to_mib("kern.clockrate").unwrap();
    assert_eq!(mib, [netbsd_abi::CTL_KERN, netbsd_abi::KERN_CLOCKRATE]);
    let out = k.sys_sysctl(&mib, Some(64), None).unwrap();
    out.result.unwrap();
    let ints: Vec<i32> = out
        .old
        .chunks(4)
        .map(|c| i32::from_ne_bytes(c.try_into().unwrap()))
        .collect();
    assert_eq!(ints, [100, 10_000, 40, 1, 1]);
    let t0 = common::sysctl_int(&k, "kern.hardclock_ticks");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(common::sysctl_int(&k, "kern.hardclock_ticks") >= t0 + 4);
}

/// `kern.uidinfo` counts the caller's user's processes and lwps, and a
/// new process shows in both; neither may be written.
#[test]
fn uidinfo_counts_the_users_processes() {
    let k = KernelBuilder::new().boot().unwrap();
    let quad = |k: &Kernel, name: &str| {
        let mib = k.sysctl().name_to_mib(name).unwrap();
        let out = k.sys_sysctl(&mib, Some(8), None).unwrap();
        out.result.unwrap();
        u64::from_ne_bytes(out.old[..8].try_into().unwrap())
    };
    let (procs, lwps) = (
        quad(&k, "kern.uidinfo.proccnt"),
        quad(&k, "kern.uidinfo.lwpcnt"),
    );
    assert_eq!(procs, k.procs().count() as u64);
    let l = k.lwproc_newproc().unwrap();
    assert_eq!(quad(&k, "kern.uidinfo.proccnt"), procs + 1);
    assert_eq!(quad(&k, "kern.uidinfo.lwpcnt"), lwps + 1);
    let mib = k.sysctl().name_to_mib("kern.uidinfo.proccnt").unwrap();
    let out = k
        .sys_sysctl(&mib, Some(8), Some(&1u64.to_ne_bytes()))
        .unwrap();
    assert_eq!(out.result, Err(Errno::EPERM));
    drop(l);
}
