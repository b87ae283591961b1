//! The default router and prefix lists as `ndp -r` and `ndp -p` read
//! them: `net.inet6.icmp6.nd6_drlist` and `nd6_prlist`, arrays of
//! `struct in6_defrouter` and of `struct in6_prefix` each followed by its
//! advertising routers (NetBSD's `fill_drlist`, `fill_prlist`).

use crate::addr;
use crate::domain::wall_seconds;
use crate::inet6::{Inet6, flags};
use crate::rtadv::Prefix;
use crate::wire::rtr::{self, pi_flag};
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{KResult, Kernel};
use std::net::Ipv6Addr;
use std::sync::Arc;

/// `ICMPV6CTL_ND6_DRLIST`, `ICMPV6CTL_ND6_PRLIST` (`netinet/icmp6.h`,
/// not in the ABI tables).
const ICMPV6CTL_ND6_DRLIST: i32 = 19;
const ICMPV6CTL_ND6_PRLIST: i32 = 20;

/// `struct in6_defrouter` on NetBSD/amd64 (`netinet6/nd6.h`): the
/// router's `sockaddr_in6`, flags, lifetime, expiry (`u_long`) and
/// interface.
mod dr {
    pub const FLAGS: usize = 28;
    pub const RTLIFETIME: usize = 30;
    pub const EXPIRE: usize = 32;
    pub const IF_INDEX: usize = 40;
    pub const SIZE: usize = 48;
}

/// `struct in6_prefix` on NetBSD/amd64 (`netinet6/nd6.h`): the prefix's
/// `sockaddr_in6`, `struct prf_ra` (a 32-bit word of bit fields:
/// on-link, autonomous), length, origin, lifetimes, expiry (`time_t`),
/// state flags, references, interface and number of routers.
mod pr {
    pub const RAFLAGS: usize = 28;
    pub const PREFIXLEN: usize = 32;
    pub const ORIGIN: usize = 33;
    pub const VLTIME: usize = 36;
    pub const PLTIME: usize = 40;
    pub const EXPIRE: usize = 48;
    pub const FLAGS: usize = 56;
    pub const REFCNT: usize = 60;
    pub const IF_INDEX: usize = 64;
    pub const ADVRTRS: usize = 66;
    pub const SIZE: usize = 72;
    /// `prf_ra`'s bits.
    pub const RA_ONLINK: u32 = 1;
    pub const RA_AUTONOMOUS: u32 = 2;
    /// `NDPRF_ONLINK`.
    pub const NDPRF_ONLINK: u32 = 1;
}

fn put(b: &mut [u8], at: usize, v: &[u8]) {
    b[at..at + v.len()].copy_from_slice(v);
}

/// The default router list (`fill_drlist`).
fn drlist(inet: &Inet6) -> Vec<u8> {
    let mut out = Vec::new();
    for r in inet.default_routers() {
        let mut e = vec![0u8; dr::SIZE];
        put(&mut e, 0, &addr::sockaddr(&r.addr, 0, u32::from(r.ifindex)));
        e[dr::FLAGS] = r.flags;
        put(&mut e, dr::RTLIFETIME, &r.lifetime.to_le_bytes());
        let expire = wall_seconds(&inet.clock, r.expire) as u64;
        put(&mut e, dr::EXPIRE, &expire.to_le_bytes());
        put(&mut e, dr::IF_INDEX, &r.ifindex.to_le_bytes());
        out.extend(e);
    }
    out
}

/// One `struct in6_prefix` and its routers.
fn prefix_entry(inet: &Inet6, p: &Prefix, refcnt: i32) -> Vec<u8> {
    let mut e = vec![0u8; pr::SIZE];
    // sa6_recoverscope: a link-local prefix carries its zone.
    let zone = if addr::is_link_scoped(&p.prefix) {
        u32::from(p.ifindex)
    } else {
        0
    };
    put(&mut e, 0, &addr::sockaddr(&p.prefix, 0, zone));
    let mut ra = 0;
    if p.flags & pi_flag::ONLINK != 0 {
        ra |= pr::RA_ONLINK;
    }
    if p.flags & pi_flag::AUTO != 0 {
        ra |= pr::RA_AUTONOMOUS;
    }
    put(&mut e, pr::RAFLAGS, &ra.to_le_bytes());
    e[pr::PREFIXLEN] = p.prefixlen;
    // PR_ORIG_RA, as fill_prlist says of every prefix.
    e[pr::ORIGIN] = 0;
    put(&mut e, pr::VLTIME, &p.valid.to_le_bytes());
    put(&mut e, pr::PLTIME, &p.preferred.to_le_bytes());
    let expire = p.expire.map_or(0, |t| wall_seconds(&inet.clock, t));
    put(&mut e, pr::EXPIRE, &expire.to_le_bytes());
    let state = if p.onlink() { pr::NDPRF_ONLINK } else { 0 };
    put(&mut e, pr::FLAGS, &state.to_le_bytes());
    put(&mut e, pr::REFCNT, &refcnt.to_le_bytes());
    put(&mut e, pr::IF_INDEX, &p.ifindex.to_le_bytes());
    put(&mut e, pr::ADVRTRS, &(p.routers.len() as u16).to_le_bytes());
    for r in &p.routers {
        e.extend(addr::sockaddr(r, 0, u32::from(p.ifindex)));
    }
    e
}

