//! Who may use the kernel, and as whom: beyond NetBSD's server, which makes
//! every client root and leaves access to the socket's file permissions.
//!
//! - On a unix-domain socket a client of the user who runs the server, or
//!   of the host's root, is root in the kernel as in NetBSD; any other
//!   user's client gets that user's uid, gid and groups (`SO_PEERCRED` and
//!   the host's group list) as its process's credentials, unless the
//!   server trusts every client (`-T`).
//! - With a key file (`-k`), a client proves it holds the key before its
//!   handshake (`sysproxy::auth`); one that cannot is refused and the
//!   refusal logged on the console with the peer's address.
//! - A TCP server reachable beyond loopback must be given an access rule:
//!   a key file, or `-A` to let anyone in.
//! - Loading module files, which runs their code with the server's host
//!   privileges, can be forbidden to every client (`-M`), and is for a TCP
//!   server beyond loopback.

use rump::Kernel;
use rump::cred::Cred;
use rump::lwproc::Proc;
use rumpuser::HostStream;
use std::time::Duration;
use sysproxy::auth::{self, NONCE_LEN, PROOF_LEN};
use sysproxy::{Class, HEADER_LEN, Header, SpError, Type, Url};

/// How long a client is given to prove the key once it has the banner.
const PROOF_WAIT: Duration = Duration::from_secs(10);

/// The access options of `rump_server`'s command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AccessOptions {
    /// `-T`: every client is root, whichever host user it runs as.
    pub trust_all: bool,
    /// `-k`: the key file clients must prove they hold.
    pub key_file: Option<String>,
    /// `-A`: anyone who can reach a TCP port beyond loopback may connect.
    pub anyone: bool,
    /// `-M`: no client may load a module file.
    pub forbid_modules: bool,
}

/// The server's access policy, applied to each client.
#[derive(Clone, Debug)]
pub struct Access {
    trust_all: bool,
    key: Option<Vec<u8>>,
    server_uid: u32,
}

impl Default for Access {
    /// NetBSD's policy: no key, and every client is root.
    fn default() -> Access {
        Access {
            trust_all: true,
            key: None,
            server_uid: rumpuser::host_euid(),
        }
    }
}

/// Whether `url` is a TCP address that other hosts may reach: anything
/// but a loopback address (a name is resolved, and every address it has
/// must be loopback).
pub fn beyond_loopback(url: &Url) -> bool {
    use std::net::ToSocketAddrs;
    let Url::Tcp { addr, port } = url else {
        return false;
    };
    match (addr.as_str(), *port).to_socket_addrs() {
        Ok(mut addrs) => !addrs.all(|a| a.ip().is_loopback()),
        // It will not bind either; say nothing here about it.
        Err(_) => true,
    }
}

impl AccessOptions {
    /// The policy these options ask for on `url`, or why the server must
    /// not start with them.
    pub fn policy(&self, url: &Url) -> Result<Access, String> {
        if self.anyone && self.key_file.is_some() {
            return Err("-A lets anyone connect, -k asks for a key: give one of them".into());
        }
        if beyond_loopback(url) && !self.anyone && self.key_file.is_none() {
            return Err(format!(
                "{url} can be reached from other hosts: give a key file that clients must \
                 prove they hold (-k file, RUMP_SERVER_KEY on their side), or -A to let anyone \
                 connect"
            ));
        }
        let key = match &self.key_file {
            Some(f) => Some(rumpuser::read_key_file(f)?),
            None => None,
        };
        Ok(Access {
            trust_all: self.trust_all,
            key,
            server_uid: rumpuser::host_euid(),
        })
    }

    /// Whether module files are forbidden to clients on `url`: by `-M`,
    /// and always for a TCP server beyond loopback.
    pub fn forbids_modules(&self, url: &Url) -> bool {
        self.forbid_modules || beyond_loopback(url)
    }
}

impl Access {
    /// Greet a new client with the banner, and if a key is asked for,
    /// check its proof. `false` when the client is refused (said to it, and
    /// logged on `kernel`'s console); the caller then closes the connection.
    pub fn admit(&self, kernel: &Kernel, stream: &HostStream, banner: &str) -> bool {
        let Some(key) = &self.key else {
            return stream.write_all(banner.as_bytes()).is_ok();
        };
        let mut nonce = [0u8; NONCE_LEN];
        kernel.cprng().fill(&mut nonce);
        let banner = auth::banner_with_challenge(banner, &nonce);
        if stream.write_all(banner.as_bytes()).is_err() {
            return false;
        }
        let verdict = read_proof(stream).and_then(|(reqno, answer)| {
            if auth::verify(key, &nonce, &answer) {
                Ok(reqno)
            } else {
                Err((reqno, "wrong key".to_string()))
            }
        });
        match verdict {
            Ok(reqno) => {
                let _ = stream.set_read_timeout(None);
                let h = Header::new(reqno, Class::Resp, Type::Auth, 0, 0);
                stream.write_all(&h.emit()).is_ok()
            }
            Err((reqno, why)) => {
                kernel.printf(&format!(
                    "rump_sp: refused client {}: {why}",
                    stream.peer_description()
                ));
                let told = format!(
                    "this server asks for a key and the client did not prove it ({why}): set RUMP_SERVER_KEY to the server's key file"
                );
                let h = Header::new(
                    reqno,
                    Class::Error,
                    Type::Handshake,
                    SpError::Auth.code(),
                    told.len(),
                );
                let _ = stream.write_all(&sysproxy::frame(&h, told.as_bytes()));
                stream.shutdown();
                false
            }
        }
    }

