//! Host Internet sockets for the kernel's `sockin` domain (NetBSD's
//! `rumpcomp_sockin_*` host calls): TCP and UDP sockets of the host,
//! always non-blocking, with addresses as `std::net::SocketAddr` so that
//! the kernel never sees a host `sockaddr`; and a poll over many of them
//! that another thread can interrupt.

use std::io::{Error, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// The kind of a host Internet socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InetKind {
    /// TCP (`SOCK_STREAM`).
    Stream,
    /// UDP (`SOCK_DGRAM`).
    Datagram,
}

/// A socket option the kernel passes on to the host socket (the ones
/// NetBSD's `sockin_user.c` translates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InetOption {
    /// `SO_REUSEADDR`.
    ReuseAddr(bool),
    /// `SO_REUSEPORT`.
    ReusePort(bool),
    /// `SO_KEEPALIVE`.
    KeepAlive(bool),
    /// `SO_BROADCAST`.
    Broadcast(bool),
    /// `SO_DONTROUTE`.
    DontRoute(bool),
    /// `SO_OOBINLINE`.
    OobInline(bool),
    /// `SO_SNDBUF` in bytes.
    SendBuffer(u32),
    /// `SO_RCVBUF` in bytes.
    ReceiveBuffer(u32),
    /// `TCP_NODELAY`.
    NoDelay(bool),
    /// `IP_TOS`.
    Tos(u8),
    /// `IP_TTL`.
    Ttl(u8),
    /// `IPV6_V6ONLY`.
    V6Only(bool),
}

/// What a poll found on one socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Data (or a connection, or end of stream) can be read.
    pub readable: bool,
    /// Data can be sent (or a connect finished).
    pub writable: bool,
    /// The connection is gone in both directions.
    pub hangup: bool,
    /// An error is pending.
    pub error: bool,
}

/// What one receive returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InetReceived {
    /// Bytes stored.
    pub len: usize,
    /// The datagram's whole length (more than `len` when truncated).
    pub full: usize,
    /// The sender, for datagrams.
    pub from: Option<SocketAddr>,
}

/// A host TCP or UDP socket, non-blocking: an operation that would wait
/// fails with the host's `EAGAIN` or `EINPROGRESS` instead.
#[derive(Debug)]
pub struct InetSocket {
    fd: OwnedFd,
    kind: InetKind,
}

/// `SOCK_NONBLOCK | SOCK_CLOEXEC` for every socket made here.
const SOCK_FLAGS: libc::c_int = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;

