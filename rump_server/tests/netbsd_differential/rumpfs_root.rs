use crate::*;

/// The root file system, NetBSD's rumpfs, as its tools see it: no hard
/// links and no renames (of files, directories, into another directory or
/// out of a tmpfs), listings without `.` and `..` with the newest entry
/// first, sizes of 512 bytes for directories, device nodes and FIFOs and
/// one block for everything, `genfs_statvfs`'s two blocks for `df`, times
/// set when a node is made and by `utimes` (`cp -p`), not by changes, and
/// the modes and owners of the root and of what is in it.
const RUMPFS_ROOT_STEPS: &[Step] = &[
    ("ls", &["-ld", "/"]),
    ("ls", &["-la", "/"]),
    ("ls", &["-ldi", "/", "/dev", "/tmp"]),
    ("ls", &["-lf", "/"]),
    ("df", &["/"]),
    ("df", &["-i", "/"]),
    ("df", &["-k", "/"]),
    ("df", &["-h", "/"]),
    ("mkdir", &["/d"]),
    ("mkdir", &["/d/e"]),
    ("ls", &["-la", "/d"]),
    ("ls", &["-ld", "/", "/d"]),
    ("mknod", &["/d/f", "p"]),
    ("ln", &["/d/f", "/d/g"]),
    ("ln", &["/d/e", "/d/x"]),
    ("ln", &["/d/nothere", "/d/x"]),
    ("ln", &["-s", "target", "/d/l"]),
    ("ln", &["-s", "target", "/d/l"]),
    ("ln", &["-sf", "other", "/d/l"]),
    ("mv", &["/d/l", "/d/l2"]),
    ("mv", &["/d/e", "/d/e2"]),
    ("mv", &["/d/l", "/d/e"]),
    ("mv", &["/d/l", "/tmp"]),
    ("mv", &["/d/nothere", "/d/x"]),
    ("mv", &["/d", "/"]),
    ("mknod", &["/d/c", "c", "2", "2"]),
    ("mknod", &["/d/b", "b", "3", "4"]),
    (
        "dd",
        &[
            "if=/dev/zero",
            "of=/d/z",
            "bs=512",
            "count=3",
            "msgfmt=quiet",
        ],
    ),
    ("cp", &["/d/z", "/d/zc"]),
    ("cp", &["-p", "/d/z", "/d/zp"]),
    ("ls", &["-l", "/d"]),
    ("ls", &["-lf", "/d"]),
    ("ls", &["-ls", "/d"]),
    ("ls", &["-lR", "/d"]),
    ("chmod", &["700", "/"]),
    ("ls", &["-ld", "/"]),
    ("chmod", &["755", "/"]),
    ("chown", &["5:6", "/d/e"]),
    ("chmod", &["1777", "/d/e"]),
    ("ls", &["-ln", "/d"]),
    ("rm", &["/d/e"]),
    ("rmdir", &["/d"]),
    ("rmdir", &["/d/e"]),
    ("rm", &["/d/l", "/d/z"]),
    ("rm", &["-r", "/d"]),
    ("ls", &["-a", "/"]),
    ("mount_tmpfs", &["tmpfs", "/tmp"]),
    ("mv", &["/tmp", "/x"]),
    ("mkdir", &["/tmp/a"]),
    ("ln", &["-s", "a", "/tmp/s"]),
    ("mv", &["/tmp/a", "/tmp/b"]),
    ("mv", &["/tmp/b", "/c"]),
    ("mv", &["/tmp/s", "/"]),
    ("ln", &["/tmp/s", "/h"]),
    ("ls", &["-la", "/tmp"]),
    ("umount", &["/tmp"]),
    ("ls", &["-a", "/"]),
];

/// Steps of [`RUMPFS_ROOT_STEPS`] that do not behave as on NetBSD's kernel.
const RUMPFS_ROOT_NOT_YET: &[NotYet] = &[];

#[test]
fn rumpfs_root() {
    differential("rumpfs_root", &[], RUMPFS_ROOT_STEPS, RUMPFS_ROOT_NOT_YET);
}

/// A regular etfs key and a disk's, which NetBSD makes rumpfs nodes too:
/// one block each, whatever the host file's size.
const RUMPFS_KEY_DRIVES: &[&str] = &[
    "-d",
    "key=/img,hostpath=reg.img,size=65536,type=reg",
    "-d",
    "key=/dev/xd,hostpath=xd.img,size=1048576,type=blk",
];

/// `ls -s` of etfs keys, and copies from one to the root and back.
const RUMPFS_KEY_STEPS: &[Step] = &[
    ("ls", &["-ls", "/img", "/dev/xd"]),
    ("cp", &["/img", "/copy"]),
    ("ls", &["-ls", "/copy"]),
    ("mv", &["/copy", "/img"]),
    ("ln", &["/img", "/hard"]),
    ("ls", &["-ls", "/img"]),
];

/// Steps of [`RUMPFS_KEY_STEPS`] that do not behave as on NetBSD's kernel.
const RUMPFS_KEY_NOT_YET: &[NotYet] = &[];

#[test]
fn rumpfs_root_keys() {
    differential(
        "rumpfs_root_keys",
        RUMPFS_KEY_DRIVES,
        RUMPFS_KEY_STEPS,
        RUMPFS_KEY_NOT_YET,
    );
}
