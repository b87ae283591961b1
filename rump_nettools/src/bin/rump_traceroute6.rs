//! `rump.traceroute6`: NetBSD's traceroute6(8) as a rump kernel client:
//! UDP probes with rising hop limits (`IPV6_UNICAST_HOPS`), each to the
//! next port, and the answers (time exceeded, destination unreachable)
//! read on a raw ICMPv6 socket with their hop limit and packet info.
//!
//! `rump.traceroute6 [-ln] [-f firsthop] [-m hoplimit] [-p port]
//! [-q probes] [-s src] [-w waittime] target [datalen]`.

use netbsd_abi::layout::sockaddr_in6 as sin6;
use netbsd_abi::{
    AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO, IPV6_UNICAST_HOPS,
    SO_SNDBUF, SOCK_DGRAM, SOCK_RAW, SOL_SOCKET, SYS___socket30, SYS_bind, SYS_close, SYS_connect,
    SYS_getsockname, SYS_sendto, SYS_setsockopt,
};
use rump_nettools::inet6::{parse_sockaddr_in6, recvmsg6};
use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::net::Ipv6Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const PROG: &str = "rump.traceroute6";
/// `DUMMY_PORT`: where the source is learnt by connecting a UDP socket.
const DUMMY_PORT: u16 = 10010;
/// `MAXPACKET`: the largest packet.
const MAXPACKET: usize = 65535;
/// `sizeof(struct opacket)`: the sequence number and hop limit, then a
/// `struct timeval` (two 64-bit words on amd64) on its alignment.
const OPACKET: usize = 24;
const OPACKET_TV: usize = 8;
/// `gai_strerror(EAI_NONAME)`: what an address that is not one gets
/// (there is no name service).
const NONAME: &str = "hostname nor servname provided, or not known";
/// ICMPv6 types and `ICMP6_TIME_EXCEED_TRANSIT` (RFC 4443,
/// `netinet/icmp6.h`).
const DST_UNREACH: u8 = 1;
const TIME_EXCEEDED: u8 = 3;
const TIME_EXCEED_TRANSIT: u8 = 0;
/// `ICMP6_DST_UNREACH_*` codes traceroute6 marks.
const UNREACH_NOROUTE: u8 = 0;
const UNREACH_ADMIN: u8 = 1;
const UNREACH_NOTNEIGHBOR: u8 = 2;
const UNREACH_ADDR: u8 = 3;
const UNREACH_NOPORT: u8 = 4;
/// Next headers `get_udphdr` steps over or stops at.
const NH_UDP: u8 = netbsd_abi::IPPROTO_UDP as u8;
const NH_TCP: u8 = netbsd_abi::IPPROTO_TCP as u8;
const NH_ICMPV6: u8 = IPPROTO_ICMPV6 as u8;
const NH_ESP: u8 = netbsd_abi::IPPROTO_ESP as u8;
const NH_AH: u8 = netbsd_abi::IPPROTO_AH as u8;
const NH_FRAGMENT: u8 = netbsd_abi::IPPROTO_FRAGMENT as u8;
/// The IPv6 header's length and where its next header lies.
const IP6_HDR: usize = 40;
const IP6_NXT: usize = 6;
/// The ICMPv6 header before the quoted packet.
const ICMP6_HDR: usize = 8;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-ln] [-f firsthop] [-m hoplimit] [-p port]\n       [-q probes] [-s src] [-w waittime] target [datalen]"
    );
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

/// The command line.
struct Opts {
    /// `-n`: addresses only; `-l`: the name and the address (there is no
    /// name service, so the address twice).
    numeric: bool,
    both: bool,
    first: u32,
    max: u32,
    port: u16,
    nprobes: u32,
    /// `-s`: the probes' source address.
    source: Option<String>,
    wait: u32,
    target: String,
    /// The probe's size: `struct opacket` and the data asked for.
    datalen: usize,
}

