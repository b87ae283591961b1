//! The network faction with the installed binaries, as NetBSD's own tests
//! use it: rump_server processes on a shmif bus, configured with
//! rump.ifconfig and checked with rump.ping, the bus read back with
//! shmif_dumpbus and tcpdump.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Servers that are halted (or killed) however the test ends.
struct Servers {
    dir: std::path::PathBuf,
    urls: Vec<String>,
}

impl Drop for Servers {
    fn drop(&mut self) {
        for u in &self.urls {
            let _ = tool(&self.dir, u, "rump.halt", &[]);
        }
    }
}

impl Servers {
    /// Start `rump_allserver` daemons named `names` in `dir`, with `env`.
    fn allservers(dir: &Path, names: &[&str], env: &[(&str, &str)]) -> Servers {
        let mut s = Servers {
            dir: dir.to_path_buf(),
            urls: Vec::new(),
        };
        for name in names {
            let url = format!("unix://{name}");
            let st = Command::new(bin("rump_allserver"))
                .current_dir(dir)
                .envs(env.iter().copied())
                .arg(&url)
                .status()
                .unwrap();
            assert!(st.success(), "rump_allserver {url}");
            s.urls.push(url);
        }
        s
    }
}

fn ok(o: &std::process::Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Start `n` servers with the network components loaded by `-l`, each
/// with shmif0 on `bus` and address 1.1.1.(i+1).
fn bus_of_servers(dir: &Path, n: usize, bus: &str) -> Servers {
    let mut s = Servers {
        dir: dir.to_path_buf(),
        urls: Vec::new(),
    };
    for i in 1..=n {
        let url = format!("unix://sock{i}");
        let st = Command::new(bin("rump_server"))
            .current_dir(dir)
            .args(["-lrumpnet", "-lrumpnet_netinet", "-lrumpnet_shmif", &url])
            .status()
            .unwrap();
        assert!(st.success(), "rump_server {url}");
        s.urls.push(url.clone());
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "create"]),
            "create",
        );
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "linkstr", bus]),
            "linkstr",
        );
        let addr = format!("1.1.1.{i}");
        ok(
            &tool(dir, &url, "rump.ifconfig", &["shmif0", "inet", &addr]),
            "inet",
        );
        ok(&tool(dir, &url, "rump.ifconfig", &["-w", "10"]), "-w");
    }
    s
}

/// NetBSD's crossping (tests/net/if_shmif): eight kernels on one bus,
/// every one pings every other once.
#[test]
fn crossping_eight_servers_on_one_bus() {
    let dir = tempdir("crossping");
    let servers = bus_of_servers(&dir, 8, "bus");
    let mut pings = 0;
    for (i, url) in servers.urls.iter().enumerate() {
        for j in 1..=8 {
            if j == i + 1 {
                continue;
            }
            let o = tool(&dir, url, "rump.ping", &["-c", "1", &format!("1.1.1.{j}")]);
            let out = ok(&o, &format!("ping from 1.1.1.{} to 1.1.1.{j}", i + 1));
            assert!(
                out.contains(&format!("bytes from 1.1.1.{j}: icmp_seq=0 ttl=255")),
                "{out}"
            );
            assert!(out.contains("1 packets transmitted, 1 packets received, 0.0% packet loss"));
            pings += 1;
        }
    }
    assert_eq!(pings, 56);

    // The bus as pcap, read by tcpdump: the 56 requests and their replies
    // and the ARP exchanges that preceded them.
    let pcap = dir.join("bus.pcap");
    let o = Command::new(bin("shmif_dumpbus"))
        .current_dir(&dir)
        .args(["-p", pcap.to_str().unwrap(), "bus"])
        .output()
        .unwrap();
    let text = ok(&o, "shmif_dumpbus");
    assert!(
        text.starts_with("bus version 3, lock: 0, generation: 0"),
        "{text}"
    );
    let o = Command::new("tcpdump")
        .args(["-n", "-r", pcap.to_str().unwrap()])
        .output()
        .unwrap();
    let dump = ok(&o, "tcpdump");
    let requests = dump.matches("ICMP echo request").count();
    let replies = dump.matches("ICMP echo reply").count();
    assert_eq!((requests, replies), (56, 56), "{dump}");
    assert!(
        dump.contains("ARP, Request who-has 1.1.1.2 tell 1.1.1.1"),
        "{dump}"
    );
    assert!(dump.contains("ARP, Reply 1.1.1.2 is-at b2:a0:"), "{dump}");

    drop(servers);
    for i in 1..=8 {
        let sock = dir.join(format!("sock{i}"));
        eventually("the socket to go", || !sock.exists());
    }
}

