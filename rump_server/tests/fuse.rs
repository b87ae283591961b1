//! The FUSE daemons (`rump_ffs`, `rump_tmpfs`): kernel file systems in a
//! rump kernel inside the daemon, mounted on the host and used by
//! unmodified host programs (coreutils, tar, rsync, git, python3); the
//! images they leave checked by our fsck_ffs and read back by Debian's
//! sleuthkit; damaged images walked without a crash or a hang. FUSE needs
//! root, `/dev/fuse` and `fusermount3`; without them each test says so in
//! one line and passes.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Whether this machine can mount FUSE file systems.
fn fuse_available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0");
    let ok = root
        && Path::new("/dev/fuse").exists()
        && Command::new("fusermount3").arg("-V").output().is_ok();
    if !ok {
        eprintln!("skipped: FUSE needs root, /dev/fuse and fusermount3");
    }
    ok
}

fn run(c: &mut Command) -> Output {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{c:?}: {}{}", stderr(&o), stdout(&o));
    o
}

/// Run `sh -c script` in `dir`, which must succeed.
fn sh(dir: &Path, script: &str) -> String {
    stdout(&run(Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)))
}

/// Whether `mnt` is a mount point in the host's mount table.
fn mounted(mnt: &Path) -> bool {
    let table = std::fs::read_to_string("/proc/self/mounts").unwrap();
    let m = mnt.to_string_lossy();
    table.lines().any(|l| l.split(' ').nth(1) == Some(&*m))
}

/// A mounted daemon: its mount point and the file whose name finds its
/// process.
struct Mount {
    mnt: PathBuf,
    needle: String,
}

impl Mount {
    /// Start installed daemon `daemon` with `args`; it returns once the
    /// mount is ready, as it detaches.
    fn start(daemon: &str, args: &[&str], needle: &str, mnt: &Path) -> Mount {
        std::fs::create_dir_all(mnt).unwrap();
        run(Command::new(bin(daemon)).args(args));
        assert!(mounted(mnt), "{daemon} returned before the mount was ready");
        Mount {
            mnt: mnt.to_path_buf(),
            needle: needle.to_string(),
        }
    }

    fn pids(&self) -> Vec<i32> {
        pids_with(&self.needle)
    }

