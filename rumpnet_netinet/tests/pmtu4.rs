//! IPv4 path MTU discovery (RFC 1191) as NetBSD's `icmp_mtudisc` and
//! `tcp_ctlinput` do it: TCP sends with DF while `net.inet.ip.mtudisc` is
//! on; a router's "fragmentation needed" about a segment of a connection
//! of ours gives the host route to the peer (made `RTF_DYNAMIC` from the
//! network route the segment took) the MTU the router names, or an RFC
//! 1191 plateau below the quoted length when it names none; one about a
//! sequence number we never sent changes nothing; the route goes after
//! `net.inet.ip.mtudisctimeout`.

use netbsd_abi::layout::{ether_header as eh, icmp, ip, tcphdr};
use rump::{Kernel, KernelBuilder};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IfDriver, Ifnet, LinkType};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{ProtoSocket, SOCK_STREAM, Socket};
use rumpnet::wire::ethernet::Address;
use rumpnet_netinet::addr::sockaddr;
use rumpnet_netinet::inet::{IfAddr, Inet, RouteOrigin};
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const RTF_GATEWAY: u32 = netbsd_abi::RTF_GATEWAY as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_DYNAMIC: u32 = netbsd_abi::RTF_DYNAMIC as u32;
/// `IP_DF` (`netinet/ip.h`), in `ip_off`.
const IP_DF: u16 = netbsd_abi::IP_DF as u16;
/// `ETHERTYPE_IP`, `IPPROTO_TCP`, `IPPROTO_ICMP`.
const ETHERTYPE_IP: u16 = netbsd_abi::ETHERTYPE_IP as u16;
const IPPROTO_TCP: u8 = netbsd_abi::IPPROTO_TCP as u8;
const IPPROTO_ICMP: u8 = netbsd_abi::IPPROTO_ICMP as u8;
/// `TCPOPT_MAXSEG`: the option a SYN names its MSS with.
const TCPOPT_MAXSEG: u8 = netbsd_abi::TCPOPT_MAXSEG as u8;
/// What an ICMP error quotes: the IPv4 header and 8 bytes beyond it.
const QUOTE_LEN: usize = ip::SIZE + 8;
/// ICMP's "destination unreachable" and its "fragmentation needed" code.
const ICMP_UNREACH: u8 = netbsd_abi::ICMP_UNREACH as u8;
const ICMP_UNREACH_NEEDFRAG: u8 = netbsd_abi::ICMP_UNREACH_NEEDFRAG as u8;

const OURS: Address = Address([0xb2, 0xa0, 0, 0, 0, 1]);
const ROUTER: Address = Address([0xb2, 0xa0, 0, 0, 0, 2]);
const ME: [u8; 4] = [10, 1, 0, 1];
const GATEWAY: [u8; 4] = [10, 1, 0, 2];
const PEER: [u8; 4] = [10, 2, 0, 5];

/// An Ethernet link that keeps what it is given.
struct Capture(Arc<Mutex<Vec<Vec<u8>>>>);

impl IfDriver for Capture {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }
    fn transmit(&self, frame: Pkt) -> bool {
        self.0.lock().unwrap().push(frame.data().to_vec());
        true
    }
}

