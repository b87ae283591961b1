//! Multicast listener discovery as a listener (RFC 2710, NetBSD's
//! `mld6.c`): the groups each interface listens to, with their
//! reference counts (the solicited-node group of each address, and
//! `IPV6_JOIN_GROUP`), an unsolicited report twice on joining, a done
//! on leaving when we were the last to report, reports to queries after
//! a random delay up to the query's maximum, and ours held back when
//! another node reports first. The all-nodes group and groups of less
//! than link scope are never reported (RFC 2710 5).

use crate::addr;
use crate::inet6::{Inet6, flags};
use crate::rtadv::ALL_ROUTERS;
use crate::wire::ipv6::{self, Repr, nh};
use crate::wire::mld::{self, MldMsg};
use rumpnet::ifnet::{IfStats, Ifnet, LinkType};
use rumpnet::net::Net;
use rumpnet::pkt::Pkt;
use rumpnet::wire::ethernet::{Address, ethertype};
use std::net::Ipv6Addr;
use std::sync::Arc;
use std::time::Duration;

/// `MLD_UNSOLICITED_REPORT_INTERVAL` (`mld6_var.h`): the second
/// unsolicited report follows the first within this.
const UNSOLICITED_REPORT_INTERVAL_MS: u64 = 10_000;
/// The hop-by-hop header MLD messages carry: next header ICMPv6, length
/// 0, a router alert option (RFC 2711) for MLD (value 0), and PadN.
const HBH_ROUTER_ALERT: [u8; 8] = [nh::ICMPV6, 0, ipv6::OPT_ROUTER_ALERT, 2, 0, 0, 1, 0];
/// MLD messages never leave the link (RFC 2710 3).
const MLD_HLIM: u8 = 1;
/// Link-local scope (RFC 4291 2.7).
const SCOPE_LINK: u8 = 2;

/// One group an interface listens to (`struct in6_multi`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    /// The interface.
    pub ifindex: u16,
    /// The group.
    pub group: Ipv6Addr,
    /// How many joined it (addresses and sockets).
    pub refs: u32,
    /// When our delayed report goes (`None`: idle).
    pub timer: Option<Duration>,
    /// Whether we sent the last report heard (`MLD_IREPORTEDLAST`), so
    /// that leaving sends a done.
    pub last_reporter: bool,
}

/// Whether `g` is reported: not all nodes, not of less than link scope.
fn reported(g: &Ipv6Addr) -> bool {
    *g != addr::ALL_NODES && g.octets()[1] & 0x0f >= SCOPE_LINK
}

impl Inet6 {
    /// The groups every interface listens to (besides all nodes).
    pub fn memberships(&self) -> Vec<Membership> {
        self.lock().groups.clone()
    }

    /// Whether `ifp` listens to group `g` (`IN6_LOOKUP_MULTI`).
    pub(crate) fn in_group(&self, ifp: &Ifnet, g: &Ipv6Addr) -> bool {
        *g == addr::ALL_NODES
            || self
                .lock()
                .groups
                .iter()
                .any(|m| m.ifindex == ifp.index && m.group == *g)
    }

    /// A random delay below `max_ms` milliseconds, from the kernel's
    /// cprng.
    fn random_delay(&self, max_ms: u64) -> Duration {
        let r = self.kernel().map_or(0, |k| k.cprng().u64());
        Duration::from_millis(if max_ms == 0 { 0 } else { r % max_ms })
    }

    /// Join `g` on `ifp` (`in6_addmulti`): a new membership sends an
    /// unsolicited report at once and another within
    /// `MLD_UNSOLICITED_REPORT_INTERVAL` (`mld_start_listening`).
    pub fn join_group(&self, ifp: &Arc<Ifnet>, g: &Ipv6Addr) -> rump::KResult<()> {
        if !g.is_multicast() {
            return Err(rump::Errno::EINVAL);
        }
        let now = self.clock.monotonic();
        let report = {
            let mut st = self.lock();
            if let Some(m) = st
                .groups
                .iter_mut()
                .find(|m| m.ifindex == ifp.index && m.group == *g)
            {
                m.refs += 1;
                return Ok(());
            }
            let report = reported(g) && ifp.is_usable() && ifp.link_type() == LinkType::Ethernet;
            let timer = report.then(|| now + self.random_delay(UNSOLICITED_REPORT_INTERVAL_MS));
            st.groups.push(Membership {
                ifindex: ifp.index,
                group: *g,
                refs: 1,
                timer,
                last_reporter: report,
            });
            timer
        };
        if let Some(at) = report {
            self.send_mld(ifp, mld::kind::REPORT, g, g);
            self.arm(at);
        }
        Ok(())
    }

    /// Leave `g` on interface `ifindex` (`in6_delmulti`): the last
    /// reference gone, a done to all routers if we reported last
    /// (`mld_stop_listening`). EADDRNOTAVAIL if we are not in it.
    pub fn leave_group(&self, ifindex: u16, g: &Ipv6Addr) -> rump::KResult<()> {
        let done = {
            let mut st = self.lock();
            let i = st
                .groups
                .iter()
                .position(|m| m.ifindex == ifindex && m.group == *g)
                .ok_or(rump::Errno::EADDRNOTAVAIL)?;
            st.groups[i].refs -= 1;
            if st.groups[i].refs > 0 {
                return Ok(());
            }
            let m = st.groups.remove(i);
            m.last_reporter && reported(g)
        };
        if done && let Some(ifp) = self.net().and_then(|n| n.ifindex(ifindex)) {
            self.send_mld(&ifp, mld::kind::DONE, g, &ALL_ROUTERS);
        }
        Ok(())
    }