/// A number as `strtoul(s, &ep, 0)` reads it: decimal, `0x` hex or `0`
/// octal, all of the string.
fn strtoul(s: &str) -> Option<u64> {
    let (digits, radix) = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (h, 16)
    } else if s.len() > 1 && s.starts_with('0') {
        (&s[1..], 8)
    } else {
        (s, 10)
    };
    u64::from_str_radix(digits, radix).ok()
}

/// Parse the command line as traceroute6's getopt loop does, with its
/// messages; Err: the exit code after saying what is wrong.
fn parse(args: &[String]) -> Result<Opts, ExitCode> {
    let mut o = Opts {
        numeric: false,
        both: false,
        first: 1,
        max: 30,
        port: 32768 + 666,
        nprobes: 3,
        source: None,
        wait: 5,
        target: String::new(),
        datalen: 0,
    };
    let bad = |msg: &str| {
        eprintln!("traceroute6: {msg}");
        ExitCode::from(1)
    };
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') && args[i] != "-" {
        if args[i] == "--" {
            i += 1;
            break;
        }
        let word = args[i].clone();
        for (at, f) in word[1..].char_indices() {
            let takes = "fgmpqsw".contains(f);
            let value = if takes {
                let rest = &word[1 + at + 1..];
                let v = if rest.is_empty() {
                    i += 1;
                    match args.get(i) {
                        Some(v) => v.clone(),
                        None => return Err(usage()),
                    }
                } else {
                    rest.to_string()
                };
                Some(v)
            } else {
                None
            };
            let v = value.as_deref().unwrap_or("");
            let n = strtoul(v);
            match f {
                'l' => o.both = true,
                'n' => o.numeric = true,
                'f' => {
                    o.first = n
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| bad("invalid min hoplimit."))?;
                    if o.first > o.max {
                        return Err(bad(&format!("min hoplimit must be <= {}.", o.max)));
                    }
                }
                'm' => {
                    o.max = n
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| bad("invalid max hoplimit."))?;
                    if o.max < o.first {
                        return Err(bad(&format!("max hoplimit must be >= {}.", o.first)));
                    }
                }
                'p' => {
                    // port is a u_short in traceroute6: what is larger wraps.
                    let p = n.ok_or_else(|| bad("port."))? as u16;
                    if p < 1 {
                        return Err(bad("port must be >0."));
                    }
                    o.port = p;
                }
                'q' => {
                    o.nprobes = n
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| bad("invalid nprobes."))?;
                    if o.nprobes < 1 {
                        return Err(bad("nprobes must be >0."));
                    }
                }
                's' => o.source = Some(v.to_string()),
                'w' => {
                    o.wait = n
                        .and_then(|n| u32::try_from(n).ok())
                        .ok_or_else(|| bad("invalid wait time."))?;
                    if o.wait <= 1 {
                        return Err(bad("wait must be >1 sec."));
                    }
                }
                'd' | 'g' | 'r' | 'v' | 'I' => {
                    eprintln!("{PROG}: -{f}: not supported yet");
                    return Err(ExitCode::from(1));
                }
                _ => return Err(usage()),
            }
            if takes {
                break;
            }
        }
        i += 1;
    }
    match &args[i..] {
        [t] => o.target = t.clone(),
        [t, len] => {
            o.target = t.clone();
            let n = strtoul(len).ok_or_else(|| bad("invalid packet length."))?;
            o.datalen = usize::try_from(n).unwrap_or(usize::MAX);
        }
        _ => return Err(usage()),
    }
    if o.datalen >= MAXPACKET - OPACKET {
        return Err(bad(&format!(
            "packet size must be 0 <= s < {}.",
            MAXPACKET - OPACKET
        )));
    }
    o.datalen += OPACKET;
    Ok(o)
}

/// `ADDR[%IF]` (numeric: there is no name service) as a `sockaddr_in6`.
fn sockaddr_of(c: &Client, s: &str) -> Option<Vec<u8>> {
    let names = if_names(c).unwrap_or_default();
    rump_nettools::route6::scoped_sockaddr(s, &names)
}

