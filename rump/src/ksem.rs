//! POSIX semaphores in the kernel, as NetBSD's `sys/kern/uipc_sem.c`
//! (`_ksem_init` ... `_ksem_timedwait`, what libc's `sem_*` call).
//!
//! A semaphore is reached through a descriptor of its own type
//! (`DTYPE_SEM`), whose number is the semaphore's id: it goes with the
//! process's other descriptors at exit, is shared by `dup`, and
//! `_ksem_close` is a plain close. Unnamed semaphores (`_ksem_init`) live as
//! long as their descriptors; named ones (`_ksem_open`) stay in the
//! kernel's list until `_ksem_unlink`, and go once unlinked and closed.
//! `kern.posix.semmax` bounds the named ones (NetBSD checks it before
//! creating either kind); `kern.posix.semcnt` counts them.

use crate::errno::{Errno, KResult};
use crate::file::{File, FileOps, Stat};
use crate::kernel::Kernel;
use crate::sync::lock;
use crate::syscall::{Ctx, SysArgs, SysRet, SyscallFn};
use crate::sysctl::{CTLFLAG_READWRITE, NodeData, NodeSpec, SysctlValue};
use crate::usermem::{UserSpace, copyin_array};
use crate::waitgen::WaitGen;
use netbsd_abi::layout::timespec;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Longest name, without the NUL (`SEM_MAX_NAMELEN`, `uipc_sem.c`).
const SEM_MAX_NAMELEN: usize = 14;
/// Highest value (`SEM_VALUE_MAX`, `sys/semaphore.h`: `~0U`).
const SEM_VALUE_MAX: u32 = u32::MAX;
/// Default `kern.posix.semmax` (`KSEM_MAX`, `sys/ksem.h`).
const KSEM_MAX: i32 = 128;
/// The descriptor type of a semaphore (`DTYPE_SEM`, `sys/file.h`).
const DTYPE_SEM: u32 = 8;
/// `st_blksize` of a semaphore's `fstat` (`ksem_stat_fop`).
const SEM_BLKSIZE: i32 = 4096;
/// How long a waiter sleeps before looking whether its process is leaving.
const SLICE: Duration = Duration::from_millis(100);
/// Nanoseconds in a second, the bound of `tv_nsec`.
const NSEC_PER_SEC: i64 = 1_000_000_000;

/// The kernel's semaphores: the named list and the limit.
struct Ksems {
    named: Mutex<HashMap<Vec<u8>, Arc<Sem>>>,
    max: AtomicI32,
}

impl Default for Ksems {
    fn default() -> Self {
        Ksems {
            named: Mutex::new(HashMap::new()),
            max: AtomicI32::new(KSEM_MAX),
        }
    }
}

impl Ksems {
    fn named(&self) -> MutexGuard<'_, HashMap<Vec<u8>, Arc<Sem>>> {
        lock(&self.named)
    }

    /// ENFILE once the named semaphores reach `kern.posix.semmax`.
    fn check_limit(&self, named: usize) -> KResult<()> {
        let max = usize::try_from(self.max.load(Ordering::Relaxed)).unwrap_or(0);
        if named >= max {
            return Err(Errno::ENFILE);
        }
        Ok(())
    }
}

#[derive(Default)]
struct SemState {
    value: u32,
    /// Open descriptors (files) that name the semaphore (`ks_ref`).
    refs: u32,
    waiters: u32,
}

/// One semaphore (`ksem_t`).
struct Sem {
    name: Option<Vec<u8>>,
    mode: u32,
    uid: u32,
    gid: u32,
    state: Mutex<SemState>,
    wait: WaitGen,
}

impl Sem {
    fn lock(&self) -> MutexGuard<'_, SemState> {
        lock(&self.state)
    }

    /// `ksem_perm`: root, or a write bit of the class the caller is in
    /// (the `ksem_listener_cb` rule).
    fn permits(&self, ctx: &Ctx) -> KResult<()> {
        let c = ctx.cred();
        let bit = |b: i32| self.mode & b as u32 != 0;
        let ok = c.is_root()
            || (c.euid == self.uid && bit(netbsd_abi::S_IWUSR))
            || (c.egid == self.gid && bit(netbsd_abi::S_IWGRP))
            || bit(netbsd_abi::S_IWOTH);
        if ok { Ok(()) } else { Err(Errno::EACCES) }
    }
}

