//! The kernel object: everything one rump kernel is, as a value.

use crate::component::{AttachError, Component, Faction};
use crate::config::{BootConfig, ConfigError};
use crate::cpu::Vcpus;
use crate::errno::{Errno, KResult};
use crate::idhash::IdHashMap;
use crate::kmem::{Kmem, KmemBuf, MemCharge, Reclaimer};
use crate::lwproc::ProcTable;
use crate::module::{ModuleInfo, ModuleSource, ModuleTable};
use crate::syscall::SyscallTable;
use crate::sysctl::SysctlTree;
use std::any::{Any, TypeId};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use crate::sync::lock;

/// Where the kernel's messages go. Built by the program that boots the kernel,
/// so that a component loaded at run time prints through the program's
/// logging, not through its own silent copy of it.
pub type Console = Box<dyn Fn(ConsoleLevel, &str) + Send + Sync>;

/// How important a console message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConsoleLevel {
    /// Always printed (`printf`).
    Normal,
    /// Printed only under bootverbose (`aprint_verbose`).
    Verbose,
}

/// A function run at shutdown; the flag says whether file systems may be synced.
pub type ShutdownHook = Box<dyn Fn(&Kernel, bool) + Send + Sync>;

/// How a reboot asks the host process to end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostExit {
    /// Exit with this status (a reboot without `RB_HALT`).
    Exit(i32),
    /// Dump core (`RB_DUMP`).
    Dump,
}

/// What the kernel does when a reboot ends the host process: by default
/// the process exits or aborts with a core dump, as NetBSD's rump kernels
/// do; a server or a test harness installs its own.
pub type ExitHandler = Box<dyn Fn(HostExit) + Send + Sync>;

/// Why a kernel could not boot.
#[derive(Debug)]
pub enum BootError {
    /// A `RUMP_*` variable could not be parsed.
    Config(ConfigError),
    /// A component could not attach.
    Attach(AttachError),
}

impl std::fmt::Display for BootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BootError::Config(e) => write!(f, "rump kernel boot: {e}"),
            BootError::Attach(e) => write!(f, "rump kernel boot: {e}"),
        }
    }
}

impl std::error::Error for BootError {}

/// Builds and boots a kernel from a configuration and a list of components:
/// a custom kernel is the list of components handed to this builder.
pub struct KernelBuilder {
    config: Option<BootConfig>,
    components: Vec<&'static Component>,
    console: Option<Console>,
    time: Option<Arc<dyn crate::clock::TimeSource>>,
    cprng_seed: Option<[u8; crate::cprng::SEED_LEN]>,
}

/// The hypercall interface version this kernel is written against.
pub const HYPERCALL_VERSION: u32 = 1;

// The kernel and its hypercall layer are compiled into one image, so their
// versions are compared when it is built; component libraries, built
// separately, are compared when they are loaded (`rumpuser::DlLibrary`).
const _: () = assert!(
    rumpuser::RUMPUSER_VERSION == HYPERCALL_VERSION,
    "the hypercall layer's version is not the one this kernel is written against"
);

impl KernelBuilder {
    /// A builder configured from the host's `RUMP_*` parameters.
    pub fn new() -> KernelBuilder {
        KernelBuilder {
            config: None,
            components: Vec::new(),
            console: None,
            time: None,
            cprng_seed: None,
        }
    }

    /// Take the kernel's time from `source` instead of the host's clocks:
    /// a [`crate::clock::ManualClock`] lets a test move time on.
    pub fn time_source(mut self, source: Arc<dyn crate::clock::TimeSource>) -> Self {
        self.time = Some(source);
        self
    }

    /// Key the kernel's fast random numbers ([`Kernel::cprng`]) with `seed`
    /// instead of the host's entropy, so that they repeat from run to run.
    pub fn cprng_seed(mut self, seed: [u8; crate::cprng::SEED_LEN]) -> Self {
        self.cprng_seed = Some(seed);
        self
    }

    /// Use this configuration instead of the host's `RUMP_*` parameters.
    pub fn config(mut self, c: BootConfig) -> Self {
        self.config = Some(c);
        self
    }

    /// Link a component into the kernel.
    pub fn component(mut self, c: &'static Component) -> Self {
        self.components.push(c);
        self
    }

    /// Send kernel messages to `console` instead of `tracing`.
    pub fn console(mut self, console: Console) -> Self {
        self.console = Some(console);
        self
    }

