//! Host sockets for serving remote clients (`rumpuser_sp`): unix-domain and
//! TCP listeners and the connections they accept.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

/// A listening socket.
pub enum HostListener {
    /// A unix-domain socket bound at a path (removed by
    /// [`HostListener::remove`]), and the file's device and inode numbers.
    Unix(UnixListener, String, (u64, u64)),
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
    ///
    /// Servers starting in the same directory take turns (a lock on the
    /// directory), so that two of them never both find a socket stale and
    /// one removes the other's, and none is seen between bind and listen.
    pub fn unix(path: &str) -> std::io::Result<HostListener> {
        use std::os::unix::fs::MetadataExt;
        let _turn = DirTurn::take(path);
        let bound = match UnixListener::bind(path) {
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
                replace_stale_socket(path)?;
                UnixListener::bind(path)?
            }
            r => r?,
        };
        let meta = std::fs::symlink_metadata(path)?;
        Ok(HostListener::Unix(
            bound,
            path.to_owned(),
            (meta.dev(), meta.ino()),
        ))
    }

    /// Listen on TCP `addr:port` (`0.0.0.0` for any address).
    pub fn tcp(addr: &str, port: u16) -> std::io::Result<HostListener> {
        let l = TcpListener::bind((addr, port))?;
        Ok(HostListener::Tcp(l))
    }

    /// Wait for the next connection.
    pub fn accept(&self) -> std::io::Result<HostStream> {
        match self {
            HostListener::Unix(l, ..) => Ok(HostStream::Unix(l.accept()?.0)),
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
            HostListener::Unix(l, ..) => l.as_raw_fd(),
            HostListener::Tcp(l) => l.as_raw_fd(),
        };
        // SAFETY: `fd` is the listener's open descriptor, owned by `self`.
        unsafe { libc::shutdown(fd, libc::SHUT_RDWR) };
    }

    /// Remove the socket file of a unix-domain listener (at shutdown),
    /// if it is still this listener's and not a successor's.
    pub fn remove(&self) {
        use std::os::unix::fs::MetadataExt;
        if let HostListener::Unix(_, path, id) = self {
            let _turn = DirTurn::take(path);
            if std::fs::symlink_metadata(path).is_ok_and(|m| (m.dev(), m.ino()) == *id) {
                let _ = std::fs::remove_file(path);
            }
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
    match probe_unix(path) {
        // A full listen queue (EAGAIN) is a live server too.
        Ok(()) | Err(libc::EAGAIN) | Err(libc::EINPROGRESS) => Err(Error::new(
            ErrorKind::AddrInUse,
            "a server is already listening on this socket",
        )),
        Err(libc::ECONNREFUSED) => std::fs::remove_file(path),
        // Gone meanwhile: the bind that follows takes the name.
        Err(libc::ENOENT) => Ok(()),
        Err(e) => Err(Error::from_raw_os_error(e)),
    }
}

/// Connect to the unix socket at `path` without waiting: Ok if it took
/// the connection, else the error number.
fn probe_unix(path: &str) -> Result<(), i32> {
    let bytes = path.as_bytes();
    // SAFETY: a zeroed sockaddr_un is a valid value of the type.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    if bytes.len() >= sa.sun_path.len() || bytes.contains(&0) {
        return Err(libc::ENAMETOOLONG);
    }
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    for (d, s) in sa.sun_path.iter_mut().zip(bytes) {
        *d = *s as libc::c_char;
    }
    // SAFETY: plain socket creation; the descriptor is closed below.
    let fd = unsafe {
        libc::socket(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
        )
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO));
    }
    // SAFETY: `sa` is a valid sockaddr_un of the size given, `fd` ours.
    let r = unsafe {
        libc::connect(
            fd,
            (&sa as *const libc::sockaddr_un).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    let err = std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO);
    // SAFETY: `fd` was opened above and is closed once.
    unsafe { libc::close(fd) };
    if r == 0 { Ok(()) } else { Err(err) }
}

/// An exclusive lock on the directory that holds a socket path, held
/// while the name is checked, replaced or removed; released when dropped.
/// Without a directory to lock (it cannot be opened) there are no turns.
struct DirTurn {
    _held: Option<std::fs::File>,
}

impl DirTurn {
    fn take(path: &str) -> DirTurn {
        let dir = match std::path::Path::new(path).parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let Ok(f) = std::fs::File::open(&dir) else {
            return DirTurn { _held: None };
        };
        // SAFETY: flock on a descriptor we own; it is let go when the file
        // closes.
        let locked = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } == 0;
        DirTurn {
            _held: locked.then_some(f),
        }
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

    /// Read what has come, at most `buf.len()` bytes; 0 when the peer left.
    pub fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            HostStream::Unix(s) => (&*s).read(buf),
            HostStream::Tcp(s) => (&*s).read(buf),
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
/// sleeping when it has. The spinner gives up its CPU at every look, so
/// that a thread on the same CPU (often the peer that is to answer) runs
/// meanwhile: on a loaded two-CPU host, spinning without yielding made a
/// remote getpid six times slower (330 us against 50 us).
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
        std::thread::yield_now();
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
