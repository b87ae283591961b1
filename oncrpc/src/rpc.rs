//! ONC RPC version 2 (RFC 5531): call messages with AUTH_SYS or AUTH_NONE
//! credentials, replies checked to the last byte, record marking for
//! stream transports, and a client that matches replies to calls by xid.

use crate::xdr::{Decoder, Encoder, XdrError};
use netbsd_abi::Errno;
use std::io::{BufRead, Read, Write};

/// The RPC protocol version (`rpcvers`).
pub const RPC_VERSION: u32 = 2;
/// `msg_type`: a call.
const CALL: u32 = 0;
/// `msg_type`: a reply.
const REPLY: u32 = 1;
/// `reply_stat`.
const MSG_ACCEPTED: u32 = 0;
const MSG_DENIED: u32 = 1;
/// `accept_stat`.
const SUCCESS: u32 = 0;
const PROG_UNAVAIL: u32 = 1;
const PROG_MISMATCH: u32 = 2;
const PROC_UNAVAIL: u32 = 3;
const GARBAGE_ARGS: u32 = 4;
const SYSTEM_ERR: u32 = 5;
/// `reject_stat`.
const RPC_MISMATCH: u32 = 0;
const AUTH_ERROR: u32 = 1;
/// `auth_flavor`: no credentials.
pub const AUTH_NONE: u32 = 0;
/// `auth_flavor`: Unix credentials (`AUTH_SYS`, once `AUTH_UNIX`).
pub const AUTH_SYS: u32 = 1;
/// The largest body of an `opaque_auth`.
pub const MAX_AUTH_BYTES: usize = 400;
/// The most bytes of an `AUTH_SYS` machine name.
pub const MAX_MACHINE_NAME: usize = 255;
/// The most supplementary groups an `AUTH_SYS` credential carries.
pub const MAX_AUTH_GROUPS: usize = 16;
/// A record-marking fragment header: this fragment ends the record.
const LAST_FRAGMENT: u32 = 0x8000_0000;

/// Why a call failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RpcError {
    /// The reply did not decode.
    Garbled(XdrError),
    /// The server does not offer the program.
    ProgUnavail,
    /// The server offers only versions `low..=high` of the program.
    ProgMismatch(u32, u32),
    /// The program has no such procedure.
    ProcUnavail,
    /// The server could not decode the arguments.
    GarbageArgs,
    /// The server failed (out of memory, ...).
    SystemErr,
    /// The server speaks only RPC versions `low..=high`.
    RpcMismatch(u32, u32),
    /// The server refused the credentials (`auth_stat`).
    Auth(u32),
    /// The transport failed (a NetBSD errno).
    Transport(Errno),
}

impl From<XdrError> for RpcError {
    fn from(e: XdrError) -> RpcError {
        RpcError::Garbled(e)
    }
}

impl RpcError {
    /// The errno NetBSD's RPC layer (`nfs_request`, `krpc_call`) answers
    /// for this failure.
    pub fn errno(&self) -> Errno {
        match self {
            RpcError::Garbled(_) | RpcError::GarbageArgs | RpcError::SystemErr => Errno::EBADRPC,
            RpcError::ProgUnavail => Errno::EPROGUNAVAIL,
            RpcError::ProgMismatch(..) => Errno::EPROGMISMATCH,
            RpcError::ProcUnavail => Errno::EPROCUNAVAIL,
            RpcError::RpcMismatch(..) => Errno::ERPCMISMATCH,
            RpcError::Auth(_) => Errno::EAUTH,
            RpcError::Transport(e) => *e,
        }
    }
}

impl std::fmt::Display for RpcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RpcError::Garbled(e) => write!(f, "garbled RPC reply: {e}"),
            RpcError::ProgUnavail => f.write_str("RPC program not available"),
            RpcError::ProgMismatch(l, h) => write!(f, "RPC program versions {l}..{h} only"),
            RpcError::ProcUnavail => f.write_str("RPC procedure not available"),
            RpcError::GarbageArgs => f.write_str("server could not decode the arguments"),
            RpcError::SystemErr => f.write_str("server system error"),
            RpcError::RpcMismatch(l, h) => write!(f, "RPC versions {l}..{h} only"),
            RpcError::Auth(s) => write!(f, "authentication error {s}"),
            RpcError::Transport(e) => write!(f, "transport: {}", e.name()),
        }
    }
}

