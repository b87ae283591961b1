//! The device switch: NetBSD's `cdevsw`/`bdevsw` tables and
//! `devsw_attach`, keyed by NetBSD's amd64 major numbers.
//!
//! A driver attaches a [`CharDriver`] or a [`BlockDriver`] under its major;
//! the VFS opens `VCHR`/`VBLK` nodes through [`DevSw::open`] and gets a
//! [`DeviceOpen`], the open device its file then reads, writes, polls and
//! controls. Drivers make their `/dev` nodes with [`DevSw::make_node`],
//! which the VFS faction answers (NetBSD's `rump_vfs_makeonedevnode`); the
//! base kernel knows no file system, so without one it makes nothing, as
//! NetBSD's `nullop` does.

use crate::errno::{Errno, KResult};
use crate::kernel::Kernel;
use crate::sync::lock;
use crate::syscall::Ctx;
use crate::usermem::UserSpace;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// `RAW_PART` on amd64 (`arch/amd64/include/disklabel.h`): partition `d`
/// names a whole disk (`kern.rawpartition`, rumpblk's made-up label).
pub const RAW_PART: i32 = 3;

/// NetBSD's `DEV_BSIZE`: the unit of block numbers in a transfer request.
pub const DEV_BSIZE: u64 = 512;

/// `CMASK` (`sys/param.h`): the umask of the kernel's own lwp, under which
/// NetBSD's `makeonedevnode` makes nodes of mode 0666.
const CMASK: u32 = 0o022;
/// The mode NetBSD's `makeonedevnode` asks for.
const DEVNODE_MODE: u32 = 0o666;

/// `makedev(major, minor)` as NetBSD's `sys/types.h` packs it.
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (u64::from(major), u64::from(minor));
    ((ma << 8) & 0x000f_ff00) | ((mi << 12) & 0xfff0_0000) | (mi & 0x0000_00ff)
}

/// `major(dev)` as NetBSD's `sys/types.h`.
pub fn major(dev: u64) -> u32 {
    ((dev as u32) & 0x000f_ff00) >> 8
}

/// `minor(dev)` as NetBSD's `sys/types.h`.
pub fn minor(dev: u64) -> u32 {
    let d = dev as u32;
    ((d & 0xfff0_0000) >> 12) | (d & 0x0000_00ff)
}

/// Which switch a device number is looked up in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DevKind {
    /// A character device (`cdevsw`, `VCHR`).
    Char,
    /// A block device (`bdevsw`, `VBLK`).
    Block,
}

/// What NetBSD's `seltrue` answers for a device without a poll routine:
/// readable and writable, normal data only (no band bits).
const SELTRUE: i16 =
    (netbsd_abi::POLLIN | netbsd_abi::POLLOUT | netbsd_abi::POLLRDNORM | netbsd_abi::POLLWRNORM)
        as i16;

/// An open device: a driver's per-open state. Dropping it is the close
/// (`d_close`). Each operation defaults to what NetBSD's `noread`,
/// `nowrite`, `noioctl` (ENODEV) and `nopoll` (`seltrue`) answer.
pub trait DeviceOpen: Send + Sync {
    /// `d_read` of `buf.len()` bytes at `offset`.
    fn read(&self, _ctx: &Ctx, _buf: &mut [u8], _offset: u64) -> KResult<usize> {
        Err(Errno::ENODEV)
    }
    /// `d_write` of `buf` at `offset`.
    fn write(&self, _ctx: &Ctx, _buf: &[u8], _offset: u64) -> KResult<usize> {
        Err(Errno::ENODEV)
    }
    /// `d_ioctl`: `data` was copied in and is copied out as the command's
    /// size and direction bits say.
    fn ioctl(&self, _ctx: &Ctx, _cmd: u64, _data: &mut [u8], _user: &dyn UserSpace) -> KResult<()> {
        Err(Errno::ENODEV)
    }
    /// `d_poll`: which of `events` are ready.
    fn poll(&self, events: i16) -> i16 {
        events & SELTRUE
    }
    /// Whether a read or write may wait for something other than the host.
    fn may_block(&self) -> bool {
        true
    }
    /// The partition's size in bytes, for a disk's raw device: NetBSD's
    /// `spec_open` sets an open disk's vnode size from `DIOCGPARTINFO`,
    /// which `fstat` then reports (newfs sizes a file system by it).
    fn disk_bytes(&self, _ctx: &Ctx) -> Option<u64> {
        None
    }
}

