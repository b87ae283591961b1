//! FIFOs (NetBSD's fifofs): a FIFO node's data path is a kernel pipe,
//! one per node while any of its ends is open, so that every `open(2)` of
//! the node meets the same queue; the node itself keeps the name, the
//! owner and the times.

use crate::vfile::stat_of;
use crate::vfs::Vnode;
use rump::file::{DTYPE_VNODE, File, FileOps, Stat};
use rump::pipe::{Pipe, PipeEnd};
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
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
        let mut m = self.pipes.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(p) = m.get(&key).and_then(Weak::upgrade) {
            return p;
        }
        m.retain(|_, w| w.strong_count() > 0);
        let p = Pipe::new(k);
        m.insert(key, Arc::downgrade(&p));
        p
    }
}

/// An open FIFO: the pipe's end for its data, the node for `fstat`.
struct FifoFile {
    vn: Vnode,
    end: PipeEnd,
}

/// Open FIFO node `vn` as `open(2)` does with `read`/`write` access,
/// waiting for the other side unless `nonblock`; a descriptor's file.
pub(crate) fn open(
    ctx: &Ctx,
    vn: Vnode,
    read: bool,
    write: bool,
    nonblock: bool,
    flags: u32,
) -> KResult<Arc<File>> {
    let pipe = ctx
        .kernel()
        .extension(Fifos::default)
        .pipe(ctx.kernel(), vn.key());
    let end = pipe.open_end(ctx, read, write, nonblock)?;
    Ok(File::new(Box::new(FifoFile { vn, end }), flags))
}

impl FileOps for FifoFile {
    fn read(&self, ctx: &Ctx, buf: &mut [u8], off: Option<u64>) -> KResult<usize> {
        self.end.read(ctx, buf, off)
    }

    fn write(&self, ctx: &Ctx, buf: &[u8], off: Option<u64>) -> KResult<usize> {
        self.end.write(ctx, buf, off)
    }

    fn stat(&self, _ctx: &Ctx) -> KResult<Stat> {
        Ok(stat_of(&self.vn))
    }

    fn set_status_flags(&self, flags: u32) {
        self.end.set_status_flags(flags);
    }

    fn poll(&self, events: i16) -> i16 {
        self.end.poll(events)
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.end.ioctl(ctx, cmd, data, user)
    }

    fn dtype(&self) -> u32 {
        DTYPE_VNODE
    }

    fn data_id(&self) -> u64 {
        crate::vfile::data_id(&self.vn)
    }
}