fn cvt(r: libc::c_int) -> Result<libc::c_int> {
    if r < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn cvt_size(r: libc::ssize_t) -> Result<usize> {
    if r < 0 {
        Err(Error::last_os_error())
    } else {
        Ok(r.unsigned_abs())
    }
}

/// A host `sockaddr_storage` holding `addr`, and its length.
fn to_host(addr: &SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: an all-zero sockaddr_storage is a valid value.
    let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in.
            unsafe { std::ptr::write((&raw mut ss).cast::<libc::sockaddr_in>(), sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than and aligned for
            // sockaddr_in6.
            unsafe { std::ptr::write((&raw mut ss).cast::<libc::sockaddr_in6>(), sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (ss, len as libc::socklen_t)
}

/// The address in a host `sockaddr_storage`; `None` for another family.
fn from_host(ss: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match libc::c_int::from(ss.ss_family) {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in.
            let sin =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says the storage holds a sockaddr_in6.
            let sin6 =
                unsafe { &*(ss as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            Some(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                u16::from_be(sin6.sin6_port),
                u32::from_be(sin6.sin6_flowinfo),
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

impl InetSocket {
    /// A new host socket of `kind`, IPv6 if `v6`.
    pub fn new(v6: bool, kind: InetKind) -> Result<InetSocket> {
        let domain = if v6 { libc::AF_INET6 } else { libc::AF_INET };
        let ty = match kind {
            InetKind::Stream => libc::SOCK_STREAM,
            InetKind::Datagram => libc::SOCK_DGRAM,
        };
        // SAFETY: plain system call; the result is checked.
        let fd = cvt(unsafe { libc::socket(domain, ty | SOCK_FLAGS, 0) })?;
        // SAFETY: `fd` was just returned by socket(2) and is owned by no one else.
        Ok(InetSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            kind,
        })
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// `bind(2)`.
    pub fn bind(&self, addr: &SocketAddr) -> Result<()> {
        let (ss, len) = to_host(addr);
        // SAFETY: `ss` is a valid sockaddr of `len` bytes for the call.
        cvt(unsafe { libc::bind(self.raw(), (&raw const ss).cast(), len) }).map(drop)
    }

    /// `connect(2)`: a stream connect that has started answers the host's
    /// `EINPROGRESS`; [`InetSocket::take_error`] tells how it ended once
    /// the socket is writable.
    pub fn connect(&self, addr: &SocketAddr) -> Result<()> {
        let (ss, len) = to_host(addr);
        // SAFETY: `ss` is a valid sockaddr of `len` bytes for the call.
        cvt(unsafe { libc::connect(self.raw(), (&raw const ss).cast(), len) }).map(drop)
    }

    /// Dissolve a datagram socket's association (`connect` with
    /// `AF_UNSPEC`).
    pub fn disconnect(&self) -> Result<()> {
        // SAFETY: an all-zero sockaddr is a valid AF_UNSPEC address.
        let mut sa: libc::sockaddr = unsafe { std::mem::zeroed() };
        sa.sa_family = libc::AF_UNSPEC as libc::sa_family_t;
        let len = std::mem::size_of::<libc::sockaddr>() as libc::socklen_t;
        // SAFETY: `sa` is a valid sockaddr of `len` bytes.
        cvt(unsafe { libc::connect(self.raw(), &raw const sa, len) }).map(drop)
    }

    /// `listen(2)`.
    pub fn listen(&self, backlog: i32) -> Result<()> {
        // SAFETY: plain system call on our descriptor.
        cvt(unsafe { libc::listen(self.raw(), backlog) }).map(drop)
    }

    /// `accept(2)`: a connection, itself non-blocking, and its peer.
    pub fn accept(&self) -> Result<(InetSocket, Option<SocketAddr>)> {
        // SAFETY: an all-zero sockaddr_storage is a valid value.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `ss` and `len` are valid for writing for the call.
        let fd =
            cvt(unsafe { libc::accept4(self.raw(), (&raw mut ss).cast(), &mut len, SOCK_FLAGS) })?;
        // SAFETY: `fd` was just returned by accept4(2) and is ours.
        let s = InetSocket {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            kind: self.kind,
        };
        Ok((s, from_host(&ss)))
    }

    /// Send `data`, to `to` if given; `oob` sends it as urgent data.
    pub fn send(&self, data: &[u8], to: Option<&SocketAddr>, oob: bool) -> Result<usize> {
        let flags = libc::MSG_NOSIGNAL | if oob { libc::MSG_OOB } else { 0 };
        let r = match to {
            // SAFETY: `data` is valid for reading for the call.
            None => unsafe { libc::send(self.raw(), data.as_ptr().cast(), data.len(), flags) },
            Some(a) => {
                let (ss, len) = to_host(a);
                // SAFETY: `data` and `ss` are valid for the call.
                unsafe {
                    libc::sendto(
                        self.raw(),
                        data.as_ptr().cast(),
                        data.len(),
                        flags,
                        (&raw const ss).cast(),
                        len,
                    )
                }
            }
        };
        cvt_size(r)
    }

    /// Receive into `buf`; `peek` leaves the data queued, `oob` takes
    /// urgent data. A datagram longer than `buf` is truncated and its
    /// whole length reported.
    pub fn recv(&self, buf: &mut [u8], peek: bool, oob: bool) -> Result<InetReceived> {
        // On a TCP socket MSG_TRUNC would discard the data instead.
        let mut flags = match self.kind {
            InetKind::Datagram => libc::MSG_TRUNC,
            InetKind::Stream => 0,
        };
        if peek {
            flags |= libc::MSG_PEEK;
        }
        if oob {
            flags |= libc::MSG_OOB;
        }
        // SAFETY: an all-zero sockaddr_storage is a valid value.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        // SAFETY: `buf`, `ss` and `len` are valid for writing for the call.
        let full = cvt_size(unsafe {
            libc::recvfrom(
                self.raw(),
                buf.as_mut_ptr().cast(),
                buf.len(),
                flags,
                (&raw mut ss).cast(),
                &mut len,
            )
        })?;
        let from = if len > 0 { from_host(&ss) } else { None };
        Ok(InetReceived {
            len: full.min(buf.len()),
            full,
            from,
        })
    }

    /// `shutdown(2)`: stop reading, writing or both.
    pub fn shutdown(&self, read: bool, write: bool) -> Result<()> {
        let how = match (read, write) {
            (true, true) => libc::SHUT_RDWR,
            (true, false) => libc::SHUT_RD,
            _ => libc::SHUT_WR,
        };
        // SAFETY: plain system call on our descriptor.
        cvt(unsafe { libc::shutdown(self.raw(), how) }).map(drop)
    }

    fn name(&self, peer: bool) -> Result<SocketAddr> {
        // SAFETY: an all-zero sockaddr_storage is a valid value.
        let mut ss: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
        let p = (&raw mut ss).cast();
        // SAFETY: `ss` and `len` are valid for writing for the call.
        cvt(unsafe {
            if peer {
                libc::getpeername(self.raw(), p, &mut len)
            } else {
                libc::getsockname(self.raw(), p, &mut len)
            }
        })?;
        from_host(&ss).ok_or_else(|| Error::from_raw_os_error(libc::EAFNOSUPPORT))
    }

    /// `getsockname(2)`.
    pub fn local_addr(&self) -> Result<SocketAddr> {
        self.name(false)
    }

    /// `getpeername(2)`.
    pub fn peer_addr(&self) -> Result<SocketAddr> {
        self.name(true)
    }

    fn setsockopt_int(&self, level: libc::c_int, name: libc::c_int, v: libc::c_int) -> Result<()> {
        let len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` is a valid int for the call.
        cvt(unsafe { libc::setsockopt(self.raw(), level, name, (&raw const v).cast(), len) })
            .map(drop)
    }

    /// Set an option on the host socket.
    pub fn set_option(&self, opt: InetOption) -> Result<()> {
        let b = libc::c_int::from;
        let (level, name, v) = match opt {
            InetOption::ReuseAddr(x) => (libc::SOL_SOCKET, libc::SO_REUSEADDR, b(x)),
            InetOption::ReusePort(x) => (libc::SOL_SOCKET, libc::SO_REUSEPORT, b(x)),
            InetOption::KeepAlive(x) => (libc::SOL_SOCKET, libc::SO_KEEPALIVE, b(x)),
            InetOption::Broadcast(x) => (libc::SOL_SOCKET, libc::SO_BROADCAST, b(x)),
            InetOption::DontRoute(x) => (libc::SOL_SOCKET, libc::SO_DONTROUTE, b(x)),
            InetOption::OobInline(x) => (libc::SOL_SOCKET, libc::SO_OOBINLINE, b(x)),
            InetOption::SendBuffer(n) => (
                libc::SOL_SOCKET,
                libc::SO_SNDBUF,
                libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX),
            ),
            InetOption::ReceiveBuffer(n) => (
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                libc::c_int::try_from(n).unwrap_or(libc::c_int::MAX),
            ),
            InetOption::NoDelay(x) => (libc::IPPROTO_TCP, libc::TCP_NODELAY, b(x)),
            InetOption::Tos(n) => (libc::IPPROTO_IP, libc::IP_TOS, n.into()),
            InetOption::Ttl(n) => (libc::IPPROTO_IP, libc::IP_TTL, n.into()),
            InetOption::V6Only(x) => (libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, b(x)),
        };
        self.setsockopt_int(level, name, v)
    }

    /// The pending error (`SO_ERROR`), cleared by reading it.
    pub fn take_error(&self) -> Result<Option<Error>> {
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        // SAFETY: `v` and `len` are valid for writing for the call.
        cvt(unsafe {
            libc::getsockopt(
                self.raw(),
                libc::SOL_SOCKET,
                libc::SO_ERROR,
                (&raw mut v).cast(),
                &mut len,
            )
        })?;
        Ok((v != 0).then(|| Error::from_raw_os_error(v)))
    }

    /// Bytes queued to read (`FIONREAD`).
    pub fn pending_read(&self) -> usize {
        self.ioctl_count(libc::FIONREAD)
    }

    /// Bytes queued to send and not yet acknowledged (`TIOCOUTQ`).
    pub fn pending_write(&self) -> usize {
        self.ioctl_count(libc::TIOCOUTQ)
    }

    fn ioctl_count(&self, req: libc::c_ulong) -> usize {
        let mut v: libc::c_int = 0;
        // SAFETY: `v` is a valid int for the ioctl to fill.
        let r = unsafe { libc::ioctl(self.raw(), req, &mut v) };
        if r < 0 {
            0
        } else {
            usize::try_from(v).unwrap_or(0)
        }
    }

    /// What holds now, without waiting.
    pub fn readiness(&self) -> Readiness {
        poll_sockets(&mut [(self, true, true)], None, Some(Duration::ZERO))
            .ok()
            .and_then(|v| v.into_iter().next())
            .unwrap_or_default()
    }
}

/// Wakes a thread blocked in [`poll_sockets`] (a host pipe).
#[derive(Debug)]
pub struct InetWaker {
    read: OwnedFd,
    write: OwnedFd,
}

impl InetWaker {
    /// A new waker.
    pub fn new() -> Result<InetWaker> {
        let mut fds = [0 as libc::c_int; 2];
        // SAFETY: `fds` is valid for two ints.
        cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
        // SAFETY: pipe2 returned two new descriptors that are ours.
        Ok(unsafe {
            InetWaker {
                read: OwnedFd::from_raw_fd(fds[0]),
                write: OwnedFd::from_raw_fd(fds[1]),
            }
        })
    }

    /// Make the current or next [`poll_sockets`] with this waker return.
    pub fn wake(&self) {
        let b = 1u8;
        // SAFETY: one byte from a valid buffer; a full pipe already wakes.
        unsafe { libc::write(self.write.as_raw_fd(), (&raw const b).cast(), 1) };
    }

    fn drain(&self) {
        let mut buf = [0u8; 64];
        // SAFETY: `buf` is valid for writing; the pipe is non-blocking.
        while unsafe { libc::read(self.read.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) } > 0 {
        }
    }
}

/// Wait until one of `set` (socket, want readable, want writable) is
/// ready, `waker` is woken, or `timeout` passes (`None`: for ever); what
/// each socket has, in order.
pub fn poll_sockets(
    set: &mut [(&InetSocket, bool, bool)],
    waker: Option<&InetWaker>,
    timeout: Option<Duration>,
) -> Result<Vec<Readiness>> {
    let mut fds: Vec<libc::pollfd> = set
        .iter()
        .map(|(s, r, w)| libc::pollfd {
            fd: s.raw(),
            events: if *r { libc::POLLIN } else { 0 } | if *w { libc::POLLOUT } else { 0 },
            revents: 0,
        })
        .collect();
    if let Some(w) = waker {
        fds.push(libc::pollfd {
            fd: w.read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        });
    }
    let ms = timeout.map_or(-1, |t| i32::try_from(t.as_millis()).unwrap_or(i32::MAX));
    // SAFETY: `fds` is a valid array of pollfd for the call.
    let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if r < 0 {
        let e = Error::last_os_error();
        if e.raw_os_error() != Some(libc::EINTR) {
            return Err(e);
        }
    }
    if let Some(w) = waker {
        w.drain();
    }
    Ok(fds
        .iter()
        .take(set.len())
        .map(|p| Readiness {
            readable: p.revents & (libc::POLLIN | libc::POLLRDHUP) != 0,
            writable: p.revents & libc::POLLOUT != 0,
            hangup: p.revents & libc::POLLHUP != 0,
            error: p.revents & libc::POLLERR != 0,
        })
        .collect())
}

/// The symbolic name of a host error's errno (`"ECONNREFUSED"`), for the
/// kernel to map to its own numbering; `None` for one sockets do not give.
pub fn errno_name(e: &Error) -> Option<&'static str> {
    let names: &[(i32, &str)] = &[
        (libc::EPERM, "EPERM"),
        (libc::EINTR, "EINTR"),
        (libc::EIO, "EIO"),
        (libc::EBADF, "EBADF"),
        (libc::ENOMEM, "ENOMEM"),
        (libc::EACCES, "EACCES"),
        (libc::EFAULT, "EFAULT"),
        (libc::EINVAL, "EINVAL"),
        (libc::ENFILE, "ENFILE"),
        (libc::EMFILE, "EMFILE"),
        (libc::EPIPE, "EPIPE"),
        (libc::EAGAIN, "EAGAIN"),
        (libc::EINPROGRESS, "EINPROGRESS"),
        (libc::EALREADY, "EALREADY"),
        (libc::ENOTSOCK, "ENOTSOCK"),
        (libc::EDESTADDRREQ, "EDESTADDRREQ"),
        (libc::EMSGSIZE, "EMSGSIZE"),
        (libc::EPROTOTYPE, "EPROTOTYPE"),
        (libc::ENOPROTOOPT, "ENOPROTOOPT"),
        (libc::EPROTONOSUPPORT, "EPROTONOSUPPORT"),
        (libc::EOPNOTSUPP, "EOPNOTSUPP"),
        (libc::EAFNOSUPPORT, "EAFNOSUPPORT"),
        (libc::EADDRINUSE, "EADDRINUSE"),
        (libc::EADDRNOTAVAIL, "EADDRNOTAVAIL"),
        (libc::ENETDOWN, "ENETDOWN"),
        (libc::ENETUNREACH, "ENETUNREACH"),
        (libc::ENETRESET, "ENETRESET"),
        (libc::ECONNABORTED, "ECONNABORTED"),
        (libc::ECONNRESET, "ECONNRESET"),
        (libc::ENOBUFS, "ENOBUFS"),
        (libc::EISCONN, "EISCONN"),
        (libc::ENOTCONN, "ENOTCONN"),
        (libc::ESHUTDOWN, "ESHUTDOWN"),
        (libc::ETIMEDOUT, "ETIMEDOUT"),
        (libc::ECONNREFUSED, "ECONNREFUSED"),
        (libc::EHOSTDOWN, "EHOSTDOWN"),
        (libc::EHOSTUNREACH, "EHOSTUNREACH"),
    ];
    let n = e.raw_os_error()?;
    names.iter().find(|(v, _)| *v == n).map(|(_, s)| *s)
}

/// The unspecified address of a family, for binds that name none.
pub fn unspecified(v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    } else {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tcp_connects_and_moves_bytes_without_blocking() {
        let l = InetSocket::new(false, InetKind::Stream).unwrap();
        l.bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        l.listen(4).unwrap();
        let addr = l.local_addr().unwrap();
        let c = InetSocket::new(false, InetKind::Stream).unwrap();
        match c.connect(&addr) {
            Ok(()) => {}
            Err(e) => assert_eq!(e.raw_os_error(), Some(libc::EINPROGRESS)),
        }
        let r = poll_sockets(&mut [(&l, true, false)], None, Some(Duration::from_secs(5)));
        assert!(r.unwrap()[0].readable);
        let (a, peer) = l.accept().unwrap();
        assert_eq!(peer, Some(c.local_addr().unwrap()));
        let mut buf = [0u8; 8];
        let e = a.recv(&mut buf, false, false).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::EAGAIN));
        assert_eq!(c.send(b"hello", None, false).unwrap(), 5);
        poll_sockets(&mut [(&a, true, false)], None, Some(Duration::from_secs(5))).unwrap();
        let got = a.recv(&mut buf, false, false).unwrap();
        assert_eq!(&buf[..got.len], b"hello");
        assert_eq!(errno_name(&e), Some("EAGAIN"));
    }

    #[test]
    fn a_woken_poll_returns_at_once() {
        let w = InetWaker::new().unwrap();
        let s = InetSocket::new(false, InetKind::Datagram).unwrap();
        s.bind(&"127.0.0.1:0".parse().unwrap()).unwrap();
        w.wake();
        let t = std::time::Instant::now();
        let r = poll_sockets(
            &mut [(&s, true, false)],
            Some(&w),
            Some(Duration::from_secs(10)),
        );
        assert!(!r.unwrap()[0].readable);
        assert!(t.elapsed() < Duration::from_secs(5));
    }
}
