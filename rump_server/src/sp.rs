//! The sysproxy server: a kernel's system calls served to remote clients
//! over the rump_sp protocol 0.4 (`docs/sysproxy-protocol.md`).
//!
//! One reader thread per connection reads frames; system calls run on a
//! pool of worker threads, each as a fresh lwp of the client's process, and
//! reach the client's memory through COPYIN/COPYOUT round trips that the
//! reader thread routes back by request number.

use crate::incoming::FrameReader;
use crate::pool::WorkerPool;
use netbsd_abi::syscalls::*;
use rump::Kernel;
use rump::errno::{Errno, KResult};
use rump::lwproc::{ForkFd, Lwp};
use rump::usermem::UserSpace;
use rumpuser::{HostListener, HostStream, SpareDescriptor};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use sysproxy::payload::{self, CopyData, HandshakeFork, SysResp};
use sysproxy::{Class, HEADER_LEN, Handshake, Header, MAX_COPY, SpError, Type, Url};

/// How long a refused client is given to send its handshake, which is
/// answered with the reason (see [`Shared::refuse`]).
const REFUSAL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running server.
pub struct SpServer {
    shared: Arc<Shared>,
}

struct Shared {
    kernel: Arc<Kernel>,
    listener: HostListener,
    banner: String,
    workers: WorkerPool,
    /// Processes copied at PREFORK, waiting for the child's FORK handshake.
    preforks: Mutex<HashMap<[u8; payload::COOKIE_LEN], Arc<Lwp>>>,
    /// The reboot request being executed, answered by the halt itself.
    halting: Mutex<Option<(Arc<Conn>, u64)>>,
    stopping: AtomicBool,
    clients: AtomicUsize,
    /// Connection threads, joined once finished so none is left behind.
    threads: Mutex<Vec<rumpuser::HostThread>>,
    /// Who may connect, and with which credentials.
    access: crate::access::Access,
}

/// One client connection.
struct Conn {
    /// The connection: the reader thread reads it, and whoever sends
    /// writes whole frames to it holding `sending`; shutting it down wakes
    /// the reader when the server stops.
    stream: HostStream,
    /// What the reader thread has read ahead (a call running inline on
    /// that thread reads its copy replies through it too).
    input: Mutex<FrameReader>,
    sending: Mutex<()>,
    next_reqno: AtomicU64,
    waiters: Mutex<HashMap<u64, SyncSender<Vec<u8>>>>,
    dead: AtomicBool,
    in_exec: AtomicBool,
    inflight: Mutex<Inflight>,
    idle: Condvar,
    main: Mutex<Option<Arc<Lwp>>>,
}

/// The requests of a connection being served, and who waits for fewer.
#[derive(Default)]
struct Inflight {
    calls: usize,
    /// Threads waiting in [`Conn::drain`]: only they need a wake-up when a
    /// call ends (a notification costs a host call even when nobody waits).
    drainers: usize,
}

impl Conn {
    fn send(&self, h: Header, payload: &[u8]) -> KResult<()> {
        self.send_after(Vec::new(), h, payload)
    }

    /// Send the frames in `held` and then one more, in a single write: the
    /// client wakes once for a call's copyouts and its reply, not per frame.
    fn send_after(&self, mut held: Vec<u8>, h: Header, payload: &[u8]) -> KResult<()> {
        if self.dead.load(Ordering::Acquire) {
            return Err(Errno::ENOTCONN);
        }
        held.reserve(HEADER_LEN + payload.len());
        held.extend_from_slice(&h.emit());
        held.extend_from_slice(payload);
        let _one = lock(&self.sending);
        self.stream.write_all(&held).map_err(|_| Errno::ENOTCONN)
    }

    /// Send frames already encoded.
    fn send_raw(&self, frames: &[u8]) -> KResult<()> {
        if frames.is_empty() {
            return Ok(());
        }
        if self.dead.load(Ordering::Acquire) {
            return Err(Errno::ENOTCONN);
        }
        let _one = lock(&self.sending);
        self.stream.write_all(frames).map_err(|_| Errno::ENOTCONN)
    }

    fn send_resp(&self, reqno: u64, typ: Type, payload: &[u8]) {
        self.send_resp_after(Vec::new(), reqno, typ, payload);
    }

    fn send_resp_after(&self, held: Vec<u8>, reqno: u64, typ: Type, payload: &[u8]) {
        let _ = self.send_after(
            held,
            Header::new(reqno, Class::Resp, typ, 0, payload.len()),
            payload,
        );
    }

