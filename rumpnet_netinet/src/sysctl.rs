//! The `net.inet` sysctl nodes tools read and write.

use crate::inet::Inet;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32};

/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = netbsd_abi::CTLFLAG_READWRITE as u32;

fn int_node(
    k: &Kernel,
    parent: &str,
    name: &str,
    num: Option<i32>,
    desc: &str,
    read: impl Fn() -> i32 + Send + Sync + 'static,
    write: impl Fn(i32) -> KResult<()> + Send + Sync + 'static,
) -> KResult<()> {
    k.sysctl().create(
        parent,
        NodeSpec {
            num,
            flags: CTLFLAG_READWRITE,
            data: NodeData::Dynamic {
                read: Arc::new(move || SysctlValue::Int(read())),
                write: Some(Arc::new(move |v| match v {
                    SysctlValue::Int(n) => write(n),
                    _ => Err(Errno::EINVAL),
                })),
            },
            ..NodeSpec::value(name, SysctlValue::Int(0), desc)
        },
    )?;
    Ok(())
}

pub(crate) fn register(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    let t = k.sysctl();
    t.create(
        "net",
        NodeSpec {
            num: Some(2),
            ..NodeSpec::node("inet", "PF_INET related settings")
        },
    )?;
    t.create(
        "net.inet",
        NodeSpec {
            num: Some(0),
            ..NodeSpec::node("ip", "IPv4 related settings")
        },
    )?;
    t.create(
        "net.inet",
        NodeSpec {
            num: Some(1),
            ..NodeSpec::node("icmp", "ICMPv4 related settings")
        },
    )?;
    t.create(
        "net.inet",
        NodeSpec {
            num: Some(17),
            ..NodeSpec::node("udp", "UDPv4 related settings")
        },
    )?;
    t.create(
        "net.inet",
        NodeSpec {
            num: Some(6),
            ..NodeSpec::node("tcp", "TCP related settings")
        },
    )?;
    t.create(
        "net.inet",
        NodeSpec {
            num: Some(255),
            ..NodeSpec::node("raw", "Raw IPv4 settings")
        },
    )?;
    crate::pcblist::register(k, inet)?;
    // The counters netstat -s reads, as arrays in NetBSD's order.
    type StatsArray = fn(&crate::stats::Stats) -> Vec<u8>;
    let arrays: [(&str, i32, StatsArray); 4] = [
        ("net.inet.ip", 24, crate::stats::Stats::ip_array),
        ("net.inet.icmp", 7, crate::stats::Stats::icmp_array),
        ("net.inet.tcp", 30, crate::stats::Stats::tcp_array),
        ("net.inet.udp", 5, crate::stats::Stats::udp_array),
    ];
    for (parent, num, array) in arrays {
        let r = Arc::clone(inet);
        t.create(
            parent,
            NodeSpec {
                num: Some(num),
                ..NodeSpec::new(
                    "stats",
                    0,
                    "Statistics",
                    NodeData::Dynamic {
                        read: Arc::new(move || SysctlValue::Struct(array(&r.stats))),
                        write: None,
                    },
                )
            },
        )?;
    }
    // net.inet.tcp.{rfc1323, sendspace, recvspace, msl}: NetBSD's numbers;
    // the buffer sizing nodes are numbered at boot, in NetBSD's order.
    enum Tcp {
        Size(fn(&Inet) -> &std::sync::atomic::AtomicU32, u32),
        Flag(fn(&Inet) -> &AtomicBool),
    }
    let tcp_nodes: [(&str, Option<i32>, &str, Tcp); 10] = [
        (
            "rfc1323",
            Some(1),
            "Enable RFC1323 TCP extensions",
            Tcp::Flag(|i| &i.cfg.tcp_rfc1323),
        ),
        (
            "sendspace",
            Some(2),
            "Default TCP send buffer size",
            Tcp::Size(|i| &i.cfg.tcp_sendspace, 512),
        ),
        (
            "recvspace",
            Some(3),
            "Default TCP receive buffer size",
            Tcp::Size(|i| &i.cfg.tcp_recvspace, 512),
        ),
        (
            "msl",
            Some(34),
            "Maximum Segment Life, in seconds",
            Tcp::Size(|i| &i.cfg.tcp_msl, 0),
        ),
        (
            "recvbuf_auto",
            None,
            "Enable automatic receive buffer sizing (experimental)",
            Tcp::Flag(|i| &i.cfg.tcp_recvbuf_auto),
        ),
        (
            "recvbuf_inc",
            None,
            "Incrementor step size of automatic receive buffer",
            Tcp::Size(|i| &i.cfg.tcp_recvbuf_inc, 1),
        ),
        (
            "recvbuf_max",
            None,
            "Max size of automatic receive buffer",
            Tcp::Size(|i| &i.cfg.tcp_recvbuf_max, 1),
        ),
        (
            "sendbuf_auto",
            None,
            "Enable automatic send buffer sizing (experimental)",
            Tcp::Flag(|i| &i.cfg.tcp_sendbuf_auto),
        ),
        (
            "sendbuf_inc",
            None,
            "Incrementor step size of automatic send buffer",
            Tcp::Size(|i| &i.cfg.tcp_sendbuf_inc, 1),
        ),
        (
            "sendbuf_max",
            None,
            "Max size of automatic send buffer",
            Tcp::Size(|i| &i.cfg.tcp_sendbuf_max, 1),
        ),
    ];
    // TCPCTL_MSSDFLT (netinet/tcp_var.h).
    stack_node(
        k,
        inet,
        (
            "net.inet.tcp",
            "mssdflt",
            Some(4),
            "Default maximum segment size",
        ),
        |i| i32::from(i.cfg.tcp_mssdflt.load(Relaxed)),
        |i, v| {
            // The smallest MSS the stack uses (TCP_MAXSEG's floor).
            let m = u16::try_from(v)
                .ok()
                .filter(|&m| m >= 64)
                .ok_or(Errno::EINVAL)?;
            i.cfg.tcp_mssdflt.store(m, Relaxed);
            Ok(())
        },
    )?;
    for (name, num, desc, node) in tcp_nodes {
        match node {
            Tcp::Flag(field) => flag_node(k, inet, ("net.inet.tcp", name, num, desc), field)?,
            Tcp::Size(field, min) => {
                let (r, w) = (Arc::clone(inet), Arc::clone(inet));
                int_node(
                    k,
                    "net.inet.tcp",
                    name,
                    num,
                    desc,
                    move || field(&r).load(Relaxed) as i32,
                    move |v| {
                        let v = u32::try_from(v)
                            .ok()
                            .filter(|&v| v >= min && v <= 1 << 22)
                            .ok_or(Errno::EINVAL)?;
                        field(&w).store(v, Relaxed);
                        Ok(())
                    },
                )?;
            }
        }
    }
    register_tcp_keep(k, inet)?;
    register_ip(k, inet)?;
    register_icmp_udp_arp(k, inet)?;
    Ok(())
}

