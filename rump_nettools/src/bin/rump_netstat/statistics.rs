//! `rump.netstat -s`: the protocols' statistics, read as arrays of
//! counters by sysctl and printed line for line as NetBSD's netstat
//! prints them (inet.c, inet6.c).

use super::*;

fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn plurales(n: u64) -> &'static str {
    if n == 1 { "" } else { "es" }
}

/// The counter array at `name`, or None (netstat then prints nothing for
/// the protocol).
fn counters_of(c: &Client, name: &str) -> Option<Vec<u64>> {
    let mib = c.sysctl_name_to_mib(name).ok()?;
    let b = c.sysctl_read(&mib).ok()?;
    Some(
        b.chunks_exact(8)
            .map(|x| u64::from_ne_bytes(x.try_into().unwrap_or_default()))
            .collect(),
    )
}

/// One `netstat -s` section: lines whose counters are all zero are left
/// out with `-ss`.
struct Section {
    v: Vec<u64>,
    zeros: bool,
}

impl Section {
    fn get(&self, i: usize) -> u64 {
        self.v.get(i).copied().unwrap_or(0)
    }
    /// `p`: "N thing(s)".
    fn p(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!(
                "{}",
                fmt.replacen("{}", &n.to_string(), 1)
                    .replacen("{s}", plural(n), 1)
            );
        }
    }
    /// `ps`: no plural.
    fn ps(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!("{}", fmt.replacen("{}", &n.to_string(), 1));
        }
    }
    /// `p3`: "es" plural.
    fn p3(&self, i: usize, fmt: &str) {
        let n = self.get(i);
        if n != 0 || self.zeros {
            println!(
                "{}",
                fmt.replacen("{}", &n.to_string(), 1)
                    .replacen("{es}", plurales(n), 1)
            );
        }
    }
    /// `p2`: two counters with plurals.
    fn p2(&self, i: usize, j: usize, fmt: &str) {
        let (a, b) = (self.get(i), self.get(j));
        if a != 0 || b != 0 || self.zeros {
            let s = fmt
                .replacen("{}", &a.to_string(), 1)
                .replacen("{s}", plural(a), 1)
                .replacen("{}", &b.to_string(), 1)
                .replacen("{s}", plural(b), 1);
            println!("{s}");
        }
    }
    /// `p2s`: the second without a plural.
    fn p2s(&self, i: usize, j: usize, fmt: &str) {
        let (a, b) = (self.get(i), self.get(j));
        if a != 0 || b != 0 || self.zeros {
            let s = fmt
                .replacen("{}", &a.to_string(), 1)
                .replacen("{s}", plural(a), 1)
                .replacen("{}", &b.to_string(), 1);
            println!("{s}");
        }
    }
}

const ICMP_NAMES: [&str; 41] = [
    "echoreply",
    "unassigned_1",
    "unassigned_2",
    "unreach",
    "sourcequench",
    "redirect",
    "althostaddr",
    "unassigned_7",
    "echo",
    "routeradvert",
    "routersolicit",
    "timxceed",
    "paramprob",
    "tstamp",
    "tstampreply",
    "ireq",
    "ireqreply",
    "maskreq",
    "maskreply",
    "reserved_19",
    "reserved_20",
    "reserved_21",
    "reserved_22",
    "reserved_23",
    "reserved_24",
    "reserved_25",
    "reserved_26",
    "reserved_27",
    "reserved_28",
    "reserved_29",
    "traceroute",
    "dataconverr",
    "mobile_redirect",
    "ipv6_whereareyou",
    "ipv6_iamhere",
    "mobile_regrequest",
    "mobile_regreply",
    "reserved_37",
    "reserved_38",
    "skip",
    "photuris",
];