/// getnameinfo's numeric host: with `%interface` when it has a scope.
fn host_text(c: &Client, (a, scope): (Ipv6Addr, u32)) -> String {
    match u16::try_from(scope).ok().filter(|&z| z != 0) {
        Some(z) => {
            let name = if_names(c).ok().and_then(|mut n| n.remove(&z));
            format!("{a}%{}", name.unwrap_or_else(|| z.to_string()))
        }
        None => a.to_string(),
    }
}

/// C's `%g`: six significant digits, trailing zeros dropped, exponent
/// form below 1e-4 and from 1e6 on.
fn fmt_g(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let sci = format!("{x:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let trim = |s: String| {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{sign}{:02}", trim(mant.to_string()), exp.abs())
    } else {
        let decimals = usize::try_from(5 - exp).unwrap_or(0);
        trim(format!("{x:.decimals$}"))
    }
}

/// The sockets: the raw ICMPv6 one the answers come to and the UDP one
/// the probes leave by, bound to the source; the source and its port.
struct Sockets {
    rcv: u64,
    snd: u64,
    src: Vec<u8>,
    srcport: u16,
}

fn setsockopt_int(c: &Client, fd: u64, level: i32, name: i32, v: i32) -> Result<(), Errno> {
    let m = Regions::new();
    let b = m.add(&v.to_le_bytes());
    c.syscall(SYS_setsockopt, &[fd, arg(level), arg(name), b, 4], &m)
        .map(|_| ())
}

/// `getsockname` of `fd`.
fn sockname(c: &Client, fd: u64) -> Result<Vec<u8>, Errno> {
    let m = Regions::new();
    let sa = m.add_zeroed(sin6::SIZE);
    let len = m.add(&(sin6::SIZE as u32).to_le_bytes());
    c.syscall(SYS_getsockname, &[fd, sa, len], &m)?;
    Ok(m.get(sa))
}

