//! Router advertisements and MLD between two of our kernels on a shmif
//! bus (issue #20): kernel R sends advertisements through a raw ICMPv6
//! socket (hop limit 255 by IPV6_MULTICAST_HOPS), and host H, with
//! net.inet6.ip6.accept_rtadv set, solicits them, makes an address of
//! the prefix with its lifetimes and a default route through R's
//! link-local address, and pings an address beyond the link through it.
//! R's raw socket hears H's MLD reports for a group H joins, a report
//! answering its query, and H's done when it leaves. A router forwarding
//! back out of the link a packet came in on redirects its sender to the
//! better first hop.

mod common;

use common::kernel6::*;
use common::*;
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

/// shmif0 is interface 2 on both kernels (lo0 is 1).
const SHMIF0: u32 = 2;
const ROUTER_SOLICIT: u8 = 133;
const MLD_QUERY: u8 = 130;
const MLD_REPORT: u8 = 131;
const MLD_DONE: u8 = 132;
/// `SIOCGIFALIFETIME_IN6` (`netinet6/in6_var.h`).
const SIOCGIFALIFETIME_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 106, IN6_IFREQ);
/// `IN6_IFF_AUTOCONF`.
const AUTOCONF: u32 = 0x40;

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn setopt(c: &Client, fd: u64, level: i32, name: i32, v: &[u8]) {
    let m = Regions::new();
    let p = m.add(v);
    call(
        c,
        &m,
        netbsd_abi::SYS_setsockopt,
        &[fd, level as u64, name as u64, p, v.len() as u64],
    )
    .unwrap_or_else(|e| panic!("setsockopt {level}/{name}: {e:?}"));
}

fn mreq(g: &Ipv6Addr) -> Vec<u8> {
    let mut v = g.octets().to_vec();
    v.extend_from_slice(&SHMIF0.to_le_bytes());
    v
}

/// A raw ICMPv6 socket of `c`'s kernel.
fn raw(c: &Client) -> u64 {
    socket(c, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6)
}

fn send(c: &Client, fd: u64, msg: &[u8], to: &Ipv6Addr) {
    let m = Regions::new();
    let sa = sockaddr6(to, SHMIF0);
    call(
        c,
        &m,
        netbsd_abi::SYS_sendto,
        &[
            fd,
            m.add(msg),
            msg.len() as u64,
            0,
            m.add(&sa),
            sa.len() as u64,
        ],
    )
    .expect("sendto");
}

