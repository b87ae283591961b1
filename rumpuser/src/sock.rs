//! Host sockets for serving remote clients (`rumpuser_sp`): unix-domain and
//! TCP listeners and the connections they accept.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

/// A listening socket.
pub enum HostListener {
    /// A unix-domain socket bound at a path (removed by [`HostListener::remove`]).
    Unix(UnixListener, String),
    /// A TCP socket.
    Tcp(TcpListener),
}

/// One accepted connection.
pub enum HostStream {
    /// Over a unix-domain socket.
    Unix(UnixStream),
    /// Over TCP.
    Tcp(TcpStream),
}

impl HostListener {
    /// Listen on the unix-domain socket `path`. The socket file gets the
    /// permissions the process's umask allows, so file permissions decide
    /// who may connect.
    ///
    /// A socket file left behind by a server that died without removing
    /// it (`kill -9`) is replaced: nobody answers a connection to it. A
    /// socket that answers, or a file that is not a socket, is left alone
    /// and the bind fails saying which it is.
    pub fn unix(path: &str) -> std::io::Result<HostListener> {
        let bound = match UnixListener::bind(path) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                replace_stale_socket(path)?;
                UnixListener::bind(path)?
            }
            r => r?,
        };
        Ok(HostListener::Unix(bound, path.to_owned()))
    }

    /// Listen on TCP `addr:port` (`0.0.0.0` for any address).
    pub fn tcp(addr: &str, port: u16) -> std::io::Result<HostListener> {
        let l = TcpListener::bind((addr, port))?;
        Ok(HostListener::Tcp(l))
    }

    /// Wait for the next connection.
    pub fn accept(&self) -> std::io::Result<HostStream> {
        match self {
            HostListener::Unix(l, _) => Ok(HostStream::Unix(l.accept()?.0)),
            HostListener::Tcp(l) => {
                let s = l.accept()?.0;
                // Requests are small and latency-bound.
                s.set_nodelay(true)?;
                Ok(HostStream::Tcp(s))
            }
        }
    }

    /// The TCP port actually bound (useful with port 0).
    pub fn local_port(&self) -> Option<u16> {
        match self {
            HostListener::Tcp(l) => l.local_addr().ok().map(|a| a.port()),
            HostListener::Unix(..) => None,
        }
    }

    /// Stop listening: a thread blocked in [`HostListener::accept`] wakes
    /// with an error.
    pub fn shutdown(&self) {
        use std::os::fd::AsRawFd;
        let fd = match self {
            HostListener::Unix(l, _) => l.as_raw_fd(),
            HostListener::Tcp(l) => l.as_raw_fd(),
        };
        // SAFETY: `fd` is the listener's open descriptor, owned by `self`.
        unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
    }

    /// Remove the socket file of a unix-domain listener (at shutdown).
    pub fn remove(&self) {
        if let HostListener::Unix(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Remove the socket file at `path` if nothing listens behind it; fail,
/// saying why, if something does or if it is not a socket.
fn replace_stale_socket(path: &str) -> std::io::Result<()> {
    use std::io::{Error, ErrorKind};
    use std::os::unix::fs::FileTypeExt;
    let meta = std::fs::symlink_metadata(path)?;
    if !meta.file_type().is_socket() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            "the path exists and is not a socket",
        ));
    }
    match UnixStream::connect(path) {
        Ok(_) => Err(Error::new(
            ErrorKind::AddrInUse,
            "a server is already listening on this socket",
        )),
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => std::fs::remove_file(path),
        Err(e) => Err(e),
    }
}

/// A descriptor held in reserve, so that a server out of descriptors can
/// still accept a connection to tell the client why it is refused (rather
/// than leave it waiting in the listen queue).
pub struct SpareDescriptor(Option<std::fs::File>);

impl SpareDescriptor {
    /// Take one descriptor (of `/dev/null`) and keep it.
    pub fn new() -> SpareDescriptor {
        SpareDescriptor(std::fs::File::open("/dev/null").ok())
    }

    /// Whether one is held.
    pub fn is_held(&self) -> bool {
        self.0.is_some()
    }

    /// Give the descriptor back to the host while `f` runs, then take one
    /// again.
    pub fn lend<T>(&mut self, f: impl FnOnce() -> T) -> T {
        self.0 = None;
        let r = f();
        *self = SpareDescriptor::new();
        r
    }
}

impl Default for SpareDescriptor {
    fn default() -> Self {
        SpareDescriptor::new()
    }
}

impl HostStream {
    /// Make reads give up with `WouldBlock`/`TimedOut` after `t` (`None`:
    /// wait for ever).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> std::io::Result<()> {
        match self {
            HostStream::Unix(s) => s.set_read_timeout(t),
            HostStream::Tcp(s) => s.set_read_timeout(t),
        }
    }

    /// A second handle to the same connection (one thread reads, others write).
    pub fn try_clone(&self) -> std::io::Result<HostStream> {
        Ok(match self {
            HostStream::Unix(s) => HostStream::Unix(s.try_clone()?),
            HostStream::Tcp(s) => HostStream::Tcp(s.try_clone()?),
        })
    }

    /// Read exactly `buf.len()` bytes; `UnexpectedEof` when the peer left.
    /// One thread reads while others write through the same descriptor.
    pub fn read_exact(&self, buf: &mut [u8]) -> std::io::Result<()> {
        spin_until_readable(self.as_fd(), SPIN_FOR_ANSWER);
        match self {
            HostStream::Unix(s) => (&*s).read_exact(buf),
            HostStream::Tcp(s) => (&*s).read_exact(buf),
        }
    }

    /// Write all of `buf`. Writers of whole frames serialize themselves.
    pub fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            HostStream::Unix(s) => (&*s).write_all(buf),
            HostStream::Tcp(s) => (&*s).write_all(buf),
        }
    }

    /// Close both directions, waking any thread blocked reading it.
    pub fn shutdown(&self) {
        let _ = match self {
            HostStream::Unix(s) => s.shutdown(Shutdown::Both),
            HostStream::Tcp(s) => s.shutdown(Shutdown::Both),
        };
    }
}

/// How long a reader of a request-reply connection spins for the next
/// frame before it sleeps in the host. On hosts where a thread woken on
/// another CPU takes tens of microseconds to run (virtual machines), the
/// answer to a call that was just sent usually arrives well within this.
pub const SPIN_FOR_ANSWER: Duration = Duration::from_micros(50);

/// Spin until `fd` has something to read (or is closed), for at most
/// `limit`; `true` if it has. The caller then reads as usual, without
/// sleeping when it has.
pub fn spin_until_readable(fd: BorrowedFd<'_>, limit: Duration) -> bool {
    let start = Instant::now();
    loop {
        let n = poll_in(fd.as_raw_fd(), 0);
        if n != 0 {
            return n > 0;
        }
        if start.elapsed() >= limit {
            return false;
        }
        std::hint::spin_loop();
    }
}

/// `poll(2)` for input on one descriptor, waiting up to `ms` (-1: for
/// ever): above 0 if it is readable (or hung up), 0 on timeout, below 0 on
/// error.
pub(crate) fn poll_in(fd: std::os::fd::RawFd, ms: i32) -> i32 {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `p` is one valid pollfd on the stack for the duration of the
    // call.
    unsafe { libc::poll(&mut p, 1, ms) }
}

impl AsFd for HostStream {
    fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            HostStream::Unix(s) => s.as_fd(),
            HostStream::Tcp(s) => s.as_fd(),
        }
    }
}
