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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mut numeric, mut first, mut max, mut port, mut nq, mut wait) =
        (false, 1u8, None::<u8>, 33434u16, 3u32, 5.0f64);
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let flag = args[i].clone();
        let mut val = || {
            i += 1;
            args.get(i).cloned()
        };
        let ok = match flag.as_str() {
            "-n" => {
                numeric = true;
                true
            }
            "-f" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| first = v)
                .is_some(),
            "-m" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| max = Some(v))
                .is_some(),
            "-p" => val()
                .and_then(|v| v.parse().ok())
                .map(|v| port = v)
                .is_some(),
            "-q" => val()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v >= 1)
                .map(|v| nq = v)
                .is_some(),
            "-w" => val()
                .and_then(|v| v.parse().ok())
                .filter(|&v: &f64| v >= 2.0)
                .map(|v| wait = v)
                .is_some(),
            _ => {
                eprintln!("{PROG}: {flag}: not supported yet");
                return ExitCode::from(1);
            }
        };
        if !ok {
            return usage();
        }
        i += 1;
    }
    let [host] = &args[i..] else {
        return usage();
    };
    let Some(dst) = parse_ipv4(host) else {
        eprintln!("{PROG}: unknown host {host}");
        return ExitCode::from(1);
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let m = Regions::new();
    let max = match max {
        Some(v) => v,
        None => {
            // net.inet.ip.ttl, an int.
            let mib = [CTL_NET, PF_INET, IPPROTO_IP, IPCTL_DEFTTL];
            let int = std::mem::size_of::<i32>();
            let r = c.sysctl(&mib, Some(int), None).ok();
            r.filter(|r| r.result.is_ok() && r.old.len() == int)
                .map(|r| i32::from_ne_bytes([r.old[0], r.old[1], r.old[2], r.old[3]]))
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(IPDEFTTL as u8)
        }
    };
    let udp = match c.syscall(SYS___socket30, &[arg(AF_INET), arg(SOCK_DGRAM), 0], &m) {
        Ok(r) => r[0] as u64,
        Err(e) => return fail("socket", e),
    };
    let icmp = match c.syscall(
        SYS___socket30,
        &[arg(AF_INET), arg(SOCK_RAW), arg(IPPROTO_ICMP)],
        &m,
    ) {
        Ok(r) => r[0] as u64,
        Err(e) => return fail("icmp socket", e),
    };
    let any = m.add(&sockaddr_in([0; 4], 0));
    if let Err(e) = c.syscall(SYS_bind, &[udp, any, sin::SIZE as u64], &m) {
        return fail("bind", e);
    }
    let name = m.add_zeroed(sin::SIZE);
    let nlen = m.add(&(sin::SIZE as u32).to_le_bytes());
    let _ = c.syscall(SYS_getsockname, &[udp, name, nlen], &m);
    let sa = m.get(name);
    let lport = sa
        .get(sin::sin_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
    eprintln!(
        "traceroute to {host} ({}), {max} hops max, {PACKET} byte packets",
        fmt_ipv4(dst)
    );
    let mut seq = 0u16;
    for ttl in first..=max {
        print!("{ttl:2} ");
        let mut last: Option<[u8; 4]> = None;
        let (mut arrived, mut unreach) = (false, 0);
        for _ in 0..nq {
            seq = seq.wrapping_add(1);
            let dport = port.wrapping_add(seq);
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
            let ans = wait_answer(
                &c,
                icmp,
                lport,
                dport,
                start + Duration::from_secs_f64(wait),
            );
            let ms = start.elapsed().as_secs_f64() * 1000.0;
            let (from, note) = match ans {
                None => {
                    print!(" *");
                    continue;
                }
                Some(Answer::Hop(a)) => (a, String::new()),
                Some(Answer::Unreach(a, code, ttl_in)) => {
                    let n = match i32::from(code) {
                        ICMP_UNREACH_PORT => {
                            arrived = true;
                            if ttl_in <= 1 {
                                " !".to_string()
                            } else {
                                String::new()
                            }
                        }
                        ICMP_UNREACH_NET => " !N".into(),
                        ICMP_UNREACH_HOST => " !H".into(),
                        ICMP_UNREACH_PROTOCOL => " !P".into(),
                        ICMP_UNREACH_NEEDFRAG => " !F".into(),
                        ICMP_UNREACH_ADMIN_PROHIBIT => " !X".into(),
                        c => format!(" !<{c}>"),
                    };
                    if i32::from(code) != ICMP_UNREACH_PORT {
                        unreach += 1;
                    }
                    (a, n)
                }
            };
            if last != Some(from) {
                if last.is_some() {
                    print!("\n   ");
                }
                let a = fmt_ipv4(from);
                if numeric {
                    print!(" {a}");
                } else {
                    print!(" {a} ({a})");
                }
                last = Some(from);
            }
            print!("  {ms:.3} ms{note}");
        }
        println!();
        if arrived || unreach * 2 >= nq {
            break;
        }
    }
    ExitCode::SUCCESS
}
