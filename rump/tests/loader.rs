//! Acceptance: component libraries load at run time into a booted kernel;
//! a library from another build is refused; a missing requirement is named.

mod common;

use rump::LoadError;
use rump::module::ModuleClass;
use std::path::PathBuf;
use std::sync::Once;

/// The directory cargo put this test's build in (`target/debug`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// `cargo test` does not build `cdylib` crates, so build the test
/// components' libraries (a no-op when they are up to date). They must come
/// from the same build as this test for the fingerprints to match.
fn build_libraries() -> PathBuf {
    static BUILT: Once = Once::new();
    let dir = target_dir();
    BUILT.call_once(|| {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap()
            .to_path_buf();
        let st = std::process::Command::new(env!("CARGO"))
            .current_dir(&root)
            .args([
                "build",
                "--quiet",
                "-p",
                "k_helper_capi",
                "-p",
                "k_helper2_capi",
                "-p",
                "badprint",
                "-p",
                "badversion",
                "-p",
                "rumpvfs_capi",
            ])
            .args(if cfg!(debug_assertions) {
                &[][..]
            } else {
                &["--release"][..]
            })
            .env("CARGO_TARGET_DIR", dir.parent().unwrap())
            .status()
            .expect("running cargo build for the component libraries");
        assert!(st.success(), "building the component libraries failed");
    });
    dir
}

fn lib(name: &str) -> PathBuf {
    build_libraries().join(format!("lib{name}.so"))
}

#[test]
fn a_loaded_component_joins_the_booted_kernel() {
    let k = common::boot();
    assert!(k.sysctl().name_to_mib("vendor.k_helper.present").is_err());
    let names = k.load_library(&lib("k_helper")).unwrap();
    assert_eq!(names, ["k_helper"]);
    // Its sysctl node shows through this kernel's __sysctl ...
    assert_eq!(common::sysctl_int(&k, "vendor.k_helper.present"), 1);
    // ... and its module through modctl.
    let m = k
        .sys_modctl_stat()
        .unwrap()
        .into_iter()
        .find(|m| m.name == "k_helper")
        .expect("module listed");
    assert_eq!(m.class, ModuleClass::Misc);
    assert!(m.loaded);
}

#[test]
fn the_vfs_faction_loads_as_a_library() {
    let k = common::boot();
    k.load_libraries(&["rumpvfs"], &[build_libraries()])
        .unwrap();
    assert_eq!(common::sysctl_int(&k, "kern.maxvnodes"), 1024);
    assert_eq!(common::sysctl_string(&k, "vfs.generic.fstypes"), "rumpfs");
    // Its system calls joined this kernel's table: mkdir and stat by number.
    let us = rump::usermem::BufferSpace::new(0x1000, 4096);
    us.poke(0x1000, b"/loaded\0");
    k.syscall(netbsd_abi::SYS_mkdir, &[0x1000, 0o755], &us)
        .unwrap();
    k.syscall(netbsd_abi::SYS___stat50, &[0x1000, 0x1100], &us)
        .unwrap();
    let st = us.peek(0x1100, netbsd_abi::layout::stat::SIZE);
    let mode = netbsd_abi::layout::stat::st_mode.get(&st).unwrap() as i32;
    assert_eq!(
        mode & netbsd_abi::S_IFMT,
        netbsd_abi::S_IFDIR,
        "a directory"
    );
    // A faction attaches at most once.
    let again = k
        .load_libraries(&["rumpvfs"], &[build_libraries()])
        .unwrap_err();
    assert!(again.to_string().contains("already attached"), "{again}");
}

#[test]
fn a_library_from_another_build_is_refused() {
    let k = common::boot();
    let err = k.load_library(&lib("badprint")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LoadError::Refused { .. }), "{msg}");
    assert!(
        msg.contains("its rump is 0000000000000000, this kernel's is "),
        "names the crate that differs: {msg}"
    );
    assert!(
        msg.contains("rustc_1.60.0 x86_64-unknown-linux-gnu profile=release"),
        "names the library's build: {msg}"
    );
    assert!(
        msg.contains(rump::buildinfo::BUILD_MANIFEST.split_once("; ").unwrap().0),
        "names ours: {msg}"
    );
    // Nothing from it was registered.
    assert!(k.sysctl().name_to_mib("vendor.k_helper.present").is_err());
}

