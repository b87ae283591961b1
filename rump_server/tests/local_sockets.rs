//! Local-domain sockets (`AF_LOCAL`) in one kernel: pairs, and names in
//! the file system (socket nodes made by `bind`, found by `connect`).

use rump::{Errno, Kernel, KernelBuilder};
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_STREAM, Socket};
use rumpvfs::VfsCalls;
use std::sync::Arc;

const AF_LOCAL: u8 = netbsd_abi::AF_LOCAL as u8;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpvfs::COMPONENT)
        .component(&rumpnet::COMPONENT)
        .boot()
        .expect("boot")
}

fn socket(k: &Kernel, typ: i32) -> Socket {
    let d = Net::of(k).domain(AF_LOCAL).expect("AF_LOCAL");
    let p: Arc<dyn ProtoSocket> = k.with_ctx(|ctx| d.socket(ctx, typ, 0)).expect("socket");
    Socket::new(p, false, false)
}

fn sun(path: &str) -> Vec<u8> {
    let mut sa = vec![0u8, AF_LOCAL];
    sa.extend_from_slice(path.as_bytes());
    sa[0] = sa.len() as u8;
    sa
}

fn send(k: &Kernel, s: &Socket, b: &[u8]) -> Result<usize, Errno> {
    k.with_ctx(|ctx| s.send(ctx, b, None, rumpnet::socket::MSG_NOSIGNAL))
}

fn recv(k: &Kernel, s: &Socket, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("recv");
    buf.truncate(r.len);
    buf
}

#[test]
fn a_stream_pair_carries_bytes_and_ends() {
    let k = boot();
    let (a, b) = k
        .with_ctx(|ctx| rumpnet::local::pair(ctx, 1, SOCK_STREAM, 0))
        .expect("socketpair");
    let (a, b) = (Socket::new(a, false, false), Socket::new(b, false, false));
    assert_eq!(send(&k, &a, b"hello"), Ok(5));
    assert_eq!(recv(&k, &b, 64), b"hello");
    // More than the buffers hold goes through as the reader reads.
    let k2 = Arc::clone(&k);
    let writer = std::thread::spawn(move || {
        let data = vec![7u8; 200_000];
        let mut sent = 0;
        while sent < data.len() {
            sent += send(&k2, &b, &data[sent..]).expect("send");
        }
        b.proto().shutdown(1).expect("shutdown");
        b
    });
    let mut got = 0;
    loop {
        let r = recv(&k, &a, 8192);
        if r.is_empty() {
            break;
        }
        got += r.len();
    }
    assert_eq!(got, 200_000, "everything, then end of stream");
    let b = writer.join().unwrap();
    // The reader goes away: the writer gets EPIPE.
    a.proto().close();
    drop(a);
    assert_eq!(send(&k, &b, b"x"), Err(Errno::EPIPE));
    // Only AF_LOCAL pairs.
    assert!(
        k.with_ctx(|ctx| rumpnet::local::pair(ctx, 2, SOCK_STREAM, 0))
            .is_err()
    );
}

#[test]
fn a_datagram_pair_keeps_boundaries() {
    let k = boot();
    let (a, b) = k
        .with_ctx(|ctx| rumpnet::local::pair(ctx, 1, SOCK_DGRAM, 0))
        .expect("socketpair");
    let (a, b) = (Socket::new(a, false, false), Socket::new(b, false, false));
    send(&k, &a, b"one").unwrap();
    send(&k, &a, b"two!").unwrap();
    let mut small = [0u8; 2];
    let r = k.with_ctx(|ctx| b.recv(ctx, &mut small, 0)).unwrap();
    assert_eq!((r.len, r.full, r.flags), (2, 3, 0x10), "MSG_TRUNC");
    assert_eq!(recv(&k, &b, 64), b"two!");
    // Larger than the send buffer (2048): EMSGSIZE.
    assert_eq!(send(&k, &a, &[0u8; 3000]), Err(Errno::EMSGSIZE));
}

