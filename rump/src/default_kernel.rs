//! The conventional default kernel of a process: what `rump_init()` boots and
//! what the `rump_sys_*` style of use targets. The state still lives in the
//! [`Kernel`] value; this only remembers which one is the default.

use crate::errno::KResult;
use crate::kernel::{BootError, Kernel, KernelBuilder};
use crate::lwproc::{ForkFd, Lwp};
use crate::sync::lock;
use std::sync::{Arc, Mutex, OnceLock};

static DEFAULT: OnceLock<Arc<Kernel>> = OnceLock::new();
static BOOTING: Mutex<()> = Mutex::new(());

/// Boot the process's default kernel from `builder`, or return the one
/// already booted (calling `rump_init` again is harmless, as in NetBSD).
pub fn rump_init_with(builder: KernelBuilder) -> Result<Arc<Kernel>, BootError> {
    let _g = lock(&BOOTING);
    if let Some(k) = DEFAULT.get() {
        return Ok(Arc::clone(k));
    }
    let k = builder.boot()?;
    Ok(Arc::clone(DEFAULT.get_or_init(|| k)))
}

/// Boot the default kernel with no components, configured from `RUMP_*`.
pub fn rump_init() -> Result<Arc<Kernel>, BootError> {
    rump_init_with(KernelBuilder::new())
}

/// The default kernel, if one has been booted.
pub fn default_kernel() -> Option<Arc<Kernel>> {
    DEFAULT.get().cloned()
}

impl Kernel {
    /// `rump_lwproc_rfork`: a new process, child of the caller's, with its
    /// descriptor table shared (0), copied (`RUMP_RFFDG`) or empty
    /// (`RUMP_RFCFDG`); the calling thread switches to its lwp.
    pub fn lwproc_rfork(&self, flags: i32) -> KResult<Arc<Lwp>> {
        self.procs().rfork(ForkFd::from_flags(flags)?, None)
    }

    /// `rump_lwproc_newproc`: `rfork` with a copied descriptor table.
    pub fn lwproc_newproc(&self) -> KResult<Arc<Lwp>> {
        self.procs().rfork(ForkFd::Copy, None)
    }

    /// `rump_lwproc_newlwp`: a new lwp in `pid`; the calling thread switches to it.
    pub fn lwproc_newlwp(&self, pid: i32) -> KResult<Arc<Lwp>> {
        self.procs().newlwp(pid)
    }

    /// `rump_lwproc_switch`: run the calling thread as `l`, or in the
    /// implicit context for `None`.
    pub fn lwproc_switch(&self, l: Option<&Arc<Lwp>>) -> KResult<()> {
        self.procs().switch(l.cloned())
    }

    /// `rump_lwproc_curlwp`: the calling thread's lwp, `None` when implicit.
    pub fn lwproc_curlwp(&self) -> Option<Arc<Lwp>> {
        self.procs().curlwp()
    }

    /// `rump_lwproc_releaselwp`: release the calling thread's lwp; a process
    /// exits with its last lwp. Releasing without an lwp is a kernel bug and
    /// panics the kernel (the host process aborts), as in NetBSD.
    pub fn lwproc_releaselwp(&self) {
        if self.procs().releaselwp().is_err() {
            self.panic("rump_lwproc_releaselwp: no lwp bound to the calling thread");
        }
    }

    /// Stop on an unrecoverable kernel error: print the message on the host
    /// console and abort the host process with a core dump.
    pub fn panic(&self, msg: &str) -> ! {
        rumpuser::console_write(&format!("rump kernel panic: {msg}\n"));
        rumpuser::abort()
    }
}
