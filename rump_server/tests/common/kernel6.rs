//! Our kernels with IPv6 for the tests that meet over shmif buses or a
//! tap: servers with the IPv6 components, and requests made over the
//! client library with NetBSD's numbers and layouts, so that nothing of
//! the kernel's own code builds them.

use super::*;
use netbsd_abi::layout::sockaddr_in6 as sin6;
use rumpclient::{Client, Regions};
use std::net::Ipv6Addr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// `sizeof(struct in6_ifreq)` and `struct in6_aliasreq` on NetBSD/amd64
/// (`netinet6/in6_var.h`): the name, then a union as large as
/// `struct icmp6_ifstat` (34 `u_quad_t`); the name, three
/// `sockaddr_in6`, flags and a 24-byte lifetime.
pub const IN6_IFREQ: usize = 16 + 34 * 8;
pub const IN6_ALIASREQ: usize = 16 + 3 * 28 + 4 + 24;
pub const SIOCGIFAFLAG_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 73, IN6_IFREQ);
pub const SIOCAIFADDR_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_IN, b'i', 107, IN6_ALIASREQ);
/// `IN6_IFF_TENTATIVE`, `IN6_IFF_DUPLICATED`.
pub const TENTATIVE: u32 = 0x02;
pub const DUPLICATED: u32 = 0x04;

pub struct Server {
    pub dir: PathBuf,
    pub url: String,
    pub abs: String,
    log: PathBuf,
    child: Child,
}