/// Open the sockets as traceroute6 does, or say why not.
fn open_sockets(c: &Client, o: &Opts, dst: &[u8]) -> Result<Sockets, ExitCode> {
    let m = Regions::new();
    let socket = |ty: i32, proto: i32| {
        c.syscall(SYS___socket30, &[arg(AF_INET6), arg(ty), arg(proto)], &m)
            .map(|r| r[0] as u64)
    };
    let rcv = socket(SOCK_RAW, IPPROTO_ICMPV6).map_err(|e| fail("socket(ICMPv6)", e))?;
    setsockopt_int(c, rcv, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
        .map_err(|e| fail("setsockopt(IPV6_RECVPKTINFO)", e))?;
    setsockopt_int(c, rcv, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1)
        .map_err(|e| fail("setsockopt(IPV6_RECVHOPLIMIT)", e))?;
    let snd = socket(SOCK_DGRAM, 0).map_err(|e| fail("socket(SOCK_DGRAM)", e))?;
    let len = i32::try_from(o.datalen).unwrap_or(i32::MAX);
    setsockopt_int(c, snd, SOL_SOCKET, SO_SNDBUF, len)
        .map_err(|e| fail("setsockopt(SO_SNDBUF)", e))?;
    // The source: as given, or the one the kernel picks for a UDP socket
    // connected to the destination.
    let mut src = match &o.source {
        Some(s) => sockaddr_of(c, s).ok_or_else(|| {
            println!("traceroute6: {s}: {NONAME}");
            ExitCode::from(1)
        })?,
        None => {
            let dummy = socket(SOCK_DGRAM, 0).map_err(|e| fail("socket", e))?;
            let mut to = dst.to_vec();
            to[sin6::sin6_port.range()].copy_from_slice(&DUMMY_PORT.to_be_bytes());
            c.syscall(SYS_connect, &[dummy, m.add(&to), to.len() as u64], &m)
                .map_err(|e| fail("connect", e))?;
            let name = sockname(c, dummy).map_err(|e| fail("getsockname", e))?;
            let _ = c.syscall(SYS_close, &[dummy], &m);
            name
        }
    };
    src[sin6::sin6_port.range()].copy_from_slice(&[0, 0]);
    c.syscall(SYS_bind, &[snd, m.add(&src), src.len() as u64], &m)
        .map_err(|e| fail("bind", e))?;
    let bound = sockname(c, snd).map_err(|e| fail("getsockname", e))?;
    let srcport = bound
        .get(sin6::sin6_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    Ok(Sockets {
        rcv,
        snd,
        src,
        srcport,
    })
}

/// Send probe `seq` with hop limit `hops` (`send_probe`): the opacket's
/// sequence number, hop limit and time, to port `port + seq`.
fn send_probe(c: &Client, s: &Sockets, o: &Opts, dst: &[u8], seq: u32, hops: u32) {
    if let Err(e) = setsockopt_int(
        c,
        s.snd,
        IPPROTO_IPV6,
        IPV6_UNICAST_HOPS,
        i32::try_from(hops).unwrap_or(i32::MAX),
    ) {
        eprintln!("setsockopt IPV6_UNICAST_HOPS: {}", e.description());
    }
    let mut to = dst.to_vec();
    let dport = o.port.wrapping_add(seq as u16);
    to[sin6::sin6_port.range()].copy_from_slice(&dport.to_be_bytes());
    let mut pkt = vec![0u8; o.datalen];
    pkt[0] = seq as u8;
    pkt[1] = hops as u8;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    pkt[OPACKET_TV..OPACKET_TV + 8].copy_from_slice(&now.as_secs().to_le_bytes());
    pkt[OPACKET_TV + 8..OPACKET_TV + 16]
        .copy_from_slice(&u64::from(now.subsec_micros()).to_le_bytes());
    let m = Regions::new();
    let a = [
        s.snd,
        m.add(&pkt),
        pkt.len() as u64,
        0,
        m.add(&to),
        to.len() as u64,
    ];
    match c.syscall(SYS_sendto, &a, &m) {
        Ok(r) if r[0] as usize == pkt.len() => {}
        r => {
            let ret = match r {
                Ok(r) => r[0],
                Err(e) => {
                    eprintln!("sendto: {}", e.description());
                    -1
                }
            };
            println!(
                "traceroute6: wrote {} {} chars, ret={ret}",
                o.target,
                pkt.len()
            );
        }
    }
}

/// The UDP header an ICMPv6 error quotes, past the quoted IPv6 header
/// and its extension headers (`get_udphdr`).
fn quoted_udp(quoted: &[u8]) -> Option<&[u8]> {
    if quoted.len() <= IP6_HDR {
        return None;
    }
    let mut nh = quoted[IP6_NXT];
    let mut at = IP6_HDR;
    while quoted.len() - at >= 8 {
        let hlen = match nh {
            NH_ESP | NH_TCP | NH_ICMPV6 => return None,
            NH_UDP => return quoted.get(at..),
            NH_FRAGMENT => 8,
            NH_AH => (usize::from(quoted[at + 1]) + 2) << 2,
            _ => (usize::from(quoted[at + 1]) + 1) << 3,
        };
        nh = quoted[at];
        at += hlen;
    }
    None
}

/// What answered a probe.
struct Answer {
    from: (Ipv6Addr, u32),
    /// None for time exceeded; the unreachable code else.
    unreach: Option<u8>,
    /// The hop limit it came with (0 when the kernel did not say, as
    /// traceroute6 takes it then).
    hlim: i32,
}

/// Wait for the answer to probe `seq` until `until` (`wait_for_reply`
/// and `packet_ok`).
fn wait_answer(c: &Client, s: &Sockets, o: &Opts, seq: u32, until: Instant) -> Option<Answer> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() || !matches!(poll_in(c, s.rcv, left.as_millis() as u64), Ok(true)) {
            return None;
        }
        let Ok(r) = recvmsg6(c, s.rcv, 0) else {
            continue;
        };
        if r.data.len() < ICMP6_HDR {
            continue;
        }
        let hlim = match (r.hlim, r.pktinfo) {
            (Some(h), true) => h,
            _ => {
                eprintln!("{PROG}: failed to get received hop limit or packet info");
                0
            }
        };
        let (typ, code) = (r.data[0], r.data[1]);
        if !(typ == TIME_EXCEEDED && code == TIME_EXCEED_TRANSIT || typ == DST_UNREACH) {
            continue;
        }
        let Some(udp) = quoted_udp(&r.data[ICMP6_HDR..]) else {
            continue;
        };
        let port = |at: usize| u16::from_be_bytes([udp[at], udp[at + 1]]);
        if port(0) == s.srcport && port(2) == o.port.wrapping_add(seq as u16) {
            return Some(Answer {
                from: r.from,
                unreach: (typ == DST_UNREACH).then_some(code),
                hlim,
            });
        }
    }
}

