//! `rump.arp`: NetBSD's arp(8) as a rump kernel client. The table is read
//! with `sysctl(NET_RT_FLAGS, RTF_LLDATA)`; entries are looked up, deleted
//! and added over the routing socket, as NetBSD's arp does.
//!
//! `rump.arp [-n] hostname`, `rump.arp [-n] -a`, `rump.arp [-v] -d
//! hostname`, `rump.arp [-v] -d -a`, `rump.arp -s hostname ether_addr`.
//! Hosts are addresses: there is no name service in a rump kernel.

use netbsd_abi::layout::{rt_metrics, sockaddr_dl as sdl};
use netbsd_abi::{
    AF_INET, AF_LINK, ETHER_ADDR_LEN, IFT_ETHER, NET_RT_FLAGS, RTA_DST, RTA_GATEWAY, RTAX_DST,
    RTAX_GATEWAY, RTF_HOST, RTF_LLDATA, RTF_STATIC, RTF_UP, RTM_ADD, RTM_DELETE, RTM_GET,
};
use rump_nettools::*;
use rumpclient::Client;
use std::process::ExitCode;

const PROG: &str = "rump.arp";

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
    let dst = m.addr(RTAX_DST)?;
    let gw = m.addr(RTAX_GATEWAY)?;
    let mut s = format!("? ({}) at ", fmt_ipv4(sa_ipv4(dst)));
    let alen = sdl::sdl_addr__dl_alen.get(gw)?;
    if alen != 0 {
        s.push_str(&link_text(gw));
    } else {
        s.push_str("(incomplete)");
    }
    let index = sdl::sdl_index.get(gw).unwrap_or(0) as u16;
    if let Some(n) = names.get(&index).filter(|_| index != 0) {
        s.push_str(&format!(" on {n}"));
    }
    if m.get(metric(rt_metrics::rmx_expire)) == 0 {
        s.push_str(" permanent");
    }
    Some(s)
}

fn table(c: &Client) -> Result<Vec<RtMsg>, ExitCode> {
    rtable(c, AF_INET, NET_RT_FLAGS, RTF_LLDATA).map_err(|e| {
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
    let sdl = got
        .addr(RTAX_GATEWAY)
        .filter(|g| sa_family(g) == Some(AF_LINK));
    let same = got.addr(RTAX_DST).map(sa_ipv4) == Some(a);
    let (lldata, gateway) = (RTF_LLDATA as u32, netbsd_abi::RTF_GATEWAY as u32);
    let llinfo = got.flags & (lldata | gateway) == lldata;
    let (Some(gw), true, true) = (sdl, same, llinfo) else {
        eprintln!("{PROG}: delete: can't locate {shown}");
        return false;
    };
    match rs.request(
        RTM_DELETE,
        got.flags as i32,
        &[(RTA_DST, &dst), (RTA_GATEWAY, gw)],
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
    rumpclient::sigpipe_ends_process();
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
            .filter(|v| v.len() == ETHER_ADDR_LEN as usize);
        let Some(hw) = hw else {
            eprintln!("{PROG}: invalid Ethernet address '{e}'");
            return ExitCode::from(1);
        };
        // A sockaddr_dl that ends with its address, as arp(8) sends it.
        let data = sdl::sdl_addr__dl_data.offset;
        let mut gw = vec![0u8; data + hw.len()];
        sdl::sdl_len.put(&mut gw, (data + hw.len()) as u64);
        sdl::sdl_family.put(&mut gw, AF_LINK as u64);
        sdl::sdl_addr__dl_type.put(&mut gw, IFT_ETHER as u64);
        sdl::sdl_addr__dl_alen.put(&mut gw, hw.len() as u64);
        gw[data..].copy_from_slice(&hw);
        let dst = sockaddr_in(a, 0);
        let r = RouteSock::open(&c).and_then(|mut rs| {
            rs.request(
                RTM_ADD,
                RTF_UP | RTF_HOST | RTF_STATIC | RTF_LLDATA,
                &[(RTA_DST, &dst), (RTA_GATEWAY, &gw)],
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
                if let Some(d) = m.addr(RTAX_DST) {
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
        let ip = m.addr(RTAX_DST).map(sa_ipv4);
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