    /// Answer a system call: its held copyouts, then its reply (none when
    /// a halt has answered the reboot call itself).
    fn answer_syscall(&self, reqno: u64, (resp, held): (Option<SysResp>, Vec<u8>)) {
        match resp {
            Some(r) => self.send_resp_after(held, reqno, Type::Syscall, &r.emit()),
            None => {
                let _ = self.send_raw(&held);
            }
        }
    }

    fn send_error(&self, reqno: u64, e: SpError) {
        let _ = self.send(
            Header::new(reqno, Class::Error, Type::Handshake, e.code(), 0),
            &[],
        );
    }

    fn shutdown(&self) {
        self.stream.shutdown();
    }

    /// Send a request to the client and wait for its reply.
    fn request(&self, typ: Type, payload: &[u8]) -> KResult<Vec<u8>> {
        let reqno = self.next_reqno.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = sync_channel(1);
        lock(&self.waiters).insert(reqno, tx);
        if let Err(e) = self.send(
            Header::new(reqno, Class::Req, typ, 0, payload.len()),
            payload,
        ) {
            lock(&self.waiters).remove(&reqno);
            return Err(e);
        }
        // A dead connection drops every waiter's sender: the wait ends.
        rx.recv().map_err(|_| Errno::EFAULT)
    }

    fn pid(&self) -> Option<i32> {
        lock(&self.main).as_ref().map(|l| l.proc().pid)
    }

    fn begin(&self) {
        lock(&self.inflight).calls += 1;
    }

    fn end(&self) {
        let mut n = lock(&self.inflight);
        n.calls -= 1;
        if n.drainers > 0 {
            self.idle.notify_all();
        }
    }

    /// Requests in flight.
    fn calls(&self) -> usize {
        lock(&self.inflight).calls
    }

    /// Wait until at most `keep` requests are in flight.
    fn drain(&self, keep: usize) {
        let mut n = lock(&self.inflight);
        n.drainers += 1;
        while n.calls > keep {
            n = self.idle.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        n.drainers -= 1;
    }

    /// The next frame from the client (see [`FrameReader::read_frame`]);
    /// only the connection's reader thread calls this.
    fn read_frame(&self) -> Option<(Header, Vec<u8>)> {
        lock(&self.input).read_frame(&self.stream)
    }
}

/// The client's memory, reached over the connection.
struct RemoteSpace<'a> {
    conn: &'a Arc<Conn>,
    /// COPYOUT frames not sent yet: they go out with the next frame that
    /// needs an answer, or with the call's reply.
    held: std::cell::RefCell<Vec<u8>>,
    /// Set when the call runs on the connection's reader thread: replies
    /// are read right here, other frames dispatched as the reader would.
    inline: Option<&'a Arc<Shared>>,
}

impl RemoteSpace<'_> {
    /// The copyouts held so far, taken.
    fn take_held(&self) -> Vec<u8> {
        std::mem::take(&mut *self.held.borrow_mut())
    }

    fn request(&self, typ: Type, payload: &[u8]) -> KResult<Vec<u8>> {
        let mut reply = Vec::new();
        self.request_with(typ, payload, Reply::Vec(&mut reply))?;
        Ok(reply)
    }

    /// Send request `typ` and take its reply as `into` says. A call on the
    /// reader thread reads the reply itself (into the kernel's buffer,
    /// without a copy of its own), dispatching what else comes first.
    fn request_with(&self, typ: Type, payload: &[u8], into: Reply<'_>) -> KResult<()> {
        let Some(shared) = self.inline else {
            // The client must see the copyouts before it answers.
            self.conn.send_raw(&self.take_held())?;
            let reply = self.conn.request(typ, payload)?;
            return into.fill(reply);
        };
        let reqno = self.conn.next_reqno.fetch_add(1, Ordering::Relaxed);
        self.conn.send_after(
            self.take_held(),
            Header::new(reqno, Class::Req, typ, 0, payload.len()),
            payload,
        )?;
        let lost = || {
            // The client left or sent a length no frame can have: end the
            // connection, so that the reader loop sees the end next.
            self.conn.dead.store(true, Ordering::Release);
            self.conn.shutdown();
            Errno::EFAULT
        };
        loop {
            let mut input = lock(&self.conn.input);
            let h = input.header(&self.conn.stream).ok_or_else(lost)?;
            if h.class == Class::Resp && h.reqno == reqno {
                let s = &self.conn.stream;
                return match into {
                    Reply::Vec(v) => {
                        *v = input.payload(s, &h).ok_or_else(lost)?;
                        Ok(())
                    }
                    Reply::Exact(out) => match input.payload_into(s, &h, out) {
                        Some(true) => Ok(()),
                        // NetBSD copies whatever arrived; a short or long
                        // reply is a fault.
                        Some(false) => Err(Errno::EFAULT),
                        None => Err(lost()),
                    },
                };
            }
            let p = input.payload(&self.conn.stream, &h).ok_or_else(lost)?;
            drop(input);
            if !shared.dispatch(self.conn, h, p, false) {
                self.conn.shutdown();
                return Err(Errno::EFAULT);
            }
        }
    }
}

