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

/// A step: a tool of the rumpctrl set and its arguments.
type Step = (&'static str, &'static [&'static str]);

/// A step known not to behave as on NetBSD's kernel yet: its command line
/// and the reason.
type NotYet = (&'static str, &'static str);

/// The first steps, in order (later steps see what earlier ones made):
/// names, directories, links, mounts, the network at boot.
const STEPS: &[Step] = &[
    ("sysctl", &["kern.ostype"]),
    ("sysctl", &["kern.ostype", "kern.osrelease"]),
    ("sysctl", &["-n", "kern.ostype"]),
    ("sysctl", &["kern.nosuchname"]),
    ("sysctl", &["-q", "kern.nosuchname"]),
    ("sysctl", &["-w", "kern.hostname=peer"]),
    ("sysctl", &["kern.hostname"]),
    ("sysctl", &["-n", "kern.maxvnodes"]),
    ("sysctl", &["vfs.generic.fstypes"]),
    ("sysctl", &["-n", "vfs.sync.delay"]),
    ("mkdir", &["/d"]),
    ("mkdir", &["/d"]),
    ("mkdir", &["-p", "/d/e/f"]),
    ("mkdir", &["-m", "700", "/d/m"]),
    ("ls", &["/d"]),
    ("ls", &["-R", "/d"]),
    ("ls", &["/nonexistent"]),
    ("rmdir", &["/d/e"]),
    ("rmdir", &["/d/e/f", "/d/e"]),
    ("rmdir", &["/nonexistent"]),
    ("ln", &["-s", "target", "/d/l"]),
    ("ln", &["-s", "target", "/d/l"]),
    ("mknod", &["/d/p", "p"]),
    ("ls", &["-F", "/d"]),
    ("mv", &["/d/l", "/d/l2"]),
    ("mv", &["/nonexistent", "/d/x"]),
    ("ls", &["-1", "/d"]),
    ("rm", &["/d/l2"]),
    ("rm", &["/nonexistent"]),
    ("rm", &["-f", "/nonexistent"]),
    ("cat", &["/nonexistent"]),
    ("cat", &["/d"]),
    ("cp", &["/nonexistent", "/d/x"]),
    ("chmod", &["700", "/nonexistent"]),
    ("chown", &["1", "/nonexistent"]),
    ("ls", &["/tmp"]),
    ("mount_tmpfs", &["tmpfs", "/tmp"]),
    ("mkdir", &["/tmp/t"]),
    ("ls", &["/tmp"]),
    ("umount", &["/tmp"]),
    ("umount", &["/tmp"]),
    ("ls", &["/dev/null"]),
    ("mount", &[]),
    ("ifconfig", &["lo0"]),
    ("route", &["-n", "show"]),
];

/// Steps of [`STEPS`] (by their command line) that do not behave as on
/// NetBSD's kernel yet, with the reason: components we do not build, and
/// what issue #16 (and the issues it names) still has to do. A listed step
/// that behaves the same fails the suite, so that it comes off the list.
const NOT_YET: &[NotYet] = &[
    (
        "sysctl -n kern.maxvnodes",
        "rump(3) says RUMP_NVNODES sets kern.maxvnodes, and ours has it (our boot, loader \
         and sysctl tests rely on it); NetBSD 7.99's rump kernel never creates the node \
         (init_sysctl.c, which makes it, is not in librump)",
    ),
    (
        "sysctl vfs.generic.fstypes",
        "we build rumpfs, tmpfs and ffs only (the same three, in NetBSD's order)",
    ),
    (
        "mv /d/l /d/l2",
        "NetBSD 7.99's rumpfs has no rename (EOPNOTSUPP, rumpfs.c); ours renames on the \
         root, which our VFS conformance and model suites and the hijack's renameat2 test \
         on /rump rely on",
    ),
    ("ls -1 /d", "follows from `mv /d/l /d/l2`"),
    ("rm /d/l2", "follows from `mv /d/l /d/l2`"),
    (
        "ls /dev/null",
        "no /dev nodes: the device faction (#18) and the boot namespace (#16)",
    ),
    ("ifconfig lo0", "no AF_LINK sockets (#16) and no IPv6 (#20)"),
    (
        "route -n show",
        "no local host routes through lo0 (#16) and no IPv6 (#20)",
    ),
];

/// The file tools on a tmpfs at /tmp: copies, moves, removals, links,
/// modes and owners, dd, ed, pax, df, ls in its long, numeric and all
/// forms, device nodes; with the common options and error cases. A file
/// with contents comes from pax (the tools have no stdin here): its first
/// header block holds the archived path.
const FILES_STEPS: &[Step] = &[
    ("mount_tmpfs", &["tmpfs", "/tmp"]),
    ("mkdir", &["-p", "/tmp/a/b/c"]),
    ("mkdir", &["/tmp/a/d"]),
    ("pax", &["-w", "-f", "/tmp/a/arch.tar", "/tmp/a/b"]),
    ("ls", &["-l", "/tmp/a"]),
    (
        "dd",
        &[
            "if=/tmp/a/arch.tar",
            "of=/tmp/a/name",
            "bs=100",
            "count=1",
            "msgfmt=quiet",
        ],
    ),
    ("cat", &["/tmp/a/name"]),
    (
        "dd",
        &[
            "if=/tmp/a/arch.tar",
            "of=/tmp/a/part",
            "bs=10",
            "skip=1",
            "seek=2",
            "count=3",
            "msgfmt=quiet",
        ],
    ),
    ("ls", &["-l", "/tmp/a/part"]),
    ("dd", &["if=/tmp/nothere", "of=/tmp/a/x", "msgfmt=quiet"]),
    (
        "dd",
        &["if=/tmp/a/name", "of=/tmp/a/x", "bs=0", "msgfmt=quiet"],
    ),
    ("cat", &["/tmp/a/nothere"]),
    ("cat", &["/tmp/a"]),
    ("cp", &["/tmp/a/name", "/tmp/a/copy"]),
    ("cp", &["/tmp/a/name", "/tmp/a/nodir/x"]),
    ("cp", &["/tmp/a", "/tmp/x"]),
    ("cp", &["-R", "/tmp/a", "/tmp/r"]),
    ("ls", &["-R", "/tmp/r"]),
    ("cp", &["/tmp/a/name", "/tmp/a/name"]),
    ("cp", &["-i", "/tmp/a/name", "/tmp/a/copy"]),
    ("cp", &["-p", "/tmp/a/name", "/tmp/a/kept"]),
    ("ls", &["-l", "/tmp/a/kept"]),
    ("mv", &["/tmp/a/copy", "/tmp/a/b/moved"]),
    ("mv", &["/tmp/a/b", "/tmp/bb"]),
    ("mv", &["/tmp/nothere", "/tmp/x"]),
    ("mv", &["/tmp/bb", "/tmp/bb/c"]),
    ("mv", &["-f", "/tmp/bb/moved", "/tmp/a/d"]),
    ("ls", &["-l", "/tmp/bb", "/tmp/a/d"]),
    ("rm", &["/tmp/bb"]),
    ("rm", &["-r", "/tmp/bb"]),
    ("rm", &["-d", "/tmp/a/d"]),
    ("rm", &["/tmp/a/nothere"]),
    ("rm", &["-f", "/tmp/a/nothere"]),
    ("ln", &["/tmp/a/name", "/tmp/a/hard"]),
    ("ln", &["/tmp/a/name", "/tmp/a/hard"]),
    ("ln", &["/tmp/a", "/tmp/dirlink"]),
    ("ln", &["-s", "name", "/tmp/a/soft"]),
    ("ln", &["-s", "name", "/tmp/a/soft"]),
    ("ln", &["-sf", "other", "/tmp/a/soft"]),
    ("ls", &["-l", "/tmp/a/soft"]),
    ("ls", &["-i", "/tmp/a/nothere"]),
    ("chmod", &["640", "/tmp/a/name"]),
    ("chmod", &["u+x,g-r", "/tmp/a/name"]),
    ("chmod", &["-R", "go-rwx", "/tmp/r"]),
    ("chmod", &["999", "/tmp/a/name"]),
    ("chmod", &["640", "/tmp/nothere"]),
    ("chown", &["12:34", "/tmp/a/name"]),
    ("chown", &["-R", "5", "/tmp/r"]),
    ("chown", &["nosuchuser", "/tmp/a/name"]),
    ("ls", &["-ln", "/tmp/a/name", "/tmp/a/hard"]),
    ("ls", &["-ln", "/tmp/r"]),
    ("ls", &["-la", "/tmp/r/d"]),
    ("mknod", &["/tmp/a/fifo", "p"]),
    ("mknod", &["/tmp/a/cdev", "c", "2", "2"]),
    ("mknod", &["/tmp/a/bdev", "b", "3", "4"]),
    ("mknod", &["/tmp/a/cdev", "c", "2", "2"]),
    ("mknod", &["/tmp/a/bad", "x"]),
    ("ls", &["-l", "/tmp/a/fifo", "/tmp/a/cdev", "/tmp/a/bdev"]),
    ("ed", &["-s", "/tmp/a/name"]),
    ("ed", &["/tmp/a/name"]),
    ("ed", &["/tmp/nothere"]),
    ("pax", &["-f", "/tmp/a/arch.tar"]),
    ("pax", &["-r", "-f", "/tmp/nothere"]),
    ("df", &["/tmp"]),
    ("df", &["-i", "/tmp"]),
    ("df", &["-k", "/tmp"]),
    ("rm", &["-r", "/tmp/a"]),
    ("ls", &["/tmp"]),
];

/// Steps of [`FILES_STEPS`] that do not behave as on NetBSD's kernel yet.
const FILES_NOT_YET: &[NotYet] = &[];

/// The POSIX semaphore and asynchronous I/O limits (`kern.posix.*`,
/// `kern.posix_aio`, `kern.aio_*`): reads, writes and the values refused.
const POSIX_STEPS: &[Step] = &[
    ("sysctl", &["kern.posix"]),
    ("sysctl", &["kern.posix.semmax", "kern.posix.semcnt"]),
    ("sysctl", &["-w", "kern.posix.semmax=64"]),
    ("sysctl", &["-n", "kern.posix.semmax"]),
    ("sysctl", &["-w", "kern.posix.semcnt=3"]),
    ("sysctl", &["kern.posix_aio"]),
    ("sysctl", &["-w", "kern.posix_aio=1"]),
    ("sysctl", &["kern.aio_listio_max", "kern.aio_max"]),
    ("sysctl", &["-w", "kern.aio_listio_max=99999"]),
    ("sysctl", &["-w", "kern.aio_listio_max=0"]),
    ("sysctl", &["-w", "kern.aio_listio_max=100"]),
    ("sysctl", &["-w", "kern.aio_max=50"]),
    ("sysctl", &["-w", "kern.aio_max=9000"]),
];

/// Steps of [`POSIX_STEPS`] that do not behave as on NetBSD's kernel yet.
const POSIX_NOT_YET: &[NotYet] = &[];

/// A server under test: NetBSD's or ours.
struct Side {
    name: &'static str,
    child: Child,
    url: String,
    dir: PathBuf,
}

impl Side {
    fn start(name: &'static str, server: &Path, env: &[(&str, String)], args: &[&str]) -> Side {
        let dir = tempdir(&format!("nbdiff-{name}"));
        let url = format!("unix://{}", dir.join("s").display());
        let mut c = Command::new(server);
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

    fn run(&self, peer: &Path, tool: &str, args: &[&str]) -> Output {
        let path = peer.join("rumpctrl/bin").join(tool);
        assert!(path.exists(), "{} is not in NETBSD_PEER", path.display());
        Command::new(path)
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

/// Run `steps` against a fresh NetBSD `rump_allserver` and a fresh one of
/// ours, both started with `server_args` more (drives, say, whose host
/// paths are relative to each side's own directory), and fail on every
/// step that differs and is not in `not_yet`, and on every listed step
/// that no longer differs. `suite` names the group in what is printed.
fn differential(suite: &str, server_args: &[&str], steps: &[Step], not_yet: &[NotYet]) {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        // Past the test harness's capture, so that the run shows it.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!(
                "netbsd_differential {suite}: skipped: NETBSD_PEER is not set (see issue #16)\n"
            )
            .as_bytes(),
        );
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let theirs = Side::start(
        "netbsd",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
        server_args,
    );
    let ours = Side::start("ours", &bin("rump_allserver"), &[], server_args);
    let mut differ = Vec::new();
    let mut listed = 0;
    for (tool, args) in steps {
        let line = format!("{tool} {}", args.join(" "));
        let line = line.trim_end();
        let (a, b) = (theirs.run(&peer, tool, args), ours.run(&peer, tool, args));
        let seen = |side: &Side, o: &Output| {
            (
                o.status.code(),
                side.normalize(&o.stdout),
                side.normalize(&o.stderr),
            )
        };
        let (want, got) = (seen(&theirs, &a), seen(&ours, &b));
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

#[test]
fn netbsd_tools_behave_on_our_kernel_as_on_netbsds() {
    differential("basics", &[], STEPS, NOT_YET);
}

#[test]
fn netbsd_file_tools_behave_on_our_tmpfs_as_on_netbsds() {
    differential("files", &[], FILES_STEPS, FILES_NOT_YET);
}

#[test]
fn posix_semaphore_and_aio_limits_are_netbsds() {
    differential("posix", &[], POSIX_STEPS, POSIX_NOT_YET);
}
