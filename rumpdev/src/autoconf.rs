//! Autoconfiguration: the kernel's tree of attached devices (NetBSD's
//! `alldevs`, `sys/kern/subr_autoconf.c`), which `drvctl(4)` lists.
//!
//! NetBSD's rump kernel attaches `mainbus0` as the root bus when the DEV
//! faction has drivers (`rump_dev.c`, `config_rootfound("mainbus")`), and
//! its pseudo-device drivers attach a unit at the root when it is first
//! used and detach it when it is neither configured nor open
//! (`config_attach_pseudo`/`config_detach`: `vnd0` from its first open
//! until `vnconfig -u` and the last close, `md0` and `cgd0` alike). A
//! driver does the same with two calls:
//!
//! ```ignore
//! let tree = DeviceTree::of(k);
//! tree.attach(None, "vnd", 0, Some(detach_fn))?; // "vnd0", at the root
//! tree.detach("vnd0");                            // gone, children first
//! ```
//!
//! The detach function is what `DRVDETACHDEV` calls (the driver's
//! `ca_detach`): a device without one cannot be detached that way
//! (EOPNOTSUPP, as NetBSD's `config_detach` answers for `mainbus0`).

use rump::sync::lock;
use rump::{Errno, KResult, Kernel};
use std::sync::{Arc, Mutex};

/// `sizeof(dv_xname)` (`sys/device.h`): a device's name with its NUL.
pub const XNAME_LEN: usize = 16;

/// A driver's detach function (`ca_detach`): give up the unit, or say why
/// not (EBUSY while it is open, say). The tree removes the device after
/// it succeeds, if the driver has not done so itself.
pub type DetachFn = Arc<dyn Fn() -> KResult<()> + Send + Sync>;

/// One attached device (`struct device`).
struct Device {
    name: String,
    parent: Option<String>,
    detach: Option<DetachFn>,
}

/// The devices attached to one kernel, in the order they attached.
#[derive(Default)]
pub struct DeviceTree {
    devices: Mutex<Vec<Device>>,
}

impl DeviceTree {
    /// The device tree of kernel `k`.
    pub fn of(k: &Kernel) -> Arc<DeviceTree> {
        k.extension(DeviceTree::default)
    }

    /// Attach unit `unit` of driver `driver` (`config_attach`) under the
    /// device called `parent`, or at the root; its name, `driver` and
    /// `unit` run together ("vnd0"). EEXIST if a device has the name,
    /// ENXIO if the parent is not attached, ENAMETOOLONG if the name does
    /// not fit NetBSD's `dv_xname`.
    pub fn attach(
        &self,
        parent: Option<&str>,
        driver: &str,
        unit: u32,
        detach: Option<DetachFn>,
    ) -> KResult<String> {
        let name = format!("{driver}{unit}");
        if driver.is_empty() || name.len() >= XNAME_LEN {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut devs = lock(&self.devices);
        if devs.iter().any(|d| d.name == name) {
            return Err(Errno::EEXIST);
        }
        if let Some(p) = parent
            && !devs.iter().any(|d| d.name == p)
        {
            return Err(Errno::ENXIO);
        }
        devs.push(Device {
            name: name.clone(),
            parent: parent.map(str::to_owned),
            detach,
        });
        Ok(name)
    }

    /// Remove device `name` and, first, its children (`config_detach`
    /// after the driver agreed); false if it was not attached.
    pub fn detach(&self, name: &str) -> bool {
        let mut devs = lock(&self.devices);
        let Some(at) = devs.iter().position(|d| d.name == name) else {
            return false;
        };
        let mut gone = vec![devs.remove(at).name];
        while let Some(parent) = gone.pop() {
            while let Some(at) = devs
                .iter()
                .position(|d| d.parent.as_deref() == Some(&parent))
            {
                gone.push(devs.remove(at).name);
            }
        }
        true
    }

    /// Whether device `name` is attached.
    pub fn contains(&self, name: &str) -> bool {
        lock(&self.devices).iter().any(|d| d.name == name)
    }

    /// The names of the children of `parent` (the root's with `None`), in
    /// attach order; ENXIO if `parent` is not attached.
    pub fn children(&self, parent: Option<&str>) -> KResult<Vec<String>> {
        let devs = lock(&self.devices);
        if let Some(p) = parent
            && !devs.iter().any(|d| d.name == p)
        {
            return Err(Errno::ENXIO);
        }
        Ok(devs
            .iter()
            .filter(|d| d.parent.as_deref() == parent)
            .map(|d| d.name.clone())
            .collect())
    }

    /// Ask device `name`'s driver to detach it (`DRVDETACHDEV`'s
    /// `detachdevbyname`): ENXIO if it is not attached, EOPNOTSUPP if its
    /// driver cannot detach it, else what the driver answers.
    pub fn request_detach(&self, name: &str) -> KResult<()> {
        let detach = {
            let devs = lock(&self.devices);
            let d = devs.iter().find(|d| d.name == name).ok_or(Errno::ENXIO)?;
            d.detach.clone().ok_or(Errno::EOPNOTSUPP)?
        };
        // Called without the lock: the driver detaches itself through us.
        detach()?;
        self.detach(name);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_attach_under_parents_in_order_and_detach_with_their_children() {
        let t = DeviceTree::default();
        assert_eq!(t.attach(None, "mainbus", 0, None).unwrap(), "mainbus0");
        assert_eq!(t.attach(None, "pad", 0, None).unwrap(), "pad0");
        assert_eq!(t.attach(Some("pad0"), "audio", 0, None).unwrap(), "audio0");
        assert_eq!(t.attach(None, "vnd", 0, None).unwrap(), "vnd0");
        assert_eq!(t.attach(None, "vnd", 0, None), Err(Errno::EEXIST));
        assert_eq!(t.attach(Some("nosuch0"), "x", 0, None), Err(Errno::ENXIO));
        assert_eq!(
            t.attach(None, "abcdefghijklmno", 1, None),
            Err(Errno::ENAMETOOLONG)
        );
        assert_eq!(t.children(None).unwrap(), ["mainbus0", "pad0", "vnd0"]);
        assert_eq!(t.children(Some("pad0")).unwrap(), ["audio0"]);
        assert!(t.children(Some("mainbus0")).unwrap().is_empty());
        assert_eq!(t.children(Some("audio1")), Err(Errno::ENXIO));
        assert!(t.detach("pad0"));
        assert!(!t.contains("audio0"));
        assert!(!t.detach("pad0"));
        assert_eq!(t.children(None).unwrap(), ["mainbus0", "vnd0"]);
    }

    #[test]
    fn detach_requests_go_to_the_driver_and_fail_without_one() {
        let t = Arc::new(DeviceTree::default());
        t.attach(None, "mainbus", 0, None).unwrap();
        let busy = Arc::new(Mutex::new(true));
        let b = Arc::clone(&busy);
        let detach: DetachFn = Arc::new(move || if *lock(&b) { Err(Errno::EBUSY) } else { Ok(()) });
        t.attach(None, "vnd", 0, Some(detach)).unwrap();
        assert_eq!(t.request_detach("mainbus0"), Err(Errno::EOPNOTSUPP));
        assert_eq!(t.request_detach("nosuch0"), Err(Errno::ENXIO));
        assert_eq!(t.request_detach("vnd0"), Err(Errno::EBUSY));
        assert!(t.contains("vnd0"));
        *lock(&busy) = false;
        assert_eq!(t.request_detach("vnd0"), Ok(()));
        assert!(!t.contains("vnd0"));
    }
}
