//! The rump_sp remote system call protocol, version 0.4, byte-compatible with
//! NetBSD's: frames, payloads, the banner and server URLs. Pure data, no I/O;
//! the server lives in `rump_server`, the client in `rumpclient`.
//! `docs/sysproxy-protocol.md` is the specification this follows.

#![forbid(unsafe_code)]

pub mod auth;
pub mod frame;
pub mod payload;
pub mod url;

pub use frame::{
    Class, HEADER_LEN, Handshake, Header, HeaderError, MAX_CLIENT_FRAME, MAX_COPY, MAX_FRAME,
    SpError, Type, frame,
};
pub use url::{Side, Url, UrlError};
