//! `fsck_ffs` repairs what NetBSD's repairs when the damage is at the top:
//! a root inode overwritten, zeroed, made a file or pointing outside (the root is made again
//! and what it named is found in `lost+found`), and a damaged primary
//! superblock (the first cylinder group's copy is found, or the one `-b`
//! names, and written back). Images made by our `newfs_ffs` and by Debian's
//! `makefs`, FFSv1 and FFSv2, both byte orders; what the repaired image
//! holds is read back with sleuthkit (`fls`, `icat`) or through the kernel.

mod common;

use common::*;
use rumpfs_ffs::dev::HostDev;
use rumpfs_ffs::format::superblock::Superblock;
use rumpfs_ffs::format::{DEV_BSIZE, Endian};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{MNT_RDONLY, O_DIRECTORY, O_RDONLY};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// An image to damage.
struct Image {
    path: PathBuf,
    /// What made it, for messages.
    name: String,
    /// sleuthkit's name for its type, when sleuthkit can read it (it
    /// finds FFSv2 only at 65536, where makefs does not put it).
    sleuthkit: Option<&'static str>,
    /// The sectors of the superblock copies, one per group.
    copies: Vec<u64>,
}

/// A small tree: directories (one empty, one with a subdirectory), files
/// of a few blocks, a symbolic link.
fn small_tree(root: &Path) {
    std::fs::create_dir_all(root.join("alpha/sub")).unwrap();
    std::fs::create_dir_all(root.join("gamma")).unwrap();
    std::fs::write(root.join("alpha/one.txt"), b"one\n").unwrap();
    std::fs::write(root.join("alpha/sub/two.bin"), bytes(70_000, 2)).unwrap();
    std::fs::write(root.join("beta.bin"), bytes(300_000, 3)).unwrap();
    std::os::unix::fs::symlink("alpha/one.txt", root.join("link")).unwrap();
}

fn superblock(img: &Path) -> Superblock {
    rumpfs_ffs::read_superblock(&HostDev::open(img.to_str().unwrap(), false).unwrap())
        .unwrap_or_else(|e| panic!("superblock of {img:?}: {e:?}"))
}

fn copies_of(sb: &Superblock) -> Vec<u64> {
    (0..sb.ncg)
        .map(|c| sb.cgsblock(c) * sb.fsize / DEV_BSIZE)
        .collect()
}

/// An image made by our newfs_ffs (FFS version `v`) and filled through
/// the kernel.
fn newfs_image(dir: &Path, v: &str, src: &Path) -> Image {
    let path = dir.join(format!("newfs-v{v}.img"));
    let out = run(Command::new(env!("CARGO_BIN_EXE_newfs_ffs"))
        .args(["-F", "-O", v, "-s", "16m"])
        .arg(&path));
    let listed: Vec<u64> = out
        .split_once("super-block backups (for fsck_ffs -b #) at:\n")
        .map(|(_, l)| l.lines().next().unwrap_or(""))
        .unwrap_or_else(|| panic!("newfs_ffs output: {out}"))
        .split(", ")
        .map(|n| n.trim().parse().unwrap())
        .collect();
    let k = boot();
    attach(&k, "/dev/img", &path);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/img", "/mnt", 0).unwrap();
    copy_in(&k, src, "/mnt");
    k.sys_unmount("/mnt", 0).unwrap();
    // What newfs_ffs prints is where the copies are.
    assert_eq!(listed, copies_of(&superblock(&path)));
    Image {
        path,
        name: format!("newfs_ffs -O {v}"),
        sleuthkit: Some(if v == "1" { "ufs1" } else { "ufs2" }),
        copies: listed,
    }
}

/// An image made by Debian's makefs from `src`.
fn makefs_image(dir: &Path, v: u32, order: &str, src: &Path) -> Image {
    let path = dir.join(format!("makefs-v{v}-{order}.img"));
    run(Command::new("makefs")
        .args(["-t", "ffs", "-s", "16m", "-B", order])
        .args(["-o", &format!("version={v},bsize=8192,fsize=1024")])
        .arg(&path)
        .arg(src));
    let copies = copies_of(&superblock(&path));
    Image {
        path,
        name: format!("makefs version={v} -B {order}"),
        sleuthkit: (v == 1).then_some("ufs1"),
        copies,
    }
}

fn images(dir: &Path, src: &Path) -> Vec<Image> {
    require("makefs", "makefs");
    vec![
        newfs_image(dir, "1", src),
        newfs_image(dir, "2", src),
        makefs_image(dir, 1, "le", src),
        makefs_image(dir, 2, "le", src),
        makefs_image(dir, 2, "be", src),
    ]
}

