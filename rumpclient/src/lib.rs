//! The rump kernel client library (`rumpclient(3)`): connects to the server
//! named by `RUMP_SERVER` over the rump_sp protocol and makes system calls
//! in the kernel there, serving the server's copy requests from the
//! caller's memory.
//!
//! ```no_run
//! let c = rumpclient::Client::from_env()?;
//! println!("my pid in the kernel: {}", c.getpid()?);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![forbid(unsafe_code)]

mod memory;
mod retry;

pub use memory::{ClientMemory, Regions};
pub use retry::Retry;
pub use rump::Errno;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::sync::{Mutex, MutexGuard};
use sysproxy::payload::{self, CopyData, HandshakeFork, SysResp};
use sysproxy::{Class, HEADER_LEN, Handshake, Header, SpError, Type, Url};

enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn connect(url: &Url, place: Placer) -> std::io::Result<Stream> {
        Ok(match url {
            Url::Unix(p) => Stream::adopt(url, place(UnixStream::connect(p)?.into()))?,
            Url::Tcp { addr, port } => Stream::adopt(
                url,
                place(TcpStream::connect((addr.as_str(), *port))?.into()),
            )?,
        })
    }

    /// The connection to `url` that `fd` already is.
    fn adopt(url: &Url, fd: OwnedFd) -> std::io::Result<Stream> {
        Ok(match url {
            Url::Unix(_) => Stream::Unix(fd.into()),
            Url::Tcp { .. } => {
                let s = TcpStream::from(fd);
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
        })
    }

    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        use std::os::fd::AsFd;
        match self {
            Stream::Unix(s) => s.as_fd(),
            Stream::Tcp(s) => s.as_fd(),
        }
    }

    fn raw_fd(&self) -> RawFd {
        match self {
            Stream::Unix(s) => s.as_raw_fd(),
            Stream::Tcp(s) => s.as_raw_fd(),
        }
    }

    fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }

    fn io(&mut self) -> &mut dyn ReadWrite {
        match self {
            Stream::Unix(s) => s,
            Stream::Tcp(s) => s,
        }
    }
}

/// Where a new connection's descriptor goes: given the descriptor as
/// connected, returns the one to use (a program that manages its own
/// descriptor numbers moves it out of their way).
pub type Placer = fn(OwnedFd) -> OwnedFd;

fn keep_in_place(fd: OwnedFd) -> OwnedFd {
    fd
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// Why a connection could not be made.
#[derive(Debug)]
pub enum ConnectError {
    /// Neither `RUMP__PARSEDSERVER` nor `RUMP_SERVER` is set.
    NotSet,
    /// The URL is not valid.
    Url(sysproxy::UrlError),
    /// The server could not be reached, or did not speak the protocol.
    Io(std::io::Error),
    /// The server refused the handshake.
    Refused(SpError),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::NotSet => f.write_str("RUMP_SERVER not set"),
            ConnectError::Url(e) => write!(f, "{e}"),
            ConnectError::Io(e) => write!(f, "{e}"),
            ConnectError::Refused(e) => write!(f, "{}", Errno(e.errno())),
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        ConnectError::Io(e)
    }
}

struct Conn {
    stream: Stream,
    next_reqno: u64,
    signals: Vec<u32>,
    /// Bytes read from the stream and not yet used: a reply often comes
    /// with the frames before it in one read.
    rbuf: Vec<u8>,
    /// The unused bytes are `rbuf[rpos..]`.
    rpos: usize,
}

/// How much the client reads ahead.
const READ_AHEAD: usize = 64 << 10;

/// What the client does with a signal the server asks it to raise (a
/// signal posted to its process in the kernel, e.g. SIGPIPE on a write to
/// a broken pipe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalDelivery {
    /// Raise the host's counterpart of the signal in this process once the
    /// system call that received it has returned, as NetBSD's client
    /// library does. A signal the host lacks is kept for
    /// [`Client::take_signals`]. The default.
    Raise,
    /// Keep every signal for [`Client::take_signals`].
    Record,
}

/// A connection to a rump kernel server: one process in that kernel.
pub struct Client {
    conn: Mutex<Conn>,
    url: Url,
    retry: Mutex<Retry>,
    /// Whether RAISE requests are raised ([`SignalDelivery::Raise`]).
    raise_signals: std::sync::atomic::AtomicBool,
    /// Where new connections' descriptors go, reconnections included.
    place: Placer,
}

