//! Open files that refer to vnodes.

use crate::node::VType;
use crate::vfs::Vnode;
use rump::devsw::DeviceOpen;
use rump::file::{FileOps, Stat};
use rump::kqueue::consts::{EVFILT_READ, EVFILT_WRITE, NOTE_EXTEND, NOTE_WRITE};
use rump::sync::lock;
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Mutex;

/// `FIONREAD`: how many bytes can be read without blocking.
const FIONREAD: u64 = netbsd_abi::FIONREAD;

/// An open vnode: the file offset and, for directories, the read cursor.
/// An open FIFO's data goes through its pipe end instead (fifofs), an
/// open device's through its driver (specfs).
pub struct VnodeFile {
    /// The vnode.
    pub vn: Vnode,
    fifo: Option<rump::pipe::PipeEnd>,
    device: Option<Box<dyn DeviceOpen>>,
    /// Every write goes to the end (`O_APPEND`); `F_SETFL` changes it.
    append: std::sync::atomic::AtomicBool,
    offset: Mutex<u64>,
    locks: std::sync::Arc<crate::lockf::LockTable>,
    opener: i32,
    /// The node's revocation count when this file was opened.
    revocations: u64,
}

impl VnodeFile {
    /// A file open on `vn` by process `opener`, its record locks kept in `locks`.
    pub fn new(
        vn: Vnode,
        append: bool,
        locks: std::sync::Arc<crate::lockf::LockTable>,
        opener: i32,
    ) -> VnodeFile {
        VnodeFile {
            fifo: None,
            device: None,
            append: std::sync::atomic::AtomicBool::new(append),
            offset: Mutex::new(0),
            locks,
            opener,
            revocations: vn.mnt.revocations(vn.node.ino()),
            vn,
        }
    }

    /// Whether the node was revoked since this file was opened: the file
    /// is dead (NetBSD's deadfs: reads and writes fail with EIO, the rest
    /// with EBADF).
    pub fn is_revoked(&self) -> bool {
        self.vn.mnt.revocations(self.vn.node.ino()) != self.revocations
    }

    fn alive(&self, dead: Errno) -> KResult<()> {
        if self.is_revoked() { Err(dead) } else { Ok(()) }
    }

    /// The same, a FIFO whose reads and writes go through pipe end `end`.
    pub(crate) fn with_fifo(mut self, end: rump::pipe::PipeEnd) -> VnodeFile {
        self.fifo = Some(end);
        self
    }

    /// The same, a device node whose I/O goes to the open device `dev`.
    pub(crate) fn with_device(mut self, dev: Box<dyn DeviceOpen>) -> VnodeFile {
        self.device = Some(dev);
        self
    }

    /// Whether this is an open FIFO (which has no offset: ESPIPE).
    pub fn is_fifo(&self) -> bool {
        self.fifo.is_some()
    }

    /// What names this open file as the owner of its `flock` locks: where
    /// it lives while it is open.
    fn flock_id(&self) -> usize {
        self as *const VnodeFile as usize
    }

    /// `flock(2)` on this open file.
    pub fn flock(&self, ctx: &Ctx, how: i32) -> KResult<()> {
        self.alive(Errno::EBADF)?;
        self.locks.flock(ctx, self.vn.key(), self.flock_id(), how)
    }

    /// Write `buf` at `offset` (`None`: the file's own, or the end with
    /// `O_APPEND`).
    fn write_at(&self, buf: &[u8], offset: Option<u64>) -> KResult<usize> {
        match offset {
            // A positioned write never moves the offset, even with O_APPEND.
            Some(off) => {
                let at = if self.appending() {
                    self.vn.node.getattr().size
                } else {
                    off
                };
                crate::fileflags::check_write_at(&self.vn, at)?;
                self.vn.node.write(at, buf)
            }
            None => {
                let mut cur = lock(&self.offset);
                if self.appending() {
                    *cur = self.vn.node.getattr().size;
                }
                crate::fileflags::check_write_at(&self.vn, *cur)?;
                let n = self.vn.node.write(*cur, buf)?;
                *cur += n as u64;
                Ok(n)
            }
        }
    }

    /// Write, with the kqueue notes of a watched file.
    fn write_watched(&self, ctx: &Ctx, buf: &[u8], offset: Option<u64>) -> KResult<usize> {
        // Only a watched file pays for the sizes a hint needs.
        if !rump::kqueue::vnode_watched(ctx.kernel(), self.vn.key()) {
            return self.write_at(buf, offset);
        }
        let old = self.vn.node.getattr().size;
        let n = self.write_at(buf, offset)?;
        // As NetBSD's file systems' writes: a write notes NOTE_WRITE, and NOTE_EXTEND if the
        // file grew.
        let grew = self.vn.node.getattr().size > old;
        let hint = if grew {
            NOTE_WRITE | NOTE_EXTEND
        } else {
            NOTE_WRITE
        };
        crate::vnknote::note(ctx, &self.vn, hint);
        Ok(n)
    }