/// A character device driver (`struct cdevsw`).
pub trait CharDriver: Send + Sync {
    /// `d_open` of minor `minor` with the `O_*` flags of the open.
    fn open(&self, ctx: &Ctx, minor: u32, flags: u32) -> KResult<Box<dyn DeviceOpen>>;
}

/// What a transfer request asks (`B_READ` or a write).
pub enum BufOp<'a> {
    /// Fill the buffer from the medium.
    Read(&'a mut [u8]),
    /// Put the buffer on the medium.
    Write(&'a [u8]),
}

/// A transfer request to a block device (NetBSD's `struct buf`): whole
/// `DEV_BSIZE` blocks from block `blkno` on.
pub struct Buf<'a> {
    /// The first block, in `DEV_BSIZE` units.
    pub blkno: u64,
    /// The direction and the data.
    pub op: BufOp<'a>,
}

/// Where a read hands its bytes, in pieces as they lie in memory (a page of
/// a file, a bounce buffer), in order; an error ends the read with it.
pub type ReadSink<'a> = dyn FnMut(&[u8]) -> KResult<()> + 'a;

/// The most a bounce read holds at a time: it is allocated per read, so
/// it stays small enough to come from the cache.
pub const BOUNCE_MAX: usize = 64 * 1024;

/// Read `len` bytes through `read` (which fills the buffer it is given
/// with the bytes at that offset into the read, returning how many, 0 at
/// the end) into a bounce buffer of at most [`BOUNCE_MAX`] bytes, handing
/// each piece to `sink`: the bytes handed, short where `read` was.
pub fn bounce_read(
    len: usize,
    read: &mut dyn FnMut(usize, &mut [u8]) -> KResult<usize>,
    sink: &mut ReadSink<'_>,
) -> KResult<usize> {
    let mut bounce = vec![0u8; len.min(BOUNCE_MAX)];
    let mut done = 0;
    while done < len {
        let want = (len - done).min(bounce.len());
        let got = read(done, &mut bounce[..want])?;
        if got == 0 {
            break;
        }
        sink(&bounce[..got])?;
        done += got;
        if got < want {
            break;
        }
    }
    Ok(done)
}

/// Read `len` bytes (whole `DEV_BSIZE` blocks) from block `blkno` on
/// through `strategy` (a read of whole blocks at the block number it is
/// given, returning how many bytes it moved) into a bounce buffer, handing
/// each piece to `sink`: what a driver's `strategy_to` does when its
/// memory cannot be handed out. The bytes handed, short at the end of the
/// medium.
pub fn strategy_bounce(
    blkno: u64,
    len: usize,
    strategy: &mut dyn FnMut(u64, &mut [u8]) -> KResult<usize>,
    sink: &mut ReadSink<'_>,
) -> KResult<usize> {
    bounce_read(
        len,
        &mut |at, buf| strategy(blkno + at as u64 / DEV_BSIZE, buf),
        sink,
    )
}

/// A block device driver (`struct bdevsw`).
pub trait BlockDriver: Send + Sync {
    /// `d_open` of minor `minor`.
    fn open(&self, ctx: &Ctx, minor: u32, flags: u32) -> KResult<()>;
    /// `d_close` of minor `minor`, at the last close of an open.
    fn close(&self, minor: u32);
    /// `d_psize`: the size of minor `minor` in `DEV_BSIZE` blocks.
    fn size(&self, minor: u32) -> KResult<u64>;
    /// `d_strategy`: carry out `buf`; the bytes moved (short at the end
    /// of the medium).
    fn strategy(&self, minor: u32, buf: Buf<'_>) -> KResult<usize>;
    /// A read of `len` bytes (whole `DEV_BSIZE` blocks) at block `blkno`
    /// whose bytes go to `sink` as they lie in the driver's memory, so a
    /// caller that transforms them (cgd) copies them once: the bytes
    /// handed, short at the end of the medium. The default reads through
    /// [`BlockDriver::strategy`] into a bounce buffer ([`strategy_bounce`]).
    fn strategy_to(
        &self,
        minor: u32,
        blkno: u64,
        len: usize,
        sink: &mut ReadSink<'_>,
    ) -> KResult<usize> {
        let read = &mut |blkno, buf: &mut [u8]| {
            let op = BufOp::Read(buf);
            self.strategy(minor, Buf { blkno, op })
        };
        strategy_bounce(blkno, len, read, sink)
    }
    /// `d_ioctl`, with `fflags`, the `O_*` flags the device was opened
    /// with (drivers refuse some commands without `FWRITE`).
    fn ioctl(
        &self,
        _ctx: &Ctx,
        _minor: u32,
        _cmd: u64,
        _data: &mut [u8],
        _fflags: u32,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        Err(Errno::ENODEV)
    }
    /// Write what the driver holds for minor `minor` to stable storage
    /// (what `DIOCCACHESYNC` asks, and a file system's sync of its device).
    /// The default, for drivers that hold nothing back, does nothing.
    fn sync(&self, _minor: u32) -> KResult<()> {
        Ok(())
    }
}

/// Makes device nodes in the kernel's namespace (the VFS faction's
/// `makeonedevnode`): `path`, of `kind`, for device `dev`, with `mode`.
pub trait DevNodeMaker: Send + Sync {
    /// Make the node; EEXIST if the name is taken.
    fn make_node(&self, k: &Kernel, path: &str, kind: DevKind, dev: u64, mode: u32) -> KResult<()>;
}

/// One attached driver.
#[derive(Clone)]
enum Driver {
    Char(Arc<dyn CharDriver>),
    Block(Arc<dyn BlockDriver>),
}

/// A kernel's device switch.
#[derive(Default)]
pub struct DevSw {
    drivers: Mutex<BTreeMap<(DevKind, u32), (String, Driver)>>,
    nodes: Mutex<Option<Arc<dyn DevNodeMaker>>>,
}

impl DevSw {
    /// The device switch of kernel `k`.
    pub fn of(k: &Kernel) -> Arc<DevSw> {
        k.extension(DevSw::default)
    }