    /// Wait for the daemon to end after an unmount: it writes the file
    /// system back first.
    fn wait_gone(&self) {
        let t = Instant::now();
        while !self.pids().is_empty() || mounted(&self.mnt) {
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "the daemon did not end after the unmount"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `fusermount3 -u`, then the daemon ends.
    fn unmount(self) {
        run(Command::new("fusermount3").arg("-u").arg(&self.mnt));
        self.wait_gone();
    }

    /// SIGTERM, then the daemon unmounts and ends.
    fn terminate(self) {
        let pids = self.pids();
        assert_eq!(pids.len(), 1, "one daemon for {}", self.needle);
        kill("-TERM", pids[0]);
        self.wait_gone();
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        if mounted(&self.mnt) {
            let _ = Command::new("fusermount3")
                .args(["-u", "-z"])
                .arg(&self.mnt)
                .status();
        }
    }
}

/// `fsck_ffs -n` finds nothing to repair.
fn fsck_clean(img: &Path) {
    let o = Command::new(bin("fsck_ffs"))
        .arg("-n")
        .arg(img)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "fsck_ffs -n: {}{}",
        stdout(&o),
        stderr(&o)
    );
}

/// Every regular file sleuthkit finds under `dir` of the image reads, with
/// `icat`, as the file of the same path under `host`.
fn sleuthkit_reads(img: &Path, fstype: &str, dir: &str, host: &Path) -> usize {
    let listing = sh(
        Path::new("/"),
        &format!("fls -f {fstype} -r -p {}", img.display()),
    );
    let mut n = 0;
    for line in listing.lines() {
        // "r/r 23041:\tcp/bash/CHANGES.gz"
        let Some((head, path)) = line.split_once(":\t") else {
            continue;
        };
        let Some(rest) = path.strip_prefix(&format!("{dir}/")) else {
            continue;
        };
        if !head.starts_with("r/r") || head.contains('*') {
            continue;
        }
        let inode = head.rsplit(' ').next().unwrap();
        let data = run(Command::new("icat")
            .args(["-f", fstype])
            .arg(img)
            .arg(inode))
        .stdout;
        let want = std::fs::read(host.join(rest)).unwrap();
        assert!(data == want, "icat of {path} differs from the host's");
        n += 1;
    }
    n
}

const DOC: &str = "/usr/share/doc";

/// An image holding three copies of /usr/share/doc made through the
/// mount with cp -a, tar and rsync -a, each equal to the original; ended
/// with `fusermount3 -u` or SIGTERM; then clean for fsck_ffs and read back
/// by sleuthkit.
fn host_copies(img: &Path, fstype: &str, dir: &Path, by_signal: bool) {
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    sh(
        &mnt,
        &format!(
            "cp -a {DOC} cp && mkdir tar && tar -C {DOC} -cf - . | tar -C tar -xpf - && \
             rsync -a {DOC}/ rsync/"
        ),
    );
    for copy in ["cp", "tar", "rsync"] {
        sh(&mnt, &format!("diff -r --no-dereference {DOC} {copy}"));
    }
    // Owners, modes and times came along too (directory sizes are each
    // file system's own).
    let listing = |p: &str| {
        sh(
            Path::new("/"),
            &format!(
                "cd {p} && find . -mindepth 1 \\( -type d -printf '%p %U %G %m %T@ d\\n' \\) -o \\
                 -printf '%p %U %G %m %T@ %s %y\\n' | sort"
            ),
        )
    };
    let (host, ours) = (listing(DOC), listing(mnt.join("cp").to_str().unwrap()));
    for (h, o) in host.lines().zip(ours.lines()) {
        assert_eq!(h, o, "cp -a kept attributes");
    }
    assert_eq!(host.lines().count(), ours.lines().count());
    if by_signal {
        m.terminate();
    } else {
        m.unmount();
    }
    fsck_clean(img);
    let files = sleuthkit_reads(img, fstype, "cp", Path::new(DOC));
    assert!(files > 100, "sleuthkit found only {files} files");
}

#[test]
fn makefs_ffsv1_image_takes_host_copies() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-v1");
    let img = dir.join("v1.img");
    let empty = dir.join("empty");
    std::fs::create_dir(&empty).unwrap();
    run(Command::new("makefs")
        .args([
            "-t",
            "ffs",
            "-s",
            "500m",
            "-o",
            "version=1,bsize=16384,fsize=2048,density=8192",
        ])
        .arg(&img)
        .arg(&empty));
    host_copies(&img, "ufs1", &dir, false);
}

#[test]
fn newfs_ffsv2_image_takes_host_copies_and_sigterm_unmounts() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-v2");
    let img = dir.join("v2.img");
    newfs(&img, &["-O", "2", "-s", "500m"]);
    host_copies(&img, "ufs2", &dir, true);
}