/// Run fsck_ffs: exit status, standard output, standard error.
fn fsck(args: &[&str], img: &Path) -> (Option<i32>, String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_fsck_ffs"))
        .args(args)
        .arg(img)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// fsck_ffs -n finds nothing.
fn assert_clean(img: &Path, what: &str) {
    let (code, out, err) = fsck(&["-n"], img);
    assert!(
        code == Some(0) && !out.contains('?'),
        "{what}: not clean after repair:\n{out}{err}"
    );
}

fn patch(img: &Path, at: u64, with: &[u8]) {
    let mut b = std::fs::read(img).unwrap();
    b[at as usize..at as usize + with.len()].copy_from_slice(with);
    std::fs::write(img, b).unwrap();
}

/// The inode of each name at the top of the image's tree.
fn top_inodes(img: &Path) -> BTreeMap<String, u64> {
    let k = boot();
    attach(&k, "/dev/img", img);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/img", "/mnt", MNT_RDONLY)
        .unwrap();
    let fd = k.sys_open("/mnt", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let names: Vec<String> = k
        .sys_getdents(fd)
        .unwrap()
        .into_iter()
        .map(|d| String::from_utf8(d.name).unwrap())
        .filter(|n| n != "." && n != "..")
        .collect();
    k.sys_close(fd).unwrap();
    let m = names
        .into_iter()
        .map(|n| {
            let ino = k.sys_lstat(&format!("/mnt/{n}")).unwrap().ino;
            (n, ino)
        })
        .collect();
    k.sys_unmount("/mnt", 0).unwrap();
    m
}

/// What the repaired image must hold: `lost+found`, and in it `#INO` for
/// each name the old root held, with everything below it.
fn expected_paths(src: &Path, inos: &BTreeMap<String, u64>) -> BTreeMap<String, char> {
    let mut want = BTreeMap::from([("lost+found".to_string(), 'd')]);
    for (path, kind) in host_paths(src) {
        let (top, rest) = match path.split_once('/') {
            Some((t, r)) => (t, format!("/{r}")),
            None => (path.as_str(), String::new()),
        };
        want.insert(format!("lost+found/#{}{rest}", inos[top]), kind);
    }
    want
}

/// Check the repaired image against the tree it was made from: with
/// sleuthkit when it reads the image, else through the kernel.
fn check_reconnected(img: &Image, src: &Path, inos: &BTreeMap<String, u64>, what: &str) {
    if let Some(fstype) = img.sleuthkit {
        let listed = fls(fstype, &img.path);
        let got: BTreeMap<String, char> =
            listed.iter().map(|(p, (k, _))| (p.clone(), *k)).collect();
        assert_eq!(got, expected_paths(src, inos), "{what}: fls -r");
        for (path, (kind, ino)) in &listed {
            if *kind != 'r' {
                continue;
            }
            let host = path.split_once('/').unwrap().1.split_once('/');
            let top = inos
                .iter()
                .find(|(_, i)| path.starts_with(&format!("lost+found/#{i}")))
                .unwrap()
                .0;
            let host_path = match host {
                Some((_, rest)) => src.join(top).join(rest),
                None => src.join(top),
            };
            let data = Command::new("icat")
                .args(["-f", fstype])
                .arg(&img.path)
                .arg(ino.to_string())
                .output()
                .unwrap();
            assert!(
                data.stdout == std::fs::read(&host_path).unwrap(),
                "{what}: contents of {path} by icat"
            );
        }
        return;
    }
    let k = boot();
    attach(&k, "/dev/img", &img.path);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/img", "/mnt", MNT_RDONLY)
        .unwrap();
    let fd = k.sys_open("/mnt", O_RDONLY | O_DIRECTORY, 0).unwrap();
    let mut top: Vec<Vec<u8>> = k
        .sys_getdents(fd)
        .unwrap()
        .into_iter()
        .map(|d| d.name)
        .collect();
    k.sys_close(fd).unwrap();
    top.sort();
    assert_eq!(top, [&b"."[..], b"..", b"lost+found"], "{what}: new root");
    for (name, ino) in inos {
        let (kp, hp) = (format!("/mnt/lost+found/#{ino}"), src.join(name));
        let ft = std::fs::symlink_metadata(&hp).unwrap().file_type();
        if ft.is_dir() {
            compare_tree(&k, &kp, &hp);
        } else if ft.is_symlink() {
            let t = std::fs::read_link(&hp).unwrap();
            assert_eq!(
                k.sys_readlink(&kp).unwrap(),
                t.as_os_str().as_encoded_bytes(),
                "{what}: {kp}"
            );
        } else {
            assert_eq!(
                read_file(&k, &kp),
                std::fs::read(&hp).unwrap(),
                "{what}: {kp}"
            );
        }
    }
    k.sys_unmount("/mnt", 0).unwrap();
}

#[test]
fn a_damaged_root_inode_is_made_again_and_its_names_reconnected() {
    let dir = scratch("repair-root");
    let src = dir.join("src");
    small_tree(&src);
    for img in images(&dir, &src) {
        let sb = superblock(&img.path);
        let at = sb.inode_offset(2);
        let mut as_file = [0u8; 2];
        sb.endian.put_u16(&mut as_file, 0, 0o100644);
        let isize = sb.version.inode_size();
        // di_db[0] (at 40 in a UFS1 inode, 112 in a UFS2 one) far past the end.
        let mut bad_block = vec![0u8; sb.version.ptr_size()];
        let db0 = match sb.version {
            rumpfs_ffs::format::Version::Ufs1 => {
                sb.endian.put_u32(&mut bad_block, 0, 0x7fff_0000);
                40
            }
            rumpfs_ffs::format::Version::Ufs2 => {
                sb.endian.put_u64(&mut bad_block, 0, 1 << 40);
                112
            }
        };
        let damages: [(&str, u64, Vec<u8>, &str, &str); 4] = [
            (
                "two bytes over its mode",
                0,
                vec![0xff, 0xff],
                "ROOT INODE UNALLOCATED",
                "ALLOCATE? yes",
            ),
            (
                "zeroed",
                0,
                vec![0; isize],
                "ROOT INODE UNALLOCATED",
                "ALLOCATE? yes",
            ),
            (
                "made a regular file",
                0,
                as_file.to_vec(),
                "ROOT INODE NOT DIRECTORY",
                "REALLOCATE? yes",
            ),
            (
                "pointing past the end",
                db0,
                bad_block,
                "DUPS/BAD IN ROOT INODE",
                "REALLOCATE? yes",
            ),
        ];
        let inos = top_inodes(&img.path);
        assert_eq!(inos.len(), 4, "{}: {inos:?}", img.name);
        let pristine = std::fs::read(&img.path).unwrap();
        for (how, within, bytes, said, fix) in damages {
            let what = format!("{} with its root inode {how}", img.name);
            std::fs::write(&img.path, &pristine).unwrap();
            patch(&img.path, at + within, &bytes);
            let damaged = std::fs::read(&img.path).unwrap();
            // -n says so, writes nothing and fails.
            let (code, out, _) = fsck(&["-n"], &img.path);
            assert_eq!(code, Some(8), "{what}: fsck -n\n{out}");
            assert!(out.contains(said) && out.contains("? no"), "{what}:\n{out}");
            assert!(
                std::fs::read(&img.path).unwrap() == damaged,
                "{what}: -n wrote"
            );
            // -y makes the root again and reconnects what it named.
            let (code, out, err) = fsck(&["-y"], &img.path);
            assert_eq!(code, Some(0), "{what}: fsck -y\n{out}{err}");
            assert!(out.contains(said) && out.contains(fix), "{what}:\n{out}");
            assert!(
                out.contains("UNREF DIR") && out.contains("RECONNECT? yes"),
                "{what}:\n{out}"
            );
            assert_clean(&img.path, &what);
            check_reconnected(&img, &src, &inos, &what);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_damaged_primary_superblock_is_replaced_by_a_copy() {
    let dir = scratch("repair-sb");
    let src = dir.join("src");
    small_tree(&src);
    for img in images(&dir, &src) {
        let sb = superblock(&img.path);
        let pristine = std::fs::read(&img.path).unwrap();
        let first = img.copies[0];
        let damages: [(&str, u64, Vec<u8>); 2] = [
            ("zeroed", sb.location, vec![0; 8192]),
            // fs_bsize: the magic number is intact, the geometry is not.
            (
                "with two bytes over its block size",
                sb.location + 48,
                vec![0x34, 0x12],
            ),
        ];
        for (how, at, bytes) in damages {
            let what = format!("{} with its superblock {how}", img.name);
            std::fs::write(&img.path, &pristine).unwrap();
            patch(&img.path, at, &bytes);
            let damaged = std::fs::read(&img.path).unwrap();
            let (code, out, err) = fsck(&["-n"], &img.path);
            assert_eq!(code, Some(8), "{what}: fsck -n\n{out}{err}");
            assert!(
                out.contains("BAD SUPER BLOCK")
                    && out.contains("LOOK FOR ALTERNATE SUPERBLOCKS? no"),
                "{what}:\n{out}"
            );
            assert!(err.contains("-b N"), "{what}: {err}");
            assert!(
                std::fs::read(&img.path).unwrap() == damaged,
                "{what}: -n wrote"
            );
            let (code, out, err) = fsck(&["-y"], &img.path);
            assert_eq!(code, Some(0), "{what}: fsck -y\n{out}{err}");
            assert!(
                out.contains("LOOK FOR ALTERNATE SUPERBLOCKS? yes")
                    && out.contains(&format!("USING ALTERNATE SUPERBLOCK AT {first}\n"))
                    && out.contains("UPDATE STANDARD SUPERBLOCK? yes"),
                "{what}:\n{out}"
            );
            assert_clean(&img.path, &what);
            let again = superblock(&img.path);
            assert!(
                again.same_layout(&sb) && again.location == sb.location,
                "{what}: primary not written back"
            );
            assert_eq!(
                top_inodes(&img.path),
                top_inodes_of(&pristine, &dir),
                "{what}"
            );
        }
        // -b names a copy: the first group's, or another's.
        let what = format!("{} with -b", img.name);
        std::fs::write(&img.path, &pristine).unwrap();
        patch(&img.path, sb.location, &[0; 8192]);
        let damaged = std::fs::read(&img.path).unwrap();
        let n = first.to_string();
        let (code, out, _) = fsck(&["-n", "-b", &n], &img.path);
        assert_eq!(code, Some(8), "{what}:\n{out}");
        assert!(
            out.contains(&format!("Alternate super block location: {first}"))
                && out.contains("UPDATE STANDARD SUPERBLOCK? no")
                && out.contains("** Phase 5"),
            "{what}:\n{out}"
        );
        assert!(
            std::fs::read(&img.path).unwrap() == damaged,
            "{what}: -n wrote"
        );
        let last = img.copies.last().unwrap().to_string();
        let (code, out, err) = fsck(&["-y", &format!("-b{last}")], &img.path);
        assert_eq!(code, Some(0), "{what} {last}:\n{out}{err}");
        assert_clean(&img.path, &what);
        assert!(superblock(&img.path).same_layout(&sb), "{what}");
        // A wrong -b says why.
        for (arg, says) in [
            ("1", "MAGIC NUMBER WRONG"),
            ("99999999999", "BEYOND THE END OF THE DEVICE"),
        ] {
            let (code, out, err) = fsck(&["-n", "-b", arg], &img.path);
            assert_eq!(code, Some(8), "{what} {arg}");
            assert!(
                out.contains(&format!("BAD SUPER BLOCK: {says}"))
                    && err.contains(&format!("no superblock copy at sector {arg}")),
                "{what} {arg}:\n{out}{err}"
            );
        }
        let (code, _, err) = fsck(&["-n", "-b", "x"], &img.path);
        assert!(
            code == Some(8) && err.contains("-b flag requires a number"),
            "{err}"
        );
        // A damaged last copy is reported; the primary is used.
        let last = img.copies.last().unwrap() * DEV_BSIZE;
        patch(&img.path, last + 48, &[0x34, 0x12]);
        let (code, out, _) = fsck(&["-n"], &img.path);
        assert!(
            code == Some(0)
                && out.contains("VALUES IN SUPER BLOCK DISAGREE WITH THOSE IN FIRST ALTERNATE"),
            "{what}: damaged last copy:\n{out}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// [`top_inodes`] of an image held in memory.
fn top_inodes_of(image: &[u8], dir: &Path) -> BTreeMap<String, u64> {
    let p = dir.join("pristine.img");
    std::fs::write(&p, image).unwrap();
    let m = top_inodes(&p);
    std::fs::remove_file(&p).unwrap();
    m
}

#[test]
fn superblock_copies_are_found_in_the_other_byte_order_too() {
    // The copy search reads both byte orders: a big-endian FFSv1 image.
    require("makefs", "makefs");
    let dir = scratch("repair-sb-be1");
    let src = dir.join("src");
    small_tree(&src);
    let img = makefs_image(&dir, 1, "be", &src);
    let sb = superblock(&img.path);
    assert_eq!(sb.endian, Endian::Big);
    patch(&img.path, sb.location + 1372, &[0, 0, 0, 0]);
    let (code, out, err) = fsck(&["-y"], &img.path);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(
        out.contains(&format!("USING ALTERNATE SUPERBLOCK AT {}", img.copies[0])),
        "{out}"
    );
    assert_clean(&img.path, "big-endian FFSv1");
    let _ = std::fs::remove_dir_all(&dir);
}
