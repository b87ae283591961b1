//! rump.ping6 with NetBSD's options (issue #20), against our kernel's
//! ::1: each line is checked against NetBSD's sbin/ping6/ping6.c (the
//! `PING6(%lu=40+8+%lu bytes)` header from `pingerlen`, `pr_pack`'s
//! reply line with ` time=` only when the data holds a `struct tv32`,
//! `fill`'s `PATTERN: 0x` line, `summary`, the `errx` messages and exit
//! statuses), and, with `NETBSD_PEER` set, against what NetBSD's own
//! ping6 prints with the same options on the same kernel (times aside).

mod common;

use common::kernel6::Server;
use common::*;
use std::path::PathBuf;
use std::process::Output;
use std::time::Instant;

fn ping6(k: &Server, args: &[&str]) -> Output {
    tool(&k.dir, &k.url, "rump.ping6", args)
}

/// The text of `o` with times replaced, as the differential tests do.
fn timeless(text: &str) -> String {
    text.lines()
        .map(|l| match (l.find(" time="), l.starts_with("round-trip ")) {
            (Some(at), _) => format!("{} time=<ms>", &l[..at]),
            (None, true) => "round-trip <ms>".to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn server(tag: &str) -> Server {
    Server::start(&tempdir(tag), "k")
}

#[test]
fn sizes_patterns_quiet_and_once_print_as_netbsds_ping6() {
    let k = server("ping6-opts");
    let o = ping6(&k, &["-c", "1", "-s", "100", "::1"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        timeless(&stdout(&o)),
        "PING6(148=40+8+100 bytes) ::1 --> ::1\n\
         108 bytes from ::1, icmp_seq=0 hlim=64 time=<ms>\n\n\
         --- ::1 ping6 statistics ---\n\
         1 packets transmitted, 1 packets received, 0.0% packet loss\n\
         round-trip <ms>"
    );
    // Four bytes hold no time stamp: no time and no round-trip line.
    let o = ping6(&k, &["-c", "1", "-s", "4", "-n", "::1"]);
    assert_eq!(
        stdout(&o),
        "PING6(52=40+8+4 bytes) ::1 --> ::1\n12 bytes from ::1, icmp_seq=0 hlim=64\n\n\
         --- ::1 ping6 statistics ---\n\
         1 packets transmitted, 1 packets received, 0.0% packet loss\n"
    );
    // The pattern is echoed back and checked: no "wrong data byte".
    let o = ping6(
        &k,
        &["-c", "2", "-i", "0.2", "-p", "abc", "-s", "40", "::1"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = timeless(&stdout(&o));
    assert!(
        out.starts_with("PATTERN: 0xab0c\nPING6(88=40+8+40 bytes)"),
        "{out}"
    );
    assert!(
        out.contains("48 bytes from ::1, icmp_seq=1 hlim=64 time=<ms>\n"),
        "{out}"
    );
    assert!(!out.contains("wrong data"), "{out}");
    // -q: the header and the summary; -l 2 sends two at once.
    let o = ping6(&k, &["-c", "3", "-l", "2", "-q", "::1"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        timeless(&stdout(&o)),
        "PING6(56=40+8+8 bytes) ::1 --> ::1\n\n--- ::1 ping6 statistics ---\n\
         3 packets transmitted, 3 packets received, 0.0% packet loss\nround-trip <ms>"
    );
    // -o stops at the first reply, and -c 5 was not met: exit 1.
    let o = ping6(&k, &["-c", "5", "-o", "-q", "::1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("1 packets transmitted, 1 packets received"));
    // -S binds the source: one the kernel does not have is refused.
    let o = ping6(&k, &["-c", "1", "-S", "2001:db8::5", "::1"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(
        stderr(&o),
        "rump.ping6: bind: Can't assign requested address\n"
    );
    // More than the kernel sends in one packet: ping6's warnings, the
    // loss, exit 1.
    let o = ping6(&k, &["-c", "1", "-s", "70000", "::1"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "rump.ping6: you need -b to increase socket buffer size\n\
         rump.ping6: sendmsg: Message too long\n"
    );
    assert!(stdout(&o).contains("ping6: wrote ::1 70008 chars, ret=-1\n"));
}

#[test]
fn verbose_lifts_the_icmp6_filter_and_deadline_ends_the_run() {
    let k = server("ping6-filter");
    // Our echo request, looped on lo0, reaches the raw socket only when
    // its ICMP6_FILTER passes every type (-v); without, only replies.
    let o = ping6(&k, &["-c", "1", "-v", "::1"]);
    let out = timeless(&stdout(&o));
    assert!(out.contains("\n16 bytes from ::1: Echo Request\n"), "{out}");
    assert!(
        out.contains("16 bytes from ::1, icmp_seq=0 hlim=64 dst=::1%1 time=<ms>"),
        "{out}"
    );
    let o = ping6(&k, &["-c", "1", "::1"]);
    assert!(!stdout(&o).contains("Echo Request"), "{}", stdout(&o));
    // -X 1 without -c: sends until the deadline, then the summary.
    let t = Instant::now();
    let o = ping6(&k, &["-X", "1", "-q", "::1"]);
    let took = t.elapsed().as_secs_f64();
    assert!((0.9..3.0).contains(&took), "{took}");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(" packets received, 0.0% packet loss"));
}

#[test]
fn bad_values_and_unsupported_options_fail_with_messages() {
    let k = server("ping6-bad");
    for (args, msg) in [
        (&["-c", "0", "::1"][..], "illegal number of packets -- 0"),
        (
            &["-s", "200000", "::1"],
            "datalen value too large, maximum is 131024",
        ),
        (&["-h", "300", "::1"], "illegal hoplimit -- 300"),
        (&["-h", "x", "::1"], "illegal hoplimit x"),
        (
            &["-p", "xyz", "::1"],
            "patterns must be specified as hex digits",
        ),
        (&["-l", "-1", "::1"], "illegal preload value -- -1"),
        (&["-x", "0", "::1"], "Bad/invalid maxwait time: 0"),
        (&["-X", "x", "::1"], "Bad/invalid deadline time: x"),
        (&["-f", "-i", "1", "::1"], "-f and -i incompatible options"),
        (&["-I", "nosuch0", "::1"], "nosuch0: invalid interface name"),
        (
            &["-S", "bad", "::1"],
            "invalid source address: hostname nor servname provided, or not known",
        ),
        (
            &["-a", "a", "::1"],
            "-a: node information queries are not supported yet",
        ),
        (
            &["-w", "::1"],
            "-w: node information queries are not supported yet",
        ),
        (
            &["-g", "::1", "::1"],
            "-g: routing headers are not supported yet",
        ),
        (
            &["::1", "::1"],
            "intermediate hops (routing headers) are not supported yet",
        ),
    ] {
        let o = ping6(&k, args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert_eq!(stderr(&o), format!("rump.ping6: {msg}\n"), "{args:?}");
        assert_eq!(stdout(&o), "", "{args:?}");
    }
    let o = ping6(&k, &["-c", "1", "-q", "2001:db8:77::1"]);
    assert_eq!(stderr(&o), "rump.ping6: UDP connect: No route to host\n");
}

/// The same options, ours and NetBSD's ping6 on our kernel: the same
/// lines but for the program's name and times.
#[test]
fn prints_what_netbsds_ping6_prints() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(PathBuf::from) else {
        eprintln!("ping6_tool: skipped the comparison: NETBSD_PEER is not set");
        return;
    };
    let k = server("ping6-same");
    let theirs_bin = peer.join("rumpctrl/bin/ping6");
    for args in [
        &["-c", "1", "-s", "100", "::1"][..],
        &["-c", "1", "-s", "0", "::1"],
        &["-c", "1", "-p", "abcd", "-s", "20", "::1"],
        &["-c", "2", "-i", "0.2", "-q", "::1"],
        &["-c", "3", "-l", "2", "::1"],
        &["-c", "5", "-o", "::1"],
        &["-c", "1", "-n", "fe80::1%lo0"],
        &["-c", "1", "-S", "::1", "::1"],
        &["-c", "1", "-b", "100000", "-d", "-H", "::1"],
        &["-c", "1", "-s", "70000", "::1"],
        &["-c", "1", "-s", "200000", "::1"],
        &["-c", "1", "-S", "2001:db8::5", "::1"],
        &["-c", "1", "-p", "xyz", "::1"],
        &["-c", "1", "-I", "nosuch0", "::1"],
    ] {
        let ours = ping6(&k, args);
        let theirs = client_program(&theirs_bin, &k.dir, &k.url, args);
        let name = theirs_bin.to_string_lossy().into_owned();
        assert_eq!(ours.status.code(), theirs.status.code(), "{args:?}");
        assert_eq!(
            timeless(&stdout(&ours)),
            timeless(&stdout(&theirs)),
            "{args:?}"
        );
        assert_eq!(
            stderr(&ours).replace("rump.ping6", "ping6"),
            stderr(&theirs).replace(&name, "ping6"),
            "{args:?}"
        );
    }
}
