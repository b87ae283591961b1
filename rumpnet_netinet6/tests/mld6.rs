//! MLDv1 as a listener (RFC 2710, NetBSD's `mld6.c`) on one kernel with
//! a manual clock: reports on joining (twice), done on leaving, reports
//! to queries within their delay, and a report heard from another node
//! holding ours back.

mod common;

use common::{Rig, rig};
use rumpnet::socket::{ProtoSocket, SOCK_RAW};
use rumpnet_netinet6::addr;
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use rumpnet_netinet6::wire::mld::{self, MldMsg};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn ours_ll() -> Ipv6Addr {
    addr::link_local_of([2, 0, 0, 0, 0, 1])
}

fn querier() -> Ipv6Addr {
    a("fe80::99")
}

/// An MLD message sent: (type, group, IPv6 destination).
#[derive(Debug, PartialEq, Eq)]
struct Sent {
    kind: u8,
    group: Ipv6Addr,
    dst: Ipv6Addr,
}

/// The MLD messages among what link 0 sent, each checked for RFC 2710's
/// envelope: hop limit 1, a router alert, from our link-local address,
/// checksummed.
fn mld_sent(r: &Rig) -> Vec<Sent> {
    r.sent(0)
        .into_iter()
        .filter_map(|p| {
            let x = Packet::new_checked(&p[..]).unwrap();
            if x.next_header() != nh::HOPOPTS {
                return None;
            }
            let pl = x.payload();
            // Next header ICMPv6, a router alert for MLD (RFC 2711).
            assert_eq!(&pl[..6], &[nh::ICMPV6, 0, 5, 2, 0, 0]);
            let body = &pl[8..];
            assert_eq!(x.hop_limit(), 1);
            assert_eq!(x.src(), ours_ll());
            assert_eq!(
                ipv6::upper_checksum(&x.src(), &x.dst(), nh::ICMPV6, body),
                0
            );
            let m = MldMsg::new_checked(body).unwrap();
            Some(Sent {
                kind: m.kind(),
                group: m.group(),
                dst: x.dst(),
            })
        })
        .collect()
}

fn report(g: &Ipv6Addr) -> Sent {
    Sent {
        kind: mld::kind::REPORT,
        group: *g,
        dst: *g,
    }
}

/// Wait for MLD messages on link 0 for up to two seconds of real time.
fn wait_mld(r: &Rig, want: usize) -> Vec<Sent> {
    let until = Instant::now() + Duration::from_secs(2);
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < until {
        got.extend(mld_sent(r));
        std::thread::sleep(Duration::from_millis(10));
    }
    got
}

