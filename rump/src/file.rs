//! Open files and descriptor tables (NetBSD's `file_t` and `filedesc_t`).
//!
//! The base kernel owns descriptors; what a descriptor refers to (a vnode, a
//! socket, a pipe) is supplied by a faction as a [`FileOps`] implementation.

use crate::errno::{Errno, KResult};
use crate::sync::lock;
use crate::syscall::Ctx;
use netbsd_abi::layout::flock;
use std::sync::{Arc, Mutex, Weak};

/// NetBSD's `struct stat` (amd64), in the kernel's own terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device holding the object.
    pub dev: u64,
    /// File type and permission bits.
    pub mode: u32,
    /// Inode number.
    pub ino: u64,
    /// Number of hard links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number for device nodes.
    pub rdev: u64,
    /// Access, modification, change and birth times as (seconds, nanoseconds).
    pub atime: (i64, i64),
    /// Last data modification.
    pub mtime: (i64, i64),
    /// Last status change.
    pub ctime: (i64, i64),
    /// Creation.
    pub birthtime: (i64, i64),
    /// Size in bytes.
    pub size: i64,
    /// Blocks allocated, in 512-byte units.
    pub blocks: i64,
    /// Preferred I/O size.
    pub blksize: i32,
    /// User-settable flags.
    pub flags: u32,
    /// Generation number.
    pub gen_: u32,
}

/// Size of NetBSD's `struct stat` on amd64.
pub const STAT_SIZE: usize = netbsd_abi::layout::stat::SIZE;

impl Stat {
    /// Encode as NetBSD's `struct stat` (`netbsd_abi::layout::stat`).
    pub fn to_bytes(&self) -> [u8; STAT_SIZE] {
        use netbsd_abi::layout::{stat as st, timespec as ts};
        let mut b = [0u8; STAT_SIZE];
        for (field, v) in [
            (st::st_dev, self.dev),
            (st::st_mode, u64::from(self.mode)),
            (st::st_ino, self.ino),
            (st::st_nlink, u64::from(self.nlink)),
            (st::st_uid, u64::from(self.uid)),
            (st::st_gid, u64::from(self.gid)),
            (st::st_rdev, self.rdev),
            (st::st_size, self.size as u64),
            (st::st_blocks, self.blocks as u64),
            (st::st_blksize, u64::from(self.blksize as u32)),
            (st::st_flags, u64::from(self.flags)),
            (st::st_gen, u64::from(self.gen_)),
        ] {
            field.put(&mut b, v);
        }
        for (field, t) in [
            (st::st_atim, self.atime),
            (st::st_mtim, self.mtime),
            (st::st_ctim, self.ctime),
            (st::st_birthtim, self.birthtime),
        ] {
            let at = &mut b[field.offset..field.offset + ts::SIZE];
            ts::tv_sec.put(at, t.0 as u64);
            ts::tv_nsec.put(at, t.1 as u64);
        }
        b
    }
}