    fn appending(&self) -> bool {
        self.append.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The current offset.
    pub fn offset(&self) -> u64 {
        *lock(&self.offset)
    }

    /// Set the offset.
    pub fn set_offset(&self, off: u64) {
        *lock(&self.offset) = off;
    }

    /// Directory entries from the cursor on, as many as `fits` accepts; the
    /// cursor counts entries.
    pub fn take_entries(
        &self,
        mut fits: impl FnMut(&crate::node::DirEntry) -> bool,
    ) -> KResult<Vec<crate::node::DirEntry>> {
        let mut cur = lock(&self.offset);
        let mut out = Vec::new();
        for e in self.vn.node.readdir()?.into_iter().skip(*cur as usize) {
            if !fits(&e) {
                break;
            }
            out.push(e);
        }
        *cur += out.len() as u64;
        Ok(out)
    }
}

impl VnodeFile {
    /// A device transfer at `offset`, or at the file's offset, which moves
    /// by what was transferred (as `spec_read` and `spec_write` use the
    /// file's offset).
    fn device_io(
        &self,
        offset: Option<u64>,
        io: impl FnOnce(u64) -> KResult<usize>,
    ) -> KResult<usize> {
        match offset {
            Some(off) => io(off),
            None => {
                let mut cur = lock(&self.offset);
                let n = io(*cur)?;
                *cur += n as u64;
                Ok(n)
            }
        }
    }
}

/// What names vnode `vn` in `kern.file2`: its mount and inode numbers.
pub(crate) fn data_id(vn: &Vnode) -> u64 {
    let (mnt, ino) = vn.key();
    (mnt << 48) ^ ino
}

/// A node's attributes as NetBSD's `struct stat`.
pub fn stat_of(vn: &Vnode) -> Stat {
    let a = vn.node.getattr();
    let fs = &vn.mnt.fs;
    Stat {
        dev: if fs.dev_is_ino() { a.ino } else { vn.mnt.id },
        mode: a.typ.mode_bits() | a.mode,
        ino: a.ino,
        nlink: a.nlink,
        uid: a.uid,
        gid: a.gid,
        rdev: a.rdev,
        atime: a.atime,
        mtime: a.mtime,
        ctime: a.ctime,
        birthtime: a.birthtime,
        size: a.size as i64,
        blocks: a.bytes.div_ceil(512) as i64,
        blksize: fs.io_blksize(),
        flags: a.flags,
        gen_: a.gen_,
    }
}

impl FileOps for VnodeFile {
    fn dtype(&self) -> u32 {
        rump::file::DTYPE_VNODE
    }

    fn data_id(&self) -> u64 {
        data_id(&self.vn)
    }

    fn fsync(&self, _ctx: &Ctx, _data_only: bool) -> KResult<()> {
        // The file systems write data and attributes back together.
        self.vn.node.fsync()
    }

    fn flush_on_close(&self, _ctx: &Ctx) -> KResult<()> {
        self.vn.node.close()
    }

    fn read(&self, ctx: &Ctx, buf: &mut [u8], offset: Option<u64>) -> KResult<usize> {
        self.alive(Errno::EIO)?;
        if let Some(end) = &self.fifo {
            return end.read(ctx, buf, offset);
        }
        if let Some(dev) = &self.device {
            return self.device_io(offset, |off| dev.read(ctx, buf, off));
        }
        if self.vn.vtype() == VType::Dir {
            return Err(Errno::EISDIR);
        }
        match offset {
            Some(off) => self.vn.node.read(off, buf),
            None => {
                let mut cur = lock(&self.offset);
                let n = self.vn.node.read(*cur, buf)?;
                *cur += n as u64;
                Ok(n)
            }
        }
    }

    fn write(&self, ctx: &Ctx, buf: &[u8], offset: Option<u64>) -> KResult<usize> {
        self.alive(Errno::EIO)?;
        // A FIFO's data is not the file system's: read-only does not matter.
        if let Some(end) = &self.fifo {
            return end.write(ctx, buf, offset);
        }
        // A device's data is not the file system's either.
        if let Some(dev) = &self.device {
            return self.device_io(offset, |off| dev.write(ctx, buf, off));
        }
        if self.vn.read_only() {
            return Err(Errno::EROFS);
        }
        // A synchronous mount writes each write through, as IO_SYNC.
        if self.vn.mount_flags() & crate::flags::MNT_SYNCHRONOUS != 0 {
            let n = self.write_watched(ctx, buf, offset)?;
            self.vn.node.fsync()?;
            return Ok(n);
        }
        self.write_watched(ctx, buf, offset)
    }

