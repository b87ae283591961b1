//! Protocol counters, as `netstat -s` reports them.

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! counters {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {
        /// The IPv4, ICMP, UDP and ARP counters of one stack.
        #[derive(Debug)]
        pub struct Stats {
            $($(#[$m])* pub $name: AtomicU64,)*
            /// ICMP messages sent, by type.
            pub icmp_outhist: [AtomicU64; 256],
            /// ICMP messages received, by type.
            pub icmp_inhist: [AtomicU64; 256],
        }

        impl Default for Stats {
            fn default() -> Stats {
                Stats {
                    $($name: AtomicU64::new(0),)*
                    icmp_outhist: std::array::from_fn(|_| AtomicU64::new(0)),
                    icmp_inhist: std::array::from_fn(|_| AtomicU64::new(0)),
                }
            }
        }

        impl Stats {
            /// Every named counter with its value.
            pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name.load(Ordering::Relaxed)),)*]
            }
        }
    };
}

counters! {
    /// Datagrams received.
    ip_total,
    /// Datagrams with a bad header checksum.
    ip_badsum,
    /// Datagrams too short for their header or length.
    ip_tooshort,
    /// Datagrams with a bad source address.
    ip_badaddr,
    /// Fragments received.
    ip_fragments,
    /// Fragments dropped (duplicates, no room).
    ip_fragdropped,
    /// Fragments dropped after the reassembly timeout.
    ip_fragtimeout,
    /// Datagrams reassembled.
    ip_reassembled,
    /// Datagrams delivered to a protocol.
    ip_delivered,
    /// Datagrams for an unknown protocol.
    ip_noproto,
    /// Datagrams forwarded.
    ip_forward,
    /// Datagrams not forwarded (forwarding off).
    ip_cantforward,
    /// Datagrams with no route.
    ip_noroute,
    /// Datagrams sent by the stack's own protocols.
    ip_localout,
    /// Datagrams sent with a header from the socket.
    ip_rawout,
    /// Datagrams fragmented on output.
    ip_fragmented,
    /// Fragments made on output.
    ip_ofragments,
    /// Datagrams that needed fragmenting but had DF.
    ip_cantfrag,
    /// ICMP error messages sent.
    icmp_error,
    /// ICMP errors not sent because the datagram was itself an ICMP error.
    icmp_oldicmp,
    /// ICMP messages too short.
    icmp_tooshort,
    /// ICMP messages with a bad checksum.
    icmp_checksum,
    /// ICMP messages answered (echo).
    icmp_reflect,
    /// UDP datagrams received.
    udp_ipackets,
    /// UDP datagrams with a bad header.
    udp_hdrops,
    /// UDP datagrams with a bad checksum.
    udp_badsum,
    /// UDP datagrams for a port nobody listens on.
    udp_noport,
    /// ... sent to a broadcast address.
    udp_noportbcast,
    /// UDP datagrams dropped because the socket's buffer was full.
    udp_fullsock,
    /// UDP datagrams sent.
    udp_opackets,
    /// TCP segments received.
    tcp_rcvtotal,
    /// TCP segments with a bad checksum.
    tcp_rcvbadsum,
    /// TCP segments too short.
    tcp_rcvshort,
    /// TCP segments for no connection.
    tcp_noport,
    /// TCP segments sent.
    tcp_sndtotal,
    /// Resets sent for segments nobody wanted.
    tcp_sndrst,
    /// Connections initiated.
    tcp_connattempt,
    /// Connections established by us.
    tcp_connects,
    /// Connections accepted.
    tcp_accepts,
    /// Connections ready to accept.
    tcp_accepts_ready,
    /// SYNs dropped because the listen queue was full.
    tcp_listendrop,
    /// Connections dropped (reset by close).
    tcp_drops,
    /// ARP packets sent.
    arp_sent,
    /// ARP packets received.
    arp_received,
    /// ARP packets malformed.
    arp_bad,
}