/// What an open file does. Every operation defaults to the errno NetBSD
/// gives for a file type that does not support it.
pub trait FileOps: Send + Sync {
    /// Read into `buf` at `offset` (`None`: the file's own position).
    fn read(&self, _ctx: &Ctx, _buf: &mut [u8], _offset: Option<u64>) -> KResult<usize> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Write `buf` at `offset` (`None`: the file's own position).
    fn write(&self, _ctx: &Ctx, _buf: &[u8], _offset: Option<u64>) -> KResult<usize> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Write the file's data (and, unless `data_only`, its attributes) to
    /// stable storage (`VOP_FSYNC`, what `aio_fsync` asks of a file);
    /// EINVAL for files that are not vnodes, as NetBSD's `fd_getvnode`.
    fn fsync(&self, _ctx: &Ctx, _data_only: bool) -> KResult<()> {
        Err(Errno::EINVAL)
    }
    /// Describe the file for `fstat`.
    fn stat(&self, _ctx: &Ctx) -> KResult<Stat> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Called once, when the last descriptor referring to the file is closed.
    fn close(&self) {}
    /// A process closes one of its descriptors for this file (POSIX drops
    /// the process's record locks on the file then).
    fn close_fd(&self, _ctx: &Ctx) {}
    /// `close(2)` of the last descriptor for this file, before it goes: a
    /// socket with `SO_LINGER` waits here for its data to be delivered.
    fn last_close(&self, _ctx: &Ctx) {}
    /// A descriptor for this file was closed while other calls may be
    /// using it (NetBSD's `fo_restart`): calls waiting on the file wake and
    /// answer ERESTART (see [`crate::restart`]). Files whose calls never
    /// wait have nothing to do.
    fn restart(&self) {}
    /// `close(2)` of the last descriptor for a vnode's file: the file
    /// system's `VOP_CLOSE`, whose failure `close(2)` returns (an NFS
    /// client sends the writes it held back then).
    fn flush_on_close(&self, _ctx: &Ctx) -> KResult<()> {
        Ok(())
    }
    /// `fcntl` `F_GETLK`/`F_SETLK`/`F_SETLKW` on this file; EINVAL for
    /// files that take no record locks.
    fn advlock(&self, _ctx: &Ctx, _cmd: i32, _lock: &mut Flock) -> KResult<()> {
        Err(Errno::EINVAL)
    }
    /// The `O_APPEND`/`O_NONBLOCK` status flags changed (`F_SETFL`).
    fn set_status_flags(&self, _flags: u32) {}
    /// Which of the `POLL*` `events` are ready now. Files that never block
    /// (vnodes) are always ready to read and write.
    fn poll(&self, events: i16) -> i16 {
        events & POLL_ALWAYS_READY
    }
    /// `ioctl` command `cmd` with its argument `data`, copied in before
    /// and out after as the command's size and direction bits say; ENOTTY
    /// for commands the file does not know (NetBSD's answer).
    /// `user` reaches the caller's memory for commands whose argument
    /// points further (`SIOCGIFCONF`, `SIOCSLINKSTR`).
    fn ioctl(
        &self,
        _ctx: &Ctx,
        _cmd: u64,
        _data: &mut [u8],
        _user: &dyn crate::usermem::UserSpace,
    ) -> KResult<()> {
        Err(Errno::ENOTTY)
    }
    /// Whether a read or write may wait for something other than the
    /// host's own I/O (a pipe's writer, a socket's peer). Files that never
    /// wait (vnodes of regular files and directories) answer false, and
    /// their calls may run without a thread of their own.
    fn may_block(&self) -> bool {
        true
    }
    /// Whether each write is one record that must not be split, nor a
    /// read cut short (a datagram socket's): the system-call layer then
    /// moves a transfer whole instead of in pieces.
    fn keeps_records(&self) -> bool {
        false
    }
    /// `DTYPE_*` for `kern.file2`: the default is `DTYPE_MISC`.
    fn dtype(&self) -> u32 {
        DTYPE_MISC
    }
    /// What the file refers to, as a number that names it (`ki_fdata`: a
    /// socket's is the one its protocol's `pcblist` gives).
    fn data_id(&self) -> u64 {
        0
    }
    /// The faction's own object, so that it can recognise its files
    /// (`fchdir`, `fchmod` and the like take a descriptor).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
    /// Whether kevent filter `filter` (`EVFILT_READ`, `EVFILT_WRITE`,
    /// `EVFILT_VNODE`) can watch this file (NetBSD's `fo_kqfilter`), and
    /// for a vnode the key its `vnode_note` hints come under. The default
    /// is EOPNOTSUPP, what NetBSD's rump kernel answers for its console.
    fn kqfilter(&self, _filter: u32) -> KResult<Option<crate::kqueue::VnodeKey>> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Whether the event `kn.filter` holds now, setting `kn.data`, and
    /// `EV_EOF` in `kn.flags`, as the file's filter does (`f_event` with
    /// no hint). Only called for filters [`FileOps::kqfilter`] accepted.
    fn kevent(&self, _kn: &mut crate::kqueue::FilterState) -> bool {
        false
    }
}

/// NetBSD's `struct flock`: a byte range lock request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flock {
    /// Start of the range, relative to `whence`.
    pub start: i64,
    /// Length; 0 reaches the end of the file and beyond, negative goes back.
    pub len: i64,
    /// The owner of a conflicting lock (`F_GETLK`).
    pub pid: i32,
    /// `F_RDLCK`, `F_WRLCK` or `F_UNLCK`.
    pub typ: i16,
    /// `SEEK_SET`, `SEEK_CUR` or `SEEK_END`.
    pub whence: i16,
}

/// Size of `struct flock`.
pub const FLOCK_SIZE: usize = flock::SIZE;

impl Flock {
    /// Decode NetBSD's layout.
    pub fn from_bytes(b: &[u8; FLOCK_SIZE]) -> Flock {
        let at = |f: netbsd_abi::Field| f.get(b).unwrap_or_default();
        Flock {
            start: at(flock::l_start) as i64,
            len: at(flock::l_len) as i64,
            pid: at(flock::l_pid) as i32,
            typ: at(flock::l_type) as i16,
            whence: at(flock::l_whence) as i16,
        }
    }

    /// Encode NetBSD's layout.
    pub fn to_bytes(&self) -> [u8; FLOCK_SIZE] {
        let mut b = [0u8; FLOCK_SIZE];
        flock::l_start.put(&mut b, self.start as u64);
        flock::l_len.put(&mut b, self.len as u64);
        flock::l_pid.put(&mut b, u64::from(self.pid as u32));
        flock::l_type.put(&mut b, u64::from(self.typ as u16));
        flock::l_whence.put(&mut b, u64::from(self.whence as u16));
        b
    }
}

