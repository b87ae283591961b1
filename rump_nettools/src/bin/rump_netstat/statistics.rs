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

/// One line (or run of lines) of a `netstat -s` section, as netstat's
/// `p`, `ps`, `p3`, `p2` and `p2s` macros and its hand-written loops print
/// it.
enum Line {
    /// Counter `.0` in place of the format's `{}`, and its plural ending
    /// in place of `{s}` or `{es}` if the format has one (`p`, `ps`, `p3`);
    /// left out when zero under `-ss`.
    One(usize, &'static str),
    /// Counters `.0` and `.1` in place of the format's two `{}`, each
    /// followed by its `{s}` if it has one (`p2`, `p2s`); left out when
    /// both are zero under `-ss`.
    Two(usize, usize, &'static str),
    /// A heading netstat prints whatever the counters.
    Title(&'static str),
    /// The `len` counters from `base` on, each that is not zero as
    /// `entry` words it (its offset from `base`, its value), under `title`
    /// once one is.
    Histogram {
        title: &'static str,
        base: usize,
        len: usize,
        entry: fn(usize, u64) -> String,
    },
    /// Counter `total` less the counters `less`, in place of the format's
    /// `{}` (what udp's "delivered" line adds up); left out when zero
    /// under `-ss`.
    Remainder {
        total: usize,
        less: &'static [usize],
        format: &'static str,
    },
    /// What netstat prints there by a rule of its own.
    Rule(fn(&Section, &mut String)),
}

use Line::*;

/// One `netstat -s` section: lines whose counters are all zero are left
/// out with `-ss`.
struct Section {
    v: Vec<u64>,
    zeros: bool,
}

/// Put `line` and its end on `out`.
fn put(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

impl Section {
    /// The section's text: protocol `name`'s heading, then `lines`.
    fn text(&self, name: &str, lines: &[Line]) -> String {
        let mut out = format!("{name}:\n");
        for line in lines {
            self.render(line, &mut out);
        }
        out
    }

    fn get(&self, i: usize) -> u64 {
        self.v.get(i).copied().unwrap_or(0)
    }

    /// Put `counters` into `format` (see [`Line::One`]) on `out`, unless
    /// all are zero under `-ss`.
    fn counts(&self, counters: &[usize], format: &str, out: &mut String) {
        let values = counters.iter().map(|&i| self.get(i));
        if !self.zeros && values.clone().all(|n| n == 0) {
            return;
        }
        let mut line = format.to_owned();
        for n in values {
            line = line
                .replacen("{}", &n.to_string(), 1)
                .replacen("{s}", plural(n), 1)
                .replacen("{es}", plurales(n), 1);
        }
        put(out, &line);
    }

    /// Put the text of `line` on `out`.
    fn render(&self, line: &Line, out: &mut String) {
        match *line {
            One(i, format) => self.counts(&[i], format, out),
            Two(i, j, format) => self.counts(&[i, j], format, out),
            Title(text) => put(out, text),
            Histogram {
                title,
                base,
                len,
                entry,
            } => {
                let mut first = true;
                for i in 0..len {
                    let n = self.get(base + i);
                    if n == 0 {
                        continue;
                    }
                    if first {
                        put(out, title);
                        first = false;
                    }
                    put(out, &entry(i, n));
                }
            }
            Remainder {
                total,
                less,
                format,
            } => {
                let n = less
                    .iter()
                    .fold(self.get(total), |d, &i| d.wrapping_sub(self.get(i)));
                if n != 0 || self.zeros {
                    put(out, &format.replacen("{}", &n.to_string(), 1));
                }
            }
            Rule(rule) => rule(self, out),
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

/// `net.inet.ip.stats`, as netstat's `ip_stats`.
const IP_LINES: &[Line] = &[
    One(0, "\t{} total packet{s} received"),
    One(1, "\t{} bad header checksum{s}"),
    One(3, "\t{} with size smaller than minimum"),
    One(2, "\t{} with data size < data length"),
    One(27, "\t{} with length > max ip packet size"),
    One(4, "\t{} with header length < data size"),
    One(5, "\t{} with data length < header length"),
    One(21, "\t{} with bad options"),
    One(23, "\t{} with incorrect version number"),
    One(6, "\t{} fragment{s} received"),
    One(7, "\t{} fragment{s} dropped (dup or out of space)"),
    One(26, "\t{} fragment{s} dropped (out of ipqent)"),
    One(25, "\t{} malformed fragment{s} dropped"),
    One(8, "\t{} fragment{s} dropped after timeout"),
    One(17, "\t{} packet{s} reassembled ok"),
    One(14, "\t{} packet{s} for this host"),
    One(13, "\t{} packet{s} for unknown/unsupported protocol"),
    Rule(ip_forwarded),
    One(11, "\t{} packet{s} not forwardable"),
    One(12, "\t{} redirect{s} sent"),
    One(28, "\t{} packet{s} no matching gif found"),
    One(15, "\t{} packet{s} sent from this host"),
    One(24, "\t{} packet{s} sent with fabricated ip header"),
    One(16, "\t{} output packet{s} dropped due to no bufs, etc."),
    One(22, "\t{} output packet{s} discarded due to no route"),
    One(18, "\t{} output datagram{s} fragmented"),
    One(19, "\t{} fragment{s} created"),
    One(20, "\t{} datagram{s} that can't be fragmented"),
    One(29, "\t{} datagram{s} with bad address in header"),
];

/// ip's forwarded line: the fast-forwarded count in brackets after it,
/// which netstat prints (without the line's end) even when the line
/// itself is left out.
fn ip_forwarded(s: &Section, out: &mut String) {
    let (fwd, fast) = (s.get(9), s.get(10));
    let mut line = String::new();
    if fwd != 0 || s.zeros {
        line.push_str(&format!("\t{fwd} packet{} forwarded", plural(fwd)));
    }
    if fast != 0 || s.zeros {
        line.push_str(&format!(" ({fast} packet{} fast forwarded)", plural(fast)));
    }
    if fwd != 0 || s.zeros {
        put(out, &line);
    } else {
        out.push_str(&line);
    }
}

/// An ICMP type's histogram line.
fn icmp_entry(i: usize, n: u64) -> String {
    format!("\t\t{}: {n}", ICMP_NAMES[i])
}

/// `net.inet.icmp.stats`, as netstat's `icmp_stats`.
const ICMP_LINES: &[Line] = &[
    One(0, "\t{} call{s} to icmp_error"),
    One(
        2,
        "\t{} error{s} not generated because old message was icmp",
    ),
    Histogram {
        title: "\tOutput histogram:",
        base: 16,
        len: ICMP_NAMES.len(),
        entry: icmp_entry,
    },
    One(3, "\t{} message{s} with bad code fields"),
    One(4, "\t{} message{s} < minimum length"),
    One(5, "\t{} bad checksum{s}"),
    One(6, "\t{} message{s} with bad length"),
    One(9, "\t{} multicast echo request{s} ignored"),
    One(10, "\t{} multicast timestamp request{s} ignored"),
    Histogram {
        title: "\tInput histogram:",
        base: 57,
        len: ICMP_NAMES.len(),
        entry: icmp_entry,
    },
    One(7, "\t{} message response{s} generated"),
    One(8, "\t{} path MTU change{s}"),
];

/// `net.inet.tcp.stats`, as netstat's `tcp_stats`.
const TCP_LINES: &[Line] = &[
    One(18, "\t{} packet{s} sent"),
    Two(19, 20, "\t\t{} data packet{s} ({} byte{s})"),
    Two(21, 22, "\t\t{} data packet{s} ({} byte{s}) retransmitted"),
    Two(23, 8, "\t\t{} ack-only packet{s} ({} delayed)"),
    One(25, "\t\t{} URG only packet{s}"),
    One(24, "\t\t{} window probe packet{s}"),
    One(26, "\t\t{} window update packet{s}"),
    One(27, "\t\t{} control packet{s}"),
    One(70, "\t\t{} send attempt{s} resulted in self-quench"),
    One(28, "\t{} packet{s} received"),
    Two(47, 48, "\t\t{} ack{s} (for {} byte{s})"),
    One(45, "\t\t{} duplicate ack{s}"),
    One(46, "\t\t{} ack{s} for unsent data"),
    Two(29, 30, "\t\t{} packet{s} ({} byte{s}) received in-sequence"),
    Two(35, 36, "\t\t{} completely duplicate packet{s} ({} byte{s})"),
    One(50, "\t\t{} old duplicate packet{s}"),
    Two(
        37,
        38,
        "\t\t{} packet{s} with some dup. data ({} byte{s} duped)",
    ),
    Two(39, 40, "\t\t{} out-of-order packet{s} ({} byte{s})"),
    Two(41, 42, "\t\t{} packet{s} ({} byte{s}) of data after window"),
    One(44, "\t\t{} window probe{s}"),
    One(49, "\t\t{} window update packet{s}"),
    One(43, "\t\t{} packet{s} received after close"),
    One(31, "\t\t{} discarded for bad checksum{s}"),
    One(32, "\t\t{} discarded for bad header offset field{s}"),
    One(34, "\t\t{} discarded because packet too short"),
    One(0, "\t{} connection request{s}"),
    One(1, "\t{} connection accept{s}"),
    One(2, "\t{} connection{s} established (including accepts)"),
    Two(5, 3, "\t{} connection{s} closed (including {} drop{s})"),
    One(4, "\t{} embryonic connection{s} dropped"),
    One(56, "\t{} delayed free{s} of tcpcb"),
    Two(7, 6, "\t{} segment{s} updated rtt (of {} attempt{s})"),
    One(10, "\t{} retransmit timeout{s}"),
    One(9, "\t\t{} connection{s} dropped by rexmit timeout"),
    Two(
        11,
        15,
        "\t{} persist timeout{s} (resulting in {} dropped connection{s})",
    ),
    One(12, "\t{} keepalive timeout{s}"),
    One(13, "\t\t{} keepalive probe{s} sent"),
    One(14, "\t\t{} connection{s} dropped by keepalive"),
    One(51, "\t{} correct ACK header prediction{s}"),
    One(52, "\t{} correct data packet header prediction{s}"),
    One(53, "\t{} PCB hash miss{es}"),
    One(54, "\t{} dropped due to no socket"),
    One(16, "\t{} connection{s} drained due to memory shortage"),
    One(17, "\t{} PMTUD blackhole{s} detected"),
    One(55, "\t{} bad connection attempt{s}"),
    One(57, "\t{} SYN cache entries added"),
    One(67, "\t\t{} hash collision{s}"),
    One(58, "\t\t{} completed"),
    One(64, "\t\t{} aborted (no space to build PCB)"),
    One(59, "\t\t{} timed out"),
    One(60, "\t\t{} dropped due to overflow"),
    One(63, "\t\t{} dropped due to bucket overflow"),
    One(61, "\t\t{} dropped due to RST"),
    One(62, "\t\t{} dropped due to ICMP unreachable"),
    One(69, "\t\t{} delayed free of SYN cache entries"),
    One(68, "\t{} SYN,ACK{s} retransmitted"),
    One(
        65,
        "\t{} duplicate SYN{s} received for entries already in the cache",
    ),
    One(66, "\t{} SYN{s} dropped (no route or no space)"),
    One(71, "\t{} packet{s} with bad signature"),
    One(72, "\t{} packet{s} with good signature"),
    One(73, "\t{} successful ECN handshake{s}"),
    One(74, "\t{} packet{s} with ECN CE bit"),
    One(75, "\t{} packet{s} ECN ECT(0) bit"),
];

/// `net.inet.udp.stats`, as netstat's `udp_stats`.
const UDP_LINES: &[Line] = &[
    One(0, "\t{} datagram{s} received"),
    One(1, "\t{} with incomplete header"),
    One(3, "\t{} with bad data length field"),
    One(2, "\t{} with bad checksum"),
    One(4, "\t{} dropped due to no socket"),
    One(
        5,
        "\t{} broadcast/multicast datagram{s} dropped due to no socket",
    ),
    One(6, "\t{} dropped due to full socket buffers"),
    Remainder {
        total: 0,
        less: &[1, 2, 3, 4, 5, 6],
        format: "\t{} delivered",
    },
    One(7, "\t{} PCB hash miss{es}"),
    One(8, "\t{} datagram{s} output"),
];

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

/// An IPv6 next header's histogram line.
fn ip6nh_entry(i: usize, n: u64) -> String {
    match ip6nh(i) {
        Some(name) => format!("\t\t{name}: {n}"),
        None => format!("\t\t#{i}: {n}"),
    }
}

/// An interface's count of chains of two or more mbufs.
fn mbuf_entry(i: usize, n: u64) -> String {
    // netstat names the interface by its index on the host it runs on;
    // the kernel's own index is what we have.
    format!("\t\t\t#{i} = {n}")
}

/// A scope's count of chosen source addresses.
fn source_entry(i: usize, n: u64) -> String {
    match i {
        1 => format!("\t\t{n} node-local{}", plural(n)),
        2 => format!("\t\t{n} link-local{}", plural(n)),
        5 => format!("\t\t{n} site-local{}", plural(n)),
        14 => format!("\t\t{n} global{}", plural(n)),
        _ => format!("\t\t{n} addresses scope={i:x}"),
    }
}

/// The source-address histogram from `base`, by scope, under `title`.
const fn sources(base: usize, title: &'static str) -> Line {
    Histogram {
        title,
        base,
        len: 16,
        entry: source_entry,
    }
}

/// `net.inet6.ip6.stats`, as netstat's `ip6_stats`.
const IP6_LINES: &[Line] = &[
    One(IP6_STAT_TOTAL, "\t{} total packet{s} received"),
    One(IP6_STAT_TOOSMALL, "\t{} with size smaller than minimum"),
    One(IP6_STAT_TOOSHORT, "\t{} with data size < data length"),
    One(IP6_STAT_BADOPTIONS, "\t{} with bad options"),
    One(IP6_STAT_BADVERS, "\t{} with incorrect version number"),
    One(IP6_STAT_FRAGMENTS, "\t{} fragment{s} received"),
    One(
        IP6_STAT_FRAGDROPPED,
        "\t{} fragment{s} dropped (dup or out of space)",
    ),
    One(
        IP6_STAT_FRAGTIMEOUT,
        "\t{} fragment{s} dropped after timeout",
    ),
    One(
        IP6_STAT_FRAGOVERFLOW,
        "\t{} fragment{s} that exceeded limit",
    ),
    One(IP6_STAT_REASSEMBLED, "\t{} packet{s} reassembled ok"),
    One(IP6_STAT_DELIVERED, "\t{} packet{s} for this host"),
    One(IP6_STAT_FORWARD, "\t{} packet{s} forwarded"),
    One(IP6_STAT_FASTFORWARD, "\t{} packet{s} fast forwarded"),
    One(IP6_STAT_FASTFORWARDFLOWS, "\t{} fast forward flows"),
    One(IP6_STAT_CANTFORWARD, "\t{} packet{s} not forwardable"),
    One(IP6_STAT_REDIRECTSENT, "\t{} redirect{s} sent"),
    One(IP6_STAT_LOCALOUT, "\t{} packet{s} sent from this host"),
    One(
        IP6_STAT_RAWOUT,
        "\t{} packet{s} sent with fabricated ip header",
    ),
    One(
        IP6_STAT_ODROPPED,
        "\t{} output packet{s} dropped due to no bufs, etc.",
    ),
    One(
        IP6_STAT_NOROUTE,
        "\t{} output packet{s} discarded due to no route",
    ),
    One(IP6_STAT_FRAGMENTED, "\t{} output datagram{s} fragmented"),
    One(IP6_STAT_OFRAGMENTS, "\t{} fragment{s} created"),
    One(
        IP6_STAT_CANTFRAG,
        "\t{} datagram{s} that can't be fragmented",
    ),
    One(
        IP6_STAT_BADSCOPE,
        "\t{} packet{s} that violated scope rules",
    ),
    One(
        IP6_STAT_NOTMEMBER,
        "\t{} multicast packet{s} which we don't join",
    ),
    Histogram {
        title: "\tInput packet histogram:",
        base: IP6_STAT_NXTHIST,
        len: 256,
        entry: ip6nh_entry,
    },
    Title("\tMbuf statistics:"),
    One(IP6_STAT_M1, "\t\t{} one mbuf{s}"),
    Histogram {
        title: "\t\ttwo or more mbuf:",
        base: IP6_STAT_M2M,
        len: 32,
        entry: mbuf_entry,
    },
    One(IP6_STAT_MEXT1, "\t\t{} one ext mbuf{s}"),
    One(IP6_STAT_MEXT2M, "\t\t{} two or more ext mbuf{s}"),
    One(
        IP6_STAT_EXTHDRTOOLONG,
        "\t{} packet{s} whose headers are not continuous",
    ),
    One(
        IP6_STAT_NOGIF,
        "\t{} tunneling packet{s} that can't find gif",
    ),
    One(
        IP6_STAT_TOOMANYHDR,
        "\t{} packet{s} discarded due to too many headers",
    ),
    One(
        IP6_STAT_SOURCES_NONE,
        "\t{} failure{s} of source address selection",
    ),
    sources(
        IP6_STAT_SOURCES_SAMEIF,
        "\tsource addresses on an outgoing I/F",
    ),
    sources(
        IP6_STAT_SOURCES_OTHERIF,
        "\tsource addresses on a non-outgoing I/F",
    ),
    sources(
        IP6_STAT_SOURCES_SAMESCOPE,
        "\tsource addresses of same scope",
    ),
    sources(
        IP6_STAT_SOURCES_OTHERSCOPE,
        "\tsource addresses of a different scope",
    ),
    sources(IP6_STAT_SOURCES_DEPRECATED, "\tdeprecated source addresses"),
    One(IP6_STAT_FORWARD_CACHEHIT, "\t{} forward cache hit"),
    One(IP6_STAT_FORWARD_CACHEMISS, "\t{} forward cache miss"),
];

/// An ICMPv6 type's histogram line.
fn icmp6_entry(i: usize, n: u64) -> String {
    format!("\t\t{}: {n}", icmp6name(i))
}

/// `net.inet6.icmp6.stats`, as netstat's `icmp6_stats`.
const ICMP6_LINES: &[Line] = &[
    One(ICMP6_STAT_ERROR, "\t{} call{s} to icmp6_error"),
    One(
        ICMP6_STAT_CANTERROR,
        "\t{} error{s} not generated because old message was icmp6 or so",
    ),
    One(
        ICMP6_STAT_TOOFREQ,
        "\t{} error{s} not generated because of rate limitation",
    ),
    Histogram {
        title: "\tOutput packet histogram:",
        base: ICMP6_STAT_OUTHIST,
        len: 256,
        entry: icmp6_entry,
    },
    One(ICMP6_STAT_BADCODE, "\t{} message{s} with bad code fields"),
    One(ICMP6_STAT_TOOSHORT, "\t{} message{s} < minimum length"),
    One(ICMP6_STAT_CHECKSUM, "\t{} bad checksum{s}"),
    One(ICMP6_STAT_BADLEN, "\t{} message{s} with bad length"),
    Histogram {
        title: "\tInput packet histogram:",
        base: ICMP6_STAT_INHIST,
        len: ICMP6_MAXTYPE,
        entry: icmp6_entry,
    },
    Title("\tHistogram of error messages to be generated:"),
    One(ICMP6_STAT_OUTERRHIST, "\t\t{} no route"),
    One(
        ICMP6_STAT_OUTERRHIST + 1,
        "\t\t{} administratively prohibited",
    ),
    One(ICMP6_STAT_OUTERRHIST + 2, "\t\t{} beyond scope"),
    One(ICMP6_STAT_OUTERRHIST + 3, "\t\t{} address unreachable"),
    One(ICMP6_STAT_OUTERRHIST + 4, "\t\t{} port unreachable"),
    One(ICMP6_STAT_OUTERRHIST + 5, "\t\t{} packet too big"),
    One(ICMP6_STAT_OUTERRHIST + 6, "\t\t{} time exceed transit"),
    One(ICMP6_STAT_OUTERRHIST + 7, "\t\t{} time exceed reassembly"),
    One(ICMP6_STAT_OUTERRHIST + 8, "\t\t{} erroneous header field"),
    One(ICMP6_STAT_OUTERRHIST + 9, "\t\t{} unrecognized next header"),
    One(ICMP6_STAT_OUTERRHIST + 10, "\t\t{} unrecognized option"),
    One(ICMP6_STAT_OUTERRHIST + 11, "\t\t{} redirect"),
    One(ICMP6_STAT_OUTERRHIST + 12, "\t\t{} unknown"),
    One(ICMP6_STAT_REFLECT, "\t{} message response{s} generated"),
    One(
        ICMP6_STAT_ND_TOOMANYOPT,
        "\t{} message{s} with too many ND options",
    ),
    One(ICMP6_STAT_ND_BADOPT, "\t{} message{s} with bad ND options"),
    One(
        ICMP6_STAT_BADNS,
        "\t{} bad neighbor solicitation message{s}",
    ),
    One(
        ICMP6_STAT_BADNA,
        "\t{} bad neighbor advertisement message{s}",
    ),
    One(ICMP6_STAT_BADRS, "\t{} bad router solicitation message{s}"),
    One(ICMP6_STAT_BADRA, "\t{} bad router advertisement message{s}"),
    One(ICMP6_STAT_BADREDIRECT, "\t{} bad redirect message{s}"),
    One(ICMP6_STAT_PMTUCHG, "\t{} path MTU change{s}"),
];

/// `net.inet6.udp6.stats`, as netstat's `udp6_stats`.
const UDP6_LINES: &[Line] = &[
    One(UDP6_STAT_IPACKETS, "\t{} datagram{s} received"),
    One(UDP6_STAT_HDROPS, "\t{} with incomplete header"),
    One(UDP6_STAT_BADLEN, "\t{} with bad data length field"),
    One(UDP6_STAT_BADSUM, "\t{} with bad checksum"),
    One(UDP6_STAT_NOSUM, "\t{} with no checksum"),
    One(UDP6_STAT_NOPORT, "\t{} dropped due to no socket"),
    One(
        UDP6_STAT_NOPORTMCAST,
        "\t{} multicast datagram{s} dropped due to no socket",
    ),
    One(
        UDP6_STAT_FULLSOCK,
        "\t{} dropped due to full socket buffers",
    ),
    Remainder {
        total: UDP6_STAT_IPACKETS,
        less: &[
            UDP6_STAT_HDROPS,
            UDP6_STAT_BADLEN,
            UDP6_STAT_BADSUM,
            UDP6_STAT_NOPORT,
            UDP6_STAT_NOPORTMCAST,
            UDP6_STAT_FULLSOCK,
        ],
        format: "\t{} delivered",
    },
    One(UDP6_STAT_OPACKETS, "\t{} datagram{s} output"),
];

// ---- which protocols -s prints (netstat's protox and ip6protox)

/// A protocol whose statistics netstat prints: its name, family, the
/// sysctl node of its counter array and its section's lines.
pub(super) struct Proto {
    name: &'static str,
    family: i32,
    counters: &'static str,
    lines: &'static [Line],
}

impl Proto {
    /// Print the protocol's section: every line with `zeros` (`-s`), else
    /// only those with a counter that is not zero (`-ss`); nothing when the
    /// kernel keeps no such counters.
    pub(super) fn print(&self, c: &Client, zeros: bool) {
        let Some(v) = counters_of(c, self.counters) else {
            return;
        };
        print!("{}", Section { v, zeros }.text(self.name, self.lines));
    }
}

/// IPv4's in /etc/protocols order, as netstat walks it; then IPv6's in
/// `ip6protox` order, where tcp6 prints TCP's one set of counters.
const PROTOS: [Proto; 8] = [
    Proto {
        name: "ip",
        family: AF_INET,
        counters: "net.inet.ip.stats",
        lines: IP_LINES,
    },
    Proto {
        name: "icmp",
        family: AF_INET,
        counters: "net.inet.icmp.stats",
        lines: ICMP_LINES,
    },
    Proto {
        name: "tcp",
        family: AF_INET,
        counters: "net.inet.tcp.stats",
        lines: TCP_LINES,
    },
    Proto {
        name: "udp",
        family: AF_INET,
        counters: "net.inet.udp.stats",
        lines: UDP_LINES,
    },
    Proto {
        name: "ip6",
        family: AF_INET6,
        counters: "net.inet6.ip6.stats",
        lines: IP6_LINES,
    },
    Proto {
        name: "icmp6",
        family: AF_INET6,
        counters: "net.inet6.icmp6.stats",
        lines: ICMP6_LINES,
    },
    Proto {
        name: "tcp6",
        family: AF_INET6,
        counters: "net.inet.tcp.stats",
        lines: TCP_LINES,
    },
    Proto {
        name: "udp6",
        family: AF_INET6,
        counters: "net.inet6.udp6.stats",
        lines: UDP6_LINES,
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
        p.print(c, sflag <= 1);
    }
}

#[cfg(test)]
#[path = "statistics_tests.rs"]
mod tests;
