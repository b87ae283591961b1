//! `net.route.rtable`: the routing table and the interface list as
//! routing messages, as route(8), netstat(1) and arp(8) read them.

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
    let mib = [4, 34, 0, af, op, arg];
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
        let len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        assert!(len >= 24 && len <= b.len(), "message length {len}");
        assert_eq!(b[2], 4, "RTM_VERSION");
        let typ = b[3];
        let (hdr, addrs_at, flags_at, index_at) = match typ {
            RTM_IFINFO => (152, 4, 8, 12),
            RTM_NEWADDR => (24, 4, 8, 16),
            _ => (120, 12, 8, 4),
        };
        let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        let addrs = parse_addrs(word(addrs_at), &b[hdr..len]).expect("sockaddrs");
        let index = u16::from_le_bytes([b[index_at], b[index_at + 1]]);
        out.push((typ, word(flags_at), index, addrs.to_vec()));
        b = &b[len..];
    }
    assert!(b.is_empty());
    out
}

fn inet(sa: &Option<Vec<u8>>) -> [u8; 4] {
    let sa = sa.as_ref().expect("address");
    assert_eq!(sa[1], 2, "AF_INET");
    sa[4..8].try_into().unwrap()
}

#[test]
fn the_route_dump_has_loopback_and_flags_select() {
    let k = boot();
    let all = messages(&rtable(&k, 0, NET_RT_DUMP, 0));
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
    assert_eq!(lo.0, 4, "RTM_GET");
    assert_eq!(lo.1 & (0x1 | 0x4 | 0x40000), 0x1 | 0x4 | 0x40000, "UHl");
    assert!(lo.3[2].is_none(), "a host route has no netmask");
    // Its gateway is lo0's link address, with lo0's name.
    let gw = lo.3[1].as_ref().expect("gateway");
    assert_eq!((gw[1], u16::from_le_bytes([gw[2], gw[3]])), (18, 1));
    assert_eq!(&gw[8..8 + usize::from(gw[5])], b"lo0");
    let ifp = lo.3[4].as_ref().expect("RTA_IFP");
    assert_eq!(&ifp[8..8 + usize::from(ifp[5])], b"lo0");
    // Only AF_INET asked for: the same; a flag none has: nothing.
    assert_eq!(messages(&rtable(&k, 2, NET_RT_DUMP, 0)).len(), all.len());
    assert!(
        rtable(&k, 2, NET_RT_FLAGS, 0x2).is_empty(),
        "no RTF_GATEWAY route"
    );
    // Wrong name lengths and writes are refused, as NetBSD does.
    let short = k.sys_sysctl(&[4, 34, 0, 0, 1], None, None).unwrap();
    assert_eq!(short.result, Err(rump::Errno::EINVAL));
    let write = k
        .sys_sysctl(&[4, 34, 0, 0, 1, 0], None, Some(&[0]))
        .unwrap();
    assert_eq!(write.result, Err(rump::Errno::EPERM));
}

#[test]
fn the_interface_list_has_lo0_and_its_address() {
    let k = boot();
    let m = messages(&rtable(&k, 0, NET_RT_IFLIST, 0));
    assert_eq!(m[0].0, RTM_IFINFO);
    assert_eq!(m[0].2, 1, "lo0 is index 1");
    assert!(m[0].1 & 0x1 != 0, "IFF_UP");
    let sdl = m[0].3[rta::IFP.trailing_zeros() as usize]
        .as_ref()
        .expect("link address");
    assert_eq!(&sdl[8..11], b"lo0");
    // The link address comes first, then the inet one.
    let link = m[1].3[5].as_ref().expect("link address");
    assert_eq!((m[1].0, link[1]), (RTM_NEWADDR, 18));
    let a = m
        .iter()
        .find(|x| x.0 == RTM_NEWADDR && x.2 == 1 && x.3[5].as_ref().is_some_and(|s| s[1] == 2))
        .expect("lo0's address");
    assert_eq!(inet(&a.3[5]), [127, 0, 0, 1], "RTA_IFA");
    assert_eq!(inet(&a.3[2]), [255, 0, 0, 0], "RTA_NETMASK");
    // arg picks one interface; one that does not exist gives nothing.
    assert_eq!(messages(&rtable(&k, 0, NET_RT_IFLIST, 1)).len(), 3);
    assert_eq!(
        messages(&rtable(&k, 2, NET_RT_IFLIST, 1)).len(),
        2,
        "no link address"
    );
    assert!(rtable(&k, 0, NET_RT_IFLIST, 99).is_empty());
}
