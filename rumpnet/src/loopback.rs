//! The software loopback interface (`lo0`, and more `lo` by cloning).

use crate::ifnet::{IFF_LOOPBACK, IFF_MULTICAST, IfDriver, IfHandle, LinkType};
use crate::net::{Cloner, IfConfig};
use crate::pkt::Pkt;
use crate::wire::ethernet::Address;
use rump::{KResult, Kernel};
use std::sync::Mutex;

/// NetBSD's `LOMTU`.
pub const LOMTU: u32 = 33624;

/// A loopback driver: every packet sent comes back as input.
#[derive(Default)]
pub struct Loopback {
    handle: Mutex<Option<IfHandle>>,
}

impl IfDriver for Loopback {
    fn link_type(&self) -> LinkType {
        LinkType::Loopback
    }

    fn transmit(&self, frame: Pkt) -> bool {
        let h = rump::sync::lock(&self.handle).clone();
        // Queued, not processed: the sender may hold protocol locks.
        h.is_some_and(|h| h.enqueue(frame))
    }

    fn attached(&self, handle: IfHandle) {
        *rump::sync::lock(&self.handle) = Some(handle);
    }
}

fn create(_k: &Kernel, _unit: u32) -> KResult<IfConfig> {
    Ok(IfConfig {
        driver: Box::new(Loopback::default()),
        hwaddr: Address([0; 6]),
        // Running from the start, as loop_clone_create makes it.
        flags: IFF_LOOPBACK | IFF_MULTICAST | crate::ifnet::IFF_RUNNING,
        mtu: LOMTU,
    })
}

/// The `lo` cloner.
pub const CLONER: Cloner = Cloner { name: "lo", create };
