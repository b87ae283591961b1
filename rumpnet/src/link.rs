//! The link-layer domain (`AF_LINK`, NetBSD's `sys/net/link_proto.c`):
//! datagram sockets whose one use is asking an interface about its
//! link-layer addresses (`SIOCGLIFADDR`, `SIOCALIFADDR`, `SIOCDLIFADDR`),
//! as `ifconfig` does for every interface it prints. Every other request
//! on them is EOPNOTSUPP, as on NetBSD.
//!
//! An interface here has exactly one link address, the one it was made
//! with (`if_dl`, active); adding a second one is not supported yet.

use crate::ifioctl::sockaddr_dl;
use crate::ifnet::{IFT_ETHER, Ifnet};
use crate::net::Domain;
use crate::socket::{ProtoSocket, Received, SOCK_DGRAM, SockShared, poll_bits};
use netbsd_abi::layout::sockaddr_dl as sdl;
use rump::syscall::Ctx;
use rump::usermem::UserSpace;
use rump::{Errno, KResult};
use std::sync::Arc;

/// `struct if_laddrreq` (`net/if.h`), which the ABI tables do not carry:
/// `char iflr_name[IFNAMSIZ]; unsigned flags; unsigned prefixlen;
/// struct sockaddr_storage addr, dstaddr;` (280 bytes, as the size in
/// `SIOCGLIFADDR` says).
mod if_laddrreq {
    /// `flags` (`IFLR_*`).
    pub const FLAGS: usize = 16;
    /// `prefixlen`, in bits.
    pub const PREFIXLEN: usize = 20;
    /// `addr`, a `sockaddr_storage`.
    pub const ADDR: usize = 24;
    /// `sizeof(struct sockaddr_storage)`.
    pub const ADDR_SIZE: usize = netbsd_abi::layout::sockaddr_storage::SIZE;
}

/// Socket buffer sizes of a link socket; nothing is ever queued on one.
const LINK_SOCKBUF: usize = 8192;

/// `AF_LINK` for the socket layer.
pub struct LinkDomain;

impl Domain for LinkDomain {
    fn family(&self) -> u8 {
        netbsd_abi::AF_LINK as u8
    }

    fn socket(&self, ctx: &Ctx, typ: i32, protocol: i32) -> KResult<Arc<dyn ProtoSocket>> {
        // socreate: the one protocol is (SOCK_DGRAM, 0); another type with
        // protocol 0 is EPROTOTYPE, any other protocol EPROTONOSUPPORT.
        match (typ, protocol) {
            (SOCK_DGRAM, 0) => Ok(Arc::new(LinkSocket {
                shared: SockShared::new(ctx.kernel().weak(), LINK_SOCKBUF, LINK_SOCKBUF),
            })),
            (_, 0) => Err(Errno::EPROTOTYPE),
            _ => Err(Errno::EPROTONOSUPPORT),
        }
    }

    fn ifioctl(
        &self,
        ctx: &Ctx,
        cmd: u64,
        data: &mut [u8],
        ifp: &Arc<Ifnet>,
        _user: &dyn UserSpace,
    ) -> KResult<()> {
        match cmd {
            netbsd_abi::SIOCGLIFADDR => get_lifaddr(data, ifp),
            netbsd_abi::SIOCALIFADDR | netbsd_abi::SIOCDLIFADDR => {
                if ctx.cred().euid != 0 {
                    return Err(Errno::EPERM);
                }
                let ours = matches_link_address(data, ifp)?;
                match (cmd, ours) {
                    // Already there (and active, being the only one).
                    (netbsd_abi::SIOCALIFADDR, true) => Ok(()),
                    (netbsd_abi::SIOCALIFADDR, false) => {
                        ctx.kernel().printf(&format!(
                            "{}: a second link-layer address is not supported yet",
                            ifp.name
                        ));
                        Err(Errno::EOPNOTSUPP)
                    }
                    // The active address cannot go.
                    (_, true) => Err(Errno::EBUSY),
                    (_, false) => Err(Errno::EADDRNOTAVAIL),
                }
            }
            _ => Err(Errno::ENOTTY),
        }
    }
}

/// `if_addrlen`: the length of the interface's link address.
fn addrlen(ifp: &Ifnet) -> usize {
    if ifp.if_type() == IFT_ETHER {
        ifp.hwaddr.0.len()
    } else {
        0
    }
}

