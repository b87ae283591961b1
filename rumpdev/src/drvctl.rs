//! The drvctl driver (NetBSD's `sys/kern/kern_drvctl.c`, component
//! `librumpdev_drvctl`): `/dev/drvctl`, through which a tool lists the
//! device tree ([`crate::autoconf`]) and asks a device to detach.
//!
//! ```text
//! struct devlistargs    { char l_devname[16]; char (*l_childname)[16];
//!                         size_t l_children; }                        32 bytes
//! struct devdetachargs  { char devname[16]; }                          16 bytes
//! struct devrescanargs  { char busname[16]; char ifattr[16];
//!                         unsigned int numlocators; int *locators; }   48 bytes
//! struct devpmargs      { char devname[16]; uint32_t flags; }          20 bytes
//! ```
//!
//! NetBSD's rump component attaches the driver at its major (167) but
//! makes no node: a client must `mknod /dev/drvctl c 167 0` first. Ours
//! makes `/dev/drvctl`, so that a tool can list the tree as it comes.
//! `DRVGETEVENT` and `DRVCTLCOMMAND` pass property lists (proplib), and
//! suspend and resume go to power management; none is built yet, and
//! each is refused with EOPNOTSUPP and a line on the console.

use crate::autoconf::{DeviceTree, XNAME_LEN};
use netbsd_abi::Field;
use netbsd_abi::{IOC_IN, IOC_INOUT, IOC_OUT, ioc};
use rump::component::{AttachResult, Component, Phase};
use rump::devsw::{CharDriver, DevKind, DevSw, DeviceOpen};
use rump::module::ModuleClass;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;

/// drvctl's character major on amd64 (`sys/conf/majors`: `drvctl char 167`).
pub const DRVCTL_MAJOR: u32 = 167;
/// `DRVCTLDEV`, the node's name (`sys/drvctlio.h`).
pub const DRVCTLDEV: &str = "/dev/drvctl";

/// `sizeof(struct devlistargs)`.
pub const DEVLISTARGS_SIZE: usize = 32;
/// `sizeof(struct devdetachargs)`.
pub const DEVDETACHARGS_SIZE: usize = XNAME_LEN;
/// `sizeof(struct devrescanargs)`.
pub const DEVRESCANARGS_SIZE: usize = 48;
/// `sizeof(struct devpmargs)`.
pub const DEVPMARGS_SIZE: usize = XNAME_LEN + 4;
/// `sizeof(struct plistref)` (`prop/plistref.h`: a pointer and a size).
const PLISTREF_SIZE: usize = 16;

/// `struct devlistargs`'s fields.
pub mod devlistargs {
    use super::*;
    /// `l_devname`: the device whose children are asked ("" for the root).
    pub const L_DEVNAME: Field = Field::bytes(0, XNAME_LEN);
    /// `l_childname`: where the children's names go, 16 bytes each.
    pub const L_CHILDNAME: Field = Field::bytes(16, 8);
    /// `l_children`: room in `l_childname`, then how many children there are.
    pub const L_CHILDREN: Field = Field::bytes(24, 8);
}

/// `struct devrescanargs`'s fields.
pub mod devrescanargs {
    use super::*;
    /// `busname`.
    pub const BUSNAME: Field = Field::bytes(0, XNAME_LEN);
    /// `ifattr`: the interface attribute ("" for the bus's only one).
    pub const IFATTR: Field = Field::bytes(16, XNAME_LEN);
    /// `numlocators`.
    pub const NUMLOCATORS: Field = Field::bytes(32, 4);
    /// `locators`: a pointer to `numlocators` ints.
    pub const LOCATORS: Field = Field::bytes(40, 8);
}

/// `DRVDETACHDEV`: `_IOW('D', 123, struct devdetachargs)`.
pub const DRVDETACHDEV: u64 = ioc(IOC_IN, b'D', 123, DEVDETACHARGS_SIZE);
/// `DRVRESCANBUS`: `_IOW('D', 124, struct devrescanargs)`.
pub const DRVRESCANBUS: u64 = ioc(IOC_IN, b'D', 124, DEVRESCANARGS_SIZE);
/// `DRVCTLCOMMAND`: `_IOWR('D', 125, struct plistref)`.
pub const DRVCTLCOMMAND: u64 = ioc(IOC_INOUT, b'D', 125, PLISTREF_SIZE);
/// `DRVRESUMEDEV`: `_IOW('D', 126, struct devpmargs)`.
pub const DRVRESUMEDEV: u64 = ioc(IOC_IN, b'D', 126, DEVPMARGS_SIZE);
/// `DRVLISTDEV`: `_IOWR('D', 127, struct devlistargs)`.
pub const DRVLISTDEV: u64 = ioc(IOC_INOUT, b'D', 127, DEVLISTARGS_SIZE);
/// `DRVGETEVENT`: `_IOR('D', 128, struct plistref)`.
pub const DRVGETEVENT: u64 = ioc(IOC_OUT, b'D', 128, PLISTREF_SIZE);
/// `DRVSUSPENDDEV`: `_IOW('D', 129, struct devpmargs)`.
pub const DRVSUSPENDDEV: u64 = ioc(IOC_IN, b'D', 129, DEVPMARGS_SIZE);

/// `MAXLOCATORS` (`sys/device.h`): the most locators a rescan takes.
const MAXLOCATORS: u64 = 100;