/// An MLD message from `src` to `dst`.
fn mld_packet(src: &Ipv6Addr, dst: &Ipv6Addr, kind: u8, delay: u16, g: &Ipv6Addr) -> Vec<u8> {
    let mut m = mld::build(kind, delay, g);
    let c = ipv6::upper_checksum(src, dst, nh::ICMPV6, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    let mut body = vec![nh::ICMPV6, 0, 5, 2, 0, 0, 1, 0];
    body.extend_from_slice(&m);
    common::packet(src, dst, nh::HOPOPTS, 1, &body)
}

fn raw(r: &Rig) -> Arc<dyn ProtoSocket> {
    let d = r.net.domain(netbsd_abi::AF_INET6 as u8).expect("AF_INET6");
    r.k.with_ctx(|ctx| d.socket(ctx, SOCK_RAW, i32::from(nh::ICMPV6)))
        .expect("raw socket")
}

fn mreq(g: &Ipv6Addr, ifindex: u32) -> Vec<u8> {
    let mut v = g.octets().to_vec();
    v.extend_from_slice(&ifindex.to_le_bytes());
    v
}

#[test]
fn an_address_reports_its_solicited_node_group_twice() {
    let r = rig(&["2001:db8::1"]);
    let sn = addr::solicited_node(&a("2001:db8::1"));
    let first = mld_sent(&r);
    assert!(first.contains(&report(&sn)), "{first:?}");
    // The link-local address's group too; never all nodes.
    assert!(first.contains(&report(&addr::solicited_node(&ours_ll()))));
    assert!(first.iter().all(|s| s.group != addr::ALL_NODES));
    // The second report within MLD_UNSOLICITED_REPORT_INTERVAL (10 s).
    r.clock.advance(Duration::from_secs(10));
    let again = wait_mld(&r, 2);
    assert!(again.contains(&report(&sn)), "{again:?}");
    r.clock.advance(Duration::from_secs(20));
    std::thread::sleep(Duration::from_millis(200));
    assert!(mld_sent(&r).is_empty(), "only twice");
}

#[test]
fn joining_and_leaving_by_socket() {
    let r = rig(&["2001:db8::1"]);
    let idx = u32::from(r.links[0].ifp.index);
    r.sent(0);
    let g = a("ff02::1234");
    let (s1, s2) = (raw(&r), raw(&r));
    let join = netbsd_abi::IPV6_JOIN_GROUP;
    let leave = netbsd_abi::IPV6_LEAVE_GROUP;
    let v6 = netbsd_abi::IPPROTO_IPV6;
    s1.setopt(v6, join, &mreq(&g, idx)).expect("join");
    assert_eq!(mld_sent(&r), vec![report(&g)]);
    assert_eq!(
        s1.setopt(v6, join, &mreq(&g, idx)).unwrap_err(),
        rump::Errno::EADDRINUSE
    );
    // Not multicast; no route for a link-scoped group without an
    // interface; no such interface.
    assert_eq!(
        s1.setopt(v6, join, &mreq(&a("2001:db8::5"), idx))
            .unwrap_err(),
        rump::Errno::EINVAL
    );
    assert_eq!(
        s1.setopt(v6, join, &mreq(&a("ff02::5"), 0)).unwrap_err(),
        rump::Errno::EADDRNOTAVAIL
    );
    assert_eq!(
        s1.setopt(v6, join, &mreq(&a("ff02::5"), 999)).unwrap_err(),
        rump::Errno::ENXIO
    );
    // A second listener makes no new report; the first leaving, no done.
    s2.setopt(v6, join, &mreq(&g, idx)).expect("join");
    s1.setopt(v6, leave, &mreq(&g, idx)).expect("leave");
    assert!(mld_sent(&r).is_empty());
    assert_eq!(
        s1.setopt(v6, leave, &mreq(&g, idx)).unwrap_err(),
        rump::Errno::EADDRNOTAVAIL
    );
    // The last one closing: a done to all routers.
    s2.close();
    assert_eq!(
        mld_sent(&r),
        vec![Sent {
            kind: mld::kind::DONE,
            group: g,
            dst: a("ff02::2"),
        }]
    );
    // Node-local groups are never reported.
    s1.setopt(v6, join, &mreq(&a("ff01::77"), idx))
        .expect("join");
    assert!(mld_sent(&r).is_empty());
}

#[test]
fn queries_are_answered_within_their_delay() {
    let r = rig(&["2001:db8::1"]);
    let ifp = r.links[0].ifp.clone();
    let g = a("ff02::1234");
    r.inet.join_group(&ifp, &g).unwrap();
    // Past the unsolicited reports.
    r.clock.advance(Duration::from_secs(11));
    wait_mld(&r, 4);
    r.sent(0);
    // A general query with a maximum delay of 2 s: every group we are in
    // reports within 2 s, none before its time.
    r.put(
        0,
        &mld_packet(
            &querier(),
            &addr::ALL_NODES,
            mld::kind::QUERY,
            2000,
            &Ipv6Addr::UNSPECIFIED,
        ),
    );
    assert!(mld_sent(&r).is_empty(), "after a random delay");
    r.clock.advance(Duration::from_secs(2));
    let got = wait_mld(&r, 2);
    // 2001:db8::1 and fe80::ff:fe00:1 share one solicited-node group,
    // reported once.
    let sn = addr::solicited_node(&a("2001:db8::1"));
    assert_eq!(sn, addr::solicited_node(&ours_ll()));
    for x in [g, sn] {
        assert!(got.contains(&report(&x)), "{x}: {got:?}");
    }
    assert_eq!(got.len(), 2);
    // A query for one group, delay 0: that group at once.
    r.put(0, &mld_packet(&querier(), &g, mld::kind::QUERY, 0, &g));
    assert_eq!(mld_sent(&r), vec![report(&g)]);
    // A query from a global address is not MLD's (RFC 2710 5).
    r.put(
        0,
        &mld_packet(&a("2001:db8::99"), &g, mld::kind::QUERY, 0, &g),
    );
    assert!(mld_sent(&r).is_empty());
}

#[test]
fn another_report_suppresses_ours() {
    let r = rig(&["2001:db8::1"]);
    let ifp = r.links[0].ifp.clone();
    let g = a("ff02::1234");
    r.inet.join_group(&ifp, &g).unwrap();
    r.clock.advance(Duration::from_secs(11));
    wait_mld(&r, 4);
    r.sent(0);
    r.put(0, &mld_packet(&querier(), &g, mld::kind::QUERY, 5000, &g));
    // Another listener reports first: ours is not sent, and leaving sends
    // no done, as we were not the last to report.
    r.put(0, &mld_packet(&a("fe80::42"), &g, mld::kind::REPORT, 0, &g));
    r.clock.advance(Duration::from_secs(6));
    std::thread::sleep(Duration::from_millis(300));
    assert!(mld_sent(&r).is_empty());
    let m = r.inet.memberships();
    let x = m.iter().find(|x| x.group == g).unwrap();
    assert!(!x.last_reporter && x.timer.is_none());
    r.inet.leave_group(ifp.index, &g).unwrap();
    assert!(mld_sent(&r).is_empty());
    assert!(!r.inet.memberships().iter().any(|x| x.group == g));
}
