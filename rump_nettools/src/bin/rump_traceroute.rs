//! `rump.traceroute`: NetBSD's traceroute(8) as a rump kernel client:
//! UDP probes with growing TTLs, answers read from a raw ICMP socket.
//!
//! `rump.traceroute [-n] [-f first_ttl] [-m max_ttl] [-p port]
//! [-q nprobes] [-w waittime] host`.

use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.traceroute";
const IP_TTL: u64 = 4;

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
        let m = Regions::new();
        let mut p = [0u8; 8];
        p[0..4].copy_from_slice(&(icmp as i32).to_le_bytes());
        p[4..6].copy_from_slice(&1i16.to_le_bytes());
        let pf = m.add(&p);
        match c.syscall(209, &[pf, 1, left.as_millis() as u64], &m) {
            Ok(r) if r[0] > 0 => {}
            _ => continue,
        }
        let buf = m.add_zeroed(2048);
        let Ok(r) = c.syscall(29, &[icmp, buf, 2048, 0, 0, 0], &m) else {
            continue;
        };
        let got = m.get(buf);
        let pkt = &got[..(r[0] as usize).min(got.len())];
        if pkt.len() < 20 {
            continue;
        }
        let hl = usize::from(pkt[0] & 0xf) * 4;
        let Some(icmp_msg) = pkt.get(hl..) else {
            continue;
        };
        if icmp_msg.len() < 8 + 20 + 4 {
            continue;
        }
        let (typ, code) = (icmp_msg[0], icmp_msg[1]);
        let q = &icmp_msg[8..];
        let qhl = usize::from(q[0] & 0xf) * 4;
        let Some(udp) = q.get(qhl..qhl + 4) else {
            continue;
        };
        if q[9] != 17
            || u16::from_be_bytes([udp[0], udp[1]]) != lport
            || u16::from_be_bytes([udp[2], udp[3]]) != dport
        {
            continue;
        }
        let from: [u8; 4] = pkt[12..16].try_into().unwrap_or_default();
        return match typ {
            11 => Some(Answer::Hop(from)),
            3 => Some(Answer::Unreach(from, code, pkt[8])),
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
            // net.inet.ip.ttl: {CTL_NET, PF_INET, IPPROTO_IP, IPCTL_DEFTTL}.
            let r = c.sysctl(&[4, 2, 0, 3], Some(4), None).ok();
            r.filter(|r| r.result.is_ok() && r.old.len() == 4)
                .map(|r| i32::from_ne_bytes([r.old[0], r.old[1], r.old[2], r.old[3]]))
                .and_then(|v| u8::try_from(v).ok())
                .unwrap_or(64)
        }
    };
    let udp = match c.syscall(394, &[u64::from(AF_INET), SOCK_DGRAM, 0], &m) {
        Ok(r) => r[0] as u64,
        Err(e) => return fail("socket", e),
    };
    let icmp = match c.syscall(394, &[u64::from(AF_INET), SOCK_RAW, IPPROTO_ICMP], &m) {
        Ok(r) => r[0] as u64,
        Err(e) => return fail("icmp socket", e),
    };
    let any = m.add(&sockaddr_in([0; 4], 0));
    if let Err(e) = c.syscall(104, &[udp, any, 16], &m) {
        return fail("bind", e);
    }
    let name = m.add_zeroed(16);
    let nlen = m.add(&16u32.to_le_bytes());
    let _ = c.syscall(32, &[udp, name, nlen], &m);
    let sa = m.get(name);
    let lport = u16::from_be_bytes([sa[2], sa[3]]);
    eprintln!(
        "traceroute to {host} ({}), {max} hops max, 40 byte packets",
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
            let t = pm.add(&i32::from(ttl).to_le_bytes());
            let _ = c.syscall(105, &[udp, 0, IP_TTL, t, 4], &pm);
            let to = pm.add(&sockaddr_in(dst, dport));
            let data = pm.add(&[0u8; 12]);
            let start = Instant::now();
            if let Err(e) = c.syscall(133, &[udp, data, 12, 0, to, 16], &pm) {
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
                    let n = match code {
                        3 => {
                            arrived = true;
                            if ttl_in <= 1 {
                                " !".to_string()
                            } else {
                                String::new()
                            }
                        }
                        0 => " !N".into(),
                        1 => " !H".into(),
                        2 => " !P".into(),
                        4 => " !F".into(),
                        13 => " !X".into(),
                        c => format!(" !<{c}>"),
                    };
                    if code != 3 {
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