#[test]
fn a_library_built_against_another_hypercall_interface_is_refused() {
    let k = common::boot();
    let err = k.load_library(&lib("badversion")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LoadError::Refused { .. }), "{msg}");
    let ours = rumpuser::RUMPUSER_VERSION;
    assert!(
        msg.ends_with(&format!(
            "built against hypercall interface version {}, this kernel's hypercall layer is version {ours}",
            ours + 1
        )),
        "{msg}"
    );
    assert!(k.sysctl().name_to_mib("vendor.k_helper.present").is_err());
}

#[test]
fn a_library_of_this_build_with_another_program_build_is_refused() {
    // A program that declares a kernel crate built from other sources
    // than the library's copy of it: the library must not join.
    let k = common::boot();
    let (summary, _) = rump::buildinfo::BUILD_MANIFEST.split_once("; ").unwrap();
    k.join_build(
        "the program",
        &format!("{summary}; k_helper=0123456789abcdef rump={}", rump_entry()),
    )
    .unwrap();
    let err = k.load_library(&lib("k_helper")).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, LoadError::Refused { .. }), "{msg}");
    assert!(msg.contains("its k_helper is "), "{msg}");
    assert!(msg.contains("this kernel's is 0123456789abcdef"), "{msg}");
    assert!(k.sysctl().name_to_mib("vendor.k_helper.present").is_err());
}

/// This build's hash of the `rump` crate.
fn rump_entry() -> &'static str {
    let (_, list) = rump::buildinfo::BUILD_MANIFEST.split_once("; ").unwrap();
    list.split(' ')
        .find_map(|e| e.strip_prefix("rump="))
        .unwrap()
}

#[test]
fn a_missing_requirement_is_reported_by_name() {
    let k = common::boot();
    let err = k.load_library(&lib("k_helper2")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "component k_helper2 requires k_helper, which is not present"
    );
    assert!(!k.has_component("k_helper2"));
}

#[test]
fn requirements_resolve_in_rounds_whatever_the_order() {
    let k = common::boot();
    let dirs = [build_libraries()];
    // k_helper2 comes first but needs k_helper: it attaches in a later round.
    let names = k
        .load_libraries(&["k_helper2", "libk_helper.so"], &dirs)
        .unwrap();
    assert_eq!(names.len(), 2);
    assert_eq!(k.components(), ["k_helper", "k_helper2"]);
    assert_eq!(common::sysctl_int(&k, "vendor.k_helper.present2"), 1);
    let stat = k.sys_modctl_stat().unwrap();
    let helper = stat.iter().find(|m| m.name == "k_helper").unwrap();
    assert_eq!(helper.refcnt, 1, "k_helper2 holds a reference");
    // Unloading a module that another requires is EBUSY.
    assert_eq!(
        k.sys_modctl_unload("k_helper").unwrap_err(),
        rump::Errno::EBUSY
    );
}

#[test]
fn a_library_that_does_not_exist_is_reported() {
    let k = common::boot();
    let err = k.load_libraries(&["rumpfs_nonexistent"], &[]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("cannot load rumpfs_nonexistent:"), "{msg}");
    assert!(
        msg.contains("librumpfs_nonexistent.so"),
        "tries libNAME.so too: {msg}"
    );
}

#[test]
fn a_loaded_component_prints_through_the_programs_console() {
    use std::sync::{Arc, Mutex};
    let said = Arc::new(Mutex::new(Vec::new()));
    let s = Arc::clone(&said);
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .console(Box::new(move |_, m| s.lock().unwrap().push(m.to_owned())))
        .boot()
        .unwrap();
    k.load_library(&lib("k_helper")).unwrap();
    assert!(
        said.lock()
            .unwrap()
            .iter()
            .any(|m| m == "k_helper: attached"),
        "{said:?}"
    );
}
