//! Sockets: address families, `sockaddr`s, socket types, message flags
//! and socket options.

/// Families both systems have: (Linux, NetBSD).
const FAMILIES: &[(i32, u8)] = &[
    (libc::AF_UNSPEC, netbsd_abi::AF_UNSPEC as u8),
    (libc::AF_UNIX, netbsd_abi::AF_UNIX as u8),
    (libc::AF_INET, netbsd_abi::AF_INET as u8),
    (libc::AF_INET6, netbsd_abi::AF_INET6 as u8),
];

/// NetBSD's number for a Linux address family.
pub fn family_to_netbsd(f: i32) -> Option<u8> {
    FAMILIES.iter().find(|&&(l, _)| l == f).map(|&(_, n)| n)
}

/// Linux's number for a NetBSD address family.
pub fn family_to_linux(n: u8) -> Option<i32> {
    FAMILIES.iter().find(|&&(_, b)| b == n).map(|&(l, _)| l)
}

/// NetBSD's `sun_path` length.
const NETBSD_SUN_PATH: usize = netbsd_abi::layout::sockaddr_un::sun_path.size;

/// A Linux `struct sockaddr` as NetBSD's, `sa_len` first. The bytes after
/// the family are laid out alike for the families both systems have.
pub fn sockaddr_to_netbsd(b: &[u8]) -> Result<Vec<u8>, i32> {
    let fam = i32::from(u16::from_ne_bytes([
        *b.first().ok_or(libc::EINVAL)?,
        *b.get(1).ok_or(libc::EINVAL)?,
    ]));
    let nfam = family_to_netbsd(fam).ok_or(libc::EAFNOSUPPORT)?;
    let rest = &b[2..];
    let rest = match fam {
        libc::AF_UNIX => {
            // The path, NUL or not; an abstract name (leading NUL) is Linux's own.
            if rest.first() == Some(&0) && rest.len() > 1 {
                return Err(libc::EINVAL);
            }
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            if end >= NETBSD_SUN_PATH {
                return Err(libc::ENAMETOOLONG);
            }
            &rest[..end]
        }
        libc::AF_INET if rest.len() < 14 => return Err(libc::EINVAL),
        libc::AF_INET => &rest[..14],
        libc::AF_INET6 if rest.len() < 26 => return Err(libc::EINVAL),
        libc::AF_INET6 => &rest[..26],
        _ => rest,
    };
    let mut out = Vec::with_capacity(rest.len() + 3);
    out.push((rest.len() + 2).min(255) as u8);
    out.push(nfam);
    out.extend_from_slice(rest);
    if fam == libc::AF_UNIX {
        out.push(0);
    }
    Ok(out)
}

/// A NetBSD `struct sockaddr` (as long as its `sa_len` says) as Linux's.
pub fn sockaddr_from_netbsd(b: &[u8]) -> Option<Vec<u8>> {
    let len = usize::from(*b.first()?).min(b.len());
    let fam = family_to_linux(*b.get(1)?)?;
    let rest = b.get(2..len.max(2))?;
    let mut out = Vec::with_capacity(rest.len() + 3);
    out.extend_from_slice(&(fam as u16).to_ne_bytes());
    match fam {
        libc::AF_UNIX => {
            let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
            out.extend_from_slice(&rest[..end]);
            out.push(0);
        }
        _ => out.extend_from_slice(rest),
    }
    Some(out)
}

/// A Linux socket type with its flags, for the kernel. The base types
/// (stream, datagram, raw, seqpacket) are the same numbers.
pub fn socket_type_to_netbsd(t: i32) -> Result<i32, i32> {
    let base = t & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK);
    if !matches!(base, 1..=5) {
        return Err(libc::EINVAL);
    }
    let mut n = base;
    if t & libc::SOCK_CLOEXEC != 0 {
        n |= netbsd_abi::SOCK_CLOEXEC;
    }
    if t & libc::SOCK_NONBLOCK != 0 {
        n |= netbsd_abi::SOCK_NONBLOCK;
    }
    Ok(n)
}

/// `accept4` flags (SOCK_CLOEXEC, SOCK_NONBLOCK) for NetBSD's `paccept`.
pub fn accept_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    if f & !(libc::SOCK_CLOEXEC | libc::SOCK_NONBLOCK) != 0 {
        return Err(libc::EINVAL);
    }
    socket_type_to_netbsd(f | 1).map(|n| n & !1)
}

/// Message flags both systems have: (Linux, NetBSD).
const MSG_FLAGS: &[(i32, i32)] = &[
    (libc::MSG_OOB, netbsd_abi::MSG_OOB),
    (libc::MSG_PEEK, netbsd_abi::MSG_PEEK),
    (libc::MSG_DONTROUTE, netbsd_abi::MSG_DONTROUTE),
    (libc::MSG_EOR, netbsd_abi::MSG_EOR),
    (libc::MSG_TRUNC, netbsd_abi::MSG_TRUNC),
    (libc::MSG_CTRUNC, netbsd_abi::MSG_CTRUNC),
    (libc::MSG_WAITALL, netbsd_abi::MSG_WAITALL),
    (libc::MSG_DONTWAIT, netbsd_abi::MSG_DONTWAIT),
    (libc::MSG_NOSIGNAL, netbsd_abi::MSG_NOSIGNAL),
    (libc::MSG_CMSG_CLOEXEC, netbsd_abi::MSG_CMSG_CLOEXEC),
];