/// rump.ifconfig's view and its errors, as NetBSD's ifconfig reports them.
#[test]
fn ifconfig_shows_and_refuses() {
    let dir = tempdir("ifconfig");
    let servers = bus_of_servers(&dir, 1, "bus");
    let url = &servers.urls[0];
    let out = ok(&tool(&dir, url, "rump.ifconfig", &["-a"]), "-a");
    assert!(out.starts_with("lo0: flags=0x8049<UP,LOOPBACK,RUNNING,MULTICAST> mtu 33624\n\tinet 127.0.0.1 netmask 0xff000000\n"), "{out}");
    assert!(out.contains("shmif0: flags=0x8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> mtu 1500\n\taddress: b2:a0:"), "{out}");
    assert!(
        out.contains("\tlinkstr: bus\n\tinet 1.1.1.1 netmask 0xff000000 broadcast 1.255.255.255\n"),
        "{out}"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.ifconfig", &["-l"]), "-l"),
        "lo0 shmif0\n"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.ifconfig", &["-C"]), "-C"),
        "lo shmif\n"
    );

    // A second create of the same name, a bus file that is not a bus, and
    // an interface brought up before it has a bus.
    let o = tool(&dir, url, "rump.ifconfig", &["shmif0", "create"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("File exists"), "{}", stderr(&o));
    std::fs::write(dir.join("notabus"), b"hello, world").unwrap();
    ok(
        &tool(&dir, url, "rump.ifconfig", &["shmif1", "create"]),
        "create shmif1",
    );
    let o = tool(
        &dir,
        url,
        "rump.ifconfig",
        &["shmif1", "linkstr", "notabus"],
    );
    assert!(
        stderr(&o).contains("SIOCSLINKSTR: Exec format error"),
        "{}",
        stderr(&o)
    );
    let o = tool(&dir, url, "rump.ifconfig", &["shmif1", "up"]);
    assert!(
        stderr(&o).contains("SIOCSIFFLAGS: Device not configured"),
        "{}",
        stderr(&o)
    );
    // The linkstr of an interface that is up cannot change.
    let o = tool(&dir, url, "rump.ifconfig", &["shmif0", "linkstr", "other"]);
    assert!(
        stderr(&o).contains("SIOCSLINKSTR: Device busy"),
        "{}",
        stderr(&o)
    );
    ok(
        &tool(&dir, url, "rump.ifconfig", &["shmif1", "destroy"]),
        "destroy",
    );
    let o = tool(&dir, url, "rump.ifconfig", &["shmif1"]);
    assert!(!o.status.success());
    // Deleting the address takes its route: the subnet is unreachable.
    ok(
        &tool(
            &dir,
            url,
            "rump.ifconfig",
            &["shmif0", "inet", "1.1.1.1", "delete"],
        ),
        "delete",
    );
    let o = tool(&dir, url, "rump.ping", &["-c", "1", "1.1.1.2"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stderr(&o).contains("sendto: No route to host"),
        "{}",
        stderr(&o)
    );
}

/// A python3 program run unmodified under the hijack library on `url`.
fn python(dir: &Path, url: &str, prog: &str, args: &[&str]) -> Command {
    let mut c = Command::new("/usr/bin/python3");
    c.current_dir(dir)
        .arg("-c")
        .arg(prog)
        .args(args)
        .env("RUMP_SERVER", url)
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"));
    c
}

const TCP_SINK: &str = r#"
import socket, hashlib
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", 5000)); s.listen(1); print("ready", flush=True)
c, peer = s.accept(); h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 16)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest(), peer[0], flush=True)
"#;

