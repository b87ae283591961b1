use crate::*;

/// The file tools on a tmpfs at /tmp: copies, moves, removals, links,
/// modes and owners, dd, ed, pax, df, ls in its long, numeric and all
/// forms, device nodes; with the common options and error cases. A file
/// with contents comes from pax (the tools have no stdin here): its first
/// header block holds the archived path.
const FILES_STEPS: &[Step] = &[
    ("mount_tmpfs", &["tmpfs", "/tmp"]),
    ("mkdir", &["-p", "/tmp/a/b/c"]),
    ("mkdir", &["/tmp/a/d"]),
    ("pax", &["-w", "-f", "/tmp/a/arch.tar", "/tmp/a/b"]),
    ("ls", &["-l", "/tmp/a"]),
    (
        "dd",
        &[
            "if=/tmp/a/arch.tar",
            "of=/tmp/a/name",
            "bs=100",
            "count=1",
            "msgfmt=quiet",
        ],
    ),
    ("cat", &["/tmp/a/name"]),
    (
        "dd",
        &[
            "if=/tmp/a/arch.tar",
            "of=/tmp/a/part",
            "bs=10",
            "skip=1",
            "seek=2",
            "count=3",
            "msgfmt=quiet",
        ],
    ),
    ("ls", &["-l", "/tmp/a/part"]),
    ("dd", &["if=/tmp/nothere", "of=/tmp/a/x", "msgfmt=quiet"]),
    (
        "dd",
        &["if=/tmp/a/name", "of=/tmp/a/x", "bs=0", "msgfmt=quiet"],
    ),
    ("cat", &["/tmp/a/nothere"]),
    ("cat", &["/tmp/a"]),
    ("cp", &["/tmp/a/name", "/tmp/a/copy"]),
    ("cp", &["/tmp/a/name", "/tmp/a/nodir/x"]),
    ("cp", &["/tmp/a", "/tmp/x"]),
    ("cp", &["-R", "/tmp/a", "/tmp/r"]),
    ("ls", &["-R", "/tmp/r"]),
    ("cp", &["/tmp/a/name", "/tmp/a/name"]),
    ("cp", &["-i", "/tmp/a/name", "/tmp/a/copy"]),
    ("cp", &["-p", "/tmp/a/name", "/tmp/a/kept"]),
    ("ls", &["-l", "/tmp/a/kept"]),
    ("mv", &["/tmp/a/copy", "/tmp/a/b/moved"]),
    ("mv", &["/tmp/a/b", "/tmp/bb"]),
    ("mv", &["/tmp/nothere", "/tmp/x"]),
    ("mv", &["/tmp/bb", "/tmp/bb/c"]),
    ("mv", &["-f", "/tmp/bb/moved", "/tmp/a/d"]),
    ("ls", &["-l", "/tmp/bb", "/tmp/a/d"]),
    ("rm", &["/tmp/bb"]),
    ("rm", &["-r", "/tmp/bb"]),
    ("rm", &["-d", "/tmp/a/d"]),
    ("rm", &["/tmp/a/nothere"]),
    ("rm", &["-f", "/tmp/a/nothere"]),
    ("ln", &["/tmp/a/name", "/tmp/a/hard"]),
    ("ln", &["/tmp/a/name", "/tmp/a/hard"]),
    ("ln", &["/tmp/a", "/tmp/dirlink"]),
    ("ln", &["-s", "name", "/tmp/a/soft"]),
    ("ln", &["-s", "name", "/tmp/a/soft"]),
    ("ln", &["-sf", "other", "/tmp/a/soft"]),
    ("ls", &["-l", "/tmp/a/soft"]),
    ("ls", &["-i", "/tmp/a/nothere"]),
    ("chmod", &["640", "/tmp/a/name"]),
    ("chmod", &["u+x,g-r", "/tmp/a/name"]),
    ("chmod", &["-R", "go-rwx", "/tmp/r"]),
    ("chmod", &["999", "/tmp/a/name"]),
    ("chmod", &["640", "/tmp/nothere"]),
    ("chown", &["12:34", "/tmp/a/name"]),
    ("chown", &["-R", "5", "/tmp/r"]),
    ("chown", &["nosuchuser", "/tmp/a/name"]),
    ("ls", &["-ln", "/tmp/a/name", "/tmp/a/hard"]),
    ("ls", &["-ln", "/tmp/r"]),
    ("ls", &["-la", "/tmp/r/d"]),
    ("mknod", &["/tmp/a/fifo", "p"]),
    ("mknod", &["/tmp/a/cdev", "c", "2", "2"]),
    ("mknod", &["/tmp/a/bdev", "b", "3", "4"]),
    ("mknod", &["/tmp/a/cdev", "c", "2", "2"]),
    ("mknod", &["/tmp/a/bad", "x"]),
    ("ls", &["-l", "/tmp/a/fifo", "/tmp/a/cdev", "/tmp/a/bdev"]),
    ("ed", &["-s", "/tmp/a/name"]),
    ("ed", &["/tmp/a/name"]),
    ("ed", &["/tmp/nothere"]),
    ("pax", &["-f", "/tmp/a/arch.tar"]),
    ("pax", &["-r", "-f", "/tmp/nothere"]),
    ("df", &["/tmp"]),
    ("df", &["-i", "/tmp"]),
    ("df", &["-k", "/tmp"]),
    ("rm", &["-r", "/tmp/a"]),
    ("ls", &["/tmp"]),
];

/// Steps of [`FILES_STEPS`] that do not behave as on NetBSD's kernel yet.
const FILES_NOT_YET: &[NotYet] = &[];

#[test]
fn netbsd_file_tools_behave_on_our_tmpfs_as_on_netbsds() {
    differential("files", &[], FILES_STEPS, FILES_NOT_YET);
}
