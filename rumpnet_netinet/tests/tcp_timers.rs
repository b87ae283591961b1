//! TCP's timers on a kernel whose clock a test moves (`ManualClock`): a
//! TIME_WAIT of two maximum segment lifetimes and the backoff of SYN
//! retransmissions, each of minutes of kernel time, in well under a second
//! of the host's; and on a kernel whose random numbers come from a seed,
//! the ports it picks.

use rump::clock::{KernelClock, ManualClock};
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpnet::ifnet::{IfDriver, LinkType};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::socket::{ProtoSocket, SOCK_STREAM, Socket};
use rumpnet::wire::ethernet::Address;
use rumpnet_netinet::addr::sockaddr;
use rumpnet_netinet::inet::{IfAddr, Inet};
use rumpnet_netinet::tcp::socket::TcpSocket;
use rumpnet_netinet::wire::ipv4;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const LO: u32 = netbsd_abi::INADDR_LOOPBACK;
/// How long a test waits on the host for what a clock step set off.
const PATIENCE: Duration = Duration::from_secs(5);
/// How long the host is given to show that a step set nothing off.
const QUIET: Duration = Duration::from_millis(20);

fn boot(clock: &Arc<ManualClock>) -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig {
            ncpu: 2,
            ..BootConfig::default()
        })
        .time_source(clock.clone())
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot")
}

