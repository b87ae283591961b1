//! `rump.traceroute`: NetBSD's traceroute(8) as a rump kernel client:
//! UDP probes with growing TTLs, answers read from a raw ICMP socket.
//!
//! `rump.traceroute [-n] [-f first_ttl] [-m max_ttl] [-p port]
//! [-q nprobes] [-w waittime] host`.

use netbsd_abi::SYS_setsockopt;
use netbsd_abi::layout::{icmp, ip, sockaddr_in as sin, udphdr};
use netbsd_abi::{
    AF_INET, CTL_NET, ICMP_TIMXCEED, ICMP_UNREACH, ICMP_UNREACH_ADMIN_PROHIBIT, ICMP_UNREACH_HOST,
    ICMP_UNREACH_NEEDFRAG, ICMP_UNREACH_NET, ICMP_UNREACH_PORT, ICMP_UNREACH_PROTOCOL, IP_TTL,
    IPCTL_DEFTTL, IPDEFTTL, IPPROTO_ICMP, IPPROTO_IP, IPPROTO_UDP, PF_INET, SOCK_DGRAM, SOCK_RAW,
};
use netbsd_abi::{SYS___socket30, SYS_bind, SYS_getsockname, SYS_recvfrom, SYS_sendto};
use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.traceroute";
/// The size of a probe packet: IP and UDP headers and this much data.
const PACKET: usize = 40;
const PROBE_DATA: usize = PACKET - ip::SIZE - udphdr::SIZE;
/// Bytes read from the ICMP socket at a time.
const READ_SIZE: u64 = 2048;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-n] [-f first_ttl] [-m max_ttl] [-p port] [-q nqueries] [-w wait] host"
    );
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

/// What answered one probe.
enum Answer {
    /// TTL exceeded at a router.
    Hop([u8; 4]),
    /// The destination (port unreachable), or another unreachable code.
    Unreach([u8; 4], u8, u8),
}

fn wait_answer(c: &Client, icmp: u64, lport: u16, dport: u16, until: Instant) -> Option<Answer> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        if !matches!(poll_in(c, icmp, left.as_millis() as u64), Ok(true)) {
            continue;
        }
        let m = Regions::new();
        let buf = m.add_zeroed(READ_SIZE as usize);
        let Ok(r) = c.syscall(SYS_recvfrom, &[icmp, buf, READ_SIZE, 0, 0, 0], &m) else {
            continue;
        };
        let got = m.get(buf);
        let pkt = &got[..(r[0] as usize).min(got.len())];
        if pkt.len() < ip::SIZE {
            continue;
        }
        let Some(icmp_msg) = pkt.get(ip_header_len(pkt)..) else {
            continue;
        };
        // The answer quotes the probe's IP header and the start of its UDP header.
        let quoted = icmp::icmp_dun__id_ip__idi_ip.offset;
        if icmp_msg.len() < quoted + ip::SIZE + udphdr::uh_ulen.offset {
            continue;
        }
        let typ = icmp::icmp_type.get(icmp_msg).unwrap_or(0) as i32;
        let code = icmp::icmp_code.get(icmp_msg).unwrap_or(0) as u8;
        let q = &icmp_msg[quoted..];
        let Some(udp) = q.get(ip_header_len(q)..) else {
            continue;
        };
        let port =
            |f: netbsd_abi::Field| udp.get(f.range()).map(|b| u16::from_be_bytes([b[0], b[1]]));
        if ip::ip_p.get(q) != Some(IPPROTO_UDP as u64)
            || port(udphdr::uh_sport) != Some(lport)
            || port(udphdr::uh_dport) != Some(dport)
        {
            continue;
        }
        let from = ipv4_at(pkt, ip::ip_src);
        let ttl = ip::ip_ttl.get(pkt).unwrap_or(0) as u8;
        return match typ {
            ICMP_TIMXCEED => Some(Answer::Hop(from)),
            ICMP_UNREACH => Some(Answer::Unreach(from, code, ttl)),
            _ => continue,
        };
    }
}

