//! `rump.ping6`: NetBSD's ping6(8) as a rump kernel client.
//!
//! `rump.ping6 [-dfmnoqv] [-b sockbufsiz] [-c count] [-h hoplimit]
//! [-I interface] [-i wait] [-l preload] [-p pattern] [-S sourceaddr]
//! [-s packetsize] [-X deadline] [-x maxwait] host[%interface]`: echo
//! requests on a raw ICMPv6 socket whose `ICMP6_FILTER` passes only echo
//! replies (every type with `-v`), the source address chosen as ping6
//! chooses it (a connected UDP socket's name) unless `-S` binds one, the
//! replies' hop limits and destinations from `IPV6_HOPLIMIT` and
//! `IPV6_PKTINFO` control messages. Packets carry ping6's `struct tv32`
//! time stamp (when the data has room for it) and its fill bytes, which
//! each reply is checked against. Output and exit status follow NetBSD:
//! with `-c`, 0 when every reply came; without, 0 when any did; 1
//! otherwise. Node information queries (`-a -t -w -W -N`), routing
//! headers (intermediate hops, `-g`), names (`-H`) and IPsec (`-P`) say
//! that they are not supported yet.

use netbsd_abi::{
    AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, IPV6_RECVHOPLIMIT,
    IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS, IPV6_USE_MIN_MTU, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET,
    SYS___socket30, SYS_bind, SYS_close, SYS_connect, SYS_getsockname, SYS_sendto, SYS_setsockopt,
};
use rump_nettools::inet6::{parse_sockaddr_in6, sockaddr_in6};
use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::collections::HashSet;
use std::io::Write;
use std::net::Ipv6Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PROG: &str = "rump.ping6";
/// `ICMP6ECHOLEN`: the echo header (type, code, sum, id, seq).
const ECHOLEN: usize = 8;
/// `ICMP6ECHOTMLEN`: ping6's `struct tv32` time stamp.
const TMLEN: usize = 8;
/// `DEFDATALEN`: ping6's default data length, the time stamp alone.
const DEFDATALEN: usize = TMLEN;
/// `MAXDATALEN`: ping6's `MAXPACKETLEN` (131072) less the IPv6 and echo
/// headers.
const MAXDATALEN: usize = 131072 - 40 - ECHOLEN;
/// Above this much data ping6 warns that the default socket buffers are
/// too small.
const BIG_DATALEN: usize = 8 * 1024;
/// `DUMMY_PORT`: where ping6's UDP socket connects to learn the source.
const DUMMY_PORT: u16 = 10101;
/// `ICMP6_ECHO_REQUEST`, `ICMP6_ECHO_REPLY` (`netinet/icmp6.h`).
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;
/// `ICMP6_FILTER` (`netinet/icmp6.h`, not in the ABI tables).
const ICMP6_FILTER: i32 = 18;
/// `SO_DEBUG`, `SO_SNDBUF`, `SO_RCVBUF` (`sys/socket.h`; the ABI tables
/// carry them under their `rumpdefs.h` names).
const SO_DEBUG: i32 = netbsd_abi::RUMP_SO_DEBUG;
const SO_SNDBUF: i32 = netbsd_abi::RUMP_SO_SNDBUF;
const SO_RCVBUF: i32 = netbsd_abi::RUMP_SO_RCVBUF;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-dfHmnNoqtvwW] [-a [aAclsg]] [-b sockbufsiz] [-c count]\n\
         \t[-I interface] [-i wait] [-l preload] [-p pattern] [-X deadline]\n\
         \t[-x maxwait] [-S sourceaddr] [-s packetsize] [-h hoplimit]\n\
         \t[-g gateway] [hops...] host"
    );
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

/// ping6's `errx(1, ...)`.
fn die(msg: &str) -> ExitCode {
    eprintln!("{PROG}: {msg}");
    ExitCode::from(1)
}

struct Opts {
    count: Option<u64>,
    interval: f64,
    datalen: usize,
    hoplimit: Option<i32>,
    ifname: Option<String>,
    source: Option<String>,
    sockbuf: Option<i32>,
    preload: u64,
    pattern: Option<Vec<u8>>,
    quiet: bool,
    verbose: bool,
    flood: bool,
    once: bool,
    debug: bool,
    min_mtu: bool,
    maxwait: Option<f64>,
    deadline: Option<f64>,
    host: String,
}

