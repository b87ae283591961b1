//! Processes and threads of the rump kernel, as `rump_lwproc(3)` describes
//! them: `rfork`, `newlwp`, `switch`, `releaselwp`, `curlwp`.
//!
//! A host thread is bound to at most one lwp of one kernel at a time. A host
//! thread with no bound lwp runs in the implicit context of pid 1
//! ("rumplocal"). Bindings are kept in the kernel object, keyed by the host's
//! thread id, and not in a thread-local: a component loaded at run time has
//! its own copy of every thread-local and would not see them.

use crate::cred::Cred;
use crate::errno::{Errno, KResult};
use crate::file::FdTable;
use crate::idhash::IdHashMap;
use crate::resource::{Rlimit, default_limits};
use crate::sync::lock;
use crate::waitgen::WaitGen;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// Largest pid handed out before wrapping (NetBSD's `PID_MAX`).
pub const PID_MAX: i32 = 30000;

/// A process: credentials, descriptors, limits and its lwps.
pub struct Proc {
    /// Process id.
    pub pid: i32,
    /// Parent's process id at creation.
    pub ppid: i32,
    comm: Mutex<String>,
    login: Mutex<String>,
    cred: Mutex<Arc<Cred>>,
    fdt: Mutex<Arc<FdTable>>,
    // Held for a few instructions at a time, and on every setrlimit: a
    // spin lock's release is a plain store.
    limits: spin::Mutex<[Rlimit; crate::resource::RLIM_NLIMITS]>,
    lwps: Mutex<Vec<i32>>,
    next_lid: AtomicI32,
    exiting: AtomicBool,
    // Sleepers wait here and wake with EINTR when the process is told to exit.
    wakeup: (Mutex<()>, std::sync::Condvar),
    signals: Mutex<SignalDelivery>,
    data: Mutex<IdHashMap<std::any::TypeId, DataEntry>>,
    /// The knotes watching the process (`p_klist`): `EVFILT_PROC` from
    /// any process, `EVFILT_SIGNAL` from its own.
    klist: Mutex<Vec<Weak<crate::kqueue::Knote>>>,
    /// The kernel's select generation: `poll`, `select` and `kevent`
    /// waiters look again when the process is told to exit or gets a
    /// signal.
    selector: Arc<WaitGen>,
    job: Mutex<JobIds>,
    ktrace: crate::ktrace::ProcTrace,
}

/// A process's process group and session (`p_pgid`, `p_session->s_sid`).
/// Every process of a rump kernel starts in proc0's: group 0, session 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JobIds {
    /// Process group id.
    pub pgid: i32,
    /// Session id: the pid of the session's leader.
    pub sid: i32,
}

/// State a faction keeps per process (the VFS its cwd and root). A new
/// process gets [`ProcData::fork`] of each of its parent's.
pub trait ProcData: Send + Sync + 'static {
    /// The child's copy at fork.
    fn fork(&self) -> Self
    where
        Self: Sized;
}

type AnyData = Arc<dyn std::any::Any + Send + Sync>;
/// The data and how to copy it for a child.
type DataEntry = (AnyData, fn(&AnyData) -> AnyData);

fn fork_entry<T: ProcData>(a: &AnyData) -> AnyData {
    match a.downcast_ref::<T>() {
        Some(t) => Arc::new(t.fork()),
        None => Arc::clone(a),
    }
}

/// Where a process's signals go: a remote client's server forwards them to
/// the client (NetBSD's RUMP_SIGMODEL_RAISE); otherwise they stay pending.
#[derive(Default)]
struct SignalDelivery {
    sink: Option<SignalSink>,
    pending: Vec<i32>,
    /// The mask of a sigsuspend-like wait (`pselect`, `pollts`): bit
    /// `n - 1` blocks signal `n` until the wait ends.
    wait_mask: Option<u64>,
    /// Signals the wait's mask held back, delivered when it ends.
    held: Vec<i32>,
    /// Signals delivered so far: a wait that sees this move was interrupted.
    delivered: u64,
}

