//! IPv6 multicast on UDP sockets and `sendmsg` with IPv6 control
//! messages between two of our kernels on a shmif bus (issue #20): a UDP
//! socket joins ff12::1234 (its MLD report heard by the other kernel),
//! hears a datagram the other sends to the group and nothing after it
//! leaves; `IPV6_PKTINFO` chooses the source and `IPV6_HOPLIMIT` the hop
//! limit the receiver reads with `IPV6_RECVHOPLIMIT`. The calls are made
//! over the client library with NetBSD's numbers and layouts.

mod common;

use common::kernel6::*;
use common::*;
use netbsd_abi::layout::{iovec, msghdr, sockaddr_in6 as sin6};
use rumpclient::{Client, Errno, Regions};
use std::net::Ipv6Addr;
use std::time::{Duration, Instant};

const V6: u64 = netbsd_abi::IPPROTO_IPV6 as u64;

fn ip(s: &str) -> Ipv6Addr {
    s.parse().unwrap()
}

fn setopt(c: &Client, fd: u64, level: u64, name: i32, v: &[u8]) -> Result<u64, Errno> {
    let m = Regions::new();
    call(
        c,
        &m,
        netbsd_abi::SYS_setsockopt,
        &[fd, level, name as u64, m.add(v), v.len() as u64],
    )
}

fn mreq(g: &Ipv6Addr, ifindex: u32) -> Vec<u8> {
    let mut v = g.octets().to_vec();
    v.extend_from_slice(&ifindex.to_le_bytes());
    v
}

fn sa_port(a: &Ipv6Addr, scope: u32, port: u16) -> Vec<u8> {
    let mut sa = sockaddr6(a, scope);
    sa[sin6::sin6_port.range()].copy_from_slice(&port.to_be_bytes());
    sa
}

fn udp_bound(c: &Client, port: u16) -> u64 {
    let fd = socket(c, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let sa = sa_port(&Ipv6Addr::UNSPECIFIED, 0, port);
    call(
        c,
        &m,
        netbsd_abi::SYS_bind,
        &[fd, m.add(&sa), sa.len() as u64],
    )
    .expect("bind");
    fd
}

/// `struct cmsghdr` with `data`, padded to `CMSG_SPACE` (NetBSD/amd64:
/// a 16-byte header, data aligned to 8).
fn cmsg(kind: i32, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&((16 + data.len()) as u32).to_le_bytes());
    v.extend_from_slice(&netbsd_abi::IPPROTO_IPV6.to_le_bytes());
    v.extend_from_slice(&kind.to_le_bytes());
    v.extend_from_slice(&[0; 4]);
    v.extend_from_slice(data);
    v.resize(v.len().div_ceil(8) * 8, 0);
    v
}

/// sendmsg of `data` to `to` with control data `control`.
fn sendmsg(c: &Client, fd: u64, data: &[u8], to: &[u8], control: &[u8]) -> Result<u64, Errno> {
    let m = Regions::new();
    let mut iov = vec![0u8; iovec::SIZE];
    iovec::iov_base.put(&mut iov, m.add(data));
    iovec::iov_len.put(&mut iov, data.len() as u64);
    let mut h = vec![0u8; msghdr::SIZE];
    msghdr::msg_name.put(&mut h, m.add(to));
    msghdr::msg_namelen.put(&mut h, to.len() as u64);
    msghdr::msg_iov.put(&mut h, m.add(&iov));
    msghdr::msg_iovlen.put(&mut h, 1);
    msghdr::msg_control.put(&mut h, m.add(control));
    msghdr::msg_controllen.put(&mut h, control.len() as u64);
    call(c, &m, netbsd_abi::SYS_sendmsg, &[fd, m.add(&h), 0])
}

/// A datagram received without waiting: (data, sender, control data).
type Got = (Vec<u8>, Vec<u8>, Vec<u8>);

fn recvmsg_now(c: &Client, fd: u64) -> Result<Got, Errno> {
    let m = Regions::new();
    let buf = m.add_zeroed(256);
    let mut iov = vec![0u8; iovec::SIZE];
    iovec::iov_base.put(&mut iov, buf);
    iovec::iov_len.put(&mut iov, 256);
    let (name, ctl) = (m.add_zeroed(sin6::SIZE), m.add_zeroed(128));
    let mut h = vec![0u8; msghdr::SIZE];
    msghdr::msg_name.put(&mut h, name);
    msghdr::msg_namelen.put(&mut h, sin6::SIZE as u64);
    msghdr::msg_iov.put(&mut h, m.add(&iov));
    msghdr::msg_iovlen.put(&mut h, 1);
    msghdr::msg_control.put(&mut h, ctl);
    msghdr::msg_controllen.put(&mut h, 128);
    let hp = m.add(&h);
    let flags = netbsd_abi::MSG_DONTWAIT as u64;
    let n = call(c, &m, netbsd_abi::SYS_recvmsg, &[fd, hp, flags])? as usize;
    let h = m.get(hp);
    let clen = msghdr::msg_controllen.get(&h).unwrap() as usize;
    Ok((
        m.get(buf)[..n].to_vec(),
        m.get(name)[..sin6::SIZE].to_vec(),
        m.get(ctl)[..clen].to_vec(),
    ))
}