/// `AUTH_SYS` credentials (RFC 5531 appendix A): who makes the call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthSys {
    /// An arbitrary id the caller picks.
    pub stamp: u32,
    /// The caller's host name (at most [`MAX_MACHINE_NAME`] bytes).
    pub machine: Vec<u8>,
    /// The effective user.
    pub uid: u32,
    /// The effective group.
    pub gid: u32,
    /// Supplementary groups; only the first [`MAX_AUTH_GROUPS`] are sent.
    pub gids: Vec<u32>,
}

impl AuthSys {
    /// The credential's body.
    fn encode(&self) -> Vec<u8> {
        let mut e = Encoder::new();
        let name = &self.machine[..self.machine.len().min(MAX_MACHINE_NAME)];
        e.u32(self.stamp).string(name).u32(self.uid).u32(self.gid);
        let gids = &self.gids[..self.gids.len().min(MAX_AUTH_GROUPS)];
        e.u32(gids.len() as u32);
        for g in gids {
            e.u32(*g);
        }
        e.into_bytes()
    }
}

/// The credentials of a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    /// `AUTH_NONE` (portmapper lookups).
    None,
    /// `AUTH_SYS`.
    Sys(AuthSys),
}

/// One call's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallHeader {
    /// Transaction id.
    pub xid: u32,
    /// Program number.
    pub prog: u32,
    /// Program version.
    pub vers: u32,
    /// Procedure number.
    pub proc: u32,
}

/// A call's credentials as they go on the wire: encoded once for a batch
/// of calls.
struct EncodedCred {
    flavor: u32,
    body: Vec<u8>,
}

impl EncodedCred {
    fn new(cred: &Credentials) -> EncodedCred {
        match cred {
            Credentials::None => EncodedCred {
                flavor: AUTH_NONE,
                body: Vec::new(),
            },
            Credentials::Sys(a) => EncodedCred {
                flavor: AUTH_SYS,
                body: a.encode(),
            },
        }
    }

    /// A call message's header, credentials and empty verifier; the
    /// arguments follow.
    fn header(&self, e: &mut Encoder, h: CallHeader) {
        e.u32(h.xid).u32(CALL).u32(RPC_VERSION);
        e.u32(h.prog).u32(h.vers).u32(h.proc);
        e.u32(self.flavor).opaque(&self.body);
        e.u32(AUTH_NONE).opaque(&[]);
    }
}

/// A call message: header, credentials, an empty verifier, then `args`
/// (already encoded).
pub fn encode_call(h: CallHeader, cred: &Credentials, args: &[u8]) -> Vec<u8> {
    let mut e = Encoder::new();
    EncodedCred::new(cred).header(&mut e, h);
    e.raw(args);
    e.into_bytes()
}

/// The xid of a reply message, if it has one (to match it to its call
/// before decoding the rest).
pub fn reply_xid(msg: &[u8]) -> Option<u32> {
    Decoder::new(msg).u32().ok()
}

/// Decode a reply to call `xid`: the procedure's results (to decode by
/// the procedure's own rules), or why there are none.
pub fn decode_reply(msg: &[u8], xid: u32) -> Result<&[u8], RpcError> {
    let mut d = Decoder::new(msg);
    if d.u32()? != xid || d.u32()? != REPLY {
        return Err(XdrError::BadValue.into());
    }
    match d.u32()? {
        MSG_ACCEPTED => {
            let _flavor = d.u32()?;
            let _verf = d.opaque(MAX_AUTH_BYTES)?;
            match d.u32()? {
                SUCCESS => Ok(d.rest()),
                PROG_UNAVAIL => Err(RpcError::ProgUnavail),
                PROG_MISMATCH => Err(RpcError::ProgMismatch(d.u32()?, d.u32()?)),
                PROC_UNAVAIL => Err(RpcError::ProcUnavail),
                GARBAGE_ARGS => Err(RpcError::GarbageArgs),
                SYSTEM_ERR => Err(RpcError::SystemErr),
                _ => Err(XdrError::BadValue.into()),
            }
        }
        MSG_DENIED => match d.u32()? {
            RPC_MISMATCH => Err(RpcError::RpcMismatch(d.u32()?, d.u32()?)),
            AUTH_ERROR => Err(RpcError::Auth(d.u32()?)),
            _ => Err(XdrError::BadValue.into()),
        },
        _ => Err(XdrError::BadValue.into()),
    }
}

