//! NetBSD's `sockaddr_in` and `sockaddr_in6` (what the kernel's callers
//! pass) to and from the host-neutral `SocketAddr` the hypercalls take.

use netbsd_abi::layout::{sockaddr_in as sin, sockaddr_in6 as sin6};
use rump::{Errno, KResult};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

/// `AF_INET`, as `sa_family` holds it.
pub const AF_INET: u8 = netbsd_abi::AF_INET as u8;
/// `AF_INET6`, as `sa_family` holds it.
pub const AF_INET6: u8 = netbsd_abi::AF_INET6 as u8;
/// `AF_UNSPEC`.
pub const AF_UNSPEC: u8 = netbsd_abi::AF_UNSPEC as u8;

fn bytes<const N: usize>(sa: &[u8], f: netbsd_abi::Field) -> KResult<[u8; N]> {
    sa.get(f.range())
        .and_then(|b| b.try_into().ok())
        .ok_or(Errno::EINVAL)
}

/// The address in `sa`, which must be of family `family` (as NetBSD's
/// `in_pcbbind`/`in6_pcbconnect` check: EAFNOSUPPORT for another family,
/// EINVAL for a short one).
pub fn parse(sa: &[u8], family: u8) -> KResult<SocketAddr> {
    let fam = *sa.get(sin::sin_family.offset).ok_or(Errno::EINVAL)?;
    if fam != family {
        return Err(Errno::EAFNOSUPPORT);
    }
    match family {
        AF_INET => {
            if sa.len() < sin::SIZE {
                return Err(Errno::EINVAL);
            }
            let port = u16::from_be_bytes(bytes(sa, sin::sin_port)?);
            let ip = Ipv4Addr::from(bytes::<4>(sa, sin::sin_addr)?);
            Ok(SocketAddr::V4(SocketAddrV4::new(ip, port)))
        }
        _ => {
            if sa.len() < sin6::SIZE {
                return Err(Errno::EINVAL);
            }
            let port = u16::from_be_bytes(bytes(sa, sin6::sin6_port)?);
            let flow = u32::from_be_bytes(bytes(sa, sin6::sin6_flowinfo)?);
            let ip = Ipv6Addr::from(bytes::<16>(sa, sin6::sin6_addr)?);
            let scope = u32::from_le_bytes(bytes(sa, sin6::sin6_scope_id)?);
            Ok(SocketAddr::V6(SocketAddrV6::new(ip, port, flow, scope)))
        }
    }
}

/// Whether `sa` is an `AF_UNSPEC` address (a datagram socket's
/// disconnect).
pub fn is_unspec(sa: &[u8]) -> bool {
    sa.get(sin::sin_family.offset) == Some(&AF_UNSPEC)
}

/// `addr` as NetBSD's sockaddr of its family.
pub fn emit(addr: &SocketAddr) -> Vec<u8> {
    match addr {
        SocketAddr::V4(a) => {
            let mut sa = vec![0u8; sin::SIZE];
            sin::sin_len.put(&mut sa, sin::SIZE as u64);
            sin::sin_family.put(&mut sa, AF_INET.into());
            sa[sin::sin_port.range()].copy_from_slice(&a.port().to_be_bytes());
            sa[sin::sin_addr.range()].copy_from_slice(&a.ip().octets());
            sa
        }
        SocketAddr::V6(a) => {
            let mut sa = vec![0u8; sin6::SIZE];
            sin6::sin6_len.put(&mut sa, sin6::SIZE as u64);
            sin6::sin6_family.put(&mut sa, AF_INET6.into());
            sa[sin6::sin6_port.range()].copy_from_slice(&a.port().to_be_bytes());
            sa[sin6::sin6_flowinfo.range()].copy_from_slice(&a.flowinfo().to_be_bytes());
            sa[sin6::sin6_addr.range()].copy_from_slice(&a.ip().octets());
            sin6::sin6_scope_id.put(&mut sa, a.scope_id().into());
            sa
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `struct sockaddr_in` for 127.0.0.1 port 2049, as NetBSD lays it out.
    const NFS_LOOPBACK: [u8; 16] = [16, 2, 0x08, 0x01, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0];

    #[test]
    fn an_inet_address_reads_and_writes_as_netbsd_lays_it_out() {
        let a = parse(&NFS_LOOPBACK, AF_INET).unwrap();
        assert_eq!(a, "127.0.0.1:2049".parse().unwrap());
        assert_eq!(emit(&a), NFS_LOOPBACK);
    }

    #[test]
    fn an_inet6_address_round_trips() {
        let a: SocketAddr = "[::1]:111".parse().unwrap();
        let sa = emit(&a);
        assert_eq!(sa.len(), 28);
        assert_eq!((sa[0], sa[1]), (28, AF_INET6));
        assert_eq!(parse(&sa, AF_INET6).unwrap(), a);
    }

    #[test]
    fn short_and_foreign_addresses_are_refused() {
        assert_eq!(parse(&NFS_LOOPBACK[..8], AF_INET), Err(Errno::EINVAL));
        assert_eq!(parse(&NFS_LOOPBACK, AF_INET6), Err(Errno::EAFNOSUPPORT));
        assert_eq!(parse(&[], AF_INET), Err(Errno::EINVAL));
    }
}
