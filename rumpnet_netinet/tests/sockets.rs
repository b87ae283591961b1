//! Socket semantics in one kernel, through the socket layer's blocking
//! rules: TCP and UDP over the loopback interface.

use netbsd_abi::{self as abi, layout};
use rump::{BootConfig, Kernel, KernelBuilder};
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SO_RCVBUF, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET, Socket};
use rumpnet_netinet::addr::sockaddr;
use std::sync::Arc;
use std::time::Duration;

const LO: u32 = netbsd_abi::INADDR_LOOPBACK;

fn boot() -> Arc<Kernel> {
    builder().boot().expect("boot")
}

fn builder() -> KernelBuilder {
    KernelBuilder::new()
        .config(BootConfig {
            ncpu: 2,
            ..BootConfig::default()
        })
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
}

fn socket(k: &Kernel, typ: i32) -> Arc<Socket> {
    let d = Net::of(k).domain(2).expect("AF_INET");
    let p: Arc<dyn ProtoSocket> = k.with_ctx(|ctx| d.socket(ctx, typ, 0)).expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn listener(k: &Kernel, port: u16, backlog: i32) -> Arc<Socket> {
    let s = socket(k, SOCK_STREAM);
    k.with_ctx(|ctx| {
        s.proto().bind(ctx, &sockaddr(LO, port))?;
        s.proto().listen(backlog)
    })
    .expect("listen");
    s
}

fn connect(k: &Kernel, port: u16) -> Result<Arc<Socket>, rump::Errno> {
    let s = socket(k, SOCK_STREAM);
    k.with_ctx(|ctx| s.connect(ctx, &sockaddr(LO, port)))?;
    Ok(s)
}

#[test]
fn tcp_over_loopback_moves_data_both_ways_and_closes() {
    let k = boot();
    let l = listener(&k, 5000, 5);
    let k2 = Arc::clone(&k);
    let client = std::thread::spawn(move || {
        let c = connect(&k2, 5000).expect("connect");
        // An empty send is done at once, whatever the window.
        assert_eq!(k2.with_ctx(|ctx| c.send(ctx, b"", None, 0)), Ok(0));
        let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        while sent < data.len() {
            sent += k2
                .with_ctx(|ctx| c.send(ctx, &data[sent..], None, 0))
                .expect("send");
        }
        let mut buf = [0u8; 16];
        let n = k2.with_ctx(|ctx| c.recv(ctx, &mut buf, 0)).expect("reply");
        assert_eq!(&buf[..n.len], b"thanks");
        c.proto().close();
    });
    let s = k.with_ctx(|ctx| l.accept(ctx)).expect("accept");
    let s = Socket::new(s, false, false);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < 20_000_000 {
        let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("recv");
        assert!(r.len > 0, "early end of stream at {}", got.len());
        got.extend_from_slice(&buf[..r.len]);
    }
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    // The receive buffer grew from net.inet.tcp.recvspace as data came in
    // (NetBSD's recvbuf_auto), and SO_RCVBUF says so.
    let rcvbuf = |s: &Socket| {
        let v = rumpnet::getsockopt(s, SOL_SOCKET, SO_RCVBUF).expect("SO_RCVBUF");
        i32::from_ne_bytes(v[..4].try_into().expect("int"))
    };
    assert!(rcvbuf(&s) > 65536, "SO_RCVBUF {}", rcvbuf(&s));
    k.with_ctx(|ctx| s.send(ctx, b"thanks", None, 0))
        .expect("send reply");
    client.join().expect("client");
    // The client closed: end of stream.
    let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("eof");
    assert_eq!(r.len, 0);
}

#[test]
fn connection_refused_and_udp_port_unreachable() {
    let k = boot();
    assert_eq!(connect(&k, 5999).err(), Some(rump::Errno::ECONNREFUSED));
    let u = socket(&k, SOCK_DGRAM);
    k.with_ctx(|ctx| u.proto().connect(ctx, &sockaddr(LO, 5998)))
        .expect("connect udp");
    k.with_ctx(|ctx| u.send(ctx, b"anyone?", None, 0))
        .expect("send");
    std::thread::sleep(Duration::from_millis(50));
    let mut buf = [0u8; 16];
    let r = k.with_ctx(|ctx| u.recv(ctx, &mut buf, 0));
    assert_eq!(r.err(), Some(rump::Errno::ECONNREFUSED));
}

fn nonblocking(k: &Kernel, typ: i32) -> Arc<Socket> {
    let d = Net::of(k).domain(2).expect("AF_INET");
    let p: Arc<dyn ProtoSocket> = k.with_ctx(|ctx| d.socket(ctx, typ, 0)).expect("socket");
    Arc::new(Socket::new(p, true, false))
}

fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !f() {
        assert!(t.elapsed() < Duration::from_secs(10), "timed out: {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

const POLLIN: i16 = netbsd_abi::POLLIN as i16;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;

fn poll(s: &Socket, events: i16) -> i16 {
    use rump::file::FileOps;
    s.poll(events)
}

#[test]
fn nonblocking_connect_completes_and_poll_says_so() {
    let k = boot();
    let l = listener(&k, 5100, 5);
    let c = nonblocking(&k, SOCK_STREAM);
    let r = k.with_ctx(|ctx| c.connect(ctx, &sockaddr(LO, 5100)));
    assert_eq!(r.err(), Some(rump::Errno::EINPROGRESS));
    eventually("writable", || poll(&c, POLLOUT) & POLLOUT != 0);
    assert_eq!(c.proto().take_error(), 0);
    assert_eq!(c.proto().peername().unwrap(), sockaddr(LO, 5100));
    // The listener is readable once a connection is ready to accept.
    assert_eq!(poll(&l, POLLIN), POLLIN);
    let a = Socket::new(
        k.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
        true,
        false,
    );
    assert_eq!(poll(&l, POLLIN), 0);
    // Not readable until data comes; a non-blocking read says EAGAIN.
    assert_eq!(poll(&a, POLLIN), 0);
    let mut buf = [0u8; 8];
    assert_eq!(
        k.with_ctx(|ctx| a.recv(ctx, &mut buf, 0)).err(),
        Some(rump::Errno::EAGAIN)
    );
    k.with_ctx(|ctx| c.send(ctx, b"ping", None, 0))
        .expect("send");
    eventually("readable", || poll(&a, POLLIN) == POLLIN);
    let r = k.with_ctx(|ctx| a.recv(ctx, &mut buf, 0)).expect("recv");
    assert_eq!(&buf[..r.len], b"ping");
}

#[test]
fn listen_backlog_holds_back_extra_connections_until_one_is_accepted() {
    // On a clock the test moves: the third SYN is sent again when the test
    // says its timeout has passed, not a second of the host's later.
    let clock = rump::clock::ManualClock::new();
    let k = builder().time_source(clock.clone()).boot().expect("boot");
    let l = listener(&k, 5200, 1);
    // Backlog 1 queues up to one and a half: two; the third SYN is
    // dropped, and its sender keeps trying.
    let cs: Vec<Arc<Socket>> = (0..3).map(|_| nonblocking(&k, SOCK_STREAM)).collect();
    for c in &cs {
        let r = k.with_ctx(|ctx| c.connect(ctx, &sockaddr(LO, 5200)));
        assert_eq!(r.err(), Some(rump::Errno::EINPROGRESS));
    }
    eventually("two connected", || {
        cs.iter()
            .filter(|c| c.proto().connect_result() == Some(Ok(())))
            .count()
            == 2
    });
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(cs[2].proto().connect_result(), None, "the third waits");
    let _first = k.with_ctx(|ctx| l.accept(ctx)).expect("accept");
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(cs[2].proto().connect_result(), None, "until its timeout");
    // Its SYN is sent again after the retransmission timeout.
    clock.advance(rumpnet_netinet::tcp::conn::INITIAL_RTO);
    eventually("the third connected", || {
        cs[2].proto().connect_result() == Some(Ok(()))
    });
}

#[test]
fn shutdown_closes_one_half_at_a_time() {
    let k = boot();
    let l = listener(&k, 5300, 5);
    let c = connect(&k, 5300).expect("connect");
    let a = Socket::new(
        k.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
        false,
        false,
    );
    c.proto()
        .shutdown(rumpnet::socket::SHUT_WR)
        .expect("shutdown");
    let mut buf = [0u8; 8];
    // The other side reads the end of the stream, and may still write.
    assert_eq!(
        k.with_ctx(|ctx| a.recv(ctx, &mut buf, 0)).expect("eof").len,
        0
    );
    k.with_ctx(|ctx| a.send(ctx, b"still", None, 0))
        .expect("send");
    let r = k.with_ctx(|ctx| c.recv(ctx, &mut buf, 0)).expect("recv");
    assert_eq!(&buf[..r.len], b"still");
    // Writing after our own shutdown is EPIPE.
    let e = k.with_ctx(|ctx| c.send(ctx, b"x", None, rumpnet::socket::MSG_NOSIGNAL));
    assert_eq!(e.err(), Some(rump::Errno::EPIPE));
    // After SHUT_RD, reads end at once.
    a.proto()
        .shutdown(rumpnet::socket::SHUT_RD)
        .expect("shutdown rd");
    assert_eq!(
        k.with_ctx(|ctx| a.recv(ctx, &mut buf, 0)).expect("rd").len,
        0
    );
}

#[test]
fn so_reuseaddr_rebinds_a_port_in_time_wait() {
    let k = boot();
    let l = listener(&k, 5400, 5);
    let c = connect(&k, 5400).expect("connect");
    let a = k.with_ctx(|ctx| l.accept(ctx)).expect("accept");
    // The server closes first, so its side waits in TIME_WAIT.
    a.close();
    l.proto().close();
    let mut buf = [0u8; 4];
    assert_eq!(
        k.with_ctx(|ctx| c.recv(ctx, &mut buf, 0)).expect("eof").len,
        0
    );
    c.proto().close();
    let tcp = rumpnet_netinet::tcp::socket::TcpSocket::list(&rumpnet_netinet::inet::Inet::of(&k));
    eventually("TIME_WAIT", || {
        rumpnet_netinet::tcp::socket::TcpSocket::list(&rumpnet_netinet::inet::Inet::of(&k))
            .iter()
            .any(|s| s.describe().1 == "TIME_WAIT")
    });
    drop(tcp);
    let again = socket(&k, SOCK_STREAM);
    let r = k.with_ctx(|ctx| again.proto().bind(ctx, &sockaddr(LO, 5400)));
    assert_eq!(r.err(), Some(rump::Errno::EADDRINUSE));
    rumpnet::setsockopt(
        &again,
        rumpnet::socket::SOL_SOCKET,
        rumpnet::socket::SO_REUSEADDR,
        &1i32.to_le_bytes(),
    )
    .expect("SO_REUSEADDR");
    k.with_ctx(|ctx| again.proto().bind(ctx, &sockaddr(LO, 5400)))
        .expect("bind with SO_REUSEADDR");
    again.proto().listen(5).expect("listen");
}

#[test]
fn buffer_autosizing_sysctls_read_write_and_turn_it_off() {
    let k = boot();
    let int = |name: &str, new: Option<i32>| {
        let mib = k.sysctl().name_to_mib(name).expect(name);
        let v = new.map(i32::to_ne_bytes);
        let out = k
            .sys_sysctl(&mib, Some(4), v.as_ref().map(|b| &b[..]))
            .expect("sysctl");
        out.result.expect(name);
        i32::from_ne_bytes(out.old[..4].try_into().expect("int"))
    };
    // NetBSD's defaults.
    assert_eq!(int("net.inet.tcp.recvbuf_auto", None), 1);
    assert_eq!(int("net.inet.tcp.recvbuf_inc", None), 16384);
    assert_eq!(int("net.inet.tcp.recvbuf_max", None), 262144);
    assert_eq!(int("net.inet.tcp.sendbuf_auto", None), 1);
    assert_eq!(int("net.inet.tcp.sendbuf_inc", None), 8192);
    assert_eq!(int("net.inet.tcp.sendbuf_max", None), 262144);
    int("net.inet.tcp.recvbuf_auto", Some(0));
    assert_eq!(int("net.inet.tcp.recvbuf_auto", None), 0);

    // With it off, a receive buffer keeps net.inet.tcp.recvspace.
    let l = listener(&k, 5300, 1);
    let k2 = Arc::clone(&k);
    let client = std::thread::spawn(move || {
        let c = connect(&k2, 5300).expect("connect");
        let data = vec![7u8; 4 << 20];
        let mut sent = 0;
        while sent < data.len() {
            sent += k2
                .with_ctx(|ctx| c.send(ctx, &data[sent..], None, 0))
                .expect("send");
        }
        c.proto().close();
    });
    let s = Socket::new(
        k.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
        false,
        false,
    );
    let mut buf = vec![0u8; 65536];
    while k
        .with_ctx(|ctx| s.recv(ctx, &mut buf, 0))
        .expect("recv")
        .len
        > 0
    {}
    client.join().expect("client");
    let v = rumpnet::getsockopt(&s, SOL_SOCKET, SO_RCVBUF).expect("SO_RCVBUF");
    let recvspace = int("net.inet.tcp.recvspace", None);
    assert_eq!(recvspace, 32768, "NetBSD's default");
    assert_eq!(
        i32::from_ne_bytes(v[..4].try_into().expect("int")),
        recvspace
    );
}

#[test]
fn pcblist_and_stats_read_as_netstat_reads_them() {
    let k = boot();
    let _l = listener(&k, 5400, 1);
    let mut mib = k
        .sysctl()
        .name_to_mib("net.inet.tcp.pcblist")
        .expect("pcblist");
    assert_eq!(&mib[..3], &[4, 2, 6]);
    mib.extend([0, 0, 0, 0]);
    // The size asked for leaves room for 20 more (PCB_SLOP).
    let size = k.sys_sysctl(&mib, None, None).unwrap().oldlen;
    assert_eq!(size, 21 * 640);
    mib[6] = 640;
    mib[7] = (size / 640) as i32;
    let o = k.sys_sysctl(&mib, Some(size), None).unwrap();
    o.result.expect("pcblist");
    assert_eq!(o.old.len(), 640);
    let r = &o.old;
    let word = |at: usize| u32::from_ne_bytes(r[at..at + 4].try_into().unwrap());
    assert_eq!(
        (word(24), word(28), word(32)),
        (2, 1, 6),
        "AF_INET, SOCK_STREAM, TCP"
    );
    assert_eq!(word(48), 1, "TCPS_LISTEN");
    assert_eq!(&r[72..76], &[16, 2, 0x15, 0x18], "sockaddr_in, port 5400");
    assert_eq!(&r[76..80], &[127, 0, 0, 1]);
    assert!(r[336..352].iter().all(|&b| b == 0), "no foreign address");
    // A wrong record size is refused.
    mib[6] = 600;
    let bad = k.sys_sysctl(&mib, Some(size), None).unwrap();
    assert_eq!(bad.result, Err(rump::Errno::EINVAL));

    for (name, n) in [
        ("net.inet.ip.stats", 30),
        ("net.inet.icmp.stats", 98),
        ("net.inet.tcp.stats", 76),
        ("net.inet.udp.stats", 9),
    ] {
        let mib = k.sysctl().name_to_mib(name).expect(name);
        let o = k.sys_sysctl(&mib, Some(8 * n), None).unwrap();
        o.result.expect(name);
        assert_eq!(o.old.len(), 8 * n, "{name}");
    }
}

#[test]
fn so_linger_makes_close_wait_for_delivery() {
    use rump::usermem::{BufferSpace, UserSpace};
    let k = boot();
    let l = listener(&k, 5500, 1);
    let mem = BufferSpace::new(0x1000, 1 << 21);
    let (sa, lg, data) = (0x1000u64, 0x1100u64, 0x2000u64);
    mem.copyout(sa, &sockaddr(LO, 5500)).unwrap();
    // struct linger { l_onoff = 1, l_linger = 2 }.
    let mut linger = [0u8; layout::linger::SIZE];
    assert!(layout::linger::l_onoff.put(&mut linger, 1));
    assert!(layout::linger::l_linger.put(&mut linger, 2));
    mem.copyout(lg, &linger).unwrap();
    let sa_len = layout::sockaddr_in::SIZE as u64;
    let set_linger = |fd: u64| {
        let size = layout::linger::SIZE as u64;
        let args = [fd, SOL_SOCKET as u64, abi::SO_LINGER as u64, lg, size];
        k.syscall(abi::SYS_setsockopt, &args, &mem)
    };
    let call = |nr: usize, args: &[u64]| k.syscall(nr, args, &mem).map(|r| r[0]);
    let fd = call(
        abi::SYS___socket30,
        &[abi::AF_INET as u64, SOCK_STREAM as u64, 0],
    )
    .unwrap();
    call(abi::SYS_connect, &[fd, sa, sa_len]).unwrap();
    set_linger(fd).unwrap();
    let s = Socket::new(k.with_ctx(|ctx| l.accept(ctx)).unwrap(), false, false);
    // The peer does not read: what is sent cannot all be delivered, and the
    // close waits the whole linger time. (The write is non-blocking, or it
    // would wait for room; a non-blocking close would not linger.)
    call(
        abi::SYS_fcntl,
        &[fd, abi::F_SETFL as u64, abi::O_NONBLOCK as u64],
    )
    .unwrap();
    // Until both buffers are full (the peer's grows as data comes).
    let mut quiet = 0;
    while quiet < 5 {
        match call(abi::SYS_write, &[fd, data, 1 << 20]) {
            Ok(_) => quiet = 0,
            Err(rump::Errno::EAGAIN) => {
                quiet += 1;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("write: {e:?}"),
        }
    }
    call(abi::SYS_fcntl, &[fd, abi::F_SETFL as u64, 0]).unwrap();
    let t = std::time::Instant::now();
    call(abi::SYS_close, &[fd]).unwrap();
    let waited = t.elapsed();
    assert!(waited >= Duration::from_millis(1900), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    drop(s);

    // A peer that reads: the close returns once everything is acknowledged.
    let fd = call(
        abi::SYS___socket30,
        &[abi::AF_INET as u64, SOCK_STREAM as u64, 0],
    )
    .unwrap();
    call(abi::SYS_connect, &[fd, sa, sa_len]).unwrap();
    set_linger(fd).unwrap();
    let s = Socket::new(k.with_ctx(|ctx| l.accept(ctx)).unwrap(), false, false);
    let k2 = Arc::clone(&k);
    let reader = std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        let mut got = 0;
        loop {
            let r = k2.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).unwrap();
            if r.len == 0 {
                return got;
            }
            got += r.len;
        }
    });
    assert_eq!(call(abi::SYS_write, &[fd, data, 200_000]).unwrap(), 200_000);
    let t = std::time::Instant::now();
    call(abi::SYS_close, &[fd]).unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(reader.join().unwrap(), 200_000);
}
