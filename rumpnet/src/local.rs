//! The local domain (`AF_LOCAL`, NetBSD's `uipc_usrreq.c`): stream and
//! datagram sockets within one kernel, connected in pairs
//! (`socketpair(2)`) or by name. A name is a socket node in the file system
//! ([`rump::socknames`]): `bind` makes it and `connect`/`sendto` find it, so
//! binding by path needs the VFS faction (EOPNOTSUPP without it).

use crate::pcblist::KinfoPcb;
use crate::socket::{
    MSG_DONTWAIT, MSG_PEEK, ProtoSocket, Received, SOCK_DGRAM, SOCK_STREAM, SockShared, poll_bits,
};
use rump::socknames::NodeId;
use rump::syscall::Ctx;
use rump::sysctl::SysctlAnswer;
use rump::{Errno, KResult, Kernel};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// `AF_LOCAL`.
pub const AF_LOCAL: i32 = netbsd_abi::AF_LOCAL;
/// `sizeof(struct sockaddr_un)`: length, family and 104 bytes of path.
const SOCKADDR_UN_LEN: usize = netbsd_abi::layout::sockaddr_un::SIZE;
/// NetBSD's buffers: `PIPSIZ` for streams; a datagram may be at most the
/// send buffer, and the receive buffer holds a few.
const STREAM_SPACE: usize = 4096;
const DGRAM_SENDSPACE: usize = 2048;
const DGRAM_RECVSPACE: usize = 4096;
/// The least send buffer `soreserve` (`uipc_socket2.c`) grants: its low
/// water mark (`MCLBYTES`, amd64) plus `PIPE_BUF`, so that a socket with
/// some bytes queued still polls writable. It makes a datagram socket's
/// 2048 bytes 2560.
const SORESERVE_MIN_SND: usize = 2048 + netbsd_abi::PIPE_BUF as usize;
/// `SOMAXCONN`: the most a `listen` backlog counts (`solisten`).
const SOMAXCONN: usize = netbsd_abi::SOMAXCONN as usize;
/// `MSG_TRUNC`.
const MSG_TRUNC: i32 = netbsd_abi::MSG_TRUNC;
/// `SHUT_RD`, `SHUT_WR`, `SHUT_RDWR`.
const SHUT_RD: i32 = netbsd_abi::SHUT_RD;
const SHUT_WR: i32 = netbsd_abi::SHUT_WR;
const SHUT_RDWR: i32 = netbsd_abi::SHUT_RDWR;

mod mbufs;

use mbufs::{Charge, Held};

/// An unnamed address (`uipc_usrreq.c`'s `sun_noname`): length and
/// family alone, `sun_len` being `offsetof(struct sockaddr_un, sun_path)`,
/// so that `recvfrom`, `getsockname` and `getpeername` answer a length of 2.
fn noname() -> Vec<u8> {
    let head = netbsd_abi::layout::sockaddr_un::sun_path.offset;
    let mut sa = vec![0u8; head];
    sa[0] = head as u8;
    sa[1] = AF_LOCAL as u8;
    sa
}

/// The path in a `sockaddr_un`: up to the length given or the first NUL.
fn path_of(sa: &[u8]) -> KResult<Vec<u8>> {
    if sa.len() < 3 || sa.len() > SOCKADDR_UN_LEN {
        return Err(Errno::EINVAL);
    }
    if i32::from(sa[1]) != AF_LOCAL && sa[1] != 0 {
        return Err(Errno::EAFNOSUPPORT);
    }
    let p = &sa[2..];
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    if end == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(p[..end].to_vec())
}

/// The local domain of one kernel: the sockets bound to names.
pub struct LocalDomain {
    kernel: Weak<Kernel>,
    names: Mutex<HashMap<NodeId, Weak<LocalSocket>>>,
    /// Every socket, for the pcblists.
    all: Mutex<Vec<Weak<LocalSocket>>>,
    me: Weak<LocalDomain>,
}

