//! The IPv4 stack of one kernel: interface addresses, the routing table,
//! the ARP cache, IP output (routing, fragmentation, link resolution) and
//! IP input (reassembly, local delivery, forwarding).
//!
//! Locking: `state` is held only for short lookups and updates, never
//! while a packet is handed to an interface or a socket, so that input and
//! output can nest (an ICMP echo reply is sent from input processing).

use crate::addr::{self, ANY, BROADCAST};
use crate::arp::{ArpTable, Resolve};
use crate::arp_dad::does_dad;
use crate::dad::{Dad, IN_IFF_DETACHED, IN_IFF_NOTREADY, IN_IFF_TENTATIVE};
use crate::reass::Reassembly;
use crate::stats::Stats;
use crate::wire::arp::{Operation, Packet as ArpPacket, Repr as ArpRepr};
use crate::wire::ipv4::{self, Packet, Repr as IpRepr};
use crate::{icmp, raw, udp};
use rump::{Errno, KResult, Kernel};
use rumpnet::callout::TimerId;
use rumpnet::ifnet::{IFF_BROADCAST, IFF_LOOPBACK, Ifnet, LINK_STATE_DOWN, LinkType};
use rumpnet::net::{LinkInfo, Net};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address as EthAddr, ethertype};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

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
use crate::rtable::{local_route, prefix_route, scrub_prefix};

pub(crate) struct State {
    pub addrs: Vec<IfAddr>,
    pub routes: Vec<Route>,
    pub arp: ArpTable,
    pub dad: Dad,
    pub reass: Reassembly,
    pub udp: Vec<Weak<udp::UdpSocket>>,
    pub raw: Vec<Weak<raw::RawSocket>>,
    pub tcp: Vec<Arc<crate::tcp::socket::TcpSocket>>,
}

