//! The FUSE daemons, NetBSD's `rump_ffs` and `rump_tmpfs` on Linux: a
//! rump kernel inside the daemon mounts the file system, and p2k serves
//! it to the host through FUSE.
//!
//! - [`opts`]: the command line both daemons share;
//! - [`daemon`]: boot, mount in the kernel, mount on the host, detach,
//!   serve, and on unmount or SIGTERM/SIGINT unmount the kernel file
//!   system cleanly.

#![forbid(unsafe_code)]

pub mod daemon;
pub mod opts;
