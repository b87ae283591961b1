//! `rump.route`: NetBSD's route(8) as a rump kernel client, over the
//! routing socket.
//!
//! `rump.route [-nq] add|delete|change [-inet6] [-net | -host]
//! destination [gateway] [-netmask mask | -prefixlen len] [-interface]`
//! and `rump.route [-n] get [-inet6] destination`. `destination` is an
//! address, `A.B.C.D/len`, `ADDR6/len` (`ADDR6%IF` when link-local) or
//! `default`.

use netbsd_abi::layout::{if_announcemsghdr as ifan, if_data, if_msghdr, ifa_msghdr, rt_msghdr};
use netbsd_abi::layout::{sockaddr_dl, sockaddr_in as sin};
use netbsd_abi::*;
use rump_nettools::*;
use rumpclient::{Errno, Regions};
use std::process::ExitCode;

#[path = "rump_route/messages.rs"]
mod messages;
use messages::*;

const PROG: &str = "rump.route";
/// `RTF_XRESOLVE` (`net/route.h`; not in the ABI tables).
const RTF_XRESOLVE: i32 = 0x200;
/// `RTF_*` bits and the names route(8) prints for them.
const RTF_NAMES: &[(i32, &str)] = &[
    (RTF_UP, "UP"),
    (RTF_GATEWAY, "GATEWAY"),
    (RTF_HOST, "HOST"),
    (RTF_REJECT, "REJECT"),
    (RTF_DYNAMIC, "DYNAMIC"),
    (RTF_MODIFIED, "MODIFIED"),
    (RTF_DONE, "DONE"),
    (RTF_MASK, "MASK_PRESENT"),
    (RTF_CONNECTED, "CONNECTED"),
    (RTF_XRESOLVE, "XRESOLVE"),
    (RTF_LLDATA, "LLINFO"),
    (RTF_STATIC, "STATIC"),
    (RTF_BLACKHOLE, "BLACKHOLE"),
    (RTF_PROTO2, "PROTO2"),
    (RTF_PROTO1, "PROTO1"),
    (RTF_LOCAL, "LOCAL"),
    (RTF_BROADCAST, "BROADCAST"),
];

/// The flags `route show` shows.
const SHOW_FLAGS: u32 =
    (RTF_UP | RTF_GATEWAY | RTF_HOST | RTF_REJECT | RTF_LOCAL | RTF_BROADCAST) as u32;
/// Bytes read from the routing socket at a time.
const READ_SIZE: usize = 2048;

/// `route flush`: delete every route of family `af` through a gateway.
fn flush(c: &rumpclient::Client, af: i32, quiet: bool) -> Result<(), Errno> {
    let mut rs = RouteSock::open(c)?;
    let names = if af == AF_INET6 {
        if_names(c)?
    } else {
        Default::default()
    };
    for m in rtable(c, af, NET_RT_DUMP, 0)? {
        if m.flags as i32 & RTF_GATEWAY == 0 {
            continue;
        }
        let Some(dst) = m.addr(RTAX_DST) else {
            continue;
        };
        let addrs: Vec<(i32, &[u8])> = [
            (RTA_DST, RTAX_DST),
            (RTA_GATEWAY, RTAX_GATEWAY),
            (RTA_NETMASK, RTAX_NETMASK),
        ]
        .iter()
        .filter_map(|&(bit, i)| m.addr(i).map(|a| (bit, a)))
        .collect();
        rs.request(RTM_DELETE, m.flags as i32, &addrs)?;
        if !quiet && af == AF_INET6 {
            let host = m.flags as i32 & RTF_HOST != 0;
            let mask = m.addr(RTAX_NETMASK).filter(|_| !host);
            let name = rump_nettools::inet6::route_dst_text(dst, mask, &names);
            println!("{name:<20.20} done");
        } else if !quiet {
            let a = sa_ipv4(dst);
            let mask = m
                .addr(RTAX_NETMASK)
                .map_or(u32::MAX, |x| u32::from_be_bytes(sa_ipv4(x)));
            let name = if m.flags as i32 & RTF_HOST != 0 {
                fmt_ipv4(a)
            } else {
                netname4(a, mask)
            };
            println!("{name:<20.20} done");
        }
    }
    Ok(())
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-nq] add|delete|change [-inet | -inet6] [-net | -host] destination [gateway] [-netmask mask | -prefixlen len] [-interface] [-reject | -blackhole]\n       {PROG} [-n] get [-inet | -inet6] destination\n       {PROG} [-nq] show|flush [-inet | -inet6]\n       {PROG} [-nq] monitor [-inet | -inet6]"
    );
    ExitCode::from(1)
}