/// The option letters that take a value (ping6's getopt string).
const WITH_VALUE: &str = "abcghIilpPSsxX";

/// Parse the arguments as ping6's getopt does; `Err` carries ping6's
/// message for a bad value, `Ok(None)` means print the usage.
fn parse(args: &[String]) -> Result<Option<Opts>, String> {
    let mut o = Opts {
        count: None,
        interval: 1.0,
        datalen: DEFDATALEN,
        hoplimit: None,
        ifname: None,
        source: None,
        sockbuf: None,
        preload: 0,
        pattern: None,
        quiet: false,
        verbose: false,
        flood: false,
        once: false,
        debug: false,
        min_mtu: false,
        maxwait: None,
        deadline: None,
        host: String::new(),
    };
    let mut interval_set = false;
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i].len() > 1 {
        if args[i] == "--" {
            i += 1;
            break;
        }
        let word: Vec<char> = args[i][1..].chars().collect();
        let mut k = 0;
        while k < word.len() {
            let ch = word[k];
            k += 1;
            let value = if WITH_VALUE.contains(ch) {
                let v: String = word[k..].iter().collect();
                k = word.len();
                if v.is_empty() {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => {
                            eprintln!("{PROG}: option requires an argument -- {ch}");
                            return Ok(None);
                        }
                    }
                } else {
                    v
                }
            } else {
                String::new()
            };
            let v = value.as_str();
            match ch {
                'c' => match v.parse::<i64>() {
                    Ok(n) if n > 0 => o.count = Some(n as u64),
                    _ => return Err(format!("illegal number of packets -- {v}")),
                },
                'd' => o.debug = true,
                'f' => o.flood = true,
                'h' => match v.parse::<i32>() {
                    Ok(h) if (-1..=255).contains(&h) => o.hoplimit = (h != -1).then_some(h),
                    Ok(_) => return Err(format!("illegal hoplimit -- {v}")),
                    Err(_) => return Err(format!("illegal hoplimit {v}")),
                },
                'I' => o.ifname = Some(value),
                'i' => {
                    let f: f64 = v
                        .parse()
                        .ok()
                        .filter(|f: &f64| *f >= 0.0)
                        .ok_or_else(|| format!("illegal timing interval {v}"))?;
                    o.interval = if f < 0.01 {
                        eprintln!("{PROG}: too small interval, raised to 0.01");
                        0.01
                    } else {
                        f
                    };
                    interval_set = true;
                }
                'l' => match v.parse::<i64>() {
                    Ok(n) if n >= 0 => o.preload = n as u64,
                    _ => return Err(format!("illegal preload value -- {v}")),
                },
                'm' => o.min_mtu = true,
                'n' => {}
                'o' => o.once = true,
                'p' => o.pattern = Some(pattern(v)?),
                'q' => o.quiet = true,
                'S' => o.source = Some(value),
                's' => match v.parse::<i64>() {
                    Ok(n) if n >= 0 && n as usize > MAXDATALEN => {
                        return Err(format!("datalen value too large, maximum is {MAXDATALEN}"));
                    }
                    Ok(n) if n >= 0 => o.datalen = n as usize,
                    _ => return Err(format!("illegal datalen value -- {v}")),
                },
                'b' => match v.parse::<i32>() {
                    Ok(n) if n > 0 => o.sockbuf = Some(n),
                    _ => return Err(format!("invalid socket buffer size -- {v}")),
                },
                'v' => o.verbose = true,
                'x' => match v.parse::<f64>() {
                    Ok(f) if f > 0.0 => o.maxwait = Some(f),
                    _ => return Err(format!("Bad/invalid maxwait time: {v}")),
                },
                'X' => match v.parse::<f64>() {
                    Ok(f) if f > 0.0 => o.deadline = Some(f),
                    _ => return Err(format!("Bad/invalid deadline time: {v}")),
                },
                'a' | 't' | 'w' | 'W' | 'N' => {
                    return Err(format!(
                        "-{ch}: node information queries are not supported yet"
                    ));
                }
                'g' => return Err("-g: routing headers are not supported yet".into()),
                // Addresses are shown as numbers all the same: a rump
                // kernel's client has no resolver, as NetBSD's ping6
                // against one prints them.
                'H' => {}
                'P' => return Err("-P: IPsec policies are not supported yet".into()),
                'R' => return Err("-R is not supported in this configuration".into()),
                _ => {
                    eprintln!("{PROG}: unknown option -- {ch}");
                    return Ok(None);
                }
            }
        }
        i += 1;
    }
    if o.flood && interval_set {
        return Err("-f and -i incompatible options".into());
    }
    if o.flood {
        o.interval = 0.01;
    }
    match &args[i..] {
        [h] => o.host = h.clone(),
        [] => return Ok(None),
        _ => return Err("intermediate hops (routing headers) are not supported yet".into()),
    }
    Ok(Some(o))
}

