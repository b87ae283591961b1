//! `rump.route`: NetBSD's route(8) as a rump kernel client, over the
//! routing socket.
//!
//! `rump.route [-nq] add|delete|change [-net | -host] destination
//! [gateway] [-netmask mask] [-interface]` and `rump.route [-n] get
//! destination`. `destination` is an address, `A.B.C.D/len` or `default`.

use rump_nettools::*;
use rumpclient::{Errno, Regions};
use std::process::ExitCode;

const PROG: &str = "rump.route";
const PF_ROUTE: u64 = 34;
const RTM_VERSION: u8 = 4;
const HDR: usize = 120;
/// `RTF_*` bits and the names route(8) prints for them.
const RTF_NAMES: &[(u32, &str)] = &[
    (0x1, "UP"),
    (0x2, "GATEWAY"),
    (0x4, "HOST"),
    (0x8, "REJECT"),
    (0x10, "DYNAMIC"),
    (0x20, "MODIFIED"),
    (0x40, "DONE"),
    (0x80, "MASK_PRESENT"),
    (0x100, "CONNECTED"),
    (0x200, "XRESOLVE"),
    (0x400, "LLINFO"),
    (0x800, "STATIC"),
    (0x1000, "BLACKHOLE"),
    (0x4000, "PROTO2"),
    (0x8000, "PROTO1"),
    (0x40000, "LOCAL"),
    (0x80000, "BROADCAST"),
];

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-nq] add|delete|change [-net | -host] destination [gateway] [-netmask mask] [-interface]\n       {PROG} [-n] get destination"
    );
    ExitCode::from(1)
}

fn roundup(n: usize) -> usize {
    if n == 0 { 8 } else { n.div_ceil(8) * 8 }
}

/// A netmask sockaddr cut after its last non-zero byte, as route(8) sends.
fn mask_sa(mask: u32) -> Vec<u8> {
    let b = mask.to_be_bytes();
    let used = b.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
    if used == 0 {
        return Vec::new();
    }
    let mut s = vec![(4 + used) as u8, AF_INET, 0, 0];
    s.extend_from_slice(&b[..used]);
    s
}

