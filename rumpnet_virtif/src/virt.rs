//! The `virt` interface: frames go to and come from a host tap device.

use rump::kthread::KThread;
use rump::{Errno, KResult, Kernel};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IfDriver, IfHandle, LinkType};
use rumpnet::net::{Cloner, IfConfig};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::Address;
use rumpuser::Tap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, Weak};
use std::time::Duration;

/// Longest host device name (Linux's `IFNAMSIZ` less the NUL).
const MAX_LINKSTR: usize = 15;
/// How long the receive loop waits before looking at its stop flag.
const IDLE: Duration = Duration::from_millis(200);
/// Largest frame read: Ethernet with a VLAN tag.
const MAX_FRAME: usize = 1522;
/// Most frames read and answered as one burst.
const BURST_FRAMES: usize = 32;

struct Rx {
    thread: KThread,
    stop: Arc<AtomicBool>,
    tid: Arc<AtomicU64>,
}

/// One `virt` interface.
pub struct Virt {
    unit: u32,
    kernel: Weak<Kernel>,
    handle: Mutex<Option<IfHandle>>,
    /// The host device's name (`linkstr`).
    linkstr: Mutex<String>,
    /// The open device, while the interface is up.
    tap: RwLock<Option<Arc<Tap>>>,
    rx: Mutex<Option<Rx>>,
}

impl Virt {
    fn tap(&self) -> Option<Arc<Tap>> {
        self.tap.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn rx(&self) -> MutexGuard<'_, Option<Rx>> {
        rump::sync::lock(&self.rx)
    }

    fn stop_rx(&self) {
        let rx = self.rx().take();
        if let Some(rx) = rx {
            rx.stop.store(true, Ordering::Release);
            // The receive thread may itself be letting the stack go.
            if rx.tid.load(Ordering::Acquire) != rumpuser::current_thread_id() {
                rx.thread.join();
            }
        }
        *self.tap.write().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

/// The receive loop: read frames as they come and pass them up, a batch
/// at a time.
fn receive(tap: Arc<Tap>, handle: IfHandle, stop: Arc<AtomicBool>) {
    let mut buf = vec![0u8; MAX_FRAME];
    while !stop.load(Ordering::Acquire) && handle.alive() {
        if !tap.wait(IDLE) {
            continue;
        }
        let burst = handle.burst();
        let mut failed = false;
        for _ in 0..BURST_FRAMES {
            match tap.read_frame(&mut buf) {
                Ok(n) if n >= 14 => {
                    handle.input(Pkt::from_vec(buf[..n].to_vec()));
                }
                Ok(_) => {}
                Err(_) => {
                    failed = true;
                    break;
                }
            }
            if !tap.wait(Duration::ZERO) {
                break;
            }
        }
        drop(burst);
        if failed {
            // The host device went away or failed: do not spin (and never
            // sleep inside a burst, which holds up the whole stack).
            rumpuser::sleep_rel(IDLE);
        }
    }
}

impl IfDriver for Virt {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }

    fn transmit(&self, frame: Pkt) -> bool {
        match self.tap() {
            Some(t) => t.write_frame(frame.data()).is_ok(),
            None => false,
        }
    }

    fn attached(&self, handle: IfHandle) {
        *rump::sync::lock(&self.handle) = Some(handle);
    }

    /// Up: open the host device and start reading it.
    fn init(&self) -> KResult<()> {
        if self.rx().is_some() {
            return Ok(());
        }
        let handle = rump::sync::lock(&self.handle).clone().ok_or(Errno::ENXIO)?;
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        let name = rump::sync::lock(&self.linkstr).clone();
        let tap = Arc::new(Tap::open(&name).map_err(|e| {
            k.printf(&format!(
                "virt{}: cannot open host device {name}: {e}",
                self.unit
            ));
            Errno::from_host(&e)
        })?);
        *self.tap.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&tap));
        let stop = Arc::new(AtomicBool::new(false));
        let tid = Arc::new(AtomicU64::new(0));
        let (s, t) = (Arc::clone(&stop), Arc::clone(&tid));
        let thread = k.kthread_spawn(&format!("virt{}", self.unit), move |_| {
            t.store(rumpuser::current_thread_id(), Ordering::Release);
            receive(tap, handle, s)
        })?;
        *self.rx() = Some(Rx { thread, stop, tid });
        Ok(())
    }

    fn stop(&self) {
        self.stop_rx();
    }

    fn destroy(&self) {
        self.stop_rx();
    }

    fn downs_before_detach(&self) -> bool {
        true
    }

    fn set_linkstr(&self, s: Option<&str>) -> KResult<()> {
        if self.rx().is_some() {
            return Err(Errno::EBUSY);
        }
        let name = match s {
            Some(s) if s.is_empty() || s.len() > MAX_LINKSTR || s.contains('/') => {
                return Err(Errno::EINVAL);
            }
            Some(s) => s.to_owned(),
            None => format!("virt{}", self.unit),
        };
        *rump::sync::lock(&self.linkstr) = name;
        Ok(())
    }

    fn linkstr(&self) -> KResult<Option<String>> {
        Ok(Some(rump::sync::lock(&self.linkstr).clone()))
    }

    fn link_up(&self) -> bool {
        self.tap().is_some()
    }
}

fn create(k: &Kernel, unit: u32) -> KResult<IfConfig> {
    let r = k.cprng().u16().to_le_bytes();
    // NetBSD's virt addresses: b2:0a, then random, with the unit last.
    let mac = Address([0xb2, 0x0a, r[0], r[1], 0x0e, unit as u8]);
    k.aprint_verbose(&format!("virt{unit}: Ethernet address {mac}"));
    Ok(IfConfig {
        driver: Box::new(Virt {
            unit,
            kernel: k.weak(),
            handle: Mutex::new(None),
            linkstr: Mutex::new(format!("virt{unit}")),
            tap: RwLock::new(None),
            rx: Mutex::new(None),
        }),
        hwaddr: mac,
        flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
        mtu: 1500,
    })
}

/// The `virt` cloner.
pub const CLONER: Cloner = Cloner {
    name: "virt",
    create,
};
