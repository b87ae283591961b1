use crate::*;

/// What NetBSD's tools show of the answers issue #16 found different and
/// the tool work made the same: no kernel node has a description
/// (`sysctl -d`), mount_tmpfs's and umount's lookups and refusals.
const TOOLS_AND_SOCKETS_STEPS: &[Step] = &[
    (
        "sysctl",
        &[
            "-d",
            "net.inet.tcp.mssdflt",
            "net.inet.ip.forwarding",
            "net.inet.udp.sendspace",
            "kern.ostype",
        ],
    ),
    ("sysctl", &["-d", "net"]),
    ("sysctl", &["-d", "net.local"]),
    ("mount", &["-t", "norumpfs"]),
    ("mkdir", &["/m"]),
    ("mount_tmpfs", &["-o", "rdonly", "tmpfs", "/m"]),
    ("mount", &[]),
    ("mount_tmpfs", &["-o", "bogus", "tmpfs", "/m"]),
    ("mount_tmpfs", &["tmpfs", "/nothing"]),
    ("mount_tmpfs", &["tmpfs", "/m//"]),
    ("umount", &["/m/"]),
    ("umount", &["/m"]),
    ("umount", &["/nothing"]),
    ("umount", &["-R", "/m"]),
    (
        "mount_tmpfs",
        &["-s", "1m", "-m", "700", "-u", "5", "tmpfs", "/m"],
    ),
    ("ls", &["-ld", "/m"]),
    ("umount", &["-f", "/m"]),
];

/// Steps of [`TOOLS_AND_SOCKETS_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const TOOLS_AND_SOCKETS_NOT_YET: &[NotYet] = &[];

#[test]
fn tools_and_sockets() {
    differential(
        "tools_and_sockets",
        &[],
        TOOLS_AND_SOCKETS_STEPS,
        TOOLS_AND_SOCKETS_NOT_YET,
    );
}
