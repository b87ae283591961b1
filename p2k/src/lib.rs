//! p2k: a file system mounted in a rump kernel in this process, served to
//! the host through FUSE. NetBSD's p2k ("puffs to kernel") lets a kernel
//! file system driver run as a userspace server through puffs; here the
//! host is Linux and the wire is FUSE, spoken by the `fuser` crate.
//!
//! - [`fs`]: the session's state, each request run as its caller under
//!   the watchdog, and the calls the kernel has no typed method for;
//! - `ops`: the FUSE requests as the kernel's system calls;
//! - `xattr`: the extended-attribute requests, served by one helper;
//! - [`nodes`]: FUSE node ids, the kernel paths behind them, lookups and
//!   forgets;
//! - [`attr`]: NetBSD's attributes and errors as Linux's;
//! - [`caller`]: each request runs with its caller's credentials;
//! - [`watchdog`]: a request stuck in the kernel is answered EIO;
//! - [`session`]: mounting on the host, serving until unmounted.

#![forbid(unsafe_code)]

pub mod attr;
pub mod caller;
pub mod fs;
pub mod nodes;
mod ops;
pub mod session;
pub mod watchdog;
mod xattr;

pub use fs::{Options, P2k};
pub use session::{MountConfig, Served, serve};
