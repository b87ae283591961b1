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
            Some(p) => (p.print)(&c, o.stats <= 1, p.name),
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

/// `ip6protopr` for tcp6 and udp6 (`net.inet6.{tcp6,udp6}.pcblist`):
/// without -a, sockets with no foreign address are left out.
fn sockets6(c: &Client, o: &Opts) -> Result<(), Errno> {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    let names = if_names(c)?;
    let mut first = true;
    for proto in ["tcp6", "udp6"] {
        for k in pcblist(c, &format!("net.inet6.{proto}.pcblist"))? {
            let src = &k[kinfo::PCB_SRC..kinfo::PCB_SRC + sin6::SIZE];
            let dst = &k[kinfo::PCB_DST..kinfo::PCB_DST + sin6::SIZE];
            let unspecified = dst
                .get(sin6::sin6_addr.range())
                .is_none_or(|b| b.iter().all(|&x| x == 0));
            if !o.all && unspecified {
                continue;
            }
            if first {
                println!(
                    "Active Internet6 connections{}",
                    if o.all { " (including servers)" } else { "" }
                );
                println!(
                    "{:<5.5} {:<6.6} {:<6.6}  {:<22.22} {:<22.22} (state)",
                    "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address"
                );
                first = false;
            }
            let mut line = format!(
                "{proto:<5.5} {:>6} {:>6} {}{}",
                queue(&k, kinfo::PCB_RCVQ),
                queue(&k, kinfo::PCB_SNDQ),
                inet6print(src, &names),
                inet6print(dst, &names)
            );
            if proto == "tcp6" {
                line.push_str(&tcp_state(&k));
            }
            println!("{line}");
        }
    }
    Ok(())
}

fn sockets(c: &Client, o: &Opts) -> Result<(), Errno> {
    let mut first = true;
    for proto in ["tcp", "udp"] {
        for k in pcblist(c, &format!("net.inet.{proto}.pcblist"))? {
            let k = &k[..];
            let (src, dst) = (
                &k[kinfo::PCB_SRC..kinfo::PCB_SRC + sin::SIZE],
                &k[kinfo::PCB_DST..kinfo::PCB_DST + sin::SIZE],
            );
            if !o.all && lnaof(sa_ipv4(dst)) == 0 {
                continue;
            }
            if first {
                println!(
                    "Active Internet connections{}",
                    if o.all { " (including servers)" } else { "" }
                );
                println!(
                    "{:<5.5} {:<6.6} {:<6.6}  {:<22.22} {:<22.22} State",
                    "Proto", "Recv-Q", "Send-Q", "Local Address", "Foreign Address"
                );
                first = false;
            }
            let mut line = format!(
                "{:<5.5} {:>6} {:>6} {}{}",
                proto,
                queue(k, kinfo::PCB_RCVQ),
                queue(k, kinfo::PCB_SNDQ),
                inetprint(src, o.numeric),
                inetprint(dst, o.numeric)
            );
            if proto == "tcp" {
                line.push_str(&tcp_state(k));
            }
            println!("{line}");
        }
    }
    Ok(())
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

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn plurales(n: u64) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// The counter array at `name`, or None (netstat then prints nothing for
/// the protocol).
fn counters_of(c: &Client, name: &str) -> Option<Vec<u64>> {
    let mib = c.sysctl_name_to_mib(name).ok()?;
    let b = c.sysctl_read(&mib).ok()?;
    Some(
        b.chunks_exact(8)
            .map(|x| u64::from_ne_bytes(x.try_into().unwrap_or_default()))
            .collect(),
    )
}

/// One `netstat -s` section: lines whose counters are all zero are left
/// out with `-ss`.
struct Section {
    v: Vec<u64>,
    zeros: bool,
}

impl Section {
    fn get(&self, i: usize) -> u64 {
        self.v.get(i).copied().unwrap_or(0)
    }
    /// `p`: "N thing(s)".
    fn p(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!(
                "{}",
                fmt.replacen("{}", &n.to_string(), 1)
                    .replacen("{s}", plural(n), 1)
            );
        }
    }
    /// `ps`: no plural.
    fn ps(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!("{}", fmt.replacen("{}", &n.to_string(), 1));
        }
    }
    /// `p3`: "es" plural.
    fn p3(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!(
                "{}",
                fmt.replacen("{}", &n.to_string(), 1)
                    .replacen("{es}", plurales(n), 1)
            );
        }
    }
    /// `p2`: two counters with plurals.
    fn p2(&self, i: usize, j: usize, fmt: &str) {
        let (a, b) = (self.get(i), self.get(j));
        if a != 0 || b != 0 || self.zeros {
            let s = fmt
                .replacen("{}", &a.to_string(), 1)
                .replacen("{s}", plural(a), 1)
                .replacen("{}", &b.to_string(), 1)
                .replacen("{s}", plural(b), 1);
            println!("{s}");
        }
    }
    /// `p2s`: the second without a plural.
    fn p2s(&self, i: usize, j: usize, fmt: &str) {
        let (a, b) = (self.get(i), self.get(j));
        if a != 0 || b != 0 || self.zeros {
            let s = fmt
                .replacen("{}", &a.to_string(), 1)
                .replacen("{s}", plural(a), 1)
                .replacen("{}", &b.to_string(), 1);
            println!("{s}");
        }
    }
}

