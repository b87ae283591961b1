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

mod exec_env;
mod key;
mod link;
mod memory;
mod process_memory;
mod retry;
mod stream;

pub use exec_env::{EXECFD_ENV, ExecEnv, PARSEDSERVER_ENV, parse_exec_fd};
pub use key::KEY_VARIABLE;
pub use memory::{ClientMemory, Regions, Span};
pub use netbsd_abi::Errno;
pub use process_memory::ProcessMemory;
pub use retry::Retry;
/// A host error worded as `strerror(3)` words it, for tools' messages.
pub use rumpuser::{sigpipe_ends_process, strerror};
pub use stream::Placer;

use crate::link::lock;
pub use link::SignalWindow;
use link::{Link, Reply};
use std::os::fd::{OwnedFd, RawFd};
use std::sync::Mutex;
use stream::Stream;
use sysproxy::payload::{self, HandshakeFork, SysResp};
use sysproxy::{Handshake, SpError, Type, Url, UrlError};

fn keep_in_place(fd: OwnedFd) -> OwnedFd {
    fd
}

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
    /// The server could not take this client, and said why.
    Declined(String),
    /// The server asks for a key that this client could not prove.
    Key(String),
}

impl std::fmt::Display for ConnectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectError::NotSet => f.write_str("RUMP_SERVER not set"),
            ConnectError::Url(e) => write!(f, "{e}"),
            ConnectError::Io(e) => f.write_str(&rumpuser::strerror(e)),
            ConnectError::Refused(e) => write!(f, "{}", Errno(e.errno())),
            ConnectError::Declined(why) => write!(f, "the server refused this client: {why}"),
            ConnectError::Key(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for ConnectError {}

impl From<std::io::Error> for ConnectError {
    fn from(e: std::io::Error) -> Self {
        ConnectError::Io(e)
    }
}

/// What the client does with a signal the server asks it to raise (a
/// signal posted to its process in the kernel, e.g. SIGPIPE on a write to
/// a broken pipe).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalDelivery {
    /// Raise the host's counterpart of the signal in the thread that read
    /// the request, as NetBSD's client library does: it is handled when
    /// that thread's call next sleeps on the connection or ends. A signal
    /// the host lacks is kept for [`Client::take_signals`]. The default.
    Raise,
    /// Keep every signal for [`Client::take_signals`].
    Record,
}

/// A connection to a rump kernel server: one process in that kernel. Any
/// number of threads may make calls on it at once.
pub struct Client {
    link: Link,
    url: Url,
    retry: Mutex<Retry>,
    /// Held by the thread that reconnects.
    reconnecting: Mutex<()>,
    /// That thread (a signal handler's call in it must not wait for it).
    reconnector: Mutex<Option<std::thread::ThreadId>>,
    /// Runs of the reconnect policy so far.
    reconnect_runs: std::sync::atomic::AtomicU64,
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

/// Parse `url` as a client does. A relative unix socket path is made
/// absolute against the current directory here, once, as NetBSD's client
/// library does when it parses the address (`unix_parse`): reconnections,
/// forked children and programs exec'd later find the same socket
/// wherever the program has moved to since. If the current directory
/// cannot be named, the path stays relative (NetBSD warns likewise).
pub fn client_url(url: &str) -> Result<Url, ConnectError> {
    let parsed = Url::parse(url, sysproxy::Side::Client).map_err(ConnectError::Url)?;
    let Url::Unix(path) = &parsed else {
        return Ok(parsed);
    };
    if path.starts_with('/') {
        return Ok(parsed);
    }
    let cwd = std::env::current_dir();
    let Some(cwd) = cwd.as_ref().ok().and_then(|c| c.to_str()) else {
        eprintln!("warning: cannot determine cwd, socket path {path} stays relative");
        return Ok(parsed);
    };
    let abs = format!("{}/{path}", cwd.trim_end_matches('/'));
    if abs.len() > sysproxy::url::MAX_UNIX_PATH {
        return Err(ConnectError::Url(UrlError(format!(
            "invalid URL {url:?}: socket path too long once made absolute ({abs})"
        ))));
    }
    Ok(Url::Unix(abs))
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
            // NetBSD's client library says "error: RUMP_SERVER not set"
            // before the tool's own "prog init failed"; one line naming
            // the program says the same.
            Err(e @ ConnectError::NotSet) => {
                eprintln!("{prog}: {e}");
                None
            }
            Err(e) => {
                eprintln!("{prog}: prog init failed: {e}");
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
        let url = client_url(url)?;
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
        let url = client_url(url)?;
        let c = Client::open(&url, place)?;
        c.handshake(Handshake::Fork, &HandshakeFork { cookie, cancel: 0 }.emit())?;
        Ok(c)
    }

    /// Give up the copy [`Client::prefork`] made for a child that will not
    /// come (its fork failed): a FORK handshake with the cancel flag, on a
    /// connection of its own that ends with it.
    pub fn cancel_fork(url: &str, cookie: [u8; payload::COOKIE_LEN]) -> Result<(), ConnectError> {
        let url = client_url(url)?;
        let c = Client::open(&url, keep_in_place)?;
        // The server answers a cancel by closing the connection.
        match c.handshake(Handshake::Fork, &HandshakeFork { cookie, cancel: 1 }.emit()) {
            Ok(()) | Err(ConnectError::Io(_)) => Ok(()),
            Err(e) => Err(e),
        }
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
        let url = client_url(url)?;
        let c = Client::with_stream(&url, Stream::adopt(&url, fd)?, place);
        c.exec_handshake(name)?;
        Ok(c)
    }

    /// The host descriptor of the connection (which a program keeps open
    /// across `execve` to hand to [`Client::resume_after_exec`]).
    pub fn connection_fd(&self) -> RawFd {
        self.link.stream().raw_fd()
    }

    /// Move the connection to a new descriptor (placed as for a new
    /// connection) and close the old one: for a program about to close or
    /// reuse that number. Waits while another thread reads a frame from it.
    pub fn move_connection(&self) -> std::io::Result<()> {
        // No handler runs while the socket is locked: its calls would wait.
        let mask = rumpuser::block_all_signals();
        let r = self
            .link
            .replace_stream(|s| Stream::adopt(&self.url, (self.place)(s.duplicate()?)));
        rumpuser::restore_signal_mask(&mask);
        r
    }

    fn with_stream(url: &Url, stream: Stream, place: Placer) -> Client {
        Client {
            link: Link::new(stream),
            url: url.clone(),
            retry: Mutex::new(Retry::Never),
            reconnecting: Mutex::new(()),
            reconnector: Mutex::new(None),
            reconnect_runs: std::sync::atomic::AtomicU64::new(0),
            place,
        }
    }

    fn open(url: &Url, place: Placer) -> Result<Client, ConnectError> {
        let stream = Stream::connect(url, place)?;
        // One read of the banner, which must end in a newline (as NetBSD's client).
        let mut banner = [0u8; payload::MAX_BANNER];
        // A signal may interrupt the read (a client with timers or handlers).
        let n = loop {
            match stream.read(&mut banner) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        if n == 0 {
            // What NetBSD's server does when it has no room for a client.
            return Err(ConnectError::Io(std::io::Error::new(
                std::io::ErrorKind::ConnectionAborted,
                "the server closed the connection before its banner (it may have no room for another client)",
            )));
        }
        if banner[n - 1] != b'\n' {
            return Err(ConnectError::Io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "bad banner from server",
            )));
        }
        key::prove(&stream, &banner[..n])?;
        Ok(Client::with_stream(url, stream, place))
    }