/// One record as record marking sends it over a stream (RFC 5531
/// section 11): a single last fragment.
pub fn frame_record(msg: &[u8]) -> Vec<u8> {
    let len = u32::try_from(msg.len()).unwrap_or(u32::MAX) & !LAST_FRAGMENT;
    let mut out = Vec::with_capacity(msg.len() + 4);
    out.extend_from_slice(&(LAST_FRAGMENT | len).to_be_bytes());
    out.extend_from_slice(msg);
    out
}

/// Read one record from `r`: fragments until the last, refusing a record
/// longer than `max` bytes (a garbled header must not make us allocate
/// gigabytes).
pub fn read_record(r: &mut impl Read, max: usize) -> Result<Vec<u8>, RpcError> {
    let mut rec = Vec::new();
    read_record_into(r, max, &mut rec)?;
    Ok(rec)
}

/// [`read_record`] into `rec`, whose allocation is reused: the bytes are
/// read into it without zeroing it first.
fn read_record_into(r: &mut impl Read, max: usize, rec: &mut Vec<u8>) -> Result<(), RpcError> {
    rec.clear();
    loop {
        let mut hdr = [0u8; 4];
        r.read_exact(&mut hdr).map_err(|e| io_error(&e))?;
        let h = u32::from_be_bytes(hdr);
        let len = usize::try_from(h & !LAST_FRAGMENT).map_err(|_| XdrError::TooLong)?;
        if rec.len().saturating_add(len) > max {
            return Err(XdrError::TooLong.into());
        }
        let got = r
            .by_ref()
            .take(len as u64)
            .read_to_end(rec)
            .map_err(|e| io_error(&e))?;
        if got < len {
            return Err(RpcError::Transport(Errno::ECONNRESET));
        }
        if h & LAST_FRAGMENT != 0 {
            return Ok(());
        }
    }
}

/// Mark `msg` (whose first four bytes were left for it) as one record of a
/// single last fragment.
fn mark_record(msg: &mut [u8]) {
    let len = u32::try_from(msg.len() - 4).unwrap_or(u32::MAX) & !LAST_FRAGMENT;
    msg[..4].copy_from_slice(&(LAST_FRAGMENT | len).to_be_bytes());
}

/// A NetBSD errno carried inside an `io::Error` by a stream whose errors
/// are the kernel's (the NFS client's sockets), so that the RPC layer
/// reports the kernel's own error rather than a translation of it.
#[derive(Debug)]
pub struct KernelErrno(pub Errno);

impl std::fmt::Display for KernelErrno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

impl std::error::Error for KernelErrno {}

fn io_error(e: &std::io::Error) -> RpcError {
    if let Some(k) = e.get_ref().and_then(|x| x.downcast_ref::<KernelErrno>()) {
        RpcError::Transport(k.0)
    } else if e.kind() == std::io::ErrorKind::UnexpectedEof {
        RpcError::Transport(Errno::ECONNRESET)
    } else {
        RpcError::Transport(Errno::from_host(e))
    }
}

/// The longest reply a client accepts: the largest NFS READ (1 MiB, the
/// most an NFS mount here asks) with room for its attributes and the RPC
/// header.
pub const MAX_REPLY: usize = (1 << 20) + 64 * 1024;

/// How much of the stream a client reads ahead: replies to several calls
/// on the wire (a window of 32 KiB READs) come in one trip into the kernel,
/// where each record marker and body would be a read of its own.
const READ_AHEAD: usize = 256 * 1024;

/// An RPC client over one stream (TCP) connection.
pub struct StreamClient<S> {
    stream: std::io::BufReader<S>,
    next_xid: u32,
    /// The call being sent, its allocation reused from call to call.
    out: Vec<u8>,
    /// The reply being received, likewise.
    rec: Vec<u8>,
    /// Calls sent ahead whose replies still wait on the wire (see
    /// [`StreamClient::send_ahead`]).
    ahead: Vec<u32>,
}

/// At most this many calls sent ahead are remembered; older ones are
/// forgotten (their replies skipped when they come).
const MAX_AHEAD: usize = 64;

impl<S: Read + Write> StreamClient<S> {
    /// A client on `stream`; the first xid is `xid` (callers pick one
    /// unlikely to repeat across restarts, as NetBSD seeds its xids).
    pub fn new(stream: S, xid: u32) -> StreamClient<S> {
        StreamClient {
            stream: std::io::BufReader::with_capacity(READ_AHEAD, stream),
            next_xid: xid,
            out: Vec::new(),
            rec: Vec::new(),
            ahead: Vec::new(),
        }
    }

