//! Forwarding in one kernel with two Ethernet links (2001:db8:1::/64 and
//! 2001:db8:2::/64), packets written and read on each (`ip6_forward`):
//! off at boot; on, a packet goes on with its hop limit one less to the
//! next hop's Ethernet address, and what may not go on is dropped or
//! answered as RFC 4443 and RFC 4007 say.

mod common;

use common::{PEER_MAC, packet};
use rumpnet_netinet6::wire::icmpv6::{self, kind};
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use std::net::Ipv6Addr;
use std::sync::atomic::Ordering::Relaxed;

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

/// `ICMP6_DST_UNREACH_BEYONDSCOPE`, `ICMP6_DST_UNREACH_NOROUTE`,
/// `ICMP6_DST_UNREACH_ADDR`.
const BEYONDSCOPE: u8 = 2;
const NOROUTE: u8 = 0;
const ADDR: u8 = 3;

/// The ICMPv6 type and code of `p`, an IPv6 packet carrying ICMPv6.
fn icmp(p: &[u8]) -> (u8, u8) {
    let p = Packet::new_checked(p).unwrap();
    assert_eq!(p.next_header(), nh::ICMPV6);
    (p.payload()[0], p.payload()[1])
}

#[test]
fn a_kernel_forwards_only_when_told_and_only_what_may_go() {
    let r = common::rig(&["2001:db8:1::1", "2001:db8:2::1"]);
    let (a, b) = (ip("2001:db8:1::a"), ip("2001:db8:2::b"));
    r.introduce(0, &a);
    r.introduce(1, &b);
    let data = [0x60u8; 16];
    // Off at boot: nothing goes on, nothing is said.
    r.put(0, &packet(&a, &b, nh::NONE, 64, &data));
    assert!(r.sent(1).is_empty() && r.sent(0).is_empty());
    r.inet.forwarding.store(true, Relaxed);
    // On: out of link 1 to b's Ethernet address, hop limit 63, the rest
    // as it came (the link's padding left behind).
    let mut padded = packet(&a, &b, nh::NONE, 64, &data);
    padded.extend_from_slice(&[0; 6]);
    r.put(0, &padded);
    let frames = r.frames(1);
    assert_eq!(frames.len(), 1);
    assert_eq!(&frames[0][..6], &PEER_MAC);
    assert_eq!(
        &frames[0][common::ETHER_HEADER..],
        &packet(&a, &b, nh::NONE, 63, &data)[..]
    );
    assert_eq!(r.inet.stats.forwarded.load(Relaxed), 1);
    // The last hop: time exceeded, from our address on a's link.
    r.put(0, &packet(&a, &b, nh::NONE, 1, &data));
    let back = r.sent(0);
    assert_eq!(back.len(), 1);
    assert_eq!(icmp(&back[0]), (kind::TIME_EXCEEDED, 0));
    assert_eq!(
        Packet::new_checked(&back[0][..]).unwrap().src(),
        ip("2001:db8:1::1")
    );
    // No route: destination unreachable.
    r.put(0, &packet(&a, &ip("2001:db8:3::1"), nh::NONE, 64, &data));
    assert_eq!(icmp(&r.sent(0)[0]), (kind::DST_UNREACH, NOROUTE));
    // A link-local source may not leave its link: beyond its scope.
    let ll = ip("fe80::a");
    r.introduce(0, &ll);
    r.put(0, &packet(&ll, &b, nh::NONE, 64, &data));
    assert!(r.sent(1).is_empty());
    let back = r.sent(0);
    assert_eq!(icmp(&back[0]), (kind::DST_UNREACH, BEYONDSCOPE));
    assert_eq!(Packet::new_checked(&back[0][..]).unwrap().dst(), ll);
    // Link-local and multicast destinations, and the unspecified source,
    // stay where they are, without a word.
    for (s, d) in [
        (a, ip("fe80::b")),
        (a, ip("ff0e::1")),
        (Ipv6Addr::UNSPECIFIED, b),
    ] {
        r.put(0, &packet(&s, &d, nh::NONE, 64, &data));
        assert!(r.sent(1).is_empty(), "{s} -> {d} went on");
        assert!(r.sent(0).is_empty(), "{s} -> {d} was answered");
    }
    // Too big for the way out (a jumbo frame came in): packet too big
    // with the outgoing MTU, no fragments.
    let jumbo = packet(&a, &b, nh::NONE, 64, &[0; 1600]);
    r.put(0, &jumbo);
    assert!(r.sent(1).is_empty());
    let back = r.sent(0);
    assert_eq!(icmp(&back[0]), (kind::PACKET_TOO_BIG, 0));
    let p = Packet::new_checked(&back[0][..]).unwrap();
    assert_eq!(&p.payload()[4..8], &1500u32.to_be_bytes());
    // It quotes the packet, from its header on.
    let quoted = &p.payload()[icmpv6::HEADER_LEN..];
    assert_eq!(&quoted[..ipv6::HEADER_LEN], &jumbo[..ipv6::HEADER_LEN]);
}