impl Server {
    pub fn start(dir: &Path, name: &str) -> Server {
        let url = format!("unix://{name}");
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(bin("rump_server"))
            .current_dir(dir)
            .args([
                "-s",
                "-lrumpnet",
                "-lrumpnet_netinet",
                "-lrumpnet_netinet6",
                "-lrumpnet_shmif",
                &url,
            ])
            .stdout(std::fs::File::create(dir.join(format!("{name}.out"))).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let abs = format!("unix://{}", dir.join(name).display());
        eventually("the server to answer", || Client::connect(&abs).is_ok());
        Server {
            dir: dir.to_path_buf(),
            url,
            abs,
            log,
            child,
        }
    }

    pub fn run(&self, name: &str, args: &[&str]) -> String {
        let o = tool(&self.dir, &self.url, name, args);
        assert!(o.status.success(), "{name} {args:?}: {}", stderr(&o));
        stdout(&o)
    }

    /// shmif0 on `bus`, up; its Ethernet address.
    pub fn shmif_up(&self, bus: &str) -> [u8; 6] {
        self.shmif_on("shmif0", bus)
    }

    /// Interface `ifname` (a shmif) on `bus`, up; its Ethernet address.
    pub fn shmif_on(&self, ifname: &str, bus: &str) -> [u8; 6] {
        self.run("rump.ifconfig", &[ifname, "create"]);
        self.run("rump.ifconfig", &[ifname, "linkstr", bus]);
        self.run("rump.ifconfig", &[ifname, "up"]);
        let out = self.run("rump.ifconfig", &[ifname]);
        let line = out
            .lines()
            .find_map(|l| l.trim().strip_prefix("address: "))
            .unwrap_or_else(|| panic!("no address in {out}"));
        let v: Vec<u8> = line
            .split(':')
            .map(|h| u8::from_str_radix(h, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    pub fn client(&self) -> Client {
        Client::connect(&self.abs).unwrap()
    }

    /// The console so far (the kernel's messages go to stdout).
    pub fn console(&self) -> String {
        let out = std::fs::read_to_string(
            self.dir
                .join(format!("{}.out", self.url.trim_start_matches("unix://"))),
        )
        .unwrap_or_default();
        out + &std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = tool(&self.dir, &self.url, "rump.halt", &[]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Three kernels in `dir`: A on bus 1, router R on buses 1 (shmif0) and 2
/// (shmif1), B on bus 2, with 2001:db8:1::a and 2001:db8:1::1 on bus 1
/// and 2001:db8:2::1 and 2001:db8:2::b on bus 2 (each a /64), past
/// duplicate address detection; and R's link-local address (on its
/// shmif0, bus 1), a gateway for A. No routes yet.
pub fn router_between_two_buses(dir: &Path) -> (Server, Server, Server, Ipv6Addr) {
    let (a, r, b) = (
        Server::start(dir, "a"),
        Server::start(dir, "r"),
        Server::start(dir, "b"),
    );
    a.shmif_on("shmif0", "bus1");
    let r_mac = r.shmif_on("shmif0", "bus1");
    r.shmif_on("shmif1", "bus2");
    b.shmif_on("shmif0", "bus2");
    for (s, ifname, addr) in [
        (&a, "shmif0", "2001:db8:1::a/64"),
        (&r, "shmif0", "2001:db8:1::1/64"),
        (&r, "shmif1", "2001:db8:2::1/64"),
        (&b, "shmif0", "2001:db8:2::b/64"),
    ] {
        s.run("rump.ifconfig", &[ifname, "inet6", addr, "alias"]);
    }
    for s in [&a, &r, &b] {
        s.run("rump.ifconfig", &["-w", "10"]);
    }
    (a, r, b, link_local(r_mac))
}

pub fn sockaddr6(a: &Ipv6Addr, scope: u32) -> Vec<u8> {
    let mut sa = vec![0u8; sin6::SIZE];
    sin6::sin6_len.put(&mut sa, sin6::SIZE as u64);
    sin6::sin6_family.put(&mut sa, netbsd_abi::AF_INET6 as u64);
    sa[sin6::sin6_addr.range()].copy_from_slice(&a.octets());
    sin6::sin6_scope_id.put(&mut sa, u64::from(scope));
    sa
}

pub fn socket(c: &Client, typ: i32, proto: i32) -> u64 {
    let m = Regions::new();
    c.syscall(
        netbsd_abi::SYS___socket30,
        &[netbsd_abi::AF_INET6 as u64, typ as u64, proto as u64],
        &m,
    )
    .unwrap()[0] as u64
}

pub fn ifreq_name(buf: &mut [u8], name: &str) {
    buf[..name.len()].copy_from_slice(name.as_bytes());
}

/// `SIOCGIFAFLAG_IN6`: the flags of `a` on `ifname`.
pub fn addr_flags(c: &Client, ifname: &str, a: &Ipv6Addr) -> Result<u32, rumpclient::Errno> {
    let fd = socket(c, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let mut req = vec![0u8; IN6_IFREQ];
    ifreq_name(&mut req, ifname);
    req[16..16 + sin6::SIZE].copy_from_slice(&sockaddr6(a, 0));
    let p = m.add(&req);
    let r = c.syscall(netbsd_abi::SYS_ioctl, &[fd, SIOCGIFAFLAG_IN6, p], &m);
    c.syscall(netbsd_abi::SYS_close, &[fd], &m).unwrap();
    r?;
    let out = m.get(p);
    Ok(u32::from_le_bytes(out[16..20].try_into().unwrap()))
}

/// `SIOCAIFADDR_IN6`: add `a`/`len` to `ifname`.
pub fn add_addr(c: &Client, ifname: &str, a: &Ipv6Addr, len: u8) {
    let fd = socket(c, netbsd_abi::SOCK_DGRAM, 0);
    let m = Regions::new();
    let mut req = vec![0u8; IN6_ALIASREQ];
    ifreq_name(&mut req, ifname);
    req[16..16 + sin6::SIZE].copy_from_slice(&sockaddr6(a, 0));
    let mask = Ipv6Addr::from(u128::MAX << (128 - u32::from(len)));
    req[16 + 56..16 + 84].copy_from_slice(&sockaddr6(&mask, 0));
    let p = m.add(&req);
    c.syscall(netbsd_abi::SYS_ioctl, &[fd, SIOCAIFADDR_IN6, p], &m)
        .unwrap();
    c.syscall(netbsd_abi::SYS_close, &[fd], &m).unwrap();
}

/// Wait until `a` on `ifname` has none of `flags`, or give up.
pub fn wait_ready(c: &Client, ifname: &str, a: &Ipv6Addr) -> u32 {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let f = addr_flags(c, ifname, a).unwrap();
        if f & TENTATIVE == 0 || Instant::now() > until {
            return f;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Send an echo request to `dst` (scope `scope`) on a raw ICMPv6 socket
/// and wait up to three seconds for the reply with its identifier,
/// sequence and data: the reply's sender.
pub fn ping6(c: &Client, dst: &Ipv6Addr, scope: u32) -> Option<Ipv6Addr> {
    let fd = socket(c, netbsd_abi::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6);
    let m = Regions::new();
    // Echo request, identifier 0x6464, sequence 7, eight bytes of data;
    // the kernel fills in the checksum (RFC 3542 3.1).
    let req = [128u8, 0, 0, 0, 0x64, 0x64, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8];
    let to = sockaddr6(dst, scope);
    c.syscall(
        netbsd_abi::SYS_sendto,
        &[
            fd,
            m.add(&req),
            req.len() as u64,
            0,
            m.add(&to),
            to.len() as u64,
        ],
        &m,
    )
    .unwrap();
    let until = Instant::now() + Duration::from_secs(3);
    let mut got = None;
    while Instant::now() < until && got.is_none() {
        let buf = m.add_zeroed(256);
        let from = m.add_zeroed(sin6::SIZE);
        let flen = m.add(&(sin6::SIZE as u32).to_le_bytes());
        let r = c.syscall(
            netbsd_abi::SYS_recvfrom,
            &[fd, buf, 256, netbsd_abi::MSG_DONTWAIT as u64, from, flen],
            &m,
        );
        match r {
            Ok(n) => {
                let b = m.get(buf);
                let n = n[0] as usize;
                if n >= 8 && b[0] == 129 && b[4..8] == [0x64, 0x64, 0, 7] && b[8..n] == req[8..] {
                    let f = m.get(from);
                    let a: [u8; 16] = f[sin6::sin6_addr.range()].try_into().unwrap();
                    got = Some(Ipv6Addr::from(a));
                }
            }
            Err(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    c.syscall(netbsd_abi::SYS_close, &[fd], &m).unwrap();
    got
}

/// fe80:: with the modified EUI-64 of `mac` (RFC 4291 appendix A).
pub fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::new(
        0xfe80,
        0,
        0,
        0,
        u16::from_be_bytes([mac[0] ^ 2, mac[1]]),
        u16::from_be_bytes([mac[2], 0xff]),
        u16::from_be_bytes([0xfe, mac[3]]),
        u16::from_be_bytes([mac[4], mac[5]]),
    )
}

/// A system call through `c` with its own memory: the first return value.
pub fn call(c: &Client, m: &Regions, nr: usize, args: &[u64]) -> Result<u64, rumpclient::Errno> {
    c.syscall(nr, args, m).map(|r| r[0] as u64)
}

/// Byte `i` of what the transfers send.
pub fn pattern(i: usize) -> u8 {
    ((i * 7 + i / 251) % 256) as u8
}

/// An IPv6 TCP listener on port `port` of `c`'s kernel, bound to `::`.
pub fn tcp_listen6(c: &Client, port: u16) -> u64 {
    let fd = socket(c, netbsd_abi::SOCK_STREAM, 0);
    let m = Regions::new();
    let mut sa = sockaddr6(&Ipv6Addr::UNSPECIFIED, 0);
    sa[sin6::sin6_port.range()].copy_from_slice(&port.to_be_bytes());
    call(
        c,
        &m,
        netbsd_abi::SYS_bind,
        &[fd, m.add(&sa), sa.len() as u64],
    )
    .unwrap();
    call(c, &m, netbsd_abi::SYS_listen, &[fd, 5]).unwrap();
    fd
}

/// Move `n` bytes by TCP over IPv6 from `from`'s kernel to a listener
/// `lfd` on `to`'s, at `dst` (scope `scope`) port `port`: the bytes
/// arrive whole and in order, and the accepted socket's peer (what
/// `accept` wrote, a `sockaddr_in6`) is returned.
pub fn tcp6_transfer(
    from: &Server,
    to: &Client,
    lfd: u64,
    (dst, scope, port): (Ipv6Addr, u32, u16),
    n: usize,
) -> Vec<u8> {
    let sender = from.client();
    let src = std::thread::spawn(move || {
        let fd = socket(&sender, netbsd_abi::SOCK_STREAM, 0);
        let m = Regions::new();
        let mut sa = sockaddr6(&dst, scope);
        sa[sin6::sin6_port.range()].copy_from_slice(&port.to_be_bytes());
        call(
            &sender,
            &m,
            netbsd_abi::SYS_connect,
            &[fd, m.add(&sa), sa.len() as u64],
        )
        .expect("connect");
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
    let m = Regions::new();
    let peer = m.add_zeroed(sin6::SIZE);
    let plen = m.add(&(sin6::SIZE as u32).to_le_bytes());
    let afd = call(to, &m, netbsd_abi::SYS_accept, &[lfd, peer, plen]).expect("accept");
    let peer = m.get(peer);
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
    call(to, &Regions::new(), netbsd_abi::SYS_close, &[afd]).unwrap();
    assert_eq!(got, n, "the whole stream, then its end");
    peer
}

/// The address and scope id of a `sockaddr_in6`.
pub fn sin6_of(sa: &[u8]) -> (Ipv6Addr, u32) {
    let a: [u8; 16] = sa[sin6::sin6_addr.range()].try_into().unwrap();
    (
        Ipv6Addr::from(a),
        sin6::sin6_scope_id.get(sa).unwrap_or(0) as u32,
    )
}
