//! `rump.ifconfig`: NetBSD's ifconfig(8) as a rump kernel client.
//!
//! `rump.ifconfig [-a | -l | -C | -w secs]`, `rump.ifconfig IF`, and
//! `rump.ifconfig IF [create] [destroy] [linkstr PATH] [-linkstr]
//! [[inet] ADDR[/LEN] [netmask M] [broadcast B] [alias | -alias | delete]]
//! [inet6 ADDR[/LEN] [prefixlen N] [alias | -alias | delete]]
//! [up] [down] [mtu N]`.

use netbsd_abi::layout::{if_clonereq, ifdrv, ifreq as ifr, in_aliasreq as ifra};
use netbsd_abi::{AF_INET, AF_LINK, IFF_BROADCAST, IFF_POINTOPOINT, IFF_UP, IFNAMSIZ};
use rump_nettools::inet6::{self, Ctl6};
use rump_nettools::*;
use rumpclient::{Errno, Regions};
use std::net::Ipv6Addr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

const PROG: &str = "rump.ifconfig";
/// `IFLINKSTR_QUERYLEN` and `IFLINKSTR_UNSET` (`net/if.h`; not in the ABI
/// tables): `ifd_cmd` values of `SIOCGLINKSTR` and `SIOCSLINKSTR`.
const IFLINKSTR_QUERYLEN: u64 = 0x01;
const IFLINKSTR_UNSET: u64 = 0x02;
/// `IN_IFF_TENTATIVE` (`netinet/in_var.h`; not in the ABI tables).
const IN_IFF_TENTATIVE: u64 = 0x01;
/// `SIOCIFGCLONERS` is asked for at most this many cloner names.
const MAX_CLONERS: usize = 32;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-a | -l | -C | -w secs]\n       {PROG} interface [create | destroy] [linkstr path | -linkstr]\n                     [[inet] address[/prefixlen] [netmask mask] [broadcast addr] [alias | -alias | delete]]\n                     [inet6 address[/prefixlen] [prefixlen n] [alias | -alias | delete]]\n                     [up | down] [mtu n]"
    );
    ExitCode::from(1)
}

fn fail(what: &str, e: Errno) -> ExitCode {
    eprintln!("{PROG}: {what}: {}", e.description());
    ExitCode::from(1)
}

fn linkstr(ctl: &Ctl, name: &str) -> Option<String> {
    let mut d = [0u8; ifdrv::SIZE];
    put_name(&mut d, ifdrv::ifd_name, name);
    ifdrv::ifd_cmd.put(&mut d, IFLINKSTR_QUERYLEN);
    ctl.ioctl(netbsd_abi::SIOCGLINKSTR, &mut d).ok()?;
    let len = ifdrv::ifd_len.get(&d)? as usize;
    let m = Regions::new();
    let buf = m.add_zeroed(len.max(1));
    ifdrv::ifd_cmd.put(&mut d, 0);
    ifdrv::ifd_data.put(&mut d, buf);
    ctl.ioctl_with(netbsd_abi::SIOCGLINKSTR, &mut d, &m).ok()?;
    Some(c_text(&m.get(buf)))
}

