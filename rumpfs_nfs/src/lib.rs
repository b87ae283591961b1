//! The NFS client as a rump component (needs the VFS and NET factions):
//! file system type "nfs", mounted through mount(2) with NetBSD's
//! `struct nfs_args` as `mount_nfs` fills it.
//!
//! - [`args`]: NetBSD's `struct nfs_args` checked and decoded as
//!   `nfs_mount`/`nfs_decode_args` do;
//! - [`xdr`], [`rpc`], [`portmap`], [`mount`]: ONC RPC, from the
//!   `oncrpc` crate (shared with `rump.mount -t nfs`);
//! - [`nfs3`]: NFSv3's attributes and procedures (RFC 1813), as typed calls;
//! - [`transport`]: a TCP stream or a UDP socket through the kernel's own
//!   `AF_INET` sockets (sockin or netinet) for the calls to run over;
//! - [`conn`]: a mount's connection: calls off the virtual CPU, as the
//!   caller, made again when the connection drops;
//! - [`attr`], [`fs`], [`node`]: the attribute cache, the file system and
//!   its vnode operations;
//! - [`vfsops`]: the mount(2) entry.
//!
//! Reads keep `1 + readahead` READs on the wire at once and writes four
//! WRITEs (NetBSD's read-ahead and default nfsiods), within one caller's
//! read(2) or write(2).
//!
//! Over UDP each call is retransmitted with backoff from an estimate of
//! the round trip, one call at a time. Over TCP a hard mount sends a call
//! the server leaves unanswered again, under its xid, on a new
//! connection once NetBSD would count `retrans` timeouts for it (60 s with
//! mount_nfs's defaults): servers may drop a call they cannot serve for
//! the moment.
//!
//! Not yet: NFSv2, IPv6 servers, READDIR (READDIRPLUS is always
//! used), a name cache and close-to-open checks, read-ahead across calls
//! and a data cache, calls of different callers interleaved on the wire,
//! the "not responding" messages (`deadthresh`), locking, silly rename of
//! open files that are removed, file handles through the mount
//! (getfh/fhopen).

#![forbid(unsafe_code)]

pub mod args;
pub mod attr;
pub mod conn;
pub mod fs;
pub mod nfs3;
pub mod node;
pub mod readahead;
pub mod transport;
pub mod vfsops;

pub use oncrpc::{mount, portmap, rpc, xdr};

use rump::Kernel;
use rump::component::{AttachResult, Component, Phase};
use rump::module::ModuleClass;
use rumpvfs::{FsOps, register_fstype};

/// The NFS client component (`librumpfs_nfs`).
pub static COMPONENT: Component = Component {
    name: "rumpfs_nfs",
    module: "nfs",
    class: ModuleClass::Vfs,
    phase: Phase::Vfs,
    faction: None,
    requires: &["rumpvfs", "rumpnet"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let ops = FsOps {
        args_size: netbsd_abi::layout::nfs_args::SIZE,
        read_args: vfsops::read_args,
        mount: vfsops::mount,
    };
    register_fstype(k, fs::FSTYPE, Some(ops)).map_err(|e| format!("registering nfs: {e}"))
}
