//! `rump.ndp`: NetBSD's ndp(8) neighbour cache listing as a rump kernel
//! client.
//!
//! `rump.ndp -a [-n]`: every neighbour cache entry, as ndp lists it: the
//! link-layer entries of `sysctl(NET_RT_FLAGS)` for `AF_INET6`, each
//! with its state, expiry and probes from `SIOCGNBRINFO_IN6`.
//! `rump.ndp [-n] host`: the entry of one address, as ndp's `get`.
//! `rump.ndp [-n] -d host`: delete one entry over the routing socket, as
//! ndp's `delete` does.
//! `rump.ndp -s host lladdr [temp] [proxy]`: add one by hand, as ndp's
//! `set`: look the address up (`RTM_GET` with `RTF_LLDATA`) for its
//! interface, then `RTM_ADD` with the link address.

use netbsd_abi::layout::sockaddr_dl as sdl;
use netbsd_abi::{AF_INET6, AF_LINK, NET_RT_FLAGS, RTAX_DST, RTAX_GATEWAY, RTF_HOST};
use rump_nettools::inet6::{Ctl6, parse_sockaddr_in6};
use rump_nettools::*;
use rumpclient::Errno;
use std::process::ExitCode;

const PROG: &str = "rump.ndp";
/// ndp's column widths (`W_ADDR`, `W_LL`, `W_IF`).
const W_ADDR: usize = 36;
const W_LL: usize = 17;
const W_IF: usize = 6;

fn usage() -> ExitCode {
    eprintln!(
        "usage: {PROG} [-n] hostname\n       {PROG} -a [-n]\n       {PROG} [-n] -d hostname\n       {PROG} [-n] -s nodename etheraddr [temp] [proxy]"
    );
    ExitCode::from(1)
}

/// ndp's `ndp_ether_aton`: six hexadecimal numbers between colons, each
/// kept to its low byte as ndp's `u_char` keeps it.
fn ether_aton(s: &str) -> Option<[u8; 6]> {
    let parts: Vec<u32> = s
        .split(':')
        .map(|p| u32::from_str_radix(p, 16).ok())
        .collect::<Option<_>>()?;
    let b: [u32; 6] = parts.try_into().ok()?;
    Some(b.map(|x| x as u8))
}