const ICMP_NAMES: [&str; 41] = [
    "echoreply",
    "unassigned_1",
    "unassigned_2",
    "unreach",
    "sourcequench",
    "redirect",
    "althostaddr",
    "unassigned_7",
    "echo",
    "routeradvert",
    "routersolicit",
    "timxceed",
    "paramprob",
    "tstamp",
    "tstampreply",
    "ireq",
    "ireqreply",
    "maskreq",
    "maskreply",
    "reserved_19",
    "reserved_20",
    "reserved_21",
    "reserved_22",
    "reserved_23",
    "reserved_24",
    "reserved_25",
    "reserved_26",
    "reserved_27",
    "reserved_28",
    "reserved_29",
    "traceroute",
    "dataconverr",
    "mobile_redirect",
    "ipv6_whereareyou",
    "ipv6_iamhere",
    "mobile_regrequest",
    "mobile_regreply",
    "reserved_37",
    "reserved_38",
    "skip",
    "photuris",
];

/// `ip_stats`: `net.inet.ip.stats`.
fn ip_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.ip.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} total packet{s} received");
    s.p(1, "\t{} bad header checksum{s}");
    s.ps(3, "\t{} with size smaller than minimum");
    s.ps(2, "\t{} with data size < data length");
    s.ps(27, "\t{} with length > max ip packet size");
    s.ps(4, "\t{} with header length < data size");
    s.ps(5, "\t{} with data length < header length");
    s.ps(21, "\t{} with bad options");
    s.ps(23, "\t{} with incorrect version number");
    s.p(6, "\t{} fragment{s} received");
    s.p(7, "\t{} fragment{s} dropped (dup or out of space)");
    s.p(26, "\t{} fragment{s} dropped (out of ipqent)");
    s.p(25, "\t{} malformed fragment{s} dropped");
    s.p(8, "\t{} fragment{s} dropped after timeout");
    s.p(17, "\t{} packet{s} reassembled ok");
    s.p(14, "\t{} packet{s} for this host");
    s.p(13, "\t{} packet{s} for unknown/unsupported protocol");
    let (fwd, fast) = (s.get(9), s.get(10));
    let mut line = String::new();
    if fwd != 0 || zeros {
        line.push_str(&format!("\t{fwd} packet{} forwarded", plural(fwd)));
    }
    if fast != 0 || zeros {
        line.push_str(&format!(" ({fast} packet{} fast forwarded)", plural(fast)));
    }
    if fwd != 0 || zeros {
        println!("{line}");
    } else if !line.is_empty() {
        print!("{line}");
    }
    s.p(11, "\t{} packet{s} not forwardable");
    s.p(12, "\t{} redirect{s} sent");
    s.p(28, "\t{} packet{s} no matching gif found");
    s.p(15, "\t{} packet{s} sent from this host");
    s.p(24, "\t{} packet{s} sent with fabricated ip header");
    s.p(16, "\t{} output packet{s} dropped due to no bufs, etc.");
    s.p(22, "\t{} output packet{s} discarded due to no route");
    s.p(18, "\t{} output datagram{s} fragmented");
    s.p(19, "\t{} fragment{s} created");
    s.p(20, "\t{} datagram{s} that can't be fragmented");
    s.p(29, "\t{} datagram{s} with bad address in header");
}

