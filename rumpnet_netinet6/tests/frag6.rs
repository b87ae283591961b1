//! Fragments in one kernel on a manual clock, over an Ethernet link whose
//! frames the test writes and reads (RFC 8200 section 4.5): a UDP
//! datagram in fragments out of order arrives whole, an overlap drops
//! its datagram (RFC 5722), a bad fragment length is a parameter
//! problem, NetBSD's limits hold (`maxfragpackets`, `maxfrags`), an
//! incomplete datagram times out after 60 seconds of the kernel's clock
//! with an ICMPv6 time exceeded, and a datagram larger than the link's
//! MTU leaves in fragments.

mod common;

use common::Rig;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM};
use rumpnet_netinet6::wire::icmpv6::kind;
use rumpnet_netinet6::wire::ipv6::{self, FragHeader, Packet, nh};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

fn ours() -> Ipv6Addr {
    "2001:db8::1".parse().unwrap()
}

fn peer() -> Ipv6Addr {
    "2001:db8::2".parse().unwrap()
}

/// A kernel with 2001:db8::1/64 on link 0 and a UDP socket on [::]:7.
fn rig() -> (Rig, Arc<dyn ProtoSocket>) {
    let r = common::rig(&["2001:db8::1"]);
    let d = r.net.domain(netbsd_abi::AF_INET6 as u8).expect("AF_INET6");
    let udp =
        r.k.with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0))
            .expect("udp");
    let any7 = rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr::UNSPECIFIED, 7);
    r.k.with_ctx(|ctx| udp.bind(ctx, &any7)).expect("bind");
    (r, udp)
}

/// A datagram waiting on `udp`.
fn datagram(udp: &Arc<dyn ProtoSocket>) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 70000];
    let got = udp.recv(&mut buf, 0).ok()?;
    buf.truncate(got.len);
    Some(buf)
}

/// An IPv6 packet from the peer to us.
fn packet(next: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    common::packet(&peer(), &ours(), next, hlim, payload)
}

