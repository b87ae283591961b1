//! `rump.halt [-dhn]`, which halts the rump kernel named by `RUMP_SERVER`
//! as `rump.halt(1)` describes.
//!
//! Not built yet: it arrives with the remote system call issue.

#![forbid(unsafe_code)]
