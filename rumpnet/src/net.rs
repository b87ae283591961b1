//! The network stack of one kernel: its interfaces, interface cloners,
//! protocol families, link-layer input dispatch and timers.

use crate::burst::Bursts;
use crate::callout::Callouts;
use crate::ifnet::{IFNAMSIZ, IfDriver, IfHandle, IfStats, Ifnet, LinkType};
use crate::pkt::Pkt;
use crate::socket::ProtoSocket;
use crate::wire::ethernet::{self, Address, Frame};
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};

use rump::sync::lock;

fn read<T>(m: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(m: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

/// How a received packet reached us.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// Sent to the link's broadcast address (`M_BCAST`).
    pub broadcast: bool,
    /// Sent to a link multicast address (`M_MCAST`).
    pub multicast: bool,
    /// The link-layer sender.
    pub src: Address,
}

/// A network-layer input routine (`ipintr`, `arpintr`), called with the
/// packet after its link header.
pub type InputFn = Arc<dyn Fn(&Arc<Ifnet>, Pkt, LinkInfo) + Send + Sync>;

/// What an interface is created with.
pub struct IfConfig {
    /// The driver.
    pub driver: Box<dyn IfDriver>,
    /// Link-layer address.
    pub hwaddr: Address,
    /// Initial `IFF_*` flags.
    pub flags: u32,
    /// Initial MTU.
    pub mtu: u32,
}

/// Makes interfaces of one kind (`if_clone`): `shmif` makes `shmif0`, ...
pub struct Cloner {
    /// The name prefix.
    pub name: &'static str,
    /// Make unit `unit`'s driver.
    pub create: fn(&Kernel, u32) -> KResult<IfConfig>,
}

/// A protocol family (NetBSD's `struct domain`).
pub trait Domain: Send + Sync {
    /// `AF_*` number.
    fn family(&self) -> u8;
    /// Make a socket of `typ` (`SOCK_*`) and `protocol` (0: the default).
    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>>;
    /// Address ioctls for this family on interface `ifp`
    /// (`SIOCAIFADDR`, ...); ENOTTY for commands it does not know.
    fn ifioctl(
        &self,
        _ctx: &Ctx,
        _cmd: u64,
        _data: &mut [u8],
        _ifp: &Arc<Ifnet>,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        Err(Errno::ENOTTY)
    }
    /// The family's addresses on `ifp`, as sockaddrs (`SIOCGIFCONF`).
    fn ifaddrs(&self, _ifp: &Ifnet) -> Vec<Vec<u8>> {
        Vec::new()
    }
    /// `ifp` changed flags (up or down).
    fn if_changed(&self, _ifp: &Arc<Ifnet>) {}
    /// `ifp` is going away: drop its addresses, routes and caches.
    fn if_detach(&self, _ifp: &Ifnet) {}
    /// Every route of the family, ARP entries included (`NET_RT_DUMP`).
    fn routes(&self) -> Vec<crate::route::RouteInfo> {
        Vec::new()
    }
    /// The family's link-layer (ARP) entries.
    fn lltable(&self) -> Vec<crate::rtsysctl::LlEntry> {
        Vec::new()
    }
    /// The family's addresses on `ifp`, with masks and flags
    /// (`NET_RT_IFLIST`).
    fn ifaddr_info(&self, _ifp: &Ifnet) -> Vec<crate::rtsysctl::IfAddrInfo> {
        Vec::new()
    }
    /// A routing socket's request (add, delete, change, get).
    fn route(&self, _req: &crate::route::RouteRequest) -> KResult<crate::route::RouteInfo> {
        Err(Errno::EAFNOSUPPORT)
    }
}

/// Most packets waiting for input processing (`IFQ_MAXLEN`).
const INPUT_QUEUE_MAX: usize = 4096;

/// The network stack of one kernel.
pub struct Net {
    kernel: Weak<Kernel>,
    ifs: RwLock<Vec<Arc<Ifnet>>>,
    // Serialises creation so that two creates cannot take one name.
    creating: Mutex<()>,
    cloners: RwLock<Vec<Cloner>>,
    domains: RwLock<Vec<Arc<dyn Domain>>>,
    inputs: RwLock<Vec<(u16, InputFn)>>,
    queue: Mutex<VecDeque<(Arc<Ifnet>, Pkt)>>,
    draining: AtomicBool,
    callouts: Arc<Callouts>,
    clock: Arc<rump::clock::KernelClock>,
    timer_started: AtomicBool,
    netisr: std::sync::OnceLock<crate::callout::TimerId>,
    route_socks: Mutex<Vec<Weak<crate::route::RouteSocket>>>,
    bursts: Arc<Bursts>,
    local: std::sync::OnceLock<Arc<crate::local::LocalDomain>>,
}

/// A burst of work on the stack (see [`Net::burst`]): while one is open,
/// drivers wake their peers every few frames rather than for each, and
/// what was put off ([`Bursts::defer`]) runs when the last one ends.
pub struct Burst {
    net: Arc<Net>,
}

impl Drop for Burst {
    fn drop(&mut self) {
        if self.net.bursts.open.fetch_sub(1, Ordering::SeqCst) == 1 {
            for ifp in read(&self.net.ifs).iter() {
                ifp.flush();
            }
            self.net.bursts.run_deferred();
        }
    }
}

impl Drop for Net {
    fn drop(&mut self) {
        self.shutdown();
    }
}

impl Net {
    /// The stack of kernel `k`, made on first use.
    pub fn of(k: &Kernel) -> Arc<Net> {
        k.extension(|| Net::new(k))
    }

    fn new(k: &Kernel) -> Net {
        Net {
            kernel: k.weak(),
            ifs: RwLock::new(Vec::new()),
            creating: Mutex::new(()),
            cloners: RwLock::new(Vec::new()),
            domains: RwLock::new(Vec::new()),
            inputs: RwLock::new(Vec::new()),
            queue: Mutex::new(VecDeque::new()),
            draining: AtomicBool::new(false),
            callouts: Arc::new(Callouts::new(Arc::clone(k.clock()))),
            clock: Arc::clone(k.clock()),
            timer_started: AtomicBool::new(false),
            netisr: std::sync::OnceLock::new(),
            route_socks: Mutex::new(Vec::new()),
            bursts: Arc::new(Bursts::default()),
            local: std::sync::OnceLock::new(),
        }
    }

    /// Stop the timers and every interface (at halt, or when the kernel
    /// is dropped).
    pub fn shutdown(&self) {
        self.callouts.stop();
        let ifs = std::mem::take(&mut *write(&self.ifs));
        for ifp in ifs {
            self.detach(&ifp);
        }
    }

    /// The kernel, while it exists.
    pub fn kernel(&self) -> Option<Arc<Kernel>> {
        self.kernel.upgrade()
    }

    /// A weak reference to the kernel.
    pub fn kernel_weak(&self) -> Weak<Kernel> {
        self.kernel.clone()
    }

    /// The kernel's clock, which the stack's timers and timeouts go by.
    pub fn clock(&self) -> &Arc<rump::clock::KernelClock> {
        &self.clock
    }

    /// The protocol timers.
    pub fn callouts(&self) -> &Arc<Callouts> {
        &self.callouts
    }

    /// Start the timer thread (once). Components that add timers call this.
    pub fn start_timers(&self) -> KResult<()> {
        if self.timer_started.swap(true, Ordering::AcqRel) {
            return Ok(());
        }
        let k = self.kernel().ok_or(Errno::ENXIO)?;
        // Queued input nobody drains (loopback output from a call that
        // returns without waiting, a close) is processed by the timer
        // thread, as NetBSD's softint would.
        let me = self.weak();
        let id = self.callouts.add(
            "netisr",
            Box::new(move |_| {
                if let Some(n) = me.upgrade() {
                    n.drain();
                }
                None
            }),
        );
        let _ = self.netisr.set(id);
        let c = Arc::clone(&self.callouts);
        k.kthread_spawn("softclock", move |_| c.run())
            .inspect_err(|_| self.timer_started.store(false, Ordering::Release))?;
        Ok(())
    }

    /// Every open routing socket.
    pub fn route_sockets(&self) -> Vec<Arc<crate::route::RouteSocket>> {
        let mut v = lock(&self.route_socks);
        v.retain(|w| w.strong_count() > 0);
        v.iter().filter_map(Weak::upgrade).collect()
    }

    pub(crate) fn add_route_socket(&self, s: Weak<crate::route::RouteSocket>) {
        lock(&self.route_socks).push(s);
    }

    // ---- protocol families and input routines

    /// Add a protocol family. EEXIST if it is there already.
    pub fn add_domain(&self, d: Arc<dyn Domain>) -> KResult<()> {
        let mut ds = write(&self.domains);
        if ds.iter().any(|x| x.family() == d.family()) {
            return Err(Errno::EEXIST);
        }
        ds.push(d);
        Ok(())
    }

    /// The protocol family `af`.
    pub fn domain(&self, af: u8) -> Option<Arc<dyn Domain>> {
        read(&self.domains)
            .iter()
            .find(|d| d.family() == af)
            .cloned()
    }

    /// Every protocol family.
    pub fn domains(&self) -> Vec<Arc<dyn Domain>> {
        read(&self.domains).clone()
    }

    /// Route packets of link protocol `proto` (an Ethernet type) to `f`.
    pub fn add_input(&self, proto: u16, f: InputFn) {
        write(&self.inputs).push((proto, f));
    }

    // ---- interfaces

    /// Add an interface cloner. EEXIST if the name is taken.
    pub fn add_cloner(&self, c: Cloner) -> KResult<()> {
        let mut cs = write(&self.cloners);
        if cs.iter().any(|x| x.name == c.name) {
            return Err(Errno::EEXIST);
        }
        cs.push(c);
        Ok(())
    }

    /// The names of the cloners (`SIOCIFGCLONERS`).
    pub fn cloner_names(&self) -> Vec<&'static str> {
        read(&self.cloners).iter().map(|c| c.name).collect()
    }

    /// Every interface, by index.
    pub fn interfaces(&self) -> Vec<Arc<Ifnet>> {
        read(&self.ifs).clone()
    }

    /// The interface called `name`.
    pub fn ifunit(&self, name: &str) -> Option<Arc<Ifnet>> {
        read(&self.ifs).iter().find(|i| i.name == name).cloned()
    }

    /// The interface with index `index`.
    pub fn ifindex(&self, index: u16) -> Option<Arc<Ifnet>> {
        read(&self.ifs).iter().find(|i| i.index == index).cloned()
    }

    /// Attach an interface called `name` (`if_attach`).
    pub fn attach(&self, name: &str, cfg: IfConfig) -> KResult<Arc<Ifnet>> {
        if name.is_empty() || name.len() >= IFNAMSIZ {
            return Err(Errno::EINVAL);
        }
        let mut ifs = write(&self.ifs);
        if ifs.iter().any(|i| i.name == name) {
            return Err(Errno::EEXIST);
        }
        // The lowest index not in use, as if_index allocation reuses them.
        let index = (1..=u16::MAX)
            .find(|n| ifs.iter().all(|i| i.index != *n))
            .ok_or(Errno::ENOSPC)?;
        let ifp = Arc::new(Ifnet::new(
            index,
            name.to_owned(),
            cfg,
            Arc::clone(&self.bursts),
            Arc::clone(&self.clock),
        ));
        ifs.push(Arc::clone(&ifp));
        ifs.sort_by_key(|i| i.index);
        drop(ifs);
        ifp.driver().attached(IfHandle {
            net: self.weak(),
            ifp: Arc::downgrade(&ifp),
        });
        let arrival = crate::rtsysctl::ifannounce_msg(&ifp, crate::rtsysctl::IFAN_ARRIVAL);
        crate::route::broadcast(self, 0, &arrival);
        Ok(ifp)
    }

    fn weak(&self) -> Weak<Net> {
        // The kernel's extension map holds the one strong reference.
        self.kernel()
            .and_then(|k| k.try_extension::<Net>())
            .map(|n| Arc::downgrade(&n))
            .unwrap_or_default()
    }

    /// `ifconfig NAME create`: find the cloner whose name prefixes `name`
    /// and whose rest is a unit number.
    pub fn clone_create(&self, k: &Kernel, name: &str) -> KResult<Arc<Ifnet>> {
        let _g = lock(&self.creating);
        if self.ifunit(name).is_some() {
            return Err(Errno::EEXIST);
        }
        let (create, unit) = {
            let cs = read(&self.cloners);
            let found = cs.iter().find_map(|c| {
                let unit = name.strip_prefix(c.name)?;
                let ok = !unit.is_empty()
                    && unit.bytes().all(|b| b.is_ascii_digit())
                    && (unit == "0" || !unit.starts_with('0'));
                Some((c.create, unit.parse::<u32>().ok().filter(|_| ok)?))
            });
            found.ok_or(Errno::EINVAL)?
        };
        let cfg = create(k, unit)?;
        self.attach(name, cfg)
    }

    /// `ifconfig NAME destroy` (`if_detach`): only cloned interfaces.
    pub fn clone_destroy(&self, name: &str) -> KResult<()> {
        let cloned = read(&self.cloners).iter().any(|c| {
            name.strip_prefix(c.name)
                .is_some_and(|u| !u.is_empty() && u.bytes().all(|b| b.is_ascii_digit()))
        });
        if !cloned {
            return Err(Errno::EINVAL);
        }
        let ifp = {
            let mut ifs = write(&self.ifs);
            let i = ifs
                .iter()
                .position(|i| i.name == name)
                .ok_or(Errno::ENXIO)?;
            ifs.remove(i)
        };
        self.detach(&ifp);
        Ok(())
    }

    fn detach(&self, ifp: &Arc<Ifnet>) {
        use crate::ifnet::{IFF_RUNNING, IFF_UP};
        let ifinfo = |flags: u32| {
            ifp.store_flags(flags);
            crate::route::broadcast(self, 0, &crate::rtsysctl::ifstate_msg(ifp));
        };
        if ifp.driver().downs_before_detach() {
            ifinfo(ifp.flags() & !(IFF_UP | IFF_RUNNING));
        }
        // if_detach's own if_down, whatever state the interface is in.
        ifinfo(ifp.flags() & !IFF_UP);
        ifp.store_flags(ifp.flags() & !(IFF_UP | IFF_RUNNING));
        ifp.driver().stop();
        for d in self.domains() {
            d.if_detach(ifp);
        }
        let departure = crate::rtsysctl::ifannounce_msg(ifp, crate::rtsysctl::IFAN_DEPARTURE);
        crate::route::broadcast(self, 0, &departure);
        ifp.driver().destroy();
        lock(&self.queue).retain(|(i, _)| !Arc::ptr_eq(i, ifp));
    }

    /// Set the interface's flags (`SIOCSIFFLAGS`): bringing it up starts
    /// the driver; the kernel-only flags stay as they are.
    pub fn set_flags(&self, ifp: &Arc<Ifnet>, want: u32) -> KResult<()> {
        use crate::ifnet::{IFF_CANTCHANGE, IFF_RUNNING, IFF_UP};
        let old = ifp.flags();
        let mut new = (old & IFF_CANTCHANGE) | (want & !IFF_CANTCHANGE);
        if want & IFF_UP != 0 && old & IFF_UP == 0 {
            ifp.driver().init()?;
            new |= IFF_RUNNING;
        } else if want & IFF_UP == 0 && old & IFF_UP != 0 {
            ifp.driver().stop();
            new &= !IFF_RUNNING;
        }
        ifp.store_flags(new);
        if (old ^ new) & IFF_UP != 0 {
            crate::route::broadcast(self, 0, &crate::rtsysctl::ifstate_msg(ifp));
        }
        if (old ^ new) & (IFF_UP | IFF_RUNNING) != 0 {
            for d in self.domains() {
                d.if_changed(ifp);
            }
        }
        Ok(())
    }

    /// Add the local domain (`AF_LOCAL`), which `socketpair` also uses.
    pub fn add_local_domain(&self, d: Arc<crate::local::LocalDomain>) -> KResult<()> {
        self.local.set(Arc::clone(&d)).map_err(|_| Errno::EEXIST)?;
        self.add_domain(d)
    }

    /// The local domain.
    pub fn local_domain(&self) -> Option<Arc<crate::local::LocalDomain>> {
        self.local.get().cloned()
    }

    /// The stack's bursts.
    pub fn bursts(&self) -> Arc<Bursts> {
        Arc::clone(&self.bursts)
    }

    /// Open a burst of transmissions, for code about to send several
    /// frames in a row (a receive loop's answers, a socket's send).
    pub fn burst(self: &Arc<Self>) -> Burst {
        self.bursts.open.fetch_add(1, Ordering::SeqCst);
        Burst {
            net: Arc::clone(self),
        }
    }

    // ---- input

    /// A driver received `frame` on `ifp`: queue it and process the queue
    /// unless another thread is doing so already (NetBSD's softint).
    pub fn input(&self, ifp: &Arc<Ifnet>, frame: Pkt) {
        self.push(ifp, frame);
        self.drain();
    }

    /// Queue `frame` for input without processing it now: loopback output,
    /// which may run with a protocol's locks held. Whoever called into the
    /// stack drains the queue once those are released.
    pub fn enqueue(&self, ifp: &Arc<Ifnet>, frame: Pkt) {
        if self.push(ifp, frame)
            && let Some(id) = self.netisr.get()
        {
            self.callouts.arm(*id, self.callouts.now());
        }
    }

    fn push(&self, ifp: &Arc<Ifnet>, frame: Pkt) -> bool {
        let mut q = lock(&self.queue);
        if q.len() >= INPUT_QUEUE_MAX {
            IfStats::bump(&ifp.stats.iqdrops);
            return false;
        }
        q.push_back((Arc::clone(ifp), frame));
        true
    }

    /// Process queued input until the queue is empty.
    pub fn drain(&self) {
        loop {
            if self.draining.swap(true, Ordering::AcqRel) {
                return; // the thread that holds it will see our packets
            }
            loop {
                let next = lock(&self.queue).pop_front();
                match next {
                    Some((ifp, pkt)) => self.dispatch(&ifp, pkt),
                    None => break,
                }
            }
            self.draining.store(false, Ordering::Release);
            if lock(&self.queue).is_empty() {
                return;
            }
        }
    }

    fn dispatch(&self, ifp: &Arc<Ifnet>, mut pkt: Pkt) {
        IfStats::bump(&ifp.stats.ipackets);
        ifp.stats
            .ibytes
            .fetch_add(pkt.len() as u64, Ordering::Relaxed);
        if !ifp.is_usable() {
            IfStats::bump(&ifp.stats.iqdrops);
            return;
        }
        let (proto, info) = match ifp.link_type() {
            LinkType::Loopback => (pkt.proto, LinkInfo::default()),
            LinkType::Ethernet => {
                let Ok(f) = Frame::new_checked(pkt.data()) else {
                    IfStats::bump(&ifp.stats.ierrors);
                    return;
                };
                let (dst, src, typ) = (f.dst(), f.src(), f.ethertype());
                let promisc = ifp.flags() & crate::ifnet::IFF_PROMISC != 0;
                if dst.is_unicast() && dst != ifp.hwaddr && !promisc {
                    return; // someone else's
                }
                if src == ifp.hwaddr {
                    return; // our own, heard back from the bus
                }
                let info = LinkInfo {
                    broadcast: dst.is_broadcast(),
                    multicast: dst.is_multicast() && !dst.is_broadcast(),
                    src,
                };
                if info.broadcast || info.multicast {
                    IfStats::bump(&ifp.stats.imcasts);
                }
                pkt.strip(ethernet::HEADER_LEN);
                pkt.proto = typ;
                (typ, info)
            }
        };
        let f = read(&self.inputs)
            .iter()
            .find(|(p, _)| *p == proto)
            .map(|(_, f)| Arc::clone(f));
        match f {
            Some(f) => f(ifp, pkt, info),
            None => IfStats::bump(&ifp.stats.noproto),
        }
    }
}
