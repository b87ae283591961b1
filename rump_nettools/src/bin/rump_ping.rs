//! `rump.ping`: NetBSD's ping(8) as a rump kernel client.
//!
//! `rump.ping [-nq] [-c count] [-i wait] [-s packetsize] [-t tos]
//! [-T ttl] [-w deadline] host`. Output and exit status follow NetBSD:
//! 0 when any reply came, 2 when none did, 1 for usage errors.

use netbsd_abi::layout::{icmp, ip, sockaddr_in as sin};
use netbsd_abi::{
    AF_INET, ICMP_ECHO, ICMP_ECHOREPLY, ICMP_MINLEN, IP_MAXPACKET, IP_TOS, IP_TTL, IPPROTO_ICMP,
    IPPROTO_IP, SOCK_RAW,
};
use netbsd_abi::{SYS___socket30, SYS_close, SYS_recvfrom, SYS_sendto, SYS_setsockopt};
use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.ping";
/// The largest ICMP payload: an IP packet less the two headers.
const MAX_PAYLOAD: usize = IP_MAXPACKET as usize - ip::SIZE - ICMP_MINLEN as usize;
/// Where the payload starts (`icmp_data`), the send time in its first 16 bytes.
const DATA: usize = icmp::icmp_dun.offset;
/// A `struct timespec`'s two words, as ping puts the send time.
const TIME_LEN: usize = netbsd_abi::layout::timespec::SIZE;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-nq] [-c count] [-i wait] [-s packetsize] [-t tos] [-T ttl] [-w deadline] host"
    );
    ExitCode::from(1)
}

struct Opts {
    count: Option<u64>,
    interval: f64,
    size: usize,
    tos: Option<u8>,
    ttl: Option<u8>,
    deadline: Option<f64>,
    quiet: bool,
    host: String,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        count: None,
        interval: 1.0,
        size: 56,
        tos: None,
        ttl: None,
        deadline: None,
        quiet: false,
        host: String::new(),
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if !a.starts_with('-') || a == "-" {
            break;
        }
        let mut chars = a[1..].chars();
        while let Some(c) = chars.next() {
            let rest: String = chars.clone().collect();
            let mut value = || -> Result<String, String> {
                if !rest.is_empty() {
                    Ok(rest.clone())
                } else {
                    i += 1;
                    args.get(i)
                        .cloned()
                        .ok_or_else(|| "option requires an argument".to_string())
                }
            };
            match c {
                'n' => continue,
                'q' => {
                    o.quiet = true;
                    continue;
                }
                'c' => {
                    o.count = Some(
                        value()?
                            .parse()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or("bad number of packets to transmit.")?,
                    )
                }
                'i' => {
                    o.interval = value()?
                        .parse()
                        .ok()
                        .filter(|&f: &f64| f > 0.0)
                        .ok_or("bad timing interval")?
                }
                's' => {
                    o.size = value()?
                        .parse()
                        .ok()
                        .filter(|&n: &usize| n <= MAX_PAYLOAD)
                        .ok_or("bad packet size")?
                }
                't' => o.tos = Some(value()?.parse().map_err(|_| "bad TOS value")?),
                'T' => {
                    o.ttl = Some(
                        value()?
                            .parse()
                            .ok()
                            .filter(|&t| t > 0)
                            .ok_or("ttl out of range")?,
                    )
                }
                'w' => {
                    o.deadline = Some(
                        value()?
                            .parse()
                            .ok()
                            .filter(|&f: &f64| f > 0.0)
                            .ok_or("bad maxwait value")?,
                    )
                }
                _ => return Err(format!("unknown option -- {c}")),
            }
            break;
        }
        i += 1;
    }
    match &args[i..] {
        [h] => o.host = h.clone(),
        _ => return Err(String::new()),
    }
    Ok(o)
}