    /// Boot (`rump_init`).
    pub fn boot(self) -> Result<Arc<Kernel>, BootError> {
        let config = match self.config {
            Some(c) => c,
            None => BootConfig::from_host().map_err(BootError::Config)?,
        };
        let console = self.console.unwrap_or_else(|| Box::new(tracing_console));
        let cprng = match self.cprng_seed {
            Some(seed) => crate::cprng::Cprng::from_seed(seed),
            None => crate::cprng::Cprng::from_host().map_err(|e| {
                BootError::Attach(AttachError::Init {
                    component: "rump".into(),
                    message: format!("no entropy from the host to key the kernel's cprng: {e}"),
                })
            })?,
        };
        let clock = match self.time {
            Some(t) => crate::clock::KernelClock::with_source(t),
            None => crate::clock::KernelClock::new(),
        };
        let k = Arc::new_cyclic(|me| Kernel::new(config, console, clock, cprng, me.clone()));
        k.aprint_verbose(&format!(
            "rump kernel booting: {} virtual CPU(s), memory limit {}",
            k.config.ncpu,
            k.config
                .memlimit
                .map_or("none".to_string(), |m| format!("{m} bytes"))
        ));
        crate::syscall::register_base(&k);
        crate::sysctl::base::register(&k)
            .and_then(|()| crate::sysctl::proc::register(&k))
            .and_then(|()| crate::sysctl::curproc::register(&k))
            .and_then(|()| crate::sysctl::uidinfo::register(&k))
            .map_err(|e| {
                BootError::Attach(AttachError::Init {
                    component: "rump".into(),
                    message: format!("sysctl: {e}"),
                })
            })?;
        k.attach(&self.components).map_err(BootError::Attach)?;
        // Components are in: open 0, 1 and 2 of init (rumplocal) on the
        // console, as NetBSD's rump_init does last.
        crate::console::open_console_fds(&k, k.procs().local_proc()).map_err(|e| {
            BootError::Attach(AttachError::Init {
                component: "rump".into(),
                message: format!("console: {e}"),
            })
        })?;
        k.aprint_verbose("rump kernel booted");
        Ok(k)
    }
}

impl Default for KernelBuilder {
    fn default() -> Self {
        KernelBuilder::new()
    }
}

fn tracing_console(level: ConsoleLevel, msg: &str) {
    // Verbose messages only reach here under bootverbose, which asked for them.
    match level {
        ConsoleLevel::Normal => tracing::info!(target: "rump", "{msg}"),
        ConsoleLevel::Verbose => tracing::info!(target: "rump::verbose", "{msg}"),
    }
}

/// One rump kernel. Every piece of kernel state lives in this value, so one
/// process may hold many independent kernels.
pub struct Kernel {
    config: BootConfig,
    cpus: Vcpus,
    kmem: Arc<Kmem>,
    procs: ProcTable,
    sysctl: SysctlTree,
    modules: ModuleTable,
    pub(crate) syscalls: SyscallTable,
    attached: Mutex<Vec<&'static Component>>,
    // Held for a whole attach, so that two loads cannot both pass the
    // duplicate checks for the same component or faction.
    attaching: Mutex<()>,
    extensions: Mutex<IdHashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
    /// Whether a knote has ever watched a vnode: until one has, the VFS's
    /// notes cost one atomic load rather than a lookup under a lock.
    pub(crate) vnode_knotes: std::sync::atomic::AtomicBool,
    sync_hooks: Mutex<Vec<(String, ShutdownHook)>>,
    shutdown_hooks: Mutex<Vec<(String, ShutdownHook)>>,
    exit_handler: Mutex<Option<Arc<ExitHandler>>>,
    console: Console,
    halted: AtomicBool,
    /// Threads inside the kernel that have let go of their CPU to wait.
    pub(crate) blocked: std::sync::atomic::AtomicUsize,
    clock: Arc<crate::clock::KernelClock>,
    cprng: Arc<crate::cprng::Cprng>,
    boot_mono: Duration,
    me: Weak<Kernel>,
    /// Where pollers wait for [`Kernel::selnotify`].
    select: Arc<crate::waitgen::WaitGen>,
    /// The key that hides kernel addresses from callers (`kaddr`).
    kaddr_key: u64,
}

impl std::fmt::Debug for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kernel")
            .field("ncpu", &self.config.ncpu)
            .field("components", &self.components())
            .finish()
    }
}

