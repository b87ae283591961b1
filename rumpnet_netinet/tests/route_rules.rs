//! The routes an address brings, by NetBSD's rules (`in_ifinit`,
//! `in_addprefix`, `rt_ifa_addlocal`, `in_scrubprefix`, `in_ifremlocal`):
//! a local host route through lo0 for every address, a prefix route for a
//! broadcast link's subnet, none for lo0's own prefix.

use rump::{Errno, Kernel, KernelBuilder};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IfDriver, Ifnet, LinkType};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::Address;
use rumpnet_netinet::inet::{IfAddr, Inet, Route, RouteOrigin};
use std::sync::Arc;

const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
const RTF_LOCAL: u32 = netbsd_abi::RTF_LOCAL as u32;
const RTF_LLDATA: u32 = rumpnet::rtsysctl::RTF_LLDATA;

/// An Ethernet link that goes nowhere.
struct Nowhere;

impl IfDriver for Nowhere {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }
    fn transmit(&self, _frame: Pkt) -> bool {
        true
    }
}

fn boot() -> (Arc<Kernel>, Arc<Net>, Arc<Inet>) {
    let k = KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot");
    let (net, inet) = (Net::of(&k), Inet::of(&k));
    (k, net, inet)
}

fn ether(net: &Net) -> Arc<Ifnet> {
    net.attach(
        "eth0",
        IfConfig {
            driver: Box::new(Nowhere),
            hwaddr: Address([0xb2, 0xa0, 1, 2, 3, 4]),
            flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
            mtu: 1500,
        },
    )
    .expect("attach")
}

fn addr(ifp: &Ifnet, a: [u8; 4], prefix: u32) -> IfAddr {
    let mask = u32::MAX << (32 - prefix);
    let a = u32::from_be_bytes(a);
    IfAddr {
        ifindex: ifp.index,
        addr: a,
        mask,
        bcast: a | !mask,
    }
}

fn route(inet: &Inet, dst: [u8; 4], mask: u32) -> Option<Route> {
    let dst = u32::from_be_bytes(dst);
    inet.routes()
        .into_iter()
        .find(|r| r.dst == dst && r.mask == mask)
}

#[test]
fn lo0_has_a_local_route_for_its_address_and_no_prefix_route() {
    let (_k, net, inet) = boot();
    let lo = net.ifunit("lo0").expect("lo0");
    assert_eq!(inet.routes().len(), 1, "{:?}", inet.routes());
    let r = route(&inet, [127, 0, 0, 1], u32::MAX).expect("127.0.0.1");
    assert_eq!(r.flags, RTF_UP | RTF_HOST | RTF_LOCAL);
    assert_eq!((r.ifindex, r.origin), (lo.index, RouteOrigin::Local));
    assert_eq!(r.mtu, lo.mtu(), "lortrequest gives lo0's MTU");
    // Other loopback addresses have no route, as on NetBSD.
    assert!(inet.lookup(u32::from_be_bytes([127, 0, 0, 2])).is_none());
    // An alias on lo0 brings its own local route and goes with it.
    let alias = addr(&lo, [127, 0, 0, 2], 8);
    inet.add_address(&net, &lo, IfAddr { bcast: 0, ..alias })
        .unwrap();
    assert!(route(&inet, [127, 0, 0, 2], u32::MAX).is_some());
    assert_eq!(inet.routes().len(), 2);
    inet.remove_address(lo.index, alias.addr).unwrap();
    assert_eq!(inet.routes().len(), 1);
}

#[test]
fn an_ethernet_address_has_its_subnet_on_the_link_and_itself_through_lo0() {
    let (_k, net, inet) = boot();
    let lo = net.ifunit("lo0").expect("lo0");
    let eth = ether(&net);
    let a = addr(&eth, [10, 0, 0, 1], 24);
    inet.add_address(&net, &eth, a.clone()).unwrap();
    let local = route(&inet, [10, 0, 0, 1], u32::MAX).expect("local route");
    assert_eq!(local.flags, RTF_UP | RTF_HOST | RTF_LOCAL | RTF_LLDATA);
    assert_eq!(local.ifindex, lo.index, "through lo0");
    assert_eq!(local.link_gateway, Some(eth.index), "gateway link#2");
    assert_eq!(local.mtu, 0, "arp_rtrequest leaves the MTU unset");
    let prefix = route(&inet, [10, 0, 0, 0], 0xffff_ff00).expect("prefix route");
    assert_eq!(prefix.ifindex, eth.index);
    assert_eq!(prefix.flags, RTF_UP | netbsd_abi::RTF_CONNECTED as u32);
    // arp_rtrequest stamps a connected route with the time it was made
    // (route get shows its age); a local route has no expiry.
    let wall = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((wall - 5..=wall + 1).contains(&prefix.expire), "{prefix:?}");
    assert_eq!(local.expire, 0);
    // Packets to the address itself are delivered through lo0.
    let (out, hop) = inet
        .route_to(&net, a.addr, &inet.default_opts())
        .expect("a route to ourselves");
    assert_eq!((out.index, hop), (lo.index, a.addr));
    // A second address on the subnet adds its local route only; when the
    // first goes, the second takes the prefix route over.
    let b = addr(&eth, [10, 0, 0, 2], 24);
    inet.add_address(&net, &eth, b.clone()).unwrap();
    assert_eq!(inet.routes().len(), 4, "{:?}", inet.routes());
    inet.remove_address(eth.index, a.addr).unwrap();
    assert!(route(&inet, [10, 0, 0, 1], u32::MAX).is_none());
    let prefix = route(&inet, [10, 0, 0, 0], 0xffff_ff00).expect("kept");
    assert_eq!(prefix.ifa, Some(b.addr));
    // The last address takes the prefix route with it; so does the
    // interface's going.
    inet.remove_address(eth.index, b.addr).unwrap();
    assert_eq!(inet.routes().len(), 1, "{:?}", inet.routes());
    inet.add_address(&net, &eth, a.clone()).unwrap();
    net.clone_destroy("eth0").ok();
    inet.detach_interface(&eth);
    assert_eq!(inet.routes().len(), 1, "{:?}", inet.routes());
}

#[test]
fn a_route_to_an_address_that_has_a_local_route_exists_already() {
    let (_k, net, inet) = boot();
    let eth = ether(&net);
    inet.add_address(&net, &eth, addr(&eth, [10, 0, 0, 1], 24))
        .unwrap();
    let host = u32::from_be_bytes([10, 0, 0, 1]);
    let gw = u32::from_be_bytes([10, 0, 0, 9]);
    assert_eq!(
        inet.add_route(host, u32::MAX, gw, netbsd_abi::RTF_GATEWAY as u32)
            .err(),
        Some(Errno::EEXIST)
    );
    // A static route through lo0 carries lo0's MTU.
    let r = inet
        .add_route(
            u32::from_be_bytes([192, 168, 6, 1]),
            u32::MAX,
            u32::from_be_bytes([127, 0, 0, 1]),
            0,
        )
        .unwrap();
    assert_eq!(r.mtu, net.ifunit("lo0").unwrap().mtu());
}
