//! NetBSD values as Linux's and back, for the edges of the system that
//! face Linux programs: the hijack library (`rumphijack`) and the FUSE
//! server (`p2k`). The kernel speaks NetBSD (amd64); NetBSD numbers are
//! from `netbsd_abi`, Linux numbers from the `libc` crate.
//!
//! Everything here is a pure table or a total function: any input gives a
//! value or an error number, never a panic.

#![forbid(unsafe_code)]

pub mod errno;
pub mod flags;
pub mod stat;

pub use errno::*;
pub use flags::*;
pub use stat::*;
