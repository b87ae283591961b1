//! kevent on sockin sockets fires as on netinet's: `EVFILT_READ` when data
//! comes (and with `NOTE_LOWAT` only once the mark is reached, however
//! the data comes in pieces), on a listener when a connection waits, and
//! `EVFILT_WRITE` when there is room. The host's `poll` says only whether
//! a socket is ready, not how much it holds, so the poller thread has to
//! watch the levels kevent waits for; a host TCP peer sends the data.

use rump::file::File;
use rump::kqueue::Kevent;
use rump::kqueue::consts::{EV_ADD, EVFILT_READ, EVFILT_WRITE, NOTE_LOWAT};
use rump::{Kernel, KernelBuilder};
use rumpnet::net::Net;
use rumpnet::socket::{SOCK_STREAM, Socket};
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Long enough for a filter that should not fire to have fired.
const QUIET: Duration = Duration::from_millis(300);
/// Far more than any wake-up takes, even on a loaded machine.
const AT_MOST: Duration = Duration::from_secs(5);

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_sockin::COMPONENT)
        .boot()
        .expect("boot")
}

/// A sockin stream socket, not yet installed.
fn socket(k: &Kernel) -> Arc<dyn rumpnet::socket::ProtoSocket> {
    let domain = Net::of(k)
        .domain(rumpnet_sockin::sockaddr::AF_INET)
        .expect("sockin's AF_INET");
    k.with_ctx(|ctx| domain.socket(ctx, SOCK_STREAM, 0))
        .unwrap()
}

/// Install `proto` as a descriptor of the calling process.
fn install(k: &Kernel, proto: Arc<dyn rumpnet::socket::ProtoSocket>) -> i32 {
    let file = File::new(
        Box::new(Socket::new(proto, false, true)),
        netbsd_abi::O_RDWR as u32,
    );
    k.fd_install(file).unwrap()
}

/// A kernel stream descriptor connected to a host listener, and the host's end.
fn stream(k: &Kernel) -> (i32, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = rumpnet_sockin::sockaddr::emit(&listener.local_addr().unwrap());
    let s = socket(k);
    let sock = Socket::new(Arc::clone(&s), false, true);
    k.with_ctx(|ctx| sock.connect(ctx, &addr)).unwrap();
    let (host, _) = listener.accept().unwrap();
    (install(k, s), host)
}

fn watch(k: &Kernel, fd: i32, filter: u32, fflags: u32, data: i64) -> i32 {
    let q = k.sys_kqueue1(0).unwrap();
    let change = Kevent {
        ident: fd as u64,
        filter,
        flags: EV_ADD,
        fflags,
        data,
        udata: 0,
    };
    assert_eq!(
        k.sys_kevent(q, &[change], 0, Some(Duration::ZERO)),
        Ok(vec![])
    );
    q
}

/// The events of `q` within `wait`, and how long that took.
fn events(k: &Kernel, q: i32, wait: Duration) -> (Vec<Kevent>, Duration) {
    let t = Instant::now();
    let e = k.sys_kevent(q, &[], 4, Some(wait)).unwrap();
    (e, t.elapsed())
}

#[test]
fn a_read_filter_fires_when_the_host_peer_sends() {
    let k = boot();
    let (fd, mut host) = stream(&k);
    let q = watch(&k, fd, EVFILT_READ, 0, 0);
    assert_eq!(events(&k, q, QUIET).0, vec![]);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(QUIET);
        host.write_all(b"abc").unwrap();
        host
    });
    let (e, took) = events(&k, q, AT_MOST);
    assert_eq!(e.len(), 1, "{took:?}");
    assert_eq!((e[0].filter, e[0].data), (EVFILT_READ, 3));
    drop(sender.join().unwrap());
}

#[test]
fn a_read_filter_with_note_lowat_fires_once_the_mark_is_reached() {
    let k = boot();
    let (fd, mut host) = stream(&k);
    let q = watch(&k, fd, EVFILT_READ, NOTE_LOWAT, 10);
    host.write_all(b"12345").unwrap();
    // Five bytes are there, short of the mark.
    assert_eq!(events(&k, q, QUIET).0, vec![]);
    let sender = std::thread::spawn(move || {
        std::thread::sleep(QUIET);
        host.write_all(b"67890").unwrap();
        host
    });
    let (e, took) = events(&k, q, AT_MOST);
    assert_eq!(e.len(), 1, "{took:?}");
    assert_eq!((e[0].filter, e[0].data), (EVFILT_READ, 10));
    assert!(took < AT_MOST, "{took:?}");
    drop(sender.join().unwrap());
}

#[test]
fn a_listeners_read_filter_fires_when_a_host_connection_waits() {
    let k = boot();
    let l = socket(&k);
    let any = rumpnet_sockin::sockaddr::emit(&"127.0.0.1:0".parse().unwrap());
    k.with_ctx(|ctx| l.bind(ctx, &any)).unwrap();
    l.listen(5).unwrap();
    let name = l.sockname().unwrap();
    let at = rumpnet_sockin::sockaddr::parse(&name, rumpnet_sockin::sockaddr::AF_INET).unwrap();
    let fd = install(&k, l);
    let q = watch(&k, fd, EVFILT_READ, 0, 0);
    assert_eq!(events(&k, q, QUIET).0, vec![]);
    let client = std::thread::spawn(move || {
        std::thread::sleep(QUIET);
        TcpStream::connect(at).unwrap()
    });
    let (e, took) = events(&k, q, AT_MOST);
    assert_eq!(e.len(), 1, "{took:?}");
    assert_eq!((e[0].filter, e[0].data), (EVFILT_READ, 1));
    drop(client.join().unwrap());
}

#[test]
fn a_write_filter_fires_with_the_room_there_is_and_with_note_lowat_up_to_it() {
    let k = boot();
    let (fd, _host) = stream(&k);
    let q = watch(&k, fd, EVFILT_WRITE, 0, 0);
    let (e, _) = events(&k, q, AT_MOST);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].filter, EVFILT_WRITE);
    let room = e[0].data;
    assert!(room > 0);
    let q = watch(&k, fd, EVFILT_WRITE, NOTE_LOWAT, room);
    assert_eq!(events(&k, q, AT_MOST).0.len(), 1);
    let q = watch(&k, fd, EVFILT_WRITE, NOTE_LOWAT, room + 1);
    assert_eq!(events(&k, q, QUIET).0, vec![]);
}
