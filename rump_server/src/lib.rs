//! `rump_server` and `rump_allserver`, the rump kernel servers of
//! `rump_server(1)`: a kernel that serves system calls over the sysproxy
//! protocol on a `unix://` or `tcp://` URL.

#![forbid(unsafe_code)]

pub mod cli;
pub mod disklabel;
pub mod drivespec;
mod pool;
pub mod sp;

pub use cli::main;
pub use sp::SpServer;
