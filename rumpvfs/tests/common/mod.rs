//! Helpers shared by the VFS conformance suite and the model test: booting a
//! kernel with the VFS faction and tmpfs, giving each case a fresh directory
//! on the file system under test, and small I/O conveniences.
#![allow(dead_code)]

pub mod nfs;

use rump::{BootConfig, Errno, Kernel, KernelBuilder};
use rumpvfs::VfsCalls;
use rumpvfs::flags::{O_CREAT, O_DIRECTORY, O_RDONLY, O_TRUNC, O_WRONLY};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The file systems every conformance case and the model test run on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fs {
    /// A fresh directory in the root file system (rumpfs).
    Rumpfs,
    /// A fresh tmpfs mounted on a fresh directory of the root file system.
    Tmpfs,
    /// A fresh FFSv1 image (an etfs block device) mounted there.
    Ffs1,
    /// A fresh FFSv2 image mounted there.
    Ffs2,
    /// A fresh export of nfs-ganesha mounted there over NFSv3 (the case
    /// runs inside the server's network namespace: see [`nfs`]).
    Nfs,
}

impl Fs {
    /// The name `statvfs` reports in `f_fstypename`.
    pub fn typename(self) -> &'static str {
        match self {
            Fs::Rumpfs => "rumpfs",
            Fs::Tmpfs => "tmpfs",
            Fs::Ffs1 | Fs::Ffs2 => "ffs",
            Fs::Nfs => "nfs",
        }
    }

    /// Whether the file system is mounted on the case directory.
    pub fn mounted(self) -> bool {
        self != Fs::Rumpfs
    }

    /// Mount a fresh instance on `mp` of kernel `k` (nothing for rumpfs).
    /// Returns the image file of an FFS, to check and remove afterwards.
    pub fn mount(self, k: &Kernel, mp: &str, size_max: u64, nodes_max: u64) -> Option<FfsImage> {
        match self {
            Fs::Rumpfs => None,
            Fs::Tmpfs => {
                k.sys_mount("tmpfs", mp, 0, &rumpfs_tmpfs::args(size_max, nodes_max))
                    .expect("mount tmpfs");
                None
            }
            Fs::Ffs1 | Fs::Ffs2 => {
                let img = FfsImage::new(self);
                rumpvfs::etfs::register(k, "/dev/ffs", &img.path, rumpvfs::etfs::EtfsType::Blk)
                    .expect("register the image");
                k.sys_mount_dev("ffs", "/dev/ffs", mp, 0)
                    .expect("mount ffs");
                Some(img)
            }
            Fs::Nfs => {
                nfs::mount(k, mp);
                None
            }
        }
    }
}

/// A fresh FFS image in a host file, removed when dropped.
pub struct FfsImage {
    /// Its host path.
    pub path: String,
}

impl FfsImage {
    fn new(fs: Fs) -> FfsImage {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir()
            .join(format!("rumpvfs-ffs-{}-{n}.img", std::process::id()))
            .to_string_lossy()
            .into_owned();
        let dev = rumpfs_ffs::dev::HostDev::create(&path, 64 << 20).expect("create an image");
        let version = if fs == Fs::Ffs1 {
            rumpfs_ffs::format::Version::Ufs1
        } else {
            rumpfs_ffs::format::Version::Ufs2
        };
        let p = rumpfs_ffs::mkfs::Params {
            version,
            ..Default::default()
        };
        rumpfs_ffs::mkfs::newfs(Arc::new(dev), &p).expect("newfs");
        FfsImage { path }
    }

    /// Check the (unmounted) image with fsck: it must be clean.
    pub fn assert_clean(&self) {
        let dev = rumpfs_ffs::dev::HostDev::open(&self.path, false).expect("open the image");
        let mut log = String::new();
        let o = rumpfs_ffs::check::check(Arc::new(dev), false, &mut |l| {
            log.push_str(l);
            log.push('\n');
        })
        .expect("fsck");
        assert_eq!(o.problems, 0, "fsck -n found problems:\n{log}");
    }
}

impl Drop for FfsImage {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Boot a kernel with the VFS faction and tmpfs.
pub fn boot() -> Arc<Kernel> {
    boot_for(Fs::Tmpfs)
}

/// Boot a kernel with the VFS faction, tmpfs and FFS, and for NFS the
/// network faction, sockin and the NFS client.
pub fn boot_for(fs: Fs) -> Arc<Kernel> {
    let mut b = KernelBuilder::new()
        .config(BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT);
    if fs == Fs::Nfs {
        b = b
            .component(&rumpnet::COMPONENT)
            .component(&rumpnet_sockin::COMPONENT)
            .component(&rumpfs_nfs::COMPONENT);
    }
    b.boot().expect("boot a kernel with rumpvfs and tmpfs")
}

/// One conformance case's world: its own kernel and the directory the case
/// works in (`mp`, "mount point" as NetBSD's `tests/fs/vfs` calls it).
pub struct Fx {
    /// The kernel; the calling thread runs in its implicit context (root).
    pub k: Arc<Kernel>,
    /// The file system under test.
    pub fs: Fs,
    /// Absolute path of the case's directory, without a trailing slash.
    pub mp: String,
    /// The image of an FFS under test.
    pub image: Option<FfsImage>,
}

impl Fx {
    /// A fresh kernel and a fresh directory on `fs` at `/fstest`.
    pub fn new(fs: Fs) -> Fx {
        Fx::with_tmpfs_limits(fs, 0, 0)
    }

