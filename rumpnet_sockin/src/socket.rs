//! One sockin socket: a host TCP or UDP socket behind the kernel's socket
//! layer (NetBSD's `sockin_usrreqs`). Every operation is tried on the
//! non-blocking host socket, which answers EAGAIN for "not now". A blocking
//! call then waits on its host socket itself, so that the host kernel
//! wakes it directly (NetBSD's sockin hands every wake-up through its
//! sockin_process thread); `poll`, `select` and kqueue say what they wait
//! for to the poller, which wakes them.

use crate::errno::host;
use crate::poller::{Poller, WANT_READ, WANT_READ_LEVEL, WANT_WRITE, WANT_WRITE_LEVEL};
use crate::sockaddr;
use rump::syscall::Ctx;
use rump::{Errno, KResult, Kernel};
use rumpnet::socket::{
    Direction, MSG_OOB, MSG_PEEK, MSG_TRUNC, ProtoSocket, Received, SHUT_RD, SHUT_RDWR, SHUT_WR,
    SO_BROADCAST, SO_DONTROUTE, SO_KEEPALIVE, SO_OOBINLINE, SO_RCVBUF, SO_REUSEADDR, SO_REUSEPORT,
    SO_SNDBUF, SOCK_STREAM, SOL_SOCKET, SockShared, poll_bits,
};
use rumpuser::{InetKind, InetOption, InetSocket, poll_sockets};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

/// `SOCKIN_SBSIZE` (sockin.c): the buffer sizes sockin reserves, and asks
/// the host for on datagram sockets.
pub const SOCKIN_SBSIZE: usize = 65536;

const IPPROTO_IP: i32 = netbsd_abi::IPPROTO_IP;
const IPPROTO_TCP: i32 = netbsd_abi::IPPROTO_TCP;
const IPPROTO_IPV6: i32 = netbsd_abi::IPPROTO_IPV6;
const TCP_NODELAY: i32 = netbsd_abi::TCP_NODELAY;
const IP_TOS: i32 = netbsd_abi::IP_TOS;
const IP_TTL: i32 = netbsd_abi::IP_TTL;
const IPV6_V6ONLY: i32 = netbsd_abi::IPV6_V6ONLY;
const POLLIN: i16 = netbsd_abi::POLLIN as i16;
const POLLRDNORM: i16 = netbsd_abi::POLLRDNORM as i16;
const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
const POLLWRNORM: i16 = netbsd_abi::POLLWRNORM as i16;

/// The shortest host wait: the host's poll counts whole milliseconds, and
/// a shorter one would return at once and spin until the deadline.
const SHORTEST_HOST_WAIT: Duration = Duration::from_millis(1);

/// Where a socket is in its life.
#[derive(Default)]
struct State {
    /// A stream connect was started and has not finished.
    connecting: bool,
    /// Connected (a stream), or associated (a datagram socket).
    connected: bool,
    listening: bool,
    /// The peer, remembered: the host forgets it once the connection
    /// is closed, while NetBSD answers for as long as the socket lives.
    peer: Option<SocketAddr>,
    /// The sending half was shut.
    shut_write: bool,
    /// Protocol-level options set, as given, for `getsockopt`.
    options: HashMap<(i32, i32), Vec<u8>>,
}

/// A host socket as a kernel socket.
pub struct SockinSocket {
    shared: SockShared,
    kernel: Weak<Kernel>,
    family: u8,
    typ: i32,
    protocol: i32,
    host: InetSocket,
    poller: Arc<Poller>,
    interest: AtomicU8,
    /// The levels kevent filters wait for (`WANT_*_LEVEL`): bytes to
    /// read, and room to write.
    levels: [AtomicUsize; 2],
    state: Mutex<State>,
}

impl SockinSocket {
    /// A new socket of `family` (`AF_INET`/`AF_INET6`) and `typ`, watched
    /// by `poller`.
    pub fn create(
        ctx: &Ctx,
        poller: &Arc<Poller>,
        family: u8,
        typ: i32,
        protocol: i32,
    ) -> KResult<Arc<SockinSocket>> {
        let kind = if typ == SOCK_STREAM {
            InetKind::Stream
        } else {
            InetKind::Datagram
        };
        let h = InetSocket::new(family == sockaddr::AF_INET6, kind).map_err(|e| host(&e))?;
        if kind == InetKind::Datagram {
            // As sockin_attach: a datagram socket can carry the largest
            // datagrams (NFS over UDP sends whole blocks).
            let n = SOCKIN_SBSIZE as u32;
            let _ = h.set_option(InetOption::SendBuffer(n));
            let _ = h.set_option(InetOption::ReceiveBuffer(n));
        }
        let kind = (family, typ, protocol);
        Self::wrap(ctx.kernel(), poller, kind, h, State::default())
    }

