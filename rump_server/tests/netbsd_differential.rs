//! NetBSD's own userland as the oracle: the same invocations of NetBSD's
//! rump client tools (the rumpctrl set) against NetBSD's `rump_allserver`
//! and against ours, in step, each side with a directory of its own; the
//! exit status, what goes to stdout and what goes to stderr must agree,
//! after only what must differ is normalised (socket paths, the default
//! host name, link addresses).
//!
//! The peer is built by hand outside the repository (see issue #16) and
//! found through `NETBSD_PEER`, a folder with `rump/` (NetBSD's servers
//! and libraries) and `rumpctrl/bin/` (the tools). Without it the suite
//! says it was skipped.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// The steps, in order (later steps see what earlier ones made): a tool
/// of the rumpctrl set and its arguments.
const STEPS: &[(&str, &[&str])] = &[
    ("sysctl", &["kern.ostype"]),
    ("sysctl", &["kern.ostype", "kern.osrelease"]),
    ("sysctl", &["-n", "kern.ostype"]),
    ("sysctl", &["kern.nosuchname"]),
    ("sysctl", &["-q", "kern.nosuchname"]),
    ("sysctl", &["-w", "kern.hostname=peer"]),
    ("sysctl", &["kern.hostname"]),
    ("sysctl", &["-n", "kern.maxvnodes"]),
    ("sysctl", &["vfs.generic.fstypes"]),
    ("mkdir", &["/d"]),
    ("mkdir", &["/d"]),
    ("mkdir", &["-p", "/d/e/f"]),
    ("ls", &["/d"]),
    ("ls", &["-R", "/d"]),
    ("ls", &["/nonexistent"]),
    ("rmdir", &["/d/e"]),
    ("rmdir", &["/d/e/f", "/d/e"]),
    ("rmdir", &["/nonexistent"]),
    ("ln", &["-s", "target", "/d/l"]),
    ("ls", &["-F", "/d"]),
    ("cat", &["/nonexistent"]),
    ("cat", &["/d"]),
    ("uname", &["-s"]),
    ("uname", &["-r"]),
    ("uname", &["-m"]),
];

/// Steps of [`STEPS`] (by tool and first argument) that cannot behave as
/// NetBSD's yet, with the reason. Empty: everything listed must match.
const NOT_YET: &[(&str, &str, &str)] = &[];

/// A server under test: NetBSD's or ours.
struct Side {
    name: &'static str,
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Side {
    fn start(name: &'static str, server: &Path, env: &[(&str, String)]) -> Side {
        let dir = tempdir(&format!("nbdiff-{name}"));
        let url = format!("unix://{}", dir.join("s").display());
        let mut c = Command::new(server);
        c.arg("-s").arg(&url).current_dir(&dir);
        for (k, v) in env {
            c.env(k, v);
        }
        let child = c.spawn().unwrap();
        let t = Instant::now();
        while !dir.join("s").exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "{name}'s server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // The socket file appears at bind, a moment before the server listens.
        std::thread::sleep(Duration::from_millis(200));
        Side {
            name,
            child,
            url,
            dir,
        }
    }

    fn run(&self, peer: &Path, tool: &str, args: &[&str]) -> Output {
        Command::new(peer.join("rumpctrl/bin").join(tool))
            .args(args)
            .current_dir(&self.dir)
            .env("RUMP_SERVER", &self.url)
            .output()
            .unwrap()
    }

    /// The text of `bytes`, normalised line by line.
    fn normalize(&self, bytes: &[u8]) -> String {
        let dir = self.dir.to_string_lossy();
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| normalize_line(&l.replace(&*dir, "<dir>")))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn netbsd_tools_behave_on_our_kernel_as_on_netbsds() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        // Past the test harness's capture, so that the run shows it.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"netbsd_differential: skipped: NETBSD_PEER is not set (see issue #16)\n",
        );
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let theirs = Side::start(
        "netbsd",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
    );
    let ours = Side::start("ours", &bin("rump_allserver"), &[]);
    let mut differ = Vec::new();
    for (tool, args) in STEPS {
        let (a, b) = (theirs.run(&peer, tool, args), ours.run(&peer, tool, args));
        let seen = |side: &Side, o: &Output| {
            (
                o.status.code(),
                side.normalize(&o.stdout),
                side.normalize(&o.stderr),
            )
        };
        let (want, got) = (seen(&theirs, &a), seen(&ours, &b));
        let excused = NOT_YET
            .iter()
            .any(|(t, first, _)| t == tool && args.first() == Some(first));
        if want != got && !excused {
            differ.push(format!(
                "{tool} {}\n  {}: {:?}\n  {}: {:?}",
                args.join(" "),
                theirs.name,
                want,
                ours.name,
                got
            ));
        }
    }
    eprintln!(
        "netbsd_differential: {} of {} steps behave as on NetBSD's kernel",
        STEPS.len() - differ.len(),
        STEPS.len()
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
