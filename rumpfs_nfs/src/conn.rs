//! A mount's connection to its server: one TCP stream through the kernel's
//! sockets, made again when it drops (NetBSD's `nfs_reconnect`), with each
//! call's wait done off the virtual CPU and as the calling process's
//! credentials. Calls are serialised by one lock: one call is on the wire
//! at a time (NetBSD multiplexes them by xid; not yet here).

use crate::args::MountParams;
use crate::nfs3::{Nfs3Client, NfsError};
use crate::rpc::{AuthSys, Credentials, RpcError, StreamClient};
use crate::transport::KernelStream;
use rump::sync::lock;
use rump::{Errno, KResult, Kernel};
use std::net::SocketAddrV4;
use std::sync::{Mutex, Weak};
use std::time::Duration;

/// The longest wait between tries to reach a server that is down
/// (`NFS_MAXTIMEO`).
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The client side of a mount's RPCs.
pub struct Connection {
    kernel: Weak<Kernel>,
    server: SocketAddrV4,
    params: MountParams,
    stream: Mutex<Option<StreamClient<KernelStream>>>,
}

/// The calling process's credentials as `AUTH_SYS`: its effective user
/// and group and its groups, at most the mount's `numgrps` of them.
/// NetBSD's `nfsm_rpchead` sends a zero stamp and an empty machine name.
fn caller_credentials(k: &Kernel, numgrps: u32) -> Credentials {
    let cred = k.procs().curproc().cred();
    let n = (numgrps as usize).min(cred.groups.len());
    Credentials::Sys(AuthSys {
        stamp: 0,
        machine: Vec::new(),
        uid: cred.euid,
        gid: cred.egid,
        gids: cred.groups[..n].to_vec(),
    })
}

/// Whether the connection is gone or in doubt after `e`: it is made
/// again, since a garbled or cut record leaves the stream out of step.
fn drops_connection(e: &RpcError) -> bool {
    matches!(e, RpcError::Transport(_) | RpcError::Garbled(_))
}

impl Connection {
    /// A connection to `server` for a mount with `params`; made at the
    /// first call.
    pub fn new(k: &Kernel, server: SocketAddrV4, params: MountParams) -> Connection {
        Connection {
            kernel: k.weak(),
            server,
            params,
            stream: Mutex::new(None),
        }
    }

    /// The mount's parameters.
    pub fn params(&self) -> &MountParams {
        &self.params
    }

    fn connect(&self, k: &Kernel) -> KResult<StreamClient<KernelStream>> {
        let s = KernelStream::connect(k, self.server)?;
        // A soft mount gives up on a silent server; a hard one waits for
        // ever on a connection that stays up, as NetBSD's does over TCP.
        if self.params.soft {
            s.set_read_timeout(Some(self.params.timeo));
        }
        // xids start from the kernel's random numbers, so that a server's
        // duplicate request cache does not take a new mount's calls for
        // an old one's.
        Ok(StreamClient::new(s, k.cprng().u32()))
    }

    /// Run `op` (one or more NFSv3 calls) as the calling process, off the
    /// virtual CPU. A dropped or failed connection is made again and `op`
    /// runs again: for ever on a hard mount (backing off up to a minute);
    /// a soft mount gives up after `retrans` tries with ETIMEDOUT. The
    /// server's refusals come back as their errno.
    pub fn call<T>(
        &self,
        mut op: impl FnMut(&mut Nfs3Client<&mut StreamClient<KernelStream>>) -> Result<T, NfsError>,
    ) -> KResult<T> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        let cred = caller_credentials(&k, self.params.numgrps);
        k.unscheduled(|| {
            let mut stream = lock(&self.stream);
            let mut tries = 0u32;
            let mut backoff = self.params.timeo;
            loop {
                let failure = match stream.as_mut() {
                    None => match self.connect(&k) {
                        Ok(s) => {
                            *stream = Some(s);
                            continue;
                        }
                        Err(e) => e,
                    },
                    Some(s) => match op(&mut Nfs3Client::new(s, cred.clone())) {
                        Ok(v) => return Ok(v),
                        Err(NfsError::Status(e)) => return Err(e),
                        Err(NfsError::Rpc(e)) if !drops_connection(&e) => return Err(e.errno()),
                        Err(NfsError::Rpc(e)) => {
                            *stream = None;
                            // A garbled reply is the server's fault, not the
                            // network's: trying again would get it again.
                            if let RpcError::Garbled(_) = e {
                                return Err(e.errno());
                            }
                            e.errno()
                        }
                    },
                };
                if k.is_halted() {
                    return Err(Errno::ENXIO);
                }
                tries += 1;
                if self.params.soft && tries >= self.params.retrans {
                    return Err(match failure {
                        Errno::EAGAIN => Errno::ETIMEDOUT,
                        e => e,
                    });
                }
                std::thread::sleep(backoff);
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        })
    }

    /// Close the connection (unmount).
    pub fn close(&self) {
        let k = self.kernel.upgrade();
        let drop_it = || drop(lock(&self.stream).take());
        match k {
            Some(k) => k.unscheduled(drop_it),
            None => drop_it(),
        }
    }
}
