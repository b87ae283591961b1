//! Acceptance: two kernels in one process have independent state.

mod common;

use common::{boot, sysctl_string};
use rump::sysctl::SysctlValue;

#[test]
fn hostname_processes_and_modules_are_per_kernel() {
    let a = boot();
    let b = boot();

    // Hostname: write through __sysctl in one kernel only.
    let mib = a.sysctl().name_to_mib("kern.hostname").unwrap();
    let out = a.sys_sysctl(&mib, None, Some(b"kernel-a\0")).unwrap();
    out.result.unwrap();
    assert_eq!(sysctl_string(&a, "kern.hostname"), "kernel-a");
    assert_ne!(sysctl_string(&b, "kern.hostname"), "kernel-a");

    // Processes: a process created in `a` does not exist in `b`, and the
    // calling thread's lwp binding is per kernel.
    let before = b.procs().count();
    let l = a.lwproc_rfork(0).unwrap();
    let pid = a.sys_getpid().unwrap();
    assert!(pid > 1);
    assert_eq!(b.procs().count(), before);
    assert!(b.procs().find(pid).is_none());
    assert_eq!(
        b.sys_getpid().unwrap(),
        1,
        "thread is still implicit in kernel b"
    );
    a.sys_setuid(42).unwrap();
    assert_eq!(b.sys_getuid().unwrap(), 0);
    a.lwproc_releaselwp();
    drop(l);

    // Modules: a component attached to `a` shows only in `a`.
    a.attach(&[&k_helper::COMPONENT]).unwrap();
    assert!(
        a.sys_modctl_stat()
            .unwrap()
            .iter()
            .any(|m| m.name == "k_helper")
    );
    assert!(
        !b.sys_modctl_stat()
            .unwrap()
            .iter()
            .any(|m| m.name == "k_helper")
    );
    assert_eq!(
        a.sysctl().get("vendor.k_helper.present").unwrap(),
        SysctlValue::Int(1)
    );
    assert!(b.sysctl().get("vendor.k_helper.present").is_err());
}

#[test]
fn a_dropped_kernel_is_freed() {
    // Nothing inside a kernel (sysctl handlers, extensions, hooks, lwps)
    // may keep the kernel alive: many kernels come and go in one process.
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .boot()
        .unwrap();
    let weak = std::sync::Arc::downgrade(&k);
    let l = k.lwproc_rfork(0).unwrap();
    k.sys_setuid(3).unwrap();
    k.lwproc_releaselwp();
    drop(l);
    k.kthread_create("t", |_| ()).unwrap().join();
    let _ = common::sysctl_string(&k, "vfs.generic.fstypes");
    drop(k);
    assert!(
        weak.upgrade().is_none(),
        "the kernel is still referenced after its last handle was dropped"
    );
}

#[test]
fn an_lwp_of_one_kernel_is_refused_by_another() {
    let a = boot();
    let b = boot();
    let l = a.lwproc_rfork(0).unwrap();
    a.sys_setuid(31).unwrap();
    a.lwproc_switch(None).unwrap();
    assert_eq!(b.lwproc_switch(Some(&l)).unwrap_err(), rump::Errno::EINVAL);
    assert_eq!(b.sys_getuid().unwrap(), 0);
}
