//! Helpers of the FFS tests that use real tools: a kernel with FFS, host
//! trees to build images from, and a comparison of a tree in the kernel
//! with one on the host.
#![allow(dead_code)]

use rump::{BootConfig, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::etfs::{self, EtfsType};
use rumpvfs::flags::{O_CREAT, O_DIRECTORY, O_RDONLY, O_WRONLY};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A kernel with the VFS and FFS.
pub fn boot() -> Arc<Kernel> {
    KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .expect("boot a kernel with ffs")
}

/// Expose the image at `host` as block device `key` in `k`.
pub fn attach(k: &Kernel, key: &str, host: &Path) {
    etfs::register(k, key, host.to_str().unwrap(), EtfsType::Blk).expect("register the image");
}

/// Fail with a clear message when a tool the test needs is missing (CI
/// installs it; see `.ci/run`).
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    assert!(found, "{tool} is needed: apt-get install {package}");
}

/// Run a host command, failing the test with its output if it fails.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh scratch directory.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpffs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Deterministic bytes.
pub fn bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

/// Build the test tree under `root`: `files` small files spread over
/// directories, a deep chain, a file of `big` bytes, short and long
/// symlinks, hard links, an empty file, a fifo and a device node.
pub fn make_tree(root: &Path, files: usize, big: usize) {
    use std::fs;
    fs::create_dir_all(root).unwrap();
    for i in 0..files {
        let d = root.join(format!("dir{:02}", i % 25));
        fs::create_dir_all(&d).unwrap();
        let len = (i * 37) % 9000;
        fs::write(d.join(format!("file{i:05}.dat")), bytes(len, i as u64)).unwrap();
    }
    let mut deep = root.join("deep");
    for i in 0..40 {
        deep = deep.join(format!("level{i}"));
    }
    fs::create_dir_all(&deep).unwrap();
    fs::write(deep.join("bottom"), b"at the bottom\n").unwrap();
    fs::write(root.join("big.bin"), bytes(big, 99)).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    std::os::unix::fs::symlink("dir00/file00000.dat", root.join("short-link")).unwrap();
    let long: String = std::iter::repeat_n("long-component/", 20).collect();
    std::os::unix::fs::symlink(&long, root.join("long-link")).unwrap();
    fs::hard_link(root.join("dir01/file00001.dat"), root.join("hardlink")).unwrap();
    fs::set_permissions(root.join("empty"), fs::Permissions::from_mode(0o4751)).unwrap();
    run(Command::new("mkfifo").arg(root.join("fifo")));
    run(Command::new("mknod")
        .arg(root.join("chardev"))
        .args(["c", "1", "3"]));
}

/// Compare the tree at `kpath` in kernel `k` with the host tree at `host`:
/// names, types, permissions, owners, sizes, link counts, modification
/// times (seconds), file contents, link targets and device numbers.
/// Returns the number of entries compared.
pub fn compare_tree(k: &Kernel, kpath: &str, host: &Path) -> usize {
    let mut n = 0;
    let mut stack = vec![(kpath.to_string(), host.to_path_buf())];
    while let Some((kp, hp)) = stack.pop() {
        let fd = k
            .sys_open(&kp, O_RDONLY | O_DIRECTORY, 0)
            .unwrap_or_else(|e| panic!("open {kp}: {e:?}"));
        let mut knames: Vec<Vec<u8>> = k
            .sys_getdents(fd)
            .unwrap()
            .into_iter()
            .map(|d| d.name)
            .filter(|n| n != b"." && n != b"..")
            .collect();
        k.sys_close(fd).unwrap();
        knames.sort();
        let mut hnames: Vec<Vec<u8>> = std::fs::read_dir(&hp)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_encoded_bytes())
            .collect();
        hnames.sort();
        assert_eq!(knames, hnames, "entries of {kp}");
        for name in hnames {
            let name = String::from_utf8(name).unwrap();
            let (kc, hc) = (format!("{kp}/{name}"), hp.join(&name));
            let hs = std::fs::symlink_metadata(&hc).unwrap();
            let ks = k
                .sys_lstat(&kc)
                .unwrap_or_else(|e| panic!("lstat {kc}: {e:?}"));
            n += 1;
            assert_eq!(ks.mode, hs.mode(), "mode of {kc}");
            assert_eq!((ks.uid, ks.gid), (hs.uid(), hs.gid()), "owner of {kc}");
            assert_eq!(u64::from(ks.nlink), hs.nlink(), "links of {kc}");
            let ft = hs.file_type();
            if !ft.is_dir() {
                assert_eq!(ks.size as u64, hs.size(), "size of {kc}");
            }
            if !ft.is_symlink() {
                assert_eq!(ks.mtime.0, hs.mtime(), "mtime of {kc}");
            }
            if ft.is_dir() {
                stack.push((kc, hc));
            } else if ft.is_symlink() {
                let t = std::fs::read_link(&hc)
                    .unwrap()
                    .into_os_string()
                    .into_encoded_bytes();
                assert_eq!(k.sys_readlink(&kc).unwrap(), t, "target of {kc}");
            } else if ft.is_file() {
                assert_eq!(
                    read_file(k, &kc),
                    std::fs::read(&hc).unwrap(),
                    "contents of {kc}"
                );
            } else {
                use std::os::unix::fs::FileTypeExt;
                if ft.is_char_device() || ft.is_block_device() {
                    let (maj, min) = (libc_major(hs.rdev()), libc_minor(hs.rdev()));
                    assert_eq!(
                        (maj, min),
                        (netbsd_major(ks.rdev), netbsd_minor(ks.rdev)),
                        "rdev of {kc}"
                    );
                }
            }
        }
    }
    n
}

