//! Routing messages as NetBSD's `route monitor` prints them: the
//! message header, its flags and metrics, and its addresses.

use super::*;

/// `bprintf`: `<NAME,NAME>` for the bits of `v` named in `names` (bit 0
/// first), `none` for 0.
pub(super) fn bits(v: u32, names: &[&str]) -> String {
    if v == 0 {
        return "none".into();
    }
    let set: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, n)| v & (1 << i) != 0 && !n.is_empty())
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        String::new()
    } else {
        format!("<{}>", set.join(","))
    }
}

pub(super) const ROUTE_FLAG_NAMES: [&str; 20] = [
    "UP",
    "GATEWAY",
    "HOST",
    "REJECT",
    "DYNAMIC",
    "MODIFIED",
    "DONE",
    "MASK_PRESENT",
    "CONNECTED",
    "XRESOLVE",
    "LLINFO",
    "STATIC",
    "BLACKHOLE",
    "CLONED",
    "PROTO2",
    "PROTO1",
    "",
    "",
    "LOCAL",
    "BROADCAST",
];
pub(super) const IF_FLAG_NAMES: [&str; 16] = [
    "UP",
    "BROADCAST",
    "DEBUG",
    "LOOPBACK",
    "PTP",
    "NOTRAILERS",
    "RUNNING",
    "NOARP",
    "PPROMISC",
    "ALLMULTI",
    "OACTIVE",
    "SIMPLEX",
    "LINK0",
    "LINK1",
    "LINK2",
    "MULTICAST",
];
/// `RTV_*` bit names, bit 0 first.
pub(super) const METRIC_NAMES: [&str; 9] = [
    "mtu", "hopcount", "expire", "recvpipe", "sendpipe", "ssthresh", "rtt", "rttvar", "pksent",
];
/// `RTA_*` bit names, bit 0 first.
pub(super) const ADDR_NAMES: [&str; RTAX_MAX as usize] = [
    "DST", "GATEWAY", "NETMASK", "GENMASK", "IFP", "IFA", "AUTHOR", "BRD", "TAG",
];

/// The family byte of a netmask the routing table made (`rn_addmask`).
pub(super) const RADIX_MASK_FAMILY: i32 = 0xff;

/// A sockaddr as route(8) names it with -n.
pub(super) fn sa_text(sa: &[u8], netmask: bool, names: &IfNames) -> String {
    match sa_family(sa) {
        // An empty sockaddr, as a loopback's unset destination address.
        _ if sa.first().is_none_or(|&l| l == 0) => "default".into(),
        Some(AF_INET) if netmask => fmt_ipv4(sa_ipv4(sa)),
        // An IPv4 netmask as the kernel's table keeps it (`rn_addmask`):
        // the family byte is all ones.
        Some(RADIX_MASK_FAMILY) if netmask && sa.len() <= sin::SIZE => fmt_ipv4(sa_ipv4(sa)),
        Some(AF_INET) => {
            let a = sa_ipv4(sa);
            if a == [0; 4] {
                "default".into()
            } else {
                fmt_ipv4(a)
            }
        }
        Some(AF_LINK) => {
            let hw = sdl_lladdr(sa);
            let nlen = sockaddr_dl::sdl_addr__dl_nlen.get(sa).unwrap_or(0);
            let ether = sockaddr_dl::sdl_addr__dl_type.get(sa) == Some(IFT_ETHER as u64);
            if nlen == 0 && hw.is_empty() {
                link_text(sa)
            } else if ether && hw.len() == ETHER_ADDR_LEN as usize {
                // link_print: an Ethernet address as ether_ntoa writes it.
                hw_text(hw)
            } else {
                // link_ntoa: the name, then the address in dotted hex.
                let hw: Vec<String> = hw.iter().map(|b| format!("{b:x}")).collect();
                let name = sdl_name(sa);
                match (name.is_empty(), hw.is_empty()) {
                    (_, true) => name,
                    (true, false) => hw.join("."),
                    (false, false) => format!("{name}:{}", hw.join(".")),
                }
            }
        }
        Some(AF_INET6) => sa6_text(sa, names),
        Some(f) => format!("({f})"),
        None => String::new(),
    }
}

/// Interface names by index.
type IfNames = std::collections::HashMap<u16, String>;

/// `routename` of an `AF_INET6` address: a shortened one (a netmask) is
/// filled out with zeros; only a whole `sockaddr_in6` has its link-local
/// zone taken apart (`inet6_getscopeid`) and shown as `%IF`.
pub(super) fn sa6_text(sa: &[u8], names: &IfNames) -> String {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    let len = sa.first().map_or(0, |&l| usize::from(l)).min(sa.len());
    let mut whole = sa[..len].to_vec();
    whole.resize(sin6::SIZE, 0);
    if len == sin6::SIZE {
        rump_nettools::inet6::route_scoped_text(&whole, names)
    } else {
        rump_nettools::inet6::route_host_text(&whole)
    }
}

/// `pmsg_addrs`: the address bits, then each address.
pub(super) fn addrs_text(m: &RtMsg, addrs: u32, names: &IfNames) -> String {
    if addrs == 0 {
        return "\n".into();
    }
    let mut s = format!("\nsockaddrs: {}\n", bits(addrs, &ADDR_NAMES));
    // A netmask the table made has no family of its own: route(8) reads
    // it in its destination's.
    let dst_family = m.addr(RTAX_DST).and_then(sa_family);
    for (i, a) in m.addrs.iter().enumerate() {
        if let Some(a) = a {
            let netmask = i == RTAX_NETMASK as usize;
            let text = if netmask
                && dst_family == Some(AF_INET6)
                && sa_family(a) == Some(RADIX_MASK_FAMILY)
            {
                sa6_text(a, names)
            } else {
                sa_text(a, netmask, names)
            };
            s.push_str(&format!(" {text}"));
        }
    }
    s.push('\n');
    s
}

