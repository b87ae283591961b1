//! Blocking calls on sockin sockets wait on the host socket itself: they
//! end when data arrives, when `SO_RCVTIMEO` passes, when another thread
//! shuts the socket down, and they leave the virtual CPU to other threads
//! meanwhile (the kernel here has only one).

use rump::{Errno, Kernel, KernelBuilder};
use rumpnet::net::Net;
use rumpnet::socket::{SHUT_RD, SOCK_DGRAM, SOCK_STREAM, Socket};
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the other side waits before it acts: long enough that the
/// receiver is asleep by then.
const LATER: Duration = Duration::from_millis(300);
/// Less than the receiver surely waited when the other side acts
/// [`LATER`] after starting it.
const AT_LEAST: Duration = Duration::from_millis(150);
/// Far more than any wake-up takes, even on a loaded machine.
const AT_MOST: Duration = Duration::from_secs(5);

fn boot() -> Arc<Kernel> {
    let config = rump::BootConfig {
        ncpu: 1,
        ..rump::BootConfig::default()
    };
    KernelBuilder::new()
        .config(config)
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_sockin::COMPONENT)
        .boot()
        .expect("boot")
}

/// A blocking kernel socket of type `typ` in the sockin domain.
fn socket(k: &Kernel, typ: i32) -> Arc<Socket> {
    let domain = Net::of(k)
        .domain(rumpnet_sockin::sockaddr::AF_INET)
        .expect("sockin's AF_INET");
    let proto = k.with_ctx(|ctx| domain.socket(ctx, typ, 0)).unwrap();
    Arc::new(Socket::new(proto, false, true))
}

/// A kernel stream connected to a host listener, and the host's end.
fn stream(k: &Kernel) -> (Arc<Socket>, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = rumpnet_sockin::sockaddr::emit(&listener.local_addr().unwrap());
    let s = socket(k, SOCK_STREAM);
    k.with_ctx(|ctx| s.connect(ctx, &addr)).unwrap();
    let (host, _) = listener.accept().unwrap();
    (s, host)
}

/// Receive on `s` in a thread of its own: what it got, and how long it
/// waited.
fn recv_in_thread(
    k: &Arc<Kernel>,
    s: &Arc<Socket>,
) -> std::thread::JoinHandle<(Result<Vec<u8>, Errno>, Duration)> {
    let (k, s) = (Arc::clone(k), Arc::clone(s));
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut buf = [0u8; 64];
        let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0));
        (r.map(|r| buf[..r.len].to_vec()), start.elapsed())
    })
}

#[test]
fn a_blocked_stream_receive_wakes_for_data_and_leaves_the_cpu() {
    let k = boot();
    let (s, mut host) = stream(&k);
    let waiter = recv_in_thread(&k, &s);
    std::thread::sleep(LATER);
    // The kernel's only CPU is free while the receiver waits.
    let (tx, rx) = std::sync::mpsc::channel();
    let k2 = Arc::clone(&k);
    std::thread::spawn(move || tx.send(k2.with_ctx(|_| Ok(())).is_ok()));
    assert_eq!(rx.recv_timeout(AT_MOST), Ok(true));
    host.write_all(b"woken").unwrap();
    let (got, waited) = waiter.join().unwrap();
    assert_eq!(got.unwrap(), b"woken");
    assert!(waited >= AT_LEAST && waited < LATER + AT_MOST, "{waited:?}");
}

#[test]
fn a_blocked_receive_ends_when_its_timeout_passes() {
    let k = boot();
    let (s, _host) = stream(&k);
    rump::sync::lock(&s.proto().shared().opts).rcvtimeo = Some(LATER);
    let (got, waited) = recv_in_thread(&k, &s).join().unwrap();
    assert_eq!(got, Err(Errno::EAGAIN));
    assert!(waited >= LATER && waited < LATER + AT_MOST, "{waited:?}");
    // A datagram socket with nothing sent to it times out alike.
    let d = socket(&k, SOCK_DGRAM);
    let any = rumpnet_sockin::sockaddr::emit(&"127.0.0.1:0".parse().unwrap());
    k.with_ctx(|ctx| d.proto().bind(ctx, &any)).unwrap();
    rump::sync::lock(&d.proto().shared().opts).rcvtimeo = Some(LATER);
    let (got, waited) = recv_in_thread(&k, &d).join().unwrap();
    assert_eq!(got, Err(Errno::EAGAIN));
    assert!(waited >= LATER && waited < LATER + AT_MOST, "{waited:?}");
}

#[test]
fn a_blocked_datagram_receive_wakes_for_a_datagram() {
    let k = boot();
    let d = socket(&k, SOCK_DGRAM);
    let any = rumpnet_sockin::sockaddr::emit(&"127.0.0.1:0".parse().unwrap());
    k.with_ctx(|ctx| d.proto().bind(ctx, &any)).unwrap();
    let name = k.with_ctx(|_| d.proto().sockname()).unwrap();
    let port = u16::from_be_bytes([name[2], name[3]]);
    let waiter = recv_in_thread(&k, &d);
    std::thread::sleep(LATER);
    let host = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to: SocketAddr = ([127, 0, 0, 1], port).into();
    host.send_to(b"one datagram", to).unwrap();
    let (got, waited) = waiter.join().unwrap();
    assert_eq!(got.unwrap(), b"one datagram");
    assert!(waited >= AT_LEAST && waited < LATER + AT_MOST, "{waited:?}");
}

#[test]
fn a_blocked_receive_ends_when_another_thread_shuts_the_socket() {
    let k = boot();
    let (s, _host) = stream(&k);
    let waiter = recv_in_thread(&k, &s);
    std::thread::sleep(LATER);
    k.with_ctx(|_| s.proto().shutdown(SHUT_RD)).unwrap();
    let (got, waited) = waiter.join().unwrap();
    // The end of the stream, as NetBSD's soreceive gives after
    // socantrcvmore.
    assert_eq!(got.unwrap(), b"");
    assert!(waited >= AT_LEAST && waited < LATER + AT_MOST, "{waited:?}");
}
