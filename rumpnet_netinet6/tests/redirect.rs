//! Redirects (RFC 4861 8) on one kernel with a manual clock: as a host
//! it takes valid ones from its first hop as host routes that time out
//! and drops the rest; as a router it sends one to the on-link sender of
//! a packet it forwards back out of the interface it came in on.

mod common;

use common::{PEER_MAC, Rig, rig};
use rump::sysctl::SysctlValue;
use rumpnet_netinet6::addr::{self, ScopedAddr};
use rumpnet_netinet6::wire::icmpv6::kind;
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use rumpnet_netinet6::wire::rtr::{self, Redirect};
use std::net::Ipv6Addr;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn set(r: &Rig, name: &str, v: i32) {
    r.k.sysctl().set(name, SysctlValue::Int(v)).expect(name);
}

fn far(n: u16) -> Ipv6Addr {
    Ipv6Addr::new(0x2001, 0xdb8, 0x77, 0, 0, 0, 0, n)
}

/// The first hop, and the better router it redirects to.
fn router() -> Ipv6Addr {
    a("fe80::99")
}
fn better() -> Ipv6Addr {
    a("fe80::98")
}

fn scoped(r: &Rig, x: Ipv6Addr) -> ScopedAddr {
    ScopedAddr {
        addr: x,
        scope: if addr::is_link_scoped(&x) {
            u32::from(r.links[0].ifp.index)
        } else {
            0
        },
    }
}

/// A host with a default route through [`router`].
fn host() -> Rig {
    let r = rig(&["2001:db8:9::1"]);
    let gw = scoped(&r, router());
    r.inet
        .add_route(
            scoped(&r, Ipv6Addr::UNSPECIFIED),
            0,
            gw,
            netbsd_abi::RTF_GATEWAY as u32,
        )
        .expect("default route");
    r
}

/// A redirect from `src` with hop limit `hlim`.
fn redirect(r: &Rig, src: &Ipv6Addr, hlim: u8, target: &Ipv6Addr, dst: &Ipv6Addr) -> Vec<u8> {
    let ours = r.links[0].ours;
    let mut m = rtr::redirect(target, dst, Some([2, 0, 0, 0, 0, 0x98]), &[0x60; 48], 100);
    let c = ipv6::upper_checksum(src, &ours, nh::ICMPV6, &m);
    m[2..4].copy_from_slice(&c.to_be_bytes());
    common::packet(src, &ours, nh::ICMPV6, hlim, &m)
}

fn next(r: &Rig, x: Ipv6Addr) -> (Ipv6Addr, bool) {
    let h = r.inet.next_hop(&r.net, &scoped(r, x)).expect("route");
    (h.next, h.via_gateway)
}

#[test]
fn a_host_takes_a_redirect_from_its_first_hop() {
    let r = host();
    assert_eq!(next(&r, far(5)), (router(), true));
    // A better router, with its link-layer address.
    r.put(0, &redirect(&r, &router(), 255, &better(), &far(5)));
    assert_eq!(next(&r, far(5)), (better(), true));
    let rt = r.inet.redirect_route(&far(5)).expect("redirect route");
    assert_eq!(rt.prefixlen, 128);
    assert_ne!(rt.flags & netbsd_abi::RTF_DYNAMIC as u32, 0);
    assert!(
        r.inet
            .neighbors()
            .iter()
            .any(|n| n.addr == better() && n.lladdr == Some([2, 0, 0, 0, 0, 0x98]) && n.router)
    );
    // The destination itself is on the link.
    r.put(0, &redirect(&r, &router(), 255, &far(6), &far(6)));
    assert_eq!(next(&r, far(6)), (far(6), false));
    // Other destinations still go to the first hop.
    assert_eq!(next(&r, far(7)), (router(), true));
    // net.inet6.icmp6.redirtimeout (600 s) later they are gone.
    assert_eq!(
        r.k.sysctl().get("net.inet6.icmp6.redirtimeout").unwrap(),
        SysctlValue::Int(600)
    );
    r.clock.advance(Duration::from_secs(600));
    let until = Instant::now() + Duration::from_secs(5);
    while r.inet.redirect_route(&far(5)).is_some() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(next(&r, far(5)), (router(), true));
    assert_eq!(next(&r, far(6)), (router(), true));
}