/// Probe one hop (`nprobes` probes), printing its line; whether to stop
/// (the destination answered, or half the probes were unreachable).
fn probe_hop(c: &Client, s: &Sockets, o: &Opts, dst: &[u8], hops: u32, seq: &mut u32) -> bool {
    print!("{hops:2} ");
    let mut last: Option<Ipv6Addr> = None;
    let (mut got_there, mut unreachable) = (false, 0u32);
    for _ in 0..o.nprobes {
        *seq += 1;
        let t1 = Instant::now();
        send_probe(c, s, o, dst, *seq, hops);
        let until = t1 + Duration::from_secs(u64::from(o.wait));
        let Some(a) = wait_answer(c, s, o, *seq, until) else {
            print!(" *");
            continue;
        };
        let ms = t1.elapsed().as_secs_f64() * 1000.0;
        if last != Some(a.from.0) {
            let h = host_text(c, a.from);
            if o.both && !o.numeric {
                print!(" {h} ({h})");
            } else {
                print!(" {h}");
            }
            last = Some(a.from.0);
        }
        print!("  {} ms", fmt_g(ms));
        match a.unreach {
            Some(UNREACH_NOROUTE) => {
                unreachable += 1;
                print!(" !N");
            }
            Some(UNREACH_ADMIN) => {
                unreachable += 1;
                print!(" !P");
            }
            Some(UNREACH_NOTNEIGHBOR) => {
                unreachable += 1;
                print!(" !S");
            }
            Some(UNREACH_ADDR) => {
                unreachable += 1;
                print!(" !A");
            }
            Some(UNREACH_NOPORT) => {
                if (0..=1).contains(&a.hlim) {
                    print!(" !");
                }
                got_there = true;
            }
            _ => {}
        }
    }
    println!();
    got_there || (unreachable > 0 && unreachable >= o.nprobes.div_ceil(2))
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let Some(dst) = sockaddr_of(&c, &o.target) else {
        eprintln!("traceroute6: {NONAME}");
        return ExitCode::from(1);
    };
    let s = match open_sockets(&c, &o, &dst) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let shown = |sa: &[u8]| parse_sockaddr_in6(sa).map(|a| host_text(&c, a));
    let from = match &o.source {
        Some(src) => src.clone(),
        None => shown(&s.src).unwrap_or_default(),
    };
    eprintln!(
        "traceroute6 to {} ({}) from {from}, {} hops max, {} byte packets",
        o.target,
        shown(&dst).unwrap_or_else(|| "(invalid)".into()),
        o.max,
        o.datalen
    );
    if o.first > 1 {
        println!("Skipping {} intermediate hops", o.first - 1);
    }
    let mut seq = 0u32;
    for hops in o.first..=o.max {
        if probe_hop(&c, &s, &o, &dst, hops, &mut seq) {
            break;
        }
    }
    ExitCode::SUCCESS
}