impl LocalDomain {
    /// The domain of kernel `k`.
    pub fn new(k: &Kernel) -> Arc<LocalDomain> {
        Arc::new_cyclic(|me| LocalDomain {
            kernel: k.weak(),
            names: Mutex::new(HashMap::new()),
            all: Mutex::new(Vec::new()),
            me: me.clone(),
        })
    }

    fn names(&self) -> MutexGuard<'_, HashMap<NodeId, Weak<LocalSocket>>> {
        rump::sync::lock(&self.names)
    }

    fn make(&self, typ: i32) -> KResult<Arc<LocalSocket>> {
        let (rcv, snd) = match typ {
            SOCK_STREAM => (STREAM_SPACE, STREAM_SPACE),
            SOCK_DGRAM => (DGRAM_RECVSPACE, DGRAM_SENDSPACE),
            _ => return Err(Errno::EPROTOTYPE),
        };
        let snd = snd.max(SORESERVE_MIN_SND);
        let s = Arc::new_cyclic(|me| LocalSocket {
            typ,
            domain: self.me.clone(),
            shared: SockShared::new(self.kernel.clone(), rcv, snd),
            st: Mutex::new(LocalSocketState::default()),
            me: me.clone(),
        });
        let mut all = rump::sync::lock(&self.all);
        all.retain(|w| w.strong_count() > 0);
        all.push(Arc::downgrade(&s));
        Ok(s)
    }

    /// `net.local.{stream,dgram}.pcblist` (`sysctl_unpcblist`): the open
    /// sockets of type `typ`, newest first, with their names and peers.
    fn pcblist(&self, typ: i32, name: &[i32], cap: Option<usize>) -> KResult<SysctlAnswer> {
        let k = self.kernel.upgrade().ok_or(Errno::ENXIO)?;
        let socks: Vec<Arc<LocalSocket>> = rump::sync::lock(&self.all)
            .iter()
            .rev()
            .filter_map(Weak::upgrade)
            .filter(|s| s.typ == typ && !s.lock().closed)
            .collect();
        let id = |s: &Arc<LocalSocket>| k.kaddr(Arc::as_ptr(s).cast::<()>() as usize);
        let all: Vec<KinfoPcb> = socks
            .iter()
            .map(|s| {
                let peer = s.peer();
                let st = s.lock();
                let src = st.name.as_ref().map_or_else(noname, |(a, _)| a.clone());
                let rcvq = st.bytes.len() + st.dgram_held.sum.cc;
                drop(st);
                let dst = peer.as_ref().map(|p| match &p.lock().name {
                    Some((addr, _)) => addr.clone(),
                    None => noname(),
                });
                KinfoPcb {
                    id: id(s),
                    family: AF_LOCAL as u32,
                    typ: typ as u32,
                    rcvq: rcvq as u64,
                    src,
                    dst,
                    conn: peer.as_ref().map_or(0, id),
                    ..KinfoPcb::default()
                }
            })
            .collect();
        crate::pcblist::answer(&all, name, cap)
    }

    /// Make `net.local` and its `stream` and `dgram` nodes with their
    /// `pcblist`s (NetBSD's numbers: PF_LOCAL 1, SOCK_STREAM 1, SOCK_DGRAM 2).
    pub fn register_sysctl(self: &Arc<Self>, k: &Kernel) -> KResult<()> {
        use rump::sysctl::{NodeData, NodeSpec, SysctlHandler};
        let t = k.sysctl();
        t.create(
            "net",
            NodeSpec {
                num: Some(AF_LOCAL),
                ..NodeSpec::new("local", 0, "PF_LOCAL related settings", NodeData::Node)
            },
        )?;
        for (name, typ) in [("stream", SOCK_STREAM), ("dgram", SOCK_DGRAM)] {
            t.create(
                "net.local",
                NodeSpec {
                    num: Some(typ),
                    ..NodeSpec::new(name, 0, "", NodeData::Node)
                },
            )?;
            let w = self.me.clone();
            let h: SysctlHandler = Arc::new(move |n, _cred, cap, new| {
                if new.is_some() {
                    return Err(Errno::EPERM);
                }
                w.upgrade().ok_or(Errno::ENXIO)?.pcblist(typ, n, cap)
            });
            t.create(
                &format!("net.local.{name}"),
                NodeSpec::new("pcblist", 0, "SOCK_* socket list", NodeData::Handler(h)),
            )?;
        }
        Ok(())
    }

    /// The socket bound to the node at `path`: ECONNREFUSED if none is
    /// (any more), EOPNOTSUPP without a file system.
    fn find(&self, ctx: &Ctx, path: &[u8]) -> KResult<Arc<LocalSocket>> {
        let names = ctx.kernel().socknames().ok_or(Errno::EOPNOTSUPP)?;
        let id = names.lookup(ctx, path)?;
        self.names()
            .get(&id)
            .and_then(Weak::upgrade)
            .ok_or(Errno::ECONNREFUSED)
    }
}