#[test]
fn git_and_python_work_in_a_mount() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-git");
    let img = dir.join("g.img");
    newfs(&img, &["-O", "2", "-s", "128m"]);
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    // A repository of our own, cloned into the mount and checked there.
    let src = dir.join("src");
    std::fs::create_dir(&src).unwrap();
    sh(
        &src,
        "git init -q && git config user.email t@e && git config user.name t && \
         for i in 1 2 3; do seq 1 $((i * 1000)) > f$i; mkdir -p d$i; echo $i > d$i/x; \
         git add -A; git commit -qm c$i; done",
    );
    sh(
        &mnt,
        &format!(
            "git clone -q {} repo && cd repo && git fsck --full && git log --oneline | wc -l && test -z \"$(git status --porcelain)\"",
            src.display()
        ),
    );
    let py = "import mmap, os, shutil\n\
shutil.copytree('/usr/share/doc/python3', 'py', symlinks=True)\n\
a = sorted((r[len('/usr/share/doc/python3'):], sorted(d), sorted(f)) for r, d, f in os.walk('/usr/share/doc/python3'))\n\
b = sorted((r[len('py'):], sorted(d), sorted(f)) for r, d, f in os.walk('py'))\n\
assert a == b, 'os.walk differs'\n\
with open('m.bin', 'wb') as f:\n    f.write(bytes(range(256)) * 1024)\n\
with open('m.bin', 'r+b') as f:\n    m = mmap.mmap(f.fileno(), 0)\n    assert m[1000] == 1000 % 256\n    m[0:5] = b'hello'\n    m.flush()\n    m.close()\n\
data = open('m.bin', 'rb').read()\n\
assert data[:5] == b'hello' and data[5:256] == bytes(range(5, 256)), 'mmap write lost'\n\
print(len(b))\n";
    let out = sh(&mnt, &format!("python3 -c \"{py}\""));
    assert!(out.trim().parse::<usize>().unwrap() > 1, "{out}");
    m.unmount();
    fsck_clean(&img);
}

#[test]
fn requests_run_as_the_caller() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-cred");
    let img = dir.join("c.img");
    newfs(&img, &["-O", "2", "-s", "32m"]);
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[
            "-o",
            "allow_other",
            img.to_str().unwrap(),
            mnt.to_str().unwrap(),
        ],
        img.to_str().unwrap(),
        &mnt,
    );
    let as_user = |script: &str| {
        Command::new("setpriv")
            .args([
                "--reuid",
                "1234",
                "--regid",
                "99",
                "--clear-groups",
                "sh",
                "-c",
                script,
            ])
            .current_dir(&mnt)
            .output()
            .unwrap()
    };
    // The kernel's permission checks refuse the user what root owns.
    let o = as_user("touch denied");
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    sh(&mnt, "mkdir -m 1777 shared");
    // BSD semantics: a new file takes its directory's group.
    let o = as_user("touch shared/mine && mkdir shared/d && stat -c '%u %g' shared/mine shared/d");
    assert_eq!(stdout(&o), "1234 0\n1234 0\n", "{}", stderr(&o));
    sh(&mnt, "chgrp 99 shared/d");
    let o = as_user("touch shared/d/f && stat -c '%u %g' shared/d/f");
    assert_eq!(stdout(&o).trim(), "1234 99", "{}", stderr(&o));
    // NetBSD's chown: a user cannot give a file away.
    let o = as_user("chown 0 shared/mine");
    assert!(!o.status.success());
    m.unmount();
    fsck_clean(&img);
}

#[test]
fn rump_tmpfs_serves_and_fills_up() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-tmpfs");
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_tmpfs",
        &["-s", "4m", mnt.to_str().unwrap()],
        mnt.to_str().unwrap(),
        &mnt,
    );
    sh(
        &mnt,
        "mkdir -p a/b && echo hello > a/b/f && ln -s b/f a/l && ln a/b/f a/h && mkfifo p && \
         test \"$(cat a/l)\" = hello && test \"$(stat -c %h a/h)\" = 2 && mv a/b a/c && \
         test \"$(cat a/c/f)\" = hello && truncate -s 3 a/c/f && test \"$(cat a/c/f)\" = hel && \
         chmod 600 a/c/f && test \"$(stat -c %a a/c/f)\" = 600 && \
         touch -d '2001-02-03 04:05:06' a/c/f && test \"$(stat -c %Y a/c/f)\" = 981173106 && \
         test \"$(stat -f -c %b .)\" -gt 0",
    );
    // Extended attributes go to the kernel, whose file systems keep none
    // yet: ENOTSUP, as NetBSD's answer.
    let py = concat!(
        "import errno, os\n",
        "calls = (lambda: os.listxattr('a/h'), lambda: os.getxattr('a/h', 'user.a'),\n",
        "    lambda: os.setxattr('a/h', 'user.a', b'1'), lambda: os.removexattr('a/h', 'user.a'))\n",
        "for call in calls:\n",
        "    try:\n",
        "        call()\n",
        "        raise AssertionError('no error')\n",
        "    except OSError as e:\n",
        "        assert e.errno == errno.ENOTSUP, e\n",
    );
    sh(&mnt, &format!("python3 -c \"{py}\""));
    // Full at its size: ENOSPC, as tmpfs says it.
    let o = Command::new("dd")
        .args(["if=/dev/zero", "of=big", "bs=1M", "count=8"])
        .current_dir(&mnt)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("No space left on device"),
        "{}",
        stderr(&o)
    );
    m.unmount();
}

