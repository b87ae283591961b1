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

impl Stats {
    /// Add one to `c`.
    pub fn bump(&self, c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    /// Add `n` to `c`.
    pub fn add(&self, c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }
}