impl crate::net::Domain for LocalDomain {
    fn family(&self) -> u8 {
        AF_LOCAL as u8
    }

    fn socket(&self, _ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        if protocol != 0 {
            return Err(Errno::EPROTONOSUPPORT);
        }
        Ok(self.make(typ)?)
    }
}

/// A listening socket's queue of connections not yet accepted.
struct Listen {
    /// How many may wait: `sonewconn` refuses once more than 3/2 of the
    /// backlog wait.
    backlog: usize,
    ready: VecDeque<Arc<LocalSocket>>,
}

/// What a local socket knows behind its lock: its name, its peer, its
/// listen queue and the data waiting to be read.
#[derive(Default)]
struct LocalSocketState {
    /// Bound name: the address as `bind` was given it (`sun_len` the
    /// length given, as NetBSD's `unp_bind` keeps it), and the node.
    name: Option<(Vec<u8>, NodeId)>,
    /// The other end (streams), or the default destination (datagrams).
    peer: Option<Weak<LocalSocket>>,
    /// Was connected (a stream whose peer went away reads EOF).
    connected: bool,
    listen: Option<Listen>,
    /// Stream bytes, or datagrams with their sender's address and what
    /// each is charged, and the charges summed.
    bytes: VecDeque<u8>,
    dgrams: VecDeque<(Vec<u8>, Vec<u8>, Charge)>,
    dgram_held: Held,
    /// Nothing more will arrive (the peer shut its sending half, or went).
    rcv_eof: bool,
    /// Our reading half is shut.
    rd_shut: bool,
    /// Our sending half is shut.
    wr_shut: bool,
    closed: bool,
    /// The pending error (`so_error`): ECONNRESET once the datagram
    /// socket we were connected to has closed (`unp_drop`).
    error: Option<Errno>,
    /// The datagram sockets connected to us (`unp_refs`), told when we close.
    refs: Vec<Weak<LocalSocket>>,
}

/// A local-domain socket.
pub struct LocalSocket {
    typ: i32,
    domain: Weak<LocalDomain>,
    shared: SockShared,
    st: Mutex<LocalSocketState>,
    me: Weak<LocalSocket>,
}