impl Kernel {
    fn new(
        config: BootConfig,
        console: Console,
        clock: crate::clock::KernelClock,
        cprng: crate::cprng::Cprng,
        me: Weak<Kernel>,
    ) -> Kernel {
        let select = Arc::new(crate::waitgen::WaitGen::default());
        Kernel {
            me,
            procs: ProcTable::with_selector(Arc::clone(&select)),
            select,
            kaddr_key: cprng.u64() | 1,
            cpus: Vcpus::new(config.ncpu),
            kmem: Kmem::new(config.memlimit),
            sysctl: SysctlTree::new(),
            modules: ModuleTable::default(),
            syscalls: SyscallTable::default(),
            attached: Mutex::new(Vec::new()),
            attaching: Mutex::new(()),
            extensions: Mutex::new(IdHashMap::default()),
            vnode_knotes: std::sync::atomic::AtomicBool::new(false),
            sync_hooks: Mutex::new(Vec::new()),
            shutdown_hooks: Mutex::new(Vec::new()),
            exit_handler: Mutex::new(None),
            console,
            halted: AtomicBool::new(false),
            blocked: std::sync::atomic::AtomicUsize::new(0),
            boot_mono: clock.monotonic(),
            clock: Arc::new(clock),
            cprng: Arc::new(cprng),
            config,
        }
    }

    /// The configuration the kernel booted with.
    pub fn config(&self) -> &BootConfig {
        &self.config
    }

    /// The virtual CPUs.
    pub fn cpus(&self) -> &Vcpus {
        &self.cpus
    }

    /// Memory accounting.
    pub fn kmem(&self) -> &Arc<Kmem> {
        &self.kmem
    }

    /// Charge `bytes` of kernel memory (see [`Kmem::charge`]).
    pub fn charge(&self, bytes: u64) -> KResult<MemCharge> {
        self.kmem.charge(bytes)
    }

    /// Allocate charged, zeroed kernel memory.
    pub fn kmem_alloc(&self, len: usize, align: usize) -> KResult<KmemBuf> {
        KmemBuf::alloc(&self.kmem, len, align)
    }

    /// Register a cache to be purged when memory runs short.
    pub fn register_reclaimer(&self, r: Arc<dyn Reclaimer>) {
        self.kmem.register_reclaimer(r);
    }

    /// Processes and lwps.
    pub fn procs(&self) -> &ProcTable {
        &self.procs
    }

    /// The sysctl tree.
    pub fn sysctl(&self) -> &SysctlTree {
        &self.sysctl
    }

    /// The module table.
    pub fn modules(&self) -> &ModuleTable {
        &self.modules
    }

    /// Wall-clock time at boot, on the kernel's realtime clock (setting
    /// the clock moves it); zero if that is before the epoch.
    pub fn boot_time(&self) -> Duration {
        let ns = self.clock.boottime().clamp(0, i128::from(u64::MAX));
        Duration::from_nanos(ns as u64)
    }

    /// The kernel's clocks; a file system keeps a reference for its
    /// timestamps.
    pub fn clock(&self) -> &Arc<crate::clock::KernelClock> {
        &self.clock
    }

    /// The kernel's fast random numbers (`cprng_fast`); a component
    /// keeps a reference for its sequence numbers and ports.
    pub fn cprng(&self) -> &Arc<crate::cprng::Cprng> {
        &self.cprng
    }

    /// Time since boot.
    pub fn uptime(&self) -> Duration {
        self.clock.monotonic().saturating_sub(self.boot_mono)
    }

    /// Print a kernel message (`printf`).
    pub fn printf(&self, msg: &str) {
        (self.console)(ConsoleLevel::Normal, msg);
    }

    /// Print a message only under bootverbose (`aprint_verbose`).
    pub fn aprint_verbose(&self, msg: &str) {
        if self.config.verbose {
            (self.console)(ConsoleLevel::Verbose, msg);
        }
    }

    /// How many threads are inside the kernel now, running or blocked.
    pub fn threads_inside(&self) -> usize {
        // Each thread inside holds a CPU, or waits without one: entering
        // costs a call no more than taking its CPU.
        let running = self.cpus.ncpu() - self.cpus.idle();
        running + self.blocked.load(Ordering::Acquire)
    }

    /// Post signal `sig` to process `pid` (NetBSD's `psignal`). ESRCH if
    /// there is no such process, EINVAL for a bad signal number.
    pub fn psignal(&self, pid: i32, sig: i32) -> KResult<()> {
        self.procs.find(pid).ok_or(Errno::ESRCH)?.psignal(sig)
    }