    fn stat(&self, ctx: &Ctx) -> KResult<Stat> {
        self.alive(Errno::EBADF)?;
        let mut st = stat_of(&self.vn);
        // An open raw disk is as large as its partition (spec_open).
        if self.vn.vtype() == VType::Chr
            && let Some(bytes) = self.device.as_ref().and_then(|d| d.disk_bytes(ctx))
        {
            st.size = i64::try_from(bytes).unwrap_or(i64::MAX);
        }
        Ok(st)
    }

    fn kqfilter(&self, filter: u32) -> KResult<Option<rump::kqueue::VnodeKey>> {
        match &self.fifo {
            // fifofs: the read and write filters of its queue (none on
            // rumpfs, whose FIFOs NetBSD's rump kernel does not watch).
            Some(_) => {
                crate::vnknote::kqfilter(&self.vn, crate::vnknote::FIFO_FILTER)?;
                match filter {
                    EVFILT_READ | EVFILT_WRITE => Ok(None),
                    _ => Err(Errno::EINVAL),
                }
            }
            None => crate::vnknote::kqfilter(&self.vn, filter),
        }
    }

    fn kevent(&self, kn: &mut rump::kqueue::FilterState) -> bool {
        match &self.fifo {
            Some(end) => end.fifo_kevent(kn),
            None => crate::vnknote::kevent(&self.vn, self.offset(), kn),
        }
    }
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn may_block(&self) -> bool {
        match &self.device {
            Some(dev) => dev.may_block(),
            None => !matches!(self.vn.vtype(), VType::Reg | VType::Dir),
        }
    }

    fn poll(&self, events: i16) -> i16 {
        /// `POLLHUP`: NetBSD's fifo_poll answers as a socket does, without it.
        const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
        match (&self.fifo, &self.device) {
            (Some(end), _) => end.poll(events) & !POLLHUP,
            (None, Some(dev)) => dev.poll(events),
            (None, None) => self.vn.mnt.fs.poll_events(events),
        }
    }

    fn ioctl(
        &self,
        ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        user: &dyn rump::usermem::UserSpace,
    ) -> KResult<()> {
        self.alive(Errno::EBADF)?;
        if let Some(end) = &self.fifo {
            return end.ioctl(ctx, cmd, data, user);
        }
        if let Some(dev) = &self.device {
            return dev.ioctl(ctx, cmd, data, user);
        }
        match cmd {
            FIONREAD if matches!(self.vn.vtype(), VType::Reg | VType::Dir) => {
                // What is left from the offset, as NetBSD's vn_ioctl says.
                let left = self.vn.node.getattr().size.saturating_sub(self.offset());
                let n = i32::try_from(left).unwrap_or(i32::MAX);
                data.get_mut(..4)
                    .ok_or(Errno::EINVAL)?
                    .copy_from_slice(&n.to_ne_bytes());
                Ok(())
            }
            // vn_ioctl: nothing waits to be written to a file.
            netbsd_abi::FIONWRITE | netbsd_abi::FIONSPACE
                if matches!(self.vn.vtype(), VType::Reg | VType::Dir) =>
            {
                data.get_mut(..4)
                    .ok_or(Errno::EINVAL)?
                    .copy_from_slice(&0i32.to_ne_bytes());
                Ok(())
            }
            _ => Err(self.vn.mnt.fs.unknown_ioctl()),
        }
    }

    fn close_fd(&self, ctx: &Ctx) {
        self.locks
            .release(self.vn.key(), crate::lockf::Owner::Proc(ctx.proc().pid));
    }

    /// A FIFO's reads and writes wait on its pipe end (`fifo_restart`).
    fn restart(&self) {
        if let Some(end) = &self.fifo {
            end.restart();
        }
    }

    fn advlock(&self, ctx: &Ctx, cmd: i32, lock: &mut rump::file::Flock) -> KResult<()> {
        self.alive(Errno::EBADF)?;
        if self.vn.vtype() != VType::Reg {
            return Err(Errno::EINVAL);
        }
        self.locks.advlock(
            ctx,
            self.vn.key(),
            cmd,
            lock,
            self.offset(),
            self.vn.node.getattr().size,
        )
    }

    fn set_status_flags(&self, flags: u32) {
        if let Some(end) = &self.fifo {
            end.set_status_flags(flags);
        }
        self.append.store(
            flags & crate::flags::O_APPEND as u32 != 0,
            std::sync::atomic::Ordering::Release,
        );
    }
}

impl Drop for VnodeFile {
    fn drop(&mut self) {
        // The last descriptor went without a close (process exit): the
        // opener's locks go with it.
        self.locks
            .release(self.vn.key(), crate::lockf::Owner::Proc(self.opener));
        // The last descriptor of this open file: its flock locks go too.
        self.locks
            .release(self.vn.key(), crate::lockf::Owner::File(self.flock_id()));
    }
}
