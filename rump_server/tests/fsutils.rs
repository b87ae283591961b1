//! fs-utils (`fsu_*`), the kernel in the tool's own process, against the
//! same operations done through a server: unmodified coreutils under the
//! hijack reading an image the server mounts, on images made by Debian's
//! makefs and by our newfs_ffs; writes checked by fsck_ffs; a 2,000-file
//! tree copied both ways byte for byte; damaged images refused in one line.

mod common;

use common::*;
use rumpfs_ffs::format::superblock::{SEARCH, field};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};

/// Run installed `fsu_<tool>` on `img` with `args`.
fn fsu(tool: &str, img: &Path, args: &[&str]) -> Output {
    Command::new(bin(&format!("fsu_{tool}")))
        .arg(img)
        .args(args)
        .output()
        .unwrap()
}

/// Its standard output, the run having succeeded.
fn fsu_ok(tool: &str, img: &Path, args: &[&str]) -> String {
    let o = fsu(tool, img, args);
    assert!(
        o.status.success(),
        "fsu_{tool} {args:?}: {}{}",
        stderr(&o),
        stdout(&o)
    );
    stdout(&o)
}

fn run(c: &mut Command) -> Output {
    let o = c.output().unwrap();
    assert!(o.status.success(), "{c:?}: {}", stderr(&o));
    o
}

/// A source tree with what a listing shows: sizes from empty to several
/// blocks, a subdirectory, a symbolic and a hard link, odd modes and
/// owners.
fn source_tree(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir_all(src.join("sub/deeper")).unwrap();
    std::fs::write(src.join("empty"), b"").unwrap();
    std::fs::write(src.join("small.txt"), b"hello, image\n").unwrap();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(src.join("sub/big.bin"), &big).unwrap();
    std::fs::write(src.join("sub/deeper/note.txt"), b"deep\n").unwrap();
    std::os::unix::fs::symlink("small.txt", src.join("link")).unwrap();
    std::os::unix::fs::symlink("sub", src.join("dirlink")).unwrap();
    std::fs::hard_link(src.join("small.txt"), src.join("hard.txt")).unwrap();
    run(Command::new("chmod").args(["750"]).arg(src.join("sub")));
    run(Command::new("chmod").args(["4755"]).arg(src.join("empty")));
    run(Command::new("chown")
        .args(["12:34"])
        .arg(src.join("sub/big.bin")));
    // Fixed times, so that listings do not depend on the minute.
    run(Command::new("touch")
        .args(["-h", "-d", "2024-03-01 12:34:56"])
        .args(["small.txt", "empty", "sub", "link", "sub/big.bin"])
        .current_dir(&src));
    src
}

/// The images every tool is tried on: makefs FFSv1 and FFSv2 of `src`,
/// and newfs_ffs FFSv1 and FFSv2 filled by `cp -a` under the hijack.
fn images(dir: &Path, src: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for v in [1, 2] {
        let img = dir.join(format!("makefs-v{v}.img"));
        run(Command::new("makefs")
            .args(["-t", "ffs", "-s", "16m"])
            .args(["-o", &format!("version={v},bsize=8192,fsize=1024")])
            .arg(&img)
            .arg(src));
        out.push(img);
    }
    for v in ["1", "2"] {
        let img = dir.join(format!("newfs-v{v}.img"));
        newfs(&img, &["-O", v, "-s", "16m"]);
        let (server, url) = server_on(&img, dir, &format!("fill{v}"), false);
        let cp = format!("cp -a {}/. /rump/mnt/", src.display());
        let o = hijacked(&url, &["sh", "-c", &cp]);
        assert!(o.status.success(), "cp -a: {}", stderr(&o));
        halt(server, &url, dir);
        out.push(img);
    }
    out
}

