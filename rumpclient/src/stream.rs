//! The socket to the server, unix or TCP, used through shared references
//! so that one thread can read while others write.

use std::io::{IoSlice, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use sysproxy::Url;

/// Where a new connection's descriptor goes: given the descriptor as
/// connected, returns the one to use (a program that manages its own
/// descriptor numbers moves it out of their way).
pub type Placer = fn(OwnedFd) -> OwnedFd;

pub(crate) enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    pub(crate) fn connect(url: &Url, place: Placer) -> std::io::Result<Stream> {
        match url {
            Url::Unix(p) => Stream::adopt(url, place(UnixStream::connect(p)?.into())),
            Url::Tcp { addr, port } => Stream::adopt(
                url,
                place(TcpStream::connect((addr.as_str(), *port))?.into()),
            ),
        }
    }

    /// The connection to `url` that `fd` already is.
    pub(crate) fn adopt(url: &Url, fd: OwnedFd) -> std::io::Result<Stream> {
        Ok(match url {
            Url::Unix(_) => Stream::Unix(fd.into()),
            Url::Tcp { .. } => {
                let s = TcpStream::from(fd);
                s.set_nodelay(true)?;
                Stream::Tcp(s)
            }
        })
    }

    /// A second descriptor for the same connection.
    pub(crate) fn duplicate(&self) -> std::io::Result<OwnedFd> {
        Ok(match self {
            Stream::Unix(s) => OwnedFd::from(s.try_clone()?),
            Stream::Tcp(s) => OwnedFd::from(s.try_clone()?),
        })
    }

    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            Stream::Unix(s) => s.as_fd(),
            Stream::Tcp(s) => s.as_fd(),
        }
    }

    pub(crate) fn raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }

    pub(crate) fn shutdown(&self) {
        let _ = match self {
            Stream::Unix(s) => s.shutdown(std::net::Shutdown::Both),
            Stream::Tcp(s) => s.shutdown(std::net::Shutdown::Both),
        };
    }

    pub(crate) fn read(&self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => (&*s).read(buf),
            Stream::Tcp(s) => (&*s).read(buf),
        }
    }

    pub(crate) fn read_exact(&self, buf: &mut [u8]) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => (&*s).read_exact(buf),
            Stream::Tcp(s) => (&*s).read_exact(buf),
        }
    }

    pub(crate) fn write_all(&self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => (&*s).write_all(buf),
            Stream::Tcp(s) => (&*s).write_all(buf),
        }
    }

    /// Write every byte of `parts`, in order, gathered into as few system
    /// calls as the socket takes: a header and a large body sent apart
    /// would wake the server for the header alone.
    pub(crate) fn write_all_parts(&self, parts: &[&[u8]]) -> std::io::Result<()> {
        let mut slices: Vec<IoSlice<'_>> = parts
            .iter()
            .filter(|p| !p.is_empty())
            .map(|p| IoSlice::new(p))
            .collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            let n = match self {
                Stream::Unix(s) => (&*s).write_vectored(rest),
                Stream::Tcp(s) => (&*s).write_vectored(rest),
            };
            match n {
                Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
                Ok(n) => IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}
