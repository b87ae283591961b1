//! IPv6's protocol counters as NetBSD keeps them: `net.inet6.ip6.stats`
//! (`ip6stat`, `netinet6/ip6_var.h`), `net.inet6.icmp6.stats`
//! (`icmp6stat`, `netinet/icmp6.h`) and `net.inet6.udp6.stats`
//! (`udp6stat`, `netinet6/udp6_var.h`): arrays of `uint64_t` indexed by
//! their `*_STAT_*` numbers, which `netstat -s -f inet6` prints.
//!
//! The stack's older named counters ([`crate::inet6::Stats`]) are folded
//! into the arrays when they are read, so each event is counted once.

use crate::inet6::Inet6;
use crate::wire::icmpv6::{code, kind};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

// `ip6stat` indices (NetBSD's `netinet6/ip6_var.h`).
/// Packets received.
pub const IP6_STAT_TOTAL: usize = 0;
/// Payload length larger than the packet.
pub const IP6_STAT_TOOSHORT: usize = 1;
/// Shorter than an IPv6 header, or an option shorter than its length.
pub const IP6_STAT_TOOSMALL: usize = 2;
/// Fragments received.
pub const IP6_STAT_FRAGMENTS: usize = 3;
/// Fragments dropped (duplicates, limits).
pub const IP6_STAT_FRAGDROPPED: usize = 4;
/// Fragments timed out.
pub const IP6_STAT_FRAGTIMEOUT: usize = 5;
/// Forwarded.
pub const IP6_STAT_FORWARD: usize = 7;
/// Not for us and not forwardable.
pub const IP6_STAT_CANTFORWARD: usize = 8;
/// Delivered to a protocol above IPv6.
pub const IP6_STAT_DELIVERED: usize = 10;
/// Sent by this host.
pub const IP6_STAT_LOCALOUT: usize = 11;
/// Reassembled.
pub const IP6_STAT_REASSEMBLED: usize = 13;
/// Sent in fragments.
pub const IP6_STAT_FRAGMENTED: usize = 14;
/// Fragments made on output.
pub const IP6_STAT_OFRAGMENTS: usize = 15;
/// Options that asked for the packet to be dropped.
pub const IP6_STAT_BADOPTIONS: usize = 17;
/// Discarded on output for want of a route.
pub const IP6_STAT_NOROUTE: usize = 18;
/// Version not 6.
pub const IP6_STAT_BADVERS: usize = 19;
/// Source or destination out of its scope (loopback off lo0, multicast
/// source).
pub const IP6_STAT_BADSCOPE: usize = 21;
/// Start of the histogram of first next headers (256 counters).
pub const IP6_STAT_NXTHIST: usize = 23;
/// Packets in one buffer.
pub const IP6_STAT_M1: usize = 279;
/// More extension headers than `ip6_hdrnestlimit`.
pub const IP6_STAT_TOOMANYHDR: usize = 316;
/// `IP6_NSTATS` of the NetBSD release our ABI follows (7.99).
pub const IP6_NSTATS: usize = 402;

// `icmp6stat` indices (NetBSD's `netinet/icmp6.h`).
/// Calls of `icmp6_error`.
pub const ICMP6_STAT_ERROR: usize = 0;
/// Errors not sent: about an error, or from/to where none may go.
pub const ICMP6_STAT_CANTERROR: usize = 1;
/// Errors not sent because of the rate limit.
pub const ICMP6_STAT_TOOFREQ: usize = 2;
/// Start of the output histogram by type (256 counters).
pub const ICMP6_STAT_OUTHIST: usize = 3;
/// Code out of range.
pub const ICMP6_STAT_BADCODE: usize = 259;
/// Shorter than an ICMPv6 header.
pub const ICMP6_STAT_TOOSHORT: usize = 260;
/// Bad checksum.
pub const ICMP6_STAT_CHECKSUM: usize = 261;
/// Shorter than its type needs.
pub const ICMP6_STAT_BADLEN: usize = 262;
/// Responses generated (echo replies).
pub const ICMP6_STAT_REFLECT: usize = 263;
/// Start of the input histogram by type (256 counters).
pub const ICMP6_STAT_INHIST: usize = 264;
/// Start of the histogram of errors to be generated (13 counters,
/// `ICMP6_ERRSTAT_*`).
pub const ICMP6_STAT_OUTERRHIST: usize = 521;
/// Bad neighbour solicitations.
pub const ICMP6_STAT_BADNS: usize = 536;
/// Bad neighbour advertisements.
pub const ICMP6_STAT_BADNA: usize = 537;
/// `ICMP6_NSTATS`.
pub const ICMP6_NSTATS: usize = 542;