/// Where the reply to a request to the client goes.
enum Reply<'a> {
    /// Into a vector of its length.
    Vec(&'a mut Vec<u8>),
    /// Into this buffer, which it must fill exactly (else EFAULT).
    Exact(&'a mut [u8]),
}

impl Reply<'_> {
    /// Put a reply read by the reader thread where it goes.
    fn fill(self, reply: Vec<u8>) -> KResult<()> {
        match self {
            Reply::Vec(v) => *v = reply,
            Reply::Exact(out) if out.len() == reply.len() => out.copy_from_slice(&reply),
            Reply::Exact(_) => return Err(Errno::EFAULT),
        }
        Ok(())
    }
}

/// The reply to a system call that failed with `e`.
fn error_resp(e: Errno) -> SysResp {
    SysResp {
        error: e.0,
        retval: [-1, 0],
    }
}

/// Calls of one client running at once; more are answered EAGAIN.
const MAX_CALLS_PER_CLIENT: usize = 1024;

/// Copyout bytes held back for the reply before they are sent anyway.
const MAX_HELD: usize = 256 << 10;

/// System calls that never block (on the file systems there are): run on
/// the connection's reader thread when nothing else of the client runs,
/// which saves a hand-off between threads per call. Everything else, and
/// any call that may wait (sleeps, polls, locks, reads and writes that may
/// meet pipes or sockets, reboot), goes to the worker pool: `open` and
/// `openat` too, which wait at a FIFO for its other side.
const INLINE_SYSCALLS: &[usize] = &[
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
const INLINE_IF_FILE_NEVER_WAITS: &[usize] = &[
    SYS_read,
    SYS_write,
    SYS_readv,
    SYS_writev,
    SYS_pread,
    SYS_pwrite,
    SYS_preadv,
    SYS_pwritev,
];

impl UserSpace for RemoteSpace<'_> {
    /// In requests of at most `MAX_COPY` bytes each, so that no reply
    /// (nor the memory this call holds for one) grows with the length.
    fn copyin(&self, addr: u64, buf: &mut [u8]) -> KResult<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        for piece in buf.chunks_mut(MAX_COPY) {
            let req = CopyData {
                len: piece.len() as u64,
                addr: at,
            }
            .emit(&[]);
            self.request_with(Type::Copyin, &req, Reply::Exact(piece))?;
            at = at.checked_add(piece.len() as u64).ok_or(Errno::EFAULT)?;
        }
        Ok(())
    }

    /// As COPYOUT frames of at most `MAX_COPY` bytes each.
    fn copyout(&self, addr: u64, data: &[u8]) -> KResult<()> {
        if data.is_empty() {
            return Ok(());
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        for piece in data.chunks(MAX_COPY) {
            let cd = CopyData {
                len: piece.len() as u64,
                addr: at,
            }
            .emit(&[]);
            let h = Header::new(
                self.conn.next_reqno.fetch_add(1, Ordering::Relaxed),
                Class::Req,
                Type::Copyout,
                0,
                cd.len() + piece.len(),
            );
            let mut held = self.held.borrow_mut();
            held.extend_from_slice(&h.emit());
            held.extend_from_slice(&cd);
            held.extend_from_slice(piece);
            // Bounded: a large read goes out as it is copied.
            if held.len() >= MAX_HELD {
                let frames = std::mem::take(&mut *held);
                drop(held);
                self.conn.send_raw(&frames).map_err(|_| Errno::EFAULT)?;
            }
            at = at.checked_add(piece.len() as u64).ok_or(Errno::EFAULT)?;
        }
        Ok(())
    }

    fn copyinstr(&self, addr: u64, max: usize) -> KResult<Vec<u8>> {
        if max == 0 {
            return Err(Errno::ENAMETOOLONG);
        }
        if addr == 0 {
            return Err(Errno::EFAULT);
        }
        let req = CopyData {
            len: max as u64,
            addr,
        }
        .emit(&[]);
        let data = self.request(Type::Copyinstr, &req)?;
        if data.len() > max {
            return Err(Errno::EFAULT);
        }
        match data.iter().position(|&b| b == 0) {
            Some(n) => Ok(data[..n].to_vec()),
            None => Err(Errno::ENAMETOOLONG),
        }
    }

    fn copies_block(&self) -> bool {
        true
    }
}