    /// A weak reference to this kernel, for threads and callbacks that
    /// must not keep it alive.
    pub fn weak(&self) -> Weak<Kernel> {
        self.me.clone()
    }

    /// A number that names the kernel object at address `addr` in what
    /// callers read (`ki_fileaddr`, `ki_sockaddr`, ...): the same for the
    /// same object, different for different ones, and no address of the
    /// server process (NetBSD hides them unless `kern.expose_address`).
    pub fn kaddr(&self, addr: usize) -> u64 {
        // An invertible mix, keyed per kernel.
        let mut x = (addr as u64) ^ self.kaddr_key;
        x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        x ^= x >> 31;
        x.wrapping_mul(self.kaddr_key)
    }

    /// Something a `poll` or `select` may be waiting for happened
    /// (NetBSD's `selnotify`): wake every waiting poller to look again.
    pub fn selnotify(&self) {
        self.select.bump();
    }

    /// The current [`Kernel::selnotify`] generation.
    pub fn select_generation(&self) -> u64 {
        self.select.generation()
    }

    /// Wait up to `timeout` for a [`Kernel::selnotify`] after generation
    /// `seen`. The caller must not hold a virtual CPU.
    pub fn select_wait(&self, seen: u64, timeout: Duration) {
        self.select.wait(seen, self.clock.host_span(timeout));
    }

    /// Whether the kernel has been halted.
    pub fn is_halted(&self) -> bool {
        self.halted.load(Ordering::Acquire)
    }

