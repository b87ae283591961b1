//! The `virt` network interface: a rump interface backed by a host tap device.
//!
//! Not built yet: it arrives with the network issue.

#![forbid(unsafe_code)]
