use crate::*;

/// The mm behaviours NetBSD's tools reach (the null driver of the VFS
/// faction: reads, writes, seeks and the minors NetBSD's rump kernel has
/// no node or driver for), and `vnconfig`'s view of the vnd units, which
/// attach to the device tree as they are used.
const DEVTREE_STEPS: &[Step] = &[
    ("ls", &["/dev/null", "/dev/zero"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/null",
            "bs=64k",
            "count=16",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/tmp/z",
            "bs=1",
            "count=3",
            "skip=5",
            DD_COUNTS,
        ],
    ),
    ("ls", &["-s", "/tmp/z"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/null",
            "bs=1m",
            "count=2",
            "seek=3",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/zero",
            "bs=4k",
            "count=2",
            DD_COUNTS,
        ],
    ),
    ("dd", &["if=/dev/null", "of=/tmp/n", DD_COUNTS]),
    ("dd", &["if=/dev/null", "of=/dev/zero", DD_COUNTS]),
    ("mknod", &["/dev/mem", "c", "2", "0"]),
    ("mknod", &["/dev/kmem", "c", "2", "1"]),
    ("mknod", &["/dev/mm14", "c", "2", "14"]),
    ("mknod", &["/dev/bnull", "b", "2", "2"]),
    ("dd", &["if=/dev/mem", "of=/dev/null", "count=1", DD_COUNTS]),
    (
        "dd",
        &["if=/dev/kmem", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &["if=/dev/mm14", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &["if=/dev/bnull", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/tmp/img",
            "bs=64k",
            "count=16",
            DD_COUNTS,
        ],
    ),
    ("vnconfig", &["-l"]),
    ("vnconfig", &["vnd0", "/tmp/img"]),
    ("vnconfig", &["-l", "-m", "1"]),
    ("vnconfig", &["-u", "vnd0"]),
    ("vnconfig", &["-l", "vnd0"]),
];

/// Every step behaves as on NetBSD's kernel.
const DEVTREE_NOT_YET: &[NotYet] = &[];

#[test]
fn devtree() {
    differential("devtree", &[], DEVTREE_STEPS, DEVTREE_NOT_YET);
}
