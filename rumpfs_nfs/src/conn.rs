//! A mount's connection to its server: one TCP stream through the kernel's
//! sockets, made again when it drops (NetBSD's `nfs_reconnect`) or leaves
//! a call unanswered too long, or one
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

/// `NFS_MAXTIMEO`: the ceiling of a UDP call's backed-off timeout, and of
/// the time a TCP call's timeouts are counted over.
const MAX_TIMEO: Duration = Duration::from_secs(60);

/// How often a hard mount's wait for a TCP reply wakes to look whether
/// the call has gone unanswered too long: NetBSD's `nfs_connect` gives the
/// socket a five-second receive timeout, hard mounts included, "to detect
/// server crash and reconnect".
const STREAM_WAKEUP: Duration = Duration::from_secs(5);

/// The most a timeout is doubled (`nfs_backoff` ends at 256).
const MAX_BACKOFF_SHIFT: u32 = 8;

/// How long a hard mount waits for a TCP reply on a connection that stays
/// up before it makes the connection again and sends the call again.
/// NetBSD's `nfs_timer` counts a stream call's timeouts on a datagram
/// call's schedule, without resending (the k-th once `timeo` doubled k-1
/// times has passed, NFS_MAXTIMEO at the latest), and `nfs_receive`, at
/// its first receive timeout after `retrans` of them, takes the server for
/// dead: it reconnects and resends. A server may drop a call it cannot
/// serve now and wait for it to come again (nfs-ganesha does on an error
/// it takes for a passing one), so a wait without end would hang.
fn stream_patience(timeo: Duration, retrans: u32) -> Duration {
    let shift = retrans.saturating_sub(1).min(MAX_BACKOFF_SHIFT);
    let counted = timeo.saturating_mul(1 << shift).min(MAX_TIMEO);
    let wakeups = counted.as_millis().div_ceil(STREAM_WAKEUP.as_millis());
    STREAM_WAKEUP.saturating_mul(u32::try_from(wakeups.max(1)).unwrap_or(u32::MAX))
}

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

impl Rpc {
    /// The xid the next call over TCP carries (`None` over UDP, where a
    /// call's retransmissions are the datagram client's).
    fn next_xid(&self) -> Option<u32> {
        match self {
            Rpc::Stream(c) => Some(c.next_xid()),
            Rpc::Datagram(_) => None,
        }
    }
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

    /// Connect; the first call carries `xid`, or a random one.
    fn connect(&self, k: &Kernel, xid: Option<u32>) -> KResult<Rpc> {
        // xids start from the kernel's random numbers, so that a server's
        // duplicate request cache does not take a new mount's calls for
        // an old one's.
        let xid = xid.unwrap_or_else(|| k.cprng().u32());
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
        // A soft mount gives up on a silent server after `timeo`; a hard
        // one connects again and resends after its patience.
        let patience = if self.params.soft {
            self.params.timeo
        } else {
            stream_patience(self.params.timeo, self.params.retrans)
        };
        s.set_read_timeout(Some(patience));
        Ok(Rpc::Stream(StreamClient::new(s, xid)))
    }

    /// Run `op` (one or more NFSv3 calls) as the calling process, off the
    /// virtual CPU, and its server's refusals as their errno. A dropped or
    /// failed connection is made again and `op` runs again, as NetBSD's
    /// `nfs_reconnect` and `nfs_request` do: a hard mount tries for ever,
    /// a second apart; a soft one fails with EIO when it could not connect
    /// for longer than `timeo`, and with ETIMEDOUT after `retrans` tries
    /// the server left unanswered (for `timeo`, or by dropping the
    /// connection). Over TCP the calls go out again under the xids they
    /// had, so that a server's duplicate request cache knows them.
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
            // The xid `op`'s calls had on a connection that failed under
            // them.
            let mut resend_xid: Option<u32> = None;
            loop {
                if k.is_halted() {
                    return Err(Errno::ENXIO);
                }
                if self.params.intr && proc.signals_delivered() != signals {
                    return Err(Errno::EINTR);
                }
                let Some(s) = stream.as_mut() else {
                    match self.connect(&k, resend_xid) {
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
                let first_xid = s.next_xid();
                match op(&mut Nfs3Client::new(s, cred.clone())) {
                    Ok(v) => return Ok(v),
                    Err(NfsError::Status(e)) => return Err(e),
                    Err(NfsError::Rpc(e)) if !drops_connection(&e) => return Err(e.errno()),
                    Err(NfsError::Rpc(e)) => {
                        *stream = None;
                        resend_xid = first_xid;
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
            let s = self.connect(&k, None)?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hard_tcp_call_is_given_up_on_as_netbsd_counts_its_timeouts() {
        let s = Duration::from_secs;
        // mount_nfs's defaults: the tenth timeout falls after NFS_MAXTIMEO.
        assert_eq!(stream_patience(s(3), 10), s(60));
        // Two timeouts (1 s, then 2 s), seen at the first receive
        // timeout after them.
        assert_eq!(stream_patience(s(1), 2), s(5));
        // Four (1, 2, 4, 8 s): the second receive timeout after 8 s.
        assert_eq!(stream_patience(s(1), 4), s(10));
        // The backoff stops doubling at 256 times `timeo`, and the
        // count at NFS_MAXTIMEO.
        assert_eq!(stream_patience(s(1), 100), s(60));
        assert_eq!(stream_patience(s(60), 2), s(60));
    }
}
