//! How blocked calls of a remote client end, measured against NetBSD's
//! rump kernel with a C client of both servers (two threads of one
//! client process, and a kernel timer signal):
//!
//! - a call blocked on a descriptor that another thread of the process
//!   closes wakes at once (NetBSD's `fd_close` calls the file's
//!   `fo_restart`). NetBSD's rump kernel hands the woken call's ERESTART
//!   to its remote client as errno -3; a NetBSD kernel restarts the call,
//!   which then finds the descriptor gone: EBADF, what this kernel answers.
//!   The file is freed with its last reference: the other end sees it go.
//! - a signal the kernel posts to the process is raised in the client, and
//!   the blocked call goes on waiting: NetBSD's rump kernel sleeps ignore
//!   signals (its `cv_wait_sig` only ends for an exiting lwp), so a
//!   receive with `SO_RCVTIMEO` ends with EWOULDBLOCK after its time, with
//!   or without `SA_RESTART` on the host's handler (which the kernel of a
//!   remote client never sees).

mod common;

use netbsd_abi::layout::{sockaddr_in, timeval};
use netbsd_abi::{
    AF_INET, AF_LOCAL, INADDR_LOOPBACK, SIGALRM, SO_RCVTIMEO, SOCK_STREAM, SOL_SOCKET,
    SYS___kevent50, SYS___setitimer50, SYS___socket30, SYS_accept, SYS_bind, SYS_close,
    SYS_connect, SYS_dup, SYS_kqueue, SYS_listen, SYS_mkfifo, SYS_open, SYS_pipe2, SYS_read,
    SYS_recvfrom, SYS_setsockopt, SYS_socketpair, SYS_write,
};
use rump::Errno;
use rumpclient::{Client, Regions, SignalDelivery};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `ITIMER_REAL` (`sys/time.h`).
const ITIMER_REAL: u64 = 0;
/// How long the closing thread waits: long enough that the other sleeps.
const LATER: Duration = Duration::from_millis(300);
/// Far more than any wake-up takes, even on a loaded machine.
const AT_MOST: Duration = Duration::from_secs(5);

fn server() -> (Arc<rump::Kernel>, rump_server::SpServer, String) {
    common::in_process_server(
        "sockwait",
        &[
            &rumpvfs::COMPONENT,
            &rumpnet::COMPONENT,
            &rumpnet_netinet::COMPONENT,
        ],
    )
}

fn client(url: &str) -> Arc<Client> {
    let c = Client::connect(url).unwrap();
    // SIGPIPE and SIGALRM raised would end the test program.
    c.set_signal_delivery(SignalDelivery::Record);
    Arc::new(c)
}

/// Two descriptors a call filled in (`pipe2`, `socketpair`).
fn two_fds(c: &Client, nr: usize, args: &[u64]) -> (u64, u64) {
    let m = Regions::new();
    let fds = m.add_zeroed(8);
    let mut a = args.to_vec();
    a.push(fds);
    if nr == SYS_pipe2 {
        a.reverse();
    }
    c.syscall(nr, &a, &m).unwrap();
    let b = m.get(fds);
    let fd = |i: usize| u64::from(u32::from_le_bytes(b[i..i + 4].try_into().unwrap()));
    (fd(0), fd(4))
}

/// A local stream socket pair.
fn socketpair(c: &Client) -> (u64, u64) {
    two_fds(c, SYS_socketpair, &[AF_LOCAL as u64, SOCK_STREAM as u64, 0])
}

/// Make `call` in a thread of its own, close `fd` from this one while it
/// waits, and return what the call answered.
fn closed_under(
    c: &Arc<Client>,
    fd: u64,
    call: fn(&Client, &Regions) -> Result<i64, Errno>,
) -> Result<i64, Errno> {
    let c2 = Arc::clone(c);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let m = Regions::new();
        let _ = tx.send(call(&c2, &m));
    });
    std::thread::sleep(LATER);
    c.syscall(SYS_close, &[fd], &Regions::new()).unwrap();
    rx.recv_timeout(AT_MOST)
        .expect("the blocked call did not end when its descriptor was closed")
}

