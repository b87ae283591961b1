//! The system call layer: NetBSD's syscall numbers, argument slots and errno
//! values. Each call has a typed function that Rust callers use (a method on
//! [`Kernel`]) and an entry in one table by number, which decodes register
//! slots and copies arguments through [`UserSpace`] (what the remote protocol
//! uses).

pub mod args;
mod cred;
mod desc;
mod kevent;
mod ktrace;
mod modctl;
mod nomodule;
mod pgrp;
pub mod pieces;
mod poll;
mod proc;
mod pselect;
mod reboot;
mod resource;
mod sysctl;
mod time;
mod timer;

use crate::cpu::CpuGuard;
use args::{arg_int, ret};
pub use desc::iovecs;
pub use poll::PollFd;

use crate::cred::Cred;
use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::lwproc::{Lwp, Proc};
use crate::usermem::UserSpace;
use std::cell::RefCell;
use std::sync::{Arc, RwLock};

/// The two return registers of a system call (`register_t retval[2]`).
pub type SysRet = [u64; 2];

/// Argument slots of a system call, one register each (`SYS_MAXSYSARGS`).
pub type SysArgs = [u64; 8];

/// A system call handler, called on a virtual CPU with the caller's context.
pub type SyscallFn = fn(&Ctx, &SysArgs, &dyn UserSpace) -> KResult<SysRet>;

/// The highest system call number plus one (`SYS_NSYSENT`).
pub const NSYSENT: usize = 512;

#[derive(Clone, Copy)]
struct Entry {
    name: &'static str,
    handler: SyscallFn,
    // A call of a module this kernel does not have (NetBSD's
    // `sys_nomodule`): a component that brings the call replaces it.
    placeholder: bool,
}

/// The system call table of one kernel. Factions add their calls to it.
pub struct SyscallTable {
    entries: RwLock<Vec<Option<Entry>>>,
}

impl Default for SyscallTable {
    fn default() -> Self {
        SyscallTable {
            entries: RwLock::new(vec![None; NSYSENT]),
        }
    }
}

/// The context of a system call: the kernel, the calling process and lwp,
/// and the virtual CPU the call runs on.
pub struct Ctx<'k> {
    kernel: &'k Kernel,
    // The process is the lwp's, or proc1 in the implicit context: found
    // through them rather than held, which saves a reference count on
    // every call.
    lwp: Option<Arc<Lwp>>,
    // A kernel thread working for a process it is no lwp of.
    proc: Option<Arc<Proc>>,
    cpu: RefCell<Option<CpuGuard<'k>>>,
    // What `HELD_CPU` said before this context took its CPU, put back on
    // drop (contexts nest: a kernel thread's calls inside `unscheduled`).
    outer_held: usize,
}

thread_local! {
    /// The kernel (its address) whose virtual CPU this host thread holds
    /// now, 0 for none: what NetBSD keeps in rumpuser's curlwp, so that a
    /// wait deep inside a vnode operation can give the CPU up
    /// ([`Kernel::unscheduled`]) without a context passed down to it.
    static HELD_CPU: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The value `HELD_CPU` has while a thread holds a CPU of `k`.
fn kernel_tag(k: &Kernel) -> usize {
    k as *const Kernel as usize
}

impl Drop for Ctx<'_> {
    // Inlined where a call ends: an out-of-line call here cost a local
    // getpid a third more.
    #[inline]
    fn drop(&mut self) {
        HELD_CPU.set(self.outer_held);
    }
}

