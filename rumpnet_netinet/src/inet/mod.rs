//! The IPv4 stack of one kernel: its state (interface addresses, the
//! routing table, the ARP cache, reassembly, the protocol control
//! blocks), its tunables and its timers; the address table, routes,
//! output, input and ARP are the submodules, each an `impl Inet` of its
//! own.
//!
//! Locking: `state` is held only for short lookups and updates, never
//! while a packet is handed to an interface or a socket, so that input and
//! output can nest (an ICMP echo reply is sent from input processing).

pub mod announce;
mod arp_io;
mod config;
mod ifaddrs;
mod input;
mod output;
mod pmtu;
mod routes;

use crate::addr;
use crate::arp::ArpTable;
use crate::dad::Dad;
use crate::reass::Reassembly;
use crate::stats::Stats;
use crate::{raw, udp};
use rump::{KResult, Kernel};
use rumpnet::callout::TimerId;
use rumpnet::ifnet::Ifnet;
use rumpnet::net::Net;
use std::sync::atomic::{AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

pub use config::Config;
pub use input::In;

/// `RTF_UP`.
pub const RTF_UP: u32 = netbsd_abi::RTF_UP as u32;
/// `RTF_GATEWAY`.
pub const RTF_GATEWAY: u32 = netbsd_abi::RTF_GATEWAY as u32;
/// `RTF_HOST`.
pub const RTF_HOST: u32 = netbsd_abi::RTF_HOST as u32;
/// `RTF_REJECT`.
pub const RTF_REJECT: u32 = netbsd_abi::RTF_REJECT as u32;
/// `RTF_STATIC`.
pub const RTF_STATIC: u32 = netbsd_abi::RTF_STATIC as u32;
/// `RTF_BLACKHOLE`.
pub const RTF_BLACKHOLE: u32 = netbsd_abi::RTF_BLACKHOLE as u32;
/// `RTF_CONNECTED`.
pub const RTF_CONNECTED: u32 = netbsd_abi::RTF_CONNECTED as u32;
/// `RTF_LOCAL`.
pub const RTF_LOCAL: u32 = netbsd_abi::RTF_LOCAL as u32;
/// `RTF_BROADCAST`.
pub const RTF_BROADCAST: u32 = netbsd_abi::RTF_BROADCAST as u32;

/// `PR_SLOWHZ` (`sys/protosw.h`): slow timeouts a second, the unit of
/// the TCP keepalive nodes.
pub const PR_SLOWHZ: u32 = 2;

/// One IPv4 address on an interface (`struct in_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IfAddr {
    /// The interface's index.
    pub ifindex: u16,
    /// The address.
    pub addr: u32,
    /// Its netmask.
    pub mask: u32,
    /// The subnet's broadcast address (or the peer, point-to-point).
    pub bcast: u32,
}

impl IfAddr {
    /// The address as `RTM_NEWADDR` reports it.
    pub fn info(&self, ifp: &Ifnet) -> rumpnet::rtsysctl::IfAddrInfo {
        rumpnet::rtsysctl::IfAddrInfo {
            addr: addr::sockaddr(self.addr, 0),
            mask: Some(addr::sockaddr(self.mask, 0)),
            brd: (ifp.flags() & rumpnet::ifnet::IFF_BROADCAST != 0)
                .then(|| addr::sockaddr(self.bcast, 0)),
            flags: 0,
        }
    }

    /// The subnet number.
    pub fn net(&self) -> u32 {
        self.addr & self.mask
    }
}

pub use crate::rtable::{Route, RouteOrigin};

pub(crate) struct State {
    pub addrs: Vec<IfAddr>,
    pub routes: Vec<Route>,
    pub arp: ArpTable,
    pub dad: Dad,
    pub reass: Reassembly,
    pub udp: Vec<Weak<udp::UdpSocket>>,
    pub raw: Vec<Weak<raw::RawSocket>>,
    /// The TCP connection table, copied on change: input looks a segment's
    /// connection up in a snapshot taken with one reference count, where
    /// it cloned the whole list for each segment.
    pub tcp: Arc<Vec<Arc<crate::tcp::socket::TcpSocket>>>,
    /// When the path MTUs learnt expire.
    pub pmtu_timers: Vec<pmtu::PmtuTimer>,
}

