//! What the unit tests of the socket layer and the local domain share: a
//! kernel with the NET faction on a manual clock, a fake file system for
//! socket names, and short forms of the socket calls.

use crate::local::{AF_LOCAL, pair};
use crate::socket::{ProtoSocket, Received, SOL_SOCKET, Socket};
use crate::{getsockopt, setsockopt};
use netbsd_abi::layout::{sockaddr_un, timeval};
use rump::clock::ManualClock;
use rump::socknames::{NodeId, SockNames};
use rump::syscall::Ctx;
use rump::{Errno, KResult, Kernel, KernelBuilder, sync::lock};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// `POLLIN`, `POLLOUT`, `POLLHUP`.
pub const POLLIN: i16 = netbsd_abi::POLLIN as i16;
/// Writable.
pub const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
/// Hung up.
pub const POLLHUP: i16 = netbsd_abi::POLLHUP as i16;

/// A file system's names for sockets: paths to node identities, with the
/// errors `unp_bind` and `unp_connect`'s look-up give.
#[derive(Default)]
pub struct FakeNames {
    nodes: Mutex<HashMap<Vec<u8>, NodeId>>,
}

impl SockNames for FakeNames {
    fn bind(&self, _ctx: &Ctx, path: &[u8]) -> KResult<NodeId> {
        let mut nodes = lock(&self.nodes);
        if nodes.contains_key(path) {
            return Err(Errno::EADDRINUSE);
        }
        let id = (1, nodes.len() as u64 + 2);
        nodes.insert(path.to_vec(), id);
        Ok(id)
    }

    fn lookup(&self, _ctx: &Ctx, path: &[u8]) -> KResult<NodeId> {
        lock(&self.nodes).get(path).copied().ok_or(Errno::ENOENT)
    }
}

/// A kernel with the NET faction, fake names and a clock that stands still.
pub fn boot() -> (Arc<Kernel>, Arc<ManualClock>) {
    let clock = ManualClock::new();
    let k = KernelBuilder::new()
        .time_source(clock.clone())
        .component(&crate::COMPONENT)
        .boot()
        .expect("boot");
    k.set_socknames(Arc::new(FakeNames::default()));
    (k, clock)
}

/// An open socket over `proto`; SIGPIPE is not wanted unless a test asks.
pub fn open(proto: Arc<dyn ProtoSocket>, nonblock: bool) -> Arc<Socket> {
    Arc::new(Socket::new(proto, nonblock, true))
}

/// A connected pair of `typ`.
pub fn pair_of(ctx: &Ctx, typ: i32, nonblock: bool) -> (Arc<Socket>, Arc<Socket>) {
    let (a, b) = pair(ctx, AF_LOCAL, typ, 0).expect("socketpair");
    (open(a, nonblock), open(b, nonblock))
}

/// A new unconnected local socket of `typ`.
pub fn socket(ctx: &Ctx, typ: i32, nonblock: bool) -> Arc<Socket> {
    let d = crate::Net::of(ctx.kernel())
        .local_domain()
        .expect("AF_LOCAL");
    open(
        crate::net::Domain::socket(&*d, ctx, typ, 0).unwrap(),
        nonblock,
    )
}

/// A `sockaddr_un` for `path` and its NUL, `sun_len` the length given.
pub fn sun(path: &str) -> Vec<u8> {
    let head = sockaddr_un::sun_path.offset;
    let mut sa = vec![0u8; head + path.len() + 1];
    sa[head..head + path.len()].copy_from_slice(path.as_bytes());
    let len = sa.len() as u64;
    sockaddr_un::sun_len.put(&mut sa, len);
    sockaddr_un::sun_family.put(&mut sa, AF_LOCAL as u64);
    sa
}

/// `sun_noname`: an unnamed socket's address, its length and family.
pub fn sun_noname() -> Vec<u8> {
    let mut sa = vec![0u8; sockaddr_un::sun_path.offset];
    let len = sa.len() as u64;
    sockaddr_un::sun_len.put(&mut sa, len);
    sockaddr_un::sun_family.put(&mut sa, AF_LOCAL as u64);
    sa
}

/// `setsockopt(SOL_SOCKET, name, &v)`.
pub fn set_int(s: &Socket, name: i32, v: i32) -> KResult<()> {
    setsockopt(s, SOL_SOCKET, name, &v.to_le_bytes())
}

/// `getsockopt(SOL_SOCKET, name)` of an int.
pub fn get_int(s: &Socket, name: i32) -> i32 {
    let v = getsockopt(s, SOL_SOCKET, name).unwrap();
    i32::from_le_bytes(v[..4].try_into().unwrap())
}

/// Set `SO_RCVTIMEO` or `SO_SNDTIMEO`.
pub fn set_timeout(s: &Socket, name: i32, d: Duration) {
    let mut v = vec![0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut v, d.as_secs());
    timeval::tv_usec.put(&mut v, u64::from(d.subsec_micros()));
    setsockopt(s, SOL_SOCKET, name, &v).unwrap();
}

/// `send(2)` without flags.
pub fn send(ctx: &Ctx, s: &Socket, data: &[u8]) -> KResult<usize> {
    s.send(ctx, data, None, 0)
}

/// `recv(2)` of up to `n` bytes without flags.
pub fn recv(ctx: &Ctx, s: &Socket, n: usize) -> KResult<Vec<u8>> {
    recv_flags(ctx, s, n, 0).map(|(d, _)| d)
}

/// `recv(2)` of up to `n` bytes with `flags`, and what it said.
pub fn recv_flags(ctx: &Ctx, s: &Socket, n: usize, flags: i32) -> KResult<(Vec<u8>, Received)> {
    let mut buf = vec![0u8; n];
    let r = s.recv(ctx, &mut buf, flags)?;
    buf.truncate(r.len);
    Ok((buf, r))
}

/// Wait (in host time) until one thread sleeps in the kernel without its
/// CPU: a blocked call has read the clock for its deadline. A call that
/// never blocks fails the test rather than hanging it.
pub fn until_blocked(k: &Kernel) {
    const PATIENCE: Duration = Duration::from_secs(10);
    let start = std::time::Instant::now();
    while !(k.threads_inside() == 1 && k.cpus().idle() == k.cpus().ncpu()) {
        assert!(start.elapsed() < PATIENCE, "no call blocked");
        std::thread::sleep(Duration::from_millis(1));
    }
}
