use crate::*;

/// Mount flags as NetBSD's `mnt_flag` keeps them: shown by `mount`, and
/// `nodev` refusing a device node's open.
const MOUNT_FLAGS_STEPS: &[Step] = &[
    ("mkdir", &["/x", "/y", "/z"]),
    ("mount_tmpfs", &["-o", "nodev,nosuid,noexec", "tmpfs", "/x"]),
    ("mount_tmpfs", &["-o", "noatime", "tmpfs", "/y"]),
    ("mount_tmpfs", &["-o", "nocoredump", "tmpfs", "/z"]),
    ("mount_tmpfs", &["-o", "async", "tmpfs", "/z"]),
    ("mount", &[]),
    ("mknod", &["/x/null", "c", "2", "2"]),
    ("mknod", &["/y/null", "c", "2", "2"]),
    ("dd", &["if=/x/null", "of=/y/f", "count=1", "msgfmt=quiet"]),
    ("dd", &["if=/y/null", "of=/y/f", "count=1", "msgfmt=quiet"]),
    ("ls", &["-l", "/y/f"]),
    ("umount", &["/x"]),
    ("umount", &["/y"]),
    ("umount", &["/z"]),
    ("mount", &[]),
];

#[test]
fn mount_flags() {
    differential("mount_flags", &[], MOUNT_FLAGS_STEPS, &[]);
}