impl<'k> Ctx<'k> {
    /// The kernel.
    pub fn kernel(&self) -> &'k Kernel {
        self.kernel
    }

    /// The calling process.
    pub fn proc(&self) -> &Arc<Proc> {
        if let Some(p) = &self.proc {
            return p;
        }
        match &self.lwp {
            Some(l) => l.proc(),
            None => self.kernel.procs().local_proc(),
        }
    }

    /// The calling lwp; `None` in the implicit context.
    pub fn lwp(&self) -> Option<&Arc<Lwp>> {
        self.lwp.as_ref()
    }

    /// The caller's credentials.
    pub fn cred(&self) -> Arc<Cred> {
        self.proc().cred()
    }

    /// Sleep for `d` without the virtual CPU; EINTR if the process is told
    /// to exit meanwhile.
    pub fn sleep(&self, d: std::time::Duration) -> KResult<()> {
        let p = std::sync::Arc::clone(self.proc());
        let clock = std::sync::Arc::clone(self.kernel().clock());
        self.block(|| p.sleep(&clock, d))
    }

    /// Run `f`, which blocks, without holding the virtual CPU; take a CPU
    /// again before returning. Every wait inside the kernel goes through here.
    pub fn block<R>(&self, f: impl FnOnce() -> R) -> R {
        use std::sync::atomic::Ordering::AcqRel;
        // Counted as inside while it has no CPU (`threads_inside`).
        self.kernel.blocked.fetch_add(1, AcqRel);
        drop(self.cpu.borrow_mut().take());
        let held = HELD_CPU.replace(0);
        let r = f();
        *self.cpu.borrow_mut() = Some(self.kernel.cpus().schedule());
        HELD_CPU.set(held);
        self.kernel.blocked.fetch_sub(1, AcqRel);
        r
    }
}

/// Takes the CPU back when [`Kernel::unscheduled`]'s closure returns or
/// unwinds, so that the guard further up the stack releases a CPU it holds.
struct Reschedule<'k> {
    kernel: &'k Kernel,
}

impl Drop for Reschedule<'_> {
    fn drop(&mut self) {
        self.kernel.cpus().take();
        HELD_CPU.set(kernel_tag(self.kernel));
        self.kernel
            .blocked
            .fetch_sub(1, std::sync::atomic::Ordering::AcqRel);
    }
}