/// The drvctl driver component (`librumpdev_drvctl`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_drvctl",
    module: "drvctl",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let sw = DevSw::of(k);
    let tree = DeviceTree::of(k);
    sw.attach_char("drvctl", DRVCTL_MAJOR, Arc::new(Drvctl { tree }))
        .map_err(|e| format!("cannot attach drvctl: {e}"))?;
    sw.make_node(k, DRVCTLDEV, DevKind::Char, DRVCTL_MAJOR, 0)
        .map_err(|e| format!("cannot create {DRVCTLDEV}: {e}"))
}

/// The drvctl character driver; every minor is the same device.
struct Drvctl {
    tree: Arc<DeviceTree>,
}

impl CharDriver for Drvctl {
    fn open(&self, _ctx: &Ctx, _minor: u32, _flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        Ok(Box::new(DrvctlOpen {
            tree: Arc::clone(&self.tree),
        }))
    }
}

/// An open `/dev/drvctl`: reads and writes are ENODEV, as NetBSD's.
struct DrvctlOpen {
    tree: Arc<DeviceTree>,
}

/// The NUL-terminated name at the start of `field`, which must hold a NUL
/// (EINVAL otherwise, as `listdevbyname` answers).
fn name_in(field: &[u8]) -> KResult<&str> {
    let end = field.iter().position(|&b| b == 0).ok_or(Errno::EINVAL)?;
    std::str::from_utf8(&field[..end]).map_err(|_| Errno::ENXIO)
}

impl DrvctlOpen {
    /// `listdevbyname`: the children of `l_devname`, as many names as
    /// `l_childname` has room for, and their count in `l_children`.
    fn list(&self, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        let devname = &data[devlistargs::L_DEVNAME.range()];
        let parent = if devname[0] == 0 {
            None
        } else {
            Some(name_in(devname)?)
        };
        let children = self.tree.children(parent)?;
        let to = devlistargs::L_CHILDNAME.get(data).ok_or(Errno::EINVAL)?;
        let room = devlistargs::L_CHILDREN.get(data).ok_or(Errno::EINVAL)?;
        if to != 0 {
            for (i, name) in children.iter().enumerate().take(room as usize) {
                let mut slot = name.as_bytes().to_vec();
                slot.push(0);
                let at = (i as u64)
                    .checked_mul(XNAME_LEN as u64)
                    .and_then(|o| to.checked_add(o))
                    .ok_or(Errno::EFAULT)?;
                user.copyout(at, &slot)?;
            }
        }
        devlistargs::L_CHILDREN.put(data, children.len() as u64);
        Ok(())
    }

    /// `rescanbus`: no device here has a rescan function, so an attached
    /// bus answers ENODEV, as NetBSD's `mainbus0` does.
    fn rescan(&self, data: &[u8], user: &dyn UserSpace) -> KResult<()> {
        let n = devrescanargs::NUMLOCATORS.get(data).ok_or(Errno::EINVAL)?;
        if n > MAXLOCATORS {
            return Err(Errno::EINVAL);
        }
        if n > 0 {
            let at = devrescanargs::LOCATORS.get(data).ok_or(Errno::EINVAL)?;
            let mut locs = vec![0u8; n as usize * 4];
            user.copyin(at, &mut locs)?;
        }
        let mut bus = data[devrescanargs::BUSNAME.range()].to_vec();
        bus[XNAME_LEN - 1] = 0;
        let bus = name_in(&bus)?;
        if !self.tree.contains(bus) {
            return Err(Errno::ENXIO);
        }
        Err(Errno::ENODEV)
    }
}

impl DeviceOpen for DrvctlOpen {
    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        match cmd {
            DRVLISTDEV => self.list(data, user),
            DRVDETACHDEV => {
                let mut name = data[..XNAME_LEN].to_vec();
                name[XNAME_LEN - 1] = 0;
                self.tree.request_detach(name_in(&name)?)
            }
            DRVRESCANBUS => self.rescan(data, user),
            DRVSUSPENDDEV | DRVRESUMEDEV => {
                let mut name = data[..XNAME_LEN].to_vec();
                name[XNAME_LEN - 1] = 0;
                if !self.tree.contains(name_in(&name)?) {
                    return Err(Errno::ENXIO);
                }
                ctx.kernel().printf(
                    "drvctl: device suspend and resume are not supported yet (no power management)",
                );
                Err(Errno::EOPNOTSUPP)
            }
            DRVGETEVENT | DRVCTLCOMMAND => {
                ctx.kernel().printf(
                    "drvctl: DRVGETEVENT and DRVCTLCOMMAND are not supported yet (no property lists)",
                );
                Err(Errno::EOPNOTSUPP)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    fn poll(&self, _events: i16) -> i16 {
        // Readable when an event is queued, and no event is ever queued.
        0
    }

    fn may_block(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_netbsds() {
        // _IOWR('D', 127, 32 bytes) and _IOW('D', 123, 16 bytes), as a
        // NetBSD compiler computes them.
        assert_eq!(DRVLISTDEV, 0xc020_447f);
        assert_eq!(DRVDETACHDEV, 0x8010_447b);
        assert_eq!(DRVRESCANBUS, 0x8030_447c);
        assert_eq!(DRVGETEVENT, 0x4010_4480);
    }
}
