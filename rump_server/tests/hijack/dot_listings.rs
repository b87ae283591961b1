//! `ls -la DIR/.` under the hijack lists what `ls -la DIR` does, on
//! rumpfs, tmpfs and FFS: a trailing `.` (or `/`) reaches the kernel as it
//! is, and the listing after `.` and `..` goes on from their offsets.
//! NetBSD's rumpfs has no `.` or `..` entries (`rump_vop_readdir`), so an
//! empty rumpfs directory lists as nothing but GNU ls's `total 0`.

use super::*;

/// A server with an empty rumpfs directory `/mnt/e`, an empty tmpfs on
/// `/t` and a fresh FFS on `/f`.
fn dots_server(dir: &Path) -> (Child, String) {
    let img = dir.join("ffs.img");
    newfs(&img, &["-s", "16m"]);
    let url = format!("unix://{}", dir.join("s").display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    let (server, c) = serve("rump_allserver", &["-d", &spec], &url);
    let m = Regions::new();
    for d in ["/mnt", "/mnt/e", "/t", "/f"] {
        c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr(d)), 0o755], &m)
            .unwrap();
    }
    mount_tmpfs(&c, "/t", 0, 0o755);
    let o = tool(dir, &url, "rump.mount", &["-t", "ffs", "/dev/ffs", "/f"]);
    assert!(o.status.success(), "rump.mount: {}", stderr(&o));
    (server, url)
}

/// The names `ls -la` printed, one a line, in its order.
fn names(out: &str) -> Vec<String> {
    out.lines()
        .filter(|l| !l.starts_with("total "))
        .map(|l| l.rsplit(' ').next().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn a_trailing_dot_lists_the_directory_itself() {
    let dir = tempdir("hj-dots");
    let (mut server, url) = dots_server(&dir);
    let ls = |path: &str| {
        let o = hijacked(&url, &["ls", "-la", path]);
        assert!(o.status.success(), "ls -la {path}: {}", stderr(&o));
        stdout(&o)
    };
    let empty: &[&str] = &[];
    let dots: &[&str] = &[".", ".."];
    for (d, want) in [("/rump/mnt/e", empty), ("/rump/t", dots), ("/rump/f", dots)] {
        let plain = ls(d);
        assert_eq!(names(&plain), want, "ls -la {d}: {plain}");
        assert!(plain.starts_with("total "), "ls -la {d}: {plain}");
        for spelled in [format!("{d}/."), format!("{d}/"), format!("{d}/./")] {
            assert_eq!(ls(&spelled), plain, "ls -la {spelled}");
        }
    }
    // With more names than one getdents reply holds (ls asks for 32 KiB),
    // every name comes once after `.` and `..`, and the same through `/.`.
    let make = "for i in $(seq 1 600); do : > /rump/t/file-name-$i; : > /rump/f/file-name-$i; : > /rump/mnt/e/file-name-$i; done";
    let o = hijacked(&url, &["sh", "-c", make]);
    assert!(o.status.success(), "{}", stderr(&o));
    for (d, dotted) in [("/rump/mnt/e", false), ("/rump/t", true), ("/rump/f", true)] {
        let plain = ls(&format!("{d}/."));
        let mut got = names(&plain);
        assert_eq!(got.len(), 600 + 2 * usize::from(dotted), "{d}/.");
        got.sort();
        got.dedup();
        assert_eq!(
            got.len(),
            600 + 2 * usize::from(dotted),
            "{d}/.: a name twice"
        );
        assert_eq!(ls(d), plain, "ls -la {d}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
