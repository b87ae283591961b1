//! The FUSE requests, each as the kernel's system calls on the node's
//! kernel path, run by [`P2k::serve`] as the caller under the watchdog.

use crate::attr::dirent_type;
use crate::fs::{ARGS_AT, DIR_HANDLE, MAX_IO, P2k, TTL, fd, lock, utf8};
use crate::nodes::join;
use crate::xattr::XattrOp;
use fuser::{
    AccessFlags, FileHandle, Filesystem, FopenFlags, Generation, INodeNo, KernelConfig, LockOwner,
    OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory, ReplyDirectoryPlus,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, ReplyXattr, Request, TimeOrNow,
    WriteFlags,
};
use linux_xlate::{dev_to_netbsd, open_flags_to_netbsd};
use rump::Errno;
use rump::usermem::BufferSpace;
use rumpvfs::VfsCalls;
use rumpvfs::pathconf::PC_NAME_MAX;
use std::ffi::OsStr;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

thread_local! {
    /// Each request thread's read buffer, kept: a fresh megabyte for each
    /// read is a fresh mapping whose every page faults in.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Filesystem for P2k {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Both are requests to the host's kernel; a smaller limit it
        // answers with is kept.
        let _ = config.set_max_write(MAX_IO);
        let _ = config.set_max_readahead(MAX_IO);
        let _ = config.add_capabilities(
            fuser::InitFlags::FUSE_DO_READDIRPLUS | fuser::InitFlags::FUSE_READDIRPLUS_AUTO,
        );
        Ok(())
    }

    fn lookup(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        self.serve(
            req,
            "lookup",
            format_args!("{} {name:?}", parent.0),
            reply,
            || self.entry_at(self.child(parent, name)?),
            |r, a| r.entry(&TTL, &a, Generation(0)),
        );
    }

    fn forget(&self, _req: &Request, ino: INodeNo, nlookup: u64) {
        lock(&self.nodes).forget(ino.0, nlookup);
    }

    fn getattr(&self, req: &Request, ino: INodeNo, fh: Option<FileHandle>, reply: ReplyAttr) {
        self.serve(
            req,
            "getattr",
            format_args!("{}", ino.0),
            reply,
            || self.attr_of(ino, fh),
            |r, a| r.attr(&TTL, &a),
        );
    }

    fn setattr(
        &self,
        req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        let fh = fh.filter(|f| !self.is_dir_handle(*f));
        self.serve(
            req,
            "setattr",
            format_args!(
                "{} mode {mode:?} uid {uid:?} gid {gid:?} size {size:?}",
                ino.0
            ),
            reply,
            || {
                if flags.is_some() {
                    return Err(Errno::EOPNOTSUPP);
                }
                let path = self.path(ino);
                if let Some(size) = size {
                    let len = i64::try_from(size).map_err(|_| Errno::EFBIG)?;
                    match fh {
                        Some(fh) => self.k.sys_ftruncate(fd(fh)?, len)?,
                        None => self.k.sys_truncate(&path.clone()?, len)?,
                    }
                }
                if uid.is_some() || gid.is_some() {
                    let (u, g) = (uid.unwrap_or(u32::MAX), gid.unwrap_or(u32::MAX));
                    match fh {
                        Some(fh) => self.k.sys_fchown(fd(fh)?, u, g)?,
                        None => self.k.sys_lchown(&path.clone()?, u, g)?,
                    }
                }
                if let Some(mode) = mode {
                    match fh {
                        Some(fh) => self.k.sys_fchmod(fd(fh)?, mode & 0o7777)?,
                        None => self.k.sys_chmod(&path.clone()?, mode & 0o7777)?,
                    }
                }
                if atime.is_some() || mtime.is_some() {
                    self.set_times(&path.clone()?, atime, mtime)?;
                }
                self.attr_of(ino, fh)
            },
            |r, a| r.attr(&TTL, &a),
        );
    }

    fn readlink(&self, req: &Request, ino: INodeNo, reply: ReplyData) {
        self.serve(
            req,
            "readlink",
            format_args!("{}", ino.0),
            reply,
            || self.k.sys_readlink(&self.path(ino)?),
            |r, target| r.data(&target),
        );
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        rdev: u32,
        reply: ReplyEntry,
    ) {
        self.serve(
            req,
            "mknod",
            format_args!("{} {name:?} mode {mode:o} rdev {rdev}", parent.0),
            reply,
            || {
                let path = self.child(parent, name)?;
                let fmt = mode & libc::S_IFMT;
                if fmt == libc::S_IFIFO {
                    self.k.sys_mkfifo(&path, mode & 0o7777)?;
                } else if fmt == libc::S_IFREG || fmt == 0 {
                    let flags = netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT | netbsd_abi::O_EXCL;
                    let fd = self.k.sys_open(&path, flags, mode & 0o7777)?;
                    self.k.sys_close(fd)?;
                } else {
                    // The type bits are the same numbers on both systems.
                    self.k
                        .sys_mknod(&path, mode, dev_to_netbsd(u64::from(rdev)))?;
                }
                self.entry_at(path)
            },
            |r, a| r.entry(&TTL, &a, Generation(0)),
        );
    }

    fn mkdir(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        self.serve(
            req,
            "mkdir",
            format_args!("{} {name:?} mode {mode:o}", parent.0),
            reply,
            || {
                let path = self.child(parent, name)?;
                self.k.sys_mkdir(&path, mode & 0o7777)?;
                self.entry_at(path)
            },
            |r, a| r.entry(&TTL, &a, Generation(0)),
        );
    }

    fn unlink(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let remove = |path: &str| self.k.sys_unlink(path);
        self.serve_remove(req, "unlink", (parent, name), reply, remove);
    }

    fn rmdir(&self, req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        let remove = |path: &str| self.k.sys_rmdir(path);
        self.serve_remove(req, "rmdir", (parent, name), reply, remove);
    }

    fn symlink(
        &self,
        req: &Request,
        parent: INodeNo,
        link_name: &OsStr,
        target: &Path,
        reply: ReplyEntry,
    ) {
        self.serve(
            req,
            "symlink",
            format_args!("{} {link_name:?} -> {target:?}", parent.0),
            reply,
            || {
                let path = self.child(parent, link_name)?;
                let target = utf8(target.as_os_str())?;
                self.k.sys_symlink(target, &path)?;
                self.entry_at(path)
            },
            |r, a| r.entry(&TTL, &a, Generation(0)),
        );
    }

    fn rename(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        self.serve(
            req,
            "rename",
            format_args!(
                "{} {name:?} -> {} {newname:?} flags {flags:?}",
                parent.0, newparent.0
            ),
            reply,
            || {
                // NetBSD's rename has no flags: refused as a Linux file
                // system without them refuses them, and callers (mv)
                // fall back to a plain rename.
                if !flags.is_empty() {
                    return Err(Errno::EINVAL);
                }
                let from = self.child(parent, name)?;
                let to = self.child(newparent, newname)?;
                self.k.sys_rename(&from, &to)?;
                lock(&self.nodes).renamed(&from, &to);
                Ok(())
            },
            |r, ()| r.ok(),
        );
    }

    fn link(
        &self,
        req: &Request,
        ino: INodeNo,
        newparent: INodeNo,
        newname: &OsStr,
        reply: ReplyEntry,
    ) {
        self.serve(
            req,
            "link",
            format_args!("{} -> {} {newname:?}", ino.0, newparent.0),
            reply,
            || {
                let from = self.path(ino)?;
                let to = self.child(newparent, newname)?;
                self.k.sys_link(&from, &to)?;
                self.entry_at(to)
            },
            |r, a| r.entry(&TTL, &a, Generation(0)),
        );
    }

    fn open(&self, req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        self.serve(
            req,
            "open",
            format_args!("{} flags {:#x}", ino.0, flags.0),
            reply,
            || {
                let kflags = open_flags_to_netbsd(flags.0 & !libc::O_CLOEXEC)
                    .map_err(|e| Errno(linux_xlate::errno_to_netbsd(e)))?;
                let fd = self
                    .k
                    .sys_open(&self.path(ino)?, kflags | netbsd_abi::O_NOFOLLOW, 0)?;
                Ok(FileHandle(fd as u64))
            },
            |r, fh| r.opened(fh, FopenFlags::empty()),
        );
    }

    fn read(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        self.serve(
            req,
            "read",
            format_args!("fh {} offset {offset} size {size}", fh.0),
            reply,
            || {
                let off = i64::try_from(offset).map_err(|_| Errno::EINVAL)?;
                let len = size.min(MAX_IO) as usize;
                READ_BUF.with_borrow_mut(|buf| {
                    if buf.len() < len {
                        buf.resize(len, 0);
                    }
                    self.k.sys_pread(fd(fh)?, &mut buf[..len], off)
                })
            },
            |r, n| READ_BUF.with_borrow(|buf| r.data(&buf[..n])),
        );
    }

    fn write(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        self.serve(
            req,
            "write",
            format_args!("fh {} offset {offset} size {}", fh.0, data.len()),
            reply,
            || {
                let off = i64::try_from(offset).map_err(|_| Errno::EFBIG)?;
                let n = self.k.sys_pwrite(fd(fh)?, data, off)?;
                Ok(n as u32)
            },
            |r, n| r.written(n),
        );
    }

    fn flush(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        // Writes go to the kernel as they come: nothing is held here. The
        // descriptor is checked, as close(2) would.
        let check = |fd| self.k.sys_fstat(fd).map(|_| ());
        self.serve_on_fd(req, "flush", fh, reply, check);
    }

    fn release(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        self.serve_on_fd(req, "release", fh, reply, |fd| self.k.sys_close(fd));
    }

    fn fsync(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.serve_on_fd(req, "fsync", fh, reply, |fd| self.k.sys_fsync(fd));
    }

    fn opendir(&self, req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        self.serve(
            req,
            "opendir",
            format_args!("{}", ino.0),
            reply,
            || {
                let list = self.read_dir(&self.path(ino)?)?;
                let h = self.next_dir.fetch_add(1, Ordering::Relaxed) | DIR_HANDLE;
                lock(&self.dirs).insert(h, list);
                Ok(FileHandle(h))
            },
            |r, fh| r.opened(fh, FopenFlags::empty()),
        );
    }

    fn readdir(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let list = lock(&self.dirs).get(&fh.0).cloned();
        let Some(list) = list else {
            return reply.error(fuser::Errno::EBADF);
        };
        let _ = req;
        let nodes = lock(&self.nodes);
        for (i, e) in list.iter().enumerate().skip(offset as usize) {
            let name = OsStr::new(std::str::from_utf8(&e.name).unwrap_or("\u{fffd}"));
            let name = if std::str::from_utf8(&e.name).is_ok() {
                name
            } else {
                // A name the kernel path calls cannot take back is left out.
                continue;
            };
            let id = nodes.id_of(e.ino);
            if reply.add(INodeNo(id), i as u64 + 1, dirent_type(e.typ), name) {
                break;
            }
        }
        drop(nodes);
        reply.ok();
    }

    fn readdirplus(
        &self,
        req: &Request,
        ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        reply: ReplyDirectoryPlus,
    ) {
        let list = lock(&self.dirs).get(&fh.0).cloned();
        let Some(list) = list else {
            return reply.error(fuser::Errno::EBADF);
        };
        self.serve(
            req,
            "readdirplus",
            format_args!("{} offset {offset}", ino.0),
            reply,
            || self.path(ino),
            |mut r, dir| {
                for (i, e) in list.iter().enumerate().skip(offset as usize) {
                    let Ok(name) = std::str::from_utf8(&e.name) else {
                        continue;
                    };
                    let dots = name == "." || name == "..";
                    let path = join(&dir, name);
                    let attr = if dots {
                        self.attr_at(&path)
                    } else {
                        self.entry_at(path.clone())
                    };
                    // An entry that vanished since opendir is left out.
                    let Ok(a) = attr else { continue };
                    if r.add(a.ino, i as u64 + 1, name, &TTL, &a, Generation(0)) {
                        if !dots {
                            // Not sent: the lookup is not the host's.
                            lock(&self.nodes).forget(a.ino.0, 1);
                        }
                        break;
                    }
                }
                r.ok()
            },
        );
    }

    fn releasedir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        _flags: OpenFlags,
        reply: ReplyEmpty,
    ) {
        lock(&self.dirs).remove(&fh.0);
        reply.ok();
    }

    fn fsyncdir(
        &self,
        req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.serve(
            req,
            "fsyncdir",
            format_args!("{}", ino.0),
            reply,
            || {
                let fd = self.k.sys_open(&self.path(ino)?, netbsd_abi::O_RDONLY, 0)?;
                let r = self.k.sys_fsync(fd);
                let _ = self.k.sys_close(fd);
                r
            },
            |r, ()| r.ok(),
        );
    }

    fn statfs(&self, req: &Request, ino: INodeNo, reply: ReplyStatfs) {
        self.serve(
            req,
            "statfs",
            format_args!("{}", ino.0),
            reply,
            || {
                let path = self.path(ino)?;
                let name_max = self.k.sys_pathconf(&path, PC_NAME_MAX)?;
                Ok((self.k.sys_statvfs(&path)?, name_max))
            },
            |r, (s, name_max)| {
                r.statfs(
                    s.blocks,
                    s.bfree,
                    s.bavail,
                    s.files,
                    s.ffree,
                    s.bsize as u32,
                    u32::try_from(name_max).unwrap_or(u32::MAX),
                    s.frsize as u32,
                )
            },
        );
    }

    fn access(&self, req: &Request, ino: INodeNo, mask: AccessFlags, reply: ReplyEmpty) {
        self.serve(
            req,
            "access",
            format_args!("{} mask {:#o}", ino.0, mask.bits()),
            reply,
            || {
                let mut amode = netbsd_abi::F_OK;
                for (l, n) in [
                    (AccessFlags::R_OK, netbsd_abi::R_OK),
                    (AccessFlags::W_OK, netbsd_abi::W_OK),
                    (AccessFlags::X_OK, netbsd_abi::X_OK),
                ] {
                    if mask.contains(l) {
                        amode |= n;
                    }
                }
                self.k.sys_access(&self.path(ino)?, amode)
            },
            |r, ()| r.ok(),
        );
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        _umask: u32,
        flags: i32,
        reply: ReplyCreate,
    ) {
        self.serve(
            req,
            "create",
            format_args!("{} {name:?} mode {mode:o} flags {flags:#x}", parent.0),
            reply,
            || {
                let path = self.child(parent, name)?;
                let kflags = open_flags_to_netbsd(flags & !libc::O_CLOEXEC)
                    .map_err(|e| Errno(linux_xlate::errno_to_netbsd(e)))?;
                let fd = self
                    .k
                    .sys_open(&path, kflags | netbsd_abi::O_CREAT, mode & 0o7777)?;
                match self.entry_at(path) {
                    Ok(a) => Ok((a, fd)),
                    Err(e) => {
                        let _ = self.k.sys_close(fd);
                        Err(e)
                    }
                }
            },
            |r, (a, fd)| {
                r.created(
                    &TTL,
                    &a,
                    Generation(0),
                    FileHandle(fd as u64),
                    FopenFlags::empty(),
                )
            },
        );
    }

    fn getxattr(&self, req: &Request, ino: INodeNo, name: &OsStr, size: u32, reply: ReplyXattr) {
        self.serve_xattr(req, XattrOp::Get { ino, name, size }, reply);
    }

    fn listxattr(&self, req: &Request, ino: INodeNo, size: u32, reply: ReplyXattr) {
        self.serve_xattr(req, XattrOp::List { ino, size }, reply);
    }

    fn setxattr(
        &self,
        req: &Request,
        ino: INodeNo,
        name: &OsStr,
        value: &[u8],
        flags: i32,
        position: u32,
        reply: ReplyEmpty,
    ) {
        let op = XattrOp::Set {
            ino,
            name,
            value,
            flags,
            position,
        };
        self.serve_xattr(req, op, reply);
    }

    fn removexattr(&self, req: &Request, ino: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        self.serve_xattr(req, XattrOp::Remove { ino, name }, reply);
    }

    fn fallocate(
        &self,
        req: &Request,
        _ino: INodeNo,
        fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        self.serve(
            req,
            "fallocate",
            format_args!("fh {} offset {offset} length {length} mode {mode:#x}", fh.0),
            reply,
            || {
                // Modes (keep size, punch hole, ...) have no NetBSD call.
                if mode != 0 {
                    return Err(Errno::EOPNOTSUPP);
                }
                let space = BufferSpace::new(ARGS_AT, 1);
                // posix_fallocate(fd, PAD, pos, len): off_t arguments
                // start at the third slot on amd64.
                let args = [fh.0, 0, offset, length];
                let r = self
                    .k
                    .syscall(netbsd_abi::SYS_posix_fallocate, &args, &space)?;
                // posix_fallocate answers with its error as the value.
                match r[0] as i32 {
                    0 => Ok(()),
                    e => Err(Errno(e)),
                }
            },
            |r, ()| r.ok(),
        );
    }
}

impl P2k {
    /// Serve `op` (`unlink`, `rmdir`) of `name` in directory `parent`:
    /// `remove` takes its kernel path, which then names no node.
    fn serve_remove(
        &self,
        req: &Request,
        op: &'static str,
        (parent, name): (INodeNo, &OsStr),
        reply: ReplyEmpty,
        remove: impl FnOnce(&str) -> Result<(), Errno>,
    ) {
        self.serve(
            req,
            op,
            format_args!("{} {name:?}", parent.0),
            reply,
            || {
                let path = self.child(parent, name)?;
                remove(&path)?;
                lock(&self.nodes).removed(&path);
                Ok(())
            },
            |r, ()| r.ok(),
        );
    }

    /// Serve `op` (`flush`, `release`, `fsync`) of open file `fh`: `call`
    /// takes its kernel descriptor.
    fn serve_on_fd(
        &self,
        req: &Request,
        op: &'static str,
        fh: FileHandle,
        reply: ReplyEmpty,
        call: impl FnOnce(i32) -> Result<(), Errno>,
    ) {
        self.serve(
            req,
            op,
            format_args!("fh {}", fh.0),
            reply,
            || call(fd(fh)?),
            |r, ()| r.ok(),
        );
    }
}
