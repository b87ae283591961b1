//! The hijack's state in a program: its configuration, its connection to
//! the server, the descriptor map and where the current directory is.

use crate::config::Config;
use crate::mem::ProcessMemory;
use crate::route::{FdRoute, LowFds, PathRoute, route_path};
use crate::xlate;
use rumpclient::Client;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// The hijack of this program.
pub struct Hijack {
    /// What goes to the rump kernel.
    pub cfg: Config,
    /// The server, as the program was told it (kept for forked children).
    pub url: String,
    /// The connection; replaced in a forked child.
    client: Mutex<Arc<Client>>,
    /// Kernel descriptors with numbers below `fdoff`.
    low: Mutex<LowFds>,
    /// Whether the current directory is in the rump kernel.
    cwd_in_rump: AtomicBool,
}

static HIJACK: OnceLock<Hijack> = OnceLock::new();

/// The host descriptor of the connection to the server, kept apart from
/// the client so that it can be checked without a lock: a close inside the
/// client itself comes back through this library's `close`.
static CONNECTION_FD: AtomicI32 = AtomicI32::new(-1);

/// The `fdoff` in force, known before the hijack is installed so that the
/// first connection is placed below it.
static FDOFF: AtomicI32 = AtomicI32::new(0);

/// Record the configured `fdoff` (before connecting).
pub fn set_fdoff(fdoff: i32) {
    FDOFF.store(fdoff, Ordering::Relaxed);
}

/// The connection's host descriptor (-1 before there is one).
pub fn connection_fd() -> i32 {
    CONNECTION_FD.load(Ordering::Relaxed)
}

/// Record the connection's host descriptor.
pub fn set_connection_fd(fd: i32) {
    CONNECTION_FD.store(fd, Ordering::Relaxed);
}

/// The variable that says the current directory is in the kernel (NetBSD's).
pub const PWD_ENV: &str = "RUMPHIJACK__PWDINRUMP";
/// The variable naming the connection kept open across exec (NetBSD's
/// name; the value is the descriptor, then NetBSD's second field, unused).
pub const EXECFD_ENV: &str = "RUMPCLIENT__EXECFD";
/// The server URL as the image before exec had it (NetBSD's).
pub const PARSEDSERVER_ENV: &str = "RUMP__PARSEDSERVER";

/// The hijack, once it is set up; before that every call goes to the host.
pub fn get() -> Option<&'static Hijack> {
    if INSIDE.with(|i| i.get()) {
        return None;
    }
    HIJACK.get()
}

thread_local! {
    /// Set while this thread runs the client library (connecting, a call,
    /// a fork's handshakes): the host functions it uses come back through
    /// this library's exports, and must then go straight to the host.
    static INSIDE: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Run `f` at a moment when the client library lets the program's signal
/// handlers run (it blocks them for the rest of a call): a handler's own
/// calls take this library's routes, as anywhere else in the program.
pub fn signal_window(f: &mut dyn FnMut()) {
    let was = INSIDE.with(|i| i.replace(false));
    f();
    INSIDE.with(|i| i.set(was));
}

/// Run `f` as the client library's own work (see `INSIDE`).
pub fn inside<R>(f: impl FnOnce() -> R) -> R {
    let was = INSIDE.with(|i| i.replace(true));
    let r = f();
    INSIDE.with(|i| i.set(was));
    r
}

/// What the mapping code does around kernel calls on files while this
/// process has shared mappings of kernel files (the file I/O barrier).
pub struct FileIoBarrier {
    /// Before a call that reads, writes, syncs or locks a file: write back
    /// what the mappings changed, so that the call (or a process that
    /// takes the lock after this one) finds it.
    pub before: fn(&Hijack),
    /// After such a call, or one that closes or replaces descriptors.
    pub after: fn(&Hijack, FileIoDone),
}

/// A kernel call the file I/O barrier follows, once it has succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileIoDone {
    /// This process took a file lock.
    LockTaken,
    /// `n` bytes were written to kernel descriptor `fd`, at `off` (`None`:
    /// at the descriptor's offset, which is now past them).
    Wrote { fd: i32, off: Option<u64>, n: u64 },
    /// Kernel descriptor `fd`'s file was truncated to `len`.
    Truncated { fd: i32, len: u64 },
    /// The file named by the kernel path at address `path` (in this
    /// process, valid until the barrier returns) was truncated to `len`.
    TruncatedPath { path: u64, len: u64 },
    /// Kernel descriptor `fd` (and with `and_above`, every one above it)
    /// was closed or replaced.
    Closed { fd: i32, and_above: bool },
}

static FILE_IO_BARRIER: OnceLock<FileIoBarrier> = OnceLock::new();
static FILE_IO_BARRIER_ARMED: AtomicBool = AtomicBool::new(false);

/// Set the file I/O barrier (only the first one is kept) and say whether
/// it is armed: the check costs one load while it is not.
pub fn arm_file_io_barrier(b: FileIoBarrier, armed: bool) {
    let _ = FILE_IO_BARRIER.set(b);
    FILE_IO_BARRIER_ARMED.store(armed, Ordering::Relaxed);
}

