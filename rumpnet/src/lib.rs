//! The NET faction: sockets, interfaces, routing and packet buffers.
//!
//! Not built yet: it arrives with the network issue. This crate holds no code
//! until then, so that nothing pretends to be a network stack.

#![forbid(unsafe_code)]