    fn attach(&self, name: &str, kind: DevKind, major: u32, d: Driver) -> KResult<()> {
        let mut drivers = lock(&self.drivers);
        if drivers.contains_key(&(kind, major)) {
            return Err(Errno::EEXIST);
        }
        drivers.insert((kind, major), (name.to_owned(), d));
        Ok(())
    }

    /// `devsw_attach` of a character driver called `name` at `major`;
    /// EEXIST if the major is taken.
    pub fn attach_char(&self, name: &str, major: u32, d: Arc<dyn CharDriver>) -> KResult<()> {
        self.attach(name, DevKind::Char, major, Driver::Char(d))
    }

    /// `devsw_attach` of a block driver called `name` at `major`.
    pub fn attach_block(&self, name: &str, major: u32, d: Arc<dyn BlockDriver>) -> KResult<()> {
        self.attach(name, DevKind::Block, major, Driver::Block(d))
    }

    /// `devsw_detach`: the driver at `major` goes (opens keep it until closed).
    pub fn detach(&self, kind: DevKind, major: u32) -> KResult<()> {
        lock(&self.drivers)
            .remove(&(kind, major))
            .map(drop)
            .ok_or(Errno::ENOENT)
    }

    /// The name of the driver at `major`, if one is attached.
    pub fn driver_name(&self, kind: DevKind, major: u32) -> Option<String> {
        lock(&self.drivers)
            .get(&(kind, major))
            .map(|(n, _)| n.clone())
    }

    /// Open device `dev` (`spec_open`): ENXIO when no driver has its major,
    /// as NetBSD answers for a node without a driver.
    pub fn open(
        &self,
        ctx: &Ctx,
        kind: DevKind,
        dev: u64,
        flags: u32,
    ) -> KResult<Box<dyn DeviceOpen>> {
        let driver = lock(&self.drivers)
            .get(&(kind, major(dev)))
            .map(|(_, d)| d.clone())
            .ok_or(Errno::ENXIO)?;
        match driver {
            Driver::Char(c) => c.open(ctx, minor(dev), flags),
            Driver::Block(b) => {
                b.open(ctx, minor(dev), flags)?;
                Ok(Box::new(BlockDevice {
                    driver: b,
                    minor: minor(dev),
                    flags,
                }))
            }
        }
    }

    /// Open block device `dev` for the kernel's own use (a file system
    /// mounted on it, NetBSD's `VOP_OPEN` of the device vnode): ENXIO
    /// without a block driver at its major.
    pub fn open_block(&self, ctx: &Ctx, dev: u64, flags: u32) -> KResult<BlockDevice> {
        let driver = lock(&self.drivers)
            .get(&(DevKind::Block, major(dev)))
            .map(|(_, d)| d.clone())
            .ok_or(Errno::ENXIO)?;
        let Driver::Block(b) = driver else {
            return Err(Errno::ENXIO);
        };
        b.open(ctx, minor(dev), flags)?;
        Ok(BlockDevice {
            driver: b,
            minor: minor(dev),
            flags,
        })
    }