/// NetBSD's `fcntl` commands and `struct flock` facts the barrier needs.
const F_GETLK_NETBSD: u64 = 7;
const F_SETLK_NETBSD: u64 = 8;
const F_SETLKW_NETBSD: u64 = 9;
const F_CLOSEM_NETBSD: u64 = 10;
const FLOCK_TYPE_OFFSET: u64 = 20;
const F_UNLCK_NETBSD: i16 = 2;

/// What the barrier is told after a call, from its arguments and result.
type AfterCall = fn(&[u64], i64) -> Option<FileIoDone>;

/// Whether the barrier writes back before kernel call `nr`, and what it
/// is told after it.
fn file_io(nr: u32, args: &[u64]) -> (bool, Option<AfterCall>) {
    use crate::nr::*;
    let arg = |i: usize| args.get(i).copied().unwrap_or(0);
    match (nr, arg(1)) {
        (READ | READV | PREAD | PREADV | FSYNC | FDATASYNC, _) => (true, None),
        (FCNTL, F_GETLK_NETBSD) => (true, None),
        (FCNTL, F_SETLK_NETBSD | F_SETLKW_NETBSD) => (
            true,
            Some(|args, _| {
                let p = args.get(2)? + FLOCK_TYPE_OFFSET;
                let b = rumpclient::ClientMemory::read(&ProcessMemory, p, 2)?;
                (i16::from_ne_bytes([b[0], b[1]]) != F_UNLCK_NETBSD)
                    .then_some(FileIoDone::LockTaken)
            }),
        ),
        (FCNTL, F_CLOSEM_NETBSD) => (
            false,
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: args[0] as i32,
                    and_above: true,
                })
            }),
        ),
        (WRITE | WRITEV, _) => (
            true,
            Some(|args, n| {
                Some(FileIoDone::Wrote {
                    fd: args[0] as i32,
                    off: None,
                    n: n as u64,
                })
            }),
        ),
        (PWRITE | PWRITEV, _) => (
            true,
            Some(|args, n| {
                let off = Some(*args.get(4)?);
                Some(FileIoDone::Wrote {
                    fd: args[0] as i32,
                    off,
                    n: n as u64,
                })
            }),
        ),
        (FTRUNCATE, _) => (
            true,
            Some(|args, _| {
                Some(FileIoDone::Truncated {
                    fd: args[0] as i32,
                    len: *args.get(2)?,
                })
            }),
        ),
        (TRUNCATE, _) => (
            true,
            Some(|args, _| {
                Some(FileIoDone::TruncatedPath {
                    path: args[0],
                    len: *args.get(2)?,
                })
            }),
        ),
        (CLOSE, _) => (
            false,
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: args[0] as i32,
                    and_above: false,
                })
            }),
        ),
        (DUP2 | DUP3, _) => (
            false,
            Some(|args, _| {
                Some(FileIoDone::Closed {
                    fd: *args.get(1)? as i32,
                    and_above: false,
                })
            }),
        ),
        _ => (false, None),
    }
}

/// Install the hijack; the first one wins.
pub fn install(h: Hijack) {
    let _ = HIJACK.set(h);
}

/// The lowest number the connection's descriptor may have: high enough to
/// stay out of a program's way, below `fdoff` so it is the host's.
pub fn connection_floor(fdoff: i32) -> i32 {
    (fdoff / 2).max(3)
}

/// Move a new connection's descriptor up to [`connection_floor`], close on
/// exec (the hijack's `execve` clears that when it hands it on).
pub fn place_connection(fd: OwnedFd) -> OwnedFd {
    let fdoff = match FDOFF.load(Ordering::Relaxed) {
        0 => Config::default().fdoff,
        n => n,
    };
    let floor = connection_floor(fdoff);
    // The host's fcntl and close: this library's own would route them.
    let moved =
        host!(fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, floor) as fn(i32, i32, i32) -> i32);
    let placed = if moved < 0 {
        fd
    } else if moved >= fdoff {
        // No room below fdoff (the program holds every number there):
        // a number from fdoff up is the kernel's to the program, so the
        // connection stays where it is.
        host!(close(moved) as fn(i32) -> i32);
        fd
    } else {
        // SAFETY: `moved` was just made by fcntl and is owned by nobody else.
        unsafe { OwnedFd::from_raw_fd(moved) }
    };
    set_connection_fd(placed.as_raw_fd());
    placed
}

impl Hijack {
    /// A hijack over an established connection.
    pub fn new(cfg: Config, url: String, client: Client, low: LowFds, cwd_in_rump: bool) -> Hijack {
        Hijack {
            cfg,
            url,
            client: Mutex::new(Arc::new(client)),
            low: Mutex::new(low),
            cwd_in_rump: AtomicBool::new(cwd_in_rump),
        }
    }

