//! What every disk driver's device-switch side has in common: the block
//! and character devices over the driver's units, the raw device's
//! `physio` transfers, and the `/dev` nodes made at attach. A driver (vnd,
//! md, cgd) says what its units do through [`DiskUnits`] and attaches with
//! [`attach`].

use super::{DIOCGPARTINFO, partinfo, physio};
use rump::Kernel;
use rump::devsw::{
    BlockDriver, Buf, BufOp, CharDriver, DevKind, DevSw, DeviceOpen, ReadSink, strategy_bounce,
};
use rump::errno::{Errno, KResult};
use rump::syscall::Ctx;
use rump::usermem::{BufferSpace, UserSpace};
use std::sync::Arc;

/// A disk driver's units, as its block and character devices reach them.
pub trait DiskUnits: Send + Sync + 'static {
    /// `xxopen` of `minor` through the `kind` device.
    fn open(&self, ctx: &Ctx, minor: u32, kind: DevKind) -> KResult<()>;
    /// `xxclose` of `minor` through the `kind` device.
    fn close(&self, minor: u32, kind: DevKind);
    /// The partition's size in `DEV_BSIZE` blocks (`xxsize`).
    fn blocks(&self, minor: u32) -> KResult<u64>;
    /// One transfer at block `blkno` of the partition (`xxstrategy`).
    fn strategy(&self, minor: u32, blkno: u64, op: BufOp<'_>) -> KResult<usize>;
    /// A read of `len` bytes at block `blkno` of the partition handed to
    /// `sink` as the bytes lie in memory ([`BlockDriver::strategy_to`]);
    /// the default reads through [`DiskUnits::strategy`] into a bounce
    /// buffer ([`strategy_bounce`]).
    fn strategy_to(
        &self,
        minor: u32,
        blkno: u64,
        len: usize,
        sink: &mut ReadSink<'_>,
    ) -> KResult<usize> {
        let read = &mut |blkno, buf: &mut [u8]| self.strategy(minor, blkno, BufOp::Read(buf));
        strategy_bounce(blkno, len, read, sink)
    }
    /// `xxioctl` on `minor`, opened with `fflags`.
    fn ioctl(
        &self,
        ctx: &Ctx,
        minor: u32,
        cmd: u64,
        data: &mut [u8],
        fflags: u32,
        user: &dyn UserSpace,
    ) -> KResult<()>;
    /// Write back what the unit holds back (`DIOCCACHESYNC`, a file
    /// system's sync of its device).
    fn sync(&self, _minor: u32) -> KResult<()> {
        Ok(())
    }
    /// Whether the unit of `minor` has a medium: raw transfers on one
    /// without are ENXIO.
    fn configured(&self, minor: u32) -> bool;
    /// What a raw read whose transfer failed with `e` answers.
    fn raw_read_failed(&self, e: Errno) -> KResult<usize> {
        Err(e)
    }
}

/// Attach `units` as the block device `bmajor` and the character device
/// `cmajor` named `name`, and make the nodes of unit 0's partitions `a`
/// onwards (`/dev/NAME0a`, `/dev/rNAME0a`, ...), `nodes` of each, as
/// NetBSD's components do with `rump_vfs_makedevnodes`.
pub fn attach<U: DiskUnits>(
    k: &Kernel,
    name: &'static str,
    bmajor: u32,
    cmajor: u32,
    nodes: u32,
    units: Arc<U>,
) -> Result<(), String> {
    let sw = DevSw::of(k);
    sw.attach_block(name, bmajor, Arc::new(Block(Arc::clone(&units))))
        .map_err(|e| format!("cannot attach {name}: {e}"))?;
    sw.attach_char(name, cmajor, Arc::new(Char(units)))
        .map_err(|e| format!("cannot attach {name}: {e}"))?;
    for minor in 0..nodes {
        let part = char::from(b'a' + minor as u8);
        for (path, kind, major) in [
            (format!("/dev/{name}0{part}"), DevKind::Block, bmajor),
            (format!("/dev/r{name}0{part}"), DevKind::Char, cmajor),
        ] {
            sw.make_node(k, &path, kind, major, minor)
                .map_err(|e| format!("cannot create {path}: {e}"))?;
        }
    }
    Ok(())
}

/// The block device (`xx_bdevsw`).
struct Block<U>(Arc<U>);

impl<U: DiskUnits> BlockDriver for Block<U> {
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

    fn strategy_to(
        &self,
        minor: u32,
        blkno: u64,
        len: usize,
        sink: &mut ReadSink<'_>,
    ) -> KResult<usize> {
        self.0.strategy_to(minor, blkno, len, sink)
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

/// The character (raw) device (`xx_cdevsw`).
struct Char<U>(Arc<U>);

impl<U: DiskUnits> CharDriver for Char<U> {
    fn open(&self, ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>> {
        self.0.open(ctx, minor, DevKind::Char)?;
        Ok(Box::new(RawOpen {
            units: Arc::clone(&self.0),
            minor,
            flags,
        }))
    }
}

/// An open raw disk: transfers by `physio`'s rules.
struct RawOpen<U: DiskUnits> {
    units: Arc<U>,
    minor: u32,
    flags: u32,
}

impl<U: DiskUnits> DeviceOpen for RawOpen<U> {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        if !self.units.configured(self.minor) {
            return Err(Errno::ENXIO);
        }
        physio(offset, buf.len(), |blkno, range| {
            self.units
                .strategy(self.minor, blkno, BufOp::Read(&mut buf[range]))
                .or_else(|e| self.units.raw_read_failed(e))
        })
    }

    fn write(&self, _ctx: &Ctx, buf: &[u8], offset: u64) -> KResult<usize> {
        if !self.units.configured(self.minor) {
            return Err(Errno::ENXIO);
        }
        physio(offset, buf.len(), |blkno, range| {
            self.units
                .strategy(self.minor, blkno, BufOp::Write(&buf[range]))
        })
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.units
            .ioctl(ctx, self.minor, cmd, data, self.flags, user)
    }

    fn may_block(&self) -> bool {
        false
    }

    /// The partition's size, as `DIOCGPARTINFO` tells it (NetBSD's
    /// spec_open sizes an open raw disk so).
    fn disk_bytes(&self, ctx: &Ctx) -> Option<u64> {
        let mut pi = [0u8; partinfo::SIZE];
        let none = BufferSpace::new(0, 0);
        self.units
            .ioctl(ctx, self.minor, DIOCGPARTINFO, &mut pi, self.flags, &none)
            .ok()?;
        let size = partinfo::pi_size.get(&pi)?;
        let secsize = partinfo::pi_secsize.get(&pi)?;
        size.checked_mul(secsize)
    }
}

impl<U: DiskUnits> Drop for RawOpen<U> {
    fn drop(&mut self) {
        self.units.close(self.minor, DevKind::Char);
    }
}
