//! Host threads for the kernel's own threads and for serving clients.

use std::thread::JoinHandle;

/// A host thread started by the kernel.
pub struct HostThread {
    handle: JoinHandle<()>,
}

/// Start a host thread named `name` running `f`.
pub fn thread_create<F>(name: &str, f: F) -> std::io::Result<HostThread>
where
    F: FnOnce() + Send + 'static,
{
    let handle = std::thread::Builder::new().name(name.to_owned()).spawn(f)?;
    Ok(HostThread { handle })
}

impl HostThread {
    /// Whether the thread has finished running (joining will not wait).
    pub fn is_finished(&self) -> bool {
        self.handle.is_finished()
    }

    /// Wait for the thread to finish. Returns `false` if it panicked.
    pub fn join(self) -> bool {
        self.handle.join().is_ok()
    }
}

/// The host's identifier of the calling thread. It is the operating system's
/// thread id, so every image in the process (the program and every component
/// loaded at run time) sees the same value for the same thread.
pub fn current_thread_id() -> u64 {
    // A cache of a value every image agrees on, so a second copy of it in a
    // loaded component is harmless; it saves a system call per kernel entry.
    thread_local!(static TID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    TID.with(|t| {
        if t.get() == 0 {
            // SAFETY: gettid has no preconditions and cannot fail.
            t.set(unsafe { libc::gettid() } as u64);
        }
        t.get()
    })
}
