//! The hijack's state in a program: its configuration, its connection to
//! the server, the descriptor map and where the current directory is.

use crate::config::Config;
use crate::mem::ProcessMemory;
use crate::route::{FdRoute, LowFds, PathRoute, route_path};
use crate::xlate;
use rumpclient::Client;
/// The variables `rumpclient_exec` hands on (NetBSD's names).
pub use rumpclient::{EXECFD_ENV, PARSEDSERVER_ENV};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// The hijack of this program.
pub struct Hijack {
    /// What goes to the rump kernel.
    pub cfg: Config,
    /// The server, a relative socket path made absolute (for forked
    /// children and exec'd programs, wherever the program is by then).
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

/// A set of descriptor numbers, one bit each. Bits, not a locked set:
/// `close` asks, and may run in a signal handler that interrupted a thread
/// changing it. Numbers past the bits are never in it (the mapping code
/// then notices a replaced descriptor by its file).
pub struct FdBits([AtomicU64; 1024]);

impl FdBits {
    const fn new() -> FdBits {
        FdBits([const { AtomicU64::new(0) }; 1024])
    }

    /// Put `fd` in the set, or take it out.
    pub fn set(&self, fd: i32, member: bool) {
        let Some(word) = usize::try_from(fd).ok().and_then(|i| self.0.get(i / 64)) else {
            return;
        };
        let bit = 1u64 << (fd as usize % 64);
        if member {
            word.fetch_or(bit, Ordering::Relaxed);
        } else {
            word.fetch_and(!bit, Ordering::Relaxed);
        }
    }

    /// Whether `fd` is in the set.
    pub fn has(&self, fd: i32) -> bool {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.0.get(i / 64))
            .is_some_and(|w| w.load(Ordering::Relaxed) & (1 << (fd as usize % 64)) != 0)
    }

    /// The numbers in the set.
    pub fn list(&self) -> Vec<i32> {
        let mut v = Vec::new();
        for (i, w) in self.0.iter().enumerate() {
            let bits = w.load(Ordering::Relaxed);
            v.extend(
                (0..64)
                    .filter(|b| bits & (1 << b) != 0)
                    .map(|b| (i * 64 + b) as i32),
            );
        }
        v
    }
}

/// The kernel descriptors the library keeps for itself (behind mappings
/// of kernel files), hidden from the program.
pub static OWN_KFDS: FdBits = FdBits::new();

/// The host descriptors the library keeps for itself below `fdoff` (the
/// pages of shared mappings), hidden from the program as the connection is.
pub static OWN_HOST_FDS: FdBits = FdBits::new();

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

    /// Whether kernel descriptor `k` is hidden from the program: the copy
    /// behind a low number, or one the library keeps for itself.
    pub fn hidden(&self, k: i32) -> bool {
        OWN_KFDS.has(k) || self.low().backs(k)
    }

    /// Every kernel descriptor hidden from the program.
    pub fn hidden_kfds(&self) -> Vec<i32> {
        let mut v = OWN_KFDS.list();
        v.extend(self.low().entries().map(|(_, k)| k));
        v
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
    /// Calls on file data pass the file I/O barrier ([`crate::barrier`]).
    pub fn sys(&self, nr: usize, args: &[u64]) -> Result<i64, i32> {
        crate::barrier::around(self, nr, args, || self.sys_unbarriered(nr, args))
    }

    /// [`Hijack::sys`] without the file I/O barrier: for the barrier's own
    /// work, and the mapping code that runs it.
    pub fn sys_unbarriered(&self, nr: usize, args: &[u64]) -> Result<i64, i32> {
        let c = self.client();
        inside(|| c.syscall(nr, args, &ProcessMemory))
            .map(|r| r[0])
            .map_err(|e| xlate::errno_to_linux(e.0))
    }
}

#[cfg(test)]
mod tests {
    use super::FdBits;

    #[test]
    fn descriptor_bits_hold_what_was_put_in() {
        let b = FdBits::new();
        for fd in [0, 63, 64, 515, 65535] {
            b.set(fd, true);
        }
        assert_eq!(b.list(), vec![0, 63, 64, 515, 65535]);
        assert!(b.has(515) && !b.has(514) && !b.has(516));
        b.set(63, false);
        assert!(!b.has(63) && b.has(64) && b.has(0));
        // Out of range: never in the set, and setting it does nothing.
        for fd in [-1, 65536, i32::MAX] {
            b.set(fd, true);
            assert!(!b.has(fd));
        }
        assert_eq!(b.list(), vec![0, 64, 515, 65535]);
    }
}