    /// Give a new client's process the credentials it is entitled to: its
    /// host user's on a unix-domain socket unless that user is the
    /// server's or root (or every client is trusted); root otherwise.
    pub fn set_credentials(&self, stream: &HostStream, p: &Proc) -> Result<(), String> {
        if self.trust_all || matches!(stream, HostStream::Tcp(_)) {
            return Ok(());
        }
        let peer = stream
            .peer_cred()
            .map_err(|e| format!("cannot tell who the client is: {}", rumpuser::strerror(&e)))?;
        if peer.uid == 0 || peer.uid == self.server_uid {
            return Ok(());
        }
        let mut groups = rumpuser::host_groups(peer.uid, peer.gid).map_err(|e| {
            format!(
                "cannot read the host groups of uid {}: {}",
                peer.uid,
                rumpuser::strerror(&e)
            )
        })?;
        // NetBSD keeps at most NGROUPS_MAX; the primary group comes first.
        groups.truncate(rump::cred::NGROUPS_MAX);
        let cred = Cred {
            ruid: peer.uid,
            euid: peer.uid,
            svuid: peer.uid,
            rgid: peer.gid,
            egid: peer.gid,
            svgid: peer.gid,
            groups,
        };
        p.change_cred(|_| Ok(cred))
            .map_err(|e| format!("cannot set the client's credentials: {}", e.description()))
    }
}

/// Read the client's first frame, which must be an AUTH request carrying
/// a proof: its request number and the proof, or the request number to
/// answer and why the client is refused.
fn read_proof(stream: &HostStream) -> Result<(u64, Vec<u8>), (u64, String)> {
    let no_proof = |why: &str| (0, why.to_string());
    stream
        .set_read_timeout(Some(PROOF_WAIT))
        .map_err(|_| no_proof("its connection failed"))?;
    let mut hb = [0u8; HEADER_LEN];
    stream.read_exact(&mut hb).map_err(|e| {
        let why = if e.kind() == std::io::ErrorKind::UnexpectedEof {
            "it left without proving the key (has it RUMP_SERVER_KEY?)".to_string()
        } else {
            format!("no proof of the key came: {}", rumpuser::strerror(&e))
        };
        (0, why)
    })?;
    let h = Header::parse(&hb).map_err(|_| no_proof("its first frame is not a request"))?;
    if h.class != Class::Req || h.typ != Type::Auth {
        return Err((
            h.reqno,
            "no key: it sent a request before proving one".into(),
        ));
    }
    if h.payload_len() != PROOF_LEN {
        return Err((h.reqno, "its proof of the key has the wrong size".into()));
    }
    let mut proof = vec![0u8; PROOF_LEN];
    stream
        .read_exact(&mut proof)
        .map_err(|_| (h.reqno, "it left while proving the key".to_string()))?;
    Ok((h.reqno, proof))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sysproxy::Side;

    fn url(u: &str) -> Url {
        Url::parse(u, Side::Server).unwrap()
    }

    #[test]
    fn tcp_beyond_loopback_needs_a_rule() {
        assert!(!beyond_loopback(&url("unix://s")));
        assert!(!beyond_loopback(&url("tcp://127.0.0.1:1/")));
        assert!(beyond_loopback(&url("tcp://0:1/")));
        assert!(beyond_loopback(&url("tcp://0.0.0.0:1/")));
        let none = AccessOptions::default();
        assert!(none.policy(&url("tcp://127.0.0.1:1/")).is_ok());
        let e = none.policy(&url("tcp://0:1/")).unwrap_err();
        assert!(e.contains("-k") && e.contains("-A"), "{e}");
        let anyone = AccessOptions {
            anyone: true,
            ..AccessOptions::default()
        };
        assert!(anyone.policy(&url("tcp://0:1/")).is_ok());
        assert!(anyone.forbids_modules(&url("tcp://0:1/")));
        assert!(!anyone.forbids_modules(&url("tcp://127.0.0.1:1/")));
        let both = AccessOptions {
            anyone: true,
            key_file: Some("/nonexistent".into()),
            ..AccessOptions::default()
        };
        assert!(both.policy(&url("unix://s")).is_err());
        let missing = AccessOptions {
            key_file: Some("/nonexistent/key".into()),
            ..AccessOptions::default()
        };
        assert!(
            missing
                .policy(&url("tcp://0:1/"))
                .unwrap_err()
                .contains("/nonexistent/key")
        );
    }
}
