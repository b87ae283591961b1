//! `rump.netstat`: NetBSD's netstat(1) as a rump kernel client, reading
//! the kernel's tables by `sysctl` as NetBSD's netstat does.
//!
//! `rump.netstat [-an] [-f inet|inet6]` lists TCP and UDP sockets
//! (`net.inet.{tcp,udp}.pcblist`, then IPv6's in
//! `net.inet6.{tcp6,udp6}.pcblist`); `-r [-f inet|inet6]` the routing
//! table (`NET_RT_DUMP`); `-i` the interfaces (`NET_RT_IFLIST`); `-s` (twice:
//! without zero counters) the ip, icmp, tcp and udp statistics
//! (`net.inet.*.stats`), then ip6, icmp6, tcp6 and udp6's
//! (`net.inet6.*.stats`), one family with `-f`, one protocol with `-p`.

use netbsd_abi::layout::{if_data, if_msghdr, sockaddr_dl, sockaddr_in as sin};
use netbsd_abi::{
    AF_INET, AF_INET6, AF_LINK, IFF_UP, NET_RT_IFLIST, RTAX_IFA, RTAX_IFP, RTAX_NETMASK,
};
use netbsd_abi::{RTM_IFINFO, RTM_NEWADDR};
use rump_nettools::*;
use rumpclient::{Client, Errno};
use std::process::ExitCode;

#[path = "rump_netstat/statistics.rs"]
mod statistics;

use statistics::{Proto, protocol, stats};

const PROG: &str = "rump.netstat";

#[derive(Default)]
struct Opts {
    all: bool,
    numeric: bool,
    routes: bool,
    interfaces: bool,
    stats: u32,
    /// `-f`: `AF_INET` or `AF_INET6`; 0 for both.
    family: i32,
    /// `-p`: the one protocol whose statistics `-s` prints.
    proto: Option<&'static Proto>,
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-an] [-f address_family]\n       {PROG} -i [-n]\n       {PROG} -r [-n] [-f address_family]\n       {PROG} -s [-s] [-f address_family | -p protocol]"
    );
    ExitCode::from(1)
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let mut o = Opts::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) else {
            return usage();
        };
        for (i, f) in flags.char_indices() {
            match f {
                'a' => o.all = true,
                'n' => o.numeric = true,
                'r' => o.routes = true,
                'i' => o.interfaces = true,
                's' => o.stats += 1,
                'f' | 'p' => {
                    let v = if i + 1 < flags.len() {
                        flags[i + 1..].to_string()
                    } else {
                        match args.next() {
                            Some(v) => v,
                            None => return usage(),
                        }
                    };
                    if f == 'p' {
                        match protocol(&v) {
                            Ok(p) => o.proto = Some(p),
                            Err(code) => return code,
                        }
                        break;
                    }
                    o.family = match v.as_str() {
                        "inet" => AF_INET,
                        "inet6" => AF_INET6,
                        _ => {
                            eprintln!(
                                "{PROG}: {v}: address family not supported yet (only inet and inet6)"
                            );
                            return ExitCode::from(1);
                        }
                    };
                    break;
                }
                'A' | 'b' | 'B' | 'd' | 'g' | 'h' | 'I' | 'L' | 'l' | 'm' | 'M' | 'N' | 'P'
                | 'q' | 'S' | 't' | 'T' | 'v' | 'V' | 'w' => {
                    eprintln!("{PROG}: -{f}: not supported yet");
                    return ExitCode::from(1);
                }
                _ => return usage(),
            }
        }
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let r = if o.routes {
        print_rttables(&c, o.family, !0)
    } else if o.interfaces {
        interfaces(&c)
    } else if o.stats > 0 {
        match o.proto {
            Some(p) => p.print(&c, o.stats <= 1),
            None => stats(&c, o.stats, o.family),
        }
        Ok(())
    } else if o.proto.is_some() {
        eprintln!("{PROG}: -p without -s: not supported yet");
        return ExitCode::from(1);
    } else {
        // Without -f, IPv4's sockets and then IPv6's, as netstat walks
        // its protox and ip6protox tables.
        let v4 = if o.family != AF_INET6 {
            sockets(&c, &o)
        } else {
            Ok(())
        };
        v4.and_then(|()| {
            if o.family != AF_INET {
                sockets6(&c, &o)
            } else {
                Ok(())
            }
        })
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{PROG}: sysctl: {}", e.description());
            ExitCode::from(1)
        }
    }
}