/// `ndp -s host lladdr [temp] [proxy]` (ndp's `set`): the answer to an
/// `RTM_GET` names the interface; an entry for the address itself that
/// is not an Ethernet one is refused; then `RTM_ADD` with `RTF_HOST`,
/// `RTF_STATIC`, `RTF_LLDATA` (and `RTF_ANNOUNCE` for proxy), expiring in
/// 20 minutes of wall-clock time for temp.
fn set(c: &rumpclient::Client, host: &str, lladdr: &str, extra: &[&str]) -> ExitCode {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    use netbsd_abi::{
        IFT_ETHER, RTA_DST, RTA_GATEWAY, RTF_ANNOUNCE, RTF_GATEWAY, RTF_LLDATA, RTF_STATIC,
        RTM_ADD, RTM_GET,
    };
    let names = if_names(c).unwrap_or_default();
    let Some(sa) = rump_nettools::route6::scoped_sockaddr(host, &names) else {
        eprintln!("{PROG}: {host}: Name or service not known");
        return ExitCode::from(1);
    };
    let mac = ether_aton(lladdr);
    if mac.is_none() {
        eprintln!("{PROG}: invalid Ethernet address '{lladdr}'");
    }
    let mut flags = 0;
    let mut expire = 0;
    for w in extra {
        if w.starts_with("temp") {
            expire = wall_secs() + 20 * 60;
        } else if w.starts_with("proxy") {
            flags |= RTF_ANNOUNCE;
        }
    }
    let mut rs = match RouteSock::open(c) {
        Ok(rs) => rs,
        Err(e) => {
            eprintln!("{PROG}: socket: {}", e.description());
            return ExitCode::from(1);
        }
    };
    let failed = |e: Errno| {
        eprintln!("{PROG}: writing to routing socket: {}", e.description());
        ExitCode::from(1)
    };
    let m = match rs.request(RTM_GET, flags | RTF_LLDATA, &[(RTA_DST, &sa)]) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let (dst, gw) = (m.addr(RTAX_DST), m.addr(RTAX_GATEWAY).unwrap_or(&[]));
    let link = sa_family(gw) == Some(AF_LINK);
    let same = dst.and_then(|d| d.get(sin6::sin6_addr.range())) == sa.get(sin6::sin6_addr.range());
    let ether = sdl::sdl_addr__dl_type.get(gw) == Some(IFT_ETHER as u64);
    if same && !(link && m.flags as i32 & RTF_GATEWAY == 0 && ether) {
        eprintln!("set: cannot configure a new entry");
        return ExitCode::from(1);
    }
    if !link {
        eprintln!("{PROG}: cannot intuit interface index and type for {host}");
        return ExitCode::from(1);
    }
    // sdl_m: ndp's blank link address with the interface's index and
    // type, and the Ethernet address when it was one.
    let mut ll = vec![0u8; sdl::SIZE];
    sdl::sdl_len.put(&mut ll, sdl::SIZE as u64);
    sdl::sdl_family.put(&mut ll, AF_LINK as u64);
    sdl::sdl_index.put(&mut ll, sdl::sdl_index.get(gw).unwrap_or(0));
    sdl::sdl_addr__dl_type.put(&mut ll, sdl::sdl_addr__dl_type.get(gw).unwrap_or(0));
    if let Some(mac) = mac {
        sdl::sdl_addr__dl_alen.put(&mut ll, mac.len() as u64);
        let at = sdl::sdl_addr__dl_data.offset;
        ll[at..at + mac.len()].copy_from_slice(&mac);
    }
    let add_flags = flags | RTF_HOST | RTF_STATIC | RTF_LLDATA;
    match rs.request_expiring(
        RTM_ADD,
        add_flags,
        &[(RTA_DST, &sa), (RTA_GATEWAY, &ll)],
        expire,
    ) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => failed(e),
    }
}

/// `ndp -d host`: look the entry up (`RTM_GET` with `RTF_LLDATA`), and
/// if the answer is a neighbour entry for the address itself, delete it.
/// As ndp, a refusal is said and the exit status is still 0.
fn delete(c: &rumpclient::Client, host: &str) -> ExitCode {
    use netbsd_abi::layout::sockaddr_in6 as sin6;
    use netbsd_abi::{RTA_DST, RTA_GATEWAY, RTF_GATEWAY, RTF_LLDATA, RTM_DELETE, RTM_GET};
    let names = if_names(c).unwrap_or_default();
    let Some(sa) = rump_nettools::route6::scoped_sockaddr(host, &names) else {
        eprintln!("{PROG}: {host}: Name or service not known");
        return ExitCode::SUCCESS;
    };
    let mut rs = match RouteSock::open(c) {
        Ok(rs) => rs,
        Err(e) => {
            eprintln!("{PROG}: socket: {}", e.description());
            return ExitCode::from(1);
        }
    };
    // ndp's rtmsg: a failed write ends the program, but for a delete of
    // what is already gone.
    let failed = |e: Errno| {
        eprintln!("{PROG}: writing to routing socket: {}", e.description());
        ExitCode::from(1)
    };
    let m = match rs.request(RTM_GET, RTF_LLDATA, &[(RTA_DST, &sa)]) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    let (dst, gw) = (m.addr(RTAX_DST), m.addr(RTAX_GATEWAY));
    let link = gw.is_some_and(|g| sa_family(g) == Some(AF_LINK));
    let same = dst.and_then(|d| d.get(sin6::sin6_addr.range())) == sa.get(sin6::sin6_addr.range());
    if same && !(link && m.flags as i32 & RTF_LLDATA != 0 && m.flags as i32 & RTF_GATEWAY == 0) {
        eprintln!("{PROG}: delete: cannot delete non-NDP entry");
        return ExitCode::SUCCESS;
    }
    let (Some(dst), Some(gw), true) = (dst, gw, link) else {
        println!("cannot locate {host}");
        return ExitCode::SUCCESS;
    };
    match rs.request(
        RTM_DELETE,
        m.flags as i32 | RTF_LLDATA,
        &[(RTA_DST, dst), (RTA_GATEWAY, gw)],
    ) {
        Ok(_) => {
            let shown = parse_sockaddr_in6(dst).map_or_else(String::new, |(a, z)| {
                match u16::try_from(z).ok().filter(|&z| z != 0) {
                    Some(z) => format!("{a}%{}", names.get(&z).cloned().unwrap_or_default()),
                    None => a.to_string(),
                }
            });
            println!("{host} ({shown}) deleted");
        }
        Err(Errno::ESRCH) => {}
        Err(e) => return failed(e),
    }
    ExitCode::SUCCESS
}

