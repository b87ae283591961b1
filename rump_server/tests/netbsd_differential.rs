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
        "ours has kern.maxvnodes (RUMP_NVNODES); NetBSD's rump kernel has none (#16)",
    ),
    (
        "sysctl vfs.generic.fstypes",
        "we build rumpfs, tmpfs and ffs only",
    ),
    (
        "ls -R /d",
        "NetBSD's ls -R on rumpfs lists only the top directory: to be understood (#16)",
    ),
    (
        "mv /d/l /d/l2",
        "NetBSD 7.99's rumpfs root has no rename (EOPNOTSUPP); ours renames (#16)",
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

/// ktrace(1) of the rumpctrl set: setting, clearing and the errors of
/// ktrace(2) (by pid, by process group, with descendants), on a kernel
/// whose processes start in group and session 0. The records themselves
/// are compared by `ktrace_records_are_netbsds`.
const KTRACE_STEPS: &[Step] = &[
    ("ktrace", &["-p", "1", "-f", "/tmp/kt"]),
    ("ls", &["/tmp"]),
    ("ktrace", &["-c", "-p", "1"]),
    ("ktrace", &["-C"]),
    ("ktrace", &["-p", "99999", "-f", "/tmp/kt"]),
    ("ktrace", &["-g", "0", "-f", "/tmp/kt"]),
    ("ktrace", &["-g", "77", "-f", "/tmp/kt"]),
    ("ktrace", &["-f", "/tmp", "-p", "1"]),
    ("ktrace", &["-f", "/tmp/", "-p", "1"]),
    ("ktrace", &["-f", "/nonexist/x", "-p", "1"]),
    ("ktrace", &["-t", "x", "-p", "1"]),
    ("ktrace", &["-d", "-p", "0", "-f", "/tmp/kt"]),
    ("ktrace", &["-t", "cn", "-p", "1", "-f", "/tmp/kt"]),
    ("ktrace", &["-c", "-f", "/tmp/kt"]),
    ("ktrace", &["-C", "-f", "/tmp/kt"]),
    ("ktrace", &["-a", "-f", "/tmp/kt", "-p", "1"]),
    ("ktrace", &["-C"]),
];

/// Every ktrace step behaves as on NetBSD's kernel.
const KTRACE_NOT_YET: &[NotYet] = &[];

#[test]
fn ktrace_behaves_as_on_netbsds_kernel() {
    differential("ktrace", &[], KTRACE_STEPS, KTRACE_NOT_YET);
}

/// The records of a ktrace file, with what must differ between two runs
/// taken out: the time, pid and lwp id of each header, the bytes of the
/// command name after its NUL (NetBSD copies `p_comm` whole, stale bytes
/// and all), and arguments that are addresses in the traced program.
fn ktrace_records(b: &[u8]) -> Vec<String> {
    const HEADER: usize = 56;
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEADER <= b.len() {
        let h = &b[at..at + HEADER];
        let len = i32::from_le_bytes(h[0..4].try_into().unwrap()) as usize;
        let ty = i16::from_le_bytes(h[4..6].try_into().unwrap());
        let version = i16::from_le_bytes(h[6..8].try_into().unwrap());
        let comm = h[12..29].split(|&c| c == 0).next().unwrap();
        let Some(payload) = b.get(at + HEADER..at + HEADER + len) else {
            out.push(format!("truncated record at {at}"));
            break;
        };
        let shown = if i32::from(ty) == netbsd_abi::RUMP_KTR_SYSCALL {
            let words: Vec<String> = payload[8.min(len)..]
                .chunks(8)
                .map(|c| {
                    let v = u64::from_le_bytes(c.try_into().unwrap_or_default());
                    if v >= 0x10_0000 {
                        "addr".into()
                    } else {
                        format!("{v:#x}")
                    }
                })
                .collect();
            format!("{:?} {}", &payload[..8.min(len)], words.join(","))
        } else {
            format!("{payload:?}")
        };
        out.push(format!(
            "type {ty} v{version} len {len} comm {} {shown}",
            String::from_utf8_lossy(comm)
        ));
        at += HEADER + len;
    }
    out
}

/// A trace taken by NetBSD's ktrace tool, of NetBSD's mkdir, sysctl,
/// chmod, ln, rm and rmdir, holds the same records on our kernel as on
/// NetBSD's. (Not of a directory listing: NetBSD's rumpfs lists no `.`
/// and `..` entries, which is the VFS's business, not ktrace's.)
#[test]
fn ktrace_records_are_netbsds() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"netbsd_differential ktrace records: skipped: NETBSD_PEER is not set (see issue #16)\n",
        );
        return;
    };
    let lib = peer.join("rump/lib").to_string_lossy().into_owned();
    let theirs = Side::start(
        "netbsd",
        &peer.join("rump/bin/rump_allserver"),
        &[("LD_LIBRARY_PATH", lib)],
        &[],
    );
    let ours = Side::start("ours", &bin("rump_allserver"), &[], &[]);
    let tools = peer.join("rumpctrl/bin");
    // Each into a file of its own: ktrace(2) writes from the start of the
    // file it opens, whatever the tool's -a says.
    let traced: &[(&str, &[&str])] = &[
        ("/tmp/k1", &["mkdir", "/tmp/d"]),
        ("/tmp/k2", &["sysctl", "kern.ostype"]),
        ("/tmp/k3", &["chmod", "700", "/tmp/d"]),
        ("/tmp/k4", &["ln", "-s", "/tmp/d", "/tmp/l"]),
        ("/tmp/k5", &["rm", "/tmp/l"]),
        ("/tmp/k6", &["rmdir", "/tmp/d"]),
    ];
    let trace = |side: &Side| {
        let mut records = Vec::new();
        for (file, command) in traced {
            // The tool execs the traced program: by its full path.
            let prog = tools.join(command[0]).to_string_lossy().into_owned();
            let mut args = vec!["-f", file, &prog];
            args.extend_from_slice(&command[1..]);
            let o = side.run(&peer, "ktrace", &args);
            assert!(o.status.success(), "{}: ktrace {args:?}: {o:?}", side.name);
            records.push(format!("{command:?}"));
            records.extend(ktrace_records(&side.run(&peer, "cat", &[file]).stdout));
        }
        records
    };
    let (want, got) = (trace(&theirs), trace(&ours));
    assert!(want.len() > 20, "NetBSD's trace: {want:#?}");
    assert_eq!(want, got);
}