    fn wrap(
        k: &Kernel,
        poller: &Arc<Poller>,
        (family, typ, protocol): (u8, i32, i32),
        host: InetSocket,
        state: State,
    ) -> KResult<Arc<SockinSocket>> {
        let s = Arc::new(SockinSocket {
            shared: SockShared::new(k.weak(), SOCKIN_SBSIZE, SOCKIN_SBSIZE),
            kernel: k.weak(),
            family,
            typ,
            protocol,
            host,
            poller: Arc::clone(poller),
            interest: AtomicU8::new(0),
            levels: [AtomicUsize::new(0), AtomicUsize::new(0)],
            state: Mutex::new(state),
        });
        poller.add(k, &s)?;
        Ok(s)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        rump::sync::lock(&self.state)
    }

    /// The host socket (for the poller).
    pub fn host(&self) -> &InetSocket {
        &self.host
    }

    /// What the socket waits for (`WANT_*`).
    pub fn interest(&self) -> u8 {
        self.interest.load(Ordering::Acquire)
    }

    /// The poller saw `ready`: forget those wants; true if any was
    /// waited for.
    pub fn satisfy(&self, ready: u8) -> bool {
        self.interest.fetch_and(!ready, Ordering::AcqRel) & ready != 0
    }

    /// Wake the socket's waiters and the kernel's pollers.
    pub fn wakeup(&self) {
        self.shared.wait.wakeup();
    }

    /// Whether a level a kevent filter waits for (`WANT_*_LEVEL` in
    /// [`SockinSocket::interest`]) is reached, or the socket failed or hung
    /// up, which the filter reports too: the poller looks after each tick.
    pub fn level_reached(&self, which: u8) -> bool {
        let r = self.host.readiness();
        if r.hangup || r.error {
            return true;
        }
        if which == WANT_READ_LEVEL {
            self.rcv_cc() >= self.levels[0].load(Ordering::Acquire)
        } else {
            r.writable && self.snd_space() >= self.levels[1].load(Ordering::Acquire)
        }
    }

    /// Wait (through the poller) for `what`: `poll`, `select` and kqueue
    /// do; blocking calls wait on the host socket themselves.
    fn want(&self, what: u8) {
        if self.interest.fetch_or(what, Ordering::AcqRel) & what != what {
            self.poller.kick();
        }
    }

    fn addr(&self, sa: &[u8]) -> KResult<SocketAddr> {
        sockaddr::parse(sa, self.family)
    }

    fn int_option(val: &[u8]) -> KResult<i32> {
        let b: [u8; 4] = val
            .get(..4)
            .and_then(|b| b.try_into().ok())
            .ok_or(Errno::EINVAL)?;
        Ok(i32::from_le_bytes(b))
    }

    /// The host option for `(level, name)` set to `v`, if sockin passes
    /// that option on.
    fn host_option(&self, level: i32, name: i32, v: i32) -> Option<InetOption> {
        let on = v != 0;
        let size = u32::try_from(v.max(0)).unwrap_or(0);
        let byte = u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX);
        Some(match (level, name) {
            (SOL_SOCKET, SO_REUSEADDR) => InetOption::ReuseAddr(on),
            (SOL_SOCKET, SO_REUSEPORT) => InetOption::ReusePort(on),
            (SOL_SOCKET, SO_KEEPALIVE) => InetOption::KeepAlive(on),
            (SOL_SOCKET, SO_BROADCAST) => InetOption::Broadcast(on),
            (SOL_SOCKET, SO_DONTROUTE) => InetOption::DontRoute(on),
            (SOL_SOCKET, SO_OOBINLINE) => InetOption::OobInline(on),
            (SOL_SOCKET, SO_SNDBUF) => InetOption::SendBuffer(size),
            (SOL_SOCKET, SO_RCVBUF) => InetOption::ReceiveBuffer(size),
            (IPPROTO_TCP, TCP_NODELAY) if self.typ == SOCK_STREAM => InetOption::NoDelay(on),
            (IPPROTO_IP, IP_TOS) if self.family == sockaddr::AF_INET => InetOption::Tos(byte),
            (IPPROTO_IP, IP_TTL) if self.family == sockaddr::AF_INET => InetOption::Ttl(byte),
            (IPPROTO_IPV6, IPV6_V6ONLY) if self.family == sockaddr::AF_INET6 => {
                InetOption::V6Only(on)
            }
            _ => return None,
        })
    }
}