/// `icmp_stats`: `net.inet.icmp.stats`.
fn icmp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.icmp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} call{s} to icmp_error");
    s.p(
        2,
        "\t{} error{s} not generated because old message was icmp",
    );
    let hist = |base: usize, title: &str| {
        let mut first = true;
        for (i, name) in ICMP_NAMES.iter().enumerate() {
            let n = s.get(base + i);
            if n != 0 {
                if first {
                    println!("\t{title} histogram:");
                    first = false;
                }
                println!("\t\t{name}: {n}");
            }
        }
    };
    hist(16, "Output");
    s.p(3, "\t{} message{s} with bad code fields");
    s.p(4, "\t{} message{s} < minimum length");
    s.p(5, "\t{} bad checksum{s}");
    s.p(6, "\t{} message{s} with bad length");
    s.p(9, "\t{} multicast echo request{s} ignored");
    s.p(10, "\t{} multicast timestamp request{s} ignored");
    hist(57, "Input");
    s.p(7, "\t{} message response{s} generated");
    s.p(8, "\t{} path MTU change{s}");
}

/// `tcp_stats`: `net.inet.tcp.stats`.
fn tcp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.tcp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(18, "\t{} packet{s} sent");
    s.p2(19, 20, "\t\t{} data packet{s} ({} byte{s})");
    s.p2(21, 22, "\t\t{} data packet{s} ({} byte{s}) retransmitted");
    s.p2s(23, 8, "\t\t{} ack-only packet{s} ({} delayed)");
    s.p(25, "\t\t{} URG only packet{s}");
    s.p(24, "\t\t{} window probe packet{s}");
    s.p(26, "\t\t{} window update packet{s}");
    s.p(27, "\t\t{} control packet{s}");
    s.p(70, "\t\t{} send attempt{s} resulted in self-quench");
    s.p(28, "\t{} packet{s} received");
    s.p2(47, 48, "\t\t{} ack{s} (for {} byte{s})");
    s.p(45, "\t\t{} duplicate ack{s}");
    s.p(46, "\t\t{} ack{s} for unsent data");
    s.p2(29, 30, "\t\t{} packet{s} ({} byte{s}) received in-sequence");
    s.p2(35, 36, "\t\t{} completely duplicate packet{s} ({} byte{s})");
    s.p(50, "\t\t{} old duplicate packet{s}");
    s.p2(
        37,
        38,
        "\t\t{} packet{s} with some dup. data ({} byte{s} duped)",
    );
    s.p2(39, 40, "\t\t{} out-of-order packet{s} ({} byte{s})");
    s.p2(41, 42, "\t\t{} packet{s} ({} byte{s}) of data after window");
    s.p(44, "\t\t{} window probe{s}");
    s.p(49, "\t\t{} window update packet{s}");
    s.p(43, "\t\t{} packet{s} received after close");
    s.p(31, "\t\t{} discarded for bad checksum{s}");
    s.p(32, "\t\t{} discarded for bad header offset field{s}");
    s.ps(34, "\t\t{} discarded because packet too short");
    s.p(0, "\t{} connection request{s}");
    s.p(1, "\t{} connection accept{s}");
    s.p(2, "\t{} connection{s} established (including accepts)");
    s.p2(5, 3, "\t{} connection{s} closed (including {} drop{s})");
    s.p(4, "\t{} embryonic connection{s} dropped");
    s.p(56, "\t{} delayed free{s} of tcpcb");
    s.p2(7, 6, "\t{} segment{s} updated rtt (of {} attempt{s})");
    s.p(10, "\t{} retransmit timeout{s}");
    s.p(9, "\t\t{} connection{s} dropped by rexmit timeout");
    s.p2(
        11,
        15,
        "\t{} persist timeout{s} (resulting in {} dropped connection{s})",
    );
    s.p(12, "\t{} keepalive timeout{s}");
    s.p(13, "\t\t{} keepalive probe{s} sent");
    s.p(14, "\t\t{} connection{s} dropped by keepalive");
    s.p(51, "\t{} correct ACK header prediction{s}");
    s.p(52, "\t{} correct data packet header prediction{s}");
    s.p3(53, "\t{} PCB hash miss{es}");
    s.ps(54, "\t{} dropped due to no socket");
    s.p(16, "\t{} connection{s} drained due to memory shortage");
    s.p(17, "\t{} PMTUD blackhole{s} detected");
    s.p(55, "\t{} bad connection attempt{s}");
    s.ps(57, "\t{} SYN cache entries added");
    s.p(67, "\t\t{} hash collision{s}");
    s.ps(58, "\t\t{} completed");
    s.ps(64, "\t\t{} aborted (no space to build PCB)");
    s.ps(59, "\t\t{} timed out");
    s.ps(60, "\t\t{} dropped due to overflow");
    s.ps(63, "\t\t{} dropped due to bucket overflow");
    s.ps(61, "\t\t{} dropped due to RST");
    s.ps(62, "\t\t{} dropped due to ICMP unreachable");
    s.ps(69, "\t\t{} delayed free of SYN cache entries");
    s.p(68, "\t{} SYN,ACK{s} retransmitted");
    s.p(
        65,
        "\t{} duplicate SYN{s} received for entries already in the cache",
    );
    s.p(66, "\t{} SYN{s} dropped (no route or no space)");
    s.p(71, "\t{} packet{s} with bad signature");
    s.p(72, "\t{} packet{s} with good signature");
    s.p(73, "\t{} successful ECN handshake{s}");
    s.p(74, "\t{} packet{s} with ECN CE bit");
    s.p(75, "\t{} packet{s} ECN ECT(0) bit");
}

