use crate::*;

/// `line` with `<ms>` for the round-trip times `ping` measures (`time=0.838
/// ms`, and the `round-trip min/avg/max/stddev = ...` figures): how long a
/// packet takes is the one thing two kernels never agree on.
pub(crate) fn normalize_ping_times(line: &str) -> String {
    if let Some(at) = line.find(" time=")
        && line.ends_with(" ms")
    {
        return format!("{} time=<ms> ms", &line[..at]);
    }
    if line.starts_with("round-trip ")
        && let Some(at) = line.find(" = ")
    {
        return format!("{} = <ms>", &line[..at]);
    }
    line.to_owned()
}

/// More of the rumpctrl set, on the same drive pair as [`ffs_tools::FFS_DRIVES`]: the
/// generic `fsck`, the MS-DOS and ext2 tools (their userland parts work on
/// our raw device; mounting needs file systems we do not build), the
/// device-driver tools of drivers we do not build, `ndp`, `ping` and the
/// module list, and `halt` last.
const MORE_TOOLS_STEPS: &[Step] = &[
    ("newfs", &["/dev/rdk"]),
    ("fsck", &["-n", "/dev/rdk"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    // msgfmt=quiet: the transfer's time differs by nature.
    (
        "dd",
        &[
            "if=/dev/rdk",
            "of=/dev/null",
            "bs=512",
            "count=2",
            "msgfmt=quiet",
        ],
    ),
    ("newfs_msdos", &["/dev/rdk"]),
    ("fsck_msdos", &["-n", "/dev/rdk"]),
    ("mount_msdos", &["/dev/dk", "/tmp"]),
    ("newfs_ext2fs", &["/dev/rdk"]),
    ("fsck_ext2fs", &["-n", "/dev/rdk"]),
    ("mount_ext2fs", &["/dev/dk", "/tmp"]),
    ("cgdconfig", &["-l"]),
    ("raidctl", &["-s", "raid0"]),
    ("npfctl", &["show"]),
    ("mixerctl", &["-a"]),
    ("pcictl", &["pci0", "list"]),
    ("wlanctl", &["-a"]),
    ("rtadvd", &["-h"]),
    ("ndp", &["-a"]),
    ("ping", &["-c", "1", "127.0.0.1"]),
    ("ping", &["-c", "2", "-n", "127.0.0.1"]),
    ("ping6", &["-c", "1", "::1"]),
    ("modstat", &["-n", "tmpfs"]),
    ("halt", &[]),
];

/// Steps of [`MORE_TOOLS_STEPS`] that do not behave as on NetBSD's kernel.
const MORE_TOOLS_NOT_YET: &[NotYet] = &[
    ("mount_msdos /dev/dk /tmp", "we build no msdosfs"),
    ("mount_ext2fs /dev/dk /tmp", "we build no ext2fs"),
    ("raidctl -s raid0", "we build no RAIDframe"),
    ("npfctl show", "we build no npf"),
    ("mixerctl -a", "we build no audio drivers"),
    (
        "modstat -n tmpfs",
        "NetBSD's modstat sizes its name column by its longest module (npf_ext_normalize, which we do not build)",
    ),
];

#[test]
fn more_tools() {
    differential(
        "more_tools",
        ffs_tools::FFS_DRIVES,
        MORE_TOOLS_STEPS,
        MORE_TOOLS_NOT_YET,
    );
}
