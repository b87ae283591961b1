//! The NFS client as a rump component (needs the VFS and NET factions).
//!
//! Not built yet: it arrives with the NFS issue.

#![forbid(unsafe_code)]
