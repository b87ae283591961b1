//! Network headers: a frame is parsed as Ethernet, then ARP or IPv4, then
//! ICMP, UDP or TCP. Whatever parses must build back into bytes that parse
//! to the same thing. Byte 0's low bit asks for the checksums to be made
//! right first, so that the fuzzer reaches past them.

use rumpnet::wire::checksum;
use rumpnet::wire::ethernet::{Frame, ethertype};
use rumpnet_netinet::wire::ipv4::{self, Address, proto};
use rumpnet_netinet::wire::{arp, icmp, tcp, udp};

fn fix_l4(p: u8, src: Address, dst: Address, seg: &mut [u8]) {
    let at = match p {
        proto::TCP if seg.len() >= 20 => 16,
        proto::UDP if seg.len() >= 8 => 6,
        proto::ICMP if seg.len() >= 8 => 2,
        _ => return,
    };
    seg[at] = 0;
    seg[at + 1] = 0;
    let c = if p == proto::ICMP {
        checksum::checksum(seg)
    } else {
        let ph = checksum::pseudo_header_v4(src.0, dst.0, p, seg.len() as u32);
        !checksum::combine(&[ph, checksum::sum(seg)])
    };
    seg[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// Make the IPv4 header checksum, and the ICMP, UDP or TCP one, right.
pub(crate) fn fix_checksums(packet: &mut [u8]) {
    let Ok(p) = ipv4::Packet::new_checked(&*packet) else {
        return;
    };
    let (hl, tl, pr, s, d) = (
        p.header_len(),
        usize::from(p.total_len()),
        p.protocol(),
        p.src(),
        p.dst(),
    );
    if p.frag_offset() == 0 {
        fix_l4(pr, s, d, &mut packet[hl..tl]);
    }
    let mut p = ipv4::Packet::new_checked(&mut *packet).expect("checked above");
    p.fill_checksum();
}

fn transport(p: u8, src: Address, dst: Address, seg: &[u8]) {
    match p {
        proto::ICMP => {
            if let Ok(r) = icmp::Repr::parse(seg) {
                let mut b = seg.to_vec();
                r.emit(&mut b).expect("emit icmp");
                assert_eq!(icmp::Repr::parse(&b), Ok(r));
            }
        }
        proto::UDP => {
            if let Ok(r) = udp::Repr::parse(seg, src, dst) {
                let mut b = seg[..udp::HEADER_LEN + r.payload_len].to_vec();
                r.emit(&mut b, src, dst).expect("emit udp");
                assert_eq!(udp::Repr::parse(&b, src, dst), Ok(r));
            }
        }
        proto::TCP => {
            if let Ok(r) = tcp::Repr::parse(seg, src, dst) {
                let hl = r.emit_header_len();
                let mut b = vec![0u8; hl + r.payload_len];
                b[hl..].copy_from_slice(&seg[r.header_len..]);
                if r.emit(&mut b, src, dst).is_ok() {
                    let back = tcp::Repr::parse(&b, src, dst).expect("reparse tcp");
                    assert_eq!(
                        back,
                        tcp::Repr {
                            header_len: hl,
                            ..r
                        }
                    );
                }
            }
        }
        _ => {}
    }
}

/// Fuzz entry: see the module.
pub fn net_headers(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut frame = rest.to_vec();
    let Ok(f) = Frame::new_checked(&frame[..]) else {
        return;
    };
    match f.ethertype() {
        ethertype::ARP => {
            if let Ok(r) = arp::Repr::parse(f.payload()) {
                let mut b = [0u8; arp::PACKET_LEN];
                r.emit(&mut b).expect("emit arp");
                assert_eq!(arp::Repr::parse(&b), Ok(r));
            }
        }
        ethertype::IPV4 => {
            if mode & 1 != 0 {
                fix_checksums(&mut frame[14..]);
            }
            let payload = &frame[14..];
            let Ok(p) = ipv4::Packet::new_checked(payload) else {
                return;
            };
            let Ok(r) = ipv4::Repr::parse(&p) else {
                return;
            };
            let mut b = vec![0u8; ipv4::HEADER_LEN + r.payload_len];
            b[ipv4::HEADER_LEN..].copy_from_slice(p.payload());
            r.emit(&mut b).expect("emit ipv4");
            let back = ipv4::Packet::new_checked(&b[..]).expect("reparse ipv4");
            assert_eq!(ipv4::Repr::parse(&back), Ok(r));
            transport(r.protocol, r.src, r.dst, p.payload());
        }
        _ => {}
    }
}
