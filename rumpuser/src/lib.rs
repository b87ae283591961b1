//! The hypercall layer: the rump kernel's only door to the host.
//!
//! Everything a rump kernel needs from the host (memory, files and block I/O,
//! clocks, threads, random bytes, parameters, the console, exit, dynamic
//! loading, the sockets remote clients connect to, host Internet sockets for sockin, daemonizing, signals) goes through this crate, as in NetBSD's `rumpuser(3)`. Porting the
//! kernel to another host means rewriting this crate and nothing else.
//!
//! The crate keeps no state of its own: a component loaded at run time carries
//! its own copy of this code, and both copies must behave as one.

mod access;
mod clock;
mod console;
mod daemon;
mod dl;
mod file;
mod inet;
mod limits;
mod mem;
mod own_memory;
mod param;
mod process;
mod random;
mod shmem;
mod signal;
mod sock;
mod tap;
mod thread;

pub use access::{MAX_KEY_FILE, PeerCred, host_euid, host_groups, read_key_file};
pub use clock::{
    clock_monotonic, clock_wall, sleep_rel, sleep_until_monotonic, spin_until, spin_while_idle,
    yield_cpu,
};
pub use console::{console_write, console_write_bytes};
pub use daemon::{Daemon, daemonize_begin};
pub use dl::{DlError, DlLibrary, loaded_components};
pub use file::{FileInfo, FileKind, HostFile, OpenFlags, dir_entries, file_info, link_info};
pub use inet::{
    InetKind, InetOption, InetReceived, InetSocket, InetWaker, Readiness, errno_name, poll_sockets,
    unspecified,
};
pub use limits::{out_of_descriptors, raise_descriptor_limit, strerror};
pub use mem::{AnonMapping, HostMem};
pub use own_memory::{read_own_memory, write_own_memory};
pub use param::{host_ncpu, host_physmem, hostname, param};
pub use process::{abort, exit, host_pid};
pub use random::random_fill;
pub use shmem::{FileWatch, SharedFileMap};
pub use signal::{
    SignalMask, block_all_signals, block_termination_signals, host_signal, raise_netbsd_signal,
    restore_signal_mask, sigpipe_ends_process, sleep_with_mask, wait_readable_with_mask,
    wait_termination_signal,
};
pub use sock::{HostListener, HostStream, SPIN_FOR_ANSWER, SpareDescriptor, spin_until_readable};
pub use tap::Tap;
pub use thread::{HostThread, current_thread_id, thread_create};

/// Version of the hypercall interface. The kernel states at compile time
/// which version it is written for; a component library built against
/// another version is refused when it is loaded ([`DlLibrary::call_entry`]).
pub const RUMPUSER_VERSION: u32 = 1;

/// An error reported by the host, carrying the host's errno when there is one.
pub type HostResult<T> = std::io::Result<T>;