/// The next datagram within five seconds.
fn recv_within(c: &Client, fd: u64, pred: impl Fn(&Got) -> bool) -> Got {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        match recvmsg_now(c, fd) {
            Ok(g) if pred(&g) => return g,
            Ok(_) => {}
            Err(Errno::EAGAIN) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("recvmsg: {e:?}"),
        }
    }
}

#[test]
fn udp_multicast_and_sendmsg_control_between_two_kernels() {
    let dir = tempdir("inet6-mcast");
    let a = Server::start(&dir, "a");
    let b = Server::start(&dir, "b");
    let (ca, cb) = (a.client(), b.client());
    let (ll_a, ll_b) = (link_local(a.shmif_up("bus")), link_local(b.shmif_up("bus")));
    let (g_a, g_a2, g_b) = (ip("2001:db8::a"), ip("2001:db8::aa"), ip("2001:db8::b"));
    add_addr(&ca, "shmif0", &g_a, 64);
    add_addr(&ca, "shmif0", &g_a2, 64);
    add_addr(&cb, "shmif0", &g_b, 64);
    for (c, x) in [
        (&ca, ll_a),
        (&cb, ll_b),
        (&ca, g_a),
        (&ca, g_a2),
        (&cb, g_b),
    ] {
        assert_eq!(wait_ready(c, "shmif0", &x), 0);
    }
    // shmif0 is interface 2 on both (lo0 is 1).
    let group = ip("ff12::1234");
    // a listens for MLD reports to the group on a raw ICMPv6 socket.
    let mld = socket(&ca, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6);
    setopt(&ca, mld, V6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&group, 2)).expect("raw join");

    let ub = udp_bound(&cb, 7000);
    setopt(
        &cb,
        ub,
        V6,
        netbsd_abi::IPV6_RECVHOPLIMIT,
        &1i32.to_le_bytes(),
    )
    .unwrap();
    // A link-scoped group has no route without its interface.
    assert_eq!(
        setopt(&cb, ub, V6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&group, 0)),
        Err(Errno::EADDRNOTAVAIL)
    );
    setopt(&cb, ub, V6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&group, 2)).expect("udp join");
    assert_eq!(
        setopt(&cb, ub, V6, netbsd_abi::IPV6_JOIN_GROUP, &mreq(&group, 2)),
        Err(Errno::EADDRINUSE)
    );
    // MLD listener report (131) for the group, from b's link-local address.
    let (msg, from, _) = recv_within(&ca, mld, |g| g.0.first() == Some(&131));
    assert_eq!(&msg[8..24], &group.octets());
    assert_eq!(sin6_of(&from).0, ll_b);

    let ua = socket(&ca, netbsd_abi::SOCK_DGRAM, 0);
    let to_group = sa_port(&group, 2, 7000);
    let m = Regions::new();
    let send_group = |text: &[u8]| {
        let args = [
            ua,
            m.add(text),
            text.len() as u64,
            0,
            m.add(&to_group),
            to_group.len() as u64,
        ];
        call(&ca, &m, netbsd_abi::SYS_sendto, &args)
    };
    assert_eq!(send_group(b"to the group"), Ok(12));
    let (data, from, ctl) = recv_within(&cb, ub, |_| true);
    assert_eq!(data, b"to the group");
    assert_eq!(sin6_of(&from), (ll_a, 2));
    // IPV6_HOPLIMIT: ip6_defmcasthlim, 1.
    assert_eq!(ctl, cmsg(netbsd_abi::IPV6_HOPLIMIT, &1i32.to_le_bytes()));

    setopt(&cb, ub, V6, netbsd_abi::IPV6_LEAVE_GROUP, &mreq(&group, 2)).expect("leave");
    assert_eq!(send_group(b"after"), Ok(5));
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(recvmsg_now(&cb, ub).unwrap_err(), Errno::EAGAIN);

    // sendmsg: IPV6_PKTINFO picks a's second address as the source,
    // IPV6_HOPLIMIT 9, which b reads back.
    let mut pi = g_a2.octets().to_vec();
    pi.extend_from_slice(&0u32.to_le_bytes());
    let mut control = cmsg(netbsd_abi::IPV6_PKTINFO, &pi);
    control.extend(cmsg(netbsd_abi::IPV6_HOPLIMIT, &9i32.to_le_bytes()));
    let to_b = sa_port(&g_b, 0, 7000);
    assert_eq!(sendmsg(&ca, ua, b"chosen", &to_b, &control), Ok(6));
    let (data, from, ctl) = recv_within(&cb, ub, |_| true);
    assert_eq!(data, b"chosen");
    assert_eq!(sin6_of(&from), (g_a2, 0));
    assert_eq!(ctl, cmsg(netbsd_abi::IPV6_HOPLIMIT, &9i32.to_le_bytes()));
    // Malformed control data: EINVAL, as NetBSD's ip6_setpktopts.
    let bad = cmsg(netbsd_abi::IPV6_HOPLIMIT, &300i32.to_le_bytes());
    assert_eq!(sendmsg(&ca, ua, b"x", &to_b, &bad), Err(Errno::EINVAL));
    assert_eq!(sendmsg(&ca, ua, b"x", &to_b, &bad[..8]), Err(Errno::EINVAL));
}