impl LocalSocket {
    fn lock(&self) -> MutexGuard<'_, LocalSocketState> {
        rump::sync::lock(&self.st)
    }

    fn peer(&self) -> Option<Arc<LocalSocket>> {
        self.lock().peer.as_ref().and_then(Weak::upgrade)
    }

    fn my_name(&self) -> Vec<u8> {
        self.lock()
            .name
            .as_ref()
            .map_or_else(noname, |(a, _)| a.clone())
    }

    /// Join `a` and `b` as the two ends of a connection.
    fn join(a: &Arc<LocalSocket>, b: &Arc<LocalSocket>) {
        for (x, y) in [(a, b), (b, a)] {
            let mut s = x.lock();
            s.peer = Some(Arc::downgrade(y));
            s.connected = true;
        }
    }

    /// Stream bytes in from a sender with `sndbuf` and `sndlowat`. The
    /// sender's buffer bounds what we hold (`unp_send` lowers the sender's
    /// high water mark by what it adds to our buffer; our own receive
    /// buffer size plays no part), and a send that does not fit whole
    /// waits until the room reaches the low water mark (`sosend`).
    fn deliver_stream(&self, data: &[u8], sndbuf: usize, sndlowat: usize) -> KResult<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        let room = {
            let mut s = self.lock();
            if s.closed || s.rd_shut {
                // Nobody will read it: the data is dropped, as NetBSD's
                // sbappend on a shut receive buffer does.
                return if s.closed {
                    Err(Errno::EPIPE)
                } else {
                    Ok(data.len())
                };
            }
            let space = sndbuf.saturating_sub(s.bytes.len());
            if space == 0 || (space < data.len() && space < sndlowat) {
                return Err(Errno::EAGAIN);
            }
            let room = space.min(data.len());
            s.bytes.extend(&data[..room]);
            room
        };
        self.shared.wait.wakeup();
        Ok(room)
    }

    /// Whether a stream writer with `sndbuf` and `sndlowat` polls writable
    /// (`sowritable`: the room reaches the low water mark).
    fn has_room(&self, sndbuf: usize, sndlowat: usize) -> bool {
        let s = self.lock();
        s.closed || s.rd_shut || sndbuf.saturating_sub(s.bytes.len()) >= sndlowat
    }

    /// A datagram in, from `from` through a send buffer of `sndbuf`:
    /// ENOBUFS when the buffer is full.
    fn deliver_dgram(&self, data: &[u8], from: Vec<u8>, sndbuf: usize) -> KResult<()> {
        {
            let mut s = self.lock();
            if s.closed {
                return Err(Errno::ECONNREFUSED);
            }
            if s.rd_shut {
                return Ok(());
            }
            // Charged as NetBSD's sbappendaddr does: the data with the
            // sender's address, and the mbufs that carry them.
            let charge = Charge::of(data.len(), from.len(), sndbuf);
            if !s.dgram_held.take(charge, self.shared.opts().rcvbuf) {
                return Err(Errno::ENOBUFS);
            }
            s.dgrams.push_back((from, data.to_vec(), charge));
        }
        self.shared.wait.wakeup();
        Ok(())
    }

    /// The datagram socket we were connected to closed: we are
    /// disconnected, and the next call that looks answers ECONNRESET.
    fn drop_peer(&self, gone: &LocalSocket) {
        {
            let mut s = self.lock();
            let ours = s
                .peer
                .as_ref()
                .is_some_and(|w| std::ptr::eq(w.as_ptr(), gone));
            if !ours {
                return;
            }
            s.peer = None;
            s.error = Some(Errno::ECONNRESET);
        }
        self.shared.wait.wakeup();
    }

    /// The other end will send nothing more.
    fn peer_done(&self) {
        self.lock().rcv_eof = true;
        self.shared.wait.wakeup();
    }
}