/// A server with `img` mounted on `/mnt` (read-only when `ro`).
fn server_on(img: &Path, dir: &Path, tag: &str, ro: bool) -> (Child, String) {
    let url = format!("unix://{}", dir.join(format!("{tag}.sock")).display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    let (server, _c) = serve(
        "rump_server",
        &["-lrumpvfs", "-lrumpfs_ffs", "-d", &spec],
        &url,
    );
    let o = tool(dir, &url, "rump.mkdir", &["/mnt"]);
    assert!(o.status.success(), "rump.mkdir: {}", stderr(&o));
    let mut args = vec!["-t", "ffs"];
    if ro {
        args.extend(["-o", "ro"]);
    }
    args.extend(["/dev/ffs", "/mnt"]);
    let o = tool(dir, &url, "rump.mount", &args);
    assert!(o.status.success(), "rump.mount: {}", stderr(&o));
    (server, url)
}

/// Halt the server, which unmounts and writes the image back.
fn halt(mut server: Child, url: &str, dir: &Path) {
    let o = tool(dir, url, "rump.halt", &[]);
    assert!(o.status.success(), "rump.halt: {}", stderr(&o));
    server.wait().unwrap();
}

/// A host program under the hijack, in the C locale and UTC.
fn host(url: &str, args: &[&str]) -> String {
    let o = Command::new(args[0])
        .args(&args[1..])
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", url)
        .env("LC_ALL", "C")
        .env("TZ", "UTC")
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
        .replace("/rump/mnt/", "/")
        .replace("/rump/mnt", "/")
}

/// `s` with symbolic links' modes as Linux shows them (every
/// permission), as the hijack translates them: fs-utils prints NetBSD's
/// own, 0777 less the creator's umask.
fn linux_symlinks(s: &str) -> String {
    let is_link_mode =
        |w: &str| w.len() == 10 && w.starts_with('l') && w[1..].chars().all(|c| "rwx-".contains(c));
    let lines: Vec<String> = s
        .lines()
        .map(|l| {
            let words: Vec<String> = l
                .split(' ')
                .map(|w| {
                    if is_link_mode(w) {
                        "lrwxrwxrwx".to_string()
                    } else if w.starts_with('(') && w.ends_with("/lrwxr-xr-x)") {
                        "(0777/lrwxrwxrwx)".to_string()
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            words.join(" ")
        })
        .collect();
    lines.join("\n") + if s.ends_with('\n') { "\n" } else { "" }
}

fn sorted(s: &str) -> Vec<String> {
    let mut v: Vec<String> = s.lines().map(String::from).collect();
    v.sort();
    v
}

/// fsck_ffs -n finds nothing to repair.
fn assert_clean(img: &Path) {
    let o = Command::new(bin("fsck_ffs"))
        .arg("-n")
        .arg(img)
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(
        o.status.success(),
        "fsck_ffs -n {}: {out}{}",
        img.display(),
        stderr(&o)
    );
    for l in out.lines() {
        assert!(
            l.starts_with("** ") || l.contains(" files, "),
            "fsck_ffs -n {}: {l}",
            img.display()
        );
    }
}

/// ls through fs-utils and through the server agree on image `i`.
fn compare_listings(i: &Path, url: &str, what: &str) {
    // ls: long, numeric, inodes, all, recursive; and -F, -d. (The
    // root's ".." is the server's own root, not the image's.)
    assert_eq!(
        linux_symlinks(&fsu_ok("ls", i, &["-lniR", "/"])),
        host(url, &["ls", "-lniR", "/rump/mnt"]),
        "{what}: ls -lniR"
    );
    assert_eq!(
        fsu_ok("ls", i, &["-laR", "/sub"]),
        host(url, &["ls", "-laR", "/rump/mnt/sub"]),
        "{what}: ls -laR"
    );
    assert_eq!(
        linux_symlinks(&fsu_ok("ls", i, &["-lF", "/sub", "/link", "/small.txt"])),
        host(
            url,
            &[
                "ls",
                "-lF",
                "/rump/mnt/sub",
                "/rump/mnt/link",
                "/rump/mnt/small.txt"
            ]
        ),
        "{what}: ls -lF"
    );
    assert_eq!(
        fsu_ok("ls", i, &["-ld", "/sub"]),
        host(url, &["ls", "-ld", "/rump/mnt/sub"]),
        "{what}: ls -ld"
    );
}

/// find, du, stat and df through fs-utils and through the server agree.
fn compare_walks(i: &Path, url: &str, what: &str) {
    // find, du: the same set of lines (find and du print in
    // directory order, which is not ours to choose).
    for args in [&["-name", "*.txt"][..], &["-type", "d"], &["-type", "l"]] {
        let mut ours = vec!["/"];
        ours.extend(args);
        let mut theirs = vec!["find", "/rump/mnt"];
        theirs.extend(args);
        assert_eq!(
            sorted(&fsu_ok("find", i, &ours)),
            sorted(&host(url, &theirs)),
            "{what}: find {args:?}"
        );
    }
    for args in [&["-a"][..], &["-s"], &["-sh"], &["-ac"]] {
        let mut ours: Vec<&str> = args.to_vec();
        ours.push("/");
        let mut theirs = vec!["du"];
        theirs.extend(args);
        theirs.push("/rump/mnt");
        assert_eq!(
            sorted(&fsu_ok("du", i, &ours)),
            sorted(&host(url, &theirs)),
            "{what}: du {args:?}"
        );
    }
    // stat: everything but the device, whose number is the server's.
    for f in ["small.txt", "sub", "link", "empty"] {
        let strip = |s: String| -> String {
            s.lines()
                .filter(|l| !l.starts_with("Device:"))
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(
            strip(linux_symlinks(&fsu_ok("stat", i, &[&format!("/{f}")]))),
            strip(host(url, &["stat", &format!("/rump/mnt/{f}")])),
            "{what}: stat {f}"
        );
    }
    // df: its numbers against statvfs(2) through the server (df
    // itself under the hijack reads the host's mount table).
    let py = "import os\nv = os.statvfs('/rump/mnt')\n\
              k = lambda n: -(-n * v.f_frsize // 1024)\n\
              used = v.f_blocks - v.f_bfree\n\
              print(k(v.f_blocks), k(used), k(v.f_bavail), \
              str(-(-used * 100 // (used + v.f_bavail))) + '%')";
    let ours = fsu_ok("df", i, &[]);
    let ours: Vec<&str> = ours.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(
        ours[1..5].join(" "),
        host(url, &["python3", "-c", py]).trim(),
        "{what}: df"
    );
}
#[test]
fn read_tools_match_coreutils_through_a_server() {
    let dir = tempdir("fsu-read");
    let src = source_tree(&dir);
    for img in images(&dir, &src) {
        let what = img.file_name().unwrap().to_string_lossy().into_owned();
        let (server, url) = server_on(&img, &dir, "read", true);
        let i = img.as_path();
        compare_listings(i, &url, &what);
        // cat: the bytes makefs or cp put there.
        for f in ["small.txt", "sub/big.bin", "link", "empty"] {
            let o = fsu("cat", i, &[f]);
            assert!(o.status.success(), "{what}: fsu_cat {f}: {}", stderr(&o));
            assert_eq!(
                o.stdout,
                std::fs::read(src.join(f)).unwrap(),
                "{what}: cat {f}"
            );
        }
        let o = Command::new(bin("fsu_cat"))
            .arg(i)
            .args(["/small.txt", "-", "/small.txt"])
            .stdin(std::fs::File::open(src.join("sub/deeper/note.txt")).unwrap())
            .output()
            .unwrap();
        assert_eq!(
            stdout(&o),
            "hello, image\ndeep\nhello, image\n",
            "{what}: cat -"
        );
        compare_walks(i, &url, &what);
        // diff: the image's file against the host's, and two of the image's.
        let host_small = src.join("small.txt");
        let o = fsu(
            "diff",
            i,
            &["-e", "/small.txt", host_small.to_str().unwrap()],
        );
        assert_eq!(o.status.code(), Some(0), "{what}: {}", stderr(&o));
        let o = fsu("diff", i, &["/small.txt", "/sub/deeper/note.txt"]);
        assert_eq!(o.status.code(), Some(1), "{what}: {}", stderr(&o));
        assert_eq!(
            stdout(&o),
            "Files /small.txt and /sub/deeper/note.txt differ\n"
        );
        let o = fsu("diff", i, &["-e", "/", src.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{what}: diff -e / src: {}",
            stdout(&o)
        );
        // get: the bytes come out as they went in.
        let got = dir.join(format!("got-{what}"));
        fsu_ok("get", i, &["/sub/big.bin", got.to_str().unwrap()]);
        assert_eq!(
            std::fs::read(&got).unwrap(),
            std::fs::read(src.join("sub/big.bin")).unwrap()
        );
        halt(server, &url, &dir);
        assert_clean(&img);
    }
}

/// The same changes made with fs-utils on one copy of an image and with
/// coreutils through a server on another leave the same trees.
#[test]
fn write_tools_match_coreutils_through_a_server() {
    let dir = tempdir("fsu-write");
    let src = source_tree(&dir);
    for base in images(&dir, &src) {
        let what = base.file_name().unwrap().to_string_lossy().into_owned();
        let ours = dir.join(format!("ours-{what}"));
        let theirs = dir.join(format!("theirs-{what}"));
        std::fs::copy(&base, &ours).unwrap();
        std::fs::copy(&base, &theirs).unwrap();
        let put_src = src.join("small.txt");
        let put_src = put_src.to_str().unwrap();
        let i = ours.as_path();
        fsu_ok("mkdir", i, &["-p", "/a/b/c"]);
        fsu_ok("mkdir", i, &["-m", "700", "/m"]);
        let w = Command::new(bin("fsu_write"))
            .arg(i)
            .arg("/a/w.txt")
            .stdin(std::fs::File::open(put_src).unwrap())
            .output()
            .unwrap();
        assert!(w.status.success(), "fsu_write: {}", stderr(&w));
        fsu_ok("cp", i, &["/sub/big.bin", "/a/b/copy.bin"]);
        fsu_ok("cp", i, &["-R", "/sub", "/subcopy"]);
        fsu_ok("mv", i, &["/a/b/c", "/a/moved"]);
        fsu_ok("ln", i, &["-s", "../small.txt", "/a/sym"]);
        fsu_ok("ln", i, &["/small.txt", "/a/hard"]);
        fsu_ok("chmod", i, &["640", "/a/w.txt"]);
        fsu_ok("chmod", i, &["-R", "go-rwx", "/subcopy"]);
        fsu_ok("chown", i, &["56:78", "/a/hard"]);
        fsu_ok("touch", i, &["-r", "/small.txt", "/a/w.txt"]);
        fsu_ok("touch", i, &["/a/new"]);
        fsu_ok("put", i, &[put_src, "/a/put.txt"]);
        fsu_ok("rm", i, &["/empty"]);
        fsu_ok("rm", i, &["-r", "/sub/deeper"]);
        fsu_ok("rmdir", i, &["/m"]);
        let (server, url) = server_on(&theirs, &dir, "write", false);
        let script = format!(
            "set -e; cd /rump/mnt; mkdir -p a/b/c; mkdir -m 700 m; cat {put_src} > a/w.txt; \
             cp sub/big.bin a/b/copy.bin; cp -R sub subcopy; mv a/b/c a/moved; \
             ln -s ../small.txt a/sym; ln small.txt a/hard; chmod 640 a/w.txt; \
             chmod -R go-rwx subcopy; chown 56:78 a/hard; touch -r small.txt a/w.txt; \
             touch a/new; cp -p {put_src} a/put.txt; rm empty; rm -r sub/deeper; rmdir m"
        );
        let o = hijacked(&url, &["sh", "-c", &script]);
        assert!(o.status.success(), "{what}: coreutils: {}", stderr(&o));
        halt(server, &url, &dir);
        assert_clean(&ours);
        assert_clean(&theirs);
        // Times of day are the runs' own; everything else must agree.
        let listing = |img: &Path| -> Vec<String> {
            fsu_ok("ls", img, &["-lnaR", "/"])
                .lines()
                .map(normalize_line)
                .filter(|l| !l.ends_with(" .") && !l.ends_with(" .."))
                .collect()
        };
        assert_eq!(listing(&ours), listing(&theirs), "{what}: the trees differ");
        for f in [
            "/a/w.txt",
            "/a/b/copy.bin",
            "/subcopy/big.bin",
            "/a/put.txt",
        ] {
            assert_eq!(
                fsu("cat", &ours, &[f]).stdout,
                fsu("cat", &theirs, &[f]).stdout,
                "{what}: {f}"
            );
        }
    }
}

/// A tree of `n` files over nested directories, with empty and
/// multi-block files, symbolic links and hard links.
fn big_tree(root: &Path, n: usize) {
    for i in 0..n {
        let d = root.join(format!("d{:02}/e{}", i % 40, i % 3));
        std::fs::create_dir_all(&d).unwrap();
        let f = d.join(format!("f{i:04}"));
        match i % 50 {
            0 => std::os::unix::fs::symlink(format!("f{:04}", i + 1), &f).unwrap(),
            1 if i > 1 => std::fs::hard_link(root.join("top"), &f).unwrap(),
            _ => {
                let len = (i * 7919) % 20_000 * usize::from(i % 17 != 0);
                let bytes: Vec<u8> = (0..len).map(|j| ((i + j * 31) % 256) as u8).collect();
                std::fs::write(&f, bytes).unwrap();
            }
        }
        if i == 0 {
            std::fs::write(root.join("top"), b"linked\n").unwrap();
        }
    }
}

#[test]
fn ecp_copies_a_2000_file_tree_both_ways() {
    let dir = tempdir("fsu-ecp");
    let tree = dir.join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    big_tree(&tree, 2000);
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let ours = dir.join("newfs.img");
    newfs(&ours, &["-s", "96m"]);
    // A FIFO goes in; the copy back names what it cannot make yet.
    let fifo = dir.join("fifo");
    run(Command::new("mkfifo").arg(&fifo));
    fsu_ok("put", &ours, &[fifo.to_str().unwrap(), "/fifo"]);
    assert!(fsu_ok("ls", &ours, &["-l", "/fifo"]).starts_with("prw-r--r-- 1 root root 0 "));
    let back = dir.join("fifo-back");
    let o = fsu("get", &ours, &["/fifo", back.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "fsu_get: {}: making a FIFO on the host is not supported yet\n",
            back.display()
        )
    );
    fsu_ok("rm", &ours, &["/fifo"]);
    let theirs = dir.join("makefs.img");
    run(Command::new("makefs")
        // makefs sizes the inode table to the source: room for the tree.
        .args(["-t", "ffs", "-s", "96m", "-f", "4000", "-o", "version=2"])
        .arg(&theirs)
        .arg(&empty));
    for img in [&ours, &theirs] {
        fsu_ok("ecp", img, &["-p", "-R", tree.to_str().unwrap(), "/"]);
        assert_clean(img);
        let out = dir.join(format!(
            "out-{}",
            img.file_name().unwrap().to_string_lossy()
        ));
        std::fs::create_dir_all(&out).unwrap();
        fsu_ok("ecp", img, &["-g", "-R", "/tree", out.to_str().unwrap()]);
        let d = Command::new("diff")
            .args(["-r", "--no-dereference"])
            .arg(&tree)
            .arg(out.join("tree"))
            .output()
            .unwrap();
        assert!(d.status.success(), "diff -r: {}{}", stdout(&d), stderr(&d));
        // Hard links stay links both ways.
        {
            use std::os::unix::fs::MetadataExt;
            let linked = std::fs::metadata(out.join("tree/d11/e0/f0051")).unwrap();
            let top = std::fs::metadata(out.join("tree/top")).unwrap();
            let want = std::fs::metadata(tree.join("top")).unwrap().nlink();
            assert_eq!((linked.ino(), linked.nlink()), (top.ino(), want));
        }
        let count = fsu_ok("find", img, &["/tree"]).lines().count();
        let host_count = Command::new("find").arg(&tree).output().unwrap().stdout;
        assert_eq!(count, String::from_utf8_lossy(&host_count).lines().count());
        assert_clean(img);
    }
}

#[test]
fn damaged_foreign_and_misused_images_fail_in_one_line() {
    let dir = tempdir("fsu-bad");
    let good = dir.join("good.img");
    newfs(&good, &["-O", "2", "-s", "16m"]);
    let one_line = |o: &Output, want: &str| {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
        let e = stderr(o);
        assert_eq!(e.lines().count(), 1, "{e}");
        assert!(e.contains(want), "{e}");
    };
    // The superblock's block size zeroed: the kernel's reason, as rump.mount
    // shows "incorrect super block".
    let bad = dir.join("bad.img");
    std::fs::copy(&good, &bad).unwrap();
    // newfs_ffs puts the FFSv2 superblock at SEARCH[0] (byte 65536).
    let sb = SEARCH[0] as usize;
    let mut bytes = std::fs::read(&bad).unwrap();
    bytes[sb + field::BSIZE..sb + field::BSIZE + 4].fill(0);
    std::fs::write(&bad, &bytes).unwrap();
    for t in ["ls", "cat", "mkdir"] {
        let o = fsu(t, &bad, &["/x"]);
        one_line(
            &o,
            &format!("fsu_{t}: {}: incorrect super block (", bad.display()),
        );
    }
    // A file system not marked clean is read, but not written.
    let dirty = dir.join("dirty.img");
    let mut bytes = std::fs::read(&good).unwrap();
    bytes[sb + field::CLEAN] = 0;
    std::fs::write(&dirty, &bytes).unwrap();
    assert!(fsu("ls", &dirty, &["/"]).status.success());
    one_line(
        &fsu("mkdir", &dirty, &["/x"]),
        "Operation not permitted (file system not clean",
    );
    // No superblock at all, and no image at all.
    let zero = dir.join("zero.img");
    std::fs::write(&zero, vec![0u8; 1 << 20]).unwrap();
    one_line(&fsu("ls", &zero, &[]), "not an FFS image");
    // -t ffs skips the magic check: the kernel's own reason then.
    let o = Command::new(bin("fsu_ls"))
        .args(["-t", "ffs"])
        .arg(&zero)
        .output()
        .unwrap();
    one_line(&o, "incorrect super block (can't find superblock");
    one_line(
        &fsu("ls", &dir.join("none.img"), &[]),
        "No such file or directory",
    );
    let o = Command::new(bin("fsu_ls"))
        .args(["-t", "cd9660"])
        .arg(&good)
        .output()
        .unwrap();
    one_line(&o, "-t cd9660: only ffs is supported yet");
    // Usage errors: usage lines, status 1.
    for (t, args) in [
        ("ls", &["-Z"][..]),
        ("mv", &["/a"]),
        ("ecp", &["/a", "/b"]),
        ("write", &[]),
    ] {
        let o = fsu(t, &good, args);
        assert_eq!(o.status.code(), Some(1), "fsu_{t}: {}", stderr(&o));
        assert!(
            stderr(&o).lines().any(|l| l.starts_with("usage: fsu_")),
            "{}",
            stderr(&o)
        );
    }
    let o = Command::new(bin("fsu_ls")).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).starts_with("usage: fsu_ls"));
    // Errors name the file and the reason; the image stays clean.
    let o = fsu("cat", &good, &["/nonesuch"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "fsu_cat: /nonesuch: No such file or directory\n"
    );
    let o = fsu("rmdir", &good, &["/"]);
    assert_eq!(o.status.code(), Some(1));
    assert_clean(&good);
    // A read-only image is still read; a writer is refused by the kernel.
    let o = Command::new(bin("fsu_mkdir"))
        .args(["-o", "ro"])
        .arg(&good)
        .arg("/x")
        .output()
        .unwrap();
    one_line(&o, "fsu_mkdir: /x: Read-only file system");
    // A malformed RUMP_MEMLIMIT is refused.
    let o = Command::new(bin("fsu_ls"))
        .arg(&good)
        .env("RUMP_MEMLIMIT", "lots")
        .output()
        .unwrap();
    one_line(&o, "RUMP_MEMLIMIT");
}

#[test]
fn no_privilege_and_the_kernels_memory_limit() {
    let dir = tempdir("fsu-priv");
    let good = dir.join("good.img");
    newfs(&good, &["-O", "2", "-s", "16m"]);
    let one_line = |o: &Output, want: &str| {
        assert_eq!(o.status.code(), Some(1), "{}", stderr(o));
        assert_eq!(stderr(o).lines().count(), 1, "{}", stderr(o));
        assert!(stderr(o).contains(want), "{}", stderr(o));
    };
    // No privilege: a user who may only read the image reads it, and a
    // writer is refused by the host before anything is mounted.
    let as_nobody = |tool: &str, arg: &str| {
        Command::new("setpriv")
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(bin(tool))
            .arg(&good)
            .arg(arg)
            .output()
            .unwrap()
    };
    let o = as_nobody("fsu_ls", "/");
    assert!(o.status.success(), "fsu_ls as nobody: {}", stderr(&o));
    one_line(
        &as_nobody("fsu_mkdir", "/x"),
        &format!("fsu_mkdir: {}: Permission denied", good.display()),
    );
    // RUMP_MEMLIMIT is the kernel's: the kernel boots with it (as its
    // verbose boot message says) and works within it (a file 48 times the
    // limit goes in and comes out whole).
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 253) as u8).collect();
    let host_file = dir.join("data.bin");
    std::fs::write(&host_file, &data).unwrap();
    let limited = |tool: &str, args: &[&str]| {
        Command::new(bin(tool))
            .arg(&good)
            .args(args)
            .env("RUMP_MEMLIMIT", "64k")
            .env("RUMP_VERBOSE", "1")
            .output()
            .unwrap()
    };
    let o = limited("fsu_put", &[host_file.to_str().unwrap(), "/data.bin"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("memory limit 65536 bytes"),
        "{}",
        stderr(&o)
    );
    assert!(limited("fsu_cat", &["/data.bin"]).stdout == data);
    assert_clean(&good);
}