#[test]
fn bad_command_lines_and_images_fail_in_one_line() {
    let dir = tempdir("fuse-bad");
    let mnt = dir.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let zeros = dir.join("zeros.img");
    std::fs::write(&zeros, vec![0u8; 1 << 20]).unwrap();
    let fail = |args: &[&str]| {
        let o = Command::new(bin("rump_ffs")).args(args).output().unwrap();
        assert!(!o.status.success(), "{args:?}");
        stderr(&o)
    };
    let m = mnt.to_str().unwrap();
    let z = zeros.to_str().unwrap();
    assert!(
        fail(&["-o", "bogus", z, m])
            .starts_with("rump_ffs: -o bogus: unknown option\nusage: rump_ffs")
    );
    assert!(fail(&[z]).starts_with("rump_ffs: missing mount point\n"));
    assert_eq!(
        fail(&["/nonexistent.img", m]),
        "rump_ffs: /nonexistent.img: No such file or directory\n"
    );
    assert_eq!(fail(&[z, z]), format!("rump_ffs: {z}: Not a directory\n"));
    let e = fail(&[z, m]);
    assert!(
        e.starts_with(&format!("rump_ffs: {z}: incorrect super block (")),
        "{e}"
    );
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(!mounted(&mnt));
}

/// Write the fuzz target's damage records (`fuzz/seeds/ffs_image`: byte 0
/// picks the version, then records of a 32-bit offset, a length byte and
/// the bytes) over a copy of `base`. The seeds aim at the superblock, the
/// root inode, the root directory, the second group's inodes and the
/// directories `a` and `a/b` of the images `fuzz_base` makes.
fn damage(base: &[u8], seed: &[u8]) -> Vec<u8> {
    let mut img = base.to_vec();
    let mut rest = &seed[1..];
    while rest.len() >= 5 {
        let off = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize % img.len();
        let n = (usize::from(rest[4]) % 16 + 1).min(rest.len() - 5);
        let end = (off + n).min(img.len());
        img[off..end].copy_from_slice(&rest[5..5 + (end - off)]);
        rest = &rest[5 + n..];
    }
    img
}

/// A small image of each version with something of every kind in it,
/// filled through rump_ffs.
fn fuzz_base(dir: &Path, version: u8) -> Vec<u8> {
    let img = dir.join(format!("base{version}.img"));
    newfs(
        &img,
        &[
            "-O",
            &version.to_string(),
            "-b",
            "4096",
            "-f",
            "512",
            "-s",
            "2m",
        ],
    );
    let mnt = dir.join("base-mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    sh(
        &mnt,
        "mkdir -p a/b && for i in 0 1 2 3; do head -c $((i * 20000)) /usr/share/doc/dash/copyright > a/b/f$i || true; done && \
         for i in $(seq 10 49); do : > a/entry-$i; done && ln -s a/b/f1 short && \
         ln -s $(printf 'x%.0s' $(seq 1 200)) long && mkfifo fifo && ln a/b/f1 hard",
    );
    m.unmount();
    std::fs::read(&img).unwrap()
}