fn status(ctl: &Ctl, name: &str, entries: &[IfConfEntry]) -> Result<(), Errno> {
    let mut r = ifreq(name);
    ctl.ioctl(netbsd_abi::SIOCGIFFLAGS, &mut r)?;
    let flags = ifr::ifr_ifru__ifru_flags.get(&r).unwrap_or(0) as u32;
    let mut line = format!("{name}: flags={}", snprintb(flags, &IFF_NAMES));
    let mut r = ifreq(name);
    if ctl.ioctl(netbsd_abi::SIOCGIFMETRIC, &mut r).is_ok() {
        let metric = ifr::ifr_ifru__ifru_metric.get(&r).unwrap_or(0) as i32;
        if metric != 0 {
            line += &format!(" metric {metric}");
        }
    }
    let mut r = ifreq(name);
    if ctl.ioctl(netbsd_abi::SIOCGIFMTU, &mut r).is_ok() {
        let mtu = ifr::ifr_ifru__ifru_mtu.get(&r).unwrap_or(0) as u32;
        if mtu != 0 {
            line += &format!(" mtu {mtu}");
        }
    }
    println!("{line}");
    for e in entries.iter().filter(|e| e.name == name) {
        let mac = sdl_lladdr(&e.sa);
        if sa_family(&e.sa) == Some(AF_LINK) && !mac.is_empty() {
            println!("\taddress: {}", hw_text(mac));
        }
    }
    if let Some(l) = linkstr(ctl, name) {
        println!("\tlinkstr: {l}");
    }
    inet6_lines(ctl, name, entries);
    // As NetBSD 7.99's in_alias prints them: the interface's first address
    // plain, the others as aliases, the mask in hex, then the address's
    // state (IN_IFF_TENTATIVE, _DUPLICATED, _DETACHED).
    let mut first = true;
    for e in entries.iter().filter(|e| e.name == name) {
        if sa_family(&e.sa) != Some(AF_INET)
            || e.sa.len() < netbsd_abi::layout::sockaddr_in::sin_addr.range().end
        {
            continue;
        }
        let a = sa_ipv4(&e.sa);
        let mut q = [0u8; ifra::SIZE];
        put_name(&mut q, ifra::ifra_name, name);
        q[ifra::ifra_addr.range()].copy_from_slice(&sockaddr_in(a, 0));
        let alias = if std::mem::take(&mut first) {
            ""
        } else {
            "alias "
        };
        let mut line = format!("\tinet {alias}{}", fmt_ipv4(a));
        if ctl.ioctl(netbsd_abi::SIOCGIFALIAS, &mut q).is_ok() {
            let mask = u32::from_be_bytes(sa_ipv4(&q[ifra::ifra_mask.range()]));
            let bcast = sa_ipv4(&q[ifra::ifra_dstaddr.range()]);
            if flags & IFF_POINTOPOINT as u32 != 0 {
                line += &format!(" -> {}", fmt_ipv4(bcast));
            }
            line += &format!(" netmask {mask:#x}");
            if flags & IFF_BROADCAST as u32 != 0 {
                line += &format!(" broadcast {}", fmt_ipv4(bcast));
            }
        }
        let mut fr = ifreq(name);
        fr[ifr::ifr_ifru__ifru_addr.range()].copy_from_slice(&sockaddr_in(a, 0));
        if ctl.ioctl(netbsd_abi::SIOCGIFAFLAG_IN, &mut fr).is_ok() {
            let af = ifr::ifr_ifru__ifru_addrflags.get(&fr).unwrap_or(0) as u32;
            // IN_IFF_TENTATIVE, IN_IFF_DUPLICATED, IN_IFF_DETACHED.
            for (bit, word) in [(1, " tentative"), (2, " duplicated"), (4, " detached")] {
                if af & bit != 0 {
                    line += word;
                }
            }
        }
        println!("{line}");
    }
    Ok(())
}

/// The IPv6 addresses of `name` in `entries`, with their scopes.
fn inet6_addrs<'a>(
    entries: &'a [IfConfEntry],
    name: &'a str,
) -> impl Iterator<Item = (Ipv6Addr, u32)> + 'a {
    entries
        .iter()
        .filter(move |e| e.name == name && sa_family(&e.sa) == Some(netbsd_abi::AF_INET6))
        .filter_map(|e| inet6::parse_sockaddr_in6(&e.sa))
}

