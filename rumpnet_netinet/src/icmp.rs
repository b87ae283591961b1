//! ICMP (RFC 792): echo replies, error messages about datagrams we could
//! not deliver or forward, and errors received passed to the transport
//! protocols (`icmp_input`, `icmp_error`).

use crate::addr::{self, ANY, BROADCAST};
use crate::inet::{In, Inet, OutOpts};
use crate::wire::icmp::{self, Repr, kind, unreach};
use crate::wire::ipv4;
use rumpnet::pkt::Pkt;
use std::sync::atomic::Ordering;

/// ICMP input.
pub fn input(inet: &Inet, d: &In, pkt: Pkt) {
    let msg = &pkt.data()[d.hl..];
    let st = &inet.stats;
    let parsed = icmp::Packet::new_checked(msg).and_then(|p| Ok((Repr::parse(&p)?, p)));
    let Some((repr, p)) = inet.counted(parsed, &st.icmp_checksum, &st.icmp_tooshort) else {
        return;
    };
    inet.stats
        .bump(&inet.stats.icmp_inhist[usize::from(p.msg_type())]);
    match repr {
        Repr::EchoRequest { ident, seq } => {
            if d.bcast && !inet.cfg.bmcastecho.load(Ordering::Relaxed) {
                return;
            }
            let mut reply = Pkt::with_payload(msg);
            if (Repr::EchoReply { ident, seq })
                .emit(&mut icmp::Packet::new_unchecked(reply.data_mut()))
                .is_err()
            {
                return;
            }
            reflect(inet, d, reply);
        }
        Repr::DstUnreachable { code, mtu } => notify(inet, p.data(), kind::UNREACH, code, mtu),
        Repr::TimeExceeded { code } => notify(inet, p.data(), kind::TIME_EXCEEDED, code, 0),
        _ => {}
    }
}

/// Send a reply back to the sender from the address it was sent to
/// (`icmp_reflect`): a broadcast's reply comes from the interface's address,
/// and every reply leaves with the largest time to live (`MAXTTL`), as
/// NetBSD's do.
fn reflect(inet: &Inet, d: &In, reply: Pkt) {
    let to = addr::to_u32(d.ip.src);
    let dst = addr::to_u32(d.ip.dst);
    let from = if inet.is_local(dst) || addr::is_loopback(dst) {
        Some(dst)
    } else {
        inet.first_addr(d.ifp.index)
    };
    inet.stats.bump(&inet.stats.icmp_reflect);
    inet.stats
        .bump(&inet.stats.icmp_outhist[usize::from(reply.data()[0])]);
    let opts = OutOpts {
        ttl: MAXTTL,
        ..inet.default_opts()
    };
    let _ = inet.output(ipv4::proto::ICMP, from, to, reply, &opts);
}

/// `MAXTTL`: the time to live of ICMP's own replies.
const MAXTTL: u8 = netbsd_abi::MAXTTL as u8;

/// Tell the transport protocols about an error for one of their datagrams
/// (`pr_ctlinput`): the quoted header says which socket. `next_mtu` is
/// a "fragmentation needed"'s next-hop MTU.
fn notify(inet: &Inet, quoted: &[u8], typ: u8, code: u8, next_mtu: u16) {
    // A quote is often shorter than its own header's length field says
    // (only 8 bytes of payload): read the header's fields directly.
    if quoted.len() < ipv4::HEADER_LEN {
        return;
    }
    // ip_hl, the low four bits, counts 32-bit words.
    let hl = usize::from(quoted[netbsd_abi::layout::ip::ip_hl.offset] & 0xf) * 4;
    let ports_end = netbsd_abi::layout::tcphdr::th_dport.range().end;
    let Some(transport) = quoted.get(hl..).filter(|t| t.len() >= ports_end) else {
        return;
    };
    if hl < ipv4::HEADER_LEN {
        return;
    }
    use netbsd_abi::layout::{ip, tcphdr};
    let word =
        |f: netbsd_abi::Field| u32::from_be_bytes(quoted[f.range()].try_into().unwrap_or_default());
    let q = Quoted {
        proto: quoted[ip::ip_p.offset],
        src: word(ip::ip_src),
        dst: word(ip::ip_dst),
        len: u16::from_be_bytes(quoted[ip::ip_len.range()].try_into().unwrap_or_default()),
        hl,
        transport: &transport[..transport.len().min(tcphdr::th_seq.range().end)],
    };
    dispatch(inet, typ, code, next_mtu, &q);
}

