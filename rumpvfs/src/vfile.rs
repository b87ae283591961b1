//! Open files that refer to vnodes.

use crate::node::VType;
use crate::vfs::Vnode;
use rump::file::{FileOps, Stat};
use rump::syscall::Ctx;
use rump::{Errno, KResult};
use std::sync::Mutex;

/// `FIONREAD`: how many bytes can be read without blocking.
const FIONREAD: u64 = 0x4004_667f;

/// An open vnode: the file offset and, for directories, the read cursor.
/// An open FIFO's data goes through its pipe end instead (fifofs).
pub struct VnodeFile {
    /// The vnode.
    pub vn: Vnode,
    fifo: Option<rump::pipe::PipeEnd>,
    /// Every write goes to the end (`O_APPEND`); `F_SETFL` changes it.
    append: std::sync::atomic::AtomicBool,
    offset: Mutex<u64>,
    locks: std::sync::Arc<crate::lockf::LockTable>,
    opener: i32,
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
            vn,
            fifo: None,
            append: std::sync::atomic::AtomicBool::new(append),
            offset: Mutex::new(0),
            locks,
            opener,
        }
    }

    /// The same, a FIFO whose reads and writes go through pipe end `end`.
    pub(crate) fn with_fifo(mut self, end: rump::pipe::PipeEnd) -> VnodeFile {
        self.fifo = Some(end);
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
        self.locks.flock(ctx, self.vn.key(), self.flock_id(), how)
    }

    fn appending(&self) -> bool {
        self.append.load(std::sync::atomic::Ordering::Acquire)
    }

    /// The current offset.
    pub fn offset(&self) -> u64 {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Set the offset.
    pub fn set_offset(&self, off: u64) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) = off;
    }

    /// Directory entries from the cursor on, as many as `fits` accepts; the
    /// cursor counts entries.
    pub fn take_entries(
        &self,
        mut fits: impl FnMut(&crate::node::DirEntry) -> bool,
    ) -> KResult<Vec<crate::node::DirEntry>> {
        let mut cur = self.offset.lock().unwrap_or_else(|e| e.into_inner());
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

/// What names vnode `vn` in `kern.file2`: its mount and inode numbers.
pub(crate) fn data_id(vn: &Vnode) -> u64 {
    let (mnt, ino) = vn.key();
    (mnt << 48) ^ ino
}

/// A node's attributes as NetBSD's `struct stat`.
pub fn stat_of(vn: &Vnode) -> Stat {
    let a = vn.node.getattr();
    Stat {
        dev: vn.mnt.id,
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
        blksize: 4096,
        flags: 0,
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

    fn read(&self, ctx: &Ctx, buf: &mut [u8], offset: Option<u64>) -> KResult<usize> {
        if let Some(end) = &self.fifo {
            return end.read(ctx, buf, offset);
        }
        if self.vn.vtype() == VType::Dir {
            return Err(Errno::EISDIR);
        }
        match offset {
            Some(off) => self.vn.node.read(off, buf),
            None => {
                let mut cur = self.offset.lock().unwrap_or_else(|e| e.into_inner());
                let n = self.vn.node.read(*cur, buf)?;
                *cur += n as u64;
                Ok(n)
            }
        }
    }

    fn write(&self, ctx: &Ctx, buf: &[u8], offset: Option<u64>) -> KResult<usize> {
        // A FIFO's data is not the file system's: read-only does not matter.
        if let Some(end) = &self.fifo {
            return end.write(ctx, buf, offset);
        }
        if self.vn.read_only() {
            return Err(Errno::EROFS);
        }
        match offset {
            // A positioned write never moves the offset, even with O_APPEND.
            Some(off) => {
                let at = if self.appending() {
                    self.vn.node.getattr().size
                } else {
                    off
                };
                self.vn.node.write(at, buf)
            }
            None => {
                let mut cur = self.offset.lock().unwrap_or_else(|e| e.into_inner());
                if self.appending() {
                    *cur = self.vn.node.getattr().size;
                }
                let n = self.vn.node.write(*cur, buf)?;
                *cur += n as u64;
                Ok(n)
            }
        }
    }

    fn stat(&self, _ctx: &Ctx) -> KResult<Stat> {
        Ok(stat_of(&self.vn))
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }

    fn may_block(&self) -> bool {
        !matches!(self.vn.vtype(), VType::Reg | VType::Dir)
    }

    fn poll(&self, events: i16) -> i16 {
        /// `POLLHUP`: NetBSD's fifo_poll answers as a socket does, without it.
        const POLLHUP: i16 = 0x10;
        match &self.fifo {
            Some(end) => end.poll(events) & !POLLHUP,
            None => events & rump::file::POLL_ALWAYS_READY,
        }
    }

    fn ioctl(
        &self,
        ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        user: &dyn rump::usermem::UserSpace,
    ) -> KResult<()> {
        if let Some(end) = &self.fifo {
            return end.ioctl(ctx, cmd, data, user);
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
            _ => Err(Errno::ENOTTY),
        }
    }

    fn close_fd(&self, ctx: &Ctx) {
        self.locks
            .release(self.vn.key(), crate::lockf::Owner::Proc(ctx.proc().pid));
    }

    fn advlock(&self, ctx: &Ctx, cmd: i32, lock: &mut rump::file::Flock) -> KResult<()> {
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
