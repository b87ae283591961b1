//! The socket layer (NetBSD's `uipc_socket.c`): what every socket shares,
//! the trait a protocol implements, and the open file that turns blocking
//! calls into waits.
//!
//! Protocols never block: an operation that cannot finish now answers
//! EAGAIN, and this layer waits on the socket's [`WaitChannel`] (honouring
//! `O_NONBLOCK`, `MSG_DONTWAIT`, `SO_RCVTIMEO`/`SO_SNDTIMEO` and a process
//! told to exit) and tries again. That keeps protocol code testable
//! without threads.

use rump::file::{FileOps, Stat};
use rump::kqueue::consts::{EV_EOF, EVFILT_READ, EVFILT_WRITE, NOTE_LOWAT};
use rump::restart::RestartCount;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult, Kernel};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// `SOCK_STREAM`.
pub const SOCK_STREAM: i32 = netbsd_abi::SOCK_STREAM;
/// `SOCK_DGRAM`.
pub const SOCK_DGRAM: i32 = netbsd_abi::SOCK_DGRAM;
/// `SOCK_RAW`.
pub const SOCK_RAW: i32 = netbsd_abi::SOCK_RAW;
/// `SOCK_SEQPACKET`.
pub const SOCK_SEQPACKET: i32 = netbsd_abi::SOCK_SEQPACKET;
/// `SOCK_CLOEXEC`.
pub const SOCK_CLOEXEC: i32 = netbsd_abi::SOCK_CLOEXEC;
/// `SOCK_NONBLOCK`.
pub const SOCK_NONBLOCK: i32 = netbsd_abi::SOCK_NONBLOCK;
/// `SOCK_NOSIGPIPE`.
pub const SOCK_NOSIGPIPE: i32 = netbsd_abi::SOCK_NOSIGPIPE;
/// `SOCK_FLAGS_MASK`.
pub const SOCK_FLAGS_MASK: i32 = 0xf000_0000_u32 as i32;

/// `SOL_SOCKET`.
pub const SOL_SOCKET: i32 = netbsd_abi::SOL_SOCKET;
/// `SO_DEBUG`.
pub const SO_DEBUG: i32 = netbsd_abi::SO_DEBUG;
/// `SO_ACCEPTCONN`.
pub const SO_ACCEPTCONN: i32 = netbsd_abi::SO_ACCEPTCONN;
/// `SO_REUSEADDR`.
pub const SO_REUSEADDR: i32 = netbsd_abi::SO_REUSEADDR;
/// `SO_KEEPALIVE`.
pub const SO_KEEPALIVE: i32 = netbsd_abi::SO_KEEPALIVE;
/// `SO_DONTROUTE`.
pub const SO_DONTROUTE: i32 = netbsd_abi::SO_DONTROUTE;
/// `SO_BROADCAST`.
pub const SO_BROADCAST: i32 = netbsd_abi::SO_BROADCAST;
/// `SO_USELOOPBACK`.
pub const SO_USELOOPBACK: i32 = netbsd_abi::SO_USELOOPBACK;
/// `SO_LINGER`.
pub const SO_LINGER: i32 = netbsd_abi::SO_LINGER;
/// `SO_OOBINLINE`.
pub const SO_OOBINLINE: i32 = netbsd_abi::SO_OOBINLINE;
/// `SO_REUSEPORT`.
pub const SO_REUSEPORT: i32 = netbsd_abi::SO_REUSEPORT;
/// `SO_NOSIGPIPE`.
pub const SO_NOSIGPIPE: i32 = netbsd_abi::SO_NOSIGPIPE;
/// `SO_TIMESTAMP`.
pub const SO_TIMESTAMP: i32 = netbsd_abi::SO_TIMESTAMP;
/// `SO_SNDBUF`.
pub const SO_SNDBUF: i32 = netbsd_abi::SO_SNDBUF;
/// `SO_RCVBUF`.
pub const SO_RCVBUF: i32 = netbsd_abi::SO_RCVBUF;
/// `SO_SNDLOWAT`.
pub const SO_SNDLOWAT: i32 = netbsd_abi::SO_SNDLOWAT;
/// `SO_RCVLOWAT`.
pub const SO_RCVLOWAT: i32 = netbsd_abi::SO_RCVLOWAT;
/// `SO_ERROR`.
pub const SO_ERROR: i32 = netbsd_abi::SO_ERROR;
/// `SO_TYPE`.
pub const SO_TYPE: i32 = netbsd_abi::SO_TYPE;
/// `SO_SNDTIMEO`.
pub const SO_SNDTIMEO: i32 = netbsd_abi::SO_SNDTIMEO;
/// `SO_RCVTIMEO`.
pub const SO_RCVTIMEO: i32 = netbsd_abi::SO_RCVTIMEO;