    fn handshake(&self, kind: Handshake, body: &[u8]) -> Result<(), ConnectError> {
        match self.call(Type::Handshake, kind as u32, body, &Regions::new(), false) {
            Ok(Reply::Resp(_)) => Ok(()),
            Ok(Reply::Error(_, why)) if !why.is_empty() => Err(ConnectError::Declined(
                String::from_utf8_lossy(&why).into_owned(),
            )),
            Ok(Reply::Error(e, _)) => Err(ConnectError::Refused(e)),
            Err(e) => Err(ConnectError::Io(std::io::Error::other(e.to_string()))),
        }
    }

    /// Send request `typ` and wait for its answer, with every signal
    /// blocked except while the call sleeps (see the `link` module). With
    /// `retry`, a lost connection is handled by the [`Retry`] policy and
    /// the request sent again on the new one.
    fn call(
        &self,
        typ: Type,
        union: u32,
        body: &[u8],
        mem: &dyn ClientMemory,
        retry: bool,
    ) -> Result<Reply, Errno> {
        let mask = rumpuser::block_all_signals();
        let r = loop {
            match self.link.call(typ, union, body, mem, &mask) {
                Err((Errno::ENOTCONN, generation))
                    if retry && self.reconnect(generation, &mask) => {}
                r => break r.map_err(|(e, _)| e),
            }
        };
        // Signals that came meanwhile are handled here, by the program.
        (self.link.signal_window)(&mut || rumpuser::restore_signal_mask(&mask));
        r
    }

    /// Run the moments when the program's signal handlers may run in a
    /// calling thread through `w` (see [`SignalWindow`]).
    pub fn with_signal_window(mut self, w: SignalWindow) -> Client {
        self.link.signal_window = w;
        self
    }

    /// The server URL this client is connected to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Signals the server asked this client to raise (RAISE requests) and
    /// that were not raised (see [`SignalDelivery`]), oldest first, in
    /// NetBSD's numbering; taking them clears the list.
    pub fn take_signals(&self) -> Vec<u32> {
        self.link.take_signals()
    }

    /// Choose what happens to signals the server asks this client to raise.
    pub fn set_signal_delivery(&self, d: SignalDelivery) {
        self.link.set_raise(d == SignalDelivery::Raise);
    }

    /// Set what happens when the connection is lost (see [`Retry`]).
    pub fn set_retry(&self, r: Retry) {
        *lock(&self.retry) = r;
    }

