//! Fragments in one kernel on a manual clock, over an Ethernet link whose
//! frames the test writes and reads (RFC 8200 section 4.5): a UDP
//! datagram in fragments out of order arrives whole, an overlap drops
//! its datagram (RFC 5722), a bad fragment length is a parameter
//! problem, NetBSD's limits hold (`maxfragpackets`, `maxfrags`), an
//! incomplete datagram times out after 60 seconds of the kernel's clock
//! with an ICMPv6 time exceeded, and a datagram larger than the link's
//! MTU leaves in fragments.

use rump::clock::ManualClock;
use rump::{Kernel, KernelBuilder};
use rumpnet::ifnet::{
    IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IFF_UP, IfDriver, Ifnet, LinkType,
};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM};
use rumpnet::wire::ethernet::{Address, ethertype};
use rumpnet_netinet6::inet6::{IfAddr6, Inet6};
use rumpnet_netinet6::wire::icmpv6::kind;
use rumpnet_netinet6::wire::ipv6::{self, FragHeader, Packet, nh};
use rumpnet_netinet6::wire::nd;
use std::net::Ipv6Addr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The frames the kernel sent.
#[derive(Default)]
struct Wire(Mutex<Vec<Vec<u8>>>);

struct Link(Arc<Wire>);

impl IfDriver for Link {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }
    fn transmit(&self, frame: Pkt) -> bool {
        self.0.0.lock().unwrap().push(frame.data().to_vec());
        true
    }
}

const OUR_MAC: [u8; 6] = [2, 0, 0, 0, 0, 1];
const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 2];
const ETHER_HEADER: usize = 14;

struct Rig {
    _k: Arc<Kernel>,
    clock: Arc<ManualClock>,
    net: Arc<Net>,
    inet: Arc<Inet6>,
    ifp: Arc<Ifnet>,
    wire: Arc<Wire>,
    udp: Arc<dyn ProtoSocket>,
}

fn ours() -> Ipv6Addr {
    "2001:db8::1".parse().unwrap()
}

fn peer() -> Ipv6Addr {
    "2001:db8::2".parse().unwrap()
}

/// A kernel with 2001:db8::1/64 on an Ethernet (DAD off), and a UDP
/// socket on [::]:7.
fn rig() -> Rig {
    let clock = ManualClock::new();
    let k = KernelBuilder::new()
        .time_source(clock.clone())
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .component(&rumpnet_netinet6::COMPONENT)
        .boot()
        .expect("boot");
    let net = Net::of(&k);
    let inet = Inet6::of(&k);
    inet.dad_count.store(0, Relaxed);
    let wire = Arc::new(Wire::default());
    let ifp = net
        .attach(
            "fr0",
            IfConfig {
                driver: Box::new(Link(Arc::clone(&wire))),
                hwaddr: Address(OUR_MAC),
                flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
                mtu: 1500,
            },
        )
        .expect("attach");
    net.set_flags(&ifp, ifp.flags() | IFF_UP).expect("up");
    inet.add_address(
        &ifp,
        IfAddr6 {
            ifindex: ifp.index,
            addr: ours(),
            prefixlen: 64,
            flags: 0,
        },
    )
    .expect("address");
    let d = net.domain(netbsd_abi::AF_INET6 as u8).expect("AF_INET6");
    let udp = k.with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0)).expect("udp");
    let any7 = rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr::UNSPECIFIED, 7);
    k.with_ctx(|ctx| udp.bind(ctx, &any7)).expect("bind");
    Rig {
        _k: k,
        clock,
        net,
        inet,
        ifp,
        wire,
        udp,
    }
}

impl Rig {
    /// Put an IPv6 packet on the link, to us.
    fn put(&self, pkt: &[u8]) {
        let mut f = OUR_MAC.to_vec();
        f.extend_from_slice(&PEER_MAC);
        f.extend_from_slice(&ethertype::IPV6.to_be_bytes());
        f.extend_from_slice(pkt);
        self.net.input(&self.ifp, Pkt::from_vec(f));
    }

