//! `rump.arp`: NetBSD's arp(8) as a rump kernel client. The table is read
//! with `sysctl(NET_RT_FLAGS, RTF_LLDATA)`; entries are looked up, deleted
//! and added over the routing socket, as NetBSD's arp does.
//!
//! `rump.arp [-n] hostname`, `rump.arp [-n] -a`, `rump.arp [-v] -d
//! hostname`, `rump.arp [-v] -d -a`, `rump.arp -s hostname ether_addr`.
//! Hosts are addresses: there is no name service in a rump kernel.

use rump_nettools::*;
use rumpclient::Client;
use std::process::ExitCode;

const PROG: &str = "rump.arp";
const RTM_ADD: u8 = 1;
const RTM_DELETE: u8 = 2;
const RTM_GET: u8 = 4;
const RTA_DST: u32 = 0x1;
const RTA_GATEWAY: u32 = 0x2;
/// `rtm_rmx.rmx_expire`.
const RMX_EXPIRE: usize = 40 + 64;

fn usage() -> ExitCode {
    eprintln!(
        "Usage: {PROG} [-n] hostname\n\t      {PROG} [-nv] -a\n\t      {PROG} [-v] -d [-a|hostname [pub [proxy]]]\n       {PROG} -s hostname ether_addr [temp] [pub [proxy]]\n       {PROG} -f filename"
    );
    ExitCode::from(1)
}

fn host(s: &str) -> Result<[u8; 4], ExitCode> {
    parse_ipv4(s).ok_or_else(|| {
        eprintln!("{PROG}: {s}: Unknown host");
        ExitCode::from(1)
    })
}

/// One line of `arp -a`.
fn line(m: &RtMsg, names: &std::collections::HashMap<u16, String>) -> Option<String> {
    let dst = m.addrs[0].as_deref()?;
    let sdl = m.addrs[1].as_deref()?;
    let mut s = format!("? ({}) at ", fmt_ipv4(sa_ipv4(dst)));
    let alen = usize::from(*sdl.get(6)?);
    if alen != 0 {
        s.push_str(&link_text(sdl));
    } else {
        s.push_str("(incomplete)");
    }
    let index = u16::from_le_bytes([sdl[2], sdl[3]]);
    if let Some(n) = names.get(&index).filter(|_| index != 0) {
        s.push_str(&format!(" on {n}"));
    }
    if m.u64_at(RMX_EXPIRE) == 0 {
        s.push_str(" permanent");
    }
    Some(s)
}

fn table(c: &Client) -> Result<Vec<RtMsg>, ExitCode> {
    rtable(c, i32::from(AF_INET), NET_RT_FLAGS, RTF_LLDATA as i32).map_err(|e| {
        eprintln!("{PROG}: route-sysctl-estimate: {}", e.description());
        ExitCode::from(1)
    })
}

/// Delete the entry for `a` as NetBSD's arp(8) does: look it up, and if
/// the answer is a link-layer entry for `a`, send it back as a delete.
/// `shown` is the host as typed. Failures are reported, as arp(8) reports
/// them, and do not change the exit status.
fn delete(rs: &mut RouteSock, a: [u8; 4], shown: &str, verbose: bool) -> bool {
    let dst = sockaddr_in(a, 0);
    let got = match rs.request(RTM_GET, RTF_LLDATA, &[(RTA_DST, &dst)]) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{PROG}: writing to routing socket: {}", e.description());
            eprintln!("{PROG}: {shown}: {}", e.description());
            return false;
        }
    };
    // is_llinfo: a link address, link data and no gateway.
    let sdl = got.addrs[1]
        .as_deref()
        .filter(|g| g.get(1) == Some(&AF_LINK));
    let same = got.addrs[0].as_deref().map(sa_ipv4) == Some(a);
    let gateway = netbsd_abi::RTF_GATEWAY as u32;
    let llinfo = got.flags & (RTF_LLDATA | gateway) == RTF_LLDATA;
    let (Some(sdl), true, true) = (sdl, same, llinfo) else {
        eprintln!("{PROG}: delete: can't locate {shown}");
        return false;
    };
    match rs.request(
        RTM_DELETE,
        got.flags,
        &[(RTA_DST, &dst), (RTA_GATEWAY, sdl)],
    ) {
        Ok(_) => {
            if verbose {
                println!("{shown} ({}) deleted", fmt_ipv4(a));
            }
            true
        }
        Err(e) => {
            eprintln!("{PROG}: writing to routing socket: {}", e.description());
            false
        }
    }
}

