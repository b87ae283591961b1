//! Path MTU discovery (RFC 8201) on one kernel with a manual clock: a
//! packet too big about a packet of ours lowers the destination's path
//! MTU (never below 1280, never up) for ten minutes, and a UDP datagram
//! larger than it leaves in fragments that fit.

mod common;

use common::{Rig, rig};
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM};
use rumpnet_netinet6::wire::icmpv6::{self, kind};
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn ours() -> Ipv6Addr {
    a("2001:db8::1")
}

fn peer() -> Ipv6Addr {
    a("2001:db8::2")
}

/// A packet too big from `router` saying `mtu`, quoting a packet from
/// `src` to the peer.
fn too_big(router: &Ipv6Addr, code: u8, mtu: u32, src: &Ipv6Addr) -> Vec<u8> {
    let quoted = common::packet(src, &peer(), nh::UDP, 64, &[0u8; 1400]);
    let mut m = icmpv6::build(kind::PACKET_TOO_BIG, code, mtu, &quoted[..1232]);
    let c = ipv6::upper_checksum(router, &ours(), nh::ICMPV6, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    common::packet(router, &ours(), nh::ICMPV6, 64, &m)
}

fn pmtu(r: &Rig) -> u32 {
    r.inet.path_mtu(&r.links[0].ifp, &peer())
}

#[test]
fn a_packet_too_big_lowers_the_path_mtu_for_a_while() {
    let r = rig(&["2001:db8::1"]);
    let router = a("2001:db8::fe");
    assert_eq!(pmtu(&r), 1500);
    r.put(0, &too_big(&router, 0, 1400, &ours()));
    assert_eq!(pmtu(&r), 1400);
    assert_eq!(r.inet.stats.pmtuchg.load(Relaxed), 1);
    // Never up; never below the minimum MTU.
    r.put(0, &too_big(&router, 0, 1450, &ours()));
    assert_eq!(pmtu(&r), 1400);
    r.put(0, &too_big(&router, 0, 600, &ours()));
    assert_eq!(pmtu(&r), 1280);
    // Not about a packet of ours, or with a code: ignored.
    let r2 = rig(&["2001:db8::1"]);
    r2.put(0, &too_big(&router, 0, 1300, &a("2001:db8::9")));
    r2.put(0, &too_big(&router, 1, 1300, &ours()));
    assert_eq!(pmtu(&r2), 1500);
    // Other destinations keep the link's.
    assert_eq!(r.inet.path_mtu(&r.links[0].ifp, &a("2001:db8::3")), 1500);
    // Ten minutes on the kernel's clock later it is forgotten.
    r.clock.advance(Duration::from_secs(599));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(pmtu(&r), 1280);
    r.clock.advance(Duration::from_secs(1));
    let until = Instant::now() + Duration::from_secs(5);
    while pmtu(&r) != 1500 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(pmtu(&r), 1500);
}

#[test]
fn udp_larger_than_the_path_mtu_leaves_in_fragments() {
    let r = rig(&["2001:db8::1"]);
    r.introduce(0, &peer());
    r.put(0, &too_big(&a("2001:db8::fe"), 0, 1280, &ours()));
    r.sent(0);
    let d = r.net.domain(netbsd_abi::AF_INET6 as u8).expect("AF_INET6");
    let udp: Arc<dyn ProtoSocket> =
        r.k.with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0))
            .expect("udp");
    let to = rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr(peer().octets()), 9);
    let payload = vec![7u8; 1400];
    r.k.with_ctx(|ctx| udp.send(ctx, &payload, Some(&to), 0))
        .expect("send");
    let frames = r.sent(0);
    assert_eq!(frames.len(), 2);
    for f in &frames {
        assert!(f.len() <= 1280, "{}", f.len());
        let p = Packet::new_checked(&f[..]).unwrap();
        assert_eq!((p.dst(), p.next_header()), (peer(), nh::FRAGMENT));
    }
}
