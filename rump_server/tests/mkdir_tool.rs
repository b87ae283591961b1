//! Issue #15, point 12: `rump.mkdir` and `rump.rmdir`, NetBSD's mkdir(1)
//! and rmdir(1) as rump kernel clients, make the mount point that
//! `rump.mount` needs. What they made is looked at through the hijack
//! with Debian's `stat`, which we did not write.

mod common;

use common::*;
use std::process::Command;

/// `stat -c FORMAT path...` of paths under `/rump` in the kernel at `url`.
fn stat(url: &str, format: &str, paths: &[&str]) -> String {
    let o = Command::new("stat")
        .arg("-c")
        .arg(format)
        .args(paths)
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", url)
        .output()
        .unwrap();
    assert!(o.status.success(), "stat {paths:?}: {}", stderr(&o));
    stdout(&o)
}

#[test]
fn mkdir_makes_a_mount_point_and_rmdir_removes_it() {
    let dir = tempdir("mkdir");
    let url = format!("unix://{}/s", dir.display());
    let o = Command::new(bin("rump_server"))
        .args(["-lrumpvfs", "-lrumpfs_tmpfs", &url])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let run = |name: &str, args: &[&str]| tool(&dir, &url, name, args);

    // The umask (022) applies to a plain mkdir, -m sets the mode exactly.
    assert!(run("rump.mkdir", &["/mnt", "/new"]).status.success());
    let m = run("rump.mkdir", &["-m", "1750", "/sticky"]);
    assert!(m.status.success(), "{}", stderr(&m));
    let m = run("rump.mkdir", &["-m", "u=rwx,go=x", "/sym"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert_eq!(
        stat(
            &url,
            "%n %a %F",
            &["/rump/mnt", "/rump/sticky", "/rump/sym"]
        ),
        "/rump/mnt 755 directory\n/rump/sticky 1750 directory\n/rump/sym 711 directory\n"
    );
    // A mount point for rump.mount.
    let m = run("rump.mount", &["-t", "tmpfs", "tmpfs", "/mnt"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert!(stdout(&run("rump.mount", &[])).contains("tmpfs on /mnt type tmpfs"));

    // NetBSD's messages, and the other names still made.
    let m = run("rump.mkdir", &["/tmp", "/newer", "/no/such"]);
    assert!(!m.status.success());
    assert_eq!(
        stderr(&m),
        "rump.mkdir: /tmp: File exists\nrump.mkdir: /no/such: No such file or directory\n"
    );
    let m = run("rump.mkdir", &["-m", "u+q", "/x"]);
    assert_eq!(
        stderr(&m),
        "rump.mkdir: Cannot set file mode `u+q': Invalid argument\n"
    );
    let m = run("rump.mkdir", &[]);
    assert_eq!(stderr(&m), "usage: rump.mkdir [-p] [-m mode] dirname ...\n");

    // -p: parents as needed (u+wx on the way), existing ones are fine.
    let m = run("rump.mkdir", &["-p", "-m", "700", "/a/b/c", "/mnt/d"]);
    assert!(m.status.success(), "{}", stderr(&m));
    assert!(run("rump.mkdir", &["-p", "/a/b/c"]).status.success());
    assert_eq!(
        stat(
            &url,
            "%a",
            &["/rump/a", "/rump/a/b", "/rump/a/b/c", "/rump/mnt/d"]
        ),
        "755\n755\n700\n700\n"
    );
    let m = run("rump.mkdir", &["-p", "/a/b/c/", "/sym/../new/e"]);
    assert!(m.status.success(), "{}", stderr(&m));

    // rmdir, and -p for the parents.
    let r = run("rump.rmdir", &["/a"]);
    assert_eq!(stderr(&r), "rump.rmdir: /a: Directory not empty\n");
    let r = run("rump.rmdir", &["-p", "/a/b/c/"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let r = run("rump.rmdir", &["/a"]);
    assert_eq!(stderr(&r), "rump.rmdir: /a: No such file or directory\n");
    assert!(run("rump.halt", &[]).status.success());
}
