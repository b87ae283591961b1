//! A mount's connection to its server: one TCP stream through the kernel's
//! sockets, made again when it drops (NetBSD's `nfs_reconnect`), or one
//! UDP socket whose calls are retransmitted with backoff, with each
//! call's wait done off the virtual CPU and as the calling process's
//! credentials, from a reserved port when the mount asks. Callers take
//! turns on the connection (one lock); a read or write of many blocks
//! keeps several READs or WRITEs on the wire at once, matched by xid, as
//! NetBSD's nfsiods do (different callers' calls are not interleaved).

use crate::args::{MountParams, Transport};
use crate::nfs3::{AheadResults, EncodeArgs, Nfs3Client, NfsError, RpcCall, TakeResults};
use crate::rpc::{AuthSys, Credentials, Procedure, RpcError, StreamClient};
use crate::transport::{KernelDatagram, KernelStream};
use crate::xdr::Encoder;
use oncrpc::dgram::{DatagramClient, Retransmit};
use rump::sync::lock;
use rump::{Errno, KResult, Kernel};
use std::net::SocketAddrV4;
use std::sync::{Mutex, MutexGuard, Weak};
use std::time::Duration;

/// The pause between tries to connect to a server that is down (NetBSD's
/// `nfs_reconnect` waits a second).
const RECONNECT_PAUSE: Duration = Duration::from_secs(1);

/// `NFS_MAXTIMEO`: the ceiling of a UDP call's backed-off timeout.
const MAX_TIMEO: Duration = Duration::from_secs(60);

/// The client side of a mount's RPCs.
pub struct Connection {
    kernel: Weak<Kernel>,
    server: SocketAddrV4,
    params: MountParams,
    stream: Mutex<Option<Rpc>>,
}

/// A mount's RPC client on its transport.
pub enum Rpc {
    /// Over a TCP connection.
    Stream(StreamClient<KernelStream>),
    /// Over a UDP socket.
    Datagram(DatagramClient<KernelDatagram>),
}

impl RpcCall for Rpc {
    fn rpc_call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        match self {
            Rpc::Stream(c) => c.call(prog, vers, proc, cred, args),
            Rpc::Datagram(c) => c.call(prog, vers, proc, cred, args),
        }
    }

    fn rpc_call_each(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        count: usize,
        window: usize,
        args: &mut EncodeArgs<'_>,
        results: &mut TakeResults<'_>,
    ) -> Result<(), NfsError> {
        match self {
            Rpc::Stream(c) => c.call_each(to, cred, count, window, args, results),
            // One call at a time: each datagram call waits out its own
            // retransmissions.
            Rpc::Datagram(c) => (0..count).try_for_each(|i| {
                let mut e = Encoder::new();
                args(i, &mut e);
                let r = c.call(to.prog, to.vers, to.proc, cred, &e.into_bytes())?;
                results(i, &r)
            }),
        }
    }

    fn rpc_send_ahead(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        args: &mut dyn FnMut(&mut Encoder),
    ) -> Result<Option<u32>, NfsError> {
        match self {
            Rpc::Stream(c) => c.rpc_send_ahead(to, cred, args),
            Rpc::Datagram(_) => Ok(None),
        }
    }

    fn rpc_take_ahead(
        &mut self,
        xid: u32,
        results: &mut AheadResults<'_>,
    ) -> Result<bool, NfsError> {
        match self {
            Rpc::Stream(c) => c.rpc_take_ahead(xid, results),
            Rpc::Datagram(_) => Ok(false),
        }
    }
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

