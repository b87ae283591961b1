//! Issue #16, acceptance 5, for the network tools: `rump.ifconfig`,
//! `rump.route`, `rump.arp` and `rump.ndp` answer as NetBSD's
//! ifconfig(8), route(8), arp(8) and ndp(8) do on the same kernel. A server of ours gets a shmif
//! interface, an alias and routes (IPv4 and IPv6) from NetBSD's tools;
//! then each command
//! line runs through both tools, and exit status, stdout and stderr must
//! agree once the program name that starts an error line is the same.
//! NetBSD's tools are found through `NETBSD_PEER` (see
//! `netbsd_differential/`); without it the test says it was skipped.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Output;

/// What NetBSD's tools set up first: (tool, arguments).
const SETUP: &[(&str, &[&str])] = &[
    ("ifconfig", &["shmif0", "create"]),
    (
        "ifconfig",
        &["shmif0", "inet", "1.1.1.1", "netmask", "255.255.255.0"],
    ),
    ("ifconfig", &["shmif0", "inet", "1.1.1.7", "alias"]),
    ("ifconfig", &["shmif0", "up"]),
    ("route", &["add", "-net", "2.2.2.0/24", "1.1.1.2"]),
    ("route", &["add", "-inet6", "2001:db8:9::/64", "::1"]),
    ("route", &["add", "-inet6", "default", "fe80::1%lo0"]),
    (
        "route",
        &[
            "add",
            "-inet6",
            "2001:db8:c::",
            "-prefixlen",
            "48",
            "::1",
            "-reject",
        ],
    ),
    ("ndp", &["-s", "fe80::5%shmif0", "0:11:22:33:44:55"]),
];

/// Command lines compared: (our tool, NetBSD's tool, arguments).
const LINES: &[(&str, &str, &[&str])] = &[
    ("rump.ifconfig", "ifconfig", &["-l"]),
    ("rump.ifconfig", "ifconfig", &["-a"]),
    ("rump.ifconfig", "ifconfig", &["lo0"]),
    ("rump.ifconfig", "ifconfig", &["shmif0"]),
    ("rump.ifconfig", "ifconfig", &["nosuch0"]),
    ("rump.route", "route", &["-n", "show"]),
    ("rump.route", "route", &["-n", "get", "127.0.0.1"]),
    ("rump.route", "route", &["-n", "get", "2.2.2.5"]),
    ("rump.route", "route", &["-n", "get", "1.1.1.1"]),
    ("rump.route", "route", &["-n", "get", "9.9.9.9"]),
    ("rump.arp", "arp", &["-an"]),
    ("rump.arp", "arp", &["-n", "1.1.1.9"]),
    ("rump.arp", "arp", &["-a"]),
    (
        "rump.route",
        "route",
        &["add", "-net", "2.2.2.0/24", "1.1.1.2"],
    ),
    ("rump.route", "route", &["delete", "-net", "3.3.3.0/24"]),
    ("rump.route", "route", &["-n", "show", "-inet"]),
    ("rump.route", "route", &["-n", "show", "-inet6"]),
    (
        "rump.route",
        "route",
        &["-n", "get", "-inet6", "2001:db8:9::5"],
    ),
    (
        "rump.route",
        "route",
        &["-n", "get", "-inet6", "2001:db8:77::1"],
    ),
    ("rump.route", "route", &["-n", "get", "-inet6", "::1"]),
    (
        "rump.route",
        "route",
        &["add", "-inet6", "2001:db8:9::/64", "::1"],
    ),
    (
        "rump.route",
        "route",
        &["add", "-inet6", "2001:db8:a::/48", "2001:db8:b::1"],
    ),
    (
        "rump.route",
        "route",
        &["delete", "-inet6", "2001:db8:8::/64"],
    ),
    ("rump.ndp", "ndp", &["-an"]),
    ("rump.ndp", "ndp", &["-d", "::1"]),
    ("rump.ndp", "ndp", &["-d", "2001:db8:99::1"]),
    ("rump.ndp", "ndp", &["-n", "-d", "fe80::1%lo0"]),
    ("rump.ndp", "ndp", &["-n", "fe80::5%shmif0"]),
    ("rump.ndp", "ndp", &["-n", "fe80::77%shmif0"]),
    (
        "rump.ndp",
        "ndp",
        &["-s", "fe80::5%shmif0", "0:11:22:33:44:56"],
    ),
    ("rump.ndp", "ndp", &["-s", "::1", "0:11:22:33:44:57"]),
    (
        "rump.ndp",
        "ndp",
        &["-s", "2001:db8:77::1", "0:11:22:33:44:58"],
    ),
    (
        "rump.route",
        "route",
        &["-n", "get", "-inet6", "2001:db8:c::1"],
    ),
    (
        "rump.route",
        "route",
        &[
            "add",
            "-inet6",
            "2001:db8:c::",
            "-prefixlen",
            "48",
            "::1",
            "-reject",
        ],
    ),
];

/// The text of `bytes` with `prog` at the start of a line made generic.
fn normalize(bytes: &[u8], prog: &str) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| match l.strip_prefix(prog) {
            Some(rest) => format!("<tool>{rest}"),
            None => l.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn our_network_tools_answer_as_netbsds() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"nettools_tool: skipped: NETBSD_PEER is not set (see issue #16)\n",
        );
        return;
    };
    let netbsd = |tool: &str| peer.join("rumpctrl/bin").join(tool);
    let dir = tempdir("nettools-tool");
    let url = format!("unix://{}/s", dir.display());
    let (mut server, _client) = serve("rump_allserver", &[], &url);
    // The bus file lives in the test's own folder (the server's working
    // directory is not).
    let bus = dir.join("bus").to_string_lossy().into_owned();
    let linkstr: &[&str] = &["shmif0", "linkstr", &bus];
    let setup = SETUP[..1]
        .iter()
        .copied()
        .chain([("ifconfig", linkstr)])
        .chain(SETUP[1..].iter().copied());
    for (tool, args) in setup {
        let o = client_program(&netbsd(tool), &dir, &url, args);
        assert!(o.status.success(), "{tool} {args:?}: {o:?}");
    }
    let mut differ = Vec::new();
    for (ours, theirs, args) in LINES {
        let theirs = netbsd(theirs);
        let a = client_program(&bin(ours), &dir, &url, args);
        let b = client_program(&theirs, &dir, &url, args);
        let seen = |o: &Output, prog: &str| {
            (
                o.status.code(),
                normalize(&o.stdout, prog),
                normalize(&o.stderr, prog),
            )
        };
        let got = seen(&a, ours);
        let want = seen(&b, &theirs.to_string_lossy());
        if got != want {
            differ.push(format!(
                "{ours} {}\n  netbsd: {want:?}\n  ours:   {got:?}",
                args.join(" ")
            ));
        }
    }
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
