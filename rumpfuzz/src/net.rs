//! Network headers: a frame is viewed as Ethernet, then ARP or IPv4, then
//! ICMP, UDP or TCP (with TCP's options). No accessor of a checked view may
//! panic, and whatever parses must build back into bytes that parse to the
//! same thing. Byte 0's low bit asks for the checksums to be made
//! right first, so that the fuzzer reaches past them.

use rumpnet::wire::checksum;
use rumpnet::wire::ethernet::{Frame, ethertype};
use rumpnet_netinet::wire::ipv4::{self, Address, proto};
use rumpnet_netinet::wire::{arp, icmp, tcp, tcp_option, udp};

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

/// Every accessor of a checked TCP view, which must not panic, and its
/// options, which the check found well formed.
fn read_tcp(p: &tcp::Packet<&[u8]>) {
    let _ = (p.src_port(), p.dst_port(), p.seq_number(), p.ack_number());
    let _ = (p.flags(), p.window_len(), p.checksum(), p.urgent_at());
    assert!(p.header_len() >= tcp::HEADER_LEN);
    assert_eq!(
        tcp::HEADER_LEN + p.options().len() + p.payload().len(),
        p.clone().into_inner().len()
    );
    for o in p.option_iter() {
        let o = o.expect("options checked by new_checked");
        let mut b = [0u8; tcp::MAX_HEADER_LEN];
        if let Ok(n) = o.emit(&mut b) {
            assert_eq!(tcp::TcpOption::parse(&b[..n]).map(|(back, _)| back), Ok(o));
        }
    }
}

fn transport(p: u8, src: Address, dst: Address, seg: &[u8]) {
    match p {
        proto::ICMP => {
            let Ok(v) = icmp::Packet::new_checked(seg) else {
                return;
            };
            let _ = (v.msg_type(), v.msg_code(), v.echo_ident(), v.echo_seq_no());
            let _ = (v.next_hop_mtu(), v.data());
            if let Ok(r) = icmp::Repr::parse(&v) {
                let mut b = seg.to_vec();
                r.emit(&mut icmp::Packet::new_unchecked(&mut b[..]))
                    .expect("emit icmp");
                let back = icmp::Packet::new_checked(&b[..]).expect("reparse icmp");
                assert_eq!(icmp::Repr::parse(&back), Ok(r));
                assert_eq!(back.data(), v.data());
            }
        }
        proto::UDP => {
            let Ok(v) = udp::Packet::new_checked(seg) else {
                return;
            };
            let _ = (v.src_port(), v.dst_port(), v.checksum());
            assert_eq!(v.payload().len() + udp::HEADER_LEN, usize::from(v.length()));
            if let Ok(r) = udp::Repr::parse(&v, src, dst) {
                let mut b = vec![0u8; r.buffer_len()];
                b[udp::HEADER_LEN..].copy_from_slice(v.payload());
                r.emit(&mut udp::Packet::new_unchecked(&mut b[..]), src, dst)
                    .expect("emit udp");
                let back = udp::Packet::new_checked(&b[..]).expect("reparse udp");
                assert_eq!(udp::Repr::parse(&back, src, dst), Ok(r));
            }
        }
        proto::TCP => {
            // The quick check of option lengths and the parse agree, on
            // any bytes taken as options.
            let raw = seg.get(tcp::HEADER_LEN..).unwrap_or_default();
            let raw = &raw[..raw.len().min(tcp_option::MAX_OPTIONS_LEN)];
            assert_eq!(
                tcp_option::check(raw).is_ok(),
                tcp::OptionIter::new(raw).all(|o| o.is_ok())
            );
            // The shortcut for the usual timestamps reads what the walk does.
            if let Some((value, echo)) = tcp_option::appendix_a_timestamp(raw) {
                let ts = tcp::TcpOption::Timestamp { value, echo };
                assert!(tcp::OptionIter::new(raw).any(|o| o == Ok(ts)));
            }
            let Ok(v) = tcp::Packet::new_checked(seg) else {
                return;
            };
            read_tcp(&v);
            if let Ok(r) = tcp::Repr::parse(&v, src, dst) {
                assert_eq!(r.payload_len, v.payload().len());
                let hl = r.header_len();
                let mut b = vec![0u8; r.buffer_len()];
                b[hl..].copy_from_slice(v.payload());
                // A parsed header may hold more options than fit in one
                // (SACK blocks beside timestamps): that emit must fail.
                if r.emit(&mut tcp::Packet::new_unchecked(&mut b[..]), src, dst)
                    .is_ok()
                {
                    let back = tcp::Packet::new_checked(&b[..]).expect("reparse tcp");
                    assert_eq!(tcp::Repr::parse(&back, src, dst), Ok(r));
                    assert_eq!(back.payload(), v.payload());
                } else {
                    assert!(hl > tcp::MAX_HEADER_LEN);
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
            let Ok(v) = arp::Packet::new_checked(f.payload()) else {
                return;
            };
            let _ = (v.hardware_type(), v.protocol_type(), v.operation());
            let _ = (v.source_hardware_addr(), v.source_protocol_addr());
            let _ = (v.target_hardware_addr(), v.target_protocol_addr());
            if let Ok(r) = arp::Repr::parse(&v) {
                let mut b = [0u8; arp::PACKET_LEN];
                r.emit(&mut arp::Packet::new_unchecked(&mut b[..]))
                    .expect("emit arp");
                let back = arp::Packet::new_checked(&b[..]).expect("reparse arp");
                assert_eq!(arp::Repr::parse(&back), Ok(r));
                assert_eq!(&b[..], &f.payload()[..arp::PACKET_LEN]);
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