    /// Reconnect after the connection of `generation` was lost, as the
    /// policy says: a new GUEST handshake, so a new process in the kernel.
    /// `false` when the policy gives up. One thread reconnects; the others
    /// find the new connection made, or take the policy's word. Between
    /// attempts the program's signals (`mask`) come in.
    fn reconnect(&self, generation: u64, mask: &rumpuser::SignalMask) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        let me = std::thread::current().id();
        let reconnector = || lock(&self.reconnector);
        if *reconnector() == Some(me) {
            // A handler's call, made while its thread waits to reconnect.
            return false;
        }
        let runs = self.reconnect_runs.load(Relaxed);
        let _one = lock(&self.reconnecting);
        if self.link.generation() != generation {
            return true;
        }
        if self.reconnect_runs.load(Relaxed) != runs {
            return false;
        }
        *reconnector() = Some(me);
        let made = self.run_reconnect_policy(mask);
        *reconnector() = None;
        self.reconnect_runs.fetch_add(1, Relaxed);
        made
    }

    fn run_reconnect_policy(&self, mask: &rumpuser::SignalMask) -> bool {
        let policy = *lock(&self.retry);
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
            (self.link.signal_window)(&mut || {
                rumpuser::sleep_with_mask(retry::backoff(attempt), mask);
            });
            if attempt == 1 {
                eprintln!("rump_sp: connection to kernel lost, trying to reconnect ...");
            }
            attempt += 1;
            let Ok(fresh) = Client::open(&self.url, self.place) else {
                continue;
            };
            // Request numbers go on from where they were, as NetBSD's do.
            fresh.link.set_next_reqno(self.link.next_reqno());
            let hello = payload::emit_name(&program_name());
            if fresh.handshake(Handshake::Guest, &hello).is_ok() {
                self.link.adopt(fresh.link);
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
        nr: usize,
        args: &[u64],
        mem: &dyn ClientMemory,
    ) -> Result<[i64; 2], Errno> {
        // The wire carries a 32-bit number; no system call lies beyond it.
        let nr = u32::try_from(nr).map_err(|_| Errno::ENOSYS)?;
        let body = payload::emit_args(args);
        match self.call(Type::Syscall, nr, &body, mem, true)? {
            Reply::Resp(p) => {
                let r = SysResp::parse(&p).ok_or(Errno::EIO)?;
                if r.error != 0 {
                    Err(Errno(r.error))
                } else {
                    Ok(r.retval)
                }
            }
            Reply::Error(e, _) => Err(Errno(e.errno())),
        }
    }

    /// Ask the server to copy this client's process for a child about to be
    /// forked; the child attaches with [`Client::connect_forked`].
    pub fn prefork(&self) -> Result<[u8; payload::COOKIE_LEN], Errno> {
        match self.call(Type::Prefork, 0, &[], &Regions::new(), false)? {
            Reply::Resp(p) => p.try_into().map_err(|_| Errno::EIO),
            Reply::Error(e, _) => Err(Errno(e.errno())),
        }
    }

    /// Tell the server this program has exec'd as `name`: close-on-exec
    /// descriptors close, the process takes the new name.
    pub fn exec_handshake(&self, name: &str) -> Result<(), ConnectError> {
        self.handshake(Handshake::Exec, &payload::emit_name(name))
    }

    /// `getpid(2)` in the kernel.
    pub fn getpid(&self) -> Result<i32, Errno> {
        Ok(self.syscall(netbsd_abi::SYS_getpid, &[], &Regions::new())?[0] as i32)
    }

    /// `reboot(2)` with `RB_*` flags (what `rump.halt` does).
    pub fn reboot(&self, howto: i32) -> Result<(), Errno> {
        self.syscall(
            netbsd_abi::SYS_reboot,
            &[howto as u32 as u64, 0],
            &Regions::new(),
        )
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
            netbsd_abi::SYS___sysctl,
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

/// `sizeof(struct sysctlnode)`.
pub const SYSCTL_NODE_LEN: usize = netbsd_abi::layout::sysctlnode::SIZE;

/// The `sysctl_num` of a `struct sysctlnode` record.
fn node_num(n: &[u8]) -> i32 {
    netbsd_abi::layout::sysctlnode::sysctl_num
        .get(n)
        .unwrap_or(0) as u32 as i32
}

/// The `sysctl_name` of a `struct sysctlnode` record.
fn node_name(n: &[u8]) -> &[u8] {
    let nm = n
        .get(netbsd_abi::layout::sysctlnode::sysctl_name.range())
        .unwrap_or(&[]);
    let end = nm.iter().position(|&b| b == 0).unwrap_or(nm.len());
    &nm[..end]
}

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
        use netbsd_abi::layout::sysctlnode;
        let mut q = [0u8; SYSCTL_NODE_LEN];
        sysctlnode::sysctl_flags.put(&mut q, netbsd_abi::SYSCTL_VERSION as u64);
        let name = [mib, &[netbsd_abi::CTL_QUERY]].concat();
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
                    nodes.sort_by_key(|n| node_num(n));
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
                .find(|n| node_name(&n[..]) == part.as_bytes())
                .map(|n| node_num(n))
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