/// A UDP datagram from the peer's port 9 to our port 7, checksummed.
fn udp_datagram(data: &[u8]) -> Vec<u8> {
    let len = (8 + data.len()) as u16;
    let mut u = vec![0, 9, 0, 7];
    u.extend_from_slice(&len.to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let c = ipv6::upper_checksum(&peer(), &ours(), nh::UDP, &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    u
}

/// A fragment of `whole` (an upper-layer datagram of protocol `next`):
/// bytes `from..to`, more to come unless `to` is its end.
fn fragment(whole: &[u8], next: u8, ident: u32, from: usize, to: usize) -> Vec<u8> {
    let mut f = ipv6::frag_header(next, from as u16, to < whole.len(), ident).to_vec();
    f.extend_from_slice(&whole[from..to]);
    packet(nh::FRAGMENT, 64, &f)
}

fn data(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn fragments_out_of_order_make_one_datagram() {
    let (r, udp) = rig();
    let payload = data(3000);
    let d = udp_datagram(&payload);
    for (from, to) in [(2400, d.len()), (0, 1200), (1200, 2400)] {
        r.put(0, &fragment(&d, nh::UDP, 0x1234, from, to));
    }
    assert_eq!(datagram(&udp), Some(payload));
    assert_eq!(r.inet.stats.reassembled.load(Relaxed), 1);
    assert_eq!(r.inet.reassembling(), 0);
    // An atomic fragment (offset 0, no more) is the datagram itself.
    let small = udp_datagram(b"atomic");
    r.put(0, &fragment(&small, nh::UDP, 9, 0, small.len()));
    assert_eq!(datagram(&udp).as_deref(), Some(&b"atomic"[..]));
}

#[test]
fn an_overlapping_fragment_drops_its_datagram() {
    let (r, udp) = rig();
    let d = udp_datagram(&data(2000));
    r.put(0, &fragment(&d, nh::UDP, 1, 0, 1000));
    r.put(0, &fragment(&d, nh::UDP, 1, 992, d.len()));
    assert_eq!(r.inet.reassembling(), 0);
    r.put(0, &fragment(&d, nh::UDP, 1, 1000, d.len()));
    assert_eq!(
        datagram(&udp),
        None,
        "the first piece went with the overlap"
    );
}

#[test]
fn a_fragment_whose_length_is_not_a_multiple_of_8_is_a_parameter_problem() {
    let (r, _udp) = rig();
    r.introduce(0, &peer());
    let d = udp_datagram(&data(100));
    r.put(0, &fragment(&d, nh::UDP, 2, 0, 50));
    let sent = r.sent(0);
    let p = Packet::new_checked(&sent[0][..]).unwrap();
    let icmp = p.payload();
    assert_eq!(
        (p.next_header(), icmp[0], icmp[1]),
        (nh::ICMPV6, kind::PARAM_PROB, 0)
    );
    // It points at the payload length.
    assert_eq!(&icmp[4..8], &4u32.to_be_bytes());
}

#[test]
fn netbsds_limits_hold() {
    let (r, _udp) = rig();
    let d = udp_datagram(&data(2000));
    r.inet.max_fragpackets.store(2, Relaxed);
    for id in 0..3 {
        r.put(0, &fragment(&d, nh::UDP, id, 0, 1000));
    }
    assert_eq!(r.inet.reassembling(), 2);
    assert_eq!(r.inet.stats.fragdropped.load(Relaxed), 1);
    // maxfrags counts fragments of every datagram.
    r.inet.max_fragpackets.store(-1, Relaxed);
    r.inet.max_frags.store(3, Relaxed);
    r.put(0, &fragment(&d, nh::UDP, 7, 0, 1000));
    r.put(0, &fragment(&d, nh::UDP, 8, 0, 1000));
    assert_eq!(r.inet.reassembling(), 3);
    // 0: no reassembly at all.
    r.inet.max_frags.store(-1, Relaxed);
    r.inet.max_fragpackets.store(0, Relaxed);
    r.put(0, &fragment(&d, nh::UDP, 9, 0, 1000));
    assert_eq!(r.inet.reassembling(), 3);
}

#[test]
fn an_incomplete_datagram_times_out_after_60_seconds() {
    let (r, _udp) = rig();
    r.introduce(0, &peer());
    let d = udp_datagram(&data(2000));
    r.put(0, &fragment(&d, nh::UDP, 3, 0, 1000));
    r.sent(0);
    r.clock.advance(Duration::from_secs(59));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(r.inet.reassembling(), 1);
    r.clock.advance(Duration::from_secs(1));
    let until = Instant::now() + Duration::from_secs(5);
    let mut answer = None;
    while answer.is_none() && Instant::now() < until {
        answer = r.sent(0).into_iter().find(|p| {
            Packet::new_checked(&p[..]).is_ok_and(|x| {
                x.next_header() == nh::ICMPV6 && x.payload()[0] == kind::TIME_EXCEEDED
            })
        });
        std::thread::sleep(Duration::from_millis(20));
    }
    let p = answer.expect("time exceeded");
    let icmp = Packet::new_checked(&p[..]).unwrap().payload().to_vec();
    // Reassembly time exceeded, quoting the first fragment.
    assert_eq!(icmp[1], 1);
    let quoted = Packet::new_checked(&icmp[8..]).unwrap();
    assert_eq!((quoted.src(), quoted.next_header()), (peer(), nh::FRAGMENT));
    assert_eq!(r.inet.reassembling(), 0);
    assert_eq!(r.inet.stats.fragtimeout.load(Relaxed), 1);
}

#[test]
fn a_datagram_larger_than_the_mtu_leaves_in_fragments() {
    let (r, udp) = rig();
    r.introduce(0, &peer());
    let payload = data(4000);
    // (Under the socket's 9216-byte send buffer, udp6_sendspace.)
    let to = rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr(peer().octets()), 9);
    let sent =
        r.k.with_ctx(|ctx| udp.send(ctx, &payload, Some(&to), 0))
            .expect("send");
    assert_eq!(sent, payload.len());
    let frags = r.sent(0);
    assert_eq!(frags.len(), 3, "4008 bytes in pieces of 1448");
    let mut whole = Vec::new();
    let mut ident = None;
    for (i, f) in frags.iter().enumerate() {
        assert!(f.len() <= 1500);
        let p = Packet::new_checked(&f[..]).unwrap();
        assert_eq!(
            (p.src(), p.dst(), p.next_header()),
            (ours(), peer(), nh::FRAGMENT)
        );
        let h = FragHeader::new_checked(p.payload()).unwrap();
        assert_eq!(h.next_header(), nh::UDP);
        assert_eq!(usize::from(h.offset()), whole.len());
        assert_eq!(h.more(), i < 2);
        assert_eq!(*ident.get_or_insert(h.ident()), h.ident());
        whole.extend_from_slice(&p.payload()[8..]);
    }
    assert_eq!(whole.len(), 8 + payload.len());
    assert_eq!(&whole[8..], &payload[..]);
    // The UDP checksum covers the whole datagram.
    assert_eq!(ipv6::upper_checksum(&ours(), &peer(), nh::UDP, &whole), 0);
}
