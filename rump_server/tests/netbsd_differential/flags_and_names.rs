use crate::*;
use std::path::Path;

/// File flags and names. First two FFS images (v1, v2) whose files our
/// kernel flagged (see [`flagged_image`]), mounted read-only on both
/// sides: NetBSD's kernel and `ls -lo` must read the flags ours wrote. Then
/// a tmpfs: flagged files copied in with `cp -p` (which sets the flags
/// with `fchflags`), and what NetBSD's tools may do to them (`rm` clears
/// user flags with `lchflags` first, as root; system flags stay and
/// refuse); then device and fifo nodes, links, moves in and out of
/// directories, modes and owners (root's `chown` keeps set-id bits, as
/// NetBSD's `__posix_chown`), and the errors of each tool.
const FLAGS_AND_NAMES_STEPS: &[Step] = &[
    ("mkdir", &["/m1", "/m2"]),
    ("mount_ffs", &["-o", "ro", "/dk1", "/m1"]),
    ("mount_ffs", &["-o", "ro", "/dk2", "/m2"]),
    ("ls", &["-lon", "/m1"]),
    ("ls", &["-lon", "/m2"]),
    ("ls", &["-lond", "/m1/dir", "/m2/dir"]),
    ("cat", &["/m1/imm", "/m2/app"]),
    ("rm", &["/m1/imm"]),
    ("rm", &["-f", "/m2/sys"]),
    ("mkdir", &["/fl"]),
    ("mount_tmpfs", &["tmpfs", "/fl"]),
    (
        "cp",
        &["-p", "/m1/imm", "/m1/app", "/m1/sys", "/m1/nodump", "/fl"],
    ),
    ("ls", &["-lno", "/fl"]),
    ("mv", &["/fl/imm", "/fl/imm2"]),
    ("mv", &["/fl/app", "/fl/app2"]),
    (
        "chmod",
        &["600", "/fl/imm", "/fl/app", "/fl/sys", "/fl/nodump"],
    ),
    ("chown", &["5", "/fl/imm", "/fl/sys", "/fl/nodump"]),
    ("ln", &["/fl/sys", "/fl/sys2"]),
    ("ln", &["/fl/nodump", "/fl/nodump2"]),
    ("cp", &["/fl/nodump", "/fl/imm"]),
    ("rm", &["/fl/sys"]),
    ("rm", &["-f", "/fl/sys"]),
    ("rm", &["/fl/imm", "/fl/app", "/fl/nodump2"]),
    ("ls", &["-lno", "/fl"]),
    ("umount", &["/m1"]),
    ("umount", &["/m2"]),
    ("mkdir", &["/fl/d"]),
    ("mknod", &["/fl/p", "p"]),
    ("mknod", &["/fl/c", "c", "1", "2"]),
    ("mknod", &["/fl/b", "b", "3", "4"]),
    ("mknod", &["/fl/b", "b", "3", "4"]),
    ("ln", &["-s", "target", "/fl/l"]),
    ("ls", &["-lon", "/fl"]),
    ("chmod", &["4755", "/fl/p"]),
    ("chown", &["1:2", "/fl/p"]),
    ("chmod", &["6755", "/fl/b"]),
    ("chown", &["7", "/fl/b"]),
    ("ls", &["-lon", "/fl"]),
    ("chown", &["5", "/fl/l"]),
    ("chown", &["-h", "5", "/fl/l"]),
    ("ls", &["-lon", "/fl/l"]),
    ("ln", &["/fl/p", "/fl/p2"]),
    ("ls", &["-lon", "/fl/p2"]),
    ("mv", &["/fl/p2", "/fl/d/p3"]),
    ("mv", &["/fl/d", "/fl/p"]),
    ("mv", &["/fl/p", "/fl/d"]),
    ("ls", &["-lon", "/fl/d"]),
    ("rm", &["/fl/d"]),
    ("rmdir", &["/fl/d"]),
    ("rm", &["/fl/d/p", "/fl/d/p3"]),
    ("rmdir", &["/fl/d"]),
    ("ln", &["/fl/nonexistent", "/fl/x"]),
    ("ln", &["-s", "/fl/c", "/fl/l"]),
    ("chmod", &["644", "/fl/c"]),
    ("chmod", &["u+s,g+w", "/fl/c"]),
    ("ls", &["-lo", "/fl"]),
    ("rm", &["-f", "/fl/c", "/fl/b", "/fl/l"]),
    ("ls", &["-l", "-o", "/fl"]),
    ("umount", &["/fl"]),
    ("ls", &["/fl"]),
];

/// Steps of [`FLAGS_AND_NAMES_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const FLAGS_AND_NAMES_NOT_YET: &[NotYet] = &[];

/// An FFS image of version `version` (`-O`) whose files our kernel
/// flagged: `imm` (uchg), `app` (uappnd), `nodump`, `sys` (schg, arch),
/// and a directory `dir` (opaque).
fn flagged_image(img: &Path, version: &str) {
    use netbsd_abi::{SF_ARCHIVED, SF_IMMUTABLE, UF_APPEND, UF_IMMUTABLE, UF_NODUMP, UF_OPAQUE};
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_CREAT, O_WRONLY};
    newfs(img, &["-O", version, "-s", "16m"]);
    let k = mount_image(img, 0).unwrap();
    for (name, flags) in [
        ("imm", UF_IMMUTABLE),
        ("app", UF_APPEND),
        ("nodump", UF_NODUMP),
        ("sys", SF_IMMUTABLE | SF_ARCHIVED),
    ] {
        let path = format!("/mnt/{name}");
        let fd = k.sys_open(&path, O_CREAT | O_WRONLY, 0o644).unwrap();
        k.sys_write(fd, format!("{name}\n").as_bytes()).unwrap();
        k.sys_close(fd).unwrap();
        k.sys_chflags(&path, flags as u32).unwrap();
    }
    k.sys_mkdir("/mnt/dir", 0o755).unwrap();
    k.sys_chflags("/mnt/dir", UF_OPAQUE as u32).unwrap();
    k.sys_unmount("/mnt", 0).unwrap();
}

#[test]
fn flags_and_names() {
    let dir = tempdir("flagged-images");
    let (v1, v2) = (dir.join("v1.img"), dir.join("v2.img"));
    flagged_image(&v1, "1");
    flagged_image(&v2, "2");
    let drive =
        |key: &str, img: &Path| format!("key={key},hostpath={},size=host,type=blk", img.display());
    let (d1, d2) = (drive("/dk1", &v1), drive("/dk2", &v2));
    differential(
        "flags_and_names",
        &["-d", &d1, "-d", &d2],
        FLAGS_AND_NAMES_STEPS,
        FLAGS_AND_NAMES_NOT_YET,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
