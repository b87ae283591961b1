//! `rump_server` and `rump_allserver`, the rump kernel servers of
//! `rump_server(1)`: a kernel that serves system calls over the sysproxy
//! protocol on a `unix://` or `tcp://` URL.

#![forbid(unsafe_code)]

pub mod access;
pub mod cli;
pub mod disklabel;
pub mod drivespec;
mod incoming;
mod pool;
pub mod sp;
mod spin;

pub use cli::main;

/// Every component built so far, in NetBSD's boot order (VFS and its file
/// systems, NET and its drivers, DEV and its drivers): what
/// `rump_allserver` links in.
pub const ALL_COMPONENTS: &[&rump::Component] = &[
    &rumpvfs::COMPONENT,
    &rumpfs_tmpfs::COMPONENT,
    &rumpfs_ffs::COMPONENT,
    &rumpnet::COMPONENT,
    &rumpnet_netinet::COMPONENT,
    &rumpnet_netinet6::COMPONENT,
    &rumpnet_shmif::COMPONENT,
    &rumpnet_virtif::COMPONENT,
    &rumpfs_nfs::COMPONENT,
    &rumpdev::COMPONENT,
    &rumpdev::rnd::COMPONENT,
    &rumpdev::drvctl::COMPONENT,
    &rumpdev_vnd::COMPONENT,
    &rumpdev_cgd::COMPONENT,
    &rumpdev::md::COMPONENT,
];
pub use sp::SpServer;