/// `MSG_OOB`.
pub const MSG_OOB: i32 = netbsd_abi::MSG_OOB;
/// `MSG_PEEK`.
pub const MSG_PEEK: i32 = netbsd_abi::MSG_PEEK;
/// `MSG_DONTROUTE`.
pub const MSG_DONTROUTE: i32 = netbsd_abi::MSG_DONTROUTE;
/// `MSG_EOR`.
pub const MSG_EOR: i32 = netbsd_abi::MSG_EOR;
/// `MSG_TRUNC`.
pub const MSG_TRUNC: i32 = netbsd_abi::MSG_TRUNC;
/// `MSG_CTRUNC`.
pub const MSG_CTRUNC: i32 = netbsd_abi::MSG_CTRUNC;
/// `MSG_WAITALL`.
pub const MSG_WAITALL: i32 = netbsd_abi::MSG_WAITALL;
/// `MSG_DONTWAIT`.
pub const MSG_DONTWAIT: i32 = netbsd_abi::MSG_DONTWAIT;
/// `MSG_NOSIGNAL`.
pub const MSG_NOSIGNAL: i32 = netbsd_abi::MSG_NOSIGNAL;

/// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
pub const SHUT_RD: i32 = netbsd_abi::SHUT_RD;
/// Shut the sending half.
pub const SHUT_WR: i32 = netbsd_abi::SHUT_WR;
/// Shut both halves.
pub const SHUT_RDWR: i32 = netbsd_abi::SHUT_RDWR;

const POLLIN: i16 = netbsd_abi::POLLIN as i16;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
const POLLRDNORM: i16 = netbsd_abi::POLLRDNORM as i16;
const POLLWRNORM: i16 = netbsd_abi::POLLWRNORM as i16;

/// `SIGPIPE`.
const SIGPIPE: i32 = netbsd_abi::SIGPIPE;

/// How long a wait sleeps before it looks at the process again.
const SLICE: Duration = Duration::from_millis(100);
/// How long (host time) a waiter looks for a wakeup between yields of an
/// otherwise idle CPU before it sleeps: the answer to a segment, or the
/// room an acknowledgment makes, is usually microseconds away, and a
/// sleeper woken from another CPU costs more than that, above all if its
/// CPU halted meanwhile (see [`rumpuser::spin_while_idle`]).
const SPIN: Duration = Duration::from_micros(50);

use rump::sync::lock;

/// Where a socket's waiters sleep: a generation count bumped by every
/// change a waiter may care about (`sowakeup`), which also wakes pollers.
pub struct WaitChannel {
    changes: Arc<rump::waitgen::WaitGen>,
    kernel: Weak<Kernel>,
    /// The stack's bursts, which put wakeups off until they end.
    bursts: Option<Arc<crate::burst::Bursts>>,
}

impl WaitChannel {
    /// A channel that also wakes the pollers of kernel `k`.
    pub fn new(kernel: Weak<Kernel>) -> WaitChannel {
        let bursts = kernel.upgrade().map(|k| crate::Net::of(&k).bursts());
        WaitChannel {
            changes: Arc::default(),
            kernel,
            bursts,
        }
    }

    /// Something changed: wake every waiter and poller.
    pub fn wakeup(&self) {
        if self.changes.advance() {
            match &self.bursts {
                Some(b) => b.defer(self.changes.clone()),
                None => self.changes.notify(),
            }
        }
        if let Some(k) = self.kernel.upgrade() {
            k.selnotify();
        }
    }

    /// Wake only `poll` and `select`: a change that no blocked call
    /// waits for.
    pub fn notify_pollers(&self) {
        if let Some(k) = self.kernel.upgrade() {
            k.selnotify();
        }
    }

    /// The current generation, to pass to [`WaitChannel::wait`].
    pub fn generation(&self) -> u64 {
        self.changes.generation()
    }

