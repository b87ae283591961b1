//! `rump_server` and `rump_allserver`, the rump kernel servers of
//! `rump_server(1)`: a kernel that serves system calls over the sysproxy
//! protocol on a `unix://` or `tcp://` URL.
//!
//! Not built yet: the binaries arrive with the remote system call issue.

#![forbid(unsafe_code)]
