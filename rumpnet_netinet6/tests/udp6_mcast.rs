//! UDP over IPv6 and multicast (NetBSD's `ip6_setmoptions`,
//! `udp6_output` with `ip6_setpktopts`), on one kernel with a captured
//! Ethernet link: a UDP socket joins a group (an MLD report goes out),
//! hears datagrams sent to it until it leaves (a done), sends to groups
//! with the multicast options, and `sendmsg`'s `IPV6_PKTINFO`,
//! `IPV6_HOPLIMIT` and `IPV6_TCLASS` choose the source, hop limit and
//! traffic class.

mod common;

use common::{Rig, rig};
use netbsd_abi as abi;
use rump::Errno;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, Socket};
use rumpnet_netinet::addr::{PcbAddr, sockaddr6};
use rumpnet_netinet::pcb::cmsg;
use rumpnet_netinet6::inet6::IfAddr6;
use rumpnet_netinet6::wire::ipv6::{self, Packet, nh};
use rumpnet_netinet6::wire::mld::{self, MldMsg};
use std::net::Ipv6Addr;
use std::sync::Arc;

const V6: i32 = abi::IPPROTO_IPV6;

fn a(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn udp(r: &Rig) -> Arc<Socket> {
    let d = r.net.domain(abi::AF_INET6 as u8).expect("AF_INET6");
    let p: Arc<dyn ProtoSocket> =
        r.k.with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0))
            .expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn bind(r: &Rig, s: &Socket, port: u16) {
    let sa = sockaddr6(&PcbAddr::UNSPECIFIED, port);
    r.k.with_ctx(|ctx| s.proto().bind(ctx, &sa)).expect("bind");
}