/// `SIGKILL` and `SIGSTOP` cannot be blocked (`sigcantmask`).
const CANTMASK: u64 = 1 << (netbsd_abi::SIGKILL - 1) | 1 << (netbsd_abi::SIGSTOP - 1);

/// Receives the signals posted to a process.
pub type SignalSink = Arc<dyn Fn(i32) + Send + Sync>;

/// `NSIG`: signal numbers are 1 to 63.
pub const NSIG: i32 = netbsd_abi::NSIG;

impl Proc {
    fn new(
        pid: i32,
        ppid: i32,
        comm: String,
        cred: Arc<Cred>,
        fdt: Arc<FdTable>,
        selector: Arc<WaitGen>,
    ) -> Proc {
        Proc {
            selector,
            pid,
            ppid,
            comm: Mutex::new(comm),
            login: Mutex::new(String::new()),
            cred: Mutex::new(cred),
            fdt: Mutex::new(fdt),
            limits: spin::Mutex::new(default_limits()),
            lwps: Mutex::new(Vec::new()),
            next_lid: AtomicI32::new(1),
            exiting: AtomicBool::new(false),
            wakeup: (Mutex::new(()), std::sync::Condvar::new()),
            signals: Mutex::new(SignalDelivery::default()),
            data: Mutex::new(IdHashMap::default()),
            klist: Mutex::new(Vec::new()),
            job: Mutex::new(JobIds::default()),
            ktrace: crate::ktrace::ProcTrace::default(),
        }
    }

    /// The process's ktrace state; a new process starts untraced.
    pub fn ktrace(&self) -> &crate::ktrace::ProcTrace {
        &self.ktrace
    }

    /// The process group and session.
    pub fn job(&self) -> JobIds {
        *lock(&self.job)
    }

    /// Move the process to another group or session; the caller checks
    /// NetBSD's rules under the kernel's job-control lock.
    pub fn set_job(&self, ids: JobIds) {
        *lock(&self.job) = ids;
    }

    /// The process's data of type `T`, made by `make` if it has none yet.
    pub fn data<T: ProcData>(&self, make: impl FnOnce() -> T) -> Arc<T> {
        let any = {
            let mut d = lock(&self.data);
            let e = d
                .entry(std::any::TypeId::of::<T>())
                .or_insert_with(|| (Arc::new(make()), fork_entry::<T>));
            Arc::clone(&e.0)
        };
        any.downcast::<T>()
            .unwrap_or_else(|_| unreachable!("process data keyed by TypeId"))
    }

    /// Replace the process's data of type `T`.
    pub fn set_data<T: ProcData>(&self, v: T) {
        lock(&self.data).insert(std::any::TypeId::of::<T>(), (Arc::new(v), fork_entry::<T>));
    }

    fn fork_data(&self) -> IdHashMap<std::any::TypeId, DataEntry> {
        lock(&self.data)
            .iter()
            .map(|(k, (v, f))| (*k, (f(v), *f)))
            .collect()
    }

    /// Deliver the process's signals to `sink` from now on (and any pending).
    pub fn set_signal_sink(&self, sink: SignalSink) {
        let pending = {
            let mut d = lock(&self.signals);
            d.sink = Some(Arc::clone(&sink));
            std::mem::take(&mut d.pending)
        };
        for sig in pending {
            sink(sig);
        }
    }

    /// Post signal `sig` to the process (`psignal`).
    pub fn psignal(&self, sig: i32) -> KResult<()> {
        if !(1..NSIG).contains(&sig) {
            return Err(Errno::EINVAL);
        }
        // Signal knotes count every posted signal, blocked or not.
        self.knote(crate::kqueue::NOTE_SIGNAL | sig as u32);
        // A pselect or pollts of the process ends with EINTR.
        self.selector.bump();
        let sink = {
            let mut d = lock(&self.signals);
            if d.wait_mask
                .is_some_and(|m| m & !CANTMASK & (1 << (sig - 1)) != 0)
            {
                d.held.push(sig);
                return Ok(());
            }
            d.delivered += 1;
            match &d.sink {
                Some(s) => Arc::clone(s),
                None => {
                    d.pending.push(sig);
                    return Ok(());
                }
            }
        };
        sink(sig);
        Ok(())
    }