/// The open file of a semaphore descriptor.
struct SemFile {
    sem: Arc<Sem>,
}

impl SemFile {
    fn open(sem: Arc<Sem>) -> Arc<File> {
        sem.lock().refs += 1;
        File::new(Box::new(SemFile { sem }), netbsd_abi::O_RDWR as u32)
    }
}

impl FileOps for SemFile {
    /// `ksem_read_fop`: a named semaphore reads as its name.
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], _offset: Option<u64>) -> KResult<usize> {
        let name = self.sem.name.as_deref().unwrap_or_default();
        let n = name.len().min(buf.len());
        buf[..n].copy_from_slice(&name[..n]);
        Ok(n)
    }

    fn write(&self, _ctx: &Ctx, _buf: &[u8], _offset: Option<u64>) -> KResult<usize> {
        Err(Errno::EOPNOTSUPP)
    }

    /// `ksem_stat_fop`: the value as the size, the references as links.
    fn stat(&self, ctx: &Ctx) -> KResult<Stat> {
        let s = self.sem.lock();
        let kind = if self.sem.name.is_some() {
            netbsd_abi::S_IFLNK
        } else {
            netbsd_abi::S_IFREG
        };
        let t = ctx.kernel().clock().realtime_timespec();
        Ok(Stat {
            mode: self.sem.mode | kind as u32,
            uid: self.sem.uid,
            gid: self.sem.gid,
            size: i64::from(s.value),
            blocks: i64::from(s.value != 0),
            nlink: s.refs,
            blksize: SEM_BLKSIZE,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: t,
            ..Stat::default()
        })
    }

    fn close(&self) {
        self.sem.lock().refs -= 1;
    }

    fn poll(&self, _events: i16) -> i16 {
        // `fnullop_poll`.
        0
    }

    fn dtype(&self) -> u32 {
        DTYPE_SEM
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

fn ksems(k: &Kernel) -> Arc<Ksems> {
    k.extension(Ksems::default)
}

/// The semaphore behind descriptor `id` (`ksem_get`): EINVAL for a closed
/// descriptor or one of another type.
fn sem_of(ctx: &Ctx, id: u64) -> KResult<Arc<Sem>> {
    let f = ctx.proc().fdt().get(id as i32).map_err(|_| Errno::EINVAL)?;
    f.ops()
        .as_any()
        .and_then(|a| a.downcast_ref::<SemFile>())
        .map(|s| Arc::clone(&s.sem))
        .ok_or(Errno::EINVAL)
}

fn new_sem(ctx: &Ctx, name: Option<Vec<u8>>, mode: u32, value: u32) -> Arc<Sem> {
    let c = ctx.cred();
    Arc::new(Sem {
        name,
        mode,
        uid: c.euid,
        gid: c.egid,
        state: Mutex::new(SemState {
            value,
            ..SemState::default()
        }),
        wait: WaitGen::default(),
    })
}

/// A descriptor slot held while a semaphore is made (NetBSD's
/// `fd_allocfile` before `fd_affix`).
struct Reserved;

impl FileOps for Reserved {}

/// Take a descriptor and store its number at `idp` first, as NetBSD does
/// (the caller sees the number even when the call then fails), then give
/// it the semaphore `make` returns; the descriptor goes again on failure.
fn install(
    ctx: &Ctx,
    us: &dyn UserSpace,
    idp: u64,
    make: impl FnOnce() -> KResult<Arc<Sem>>,
) -> KResult<SysRet> {
    let fdt = ctx.proc().fdt();
    let fd = ctx.fd_alloc(File::new(Box::new(Reserved), netbsd_abi::O_RDWR as u32))?;
    let made = us
        .copyout(idp, &i64::from(fd).to_le_bytes())
        .and_then(|()| make());
    match made {
        Ok(sem) => {
            fdt.install_at(fd, SemFile::open(sem), usize::MAX, false)?;
            Ok([0, 0])
        }
        Err(e) => {
            let _ = fdt.close(fd);
            Err(e)
        }
    }
}

/// `_ksem_init(value, idp)`: an unnamed semaphore.
fn sys_ksem_init(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let value = a[0] as u32;
    let reg = ksems(ctx.kernel());
    install(ctx, us, a[1], || {
        reg.check_limit(reg.named().len())?;
        // The mode does not matter for unnamed semaphores.
        Ok(new_sem(ctx, None, 0, value))
    })
}

/// The name at `addr`, checked as `ksem_create` does: ENAMETOOLONG beyond
/// `SEM_MAX_NAMELEN`, EINVAL unless it is `/` and at least one more byte,
/// none of them `/`.
fn copyin_name(us: &dyn UserSpace, addr: u64) -> KResult<Vec<u8>> {
    let name = us.copyinstr(addr, SEM_MAX_NAMELEN + 1)?;
    if name.len() < 2 || name[0] != b'/' || name[1..].contains(&b'/') {
        return Err(Errno::EINVAL);
    }
    Ok(name)
}

/// `_ksem_open(name, oflag, mode, value, idp)`.
fn sys_ksem_open(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let raw = us.copyinstr(a[0], SEM_MAX_NAMELEN + 1)?;
    let oflag = a[1] as i32;
    let (mode, value) = (a[2] as u32, a[3] as u32);
    let reg = ksems(ctx.kernel());
    let creating = oflag & netbsd_abi::O_CREAT != 0;
    install(ctx, us, a[4], || {
        if creating {
            // `ksem_create`'s checks come before the lookup.
            reg.check_limit(reg.named().len())?;
            copyin_name(us, a[0])?;
        }
        let mut named = reg.named();
        match named.get(&raw) {
            Some(_) if creating && oflag & netbsd_abi::O_EXCL != 0 => Err(Errno::EEXIST),
            Some(s) => {
                s.permits(ctx)?;
                Ok(Arc::clone(s))
            }
            None if !creating => Err(Errno::ENOENT),
            None => {
                reg.check_limit(named.len())?;
                let s = new_sem(ctx, Some(raw.clone()), mode, value);
                named.insert(raw, Arc::clone(&s));
                Ok(s)
            }
        }
    })
}

/// `_ksem_unlink(name)`: the name goes now, the semaphore with its last
/// descriptor.
fn sys_ksem_unlink(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let name = us.copyinstr(a[0], SEM_MAX_NAMELEN + 1)?;
    let reg = ksems(ctx.kernel());
    let mut named = reg.named();
    named.get(&name).ok_or(Errno::ENOENT)?.permits(ctx)?;
    named.remove(&name);
    Ok([0, 0])
}

/// `_ksem_close(id)`: closes the descriptor, whatever it is (EBADF if it
/// is not open).
fn sys_ksem_close(ctx: &Ctx, a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    ctx.fd_close(a[0] as i32)?;
    Ok([0, 0])
}

/// `_ksem_post(id)`: EOVERFLOW at `SEM_VALUE_MAX`.
fn sys_ksem_post(ctx: &Ctx, a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    let sem = sem_of(ctx, a[0])?;
    let mut s = sem.lock();
    if s.value == SEM_VALUE_MAX {
        return Err(Errno::EOVERFLOW);
    }
    s.value += 1;
    drop(s);
    sem.wait.bump();
    Ok([0, 0])
}

/// How a wait ends when the value is 0.
#[derive(Clone, Copy)]
enum Wait {
    /// `_ksem_trywait`: EAGAIN at once.
    Try,
    /// `_ksem_wait`: until posted.
    Forever,
    /// `_ksem_timedwait`: until posted or the realtime clock reaches this
    /// (ETIMEDOUT).
    Until(Duration),
}

/// `do_ksem_wait`: take one from the value, waiting as `how` says; EINTR
/// if the process is told to exit meanwhile.
fn wait(ctx: &Ctx, id: u64, how: Wait) -> KResult<()> {
    let sem = sem_of(ctx, id)?;
    let clock = ctx.kernel().clock();
    loop {
        let seen = sem.wait.generation();
        let pause = {
            let mut s = sem.lock();
            if s.value > 0 {
                s.value -= 1;
                return Ok(());
            }
            let pause = match how {
                Wait::Try => return Err(Errno::EAGAIN),
                Wait::Forever => SLICE,
                Wait::Until(deadline) => {
                    let now = clock.wall();
                    if now >= deadline {
                        return Err(Errno::ETIMEDOUT);
                    }
                    SLICE.min(deadline - now)
                }
            };
            if ctx.proc().is_exiting() {
                return Err(Errno::EINTR);
            }
            s.waiters += 1;
            pause
        };
        ctx.block(|| sem.wait.wait(seen, clock.host_span(pause)));
        sem.lock().waiters -= 1;
    }
}

fn sys_ksem_wait(ctx: &Ctx, a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    wait(ctx, a[0], Wait::Forever)?;
    Ok([0, 0])
}

fn sys_ksem_trywait(ctx: &Ctx, a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    wait(ctx, a[0], Wait::Try)?;
    Ok([0, 0])
}

/// `_ksem_timedwait(id, abstime)`: EINVAL for a time out of range, checked
/// before the semaphore.
fn sys_ksem_timedwait(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let ts: [u8; timespec::SIZE] = copyin_array(us, a[1])?;
    let sec = timespec::tv_sec.get(&ts).unwrap_or_default() as i64;
    let nsec = timespec::tv_nsec.get(&ts).unwrap_or_default() as i64;
    if sec < 0 || !(0..NSEC_PER_SEC).contains(&nsec) {
        return Err(Errno::EINVAL);
    }
    let deadline = Duration::new(sec as u64, nsec as u32);
    wait(ctx, a[0], Wait::Until(deadline))?;
    Ok([0, 0])
}

/// `_ksem_getvalue(id, value)`.
fn sys_ksem_getvalue(ctx: &Ctx, a: &SysArgs, us: &dyn UserSpace) -> KResult<SysRet> {
    let value = sem_of(ctx, a[0])?.lock().value;
    us.copyout(a[1], &value.to_le_bytes())?;
    Ok([0, 0])
}

/// `_ksem_destroy(id)`: unnamed semaphores only (EINVAL), none waiting
/// (EBUSY); closes the descriptor.
fn sys_ksem_destroy(ctx: &Ctx, a: &SysArgs, _us: &dyn UserSpace) -> KResult<SysRet> {
    let sem = sem_of(ctx, a[0])?;
    if sem.name.is_some() {
        return Err(Errno::EINVAL);
    }
    if sem.lock().waiters > 0 {
        return Err(Errno::EBUSY);
    }
    ctx.fd_close(a[0] as i32)?;
    Ok([0, 0])
}

/// Register the semaphore calls and `kern.posix.semmax`/`semcnt`.
pub(crate) fn register(k: &Kernel) {
    use netbsd_abi as abi;
    let calls: &[(usize, &'static str, SyscallFn)] = &[
        (abi::SYS__ksem_init, "_ksem_init", sys_ksem_init),
        (abi::SYS__ksem_open, "_ksem_open", sys_ksem_open),
        (abi::SYS__ksem_unlink, "_ksem_unlink", sys_ksem_unlink),
        (abi::SYS__ksem_close, "_ksem_close", sys_ksem_close),
        (abi::SYS__ksem_post, "_ksem_post", sys_ksem_post),
        (abi::SYS__ksem_wait, "_ksem_wait", sys_ksem_wait),
        (abi::SYS__ksem_trywait, "_ksem_trywait", sys_ksem_trywait),
        (abi::SYS__ksem_getvalue, "_ksem_getvalue", sys_ksem_getvalue),
        (abi::SYS__ksem_destroy, "_ksem_destroy", sys_ksem_destroy),
        (
            abi::SYS__ksem_timedwait,
            "_ksem_timedwait",
            sys_ksem_timedwait,
        ),
    ];
    // Boot registers the base once: the slots are free.
    let _ = k.register_syscalls(calls);
    let _ = register_sysctl(k);
}

fn register_sysctl(k: &Kernel) -> KResult<()> {
    let t = k.sysctl();
    t.create_path("kern.posix", "POSIX options")?;
    let reg = ksems(k);
    let (r, w) = (Arc::clone(&reg), Arc::clone(&reg));
    t.create(
        "kern.posix",
        NodeSpec::new(
            "semmax",
            CTLFLAG_READWRITE,
            "Maximal number of semaphores",
            NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(r.max.load(Ordering::Relaxed))),
                write: Some(Arc::new(move |v| match v {
                    SysctlValue::Int(n) => {
                        w.max.store(n, Ordering::Relaxed);
                        Ok(())
                    }
                    _ => Err(Errno::EINVAL),
                })),
            },
        ),
    )?;
    t.create(
        "kern.posix",
        NodeSpec::new(
            "semcnt",
            0,
            "Current number of semaphores",
            NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(reg.named().len() as i32)),
                write: None,
            },
        ),
    )?;
    Ok(())
}