fn int(v: i32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn mreq(g: &Ipv6Addr, ifindex: u32) -> Vec<u8> {
    let mut v = g.octets().to_vec();
    v.extend_from_slice(&ifindex.to_le_bytes());
    v
}

fn pktinfo(src: &Ipv6Addr, ifindex: u32) -> Vec<u8> {
    let mut v = src.octets().to_vec();
    v.extend_from_slice(&ifindex.to_le_bytes());
    v
}

/// A UDP datagram from `src:sport` to `dst:dport` in an IPv6 packet with
/// hop limit `hlim`.
fn datagram(src: &Ipv6Addr, dst: &Ipv6Addr, ports: (u16, u16), hlim: u8, data: &[u8]) -> Vec<u8> {
    let mut u = Vec::new();
    u.extend_from_slice(&ports.0.to_be_bytes());
    u.extend_from_slice(&ports.1.to_be_bytes());
    u.extend_from_slice(&((8 + data.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(data);
    let c = ipv6::upper_checksum(src, dst, nh::UDP, &u);
    u[6..8].copy_from_slice(&c.to_be_bytes());
    common::packet(src, dst, nh::UDP, hlim, &u)
}

/// The MLD messages (type, group) among the packets sent on link 0.
fn mld_sent(r: &Rig) -> Vec<(u8, Ipv6Addr)> {
    r.sent(0)
        .into_iter()
        .filter_map(|p| {
            let x = Packet::new_checked(&p[..]).ok()?;
            if x.next_header() != nh::HOPOPTS {
                return None;
            }
            let m = MldMsg::new_checked(&x.payload()[8..]).ok()?;
            Some((m.kind(), m.group()))
        })
        .collect()
}

/// The UDP packets sent on link 0.
fn udp_sent(r: &Rig) -> Vec<Vec<u8>> {
    r.sent(0)
        .into_iter()
        .filter(|p| Packet::new_checked(&p[..]).is_ok_and(|x| x.next_header() == nh::UDP))
        .collect()
}

fn recv(s: &Socket) -> Result<(Vec<u8>, Vec<u8>), Errno> {
    let mut buf = [0u8; 64];
    let r = s.proto().recv(&mut buf, 0)?;
    Ok((buf[..r.len].to_vec(), r.control))
}

#[test]
fn a_udp_socket_joins_hears_the_group_and_leaves() {
    let r = rig(&["2001:db8::1"]);
    let idx = u32::from(r.links[0].ifp.index);
    r.sent(0);
    let g = a("ff12::1234");
    let peer = a("fe80::99");
    let s = udp(&r);
    bind(&r, &s, 5000);
    s.proto()
        .setopt(V6, abi::IPV6_RECVHOPLIMIT, &int(1))
        .expect("IPV6_RECVHOPLIMIT");
    // Not joined: the interface does not listen to the group.
    r.put(0, &datagram(&peer, &g, (7000, 5000), 1, b"early"));
    assert_eq!(recv(&s).unwrap_err(), Errno::EAGAIN);

    s.proto()
        .setopt(V6, abi::IPV6_JOIN_GROUP, &mreq(&g, idx))
        .expect("join");
    assert_eq!(mld_sent(&r), vec![(mld::kind::REPORT, g)]);
    assert_eq!(
        s.proto().setopt(V6, abi::IPV6_JOIN_GROUP, &mreq(&g, idx)),
        Err(Errno::EADDRINUSE)
    );
    r.put(0, &datagram(&peer, &g, (7000, 5000), 1, b"to the group"));
    let (data, control) = recv(&s).expect("datagram to the group");
    assert_eq!(data, b"to the group");
    // IPV6_HOPLIMIT: the hop limit it came with, 1.
    assert_eq!(control, cmsg(V6, abi::IPV6_HOPLIMIT, &int(1)));

    // Interface 0 names no zone for a link-scoped group (as NetBSD).
    assert_eq!(
        s.proto().setopt(V6, abi::IPV6_LEAVE_GROUP, &mreq(&g, 0)),
        Err(Errno::EADDRNOTAVAIL)
    );
    s.proto()
        .setopt(V6, abi::IPV6_LEAVE_GROUP, &mreq(&g, idx))
        .expect("leave");
    assert_eq!(mld_sent(&r), vec![(mld::kind::DONE, g)]);
    assert_eq!(
        s.proto().setopt(V6, abi::IPV6_LEAVE_GROUP, &mreq(&g, idx)),
        Err(Errno::EADDRNOTAVAIL)
    );
    r.put(0, &datagram(&peer, &g, (7000, 5000), 1, b"after"));
    assert_eq!(recv(&s).unwrap_err(), Errno::EAGAIN);

    // Groups are left on close.
    s.proto()
        .setopt(V6, abi::IPV6_JOIN_GROUP, &mreq(&g, idx))
        .expect("join again");
    assert_eq!(mld_sent(&r), vec![(mld::kind::REPORT, g)]);
    s.proto().close();
    assert_eq!(mld_sent(&r), vec![(mld::kind::DONE, g)]);
    assert!(r.inet.memberships().iter().all(|m| m.group != g));
}

#[test]
fn sending_to_a_group_follows_the_multicast_options() {
    let r = rig(&["2001:db8::1"]);
    let idx = r.links[0].ifp.index;
    let g = a("ff12::1234");
    let s = udp(&r);
    bind(&r, &s, 6000);
    assert_eq!(s.proto().getopt(V6, abi::IPV6_MULTICAST_HOPS), Ok(int(1)));
    assert_eq!(s.proto().getopt(V6, abi::IPV6_MULTICAST_LOOP), Ok(int(1)));
    assert_eq!(
        s.proto().setopt(V6, abi::IPV6_MULTICAST_IF, &int(99)),
        Err(Errno::ENXIO)
    );
    s.proto()
        .setopt(V6, abi::IPV6_MULTICAST_IF, &int(i32::from(idx)))
        .expect("IPV6_MULTICAST_IF");
    s.proto()
        .setopt(V6, abi::IPV6_JOIN_GROUP, &mreq(&g, u32::from(idx)))
        .expect("join");
    r.sent(0);
    let to = sockaddr6(&PcbAddr(g.octets()), 6000);
    r.k.with_ctx(|ctx| s.send(ctx, b"one", Some(&to), 0))
        .expect("send to the group");
    let sent = udp_sent(&r);
    assert_eq!(sent.len(), 1);
    let p = Packet::new_checked(&sent[0][..]).unwrap();
    // ip6_defmcasthlim, from the interface's link-local address.
    assert_eq!(p.hop_limit(), 1);
    assert!(p.src().is_unicast_link_local());
    assert_eq!(p.dst(), g);
    // IPV6_MULTICAST_LOOP (on): we are in the group, so we hear it too.
    assert_eq!(recv(&s).expect("looped back").0, b"one");

    s.proto()
        .setopt(V6, abi::IPV6_MULTICAST_HOPS, &int(5))
        .expect("IPV6_MULTICAST_HOPS");
    s.proto()
        .setopt(V6, abi::IPV6_MULTICAST_LOOP, &int(0))
        .expect("IPV6_MULTICAST_LOOP");
    r.k.with_ctx(|ctx| s.send(ctx, b"two", Some(&to), 0))
        .expect("send");
    let sent = udp_sent(&r);
    assert_eq!(Packet::new_checked(&sent[0][..]).unwrap().hop_limit(), 5);
    assert_eq!(recv(&s).unwrap_err(), Errno::EAGAIN);
}

#[test]
fn sendmsg_control_messages_choose_source_hop_limit_and_class() {
    let r = rig(&["2001:db8::1"]);
    let ifp = r.links[0].ifp.clone();
    let idx = u32::from(ifp.index);
    let second = a("2001:db8::2");
    r.inet
        .add_address(
            &ifp,
            IfAddr6 {
                ifindex: ifp.index,
                addr: second,
                prefixlen: 64,
                flags: 0,
            },
        )
        .expect("second address");
    let peer = a("2001:db8::99");
    r.introduce(0, &peer);
    let s = udp(&r);
    let to = sockaddr6(&PcbAddr(peer.octets()), 7000);
    let mut c = cmsg(V6, abi::IPV6_PKTINFO, &pktinfo(&second, 0));
    c.extend(cmsg(V6, abi::IPV6_HOPLIMIT, &int(7)));
    c.extend(cmsg(V6, abi::IPV6_TCLASS, &int(0x2e)));
    r.k.with_ctx(|ctx| s.send_msg(ctx, b"hi", Some(&to), 0, &c))
        .expect("sendmsg");
    let sent = udp_sent(&r);
    assert_eq!(sent.len(), 1);
    let p = Packet::new_checked(&sent[0][..]).unwrap();
    assert_eq!(p.src(), second);
    assert_eq!(p.hop_limit(), 7);
    assert_eq!(p.traffic_class(), 0x2e);
    // The UDP checksum is over the source chosen.
    assert_eq!(
        ipv6::upper_checksum(&p.src(), &p.dst(), nh::UDP, p.payload()),
        0
    );

    let send = |c: &[u8]| r.k.with_ctx(|ctx| s.send_msg(ctx, b"x", Some(&to), 0, c));
    let not_ours = cmsg(V6, abi::IPV6_PKTINFO, &pktinfo(&a("2001:db8::77"), 0));
    assert_eq!(send(&not_ours), Err(Errno::EADDRNOTAVAIL));
    let no_if = cmsg(V6, abi::IPV6_PKTINFO, &pktinfo(&second, 99));
    assert_eq!(send(&no_if), Err(Errno::ENXIO));
    let short = cmsg(V6, abi::IPV6_PKTINFO, &second.octets());
    assert_eq!(send(&short), Err(Errno::EINVAL));
    assert_eq!(
        send(&cmsg(V6, abi::IPV6_HOPLIMIT, &int(256))),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        send(&cmsg(V6, abi::IPV6_TCLASS, &int(-2))),
        Err(Errno::EINVAL)
    );
    let mut past_end = cmsg(V6, abi::IPV6_HOPLIMIT, &int(1));
    past_end[0] = 64;
    assert_eq!(send(&past_end), Err(Errno::EINVAL));
    assert!(udp_sent(&r).is_empty(), "nothing went out for the bad ones");
    // The interface named with the source: fine, on link 0.
    let both = cmsg(V6, abi::IPV6_PKTINFO, &pktinfo(&second, idx));
    send(&both).expect("pktinfo with interface");
    assert_eq!(udp_sent(&r).len(), 1);
}
