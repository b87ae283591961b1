//! The file system calls: each a function of the call context, wrapped by a
//! typed method of [`VfsCalls`] on the kernel.
//!
//! One module per group of calls; this one re-exports them all.

mod attrs;
mod dirs;
mod io;
mod methods;
mod mounts;
mod names;
mod open;
mod resolve;
mod xattrs;

pub use attrs::*;
pub use dirs::*;
pub use io::*;
pub use methods::*;
pub use mounts::*;
pub use names::*;
pub use open::*;
pub(crate) use resolve::*;
pub use xattrs::*;

/// A directory entry as `getdents` returns it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dirent {
    /// Inode number.
    pub ino: u64,
    /// `DT_*` type.
    pub typ: u8,
    /// Name.
    pub name: Vec<u8>,
}