/// Why the server could not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SpServer {
    /// Listen on `url` and serve `kernel` to every client that connects,
    /// each as root in the kernel, as NetBSD's server does.
    pub fn start(kernel: Arc<Kernel>, url: &Url) -> Result<SpServer, StartError> {
        Self::start_with_access(kernel, url, crate::access::Access::default())
    }

    /// Listen on `url` and serve `kernel` to the clients `access` admits.
    pub fn start_with_access(
        kernel: Arc<Kernel>,
        url: &Url,
        access: crate::access::Access,
    ) -> Result<SpServer, StartError> {
        let listener = match url {
            Url::Unix(path) => HostListener::unix(path),
            Url::Tcp { addr, port } => HostListener::tcp(addr, *port),
        }
        .map_err(|e| {
            StartError(format!(
                "rump_sp: failed to bind to URL {url}: {}",
                rumpuser::strerror(&e)
            ))
        })?;
        let ostype = sysctl_string(&kernel, "kern.ostype");
        let osrelease = sysctl_string(&kernel, "kern.osrelease");
        let machine = sysctl_string(&kernel, "hw.machine");
        let shared = Arc::new(Shared {
            banner: payload::banner(&ostype, &osrelease, &machine),
            kernel: Arc::clone(&kernel),
            listener,
            workers: WorkerPool::new("sp_worker"),
            preforks: Mutex::new(HashMap::new()),
            halting: Mutex::new(None),
            stopping: AtomicBool::new(false),
            clients: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
            access,
        });
        let fini = Arc::clone(&shared);
        // sp_fini: at halt, remove the socket, answer the reboot call, stop listening.
        kernel.register_shutdown_hook("sysproxy", Box::new(move |_, _| fini.stop()));
        let acceptor = Arc::clone(&shared);
        rumpuser::thread_create("sp_accept", move || acceptor.accept_loop()).map_err(|e| {
            StartError(format!(
                "rump_sp: cannot start the server thread: {}",
                rumpuser::strerror(&e)
            ))
        })?;
        Ok(SpServer { shared })
    }

    /// The TCP port served (for `tcp://...:0/`).
    pub fn port(&self) -> Option<u16> {
        self.shared.listener.local_port()
    }

    /// Clients connected now.
    pub fn clients(&self) -> usize {
        self.shared.clients.load(Ordering::Acquire)
    }

    /// Join the threads of connections that have ended; `true` when no
    /// connection thread remains.
    pub fn reap(&self) -> bool {
        self.shared.reap()
    }
}

fn sysctl_string(k: &Kernel, name: &str) -> String {
    match k.sysctl().get(name) {
        Ok(rump::sysctl::SysctlValue::String(s)) => s,
        _ => "unknown".into(),
    }
}

impl Shared {
    fn stop(&self) {
        if self.stopping.swap(true, Ordering::AcqRel) {
            return;
        }
        self.listener.remove();
        if let Some((conn, reqno)) = lock(&self.halting).take() {
            conn.send_resp(
                reqno,
                Type::Syscall,
                &SysResp {
                    error: 0,
                    retval: [0, 0],
                }
                .emit(),
            );
        }
        self.listener.shutdown();
    }

    fn reap(&self) -> bool {
        let mut threads = lock(&self.threads);
        let (done, running): (Vec<_>, Vec<_>) = std::mem::take(&mut *threads)
            .into_iter()
            .partition(|t| t.is_finished());
        *threads = running;
        let idle = threads.is_empty();
        drop(threads);
        for t in done {
            t.join();
        }
        idle
    }

