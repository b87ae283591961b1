//! Neighbour entries added by hand (`ndp -s`), as NetBSD's
//! `lla_rt_output` keeps them: the link address given, state reachable,
//! never learnt over or aged by neighbour discovery. Without an expiry
//! an entry is static (permanent); with one (`ndp -s ... temp`) it keeps
//! the routing message's `rmx_expire` as its `la_expire`, which NetBSD
//! counts in seconds of uptime although ndp(8) writes wall-clock seconds
//! there, so that in practice it stays as long as a static one. `proxy`
//! (`RTF_ANNOUNCE`) marks the entry published (`LLE_PUB`), shown with
//! `p` by ndp; NetBSD's kernel answers solicitations only for published
//! routes, not for these entries, and neither does ours.

use crate::inet6::Inet6;
use rump::{Errno, KResult};
use std::net::Ipv6Addr;
use std::time::Duration;

/// A neighbour entry added through the routing socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticNeighbor {
    /// The interface.
    pub ifindex: u16,
    /// The neighbour's address.
    pub addr: Ipv6Addr,
    /// Its link-layer address.
    pub lladdr: [u8; 6],
    /// `la_expire` on the kernel's monotonic clock; `None` for a static
    /// entry (`LLE_STATIC`).
    pub expire: Option<Duration>,
    /// `LLE_PUB`: added with `RTF_ANNOUNCE` (`ndp -s ... proxy`).
    pub published: bool,
}

impl Inet6 {
    /// The entries added by hand that have not expired.
    pub fn static_neighbors(&self) -> Vec<StaticNeighbor> {
        let now = self.clock.monotonic();
        self.lock()
            .static_nbrs
            .iter()
            .filter(|n| n.expire.is_none_or(|e| e > now))
            .cloned()
            .collect()
    }

    /// The link address an entry added by hand gives `a` on `ifindex`.
    pub(crate) fn static_lladdr(&self, ifindex: u16, a: &Ipv6Addr) -> Option<[u8; 6]> {
        self.static_neighbors()
            .into_iter()
            .find(|n| n.ifindex == ifindex && n.addr == *a)
            .map(|n| n.lladdr)
    }

    /// Add an entry by hand (`lla_rt_output(RTM_ADD)`): EEXIST over one
    /// added by hand or an address of ours (both permanent); a learnt
    /// entry for the address gives way.
    pub fn add_static_neighbor(&self, n: StaticNeighbor) -> KResult<()> {
        let now = self.clock.monotonic();
        let ours = self.local_flags(&n.addr, u32::from(n.ifindex)).is_some();
        let mut st = self.lock();
        st.static_nbrs.retain(|x| x.expire.is_none_or(|e| e > now));
        let there = st
            .static_nbrs
            .iter()
            .any(|x| x.ifindex == n.ifindex && x.addr == n.addr);
        if ours || there {
            return Err(Errno::EEXIST);
        }
        st.static_nbrs.push(n.clone());
        drop(st);
        self.delete_neighbor(n.ifindex, &n.addr);
        Ok(())
    }

    /// Delete the entry added by hand for `a` on `ifindex`, and what the
    /// cache learnt about `a` meanwhile: NetBSD keeps one entry for an
    /// address, so after `ndp -d` it is solicited again.
    pub fn delete_static_neighbor(&self, ifindex: u16, a: &Ipv6Addr) -> bool {
        let mut st = self.lock();
        let before = st.static_nbrs.len();
        st.static_nbrs
            .retain(|n| !(n.ifindex == ifindex && n.addr == *a));
        let gone = st.static_nbrs.len() != before;
        drop(st);
        if gone {
            self.delete_neighbor(ifindex, a);
        }
        gone
    }
}