/// ndp's `sec2str`: days, hours and minutes once one is not zero, then
/// seconds.
fn sec2str(total: i64) -> String {
    let (d, h, m, s) = (
        total / 86400,
        (total / 3600) % 24,
        (total / 60) % 60,
        total % 60,
    );
    let mut out = String::new();
    let mut first = true;
    for (v, unit) in [(d, 'd'), (h, 'h'), (m, 'm')] {
        if !first || v != 0 {
            first = false;
            out += &format!("{v}{unit}");
        }
    }
    out + &format!("{s}s")
}

/// ND6_LLINFO_* as ndp shows them.
fn state_letter(s: i32) -> char {
    match s {
        -2 => 'N',
        0 => 'I',
        1 => 'R',
        2 => 'S',
        3 => 'D',
        4 => 'P',
        _ => '?',
    }
}

/// List the neighbour cache, or only the entries of `only` (ndp's
/// `dump`); whether one was found.
fn list(ctl: &Ctl, only: Option<std::net::Ipv6Addr>) -> Result<bool, Errno> {
    let msgs = rtable(&ctl.c, AF_INET6, NET_RT_FLAGS, 0)?;
    let names = if_names(&ctl.c)?;
    let c6 = Ctl6::open(ctl)?;
    println!(
        "{:<W_ADDR$.W_ADDR$} {:<W_LL$.W_LL$} {:>W_IF$.W_IF$} {:<9.9} {:>1} {:>5}",
        "Neighbor", "Linklayer Address", "Netif", "Expire", "S", "Flags"
    );
    let now = wall_secs();
    let mut found = false;
    for m in msgs {
        let (Some(dst), Some(gw)) = (m.addr(RTAX_DST), m.addr(RTAX_GATEWAY)) else {
            continue;
        };
        if sa_family(gw) != Some(AF_LINK) || m.flags & RTF_HOST as u32 == 0 {
            continue;
        }
        let Some((a, mut scope)) = parse_sockaddr_in6(dst) else {
            continue;
        };
        match only {
            Some(o) if o != a => continue,
            Some(_) => found = true,
            None if a.is_multicast() => continue,
            None => {}
        }
        let index = sdl::sdl_index.get(gw).unwrap_or(0) as u16;
        if scope == 0 && a.is_unicast_link_local() {
            scope = u32::from(index);
        }
        let ifname = names.get(&index).cloned().unwrap_or_else(|| "?".into());
        let host = if scope != 0 {
            let z = u16::try_from(scope)
                .ok()
                .and_then(|i| names.get(&i).cloned());
            format!("{a}%{}", z.unwrap_or_else(|| scope.to_string()))
        } else {
            a.to_string()
        };
        let mac = sdl_lladdr(gw);
        let ll = if mac.is_empty() {
            "(incomplete)".to_string()
        } else {
            hw_text(mac)
        };
        let aw = host.len().max(W_ADDR);
        let lw = ll.len().max((W_ADDR + W_LL).saturating_sub(aw));
        let iw = ifname
            .len()
            .max((W_ADDR + W_LL + W_IF).saturating_sub(aw + lw));
        let mut line = format!("{host:<aw$} {ll:<lw$} {ifname:>iw$}");
        match c6.nbrinfo(ctl, &ifname, &a) {
            Ok(n) => {
                let exp = if n.expire > now {
                    sec2str(n.expire - now)
                } else if n.expire == 0 {
                    "permanent".into()
                } else {
                    "expired".into()
                };
                line += &format!(" {exp:<9.9} {}", state_letter(n.state));
                let published = m.flags & netbsd_abi::RTF_ANNOUNCE as u32 != 0;
                line += &format!(
                    " {}{}",
                    if n.isrouter { "R" } else { "" },
                    if published { "p" } else { "" }
                );
                if n.asked != 0 {
                    line += &format!(" {}", n.asked);
                }
            }
            Err(e) => {
                eprintln!("{PROG}: ioctl(SIOCGNBRINFO_IN6): {}", e.description());
                eprintln!("{PROG}: failed to get neighbor information");
                line += "   ";
            }
        }
        println!("{line}");
    }
    Ok(found)
}

