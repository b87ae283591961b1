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

/// The flags `route show` shows: UP, GATEWAY, HOST, REJECT, LOCAL,
/// BROADCAST.
const SHOW_FLAGS: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x40000 | 0x80000;

/// `route flush`: delete every route through a gateway.
fn flush(c: &rumpclient::Client, quiet: bool) -> Result<(), Errno> {
    let mut rs = RouteSock::open(c)?;
    for m in rtable(c, i32::from(AF_INET), NET_RT_DUMP, 0)? {
        if m.flags & 0x2 == 0 {
            continue;
        }
        let Some(dst) = m.addrs[0].as_deref() else {
            continue;
        };
        let addrs: Vec<(u32, &[u8])> = [(0x1u32, 0usize), (0x2, 1), (0x4, 2)]
            .iter()
            .filter_map(|&(bit, i)| m.addrs[i].as_deref().map(|a| (bit, a)))
            .collect();
        rs.request(2, m.flags, &addrs)?;
        if !quiet {
            let a = sa_ipv4(dst);
            let mask = m.addrs[2]
                .as_deref()
                .map_or(u32::MAX, |x| u32::from_be_bytes(sa_ipv4(x)));
            let name = if m.flags & 0x4 != 0 {
                fmt_ipv4(a)
            } else {
                netname4(a, mask)
            };
            println!("{name:<20.20} done");
        }
    }
    Ok(())
}

/// `bprintf`: `<NAME,NAME>` for the bits of `v` named in `names` (bit 0
/// first), `none` for 0.
fn bits(v: u32, names: &[&str]) -> String {
    if v == 0 {
        return "none".into();
    }
    let set: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, n)| v & (1 << i) != 0 && !n.is_empty())
        .map(|(_, n)| *n)
        .collect();
    if set.is_empty() {
        String::new()
    } else {
        format!("<{}>", set.join(","))
    }
}

const ROUTE_FLAG_NAMES: [&str; 20] = [
    "UP",
    "GATEWAY",
    "HOST",
    "REJECT",
    "DYNAMIC",
    "MODIFIED",
    "DONE",
    "MASK_PRESENT",
    "CONNECTED",
    "XRESOLVE",
    "LLINFO",
    "STATIC",
    "BLACKHOLE",
    "CLONED",
    "PROTO2",
    "PROTO1",
    "",
    "",
    "LOCAL",
    "BROADCAST",
];
const IF_FLAG_NAMES: [&str; 16] = [
    "UP",
    "BROADCAST",
    "DEBUG",
    "LOOPBACK",
    "PTP",
    "NOTRAILERS",
    "RUNNING",
    "NOARP",
    "PPROMISC",
    "ALLMULTI",
    "OACTIVE",
    "SIMPLEX",
    "LINK0",
    "LINK1",
    "LINK2",
    "MULTICAST",
];
const METRIC_NAMES: [&str; 9] = [
    "mtu", "hopcount", "expire", "recvpipe", "sendpipe", "ssthresh", "rtt", "rttvar", "pksent",
];
const ADDR_NAMES: [&str; 9] = [
    "DST", "GATEWAY", "NETMASK", "GENMASK", "IFP", "IFA", "AUTHOR", "BRD", "TAG",
];

/// A sockaddr as route(8) names it with -n.
fn sa_text(sa: &[u8], netmask: bool) -> String {
    match sa.get(1).copied() {
        _ if sa.first() == Some(&0) => "default".into(),
        Some(AF_INET) if netmask => fmt_ipv4(sa_ipv4(sa)),
        Some(AF_INET) => {
            let a = sa_ipv4(sa);
            if a == [0; 4] {
                "default".into()
            } else {
                fmt_ipv4(a)
            }
        }
        Some(AF_LINK) => {
            let (nlen, alen) = (usize::from(sa[5]), usize::from(sa[6]));
            if nlen == 0 && alen == 0 {
                link_text(sa)
            } else {
                // link_ntoa: the name, then the address in dotted hex.
                let hw = sa.get(8 + nlen..8 + nlen + alen).unwrap_or(&[]);
                let hw: Vec<String> = hw.iter().map(|b| format!("{b:x}")).collect();
                let name = sdl_name(sa);
                match (name.is_empty(), hw.is_empty()) {
                    (_, true) => name,
                    (true, false) => hw.join("."),
                    (false, false) => format!("{name}:{}", hw.join(".")),
                }
            }
        }
        Some(f) => format!("({f})"),
        None => String::new(),
    }
}

