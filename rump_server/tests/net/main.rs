//! The network faction with the installed binaries, as NetBSD's own tests
//! use it: rump_server processes on a shmif bus, configured with
//! rump.ifconfig and checked with rump.ping, the bus read back with
//! shmif_dumpbus and tcpdump.

#[path = "../common/mod.rs"]
mod common;

mod bus;
mod python;
mod tables;
mod tcp;

use common::pytcp::*;
use common::*;
use std::path::Path;
use std::process::Command;

/// Servers that are halted (or killed) however the test ends.
pub(crate) struct Servers {
    dir: std::path::PathBuf,
    urls: Vec<String>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for u in &self.urls {
            let _ = tool(&self.dir, u, "rump.halt", &[]);
        }
    }
}

impl Servers {
    /// Start `rump_allserver` daemons named `names` in `dir`, with `env`.
    fn allservers(dir: &Path, names: &[&str], env: &[(&str, &str)]) -> Servers {
        let mut s = Servers {
            dir: dir.to_path_buf(),
            urls: Vec::new(),
        };
        for name in names {
            let url = format!("unix://{name}");
            let st = Command::new(bin("rump_allserver"))
                .current_dir(dir)
                .envs(env.iter().copied())
                .arg(&url)
                .status()
                .unwrap();
            assert!(st.success(), "rump_allserver {url}");
            s.urls.push(url);
        }
        s
    }
}

/// Start `n` servers with the network components loaded by `-l`, each
/// with shmif0 on `bus` and address 1.1.1.(i+1).
pub(crate) fn bus_of_servers(dir: &Path, n: usize, bus: &str) -> Servers {
    let mut s = Servers {
        dir: dir.to_path_buf(),
        urls: Vec::new(),
    };
    for i in 1..=n {
        let url = format!("unix://sock{i}");
        let st = Command::new(bin("rump_server"))
            .current_dir(dir)
            .args(["-lrumpnet", "-lrumpnet_netinet", "-lrumpnet_shmif", &url])
            .status()
            .unwrap();
        assert!(st.success(), "rump_server {url}");
        s.urls.push(url.clone());
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "create"]),
            "create",
        );
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "linkstr", bus]),
            "linkstr",
        );
        let addr = format!("1.1.1.{i}");
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "inet", &addr]),
            "inet",
        );
        ok(&tool(dir, &url, "rump.ifconfig", &["-w", "10"]), "-w");
    }
    s
}

/// The pid of the server daemon serving `url` from `dir`.
pub(crate) fn server_pid(dir: &Path, url: &str) -> u32 {
    let pids: Vec<i32> = pids_with(&dir.to_string_lossy())
        .into_iter()
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(url))
        })
        .collect();
    assert_eq!(pids.len(), 1, "one server for {url}: {pids:?}");
    pids[0] as u32
}