    /// Accept clients for as long as the server runs. There is no limit of
    /// our own on their number (NetBSD's is 255): each takes one host
    /// descriptor and a thread, and a client the host has no room for is
    /// told so (see [`Shared::refuse`]) instead of being dropped unanswered.
    fn accept_loop(self: Arc<Self>) {
        let mut spare = SpareDescriptor::new();
        while !self.stopping.load(Ordering::Acquire) {
            if !spare.is_held() {
                // Taken again once a refused client has gone.
                spare = SpareDescriptor::new();
            }
            let accepted = match self.listener.accept() {
                // The spare descriptor makes room to take the client, if
                // only to say why it cannot stay (below).
                Err(e) if rumpuser::out_of_descriptors(&e) && spare.is_held() => {
                    match spare.lend(|| self.listener.accept()) {
                        // Served only if a spare is still held afterwards,
                        // or the next client could not even be told.
                        Ok(s) if !spare.is_held() => {
                            self.refuse(s, &self.out_of_descriptors());
                            continue;
                        }
                        r => r,
                    }
                }
                r => r,
            };
            let stream = match accepted {
                Ok(s) => s,
                Err(_) => {
                    // A transient error, or out of descriptors with none
                    // spare: do not spin.
                    rumpuser::sleep_rel(std::time::Duration::from_millis(10));
                    continue;
                }
            };
            if self.stopping.load(Ordering::Acquire) {
                break;
            }
            // Handed over through a slot, so that it is still here to
            // answer the client if no thread starts.
            let slot = Arc::new(Mutex::new(Some(stream)));
            let theirs = Arc::clone(&slot);
            self.clients.fetch_add(1, Ordering::AcqRel);
            let me = Arc::clone(&self);
            let started = rumpuser::thread_create("sp_client", move || {
                if let Some(stream) = lock(&theirs).take() {
                    me.serve(stream);
                }
                me.clients.fetch_sub(1, Ordering::AcqRel);
            });
            match started {
                Ok(t) => lock(&self.threads).push(t),
                Err(e) => {
                    self.clients.fetch_sub(1, Ordering::AcqRel);
                    let why = format!(
                        "the server cannot start a thread for another client ({} connected): {}",
                        self.clients.load(Ordering::Acquire),
                        rumpuser::strerror(&e)
                    );
                    if let Some(stream) = lock(&slot).take() {
                        self.refuse(stream, &why);
                    }
                }
            }
            self.reap();
        }
    }

    /// Why a client is refused when the host has no descriptor for it.
    fn out_of_descriptors(&self) -> String {
        format!(
            "the server is out of host descriptors ({} clients connected)",
            self.clients.load(Ordering::Acquire)
        )
    }

    /// Turn a client away, telling it `why`. NetBSD's server closes a
    /// connection it has no room for before the banner, which its client
    /// can only report as a failed banner read. Here the client gets the
    /// banner, and its handshake is answered with an ERROR frame of code
    /// TRYAGAIN (NetBSD's client reads it as EAGAIN) carrying `why` as its
    /// payload, which NetBSD's client reads and ignores and ours prints.
    fn refuse(&self, stream: HostStream, why: &str) {
        if stream.write_all(self.banner.as_bytes()).is_ok()
            && let Some(reqno) = handshake_reqno(&stream)
        {
            let _ = stream.write_all(&refusal(reqno, why));
        }
        stream.shutdown();
    }

    fn serve(self: &Arc<Self>, stream: HostStream) {
        if !self.access.admit(&self.kernel, &stream, &self.banner) {
            return;
        }
        let conn = Arc::new(Conn {
            stream,
            input: Mutex::new(FrameReader::default()),
            sending: Mutex::new(()),
            next_reqno: AtomicU64::new(0),
            waiters: Mutex::new(HashMap::new()),
            dead: AtomicBool::new(false),
            in_exec: AtomicBool::new(false),
            inflight: Mutex::new(Inflight::default()),
            idle: Condvar::new(),
            main: Mutex::new(None),
        });
        while let Some((h, payload)) = conn.read_frame() {
            if !self.dispatch(&conn, h, payload, true) {
                conn.shutdown();
                break;
            }
        }
        self.disconnect(&conn);
    }