/// As NetBSD's `in6_alias` prints them: the address (with `%IF` when it
/// has a scope), the prefix length, the `IN6_IFF_*` words, the scope id.
fn inet6_lines(ctl: &Ctl, name: &str, entries: &[IfConfEntry]) {
    let mut addrs = inet6_addrs(entries, name).peekable();
    if addrs.peek().is_none() {
        return;
    }
    let Ok(c6) = Ctl6::open(ctl) else {
        return;
    };
    for (a, scope) in addrs {
        let mut line = if scope != 0 {
            format!("\tinet6 {a}%{name}")
        } else {
            format!("\tinet6 {a}")
        };
        if let Ok(len) = c6.prefixlen(ctl, name, &a, scope) {
            line += &format!(" prefixlen {len}");
        }
        if let Ok(f) = c6.flags(ctl, name, &a, scope) {
            for (bit, word) in inet6::IN6_IFF_NAMES {
                if f & bit != 0 {
                    line += &format!(" {word}");
                }
            }
        }
        if scope != 0 {
            line += &format!(" scopeid {scope:#x}");
        }
        println!("{line}");
    }
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
    let c6 = Ctl6::open(ctl).ok();
    loop {
        let tentative6 = c6.as_ref().is_some_and(|c6| {
            entries.iter().any(|e| {
                inet6_addrs(std::slice::from_ref(e), &e.name).any(|(a, s)| {
                    c6.flags(ctl, &e.name, &a, s)
                        .is_ok_and(|f| f & inet6::IN6_IFF_TENTATIVE != 0)
                })
            })
        });
        let tentative = entries.iter().any(|e| {
            if sa_family(&e.sa) != Some(AF_INET) {
                return false;
            }
            let mut r = ifreq(&e.name);
            let at = ifr::ifr_ifru__ifru_addr.offset;
            let n = e.sa.len().min(ifr::ifr_ifru__ifru_addr.size);
            r[at..at + n].copy_from_slice(&e.sa[..n]);
            ctl.ioctl(netbsd_abi::SIOCGIFAFLAG_IN, &mut r).is_ok()
                && ifr::ifr_ifru__ifru_addrflags.get(&r).unwrap_or(0) & IN_IFF_TENTATIVE != 0
        });
        if !tentative && !tentative6 {
            return ExitCode::SUCCESS;
        }
        if secs > 0 && Instant::now() >= deadline {
            eprintln!("{PROG}: timed out");
            return ExitCode::from(1);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn set_flag(ctl: &Ctl, name: &str, bit: i32, on: bool) -> Result<(), Errno> {
    let mut r = ifreq(name);
    ctl.ioctl(netbsd_abi::SIOCGIFFLAGS, &mut r)?;
    let mut f = ifr::ifr_ifru__ifru_flags.get(&r).unwrap_or(0);
    let bit = bit as u64;
    f = if on { f | bit } else { f & !bit };
    ifr::ifr_ifru__ifru_flags.put(&mut r, f);
    ctl.ioctl(netbsd_abi::SIOCSIFFLAGS, &mut r)
}

fn set_linkstr(ctl: &Ctl, name: &str, path: Option<&str>) -> Result<(), Errno> {
    let m = Regions::new();
    let mut d = [0u8; ifdrv::SIZE];
    put_name(&mut d, ifdrv::ifd_name, name);
    match path {
        Some(p) => {
            let mut s = p.as_bytes().to_vec();
            s.push(0);
            let a = m.add(&s);
            ifdrv::ifd_len.put(&mut d, s.len() as u64);
            ifdrv::ifd_data.put(&mut d, a);
        }
        None => {
            ifdrv::ifd_cmd.put(&mut d, IFLINKSTR_UNSET);
        }
    }
    ctl.ioctl_with(netbsd_abi::SIOCSLINKSTR, &mut d, &m)
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

/// Add or delete the IPv6 address `addr6` (with its prefix length).
fn configure_inet6(
    ctl: &Ctl,
    name: &str,
    mode: &str,
    addr6: Option<(Ipv6Addr, Option<u32>)>,
) -> Result<(), ExitCode> {
    let Some((a, len)) = addr6 else {
        return Err(usage());
    };
    let c6 = Ctl6::open(ctl).map_err(|e| fail("socket", e))?;
    if mode == "delete" {
        c6.delete(ctl, name, &a)
            .map_err(|e| fail("SIOCDIFADDR_IN6", e))
    } else {
        // Without a length, a new address gets /64, ifconfig's default
        // prefix mask for inet6.
        c6.add(ctl, name, &a, len.unwrap_or(64))
            .map_err(|e| fail("SIOCAIFADDR_IN6", e))
    }
}

/// Set, add or delete the IPv4 address `addr` (`SIOCAIFADDR`,
/// `SIOCDIFADDR`), replacing the first one unless `mode` is `alias`.
fn configure_inet(
    ctl: &Ctl,
    name: &str,
    mode: &str,
    addr: Option<[u8; 4]>,
    mask: Option<[u8; 4]>,
    bcast: Option<[u8; 4]>,
) -> Result<(), ExitCode> {
    let mut r = ifreq(name);
    match (mode, addr) {
        ("delete", a) => {
            let a = match a {
                Some(a) => a,
                None => {
                    if let Err(e) = ctl.ioctl(netbsd_abi::SIOCGIFADDR, &mut r) {
                        return Err(fail("SIOCGIFADDR", e));
                    }
                    sa_ipv4(&r[ifr::ifr_ifru__ifru_addr.range()])
                }
            };
            let mut r = ifreq(name);
            r[ifr::ifr_ifru__ifru_addr.range()].copy_from_slice(&sockaddr_in(a, 0));
            if let Err(e) = ctl.ioctl(netbsd_abi::SIOCDIFADDR, &mut r) {
                return Err(fail("SIOCDIFADDR", e));
            }
        }
        (_, Some(a)) => {
            if mode == "replace" && ctl.ioctl(netbsd_abi::SIOCGIFADDR, &mut r).is_ok() {
                let old = sa_ipv4(&r[ifr::ifr_ifru__ifru_addr.range()]);
                if old != a {
                    let mut d = ifreq(name);
                    d[ifr::ifr_ifru__ifru_addr.range()].copy_from_slice(&sockaddr_in(old, 0));
                    let _ = ctl.ioctl(netbsd_abi::SIOCDIFADDR, &mut d);
                }
            }
            let mut q = [0u8; ifra::SIZE];
            put_name(&mut q, ifra::ifra_name, name);
            q[ifra::ifra_addr.range()].copy_from_slice(&sockaddr_in(a, 0));
            if let Some(b) = bcast {
                q[ifra::ifra_dstaddr.range()].copy_from_slice(&sockaddr_in(b, 0));
            }
            if let Some(m) = mask {
                q[ifra::ifra_mask.range()].copy_from_slice(&sockaddr_in(m, 0));
            }
            if let Err(e) = ctl.ioctl(netbsd_abi::SIOCAIFADDR, &mut q) {
                return Err(fail("SIOCAIFADDR", e));
            }
        }
        _ => {}
    }
    Ok(())
}

fn configure(ctl: &Ctl, name: &str, args: &[String]) -> ExitCode {
    let mut i = 0;
    let mut addr: Option<[u8; 4]> = None;
    let mut mask: Option<[u8; 4]> = None;
    let mut bcast: Option<[u8; 4]> = None;
    let mut mode = "replace";
    let mut family6 = false;
    let mut addr6: Option<(Ipv6Addr, Option<u32>)> = None;
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
            "inet6" => family6 = true,
            "prefixlen" if family6 => {
                let Some(n) = next
                    .as_deref()
                    .and_then(|s| s.parse::<u32>().ok())
                    .filter(|&n| n <= 128)
                else {
                    eprintln!("{PROG}: bad prefixlen");
                    return ExitCode::from(1);
                };
                if let Some((_, l)) = addr6.as_mut() {
                    *l = Some(n);
                } else {
                    eprintln!("{PROG}: prefixlen before an address");
                    return ExitCode::from(1);
                }
                i += 1;
            }
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
            _ if family6 => {
                let (a6, l) = match a.split_once('/') {
                    Some((x, l)) => (x, l.parse::<u32>().ok().filter(|&n| n <= 128).map(Some)),
                    None => (a, Some(None)),
                };
                match (a6.parse::<Ipv6Addr>(), l) {
                    (Ok(x), Some(l)) if addr6.is_none() => addr6 = Some((x, l)),
                    _ => {
                        eprintln!("{PROG}: {a}: bad value");
                        return ExitCode::from(1);
                    }
                }
            }
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
        if let Err(e) = ctl.ioctl(netbsd_abi::SIOCIFCREATE, &mut r) {
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
    if family6 {
        if let Err(code) = configure_inet6(ctl, name, mode, addr6) {
            return code;
        }
    } else if (mode == "delete" || addr.is_some())
        && let Err(code) = configure_inet(ctl, name, mode, addr, mask, bcast)
    {
        return code;
    }
    for (c, v) in rest {
        let r = match c.as_str() {
            "up" => set_flag(ctl, name, IFF_UP, true).map_err(|e| ("SIOCSIFFLAGS", e)),
            "down" => set_flag(ctl, name, IFF_UP, false).map_err(|e| ("SIOCSIFFLAGS", e)),
            "mtu" => {
                let Some(n) = v.as_deref().and_then(|s| s.parse::<u32>().ok()) else {
                    eprintln!("{PROG}: invalid mtu");
                    return ExitCode::from(1);
                };
                let mut r = ifreq(name);
                ifr::ifr_ifru__ifru_mtu.put(&mut r, n.into());
                ctl.ioctl(netbsd_abi::SIOCSIFMTU, &mut r)
                    .map_err(|e| ("SIOCSIFMTU", e))
            }
            "destroy" => {
                let mut r = ifreq(name);
                ctl.ioctl(netbsd_abi::SIOCIFDESTROY, &mut r)
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
    rumpclient::sigpipe_ends_process();
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
            let namesize = IFNAMSIZ as usize;
            let buf = m.add_zeroed(namesize * MAX_CLONERS);
            let mut req = [0u8; if_clonereq::SIZE];
            if_clonereq::ifcr_count.put(&mut req, MAX_CLONERS as u64);
            if_clonereq::ifcr_buffer.put(&mut req, buf);
            if let Err(e) = ctl.ioctl_with(netbsd_abi::SIOCIFGCLONERS, &mut req, &m) {
                return fail("SIOCIFGCLONERS", e);
            }
            let total = if_clonereq::ifcr_total.get(&req).unwrap_or(0) as usize;
            let names: Vec<String> = m
                .get(buf)
                .chunks(namesize)
                .take(total.min(MAX_CLONERS))
                .map(c_text)
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
            if name.len() >= IFNAMSIZ as usize {
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
