//! FIFOs (NetBSD's fifofs): a FIFO node's data path is a kernel pipe,
//! one per node while any of its ends is open, so that every `open(2)` of
//! the node meets the same queue; the node itself keeps the name, the
//! owner and the times, and the open file is a vnode file like any other.

use rump::pipe::{Pipe, PipeEnd};
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::{KResult, Kernel};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

/// The pipes of a kernel's open FIFOs, by their node's vnode key.
#[derive(Default)]
struct Fifos {
    pipes: Mutex<HashMap<(u64, u64), Weak<Pipe>>>,
}

impl Fifos {
    /// The pipe of FIFO `key`, made on its first open.
    fn pipe(&self, k: &Kernel, key: (u64, u64)) -> Arc<Pipe> {
        let mut m = lock(&self.pipes);
        if let Some(p) = m.get(&key).and_then(Weak::upgrade) {
            return p;
        }
        m.retain(|_, w| w.strong_count() > 0);
        let p = Pipe::new(k);
        m.insert(key, Arc::downgrade(&p));
        p
    }
}

/// The flags of `open(2)` that a FIFO's end needs.
pub(crate) struct FifoOpen {
    /// Opened for reading.
    pub read: bool,
    /// Opened for writing.
    pub write: bool,
    /// `O_NONBLOCK`.
    pub nonblock: bool,
    /// `O_NOSIGPIPE`.
    pub nosigpipe: bool,
}

/// Open an end of FIFO `key` as `open(2)` does, waiting for the other
/// side unless non-blocking.
pub(crate) fn open_end(ctx: &Ctx, key: (u64, u64), how: FifoOpen) -> KResult<PipeEnd> {
    let pipe = ctx
        .kernel()
        .extension(Fifos::default)
        .pipe(ctx.kernel(), key);
    pipe.open_end(ctx, how.read, how.write, how.nonblock, how.nosigpipe)
}
