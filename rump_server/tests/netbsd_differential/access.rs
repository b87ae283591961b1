use crate::*;

/// Access (issue #17): NetBSD's tools, run by the host's root, against
/// our server with its default access policy (no -T, no key), which must
/// leave them root in the kernel and speak NetBSD's protocol unchanged:
/// ownership, modes, set-id bits and root-only sysctl writes as on NetBSD.
const ACCESS_STEPS: &[Step] = &[
    ("mount_tmpfs", &["tmpfs", "/tmp"]),
    ("mkdir", &["-m", "700", "/tmp/private"]),
    ("chown", &["1000:1000", "/tmp/private"]),
    ("chmod", &["4755", "/tmp/private"]),
    ("ls", &["-ldn", "/tmp/private"]),
    (
        "dd",
        &["if=/dev/zero", "of=/tmp/f", "count=1", "msgfmt=quiet"],
    ),
    ("chown", &["2000:3000", "/tmp/f"]),
    ("chmod", &["600", "/tmp/f"]),
    ("cat", &["/tmp/f"]),
    ("ls", &["-ln", "/tmp/f"]),
    ("sysctl", &["-w", "kern.hostname=access"]),
    ("sysctl", &["-n", "kern.hostname"]),
    ("sysctl", &["-w", "kern.securelevel=-1"]),
];

/// Steps of [`ACCESS_STEPS`] that do not behave as on NetBSD's kernel yet.
const ACCESS_NOT_YET: &[NotYet] = &[];

#[test]
fn access_by_netbsds_clients() {
    differential("access", &[], ACCESS_STEPS, ACCESS_NOT_YET);
}
