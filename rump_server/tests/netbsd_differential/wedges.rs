//! The md and dk group: what NetBSD's tools see of memory disks and
//! wedges without a tool to configure them (rumpctrl has neither
//! `mdconfig` nor `dkctl`): md's nodes, its unconfigured units (the raw
//! partition opens, the others do not; disklabel, dd, newfs, fsck_ffs and
//! mount_ffs on them), a second unit and a `dk` node made by mknod, and
//! the wedges of a vnd seen by its tools. The configured paths (MD_SETCONF,
//! DIOCAWEDGE) are checked without the peer (rumpdev/tests/md.rs,
//! wedges.rs) and against facts from NetBSD's md.c and dk.c.

use crate::*;

const WEDGE_STEPS: &[Step] = &[
    (
        "ls",
        &[
            "-l",
            "/dev/md0a",
            "/dev/md0b",
            "/dev/md0c",
            "/dev/md0d",
            "/dev/md0e",
            "/dev/md0f",
            "/dev/md0g",
            "/dev/md0h",
        ],
    ),
    (
        "ls",
        &[
            "-l",
            "/dev/rmd0a",
            "/dev/rmd0b",
            "/dev/rmd0c",
            "/dev/rmd0d",
            "/dev/rmd0e",
            "/dev/rmd0f",
            "/dev/rmd0g",
        ],
    ),
    ("disklabel", &["md0"]),
    ("disklabel", &["/dev/rmd0a"]),
    (
        "dd",
        &["if=/dev/rmd0d", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &["if=/dev/rmd0a", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &["if=/dev/md0d", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    (
        "dd",
        &["if=/dev/zero", "of=/dev/rmd0d", "count=1", DD_COUNTS],
    ),
    ("newfs", &["/dev/rmd0a"]),
    ("fsck_ffs", &["-n", "/dev/rmd0a"]),
    ("mkdir", &["/mnt"]),
    ("mount_ffs", &["/dev/md0a", "/mnt"]),
    ("mknod", &["/dev/rmd1d", "c", "24", "19"]),
    ("ls", &["-l", "/dev/rmd1d"]),
    (
        "dd",
        &["if=/dev/rmd1d", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    ("disklabel", &["md1"]),
    // dk: no node at boot, no wedge behind one made by hand.
    ("ls", &["-l", "/dev/dk0", "/dev/rdk0"]),
    ("mknod", &["/dev/rdk0", "c", "168", "0"]),
    ("mknod", &["/dev/dk0", "b", "168", "0"]),
    ("ls", &["-l", "/dev/dk0", "/dev/rdk0"]),
    (
        "dd",
        &["if=/dev/rdk0", "of=/dev/null", "count=1", DD_COUNTS],
    ),
    ("dd", &["if=/dev/dk0", "of=/dev/null", "count=1", DD_COUNTS]),
    ("disklabel", &["dk0"]),
    ("fsck_ffs", &["-n", "/dev/rdk0"]),
    ("mount_ffs", &["/dev/dk0", "/mnt"]),
    // A vnd without wedges: its partitions open as before.
    ("mount_tmpfs", &["tmpfs", "/mnt"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/mnt/w.img",
            "bs=1m",
            "count=4",
            DD_COUNTS,
        ],
    ),
    ("vnconfig", &["vnd0", "/mnt/w.img"]),
    ("disklabel", &["vnd0"]),
    ("newfs", &["/dev/rvnd0a"]),
    ("fsck_ffs", &["-n", "/dev/rvnd0a"]),
    ("vnconfig", &["-u", "vnd0"]),
];

/// Steps of [`WEDGE_STEPS`] that do not behave as on NetBSD's kernel yet.
const WEDGE_NOT_YET: &[NotYet] = &[];

#[test]
fn wedges() {
    differential("wedges", &[], WEDGE_STEPS, WEDGE_NOT_YET);
}