    /// `ifp` came up: its groups report themselves as if joined now.
    pub(crate) fn mld_if_up(&self, ifp: &Arc<Ifnet>) {
        let groups: Vec<Ipv6Addr> = self
            .lock()
            .groups
            .iter()
            .filter(|m| m.ifindex == ifp.index && reported(&m.group))
            .map(|m| m.group)
            .collect();
        let now = self.clock.monotonic();
        for g in groups {
            let at = now + self.random_delay(UNSOLICITED_REPORT_INTERVAL_MS);
            {
                let mut st = self.lock();
                if let Some(m) = st
                    .groups
                    .iter_mut()
                    .find(|m| m.ifindex == ifp.index && m.group == g)
                {
                    m.timer = Some(at);
                    m.last_reporter = true;
                }
            }
            self.send_mld(ifp, mld::kind::REPORT, &g, &g);
            self.arm(at);
        }
    }

    /// Send MLD message `kind` about `group` to `dst` on `ifp` (`mld_sendpkt`):
    /// hop limit 1, a router alert, from the interface's link-local
    /// address, or `::` while that is tentative (RFC 3590 4).
    fn send_mld(&self, ifp: &Arc<Ifnet>, kind: u8, group: &Ipv6Addr, dst: &Ipv6Addr) {
        if ifp.link_type() != LinkType::Ethernet || !ifp.is_usable() {
            return;
        }
        let src = {
            let st = self.lock();
            let Some(ll) = st
                .addrs
                .iter()
                .find(|x| x.ifindex == ifp.index && x.addr.is_unicast_link_local())
            else {
                return;
            };
            if ll.flags & flags::NOTREADY != 0 {
                Ipv6Addr::UNSPECIFIED
            } else {
                ll.addr
            }
        };
        let mut msg = mld::build(kind, 0, group);
        let c = ipv6::upper_checksum(&src, dst, nh::ICMPV6, &msg);
        msg[2..4].copy_from_slice(&c.to_be_bytes());
        let mut body = HBH_ROUTER_ALERT.to_vec();
        body.extend_from_slice(&msg);
        let mut pkt = Pkt::with_payload(&body);
        Repr {
            src,
            dst: *dst,
            next_header: nh::HOPOPTS,
            hop_limit: MLD_HLIM,
            payload_len: body.len() as u16,
        }
        .emit(pkt.prepend(ipv6::HEADER_LEN));
        let _ = ifp.ether_output(pkt, Address(addr::multicast_mac(dst)), ethertype::IPV6);
    }

    /// An MLD message arrived on `ifp` from `src` (`mld_input`): a query
    /// starts or shortens the delayed report of the groups it asks about,
    /// a report by another node cancels ours.
    pub(crate) fn mld_input(&self, ifp: &Arc<Ifnet>, src: &Ipv6Addr, dst: &Ipv6Addr, body: &[u8]) {
        let Ok(m) = MldMsg::new_checked(body) else {
            IfStats::bump(&self.stats.icmp_bad);
            return;
        };
        // RFC 2710 5: from a link-local source only (a report from ::
        // comes from a node still doing DAD, and is heard).
        let from_dad = m.kind() == mld::kind::REPORT && src.is_unspecified();
        if !(src.is_unicast_link_local() || from_dad) {
            IfStats::bump(&self.stats.icmp_bad);
            return;
        }
        let g = m.group();
        let now = self.clock.monotonic();
        match m.kind() {
            mld::kind::QUERY => {
                // A general query goes to all nodes; a group's to the
                // group.
                if !g.is_unspecified() && (!g.is_multicast() || *dst != g) {
                    return;
                }
                let max = u64::from(m.max_delay_ms());
                let mut now_report = Vec::new();
                let mut soonest = None;
                {
                    let mut st = self.lock();
                    for x in st.groups.iter_mut().filter(|x| {
                        x.ifindex == ifp.index
                            && reported(&x.group)
                            && (g.is_unspecified() || x.group == g)
                    }) {
                        if max == 0 {
                            x.timer = None;
                            x.last_reporter = true;
                            now_report.push(x.group);
                            continue;
                        }
                        let at = now + self.random_delay(max);
                        if x.timer.is_none_or(|t| t > at) {
                            x.timer = Some(at);
                        }
                        soonest = Some(soonest.map_or(at, |s: Duration| s.min(at)));
                    }
                }
                for g in now_report {
                    self.send_mld(ifp, mld::kind::REPORT, &g, &g);
                }
                if let Some(at) = soonest {
                    self.arm(at);
                }
            }
            mld::kind::REPORT => {
                let mut st = self.lock();
                if let Some(x) = st
                    .groups
                    .iter_mut()
                    .find(|x| x.ifindex == ifp.index && x.group == g)
                {
                    x.timer = None;
                    x.last_reporter = false;
                }
            }
            _ => {}
        }
    }

    /// The MLD timer: delayed reports whose time came (`mld_timeo`).
    /// Answers when it wants to run next.
    pub(crate) fn mld_timeout(&self, net: &Net, t: Duration) -> Option<Duration> {
        let mut due = Vec::new();
        let mut next: Option<Duration> = None;
        {
            let mut st = self.lock();
            for m in st.groups.iter_mut() {
                match m.timer {
                    Some(at) if at <= t => {
                        m.timer = None;
                        m.last_reporter = true;
                        due.push((m.ifindex, m.group));
                    }
                    Some(at) => next = Some(next.map_or(at, |n| n.min(at))),
                    None => {}
                }
            }
        }
        for (i, g) in due {
            if let Some(ifp) = net.ifindex(i) {
                self.send_mld(&ifp, mld::kind::REPORT, &g, &g);
            }
        }
        next
    }
}
