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
//!
//! Each group of steps is a module of its own; a new group is a new
//! module with its steps, its not-yet list and its `#[test]`.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod basics;
mod cgd;
mod devices;
mod devtree;
mod disklabel_restore;
mod dot_listings;
mod ffs_corrupt;
mod ffs_root_file;
mod ffs_tools;
mod ffs_whiteouts;
mod files;
mod flags_and_names;
mod inet6;
mod inet6_mcast;
mod inet6_nd;
mod inet6_stats;
mod inet6_tools;
mod ktrace;
mod large_calls;
mod more_tools;
mod mount_flags;
mod netfix;
mod network;
mod network_dad;
mod nfs;
mod ping6_opts;
mod posix;
mod rtann6;
mod rumpfs_root;
mod sotimeo;
mod sysctl;
mod tools_and_sockets;
mod vnd;
mod wedges;

pub(crate) use common::*;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// A step: a tool of the rumpctrl set and its arguments.
type Step = (&'static str, &'static [&'static str]);

/// A step known not to behave as on NetBSD's kernel yet: its command line
/// and the reason.
type NotYet = (&'static str, &'static str);

/// What `dd` says without its timing (`msgfmt`, NetBSD's dd), which
/// differs by nature.
const DD_COUNTS: &str = "msgfmt=%I+%i in, %O+%o out, %b bytes";

/// A server under test: NetBSD's or ours.
struct Side {
    name: &'static str,
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Side {
    fn start(name: &'static str, server: &Path, env: &[(&str, String)], args: &[&str]) -> Side {
        Side::launch(name, side_dir(name), Command::new(server), env, args)
    }

    /// Start the server that `c` runs (the server's path, or a command
    /// that ends in it, such as `ip netns exec NS server`) in `dir`.
    fn launch(
        name: &'static str,
        dir: PathBuf,
        mut c: Command,
        env: &[(&str, String)],
        args: &[&str],
    ) -> Side {
        let url = format!("unix://{}", dir.join("s").display());
        c.arg("-s").args(args).arg(&url).current_dir(&dir);
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

    /// Run a tool of the peer's rumpctrl set against this side; `<dir>` in
    /// an argument stands for the side's own directory.
    fn run(&self, peer: &Path, tool: &str, args: &[&str]) -> Output {
        self.tool(peer, tool, args).output().unwrap()
    }

    /// The command that runs `tool` against this side, for a caller that
    /// wants to give it input.
    fn tool(&self, peer: &Path, tool: &str, args: &[&str]) -> Command {
        let path = peer.join("rumpctrl/bin").join(tool);
        assert!(path.exists(), "{} is not in NETBSD_PEER", path.display());
        let dir = self.dir.to_string_lossy();
        let mut c = Command::new(path);
        c.args(args.iter().map(|a| a.replace("<dir>", &dir)))
            .current_dir(&self.dir)
            .env("RUMP_SERVER", &self.url);
        c
    }

    /// The text of `bytes`, normalised line by line.
    fn normalize(&self, bytes: &[u8]) -> String {
        let dir = self.dir.to_string_lossy();
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| {
                let l = normalize_line(&l.replace(&*dir, "<dir>"));
                vnd::normalize_vnd_file(&more_tools::normalize_ping_times(
                    &ktrace::normalize_ffs_stamps(&devices::normalize_entropy_counts(&l)),
                ))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A fresh directory for the side called `name`.
fn side_dir(name: &str) -> PathBuf {
    tempdir(&format!("nbdiff-{name}"))
}

impl Drop for Side {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Run `steps` against a fresh NetBSD `rump_allserver` and a fresh one of
/// ours, both started with `server_args` more (drives, say, whose host
/// paths are relative to each side's own directory), and fail on every
/// step that differs and is not in `not_yet`, and on every listed step
/// that no longer differs. `suite` names the group in what is printed.
fn differential(suite: &str, server_args: &[&str], steps: &[Step], not_yet: &[NotYet]) {
    let Some(peer) = peer_or_skip(suite) else {
        return;
    };
    let (theirs, ours) = start_pair(&peer, server_args);
    compare(suite, &peer, &theirs, &ours, steps, not_yet);
}

/// A fresh NetBSD `rump_allserver` (with the peer's libraries) and a fresh
/// one of ours, both started with `server_args` more.
fn start_pair(peer: &Path, server_args: &[&str]) -> (Side, Side) {
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let theirs = Side::start(
        "netbsd",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
        server_args,
    );
    let ours = Side::start("ours", &bin("rump_allserver"), &[], server_args);
    (theirs, ours)
}

/// The peer's folder, or `None` after saying that `suite` was skipped.
fn peer_or_skip(suite: &str) -> Option<PathBuf> {
    let peer = std::env::var_os("NETBSD_PEER").map(PathBuf::from);
    if peer.is_none() {
        // Past the test harness's capture, so that the run shows it.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "netbsd_differential {suite}: skipped: NETBSD_PEER is not set (see issue #16)\n"
            )
            .as_bytes(),
        );
    }
    peer
}

/// Run `steps` against both sides, and fail on every step that differs
/// and is not in `not_yet`, and on every listed step that no longer
/// differs.
fn compare(
    suite: &str,
    peer: &Path,
    theirs: &Side,
    ours: &Side,
    steps: &[Step],
    not_yet: &[NotYet],
) {
    let mut differ = Vec::new();
    let mut listed = 0;
    for (tool, args) in steps {
        let line = format!("{tool} {}", args.join(" "));
        let line = line.trim_end();
        let (a, b) = (theirs.run(peer, tool, args), ours.run(peer, tool, args));
        let seen = |side: &Side, o: &Output| {
            (
                o.status.code(),
                side.normalize(&o.stdout),
                side.normalize(&o.stderr),
            )
        };
        let (want, got) = (seen(theirs, &a), seen(ours, &b));
        let is_listed = not_yet.iter().any(|(l, _)| *l == line);
        listed += usize::from(is_listed);
        if is_listed && want == got {
            differ.push(format!(
                "{line}: now behaves as on NetBSD's kernel; take it off the not-yet list"
            ));
        } else if !is_listed && want != got {
            differ.push(format!(
                "{line}\n  {}: {:?}\n  {}: {:?}",
                theirs.name, want, ours.name, got
            ));
        }
    }
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "netbsd_differential {suite}: {} of {} steps behave as on NetBSD's kernel; {} listed as not yet\n",
            steps.len() - listed,
            steps.len(),
            listed
        )
        .as_bytes(),
    );
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
