//! `rump.route monitor` hears IPv6 (issue #20): routes added and deleted
//! with `-inet6`, and addresses added and removed with ifconfig's
//! `inet6 ... alias` and `-alias` (with their interface, and their
//! local and prefix routes, as NetBSD's kernel announces them on lo0),
//! printed as NetBSD's route(8)
//! `print_rtmsg` and `pmsg_addrs` print them (each address through
//! `routename`: numeric, a link-local gateway with `%IF`, the netmask
//! as an address).

mod common;

use common::kernel6::Server;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

#[test]
fn monitor_prints_inet6_routes_and_addresses() {
    let k = Server::start(&tempdir("monitor6"), "k");
    let mut mon = Command::new(bin("rump.route"))
        .current_dir(&k.dir)
        .args(["monitor", "-inet6"])
        .env("RUMP_SERVER", &k.url)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel();
    let out = mon.stdout.take().unwrap();
    std::thread::spawn(move || {
        for l in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                break;
            }
        }
    });
    // Until the monitor listens, a probe route comes and goes unheard.
    let mut lines = Vec::new();
    let start = Instant::now();
    while !lines.iter().any(|l: &String| l.starts_with("RTM_ADD")) {
        assert!(start.elapsed() < Duration::from_secs(20), "never heard");
        k.run(
            "rump.route",
            &["-q", "add", "-inet6", "2001:db8:9::/64", "::1"],
        );
        std::thread::sleep(Duration::from_millis(300));
        lines.extend(rx.try_iter());
        if !lines.iter().any(|l| l.starts_with("RTM_ADD")) {
            k.run("rump.route", &["-q", "delete", "-inet6", "2001:db8:9::/64"]);
        }
    }
    lines.clear();
    k.run(
        "rump.route",
        &["-q", "add", "-inet6", "2001:db8:a::/64", "fe80::1%lo0"],
    );
    k.run(
        "rump.ifconfig",
        &["lo0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    );
    k.run("rump.ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]);
    k.run("rump.route", &["-q", "delete", "-inet6", "2001:db8:9::/64"]);
    let start = Instant::now();
    // The probe's deletion, last, ends with its addresses.
    while !lines
        .iter()
        .any(|l| l == " 2001:db8:9:: ::1 ffff:ffff:ffff:ffff::")
    {
        assert!(start.elapsed() < Duration::from_secs(20), "{lines:?}");
        if let Ok(l) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(l);
        }
    }
    let _ = mon.kill();
    let _ = mon.wait();
    let text: Vec<&str> = lines
        .iter()
        .filter(|l| !l.starts_with("got message"))
        .map(String::as_str)
        .collect();
    let expect = [
        "sockaddrs: <DST,GATEWAY,NETMASK>",
        " 2001:db8:a:: fe80::1%lo0 ffff:ffff:ffff:ffff::",
        "RTM_NEWADDR: address being added to iface: len 112, metric 0, flags: none",
        "sockaddrs: <NETMASK,IFP,IFA,BRD>",
        " ffff:ffff:ffff:ffff:: lo0 2001:db8::1 default",
        "sockaddrs: <DST,GATEWAY>",
        " 2001:db8::1 lo0",
        "sockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>",
        " 2001:db8:: fe80::1%lo0 ffff:ffff:ffff:ffff:: lo0 fe80::1%lo0",
        "sockaddrs: <DST,GATEWAY>",
        " 2001:db8::1 lo0",
        "RTM_DELADDR: address being removed from iface: len 112, metric 0, flags: none",
        "sockaddrs: <NETMASK,IFP,IFA,BRD>",
        " ffff:ffff:ffff:ffff:: lo0 2001:db8::1 default",
        "sockaddrs: <DST,GATEWAY,NETMASK,IFP,IFA>",
        " 2001:db8:: fe80::1%lo0 ffff:ffff:ffff:ffff:: lo0 fe80::1%lo0",
        " 2001:db8:9:: ::1 ffff:ffff:ffff:ffff::",
    ];
    let mut at = 0;
    for want in expect {
        at += text[at..]
            .iter()
            .position(|l| *l == want)
            .unwrap_or_else(|| panic!("{want:?} not after line {at} of {text:#?}"));
    }
    assert!(text[0].starts_with("RTM_ADD: Add Route: len"), "{text:#?}");
    assert!(
        text.iter()
            .any(|l| l.starts_with("RTM_DELETE: Delete Route")),
        "{text:#?}"
    );
}
