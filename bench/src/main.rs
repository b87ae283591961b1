//! Benchmarks, run by `cargo xtask bench`: each prints our time, the host's
//! time for the comparable work measured in the same run, and the ratio.
//!
//! `--json FILE` also writes the records as JSON; `--runs N` sets how many
//! repetitions each median is taken over. The remote benchmarks need the
//! `rump_server` binary of the same build next to this one.

#![forbid(unsafe_code)]

mod baseline;
mod capi;
mod cgd;
mod dev;
mod ffs;
mod fuse;
mod hijack;
mod local;
mod measure;
mod net;
mod nfs;
mod peer;
mod remote;
mod server;
mod vfs;

pub(crate) use baseline::*;
pub(crate) use ffs::*;
pub(crate) use hijack::*;
pub(crate) use local::*;
pub(crate) use measure::*;
pub(crate) use remote::*;
pub(crate) use server::*;
pub(crate) use vfs::*;

use std::process::ExitCode;
use std::time::Duration;

fn main() -> ExitCode {
    let mut runs = 501;
    let mut json = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next(),
            "--only" => only = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--echo" => {
                let path = args.next().unwrap_or_default();
                let req = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(GETPID_REQ);
                let resp = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(GETPID_RESP);
                return echo(&path, req, resp);
            }
            "--host-tcp" => return net::host_tcp(),
            "--nfs-inside" => return nfs::inside(&args.next().unwrap_or_default()),
            "--ping" => {
                let v: Vec<String> = args.by_ref().take(5).collect();
                let num = |i: usize| v.get(i).and_then(|n| n.parse().ok()).unwrap_or(1);
                return ping(&v[0], num(1), num(2) as u32, num(3), num(4));
            }
            "--sink" => {
                let path = args.next().unwrap_or_default();
                let len = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
                return sink(&path, len);
            }
            "--sleep" => {
                std::thread::sleep(Duration::from_secs(30));
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!(
                    "usage: rumpbench [--runs N] [--json FILE] [--only local|capi|vfs|ffs|remote|hijack|net|cgd|dev|nfs|fuse]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(group) = only {
        let mut records = Vec::new();
        match group.as_str() {
            "local" => local_calls(&mut records, runs),
            "capi" => capi::capi(&mut records),
            "vfs" => vfs(&mut records),
            "ffs" => ffs(&mut records),
            "remote" => remote(&mut records, runs),
            "hijack" => hijack(&mut records, runs),
            "net" => net::net(&mut records),
            "cgd" => cgd::cgd(&mut records),
            "dev" => dev::dev(&mut records),
            "nfs" => nfs::nfs(&mut records),
            "fuse" => fuse::fuse(&mut records),
            _ => {
                eprintln!(
                    "rumpbench: --only local, capi, vfs, ffs, remote, hijack, net, cgd, dev, nfs or fuse"
                );
                return ExitCode::FAILURE;
            }
        }
        print_records(&records);
        return ExitCode::SUCCESS;
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
    local_calls(&mut records, runs);
    capi::capi(&mut records);
    vfs(&mut records);
    ffs(&mut records);
    remote(&mut records, runs);
    hijack(&mut records, runs);
    net::net(&mut records);
    cgd::cgd(&mut records);
    dev::dev(&mut records);
    nfs::nfs(&mut records);
    fuse::fuse(&mut records);

    print_records(&records);
    if let Some(path) = json
        && let Err(e) = write_json(&path, &records)
    {
        eprintln!("rumpbench: {path}: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