    /// Install the VFS faction's node maker.
    pub fn set_node_maker(&self, m: Arc<dyn DevNodeMaker>) {
        *lock(&self.nodes) = Some(m);
    }

    /// `rump_vfs_makeonedevnode`: node `path` for `major`/`minor`, mode
    /// 0666 under the kernel's umask. A name already there is left as it
    /// is, as NetBSD's does; without a VFS faction nothing is made.
    pub fn make_node(
        &self,
        k: &Kernel,
        path: &str,
        kind: DevKind,
        major: u32,
        minor: u32,
    ) -> KResult<()> {
        let Some(m) = lock(&self.nodes).clone() else {
            return Ok(());
        };
        match m.make_node(k, path, kind, makedev(major, minor), DEVNODE_MODE & !CMASK) {
            Err(Errno::EEXIST) => Ok(()),
            r => r,
        }
    }
}

/// An open block device: byte transfers at any offset become whole-block
/// requests to the driver's strategy, partial blocks read, changed and
/// written back. Dropping it is the close.
pub struct BlockDevice {
    driver: Arc<dyn BlockDriver>,
    minor: u32,
    flags: u32,
}

impl BlockDevice {
    /// Bytes on the medium.
    pub fn media_bytes(&self) -> KResult<u64> {
        Ok(self.driver.size(self.minor)?.saturating_mul(DEV_BSIZE))
    }

    /// Write what the driver holds back to stable storage.
    pub fn sync(&self) -> KResult<()> {
        self.driver.sync(self.minor)
    }

    fn read_block(&self, blkno: u64, block: &mut [u8]) -> KResult<()> {
        let n = self.driver.strategy(
            self.minor,
            Buf {
                blkno,
                op: BufOp::Read(block),
            },
        )?;
        if n < block.len() {
            return Err(Errno::EIO);
        }
        Ok(())
    }
}

impl BlockDevice {
    /// Read `buf.len()` bytes at `offset`: short at the end of the medium.
    pub fn read_at(&self, buf: &mut [u8], offset: u64) -> KResult<usize> {
        let end = self.media_bytes()?;
        if offset >= end {
            return Ok(0);
        }
        let n = buf.len().min((end - offset) as usize);
        let buf = &mut buf[..n];
        let head = (offset % DEV_BSIZE) as usize;
        let mut done = 0;
        if head != 0 {
            let mut block = [0u8; DEV_BSIZE as usize];
            self.read_block(offset / DEV_BSIZE, &mut block)?;
            let take = (DEV_BSIZE as usize - head).min(n);
            buf[..take].copy_from_slice(&block[head..head + take]);
            done = take;
        }
        let whole = (n - done) / DEV_BSIZE as usize * DEV_BSIZE as usize;
        if whole > 0 {
            let pos = offset + done as u64;
            let got = self.driver.strategy(
                self.minor,
                Buf {
                    blkno: pos / DEV_BSIZE,
                    op: BufOp::Read(&mut buf[done..done + whole]),
                },
            )?;
            done += got;
            if got < whole {
                return Ok(done);
            }
        }
        if done < n {
            let mut block = [0u8; DEV_BSIZE as usize];
            self.read_block((offset + done as u64) / DEV_BSIZE, &mut block)?;
            let take = n - done;
            buf[done..].copy_from_slice(&block[..take]);
            done = n;
        }
        Ok(done)
    }

    /// Read `len` bytes at `offset` as [`BlockDevice::read_at`] does,
    /// handing them to `sink` in pieces: a read of whole blocks goes to the
    /// driver's [`BlockDriver::strategy_to`], any other through a bounce
    /// buffer. The bytes handed, short at the end of the medium.
    pub fn read_to(&self, offset: u64, len: usize, sink: &mut ReadSink<'_>) -> KResult<usize> {
        let end = self.media_bytes()?;
        if offset >= end {
            return Ok(0);
        }
        let n = len.min((end - offset) as usize);
        if offset.is_multiple_of(DEV_BSIZE) && (n as u64).is_multiple_of(DEV_BSIZE) {
            return self
                .driver
                .strategy_to(self.minor, offset / DEV_BSIZE, n, sink);
        }
        bounce_read(
            n,
            &mut |at, buf| self.read_at(buf, offset + at as u64),
            sink,
        )
    }