/// `udp_stats`: `net.inet.udp.stats`.
fn udp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.udp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} datagram{s} received");
    s.ps(1, "\t{} with incomplete header");
    s.ps(3, "\t{} with bad data length field");
    s.ps(2, "\t{} with bad checksum");
    s.ps(4, "\t{} dropped due to no socket");
    s.p(
        5,
        "\t{} broadcast/multicast datagram{s} dropped due to no socket",
    );
    s.ps(6, "\t{} dropped due to full socket buffers");
    let delivered = (1..=6).fold(s.get(0), |d, i| d.wrapping_sub(s.get(i)));
    if delivered != 0 || zeros {
        println!("\t{delivered} delivered");
    }
    s.p3(7, "\t{} PCB hash miss{es}");
    s.p(8, "\t{} datagram{s} output");
}

// ---- IPv6 statistics (NetBSD's netstat inet6.c)

// `ip6stat`, `icmp6stat` and `udp6stat` indices (NetBSD's
// `netinet6/ip6_var.h`, `netinet/icmp6.h`, `netinet6/udp6_var.h`).
const IP6_STAT_TOTAL: usize = 0;
const IP6_STAT_TOOSHORT: usize = 1;
const IP6_STAT_TOOSMALL: usize = 2;
const IP6_STAT_FRAGMENTS: usize = 3;
const IP6_STAT_FRAGDROPPED: usize = 4;
const IP6_STAT_FRAGTIMEOUT: usize = 5;
const IP6_STAT_FRAGOVERFLOW: usize = 6;
const IP6_STAT_FORWARD: usize = 7;
const IP6_STAT_CANTFORWARD: usize = 8;
const IP6_STAT_REDIRECTSENT: usize = 9;
const IP6_STAT_DELIVERED: usize = 10;
const IP6_STAT_LOCALOUT: usize = 11;
const IP6_STAT_ODROPPED: usize = 12;
const IP6_STAT_REASSEMBLED: usize = 13;
const IP6_STAT_FRAGMENTED: usize = 14;
const IP6_STAT_OFRAGMENTS: usize = 15;
const IP6_STAT_CANTFRAG: usize = 16;
const IP6_STAT_BADOPTIONS: usize = 17;
const IP6_STAT_NOROUTE: usize = 18;
const IP6_STAT_BADVERS: usize = 19;
const IP6_STAT_RAWOUT: usize = 20;
const IP6_STAT_BADSCOPE: usize = 21;
const IP6_STAT_NOTMEMBER: usize = 22;
const IP6_STAT_NXTHIST: usize = 23;
const IP6_STAT_M1: usize = 279;
const IP6_STAT_M2M: usize = 280;
const IP6_STAT_MEXT1: usize = 312;
const IP6_STAT_MEXT2M: usize = 313;
const IP6_STAT_EXTHDRTOOLONG: usize = 314;
const IP6_STAT_NOGIF: usize = 315;
const IP6_STAT_TOOMANYHDR: usize = 316;
const IP6_STAT_SOURCES_NONE: usize = 317;
const IP6_STAT_SOURCES_SAMEIF: usize = 318;
const IP6_STAT_SOURCES_OTHERIF: usize = 334;
const IP6_STAT_SOURCES_SAMESCOPE: usize = 350;
const IP6_STAT_SOURCES_OTHERSCOPE: usize = 366;
const IP6_STAT_SOURCES_DEPRECATED: usize = 382;
const IP6_STAT_FORWARD_CACHEHIT: usize = 398;
const IP6_STAT_FORWARD_CACHEMISS: usize = 399;
const IP6_STAT_FASTFORWARD: usize = 400;
const IP6_STAT_FASTFORWARDFLOWS: usize = 401;