#[test]
fn names_in_the_file_system_connect_streams_and_datagrams() {
    let k = boot();
    let l = socket(&k, SOCK_STREAM);
    k.with_ctx(|ctx| l.proto().bind(ctx, &sun("/srv")))
        .expect("bind");
    let st = k.sys_stat("/srv").expect("the name is a node");
    assert_eq!(
        st.mode & netbsd_abi::S_IFMT as u32,
        netbsd_abi::S_IFSOCK as u32,
        "S_IFSOCK"
    );
    assert_eq!(st.mode & 0o777, 0o755, "0777 less the umask (022)");
    l.proto().listen(5).expect("listen");
    // The name is taken; a second bind there fails.
    let other = socket(&k, SOCK_STREAM);
    assert_eq!(
        k.with_ctx(|ctx| other.proto().bind(ctx, &sun("/srv"))),
        Err(Errno::EADDRINUSE)
    );

    let c = socket(&k, SOCK_STREAM);
    k.with_ctx(|ctx| c.connect(ctx, &sun("/srv")))
        .expect("connect");
    let s = Socket::new(
        k.with_ctx(|ctx| l.accept(ctx)).expect("accept"),
        false,
        false,
    );
    assert_eq!(send(&k, &c, b"ping"), Ok(4));
    assert_eq!(recv(&k, &s, 16), b"ping");
    assert_eq!(send(&k, &s, b"pong"), Ok(4));
    assert_eq!(recv(&k, &c, 16), b"pong");
    assert_eq!(c.proto().peername().unwrap(), sun("/srv"));
    assert_eq!(s.proto().sockname().unwrap(), sun("/srv"));
    // NetBSD's sun_noname: length and family alone.
    let unnamed = c.proto().sockname().unwrap();
    assert_eq!((unnamed.len(), unnamed[0], unnamed[1]), (2, 2, AF_LOCAL));
    assert_eq!(s.proto().peername().unwrap(), unnamed);

    // What is not a listening socket refuses.
    let c2 = socket(&k, SOCK_STREAM);
    let connect = |path: &str| k.with_ctx(|ctx| c2.connect(ctx, &sun(path)));
    assert_eq!(connect("/nowhere"), Err(Errno::ENOENT));
    let fd = k
        .sys_open("/plain", netbsd_abi::O_CREAT | netbsd_abi::O_RDWR, 0o644)
        .unwrap();
    k.sys_close(fd).unwrap();
    assert_eq!(connect("/plain"), Err(Errno::ENOTSOCK));
    l.proto().close();
    drop(l);
    assert_eq!(connect("/srv"), Err(Errno::ECONNREFUSED));

    // Datagrams by name, from an unnamed sender.
    let d = socket(&k, SOCK_DGRAM);
    k.with_ctx(|ctx| d.proto().bind(ctx, &sun("/dg"))).unwrap();
    let tx = socket(&k, SOCK_DGRAM);
    k.with_ctx(|ctx| tx.send(ctx, b"dgram", Some(&sun("/dg")), 0))
        .unwrap();
    let mut buf = [0u8; 16];
    let r = k.with_ctx(|ctx| d.recv(ctx, &mut buf, 0)).unwrap();
    assert_eq!(&buf[..r.len], b"dgram");
    assert_eq!(r.from.unwrap(), [2, AF_LOCAL], "an unnamed sender");
    // A stream cannot connect to a datagram name.
    assert_eq!(connect("/dg"), Err(Errno::EPROTOTYPE));
}

#[test]
fn empty_sends_and_full_buffers() {
    let k = boot();
    let (a, b) = k
        .with_ctx(|ctx| rumpnet::local::pair(ctx, 1, SOCK_STREAM, 0))
        .expect("socketpair");
    let (a, b) = (Socket::new(a, false, false), Socket::new(b, false, false));
    // An empty write is done at once.
    assert_eq!(send(&k, &a, b""), Ok(0));
    // A full peer: not writable, and a non-blocking send says so.
    const POLLOUT: i16 = netbsd_abi::POLLOUT as i16;
    assert_eq!(a.proto().poll(POLLOUT), POLLOUT);
    while k
        .with_ctx(|ctx| a.send(ctx, &[1u8; 1024], None, netbsd_abi::MSG_DONTWAIT))
        .is_ok()
    {}
    assert_eq!(a.proto().poll(POLLOUT), 0, "the peer's buffer is full");
    assert_eq!(recv(&k, &b, 4096).len(), 4096);
    assert_eq!(a.proto().poll(POLLOUT), POLLOUT, "room again");

    // Empty datagrams take room too: they cannot pile up without end.
    let (x, _y) = k
        .with_ctx(|ctx| rumpnet::local::pair(ctx, 1, SOCK_DGRAM, 0))
        .expect("socketpair");
    let x = Socket::new(x, true, false);
    let mut sent = 0;
    while send(&k, &x, b"").is_ok() {
        sent += 1;
        assert!(sent < 1000, "empty datagrams are never refused");
    }
    assert!(sent > 0);
    assert_eq!(send(&k, &x, b""), Err(Errno::ENOBUFS));
}
