//! IPv6 between kernels on a shmif bus (issue #20): lo0's addresses at
//! boot, link-local addresses that pass duplicate address detection,
//! echo requests answered by link-local (with its scope) and global
//! addresses, and a duplicate found and marked. The calls are made over
//! the client library with NetBSD's numbers and layouts, so that nothing
//! of the kernel's own code builds the requests.

mod common;

use common::kernel6::*;
use common::*;
use netbsd_abi::layout::sockaddr_in6 as sin6;
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};

#[test]
fn loopback_has_its_addresses_at_boot_and_answers() {
    let dir = tempdir("inet6-lo");
    let s = Server::start(&dir, "k");
    let c = s.client();
    let ll = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    assert_eq!(addr_flags(&c, "lo0", &Ipv6Addr::LOCALHOST), Ok(0));
    assert_eq!(addr_flags(&c, "lo0", &ll), Ok(0));
    assert_eq!(
        addr_flags(&c, "lo0", &"2001:db8::1".parse().unwrap()),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    assert_eq!(
        ping6(&c, &Ipv6Addr::LOCALHOST, 0),
        Some(Ipv6Addr::LOCALHOST)
    );
    // fe80::1 needs its scope: lo0 is interface 1.
    assert_eq!(ping6(&c, &ll, 1), Some(ll));
    // lo0's lines, and its routes as NetBSD's rump_allserver has them
    // after boot (route -n show, shared/netbsd-abi/allserver).
    let shown = s.run("rump.ifconfig", &["lo0"]);
    assert_eq!(
        shown,
        "lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624\n\
         \tinet6 ::1 prefixlen 128\n\
         \tinet6 fe80::1%lo0 prefixlen 64 scopeid 0x1\n\
         \tinet 127.0.0.1 netmask 0xff000000\n"
    );
    let routes = s.run("rump.route", &["-n", "show"]);
    let v6 = routes.split("\nInternet6:\n").nth(1).unwrap_or_default();
    assert_eq!(
        v6,
        "Destination                             Gateway                        Flags    Refs      Use    Mtu Interface\n\
         ::1                                     ::1                            UH          -        -  33624  lo0\n\
         fe80::%lo0/64                           fe80::1                        U           -        -      -  lo0\n\
         fe80::1                                 lo0                            UHl         -        -      -  lo0\n\
         ff01:1::/32                             ::1                            U           -        -  33624  lo0\n\
         ff02::%lo0/32                           ::1                            U           -        -  33624  lo0\n"
    );
}

#[test]
fn two_kernels_pass_dad_and_ping6_each_other() {
    let dir = tempdir("inet6-two");
    let a = Server::start(&dir, "a");
    let b = Server::start(&dir, "b");
    let (ca, cb) = (a.client(), b.client());
    let mac_a = a.shmif_up("bus");
    let mac_b = b.shmif_up("bus");
    let (ll_a, ll_b) = (link_local(mac_a), link_local(mac_b));
    // The link-local address is there at once, tentative until DAD has
    // sent its solicitation and heard nothing for a second.
    let f = addr_flags(&ca, "shmif0", &ll_a).unwrap();
    assert_eq!(f & DUPLICATED, 0);
    assert_eq!(wait_ready(&ca, "shmif0", &ll_a), 0);
    assert_eq!(wait_ready(&cb, "shmif0", &ll_b), 0);
    // Our ifconfig shows it as NetBSD's does: scope, prefix, scope id.
    let shown = a.run("rump.ifconfig", &["shmif0"]);
    assert!(
        shown.contains(&format!("\tinet6 {ll_a}%shmif0 prefixlen 64 scopeid 0x2\n")),
        "{shown}"
    );
    // shmif0 is interface 2 on both (lo0 is 1).
    assert_eq!(ping6(&ca, &ll_b, 2), Some(ll_b));
    assert_eq!(ping6(&cb, &ll_a, 2), Some(ll_a));
    // Global addresses, by their on-link prefix.
    let (g_a, g_b): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8::a".parse().unwrap(),
        "2001:db8::b".parse().unwrap(),
    );
    add_addr(&ca, "shmif0", &g_a, 64);
    add_addr(&cb, "shmif0", &g_b, 64);
    assert_ne!(addr_flags(&ca, "shmif0", &g_a).unwrap() & TENTATIVE, 0);
    assert_eq!(wait_ready(&ca, "shmif0", &g_a), 0);
    assert_eq!(wait_ready(&cb, "shmif0", &g_b), 0);
    assert_eq!(ping6(&ca, &g_b, 0), Some(g_b));
    assert_eq!(ping6(&cb, &g_a, 0), Some(g_a));
    // And with our ping6, by link-local address with its interface and
    // by global address; the replies come back with hop limit 64.
    for (from, to) in [(&a, format!("{ll_b}%shmif0")), (&b, g_a.to_string())] {
        let out = from.run("rump.ping6", &["-c", "2", "-i", "0.2", &to]);
        assert!(
            out.contains("2 packets received, 0.0% packet loss"),
            "{out}"
        );
        assert!(
            out.contains(&format!("16 bytes from {to}, icmp_seq=1 hlim=64 time=")),
            "{out}"
        );
    }
    // Each one's ndp lists the other, reachable, and itself, permanent.
    let mac_text = |m: [u8; 6]| {
        m.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    let listed = a.run("rump.ndp", &["-an"]);
    let other = format!("{ll_b}%shmif0");
    let line = listed
        .lines()
        .find(|l| l.starts_with(&format!("{other} ")))
        .unwrap_or_else(|| panic!("{listed}"));
    assert!(
        line.contains(&mac_text(mac_b)) && line.contains(" shmif0 "),
        "{line}"
    );
    let own = format!("{ll_a}%shmif0");
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&format!("{own} ")) && l.contains(" permanent R")),
        "{listed}"
    );
    // A link-local destination without its scope has no route.
    let fd = socket(&ca, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6);
    let m = Regions::new();
    let to = sockaddr6(&ll_b, 0);
    let req = [128u8, 0, 0, 0, 0, 1, 0, 1];
    let r = ca.syscall(
        netbsd_abi::SYS_sendto,
        &[fd, m.add(&req), 8, 0, m.add(&to), to.len() as u64],
        &m,
    );
    assert_eq!(r.unwrap_err(), rumpclient::Errno::EHOSTUNREACH);
}

