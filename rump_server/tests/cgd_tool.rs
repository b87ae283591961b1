//! rump.cgdconfig against rump_allserver, over an etfs drive: a
//! parameters file generated (`-g`), the disk configured from it, data
//! written through `/dev/rcgd0d`, listed (`-l`), unconfigured (`-u`), and
//! configured again with the same file (the data is back), with a key on
//! standard input (`-s`), and with a verification that fails.

mod common;

use common::*;
use netbsd_abi::{O_RDWR, SYS_close, SYS_open, SYS_pread, SYS_pwrite};
use rumpclient::Regions;

const SIZE: u64 = 4 << 20;

fn pattern() -> Vec<u8> {
    (0..65536u32).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn cgdconfig_generates_configures_lists_and_unconfigures() {
    let dir = tempdir("cgd-tool");
    let url = format!("unix://{}", dir.join("s").display());
    let img = dir.join("disk.img");
    std::fs::write(&img, vec![0u8; SIZE as usize]).unwrap();
    let drive = format!("key=/dk,hostpath={},size={SIZE},type=blk", img.display());
    let (server, c) = serve("rump_allserver", &["-d", &drive], &url);
    let _server = KillOnDrop(server);
    let run = |args: &[&str]| tool(&dir, &url, "rump.cgdconfig", args);

    // A parameters file with a stored key, as NetBSD's cgdconfig writes it.
    let o = run(&["-g", "-k", "storedkey", "-o", "params", "aes-cbc", "256"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let params = std::fs::read_to_string(dir.join("params")).unwrap();
    assert!(params.starts_with(
        "algorithm aes-cbc;\niv-method encblkno1;\nkeylength 256;\nverify_method none;\n\
         keygen storedkey key AAABA"
    ));

    let o = run(&["cgd0", "/dk", "params"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["-l", "-vv", "cgd0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let line = stdout(&o);
    assert!(line.starts_with("cgd0: "), "{line}");
    assert!(
        line.contains("aes-cbc keylen 256 blksize 16 encblkno1"),
        "{line}"
    );
    // Without a unit, -l lists every unit the kernel has nodes for: cgd0
    // alone, as in NetBSD's rump kernel.
    let o = run(&["-l", "-v"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let all = stdout(&o);
    assert_eq!(all.lines().count(), 1, "{all}");
    assert!(
        all.starts_with("cgd0: ") && all.contains("aes-cbc"),
        "{all}"
    );
    // Busy: a second configuration fails with the kernel's answer.
    let o = run(&["cgd0", "/dk", "params"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("ioctl: Device busy"), "{}", stderr(&o));

    let m = Regions::new();
    let call = |n: usize, args: &[u64]| c.syscall(n, args, &m).map(|r| r[0] as u64);
    let data = pattern();
    let fd = call(SYS_open, &[m.add(b"/dev/rcgd0d\0"), O_RDWR as u64]).unwrap();
    let buf = m.add(&data);
    assert_eq!(
        call(SYS_pwrite, &[fd, buf, data.len() as u64, 0, 8192]).unwrap(),
        65536
    );
    call(SYS_close, &[fd]).unwrap();
    // On the host the bytes are not the data.
    let host = std::fs::read(&img).unwrap();
    assert_ne!(&host[8192..8192 + 65536], &data[..]);

    let o = run(&["-u", "cgd0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["-l", "cgd0"]);
    assert_eq!(stdout(&o), "cgd0: not in use\n");

    let read_back = || {
        let m = Regions::new();
        let fd = c
            .syscall(SYS_open, &[m.add(b"/dev/rcgd0d\0"), O_RDWR as u64], &m)
            .unwrap()[0] as u64;
        let out = m.add_zeroed(65536);
        c.syscall(SYS_pread, &[fd, out, 65536, 0, 8192], &m)
            .unwrap();
        c.syscall(SYS_close, &[fd], &m).unwrap();
        m.get(out)
    };
    // The same file: the data again.
    let o = run(&["cgd0", "/dk", "params"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(read_back(), data);
    assert!(run(&["-u", "cgd0"]).status.success());

    // A key on standard input: another key, other bytes.
    let mut child = std::process::Command::new(bin("rump.cgdconfig"))
        .current_dir(&dir)
        .args(["-s", "cgd0", "/dk", "aes-cbc", "128"])
        .env("RUMP_SERVER", &url)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"0123456789ABCDEF")
        .unwrap();
    assert!(child.wait().unwrap().success());
    assert_ne!(read_back(), data);
    assert!(run(&["-u", "cgd0"]).status.success());

    // A passphrase (-p: from standard input) through PBKDF2: the same one
    // gives the same key, another one another.
    std::fs::write(
        dir.join("params.pass"),
        "algorithm aes-cbc;\nkeylength 128;\nkeygen pkcs5_pbkdf2/sha1 {\n        \
         iterations 1000;\n        salt AAAAgALkIypwcJNK2qlJmx6FtVI=;\n};\n",
    )
    .unwrap();
    let with_pass = |pass: &[u8]| {
        let mut child = std::process::Command::new(bin("rump.cgdconfig"))
            .current_dir(&dir)
            .args(["-p", "cgd0", "/dk", "params.pass"])
            .env("RUMP_SERVER", &url)
            .stdin(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(pass).unwrap();
        assert!(child.wait().unwrap().success());
    };
    with_pass(b"correct horse\n");
    let m = Regions::new();
    let fd = c
        .syscall(SYS_open, &[m.add(b"/dev/rcgd0d\0"), O_RDWR as u64], &m)
        .unwrap()[0] as u64;
    c.syscall(SYS_pwrite, &[fd, m.add(&data), 65536, 0, 8192], &m)
        .unwrap();
    c.syscall(SYS_close, &[fd], &m).unwrap();
    assert!(run(&["-u", "cgd0"]).status.success());
    with_pass(b"correct horse\n");
    assert_eq!(read_back(), data);
    assert!(run(&["-u", "cgd0"]).status.success());
    with_pass(b"battery staple\n");
    assert_ne!(read_back(), data);
    assert!(run(&["-u", "cgd0"]).status.success());

    refusals(&dir, &run, &params);
}

/// The server goes with the test, passed or failed.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// What the tool refuses: a verification that fails (the unit is left
/// unconfigured), a cipher the kernel lacks, a missing file, `-C`.
fn refusals(dir: &std::path::Path, run: &dyn Fn(&[&str]) -> std::process::Output, params: &str) {
    // verify_method ffs on a disk without one: refused, and left
    // unconfigured.
    let ffs = params.replace("verify_method none", "verify_method ffs");
    std::fs::write(dir.join("params.ffs"), ffs).unwrap();
    let o = run(&["cgd0", "/dk", "params.ffs"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("verification failed permanently"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stdout(&run(&["-l", "cgd0"])), "cgd0: not in use\n");

    // Errors: a cipher the kernel does not have, a file that is not there.
    let o = run(&["-s", "cgd0", "/dk", "rot13"]);
    assert!(
        stderr(&o).contains("could not determine key length"),
        "{}",
        stderr(&o)
    );
    let o = run(&["cgd0", "/dk", "nonexistent"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("failed to open params file"),
        "{}",
        stderr(&o)
    );
    let o = run(&["-C"]);
    assert!(stderr(&o).contains("not supported yet"), "{}", stderr(&o));
}
