//! The vnd driver (NetBSD's `sys/dev/vnd.c`, component `librumpdev_vnd`):
//! a regular file in the kernel's own namespace seen as a disk, at block
//! major 14 and character major 41, with `/dev/vnd0a`..`g` and
//! `/dev/rvnd0a`..`g` made at attach as NetBSD's component makes them.
//!
//! `vnconfig`'s ioctls (`VNDIOCSET`, `VNDIOCCLR`, `VNDIOCGET`) configure
//! a unit; the disk layer (`rumpdev::disk`) gives it a label, partitions
//! and bounds; transfers go to the backing file's vnode (`VOP_READ`,
//! `VOP_WRITE`), and `DIOCCACHESYNC` is its `VOP_FSYNC`. Compressed
//! images (`vnconfig -z`) are refused with EOPNOTSUPP, as by a NetBSD
//! kernel built without `VND_COMPRESSION` (the rump kernel's vnd is).

#![forbid(unsafe_code)]

mod unit;
pub mod vndio;

use rump::component::{AttachResult, Component, Phase};
use rump::devsw::{BlockDriver, Buf, BufOp, CharDriver, DevKind, DevSw, DeviceOpen};
use rump::module::ModuleClass;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{KResult, Kernel};
use std::sync::Arc;
use unit::Vnd;

/// vnd's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const VND_BMAJOR: u32 = 14;
/// vnd's character major on amd64.
pub const VND_CMAJOR: u32 = 41;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The vnd driver component (`librumpdev_vnd`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_vnd",
    module: "vnd",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev", "rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let sw = DevSw::of(k);
    let vnd = Vnd::new(rumpdev::autoconf::DeviceTree::of(k));
    sw.attach_block("vnd", VND_BMAJOR, Arc::new(VndBlock(Arc::clone(&vnd))))
        .map_err(|e| format!("cannot attach vnd: {e}"))?;
    sw.attach_char("vnd", VND_CMAJOR, Arc::new(VndChar(vnd)))
        .map_err(|e| format!("cannot attach vnd: {e}"))?;
    for minor in 0..NODES_PER_UNIT {
        let part = char::from(b'a' + minor as u8);
        for (path, kind, major) in [
            (format!("/dev/vnd0{part}"), DevKind::Block, VND_BMAJOR),
            (format!("/dev/rvnd0{part}"), DevKind::Char, VND_CMAJOR),
        ] {
            sw.make_node(k, &path, kind, major, minor)
                .map_err(|e| format!("cannot create {path}: {e}"))?;
        }
    }
    Ok(())
}

/// The block device (`vnd_bdevsw`).
struct VndBlock(Arc<Vnd>);

impl BlockDriver for VndBlock {
    fn open(&self, ctx: &Ctx, minor: u32, _flags: u32) -> KResult<()> {
        self.0.open(ctx, minor, DevKind::Block)
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

    fn sync(&self, minor: u32) -> KResult<()> {
        self.0.sync(minor)
    }
}

/// The character (raw) device (`vnd_cdevsw`).
struct VndChar(Arc<Vnd>);

impl CharDriver for VndChar {
    fn open(&self, ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        self.0.open(ctx, minor, DevKind::Char)?;
        Ok(Box::new(RawOpen {
            vnd: Arc::clone(&self.0),
            minor,
            flags,
        }))
    }
}

/// An open raw vnd device: transfers by `physio`'s rules.
struct RawOpen {
    vnd: Arc<Vnd>,
    minor: u32,
    flags: u32,
}

impl DeviceOpen for RawOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        self.vnd
            .physio(self.minor, offset, buf.len(), |blkno, range| {
                // NetBSD's rump kernel loses a read's strategy error on the
                // way back to a remote caller (vunmapbuf stores the copyout's
                // result in b_error before physio_done reads it): the read
                // moves nothing and succeeds. Its tools, run against our
                // kernel, see what they see there.
                Ok(self
                    .vnd
                    .strategy(self.minor, blkno, BufOp::Read(&mut buf[range]))
                    .unwrap_or(0))
            })
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        self.vnd
            .physio(self.minor, offset, buf.len(), |blkno, range| {
                self.vnd
                    .strategy(self.minor, blkno, BufOp::Write(&buf[range]))
            })
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.vnd.ioctl(ctx, self.minor, cmd, data, self.flags, user)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn disk_bytes(&self, ctx: &Ctx) -> Option<u64> {
        use rumpdev::disk::partinfo;
        let mut pi = [0u8; partinfo::SIZE];
        let none = rump::usermem::BufferSpace::new(0, 0);
        self.vnd
            .ioctl(
                ctx,
                self.minor,
                rumpdev::disk::DIOCGPARTINFO,
                &mut pi,
                self.flags,
                &none,
            )
            .ok()?;
        let size = partinfo::pi_size.get(&pi)?;
        let secsize = partinfo::pi_secsize.get(&pi)?;
        size.checked_mul(secsize)
    }
}

impl Drop for RawOpen {
    fn drop(&mut self) {
        self.vnd.close(self.minor, DevKind::Char);
    }
}
