//! Benchmarks, run by `cargo xtask bench`: each prints our time, the host's
//! time for the comparable work measured in the same run, and the ratio.
//!
//! `--json FILE` also writes the records as JSON; `--runs N` sets how many
//! repetitions each median is taken over. The remote benchmarks need the
//! `rump_server` binary of the same build next to this one.

#![forbid(unsafe_code)]

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Record {
    name: &'static str,
    unit: &'static str,
    ours: f64,
    baseline_name: &'static str,
    baseline: f64,
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

/// Median cost of one call of `f`, measured in batches.
fn per_call(runs: usize, batch: u32, mut f: impl FnMut()) -> f64 {
    time_runs(runs, || {
        for _ in 0..batch {
            f();
        }
    })
    .as_secs_f64()
        / f64::from(batch)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn boot(components: &[&'static rump::Component]) {
    let mut b = rump::KernelBuilder::new();
    for &c in components {
        b = b.component(c);
    }
    drop(b.boot().expect("boot"));
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

/// The request and reply sizes of a remote getpid on the wire.
const GETPID_REQ: usize = 24;
const GETPID_RESP: usize = 48;

/// `rumpbench --echo PATH`: the baseline's other process. Accepts one
/// connection and answers every 24-byte message with 48 bytes.
fn echo(path: &str) -> ExitCode {
    let l = UnixListener::bind(path).expect("bind");
    let (mut s, _) = l.accept().expect("accept");
    let mut req = [0u8; GETPID_REQ];
    let resp = [0u8; GETPID_RESP];
    while s.read_exact(&mut req).is_ok() {
        if s.write_all(&resp).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpbench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

fn wait_for(path: &Path) {
    let t = Instant::now();
    while UnixStream::connect(path).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{} never served",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Start `rump_server -s` on a fresh socket; returns it once it serves.
fn start_server(server: &Path, args: &[&str], sock: &Path) -> Child {
    let _ = std::fs::remove_file(sock);
    let url = format!("unix://{}", sock.display());
    let child = Command::new(server)
        .args(args)
        .args(["-s", &url])
        .spawn()
        .expect("start rump_server");
    wait_for(sock);
    child
}

fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

fn rss_kib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}

fn remote(records: &mut Vec<Record>, runs: usize) {
    let exe = std::env::current_exe().expect("exe");
    let server = exe.with_file_name("rump_server");
    if !server.exists() {
        eprintln!(
            "rumpbench: {} not built: skipping the remote benchmarks",
            server.display()
        );
        return;
    }
    let dir = scratch();

    // Start-up: from spawning the server until its socket answers.
    let sock = dir.join("start.sock");
    let ready = time_runs(runs.min(41), || stop(start_server(&server, &[], &sock)));
    let spawn = time_runs(runs.min(41), spawn_true);
    records.push(Record {
        name: "server start to serving",
        unit: "us",
        ours: us(ready),
        baseline_name: "host: spawn and wait for true(1)",
        baseline: us(spawn),
    });

    // Remote getpid against a bare ping-pong of the same sizes.
    let sock = dir.join("rt.sock");
    let child = start_server(&server, &["-lrumpvfs"], &sock);
    let idle = rss_kib(child.id());
    let c = rumpclient::Client::connect(&format!("unix://{}", sock.display())).expect("connect");
    let remote_getpid = per_call(runs.min(101), 200, || {
        c.getpid().expect("getpid");
    });
    drop(c);
    stop(child);
    let echo_sock = dir.join("echo.sock");
    let _ = std::fs::remove_file(&echo_sock);
    let mut peer = Command::new(&exe)
        .args(["--echo", &echo_sock.to_string_lossy()])
        .spawn()
        .expect("echo peer");
    wait_for(&echo_sock);
    let peer_rss = rss_kib(peer.id());
    // wait_for's probe took the peer's one accept: connect for real now.
    let _ = peer.kill();
    let _ = peer.wait();
    let _ = std::fs::remove_file(&echo_sock);
    let mut peer = Command::new(&exe)
        .args(["--echo", &echo_sock.to_string_lossy()])
        .spawn()
        .expect("echo peer");
    let t = Instant::now();
    let mut s = loop {
        if let Ok(s) = UnixStream::connect(&echo_sock) {
            break s;
        }
        assert!(t.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_micros(200));
    };
    let (req, mut resp) = ([1u8; GETPID_REQ], [0u8; GETPID_RESP]);
    let pingpong = per_call(runs.min(101), 200, || {
        s.write_all(&req).expect("ping");
        s.read_exact(&mut resp).expect("pong");
    });
    drop(s);
    let _ = peer.wait();
    records.push(Record {
        name: "remote getpid",
        unit: "us",
        ours: remote_getpid * 1e6,
        baseline_name: "host: unix socket ping-pong 24/48 bytes",
        baseline: pingpong * 1e6,
    });
    records.push(Record {
        name: "server idle RSS (vfs)",
        unit: "KiB",
        ours: idle,
        baseline_name: "host: a trivial Rust process",
        baseline: peer_rss,
    });
    let _ = std::fs::remove_dir_all(&dir);
}

fn main() -> ExitCode {
    let mut runs = 501;
    let mut json = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--echo" => return echo(&args.next().unwrap_or_default()),
            _ => {
                eprintln!("usage: rumpbench [--runs N] [--json FILE]");
                return ExitCode::FAILURE;
            }
        }
    }
    let host_spawn = us(time_runs(runs.min(201), spawn_true));
    let mut records = vec![
        Record {
            name: "boot, no components",
            unit: "us",
            ours: us(time_runs(runs, || boot(&[]))),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
        Record {
            name: "boot, every component",
            unit: "us",
            ours: us(time_runs(runs, || boot(ALL))),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
    ];
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
        k.sys_setrlimit(8, lim).expect("setrlimit");
    });
    records.push(Record {
        name: "local setrlimit",
        unit: "us",
        ours: local_set * 1e6,
        baseline_name: "host: getpid(2)",
        baseline: host * 1e6,
    });
    remote(&mut records, runs);

    println!(
        "{:<26} {:>12} {:>12} {:>8}  baseline",
        "benchmark", "ours", "baseline", "ratio"
    );
    for r in &records {
        println!(
            "{:<26} {:>9.2} {:<3} {:>8.2} {:<3} {:>7.3}  {}",
            r.name,
            r.ours,
            r.unit,
            r.baseline,
            r.unit,
            r.ours / r.baseline,
            r.baseline_name
        );
    }
    if let Some(path) = json {
        let rows: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "  {{\"name\": \"{}\", \"unit\": \"{}\", \"ours\": {:.3}, \"baseline\": \"{}\", \"baseline_value\": {:.3}, \"ratio\": {:.6}}}",
                    r.name,
                    r.unit,
                    r.ours,
                    r.baseline_name,
                    r.baseline,
                    r.ours / r.baseline
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
