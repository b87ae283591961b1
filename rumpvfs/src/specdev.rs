//! A block device a file system is mounted on, when the device is a
//! driver's (`/dev/vnd0a`) rather than an etfs key: the mount holds the
//! device open (NetBSD's `VOP_OPEN` of the device vnode in `ffs_mountfs`)
//! and its reads and writes go to the driver (specfs).

use crate::node::{Attr, Node, SetAttr, VType};
use crate::vfs::Vnode;
use rump::devsw::{BlockDevice, DevSw};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Arc;

/// An open block device seen as a node: its size is the partition's.
pub struct SpecBlockNode {
    attr: Attr,
    dev: BlockDevice,
}

/// Open the device of block node `vn` for a mount with `O_*` `flags`.
pub fn open(ctx: &Ctx, vn: &Vnode, flags: u32) -> KResult<Arc<dyn Node>> {
    let mut attr = vn.node.getattr();
    let dev = DevSw::of(ctx.kernel()).open_block(ctx, attr.rdev, flags)?;
    attr.size = dev.media_bytes()?;
    Ok(Arc::new(SpecBlockNode { attr, dev }))
}

impl Node for SpecBlockNode {
    fn ino(&self) -> u64 {
        self.attr.ino
    }

    fn getattr(&self) -> Attr {
        Attr {
            typ: VType::Blk,
            ..self.attr.clone()
        }
    }

    fn setattr(&self, _s: &SetAttr) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        self.dev.read_at(buf, off)
    }

    fn read_to(
        &self,
        off: u64,
        len: usize,
        sink: &mut rump::devsw::ReadSink<'_>,
    ) -> KResult<usize> {
        self.dev.read_to(off, len, sink)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        self.dev.write_at(data, off)
    }

    fn fsync(&self) -> KResult<()> {
        self.dev.sync()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