/// A netmask sockaddr cut after its last non-zero byte, as route(8) sends.
fn mask_sa(mask: u32) -> Vec<u8> {
    let b = mask.to_be_bytes();
    let used = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    if used == 0 {
        return Vec::new();
    }
    let mut s = sockaddr_in(b, 0)[..sin::sin_addr.offset + used].to_vec();
    let len = s.len() as u64;
    sin::sin_len.put(&mut s, len);
    s
}

fn flags_text(f: u32) -> String {
    let names: Vec<&str> = RTF_NAMES
        .iter()
        .filter(|(b, _)| f as i32 & b != 0)
        .map(|(_, n)| *n)
        .collect();
    format!("<{}>", names.join(","))
}

/// A destination argument: (address, mask, is a host).
fn destination(s: &str, net: Option<bool>) -> Option<(u32, u32, bool)> {
    if s == "default" {
        return Some((0, 0, false));
    }
    if let Some((a, l)) = s.split_once('/') {
        let a = u32::from_be_bytes(parse_ipv4(a)?);
        let l: u32 = l.parse().ok().filter(|&l| l <= 32)?;
        let m = u32::MAX.checked_shl(32 - l).unwrap_or(0);
        return Some((a & m, m, l == 32 && net != Some(true)));
    }
    let a = u32::from_be_bytes(parse_ipv4(s)?);
    let class = match a >> 28 {
        0..=7 => 0xff00_0000,
        8..=11 => 0xffff_0000,
        _ => 0xffff_ff00,
    };
    let host = match net {
        Some(n) => !n,
        None => a & !class != 0,
    };
    Some((a, if host { u32::MAX } else { class }, host))
}

/// Take the leading flags (`-n`, `-q`) off `args`: whether `-q` was
/// given, or the exit code after saying what is wrong.
fn parse_flags(args: &mut Vec<String>) -> Result<bool, ExitCode> {
    let mut quiet = false;
    while args
        .first()
        .is_some_and(|a| a.starts_with('-') && a.len() > 1)
    {
        let a = args.remove(0);
        for c in a[1..].chars() {
            match c {
                'n' => {}
                'q' => quiet = true,
                // NetBSD's verbose message dumps and debug-only mode.
                'v' | 'd' => {
                    eprintln!("{PROG}: -{c}: not supported yet");
                    return Err(ExitCode::from(1));
                }
                _ => return Err(usage()),
            }
        }
    }
    Ok(quiet)
}

/// `show`, `flush` and `monitor`, which take no operands but `-inet`
/// or `-inet6`.
fn table_command(cmd: &str, operands: &[String], quiet: bool) -> ExitCode {
    if let Some(w) = operands.iter().find(|w| *w != "-inet" && *w != "-inet6") {
        eprintln!("{PROG}: {w}: not supported yet");
        return ExitCode::from(1);
    }
    let af = match operands.last().map(String::as_str) {
        Some("-inet") => AF_INET,
        Some(_) => AF_INET6,
        None => 0,
    };
    let Some(c) = rumpclient::Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let r = match cmd {
        "show" => print_rttables(&c, af, SHOW_FLAGS),
        "flush" => flush(&c, if af == 0 { AF_INET } else { af }, quiet),
        _ => monitor(&c),
    };
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{PROG}: {cmd}: {}", e.description());
            ExitCode::from(1)
        }
    }
}

/// The operands of `add`, `delete`, `change` and `get`.
struct RouteArgs {
    /// The destination as given.
    dest_arg: String,
    dst: u32,
    /// The destination's mask (all ones for a host).
    dmask: u32,
    host: bool,
    gateway: Option<[u8; 4]>,
    /// `-interface`: the gateway is one of our addresses.
    iface: bool,
    /// `-reject`, `-blackhole`.
    modifiers: i32,
}

/// The route flag a modifier word sets (`-reject`, `-blackhole`).
fn modifier(w: &str) -> Option<i32> {
    match w {
        "-reject" => Some(netbsd_abi::RTF_REJECT),
        "-blackhole" => Some(netbsd_abi::RTF_BLACKHOLE),
        _ => None,
    }
}

