//! The remote path against NetBSD's own: a C program built against NetBSD's
//! librumpclient (`peer_client.c`, compiled here with the peer's headers and
//! library) times remote `getpid` and 64 KiB `pread` against NetBSD's
//! `rump_allserver` and against ours, the runs taking turns so that both
//! see the same machine. Needs `NETBSD_PEER` (see the README) and `gcc`.

use crate::{Record, scratch, start_server, stop, wait_for};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The client's source, written out and compiled at bench time.
const CLIENT_C: &str = include_str!("peer_client.c");

/// Calls of each kind per run, and runs per server (their median counts).
const CALLS: &str = "5000";
const RUNS: usize = 9;

/// Compile the client in `dir` against the peer at `peer`.
fn compile(peer: &Path, dir: &Path) -> Result<PathBuf, String> {
    let src = dir.join("peer_client.c");
    let exe = dir.join("peer_client");
    std::fs::write(&src, CLIENT_C).map_err(|e| e.to_string())?;
    let (inc, lib) = (peer.join("rump/include"), peer.join("rump/lib"));
    let mut c = Command::new("gcc");
    c.arg("-O2");
    // The peer's headers lean on types the host's headers give.
    for h in ["stdint.h", "sys/types.h", "time.h", "sys/socket.h"] {
        c.args(["-include", h]);
    }
    for h in ["sys/stat.h", "poll.h", "signal.h"] {
        c.args(["-include", h]);
    }
    let out = c
        .arg(format!("-I{}", inc.display()))
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg("-lrumpclient")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .output()
        .map_err(|e| format!("gcc: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(exe)
}

/// One run of the client against `sock`: its (getpid, pread) costs in us.
fn run(client: &Path, sock: &Path) -> (f64, f64) {
    let out = Command::new(client)
        .arg(CALLS)
        .env("RUMP_SERVER", format!("unix://{}", sock.display()))
        .stderr(Stdio::inherit())
        .output()
        .expect("run peer_client");
    assert!(out.status.success(), "peer_client failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let value = |key: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("peer_client printed no {key}: {text}"))
    };
    (value("getpid "), value("pread64k "))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Start NetBSD's `rump_allserver` in the foreground on `sock`.
fn start_netbsd(peer: &Path, sock: &Path) -> Child {
    let child = Command::new(peer.join("rump/bin/rump_allserver"))
        .args(["-s", &format!("unix://{}", sock.display())])
        .stderr(Stdio::null())
        .spawn()
        .expect("start NetBSD's rump_allserver");
    wait_for(sock);
    child
}

/// The remote getpid and 64 KiB pread of NetBSD's client, ours against
/// NetBSD's server; skipped with one line without the peer or gcc.
pub(crate) fn peer(records: &mut Vec<Record>, server: &Path) {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        eprintln!("rumpbench: NETBSD_PEER not set: skipping NetBSD's client against both servers");
        return;
    };
    let dir = scratch().join("peer");
    let _ = std::fs::create_dir_all(&dir);
    let client = match compile(&peer, &dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!(
                "rumpbench: cannot build the NetBSD client ({}): skipping",
                e.lines().next().unwrap_or("gcc failed")
            );
            return;
        }
    };
    let (theirs_sock, ours_sock) = (dir.join("netbsd.sock"), dir.join("ours.sock"));
    let theirs = start_netbsd(&peer, &theirs_sock);
    let ours = start_server(server, &["-lrumpvfs"], &ours_sock);
    let (mut t, mut o) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t.push(run(&client, &theirs_sock));
        o.push(run(&client, &ours_sock));
    }
    stop(theirs);
    stop(ours);
    let pick = |v: &[(f64, f64)], f: fn(&(f64, f64)) -> f64| median(v.iter().map(f).collect());
    records.push(Record {
        name: "NetBSD's client: remote getpid",
        unit: "us",
        ours: pick(&o, |r| r.0),
        baseline_name: "NetBSD's rump_allserver, same client (goal <= 0.8)",
        baseline: pick(&t, |r| r.0),
    });
    records.push(Record {
        name: "NetBSD's client: remote 64 KiB pread",
        unit: "us",
        ours: pick(&o, |r| r.1),
        baseline_name: "NetBSD's rump_allserver, same client (goal <= 1)",
        baseline: pick(&t, |r| r.1),
    });
    let _ = std::fs::remove_dir_all(&dir);
}
