//! A server that answers wrongly, on the host's loopback (sockin): garbled
//! results and an oversized record are EBADRPC, a refused credential is
//! EAUTH, and a server that drops every connection unanswered fails a soft
//! mount with ETIMEDOUT after its tries; never a panic or a hang. A call
//! the server takes and never answers on a connection that stays up is
//! sent again, under its xid, on a new connection after NetBSD's patience
//! (nfs-ganesha drops a call it cannot serve for the moment). Over UDP,
//! garbled results are EBADRPC after one datagram, and replies to other
//! calls are passed over.

mod mounting;

use mounting::mount_nfs_args;
use rump::Errno;
use rumpvfs::VfsCalls;
use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What the fake server sends for one call (record marking included); an
/// empty answer closes the connection.
type Answer = fn(&[u8]) -> Vec<u8>;

/// What the fake server does with call `n` (counted from 0 over all
/// connections): `None` keeps the connection open and never answers it,
/// nor anything after it on that connection.
type Respond = dyn Fn(usize, &[u8]) -> Option<Vec<u8>> + Send + Sync;

/// A server on 127.0.0.1 answering every call with `answer`, for at most
/// 30 seconds; counts the connections it took.
struct FakeServer {
    port: u16,
    stop: Arc<AtomicBool>,
    connections: Arc<AtomicUsize>,
}

impl FakeServer {
    fn start(answer: Answer) -> FakeServer {
        FakeServer::responding(Arc::new(move |_, call: &[u8]| Some(answer(call))))
    }

    fn responding(respond: Arc<Respond>) -> FakeServer {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        let port = l.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(AtomicUsize::new(0));
        let (s, n) = (Arc::clone(&stop), Arc::clone(&connections));
        std::thread::spawn(move || {
            let t = Instant::now();
            let mut calls = 0;
            // Connections left unanswered, held open until the end.
            let mut silent = Vec::new();
            while !s.load(Ordering::SeqCst) && t.elapsed() < Duration::from_secs(30) {
                let Ok((mut c, _)) = l.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                n.fetch_add(1, Ordering::SeqCst);
                c.set_nonblocking(false).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                loop {
                    let mut hdr = [0u8; 4];
                    if c.read_exact(&mut hdr).is_err() {
                        break;
                    }
                    let len = (u32::from_be_bytes(hdr) & 0x7fff_ffff) as usize;
                    let mut call = vec![0u8; len];
                    if c.read_exact(&mut call).is_err() {
                        break;
                    }
                    calls += 1;
                    let Some(a) = respond(calls - 1, &call) else {
                        silent.push(c);
                        break;
                    };
                    if a.is_empty() || c.write_all(&a).is_err() {
                        break;
                    }
                }
            }
        });
        FakeServer {
            port,
            stop,
            connections,
        }
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A reply record to `call` with `body` after the reply header: accepted,
/// AUTH_NONE verifier.
fn reply(call: &[u8], accept: &[u32], body: &[u8]) -> Vec<u8> {
    let mut m = call[..4].to_vec();
    for w in [1u32, 0, 0, 0].iter().chain(accept) {
        m.extend_from_slice(&w.to_be_bytes());
    }
    m.extend_from_slice(body);
    let mut r = (0x8000_0000u32 | m.len() as u32).to_be_bytes().to_vec();
    r.extend_from_slice(&m);
    r
}

/// SUCCESS, then results cut short: NFS3_OK, no attributes, and two of
/// FSINFO's words.
fn garbled(call: &[u8]) -> Vec<u8> {
    reply(
        call,
        &[0],
        &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0x80, 0],
    )
}

/// A record mark announcing 2 GiB.
fn oversized(_call: &[u8]) -> Vec<u8> {
    vec![0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]
}

/// MSG_DENIED, AUTH_ERROR, AUTH_BADCRED.
fn denied(call: &[u8]) -> Vec<u8> {
    let mut m = call[..4].to_vec();
    for w in [1u32, 1, 1, 1] {
        m.extend_from_slice(&w.to_be_bytes());
    }
    let mut r = (0x8000_0000u32 | m.len() as u32).to_be_bytes().to_vec();
    r.extend_from_slice(&m);
    r
}

fn hang_up(_call: &[u8]) -> Vec<u8> {
    Vec::new()
}

#[test]
fn wrong_answers_are_errors_not_panics() {
    let k = mounting::boot();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let flags = netbsd_abi::NFSMNT_NFSV3
        | netbsd_abi::NFSMNT_SOFT
        | netbsd_abi::NFSMNT_TIMEO
        | netbsd_abi::NFSMNT_RETRANS;
    let tcp = netbsd_abi::SOCK_STREAM;
    for (answer, want) in [
        (garbled as Answer, Errno::EBADRPC),
        (oversized, Errno::EBADRPC),
        (denied, Errno::EAUTH),
        (hang_up, Errno::ETIMEDOUT),
    ] {
        let s = FakeServer::start(answer);
        let t = Instant::now();
        let got = mount_nfs_args(&k, "/mnt", &[1; 8], "fake:/", s.port, flags, tcp);
        assert_eq!(got, Err(want));
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
        let tries = s.connections.load(Ordering::SeqCst);
        // The soft mount's 10 tries, each on a connection of its own (the
        // first the one mount made).
        let expected = if want == Errno::ETIMEDOUT { 10 } else { 1 };
        assert_eq!(tries, expected, "connections for {want:?}");
    }
    assert_eq!(k.sys_stat("/mnt/x").err(), Some(Errno::ENOENT));
}

/// A UDP server on 127.0.0.1 answering each call's datagram with
/// `answer` (record mark stripped) after a reply to another xid; counts
/// the calls it saw.
fn udp_server(answer: Answer) -> (u16, Arc<AtomicUsize>) {
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let port = sock.local_addr().unwrap().port();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = Arc::clone(&calls);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok((n, from)) = sock.recv_from(&mut buf) {
            c.fetch_add(1, Ordering::SeqCst);
            let call = &buf[..n];
            let mut stray = call.to_vec();
            stray[3] ^= 0x55;
            let _ = sock.send_to(&garbled(&stray)[4..], from);
            let _ = sock.send_to(&answer(call)[4..], from);
        }
    });
    (port, calls)
}

