//! `net.route.rtable`: the routing table and the interface list as
//! routing messages, as route(8), netstat(1) and arp(8) read them.

use netbsd_abi::layout::{if_msghdr, ifa_msghdr, rt_msghdr, sockaddr_dl, sockaddr_in};
use netbsd_abi::{self as abi, AF_INET, AF_LINK, AF_UNSPEC};
use rump::{Kernel, KernelBuilder};
use rumpnet::route::{parse_addrs, rta};
use rumpnet::rtsysctl::{NET_RT_DUMP, NET_RT_FLAGS, NET_RT_IFLIST, RTM_IFINFO, RTM_NEWADDR};
use std::sync::Arc;

fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .component(&rumpnet::COMPONENT)
        .component(&rumpnet_netinet::COMPONENT)
        .boot()
        .expect("boot")
}

/// `sysctl(CTL_NET, PF_ROUTE, 0, af, op, arg)`, sized first as route(8)
/// does.
fn rtable(k: &Kernel, af: i32, op: i32, arg: i32) -> Vec<u8> {
    let mib = [abi::CTL_NET, abi::PF_ROUTE, 0, af, op, arg];
    let need = k.sys_sysctl(&mib, None, None).expect("size");
    need.result.expect("size");
    let o = k.sys_sysctl(&mib, Some(need.oldlen), None).expect("dump");
    o.result.expect("dump");
    assert_eq!(o.old.len(), need.oldlen);
    o.old
}

/// One message: type, flags, index, and its sockaddrs by `RTA_*` bit.
type Msg = (u8, u32, u16, Vec<Option<Vec<u8>>>);

fn messages(mut b: &[u8]) -> Vec<Msg> {
    let mut out = Vec::new();
    while b.len() >= 4 {
        // The three headers share msglen, version and type.
        let len = rt_msghdr::rtm_msglen.get(b).unwrap() as usize;
        assert!(
            len >= ifa_msghdr::SIZE && len <= b.len(),
            "message length {len}"
        );
        let version = rt_msghdr::rtm_version.get(b).unwrap();
        assert_eq!(version, abi::RTM_VERSION as u64, "RTM_VERSION");
        let typ = rt_msghdr::rtm_type.get(b).unwrap() as u8;
        let (hdr, addrs, flags, index) = match typ {
            RTM_IFINFO => (
                if_msghdr::SIZE,
                if_msghdr::ifm_addrs,
                if_msghdr::ifm_flags,
                if_msghdr::ifm_index,
            ),
            RTM_NEWADDR => (
                ifa_msghdr::SIZE,
                ifa_msghdr::ifam_addrs,
                ifa_msghdr::ifam_flags,
                ifa_msghdr::ifam_index,
            ),
            _ => (
                rt_msghdr::SIZE,
                rt_msghdr::rtm_addrs,
                rt_msghdr::rtm_flags,
                rt_msghdr::rtm_index,
            ),
        };
        let get = |f: netbsd_abi::Field| f.get(b).unwrap();
        let addrs = parse_addrs(get(addrs) as u32, &b[hdr..len]).expect("sockaddrs");
        out.push((typ, get(flags) as u32, get(index) as u16, addrs.to_vec()));
        b = &b[len..];
    }
    assert!(b.is_empty());
    out
}

/// A `sockaddr_dl`'s interface name.
fn dl_name(sdl: &[u8]) -> &[u8] {
    let at = sockaddr_dl::sdl_addr__dl_data.offset;
    let nlen = sockaddr_dl::sdl_addr__dl_nlen.get(sdl).unwrap() as usize;
    &sdl[at..at + nlen]
}

fn inet(sa: &Option<Vec<u8>>) -> [u8; 4] {
    let sa = sa.as_ref().expect("address");
    assert_eq!(sa[sockaddr_in::sin_family.offset], AF_INET as u8);
    sa[sockaddr_in::sin_addr.range()].try_into().unwrap()
}