/// The ICMPv6 messages on `fd` for up to `secs` seconds, until `done`
/// says it has what it wants.
fn heard(c: &Client, fd: u64, secs: u64, done: impl Fn(&[Vec<u8>]) -> bool) -> Vec<Vec<u8>> {
    let until = Instant::now() + Duration::from_secs(secs);
    let mut got = Vec::new();
    while Instant::now() < until && !done(&got) {
        let m = Regions::new();
        let buf = m.add_zeroed(2048);
        let args = [fd, buf, 2048, netbsd_abi::MSG_DONTWAIT as u64, 0, 0];
        match call(c, &m, netbsd_abi::SYS_recvfrom, &args) {
            Ok(n) => got.push(m.get(buf)[..n as usize].to_vec()),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    got
}

/// An MLD message about `g` of type `kind` among `msgs`.
fn has_mld(msgs: &[Vec<u8>], kind: u8, g: &Ipv6Addr) -> bool {
    msgs.iter()
        .any(|m| m.len() >= 24 && m[0] == kind && m[8..24] == g.octets())
}

/// R's advertisement (RFC 4861 4.2): hop limit 64, router lifetime
/// 1800 s, the prefix 2001:db8:1::/64 on-link and autonomous, valid
/// 86400 s and preferred 14400 s, and R's link-layer address.
fn advertisement(mac: [u8; 6]) -> Vec<u8> {
    let mut ra = vec![134u8, 0, 0, 0, 64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0];
    ra.extend_from_slice(&[
        3, 4, 64, 0xc0, 0, 1, 0x51, 0x80, 0, 0, 0x38, 0x40, 0, 0, 0, 0,
    ]);
    ra.extend_from_slice(&ip("2001:db8:1::").octets());
    ra.extend_from_slice(&[1, 1]);
    ra.extend_from_slice(&mac);
    ra
}

/// `SIOCGIFALIFETIME_IN6`: the valid and preferred lifetimes of `a`.
fn lifetimes(c: &Client, a: &Ipv6Addr) -> (u32, u32) {
    let fd = socket(c, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let mut req = vec![0u8; IN6_IFREQ];
    ifreq_name(&mut req, "shmif0");
    req[16..16 + 28].copy_from_slice(&sockaddr6(a, 0));
    let p = m.add(&req);
    call(c, &m, netbsd_abi::SYS_ioctl, &[fd, SIOCGIFALIFETIME_IN6, p]).expect("lifetimes");
    call(c, &m, netbsd_abi::SYS_close, &[fd]).unwrap();
    let out = m.get(p);
    let word = |at: usize| u32::from_le_bytes(out[at..at + 4].try_into().unwrap());
    (word(32), word(36))
}

#[test]
fn a_host_configures_itself_from_a_routers_advertisements() {
    let dir = tempdir("inet6-rtadv");
    let r = Server::start(&dir, "r");
    let h = Server::start(&dir, "h");
    let mac_r = r.shmif_up("bus");
    let cr = r.client();
    // R listens to all routers, where solicitations go.
    let rfd = raw(&cr);
    setopt(
        &cr,
        rfd,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_JOIN_GROUP,
        &mreq(&ip("ff02::2")),
    );
    r.run(
        "rump.ifconfig",
        &["shmif0", "inet6", "2001:db8:1::1/64", "alias"],
    );
    r.run(
        "rump.ifconfig",
        &["lo0", "inet6", "2001:db8:99::1/128", "alias"],
    );
    h.run("rump.sysctl", &["-w", "net.inet6.ip6.accept_rtadv=1"]);
    let mac_h = h.shmif_up("bus");
    // H solicits when its interface comes up.
    let rs = heard(&cr, rfd, 10, |g| g.iter().any(|m| m[0] == ROUTER_SOLICIT));
    assert!(rs.iter().any(|m| m[0] == ROUTER_SOLICIT), "no solicitation");
    // R answers to all nodes with hop limit 255, from its link-local
    // address once DAD passed.
    wait_ready(&cr, "shmif0", &link_local(mac_r));
    setopt(
        &cr,
        rfd,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_MULTICAST_HOPS,
        &255i32.to_le_bytes(),
    );
    send(&cr, rfd, &advertisement(mac_r), &ip("ff02::1"));
    let ch = h.client();
    let ll_h = link_local(mac_h);
    let slaac = Ipv6Addr::from(
        (u128::from(ip("2001:db8:1::")) & !((1u128 << 64) - 1))
            | (u128::from(ll_h) & ((1u128 << 64) - 1)),
    );
    eventually("the autoconfigured address", || {
        addr_flags(&ch, "shmif0", &slaac).is_ok_and(|f| f & TENTATIVE == 0)
    });
    assert_ne!(addr_flags(&ch, "shmif0", &slaac).unwrap() & AUTOCONF, 0);
    assert_eq!(lifetimes(&ch, &slaac), (86400, 14400));
    let shown = h.run("rump.ifconfig", &["shmif0"]);
    let line = shown
        .lines()
        .find(|l| l.contains(&format!("inet6 {slaac} ")))
        .unwrap_or_else(|| panic!("{shown}"));
    assert!(
        line.contains("prefixlen 64") && line.contains("autoconf"),
        "{line}"
    );
    // The default route goes through R's link-local address.
    let got = h.run("rump.route", &["-n", "get", "-inet6", "2001:db8:99::1"]);
    let ll_r = link_local(mac_r);
    assert!(got.contains(&format!("gateway: {ll_r}")), "{got}");
    // An address beyond the link answers through it, to the new address.
    assert_eq!(
        ping6(&ch, &ip("2001:db8:99::1"), 0),
        Some(ip("2001:db8:99::1"))
    );
}

#[test]
fn a_routers_raw_socket_hears_mld() {
    let dir = tempdir("inet6-mld");
    let r = Server::start(&dir, "r");
    let h = Server::start(&dir, "h");
    r.shmif_up("bus");
    h.shmif_up("bus");
    let (cr, ch) = (r.client(), h.client());
    let g = ip("ff02::1234");
    let rfd = raw(&cr);
    let v6 = netbsd_abi::IPPROTO_IPV6;
    setopt(
        &cr,
        rfd,
        v6,
        netbsd_abi::IPV6_JOIN_GROUP,
        &mreq(&ip("ff02::2")),
    );
    setopt(&cr, rfd, v6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&g));
    // R's own unsolicited reports for the group go by first (the second
    // within 10 s), so that H's are the last heard.
    std::thread::sleep(Duration::from_secs(11));
    heard(&cr, rfd, 1, |_| false);
    let hfd = raw(&ch);
    setopt(&ch, hfd, v6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&g));
    let got = heard(&cr, rfd, 5, |m| has_mld(m, MLD_REPORT, &g));
    assert!(has_mld(&got, MLD_REPORT, &g), "no report");
    // A general query (maximum delay 1 s): H reports again.
    setopt(
        &cr,
        rfd,
        v6,
        netbsd_abi::IPV6_MULTICAST_HOPS,
        &1i32.to_le_bytes(),
    );
    let mut query = vec![MLD_QUERY, 0, 0, 0, 0x03, 0xe8, 0, 0];
    query.extend_from_slice(&[0; 16]);
    send(&cr, rfd, &query, &ip("ff02::1"));
    let got = heard(&cr, rfd, 5, |m| has_mld(m, MLD_REPORT, &g));
    assert!(has_mld(&got, MLD_REPORT, &g), "no report to the query");
    // Leaving, H was the last to report: a done to all routers.
    let m = Regions::new();
    call(&ch, &m, netbsd_abi::SYS_close, &[hfd]).unwrap();
    let got = heard(&cr, rfd, 5, |m| has_mld(m, MLD_DONE, &g));
    assert!(has_mld(&got, MLD_DONE, &g), "no done");
}

#[test]
fn a_router_redirects_a_host_to_a_better_first_hop() {
    // A, R and B on one bus: A's default route goes through R, R's way
    // to 2001:db8:8::/64 through B's link-local address, back out of the
    // link A's packets came in on. R forwards A's echo request and
    // redirects A, which then sends to B directly.
    let dir = tempdir("inet6-redirect");
    let a = Server::start(&dir, "a");
    let r = Server::start(&dir, "r");
    let b = Server::start(&dir, "b");
    a.shmif_up("bus");
    let mac_r = r.shmif_up("bus");
    let mac_b = b.shmif_up("bus");
    for (s, addr) in [
        (&a, "2001:db8:1::a/64"),
        (&r, "2001:db8:1::1/64"),
        (&b, "2001:db8:1::b/64"),
    ] {
        s.run("rump.ifconfig", &["shmif0", "inet6", addr, "alias"]);
    }
    b.run(
        "rump.ifconfig",
        &["lo0", "inet6", "2001:db8:8::1/128", "alias"],
    );
    for s in [&a, &r, &b] {
        s.run("rump.ifconfig", &["-w", "10"]);
    }
    let (ll_r, ll_b) = (link_local(mac_r), link_local(mac_b));
    a.run(
        "rump.route",
        &["add", "-inet6", "default", &format!("{ll_r}%shmif0")],
    );
    r.run(
        "rump.route",
        &[
            "add",
            "-inet6",
            "2001:db8:8::/64",
            &format!("{ll_b}%shmif0"),
        ],
    );
    r.run("rump.sysctl", &["-w", "net.inet6.ip6.forwarding=1"]);
    let far = ip("2001:db8:8::1");
    let before = a.run("rump.route", &["-n", "get", "-inet6", "2001:db8:8::1"]);
    assert!(before.contains(&format!("gateway: {ll_r}")), "{before}");
    let ca = a.client();
    assert_eq!(ping6(&ca, &far, 0), Some(far));
    eventually("the redirect", || {
        let got = a.run("rump.route", &["-n", "get", "-inet6", "2001:db8:8::1"]);
        got.contains(&format!("gateway: {ll_b}")) && got.contains("DYNAMIC")
    });
    assert_eq!(ping6(&ca, &far, 0), Some(far));
}
