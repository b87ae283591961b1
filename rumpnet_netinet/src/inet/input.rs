//! IPv4 input (`ip_input`): header checks, whether a datagram is for us,
//! reassembly, the protocol switch to ICMP, UDP, TCP and raw sockets,
//! and forwarding (`ip_forward`).

use super::Inet;
use crate::addr::{self, BROADCAST};
use crate::wire::ipv4::{self, Packet, Repr as IpRepr};
use crate::{icmp, raw, udp};
use rump::Errno;
use rumpnet::ifnet::{IFF_LOOPBACK, Ifnet};
use rumpnet::net::LinkInfo;
use rumpnet::pkt::Pkt;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Inet {
    /// IPv4 input (`ip_input`).
    pub fn ip_input(&self, ifp: &Arc<Ifnet>, mut pkt: Pkt, info: LinkInfo) {
        self.stats.bump(&self.stats.ip_total);
        let (repr, hl) = match Packet::new_checked(pkt.data()) {
            Ok(p) => match IpRepr::parse(&p) {
                Ok(r) => (r, p.header_len()),
                Err(_) => {
                    self.stats.bump(&self.stats.ip_badsum);
                    return;
                }
            },
            Err(_) => {
                self.stats.bump(&self.stats.ip_tooshort);
                return;
            }
        };
        pkt.truncate(hl + repr.payload_len);
        let dst = addr::to_u32(repr.dst);
        let src = addr::to_u32(repr.src);
        if addr::is_multicast(src) || src == BROADCAST {
            self.stats.bump(&self.stats.ip_badaddr);
            return;
        }
        // Looked up once: the delivery below needs the same answer.
        let to_broadcast = dst == BROADCAST
            || addr::is_multicast(dst)
            || self.is_subnet_broadcast_in(ifp.index, dst);
        let for_us = to_broadcast
            || self.is_local_on(ifp, dst)
            || (ifp.flags() & IFF_LOOPBACK != 0 && addr::is_loopback(dst));
        if !for_us {
            // Nor is one for our own address while it is not ready
            // (tentative or duplicated): it is dropped, not forwarded.
            if info.broadcast || info.multicast || self.is_local(dst) {
                return;
            }
            self.forward(ifp, repr, hl, pkt);
            return;
        }
        let (repr, hl, pkt) = if repr.more_frags || repr.frag_offset != 0 {
            self.stats.bump(&self.stats.ip_fragments);
            let whole = self.lock().reass.insert(repr, hl, pkt, self.now());
            match whole {
                Some((r, p)) => {
                    self.stats.bump(&self.stats.ip_reassembled);
                    self.arm(self.now());
                    (r, ipv4::HEADER_LEN, p)
                }
                None => {
                    if let Some(at) = self.lock().reass.next_deadline() {
                        self.arm(at);
                    }
                    return;
                }
            }
        } else {
            (repr, hl, pkt)
        };
        self.stats.bump(&self.stats.ip_delivered);
        let bcast = info.broadcast || info.multicast || to_broadcast;
        let delivered_raw = raw::input(self, &repr, &pkt);
        let d = In {
            ifp,
            ip: repr,
            hl,
            bcast,
        };
        match repr.protocol {
            ipv4::proto::ICMP => icmp::input(self, &d, pkt),
            ipv4::proto::UDP => udp::input(self, &d, pkt),
            ipv4::proto::TCP => crate::tcp::socket::input(self, &d, pkt),
            _ if delivered_raw => {}
            _ => {
                self.stats.bump(&self.stats.ip_noproto);
                icmp::error(
                    self,
                    &d,
                    &pkt,
                    crate::wire::icmp::kind::UNREACH,
                    crate::wire::icmp::unreach::PROTOCOL,
                    0,
                );
            }
        }
    }

    /// Forward a datagram not for us (`ip_forward`), if forwarding is on.
    fn forward(&self, ifp: &Arc<Ifnet>, mut repr: IpRepr, hl: usize, pkt: Pkt) {
        use crate::wire::icmp::{kind, unreach};
        let d = In {
            ifp,
            ip: repr,
            hl,
            bcast: false,
        };
        if !self.cfg.forwarding.load(Ordering::Relaxed) {
            self.stats.bump(&self.stats.ip_cantforward);
            return;
        }
        let dst = addr::to_u32(repr.dst);
        if repr.ttl <= 1 {
            icmp::error(self, &d, &pkt, kind::TIME_EXCEEDED, 0, 0);
            return;
        }
        let Some(net) = self.net() else { return };
        let opts = self.default_opts();
        let (out, hop) = match self.route_to(&net, dst, &opts) {
            Ok(x) => x,
            Err(_) => {
                self.stats.bump(&self.stats.ip_noroute);
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::HOST, 0);
                return;
            }
        };
        let mut payload = pkt.clone();
        payload.strip(hl);
        repr.ttl -= 1;
        let mtu = self.path_mtu(&out, dst);
        let r = self.send_datagram(&out, hop, false, repr, payload);
        match r {
            Ok(()) => self.stats.bump(&self.stats.ip_forward),
            Err(Errno::EMSGSIZE) => {
                self.stats.bump(&self.stats.ip_cantfrag);
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::NEEDFRAG, mtu as u16);
            }
            Err(Errno::EHOSTDOWN) | Err(Errno::EHOSTUNREACH) => {
                icmp::error(self, &d, &pkt, kind::UNREACH, unreach::HOST, 0);
            }
            Err(_) => {}
        }
    }
}

/// A datagram being delivered locally: where it came from and its header.
pub struct In<'a> {
    /// The receiving interface.
    pub ifp: &'a Arc<Ifnet>,
    /// Its IPv4 header.
    pub ip: IpRepr,
    /// The header's length in the packet.
    pub hl: usize,
    /// Sent to a broadcast or multicast address.
    pub bcast: bool,
}