/// Tunables under `net.inet`.
pub struct Config {
    /// `net.inet.ip.forwarding`.
    pub forwarding: AtomicBool,
    /// `net.inet.ip.ttl`.
    pub ttl: AtomicU8,
    /// `net.inet.ip.anonportmin`.
    pub anonportmin: AtomicU16,
    /// `net.inet.ip.anonportmax`.
    pub anonportmax: AtomicU16,
    /// `net.inet.icmp.bmcastecho`: answer pings to broadcast addresses.
    pub bmcastecho: AtomicBool,
    /// `net.inet.ip.lowportmin`: the privileged range's lowest port, for
    /// sockets asking `IP_PORTRANGE_LOW`.
    pub lowportmin: AtomicU16,
    /// `net.inet.ip.lowportmax`.
    pub lowportmax: AtomicU16,
    /// `net.inet.ip.hostzerobroadcast`: a subnet's host-zero address is a
    /// broadcast address too.
    pub hostzerobroadcast: AtomicBool,
    /// `net.inet.ip.checkinterface`: accept a datagram for one of our
    /// addresses only on that address's interface (the strong ES model).
    pub checkinterface: AtomicBool,
    /// `net.inet.ip.random_id`: random datagram identifications.
    pub random_id: AtomicBool,
    /// `net.inet.icmp.returndatabytes`: how much of an offending
    /// datagram's payload an ICMP error quotes.
    pub icmp_returndatabytes: AtomicU32,
    /// `net.inet.udp.checksum`: UDP datagrams sent carry a checksum.
    pub udp_checksum: AtomicBool,
    /// `net.inet.tcp.mssdflt`: the peer's MSS when its SYN names none.
    pub tcp_mssdflt: AtomicU16,
    /// `net.inet.udp.sendspace`: a new UDP socket's send buffer.
    pub udp_sendspace: AtomicU32,
    /// `net.inet.udp.recvspace`: a new UDP socket's receive buffer.
    pub udp_recvspace: AtomicU32,
    /// `net.inet.tcp.sendspace`: a new TCP socket's send buffer.
    pub tcp_sendspace: AtomicU32,
    /// `net.inet.tcp.recvspace`: a new TCP socket's receive buffer.
    pub tcp_recvspace: AtomicU32,
    /// `net.inet.tcp.sendbuf_auto`: grow send buffers as the window allows.
    pub tcp_sendbuf_auto: AtomicBool,
    /// `net.inet.tcp.sendbuf_inc`: by this much a step.
    pub tcp_sendbuf_inc: AtomicU32,
    /// `net.inet.tcp.sendbuf_max`: up to this.
    pub tcp_sendbuf_max: AtomicU32,
    /// `net.inet.tcp.recvbuf_auto`: grow receive buffers as data arrives.
    pub tcp_recvbuf_auto: AtomicBool,
    /// `net.inet.tcp.recvbuf_inc`: by this much a step.
    pub tcp_recvbuf_inc: AtomicU32,
    /// `net.inet.tcp.recvbuf_max`: up to this.
    pub tcp_recvbuf_max: AtomicU32,
    /// `net.inet.tcp.keepidle`, in slow ticks (`PR_SLOWHZ` a second): how
    /// long a connection with `SO_KEEPALIVE` idles before the first probe.
    pub tcp_keepidle: AtomicU32,
    /// `net.inet.tcp.keepintvl`, slow ticks between probes.
    pub tcp_keepintvl: AtomicU32,
    /// `net.inet.tcp.keepcnt`: probes unanswered before the connection
    /// is dropped.
    pub tcp_keepcnt: AtomicU32,
    /// `net.inet.tcp.msl`, seconds: TIME_WAIT lasts twice this.
    pub tcp_msl: AtomicU32,
    /// `net.inet.tcp.rfc1323`: offer window scaling and timestamps.
    pub tcp_rfc1323: AtomicBool,
    /// `net.inet.ip.dad_count`: ARP probes a new address sends before it
    /// is used (0: none, the address is usable at once).
    pub dad_count: AtomicI32,
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
                tcp: Vec::new(),
            }),
            stats: Stats::default(),
            cfg: Config {
                // NetBSD's rump kernel forwards (its netinet component
                // is built with IPFORWARDING).
                forwarding: AtomicBool::new(true),
                ttl: AtomicU8::new(64),
                anonportmin: AtomicU16::new(49152),
                anonportmax: AtomicU16::new(65535),
                bmcastecho: AtomicBool::new(false),
                // NetBSD's defaults.
                lowportmin: AtomicU16::new(600),
                lowportmax: AtomicU16::new(1023),
                hostzerobroadcast: AtomicBool::new(false),
                checkinterface: AtomicBool::new(false),
                random_id: AtomicBool::new(false),
                icmp_returndatabytes: AtomicU32::new(8),
                udp_checksum: AtomicBool::new(true),
                tcp_mssdflt: AtomicU16::new(crate::tcp::conn::DEFAULT_MSS),
                udp_sendspace: AtomicU32::new(crate::udp::SENDSPACE as u32),
                udp_recvspace: AtomicU32::new(crate::udp::RECVSPACE as u32),
                tcp_sendspace: AtomicU32::new(32 << 10),
                tcp_recvspace: AtomicU32::new(32 << 10),
                tcp_sendbuf_auto: AtomicBool::new(true),
                tcp_sendbuf_inc: AtomicU32::new(8 << 10),
                tcp_sendbuf_max: AtomicU32::new(256 << 10),
                tcp_recvbuf_auto: AtomicBool::new(true),
                tcp_recvbuf_inc: AtomicU32::new(16 << 10),
                tcp_recvbuf_max: AtomicU32::new(256 << 10),
                tcp_msl: AtomicU32::new(30),
                tcp_keepidle: AtomicU32::new(7200 * PR_SLOWHZ),
                tcp_keepintvl: AtomicU32::new(75 * PR_SLOWHZ),
                tcp_keepcnt: AtomicU32::new(8),
                tcp_rfc1323: AtomicBool::new(true),
                dad_count: AtomicI32::new(crate::dad::PROBE_NUM),
            },
            ident: AtomicU16::new(seed),
            timer: OnceLock::new(),
            dad_timer: OnceLock::new(),
            tcp_timer: OnceLock::new(),
            tcp_bind: Mutex::new(()),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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

    /// A transport segment's header parsed from a datagram being delivered
    /// (`d`, `pkt`), counted in `total`, its failures in `badsum` or `bad`.
    pub(crate) fn transport<'p, R>(
        &self,
        d: &In,
        pkt: &'p Pkt,
        parse: impl FnOnce(&'p [u8], ipv4::Address, ipv4::Address) -> crate::wire::WireResult<R>,
        counters: [&std::sync::atomic::AtomicU64; 3],
    ) -> Option<(&'p [u8], R)> {
        let [total, badsum, bad] = counters;
        self.stats.bump(total);
        let seg = &pkt.data()[d.hl..];
        let r = self.counted(parse(seg, d.ip.src, d.ip.dst), badsum, bad)?;
        Some((seg, r))
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
        [next_arp, next_frag].into_iter().flatten().min()
    }

    // ---- addresses

    /// Every address, in the order added.
    pub fn addresses(&self) -> Vec<IfAddr> {
        self.lock().addrs.clone()
    }

    /// Whether `a` is one of our addresses (on any interface).
    pub fn is_local(&self, a: u32) -> bool {
        self.lock().addrs.iter().any(|x| x.addr == a)
    }

    /// The `IN_IFF_*` flags of our address `a` (the first interface's
    /// that has it), or `None` if it is not ours.
    pub fn local_flags(&self, a: u32) -> Option<u32> {
        let st = self.lock();
        st.addrs
            .iter()
            .find(|x| x.addr == a)
            .map(|x| st.dad.flags(x.ifindex, a))
    }

    /// Whether `a` is one of our addresses and may be bound to: not
    /// tentative, duplicated or detached (`in_pcbbind_addr`).
    pub fn is_usable_local(&self, a: u32) -> bool {
        self.local_flags(a)
            .is_some_and(|f| f & (IN_IFF_NOTREADY | IN_IFF_DETACHED) == 0)
    }

    /// Whether a datagram to `a` that arrived on `ifp` is for us: one of
    /// our addresses, on `ifp` itself when `net.inet.ip.checkinterface`
    /// asks for the strong ES model (which `ip_input` applies only when
    /// not forwarding, and never to what came through loopback).
    fn is_local_on(&self, ifp: &Ifnet, a: u32) -> bool {
        let check = self.cfg.checkinterface.load(Ordering::Relaxed)
            && !self.cfg.forwarding.load(Ordering::Relaxed)
            && ifp.flags() & IFF_LOOPBACK == 0;
        let st = self.lock();
        st.addrs.iter().any(|x| {
            x.addr == a
                && (!check || x.ifindex == ifp.index)
                && !st.dad.not_ready(x.ifindex, x.addr)
        })
    }

    /// The first address on interface `ifindex`.
    pub fn first_addr(&self, ifindex: u16) -> Option<u32> {
        self.lock()
            .addrs
            .iter()
            .find(|x| x.ifindex == ifindex)
            .map(|x| x.addr)
    }

    /// Add (or change) an address on `ifp` (`SIOCAIFADDR`, `in_ifinit`):
    /// its local host route through the loopback interface and its prefix
    /// route follow it, and the interface comes up. A new address on a
    /// broadcast interface is tentative while duplicate address detection
    /// runs (detached if the link is down); any other address is
    /// announced to the neighbours at once with a gratuitous ARP.
    pub fn add_address(&self, net: &Net, ifp: &Arc<Ifnet>, a: IfAddr) -> KResult<()> {
        if a.addr == ANY || addr::is_multicast(a.addr) || a.addr == BROADCAST {
            return Err(Errno::EINVAL);
        }
        let lo = net
            .interfaces()
            .into_iter()
            .find(|i| i.flags() & IFF_LOOPBACK != 0);
        let (scrubbed, added) = {
            let mut st = self.lock();
            // A changed address gives up its old prefix first (in_ifscrub).
            let old = st
                .addrs
                .iter()
                .position(|x| x.addr == a.addr && x.ifindex == a.ifindex)
                .map(|i| st.addrs.remove(i));
            let is_new = old.is_none();
            let scrubbed = old.map(|o| scrub_prefix(&mut st, &o)).unwrap_or_default();
            // in_ifinit and arp_ifinit: only an address added while its
            // interface is up and running takes detection.
            if is_new && does_dad(ifp) {
                if ifp.link_state() == LINK_STATE_DOWN {
                    st.dad.set_flags(a.ifindex, a.addr, IN_IFF_DETACHED);
                } else if ifp.link_type() == LinkType::Ethernet {
                    st.dad.arm(a.ifindex, a.addr);
                }
            }
            st.addrs.push(a.clone());
            let mut added = Vec::new();
            if let Some(r) = local_route(&st, ifp, lo.as_deref(), &a) {
                st.routes.push(r.clone());
                added.push(r);
            }
            if let Some((dst, mask, flags)) = prefix_route(ifp, &a)
                && !st.routes.iter().any(|r| r.dst == dst && r.mask == mask)
            {
                let r = Route {
                    dst,
                    mask,
                    gateway: None,
                    ifindex: a.ifindex,
                    flags,
                    uses: 0,
                    ifa: Some(a.addr),
                    link_gateway: None,
                    mtu: 0,
                    expire: if flags & RTF_CONNECTED != 0 {
                        self.wall_secs()
                    } else {
                        0
                    },
                    origin: RouteOrigin::Prefix,
                };
                st.routes.push(r.clone());
                added.push(r);
            }
            (scrubbed, added)
        };
        if !scrubbed.is_empty() {
            self.announce(net, ifp, &a, &scrubbed, false);
        }
        self.announce(net, ifp, &a, &added, true);
        let flags = ifp.flags();
        if flags & rumpnet::ifnet::IFF_UP == 0 {
            net.set_flags(ifp, flags | rumpnet::ifnet::IFF_UP)?;
        }
        let flags = self.addr_flags(a.ifindex, a.addr);
        if ifp.link_type() == LinkType::Ethernet && flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) == 0
        {
            self.arp_request_from(ifp, a.addr, a.addr);
        }
        if flags & IN_IFF_TENTATIVE != 0 {
            self.dad_start(net, ifp, a.addr);
        }
        Ok(())
    }

    /// Tell the routing sockets that address `a` came (`RTM_NEWADDR` and
    /// `RTM_ADD` for each of its `routes`) or went (`RTM_DELETE` and
    /// `RTM_DELADDR`), as NetBSD's `rt_newaddrmsg` does for each route an
    /// address change makes or takes.
    pub(crate) fn announce(
        &self,
        net: &Net,
        ifp: &Ifnet,
        a: &IfAddr,
        routes: &[Route],
        added: bool,
    ) {
        use rumpnet::route::{RTF_DONE, RTM_ADD, RTM_DELETE, broadcast};
        use rumpnet::rtsysctl::{RTM_DELADDR, RTM_NEWADDR, newaddr_msg, route_msg_of};
        let addrs = self.addresses();
        let addr_msg = newaddr_msg(
            if added { RTM_NEWADDR } else { RTM_DELADDR },
            ifp,
            &a.info(ifp),
        );
        let route_msg = |r: &Route| {
            let mut i = r.info(&addrs, Some(net));
            i.flags |= RTF_DONE;
            let rifp = net.ifindex(r.ifindex);
            route_msg_of(
                if added { RTM_ADD } else { RTM_DELETE },
                rifp.as_deref(),
                &i,
            )
        };
        let mut msgs = Vec::new();
        for r in routes {
            if added {
                msgs.push(addr_msg.clone());
                msgs.push(route_msg(r));
            } else {
                msgs.push(route_msg(r));
                msgs.push(addr_msg.clone());
            }
        }
        if routes.is_empty() {
            msgs.push(addr_msg);
        }
        for m in &msgs {
            broadcast(net, addr::AF_INET, m);
        }
    }

    /// Remove address `a` from `ifp` (`SIOCDIFADDR`) with its routes.
    pub fn remove_address(&self, ifindex: u16, a: u32) -> KResult<()> {
        let (gone, routes) = self.take_address(ifindex, a)?;
        if let Some(net) = self.net()
            && let Some(ifp) = net.ifindex(ifindex)
        {
            self.announce(&net, &ifp, &gone, &routes, false);
        }
        Ok(())
    }

    /// Take address `a` off interface `ifindex` (`in_purgeaddr`), and the
    /// routes that go with it: its prefix route unless another address
    /// takes it over (`in_scrubprefix`), its local route unless the same
    /// address is on another interface (`in_ifremlocal`).
    fn take_address(&self, ifindex: u16, a: u32) -> KResult<(IfAddr, Vec<Route>)> {
        let mut st = self.lock();
        let i = st
            .addrs
            .iter()
            .position(|x| x.ifindex == ifindex && x.addr == a)
            .ok_or(Errno::EADDRNOTAVAIL)?;
        let gone = st.addrs.remove(i);
        st.dad.forget(ifindex, a);
        let mut routes = scrub_prefix(&mut st, &gone);
        let twin = st
            .addrs
            .iter()
            .find(|x| x.addr == gone.addr)
            .map(|x| x.ifindex);
        let local = |r: &Route| r.origin == RouteOrigin::Local && r.dst == gone.addr;
        match twin {
            Some(other) => {
                for r in st.routes.iter_mut().filter(|r| local(r)) {
                    r.link_gateway = Some(other);
                }
            }
            None => {
                routes.extend(st.routes.iter().filter(|r| local(r)).cloned());
                st.routes.retain(|r| !local(r));
            }
        }
        Ok((gone, routes))
    }

    /// The interface is going: its addresses go (announced), then its
    /// routes and ARP entries.
    pub fn detach_interface(&self, ifp: &Ifnet) {
        let ifindex = ifp.index;
        let mine: Vec<u32> = self
            .addresses()
            .iter()
            .filter(|x| x.ifindex == ifindex)
            .map(|x| x.addr)
            .collect();
        for a in mine {
            if let Ok((gone, routes)) = self.take_address(ifindex, a)
                && let Some(net) = self.net()
            {
                self.announce(&net, ifp, &gone, &routes, false);
            }
        }
        let mut st = self.lock();
        st.addrs.retain(|x| x.ifindex != ifindex);
        st.routes
            .retain(|r| r.ifindex != ifindex && r.link_gateway != Some(ifindex));
        st.arp.remove_interface(ifindex);
    }

    // ---- routes

    /// Every route.
    pub fn routes(&self) -> Vec<Route> {
        self.lock().routes.clone()
    }

    /// Add a route (`route add`). With `RTF_GATEWAY` the gateway must be
    /// on a connected network (ENETUNREACH); without, it names one of our
    /// addresses and the route goes out of that interface. An existing
    /// route to the same destination and mask is EEXIST.
    pub fn add_route(&self, dst: u32, mask: u32, gateway: u32, flags: u32) -> KResult<Route> {
        let mut st = self.lock();
        let dst = dst & mask;
        if st.routes.iter().any(|r| r.dst == dst && r.mask == mask) {
            return Err(Errno::EEXIST);
        }
        let via_gateway = flags & RTF_GATEWAY != 0;
        let ifindex = if via_gateway {
            st.addrs
                .iter()
                .find(|a| a.addr == gateway || (gateway & a.mask) == a.net())
                .map(|a| a.ifindex)
                .ok_or(Errno::ENETUNREACH)?
        } else {
            st.addrs
                .iter()
                .find(|a| a.addr == gateway)
                .map(|a| a.ifindex)
                .ok_or(Errno::ENETUNREACH)?
        };
        // A route out of the loopback interface takes its MTU
        // (`lortrequest`).
        let mtu = self
            .net()
            .and_then(|n| n.ifindex(ifindex))
            .filter(|i| i.flags() & IFF_LOOPBACK != 0)
            .map_or(0, |i| i.mtu());
        let r = Route {
            dst,
            mask,
            gateway: via_gateway.then_some(gateway),
            ifindex,
            flags: RTF_UP
                | RTF_STATIC
                | if via_gateway { RTF_GATEWAY } else { 0 }
                | if mask == u32::MAX { RTF_HOST } else { 0 }
                | (flags & (RTF_REJECT | RTF_BLACKHOLE)),
            uses: 0,
            ifa: None,
            link_gateway: None,
            mtu,
            expire: 0,
            origin: RouteOrigin::Static,
        };
        st.routes.push(r.clone());
        Ok(r)
    }

    /// Delete the route to `dst`/`mask` (`route delete`); ESRCH if none.
    pub fn delete_route(&self, dst: u32, mask: u32) -> KResult<Route> {
        let mut st = self.lock();
        let i = st
            .routes
            .iter()
            .position(|r| r.dst == dst & mask && r.mask == mask)
            .ok_or(Errno::ESRCH)?;
        Ok(st.routes.remove(i))
    }

    /// The route `dst` takes (`route get`): the longest prefix that matches.
    pub fn lookup(&self, dst: u32) -> Option<Route> {
        let mut st = self.lock();
        let best = st
            .routes
            .iter_mut()
            .filter(|r| dst & r.mask == r.dst && r.flags & RTF_UP != 0)
            .max_by_key(|r| r.mask.count_ones())?;
        best.uses += 1;
        Some(best.clone())
    }

    // ---- output

    /// A new datagram identification.
    pub fn next_ident(&self) -> u16 {
        if self.cfg.random_id.load(Ordering::Relaxed) {
            // ip_randomid: unpredictable, never 0 (0 asks for one).
            return self.cprng.u16().max(1);
        }
        self.ident.fetch_add(1, Ordering::Relaxed)
    }

    /// Where a packet to `dst` leaves: the interface and next hop, by the
    /// table. Local addresses go through the loopback interface by their
    /// local routes, as on NetBSD (no route: EHOSTUNREACH, for 127.0.0.2
    /// too).
    pub fn route_to(&self, net: &Net, dst: u32, opts: &OutOpts) -> KResult<(Arc<Ifnet>, u32)> {
        if dst == BROADCAST {
            // The limited broadcast goes out of the first broadcast-capable
            // interface with an address, as NetBSD's ip_output picks one.
            let st = self.lock();
            let ifp = st
                .addrs
                .iter()
                .filter_map(|a| net.ifindex(a.ifindex))
                .find(|i| i.flags() & IFF_BROADCAST != 0)
                .ok_or(Errno::ENETUNREACH)?;
            return Ok((ifp, dst));
        }
        let r = self.lookup(dst).ok_or(Errno::EHOSTUNREACH)?;
        if r.flags & RTF_REJECT != 0 {
            return Err(Errno::EHOSTUNREACH);
        }
        if opts.dontroute && r.gateway.is_some() {
            return Err(Errno::ENETUNREACH);
        }
        let ifp = net.ifindex(r.ifindex).ok_or(Errno::ENETUNREACH)?;
        Ok((ifp, r.gateway.unwrap_or(dst)))
    }

    /// The source address for a packet leaving by `ifp` towards `dst`:
    /// the interface's address on `dst`'s subnet, else its first.
    pub fn source_for(&self, ifp: &Ifnet, dst: u32) -> Option<u32> {
        let st = self.lock();
        if addr::is_loopback(dst) || st.addrs.iter().any(|a| a.addr == dst) {
            return Some(dst);
        }
        let on = st.addrs.iter().filter(|a| a.ifindex == ifp.index);
        on.clone()
            .find(|a| dst & a.mask == a.net())
            .or_else(|| on.clone().next())
            .or_else(|| st.addrs.first())
            .map(|a| a.addr)
    }

    /// Whether `a` is the broadcast address of a subnet on `ifindex`
    /// (`in_broadcast`): its broadcast address, or with
    /// `net.inet.ip.hostzerobroadcast` its host-zero address.
    pub fn is_subnet_broadcast(&self, ifindex: u16, a: u32) -> bool {
        let hostzero = self.cfg.hostzerobroadcast.load(Ordering::Relaxed);
        self.lock().addrs.iter().any(|x| {
            x.ifindex == ifindex
                && (x.bcast == a || (hostzero && x.mask != u32::MAX && a == x.net()))
        })
    }

    /// Whether a datagram to `a` arriving on `ifindex` is to a broadcast
    /// address of one of its subnets (`ip_match_our_address_broadcast`),
    /// whose address is usable: not tentative or duplicated.
    fn is_subnet_broadcast_in(&self, ifindex: u16, a: u32) -> bool {
        let hostzero = self.cfg.hostzerobroadcast.load(Ordering::Relaxed);
        let st = self.lock();
        st.addrs.iter().any(|x| {
            x.ifindex == ifindex
                && !st.dad.not_ready(x.ifindex, x.addr)
                && (x.bcast == a || (hostzero && x.mask != u32::MAX && a == x.net()))
        })
    }

    /// Send `payload` as protocol `proto` from `src` (`None`: choose) to
    /// `dst` (`ip_output`).
    pub fn output(
        &self,
        proto: u8,
        src: Option<u32>,
        dst: u32,
        payload: Pkt,
        o: &OutOpts,
    ) -> KResult<()> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        let (ifp, hop) = self.route_to(&net, dst, o)?;
        let src = match src {
            Some(s) if s != ANY => s,
            _ => self.source_for(&ifp, dst).ok_or(Errno::EADDRNOTAVAIL)?,
        };
        let bcast = dst == BROADCAST || self.is_subnet_broadcast(ifp.index, dst);
        if bcast && !o.broadcast {
            return Err(Errno::EACCES);
        }
        let repr = IpRepr {
            src: addr::from_u32(src),
            dst: addr::from_u32(dst),
            protocol: proto,
            payload_len: payload.len(),
            ttl: o.ttl,
            tos: o.tos,
            ident: self.next_ident(),
            dont_frag: o.dont_frag,
            more_frags: false,
            frag_offset: 0,
        };
        self.stats.bump(&self.stats.ip_localout);
        self.send_datagram(&ifp, hop, bcast, repr, payload)
    }

    /// Send a datagram whose header is already built (raw `IP_HDRINCL`,
    /// forwarding): routed by its destination, fragmented if needed.
    pub fn output_raw(&self, pkt: Pkt, o: &OutOpts) -> KResult<()> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        let p = Packet::new_checked(pkt.data()).map_err(|_| Errno::EINVAL)?;
        let hl = p.header_len();
        let dst = addr::to_u32(p.dst());
        let (ifp, hop) = self.route_to(&net, dst, o)?;
        let mut repr = IpRepr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()) - hl,
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: false,
            frag_offset: 0,
        };
        if repr.src == ipv4::Address::UNSPECIFIED {
            let s = self.source_for(&ifp, dst).ok_or(Errno::EADDRNOTAVAIL)?;
            repr.src = addr::from_u32(s);
        }
        if repr.ident == 0 {
            repr.ident = self.next_ident();
        }
        let bcast = dst == BROADCAST || self.is_subnet_broadcast(ifp.index, dst);
        if bcast && !o.broadcast {
            return Err(Errno::EACCES);
        }
        let mut payload = pkt;
        payload.truncate(hl + repr.payload_len);
        payload.strip(hl);
        self.stats.bump(&self.stats.ip_rawout);
        self.send_datagram(&ifp, hop, bcast, repr, payload)
    }

    /// Put the header on (fragmenting to the MTU) and hand each piece to
    /// the link.
    pub(crate) fn send_datagram(
        &self,
        ifp: &Arc<Ifnet>,
        hop: u32,
        bcast: bool,
        repr: IpRepr,
        payload: Pkt,
    ) -> KResult<()> {
        let mtu = ifp.mtu() as usize;
        if ipv4::HEADER_LEN + payload.len() <= mtu {
            let mut pkt = payload;
            let mut r = repr;
            r.payload_len = pkt.len();
            pkt.prepend(ipv4::HEADER_LEN);
            r.emit(pkt.data_mut()).map_err(|_| Errno::EMSGSIZE)?;
            return self.link_output(ifp, hop, bcast, pkt);
        }
        if repr.dont_frag {
            self.stats.bump(&self.stats.ip_cantfrag);
            return Err(Errno::EMSGSIZE);
        }
        if ipv4::HEADER_LEN + payload.len() > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        let chunk = (mtu - ipv4::HEADER_LEN) & !7;
        if chunk == 0 {
            return Err(Errno::EMSGSIZE);
        }
        let data = payload.data();
        let base = usize::from(repr.frag_offset);
        let last_more = repr.more_frags;
        let mut off = 0;
        self.stats.bump(&self.stats.ip_fragmented);
        while off < data.len() {
            let end = (off + chunk).min(data.len());
            let mut piece = Pkt::with_payload(&data[off..end]);
            let mut r = repr;
            r.payload_len = end - off;
            r.frag_offset = (base + off) as u16;
            r.more_frags = end < data.len() || last_more;
            piece.prepend(ipv4::HEADER_LEN);
            r.emit(piece.data_mut()).map_err(|_| Errno::EMSGSIZE)?;
            self.stats.bump(&self.stats.ip_ofragments);
            self.link_output(ifp, hop, bcast, piece)?;
            off = end;
        }
        Ok(())
    }

    /// Hand a whole datagram to the link: loopback as it is, Ethernet to
    /// the broadcast address or the next hop's hardware address via ARP.
    fn link_output(&self, ifp: &Arc<Ifnet>, hop: u32, bcast: bool, mut pkt: Pkt) -> KResult<()> {
        match ifp.link_type() {
            LinkType::Loopback => {
                pkt.proto = ethertype::IPV4;
                ifp.transmit(pkt)
            }
            LinkType::Ethernet => {
                if bcast {
                    return ifp.ether_output(pkt, EthAddr::BROADCAST, ethertype::IPV4);
                }
                if addr::is_multicast(hop) {
                    let h = hop.to_be_bytes();
                    let mac = EthAddr([0x01, 0x00, 0x5e, h[1] & 0x7f, h[2], h[3]]);
                    return ifp.ether_output(pkt, mac, ethertype::IPV4);
                }
                let now = self.now();
                let (r, back) = self.lock().arp.resolve(ifp.index, hop, pkt, now);
                match (r, back) {
                    (Resolve::Ready(hw), Some(pkt)) => ifp.ether_output(pkt, hw, ethertype::IPV4),
                    (Resolve::Ask, _) => {
                        self.arp_request(ifp, hop);
                        self.arm(now + crate::arp::RETRY);
                        Ok(())
                    }
                    (Resolve::Held, _) => Ok(()),
                    (Resolve::Down, _) => Err(Errno::EHOSTDOWN),
                    (Resolve::Ready(_), None) => Ok(()),
                }
            }
        }
    }

    // ---- ARP

    fn arp_request(&self, ifp: &Arc<Ifnet>, target: u32) {
        let Some(src) = self.source_for(ifp, target) else {
            return;
        };
        self.arp_request_from(ifp, src, target);
    }

    pub(crate) fn arp_request_from(&self, ifp: &Arc<Ifnet>, src: u32, target: u32) {
        let r = ArpRepr {
            op: Operation::Request,
            sender_hw: ifp.hwaddr,
            sender_ip: addr::from_u32(src),
            target_hw: EthAddr([0; 6]),
            target_ip: addr::from_u32(target),
        };
        self.arp_send(ifp, r, EthAddr::BROADCAST);
    }

    fn arp_send(&self, ifp: &Arc<Ifnet>, r: ArpRepr, to: EthAddr) {
        let mut pkt = Pkt::with_payload(&[0u8; crate::wire::arp::PACKET_LEN]);
        if r.emit(&mut ArpPacket::new_unchecked(pkt.data_mut()))
            .is_ok()
        {
            self.stats.bump(&self.stats.arp_sent);
            let _ = ifp.ether_output(pkt, to, ethertype::ARP);
        }
    }

    /// ARP input (`in_arpinput`): learn the sender, answer requests for
    /// our usable addresses, send what was waiting for the answer, and
    /// watch for other hosts using our addresses: a probe or a claim for
    /// a tentative address makes it duplicated, and one for a usable
    /// address is logged and answered, to defend it.
    pub fn arp_input(&self, ifp: &Arc<Ifnet>, pkt: Pkt, _info: LinkInfo) {
        self.stats.bump(&self.stats.arp_received);
        let Ok(r) = ArpPacket::new_checked(pkt.data()).and_then(|p| ArpRepr::parse(&p)) else {
            self.stats.bump(&self.stats.arp_bad);
            return;
        };
        let (sip, tip) = (addr::to_u32(r.sender_ip), addr::to_u32(r.target_ip));
        // The address the packet is about: the target if it is ours on
        // this interface, else the sender if it is, else any of this
        // interface's (NetBSD's `myaddr`).
        let mine = {
            let st = self.lock();
            let on = |a: u32| {
                st.addrs
                    .iter()
                    .any(|x| x.addr == a && x.ifindex == ifp.index)
                    .then_some(a)
            };
            on(tip)
                .or_else(|| on(sip))
                .or_else(|| {
                    st.addrs
                        .iter()
                        .find(|x| x.ifindex == ifp.index)
                        .map(|x| x.addr)
                })
                .map(|a| (a, st.dad.flags(ifp.index, a)))
        };
        let Some((myaddr, flags)) = mine else {
            return;
        };
        if r.sender_hw == ifp.hwaddr {
            return; // our own, looped back
        }
        if r.sender_hw == EthAddr::BROADCAST {
            self.log(&format!(
                "{}: arp: link address is broadcast for IP address {}!",
                ifp.name,
                addr::fmt(sip)
            ));
            return;
        }
        // RFC 5227 2.1.1: another host's probe for, or claim to, our address.
        if sip == myaddr || (sip == ANY && tip == myaddr) {
            if flags & IN_IFF_TENTATIVE != 0 {
                self.dad_duplicated(ifp, myaddr);
            }
            if flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) != 0 {
                return;
            }
        }
        if tip == ANY {
            return;
        }
        let mut target = tip;
        if sip == myaddr {
            self.log(&format!(
                "duplicate IP address {} sent from link address {}",
                addr::fmt(sip),
                r.sender_hw
            ));
            target = myaddr;
        } else if sip != ANY {
            let held =
                self.lock()
                    .arp
                    .learn(ifp.index, sip, r.sender_hw, self.now(), tip == myaddr);
            for p in held {
                if !p.is_empty() {
                    let _ = ifp.ether_output(p, r.sender_hw, ethertype::IPV4);
                }
            }
        }
        if r.op != Operation::Request || target != myaddr {
            return;
        }
        if flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) != 0 {
            return;
        }
        let reply = ArpRepr {
            op: Operation::Reply,
            sender_hw: ifp.hwaddr,
            sender_ip: addr::from_u32(target),
            target_hw: r.sender_hw,
            target_ip: r.sender_ip,
        };
        self.arp_send(ifp, reply, r.sender_hw);
    }

    /// Print on the kernel's console (NetBSD's `log`, which a rump kernel
    /// prints there).
    fn log(&self, msg: &str) {
        if let Some(k) = self.kernel.upgrade() {
            k.printf(msg);
        }
    }

    /// The ARP cache as `arp -a` shows it.
    pub fn arp_entries(&self) -> Vec<crate::arp::ArpEntry> {
        self.lock().arp.list(self.now())
    }

    /// `arp -d`.
    pub fn arp_delete(&self, ifindex: u16, ip: u32) -> bool {
        self.lock().arp.remove(ifindex, ip)
    }

    /// `arp -s`: an entry on the interface whose subnet holds `ip`,
    /// permanent, or lasting `lifetime` (`arp -s ... temp`). EEXIST if
    /// there is one already, as `lla_rt_output` says.
    pub fn arp_set(&self, ip: u32, hw: EthAddr, lifetime: Option<Duration>) -> KResult<()> {
        let mut st = self.lock();
        let ifindex = st
            .addrs
            .iter()
            .find(|a| ip & a.mask == a.net())
            .map(|a| a.ifindex)
            .ok_or(Errno::ENETUNREACH)?;
        if st.arp.contains(ifindex, ip) {
            return Err(Errno::EEXIST);
        }
        let until = lifetime.map(|d| self.now() + d);
        st.arp.set(ifindex, ip, hw, until);
        drop(st);
        if let Some(at) = until {
            self.arm(at);
        }
        Ok(())
    }

    // ---- input

    /// IPv4 input (`ip_input`).
    pub fn ip_input(&self, ifp: &Arc<Ifnet>, mut pkt: Pkt, info: LinkInfo) {
        self.stats.bump(&self.stats.ip_total);
        let (repr, hl) = match Packet::new_checked(pkt.data()) {
            Ok(p) => match IpRepr::parse(&p) {
                Ok(r) => (r, p.header_len()),
                Err(_) => {
                    self.stats.bump(&self.stats.ip_badsum);
                    return;
                }
            },
            Err(_) => {
                self.stats.bump(&self.stats.ip_tooshort);
                return;
            }
        };
        pkt.truncate(hl + repr.payload_len);
        let dst = addr::to_u32(repr.dst);
        let src = addr::to_u32(repr.src);
        if addr::is_multicast(src) || src == BROADCAST {
            self.stats.bump(&self.stats.ip_badaddr);
            return;
        }
        // Looked up once: the delivery below needs the same answer.
        let to_broadcast = dst == BROADCAST
            || addr::is_multicast(dst)
            || self.is_subnet_broadcast_in(ifp.index, dst);
        let for_us = to_broadcast
            || self.is_local_on(ifp, dst)
            || (ifp.flags() & IFF_LOOPBACK != 0 && addr::is_loopback(dst));
        if !for_us {
            // Nor is one for our own address while it is not ready
            // (tentative or duplicated): it is dropped, not forwarded.
            if info.broadcast || info.multicast || self.is_local(dst) {
                return;
            }
            self.forward(ifp, repr, hl, pkt);
            return;
        }
        let (repr, hl, pkt) = if repr.more_frags || repr.frag_offset != 0 {
            self.stats.bump(&self.stats.ip_fragments);
            let whole = self.lock().reass.insert(repr, hl, pkt, self.now());
            match whole {
                Some((r, p)) => {
                    self.stats.bump(&self.stats.ip_reassembled);
                    self.arm(self.now());
                    (r, ipv4::HEADER_LEN, p)
                }
                None => {
                    if let Some(at) = self.lock().reass.next_deadline() {
                        self.arm(at);
                    }
                    return;
                }
            }
        } else {
            (repr, hl, pkt)
        };
        self.stats.bump(&self.stats.ip_delivered);
        let bcast = info.broadcast || info.multicast || to_broadcast;
        let delivered_raw = raw::input(self, &repr, &pkt);
        let d = In {
            ifp,
            ip: repr,
            hl,
            bcast,
        };
        match repr.protocol {
            ipv4::proto::ICMP => icmp::input(self, &d, pkt),
            ipv4::proto::UDP => udp::input(self, &d, pkt),
            ipv4::proto::TCP => crate::tcp::socket::input(self, &d, pkt),
            _ if delivered_raw => {}
            _ => {
                self.stats.bump(&self.stats.ip_noproto);
                icmp::error(
                    self,
                    &d,
                    &pkt,
                    crate::wire::icmp::kind::UNREACH,
                    crate::wire::icmp::unreach::PROTOCOL,
                    0,
                );
            }
        }
    }

    /// Forward a datagram not for us (`ip_forward`), if forwarding is on.
    fn forward(&self, ifp: &Arc<Ifnet>, mut repr: IpRepr, hl: usize, pkt: Pkt) {
        use crate::wire::icmp::{kind, unreach};
        let d = In {
            ifp,
            ip: repr,
            hl,
            bcast: false,
        };
        if !self.cfg.forwarding.load(Ordering::Relaxed) {
            self.stats.bump(&self.stats.ip_cantforward);
            return;
        }
        let dst = addr::to_u32(repr.dst);
        if repr.ttl <= 1 {
            icmp::error(self, &d, &pkt, kind::TIME_EXCEEDED, 0, 0);
            return;
        }
        let Some(net) = self.net() else { return };
        let opts = self.default_opts();
        let (out, hop) = match self.route_to(&net, dst, &opts) {
            Ok(x) => x,
            Err(_) => {
                self.stats.bump(&self.stats.ip_noroute);
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::HOST, 0);
                return;
            }
        };
        let mut payload = pkt.clone();
        payload.strip(hl);
        repr.ttl -= 1;
        let mtu = out.mtu();
        let r = self.send_datagram(&out, hop, false, repr, payload);
        match r {
            Ok(()) => self.stats.bump(&self.stats.ip_forward),
            Err(Errno::EMSGSIZE) => {
                self.stats.bump(&self.stats.ip_cantfrag);
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::NEEDFRAG, mtu as u16);
            }
            Err(Errno::EHOSTDOWN) | Err(Errno::EHOSTUNREACH) => {
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::HOST, 0);
            }
            Err(_) => {}
        }
    }
}

/// A datagram being delivered locally: where it came from and its header.
pub struct In<'a> {
    /// The receiving interface.
    pub ifp: &'a Arc<Ifnet>,
    /// Its IPv4 header.
    pub ip: IpRepr,
    /// The header's length in the packet.
    pub hl: usize,
    /// Sent to a broadcast or multicast address.
    pub bcast: bool,
}