// ---- sockets (protopr)

const TCP_STATES: [&str; 11] = [
    "CLOSED",
    "LISTEN",
    "SYN_SENT",
    "SYN_RCVD",
    "ESTABLISHED",
    "CLOSE_WAIT",
    "FIN_WAIT_1",
    "CLOSING",
    "LAST_ACK",
    "FIN_WAIT_2",
    "TIME_WAIT",
];

/// `inetprint` with -n: `addr.port`, `*` for the any address or port, the
/// address cut to 16 characters.
fn inetprint(sa: &[u8], numeric: bool) -> String {
    let a = sa_ipv4(sa);
    let port = sa
        .get(sin::sin_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let host = if a == [0; 4] {
        "*".to_string()
    } else {
        fmt_ipv4(a)
    };
    let host: String = host.chars().take(16).collect();
    let port = if port == 0 {
        "*".to_string()
    } else {
        let _ = numeric; // no services database: ports are numbers
        port.to_string()
    };
    format!(" {:<22.22}", format!("{host}.{port}"))
}

/// The classful host part of an address (`inet_lnaof`).
fn lnaof(a: [u8; 4]) -> u32 {
    let v = u32::from_be_bytes(a);
    match a[0] {
        0..=127 => v & 0x00ff_ffff,
        128..=191 => v & 0x0000_ffff,
        _ => v & 0x0000_00ff,
    }
}

/// The `kinfo_pcb` records of the pcblist at `name` (`getpcblist_sysctl`).
fn pcblist(c: &Client, name: &str) -> Result<Vec<Vec<u8>>, Errno> {
    let mut mib = c.sysctl_name_to_mib(name)?;
    // Then op, arg (none), the element size and the count.
    let at = mib.len();
    mib.extend([0, 0, 0, 0]);
    let size = c.sysctl(&mib, None, None)?.oldlen;
    mib[at + 2] = kinfo::PCB_LEN as i32;
    mib[at + 3] = (size / kinfo::PCB_LEN) as i32;
    let r = c.sysctl(&mib, Some(size), None)?;
    r.result?;
    Ok(r.old
        .chunks_exact(kinfo::PCB_LEN)
        .map(<[u8]>::to_vec)
        .collect())
}

/// A record's receive or send queue length.
fn queue(k: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(k[at..at + 8].try_into().unwrap_or_default())
}

/// ` STATE` for a TCP record (the number when it is not one of them).
fn tcp_state(k: &[u8]) -> String {
    let st = i32::from_ne_bytes(
        k[kinfo::PCB_TSTATE..kinfo::PCB_TSTATE + 4]
            .try_into()
            .unwrap_or_default(),
    );
    match usize::try_from(st).ok().and_then(|s| TCP_STATES.get(s)) {
        Some(name) => format!(" {name}"),
        None => format!(" {st}"),
    }
}

/// netstat's `inet6print`: the address (`*` for the unspecified one,
/// a link-local one with `%interface`) cut to 16 characters, `.port` or
/// `.*`, in a 22-character column.
fn inet6print(sa: &[u8], names: &std::collections::HashMap<u16, String>) -> String {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    let (a, zone) = rump_nettools::inet6::parse_sockaddr_in6(sa)
        .unwrap_or((std::net::Ipv6Addr::UNSPECIFIED, 0));
    let port = sa
        .get(sin6::sin6_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    let host = if a.is_unspecified() {
        "*".to_string()
    } else if zone != 0 && (a.is_unicast_link_local() || a.segments()[0] & 0xff0f == 0xff02) {
        let z = u16::try_from(zone)
            .ok()
            .and_then(|i| names.get(&i).cloned());
        format!("{a}%{}", z.unwrap_or_else(|| zone.to_string()))
    } else {
        a.to_string()
    };
    let host: String = host.chars().take(16).collect();
    let port = if port == 0 {
        "*".to_string()
    } else {
        port.to_string()
    };
    format!(" {:<22.22}", format!("{host}.{port}"))
}

/// One family's socket list, as netstat's `protopr` (IPv4) and
/// `ip6protopr` (IPv6) print it.
struct PcbList<'a> {
    /// The parent of the protocols' pcblist nodes (`net.inet`).
    node: &'static str,
    /// The protocols, TCP (whose rows end in its state) first.
    protos: [&'static str; 2],
    /// What the heading says is active (`Internet connections`).
    title: &'static str,
    /// The heading of the state column.
    state_column: &'static str,
    /// The size of the family's socket address.
    sockaddr_len: usize,
    /// Whether a socket with foreign address `dst` is listed without -a.
    connected: &'a dyn Fn(&[u8]) -> bool,
    /// A local or foreign address as its column shows it.
    address: &'a dyn Fn(&[u8]) -> String,
}

/// Print `list`'s sockets, the servers too with `all`; the heading only
/// once there is a row under it.
fn protopr(c: &Client, all: bool, list: &PcbList<'_>) -> Result<(), Errno> {
    let mut first = true;
    for proto in list.protos {
        for k in pcblist(c, &format!("{}.{proto}.pcblist", list.node))? {
            let src = &k[kinfo::PCB_SRC..kinfo::PCB_SRC + list.sockaddr_len];
            let dst = &k[kinfo::PCB_DST..kinfo::PCB_DST + list.sockaddr_len];
            if !all && !(list.connected)(dst) {
                continue;
            }
            if first {
                println!(
                    "Active {}{}",
                    list.title,
                    if all { " (including servers)" } else { "" }
                );
                println!(
                    "{:<5.5} {:<6.6} {:<6.6}  {:<22.22} {:<22.22} {}",
                    "Proto",
                    "Recv-Q",
                    "Send-Q",
                    "Local Address",
                    "Foreign Address",
                    list.state_column
                );
                first = false;
            }
            let mut line = format!(
                "{proto:<5.5} {:>6} {:>6} {}{}",
                queue(&k, kinfo::PCB_RCVQ),
                queue(&k, kinfo::PCB_SNDQ),
                (list.address)(src),
                (list.address)(dst)
            );
            if proto == list.protos[0] {
                line.push_str(&tcp_state(&k));
            }
            println!("{line}");
        }
    }
    Ok(())
}

/// `protopr` for tcp and udp (`net.inet.{tcp,udp}.pcblist`): without -a,
/// sockets whose foreign address has no host part are left out.
fn sockets(c: &Client, o: &Opts) -> Result<(), Errno> {
    let list = PcbList {
        node: "net.inet",
        protos: ["tcp", "udp"],
        title: "Internet connections",
        state_column: "State",
        sockaddr_len: sin::SIZE,
        connected: &|dst| lnaof(sa_ipv4(dst)) != 0,
        address: &|sa| inetprint(sa, o.numeric),
    };
    protopr(c, o.all, &list)
}

/// `ip6protopr` for tcp6 and udp6 (`net.inet6.{tcp6,udp6}.pcblist`):
/// without -a, sockets with no foreign address are left out.
fn sockets6(c: &Client, o: &Opts) -> Result<(), Errno> {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    let names = if_names(c)?;
    let list = PcbList {
        node: "net.inet6",
        protos: ["tcp6", "udp6"],
        title: "Internet6 connections",
        state_column: "(state)",
        sockaddr_len: sin6::SIZE,
        connected: &|dst| {
            dst.get(sin6::sin6_addr.range())
                .is_some_and(|b| b.iter().any(|&x| x != 0))
        },
        address: &|sa| inet6print(sa, &names),
    };
    protopr(c, o.all, &list)
}

// ---- routes (p_rttables)

// ---- interfaces (intpr)

fn interfaces(c: &Client) -> Result<(), Errno> {
    let msgs = rtable(c, 0, NET_RT_IFLIST, 0)?;
    let names = if_names(c)?;
    println!(
        "{:<5.5} {:<5.5} {:<13.13} {:<17.17} {:>8.8} {:>5.5} {:>8.8} {:>5.5} {:>5.5}",
        "Name", "Mtu", "Network", "Address", "Ipkts", "Ierrs", "Opkts", "Oerrs", "Colls"
    );
    // Each interface's rows come from its addresses (the link address
    // first); its counters from the RTM_IFINFO before them.
    let mut cur: Option<RtMsg> = None;
    for m in msgs {
        if m.typ == RTM_IFINFO {
            cur = Some(m);
            continue;
        }
        let Some(ifm) = &cur else { continue };
        if m.typ != RTM_NEWADDR || m.index != ifm.index {
            continue;
        }
        let Some(a) = m.addr(RTAX_IFA) else {
            continue;
        };
        if sa_family(a) == Some(AF_LINK) {
            println!("{}", link_row(ifm, a));
            continue;
        }
        if sa_family(a) == Some(AF_INET6) {
            let net = netname6(a, m.addr(RTAX_NETMASK), &names);
            let host = rump_nettools::inet6::route_scoped_text(a, &names);
            println!(
                "{}{net:<13.13} {host:<17.17} {}",
                prefix(ifm),
                counters(ifm)
            );
            continue;
        }
        if sa_family(a) != Some(AF_INET) {
            continue;
        }
        let mask = u32::from_be_bytes(sa_ipv4(m.addr(RTAX_NETMASK).unwrap_or(&[])));
        let addr = sa_ipv4(a);
        let net = if mask == u32::MAX {
            format!("{}/32", fmt_ipv4(addr))
        } else {
            netname4(addr, mask)
        };
        let host = if addr == [0; 4] {
            "default".into()
        } else {
            fmt_ipv4(addr)
        };
        println!(
            "{}{net:<13.13} {host:<17.17} {}",
            prefix(ifm),
            counters(ifm)
        );
    }
    Ok(())
}

/// netstat's `netname6`: an IPv6 address's network under its mask, as
/// `ADDR%IF/LEN`.
fn netname6(
    sa: &[u8],
    mask: Option<&[u8]>,
    names: &std::collections::HashMap<u16, String>,
) -> String {
    let at = netbsd_abi::layout::sockaddr_in6::sin6_addr.offset;
    let mut net = sa.to_vec();
    for i in 0..16 {
        // A mask the kernel shortened has zeros past its end.
        let m = mask.and_then(|m| m.get(at + i)).copied().unwrap_or(0);
        if let Some(b) = net.get_mut(at + i) {
            *b &= m;
        }
    }
    rump_nettools::inet6::route_dst_text(&net, mask, names)
}

/// `name[*] mtu ` for an interface's rows.
fn prefix(ifm: &RtMsg) -> String {
    let mut name = ifm.addr(RTAX_IFP).map(sdl_name).unwrap_or_default();
    if ifm.flags & IFF_UP as u32 == 0 {
        name.push('*');
    }
    format!("{name:<5.5} {:<5} ", data(ifm, if_data::ifi_mtu))
}

/// A field of the interface's `if_data` (`ifm_data`).
fn data(ifm: &RtMsg, f: netbsd_abi::Field) -> u64 {
    ifm.get(netbsd_abi::Field {
        offset: if_msghdr::ifm_data.offset + f.offset,
        ..f
    })
}

/// Ipkts Ierrs Opkts Oerrs Colls from the interface's `if_data`.
fn counters(ifm: &RtMsg) -> String {
    let d = |f| data(ifm, f);
    format!(
        "{:>8} {:>5} {:>8} {:>5} {:>5}",
        d(if_data::ifi_ipackets),
        d(if_data::ifi_ierrors),
        d(if_data::ifi_opackets),
        d(if_data::ifi_oerrors),
        d(if_data::ifi_collisions)
    )
}

/// The `<Link>` row: the hardware address (none for loopback).
fn link_row(ifm: &RtMsg, sdl: &[u8]) -> String {
    let alen = sockaddr_dl::sdl_addr__dl_alen.get(sdl).unwrap_or(0);
    let addr = if alen == 0 {
        String::new()
    } else {
        link_text(sdl)
    };
    format!(
        "{}{:<13.13} {addr:<17.17} {}",
        prefix(ifm),
        "<Link>",
        counters(ifm)
    )
}

// ---- statistics