/// Check the request's address as `link_control` does (EINVAL unless it
/// is a link address as long as the interface's, and a prefix, if one is
/// given, covers all of it) and say whether it is the interface's own.
fn matches_link_address(data: &[u8], ifp: &Ifnet) -> KResult<bool> {
    use if_laddrreq::{ADDR, ADDR_SIZE, FLAGS, PREFIXLEN};
    let sa = data.get(ADDR..ADDR + ADDR_SIZE).ok_or(Errno::EINVAL)?;
    let family = sdl::sdl_family.get(sa).ok_or(Errno::EINVAL)?;
    if family != netbsd_abi::AF_LINK as u64 {
        return Err(Errno::EINVAL);
    }
    let alen = sdl::sdl_addr__dl_alen.get(sa).ok_or(Errno::EINVAL)? as usize;
    let nlen = sdl::sdl_addr__dl_nlen.get(sa).ok_or(Errno::EINVAL)? as usize;
    if alen != addrlen(ifp) {
        return Err(Errno::EINVAL);
    }
    let flags = u32_at(data, FLAGS)?;
    if flags & netbsd_abi::IFLR_PREFIX as u32 != 0 && u32_at(data, PREFIXLEN)? as usize != 8 * alen
    {
        return Err(Errno::EINVAL);
    }
    let at = sdl::sdl_addr__dl_data.offset + nlen;
    let given = sa.get(at..at + alen).ok_or(Errno::EINVAL)?;
    Ok(given == &ifp.hwaddr.0[..alen])
}

/// `SIOCGLIFADDR`: the interface's link address with its flags; with
/// `IFLR_PREFIX` only if it is the address asked about.
fn get_lifaddr(data: &mut [u8], ifp: &Ifnet) -> KResult<()> {
    use if_laddrreq::{ADDR, ADDR_SIZE, FLAGS};
    let ours = matches_link_address(data, ifp)?;
    let prefix = u32_at(data, FLAGS)? & netbsd_abi::IFLR_PREFIX as u32 != 0;
    if prefix && !ours {
        return Err(Errno::EADDRNOTAVAIL);
    }
    let mut flags = netbsd_abi::IFLR_ACTIVE as u32;
    // if_set_sadl: an Ethernet address is the factory one (if_hwdl) unless
    // it is locally administered; loopback has none.
    if ifp.if_type() == IFT_ETHER && ifp.hwaddr.0[0] & 0x02 == 0 {
        flags |= netbsd_abi::IFLR_FACTORY as u32;
    }
    data[FLAGS..FLAGS + 4].copy_from_slice(&flags.to_le_bytes());
    let sa = sockaddr_dl(ifp);
    let out = data.get_mut(ADDR..ADDR + ADDR_SIZE).ok_or(Errno::EINVAL)?;
    out.fill(0);
    out[..sa.len()].copy_from_slice(&sa);
    Ok(())
}