    /// Block the signals of `mask` (bit `n - 1` for signal `n`) while the
    /// caller waits, as `sigsuspend` does for `pselect` and `pollts`;
    /// returns the count of delivered signals to compare with
    /// [`Proc::signals_delivered`]. [`Proc::end_signal_wait`] restores.
    pub fn begin_signal_wait(&self, mask: u64) -> u64 {
        let mut d = lock(&self.signals);
        d.wait_mask = Some(mask);
        d.delivered
    }

    /// How many signals have been delivered to the process.
    pub fn signals_delivered(&self) -> u64 {
        lock(&self.signals).delivered
    }

    /// End a wait begun with [`Proc::begin_signal_wait`]: the signals its
    /// mask held back are delivered now.
    pub fn end_signal_wait(&self) {
        let held = {
            let mut d = lock(&self.signals);
            d.wait_mask = None;
            std::mem::take(&mut d.held)
        };
        for sig in held {
            let _ = self.psignal_delivered(sig);
        }
    }

    /// Deliver `sig` without counting it again for signal knotes.
    fn psignal_delivered(&self, sig: i32) -> KResult<()> {
        let sink = {
            let mut d = lock(&self.signals);
            d.delivered += 1;
            match &d.sink {
                Some(s) => Arc::clone(s),
                None => {
                    d.pending.push(sig);
                    return Ok(());
                }
            }
        };
        sink(sig);
        Ok(())
    }

    /// Knote `kn` watches this process.
    pub(crate) fn knote_attach(&self, kn: &Arc<crate::kqueue::Knote>) {
        let mut l = lock(&self.klist);
        l.retain(|w| w.strong_count() > 0);
        l.push(Arc::downgrade(kn));
    }

    /// Post `hint` to the knotes watching the process (`KNOTE(&p->p_klist)`);
    /// `child` is the new process of a `NOTE_FORK`.
    fn knote_with(&self, hint: u32, child: Option<&Arc<Proc>>) {
        let list = lock(&self.klist).clone();
        if !list.is_empty() {
            crate::kqueue::proc_note(&list, hint, child);
        }
    }

    fn knote(&self, hint: u32) {
        self.knote_with(hint, None);
    }

    /// Whether signal `sig` was posted and waits, undelivered, in the
    /// process (it has no sink): NetBSD's `sigismember(&p->p_sigpend)`.
    pub fn signal_pending(&self, sig: i32) -> bool {
        lock(&self.signals).pending.contains(&sig)
    }

    /// Signals posted while no sink was set, oldest first; taking clears them.
    pub fn take_pending_signals(&self) -> Vec<i32> {
        std::mem::take(&mut lock(&self.signals).pending)
    }

    /// Order every lwp of the process to exit: sleeping calls wake with
    /// EINTR and no new lwp may join (EBUSY), as when a remote client leaves.
    pub fn post_exit(&self) {
        {
            let _g = lock(&self.wakeup.0);
            self.exiting.store(true, Ordering::Release);
            self.wakeup.1.notify_all();
        }
        self.selector.bump();
    }

    /// Whether the process has been told to exit.
    pub fn is_exiting(&self) -> bool {
        self.exiting.load(Ordering::Acquire)
    }

    /// Sleep for `d` on `clock` unless the process is told to exit first
    /// (EINTR). The caller must not hold a virtual CPU (see `Ctx::sleep`).
    pub fn sleep(&self, clock: &crate::clock::KernelClock, d: std::time::Duration) -> KResult<()> {
        let deadline = clock.monotonic() + d;
        let mut g = lock(&self.wakeup.0);
        loop {
            if self.is_exiting() {
                return Err(Errno::EINTR);
            }
            let (g2, passed) = clock.wait_until(&self.wakeup.1, g, deadline);
            if passed {
                return Ok(());
            }
            g = g2;
        }
    }

    /// The process's credentials.
    pub fn cred(&self) -> Arc<Cred> {
        Arc::clone(&lock(&self.cred))
    }