impl Kernel {
    /// Enter the kernel as the calling host thread's lwp (or the implicit
    /// context): take a virtual CPU and return the call context. ENXIO once
    /// the kernel has been halted.
    ///
    /// Entering is not re-entrant: code that already runs inside the kernel
    /// (a system call handler, a file operation) works through the [`Ctx`] it
    /// was given and never calls the public `sys_*` wrappers, which would
    /// wait for a second virtual CPU.
    pub fn enter(&self) -> KResult<Ctx<'_>> {
        if self.is_halted() {
            return Err(Errno::ENXIO);
        }
        Ok(self.on_cpu(self.procs().curlwp(), None))
    }

    /// Enter the kernel for process `proc` from a kernel thread that is
    /// none of its lwps (the aio worker, which NetBSD runs as an lwp of the
    /// process): calls see the process's descriptors and credentials.
    pub(crate) fn enter_for(&self, proc: Arc<Proc>) -> KResult<Ctx<'_>> {
        if self.is_halted() {
            return Err(Errno::ENXIO);
        }
        Ok(self.on_cpu(None, Some(proc)))
    }

    /// Take a virtual CPU and make the context of a call on it, the kernel
    /// known not to be halted. Built in place by each way in rather than
    /// passed up in a `KResult<Ctx>`: the error's slot overlaps the lwp's,
    /// and a local getpid then stored the lwp in two halves and read it
    /// back whole, a store-forwarding stall that cost it a third.
    #[inline(always)]
    fn on_cpu(&self, lwp: Option<Arc<Lwp>>, proc: Option<Arc<Proc>>) -> Ctx<'_> {
        let cpu = self.cpus().schedule();
        Ctx {
            kernel: self,
            lwp,
            proc,
            cpu: RefCell::new(Some(cpu)),
            outer_held: HELD_CPU.replace(kernel_tag(self)),
        }
    }

    /// Run `f`, which waits for something outside the kernel, without the
    /// virtual CPU the calling thread holds, if it holds one of this kernel
    /// (`rump_unschedule` ... `rump_schedule` around a blocking hypercall);
    /// code called without a [`Ctx`] (a file system's vnode operation
    /// waiting for its server) gives its CPU up through here. A thread that
    /// holds none just runs `f`; inside `f`, entering the kernel takes a
    /// CPU again.
    pub fn unscheduled<R>(&self, f: impl FnOnce() -> R) -> R {
        if HELD_CPU.get() != kernel_tag(self) {
            return f();
        }
        // Counted as inside while it has no CPU (`threads_inside`).
        self.blocked
            .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
        HELD_CPU.set(0);
        self.cpus().give_back();
        let _back = Reschedule { kernel: self };
        f()
    }

    /// Run `f` inside the kernel (`rump_schedule` ... `rump_unschedule`).
    /// A typed call cannot be run again as [`Kernel::syscall`] restarts
    /// one, so a call cut short by a close of its descriptor in another
    /// thread answers EINTR here: called again, it finds the descriptor
    /// gone.
    pub fn with_ctx<R>(&self, f: impl FnOnce(&Ctx) -> KResult<R>) -> KResult<R> {
        if self.is_halted() {
            return Err(Errno::ENXIO);
        }
        match f(&self.on_cpu(self.procs().curlwp(), None)) {
            Err(Errno::ERESTART) => Err(Errno::EINTR),
            r => r,
        }
    }

    /// Add system call `number` to the table. EEXIST if a real call has
    /// it (a "no module" placeholder is replaced, as NetBSD's
    /// `syscall_establish` replaces `sys_nomodule`), EINVAL if the number
    /// is out of range.
    pub fn register_syscall(
        &self,
        number: usize,
        name: &'static str,
        handler: SyscallFn,
    ) -> KResult<()> {
        let mut t = self
            .syscalls
            .entries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        let slot = t.get_mut(number).ok_or(Errno::EINVAL)?;
        if slot.is_some() {
            return Err(Errno::EEXIST);
        }
        *slot = Some(Entry {
            name,
            handler,
            placeholder: false,
        });
        Ok(())
    }

    /// [`Kernel::register_syscall`] for each call of a table, in order,
    /// taking the table's lock once. Stops at the first that fails.
    pub fn register_syscalls(&self, calls: &[(usize, &'static str, SyscallFn)]) -> KResult<()> {
        let mut t = self
            .syscalls
            .entries
            .write()
            .unwrap_or_else(|e| e.into_inner());
        for &(number, name, handler) in calls {
            let slot = t.get_mut(number).ok_or(Errno::EINVAL)?;
            if slot.is_some() {
                return Err(Errno::EEXIST);
            }
            *slot = Some(Entry {
                name,
                handler,
                placeholder: false,
            });
        }
        Ok(())
    }

    /// The entry for system call `number`: the call registered there, or
    /// the "no module" placeholder if its slot belongs to a module this
    /// kernel lacks. The placeholders are not stored in the table, so that
    /// boot does not install a hundred and fifty of them.
    fn syscall_entry(&self, number: usize) -> Option<Entry> {
        let registered = self
            .syscalls
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(number)
            .copied()
            .flatten();
        registered.or_else(|| nomodule::placeholder(number))
    }

    /// Whether system call `number` is only a "no module" placeholder
    /// (ENOSYS and SIGSYS, as NetBSD's `sys_nomodule`).
    pub fn syscall_is_placeholder(&self, number: usize) -> bool {
        self.syscall_entry(number).is_some_and(|e| e.placeholder)
    }

    /// The name of system call `number`, if the kernel has it.
    pub fn syscall_name(&self, number: usize) -> Option<&'static str> {
        self.syscall_entry(number).map(|e| e.name)
    }

    /// Make system call `number` with register arguments `args`, reading and
    /// writing the caller's memory through `user`. ENOSYS for a call this
    /// kernel does not have.
    pub fn syscall(&self, number: usize, args: &[u64], user: &dyn UserSpace) -> KResult<SysRet> {
        self.syscall_of(None, number, args, user)
    }

    /// [`Kernel::syscall`] by `lwp`, the lwp the calling thread is bound to
    /// (what `lwproc_newlwp` just gave): a server hands it down instead of
    /// having the call look the thread's binding up again.
    pub fn syscall_as(
        &self,
        lwp: &Arc<Lwp>,
        number: usize,
        args: &[u64],
        user: &dyn UserSpace,
    ) -> KResult<SysRet> {
        self.syscall_of(Some(lwp), number, args, user)
    }

    /// A system call by `lwp`, or by the calling thread's own.
    fn syscall_of(
        &self,
        lwp: Option<&Arc<Lwp>>,
        number: usize,
        args: &[u64],
        user: &dyn UserSpace,
    ) -> KResult<SysRet> {
        let entry = self.syscall_entry(number).ok_or(Errno::ENOSYS)?;
        let mut slots = [0u64; 8];
        for (s, a) in slots.iter_mut().zip(args) {
            *s = *a;
        }
        if self.is_halted() {
            return Err(Errno::ENXIO);
        }
        let lwp = match lwp {
            Some(l) => {
                debug_assert!(self.procs().curlwp().is_some_and(|c| Arc::ptr_eq(&c, l)));
                Some(Arc::clone(l))
            }
            None => self.procs().curlwp(),
        };
        let ctx = self.on_cpu(lwp, None);
        // As NetBSD's sy_invoke: whether to trace is decided on entry.
        let traced = ctx.proc().ktrace().syscalls_traced();
        if traced {
            crate::ktrace::syscall(&ctx, number, &slots);
        }
        let r = loop {
            let r = if user.copies_block() {
                (entry.handler)(&ctx, &slots, &UnscheduledCopies { ctx: &ctx, user })
            } else {
                (entry.handler)(&ctx, &slots, user)
            };
            // A call woken by a close of its descriptor in another thread
            // runs again, as NetBSD's syscall return restarts it: the
            // descriptor is gone then (EBADF), or it came through another
            // that still stands and waits again.
            if !matches!(r, Err(Errno::ERESTART)) || self.is_halted() {
                break r;
            }
        };
        if traced {
            crate::ktrace::sysret(&ctx, number, &r);
        }
        r
    }
}