/// What an ICMP error quotes of the datagram it is about.
struct Quoted<'a> {
    proto: u8,
    src: u32,
    dst: u32,
    /// Its total length and header length.
    len: u16,
    hl: usize,
    /// The first bytes of its payload (4 to 8: ports, a TCP sequence).
    transport: &'a [u8],
}

fn dispatch(inet: &Inet, typ: u8, code: u8, next_mtu: u16, q: &Quoted) {
    let errno = match (typ, code) {
        (kind::UNREACH, unreach::PORT) | (kind::UNREACH, unreach::PROTOCOL) => {
            rump::Errno::ECONNREFUSED
        }
        (kind::UNREACH, unreach::NEEDFRAG) => rump::Errno::EMSGSIZE,
        (kind::UNREACH, unreach::NET) => rump::Errno::ENETUNREACH,
        (kind::UNREACH, _) => rump::Errno::EHOSTUNREACH,
        _ => return, // time exceeded is only for those who listen raw
    };
    use netbsd_abi::layout::tcphdr;
    let t = q.transport;
    // UDP's ports lie where TCP's do.
    let port =
        |f: netbsd_abi::Field| u16::from_be_bytes(t[f.range()].try_into().unwrap_or_default());
    let (sport, dport) = (port(tcphdr::th_sport), port(tcphdr::th_dport));
    match q.proto {
        ipv4::proto::UDP => crate::udp::ctlinput(inet, q.src, sport, q.dst, dport, errno),
        ipv4::proto::TCP
            if errno == rump::Errno::EMSGSIZE && t.len() >= tcphdr::th_seq.range().end =>
        {
            let seq = u32::from_be_bytes(t[tcphdr::th_seq.range()].try_into().unwrap_or_default());
            crate::tcp::socket::msgsize4(inet, (q.src, sport), (q.dst, dport), seq, || {
                inet.mtudisc_route(q.dst, next_mtu, q.len, q.hl)
            });
        }
        _ => {}
    }
}

/// Send an ICMP error about datagram `pkt` (its header `d`) back to its
/// sender (`icmp_error`), unless RFC 1122 3.2.2 forbids it: never about
/// an ICMP error, a fragment other than the first, or a datagram sent to
/// or from a broadcast or multicast address.
pub fn error(inet: &Inet, d: &In, pkt: &Pkt, typ: u8, code: u8, mtu: u16) {
    let src = addr::to_u32(d.ip.src);
    if d.bcast
        || d.ip.frag_offset != 0
        || src == ANY
        || src == BROADCAST
        || addr::is_multicast(src)
        || addr::is_multicast(addr::to_u32(d.ip.dst))
    {
        return;
    }
    let data = pkt.data();
    if d.ip.protocol == ipv4::proto::ICMP {
        let t = data.get(d.hl).copied().unwrap_or(0);
        if !matches!(
            t,
            kind::ECHO
                | kind::ECHO_REPLY
                | kind::TSTAMP
                | kind::TSTAMP_REPLY
                | kind::IREQ
                | kind::IREQ_REPLY
                | kind::MASK_REQ
                | kind::MASK_REPLY
        ) {
            inet.stats.bump(&inet.stats.icmp_oldicmp);
            return;
        }
    }
    let more = inet.cfg.icmp_returndatabytes.load(Ordering::Relaxed) as usize;
    let quote = &data[..data.len().min(d.hl + more)];
    let mut msg = Pkt::from_slices(&[0u8; icmp::HEADER_LEN], quote);
    let repr = match typ {
        kind::UNREACH => Repr::DstUnreachable { code, mtu },
        kind::TIME_EXCEEDED => Repr::TimeExceeded { code },
        _ => Repr::Other { typ, code },
    };
    if repr
        .emit(&mut icmp::Packet::new_unchecked(msg.data_mut()))
        .is_err()
    {
        return;
    }
    inet.stats.bump(&inet.stats.icmp_error);
    inet.stats.bump(&inet.stats.icmp_outhist[usize::from(typ)]);
    // From the address the datagram was sent to if it is ours, else from
    // the receiving interface's (a router's time exceeded).
    let dst = addr::to_u32(d.ip.dst);
    let from = if inet.is_local(dst) {
        Some(dst)
    } else {
        inet.first_addr(d.ifp.index)
    };
    let _ = inet.output(ipv4::proto::ICMP, from, src, msg, &inet.default_opts());
}