/// An unmodified python3 under the hijack: `sendmsg` with
/// `IPV6_PKTINFO` (lo0's second address as the source) and
/// `IPV6_HOPLIMIT` 7 reaches the kernel, as the receiver's `recvmsg`
/// shows (sender, hop limit, packet info); a hop limit of 300 is EINVAL;
/// a UDP socket joins and leaves ff02::1234 on lo0 and hears what is
/// sent to the group there with `IPV6_MULTICAST_IF`.
const PY_SENDMSG: &str = r#"
import socket, struct
V6 = socket.IPPROTO_IPV6
r = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
r.bind(("::", 7100))
r.setsockopt(V6, socket.IPV6_RECVHOPLIMIT, 1)
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
pi = socket.inet_pton(socket.AF_INET6, "2001:db8::5") + struct.pack("I", 0)
n = s.sendmsg([b"hi"], [(V6, socket.IPV6_PKTINFO, pi),
                        (V6, socket.IPV6_HOPLIMIT, struct.pack("i", 7))], 0, ("::1", 7100))
data, anc, flags, addr = r.recvmsg(64, 256)
hl = [struct.unpack("i", d[:4])[0] for (l, t, d) in anc if t == socket.IPV6_HOPLIMIT]
print("sent", n, data.decode(), addr[0], hl)
try:
    s.sendmsg([b"x"], [(V6, socket.IPV6_HOPLIMIT, struct.pack("i", 300))], 0, ("::1", 7100))
    print("bad accepted")
except OSError as e:
    print("bad", e.errno)
mreq = socket.inet_pton(socket.AF_INET6, "ff02::1234") + struct.pack("I", 1)
r.setsockopt(V6, socket.IPV6_JOIN_GROUP, mreq)
s.setsockopt(V6, socket.IPV6_MULTICAST_IF, 1)
s.sendto(b"group", ("ff02::1234", 7100, 0, 1))
data, anc, flags, addr = r.recvmsg(64, 256)
print("group", data.decode(), s.getsockopt(V6, socket.IPV6_MULTICAST_HOPS))
r.setsockopt(V6, socket.IPV6_LEAVE_GROUP, mreq)
try:
    r.setsockopt(V6, socket.IPV6_LEAVE_GROUP, mreq)
except OSError as e:
    print("left", e.errno)
"#;

#[test]
fn hijacked_python3_sendmsg_carries_ipv6_control_messages() {
    let dir = tempdir("inet6-mcast-py");
    let s = Server::start(&dir, "k");
    let c = s.client();
    add_addr(&c, "lo0", &ip("2001:db8::5"), 128);
    assert_eq!(wait_ready(&c, "lo0", &ip("2001:db8::5")), 0);
    let o = common::pytcp::python(&dir, &s.abs, PY_SENDMSG, &[])
        .output()
        .unwrap();
    let out = ok(&o, "python3 sendmsg");
    assert_eq!(
        out,
        format!(
            "sent 2 hi 2001:db8::5 [7]\nbad {}\ngroup group 1\nleft {}\n",
            libc_errno::EINVAL,
            libc_errno::EADDRNOTAVAIL
        )
    );
}

/// Linux's errno values, as python3 under the hijack sees them.
mod libc_errno {
    pub const EINVAL: i32 = 22; // abi-literal: Linux's number, which python3 sees
    pub const EADDRNOTAVAIL: i32 = 99; // abi-literal: Linux's number, which python3 sees
}
