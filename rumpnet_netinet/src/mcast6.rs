//! The IPv6 multicast options of a UDP socket (NetBSD's
//! `ip6_setmoptions`, `ip6_getmoptions`) and the IPv6 control messages a
//! `sendmsg` may carry (`ip6_setpktopts`), which raw IPv6 sockets parse
//! with the same function. Group membership itself is the IPv6 layer's
//! ([`Ip6Layer::join_group`]).

use crate::addr::PcbAddr;
use crate::ip6layer::{Ip6Layer, Out6};
use crate::pcb::Pcb;
use netbsd_abi::{
    IPPROTO_IPV6, IPV6_DONTFRAG, IPV6_DSTOPTS, IPV6_HOPLIMIT, IPV6_HOPOPTS, IPV6_JOIN_GROUP,
    IPV6_LEAVE_GROUP, IPV6_MULTICAST_HOPS, IPV6_MULTICAST_IF, IPV6_MULTICAST_LOOP, IPV6_NEXTHOP,
    IPV6_PKTINFO, IPV6_RTHDR, IPV6_RTHDRDSTOPTS, IPV6_TCLASS, IPV6_USE_MIN_MTU,
};
use rump::{Errno, KResult};
use std::net::Ipv6Addr;

/// `sizeof(struct ipv6_mreq)` (`netinet6/in6.h`): the group, then the
/// interface index.
const MREQ_SIZE: usize = 20;
const MREQ_IFINDEX: usize = 16;
/// `sizeof(struct in6_pktinfo)`: the address, then the interface index.
const PKTINFO_SIZE: usize = 20;
const PKTINFO_IFINDEX: usize = 16;
/// `sizeof(int)`, the size of every integer option (`sockopt_getint`).
const INT_SIZE: usize = 4;
/// `CMSG_LEN(0)`, `CMSG_ALIGN` on NetBSD/amd64 (`sys/socket.h`, with
/// `__ALIGNBYTES` 7): the header, padded to eight bytes.
const CMSG_HDR: usize = 16;
const CMSG_ALIGN: usize = 8;

/// Whether `name` is an option this module sets or reads.
pub fn is_moption(name: i32) -> bool {
    matches!(
        name,
        IPV6_JOIN_GROUP
            | IPV6_LEAVE_GROUP
            | IPV6_MULTICAST_IF
            | IPV6_MULTICAST_HOPS
            | IPV6_MULTICAST_LOOP
    )
}