// `ICMP6_ERRSTAT_*`: the error histogram's slots (`netinet/icmp6.h`).
const ERRSTAT_DST_UNREACH_NOROUTE: usize = 0;
const ERRSTAT_DST_UNREACH_ADMIN: usize = 1;
const ERRSTAT_DST_UNREACH_BEYONDSCOPE: usize = 2;
const ERRSTAT_DST_UNREACH_ADDR: usize = 3;
const ERRSTAT_DST_UNREACH_NOPORT: usize = 4;
const ERRSTAT_PACKET_TOO_BIG: usize = 5;
const ERRSTAT_TIME_EXCEED_TRANSIT: usize = 6;
const ERRSTAT_TIME_EXCEED_REASSEMBLY: usize = 7;
const ERRSTAT_PARAMPROB_HEADER: usize = 8;
const ERRSTAT_PARAMPROB_NEXTHEADER: usize = 9;
const ERRSTAT_PARAMPROB_OPTION: usize = 10;
const ERRSTAT_REDIRECT: usize = 11;
const ERRSTAT_UNKNOWN: usize = 12;
/// `ICMP6_DST_UNREACH_ADMIN`, `_BEYONDSCOPE`, `ICMP6_TIME_EXCEED_REASSEMBLY`
/// (`netinet/icmp6.h`).
const UNREACH_ADMIN: u8 = 1;
const UNREACH_BEYONDSCOPE: u8 = 2;
const TIMXCEED_REASS: u8 = 1;
/// `ND_REDIRECT`.
const ND_REDIRECT: u8 = 137;

// `udp6stat` indices (NetBSD's `netinet6/udp6_var.h`).
/// Datagrams received.
pub const UDP6_STAT_IPACKETS: usize = 0;
/// Datagrams for a port nobody listens on.
pub const UDP6_STAT_NOPORT: usize = 5;
/// ... that came to a multicast address.
pub const UDP6_STAT_NOPORTMCAST: usize = 6;
/// Datagrams sent.
pub const UDP6_STAT_OPACKETS: usize = 9;
/// `UDP6_NSTATS`.
pub const UDP6_NSTATS: usize = 10;

/// One stack's IPv6 counter arrays.
#[derive(Debug)]
pub struct Stats6 {
    ip6: Box<[AtomicU64]>,
    icmp6: Box<[AtomicU64]>,
    udp6: Box<[AtomicU64]>,
}

