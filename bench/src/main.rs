//! Benchmarks, run by `cargo xtask bench`: each prints our time, the host's
//! time for the comparable work measured in the same run, and the ratio.
//!
//! `--json FILE` also writes the records as JSON; `--runs N` sets how many
//! repetitions each median is taken over.

#![forbid(unsafe_code)]

use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Record {
    name: &'static str,
    ours: Duration,
    baseline_name: &'static str,
    baseline: Duration,
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up caches and lazy host state
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn boot(components: &[&'static rump::Component]) {
    let mut b = rump::KernelBuilder::new();
    for &c in components {
        b = b.component(c);
    }
    let k = b.boot().expect("boot");
    drop(k);
}

fn spawn_true() {
    let st = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("spawn true");
    assert!(st.success());
}

/// Every component linked into this benchmark: the full kernel so far.
const ALL: &[&rump::Component] = &[&rumpvfs::COMPONENT];

fn main() -> ExitCode {
    let mut runs = 501;
    let mut json = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            _ => {
                eprintln!("usage: rumpbench [--runs N] [--json FILE]");
                return ExitCode::FAILURE;
            }
        }
    }
    let host_spawn = time_runs(runs.min(201), spawn_true);
    let records = [
        Record {
            name: "boot, no components",
            ours: time_runs(runs, || boot(&[])),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
        Record {
            name: "boot, every component",
            ours: time_runs(runs, || boot(ALL)),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
    ];
    println!(
        "{:<24} {:>12} {:>12} {:>8}  baseline",
        "benchmark", "ours", "baseline", "ratio"
    );
    for r in &records {
        println!(
            "{:<24} {:>9.1} us {:>9.1} us {:>8.3}  {}",
            r.name,
            r.ours.as_secs_f64() * 1e6,
            r.baseline.as_secs_f64() * 1e6,
            r.ours.as_secs_f64() / r.baseline.as_secs_f64(),
            r.baseline_name
        );
    }
    if let Some(path) = json {
        let rows: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "  {{\"name\": \"{}\", \"ours_ns\": {}, \"baseline\": \"{}\", \"baseline_ns\": {}, \"ratio\": {:.6}, \"runs\": {}}}",
                    r.name,
                    r.ours.as_nanos(),
                    r.baseline_name,
                    r.baseline.as_nanos(),
                    r.ours.as_secs_f64() / r.baseline.as_secs_f64(),
                    runs
                )
            })
            .collect();
        if let Err(e) = std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))) {
            eprintln!("rumpbench: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