/// What `ip_output` needs besides the payload.
#[derive(Clone, Copy, Debug)]
pub struct OutOpts {
    /// Time to live.
    pub ttl: u8,
    /// Type of service.
    pub tos: u8,
    /// Set DF; refuse to fragment (EMSGSIZE).
    pub dont_frag: bool,
    /// The socket allows broadcast destinations (`SO_BROADCAST`).
    pub broadcast: bool,
    /// Only directly connected destinations (`SO_DONTROUTE`).
    pub dontroute: bool,
}

/// The IPv4 stack of one kernel.
pub struct Inet {
    net: Weak<Net>,
    kernel: Weak<Kernel>,
    /// The kernel's clock, which every protocol timer goes by.
    clock: Arc<rump::clock::KernelClock>,
    /// The kernel's random numbers: identifications, sequence numbers,
    /// ports and timer jitter.
    pub(crate) cprng: Arc<rump::cprng::Cprng>,
    pub(crate) state: Mutex<State>,
    /// Counters for `netstat -s`.
    pub stats: Stats,
    /// Tunables.
    pub cfg: Config,
    ident: AtomicU16,
    timer: OnceLock<TimerId>,
    pub(crate) dad_timer: OnceLock<TimerId>,
    tcp_timer: OnceLock<TimerId>,
    /// Serialises TCP binds, so that two cannot take one port.
    pub(crate) tcp_bind: Mutex<()>,
    /// IPv6, for TCP and UDP over it, once `rumpnet_netinet6` attached.
    ip6: OnceLock<Arc<dyn crate::ip6layer::Ip6Layer>>,
}

impl Inet {
    /// The stack of kernel `k`, made on first use.
    pub fn of(k: &Kernel) -> Arc<Inet> {
        k.extension(|| Inet::new(k))
    }

    fn new(k: &Kernel) -> Inet {
        let seed = k.cprng().u16();
        Inet {
            net: Arc::downgrade(&Net::of(k)),
            kernel: k.weak(),
            clock: Arc::clone(k.clock()),
            cprng: Arc::clone(k.cprng()),
            state: Mutex::new(State {
                addrs: Vec::new(),
                routes: Vec::new(),
                arp: ArpTable::default(),
                dad: Dad::default(),
                reass: Reassembly::default(),
                udp: Vec::new(),
                raw: Vec::new(),
                tcp: Arc::default(),
                pmtu_timers: Vec::new(),
            }),
            stats: Stats::default(),
            cfg: Config::default(),
            ident: AtomicU16::new(seed),
            timer: OnceLock::new(),
            dad_timer: OnceLock::new(),
            tcp_timer: OnceLock::new(),
            tcp_bind: Mutex::new(()),
            ip6: OnceLock::new(),
        }
    }

    /// Let TCP and UDP use IPv6 through `l` (once: a second call is
    /// refused with EEXIST).
    pub fn attach_ip6(&self, l: Arc<dyn crate::ip6layer::Ip6Layer>) -> KResult<()> {
        self.ip6.set(l).map_err(|_| rump::Errno::EEXIST)
    }