    /// Handle one frame; `false` ends the connection.
    /// `on_reader` when called from the connection's reader thread (a
    /// call may then run inline), not within an inline call.
    fn dispatch(
        self: &Arc<Self>,
        conn: &Arc<Conn>,
        h: Header,
        payload: Vec<u8>,
        on_reader: bool,
    ) -> bool {
        match h.class {
            Class::Resp => {
                // A reply to one of our copy requests; unknown ones are dropped.
                if let Some(tx) = lock(&conn.waiters).remove(&h.reqno) {
                    let _ = tx.send(payload);
                }
                return true;
            }
            Class::Error => {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return true;
            }
            Class::Req => {}
        }
        let running = lock(&conn.main).is_some();
        if !running {
            return self.handshake_new(conn, h, &payload);
        }
        match h.typ {
            Type::Syscall => self.syscall(conn, h, payload, on_reader),
            Type::Handshake if h.union == Handshake::Exec as u32 => {
                return self.exec(conn, h, &payload);
            }
            Type::Handshake => {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return false;
            }
            Type::Prefork => return self.prefork(conn, h),
            _ => conn.send_error(h.reqno, SpError::MalformedRequest),
        }
        true
    }

    /// The first request of a connection: GUEST (a new process) or FORK
    /// (attach to a process copied at PREFORK).
    fn handshake_new(&self, conn: &Arc<Conn>, h: Header, payload: &[u8]) -> bool {
        let k = &self.kernel;
        if h.typ != Type::Handshake {
            conn.send_error(h.reqno, SpError::Auth);
            return false;
        }
        let lwp = if h.union == Handshake::Guest as u32 {
            let Some(name) = payload::parse_name(payload) else {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return false;
            };
            // A new client's process starts with 0, 1 and 2 on the
            // console, as NetBSD's server gives it (rump_consdev_init).
            let spawned = k
                .procs()
                .spawn(k.procs().local_proc(), ForkFd::Clear, &name)
                .and_then(|l| match rump::console::open_console_fds(k, l.proc()) {
                    Ok(()) => Ok(l),
                    Err(e) => {
                        let _ = k.procs().release(&l);
                        Err(e)
                    }
                });
            match spawned {
                Ok(l) => l,
                Err(e) => {
                    let why = format!(
                        "the server cannot create a process for the client: {}",
                        e.description()
                    );
                    let _ = conn.send_raw(&refusal(h.reqno, &why));
                    return false;
                }
            }
        } else if h.union == Handshake::Fork as u32 {
            let Some(f) = HandshakeFork::parse(payload) else {
                conn.send_error(h.reqno, SpError::MalformedRequest);
                return false;
            };
            let Some(copy) = lock(&self.preforks).remove(&f.cookie) else {
                conn.send_error(h.reqno, SpError::InvalidPrefork);
                return false;
            };
            if f.cancel != 0 {
                let _ = k.procs().release(&copy);
                return false;
            }
            let child = k
                .procs()
                .spawn(copy.proc(), ForkFd::Share, &copy.proc().comm());
            let _ = k.procs().release(&copy);
            match child {
                Ok(l) => l,
                Err(_) => {
                    conn.send_error(h.reqno, SpError::RforkFailed);
                    return false;
                }
            }
        } else {
            conn.send_error(h.reqno, SpError::Auth);
            return false;
        };
        if h.union == Handshake::Guest as u32
            && let Err(why) = self.access.set_credentials(&conn.stream, lwp.proc())
        {
            let _ = k.procs().release(&lwp);
            let _ = conn.send_raw(&refusal(h.reqno, &why));
            return false;
        }
        // Signals posted to the client's process are raised in the client.
        let weak = Arc::downgrade(conn);
        lwp.proc().set_signal_sink(Arc::new(move |sig| {
            if let Some(c) = weak.upgrade() {
                let h = Header::new(
                    c.next_reqno.fetch_add(1, Ordering::Relaxed),
                    Class::Req,
                    Type::Raise,
                    sig as u32,
                    0,
                );
                let _ = c.send(h, &[]);
            }
        }));
        *lock(&conn.main) = Some(lwp);
        conn.send_resp(h.reqno, Type::Handshake, &0i32.to_ne_bytes());
        true
    }

