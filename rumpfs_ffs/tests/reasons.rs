//! A corrupt image says what is wrong with it. The FFS fuzz corpus's seeds
//! that damage the superblock, the root inode and a directory
//! (`rumpfuzz/tests/smoke.rs`, `ffs_image_smoke`) are applied as the fuzz
//! entry applies them (`rumpfuzz::ffs_image`: byte 0 picks FFSv1 or FFSv2,
//! then records of a 32-bit offset, a length byte and the bytes) to images
//! made as the fuzz entry makes its bases. Each is mounted in a kernel:
//! the system call fails with NetBSD's errno, and the kernel's console
//! says why, each seed with its own reason. `fsck_ffs -n` says the same of
//! the superblocks, as NetBSD's does ("BAD SUPER BLOCK: ...").

use rump::kernel::ConsoleLevel;
use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpfs_ffs::dev::{BlockDev, MemDev};
use rumpfs_ffs::format::Version;
use rumpfs_ffs::format::dinode::{Dinode, IFMT, IFREG};
use rumpfs_ffs::mkfs::{Params, newfs};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::{MNT_RDONLY, O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY};
use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

mod common;

/// Bytes of an image (the fuzz entry's `IMAGE`).
const IMAGE: usize = 1 << 20;

/// An empty file system made as the fuzz entry makes its bases.
fn base(v: Version) -> Vec<u8> {
    base_of(v, IMAGE)
}

/// An empty file system of `size` bytes.
fn base_of(v: Version, size: usize) -> Vec<u8> {
    let dev = Arc::new(MemDev::new(size));
    let p = Params {
        version: v,
        bsize: 4096,
        fsize: 512,
        density: 4096,
        time: 1_700_000_000,
        ..Params::default()
    };
    newfs(Arc::clone(&dev) as Arc<dyn BlockDev>, &p).expect("newfs");
    dev.bytes()
}

/// The image a fuzz seed makes of its base.
fn damaged(seed: &[u8]) -> Vec<u8> {
    let (&pick, mut rest) = seed.split_first().expect("a seed picks a version");
    let v = if pick & 1 == 0 {
        Version::Ufs1
    } else {
        Version::Ufs2
    };
    let mut img = base(v);
    while rest.len() >= 5 {
        let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize % img.len();
        let n = (usize::from(rest[4]) % 16 + 1).min(rest.len() - 5);
        let end = (off + n).min(img.len());
        img[off..end].copy_from_slice(&rest[5..5 + (end - off)]);
        rest = &rest[5 + n..];
    }
    img
}

/// A seed writing `bytes` at `off` of the `pick`ed base.
fn seed(pick: u8, off: u32, bytes: &[u8]) -> Vec<u8> {
    let mut s = vec![pick];
    s.extend_from_slice(&off.to_le_bytes());
    s.push(bytes.len() as u8 - 1);
    s.extend_from_slice(bytes);
    s
}

/// A kernel with the VFS and FFS whose console is kept for the test.
fn boot() -> (Arc<Kernel>, Arc<Mutex<Vec<String>>>) {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let keep = Arc::clone(&lines);
    let k = KernelBuilder::new()
        .config(BootConfig::default())
        .console(Box::new(move |level, msg: &str| {
            if level == ConsoleLevel::Normal {
                keep.lock().unwrap().push(msg.to_string());
            }
        }))
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .expect("boot a kernel with ffs");
    (k, lines)
}

/// What a step in the kernel did: the errno and the console's lines.
fn in_kernel(img: &Path, step: fn(&Kernel) -> Result<(), Errno>) -> (Result<(), Errno>, String) {
    let (k, console) = boot();
    etfs::register(&k, "/dev/img", img.to_str().unwrap(), EtfsType::Blk).expect("register");
    k.sys_mkdir("/mnt", 0o755).unwrap();
    let res = step(&k);
    let said = console.lock().unwrap().join("\n");
    (res, said)
}

fn mount(k: &Kernel) -> Result<(), Errno> {
    k.sys_mount_dev("ffs", "/dev/img", "/mnt", 0)
}

