//! `rump.sockstat`: NetBSD's sockstat(1) as a rump kernel client. It
//! matches the kernel's open files (`kern.file2`) with its protocol control
//! blocks (`net.inet.*.pcblist`) and names each file's process
//! (`kern.proc2`).
//!
//! `rump.sockstat [-46cflnpu]`: `-4` IPv4, `-6` IPv6 (tcp6 and udp6),
//! `-u` local, `-f inet|inet6|local|unix`, `-c` connected,
//! `-l` listening, `-n` numeric, `-p ports`.

use netbsd_abi::layout::sockaddr_in as sin;
use netbsd_abi::{AF_LOCAL, CTL_KERN, KERN_FILE_BYPID, KERN_FILE2, KERN_PROC_PID, KERN_PROC2};
use rump_nettools::*;
use rumpclient::{Client, Errno};
use std::collections::HashMap;
use std::process::ExitCode;

const PROG: &str = "rump.sockstat";

/// `DTYPE_SOCKET` (`sys/file.h`), `TCPS_LISTEN` (`netinet/tcp_fsm.h`),
/// `INP_CONNECTED` (`netinet/in_pcb_hdr.h`): not in the ABI tables.
const DTYPE_SOCKET: u32 = 2;
const TCPS_LISTEN: i32 = 1;
const INP_CONNECTED: u32 = 2;
/// `SS_ISCONNECTED` (`sys/socketvar.h`).
const SS_ISCONNECTED: u32 = 0x002;
/// Where `ki_sostate` lies in `struct kinfo_pcb` (`sys/sysctl.h`).
const PCB_SOSTATE: usize = 40;

#[derive(Default)]
struct Opts {
    inet: bool,
    inet6: bool,
    local: bool,
    connected: bool,
    listening: bool,
    ports: Option<Vec<(u16, u16)>>,
}

fn ports(s: &str) -> Option<Vec<(u16, u16)>> {
    s.split(',')
        .map(|p| match p.split_once('-') {
            Some((a, b)) => Some((a.parse().ok()?, b.parse().ok()?)),
            None => p.parse().ok().map(|v| (v, v)),
        })
        .collect()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_ne_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

/// A sysctl list of records: the name, then `op, arg, size, INT_MAX`.
fn list(c: &Client, mib: Vec<i32>, op: i32, size: usize) -> Result<Vec<u8>, Errno> {
    let mut mib = mib;
    mib.extend([op, 0, size as i32, i32::MAX]);
    c.sysctl_read(&mib)
}

/// The user name for `uid` from the host's password file, as NetBSD's
/// sockstat asks its own libc.
fn user(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.get(2)? == &uid.to_string()).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| uid.to_string())
}

