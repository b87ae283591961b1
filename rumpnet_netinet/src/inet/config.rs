//! The tunables under `net.inet` that the IPv4 stack and its protocols
//! read, with NetBSD's defaults.

use super::PR_SLOWHZ;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU8, AtomicU16, AtomicU32};

/// Tunables under `net.inet`.
pub struct Config {
    /// `net.inet.ip.forwarding`.
    pub forwarding: AtomicBool,
    /// `net.inet.ip.ttl`.
    pub ttl: AtomicU8,
    /// `net.inet.ip.anonportmin`.
    pub anonportmin: AtomicU16,
    /// `net.inet.ip.anonportmax`.
    pub anonportmax: AtomicU16,
    /// `net.inet.icmp.bmcastecho`: answer pings to broadcast addresses.
    pub bmcastecho: AtomicBool,
    /// `net.inet.ip.lowportmin`: the privileged range's lowest port, for
    /// sockets asking `IP_PORTRANGE_LOW`.
    pub lowportmin: AtomicU16,
    /// `net.inet.ip.lowportmax`.
    pub lowportmax: AtomicU16,
    /// `net.inet.ip.hostzerobroadcast`: a subnet's host-zero address is a
    /// broadcast address too.
    pub hostzerobroadcast: AtomicBool,
    /// `net.inet.ip.checkinterface`: accept a datagram for one of our
    /// addresses only on that address's interface (the strong ES model).
    pub checkinterface: AtomicBool,
    /// `net.inet.ip.random_id`: random datagram identifications.
    pub random_id: AtomicBool,
    /// `net.inet.icmp.returndatabytes`: how much of an offending
    /// datagram's payload an ICMP error quotes.
    pub icmp_returndatabytes: AtomicU32,
    /// `net.inet.udp.checksum`: UDP datagrams sent carry a checksum.
    pub udp_checksum: AtomicBool,
    /// `net.inet.tcp.mssdflt`: the peer's MSS when its SYN names none.
    pub tcp_mssdflt: AtomicU16,
    /// `net.inet.udp.sendspace`: a new UDP socket's send buffer.
    pub udp_sendspace: AtomicU32,
    /// `net.inet.udp.recvspace`: a new UDP socket's receive buffer.
    pub udp_recvspace: AtomicU32,
    /// `net.inet.tcp.sendspace`: a new TCP socket's send buffer.
    pub tcp_sendspace: AtomicU32,
    /// `net.inet.tcp.recvspace`: a new TCP socket's receive buffer.
    pub tcp_recvspace: AtomicU32,
    /// `net.inet.tcp.sendbuf_auto`: grow send buffers as the window allows.
    pub tcp_sendbuf_auto: AtomicBool,
    /// `net.inet.tcp.sendbuf_inc`: by this much a step.
    pub tcp_sendbuf_inc: AtomicU32,
    /// `net.inet.tcp.sendbuf_max`: up to this.
    pub tcp_sendbuf_max: AtomicU32,
    /// `net.inet.tcp.recvbuf_auto`: grow receive buffers as data arrives.
    pub tcp_recvbuf_auto: AtomicBool,
    /// `net.inet.tcp.recvbuf_inc`: by this much a step.
    pub tcp_recvbuf_inc: AtomicU32,
    /// `net.inet.tcp.recvbuf_max`: up to this.
    pub tcp_recvbuf_max: AtomicU32,
    /// `net.inet.tcp.keepidle`, in slow ticks (`PR_SLOWHZ` a second): how
    /// long a connection with `SO_KEEPALIVE` idles before the first probe.
    pub tcp_keepidle: AtomicU32,
    /// `net.inet.tcp.keepintvl`, slow ticks between probes.
    pub tcp_keepintvl: AtomicU32,
    /// `net.inet.tcp.keepcnt`: probes unanswered before the connection
    /// is dropped.
    pub tcp_keepcnt: AtomicU32,
    /// `net.inet.tcp.msl`, seconds: TIME_WAIT lasts twice this.
    pub tcp_msl: AtomicU32,
    /// `net.inet.tcp.rfc1323`: offer window scaling and timestamps.
    pub tcp_rfc1323: AtomicBool,
    /// `net.inet.ip.dad_count`: ARP probes a new address sends before it
    /// is used (0: none, the address is usable at once).
    pub dad_count: AtomicI32,
    /// `net.inet.ip.mtudisc`: path MTU discovery (RFC 1191), TCP's
    /// segments sent with DF (any value but 0, kept as written).
    pub mtudisc: AtomicI32,
    /// `net.inet.ip.mtudisctimeout`: seconds a path MTU learnt lasts.
    pub mtudisc_timeout: AtomicI32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            // NetBSD's rump kernel forwards (its netinet component
            // is built with IPFORWARDING).
            forwarding: AtomicBool::new(true),
            ttl: AtomicU8::new(64),
            anonportmin: AtomicU16::new(49152),
            anonportmax: AtomicU16::new(65535),
            bmcastecho: AtomicBool::new(false),
            // NetBSD's defaults.
            lowportmin: AtomicU16::new(600),
            lowportmax: AtomicU16::new(1023),
            hostzerobroadcast: AtomicBool::new(false),
            checkinterface: AtomicBool::new(false),
            random_id: AtomicBool::new(false),
            icmp_returndatabytes: AtomicU32::new(8),
            udp_checksum: AtomicBool::new(true),
            tcp_mssdflt: AtomicU16::new(crate::tcp::conn::DEFAULT_MSS),
            udp_sendspace: AtomicU32::new(crate::udp::SENDSPACE as u32),
            udp_recvspace: AtomicU32::new(crate::udp::RECVSPACE as u32),
            tcp_sendspace: AtomicU32::new(32 << 10),
            tcp_recvspace: AtomicU32::new(32 << 10),
            tcp_sendbuf_auto: AtomicBool::new(true),
            tcp_sendbuf_inc: AtomicU32::new(8 << 10),
            tcp_sendbuf_max: AtomicU32::new(256 << 10),
            tcp_recvbuf_auto: AtomicBool::new(true),
            tcp_recvbuf_inc: AtomicU32::new(16 << 10),
            tcp_recvbuf_max: AtomicU32::new(256 << 10),
            tcp_msl: AtomicU32::new(30),
            tcp_keepidle: AtomicU32::new(7200 * PR_SLOWHZ),
            tcp_keepintvl: AtomicU32::new(75 * PR_SLOWHZ),
            tcp_keepcnt: AtomicU32::new(8),
            tcp_rfc1323: AtomicBool::new(true),
            dad_count: AtomicI32::new(crate::dad::PROBE_NUM),
            // IPMTUDISC and IPMTUDISCTIMEOUT (netinet/ip_input.c).
            mtudisc: AtomicI32::new(1),
            mtudisc_timeout: AtomicI32::new(600),
        }
    }
}
