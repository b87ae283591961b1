//! Server URLs, as `rump_sp(7)` defines them: `unix://path` (relative, or
//! absolute with three slashes) and `tcp://address:port/`.

/// Where a server listens or a client connects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Url {
    /// A unix-domain socket at this path.
    Unix(String),
    /// A TCP address and port; the address `0.0.0.0` stands for "any".
    Tcp {
        /// Dotted IPv4 address.
        addr: String,
        /// Port number.
        port: u16,
    },
}

/// Why a URL is not acceptable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub String);

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UrlError {}

/// The longest unix socket path (`sizeof(sun_path) - 1` on Linux).
pub const MAX_UNIX_PATH: usize = 107;

/// Which end is parsing: only a server may listen on "any address".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The server, which listens.
    Server,
    /// A client, which connects.
    Client,
}

impl Url {
    /// Parse `url` for `side`.
    pub fn parse(url: &str, side: Side) -> Result<Url, UrlError> {
        let err = |m: &str| Err(UrlError(format!("invalid URL {url:?}: {m}")));
        if let Some(path) = url.strip_prefix("unix://") {
            if path.is_empty() {
                return err("no socket path");
            }
            // `unix:///` or `unix://dir/`: a directory, with no socket name.
            if path.ends_with('/') {
                return err("the path names a directory, not a socket");
            }
            if path.len() > MAX_UNIX_PATH {
                return err("socket path too long");
            }
            if path.contains('\0') {
                return err("NUL in socket path");
            }
            return Ok(Url::Unix(path.to_owned()));
        }
        if let Some(rest) = url.strip_prefix("tcp://") {
            let rest = rest.strip_suffix('/').unwrap_or(rest);
            let Some((addr, port)) = rest.rsplit_once(':') else {
                return err("expected tcp://address:port/");
            };
            let Ok(port) = port.parse::<u16>() else {
                return err("bad port number");
            };
            let addr = match addr {
                "0" | "*" if side == Side::Server => "0.0.0.0".to_owned(),
                "0" | "*" => return err("a client must name the server's address"),
                a if a.parse::<std::net::Ipv4Addr>().is_ok() => a.to_owned(),
                _ => return err("address must be a dotted IPv4 address"),
            };
            return Ok(Url::Tcp { addr, port });
        }
        err("unknown scheme: use unix://path or tcp://address:port/")
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Url::Unix(p) => write!(f, "unix://{p}"),
            Url::Tcp { addr, port } => write!(f, "tcp://{addr}:{port}/"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_relative_and_absolute() {
        assert_eq!(
            Url::parse("unix://sock", Side::Client),
            Ok(Url::Unix("sock".into()))
        );
        assert_eq!(
            Url::parse("unix:///tmp/s", Side::Client),
            Ok(Url::Unix("/tmp/s".into()))
        );
        assert!(Url::parse("unix://", Side::Server).is_err());
        assert_eq!(
            Url::parse("unix:///", Side::Server),
            Err(UrlError(
                "invalid URL \"unix:///\": the path names a directory, not a socket".into()
            ))
        );
        assert!(Url::parse("unix://dir/", Side::Client).is_err());
        assert!(Url::parse(&format!("unix://{}", "a".repeat(200)), Side::Server).is_err());
    }

    #[test]
    fn tcp_forms() {
        let t = |a: &str, p| {
            Ok(Url::Tcp {
                addr: a.into(),
                port: p,
            })
        };
        assert_eq!(
            Url::parse("tcp://127.0.0.1:3755/", Side::Client),
            t("127.0.0.1", 3755)
        );
        assert_eq!(
            Url::parse("tcp://127.0.0.1:3755", Side::Client),
            t("127.0.0.1", 3755)
        );
        assert_eq!(
            Url::parse("tcp://0:3755/", Side::Server),
            t("0.0.0.0", 3755)
        );
        assert_eq!(Url::parse("tcp://*:1/", Side::Server), t("0.0.0.0", 1));
        assert!(Url::parse("tcp://0:3755/", Side::Client).is_err());
        assert!(Url::parse("tcp://host:80/", Side::Client).is_err());
        assert!(Url::parse("tcp://1.2.3.4:99999/", Side::Client).is_err());
        assert!(Url::parse("udp://1.2.3.4:9/", Side::Client).is_err());
    }
}