/// The result of `__sysctl`: the error, the old value copied out and the
/// length the kernel stored in `*oldlenp` (set even on ENOMEM).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SysctlReply {
    /// Success or the errno.
    pub result: Result<(), Errno>,
    /// Bytes written to the old-value buffer.
    pub old: Vec<u8>,
    /// The value of `*oldlenp` after the call.
    pub oldlen: usize,
}

fn program_name() -> String {
    std::env::args()
        .next()
        .and_then(|a| {
            std::path::Path::new(&a)
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "???".into())
}

impl Client {
    /// Connect as a NetBSD `rump.*` tool does at start (`prog_init`):
    /// on failure the reason goes to stderr the way those tools put it,
    /// and `None` comes back.
    pub fn for_tool(prog: &str) -> Option<Client> {
        match Client::from_env() {
            Ok(c) => Some(c),
            Err(ConnectError::NotSet) => {
                eprintln!("error: RUMP_SERVER not set");
                eprintln!("{prog}: prog init failed: No such file or directory");
                None
            }
            Err(e) => {
                let m = e.to_string();
                let m = m.split(" (os error").next().unwrap_or(&m);
                eprintln!("{prog}: prog init failed: {m}");
                None
            }
        }
    }

    /// Connect to the server named by `RUMP__PARSEDSERVER` or `RUMP_SERVER`.
    pub fn from_env() -> Result<Client, ConnectError> {
        let url = std::env::var("RUMP__PARSEDSERVER")
            .or_else(|_| std::env::var("RUMP_SERVER"))
            .map_err(|_| ConnectError::NotSet)?;
        Client::connect(&url)
    }

    /// Connect to `url` as a new process named after this program.
    pub fn connect(url: &str) -> Result<Client, ConnectError> {
        Client::connect_placed(url, keep_in_place)
    }

    /// [`Client::connect`], with the connection's descriptor (and those of
    /// any reconnection) put where `place` says.
    pub fn connect_placed(url: &str, place: Placer) -> Result<Client, ConnectError> {
        let url = Url::parse(url, sysproxy::Side::Client).map_err(ConnectError::Url)?;
        let c = Client::open(&url, place)?;
        c.handshake(Handshake::Guest, &payload::emit_name(&program_name()))?;
        Ok(c)
    }

    /// Connect to `url` as the forked child holding `cookie` from
    /// [`Client::prefork`].
    pub fn connect_forked(
        url: &str,
        cookie: [u8; payload::COOKIE_LEN],
    ) -> Result<Client, ConnectError> {
        Client::connect_forked_placed(url, cookie, keep_in_place)
    }

    /// [`Client::connect_forked`] with the descriptor put where `place` says.
    pub fn connect_forked_placed(
        url: &str,
        cookie: [u8; payload::COOKIE_LEN],
        place: Placer,
    ) -> Result<Client, ConnectError> {
        let url = Url::parse(url, sysproxy::Side::Client).map_err(ConnectError::Url)?;
        let c = Client::open(&url, place)?;
        c.handshake(Handshake::Fork, &HandshakeFork { cookie, cancel: 0 }.emit())?;
        Ok(c)
    }

    /// Take up again, in a program image just started by `execve`, the
    /// connection `fd` to `url` that the image before it held (it kept the
    /// descriptor open across the exec): the server is told the new program
    /// `name`, and the process in the kernel goes on with its descriptors.
    pub fn resume_after_exec(
        url: &str,
        fd: OwnedFd,
        name: &str,
        place: Placer,
    ) -> Result<Client, ConnectError> {
        let url = Url::parse(url, sysproxy::Side::Client).map_err(ConnectError::Url)?;
        let c = Client::with_stream(&url, Stream::adopt(&url, fd)?, place);
        c.exec_handshake(name)?;
        Ok(c)
    }

    /// The host descriptor of the connection (which a program keeps open
    /// across `execve` to hand to [`Client::resume_after_exec`]).
    pub fn connection_fd(&self) -> RawFd {
        self.lock().stream.raw_fd()
    }

    /// Move the connection to a new descriptor (placed as for a new
    /// connection) and close the old one: for a program about to close or
    /// reuse that number.
    pub fn move_connection(&self) -> std::io::Result<()> {
        let mut c = self.lock();
        let fd = match &c.stream {
            Stream::Unix(s) => OwnedFd::from(s.try_clone()?),
            Stream::Tcp(s) => OwnedFd::from(s.try_clone()?),
        };
        c.stream = Stream::adopt(&self.url, (self.place)(fd))?;
        Ok(())
    }

    fn with_stream(url: &Url, stream: Stream, place: Placer) -> Client {
        Client {
            conn: Mutex::new(Conn {
                stream,
                next_reqno: 0,
                signals: Vec::new(),
                rbuf: Vec::new(),
                rpos: 0,
            }),
            url: url.clone(),
            retry: Mutex::new(Retry::Never),
            raise_signals: std::sync::atomic::AtomicBool::new(true),
            place,
        }
    }

    fn open(url: &Url, place: Placer) -> Result<Client, ConnectError> {
        let mut stream = Stream::connect(url, place)?;
        // One read of the banner, which must end in a newline (as NetBSD's client).
        let mut banner = [0u8; payload::MAX_BANNER];
        // A signal may interrupt the read (a client with timers or handlers).
        let n = loop {
            match stream.io().read(&mut banner) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if n == 0 || banner[n - 1] != b'\n' {
            return Err(ConnectError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad banner from server",
            )));
        }
        Ok(Client::with_stream(url, stream, place))
    }

    fn lock(&self) -> MutexGuard<'_, Conn> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn handshake(&self, kind: Handshake, body: &[u8]) -> Result<(), ConnectError> {
        let mut c = self.lock();
        let reqno = c
            .send(Class::Req, Type::Handshake, kind as u32, body)
            .map_err(io_err)?;
        match c.wait(reqno, &Regions::new()) {
            Ok(Reply::Resp(_)) => Ok(()),
            Ok(Reply::Error(e)) => Err(ConnectError::Refused(e)),
            Err(e) => Err(ConnectError::Io(std::io::Error::other(e.to_string()))),
        }
    }

    /// The server URL this client is connected to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Signals the server asked this client to raise (RAISE requests) and
    /// that were not raised (see [`SignalDelivery`]), oldest first, in
    /// NetBSD's numbering; taking them clears the list.
    pub fn take_signals(&self) -> Vec<u32> {
        std::mem::take(&mut self.lock().signals)
    }

    /// Choose what happens to signals the server asks this client to raise.
    pub fn set_signal_delivery(&self, d: SignalDelivery) {
        self.raise_signals.store(
            d == SignalDelivery::Raise,
            std::sync::atomic::Ordering::Relaxed,
        );
    }

    /// The signals to raise once the connection is unlocked: none when
    /// they are only recorded. Free when there are none.
    fn signals_to_raise(&self, c: &mut Conn) -> Vec<u32> {
        if self
            .raise_signals
            .load(std::sync::atomic::Ordering::Relaxed)
        {
            std::mem::take(&mut c.signals)
        } else {
            Vec::new()
        }
    }

    /// Raise signals taken by [`Client::signals_to_raise`], with the
    /// connection unlocked: a handler may make system calls of its own.
    /// Those the host lacks are kept for [`Client::take_signals`].
    fn raise(&self, received: Vec<u32>) {
        let unraised: Vec<u32> = received
            .into_iter()
            .filter(|&s| !rumpuser::raise_netbsd_signal(s))
            .collect();
        if !unraised.is_empty() {
            self.lock().signals.extend(unraised);
        }
    }

    /// Set what happens when the connection is lost (see [`Retry`]).
    pub fn set_retry(&self, r: Retry) {
        *self.retry.lock().unwrap_or_else(|e| e.into_inner()) = r;
    }

    /// Reconnect after the connection was lost, as the policy says: a new
    /// GUEST handshake, so a new process in the kernel. `false` when the
    /// policy gives up.
    fn reconnect(&self, c: &mut Conn) -> bool {
        let policy = *self.retry.lock().unwrap_or_else(|e| e.into_inner());
        let started = std::time::Instant::now();
        let mut attempt = 0u32;
        loop {
            match policy {
                Retry::Never => return false,
                Retry::Die => {
                    eprintln!("rump_sp: connection to kernel lost");
                    std::process::exit(1);
                }
                Retry::Once if attempt > 0 => return false,
                Retry::Seconds(n) if attempt > 0 && started.elapsed().as_secs() >= n => {
                    eprintln!("rump_sp: reconnect failed, {n} second timeout");
                    return false;
                }
                _ => {}
            }
            std::thread::sleep(retry::backoff(attempt));
            if attempt == 1 {
                eprintln!("rump_sp: connection to kernel lost, trying to reconnect ...");
            }
            attempt += 1;
            let Ok(fresh) = Client::open(&self.url, self.place) else {
                continue;
            };
            let mut fresh = fresh.conn.into_inner().unwrap_or_else(|e| e.into_inner());
            let hello = payload::emit_name(&program_name());
            let shook = fresh
                .send(Class::Req, Type::Handshake, Handshake::Guest as u32, &hello)
                .ok()
                .and_then(|r| fresh.wait(r, &Regions::new()).ok());
            if matches!(shook, Some(Reply::Resp(_))) {
                // Request numbers go on from where they were, as NetBSD's do.
                fresh.next_reqno = c.next_reqno;
                *c = fresh;
                if attempt > 1 {
                    eprintln!("rump_sp: reconnected!");
                }
                return true;
            }
        }
    }

    /// Make system call `nr` with register arguments `args`; pointers in
    /// `args` are addresses in `mem`. Returns the two return registers. A
    /// lost connection is handled by the [`Retry`] policy: the call is sent
    /// again on the new connection.
    pub fn syscall(
        &self,
        nr: u32,
        args: &[u64],
        mem: &dyn ClientMemory,
    ) -> Result<[i64; 2], Errno> {
        let (r, received) = {
            let mut c = self.lock();
            let r = self.syscall_locked(&mut c, nr, args, mem);
            (r, self.signals_to_raise(&mut c))
        };
        self.raise(received);
        r
    }

    fn syscall_locked(
        &self,
        c: &mut Conn,
        nr: u32,
        args: &[u64],
        mem: &dyn ClientMemory,
    ) -> Result<[i64; 2], Errno> {
        let body = payload::emit_args(args);
        let reply = loop {
            let sent = c
                .send(Class::Req, Type::Syscall, nr, &body)
                .map_err(|_| Errno::ENOTCONN);
            match sent.and_then(|reqno| c.wait(reqno, mem)) {
                Err(Errno::ENOTCONN) if self.reconnect(c) => continue,
                r => break r?,
            }
        };
        match reply {
            Reply::Resp(p) => {
                let r = SysResp::parse(&p).ok_or(Errno::EIO)?;
                if r.error != 0 {
                    Err(Errno(r.error))
                } else {
                    Ok(r.retval)
                }
            }
            Reply::Error(e) => Err(Errno(e.errno())),
        }
    }

    /// Ask the server to copy this client's process for a child about to be
    /// forked; the child attaches with [`Client::connect_forked`].
    pub fn prefork(&self) -> Result<[u8; payload::COOKIE_LEN], Errno> {
        let mut c = self.lock();
        let reqno = c
            .send(Class::Req, Type::Prefork, 0, &[])
            .map_err(|_| Errno::ENOTCONN)?;
        match c.wait(reqno, &Regions::new())? {
            Reply::Resp(p) => p.try_into().map_err(|_| Errno::EIO),
            Reply::Error(e) => Err(Errno(e.errno())),
        }
    }

    /// Tell the server this program has exec'd as `name`: close-on-exec
    /// descriptors close, the process takes the new name.
    pub fn exec_handshake(&self, name: &str) -> Result<(), ConnectError> {
        self.handshake(Handshake::Exec, &payload::emit_name(name))
    }

    /// `getpid(2)` in the kernel.
    pub fn getpid(&self) -> Result<i32, Errno> {
        Ok(self.syscall(20, &[], &Regions::new())?[0] as i32)
    }

    /// `reboot(2)` with `RB_*` flags (what `rump.halt` does).
    pub fn reboot(&self, howto: i32) -> Result<(), Errno> {
        self.syscall(208, &[howto as u32 as u64, 0], &Regions::new())
            .map(drop)
    }

    /// `__sysctl(2)`: `old_capacity` is `None` for a NULL `oldp`.
    pub fn sysctl(
        &self,
        name: &[i32],
        old_capacity: Option<usize>,
        new: Option<&[u8]>,
    ) -> Result<SysctlReply, Errno> {
        let mem = Regions::new();
        let raw: Vec<u8> = name.iter().flat_map(|n| n.to_ne_bytes()).collect();
        let namep = mem.add(&raw);
        let (oldp, oldlenp) = match old_capacity {
            Some(cap) => (
                mem.add_zeroed(cap.max(1)),
                mem.add(&(cap as u64).to_ne_bytes()),
            ),
            None => (0, mem.add(&0u64.to_ne_bytes())),
        };
        let (newp, newlen) = match new {
            Some(b) => (mem.add(b), b.len() as u64),
            None => (0, 0),
        };
        let r = self.syscall(
            202,
            &[namep, name.len() as u64, oldp, oldlenp, newp, newlen],
            &mem,
        );
        // Only a lost connection fails the call; the kernel's errors are its result.
        if r == Err(Errno::ENOTCONN) || r == Err(Errno::EFAULT) {
            return Err(r.unwrap_err());
        }
        let result = r.map(drop);
        let oldlen = u64::from_ne_bytes(mem.get(oldlenp).try_into().unwrap_or_default()) as usize;
        let old = if oldp != 0 {
            let mut o = mem.get(oldp);
            o.truncate(oldlen.min(old_capacity.unwrap_or(0)));
            o
        } else {
            Vec::new()
        };
        Ok(SysctlReply {
            result,
            old,
            oldlen,
        })
    }
}

