//! `rump.ping6`: NetBSD's ping6(8) as a rump kernel client.
//!
//! `rump.ping6 [-n] [-c count] [-i wait] host[%interface]`: echo
//! requests on a raw ICMPv6 socket, the source address chosen as
//! ping6 chooses it (a connected UDP socket's name), the replies' hop
//! limits from `IPV6_HOPLIMIT` control messages. Output and exit status
//! follow NetBSD: with `-c`, 0 when every reply came; without, 0 when any
//! did; 1 otherwise.

use netbsd_abi::{
    AF_INET6, IPPROTO_ICMPV6, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, SOCK_DGRAM, SOCK_RAW,
    SYS___socket30, SYS_close, SYS_connect, SYS_getsockname, SYS_sendto, SYS_setsockopt,
};
use rump_nettools::inet6::{parse_sockaddr_in6, sockaddr_in6};
use rump_nettools::*;
use rumpclient::{Client, Errno, Regions};
use std::net::Ipv6Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.ping6";
/// ping6's default data length: a `struct tv32` (two 32-bit words).
const DATALEN: usize = 8;
/// `DUMMY_PORT`: where ping6's UDP socket connects to learn the source.
const DUMMY_PORT: u16 = 10101;
/// `ICMP6_ECHO_REQUEST`, `ICMP6_ECHO_REPLY` (`netinet/icmp6.h`).
const ECHO_REQUEST: u8 = 128;
const ECHO_REPLY: u8 = 129;

fn usage() -> ExitCode {
    eprintln!("usage: {PROG} [-n] [-c count] [-i wait] host");
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

struct Opts {
    count: Option<u64>,
    interval: f64,
    host: String,
}

fn parse(args: &[String]) -> Option<Opts> {
    let mut o = Opts {
        count: None,
        interval: 1.0,
        host: String::new(),
    };
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        let a = args[i].as_str();
        // A value follows its option letter or comes as the next word.
        let mut value = |at: &str| -> Option<String> {
            if a.len() > at.len() {
                Some(a[at.len()..].to_string())
            } else {
                i += 1;
                args.get(i).cloned()
            }
        };
        match a {
            "-n" => {}
            _ if a.starts_with("-c") => {
                o.count = Some(value("-c")?.parse().ok().filter(|&n| n > 0)?);
            }
            _ if a.starts_with("-i") => {
                o.interval = value("-i")?.parse().ok().filter(|&f: &f64| f > 0.0)?;
            }
            _ => return None,
        }
        i += 1;
    }
    match &args[i..] {
        [h] => o.host = h.clone(),
        _ => return None,
    }
    Some(o)
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

/// How ping6 names an address: with `%IF` when it has a scope.
fn addr_text(c: &Client, a: &Ipv6Addr, scope: u32) -> String {
    if scope == 0 {
        return a.to_string();
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
    let _ = c.syscall(SYS_close, &[fd], &m);
    parse_sockaddr_in6(&r?).ok_or(Errno::EINVAL)
}

/// One received reply: its length, sequence number, identifier, sender
/// and hop limit (-1 without the control message).
struct Reply {
    len: usize,
    seq: u16,
    ident: u16,
    from: (Ipv6Addr, u32),
    hlim: i32,
}

fn receive(c: &Client, fd: u64) -> Result<Option<Reply>, Errno> {
    let r = rump_nettools::inet6::recvmsg6(c, fd, netbsd_abi::MSG_DONTWAIT)?;
    let b = &r.data;
    if b.len() < 8 || b[0] != ECHO_REPLY {
        return Ok(None);
    }
    Ok(Some(Reply {
        len: b.len(),
        seq: u16::from_be_bytes([b[6], b[7]]),
        ident: u16::from_be_bytes([b[4], b[5]]),
        from: r.from,
        hlim: r.hlim.unwrap_or(-1),
    }))
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(o) = parse(&args) else {
        return usage();
    };
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let (dst, scope) = match destination(&c, &o.host) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{PROG}: {e}");
            return ExitCode::from(1);
        }
    };
    let to = sockaddr_in6(&dst, scope);
    let src = match source(&c, &to) {
        Ok(s) => s,
        Err(e) => return fail("UDP connect", e),
    };
    let m = Regions::new();
    let fd = match c.syscall(
        SYS___socket30,
        &[arg(AF_INET6), arg(SOCK_RAW), arg(IPPROTO_ICMPV6)],
        &m,
    ) {
        Ok(r) => r[0] as u64,
        Err(e) => return fail("socket", e),
    };
    let on = m.add(&1i32.to_le_bytes());
    if let Err(e) = c.syscall(
        SYS_setsockopt,
        &[fd, arg(IPPROTO_IPV6), arg(IPV6_RECVHOPLIMIT), on, 4],
        &m,
    ) {
        return fail("setsockopt(IPV6_RECVHOPLIMIT)", e);
    }
    println!(
        "PING6({}=40+8+{DATALEN} bytes) {} --> {}",
        40 + 8 + DATALEN,
        addr_text(&c, &src.0, src.1),
        addr_text(&c, &dst, scope)
    );
    let ident = (std::process::id() & 0xffff) as u16;
    let (mut sent, mut got) = (0u64, 0u64);
    let mut times: Vec<f64> = Vec::new();
    let mut sent_at: Vec<Instant> = Vec::new();
    let mut next = Instant::now();
    let mut last = None;
    loop {
        let now = Instant::now();
        if o.count.is_none_or(|n| sent < n) && now >= next {
            let mut req = vec![ECHO_REQUEST, 0, 0, 0];
            req.extend_from_slice(&ident.to_be_bytes());
            req.extend_from_slice(&(sent as u16).to_be_bytes());
            req.extend_from_slice(&[0; DATALEN]);
            if let Err(e) = c.syscall(
                SYS_sendto,
                &[
                    fd,
                    m.add(&req),
                    req.len() as u64,
                    0,
                    m.add(&to),
                    to.len() as u64,
                ],
                &m,
            ) {
                eprintln!("{PROG}: sendmsg: {}", e.description());
            }
            sent_at.push(now);
            sent += 1;
            next = now + Duration::from_secs_f64(o.interval);
            if o.count.is_some_and(|n| sent >= n) {
                // ping6 waits up to 10 seconds for the last replies.
                last = Some(now + Duration::from_secs(10));
            }
        }
        match receive(&c, fd) {
            Ok(Some(r)) if r.ident == ident && usize::from(r.seq) < sent_at.len() => {
                let ms = sent_at[usize::from(r.seq)].elapsed().as_secs_f64() * 1000.0;
                times.push(ms);
                got += 1;
                println!(
                    "{} bytes from {}, icmp_seq={} hlim={} time={ms:.3} ms",
                    r.len,
                    addr_text(&c, &r.from.0, r.from.1),
                    r.seq,
                    r.hlim
                );
            }
            Ok(_) => {}
            Err(Errno::EAGAIN) => std::thread::sleep(Duration::from_millis(5)),
            Err(e) => return fail("recvmsg", e),
        }
        if o.count.is_some_and(|n| got >= n) || last.is_some_and(|l| Instant::now() >= l) {
            break;
        }
    }
    let _ = c.syscall(SYS_close, &[fd], &m);
    println!("\n--- {} ping6 statistics ---", o.host);
    let loss = (sent as f64 - got as f64) * 100.0 / sent.max(1) as f64;
    println!("{sent} packets transmitted, {got} packets received, {loss:.1}% packet loss");
    if !times.is_empty() {
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