    /// The IPv6 layer, or EAFNOSUPPORT without `rumpnet_netinet6`.
    pub fn ip6(&self) -> KResult<&Arc<dyn crate::ip6layer::Ip6Layer>> {
        self.ip6.get().ok_or(rump::Errno::EAFNOSUPPORT)
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.state)
    }

    /// The network stack.
    pub fn net(&self) -> Option<Arc<Net>> {
        self.net.upgrade()
    }

    /// A weak reference to the kernel, for sockets' wait channels.
    pub fn kernel_weak(&self) -> Weak<Kernel> {
        self.kernel.clone()
    }

    /// A parsed transport header, or `None` with the failure counted in
    /// `badsum` (a wrong checksum) or `bad` (anything else).
    pub(crate) fn counted<R>(
        &self,
        r: crate::wire::WireResult<R>,
        badsum: &std::sync::atomic::AtomicU64,
        bad: &std::sync::atomic::AtomicU64,
    ) -> Option<R> {
        match r {
            Ok(r) => Some(r),
            Err(crate::wire::WireError::Checksum) => {
                self.stats.bump(badsum);
                None
            }
            Err(_) => {
                self.stats.bump(bad);
                None
            }
        }
    }

    /// A new connection's keepalive times and count, from
    /// `net.inet.tcp.keepidle`, `keepintvl` and `keepcnt`.
    pub fn tcp_keep_defaults(&self) -> (Duration, Duration, u32) {
        let ticks = |a: &AtomicU32| {
            Duration::from_millis(
                u64::from(a.load(Ordering::Relaxed)) * 1000 / u64::from(PR_SLOWHZ),
            )
        };
        (
            ticks(&self.cfg.tcp_keepidle),
            ticks(&self.cfg.tcp_keepintvl),
            self.cfg.tcp_keepcnt.load(Ordering::Relaxed),
        )
    }

    /// The default TTL.
    pub fn default_ttl(&self) -> u8 {
        self.cfg.ttl.load(Ordering::Relaxed)
    }

    /// Options for a packet with the default TTL.
    pub fn default_opts(&self) -> OutOpts {
        OutOpts {
            ttl: self.default_ttl(),
            tos: 0,
            dont_frag: false,
            broadcast: false,
            dontroute: false,
        }
    }

    /// The kernel's monotonic clock now, which protocol timers go by.
    pub(crate) fn now(&self) -> Duration {
        self.clock.monotonic()
    }

    /// The kernel's realtime clock now, in whole seconds since the epoch
    /// (what routes' `rmx_expire` counts in).
    pub(crate) fn wall_secs(&self) -> i64 {
        self.clock.realtime_timespec().0
    }

    /// Register the protocol timer (ARP, reassembly) with the stack.
    pub(crate) fn start_timer(self: &Arc<Self>, net: &Net) -> KResult<()> {
        let me = Arc::downgrade(self);
        let id = net.callouts().add(
            "inet",
            Box::new(move |now| me.upgrade().and_then(|i| i.timeout(now))),
        );
        let _ = self.timer.set(id);
        let me = Arc::downgrade(self);
        let id = net.callouts().add(
            "tcp",
            Box::new(move |now| {
                me.upgrade()
                    .and_then(|i| crate::tcp::socket::timer(&i, now))
            }),
        );
        let _ = self.tcp_timer.set(id);
        let me = Arc::downgrade(self);
        let id = net.callouts().add(
            "arp_dad",
            Box::new(move |now| me.upgrade().and_then(|i| i.dad_timeout(now))),
        );
        let _ = self.dad_timer.set(id);
        net.start_timers()
    }

    /// Make the TCP timer run no later than `at`.
    pub fn arm_tcp(&self, at: Duration) {
        if let (Some(id), Some(net)) = (self.tcp_timer.get(), self.net()) {
            net.callouts().arm(*id, at);
        }
    }

    fn arm(&self, at: Duration) {
        if let (Some(id), Some(net)) = (self.timer.get(), self.net()) {
            net.callouts().arm(*id, at);
        }
    }

    /// The timer: ARP retries and expiry, reassembly timeouts.
    fn timeout(&self, now: Duration) -> Option<Duration> {
        let (ask, next_arp, next_frag) = {
            let mut st = self.lock();
            let (ask, next_arp) = st.arp.tick(now);
            let dropped = st.reass.expire(now);
            self.stats.add(&self.stats.ip_fragtimeout, dropped as u64);
            (ask, next_arp, st.reass.next_deadline())
        };
        for (ifindex, ip) in ask {
            if let Some(ifp) = self.net().and_then(|n| n.ifindex(ifindex)) {
                self.arp_request(&ifp, ip);
            }
        }
        if let Some(net) = self.net() {
            net.drain();
        }
        let next_pmtu = self.pmtu_expire(now);
        [next_arp, next_frag, next_pmtu].into_iter().flatten().min()
    }

    /// Print on the kernel's console (NetBSD's `log`, which a rump kernel
    /// prints there).
    fn log(&self, msg: &str) {
        if let Some(k) = self.kernel.upgrade() {
            k.printf(msg);
        }
    }
}
