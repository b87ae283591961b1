//! Socket semantics in one kernel, through the socket layer's blocking
//! rules: TCP and UDP over the loopback interface.

use rump::{BootConfig, Kernel, KernelBuilder};
use rumpnet::Net;
use rumpnet::socket::{ProtoSocket, SOCK_DGRAM, SOCK_STREAM, Socket};
use rumpnet_netinet::addr::sockaddr;
use std::sync::Arc;
use std::time::Duration;

const LO: u32 = 0x7f00_0001;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig {
            ncpu: 2,
            ..BootConfig::default()
        })
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot")
}

fn socket(k: &Kernel, typ: i32) -> Arc<Socket> {
    let d = Net::of(k).domain(2).expect("AF_INET");
    let p: Arc<dyn ProtoSocket> = k.with_ctx(|ctx| d.socket(ctx, typ, 0)).expect("socket");
    Arc::new(Socket::new(p, false, false))
}

fn listener(k: &Kernel, port: u16, backlog: i32) -> Arc<Socket> {
    let s = socket(k, SOCK_STREAM);
    k.with_ctx(|ctx| {
        s.proto().bind(ctx, &sockaddr(LO, port))?;
        s.proto().listen(backlog)
    })
    .expect("listen");
    s
}

fn connect(k: &Kernel, port: u16) -> Result<Arc<Socket>, rump::Errno> {
    let s = socket(k, SOCK_STREAM);
    k.with_ctx(|ctx| s.connect(ctx, &sockaddr(LO, port)))?;
    Ok(s)
}

#[test]
fn tcp_over_loopback_moves_data_both_ways_and_closes() {
    let k = boot();
    let l = listener(&k, 5000, 5);
    let k2 = Arc::clone(&k);
    let client = std::thread::spawn(move || {
        let c = connect(&k2, 5000).expect("connect");
        let data: Vec<u8> = (0..20_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut sent = 0;
        while sent < data.len() {
            sent += k2
                .with_ctx(|ctx| c.send(ctx, &data[sent..], None, 0))
                .expect("send");
        }
        let mut buf = [0u8; 16];
        let n = k2.with_ctx(|ctx| c.recv(ctx, &mut buf, 0)).expect("reply");
        assert_eq!(&buf[..n.len], b"thanks");
        c.proto().close();
    });
    let s = k.with_ctx(|ctx| l.accept(ctx)).expect("accept");
    let s = Socket::new(s, false, false);
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65536];
    while got.len() < 20_000_000 {
        let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("recv");
        assert!(r.len > 0, "early end of stream at {}", got.len());
        got.extend_from_slice(&buf[..r.len]);
    }
    assert!(got.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    k.with_ctx(|ctx| s.send(ctx, b"thanks", None, 0))
        .expect("send reply");
    client.join().expect("client");
    // The client closed: end of stream.
    let r = k.with_ctx(|ctx| s.recv(ctx, &mut buf, 0)).expect("eof");
    assert_eq!(r.len, 0);
}

#[test]
fn connection_refused_and_udp_port_unreachable() {
    let k = boot();
    assert_eq!(connect(&k, 5999).err(), Some(rump::Errno::ECONNREFUSED));
    let u = socket(&k, SOCK_DGRAM);
    k.with_ctx(|ctx| u.proto().connect(ctx, &sockaddr(LO, 5998)))
        .expect("connect udp");
    k.with_ctx(|ctx| u.send(ctx, b"anyone?", None, 0))
        .expect("send");
    std::thread::sleep(Duration::from_millis(50));
    let mut buf = [0u8; 16];
    let r = k.with_ctx(|ctx| u.recv(ctx, &mut buf, 0));
    assert_eq!(r.err(), Some(rump::Errno::ECONNREFUSED));
}
