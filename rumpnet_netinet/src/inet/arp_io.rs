//! ARP as the stack speaks it (`arp_request`, `in_arpinput`): requests,
//! answers and the defence of our addresses, and `arp -a`, `-d`, `-s`
//! on the cache ([`crate::arp`]).

use super::Inet;
use crate::addr::{self, ANY};
use crate::dad::{IN_IFF_DETACHED, IN_IFF_NOTREADY, IN_IFF_TENTATIVE};
use crate::wire::arp::{Operation, Packet as ArpPacket, Repr as ArpRepr};
use rump::{Errno, KResult};
use rumpnet::ifnet::Ifnet;
use rumpnet::net::LinkInfo;
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address as EthAddr, ethertype};
use std::sync::Arc;
use std::time::Duration;

impl Inet {
    /// Ask who has `target` on `ifp`, from our address there.
    pub(super) fn arp_request(&self, ifp: &Arc<Ifnet>, target: u32) {
        let Some(src) = self.source_for(ifp, target) else {
            return;
        };
        self.arp_request_from(ifp, src, target);
    }

    /// Ask who has `target` on `ifp`, from `src` (a probe or an
    /// announcement when `src` is 0 or `target` itself).
    pub(crate) fn arp_request_from(&self, ifp: &Arc<Ifnet>, src: u32, target: u32) {
        let r = ArpRepr {
            op: Operation::Request,
            sender_hw: ifp.hwaddr,
            sender_ip: addr::from_u32(src),
            target_hw: EthAddr([0; 6]),
            target_ip: addr::from_u32(target),
        };
        self.arp_send(ifp, r, EthAddr::BROADCAST);
    }

    fn arp_send(&self, ifp: &Arc<Ifnet>, r: ArpRepr, to: EthAddr) {
        let mut pkt = Pkt::with_payload(&[0u8; crate::wire::arp::PACKET_LEN]);
        if r.emit(&mut ArpPacket::new_unchecked(pkt.data_mut()))
            .is_ok()
        {
            self.stats.bump(&self.stats.arp_sent);
            let _ = ifp.ether_output(pkt, to, ethertype::ARP);
        }
    }

    /// ARP input (`in_arpinput`): learn the sender, answer requests for
    /// our usable addresses, send what was waiting for the answer, and
    /// watch for other hosts using our addresses: a probe or a claim for
    /// a tentative address makes it duplicated, and one for a usable
    /// address is logged and answered, to defend it.
    pub fn arp_input(&self, ifp: &Arc<Ifnet>, pkt: Pkt, _info: LinkInfo) {
        self.stats.bump(&self.stats.arp_received);
        let Ok(r) = ArpPacket::new_checked(pkt.data()).and_then(|p| ArpRepr::parse(&p)) else {
            self.stats.bump(&self.stats.arp_bad);
            return;
        };
        let (sip, tip) = (addr::to_u32(r.sender_ip), addr::to_u32(r.target_ip));
        // The address the packet is about: the target if it is ours on
        // this interface, else the sender if it is, else any of this
        // interface's (NetBSD's `myaddr`).
        let mine = {
            let st = self.lock();
            let on = |a: u32| {
                st.addrs
                    .iter()
                    .any(|x| x.addr == a && x.ifindex == ifp.index)
                    .then_some(a)
            };
            on(tip)
                .or_else(|| on(sip))
                .or_else(|| {
                    st.addrs
                        .iter()
                        .find(|x| x.ifindex == ifp.index)
                        .map(|x| x.addr)
                })
                .map(|a| (a, st.dad.flags(ifp.index, a)))
        };
        let Some((myaddr, flags)) = mine else {
            return;
        };
        if r.sender_hw == ifp.hwaddr {
            return; // our own, looped back
        }
        if r.sender_hw == EthAddr::BROADCAST {
            self.log(&format!(
                "{}: arp: link address is broadcast for IP address {}!",
                ifp.name,
                addr::fmt(sip)
            ));
            return;
        }
        // RFC 5227 2.1.1: another host's probe for, or claim to, our address.
        if sip == myaddr || (sip == ANY && tip == myaddr) {
            if flags & IN_IFF_TENTATIVE != 0 {
                self.dad_duplicated(ifp, myaddr);
            }
            if flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) != 0 {
                return;
            }
        }
        if tip == ANY {
            return;
        }
        let mut target = tip;
        if sip == myaddr {
            self.log(&format!(
                "duplicate IP address {} sent from link address {}",
                addr::fmt(sip),
                r.sender_hw
            ));
            target = myaddr;
        } else if sip != ANY {
            let held =
                self.lock()
                    .arp
                    .learn(ifp.index, sip, r.sender_hw, self.now(), tip == myaddr);
            for p in held {
                if !p.is_empty() {
                    let _ = ifp.ether_output(p, r.sender_hw, ethertype::IPV4);
                }
            }
        }
        if r.op != Operation::Request || target != myaddr {
            return;
        }
        if flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) != 0 {
            return;
        }
        let reply = ArpRepr {
            op: Operation::Reply,
            sender_hw: ifp.hwaddr,
            sender_ip: addr::from_u32(target),
            target_hw: r.sender_hw,
            target_ip: r.sender_ip,
        };
        self.arp_send(ifp, reply, r.sender_hw);
    }

    /// The ARP cache as `arp -a` shows it.
    pub fn arp_entries(&self) -> Vec<crate::arp::ArpEntry> {
        self.lock().arp.list(self.now())
    }

    /// `arp -d`.
    pub fn arp_delete(&self, ifindex: u16, ip: u32) -> bool {
        self.lock().arp.remove(ifindex, ip)
    }

    /// `arp -s`: an entry on the interface whose subnet holds `ip`,
    /// permanent, or lasting `lifetime` (`arp -s ... temp`). EEXIST if
    /// there is one already, as `lla_rt_output` says.
    pub fn arp_set(&self, ip: u32, hw: EthAddr, lifetime: Option<Duration>) -> KResult<()> {
        let mut st = self.lock();
        let ifindex = st
            .addrs
            .iter()
            .find(|a| ip & a.mask == a.net())
            .map(|a| a.ifindex)
            .ok_or(Errno::ENETUNREACH)?;
        if st.arp.contains(ifindex, ip) {
            return Err(Errno::EEXIST);
        }
        let until = lifetime.map(|d| self.now() + d);
        st.arp.set(ifindex, ip, hw, until);
        drop(st);
        if let Some(at) = until {
            self.arm(at);
        }
        Ok(())
    }
}
