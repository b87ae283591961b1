//! IPv6's counters (issue #20): `net.inet6.{ip6,icmp6,udp6,tcp6}.stats`
//! read over the client library as NetBSD's arrays of `uint64_t` (indices
//! from NetBSD's `ip6_var.h`, `icmp6.h` and `udp6_var.h`, written here so
//! that nothing of the kernel's own code reads them), moved by echo
//! requests to ::1 and to another kernel on a shmif bus, neighbour
//! discovery and a UDP datagram to a closed port; and `rump.netstat -s`
//! printing them as NetBSD's netstat does.

mod common;

use common::kernel6::*;
use common::*;
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;

// ip6stat, icmp6stat and udp6stat indices (NetBSD 7.99).
const IP6_STAT_TOTAL: usize = 0;
const IP6_STAT_DELIVERED: usize = 10;
const IP6_STAT_LOCALOUT: usize = 11;
const IP6_STAT_NXTHIST: usize = 23;
const IP6_STAT_M1: usize = 279;
const IP6_NSTATS: usize = 402;
const ICMP6_STAT_ERROR: usize = 0;
const ICMP6_STAT_OUTHIST: usize = 3;
const ICMP6_STAT_REFLECT: usize = 263;
const ICMP6_STAT_INHIST: usize = 264;
const ICMP6_STAT_OUTERRHIST: usize = 521;
const ICMP6_ERRSTAT_DST_UNREACH_NOPORT: usize = 4;
const ICMP6_NSTATS: usize = 542;
const UDP6_STAT_IPACKETS: usize = 0;
const UDP6_STAT_NOPORT: usize = 5;
const UDP6_STAT_OPACKETS: usize = 9;
const UDP6_NSTATS: usize = 10;
const TCP_NSTATS: usize = 76;
// ICMPv6 types (RFC 4443, 4861).
const UNREACH: usize = 1;
const ECHO: usize = 128;
const ECHO_REPLY: usize = 129;
const NEIGHBOR_SOLICIT: usize = 135;
const NEIGHBOR_ADVERT: usize = 136;

fn counters(c: &Client, name: &str) -> Vec<u64> {
    let mib = c.sysctl_name_to_mib(name).unwrap();
    let b = c.sysctl_read(&mib).unwrap();
    assert_eq!(b.len() % 8, 0, "{name}: {} bytes", b.len());
    b.chunks_exact(8)
        .map(|x| u64::from_ne_bytes(x.try_into().unwrap()))
        .collect()
}

/// How much each counter of `name` grew while `f` ran.
fn growth(c: &Client, name: &str, f: impl FnOnce()) -> Vec<u64> {
    let before = counters(c, name);
    f();
    let after = counters(c, name);
    after.iter().zip(&before).map(|(a, b)| a - b).collect()
}