/// `CTL_QUERY`.
const CTL_QUERY: i32 = -2;
/// `sizeof(struct sysctlnode)`.
pub const SYSCTL_NODE_LEN: usize = 96;

impl Client {
    /// The whole value at `mib`, growing the buffer while the kernel says
    /// ENOMEM (tables can grow between the calls).
    pub fn sysctl_read(&self, mib: &[i32]) -> Result<Vec<u8>, Errno> {
        let mut cap = self.sysctl(mib, None, None)?.oldlen.max(1024);
        loop {
            let r = self.sysctl(mib, Some(cap), None)?;
            match r.result {
                Err(Errno::ENOMEM) => cap = r.oldlen.max(cap) * 2,
                Err(e) => return Err(e),
                Ok(()) => return Ok(r.old),
            }
        }
    }

    /// The `struct sysctlnode` records of the children of `mib`
    /// (`CTL_QUERY`), in number order.
    pub fn sysctl_children(&self, mib: &[i32]) -> Result<Vec<[u8; SYSCTL_NODE_LEN]>, Errno> {
        let mut q = [0u8; SYSCTL_NODE_LEN];
        q[0..4].copy_from_slice(&0x0100_0000u32.to_ne_bytes()); // SYSCTL_VERSION
        let name = [mib, &[CTL_QUERY]].concat();
        let mut cap = 8 * SYSCTL_NODE_LEN;
        loop {
            let r = self.sysctl(&name, Some(cap), Some(&q))?;
            match r.result {
                Err(Errno::ENOMEM) if r.oldlen > cap => cap = r.oldlen,
                Err(e) => return Err(e),
                Ok(()) => {
                    let mut nodes: Vec<[u8; SYSCTL_NODE_LEN]> = r
                        .old
                        .chunks_exact(SYSCTL_NODE_LEN)
                        .filter_map(|c| c.try_into().ok())
                        .collect();
                    nodes.sort_by_key(|n| i32::from_ne_bytes([n[4], n[5], n[6], n[7]]));
                    return Ok(nodes);
                }
            }
        }
    }

