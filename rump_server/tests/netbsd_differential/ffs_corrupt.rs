//! FFS images damaged on purpose: what NetBSD's kernel does with them is
//! what ours must do. The image, made by Debian's `makefs`, comes in as a
//! shared drive that neither side writes (`/zeroed-root`); each side copies
//! it onto its own 16 MiB disk (`ffs_tools`' drives) before mounting it.

use crate::*;
use rumpfs_ffs::dev::MemDev;
use rumpfs_ffs::format::ROOTINO;
use std::path::Path;

/// An image whose root inode is all zeros: fsck_ffs finds it unallocated;
/// NetBSD's mount does not read it, so the mount succeeds and says
/// nothing, and every lookup that reaches the root then fails with ENOENT
/// (`ffs_loadvnode`), the mount point's own `umount` included.
const FFS_CORRUPT_STEPS: &[Step] = &[
    (
        "dd",
        &["if=/zeroed-root", "of=/dev/rdk", "bs=64k", DD_COUNTS],
    ),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("fsck_ffs", &["-f", "-n", "/dev/rdk"]),
    ("mkdir", &["/mnt"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("mount", &[]),
    ("ls", &["/mnt"]),
    ("ls", &["-l", "/mnt/d"]),
    ("mkdir", &["/mnt/e"]),
    ("df", &["/mnt"]),
    ("umount", &["/mnt"]),
    ("umount", &["-f", "/mnt"]),
    ("mount", &[]),
];

/// Steps of [`FFS_CORRUPT_STEPS`] that do not behave as on NetBSD's kernel
/// yet.
const FFS_CORRUPT_NOT_YET: &[NotYet] = &[];

/// A 16 MiB FFSv1 image of a small tree made by `makefs` at `img`, with
/// its root inode then zeroed.
fn zeroed_root_image(dir: &Path, img: &Path) {
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("d")).unwrap();
    std::fs::write(tree.join("d/f"), "a file under the root\n").unwrap();
    let out = std::process::Command::new("makefs")
        .args(["-t", "ffs", "-s", "16m", "-o", "version=1"])
        .arg(img)
        .arg(&tree)
        .output()
        .expect("run Debian's makefs");
    assert!(out.status.success(), "makefs: {}", stderr(&out));
    let mut bytes = std::fs::read(img).unwrap();
    let sb = rumpfs_ffs::read_superblock(&MemDev::from_bytes(bytes.clone())).unwrap();
    let at = sb.inode_offset(ROOTINO) as usize;
    bytes[at..at + sb.version.inode_size()].fill(0);
    std::fs::write(img, bytes).unwrap();
}

#[test]
fn ffs_corrupt() {
    let dir = tempdir("ffs-corrupt");
    let img = dir.join("zeroed-root.img");
    zeroed_root_image(&dir, &img);
    let source = format!(
        "key=/zeroed-root,hostpath={},size=host,type=reg",
        img.display()
    );
    let mut args = ffs_tools::FFS_DRIVES.to_vec();
    args.extend(["-d", source.as_str()]);
    differential("ffs_corrupt", &args, FFS_CORRUPT_STEPS, FFS_CORRUPT_NOT_YET);
    let _ = std::fs::remove_dir_all(&dir);
}
