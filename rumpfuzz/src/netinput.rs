//! The kernel's frame input path: frames arrive on two Ethernet interfaces
//! of a kernel with IPv4 forwarding on, a UDP socket, a raw ICMP socket
//! and a TCP listener open. Nothing may panic or hang, and every frame the
//! kernel sends in answer must be well formed (an Ethernet frame; an IPv4
//! packet with a right header checksum).
//!
//! Input: byte 0 is a mode (bit 0: fix the checksums; bit 1: address the
//! frame to the interface's hardware address); then frames, each a 2-byte
//! length, one byte choosing the interface, and the bytes.

use rump::{BootConfig, Kernel, KernelBuilder};
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IfDriver, Ifnet, LinkType};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::socket::ProtoSocket;
use rumpnet::wire::ethernet::{Address, Frame, ethertype};
use rumpnet_netinet::inet::{IfAddr, Inet};
use rumpnet_netinet::wire::ipv4;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};

/// A link that keeps what the kernel sends.
#[derive(Default)]
pub(crate) struct Capture {
    pub(crate) sent: Mutex<Vec<Vec<u8>>>,
}

/// The driver half, sharing the capture with the rig.
pub(crate) struct CaptureLink(pub(crate) Arc<Capture>);

impl IfDriver for CaptureLink {
    fn link_type(&self) -> LinkType {
        LinkType::Ethernet
    }
    fn transmit(&self, frame: Pkt) -> bool {
        let mut s = self.0.sent.lock().unwrap_or_else(|e| e.into_inner());
        if s.len() < 1024 {
            s.push(frame.data().to_vec());
        }
        true
    }
}

struct Rig {
    kernel: Arc<Kernel>,
    net: Arc<Net>,
    ifs: Vec<(Arc<Ifnet>, Arc<Capture>)>,
    socks: Vec<Arc<dyn ProtoSocket>>,
}

/// A kernel with the network faction and IPv4, one virtual CPU and 64 MiB,
/// that does not exit the fuzzer when a call asks it to.
pub(crate) fn net_kernel() -> Arc<Kernel> {
    let k = KernelBuilder::new()
        .config(BootConfig {
            ncpu: 1,
            memlimit: Some(64 << 20),
            ..BootConfig::default()
        })
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot");
    k.set_exit_handler(Box::new(|_| ()));
    k
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        let kernel = net_kernel();
        let net = Net::of(&kernel);
        let inet = Inet::of(&kernel);
        inet.cfg.forwarding.store(true, Ordering::Relaxed);
        let mut ifs = Vec::new();
        for i in 0..2u8 {
            let cap = Arc::new(Capture::default());
            let ifp = net
                .attach(
                    &format!("fz{i}"),
                    IfConfig {
                        driver: Box::new(CaptureLink(Arc::clone(&cap))),
                        hwaddr: Address([2, 0, 0, 0, 0, i]),
                        flags: IFF_BROADCAST | IFF_SIMPLEX | IFF_MULTICAST,
                        mtu: 1500,
                    },
                )
                .expect("attach");
            let a = 0x0a00_0001 | (u32::from(i) << 16);
            inet.add_address(
                &net,
                &ifp,
                IfAddr {
                    ifindex: ifp.index,
                    addr: a,
                    mask: 0xffff_ff00,
                    bcast: a | 0xff,
                },
            )
            .expect("address");
            ifs.push((ifp, cap));
        }
        let d = net.domain(netbsd_abi::AF_INET as u8).expect("AF_INET");
        let socks = kernel
            .with_ctx(|ctx| {
                let udp = d.socket(ctx, rumpnet::socket::SOCK_DGRAM, 0)?;
                udp.bind(ctx, &rumpnet_netinet::addr::sockaddr(0, 7))?;
                let raw = d.socket(ctx, rumpnet::socket::SOCK_RAW, netbsd_abi::IPPROTO_ICMP)?;
                let tcp = d.socket(ctx, rumpnet::socket::SOCK_STREAM, 0)?;
                tcp.bind(ctx, &rumpnet_netinet::addr::sockaddr(0, 80))?;
                tcp.listen(4)?;
                Ok(vec![udp, raw, tcp])
            })
            .expect("sockets");
        Rig {
            kernel,
            net,
            ifs,
            socks,
        }
    })
}

/// Frames the kernel has sent in answer to `net_input` so far: the smoke
/// test checks that its seeds reach the protocols.
pub fn net_input_answers() -> usize {
    ANSWERS.load(Ordering::Relaxed)
}

static ANSWERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

fn check_sent(frame: &[u8]) {
    ANSWERS.fetch_add(1, Ordering::Relaxed);
    let f = Frame::new_checked(frame).expect("the kernel sent a runt frame");
    if f.ethertype() == ethertype::IPV4 {
        let p = ipv4::Packet::new_checked(f.payload()).expect("the kernel sent a bad IPv4 packet");
        assert!(
            p.verify_checksum(),
            "the kernel sent a bad IPv4 header checksum"
        );
    }
}

/// Fuzz entry: see the module.
pub fn net_input(data: &[u8]) {
    let r = rig();
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut frames = 0;
    while rest.len() >= 3 && frames < 16 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(2000);
        let which = usize::from(rest[2]) % r.ifs.len();
        rest = &rest[3..];
        let mut frame = rest[..len.min(rest.len())].to_vec();
        rest = &rest[len.min(rest.len())..];
        let (ifp, _) = &r.ifs[which];
        if mode & 2 != 0 && frame.len() >= 6 {
            frame[..6].copy_from_slice(&ifp.hwaddr.0);
        }
        if mode & 1 != 0 && frame.len() > 14 {
            crate::net::fix_checksums(&mut frame[14..]);
        }
        r.net.input(ifp, Pkt::from_vec(frame));
        frames += 1;
    }
    // Empty the sockets so that state does not pile up between inputs.
    let mut buf = vec![0u8; 70000];
    for s in &r.socks {
        if s.is_listening() {
            // Connections the frames completed: read what they hold, then
            // reset them, so that they do not pile up.
            while let Ok(c) = s.accept() {
                while c.recv(&mut buf, 0).is_ok_and(|got| got.len > 0) {}
                c.close();
            }
            continue;
        }
        while s.recv(&mut buf, 0).is_ok_and(|got| got.full > 0) {}
    }
    for (_, cap) in &r.ifs {
        let sent = std::mem::take(&mut *cap.sent.lock().unwrap_or_else(|e| e.into_inner()));
        for f in sent {
            check_sent(&f);
        }
    }
    let _ = &r.kernel;
}

/// The shmif bus from a hostile or damaged file: reading, writing and
/// walking it stay inside the ring and end.
pub fn shmif_bus(data: &[u8]) {
    use rumpnet_shmif::bus::{Bus, MemBus, PktHdr, Read};
    let bus = Bus {
        mem: MemBus::from_bytes(data),
    };
    let Ok(mut pos) = bus.attach() else {
        return;
    };
    let mut frame = Vec::new();
    for i in 0..64u32 {
        if bus.read(&mut pos, &mut frame) == Read::Empty {
            break;
        }
        if i % 8 == 0 {
            let h = PktHdr {
                len: 60,
                sec: 0,
                usec: 0,
                sender: 1,
            };
            bus.write(h, &[0xab; 60]);
        }
    }
    // The receive loop's way: batches, as long as there are any.
    let mut out = Vec::new();
    for _ in 0..8 {
        out.clear();
        if bus.is_empty_for(pos) || bus.read_batch(&mut pos, &mut out, 32) == 0 {
            break;
        }
    }
    let _ = bus.walk();
}
