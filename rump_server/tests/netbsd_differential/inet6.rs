use crate::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// IPv6 at boot and on lo0 (issue #20): lo0's addresses, ping6 of ::1
/// and of fe80::1 with its scope, an address added and deleted, the
/// neighbour cache, the `net.inet6.ip6` nodes the stack has (forwarding
/// switched on and off), and routes through gateways added, shown,
/// looked up, changed and deleted with route(8)'s `-inet6` (a gateway
/// off every link, a route there already, one gone already).
const INET6_STEPS: &[Step] = &[
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["-a"]),
    ("ping6", &["-c", "2", "::1"]),
    ("ping6", &["-c", "1", "-n", "fe80::1%lo0"]),
    ("ndp", &["-a"]),
    ("ndp", &["-an"]),
    ("ndp", &["-d", "::1"]),
    ("ndp", &["-d", "2001:db8:99::1"]),
    ("ndp", &["-d", "fe80::1%lo0"]),
    ("sysctl", &["net.inet6.ip6.forwarding"]),
    ("sysctl", &["net.inet6.ip6.hlim"]),
    ("sysctl", &["net.inet6.ip6.dad_count"]),
    ("sysctl", &["net.inet6.ip6.accept_rtadv"]),
    ("sysctl", &["net.inet6.ip6.v6only"]),
    ("sysctl", &["net.inet6.ip6.maxfragpackets"]),
    ("sysctl", &["net.inet6.ip6.maxfrags"]),
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
    ("sysctl", &["net.inet6.ip6.forwarding"]),
    ("sysctl", &["-w", "net.inet6.ip6.forwarding=0"]),
    ("route", &["add", "-inet6", "2001:db8:9::/64", "::1"]),
    ("route", &["add", "-inet6", "2001:db8:9::/64", "::1"]),
    (
        "route",
        &["add", "-inet6", "2001:db8:a::/48", "2001:db8:b::1"],
    ),
    ("route", &["add", "-inet6", "default", "fe80::1%lo0"]),
    ("route", &["-n", "show", "-inet6"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:9::5"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:77::1"]),
    (
        "route",
        &["change", "-inet6", "2001:db8:9::/64", "fe80::1%lo0"],
    ),
    ("route", &["-n", "show", "-inet6"]),
    ("route", &["delete", "-inet6", "2001:db8:9::/64"]),
    ("route", &["delete", "-inet6", "2001:db8:9::/64"]),
    ("route", &["delete", "-inet6", "default"]),
    ("route", &["-n", "show", "-inet6"]),
];

/// Steps of [`INET6_STEPS`] that do not behave as on NetBSD's kernel yet.
const INET6_NOT_YET: &[NotYet] = &[];

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

/// NetBSD's kernel and ours on one shmif bus, shmif0 up with
/// 2001:db8::1/64 on NetBSD's and 2001:db8::2/64 on ours, DAD passed.
fn bus_pair(peer: &Path) -> (Side, Side) {
    let (theirs, ours) = start_pair(peer, &[]);
    let bus = theirs.dir.join("bus").to_string_lossy().into_owned();
    for (side, global) in [(&theirs, "2001:db8::1"), (&ours, "2001:db8::2")] {
        for args in [
            &["shmif0", "create"][..],
            &["shmif0", "linkstr", &bus],
            &["shmif0", "up"],
            &["shmif0", "inet6", global, "prefixlen", "64", "alias"],
            &["-w", "10"],
        ] {
            let o = side.run(peer, "ifconfig", args);
            assert!(o.status.success(), "{} ifconfig {args:?}: {o:?}", side.name);
        }
    }
    (theirs, ours)
}