/// The prefix list (`fill_prlist`): the prefixes advertised, then those
/// of the other addresses, newest first: for ever and on-link, with the
/// count of addresses on them as `in6_update_ifa` makes them, save the
/// link-local prefix, which `in6_ifattach` makes autonomous too and
/// unreferenced.
fn prlist(inet: &Inet6) -> Vec<u8> {
    let addrs = inet.addresses();
    let mut v: Vec<Vec<u8>> = Vec::new();
    let advertised = inet.prefixes();
    for p in &advertised {
        let refs = addrs
            .iter()
            .filter(|x| {
                x.ifindex == p.ifindex
                    && x.flags & flags::AUTOCONF != 0
                    && addr::same_prefix(&x.addr, &p.prefix, p.prefixlen)
            })
            .count();
        v.push(prefix_entry(inet, p, refs as i32));
    }
    let mut seen: Vec<(u16, Ipv6Addr, u8)> = advertised
        .iter()
        .map(|p| (p.ifindex, p.prefix, p.prefixlen))
        .collect();
    for x in addrs
        .iter()
        .filter(|x| x.prefixlen < 128 && x.flags & flags::AUTOCONF == 0)
    {
        let base = Ipv6Addr::from(u128::from(x.addr) & u128::from(addr::prefix_mask(x.prefixlen)));
        if seen.contains(&(x.ifindex, base, x.prefixlen)) {
            continue;
        }
        seen.push((x.ifindex, base, x.prefixlen));
        let attached = base.is_unicast_link_local();
        let p = Prefix::manual(x.ifindex, base, x.prefixlen, attached);
        let refs = if attached {
            0
        } else {
            addrs
                .iter()
                .filter(|y| {
                    y.ifindex == x.ifindex
                        && y.prefixlen == x.prefixlen
                        && addr::same_prefix(&y.addr, &base, x.prefixlen)
                })
                .count() as i32
        };
        v.push(prefix_entry(inet, &p, refs));
    }
    v.reverse();
    v.concat()
}

/// Make `net.inet6.icmp6.nd6_drlist` and `nd6_prlist`.
pub(crate) fn register(k: &Kernel, inet: &Arc<Inet6>) -> KResult<()> {
    type Fill = fn(&Inet6) -> Vec<u8>;
    let lists: [(i32, &str, &str, Fill); 2] = [
        (
            ICMPV6CTL_ND6_DRLIST,
            "nd6_drlist",
            "Default router list",
            drlist,
        ),
        (ICMPV6CTL_ND6_PRLIST, "nd6_prlist", "Prefix list", prlist),
    ];
    for (num, name, desc, fill) in lists {
        let w = Arc::downgrade(inet);
        k.sysctl().create(
            "net.inet6.icmp6",
            NodeSpec {
                num: Some(num),
                flags: netbsd_abi::CTLFLAG_READONLY as u32,
                data: NodeData::Dynamic {
                    read: Arc::new(move || {
                        SysctlValue::Struct(w.upgrade().map_or_else(Vec::new, |i| fill(&i)))
                    }),
                    write: None,
                },
                ..NodeSpec::value(name, SysctlValue::Struct(Vec::new()), desc)
            },
        )?;
    }
    Ok(())
}

/// Lifetimes of a prefix that lives for ever.
const FOREVER: u32 = rtr::INFINITE;

impl Prefix {
    /// The prefix of an address not autoconfigured: on-link (and
    /// autonomous when `in6_ifattach` made it), for ever, advertised by
    /// nobody.
    fn manual(ifindex: u16, prefix: Ipv6Addr, prefixlen: u8, attached: bool) -> Prefix {
        let auto = if attached { pi_flag::AUTO } else { 0 };
        Prefix::new(ifindex, prefix, prefixlen, pi_flag::ONLINK | auto, FOREVER)
    }
}