const ICMP6_STAT_ERROR: usize = 0;
const ICMP6_STAT_CANTERROR: usize = 1;
const ICMP6_STAT_TOOFREQ: usize = 2;
const ICMP6_STAT_OUTHIST: usize = 3;
const ICMP6_STAT_BADCODE: usize = 259;
const ICMP6_STAT_TOOSHORT: usize = 260;
const ICMP6_STAT_CHECKSUM: usize = 261;
const ICMP6_STAT_BADLEN: usize = 262;
const ICMP6_STAT_REFLECT: usize = 263;
const ICMP6_STAT_INHIST: usize = 264;
const ICMP6_STAT_ND_TOOMANYOPT: usize = 520;
const ICMP6_STAT_OUTERRHIST: usize = 521;
const ICMP6_STAT_PMTUCHG: usize = 534;
const ICMP6_STAT_ND_BADOPT: usize = 535;
const ICMP6_STAT_BADNS: usize = 536;
const ICMP6_STAT_BADNA: usize = 537;
const ICMP6_STAT_BADRS: usize = 538;
const ICMP6_STAT_BADRA: usize = 539;
const ICMP6_STAT_BADREDIRECT: usize = 540;
/// `ICMP6_MAXTYPE`: the input histogram is printed up to it.
const ICMP6_MAXTYPE: usize = 201;

const UDP6_STAT_IPACKETS: usize = 0;
const UDP6_STAT_HDROPS: usize = 1;
const UDP6_STAT_BADSUM: usize = 2;
const UDP6_STAT_NOSUM: usize = 3;
const UDP6_STAT_BADLEN: usize = 4;
const UDP6_STAT_NOPORT: usize = 5;
const UDP6_STAT_NOPORTMCAST: usize = 6;
const UDP6_STAT_FULLSOCK: usize = 7;
const UDP6_STAT_OPACKETS: usize = 9;

/// netstat's `ip6nh`: the next headers it names.
fn ip6nh(i: usize) -> Option<&'static str> {
    Some(match i {
        0 => "hop by hop",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IP",
        6 => "TCP",
        17 => "UDP",
        22 => "IDP",
        29 => "TP",
        41 => "IP6",
        43 => "routing",
        44 => "fragment",
        50 => "ESP",
        51 => "AH",
        58 => "ICMP6",
        59 => "no next header",
        60 => "destination option",
        80 => "ISOIP",
        89 => "OSPF",
        97 => "Ethernet",
        103 => "PIM",
        132 => "SCTP",
        _ => return None,
    })
}

/// netstat's `icmp6names`, with its two slips (90 and 190 are printed
/// as `#80` and `#180`).
fn icmp6name(i: usize) -> String {
    const NAMED: [&str; 13] = [
        "echo",
        "echo reply",
        "multicast listener query",
        "multicast listener report",
        "multicast listener done",
        "router solicitation",
        "router advertisement",
        "neighbor solicitation",
        "neighbor advertisement",
        "redirect",
        "router renumbering",
        "node information request",
        "node information reply",
    ];
    match i {
        1 => "unreach".into(),
        2 => "packet too big".into(),
        3 => "time exceed".into(),
        4 => "parameter problem".into(),
        128..=140 => NAMED[i - 128].into(),
        90 | 190 => format!("#{}", i - 10),
        _ => format!("#{i}"),
    }
}

