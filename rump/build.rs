//! Computes the build fingerprint that every component library carries.
//!
//! Rust types are only compatible within one build, so a library built by
//! another compiler, profile, crate versions or kernel sources must be refused
//! by the loader. The fingerprint names each of those; the sources are
//! represented by a hash of the kernel crates' files.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Kernel crates whose types cross between a program and its loaded components.
const KERNEL_CRATES: &[&str] = &[
    "rump",
    "rumpuser",
    "rumpvfs",
    "rumpnet",
    "rumpdev",
    "rumpfs_ffs",
    "rumpfs_tmpfs",
    "rumpfs_nfs",
    "rumpnet_netinet",
    "rumpnet_virtif",
];

fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash ^= u64::from(b);
        *hash = hash.wrapping_mul(0x100_0000_01b3);
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs" || x == "toml") {
            out.push(p);
        }
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest.parent().unwrap().to_path_buf();
    let mut files = Vec::new();
    for c in KERNEL_CRATES {
        let d = root.join(c);
        collect(&d.join("src"), &mut files);
        files.push(d.join("Cargo.toml"));
        println!("cargo:rerun-if-changed={}", d.join("src").display());
        println!("cargo:rerun-if-changed={}", d.join("Cargo.toml").display());
    }
    files.push(root.join("Cargo.lock"));
    println!(
        "cargo:rerun-if-changed={}",
        root.join("Cargo.lock").display()
    );
    files.sort();
    let mut src = 0xcbf2_9ce4_8422_2325u64;
    for f in &files {
        fnv1a(
            &mut src,
            f.strip_prefix(&root)
                .unwrap_or(f)
                .to_string_lossy()
                .as_bytes(),
        );
        fnv1a(&mut src, &std::fs::read(f).unwrap_or_default());
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().replace(' ', "_"))
        .unwrap_or_else(|| "rustc-unknown".into());
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(str::to_lowercase))
        .collect();
    features.sort();
    // Code generation flags change layouts and unwinding: part of the build.
    let mut flags = 0xcbf2_9ce4_8422_2325u64;
    fnv1a(
        &mut flags,
        std::env::var("CARGO_ENCODED_RUSTFLAGS")
            .unwrap_or_default()
            .as_bytes(),
    );
    let panic = std::env::var("CARGO_CFG_PANIC").unwrap_or_else(|_| "unwind".into());
    let fp = format!(
        "rump-{} {} {} profile={} opt={} debug={} panic={panic} rustflags={flags:016x} features=[{}] sources={:016x}",
        std::env::var("CARGO_PKG_VERSION").unwrap(),
        version,
        std::env::var("TARGET").unwrap(),
        std::env::var("PROFILE").unwrap(),
        std::env::var("OPT_LEVEL").unwrap(),
        std::env::var("DEBUG").unwrap(),
        features.join(","),
        src
    );
    println!("cargo:rustc-env=RUMP_BUILD_FINGERPRINT={fp}");
}
