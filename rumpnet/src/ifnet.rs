//! Network interfaces (NetBSD's `struct ifnet`): what every interface has
//! (name, index, flags, MTU, counters), and the small trait a driver
//! implements to put frames on its link.

use crate::net::Net;
use crate::pkt::Pkt;
use crate::wire::ethernet::{self, Address};
use rump::{Errno, KResult};
use std::sync::atomic::{AtomicI32, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// `IFF_UP`: administratively up.
pub const IFF_UP: u32 = netbsd_abi::IFF_UP as u32;
/// `IFF_BROADCAST`.
pub const IFF_BROADCAST: u32 = netbsd_abi::IFF_BROADCAST as u32;
/// `IFF_LOOPBACK`.
pub const IFF_LOOPBACK: u32 = netbsd_abi::IFF_LOOPBACK as u32;
/// `IFF_POINTOPOINT`.
pub const IFF_POINTOPOINT: u32 = netbsd_abi::IFF_POINTOPOINT as u32;
/// `IFF_RUNNING`: the driver has resources and the link is usable.
pub const IFF_RUNNING: u32 = netbsd_abi::IFF_RUNNING as u32;
/// `IFF_NOARP`.
pub const IFF_NOARP: u32 = netbsd_abi::IFF_NOARP as u32;
/// `IFF_PROMISC`.
pub const IFF_PROMISC: u32 = netbsd_abi::IFF_PROMISC as u32;
/// `IFF_ALLMULTI`.
pub const IFF_ALLMULTI: u32 = netbsd_abi::IFF_ALLMULTI as u32;
/// `IFF_OACTIVE`.
pub const IFF_OACTIVE: u32 = netbsd_abi::IFF_OACTIVE as u32;
/// `IFF_SIMPLEX`: the interface cannot hear its own transmissions.
pub const IFF_SIMPLEX: u32 = netbsd_abi::IFF_SIMPLEX as u32;
/// `IFF_MULTICAST`.
pub const IFF_MULTICAST: u32 = netbsd_abi::IFF_MULTICAST as u32;
/// `IFF_CANTCHANGE`: flags only the kernel sets.
pub const IFF_CANTCHANGE: u32 = netbsd_abi::IFF_CANTCHANGE as u32;

/// `LINK_STATE_UNKNOWN`, `_DOWN`, `_UP`.
pub const LINK_STATE_UNKNOWN: u8 = netbsd_abi::LINK_STATE_UNKNOWN as u8;
/// The link is down.
pub const LINK_STATE_DOWN: u8 = netbsd_abi::LINK_STATE_DOWN as u8;
/// The link is up.
pub const LINK_STATE_UP: u8 = netbsd_abi::LINK_STATE_UP as u8;

/// `IFT_ETHER`.
pub const IFT_ETHER: u8 = netbsd_abi::IFT_ETHER as u8;
/// `IFT_LOOP`.
pub const IFT_LOOP: u8 = netbsd_abi::IFT_LOOP as u8;

/// Longest interface name with its NUL (`IFNAMSIZ`).
pub const IFNAMSIZ: usize = netbsd_abi::IFNAMSIZ as usize;

/// What a link carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkType {
    /// Ethernet frames with a 14-byte header.
    Ethernet,
    /// Bare network-layer packets, tagged with [`Pkt::proto`].
    Loopback,
}

/// Within a burst, the peers are still woken after this many frames, so
/// that they work on the first frames while the rest are being sent.
const FLUSH_EVERY: usize = 8;

/// How the stack reaches a driver. A driver never calls back into the
/// stack from `transmit`: received frames go through [`IfHandle::input`].
pub trait IfDriver: Send + Sync {
    /// What the link carries.
    fn link_type(&self) -> LinkType;
    /// Put one frame on the link (a whole Ethernet frame, or a bare packet
    /// for loopback). Returns false if it was dropped. A driver whose
    /// peers must be woken may leave that to [`IfDriver::flush`].
    fn transmit(&self, frame: Pkt) -> bool;
    /// Wake the link's peers for the frames transmitted since the last
    /// flush: NetBSD's `if_start` loops over its queue and wakes once.
    /// The stack calls it at the end of a burst ([`crate::net::Burst`]).
    fn flush(&self) {}
    /// The interface was attached; `handle` delivers received frames.
    fn attached(&self, _handle: IfHandle) {}
    /// `IFF_UP` was set: start the link (`if_init`).
    fn init(&self) -> KResult<()> {
        Ok(())
    }
    /// `IFF_UP` was cleared (`if_stop`).
    fn stop(&self) {}
    /// The interface is being destroyed: stop every thread and let go of
    /// host resources.
    fn destroy(&self) {}
    /// Whether destroying the interface stops it and marks it down
    /// before `if_detach` does it again, as shmif's and virt's unclone do
    /// (each `if_down` is an `RTM_IFINFO`).
    fn downs_before_detach(&self) -> bool {
        false
    }
    /// Set (`Some`) or clear the link string (`SIOCSLINKSTR`); EOPNOTSUPP
    /// for drivers without one.
    fn set_linkstr(&self, _s: Option<&str>) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// The link string (`SIOCGLINKSTR`); EOPNOTSUPP without one.
    fn linkstr(&self) -> KResult<Option<String>> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Whether the link is up now.
    fn link_up(&self) -> bool {
        true
    }
}

