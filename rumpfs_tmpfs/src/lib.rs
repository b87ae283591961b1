//! tmpfs, the memory file system, as a rump component.
//!
//! Not built yet: it arrives with the VFS issue.

#![forbid(unsafe_code)]