/// A route to `dst`/`len` through `gw` with `flags` more.
fn route(r: &common::Rig, dst: &str, len: u8, gw: &str, flags: i32) {
    let at = |a: &str| rumpnet_netinet6::addr::ScopedAddr {
        addr: ip(a),
        scope: 0,
    };
    let flags = (netbsd_abi::RTF_GATEWAY | flags) as u32;
    r.inet.add_route(at(dst), len, at(gw), flags).unwrap();
}

/// Reject and blackhole routes as NetBSD's `looutput`,
/// `rt_check_reject_route` and `ip6_forward` treat them: what we send
/// along a reject route fails (ENETUNREACH for a network through lo0,
/// EHOSTUNREACH for a host, EHOSTUNREACH through a gateway on a link),
/// what we forward there is answered with an address unreachable; a
/// blackhole route through lo0 takes what is sent or forwarded without a
/// word, one through a link's gateway sends it on as NetBSD does.
#[test]
fn reject_and_blackhole_routes_refuse_or_swallow_packets() {
    use rump::Errno;
    use rumpnet_netinet6::addr::ScopedAddr;
    use rumpnet_netinet6::inet6::OutOpts;
    let r = common::rig(&["2001:db8:1::1", "2001:db8:2::1"]);
    let (a, b) = (ip("2001:db8:1::a"), ip("2001:db8:2::b"));
    r.introduce(0, &a);
    r.introduce(1, &b);
    r.inet.forwarding.store(true, Relaxed);
    route(&r, "2001:db8:3::", 48, "::1", netbsd_abi::RTF_REJECT);
    route(&r, "2001:db8:4::1", 128, "::1", netbsd_abi::RTF_REJECT);
    route(&r, "2001:db8:5::", 48, "::1", netbsd_abi::RTF_BLACKHOLE);
    route(
        &r,
        "2001:db8:6::",
        48,
        "2001:db8:2::b",
        netbsd_abi::RTF_REJECT,
    );
    route(
        &r,
        "2001:db8:7::",
        48,
        "2001:db8:2::b",
        netbsd_abi::RTF_BLACKHOLE,
    );
    let send = |to: &str| {
        let dst = ScopedAddr {
            addr: ip(to),
            scope: 0,
        };
        r.inet
            .output(nh::NONE, None, &dst, &[1, 2, 3], &OutOpts::default())
    };
    assert_eq!(send("2001:db8:3::9"), Err(Errno::ENETUNREACH));
    assert_eq!(send("2001:db8:4::1"), Err(Errno::EHOSTUNREACH));
    assert_eq!(send("2001:db8:5::9"), Ok(()));
    assert_eq!(send("2001:db8:6::9"), Err(Errno::EHOSTUNREACH));
    assert!(r.sent(0).is_empty() && r.sent(1).is_empty());
    assert_eq!(send("2001:db8:7::9"), Ok(()));
    assert_eq!(
        r.sent(1).len(),
        1,
        "a blackhole route through a link sends on"
    );
    let data = [0x60u8; 16];
    for to in ["2001:db8:3::9", "2001:db8:4::1", "2001:db8:6::9"] {
        r.put(0, &packet(&a, &ip(to), nh::NONE, 64, &data));
        assert!(r.sent(1).is_empty(), "{to} went on");
        let back = r.sent(0);
        assert_eq!(back.len(), 1, "{to}");
        assert_eq!(icmp(&back[0]), (kind::DST_UNREACH, ADDR), "{to}");
    }
    let forwarded = r.inet.stats.forwarded.load(Relaxed);
    r.put(0, &packet(&a, &ip("2001:db8:5::9"), nh::NONE, 64, &data));
    assert!(r.sent(0).is_empty() && r.sent(1).is_empty());
    assert_eq!(r.inet.stats.forwarded.load(Relaxed), forwarded + 1);
    r.put(0, &packet(&a, &ip("2001:db8:7::9"), nh::NONE, 64, &data));
    assert_eq!(r.sent(1).len(), 1);
}