struct Rig {
    k: Arc<Kernel>,
    net: Arc<Net>,
    inet: Arc<Inet>,
    ifp: Arc<Ifnet>,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// A kernel on 10.1.0.1/24 whose way to 10.2.0.0/24 is the router
/// 10.1.0.2, with the router's link address known.
fn rig() -> Rig {
    let k = KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot");
    let (net, inet) = (Net::of(&k), Inet::of(&k));
    let sent = Arc::new(Mutex::new(Vec::new()));
    let ifp = net
        .attach(
            "eth0",
            IfConfig {
                driver: Box::new(Capture(Arc::clone(&sent))),
                hwaddr: OURS,
                flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
                mtu: 1500,
            },
        )
        .expect("attach");
    inet.cfg.dad_count.store(0, Relaxed);
    let a = u32::from_be_bytes(ME);
    let mask = u32::MAX << 8;
    inet.add_address(
        &net,
        &ifp,
        IfAddr {
            ifindex: ifp.index,
            addr: a,
            mask,
            bcast: a | !mask,
        },
    )
    .expect("address");
    inet.add_route(
        u32::from_be_bytes([10, 2, 0, 0]),
        mask,
        u32::from_be_bytes(GATEWAY),
        RTF_GATEWAY,
    )
    .expect("route");
    inet.arp_set(u32::from_be_bytes(GATEWAY), ROUTER, None)
        .expect("arp");
    Rig {
        k,
        net,
        inet,
        ifp,
        sent,
    }
}

impl Rig {
    /// Start a connection to `PEER:port`; the IPv4 datagram of its SYN.
    fn connect(&self, port: u16) -> (Arc<Socket>, Vec<u8>) {
        self.sent.lock().unwrap().clear();
        let d = self.net.domain(2).expect("AF_INET");
        let p: Arc<dyn ProtoSocket> = self
            .k
            .with_ctx(|ctx| d.socket(ctx, SOCK_STREAM, 0))
            .expect("socket");
        let s = Arc::new(Socket::new(p, true, false));
        let r = self
            .k
            .with_ctx(|ctx| s.connect(ctx, &sockaddr(u32::from_be_bytes(PEER), port)));
        assert_eq!(r, Err(rump::Errno::EINPROGRESS));
        let frames = self.sent.lock().unwrap().clone();
        let syn = frames
            .iter()
            .find(|f| {
                f[eh::ether_type.range()] == ETHERTYPE_IP.to_be_bytes()
                    && f[eh::SIZE + ip::ip_p.offset] == IPPROTO_TCP
            })
            .unwrap_or_else(|| panic!("no SYN in {frames:?}"));
        (s, syn[eh::SIZE..].to_vec())
    }

    /// The router says `datagram` (its first 28 bytes quoted) needs
    /// fragments beyond a hop of `mtu`; `seq_delta` moves the quoted
    /// sequence number.
    fn needfrag(&self, datagram: &[u8], mtu: u16, seq_delta: u32) {
        let mut quote = datagram[..QUOTE_LEN].to_vec();
        let seq_at = ip::SIZE + tcphdr::th_seq.offset;
        let seq_range = seq_at..seq_at + tcphdr::th_seq.size;
        let seq = u32::from_be_bytes(quote[seq_range.clone()].try_into().unwrap());
        quote[seq_range].copy_from_slice(&seq.wrapping_add(seq_delta).to_be_bytes());
        let mut msg = vec![0u8; icmp::icmp_dun.offset];
        msg[icmp::icmp_type.offset] = ICMP_UNREACH;
        msg[icmp::icmp_code.offset] = ICMP_UNREACH_NEEDFRAG;
        msg[icmp::icmp_hun__ih_pmtu__ipm_nextmtu.range()].copy_from_slice(&mtu.to_be_bytes());
        msg.extend_from_slice(&quote);
        let c = checksum(&msg);
        msg[icmp::icmp_cksum.range()].copy_from_slice(&c.to_be_bytes());
        let mut hdr = vec![0u8; ip::SIZE];
        hdr[0] = 0x45; // version 4, five words of header
        hdr[ip::ip_len.range()].copy_from_slice(&((ip::SIZE + msg.len()) as u16).to_be_bytes());
        hdr[ip::ip_ttl.offset] = 64;
        hdr[ip::ip_p.offset] = IPPROTO_ICMP;
        hdr[ip::ip_src.range()].copy_from_slice(&GATEWAY);
        hdr[ip::ip_dst.range()].copy_from_slice(&ME);
        let c = checksum(&hdr);
        hdr[ip::ip_sum.range()].copy_from_slice(&c.to_be_bytes());
        let mut frame = vec![0u8; eh::SIZE];
        frame[eh::ether_dhost.range()].copy_from_slice(&OURS.0);
        frame[eh::ether_shost.range()].copy_from_slice(&ROUTER.0);
        frame[eh::ether_type.range()].copy_from_slice(&ETHERTYPE_IP.to_be_bytes());
        frame.extend_from_slice(&hdr);
        frame.extend_from_slice(&msg);
        self.net.input(&self.ifp, Pkt::with_payload(&frame));
    }