/// A 16-byte buffer read or received into.
fn buf(m: &Regions) -> u64 {
    m.add_zeroed(16)
}

#[test]
fn a_receive_ends_with_ebadf_when_another_thread_closes_the_socket() {
    let (_k, _s, url) = server();
    let c = client(&url);
    for recv in [
        (|c: &Client, m: &Regions| {
            c.syscall(SYS_recvfrom, &[3, buf(m), 16, 0, 0, 0], m)
                .map(|r| r[0])
        }) as fn(&Client, &Regions) -> Result<i64, Errno>,
        |c, m| c.syscall(SYS_read, &[3, buf(m), 16], m).map(|r| r[0]),
    ] {
        let (a, b) = socketpair(&c);
        // The closures name descriptor 3: the first a new process gets.
        assert_eq!(a, 3);
        assert_eq!(closed_under(&c, a, recv), Err(Errno::EBADF));
        // The socket went with its last reference: its peer sees the end.
        let m = Regions::new();
        let got = c.syscall(SYS_read, &[b, buf(&m), 16], &m).unwrap();
        assert_eq!(got[0], 0);
        c.syscall(SYS_close, &[b], &m).unwrap();
    }
}

#[test]
fn a_call_waits_on_when_another_descriptor_of_its_file_is_closed() {
    let (_k, _s, url) = server();
    let c = client(&url);
    let (a, b) = socketpair(&c);
    let m = Regions::new();
    let dup = c.syscall(SYS_dup, &[a], &m).unwrap()[0] as u64;
    let c2 = Arc::clone(&c);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let m = Regions::new();
        let at = buf(&m);
        let r = c2.syscall(SYS_recvfrom, &[a, at, 16, 0, 0, 0], &m);
        let _ = tx.send(r.map(|r| m.get(at)[..r[0] as usize].to_vec()));
    });
    std::thread::sleep(LATER);
    // The call restarts, finds its own descriptor still there, and waits
    // again: for the data that comes next.
    c.syscall(SYS_close, &[dup], &m).unwrap();
    assert!(
        rx.recv_timeout(LATER).is_err(),
        "the call ended at the close"
    );
    let data = m.add(b"after");
    c.syscall(SYS_write, &[b, data, 5], &m).unwrap();
    let got = rx.recv_timeout(AT_MOST).expect("the call did not end");
    assert_eq!(got.unwrap(), b"after");
}

#[test]
fn a_pipe_read_ends_with_ebadf_when_another_thread_closes_it() {
    let (_k, _s, url) = server();
    let c = client(&url);
    let (r, w) = two_fds(&c, SYS_pipe2, &[0]);
    assert_eq!(r, 3);
    let read = |c: &Client, m: &Regions| c.syscall(SYS_read, &[3, buf(m), 16], m).map(|r| r[0]);
    assert_eq!(closed_under(&c, r, read), Err(Errno::EBADF));
    // The read end is gone: a write has no reader.
    let m = Regions::new();
    let data = m.add(b"x");
    assert_eq!(c.syscall(SYS_write, &[w, data, 1], &m), Err(Errno::EPIPE));
}

#[test]
fn a_fifo_read_ends_with_ebadf_when_another_thread_closes_it() {
    let (_k, _s, url) = server();
    let c = client(&url);
    let m = Regions::new();
    let path = m.add(&common::cstr("/fifo"));
    c.syscall(SYS_mkfifo, &[path, 0o600], &m).unwrap();
    // Open for both, so that neither the open nor the read sees the end.
    let fd = c
        .syscall(SYS_open, &[path, netbsd_abi::O_RDWR as u64], &m)
        .unwrap()[0];
    assert_eq!(fd, 3);
    let read = |c: &Client, m: &Regions| c.syscall(SYS_read, &[3, buf(m), 16], m).map(|r| r[0]);
    assert_eq!(closed_under(&c, 3, read), Err(Errno::EBADF));
}