/// The command line.
struct Opts {
    /// `-n`: addresses only.
    numeric: bool,
    /// `-f`: the first hop's TTL.
    first: u8,
    /// `-m`: the last; `net.inet.ip.ttl` if not given.
    max: Option<u8>,
    /// `-p`: the base UDP port, each probe one past it.
    port: u16,
    /// `-q`: probes a hop.
    nprobes: u32,
    /// `-w`: seconds to wait for an answer.
    wait: f64,
    host: String,
}

/// The options and host, or the exit code after saying what is wrong.
fn parse(args: &[String]) -> Result<Opts, ExitCode> {
    let mut o = Opts {
        numeric: false,
        first: 1,
        max: None,
        port: 33434,
        nprobes: 3,
        wait: 5.0,
        host: String::new(),
    };
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let flag = args[i].clone();
        let mut val = || {
            i += 1;
            args.get(i).cloned()
        };
        let ok = match flag.as_str() {
            "-n" => {
                o.numeric = true;
                true
            }
            "-f" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| o.first = v)
                .is_some(),
            "-m" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| o.max = Some(v))
                .is_some(),
            "-p" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| o.port = v)
                .is_some(),
            "-q" => val()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v >= 1)
                .map(|v| o.nprobes = v)
                .is_some(),
            "-w" => val()
                .and_then(|v| v.parse().ok())
                .filter(|&v: &f64| v >= 2.0)
                .map(|v| o.wait = v)
                .is_some(),
            _ => {
                eprintln!("{PROG}: {flag}: not supported yet");
                return Err(ExitCode::from(1));
            }
        };
        if !ok {
            return Err(usage());
        }
        i += 1;
    }
    let [host] = &args[i..] else {
        return Err(usage());
    };
    o.host = host.clone();
    Ok(o)
}

/// The kernel's default TTL (`net.inet.ip.ttl`, an int), else NetBSD's.
fn default_max_ttl(c: &Client) -> u8 {
    let mib = [CTL_NET, PF_INET, IPPROTO_IP, IPCTL_DEFTTL];
    let int = std::mem::size_of::<i32>();
    let r = c.sysctl(&mib, Some(int), None).ok();
    r.filter(|r| r.result.is_ok() && r.old.len() == int)
        .map(|r| i32::from_ne_bytes([r.old[0], r.old[1], r.old[2], r.old[3]]))
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(IPDEFTTL as u8)
}

/// The probes' UDP socket, bound to a port of its own, and the raw ICMP
/// socket the answers come to.
struct Sockets {
    udp: u64,
    icmp: u64,
    /// The UDP socket's port, which the answers quote.
    lport: u16,
}