    /// The xid the next call carries. A caller that sends its calls again
    /// on a new connection starts the new client at the xid they first
    /// had, so that they go out under the same xids (as NetBSD resends a
    /// request's own message after `nfs_reconnect`).
    pub fn next_xid(&self) -> u32 {
        self.next_xid
    }

    /// Call procedure `proc` of `prog` version `vers` with `args`; the
    /// results, undecoded. Replies to other xids (late answers to calls
    /// given up on) are skipped.
    pub fn call(
        &mut self,
        prog: u32,
        vers: u32,
        proc: u32,
        cred: &Credentials,
        args: &[u8],
    ) -> Result<Vec<u8>, RpcError> {
        let mut out = Vec::new();
        let to = Procedure { prog, vers, proc };
        self.call_each(
            to,
            cred,
            1,
            1,
            |_, e| {
                e.raw(args);
            },
            |_, r| {
                out = r.to_vec();
                Ok::<(), RpcError>(())
            },
        )?;
        Ok(out)
    }

    /// Send call `xid` of `to`, its arguments encoded by `args` straight
    /// into the message that goes out.
    fn send(
        &mut self,
        xid: u32,
        to: Procedure,
        cred: &EncodedCred,
        args: impl FnOnce(&mut Encoder),
    ) -> Result<(), RpcError> {
        let h = CallHeader {
            xid,
            prog: to.prog,
            vers: to.vers,
            proc: to.proc,
        };
        let mut e = Encoder::reusing(std::mem::take(&mut self.out));
        e.u32(0);
        cred.header(&mut e, h);
        args(&mut e);
        let mut msg = e.into_bytes();
        mark_record(&mut msg);
        let r = self.stream.get_mut().write_all(&msg);
        self.out = msg;
        r.map_err(|e| io_error(&e))
    }

    /// Receive the next reply and hand it to `take` with its xid. A record
    /// already whole in the read-ahead buffer is taken from there; one that
    /// is not yet is gathered into `rec`. A reply to a call sent ahead is
    /// no longer waiting once it came, whoever took it.
    fn receive<R>(&mut self, take: impl FnOnce(Option<u32>, &[u8]) -> R) -> Result<R, RpcError> {
        let whole = whole_record(self.stream.buffer());
        let rec = match whole {
            Some(len) => &self.stream.buffer()[MARK_LEN..MARK_LEN + len],
            None => {
                read_record_into(&mut self.stream, MAX_REPLY, &mut self.rec)?;
                &self.rec[..]
            }
        };
        let xid = reply_xid(rec);
        let r = take(xid, rec);
        if let Some(len) = whole {
            self.stream.consume(MARK_LEN + len);
        }
        if let Some(at) = xid.and_then(|x| self.ahead.iter().position(|&a| a == x)) {
            self.ahead.swap_remove(at);
        }
        Ok(r)
    }