fn checksum(b: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in b.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s >> 16 != 0 {
        s = (s & 0xffff) + (s >> 16);
    }
    !(s as u16)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

/// What the run sent and got back: the counts the summary prints.
#[derive(Default)]
struct Tally {
    sent: u64,
    received: u64,
    dups: u64,
    /// The sequence numbers answered so far, to tell duplicates.
    seen: Vec<bool>,
    /// Round-trip times in milliseconds, of the replies that carried one.
    times: Vec<f64>,
    /// The longest of them.
    tmax: f64,
}

/// An echo reply to our identifier, as read from the raw socket.
struct EchoReply {
    /// The ICMP message's length.
    len: usize,
    src: [u8; 4],
    seq: u16,
    ttl: u64,
    /// The round trip, if the request carried its send time.
    rtt_ms: Option<f64>,
}

/// The raw ICMP socket, with `-t` and `-T` set on it.
fn open_socket(c: &Client, m: &Regions, o: &Opts) -> Result<u64, ExitCode> {
    let fd = match c.syscall(
        SYS___socket30,
        &[arg(AF_INET), arg(SOCK_RAW), arg(IPPROTO_ICMP)],
        m,
    ) {
        Ok(r) => r[0] as u64,
        Err(e) => return Err(fail("socket", e)),
    };
    for (opt, v) in [(IP_TOS, o.tos), (IP_TTL, o.ttl)] {
        if let Some(v) = v {
            let val = i32::from(v).to_le_bytes();
            let a = [fd, arg(IPPROTO_IP), arg(opt), m.add(&val), val.len() as u64];
            if let Err(e) = c.syscall(SYS_setsockopt, &a, m) {
                return Err(fail("setsockopt", e));
            }
        }
    }
    Ok(fd)
}

/// Send echo request `seq` of `size` data bytes to `dst`, with the time
/// since `start` in its first bytes when they hold it.
fn send_echo(c: &Client, fd: u64, dst: [u8; 4], ident: u16, seq: u16, size: usize, start: Instant) {
    let mut pkt = vec![0u8; DATA + size];
    icmp::icmp_type.put(&mut pkt, ICMP_ECHO as u64);
    pkt[icmp::icmp_hun__ih_idseq__icd_id.range()].copy_from_slice(&ident.to_be_bytes());
    pkt[icmp::icmp_hun__ih_idseq__icd_seq.range()].copy_from_slice(&seq.to_be_bytes());
    for (i, b) in pkt[DATA..].iter_mut().enumerate() {
        *b = i as u8;
    }
    if size >= TIME_LEN {
        let t = start.elapsed();
        let half = DATA + TIME_LEN / 2;
        pkt[DATA..half].copy_from_slice(&(t.as_secs() as i64).to_ne_bytes());
        pkt[half..DATA + TIME_LEN].copy_from_slice(&i64::from(t.subsec_nanos()).to_ne_bytes());
    }
    let ck = checksum(&pkt);
    pkt[icmp::icmp_cksum.range()].copy_from_slice(&ck.to_be_bytes());
    // Per-packet memory, so that a long run does not grow.
    let sm = Regions::new();
    let (buf, to) = (sm.add(&pkt), sm.add(&sockaddr_in(dst, 0)));
    let a = [fd, buf, pkt.len() as u64, 0, to, sin::SIZE as u64];
    if let Err(e) = c.syscall(SYS_sendto, &a, &sm) {
        eprintln!("{PROG}: sendto: {}", e.description());
    }
}

/// The echo reply to `ident` in datagram `pkt`, if it is one; its round
/// trip if `timing` (the requests carry their send time) and it is long
/// enough to hold it.
fn parse_reply(pkt: &[u8], ident: u16, timing: bool, start: Instant) -> Option<EchoReply> {
    if pkt.len() < ip::SIZE {
        return None;
    }
    let reply = pkt.get(ip_header_len(pkt)..)?;
    let be16 = |f: netbsd_abi::Field| {
        reply
            .get(f.range())
            .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
    };
    if reply.len() < DATA || icmp::icmp_type.get(reply) != Some(ICMP_ECHOREPLY as u64) {
        return None;
    }
    if be16(icmp::icmp_hun__ih_idseq__icd_id) != ident {
        return None;
    }
    let rtt_ms = (timing && reply.len() >= DATA + TIME_LEN).then(|| {
        let half = DATA + TIME_LEN / 2;
        let s = i64::from_ne_bytes(reply[DATA..half].try_into().unwrap_or_default());
        let ns = i64::from_ne_bytes(reply[half..DATA + TIME_LEN].try_into().unwrap_or_default());
        let then = Duration::new(s.max(0) as u64, ns.clamp(0, 999_999_999) as u32);
        start.elapsed().saturating_sub(then).as_secs_f64() * 1000.0
    });
    Some(EchoReply {
        len: reply.len(),
        src: ipv4_at(pkt, ip::ip_src),
        seq: be16(icmp::icmp_hun__ih_idseq__icd_seq),
        ttl: ip::ip_ttl.get(pkt).unwrap_or(0),
        rtt_ms,
    })
}

/// Count reply `r` and print its line (unless `quiet`).
fn record_reply(tally: &mut Tally, r: &EchoReply, quiet: bool) {
    let dup = std::mem::replace(&mut tally.seen[usize::from(r.seq)], true);
    if dup {
        tally.dups += 1;
    } else {
        tally.received += 1;
    }
    let mut line = format!(
        "{} bytes from {}: icmp_seq={}",
        r.len,
        fmt_ipv4(r.src),
        r.seq
    );
    if dup {
        line += " DUP!";
    }
    line += &format!(" ttl={}", r.ttl);
    if let Some(ms) = r.rtt_ms {
        tally.times.push(ms);
        tally.tmax = tally.tmax.max(ms);
        line += &format!(" time={ms:.6} ms");
    }
    if !quiet {
        println!("{line}");
    }
}

/// Send and receive until the count, the deadline or the wait after the
/// last request says to stop.
fn run(c: &Client, fd: u64, dst: [u8; 4], o: &Opts) -> Result<Tally, ExitCode> {
    let m = Regions::new();
    let mut idb = [0u8; 2];
    let _ = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut idb));
    let ident = u16::from_ne_bytes(idb);
    println!("PING {} ({}): {} data bytes", o.host, fmt_ipv4(dst), o.size);
    let start = Instant::now();
    let deadline = o.deadline.map(|d| start + Duration::from_secs_f64(d));
    let interval = Duration::from_secs_f64(o.interval);
    let mut tally = Tally {
        seen: vec![false; 65536],
        ..Tally::default()
    };
    let mut next_send = Instant::now();
    let mut last_sent = Instant::now();
    let timing = o.size >= TIME_LEN;
    let rbuf = m.add_zeroed(IP_MAXPACKET as usize + 1);
    let from = m.add_zeroed(sin::SIZE);
    let fromlen = m.add(&(sin::SIZE as u32).to_le_bytes());
    loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break;
        }
        let done_sending = o.count.is_some_and(|n| tally.sent >= n);
        if done_sending {
            if o.count.is_some_and(|n| tally.received >= n) {
                break;
            }
            let linger = Duration::from_secs_f64(
                (2.0 * tally.tmax / 1000.0).max(10.0 * o.interval).max(1.0),
            );
            if now >= last_sent + linger && deadline.is_none() {
                break;
            }
        } else if now >= next_send {
            send_echo(c, fd, dst, ident, tally.sent as u16, o.size, start);
            tally.sent += 1;
            last_sent = now;
            next_send = now + interval;
        }
        // Wait for a reply until the next thing to do.
        let mut until = if o.count.is_some_and(|n| tally.sent >= n) {
            last_sent + Duration::from_secs(10)
        } else {
            next_send
        };
        if let Some(d) = deadline {
            until = until.min(d);
        }
        let ms = until
            .saturating_duration_since(Instant::now())
            .as_millis()
            .min(1000) as u64;
        match poll_in(c, fd, ms) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return Err(fail("poll", e)),
        }
        let len = IP_MAXPACKET as u64 + 1;
        let n = match c.syscall(SYS_recvfrom, &[fd, rbuf, len, 0, from, fromlen], &m) {
            Ok(r) => r[0] as usize,
            Err(e) => return Err(fail("recvfrom", e)),
        };
        let got = m.get(rbuf);
        if let Some(r) = parse_reply(&got[..n.min(got.len())], ident, timing, start) {
            record_reply(&mut tally, &r, o.quiet);
        }
    }
    Ok(tally)
}

