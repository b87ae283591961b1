//! TCP across buses, routers, loss, Linux over tap, and large transfers.

use crate::*;

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
