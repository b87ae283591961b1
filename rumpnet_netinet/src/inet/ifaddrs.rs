//! The interface address table: which addresses are ours and usable,
//! adding and removing them with the routes they bring
//! (`in_ifinit`, `in_purgeaddr`) and the routing-socket messages
//! that announce them, subnet broadcast addresses, and an interface
//! going away.

use super::{IfAddr, Inet, RTF_CONNECTED};
use crate::addr::{self, ANY, BROADCAST};
use crate::arp_dad::does_dad;
use crate::dad::{IN_IFF_DETACHED, IN_IFF_NOTREADY, IN_IFF_TENTATIVE};
use crate::rtable::{Route, RouteOrigin, local_route, prefix_route, scrub_prefix};
use rump::{Errno, KResult};
use rumpnet::ifnet::{IFF_LOOPBACK, Ifnet, LINK_STATE_DOWN, LinkType};
use rumpnet::net::Net;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Inet {
    /// Every address, in the order added.
    pub fn addresses(&self) -> Vec<IfAddr> {
        self.lock().addrs.clone()
    }

    /// Whether `a` is one of our addresses (on any interface).
    pub fn is_local(&self, a: u32) -> bool {
        self.lock().addrs.iter().any(|x| x.addr == a)
    }

    /// The `IN_IFF_*` flags of our address `a` (the first interface's
    /// that has it), or `None` if it is not ours.
    pub fn local_flags(&self, a: u32) -> Option<u32> {
        let st = self.lock();
        st.addrs
            .iter()
            .find(|x| x.addr == a)
            .map(|x| st.dad.flags(x.ifindex, a))
    }

    /// Whether `a` is one of our addresses and may be bound to: not
    /// tentative, duplicated or detached (`in_pcbbind_addr`).
    pub fn is_usable_local(&self, a: u32) -> bool {
        self.local_flags(a)
            .is_some_and(|f| f & (IN_IFF_NOTREADY | IN_IFF_DETACHED) == 0)
    }

    /// Whether a datagram to `a` that arrived on `ifp` is for us: one of
    /// our addresses, on `ifp` itself when `net.inet.ip.checkinterface`
    /// asks for the strong ES model (which `ip_input` applies only when
    /// not forwarding, and never to what came through loopback).
    pub(super) fn is_local_on(&self, ifp: &Ifnet, a: u32) -> bool {
        let check = self.cfg.checkinterface.load(Ordering::Relaxed)
            && !self.cfg.forwarding.load(Ordering::Relaxed)
            && ifp.flags() & IFF_LOOPBACK == 0;
        let st = self.lock();
        st.addrs.iter().any(|x| {
            x.addr == a
                && (!check || x.ifindex == ifp.index)
                && !st.dad.not_ready(x.ifindex, x.addr)
        })
    }

    /// The first address on interface `ifindex`.
    pub fn first_addr(&self, ifindex: u16) -> Option<u32> {
        self.lock()
            .addrs
            .iter()
            .find(|x| x.ifindex == ifindex)
            .map(|x| x.addr)
    }

    /// Add (or change) an address on `ifp` (`SIOCAIFADDR`, `in_ifinit`):
    /// its local host route through the loopback interface and its prefix
    /// route follow it, and the interface comes up. A new address on a
    /// broadcast interface is tentative while duplicate address detection
    /// runs (detached if the link is down); any other address is
    /// announced to the neighbours at once with a gratuitous ARP.
    pub fn add_address(&self, net: &Net, ifp: &Arc<Ifnet>, a: IfAddr) -> KResult<()> {
        if a.addr == ANY || addr::is_multicast(a.addr) || a.addr == BROADCAST {
            return Err(Errno::EINVAL);
        }
        let lo = net
            .interfaces()
            .into_iter()
            .find(|i| i.flags() & IFF_LOOPBACK != 0);
        let (scrubbed, added, is_new) = {
            let mut st = self.lock();
            // A changed address gives up its old prefix first (in_ifscrub).
            let old = st
                .addrs
                .iter()
                .position(|x| x.addr == a.addr && x.ifindex == a.ifindex)
                .map(|i| st.addrs.remove(i));
            let is_new = old.is_none();
            let scrubbed = old.map(|o| scrub_prefix(&mut st, &o)).unwrap_or_default();
            // in_ifinit and arp_ifinit: only an address added while its
            // interface is up and running takes detection.
            if is_new && does_dad(ifp) {
                if ifp.link_state() == LINK_STATE_DOWN {
                    st.dad.set_flags(a.ifindex, a.addr, IN_IFF_DETACHED);
                } else if ifp.link_type() == LinkType::Ethernet {
                    st.dad.arm(a.ifindex, a.addr);
                }
            }
            st.addrs.push(a.clone());
            let mut added = Vec::new();
            if let Some(r) = local_route(&st, ifp, lo.as_deref(), &a) {
                st.routes.push(r.clone());
                added.push(r);
            }
            if let Some((dst, mask, flags)) = prefix_route(ifp, &a)
                && !st.routes.iter().any(|r| r.dst == dst && r.mask == mask)
            {
                let r = Route {
                    dst,
                    mask,
                    gateway: None,
                    ifindex: a.ifindex,
                    flags,
                    uses: 0,
                    ifa: Some(a.addr),
                    link_gateway: None,
                    mtu: 0,
                    expire: if flags & RTF_CONNECTED != 0 {
                        self.wall_secs()
                    } else {
                        0
                    },
                    origin: RouteOrigin::Prefix,
                };
                st.routes.push(r.clone());
                added.push(r);
            }
            (scrubbed, added, is_new)
        };
        if !scrubbed.is_empty() {
            self.announce(net, ifp, &a, &scrubbed, false);
        }
        self.announce_address(net, ifp, &a, &added, true, is_new);
        let flags = ifp.flags();
        if flags & rumpnet::ifnet::IFF_UP == 0 {
            net.set_flags(ifp, flags | rumpnet::ifnet::IFF_UP)?;
        }
        let flags = self.addr_flags(a.ifindex, a.addr);
        if ifp.link_type() == LinkType::Ethernet && flags & (IN_IFF_NOTREADY | IN_IFF_DETACHED) == 0
        {
            self.arp_request_from(ifp, a.addr, a.addr);
        }
        if flags & IN_IFF_TENTATIVE != 0 {
            self.dad_start(net, ifp, a.addr);
        }
        Ok(())
    }

    /// Tell the routing sockets that address `a` came (`RTM_NEWADDR` and
    /// `RTM_ADD` for each of its `routes`) or went (`RTM_DELETE` and
    /// `RTM_DELADDR`), as NetBSD's `rt_newaddrmsg` does for each route an
    /// address change makes or takes (see [`super::announce`]).
    pub(crate) fn announce(
        &self,
        net: &Net,
        ifp: &Ifnet,
        a: &IfAddr,
        routes: &[Route],
        added: bool,
    ) {
        self.announce_address(net, ifp, a, routes, added, false);
    }

    /// Remove address `a` from `ifp` (`SIOCDIFADDR`) with its routes.
    pub fn remove_address(&self, ifindex: u16, a: u32) -> KResult<()> {
        let (gone, routes) = self.take_address(ifindex, a)?;
        if let Some(net) = self.net()
            && let Some(ifp) = net.ifindex(ifindex)
        {
            self.announce(&net, &ifp, &gone, &routes, false);
        }
        Ok(())
    }

    /// Take address `a` off interface `ifindex` (`in_purgeaddr`), and the
    /// routes that go with it: its prefix route unless another address
    /// takes it over (`in_scrubprefix`), its local route unless the same
    /// address is on another interface (`in_ifremlocal`).
    fn take_address(&self, ifindex: u16, a: u32) -> KResult<(IfAddr, Vec<Route>)> {
        let mut st = self.lock();
        let i = st
            .addrs
            .iter()
            .position(|x| x.ifindex == ifindex && x.addr == a)
            .ok_or(Errno::EADDRNOTAVAIL)?;
        let gone = st.addrs.remove(i);
        st.dad.forget(ifindex, a);
        let mut routes = scrub_prefix(&mut st, &gone);
        let twin = st
            .addrs
            .iter()
            .find(|x| x.addr == gone.addr)
            .map(|x| x.ifindex);
        let local = |r: &Route| r.origin == RouteOrigin::Local && r.dst == gone.addr;
        match twin {
            Some(other) => {
                for r in st.routes.iter_mut().filter(|r| local(r)) {
                    r.link_gateway = Some(other);
                }
            }
            None => {
                routes.extend(st.routes.iter().filter(|r| local(r)).cloned());
                st.routes.retain(|r| !local(r));
            }
        }
        Ok((gone, routes))
    }

    /// The interface is going: its addresses go (announced), then its
    /// routes and ARP entries.
    pub fn detach_interface(&self, ifp: &Ifnet) {
        let ifindex = ifp.index;
        let mine: Vec<u32> = self
            .addresses()
            .iter()
            .filter(|x| x.ifindex == ifindex)
            .map(|x| x.addr)
            .collect();
        for a in mine {
            if let Ok((gone, routes)) = self.take_address(ifindex, a)
                && let Some(net) = self.net()
            {
                self.announce(&net, ifp, &gone, &routes, false);
            }
        }
        let mut st = self.lock();
        st.addrs.retain(|x| x.ifindex != ifindex);
        st.routes
            .retain(|r| r.ifindex != ifindex && r.link_gateway != Some(ifindex));
        st.arp.remove_interface(ifindex);
    }

    /// Whether `a` is the broadcast address of a subnet on `ifindex`
    /// (`in_broadcast`): its broadcast address, or with
    /// `net.inet.ip.hostzerobroadcast` its host-zero address.
    pub fn is_subnet_broadcast(&self, ifindex: u16, a: u32) -> bool {
        let hostzero = self.cfg.hostzerobroadcast.load(Ordering::Relaxed);
        self.lock().addrs.iter().any(|x| {
            x.ifindex == ifindex
                && (x.bcast == a || (hostzero && x.mask != u32::MAX && a == x.net()))
        })
    }

    /// Whether a datagram to `a` arriving on `ifindex` is to a broadcast
    /// address of one of its subnets (`ip_match_our_address_broadcast`),
    /// whose address is usable: not tentative or duplicated.
    pub(super) fn is_subnet_broadcast_in(&self, ifindex: u16, a: u32) -> bool {
        let hostzero = self.cfg.hostzerobroadcast.load(Ordering::Relaxed);
        let st = self.lock();
        st.addrs.iter().any(|x| {
            x.ifindex == ifindex
                && !st.dad.not_ready(x.ifindex, x.addr)
                && (x.bcast == a || (hostzero && x.mask != u32::MAX && a == x.net()))
        })
    }
}
