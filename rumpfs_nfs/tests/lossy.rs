//! A bad network between our NFS client and ganesha (see `ganesha/mod.rs`):
//! a proxy in the test that holds back and splits what passes and, now
//! and then, cuts the connection with calls and replies in flight, which
//! is what a TCP client sees of a link that loses packets (retransmission
//! delays, and a connection given up). The machine has no netem or
//! packet filter to drop packets on the namespace's loopback, so the
//! loss is made here. A 16 MiB copy through a hard mount completes and
//! compares equal, and the proxy proves it did cut connections.
//!
//! Over UDP the loss is real: a proxy drops one datagram in ten each way,
//! and the client's retransmissions (with backoff, the same xid) carry a
//! 16 MiB copy through a UDP mount whole.

mod ganesha;
mod mounting;

use mounting::{boot, mount_nfs_args, pattern, read_file, write_file};
use rumpvfs::VfsCalls;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream, UdpSocket};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// One chunk in this many that passes the proxy cuts its connection.
const CUT_ONE_IN: u64 = 40;
/// One chunk in this many is held back for up to [`MAX_DELAY_MS`].
const DELAY_ONE_IN: u64 = 8;
const MAX_DELAY_MS: u64 = 30;
/// The copy's size.
const COPY: usize = 16 << 20;

/// A lossy TCP proxy to the NFS daemon on the namespace's loopback.
struct LossyProxy {
    port: u16,
    cuts: Arc<AtomicUsize>,
}

/// A small seeded generator shared by the proxy's pumps (xorshift64*).
struct Dice(AtomicU64);

impl Dice {
    fn one_in(&self, n: u64) -> bool {
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.store(x, Ordering::Relaxed);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d).is_multiple_of(n)
    }
}

impl LossyProxy {
    fn start(to_port: u16) -> LossyProxy {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let cuts = Arc::new(AtomicUsize::new(0));
        let dice = Arc::new(Dice(AtomicU64::new(0x10_55e5)));
        let c = Arc::clone(&cuts);
        std::thread::spawn(move || {
            for client in l.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = TcpStream::connect(("127.0.0.1", to_port)) else {
                    continue;
                };
                for (from, to) in [
                    (client.try_clone().unwrap(), server.try_clone().unwrap()),
                    (server, client),
                ] {
                    let (c, dice) = (Arc::clone(&c), Arc::clone(&dice));
                    std::thread::spawn(move || pump(from, to, &dice, &c));
                }
            }
        });
        LossyProxy { port, cuts }
    }
}

/// Pass what `from` sends to `to` in pieces of at most 16 KiB, some held
/// back, until one end closes or the dice cut both.
fn pump(mut from: TcpStream, mut to: TcpStream, dice: &Dice, cuts: &AtomicUsize) {
    let mut buf = vec![0u8; 16 << 10];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if dice.one_in(CUT_ONE_IN) {
            // Part of the piece gets through, the rest is lost with the
            // connection.
            let _ = to.write_all(&buf[..n / 2]);
            cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
        if dice.one_in(DELAY_ONE_IN) {
            let ms = (n as u64 * 7919) % MAX_DELAY_MS;
            std::thread::sleep(Duration::from_millis(ms));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

fn inside(export: &Path) {
    let proxy = LossyProxy::start(2049);
    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let (v3, tcp) = (netbsd_abi::NFSMNT_NFSV3, netbsd_abi::SOCK_STREAM);
    mount_nfs_args(&k, "/mnt", &fh, "127.0.0.1:/export", proxy.port, v3, tcp)
        .expect("mount through the proxy");
    let data = pattern(COPY, 61);
    write_file(&k, "/mnt/copy", &data, 256 << 10);
    assert!(
        std::fs::read(export.join("copy")).unwrap() == data,
        "the host's copy differs"
    );
    assert!(
        read_file(&k, "/mnt/copy") == data,
        "read back through the proxy"
    );
    k.sys_unmount("/mnt", 0).unwrap();
    let cuts = proxy.cuts.load(Ordering::Relaxed);
    eprintln!("the proxy cut {cuts} connections");
    assert!(cuts >= 5, "only {cuts} connections were cut");
}

#[test]
fn a_copy_completes_across_a_lossy_connection() {
    if let Some(export) = ganesha::inside() {
        inside(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "lossy") else {
        return;
    };
    g.run_inside("a_copy_completes_across_a_lossy_connection");
}

/// One datagram in this many is dropped, each way.
const DROP_ONE_IN: u64 = 10;

/// A UDP proxy to the NFS daemon that drops datagrams; its port and how
/// many it dropped.
fn lossy_udp_proxy(to_port: u16) -> (u16, Arc<AtomicUsize>) {
    let front = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = front.local_addr().unwrap().port();
    let back = UdpSocket::bind("127.0.0.1:0").unwrap();
    back.connect(("127.0.0.1", to_port)).unwrap();
    let dropped = Arc::new(AtomicUsize::new(0));
    let dice = Arc::new(Dice(AtomicU64::new(0xd6_0d5e)));
    let client = Arc::new(std::sync::Mutex::new(None));
    let (f2, b2) = (front.try_clone().unwrap(), back.try_clone().unwrap());
    let (d1, d2) = (Arc::clone(&dropped), Arc::clone(&dropped));
    let (dice2, client2) = (Arc::clone(&dice), Arc::clone(&client));
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok((n, from)) = front.recv_from(&mut buf) {
            *client.lock().unwrap() = Some(from);
            if dice.one_in(DROP_ONE_IN) {
                d1.fetch_add(1, Ordering::Relaxed);
            } else {
                let _ = back.send(&buf[..n]);
            }
        }
    });
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 1 << 16];
        while let Ok(n) = b2.recv(&mut buf) {
            let to = *client2.lock().unwrap();
            if dice2.one_in(DROP_ONE_IN) {
                d2.fetch_add(1, Ordering::Relaxed);
            } else if let Some(to) = to {
                let _ = f2.send_to(&buf[..n], to);
            }
        }
    });
    (port, dropped)
}

fn udp_inside(export: &Path) {
    let (port, dropped) = lossy_udp_proxy(2049);
    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let (v3, udp) = (netbsd_abi::NFSMNT_NFSV3, netbsd_abi::SOCK_DGRAM);
    mount_nfs_args(&k, "/mnt", &fh, "127.0.0.1:/export", port, v3, udp)
        .expect("a UDP mount through the proxy");
    let data = pattern(COPY, 71);
    write_file(&k, "/mnt/copy", &data, 256 << 10);
    assert!(
        std::fs::read(export.join("copy")).unwrap() == data,
        "the host's copy differs"
    );
    assert!(read_file(&k, "/mnt/copy") == data, "read back over UDP");
    k.sys_unmount("/mnt", 0).unwrap();
    let dropped = dropped.load(Ordering::Relaxed);
    eprintln!("the proxy dropped {dropped} datagrams");
    assert!(dropped >= 50, "only {dropped} datagrams were dropped");
}

#[test]
fn a_udp_mount_copies_whole_across_lost_datagrams() {
    if let Some(export) = ganesha::inside() {
        udp_inside(&export);
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "lossy-udp") else {
        return;
    };
    g.run_inside("a_udp_mount_copies_whole_across_lost_datagrams");
}