    /// The IPv6 packets sent so far, taken.
    fn sent(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.wire.0.lock().unwrap())
            .into_iter()
            .map(|f| f[ETHER_HEADER..].to_vec())
            .collect()
    }

    /// A datagram waiting on the UDP socket.
    fn datagram(&self) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 70000];
        let got = self.udp.recv(&mut buf, 0).ok()?;
        buf.truncate(got.len);
        Some(buf)
    }

    /// The peer solicits us with its link-layer address, which our
    /// neighbour cache learns, so that what we send it can go at once.
    fn introduce_peer(&self) {
        let mut ns = nd::build(
            kind::NEIGHBOR_SOLICIT,
            0,
            &ours(),
            Some((nd::opt::SOURCE_LLADDR, PEER_MAC)),
        );
        let c = ipv6::upper_checksum(&peer(), &ours(), nh::ICMPV6, &ns);
        ns[2..4].copy_from_slice(&c.to_be_bytes());
        self.put(&packet(nh::ICMPV6, 255, &ns));
        self.sent();
    }
}

/// An IPv6 packet from the peer to us.
fn packet(next: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; ipv6::HEADER_LEN];
    ipv6::Repr {
        src: peer(),
        dst: ours(),
        next_header: next,
        hop_limit: hlim,
        payload_len: payload.len() as u16,
    }
    .emit(&mut p);
    p.extend_from_slice(payload);
    p
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
    let r = rig();
    let payload = data(3000);
    let d = udp_datagram(&payload);
    for (from, to) in [(2400, d.len()), (0, 1200), (1200, 2400)] {
        r.put(&fragment(&d, nh::UDP, 0x1234, from, to));
    }
    assert_eq!(r.datagram(), Some(payload));
    assert_eq!(r.inet.stats.reassembled.load(Relaxed), 1);
    assert_eq!(r.inet.reassembling(), 0);
    // An atomic fragment (offset 0, no more) is the datagram itself.
    let small = udp_datagram(b"atomic");
    r.put(&fragment(&small, nh::UDP, 9, 0, small.len()));
    assert_eq!(r.datagram().as_deref(), Some(&b"atomic"[..]));
}

#[test]
fn an_overlapping_fragment_drops_its_datagram() {
    let r = rig();
    let d = udp_datagram(&data(2000));
    r.put(&fragment(&d, nh::UDP, 1, 0, 1000));
    r.put(&fragment(&d, nh::UDP, 1, 992, d.len()));
    assert_eq!(r.inet.reassembling(), 0);
    r.put(&fragment(&d, nh::UDP, 1, 1000, d.len()));
    assert_eq!(r.datagram(), None, "the first piece went with the overlap");
}

#[test]
fn a_fragment_whose_length_is_not_a_multiple_of_8_is_a_parameter_problem() {
    let r = rig();
    r.introduce_peer();
    let d = udp_datagram(&data(100));
    r.put(&fragment(&d, nh::UDP, 2, 0, 50));
    let sent = r.sent();
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
    let r = rig();
    let d = udp_datagram(&data(2000));
    r.inet.max_fragpackets.store(2, Relaxed);
    for id in 0..3 {
        r.put(&fragment(&d, nh::UDP, id, 0, 1000));
    }
    assert_eq!(r.inet.reassembling(), 2);
    assert_eq!(r.inet.stats.fragdropped.load(Relaxed), 1);
    // maxfrags counts fragments of every datagram.
    r.inet.max_fragpackets.store(-1, Relaxed);
    r.inet.max_frags.store(3, Relaxed);
    r.put(&fragment(&d, nh::UDP, 7, 0, 1000));
    r.put(&fragment(&d, nh::UDP, 8, 0, 1000));
    assert_eq!(r.inet.reassembling(), 3);
    // 0: no reassembly at all.
    r.inet.max_frags.store(-1, Relaxed);
    r.inet.max_fragpackets.store(0, Relaxed);
    r.put(&fragment(&d, nh::UDP, 9, 0, 1000));
    assert_eq!(r.inet.reassembling(), 3);
}

#[test]
fn an_incomplete_datagram_times_out_after_60_seconds() {
    let r = rig();
    r.introduce_peer();
    let d = udp_datagram(&data(2000));
    r.put(&fragment(&d, nh::UDP, 3, 0, 1000));
    r.sent();
    r.clock.advance(Duration::from_secs(59));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(r.inet.reassembling(), 1);
    r.clock.advance(Duration::from_secs(1));
    let until = Instant::now() + Duration::from_secs(5);
    let mut answer = None;
    while answer.is_none() && Instant::now() < until {
        answer = r.sent().into_iter().find(|p| {
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
    let r = rig();
    r.introduce_peer();
    let payload = data(4000);
    // (Under the socket's 9216-byte send buffer, udp6_sendspace.)
    let to = rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr(peer().octets()), 9);
    let sent =
        r._k.with_ctx(|ctx| r.udp.send(ctx, &payload, Some(&to), 0))
            .expect("send");
    assert_eq!(sent, payload.len());
    let frags = r.sent();
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