/// Linux `send`/`recv` flags for the kernel; flags NetBSD lacks
/// (MSG_MORE, MSG_CONFIRM, MSG_ERRQUEUE, ...) are EOPNOTSUPP.
pub fn msg_flags_to_netbsd(f: i32) -> Result<i32, i32> {
    let mut n = 0;
    let mut rest = f;
    for &(l, b) in MSG_FLAGS {
        if f & l != 0 {
            n |= b;
            rest &= !l;
        }
    }
    if rest != 0 {
        Err(libc::EOPNOTSUPP)
    } else {
        Ok(n)
    }
}

/// NetBSD message flags (`msg_flags` of a received message) for the program.
pub fn msg_flags_to_linux(n: i32) -> i32 {
    MSG_FLAGS
        .iter()
        .filter(|&&(_, b)| n & b != 0)
        .fold(0, |f, &(l, _)| f | l)
}

/// Socket options both systems have: (Linux level, Linux name, NetBSD
/// level, NetBSD name). Their values are ints or the same structures
/// (`struct linger`, `struct timeval`) on both.
const SOCKOPTS: &[(i32, i32, i32, i32)] = &[
    (
        libc::SOL_SOCKET,
        libc::SO_DEBUG,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_DEBUG,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_ACCEPTCONN,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_ACCEPTCONN,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_REUSEADDR,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_KEEPALIVE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_KEEPALIVE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_DONTROUTE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_DONTROUTE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_BROADCAST,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_BROADCAST,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_LINGER,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_LINGER,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_OOBINLINE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_OOBINLINE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_REUSEPORT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_REUSEPORT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_TIMESTAMP,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_TIMESTAMP,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDBUF,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDBUF,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVBUF,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVBUF,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDLOWAT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDLOWAT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVLOWAT,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVLOWAT,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_ERROR,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_TYPE,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_TYPE,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_SNDTIMEO,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_SNDTIMEO,
    ),
    (
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        netbsd_abi::SOL_SOCKET,
        netbsd_abi::SO_RCVTIMEO,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_NODELAY,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_NODELAY,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_MAXSEG,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_MAXSEG,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPIDLE,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPIDLE,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPINTVL,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPINTVL,
    ),
    (
        libc::IPPROTO_TCP,
        libc::TCP_KEEPCNT,
        netbsd_abi::IPPROTO_TCP,
        netbsd_abi::TCP_KEEPCNT,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_HDRINCL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_HDRINCL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_TOS,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_TOS,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_TTL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_TTL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_IF,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_IF,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_TTL,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_TTL,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_MULTICAST_LOOP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_MULTICAST_LOOP,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_ADD_MEMBERSHIP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_ADD_MEMBERSHIP,
    ),
    (
        libc::IPPROTO_IP,
        libc::IP_DROP_MEMBERSHIP,
        netbsd_abi::IPPROTO_IP,
        netbsd_abi::IP_DROP_MEMBERSHIP,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_UNICAST_HOPS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_UNICAST_HOPS,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_V6ONLY,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_V6ONLY,
    ),
    // ipv6_mreq (join and leave) is the same structure on both.
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_MULTICAST_IF,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_MULTICAST_IF,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_MULTICAST_HOPS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_MULTICAST_HOPS,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_MULTICAST_LOOP,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_MULTICAST_LOOP,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_ADD_MEMBERSHIP,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_JOIN_GROUP,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_DROP_MEMBERSHIP,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_LEAVE_GROUP,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_CHECKSUM,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_CHECKSUM,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVPKTINFO,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_RECVPKTINFO,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVHOPLIMIT,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_RECVHOPLIMIT,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_RECVTCLASS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_RECVTCLASS,
    ),
    (
        libc::IPPROTO_IPV6,
        libc::IPV6_TCLASS,
        netbsd_abi::IPPROTO_IPV6,
        netbsd_abi::IPV6_TCLASS,
    ),
];

/// NetBSD's level and name for a Linux socket option; `None` for options
/// NetBSD does not have.
pub fn sockopt_to_netbsd(level: i32, name: i32) -> Option<(i32, i32)> {
    SOCKOPTS
        .iter()
        .find(|&&(l, n, _, _)| l == level && n == name)
        .map(|&(_, _, nl, nn)| (nl, nn))
}

/// Linux's `ICMP6_FILTER` (`linux/icmpv6.h`, glibc's `netinet/icmp6.h`).
pub const LINUX_ICMP6_FILTER: i32 = 1;
/// NetBSD's `ICMP6_FILTER` (`netinet/icmp6.h`, not in the ABI tables).
pub const NETBSD_ICMP6_FILTER: i32 = 18;
/// `sizeof(struct icmp6_filter)`: 256 bits, one per ICMPv6 type, on both.
pub const ICMP6_FILTER_SIZE: usize = 32;

/// Whether a Linux socket option is `ICMP6_FILTER`.
pub fn is_icmp6_filter(level: i32, name: i32) -> bool {
    level == libc::IPPROTO_ICMPV6 && name == LINUX_ICMP6_FILTER
}

/// An `icmp6_filter` in the other system's meaning: a set bit blocks its
/// type on Linux (`ICMP6_FILTER_WILLBLOCK` tests for a set bit) and
/// passes it on NetBSD (`ICMP6_FILTER_WILLPASS` does), so the
/// translation either way inverts every bit.
pub fn icmp6_filter_invert(f: &[u8; ICMP6_FILTER_SIZE]) -> [u8; ICMP6_FILTER_SIZE] {
    f.map(|b| !b)
}
