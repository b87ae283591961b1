//! The FUSE file system: each request becomes the kernel's system calls on
//! the kernel path of the node it names, run as the caller.

use crate::attr::{file_attr, linux_errno};
use crate::caller::{self, Caller};
use crate::nodes::Nodes;
use crate::watchdog::{Answer, Watchdog};
use fuser::{FileAttr, FileHandle, INodeNo, Request, TimeOrNow};
use rump::lwproc::Proc;
use rump::{Errno, Kernel};
use rumpvfs::{Dirent, TimeArg, VfsCalls};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

/// How long the host may keep attributes and names without asking again.
pub(crate) const TTL: Duration = Duration::from_secs(1);
/// The largest read or write one request carries.
pub const MAX_IO: u32 = 1 << 20;

/// What a session is told at its start.
#[derive(Clone, Debug)]
pub struct Options {
    /// Run every request as this user instead of the caller's.
    pub uid: Option<u32>,
    /// Run every request as this group instead of the caller's.
    pub gid: Option<u32>,
    /// Print each request and its result on stderr.
    pub debug: bool,
    /// Answer EIO to a request still in the kernel after this long.
    pub timeout: Duration,
    /// Request threads.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            uid: None,
            gid: None,
            debug: false,
            timeout: Duration::from_secs(30),
            threads: 4,
        }
    }
}

/// A directory read at `opendir`, served from memory to `readdir`.
pub(crate) type DirList = Arc<Vec<Dirent>>;

/// A kernel file system served to the host's FUSE.
pub struct P2k {
    pub(crate) k: Arc<Kernel>,
    pub(crate) base: Arc<Proc>,
    pub(crate) nodes: Mutex<Nodes>,
    pub(crate) dirs: Mutex<HashMap<u64, DirList>>,
    pub(crate) next_dir: AtomicU64,
    pub(crate) opts: Options,
    pub(crate) dog: Watchdog,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A name from the host as a kernel path component: the kernel's
/// path calls take UTF-8.
pub(crate) fn utf8(name: &OsStr) -> Result<&str, Errno> {
    name.to_str().ok_or(Errno::EILSEQ)
}

/// A time for `utimensat`: none given is `UTIME_OMIT`.
fn time_arg(t: Option<TimeOrNow>) -> TimeArg {
    match t {
        None => TimeArg::Omit,
        Some(TimeOrNow::Now) => TimeArg::Now,
        Some(TimeOrNow::SpecificTime(t)) => match t.duration_since(UNIX_EPOCH) {
            Ok(d) => TimeArg::At(d.as_secs() as i64, i64::from(d.subsec_nanos())),
            Err(e) => {
                let d = e.duration();
                let ns = d.subsec_nanos();
                if ns == 0 {
                    TimeArg::At(-(d.as_secs() as i64), 0)
                } else {
                    TimeArg::At(-(d.as_secs() as i64) - 1, i64::from(1_000_000_000 - ns))
                }
            }
        },
    }
}

/// Where the arguments of a raw system call are put.
pub(crate) const ARGS_AT: u64 = 0x1000;

impl P2k {
    /// Serve the file system mounted at kernel path `root` of `k`. The
    /// calling thread makes a process for the session (its requests' parent
    /// and owner of their open files).
    pub fn new(k: Arc<Kernel>, root: &str, opts: Options) -> Result<P2k, String> {
        let procs = k.procs();
        let comm = "p2k";
        procs
            .rfork(rump::lwproc::ForkFd::Clear, Some(comm))
            .map_err(|e| format!("cannot make the session's process: {e}"))?;
        let base = procs.curproc();
        // The host's kernel applied the caller's umask already.
        k.sys_umask(0).map_err(|e| format!("umask: {e}"))?;
        let nofile = rump::resource::RLIMIT_NOFILE;
        if let Some(l) = base.limit(nofile) {
            base.set_limit(nofile, rump::resource::Rlimit { cur: l.max, ..l });
        }
        let st = k
            .sys_stat(root)
            .map_err(|e| format!("{root}: cannot stat the mounted root: {e}"))?;
        let kernel = Arc::clone(&k);
        let dog = Watchdog::start(
            opts.timeout,
            opts.threads,
            Box::new(move |op, secs| {
                kernel.printf(&format!(
                    "p2k: {op} still in the kernel after {secs} s: answered EIO"
                ))
            }),
        )
        .map_err(|e| format!("cannot start the watchdog: {e}"))?;
        Ok(P2k {
            k,
            base,
            nodes: Mutex::new(Nodes::new(root, st.ino)),
            dirs: Mutex::new(HashMap::new()),
            next_dir: AtomicU64::new(1),
            opts,
            dog,
        })
    }

    /// The descriptor table the session's open files are in (to close
    /// what the host left open before unmounting in the kernel).
    pub fn descriptors(&self) -> Arc<rump::file::FdTable> {
        self.base.fdt()
    }

    /// The number of nodes the host holds (the root included).
    pub fn nodes_held(&self) -> usize {
        lock(&self.nodes).len()
    }

