use crate::*;

/// The network at boot and NetBSD's network tools (issue #16): interfaces
/// and their addresses, the routes addresses bring and the ones route(8)
/// adds, the ARP table, and the `net.inet` nodes. Each side's shmif bus
/// file is in its own directory.
const NETWORK_STEPS: &[Step] = &[
    ("ifconfig", &["-l"]),
    ("ifconfig", &["-a"]),
    ("ifconfig", &["lo0"]),
    ("ifconfig", &["-C"]),
    ("ifconfig", &["lo0", "mtu", "1500"]),
    ("ifconfig", &["lo0", "mtu", "100000"]),
    (
        "ifconfig",
        &["lo0", "inet", "127.0.0.2", "netmask", "255.0.0.0", "alias"],
    ),
    ("route", &["-n", "show", "-inet"]),
    ("route", &["-n", "get", "127.0.0.2"]),
    ("ifconfig", &["lo0", "inet", "127.0.0.2", "-alias"]),
    ("ifconfig", &["lo0", "inet", "127.0.0.2", "-alias"]),
    ("route", &["-n", "get", "127.0.0.2"]),
    ("route", &["-n", "show"]),
    ("ifconfig", &["nosuch0"]),
    ("ifconfig", &["nosuch0", "create"]),
    ("ifconfig", &["shmif0", "create"]),
    ("ifconfig", &["shmif0", "create"]),
    ("ifconfig", &["shmif0", "linkstr", "bus"]),
    (
        "ifconfig",
        &[
            "shmif0",
            "inet",
            "10.0.0.1",
            "netmask",
            "255.255.255.0",
            "up",
        ],
    ),
    ("ifconfig", &["-l"]),
    ("ifconfig", &["shmif0"]),
    ("route", &["-n", "show", "-inet"]),
    ("route", &["-n", "get", "10.0.0.1"]),
    ("route", &["-n", "get", "127.0.0.1"]),
    ("route", &["-n", "get", "192.168.1.1"]),
    ("route", &["add", "-net", "192.168.5.0/24", "10.0.0.9"]),
    ("route", &["add", "-net", "192.168.5.0/24", "10.0.0.9"]),
    ("route", &["add", "-host", "192.168.6.1", "10.0.0.9"]),
    ("route", &["add", "-net", "172.16.0.0/16", "10.1.0.1"]),
    ("route", &["add", "default", "10.0.0.254"]),
    ("route", &["-n", "show", "-inet"]),
    ("route", &["-n", "get", "192.168.5.7"]),
    ("route", &["-n", "get", "8.8.8.8"]),
    ("route", &["delete", "default"]),
    ("route", &["delete", "-net", "192.168.5.0/24"]),
    ("route", &["delete", "-net", "192.168.5.0/24"]),
    ("route", &["delete", "-host", "192.168.6.1"]),
    ("route", &["-n", "show", "-inet"]),
    ("arp", &["-an"]),
    ("arp", &["-n", "10.0.0.1"]),
    ("arp", &["-d", "10.0.0.9"]),
    ("arp", &["-d", "10.5.0.9"]),
    ("arp", &["-s", "10.0.0.7", "b2:a0:00:00:00:07"]),
    ("arp", &["-s", "10.0.0.7", "b2:a0:00:00:00:08"]),
    ("arp", &["-s", "10.0.0.8", "b2:a0:00:00:00:08", "temp"]),
    ("arp", &["-s", "10.9.0.7", "b2:a0:00:00:00:07"]),
    ("arp", &["-an"]),
    ("arp", &["-n", "10.0.0.7"]),
    ("arp", &["-d", "10.0.0.7"]),
    ("arp", &["-d", "-a"]),
    ("arp", &["-an"]),
    ("sysctl", &["net.inet.ip.ttl"]),
    ("sysctl", &["-w", "net.inet.ip.ttl=32"]),
    ("sysctl", &["net.inet.ip.ttl"]),
    ("sysctl", &["net.inet.ip.forwarding"]),
    (
        "sysctl",
        &["net.inet.ip.lowportmin", "net.inet.ip.lowportmax"],
    ),
    ("sysctl", &["-w", "net.inet.ip.lowportmax=1024"]),
    ("sysctl", &["-w", "net.inet.ip.anonportmin=1000"]),
    ("sysctl", &["net.inet.arp.keep", "net.inet.arp.down"]),
    (
        "sysctl",
        &["net.inet.icmp.returndatabytes", "net.inet.icmp.bmcastecho"],
    ),
    (
        "sysctl",
        &["net.inet.udp.sendspace", "net.inet.udp.recvspace"],
    ),
    (
        "sysctl",
        &["net.inet.tcp.sendspace", "net.inet.tcp.recvspace"],
    ),
    (
        "sysctl",
        &[
            "net.inet.tcp.keepidle",
            "net.inet.tcp.keepintvl",
            "net.inet.tcp.keepcnt",
            "net.inet.tcp.slowhz",
        ],
    ),
    ("sysctl", &["-w", "net.inet.tcp.slowhz=3"]),
    ("sysctl", &["net.inet.udp.checksum", "net.inet.tcp.mssdflt"]),
    (
        "ifconfig",
        &[
            "shmif0",
            "inet",
            "10.0.0.2",
            "netmask",
            "255.255.255.0",
            "alias",
        ],
    ),
    ("route", &["-n", "show", "-inet"]),
    ("ifconfig", &["shmif0", "inet", "10.0.0.1", "-alias"]),
    ("route", &["-n", "show", "-inet"]),
    ("ifconfig", &["shmif0", "destroy"]),
    ("route", &["-n", "show", "-inet"]),
    ("ifconfig", &["shmif0", "up"]),
    ("ifconfig", &["lo0", "down"]),
    ("ifconfig", &["lo0", "up"]),
];

/// Steps of [`NETWORK_STEPS`] that do not behave as on NetBSD's kernel yet.
const NETWORK_NOT_YET: &[NotYet] = &[
    (
        "ifconfig -C",
        "we build the lo, shmif and virt cloners only (no tap, bridge, gif, carp, ...)",
    ),
    (
        "ifconfig shmif0",
        "NetBSD gives shmif0 an IPv6 link-local address (#20)",
    ),
];

#[test]
fn netbsd_network_tools_behave_on_our_kernel_as_on_netbsds() {
    differential("network", &[], NETWORK_STEPS, NETWORK_NOT_YET);
}