/// A whole file read through the kernel.
pub fn read_file(k: &Kernel, path: &str) -> Vec<u8> {
    let fd = k
        .sys_open(path, O_RDONLY, 0)
        .unwrap_or_else(|e| panic!("open {path}: {e:?}"));
    let mut out = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = k.sys_pread(fd, &mut buf, out.len() as i64).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    k.sys_close(fd).unwrap();
    out
}

fn libc_major(d: u64) -> u64 {
    ((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)
}

fn libc_minor(d: u64) -> u64 {
    (d & 0xff) | ((d >> 12) & !0xff)
}

/// NetBSD's `major()` of a `dev_t`.
fn netbsd_major(d: u64) -> u64 {
    (d & 0x000f_ff00) >> 8
}

/// NetBSD's `minor()` of a `dev_t`.
fn netbsd_minor(d: u64) -> u64 {
    ((d & 0xfff0_0000) >> 12) | (d & 0xff)
}

/// Copy the host tree at `from` into the kernel at `to` (devices are
/// skipped: they are not data).
pub fn copy_in(k: &rump::Kernel, from: &Path, to: &str) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().into_string().unwrap();
        let (hp, kp) = (e.path(), format!("{to}/{name}"));
        let ft = e.file_type().unwrap();
        if ft.is_dir() {
            k.sys_mkdir(&kp, 0o755).unwrap();
            copy_in(k, &hp, &kp);
        } else if ft.is_symlink() {
            let t = std::fs::read_link(&hp).unwrap();
            k.sys_symlink(t.to_str().unwrap(), &kp).unwrap();
        } else if ft.is_file() {
            let fd = k.sys_open(&kp, O_CREAT | O_WRONLY, 0o644).unwrap();
            let data = std::fs::read(&hp).unwrap();
            for (i, piece) in data.chunks(50_000).enumerate() {
                k.sys_pwrite(fd, piece, (i * 50_000) as i64).unwrap();
            }
            k.sys_close(fd).unwrap();
        } else {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_fifo() {
                k.sys_mkfifo(&kp, 0o644).unwrap();
            }
        }
    }
}

/// Paths of regular files and their inodes, as `fls -r -p -u` lists them.
pub fn fls(fstype: &str, img: &Path) -> BTreeMap<String, (char, u64)> {
    let out = run(Command::new("fls")
        .args(["-r", "-p", "-u", "-f", fstype])
        .arg(img));
    let mut m = BTreeMap::new();
    for line in out.lines() {
        // "r/r 1234:\tdir/name"
        let (head, path) = line
            .split_once(":\t")
            .unwrap_or_else(|| panic!("fls line {line:?}"));
        let kind = head.chars().next().unwrap();
        let ino: u64 = head
            .rsplit(' ')
            .next()
            .unwrap()
            .trim_end_matches('*')
            .parse()
            .unwrap_or(0);
        if path.starts_with('$') {
            continue;
        }
        m.insert(path.to_string(), (kind, ino));
    }
    m
}

/// Every path below `root` on the host: type letter as fls prints it.
pub fn host_paths(root: &Path) -> BTreeMap<String, char> {
    let mut m = BTreeMap::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let name = format!("{prefix}{}", e.file_name().into_string().unwrap());
            let ft = e.file_type().unwrap();
            use std::os::unix::fs::FileTypeExt;
            let kind = if ft.is_dir() {
                stack.push((e.path(), format!("{name}/")));
                'd'
            } else if ft.is_symlink() {
                'l'
            } else if ft.is_fifo() {
                'p'
            } else if ft.is_file() {
                'r'
            } else {
                continue;
            };
            m.insert(name, kind);
        }
    }
    m
}
