//! IPv6 for the network tools: `sockaddr_in6`, KAME's embedded scope,
//! and the `netinet6/in6_var.h` requests `ifconfig` makes on an
//! `AF_INET6` socket.

use crate::{Ctl, arg, put_name};
use netbsd_abi::layout::sockaddr_in6 as sin6;
use rumpclient::{Errno, Regions};
use std::net::Ipv6Addr;

/// `sizeof(struct in6_ifreq)`: the name, then a union as large as
/// `struct icmp6_ifstat` (34 `u_quad_t`).
pub const IN6_IFREQ_SIZE: usize = 16 + 34 * 8;
/// `sizeof(struct in6_aliasreq)`: the name, three `sockaddr_in6`, flags,
/// a 24-byte `struct in6_addrlifetime`.
pub const IN6_ALIASREQ_SIZE: usize = 16 + 3 * 28 + 4 + 24;
/// `SIOCDIFADDR_IN6`.
pub const SIOCDIFADDR_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_IN, b'i', 25, IN6_IFREQ_SIZE);
/// `SIOCGIFNETMASK_IN6`.
pub const SIOCGIFNETMASK_IN6: u64 =
    netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 37, IN6_IFREQ_SIZE);
/// `SIOCGIFAFLAG_IN6`.
pub const SIOCGIFAFLAG_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 73, IN6_IFREQ_SIZE);
/// `SIOCAIFADDR_IN6`.
pub const SIOCAIFADDR_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_IN, b'i', 107, IN6_ALIASREQ_SIZE);
/// `IN6_IFF_*` and the words ifconfig prints for them, in its order.
pub const IN6_IFF_NAMES: &[(u32, &str)] = &[
    (0x01, "anycast"),
    (0x02, "tentative"),
    (0x04, "duplicated"),
    (0x08, "detached"),
    (0x10, "deprecated"),
    (0x40, "autoconf"),
    (0x80, "temporary"),
];
/// `IN6_IFF_TENTATIVE`.
pub const IN6_IFF_TENTATIVE: u32 = 0x02;
/// `SIOCGNBRINFO_IN6`: `struct in6_nbrinfo` is a name, an address, a
/// `long` (probes sent), then router, state and expiry (`int`s).
pub const SIOCGNBRINFO_IN6: u64 = netbsd_abi::ioc(netbsd_abi::IOC_INOUT, b'i', 78, NBRINFO_SIZE);
const NBRINFO_SIZE: usize = 16 + 16 + 8 + 4 + 4 + 4 + 4;

/// What `SIOCGNBRINFO_IN6` says about a neighbour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NbrInfo {
    /// Solicitations sent in its state.
    pub asked: i64,
    /// It said it is a router.
    pub isrouter: bool,
    /// `ND6_LLINFO_*`.
    pub state: i32,
    /// Wall-clock seconds when its state ends; 0: permanent.
    pub expire: i64,
}

/// Where `in6_aliasreq` keeps its address and prefix mask, and
/// `in6_ifreq` its union.
const IFRA_ADDR: usize = 16;
const IFRA_PREFIXMASK: usize = 16 + 2 * 28;
const IFR_IFRU: usize = 16;

/// Whether `a` needs a scope (link-local unicast, link- or
/// interface-local multicast).
pub fn is_link_scoped(a: &Ipv6Addr) -> bool {
    a.is_unicast_link_local() || (a.is_multicast() && matches!(a.octets()[1] & 0xf, 1 | 2))
}

/// A `sockaddr_in6` for `a` with `scope`.
pub fn sockaddr_in6(a: &Ipv6Addr, scope: u32) -> Vec<u8> {
    let mut sa = vec![0u8; sin6::SIZE];
    sin6::sin6_len.put(&mut sa, sin6::SIZE as u64);
    sin6::sin6_family.put(&mut sa, netbsd_abi::AF_INET6 as u64);
    sa[sin6::sin6_addr.range()].copy_from_slice(&a.octets());
    sin6::sin6_scope_id.put(&mut sa, u64::from(scope));
    sa
}

/// The address and scope of a `sockaddr_in6` from the kernel, its
/// embedded scope taken apart as `inet6_getscopeid(3)` does.
pub fn parse_sockaddr_in6(sa: &[u8]) -> Option<(Ipv6Addr, u32)> {
    let b: [u8; 16] = sa.get(sin6::sin6_addr.range())?.try_into().ok()?;
    let mut scope = sin6::sin6_scope_id.get(sa).unwrap_or(0) as u32;
    let mut o = b;
    if is_link_scoped(&Ipv6Addr::from(b)) && (o[2] != 0 || o[3] != 0) {
        scope = u32::from(u16::from_be_bytes([o[2], o[3]]));
        o[2] = 0;
        o[3] = 0;
    }
    Some((Ipv6Addr::from(o), scope))
}