    /// Replace the credentials with what `f` makes of them, as one step:
    /// two lwps changing ids at once see each other's change.
    pub fn change_cred(&self, f: impl FnOnce(&Cred) -> KResult<Cred>) -> KResult<()> {
        let mut c = lock(&self.cred);
        *c = Arc::new(f(&c)?);
        Ok(())
    }

    /// The descriptor table.
    pub fn fdt(&self) -> Arc<FdTable> {
        Arc::clone(&lock(&self.fdt))
    }

    /// The command name (`p_comm`).
    pub fn comm(&self) -> String {
        lock(&self.comm).clone()
    }

    /// Set the command name, truncated to NetBSD's `MAXCOMLEN` (16).
    pub fn set_comm(&self, name: &str) {
        *lock(&self.comm) = name.chars().take(16).collect();
    }

    /// The session login name (`__getlogin`).
    pub fn login(&self) -> String {
        lock(&self.login).clone()
    }

    /// Set the login name (`__setlogin`).
    pub fn set_login(&self, name: &str) {
        *lock(&self.login) = name.to_owned();
    }

    /// Resource limit `which`.
    pub fn limit(&self, which: usize) -> Option<Rlimit> {
        self.limits.lock().get(which).copied()
    }

    /// Replace resource limit `which` with what `f` makes of it, as one
    /// step. EINVAL for an unknown limit.
    pub fn update_limit(
        &self,
        which: usize,
        f: impl FnOnce(Rlimit) -> KResult<Rlimit>,
    ) -> KResult<()> {
        let mut limits = self.limits.lock();
        let slot = limits.get_mut(which).ok_or(Errno::EINVAL)?;
        *slot = f(*slot)?;
        Ok(())
    }

    /// Run `f` on the credentials without taking a reference to them.
    pub fn with_cred<R>(&self, f: impl FnOnce(&Cred) -> R) -> R {
        f(&lock(&self.cred))
    }

    /// Set resource limit `which` (checked by the caller).
    pub fn set_limit(&self, which: usize, l: Rlimit) {
        if let Some(slot) = self.limits.lock().get_mut(which) {
            *slot = l;
        }
    }

    /// The number of lwps in the process.
    pub fn nlwps(&self) -> usize {
        lock(&self.lwps).len()
    }
}

/// A light-weight process: a thread of a rump kernel process.
pub struct Lwp {
    /// Thread id within the process.
    pub lid: i32,
    proc: Arc<Proc>,
    // The binding map of the kernel the lwp belongs to: another kernel refuses it.
    owner: Weak<Bindings>,
    running: AtomicBool,
    dead: AtomicBool,
}

impl std::fmt::Debug for Lwp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Lwp({}.{})", self.proc.pid, self.lid)
    }
}

impl Lwp {
    /// The process the lwp belongs to.
    pub fn proc(&self) -> &Arc<Proc> {
        &self.proc
    }
}

/// Descriptor table handling for `rfork` (`RUMP_RFFDG`, `RUMP_RFCFDG`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkFd {
    /// Share the parent's table (flags 0).
    Share,
    /// Copy the parent's table (`RUMP_RFFDG`).
    Copy,
    /// Start with an empty table (`RUMP_RFCFDG`).
    Clear,
}

/// `RUMP_RFFDG`: copy the descriptor table.
pub const RUMP_RFFDG: i32 = netbsd_abi::RUMP_RFFDG;
/// `RUMP_RFCFDG`: start with an empty descriptor table.
pub const RUMP_RFCFDG: i32 = netbsd_abi::RUMP_RFCFDG;

impl ForkFd {
    /// Decode `rump_lwproc_rfork` flags; both bits at once is EINVAL.
    pub fn from_flags(flags: i32) -> KResult<ForkFd> {
        match flags {
            0 => Ok(ForkFd::Share),
            RUMP_RFFDG => Ok(ForkFd::Copy),
            RUMP_RFCFDG => Ok(ForkFd::Clear),
            _ => Err(Errno::EINVAL),
        }
    }
}

/// Which lwp each host thread runs as, with a count readable without the
/// lock: while no thread is bound, entering the kernel needs no lookup.
struct Bindings {
    map: Mutex<IdHashMap<u64, Arc<Lwp>>>,
    count: std::sync::atomic::AtomicUsize,
}