/// Mount read-only: the image stays clean for the next kernel.
fn mount_ro(k: &Kernel) -> Result<(), Errno> {
    k.sys_mount_dev("ffs", "/dev/img", "/mnt", MNT_RDONLY)
}

fn mount_and_list(k: &Kernel) -> Result<(), Errno> {
    mount(k).expect("the damage is not where a mount looks");
    let fd = k.sys_open("/mnt", O_RDONLY | O_DIRECTORY, 0)?;
    k.sys_getdents(fd).map(|_| ())
}

fn fsck(img: &Path) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fsck_ffs"))
        .arg("-n")
        .arg(img)
        .output()
        .expect("run fsck_ffs");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// One seed: how it is used, the errno, and the reason the console gives.
struct Case {
    what: &'static str,
    seed: Vec<u8>,
    step: fn(&Kernel) -> Result<(), Errno>,
    errno: Errno,
    reason: &'static str,
    /// Whether the superblock is what is wrong (so fsck says so too).
    superblock: bool,
    /// Whether the damage is met after the mount (not by it).
    after_mount: bool,
}

fn cases() -> Vec<Case> {
    let damage = [0xff, 0x12, 0, 0x80, 1, 0, 0, 0];
    vec![
        Case {
            what: "FFSv1 fs_ncg and fs_bsize overwritten",
            seed: seed(0, 8192 + 44, &damage),
            step: mount,
            errno: Errno::EINVAL,
            reason: "block size 1 is not a power of two from 4096 to 65536",
            superblock: true,
            after_mount: false,
        },
        Case {
            what: "FFSv2 fs_bsize and fs_fsize overwritten",
            seed: seed(1, 65536 + 48, &damage),
            step: mount,
            errno: Errno::EINVAL,
            reason: "block size 2147488511 is not a power of two from 4096 to 65536",
            superblock: true,
            after_mount: false,
        },
        Case {
            what: "FFSv2 primary's magic number gone",
            seed: seed(1, 65536 + 1372, &[0, 0, 0, 0]),
            step: mount,
            errno: Errno::EINVAL,
            reason: "can't find superblock (no magic number at byte 65536, 8192, 262144)",
            superblock: true,
            after_mount: false,
        },
        Case {
            what: "FFSv2 group block too small for its maps (found by the fuzzer)",
            seed: vec![253, 190, 0, 1, 0, 3, 63, 48, 0, 1, 0, 7, 18, 0, 0],
            step: mount,
            errno: Errno::EINVAL,
            reason: "cylinder group size 1024 is too small for its maps",
            superblock: true,
            after_mount: false,
        },
        Case {
            what: "FFSv1 root directory's size beyond its blocks",
            seed: vec![186, 8, 113, 0, 40, 108, 0, 0, 0, 178, 1, 0, 178],
            step: mount_and_list,
            errno: Errno::EIO,
            reason: "/mnt: bad dir ino 2: size",
            superblock: false,
            after_mount: true,
        },
    ]
}

