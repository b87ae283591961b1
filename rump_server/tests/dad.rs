//! IPv4 duplicate address detection between kernels on a shmif bus, as
//! NetBSD's `arp_dad_*` runs it (RFC 5227): a new address on an interface
//! that is up is tentative while three ARP probes go out, usable within
//! seven seconds and then announced twice; a kernel whose new address
//! another one already has finds it duplicated; `net.inet.ip.dad_count=0`
//! leaves the address usable at once. The bus is read back with
//! shmif_dumpbus and tcpdump, which we did not write.

mod common;

use common::*;
use rumpclient::{Client, Regions};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A kernel in the foreground (`-s`) with the network components, its
/// console in `NAME.log` in the test's folder; halted when dropped.
struct Server {
    dir: PathBuf,
    url: String,
    /// The socket's URL with its absolute path, for the client library.
    abs: String,
    log: PathBuf,
    child: Child,
}

impl Server {
    fn start(dir: &Path, name: &str) -> Server {
        let url = format!("unix://{name}");
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(bin("rump_server"))
            .current_dir(dir)
            .args([
                "-s",
                "-lrumpnet",
                "-lrumpnet_netinet",
                "-lrumpnet_shmif",
                &url,
            ])
            .stdout(Stdio::null())
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

    /// Run a tool against this kernel; it must succeed. Its stdout.
    fn run(&self, name: &str, args: &[&str]) -> String {
        let o = tool(&self.dir, &self.url, name, args);
        assert!(
            o.status.success(),
            "{name} {args:?}: {:?}\n{}{}",
            o.status,
            stdout(&o),
            stderr(&o)
        );
        stdout(&o)
    }

    /// shmif0 on `bus`, up, with no address yet.
    fn shmif_up(&self, bus: &str) {
        self.run("rump.ifconfig", &["shmif0", "create"]);
        self.run("rump.ifconfig", &["shmif0", "linkstr", bus]);
        self.run("rump.ifconfig", &["shmif0", "up"]);
    }

    /// The line of `ifconfig shmif0` for address `a`.
    fn inet_line(&self, a: &str) -> String {
        let out = self.run("rump.ifconfig", &["shmif0"]);
        out.lines()
            .find(|l| {
                let l = l.trim_start();
                l.starts_with(&format!("inet {a} ")) || l.starts_with(&format!("inet alias {a} "))
            })
            .unwrap_or_else(|| panic!("no {a} in:\n{out}"))
            .to_owned()
    }

    /// The console so far.
    fn console(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// `bind(2)` of a new UDP socket to `addr`:0, over the client library.
    fn bind_udp(&self, addr: [u8; 4]) -> Result<(), rumpclient::Errno> {
        self.bind(netbsd_abi::SOCK_DGRAM, 0, addr)
    }

    /// `bind(2)` of a new socket of `typ` and `proto` to `addr`:0.
    fn bind(&self, typ: i32, proto: i32, addr: [u8; 4]) -> Result<(), rumpclient::Errno> {
        use netbsd_abi::layout::sockaddr_in;
        let c = Client::connect(&self.abs).unwrap();
        let m = Regions::new();
        let fd = c.syscall(
            netbsd_abi::SYS___socket30,
            &[netbsd_abi::AF_INET as u64, typ as u64, proto as u64],
            &m,
        )?[0] as u64;
        let mut sa = vec![0u8; sockaddr_in::SIZE];
        sockaddr_in::sin_len.put(&mut sa, sockaddr_in::SIZE as u64);
        sockaddr_in::sin_family.put(&mut sa, netbsd_abi::AF_INET as u64);
        sa[sockaddr_in::sin_addr.range()].copy_from_slice(&addr);
        let r = c.syscall(
            netbsd_abi::SYS_bind,
            &[fd, m.add(&sa), sockaddr_in::SIZE as u64],
            &m,
        );
        c.syscall(netbsd_abi::SYS_close, &[fd], &m)?;
        r.map(|_| ())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = tool(&self.dir, &self.url, "rump.halt", &[]);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The bus as tcpdump reads it (`-tt`: seconds since the epoch first).
fn tcpdump(dir: &Path, bus: &str) -> Vec<(f64, String)> {
    let pcap = dir.join(format!("{bus}.pcap"));
    let o = Command::new(bin("shmif_dumpbus"))
        .current_dir(dir)
        .args(["-p", pcap.to_str().unwrap(), bus])
        .output()
        .unwrap();
    assert!(o.status.success(), "shmif_dumpbus: {}", stderr(&o));
    let o = Command::new("tcpdump")
        .args(["-tt", "-n", "-r", pcap.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "tcpdump: {}", stderr(&o));
    stdout(&o)
        .lines()
        .filter_map(|l| {
            let (t, rest) = l.split_once(' ')?;
            Some((t.parse().ok()?, rest.to_owned()))
        })
        .collect()
}

#[test]
fn a_new_address_is_tentative_then_probed_usable_and_announced() {
    let dir = tempdir("dad-tentative");
    let s = Server::start(&dir, "s1");
    assert_eq!(
        s.run("rump.sysctl", &["net.inet.ip.dad_count"]),
        "net.inet.ip.dad_count = 3\n"
    );
    s.shmif_up("bus");
    let added = Instant::now();
    s.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    let line = s.inet_line("10.0.0.1");
    assert!(line.ends_with(" tentative"), "{line}");
    // A tentative address cannot be bound to (in_pcbbind_addr).
    assert_eq!(
        s.bind_udp([10, 0, 0, 1]),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    // At most PROBE_WAIT + 2 * PROBE_MAX + ANNOUNCE_WAIT = 7 seconds.
    let usable = loop {
        let line = s.inet_line("10.0.0.1");
        if !line.contains("tentative") {
            assert!(!line.contains("duplicated"), "{line}");
            break added.elapsed();
        }
        assert!(added.elapsed() < Duration::from_secs(9), "still {line}");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(
        usable >= Duration::from_millis(3900),
        "usable after {usable:?}"
    );
    assert_eq!(s.bind_udp([10, 0, 0, 1]), Ok(()));
    // rump.ifconfig -w has nothing to wait for now.
    s.run("rump.ifconfig", &["-w", "1"]);
    // The second announcement, ANNOUNCE_INTERVAL after the first.
    std::thread::sleep(Duration::from_millis(2500));
    let dump = tcpdump(&dir, "bus");
    let probes: Vec<f64> = dump
        .iter()
        .filter(|(_, l)| l.contains("Request who-has 10.0.0.1 tell 0.0.0.0"))
        .map(|(t, _)| *t)
        .collect();
    let announcements: Vec<f64> = dump
        .iter()
        .filter(|(_, l)| {
            l.contains("Announcement 10.0.0.1") || l.contains("who-has 10.0.0.1 tell 10.0.0.1")
        })
        .map(|(t, _)| *t)
        .collect();
    let text = format!("{dump:#?}");
    assert_eq!(probes.len(), 3, "{text}");
    assert_eq!(announcements.len(), 2, "{text}");
    // PROBE_MIN to PROBE_MAX between probes, ANNOUNCE_WAIT to the first
    // announcement, ANNOUNCE_INTERVAL to the second: never early; the
    // upper bounds leave half a second for a busy machine.
    for w in probes.windows(2) {
        let gap = w[1] - w[0];
        assert!((0.95..=2.5).contains(&gap), "probes {gap} s apart: {text}");
    }
    let wait = announcements[0] - probes[2];
    assert!(
        (1.95..=2.6).contains(&wait),
        "announced {wait} s after: {text}"
    );
    let gap = announcements[1] - announcements[0];
    assert!(
        (1.95..=2.6).contains(&gap),
        "announcements {gap} s apart: {text}"
    );
    assert_eq!(dump.len(), 5, "nothing else went out: {text}");
}

#[test]
fn the_second_kernel_with_an_address_finds_it_duplicated() {
    let dir = tempdir("dad-duplicated");
    let first = Server::start(&dir, "s1");
    let second = Server::start(&dir, "s2");
    first.shmif_up("bus");
    second.shmif_up("bus");
    first.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    first.run("rump.ifconfig", &["-w", "10"]);
    second.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    let t = Instant::now();
    loop {
        let line = second.inet_line("10.0.0.1");
        if line.ends_with(" duplicated") {
            break;
        }
        assert!(line.ends_with(" tentative"), "{line}");
        assert!(t.elapsed() < Duration::from_secs(5), "still {line}");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The first kernel answered the probe and keeps its address.
    assert!(
        first
            .inet_line("10.0.0.1")
            .ends_with("broadcast 10.0.0.255")
    );
    // A duplicated address stays unusable; -w does not wait for it.
    assert_eq!(
        second.bind_udp([10, 0, 0, 1]),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    second.run("rump.ifconfig", &["-w", "1"]);
    eventually("the console to say so", || {
        second
            .console()
            .contains("shmif0: DAD detected duplicate IPv4 address 10.0.0.1: ARP out=1\n")
    });
    // Taken anyway without detection, it is announced, and the first
    // kernel logs the conflict and defends its address, which the second
    // one logs in turn.
    second.run("rump.sysctl", &["-w", "net.inet.ip.dad_count=0"]);
    second.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1", "delete"]);
    second.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    assert!(
        second
            .inet_line("10.0.0.1")
            .ends_with("broadcast 10.0.0.255")
    );
    let mac = |s: &Server| {
        let out = s.run("rump.ifconfig", &["shmif0"]);
        out.lines()
            .find_map(|l| l.trim().strip_prefix("address: ").map(str::to_owned))
            .unwrap()
    };
    let (mac1, mac2) = (mac(&first), mac(&second));
    eventually("the first kernel to log the conflict", || {
        first.console().contains(&format!(
            "duplicate IP address 10.0.0.1 sent from link address {mac2}\n"
        ))
    });
    eventually("the second kernel to log the defence", || {
        second.console().contains(&format!(
            "duplicate IP address 10.0.0.1 sent from link address {mac1}\n"
        ))
    });
}

#[test]
fn dad_count_zero_makes_a_new_address_usable_at_once() {
    let dir = tempdir("dad-off");
    let s = Server::start(&dir, "s1");
    let peer = Server::start(&dir, "s2");
    assert_eq!(
        s.run("rump.sysctl", &["-w", "net.inet.ip.dad_count=0"]),
        "net.inet.ip.dad_count: 3 -> 0\n"
    );
    peer.run("rump.sysctl", &["-w", "net.inet.ip.dad_count=0"]);
    s.shmif_up("bus");
    peer.shmif_up("bus");
    s.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    peer.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.2/24"]);
    assert!(s.inet_line("10.0.0.1").ends_with("broadcast 10.0.0.255"));
    assert_eq!(s.bind_udp([10, 0, 0, 1]), Ok(()));
    let out = s.run("rump.ping", &["-c", "1", "10.0.0.2"]);
    assert!(out.contains("1 packets received"), "{out}");
    // No probes: each address was announced once, at once.
    let dump = tcpdump(&dir, "bus");
    let text = format!("{dump:#?}");
    assert!(!text.contains("tell 0.0.0.0"), "{text}");
}

#[test]
fn an_address_added_before_the_interface_is_up_takes_no_detection() {
    // As NetBSD's if_do_dad: the interface is not up and running when
    // the address comes, so the address is usable once it is.
    let dir = tempdir("dad-down");
    let s = Server::start(&dir, "s1");
    s.run("rump.ifconfig", &["shmif0", "create"]);
    s.run("rump.ifconfig", &["shmif0", "linkstr", "bus"]);
    s.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    assert!(s.inet_line("10.0.0.1").ends_with("broadcast 10.0.0.255"));
    // Down, it is detached; up again, usable.
    s.run("rump.ifconfig", &["shmif0", "down"]);
    assert!(s.inet_line("10.0.0.1").ends_with(" detached"));
    assert_eq!(
        s.bind_udp([10, 0, 0, 1]),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    s.run("rump.ifconfig", &["shmif0", "up"]);
    assert!(s.inet_line("10.0.0.1").ends_with("broadcast 10.0.0.255"));
    // An alias added now is tentative, and after down and up again too.
    s.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.2/24", "alias"]);
    assert!(s.inet_line("10.0.0.2").ends_with(" tentative"));
    s.run("rump.ifconfig", &["shmif0", "down"]);
    assert!(s.inet_line("10.0.0.2").ends_with(" detached"));
    s.run("rump.ifconfig", &["shmif0", "up"]);
    assert!(s.inet_line("10.0.0.2").ends_with(" tentative"));
    s.run("rump.ifconfig", &["-w", "10"]);
    assert!(s.inet_line("10.0.0.2").ends_with("broadcast 10.0.0.255"));
}

#[test]
fn a_tentative_address_takes_no_traffic_until_it_is_usable() {
    let dir = tempdir("dad-input");
    let s = Server::start(&dir, "s1");
    let peer = Server::start(&dir, "s2");
    peer.run("rump.sysctl", &["-w", "net.inet.ip.dad_count=0"]);
    s.shmif_up("bus");
    peer.shmif_up("bus");
    peer.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.2/24"]);
    s.run("rump.ifconfig", &["shmif0", "inet", "10.0.0.1/24"]);
    // Raw sockets may bind to it (rip_bind tests IPv6's NOTREADY bits,
    // which in IPv4's are duplicated and detached), UDP ones not.
    assert_eq!(
        s.bind(
            netbsd_abi::SOCK_RAW,
            netbsd_abi::IPPROTO_ICMP,
            [10, 0, 0, 1]
        ),
        Ok(())
    );
    assert_eq!(
        s.bind_udp([10, 0, 0, 1]),
        Err(rumpclient::Errno::EADDRNOTAVAIL)
    );
    // Its ARP requests are not answered, so nothing reaches it.
    let o = tool(
        &dir,
        &peer.url,
        "rump.ping",
        &["-c", "1", "-w", "1", "10.0.0.1"],
    );
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).contains("100.0% packet loss"), "{}", stdout(&o));
    assert!(s.inet_line("10.0.0.1").ends_with(" tentative"));
    s.run("rump.ifconfig", &["-w", "10"]);
    let out = peer.run("rump.ping", &["-c", "1", "10.0.0.1"]);
    assert!(out.contains("1 packets received"), "{out}");
}