fn main() -> ExitCode {
    let (mut all, mut del, mut set, mut verbose) = (false, false, false, false);
    let mut rest = Vec::new();
    for a in std::env::args().skip(1) {
        match a
            .strip_prefix('-')
            .filter(|f| !f.is_empty() && rest.is_empty())
        {
            Some(flags) => {
                for f in flags.chars() {
                    match f {
                        'a' => all = true,
                        'n' => {}
                        'd' => del = true,
                        's' => set = true,
                        'v' => verbose = true,
                        'f' => {
                            eprintln!("{PROG}: -f: not supported yet");
                            return ExitCode::from(1);
                        }
                        _ => return usage(),
                    }
                }
            }
            None => rest.push(a),
        }
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    if set {
        let [h, e, more @ ..] = &rest[..] else {
            return usage();
        };
        if !more.is_empty() {
            eprintln!("{PROG}: {}: not supported yet", more.join(" "));
            return ExitCode::from(1);
        }
        let a = match host(h) {
            Ok(a) => a,
            Err(code) => return code,
        };
        let hw: Option<Vec<u8>> = e
            .split(':')
            .map(|x| u8::from_str_radix(x, 16).ok())
            .collect::<Option<Vec<u8>>>()
            .filter(|v| v.len() == 6);
        let Some(hw) = hw else {
            eprintln!("{PROG}: invalid Ethernet address '{e}'");
            return ExitCode::from(1);
        };
        let mut sdl = vec![0u8; 14];
        sdl[0] = 14;
        sdl[1] = AF_LINK;
        sdl[4] = 6; // IFT_ETHER
        sdl[6] = 6;
        sdl[8..14].copy_from_slice(&hw);
        let dst = sockaddr_in(a, 0);
        let r = RouteSock::open(&c).and_then(|mut rs| {
            rs.request(
                RTM_ADD,
                0x1 | 0x4 | 0x800 | RTF_LLDATA,
                &[(RTA_DST, &dst), (RTA_GATEWAY, &sdl)],
            )
        });
        return match r {
            Ok(_) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("{PROG}: writing to routing socket: {}", e.description());
                ExitCode::from(1)
            }
        };
    }
    if del {
        let mut rs = match RouteSock::open(&c) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{PROG}: socket: {}", e.description());
                return ExitCode::from(1);
            }
        };
        if all {
            let t = match table(&c) {
                Ok(t) => t,
                Err(code) => return code,
            };
            for m in t {
                if let Some(d) = m.addrs[0].as_deref() {
                    let a = sa_ipv4(d);
                    delete(&mut rs, a, &fmt_ipv4(a), verbose);
                }
            }
            return ExitCode::SUCCESS;
        }
        let [h, more @ ..] = &rest[..] else {
            return usage();
        };
        if !more.is_empty() {
            eprintln!("{PROG}: {}: not supported yet", more.join(" "));
            return ExitCode::from(1);
        }
        return match host(h) {
            Ok(a) => {
                delete(&mut rs, a, h, verbose);
                ExitCode::SUCCESS
            }
            Err(code) => code,
        };
    }
    let want = match (&rest[..], all) {
        ([], true) => None,
        ([h], false) => match host(h) {
            Ok(a) => Some((a, h.clone())),
            Err(code) => return code,
        },
        _ => return usage(),
    };
    let names = if_names(&c).unwrap_or_default();
    let t = match table(&c) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let mut found = false;
    for m in &t {
        let ip = m.addrs[0].as_deref().map(sa_ipv4);
        if want.as_ref().is_some_and(|(a, _)| Some(*a) != ip) {
            continue;
        }
        if let Some(l) = line(m, &names) {
            println!("{l}");
            found = true;
        }
    }
    match want {
        Some((a, h)) if !found => {
            eprintln!("{PROG}: {h} ({}) -- no entry", fmt_ipv4(a));
            ExitCode::from(1)
        }
        _ => ExitCode::SUCCESS,
    }
}