#[test]
fn invalid_redirects_are_dropped_and_counted() {
    let r = host();
    // Not from the first hop for that destination.
    r.put(0, &redirect(&r, &better(), 255, &better(), &far(5)));
    // Forwarded.
    r.put(0, &redirect(&r, &router(), 64, &better(), &far(5)));
    // A target neither link-local nor the destination.
    r.put(0, &redirect(&r, &router(), 255, &far(8), &far(5)));
    // A multicast destination.
    r.put(0, &redirect(&r, &router(), 255, &better(), &a("ff05::1")));
    // From a global address.
    r.put(
        0,
        &redirect(&r, &a("2001:db8:9::99"), 255, &better(), &far(5)),
    );
    assert_eq!(r.inet.stats.badredirect.load(Relaxed), 5);
    assert_eq!(next(&r, far(5)), (router(), true));
    // Not accepted at all when rediraccept is 0, nor by a router.
    set(&r, "net.inet6.icmp6.rediraccept", 0);
    r.put(0, &redirect(&r, &router(), 255, &better(), &far(5)));
    set(&r, "net.inet6.icmp6.rediraccept", 1);
    set(&r, "net.inet6.ip6.forwarding", 1);
    r.put(0, &redirect(&r, &router(), 255, &better(), &far(5)));
    assert_eq!(next(&r, far(5)), (router(), true));
    assert_eq!(r.inet.stats.badredirect.load(Relaxed), 5);
    assert_eq!(
        r.k.sysctl()
            .set("net.inet6.icmp6.redirtimeout", SysctlValue::Int(-1)),
        Err(rump::Errno::EINVAL)
    );
}

/// A router on one link: 2001:db8:77::/64 through [`better`] on the same
/// link, the neighbours known.
fn router_rig() -> Rig {
    let r = rig(&["2001:db8:9::1"]);
    set(&r, "net.inet6.ip6.forwarding", 1);
    let gw = scoped(&r, better());
    r.inet
        .add_route(scoped(&r, far(0)), 64, gw, netbsd_abi::RTF_GATEWAY as u32)
        .expect("route");
    r.introduce(0, &better());
    r.introduce(0, &a("2001:db8:9::5"));
    r
}

fn udp_from(src: &Ipv6Addr, dst: &Ipv6Addr) -> Vec<u8> {
    common::packet(
        src,
        dst,
        nh::UDP,
        64,
        &[0, 9, 0, 9, 0, 12, 0, 0, 1, 2, 3, 4],
    )
}

#[test]
fn a_router_redirects_a_sender_on_the_link() {
    let r = router_rig();
    let src = a("2001:db8:9::5");
    let pkt = udp_from(&src, &far(5));
    r.put(0, &pkt);
    let sent = r.sent(0);
    // Forwarded as well, to the better router.
    let fwd = sent
        .iter()
        .find(|p| Packet::new_checked(&p[..]).unwrap().next_header() == nh::UDP)
        .expect("forwarded");
    assert_eq!(Packet::new_checked(&fwd[..]).unwrap().hop_limit(), 63);
    let rd = sent
        .iter()
        .find(|p| {
            let x = Packet::new_checked(&p[..]).unwrap();
            x.next_header() == nh::ICMPV6 && x.payload()[0] == kind::REDIRECT
        })
        .expect("redirect");
    let x = Packet::new_checked(&rd[..]).unwrap();
    assert_eq!(x.hop_limit(), 255);
    assert_eq!(x.src(), addr::link_local_of([2, 0, 0, 0, 0, 1]));
    assert_eq!(x.dst(), src);
    assert_eq!(
        ipv6::upper_checksum(&x.src(), &x.dst(), nh::ICMPV6, x.payload()),
        0
    );
    let m = Redirect::new_checked(x.payload()).unwrap();
    assert_eq!((m.target(), m.destination()), (better(), far(5)));
    assert_eq!(m.target_lladdr(), Some(PEER_MAC));
    // The redirected header quotes the packet as it came in, padded.
    let quoted = &x.payload()[rtr::REDIRECT_LEN + 8 + 8..];
    assert_eq!(&quoted[..pkt.len()], &pkt[..]);
    assert_eq!(r.inet.stats.redirects_sent.load(Relaxed), 1);
    // A sender off the link is not told; nor anyone when redirect is 0.
    r.put(0, &udp_from(&a("2001:db8:55::5"), &far(5)));
    set(&r, "net.inet6.ip6.redirect", 0);
    r.put(0, &udp_from(&src, &far(5)));
    let kinds: Vec<u8> = r
        .sent(0)
        .iter()
        .map(|p| Packet::new_checked(&p[..]).unwrap().next_header())
        .collect();
    assert_eq!(kinds, vec![nh::UDP, nh::UDP]);
    assert_eq!(r.inet.stats.redirects_sent.load(Relaxed), 1);
}

#[test]
fn a_router_redirects_to_an_on_link_destination() {
    let r = router_rig();
    r.introduce(0, &a("2001:db8:9::7"));
    let src = a("2001:db8:9::5");
    r.put(0, &udp_from(&src, &a("2001:db8:9::7")));
    let rd = r
        .sent(0)
        .into_iter()
        .find(|p| Packet::new_checked(&p[..]).unwrap().next_header() == nh::ICMPV6)
        .expect("redirect");
    let m = Redirect::new_checked(Packet::new_checked(&rd[..]).unwrap().payload())
        .unwrap()
        .target();
    assert_eq!(m, a("2001:db8:9::7"));
}