#[test]
fn a_kevent_ends_with_ebadf_when_another_thread_closes_its_queue() {
    let (_k, _s, url) = server();
    let c = client(&url);
    let q = c.syscall(SYS_kqueue, &[], &Regions::new()).unwrap()[0] as u64;
    assert_eq!(q, 3);
    let wait = |c: &Client, m: &Regions| {
        let out = m.add_zeroed(netbsd_abi::layout::kevent::SIZE);
        c.syscall(SYS___kevent50, &[3, 0, 0, out, 1, 0], m)
            .map(|r| r[0])
    };
    assert_eq!(closed_under(&c, q, wait), Err(Errno::EBADF));
}

/// `struct sockaddr_in` for 127.0.0.1 and `port`.
fn loopback(port: u16) -> Vec<u8> {
    let mut sa = vec![0u8; sockaddr_in::SIZE];
    sockaddr_in::sin_len.put(&mut sa, sockaddr_in::SIZE as u64);
    sockaddr_in::sin_family.put(&mut sa, AF_INET as u64);
    sa[sockaddr_in::sin_port.range()].copy_from_slice(&port.to_be_bytes());
    sa[sockaddr_in::sin_addr.range()].copy_from_slice(&INADDR_LOOPBACK.to_be_bytes());
    sa
}

fn tcp_socket(c: &Client) -> u64 {
    let m = Regions::new();
    c.syscall(SYS___socket30, &[AF_INET as u64, SOCK_STREAM as u64, 0], &m)
        .unwrap()[0] as u64
}

#[test]
fn an_accept_ends_with_ebadf_when_another_thread_closes_the_listener() {
    const PORT: u16 = 7777;
    let (_k, _s, url) = server();
    let c = client(&url);
    let l = tcp_socket(&c);
    assert_eq!(l, 3);
    let m = Regions::new();
    let sa = m.add(&loopback(PORT));
    c.syscall(SYS_bind, &[l, sa, sockaddr_in::SIZE as u64], &m)
        .unwrap();
    c.syscall(SYS_listen, &[l, 1], &m).unwrap();
    let accept = |c: &Client, m: &Regions| c.syscall(SYS_accept, &[3, 0, 0], m).map(|r| r[0]);
    assert_eq!(closed_under(&c, l, accept), Err(Errno::EBADF));
    // The listener is gone: nobody takes a connection on its port.
    let s = tcp_socket(&c);
    let r = c.syscall(SYS_connect, &[s, sa, sockaddr_in::SIZE as u64], &m);
    assert_eq!(r, Err(Errno::ECONNREFUSED));
}

#[test]
fn a_timer_signal_is_raised_in_the_client_and_the_receive_waits_on_until_its_timeout() {
    let (_k, _s, url) = server();
    let c = client(&url);
    let (a, _b) = socketpair(&c);
    let m = Regions::new();
    let mut tv = [0u8; timeval::SIZE];
    timeval::tv_sec.put(&mut tv, 1);
    let tvp = m.add(&tv);
    c.syscall(
        SYS_setsockopt,
        &[
            a,
            SOL_SOCKET as u64,
            SO_RCVTIMEO as u64,
            tvp,
            timeval::SIZE as u64,
        ],
        &m,
    )
    .unwrap();
    // struct itimerval: no interval, then the value, 200 ms.
    let mut it = [0u8; 2 * timeval::SIZE];
    timeval::tv_usec.put(&mut it[timeval::SIZE..], 200_000);
    let itp = m.add(&it);
    c.syscall(SYS___setitimer50, &[ITIMER_REAL, itp, 0], &m)
        .unwrap();
    let t = Instant::now();
    let r = c.syscall(SYS_recvfrom, &[a, buf(&m), 16, 0, 0, 0], &m);
    let took = t.elapsed();
    assert_eq!(r, Err(Errno::EAGAIN));
    assert!(took >= Duration::from_millis(900), "ended after {took:?}");
    assert!(took < AT_MOST, "ended after {took:?}");
    assert_eq!(c.take_signals(), [SIGALRM as u32]);
}
