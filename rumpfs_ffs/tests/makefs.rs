//! Images made by Debian's `makefs` (NetBSD's makefs, ported) mount and
//! read byte-identical to the trees they were made from: FFSv1 and FFSv2,
//! several block and fragment sizes, both byte orders.

mod common;

use common::*;
use rumpvfs::VfsCalls;
use rumpvfs::flags::MNT_RDONLY;
use std::process::Command;

/// (version, block size, fragment size, byte order)
const CONFIGS: &[(u32, u32, u32, &str)] = &[
    (1, 4096, 512, "le"),
    (1, 8192, 1024, "le"),
    (1, 16384, 2048, "be"),
    (2, 8192, 1024, "le"),
    (2, 16384, 2048, "le"),
    (2, 32768, 4096, "le"),
    (2, 8192, 1024, "be"),
];

#[test]
fn makefs_images_read_back_identical() {
    require("makefs", "makefs");
    let dir = scratch("makefs");
    let src = dir.join("src");
    // 12 MiB: past the double indirect boundary for 4 KiB and 8 KiB blocks.
    make_tree(&src, 2500, 12 << 20);
    for &(v, b, f, order) in CONFIGS {
        let img = dir.join(format!("v{v}-{b}-{order}.img"));
        run(Command::new("makefs")
            .args(["-t", "ffs", "-s", "64m", "-B", order])
            .args(["-o", &format!("version={v},bsize={b},fsize={f}")])
            .arg(&img)
            .arg(&src));
        // Our checker agrees that makefs's image is consistent.
        let dev = std::sync::Arc::new(
            rumpfs_ffs::dev::HostDev::open(img.to_str().unwrap(), false).unwrap(),
        );
        let mut log = String::new();
        let o =
            rumpfs_ffs::check::check(dev, false, &mut |l| log.push_str(&format!("{l}\n"))).unwrap();
        assert_eq!(o.problems, 0, "v{v} {b}/{f} {order}:\n{log}");
        let k = boot();
        attach(&k, "/dev/img", &img);
        k.sys_mkdir("/mnt", 0o755).unwrap();
        for flags in [MNT_RDONLY, 0] {
            k.sys_mount_dev("ffs", "/dev/img", "/mnt", flags)
                .unwrap_or_else(|e| panic!("mount v{v} {b}/{f} {order} flags {flags}: {e:?}"));
            let n = compare_tree(&k, "/mnt", &src);
            assert!(n > 2500, "only {n} entries compared");
            let sv = k.sys_statvfs("/mnt").unwrap();
            assert_eq!(
                (sv.fstypename.as_str(), sv.frsize, sv.bsize),
                ("ffs", u64::from(f), u64::from(b))
            );
            k.sys_unmount("/mnt", 0).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
