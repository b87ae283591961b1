//! `rump_ffs` against Debian's `fuse2fs`: the same host programs' work on
//! an FFS image served by our daemon and on an ext4 image of the same size
//! served by fuse2fs, both in /dev/shm so that neither waits on a disk;
//! and `fsu_put` of a large file into an image against fuse2fs's copy.

use crate::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Bytes of each image.
const IMAGE: u64 = 1 << 30;
/// The large file.
const BIG: usize = 256 << 20;
/// Its write and read size.
const CHUNK: usize = 1 << 20;
/// Small files created and listed.
const FILES: usize = 10_000;
/// Repetitions of each measure (the median is kept).
const RUNS: usize = 3;

/// One file system under test: its daemon, image and mount point.
struct Side {
    name: &'static str,
    img: PathBuf,
    mnt: PathBuf,
}

impl Side {
    /// Mount with the daemon (both detach once the mount is ready).
    fn mount(&self) {
        let daemon = match self.name {
            "rump_ffs" => tool("rump_ffs"),
            other => PathBuf::from(other),
        };
        run(Command::new(daemon).arg(&self.img).arg(&self.mnt));
    }

    /// Unmount and wait until the daemon has written the image back
    /// (both detach, and both are done once the mount is gone and the
    /// image is no longer held open).
    fn unmount(&self) {
        // The host closes files asynchronously (FUSE's release): a mount
        // just used may be busy for a moment.
        let t = Instant::now();
        while !Command::new("fusermount3")
            .arg("-u")
            .arg(&self.mnt)
            .status()
            .is_ok_and(|s| s.success())
        {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "fusermount3 -u {}",
                self.mnt.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let t = Instant::now();
        while image_in_use(&self.img) {
            assert!(
                t.elapsed() < Duration::from_secs(120),
                "{} never ended",
                self.name
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

/// Whether some process still has `img` open (the daemon writing back).
fn image_in_use(img: &Path) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for p in procs.flatten() {
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|t| t == img))
        {
            return true;
        }
    }
    false
}

fn run(c: &mut Command) {
    let o = c.output().expect("spawn");
    assert!(
        o.status.success(),
        "{c:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn median_of(mut f: impl FnMut() -> Duration) -> Duration {
    median((0..RUNS).map(|_| f()).collect())
}

/// Write the big file through the mount and fsync it.
fn write_big(mnt: &Path) -> Duration {
    let chunk = vec![0x5au8; CHUNK];
    let t = Instant::now();
    let mut f = std::fs::File::create(mnt.join("big")).expect("create");
    for _ in 0..BIG / CHUNK {
        f.write_all(&chunk).expect("write");
    }
    f.sync_all().expect("fsync");
    drop(f);
    t.elapsed()
}

/// Read the big file back (from a fresh mount: nothing cached).
fn read_big(mnt: &Path) -> Duration {
    let mut buf = vec![0u8; CHUNK];
    let t = Instant::now();
    let mut f = std::fs::File::open(mnt.join("big")).expect("open");
    let mut n = 0;
    loop {
        let k = f.read(&mut buf).expect("read");
        if k == 0 {
            break;
        }
        n += k;
    }
    assert_eq!(n, BIG);
    t.elapsed()
}

/// Create the small files, each with a line in it.
fn create_small(mnt: &Path) -> Duration {
    let d = mnt.join("small");
    let t = Instant::now();
    std::fs::create_dir(&d).expect("mkdir");
    for i in 0..FILES {
        std::fs::write(d.join(format!("f{i:05}")), b"a small file\n").expect("write");
    }
    t.elapsed()
}

/// List them with their attributes, as ls -l does.
fn list_small(mnt: &Path) -> Duration {
    let t = Instant::now();
    let mut n = 0;
    for e in std::fs::read_dir(mnt.join("small")).expect("readdir") {
        let m = e.expect("entry").path().symlink_metadata().expect("lstat");
        n += usize::from(m.len() > 0);
    }
    assert_eq!(n, FILES);
    t.elapsed()
}

/// The daemons and tools of this build, next to this program.
fn tool(name: &str) -> PathBuf {
    std::env::current_exe().expect("exe").with_file_name(name)
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program} >/dev/null")])
        .status()
        .is_ok_and(|s| s.success())
}

/// A zeroed file of `IMAGE` bytes, written out so that no side pays for
/// allocating a sparse file.
fn zeroed(path: &Path) {
    let mut f = std::fs::File::create(path).expect("image");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..IMAGE >> 20 {
        f.write_all(&zeros).expect("zero the image");
    }
}

fn new_ffs(img: &Path) {
    zeroed(img);
    run(Command::new(tool("newfs_ffs")).args(["-O", "2"]).arg(img));
}

fn new_ext4(img: &Path) {
    zeroed(img);
    run(Command::new("mkfs.ext4").args(["-q", "-F"]).arg(img));
}

/// The `fuse` group.
pub(crate) fn fuse(records: &mut Vec<Record>) {
    let missing: Vec<&str> = ["fusermount3", "fuse2fs", "mkfs.ext4"]
        .into_iter()
        .filter(|p| !have(p))
        .collect();
    if !missing.is_empty() || !Path::new("/dev/fuse").exists() || !tool("rump_ffs").exists() {
        eprintln!(
            "rumpbench: skipping the fuse benchmarks: needs /dev/fuse, rump_ffs, fsu_put and {}",
            ["fusermount3", "fuse2fs", "mkfs.ext4"].join(", ")
        );
        return;
    }
    let dir = PathBuf::from(format!("/dev/shm/rumpbench-fuse-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch in /dev/shm");
    let side = |name: &'static str, file: &str| {
        let mnt = dir.join(format!("{file}.mnt"));
        std::fs::create_dir_all(&mnt).expect("mount point");
        Side {
            name,
            img: dir.join(format!("{file}.img")),
            mnt,
        }
    };
    let ours = side("rump_ffs", "ffs");
    let theirs = side("fuse2fs", "ext4");
    new_ffs(&ours.img);
    new_ext4(&theirs.img);
    let measure = |s: &Side| {
        let w = median_of(|| {
            s.mount();
            let d = write_big(&s.mnt);
            s.unmount();
            d
        });
        let r = median_of(|| {
            s.mount();
            let d = read_big(&s.mnt);
            s.unmount();
            d
        });
        let (mut c, mut l) = (Vec::new(), Vec::new());
        for _ in 0..RUNS {
            s.mount();
            c.push(create_small(&s.mnt));
            s.unmount();
            s.mount();
            l.push(list_small(&s.mnt));
            run(Command::new("rm").arg("-rf").arg(s.mnt.join("small")));
            s.unmount();
        }
        (w, r, median(c), median(l))
    };
    let (ow, or, oc, ol) = measure(&ours);
    let (tw, tr, tc, tl) = measure(&theirs);
    let base = "fuse2fs, ext4 image";
    records.push(Record::ms("rump_ffs write 256 MiB", ow, base, tw));
    records.push(Record::ms("rump_ffs read 256 MiB", or, base, tr));
    records.push(Record::ms("rump_ffs create 10k files", oc, base, tc));
    records.push(Record::ms("rump_ffs list 10k files", ol, base, tl));

    // fsu_put of the big file into an image, a whole run (boot, mount,
    // copy, clean unmount), against fuse2fs's: mount, cp, unmount.
    let src = dir.join("src.bin");
    std::fs::write(&src, vec![0xa5u8; BIG]).expect("source file");
    let put = median_of(|| {
        new_ffs(&ours.img);
        let t = Instant::now();
        run(Command::new(tool("fsu_put"))
            .arg(&ours.img)
            .arg(&src)
            .arg("/big"));
        t.elapsed()
    });
    let cp = median_of(|| {
        new_ext4(&theirs.img);
        let t = Instant::now();
        theirs.mount();
        run(Command::new("cp").arg(&src).arg(theirs.mnt.join("big")));
        theirs.unmount();
        t.elapsed()
    });
    records.push(Record::ms(
        "fsu_put 256 MiB",
        put,
        "fuse2fs mount, cp, unmount",
        cp,
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