impl ProtoSocket for SockinSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (i32::from(self.family), self.typ, self.protocol)
    }

    fn bind(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        let a = self.addr(sa)?;
        self.host.bind(&a).map_err(|e| host(&e))
    }

    fn connect(&self, _ctx: &Ctx, sa: &[u8]) -> KResult<()> {
        if self.typ != SOCK_STREAM && sockaddr::is_unspec(sa) {
            self.host.disconnect().map_err(|e| host(&e))?;
            let mut st = self.state();
            st.connected = false;
            st.peer = None;
            return Ok(());
        }
        let a = self.addr(sa)?;
        let mut st = self.state();
        if st.listening {
            return Err(Errno::EOPNOTSUPP);
        }
        if st.connecting {
            return Err(Errno::EALREADY);
        }
        match self.host.connect(&a) {
            Ok(()) => {
                st.connected = true;
                st.peer = Some(a);
                Ok(())
            }
            Err(e) => match host(&e) {
                Errno::EINPROGRESS => {
                    st.connecting = true;
                    Err(Errno::EINPROGRESS)
                }
                errno => Err(errno),
            },
        }
    }

    fn connect_result(&self) -> Option<KResult<()>> {
        let mut st = self.state();
        if !st.connecting {
            return Some(if st.connected {
                Ok(())
            } else {
                Err(Errno::ECONNREFUSED)
            });
        }
        let r = self.host.readiness();
        if !(r.writable || r.error || r.hangup) {
            return None;
        }
        st.connecting = false;
        match self.host.take_error() {
            Ok(None) => {
                st.connected = true;
                st.peer = self.host.peer_addr().ok();
                Some(Ok(()))
            }
            Ok(Some(e)) | Err(e) => Some(Err(host(&e))),
        }
    }

    fn listen(&self, backlog: i32) -> KResult<()> {
        if self.typ != SOCK_STREAM {
            return Err(Errno::EOPNOTSUPP);
        }
        self.host.listen(backlog).map_err(|e| host(&e))?;
        self.state().listening = true;
        Ok(())
    }

    fn accept(&self) -> KResult<Arc<dyn ProtoSocket>> {
        match self.host.accept() {
            Ok((h, peer)) => {
                let k = self.kernel.upgrade().ok_or(Errno::ECONNABORTED)?;
                let kind = (self.family, self.typ, self.protocol);
                let state = State {
                    connected: true,
                    peer,
                    ..State::default()
                };
                Ok(Self::wrap(&k, &self.poller, kind, h, state)?)
            }
            Err(e) => Err(host(&e)),
        }
    }

    fn send(&self, _ctx: &Ctx, data: &[u8], to: Option<&[u8]>, flags: i32) -> KResult<usize> {
        let to = match to {
            Some(sa) if self.typ == SOCK_STREAM => {
                // A connected stream ignores the address, as
                // NetBSD's tcp_usrreq does for sendto.
                let _ = self.addr(sa)?;
                None
            }
            Some(sa) => Some(self.addr(sa)?),
            None => None,
        };
        match self.host.send(data, to.as_ref(), flags & MSG_OOB != 0) {
            Ok(n) => Ok(n),
            Err(e) => Err(host(&e)),
        }
    }

    fn recv(&self, buf: &mut [u8], flags: i32) -> KResult<Received> {
        let r = match self
            .host
            .recv(buf, flags & MSG_PEEK != 0, flags & MSG_OOB != 0)
        {
            Ok(r) => r,
            Err(e) => return Err(host(&e)),
        };
        let datagram = self.typ != SOCK_STREAM;
        Ok(Received {
            len: r.len,
            full: r.full,
            from: r.from.filter(|_| datagram).map(|a| sockaddr::emit(&a)),
            flags: if r.full > r.len { MSG_TRUNC } else { 0 },
            control: Vec::new(),
        })
    }

    fn shutdown(&self, how: i32) -> KResult<()> {
        let (rd, wr) = match how {
            SHUT_RD => (true, false),
            SHUT_WR => (false, true),
            SHUT_RDWR => (true, true),
            _ => return Err(Errno::EINVAL),
        };
        self.host.shutdown(rd, wr).map_err(|e| host(&e))?;
        if wr {
            self.state().shut_write = true;
        }
        self.wakeup();
        Ok(())
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        let a = self.host.local_addr().map_err(|e| host(&e))?;
        Ok(sockaddr::emit(&a))
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        let a = match self.host.peer_addr() {
            Ok(a) => a,
            Err(e) => self.state().peer.ok_or_else(|| host(&e))?,
        };
        Ok(sockaddr::emit(&a))
    }

    fn setopt(&self, level: i32, name: i32, val: &[u8]) -> KResult<()> {
        let v = Self::int_option(val)?;
        let Some(opt) = self.host_option(level, name, v) else {
            return Err(Errno::ENOPROTOOPT);
        };
        self.host.set_option(opt).map_err(|e| host(&e))?;
        if level != SOL_SOCKET {
            self.state().options.insert((level, name), val.to_vec());
        }
        Ok(())
    }

    fn getopt(&self, level: i32, name: i32) -> KResult<Vec<u8>> {
        if self.host_option(level, name, 0).is_none() {
            return Err(Errno::ENOPROTOOPT);
        }
        Ok(self
            .state()
            .options
            .get(&(level, name))
            .cloned()
            .unwrap_or_else(|| 0i32.to_le_bytes().to_vec()))
    }

    fn poll(&self, events: i16) -> i16 {
        let r = self.host.readiness();
        let readable = r.readable || r.hangup || r.error;
        let writable = r.writable && !self.state().connecting;
        let mut want = 0;
        if events & (POLLIN | POLLRDNORM) != 0 && !readable {
            want |= WANT_READ;
        }
        if events & (POLLOUT | POLLWRNORM) != 0 && !writable {
            want |= WANT_WRITE;
        }
        if want != 0 {
            self.want(want);
        }
        poll_bits(events, readable, writable, r.hangup)
    }

    /// The poller lets its reference go at once, so that the host socket
    /// closes (and the peer sees the end) when the kernel's socket does.
    fn close(&self) {
        self.interest.store(0, Ordering::Release);
        self.poller.kick();
    }

    /// Waits in the host's `poll(2)` on this one socket, without the
    /// virtual CPU: the host wakes the caller when the socket is ready, or
    /// when another thread shuts it down; the socket layer looks at the
    /// process again after each `d`. A drain is not a readiness the host
    /// shows: that waits on the channel.
    fn host_wait(&self, ctx: &Ctx, dir: Direction, d: Duration) -> bool {
        let (read, write) = match dir {
            Direction::Read => (true, false),
            Direction::Write => (false, true),
            Direction::Drain => return false,
        };
        let mut set = [(&self.host, read, write)];
        let d = d.max(SHORTEST_HOST_WAIT);
        // Only a bad descriptor fails a poll, which the next try of the
        // operation reports; the channel's wait keeps it from spinning.
        ctx.block(|| poll_sockets(&mut set, None, Some(d))).is_ok()
    }

    /// A host socket's readiness only says whether there is something to
    /// read or some room to write; a filter waiting for more (`NOTE_LOWAT`,
    /// `SO_RCVLOWAT`) has the poller look at the levels every tick.
    fn want_level(&self, dir: Direction, level: usize) {
        let (slot, want, want_level) = match dir {
            Direction::Read => (0, WANT_READ, WANT_READ_LEVEL),
            Direction::Write => (1, WANT_WRITE, WANT_WRITE_LEVEL),
            Direction::Drain => return,
        };
        let r = self.host.readiness();
        let ready = if dir == Direction::Read {
            r.readable
        } else {
            r.writable
        };
        if !ready || level <= 1 && dir == Direction::Read {
            // Nothing yet (or any byte will do): readiness says when.
            self.want(want);
            return;
        }
        self.levels[slot].store(level, Ordering::Release);
        self.want(want_level);
    }

    fn take_error(&self) -> i32 {
        match self.host.take_error() {
            Ok(Some(e)) => host(&e).0,
            _ => 0,
        }
    }

    fn nread(&self) -> usize {
        self.host.pending_read()
    }

    fn nwrite(&self) -> usize {
        self.host.pending_write()
    }

    fn drained(&self) -> bool {
        self.host.pending_write() == 0
    }

    fn is_listening(&self) -> bool {
        self.state().listening
    }

    fn accept_ready(&self) -> usize {
        usize::from(self.state().listening && self.host.readiness().readable)
    }

    fn cant_send(&self) -> bool {
        self.state().shut_write
    }
}
