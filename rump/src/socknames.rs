//! Names of local-domain sockets in the file system (NetBSD's `VSOCK`
//! vnodes). The VFS faction makes and finds the nodes; the NET faction
//! keeps the sockets bound to them. Factions do not depend on each other,
//! so they meet here: the VFS registers [`SockNames`], and the local
//! domain names a socket by the node's identity.

use crate::syscall::Ctx;
use crate::{KResult, Kernel};
use std::sync::{Arc, RwLock};

/// What a file system node is to a socket: its mount and inode numbers.
pub type NodeId = (u64, u64);

/// The file system's part of binding and connecting by path.
pub trait SockNames: Send + Sync {
    /// `unp_bind`: make a socket node at `path` (mode 0777 less the umask,
    /// EADDRINUSE if the name exists) and answer its identity.
    fn bind(&self, ctx: &Ctx, path: &[u8]) -> KResult<NodeId>;
    /// `unp_connect`'s look-up: the identity of the socket node at `path`
    /// (ENOTSOCK if it is no socket, EACCES without write permission).
    fn lookup(&self, ctx: &Ctx, path: &[u8]) -> KResult<NodeId>;
}

#[derive(Default)]
struct Slot(RwLock<Option<Arc<dyn SockNames>>>);

impl Kernel {
    /// Register the file system's [`SockNames`] (the VFS faction does).
    pub fn set_socknames(&self, s: Arc<dyn SockNames>) {
        *self
            .extension(Slot::default)
            .0
            .write()
            .unwrap_or_else(|e| e.into_inner()) = Some(s);
    }

    /// The file system's [`SockNames`], if a VFS is there.
    pub fn socknames(&self) -> Option<Arc<dyn SockNames>> {
        self.try_extension::<Slot>()?
            .0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