/// NetBSD's kernel and ours on one shmif bus: both pass DAD, and NetBSD's
/// ping6 from each reaches the other by link-local address (with its
/// scope) and by a global one, and with 3000-byte requests in fragments;
/// each side's ndp then lists the other, and ndp -d deletes it.
#[test]
fn netbsd_and_ours_ping6_each_other_on_one_bus() {
    let Some(peer) = peer_or_skip("inet6 bus") else {
        return;
    };
    let (theirs, ours) = bus_pair(&peer);
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
    // Echo requests of 3000 bytes go in fragments both ways, and each
    // kernel reassembles the other's (requests and replies).
    for (from, to) in [(&theirs, "2001:db8::2"), (&ours, "2001:db8::1")] {
        let o = from.run(&peer, "ping6", &["-c", "2", "-i", "0.2", "-s", "3000", to]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            o.status.success() && text.contains("2 packets received"),
            "{} ping6 -s 3000 {to}: {o:?}",
            from.name
        );
    }
    for (side, other) in [(&theirs, &ll_ours), (&ours, &ll_theirs)] {
        let o = side.run(&peer, "ndp", &["-an"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let bare = other.split('%').next().unwrap_or(other);
        assert!(text.contains(bare), "{} ndp -an: {text}", side.name);
    }
    // ndp -d takes the other's global address out of each cache, and
    // says so as on NetBSD's; a second time there is nothing to delete.
    for (side, other) in [(&theirs, "2001:db8::2"), (&ours, "2001:db8::1")] {
        let o = side.run(&peer, "ndp", &["-d", other]);
        assert!(o.status.success(), "{} ndp -d {other}: {o:?}", side.name);
        assert_eq!(
            String::from_utf8_lossy(&o.stdout),
            format!("{other} ({other}) deleted\n"),
            "{}",
            side.name
        );
        let o = side.run(&peer, "ndp", &["-an"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        assert!(
            !text.contains(&format!("{other} ")),
            "{}: {text}",
            side.name
        );
    }
}

/// A tiny client of a rump kernel over NetBSD's librumpclient: `listen
/// PORT` accepts one TCP connection on [::]:PORT, checks the bytes and
/// prints their count, the peer and its scope id; `send ADDR SCOPE PORT
/// N` sends N bytes there. The sockaddr_in6 is NetBSD's (with sin6_len).
const TCP6_CLIENT: &str = r#"
#include <rump/rumpclient.h>
#include <rump/rump_syscalls.h>
#include <rump/rumpdefs.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void sa6(unsigned char *sa, const char *a, unsigned port, unsigned scope) {
    memset(sa, 0, 28);
    sa[0] = 28; sa[1] = RUMP_AF_INET6; sa[2] = port >> 8; sa[3] = port & 255;
    if (inet_pton(AF_INET6, a, sa + 8) != 1) { fprintf(stderr, "bad address %s\n", a); exit(2); }
    memcpy(sa + 24, &scope, 4);
}
static unsigned char pat(size_t i) { return (unsigned char)((i * 7 + i / 251) % 256); }
static unsigned char buf[65536];

int main(int argc, char **argv) {
    unsigned char sa[28];
    if (argc < 3 || rumpclient_init() != 0) { perror("init"); return 2; }
    int s = rump_sys_socket(RUMP_AF_INET6, RUMP_SOCK_STREAM, 0);
    if (s < 0) { perror("socket"); return 1; }
    if (!strcmp(argv[1], "listen")) {
        sa6(sa, "::", atoi(argv[2]), 0);
        if (rump_sys_bind(s, (void *)sa, 28) < 0) { perror("bind"); return 1; }
        if (rump_sys_listen(s, 1) < 0) { perror("listen"); return 1; }
        printf("ready\n"); fflush(stdout);
        unsigned char peer[28]; socklen_t pl = 28;
        int c = rump_sys_accept(s, (void *)peer, &pl);
        if (c < 0) { perror("accept"); return 1; }
        size_t got = 0; ssize_t n;
        while ((n = rump_sys_read(c, buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++)
                if (buf[i] != pat(got + i)) { printf("wrong byte at %zu\n", got + i); return 1; }
            got += n;
        }
        if (n < 0) { perror("read"); return 1; }
        char text[64]; unsigned scope;
        inet_ntop(AF_INET6, peer + 8, text, sizeof text);
        memcpy(&scope, peer + 24, 4);
        printf("%zu %s %u\n", got, text, scope);
        return 0;
    }
    if (argc < 6) return 2;
    sa6(sa, argv[2], atoi(argv[4]), atoi(argv[3]));
    if (rump_sys_connect(s, (void *)sa, 28) < 0) { perror("connect"); return 1; }
    size_t n = strtoul(argv[5], 0, 10), sent = 0;
    while (sent < n) {
        size_t len = n - sent < sizeof buf ? n - sent : sizeof buf;
        for (size_t i = 0; i < len; i++) buf[i] = pat(sent + i);
        ssize_t w = rump_sys_write(s, buf, len);
        if (w <= 0) { perror("write"); return 1; }
        sent += w;
    }
    rump_sys_close(s);
    printf("%zu\n", sent);
    return 0;
}
"#;

/// Build [`TCP6_CLIENT`] against the peer's librumpclient into `dir`.
fn build_tcp6_client(peer: &Path, dir: &Path) -> PathBuf {
    cc::compile_text("tcp6", TCP6_CLIENT, dir, &cc::netbsd_client_flags(peer))
}

/// The scope id `ifconfig shmif0` shows for the link-local address.
fn scope_id(side: &Side, peer: &Path) -> u32 {
    let o = side.run(peer, "ifconfig", &["shmif0"]);
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.lines()
        .filter(|l| l.contains("inet6 fe80::"))
        .find_map(|l| l.split("scopeid 0x").nth(1))
        .and_then(|r| u32::from_str_radix(r.trim(), 16).ok())
        .unwrap_or_else(|| panic!("{}: no scope id in {text}", side.name))
}

/// Move `n` bytes by TCP over IPv6 from `from` to `to`'s `dst` (scope
/// `scope`) with [`TCP6_CLIENT`]: what the listener prints.
fn tcp6_move(
    exe: &Path,
    (from, to): (&Side, &Side),
    (dst, scope): (&str, u32),
    n: usize,
) -> String {
    use std::io::BufRead;
    let mut l = Command::new(exe)
        .args(["listen", "7100"])
        .env("RUMP_SERVER", &to.url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(l.stdout.take().unwrap()).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "ready",
        "{} listens",
        to.name
    );
    let o = Command::new(exe)
        .args(["send", dst, &scope.to_string(), "7100", &n.to_string()])
        .env("RUMP_SERVER", &from.url)
        .output()
        .unwrap();
    assert!(o.status.success(), "{} sends to {dst}: {o:?}", from.name);
    let got = lines.next().unwrap().unwrap();
    assert!(l.wait().unwrap().success(), "{}: {got}", to.name);
    got
}

/// NetBSD's kernel and ours on one shmif bus move 16 MiB by TCP over IPv6
/// each way by global address, and 1 MiB each way by link-local address
/// with its scope, NetBSD's own librumpclient making the calls on both;
/// each listener names its peer by the address it sent from.
#[test]
fn netbsd_and_ours_move_tcp_over_ipv6_both_ways() {
    let Some(peer) = peer_or_skip("inet6 tcp") else {
        return;
    };
    let (theirs, ours) = bus_pair(&peer);
    let exe = build_tcp6_client(&peer, &theirs.dir);
    let (ll_theirs, ll_ours) = (link_local(&theirs, &peer), link_local(&ours, &peer));
    let bare = |a: &str| a.split('%').next().unwrap_or(a).to_string();
    let (sc_theirs, sc_ours) = (scope_id(&theirs, &peer), scope_id(&ours, &peer));
    for ((from, to), dst, scope, src, n) in [
        (
            (&theirs, &ours),
            "2001:db8::2".to_string(),
            0,
            "2001:db8::1".to_string(),
            16 << 20,
        ),
        (
            (&ours, &theirs),
            "2001:db8::1".to_string(),
            0,
            "2001:db8::2".to_string(),
            16 << 20,
        ),
        (
            (&theirs, &ours),
            bare(&ll_ours),
            sc_theirs,
            bare(&ll_theirs),
            1 << 20,
        ),
        (
            (&ours, &theirs),
            bare(&ll_theirs),
            sc_ours,
            bare(&ll_ours),
            1 << 20,
        ),
    ] {
        let got = tcp6_move(&exe, (from, to), (&dst, scope), n);
        let their_scope = if dst.starts_with("fe80") {
            if to.name == "ours" {
                sc_ours
            } else {
                sc_theirs
            }
        } else {
            0
        };
        assert_eq!(
            got,
            format!("{n} {src} {their_scope}"),
            "{} to {}",
            from.name,
            to.name
        );
    }
}
