use crate::*;
use std::path::{Path, PathBuf};

/// IPv6 at boot and on lo0 (issue #20): lo0's addresses, ping6 of ::1
/// and of fe80::1 with its scope, an address added and deleted, the
/// neighbour cache, and the `net.inet6.ip6` nodes the stack has.
const INET6_STEPS: &[Step] = &[
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["-a"]),
    ("ping6", &["-c", "2", "::1"]),
    ("ping6", &["-c", "1", "-n", "fe80::1%lo0"]),
    ("ndp", &["-a"]),
    ("ndp", &["-an"]),
    ("sysctl", &["net.inet6.ip6.forwarding"]),
    ("sysctl", &["net.inet6.ip6.hlim"]),
    ("sysctl", &["net.inet6.ip6.dad_count"]),
    ("sysctl", &["net.inet6.ip6.accept_rtadv"]),
    ("sysctl", &["-w", "net.inet6.ip6.hlim=32"]),
    ("ping6", &["-c", "1", "::1"]),
    ("sysctl", &["-w", "net.inet6.ip6.hlim=64"]),
    (
        "ifconfig",
        &["lo0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    ),
    ("ifconfig", &["lo0"]),
    ("ping6", &["-c", "1", "2001:db8::1"]),
    ("ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]),
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]),
    ("route", &["-n", "show", "-inet6"]),
    ("sysctl", &["-w", "net.inet6.ip6.forwarding=1"]),
];

/// Steps of [`INET6_STEPS`] that do not behave as on NetBSD's kernel yet.
const INET6_NOT_YET: &[NotYet] = &[(
    "sysctl -w net.inet6.ip6.forwarding=1",
    "IPv6 forwarding is not built yet (#20): ours refuses with EOPNOTSUPP",
)];

#[test]
fn inet6() {
    differential("inet6", &[], INET6_STEPS, INET6_NOT_YET);
}

/// The link-local address `ifconfig shmif0` shows on `side`.
fn link_local(side: &Side, peer: &Path) -> String {
    let o = side.run(peer, "ifconfig", &["shmif0"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("inet6 fe80::"))
        .and_then(|r| r.split_whitespace().next())
        .map(|r| format!("fe80::{r}"))
        .unwrap_or_else(|| panic!("{}: no link-local address in {text}", side.name))
}

/// NetBSD's kernel and ours on one shmif bus: both pass DAD, and NetBSD's
/// ping6 from each reaches the other by link-local address (with its
/// scope) and by a global one; each side's ndp then lists the other.
#[test]
fn netbsd_and_ours_ping6_each_other_on_one_bus() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"netbsd_differential inet6 bus: skipped: NETBSD_PEER is not set (see issue #16)\n",
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
    let bus = theirs.dir.join("bus").to_string_lossy().into_owned();
    for (side, global) in [(&theirs, "2001:db8::1"), (&ours, "2001:db8::2")] {
        for args in [
            &["shmif0", "create"][..],
            &["shmif0", "linkstr", &bus],
            &["shmif0", "up"],
            &["shmif0", "inet6", global, "prefixlen", "64", "alias"],
            &["-w", "10"],
        ] {
            let o = side.run(&peer, "ifconfig", args);
            assert!(o.status.success(), "{} ifconfig {args:?}: {o:?}", side.name);
        }
    }
    let (ll_theirs, ll_ours) = (link_local(&theirs, &peer), link_local(&ours, &peer));
    for (from, to) in [
        (&theirs, ll_ours.as_str()),
        (&ours, ll_theirs.as_str()),
        (&theirs, "2001:db8::2"),
        (&ours, "2001:db8::1"),
    ] {
        let o = from.run(&peer, "ping6", &["-c", "2", "-i", "0.2", to]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success() && text.contains("2 packets received"),
            "{} ping6 {to}: {o:?}",
            from.name
        );
    }
    for (side, other) in [(&theirs, &ll_ours), (&ours, &ll_theirs)] {
        let o = side.run(&peer, "ndp", &["-an"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let bare = other.split('%').next().unwrap_or(other);
        assert!(text.contains(bare), "{} ndp -an: {text}", side.name);
    }
}