/// Whether a failure to connect may pass: the server or the way to it is
/// down, rather than the kernel unable to connect at all.
fn transient(e: Errno) -> bool {
    matches!(
        e,
        Errno::ECONNREFUSED
            | Errno::ECONNRESET
            | Errno::ETIMEDOUT
            | Errno::EHOSTUNREACH
            | Errno::EHOSTDOWN
            | Errno::ENETUNREACH
            | Errno::ENETDOWN
            | Errno::EADDRINUSE
            | Errno::EAGAIN
    )
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

    /// Lock `m`, a lock whose holder may keep it while it waits for the
    /// server, without the calling thread's virtual CPU while it waits
    /// for it: waiting on the CPU could leave none for the holder's call
    /// to finish on.
    pub fn lock_off_cpu<'a, T>(&self, m: &'a Mutex<T>) -> MutexGuard<'a, T> {
        match self.kernel.upgrade() {
            Some(k) => k.unscheduled(|| lock(m)),
            None => lock(m),
        }
    }

    fn connect(&self, k: &Kernel) -> KResult<Rpc> {
        // xids start from the kernel's random numbers, so that a server's
        // duplicate request cache does not take a new mount's calls for
        // an old one's.
        let xid = k.cprng().u32();
        if self.params.transport == Transport::Udp {
            let s =
                KernelDatagram::open(k, self.server, !self.params.noconn, self.params.resvport)?;
            let how = Retransmit {
                timeo: self.params.timeo,
                max_timeo: MAX_TIMEO,
                tries: self.params.retrans,
            };
            return Ok(Rpc::Datagram(DatagramClient::new(s, xid, how)));
        }
        let s = if self.params.resvport {
            KernelStream::connect_from_reserved_port(k, self.server)?
        } else {
            KernelStream::connect(k, self.server)?
        };
        // A soft mount gives up on a silent server; a hard one waits for
        // ever on a connection that stays up, as NetBSD's does over TCP.
        if self.params.soft {
            s.set_read_timeout(Some(self.params.timeo));
        }
        Ok(Rpc::Stream(StreamClient::new(s, xid)))
    }

    /// Run `op` (one or more NFSv3 calls) as the calling process, off the
    /// virtual CPU, and its server's refusals as their errno. A dropped or
    /// failed connection is made again and `op` runs again, as NetBSD's
    /// `nfs_reconnect` and `nfs_request` do: a hard mount tries for ever,
    /// a second apart; a soft one fails with EIO when it could not connect
    /// for longer than `timeo`, and with ETIMEDOUT after `retrans` tries
    /// the server left unanswered (for `timeo`, or by dropping the
    /// connection).
    pub fn call<T>(
        &self,
        mut op: impl FnMut(&mut Nfs3Client<&mut Rpc>) -> Result<T, NfsError>,
    ) -> KResult<T> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        let proc = k.procs().curproc();
        let cred = caller_credentials(&k, self.params.numgrps);
        // An `intr` mount stops retrying when a signal reaches the caller
        // (NetBSD's `nfs_sigintr`; here: any signal delivered since the
        // call began).
        let signals = proc.signals_delivered();
        k.unscheduled(|| {
            let mut stream = lock(&self.stream);
            let mut unanswered = 0u32;
            let mut down_since: Option<std::time::Instant> = None;
            loop {
                if k.is_halted() {
                    return Err(Errno::ENXIO);
                }
                if self.params.intr && proc.signals_delivered() != signals {
                    return Err(Errno::EINTR);
                }
                let Some(s) = stream.as_mut() else {
                    match self.connect(&k) {
                        Ok(s) => *stream = Some(s),
                        Err(e) if !transient(e) => return Err(e),
                        Err(_) => {
                            let since = *down_since.get_or_insert_with(std::time::Instant::now);
                            if self.params.soft && since.elapsed() > self.params.timeo {
                                return Err(Errno::EIO);
                            }
                            // NetBSD's `kpause("nfscn2", ..., hz)`; the wait
                            // ends with EINTR when the process is told to
                            // exit (a remote client that went away).
                            proc.sleep(k.clock(), RECONNECT_PAUSE)?;
                        }
                    }
                    continue;
                };
                match op(&mut Nfs3Client::new(s, cred.clone())) {
                    Ok(v) => return Ok(v),
                    Err(NfsError::Status(e)) => return Err(e),
                    Err(NfsError::Rpc(e)) if !drops_connection(&e) => return Err(e.errno()),
                    Err(NfsError::Rpc(e)) => {
                        *stream = None;
                        // The server's fault, not the network's: it would
                        // answer the same again.
                        if let RpcError::Garbled(_) = e {
                            return Err(e.errno());
                        }
                        // Unanswered (timed out, or the connection went
                        // down under the call): sent again on a new one.
                        unanswered += 1;
                        // A UDP call has already been sent `retrans`
                        // times when it times out.
                        let udp = self.params.transport == Transport::Udp;
                        if self.params.soft && (udp || unanswered >= self.params.retrans) {
                            return Err(Errno::ETIMEDOUT);
                        }
                    }
                }
            }
        })
    }

    /// Connect now, once (mount: NetBSD's `mountnfs` fails when its
    /// `nfs_connect` does).
    pub fn open(&self) -> KResult<()> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        k.unscheduled(|| {
            let s = self.connect(&k)?;
            *lock(&self.stream) = Some(s);
            Ok(())
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