/// `ip_stats`: `net.inet.ip.stats`.
fn ip_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.ip.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} total packet{s} received");
    s.p(1, "\t{} bad header checksum{s}");
    s.ps(3, "\t{} with size smaller than minimum");
    s.ps(2, "\t{} with data size < data length");
    s.ps(27, "\t{} with length > max ip packet size");
    s.ps(4, "\t{} with header length < data size");
    s.ps(5, "\t{} with data length < header length");
    s.ps(21, "\t{} with bad options");
    s.ps(23, "\t{} with incorrect version number");
    s.p(6, "\t{} fragment{s} received");
    s.p(7, "\t{} fragment{s} dropped (dup or out of space)");
    s.p(26, "\t{} fragment{s} dropped (out of ipqent)");
    s.p(25, "\t{} malformed fragment{s} dropped");
    s.p(8, "\t{} fragment{s} dropped after timeout");
    s.p(17, "\t{} packet{s} reassembled ok");
    s.p(14, "\t{} packet{s} for this host");
    s.p(13, "\t{} packet{s} for unknown/unsupported protocol");
    let (fwd, fast) = (s.get(9), s.get(10));
    let mut line = String::new();
    if fwd != 0 || zeros {
        line.push_str(&format!("\t{fwd} packet{} forwarded", plural(fwd)));
    }
    if fast != 0 || zeros {
        line.push_str(&format!(" ({fast} packet{} fast forwarded)", plural(fast)));
    }
    if fwd != 0 || zeros {
        println!("{line}");
    } else if !line.is_empty() {
        print!("{line}");
    }
    s.p(11, "\t{} packet{s} not forwardable");
    s.p(12, "\t{} redirect{s} sent");
    s.p(28, "\t{} packet{s} no matching gif found");
    s.p(15, "\t{} packet{s} sent from this host");
    s.p(24, "\t{} packet{s} sent with fabricated ip header");
    s.p(16, "\t{} output packet{s} dropped due to no bufs, etc.");
    s.p(22, "\t{} output packet{s} discarded due to no route");
    s.p(18, "\t{} output datagram{s} fragmented");
    s.p(19, "\t{} fragment{s} created");
    s.p(20, "\t{} datagram{s} that can't be fragmented");
    s.p(29, "\t{} datagram{s} with bad address in header");
}

/// `icmp_stats`: `net.inet.icmp.stats`.
fn icmp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.icmp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} call{s} to icmp_error");
    s.p(
        2,
        "\t{} error{s} not generated because old message was icmp",
    );
    let hist = |base: usize, title: &str| {
        let mut first = true;
        for (i, name) in ICMP_NAMES.iter().enumerate() {
            let n = s.get(base + i);
            if n != 0 {
                if first {
                    println!("\t{title} histogram:");
                    first = false;
                }
                println!("\t\t{name}: {n}");
            }
        }
    };
    hist(16, "Output");
    s.p(3, "\t{} message{s} with bad code fields");
    s.p(4, "\t{} message{s} < minimum length");
    s.p(5, "\t{} bad checksum{s}");
    s.p(6, "\t{} message{s} with bad length");
    s.p(9, "\t{} multicast echo request{s} ignored");
    s.p(10, "\t{} multicast timestamp request{s} ignored");
    hist(57, "Input");
    s.p(7, "\t{} message response{s} generated");
    s.p(8, "\t{} path MTU change{s}");
}