#[test]
fn wrong_answers_over_udp_are_errors_not_panics() {
    let k = mounting::boot();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let flags = netbsd_abi::NFSMNT_NFSV3 | netbsd_abi::NFSMNT_SOFT;
    let udp = netbsd_abi::SOCK_DGRAM;
    for (answer, want) in [(garbled as Answer, Errno::EBADRPC), (denied, Errno::EAUTH)] {
        let (port, calls) = udp_server(answer);
        let got = mount_nfs_args(&k, "/mnt", &[1; 8], "fake:/", port, flags, udp);
        assert_eq!(got, Err(want));
        assert_eq!(calls.load(Ordering::SeqCst), 1, "datagrams for {want:?}");
    }
    assert_eq!(k.sys_stat("/mnt/x").err(), Some(Errno::ENOENT));
}

/// A hard mount over TCP whose server takes a call and never answers it,
/// on a connection that stays up (nfs-ganesha drops a call whose handle
/// it cannot open for the moment, for the client to send again): after
/// NetBSD's patience (with `timeo` 1 s and `retrans` 2, two timeouts of 1
/// and 2 s, seen at the five-second receive timeout) the client connects
/// again and sends the call again under its xid, rather than wait for
/// ever. The second connection's answer (a refused credential) ends the
/// mount.
#[test]
fn an_unanswered_call_goes_again_on_a_new_connection() {
    let k = mounting::boot();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let flags = netbsd_abi::NFSMNT_NFSV3 | netbsd_abi::NFSMNT_TIMEO | netbsd_abi::NFSMNT_RETRANS;
    let xids = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = Arc::clone(&xids);
    let s = FakeServer::responding(Arc::new(move |n, call: &[u8]| {
        seen.lock().unwrap().push(call[..4].to_vec());
        (n > 0).then(|| denied(call))
    }));
    let (port, t) = (s.port, Instant::now());
    let (done, result) = std::sync::mpsc::channel();
    let kk = Arc::clone(&k);
    std::thread::spawn(move || {
        let r = mounting::mount_nfs_timed(
            &kk,
            "/mnt",
            &[1; 8],
            "fake:/",
            port,
            flags,
            netbsd_abi::SOCK_STREAM,
            65536,
            (10, 2),
        );
        let _ = done.send(r);
    });
    let got = result
        .recv_timeout(Duration::from_secs(25))
        .expect("the mount waits for ever on a call the server dropped");
    assert_eq!(got, Err(Errno::EAUTH));
    let waited = t.elapsed();
    assert!(
        waited >= Duration::from_millis(4900) && waited < Duration::from_secs(20),
        "sent again after {waited:?}"
    );
    assert_eq!(s.connections.load(Ordering::SeqCst), 2);
    let xids = xids.lock().unwrap();
    assert_eq!(xids.len(), 2, "one call on each connection");
    assert_eq!(xids[0], xids[1], "the call goes again under its xid");
}
