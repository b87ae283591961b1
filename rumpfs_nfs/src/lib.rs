//! The NFS client as a rump component (needs the VFS and NET factions).
//!
//! Built so far, the protocols below NFS itself:
//! - [`args`]: NetBSD's `struct nfs_args` checked and decoded as
//!   `nfs_mount`/`nfs_decode_args` do;
//! - [`xdr`]: the XDR encoding (RFC 4506), checked decoding;
//! - [`rpc`]: ONC RPC calls and replies (RFC 5531), AUTH_SYS, record
//!   marking over streams;
//! - [`portmap`]: the portmapper's `GETPORT` (RFC 1833, version 2);
//! - [`mount`]: MOUNT v3 `MNT` and `UMNT` (RFC 1813 appendix I);
//! - [`nfs3`]: NFSv3's attributes and the procedures the client needs
//!   (RFC 1813), as typed calls;
//! - [`transport`]: a TCP stream through the kernel's own `AF_INET`
//!   sockets (sockin or netinet) for the calls to run over.
//!
//! Not yet: MKNOD, READDIR, FSSTAT and PATHCONF; the vnode operations
//! over the procedures; the mount(2) entry (copying in the address, handle
//! and host name the arguments point at); the caches; UDP with
//! retransmission.

#![forbid(unsafe_code)]

pub mod args;
pub mod mount;
pub mod nfs3;
pub mod portmap;
pub mod rpc;
pub mod transport;
pub mod xdr;