    /// Write `data` at `offset`: ENOSPC at or past the end of the medium,
    /// short when it reaches the end.
    pub fn write_at(&self, data: &[u8], offset: u64) -> KResult<usize> {
        let end = self.media_bytes()?;
        if offset >= end {
            return Err(Errno::ENOSPC);
        }
        let n = data.len().min((end - offset) as usize);
        let mut done = 0;
        while done < n {
            let pos = offset + done as u64;
            let head = (pos % DEV_BSIZE) as usize;
            let blkno = pos / DEV_BSIZE;
            if head == 0 && n - done >= DEV_BSIZE as usize {
                let whole = (n - done) / DEV_BSIZE as usize * DEV_BSIZE as usize;
                let put = self.driver.strategy(
                    self.minor,
                    Buf {
                        blkno,
                        op: BufOp::Write(&data[done..done + whole]),
                    },
                )?;
                if put == 0 {
                    return Err(Errno::EIO);
                }
                done += put;
                continue;
            }
            // A piece of a block: the rest of it is kept as it was.
            let mut block = [0u8; DEV_BSIZE as usize];
            self.read_block(blkno, &mut block)?;
            let take = (DEV_BSIZE as usize - head).min(n - done);
            block[head..head + take].copy_from_slice(&data[done..done + take]);
            self.driver.strategy(
                self.minor,
                Buf {
                    blkno,
                    op: BufOp::Write(&block),
                },
            )?;
            done += take;
        }
        Ok(done)
    }
}

impl DeviceOpen for BlockDevice {
    fn read(&self, _ctx: &Ctx, buf: &mut [u8], offset: u64) -> KResult<usize> {
        self.read_at(buf, offset)
    }

    fn write(&self, _ctx: &Ctx, data: &[u8], offset: u64) -> KResult<usize> {
        self.write_at(data, offset)
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        self.driver
            .ioctl(ctx, self.minor, cmd, data, self.flags, user)
    }

