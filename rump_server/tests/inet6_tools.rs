//! Issue #20's tools for IPv6 sockets and routes, `rump.sockstat -6` and
//! `rump.netstat -f inet6`: rumpctrl has neither, so their lines are
//! checked against the format rules of NetBSD's usr.bin/sockstat
//! (`print_socket`, `print_addr`: getnameinfo's numeric host and port
//! joined by a dot, `*.port` for the unspecified address, `*.*` for an
//! unconnected peer) and usr.bin/netstat/inet6.c (`ip6protoprhdr`:
//! "Active Internet6 connections" and a `(state)` column; `ip6protopr0`
//! and `inet6print`: the host cut to 16 characters, ` %-22.22s` per
//! address; without -a only sockets with a foreign address). The sockets
//! are opened in the kernel by this test's own client over ::1: TCP
//! listening on ::1 and on ::, a connection both ends, UDP bound to ::
//! and connected. rump.traceroute6 is checked across a router kernel
//! against traceroute6.c's format (`%2d ` and each new address, `  %g ms`
//! per probe, `!A` and the others after it).

mod common;

use common::netstat::*;
use common::*;
use netbsd_abi::layout::sockaddr_in6 as sin6;
use netbsd_abi::{
    AF_INET6, SOCK_DGRAM, SOCK_STREAM, SYS___socket30, SYS_accept, SYS_bind, SYS_connect,
    SYS_getsockname, SYS_listen,
};
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;

fn socket(c: &Client, ty: i32) -> u64 {
    let m = Regions::new();
    c.syscall(SYS___socket30, &[AF_INET6 as u64, ty as u64, 0], &m)
        .unwrap()[0] as u64
}

fn inet6(addr: Ipv6Addr, port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sin6::SIZE];
    sin6::sin6_len.put(&mut sa, sin6::SIZE as u64);
    sin6::sin6_family.put(&mut sa, AF_INET6 as u64);
    sa[sin6::sin6_port.range()].copy_from_slice(&port.to_be_bytes());
    sa[sin6::sin6_addr.range()].copy_from_slice(&addr.octets());
    sa
}

fn call(c: &Client, nr: usize, s: u64, sa: &[u8]) {
    let m = Regions::new();
    c.syscall(nr, &[s, m.add(sa), sa.len() as u64], &m).unwrap();
}

fn local_port(c: &Client, s: u64) -> u16 {
    let m = Regions::new();
    let (sa, len) = (
        m.add_zeroed(sin6::SIZE),
        m.add(&(sin6::SIZE as u32).to_ne_bytes()),
    );
    c.syscall(SYS_getsockname, &[s, sa, len], &m).unwrap();
    let b = m.get(sa);
    u16::from_be_bytes([b[sin6::sin6_port.offset], b[sin6::sin6_port.offset + 1]])
}