/// The address of a route's `sockaddr_in6` as NetBSD's route(8) shows
/// it, and its scope: `inet6_getscopeid` with `INET6_IS_ADDR_LINKLOCAL |
/// INET6_IS_ADDR_MC_LINKLOCAL` takes link-local zones apart, and leaves
/// an interface-local multicast one (ff01:N::) in place.
fn route_addr(sa: &[u8]) -> (Ipv6Addr, u32) {
    let b: [u8; 16] = sa
        .get(sin6::sin6_addr.range())
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 16]);
    let a = Ipv6Addr::from(b);
    let link = a.is_unicast_link_local() || (a.is_multicast() && b[1] & 0xf == 2);
    if link && (b[2] != 0 || b[3] != 0) {
        let mut o = b;
        o[2] = 0;
        o[3] = 0;
        return (
            Ipv6Addr::from(o),
            u32::from(u16::from_be_bytes([b[2], b[3]])),
        );
    }
    (a, 0)
}

/// A host route's destination or a gateway as route(8) shows it
/// (`routename`): the address without its scope.
pub fn route_host_text(sa: &[u8]) -> String {
    route_addr(sa).0.to_string()
}

/// An address of a route's answer as route(8)'s `get` shows it
/// (`routename` after `inet6_getscopeid`): with `%IF` when it is scoped.
pub fn route_scoped_text(sa: &[u8], names: &std::collections::HashMap<u16, String>) -> String {
    let (a, scope) = route_addr(sa);
    match u16::try_from(scope).ok().filter(|&z| z != 0) {
        Some(z) => format!(
            "{a}%{}",
            names.get(&z).cloned().unwrap_or_else(|| z.to_string())
        ),
        None => a.to_string(),
    }
}

/// A route's destination as route(8) shows it: a host's address, or a
/// network (`netname6`) as `ADDR%IF/LEN`, `default` for ::/0.
pub fn route_dst_text(
    sa: &[u8],
    mask: Option<&[u8]>,
    names: &std::collections::HashMap<u16, String>,
) -> String {
    let Some(mask) = mask else {
        return route_host_text(sa);
    };
    let (a, scope) = route_addr(sa);
    // The kernel may shorten a mask to its last non-zero byte.
    let mut m = [0u8; 16];
    let have = mask.get(sin6::sin6_addr.offset..).unwrap_or(&[]);
    let n = have.len().min(16);
    m[..n].copy_from_slice(&have[..n]);
    let len = u128::from_be_bytes(m).leading_ones();
    if len == 0 && a.is_unspecified() {
        return "default".into();
    }
    let zone = u16::try_from(scope)
        .ok()
        .filter(|&z| z != 0)
        .map(|z| {
            format!(
                "%{}",
                names.get(&z).cloned().unwrap_or_else(|| z.to_string())
            )
        })
        .unwrap_or_default();
    format!("{a}{zone}/{len}")
}

/// An `AF_INET6` datagram socket on the tool's connection, for the
/// `in6_var.h` requests.
pub struct Ctl6 {
    fd: u64,
}

impl Ctl6 {
    /// Open it.
    pub fn open(ctl: &Ctl) -> Result<Ctl6, Errno> {
        let m = Regions::new();
        let r = ctl.c.syscall(
            netbsd_abi::SYS___socket30,
            &[arg(netbsd_abi::AF_INET6), arg(netbsd_abi::SOCK_DGRAM), 0],
            &m,
        )?;
        Ok(Ctl6 { fd: r[0] as u64 })
    }

    fn ioctl(&self, ctl: &Ctl, cmd: u64, data: &mut [u8]) -> Result<(), Errno> {
        let m = Regions::new();
        let a = m.add(data);
        ctl.c
            .syscall(netbsd_abi::SYS_ioctl, &[self.fd, cmd, a], &m)?;
        data.copy_from_slice(&m.get(a)[..data.len()]);
        Ok(())
    }

    fn ifreq6(name: &str, a: &Ipv6Addr, scope: u32) -> Vec<u8> {
        let mut r = vec![0u8; IN6_IFREQ_SIZE];
        put_name(&mut r, netbsd_abi::layout::ifreq::ifr_name, name);
        r[IFR_IFRU..IFR_IFRU + sin6::SIZE].copy_from_slice(&sockaddr_in6(a, scope));
        r
    }

