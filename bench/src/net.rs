//! The network benchmarks: TCP between two kernels on a shmif bus, over
//! IPv4 and over IPv6 (the same TCP), next to the host's own TCP over loopback with the MTU set to 1500 (in a private
//! network namespace when we may make one, so that the host's loopback
//! keeps its own MTU).

use super::Record;
use rump::Kernel;
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SOCK_STREAM, Socket};
use rumpnet_netinet::addr::{PcbAddr, sockaddr, sockaddr6};
use rumpnet_netinet::inet::{IfAddr, Inet};
use std::io::{Read, Write};
use std::process::{Command, ExitCode};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Bytes moved by the bulk benchmark.
const BULK: usize = 64 << 20;
/// Round trips timed by the request/response benchmark.
const TRIPS: u32 = 2000;
/// Bulk transfers timed on one connection; the median counts, as this
/// machine's scheduling makes single runs vary by a factor of two.
const ROUNDS: usize = 5;
const PORT: u16 = 9000;

/// The global IPv6 address of the kernel with IPv4 address `addr`: the
/// same host number in 2001:db8::/64.
fn addr6(addr: u32) -> std::net::Ipv6Addr {
    std::net::Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, (addr & 0xff) as u16)
}

/// Where kernel B listens, in the family the run uses.
fn listen_at(v6: bool, addr: u32, port: u16) -> Vec<u8> {
    if v6 {
        sockaddr6(&PcbAddr(addr6(addr).octets()), port)
    } else {
        sockaddr(addr, port)
    }
}

fn kernel(bus: &str, addr: u32) -> Arc<Kernel> {
    let k = rump::KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .component(&rumpnet_netinet6::COMPONENT)
        .component(&rumpnet_shmif::COMPONENT)
        .boot()
        .expect("boot");
    let net = Net::of(&k);
    let ifp = net.clone_create(&k, "shmif0").expect("shmif0");
    ifp.driver().set_linkstr(Some(bus)).expect("linkstr");
    Inet::of(&k)
        .add_address(
            &net,
            &ifp,
            IfAddr {
                ifindex: ifp.index,
                addr,
                mask: 0xffff_ff00,
                bcast: addr | 0xff,
            },
        )
        .expect("address");
    // No duplicate address detection: the benchmark does not wait for it.
    rumpnet_netinet6::inet6::Inet6::of(&k)
        .add_address(
            &ifp,
            rumpnet_netinet6::inet6::IfAddr6 {
                ifindex: ifp.index,
                addr: addr6(addr),
                prefixlen: 64,
                flags: rumpnet_netinet6::inet6::flags::NODAD,
            },
        )
        .expect("IPv6 address");
    k
}

fn socket(k: &Kernel, v6: bool) -> Socket {
    let family = if v6 {
        netbsd_abi::AF_INET6
    } else {
        netbsd_abi::AF_INET
    };
    let d = Net::of(k).domain(family as u8).expect("domain");
    let p: Arc<dyn ProtoSocket> = k
        .with_ctx(|ctx| d.socket(ctx, SOCK_STREAM, 0))
        .expect("socket");
    Socket::new(p, false, false)
}

fn nodelay(s: &Socket) {
    rumpnet::setsockopt(s, 6, 1, &1i32.to_le_bytes()).expect("TCP_NODELAY");
}

