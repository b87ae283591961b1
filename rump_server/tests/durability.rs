//! Nothing that was synced is lost: a tree copied onto FFS by unmodified
//! `cp -a` under the hijack, written back by `sync`, `sync -f` or the
//! syncer, survives `kill -9`
//! of the server (`fsck_ffs -n` clean, the tree whole), also when the
//! kill lands in the middle of a later copy (`fsck_ffs -y` repairs it);
//! `rump.halt` leaves every FFS clean and `rump.halt -n` does not; a
//! repair made on the host between two mounts is seen; and a kernel under a
//! 16 MiB memory limit copies `/usr/share/doc` onto FFS next to tmpfs
//! writers and a writer of another etfs drive, and its tmpfs then fills to
//! ENOSPC.

mod common;

use common::*;
use rumpclient::Regions;
use rumpvfs::VfsCalls;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

/// A file tree on the host to copy: nested directories, files from empty
/// to a few hundred KiB (most under 64 KiB, which go through the buffer
/// cache of the FFS device) with contents that differ by name, symlinks.
fn make_tree(root: &Path, seed: usize, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("d{}/e{}", i % 7, i % 3));
        std::fs::create_dir_all(&dir).unwrap();
        let len = match i % 5 {
            0 => (i * 7919 + seed * 104_729) % 400_000,
            _ => (i * 7919 + seed * 104_729) % 50_000,
        };
        let data: Vec<u8> = (0..len).map(|k| (k * 31 + i * 7 + seed) as u8).collect();
        std::fs::write(dir.join(format!("f{i}")), data).unwrap();
        if i % 10 == 0 {
            std::os::unix::fs::symlink(format!("f{i}"), dir.join(format!("l{i}"))).unwrap();
        }
    }
    std::fs::create_dir_all(root.join("empty")).unwrap();
}

/// A server with an FFS image mounted on `/mnt`, written by hijacked
/// programs.
struct FfsRig {
    child: Child,
    url: String,
    dir: PathBuf,
    img: PathBuf,
}

impl FfsRig {
    /// Make a file system of `version` and `size` and serve it with
    /// `args` more.
    fn start(tag: &str, version: &str, size: &str, args: &[&str]) -> FfsRig {
        let dir = tempdir(tag);
        let img = dir.join("ffs.img");
        newfs(&img, &["-O", version, "-s", size]);
        let url = format!("unix://{}", dir.join("s").display());
        let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
        let mut all = vec!["-lrumpvfs", "-lrumpfs_ffs", "-lrumpfs_tmpfs", "-d", &spec];
        all.extend_from_slice(args);
        let (child, c) = serve("rump_server", &all, &url);
        let m = Regions::new();
        c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
            .unwrap();
        let rig = FfsRig {
            child,
            url,
            dir,
            img,
        };
        rig.tool_ok("rump.mount", &["-t", "ffs", "/dev/ffs", "/mnt"]);
        rig
    }

    fn tool_ok(&self, name: &str, args: &[&str]) -> Output {
        let o = tool(&self.dir, &self.url, name, args);
        assert!(o.status.success(), "{name} {args:?}: {}", stderr(&o));
        o
    }

