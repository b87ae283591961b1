//! Issue #16, acceptance 5: `rump.sysctl` answers as NetBSD's own
//! sysctl(8) does on the same kernel. Both tools are run with the same
//! arguments against one server of ours; exit status, stdout and stderr
//! must agree, once the program name that starts an error line is the
//! same, and the values that change between two reads are set aside.
//! NetBSD's tool is found through `NETBSD_PEER` (see
//! `netbsd_differential/`); without it the test says it was skipped.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Output;

/// Command lines, in order (later ones see what earlier ones wrote).
const LINES: &[&[&str]] = &[
    &["kern.ostype"],
    &["kern.ostype", "kern.osrelease", "kern.version"],
    &["-n", "kern.ostype", "hw.ncpu"],
    &["-e", "kern.ostype"],
    &["kern.nosuchname"],
    &["-q", "kern.nosuchname"],
    &["kern.ostype.x"],
    &["kern.clockrate"],
    &["-n", "kern.clockrate"],
    &["-w", "kern.clockrate=1"],
    &["-w", "kern.domainname=example.org"],
    &["-n", "-w", "kern.domainname=example.net"],
    &["-q", "-w", "kern.domainname=example.com"],
    &["kern.domainname"],
    &["kern.domainname=x"],
    &["-w", "kern.ostype=Linux"],
    &["-w", "hw.ncpu=x"],
    &["-w", "hw.ncpu=99999999999999999999"],
    &["-w", "kern.nosuch=1"],
    &["hw"],
    &["security"],
    &["vfs.sync"],
    &["-d", "kern.ostype", "hw.model"],
    &["-d", "vfs.sync"],
    &["-n", "-d", "kern.clockrate"],
    &["proc.curproc.rlimit"],
    &["-w", "proc.curproc.rlimit.descriptors.soft=64"],
    &["-w", "proc.curproc.rlimit.descriptors.soft=100000"],
    &["-w", "proc.curproc.rlimit.stacksize.soft=unlimited"],
    &["-w", "proc.curproc.rlimit.cputime.hard=unlimited"],
    &["-w", "proc.curproc.rlimit.maxproc.soft=many"],
    &["-a"],
    // Values alone cannot be told from changing ones: the other top
    // nodes, and kern's steady values.
    &["-n", "vfs", "net", "hw", "user", "proc", "security"],
    &["-n", "kern.version", "kern.clockrate", "kern.rawpartition"],
    &["-d", "-a"],
    &["-A"],
    &["-d", "-A"],
    &["-d"],
    &["debug", "ddb", "vendor"],
    &["kern.proc2", "kern.file2"],
    &["-w", LONG_DOMAINNAME],
    // The user tree, which libc answers.
    &["user"],
    &["user.cs_path", "user.atexit_max"],
    &["-d", "user.line_max"],
    &["-w", "user.line_max=5"],
    &["user.nosuch"],
    &["user.line_max.x"],
];

/// A name longer than `kern.domainname` holds (MAXHOSTNAMELEN, 256).
const LONG_DOMAINNAME: &str = concat!(
    "kern.domainname=",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    "0123456789abcdef"
);

/// Nodes whose values differ from one read to the next.
const CHANGING: &[&str] = &["kern.hardclock_ticks", "kern.urandom", "kern.arandom"];

/// The text of `bytes` with `prog` at the start of an error line made
/// generic, and changing values replaced.
fn normalize(bytes: &[u8], prog: &str) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| {
            let l = match l.strip_prefix(prog) {
                Some(rest) => format!("<sysctl>{rest}"),
                None => l.to_owned(),
            };
            match CHANGING.iter().find(|n| l.starts_with(&format!("{n} = "))) {
                Some(n) => format!("{n} = <changes>"),
                None => l,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn rump_sysctl_answers_as_netbsds_sysctl() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"sysctl_tool: skipped: NETBSD_PEER is not set (see issue #16)\n",
        );
        return;
    };
    let theirs = peer.join("rumpctrl/bin/sysctl");
    let ours = bin("rump.sysctl");
    let dir = tempdir("sysctl-tool");
    let url = format!("unix://{}/s", dir.display());
    let (mut server, _client) = serve("rump_allserver", &[], &url);
    let mut differ = Vec::new();
    // A write runs once before it is compared, so that both tools find
    // the value it writes already there (their "old -> new" agree); the
    // netbsd_differential sysctl group compares first writes.
    for args in LINES {
        if args.contains(&"-w") {
            client_program(&theirs, &dir, &url, args);
        }
        let a = client_program(&ours, &dir, &url, args);
        let b = client_program(&theirs, &dir, &url, args);
        let seen = |o: &Output, prog: &str| {
            (
                o.status.code(),
                normalize(&o.stdout, prog),
                normalize(&o.stderr, prog),
            )
        };
        let got = seen(&a, "rump.sysctl");
        let want = seen(&b, &theirs.to_string_lossy());
        if got != want {
            differ.push(format!(
                "sysctl {}\n  netbsd: {want:?}\n  rump.sysctl: {got:?}",
                args.join(" ")
            ));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
