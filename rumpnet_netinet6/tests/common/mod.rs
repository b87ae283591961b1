//! One kernel with IPv6 on a manual clock, with Ethernet links whose
//! frames the tests write and read: what the fragment and forwarding
//! tests share.
#![allow(dead_code)]

use rump::clock::ManualClock;
use rump::{Kernel, KernelBuilder};
use rumpnet::ifnet::{
    IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IFF_UP, IfDriver, Ifnet, LinkType,
};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address, ethertype};
use rumpnet_netinet6::inet6::{IfAddr6, Inet6};
use rumpnet_netinet6::wire::icmpv6::kind;
use rumpnet_netinet6::wire::ipv6::{self, nh};
use rumpnet_netinet6::wire::nd;
use std::net::Ipv6Addr;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::{Arc, Mutex};

/// The frames the kernel sent on a link.
#[derive(Default)]
pub struct Wire(Mutex<Vec<Vec<u8>>>);

struct Capture(Arc<Wire>);

impl IfDriver for Capture {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }
    fn transmit(&self, frame: Pkt) -> bool {
        self.0.0.lock().unwrap().push(frame.data().to_vec());
        true
    }
}

/// The Ethernet address of the other end of every link.
pub const PEER_MAC: [u8; 6] = [2, 0, 0, 0, 0, 0x99];
/// An Ethernet header's size.
pub const ETHER_HEADER: usize = 14;

/// One of the kernel's links.
pub struct Link {
    /// The interface.
    pub ifp: Arc<Ifnet>,
    /// What it sent.
    pub wire: Arc<Wire>,
    /// Our address on it (a /64).
    pub ours: Ipv6Addr,
}

/// The kernel and its links.
pub struct Rig {
    pub k: Arc<Kernel>,
    pub clock: Arc<ManualClock>,
    pub net: Arc<Net>,
    pub inet: Arc<Inet6>,
    pub links: Vec<Link>,
}

/// A kernel with one Ethernet link per address in `ours` (each a /64,
/// DAD off so that they are usable at once).
pub fn rig(ours: &[&str]) -> Rig {
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
    let links = ours
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let wire = Arc::new(Wire::default());
            let ifp = net
                .attach(
                    &format!("tl{i}"),
                    IfConfig {
                        driver: Box::new(Capture(Arc::clone(&wire))),
                        hwaddr: Address([2, 0, 0, 0, 0, i as u8 + 1]),
                        flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
                        mtu: 1500,
                    },
                )
                .expect("attach");
            net.set_flags(&ifp, ifp.flags() | IFF_UP).expect("up");
            let ours: Ipv6Addr = a.parse().expect("address");
            inet.add_address(
                &ifp,
                IfAddr6 {
                    ifindex: ifp.index,
                    addr: ours,
                    prefixlen: 64,
                    flags: 0,
                },
            )
            .expect("add address");
            Link { ifp, wire, ours }
        })
        .collect();
    Rig {
        k,
        clock,
        net,
        inet,
        links,
    }
}

impl Rig {
    /// Put an IPv6 packet on link `l`, to our Ethernet address there.
    pub fn put(&self, l: usize, pkt: &[u8]) {
        let ifp = &self.links[l].ifp;
        let mut f = ifp.hwaddr.0.to_vec();
        f.extend_from_slice(&PEER_MAC);
        f.extend_from_slice(&ethertype::IPV6.to_be_bytes());
        f.extend_from_slice(pkt);
        self.net.input(ifp, Pkt::from_vec(f));
    }

    /// The frames sent on link `l` so far, taken.
    pub fn frames(&self, l: usize) -> Vec<Vec<u8>> {
        std::mem::take(&mut *self.links[l].wire.0.lock().unwrap())
    }

    /// The IPv6 packets sent on link `l` so far, taken.
    pub fn sent(&self, l: usize) -> Vec<Vec<u8>> {
        self.frames(l)
            .into_iter()
            .map(|f| f[ETHER_HEADER..].to_vec())
            .collect()
    }

    /// `peer` on link `l` solicits us with its link-layer address
    /// ([`PEER_MAC`]), which our neighbour cache learns, so that what we
    /// send it can go at once.
    pub fn introduce(&self, l: usize, peer: &Ipv6Addr) {
        let ours = self.links[l].ours;
        let mut ns = nd::build(
            kind::NEIGHBOR_SOLICIT,
            0,
            &ours,
            Some((nd::opt::SOURCE_LLADDR, PEER_MAC)),
        );
        let c = ipv6::upper_checksum(peer, &ours, nh::ICMPV6, &ns);
        ns[2..4].copy_from_slice(&c.to_be_bytes());
        self.put(l, &packet(peer, &ours, nh::ICMPV6, 255, &ns));
        self.sent(l);
    }
}

/// An IPv6 packet.
pub fn packet(src: &Ipv6Addr, dst: &Ipv6Addr, next: u8, hlim: u8, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0u8; ipv6::HEADER_LEN];
    ipv6::Repr {
        src: *src,
        dst: *dst,
        next_header: next,
        hop_limit: hlim,
        payload_len: payload.len() as u16,
    }
    .emit(&mut p);
    p.extend_from_slice(payload);
    p
}