/// An integer node whose value lives in the stack: read by `read`, set by
/// `write` (which checks it) at `parent.name`, number `num`.
fn stack_node(
    k: &Kernel,
    inet: &Arc<Inet>,
    (parent, name, num, desc): (&str, &str, Option<i32>, &str),
    read: fn(&Inet) -> i32,
    write: fn(&Inet, i32) -> KResult<()>,
) -> KResult<()> {
    let (r, w) = (Arc::clone(inet), Arc::clone(inet));
    int_node(
        k,
        parent,
        name,
        num,
        desc,
        move || read(&r),
        move |v| write(&w, v),
    )
}

/// An on/off node over one of the stack's flags.
fn flag_node(
    k: &Kernel,
    inet: &Arc<Inet>,
    at: (&str, &str, Option<i32>, &str),
    field: fn(&Inet) -> &AtomicBool,
) -> KResult<()> {
    let (r, w) = (Arc::clone(inet), Arc::clone(inet));
    int_node(
        k,
        at.0,
        at.1,
        at.2,
        at.3,
        move || i32::from(field(&r).load(Relaxed)),
        move |v| {
            field(&w).store(v != 0, Relaxed);
            Ok(())
        },
    )
}

/// `IPPORT_RESERVEDMIN`, `IPPORT_RESERVEDMAX` (`netinet/in.h`): the
/// privileged range's bounds.
const IPPORT_RESERVEDMIN: i32 = netbsd_abi::IPPORT_RESERVEDMIN;
const IPPORT_RESERVEDMAX: i32 = netbsd_abi::IPPORT_RESERVEDMAX;

