//! SYSCALL requests: which run on the connection's reader thread and
//! which on the worker pool, and the call itself as an lwp of the
//! client's process.

use super::*;

/// The reply to a system call that failed with `e`.
pub(super) fn error_resp(e: Errno) -> SysResp {
    SysResp {
        error: e.0,
        retval: [-1, 0],
    }
}

/// Calls of one client running at once; more are answered EAGAIN.
pub(super) const MAX_CALLS_PER_CLIENT: usize = 1024;

/// Copyout bytes held back for the reply before they are sent anyway.
pub(super) const MAX_HELD: usize = 256 << 10;

/// System calls that never block (on the file systems there are): run on
/// the connection's reader thread when nothing else of the client runs,
/// which saves a hand-off between threads per call. Everything else, and
/// any call that may wait (sleeps, polls, locks, reads and writes that may
/// meet pipes or sockets, reboot), goes to the worker pool: `open` and
/// `openat` too, which wait at a FIFO for its other side.
pub(super) const INLINE_SYSCALLS: &[usize] = &[
    SYS_link,
    SYS_unlink,
    SYS_chdir,
    SYS_fchdir,
    SYS_chmod,
    SYS_chown,
    SYS_getpid,
    SYS_setuid,
    SYS_getuid,
    SYS_geteuid,
    SYS_access,
    SYS_getppid,
    SYS_getegid,
    SYS_getgid,
    SYS___getlogin,
    SYS___setlogin,
    SYS_symlink,
    SYS_readlink,
    SYS_umask,
    SYS_getgroups,
    SYS_setgroups,
    SYS_fchown,
    SYS_fchmod,
    SYS_setreuid,
    SYS_setregid,
    SYS_rename,
    SYS_mkdir,
    SYS_rmdir,
    SYS_pread,
    SYS_pwrite,
    SYS_setgid,
    SYS_setegid,
    SYS_seteuid,
    SYS_getrlimit,
    SYS_setrlimit,
    SYS_lseek,
    SYS_truncate,
    SYS_ftruncate,
    SYS___sysctl,
    SYS___getcwd,
    SYS_issetugid,
    SYS_statvfs1,
    SYS_fstatvfs1,
    SYS___getdents30,
    SYS___gettimeofday50,
    SYS___clock_gettime50,
    SYS___clock_getres50,
    SYS___stat50,
    SYS___fstat50,
    SYS___lstat50,
    SYS_linkat,
    SYS_renameat,
    SYS_mkdirat,
    SYS_faccessat,
    SYS_fchmodat,
    SYS_fchownat,
    SYS_fstatat,
    SYS_readlinkat,
    SYS_symlinkat,
    SYS_unlinkat,
];

/// read, write, readv, writev, pread, pwrite, preadv, pwritev: inline when
/// their descriptor's file never waits (see `FileOps::may_block`).
pub(super) const INLINE_IF_FILE_NEVER_WAITS: &[usize] = &[
    SYS_read,
    SYS_write,
    SYS_readv,
    SYS_writev,
    SYS_pread,
    SYS_pwrite,
    SYS_preadv,
    SYS_pwritev,
];

impl Shared {
    pub(super) fn syscall(
        self: &Arc<Self>,
        conn: &Arc<Conn>,
        h: Header,
        payload: Vec<u8>,
        on_reader: bool,
    ) {
        if on_reader
            && (INLINE_SYSCALLS.contains(&(h.union as usize))
                || self.io_never_waits(conn, &h, &payload))
            && conn.calls() == 0
        {
            conn.begin();
            let answer = self.run_syscall(conn, &h, &payload, Some(self));
            conn.answer_syscall(h.reqno, answer);
            conn.end();
            return;
        }
        // Each call waiting in the kernel holds a host thread: one client
        // may not make the server start them without bound.
        if conn.calls() >= MAX_CALLS_PER_CLIENT {
            conn.answer_syscall(h.reqno, (Some(error_resp(Errno::EAGAIN)), Vec::new()));
            return;
        }
        conn.begin();
        let (me, job_conn) = (Arc::clone(self), Arc::clone(conn));
        let job = self.workers.submit(Box::new(move || {
            // None: a halt has answered this reboot call itself.
            let answer = me.run_syscall(&job_conn, &h, &payload, None);
            job_conn.answer_syscall(h.reqno, answer);
            job_conn.end();
        }));
        if job.is_err() {
            conn.answer_syscall(h.reqno, (Some(error_resp(Errno::EAGAIN)), Vec::new()));
            conn.end();
        }
    }

    /// Whether `h` is a read or write on a descriptor whose file never
    /// waits, which can then run inline like the calls that never block.
    pub(super) fn io_never_waits(&self, conn: &Conn, h: &Header, payload: &[u8]) -> bool {
        if !INLINE_IF_FILE_NEVER_WAITS.contains(&(h.union as usize)) {
            return false;
        }
        let (Some(args), Some(pid)) = (payload::parse_args(payload), conn.pid()) else {
            return false;
        };
        let fd = args.first().map_or(-1, |&a| a as u32 as i32);
        self.kernel
            .procs()
            .find(pid)
            .is_some_and(|p| !p.fdt().may_block(fd))
    }

    pub(super) fn run_syscall(
        &self,
        conn: &Arc<Conn>,
        h: &Header,
        payload: &[u8],
        inline: Option<&Arc<Shared>>,
    ) -> (Option<SysResp>, Vec<u8>) {
        let k = &self.kernel;
        let fail = |e: Errno| (Some(error_resp(e)), Vec::new());
        let Some(args) = payload::parse_args(payload) else {
            return fail(Errno::EINVAL);
        };
        let Some(pid) = conn.pid() else {
            return fail(Errno::ESRCH);
        };
        if conn.in_exec.load(Ordering::Acquire) {
            return fail(Errno::EBUSY);
        }
        let lwp = match k.lwproc_newlwp(pid) {
            Ok(l) => l,
            Err(e) => {
                return fail(if e == Errno::ESRCH {
                    Errno::ESRCH
                } else {
                    Errno::EBUSY
                });
            }
        };
        // Its reply is sent by the halt itself, before the process exits.
        if h.union as usize == SYS_reboot {
            *lock(&self.halting) = Some((Arc::clone(conn), h.reqno));
        }
        let space = RemoteSpace {
            conn,
            held: std::cell::RefCell::new(Vec::new()),
            inline,
        };
        let r = k.syscall_as(&lwp, h.union as usize, &args, &space);
        drop(lwp);
        let held = space.take_held();
        // If the halt took the request over, it has been answered already.
        let answered = h.union as usize == SYS_reboot && lock(&self.halting).take().is_none();
        k.lwproc_releaselwp();
        if answered {
            return (None, held);
        }
        let resp = match r {
            Ok([a, b]) => SysResp {
                error: 0,
                retval: [a as i64, b as i64],
            },
            Err(e) => error_resp(e),
        };
        (Some(resp), held)
    }
}
