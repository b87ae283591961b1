//! Whiteouts in an FFS image (entries of inode `WINO` and type `DT_WHT`,
//! which union mounts leave): NetBSD's `ufs_lookup` takes one for no name
//! unless asked for whiteouts, a name made over one takes its slot, and a
//! directory holding only whiteouts is empty. The image, made by Debian's
//! `makefs` with some entries then made whiteouts, comes in as a shared
//! drive that neither side writes (`/whiteouts`); each side copies it
//! onto its own disk (`ffs_tools`' drives) before mounting it.

use crate::*;
use rumpfs_ffs::dev::MemDev;
use rumpfs_ffs::format::dir::{DIRBLKSIZ, DirFormat, dt};
use std::path::Path;

/// The names made whiteouts (their files' inodes stay allocated and
/// unreferenced, which fsck_ffs reports alike on both sides).
const WHITED: &[&str] = &["white-a", "white-b", "white-c", "white-d"];

/// A listing, lookups of the whiteouts, names made over them, and the
/// image checked afterwards. (`ls -W`, which shows whiteouts, and `rm
/// -W`, which removes one, are not here: getdents leaves whiteouts out
/// and undelete(2) is not there yet.)
const FFS_WHITEOUTS_STEPS: &[Step] = &[
    ("dd", &["if=/whiteouts", "of=/dev/rdk", "bs=64k", DD_COUNTS]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("mkdir", &["/mnt"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("ls", &["-la", "/mnt"]),
    ("ls", &["-la", "/mnt/only"]),
    ("ls", &["-l", "/mnt/white-a"]),
    ("rm", &["/mnt/white-a"]),
    ("mkdir", &["/mnt/white-a"]),
    ("ln", &["/mnt/keep", "/mnt/white-b"]),
    ("mv", &["/mnt/white-b", "/mnt/white-c"]),
    ("rmdir", &["/mnt/only"]),
    ("ls", &["-la", "/mnt"]),
    ("umount", &["/mnt"]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
];

/// Steps of [`FFS_WHITEOUTS_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const FFS_WHITEOUTS_NOT_YET: &[NotYet] = &[];

/// A 16 MiB FFSv2 image made by `makefs` at `img` whose entries
/// [`WHITED`] are then whiteouts (`white-d` alone in `only`).
fn whiteout_image(dir: &Path, img: &Path) {
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("only")).unwrap();
    std::fs::write(tree.join("keep"), "kept\n").unwrap();
    for name in ["white-a", "white-b", "white-c", "only/white-d"] {
        std::fs::write(tree.join(name), "whited out\n").unwrap();
    }
    let out = std::process::Command::new("makefs")
        .args(["-t", "ffs", "-s", "16m", "-o", "version=2"])
        .arg(img)
        .arg(&tree)
        .output()
        .expect("run Debian's makefs");
    assert!(out.status.success(), "makefs: {}", stderr(&out));
    let mut bytes = std::fs::read(img).unwrap();
    let sb = rumpfs_ffs::read_superblock(&MemDev::from_bytes(bytes.clone())).unwrap();
    let fmt = DirFormat {
        endian: sb.endian,
        typed: true,
    };
    for name in WHITED {
        let hits = bytes
            .chunks_mut(DIRBLKSIZ)
            .filter_map(|c| fmt.retarget(c, name.as_bytes(), WINO, dt::WHT).ok())
            .filter(|&found| found)
            .count();
        assert_eq!(hits, 1, "{name}'s entry");
    }
    std::fs::write(img, bytes).unwrap();
}

/// `UFS_WINO` (`ufs/ufs/dinode.h`): the inode number of a whiteout.
const WINO: u32 = 1;

#[test]
fn ffs_whiteouts() {
    let dir = tempdir("ffs-whiteouts");
    let img = dir.join("whiteouts.img");
    whiteout_image(&dir, &img);
    let source = format!(
        "key=/whiteouts,hostpath={},size=host,type=reg",
        img.display()
    );
    let mut args = ffs_tools::FFS_DRIVES.to_vec();
    args.extend(["-d", source.as_str()]);
    differential(
        "ffs_whiteouts",
        &args,
        FFS_WHITEOUTS_STEPS,
        FFS_WHITEOUTS_NOT_YET,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
