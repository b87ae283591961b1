//! The `net.inet` nodes NetBSD's rump kernel has and whose meaning our
//! stack has: NetBSD's defaults and checks, and what each one changes.
//! Also the link-layer domain's sockets, which `ifconfig` opens.

use rump::{Errno, Kernel, KernelBuilder};
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SO_SNDBUF, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, Socket};
use rumpnet_netinet::addr::sockaddr;
use rumpnet_netinet::inet::Inet;
use std::sync::Arc;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot")
}

/// Read (and with `new`, write) an integer node by name.
fn int(k: &Kernel, name: &str, new: Option<i32>) -> Result<i32, Errno> {
    let mib = k.sysctl().name_to_mib(name).expect(name);
    let v = new.map(i32::to_ne_bytes);
    let out = k
        .sys_sysctl(&mib, Some(4), v.as_ref().map(|b| &b[..]))
        .expect("sysctl");
    out.result?;
    Ok(i32::from_ne_bytes(out.old[..4].try_into().expect("int")))
}

fn udp(k: &Kernel) -> Arc<Socket> {
    let d = Net::of(k).domain(2).expect("AF_INET");
    let p: Arc<dyn ProtoSocket> = k
        .with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0))
        .expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn local_port(s: &Socket) -> u16 {
    let sa = s.proto().sockname().expect("sockname");
    u16::from_be_bytes([sa[2], sa[3]])
}

#[test]
fn the_nodes_start_with_netbsds_rump_kernel_defaults() {
    let k = boot();
    // /work/shared/netbsd-abi/allserver/sysctl-a.txt
    for (name, want) in [
        ("net.inet.ip.forwarding", 1),
        ("net.inet.ip.ttl", 64),
        ("net.inet.ip.anonportmin", 49152),
        ("net.inet.ip.anonportmax", 65535),
        ("net.inet.ip.hostzerobroadcast", 0),
        ("net.inet.ip.lowportmin", 600),
        ("net.inet.ip.lowportmax", 1023),
        ("net.inet.ip.maxfragpackets", 200),
        ("net.inet.ip.checkinterface", 0),
        ("net.inet.ip.random_id", 0),
        ("net.inet.icmp.returndatabytes", 8),
        ("net.inet.icmp.bmcastecho", 0),
        ("net.inet.udp.checksum", 1),
        ("net.inet.udp.sendspace", 9216),
        ("net.inet.udp.recvspace", 41600),
        ("net.inet.tcp.sendspace", 32768),
        ("net.inet.tcp.recvspace", 32768),
        ("net.inet.tcp.mssdflt", 536),
        ("net.inet.tcp.keepidle", 14400),
        ("net.inet.tcp.keepintvl", 150),
        ("net.inet.tcp.keepcnt", 8),
        ("net.inet.tcp.slowhz", 2),
        ("net.inet.arp.keep", 1200),
        ("net.inet.arp.down", 20),
    ] {
        assert_eq!(int(&k, name, None), Ok(want), "{name}");
    }
    // NetBSD's numbers for the fixed ones.
    assert_eq!(
        k.sysctl().name_to_mib("net.inet.ip.lowportmin").unwrap(),
        [4, 2, 0, netbsd_abi::IPCTL_LOWPORTMIN]
    );
    assert_eq!(
        k.sysctl().name_to_mib("net.inet.icmp.bmcastecho").unwrap(),
        [4, 2, 1, 8]
    );
}

#[test]
fn port_ranges_are_checked_as_sysctl_net_inet_ip_ports_does() {
    let k = boot();
    let bad = Err(Errno::EINVAL);
    assert_eq!(int(&k, "net.inet.ip.anonportmin", Some(1000)), bad);
    assert_eq!(int(&k, "net.inet.ip.anonportmin", Some(65535)), bad);
    assert_eq!(int(&k, "net.inet.ip.anonportmax", Some(70000)), bad);
    assert_eq!(int(&k, "net.inet.ip.lowportmax", Some(1024)), bad);
    assert_eq!(int(&k, "net.inet.ip.lowportmin", Some(599)), bad);
    assert_eq!(int(&k, "net.inet.ip.lowportmin", Some(1023)), bad);
    assert_eq!(int(&k, "net.inet.ip.lowportmin", Some(700)), Ok(600));
    assert_eq!(int(&k, "net.inet.ip.lowportmax", Some(700)), bad);
    assert_eq!(int(&k, "net.inet.ip.lowportmax", Some(701)), Ok(1023));
    assert_eq!(int(&k, "net.inet.icmp.returndatabytes", Some(7)), bad);
    assert_eq!(int(&k, "net.inet.icmp.returndatabytes", Some(513)), bad);
    assert_eq!(int(&k, "net.inet.udp.sendspace", Some(-1)), bad);
}

