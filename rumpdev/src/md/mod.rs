//! The md driver (NetBSD's `sys/dev/md.c`, component `librumpdev_md`):
//! memory disks, at block major 17 and character major 24, with
//! `/dev/md0a`..`g` and `/dev/rmd0a`..`g` made at attach as NetBSD's
//! component makes them.
//!
//! A unit comes to be at the first open of its raw partition and is
//! configured once with `MD_SETCONF`: `MD_KMEM_ALLOCATED` gives it zeroed
//! kernel memory charged to the kernel (`RUMP_MEMLIMIT`: ENOMEM past it);
//! `MD_GETCONF` tells its size and type. `MD_UMEM_SERVER` (the configuring
//! process serving transfers from its own memory inside the ioctl) is not
//! supported yet: EOPNOTSUPP, with a console message saying so.
//! Transfers ignore the partition, as NetBSD's `mdstrategy` does.

pub mod mdio;
mod unit;

pub use unit::DKTYPE_MD;

use crate::disk::physio;
use rump::component::{AttachResult, Component, Phase};
use rump::devsw::{BlockDriver, Buf, BufOp, CharDriver, DevKind, DevSw, DeviceOpen};
use rump::module::ModuleClass;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;
use unit::Md;

/// md's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const MD_BMAJOR: u32 = 17;
/// md's character major on amd64.
pub const MD_CMAJOR: u32 = 24;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The md driver component (`librumpdev_md`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_md",
    module: "md",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let sw = DevSw::of(k);
    let md = Arc::new(Md::default());
    sw.attach_block("md", MD_BMAJOR, Arc::new(MdBlock(Arc::clone(&md))))
        .map_err(|e| format!("cannot attach md: {e}"))?;
    sw.attach_char("md", MD_CMAJOR, Arc::new(MdChar(md)))
        .map_err(|e| format!("cannot attach md: {e}"))?;
    for minor in 0..NODES_PER_UNIT {
        let part = char::from(b'a' + minor as u8);
        for (path, kind, major) in [
            (format!("/dev/md0{part}"), DevKind::Block, MD_BMAJOR),
            (format!("/dev/rmd0{part}"), DevKind::Char, MD_CMAJOR),
        ] {
            sw.make_node(k, &path, kind, major, minor)
                .map_err(|e| format!("cannot create {path}: {e}"))?;
        }
    }
    Ok(())
}

/// The block device (`md_bdevsw`).
struct MdBlock(Arc<Md>);

impl BlockDriver for MdBlock {
    fn open(&self, _ctx: &Ctx, minor: u32, _flags: u32) -> KResult<()> {
        self.0.open(minor, DevKind::Block)
    }

    fn close(&self, minor: u32) {
        self.0.close(minor, DevKind::Block);
    }

    fn size(&self, minor: u32) -> KResult<u64> {
        self.0.blocks(minor)
    }

    fn strategy(&self, minor: u32, buf: Buf<'_>) -> KResult<usize> {
        self.0.strategy(minor, buf.blkno, buf.op)
    }

    fn ioctl(
        &self,
        ctx: &Ctx,
        minor: u32,
        cmd: u64,
        data: &mut [u8],
        fflags: u32,
        user: &dyn UserSpace,
    ) -> KResult<()> {
        self.0.ioctl(ctx, minor, cmd, data, fflags, user)
    }
}

/// The character (raw) device (`md_cdevsw`).
struct MdChar(Arc<Md>);

impl CharDriver for MdChar {
    fn open(&self, _ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        self.0.open(minor, DevKind::Char)?;
        Ok(Box::new(RawOpen {
            md: Arc::clone(&self.0),
            minor,
            flags,
        }))
    }
}

/// An open raw md device: transfers by `physio`'s rules.
struct RawOpen {
    md: Arc<Md>,
    minor: u32,
    flags: u32,
}

impl DeviceOpen for RawOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        if !self.md.configured(self.minor) {
            return Err(Errno::ENXIO);
        }
        physio(offset, buf.len(), |blkno, range| {
            self.md
                .strategy(self.minor, blkno, BufOp::Read(&mut buf[range]))
        })
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        if !self.md.configured(self.minor) {
            return Err(Errno::ENXIO);
        }
        physio(offset, buf.len(), |blkno, range| {
            self.md
                .strategy(self.minor, blkno, BufOp::Write(&buf[range]))
        })
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.md.ioctl(ctx, self.minor, cmd, data, self.flags, user)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn disk_bytes(&self, _ctx: &Ctx) -> Option<u64> {
        self.md.partition_bytes(self.minor)
    }
}

impl Drop for RawOpen {
    fn drop(&mut self) {
        self.md.close(self.minor, DevKind::Char);
    }
}