/// The path of a `sockaddr_un`.
fn sun_path(sa: &[u8]) -> String {
    use netbsd_abi::layout::sockaddr_un as sun;
    let len = (sun::sun_len.get(sa).unwrap_or(0) as usize).clamp(sun::sun_path.offset, sa.len());
    let p = &sa[sun::sun_path.offset..len];
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

/// The port of a `sockaddr_in`.
fn port(sa: &[u8]) -> u16 {
    sa.get(sin::sin_port.range())
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
}

/// `host.port`, `*.port`, `*.*`.
/// `print_addr` for an IPv6 socket: the numeric host (a link-local one
/// with `%interface`, as getnameinfo shows its scope) and port, `*.port`
/// for the unspecified address, `*.*` without a port either.
fn addr6_text(sa: &[u8], names: &HashMap<u16, String>) -> String {
    let Some((a, zone)) = rump_nettools::inet6::parse_sockaddr_in6(sa) else {
        return "*.*".into();
    };
    let p = port(sa);
    if a.is_unspecified() {
        return if p == 0 {
            "*.*".into()
        } else {
            format!("*.{p}")
        };
    }
    match u16::try_from(zone).ok().filter(|&z| z != 0) {
        Some(z) => format!(
            "{a}%{}.{p}",
            names.get(&z).cloned().unwrap_or_else(|| z.to_string())
        ),
        None => format!("{a}.{p}"),
    }
}

fn addr_text(sa: &[u8]) -> String {
    let a = sa_ipv4(sa);
    match (a == [0; 4], port(sa)) {
        (true, 0) => "*.*".into(),
        (true, p) => format!("*.{p}"),
        (false, 0) => format!("{}.*", fmt_ipv4(a)),
        (false, p) => format!("{}.{p}", fmt_ipv4(a)),
    }
}

fn main() -> ExitCode {
    rumpclient::sigpipe_ends_process();
    let mut o = Opts::default();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        // getopt: the options end at "--" or the first operand, and
        // sockstat takes no operands (it ignores them).
        let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty() && *f != "-") else {
            break;
        };
        for (i, f) in flags.char_indices() {
            let mut value = || {
                let rest = &flags[i + 1..];
                if rest.is_empty() {
                    args.next()
                } else {
                    Some(rest.to_string())
                }
            };
            match f {
                '4' => o.inet = true,
                '6' => o.inet6 = true,
                'u' => o.local = true,
                'c' => o.connected = true,
                'l' => o.listening = true,
                'n' => {}
                'f' | 'p' => {
                    let Some(v) = value() else {
                        eprintln!("{PROG}: option requires an argument -- {f}");
                        return ExitCode::from(1);
                    };
                    if f == 'f' {
                        match v.to_ascii_lowercase().as_str() {
                            "inet" => o.inet = true,
                            "inet6" => o.inet6 = true,
                            "local" | "unix" => o.local = true,
                            _ => {
                                eprintln!("{PROG}: {v}: unsupported protocol family");
                                return ExitCode::from(1);
                            }
                        }
                    } else {
                        match ports(&v) {
                            Some(p) => o.ports = Some(p),
                            None => {
                                eprintln!("{PROG}: {v}: Invalid argument");
                                return ExitCode::from(1);
                            }
                        }
                    }
                    break;
                }
                _ => {
                    eprintln!("{PROG}: unknown option -- {f}");
                    return ExitCode::from(1);
                }
            }
        }
    }
    if o.ports.is_some() && o.local {
        eprintln!("{PROG}: local domain sockets do not have ports");
        return ExitCode::from(1);
    }
    if !o.inet && !o.inet6 && !o.local {
        o.inet = true;
        o.inet6 = true;
        o.local = o.ports.is_none();
    }
    let Some(c) = Client::for_tool(PROG) else {
        return ExitCode::from(1);
    };
    match run(&c, &o) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{PROG}: sysctl: {}", e.description());
            ExitCode::from(1)
        }
    }
}

