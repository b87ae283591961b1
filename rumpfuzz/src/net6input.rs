//! IPv6 input: frames of Ethernet type 0x86dd arrive on two interfaces of
//! a kernel with IPv6 (link-local and global addresses, DAD off so they
//! are usable at once, router advertisements accepted), a raw ICMPv6
//! socket, a TCP listener on [::]:7 and a UDP socket on [::]:7 open.
//! Extension headers, ICMPv6, neighbour discovery, router
//! advertisements, redirects, MLD, packets too big and TCP and UDP over
//! IPv6 are all reachable. Nothing may
//! panic or hang, and every IPv6 packet the kernel sends in answer must
//! be well formed with a right ICMPv6, TCP or UDP checksum.
//!
//! Input: byte 0 is a mode (bit 0: fix the ICMPv6, TCP or UDP checksum of
//! a packet whose first next header is one of them; bit 1: address the
//! frame to the interface's hardware address; bit 2: send the packet's
//! payload in fragments, so that reassembly is reached with whole
//! datagrams whose checksums are right; bit 3: the fragments last
//! first); then frames, each a 2-byte length, one byte choosing the
//! interface (bit 0) and the fragments' size (8 bytes times 1 and the
//! other bits), and the IPv6 packet (the Ethernet header is put on here).

use rump::Kernel;
use rumpnet::ifnet::{IFF_BROADCAST, IFF_MULTICAST, IFF_SIMPLEX, IFF_UP, Ifnet};
use rumpnet::net::{IfConfig, Net};
use rumpnet::pkt::Pkt;
use rumpnet::socket::ProtoSocket;
use rumpnet::wire::ethernet::{Address, Frame, ethertype};
use rumpnet_netinet6::inet6::{IfAddr6, Inet6};
use rumpnet_netinet6::wire::ipv6;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

// The capturing link of the IPv4 input target.
use crate::netinput::{Capture, CaptureLink};

struct Rig {
    kernel: Arc<Kernel>,
    net: Arc<Net>,
    ifs: Vec<(Arc<Ifnet>, Arc<Capture>)>,
    raw: Arc<dyn ProtoSocket>,
    udp: Arc<dyn ProtoSocket>,
    _tcp: Arc<dyn ProtoSocket>,
}

fn rig() -> &'static Rig {
    static RIG: OnceLock<Rig> = OnceLock::new();
    RIG.get_or_init(|| {
        let kernel = rump::KernelBuilder::new()
            .config(rump::BootConfig {
                ncpu: 1,
                memlimit: Some(64 << 20),
                ..rump::BootConfig::default()
            })
            .component(&rumpnet::COMPONENT)
            .component(&rumpnet_netinet::COMPONENT)
            .component(&rumpnet_netinet6::COMPONENT)
            .boot()
            .expect("boot");
        kernel.set_exit_handler(Box::new(|_| ()));
        let net = Net::of(&kernel);
        let inet = Inet6::of(&kernel);
        inet.dad_count.store(0, Ordering::Relaxed);
        inet.accept_rtadv.store(true, Ordering::Relaxed);
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
            net.set_flags(&ifp, ifp.flags() | IFF_UP).expect("up");
            inet.add_address(
                &ifp,
                IfAddr6 {
                    ifindex: ifp.index,
                    addr: std::net::Ipv6Addr::new(0x2001, 0xdb8, u16::from(i), 0, 0, 0, 0, 1),
                    prefixlen: 64,
                    flags: 0,
                },
            )
            .expect("address");
            ifs.push((ifp, cap));
        }
        let d = net.domain(netbsd_abi::AF_INET6 as u8).expect("AF_INET6");
        let raw = kernel
            .with_ctx(|ctx| d.socket(ctx, rumpnet::socket::SOCK_RAW, netbsd_abi::IPPROTO_ICMPV6))
            .expect("raw socket");
        // [::]:7 for TCP (listening) and UDP, with V6ONLY off so that
        // nothing about the family is left out.
        let any7 =
            rumpnet_netinet::addr::sockaddr6(&rumpnet_netinet::addr::PcbAddr::UNSPECIFIED, 7);
        let open = |typ: i32| -> Arc<dyn ProtoSocket> {
            let s = kernel
                .with_ctx(|ctx| d.socket(ctx, typ, 0))
                .expect("socket");
            s.setopt(
                netbsd_abi::IPPROTO_IPV6,
                netbsd_abi::IPV6_V6ONLY,
                &0i32.to_le_bytes(),
            )
            .expect("V6ONLY off");
            kernel.with_ctx(|ctx| s.bind(ctx, &any7)).expect("bind");
            s
        };
        let udp = open(rumpnet::socket::SOCK_DGRAM);
        let tcp = open(rumpnet::socket::SOCK_STREAM);
        tcp.listen(4).expect("listen");
        Rig {
            kernel,
            net,
            ifs,
            raw,
            udp,
            _tcp: tcp,
        }
    })
}