/// An option's value of exactly `N` bytes (`sockopt_get`: EINVAL for
/// any other size).
fn exact<const N: usize>(v: &[u8]) -> KResult<[u8; N]> {
    v.try_into().map_err(|_| Errno::EINVAL)
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Set multicast option `name` of `pcb` to `v` (`ip6_setmoptions`).
/// The unspecified group (NetBSD's request for every group, the
/// superuser's) is not supported yet: EOPNOTSUPP.
pub fn set(l: &dyn Ip6Layer, pcb: &mut Pcb, name: i32, v: &[u8]) -> KResult<()> {
    match name {
        IPV6_MULTICAST_IF => {
            let i = u32::from_le_bytes(exact::<INT_SIZE>(v)?);
            if i != 0 {
                l.check_interface(i, true)?;
            }
            pcb.mcast6_if = u16::try_from(i).map_err(|_| Errno::ENXIO)?;
        }
        IPV6_MULTICAST_HOPS => {
            let h = i32::from_le_bytes(exact::<INT_SIZE>(v)?);
            pcb.mcast6_hops = match h {
                -1 => None,
                0..=255 => Some(h as u8),
                _ => return Err(Errno::EINVAL),
            };
        }
        IPV6_MULTICAST_LOOP => {
            let on = u32::from_le_bytes(exact::<INT_SIZE>(v)?);
            if on > 1 {
                return Err(Errno::EINVAL);
            }
            pcb.mcast6_noloop = on == 0;
        }
        IPV6_JOIN_GROUP | IPV6_LEAVE_GROUP => {
            let m = exact::<MREQ_SIZE>(v)?;
            let mut g = [0u8; 16];
            g.copy_from_slice(&m[..MREQ_IFINDEX]);
            let group = Ipv6Addr::from(g);
            let idx = u32_at(&m, MREQ_IFINDEX);
            if group.is_unspecified() {
                return Err(Errno::EOPNOTSUPP);
            }
            if group.to_ipv4_mapped().is_some() {
                // NetBSD hands these to IPv4's ip_setmoptions.
                return Err(Errno::EOPNOTSUPP);
            }
            if !group.is_multicast() {
                return Err(Errno::EINVAL);
            }
            let g = PcbAddr(g);
            if name == IPV6_JOIN_GROUP {
                join(l, pcb, g, idx)?;
            } else {
                leave(l, pcb, g, idx)?;
            }
        }
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

fn join(l: &dyn Ip6Layer, pcb: &mut Pcb, g: PcbAddr, idx: u32) -> KResult<()> {
    if idx != 0 {
        // An interface named must exist (ENXIO) and do multicast.
        l.check_interface(idx, true)?;
        let i = u16::try_from(idx).map_err(|_| Errno::ENXIO)?;
        if pcb.groups6.contains(&(i, g)) {
            return Err(Errno::EADDRINUSE);
        }
    }
    let joined = l.join_group(&g, idx)?;
    if pcb.groups6.contains(&(joined, g)) {
        // Joined twice through the route's choice: give the new
        // reference back.
        let _ = l.leave_group(&g, joined);
        return Err(Errno::EADDRINUSE);
    }
    pcb.groups6.push((joined, g));
    Ok(())
}

fn leave(l: &dyn Ip6Layer, pcb: &mut Pcb, g: PcbAddr, idx: u32) -> KResult<()> {
    if idx != 0 {
        l.check_interface(idx, false)?;
    } else if g.is_link_scoped() {
        // Without an interface a link-scoped group has no zone, and
        // matches no membership (NetBSD's sa6_embedscope with
        // ip6_use_defzone off).
        return Err(Errno::EADDRNOTAVAIL);
    }
    let at = pcb
        .groups6
        .iter()
        .position(|(i, x)| *x == g && (idx == 0 || u32::from(*i) == idx))
        .ok_or(Errno::EADDRNOTAVAIL)?;
    let (i, _) = pcb.groups6.remove(at);
    l.leave_group(&g, i)
}

/// Leave `groups`, the groups a closing socket had joined
/// (`ip6_freemoptions`).
pub fn leave_all(l: &dyn Ip6Layer, groups: Vec<(u16, PcbAddr)>) {
    for (i, g) in groups {
        let _ = l.leave_group(&g, i);
    }
}

/// Read multicast option `name` (`ip6_getmoptions`).
pub fn get(pcb: &Pcb, name: i32) -> KResult<Vec<u8>> {
    let v: u32 = match name {
        IPV6_MULTICAST_IF => u32::from(pcb.mcast6_if),
        IPV6_MULTICAST_HOPS => u32::from(pcb.mcast6_hops.unwrap_or(DEFAULT_MCAST_HOPS)),
        IPV6_MULTICAST_LOOP => u32::from(!pcb.mcast6_noloop),
        _ => return Err(Errno::ENOPROTOOPT),
    };
    Ok(v.to_le_bytes().to_vec())
}

/// `ip6_defmcasthlim` (`netinet6/ip6_var.h`: `IPV6_DEFAULT_MULTICAST_HOPS`).
pub const DEFAULT_MCAST_HOPS: u8 = 1;

/// How a datagram of `pcb` goes out, before any control message.
pub fn out_opts(pcb: &Pcb) -> Out6 {
    Out6 {
        hops: pcb.hops,
        mcast_hops: pcb.mcast6_hops,
        mcast_loop: !pcb.mcast6_noloop,
        ifindex: pcb.mcast6_if,
        tclass: 0,
    }
}

/// What a `sendmsg`'s control messages ask of one datagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PktOpts {
    /// `IPV6_PKTINFO`'s source address, when not unspecified.
    pub src: Option<Ipv6Addr>,
    /// `IPV6_PKTINFO`'s interface (0: none named).
    pub ifindex: u32,
    /// `IPV6_HOPLIMIT` (None: not given, or -1).
    pub hops: Option<u8>,
    /// `IPV6_TCLASS` (None: not given, or -1).
    pub tclass: Option<u8>,
}

impl PktOpts {
    /// Lay these over the socket's options `o`: a hop limit given is
    /// used for unicast and multicast alike, an interface given is the
    /// one sent on.
    pub fn apply(&self, mut o: Out6) -> Out6 {
        if let Some(h) = self.hops {
            o.hops = Some(h);
            o.mcast_hops = Some(h);
        }
        if let Some(t) = self.tclass {
            o.tclass = t;
        }
        if self.ifindex != 0 {
            o.ifindex = self.ifindex as u16;
        }
        o
    }

    /// The source an `IPV6_PKTINFO` chose, checked as `in6_selectsrc`
    /// does (one of our ready unicast addresses, on the interface named
    /// if any; else EADDRNOTAVAIL), its zone the interface's.
    pub fn source(&self, l: &dyn Ip6Layer) -> KResult<Option<PcbAddr>> {
        let Some(s) = self.src else { return Ok(None) };
        let a = if PcbAddr(s.octets()).is_link_scoped() {
            PcbAddr::embed(s.octets(), self.ifindex)?
        } else {
            PcbAddr(s.octets())
        };
        l.check_source(&a, self.ifindex)?;
        Ok(Some(a))
    }
}

/// Parse a `sendmsg`'s control data (`ip6_setpktopts`): messages of
/// other levels are passed over; EINVAL for a malformed one (too short,
/// a length past the end, a value of the wrong size or out of range),
/// ENXIO for an interface that does not exist, ENOPROTOOPT for an
/// unknown type, EOPNOTSUPP for the RFC 3542 ones not supported yet
/// (routing and options headers, next hop, minimum MTU, don't fragment).
pub fn parse_control(l: &dyn Ip6Layer, mut c: &[u8]) -> KResult<PktOpts> {
    let mut o = PktOpts::default();
    while !c.is_empty() {
        if c.len() < CMSG_HDR {
            return Err(Errno::EINVAL);
        }
        let len = u32_at(c, 0) as usize;
        let level = u32_at(c, 4) as i32;
        let kind = u32_at(c, 8) as i32;
        if len == 0 || len > c.len() {
            return Err(Errno::EINVAL);
        }
        if level == IPPROTO_IPV6 {
            let data = c.get(CMSG_HDR..len).ok_or(Errno::EINVAL)?;
            set_pktopt(l, &mut o, kind, data)?;
        }
        let step = len.div_ceil(CMSG_ALIGN) * CMSG_ALIGN;
        c = c.get(step..).unwrap_or_default();
    }
    Ok(o)
}

/// One control message (`ip6_setpktopt` with `cmsg` set).
fn set_pktopt(l: &dyn Ip6Layer, o: &mut PktOpts, kind: i32, data: &[u8]) -> KResult<()> {
    let int_in_range = |data: &[u8]| -> KResult<Option<u8>> {
        match i32::from_le_bytes(exact::<INT_SIZE>(data)?) {
            -1 => Ok(None),
            v @ 0..=255 => Ok(Some(v as u8)),
            _ => Err(Errno::EINVAL),
        }
    };
    match kind {
        IPV6_PKTINFO => {
            let p = exact::<PKTINFO_SIZE>(data)?;
            let idx = u32_at(&p, PKTINFO_IFINDEX);
            if idx != 0 {
                l.check_interface(idx, false)?;
            }
            let mut a = [0u8; 16];
            a.copy_from_slice(&p[..PKTINFO_IFINDEX]);
            let a = Ipv6Addr::from(a);
            o.src = (!a.is_unspecified()).then_some(a);
            o.ifindex = idx;
        }
        IPV6_HOPLIMIT => o.hops = int_in_range(data)?,
        IPV6_TCLASS => o.tclass = int_in_range(data)?,
        IPV6_NEXTHOP | IPV6_HOPOPTS | IPV6_DSTOPTS | IPV6_RTHDRDSTOPTS | IPV6_RTHDR
        | IPV6_USE_MIN_MTU | IPV6_DONTFRAG => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcb::cmsg;
    use rumpnet::pkt::Pkt;

    /// An IPv6 layer with interfaces 1 and 2 (2 without multicast) and
    /// one address, 2001:db8::1 on 2.
    struct Fake;

    impl Ip6Layer for Fake {
        fn route(&self, _: &PcbAddr) -> KResult<crate::ip6layer::Route6> {
            Err(Errno::EHOSTUNREACH)
        }
        fn check_local(&self, _: &PcbAddr) -> KResult<()> {
            Ok(())
        }
        fn output(&self, _: u8, _: &PcbAddr, _: &PcbAddr, _: &Out6, _: Pkt) -> KResult<()> {
            Ok(())
        }
        fn v6only_default(&self) -> bool {
            false
        }
        fn join_group(&self, _: &PcbAddr, i: u32) -> KResult<u16> {
            if i == 0 {
                return Err(Errno::EADDRNOTAVAIL);
            }
            Ok(i as u16)
        }
        fn leave_group(&self, _: &PcbAddr, _: u16) -> KResult<()> {
            Ok(())
        }
        fn check_interface(&self, i: u32, multicast: bool) -> KResult<()> {
            match i {
                1 => Ok(()),
                2 if !multicast => Ok(()),
                2 => Err(Errno::EADDRNOTAVAIL),
                _ => Err(Errno::ENXIO),
            }
        }
        fn check_source(&self, a: &PcbAddr, i: u32) -> KResult<()> {
            let ours: Ipv6Addr = "2001:db8::1".parse().unwrap();
            if Ipv6Addr::from(a.wire()) == ours && (i == 0 || i == 2) {
                Ok(())
            } else {
                Err(Errno::EADDRNOTAVAIL)
            }
        }
    }

    fn mreq(g: &str, i: u32) -> Vec<u8> {
        let mut v = g.parse::<Ipv6Addr>().unwrap().octets().to_vec();
        v.extend_from_slice(&i.to_le_bytes());
        v
    }

    fn int(v: i32) -> Vec<u8> {
        v.to_le_bytes().to_vec()
    }

    #[test]
    fn membership_errors_are_netbsds() {
        let mut p = Pcb::default();
        let s = |p: &mut Pcb, n, v: &[u8]| set(&Fake, p, n, v);
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 1)[..19]),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("2001:db8::1", 1)),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("::", 1)),
            Err(Errno::EOPNOTSUPP)
        );
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 9)),
            Err(Errno::ENXIO)
        );
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 2)),
            Err(Errno::EADDRNOTAVAIL)
        );
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 0)),
            Err(Errno::EADDRNOTAVAIL)
        );
        assert_eq!(s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 1)), Ok(()));
        assert_eq!(
            s(&mut p, IPV6_JOIN_GROUP, &mreq("ff12::1", 1)),
            Err(Errno::EADDRINUSE)
        );
        assert_eq!(p.groups6.len(), 1);
        assert_eq!(
            s(&mut p, IPV6_LEAVE_GROUP, &mreq("ff12::2", 0)),
            Err(Errno::EADDRNOTAVAIL)
        );
        assert_eq!(
            s(&mut p, IPV6_LEAVE_GROUP, &mreq("ff12::1", 9)),
            Err(Errno::ENXIO)
        );
        assert_eq!(
            s(&mut p, IPV6_LEAVE_GROUP, &mreq("ff12::1", 0)),
            Err(Errno::EADDRNOTAVAIL)
        );
        assert_eq!(s(&mut p, IPV6_LEAVE_GROUP, &mreq("ff12::1", 1)), Ok(()));
        assert!(p.groups6.is_empty());
        // A group of wider scope leaves with interface 0.
        assert_eq!(s(&mut p, IPV6_JOIN_GROUP, &mreq("ff1e::1", 1)), Ok(()));
        assert_eq!(s(&mut p, IPV6_LEAVE_GROUP, &mreq("ff1e::1", 0)), Ok(()));
    }

    #[test]
    fn multicast_options_check_their_values() {
        let mut p = Pcb::default();
        let s = |p: &mut Pcb, n, v: &[u8]| set(&Fake, p, n, v);
        assert_eq!(get(&p, IPV6_MULTICAST_HOPS), Ok(int(1)));
        assert_eq!(get(&p, IPV6_MULTICAST_LOOP), Ok(int(1)));
        assert_eq!(
            s(&mut p, IPV6_MULTICAST_HOPS, &int(256)),
            Err(Errno::EINVAL)
        );
        assert_eq!(s(&mut p, IPV6_MULTICAST_HOPS, &int(-2)), Err(Errno::EINVAL));
        assert_eq!(s(&mut p, IPV6_MULTICAST_HOPS, &[5]), Err(Errno::EINVAL));
        assert_eq!(s(&mut p, IPV6_MULTICAST_HOPS, &int(7)), Ok(()));
        assert_eq!(get(&p, IPV6_MULTICAST_HOPS), Ok(int(7)));
        assert_eq!(s(&mut p, IPV6_MULTICAST_HOPS, &int(-1)), Ok(()));
        assert_eq!(get(&p, IPV6_MULTICAST_HOPS), Ok(int(1)));
        assert_eq!(s(&mut p, IPV6_MULTICAST_LOOP, &int(2)), Err(Errno::EINVAL));
        assert_eq!(s(&mut p, IPV6_MULTICAST_LOOP, &int(0)), Ok(()));
        assert_eq!(get(&p, IPV6_MULTICAST_LOOP), Ok(int(0)));
        assert_eq!(s(&mut p, IPV6_MULTICAST_IF, &int(9)), Err(Errno::ENXIO));
        assert_eq!(
            s(&mut p, IPV6_MULTICAST_IF, &int(2)),
            Err(Errno::EADDRNOTAVAIL)
        );
        assert_eq!(s(&mut p, IPV6_MULTICAST_IF, &int(1)), Ok(()));
        assert_eq!(get(&p, IPV6_MULTICAST_IF), Ok(int(1)));
        assert_eq!(out_opts(&p).ifindex, 1);
        assert!(!out_opts(&p).mcast_loop);
    }

    #[test]
    fn control_messages_parse_as_netbsd() {
        let mut pi = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets().to_vec();
        pi.extend_from_slice(&2u32.to_le_bytes());
        let mut c = cmsg(IPPROTO_IPV6, IPV6_PKTINFO, &pi);
        c.extend(cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(9)));
        c.extend(cmsg(0xffff, 1, &int(3)));
        c.extend(cmsg(IPPROTO_IPV6, IPV6_TCLASS, &int(0x2e)));
        let o = parse_control(&Fake, &c).unwrap();
        assert_eq!(o.ifindex, 2);
        assert_eq!(o.hops, Some(9));
        assert_eq!(o.tclass, Some(0x2e));
        assert!(o.source(&Fake).unwrap().is_some());
        let out = o.apply(Out6::default());
        assert_eq!(
            (out.hops, out.mcast_hops, out.ifindex, out.tclass),
            (Some(9), Some(9), 2, 0x2e)
        );
        let bad = |c: &[u8]| parse_control(&Fake, c);
        assert_eq!(bad(&c[..10]), Err(Errno::EINVAL));
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(256))),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, IPV6_TCLASS, &int(-2))),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &[1, 0])),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, IPV6_PKTINFO, &pi[..16])),
            Err(Errno::EINVAL)
        );
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, 9999, &int(0))),
            Err(Errno::ENOPROTOOPT)
        );
        let mut far = cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, &int(1));
        far[0] = 200;
        assert_eq!(bad(&far), Err(Errno::EINVAL));
        let mut nowhere = pi.clone();
        nowhere[16] = 9;
        assert_eq!(
            bad(&cmsg(IPPROTO_IPV6, IPV6_PKTINFO, &nowhere)),
            Err(Errno::ENXIO)
        );
        let mut other = pi.clone();
        other[16] = 1;
        let o = bad(&cmsg(IPPROTO_IPV6, IPV6_PKTINFO, &other)).unwrap();
        assert_eq!(o.source(&Fake), Err(Errno::EADDRNOTAVAIL));
    }
}
