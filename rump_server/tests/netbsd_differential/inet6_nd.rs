use crate::*;

/// Router discovery, redirects and path MTU's knobs (issue #20): the
/// default router and prefix lists `ndp -r` and `ndp -p` read (empty of
/// routers at boot; the prefixes of addresses configured by hand, one
/// added and deleted), and the `net.inet6.ip6` and `net.inet6.icmp6`
/// nodes for advertisements and redirects, set and read back.
const INET6_ND_STEPS: &[Step] = &[
    ("ndp", &["-r"]),
    ("ndp", &["-p"]),
    (
        "ifconfig",
        &["lo0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    ),
    ("ndp", &["-p"]),
    ("ifconfig", &["lo0", "inet6", "2001:db8::1", "-alias"]),
    ("ndp", &["-p"]),
    ("sysctl", &["net.inet6.ip6.redirect"]),
    ("sysctl", &["net.inet6.icmp6.rediraccept"]),
    ("sysctl", &["net.inet6.icmp6.redirtimeout"]),
    ("sysctl", &["-w", "net.inet6.icmp6.redirtimeout=300"]),
    ("sysctl", &["net.inet6.icmp6.redirtimeout"]),
    ("sysctl", &["-w", "net.inet6.ip6.redirect=0"]),
    ("sysctl", &["net.inet6.ip6.redirect"]),
    ("sysctl", &["-w", "net.inet6.ip6.accept_rtadv=1"]),
    ("sysctl", &["net.inet6.ip6.accept_rtadv"]),
    ("ndp", &["-r"]),
    ("sysctl", &["-w", "net.inet6.ip6.accept_rtadv=0"]),
];

/// Steps of [`INET6_ND_STEPS`] that do not behave as on NetBSD's kernel
/// yet.
const INET6_ND_NOT_YET: &[NotYet] = &[];

#[test]
fn inet6_nd() {
    differential("inet6_nd", &[], INET6_ND_STEPS, INET6_ND_NOT_YET);
}