#[test]
fn sockstat_6_and_netstat_f_inet6_follow_netbsds_formats() {
    let dir = tempdir("inet6-tools");
    let url = format!("unix://{}/s", dir.display());
    let (server, c) = serve("rump_allserver", &[], &url);
    let _server = Stopped(server);
    let lo = Ipv6Addr::LOCALHOST;
    let any = Ipv6Addr::UNSPECIFIED;

    let listen80 = socket(&c, SOCK_STREAM);
    call(&c, SYS_bind, listen80, &inet6(lo, 80));
    c.syscall(SYS_listen, &[listen80, 5], &Regions::new())
        .unwrap();
    let listen_any = socket(&c, SOCK_STREAM);
    call(&c, SYS_bind, listen_any, &inet6(any, 8080));
    c.syscall(SYS_listen, &[listen_any, 5], &Regions::new())
        .unwrap();
    let client = socket(&c, SOCK_STREAM);
    call(&c, SYS_connect, client, &inet6(lo, 80));
    let accepted = c
        .syscall(SYS_accept, &[listen80, 0, 0], &Regions::new())
        .unwrap()[0] as u64;
    let ephemeral = local_port(&c, client);
    let udp = socket(&c, SOCK_DGRAM);
    call(&c, SYS_bind, udp, &inet6(any, 53));
    let udp_conn = socket(&c, SOCK_DGRAM);
    call(&c, SYS_connect, udp_conn, &inet6(lo, 53));
    let udp_port = local_port(&c, udp_conn);

    // sockstat -6: every IPv6 socket of ours, in descriptor order.
    let o = tool(&dir, &url, "rump.sockstat", &["-6"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS")
    );
    let (client_end, udp_end) = (format!("::1.{ephemeral}"), format!("::1.{udp_port}"));
    let want = [
        (listen80, "tcp6", "::1.80", "*.*"),
        (listen_any, "tcp6", "*.8080", "*.*"),
        (client, "tcp6", client_end.as_str(), "::1.80"),
        (accepted, "tcp6", "::1.80", client_end.as_str()),
        (udp, "udp6", "*.53", "*.*"),
        (udp_conn, "udp6", udp_end.as_str(), "::1.53"),
    ];
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), want.len(), "{text}");
    for (row, (fd, proto, local, foreign)) in rows.iter().zip(want) {
        // USER COMMAND PID are the client's; from FD on, print_socket's
        // "%2d %-6s " and the local address padded to 21.
        let tail = format!("{fd:>2} {proto:<6} {local:<21} {foreign}");
        assert!(row.ends_with(&tail), "{row:?} does not end in {tail:?}");
    }
    // -4 leaves them all out.
    let o = tool(&dir, &url, "rump.sockstat", &["-4"]);
    assert_eq!(stdout(&o), "");

    // netstat -f inet6: servers only with -a; rows in the kernel's order.
    let connected = [
        netstat_row("tcp6", &client_end, "::1.80", Some("ESTABLISHED")),
        netstat_row("tcp6", "::1.80", &client_end, Some("ESTABLISHED")),
        netstat_row("udp6", &udp_end, "::1.53", None),
    ];
    let servers = [
        netstat_row("tcp6", "::1.80", "*.*", Some("LISTEN")),
        netstat_row("tcp6", "*.8080", "*.*", Some("LISTEN")),
        netstat_row("udp6", "*.53", "*.*", None),
    ];
    let netstat = |args: &[&str]| netstat_lines(&dir, &url, args);
    assert_eq!(
        netstat(&["-n", "-f", "inet6"]),
        netstat_want(true, false, &connected)
    );
    let all = [connected, servers].concat();
    assert_eq!(
        netstat(&["-an", "-f", "inet6"]),
        netstat_want(true, true, &all)
    );
    // Without -f: IPv4's (none here) and then IPv6's; -f inet leaves
    // IPv6's out.
    assert_eq!(netstat(&["-an"]), netstat_want(true, true, &all));
    let o = tool(&dir, &url, "rump.netstat", &["-an", "-f", "inet"]);
    assert_eq!(stdout(&o), "");

    // netstat -r -f inet6: the IPv6 table alone.
    let o = tool(&dir, &url, "rump.netstat", &["-rn", "-f", "inet6"]);
    let text = stdout(&o);
    assert!(text.starts_with("Routing tables\n\nInternet6:\n"), "{text}");
    assert!(
        text.contains("\n::1 ") && !text.contains("Internet:"),
        "{text}"
    );
    let o = tool(&dir, &url, "rump.netstat", &["-rn", "-f", "inet"]);
    let text = stdout(&o);
    assert!(
        text.contains("Internet:\n") && !text.contains("Internet6:"),
        "{text}"
    );
    // netstat -s -f inet6: IPv6's protocols alone, in netstat's order.
    let o = tool(&dir, &url, "rump.netstat", &["-s", "-f", "inet6"]);
    let text = ok(&o, "netstat -s -f inet6");
    let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with('\t')).collect();
    assert_eq!(heads, ["ip6:", "icmp6:", "tcp6:", "udp6:"], "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The time column of a traceroute line (`  %g ms`) as `T`, which
/// differs from run to run.
fn without_times(line: &str) -> String {
    let words: Vec<&str> = line.split(' ').collect();
    let mut out = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let is_time = words.get(i + 1) == Some(&"ms") && w.parse::<f64>().is_ok();
        out.push(if is_time { "T" } else { w });
    }
    out.join(" ")
}