/// `tcp_stats`: `net.inet.tcp.stats`.
fn tcp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.tcp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(18, "\t{} packet{s} sent");
    s.p2(19, 20, "\t\t{} data packet{s} ({} byte{s})");
    s.p2(21, 22, "\t\t{} data packet{s} ({} byte{s}) retransmitted");
    s.p2s(23, 8, "\t\t{} ack-only packet{s} ({} delayed)");
    s.p(25, "\t\t{} URG only packet{s}");
    s.p(24, "\t\t{} window probe packet{s}");
    s.p(26, "\t\t{} window update packet{s}");
    s.p(27, "\t\t{} control packet{s}");
    s.p(70, "\t\t{} send attempt{s} resulted in self-quench");
    s.p(28, "\t{} packet{s} received");
    s.p2(47, 48, "\t\t{} ack{s} (for {} byte{s})");
    s.p(45, "\t\t{} duplicate ack{s}");
    s.p(46, "\t\t{} ack{s} for unsent data");
    s.p2(29, 30, "\t\t{} packet{s} ({} byte{s}) received in-sequence");
    s.p2(35, 36, "\t\t{} completely duplicate packet{s} ({} byte{s})");
    s.p(50, "\t\t{} old duplicate packet{s}");
    s.p2(
        37,
        38,
        "\t\t{} packet{s} with some dup. data ({} byte{s} duped)",
    );
    s.p2(39, 40, "\t\t{} out-of-order packet{s} ({} byte{s})");
    s.p2(41, 42, "\t\t{} packet{s} ({} byte{s}) of data after window");
    s.p(44, "\t\t{} window probe{s}");
    s.p(49, "\t\t{} window update packet{s}");
    s.p(43, "\t\t{} packet{s} received after close");
    s.p(31, "\t\t{} discarded for bad checksum{s}");
    s.p(32, "\t\t{} discarded for bad header offset field{s}");
    s.ps(34, "\t\t{} discarded because packet too short");
    s.p(0, "\t{} connection request{s}");
    s.p(1, "\t{} connection accept{s}");
    s.p(2, "\t{} connection{s} established (including accepts)");
    s.p2(5, 3, "\t{} connection{s} closed (including {} drop{s})");
    s.p(4, "\t{} embryonic connection{s} dropped");
    s.p(56, "\t{} delayed free{s} of tcpcb");
    s.p2(7, 6, "\t{} segment{s} updated rtt (of {} attempt{s})");
    s.p(10, "\t{} retransmit timeout{s}");
    s.p(9, "\t\t{} connection{s} dropped by rexmit timeout");
    s.p2(
        11,
        15,
        "\t{} persist timeout{s} (resulting in {} dropped connection{s})",
    );
    s.p(12, "\t{} keepalive timeout{s}");
    s.p(13, "\t\t{} keepalive probe{s} sent");
    s.p(14, "\t\t{} connection{s} dropped by keepalive");
    s.p(51, "\t{} correct ACK header prediction{s}");
    s.p(52, "\t{} correct data packet header prediction{s}");
    s.p3(53, "\t{} PCB hash miss{es}");
    s.ps(54, "\t{} dropped due to no socket");
    s.p(16, "\t{} connection{s} drained due to memory shortage");
    s.p(17, "\t{} PMTUD blackhole{s} detected");
    s.p(55, "\t{} bad connection attempt{s}");
    s.ps(57, "\t{} SYN cache entries added");
    s.p(67, "\t\t{} hash collision{s}");
    s.ps(58, "\t\t{} completed");
    s.ps(64, "\t\t{} aborted (no space to build PCB)");
    s.ps(59, "\t\t{} timed out");
    s.ps(60, "\t\t{} dropped due to overflow");
    s.ps(63, "\t\t{} dropped due to bucket overflow");
    s.ps(61, "\t\t{} dropped due to RST");
    s.ps(62, "\t\t{} dropped due to ICMP unreachable");
    s.ps(69, "\t\t{} delayed free of SYN cache entries");
    s.p(68, "\t{} SYN,ACK{s} retransmitted");
    s.p(
        65,
        "\t{} duplicate SYN{s} received for entries already in the cache",
    );
    s.p(66, "\t{} SYN{s} dropped (no route or no space)");
    s.p(71, "\t{} packet{s} with bad signature");
    s.p(72, "\t{} packet{s} with good signature");
    s.p(73, "\t{} successful ECN handshake{s}");
    s.p(74, "\t{} packet{s} with ECN CE bit");
    s.p(75, "\t{} packet{s} ECN ECT(0) bit");
}