#[test]
fn damaged_images_never_crash_the_daemon_nor_hang_the_mount() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-fuzz");
    let bases = [fuzz_base(&dir, 1), fuzz_base(&dir, 2)];
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/ffs_image");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&seeds)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    assert!(names.len() >= 20, "the seeds of the ffs_image target");
    let mnt = dir.join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    let (mut mounted_ok, mut refused) = (0, 0);
    for seed in &names {
        let bytes = std::fs::read(seed).unwrap();
        let img = dir.join("damaged.img");
        std::fs::write(&img, damage(&bases[usize::from(bytes[0] & 1)], &bytes)).unwrap();
        let o = Command::new(bin("rump_ffs"))
            .args(["-o", "timeout=5"])
            .arg(&img)
            .arg(&mnt)
            .output()
            .unwrap();
        if !o.status.success() {
            // Refused: one line naming the image.
            let e = stderr(&o);
            assert!(
                e.starts_with("rump_ffs: ") && e.lines().count() == 1,
                "{seed:?}: {e}"
            );
            refused += 1;
            continue;
        }
        mounted_ok += 1;
        let m = Mount {
            mnt: mnt.clone(),
            needle: img.to_str().unwrap().to_string(),
        };
        // Errors are expected; a hang or a dead daemon is not.
        let walk = Command::new("timeout")
            .args([
                "60",
                "sh",
                "-c",
                "find . -type f -exec cat {} + > /dev/null 2>&1; find . -ls >/dev/null 2>&1; \
                 ls -laR > /dev/null 2>&1; echo new > new; mkdir nd; mv short nd/; rm -rf a/b; \
                 ls -laR > /dev/null 2>&1; echo walked",
            ])
            .current_dir(&mnt)
            .output()
            .unwrap();
        assert_eq!(stdout(&walk).trim(), "walked", "{seed:?}: the walk hung");
        assert_eq!(m.pids().len(), 1, "{seed:?}: the daemon died");
        let t = Instant::now();
        let st = Command::new("timeout")
            .args(["30", "stat", "."])
            .current_dir(&mnt)
            .output()
            .unwrap();
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "{seed:?}: the mount hangs: {}",
            stderr(&st)
        );
        m.unmount();
    }
    eprintln!("{mounted_ok} damaged images mounted and walked, {refused} refused");
    // The seeds damage what FFS checks at mount time as well as what it
    // finds only while walking.
    assert!(mounted_ok > 0 && refused > 0);
}

#[test]
fn sigterm_ends_a_daemon_whose_mount_was_detached_but_is_busy() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-lazy");
    let img = dir.join("l.img");
    newfs(&img, &["-O", "1", "-s", "16m"]);
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    sh(&mnt, "echo kept > f");
    // A process inside keeps the detached file system in use.
    let mut busy = Command::new("sleep")
        .arg("60")
        .current_dir(&mnt)
        .spawn()
        .unwrap();
    run(Command::new("fusermount3").arg("-u").arg("-z").arg(&mnt));
    let pids = m.pids();
    assert_eq!(pids.len(), 1);
    kill("-TERM", pids[0]);
    let t = Instant::now();
    while !m.pids().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "the daemon did not end"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    busy.kill().unwrap();
    busy.wait().unwrap();
    fsck_clean(&img);
    let o = run(Command::new(bin("fsu_cat")).arg(&img).arg("/f"));
    assert_eq!(stdout(&o), "kept\n");
}

