//! The module framework: built-in modules loaded and unloaded with
//! `modctl`, requirements, reference counts.

mod common;

use rump::Errno;
use rump::module::{ModuleClass, ModuleInfo, ModuleSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn module(name: &str, requires: &[&str], count: &Arc<AtomicUsize>) -> ModuleInfo {
    let (i, f) = (Arc::clone(count), Arc::clone(count));
    ModuleInfo {
        name: name.into(),
        class: ModuleClass::Misc,
        requires: requires.iter().map(|s| s.to_string()).collect(),
        init: Some(Arc::new(move |_| {
            i.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })),
        fini: Some(Arc::new(move |_| {
            f.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })),
        source: ModuleSource::Kernel,
    }
}

#[test]
fn load_unload_with_requirements_and_refcounts() {
    let k = common::boot();
    let live = Arc::new(AtomicUsize::new(0));
    k.modules()
        .register(module("base_mod", &[], &live))
        .unwrap();
    k.modules()
        .register(module("top_mod", &["base_mod"], &live))
        .unwrap();
    assert_eq!(
        k.modules()
            .register(module("top_mod", &[], &live))
            .unwrap_err(),
        Errno::EEXIST
    );

    // Loading top_mod loads what it requires first.
    k.sys_modctl_load("top_mod").unwrap();
    assert_eq!(live.load(Ordering::SeqCst), 2);
    assert_eq!(k.sys_modctl_load("top_mod").unwrap_err(), Errno::EEXIST);
    let stat = k.sys_modctl_stat().unwrap();
    assert_eq!(
        stat.iter().find(|m| m.name == "base_mod").unwrap().refcnt,
        1
    );
    assert_eq!(
        stat.iter().find(|m| m.name == "top_mod").unwrap().required,
        "base_mod"
    );

    // A required module cannot go; the requirer can, and then it can.
    assert_eq!(k.sys_modctl_unload("base_mod").unwrap_err(), Errno::EBUSY);
    k.sys_modctl_unload("top_mod").unwrap();
    k.sys_modctl_unload("base_mod").unwrap();
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!(k.sys_modctl_unload("base_mod").unwrap_err(), Errno::ENOENT);
    // Built-in modules stay known and load again.
    k.sys_modctl_load("base_mod").unwrap();
    assert_eq!(k.sys_modctl_load("nonesuch").unwrap_err(), Errno::ENOENT);
    assert_eq!(
        k.sys_modctl_load("/stand/amd64/tmpfs.kmod").unwrap_err(),
        Errno::ENOSYS
    );
    // Only root loads modules.
    k.sys_setuid(3).unwrap();
    assert_eq!(k.sys_modctl_unload("base_mod").unwrap_err(), Errno::EPERM);
}

#[test]
fn a_require_cycle_is_an_error_not_a_crash() {
    let k = common::boot();
    let live = Arc::new(AtomicUsize::new(0));
    k.modules()
        .register(module("cyc_a", &["cyc_b"], &live))
        .unwrap();
    k.modules()
        .register(module("cyc_b", &["cyc_a"], &live))
        .unwrap();
    assert_eq!(k.sys_modctl_load("cyc_a").unwrap_err(), Errno::EMLINK);
}

#[test]
fn module_init_runs_on_a_virtual_cpu() {
    let k = common::boot_with(1, None);
    let idle_in_init = Arc::new(AtomicUsize::new(99));
    let seen = Arc::clone(&idle_in_init);
    k.modules()
        .register(ModuleInfo {
            name: "cpu_mod".into(),
            class: ModuleClass::Misc,
            requires: vec![],
            init: Some(Arc::new(move |k| {
                seen.store(k.cpus().idle(), Ordering::SeqCst);
                Ok(())
            })),
            fini: None,
            source: ModuleSource::Kernel,
        })
        .unwrap();
    k.sys_modctl_load("cpu_mod").unwrap();
    assert_eq!(
        idle_in_init.load(Ordering::SeqCst),
        0,
        "init ran without holding the only vCPU"
    );
}