/// The caller's memory, for a caller whose copies wait on something outside
/// the kernel: each copy runs without the virtual CPU, so that a slow or
/// hostile remote client cannot keep other threads out of the kernel.
struct UnscheduledCopies<'a, 'k> {
    ctx: &'a Ctx<'k>,
    user: &'a dyn UserSpace,
}

impl UserSpace for UnscheduledCopies<'_, '_> {
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        self.ctx.block(|| self.user.copyin(addr, buf))
    }

    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()> {
        self.ctx.block(|| self.user.copyout(addr, data))
    }

    fn copyinstr(&self, addr: u64, max: usize) -> KResult<Vec<u8>> {
        self.ctx.block(|| self.user.copyinstr(addr, max))
    }
}

/// Register the base kernel's system calls.
pub(crate) fn register_base(k: &Kernel) {
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (netbsd_abi::SYS_read, "read", desc::sys_read),
        (netbsd_abi::SYS_write, "write", desc::sys_write),
        (netbsd_abi::SYS_close, "close", desc::sys_close),
        (netbsd_abi::SYS_getpid, "getpid", proc::sys_getpid),
        (netbsd_abi::SYS_setuid, "setuid", cred::sys_setuid),
        (netbsd_abi::SYS_getuid, "getuid", cred::sys_getuid),
        (netbsd_abi::SYS_geteuid, "geteuid", cred::sys_geteuid),
        (netbsd_abi::SYS_getppid, "getppid", proc::sys_getppid),
        (netbsd_abi::SYS_dup, "dup", desc::sys_dup),
        (netbsd_abi::SYS_pipe, "pipe", crate::pipe::sys_pipe),
        (netbsd_abi::SYS_ioctl, "ioctl", desc::sys_ioctl),
        (netbsd_abi::SYS_getegid, "getegid", cred::sys_getegid),
        (netbsd_abi::SYS_getgid, "getgid", cred::sys_getgid),
        (netbsd_abi::SYS___getlogin, "__getlogin", proc::sys_getlogin),
        (netbsd_abi::SYS___setlogin, "__setlogin", proc::sys_setlogin),
        (netbsd_abi::SYS_getgroups, "getgroups", cred::sys_getgroups),
        (netbsd_abi::SYS_setgroups, "setgroups", cred::sys_setgroups),
        (netbsd_abi::SYS_dup2, "dup2", desc::sys_dup2),
        (netbsd_abi::SYS_fcntl, "fcntl", desc::sys_fcntl),
        (netbsd_abi::SYS_readv, "readv", desc::sys_readv),
        (netbsd_abi::SYS_writev, "writev", desc::sys_writev),
        (netbsd_abi::SYS_setreuid, "setreuid", cred::sys_setreuid),
        (netbsd_abi::SYS_setregid, "setregid", cred::sys_setregid),
        (netbsd_abi::SYS_setgid, "setgid", cred::sys_setgid),
        (netbsd_abi::SYS_setegid, "setegid", cred::sys_setegid),
        (netbsd_abi::SYS_seteuid, "seteuid", cred::sys_seteuid),
        (
            netbsd_abi::SYS_getrlimit,
            "getrlimit",
            resource::sys_getrlimit,
        ),
        (
            netbsd_abi::SYS_setrlimit,
            "setrlimit",
            resource::sys_setrlimit,
        ),
        (netbsd_abi::SYS___sysctl, "__sysctl", sysctl::sys_sysctl),
        (netbsd_abi::SYS_reboot, "reboot", reboot::sys_reboot),
        (netbsd_abi::SYS_poll, "poll", poll::sys_poll),
        (netbsd_abi::SYS_modctl, "modctl", modctl::sys_modctl),
        (netbsd_abi::SYS_preadv, "preadv", desc::sys_preadv),
        (netbsd_abi::SYS_pwritev, "pwritev", desc::sys_pwritev),
        (netbsd_abi::SYS_issetugid, "issetugid", cred::sys_issetugid),
        (netbsd_abi::SYS___select50, "__select50", poll::sys_select),
        (
            netbsd_abi::SYS___gettimeofday50,
            "__gettimeofday50",
            time::sys_gettimeofday,
        ),
        (
            netbsd_abi::SYS___clock_gettime50,
            "__clock_gettime50",
            time::sys_clock_gettime,
        ),
        (
            netbsd_abi::SYS___clock_getres50,
            "__clock_getres50",
            time::sys_clock_getres,
        ),
        (
            netbsd_abi::SYS___nanosleep50,
            "__nanosleep50",
            time::sys_nanosleep,
        ),
        (netbsd_abi::SYS___fstat50, "__fstat50", desc::sys_fstat),
        (netbsd_abi::SYS_pipe2, "pipe2", crate::pipe::sys_pipe2),
        (netbsd_abi::SYS_dup3, "dup3", desc::sys_dup3),
        (
            netbsd_abi::SYS_clock_nanosleep,
            "clock_nanosleep",
            time::sys_clock_nanosleep,
        ),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
    kevent::register(k);
    pselect::register(k);
    [
        pgrp::register,
        time::register,
        timer::register,
        ktrace::register,
    ]
    .iter()
    .for_each(|r| r(k));
    for reg in [crate::ksem::register, crate::aio::register] {
        reg(k);
    }
}