/// ping6's `fill`: up to 16 bytes given in hex, printed back.
fn pattern(p: &str) -> Result<Vec<u8>, String> {
    if !p.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err("patterns must be specified as hex digits".into());
    }
    let b = p.as_bytes();
    Ok(b.chunks(2)
        .take(16)
        .filter_map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
        .collect())
}

/// `ADDR[%IF]` as an address and scope.
fn destination(c: &Client, host: &str) -> Result<(Ipv6Addr, u32), String> {
    let (a, zone) = match host.split_once('%') {
        Some((a, z)) => (a, Some(z)),
        None => (host, None),
    };
    let a: Ipv6Addr = a
        .parse()
        .map_err(|_| format!("{host}: no address associated with name"))?;
    let scope = match zone {
        None => 0,
        Some(z) => {
            let names = if_names(c).map_err(|e| e.description().to_string())?;
            names
                .iter()
                .find(|(_, n)| n.as_str() == z)
                .map(|(i, _)| u32::from(*i))
                .or_else(|| z.parse().ok())
                .ok_or_else(|| format!("{host}: no address associated with name"))?
        }
    };
    Ok((a, scope))
}

/// How ping6 names an address (NetBSD's numeric `getnameinfo`): a
/// link-scoped one with `%IF`, any other with a scope as `%INDEX`.
fn addr_text(c: &Client, a: &Ipv6Addr, scope: u32) -> String {
    if scope == 0 {
        return a.to_string();
    }
    if !rump_nettools::inet6::is_link_scoped(a) {
        return format!("{a}%{scope}");
    }
    let name = u16::try_from(scope)
        .ok()
        .and_then(|i| if_names(c).ok()?.remove(&i))
        .unwrap_or_else(|| scope.to_string());
    format!("{a}%{name}")
}

/// The source address the kernel would choose for `dst`.
fn source(c: &Client, dst: &[u8]) -> Result<(Ipv6Addr, u32), Errno> {
    let m = Regions::new();
    let fd = c.syscall(SYS___socket30, &[arg(AF_INET6), arg(SOCK_DGRAM), 0], &m)?[0] as u64;
    let mut to = dst.to_vec();
    to[2..4].copy_from_slice(&DUMMY_PORT.to_be_bytes());
    let r = c
        .syscall(SYS_connect, &[fd, m.add(&to), to.len() as u64], &m)
        .and_then(|_| {
            let sa = m.add_zeroed(to.len());
            let len = m.add(&(to.len() as u32).to_le_bytes());
            c.syscall(SYS_getsockname, &[fd, sa, len], &m)?;
            Ok(m.get(sa))
        });
    let _ = c.syscall(SYS_close, &[fd], &Regions::new());
    parse_sockaddr_in6(&r?).ok_or(Errno::EINVAL)
}

/// Set an `int` (or any bytes') socket option on `fd`.
fn setopt(c: &Client, fd: u64, level: i32, name: i32, value: &[u8]) -> Result<(), Errno> {
    let m = Regions::new();
    c.syscall(
        SYS_setsockopt,
        &[fd, arg(level), arg(name), m.add(value), value.len() as u64],
        &m,
    )
    .map(|_| ())
}