/// The port range nodes' checks (`sysctl_net_inet_ip_ports`): a minimum
/// below its maximum, the anonymous range above the reserved ports, the
/// privileged one within `IPPORT_RESERVEDMIN`..`MAX`.
fn port_ok(num: i32, v: i32, min: u16, max: u16) -> KResult<u16> {
    let (min, max) = (i32::from(min), i32::from(max));
    let ok = (0..=65535).contains(&v)
        && match num {
            netbsd_abi::IPCTL_ANONPORTMIN => v < max && v >= i32::from(crate::pcb::IPPORT_RESERVED),
            netbsd_abi::IPCTL_ANONPORTMAX => v > min && v >= i32::from(crate::pcb::IPPORT_RESERVED),
            netbsd_abi::IPCTL_LOWPORTMIN => {
                v < max && (IPPORT_RESERVEDMIN..=IPPORT_RESERVEDMAX).contains(&v)
            }
            _ => v > min && (IPPORT_RESERVEDMIN..=IPPORT_RESERVEDMAX).contains(&v),
        };
    if ok { Ok(v as u16) } else { Err(Errno::EINVAL) }
}

/// `net.inet.ip`: the nodes whose meaning the stack has, with NetBSD's
/// numbers and defaults.
fn register_ip(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    use netbsd_abi::*;
    const IP: &str = "net.inet.ip";
    flag_node(
        k,
        inet,
        (
            IP,
            "forwarding",
            Some(IPCTL_FORWARDING),
            "Enable forwarding of INET datagrams",
        ),
        |i| &i.cfg.forwarding,
    )?;
    stack_node(
        k,
        inet,
        (
            IP,
            "ttl",
            Some(IPCTL_DEFTTL),
            "Default TTL for an INET datagram",
        ),
        |i| i32::from(i.cfg.ttl.load(Relaxed)),
        |i, v| {
            // NetBSD takes 0 too (such datagrams die at the first hop).
            let t = u8::try_from(v).map_err(|_| Errno::EINVAL)?;
            i.cfg.ttl.store(t, Relaxed);
            Ok(())
        },
    )?;
    stack_node(
        k,
        inet,
        (
            IP,
            "mtudisc",
            Some(IPCTL_MTUDISC),
            "Use RFC1191 Path MTU Discovery",
        ),
        |i| i.cfg.mtudisc.load(Relaxed),
        |i, v| {
            // A plain int on NetBSD: any value is kept, 0 is off.
            i.cfg.mtudisc.store(v, Relaxed);
            Ok(())
        },
    )?;
    type Ports = (&'static str, i32, &'static str);
    let ports: [Ports; 4] = [
        (
            "anonportmin",
            IPCTL_ANONPORTMIN,
            "Lowest ephemeral port number to assign",
        ),
        (
            "anonportmax",
            IPCTL_ANONPORTMAX,
            "Highest ephemeral port number to assign",
        ),
        (
            "lowportmin",
            IPCTL_LOWPORTMIN,
            "Lowest privileged ephemeral port number to assign",
        ),
        (
            "lowportmax",
            IPCTL_LOWPORTMAX,
            "Highest privileged ephemeral port number to assign",
        ),
    ];
    for (name, num, desc) in ports {
        let (r, w) = (Arc::clone(inet), Arc::clone(inet));
        /// The node's port and the other end of its range.
        fn field(i: &Inet, num: i32) -> (&AtomicU16, &AtomicU16) {
            match num {
                IPCTL_ANONPORTMIN => (&i.cfg.anonportmin, &i.cfg.anonportmax),
                IPCTL_ANONPORTMAX => (&i.cfg.anonportmax, &i.cfg.anonportmin),
                IPCTL_LOWPORTMIN => (&i.cfg.lowportmin, &i.cfg.lowportmax),
                _ => (&i.cfg.lowportmax, &i.cfg.lowportmin),
            }
        }
        int_node(
            k,
            IP,
            name,
            Some(num),
            desc,
            move || i32::from(field(&r, num).0.load(Relaxed)),
            move |v| {
                let (me, other) = field(&w, num);
                let other = other.load(Relaxed);
                let (min, max) = if matches!(num, IPCTL_ANONPORTMIN | IPCTL_LOWPORTMIN) {
                    (0, other)
                } else {
                    (other, 0)
                };
                me.store(port_ok(num, v, min, max)?, Relaxed);
                Ok(())
            },
        )?;
    }
    stack_node(
        k,
        inet,
        (
            IP,
            "mtudisctimeout",
            Some(IPCTL_MTUDISCTIMEOUT),
            "Lifetime of a Path MTU Discovered route",
        ),
        |i| i.cfg.mtudisc_timeout.load(Relaxed),
        |i, v| {
            // sysctl_net_inet_ip_pmtudto refuses a negative time.
            if v < 0 {
                return Err(Errno::EINVAL);
            }
            i.cfg.mtudisc_timeout.store(v, Relaxed);
            Ok(())
        },
    )?;
    flag_node(
        k,
        inet,
        (
            IP,
            "hostzerobroadcast",
            Some(IPCTL_HOSTZEROBROADCAST),
            "All zeroes address is broadcast address",
        ),
        |i| &i.cfg.hostzerobroadcast,
    )?;
    stack_node(
        k,
        inet,
        (
            IP,
            "maxfragpackets",
            Some(IPCTL_MAXFRAGPACKETS),
            "Maximum number of fragments to retain for possible reassembly",
        ),
        |i| {
            i.lock()
                .reass
                .max_datagrams
                .map_or(-1, |m| i32::try_from(m).unwrap_or(i32::MAX))
        },
        |i, v| {
            // A negative number lifts the limit, as in ip_reass_packet.
            i.lock().reass.max_datagrams = usize::try_from(v).ok();
            Ok(())
        },
    )?;
    flag_node(
        k,
        inet,
        (
            IP,
            "checkinterface",
            Some(IPCTL_CHECKINTERFACE),
            "Enable receive side of Strong ES model from RFC1122",
        ),
        |i| &i.cfg.checkinterface,
    )?;
    flag_node(
        k,
        inet,
        (
            IP,
            "random_id",
            Some(IPCTL_RANDOMID),
            "Assign random ip_id values",
        ),
        |i| &i.cfg.random_id,
    )?;
    stack_node(
        k,
        inet,
        (
            IP,
            "dad_count",
            Some(IPCTL_DAD_COUNT),
            "Number of Duplicate Address Detection probes to send",
        ),
        |i| i.cfg.dad_count.load(Relaxed),
        |i, v| {
            // NetBSD takes any number: 0 turns detection off, and a
            // negative one sends no probe but still waits PROBE_WAIT.
            i.cfg.dad_count.store(v, Relaxed);
            Ok(())
        },
    )?;
    Ok(())
}