#[test]
fn each_invalid_seed_says_its_own_reason() {
    let dir = common::scratch("reasons");
    let mut said = Vec::new();
    for (i, case) in cases().into_iter().enumerate() {
        let img = dir.join(format!("seed-{i}.img"));
        std::fs::write(&img, damaged(&case.seed)).unwrap();
        let (res, console) = in_kernel(&img, case.step);
        assert_eq!(res, Err(case.errno), "{}: {console}", case.what);
        let line = console
            .lines()
            .find(|l| l.contains(case.reason))
            .unwrap_or_else(|| panic!("{}: the console says\n{console}", case.what));
        if !case.after_mount {
            assert!(
                line.starts_with("/dev/img: cannot mount: "),
                "{}: {line}",
                case.what
            );
        }
        assert!(
            !said.contains(&line.to_string()),
            "{}: said twice",
            case.what
        );
        said.push(line.to_string());
        if case.superblock {
            let shouted = case.reason.to_uppercase().replace("0X", "0x");
            let out = fsck(&img);
            assert!(
                out.contains(&format!("BAD SUPER BLOCK: {shouted}")),
                "{}: fsck_ffs says\n{out}",
                case.what
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_cylinder_group_is_named_once() {
    let dir = common::scratch("reasons-cg");
    let img = dir.join("cg.img");
    // Several groups, so that allocations find room past group 0.
    let mut bytes = base_of(Version::Ufs2, 16 * IMAGE);
    // Group 0's block: its magic number (at byte 4) overwritten.
    let sb = rumpfs_ffs::read_superblock(&MemDev::from_bytes(bytes.clone())).unwrap();
    let at = (sb.cgtod(0) * sb.fsize) as usize + 4;
    bytes[at..at + 4].copy_from_slice(&[1, 2, 3, 4]);
    std::fs::write(&img, bytes).unwrap();
    let (res, console) = in_kernel(&img, |k| {
        mount(k)?;
        // A file's inode is wanted in its directory's group (0): each
        // allocation passes over group 0 to the others.
        for name in ["/mnt/a", "/mnt/b", "/mnt/c"] {
            k.sys_open(name, O_CREAT | O_WRONLY, 0o644)?;
        }
        Ok(())
    });
    assert_eq!(res, Ok(()), "{console}");
    let complaints: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("cg 0: bad magic number 0x4030201"))
        .collect();
    assert_eq!(
        complaints,
        ["/mnt: cg 0: bad magic number 0x4030201"],
        "{console}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_unallocated_root_mounts_and_every_lookup_into_it_fails() {
    // NetBSD's mount reads no root inode, and `ffs_loadvnode` answers
    // ENOENT for one whose mode is 0: the mount stands, says nothing, and
    // nothing below it can be reached, the mount point included.
    let dir = common::scratch("reasons-root");
    for (v, pick) in [(Version::Ufs1, 0), (Version::Ufs2, 1)] {
        let img = dir.join(format!("root-{pick}.img"));
        std::fs::write(&img, base(v)).unwrap();
        edit_inode(&img, 2, |d| *d = Dinode::default());
        let (res, console) = in_kernel(&img, |k| {
            mount(k)?;
            assert_eq!(k.sys_stat("/mnt").unwrap_err(), Errno::ENOENT);
            assert_eq!(k.sys_lstat("/mnt/x").unwrap_err(), Errno::ENOENT);
            assert_eq!(k.sys_statvfs("/mnt").unwrap_err(), Errno::ENOENT);
            assert_eq!(k.sys_mkdir("/mnt/d", 0o755).unwrap_err(), Errno::ENOENT);
            assert_eq!(k.sys_unmount("/mnt", 0).unwrap_err(), Errno::ENOENT);
            Ok(())
        });
        assert_eq!(res, Ok(()), "{v:?}: {console}");
        assert!(!console.contains("/dev/img"), "{v:?}: {console}");
        assert!(fsck(&img).contains("ROOT INODE UNALLOCATED"), "{v:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_root_that_is_a_file_mounts_and_names_below_it_are_not_directories() {
    // NetBSD's `ffs_mountfs` does not look at the root's type: the mount
    // point is then the file, and namei answers ENOTDIR past it.
    let dir = common::scratch("reasons-root-file");
    for (v, pick) in [(Version::Ufs1, 0), (Version::Ufs2, 1)] {
        let img = dir.join(format!("root-{pick}.img"));
        std::fs::write(&img, base(v)).unwrap();
        edit_inode(&img, 2, |d| d.mode = IFREG | 0o644);
        let (res, console) = in_kernel(&img, |k| {
            mount(k)?;
            let st = k.sys_stat("/mnt")?;
            assert_eq!((st.ino, st.mode & u32::from(IFMT)), (2, u32::from(IFREG)));
            assert_eq!(k.sys_stat("/mnt/.").unwrap_err(), Errno::ENOTDIR);
            assert_eq!(k.sys_lstat("/mnt/x").unwrap_err(), Errno::ENOTDIR);
            assert_eq!(k.sys_mkdir("/mnt/d", 0o755).unwrap_err(), Errno::ENOTDIR);
            let fd = k.sys_open("/mnt", O_RDONLY, 0)?;
            // The old root's directory block, read as the file's bytes.
            let mut buf = [0u8; 512];
            assert_eq!(k.sys_pread(fd, &mut buf, 0)?, 512);
            assert!(buf.windows(3).any(|w| w == b"..\0"), "{buf:?}");
            k.sys_close(fd)?;
            k.sys_unmount("/mnt", 0)
        });
        assert_eq!(res, Ok(()), "{v:?}: {console}");
        assert!(fsck(&img).contains("ROOT INODE NOT DIRECTORY"), "{v:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Change inode `ino` of the image at `img` with `edit`.
fn edit_inode(img: &Path, ino: u64, edit: impl FnOnce(&mut Dinode)) {
    let mut bytes = std::fs::read(img).unwrap();
    let sb = rumpfs_ffs::read_superblock(&MemDev::from_bytes(bytes.clone())).unwrap();
    let at = sb.inode_offset(ino) as usize;
    let slot = &mut bytes[at..at + sb.version.inode_size()];
    let mut d = Dinode::parse(sb.version, sb.endian, slot);
    edit(&mut d);
    d.emit(sb.version, sb.endian, slot);
    std::fs::write(img, bytes).unwrap();
}

#[test]
fn bad_block_pointers_and_entries_say_which() {
    let dir = common::scratch("reasons-inodes");
    let img = dir.join("inodes.img");
    std::fs::write(&img, base(Version::Ufs2)).unwrap();
    let (res, console) = in_kernel(&img, |k| {
        mount(k)?;
        for name in ["/mnt/f", "/mnt/g"] {
            let fd = k.sys_open(name, O_CREAT | O_WRONLY, 0o644)?;
            k.sys_pwrite(fd, &[7; 5000], 0)?;
            k.sys_close(fd)?;
        }
        k.sys_unmount("/mnt", 0)
    });
    assert_eq!(res, Ok(()), "{console}");
    let ino = |name: &str| {
        let k = boot().0;
        etfs::register(&k, "/dev/img", img.to_str().unwrap(), EtfsType::Blk).unwrap();
        k.sys_mkdir("/mnt", 0o755).unwrap();
        mount(&k).unwrap();
        let ino = k.sys_stat(&format!("/mnt/{name}")).unwrap().ino;
        k.sys_unmount("/mnt", 0).unwrap();
        ino
    };
    let (f, g) = (ino("f"), ino("g"));
    // f's first block pointed at group 0's inodes; g freed under its name.
    let sb =
        rumpfs_ffs::read_superblock(&MemDev::from_bytes(std::fs::read(&img).unwrap())).unwrap();
    let inodes = sb.cgimin(0) as i64;
    edit_inode(&img, f, |d| d.db[0] = inodes);
    edit_inode(&img, g, |d| d.mode = 0);
    let read_f = |k: &Kernel| {
        mount_ro(k)?;
        let fd = k.sys_open("/mnt/f", O_RDONLY, 0)?;
        k.sys_pread(fd, &mut [0; 100], 0).map(|_| ())
    };
    let (res, console) = in_kernel(&img, read_f);
    assert_eq!(res, Err(Errno::EIO), "{console}");
    let want = format!("/mnt: bad block {inodes} (8 fragments): in cylinder group 0's metadata");
    assert!(console.lines().any(|l| l == want), "{console}");
    let (res, console) = in_kernel(&img, |k| {
        mount_ro(k)?;
        k.sys_stat("/mnt/g").map(|_| ())
    });
    assert_eq!(res, Err(Errno::EIO), "{console}");
    let want = format!("/mnt: bad dir ino 2: entry g names unusable inode {g}");
    assert!(console.lines().any(|l| l == want), "{console}");
    let _ = std::fs::remove_dir_all(&dir);
}
