//! A drive given as NetBSD's tools are given one (`-d key=/dev/dk,...,
//! type=blk` and `-d key=/dev/rdk,...,type=chr` on one image, `size=` in
//! bytes): our own `newfs_ffs` and `fsck_ffs` on the image and `rump.mount`
//! over the server still work with it, a remote client reads the label
//! rumpblk makes up from the raw device, and an FFS mount records where it
//! was mounted, as NetBSD's `ffs_mount` does.

mod common;

use common::*;
use rumpclient::Regions;
use std::process::Command;

/// The image's size in bytes: 16 MiB.
const SIZE: u64 = 16 << 20;
/// `DIOCGDINFO` (`sys/dkio.h`): `_IOR('d', 101, struct disklabel)`, 408 bytes.
const DIOCGDINFO: u64 = 0x4198_6465;
/// `fs_fsmnt` in `struct fs` (`ufs/ffs/fs.h`), from the superblock's start.
const FSMNT: usize = 212;
/// `fs_magic` in `struct fs`.
const MAGIC: usize = 1372;
/// Where UFS2's and UFS1's superblocks are (`SBLOCK_UFS2`, `SBLOCK_UFS1`).
const SBLOCKS: [usize; 2] = [65536, 8192];
/// `FS_UFS2_MAGIC`, `FS_UFS1_MAGIC`.
const MAGICS: [u32; 2] = [0x1954_0119, 0x011954];

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "failed: {}{}", stdout(o), stderr(o));
    stdout(o)
}

#[test]
fn our_ffs_tools_and_mount_work_on_block_and_character_keys() {
    let dir = tempdir("etfsdisks");
    let img = dir.join("dk.img");
    newfs(&img, &["-s", "16m"]);
    assert_eq!(std::fs::metadata(&img).unwrap().len(), SIZE);
    let url = format!("unix://{}", dir.join("s").display());
    let blk = format!(
        "key=/dev/dk,hostpath={},size={SIZE},type=blk",
        img.display()
    );
    let chr = format!(
        "key=/dev/rdk,hostpath={},size={SIZE},type=chr",
        img.display()
    );
    let (mut server, c) = serve("rump_allserver", &["-d", &blk, "-d", &chr], &url);
    let m = Regions::new();

    // The raw device's label, as NetBSD's disklabel reads it.
    let fd = c
        .syscall(
            netbsd_abi::SYS_open,
            &[m.add(b"/dev/rdk\0"), netbsd_abi::O_RDONLY as u64],
            &m,
        )
        .unwrap()[0] as u64;
    let label = m.add(&[0u8; 408]);
    c.syscall(netbsd_abi::SYS_ioctl, &[fd, DIOCGDINFO, label], &m)
        .unwrap();
    let l = m.get(label);
    let le32 = |o: usize| u32::from_le_bytes(l[o..o + 4].try_into().unwrap());
    assert_eq!(le32(0), 0x8256_4557, "d_magic");
    assert_eq!(le32(40), 512, "d_secsize");
    assert_eq!(le32(60), SIZE as u32, "d_secperunit (bytes, as NetBSD's)");
    assert_eq!(le32(148), (SIZE / 512) as u32, "partition a's size");
    // What the raw device reads is the image, superblock and all.
    let host = std::fs::read(&img).unwrap();
    let sb = (0..2)
        .find(|&i| {
            let at = SBLOCKS[i] + MAGIC;
            u32::from_le_bytes(host[at..at + 4].try_into().unwrap()) == MAGICS[i]
        })
        .map(|i| SBLOCKS[i])
        .expect("a superblock");
    let sector = m.add(&[0u8; 512]);
    let off = (sb + 1024) as u64;
    let n = c
        .syscall(netbsd_abi::SYS_pread, &[fd, sector, 512, 0, off], &m)
        .unwrap()[0];
    assert_eq!(n, 512);
    assert_eq!(m.get(sector), &host[sb + 1024..sb + 1536]);

    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(b"/mnt\0"), 0o755], &m)
        .unwrap();
    let mount = |args: &[&str]| tool(&dir, &url, "rump.mount", args);
    let refused = mount(&["-t", "ffs", "/dev/rdk", "/mnt"]);
    assert!(!refused.status.success(), "{}", stdout(&refused));
    ok(&mount(&["-t", "ffs", "/dev/dk", "/mnt"]));
    assert!(ok(&mount(&[])).contains("/dev/dk on /mnt type ffs (local)"));
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(b"/mnt/made\0"), 0o755], &m)
        .unwrap();
    ok(&tool(&dir, &url, "rump.umount", &["/mnt"]));
    ok(&tool(&dir, &url, "rump.halt", &[]));
    server.wait().unwrap();

    let host = std::fs::read(&img).unwrap();
    assert_eq!(&host[sb + FSMNT..sb + FSMNT + 5], b"/mnt\0", "fs_fsmnt");
    let check = Command::new(bin("fsck_ffs"))
        .arg("-n")
        .arg(&img)
        .output()
        .unwrap();
    assert!(!ok(&check).contains('?'), "{}", stdout(&check));
}