    fn may_block(&self) -> bool {
        false
    }
}

impl Drop for BlockDevice {
    fn drop(&mut self) {
        self.driver.close(self.minor);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_numbers_pack_as_netbsds() {
        // makedev(2, 12) is /dev/zero; 256,1 is /dev/urandom; minors
        // above 255 go to the top bits.
        assert_eq!(makedev(2, 12), 0x20c);
        assert_eq!(makedev(256, 1), 0x1_0001);
        assert_eq!(makedev(14, 0x123), 0x10_0e23);
        for (ma, mi) in [(2, 2), (256, 0), (197, 7), (4095, 0xfffff)] {
            assert_eq!((major(makedev(ma, mi)), minor(makedev(ma, mi))), (ma, mi));
        }
    }

    #[test]
    fn strategy_bounce_asks_for_the_blocks_in_turn_and_stops_short_at_the_end() {
        // A medium of one bounce buffer's blocks and three more, each of
        // whose bytes is its block number; the read starts at block 2 and
        // asks for four blocks more than the medium has after one buffer.
        let blocks = BOUNCE_MAX as u64 / DEV_BSIZE + 3;
        let mut asked = Vec::new();
        let mut strategy = |blkno: u64, buf: &mut [u8]| {
            asked.push((blkno, buf.len()));
            let left = (blocks - blkno) * DEV_BSIZE;
            let n = buf.len().min(left as usize);
            for (i, block) in buf[..n].chunks_mut(DEV_BSIZE as usize).enumerate() {
                block.fill((blkno + i as u64) as u8);
            }
            Ok(n)
        };
        let mut pieces = Vec::new();
        let mut sink = |piece: &[u8]| {
            pieces.push(piece.to_vec());
            Ok(())
        };
        let len = BOUNCE_MAX + 4 * DEV_BSIZE as usize;
        let got = strategy_bounce(2, len, &mut strategy, &mut sink).unwrap();
        assert_eq!(got, BOUNCE_MAX + DEV_BSIZE as usize);
        let first_after = 2 + BOUNCE_MAX as u64 / DEV_BSIZE;
        assert_eq!(
            asked,
            vec![(2, BOUNCE_MAX), (first_after, 4 * DEV_BSIZE as usize)]
        );
        let bytes = pieces.concat();
        assert_eq!(pieces.len(), 2);
        for (i, block) in bytes.chunks(DEV_BSIZE as usize).enumerate() {
            assert!(block.iter().all(|&b| b == (2 + i) as u8), "block {i}");
        }
        // An error from the sink ends the read with it.
        let mut refuse = |_: &[u8]| Err(Errno::EFAULT);
        assert_eq!(
            strategy_bounce(0, 512, &mut |_, b: &mut [u8]| Ok(b.len()), &mut refuse),
            Err(Errno::EFAULT)
        );
    }

    /// A block device of 8 blocks in memory that counts its requests.
    struct RamDisk {
        data: Mutex<Vec<u8>>,
        requests: Mutex<Vec<(u64, usize, bool)>>,
        closes: Mutex<u32>,
    }

    impl BlockDriver for RamDisk {
        fn open(&self, _: &Ctx, minor: u32, _: u32) -> KResult<()> {
            if minor == 0 {
                Ok(())
            } else {
                Err(Errno::ENXIO)
            }
        }
        fn close(&self, _: u32) {
            *lock(&self.closes) += 1;
        }
        fn size(&self, _: u32) -> KResult<u64> {
            Ok(lock(&self.data).len() as u64 / DEV_BSIZE)
        }
        fn strategy(&self, _: u32, buf: Buf<'_>) -> KResult<usize> {
            let mut d = lock(&self.data);
            let off = (buf.blkno * DEV_BSIZE) as usize;
            match buf.op {
                BufOp::Read(b) => {
                    assert_eq!(b.len() % DEV_BSIZE as usize, 0);
                    let n = b.len().min(d.len().saturating_sub(off));
                    b[..n].copy_from_slice(&d[off..off + n]);
                    lock(&self.requests).push((buf.blkno, b.len(), false));
                    Ok(n)
                }
                BufOp::Write(b) => {
                    assert_eq!(b.len() % DEV_BSIZE as usize, 0);
                    let n = b.len().min(d.len().saturating_sub(off));
                    d[off..off + n].copy_from_slice(&b[..n]);
                    lock(&self.requests).push((buf.blkno, b.len(), true));
                    Ok(n)
                }
            }
        }
    }

    #[test]
    fn block_devices_take_whole_blocks_and_unaligned_bytes_are_read_modified_written() {
        let k = crate::KernelBuilder::new()
            .config(crate::BootConfig::default())
            .boot()
            .unwrap();
        let sw = DevSw::of(&k);
        let disk = Arc::new(RamDisk {
            data: Mutex::new((0..4096u32).map(|i| i as u8).collect()),
            requests: Mutex::new(Vec::new()),
            closes: Mutex::new(0),
        });
        sw.attach_block("ram", 250, disk.clone()).unwrap();
        assert_eq!(
            sw.attach_block("again", 250, disk.clone()).err(),
            Some(Errno::EEXIST)
        );
        k.with_ctx(|ctx| {
            assert_eq!(
                sw.open(ctx, DevKind::Block, makedev(251, 0), 0).err(),
                Some(Errno::ENXIO)
            );
            assert_eq!(
                sw.open(ctx, DevKind::Char, makedev(250, 0), 0).err(),
                Some(Errno::ENXIO)
            );
            assert_eq!(
                sw.open(ctx, DevKind::Block, makedev(250, 1), 0).err(),
                Some(Errno::ENXIO)
            );
            let d = sw.open(ctx, DevKind::Block, makedev(250, 0), 0)?;
            // 1000 bytes from 100: a head piece, one whole block, a tail.
            let mut buf = vec![0u8; 1000];
            assert_eq!(d.read(ctx, &mut buf, 100)?, 1000);
            let want: Vec<u8> = (100..1100u32).map(|i| i as u8).collect();
            assert_eq!(buf, want);
            // Past the end: short, then nothing; writes there ENOSPC.
            assert_eq!(d.read(ctx, &mut buf, 4000)?, 96);
            assert_eq!(d.read(ctx, &mut buf, 4096)?, 0);
            assert_eq!(d.write(ctx, &buf, 4096).err(), Some(Errno::ENOSPC));
            lock(&disk.requests).clear();
            d.write(ctx, &[0xee; 10], 510)?;
            let reqs = lock(&disk.requests).clone();
            // Block 0 read, written; block 1 read, written.
            assert_eq!(
                reqs,
                vec![
                    (0, 512, false),
                    (0, 512, true),
                    (1, 512, false),
                    (1, 512, true)
                ]
            );
            let data = lock(&disk.data).clone();
            assert_eq!(
                &data[508..522],
                &[
                    252, 253, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 8, 9
                ]
            );
            drop(d);
            Ok(())
        })
        .unwrap();
        assert_eq!(*lock(&disk.closes), 1);
        sw.detach(DevKind::Block, 250).unwrap();
        assert_eq!(sw.detach(DevKind::Block, 250), Err(Errno::ENOENT));
    }
}
