//! Linux values to NetBSD's and back: the one place where the two ABIs
//! meet. The kernel speaks NetBSD (amd64); the program speaks Linux
//! (x86_64, glibc). NetBSD numbers are from `netbsd-abi/` (`errno.tsv`,
//! `constants.tsv`, `structs.tsv`); Linux numbers from the `libc` crate.
//!
//! Everything here is total: any input bytes give a value or `None`,
//! never a panic.

mod cmsg;
mod dirent;
mod fcntl;
mod socket;
mod stat;
mod statvfs;

#[cfg(test)]
mod tests;

pub use cmsg::*;
pub use dirent::*;
pub use fcntl::*;
pub use linux_xlate::errno::*;
pub use linux_xlate::flags::*;
pub use linux_xlate::stat::{dev_to_linux, dev_to_netbsd};
pub use socket::*;
pub use stat::*;
pub use statvfs::*;
