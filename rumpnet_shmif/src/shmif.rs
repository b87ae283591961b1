//! The `shmif` interface: an Ethernet interface whose link is a bus file
//! (`ifconfig shmif0 create; ifconfig shmif0 linkstr BUSFILE`).

use crate::bus::{Bus, BusError, PktHdr, ReadPos};
use rump::kthread::KThread;
use rump::{Errno, KResult, Kernel};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IfDriver, IfHandle, LinkType};
use rumpnet::net::{Cloner, IfConfig};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::Address;
use rumpuser::{FileWatch, SharedFileMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, Weak};
use std::time::Duration;

/// Longest link string (`MAXPATHLEN`).
const MAXPATHLEN: usize = netbsd_abi::MAXPATHLEN as usize;
/// Most frames read at once, and answered in one burst.
const BURST_FRAMES: usize = 32;
/// How long (host time) the receive loop looks for more frames before it
/// sleeps.
const SPIN: Duration = Duration::from_micros(50);
/// How long the receive loop sleeps without a wakeup before looking again.
const IDLE: Duration = Duration::from_millis(500);

/// An attached bus.
struct Link {
    bus: Bus<SharedFileMap>,
    watch: FileWatch,
    path: String,
}

impl Link {
    fn wakeup(&self) {
        // A write through the file, not the mapping, is what wakes the
        // other processes' watches (NetBSD's `dowakeup`).
        let _ = self.bus.mem.poke_file(
            crate::bus::field::VERSION as u64,
            &crate::bus::VERSION.to_ne_bytes(),
        );
    }
}

#[derive(Default)]
struct State {
    rx: Option<(KThread, Arc<AtomicBool>, Arc<std::sync::atomic::AtomicU64>)>,
}

/// One shmif interface.
pub struct Shmif {
    unit: u32,
    impair: Option<Arc<Mutex<crate::impair::Impairer>>>,
    uuid: u64,
    kernel: Weak<Kernel>,
    /// The kernel's clock, which stamps the frames sent.
    clock: Arc<rump::clock::KernelClock>,
    handle: Mutex<Option<IfHandle>>,
    state: Mutex<State>,
    // Read for every frame sent, by several threads: a read lock, and no
    // reference count to bump.
    link: RwLock<Option<Arc<Link>>>,
}

impl Shmif {
    fn lock(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.state)
    }

    fn link(&self) -> RwLockReadGuard<'_, Option<Arc<Link>>> {
        self.link.read().unwrap_or_else(|e| e.into_inner())
    }

    fn set_link(&self, l: Option<Arc<Link>>) {
        *self.link.write().unwrap_or_else(|e| e.into_inner()) = l;
    }

    fn stop_rx(&self) {
        let rx = self.lock().rx.take();
        if let Some((t, stop, tid)) = rx {
            stop.store(true, Ordering::Release);
            if let Some(l) = self.link().as_ref() {
                l.wakeup();
            }
            // The receive thread itself may be the one letting the stack
            // go (its upgrade of the stack was the last): it ends on its own.
            if tid.load(Ordering::Acquire) != rumpuser::current_thread_id() {
                t.join();
            }
        }
    }
}

/// The receive loop: read every new frame, pass up those for us, and wait
/// on the bus file between bursts.
fn receive(
    link: Arc<Link>,
    mut pos: ReadPos,
    uuid: u64,
    handle: IfHandle,
    stop: Arc<AtomicBool>,
    quiet: impl Fn(),
) {
    let mut batch = Vec::with_capacity(BURST_FRAMES);
    while !stop.load(Ordering::Acquire) && handle.alive() {
        if link.bus.read_batch(&mut pos, &mut batch, BURST_FRAMES) == 0 {
            // A frame held back to be reordered goes out when the link
            // is quiet, so that it is late rather than lost.
            quiet();
            // Look again for a moment before sleeping (in a stream the next
            // frame is usually microseconds away), then sleep on the bus
            // file's watch, which writers signal after each burst.
            link.watch
                .wait_for(|| !link.bus.is_empty_for(pos), SPIN, IDLE);
            continue;
        }
        // Answers to the frames of one batch are sent as a burst too.
        let _burst = handle.burst();
        for (h, frame) in batch.drain(..) {
            // Shorter than an Ethernet header: the empty packet a new bus
            // starts with, or damage.
            if h.sender == uuid || frame.len() < 14 || frame.len() > crate::bus::MAX_FRAME {
                continue;
            }
            handle.input(Pkt::from_vec(frame));
        }
    }
}