#[test]
fn a_read_only_mount_refuses_writes_and_leaves_the_image_alone() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-ro");
    let img = dir.join("r.img");
    newfs(&img, &["-O", "2", "-s", "16m"]);
    run(Command::new(bin("fsu_write"))
        .arg(&img)
        .arg("/f")
        .stdin(std::fs::File::open("/usr/share/doc/dash/copyright").unwrap()));
    let before = std::fs::read(&img).unwrap();
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &["-o", "ro", img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    sh(&mnt, "cmp f /usr/share/doc/dash/copyright");
    for script in ["touch new", "rm f", "mkdir d", "chmod 600 f", "echo x >> f"] {
        let o = Command::new("sh")
            .args(["-c", script])
            .current_dir(&mnt)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{script}");
        assert!(
            stderr(&o).contains("Read-only file system"),
            "{script}: {}",
            stderr(&o)
        );
    }
    m.unmount();
    assert!(std::fs::read(&img).unwrap() == before, "the image changed");
}

#[test]
fn a_killed_daemon_leaves_what_was_synced_for_fsck_to_keep() {
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-kill");
    let img = dir.join("k.img");
    newfs(&img, &["-O", "2", "-s", "32m"]);
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    // Two files made and synced (data, then the directory that names
    // them), then one that is only written: the kill may lose the last.
    sh(
        &mnt,
        "python3 -c '
import os
os.mkdir(\"d\")
for name, size in ((\"d/synced\", 3 << 20), (\"small\", 100)):
    fd = os.open(name, os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, bytes((i * 7 + 3) % 251 for i in range(size)))
    os.fsync(fd)
    os.close(fd)
for d in (\"d\", \".\"):
    fd = os.open(d, os.O_RDONLY)
    os.fsync(fd)
    os.close(fd)
with open(\"unsynced\", \"wb\") as f:
    f.write(b\"x\" * 100000)
'",
    );
    let pids = m.pids();
    assert_eq!(pids.len(), 1);
    kill("-KILL", pids[0]);
    let t = Instant::now();
    while !m.pids().is_empty() {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "SIGKILL did not end it"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The host's mount is left behind, as with any FUSE daemon killed.
    let _ = Command::new("fusermount3")
        .args(["-u", "-z"])
        .arg(&mnt)
        .status();
    let o = Command::new(bin("fsck_ffs"))
        .arg("-y")
        .arg(&img)
        .output()
        .unwrap();
    assert!(
        o.status.code().is_some_and(|c| c == 0),
        "fsck_ffs -y: {}{}",
        stdout(&o),
        stderr(&o)
    );
    fsck_clean(&img);
    for (name, size) in [("/d/synced", 3usize << 20), ("/small", 100)] {
        let o = run(Command::new(bin("fsu_cat")).arg(&img).arg(name));
        let want: Vec<u8> = (0..size).map(|i| ((i * 7 + 3) % 251) as u8).collect();
        assert!(o.stdout == want, "{name} after the kill and fsck_ffs -y");
    }
}

#[test]
fn a_host_sync_leaves_the_daemon_serving() {
    // Linux sends FUSE_SYNCFS only to virtiofs (`fc->sync_fs`), so `sync`
    // and syncfs(2) on a mount end in the host; fuser 0.18 knows no
    // opcode past FUSE_COPY_FILE_RANGE and ends its session on one, so
    // this fails the day a kernel sends it to /dev/fuse mounts too.
    if !fuse_available() {
        return;
    }
    let dir = tempdir("fuse-sync");
    let img = dir.join("s.img");
    newfs(&img, &["-O", "2", "-s", "16m"]);
    let mnt = dir.join("mnt");
    let m = Mount::start(
        "rump_ffs",
        &[img.to_str().unwrap(), mnt.to_str().unwrap()],
        img.to_str().unwrap(),
        &mnt,
    );
    sh(&mnt, "echo kept > f && sync -f f && sync && sync -f .");
    assert_eq!(m.pids().len(), 1, "the daemon ended at a host sync");
    assert_eq!(sh(&mnt, "cat f"), "kept\n");
    m.unmount();
    fsck_clean(&img);
    let o = run(Command::new(bin("fsu_cat")).arg(&img).arg("/f"));
    assert_eq!(stdout(&o), "kept\n");
}