#[test]
fn a_duplicate_address_is_detected_and_marked() {
    let dir = tempdir("inet6-dup");
    let a = Server::start(&dir, "a");
    let b = Server::start(&dir, "b");
    let (ca, cb) = (a.client(), b.client());
    a.shmif_up("bus");
    b.shmif_up("bus");
    let g: Ipv6Addr = "2001:db8::77".parse().unwrap();
    add_addr(&ca, "shmif0", &g, 64);
    assert_eq!(wait_ready(&ca, "shmif0", &g), 0);
    // Added with our ifconfig, which shows it tentative, then duplicated.
    b.run(
        "rump.ifconfig",
        &[
            "shmif0",
            "inet6",
            "2001:db8::77",
            "prefixlen",
            "64",
            "alias",
        ],
    );
    let shown = b.run("rump.ifconfig", &["shmif0"]);
    assert!(
        shown.contains("\tinet6 2001:db8::77 prefixlen 64 tentative\n"),
        "{shown}"
    );
    // a defends it: b's solicitation from :: gets an advertisement.
    assert_eq!(wait_ready(&cb, "shmif0", &g), DUPLICATED);
    let shown = b.run("rump.ifconfig", &["shmif0"]);
    assert!(
        shown.contains("\tinet6 2001:db8::77 prefixlen 64 duplicated\n"),
        "{shown}"
    );
    // -w does not wait for a duplicated address.
    b.run("rump.ifconfig", &["-w", "5"]);
    eventually("b's console to report the duplicate", || {
        b.console()
            .contains("shmif0: DAD detected duplicate IPv6 address 2001:db8::77")
    });
    // b does not use it: a socket cannot take it as its own.
    let fd = socket(&cb, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let sa = sockaddr6(&g, 0);
    assert_eq!(
        call(
            &cb,
            &m,
            netbsd_abi::SYS_bind,
            &[fd, m.add(&sa), sa.len() as u64]
        ),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    // a keeps it and still answers from it.
    assert_eq!(addr_flags(&ca, "shmif0", &g), Ok(0));
}

/// Acceptance 2 of issue #20, our IPv6 against Linux's over a tap device
/// in a private namespace: both sides' link-local addresses pass DAD,
/// each pings the other by link-local address (with its scope) and by a
/// global one (also with 3000-byte requests, in fragments both ways),
/// each neighbour cache has learned the other's Ethernet
/// address through neighbour discovery (Linux's `ip -6 neigh`, our
/// `rump.ndp -an`), and 20 MiB go each way by TCP over IPv6 between plain
/// python3 in the namespace and python3 under the hijack on our kernel.
#[test]
fn ipv6_with_linux_over_tap() {
    let dir = tempdir("inet6-tap");
    let ns = TapNs::new();
    let sock = dir.join("S");
    let url = format!("unix://{}", sock.display());
    let st = ns
        .cmd(bin("rump_allserver").to_str().unwrap())
        .arg(&url)
        .status()
        .unwrap();
    assert!(st.success(), "rump_allserver in the namespace");
    struct Halt(PathBuf, String);
    impl Drop for Halt {
        fn drop(&mut self) {
            let _ = tool(&self.0, &self.1, "rump.halt", &[]);
        }
    }
    let _halt = Halt(dir.clone(), url.clone());
    let run = |name: &str, args: &[&str]| {
        let o = tool(&dir, &url, name, args);
        assert!(o.status.success(), "{name} {args:?}: {}", stderr(&o));
        stdout(&o)
    };
    let linux_cmd = |args: &[&str]| {
        let o = ns.cmd(args[0]).args(&args[1..]).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}{}", stdout(&o), stderr(&o));
        stdout(&o)
    };
    run("rump.ifconfig", &["virt0", "create", "up"]);
    run(
        "rump.ifconfig",
        &["virt0", "inet6", "2001:db8:77::2/64", "alias"],
    );
    linux_cmd(&[
        "ip",
        "-6",
        "addr",
        "add",
        "2001:db8:77::1/64",
        "dev",
        "virt0",
        "nodad",
    ]);
    run("rump.ifconfig", &["-w", "5"]);
    let shown = run("rump.ifconfig", &["virt0"]);
    let ours: Ipv6Addr = shown
        .lines()
        .find_map(|l| l.trim().strip_prefix("inet6 fe80::"))
        .and_then(|rest| rest.split('%').next())
        .map(|id| format!("fe80::{id}").parse().unwrap())
        .unwrap_or_else(|| panic!("no link-local address in {shown}"));
    let our_mac = shown
        .lines()
        .find_map(|l| l.trim().strip_prefix("address: "))
        .unwrap_or_else(|| panic!("no Ethernet address in {shown}"))
        .to_string();
    let linux_mac = linux_cmd(&["cat", "/sys/class/net/virt0/address"])
        .trim()
        .to_string();
    // Linux's link-local address on its side of the tap, once its own DAD
    // is done.
    let mut linux: Option<Ipv6Addr> = None;
    eventually("Linux's link-local address", || {
        let text = linux_cmd(&["ip", "-6", "addr", "show", "dev", "virt0", "scope", "link"]);
        linux = text
            .lines()
            .filter(|l| !l.contains("tentative"))
            .find_map(|l| l.trim().strip_prefix("inet6 "))
            .and_then(|r| r.split('/').next())
            .and_then(|a| a.parse().ok());
        linux.is_some()
    });
    let linux = linux.unwrap();
    let (g_ours, g_linux): (Ipv6Addr, Ipv6Addr) = (
        "2001:db8:77::2".parse().unwrap(),
        "2001:db8:77::1".parse().unwrap(),
    );
    // Linux pings us, by link-local address with its scope and by the
    // global one.
    for to in [format!("{ours}%virt0"), g_ours.to_string()] {
        linux_cmd(&["ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", &to]);
    }
    // 3000-byte requests: Linux's fragments reassembled here, our reply
    // in fragments reassembled there.
    let g = g_ours.to_string();
    linux_cmd(&["ping", "-6", "-c", "1", "-s", "3000", "-W", "2", &g]);
    // We ping Linux (virt0 is interface 2).
    let c = Client::connect(&url).unwrap();
    assert_eq!(ping6(&c, &linux, 2), Some(linux));
    assert_eq!(ping6(&c, &g_linux, 0), Some(g_linux));
    // Each side's neighbour cache has the other's addresses with its
    // Ethernet address.
    let neigh = linux_cmd(&["ip", "-6", "neigh", "show", "dev", "virt0"]);
    for a in [ours, g_ours] {
        assert!(
            neigh.contains(&format!("{a} lladdr {our_mac}")),
            "Linux's neighbour cache: {neigh}"
        );
    }
    let ndp = run("rump.ndp", &["-an"]);
    for a in [format!("{linux}%virt0"), g_linux.to_string()] {
        assert!(
            ndp.lines()
                .any(|l| l.starts_with(&format!("{a} ")) && l.contains(&linux_mac)),
            "our ndp -an: {ndp}"
        );
    }
    // 20 MiB each way by TCP over IPv6.
    let n = (20 << 20).to_string();
    let plain = |args: &[&str]| {
        let mut c = ns.cmd("/usr/bin/python3");
        c.arg("-c").args(args);
        c
    };
    let got = common::pytcp::stream(
        common::pytcp::python(&dir, &url, common::pytcp::TCP_SINK, &["::"]),
        plain(&[common::pytcp::TCP_SOURCE, "2001:db8:77::2", &n]),
        "2001:db8:77::1",
    );
    assert!(got.starts_with("20971520 "), "{got}");
    let got = common::pytcp::stream(
        plain(&[common::pytcp::TCP_SINK, "::"]),
        common::pytcp::python(
            &dir,
            &url,
            common::pytcp::TCP_SOURCE,
            &["2001:db8:77::1", &n],
        ),
        "2001:db8:77::2",
    );
    assert!(got.starts_with("20971520 "), "{got}");
}

/// recvmsg on a raw ICMPv6 socket with IPV6_RECVHOPLIMIT and
/// IPV6_RECVPKTINFO set returns the control messages RFC 3542 describes,
/// in NetBSD's cmsghdr layout (what NetBSD's ping6 reads), and cuts them
/// off with MSG_CTRUNC when the buffer is short.
#[test]
fn raw_icmpv6_recvmsg_carries_hop_limit_and_packet_info() {
    use netbsd_abi::layout::{iovec, msghdr};
    let dir = tempdir("inet6-cmsg");
    let s = Server::start(&dir, "k");
    let c = s.client();
    let fd = socket(&c, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6);
    let m = Regions::new();
    let on = m.add(&1i32.to_le_bytes());
    for opt in [netbsd_abi::IPV6_RECVHOPLIMIT, netbsd_abi::IPV6_RECVPKTINFO] {
        c.syscall(
            netbsd_abi::SYS_setsockopt,
            &[fd, netbsd_abi::IPPROTO_IPV6 as u64, opt as u64, on, 4],
            &m,
        )
        .unwrap();
    }
    let to = sockaddr6(&Ipv6Addr::LOCALHOST, 0);
    let req = [128u8, 0, 0, 0, 0, 9, 0, 1];
    let recv = |control_len: usize| {
        c.syscall(
            netbsd_abi::SYS_sendto,
            &[fd, m.add(&req), 8, 0, m.add(&to), to.len() as u64],
            &m,
        )
        .unwrap();
        let buf = m.add_zeroed(64);
        let mut iov = vec![0u8; iovec::SIZE];
        iovec::iov_base.put(&mut iov, buf);
        iovec::iov_len.put(&mut iov, 64);
        let ctl = m.add_zeroed(control_len.max(1));
        let mut h = vec![0u8; msghdr::SIZE];
        msghdr::msg_iov.put(&mut h, m.add(&iov));
        msghdr::msg_iovlen.put(&mut h, 1);
        msghdr::msg_control.put(&mut h, ctl);
        msghdr::msg_controllen.put(&mut h, control_len as u64);
        let hp = m.add(&h);
        // The request and the reply both come back to a raw socket:
        // read until the reply.
        loop {
            let n = c
                .syscall(netbsd_abi::SYS_recvmsg, &[fd, hp, 0], &m)
                .unwrap()[0];
            if m.get(buf)[0] == 129 {
                assert_eq!(n, 8);
                let h = m.get(hp);
                let clen = msghdr::msg_controllen.get(&h).unwrap() as usize;
                let flags = msghdr::msg_flags.get(&h).unwrap() as i32;
                return (m.get(ctl)[..clen].to_vec(), flags);
            }
        }
    };
    let (ctl, flags) = recv(128);
    assert_eq!(flags & netbsd_abi::MSG_CTRUNC, 0);
    // CMSG_SPACE(20) for in6_pktinfo, then CMSG_SPACE(4) for the hop
    // limit: 40 + 24 bytes.
    assert_eq!(ctl.len(), 64);
    let word = |at: usize| i32::from_le_bytes(ctl[at..at + 4].try_into().unwrap());
    assert_eq!(
        (word(0), word(4), word(8)),
        (36, netbsd_abi::IPPROTO_IPV6, netbsd_abi::IPV6_PKTINFO)
    );
    assert_eq!(&ctl[16..32], &Ipv6Addr::LOCALHOST.octets());
    assert_eq!(word(32), 1, "lo0's index");
    assert_eq!(
        (word(40), word(44), word(48)),
        (20, netbsd_abi::IPPROTO_IPV6, netbsd_abi::IPV6_HOPLIMIT)
    );
    assert_eq!(word(56), 64);
    let (ctl, flags) = recv(16);
    assert_eq!(ctl.len(), 16);
    assert_ne!(flags & netbsd_abi::MSG_CTRUNC, 0);
}

/// Two kernels on one shmif bus, each with its link-local address and a
/// global one (2001:db8::a and ::b), both past duplicate address detection.
struct Pair {
    a: Server,
    b: Server,
    ca: Client,
    cb: Client,
    ll_a: Ipv6Addr,
    ll_b: Ipv6Addr,
    g_a: Ipv6Addr,
    g_b: Ipv6Addr,
}

impl Pair {
    fn start(dir: &Path) -> Pair {
        let a = Server::start(dir, "a");
        let b = Server::start(dir, "b");
        let (ca, cb) = (a.client(), b.client());
        let (ll_a, ll_b) = (link_local(a.shmif_up("bus")), link_local(b.shmif_up("bus")));
        let (g_a, g_b): (Ipv6Addr, Ipv6Addr) = (
            "2001:db8::a".parse().unwrap(),
            "2001:db8::b".parse().unwrap(),
        );
        add_addr(&ca, "shmif0", &g_a, 64);
        add_addr(&cb, "shmif0", &g_b, 64);
        for (c, x) in [(&ca, ll_a), (&cb, ll_b), (&ca, g_a), (&cb, g_b)] {
            assert_eq!(wait_ready(c, "shmif0", &x), 0);
        }
        Pair {
            a,
            b,
            ca,
            cb,
            ll_a,
            ll_b,
            g_a,
            g_b,
        }
    }
}

/// Issue #20: two of our kernels on a shmif bus move data by TCP over
/// IPv6, 100 MiB by global address and some by link-local address (with
/// its scope) each way, and UDP datagrams by both; `accept` and
/// `recvfrom` name the peer with its scope id.
#[test]
fn two_kernels_move_tcp_and_udp_over_ipv6() {
    let dir = tempdir("inet6-tcp");
    let Pair {
        a,
        b,
        ca,
        cb,
        ll_a,
        ll_b,
        g_a,
        g_b,
    } = Pair::start(&dir);
    // shmif0 is interface 2 on both.
    let lb = tcp_listen6(&cb, 6000);
    let peer = tcp6_transfer(&a, &cb, lb, (g_b, 0, 6000), 100 << 20);
    assert_eq!(sin6_of(&peer), (g_a, 0));
    let peer = tcp6_transfer(&a, &cb, lb, (ll_b, 2, 6000), 1 << 20);
    assert_eq!(
        sin6_of(&peer),
        (ll_a, 2),
        "a link-local peer has its scope id"
    );
    let la = tcp_listen6(&ca, 6001);
    let peer = tcp6_transfer(&b, &ca, la, (ll_a, 2, 6001), 4 << 20);
    assert_eq!(sin6_of(&peer), (ll_b, 2));
    let peer = tcp6_transfer(&b, &ca, la, (g_a, 0, 6001), 4 << 20);
    assert_eq!(sin6_of(&peer), (g_b, 0));
    // UDP: b listens on [::]:6002; a sends to both of b's addresses.
    let ub = socket(&cb, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let mut sa = sockaddr6(&Ipv6Addr::UNSPECIFIED, 0);
    sa[sin6::sin6_port.range()].copy_from_slice(&6002u16.to_be_bytes());
    call(
        &cb,
        &m,
        netbsd_abi::SYS_bind,
        &[ub, m.add(&sa), sa.len() as u64],
    )
    .unwrap();
    let ua = socket(&ca, netbsd_abi::SOCK_DGRAM, 0);
    for (dst, scope, from) in [(g_b, 0, (g_a, 0)), (ll_b, 2, (ll_a, 2))] {
        let m = Regions::new();
        let mut to = sockaddr6(&dst, scope);
        to[sin6::sin6_port.range()].copy_from_slice(&6002u16.to_be_bytes());
        let msg = format!("to {dst}");
        let args = [
            ua,
            m.add(msg.as_bytes()),
            msg.len() as u64,
            0,
            m.add(&to),
            to.len() as u64,
        ];
        assert_eq!(
            call(&ca, &m, netbsd_abi::SYS_sendto, &args),
            Ok(msg.len() as u64)
        );
        let m = Regions::new();
        let (buf, fsa) = (m.add_zeroed(64), m.add_zeroed(sin6::SIZE));
        let flen = m.add(&(sin6::SIZE as u32).to_le_bytes());
        let n = call(
            &cb,
            &m,
            netbsd_abi::SYS_recvfrom,
            &[ub, buf, 64, 0, fsa, flen],
        )
        .expect("recvfrom") as usize;
        assert_eq!(&m.get(buf)[..n], msg.as_bytes());
        assert_eq!(sin6_of(&m.get(fsa)), from);
    }
}

/// Acceptance 1 of issue #20: two unmodified python3 programs under the
/// hijack, each on its own kernel, move 100 MiB by TCP over IPv6 across
/// the bus (`AF_INET6` sockets, `sockaddr_in6` translated both ways), and
/// the sink names its peer by its global address.
#[test]
fn hijacked_python3_programs_move_100_mib_over_ipv6() {
    let dir = tempdir("inet6-python");
    let p = Pair::start(&dir);
    common::pytcp::tcp_transfer(&dir, &p.a.abs, &p.b.abs, "2001:db8::b", "2001:db8::a");
}