/// `pmsg_addrs`: the address bits, then each address.
fn addrs_text(m: &RtMsg, addrs: u32) -> String {
    if addrs == 0 {
        return "\n".into();
    }
    let mut s = format!("\nsockaddrs: {}\n", bits(addrs, &ADDR_NAMES));
    for (i, a) in m.addrs.iter().enumerate() {
        if let Some(a) = a {
            s.push_str(&format!(" {}", sa_text(a, i == 2)));
        }
    }
    s.push('\n');
    s
}

/// `print_rtmsg`.
fn rtmsg_text(m: &RtMsg) -> String {
    let word = |at: usize| {
        m.raw
            .get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, i32::from_le_bytes)
    };
    if m.raw.get(2) != Some(&RTM_VERSION) {
        return format!(
            "routing message version {} not understood\n",
            m.raw.get(2).copied().unwrap_or(0)
        );
    }
    let what = match m.typ {
        1 => "RTM_ADD: Add Route",
        2 => "RTM_DELETE: Delete Route",
        3 => "RTM_CHANGE: Change Metrics or flags",
        4 => "RTM_GET: Report Metrics",
        5 => "RTM_LOSING: Kernel Suspects Partitioning",
        6 => "RTM_REDIRECT: Told to use different route",
        7 => "RTM_MISS: Lookup failed on this address",
        8 => "RTM_LOCK: fix specified metrics",
        9 => "RTM_OLDADD: caused by SIOCADDRT",
        10 => "RTM_OLDDEL: caused by SIOCDELRT",
        12 => "RTM_NEWADDR: address being added to iface",
        13 => "RTM_DELADDR: address being removed from iface",
        16 => "RTM_IFANNOUNCE: iface arrival/departure",
        20 => "RTM_IFINFO: iface status change",
        _ => "",
    };
    let len = u16::from_le_bytes([m.raw[0], m.raw[1]]);
    let mut s = if what.is_empty() {
        format!("#{}: len {len}, ", m.typ)
    } else {
        format!("{what}: len {len}, ")
    };
    match m.typ {
        RTM_IFINFO => {
            let state = match m
                .raw
                .get(16 + 4..16 + 8)
                .map(|b| i32::from_le_bytes(b.try_into().unwrap_or_default()))
            {
                Some(0) => "carrier: unknown".to_string(),
                Some(1) => "carrier: no carrier".to_string(),
                Some(2) => "carrier: active".to_string(),
                v => format!("carrier: {:#x}", v.unwrap_or(0)),
            };
            s.push_str(&format!(
                "if# {}, {state}, flags: {}",
                m.index,
                bits(m.flags, &IF_FLAG_NAMES)
            ));
            s.push_str(&addrs_text(m, word(4) as u32));
        }
        RTM_NEWADDR | 13 => {
            s.push_str(&format!(
                "metric {}, flags: {}",
                word(12),
                bits(m.flags, &ROUTE_FLAG_NAMES)
            ));
            s.push_str(&addrs_text(m, word(4) as u32));
        }
        16 => {
            let what = u16::from_le_bytes([m.raw[22], m.raw[23]]);
            let what = match what {
                0 => "arrival".to_string(),
                1 => "departure".to_string(),
                w => format!("#{w}"),
            };
            s.push_str(&format!(
                "if# {}, what: {what}\n",
                u16::from_le_bytes([m.raw[4], m.raw[5]])
            ));
        }
        _ => {
            s.push_str(&format!(
                "pid {}, seq {}, errno {}, flags: {}",
                word(16),
                word(20),
                word(24),
                bits(m.flags, &ROUTE_FLAG_NAMES)
            ));
            let locks = m.u64_at(40) as u32;
            s.push_str(&format!(
                "\nlocks: {} inits: {}",
                bits(locks, &METRIC_NAMES),
                bits(word(32) as u32, &METRIC_NAMES)
            ));
            s.push_str(&addrs_text(m, word(12) as u32));
        }
    }
    s
}