fn zeros(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

impl Default for Stats6 {
    fn default() -> Stats6 {
        Stats6 {
            ip6: zeros(IP6_NSTATS),
            icmp6: zeros(ICMP6_NSTATS),
            udp6: zeros(UDP6_NSTATS),
        }
    }
}

fn bump(a: &[AtomicU64], i: usize) {
    if let Some(c) = a.get(i) {
        c.fetch_add(1, Relaxed);
    }
}

fn bytes(v: &[u64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

fn load(a: &[AtomicU64]) -> Vec<u64> {
    a.iter().map(|c| c.load(Relaxed)).collect()
}

/// Count IPv6 event `i` (`IP6_STAT_*`).
pub fn ip6(inet: &Inet6, i: usize) {
    bump(&inet.stats6.ip6, i);
}

/// Count ICMPv6 event `i` (`ICMP6_STAT_*`).
pub fn icmp6(inet: &Inet6, i: usize) {
    bump(&inet.stats6.icmp6, i);
}

/// Count UDP-over-IPv6 event `i` (`UDP6_STAT_*`).
pub fn udp6(inet: &Inet6, i: usize) {
    bump(&inet.stats6.udp6, i);
}

/// An IPv6 header that did not parse (`ip6_input`'s first checks):
/// too small for a header, not version 6, or a payload longer than
/// what came.
pub fn bad_header(inet: &Inet6, pkt: &[u8]) {
    let i = if pkt.len() < crate::wire::ipv6::HEADER_LEN {
        IP6_STAT_TOOSMALL
    } else if pkt[0] >> 4 != 6 {
        IP6_STAT_BADVERS
    } else {
        IP6_STAT_TOOSHORT
    };
    ip6(inet, i);
}

/// A packet of protocol `next` went to the raw sockets, which `took` it
/// or not: neither TCP nor UDP and taken by no socket, it was not
/// delivered after all (`icmp6_rip6_input`, `rip6_input` take back
/// the count).
pub fn raw_input_done(inet: &Inet6, next: u8, took: bool) {
    use crate::wire::ipv6::nh;
    if !took && next != nh::TCP && next != nh::UDP {
        inet.stats6.ip6[IP6_STAT_DELIVERED].fetch_sub(1, Relaxed);
    }
}

/// An ICMPv6 message of type `t` came in.
pub fn icmp6_in(inet: &Inet6, t: u8) {
    icmp6(inet, ICMP6_STAT_INHIST + usize::from(t));
}

/// An ICMPv6 message `msg` (its type first) goes out through
/// `ip6_output`.
pub fn icmp6_out(inet: &Inet6, msg: &[u8]) {
    if let Some(&t) = msg.first() {
        icmp6(inet, ICMP6_STAT_OUTHIST + usize::from(t));
        if t == kind::ECHO_REPLY {
            icmp6(inet, ICMP6_STAT_REFLECT);
        }
    }
}

/// A neighbour discovery message `msg` sent straight to the link, past
/// `output`: counted as `ip6_output` would count it.
pub fn nd_out(inet: &Inet6, msg: &[u8]) {
    rumpnet::ifnet::IfStats::bump(&inet.stats.localout);
    icmp6_out(inet, msg);
}

/// A neighbour solicitation or advertisement (type `t`, code `c`) that
/// failed its checks: a bad code, else a bad message of its kind.
pub fn nd_bad(inet: &Inet6, t: u8, c: u8) {
    let i = if c != 0 {
        ICMP6_STAT_BADCODE
    } else if t == kind::NEIGHBOR_SOLICIT {
        ICMP6_STAT_BADNS
    } else {
        ICMP6_STAT_BADNA
    };
    icmp6(inet, i);
}

/// `icmp6_error` was called for type `t`, code `c`
/// (`icmp6_errcount`).
pub fn error_called(inet: &Inet6, t: u8, c: u8) {
    icmp6(inet, ICMP6_STAT_ERROR);
    let slot = match (t, c) {
        (kind::DST_UNREACH, code::UNREACH_NOROUTE) => ERRSTAT_DST_UNREACH_NOROUTE,
        (kind::DST_UNREACH, UNREACH_ADMIN) => ERRSTAT_DST_UNREACH_ADMIN,
        (kind::DST_UNREACH, UNREACH_BEYONDSCOPE) => ERRSTAT_DST_UNREACH_BEYONDSCOPE,
        (kind::DST_UNREACH, code::UNREACH_ADDR) => ERRSTAT_DST_UNREACH_ADDR,
        (kind::DST_UNREACH, code::UNREACH_NOPORT) => ERRSTAT_DST_UNREACH_NOPORT,
        (kind::PACKET_TOO_BIG, _) => ERRSTAT_PACKET_TOO_BIG,
        (kind::TIME_EXCEEDED, code::TIMXCEED_INTRANS) => ERRSTAT_TIME_EXCEED_TRANSIT,
        (kind::TIME_EXCEEDED, TIMXCEED_REASS) => ERRSTAT_TIME_EXCEED_REASSEMBLY,
        (kind::PARAM_PROB, code::PARAMPROB_HEADER) => ERRSTAT_PARAMPROB_HEADER,
        (kind::PARAM_PROB, code::PARAMPROB_NEXTHEADER) => ERRSTAT_PARAMPROB_NEXTHEADER,
        (kind::PARAM_PROB, code::PARAMPROB_OPTION) => ERRSTAT_PARAMPROB_OPTION,
        (ND_REDIRECT, _) => ERRSTAT_REDIRECT,
        _ => ERRSTAT_UNKNOWN,
    };
    icmp6(inet, ICMP6_STAT_OUTERRHIST + slot);
}

impl Stats6 {
    /// `net.inet6.ip6.stats`.
    pub fn ip6_array(inet: &Inet6) -> Vec<u8> {
        let mut v = load(&inet.stats6.ip6);
        let s = &inet.stats;
        let get = |c: &AtomicU64| c.load(Relaxed);
        v[IP6_STAT_TOTAL] += get(&s.total);
        // Every packet we take is one contiguous buffer.
        v[IP6_STAT_M1] += get(&s.total);
        v[IP6_STAT_FORWARD] += get(&s.forwarded);
        // Not for us with forwarding off is "can't forward" too.
        v[IP6_STAT_CANTFORWARD] += get(&s.cantforward) + get(&s.notforus);
        v[IP6_STAT_FRAGDROPPED] += get(&s.fragdropped);
        v[IP6_STAT_FRAGTIMEOUT] += get(&s.fragtimeout);
        v[IP6_STAT_REASSEMBLED] += get(&s.reassembled);
        v[IP6_STAT_FRAGMENTED] += get(&s.fragmented);
        v[IP6_STAT_LOCALOUT] += get(&s.localout);
        bytes(&v)
    }

    /// `net.inet6.icmp6.stats`.
    pub fn icmp6_array(inet: &Inet6) -> Vec<u8> {
        let mut v = load(&inet.stats6.icmp6);
        v[ICMP6_STAT_TOOFREQ] += inet.stats.icmp_ratelimited.load(Relaxed);
        bytes(&v)
    }

    /// `net.inet6.udp6.stats`.
    pub fn udp6_array(inet: &Inet6) -> Vec<u8> {
        bytes(&load(&inet.stats6.udp6))
    }
}

/// `ICMPV6CTL_STATS` (`netinet/icmp6.h`).
const ICMPV6CTL_STATS: i32 = 1;
/// `UDP6CTL_STATS` (`netinet6/udp6_var.h`).
const UDP6CTL_STATS: i32 = 4;
/// `TCPCTL_STATS` (`netinet/tcp_var.h`): `net.inet6.tcp6.stats` is
/// TCP's one array, as NetBSD's `sysctl_net_inet_tcp_setup2` makes it for
/// both families.
const TCPCTL_STATS: i32 = 30;

type Array = fn(&Inet6) -> Vec<u8>;

/// Make `net.inet6.icmp6` and the `stats` nodes of `ip6`, `icmp6`,
/// `udp6` and `tcp6` (the last three after `register_pcblists` made
/// their parents).
pub(crate) fn register(
    k: &rump::Kernel,
    inet: &std::sync::Arc<Inet6>,
    inet4: &std::sync::Arc<rumpnet_netinet::inet::Inet>,
) -> rump::KResult<()> {
    use rump::sysctl::{NodeData, NodeSpec, SysctlValue};
    use std::sync::Arc;
    let t = k.sysctl();
    if t.name_to_mib("net.inet6.icmp6").is_err() {
        t.create(
            "net.inet6",
            NodeSpec {
                num: Some(netbsd_abi::IPPROTO_ICMPV6),
                ..NodeSpec::node("icmp6", "ICMPv6 related settings")
            },
        )?;
    }
    let arrays: [(&str, i32, &str, Array); 3] = [
        (
            "net.inet6.ip6",
            netbsd_abi::IPV6CTL_STATS,
            "IPv6 statistics",
            Stats6::ip6_array,
        ),
        (
            "net.inet6.icmp6",
            ICMPV6CTL_STATS,
            "ICMPv6 transmission statistics",
            Stats6::icmp6_array,
        ),
        (
            "net.inet6.udp6",
            UDP6CTL_STATS,
            "UDPv6 statistics",
            Stats6::udp6_array,
        ),
    ];
    let stats = |read: Arc<dyn Fn() -> SysctlValue + Send + Sync>, desc: &str| NodeSpec {
        ..NodeSpec::new("stats", 0, desc, NodeData::Dynamic { read, write: None })
    };
    for (parent, num, desc, array) in arrays {
        let w = Arc::downgrade(inet);
        let read: Arc<dyn Fn() -> SysctlValue + Send + Sync> =
            Arc::new(move || SysctlValue::Struct(w.upgrade().map_or_else(Vec::new, |i| array(&i))));
        t.create(
            parent,
            NodeSpec {
                num: Some(num),
                ..stats(read, desc)
            },
        )?;
    }
    let w4 = Arc::downgrade(inet4);
    let read: Arc<dyn Fn() -> SysctlValue + Send + Sync> = Arc::new(move || {
        SysctlValue::Struct(w4.upgrade().map_or_else(Vec::new, |i| i.stats.tcp_array()))
    });
    t.create(
        "net.inet6.tcp6",
        NodeSpec {
            num: Some(TCPCTL_STATS),
            ..stats(read, "TCP statistics")
        },
    )?;
    Ok(())
}
