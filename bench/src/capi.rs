//! The C interface for local clients: a C program's `rump_sys_getpid`
//! through our `librump.so` (`capi_getpid.c`, compiled here with `gcc`),
//! against NetBSD's `librump.so` running the same program when
//! `NETBSD_PEER` is set (compiled against NetBSD's headers, linked with
//! each library in turn, the runs taking turns), and against the host's
//! `getpid` otherwise.

use crate::{Record, scratch};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The program's source, written out and compiled at bench time.
const PROGRAM_C: &str = include_str!("capi_getpid.c");

/// Calls per run, and runs per library (their median counts).
const CALLS: &str = "200000";
const RUNS: usize = 9;

/// Run `gcc` with `args`; its messages on failure.
fn gcc(args: &[String]) -> Result<(), String> {
    let out = Command::new("gcc")
        .args(args)
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Compile the program in `dir` to an object, against our headers or,
/// given the peer, NetBSD's.
fn compile(dir: &Path, peer: Option<&Path>) -> Result<PathBuf, String> {
    let src = dir.join("capi_getpid.c");
    let obj = dir.join("capi_getpid.o");
    std::fs::write(&src, PROGRAM_C).map_err(|e| e.to_string())?;
    let mut args: Vec<String> = vec!["-O2".into(), "-c".into()];
    match peer {
        Some(peer) => {
            // The peer's headers lean on types the host's headers give.
            for h in ["stdint.h", "sys/types.h", "time.h", "sys/socket.h"] {
                args.push(format!("-include{h}"));
            }
            for h in ["sys/stat.h", "poll.h", "signal.h"] {
                args.push(format!("-include{h}"));
            }
            args.push(format!("-I{}", peer.join("rump/include").display()));
        }
        None => {
            let include = Path::new(env!("CARGO_MANIFEST_DIR")).join("../include");
            args.push(format!("-I{}", include.display()));
        }
    }
    args.extend([
        src.display().to_string(),
        "-o".into(),
        obj.display().to_string(),
    ]);
    gcc(&args)?;
    Ok(obj)
}

/// Link `obj` as `dir/name` with `libs` from `libdir`.
fn link(
    obj: &Path,
    dir: &Path,
    name: &str,
    libdir: &Path,
    libs: &[&str],
) -> Result<PathBuf, String> {
    let exe = dir.join(name);
    let mut args = vec![
        obj.display().to_string(),
        "-o".into(),
        exe.display().to_string(),
        format!("-L{}", libdir.display()),
        format!("-Wl,-rpath,{}", libdir.display()),
    ];
    args.extend(libs.iter().map(|l| l.to_string()));
    gcc(&args)?;
    Ok(exe)
}

/// One run: the (rump, host) cost of one getpid in microseconds.
fn run(exe: &Path) -> (f64, f64) {
    let out = Command::new(exe)
        .arg(CALLS)
        .env_remove("RUMP_VERBOSE")
        .stderr(Stdio::inherit())
        .output()
        .expect("run capi_getpid");
    assert!(out.status.success(), "capi_getpid failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("capi_getpid printed no {key}: {text}"))
    };
    (value("rump "), value("host "))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Our library laid out under its soname (`librump.so.0`, which a program
/// linked with it asks for) in `dir`.
fn our_library(dir: &Path) -> Result<PathBuf, String> {
    let built = std::env::current_exe()
        .map_err(|e| e.to_string())?
        .with_file_name("librump.so");
    if !built.exists() {
        return Err(format!("{} not built", built.display()));
    }
    let lib = dir.join("ours");
    std::fs::create_dir_all(&lib).map_err(|e| e.to_string())?;
    for name in ["librump.so", "librump.so.0"] {
        let _ = std::fs::remove_file(lib.join(name));
        std::fs::copy(&built, lib.join(name)).map_err(|e| e.to_string())?;
    }
    Ok(lib)
}

fn measure(records: &mut Vec<Record>) -> Result<(), String> {
    let dir = scratch().join("capi");
    let _ = std::fs::create_dir_all(&dir);
    let ours_lib = our_library(&dir)?;
    let peer = std::env::var_os("NETBSD_PEER").map(PathBuf::from);
    let obj = compile(&dir, peer.as_deref())?;
    let ours = link(&obj, &dir, "capi_getpid_ours", &ours_lib, &["-lrump"])?;
    match peer {
        Some(peer) => {
            let theirs = link(
                &obj,
                &dir,
                "capi_getpid_netbsd",
                &peer.join("rump/lib"),
                // librump.so.0 needs librumpuser.so.0, which only the
                // program's run path finds: the program must name it.
                &["-Wl,--no-as-needed", "-lrump", "-lrumpuser"],
            )?;
            let (mut o, mut t) = (Vec::new(), Vec::new());
            for _ in 0..RUNS {
                t.push(run(&theirs).0);
                o.push(run(&ours).0);
            }
            records.push(Record {
                name: "C local getpid (librump.so)",
                unit: "us",
                ours: median(o),
                baseline_name: "NetBSD's librump.so, same program (goal <= 0.3)",
                baseline: median(t),
            });
        }
        None => {
            eprintln!("rumpbench: NETBSD_PEER not set: C local getpid against the host's getpid");
            let runs: Vec<(f64, f64)> = (0..RUNS).map(|_| run(&ours)).collect();
            records.push(Record {
                name: "C local getpid (librump.so)",
                unit: "us",
                ours: median(runs.iter().map(|r| r.0).collect()),
                baseline_name: "host: getpid(2)",
                baseline: median(runs.iter().map(|r| r.1).collect()),
            });
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The C local getpid row; skipped with one line without `gcc` or our
/// library.
pub(crate) fn capi(records: &mut Vec<Record>) {
    if let Err(e) = measure(records) {
        eprintln!(
            "rumpbench: skipping the C local getpid ({})",
            e.lines().next().unwrap_or("gcc failed")
        );
    }
}
