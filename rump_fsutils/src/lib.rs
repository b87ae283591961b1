//! fs-utils: tools that read and write a file system image with a rump
//! kernel inside the tool's own process, as NetBSD's fs-utils (pkgsrc
//! `filesystems/fs-utils`) do: no server, no mount on the host, no
//! privilege.
//!
//! - [`session`]: the common options, the image's type, the kernel, the
//!   mount and the clean unmount at the end;
//! - [`opts`]: the tools' own option parsing (POSIX `getopt`);
//! - [`listing`]: `ls -l`'s columns;
//! - [`tree`]: walking a tree in the image;
//! - [`xfer`]: copies between the host and the image (`fsu_ecp`).

#![forbid(unsafe_code)]

pub mod chmod;
pub mod listing;
pub mod names;
pub mod opts;
pub mod session;
pub mod tree;
pub mod xfer;

pub use session::{Access, Session};