/// The locked map; the count follows it when the lock is released.
struct BindingsGuard<'a> {
    map: MutexGuard<'a, IdHashMap<u64, Arc<Lwp>>>,
    count: &'a std::sync::atomic::AtomicUsize,
}

impl std::ops::Deref for BindingsGuard<'_> {
    type Target = IdHashMap<u64, Arc<Lwp>>;
    fn deref(&self) -> &Self::Target {
        &self.map
    }
}

impl std::ops::DerefMut for BindingsGuard<'_> {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.map
    }
}

impl Drop for BindingsGuard<'_> {
    fn drop(&mut self) {
        self.count.store(self.map.len(), Ordering::Release);
    }
}

impl Bindings {
    fn new() -> Bindings {
        Bindings {
            map: Mutex::new(IdHashMap::default()),
            count: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    fn lock(&self) -> BindingsGuard<'_> {
        BindingsGuard {
            map: lock(&self.map),
            count: &self.count,
        }
    }

    #[inline]
    fn none_bound(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }
}

/// Unbinds the exiting host thread from every kernel it was bound in: the
/// host reuses thread ids, and a new thread must not inherit a dead one's
/// lwp. Only cleanup goes through this thread-local; lookups use the
/// kernel's own map, so a second copy in a loaded component is harmless.
struct UnbindAtExit(Vec<Weak<Bindings>>);

impl Drop for UnbindAtExit {
    fn drop(&mut self) {
        let tid = rumpuser::current_thread_id();
        for b in self.0.iter().filter_map(Weak::upgrade) {
            if let Some(l) = b.lock().remove(&tid) {
                l.running.store(false, Ordering::Release);
            }
        }
    }
}

thread_local! {
    static UNBIND_AT_EXIT: RefCell<UnbindAtExit> = const { RefCell::new(UnbindAtExit(Vec::new())) };
}

/// All processes of one kernel and the binding of host threads to lwps.
pub struct ProcTable {
    selector: Arc<WaitGen>,
    procs: Mutex<HashMap<i32, Arc<Proc>>>,
    next_pid: Mutex<i32>,
    bound: Arc<Bindings>,
    proc1: Arc<Proc>,
}

/// The pid of the kernel's own process.
pub const PID_KERNEL: i32 = 0;
/// The pid of the implicit context, "rumplocal".
pub const PID_LOCAL: i32 = 1;

impl ProcTable {
    /// The table of a new kernel: proc0 (the kernel) and proc1 (rumplocal).
    pub fn new() -> ProcTable {
        ProcTable::with_selector(Arc::new(WaitGen::default()))
    }

    /// The same, whose processes wake the waiters of `selector` when they
    /// are told to exit or get a signal (the kernel's select generation).
    pub fn with_selector(selector: Arc<WaitGen>) -> ProcTable {
        let proc0 = Arc::new(Proc::new(
            PID_KERNEL,
            PID_KERNEL,
            "system".into(),
            Arc::new(Cred::root()),
            FdTable::new(),
            Arc::clone(&selector),
        ));
        let proc1 = Arc::new(Proc::new(
            PID_LOCAL,
            PID_KERNEL,
            "rumplocal".into(),
            Arc::new(Cred::root()),
            FdTable::new(),
            Arc::clone(&selector),
        ));
        let mut procs = HashMap::new();
        procs.insert(PID_KERNEL, proc0);
        procs.insert(PID_LOCAL, Arc::clone(&proc1));
        ProcTable {
            selector,
            procs: Mutex::new(procs),
            next_pid: Mutex::new(PID_LOCAL + 1),
            bound: Arc::new(Bindings::new()),
            proc1,
        }
    }

    /// The process with `pid`.
    pub fn find(&self, pid: i32) -> Option<Arc<Proc>> {
        lock(&self.procs).get(&pid).cloned()
    }

    /// Every process, by pid.
    pub fn all(&self) -> Vec<Arc<Proc>> {
        let mut v: Vec<Arc<Proc>> = lock(&self.procs).values().cloned().collect();
        v.sort_by_key(|p| p.pid);
        v
    }