/// Send one UDP datagram from a fresh socket to `dst` port `port`.
fn udp_send(c: &Client, dst: &Ipv6Addr, port: u16) {
    let fd = socket(c, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let mut to = sockaddr6(dst, 0);
    to[netbsd_abi::layout::sockaddr_in6::sin6_port.range()].copy_from_slice(&port.to_be_bytes());
    let data = b"stats";
    c.syscall(
        netbsd_abi::SYS_sendto,
        &[
            fd,
            m.add(data),
            data.len() as u64,
            0,
            m.add(&to),
            to.len() as u64,
        ],
        &m,
    )
    .unwrap();
    c.syscall(netbsd_abi::SYS_close, &[fd], &m).unwrap();
}

#[test]
fn echo_requests_neighbour_discovery_and_udp_move_netbsds_counters() {
    let dir = tempdir("inet6-stats");
    let a = Server::start(&dir, "a");
    let b = Server::start(&dir, "b");
    let (ca, cb) = (a.client(), b.client());
    // NetBSD's sizes.
    assert_eq!(counters(&ca, "net.inet6.ip6.stats").len(), IP6_NSTATS);
    assert_eq!(counters(&ca, "net.inet6.icmp6.stats").len(), ICMP6_NSTATS);
    assert_eq!(counters(&ca, "net.inet6.udp6.stats").len(), UDP6_NSTATS);
    assert_eq!(counters(&ca, "net.inet6.tcp6.stats").len(), TCP_NSTATS);

    // Two echo requests to ::1 and their replies, all over lo0: four
    // packets in and out, all delivered (our ping6 sets no ICMP6_FILTER,
    // so its raw socket takes the requests too).
    let mut icmp = Vec::new();
    let ip = growth(&ca, "net.inet6.ip6.stats", || {
        icmp = growth(&ca, "net.inet6.icmp6.stats", || {
            a.run("rump.ping6", &["-c", "2", "-i", "0.2", "-n", "::1"]);
        });
    });
    assert_eq!(ip[IP6_STAT_TOTAL], 4);
    assert_eq!(ip[IP6_STAT_M1], 4);
    assert_eq!(ip[IP6_STAT_NXTHIST + 58], 4);
    assert_eq!(ip[IP6_STAT_LOCALOUT], 4);
    assert_eq!(ip[IP6_STAT_DELIVERED], 4);
    assert_eq!(icmp[ICMP6_STAT_OUTHIST + ECHO], 2);
    assert_eq!(icmp[ICMP6_STAT_OUTHIST + ECHO_REPLY], 2);
    assert_eq!(icmp[ICMP6_STAT_INHIST + ECHO], 2);
    assert_eq!(icmp[ICMP6_STAT_INHIST + ECHO_REPLY], 2);
    assert_eq!(icmp[ICMP6_STAT_REFLECT], 2);

    // A UDP datagram to a port nobody has: in and out as UDP, and a port
    // unreachable made, sent and received; no raw socket takes the
    // error, which is then not delivered (NetBSD's icmp6_rip6_input takes
    // the count back).
    let (mut icmp, mut udp) = (Vec::new(), Vec::new());
    let ip = growth(&ca, "net.inet6.ip6.stats", || {
        udp = growth(&ca, "net.inet6.udp6.stats", || {
            icmp = growth(&ca, "net.inet6.icmp6.stats", || {
                udp_send(&ca, &Ipv6Addr::LOCALHOST, 9);
            });
        });
    });
    assert_eq!(ip[IP6_STAT_TOTAL], 2);
    assert_eq!(ip[IP6_STAT_NXTHIST + 17], 1);
    assert_eq!(ip[IP6_STAT_DELIVERED], 1);
    assert_eq!(udp[UDP6_STAT_OPACKETS], 1);
    assert_eq!(udp[UDP6_STAT_IPACKETS], 1);
    assert_eq!(udp[UDP6_STAT_NOPORT], 1);
    assert_eq!(icmp[ICMP6_STAT_ERROR], 1);
    assert_eq!(
        icmp[ICMP6_STAT_OUTERRHIST + ICMP6_ERRSTAT_DST_UNREACH_NOPORT],
        1
    );
    assert_eq!(icmp[ICMP6_STAT_OUTHIST + UNREACH], 1);
    assert_eq!(icmp[ICMP6_STAT_INHIST + UNREACH], 1);

    // Another kernel on the bus: a solicits b's address and b advertises
    // it; the echo requests and replies cross the bus.
    let (ll_a, ll_b) = (link_local(a.shmif_up("bus")), link_local(b.shmif_up("bus")));
    assert_eq!(wait_ready(&ca, "shmif0", &ll_a), 0);
    assert_eq!(wait_ready(&cb, "shmif0", &ll_b), 0);
    let (before_a, before_b) = (
        counters(&ca, "net.inet6.icmp6.stats"),
        counters(&cb, "net.inet6.icmp6.stats"),
    );
    assert_eq!(ping6(&ca, &ll_b, 2), Some(ll_b));
    let diff = |c: &Client, before: &[u64]| -> Vec<u64> {
        let now = counters(c, "net.inet6.icmp6.stats");
        now.iter().zip(before).map(|(x, y)| x - y).collect()
    };
    let (da, db) = (diff(&ca, &before_a), diff(&cb, &before_b));
    assert_eq!(da[ICMP6_STAT_OUTHIST + ECHO], 1);
    assert_eq!(db[ICMP6_STAT_INHIST + ECHO], 1);
    assert_eq!(db[ICMP6_STAT_OUTHIST + ECHO_REPLY], 1);
    assert_eq!(da[ICMP6_STAT_INHIST + ECHO_REPLY], 1);
    assert!(da[ICMP6_STAT_OUTHIST + NEIGHBOR_SOLICIT] >= 1, "{da:?}");
    assert!(db[ICMP6_STAT_INHIST + NEIGHBOR_SOLICIT] >= 1, "{db:?}");
    assert!(db[ICMP6_STAT_OUTHIST + NEIGHBOR_ADVERT] >= 1, "{db:?}");
    assert!(da[ICMP6_STAT_INHIST + NEIGHBOR_ADVERT] >= 1, "{da:?}");

    // netstat prints them as NetBSD's: -ss leaves zero lines out, the
    // histograms by netstat's names; -p one protocol.
    let text = a.run("rump.netstat", &["-ss", "-p", "icmp6"]);
    assert!(
        text.starts_with("icmp6:\n\t1 call to icmp6_error\n"),
        "{text}"
    );
    assert!(
        text.contains("\tOutput packet histogram:\n\t\tunreach: 1\n"),
        "{text}"
    );
    assert!(text.contains("\t\techo: 3\n\t\techo reply: 2\n"), "{text}");
    assert!(
        text.contains("\tHistogram of error messages to be generated:\n\t\t1 port unreachable\n"),
        "{text}"
    );
    let text = a.run("rump.netstat", &["-ss", "-p", "udp6"]);
    assert_eq!(
        text,
        "udp6:\n\t1 datagram received\n\t1 dropped due to no socket\n\t1 datagram output\n"
    );
    let text = a.run("rump.netstat", &["-s", "-p", "ip6"]);
    assert!(text.contains("\t0 with bad options\n"), "{text}");
    assert!(text.contains("\tInput packet histogram:\n"), "{text}");
    assert!(text.contains("\t\tICMP6: "), "{text}");
    // Plain -s: IPv4's protocols, then IPv6's.
    let text = a.run("rump.netstat", &["-s"]);
    let heads: Vec<&str> = text.lines().filter(|l| !l.starts_with('\t')).collect();
    assert_eq!(
        heads,
        [
            "ip:", "icmp:", "tcp:", "udp:", "ip6:", "icmp6:", "tcp6:", "udp6:"
        ]
    );
    // netstat -i: a row for each IPv6 address, its network (netname6,
    // cut to 13 columns) and the address with its zone.
    let text = a.run("rump.netstat", &["-i"]);
    let row = |net: &str, host: &str| {
        text.lines().any(|l| {
            l.split_whitespace().nth(2) == Some(net) && l.split_whitespace().nth(3) == Some(host)
        })
    };
    assert!(row("::1/128", "::1"), "{text}");
    assert!(row("fe80::%lo0/64", "fe80::1%lo0"), "{text}");
    let own: String = format!("{ll_a}%shmif0").chars().take(17).collect();
    assert!(row("fe80::%shmif0", &own), "{text}");
    // A protocol netstat knows whose counters we do not keep, and one it
    // does not know.
    let o = tool(&dir, &a.url, "rump.netstat", &["-s", "-p", "rip6"]);
    assert_eq!(
        (o.status.code(), stderr(&o)),
        (
            Some(1),
            "rump.netstat: -p rip6: not supported yet\n".to_string()
        )
    );
    let o = tool(&dir, &a.url, "rump.netstat", &["-s", "-p", "nosuch"]);
    assert_eq!(
        stderr(&o),
        "rump.netstat: nosuch: unknown or uninstrumented protocol\n"
    );
    drop((a, b));
    let _ = std::fs::remove_dir_all(&dir);
}
