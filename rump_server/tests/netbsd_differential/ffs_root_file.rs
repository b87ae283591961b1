//! An FFS image whose root inode is a regular file: NetBSD's
//! `ffs_mountfs` does not look at the root's type, so the image mounts;
//! the mount point then is that file, and every name looked up below it
//! fails with ENOTDIR. The image, made by Debian's `makefs` with the root's
//! mode then changed, comes in as a shared drive that neither side writes
//! (`/file-root`); each side copies it onto its own disk (`ffs_tools`'
//! drives) before mounting it.

use crate::*;
use rumpfs_ffs::dev::MemDev;
use rumpfs_ffs::format::ROOTINO;
use rumpfs_ffs::format::dinode::{Dinode, IFMT, IFREG};
use std::path::Path;

/// What fsck_ffs finds, the mount, the mount point as a file (its listing,
/// its bytes, which are the old root's directory block), and the names
/// below it.
const FFS_ROOT_FILE_STEPS: &[Step] = &[
    ("dd", &["if=/file-root", "of=/dev/rdk", "bs=64k", DD_COUNTS]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
    ("mkdir", &["/mnt"]),
    ("mount_ffs", &["/dev/dk", "/mnt"]),
    ("mount", &[]),
    ("ls", &["/mnt"]),
    ("ls", &["-l", "/mnt"]),
    ("ls", &["-ldi", "/mnt"]),
    ("ls", &["-l", "/mnt/"]),
    ("ls", &["-l", "/mnt/."]),
    ("ls", &["-l", "/mnt/d"]),
    ("ls", &["/mnt/d/f"]),
    ("ls", &["/mnt/.."]),
    ("cat", &["/mnt"]),
    ("mkdir", &["/mnt/e"]),
    ("df", &["/mnt"]),
    ("umount", &["/mnt"]),
    ("mount", &[]),
    ("fsck_ffs", &["-n", "/dev/rdk"]),
];

/// Steps of [`FFS_ROOT_FILE_STEPS`] that do not behave as on NetBSD's
/// kernel yet.
const FFS_ROOT_FILE_NOT_YET: &[NotYet] = &[];

/// A 16 MiB FFSv1 image of a small tree made by `makefs` at `img`, with
/// its root inode's type then made a regular file's.
fn file_root_image(dir: &Path, img: &Path) {
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
    let slot = &mut bytes[at..at + sb.version.inode_size()];
    let mut d = Dinode::parse(sb.version, sb.endian, slot);
    d.mode = (d.mode & !IFMT) | IFREG;
    d.emit(sb.version, sb.endian, slot);
    std::fs::write(img, bytes).unwrap();
}

#[test]
fn ffs_root_file() {
    let dir = tempdir("ffs-root-file");
    let img = dir.join("file-root.img");
    file_root_image(&dir, &img);
    let source = format!(
        "key=/file-root,hostpath={},size=host,type=reg",
        img.display()
    );
    let mut args = ffs_tools::FFS_DRIVES.to_vec();
    args.extend(["-d", source.as_str()]);
    differential(
        "ffs_root_file",
        &args,
        FFS_ROOT_FILE_STEPS,
        FFS_ROOT_FILE_NOT_YET,
    );
    let _ = std::fs::remove_dir_all(&dir);
}
