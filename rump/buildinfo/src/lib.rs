//! The build manifest of kernel crates and of the images that link them.
//!
//! Rust types are only compatible within one build, so a component library
//! built by another compiler, profile or from other sources of a kernel
//! crate must be refused by the loader. Each kernel crate's build script
//! calls [`kernel_crate`]: it hashes the crate's own sources and code
//! generation settings into one entry, and passes its manifest (its entry
//! and those of the kernel crates it depends on) to the build scripts of
//! the crates that depend on it, through Cargo's `links` metadata. An image
//! (a component library's C-ABI crate, a server) calls [`image`] to collect
//! the manifests of its direct dependencies. No crate lists the crates above
//! it: every manifest is made from below.
//!
//! A manifest reads `rustc_1.85.0 x86_64-unknown-linux-gnu profile=debug;
//! rump=0123456789abcdef rumpuser=...`: a summary for people, then one
//! `crate=hash` per kernel crate, sorted. `rump::build` parses and compares
//! them.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The name of the `rustc-env` variable that carries the manifest into the
/// crate's code.
pub const ENV: &str = "RUMP_BUILD_MANIFEST";

/// The `links` metadata key that carries a kernel crate's manifest to its
/// dependents' build scripts (they see it as `DEP_<LINKS>_RUMP_MANIFEST`).
const METADATA_KEY: &str = "rump_manifest";

/// Build script of a kernel crate (one with `links` set in its manifest):
/// its entry joins the manifests of its kernel dependencies.
pub fn kernel_crate() {
    emit_kernel_crate(false);
}

/// Build script of the kernel base, which every image links: its entry
/// also covers the workspace's `Cargo.lock`, the versions of the external
/// crates whose types the kernel crates share. Only the base's entry
/// carries it, so that a lock-file change does not rebuild the hypercall
/// layer and the clients above it.
pub fn kernel_base() {
    emit_kernel_crate(true);
}

fn emit_kernel_crate(with_lock_file: bool) {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let name = env("CARGO_PKG_NAME");
    let mut entries = dependency_entries();
    let hash = crate_hash(&manifest_dir, with_lock_file);
    entries.insert(name, format!("{hash:016x}"));
    let manifest = render(&entries);
    println!("cargo::metadata={METADATA_KEY}={manifest}");
    println!("cargo::rustc-env={ENV}={manifest}");
}

/// Build script of an image (a component library or a program that loads
/// them): its manifest is the union of its kernel dependencies'.
pub fn image() {
    let manifest = render(&dependency_entries());
    println!("cargo::rustc-env={ENV}={manifest}");
}

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| panic!("cargo sets {key} for build scripts"))
}

/// The entries of every kernel crate this one depends on directly (each
/// of which carries its own dependencies' entries).
fn dependency_entries() -> BTreeMap<String, String> {
    let mut entries = BTreeMap::new();
    let suffix = format!("_{}", METADATA_KEY.to_uppercase());
    for (key, value) in std::env::vars() {
        if key.starts_with("DEP_") && key.ends_with(&suffix) {
            add_entries(&mut entries, &value);
        }
    }
    entries
}

/// Add the `crate=hash` entries of a dependency's manifest.
fn add_entries(entries: &mut BTreeMap<String, String>, manifest: &str) {
    let (_, list) = manifest.split_once("; ").unwrap_or(("", manifest));
    for entry in list.split(' ').filter(|e| !e.is_empty()) {
        if let Some((name, hash)) = entry.split_once('=') {
            entries.insert(name.to_owned(), hash.to_owned());
        }
    }
}

fn render(entries: &BTreeMap<String, String>) -> String {
    render_with(&summary(), entries)
}

fn render_with(summary: &str, entries: &BTreeMap<String, String>) -> String {
    let list: Vec<String> = entries.iter().map(|(n, h)| format!("{n}={h}")).collect();
    format!("{summary}; {}", list.join(" "))
}

/// What a person needs to tell two builds apart at a glance.
fn summary() -> String {
    format!(
        "{} {} profile={}",
        rustc_version(),
        env("TARGET"),
        env("PROFILE")
    )
}

fn rustc_version() -> String {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    Command::new(&rustc)
        .arg("-V")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().replace(' ', "_"))
        .unwrap_or_else(|| "rustc-unknown".into())
}

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

