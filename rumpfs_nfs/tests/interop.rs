//! Our NFS client beside two that we did not write, on one ganesha export
//! (see `ganesha/mod.rs`): the host's own file system calls on the
//! exported directory, and libnfs's `nfs-cp`. A tree written through our
//! kernel (a 64 MiB file, a sparse one, a symbolic link, hard links, modes
//! and times) reads the same through both, and one the host and `nfs-cp`
//! made reads the same through our kernel.

mod ganesha;
mod mounting;

use mounting::{boot, mount_nfs, pattern, read_file, write_file};
use rump::Kernel;
use rumpvfs::VfsCalls;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// The sparse file: data at these offsets, holes between and before the
/// end (the size is set past the last piece).
const SPARSE_PIECES: [(u64, usize); 3] = [(0, 100_000), (20 << 20, 1 << 20), (45 << 20, 4096)];
const SPARSE_SIZE: u64 = 50 << 20;

/// The sparse file's contents, holes as zeros.
fn sparse_contents(seed: usize) -> Vec<u8> {
    let mut v = vec![0u8; SPARSE_SIZE as usize];
    for (i, (off, len)) in SPARSE_PIECES.into_iter().enumerate() {
        let off = off as usize;
        v[off..off + len].copy_from_slice(&pattern(len, seed + i));
    }
    v
}

/// What the host keeps allocated of a file, in bytes.
fn allocated(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().blocks() * 512
}

/// Whether the host's file system keeps holes (a file of one byte at
/// 8 MiB takes far less than 8 MiB), so that ours must stay holes too.
fn host_keeps_holes(dir: &Path) -> bool {
    let p = dir.join(".holes-probe");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(8 << 20).unwrap();
    drop(f);
    let keeps = allocated(&p) < 1 << 20;
    std::fs::remove_file(&p).unwrap();
    keeps
}

