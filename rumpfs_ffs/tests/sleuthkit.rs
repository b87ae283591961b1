//! Images written by us read correctly with Debian's sleuthkit: a tree
//! copied in through the kernel, then files grown, truncated, renamed,
//! linked and removed; `fls`, `icat` and `fsstat` must see what the host
//! copy of the same operations holds, and our checker finds it clean.

mod common;

use common::*;
use rumpvfs::VfsCalls;
use rumpvfs::flags::O_RDWR;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// The same changes through the kernel (`k`, under `/mnt`) and on the host
/// copy (`h`).
fn churn(k: &rump::Kernel, h: &Path) {
    let hp = |p: &str| h.join(p);
    // Grow files, one through every indirection level of small blocks.
    for (i, extra) in [(3usize, 70_000usize), (7, 5 << 20), (11, 1)] {
        let p = format!("dir{:02}/file{i:05}.dat", i % 25);
        let add = bytes(extra, i as u64 + 1000);
        let fd = k.sys_open(&format!("/mnt/{p}"), O_RDWR, 0).unwrap();
        let st = k.sys_lstat(&format!("/mnt/{p}")).unwrap();
        k.sys_pwrite(fd, &add, st.size).unwrap();
        k.sys_close(fd).unwrap();
        let mut v = std::fs::read(hp(&p)).unwrap();
        v.extend_from_slice(&add);
        std::fs::write(hp(&p), v).unwrap();
    }
    // Truncate: shorter, to zero, and longer (a hole).
    for (i, len) in [(30usize, 10u64), (31, 0), (32, 200_000)] {
        let p = format!("dir{:02}/file{i:05}.dat", i % 25);
        k.sys_truncate(&format!("/mnt/{p}"), len as i64).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(hp(&p))
            .unwrap()
            .set_len(len)
            .unwrap();
    }
    k.sys_truncate("/mnt/big.bin", 3_000_000).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(hp("big.bin"))
        .unwrap()
        .set_len(3_000_000)
        .unwrap();
    // Rename files and a directory across directories.
    for (from, to) in [
        ("dir00/file00050.dat", "dir01/moved.dat"),
        ("dir02", "dir03/dir02-moved"),
        ("empty", "dir04/empty-renamed"),
    ] {
        k.sys_rename(&format!("/mnt/{from}"), &format!("/mnt/{to}"))
            .unwrap();
        std::fs::rename(hp(from), hp(to)).unwrap();
    }
    // Remove a directory's files and the directory, and a few others.
    for e in std::fs::read_dir(hp("dir05")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        k.sys_unlink(&format!("/mnt/dir05/{name}")).unwrap();
    }
    k.sys_rmdir("/mnt/dir05").unwrap();
    std::fs::remove_dir_all(hp("dir05")).unwrap();
    for p in ["dir06/file00006.dat", "hardlink", "short-link"] {
        k.sys_unlink(&format!("/mnt/{p}")).unwrap();
        std::fs::remove_file(hp(p)).unwrap();
    }
    // New links.
    k.sys_link("/mnt/dir07/file00007.dat", "/mnt/dir08/another-name")
        .unwrap();
    std::fs::hard_link(hp("dir07/file00007.dat"), hp("dir08/another-name")).unwrap();
    k.sys_symlink("../big.bin", "/mnt/dir09/to-big").unwrap();
    std::os::unix::fs::symlink("../big.bin", hp("dir09/to-big")).unwrap();
}

#[test]
fn sleuthkit_reads_what_we_write() {
    require("fls", "sleuthkit");
    let newfs = env!("CARGO_BIN_EXE_newfs_ffs");
    let fsck = env!("CARGO_BIN_EXE_fsck_ffs");
    let dir = scratch("sleuthkit");
    let src = dir.join("src");
    make_tree(&src, 1500, 9 << 20);
    std::fs::remove_file(src.join("chardev")).unwrap();
    for (v, fstype, bsize) in [
        ("1", "ufs1", "4096"),
        ("2", "ufs2", "8192"),
        ("2", "ufs2", "32768"),
    ] {
        let img = dir.join(format!("ours-{v}-{bsize}.img"));
        let _ = std::fs::remove_file(&img);
        run(Command::new(newfs)
            .args(["-F", "-O", v, "-b", bsize, "-s", "96m"])
            .arg(&img));
        let mirror = dir.join(format!("mirror-{v}-{bsize}"));
        run(Command::new("cp").arg("-a").arg(&src).arg(&mirror));
        {
            let k = boot();
            attach(&k, "/dev/img", &img);
            k.sys_mkdir("/mnt", 0o755).unwrap();
            k.sys_mount_dev("ffs", "/dev/img", "/mnt", 0).unwrap();
            copy_in(&k, &src, "/mnt");
            churn(&k, &mirror);
            k.sys_unmount("/mnt", 0).unwrap();
        }
        // Our checker, then sleuthkit.
        let out = run(Command::new(fsck).arg("-n").arg(&img));
        assert!(
            !out.contains('?'),
            "fsck_ffs -n found problems in v{v} {bsize}:\n{out}"
        );
        let stat = run(Command::new("fsstat").args(["-f", fstype]).arg(&img));
        assert!(stat.contains(&format!("Block Size: {bsize}")), "{stat}");
        let listed = fls(fstype, &img);
        let want = host_paths(&mirror);
        let got: BTreeMap<String, char> =
            listed.iter().map(|(p, (k, _))| (p.clone(), *k)).collect();
        assert_eq!(got, want, "fls -r of v{v} {bsize}");
        // Every file outside the numbered ones, and a sixth of those:
        // each icat is a process.
        for (n, (path, (kind, ino))) in listed.iter().enumerate() {
            let numbered =
                path.contains("/file") && !path.contains("file0000") && !path.contains("file0003");
            if *kind != 'r' || (numbered && n % 6 != 0) {
                continue;
            }
            let data = Command::new("icat")
                .args(["-f", fstype])
                .arg(&img)
                .arg(ino.to_string())
                .output()
                .unwrap();
            assert!(data.status.success(), "icat {ino}");
            assert!(
                data.stdout == std::fs::read(mirror.join(path)).unwrap(),
                "contents of {path} (inode {ino}) by icat"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
