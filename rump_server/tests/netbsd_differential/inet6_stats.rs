use crate::*;

/// IPv6's statistics (issue #20): `net.inet6.{ip6,icmp6,udp6,tcp6}.stats`
/// exist as NetBSD's arrays of `uint64_t` (sysctl(8) sends a plain read
/// to netstat, and `-x` shows the first two counters and the size), and
/// on a fresh kernel two echo requests to ::1 and their replies count
/// four packets received.
const INET6_STATS_STEPS: &[Step] = &[
    ("sysctl", &["net.inet6.ip6.stats"]),
    ("sysctl", &["net.inet6.icmp6.stats"]),
    ("sysctl", &["-x", "net.inet6.ip6.stats"]),
    ("sysctl", &["-x", "net.inet6.icmp6.stats"]),
    ("sysctl", &["-xx", "net.inet6.udp6.stats"]),
    ("sysctl", &["-x", "net.inet6.tcp6.stats"]),
    ("ping6", &["-c", "2", "-n", "::1"]),
    ("sysctl", &["-x", "net.inet6.ip6.stats"]),
    ("sysctl", &["-x", "net.inet6.icmp6.stats"]),
    ("sysctl", &["-xx", "net.inet6.udp6.stats"]),
];

/// Steps of [`INET6_STATS_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const INET6_STATS_NOT_YET: &[NotYet] = &[];

#[test]
fn inet6_stats() {
    differential("inet6_stats", &[], INET6_STATS_STEPS, INET6_STATS_NOT_YET);
}
