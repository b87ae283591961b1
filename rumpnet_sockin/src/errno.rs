//! Host socket errors in NetBSD's numbering.

use rump::Errno;

/// The NetBSD errno that names the same condition as the host error `e`
/// (by its symbolic name, so that no number is assumed to agree); the
/// standard library's coarse translation for any other.
pub fn host(e: &std::io::Error) -> Errno {
    rumpuser::errno_name(e)
        .and_then(|name| (1..=Errno::ELAST.0).map(Errno).find(|x| x.name() == name))
        .unwrap_or_else(|| Errno::from_host(e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_errors_keep_their_meaning() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        // A kind without an errno falls back to the coarse translation.
        assert_eq!(host(&refused), Errno::EIO);
        let e = std::net::TcpStream::connect("127.0.0.1:1").unwrap_err();
        assert_eq!(host(&e), Errno::ECONNREFUSED);
    }
}