#[test]
fn ephemeral_ports_come_from_the_range_the_socket_asked_for() {
    let k = boot();
    int(&k, "net.inet.ip.anonportmin", Some(50000)).unwrap();
    int(&k, "net.inet.ip.anonportmax", Some(50001)).unwrap();
    int(&k, "net.inet.ip.lowportmin", Some(700)).unwrap();
    int(&k, "net.inet.ip.lowportmax", Some(701)).unwrap();
    let any = sockaddr(0, 0);
    let s = udp(&k);
    k.with_ctx(|ctx| s.proto().bind(ctx, &any)).expect("bind");
    assert!((50000..=50001).contains(&local_port(&s)));
    // IP_PORTRANGE_LOW (netinet/in.h): the privileged range.
    let low = udp(&k);
    rumpnet::setsockopt(&low, 0, netbsd_abi::IP_PORTRANGE, &2i32.to_ne_bytes())
        .expect("IP_PORTRANGE");
    k.with_ctx(|ctx| low.proto().bind(ctx, &any)).expect("bind");
    assert!((700..=701).contains(&local_port(&low)));
}

#[test]
fn udp_buffers_and_host_zero_broadcast_follow_their_nodes() {
    let k = boot();
    int(&k, "net.inet.udp.sendspace", Some(20000)).unwrap();
    let s = udp(&k);
    let v = rumpnet::getsockopt(&s, SOL_SOCKET, SO_SNDBUF).expect("SO_SNDBUF");
    assert_eq!(i32::from_ne_bytes(v[..4].try_into().unwrap()), 20000);
    // lo0's 127.0.0.0 is no broadcast address until asked.
    let inet = Inet::of(&k);
    let lo = Net::of(&k).ifunit("lo0").unwrap().index;
    let net = 0x7f00_0000;
    assert!(!inet.is_subnet_broadcast(lo, net));
    int(&k, "net.inet.ip.hostzerobroadcast", Some(1)).unwrap();
    assert!(inet.is_subnet_broadcast(lo, net));
    // Random identifications: not the running count.
    int(&k, "net.inet.ip.random_id", Some(1)).unwrap();
    let ids: Vec<u16> = (0..16).map(|_| inet.next_ident()).collect();
    assert!(
        ids.windows(2).any(|w| w[1] != w[0].wrapping_add(1)),
        "{ids:?}"
    );
}

#[test]
fn a_new_connection_takes_its_keepalive_from_the_nodes() {
    let k = boot();
    let d = Net::of(&k).domain(2).expect("AF_INET");
    let tcp = |k: &Kernel| {
        let p: Arc<dyn ProtoSocket> = k
            .with_ctx(|ctx| d.socket(ctx, SOCK_STREAM, 0))
            .expect("socket");
        Arc::new(Socket::new(p, false, false))
    };
    // TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (netinet/tcp.h), seconds.
    let opt = |s: &Socket, name: i32| {
        let v = rumpnet::getsockopt(s, 6, name).expect("getsockopt");
        i32::from_ne_bytes(v[..4].try_into().unwrap())
    };
    let s = tcp(&k);
    assert_eq!((opt(&s, 3), opt(&s, 5), opt(&s, 6)), (7200, 75, 8));
    int(&k, "net.inet.tcp.keepidle", Some(100)).unwrap();
    int(&k, "net.inet.tcp.keepintvl", Some(20)).unwrap();
    int(&k, "net.inet.tcp.keepcnt", Some(3)).unwrap();
    let s = tcp(&k);
    assert_eq!((opt(&s, 3), opt(&s, 5), opt(&s, 6)), (50, 10, 3));
    assert_eq!(int(&k, "net.inet.tcp.keepcnt", Some(0)), Err(Errno::EINVAL));
    assert!(
        int(&k, "net.inet.tcp.slowhz", Some(3)).is_err(),
        "read-only"
    );
}

#[test]
fn link_sockets_are_datagram_sockets_that_carry_nothing() {
    let k = boot();
    let d = Net::of(&k)
        .domain(netbsd_abi::AF_LINK as u8)
        .expect("AF_LINK");
    let p = k
        .with_ctx(|ctx| d.socket(ctx, SOCK_DGRAM, 0))
        .expect("socket");
    assert_eq!(p.kind(), (netbsd_abi::AF_LINK, SOCK_DGRAM, 0));
    let s = Socket::new(p, true, false);
    assert_eq!(
        k.with_ctx(|ctx| s.send(ctx, b"x", None, 0)),
        Err(Errno::EDESTADDRREQ)
    );
    assert_eq!(s.proto().sockname(), Err(Errno::EOPNOTSUPP));
    let err = |t, p| k.with_ctx(|ctx| d.socket(ctx, t, p)).err();
    assert_eq!(err(SOCK_STREAM, 0), Some(Errno::EPROTOTYPE));
    assert_eq!(err(SOCK_DGRAM, 1), Some(Errno::EPROTONOSUPPORT));
}