fn u32_at(data: &[u8], off: usize) -> KResult<u32> {
    let b = data.get(off..off + 4).ok_or(Errno::EINVAL)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// A link socket: it carries nothing.
pub struct LinkSocket {
    shared: SockShared,
}

impl ProtoSocket for LinkSocket {
    fn shared(&self) -> &SockShared {
        &self.shared
    }

    fn kind(&self) -> (i32, i32, i32) {
        (netbsd_abi::AF_LINK, SOCK_DGRAM, 0)
    }

    fn send(&self, _ctx: &Ctx, _data: &[u8], to: Option<&[u8]>, _flags: i32) -> KResult<usize> {
        // sosend refuses an unconnected datagram without an address before
        // the protocol is asked; link_send refuses the rest.
        match to {
            None => Err(Errno::EDESTADDRREQ),
            Some(_) => Err(Errno::EOPNOTSUPP),
        }
    }

    fn recv(&self, _buf: &mut [u8], _flags: i32) -> KResult<Received> {
        // Nothing ever arrives: a receive waits as on NetBSD.
        Err(Errno::EAGAIN)
    }

    fn sockname(&self) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn peername(&self) -> KResult<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn poll(&self, events: i16) -> i16 {
        poll_bits(events, false, true, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ifnet::{IfDriver, LinkType};
    use crate::pkt::Pkt;
    use crate::wire::ethernet::Address;

    struct Wire;
    impl IfDriver for Wire {
        fn link_type(&self) -> LinkType {
            LinkType::Ethernet
        }
        fn transmit(&self, _frame: Pkt) -> bool {
            true
        }
    }

    fn shmif(hw: [u8; 6]) -> Ifnet {
        Ifnet::new(
            2,
            "shmif0".into(),
            crate::net::IfConfig {
                driver: Box::new(Wire),
                hwaddr: Address(hw),
                flags: 0,
                mtu: 1500,
            },
            Arc::default(),
            Arc::new(rump::clock::KernelClock::new()),
        )
    }

    /// An `if_laddrreq` as ifconfig's print_link_addresses fills it in.
    fn request(ifp: &Ifnet, hw: &[u8], prefix: bool) -> Vec<u8> {
        let mut d = vec![0u8; 280];
        d[..ifp.name.len()].copy_from_slice(ifp.name.as_bytes());
        if prefix {
            d[16..20].copy_from_slice(&(netbsd_abi::IFLR_PREFIX as u32).to_le_bytes());
            d[20..24].copy_from_slice(&(8 * hw.len() as u32).to_le_bytes());
        }
        let sa = &mut d[24..];
        sa[0] = 20;
        sa[1] = netbsd_abi::AF_LINK as u8;
        sa[5] = ifp.name.len() as u8;
        sa[6] = hw.len() as u8;
        sa[8..8 + ifp.name.len()].copy_from_slice(ifp.name.as_bytes());
        sa[8 + ifp.name.len()..8 + ifp.name.len() + hw.len()].copy_from_slice(hw);
        d
    }

    #[test]
    fn the_interfaces_own_address_is_active_and_local_ones_not_factory() {
        let hw = [0xb2, 0xa0, 1, 2, 3, 4];
        let ifp = shmif(hw);
        let mut d = request(&ifp, &hw, true);
        get_lifaddr(&mut d, &ifp).unwrap();
        assert_eq!(u32_at(&d, 16).unwrap(), netbsd_abi::IFLR_ACTIVE as u32);
        let sa = sockaddr_dl(&ifp);
        assert_eq!(&d[24..24 + sa.len()], &sa[..]);
        // A globally administered address is the factory one too.
        let hw = [0x00, 0x1b, 1, 2, 3, 4];
        let ifp = shmif(hw);
        let mut d = request(&ifp, &hw, true);
        get_lifaddr(&mut d, &ifp).unwrap();
        assert_eq!(
            u32_at(&d, 16).unwrap(),
            (netbsd_abi::IFLR_ACTIVE | netbsd_abi::IFLR_FACTORY) as u32
        );
    }

    #[test]
    fn other_addresses_lengths_and_prefixes_are_refused_as_link_control_does() {
        let hw = [0xb2, 0xa0, 1, 2, 3, 4];
        let ifp = shmif(hw);
        // Another address asked by prefix: not ours.
        let mut d = request(&ifp, &[0xb2, 0xa0, 9, 9, 9, 9], true);
        assert_eq!(get_lifaddr(&mut d, &ifp), Err(Errno::EADDRNOTAVAIL));
        // Without IFLR_PREFIX the first link address answers.
        let mut d = request(&ifp, &[0xb2, 0xa0, 9, 9, 9, 9], false);
        assert_eq!(get_lifaddr(&mut d, &ifp), Ok(()));
        // A length other than the interface's.
        let mut d = request(&ifp, &hw[..4], false);
        assert_eq!(get_lifaddr(&mut d, &ifp), Err(Errno::EINVAL));
        // A prefix that does not cover the address.
        let mut d = request(&ifp, &hw, true);
        d[20..24].copy_from_slice(&8u32.to_le_bytes());
        assert_eq!(get_lifaddr(&mut d, &ifp), Err(Errno::EINVAL));
        // Not a link address at all.
        let mut d = request(&ifp, &hw, false);
        d[25] = 2;
        assert_eq!(get_lifaddr(&mut d, &ifp), Err(Errno::EINVAL));
        // The active address matches; a short request is refused.
        assert_eq!(
            matches_link_address(&request(&ifp, &hw, true), &ifp),
            Ok(true)
        );
        assert_eq!(matches_link_address(&[0u8; 30], &ifp), Err(Errno::EINVAL));
    }
}