/// What a file that never blocks is ready for: `POLLIN`, `POLLOUT`,
/// `POLLRDNORM`, `POLLRDBAND`, `POLLWRBAND`.
pub const POLL_ALWAYS_READY: i16 = (netbsd_abi::POLLIN
    | netbsd_abi::POLLOUT
    | netbsd_abi::POLLRDNORM
    | netbsd_abi::POLLRDBAND
    | netbsd_abi::POLLWRBAND) as i16;

/// `DTYPE_VNODE`, `DTYPE_SOCKET`, `DTYPE_PIPE`, `DTYPE_KQUEUE`,
/// `DTYPE_MISC` (`sys/file.h`).
pub const DTYPE_VNODE: u32 = 1;
/// See [`DTYPE_VNODE`].
pub const DTYPE_SOCKET: u32 = 2;
/// See [`DTYPE_VNODE`].
pub const DTYPE_PIPE: u32 = 3;
/// See [`DTYPE_VNODE`].
pub const DTYPE_KQUEUE: u32 = 4;
/// See [`DTYPE_VNODE`].
pub const DTYPE_MISC: u32 = 5;

/// An open file: the object plus the flags it was opened with.
pub struct File {
    ops: Box<dyn FileOps>,
    /// `O_*` status flags (access mode, `O_APPEND`, `O_NONBLOCK`).
    pub flags: Mutex<u32>,
}

impl File {
    /// Wrap a faction's file object.
    pub fn new(ops: Box<dyn FileOps>, flags: u32) -> Arc<File> {
        Arc::new(File {
            ops,
            flags: Mutex::new(flags),
        })
    }

    /// The file's operations.
    pub fn ops(&self) -> &dyn FileOps {
        &*self.ops
    }

    /// The `O_*` flags.
    pub fn status_flags(&self) -> u32 {
        *lock(&self.flags)
    }
}

impl Drop for File {
    fn drop(&mut self) {
        self.ops.close();
    }
}

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

/// A descriptor table, shared between processes made by `rfork(0)`.
#[derive(Default)]
pub struct FdTable {
    slots: Mutex<Vec<Option<Slot>>>,
    /// The knotes watching descriptors of this table: closing a
    /// descriptor takes its knotes off their queues (`knote_fdclose`).
    knotes: Mutex<Vec<(i32, Weak<crate::kqueue::Knote>)>>,
}

impl FdTable {
    /// An empty table.
    pub fn new() -> Arc<FdTable> {
        Arc::new(FdTable::default())
    }