/// `ip6_stats`: `net.inet6.ip6.stats`.
fn ip6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.ip6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(IP6_STAT_TOTAL, "\t{} total packet{s} received");
    s.ps(IP6_STAT_TOOSMALL, "\t{} with size smaller than minimum");
    s.ps(IP6_STAT_TOOSHORT, "\t{} with data size < data length");
    s.ps(IP6_STAT_BADOPTIONS, "\t{} with bad options");
    s.ps(IP6_STAT_BADVERS, "\t{} with incorrect version number");
    s.p(IP6_STAT_FRAGMENTS, "\t{} fragment{s} received");
    s.p(
        IP6_STAT_FRAGDROPPED,
        "\t{} fragment{s} dropped (dup or out of space)",
    );
    s.p(
        IP6_STAT_FRAGTIMEOUT,
        "\t{} fragment{s} dropped after timeout",
    );
    s.p(
        IP6_STAT_FRAGOVERFLOW,
        "\t{} fragment{s} that exceeded limit",
    );
    s.p(IP6_STAT_REASSEMBLED, "\t{} packet{s} reassembled ok");
    s.p(IP6_STAT_DELIVERED, "\t{} packet{s} for this host");
    s.p(IP6_STAT_FORWARD, "\t{} packet{s} forwarded");
    s.p(IP6_STAT_FASTFORWARD, "\t{} packet{s} fast forwarded");
    s.ps(IP6_STAT_FASTFORWARDFLOWS, "\t{} fast forward flows");
    s.p(IP6_STAT_CANTFORWARD, "\t{} packet{s} not forwardable");
    s.p(IP6_STAT_REDIRECTSENT, "\t{} redirect{s} sent");
    s.p(IP6_STAT_LOCALOUT, "\t{} packet{s} sent from this host");
    s.p(
        IP6_STAT_RAWOUT,
        "\t{} packet{s} sent with fabricated ip header",
    );
    s.p(
        IP6_STAT_ODROPPED,
        "\t{} output packet{s} dropped due to no bufs, etc.",
    );
    s.p(
        IP6_STAT_NOROUTE,
        "\t{} output packet{s} discarded due to no route",
    );
    s.p(IP6_STAT_FRAGMENTED, "\t{} output datagram{s} fragmented");
    s.p(IP6_STAT_OFRAGMENTS, "\t{} fragment{s} created");
    s.p(
        IP6_STAT_CANTFRAG,
        "\t{} datagram{s} that can't be fragmented",
    );
    s.p(
        IP6_STAT_BADSCOPE,
        "\t{} packet{s} that violated scope rules",
    );
    s.p(
        IP6_STAT_NOTMEMBER,
        "\t{} multicast packet{s} which we don't join",
    );
    let mut first = true;
    for i in 0..256 {
        let n = s.get(IP6_STAT_NXTHIST + i);
        if n != 0 {
            if first {
                println!("\tInput packet histogram:");
                first = false;
            }
            match ip6nh(i) {
                Some(nm) => println!("\t\t{nm}: {n}"),
                None => println!("\t\t#{i}: {n}"),
            }
        }
    }
    println!("\tMbuf statistics:");
    s.p(IP6_STAT_M1, "\t\t{} one mbuf{s}");
    let mut first = true;
    for i in 0..32 {
        let n = s.get(IP6_STAT_M2M + i);
        if n != 0 {
            if first {
                println!("\t\ttwo or more mbuf:");
                first = false;
            }
            // netstat names the interface by its index on the host it
            // runs on; the kernel's own index is what we have.
            println!("\t\t\t#{i} = {n}");
        }
    }
    s.p(IP6_STAT_MEXT1, "\t\t{} one ext mbuf{s}");
    s.p(IP6_STAT_MEXT2M, "\t\t{} two or more ext mbuf{s}");
    s.p(
        IP6_STAT_EXTHDRTOOLONG,
        "\t{} packet{s} whose headers are not continuous",
    );
    s.p(
        IP6_STAT_NOGIF,
        "\t{} tunneling packet{s} that can't find gif",
    );
    s.p(
        IP6_STAT_TOOMANYHDR,
        "\t{} packet{s} discarded due to too many headers",
    );
    s.p(
        IP6_STAT_SOURCES_NONE,
        "\t{} failure{s} of source address selection",
    );
    for (base, title) in [
        (
            IP6_STAT_SOURCES_SAMEIF,
            "source addresses on an outgoing I/F",
        ),
        (
            IP6_STAT_SOURCES_OTHERIF,
            "source addresses on a non-outgoing I/F",
        ),
        (IP6_STAT_SOURCES_SAMESCOPE, "source addresses of same scope"),
        (
            IP6_STAT_SOURCES_OTHERSCOPE,
            "source addresses of a different scope",
        ),
        (IP6_STAT_SOURCES_DEPRECATED, "deprecated source addresses"),
    ] {
        let mut first = true;
        for i in 0..16 {
            let n = s.get(base + i);
            if n == 0 {
                continue;
            }
            if first {
                println!("\t{title}");
                first = false;
            }
            match i {
                1 => s.p(base + i, "\t\t{} node-local{s}"),
                2 => s.p(base + i, "\t\t{} link-local{s}"),
                5 => s.p(base + i, "\t\t{} site-local{s}"),
                14 => s.p(base + i, "\t\t{} global{s}"),
                _ => println!("\t\t{n} addresses scope={i:x}"),
            }
        }
    }
    s.ps(IP6_STAT_FORWARD_CACHEHIT, "\t{} forward cache hit");
    s.ps(IP6_STAT_FORWARD_CACHEMISS, "\t{} forward cache miss");
}