    /// `sysctlnametomib`: the MIB of a dotted name, found by walking the
    /// tree with `CTL_QUERY`. ENOENT if a part is not there.
    pub fn sysctl_name_to_mib(&self, name: &str) -> Result<Vec<i32>, Errno> {
        let mut mib = Vec::new();
        for part in name.split('.').filter(|p| !p.is_empty()) {
            let kids = self.sysctl_children(&mib)?;
            let num = kids
                .iter()
                .find(|n| {
                    let nm = &n[8..40];
                    let end = nm.iter().position(|&b| b == 0).unwrap_or(32);
                    &nm[..end] == part.as_bytes()
                })
                .map(|n| i32::from_ne_bytes([n[4], n[5], n[6], n[7]]))
                .ok_or(Errno::ENOENT)?;
            mib.push(num);
        }
        Ok(mib)
    }
}

/// `ctime(3)` in UTC: `Sat Nov 21 09:01:00 2026`.
pub fn ctime(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since the epoch (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let wday = (days + 4).rem_euclid(7) as usize;
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[wday],
        MONTHS[(month - 1) as usize],
        day,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        year
    )
}

fn io_err(e: std::io::Error) -> ConnectError {
    ConnectError::Io(e)
}

enum Reply {
    Resp(Vec<u8>),
    Error(SpError),
}