/// Open and bind the sockets, or say why not.
fn open_sockets(c: &Client, m: &Regions) -> Result<Sockets, ExitCode> {
    let udp = match c.syscall(SYS___socket30, &[arg(AF_INET), arg(SOCK_DGRAM), 0], m) {
        Ok(r) => r[0] as u64,
        Err(e) => return Err(fail("socket", e)),
    };
    let icmp = match c.syscall(
        SYS___socket30,
        &[arg(AF_INET), arg(SOCK_RAW), arg(IPPROTO_ICMP)],
        m,
    ) {
        Ok(r) => r[0] as u64,
        Err(e) => return Err(fail("icmp socket", e)),
    };
    let any = m.add(&sockaddr_in([0; 4], 0));
    if let Err(e) = c.syscall(SYS_bind, &[udp, any, sin::SIZE as u64], m) {
        return Err(fail("bind", e));
    }
    let name = m.add_zeroed(sin::SIZE);
    let nlen = m.add(&(sin::SIZE as u32).to_le_bytes());
    let _ = c.syscall(SYS_getsockname, &[udp, name, nlen], m);
    let sa = m.get(name);
    let lport = sa
        .get(sin::sin_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    Ok(Sockets { udp, icmp, lport })
}

/// Send one probe with `ttl` to `dst`'s port `dport`; when it left.
fn send_probe(c: &Client, udp: u64, ttl: u8, dst: [u8; 4], dport: u16) -> Instant {
    let pm = Regions::new();
    let t = i32::from(ttl).to_le_bytes();
    let a = [
        udp,
        arg(IPPROTO_IP),
        arg(IP_TTL),
        pm.add(&t),
        t.len() as u64,
    ];
    let _ = c.syscall(SYS_setsockopt, &a, &pm);
    let to = pm.add(&sockaddr_in(dst, dport));
    let data = pm.add(&[0u8; PROBE_DATA]);
    let start = Instant::now();
    let a = [udp, data, PROBE_DATA as u64, 0, to, sin::SIZE as u64];
    if let Err(e) = c.syscall(SYS_sendto, &a, &pm) {
        print!(" {PROG}: sendto: {}", e.description());
    }
    start
}

/// What traceroute prints after the time of an unreachable answer with
/// `code` that arrived with TTL `ttl_in`.
fn unreach_note(code: u8, ttl_in: u8) -> String {
    match i32::from(code) {
        ICMP_UNREACH_PORT if ttl_in <= 1 => " !".to_string(),
        ICMP_UNREACH_PORT => String::new(),
        ICMP_UNREACH_NET => " !N".into(),
        ICMP_UNREACH_HOST => " !H".into(),
        ICMP_UNREACH_PROTOCOL => " !P".into(),
        ICMP_UNREACH_NEEDFRAG => " !F".into(),
        ICMP_UNREACH_ADMIN_PROHIBIT => " !X".into(),
        c => format!(" !<{c}>"),
    }
}

/// The probes of one hop, printed on its line; whether traceroute stops
/// here (the destination answered, or most probes were unreachable).
fn probe_hop(c: &Client, s: &Sockets, o: &Opts, dst: [u8; 4], ttl: u8, seq: &mut u16) -> bool {
    print!("{ttl:2} ");
    let mut last: Option<[u8; 4]> = None;
    let (mut arrived, mut unreach) = (false, 0);
    for _ in 0..o.nprobes {
        *seq = seq.wrapping_add(1);
        let dport = o.port.wrapping_add(*seq);
        let start = send_probe(c, s.udp, ttl, dst, dport);
        let until = start + Duration::from_secs_f64(o.wait);
        let ans = wait_answer(c, s.icmp, s.lport, dport, until);
        let ms = start.elapsed().as_secs_f64() * 1000.0;
        let (from, note) = match ans {
            None => {
                print!(" *");
                continue;
            }
            Some(Answer::Hop(a)) => (a, String::new()),
            Some(Answer::Unreach(a, code, ttl_in)) => {
                if i32::from(code) == ICMP_UNREACH_PORT {
                    arrived = true;
                } else {
                    unreach += 1;
                }
                (a, unreach_note(code, ttl_in))
            }
        };
        if last != Some(from) {
            if last.is_some() {
                print!("\n   ");
            }
            let a = fmt_ipv4(from);
            if o.numeric {
                print!(" {a}");
            } else {
                print!(" {a} ({a})");
            }
            last = Some(from);
        }
        print!("  {ms:.3} ms{note}");
    }
    println!();
    arrived || unreach * 2 >= o.nprobes
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let host = &o.host;
    let Some(dst) = parse_ipv4(host) else {
        eprintln!("{PROG}: unknown host {host}");
        return ExitCode::from(1);
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let m = Regions::new();
    let max = o.max.unwrap_or_else(|| default_max_ttl(&c));
    let s = match open_sockets(&c, &m) {
        Ok(s) => s,
        Err(code) => return code,
    };
    eprintln!(
        "traceroute to {host} ({}), {max} hops max, {PACKET} byte packets",
        fmt_ipv4(dst)
    );
    let mut seq = 0u16;
    for ttl in o.first..=max {
        if probe_hop(&c, &s, &o, dst, ttl, &mut seq) {
            break;
        }
    }
    ExitCode::SUCCESS
}