/// Three kernels, A on bus 1, router R on buses 1 and 2, B on bus 2
/// (`kernel6::router_between_two_buses`): rump.traceroute6 from A to B shows
/// R (its address on A's link, from its time exceeded) and then B (port
/// unreachable) and stops there, in traceroute6's format; from the second
/// hop on with -f 2; and a reject route at R ends the trace at R's second
/// hop with `!A`, the address unreachable R answers with.
#[test]
fn traceroute6_shows_the_router_and_the_target() {
    let dir = tempdir("inet6-traceroute");
    let (a, r, b, r_link) = common::kernel6::router_between_two_buses(&dir);
    let r_ll = format!("{r_link}%shmif0");
    a.run("rump.route", &["add", "-inet6", "default", &r_ll]);
    b.run(
        "rump.route",
        &["add", "-inet6", "2001:db8:1::/64", "2001:db8:2::1"],
    );
    r.run("rump.sysctl", &["-w", "net.inet6.ip6.forwarding=1"]);
    r.run(
        "rump.route",
        &[
            "add",
            "-inet6",
            "2001:db8:9::",
            "-prefixlen",
            "48",
            "::1",
            "-reject",
        ],
    );
    let trace = |args: &[&str]| {
        let o = tool(&dir, &a.url, "rump.traceroute6", args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        let lines: Vec<String> = stdout(&o).lines().map(without_times).collect();
        (stderr(&o), lines)
    };
    let (said, lines) = trace(&["-n", "-q", "2", "-w", "3", "2001:db8:2::b"]);
    assert_eq!(
        said,
        "traceroute6 to 2001:db8:2::b (2001:db8:2::b) from 2001:db8:1::a, 30 hops max, 24 byte packets\n"
    );
    assert_eq!(
        lines,
        [
            " 1  2001:db8:1::1  T ms  T ms",
            " 2  2001:db8:2::b  T ms  T ms"
        ]
    );
    let (_, lines) = trace(&[
        "-n",
        "-q1",
        "-f",
        "2",
        "-p",
        "40000",
        "2001:db8:2::b",
        "100",
    ]);
    assert_eq!(
        lines,
        ["Skipping 1 intermediate hops", " 2  2001:db8:2::b  T ms"]
    );
    let (_, lines) = trace(&["-n", "-q", "1", "-w", "2", "2001:db8:9::1"]);
    // The first probe's hop limit runs out at R before R looks for a
    // route (ip6_forward's order); the second meets the reject route.
    assert_eq!(
        lines,
        [" 1  2001:db8:1::1  T ms", " 2  2001:db8:1::1  T ms !A"]
    );
    // What traceroute6 refuses, it says.
    let o = tool(
        &dir,
        &a.url,
        "rump.traceroute6",
        &["-w", "1", "2001:db8:2::b"],
    );
    assert_eq!(
        (o.status.code(), stderr(&o)),
        (Some(1), "traceroute6: wait must be >1 sec.\n".to_string())
    );
    let o = tool(&dir, &a.url, "rump.traceroute6", &["-I", "2001:db8:2::b"]);
    assert_eq!(stderr(&o), "rump.traceroute6: -I: not supported yet\n");
    // The servers stop (with a tool run in the directory) before it goes.
    drop((a, r, b));
    let _ = std::fs::remove_dir_all(&dir);
}