impl Conn {
    fn send(&mut self, class: Class, typ: Type, union: u32, body: &[u8]) -> std::io::Result<u64> {
        let reqno = self.next_reqno;
        self.next_reqno += 1;
        self.send_as(reqno, class, typ, union, body)?;
        Ok(reqno)
    }

    fn send_as(
        &mut self,
        reqno: u64,
        class: Class,
        typ: Type,
        union: u32,
        body: &[u8],
    ) -> std::io::Result<u64> {
        let f = sysproxy::frame(&Header::new(reqno, class, typ, union, body.len()), body);
        self.stream.io().write_all(&f)?;
        Ok(reqno)
    }

    /// Fill `out` from what was read ahead, then from the stream: small
    /// reads go through the read-ahead buffer, large ones straight in.
    fn read_exact(&mut self, out: &mut [u8]) -> std::io::Result<()> {
        let have = (self.rbuf.len() - self.rpos).min(out.len());
        out[..have].copy_from_slice(&self.rbuf[self.rpos..self.rpos + have]);
        self.rpos += have;
        let rest = &mut out[have..];
        if rest.is_empty() {
            return Ok(());
        }
        rumpuser::spin_until_readable(self.stream.as_fd(), rumpuser::SPIN_FOR_ANSWER);
        if rest.len() >= READ_AHEAD {
            return self.stream.io().read_exact(rest);
        }
        self.rbuf.resize(READ_AHEAD, 0);
        let mut got = 0;
        while got < rest.len() {
            match self.stream.io().read(&mut self.rbuf[got..]) {
                Ok(0) => {
                    self.rbuf.clear();
                    self.rpos = 0;
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    self.rbuf.clear();
                    self.rpos = 0;
                    return Err(e);
                }
            }
        }
        rest.copy_from_slice(&self.rbuf[..rest.len()]);
        self.rbuf.truncate(got);
        self.rpos = rest.len();
        Ok(())
    }

