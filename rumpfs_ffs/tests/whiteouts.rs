//! Whiteouts (entries a union mount leaves over a lower layer's names:
//! inode `WINO`, type `DT_WHT`) in an FFS image: as NetBSD's `ufs_lookup`
//! does without `DOWHITEOUT`, a whiteout is no name; a new name made over
//! it takes its slot (`ufs_direnter`), and a directory holding only
//! whiteouts is empty (`ufs_dirempty`). Our fsck_ffs and Debian's
//! sleuthkit read the image afterwards.

mod common;

use common::*;
use rump::Errno;
use rumpfs_ffs::dev::{BlockDev, MemDev};
use rumpfs_ffs::format::Version;
use rumpfs_ffs::format::dinode::Dinode;
use rumpfs_ffs::format::dir::{DIRBLKSIZ, DirFormat, dt};
use rumpfs_ffs::mkfs::{Params, newfs};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// `UFS_WINO` (`ufs/ufs/dinode.h`): the inode number of a whiteout.
const WINO: u32 = 1;

/// The names made whiteouts, and the directory `only` that holds one and
/// nothing else.
const WHITED: &[&str] = &["/white-a", "/white-b", "/white-c", "/only/white-d"];

/// An FFSv2 image at `img` whose names [`WHITED`] are whiteouts, beside
/// a file `/keep`, checked clean by fsck_ffs.
fn image_with_whiteouts(img: &Path) {
    let dev = Arc::new(MemDev::new(16 << 20));
    let p = Params {
        version: Version::Ufs2,
        time: 1_700_000_000,
        ..Params::default()
    };
    newfs(Arc::clone(&dev) as Arc<dyn BlockDev>, &p).expect("newfs");
    std::fs::write(img, dev.bytes()).unwrap();
    let inos: Vec<u64> = {
        let k = boot();
        attach(&k, "/dev/img", img);
        k.sys_mkdir("/mnt", 0o755).unwrap();
        k.sys_mount_dev("ffs", "/dev/img", "/mnt", 0).unwrap();
        k.sys_mkdir("/mnt/only", 0o755).unwrap();
        for name in WHITED.iter().chain(&["/keep"]) {
            let fd = k.sys_open(&format!("/mnt{name}"), O_CREAT | O_WRONLY, 0o644);
            k.sys_close(fd.unwrap()).unwrap();
        }
        let inos = WHITED
            .iter()
            .map(|n| k.sys_stat(&format!("/mnt{n}")).unwrap().ino)
            .collect();
        k.sys_unmount("/mnt", 0).unwrap();
        inos
    };
    // Each entry becomes a whiteout and its inode free; fsck_ffs -y then
    // gives the inodes back in the group maps.
    let mut bytes = std::fs::read(img).unwrap();
    let sb = rumpfs_ffs::read_superblock(&MemDev::from_bytes(bytes.clone())).unwrap();
    let fmt = DirFormat {
        endian: sb.endian,
        typed: true,
    };
    for name in WHITED {
        let leaf = name.rsplit('/').next().unwrap().as_bytes();
        let hits = bytes
            .chunks_mut(DIRBLKSIZ)
            .filter_map(|c| fmt.retarget(c, leaf, WINO, dt::WHT).ok())
            .filter(|&found| found)
            .count();
        assert_eq!(hits, 1, "{name}'s entry");
    }
    for ino in inos {
        let at = sb.inode_offset(ino) as usize;
        Dinode::default().emit(
            sb.version,
            sb.endian,
            &mut bytes[at..at + sb.version.inode_size()],
        );
    }
    std::fs::write(img, bytes).unwrap();
    let _ = Command::new(env!("CARGO_BIN_EXE_fsck_ffs"))
        .arg("-y")
        .arg(img)
        .output()
        .unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_fsck_ffs"))
        .arg("-n")
        .arg(img));
    assert!(!out.contains('?'), "the image is not clean:\n{out}");
}

/// The names a getdents of `dir` gives.
fn names(k: &rump::Kernel, dir: &str) -> Vec<String> {
    let fd = k.sys_open(dir, O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut all = Vec::new();
    loop {
        let ents = k.sys_getdents(fd).unwrap();
        if ents.is_empty() {
            break;
        }
        all.extend(ents.into_iter().map(|e| String::from_utf8(e.name).unwrap()));
    }
    k.sys_close(fd).unwrap();
    all.sort();
    all
}

#[test]
fn whiteouts_are_no_names_and_new_names_take_their_place() {
    require("fls", "sleuthkit");
    let dir = scratch("whiteouts");
    let img = dir.join("w.img");
    image_with_whiteouts(&img);
    {
        let k = boot();
        attach(&k, "/dev/img", &img);
        k.sys_mkdir("/mnt", 0o755).unwrap();
        k.sys_mount_dev("ffs", "/dev/img", "/mnt", 0).unwrap();
        assert_eq!(names(&k, "/mnt"), [".", "..", "keep", "only"]);
        assert_eq!(names(&k, "/mnt/only"), [".", ".."]);
        for name in WHITED {
            let path = format!("/mnt{name}");
            assert_eq!(k.sys_stat(&path).unwrap_err(), Errno::ENOENT, "{path}");
            assert_eq!(k.sys_unlink(&path).unwrap_err(), Errno::ENOENT, "{path}");
        }
        // A directory, a file and a rename's target over three whiteouts;
        // the directory holding only a whiteout goes with rmdir.
        k.sys_mkdir("/mnt/white-a", 0o755).unwrap();
        let fd = k
            .sys_open("/mnt/white-b", O_CREAT | O_WRONLY, 0o600)
            .unwrap();
        k.sys_pwrite(fd, b"over a whiteout\n", 0).unwrap();
        k.sys_close(fd).unwrap();
        k.sys_rename("/mnt/keep", "/mnt/white-c").unwrap();
        k.sys_rmdir("/mnt/only").unwrap();
        assert_eq!(
            names(&k, "/mnt"),
            [".", "..", "white-a", "white-b", "white-c"]
        );
        k.sys_unmount("/mnt", 0).unwrap();
    }
    let out = run(Command::new(env!("CARGO_BIN_EXE_fsck_ffs"))
        .arg("-n")
        .arg(&img));
    assert!(!out.contains('?'), "fsck_ffs -n after the changes:\n{out}");
    let kinds: Vec<(String, char)> = fls("ufs2", &img)
        .into_iter()
        .map(|(p, (kind, _))| (p, kind))
        .collect();
    let want = [("white-a", 'd'), ("white-b", 'r'), ("white-c", 'r')];
    let want: Vec<(String, char)> = want.iter().map(|(p, c)| (p.to_string(), *c)).collect();
    assert_eq!(kinds, want);
    let _ = std::fs::remove_dir_all(&dir);
}
