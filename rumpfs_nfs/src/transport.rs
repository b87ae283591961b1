//! The RPC client's transports through the kernel's own sockets: a TCP
//! connection or a UDP socket made in the kernel's `AF_INET` family
//! (sockin's host sockets or netinet's stack, whichever the kernel has),
//! used with the socket layer's blocking rules.

use netbsd_abi::layout::sockaddr_in as sin;
use rump::{Errno, KResult, Kernel};
use rumpnet::Net;
use rumpnet::socket::{SOCK_DGRAM, SOCK_STREAM, Socket};
use std::net::SocketAddrV4;
use std::sync::Weak;
use std::time::Duration;

const AF_INET: u8 = netbsd_abi::AF_INET as u8;
/// `IPPORT_RESERVEDMIN` and `IPPORT_RESERVEDMAX` (`netinet/in.h`): the
/// ports `bindresvport` takes, as NetBSD's NFS client does for a mount
/// with `NFSMNT_RESVPORT` (servers may insist on them).
const RESERVED_PORTS: std::ops::RangeInclusive<u16> =
    600..=(netbsd_abi::IPPORT_RESERVED as u16 - 1);

pub use crate::rpc::KernelErrno;

fn io(e: Errno) -> std::io::Error {
    std::io::Error::other(KernelErrno(e))
}

/// `addr` as NetBSD's `struct sockaddr_in`.
pub fn sockaddr_in(addr: SocketAddrV4) -> Vec<u8> {
    let mut sa = vec![0u8; sin::SIZE];
    sin::sin_len.put(&mut sa, sin::SIZE as u64);
    sin::sin_family.put(&mut sa, AF_INET.into());
    sa[sin::sin_port.range()].copy_from_slice(&addr.port().to_be_bytes());
    sa[sin::sin_addr.range()].copy_from_slice(&addr.ip().octets());
    sa
}

/// Bind `sock` to the highest free reserved port, as `bindresvport`
/// picks; EADDRINUSE when every one is taken.
fn bind_reserved(k: &Kernel, sock: &Socket) -> KResult<()> {
    k.with_ctx(|ctx| {
        for port in RESERVED_PORTS.rev() {
            let any = SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, port);
            match sock.proto().bind(ctx, &sockaddr_in(any)) {
                Err(Errno::EADDRINUSE) => continue,
                r => return r,
            }
        }
        Err(Errno::EADDRINUSE)
    })
}

/// A TCP connection through the kernel's sockets. It holds the kernel
/// weakly: a mount keeps its connection, and the kernel keeps the mount.
pub struct KernelStream {
    kernel: Weak<Kernel>,
    sock: Socket,
}

impl KernelStream {
    /// Connect to `addr` through kernel `k`'s `AF_INET` family;
    /// EAFNOSUPPORT when the kernel has none.
    pub fn connect(k: &Kernel, addr: SocketAddrV4) -> KResult<KernelStream> {
        Self::open(k, addr, false)
    }

    /// [`KernelStream::connect`] from a reserved port (the highest free
    /// one, as `bindresvport` picks); EADDRINUSE when every one is taken.
    pub fn connect_from_reserved_port(k: &Kernel, addr: SocketAddrV4) -> KResult<KernelStream> {
        Self::open(k, addr, true)
    }

    fn open(k: &Kernel, addr: SocketAddrV4, reserved: bool) -> KResult<KernelStream> {
        let domain = Net::of(k).domain(AF_INET).ok_or(Errno::EAFNOSUPPORT)?;
        let proto = k.with_ctx(|ctx| domain.socket(ctx, SOCK_STREAM, 0))?;
        let sock = Socket::new(proto, false, true);
        if reserved {
            bind_reserved(k, &sock)?;
        }
        k.with_ctx(|ctx| sock.connect(ctx, &sockaddr_in(addr)))?;
        Ok(KernelStream {
            kernel: k.weak(),
            sock,
        })
    }

    /// Reads wait at most `t` (`SO_RCVTIMEO`), then fail with EAGAIN.
    pub fn set_read_timeout(&self, t: Option<Duration>) {
        rump::sync::lock(&self.sock.proto().shared().opts).rcvtimeo = t;
    }

    /// Run `f` inside the kernel, which must still be there (ENXIO once
    /// it is gone).
    fn inside<R>(&self, f: impl FnOnce(&rump::syscall::Ctx) -> KResult<R>) -> std::io::Result<R> {
        let k = self.kernel.upgrade().ok_or(io(Errno::ENXIO))?;
        k.with_ctx(f).map_err(io)
    }
}

impl std::io::Read for KernelStream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inside(|ctx| self.sock.recv(ctx, buf, 0))
            .map(|r| r.len)
    }
}

impl std::io::Write for KernelStream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inside(|ctx| self.sock.send(ctx, buf, None, 0))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for KernelStream {
    fn drop(&mut self) {
        self.sock.proto().close();
    }
}

/// A UDP socket through the kernel's sockets, sending to the server; with
/// `connected` it is connected there (replies from elsewhere are dropped by
/// the socket), without (NetBSD's `NFSMNT_NOCONN`) any sender's reply is
/// taken, as a multi-homed server may answer from another address.
pub struct KernelDatagram {
    kernel: Weak<Kernel>,
    sock: Socket,
    /// Where each datagram goes: `None` once connected (a connected
    /// socket refuses an address, EISCONN).
    to: Option<Vec<u8>>,
}

impl KernelDatagram {
    /// A UDP socket for `server` in kernel `k`'s `AF_INET` family, from a
    /// reserved port when `reserved`.
    pub fn open(
        k: &Kernel,
        server: SocketAddrV4,
        connected: bool,
        reserved: bool,
    ) -> KResult<KernelDatagram> {
        let domain = Net::of(k).domain(AF_INET).ok_or(Errno::EAFNOSUPPORT)?;
        let proto = k.with_ctx(|ctx| domain.socket(ctx, SOCK_DGRAM, 0))?;
        let sock = Socket::new(proto, false, true);
        if reserved {
            bind_reserved(k, &sock)?;
        }
        let to = sockaddr_in(server);
        if connected {
            k.with_ctx(|ctx| sock.connect(ctx, &to))?;
        }
        Ok(KernelDatagram {
            kernel: k.weak(),
            sock,
            to: (!connected).then_some(to),
        })
    }
}

impl oncrpc::dgram::Datagrams for KernelDatagram {
    fn send(&mut self, msg: &[u8]) -> Result<(), Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        k.with_ctx(|ctx| self.sock.send(ctx, msg, self.to.as_deref(), 0))
            .map(drop)
    }

    fn recv(&mut self, buf: &mut [u8], wait: Duration) -> Result<Option<usize>, Errno> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        rump::sync::lock(&self.sock.proto().shared().opts).rcvtimeo = Some(wait);
        match k.with_ctx(|ctx| self.sock.recv(ctx, buf, 0)) {
            Ok(r) => Ok(Some(r.len)),
            Err(Errno::EAGAIN) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

impl Drop for KernelDatagram {
    fn drop(&mut self) {
        self.sock.proto().close();
    }
}
