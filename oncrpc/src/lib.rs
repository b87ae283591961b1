//! ONC RPC as NFS needs it, on any byte stream or datagram socket: both the kernel's NFS
//! client (`rumpfs_nfs`, over the kernel's own sockets) and the host side
//! of `rump.mount -t nfs` (over the host's, as NetBSD's `mount_nfs` asks
//! the server's mount daemon for the root handle before mount(2)) use it,
//! so it depends on nothing of the kernel.
//!
//! - [`xdr`]: the XDR encoding (RFC 4506), checked decoding;
//! - [`rpc`]: ONC RPC calls and replies (RFC 5531), AUTH_SYS, record
//!   marking over streams;
//! - [`dgram`]: RPC over datagrams (UDP), with retransmission and backoff;
//! - [`portmap`]: the portmapper's `GETPORT` (RFC 1833, version 2);
//! - [`mount`]: MOUNT v3 `MNT` and `UMNT` (RFC 1813 appendix I).

#![forbid(unsafe_code)]

pub mod dgram;
pub mod mount;
pub mod portmap;
pub mod rpc;
pub mod xdr;