/// Parse the operands after the command word, or say what is wrong.
fn parse_route_args(cmd: &str, operands: &[String]) -> Result<RouteArgs, ExitCode> {
    let mut net: Option<bool> = None;
    let mut iface = false;
    let mut modifiers = 0;
    let mut mask: Option<u32> = None;
    let mut words: Vec<String> = Vec::new();
    let mut i = 0;
    while i < operands.len() {
        match operands[i].as_str() {
            "-net" => net = Some(true),
            "-host" => net = Some(false),
            "-interface" | "-iface" => iface = true,
            "-netmask" => {
                i += 1;
                let Some(m) = operands.get(i).and_then(|s| parse_ipv4(s)) else {
                    return Err(usage());
                };
                mask = Some(u32::from_be_bytes(m));
            }
            "-inet" => {}
            w if modifier(w).is_some() => modifiers |= modifier(w).unwrap_or(0),
            w if w.starts_with('-') => {
                eprintln!("{PROG}: {w}: not supported yet");
                return Err(ExitCode::from(1));
            }
            w => words.push(w.to_owned()),
        }
        i += 1;
    }
    let Some(dest_arg) = words.first().cloned() else {
        return Err(usage());
    };
    let Some((dst, dmask, host)) = destination(&dest_arg, net) else {
        eprintln!("{PROG}: {dest_arg}: bad address");
        return Err(ExitCode::from(1));
    };
    let dmask = if host {
        u32::MAX
    } else {
        mask.unwrap_or(dmask)
    };
    let host = host || dmask == u32::MAX && net != Some(true);
    let gateway = match words.get(1) {
        Some(g) => match parse_ipv4(g) {
            Some(g) => Some(g),
            None => {
                eprintln!("{PROG}: {g}: bad address");
                return Err(ExitCode::from(1));
            }
        },
        None => None,
    };
    if cmd != "get" && cmd != "delete" && gateway.is_none() {
        return Err(usage());
    }
    Ok(RouteArgs {
        dest_arg,
        dst,
        dmask,
        host,
        gateway,
        iface,
        modifiers,
    })
}

/// A request as it goes on the routing socket, and the words that
/// report it.
struct Request {
    dst: Vec<u8>,
    gateway: Option<Vec<u8>>,
    /// The mask sent (none for a host).
    mask: Option<Vec<u8>>,
    host: bool,
    /// `-interface`: the gateway is one of our addresses.
    iface: bool,
    /// The destination as route(8) repeats it (IPv4 without its `/LEN`).
    shown: String,
    /// The gateway as given.
    gateway_text: Option<String>,
    /// `RTF_REJECT`, `RTF_BLACKHOLE` as the modifiers asked.
    modifiers: i32,
}

impl RouteArgs {
    fn request(&self) -> Request {
        let shown = if self.dst == 0 && self.dmask == 0 {
            "default".to_string()
        } else {
            self.dest_arg.split('/').next().unwrap_or("").to_string()
        };
        Request {
            dst: sockaddr_in(self.dst.to_be_bytes(), 0).to_vec(),
            gateway: self.gateway.map(|g| sockaddr_in(g, 0).to_vec()),
            mask: (!self.host).then(|| mask_sa(self.dmask)),
            host: self.host,
            iface: self.iface,
            shown,
            gateway_text: self.gateway.map(fmt_ipv4),
            modifiers: self.modifiers,
        }
    }
}

/// The operands of `add`, `delete`, `change` and `get` with `-inet6`,
/// as NetBSD's route takes them: interface names in scopes are looked up
/// on the kernel `c`.
fn parse_route6_args(
    c: &rumpclient::Client,
    cmd: &str,
    operands: &[String],
) -> Result<Request, ExitCode> {
    let mut net: Option<bool> = None;
    let mut iface = false;
    let mut modifiers = 0;
    let mut prefixlen: Option<u8> = None;
    let mut words: Vec<&str> = Vec::new();
    let mut it = operands.iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "-inet6" => {}
            "-net" => net = Some(true),
            "-host" => net = Some(false),
            "-interface" | "-iface" => iface = true,
            "-prefixlen" => match it.next().and_then(|l| l.parse().ok()).filter(|&l| l <= 128) {
                Some(l) => prefixlen = Some(l),
                None => return Err(usage()),
            },
            w if modifier(w).is_some() => modifiers |= modifier(w).unwrap_or(0),
            w if w.starts_with('-') => {
                eprintln!("{PROG}: {w}: not supported yet");
                return Err(ExitCode::from(1));
            }
            w => words.push(w),
        }
    }
    let names = if_names(c).unwrap_or_default();
    let Some(dest) = words.first() else {
        return Err(usage());
    };
    let Some(mut d) = rump_nettools::route6::destination(dest, net, &names) else {
        eprintln!("{PROG}: {dest}: bad value");
        return Err(ExitCode::from(1));
    };
    if let Some(l) = prefixlen {
        d.host = l == 128 && net != Some(true);
        d.mask = Some(rump_nettools::route6::mask_sockaddr(l));
    }
    let gateway = match words.get(1) {
        Some(g) => match rump_nettools::route6::scoped_sockaddr(g, &names) {
            Some(sa) => Some(sa),
            None => {
                eprintln!("{PROG}: {g}: bad value");
                return Err(ExitCode::from(1));
            }
        },
        None => None,
    };
    if cmd == "add" && gateway.is_none() {
        eprintln!("{PROG}: missing gateway specification");
        return Err(ExitCode::from(1));
    }
    Ok(Request {
        dst: d.sa,
        gateway,
        mask: d.mask.filter(|_| !d.host),
        host: d.host,
        iface,
        // getaddr puts the slash back for IPv6, so the prefix length is
        // repeated.
        shown: dest.to_string(),
        gateway_text: words.get(1).map(|g| g.to_string()),
        modifiers,
    })
}