/// NetBSD's `struct icmp6_filter` passing echo replies only (or every
/// type with `-v`): a set bit passes its type
/// (`ICMP6_FILTER_SETPASS`).
fn icmp6_filter(pass_all: bool) -> [u8; 32] {
    if pass_all {
        return [0xff; 32];
    }
    let mut words = [0u32; 8];
    words[usize::from(ECHO_REPLY >> 5)] |= 1 << (ECHO_REPLY & 31);
    let mut b = [0u8; 32];
    for (w, out) in words.iter().zip(b.chunks_mut(4)) {
        out.copy_from_slice(&w.to_le_bytes());
    }
    b
}

/// ping6's `pr_icmph`, for what `-v` lets through besides echo replies.
fn icmp_text(b: &[u8]) -> String {
    let (t, code) = (b[0], b[1]);
    let word = || u32::from_be_bytes([b[4], b[5], b[6], b[7]]);
    match (t, code) {
        (1, 0) => "No Route to Destination".into(),
        (1, 1) => "Destination Administratively Unreachable".into(),
        (1, 2) => "Destination Unreachable Beyond Scope".into(),
        (1, 3) => "Destination Host Unreachable".into(),
        (1, 4) => "Destination Port Unreachable".into(),
        (1, c) => format!("Destination Unreachable, Bad Code: {c}"),
        (2, _) => format!("Packet too big mtu = {}", word()),
        (3, 0) => "Time to live exceeded".into(),
        (3, 1) => "Frag reassembly time exceeded".into(),
        (3, c) => format!("Time exceeded, Bad Code: {c}"),
        (128, _) => "Echo Request".into(),
        (129, _) => "Echo Reply".into(),
        (130, _) => "Listener Query".into(),
        (131, _) => "Listener Report".into(),
        (132, _) => "Listener Done".into(),
        (133, _) => "Router Solicitation".into(),
        (134, _) => "Router Advertisement".into(),
        (135, _) => "Neighbor Solicitation".into(),
        (136, _) => "Neighbor Advertisement".into(),
        (137, _) => "Redirect".into(),
        _ => format!("Bad ICMP type: {t}"),
    }
}

/// The echo request `seq`: header, time stamp (when there is room) and
/// the fill bytes that follow it, from `outpack`.
fn request(ident: u16, seq: u16, outpack: &[u8], timing: bool) -> Vec<u8> {
    let mut req = vec![ECHO_REQUEST, 0, 0, 0];
    req.extend_from_slice(&ident.to_be_bytes());
    req.extend_from_slice(&seq.to_be_bytes());
    req.extend_from_slice(outpack);
    if timing {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        req[ECHOLEN..ECHOLEN + 4].copy_from_slice(&(now.as_secs() as u32).to_be_bytes());
        req[ECHOLEN + 4..ECHOLEN + TMLEN].copy_from_slice(&now.subsec_micros().to_be_bytes());
    }
    req
}

/// Milliseconds since the time stamp a reply carries.
fn trip_ms(b: &[u8]) -> f64 {
    let sec = u32::from_be_bytes([b[8], b[9], b[10], b[11]]);
    let usec = u32::from_be_bytes([b[12], b[13], b[14], b[15]]);
    let sent = Duration::from_secs(u64::from(sec)) + Duration::from_micros(u64::from(usec));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    now.saturating_sub(sent).as_secs_f64() * 1000.0
}

/// The scope id to send with: the destination's, or `-I`'s interface.
fn interface_scope(
    c: &Client,
    o: &Opts,
    dst: &Ipv6Addr,
    shown_scope: u32,
) -> Result<u32, ExitCode> {
    let mut scope = shown_scope;
    if let Some(name) = &o.ifname {
        let index = if_names(c)
            .ok()
            .and_then(|n| n.into_iter().find(|(_, v)| v == name).map(|(i, _)| i));
        let Some(index) = index else {
            return Err(die(&format!("{name}: invalid interface name")));
        };
        let loopback = dst.is_loopback() && name.starts_with("lo");
        if !rump_nettools::inet6::is_link_scoped(dst) && !loopback {
            // NetBSD names the interface in an IPV6_PKTINFO control
            // message of each sendmsg, which our ping6 does not send.
            return Err(die("-I with a global destination is not supported yet"));
        }
        if !loopback {
            scope = u32::from(index);
        }
    }
    Ok(scope)
}