impl IfDriver for Shmif {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }

    fn transmit(&self, frame: Pkt) -> bool {
        let link = self.link();
        let Some(link) = link.as_ref() else {
            return false;
        };
        if frame.len() > crate::bus::MAX_FRAME {
            return false;
        }
        let up = self.clock.monotonic();
        let hdr = PktHdr {
            len: frame.len() as u32,
            sec: up.as_secs() as u32,
            usec: up.subsec_micros(),
            sender: self.uuid,
        };
        match &self.impair {
            None => link.bus.write(hdr, frame.data()),
            Some(m) => {
                let out = rump::sync::lock(m).frames(hdr, frame.data());
                for (h, f) in out {
                    link.bus.write(h, &f);
                }
            }
        }
        true
    }

    fn flush(&self) {
        if let Some(link) = self.link().as_ref() {
            link.wakeup();
        }
    }

    fn attached(&self, handle: IfHandle) {
        *rump::sync::lock(&self.handle) = Some(handle);
    }

    fn init(&self) -> KResult<()> {
        let link = self.link().clone().ok_or(Errno::ENXIO)?;
        if self.lock().rx.is_some() {
            return Ok(());
        }
        let handle = rump::sync::lock(&self.handle).clone().ok_or(Errno::ENXIO)?;
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        let pos = link.bus.tail();
        let stop = Arc::new(AtomicBool::new(false));
        let (l, s, uuid) = (Arc::clone(&link), Arc::clone(&stop), self.uuid);
        let imp = self.impair.clone();
        let tid = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let my_tid = Arc::clone(&tid);
        let t = k.kthread_spawn(&format!("shmif{}", self.unit), move |_| {
            my_tid.store(rumpuser::current_thread_id(), Ordering::Release);
            let held = |imp: &Mutex<crate::impair::Impairer>| rump::sync::lock(imp).flush();
            let link = Arc::clone(&l);
            let quiet = move || {
                if let Some((h, f)) = imp.as_deref().and_then(held) {
                    link.bus.write(h, &f);
                    link.wakeup();
                }
            };
            receive(l, pos, uuid, handle, s, quiet)
        })?;
        self.lock().rx = Some((t, stop, tid));
        Ok(())
    }

    fn stop(&self) {
        self.stop_rx();
    }

    fn destroy(&self) {
        self.stop_rx();
        self.set_link(None);
    }

    fn downs_before_detach(&self) -> bool {
        true
    }

    fn set_linkstr(&self, s: Option<&str>) -> KResult<()> {
        let running = rump::sync::lock(&self.handle)
            .as_ref()
            .and_then(|h| h.ifnet())
            .is_some_and(|i| i.flags() & rumpnet::ifnet::IFF_UP != 0);
        if running {
            return Err(Errno::EBUSY);
        }
        let Some(path) = s else {
            self.stop_rx();
            self.set_link(None);
            return Ok(());
        };
        if self.link().is_some() {
            return Err(Errno::EBUSY);
        }
        if path.len() + 1 > MAXPATHLEN {
            return Err(Errno::E2BIG);
        }
        let map = SharedFileMap::open(path, crate::bus::SIZE).map_err(|e| Errno::from_host(&e))?;
        let bus = Bus { mem: map };
        if let Err(BusError::NotMagical) = bus.attach() {
            if let Some(k) = self.kernel.upgrade() {
                k.printf(&format!("shmif{}: bus {path} is not magical", self.unit));
            }
            return Err(Errno::ENOEXEC);
        }
        let watch = FileWatch::new(path).map_err(|e| Errno::from_host(&e))?;
        self.set_link(Some(Arc::new(Link {
            bus,
            watch,
            path: path.to_owned(),
        })));
        Ok(())
    }

    fn linkstr(&self) -> KResult<Option<String>> {
        Ok(self.link().as_ref().map(|l| l.path.clone()))
    }

    fn link_up(&self) -> bool {
        self.link().is_some()
    }
}

fn create(k: &Kernel, unit: u32) -> KResult<IfConfig> {
    let impair = match rumpuser::param("RUMP_SHMIF_IMPAIR") {
        None => None,
        Some(v) => match crate::impair::Impairment::parse(&v) {
            Ok(i) if i.is_active() => Some(Arc::new(Mutex::new(crate::impair::Impairer::new(
                i,
                k.cprng().u64(),
            )))),
            Ok(_) => None,
            Err(e) => {
                k.printf(&format!("shmif{unit}: RUMP_SHMIF_IMPAIR: {e}"));
                return Err(Errno::EINVAL);
            }
        },
    };
    let r = k.cprng().u64().to_ne_bytes();
    let mac = Address([0xb2, 0xa0, r[0], r[1], r[2], r[3]]);
    k.aprint_verbose(&format!("shmif{unit}: Ethernet address {mac}"));
    Ok(IfConfig {
        driver: Box::new(Shmif {
            unit,
            impair,
            uuid: k.cprng().u64(),
            kernel: k.weak(),
            clock: Arc::clone(k.clock()),
            handle: Mutex::new(None),
            state: Mutex::new(State::default()),
            link: RwLock::new(None),
        }),
        hwaddr: mac,
        flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
        mtu: 1500,
    })
}

/// The `shmif` cloner.
pub const CLONER: Cloner = Cloner {
    name: "shmif",
    create,
};
