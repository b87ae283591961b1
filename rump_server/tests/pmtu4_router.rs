//! IPv4 path MTU discovery through a router kernel (RFC 1191, NetBSD's
//! `icmp_mtudisc`): kernel A on bus 1, router R on buses 1 and 2, kernel
//! B on bus 2 behind R's narrower second interface. A's TCP segments
//! leave with DF (`net.inet.ip.mtudisc` is on), R answers those too big
//! for its way out with "fragmentation needed" and the next-hop MTU, and
//! A's host route to B learns that MTU (`route get` shows it, flagged
//! `DYNAMIC`) while the connection sends smaller segments: the stream
//! arrives whole.

mod common;

use common::kernel6::{Server, call, pattern};
use common::*;
use netbsd_abi::layout::sockaddr_in as sin;
use rumpclient::{Client, Regions};

/// An IPv4 `sockaddr_in` for `a`:`port`.
fn sockaddr(a: [u8; 4], port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sin::SIZE];
    sin::sin_len.put(&mut sa, sin::SIZE as u64);
    sin::sin_family.put(&mut sa, netbsd_abi::AF_INET as u64);
    sa[sin::sin_port.range()].copy_from_slice(&port.to_be_bytes());
    sa[sin::sin_addr.range()].copy_from_slice(&a);
    sa
}

fn tcp_socket(c: &Client) -> u64 {
    let args = [
        netbsd_abi::AF_INET as u64,
        netbsd_abi::SOCK_STREAM as u64,
        0,
    ];
    call(c, &Regions::new(), netbsd_abi::SYS___socket30, &args).unwrap()
}

/// Move `n` bytes by TCP from `from`'s kernel to `to`'s at `dst:port`;
/// the bytes must arrive whole and in order.
fn transfer(from: &Server, to: &Client, dst: [u8; 4], port: u16, n: usize) {
    let lfd = tcp_socket(to);
    let m = Regions::new();
    let sa = sockaddr([0; 4], port);
    call(
        to,
        &m,
        netbsd_abi::SYS_bind,
        &[lfd, m.add(&sa), sa.len() as u64],
    )
    .unwrap();
    call(to, &m, netbsd_abi::SYS_listen, &[lfd, 1]).unwrap();
    let sender = from.client();
    let src = std::thread::spawn(move || {
        let fd = tcp_socket(&sender);
        let m = Regions::new();
        let sa = sockaddr(dst, port);
        let args = [fd, m.add(&sa), sa.len() as u64];
        call(&sender, &m, netbsd_abi::SYS_connect, &args).expect("connect");
        let block: Vec<u8> = (0..1 << 20).map(pattern).collect();
        let mut sent = 0;
        while sent < n {
            let off = sent % block.len();
            let len = (block.len() - off).min(n - sent).min(1 << 16);
            let m = Regions::new();
            let p = m.add(&block[off..off + len]);
            sent += call(&sender, &m, netbsd_abi::SYS_write, &[fd, p, len as u64]).expect("write")
                as usize;
        }
        call(&sender, &Regions::new(), netbsd_abi::SYS_close, &[fd]).unwrap();
    });
    let afd = call(to, &m, netbsd_abi::SYS_accept, &[lfd, 0, 0]).expect("accept");
    let mut got = 0usize;
    loop {
        let m = Regions::new();
        let buf = m.add_zeroed(1 << 16);
        let r = call(to, &m, netbsd_abi::SYS_read, &[afd, buf, 1 << 16]).expect("read") as usize;
        if r == 0 {
            break;
        }
        let b = m.get(buf);
        let wrong = (0..r).find(|&i| b[i] != pattern((got + i) % (1 << 20)));
        assert_eq!(
            wrong,
            None,
            "byte {} of the stream",
            got + wrong.unwrap_or(0)
        );
        got += r;
    }
    src.join().expect("sender");
    assert_eq!(got, n, "the whole stream, then its end");
}

#[test]
fn tcp_learns_the_path_mtu_from_a_routers_fragmentation_needed() {
    let dir = tempdir("pmtu4-router");
    let (a, r, b) = (
        Server::start(&dir, "a"),
        Server::start(&dir, "r"),
        Server::start(&dir, "b"),
    );
    a.shmif_on("shmif0", "bus1");
    r.shmif_on("shmif0", "bus1");
    r.shmif_on("shmif1", "bus2");
    b.shmif_on("shmif0", "bus2");
    a.run("rump.ifconfig", &["shmif0", "inet", "10.1.0.1/24"]);
    r.run("rump.ifconfig", &["shmif0", "inet", "10.1.0.2/24"]);
    r.run("rump.ifconfig", &["shmif1", "inet", "10.2.0.1/24"]);
    b.run("rump.ifconfig", &["shmif0", "inet", "10.2.0.2/24"]);
    a.run("rump.route", &["add", "-net", "10.2.0.0/24", "10.1.0.2"]);
    b.run("rump.route", &["add", "-net", "10.1.0.0/24", "10.2.0.1"]);
    r.run("rump.ifconfig", &["shmif1", "mtu", "1280"]);
    assert_eq!(
        a.run(
            "rump.sysctl",
            &["net.inet.ip.mtudisc", "net.inet.ip.mtudisctimeout"]
        ),
        "net.inet.ip.mtudisc = 1\nnet.inet.ip.mtudisctimeout = 600\n"
    );
    // No host route yet: the network route, no MTU.
    let got = a.run("rump.route", &["-n", "get", "10.2.0.2"]);
    assert!(got.contains("destination: 10.2.0.0\n"), "{got}");
    transfer(&a, &b.client(), [10, 2, 0, 2], 7000, 4 << 20);
    let got = a.run("rump.route", &["-n", "get", "10.2.0.2"]);
    assert!(got.contains("destination: 10.2.0.2\n"), "{got}");
    assert!(got.contains("    gateway: 10.1.0.2\n"), "{got}");
    assert!(got.contains("<UP,GATEWAY,HOST,DYNAMIC,DONE>"), "{got}");
    let numbers = got.lines().last().unwrap_or("");
    let cols: Vec<&str> = numbers.split_whitespace().collect();
    assert_eq!(cols.get(6), Some(&"1280"), "the mtu column of {got}");
    // B answers with segments no larger than R's narrow way let in.
    transfer(&b, &a.client(), [10, 1, 0, 1], 7001, 1 << 20);
}