fn flags_text(f: u32) -> String {
    let names: Vec<&str> = RTF_NAMES
        .iter()
        .filter(|(b, _)| f & b != 0)
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

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
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
                'v' | 'd' => {}
                _ => return usage(),
            }
        }
    }
    let Some(cmd) = args.first().cloned() else {
        return usage();
    };
    match cmd.as_str() {
        "add" | "delete" | "change" | "get" => {}
        "show" | "flush" | "monitor" => {
            eprintln!("{PROG}: {cmd}: not supported yet (the kernel has no routing table dump)");
            return ExitCode::from(1);
        }
        _ => return usage(),
    }
    let mut net: Option<bool> = None;
    let mut iface = false;
    let mut mask: Option<u32> = None;
    let mut words: Vec<String> = Vec::new();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "-net" => net = Some(true),
            "-host" => net = Some(false),
            "-interface" | "-iface" => iface = true,
            "-netmask" => {
                i += 1;
                let Some(m) = args.get(i).and_then(|s| parse_ipv4(s)) else {
                    return usage();
                };
                mask = Some(u32::from_be_bytes(m));
            }
            "-inet" => {}
            w if w.starts_with('-') => {
                eprintln!("{PROG}: {w}: not supported yet");
                return ExitCode::from(1);
            }
            w => words.push(w.to_owned()),
        }
        i += 1;
    }
    let Some(dest_arg) = words.first().cloned() else {
        return usage();
    };
    let Some((dst, dmask, host)) = destination(&dest_arg, net) else {
        eprintln!("{PROG}: {dest_arg}: bad address");
        return ExitCode::from(1);
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
                return ExitCode::from(1);
            }
        },
        None => None,
    };
    if cmd != "get" && cmd != "delete" && gateway.is_none() {
        return usage();
    }
    let Some(c) = rumpclient::Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    let m = Regions::new();
    let fd = match c.syscall(394, &[PF_ROUTE, SOCK_RAW, 0], &m) {
        Ok(r) => r[0] as u64,
        Err(e) => {
            eprintln!("{PROG}: socket: {}", e.description());
            return ExitCode::from(1);
        }
    };
    let typ: u8 = match cmd.as_str() {
        "add" => 1,
        "delete" => 2,
        "change" => 3,
        _ => 4,
    };
    let mut flags: u32 = 0x1 | 0x800; // UP, STATIC
    if host {
        flags |= 0x4;
    }
    if !iface && typ != 4 {
        flags |= 0x2;
    }
    let mut addrs = 0x1u32;
    let mut body = sockaddr_in(dst.to_be_bytes(), 0).to_vec();
    if let Some(g) = gateway.filter(|_| typ != 4) {
        addrs |= 0x2;
        body.extend_from_slice(&sockaddr_in(g, 0));
    }
    if !host && typ != 4 {
        addrs |= 0x4;
        let mut s = mask_sa(dmask);
        s.resize(roundup(s.len()), 0);
        body.extend_from_slice(&s);
    }
    if typ == 4 {
        addrs |= 0x10;
        let mut dl = vec![0u8; 24];
        dl[0] = 20;
        dl[1] = AF_LINK;
        body.extend_from_slice(&dl);
    }
    let pid = c.getpid().unwrap_or(0);
    let seq = 1i32;
    let mut msg = vec![0u8; HDR];
    msg[2] = RTM_VERSION;
    msg[3] = typ;
    msg[8..12].copy_from_slice(&flags.to_le_bytes());
    msg[12..16].copy_from_slice(&addrs.to_le_bytes());
    msg[16..20].copy_from_slice(&pid.to_le_bytes());
    msg[20..24].copy_from_slice(&seq.to_le_bytes());
    msg.extend_from_slice(&body);
    let len = msg.len() as u16;
    msg[0..2].copy_from_slice(&len.to_le_bytes());
    let shown = if dst == 0 && dmask == 0 {
        "default".to_string()
    } else {
        dest_arg.split('/').next().unwrap_or("").to_string()
    };
    let what = format!("{cmd} {} {shown}", if host { "host" } else { "net" });
    let buf = m.add(&msg);
    if let Err(e) = c.syscall(4, &[fd, buf, msg.len() as u64], &m) {
        let why = match e {
            Errno::ESRCH => "not in table".to_string(),
            Errno::EBUSY => "entry in use".to_string(),
            Errno::ENOBUFS => "routing table overflow".to_string(),
            e => e.description().to_string(),
        };
        eprintln!("{PROG}: writing to routing socket: {why}");
        if typ != 4 && !quiet {
            let gw = gateway.map_or(String::new(), |g| format!(": gateway {}", fmt_ipv4(g)));
            println!("{what}{gw}: {why}");
        }
        return ExitCode::from(1);
    }
    if typ != 4 {
        if !quiet {
            let gw = gateway.map_or(String::new(), |g| format!(": gateway {}", fmt_ipv4(g)));
            println!("{what}{gw}");
        }
        return ExitCode::SUCCESS;
    }
    // `get`: read answers until ours comes.
    let rb = m.add_zeroed(2048);
    loop {
        let n = match c.syscall(3, &[fd, rb, 2048], &m) {
            Ok(r) => r[0] as usize,
            Err(e) => {
                eprintln!("{PROG}: read from routing socket: {}", e.description());
                return ExitCode::from(1);
            }
        };
        let r = m.get(rb);
        let r = &r[..n.min(r.len())];
        if r.len() < HDR {
            continue;
        }
        let rpid = i32::from_le_bytes(r[16..20].try_into().unwrap_or_default());
        let rseq = i32::from_le_bytes(r[20..24].try_into().unwrap_or_default());
        if rpid != pid || rseq != seq || r[3] != 4 {
            continue;
        }
        let errno = i32::from_le_bytes(r[24..28].try_into().unwrap_or_default());
        if errno != 0 {
            eprintln!(
                "{PROG}: RTM_GET: {} (errno {errno})",
                Errno(errno).description()
            );
            return ExitCode::from(1);
        }
        let rflags = u32::from_le_bytes(r[8..12].try_into().unwrap_or_default());
        let raddrs = u32::from_le_bytes(r[12..16].try_into().unwrap_or_default());
        let mut sas: [Option<Vec<u8>>; 9] = Default::default();
        let mut off = HDR;
        for (bit, slot) in sas.iter_mut().enumerate() {
            if raddrs & (1 << bit) == 0 || off >= r.len() {
                continue;
            }
            let l = usize::from(r[off]);
            *slot = Some(r[off..(off + l).min(r.len())].to_vec());
            off += roundup(l);
        }
        let ip = |s: &Option<Vec<u8>>| {
            s.as_ref()
                .filter(|s| s.len() >= 8)
                .map(|s| fmt_ipv4([s[4], s[5], s[6], s[7]]))
        };
        println!("   route to: {}", fmt_ipv4(dst.to_be_bytes()));
        let d = ip(&sas[0]).unwrap_or_default();
        println!(
            "destination: {}",
            if d == "0.0.0.0" { "default".into() } else { d }
        );
        if let Some(mk) = &sas[2] {
            let s = if mk.len() < 5 {
                "default".to_string()
            } else {
                ip(&sas[2]).unwrap_or_default()
            };
            println!("       mask: {s}");
        }
        if rflags & 0x2 != 0
            && let Some(g) = ip(&sas[1])
        {
            println!("    gateway: {g}");
        }
        if let Some(a) = ip(&sas[5]) {
            println!(" local addr: {a}");
        }
        if let Some(dl) = &sas[4]
            && dl.len() >= 8
        {
            let nl = usize::from(dl[5]);
            let name = String::from_utf8_lossy(dl.get(8..8 + nl).unwrap_or(&[]));
            println!("  interface: {name}");
        }
        println!("      flags: {}", flags_text(rflags));
        println!(" recvpipe  sendpipe  ssthresh  rtt,msec    rttvar  hopcount      mtu     expire");
        println!(
            "{}",
            format!("{:>8}  ", 0).repeat(7) + &format!("{:>8} ", 0)
        );
        return ExitCode::SUCCESS;
    }
}
