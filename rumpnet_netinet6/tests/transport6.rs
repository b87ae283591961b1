//! TCP and UDP sockets of the IPv6 family in one kernel, over lo0's ::1
//! and fe80::1: the one TCP and one UDP that IPv4 uses, with
//! `sockaddr_in6` names, `IPV6_V6ONLY` both ways and the IPv6 options.

use netbsd_abi::{self as abi, layout::sockaddr_in6 as sin6};
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_STREAM, Socket};
use rumpnet_netinet::addr::{PcbAddr, parse_sockaddr6, sockaddr, sockaddr6};
use std::net::Ipv6Addr;
use std::sync::Arc;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig {
            ncpu: 2,
            ..BootConfig::default()
        })
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .component(&rumpnet_netinet6::COMPONENT)
        .boot()
        .expect("boot")
}

fn socket(k: &Kernel, family: i32, typ: i32) -> Arc<Socket> {
    let d = Net::of(k).domain(family as u8).expect("domain");
    let p: Arc<dyn ProtoSocket> = k.with_ctx(|ctx| d.socket(ctx, typ, 0)).expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn v6(s: &str) -> PcbAddr {
    PcbAddr(s.parse::<Ipv6Addr>().expect("address").octets())
}

/// `sockaddr_in6` for `a` with `port` and scope id `scope`.
fn sa6(a: &str, port: u16, scope: u32) -> Vec<u8> {
    let mut s = sockaddr6(&v6(a), port);
    let o = sin6::sin6_scope_id.offset;
    s[o..o + 4].copy_from_slice(&scope.to_le_bytes());
    s
}

fn int(v: i32) -> Vec<u8> {
    v.to_le_bytes().to_vec()
}

fn setopt(s: &Socket, name: i32, v: i32) -> Result<(), Errno> {
    s.proto().setopt(abi::IPPROTO_IPV6, name, &int(v))
}

fn getopt(s: &Socket, name: i32) -> i32 {
    let v = s
        .proto()
        .getopt(abi::IPPROTO_IPV6, name)
        .expect("getsockopt");
    i32::from_le_bytes(v[..4].try_into().expect("int"))
}

fn listen6(k: &Kernel, sa: &[u8]) -> Arc<Socket> {
    let l = socket(k, abi::AF_INET6, SOCK_STREAM);
    k.with_ctx(|ctx| l.proto().bind(ctx, sa)).expect("bind");
    l.proto().listen(5).expect("listen");
    l
}

/// Connect to `to` (from a socket of the IPv6 family with `IPV6_V6ONLY`
/// off when `family` is `AF_INET6` and `mapped`), send `msg`, and return
/// the accepted socket's peer name and what it read.
fn exchange(
    k: &Arc<Kernel>,
    l: &Socket,
    (family, mapped): (i32, bool),
    to: Vec<u8>,
    msg: &[u8],
) -> (Vec<u8>, Vec<u8>) {
    let k2 = Arc::clone(k);
    let msg2 = msg.to_vec();
    let client = std::thread::spawn(move || {
        let c = socket(&k2, family, SOCK_STREAM);
        if mapped {
            setopt(&c, abi::IPV6_V6ONLY, 0).expect("v6only off");
        }
        k2.with_ctx(|ctx| c.connect(ctx, &to)).expect("connect");
        k2.with_ctx(|ctx| c.send(ctx, &msg2, None, 0))
            .expect("send");
        let mut buf = [0u8; 8];
        let r = k2.with_ctx(|ctx| c.recv(ctx, &mut buf, 0)).expect("reply");
        assert_eq!(&buf[..r.len], b"ok");
        c.proto().close();
    });
    let a = k.with_ctx(|ctx| l.accept(ctx)).expect("accept");
    let a = Socket::new(a, false, false);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while got.len() < msg.len() {
        let r = k.with_ctx(|ctx| a.recv(ctx, &mut buf, 0)).expect("recv");
        assert!(r.len > 0, "early end of stream");
        got.extend_from_slice(&buf[..r.len]);
    }
    k.with_ctx(|ctx| a.send(ctx, b"ok", None, 0))
        .expect("reply");
    client.join().expect("client");
    let peer = a.proto().peername().expect("getpeername");
    a.proto().close();
    (peer, got)
}

#[test]
fn tcp_over_ipv6_loopback_names_both_ends_in_sockaddr_in6() {
    let k = boot();
    let l = listen6(&k, &sa6("::", 7001, 0));
    let name = l.proto().sockname().expect("getsockname");
    assert_eq!(parse_sockaddr6(&name), Ok((PcbAddr::UNSPECIFIED, 7001)));
    assert_eq!(l.proto().kind().0, abi::AF_INET6);
    let msg: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let (peer, got) = exchange(&k, &l, (abi::AF_INET6, false), sa6("::1", 7001, 0), &msg);
    assert!(got == msg, "the stream arrives whole and in order");
    let (a, port) = parse_sockaddr6(&peer).expect("sockaddr_in6");
    assert_eq!(a, v6("::1"));
    assert_ne!(port, 0);
}

#[test]
fn tcp_over_link_local_carries_the_scope_id() {
    let k = boot();
    let lo = Net::of(&k).ifunit("lo0").expect("lo0").index;
    let l = listen6(&k, &sa6("fe80::1", 7002, u32::from(lo)));
    let name = l.proto().sockname().expect("getsockname");
    assert_eq!(name[sin6::sin6_scope_id.offset], lo as u8);
    let (peer, got) = exchange(
        &k,
        &l,
        (abi::AF_INET6, false),
        sa6("fe80::1", 7002, u32::from(lo)),
        b"link-local",
    );
    assert_eq!(got, b"link-local");
    let (a, _) = parse_sockaddr6(&peer).expect("sockaddr_in6");
    assert_eq!(a.wire(), v6("fe80::1").0);
    assert_eq!(a.zone(), u32::from(lo), "accept's peer has the scope id");
    // Without a scope id a link-local address is not ours to bind.
    let s = socket(&k, abi::AF_INET6, SOCK_STREAM);
    assert_eq!(
        k.with_ctx(|ctx| s.proto().bind(ctx, &sa6("fe80::1", 7003, 0))),
        Err(Errno::EADDRNOTAVAIL)
    );
}

#[test]
fn v6only_by_default_keeps_ipv4_out_and_lets_both_wildcards_share_a_port() {
    let k = boot();
    let l6 = listen6(&k, &sa6("::", 7010, 0));
    assert_eq!(
        getopt(&l6, abi::IPV6_V6ONLY),
        1,
        "net.inet6.ip6.v6only is 1"
    );
    // IPv4 is refused: nobody listens on 0.0.0.0:7010 for it.
    let c = socket(&k, abi::AF_INET, SOCK_STREAM);
    let lo4 = sockaddr(abi::INADDR_LOOPBACK, 7010);
    assert_eq!(
        k.with_ctx(|ctx| c.connect(ctx, &lo4)),
        Err(Errno::ECONNREFUSED)
    );
    // An IPv4 wildcard listener takes the same port beside it.
    let l4 = socket(&k, abi::AF_INET, SOCK_STREAM);
    k.with_ctx(|ctx| l4.proto().bind(ctx, &sockaddr(0, 7010)))
        .expect("IPv4 and V6ONLY IPv6 wildcards share a port");
    // A mapped address is EINVAL with V6ONLY on.
    let m = socket(&k, abi::AF_INET6, SOCK_STREAM);
    assert_eq!(
        k.with_ctx(|ctx| m.proto().bind(ctx, &sa6("::ffff:127.0.0.1", 7011, 0))),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        k.with_ctx(|ctx| m.connect(ctx, &sa6("::ffff:127.0.0.1", 7010, 0))),
        Err(Errno::EINVAL)
    );
}

#[test]
fn v6only_off_takes_ipv4_as_mapped_addresses() {
    let k = boot();
    let l = socket(&k, abi::AF_INET6, SOCK_STREAM);
    setopt(&l, abi::IPV6_V6ONLY, 0).expect("IPV6_V6ONLY off before bind");
    k.with_ctx(|ctx| l.proto().bind(ctx, &sa6("::", 7020, 0)))
        .expect("bind");
    assert_eq!(
        setopt(&l, abi::IPV6_V6ONLY, 1),
        Err(Errno::EINVAL),
        "only before bind"
    );
    l.proto().listen(5).expect("listen");
    // Now the IPv4 wildcard on the port is taken.
    let l4 = socket(&k, abi::AF_INET, SOCK_STREAM);
    assert_eq!(
        k.with_ctx(|ctx| l4.proto().bind(ctx, &sockaddr(0, 7020))),
        Err(Errno::EADDRINUSE)
    );
    let (peer, got) = exchange(
        &k,
        &l,
        (abi::AF_INET, false),
        sockaddr(abi::INADDR_LOOPBACK, 7020),
        b"over IPv4",
    );
    assert_eq!(got, b"over IPv4");
    let (a, _) = parse_sockaddr6(&peer).expect("a sockaddr_in6 for an IPv4 peer");
    assert_eq!(a, v6("::ffff:127.0.0.1"));
    // And an IPv6 socket with V6ONLY off may connect to a mapped
    // address itself.
    let to = sa6("::ffff:127.0.0.1", 7020, 0);
    let (peer, _) = exchange(&k, &l, (abi::AF_INET6, true), to, b"x");
    assert_eq!(
        parse_sockaddr6(&peer).expect("sin6").0,
        v6("::ffff:127.0.0.1")
    );
}

#[test]
fn ipv6_options_and_binding_errors() {
    let k = boot();
    let s = socket(&k, abi::AF_INET6, SOCK_STREAM);
    assert_eq!(getopt(&s, abi::IPV6_UNICAST_HOPS), -1, "in6p_hops' default");
    setopt(&s, abi::IPV6_UNICAST_HOPS, 7).expect("hops");
    assert_eq!(getopt(&s, abi::IPV6_UNICAST_HOPS), 7);
    assert_eq!(setopt(&s, abi::IPV6_UNICAST_HOPS, 256), Err(Errno::EINVAL));
    assert_eq!(setopt(&s, abi::IPV6_UNICAST_HOPS, -2), Err(Errno::EINVAL));
    // An address that is not ours.
    assert_eq!(
        k.with_ctx(|ctx| s.proto().bind(ctx, &sa6("2001:db8::1", 7030, 0))),
        Err(Errno::EADDRNOTAVAIL)
    );
    // A sockaddr_in to an IPv6 socket, a short one.
    assert_eq!(
        k.with_ctx(|ctx| s.proto().bind(ctx, &sockaddr(0, 7030))),
        Err(Errno::EINVAL)
    );
    // Two binds of one address and port.
    let a = socket(&k, abi::AF_INET6, SOCK_STREAM);
    k.with_ctx(|ctx| a.proto().bind(ctx, &sa6("::1", 7031, 0)))
        .expect("bind");
    a.proto().listen(1).expect("listen");
    let b = socket(&k, abi::AF_INET6, SOCK_STREAM);
    assert_eq!(
        k.with_ctx(|ctx| b.proto().bind(ctx, &sa6("::1", 7031, 0))),
        Err(Errno::EADDRINUSE)
    );
    // IPv6 sockets have no IPv4 options, and IPv4 sockets no IPv6 ones.
    assert_eq!(
        s.proto().setopt(abi::IPPROTO_IP, abi::IP_TTL, &int(9)),
        Err(Errno::ENOPROTOOPT)
    );
    let s4 = socket(&k, abi::AF_INET, SOCK_STREAM);
    assert_eq!(
        s4.proto()
            .setopt(abi::IPPROTO_IPV6, abi::IPV6_V6ONLY, &int(1)),
        Err(Errno::ENOPROTOOPT)
    );
}

#[test]
fn udp_over_ipv6_names_senders_in_sockaddr_in6() {
    let k = boot();
    let r = socket(&k, abi::AF_INET6, SOCK_DGRAM);
    k.with_ctx(|ctx| r.proto().bind(ctx, &sa6("::", 7040, 0)))
        .expect("bind");
    let s = socket(&k, abi::AF_INET6, SOCK_DGRAM);
    setopt(&s, abi::IPV6_UNICAST_HOPS, 3).expect("hops");
    let to = sa6("::1", 7040, 0);
    assert_eq!(
        k.with_ctx(|ctx| s.send(ctx, b"datagram", Some(&to), 0)),
        Ok(8)
    );
    let mut buf = [0u8; 64];
    let got = k.with_ctx(|ctx| r.recv(ctx, &mut buf, 0)).expect("recv");
    assert_eq!(&buf[..got.len], b"datagram");
    let from = got.from.expect("sender");
    let (a, port) = parse_sockaddr6(&from).expect("sockaddr_in6");
    assert_eq!(a, v6("::1"));
    let mine = parse_sockaddr6(&s.proto().sockname().expect("name")).expect("sin6");
    assert_eq!(port, mine.1, "the sender's ephemeral port");
    assert!(got.control.is_empty(), "no control messages unasked");
    // IPV6_RECVPKTINFO: the destination and the interface come along.
    setopt(&r, abi::IPV6_RECVPKTINFO, 1).expect("recvpktinfo");
    k.with_ctx(|ctx| s.send(ctx, b"info", Some(&to), 0))
        .expect("send");
    let got = k.with_ctx(|ctx| r.recv(ctx, &mut buf, 0)).expect("recv");
    let lo = Net::of(&k).ifunit("lo0").expect("lo0").index;
    let c = &got.control;
    assert_eq!(
        c.len(),
        16 + 24,
        "one CMSG_SPACE(sizeof(struct in6_pktinfo))"
    );
    assert_eq!(u32::from_le_bytes(c[..4].try_into().unwrap()), 16 + 20);
    assert_eq!(
        i32::from_le_bytes(c[4..8].try_into().unwrap()),
        abi::IPPROTO_IPV6
    );
    assert_eq!(
        i32::from_le_bytes(c[8..12].try_into().unwrap()),
        abi::IPV6_PKTINFO
    );
    assert_eq!(&c[16..32], &v6("::1").0);
    assert_eq!(c[32..36], u32::from(lo).to_le_bytes());
    // Connected: send and receive without addresses, name the peer.
    k.with_ctx(|ctx| s.connect(ctx, &to)).expect("connect");
    let peer = parse_sockaddr6(&s.proto().peername().expect("peer")).expect("sin6");
    assert_eq!(peer, (v6("::1"), 7040));
    assert_eq!(k.with_ctx(|ctx| s.send(ctx, b"again", None, 0)), Ok(5));
    let got = k.with_ctx(|ctx| r.recv(ctx, &mut buf, 0)).expect("recv");
    assert_eq!(&buf[..got.len], b"again");
    // V6ONLY (the default) keeps an IPv4 datagram from the IPv6 socket.
    let s4 = socket(&k, abi::AF_INET, SOCK_DGRAM);
    let lo4 = sockaddr(abi::INADDR_LOOPBACK, 7040);
    assert_eq!(k.with_ctx(|ctx| s4.send(ctx, b"v4", Some(&lo4), 0)), Ok(2));
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(r.proto().nread(), 0, "no IPv4 datagram for a V6ONLY socket");
}

#[test]
fn udp_with_v6only_off_hears_ipv4_senders_as_mapped() {
    let k = boot();
    let r = socket(&k, abi::AF_INET6, SOCK_DGRAM);
    setopt(&r, abi::IPV6_V6ONLY, 0).expect("v6only off");
    k.with_ctx(|ctx| r.proto().bind(ctx, &sa6("::", 7050, 0)))
        .expect("bind");
    let s4 = socket(&k, abi::AF_INET, SOCK_DGRAM);
    let lo4 = sockaddr(abi::INADDR_LOOPBACK, 7050);
    assert_eq!(k.with_ctx(|ctx| s4.send(ctx, b"v4", Some(&lo4), 0)), Ok(2));
    let mut buf = [0u8; 16];
    let got = k.with_ctx(|ctx| r.recv(ctx, &mut buf, 0)).expect("recv");
    assert_eq!(&buf[..got.len], b"v4");
    let (a, _) = parse_sockaddr6(&got.from.expect("sender")).expect("sockaddr_in6");
    assert_eq!(a, v6("::ffff:127.0.0.1"));
}

/// The `kinfo_pcb` records of the sysctl list `name`.
fn pcblist(k: &Kernel, name: &str) -> Vec<Vec<u8>> {
    const KINFO_PCB: usize = rumpnet::pcblist::KINFO_PCB_LEN;
    let mut mib = k.sysctl().name_to_mib(name).expect(name);
    mib.extend([0, 0, KINFO_PCB as i32, 64]);
    let o = k.sys_sysctl(&mib, Some(64 * KINFO_PCB), None).unwrap();
    o.result.expect(name);
    o.old.chunks(KINFO_PCB).map(<[u8]>::to_vec).collect()
}

#[test]
fn tcp6_pcblist_lists_the_ipv6_family_in_kinfo_pcb_records() {
    let k = boot();
    let _l = listen6(&k, &sa6("::1", 7060, 0));
    assert_eq!(
        &k.sysctl()
            .name_to_mib("net.inet6.tcp6.pcblist")
            .expect("mib")[..3],
        &[abi::CTL_NET, abi::AF_INET6, abi::IPPROTO_TCP]
    );
    let recs = pcblist(&k, "net.inet6.tcp6.pcblist");
    assert_eq!(recs.len(), 1);
    let r = &recs[0];
    let word = |at: usize| u32::from_ne_bytes(r[at..at + 4].try_into().unwrap());
    // ki_family, ki_type, ki_protocol, then ki_tstate (kinfo_pcb in
    // sys/sysctl.h), as net.inet.tcp.pcblist's test reads them.
    assert_eq!(
        (word(24), word(28), word(32)),
        (
            abi::AF_INET6 as u32,
            SOCK_STREAM as u32,
            abi::IPPROTO_TCP as u32
        )
    );
    assert_eq!(word(48), 1, "TCPS_LISTEN");
    // ki_src: the sockaddr_in6 of ::1, port 7060.
    assert_eq!(&r[72..100], &sa6("::1", 7060, 0)[..]);
    assert!(
        pcblist(&k, "net.inet.tcp.pcblist").is_empty(),
        "IPv4's list has only the IPv4 family's sockets"
    );
    let u = socket(&k, abi::AF_INET6, SOCK_DGRAM);
    k.with_ctx(|ctx| u.proto().bind(ctx, &sa6("::", 7061, 0)))
        .expect("bind");
    assert_eq!(pcblist(&k, "net.inet6.udp6.pcblist").len(), 1);
    assert!(pcblist(&k, "net.inet.udp.pcblist").is_empty());
}

#[test]
fn a_connected_udp_socket_hears_the_port_unreachable_as_econnrefused() {
    let k = boot();
    let s = socket(&k, abi::AF_INET6, SOCK_DGRAM);
    k.with_ctx(|ctx| s.connect(ctx, &sa6("::1", 7070, 0)))
        .expect("connect");
    assert_eq!(k.with_ctx(|ctx| s.send(ctx, b"anyone?", None, 0)), Ok(7));
    // The ICMPv6 error comes back through lo0's queue.
    let t = std::time::Instant::now();
    while s.proto().take_error() == 0 {
        assert!(t.elapsed().as_secs() < 5, "no port unreachable");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // take_error consumed it; a second datagram brings it again, for
    // recv to report.
    assert_eq!(k.with_ctx(|ctx| s.send(ctx, b"again", None, 0)), Ok(5));
    let mut buf = [0u8; 8];
    let t = std::time::Instant::now();
    loop {
        match s.proto().recv(&mut buf, 0) {
            Err(Errno::ECONNREFUSED) => break,
            Err(Errno::EAGAIN) => {}
            other => panic!("recv: {other:?}"),
        }
        assert!(t.elapsed().as_secs() < 5, "no ECONNREFUSED");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}