/// The raw ICMPv6 socket, bound and with the options ping6 sets.
fn open_socket(c: &Client, o: &Opts, src: &(Ipv6Addr, u32)) -> Result<u64, ExitCode> {
    let m = Regions::new();
    let fd = match c.syscall(
        SYS___socket30,
        &[arg(AF_INET6), arg(SOCK_RAW), arg(IPPROTO_ICMPV6)],
        &m,
    ) {
        Ok(r) => r[0] as u64,
        Err(e) => return Err(fail("socket", e)),
    };
    let int = |v: i32| v.to_le_bytes();
    if o.source.is_some() {
        let sa = sockaddr_in6(&src.0, src.1);
        if let Err(e) = c.syscall(SYS_bind, &[fd, m.add(&sa), sa.len() as u64], &m) {
            return Err(fail("bind", e));
        }
    }
    if o.debug {
        // ping6 does not look at the answer either.
        let _ = setopt(c, fd, SOL_SOCKET, SO_DEBUG, &int(1));
    }
    if o.sockbuf
        .map_or(o.datalen > BIG_DATALEN, |n| o.datalen > n as usize)
    {
        eprintln!("{PROG}: you need -b to increase socket buffer size");
    }
    if let Some(n) = o.sockbuf {
        if let Err(e) = setopt(c, fd, SOL_SOCKET, SO_SNDBUF, &int(n)) {
            return Err(fail("setsockopt(SO_SNDBUF)", e));
        }
        if let Err(e) = setopt(c, fd, SOL_SOCKET, SO_RCVBUF, &int(n)) {
            return Err(fail("setsockopt(SO_RCVBUF)", e));
        }
    }
    if o.min_mtu
        && let Err(e) = setopt(c, fd, IPPROTO_IPV6, IPV6_USE_MIN_MTU, &int(1))
    {
        return Err(fail("setsockopt(IPV6_USE_MIN_MTU)", e));
    }
    if let Err(e) = setopt(
        c,
        fd,
        IPPROTO_ICMPV6,
        ICMP6_FILTER,
        &icmp6_filter(o.verbose),
    ) {
        return Err(fail("setsockopt(ICMP6_FILTER)", e));
    }
    for (name, what) in [
        (IPV6_RECVPKTINFO, "setsockopt(IPV6_RECVPKTINFO)"),
        (IPV6_RECVHOPLIMIT, "setsockopt(IPV6_RECVHOPLIMIT)"),
    ] {
        if let Err(e) = setopt(c, fd, IPPROTO_IPV6, name, &int(1)) {
            return Err(fail(what, e));
        }
    }
    if let Some(h) = o.hoplimit {
        for (name, what) in [
            (IPV6_UNICAST_HOPS, "setsockopt(IPV6_UNICAST_HOPS)"),
            (IPV6_MULTICAST_HOPS, "setsockopt(IPV6_MULTICAST_HOPS)"),
        ] {
            if let Err(e) = setopt(c, fd, IPPROTO_IPV6, name, &int(h)) {
                return Err(fail(what, e));
            }
        }
    }
    Ok(fd)
}

