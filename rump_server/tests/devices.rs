//! Device nodes of a running server, read by unmodified Linux programs
//! under the hijack: `/dev/zero` and `/dev/urandom` from the components
//! loaded with `-l` (the VFS faction's null driver, the DEV faction and
//! its rnd driver), and `/dev` at boot as NetBSD's rump kernel shows it.

mod common;

use common::*;
use std::process::Child;

struct Server {
    child: Child,
    url: String,
    dir: std::path::PathBuf,
}

impl Server {
    fn start(tag: &str, server: &str, libs: &[&str]) -> Server {
        let dir = tempdir(tag);
        let url = format!("unix://{}", dir.join("s").display());
        let (child, _client) = serve(server, libs, &url);
        Server { child, url, dir }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Pearson's chi-square of the byte counts of `data` against a uniform
/// distribution (255 degrees of freedom: mean 255, deviation about 22.6).
fn chi_square(data: &[u8]) -> f64 {
    let mut counts = [0u64; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let expected = data.len() as f64 / 256.0;
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn dd_reads_zeros_and_random_bytes_from_loaded_drivers() {
    let s = Server::start(
        "dev-dd",
        "rump_server",
        &["-lrumpvfs", "-lrumpdev", "-lrumpdev_rnd"],
    );
    let zeros = s.dir.join("zeros");
    let o = hijacked(
        &s.url,
        &[
            "dd",
            "if=/rump/dev/zero",
            &format!("of={}", zeros.display()),
            "bs=64k",
            "count=16",
        ],
    );
    assert!(o.status.success(), "dd from /dev/zero: {}", stderr(&o));
    let z = std::fs::read(&zeros).unwrap();
    assert_eq!(z.len(), 1 << 20);
    assert!(z.iter().all(|&b| b == 0));

    let random = s.dir.join("random");
    let o = hijacked(
        &s.url,
        &[
            "dd",
            "if=/rump/dev/urandom",
            &format!("of={}", random.display()),
            "bs=64k",
            "count=16",
        ],
    );
    assert!(o.status.success(), "dd from /dev/urandom: {}", stderr(&o));
    let r = std::fs::read(&random).unwrap();
    assert_eq!(r.len(), 1 << 20);
    // Far past the 1-in-10^8 tail of the distribution fails; zeros or a
    // repeated pattern land in the millions.
    let x2 = chi_square(&r);
    assert!(
        x2 < 400.0,
        "byte frequencies of /dev/urandom: chi-square {x2}"
    );
    assert!(chi_square(&z) > 1e6);

    // Writes to /dev/null vanish; its reads are at their end at once.
    let o = hijacked(
        &s.url,
        &[
            "sh",
            "-c",
            "echo gone > /rump/dev/null && cat /rump/dev/null",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "");
    // /dev/random gives at most 16 bytes a read (NetBSD's cprng), never waiting.
    let o = hijacked(
        &s.url,
        &[
            "dd",
            "if=/rump/dev/random",
            "of=/dev/null",
            "bs=1k",
            "count=4",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("64 bytes"), "{}", stderr(&o));
}

#[test]
fn dev_holds_the_nodes_of_the_drivers_present() {
    // Without the DEV faction: the VFS faction's null and zero only, as
    // NetBSD's rump_server -lrumpvfs.
    let vfs_only = Server::start("dev-vfs", "rump_server", &["-lrumpvfs"]);
    let o = hijacked(&vfs_only.url, &["ls", "/rump/dev"]);
    assert_eq!(stdout(&o), "null\nzero\n", "{}", stderr(&o));
    // rump_allserver links the DEV faction and rnd in.
    let all = Server::start("dev-all", "rump_allserver", &[]);
    let o = hijacked(
        &all.url,
        &[
            "stat",
            "-c",
            "%n %F %t,%T %a %U",
            "/rump/dev",
            "/rump/dev/null",
            "/rump/dev/zero",
            "/rump/dev/random",
            "/rump/dev/urandom",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "/rump/dev directory 0,0 755 root\n\
         /rump/dev/null character special file 2,2 644 root\n\
         /rump/dev/zero character special file 2,c 644 root\n\
         /rump/dev/random character special file 100,0 644 root\n\
         /rump/dev/urandom character special file 100,1 644 root\n"
    );
    // A node for a major no driver has opens as ENXIO.
    let o = hijacked(
        &all.url,
        &[
            "python3",
            "-c",
            "import os\nos.mknod('/rump/tmp/x', 0o20644, os.makedev(200, 0))\ntry:\n  open('/rump/tmp/x')\nexcept OSError as e:\n  print(e.strerror)",
        ],
    );
    assert_eq!(stdout(&o), "No such device or address\n", "{}", stderr(&o));
}

#[test]
fn etfs_keys_are_names_realpath_and_ls_find() {
    let dir = tempdir("dev-etfs");
    std::fs::write(dir.join("xd.img"), vec![0u8; 65536]).unwrap();
    let url = format!("unix://{}", dir.join("s").display());
    let key = format!(
        "key=/dev/xd,hostpath={},size=host,type=blk",
        dir.join("xd.img").display()
    );
    let (mut child, _client) = serve("rump_allserver", &["-d", &key], &url);
    let o = hijacked(&url, &["realpath", "/rump/dev/xd"]);
    assert_eq!(stdout(&o), "/rump/dev/xd\n", "{}", stderr(&o));
    let o = hijacked(&url, &["stat", "-c", "%F %t,%T %a", "/rump/dev/xd"]);
    assert_eq!(
        stdout(&o),
        "block special file c5,0 755\n",
        "{}",
        stderr(&o)
    );
    // Relative to the root as well; and in no directory listing (which
    // has the drivers' nodes: null, drvctl, the rnd, vnd, md and cgd ones).
    let o = hijacked(&url, &["sh", "-c", "cd /rump && realpath dev/xd && ls dev"]);
    let mut want = String::from("/rump/dev/xd\n");
    let mut names: Vec<String> = ["drvctl", "null", "random", "urandom", "zero"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for p in 'a'..='g' {
        names.push(format!("vnd0{p}"));
        names.push(format!("rvnd0{p}"));
        names.push(format!("md0{p}"));
        names.push(format!("rmd0{p}"));
        names.push(format!("cgd0{p}"));
        names.push(format!("rcgd0{p}"));
    }
    names.sort();
    for n in names {
        want.push_str(&n);
        want.push('\n');
    }
    assert_eq!(stdout(&o), want, "{}", stderr(&o));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
