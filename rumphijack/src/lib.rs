//! `librumphijack.so`: run unmodified, dynamically linked Linux programs
//! as clients of a rump kernel (`rumphijack(3)`, `rump_sp(7)`).
//!
//! ```sh
//! LD_PRELOAD=librumphijack.so RUMP_SERVER=unix://sock ls -l /rump/etc
//! ```
//!
//! The library replaces glibc's file, descriptor, socket and process
//! functions. Each call goes to the rump kernel or to the host by its path
//! (see [`route`]) or descriptor; calls for the kernel are made over the
//! client library, with Linux values translated to NetBSD's and back at
//! this edge ([`xlate`]). `RUMPHIJACK` says what is hijacked ([`config`]).

// Unit tests leave the exported functions out (they would replace the test
// program's own libc calls), and with them the users of much of the crate.
#![cfg_attr(test, allow(dead_code, unused_macros))]

#[macro_use]
mod host;
pub mod barrier;
pub mod config;
pub mod fuzz;
pub mod maptable;
pub mod mem;
pub mod route;
mod state;
pub mod tempname;
pub mod xlate;

#[cfg(not(test))]
mod exports;

use config::Config;
use route::LowFds;
use rumpclient::{Client, ConnectError, Retry};
use std::os::fd::{FromRawFd, OwnedFd};

/// Stop the program with NetBSD's `errx` style message.
fn die(msg: &str) -> ! {
    let line = format!("{}: {msg}\n", program_name());
    // SAFETY: a write of a local buffer to stderr, then exit without
    // running the program's handlers (it has not started yet).
    unsafe {
        libc::write(2, line.as_ptr().cast(), line.len());
        libc::_exit(1)
    }
}

fn program_name() -> String {
    std::fs::read("/proc/self/comm")
        .map(|b| String::from_utf8_lossy(b.trim_ascii_end()).into_owned())
        .unwrap_or_else(|_| "rumphijack".into())
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Set the hijack up, before the program's `main`: read the configuration,
/// then connect to the server, or take up the connection the program
/// image before an `execve` handed on.
fn init() {
    let cfg = Config::from_env_value(var("RUMPHIJACK").as_deref()).unwrap_or_else(|e| die(&e));
    let retry = Retry::from_env().unwrap_or_else(|e| die(&e));
    state::set_fdoff(cfg.fdoff);
    let exec_fd = var(state::EXECFD_ENV);
    let low = match var(route::LOWFDS_ENV) {
        Some(v) => LowFds::decode(&v, cfg.fdoff).unwrap_or_else(|| {
            eprintln!("{}: invalid dup2mask: {v}", program_name());
            LowFds::default()
        }),
        None => LowFds::default(),
    };
    let cwd_in_rump = var(state::PWD_ENV).is_some();
    // What was handed on is for this image only.
    for v in [state::EXECFD_ENV, route::LOWFDS_ENV, state::PWD_ENV] {
        // SAFETY: no other thread runs yet while a library initialises.
        unsafe { std::env::remove_var(v) };
    }
    let handed_on = var(state::PARSEDSERVER_ENV);
    let from_parent = handed_on.is_some();
    let url = handed_on
        .or_else(|| var("RUMP_SERVER"))
        .unwrap_or_else(|| die("rumpclient init: RUMP_SERVER not set"));
    let resumed = exec_fd.and_then(|v| {
        let fd = rumpclient::parse_exec_fd(&v)?;
        // SAFETY: the image before exec kept this descriptor open for us
        // and named it; nothing else in this image knows of it.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
        host!(fcntl(raw, libc::F_SETFD, libc::FD_CLOEXEC) as fn(i32, i32, i32) -> i32);
        state::set_connection_fd(raw);
        Some(Client::resume_after_exec(
            &url,
            fd,
            &program_name(),
            state::place_connection,
        ))
    });
    let client = match resumed {
        Some(r) => r,
        None => state::inside(|| Client::connect_placed(&url, state::place_connection)),
    };
    let client = client
        .unwrap_or_else(|e| die(&connect_error(&url, &e)))
        .with_signal_window(state::signal_window);
    client.set_retry(retry);
    // The client made a relative socket path absolute; forks and execs
    // use that form, whatever directory the program is in by then.
    let resolved = client.url().to_string();
    if !from_parent && is_relative_unix(&url) {
        // Children started past this library (glibc's own exec) read
        // RUMP_SERVER: it names the same socket from any directory too.
        // SAFETY: `init` runs from the library's constructor, before
        // `main`, when no other thread reads or writes the environment.
        unsafe { replace_in_environment("RUMP_SERVER", &resolved) };
    }
    state::install(state::Hijack::new(cfg, resolved, client, low, cwd_in_rump));
    #[cfg(not(test))]
    exports::stdio::adopt_inherited();
}

unsafe extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Give the variable `name` (which is set) the value `value` in the very
/// array the program started with: programs such as bash take their
/// variables from the array `main` was given, which `setenv` would leave
/// behind with the old value. Only the first entry of that name changes;
/// if something already called `setenv`, `environ` is a copy and `main`'s
/// array keeps the old value.
///
/// # Safety
///
/// No other thread may read or write the environment meanwhile (glibc's
/// environment lock is not taken): call it only from the constructor.
unsafe fn replace_in_environment(name: &str, value: &str) {
    let Ok(entry) = std::ffi::CString::new(format!("{name}={value}")) else {
        return;
    };
    let key = format!("{name}=");
    // SAFETY: the caller guarantees nobody else uses the environment;
    // `environ` is glibc's NULL-terminated array of NUL-terminated strings,
    // whose slots may be written. The new string is never freed, as the
    // environment's are not.
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return;
        }
        while !(*p).is_null() {
            if std::ffi::CStr::from_ptr(*p)
                .to_bytes()
                .starts_with(key.as_bytes())
            {
                *p = entry.into_raw();
                return;
            }
            p = p.add(1);
        }
    }
}

/// Whether `url` names a unix socket by a relative path.
fn is_relative_unix(url: &str) -> bool {
    url.strip_prefix("unix://")
        .is_some_and(|p| !p.starts_with('/'))
}

fn connect_error(url: &str, e: &ConnectError) -> String {
    format!("rumpclient init: cannot connect to {url}: {e}")
}

#[cfg(not(test))]
mod ctor {
    /// Runs when the library is loaded, before the program's `main`.
    extern "C" fn run() {
        super::init();
    }

    #[used]
    #[unsafe(link_section = ".init_array")]
    static INIT: extern "C" fn() = run;
}