/// The wall clock in seconds, which the kernel's expiry times count in.
fn wall_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    // -n only changes names into numbers, which rump.ndp always shows.
    let rest: Vec<&str> = words.iter().copied().filter(|w| *w != "-n").collect();
    let client = || rumpclient::Client::for_tool(PROG);
    match rest[..] {
        ["-d", host] | ["-nd", host] => {
            let Some(c) = client() else {
                return ExitCode::from(1);
            };
            delete(&c, host)
        }
        ["-s", host, lladdr, ref extra @ ..] if extra.len() <= 2 => {
            let Some(c) = client() else {
                return ExitCode::from(1);
            };
            set(&c, host, lladdr, extra)
        }
        ["-a"] | ["-an"] | ["-na"] => listing(None),
        [host] if !host.starts_with('-') => listing(Some(host)),
        _ => usage(),
    }
}

/// `ndp -a`, or `ndp host` with `host`: ndp's `dump` and `get`.
fn listing(host: Option<&str>) -> ExitCode {
    let Some(ctl) = Ctl::open(PROG) else {
        return ExitCode::from(1);
    };
    // The address asked for, and as ndp shows it in "no entry": the
    // sockaddr's own bytes, a link-local zone embedded (makeaddr).
    let only = match host {
        Some(h) => {
            use netbsd_abi::layout::sockaddr_in6 as sin6;
            let names = if_names(&ctl.c).unwrap_or_default();
            let sa = rump_nettools::route6::scoped_sockaddr(h, &names);
            let embedded = sa
                .as_deref()
                .and_then(|sa| <[u8; 16]>::try_from(sa.get(sin6::sin6_addr.range())?).ok())
                .map(std::net::Ipv6Addr::from);
            match (sa.as_deref().and_then(parse_sockaddr_in6), embedded) {
                (Some((a, _)), Some(e)) => Some((a, e)),
                _ => {
                    eprintln!("{PROG}: {h}: Name or service not known");
                    return ExitCode::SUCCESS;
                }
            }
        }
        None => None,
    };
    match list(&ctl, only.map(|(a, _)| a)) {
        Ok(found) => match (host, only) {
            (Some(h), Some((_, shown))) if !found => {
                eprintln!("{PROG}: {h} ({shown}) -- no entry");
                ExitCode::from(1)
            }
            _ => ExitCode::SUCCESS,
        },
        Err(e) => {
            eprintln!(
                "{PROG}: sysctl(PF_ROUTE, NET_RT_FLAGS): {}",
                e.description()
            );
            ExitCode::from(1)
        }
    }
}