    /// The number of processes, proc0 and proc1 included.
    pub fn count(&self) -> usize {
        lock(&self.procs).len()
    }

    /// The implicit context's process, pid 1.
    pub fn local_proc(&self) -> &Arc<Proc> {
        &self.proc1
    }

    /// The lwp bound to the calling host thread, `None` in the implicit context.
    #[inline]
    pub fn curlwp(&self) -> Option<Arc<Lwp>> {
        if self.bound.none_bound() {
            return None;
        }
        self.bound_lwp()
    }

    // The lookup of `curlwp` once some thread is bound, out of line so that
    // the implicit context's check stays inlined in every way in.
    fn bound_lwp(&self) -> Option<Arc<Lwp>> {
        self.bound
            .lock()
            .get(&rumpuser::current_thread_id())
            .cloned()
    }

    /// The process the calling host thread acts as.
    pub fn curproc(&self) -> Arc<Proc> {
        self.curlwp()
            .map(|l| Arc::clone(&l.proc))
            .unwrap_or_else(|| Arc::clone(&self.proc1))
    }

    fn alloc_pid(&self, procs: &HashMap<i32, Arc<Proc>>) -> KResult<i32> {
        let mut next = lock(&self.next_pid);
        for _ in 0..PID_MAX {
            let pid = *next;
            *next = if pid >= PID_MAX {
                PID_LOCAL + 1
            } else {
                pid + 1
            };
            // As NetBSD's pid table: a pid stays taken while a process
            // group or session of that id lives.
            let named = |p: &Arc<Proc>| {
                let j = p.job();
                j.pgid == pid || j.sid == pid
            };
            if !procs.contains_key(&pid) && !procs.values().any(named) {
                return Ok(pid);
            }
        }
        Err(Errno::EAGAIN)
    }

    fn new_lwp(&self, proc: &Arc<Proc>) -> Arc<Lwp> {
        let lid = proc.next_lid.fetch_add(1, Ordering::Relaxed);
        lock(&proc.lwps).push(lid);
        Arc::new(Lwp {
            lid,
            proc: Arc::clone(proc),
            owner: Arc::downgrade(&self.bound),
            running: AtomicBool::new(false),
            dead: AtomicBool::new(false),
        })
    }

    /// Create a process as a child of the caller's, with one lwp, and bind
    /// the calling thread to that lwp (`rump_lwproc_rfork`).
    pub fn rfork(&self, fd: ForkFd, comm: Option<&str>) -> KResult<Arc<Lwp>> {
        let parent = self.curproc();
        let name = comm.map(str::to_owned).unwrap_or_else(|| parent.comm());
        let l = self.spawn(&parent, fd, &name)?;
        self.switch(Some(Arc::clone(&l)))?;
        Ok(l)
    }

    /// Create a process as a child of `parent`, with one lwp that no thread
    /// runs yet (a server's process for a remote client, or a fork copy).
    pub fn spawn(&self, parent: &Arc<Proc>, fd: ForkFd, comm: &str) -> KResult<Arc<Lwp>> {
        let fdt = match fd {
            ForkFd::Share => parent.fdt(),
            ForkFd::Copy => parent.fdt().copy(),
            ForkFd::Clear => FdTable::new(),
        };
        let mut procs = lock(&self.procs);
        let pid = self.alloc_pid(&procs)?;
        let p = Arc::new(Proc::new(
            pid,
            parent.pid,
            comm.chars().take(16).collect(),
            parent.cred(),
            fdt,
            Arc::clone(&self.selector),
        ));
        let limits = *parent.limits.lock();
        *p.limits.lock() = limits;
        p.set_login(&parent.login());
        p.set_job(parent.job());
        *lock(&p.data) = parent.fork_data();
        procs.insert(pid, Arc::clone(&p));
        drop(procs);
        parent.knote_with(crate::kqueue::consts::NOTE_FORK | pid as u32, Some(&p));
        Ok(self.new_lwp(&p))
    }

    /// Release `l`, which no thread runs; its process exits with its last
    /// lwp. EBUSY if a thread runs it.
    pub fn release(&self, l: &Arc<Lwp>) -> KResult<Option<Arc<Proc>>> {
        if l.running.swap(true, Ordering::AcqRel) {
            return Err(Errno::EBUSY);
        }
        Ok(self.retire(l))
    }

