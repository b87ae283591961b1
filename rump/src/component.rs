//! Components and factions: the pieces a kernel is assembled from, attached
//! in NetBSD's boot order.
//!
//! A component is a crate that exposes one [`Component`] value; its `init`
//! function is the whole of its registration, as NetBSD's `RUMP_COMPONENT()`.

use crate::module::ModuleClass;
use crate::sync::lock;

/// The boot phases in the order a kernel attaches components
/// (`RUMP_COMPONENT_*` in NetBSD's `rump_private.h`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Base kernel services.
    Kern,
    /// Kernel services the VFS faction needs first.
    KernVfs,
    /// The VFS faction and file systems.
    Vfs,
    /// The NET faction.
    Net,
    /// Routing.
    NetRoute,
    /// Network interfaces.
    NetIf,
    /// Interface configuration.
    NetIfCfg,
    /// The DEV faction and device drivers.
    Dev,
    /// Drivers attached after the main bus.
    DevAfterMainbus,
    /// After every faction is up.
    PostInit,
    /// System call tables.
    Syscall,
}

/// The three factions; a kernel has each at most once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Faction {
    /// File systems (`librumpvfs`).
    Vfs,
    /// Networking (`librumpnet`).
    Net,
    /// Devices (`librumpdev`).
    Dev,
}

/// What a component's `init` reports when it cannot attach.
pub type AttachResult = Result<(), String>;

/// A kernel component.
pub struct Component {
    /// The library name, as `rump_server -l` takes it (`rumpvfs`, `rumpfs_tmpfs`).
    pub name: &'static str,
    /// The module it appears as in `modstat` (`vfs`, `tmpfs`).
    pub module: &'static str,
    /// The module class.
    pub class: ModuleClass,
    /// The boot phase it attaches in.
    pub phase: Phase,
    /// The faction it is, if it is one.
    pub faction: Option<Faction>,
    /// Library names of the components it requires.
    pub requires: &'static [&'static str],
    /// Whether it needs kernel threads (it fails to attach under `RUMP_THREADS=0`).
    pub needs_threads: bool,
    /// Attach the component to the kernel.
    pub init: fn(&crate::Kernel) -> AttachResult,
}

impl std::fmt::Debug for Component {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Component({}, {:?})", self.name, self.phase)
    }
}

/// Why a set of components could not be attached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AttachError {
    /// `component` requires `missing`, which is neither attached nor offered.
    MissingRequirement {
        /// The component that cannot attach.
        component: String,
        /// The requirement nobody provides.
        missing: String,
    },
    /// A second copy of a faction or component.
    Duplicate(String),
    /// The component's `init` failed.
    Init {
        /// The component.
        component: String,
        /// Its message.
        message: String,
    },
}

impl std::fmt::Display for AttachError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachError::MissingRequirement { component, missing } => {
                write!(
                    f,
                    "component {component} requires {missing}, which is not present"
                )
            }
            AttachError::Duplicate(name) => write!(f, "component {name} is already attached"),
            AttachError::Init { component, message } => {
                write!(f, "component {component} failed to attach: {message}")
            }
        }
    }
}

impl std::error::Error for AttachError {}

/// Collects the components a library offers; handed to a library's entry point.
#[derive(Default)]
pub struct ComponentSet {
    list: std::sync::Mutex<Vec<&'static Component>>,
}

impl ComponentSet {
    /// Offer a component.
    pub fn add(&self, c: &'static Component) {
        lock(&self.list).push(c);
    }

    /// The components offered so far.
    pub fn take(&self) -> Vec<&'static Component> {
        std::mem::take(&mut *lock(&self.list))
    }
}