    /// As [`Fx::new`], with tmpfs mounted with a size and a node limit
    /// (0 means no limit; ignored for rumpfs).
    pub fn with_tmpfs_limits(fs: Fs, size_max: u64, nodes_max: u64) -> Fx {
        let k = boot_for(fs);
        let mp = "/fstest".to_string();
        k.sys_mkdir(&mp, 0o755).expect("mkdir /fstest");
        let image = fs.mount(&k, &mp, size_max, nodes_max);
        // Cases set the permissions they depend on themselves; start from a
        // directory everybody may use, as the mount point of a test would be.
        k.sys_chmod(&mp, 0o777).expect("chmod the case directory");
        Fx { k, fs, mp, image }
    }

    /// Run `case` on a fresh `fs`, then check the file system is left
    /// consistent: back to `/`, and for tmpfs an unmount that must succeed
    /// (NetBSD's `FSTEST_EXIT`; every descriptor must have been closed).
    pub fn run(fs: Fs, case: fn(&Fx)) {
        let fx = Fx::new(fs);
        case(&fx);
        fx.finish();
    }

    /// The checks [`Fx::run`] makes after a case.
    pub fn finish(&self) {
        self.k.sys_chdir("/").expect("chdir / after the case");
        if self.fs.mounted() {
            self.k
                .sys_unmount(&self.mp, 0)
                .expect("unmount after the case");
        }
        if let Some(img) = &self.image {
            img.assert_clean();
        }
    }

    /// Whether the case directory is the root of its own mount.
    pub fn is_mount(&self) -> bool {
        self.fs.mounted()
    }

    /// The absolute path of `rel` inside the case directory.
    pub fn p(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.mp.clone()
        } else {
            format!("{}/{}", self.mp, rel)
        }
    }

    /// Make the case directory the current directory (`FSTEST_ENTER`).
    pub fn enter(&self) {
        self.k
            .sys_chdir(&self.mp)
            .expect("chdir into the case directory");
    }
}

/// Assert that `$e` fails with `$errno`.
#[allow(unused_macros)]
macro_rules! assert_errno {
    ($e:expr, $errno:expr $(,)?) => {
        match $e {
            Ok(_) => panic!("{} succeeded, expected {:?}", stringify!($e), $errno),
            Err(got) => assert_eq!(got, $errno, "{}", stringify!($e)),
        }
    };
}

/// Create (or truncate) `path` with mode 0644 and write `data` into it.
pub fn put(k: &Kernel, path: &str, data: &[u8]) {
    let fd = k
        .sys_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        .unwrap_or_else(|e| panic!("create {path}: {e:?}"));
    write_all(k, fd, data);
    k.sys_close(fd).unwrap();
}

/// Create an empty file (`touch`).
pub fn touch(k: &Kernel, path: &str) {
    let fd = k
        .sys_open(path, O_WRONLY | O_CREAT, 0o644)
        .unwrap_or_else(|e| panic!("create {path}: {e:?}"));
    k.sys_close(fd).unwrap();
}

/// Write all of `data` at the descriptor's offset.
pub fn write_all(k: &Kernel, fd: i32, mut data: &[u8]) {
    while !data.is_empty() {
        let n = k.sys_write(fd, data).expect("write");
        assert!(n > 0, "write returned 0");
        data = &data[n..];
    }
}

/// Read the whole file at `path`.
pub fn get(k: &Kernel, path: &str) -> Vec<u8> {
    let fd = k
        .sys_open(path, O_RDONLY, 0)
        .unwrap_or_else(|e| panic!("open {path}: {e:?}"));
    let out = read_to_end(k, fd);
    k.sys_close(fd).unwrap();
    out
}

/// Read from the descriptor's offset to end of file.
pub fn read_to_end(k: &Kernel, fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 65536];
    loop {
        let n = k.sys_read(fd, &mut buf).expect("read");
        if n == 0 {
            return out;
        }
        out.extend_from_slice(&buf[..n]);
    }
}

/// `pread` exactly `len` bytes at `off` (short reads are retried; end of
/// file ends the read early).
pub fn pread_n(k: &Kernel, fd: i32, off: i64, len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut done = 0;
    while done < len {
        let n = k
            .sys_pread(fd, &mut out[done..], off + done as i64)
            .expect("pread");
        if n == 0 {
            break;
        }
        done += n;
    }
    out.truncate(done);
    out
}

/// The entries of directory `path` as name -> (ino, d_type), each name
/// checked to appear exactly once ("." and ".." included).
pub fn list(k: &Kernel, path: &str) -> BTreeMap<Vec<u8>, (u64, u8)> {
    let fd = k
        .sys_open(path, O_RDONLY | O_DIRECTORY, 0)
        .unwrap_or_else(|e| panic!("open directory {path}: {e:?}"));
    let ents = k.sys_getdents(fd).expect("getdents");
    k.sys_close(fd).unwrap();
    let mut out = BTreeMap::new();
    for d in ents {
        let name = d.name.clone();
        if out.insert(d.name, (d.ino, d.typ)).is_some() {
            panic!(
                "getdents of {path} lists {:?} twice",
                String::from_utf8_lossy(&name)
            );
        }
    }
    out
}

/// The names in directory `path` other than "." and "..", sorted.
pub fn names(k: &Kernel, path: &str) -> Vec<Vec<u8>> {
    list(k, path)
        .into_keys()
        .filter(|n| n != b"." && n != b"..")
        .collect()
}

/// Errno of a result, `None` for success.
pub fn errno_of<T>(r: &Result<T, Errno>) -> Option<Errno> {
    r.as_ref().err().copied()
}

/// A byte pattern that differs at every offset modulo 251, tagged by `seed`,
/// so a misplaced block shows up in a comparison.
pub fn pattern(seed: u8, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| ((i % 251) as u8).wrapping_add(seed).wrapping_mul(7) | 1)
        .collect()
}