/// `udp_stats`: `net.inet.udp.stats`.
fn udp_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet.udp.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(0, "\t{} datagram{s} received");
    s.ps(1, "\t{} with incomplete header");
    s.ps(3, "\t{} with bad data length field");
    s.ps(2, "\t{} with bad checksum");
    s.ps(4, "\t{} dropped due to no socket");
    s.p(
        5,
        "\t{} broadcast/multicast datagram{s} dropped due to no socket",
    );
    s.ps(6, "\t{} dropped due to full socket buffers");
    let delivered = (1..=6).fold(s.get(0), |d, i| d.wrapping_sub(s.get(i)));
    if delivered != 0 || zeros {
        println!("\t{delivered} delivered");
    }
    s.p3(7, "\t{} PCB hash miss{es}");
    s.p(8, "\t{} datagram{s} output");
}

// ---- IPv6 statistics (NetBSD's netstat inet6.c)

// `ip6stat`, `icmp6stat` and `udp6stat` indices (NetBSD's
// `netinet6/ip6_var.h`, `netinet/icmp6.h`, `netinet6/udp6_var.h`).
const IP6_STAT_TOTAL: usize = 0;
const IP6_STAT_TOOSHORT: usize = 1;
const IP6_STAT_TOOSMALL: usize = 2;
const IP6_STAT_FRAGMENTS: usize = 3;
const IP6_STAT_FRAGDROPPED: usize = 4;
const IP6_STAT_FRAGTIMEOUT: usize = 5;
const IP6_STAT_FRAGOVERFLOW: usize = 6;
const IP6_STAT_FORWARD: usize = 7;
const IP6_STAT_CANTFORWARD: usize = 8;
const IP6_STAT_REDIRECTSENT: usize = 9;
const IP6_STAT_DELIVERED: usize = 10;
const IP6_STAT_LOCALOUT: usize = 11;
const IP6_STAT_ODROPPED: usize = 12;
const IP6_STAT_REASSEMBLED: usize = 13;
const IP6_STAT_FRAGMENTED: usize = 14;
const IP6_STAT_OFRAGMENTS: usize = 15;
const IP6_STAT_CANTFRAG: usize = 16;
const IP6_STAT_BADOPTIONS: usize = 17;
const IP6_STAT_NOROUTE: usize = 18;
const IP6_STAT_BADVERS: usize = 19;
const IP6_STAT_RAWOUT: usize = 20;
const IP6_STAT_BADSCOPE: usize = 21;
const IP6_STAT_NOTMEMBER: usize = 22;
const IP6_STAT_NXTHIST: usize = 23;
const IP6_STAT_M1: usize = 279;
const IP6_STAT_M2M: usize = 280;
const IP6_STAT_MEXT1: usize = 312;
const IP6_STAT_MEXT2M: usize = 313;
const IP6_STAT_EXTHDRTOOLONG: usize = 314;
const IP6_STAT_NOGIF: usize = 315;
const IP6_STAT_TOOMANYHDR: usize = 316;
const IP6_STAT_SOURCES_NONE: usize = 317;
const IP6_STAT_SOURCES_SAMEIF: usize = 318;
const IP6_STAT_SOURCES_OTHERIF: usize = 334;
const IP6_STAT_SOURCES_SAMESCOPE: usize = 350;
const IP6_STAT_SOURCES_OTHERSCOPE: usize = 366;
const IP6_STAT_SOURCES_DEPRECATED: usize = 382;
const IP6_STAT_FORWARD_CACHEHIT: usize = 398;
const IP6_STAT_FORWARD_CACHEMISS: usize = 399;
const IP6_STAT_FASTFORWARD: usize = 400;
const IP6_STAT_FASTFORWARDFLOWS: usize = 401;