/// `icmp6_stats`: `net.inet6.icmp6.stats`.
fn icmp6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.icmp6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(ICMP6_STAT_ERROR, "\t{} call{s} to icmp6_error");
    s.p(
        ICMP6_STAT_CANTERROR,
        "\t{} error{s} not generated because old message was icmp6 or so",
    );
    s.p(
        ICMP6_STAT_TOOFREQ,
        "\t{} error{s} not generated because of rate limitation",
    );
    let hist = |base: usize, end: usize, title: &str| {
        let mut first = true;
        for i in 0..end {
            let n = s.get(base + i);
            if n != 0 {
                if first {
                    println!("\t{title} packet histogram:");
                    first = false;
                }
                println!("\t\t{}: {n}", icmp6name(i));
            }
        }
    };
    hist(ICMP6_STAT_OUTHIST, 256, "Output");
    s.p(ICMP6_STAT_BADCODE, "\t{} message{s} with bad code fields");
    s.p(ICMP6_STAT_TOOSHORT, "\t{} message{s} < minimum length");
    s.p(ICMP6_STAT_CHECKSUM, "\t{} bad checksum{s}");
    s.p(ICMP6_STAT_BADLEN, "\t{} message{s} with bad length");
    hist(ICMP6_STAT_INHIST, ICMP6_MAXTYPE, "Input");
    println!("\tHistogram of error messages to be generated:");
    for (i, what) in [
        "no route",
        "administratively prohibited",
        "beyond scope",
        "address unreachable",
        "port unreachable",
        "packet too big",
        "time exceed transit",
        "time exceed reassembly",
        "erroneous header field",
        "unrecognized next header",
        "unrecognized option",
        "redirect",
        "unknown",
    ]
    .iter()
    .enumerate()
    {
        s.ps(ICMP6_STAT_OUTERRHIST + i, &format!("\t\t{{}} {what}"));
    }
    s.p(ICMP6_STAT_REFLECT, "\t{} message response{s} generated");
    s.p(
        ICMP6_STAT_ND_TOOMANYOPT,
        "\t{} message{s} with too many ND options",
    );
    s.p(ICMP6_STAT_ND_BADOPT, "\t{} message{s} with bad ND options");
    s.p(
        ICMP6_STAT_BADNS,
        "\t{} bad neighbor solicitation message{s}",
    );
    s.p(
        ICMP6_STAT_BADNA,
        "\t{} bad neighbor advertisement message{s}",
    );
    s.p(ICMP6_STAT_BADRS, "\t{} bad router solicitation message{s}");
    s.p(ICMP6_STAT_BADRA, "\t{} bad router advertisement message{s}");
    s.p(ICMP6_STAT_BADREDIRECT, "\t{} bad redirect message{s}");
    s.p(ICMP6_STAT_PMTUCHG, "\t{} path MTU change{s}");
}