/// The statistics ping prints at the end.
fn summary(host: &str, t: &Tally) {
    println!("\n----{host} PING Statistics----");
    let mut line = format!(
        "{} packets transmitted, {} packets received, ",
        t.sent, t.received
    );
    if t.dups > 0 {
        line += &format!("+{} duplicates, ", t.dups);
    }
    if t.sent > 0 {
        if t.received > t.sent {
            line += "-- somebody's duplicating packets!";
        } else {
            line += &format!(
                "{:.1}% packet loss",
                (t.sent - t.received) as f64 * 100.0 / t.sent as f64
            );
        }
    }
    println!("{line}");
    let times = &t.times;
    if t.received > 0 && !times.is_empty() {
        let n = times.len() as f64;
        let min = times.iter().cloned().fold(f64::MAX, f64::min);
        let max = times.iter().cloned().fold(0.0, f64::max);
        let avg = times.iter().sum::<f64>() / n;
        let sq = times.iter().map(|t| t * t).sum::<f64>();
        let sd = if n > 1.0 {
            ((sq - n * avg * avg) / (n - 1.0)).max(0.0).sqrt()
        } else {
            0.0
        };
        println!("round-trip min/avg/max/stddev = {min:.6}/{avg:.6}/{max:.6}/{sd:.6} ms");
    }
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse(&args) {
        Ok(o) => o,
        Err(m) if m.is_empty() => return usage(),
        Err(m) => {
            eprintln!("{PROG}: {m}");
            return usage();
        }
    };
    let Some(dst) = parse_ipv4(&o.host) else {
        eprintln!("{PROG}: Cannot resolve \"{}\" (Unknown host)", o.host);
        return ExitCode::from(1);
    };
    let Some(c) = rumpclient::Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let m = Regions::new();
    let fd = match open_socket(&c, &m, &o) {
        Ok(fd) => fd,
        Err(code) => return code,
    };
    let tally = match run(&c, fd, dst, &o) {
        Ok(t) => t,
        Err(code) => return code,
    };
    summary(&o.host, &tally);
    let _ = c.syscall(SYS_close, &[fd], &m);
    if tally.received > 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    }
}