/// `ICMPCTL_RETURNDATABYTES`, `ICMPCTL_BMCASTECHO` (`netinet/icmp_var.h`).
const ICMPCTL_RETURNDATABYTES: i32 = 3;
const ICMPCTL_BMCASTECHO: i32 = 8;
/// `UDPCTL_SENDSPACE`, `UDPCTL_RECVSPACE` (`netinet/udp_var.h`).
const UDPCTL_CHECKSUM: i32 = 1;
const UDPCTL_SENDSPACE: i32 = 2;
const UDPCTL_RECVSPACE: i32 = 3;
/// The largest default socket buffer a node takes.
const MAX_SOCKBUF: i32 = 1 << 22;

/// `net.inet.icmp`, `net.inet.udp` and `net.inet.arp`: the nodes whose
/// meaning the stack has.
fn register_icmp_udp_arp(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    stack_node(
        k,
        inet,
        (
            "net.inet.icmp",
            "returndatabytes",
            Some(ICMPCTL_RETURNDATABYTES),
            "Number of bytes to return in an ICMP error message",
        ),
        |i| i.cfg.icmp_returndatabytes.load(Relaxed) as i32,
        |i, v| {
            // sysctl_net_inet_icmp_returndatabytes: 8 to 512.
            if !(8..=512).contains(&v) {
                return Err(Errno::EINVAL);
            }
            i.cfg.icmp_returndatabytes.store(v as u32, Relaxed);
            Ok(())
        },
    )?;
    flag_node(
        k,
        inet,
        (
            "net.inet.icmp",
            "bmcastecho",
            Some(ICMPCTL_BMCASTECHO),
            "Respond to ICMP_ECHO or ICMP_TIMESTAMP message to the broadcast or multicast",
        ),
        |i| &i.cfg.bmcastecho,
    )?;
    flag_node(
        k,
        inet,
        (
            "net.inet.udp",
            "checksum",
            Some(UDPCTL_CHECKSUM),
            "Compute UDP checksums",
        ),
        |i| &i.cfg.udp_checksum,
    )?;
    stack_node(
        k,
        inet,
        (
            "net.inet.udp",
            "sendspace",
            Some(UDPCTL_SENDSPACE),
            "Default UDP send buffer size",
        ),
        |i| i.cfg.udp_sendspace.load(Relaxed) as i32,
        |i, v| {
            let v = u32::try_from(v)
                .ok()
                .filter(|&v| v > 0 && v as i32 <= MAX_SOCKBUF);
            i.cfg.udp_sendspace.store(v.ok_or(Errno::EINVAL)?, Relaxed);
            Ok(())
        },
    )?;
    stack_node(
        k,
        inet,
        (
            "net.inet.udp",
            "recvspace",
            Some(UDPCTL_RECVSPACE),
            "Default UDP receive buffer size",
        ),
        |i| i.cfg.udp_recvspace.load(Relaxed) as i32,
        |i, v| {
            let v = u32::try_from(v)
                .ok()
                .filter(|&v| v > 0 && v as i32 <= MAX_SOCKBUF);
            i.cfg.udp_recvspace.store(v.ok_or(Errno::EINVAL)?, Relaxed);
            Ok(())
        },
    )?;
    k.sysctl().create(
        "net.inet",
        NodeSpec::node("arp", "Address Resolution Protocol"),
    )?;
    stack_node(
        k,
        inet,
        (
            "net.inet.arp",
            "keep",
            None,
            "Valid ARP entry lifetime in seconds",
        ),
        |i| i32::try_from(i.lock().arp.keep.as_secs()).unwrap_or(i32::MAX),
        |i, v| {
            let secs = u64::try_from(v).map_err(|_| Errno::EINVAL)?;
            i.lock().arp.keep = std::time::Duration::from_secs(secs);
            Ok(())
        },
    )?;
    stack_node(
        k,
        inet,
        (
            "net.inet.arp",
            "down",
            None,
            "Failed ARP entry lifetime in seconds",
        ),
        |i| i32::try_from(i.lock().arp.down.as_secs()).unwrap_or(i32::MAX),
        |i, v| {
            let secs = u64::try_from(v).map_err(|_| Errno::EINVAL)?;
            i.lock().arp.down = std::time::Duration::from_secs(secs);
            Ok(())
        },
    )?;
    Ok(())
}

