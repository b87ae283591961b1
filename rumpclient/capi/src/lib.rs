//! `librumpclient.so`: NetBSD's `rumpclient(3)` C interface on top of the
//! `rumpclient` crate. A C program calls `rumpclient_init()` and then the
//! `rump_sys_*` calls of `<rump/rump_syscalls.h>`, which run in the kernel
//! of the server named by `RUMP_SERVER`; the server copies the call's
//! buffers in and out of the program's memory by their addresses.
//!
//! As NetBSD's library: a call that fails returns -1 with `errno` set to
//! NetBSD's error number (no translation to the host's), and one that
//! succeeds sets `errno` to 0; a call made before `rumpclient_init()` (or
//! after the connection was lost, with no reconnect policy) fails with
//! ENOTCONN.
//!
//! The exported functions need `no_mangle`, and C callers hand raw
//! pointers: this shim is where that `unsafe` lives.

mod call;
mod connection;
mod exec;
mod fork;
mod init;
mod pipe;
mod sysimpl;
