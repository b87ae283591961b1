//! The cgd driver (NetBSD's `sys/dev/cgd.c` and `cgd_crypto.c`, component
//! `librumpdev_cgd`): a disk whose sectors are kept encrypted on another
//! disk, at block major 21 and character major 93, with `/dev/cgd0a`..`g`
//! and `/dev/rcgd0a`..`g` made at attach as NetBSD's component makes them.
//!
//! `cgdconfig`'s ioctls (`CGDIOCSET`, `CGDIOCCLR`, `CGDIOCGET`) configure a
//! unit over a block device of the kernel's namespace (a vnd, an etfs
//! drive) with one of NetBSD's ciphers ([`crypto`]); the disk layer
//! (`rumpdev::disk`) gives it its label (read through the cipher, or
//! `dk_getdefaultlabel`'s fictitious one, where `readdisklabel` makes
//! partition `a` the whole disk), partitions and bounds. Images are interchangeable with NetBSD's
//! cgd: same IVs, same ciphers, same sector numbers.
//!
//! Not implemented yet: wedges on a cgd, and a disk underneath whose
//! sectors are not 512 bytes (its sectors are taken as 512 bytes).

#![forbid(unsafe_code)]

pub mod cgdio;
pub mod crypto;
mod unit;

pub use unit::SetRequest;

use rump::component::{AttachResult, Component, Phase};
use rump::devsw::{BlockDriver, Buf, BufOp, CharDriver, DevKind, DevSw, DeviceOpen};
use rump::module::ModuleClass;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{KResult, Kernel};
use std::sync::Arc;
use unit::Cgd;

/// cgd's block major on amd64 (`conf/majors`, `devices.tsv`).
pub const CGD_BMAJOR: u32 = 21;
/// cgd's character major on amd64.
pub const CGD_CMAJOR: u32 = 93;
/// Partitions `a` to `g` get nodes (`rump_vfs_makedevnodes(..., 'a', ..., 7)`).
const NODES_PER_UNIT: u32 = 7;

/// The cgd driver component (`librumpdev_cgd`).
pub static COMPONENT: Component = Component {
    name: "rumpdev_cgd",
    module: "cgd",
    class: ModuleClass::Driver,
    phase: Phase::Dev,
    faction: None,
    requires: &["rumpdev", "rumpvfs"],
    needs_threads: false,
    init: attach,
};

fn attach(k: &Kernel) -> AttachResult {
    let sw = DevSw::of(k);
    let cgd = Arc::new(Cgd::default());
    sw.attach_block("cgd", CGD_BMAJOR, Arc::new(CgdBlock(Arc::clone(&cgd))))
        .map_err(|e| format!("cannot attach cgd: {e}"))?;
    sw.attach_char("cgd", CGD_CMAJOR, Arc::new(CgdChar(cgd)))
        .map_err(|e| format!("cannot attach cgd: {e}"))?;
    for minor in 0..NODES_PER_UNIT {
        let part = char::from(b'a' + minor as u8);
        for (path, kind, major) in [
            (format!("/dev/cgd0{part}"), DevKind::Block, CGD_BMAJOR),
            (format!("/dev/rcgd0{part}"), DevKind::Char, CGD_CMAJOR),
        ] {
            sw.make_node(k, &path, kind, major, minor)
                .map_err(|e| format!("cannot create {path}: {e}"))?;
        }
    }
    Ok(())
}

/// The block device (`cgd_bdevsw`).
struct CgdBlock(Arc<Cgd>);

impl BlockDriver for CgdBlock {
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

    fn sync(&self, minor: u32) -> KResult<()> {
        self.0.sync(minor)
    }
}

/// The character (raw) device (`cgd_cdevsw`).
struct CgdChar(Arc<Cgd>);

impl CharDriver for CgdChar {
    fn open(&self, _ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        self.0.open(minor, DevKind::Char)?;
        Ok(Box::new(RawOpen {
            cgd: Arc::clone(&self.0),
            minor,
            flags,
        }))
    }
}

/// An open raw cgd device: transfers by `physio`'s rules.
struct RawOpen {
    cgd: Arc<Cgd>,
    minor: u32,
    flags: u32,
}

impl DeviceOpen for RawOpen {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        self.cgd
            .physio(self.minor, offset, buf.len(), |blkno, range| {
                self.cgd
                    .strategy(self.minor, blkno, BufOp::Read(&mut buf[range]))
            })
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        self.cgd
            .physio(self.minor, offset, buf.len(), |blkno, range| {
                self.cgd
                    .strategy(self.minor, blkno, BufOp::Write(&buf[range]))
            })
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.cgd.ioctl(ctx, self.minor, cmd, data, self.flags, user)
    }

    fn may_block(&self) -> bool {
        false
    }

    fn disk_bytes(&self, ctx: &Ctx) -> Option<u64> {
        use rumpdev::disk::partinfo;
        let mut pi = [0u8; partinfo::SIZE];
        let none = rump::usermem::BufferSpace::new(0, 0);
        self.cgd
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
        self.cgd.close(self.minor, DevKind::Char);
    }
}
