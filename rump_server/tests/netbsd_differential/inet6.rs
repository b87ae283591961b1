use crate::*;

/// IPv6 at boot and on lo0 (issue #20): lo0's addresses, ping6 of ::1
/// and of fe80::1 with its scope, an address added and deleted, the
/// neighbour cache, and the `net.inet6.ip6` nodes the stack has.
const INET6_STEPS: &[Step] = &[
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["-a"]),
    ("ping6", &["-c", "2", "::1"]),
    ("ping6", &["-c", "1", "-n", "fe80::1%lo0"]),
    ("ndp", &["-a"]),
    ("ndp", &["-an"]),
    ("sysctl", &["net.inet6.ip6.forwarding"]),
    ("sysctl", &["net.inet6.ip6.hlim"]),
    ("sysctl", &["net.inet6.ip6.dad_count"]),
    ("sysctl", &["net.inet6.ip6.accept_rtadv"]),
    ("sysctl", &["-w", "net.inet6.ip6.hlim=32"]),
    ("ping6", &["-c", "1", "::1"]),
    ("sysctl", &["-w", "net.inet6.ip6.hlim=64"]),
    (
        "ifconfig",
        &["lo0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    ),
    ("ifconfig", &["lo0"]),
    ("ping6", &["-c", "1", "2001:db8::1"]),
    ("ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]),
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]),
    ("route", &["-n", "show", "-inet6"]),
    ("sysctl", &["-w", "net.inet6.ip6.forwarding=1"]),
];

/// Steps of [`INET6_STEPS`] that do not behave as on NetBSD's kernel yet.
const INET6_NOT_YET: &[NotYet] = &[
    (
        "route -n show -inet6",
        "IPv6 routes are not in the routing table yet (#20): NetBSD lists lo0's host, \
         link-local and multicast routes",
    ),
    (
        "sysctl -w net.inet6.ip6.forwarding=1",
        "IPv6 forwarding is not built yet (#20): ours refuses with EOPNOTSUPP",
    ),
];

#[test]
fn inet6() {
    differential("inet6", &[], INET6_STEPS, INET6_NOT_YET);
}
