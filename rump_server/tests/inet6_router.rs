//! IPv6 through a router kernel (issue #20, acceptance 1): kernel A on
//! bus 1, router R on buses 1 and 2, kernel B on bus 2. A's default
//! route goes through R's link-local address (with its scope), B's route
//! to A's prefix through R's global one; with `net.inet6.ip6.forwarding`
//! on, R forwards echo requests and TCP, and answers what it cannot
//! forward with the ICMPv6 errors RFC 4443 names; behind a narrower
//! link, the senders learn the path MTU and TCP gets through.

mod common;

use common::kernel6::*;
use common::*;
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

/// ICMPv6 types (RFC 4443) the probes look for.
const DST_UNREACH: u8 = 1;
const PACKET_TOO_BIG: u8 = 2;
const TIME_EXCEEDED: u8 = 3;
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
/// The probes' echo identifier.
const PROBE_ID: [u8; 2] = [0x72, 0x74];
/// Where an error quotes the echo request's identifier: its own header,
/// the quoted IPv6 header, then the echo header's fourth byte.
const QUOTED_ID_AT: usize = 8 + 40 + 4;

/// What answered a probe: the sender, the type, code and the error's
/// word (an error's: the MTU of a packet too big; 0 for a reply).
#[derive(Debug, PartialEq, Eq)]
struct Answer {
    from: Ipv6Addr,
    kind: u8,
    code: u8,
    word: u32,
}

/// Send an echo request with `len` bytes of data to `dst` with hop limit
/// `hops` (`IPV6_UNICAST_HOPS`, -1: the default) and wait up to three
/// seconds for the reply or an error about it; Err: what sendto said.
fn probe(
    c: &Client,
    dst: &Ipv6Addr,
    hops: i32,
    len: usize,
) -> Result<Option<Answer>, rumpclient::Errno> {
    let fd = socket(c, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6);
    let m = Regions::new();
    let h = m.add(&hops.to_le_bytes());
    call(
        c,
        &m,
        netbsd_abi::SYS_setsockopt,
        &[
            fd,
            netbsd_abi::IPPROTO_IPV6 as u64,
            netbsd_abi::IPV6_UNICAST_HOPS as u64,
            h,
            4,
        ],
    )
    .unwrap();
    let mut req = vec![ECHO_REQUEST, 0, 0, 0, PROBE_ID[0], PROBE_ID[1], 0, 1];
    req.extend((0..len).map(pattern));
    let to = sockaddr6(dst, 0);
    let args = [
        fd,
        m.add(&req),
        req.len() as u64,
        0,
        m.add(&to),
        to.len() as u64,
    ];
    if let Err(e) = call(c, &m, netbsd_abi::SYS_sendto, &args) {
        call(c, &m, netbsd_abi::SYS_close, &[fd]).unwrap();
        return Err(e);
    }
    let until = Instant::now() + Duration::from_secs(3);
    let mut got = None;
    while Instant::now() < until && got.is_none() {
        let m = Regions::new();
        let (buf, from) = (m.add_zeroed(2048), m.add_zeroed(28));
        let flen = m.add(&28u32.to_le_bytes());
        let args = [fd, buf, 2048, netbsd_abi::MSG_DONTWAIT as u64, from, flen];
        let Ok(n) = call(c, &m, netbsd_abi::SYS_recvfrom, &args) else {
            std::thread::sleep(Duration::from_millis(50));
            continue;
        };
        let b = m.get(buf);
        let n = n as usize;
        let ours = match b[0] {
            ECHO_REPLY => n >= 8 && b[4..6] == PROBE_ID,
            k if k < ECHO_REQUEST => {
                n >= QUOTED_ID_AT + 2 && b[QUOTED_ID_AT..QUOTED_ID_AT + 2] == PROBE_ID
            }
            _ => false,
        };
        if ours {
            got = Some(Answer {
                from: sin6_of(&m.get(from)).0,
                kind: b[0],
                code: b[1],
                word: if b[0] < ECHO_REQUEST {
                    u32::from_be_bytes(b[4..8].try_into().unwrap())
                } else {
                    0
                },
            });
        }
    }
    call(c, &Regions::new(), netbsd_abi::SYS_close, &[fd]).unwrap();
    Ok(got)
}

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