fn run(c: &Client, o: &Opts) -> Result<(), Errno> {
    // Every protocol control block of the families asked for, by socket.
    let mut names: Vec<(&str, &str)> = Vec::new();
    if o.inet {
        names.extend([
            ("net.inet.tcp.pcblist", "tcp"),
            ("net.inet.udp.pcblist", "udp"),
        ]);
        if o.ports.is_none() {
            names.push(("net.inet.raw.pcblist", "raw"));
        }
    }
    if o.inet6 {
        names.extend([
            ("net.inet6.tcp6.pcblist", "tcp6"),
            ("net.inet6.udp6.pcblist", "udp6"),
        ]);
    }
    if o.local {
        names.extend([
            ("net.local.stream.pcblist", "stream"),
            ("net.local.dgram.pcblist", "dgram"),
        ]);
    }
    let mut pcbs: HashMap<u64, (&str, Vec<u8>)> = HashMap::new();
    for (name, proto) in names {
        let Ok(mib) = c.sysctl_name_to_mib(name) else {
            continue; // not in this kernel
        };
        for k in list(c, mib, 0, kinfo::PCB_LEN)?.chunks_exact(kinfo::PCB_LEN) {
            pcbs.insert(u64_at(k, kinfo::PCB_SOCKADDR), (proto, k.to_vec()));
        }
    }
    let files = list(
        c,
        vec![CTL_KERN, KERN_FILE2],
        KERN_FILE_BYPID,
        kinfo::FILE_LEN,
    )?;
    let mut files: Vec<&[u8]> = files.chunks_exact(kinfo::FILE_LEN).collect();
    files.sort_by_key(|f| {
        (
            u32_at(f, kinfo::FILE_PID) as i32,
            u32_at(f, kinfo::FILE_FD) as i32,
        )
    });
    let ifnames = if_names(c).unwrap_or_default();
    let mut procs: HashMap<u32, Option<(u32, String)>> = HashMap::new();
    let mut header = true;
    for f in files {
        if u32_at(f, kinfo::FILE_FTYPE) != DTYPE_SOCKET {
            continue;
        }
        let Some((proto, k)) = pcbs.get(&u64_at(f, kinfo::FILE_FDATA)) else {
            continue;
        };
        let local = u32_at(k, kinfo::PCB_FAMILY) == AF_LOCAL as u32;
        let v6 = u32_at(k, kinfo::PCB_FAMILY) == netbsd_abi::AF_INET6 as u32;
        let src = &k[kinfo::PCB_SRC..kinfo::PCB_SRC + kinfo::PCB_ADDR_LEN];
        let dst = &k[kinfo::PCB_DST..kinfo::PCB_DST + kinfo::PCB_ADDR_LEN];
        let tstate = u32_at(k, kinfo::PCB_TSTATE) as i32;
        let connected = u32_at(k, PCB_SOSTATE) & SS_ISCONNECTED != 0
            || u32_at(k, kinfo::PCB_PRSTATE) >= INP_CONNECTED
            || tstate > TCPS_LISTEN
            || u64_at(k, kinfo::PCB_CONN) != 0;
        let listening = !connected
            && ((*proto == "tcp" && tstate == TCPS_LISTEN)
                || *proto == "raw"
                || ((*proto == "udp" || *proto == "udp6") && port(src) != 0)
                || (local && !sun_path(src).is_empty()));
        if (o.connected || o.listening) && !(o.connected && connected || o.listening && listening) {
            continue;
        }
        if let Some(ps) = o.ports.as_ref().filter(|_| !local) {
            let hit = |p: u16| ps.iter().any(|&(a, b)| a <= p && p <= b);
            if !hit(port(src)) && !hit(port(dst)) {
                continue;
            }
        }
        let pid = u32_at(f, kinfo::FILE_PID);
        let who = procs.entry(pid).or_insert_with(|| {
            // One record: op, pid, record size, count.
            let mib = [
                CTL_KERN,
                KERN_PROC2,
                KERN_PROC_PID,
                pid as i32,
                kinfo::PROC2_LEN as i32,
                1,
            ];
            let r = c.sysctl_read(&mib).ok()?;
            let p = r.get(..kinfo::PROC2_LEN)?;
            let comm = &p[kinfo::PROC2_COMM..kinfo::PROC2_COMM + kinfo::KI_MAXCOMLEN];
            let end = comm.iter().position(|&b| b == 0).unwrap_or(comm.len());
            Some((
                u32_at(p, kinfo::PROC2_UID),
                String::from_utf8_lossy(&comm[..end]).into_owned(),
            ))
        });
        let Some((uid, comm)) = who.clone() else {
            continue;
        };
        if header {
            println!(
                "{:<8} {:<10} {:<5} {:<2} {:<6} {:<21} FOREIGN ADDRESS",
                "USER", "COMMAND", "PID", "FD", "PROTO", "LOCAL ADDRESS"
            );
            header = false;
        }
        let text = |sa: &[u8]| {
            if local {
                let p = sun_path(sa);
                if p.is_empty() { "-".to_string() } else { p }
            } else if v6 {
                addr6_text(sa, &ifnames)
            } else {
                addr_text(sa)
            }
        };
        let foreign = match (connected, local) {
            (true, _) => text(dst),
            (false, true) => "-".into(),
            (false, false) => "*.*".into(),
        };
        println!(
            "{:<8} {:<10.10} {:<5} {:>2} {:<6} {:<21} {foreign}",
            user(uid),
            comm,
            pid,
            u32_at(f, kinfo::FILE_FD) as i32,
            proto,
            text(src)
        );
    }
    Ok(())
}