fn socket(k: &Kernel) -> Arc<Socket> {
    let d = Net::of(k).domain(2).expect("AF_INET");
    let p: Arc<dyn ProtoSocket> = k
        .with_ctx(|ctx| d.socket(ctx, SOCK_STREAM, 0))
        .expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn bind(k: &Kernel, s: &Socket, addr: u32, port: u16) -> Result<(), Errno> {
    k.with_ctx(|ctx| s.proto().bind(ctx, &sockaddr(addr, port)))
}

/// Wait on the host until `f` holds.
fn eventually(what: &str, mut f: impl FnMut() -> bool) {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < PATIENCE, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// The state of the TCP connection whose local port is `port`, if any.
fn state_of(inet: &Inet, port: u16) -> Option<&'static str> {
    TcpSocket::list(inet)
        .iter()
        .map(|s| s.describe())
        .find(|(pcb, ..)| pcb.lport == port)
        .map(|(_, state, ..)| state)
}

#[test]
fn time_wait_holds_the_port_for_two_msl_of_kernel_time() {
    let started = Instant::now();
    let clock = ManualClock::new();
    let k = boot(&clock);
    let inet = Inet::of(&k);
    let two_msl = 2 * Duration::from_secs(u64::from(inet.cfg.tcp_msl.load(Ordering::Relaxed)));
    let l = socket(&k);
    bind(&k, &l, LO, 5000).expect("bind listener");
    l.proto().listen(1).expect("listen");
    let c = socket(&k);
    bind(&k, &c, LO, 6000).expect("bind client");
    k.with_ctx(|ctx| c.connect(ctx, &sockaddr(LO, 5000)))
        .expect("connect");
    let s = Socket::new(
        k.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
        false,
        false,
    );
    // The client closes first, so it is the one left waiting.
    c.proto().close();
    let mut buf = [0u8; 8];
    let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("eof");
    assert_eq!(r.len, 0);
    s.proto().close();
    eventually("TIME_WAIT", || state_of(&inet, 6000) == Some("TIME_WAIT"));
    let again = socket(&k);
    assert_eq!(bind(&k, &again, LO, 6000), Err(Errno::EADDRINUSE));
    // A second short of 2 MSL: still waiting.
    clock.advance(two_msl - Duration::from_secs(1));
    std::thread::sleep(QUIET);
    assert_eq!(state_of(&inet, 6000), Some("TIME_WAIT"));
    assert_eq!(bind(&k, &again, LO, 6000), Err(Errno::EADDRINUSE));
    // 2 MSL: the connection is gone and its port free.
    clock.advance(Duration::from_secs(1));
    eventually("the end of TIME_WAIT", || state_of(&inet, 6000).is_none());
    assert_eq!(bind(&k, &again, LO, 6000), Ok(()));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// A link that answers nothing and notes when each TCP segment left.
struct Silent {
    clock: Arc<KernelClock>,
    sent: Arc<Mutex<Vec<Duration>>>,
}

impl IfDriver for Silent {
    fn link_type(&self) -> LinkType {
        LinkType::Loopback
    }

    fn transmit(&self, frame: Pkt) -> bool {
        if ipv4::Packet::new_checked(frame.data()).is_ok_and(|p| p.protocol() == ipv4::proto::TCP) {
            rump::sync::lock(&self.sent).push(self.clock.monotonic());
        }
        true
    }
}

#[test]
fn syn_retransmissions_back_off_then_connect_times_out() {
    let started = Instant::now();
    let clock = ManualClock::new();
    let k = boot(&clock);
    let (net, inet) = (Net::of(&k), Inet::of(&k));
    // No duplicate address detection: the address is usable at once.
    inet.cfg.dad_count.store(0, Ordering::Relaxed);
    let sent = Arc::new(Mutex::new(Vec::new()));
    let ifp = net
        .attach(
            "silent0",
            IfConfig {
                driver: Box::new(Silent {
                    clock: Arc::clone(k.clock()),
                    sent: Arc::clone(&sent),
                }),
                hwaddr: Address([0; 6]),
                flags: 0,
                mtu: 1500,
            },
        )
        .expect("attach");
    let me = u32::from_be_bytes([10, 9, 0, 1]);
    let mask = u32::MAX << 8;
    inet.add_address(
        &net,
        &ifp,
        IfAddr {
            ifindex: ifp.index,
            addr: me,
            mask,
            bcast: me | !mask,
        },
    )
    .expect("address");
    let count = || rump::sync::lock(&sent).len();
    let at = |i: usize| rump::sync::lock(&sent)[i];
    let c = socket(&k);
    let connecting = {
        let (k, c) = (Arc::clone(&k), Arc::clone(&c));
        let peer = u32::from_be_bytes([10, 9, 0, 2]);
        std::thread::spawn(move || k.with_ctx(|ctx| c.connect(ctx, &sockaddr(peer, 80))))
    };
    eventually("the first SYN", || count() == 1);
    // Each retransmission waits twice as long as the one before (RTO 1 s
    // doubled, RFC 6298 5.5), to the most retries SYNs are given.
    let mut rto = rumpnet_netinet::tcp::conn::INITIAL_RTO;
    let retries = rumpnet_netinet::tcp::conn::MAX_SYN_RETRIES as usize;
    for n in 1..=retries {
        clock.advance(rto - Duration::from_millis(1));
        std::thread::sleep(QUIET);
        assert_eq!(count(), n, "a SYN before its timeout");
        clock.advance(Duration::from_millis(1));
        eventually("a retransmitted SYN", || count() == n + 1);
        assert_eq!(at(n) - at(n - 1), rto, "gap before SYN {}", n + 1);
        rto = (rto * 2).min(rumpnet_netinet::tcp::conn::MAX_RTO);
    }
    // One more timeout, and connect gives up.
    clock.advance(rto - Duration::from_millis(1));
    std::thread::sleep(QUIET);
    assert!(!connecting.is_finished(), "connect gave up early");
    clock.advance(Duration::from_millis(1));
    assert_eq!(connecting.join().expect("connect"), Err(Errno::ETIMEDOUT));
    assert_eq!(count(), retries + 1);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

/// The port an unbound socket is given when it listens.
fn ephemeral_port(k: &Kernel) -> Vec<u8> {
    let s = socket(k);
    s.proto().listen(1).expect("listen");
    s.proto().sockname().expect("sockname")
}

#[test]
fn ephemeral_ports_come_from_the_kernels_cprng() {
    let boot_seeded = |seed: u8| {
        KernelBuilder::new()
            .config(BootConfig::default())
            .cprng_seed([seed; rump::cprng::SEED_LEN])
            .component(&rumpnet::COMPONENT)
            .component(&rumpnet_netinet::COMPONENT)
            .boot()
            .expect("boot")
    };
    // One seed, one sequence of choices; another seed, others (three
    // ports alike by chance would be one in 2^42).
    let ports = |seed| {
        let k = boot_seeded(seed);
        (0..3).map(|_| ephemeral_port(&k)).collect::<Vec<_>>()
    };
    assert_eq!(ports(1), ports(1));
    assert_ne!(ports(1), ports(2));
}