    /// Sleep (without the virtual CPU) until a wakeup after `seen`, or `d`.
    pub fn wait(&self, ctx: &Ctx, seen: u64, d: Duration) {
        ctx.block(|| {
            if !rumpuser::spin_while_idle(|| self.changes.generation() != seen, SPIN.min(d)) {
                self.changes.wait(seen, d);
            }
        });
    }

    /// Wake the waiters alone, not the pollers: a restart, which changes
    /// nothing `poll` looks at.
    fn wake_waiters(&self) {
        if self.changes.advance() {
            self.changes.notify();
        }
    }
}

/// The options the socket layer keeps for every socket (`SOL_SOCKET`).
#[derive(Clone, Debug)]
pub struct SockOpts {
    /// `SO_REUSEADDR`.
    pub reuseaddr: bool,
    /// `SO_REUSEPORT`.
    pub reuseport: bool,
    /// `SO_KEEPALIVE`.
    pub keepalive: bool,
    /// `SO_BROADCAST`.
    pub broadcast: bool,
    /// `SO_DONTROUTE`.
    pub dontroute: bool,
    /// `SO_OOBINLINE`.
    pub oobinline: bool,
    /// `SO_DEBUG`.
    pub debug: bool,
    /// `SO_TIMESTAMP`.
    pub timestamp: bool,
    /// `SO_NOSIGPIPE`.
    pub nosigpipe: bool,
    /// `SO_LINGER`: on, and the time in seconds.
    pub linger: Option<i32>,
    /// `SO_RCVBUF`: the receive buffer's limit in bytes.
    pub rcvbuf: usize,
    /// `SO_SNDBUF`: the send buffer's limit in bytes.
    pub sndbuf: usize,
    /// The protocol may grow the receive buffer (`SB_AUTOSIZE`), until
    /// `SO_RCVBUF` is set.
    pub rcv_autosize: bool,
    /// The protocol may grow the send buffer, until `SO_SNDBUF` is set.
    pub snd_autosize: bool,
    /// `SO_RCVLOWAT`.
    pub rcvlowat: usize,
    /// `SO_SNDLOWAT`.
    pub sndlowat: usize,
    /// `SO_RCVTIMEO` (`None`: for ever).
    pub rcvtimeo: Option<Duration>,
    /// `SO_SNDTIMEO`.
    pub sndtimeo: Option<Duration>,
    /// `SO_RCVTIMEO` as NetBSD keeps it (`sb_timeo`), in clock ticks,
    /// which getsockopt reads back; `rcvtimeo` is the wait it gives.
    pub rcvtimeo_ticks: i32,
    /// `SO_SNDTIMEO` in clock ticks.
    pub sndtimeo_ticks: i32,
}

impl SockOpts {
    /// Defaults with buffers of `rcvbuf` and `sndbuf` bytes.
    pub fn new(rcvbuf: usize, sndbuf: usize) -> SockOpts {
        SockOpts {
            reuseaddr: false,
            reuseport: false,
            keepalive: false,
            broadcast: false,
            dontroute: false,
            oobinline: false,
            debug: false,
            timestamp: false,
            nosigpipe: false,
            linger: None,
            rcvbuf,
            sndbuf,
            rcv_autosize: true,
            snd_autosize: true,
            rcvlowat: 1,
            sndlowat: 2048.min(sndbuf),
            rcvtimeo: None,
            sndtimeo: None,
            rcvtimeo_ticks: 0,
            sndtimeo_ticks: 0,
        }
    }
}

/// What a protocol's socket shares with the socket layer.
pub struct SockShared {
    /// Where waiters sleep.
    pub wait: WaitChannel,
    /// The `SOL_SOCKET` options.
    pub opts: Mutex<SockOpts>,
}

impl SockShared {
    /// Shared state with default options for buffers of the given sizes.
    pub fn new(kernel: Weak<Kernel>, rcvbuf: usize, sndbuf: usize) -> SockShared {
        SockShared {
            wait: WaitChannel::new(kernel),
            opts: Mutex::new(SockOpts::new(rcvbuf, sndbuf)),
        }
    }

    /// A copy of the options.
    pub fn opts(&self) -> SockOpts {
        lock(&self.opts).clone()
    }
}