    fn syscall(self: &Arc<Self>, conn: &Arc<Conn>, h: Header, payload: Vec<u8>, on_reader: bool) {
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
    fn io_never_waits(&self, conn: &Conn, h: &Header, payload: &[u8]) -> bool {
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

    fn run_syscall(
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
        if let Err(e) = k.lwproc_newlwp(pid) {
            return fail(if e == Errno::ESRCH {
                Errno::ESRCH
            } else {
                Errno::EBUSY
            });
        }
        // Its reply is sent by the halt itself, before the process exits.
        if h.union as usize == SYS_reboot {
            *lock(&self.halting) = Some((Arc::clone(conn), h.reqno));
        }
        let space = RemoteSpace {
            conn,
            held: std::cell::RefCell::new(Vec::new()),
            inline,
        };
        let r = k.syscall(h.union as usize, &args, &space);
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

    /// PREFORK: copy the client's process and hand out a cookie for it.
    fn prefork(&self, conn: &Arc<Conn>, h: Header) -> bool {
        if conn.in_exec.load(Ordering::Acquire) {
            conn.send_error(h.reqno, SpError::InExec);
            return false;
        }
        let Some(main) = lock(&conn.main).clone() else {
            return false;
        };
        let k = &self.kernel;
        let copy = match k
            .procs()
            .spawn(main.proc(), ForkFd::Copy, &main.proc().comm())
        {
            Ok(l) => l,
            Err(_) => {
                conn.send_error(h.reqno, SpError::RforkFailed);
                return true;
            }
        };
        let mut cookie = [0u8; payload::COOKIE_LEN];
        k.cprng().fill(&mut cookie);
        lock(&self.preforks).insert(cookie, copy);
        conn.send_resp(h.reqno, Type::Prefork, &cookie);
        true
    }

    /// EXEC: the client replaced its image; once its other calls are done,
    /// close the close-on-exec descriptors and take the new name.
    fn exec(self: &Arc<Self>, conn: &Arc<Conn>, h: Header, payload: &[u8]) -> bool {
        let Some(name) = payload::parse_name(payload) else {
            conn.send_error(h.reqno, SpError::MalformedRequest);
            return false;
        };
        if conn.in_exec.swap(true, Ordering::AcqRel) {
            conn.send_error(h.reqno, SpError::InExec);
            return false;
        }
        conn.begin();
        let job_conn = Arc::clone(conn);
        let job = self.workers.submit(Box::new(move || {
            job_conn.drain(1);
            if let Some(main) = lock(&job_conn.main).as_ref() {
                main.proc().fdt().close_on_exec();
                main.proc().set_comm(&name);
            }
            job_conn.in_exec.store(false, Ordering::Release);
            job_conn.send_resp(h.reqno, Type::Handshake, &0i32.to_ne_bytes());
            job_conn.end();
        }));
        if job.is_err() {
            conn.in_exec.store(false, Ordering::Release);
            conn.send_error(h.reqno, SpError::TryAgain);
            conn.end();
        }
        true
    }

    /// The client is gone: fail its pending copies, let its calls finish,
    /// and end its process, which closes its descriptors.
    fn disconnect(&self, conn: &Arc<Conn>) {
        conn.dead.store(true, Ordering::Release);
        conn.shutdown();
        lock(&conn.waiters).clear();
        // Sleeping calls wake (EINTR); an exec in progress keeps its process.
        if !conn.in_exec.load(Ordering::Acquire)
            && let Some(main) = lock(&conn.main).as_ref()
        {
            main.proc().post_exit();
        }
        conn.drain(0);
        if let Some(main) = lock(&conn.main).take() {
            let _ = self.kernel.procs().release(&main);
        }
    }
}

/// The ERROR frame that answers handshake `reqno` of a client the server
/// cannot take: TRYAGAIN, with the reason as its payload.
fn refusal(reqno: u64, why: &str) -> Vec<u8> {
    let h = Header::new(
        reqno,
        Class::Error,
        Type::Handshake,
        SpError::TryAgain.code(),
        why.len(),
    );
    sysproxy::frame(&h, why.as_bytes())
}

/// The request number of a refused client's handshake: only its header is
/// read, and all of it within `REFUSAL_WAIT`, since this runs on the
/// thread that accepts clients (a client that sends slowly, or announces
/// a large frame, must not hold up the others).
fn handshake_reqno(s: &HostStream) -> Option<u64> {
    let deadline = std::time::Instant::now() + REFUSAL_WAIT;
    let mut hb = [0u8; HEADER_LEN];
    let mut got = 0;
    while got < HEADER_LEN {
        let left = deadline.checked_duration_since(std::time::Instant::now())?;
        s.set_read_timeout(Some(left.max(std::time::Duration::from_millis(1))))
            .ok()?;
        match s.read(&mut hb[got..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => got += n,
        }
    }
    Some(u64::from_ne_bytes(hb[8..16].try_into().ok()?))
}
