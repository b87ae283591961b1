//! `cargo xtask`: the project's own build tasks.
//!
//! - `cargo xtask demo`: build, start a `rump_server`, query it with
//!   `rump.sysctl`, halt it with `rump.halt`.
//! - `cargo xtask install --prefix DIR`: build in release mode and install
//!   the binaries into `DIR/bin`, the component libraries into `DIR/lib`,
//!   the C headers into `DIR/include/rump` (with `DIR/lib/pkgconfig`)
//!   and the manual pages of `docs/man` into `DIR/share/man/man{1,3,8}`.
//! - `cargo xtask test`: build every crate (component libraries included,
//!   which the loader tests open) and run every test.
//! - `cargo xtask bench [--json FILE] [--runs N]`: run the benchmarks.
//! - `cargo xtask abi`: regenerate the `netbsd_abi` tables from its data,
//!   and the C interface made from them (see `capi`).
//! - `cargo xtask abi-check`: list every system-call number, errno or
//!   NetBSD constant written as a literal outside `netbsd_abi`; fails on
//!   those outside the folders still allowed.
//! - `cargo xtask client-deps`: fail if a client crate (rumpclient, the
//!   hijack, a `rump.*` tool) links the kernel base.
//! - `cargo xtask sizes`: list every source file over 900 lines and every
//!   function over 150; fails on those not on its allow lists.

mod abi;
mod bare_numbers;
mod capi;
mod client_deps;
mod install_list;
#[cfg(test)]
mod kernel_services;
mod man;
mod sizes;
mod stress;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(mut c: Command) -> Result<()> {
    let st = c.status().with_context(|| format!("running {c:?}"))?;
    if !st.success() {
        bail!("{c:?} failed: {st}");
    }
    Ok(())
}

fn install(prefix: &Path, release: bool) -> Result<()> {
    let mut c = cargo();
    c.args(["build", "--workspace"]);
    if release {
        c.arg("--release");
    }
    run(c)?;
    let out = root().join(if release {
        "target/release"
    } else {
        "target/debug"
    });
    let (bin, lib) = (prefix.join("bin"), prefix.join("lib"));
    std::fs::create_dir_all(&bin).with_context(|| format!("creating {}", bin.display()))?;
    std::fs::create_dir_all(&lib).with_context(|| format!("creating {}", lib.display()))?;
    for e in install_list::entries()? {
        copy(&out.join(e.built), &prefix.join(e.dir).join(e.name))?;
    }
    man::install(&root().join("docs/man"), &prefix.join("share/man"))?;
    capi::install(&root(), prefix)?;
    println!("installed into {}", prefix.display());
    Ok(())
}

/// Show a server working: install, start it, ask it things, halt it.
fn demo() -> Result<()> {
    let prefix = root().join("target/demo");
    install(&prefix, false)?;
    let sock = prefix.join("demo.sock");
    let _ = std::fs::remove_file(&sock);
    let url = format!("unix://{}", sock.display());
    let step = |tool: &str, args: &[&str]| -> Result<()> {
        println!("\n$ {tool} {}", args.join(" "));
        let mut c = Command::new(prefix.join("bin").join(tool));
        c.args(args).env("RUMP_SERVER", &url);
        run(c)
    };
    println!("\nRUMP_SERVER={url}");
    step("rump_server", &["-lrumpvfs", &url])?;
    step(
        "rump.sysctl",
        &[
            "kern.ostype",
            "kern.osrelease",
            "kern.hostname",
            "hw.ncpu",
            "kern.maxvnodes",
        ],
    )?;
    step("rump.sysctl", &["-w", "kern.hostname=demo"])?;
    step("rump.sysctl", &["-a"])?;
    step("rump.halt", &[])?;
    if sock.exists() {
        bail!("the server left its socket behind");
    }
    println!("\nthe server halted and removed its socket");
    Ok(())
}

fn copy(from: &Path, to: &Path) -> Result<()> {
    // Replace rather than overwrite: a running server may have the old file mapped.
    let _ = std::fs::remove_file(to);
    std::fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    println!("  {}", to.display());
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("install") => {
            let prefix = match args.get(1..) {
                Some([flag, dir]) if flag == "--prefix" => PathBuf::from(dir),
                _ => bail!("usage: cargo xtask install --prefix DIR"),
            };
            let prefix = if prefix.is_absolute() {
                prefix
            } else {
                std::env::current_dir()?.join(prefix)
            };
            install(&prefix, true)
        }
        Some("demo") => demo(),
        Some("abi") => {
            let dir = root().join("netbsd_abi");
            abi::generate(&dir)?;
            let mut f = Command::new("rustfmt");
            f.args(["--edition", "2024"]);
            for (file, _) in abi::OUTPUTS {
                f.arg(dir.join("src").join(file));
            }
            capi::generate(&root())?;
            for (file, _, rust) in capi::OUTPUTS {
                if *rust {
                    f.arg(root().join(file));
                }
            }
            run(f)
        }
        Some("abi-check") => {
            let found = bare_numbers::scan(&root())?;
            let mut failing = 0;
            for f in &found {
                match bare_numbers::allowed(&f.file) {
                    Some((_, why)) => println!("{f} (allowed for now: {why})"),
                    None => {
                        failing += 1;
                        println!("{f}");
                    }
                }
            }
            if failing > 0 {
                bail!("{failing} ABI numbers written as literals outside the allowed folders");
            }
            Ok(())
        }
        Some("sizes") => {
            let mut failing = 0;
            for f in sizes::scan(&root())? {
                match f.allowed() {
                    Some(why) => println!("{f} (allowed: {why})"),
                    None => {
                        failing += 1;
                        println!("{f}");
                    }
                }
            }
            if failing > 0 {
                bail!("{failing} files or functions over the size limits");
            }
            Ok(())
        }
        Some("test") => {
            let mut b = cargo();
            b.args(["build", "--workspace", "--all-targets"]);
            run(b)?;
            let mut t = cargo();
            t.args(["test", "--workspace"]).args(&args[1..]);
            run(t)
        }
        Some("bench") => {
            // The remote benchmarks start the server of the same build.
            let mut b = cargo();
            b.args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "rump_server",
                "-p",
                "rumpvfs_capi",
                "-p",
                "rumpfs_tmpfs_capi",
                "-p",
                "rumphijack",
                "-p",
                "rump_fuse",
                "-p",
                "rump_fsutils",
                "-p",
                "rumpfs_ffs",
                "-p",
                "rump_librump",
            ]);
            run(b)?;
            let mut c = cargo();
            c.args(["run", "--release", "--quiet", "-p", "rumpbench", "--"])
                .args(&args[1..]);
            run(c)
        }
        Some("client-deps") => client_deps::check(&cargo),
        Some("stress") => stress::run(&stress::Options::parse(&args[1..])?, &root(), cargo()),
        _ => bail!(
            "usage: cargo xtask install --prefix DIR | test [ARGS] | bench [--json FILE] [--runs N] | abi | abi-check | client-deps | sizes | stress [--clients N] [--short-lived M] [--server PATH]"
        ),
    }
}
