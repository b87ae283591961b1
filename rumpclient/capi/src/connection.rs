//! The program's one connection to the server (a C program has no client
//! object to pass around, as in NetBSD's library), and the reconnect
//! policy that `rumpclient_setconnretry` chose.

use netbsd_abi::Errno;
use rumpclient::{Client, PARSEDSERVER_ENV, Retry};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

static CLIENT: Mutex<Option<Arc<Client>>> = Mutex::new(None);
static RETRY: Mutex<Retry> = Mutex::new(Retry::Never);
/// The host process that made the connection: after a host `fork` without
/// `rumpclient_fork_init`, the child's `rumpclient_init` starts afresh.
static OWNER_PID: AtomicI32 = AtomicI32::new(0);

/// The server's URL as the user gives it.
pub const SERVER_ENV: &str = "RUMP_SERVER";

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic cannot leave these values half-changed.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The URL named by the environment, if any.
pub fn server_url() -> Option<String> {
    std::env::var(PARSEDSERVER_ENV)
        .or_else(|_| std::env::var(SERVER_ENV))
        .ok()
}

/// Whether this host process made the current connection.
pub fn connected_here() -> bool {
    OWNER_PID.load(Ordering::Relaxed) == std::process::id() as i32 && lock(&CLIENT).is_some()
}

/// The connection calls go over; ENOTCONN before `rumpclient_init`.
pub fn current() -> Result<Arc<Client>, Errno> {
    lock(&CLIENT).clone().ok_or(Errno::ENOTCONN)
}

/// Make `c` the program's connection, under the chosen reconnect policy;
/// the one it replaces comes back.
pub fn install(c: Client) -> Option<Arc<Client>> {
    c.set_retry(*lock(&RETRY));
    OWNER_PID.store(std::process::id() as i32, Ordering::Relaxed);
    lock(&CLIENT).replace(Arc::new(c))
}

/// Put back a connection saved earlier (a vfork parent's).
pub fn restore(c: Arc<Client>) {
    OWNER_PID.store(std::process::id() as i32, Ordering::Relaxed);
    *lock(&CLIENT) = Some(c);
}

/// Choose what a lost connection does, now and for later connections.
pub fn set_retry(r: Retry) {
    *lock(&RETRY) = r;
    if let Some(c) = lock(&CLIENT).as_ref() {
        c.set_retry(r);
    }
}