    /// Create an lwp in process `pid` and bind the calling thread to it
    /// (`rump_lwproc_newlwp`). ESRCH if there is no such process.
    pub fn newlwp(&self, pid: i32) -> KResult<Arc<Lwp>> {
        // Under the table lock, so that the process cannot exit meanwhile.
        let l = {
            let procs = lock(&self.procs);
            let proc = procs.get(&pid).ok_or(Errno::ESRCH)?;
            if proc.is_exiting() {
                return Err(Errno::EBUSY);
            }
            self.new_lwp(proc)
        };
        self.switch(Some(Arc::clone(&l)))?;
        Ok(l)
    }

    /// Bind the calling thread to `l`, or to the implicit context for `None`
    /// (`rump_lwproc_switch`). The previous lwp stays alive, not running.
    /// EBUSY if `l` runs on another thread, EINVAL if it was released.
    pub fn switch(&self, l: Option<Arc<Lwp>>) -> KResult<()> {
        let tid = rumpuser::current_thread_id();
        let mut bound = self.bound.lock();
        if let Some(new) = &l {
            if new.dead.load(Ordering::Acquire)
                || !std::ptr::eq(new.owner.as_ptr(), Arc::as_ptr(&self.bound))
            {
                return Err(Errno::EINVAL);
            }
            let mine = bound.get(&tid).is_some_and(|cur| Arc::ptr_eq(cur, new));
            if !mine && new.running.swap(true, Ordering::AcqRel) {
                return Err(Errno::EBUSY);
            }
        }
        let old = match l {
            Some(new) => {
                let me = Arc::downgrade(&self.bound);
                // During thread teardown the registry may be gone: nothing to clean then.
                let _ = UNBIND_AT_EXIT.try_with(|u| {
                    let mut u = u.borrow_mut();
                    if !u.0.iter().any(|w| w.ptr_eq(&me)) {
                        u.0.retain(|w| w.strong_count() > 0);
                        u.0.push(me);
                    }
                });
                bound.insert(tid, new)
            }
            None => bound.remove(&tid),
        };
        if let Some(old) = old {
            let still = bound.get(&tid).is_some_and(|cur| Arc::ptr_eq(cur, &old));
            if !still {
                old.running.store(false, Ordering::Release);
            }
        }
        Ok(())
    }

    /// Release the calling thread's lwp; the process exits with its last lwp
    /// (`rump_lwproc_releaselwp`). The thread returns to the implicit
    /// context. Returns the process if it exited; EINVAL when the thread has
    /// no lwp.
    pub fn releaselwp(&self) -> KResult<Option<Arc<Proc>>> {
        let l = self
            .bound
            .lock()
            .remove(&rumpuser::current_thread_id())
            .ok_or(Errno::EINVAL)?;
        Ok(self.retire(&l))
    }

    /// An lwp leaves its process for good; the process exits with its last
    /// lwp, closing a descriptor table nobody else shares.
    fn retire(&self, l: &Arc<Lwp>) -> Option<Arc<Proc>> {
        l.dead.store(true, Ordering::Release);
        l.running.store(false, Ordering::Release);
        let proc = Arc::clone(&l.proc);
        // The table lock makes "last lwp leaves, process goes" one step that
        // a concurrent newlwp sees either entirely or not at all.
        let mut procs = lock(&self.procs);
        let last = {
            let mut lwps = lock(&proc.lwps);
            lwps.retain(|&lid| lid != l.lid);
            lwps.is_empty()
        };
        if last && proc.pid > PID_LOCAL {
            procs.remove(&proc.pid);
            drop(procs);
            let fdt = proc.fdt();
            *lock(&proc.fdt) = FdTable::new();
            if Arc::strong_count(&fdt) == 1 {
                fdt.close_all();
            }
            proc.knote(crate::kqueue::consts::NOTE_EXIT);
            return Some(proc);
        }
        None
    }
}

impl Default for ProcTable {
    fn default() -> Self {
        ProcTable::new()
    }
}