/// `print_rtmsg`.
pub(super) fn rtmsg_text(m: &RtMsg, names: &IfNames) -> String {
    let word = |f: Field| m.get(f) as u32 as i32;
    let version = m.get(rt_msghdr::rtm_version);
    if version != RTM_VERSION as u64 {
        return format!("routing message version {version} not understood\n");
    }
    let what = match m.typ {
        RTM_ADD => "RTM_ADD: Add Route",
        RTM_DELETE => "RTM_DELETE: Delete Route",
        RTM_CHANGE => "RTM_CHANGE: Change Metrics or flags",
        RTM_GET => "RTM_GET: Report Metrics",
        RTM_LOSING => "RTM_LOSING: Kernel Suspects Partitioning",
        RTM_REDIRECT => "RTM_REDIRECT: Told to use different route",
        RTM_MISS => "RTM_MISS: Lookup failed on this address",
        RTM_LOCK => "RTM_LOCK: fix specified metrics",
        RTM_OLDADD => "RTM_OLDADD: caused by SIOCADDRT",
        RTM_OLDDEL => "RTM_OLDDEL: caused by SIOCDELRT",
        RTM_NEWADDR => "RTM_NEWADDR: address being added to iface",
        RTM_DELADDR => "RTM_DELADDR: address being removed from iface",
        RTM_IFANNOUNCE => "RTM_IFANNOUNCE: iface arrival/departure",
        RTM_IFINFO => "RTM_IFINFO: iface status change",
        _ => "",
    };
    let len = m.get(rt_msghdr::rtm_msglen);
    let mut s = if what.is_empty() {
        format!("#{}: len {len}, ", m.typ)
    } else {
        format!("{what}: len {len}, ")
    };
    match m.typ {
        RTM_IFINFO => {
            let link_state = Field {
                offset: if_msghdr::ifm_data.offset + if_data::ifi_link_state.offset,
                ..if_data::ifi_link_state
            };
            let state = match word(link_state) {
                LINK_STATE_UNKNOWN => "carrier: unknown".to_string(),
                LINK_STATE_DOWN => "carrier: no carrier".to_string(),
                LINK_STATE_UP => "carrier: active".to_string(),
                v => format!("carrier: {v:#x}"),
            };
            s.push_str(&format!(
                "if# {}, {state}, flags: {}",
                m.index,
                bits(m.flags, &IF_FLAG_NAMES)
            ));
            s.push_str(&addrs_text(m, word(if_msghdr::ifm_addrs) as u32, names));
        }
        RTM_NEWADDR | RTM_DELADDR => {
            s.push_str(&format!(
                "metric {}, flags: {}",
                word(ifa_msghdr::ifam_metric),
                bits(m.flags, &ROUTE_FLAG_NAMES)
            ));
            s.push_str(&addrs_text(m, word(ifa_msghdr::ifam_addrs) as u32, names));
        }
        RTM_IFANNOUNCE => {
            let what = match word(ifan::ifan_what) {
                IFAN_ARRIVAL => "arrival".to_string(),
                IFAN_DEPARTURE => "departure".to_string(),
                w => format!("#{w}"),
            };
            s.push_str(&format!("if# {}, what: {what}\n", m.get(ifan::ifan_index)));
        }
        _ => {
            s.push_str(&format!(
                "pid {}, seq {}, errno {}, flags: {}",
                word(rt_msghdr::rtm_pid),
                word(rt_msghdr::rtm_seq),
                word(rt_msghdr::rtm_errno),
                bits(m.flags, &ROUTE_FLAG_NAMES)
            ));
            let locks = m.get(metric(netbsd_abi::layout::rt_metrics::rmx_locks)) as u32;
            s.push_str(&format!(
                "\nlocks: {} inits: {}",
                bits(locks, &METRIC_NAMES),
                bits(word(rt_msghdr::rtm_inits) as u32, &METRIC_NAMES)
            ));
            s.push_str(&addrs_text(m, word(rt_msghdr::rtm_addrs) as u32, names));
        }
    }
    s
}

/// `route monitor`: every routing message, as it comes.
pub(super) fn monitor(c: &rumpclient::Client) -> Result<(), Errno> {
    use std::io::Write;
    let m = Regions::new();
    let fd = c.syscall(SYS___socket30, &[arg(PF_ROUTE), arg(SOCK_RAW), 0], &m)?[0] as u64;
    let rb = m.add_zeroed(READ_SIZE);
    loop {
        let n = c.syscall(SYS_read, &[fd, rb, READ_SIZE as u64], &m)?[0] as usize;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let buf = m.get(rb);
        let mut out = format!("got message of size {n} on {}\n", rumpclient::ctime(now));
        if let Some(msg) = rt_messages(&buf[..n.min(buf.len())]).first() {
            // Asked again each time: interfaces come and go.
            let names = if_names(c).unwrap_or_default();
            out.push_str(&rtmsg_text(msg, &names));
        }
        let mut o = std::io::stdout().lock();
        if o.write_all(out.as_bytes())
            .and_then(|()| o.flush())
            .is_err()
        {
            return Ok(());
        }
    }
}