#[test]
fn a_router_kernel_forwards_ipv6_between_two_buses() {
    let dir = tempdir("inet6-router");
    let (a, r, b, r_link) = router_between_two_buses(&dir);
    let (ga, gb) = (ip("2001:db8:1::a"), ip("2001:db8:2::b"));
    // A's default route is R's link-local address on shmif0, B's way to
    // A's prefix R's global address on B's link.
    let r_ll = format!("{r_link}%shmif0");
    let said = a.run("rump.route", &["add", "-inet6", "default", &r_ll]);
    assert_eq!(said, format!("add net default: gateway {r_ll}\n"));
    let said = b.run(
        "rump.route",
        &["add", "-inet6", "2001:db8:1::/64", "2001:db8:2::1"],
    );
    assert_eq!(said, "add net 2001:db8:1::/64: gateway 2001:db8:2::1\n");
    let shown = a.run("rump.route", &["-n", "show", "-inet6"]);
    let default = shown
        .lines()
        .find(|l| l.starts_with("default "))
        .unwrap_or_else(|| panic!("no default route in {shown}"));
    let cols: Vec<&str> = default.split_whitespace().collect();
    assert_eq!(
        cols,
        [
            "default",
            &r_link.to_string(),
            "UG",
            "-",
            "-",
            "-",
            "shmif0"
        ],
        "{shown}"
    );
    let got = b.run("rump.route", &["-n", "get", "-inet6", "2001:db8:1::a"]);
    assert!(got.contains("    gateway: 2001:db8:2::1\n"), "{got}");
    assert!(got.contains("  interface: shmif0\n"), "{got}");
    assert!(got.contains("<UP,GATEWAY,DONE,STATIC>"), "{got}");

    let (ca, cb) = (a.client(), b.client());
    // Forwarding is off at boot, as on NetBSD's rump kernel.
    assert_eq!(
        r.run("rump.sysctl", &["net.inet6.ip6.forwarding"]),
        "net.inet6.ip6.forwarding = 0\n"
    );
    assert_eq!(probe(&ca, &gb, -1, 8), Ok(None));
    r.run("rump.sysctl", &["-w", "net.inet6.ip6.forwarding=1"]);
    let echo = |from, kind, code, word| {
        Ok(Some(Answer {
            from,
            kind,
            code,
            word,
        }))
    };
    assert_eq!(probe(&ca, &gb, -1, 8), echo(gb, ECHO_REPLY, 0, 0));
    assert_eq!(probe(&cb, &ga, -1, 8), echo(ga, ECHO_REPLY, 0, 0));
    // The last hop at R: time exceeded in transit, from R's address on
    // A's link.
    let r1 = ip("2001:db8:1::1");
    assert_eq!(probe(&ca, &gb, 1, 8), echo(r1, TIME_EXCEEDED, 0, 0));
    assert_eq!(probe(&ca, &gb, 2, 8), echo(gb, ECHO_REPLY, 0, 0));
    // No route at R: destination unreachable, no route.
    let nowhere = ip("2001:db8:3::1");
    assert_eq!(probe(&ca, &nowhere, -1, 8), echo(r1, DST_UNREACH, 0, 0));
    // A narrower way out: packet too big with its MTU, not fragments.
    r.run("rump.ifconfig", &["shmif1", "mtu", "1280"]);
    assert_eq!(probe(&ca, &gb, -1, 1300), echo(r1, PACKET_TOO_BIG, 0, 1280));
    assert_eq!(probe(&ca, &gb, -1, 1200), echo(gb, ECHO_REPLY, 0, 0));
    // A learnt the path MTU (RFC 8201): the same request now leaves in
    // fragments that fit, and is answered.
    assert_eq!(probe(&ca, &gb, -1, 1300), echo(gb, ECHO_REPLY, 0, 0));
    r.run("rump.ifconfig", &["shmif1", "mtu", "1500"]);
    // TCP through a narrow way out of R towards A: R drops each segment
    // larger than 1280 bytes with a packet too big, so B's connection
    // must send smaller ones for 4 MiB to arrive.
    r.run("rump.ifconfig", &["shmif0", "mtu", "1280"]);
    let la = tcp_listen6(&ca, 6102);
    let peer = tcp6_transfer(&b, &ca, la, (ga, 0, 6102), 4 << 20);
    assert_eq!(sin6_of(&peer), (gb, 0));
    r.run("rump.ifconfig", &["shmif0", "mtu", "1500"]);
    // TCP across, each way; the sink sees the sender's own address.
    let lb = tcp_listen6(&cb, 6100);
    let peer = tcp6_transfer(&a, &cb, lb, (gb, 0, 6100), 8 << 20);
    assert_eq!(sin6_of(&peer), (ga, 0));
    let la = tcp_listen6(&ca, 6101);
    let peer = tcp6_transfer(&b, &ca, la, (ga, 0, 6101), 8 << 20);
    assert_eq!(sin6_of(&peer), (gb, 0));
    // The route goes; A's packets to B have no way out again.
    let said = a.run("rump.route", &["delete", "-inet6", "default"]);
    assert_eq!(said, "delete net default\n");
    assert_eq!(probe(&ca, &gb, -1, 8), Err(rumpclient::Errno::EHOSTUNREACH));
    let o = tool(&dir, &a.url, "rump.route", &["delete", "-inet6", "default"]);
    assert!(!o.status.success());
    assert_eq!(
        stderr(&o),
        "rump.route: writing to routing socket: not in table\n"
    );
}