    /// `args` under the hijack.
    fn hijacked(&self, args: &[&str]) -> Command {
        let mut c = Command::new(args[0]);
        c.args(&args[1..])
            .current_dir(&self.dir)
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &self.url);
        c
    }

    fn hijacked_ok(&self, args: &[&str]) {
        let o = self.hijacked(args).output().unwrap();
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    }

    /// `kill -9` of the server.
    fn crash(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for FfsRig {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn fsck(flag: &str, img: &Path) -> Output {
    Command::new(bin("fsck_ffs"))
        .arg(flag)
        .arg(img)
        .output()
        .unwrap()
}

/// Entries under `root` (directories, files, symlinks), `root` itself too.
fn entries(root: &Path) -> usize {
    1 + std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| match e.file_type().unwrap().is_dir() {
            true => entries(&e.path()),
            false => 1,
        })
        .sum::<usize>()
}

/// Wait (up to 30 s) until the image of a running server, as the host
/// sees it, is consistent and holds `files` inodes: the syncer has written
/// everything back. What is read may be half-written; it is read again.
fn wait_written_back(img: &Path, files: usize) {
    let t = Instant::now();
    loop {
        let o = fsck("-n", img);
        let counted = stdout(&o)
            .lines()
            .find_map(|l| l.split_once(" files, ")?.0.trim().parse::<usize>().ok())
            .unwrap_or(0);
        if o.status.success() && counted == files {
            return;
        }
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the syncer wrote nothing back in 30 s:\n{}",
            stdout(&o)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn assert_clean(img: &Path) {
    let o = fsck("-n", img);
    assert!(
        o.status.success() && !stdout(&o).contains('?'),
        "fsck_ffs -n finds damage:\n{}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// Every directory, file and symlink under host `src` is at `to` in the
/// kernel, with the same contents.
fn assert_tree(k: &rump::Kernel, src: &Path, to: &str) {
    let mut n = 0;
    let mut stack = vec![(src.to_path_buf(), to.to_owned())];
    while let Some((h, r)) = stack.pop() {
        for e in std::fs::read_dir(&h).unwrap().flatten() {
            let (hp, rp) = (e.path(), format!("{r}/{}", e.file_name().to_string_lossy()));
            let t = e.file_type().unwrap();
            let st = k
                .sys_lstat(&rp)
                .unwrap_or_else(|err| panic!("{rp} is missing: {err:?}"));
            n += 1;
            if t.is_symlink() {
                let want = std::fs::read_link(&hp).unwrap();
                let got = k.sys_readlink(&rp).unwrap();
                assert_eq!(got, want.as_os_str().as_encoded_bytes(), "{rp}");
            } else if t.is_dir() {
                assert_eq!(
                    st.mode & netbsd_abi::S_IFMT as u32,
                    netbsd_abi::S_IFDIR as u32,
                    "{rp} is not a directory"
                );
                stack.push((hp, rp));
            } else {
                let want = std::fs::read(&hp).unwrap();
                assert_eq!(st.size, want.len() as i64, "size of {rp}");
                let fd = k.sys_open(&rp, rumpvfs::flags::O_RDONLY, 0).unwrap();
                let mut got = vec![0u8; want.len() + 1];
                let mut at = 0;
                while at < got.len() {
                    match k.sys_pread(fd, &mut got[at..], at as i64).unwrap() {
                        0 => break,
                        m => at += m,
                    }
                }
                k.sys_close(fd).unwrap();
                assert!(got[..at] == want[..], "contents of {rp}");
            }
        }
    }
    assert!(n > 0, "the tree {} is empty", src.display());
}

/// How the copied tree is made durable before the kill.
#[derive(Clone, Copy, Debug)]
enum Flush {
    /// Coreutils `sync` (sync(2)); the syncer's delay is its default 30 s.
    Sync,
    /// `sync -f` on the mount (syncfs(2)).
    Syncfs,
    /// Nothing but waiting for the syncer, its delay shortened to 1 s.
    Syncer,
}

fn copy_flush_kill(version: &str, flush: Flush) {
    let mut rig = FfsRig::start("durable", version, "128m", &[]);
    let src = rig.dir.join("src");
    make_tree(&src, 1, 120);
    if matches!(flush, Flush::Syncer) {
        rig.tool_ok("rump.sysctl", &["-w", "vfs.sync.delay=1"]);
    }
    rig.hijacked_ok(&["cp", "-a", src.to_str().unwrap(), "/rump/mnt/tree"]);
    match flush {
        Flush::Sync => rig.hijacked_ok(&["sync"]),
        Flush::Syncfs => rig.hijacked_ok(&["sync", "-f", "/rump/mnt/tree"]),
        // The root, the tree and what is in it.
        Flush::Syncer => wait_written_back(&rig.img, 1 + entries(&src)),
    }
    rig.crash();
    assert_clean(&rig.img);
    // Killed while mounted, it is marked in use: read-only needs no fsck.
    let k = mount_image(&rig.img, netbsd_abi::MNT_RDONLY).expect("mount after the kill");
    assert_tree(&k, &src, "/mnt/tree");
}

#[test]
fn a_copied_tree_synced_by_sync_syncfs_or_the_syncer_survives_a_kill() {
    for version in ["1", "2"] {
        for flush in [Flush::Sync, Flush::Syncfs, Flush::Syncer] {
            copy_flush_kill(version, flush);
        }
    }
}

#[test]
fn kills_in_the_middle_of_a_copy_keep_what_was_synced() {
    // Kill points at random shares of the second copy's entries, one in
    // each quarter so that early and late kills are both tried: the kill
    // waits for `cp -v` to report that many, so it lands mid-copy however
    // fast or slow the machine is. The seed is printed, and
    // RUMP_DURABILITY_SEED repeats a run.
    let seed = std::env::var("RUMP_DURABILITY_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!("kill points from RUMP_DURABILITY_SEED={seed}");
    let mut rng = seed;
    let kill_points = ["2", "1", "2", "1"].into_iter().enumerate().map(|(q, v)| {
        // splitmix64: a well-spread value from each step of the seed.
        rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        let within = (z >> 11) as f64 / (1u64 << 53) as f64;
        (v, 0.05 + 0.2 * q as f64 + 0.2 * within)
    });
    for (version, share) in kill_points {
        let mut rig = FfsRig::start("midcopy", version, "128m", &[]);
        rig.tool_ok("rump.sysctl", &["-w", "vfs.sync.delay=1"]);
        let (first, second) = (rig.dir.join("first"), rig.dir.join("second"));
        make_tree(&first, 2, 80);
        make_tree(&second, 3, 400);
        rig.hijacked_ok(&["cp", "-a", first.to_str().unwrap(), "/rump/mnt/first"]);
        wait_written_back(&rig.img, 1 + entries(&first));
        let mut cp = rig
            .hijacked(&["cp", "-av", second.to_str().unwrap(), "/rump/mnt/second"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let target = (entries(&second) as f64 * share) as usize;
        // The reader stays open until after the kill: a closed pipe would
        // stop cp by SIGPIPE rather than by the crash.
        let mut progress =
            std::io::BufRead::lines(std::io::BufReader::new(cp.stdout.take().unwrap()));
        let copied = progress.by_ref().take(target).count();
        assert_eq!(
            copied, target,
            "cp -av ended before the kill point (FFSv{version}, share {share:.3})"
        );
        rig.crash();
        progress.for_each(drop);
        assert!(
            !cp.wait().unwrap().success(),
            "cp finished although the server was killed at {copied} entries"
        );
        let fix = fsck("-y", &rig.img);
        assert!(
            fix.status.success(),
            "fsck_ffs -y failed:\n{}{}",
            stdout(&fix),
            stderr(&fix)
        );
        assert_clean(&rig.img);
        let k = mount_image(&rig.img, 0).expect("mount after repair");
        assert_tree(&k, &first, "/mnt/first");
    }
}

#[test]
fn halt_leaves_ffs_clean_and_halt_n_does_not() {
    for (flags, clean) in [(&[][..], true), (&["-n"][..], false)] {
        // Every mounted FFS: an FFSv1 drive on /mnt1 beside the FFSv2 one.
        let other = tempdir("halt1");
        let img1 = other.join("ffs1.img");
        newfs(&img1, &["-O", "1", "-s", "64m"]);
        let spec1 = format!("key=/dev/ffs1,hostpath={},size=host", img1.display());
        let mut rig = FfsRig::start("halt", "2", "128m", &["-d", &spec1]);
        rig.tool_ok("rump.mkdir", &["/mnt1"]);
        rig.tool_ok("rump.mount", &["-t", "ffs", "/dev/ffs1", "/mnt1"]);
        let src = rig.dir.join("src");
        make_tree(&src, 4, 20);
        for to in ["/rump/mnt/tree", "/rump/mnt1/tree"] {
            rig.hijacked_ok(&["cp", "-a", src.to_str().unwrap(), to]);
        }
        rig.tool_ok("rump.halt", flags);
        rig.child.wait().unwrap();
        for img in [&rig.img, &img1] {
            // Read-write without force: EPERM if the file system was left unclean.
            match mount_image(img, 0) {
                Ok(k) => {
                    assert!(clean, "rump.halt {flags:?} left {img:?} clean");
                    assert_clean(img);
                    assert_tree(&k, &src, "/mnt/tree");
                }
                Err(e) => {
                    assert!(!clean, "rump.halt left {img:?} unclean: {e:?}");
                    assert_eq!(e, rump::Errno::EPERM);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&other);
    }
}

#[test]
fn a_repair_on_the_host_between_two_mounts_is_seen() {
    // A tree synced, then the server killed: the image is marked in use.
    let mut rig = FfsRig::start("hostfsck", "2", "64m", &[]);
    let src = rig.dir.join("src");
    make_tree(&src, 5, 30);
    rig.hijacked_ok(&["cp", "-a", src.to_str().unwrap(), "/rump/mnt/tree"]);
    rig.hijacked_ok(&["sync"]);
    rig.crash();
    // A new server on the image: read-write is refused until fsck_ffs
    // -y repairs the image on the host, while the server runs.
    let spec = format!("key=/dev/ffs,hostpath={},size=host", rig.img.display());
    let (child, c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpfs_ffs", "-d", &spec],
        &rig.url,
    );
    rig.child = child;
    let m = Regions::new();
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    let refused = tool(
        &rig.dir,
        &rig.url,
        "rump.mount",
        &["-t", "ffs", "/dev/ffs", "/mnt"],
    );
    assert!(
        !refused.status.success(),
        "an unclean image mounted read-write"
    );
    assert!(
        stderr(&refused).contains("Operation not permitted"),
        "{}",
        stderr(&refused)
    );
    let fix = fsck("-y", &rig.img);
    assert!(
        fix.status.success(),
        "fsck_ffs -y: {}{}",
        stdout(&fix),
        stderr(&fix)
    );
    // The kernel reads the repaired image, not what it read before.
    rig.tool_ok("rump.mount", &["-t", "ffs", "/dev/ffs", "/mnt"]);
    rig.hijacked_ok(&["cp", "/etc/hostname", "/rump/mnt/after"]);
    rig.tool_ok("rump.halt", &[]);
    rig.child.wait().unwrap();
    assert_clean(&rig.img);
    let k = mount_image(&rig.img, 0).expect("mount after halt");
    assert_tree(&k, &src, "/mnt/tree");
    assert!(
        k.sys_lstat("/mnt/after").is_ok(),
        "the file written after the repair"
    );
    // A file system made anew on the host under a running server is the
    // one mounted next, not the one the server saw before.
    let (child, c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpfs_ffs", "-d", &spec],
        &rig.url,
    );
    rig.child = child;
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    rig.tool_ok("rump.mount", &["-r", "-t", "ffs", "/dev/ffs", "/mnt"]);
    rig.tool_ok("rump.umount", &["/mnt"]);
    newfs(&rig.img, &["-O", "1", "-s", "64m"]);
    rig.tool_ok("rump.mount", &["-r", "-t", "ffs", "/dev/ffs", "/mnt"]);
    let o = rig.hijacked(&["ls", "-A", "/rump/mnt"]).output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "the old file system's names");
}

/// Wait for `child`, failing the test (and killing it) after `limit`.
fn wait_or_hang(child: &mut Child, what: &str, limit: Duration) -> std::process::ExitStatus {
    let t = Instant::now();
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        if t.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} hung for {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_small_memory_limit_neither_hangs_nor_loses_data() {
    // The issue's case: Debian's documentation, copied by cp -a.
    let src = std::path::PathBuf::from("/usr/share/doc");
    // A second etfs drive, written directly through its block device.
    let other = tempdir("memlimit-raw");
    let (raw, data) = (other.join("raw.img"), other.join("data"));
    std::fs::write(&raw, vec![0u8; 64 << 20]).unwrap();
    let bytes: Vec<u8> = (0..48u32 << 20)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(&data, &bytes).unwrap();
    let spec = format!("key=/dev/raw,hostpath={},size=host", raw.display());
    let mut rig = FfsRig::start("memlimit", "2", "512m", &["-r", "16m", "-d", &spec]);
    // /tmp is there from boot, as in NetBSD's rump kernel.
    rig.tool_ok("rump.mount", &["-t", "tmpfs", "tmpfs", "/tmp"]);
    // The copy onto FFS (its device an etfs key, through the buffer
    // cache) and tmpfs writers share 16 MiB.
    let mut cp = rig
        .hijacked(&["cp", "-a", src.to_str().unwrap(), "/rump/mnt/tree"])
        .spawn()
        .unwrap();
    let mut churn = rig
        .hijacked(&[
            "sh",
            "-c",
            "for i in 1 2 3 4 5 6 7 8; do head -c 3000000 /dev/urandom > /rump/tmp/c$i && \
             cat /rump/tmp/c$i > /dev/null && rm /rump/tmp/c$i || exit 1; done",
        ])
        .spawn()
        .unwrap();
    let mut dd = rig
        .hijacked(&[
            "dd",
            &format!("if={}", data.display()),
            "of=/rump/dev/raw",
            "bs=4096",
            "conv=notrunc",
        ])
        .spawn()
        .unwrap();
    let limit = Duration::from_secs(120);
    assert!(wait_or_hang(&mut cp, "cp -a onto FFS at -r 16m", limit).success());
    assert!(wait_or_hang(&mut churn, "tmpfs writers at -r 16m", limit).success());
    assert!(wait_or_hang(&mut dd, "dd onto an etfs drive at -r 16m", limit).success());
    // tmpfs at the memory limit is full: ENOSPC, as NetBSD's.
    let fill = rig
        .hijacked(&[
            "dd",
            "if=/dev/zero",
            "of=/rump/tmp/fill",
            "bs=65536",
            "count=1000",
        ])
        .output()
        .unwrap();
    assert!(!fill.status.success(), "64 MB fit in a 16 MiB kernel");
    assert!(
        stderr(&fill).contains("No space left on device"),
        "dd at the memory limit: {}",
        stderr(&fill)
    );
    rig.hijacked_ok(&["rm", "/rump/tmp/fill"]);
    // Everything copied reads back whole, under the same limit.
    // Symbolic links are compared as links: their targets are host paths.
    let mut diff = rig
        .hijacked(&[
            "diff",
            "-r",
            "--no-dereference",
            src.to_str().unwrap(),
            "/rump/mnt/tree",
        ])
        .spawn()
        .unwrap();
    assert!(wait_or_hang(&mut diff, "diff -r at -r 16m", limit).success());
    rig.tool_ok("rump.halt", &[]);
    rig.child.wait().unwrap();
    assert_clean(&rig.img);
    // What dd wrote through the drive's cache reached the host file.
    let got = std::fs::read(&raw).unwrap();
    assert!(got[..bytes.len()] == bytes[..], "the etfs drive's contents");
    let _ = std::fs::remove_dir_all(&other);
}
