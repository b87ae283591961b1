//! Duplicate address detection as the stack runs it: which addresses take
//! it (`if_do_dad`), starting it (`arp_dad_start`), its timer
//! (`arp_dad_timer`) sending probes and announcements, a duplicate found
//! (`arp_dad_duplicated`), and what an interface going down or up does to
//! its addresses (`in_if_down`, `in_if_up`). The state machine is
//! [`crate::dad`].

use crate::addr::{self, ANY};
use crate::dad::{Action, IN_IFF_DETACHED, IN_IFF_DUPLICATED, IN_IFF_TENTATIVE};
use crate::inet::Inet;
use rumpnet::ifnet::{IFF_LOOPBACK, Ifnet, LINK_STATE_DOWN};
use rumpnet::net::Net;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Whether addresses on `ifp` may take duplicate address detection now
/// (`if_do_dad`): not on loopback, and only while the interface is up
/// and running (NetBSD skips it for an address added before).
pub(crate) fn does_dad(ifp: &Ifnet) -> bool {
    ifp.flags() & IFF_LOOPBACK == 0 && ifp.is_usable()
}

impl Inet {
    /// The `IN_IFF_*` flags of `a` on interface `ifindex`
    /// (`SIOCGIFAFLAG_IN`).
    pub fn addr_flags(&self, ifindex: u16, a: u32) -> u32 {
        self.lock().dad.flags(ifindex, a)
    }

    /// Start detection for tentative address `a` on `ifp`
    /// (`arp_dad_start`). With `net.inet.ip.dad_count` 0 the address is
    /// usable at once: routing sockets hear `RTM_NEWADDR` and neighbours
    /// a gratuitous ARP.
    pub(crate) fn dad_start(&self, net: &Net, ifp: &Arc<Ifnet>, a: u32) {
        let count = self.cfg.dad_count.load(Ordering::Relaxed);
        let now = self.now();
        let up = ifp.flags() & rumpnet::ifnet::IFF_UP != 0;
        let (running, next) = {
            let mut st = self.lock();
            let running = st.dad.start(ifp.index, a, count, up, now, self.cprng.u32());
            (running, st.dad.next_deadline())
        };
        if !running {
            self.newaddr(net, ifp, a);
            self.arp_request_from(ifp, a, a);
        }
        if let Some(at) = next {
            self.arm_dad(at);
        }
    }

    fn arm_dad(&self, at: Duration) {
        if let (Some(id), Some(net)) = (self.dad_timer.get(), self.net()) {
            net.callouts().arm(*id, at);
        }
    }

    /// Tell routing sockets that `a` changed state (`rt_newaddrmsg`
    /// without a route).
    fn newaddr(&self, net: &Net, ifp: &Ifnet, a: u32) {
        let x = self
            .addresses()
            .into_iter()
            .find(|x| x.ifindex == ifp.index && x.addr == a);
        if let Some(x) = x {
            self.announce(net, ifp, &x, &[], true);
        }
    }

    /// The DAD timer: probes, then the address is usable and announced.
    pub(crate) fn dad_timeout(&self, now: Duration) -> Option<Duration> {
        let net = self.net()?;
        // Read before the stack's lock is taken, which is never held
        // while the interface list's is wanted.
        let running: Vec<u16> = net
            .interfaces()
            .iter()
            .filter(|i| i.is_usable())
            .map(|i| i.index)
            .collect();
        let (actions, next) = {
            let mut st = self.lock();
            let actions = st
                .dad
                .tick(now, |i| running.contains(&i), || self.cprng.u32());
            (actions, st.dad.next_deadline())
        };
        for act in actions {
            let (Action::Probe(i, a) | Action::Usable(i, a) | Action::Announce(i, a)) = act else {
                // NetBSD says so only with ARP debugging on: the address
                // stays tentative, silently.
                continue;
            };
            let Some(ifp) = net.ifindex(i) else { continue };
            match act {
                // RFC 5227's probe: from 0.0.0.0, for the address.
                Action::Probe(..) => self.arp_request_from(&ifp, ANY, a),
                Action::Usable(..) => {
                    self.newaddr(&net, &ifp, a);
                    self.arp_request_from(&ifp, a, a);
                }
                _ => self.arp_request_from(&ifp, a, a),
            }
        }
        net.drain();
        next
    }

    /// Another host claimed `a` on `ifp` while it was tentative
    /// (`arp_dad_duplicated`): it is duplicated now, as the console says.
    pub(crate) fn dad_duplicated(&self, ifp: &Ifnet, a: u32) {
        let Some(sent) = self.lock().dad.duplicated(ifp.index, a) else {
            return;
        };
        if let Some(k) = self.kernel_weak().upgrade() {
            k.printf(&format!(
                "{}: DAD detected duplicate IPv4 address {}: ARP out={}",
                ifp.name,
                addr::fmt(a),
                sent
            ));
        }
        if let Some(net) = self.net() {
            self.newaddr(&net, ifp, a);
        }
    }

    /// `ifp` went down or came up (`in_if_down`, `in_if_up`).
    pub(crate) fn if_changed(&self, ifp: &Arc<Ifnet>) {
        let Some(net) = self.net() else { return };
        if ifp.is_usable() {
            self.if_up(&net, ifp);
        } else {
            self.if_down(&net, ifp);
        }
    }

    /// The interface's addresses.
    fn addrs_on(&self, ifp: &Ifnet) -> Vec<u32> {
        self.addresses()
            .into_iter()
            .filter(|x| x.ifindex == ifp.index)
            .map(|x| x.addr)
            .collect()
    }

    /// `in_if_link_down`: detection stops and every address is detached
    /// (neither tentative nor duplicated any more).
    fn if_down(&self, net: &Net, ifp: &Arc<Ifnet>) {
        for a in self.addrs_on(ifp) {
            let changed = {
                let mut st = self.lock();
                st.dad.stop(ifp.index, a);
                let f = st.dad.flags(ifp.index, a);
                let detach = f & IN_IFF_DETACHED == 0;
                if detach {
                    let f = (f | IN_IFF_DETACHED) & !(IN_IFF_TENTATIVE | IN_IFF_DUPLICATED);
                    st.dad.set_flags(ifp.index, a, f);
                }
                detach
            };
            if changed {
                self.newaddr(net, ifp, a);
            }
        }
    }

    /// `in_if_link_up`: detached addresses become tentative again (or
    /// usable where there is no detection), and detection starts for
    /// every tentative one.
    fn if_up(&self, net: &Net, ifp: &Arc<Ifnet>) {
        if ifp.link_state() == LINK_STATE_DOWN {
            return;
        }
        for a in self.addrs_on(ifp) {
            let (f, usable) = {
                let mut st = self.lock();
                let mut f = st.dad.flags(ifp.index, a);
                let mut usable = false;
                if f & IN_IFF_DETACHED != 0 {
                    f &= !IN_IFF_DETACHED;
                    if does_dad(ifp) && st.dad.is_armed(ifp.index, a) {
                        f |= IN_IFF_TENTATIVE;
                    } else {
                        usable = f & IN_IFF_TENTATIVE == 0;
                    }
                }
                if f & IN_IFF_TENTATIVE != 0 {
                    f &= !IN_IFF_DUPLICATED;
                }
                st.dad.set_flags(ifp.index, a, f);
                (f, usable)
            };
            if usable {
                self.newaddr(net, ifp, a);
            }
            if f & IN_IFF_TENTATIVE != 0 {
                self.dad_start(net, ifp, a);
            }
        }
    }
}