/// Per-interface counters (`struct if_data`).
#[derive(Default, Debug)]
pub struct IfStats {
    /// Packets received.
    pub ipackets: AtomicU64,
    /// Input errors.
    pub ierrors: AtomicU64,
    /// Packets sent.
    pub opackets: AtomicU64,
    /// Output errors.
    pub oerrors: AtomicU64,
    /// Bytes received.
    pub ibytes: AtomicU64,
    /// Bytes sent.
    pub obytes: AtomicU64,
    /// Multicast and broadcast packets received.
    pub imcasts: AtomicU64,
    /// Multicast and broadcast packets sent.
    pub omcasts: AtomicU64,
    /// Packets dropped on input.
    pub iqdrops: AtomicU64,
    /// Packets for a protocol the kernel does not have.
    pub noproto: AtomicU64,
}

impl IfStats {
    /// Add one to `c`.
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }
}

/// One interface.
pub struct Ifnet {
    /// Interface index, from 1.
    pub index: u16,
    /// Name, such as `shmif0`.
    pub name: String,
    /// Link-layer address (Ethernet); all zero for loopback.
    pub hwaddr: Address,
    driver: Box<dyn IfDriver>,
    flags: AtomicU32,
    mtu: AtomicU32,
    metric: AtomicI32,
    link_state: AtomicU8,
    lastchange: Mutex<Duration>,
    /// The kernel's clock, for `lastchange`.
    clock: Arc<rump::clock::KernelClock>,
    /// Bursts open on the stack, shared with [`crate::net::Net`].
    bursts: Arc<crate::burst::Bursts>,
    /// Frames transmitted and not yet flushed.
    unflushed: AtomicUsize,
    /// Counters.
    pub stats: IfStats,
}

impl std::fmt::Debug for Ifnet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ifnet")
            .field("index", &self.index)
            .field("name", &self.name)
            .finish()
    }
}

impl Ifnet {
    pub(crate) fn new(
        index: u16,
        name: String,
        cfg: crate::net::IfConfig,
        bursts: Arc<crate::burst::Bursts>,
        clock: Arc<rump::clock::KernelClock>,
    ) -> Ifnet {
        Ifnet {
            index,
            name,
            hwaddr: cfg.hwaddr,
            driver: cfg.driver,
            flags: AtomicU32::new(cfg.flags),
            mtu: AtomicU32::new(cfg.mtu),
            metric: AtomicI32::new(0),
            link_state: AtomicU8::new(LINK_STATE_UNKNOWN),
            lastchange: Mutex::new(clock.wall()),
            clock,
            bursts,
            unflushed: AtomicUsize::new(0),
            stats: IfStats::default(),
        }
    }

    /// The driver.
    pub fn driver(&self) -> &dyn IfDriver {
        &*self.driver
    }

    /// What the link carries.
    pub fn link_type(&self) -> LinkType {
        self.driver.link_type()
    }

    /// `IFF_*` flags.
    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    /// Whether the interface is up and running.
    pub fn is_usable(&self) -> bool {
        self.flags() & (IFF_UP | IFF_RUNNING) == IFF_UP | IFF_RUNNING
    }

    pub(crate) fn store_flags(&self, f: u32) {
        self.flags.store(f, Ordering::Release);
        self.touch();
    }

    /// MTU in bytes.
    pub fn mtu(&self) -> u32 {
        self.mtu.load(Ordering::Relaxed)
    }

    pub(crate) fn set_mtu(&self, mtu: u32) {
        self.mtu.store(mtu, Ordering::Relaxed);
    }

    /// The routing metric.
    pub fn metric(&self) -> i32 {
        self.metric.load(Ordering::Relaxed)
    }

    pub(crate) fn set_metric(&self, m: i32) {
        self.metric.store(m, Ordering::Relaxed);
    }

    /// `LINK_STATE_*`.
    pub fn link_state(&self) -> u8 {
        // A loopback runs from its creation but has no link to speak of
        // until it is up.
        if self.flags() & (IFF_RUNNING | IFF_UP) != IFF_RUNNING | IFF_UP {
            return self.link_state.load(Ordering::Relaxed);
        }
        if self.driver.link_up() {
            LINK_STATE_UP
        } else {
            LINK_STATE_DOWN
        }
    }

    /// When the interface last changed state (wall clock).
    pub fn lastchange(&self) -> Duration {
        *rump::sync::lock(&self.lastchange)
    }

    fn touch(&self) {
        *rump::sync::lock(&self.lastchange) = self.clock.wall();
    }