    fn read_frame(&mut self) -> std::io::Result<(Header, Vec<u8>)> {
        let mut hb = [0u8; HEADER_LEN];
        self.read_exact(&mut hb)?;
        let h = Header::parse(&hb)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let mut p = vec![0u8; h.payload_len()];
        self.read_exact(&mut p)?;
        Ok((h, p))
    }

    /// Serve the server's requests until the reply to `reqno` arrives.
    fn wait(&mut self, reqno: u64, mem: &dyn ClientMemory) -> Result<Reply, Errno> {
        loop {
            let (h, p) = self.read_frame().map_err(|_| Errno::ENOTCONN)?;
            match h.class {
                Class::Resp if h.reqno == reqno => return Ok(Reply::Resp(p)),
                Class::Error if h.reqno == reqno => {
                    return Ok(Reply::Error(SpError::from_code(h.union)));
                }
                Class::Resp | Class::Error => {}
                Class::Req => {
                    if let Err(e) = self.serve(h, &p, mem) {
                        // The protocol cannot report a fault: the only honest
                        // answer is to end the connection (NetBSD's client crashes).
                        self.stream.shutdown();
                        return Err(e);
                    }
                }
            }
        }
    }

    fn serve(&mut self, h: Header, p: &[u8], mem: &dyn ClientMemory) -> Result<(), Errno> {
        let fault = || Errno::EFAULT;
        match h.typ {
            Type::Copyin | Type::Copyinstr => {
                let cd = CopyData::parse(p).ok_or(Errno::EINVAL)?;
                let len = usize::try_from(cd.len).map_err(|_| fault())?;
                let data = if h.typ == Type::Copyin {
                    mem.read(cd.addr, len)
                } else {
                    mem.read_str(cd.addr, len)
                };
                let data = data.ok_or_else(fault)?;
                self.send_as(h.reqno, Class::Resp, Type::Copyin, 0, &data)
                    .map_err(|_| Errno::ENOTCONN)?;
            }
            Type::Copyout | Type::Copyoutstr => {
                let cd = CopyData::parse(p).ok_or(Errno::EINVAL)?;
                let data = &p[payload::COPYDATA_LEN..];
                if cd.len as usize != data.len() || !mem.write(cd.addr, data) {
                    return Err(fault());
                }
            }
            Type::Anonmmap => {
                // A Rust client has no memory to lend the kernel: NULL (ENOMEM there).
                self.send_as(h.reqno, Class::Resp, Type::Anonmmap, 0, &0u64.to_ne_bytes())
                    .map_err(|_| Errno::ENOTCONN)?;
            }
            Type::Raise => self.signals.push(h.union),
            Type::Handshake | Type::Syscall | Type::Prefork => {}
        }
        Ok(())
    }
}