    /// Call procedure `to` `count` times, the arguments of call `i`
    /// encoded by `args(i, ..)` straight into the message that goes out,
    /// keeping up to `window` calls on the wire at a time (as NetBSD's
    /// nfsiods keep several reads and writes of one file outstanding).
    /// `results(i, ..)` takes call `i`'s results, undecoded, in the
    /// receive buffer, in whatever order the replies come (matched by
    /// xid; replies to other xids are skipped). The first failure ends the
    /// batch (the calls must be ones that may be sent again).
    pub fn call_each<E: From<RpcError>>(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        count: usize,
        window: usize,
        mut args: impl FnMut(usize, &mut Encoder),
        mut results: impl FnMut(usize, &[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        let first = self.next_xid;
        self.next_xid = self.next_xid.wrapping_add(count as u32);
        let cred = EncodedCred::new(cred);
        let mut answered = vec![false; count];
        let (mut sent, mut done) = (0usize, 0usize);
        while done < count {
            while sent < count && sent - done < window.max(1) {
                let xid = first.wrapping_add(sent as u32);
                self.send(xid, to, &cred, |e| args(sent, e))?;
                sent += 1;
            }
            self.receive(|xid, rec| {
                match xid.map(|x| (x, x.wrapping_sub(first) as usize)) {
                    Some((xid, i)) if i < sent && !answered[i] => {
                        answered[i] = true;
                        done += 1;
                        decode_reply(rec, xid)
                            .map_err(E::from)
                            .and_then(|res| results(i, res))
                    }
                    // Replies to other xids are skipped.
                    _ => Ok(()),
                }
            })??;
        }
        Ok(())
    }

    /// Send one call of `to` and leave its reply on the wire, to be taken
    /// by [`StreamClient::take_ahead`] with the xid this gives (as
    /// NetBSD's nfsiods read ahead while the reader goes on). A call made
    /// meanwhile skips the reply, which is then no longer waiting.
    pub fn send_ahead(
        &mut self,
        to: Procedure,
        cred: &Credentials,
        args: impl FnOnce(&mut Encoder),
    ) -> Result<u32, RpcError> {
        let xid = self.next_xid;
        self.next_xid = xid.wrapping_add(1);
        self.send(xid, to, &EncodedCred::new(cred), args)?;
        if self.ahead.len() == MAX_AHEAD {
            self.ahead.remove(0);
        }
        self.ahead.push(xid);
        Ok(xid)
    }

    /// The results of call `xid` sent ahead, to `results`; `Ok(false)`
    /// when its reply no longer waits (a call made meanwhile skipped it,
    /// or it was sent on another connection). Replies to other calls that
    /// come first are skipped.
    pub fn take_ahead<E: From<RpcError>>(
        &mut self,
        xid: u32,
        results: impl FnOnce(&[u8]) -> Result<(), E>,
    ) -> Result<bool, E> {
        let mut results = Some(results);
        while self.ahead.contains(&xid) {
            self.receive(|got, rec| match (got == Some(xid), results.take()) {
                (true, Some(f)) => decode_reply(rec, xid).map_err(E::from).and_then(f),
                (_, f) => {
                    results = f;
                    Ok(())
                }
            })??;
            if results.is_none() {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The bytes of a record-marking header.
const MARK_LEN: usize = 4;

/// The length of the record at the start of `buf` when it is there whole,
/// as one last fragment.
fn whole_record(buf: &[u8]) -> Option<usize> {
    let mark = u32::from_be_bytes(buf.get(..MARK_LEN)?.try_into().ok()?);
    let len = usize::try_from(mark & !LAST_FRAGMENT).ok()?;
    (mark & LAST_FRAGMENT != 0 && buf.len() - MARK_LEN >= len).then_some(len)
}

/// The procedure a call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Procedure {
    /// Program number.
    pub prog: u32,
    /// Program version.
    pub vers: u32,
    /// Procedure number.
    pub proc: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A portmapper GETPORT call for NFS v3 over TCP, as `rpcinfo` sends
    /// it (xid 0x11223344, AUTH_NONE).
    const GETPORT_CALL: [u8; 56] = [
        0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1, 0x86, 0xa0, 0, 0, 0, 2, 0, 0, 0, 3,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x86, 0xa3, 0, 0, 0, 3, 0, 0, 0, 6,
        0, 0, 0, 0,
    ];

    #[test]
    fn a_call_encodes_as_rfc_5531_lays_it_out() {
        let mut args = Encoder::new();
        args.u32(100_003).u32(3).u32(6).u32(0);
        let h = CallHeader {
            xid: 0x1122_3344,
            prog: 100_000,
            vers: 2,
            proc: 3,
        };
        let msg = encode_call(h, &Credentials::None, &args.into_bytes());
        assert_eq!(msg, GETPORT_CALL);
    }

    #[test]
    fn auth_sys_carries_the_caller() {
        let a = AuthSys {
            stamp: 7,
            machine: b"rump".to_vec(),
            uid: 1000,
            gid: 100,
            gids: (0..20).collect(),
        };
        let body = a.encode();
        let mut d = Decoder::new(&body);
        assert_eq!(d.u32(), Ok(7));
        assert_eq!(d.string(255), Ok(&b"rump"[..]));
        assert_eq!((d.u32(), d.u32()), (Ok(1000), Ok(100)));
        assert_eq!(d.count(16, 4), Ok(16));
    }

    fn reply(stat: &[u32]) -> Vec<u8> {
        let mut e = Encoder::new();
        e.u32(9).u32(REPLY);
        for s in stat {
            e.u32(*s);
        }
        e.into_bytes()
    }

    /// A stream whose reads come from `replies` and whose writes are kept.
    struct Scripted {
        replies: std::io::Cursor<Vec<u8>>,
        sent: Vec<u8>,
        /// The most bytes one read gives (0: no limit).
        piece: usize,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = match self.piece {
                0 => buf.len(),
                p => p.min(buf.len()),
            };
            self.replies.read(&mut buf[..n])
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.sent.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// NFS v3 READ, as the pipelined tests call it.
    const READ: Procedure = Procedure {
        prog: 100_003,
        vers: 3,
        proc: 6,
    };

    #[test]
    fn pipelined_calls_take_their_replies_in_any_order() {
        // Replies to xids 102, 100, a stray 7, then 101, each carrying
        // its xid as the result.
        let mut replies = Vec::new();
        for xid in [102u32, 100, 7, 101] {
            let mut r = reply(&[MSG_ACCEPTED, AUTH_NONE, 0, SUCCESS, xid]);
            r[..4].copy_from_slice(&xid.to_be_bytes());
            replies.extend(frame_record(&r));
        }
        let s = Scripted {
            replies: std::io::Cursor::new(replies.clone()),
            sent: Vec::new(),
            piece: 0,
        };
        let mut c = StreamClient::new(s, 100);
        let args = |i: usize, e: &mut Encoder| {
            e.u32(i as u32);
        };
        let mut got = vec![Vec::new(); 3];
        let r = c.call_each(READ, &Credentials::None, 3, 3, args, |i, r| {
            got[i] = r.to_vec();
            Ok::<(), RpcError>(())
        });
        assert_eq!(r, Ok(()));
        let want: Vec<Vec<u8>> = [100u32, 101, 102]
            .iter()
            .map(|x| x.to_be_bytes().to_vec())
            .collect();
        assert_eq!(got, want);
        // Each call went out as one record with its own arguments.
        let sent = &c.stream.get_ref().sent;
        assert_eq!(sent[..4], [0x80, 0, 0, 44]);
        assert_eq!(sent[44..48], [0, 0, 0, 0]);
        assert_eq!(sent[48 + 44..48 + 48], [0, 0, 0, 1]);
        // Three calls went out, and the next call takes the next xid.
        assert_eq!(c.stream.get_ref().sent.len(), 3 * (4 + 44));
        assert_eq!(c.next_xid, 103);
        // A batch whose replies stop short fails as the connection did.
        let s = Scripted {
            replies: std::io::Cursor::new(Vec::new()),
            sent: Vec::new(),
            piece: 0,
        };
        let mut c = StreamClient::new(s, 1);
        let r = c.call_each(READ, &Credentials::None, 3, 2, args, |_, _| Ok(()));
        assert_eq!(r, Err(RpcError::Transport(Errno::ECONNRESET)));
        assert_eq!(
            c.stream.get_ref().sent.len(),
            2 * (4 + 44),
            "at most the window"
        );
        // Replies that come in pieces, and a record split into two
        // fragments, are gathered whole.
        let mut split = Vec::new();
        let r = reply(&[MSG_ACCEPTED, AUTH_NONE, 0, SUCCESS, 1]);
        split.extend_from_slice(&10u32.to_be_bytes());
        split.extend_from_slice(&r[..10]);
        split.extend_from_slice(&(LAST_FRAGMENT | (r.len() as u32 - 10)).to_be_bytes());
        split.extend_from_slice(&r[10..]);
        for (piece, wire) in [(7, replies), (0, split)] {
            let s = Scripted {
                replies: std::io::Cursor::new(wire),
                sent: Vec::new(),
                piece,
            };
            let first = if piece == 0 { 9 } else { 100 };
            let n = if piece == 0 { 1 } else { 3 };
            let mut c = StreamClient::new(s, first);
            let mut got = vec![Vec::new(); n];
            let r = c.call_each(READ, &Credentials::None, n, 3, args, |i, r| {
                got[i] = r.to_vec();
                Ok::<(), RpcError>(())
            });
            assert_eq!(r, Ok(()));
            let want: Vec<Vec<u8>> = (0..n as u32)
                .map(|i| {
                    (if piece == 0 { 1 } else { 100 + i })
                        .to_be_bytes()
                        .to_vec()
                })
                .collect();
            assert_eq!(got, want, "pieces of {piece}");
        }
    }

    #[test]
    fn calls_sent_ahead_are_taken_later_or_skipped_by_a_call_made_meanwhile() {
        // Replies to the calls sent ahead (xids 10, 11), then to an
        // ordinary call (12), then to one more sent ahead (13).
        let mut replies = Vec::new();
        for xid in [10u32, 11, 12, 13] {
            let mut r = reply(&[MSG_ACCEPTED, AUTH_NONE, 0, SUCCESS, xid]);
            r[..4].copy_from_slice(&xid.to_be_bytes());
            replies.extend(frame_record(&r));
        }
        let s = Scripted {
            replies: std::io::Cursor::new(replies),
            sent: Vec::new(),
            piece: 5,
        };
        let mut c = StreamClient::new(s, 10);
        let none = &Credentials::None;
        let (a, b) = (
            c.send_ahead(READ, none, |e| {
                e.u32(1);
            })
            .unwrap(),
            c.send_ahead(READ, none, |e| {
                e.u32(2);
            })
            .unwrap(),
        );
        assert_eq!((a, b), (10, 11));
        let mut got = Vec::new();
        let took = c.take_ahead(a, |r| {
            got = r.to_vec();
            Ok::<(), RpcError>(())
        });
        assert_eq!((took, got), (Ok(true), 10u32.to_be_bytes().to_vec()));
        // An ordinary call skips the reply still waiting for 11.
        assert_eq!(c.call(1, 1, 1, none, &[]), Ok(12u32.to_be_bytes().to_vec()));
        assert_eq!(c.take_ahead(b, |_| Ok::<(), RpcError>(())), Ok(false));
        // The next one sent ahead is taken when its reply comes; one whose
        // reply never comes meets the connection's end.
        let d = c.send_ahead(READ, none, |_| {}).unwrap();
        assert_eq!(d, 13);
        assert_eq!(c.take_ahead(d, |_| Ok::<(), RpcError>(())), Ok(true));
        let e = c.send_ahead(READ, none, |_| {}).unwrap();
        assert_eq!(
            c.take_ahead(e, |_| Ok::<(), RpcError>(())),
            Err(RpcError::Transport(Errno::ECONNRESET))
        );
        // An xid never sent ahead is not waited for.
        assert_eq!(c.take_ahead(99, |_| Ok::<(), RpcError>(())), Ok(false));
    }

    #[test]
    fn replies_decode_to_results_or_the_reason() {
        let ok = reply(&[MSG_ACCEPTED, AUTH_NONE, 0, SUCCESS, 2049]);
        assert_eq!(decode_reply(&ok, 9), Ok(&[0u8, 0, 8, 1][..]));
        let mism = reply(&[MSG_ACCEPTED, AUTH_NONE, 0, PROG_MISMATCH, 2, 3]);
        assert_eq!(decode_reply(&mism, 9), Err(RpcError::ProgMismatch(2, 3)));
        let auth = reply(&[MSG_DENIED, AUTH_ERROR, 5]);
        assert_eq!(decode_reply(&auth, 9).unwrap_err().errno(), Errno::EAUTH);
        assert!(decode_reply(&ok, 10).is_err());
        // Every truncation of a reply is an error, never a panic.
        for n in 0..ok.len() - 4 {
            assert!(decode_reply(&ok[..n], 9).is_err(), "{n} bytes");
        }
        let bad_verf = reply(&[MSG_ACCEPTED, AUTH_NONE, 10_000]);
        assert_eq!(
            decode_reply(&bad_verf, 9),
            Err(RpcError::Garbled(XdrError::TooLong))
        );
    }

    #[test]
    fn records_are_reassembled_from_fragments_and_bounded() {
        let mut wire = Vec::new();
        wire.extend_from_slice(&3u32.to_be_bytes());
        wire.extend_from_slice(b"abc");
        wire.extend_from_slice(&(LAST_FRAGMENT | 2).to_be_bytes());
        wire.extend_from_slice(b"de");
        assert_eq!(read_record(&mut &wire[..], 100).unwrap(), b"abcde");
        assert_eq!(
            read_record(&mut &wire[..], 4),
            Err(RpcError::Garbled(XdrError::TooLong))
        );
        let huge = (LAST_FRAGMENT | 0x7fff_ffff).to_be_bytes();
        assert!(read_record(&mut &huge[..], MAX_REPLY).is_err());
        assert_eq!(
            read_record(&mut &wire[..5], 100),
            Err(RpcError::Transport(Errno::ECONNRESET))
        );
        assert_eq!(frame_record(b"xy"), [0x80, 0, 0, 2, b'x', b'y']);
    }
}
