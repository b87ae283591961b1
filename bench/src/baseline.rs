//! The host baselines: unix-socket ping-pongs (pinned to two CPUs or not) and a bare bulk transfer, each end a process of this program.

use crate::*;
use std::io::{Read, Write};
use std::os::unix::net::UnixListener;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

/// The request and reply sizes of a remote getpid on the wire.
pub(crate) const GETPID_REQ: usize = 24;
pub(crate) const GETPID_RESP: usize = 48;

/// `rumpbench --echo PATH`: the baseline's other process. Accepts one
/// connection and answers every 24-byte message with 48 bytes.
pub(crate) fn echo(path: &str, req_len: usize, resp_len: usize) -> ExitCode {
    let l = UnixListener::bind(path).expect("bind");
    let (mut s, _) = l.accept().expect("accept");
    let mut req = vec![0u8; req_len];
    let resp = vec![0u8; resp_len];
    while s.read_exact(&mut req).is_ok() {
        if s.write_all(&resp).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `taskset -c CPU` before `exe` when `pin` is asked for, the host has a
/// second CPU and `taskset` is there: the ping-pong's two ends then run on
/// CPUs of their own, a baseline that does not move with where the
/// scheduler puts them.
pub(crate) fn pinned(pin: bool, cpu: usize, exe: &Path) -> Command {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !pin || cpus < 2 || !taskset {
        return Command::new(exe);
    }
    let mut c = Command::new("taskset");
    c.args(["-c", &cpu.to_string()]).arg(exe);
    c
}

/// `rumpbench --ping PATH RUNS BATCH REQ RESP`: the baseline's measuring
/// end. Prints the median seconds of one round trip with the echo peer.
pub(crate) fn ping(
    path: &str,
    runs: usize,
    batch: u32,
    req_len: usize,
    resp_len: usize,
) -> ExitCode {
    let mut s = connect_when_listening(Path::new(path));
    let (req, mut resp) = (vec![1u8; req_len], vec![0u8; resp_len]);
    let cost = per_call(runs, batch, || {
        s.write_all(&req).expect("ping");
        s.read_exact(&mut resp).expect("pong");
    });
    println!("{cost:e}");
    ExitCode::SUCCESS
}

/// Time round trips of `req_len` bytes out and `resp_len` back between two
/// host processes over a unix socket, pinned to different CPUs if `pin`.
pub(crate) fn pingpong(
    dir: &Path,
    (runs, batch): (usize, u32),
    req_len: usize,
    resp_len: usize,
    pin: bool,
) -> f64 {
    let exe = std::env::current_exe().expect("exe");
    let sock = dir.join(format!("echo-{req_len}-{resp_len}.sock"));
    let _ = std::fs::remove_file(&sock);
    let sizes = [req_len.to_string(), resp_len.to_string()];
    let mut peer = pinned(pin, 1, &exe)
        .args(["--echo", &sock.to_string_lossy(), &sizes[0], &sizes[1]])
        .spawn()
        .expect("echo peer");
    let out = pinned(pin, 0, &exe)
        .args(["--ping", &sock.to_string_lossy()])
        .args([runs.to_string(), batch.to_string()])
        .args(&sizes)
        .output()
        .expect("ping end");
    let _ = peer.wait();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the ping end prints its cost")
}

/// `rumpbench --sink PATH LEN`: reads `LEN` bytes from its one connection,
/// answers one byte, again until the connection ends.
pub(crate) fn sink(path: &str, len: usize) -> ExitCode {
    let l = UnixListener::bind(path).expect("bind");
    let (mut s, _) = l.accept().expect("accept");
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let mut left = len;
        while left > 0 {
            match s.read(&mut buf[..left.min(1 << 20)]) {
                Ok(0) | Err(_) => return ExitCode::SUCCESS,
                Ok(n) => left -= n,
            }
        }
        if s.write_all(&[1]).is_err() {
            return ExitCode::SUCCESS;
        }
    }
}

/// Median time of sending `len` bytes over a bare unix socket to a host
/// process that reads them all and answers one byte.
pub(crate) fn bare_bulk(dir: &Path, runs: usize, len: usize) -> Duration {
    let exe = std::env::current_exe().expect("exe");
    let sock = dir.join("sink.sock");
    let _ = std::fs::remove_file(&sock);
    let mut peer = Command::new(&exe)
        .args(["--sink", &sock.to_string_lossy(), &len.to_string()])
        .spawn()
        .expect("sink peer");
    let mut s = connect_when_listening(&sock);
    let data = vec![7u8; len];
    let t = time_runs(runs, || {
        s.write_all(&data).expect("send");
        s.read_exact(&mut [0u8]).expect("ack");
    });
    drop(s);
    let _ = peer.wait();
    t
}