const ICMP6_STAT_ERROR: usize = 0;
const ICMP6_STAT_CANTERROR: usize = 1;
const ICMP6_STAT_TOOFREQ: usize = 2;
const ICMP6_STAT_OUTHIST: usize = 3;
const ICMP6_STAT_BADCODE: usize = 259;
const ICMP6_STAT_TOOSHORT: usize = 260;
const ICMP6_STAT_CHECKSUM: usize = 261;
const ICMP6_STAT_BADLEN: usize = 262;
const ICMP6_STAT_REFLECT: usize = 263;
const ICMP6_STAT_INHIST: usize = 264;
const ICMP6_STAT_ND_TOOMANYOPT: usize = 520;
const ICMP6_STAT_OUTERRHIST: usize = 521;
const ICMP6_STAT_PMTUCHG: usize = 534;
const ICMP6_STAT_ND_BADOPT: usize = 535;
const ICMP6_STAT_BADNS: usize = 536;
const ICMP6_STAT_BADNA: usize = 537;
const ICMP6_STAT_BADRS: usize = 538;
const ICMP6_STAT_BADRA: usize = 539;
const ICMP6_STAT_BADREDIRECT: usize = 540;
/// `ICMP6_MAXTYPE`: the input histogram is printed up to it.
const ICMP6_MAXTYPE: usize = 201;

const UDP6_STAT_IPACKETS: usize = 0;
const UDP6_STAT_HDROPS: usize = 1;
const UDP6_STAT_BADSUM: usize = 2;
const UDP6_STAT_NOSUM: usize = 3;
const UDP6_STAT_BADLEN: usize = 4;
const UDP6_STAT_NOPORT: usize = 5;
const UDP6_STAT_NOPORTMCAST: usize = 6;
const UDP6_STAT_FULLSOCK: usize = 7;
const UDP6_STAT_OPACKETS: usize = 9;

/// netstat's `ip6nh`: the next headers it names.
fn ip6nh(i: usize) -> Option<&'static str> {
    Some(match i {
        0 => "hop by hop",
        1 => "ICMP",
        2 => "IGMP",
        4 => "IP",
        6 => "TCP",
        17 => "UDP",
        22 => "IDP",
        29 => "TP",
        41 => "IP6",
        43 => "routing",
        44 => "fragment",
        50 => "ESP",
        51 => "AH",
        58 => "ICMP6",
        59 => "no next header",
        60 => "destination option",
        80 => "ISOIP",
        89 => "OSPF",
        97 => "Ethernet",
        103 => "PIM",
        132 => "SCTP",
        _ => return None,
    })
}

/// netstat's `icmp6names`, with its two slips (90 and 190 are printed
/// as `#80` and `#180`).
fn icmp6name(i: usize) -> String {
    const NAMED: [&str; 13] = [
        "echo",
        "echo reply",
        "multicast listener query",
        "multicast listener report",
        "multicast listener done",
        "router solicitation",
        "router advertisement",
        "neighbor solicitation",
        "neighbor advertisement",
        "redirect",
        "router renumbering",
        "node information request",
        "node information reply",
    ];
    match i {
        1 => "unreach".into(),
        2 => "packet too big".into(),
        3 => "time exceed".into(),
        4 => "parameter problem".into(),
        128..=140 => NAMED[i - 128].into(),
        90 | 190 => format!("#{}", i - 10),
        _ => format!("#{i}"),
    }
}