/// `nfs-cp` from `src` to `dst` (either an nfs:// URL or a local path).
fn nfs_cp(src: &str, dst: &str) {
    let o = Command::new("nfs-cp").args([src, dst]).output().unwrap();
    assert!(
        o.status.success(),
        "nfs-cp {src} {dst}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The URL libnfs reads `rel` of the export at (NFSv3, the export's
/// path as the mount daemon knows it).
fn url(export: &Path, rel: &str) -> String {
    format!("nfs://127.0.0.1{}/{rel}", export.display())
}

/// Write the tree `out` through our kernel.
fn write_tree(k: &Kernel) {
    k.sys_mkdir("/mnt/out", 0o755).unwrap();
    write_file(k, "/mnt/out/big", &pattern(64 << 20, 11), 1 << 20);
    let fd = k
        .sys_open(
            "/mnt/out/sparse",
            netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT | netbsd_abi::O_EXCL,
            0o600,
        )
        .unwrap();
    for (i, (off, len)) in SPARSE_PIECES.into_iter().enumerate() {
        let data = pattern(len, 20 + i);
        assert_eq!(k.sys_pwrite(fd, &data, off as i64).unwrap(), len);
    }
    k.sys_ftruncate(fd, SPARSE_SIZE as i64).unwrap();
    k.sys_close(fd).unwrap();
    k.sys_symlink("big", "/mnt/out/link").unwrap();
    k.sys_link("/mnt/out/big", "/mnt/out/big2").unwrap();
    k.sys_chmod("/mnt/out/big", 0o4751).unwrap();
    k.sys_utimes(
        "/mnt/out/sparse",
        (1_500_000_000, 7),
        (1_600_000_000, 123_456_789),
    )
    .unwrap();
}

/// The tree `out` as the host and `nfs-cp` see it.
fn check_tree_outside(k: &Kernel, export: &Path, scratch: &Path) {
    let out = export.join("out");
    // The times first: reading the file moves its access time.
    let ms = std::fs::metadata(out.join("sparse")).unwrap();
    assert_eq!(ms.mode() & 0o7777, 0o600);
    assert_eq!(
        (ms.atime(), ms.mtime(), ms.mtime_nsec()),
        (1_500_000_000, 1_600_000_000, 123_456_789)
    );
    let big = pattern(64 << 20, 11);
    assert!(std::fs::read(out.join("big")).unwrap() == big, "host: big");
    let sparse = sparse_contents(20);
    assert!(
        std::fs::read(out.join("sparse")).unwrap() == sparse,
        "host: sparse"
    );
    if host_keeps_holes(export) {
        // The pieces and a block or two around each; never the holes.
        let written: u64 = SPARSE_PIECES.iter().map(|&(_, l)| l as u64).sum();
        assert!(
            allocated(&out.join("sparse")) <= written + (1 << 20),
            "the holes were filled: {} bytes allocated",
            allocated(&out.join("sparse"))
        );
    }
    assert_eq!(
        std::fs::read_link(out.join("link")).unwrap(),
        Path::new("big")
    );
    let (m1, m2) = (
        std::fs::metadata(out.join("big")).unwrap(),
        std::fs::metadata(out.join("big2")).unwrap(),
    );
    assert_eq!((m1.ino(), m1.nlink()), (m2.ino(), 2), "hard links");
    assert_eq!(m1.mode() & 0o7777, 0o4751);
    // Our stat says what the host's does.
    for name in ["big", "big2", "sparse", "link"] {
        let h = std::fs::symlink_metadata(out.join(name)).unwrap();
        let s = k.sys_lstat(&format!("/mnt/out/{name}")).unwrap();
        assert_eq!(
            (s.ino, s.nlink, s.mode, s.size, s.uid, s.gid),
            (
                h.ino(),
                h.nlink() as u32,
                h.mode(),
                h.size() as i64,
                h.uid(),
                h.gid()
            ),
            "stat of {name}"
        );
        assert_eq!(s.mtime, (h.mtime(), h.mtime_nsec()), "mtime of {name}");
    }
    // libnfs reads the same bytes.
    for (name, want) in [("big", &big), ("sparse", &sparse)] {
        let local = scratch.join(format!("nfs-cp-{name}"));
        nfs_cp(
            &url(export, &format!("out/{name}")),
            local.to_str().unwrap(),
        );
        assert!(std::fs::read(&local).unwrap() == *want, "nfs-cp: {name}");
        std::fs::remove_file(&local).unwrap();
    }
}

/// The tree `in`, made by the host and `nfs-cp`, through our kernel.
fn check_tree_inside(k: &Kernel, export: &Path) {
    let host = export.join("in");
    let big = pattern(64 << 20, 31);
    assert!(read_file(k, "/mnt/in/big") == big, "kernel: big");
    assert!(
        read_file(k, "/mnt/in/sparse") == sparse_contents(40),
        "kernel: sparse"
    );
    assert!(
        read_file(k, "/mnt/in/from-nfs-cp") == pattern(3 << 20, 50),
        "kernel: nfs-cp's file"
    );
    assert_eq!(k.sys_readlink("/mnt/in/link").unwrap(), b"sub/../big");
    assert!(read_file(k, "/mnt/in/link") == big, "through the link");
    let (a, b) = (
        k.sys_stat("/mnt/in/big").unwrap(),
        k.sys_stat("/mnt/in/sub/big-again").unwrap(),
    );
    assert_eq!((a.ino, a.nlink), (b.ino, 2), "hard links");
    for name in [
        "big",
        "sparse",
        "link",
        "sub",
        "sub/big-again",
        "from-nfs-cp",
    ] {
        let h = std::fs::symlink_metadata(host.join(name)).unwrap();
        let s = k.sys_lstat(&format!("/mnt/in/{name}")).unwrap();
        assert_eq!(
            (s.ino, s.nlink, s.mode, s.size, s.uid, s.gid),
            (
                h.ino(),
                h.nlink() as u32,
                h.mode(),
                h.size() as i64,
                h.uid(),
                h.gid()
            ),
            "stat of {name}"
        );
        // Not the access time: our own reads above move it on the host.
        assert_eq!(s.mtime, (h.mtime(), h.mtime_nsec()), "mtime of {name}");
    }
    let s = k.sys_stat("/mnt/in/sparse").unwrap();
    assert_eq!((s.mode & 0o7777, s.mtime), (0o640, (1_400_000_000, 999)));
}

fn inside(export: &Path) {
    let scratch = export.parent().unwrap().to_path_buf();
    // nfs-cp puts a file into the host's tree through its own client.
    let local = scratch.join("for-nfs-cp");
    std::fs::write(&local, pattern(3 << 20, 50)).unwrap();
    nfs_cp(local.to_str().unwrap(), &url(export, "in/from-nfs-cp"));

    let k = boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    mount_nfs(&k, "/mnt", &fh, "127.0.0.1:/export", 0).expect("mount");
    check_tree_inside(&k, export);
    write_tree(&k);
    check_tree_outside(&k, export, &scratch);
    k.sys_unmount("/mnt", 0).unwrap();
}

/// The host's tree `in`: a large file, a sparse one with its mode and
/// times set, a symbolic link, and a hard link in a subdirectory.
fn host_tree(export: &Path) {
    let d = export.join("in");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("big"), pattern(64 << 20, 31)).unwrap();
    std::fs::hard_link(d.join("big"), d.join("sub/big-again")).unwrap();
    std::os::unix::fs::symlink("sub/../big", d.join("link")).unwrap();
    let f = std::fs::File::create(d.join("sparse")).unwrap();
    for (i, (off, len)) in SPARSE_PIECES.into_iter().enumerate() {
        std::os::unix::fs::FileExt::write_all_at(&f, &pattern(len, 40 + i), off).unwrap();
    }
    f.set_len(SPARSE_SIZE).unwrap();
    let t = std::time::UNIX_EPOCH + std::time::Duration::new(1_400_000_000, 999);
    f.set_times(std::fs::FileTimes::new().set_accessed(t).set_modified(t))
        .unwrap();
    f.set_permissions(std::fs::Permissions::from_mode(0o640))
        .unwrap();
}

#[test]
fn trees_read_the_same_through_the_host_nfs_cp_and_our_client() {
    if let Some(export) = ganesha::inside() {
        inside(&export);
        return;
    }
    if !Path::new("/usr/bin/nfs-cp").exists() {
        eprintln!("skipped: no nfs-cp (apt-get install libnfs-utils)");
        return;
    }
    let base = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let Some(g) = ganesha::Ganesha::start(base, "interop") else {
        return;
    };
    host_tree(g.export());
    g.run_inside("trees_read_the_same_through_the_host_nfs_cp_and_our_client");
}