    /// The prefix length of `a` on `name` (`SIOCGIFNETMASK_IN6`).
    pub fn prefixlen(&self, ctl: &Ctl, name: &str, a: &Ipv6Addr, scope: u32) -> Result<u32, Errno> {
        let mut r = Ctl6::ifreq6(name, a, scope);
        self.ioctl(ctl, SIOCGIFNETMASK_IN6, &mut r)?;
        let m = parse_sockaddr_in6(&r[IFR_IFRU..]).map_or(0, |(m, _)| u128::from(m));
        Ok(m.leading_ones())
    }

    /// The `IN6_IFF_*` flags of `a` on `name` (`SIOCGIFAFLAG_IN6`).
    pub fn flags(&self, ctl: &Ctl, name: &str, a: &Ipv6Addr, scope: u32) -> Result<u32, Errno> {
        let mut r = Ctl6::ifreq6(name, a, scope);
        self.ioctl(ctl, SIOCGIFAFLAG_IN6, &mut r)?;
        Ok(u32::from_le_bytes(
            r[IFR_IFRU..IFR_IFRU + 4].try_into().unwrap_or_default(),
        ))
    }

    /// Add `a`/`prefixlen` to `name` (`SIOCAIFADDR_IN6`).
    pub fn add(&self, ctl: &Ctl, name: &str, a: &Ipv6Addr, prefixlen: u32) -> Result<(), Errno> {
        let mut q = vec![0u8; IN6_ALIASREQ_SIZE];
        put_name(&mut q, netbsd_abi::layout::ifreq::ifr_name, name);
        q[IFRA_ADDR..IFRA_ADDR + sin6::SIZE].copy_from_slice(&sockaddr_in6(a, 0));
        let mask = Ipv6Addr::from(u128::MAX.checked_shl(128 - prefixlen).unwrap_or(0));
        q[IFRA_PREFIXMASK..IFRA_PREFIXMASK + sin6::SIZE].copy_from_slice(&sockaddr_in6(&mask, 0));
        self.ioctl(ctl, SIOCAIFADDR_IN6, &mut q)
    }

    /// The neighbour cache's word on `a` on `name` (`SIOCGNBRINFO_IN6`).
    pub fn nbrinfo(&self, ctl: &Ctl, name: &str, a: &Ipv6Addr) -> Result<NbrInfo, Errno> {
        let mut r = vec![0u8; NBRINFO_SIZE];
        put_name(&mut r, netbsd_abi::layout::ifreq::ifr_name, name);
        r[16..32].copy_from_slice(&a.octets());
        self.ioctl(ctl, SIOCGNBRINFO_IN6, &mut r)?;
        let int = |at: usize| i32::from_le_bytes(r[at..at + 4].try_into().unwrap_or_default());
        Ok(NbrInfo {
            asked: i64::from_le_bytes(r[32..40].try_into().unwrap_or_default()),
            isrouter: int(40) != 0,
            state: int(44),
            expire: i64::from(int(48)),
        })
    }

    /// Delete `a` from `name` (`SIOCDIFADDR_IN6`).
    pub fn delete(&self, ctl: &Ctl, name: &str, a: &Ipv6Addr) -> Result<(), Errno> {
        let mut r = Ctl6::ifreq6(name, a, 0);
        self.ioctl(ctl, SIOCDIFADDR_IN6, &mut r)
    }
}

/// `CMSG_DATA`'s offset in a control message: `struct cmsghdr` (a
/// `socklen_t` and two ints) rounded to a `long`.
const CMSG_DATA: usize = 16;

/// One datagram read with `recvmsg` from an IPv6 socket, with what the
/// control messages of `IPV6_RECVHOPLIMIT` and `IPV6_RECVPKTINFO` said.
pub struct Received6 {
    /// The data (for a raw ICMPv6 socket, the ICMPv6 message).
    pub data: Vec<u8>,
    /// The sender and its scope.
    pub from: (Ipv6Addr, u32),
    /// The hop limit it arrived with (`IPV6_HOPLIMIT`).
    pub hlim: Option<i32>,
    /// Whether an `IPV6_PKTINFO` message came.
    pub pktinfo: bool,
    /// The destination address and arriving interface that message named.
    pub to: Option<(Ipv6Addr, u32)>,
}