/// The `net.inet.*.stats` arrays: NetBSD's `uint64_t` counters by their
/// `*_STAT_*` index, and how many there are.
pub const IP_NSTATS: usize = 30;
/// See [`IP_NSTATS`].
pub const ICMP_NSTATS: usize = 98;
/// See [`IP_NSTATS`].
pub const TCP_NSTATS: usize = 76;
/// See [`IP_NSTATS`].
pub const UDP_NSTATS: usize = 9;
/// `ICMP_NTYPES`: the types the histograms count.
const ICMP_NTYPES: usize = netbsd_abi::ICMP_NTYPES as usize;

fn array(n: usize, vals: &[(usize, &AtomicU64)]) -> Vec<u8> {
    let mut v = vec![0u64; n];
    for (i, c) in vals {
        v[*i] = c.load(Ordering::Relaxed);
    }
    v.iter().flat_map(|x| x.to_ne_bytes()).collect()
}

impl Stats {
    /// `net.inet.ip.stats` (`IP_STAT_*`).
    pub fn ip_array(&self) -> Vec<u8> {
        array(
            IP_NSTATS,
            &[
                (0, &self.ip_total),
                (1, &self.ip_badsum),
                (2, &self.ip_tooshort),
                (6, &self.ip_fragments),
                (7, &self.ip_fragdropped),
                (8, &self.ip_fragtimeout),
                (9, &self.ip_forward),
                (11, &self.ip_cantforward),
                (13, &self.ip_noproto),
                (14, &self.ip_delivered),
                (15, &self.ip_localout),
                (17, &self.ip_reassembled),
                (18, &self.ip_fragmented),
                (19, &self.ip_ofragments),
                (20, &self.ip_cantfrag),
                (22, &self.ip_noroute),
                (24, &self.ip_rawout),
                (29, &self.ip_badaddr),
            ],
        )
    }

    /// `net.inet.icmp.stats` (`ICMP_STAT_*`, then the output and input
    /// histograms by type).
    pub fn icmp_array(&self) -> Vec<u8> {
        let mut vals = vec![
            (0, &self.icmp_error),
            (2, &self.icmp_oldicmp),
            (4, &self.icmp_tooshort),
            (5, &self.icmp_checksum),
            (7, &self.icmp_reflect),
        ];
        for t in 0..ICMP_NTYPES {
            vals.push((16 + t, &self.icmp_outhist[t]));
            vals.push((16 + ICMP_NTYPES + t, &self.icmp_inhist[t]));
        }
        array(ICMP_NSTATS, &vals)
    }

    /// `net.inet.tcp.stats` (`TCP_STAT_*`).
    pub fn tcp_array(&self) -> Vec<u8> {
        array(
            TCP_NSTATS,
            &[
                (0, &self.tcp_connattempt),
                (1, &self.tcp_accepts),
                (2, &self.tcp_connects),
                (3, &self.tcp_drops),
                (18, &self.tcp_sndtotal),
                (28, &self.tcp_rcvtotal),
                (31, &self.tcp_rcvbadsum),
                (34, &self.tcp_rcvshort),
                (54, &self.tcp_noport),
                // A full listen queue: the SYN cache's "dropped due to
                // overflow".
                (60, &self.tcp_listendrop),
            ],
        )
    }

    /// `net.inet.udp.stats` (`UDP_STAT_*`).
    pub fn udp_array(&self) -> Vec<u8> {
        array(
            UDP_NSTATS,
            &[
                (0, &self.udp_ipackets),
                (1, &self.udp_hdrops),
                (2, &self.udp_badsum),
                (4, &self.udp_noport),
                (5, &self.udp_noportbcast),
                (6, &self.udp_fullsock),
                (8, &self.udp_opackets),
            ],
        )
    }

    /// Add one to `c`.
    pub fn bump(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Add `n` to `c`.
    pub fn add(&self, c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}
