//! The sysproxy server: a kernel's system calls served to remote clients
//! over the rump_sp protocol 0.4 (`docs/sysproxy-protocol.md`).
//!
//! One reader thread per connection reads frames; system calls run on a
//! pool of worker threads, each as a fresh lwp of the client's process, and
//! reach the client's memory through COPYIN/COPYOUT round trips that the
//! reader thread routes back by request number.

mod conn;
mod process;
mod remote_space;
mod syscall;

use conn::{Conn, Inflight};
use remote_space::RemoteSpace;
use syscall::MAX_HELD;

use crate::incoming::FrameReader;
use crate::pool::WorkerPool;
use netbsd_abi::syscalls::*;
use rump::Kernel;
use rump::errno::{Errno, KResult};
use rump::lwproc::{ForkFd, Lwp};
use rump::sync::lock;
use rump::usermem::UserSpace;
use rumpuser::{HostListener, HostStream, SpareDescriptor};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::sync::{Arc, Condvar, Mutex};
use sysproxy::payload::{self, CopyData, HandshakeFork, SysResp};
use sysproxy::{Class, HEADER_LEN, Handshake, Header, MAX_COPY, SpError, Type, Url};

/// How long a refused client is given to send its handshake, which is
/// answered with the reason (see [`Shared::refuse`]).
const REFUSAL_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A running server.
pub struct SpServer {
    shared: Arc<Shared>,
}

/// What the accepting thread, the connections' reader threads and the
/// workers share: the kernel, the listener, the worker pool, the processes
/// waiting for their fork, the count of clients and who may connect.
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