const TCP_SOURCE: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes((i * 7 + i // 251) % 256 for i in range(1 << 20))
s = socket.socket(); s.connect((sys.argv[1], 5000)); h = hashlib.sha256(); sent = 0
while sent < n:
    b = block[: min(len(block), n - sent)]; s.sendall(b); h.update(b); sent += len(b)
s.close(); print(sent, h.hexdigest(), flush=True)
"#;

/// Move 100 MiB by TCP from a python3 on `from` to one on `to` (listening
/// at `to_addr`), and check that the sink read exactly what was sent, from
/// `from_addr`, to the end of the stream.
fn tcp_transfer(dir: &Path, from: &str, to: &str, to_addr: &str, from_addr: &str) {
    use std::io::BufRead;
    let mut sink = python(dir, to, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let n = (100 << 20).to_string();
    let o = python(dir, from, TCP_SOURCE, &[to_addr, &n])
        .output()
        .unwrap();
    let sent = ok(&o, "tcp source");
    let got = lines.next().unwrap().unwrap();
    // The sink saw the end of the stream (the source closed) and exits.
    assert!(sink.wait().unwrap().success());
    assert_eq!(
        format!("{got}\n"),
        sent.replace('\n', &format!(" {from_addr}\n"))
    );
    assert!(got.starts_with("104857600 "), "{got}");
}

/// NetBSD's router set-up: A and B on different buses, R on both with
/// forwarding on and routes set with rump.route; A pings B through R, and
/// 100 MiB cross by TCP byte for byte.
#[test]
fn router_forwards_ping_and_tcp() {
    let dir = tempdir("router");
    let _servers = Servers::allservers(&dir, &["A", "R", "B"], &[]);
    let (a, r, b) = ("unix://A", "unix://R", "unix://B");
    let cfg = |url: &str, args: &[&str]| ok(&tool(&dir, url, "rump.ifconfig", args), "ifconfig");
    cfg(
        a,
        &["shmif0", "create", "linkstr", "bus1", "inet", "1.1.1.1/24"],
    );
    cfg(
        r,
        &["shmif0", "create", "linkstr", "bus1", "inet", "1.1.1.2/24"],
    );
    cfg(
        r,
        &["shmif1", "create", "linkstr", "bus2", "inet", "2.2.2.1/24"],
    );
    cfg(
        b,
        &["shmif0", "create", "linkstr", "bus2", "inet", "2.2.2.2/24"],
    );
    // Without forwarding and routes, B is out of reach.
    let o = tool(&dir, a, "rump.ping", &["-c", "1", "2.2.2.2"]);
    assert_eq!(o.status.code(), Some(2));
    ok(
        &tool(&dir, r, "rump.sysctl", &["-w", "net.inet.ip.forwarding=1"]),
        "sysctl",
    );
    let out = ok(
        &tool(
            &dir,
            a,
            "rump.route",
            &["add", "-net", "2.2.2.0/24", "1.1.1.2"],
        ),
        "route",
    );
    assert_eq!(out, "add net 2.2.2.0: gateway 1.1.1.2\n");
    let out = ok(
        &tool(&dir, b, "rump.route", &["add", "default", "2.2.2.1"]),
        "route",
    );
    assert_eq!(out, "add net default: gateway 2.2.2.1\n");
    let out = ok(
        &tool(&dir, a, "rump.route", &["get", "2.2.2.2"]),
        "route get",
    );
    assert!(out.contains("destination: 2.2.2.0\n       mask: 255.255.255.0\n    gateway: 1.1.1.2\n local addr: 1.1.1.1\n  interface: shmif0\n      flags: <UP,GATEWAY,DONE,STATIC>\n"), "{out}");
    let out = ok(
        &tool(&dir, a, "rump.ping", &["-c", "2", "-i", "0.2", "2.2.2.2"]),
        "ping",
    );
    // One hop: the TTL B answers with (MAXTTL, as NetBSD's icmp_reflect)
    // is one less when it reaches A.
    assert!(
        out.contains("64 bytes from 2.2.2.2: icmp_seq=0 ttl=254"),
        "{out}"
    );
    let o = tool(&dir, a, "rump.traceroute", &["-n", "2.2.2.2"]);
    let out = ok(&o, "traceroute");
    assert_eq!(
        stderr(&o),
        "traceroute to 2.2.2.2 (2.2.2.2), 64 hops max, 40 byte packets\n"
    );
    let hops: Vec<&str> = out.lines().collect();
    assert_eq!(hops.len(), 2, "{out}");
    assert!(
        hops[0].starts_with(" 1  1.1.1.2  ") && hops[0].matches(" ms").count() == 3,
        "{out}"
    );
    assert!(hops[1].starts_with(" 2  2.2.2.2  "), "{out}");

    tcp_transfer(&dir, a, b, "2.2.2.2", "1.1.1.1");
    // Routes go as they came.
    let out = ok(
        &tool(
            &dir,
            a,
            "rump.route",
            &["delete", "-net", "2.2.2.0/24", "1.1.1.2"],
        ),
        "delete",
    );
    assert_eq!(out, "delete net 2.2.2.0: gateway 1.1.1.2\n");
    let o = tool(&dir, a, "rump.route", &["delete", "-net", "2.2.2.0/24"]);
    assert!(
        stderr(&o).contains("writing to routing socket: not in table"),
        "{}",
        stderr(&o)
    );
}

/// TCP over a bus that loses 5% of the frames each kernel sends and
/// reorders another 5%: 100 MiB arrive intact and both sides close.
#[test]
fn tcp_survives_a_lossy_reordering_bus() {
    let dir = tempdir("lossy");
    let s = Servers::allservers(
        &dir,
        &["A", "B"],
        &[("RUMP_SHMIF_IMPAIR", "drop=5,reorder=5")],
    );
    let cfg = |url: &str, addr: &str| {
        ok(
            &tool(
                &dir,
                url,
                "rump.ifconfig",
                &["shmif0", "create", "linkstr", "bus", "inet", addr],
            ),
            "ifconfig",
        )
    };
    cfg("unix://A", "1.1.1.1/24");
    cfg("unix://B", "1.1.1.2/24");
    tcp_transfer(&dir, "unix://A", "unix://B", "1.1.1.2", "1.1.1.1");
    // Closed cleanly on both sides: the source, which closed first, waits
    // in TIME_WAIT; the sink's side is gone once its FIN is acknowledged
    // (lost answers are sent again, so this may take a few round trips).
    let rows = |url: &str| {
        let out = ok(&tool(&dir, url, "rump.netstat", &["-an"]), "netstat");
        out.lines()
            .filter(|l| l.starts_with("tcp "))
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !rows("unix://B").is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert_eq!(
        rows("unix://B"),
        Vec::<String>::new(),
        "the sink's side closed"
    );
    let a = rows("unix://A");
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a[0].contains(" 1.1.1.2.5000 "), "{a:?}");
    assert!(a[0].ends_with(" TIME_WAIT"), "{a:?}");
    drop(s);
}

/// netstat, arp and the tables they read by sysctl (`net.route.rtable`,
/// `net.inet.*.pcblist`, `net.inet.*.stats`), with the installed tools.
#[test]
fn netstat_and_arp_show_the_tables() {
    let dir = tempdir("netstat");
    let _servers = Servers::allservers(&dir, &["A", "B"], &[]);
    let (a, b) = ("unix://A", "unix://B");
    for (url, addr) in [(a, "10.9.0.1/24"), (b, "10.9.0.2/24")] {
        let args = ["shmif0", "create", "linkstr", "bus", "inet", addr];
        ok(&tool(&dir, url, "rump.ifconfig", &args), "ifconfig");
    }
    ok(
        &tool(&dir, a, "rump.ping", &["-c", "1", "10.9.0.2"]),
        "ping",
    );

    let routes = ok(&tool(&dir, a, "rump.netstat", &["-rn"]), "netstat -rn");
    let lines: Vec<&str> = routes.lines().collect();
    assert_eq!(&lines[..3], ["Routing tables", "", "Internet:"], "{routes}");
    assert_eq!(
        lines[3],
        "Destination        Gateway            Flags    Refs      Use    Mtu Interface"
    );
    assert!(
        lines.contains(
            &"10.9.0/24          link#2             UC          -        -      -  shmif0"
        ),
        "{routes}"
    );
    // Each address's local route goes through lo0; lo0 has no 127/8.
    assert!(
        lines.contains(&"127.0.0.1          lo0                UHl         -        -  33624  lo0"),
        "{routes}"
    );
    assert!(
        lines.contains(&"10.9.0.1           link#2             UHl         -        -      -  lo0"),
        "{routes}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("127/8 ")), "{routes}");

    let ifs = ok(&tool(&dir, a, "rump.netstat", &["-i"]), "netstat -i");
    let ifs: Vec<&str> = ifs.lines().collect();
    assert_eq!(
        ifs[0],
        "Name  Mtu   Network       Address              Ipkts Ierrs    Opkts Oerrs Colls"
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("lo0   33624 127/8         127.0.0.1 "))
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("shmif 1500  <Link>        b2:a0:"))
    );
    assert!(
        ifs.iter()
            .any(|l| l.starts_with("shmif 1500  10.9.0/24     10.9.0.1 "))
    );

    // B answered A's ARP request: A has B's address.
    let arp = ok(&tool(&dir, a, "rump.arp", &["-an"]), "arp -an");
    assert!(arp.starts_with("? (10.9.0.2) at b2:a0:"), "{arp}");
    assert!(arp.trim_end().ends_with(" on shmif0"), "{arp}");
    ok(&tool(&dir, a, "rump.arp", &["-d", "10.9.0.2"]), "arp -d");
    assert_eq!(ok(&tool(&dir, a, "rump.arp", &["-an"]), "arp -an"), "");
    let o = tool(&dir, a, "rump.arp", &["-n", "10.9.0.2"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stderr(&o), "rump.arp: 10.9.0.2 (10.9.0.2) -- no entry\n");
    // No entry: the kernel says so to the delete, as NetBSD's arp shows.
    let o = tool(&dir, a, "rump.arp", &["-d", "10.9.0.2"]);
    assert_eq!(
        stderr(&o),
        "rump.arp: writing to routing socket: No such file or directory\n"
    );
    ok(
        &tool(
            &dir,
            a,
            "rump.arp",
            &["-s", "10.9.0.7", "00:11:22:33:44:55"],
        ),
        "arp -s",
    );
    assert_eq!(
        ok(&tool(&dir, a, "rump.arp", &["-n", "10.9.0.7"]), "arp"),
        "? (10.9.0.7) at 00:11:22:33:44:55 on shmif0 permanent\n"
    );

    let stats = ok(&tool(&dir, a, "rump.netstat", &["-ss"]), "netstat -ss");
    assert!(
        stats.contains("icmp:\n\tInput histogram:\n\t\techoreply: 1\n"),
        "{stats}"
    );
    let all = ok(&tool(&dir, a, "rump.netstat", &["-s"]), "netstat -s");
    assert!(all.contains("tcp:\n\t0 packets sent\n"), "{all}");

    // A listener, as netstat -an shows it.
    use std::io::BufRead;
    let mut sink = python(&dir, b, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let socks = ok(&tool(&dir, b, "rump.netstat", &["-an"]), "netstat -an");
    // sockstat: the listener, the process that holds it and its descriptor.
    let st = ok(&tool(&dir, b, "rump.sockstat", &["-4", "-l"]), "sockstat");
    let lines: Vec<&str> = st.lines().collect();
    assert_eq!(
        lines[0],
        "USER     COMMAND    PID   FD PROTO  LOCAL ADDRESS         FOREIGN ADDRESS"
    );
    assert_eq!(lines.len(), 2, "{st}");
    assert!(lines[1].starts_with("root     python3    "), "{st}");
    assert!(
        lines[1].ends_with(" tcp    *.5000                *.*"),
        "{st}"
    );
    assert_eq!(
        ok(&tool(&dir, b, "rump.sockstat", &["-c"]), "sockstat -c"),
        "",
        "nothing connected"
    );
    let _ = sink.kill();
    let _ = sink.wait();
    assert_eq!(
        socks,
        "Active Internet connections (including servers)\n\
         Proto Recv-Q Send-Q  Local Address          Foreign Address        State\n\
         tcp        0      0  *.5000                 *.*                    LISTEN\n"
    );
    let o = tool(&dir, b, "rump.netstat", &["-f", "inet6"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
}

/// Our TCP against Linux's: a rump kernel in a private namespace on a tap
/// device (virt0) that the Linux stack serves; ping both ways, then 20 MiB
/// by TCP each way between unmodified python3 on Linux and python3 under
/// the hijack library on the rump kernel.
#[test]
fn tcp_interoperates_with_linux_over_tap() {
    use std::io::BufRead;
    let dir = tempdir("tap");
    let ns = TapNs::new();
    let sock = dir.join("S");
    let url = format!("unix://{}", sock.display());
    let st = ns
        .cmd(bin("rump_allserver").to_str().unwrap())
        .arg(&url)
        .status()
        .unwrap();
    assert!(st.success(), "rump_allserver in the namespace");
    let _servers = Servers {
        dir: dir.clone(),
        urls: vec![url.clone()],
    };
    ok(
        &tool(
            &dir,
            &url,
            "rump.ifconfig",
            &["virt0", "create", "inet", "10.77.0.2/24"],
        ),
        "ifconfig virt0",
    );
    let shown = ok(&tool(&dir, &url, "rump.ifconfig", &["virt0"]), "ifconfig");
    assert!(shown.contains("linkstr: virt0"), "{shown}");
    ok(
        &tool(
            &dir,
            &url,
            "rump.ping",
            &["-c", "2", "-i", "0.2", "10.77.0.1"],
        ),
        "rump.ping to Linux",
    );
    let o = ns
        .cmd("ping")
        .args(["-c", "2", "-i", "0.2", "-W", "2", "10.77.0.2"])
        .output()
        .unwrap();
    ok(&o, "Linux ping to the rump kernel");

    let n = (20 << 20).to_string();
    // Linux sends to the rump kernel.
    let mut sink = python(&dir, &url, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let o = ns
        .cmd("/usr/bin/python3")
        .args(["-c", TCP_SOURCE, "10.77.0.2", &n])
        .output()
        .unwrap();
    let sent = ok(&o, "Linux tcp source");
    let got = lines.next().unwrap().unwrap();
    assert!(sink.wait().unwrap().success());
    assert_eq!(format!("{got}\n"), sent.replace('\n', " 10.77.0.1\n"));

    // The rump kernel sends to Linux.
    let mut sink = ns
        .cmd("/usr/bin/python3")
        .args(["-c", TCP_SINK])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let o = python(&dir, &url, TCP_SOURCE, &["10.77.0.1", &n])
        .output()
        .unwrap();
    let sent = ok(&o, "rump tcp source");
    let got = lines.next().unwrap().unwrap();
    assert!(sink.wait().unwrap().success());
    assert_eq!(format!("{got}\n"), sent.replace('\n', " 10.77.0.2\n"));
    assert!(got.starts_with("20971520 "), "{got}");
}

/// Unmodified python3 under the hijack library with local sockets routed
/// to the kernel: a socketpair, and a stream socket named in the kernel's
/// file system (a socket node that stat sees).
#[test]
fn python_uses_local_sockets_in_the_kernel() {
    use std::io::{BufRead, Write};
    let dir = tempdir("local");
    let _servers = Servers::allservers(&dir, &["L"], &[]);
    let prog = r#"
import socket, os, sys
a, b = socket.socketpair(); a.send(b"hi"); print("pair", b.recv(2))
s = socket.socket(socket.AF_UNIX); s.bind("/usock"); s.listen(1)
c = socket.socket(socket.AF_UNIX); c.connect("/usock")
x, _ = s.accept(); c.sendall(b"over unix"); print("named", x.recv(64))
print("node", oct(os.stat("/rump/usock").st_mode), flush=True)
sys.stdin.readline()
c.close(); print("eof", x.recv(8))
"#;
    let mut py = python(&dir, "unix://L", prog, &[])
        .env("RUMPHIJACK", "path=/rump,socket=all")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(py.stdout.take().unwrap());
    let mut lines = Vec::new();
    for _ in 0..3 {
        let mut l = String::new();
        out.read_line(&mut l).unwrap();
        lines.push(l);
    }
    assert_eq!(
        lines.concat(),
        "pair b'hi'\nnamed b'over unix'\nnode 0o140755\n"
    );
    // sockstat sees the local sockets the program holds, by name.
    let st = ok(
        &tool(&dir, "unix://L", "rump.sockstat", &["-u"]),
        "sockstat -u",
    );
    let rows: Vec<&str> = st.lines().skip(1).collect();
    assert_eq!(rows.len(), 5, "{st}");
    assert!(
        rows.iter().all(|r| r.starts_with("root     python3    ")),
        "{st}"
    );
    // PROTO, LOCAL ADDRESS (21 wide) and FOREIGN ADDRESS of a row.
    let count = |local: &str, foreign: &str| {
        let tail = format!(" stream {local:<21} {foreign}");
        rows.iter().filter(|r| r.ends_with(&tail)).count()
    };
    assert_eq!(
        count("/usock", "-"),
        2,
        "the listener and the accepted one: {st}"
    );
    assert_eq!(
        count("-", "-"),
        2,
        "the socketpair, connected but unnamed: {st}"
    );
    assert_eq!(count("-", "/usock"), 1, "the client: {st}");
    let listening = ok(
        &tool(&dir, "unix://L", "rump.sockstat", &["-l", "-u"]),
        "-l",
    );
    assert_eq!(listening.lines().count(), 2, "{listening}");
    py.stdin.take().unwrap().write_all(b"go\n").unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut out, &mut rest).unwrap();
    assert!(py.wait().unwrap().success());
    assert_eq!(rest, "eof b''\n");
}

/// One connection carries all of a hijacked program's threads at once,
/// as NetBSD's client library does: a thread blocked in the kernel
/// (`accept`) holds up no other thread's calls, and a signal handler that
/// makes a kernel call while its thread waits in one (python's wakeup
/// descriptor, a kernel socket here, as asyncio sets it) does not hang.
#[test]
fn python_threads_and_signal_handlers_share_the_connection() {
    let dir = tempdir("threads");
    let _servers = Servers::allservers(&dir, &["T"], &[]);
    let prog = r#"
import os, signal, socket, threading, time
s = socket.socket(socket.AF_UNIX); s.bind("/thr"); s.listen(2)
got = []
def serve():
    x, _ = s.accept()
    got.append(x.recv(64))
t = threading.Thread(target=serve); t.start()
time.sleep(0.3)
for i in range(50):
    os.stat("/rump/thr")
open("/rump/f", "w").write("x")
c = socket.socket(socket.AF_UNIX); c.connect("/thr"); c.sendall(b"while accepting")
t.join(10); print("accepted", got, t.is_alive(), flush=True)
r, w = socket.socketpair(); r.setblocking(False); w.setblocking(False)
signal.set_wakeup_fd(w.fileno())
signal.signal(signal.SIGUSR1, lambda *a: None)
main = threading.get_ident()
def poke():
    time.sleep(0.3); signal.pthread_kill(main, signal.SIGUSR1)
    time.sleep(0.3); socket.socket(socket.AF_UNIX).connect("/thr")
threading.Thread(target=poke).start()
y, _ = s.accept()
print("woken", r.recv(8)[0] == signal.SIGUSR1, flush=True)
"#;
    let o = python(&dir, "unix://T", prog, &[])
        .env("RUMPHIJACK", "path=/rump,socket=all")
        .output()
        .unwrap();
    assert_eq!(
        ok(&o, "threaded python"),
        "accepted [b'while accepting'] False\nwoken True\n"
    );
}

/// `rump.route show`, `flush` and `monitor`: the table by sysctl, and
/// the routing socket's announcements of interfaces, addresses and routes.
#[test]
fn route_show_flush_and_monitor() {
    let dir = tempdir("monitor");
    let _servers = Servers::allservers(&dir, &["M"], &[]);
    let url = "unix://M";
    let mut mon = Command::new(bin("rump.route"))
        .current_dir(&dir)
        .arg("monitor")
        .env("RUMP_SERVER", url)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Lines as the monitor prints them; it listens once a probe (a route
    // look-up, whose answer goes to every routing socket) reaches it.
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let stdout = mon.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        for l in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(l);
        }
    });
    let mut listening = false;
    for _ in 0..100 {
        let _ = tool(&dir, url, "rump.route", &["-n", "get", "127.0.0.1"]);
        if rx
            .recv_timeout(std::time::Duration::from_millis(200))
            .is_ok()
        {
            listening = true;
            break;
        }
    }
    assert!(listening, "route monitor never heard a message");
    let cfg = |args: &[&str]| ok(&tool(&dir, url, "rump.ifconfig", args), "ifconfig");
    cfg(&["shmif0", "create", "linkstr", "bus", "inet", "10.5.0.1/24"]);
    ok(
        &tool(
            &dir,
            url,
            "rump.route",
            &["add", "-net", "10.6.0.0/24", "10.5.0.9"],
        ),
        "route add",
    );
    let show = ok(&tool(&dir, url, "rump.route", &["-n", "show"]), "show");
    assert!(
        show.contains(
            "\n10.6.0/24          10.5.0.9           UG          -        -      -  shmif0\n"
        ),
        "{show}"
    );
    assert!(
        show.contains(
            "\n10.5.0/24          link#2             U           -        -      -  shmif0\n"
        ),
        "{show}"
    );
    assert_eq!(
        ok(&tool(&dir, url, "rump.route", &["flush"]), "flush"),
        "10.6.0/24            done\n"
    );
    let show = ok(&tool(&dir, url, "rump.route", &["-n", "show"]), "show");
    assert!(!show.contains("10.6.0/24"), "{show}");
    cfg(&["shmif0", "destroy"]);
    // Read until the departure, then stop the monitor.
    let mut text = String::new();
    while let Ok(l) = rx.recv_timeout(std::time::Duration::from_secs(10)) {
        text.push_str(&l);
        text.push('\n');
        if l.ends_with("what: departure") {
            break;
        }
    }
    let _ = mon.kill();
    let _ = mon.wait();
    let _ = reader.join();
    // The messages in order, without the times and the probes' answers.
    let msgs: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("RTM_") && !l.starts_with("RTM_GET"))
        .map(|l| l.split(": len").next().unwrap_or(""))
        .collect();
    assert_eq!(
        msgs,
        [
            "RTM_IFANNOUNCE: iface arrival/departure",
            // The address's local route, then its prefix route.
            "RTM_NEWADDR: address being added to iface",
            "RTM_ADD: Add Route",
            "RTM_NEWADDR: address being added to iface",
            "RTM_ADD: Add Route",
            "RTM_IFINFO: iface status change",
            "RTM_ADD: Add Route",
            "RTM_DELETE: Delete Route",
            // The prefix route goes, then the local route.
            "RTM_DELETE: Delete Route",
            "RTM_DELADDR: address being removed from iface",
            "RTM_DELETE: Delete Route",
            "RTM_DELADDR: address being removed from iface",
            "RTM_IFANNOUNCE: iface arrival/departure",
        ],
        "{text}"
    );
    assert!(text.contains("if# 2, what: arrival\n"), "{text}");
    assert!(text.contains("if# 2, what: departure\n"), "{text}");
    assert!(
        text.contains("sockaddrs: <NETMASK,IFA,BRD>\n 255.255.255.0 10.5.0.1 10.5.0.255\n"),
        "{text}"
    );
    assert!(
        text.contains("if# 2, carrier: active, flags: <UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST>\n"),
        "{text}"
    );
}

/// One `sendall` of 256 MiB: the program hands the kernel the whole
/// buffer in one call (a `sendto` of 256 MiB, then of what is left).
const TCP_SENDALL: &str = r#"
import socket, hashlib, sys
n = int(sys.argv[2]); block = bytes(i % 251 for i in range(251 * 4177))
data = (block * (n // len(block) + 1))[:n]
s = socket.socket(); s.connect((sys.argv[1], 5000)); s.sendall(data)
s.close(); print(n, hashlib.sha256(data).hexdigest(), flush=True)
"#;

/// The pid of the server daemon serving `url` from `dir`.
fn server_pid(dir: &Path, url: &str) -> u32 {
    let pids: Vec<i32> = pids_with(&dir.to_string_lossy())
        .into_iter()
        .filter(|p| {
            std::fs::read(format!("/proc/{p}/cmdline"))
                .is_ok_and(|c| String::from_utf8_lossy(&c).contains(url))
        })
        .collect();
    assert_eq!(pids.len(), 1, "one server for {url}: {pids:?}");
    pids[0] as u32
}

/// Issue #17: a single `sendall` of 256 MiB over a kernel TCP socket
/// between two servers on a shmif bus arrives whole, and neither server's
/// memory grows by 16 MiB for it (the call moves in pieces).
#[test]
fn a_sendall_of_256_mib_crosses_the_bus_in_bounded_memory() {
    use std::io::BufRead;
    let dir = tempdir("sendall");
    let s = bus_of_servers(&dir, 2, "bus");
    let (from, to) = (&s.urls[0], &s.urls[1]);
    let watch_from = RssWatch::start(server_pid(&dir, from));
    let watch_to = RssWatch::start(server_pid(&dir, to));
    let mut sink = python(&dir, to, TCP_SINK, &[])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(sink.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "ready");
    let n = (256 << 20).to_string();
    let o = python(&dir, from, TCP_SENDALL, &["1.1.1.2", &n])
        .output()
        .unwrap();
    let sent = ok(&o, "tcp sendall");
    let got = lines.next().unwrap().unwrap();
    assert!(sink.wait().unwrap().success());
    assert_eq!(format!("{got}\n"), sent.replace('\n', " 1.1.1.1\n"));
    assert!(got.starts_with("268435456 "), "{got}");
    for (w, name) in [(watch_from, "sender"), (watch_to, "receiver")] {
        assert!(
            w.growth() < 16 << 10,
            "the {name}'s server grew by {} KiB",
            w.growth()
        );
    }
}

/// Linux caps a socket buffer size over its limit quietly, NetBSD refuses
/// it: under the hijack, python3's 4 MiB SO_SNDBUF and SO_RCVBUF set the
/// largest the kernel takes (NetBSD's `sb_max` share), and a size the
/// kernel takes is set as asked.
#[test]
fn hijacked_socket_buffer_sizes_over_the_limit_are_capped() {
    let dir = tempdir("sockbuf");
    let _servers = Servers::allservers(&dir, &["B"], &[]);
    let prog = r#"
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for opt in (socket.SO_SNDBUF, socket.SO_RCVBUF):
    s.setsockopt(socket.SOL_SOCKET, opt, 4 << 20)
    big = s.getsockopt(socket.SOL_SOCKET, opt)
    s.setsockopt(socket.SOL_SOCKET, opt, 65536)
    print(s.fileno() >= 512, big, s.getsockopt(socket.SOL_SOCKET, opt))
"#;
    let o = python(&dir, "unix://B", prog, &[]).output().unwrap();
    let out = ok(&o, "python");
    // kern.sbmax 262144 * MCLBYTES / (MSIZE + MCLBYTES), as NetBSD's sb_max_adj.
    assert_eq!(out, "True 209715 65536\nTrue 209715 65536\n");
}