/// The workspace's `Cargo.lock`: the versions of every external crate.
fn lock_file(manifest_dir: &Path) -> Option<PathBuf> {
    manifest_dir
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// A hash of what decides this crate's compiled types: its sources and
/// manifest, its features, the compiler and code generation settings, and
/// (for the base) the versions of external crates.
fn crate_hash(manifest_dir: &Path, with_lock_file: bool) -> u64 {
    println!(
        "cargo::rerun-if-changed={}",
        manifest_dir.join("src").display()
    );
    println!(
        "cargo::rerun-if-changed={}",
        manifest_dir.join("Cargo.toml").display()
    );
    let lock = lock_file(manifest_dir).filter(|_| with_lock_file);
    if let Some(lock) = &lock {
        println!("cargo::rerun-if-changed={}", lock.display());
    }
    let mut hash = sources_hash(manifest_dir, lock.as_deref());
    let mut features: Vec<String> = std::env::vars()
        .filter_map(|(k, _)| k.strip_prefix("CARGO_FEATURE_").map(str::to_lowercase))
        .collect();
    features.sort();
    // Code generation settings change layouts and unwinding.
    for setting in [
        env("CARGO_PKG_VERSION"),
        rustc_version(),
        env("TARGET"),
        env("PROFILE"),
        env("OPT_LEVEL"),
        env("DEBUG"),
        std::env::var("CARGO_CFG_PANIC").unwrap_or_else(|_| "unwind".into()),
        std::env::var("CARGO_ENCODED_RUSTFLAGS").unwrap_or_default(),
        features.join(","),
    ] {
        fnv1a(&mut hash, setting.as_bytes());
        fnv1a(&mut hash, b"\0");
    }
    hash
}

/// A hash of the crate's sources (`src/**/*.rs`, `*.toml`), its
/// `Cargo.toml` and the lock file if given, names and contents.
fn sources_hash(manifest_dir: &Path, lock: Option<&Path>) -> u64 {
    let mut files = Vec::new();
    collect(&manifest_dir.join("src"), &mut files);
    files.sort();
    files.push(manifest_dir.join("Cargo.toml"));
    files.extend(lock.map(Path::to_path_buf));
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for f in &files {
        let shown = f.strip_prefix(manifest_dir).unwrap_or(f);
        fnv1a(&mut hash, shown.to_string_lossy().as_bytes());
        fnv1a(&mut hash, &std::fs::read(f).unwrap_or_default());
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_manifests_join_sorted_and_once_each() {
        let mut entries = BTreeMap::new();
        add_entries(&mut entries, "rustc_x t profile=debug; rump=01 rumpuser=02");
        add_entries(
            &mut entries,
            "rustc_x t profile=debug; rump=01 rumpvfs=03 rumpuser=02",
        );
        entries.insert("rumpfs_tmpfs".into(), "04".into());
        assert_eq!(
            render_with("rustc_x t profile=debug", &entries),
            "rustc_x t profile=debug; rump=01 rumpfs_tmpfs=04 rumpuser=02 rumpvfs=03"
        );
    }

    #[test]
    fn the_sources_hash_follows_contents_names_and_the_lock_file() {
        let dir = std::env::temp_dir().join(format!("rump_buildinfo-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("src/sub")).unwrap();
        std::fs::write(dir.join("Cargo.toml"), "[package]\n").unwrap();
        std::fs::write(dir.join("src/lib.rs"), "pub fn a() {}\n").unwrap();
        std::fs::write(dir.join("Cargo.lock"), "version = 4\n").unwrap();
        let first = sources_hash(&dir, None);
        assert_eq!(first, sources_hash(&dir, None), "stable");
        std::fs::write(dir.join("src/sub/m.rs"), "").unwrap();
        let with_module = sources_hash(&dir, None);
        assert_ne!(first, with_module, "a new file, even empty");
        std::fs::write(dir.join("src/lib.rs"), "pub fn b() {}\n").unwrap();
        let edited = sources_hash(&dir, None);
        assert_ne!(with_module, edited, "an edit");
        assert_ne!(edited, sources_hash(&dir, Some(&dir.join("Cargo.lock"))));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
