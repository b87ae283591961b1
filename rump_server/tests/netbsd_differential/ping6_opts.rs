use crate::*;

/// NetBSD's ping6 with its options (issue #20), NetBSD's own binary
/// against both kernels: packet sizes (`-s`, none and too small to
/// carry a time stamp, so no `time=`), hop limits (`-h`, with one out of
/// range; one in range needs `IPV6_MULTICAST_HOPS` on UDP sockets), a fill pattern (`-p`, echoed back and checked by ping6), the
/// outgoing interface (a bad one) and source address (`-S`, bound), quiet
/// output (`-q`), preloading (`-l`), stopping at the first reply (`-o`),
/// socket buffers (`-b`), `SO_DEBUG` (`-d`) and
/// bad arguments; every reply passes the kernel's `ICMP6_FILTER`, which
/// ping6 sets to echo replies only. (`-v` and `-I` with a good interface
/// need `IPV6_RECVHOPOPTS` on raw sockets and a sticky `IPV6_PKTINFO` on
/// UDP ones, and `-m` needs `IPV6_RECVPATHMTU`, which our kernel does
/// not have yet.)
const PING6_OPTS_STEPS: &[Step] = &[
    ("ping6", &["-c", "1", "-s", "100", "::1"]),
    ("ping6", &["-c", "1", "-s", "0", "::1"]),
    ("ping6", &["-c", "1", "-s", "4", "-n", "::1"]),
    ("ping6", &["-c", "1", "-s", "70000", "::1"]),
    ("ping6", &["-c", "1", "-h", "300", "::1"]),
    ("ping6", &["-c", "1", "-p", "abcd", "-s", "20", "::1"]),
    ("ping6", &["-c", "1", "-p", "xyz", "::1"]),
    ("ping6", &["-c", "1", "-q", "::1"]),
    ("ping6", &["-c", "1", "-I", "nosuch0", "::1"]),
    ("ping6", &["-c", "1", "-S", "::1", "::1"]),
    ("ping6", &["-c", "1", "-S", "not-an-address", "::1"]),
    ("ping6", &["-c", "3", "-l", "2", "-q", "::1"]),
    ("ping6", &["-c", "5", "-o", "::1"]),
    ("ping6", &["-c", "1", "-b", "100000", "::1"]),
    ("ping6", &["-c", "1", "-d", "-H", "::1"]),
    ("ping6", &["-c", "0", "::1"]),
    ("ping6", &["-c", "1", "-q", "2001:db8:77::1"]),
];

/// Steps of [`PING6_OPTS_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const PING6_OPTS_NOT_YET: &[NotYet] = &[];

#[test]
fn ping6_opts() {
    differential("ping6_opts", &[], PING6_OPTS_STEPS, PING6_OPTS_NOT_YET);
}
