use crate::*;

/// The ffs_tools group's drives: one 16 MiB image seen as a block and a
/// character device (rumpblk), as `rump_server -d` makes them on each side.
pub(crate) const FFS_DRIVES: &[&str] = &[
    "-d",
    "key=/dev/dk,hostpath=dk.img,size=16777216,type=blk",
    "-d",
    "key=/dev/rdk,hostpath=dk.img,size=16777216,type=chr",
];

/// NetBSD's disk and FFS tools on an etfs drive: the label rumpblk makes
/// up, newfs (its superblock backups), dumpfs, fsck_ffs, a mount and what
/// is written into it, the raw device's sector rules, and the errors.
const FFS_STEPS: &[Step] = &[
    ("disklabel", &["dk"]),
    ("disklabel", &["/dev/rdk"]),
    ("disklabel", &["/dev/dk"]),
    ("disklabel", &["nosuch"]),
    ("newfs", &["/dev/rdk"]),
    ("dumpfs", &["/dev/rdk"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("fsck_ffs", &["-f", "-y", "/dev/rdk"]),
    ("mkdir", &["/mnt"]),
    ("mount_ffs", &["/dev/nosuch", "/mnt"]),
    ("mount_ffs", &["/dev/rdk", "/mnt"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("mount", &[]),
    ("df", &["/mnt"]),
    ("df", &["-i", "/mnt"]),
    ("mkdir", &["/mnt/d"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/mnt/d/z",
            "bs=4k",
            "count=10",
            DD_COUNTS,
        ],
    ),
    ("cp", &["/mnt/d/z", "/mnt/z2"]),
    ("ls", &["-l", "/mnt"]),
    ("ls", &["-l", "/mnt/d"]),
    ("df", &["/mnt"]),
    ("newfs", &["/dev/rdk"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("mount_tmpfs", &["tmpfs", "/mnt/d"]),
    ("umount", &["/mnt"]),
    ("umount", &["/mnt/d"]),
    ("umount", &["/mnt/d"]),
    ("umount", &["/mnt"]),
    ("umount", &["/mnt"]),
    ("umount", &["/nosuch"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("fsck_ffs", &["-f", "-n", "/dev/rdk"]),
    ("mount_ffs", &["-o", "rdonly", "/dev/dk", "/mnt"]),
    ("ls", &["-l", "/mnt/d"]),
    ("mkdir", &["/mnt/e"]),
    ("umount", &["/mnt"]),
    (
        "dd",
        &[
            "if=/dev/rdk",
            "of=/dev/null",
            "bs=100",
            "count=1",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/rdk",
            "of=/dev/null",
            "bs=1024",
            "skip=16383",
            "count=2",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rdk",
            "bs=100",
            "count=1",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rdk",
            "bs=512",
            "seek=32768",
            "count=1",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rdk",
            "bs=512",
            "seek=32769",
            "count=1",
            DD_COUNTS,
        ],
    ),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/dk",
            "bs=1024",
            "seek=16383",
            "count=2",
            DD_COUNTS,
        ],
    ),
    ("newfs", &["-O", "2", "/dev/rdk"]),
    ("dumpfs", &["/dev/rdk"]),
    ("fsck_ffs", &["-f", "-y", "/dev/rdk"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("df", &["/mnt"]),
    ("mkdir", &["/mnt/v2"]),
    ("ls", &["-l", "/mnt"]),
    ("umount", &["/mnt"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/dev/rdk",
            "bs=64k",
            "count=2",
            DD_COUNTS,
        ],
    ),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("dumpfs", &["/dev/rdk"]),
    ("vnconfig", &["-l"]),
];

/// Steps of [`FFS_STEPS`] that do not behave as on NetBSD's kernel yet.
const FFS_NOT_YET: &[NotYet] = &[];

#[test]
fn ffs_tools() {
    differential("ffs_tools", FFS_DRIVES, FFS_STEPS, FFS_NOT_YET);
}