#[cfg(test)]
mod unscheduled_tests {
    use crate::{BootConfig, KernelBuilder};
    use std::sync::mpsc;
    use std::time::Duration;

    fn one_cpu() -> std::sync::Arc<crate::Kernel> {
        let config = BootConfig {
            ncpu: 1,
            ..BootConfig::default()
        };
        KernelBuilder::new().config(config).boot().expect("boot")
    }

    #[test]
    fn a_thread_waiting_unscheduled_lets_another_enter() {
        let k = one_cpu();
        let (entered_tx, entered_rx) = mpsc::channel();
        let k2 = std::sync::Arc::clone(&k);
        let got = k
            .with_ctx(|_ctx| {
                assert_eq!(k.cpus().idle(), 0);
                Ok(k.unscheduled(|| {
                    // The only CPU is free while this thread waits.
                    assert_eq!(k.cpus().idle(), 1);
                    assert_eq!(k.threads_inside(), 1);
                    std::thread::spawn(move || {
                        let pid = k2.sys_getpid();
                        entered_tx.send(pid).unwrap();
                    });
                    entered_rx.recv_timeout(Duration::from_secs(10))
                }))
            })
            .unwrap();
        assert_eq!(got, Ok(Ok(1)), "the other thread entered meanwhile");
        // Back on the CPU, and it is released when the call ends.
        assert_eq!(k.cpus().idle(), 1);
        assert_eq!(k.threads_inside(), 0);
    }

    #[test]
    fn entering_inside_unscheduled_takes_a_cpu_again() {
        let k = one_cpu();
        let pids = k.with_ctx(|_| {
            k.unscheduled(|| {
                // Entering again takes the one CPU; a nested unscheduled
                // gives it up, so a third entry gets it.
                k.with_ctx(|ctx| {
                    assert_eq!(k.cpus().idle(), 0);
                    let inner = k.unscheduled(|| {
                        assert_eq!(k.cpus().idle(), 1);
                        k.sys_getpid()
                    });
                    assert_eq!(k.cpus().idle(), 0);
                    Ok((ctx.proc().pid, inner))
                })
            })
        });
        assert_eq!(pids, Ok((1, Ok(1))));
        assert_eq!(k.cpus().idle(), 1);
        // Outside the kernel, unscheduled only runs the closure.
        assert_eq!(k.unscheduled(|| k.cpus().idle()), 1);
    }
}