/// `route monitor`: every routing message, as it comes.
fn monitor(c: &rumpclient::Client) -> Result<(), Errno> {
    use std::io::Write;
    let m = Regions::new();
    let fd = c.syscall(394, &[PF_ROUTE, SOCK_RAW, 0], &m)?[0] as u64;
    let rb = m.add_zeroed(2048);
    loop {
        let n = c.syscall(3, &[fd, rb, 2048], &m)?[0] as usize;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let buf = m.get(rb);
        let mut out = format!("got message of size {n} on {}\n", rumpclient::ctime(now));
        if let Some(msg) = rt_messages(&buf[..n.min(buf.len())]).first() {
            out.push_str(&rtmsg_text(msg));
        }
        let mut o = std::io::stdout().lock();
        if o.write_all(out.as_bytes())
            .and_then(|()| o.flush())
            .is_err()
        {
            return Ok(());
        }
    }
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-nq] add|delete|change [-net | -host] destination [gateway] [-netmask mask] [-interface]\n       {PROG} [-n] get destination\n       {PROG} [-nq] show|flush|monitor [-inet]"
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
            if let Some(w) = args[1..].iter().find(|w| *w != "-inet") {
                eprintln!("{PROG}: {w}: not supported yet");
                return ExitCode::from(1);
            }
            let Some(c) = rumpclient::Client::for_tool(PROG) else {
                return ExitCode::from(1);
            };
            let r = match cmd.as_str() {
                "show" => print_rttables(&c, SHOW_FLAGS),
                "flush" => flush(&c, quiet),
                _ => monitor(&c),
            };
            return match r {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{PROG}: {cmd}: {}", e.description());
                    ExitCode::from(1)
                }
            };
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
    let mut rs = match RouteSock::open(&c) {
        Ok(rs) => rs,
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
    let dst_sa = sockaddr_in(dst.to_be_bytes(), 0);
    let gw_sa = gateway.map(|g| sockaddr_in(g, 0));
    let mask = mask_sa(dmask);
    let mut dl = vec![0u8; 20];
    dl[0] = 20;
    dl[1] = AF_LINK;
    let mut addrs: Vec<(u32, &[u8])> = vec![(0x1, &dst_sa)];
    if let Some(g) = gw_sa.as_ref().filter(|_| typ != 4) {
        addrs.push((0x2, g));
    }
    if !host && typ != 4 {
        addrs.push((0x4, &mask));
    }
    if typ == 4 {
        addrs.push((0x10, &dl));
    }
    let shown = if dst == 0 && dmask == 0 {
        "default".to_string()
    } else {
        dest_arg.split('/').next().unwrap_or("").to_string()
    };
    let what = format!("{cmd} {} {shown}", if host { "host" } else { "net" });
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
            if typ != 4 && !quiet {
                let gw = gateway.map_or(String::new(), |g| format!(": gateway {}", fmt_ipv4(g)));
                println!("{what}{gw}: {why}");
            }
            return ExitCode::from(1);
        }
    };
    if typ != 4 {
        if !quiet {
            let gw = gateway.map_or(String::new(), |g| format!(": gateway {}", fmt_ipv4(g)));
            println!("{what}{gw}");
        }
        return ExitCode::SUCCESS;
    }
    // `get`: the answer.
    {
        let errno = i32::from_le_bytes(answer.raw[24..28].try_into().unwrap_or_default());
        if errno != 0 {
            eprintln!(
                "{PROG}: RTM_GET: {} (errno {errno})",
                Errno(errno).description()
            );
            return ExitCode::from(1);
        }
        let rflags = answer.flags;
        let sas = &answer.addrs;
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
        // rtm_rmx: only the MTU is kept; the rest are 0 as on NetBSD.
        let rmx = |f: netbsd_abi::Field| {
            answer.u64_at(netbsd_abi::layout::rt_msghdr::rtm_rmx.offset + f.offset)
        };
        let mtu = rmx(netbsd_abi::layout::rt_metrics::rmx_mtu);
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
    }
    ExitCode::SUCCESS
}