/// `ip6_stats`: `net.inet6.ip6.stats`.
fn ip6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.ip6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(IP6_STAT_TOTAL, "\t{} total packet{s} received");
    s.ps(IP6_STAT_TOOSMALL, "\t{} with size smaller than minimum");
    s.ps(IP6_STAT_TOOSHORT, "\t{} with data size < data length");
    s.ps(IP6_STAT_BADOPTIONS, "\t{} with bad options");
    s.ps(IP6_STAT_BADVERS, "\t{} with incorrect version number");
    s.p(IP6_STAT_FRAGMENTS, "\t{} fragment{s} received");
    s.p(
        IP6_STAT_FRAGDROPPED,
        "\t{} fragment{s} dropped (dup or out of space)",
    );
    s.p(
        IP6_STAT_FRAGTIMEOUT,
        "\t{} fragment{s} dropped after timeout",
    );
    s.p(
        IP6_STAT_FRAGOVERFLOW,
        "\t{} fragment{s} that exceeded limit",
    );
    s.p(IP6_STAT_REASSEMBLED, "\t{} packet{s} reassembled ok");
    s.p(IP6_STAT_DELIVERED, "\t{} packet{s} for this host");
    s.p(IP6_STAT_FORWARD, "\t{} packet{s} forwarded");
    s.p(IP6_STAT_FASTFORWARD, "\t{} packet{s} fast forwarded");
    s.ps(IP6_STAT_FASTFORWARDFLOWS, "\t{} fast forward flows");
    s.p(IP6_STAT_CANTFORWARD, "\t{} packet{s} not forwardable");
    s.p(IP6_STAT_REDIRECTSENT, "\t{} redirect{s} sent");
    s.p(IP6_STAT_LOCALOUT, "\t{} packet{s} sent from this host");
    s.p(
        IP6_STAT_RAWOUT,
        "\t{} packet{s} sent with fabricated ip header",
    );
    s.p(
        IP6_STAT_ODROPPED,
        "\t{} output packet{s} dropped due to no bufs, etc.",
    );
    s.p(
        IP6_STAT_NOROUTE,
        "\t{} output packet{s} discarded due to no route",
    );
    s.p(IP6_STAT_FRAGMENTED, "\t{} output datagram{s} fragmented");
    s.p(IP6_STAT_OFRAGMENTS, "\t{} fragment{s} created");
    s.p(
        IP6_STAT_CANTFRAG,
        "\t{} datagram{s} that can't be fragmented",
    );
    s.p(
        IP6_STAT_BADSCOPE,
        "\t{} packet{s} that violated scope rules",
    );
    s.p(
        IP6_STAT_NOTMEMBER,
        "\t{} multicast packet{s} which we don't join",
    );
    let mut first = true;
    for i in 0..256 {
        let n = s.get(IP6_STAT_NXTHIST + i);
        if n != 0 {
            if first {
                println!("\tInput packet histogram:");
                first = false;
            }
            match ip6nh(i) {
                Some(nm) => println!("\t\t{nm}: {n}"),
                None => println!("\t\t#{i}: {n}"),
            }
        }
    }
    println!("\tMbuf statistics:");
    s.p(IP6_STAT_M1, "\t\t{} one mbuf{s}");
    let mut first = true;
    for i in 0..32 {
        let n = s.get(IP6_STAT_M2M + i);
        if n != 0 {
            if first {
                println!("\t\ttwo or more mbuf:");
                first = false;
            }
            // netstat names the interface by its index on the host it
            // runs on; the kernel's own index is what we have.
            println!("\t\t\t#{i} = {n}");
        }
    }
    s.p(IP6_STAT_MEXT1, "\t\t{} one ext mbuf{s}");
    s.p(IP6_STAT_MEXT2M, "\t\t{} two or more ext mbuf{s}");
    s.p(
        IP6_STAT_EXTHDRTOOLONG,
        "\t{} packet{s} whose headers are not continuous",
    );
    s.p(
        IP6_STAT_NOGIF,
        "\t{} tunneling packet{s} that can't find gif",
    );
    s.p(
        IP6_STAT_TOOMANYHDR,
        "\t{} packet{s} discarded due to too many headers",
    );
    s.p(
        IP6_STAT_SOURCES_NONE,
        "\t{} failure{s} of source address selection",
    );
    for (base, title) in [
        (
            IP6_STAT_SOURCES_SAMEIF,
            "source addresses on an outgoing I/F",
        ),
        (
            IP6_STAT_SOURCES_OTHERIF,
            "source addresses on a non-outgoing I/F",
        ),
        (IP6_STAT_SOURCES_SAMESCOPE, "source addresses of same scope"),
        (
            IP6_STAT_SOURCES_OTHERSCOPE,
            "source addresses of a different scope",
        ),
        (IP6_STAT_SOURCES_DEPRECATED, "deprecated source addresses"),
    ] {
        let mut first = true;
        for i in 0..16 {
            let n = s.get(base + i);
            if n == 0 {
                continue;
            }
            if first {
                println!("\t{title}");
                first = false;
            }
            match i {
                1 => s.p(base + i, "\t\t{} node-local{s}"),
                2 => s.p(base + i, "\t\t{} link-local{s}"),
                5 => s.p(base + i, "\t\t{} site-local{s}"),
                14 => s.p(base + i, "\t\t{} global{s}"),
                _ => println!("\t\t{n} addresses scope={i:x}"),
            }
        }
    }
    s.ps(IP6_STAT_FORWARD_CACHEHIT, "\t{} forward cache hit");
    s.ps(IP6_STAT_FORWARD_CACHEMISS, "\t{} forward cache miss");
}

