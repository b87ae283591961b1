//! IPv4 output (`ip_output`): datagram identifications, the header,
//! fragmentation to the interface's MTU, and the hand-off to the link
//! (loopback, or Ethernet through ARP).

use super::{Inet, OutOpts};
use crate::addr::{self, ANY, BROADCAST};
use crate::arp::Resolve;
use crate::wire::ipv4::{self, Packet, Repr as IpRepr};
use rump::{Errno, KResult};
use rumpnet::ifnet::{Ifnet, LinkType};
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address as EthAddr, ethertype};
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Inet {
    /// A new datagram identification.
    pub fn next_ident(&self) -> u16 {
        if self.cfg.random_id.load(Ordering::Relaxed) {
            // ip_randomid: unpredictable, never 0 (0 asks for one).
            return self.cprng.u16().max(1);
        }
        self.ident.fetch_add(1, Ordering::Relaxed)
    }

    /// Send `payload` as protocol `proto` from `src` (`None`: choose) to
    /// `dst` (`ip_output`).
    pub fn output(
        &self,
        proto: u8,
        src: Option<u32>,
        dst: u32,
        payload: Pkt,
        o: &OutOpts,
    ) -> KResult<()> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        let (ifp, hop) = self.route_to(&net, dst, o)?;
        let src = match src {
            Some(s) if s != ANY => s,
            _ => self.source_for(&ifp, dst).ok_or(Errno::EADDRNOTAVAIL)?,
        };
        let bcast = dst == BROADCAST || self.is_subnet_broadcast(ifp.index, dst);
        if bcast && !o.broadcast {
            return Err(Errno::EACCES);
        }
        let repr = IpRepr {
            src: addr::from_u32(src),
            dst: addr::from_u32(dst),
            protocol: proto,
            payload_len: payload.len(),
            ttl: o.ttl,
            tos: o.tos,
            ident: self.next_ident(),
            dont_frag: o.dont_frag,
            more_frags: false,
            frag_offset: 0,
        };
        self.stats.bump(&self.stats.ip_localout);
        self.send_datagram(&ifp, hop, bcast, repr, payload)
    }

    /// Send a datagram whose header is already built (raw `IP_HDRINCL`,
    /// forwarding): routed by its destination, fragmented if needed.
    pub fn output_raw(&self, pkt: Pkt, o: &OutOpts) -> KResult<()> {
        let net = self.net().ok_or(Errno::ENETDOWN)?;
        let p = Packet::new_checked(pkt.data()).map_err(|_| Errno::EINVAL)?;
        let hl = p.header_len();
        let dst = addr::to_u32(p.dst());
        let (ifp, hop) = self.route_to(&net, dst, o)?;
        let mut repr = IpRepr {
            src: p.src(),
            dst: p.dst(),
            protocol: p.protocol(),
            payload_len: usize::from(p.total_len()) - hl,
            ttl: p.ttl(),
            tos: p.tos(),
            ident: p.ident(),
            dont_frag: p.dont_frag(),
            more_frags: false,
            frag_offset: 0,
        };
        if repr.src == ipv4::Address::UNSPECIFIED {
            let s = self.source_for(&ifp, dst).ok_or(Errno::EADDRNOTAVAIL)?;
            repr.src = addr::from_u32(s);
        }
        if repr.ident == 0 {
            repr.ident = self.next_ident();
        }
        let bcast = dst == BROADCAST || self.is_subnet_broadcast(ifp.index, dst);
        if bcast && !o.broadcast {
            return Err(Errno::EACCES);
        }
        let mut payload = pkt;
        payload.truncate(hl + repr.payload_len);
        payload.strip(hl);
        self.stats.bump(&self.stats.ip_rawout);
        self.send_datagram(&ifp, hop, bcast, repr, payload)
    }

    /// Put the header on (fragmenting to the MTU) and hand each piece to
    /// the link.
    pub(crate) fn send_datagram(
        &self,
        ifp: &Arc<Ifnet>,
        hop: u32,
        bcast: bool,
        repr: IpRepr,
        payload: Pkt,
    ) -> KResult<()> {
        let mtu = self.path_mtu(ifp, addr::to_u32(repr.dst)) as usize;
        if ipv4::HEADER_LEN + payload.len() <= mtu {
            let mut pkt = payload;
            let mut r = repr;
            r.payload_len = pkt.len();
            pkt.prepend(ipv4::HEADER_LEN);
            r.emit(pkt.data_mut()).map_err(|_| Errno::EMSGSIZE)?;
            return self.link_output(ifp, hop, bcast, pkt);
        }
        if repr.dont_frag {
            self.stats.bump(&self.stats.ip_cantfrag);
            return Err(Errno::EMSGSIZE);
        }
        if ipv4::HEADER_LEN + payload.len() > usize::from(u16::MAX) {
            return Err(Errno::EMSGSIZE);
        }
        let chunk = (mtu - ipv4::HEADER_LEN) & !7;
        if chunk == 0 {
            return Err(Errno::EMSGSIZE);
        }
        let data = payload.data();
        let base = usize::from(repr.frag_offset);
        let last_more = repr.more_frags;
        let mut off = 0;
        self.stats.bump(&self.stats.ip_fragmented);
        while off < data.len() {
            let end = (off + chunk).min(data.len());
            let mut piece = Pkt::with_payload(&data[off..end]);
            let mut r = repr;
            r.payload_len = end - off;
            r.frag_offset = (base + off) as u16;
            r.more_frags = end < data.len() || last_more;
            piece.prepend(ipv4::HEADER_LEN);
            r.emit(piece.data_mut()).map_err(|_| Errno::EMSGSIZE)?;
            self.stats.bump(&self.stats.ip_ofragments);
            self.link_output(ifp, hop, bcast, piece)?;
            off = end;
        }
        Ok(())
    }

    /// Hand a whole datagram to the link: loopback as it is, Ethernet to
    /// the broadcast address or the next hop's hardware address via ARP.
    fn link_output(&self, ifp: &Arc<Ifnet>, hop: u32, bcast: bool, mut pkt: Pkt) -> KResult<()> {
        match ifp.link_type() {
            LinkType::Loopback => {
                pkt.proto = ethertype::IPV4;
                ifp.transmit(pkt)
            }
            LinkType::Ethernet => {
                if bcast {
                    return ifp.ether_output(pkt, EthAddr::BROADCAST, ethertype::IPV4);
                }
                if addr::is_multicast(hop) {
                    let h = hop.to_be_bytes();
                    let mac = EthAddr([0x01, 0x00, 0x5e, h[1] & 0x7f, h[2], h[3]]);
                    return ifp.ether_output(pkt, mac, ethertype::IPV4);
                }
                let now = self.now();
                let (r, back) = self.lock().arp.resolve(ifp.index, hop, pkt, now);
                match (r, back) {
                    (Resolve::Ready(hw), Some(pkt)) => ifp.ether_output(pkt, hw, ethertype::IPV4),
                    (Resolve::Ask, _) => {
                        self.arp_request(ifp, hop);
                        self.arm(now + crate::arp::RETRY);
                        Ok(())
                    }
                    (Resolve::Held, _) => Ok(()),
                    (Resolve::Down, _) => Err(Errno::EHOSTDOWN),
                    (Resolve::Ready(_), None) => Ok(()),
                }
            }
        }
    }
}