/// Time `BULK` bytes and `TRIPS` one-byte round trips between kernels A
/// and B on one bus, over IPv6 when `v6`, else IPv4.
fn rump_tcp(v6: bool) -> (Duration, Duration) {
    let dir = std::env::temp_dir().join(format!("rumpbench-net-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let bus = dir.join("bus");
    let bus = bus.to_str().expect("utf-8 path");
    let (a, b) = (kernel(bus, 0x0a09_0001), kernel(bus, 0x0a09_0002));
    let l = socket(&b, v6);
    b.with_ctx(|ctx| {
        l.proto().bind(ctx, &listen_at(v6, 0x0a09_0002, PORT))?;
        l.proto().listen(1)
    })
    .expect("listen");
    let b2 = Arc::clone(&b);
    let server = std::thread::spawn(move || {
        let s = Socket::new(
            b2.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
            false,
            false,
        );
        nodelay(&s);
        let mut buf = vec![0u8; 1 << 16];
        for _ in 0..ROUNDS {
            let mut got = 0;
            while got < BULK {
                let n = b2
                    .with_ctx(|ctx| s.recv(ctx, &mut buf, 0))
                    .expect("recv")
                    .len;
                assert!(n > 0, "early end of stream");
                got += n;
            }
            b2.with_ctx(|ctx| s.send(ctx, b"k", None, 0)).expect("ack");
        }
        for _ in 0..TRIPS {
            b2.with_ctx(|ctx| s.recv(ctx, &mut buf[..1], 0))
                .expect("req");
            b2.with_ctx(|ctx| s.send(ctx, &buf[..1], None, 0))
                .expect("resp");
        }
    });
    let c = socket(&a, v6);
    a.with_ctx(|ctx| c.connect(ctx, &listen_at(v6, 0x0a09_0002, PORT)))
        .expect("connect");
    nodelay(&c);
    let block = vec![0x5au8; 1 << 16];
    let mut one = [0u8; 1];
    let bulk = median(|| {
        let t = Instant::now();
        let mut sent = 0;
        while sent < BULK {
            sent += a
                .with_ctx(|ctx| c.send(ctx, &block[..block.len().min(BULK - sent)], None, 0))
                .expect("send");
        }
        a.with_ctx(|ctx| c.recv(ctx, &mut one, 0)).expect("ack");
        t.elapsed()
    });
    let t = Instant::now();
    for _ in 0..TRIPS {
        a.with_ctx(|ctx| c.send(ctx, &one, None, 0)).expect("req");
        a.with_ctx(|ctx| c.recv(ctx, &mut one, 0)).expect("resp");
    }
    let rr = t.elapsed() / TRIPS;
    server.join().expect("server");
    let _ = std::fs::remove_dir_all(&dir);
    (bulk, rr)
}

/// The median of `ROUNDS` timings of `f`.
fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut t: Vec<Duration> = (0..ROUNDS).map(|_| f()).collect();
    t.sort();
    t[ROUNDS / 2]
}

/// `rumpbench --host-tcp`: the same work over the host's loopback, printed
/// as two numbers of nanoseconds (run inside the namespace).
pub fn host_tcp() -> ExitCode {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = l.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        let (mut s, _) = l.accept().expect("accept");
        s.set_nodelay(true).expect("nodelay");
        let mut buf = vec![0u8; 1 << 16];
        for _ in 0..ROUNDS {
            let mut got = 0;
            while got < BULK {
                let n = s.read(&mut buf).expect("read");
                assert!(n > 0);
                got += n;
            }
            s.write_all(b"k").expect("ack");
        }
        for _ in 0..TRIPS {
            s.read_exact(&mut buf[..1]).expect("req");
            s.write_all(&buf[..1]).expect("resp");
        }
    });
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    c.set_nodelay(true).expect("nodelay");
    let block = vec![0x5au8; 1 << 16];
    let mut one = [0u8; 1];
    let bulk = median(|| {
        let t = Instant::now();
        let mut sent = 0;
        while sent < BULK {
            let n = block.len().min(BULK - sent);
            c.write_all(&block[..n]).expect("write");
            sent += n;
        }
        c.read_exact(&mut one).expect("ack");
        t.elapsed()
    });
    let t = Instant::now();
    for _ in 0..TRIPS {
        c.write_all(&one).expect("req");
        c.read_exact(&mut one).expect("resp");
    }
    let rr = t.elapsed() / TRIPS;
    server.join().expect("server");
    println!("{} {}", bulk.as_nanos(), rr.as_nanos());
    ExitCode::SUCCESS
}