/// `icmp6_stats`: `net.inet6.icmp6.stats`.
fn icmp6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.icmp6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(ICMP6_STAT_ERROR, "\t{} call{s} to icmp6_error");
    s.p(
        ICMP6_STAT_CANTERROR,
        "\t{} error{s} not generated because old message was icmp6 or so",
    );
    s.p(
        ICMP6_STAT_TOOFREQ,
        "\t{} error{s} not generated because of rate limitation",
    );
    let hist = |base: usize, end: usize, title: &str| {
        let mut first = true;
        for i in 0..end {
            let n = s.get(base + i);
            if n != 0 {
                if first {
                    println!("\t{title} packet histogram:");
                    first = false;
                }
                println!("\t\t{}: {n}", icmp6name(i));
            }
        }
    };
    hist(ICMP6_STAT_OUTHIST, 256, "Output");
    s.p(ICMP6_STAT_BADCODE, "\t{} message{s} with bad code fields");
    s.p(ICMP6_STAT_TOOSHORT, "\t{} message{s} < minimum length");
    s.p(ICMP6_STAT_CHECKSUM, "\t{} bad checksum{s}");
    s.p(ICMP6_STAT_BADLEN, "\t{} message{s} with bad length");
    hist(ICMP6_STAT_INHIST, ICMP6_MAXTYPE, "Input");
    println!("\tHistogram of error messages to be generated:");
    for (i, what) in [
        "no route",
        "administratively prohibited",
        "beyond scope",
        "address unreachable",
        "port unreachable",
        "packet too big",
        "time exceed transit",
        "time exceed reassembly",
        "erroneous header field",
        "unrecognized next header",
        "unrecognized option",
        "redirect",
        "unknown",
    ]
    .iter()
    .enumerate()
    {
        s.ps(ICMP6_STAT_OUTERRHIST + i, &format!("\t\t{{}} {what}"));
    }
    s.p(ICMP6_STAT_REFLECT, "\t{} message response{s} generated");
    s.p(
        ICMP6_STAT_ND_TOOMANYOPT,
        "\t{} message{s} with too many ND options",
    );
    s.p(ICMP6_STAT_ND_BADOPT, "\t{} message{s} with bad ND options");
    s.p(
        ICMP6_STAT_BADNS,
        "\t{} bad neighbor solicitation message{s}",
    );
    s.p(
        ICMP6_STAT_BADNA,
        "\t{} bad neighbor advertisement message{s}",
    );
    s.p(ICMP6_STAT_BADRS, "\t{} bad router solicitation message{s}");
    s.p(ICMP6_STAT_BADRA, "\t{} bad router advertisement message{s}");
    s.p(ICMP6_STAT_BADREDIRECT, "\t{} bad redirect message{s}");
    s.p(ICMP6_STAT_PMTUCHG, "\t{} path MTU change{s}");
}