/// The statistics ping6 prints at the end, and its exit status.
fn summary(o: &Opts, (sent, got, dups): (u64, u64, u64), times: &[f64], timing: bool) -> ExitCode {
    println!("\n--- {} ping6 statistics ---", o.host);
    let mut line = format!("{sent} packets transmitted, {got} packets received, ");
    if dups > 0 {
        line += &format!("+{dups} duplicates, ");
    }
    if sent > 0 {
        if got > sent {
            line += "-- somebody's duplicating packets!";
        } else {
            line += &format!(
                "{:.1}% packet loss",
                (sent as f64 - got as f64) * 100.0 / sent as f64
            );
        }
    }
    println!("{line}");
    if got > 0 && timing && !times.is_empty() {
        let n = times.len() as f64;
        let min = times.iter().cloned().fold(f64::INFINITY, f64::min);
        let max = times.iter().cloned().fold(0.0, f64::max);
        let avg = times.iter().sum::<f64>() / n;
        let dev = if n > 1.0 {
            ((times.iter().map(|t| t * t).sum::<f64>() - n * avg * avg) / (n - 1.0))
                .max(0.0)
                .sqrt()
        } else {
            0.0
        };
        println!("round-trip min/avg/max/std-dev = {min:.3}/{avg:.3}/{max:.3}/{dev:.3} ms");
    }
    let ok = match o.count {
        Some(n) => got == n,
        None => got > 0,
    };
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// The echo data after ping6's time stamp: its counting fill or `-p`'s
/// pattern (announced unless `-q`).
fn outpack(o: &Opts) -> Vec<u8> {
    let mut outpack = vec![0u8; o.datalen];
    for (k, b) in outpack.iter_mut().enumerate().skip(TMLEN) {
        *b = match &o.pattern {
            Some(p) if !p.is_empty() => p[(k - TMLEN) % p.len()],
            Some(_) => 0,
            None => (k + ECHOLEN - TMLEN) as u8,
        };
    }
    if let Some(p) = &o.pattern
        && !o.quiet
    {
        let hex: String = p.iter().map(|b| format!("{b:02x}")).collect();
        println!("PATTERN: 0x{hex}");
    }
    outpack
}

/// Send echo request `seq`, saying so as ping6 does when it fails.
fn send_request(
    c: &Client,
    fd: u64,
    o: &Opts,
    (ident, seq): (u16, u16),
    outpack: &[u8],
    timing: bool,
    to: &[u8],
) -> Result<(), Errno> {
    let m = Regions::new();
    let req = request(ident, seq, outpack, timing);
    c.syscall(
        SYS_sendto,
        &[
            fd,
            m.add(&req),
            req.len() as u64,
            0,
            m.add(to),
            to.len() as u64,
        ],
        &m,
    )
    .map(|_| ())
    .inspect_err(|e| {
        eprintln!("{PROG}: sendmsg: {}", e.description());
        println!(
            "ping6: wrote {} {} chars, ret=-1",
            o.host,
            ECHOLEN + outpack.len()
        );
    })
}

/// The line ping6 prints for a reply (with `-v` its destination, and
/// any data byte that differs from what was sent).
fn reply_line(
    c: &Client,
    o: &Opts,
    r: &rump_nettools::inet6::Received6,
    (seq, dup, ms): (u16, bool, Option<f64>),
    outpack: &[u8],
) -> String {
    let b = &r.data;
    let from = addr_text(c, &r.from.0, r.from.1);
    let mut line = format!(
        "{} bytes from {from}, icmp_seq={seq} hlim={}",
        b.len(),
        r.hlim.unwrap_or(-1)
    );
    if o.verbose
        && let Some((a, index)) = r.to
    {
        line += &format!(" dst={}", addr_text(c, &a, index));
    }
    if let Some(ms) = ms {
        line += &format!(" time={ms:.3} ms");
    }
    if dup {
        line += "(DUP!)";
    }
    let data = &b[(ECHOLEN + TMLEN).min(b.len())..];
    let want = &outpack[TMLEN.min(outpack.len())..];
    if let Some(k) = data.iter().zip(want).position(|(x, y)| x != y) {
        line += &format!(
            "\nwrong data byte #{} should be 0x{:x} but was 0x{:x}",
            k + 8,
            want[k],
            data[k]
        );
    }
    line
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(Some(o)) => o,
        Ok(None) => return usage(),
        Err(msg) => return die(&msg),
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let (dst, shown_scope) = match destination(&c, &o.host) {
        Ok(d) => d,
        Err(e) => return die(&e),
    };
    let scope = match interface_scope(&c, &o, &dst, shown_scope) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let to = sockaddr_in6(&dst, scope);
    let src = match &o.source {
        Some(text) => match text.parse::<Ipv6Addr>() {
            Ok(a) => (a, 0),
            Err(_) => {
                return die("invalid source address: hostname nor servname provided, or not known");
            }
        },
        None => match source(&c, &to) {
            Ok(s) => s,
            Err(e) => return fail("UDP connect", e),
        },
    };
    let fd = match open_socket(&c, &o, &src) {
        Ok(fd) => fd,
        Err(code) => return code,
    };
    // The bytes after the time stamp: ping6's counting fill or the pattern.
    let timing = o.datalen >= TMLEN;
    let outpack = outpack(&o);
    println!(
        "PING6({}=40+8+{} bytes) {} --> {}",
        40 + ECHOLEN + o.datalen,
        o.datalen,
        addr_text(&c, &src.0, src.1),
        addr_text(&c, &dst, shown_scope)
    );
    let mut out = std::io::stdout();
    let ident = (std::process::id() & 0xffff) as u16;
    let (mut sent, mut got, mut dups) = (0u64, 0u64, 0u64);
    let mut seen: HashSet<u16> = HashSet::new();
    let mut times: Vec<f64> = Vec::new();
    let mut sent_at: Vec<Instant> = Vec::new();
    let start = Instant::now();
    let deadline = o.deadline.map(|d| start + Duration::from_secs_f64(d));
    let mut next = Instant::now();
    let mut last_tx = start;
    let send = |seq: u64| send_request(&c, fd, &o, (ident, seq as u16), &outpack, timing, &to);
    let limit = o.count.unwrap_or(u64::MAX);
    for _ in 0..o.preload.min(limit) {
        let _ = send(sent);
        sent_at.push(Instant::now());
        sent += 1;
    }
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        if sent < limit {
            // ping6 sends when within 100 µs of the next packet's time.
            if next.saturating_duration_since(now) <= Duration::from_micros(100) {
                if send(sent).is_ok() && o.flood {
                    let _ = out.write_all(b".");
                    let _ = out.flush();
                }
                sent_at.push(now);
                sent += 1;
                last_tx = now;
                next = now + Duration::from_secs_f64(o.interval);
            }
        } else {
            // For the last reply ping6 waits twice the longest trip or
            // ten times the interval's whole seconds, whichever is longer.
            let tmax = times.iter().cloned().fold(0.0, f64::max) / 1000.0;
            let wait = (2.0 * tmax).max(10.0 * o.interval.trunc());
            if now.duration_since(last_tx).as_secs_f64() >= wait {
                break;
            }
        }
        let r = match rump_nettools::inet6::recvmsg6(&c, fd, netbsd_abi::MSG_DONTWAIT) {
            Ok(r) => r,
            Err(Errno::EAGAIN) => {
                std::thread::sleep(Duration::from_millis(2));
                continue;
            }
            Err(e) => return fail("recvmsg", e),
        };
        let b = &r.data;
        let from = addr_text(&c, &r.from.0, r.from.1);
        if b.len() < ECHOLEN {
            if o.verbose {
                eprintln!("{PROG}: packet too short ({} bytes) from {from}", b.len());
            }
            continue;
        }
        let seq = u16::from_be_bytes([b[6], b[7]]);
        let mine = b[0] == ECHO_REPLY
            && u16::from_be_bytes([b[4], b[5]]) == ident
            && usize::from(seq) < sent_at.len();
        if !mine {
            if o.verbose && !o.quiet {
                println!("{} bytes from {from}: {}", b.len(), icmp_text(b));
            }
            continue;
        }
        let ms = if timing && b.len() >= ECHOLEN + TMLEN {
            let ms = trip_ms(b);
            if o.maxwait.is_some_and(|w| ms > w) {
                continue;
            }
            Some(ms)
        } else {
            None
        };
        if let Some(ms) = ms {
            times.push(ms);
        }
        let dup = !seen.insert(seq);
        if dup {
            dups += 1;
        } else {
            got += 1;
        }
        if o.quiet {
        } else if o.flood {
            let _ = out.write_all(b"\x08");
            let _ = out.flush();
        } else {
            println!("{}", reply_line(&c, &o, &r, (seq, dup, ms), &outpack));
        }
        if got >= limit || (o.once && got > 0) {
            break;
        }
    }
    let _ = c.syscall(SYS_close, &[fd], &Regions::new());
    summary(&o, (sent, got, dups), &times, timing)
}