    /// Every open descriptor: number, file, close-on-exec.
    pub fn snapshot(&self) -> Vec<(i32, Arc<File>, bool)> {
        lock(&self.slots)
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .map(|s| (i as i32, Arc::clone(&s.file), s.cloexec))
            })
            .collect()
    }

    /// A new table holding the same files (`RUMP_RFFDG`).
    pub fn copy(&self) -> Arc<FdTable> {
        let mut slots = lock(&self.slots).clone();
        // As NetBSD's fd_copy: kqueue descriptors cannot be copied.
        for s in slots.iter_mut() {
            if s.as_ref()
                .is_some_and(|s| s.file.ops().dtype() == DTYPE_KQUEUE)
            {
                *s = None;
            }
        }
        Arc::new(FdTable {
            slots: Mutex::new(slots),
            knotes: Mutex::default(),
        })
    }

    /// Knote `kn` watches descriptor `fd`.
    pub(crate) fn knote_attach(&self, fd: i32, kn: &Arc<crate::kqueue::Knote>) {
        let mut list = lock(&self.knotes);
        list.retain(|(_, w)| w.strong_count() > 0);
        list.push((fd, Arc::downgrade(kn)));
    }

    /// Descriptors `closed` went: their knotes leave their queues
    /// (NetBSD's `knote_fdclose`).
    fn knote_fdclose(&self, closed: impl Fn(i32) -> bool) {
        let gone: Vec<Arc<crate::kqueue::Knote>> = {
            let mut list = lock(&self.knotes);
            if list.is_empty() {
                return;
            }
            let mut gone = Vec::new();
            list.retain(|(fd, w)| {
                if !closed(*fd) {
                    return w.strong_count() > 0;
                }
                gone.extend(w.upgrade());
                false
            });
            gone
        };
        for kn in gone {
            match kn.kq.upgrade() {
                Some(kq) => kq.detach(&kn),
                None => kn.lock().detached = true,
            }
        }
    }

    /// Install `file` at the lowest free descriptor at or above `min`, below `limit`.
    pub fn alloc(&self, file: Arc<File>, min: usize, limit: usize, cloexec: bool) -> KResult<i32> {
        let mut slots = lock(&self.slots);
        let fd = (min..limit)
            .find(|&i| slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(Errno::EMFILE)?;
        if slots.len() <= fd {
            slots.resize(fd + 1, None);
        }
        slots[fd] = Some(Slot { file, cloexec });
        Ok(fd as i32)
    }

    /// The file at `fd`, or EBADF.
    pub fn get(&self, fd: i32) -> KResult<Arc<File>> {
        let slots = lock(&self.slots);
        usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| Arc::clone(&s.file))
            .ok_or(Errno::EBADF)
    }

    /// Close `fd`. The file itself closes when its last descriptor goes.
    pub fn close(&self, fd: i32) -> KResult<()> {
        let taken = {
            let mut slots = lock(&self.slots);
            usize::try_from(fd)
                .ok()
                .and_then(|i| slots.get_mut(i))
                .and_then(|s| s.take())
        };
        if let Some(s) = &taken {
            self.knote_fdclose(|f| f == fd);
            s.file.ops().restart();
        }
        // Dropped outside the lock: closing may take a while or re-enter.
        taken.map(drop).ok_or(Errno::EBADF)
    }

    /// Place `file` exactly at `fd`, closing what was there (`dup2`).
    pub fn install_at(&self, fd: i32, file: Arc<File>, limit: usize, cloexec: bool) -> KResult<()> {
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < limit)
            .ok_or(Errno::EBADF)?;
        let old = {
            let mut slots = lock(&self.slots);
            if slots.len() <= i {
                slots.resize(i + 1, None);
            }
            slots[i].replace(Slot { file, cloexec })
        };
        if let Some(s) = &old {
            self.knote_fdclose(|f| f == fd);
            s.file.ops().restart();
        }
        drop(old);
        Ok(())
    }

    /// Whether `fd` is closed on exec (`FD_CLOEXEC`).
    pub fn cloexec(&self, fd: i32) -> KResult<bool> {
        let slots = lock(&self.slots);
        usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get(i))
            .and_then(|s| s.as_ref())
            .map(|s| s.cloexec)
            .ok_or(Errno::EBADF)
    }

    /// Set or clear close-on-exec for `fd`.
    pub fn set_cloexec(&self, fd: i32, on: bool) -> KResult<()> {
        let mut slots = lock(&self.slots);
        let slot = usize::try_from(fd)
            .ok()
            .and_then(|i| slots.get_mut(i))
            .and_then(|s| s.as_mut())
            .ok_or(Errno::EBADF)?;
        slot.cloexec = on;
        Ok(())
    }

    /// Whether I/O on `fd` may wait (see [`FileOps::may_block`]); true for
    /// a descriptor that is not open, which the call itself will refuse.
    pub fn may_block(&self, fd: i32) -> bool {
        self.get(fd).map_or(true, |f| f.ops().may_block())
    }

    /// Number of open descriptors.
    pub fn count(&self) -> usize {
        lock(&self.slots).iter().flatten().count()
    }

    /// Close every descriptor marked close-on-exec (`fd_closeexec`).
    pub fn close_on_exec(&self) {
        let (closing, fds): (Vec<Slot>, Vec<i32>) = {
            let mut slots = lock(&self.slots);
            slots
                .iter_mut()
                .enumerate()
                .filter(|(_, s)| s.as_ref().is_some_and(|s| s.cloexec))
                .filter_map(|(i, s)| s.take().map(|s| (s, i as i32)))
                .unzip()
        };
        self.knote_fdclose(|f| fds.contains(&f));
        restart_users(&closing);
        drop(closing);
    }

    /// Close every descriptor from `fd` up (`F_CLOSEM`).
    pub fn close_from(&self, fd: usize) {
        let closing: Vec<Slot> = {
            let mut slots = lock(&self.slots);
            slots.iter_mut().skip(fd).filter_map(Option::take).collect()
        };
        self.knote_fdclose(|f| usize::try_from(f).is_ok_and(|f| f >= fd));
        restart_users(&closing);
        drop(closing);
    }

    /// Close every descriptor (process exit when the table is not shared).
    pub fn close_all(&self) {
        let all = std::mem::take(&mut *lock(&self.slots));
        self.knote_fdclose(|_| true);
        restart_users(all.iter().flatten());
        drop(all);
    }
}

/// Calls still using the closed descriptors' files wake and restart (as
/// NetBSD's `fd_close` calls `fo_restart`).
fn restart_users<'a>(closed: impl IntoIterator<Item = &'a Slot>) {
    for s in closed {
        s.file.ops().restart();
    }
}
