//! Path MTU discovery (RFC 8201, NetBSD's `icmp6_mtudisc_update`): a
//! packet too big about a packet of ours lowers the path MTU to its
//! destination, never below the IPv6 minimum and never up, for ten
//! minutes of the kernel's clock (`ip6_mtudisc_timeout`); output
//! fragments to it, and TCP connections to the destination send smaller
//! segments at once.

use crate::addr;
use crate::inet6::{Inet6, MIN_MTU};
use crate::wire::icmpv6;
use crate::wire::ipv6::{self, nh};
use rumpnet::ifnet::{IfStats, Ifnet};
use rumpnet_netinet::addr::PcbAddr;
use std::net::Ipv6Addr;
use std::time::Duration;

/// `ip6_mtudisc_timeout`: how long a lowered path MTU holds.
pub const PMTU_TIMEOUT: Duration = Duration::from_secs(600);

/// A destination's path MTU (what NetBSD keeps in a cloned host route's
/// `rmx_mtu`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathMtu {
    /// The destination.
    pub dst: Ipv6Addr,
    /// Its path MTU.
    pub mtu: u32,
    /// When it is forgotten.
    pub expire: Duration,
}

impl Inet6 {
    /// The MTU of packets to `dst` out of `ifp`: the link's, or a smaller
    /// path MTU learnt for `dst`.
    pub fn path_mtu(&self, ifp: &Ifnet, dst: &Ipv6Addr) -> u32 {
        let st = self.lock();
        let link = st.rtr.link_mtu(ifp);
        st.pmtu
            .iter()
            .find(|p| p.dst == *dst)
            .map_or(link, |p| p.mtu.min(link))
    }

    /// The path MTUs learnt.
    pub fn path_mtus(&self) -> Vec<PathMtu> {
        self.lock().pmtu.clone()
    }

    /// A packet too big arrived on `ifp` (`icmp6_input`'s
    /// `ICMP6_PACKET_TOO_BIG`, `icmp6_mtudisc_update`): `body` is the
    /// message, quoting a packet we sent.
    pub(crate) fn too_big_input(&self, ifp: &Ifnet, code: u8, body: &[u8]) {
        let Ok(m) = icmpv6::Message::new_checked(body) else {
            return;
        };
        // The quoted packet is cut short: its header is all we read.
        let q = m.body();
        if code != 0 || q.len() < ipv6::HEADER_LEN || q[0] >> 4 != 6 {
            IfStats::bump(&self.stats.icmp_bad);
            return;
        }
        let word = m.word();
        let at = |o: usize| {
            let mut a = [0u8; 16];
            a.copy_from_slice(&q[o..o + 16]);
            Ipv6Addr::from(a)
        };
        let (src, dst) = (at(8), at(24));
        // About a packet of ours, to a unicast destination.
        if dst.is_multicast() || self.local_flags(&src, 0).is_none() {
            return;
        }
        // RFC 8201 4: never below the minimum MTU, never up.
        let mtu = word.max(MIN_MTU as u32);
        if mtu >= self.path_mtu(ifp, &dst) {
            return;
        }
        let expire = self.clock.monotonic() + PMTU_TIMEOUT;
        {
            let mut st = self.lock();
            st.pmtu.retain(|p| p.dst != dst);
            st.pmtu.push(PathMtu { dst, mtu, expire });
        }
        IfStats::bump(&self.stats.pmtuchg);
        self.arm(expire);
        // TCP resends at once (`tcp6_ctlinput`); UDP and raw sockets'
        // later packets are fragmented to the new size by output.
        if q[6] == nh::TCP
            && let Some(ports) = q.get(ipv6::HEADER_LEN..ipv6::HEADER_LEN + 4)
            && let Some(k) = self.kernel()
        {
            let zone = if addr::is_link_scoped(&src) || addr::is_link_scoped(&dst) {
                u32::from(ifp.index)
            } else {
                0
            };
            let (Ok(s), Ok(d)) = (
                PcbAddr::embed(src.octets(), zone),
                PcbAddr::embed(dst.octets(), zone),
            ) else {
                return;
            };
            let sport = u16::from_be_bytes([ports[0], ports[1]]);
            let dport = u16::from_be_bytes([ports[2], ports[3]]);
            let inet4 = rumpnet_netinet::inet::Inet::of(&k);
            rumpnet_netinet::tcp::socket::path_mtu(&inet4, (s, sport), (d, dport), mtu);
        }
    }

    /// Path MTUs whose time ran out are forgotten; answers when the next
    /// goes.
    pub(crate) fn pmtu_timeout(&self, t: Duration) -> Option<Duration> {
        let mut st = self.lock();
        st.pmtu.retain(|p| p.expire > t);
        st.pmtu.iter().map(|p| p.expire).min()
    }
}