impl ProtoSocket for LocalSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (AF_LOCAL, self.typ, 0)
    }

    fn bind(&self, ctx: &Ctx, addr: &[u8]) -> KResult<()> {
        let path = path_of(addr)?;
        let domain = self.domain.upgrade().ok_or(Errno::EINVAL)?;
        if self.lock().name.is_some() {
            return Err(Errno::EINVAL);
        }
        let names = ctx.kernel().socknames().ok_or(Errno::EOPNOTSUPP)?;
        let id = names.bind(ctx, &path)?;
        let mut table = domain.names();
        table.retain(|_, w| w.strong_count() > 0);
        table.insert(id, self.me.clone());
        let mut given = addr.to_vec();
        given[0] = addr.len() as u8;
        self.lock().name = Some((given, id));
        Ok(())
    }

    fn connect(&self, ctx: &Ctx, addr: &[u8]) -> KResult<()> {
        let path = path_of(addr)?;
        let domain = self.domain.upgrade().ok_or(Errno::EINVAL)?;
        let target = domain.find(ctx, &path)?;
        if target.typ != self.typ {
            return Err(Errno::EPROTOTYPE);
        }
        let me = self.me.upgrade().ok_or(Errno::EINVAL)?;
        if Arc::ptr_eq(&target, &me) {
            return Err(Errno::ECONNREFUSED);
        }
        if self.typ == SOCK_DGRAM {
            self.lock().peer = Some(Arc::downgrade(&target));
            let mut t = target.lock();
            t.refs.retain(|w| w.strong_count() > 0);
            t.refs.push(self.me.clone());
            return Ok(());
        }
        {
            let s = self.lock();
            if s.connected {
                return Err(Errno::EISCONN);
            }
            if s.listen.is_some() {
                return Err(Errno::EINVAL);
            }
        }
        // A new socket for the listener's side, joined to us before the
        // listener is locked (no two sockets' locks are ever held at once),
        // then queued for accept.
        let server = domain.make(SOCK_STREAM)?;
        let name = target.lock().name.clone();
        server.lock().name = name;
        LocalSocket::join(&me, &server);
        let queued = {
            let mut t = target.lock();
            match t.listen.as_mut() {
                Some(l) if l.ready.len() <= l.backlog => {
                    l.ready.push_back(server);
                    true
                }
                _ => false,
            }
        };
        if !queued {
            let mut s = self.lock();
            s.peer = None;
            s.connected = false;
            return Err(Errno::ECONNREFUSED);
        }
        target.shared.wait.wakeup();
        Ok(())
    }

    fn listen(&self, backlog: i32) -> KResult<()> {
        let mut s = self.lock();
        // solisten refuses a connected socket, unp_listen an unbound one.
        // A bound datagram socket may listen as on NetBSD: it is marked
        // SO_ACCEPTCONN, though no connection ever comes to it.
        let dgram_connected = self.typ == SOCK_DGRAM && s.peer.is_some();
        if s.name.is_none() || s.connected || dgram_connected {
            return Err(Errno::EINVAL);
        }
        // solisten keeps the backlog within 0..=SOMAXCONN; sonewconn refuses
        // a connection once more than 3/2 of it wait (so a backlog of 0
        // still queues one).
        let qlimit = usize::try_from(backlog).unwrap_or(0).min(SOMAXCONN);
        let backlog = 3 * qlimit / 2;
        match s.listen.as_mut() {
            Some(l) => l.backlog = backlog,
            None => {
                s.listen = Some(Listen {
                    backlog,
                    ready: VecDeque::new(),
                })
            }
        }
        Ok(())
    }

    fn accept(&self) -> KResult<Arc<dyn ProtoSocket>> {
        let mut s = self.lock();
        let l = s.listen.as_mut().ok_or(Errno::EINVAL)?;
        match l.ready.pop_front() {
            Some(c) => Ok(c),
            None => Err(Errno::EAGAIN),
        }
    }

    fn send(&self, ctx: &Ctx, data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        {
            // sosend: a shut sending half, then a pending error.
            let mut s = self.lock();
            if s.wr_shut {
                return Err(Errno::EPIPE);
            }
            if let Some(e) = s.error.take() {
                return Err(e);
            }
        }
        let opts = self.shared.opts();
        if self.typ == SOCK_STREAM {
            if to.is_some() && !self.lock().connected {
                return Err(Errno::EOPNOTSUPP);
            }
            let peer = match self.peer() {
                Some(p) => p,
                None if self.lock().connected => return Err(Errno::EPIPE),
                None => return Err(Errno::ENOTCONN),
            };
            let n = peer.deliver_stream(data, opts.sndbuf, opts.sndlowat)?;
            return Ok(n);
        }
        if data.len() > opts.sndbuf {
            return Err(Errno::EMSGSIZE);
        }
        let target = match to {
            Some(sa) => {
                if self.lock().peer.is_some() {
                    return Err(Errno::EISCONN);
                }
                let domain = self.domain.upgrade().ok_or(Errno::EINVAL)?;
                domain.find(ctx, &path_of(sa)?)?
            }
            // Never connected (or disconnected when the peer closed): sosend
            // wants an address.
            None => self.peer().ok_or(if self.lock().peer.is_some() {
                Errno::ECONNREFUSED
            } else {
                Errno::EDESTADDRREQ
            })?,
        };
        target.deliver_dgram(data, self.my_name(), opts.sndbuf)?;
        Ok(data.len())
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        let peek = flags & MSG_PEEK != 0;
        let rcvlowat = self.shared.opts().rcvlowat;
        let got = {
            let mut s = self.lock();
            if self.typ == SOCK_STREAM {
                let ended = s.rcv_eof || s.rd_shut || (s.connected && s.peer.is_none());
                // soreceive waits for the low water mark (or all that was
                // asked for) unless told not to wait or the stream ended.
                let short = s.bytes.len() < buf.len() && s.bytes.len() < rcvlowat;
                if !s.bytes.is_empty() && short && flags & MSG_DONTWAIT == 0 && !ended {
                    return Err(Errno::EAGAIN);
                }
                if s.bytes.is_empty() {
                    if s.rcv_eof || s.rd_shut || (s.connected && s.peer.is_none()) {
                        return Ok(Received::default());
                    }
                    if !s.connected {
                        return Err(Errno::ENOTCONN);
                    }
                    return Err(Errno::EAGAIN);
                }
                let n = buf.len().min(s.bytes.len());
                for (d, b) in buf.iter_mut().zip(s.bytes.iter()) {
                    *d = *b;
                }
                if !peek {
                    s.bytes.drain(..n);
                }
                Received {
                    len: n,
                    full: n,
                    ..Received::default()
                }
            } else {
                let Some((from, d, charge)) = s.dgrams.front() else {
                    if let Some(e) = s.error {
                        if !peek {
                            s.error = None;
                        }
                        return Err(e);
                    }
                    if s.rd_shut {
                        return Ok(Received::default());
                    }
                    return Err(Errno::EAGAIN);
                };
                let n = buf.len().min(d.len());
                buf[..n].copy_from_slice(&d[..n]);
                let r = Received {
                    len: n,
                    full: d.len(),
                    from: Some(from.clone()),
                    flags: if n < d.len() { MSG_TRUNC } else { 0 },
                    control: Vec::new(),
                };
                if !peek {
                    let charge = *charge;
                    s.dgrams.pop_front();
                    s.dgram_held.release(charge);
                }
                r
            }
        };
        // Room was made: the writer may go on.
        if !peek
            && self.typ == SOCK_STREAM
            && let Some(p) = self.peer()
        {
            p.shared.wait.wakeup();
        }
        Ok(got)
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        let (rd, wr) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        {
            // soshutdown asks nothing of the connection: shutting an
            // unconnected socket is no error.
            let mut s = self.lock();
            if rd {
                s.rd_shut = true;
                s.bytes.clear();
                s.dgrams.clear();
                s.dgram_held = Held::default();
            }
            s.wr_shut |= wr;
        }
        if wr && let Some(p) = self.peer() {
            p.peer_done();
        }
        self.shared.wait.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Ok(self.my_name())
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        match self.peer() {
            Some(p) if self.lock().connected || self.typ == SOCK_DGRAM => Ok(p.my_name()),
            _ => Err(Errno::ENOTCONN),
        }
    }

    fn poll(&self, events: i16) -> i16 {
        let s = self.lock();
        // A listening datagram socket polls as any datagram socket.
        if let Some(l) = s.listen.as_ref().filter(|_| self.typ == SOCK_STREAM) {
            return poll_bits(events, !l.ready.is_empty(), false, false);
        }
        let peer = s.peer.as_ref().and_then(Weak::upgrade);
        let gone = s.connected && peer.is_none();
        // soreadable: the low water mark reached, the end, or an error.
        let lowat = self.shared.opts().rcvlowat.max(1);
        let readable = s.bytes.len() >= lowat
            || !s.dgrams.is_empty()
            || s.rcv_eof
            || s.rd_shut
            || gone
            || s.error.is_some();
        let can_write = !s.wr_shut && (self.typ != SOCK_STREAM || (s.connected && !gone));
        // sowritable: a send that cannot happen any more (SS_CANTSENDMORE)
        // or a pending error answers at once, so it polls writable too.
        let ends_at_once = (s.wr_shut && s.connected) || gone || s.error.is_some();
        drop(s);
        // A stream is writable while its peer's buffer has room (looked at
        // without our lock held).
        let writable = ends_at_once
            || can_write
                && (self.typ != SOCK_STREAM
                    || peer.is_some_and(|p| {
                        let o = self.shared.opts();
                        p.has_room(o.sndbuf, o.sndlowat)
                    }));
        poll_bits(events, readable, writable, gone)
    }

    fn close(&self) {
        let (peer, listen, refs) = {
            let mut s = self.lock();
            s.closed = true;
            (s.peer.take(), s.listen.take(), std::mem::take(&mut s.refs))
        };
        // unp_detach: the datagram sockets connected to us are dropped
        // with ECONNRESET.
        for r in refs.iter().filter_map(Weak::upgrade) {
            r.drop_peer(self);
        }
        // Connections nobody accepted end too.
        if let Some(l) = listen {
            for c in l.ready {
                c.close();
            }
        }
        if let Some(p) = peer.and_then(|w| w.upgrade())
            && self.typ == SOCK_STREAM
        {
            p.peer_done();
        }
    }

    fn nread(&self) -> usize {
        let s = self.lock();
        s.bytes.len() + s.dgrams.front().map_or(0, |d| d.1.len())
    }

    fn is_listening(&self) -> bool {
        self.lock().listen.is_some()
    }

    fn rcv_cc(&self) -> usize {
        let s = self.lock();
        s.bytes.len() + s.dgram_held.sum.cc
    }

    fn accept_ready(&self) -> usize {
        self.lock().listen.as_ref().map_or(0, |l| l.ready.len())
    }

    fn cant_send(&self) -> bool {
        self.lock().wr_shut
    }

    fn take_error(&self) -> i32 {
        self.lock().error.take().map_or(0, |e| e.0)
    }

    /// `SS_CANTRCVMORE`: the peer shut its sending half or went, or we
    /// shut our reading half.
    fn cant_recv_more(&self) -> bool {
        let s = self.lock();
        let gone = s.connected && s.peer.as_ref().is_none_or(|w| w.strong_count() == 0);
        s.rcv_eof || s.rd_shut || gone
    }

    /// A stream's sender is charged for what its peer holds (`unp_send`
    /// lowers the sender's high water mark by it).
    fn snd_space(&self) -> usize {
        let sndbuf = self.shared.opts().sndbuf;
        match self.peer() {
            Some(p) if self.typ == SOCK_STREAM => sndbuf.saturating_sub(p.lock().bytes.len()),
            _ => sndbuf,
        }
    }
}

/// A connected pair (`socketpair(2)`).
pub fn pair(
    ctx: &Ctx,
    domain: i32,
    typ: i32,
    protocol: i32,
) -> KResult<(Arc<dyn ProtoSocket>, Arc<dyn ProtoSocket>)> {
    if domain != AF_LOCAL {
        return Err(Errno::EOPNOTSUPP);
    }
    if protocol != 0 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let net = crate::Net::of(ctx.kernel());
    let d = net.local_domain().ok_or(Errno::EAFNOSUPPORT)?;
    let (a, b) = (d.make(typ)?, d.make(typ)?);
    LocalSocket::join(&a, &b);
    if typ == SOCK_DGRAM {
        // unp_connect2: each is among the other's unp_refs, so that the
        // one left after a close gets ECONNRESET.
        a.lock().refs.push(Arc::downgrade(&b));
        b.lock().refs.push(Arc::downgrade(&a));
    }
    Ok((a, b))
}

#[cfg(test)]
mod tests;