    /// Run `work` for a request as its caller under the watchdog, and
    /// answer with `ok` or the error.
    pub(crate) fn serve<R: Answer, T>(
        &self,
        req: &Request,
        op: &'static str,
        what: std::fmt::Arguments<'_>,
        reply: R,
        work: impl FnOnce() -> Result<T, Errno>,
        ok: impl FnOnce(R, T),
    ) {
        let ticket = match self.dog.begin(op, reply) {
            Ok(t) => t,
            Err(r) => return r.fail(fuser::Errno::EIO),
        };
        let caller = Caller::of(
            req.pid(),
            req.uid(),
            req.gid(),
            self.opts.uid,
            self.opts.gid,
        );
        let res = caller::enter(&self.k, &self.base, &caller).and_then(|()| work());
        if self.opts.debug {
            let (uid, pid) = (caller.uid, req.pid());
            match &res {
                Ok(_) => eprintln!("p2k: {op} {what} (uid {uid} pid {pid}): ok"),
                Err(e) => eprintln!("p2k: {op} {what} (uid {uid} pid {pid}): {e}"),
            }
        }
        let Some(r) = ticket.finish() else { return };
        match res {
            Ok(v) => ok(r, v),
            Err(e) => r.fail(linux_errno(e)),
        }
    }

    pub(crate) fn path(&self, id: INodeNo) -> Result<String, Errno> {
        lock(&self.nodes).path(id.0).ok_or(Errno::ENOENT)
    }

    pub(crate) fn child(&self, parent: INodeNo, name: &OsStr) -> Result<String, Errno> {
        let name = utf8(name)?;
        lock(&self.nodes)
            .child_path(parent.0, name)
            .ok_or(Errno::ENOENT)
    }

    /// The attributes of the node at `path`, with its node id.
    pub(crate) fn attr_at(&self, path: &str) -> Result<FileAttr, Errno> {
        let st = self.k.sys_lstat(path)?;
        let mut a = file_attr(&st)?;
        a.ino = INodeNo(lock(&self.nodes).id_of(st.ino));
        Ok(a)
    }

    /// Look `path` up for the host: its attributes, counted as a lookup.
    pub(crate) fn entry_at(&self, path: String) -> Result<FileAttr, Errno> {
        let st = self.k.sys_lstat(&path)?;
        let mut a = file_attr(&st)?;
        let mut nodes = lock(&self.nodes);
        let id = nodes.id_of(st.ino);
        a.ino = INodeNo(id);
        nodes.looked_up(id, path);
        Ok(a)
    }

    /// Attributes of node `id`: through the open file when there is one
    /// (an unlinked file has no path), else by its path.
    pub(crate) fn attr_of(&self, id: INodeNo, fh: Option<FileHandle>) -> Result<FileAttr, Errno> {
        let st = match fh {
            Some(fh) if !self.is_dir_handle(fh) => self.k.sys_fstat(fd(fh)?)?,
            _ => self.k.sys_lstat(&self.path(id)?)?,
        };
        let mut a = file_attr(&st)?;
        a.ino = INodeNo(lock(&self.nodes).id_of(st.ino));
        Ok(a)
    }

    pub(crate) fn is_dir_handle(&self, fh: FileHandle) -> bool {
        fh.0 & DIR_HANDLE != 0
    }

    /// `utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW)`.
    pub(crate) fn set_times(
        &self,
        path: &str,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
    ) -> Result<(), Errno> {
        let flags = netbsd_abi::AT_SYMLINK_NOFOLLOW;
        self.k
            .sys_utimensat(path, time_arg(atime), time_arg(mtime), flags)
    }

    /// Read a whole directory for `opendir`.
    pub(crate) fn read_dir(&self, path: &str) -> Result<DirList, Errno> {
        let fd = self
            .k
            .sys_open(path, netbsd_abi::O_RDONLY | netbsd_abi::O_DIRECTORY, 0)?;
        let r = self.k.sys_getdents(fd);
        let _ = self.k.sys_close(fd);
        Ok(Arc::new(r?))
    }
}

/// Directory handles are told from file descriptors by this bit.
pub(crate) const DIR_HANDLE: u64 = 1 << 62;

/// The kernel descriptor a file handle is.
pub(crate) fn fd(fh: FileHandle) -> Result<i32, Errno> {
    i32::try_from(fh.0).map_err(|_| Errno::EBADF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utimensat_times() {
        assert_eq!(time_arg(None), TimeArg::Omit);
        assert_eq!(time_arg(Some(TimeOrNow::Now)), TimeArg::Now);
        let t = UNIX_EPOCH + Duration::new(5, 7);
        assert_eq!(
            time_arg(Some(TimeOrNow::SpecificTime(t))),
            TimeArg::At(5, 7)
        );
        let t = UNIX_EPOCH - Duration::new(1, 250_000_000);
        let at = time_arg(Some(TimeOrNow::SpecificTime(t)));
        assert_eq!(at, TimeArg::At(-2, 750_000_000));
        let t = UNIX_EPOCH - Duration::new(3, 0);
        assert_eq!(
            time_arg(Some(TimeOrNow::SpecificTime(t))),
            TimeArg::At(-3, 0)
        );
    }
}