/// What one receive returned.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes stored in the buffer.
    pub len: usize,
    /// The datagram's whole length (more than `len` if it was truncated).
    pub full: usize,
    /// The sender, for datagram sockets (a sockaddr).
    pub from: Option<Vec<u8>>,
    /// `MSG_*` flags for `msg_flags` (`MSG_TRUNC`, `MSG_EOR`).
    pub flags: i32,
    /// Control messages for `recvmsg`, in NetBSD's `cmsghdr` layout.
    pub control: Vec<u8>,
}

/// Which way a blocking socket call waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// To receive or accept.
    Read,
    /// To send or connect.
    Write,
    /// For what the socket sent to leave it (a lingering close).
    Drain,
}

/// A protocol's half of a socket (`pr_usrreqs`). Every method answers at
/// once: EAGAIN means "not now", and the socket layer decides whether to
/// wait. Addresses are sockaddrs in NetBSD's layout.
pub trait ProtoSocket: Send + Sync {
    /// The shared state.
    fn shared(&self) -> &SockShared;
    /// `(domain, type, protocol)`.
    fn kind(&self) -> (i32, i32, i32);
    /// `bind(2)`.
    fn bind(&self, _ctx: &Ctx, _addr: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `connect(2)`: Ok once connected; EINPROGRESS when a handshake has
    /// started ([`ProtoSocket::connect_result`] tells how it ends).
    fn connect(&self, _ctx: &Ctx, _addr: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// How a started connect ended; `None` while it is under way.
    fn connect_result(&self) -> Option<KResult<()>> {
        Some(Ok(()))
    }
    /// `listen(2)`.
    fn listen(&self, _backlog: i32) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Take one completed connection; EAGAIN if there is none.
    fn accept(&self) -> KResult<Arc<dyn ProtoSocket>> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Send what fits of `data` now (all or nothing for datagrams); EAGAIN
    /// if nothing fits.
    fn send(&self, ctx: &Ctx, data: &[u8], to: Option<&[u8]>, flags: i32) -> KResult<usize>;
    /// As [`ProtoSocket::send`], with `sendmsg`'s control messages
    /// `control` (`struct cmsghdr`s in NetBSD's layout). The default:
    /// EINVAL, as NetBSD's protocols that define none answer.
    fn send_control(
        &self,
        _ctx: &Ctx,
        _data: &[u8],
        _to: Option<&[u8]>,
        _flags: i32,
        _control: &[u8],
    ) -> KResult<usize> {
        Err(Errno::EINVAL)
    }
    /// Receive into `buf`; EAGAIN if there is nothing yet, Ok with length
    /// 0 at end of stream.
    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received>;
    /// `shutdown(2)`.
    fn shutdown(&self, _how: i32) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// `getsockname(2)`.
    fn sockname(&self) -> KResult<Vec<u8>>;
    /// `getpeername(2)`; ENOTCONN if not connected.
    fn peername(&self) -> KResult<Vec<u8>> {
        Err(Errno::ENOTCONN)
    }
    /// A protocol-level option (level other than `SOL_SOCKET`), or a
    /// `SOL_SOCKET` option the layer stored that the protocol wants to act
    /// on (it is told after the store).
    fn setopt(&self, _level: i32, _name: i32, _val: &[u8]) -> KResult<()> {
        Err(Errno::ENOPROTOOPT)
    }
    /// Read a protocol-level option.
    fn getopt(&self, _level: i32, _name: i32) -> KResult<Vec<u8>> {
        Err(Errno::ENOPROTOOPT)
    }
    /// Which of `POLLIN`/`POLLOUT`/`POLLHUP`/... hold now.
    fn poll(&self, events: i16) -> i16;
    /// The last descriptor was closed.
    fn close(&self) {}
    /// Wait, without the virtual CPU, up to `d` for the host to make an
    /// operation going `dir` that said EAGAIN worth trying again: for a
    /// protocol whose sockets are the host's own (sockin), whose waiter
    /// the host kernel wakes directly, with no hand-off through a watcher
    /// thread. `false` when the protocol has no such wait: the socket
    /// layer sleeps on its channel.
    fn host_wait(&self, _ctx: &Ctx, _dir: Direction, _d: Duration) -> bool {
        false
    }
    /// A kevent filter going `dir` waits for the receive buffer to hold
    /// `level` bytes, or the send buffer to have `level` bytes of room: for
    /// a protocol whose sockets are the host's (sockin), which must watch
    /// for the level, as nothing in the kernel sees each arrival. Other
    /// protocols wake their channel on every change and need nothing.
    fn want_level(&self, _dir: Direction, _level: usize) {}
    /// Take the pending error (`SO_ERROR`), 0 if none.
    fn take_error(&self) -> i32 {
        0
    }
    /// Bytes ready to read (`FIONREAD`).
    fn nread(&self) -> usize {
        0
    }
    /// Bytes queued to send and not yet acknowledged (`FIONWRITE`).
    fn nwrite(&self) -> usize {
        0
    }
    /// Room in the send buffer (`sbspace(&so->so_snd)`: `FIONSPACE`, the
    /// data of `EVFILT_WRITE`). The default: the buffer less what it holds.
    fn snd_space(&self) -> usize {
        self.shared().opts().sndbuf.saturating_sub(self.nwrite())
    }
    /// Everything sent has been acknowledged and the connection's end
    /// too (what a lingering close waits for).
    fn drained(&self) -> bool {
        true
    }
    /// Whether `listen` was called (`SO_ACCEPTCONN`).
    fn is_listening(&self) -> bool {
        false
    }
    /// What the receive buffer holds, as NetBSD's `sb_cc` counts it: a
    /// datagram's sender address counts with its bytes (what
    /// `EVFILT_READ` reports). The default is [`ProtoSocket::nread`].
    fn rcv_cc(&self) -> usize {
        self.nread()
    }
    /// No more data will arrive (`SS_CANTRCVMORE`, `EV_EOF` of a read
    /// filter). The default: the protocol's poll says hang-up.
    fn cant_recv_more(&self) -> bool {
        const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
        self.poll(POLLIN) & POLLHUP != 0
    }
    /// No more data may be sent (`SS_CANTSENDMORE`, `EV_EOF` of a write
    /// filter). The default: the sending half is shut or hung up.
    fn cant_send_more(&self) -> bool {
        const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
        self.cant_send() || self.poll(POLLOUT) & POLLHUP != 0
    }
    /// Connections a listening socket holds ready to accept (`so_qlen`).
    fn accept_ready(&self) -> usize {
        0
    }
    /// The sending half is shut: a send raises `SIGPIPE` unless asked not to.
    fn cant_send(&self) -> bool {
        false
    }
}

/// An open socket: the protocol's socket plus the descriptor's flags.
pub struct Socket {
    proto: Arc<dyn ProtoSocket>,
    /// The protocol's socket was told of the close (by a lingering close).
    closed: AtomicBool,
    nonblock: AtomicBool,
    /// `FNOSIGPIPE`: from `SOCK_NOSIGPIPE` or `F_SETNOSIGPIPE`.
    nosigpipe: AtomicBool,
    /// A descriptor of the socket was closed under a waiting call
    /// (`SS_RESTARTSYS`).
    restarts: RestartCount,
}

impl Socket {
    /// Wrap a protocol socket.
    pub fn new(proto: Arc<dyn ProtoSocket>, nonblock: bool, nosigpipe: bool) -> Socket {
        Socket {
            proto,
            closed: AtomicBool::new(false),
            nonblock: AtomicBool::new(nonblock),
            nosigpipe: AtomicBool::new(nosigpipe),
            restarts: RestartCount::default(),
        }
    }

    /// The protocol's socket.
    pub fn proto(&self) -> &Arc<dyn ProtoSocket> {
        &self.proto
    }

    /// Whether the descriptor is non-blocking.
    pub fn nonblocking(&self) -> bool {
        self.nonblock.load(Ordering::Relaxed)
    }

    /// Call `op` until it answers something other than EAGAIN, waiting
    /// between tries unless `nonblock`; EAGAIN when `timeout` passes, EINTR
    /// when the process is told to exit, ERESTART when a descriptor of the
    /// socket is closed meanwhile (`sorestart`). `dir` says which way `op`
    /// goes.
    pub fn wait_for<T>(
        &self,
        ctx: &Ctx,
        nonblock: bool,
        dir: Direction,
        timeout: Option<Duration>,
        mut op: impl FnMut() -> KResult<T>,
    ) -> KResult<T> {
        let wc = &self.proto.shared().wait;
        let net = crate::Net::of(ctx.kernel());
        let clock = net.clock();
        let deadline = timeout.map(|t| clock.monotonic() + t);
        let restart_seen = self.restarts.seen();
        loop {
            let seen = wc.generation();
            // The segments one call sends go out as a burst; it ends before
            // any wait.
            let burst = net.burst();
            match op() {
                Err(Errno::EAGAIN) if !nonblock => {}
                r => return r,
            }
            drop(burst);
            if ctx.proc().is_exiting() {
                return Err(Errno::EINTR);
            }
            self.restarts.check(restart_seen)?;
            // What this call queued on a loopback interface is processed
            // before waiting for its answer.
            net.drain();
            if wc.generation() != seen {
                continue;
            }
            let now = clock.monotonic();
            let left = match deadline {
                Some(d) if now >= d => return Err(Errno::EAGAIN),
                Some(d) => (d - now).min(SLICE),
                None => SLICE,
            };
            let span = clock.host_span(left);
            if !self.proto.host_wait(ctx, dir, span) {
                wc.wait(ctx, seen, span);
            }
        }
    }

    /// Receive with the socket's blocking rules (`soreceive`).
    pub fn recv(&self, ctx: &Ctx, buf: &mut [u8], flags: i32) -> KResult<Received> {
        let nonblock = self.nonblocking() || flags & MSG_DONTWAIT != 0;
        let timeout = self.proto.shared().opts().rcvtimeo;
        let stream = self.proto.kind().1 == SOCK_STREAM;
        let mut got = self.wait_for(ctx, nonblock, Direction::Read, timeout, || {
            self.proto.recv(buf, flags & !MSG_WAITALL)
        })?;
        // MSG_WAITALL: a stream read keeps going until the buffer is full,
        // the stream ends, an error or a signal.
        if stream && flags & (MSG_WAITALL | MSG_PEEK) == MSG_WAITALL {
            while got.len > 0 && got.len < buf.len() {
                let more = self.wait_for(ctx, nonblock, Direction::Read, timeout, || {
                    self.proto.recv(&mut buf[got.len..], flags & !MSG_WAITALL)
                });
                match more {
                    Ok(r) if r.len > 0 => got.len += r.len,
                    _ => break,
                }
            }
            got.full = got.len;
        }
        Ok(got)
    }

    /// Send with the socket's blocking rules (`sosend`): a blocking stream
    /// send waits until everything is queued.
    pub fn send(&self, ctx: &Ctx, data: &[u8], to: Option<&[u8]>, flags: i32) -> KResult<usize> {
        self.send_msg(ctx, data, to, flags, &[])
    }

    /// As [`Socket::send`], with `sendmsg`'s control messages (none when
    /// `control` is empty).
    pub fn send_msg(
        &self,
        ctx: &Ctx,
        data: &[u8],
        to: Option<&[u8]>,
        flags: i32,
        control: &[u8],
    ) -> KResult<usize> {
        let nonblock = self.nonblocking() || flags & MSG_DONTWAIT != 0;
        let timeout = self.proto.shared().opts().sndtimeo;
        let stream = self.proto.kind().1 == SOCK_STREAM;
        let mut done = 0;
        loop {
            let r = self.wait_for(ctx, nonblock, Direction::Write, timeout, || {
                if control.is_empty() {
                    self.proto.send(ctx, &data[done..], to, flags)
                } else {
                    self.proto
                        .send_control(ctx, &data[done..], to, flags, control)
                }
            });
            match r {
                Ok(n) => done += n,
                Err(e) if done > 0 && e != Errno::EPIPE => return Ok(done),
                Err(e) => {
                    if e == Errno::EPIPE
                        && !self.nosigpipe.load(Ordering::Relaxed)
                        && flags & MSG_NOSIGNAL == 0
                        && !self.proto.shared().opts().nosigpipe
                    {
                        let _ = ctx.proc().psignal(SIGPIPE);
                    }
                    return Err(e);
                }
            }
            if !stream || done >= data.len() || nonblock {
                return Ok(done);
            }
        }
    }

    /// Connect with the socket's blocking rules: a blocking connect waits
    /// for the handshake; a non-blocking one answers EINPROGRESS. A wait
    /// cut short by a close answers EINTR, as NetBSD's `do_sys_connect`
    /// turns ERESTART (the handshake goes on).
    pub fn connect(&self, ctx: &Ctx, addr: &[u8]) -> KResult<()> {
        match self.proto.connect(ctx, addr) {
            Err(Errno::EINPROGRESS) if !self.nonblocking() => {
                let r = self.wait_for(ctx, false, Direction::Write, None, || {
                    match self.proto.connect_result() {
                        None => Err(Errno::EAGAIN),
                        Some(r) => r,
                    }
                });
                match r {
                    Err(Errno::ERESTART) => Err(Errno::EINTR),
                    r => r,
                }
            }
            r => r,
        }
    }

    /// Accept with the socket's blocking rules.
    pub fn accept(&self, ctx: &Ctx) -> KResult<Arc<dyn ProtoSocket>> {
        if !self.proto.is_listening() {
            return Err(Errno::EINVAL);
        }
        let timeout = self.proto.shared().opts().rcvtimeo;
        self.wait_for(ctx, self.nonblocking(), Direction::Read, timeout, || {
            self.proto.accept()
        })
    }
}

/// `S_IFSOCK`.
const S_IFSOCK: u32 = netbsd_abi::S_IFSOCK as u32;
/// `FIONREAD`.
const FIONREAD: u64 = netbsd_abi::FIONREAD;
/// `FIONWRITE`.
const FIONWRITE: u64 = netbsd_abi::FIONWRITE;
/// `FIONSPACE`.
const FIONSPACE: u64 = netbsd_abi::FIONSPACE;
/// `SIOCATMARK`.
const SIOCATMARK: u64 = netbsd_abi::SIOCATMARK;

impl FileOps for Socket {
    fn dtype(&self) -> u32 {
        rump::file::DTYPE_SOCKET
    }

    /// Datagrams are records: a write is one, a read takes one.
    fn keeps_records(&self) -> bool {
        self.proto.kind().1 != SOCK_STREAM
    }

    /// The protocol's socket: what its `pcblist` names it by.
    fn data_id(&self) -> u64 {
        Arc::as_ptr(&self.proto).cast::<()>() as usize as u64
    }

    fn read(&self, ctx: &Ctx, buf: &mut [u8], _offset: Option<u64>) -> KResult<usize> {
        self.recv(ctx, buf, 0).map(|r| r.len)
    }

    fn write(&self, ctx: &Ctx, buf: &[u8], _offset: Option<u64>) -> KResult<usize> {
        self.send(ctx, buf, None, 0)
    }

    fn stat(&self, ctx: &Ctx) -> KResult<Stat> {
        let cred = ctx.cred();
        Ok(Stat {
            mode: S_IFSOCK | 0o666,
            uid: cred.euid,
            gid: cred.egid,
            blksize: 512,
            size: self.proto.nread() as i64,
            ..Stat::default()
        })
    }

    fn close(&self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            self.proto.close();
        }
    }

    /// `soo_restart`: the socket's waiting calls wake and restart.
    fn restart(&self) {
        self.restarts.restart();
        self.proto.shared().wait.wake_waiters();
    }

    /// `SO_LINGER` with a time: close now, and wait up to that long for
    /// what was sent to be acknowledged (`soclose`).
    fn last_close(&self, ctx: &Ctx) {
        let Some(secs) = self.proto.shared().opts().linger.filter(|&s| s > 0) else {
            return;
        };
        if self.proto.kind().1 != SOCK_STREAM || self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.proto.close();
        let nonblock = self.nonblocking();
        let wait = Duration::from_secs(secs.unsigned_abs().into());
        let _ = self.wait_for(ctx, nonblock, Direction::Drain, Some(wait), || {
            if self.proto.drained() {
                Ok(())
            } else {
                Err(Errno::EAGAIN)
            }
        });
    }

    fn set_status_flags(&self, flags: u32) {
        let (nonblock, nosigpipe) = (
            netbsd_abi::O_NONBLOCK as u32,
            netbsd_abi::O_NOSIGPIPE as u32,
        );
        self.nonblock
            .store(flags & nonblock != 0, Ordering::Relaxed);
        self.nosigpipe
            .store(flags & nosigpipe != 0, Ordering::Relaxed);
    }

    fn poll(&self, events: i16) -> i16 {
        // NetBSD's sopoll answers readable, writable and out-of-band alone,
        // never POLLHUP: a protocol's hang-up bit only feeds the kqueue
        // filters' EV_EOF (cant_recv_more, cant_send_more).
        const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
        self.proto.poll(events) & !POLLHUP
    }

    fn kqfilter(&self, filter: u32) -> KResult<Option<rump::kqueue::VnodeKey>> {
        match filter {
            EVFILT_READ | EVFILT_WRITE => Ok(None),
            _ => Err(Errno::EINVAL),
        }
    }

    fn kevent(&self, kn: &mut rump::kqueue::FilterState) -> bool {
        let fired = self.filter(kn);
        if !fired {
            // The level the filter waits for, for a protocol that must
            // watch for it.
            let lowat = kn.sfflags & NOTE_LOWAT != 0;
            let (dir, level) = match kn.filter {
                EVFILT_READ if self.proto.is_listening() => (Direction::Read, 1),
                EVFILT_READ if lowat => (Direction::Read, kn.sdata),
                EVFILT_READ => (
                    Direction::Read,
                    self.proto.shared().opts().rcvlowat.max(1) as i64,
                ),
                _ if lowat => (Direction::Write, kn.sdata),
                _ => (Direction::Write, 1),
            };
            self.proto
                .want_level(dir, usize::try_from(level).unwrap_or(0).max(1));
        }
        fired
    }

    fn ioctl(&self, ctx: &Ctx, cmd: u64, data: &mut [u8], user: &dyn UserSpace) -> KResult<()> {
        let put = |data: &mut [u8], v: usize| {
            let v = i32::try_from(v).unwrap_or(i32::MAX);
            data.get_mut(..4)
                .ok_or(Errno::EINVAL)?
                .copy_from_slice(&v.to_le_bytes());
            Ok(())
        };
        match cmd {
            // soo_ioctl: what the receive buffer holds (sb_cc, a
            // datagram's sender address included), not the next record.
            FIONREAD => put(data, self.proto.rcv_cc()),
            FIONWRITE => put(data, self.proto.nwrite()),
            FIONSPACE => put(data, self.proto.snd_space()),
            SIOCATMARK => put(data, 0),
            _ => crate::ifioctl::ifioctl(ctx, self, cmd, data, user),
        }
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

impl Socket {
    /// Whether kevent filter `kn` holds now (NetBSD's filt_solisten,
    /// filt_soread and filt_sowrite), its data and `EV_EOF` set.
    fn filter(&self, kn: &mut rump::kqueue::FilterState) -> bool {
        let lowat = kn.sfflags & NOTE_LOWAT != 0;
        if kn.filter == EVFILT_READ {
            if self.proto.is_listening() {
                kn.data = self.proto.accept_ready() as i64;
                return kn.data > 0;
            }
            kn.data = self.proto.rcv_cc() as i64;
            if self.proto.cant_recv_more() {
                kn.flags |= EV_EOF;
                return true;
            }
            if lowat {
                return kn.data >= kn.sdata;
            }
            // Data, or a pending error that makes poll say readable (a
            // socket never connected only hangs up there).
            const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
            let rcvlowat = self.proto.shared().opts().rcvlowat.max(1);
            let bits = self.proto.poll(POLLIN | POLLRDNORM);
            return kn.data >= rcvlowat as i64
                || (bits & (POLLIN | POLLRDNORM) != 0 && bits & POLLHUP == 0);
        }
        kn.data = self.proto.snd_space() as i64;
        if self.proto.cant_send_more() {
            kn.flags |= EV_EOF;
            return true;
        }
        if lowat {
            // The caller's mark stands for the socket's; a stream must be
            // connected all the same.
            let connected = self.proto.kind().1 != SOCK_STREAM || self.proto.peername().is_ok();
            connected && kn.data >= kn.sdata
        } else {
            self.proto.poll(POLLOUT) & POLLOUT != 0
        }
    }
}

/// Readiness from the usual parts: readable, writable, hung up.
pub fn poll_bits(events: i16, readable: bool, writable: bool, hup: bool) -> i16 {
    const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;
    let mut r = 0;
    if readable {
        r |= events & (POLLIN | POLLRDNORM);
    }
    if writable {
        r |= events & (POLLOUT | POLLWRNORM);
    }
    if hup {
        r |= POLLHUP;
    }
    r
}

#[cfg(test)]
mod tests;