/// Run `--host-tcp` in a fresh namespace whose loopback has MTU 1500, or
/// on the host's own loopback (saying so) when namespaces are not ours to
/// make.
fn host_baseline() -> (Duration, Duration, &'static str) {
    let me = std::env::current_exe().expect("own path");
    let ns = format!("rumpbench{}", std::process::id());
    let made = Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .is_ok_and(|s| s.success());
    let out = if made {
        let up = Command::new("ip")
            .args([
                "netns", "exec", &ns, "ip", "link", "set", "lo", "mtu", "1500", "up",
            ])
            .status()
            .is_ok_and(|s| s.success());
        // Segmentation offload lets loopback carry 64 KiB segments whatever
        // the MTU; without it the host makes 1500-byte packets, as we do.
        let no_offload = up
            && Command::new("ip")
                .args([
                    "netns", "exec", &ns, "ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro",
                    "off",
                ])
                .stderr(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        let o = up.then(|| {
            Command::new("ip")
                .args(["netns", "exec", &ns])
                .arg(&me)
                .arg("--host-tcp")
                .output()
        });
        let _ = Command::new("ip").args(["netns", "del", &ns]).status();
        o.and_then(Result::ok).map(|o| (o, no_offload))
    } else {
        None
    };
    let (out, label) = match out {
        Some((o, true)) if o.status.success() => {
            (o, "host: TCP over lo, MTU 1500, no TSO/GSO, netns")
        }
        Some((o, false)) if o.status.success() => (
            o,
            "host: TCP over lo, MTU 1500, netns (no ethtool: TSO/GSO on)",
        ),
        _ => (
            Command::new(&me)
                .arg("--host-tcp")
                .output()
                .expect("host run"),
            "host: TCP over lo (its own MTU)",
        ),
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text
        .split_whitespace()
        .map(|n| n.parse::<u64>().unwrap_or(1));
    let bulk = Duration::from_nanos(it.next().unwrap_or(1));
    let rr = Duration::from_nanos(it.next().unwrap_or(1));
    (bulk, rr, label)
}

/// The network group.
pub fn net(records: &mut Vec<Record>) {
    let (bulk, rr) = rump_tcp(false);
    let (bulk6, rr6) = rump_tcp(true);
    let (hbulk, hrr, label) = host_baseline();
    let mb = BULK as f64 / 1e6;
    records.push(Record {
        name: "TCP bulk 64 MiB, shmif",
        unit: "ms",
        ours: bulk.as_secs_f64() * 1e3,
        baseline_name: label,
        baseline: hbulk.as_secs_f64() * 1e3,
    });
    records.push(Record {
        name: "TCP 1-byte round trip",
        unit: "us",
        ours: rr.as_secs_f64() * 1e6,
        baseline_name: label,
        baseline: hrr.as_secs_f64() * 1e6,
    });
    records.push(Record {
        name: "TCP over IPv6 between kernels, bulk 64 MiB",
        unit: "ms",
        ours: bulk6.as_secs_f64() * 1e3,
        baseline_name: "TCP over IPv4 between kernels",
        baseline: bulk.as_secs_f64() * 1e3,
    });
    records.push(Record {
        name: "TCP over IPv6 1-byte round trip",
        unit: "us",
        ours: rr6.as_secs_f64() * 1e6,
        baseline_name: "TCP over IPv4 between kernels",
        baseline: rr.as_secs_f64() * 1e6,
    });
    println!(
        "TCP throughput: {:.1} MB/s between kernels, {:.1} MB/s host; {:.3} of the host's (goal: at least 0.3)",
        mb / bulk.as_secs_f64(),
        mb / hbulk.as_secs_f64(),
        hbulk.as_secs_f64() / bulk.as_secs_f64()
    );
    println!(
        "TCP over IPv6 between kernels: {:.1} MB/s, {:.3} of IPv4's (goal: within 10%)",
        mb / bulk6.as_secs_f64(),
        bulk.as_secs_f64() / bulk6.as_secs_f64()
    );
}