/// Read one datagram from `fd` with `recvmsg` and `flags`.
pub fn recvmsg6(c: &rumpclient::Client, fd: u64, flags: i32) -> Result<Received6, Errno> {
    use netbsd_abi::layout::{iovec, msghdr};
    use netbsd_abi::{IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_PKTINFO};
    const BUF: usize = 2048;
    const CTL: usize = 128;
    let m = Regions::new();
    let buf = m.add_zeroed(BUF);
    let from = m.add_zeroed(sin6::SIZE);
    let ctl = m.add_zeroed(CTL);
    let mut iov = vec![0u8; iovec::SIZE];
    iovec::iov_base.put(&mut iov, buf);
    iovec::iov_len.put(&mut iov, BUF as u64);
    let mut h = vec![0u8; msghdr::SIZE];
    msghdr::msg_name.put(&mut h, from);
    msghdr::msg_namelen.put(&mut h, sin6::SIZE as u64);
    msghdr::msg_iov.put(&mut h, m.add(&iov));
    msghdr::msg_iovlen.put(&mut h, 1);
    msghdr::msg_control.put(&mut h, ctl);
    msghdr::msg_controllen.put(&mut h, CTL as u64);
    let hp = m.add(&h);
    let n = c.syscall(netbsd_abi::SYS_recvmsg, &[fd, hp, arg(flags)], &m)?[0] as usize;
    let b = m.get(buf);
    let h = m.get(hp);
    let clen = msghdr::msg_controllen.get(&h).unwrap_or(0) as usize;
    let cm = m.get(ctl);
    let (mut hlim, mut pktinfo, mut to) = (None, false, None);
    let mut at = 0;
    while at + CMSG_DATA <= clen.min(cm.len()) {
        let word = |o: usize| i32::from_le_bytes(cm[o..o + 4].try_into().unwrap_or_default());
        let len = word(at) as usize;
        if word(at + 4) == IPPROTO_IPV6 {
            match word(at + 8) {
                IPV6_HOPLIMIT if at + CMSG_DATA + 4 <= cm.len() => {
                    hlim = Some(word(at + CMSG_DATA))
                }
                IPV6_PKTINFO => {
                    pktinfo = true;
                    // struct in6_pktinfo: the address, then the index.
                    let d = at + CMSG_DATA;
                    if d + 20 <= cm.len() {
                        let a: [u8; 16] = cm[d..d + 16].try_into().unwrap_or_default();
                        to = Some((Ipv6Addr::from(a), word(d + 16) as u32));
                    }
                }
                _ => {}
            }
        }
        if len == 0 {
            break;
        }
        at += len.div_ceil(8) * 8;
    }
    Ok(Received6 {
        data: b[..n.min(b.len())].to_vec(),
        from: parse_sockaddr_in6(&m.get(from)).unwrap_or((Ipv6Addr::UNSPECIFIED, 0)),
        hlim,
        pktinfo,
        to,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_read_as_netbsds_route_prints_them() {
        let names = std::collections::HashMap::from([(1u16, "lo0".to_string())]);
        let sa = |a: &str| sockaddr_in6(&a.parse().unwrap(), 0);
        // fe80:1::/64 is fe80::%lo0/64; ff01:1::/32 keeps its zone; a
        // host route shows no scope.
        let m64 = sa("ffff:ffff:ffff:ffff::");
        assert_eq!(
            route_dst_text(&sa("fe80:1::"), Some(&m64), &names),
            "fe80::%lo0/64"
        );
        let m32 = sa("ffff:ffff::");
        assert_eq!(
            route_dst_text(&sa("ff01:1::"), Some(&m32), &names),
            "ff01:1::/32"
        );
        assert_eq!(
            route_dst_text(&sa("ff02:1::"), Some(&m32[..12]), &names),
            "ff02::%lo0/32"
        );
        assert_eq!(route_dst_text(&sa("fe80:1::1"), None, &names), "fe80::1");
        assert_eq!(
            route_dst_text(&sa("::"), Some(&sa("::")), &names),
            "default"
        );
    }

    #[test]
    fn embedded_scope_is_taken_apart() {
        // fe80:2::1 is fe80::1 on interface 2 (KAME).
        let a: Ipv6Addr = "fe80:2::1".parse().unwrap();
        let (b, s) = parse_sockaddr_in6(&sockaddr_in6(&a, 0)).unwrap();
        assert_eq!((b, s), ("fe80::1".parse().unwrap(), 2));
        let g: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(parse_sockaddr_in6(&sockaddr_in6(&g, 0)), Some((g, 0)));
    }
}