/// `udp6_stats`: `net.inet6.udp6.stats`.
fn udp6_stats(c: &Client, zeros: bool, name: &str) {
    let Some(v) = counters_of(c, "net.inet6.udp6.stats") else {
        return;
    };
    let s = Section { v, zeros };
    println!("{name}:");
    s.p(UDP6_STAT_IPACKETS, "\t{} datagram{s} received");
    s.ps(UDP6_STAT_HDROPS, "\t{} with incomplete header");
    s.ps(UDP6_STAT_BADLEN, "\t{} with bad data length field");
    s.ps(UDP6_STAT_BADSUM, "\t{} with bad checksum");
    s.ps(UDP6_STAT_NOSUM, "\t{} with no checksum");
    s.ps(UDP6_STAT_NOPORT, "\t{} dropped due to no socket");
    s.p(
        UDP6_STAT_NOPORTMCAST,
        "\t{} multicast datagram{s} dropped due to no socket",
    );
    s.ps(
        UDP6_STAT_FULLSOCK,
        "\t{} dropped due to full socket buffers",
    );
    let delivered = [
        UDP6_STAT_HDROPS,
        UDP6_STAT_BADLEN,
        UDP6_STAT_BADSUM,
        UDP6_STAT_NOPORT,
        UDP6_STAT_NOPORTMCAST,
        UDP6_STAT_FULLSOCK,
    ]
    .iter()
    .fold(s.get(UDP6_STAT_IPACKETS), |d, &i| d.wrapping_sub(s.get(i)));
    if delivered != 0 || zeros {
        println!("\t{delivered} delivered");
    }
    s.p(UDP6_STAT_OPACKETS, "\t{} datagram{s} output");
}

// ---- which protocols -s prints (netstat's protox and ip6protox)

/// A protocol whose statistics netstat prints: its name, family and
/// printer.
pub(super) struct Proto {
    pub(super) name: &'static str,
    family: i32,
    pub(super) print: fn(&Client, bool, &str),
}

/// IPv4's in /etc/protocols order, as netstat walks it; then IPv6's in
/// `ip6protox` order, where tcp6 prints TCP's one set of counters.
const PROTOS: [Proto; 8] = [
    Proto {
        name: "ip",
        family: AF_INET,
        print: ip_stats,
    },
    Proto {
        name: "icmp",
        family: AF_INET,
        print: icmp_stats,
    },
    Proto {
        name: "tcp",
        family: AF_INET,
        print: tcp_stats,
    },
    Proto {
        name: "udp",
        family: AF_INET,
        print: udp_stats,
    },
    Proto {
        name: "ip6",
        family: AF_INET6,
        print: ip6_stats,
    },
    Proto {
        name: "icmp6",
        family: AF_INET6,
        print: icmp6_stats,
    },
    Proto {
        name: "tcp6",
        family: AF_INET6,
        print: tcp_stats,
    },
    Proto {
        name: "udp6",
        family: AF_INET6,
        print: udp6_stats,
    },
];

/// Protocols NetBSD's netstat knows whose counters we do not keep.
const NOT_YET: [&str; 16] = [
    "igmp", "ah", "esp", "ipencap", "etherip", "ipcomp", "carp", "pfsync", "pim", "arp", "pim6",
    "rip6", "ipsec", "ipsec6", "pfkey", "ddp",
];

/// `-p name`: a protocol we keep counters of, or netstat's message for
/// one it does not know.
pub(super) fn protocol(name: &str) -> Result<&'static Proto, ExitCode> {
    if let Some(p) = PROTOS.iter().find(|p| p.name == name) {
        return Ok(p);
    }
    if NOT_YET.contains(&name) {
        eprintln!("{PROG}: -p {name}: not supported yet");
    } else {
        eprintln!("{PROG}: {name}: unknown or uninstrumented protocol");
    }
    Err(ExitCode::from(1))
}

/// `-s [-f family]`: every protocol of the family (both without `-f`).
pub(super) fn stats(c: &Client, sflag: u32, family: i32) {
    for p in PROTOS.iter().filter(|p| family == 0 || p.family == family) {
        (p.print)(c, sflag <= 1, p.name);
    }
}
