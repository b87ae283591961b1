//! Starting, reaching and stopping a `rump_server` for the remote benchmarks.

use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// Connect to the listener at `path` once it listens (without taking a
/// connection of a one-connection peer just to see, as [`wait_for`] would).
pub(crate) fn connect_when_listening(path: &Path) -> UnixStream {
    let t = Instant::now();
    loop {
        if let Ok(s) = UnixStream::connect(path) {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{} never listened",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

pub(crate) fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpbench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

pub(crate) fn wait_for(path: &Path) {
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
pub(crate) fn start_server(server: &Path, args: &[&str], sock: &Path) -> Child {
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

pub(crate) fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

pub(crate) fn rss_kib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}
