//! Router advertisements and stateless autoconfiguration (RFC 4861 6.3,
//! RFC 4862 5.5) on one kernel with a manual clock, the advertisements
//! written onto its link as a router would send them.

mod common;

use common::{PEER_MAC, Rig, rig};
use rump::sysctl::SysctlValue;
use rumpnet_netinet6::addr;
use rumpnet_netinet6::inet6::{OutOpts, flags};
use rumpnet_netinet6::wire::icmpv6::kind;
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use rumpnet_netinet6::wire::nd::opt;
use rumpnet_netinet6::wire::rtr::{AdvertRepr, PrefixInfo, mtu_option, pi_flag};
use std::net::Ipv6Addr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// The router's link-local address.
fn router() -> Ipv6Addr {
    a("fe80::99")
}

/// What autoconfiguration makes of 2001:db8:1::/64 for the rig's first
/// link (Ethernet address 02:00:00:00:00:01).
fn slaac() -> Ipv6Addr {
    a("2001:db8:1::ff:fe00:1")
}

fn set(r: &Rig, name: &str, v: i32) {
    r.k.sysctl().set(name, SysctlValue::Int(v)).expect(name);
}

/// A router advertisement from `src` with hop limit `hlim`.
fn ra_packet(src: &Ipv6Addr, hlim: u8, ra: &AdvertRepr) -> Vec<u8> {
    let mut m = ra.emit();
    let c = ipv6::upper_checksum(src, &addr::ALL_NODES, nh::ICMPV6, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    common::packet(src, &addr::ALL_NODES, nh::ICMPV6, hlim, &m)
}

fn prefix(valid: u32, preferred: u32) -> Vec<u8> {
    PrefixInfo {
        prefixlen: 64,
        flags: pi_flag::ONLINK | pi_flag::AUTO,
        valid,
        preferred,
        prefix: a("2001:db8:1::"),
    }
    .emit()
}

/// The router's usual advertisement: default router for 600 s, hop
/// limit 32, reachable 20 s, retransmissions every 2 s, the prefix
/// valid an hour and preferred half of one, an MTU of 1400.
fn usual() -> AdvertRepr {
    AdvertRepr {
        cur_hop_limit: 32,
        flags: 0,
        router_lifetime: 600,
        reachable_time: 20_000,
        retrans_timer: 2_000,
        options: vec![
            prefix(3600, 1800),
            mtu_option(1400),
            vec![opt::SOURCE_LLADDR, 1, 2, 0, 0, 0, 0, 0x99],
        ],
    }
}

fn eventually(what: &str, f: impl Fn() -> bool) {
    let until = Instant::now() + Duration::from_secs(5);
    while !f() {
        assert!(Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn addr_flags(r: &Rig, x: &Ipv6Addr) -> Option<u32> {
    r.inet
        .addresses()
        .into_iter()
        .find(|y| y.addr == *x)
        .map(|y| y.flags)
}

fn has_default(r: &Rig) -> bool {
    r.inet.static_routes().iter().any(|x| {
        x.prefixlen == 0
            && x.gateway.map(|g| g.addr) == Some(router())
            && x.ifindex == r.links[0].ifp.index
    })
}

fn accepting() -> Rig {
    let r = rig(&["2001:db8:9::1"]);
    set(&r, "net.inet6.ip6.accept_rtadv", 1);
    r
}

#[test]
fn advertisements_are_ignored_unless_accepted() {
    let r = rig(&["2001:db8:9::1"]);
    assert_eq!(
        r.k.sysctl().get("net.inet6.ip6.accept_rtadv").unwrap(),
        SysctlValue::Int(0)
    );
    r.put(0, &ra_packet(&router(), 255, &usual()));
    assert!(r.inet.default_routers().is_empty());
    assert_eq!(addr_flags(&r, &slaac()), None);
    assert_eq!(r.inet.stats.badra.load(Relaxed), 0);
    // A router (forwarding on) does not take them either.
    set(&r, "net.inet6.ip6.accept_rtadv", 1);
    set(&r, "net.inet6.ip6.forwarding", 1);
    r.put(0, &ra_packet(&router(), 255, &usual()));
    assert!(r.inet.default_routers().is_empty());
    set(&r, "net.inet6.ip6.forwarding", 0);
    r.put(0, &ra_packet(&router(), 255, &usual()));
    assert_eq!(r.inet.default_routers().len(), 1);
}

#[test]
fn an_interface_solicits_three_times() {
    let r = accepting();
    let solicitations = |r: &Rig| {
        r.sent(0)
            .into_iter()
            .filter(|p| {
                let x = Packet::new_checked(&p[..]).unwrap();
                x.dst() == a("ff02::2") && x.payload()[0] == kind::ROUTER_SOLICIT
            })
            .collect::<Vec<_>>()
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        r.clock.advance(Duration::from_secs(4));
        let until = Instant::now() + Duration::from_secs(5);
        let mut got = Vec::new();
        while got.is_empty() && Instant::now() < until {
            got = solicitations(&r);
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(got.len(), 1, "one solicitation each interval");
        seen.extend(got);
    }
    r.clock.advance(Duration::from_secs(8));
    std::thread::sleep(Duration::from_millis(300));
    assert!(solicitations(&r).is_empty(), "no more than three");
    let p = Packet::new_checked(&seen[0][..]).unwrap();
    // Hop limit 255 from our link-local address with our link-layer
    // address (RFC 4861 4.1, 6.3.7).
    assert_eq!(p.hop_limit(), 255);
    assert_eq!(p.src(), addr::link_local_of([2, 0, 0, 0, 0, 1]));
    assert_eq!(&p.payload()[8..], &[1, 1, 2, 0, 0, 0, 0, 1]);
    assert_eq!(
        ipv6::upper_checksum(&p.src(), &p.dst(), nh::ICMPV6, p.payload()),
        0
    );
}

#[test]
fn an_advertisement_configures_address_routes_and_link() {
    let r = accepting();
    let ifp = r.links[0].ifp.clone();
    r.put(0, &ra_packet(&router(), 255, &usual()));
    let f = addr_flags(&r, &slaac()).expect("autoconfigured address");
    assert_eq!(f & flags::AUTOCONF, flags::AUTOCONF);
    assert_eq!(f & flags::DEPRECATED, 0);
    let l = r.inet.address_lifetime(ifp.index, &slaac()).unwrap();
    assert_eq!((l.valid, l.preferred), (3600, 1800));
    assert!(has_default(&r));
    let routers = r.inet.default_routers();
    assert_eq!((routers[0].addr, routers[0].lifetime), (router(), 600));
    let p = r.inet.prefixes();
    assert_eq!((p[0].prefix, p[0].prefixlen), (a("2001:db8:1::"), 64));
    // The link's parameters.
    assert_eq!(r.inet.if_hlim(&ifp), 32);
    assert_eq!(r.inet.link_mtu(&ifp), 1400);
    let info = r.inet.nd_ifinfo(ifp.index);
    assert_eq!(info.retrans, Duration::from_secs(2));
    assert_eq!(info.base_reachable_ms, 20_000);
    assert!(info.reachable >= Duration::from_secs(10) && info.reachable < Duration::from_secs(30));
    // The router is a router in the neighbour cache.
    assert!(
        r.inet
            .neighbors()
            .iter()
            .any(|n| n.addr == router() && n.router && n.lladdr == Some(PEER_MAC))
    );
    // A destination beyond goes to the router, in pieces that fit the
    // advertised MTU.
    r.sent(0);
    let far = addr::ScopedAddr {
        addr: a("2001:db8:77::5"),
        scope: 0,
    };
    let mut echo = vec![kind::ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1];
    echo.extend(std::iter::repeat_n(7u8, 1450));
    r.inet
        .output(nh::ICMPV6, None, &far, &echo, &OutOpts::default())
        .expect("output");
    let frames = r.frames(0);
    assert_eq!(frames.len(), 2, "fragmented to the advertised MTU");
    for f in &frames {
        assert_eq!(&f[..6], &PEER_MAC);
        assert!(f.len() - common::ETHER_HEADER <= 1400);
        let p = Packet::new_checked(&f[common::ETHER_HEADER..]).unwrap();
        assert_eq!(p.dst(), far.addr);
    }
    // An address on the prefix is on-link: straight to its neighbour.
    let next = r
        .inet
        .next_hop(
            &r.net,
            &addr::ScopedAddr {
                addr: a("2001:db8:1::7"),
                scope: 0,
            },
        )
        .unwrap();
    assert_eq!(next.next, a("2001:db8:1::7"));
}

#[test]
fn lifetimes_run_out_on_the_kernel_clock() {
    let r = accepting();
    let ifp = r.links[0].ifp.clone();
    r.put(0, &ra_packet(&router(), 255, &usual()));
    assert!(has_default(&r));
    r.clock.advance(Duration::from_secs(599));
    std::thread::sleep(Duration::from_millis(200));
    assert!(has_default(&r));
    r.clock.advance(Duration::from_secs(1));
    eventually("the router to expire", || !has_default(&r));
    assert!(r.inet.default_routers().is_empty());
    assert!(
        r.inet
            .next_hop(
                &r.net,
                &addr::ScopedAddr {
                    addr: a("2001:db8:77::5"),
                    scope: 0
                }
            )
            .is_err()
    );
    r.clock.advance(Duration::from_secs(1200));
    eventually("the address to be deprecated", || {
        addr_flags(&r, &slaac()).is_some_and(|f| f & flags::DEPRECATED != 0)
    });
    // A deprecated address is a source only when there is no other.
    let src = r.inet.select_source(&ifp, &a("2001:db8:1::7")).unwrap();
    assert_eq!(src, a("2001:db8:9::1"));
    r.clock.advance(Duration::from_secs(1800));
    eventually("the address to go", || addr_flags(&r, &slaac()).is_none());
    assert!(r.inet.prefixes().is_empty());
    assert!(r.inet.address_lifetime(ifp.index, &slaac()).is_none());
}

#[test]
fn the_two_hour_rule_guards_the_valid_lifetime() {
    let r = accepting();
    let idx = r.links[0].ifp.index;
    let only_prefix = |valid, preferred| AdvertRepr {
        options: vec![prefix(valid, preferred)],
        ..AdvertRepr::default()
    };
    r.put(0, &ra_packet(&router(), 255, &only_prefix(10_000, 100)));
    assert_eq!(
        r.inet.address_lifetime(idx, &slaac()).unwrap().valid,
        10_000
    );
    // RFC 4862 5.5.3 e): more than two hours left, a short one makes it
    // two hours; a longer one is taken as it is.
    r.put(0, &ra_packet(&router(), 255, &only_prefix(60, 60)));
    assert_eq!(r.inet.address_lifetime(idx, &slaac()).unwrap().valid, 7200);
    r.put(0, &ra_packet(&router(), 255, &only_prefix(0, 0)));
    assert_eq!(r.inet.address_lifetime(idx, &slaac()).unwrap().valid, 7200);
    // A preferred lifetime of 0 deprecates at once; a router lifetime
    // of 0 made no default route.
    assert_ne!(addr_flags(&r, &slaac()).unwrap() & flags::DEPRECATED, 0);
    assert!(r.inet.default_routers().is_empty());
    // Preferred longer than valid: the option is ignored.
    r.put(0, &ra_packet(&router(), 255, &only_prefix(9000, 9001)));
    assert_eq!(r.inet.address_lifetime(idx, &slaac()).unwrap().valid, 7200);
    r.put(0, &ra_packet(&router(), 255, &only_prefix(9000, 8000)));
    assert_eq!(r.inet.address_lifetime(idx, &slaac()).unwrap().valid, 9000);
    assert_eq!(addr_flags(&r, &slaac()).unwrap() & flags::DEPRECATED, 0);
}

#[test]
fn invalid_advertisements_are_dropped_and_counted() {
    let r = accepting();
    let good = ra_packet(&router(), 255, &usual());
    // Forwarded (hop limit below 255).
    r.put(0, &ra_packet(&router(), 64, &usual()));
    // Not from a link-local address.
    r.put(0, &ra_packet(&a("2001:db8:9::99"), 255, &usual()));
    // Code 1.
    let mut coded = good.clone();
    coded[ipv6::HEADER_LEN + 1] = 1;
    let c = ipv6::upper_checksum(&router(), &addr::ALL_NODES, nh::ICMPV6, &{
        let mut m = coded[ipv6::HEADER_LEN..].to_vec();
        m[2] = 0;
        m[3] = 0;
        m
    });
    coded[ipv6::HEADER_LEN + 2..ipv6::HEADER_LEN + 4].copy_from_slice(&c.to_be_bytes());
    r.put(0, &coded);
    // Too short for an advertisement.
    let mut short = vec![kind::ROUTER_ADVERT, 0, 0, 0, 64, 0, 0, 0];
    let c = ipv6::upper_checksum(&router(), &addr::ALL_NODES, nh::ICMPV6, &short);
    short[2..4].copy_from_slice(&c.to_be_bytes());
    r.put(
        0,
        &common::packet(&router(), &addr::ALL_NODES, nh::ICMPV6, 255, &short),
    );
    // An option of length 0.
    let mut bad_opt = usual();
    bad_opt.options.push(vec![opt::MTU, 0, 0, 0, 0, 0, 0, 0]);
    r.put(0, &ra_packet(&router(), 255, &bad_opt));
    assert_eq!(r.inet.stats.badra.load(Relaxed), 5);
    assert!(r.inet.default_routers().is_empty());
    assert_eq!(addr_flags(&r, &slaac()), None);
    // An MTU above the link's and a link-local prefix are ignored.
    let mut odd = usual();
    odd.options[1] = mtu_option(9000);
    odd.options.push(
        PrefixInfo {
            prefixlen: 64,
            flags: pi_flag::ONLINK | pi_flag::AUTO,
            valid: 100,
            preferred: 100,
            prefix: a("fe80::"),
        }
        .emit(),
    );
    r.put(0, &ra_packet(&router(), 255, &odd));
    assert_eq!(r.inet.link_mtu(&r.links[0].ifp), 1500);
    assert_eq!(r.inet.prefixes().len(), 1);
    assert_eq!(r.inet.stats.badra.load(Relaxed), 5);
}