/// `TCPCTL_KEEPIDLE`, `_KEEPINTVL`, `_KEEPCNT`, `_SLOWHZ`
/// (`netinet/tcp_var.h`).
const TCPCTL_KEEPIDLE: i32 = 17;
const TCPCTL_KEEPINTVL: i32 = 18;
const TCPCTL_KEEPCNT: i32 = 19;
const TCPCTL_SLOWHZ: i32 = 20;

/// `net.inet.tcp.keepidle`, `keepintvl`, `keepcnt`: a new connection's
/// keepalive, the times in `slowhz` ticks a second, as NetBSD counts them.
fn register_tcp_keep(k: &Kernel, inet: &Arc<Inet>) -> KResult<()> {
    const TCP: &str = "net.inet.tcp";
    type Keep = (&'static str, i32, &'static str, fn(&Inet) -> &AtomicU32);
    let nodes: [Keep; 3] = [
        (
            "keepidle",
            TCPCTL_KEEPIDLE,
            "Allowed connection idle ticks before a keepalive probe is sent",
            |i| &i.cfg.tcp_keepidle,
        ),
        (
            "keepintvl",
            TCPCTL_KEEPINTVL,
            "Ticks before next keepalive probe is sent",
            |i| &i.cfg.tcp_keepintvl,
        ),
        (
            "keepcnt",
            TCPCTL_KEEPCNT,
            "Number of keepalive probes to send",
            |i| &i.cfg.tcp_keepcnt,
        ),
    ];
    for (name, num, desc, field) in nodes {
        let (r, w) = (Arc::clone(inet), Arc::clone(inet));
        int_node(
            k,
            TCP,
            name,
            Some(num),
            desc,
            move || field(&r).load(Relaxed) as i32,
            move |v| {
                // A zero time or count would drop connections at once.
                let v = u32::try_from(v)
                    .ok()
                    .filter(|&v| v > 0)
                    .ok_or(Errno::EINVAL)?;
                field(&w).store(v, Relaxed);
                Ok(())
            },
        )?;
    }
    k.sysctl().create(
        TCP,
        NodeSpec {
            num: Some(TCPCTL_SLOWHZ),
            flags: rump::sysctl::CTLFLAG_IMMEDIATE,
            ..NodeSpec::value(
                "slowhz",
                SysctlValue::Int(crate::inet::PR_SLOWHZ as i32),
                "Keepalive ticks per second",
            )
        },
    )?;
    Ok(())
}