/// Send `cmd` for route `r` on the routing socket and say how it went;
/// `get` prints the route found with `print_get`.
fn route_command(
    c: &rumpclient::Client,
    cmd: &str,
    r: &Request,
    quiet: bool,
    print_get: &dyn Fn(&RtMsg) -> ExitCode,
) -> ExitCode {
    let mut rs = match RouteSock::open(c) {
        Ok(rs) => rs,
        Err(e) => {
            eprintln!("{PROG}: socket: {}", e.description());
            return ExitCode::from(1);
        }
    };
    let typ = match cmd {
        "add" => RTM_ADD,
        "delete" => RTM_DELETE,
        "change" => RTM_CHANGE,
        _ => RTM_GET,
    };
    let mut flags = RTF_UP | RTF_STATIC | r.modifiers;
    if r.host {
        flags |= RTF_HOST;
    }
    if !r.iface && typ != RTM_GET {
        flags |= RTF_GATEWAY;
    }
    let mut dl = vec![0u8; sockaddr_dl::SIZE];
    sockaddr_dl::sdl_len.put(&mut dl, sockaddr_dl::SIZE as u64);
    sockaddr_dl::sdl_family.put(&mut dl, AF_LINK as u64);
    let mut addrs: Vec<(i32, &[u8])> = vec![(RTA_DST, &r.dst)];
    if let Some(g) = r.gateway.as_ref().filter(|_| typ != RTM_GET) {
        addrs.push((RTA_GATEWAY, g));
    }
    if let Some(m) = r.mask.as_ref().filter(|_| typ != RTM_GET) {
        addrs.push((RTA_NETMASK, m));
    }
    if typ == RTM_GET {
        addrs.push((RTA_IFP, &dl));
    }
    let what = format!("{cmd} {} {}", if r.host { "host" } else { "net" }, r.shown);
    let gw = r
        .gateway_text
        .as_ref()
        .map_or(String::new(), |g| format!(": gateway {g}"));
    let answer = match rs.request(typ, flags, &addrs) {
        Ok(a) => a,
        Err(e) => {
            let why = match e {
                Errno::ESRCH => "not in table".to_string(),
                Errno::EBUSY => "entry in use".to_string(),
                Errno::ENOBUFS => "routing table overflow".to_string(),
                e => e.description().to_string(),
            };
            eprintln!("{PROG}: writing to routing socket: {why}");
            if typ != RTM_GET && !quiet {
                println!("{what}{gw}: {why}");
            }
            return ExitCode::from(1);
        }
    };
    if typ != RTM_GET {
        if !quiet {
            println!("{what}{gw}");
        }
        return ExitCode::SUCCESS;
    }
    print_get(&answer)
}

/// `add`, `delete`, `change` or `get` with the operands after it.
fn route_operation(cmd: &str, operands: &[String], quiet: bool) -> ExitCode {
    let v6 = operands.iter().any(|w| w == "-inet6");
    let v4 = if v6 {
        None
    } else {
        match parse_route_args(cmd, operands) {
            Ok(r) => Some(r),
            Err(code) => return code,
        }
    };
    let Some(c) = rumpclient::Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    match v4 {
        Some(r) => route_command(&c, cmd, &r.request(), quiet, &|a| print_got(a, r.dst)),
        None => match parse_route6_args(&c, cmd, operands) {
            Ok(r) => {
                let names = if_names(&c).unwrap_or_default();
                route_command(&c, cmd, &r, quiet, &|a| print_got6(a, &r.dst, &names))
            }
            Err(code) => code,
        },
    }
}