    /// The host route to `PEER`: its flags, gateway and MTU.
    fn host_route(&self) -> Option<(u32, Option<u32>, u32, RouteOrigin)> {
        let peer = u32::from_be_bytes(PEER);
        self.inet
            .routes()
            .into_iter()
            .find(|r| r.dst == peer && r.mask == u32::MAX)
            .map(|r| (r.flags, r.gateway, r.mtu, r.origin))
    }
}

/// A datagram's `ip_off`: its flags and fragment offset.
fn ip_off(datagram: &[u8]) -> u16 {
    u16::from_be_bytes(datagram[ip::ip_off.range()].try_into().unwrap())
}

/// The Internet checksum (RFC 1071).
fn checksum(b: &[u8]) -> u16 {
    let mut sum: u32 = b
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

#[test]
fn fragmentation_needed_gives_the_peers_host_route_the_next_hop_mtu() {
    let r = rig();
    let (_s, syn) = r.connect(80);
    assert_eq!(ip_off(&syn) & IP_DF, IP_DF, "TCP sends with DF");
    // A sequence number this connection never sent: not ours to believe.
    r.needfrag(&syn, 1200, 1000);
    assert_eq!(r.host_route(), None);
    r.needfrag(&syn, 1200, 0);
    let flags = r.host_route().map(|h| h.0).unwrap_or(0);
    assert_eq!(
        flags & (RTF_HOST | RTF_GATEWAY | RTF_DYNAMIC),
        RTF_HOST | RTF_GATEWAY | RTF_DYNAMIC
    );
    assert_eq!(
        r.host_route().map(|h| (h.1, h.2, h.3)),
        Some((
            Some(u32::from_be_bytes(GATEWAY)),
            1200,
            RouteOrigin::Dynamic
        ))
    );
    assert_eq!(r.inet.path_mtu(&r.ifp, u32::from_be_bytes(PEER)), 1200);
    // Never up, and nothing below 296.
    r.needfrag(&syn, 1400, 0);
    r.needfrag(&syn, 200, 0);
    assert_eq!(r.host_route().map(|h| h.2), Some(1200));
    // A router older than RFC 1191 names no MTU: the plateau below the
    // quoted length (1500 less its header, as 4.2BSD routers quote it).
    let mut long = syn.clone();
    long[ip::ip_len.range()].copy_from_slice(&1500u16.to_be_bytes());
    r.needfrag(&long, 0, 0);
    assert_eq!(r.host_route().map(|h| h.2), Some(1006));
    // The next connection announces what fits the route.
    let (_t, syn2) = r.connect(81);
    let opts = ip::SIZE + tcphdr::SIZE;
    let mss_at = opts + 2;
    assert_eq!(
        syn2[opts], TCPOPT_MAXSEG,
        "the SYN's first option is its MSS"
    );
    assert_eq!(
        u16::from_be_bytes([syn2[mss_at], syn2[mss_at + 1]]),
        1006 - 40
    );
}

#[test]
fn the_learnt_route_goes_after_mtudisctimeout_and_mtudisc_off_clears_df() {
    let r = rig();
    r.inet.cfg.mtudisc_timeout.store(1, Relaxed);
    let (_s, syn) = r.connect(80);
    r.needfrag(&syn, 1280, 0);
    assert_eq!(r.host_route().map(|h| h.2), Some(1280));
    let start = Instant::now();
    while r.host_route().is_some() {
        assert!(start.elapsed() < Duration::from_secs(10), "never expired");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(r.inet.path_mtu(&r.ifp, u32::from_be_bytes(PEER)), 1500);
    r.inet.cfg.mtudisc.store(0, Relaxed);
    let (_t, syn) = r.connect(81);
    assert_eq!(ip_off(&syn) & IP_DF, 0, "no DF without path MTU discovery");
}
