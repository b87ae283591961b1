//! The `net.inet` sysctl nodes tools read and write.

use crate::inet::Inet;
use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
use rump::{Errno, KResult, Kernel};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;

/// A `net.inet.tcp` integer node: name, number (`None`: NetBSD numbers it
/// at boot, `CTL_CREATE`), description, the value it reads and writes, and
/// the smallest value it takes.
type TcpNode = (
    &'static str,
    Option<i32>,
    &'static str,
    fn(&Inet) -> &std::sync::atomic::AtomicU32,
    u32,
);

/// A `net.inet.tcp` on/off node: name, number, description, the flag.
type FlagNode = (
    &'static str,
    Option<i32>,
    &'static str,
    fn(&Inet) -> &AtomicBool,
);

/// `CTLFLAG_READWRITE`.
const CTLFLAG_READWRITE: u32 = 0x70;

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
    // net.inet.tcp.{sendspace, recvspace, msl}: NetBSD's numbers; the
    // buffer sizing nodes are numbered at boot, as NetBSD does.
    let tcp_nodes: [TcpNode; 7] = [
        (
            "sendspace",
            Some(2),
            "Default TCP send buffer size",
            |i| &i.cfg.tcp_sendspace,
            512,
        ),
        (
            "recvspace",
            Some(3),
            "Default TCP receive buffer size",
            |i| &i.cfg.tcp_recvspace,
            512,
        ),
        (
            "msl",
            Some(34),
            "Maximum Segment Life, in seconds",
            |i| &i.cfg.tcp_msl,
            0,
        ),
        (
            "recvbuf_inc",
            None,
            "Incrementor step size of automatic receive buffer",
            |i| &i.cfg.tcp_recvbuf_inc,
            1,
        ),
        (
            "recvbuf_max",
            None,
            "Max size of automatic receive buffer",
            |i| &i.cfg.tcp_recvbuf_max,
            1,
        ),
        (
            "sendbuf_inc",
            None,
            "Incrementor step size of automatic send buffer",
            |i| &i.cfg.tcp_sendbuf_inc,
            1,
        ),
        (
            "sendbuf_max",
            None,
            "Max size of automatic send buffer",
            |i| &i.cfg.tcp_sendbuf_max,
            1,
        ),
    ];
    for (name, num, desc, field, min) in tcp_nodes {
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
    let flags: [FlagNode; 3] = [
        ("rfc1323", Some(1), "Enable RFC1323 TCP extensions", |i| {
            &i.cfg.tcp_rfc1323
        }),
        (
            "recvbuf_auto",
            None,
            "Enable automatic receive buffer sizing (experimental)",
            |i| &i.cfg.tcp_recvbuf_auto,
        ),
        (
            "sendbuf_auto",
            None,
            "Enable automatic send buffer sizing (experimental)",
            |i| &i.cfg.tcp_sendbuf_auto,
        ),
    ];
    for (name, num, desc, field) in flags {
        let (r, w) = (Arc::clone(inet), Arc::clone(inet));
        int_node(
            k,
            "net.inet.tcp",
            name,
            num,
            desc,
            move || i32::from(field(&r).load(Relaxed)),
            move |v| {
                field(&w).store(v != 0, Relaxed);
                Ok(())
            },
        )?;
    }
    let (r, w) = (Arc::clone(inet), Arc::clone(inet));
    int_node(
        k,
        "net.inet.ip",
        "forwarding",
        Some(1),
        "Enable forwarding of INET datagrams",
        move || i32::from(r.cfg.forwarding.load(Relaxed)),
        move |v| {
            w.cfg.forwarding.store(v != 0, Relaxed);
            Ok(())
        },
    )?;
    let (r, w) = (Arc::clone(inet), Arc::clone(inet));
    int_node(
        k,
        "net.inet.ip",
        "ttl",
        Some(3),
        "Default TTL for an INET datagram",
        move || i32::from(r.cfg.ttl.load(Relaxed)),
        move |v| {
            let t = u8::try_from(v)
                .ok()
                .filter(|&t| t > 0)
                .ok_or(Errno::EINVAL)?;
            w.cfg.ttl.store(t, Relaxed);
            Ok(())
        },
    )?;
    for (name, num, desc, lo) in [
        (
            "anonportmin",
            10,
            "Lowest ephemeral port number to assign",
            true,
        ),
        (
            "anonportmax",
            11,
            "Highest ephemeral port number to assign",
            false,
        ),
    ] {
        let (r, w) = (Arc::clone(inet), Arc::clone(inet));
        int_node(
            k,
            "net.inet.ip",
            name,
            Some(num),
            desc,
            move || {
                i32::from(if lo {
                    r.cfg.anonportmin.load(Relaxed)
                } else {
                    r.cfg.anonportmax.load(Relaxed)
                })
            },
            move |v| {
                let p = u16::try_from(v)
                    .ok()
                    .filter(|&p| p >= 1024)
                    .ok_or(Errno::EINVAL)?;
                if lo {
                    w.cfg.anonportmin.store(p, Relaxed);
                } else {
                    w.cfg.anonportmax.store(p, Relaxed);
                }
                Ok(())
            },
        )?;
    }
    let (r, w) = (Arc::clone(inet), Arc::clone(inet));
    int_node(
        k,
        "net.inet.icmp",
        "bmcastecho",
        Some(2),
        "Respond to ICMP_ECHO or ICMP_TIMESTAMP message to the broadcast or multicast",
        move || i32::from(r.cfg.bmcastecho.load(Relaxed)),
        move |v| {
            w.cfg.bmcastecho.store(v != 0, Relaxed);
            Ok(())
        },
    )?;
    Ok(())
}
