//! `rump.ifconfig`: NetBSD's ifconfig(8) as a rump kernel client.
//!
//! `rump.ifconfig [-a | -l | -C | -w secs]`, `rump.ifconfig IF`, and
//! `rump.ifconfig IF [create] [destroy] [linkstr PATH] [-linkstr]
//! [[inet] ADDR[/LEN] [netmask M] [broadcast B] [alias | -alias | delete]]
//! [up] [down] [mtu N]`.

use rump_nettools::*;
use rumpclient::{Errno, Regions};
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.ifconfig";

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-a | -l | -C | -w secs]\n       {PROG} interface [create | destroy] [linkstr path | -linkstr]\n                     [[inet] address[/prefixlen] [netmask mask] [broadcast addr] [alias | -alias | delete]]\n                     [up | down] [mtu n]"
    );
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

fn linkstr(ctl: &Ctl, name: &str) -> Option<String> {
    let mut d = [0u8; 40];
    d[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
    d[16..24].copy_from_slice(&1u64.to_le_bytes()); // IFLINKSTR_QUERYLEN
    ctl.ioctl(sio::GLINKSTR, &mut d).ok()?;
    let len = u64::from_le_bytes(d[24..32].try_into().ok()?) as usize;
    let m = Regions::new();
    let buf = m.add_zeroed(len.max(1));
    d[16..24].copy_from_slice(&0u64.to_le_bytes());
    d[32..40].copy_from_slice(&buf.to_le_bytes());
    ctl.ioctl_with(sio::GLINKSTR, &mut d, &m).ok()?;
    let s = m.get(buf);
    let end = s.iter().position(|&b| b == 0).unwrap_or(s.len());
    Some(String::from_utf8_lossy(&s[..end]).into_owned())
}

fn status(ctl: &Ctl, name: &str, entries: &[IfConfEntry]) -> Result<(), Errno> {
    let mut r = ifreq(name);
    ctl.ioctl(sio::GIFFLAGS, &mut r)?;
    let flags = u32::from(u16::from_le_bytes([r[16], r[17]]));
    let mut line = format!("{name}: flags={}", snprintb(flags, &IFF_NAMES));
    let mut r = ifreq(name);
    if ctl.ioctl(sio::GIFMETRIC, &mut r).is_ok() {
        let metric = i32::from_le_bytes(r[16..20].try_into().unwrap_or_default());
        if metric != 0 {
            line += &format!(" metric {metric}");
        }
    }
    let mut r = ifreq(name);
    if ctl.ioctl(sio::GIFMTU, &mut r).is_ok() {
        let mtu = u32::from_le_bytes(r[16..20].try_into().unwrap_or_default());
        if mtu != 0 {
            line += &format!(" mtu {mtu}");
        }
    }
    println!("{line}");
    for e in entries.iter().filter(|e| e.name == name) {
        if e.sa.get(1) == Some(&AF_LINK) && e.sa.len() >= 8 {
            let (nlen, alen) = (usize::from(e.sa[5]), usize::from(e.sa[6]));
            if let Some(mac) =
                e.sa.get(8 + nlen..8 + nlen + alen)
                    .filter(|m| !m.is_empty())
            {
                let hex: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
                println!("\taddress: {}", hex.join(":"));
            }
        }
    }
    if let Some(l) = linkstr(ctl, name) {
        println!("\tlinkstr: {l}");
    }
    // As NetBSD 7.99's in_alias prints them: the interface's first address
    // plain, the others as aliases, the mask in hex, then the address's
    // state (IN_IFF_TENTATIVE, _DUPLICATED, _DETACHED).
    let mut first = true;
    for e in entries.iter().filter(|e| e.name == name) {
        if e.sa.get(1) != Some(&AF_INET) || e.sa.len() < 8 {
            continue;
        }
        let a: [u8; 4] = e.sa[4..8].try_into().unwrap_or_default();
        let mut q = [0u8; 64];
        q[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
        q[16..32].copy_from_slice(&sockaddr_in(a, 0));
        let alias = if std::mem::take(&mut first) {
            ""
        } else {
            "alias "
        };
        let mut line = format!("\tinet {alias}{}", fmt_ipv4(a));
        if ctl.ioctl(sio::GIFALIAS, &mut q).is_ok() {
            let mask = u32::from_be_bytes(q[52..56].try_into().unwrap_or_default());
            let bcast: [u8; 4] = q[36..40].try_into().unwrap_or_default();
            if flags & 0x10 != 0 {
                line += &format!(" -> {}", fmt_ipv4(bcast));
            }
            line += &format!(" netmask {mask:#x}");
            if flags & 0x2 != 0 {
                line += &format!(" broadcast {}", fmt_ipv4(bcast));
            }
        }
        let mut fr = ifreq(name);
        fr[16..32].copy_from_slice(&sockaddr_in(a, 0));
        if ctl.ioctl(sio::GIFAFLAG_IN, &mut fr).is_ok() {
            let af = u32::from_le_bytes(fr[16..20].try_into().unwrap_or_default());
            for (bit, word) in [
                (0x1, " tentative"),
                (0x2, " duplicated"),
                (0x4, " detached"),
            ] {
                if af & bit != 0 {
                    line += word;
                }
            }
        }
        println!("{line}");
    }
    Ok(())
}

fn names(entries: &[IfConfEntry]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for e in entries {
        if !v.contains(&e.name) {
            v.push(e.name.clone());
        }
    }
    v
}

/// `-w`: wait until no address is tentative.
fn wait_usable(ctl: &Ctl, secs: u64) -> ExitCode {
    let entries = match ifconf(ctl) {
        Ok(e) => e,
        Err(e) => return fail("SIOCGIFCONF", e),
    };
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let tentative = entries.iter().any(|e| {
            if e.sa.get(1) != Some(&AF_INET) {
                return false;
            }
            let mut r = ifreq(&e.name);
            r[16..32].copy_from_slice(&e.sa[..16.min(e.sa.len())]);
            ctl.ioctl(sio::GIFAFLAG_IN, &mut r).is_ok()
                && u32::from_le_bytes(r[16..20].try_into().unwrap_or_default()) & 1 != 0
        });
        if !tentative {
            return ExitCode::SUCCESS;
        }
        if secs > 0 && Instant::now() >= deadline {
            eprintln!("{PROG}: timed out");
            return ExitCode::from(1);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn set_flag(ctl: &Ctl, name: &str, bit: u16, on: bool) -> Result<(), Errno> {
    let mut r = ifreq(name);
    ctl.ioctl(sio::GIFFLAGS, &mut r)?;
    let mut f = u16::from_le_bytes([r[16], r[17]]);
    f = if on { f | bit } else { f & !bit };
    r[16..18].copy_from_slice(&f.to_le_bytes());
    ctl.ioctl(sio::SIFFLAGS, &mut r)
}

fn set_linkstr(ctl: &Ctl, name: &str, path: Option<&str>) -> Result<(), Errno> {
    let m = Regions::new();
    let mut d = [0u8; 40];
    d[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
    match path {
        Some(p) => {
            let mut s = p.as_bytes().to_vec();
            s.push(0);
            let a = m.add(&s);
            d[24..32].copy_from_slice(&(s.len() as u64).to_le_bytes());
            d[32..40].copy_from_slice(&a.to_le_bytes());
        }
        None => d[16..24].copy_from_slice(&2u64.to_le_bytes()), // IFLINKSTR_UNSET
    }
    ctl.ioctl_with(sio::SLINKSTR, &mut d, &m)
}

/// Parse `ADDR[/LEN]`.
fn addr_arg(s: &str) -> Option<([u8; 4], Option<u32>)> {
    match s.split_once('/') {
        Some((a, l)) => Some((parse_ipv4(a)?, Some(l.parse().ok().filter(|&n| n <= 32)?))),
        None => Some((parse_ipv4(s)?, None)),
    }
}

fn mask_of(len: u32) -> [u8; 4] {
    (u32::MAX.checked_shl(32 - len).unwrap_or(0)).to_be_bytes()
}

fn configure(ctl: &Ctl, name: &str, args: &[String]) -> ExitCode {
    let mut i = 0;
    let mut addr: Option<[u8; 4]> = None;
    let mut mask: Option<[u8; 4]> = None;
    let mut bcast: Option<[u8; 4]> = None;
    let mut mode = "replace";
    let mut after: Vec<(String, Option<String>)> = Vec::new();
    while i < args.len() {
        let a = args[i].as_str();
        let next = args.get(i + 1).cloned();
        match a {
            "create" | "destroy" | "up" | "down" | "-linkstr" => after.push((a.into(), None)),
            "linkstr" | "mtu" => {
                let Some(v) = next else { return usage() };
                after.push((a.into(), Some(v)));
                i += 1;
            }
            "inet" => {}
            "netmask" => {
                let Some(m) = next.as_deref().and_then(parse_ipv4) else {
                    eprintln!("{PROG}: bad netmask");
                    return ExitCode::from(1);
                };
                mask = Some(m);
                i += 1;
            }
            "broadcast" => {
                let Some(b) = next.as_deref().and_then(parse_ipv4) else {
                    eprintln!("{PROG}: bad broadcast address");
                    return ExitCode::from(1);
                };
                bcast = Some(b);
                i += 1;
            }
            "alias" => mode = "alias",
            "-alias" | "delete" => mode = "delete",
            _ => match addr_arg(a) {
                Some((x, l)) if addr.is_none() => {
                    addr = Some(x);
                    if let Some(l) = l {
                        mask = Some(mask_of(l));
                    }
                }
                _ => {
                    eprintln!("{PROG}: {a}: bad value");
                    return ExitCode::from(1);
                }
            },
        }
        i += 1;
    }
    // Creation comes first and the rest in order, as ifconfig does.
    let (first, rest): (Vec<_>, Vec<_>) = after.into_iter().partition(|(c, _)| c == "create");
    for (c, _) in first {
        let mut r = ifreq(name);
        if let Err(e) = ctl.ioctl(sio::IFCREATE, &mut r) {
            return fail(&format!("{c} {name}"), e);
        }
    }
    for (c, v) in rest
        .iter()
        .filter(|(c, _)| c == "linkstr" || c == "-linkstr")
    {
        if let Err(e) = set_linkstr(ctl, name, if c == "linkstr" { v.as_deref() } else { None }) {
            return fail("SIOCSLINKSTR", e);
        }
    }
    if mode == "delete" || addr.is_some() {
        let mut r = ifreq(name);
        match (mode, addr) {
            ("delete", a) => {
                let a = match a {
                    Some(a) => a,
                    None => {
                        if let Err(e) = ctl.ioctl(sio::GIFADDR, &mut r) {
                            return fail("SIOCGIFADDR", e);
                        }
                        r[20..24].try_into().unwrap_or_default()
                    }
                };
                let mut r = ifreq(name);
                r[16..32].copy_from_slice(&sockaddr_in(a, 0));
                if let Err(e) = ctl.ioctl(sio::DIFADDR, &mut r) {
                    return fail("SIOCDIFADDR", e);
                }
            }
            (_, Some(a)) => {
                if mode == "replace" && ctl.ioctl(sio::GIFADDR, &mut r).is_ok() {
                    let old: [u8; 4] = r[20..24].try_into().unwrap_or_default();
                    if old != a {
                        let mut d = ifreq(name);
                        d[16..32].copy_from_slice(&sockaddr_in(old, 0));
                        let _ = ctl.ioctl(sio::DIFADDR, &mut d);
                    }
                }
                let mut q = [0u8; 64];
                q[..name.len().min(15)].copy_from_slice(&name.as_bytes()[..name.len().min(15)]);
                q[16..32].copy_from_slice(&sockaddr_in(a, 0));
                if let Some(b) = bcast {
                    q[32..48].copy_from_slice(&sockaddr_in(b, 0));
                }
                if let Some(m) = mask {
                    q[48..64].copy_from_slice(&sockaddr_in(m, 0));
                }
                if let Err(e) = ctl.ioctl(sio::AIFADDR, &mut q) {
                    return fail("SIOCAIFADDR", e);
                }
            }
            _ => {}
        }
    }
    for (c, v) in rest {
        let r = match c.as_str() {
            "up" => set_flag(ctl, name, 1, true).map_err(|e| ("SIOCSIFFLAGS", e)),
            "down" => set_flag(ctl, name, 1, false).map_err(|e| ("SIOCSIFFLAGS", e)),
            "mtu" => {
                let Some(n) = v.as_deref().and_then(|s| s.parse::<u32>().ok()) else {
                    eprintln!("{PROG}: invalid mtu");
                    return ExitCode::from(1);
                };
                let mut r = ifreq(name);
                r[16..20].copy_from_slice(&n.to_le_bytes());
                ctl.ioctl(sio::SIFMTU, &mut r)
                    .map_err(|e| ("SIOCSIFMTU", e))
            }
            "destroy" => {
                let mut r = ifreq(name);
                ctl.ioctl(sio::IFDESTROY, &mut r)
                    .map_err(|e| ("clone_command", e))
            }
            _ => Ok(()),
        };
        if let Err((what, e)) = r {
            return fail(what, e);
        }
    }
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(ctl) = Ctl::open(PROG) else {
        return ExitCode::from(1);
    };
    match args.first().map(String::as_str) {
        None | Some("-a") => {
            let entries = match ifconf(&ctl) {
                Ok(e) => e,
                Err(e) => return fail("SIOCGIFCONF", e),
            };
            for n in names(&entries) {
                if let Err(e) = status(&ctl, &n, &entries) {
                    return fail(&n, e);
                }
            }
            ExitCode::SUCCESS
        }
        Some("-l") => match ifconf(&ctl) {
            Ok(e) => {
                println!("{}", names(&e).join(" "));
                ExitCode::SUCCESS
            }
            Err(e) => fail("SIOCGIFCONF", e),
        },
        Some("-C") => {
            let m = Regions::new();
            let buf = m.add_zeroed(16 * 32);
            let mut req = [0u8; 16];
            req[4..8].copy_from_slice(&32u32.to_le_bytes());
            req[8..16].copy_from_slice(&buf.to_le_bytes());
            if let Err(e) = ctl.ioctl_with(sio::IFGCLONERS, &mut req, &m) {
                return fail("SIOCIFGCLONERS", e);
            }
            let total = u32::from_le_bytes(req[0..4].try_into().unwrap_or_default()) as usize;
            let names: Vec<String> = m
                .get(buf)
                .chunks(16)
                .take(total.min(32))
                .map(|c| {
                    let end = c.iter().position(|&b| b == 0).unwrap_or(16);
                    String::from_utf8_lossy(&c[..end]).into_owned()
                })
                .collect();
            println!("{}", names.join(" "));
            ExitCode::SUCCESS
        }
        Some("-w") => match args.get(1).and_then(|s| s.parse::<u64>().ok()) {
            Some(n) if args.len() == 2 => wait_usable(&ctl, n),
            _ => usage(),
        },
        Some(a) if a.starts_with('-') => usage(),
        Some(name) => {
            if name.len() >= 16 {
                eprintln!("{PROG}: {name}: interface name too long");
                return ExitCode::from(1);
            }
            if args.len() == 1 {
                let entries = match ifconf(&ctl) {
                    Ok(e) => e,
                    Err(e) => return fail("SIOCGIFCONF", e),
                };
                if !entries.iter().any(|e| e.name == name) {
                    eprintln!("{PROG}: SIOCGIFFLAGS {name}: Device not configured");
                    return ExitCode::from(1);
                }
                return match status(&ctl, name, &entries) {
                    Ok(()) => ExitCode::SUCCESS,
                    Err(e) => fail(name, e),
                };
            }
            configure(&ctl, name, &args[1..])
        }
    }
}