    /// Reset the counters (`SIOCZIFDATA`).
    pub fn zero_stats(&self) {
        let s = &self.stats;
        for c in [
            &s.ipackets,
            &s.ierrors,
            &s.opackets,
            &s.oerrors,
            &s.ibytes,
            &s.obytes,
            &s.imcasts,
            &s.omcasts,
            &s.iqdrops,
            &s.noproto,
        ] {
            c.store(0, Ordering::Relaxed);
        }
    }

    /// `IFT_*` of the interface.
    pub fn if_type(&self) -> u8 {
        match self.link_type() {
            LinkType::Ethernet => IFT_ETHER,
            LinkType::Loopback => IFT_LOOP,
        }
    }

    /// Send `pkt` as it is (already framed for the link). Counts it and
    /// hands it to the driver; a down interface drops it (ENETDOWN).
    pub fn transmit(&self, pkt: Pkt) -> KResult<()> {
        if !self.is_usable() {
            IfStats::bump(&self.stats.oerrors);
            return Err(Errno::ENETDOWN);
        }
        let len = pkt.len() as u64;
        let multi = self.link_type() == LinkType::Ethernet
            && pkt.data().first().is_some_and(|b| b & 1 != 0);
        if self.driver.transmit(pkt) {
            // Counted before the burst count is read, and swapped to zero
            // after a burst ends (both SeqCst): a frame is flushed either
            // here or by the burst's end, never by neither.
            let n = self.unflushed.fetch_add(1, Ordering::SeqCst) + 1;
            if n >= FLUSH_EVERY || !self.bursts.is_open() {
                self.flush();
            }
            IfStats::bump(&self.stats.opackets);
            self.stats.obytes.fetch_add(len, Ordering::Relaxed);
            if multi {
                IfStats::bump(&self.stats.omcasts);
            }
            Ok(())
        } else {
            IfStats::bump(&self.stats.oerrors);
            Err(Errno::ENOBUFS)
        }
    }

    /// The stack's bursts (see [`crate::burst`]).
    pub fn bursts(&self) -> &Arc<crate::burst::Bursts> {
        &self.bursts
    }

    /// Wake the link's peers if frames wait for it.
    pub(crate) fn flush(&self) {
        if self.unflushed.swap(0, Ordering::SeqCst) > 0 {
            self.driver.flush();
        }
    }

    /// Frame `pkt` for Ethernet (`ether_output` once the destination is
    /// known) and send it.
    pub fn ether_output(&self, mut pkt: Pkt, dst: Address, ethertype: u16) -> KResult<()> {
        let h = pkt.prepend(ethernet::HEADER_LEN);
        h[0..6].copy_from_slice(&dst.0);
        h[6..12].copy_from_slice(&self.hwaddr.0);
        h[12..14].copy_from_slice(&ethertype.to_be_bytes());
        self.transmit(pkt)
    }
}

/// What a driver holds to deliver received frames to the stack.
#[derive(Clone)]
pub struct IfHandle {
    pub(crate) net: Weak<Net>,
    pub(crate) ifp: Weak<Ifnet>,
}

impl IfHandle {
    /// Deliver one received frame. False once the stack or the interface
    /// is gone: the driver's receive loop should end then.
    pub fn input(&self, frame: Pkt) -> bool {
        match (self.net.upgrade(), self.ifp.upgrade()) {
            (Some(net), Some(ifp)) => {
                net.input(&ifp, frame);
                true
            }
            _ => false,
        }
    }

    /// Queue one frame for input, to be processed once the sender has let
    /// go of its locks (loopback). False once the stack is gone.
    pub fn enqueue(&self, frame: Pkt) -> bool {
        match (self.net.upgrade(), self.ifp.upgrade()) {
            (Some(net), Some(ifp)) => {
                net.enqueue(&ifp, frame);
                true
            }
            _ => false,
        }
    }

    /// Open a burst of transmissions on the stack ([`Net::burst`]), for a
    /// receive loop about to deliver several frames. None once the stack is
    /// gone.
    pub fn burst(&self) -> Option<crate::net::Burst> {
        self.net.upgrade().map(|n| n.burst())
    }

    /// Whether the interface still exists.
    pub fn alive(&self) -> bool {
        self.net.strong_count() > 0 && self.ifp.strong_count() > 0
    }

    /// The interface, while it exists.
    pub fn ifnet(&self) -> Option<Arc<Ifnet>> {
        self.ifp.upgrade()
    }
}

/// The name `buf` holds, up to its NUL: an interface name from an
/// `ifreq` and friends. EINVAL if it is not valid UTF-8 or is unterminated.
pub fn ifname(buf: &[u8]) -> KResult<&str> {
    let b = buf.get(..IFNAMSIZ).unwrap_or(buf);
    let end = b.iter().position(|&c| c == 0).ok_or(Errno::EINVAL)?;
    std::str::from_utf8(&b[..end]).map_err(|_| Errno::EINVAL)
}

#[cfg(test)]
mod tests;
