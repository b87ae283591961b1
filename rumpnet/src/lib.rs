//! The NET faction: sockets, interfaces, routing and packet buffers.
//!
//! Built so far: [`wire`], the link-layer formats every interface driver
//! and protocol shares (Ethernet frames, the Internet checksum). The socket
//! layer, interfaces and routes arrive with the rest of the network issue.

#![forbid(unsafe_code)]

pub mod wire;