#[test]
fn the_route_dump_has_loopback_and_flags_select() {
    let k = boot();
    let all = messages(&rtable(&k, AF_UNSPEC, NET_RT_DUMP, 0));
    // As on NetBSD, lo0's address has its local host route (RTF_UP,
    // RTF_HOST, RTF_LOCAL) and lo0 no prefix route at all.
    assert!(
        !all.iter().any(|m| inet(&m.3[0]) == [127, 0, 0, 0]),
        "no 127/8 route"
    );
    let lo = all
        .iter()
        .find(|m| inet(&m.3[0]) == [127, 0, 0, 1])
        .expect("127.0.0.1 is routed");
    assert_eq!(lo.0, abi::RTM_GET as u8);
    let uhl = (abi::RTF_UP | abi::RTF_HOST | abi::RTF_LOCAL) as u32;
    assert_eq!(lo.1 & uhl, uhl, "UHl");
    let rtax = |i: i32| i as usize;
    assert!(
        lo.3[rtax(abi::RTAX_NETMASK)].is_none(),
        "a host route has no netmask"
    );
    // Its gateway is lo0's link address, with lo0's name.
    let gw = lo.3[rtax(abi::RTAX_GATEWAY)].as_ref().expect("gateway");
    let family_index = |sdl: &[u8]| {
        let family = sdl[sockaddr_dl::sdl_family.offset];
        (family, sockaddr_dl::sdl_index.get(sdl).unwrap())
    };
    assert_eq!(family_index(gw), (AF_LINK as u8, 1));
    assert_eq!(dl_name(gw), b"lo0");
    let ifp = lo.3[rtax(abi::RTAX_IFP)].as_ref().expect("RTA_IFP");
    assert_eq!(dl_name(ifp), b"lo0");
    // Only AF_INET asked for: the same; a flag none has: nothing.
    assert_eq!(
        messages(&rtable(&k, AF_INET, NET_RT_DUMP, 0)).len(),
        all.len()
    );
    assert!(
        rtable(&k, AF_INET, NET_RT_FLAGS, abi::RTF_GATEWAY).is_empty(),
        "no RTF_GATEWAY route"
    );
    // Wrong name lengths and writes are refused, as NetBSD does.
    let rt_dump = [abi::CTL_NET, abi::PF_ROUTE, 0, AF_UNSPEC, NET_RT_DUMP];
    let short = k.sys_sysctl(&rt_dump, None, None).unwrap();
    assert_eq!(short.result, Err(rump::Errno::EINVAL));
    let write = k
        .sys_sysctl(&[&rt_dump[..], &[0]].concat(), None, Some(&[0]))
        .unwrap();
    assert_eq!(write.result, Err(rump::Errno::EPERM));
}

#[test]
fn the_interface_list_has_lo0_and_its_address() {
    let k = boot();
    let m = messages(&rtable(&k, AF_UNSPEC, NET_RT_IFLIST, 0));
    assert_eq!(m[0].0, RTM_IFINFO);
    assert_eq!(m[0].2, 1, "lo0 is index 1");
    assert!(m[0].1 & abi::IFF_UP as u32 != 0, "IFF_UP");
    let sdl = m[0].3[rta::IFP.trailing_zeros() as usize]
        .as_ref()
        .expect("link address");
    assert_eq!(dl_name(sdl), b"lo0");
    // The link address comes first, then the inet one.
    let ifa = abi::RTAX_IFA as usize;
    let family = |sa: &[u8]| sa[sockaddr_in::sin_family.offset];
    let link = m[1].3[ifa].as_ref().expect("link address");
    assert_eq!((m[1].0, family(link)), (RTM_NEWADDR, AF_LINK as u8));
    let a = m
        .iter()
        .find(|x| {
            x.0 == RTM_NEWADDR
                && x.2 == 1
                && x.3[ifa]
                    .as_ref()
                    .is_some_and(|s| family(s) == AF_INET as u8)
        })
        .expect("lo0's address");
    assert_eq!(inet(&a.3[ifa]), [127, 0, 0, 1], "RTA_IFA");
    let netmask = abi::RTAX_NETMASK as usize;
    assert_eq!(inet(&a.3[netmask]), [255, 0, 0, 0], "RTA_NETMASK");
    // arg picks one interface; one that does not exist gives nothing.
    assert_eq!(messages(&rtable(&k, AF_UNSPEC, NET_RT_IFLIST, 1)).len(), 3);
    assert_eq!(
        messages(&rtable(&k, AF_INET, NET_RT_IFLIST, 1)).len(),
        2,
        "no link address"
    );
    assert!(rtable(&k, AF_UNSPEC, NET_RT_IFLIST, 99).is_empty());
}
