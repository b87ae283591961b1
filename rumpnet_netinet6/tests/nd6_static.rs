//! Neighbour entries added by hand (`ndp -s`, `lla_rt_output`): what is
//! sent to the address goes at once to the link address given, whatever
//! the neighbour says in its own solicitations; one added already or an
//! address of ours is EEXIST; deleted, the address is solicited again;
//! the interface going takes its entries along.

mod common;

use rump::Errno;
use rumpnet_netinet6::addr::ScopedAddr;
use rumpnet_netinet6::inet6::OutOpts;
use rumpnet_netinet6::nd6_static::StaticNeighbor;
use rumpnet_netinet6::wire::ipv6::nh;
use std::net::Ipv6Addr;

const MAC: [u8; 6] = [0, 0x11, 0x22, 0x33, 0x44, 0x55];

#[test]
fn an_entry_added_by_hand_is_used_kept_and_deleted() {
    let r = common::rig(&["2001:db8:1::1"]);
    let ifindex = r.links[0].ifp.index;
    let peer: Ipv6Addr = "2001:db8:1::5".parse().unwrap();
    let entry = |addr: Ipv6Addr| StaticNeighbor {
        ifindex,
        addr,
        lladdr: MAC,
        expire: None,
        published: false,
    };
    r.inet.add_static_neighbor(entry(peer)).unwrap();
    let send = || {
        let dst = ScopedAddr {
            addr: peer,
            scope: 0,
        };
        r.inet
            .output(nh::NONE, None, &dst, &[1, 2, 3], &OutOpts::default())
            .unwrap();
        r.frames(0)
    };
    // What the interface sent as it came up (MLD reports of its groups).
    let _ = r.frames(0);
    let frames = send();
    assert_eq!(frames.len(), 1, "no solicitation first");
    assert_eq!(&frames[0][..6], &MAC);
    // The neighbour's own solicitation (another link address) does not
    // change where its packets go.
    r.introduce(0, &peer);
    assert_eq!(&send()[0][..6], &MAC);
    assert_eq!(r.inet.add_static_neighbor(entry(peer)), Err(Errno::EEXIST));
    assert_eq!(
        r.inet
            .add_static_neighbor(entry("2001:db8:1::1".parse().unwrap())),
        Err(Errno::EEXIST)
    );
    assert!(r.inet.delete_static_neighbor(ifindex, &peer));
    assert!(!r.inet.delete_static_neighbor(ifindex, &peer));
    // One entry for an address, as NetBSD keeps it: deleted, the
    // address is solicited again (to its solicited-node group).
    let frames = send();
    assert_eq!(frames.len(), 1);
    assert_eq!(&frames[0][..2], &[0x33, 0x33]);
    r.inet.add_static_neighbor(entry(peer)).unwrap();
    r.inet.if_detach(ifindex);
    assert!(r.inet.static_neighbors().is_empty());
}