/// `get`'s answer for destination `dst`, as route(8) prints it.
fn print_got(answer: &RtMsg, dst: u32) -> ExitCode {
    let errno = answer.get(rt_msghdr::rtm_errno) as u32 as i32;
    if errno != 0 {
        eprintln!(
            "{PROG}: RTM_GET: {} (errno {errno})",
            Errno(errno).description()
        );
        return ExitCode::from(1);
    }
    let rflags = answer.flags;
    let ip = |i: i32| {
        answer
            .addr(i)
            .filter(|s| s.len() >= sin::sin_addr.range().end)
            .map(|s| fmt_ipv4(sa_ipv4(s)))
    };
    println!("   route to: {}", fmt_ipv4(dst.to_be_bytes()));
    let d = ip(RTAX_DST).unwrap_or_default();
    println!(
        "destination: {}",
        if d == "0.0.0.0" { "default".into() } else { d }
    );
    if let Some(mk) = answer.addr(RTAX_NETMASK) {
        let s = if mk.len() <= sin::sin_addr.offset {
            "default".to_string()
        } else {
            ip(RTAX_NETMASK).unwrap_or_default()
        };
        println!("       mask: {s}");
    }
    if rflags as i32 & RTF_GATEWAY != 0
        && let Some(g) = ip(RTAX_GATEWAY)
    {
        println!("    gateway: {g}");
    }
    if let Some(a) = ip(RTAX_IFA) {
        println!(" local addr: {a}");
    }
    if let Some(dl) = answer.addr(RTAX_IFP)
        && dl.len() >= sockaddr_dl::sdl_addr__dl_data.offset
    {
        println!("  interface: {}", sdl_name(dl));
    }
    print_got_metrics(answer)
}

/// `get`'s answer about an IPv6 destination (`dst`, a `sockaddr_in6`),
/// as route(8) prints it: the destination and mask as addresses, the
/// gateway and local address with the interface of their scope
/// (`routename`, `inet6_getscopeid`).
fn print_got6(
    answer: &RtMsg,
    dst: &[u8],
    names: &std::collections::HashMap<u16, String>,
) -> ExitCode {
    use rump_nettools::inet6::{route_host_text, route_scoped_text};
    let errno = answer.get(rt_msghdr::rtm_errno) as u32 as i32;
    if errno != 0 {
        eprintln!(
            "{PROG}: RTM_GET: {} (errno {errno})",
            Errno(errno).description()
        );
        return ExitCode::from(1);
    }
    let text = |i: i32| answer.addr(i).map(route_host_text);
    let scoped = |i: i32| answer.addr(i).map(|sa| route_scoped_text(sa, names));
    println!("   route to: {}", route_host_text(dst));
    println!("destination: {}", text(RTAX_DST).unwrap_or_default());
    if let Some(mk) = answer.addr(RTAX_NETMASK) {
        let mut full = mk.to_vec();
        full.resize(netbsd_abi::layout::sockaddr_in6::SIZE, 0);
        let s = if mk.first().is_none_or(|&l| l == 0) {
            "default".to_string()
        } else {
            route_host_text(&full)
        };
        println!("       mask: {s}");
    }
    if answer.flags as i32 & RTF_GATEWAY != 0
        && let Some(g) = scoped(RTAX_GATEWAY)
    {
        println!("    gateway: {g}");
    }
    if let Some(a) = scoped(RTAX_IFA) {
        println!(" local addr: {a}");
    }
    if let Some(dl) = answer.addr(RTAX_IFP)
        && dl.len() >= sockaddr_dl::sdl_addr__dl_data.offset
    {
        println!("  interface: {}", sdl_name(dl));
    }
    print_got_metrics(answer)
}

/// The flags and metrics lines that end `get`'s answer.
fn print_got_metrics(answer: &RtMsg) -> ExitCode {
    let rflags = answer.flags;
    println!("      flags: {}", flags_text(rflags));
    println!(" recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire");
    // rtm_rmx: only the MTU is kept; the rest are 0 as on NetBSD.
    let rmx = |f: netbsd_abi::Field| answer.get(metric(f));
    let mtu = answer.mtu();
    // route(8) shows an expiry relative to now (a connected route's
    // is the time it was made, so its age, negative).
    let expire = match rmx(netbsd_abi::layout::rt_metrics::rmx_expire) as i64 {
        0 => 0,
        t => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs() as i64);
            t - now
        }
    };
    println!(
        "{}",
        format!("{:>8}  ", 0).repeat(6) + &format!("{mtu:>8}  ") + &format!("{expire:>8} ")
    );
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let quiet = match parse_flags(&mut args) {
        Ok(q) => q,
        Err(code) => return code,
    };
    let Some(cmd) = args.first().cloned() else {
        return usage();
    };
    match cmd.as_str() {
        "add" | "delete" | "change" | "get" => route_operation(&cmd, &args[1..], quiet),
        "show" | "flush" | "monitor" => table_command(&cmd, &args[1..], quiet),
        _ => usage(),
    }
}