static ANSWERS: AtomicUsize = AtomicUsize::new(0);

/// IPv6 packets the kernel has sent in answer to `net6_input` so far.
pub fn net6_input_answers() -> usize {
    ANSWERS.load(Ordering::Relaxed)
}

fn check_sent(frame: &[u8]) {
    let f = Frame::new_checked(frame).expect("the kernel sent a runt frame");
    if f.ethertype() != ethertype::IPV6 {
        return;
    }
    ANSWERS.fetch_add(1, Ordering::Relaxed);
    let p = ipv6::Packet::new_checked(f.payload()).expect("the kernel sent a bad IPv6 packet");
    let nh = p.next_header();
    if checksum_at(nh).is_some() {
        assert_eq!(
            ipv6::upper_checksum(&p.src(), &p.dst(), nh, p.payload()),
            0,
            "the kernel sent a bad checksum (next header {nh})"
        );
    }
}

/// Where the checksum of an upper-layer header `nh` is: ICMPv6's, UDP's
/// and TCP's.
fn checksum_at(nh: u8) -> Option<usize> {
    match nh {
        ipv6::nh::ICMPV6 => Some(2),
        ipv6::nh::UDP => Some(6),
        ipv6::nh::TCP => Some(16),
        _ => None,
    }
}

fn fix_checksum(pkt: &mut [u8]) {
    let Ok(p) = ipv6::Packet::new_checked(pkt) else {
        return;
    };
    let nh = p.next_header();
    let Some(at) = checksum_at(nh) else { return };
    if p.payload().len() < at + 2 {
        return;
    }
    let (src, dst, len) = (p.src(), p.dst(), p.payload().len());
    let body = &mut pkt[ipv6::HEADER_LEN..ipv6::HEADER_LEN + len];
    body[at..at + 2].copy_from_slice(&[0, 0]);
    let c = ipv6::upper_checksum(&src, &dst, nh, body);
    body[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// `pkt`'s payload in fragments of `unit` bytes (the last shorter), each
/// with `pkt`'s header in front, in order or `reverse`d.
fn fragmented(pkt: &[u8], unit: usize, reverse: bool, ident: u32) -> Vec<Vec<u8>> {
    let Ok(p) = ipv6::Packet::new_checked(pkt) else {
        return vec![pkt.to_vec()];
    };
    let body = p.payload();
    let mut v: Vec<Vec<u8>> = body
        .chunks(unit)
        .enumerate()
        .map(|(i, c)| {
            let off = i * unit;
            let more = off + c.len() < body.len();
            let mut f = pkt[..ipv6::HEADER_LEN].to_vec();
            ipv6::set_next_header(&mut f, ipv6::nh::FRAGMENT);
            ipv6::set_payload_len(&mut f, (8 + c.len()) as u16);
            f.extend_from_slice(&ipv6::frag_header(p.next_header(), off as u16, more, ident));
            f.extend_from_slice(c);
            f
        })
        .collect();
    if reverse {
        v.reverse();
    }
    v
}

/// Fuzz entry: see the module.
pub fn net6_input(data: &[u8]) {
    let r = rig();
    let Some((&mode, mut rest)) = data.split_first() else {
        return;
    };
    let mut frames = 0;
    while rest.len() >= 3 && frames < 16 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(2000);
        let selector = rest[2];
        let which = usize::from(selector & 1) % r.ifs.len();
        rest = &rest[3..];
        let mut pkt = rest[..len.min(rest.len())].to_vec();
        rest = &rest[len.min(rest.len())..];
        if mode & 1 != 0 {
            fix_checksum(&mut pkt);
        }
        let (ifp, _) = &r.ifs[which];
        let dst = if mode & 2 != 0 {
            ifp.hwaddr.0
        } else {
            [0x33, 0x33, 0, 0, 0, 1]
        };
        let pieces = if mode & 4 != 0 {
            let unit = 8 * (1 + usize::from(selector >> 1));
            fragmented(&pkt, unit, mode & 8 != 0, u32::from(selector))
        } else {
            vec![pkt]
        };
        for piece in pieces {
            let mut frame = dst.to_vec();
            frame.extend_from_slice(&[2, 0, 0, 0, 0, 9]);
            frame.extend_from_slice(&ethertype::IPV6.to_be_bytes());
            frame.extend_from_slice(&piece);
            r.net.input(ifp, Pkt::from_vec(frame));
        }
        frames += 1;
    }
    let mut buf = vec![0u8; 70000];
    while r.raw.recv(&mut buf, 0).is_ok_and(|got| got.full > 0) {}
    while r.udp.recv(&mut buf, 0).is_ok_and(|got| got.full > 0) {}
    for (_, cap) in &r.ifs {
        let sent = std::mem::take(&mut *cap.sent.lock().unwrap_or_else(|e| e.into_inner()));
        for f in sent {
            check_sent(&f);
        }
    }
    let _ = &r.kernel;
}