    /// The current connection.
    pub fn client(&self) -> Arc<Client> {
        self.client
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The connection, locked (for fork, which replaces it in the child).
    pub fn client_slot(&self) -> MutexGuard<'_, Arc<Client>> {
        self.client.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The low-descriptor map, locked.
    pub fn low(&self) -> MutexGuard<'_, LowFds> {
        self.low.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where the program's descriptor `fd` goes.
    pub fn fd(&self, fd: i32) -> FdRoute {
        // The connection is the host's whatever its number (the client's
        // own I/O comes back through this library's functions).
        if fd < 0 || fd == connection_fd() {
            return FdRoute::Host(fd);
        }
        self.low().route(fd, self.cfg.fdoff)
    }

    /// The program's number for kernel descriptor `k`.
    pub fn rump_to_program(&self, k: i64) -> i64 {
        k + i64::from(self.cfg.fdoff)
    }

    /// Where `path` goes.
    pub fn path<'a>(&self, path: &'a [u8]) -> PathRoute<'a> {
        route_path(&self.cfg, self.cwd_in_rump(), path)
    }

    /// Whether the current directory is in the kernel.
    pub fn cwd_in_rump(&self) -> bool {
        self.cwd_in_rump.load(Ordering::Relaxed)
    }

    /// Record where the current directory now is.
    pub fn set_cwd_in_rump(&self, yes: bool) {
        self.cwd_in_rump.store(yes, Ordering::Relaxed);
    }

    /// Make system call `nr` in the kernel; errors are Linux errnos.
    pub fn sys(&self, nr: u32, args: &[u64]) -> Result<i64, i32> {
        let barrier = match FILE_IO_BARRIER_ARMED.load(Ordering::Relaxed) {
            true => FILE_IO_BARRIER.get(),
            false => None,
        };
        let Some(b) = barrier else {
            return self.sys_unbarriered(nr, args);
        };
        let (before, after) = file_io(nr, args);
        if before {
            (b.before)(self);
        }
        let r = self.sys_unbarriered(nr, args);
        if let (Ok(v), Some(after)) = (r, after)
            && let Some(done) = after(args, v)
        {
            (b.after)(self, done);
        }
        r
    }

    /// [`Hijack::sys`] without the file I/O barrier: for the barrier's own
    /// work, and the mapping code that runs it.
    pub fn sys_unbarriered(&self, nr: u32, args: &[u64]) -> Result<i64, i32> {
        let c = self.client();
        inside(|| c.syscall(nr, args, &ProcessMemory))
            .map(|r| r[0])
            .map_err(|e| xlate::errno_to_linux(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nr;

    fn after(nr: u32, args: &[u64], result: i64) -> Option<FileIoDone> {
        file_io(nr, args).1.and_then(|f| f(args, result))
    }

    #[test]
    fn the_barrier_follows_calls_on_file_data() {
        // Reads write back first and are not followed.
        assert!(matches!(
            file_io(nr::PREAD, &[3, 0, 10, 0, 0]),
            (true, None)
        ));
        assert!(matches!(file_io(nr::FCNTL, &[3, 3, 0]), (false, None)));
        assert_eq!(
            after(nr::PWRITE, &[3, 0, 10, 0, 100], 7),
            Some(FileIoDone::Wrote {
                fd: 3,
                off: Some(100),
                n: 7
            })
        );
        assert_eq!(
            after(nr::WRITE, &[4, 0, 10], 10),
            Some(FileIoDone::Wrote {
                fd: 4,
                off: None,
                n: 10
            })
        );
        assert_eq!(
            after(nr::FTRUNCATE, &[5, 0, 16], 0),
            Some(FileIoDone::Truncated { fd: 5, len: 16 })
        );
        assert_eq!(
            after(nr::DUP2, &[1, 9], 9),
            Some(FileIoDone::Closed {
                fd: 9,
                and_above: false
            })
        );
        assert_eq!(
            after(nr::FCNTL, &[20, F_CLOSEM_NETBSD, 0], 0),
            Some(FileIoDone::Closed {
                fd: 20,
                and_above: true
            })
        );
    }

    #[test]
    fn taking_a_lock_is_told_and_letting_go_is_not() {
        // NetBSD's struct flock, l_type at 20: F_WRLCK 3, F_UNLCK 2.
        let mut fl = [0u8; 24];
        fl[20..22].copy_from_slice(&3i16.to_ne_bytes());
        let args = [3, F_SETLKW_NETBSD, fl.as_ptr() as u64];
        assert!(file_io(nr::FCNTL, &args).0);
        assert_eq!(after(nr::FCNTL, &args, 0), Some(FileIoDone::LockTaken));
        fl[20..22].copy_from_slice(&F_UNLCK_NETBSD.to_ne_bytes());
        let args = [3, F_SETLK_NETBSD, std::hint::black_box(&fl).as_ptr() as u64];
        assert_eq!(after(nr::FCNTL, &args, 0), None);
    }
}
