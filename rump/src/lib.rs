//! The rump kernel base: boot, virtual CPUs, processes and lwps, credentials,
//! kernel memory accounting, the sysctl tree, the module framework,
//! components and factions, and the system call layer.
//!
//! A kernel is a value ([`Kernel`]) built by [`KernelBuilder`] from the
//! components linked into the program, and extended at run time by component
//! libraries ([`Kernel::load_library`]). Its system calls speak NetBSD's ABI.
//!
//! ```
//! let k = rump::KernelBuilder::new().config(rump::BootConfig::default()).boot().unwrap();
//! assert_eq!(k.sys_getpid().unwrap(), 1); // the implicit context, "rumplocal"
//! ```

#![forbid(unsafe_code)]

mod aio;
pub mod buildinfo;
pub mod callout;
pub mod clock;
pub mod component;
pub mod config;
pub mod console;
pub mod cprng;
pub mod cpu;
pub mod cred;
pub mod devsw;
pub mod disk;
pub mod errno;
pub mod file;
pub mod idhash;
pub mod kernel;
pub mod kmem;
pub mod kqueue;
mod ksem;
pub mod kthread;
pub mod ktrace;
pub mod loader;
pub mod lwproc;
pub mod module;
pub mod pipe;
pub mod resource;
pub mod restart;
pub mod rnd;
pub mod socknames;
pub mod sync;
pub mod syscall;
pub mod sysctl;
pub mod usermem;
pub mod waitgen;

mod default_kernel;

pub use component::{AttachError, Component, ComponentSet, Faction, Phase};
pub use config::BootConfig;
pub use default_kernel::*;
pub use errno::{Errno, KResult};
pub use kernel::{BootError, HostExit, Kernel, KernelBuilder};
pub use loader::LoadError;
