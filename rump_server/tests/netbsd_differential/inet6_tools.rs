use crate::*;

/// IPv6's tools and routes beyond the basics (issue #20): reject and
/// blackhole routes added with route(8)'s `-inet6 ... -reject` and
/// `-blackhole` (network and host routes through ::1), shown, looked up
/// and met by ping6 (a reject route to a network refuses the echo request
/// with ENETUNREACH), IPv4's beside them; neighbour entries added by hand
/// with ndp(8)'s `-s` (permanent, temp, proxy; one there already, one off
/// every link, our own address, ::1), shown one at a time (the order of a
/// whole listing follows NetBSD's hash table) and deleted with `-d`.
const INET6_TOOLS_STEPS: &[Step] = &[
    (
        "route",
        &[
            "add",
            "-inet6",
            "2001:db8:1::",
            "-prefixlen",
            "48",
            "::1",
            "-reject",
        ],
    ),
    (
        "route",
        &[
            "add",
            "-inet6",
            "2001:db8:2::",
            "-prefixlen",
            "48",
            "::1",
            "-blackhole",
        ],
    ),
    (
        "route",
        &["add", "-inet6", "2001:db8:3::1", "::1", "-reject"],
    ),
    (
        "route",
        &["add", "-inet6", "2001:db8:4::1", "::1", "-blackhole"],
    ),
    ("route", &["-n", "show", "-inet6"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:1::5"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:2::5"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:3::1"]),
    ("route", &["-n", "get", "-inet6", "2001:db8:4::1"]),
    ("ping6", &["-c", "1", "-n", "2001:db8:1::5"]),
    (
        "route",
        &["delete", "-inet6", "2001:db8:1::", "-prefixlen", "48"],
    ),
    ("route", &["delete", "-inet6", "2001:db8:4::1"]),
    ("route", &["-n", "show", "-inet6"]),
    ("route", &["add", "10.9.0.0/16", "127.0.0.1", "-reject"]),
    ("route", &["add", "10.8.0.0/16", "127.0.0.1", "-blackhole"]),
    ("route", &["-n", "show", "-inet"]),
    ("route", &["-n", "get", "10.8.0.1"]),
    ("ping", &["-c", "1", "-n", "10.9.0.5"]),
    ("ifconfig", &["shmif0", "create"]),
    ("ifconfig", &["shmif0", "linkstr", "bus"]),
    ("ifconfig", &["shmif0", "up"]),
    (
        "ifconfig",
        &["shmif0", "inet6", "2001:db8::1", "prefixlen", "64", "alias"],
    ),
    ("ifconfig", &["-w", "10"]),
    ("ndp", &["-s", "2001:db8::5", "0:11:22:33:44:55"]),
    ("ndp", &["-s", "2001:db8::5", "0:11:22:33:44:56"]),
    ("ndp", &["-s", "2001:db8:7::1", "0:11:22:33:44:57"]),
    ("ndp", &["-s", "2001:db8::1", "0:11:22:33:44:58"]),
    ("ndp", &["-s", "::1", "0:11:22:33:44:59"]),
    ("ndp", &["-s", "fe80::9%shmif0", "0:1:2:3:4:9"]),
    ("ndp", &["-s", "2001:db8::6", "0:11:22:33:44:66", "temp"]),
    ("ndp", &["-n", "2001:db8::5"]),
    ("ndp", &["-n", "fe80::9%shmif0"]),
    ("ndp", &["-n", "2001:db8::6"]),
    ("ndp", &["-s", "2001:db8::7", "0:11:22:33:44:77", "proxy"]),
    ("ndp", &["-n", "2001:db8::7"]),
    ("ndp", &["-d", "2001:db8::5"]),
    ("ndp", &["-n", "2001:db8::5"]),
    ("ndp", &["-d", "2001:db8::5"]),
    ("ndp", &["-d", "2001:db8::7"]),
    ("ndp", &["-d", "fe80::9%shmif0"]),
    ("ndp", &["-n", "fe80::9%shmif0"]),
];

/// Steps of [`INET6_TOOLS_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const INET6_TOOLS_NOT_YET: &[NotYet] = &[];

#[test]
fn inet6_tools() {
    differential("inet6_tools", &[], INET6_TOOLS_STEPS, INET6_TOOLS_NOT_YET);
}