    /// Faction or component state of type `T`, created by `make` on first use.
    /// This is how a faction keeps its state inside the kernel value.
    pub fn extension<T: Any + Send + Sync>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(t) = self.try_extension::<T>() {
            return t;
        }
        // Made without the lock held: making one extension may need another.
        let made: Arc<dyn Any + Send + Sync> = Arc::new(make());
        let mut ext = lock(&self.extensions);
        let entry = ext.entry(TypeId::of::<T>()).or_insert(made);
        Arc::clone(entry)
            .downcast::<T>()
            .unwrap_or_else(|_| unreachable!("extension map keyed by TypeId"))
    }

    /// Faction or component state of type `T`, if it exists.
    pub fn try_extension<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        lock(&self.extensions)
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|a| a.downcast::<T>().ok())
    }

    /// Register a hook that flushes caches at shutdown unless `RB_NOSYNC`.
    pub fn register_sync_hook(&self, name: &str, hook: ShutdownHook) {
        lock(&self.sync_hooks).push((name.to_owned(), hook));
    }

    /// Register a hook run when the kernel shuts down.
    pub fn register_shutdown_hook(&self, name: &str, hook: ShutdownHook) {
        lock(&self.shutdown_hooks).push((name.to_owned(), hook));
    }

    /// Replace what happens after a reboot that does not ask for `RB_HALT`.
    pub fn set_exit_handler(&self, h: ExitHandler) {
        *lock(&self.exit_handler) = Some(Arc::new(h));
    }

    /// Names of the attached components, in attach order.
    pub fn components(&self) -> Vec<&'static str> {
        lock(&self.attached).iter().map(|c| c.name).collect()
    }

    /// Whether the component named `name` is attached.
    pub fn has_component(&self, name: &str) -> bool {
        lock(&self.attached).iter().any(|c| c.name == name)
    }

    /// Whether faction `f` is attached.
    pub fn has_faction(&self, f: Faction) -> bool {
        lock(&self.attached).iter().any(|c| c.faction == Some(f))
    }

    /// Attach `offered` components in boot-phase order, in rounds: a
    /// component whose requirements are not attached yet waits for a later
    /// round, so the order in which they are offered does not matter. A
    /// requirement nobody offers is reported by name.
    pub fn attach(&self, offered: &[&'static Component]) -> Result<(), AttachError> {
        self.attach_from(offered, ModuleSource::Kernel)
    }

    /// [`Kernel::attach`], recording the modules as coming from `source`.
    pub(crate) fn attach_from(
        &self,
        offered: &[&'static Component],
        source: ModuleSource,
    ) -> Result<(), AttachError> {
        let _one_at_a_time = lock(&self.attaching);
        let mut pending: Vec<&'static Component> = Vec::new();
        for &c in offered {
            if self.has_component(c.name) || pending.iter().any(|p| p.name == c.name) {
                return Err(AttachError::Duplicate(c.name.to_owned()));
            }
            if let Some(f) = c.faction
                && (self.has_faction(f) || pending.iter().any(|p| p.faction == Some(f)))
            {
                return Err(AttachError::Duplicate(format!(
                    "{} ({f:?} faction)",
                    c.name
                )));
            }
            pending.push(c);
        }
        pending.sort_by_key(|c| c.phase);
        while !pending.is_empty() {
            let ready = pending
                .iter()
                .position(|c| c.requires.iter().all(|r| self.has_component(r)));
            let Some(i) = ready else {
                let c = pending[0];
                let missing = c
                    .requires
                    .iter()
                    .find(|r| !self.has_component(r))
                    .copied()
                    .unwrap_or("?");
                return Err(AttachError::MissingRequirement {
                    component: c.name.into(),
                    missing: missing.into(),
                });
            };
            let c = pending.remove(i);
            self.attach_one(c, source)?;
        }
        Ok(())
    }

    fn attach_one(&self, c: &'static Component, source: ModuleSource) -> Result<(), AttachError> {
        if c.needs_threads && !self.config.threads {
            return Err(AttachError::Init {
                component: c.name.into(),
                message:
                    "needs kernel threads, but RUMP_THREADS=0 forbids the kernel to create them"
                        .into(),
            });
        }
        if self.modules.contains(c.module) {
            return Err(AttachError::Duplicate(format!(
                "{} (module {})",
                c.name, c.module
            )));
        }
        (c.init)(self).map_err(|message| AttachError::Init {
            component: c.name.into(),
            message,
        })?;
        // A module's requirements name other modules, as NetBSD's do: the
        // faction a component attaches to is not one (NetBSD's tmpfs module
        // requires nothing, its ffs module only wapbl).
        let requires = c
            .requires
            .iter()
            .filter_map(|r| {
                lock(&self.attached)
                    .iter()
                    .find(|a| a.name == *r && a.faction.is_none())
                    .map(|a| a.module.to_owned())
            })
            .collect();
        let info = ModuleInfo {
            name: c.module.to_owned(),
            class: c.class,
            requires,
            init: None,
            fini: None,
            source,
        };
        self.modules
            .add_loaded(info)
            .map_err(|e| AttachError::Init {
                component: c.name.into(),
                message: format!("module {}: {e}", c.module),
            })?;
        lock(&self.attached).push(c);
        self.aprint_verbose(&format!("attached component {} ({:?})", c.name, c.phase));
        Ok(())
    }

    /// The halt sequence (`reboot(2)`): sync file systems unless `RB_NOSYNC`,
    /// run the shutdown hooks, then dump core for `RB_DUMP`, stay halted with
    /// the host process alive for `RB_HALT`, or leave the host process.
    pub fn reboot(&self, howto: i32) -> KResult<()> {
        if self.halted.swap(true, Ordering::AcqRel) {
            return Err(Errno::ENXIO);
        }
        // A dump is taken of the state as it is: no flush, as in NetBSD.
        let sync = howto & (RB_NOSYNC | RB_DUMP) == 0;
        if sync {
            let hooks = std::mem::take(&mut *lock(&self.sync_hooks));
            for (name, hook) in hooks.iter() {
                self.aprint_verbose(&format!("syncing: {name}"));
                hook(self, true);
            }
        }
        let hooks = std::mem::take(&mut *lock(&self.shutdown_hooks));
        for (_, hook) in hooks.iter().rev() {
            hook(self, sync);
        }
        self.printf(if howto & RB_HALT != 0 {
            "rump kernel halted"
        } else {
            "rump kernel halted, exiting"
        });
        let how = if howto & RB_DUMP != 0 {
            HostExit::Dump
        } else if howto & RB_HALT != 0 {
            return Ok(());
        } else {
            HostExit::Exit(0)
        };
        let handler = lock(&self.exit_handler).clone();
        match (handler, how) {
            (Some(h), how) => {
                h(how);
                Ok(())
            }
            (None, HostExit::Dump) => rumpuser::abort(),
            (None, HostExit::Exit(code)) => rumpuser::exit(code),
        }
    }
}

/// `RB_NOSYNC`: do not flush file systems.
pub const RB_NOSYNC: i32 = netbsd_abi::RB_NOSYNC;
/// `RB_HALT`: stop the kernel but leave the host process running.
pub const RB_HALT: i32 = netbsd_abi::RB_HALT;
/// `RB_DUMP`: dump core.
pub const RB_DUMP: i32 = netbsd_abi::RB_DUMP;