/// `udp6_stats`: `net.inet6.udp6.stats`.
fn udp6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.udp6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(UDP6_STAT_IPACKETS, "\t{} datagram{s} received");
    s.ps(UDP6_STAT_HDROPS, "\t{} with incomplete header");
    s.ps(UDP6_STAT_BADLEN, "\t{} with bad data length field");
    s.ps(UDP6_STAT_BADSUM, "\t{} with bad checksum");
    s.ps(UDP6_STAT_NOSUM, "\t{} with no checksum");
    s.ps(UDP6_STAT_NOPORT, "\t{} dropped due to no socket");
    s.p(
        UDP6_STAT_NOPORTMCAST,
        "\t{} multicast datagram{s} dropped due to no socket",
    );
    s.ps(
        UDP6_STAT_FULLSOCK,
        "\t{} dropped due to full socket buffers",
    );
    let delivered = [
        UDP6_STAT_HDROPS,
        UDP6_STAT_BADLEN,
        UDP6_STAT_BADSUM,
        UDP6_STAT_NOPORT,
        UDP6_STAT_NOPORTMCAST,
        UDP6_STAT_FULLSOCK,
    ]
    .iter()
    .fold(s.get(UDP6_STAT_IPACKETS), |d, &i| d.wrapping_sub(s.get(i)));
    if delivered != 0 || zeros {
        println!("\t{delivered} delivered");
    }
    s.p(UDP6_STAT_OPACKETS, "\t{} datagram{s} output");
}

// ---- which protocols -s prints (netstat's protox and ip6protox)

/// A protocol whose statistics netstat prints: its name, family and
/// printer.
struct Proto {
    name: &'static str,
    family: i32,
    print: fn(&Client, bool, &str),
}

/// IPv4's in /etc/protocols order, as netstat walks it; then IPv6's in
/// `ip6protox` order, where tcp6 prints TCP's one set of counters.
const PROTOS: [Proto; 8] = [
    Proto {
        name: "ip",
        family: AF_INET,
        print: ip_stats,
    },
    Proto {
        name: "icmp",
        family: AF_INET,
        print: icmp_stats,
    },
    Proto {
        name: "tcp",
        family: AF_INET,
        print: tcp_stats,
    },
    Proto {
        name: "udp",
        family: AF_INET,
        print: udp_stats,
    },
    Proto {
        name: "ip6",
        family: AF_INET6,
        print: ip6_stats,
    },
    Proto {
        name: "icmp6",
        family: AF_INET6,
        print: icmp6_stats,
    },
    Proto {
        name: "tcp6",
        family: AF_INET6,
        print: tcp_stats,
    },
    Proto {
        name: "udp6",
        family: AF_INET6,
        print: udp6_stats,
    },
];

/// Protocols NetBSD's netstat knows whose counters we do not keep.
const NOT_YET: [&str; 16] = [
    "igmp", "ah", "esp", "ipencap", "etherip", "ipcomp", "carp", "pfsync", "pim", "arp", "pim6",
    "rip6", "ipsec", "ipsec6", "pfkey", "ddp",
];

/// `-p name`: a protocol we keep counters of, or netstat's message for
/// one it does not know.
fn protocol(name: &str) -> Result<&'static Proto, ExitCode> {
    if let Some(p) = PROTOS.iter().find(|p| p.name == name) {
        return Ok(p);
    }
    if NOT_YET.contains(&name) {
        eprintln!("{PROG}: -p {name}: not supported yet");
    } else {
        eprintln!("{PROG}: {name}: unknown or uninstrumented protocol");
    }
    Err(ExitCode::from(1))
}

/// `-s [-f family]`: every protocol of the family (both without `-f`).
fn stats(c: &Client, sflag: u32, family: i32) {
    for p in PROTOS.iter().filter(|p| family == 0 || p.family == family) {
        (p.print)(c, sflag <= 1, p.name);
    }
}
