//! Shared by the server tests: an install prefix laid out as
//! `cargo xtask install` lays it out, servers started from it, and helpers
//! to run the client tools as a user would.
#![allow(dead_code)]

pub mod cc;
pub mod kernel6;
pub mod netstat;
pub mod pytcp;
mod tapns;
#[allow(unused_imports)] // only the tests that meet Linux use it
pub use tapns::TapNs;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().to_path_buf()
}

/// The test components' libraries laid out beside the installed ones:
/// (cargo package, library file).
const TEST_LIBRARIES: &[(&str, &str)] = &[
    ("k_helper_capi", "libk_helper.so"),
    ("k_helper2_capi", "libk_helper2.so"),
    ("badprint", "libbadprint.so"),
    ("badversion", "libbadversion.so"),
];

/// The files `cargo xtask install` installs, from the workspace's
/// `install.tsv`: (directory, cargo package, built file, installed name).
fn installed_files() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    let table = include_str!("../../../install.tsv");
    let rows = table
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'));
    rows.map(|l| match l.split('\t').collect::<Vec<_>>()[..] {
        [dir, package, built, name] => (dir, package, built, name),
        _ => panic!("install.tsv: malformed line {l:?}"),
    })
    .collect()
}

/// Build the binaries and component libraries of this build and lay them
/// out as an install prefix: `bin/rump_server`, `bin/rump.halt`,
/// `lib/librumpvfs.so`, ... (the test components too).
pub fn prefix() -> PathBuf {
    static DONE: Once = Once::new();
    let out = target_dir();
    let prefix = out.join("systest-prefix");
    DONE.call_once(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let installed = installed_files();
        let mut pkgs: Vec<&str> = TEST_LIBRARIES.iter().map(|(p, _)| *p).collect();
        for (_, package, _, _) in &installed {
            if !pkgs.contains(package) {
                pkgs.push(package);
            }
        }
        let mut c = Command::new(env!("CARGO"));
        c.current_dir(root)
            .args(["build", "--quiet"])
            .env("CARGO_TARGET_DIR", out.parent().unwrap());
        for p in pkgs {
            c.args(["-p", p]);
        }
        if !cfg!(debug_assertions) {
            c.arg("--release");
        }
        assert!(
            c.status().unwrap().success(),
            "building the binaries failed"
        );
        for d in ["bin", "lib"] {
            std::fs::create_dir_all(prefix.join(d)).unwrap();
        }
        let tests = TEST_LIBRARIES.iter().map(|&(_, lib)| ("lib", lib, lib));
        let files = installed
            .iter()
            .map(|&(dir, _, built, name)| (dir, built, name));
        for (dir, from, to) in files.chain(tests) {
            let dst = prefix.join(dir).join(to);
            let _ = std::fs::remove_file(&dst);
            std::fs::copy(out.join(from), &dst).unwrap();
        }
    });
    prefix
}

/// An installed binary.
pub fn bin(name: &str) -> PathBuf {
    prefix().join("bin").join(name)
}

/// A fresh directory for one test.
pub fn tempdir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = target_dir().join("systest-tmp").join(format!(
        "{tag}-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Run an installed tool in `dir` with `RUMP_SERVER=url`.
pub fn tool(dir: &Path, url: &str, name: &str, args: &[&str]) -> Output {
    client_program(&bin(name), dir, url, args)
}

/// Run the client program at `path` (ours or NetBSD's) in `dir` with
/// `RUMP_SERVER=url`.
pub fn client_program(path: &Path, dir: &Path, url: &str, args: &[&str]) -> Output {
    Command::new(path)
        .current_dir(dir)
        .args(args)
        .env("RUMP_SERVER", url)
        .output()
        .unwrap()
}

/// A program's stdout, after checking that it succeeded (the message
/// names `what` and shows both outputs).
pub fn ok(o: &Output, what: &str) -> String {
    assert!(
        o.status.success(),
        "{what}: {:?}\nstdout: {}\nstderr: {}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// Text of a tool's stdout.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Text of a tool's stderr.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Pids of rump processes whose command line contains `needle`, or whose
/// working directory is `needle`.
pub fn pids_with(needle: &str) -> Vec<i32> {
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmd) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            continue;
        };
        // A zombie has exited; only its parent has not collected it.
        let zombie = stat
            .rsplit(')')
            .next()
            .is_some_and(|s| s.trim_start().starts_with('Z'));
        // Match the command line, or the working directory (relative URLs).
        let cwd = std::fs::read_link(e.path().join("cwd"))
            .map(|c| c.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cmd = String::from_utf8_lossy(&cmd);
        if !zombie && cmd.contains("rump") && (cmd.contains(needle) || cwd == needle) {
            v.push(pid);
        }
    }
    v
}

/// Wait up to five seconds for `cond`.
pub fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let t = std::time::Instant::now();
    while !cond() {
        assert!(
            t.elapsed() < std::time::Duration::from_secs(5),
            "timed out waiting for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Send `sig` to `pid` with kill(1).
pub fn kill(sig: &str, pid: i32) {
    assert!(
        Command::new("kill")
            .args([sig, &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

/// A free TCP port on the loopback address.
pub fn free_port() -> u16 {
    // The host may hand the same free port to two tests running at once
    // (each closes its probe before its server binds): one process never
    // hands out a port twice.
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

/// Start installed server `server` in the foreground (`-s`) with `args`
/// on `url`, and connect to it once it answers.
pub fn serve(server: &str, args: &[&str], url: &str) -> (std::process::Child, rumpclient::Client) {
    let child = Command::new(bin(server))
        .arg("-s")
        .args(args)
        .arg(url)
        .spawn()
        .unwrap();
    let mut client = None;
    eventually("the server to answer", || {
        client = rumpclient::Client::connect(url).ok();
        client.is_some()
    });
    (child, client.unwrap())
}

/// A server stopped when the test ends, failed or not.
pub struct Stopped(pub std::process::Child);

impl Drop for Stopped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `args` run to the end under the hijack library, with `RUMP_SERVER=url`.
pub fn hijacked(url: &str, args: &[&str]) -> Output {
    Command::new(args[0])
        .args(&args[1..])
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", url)
        .output()
        .unwrap()
}

/// A kernel of the test's own with the FFS image `img` as the block
/// device `/dev/ffs`, mounted on `/mnt` with `MNT_*` `flags` (0: read-write,
/// which needs a clean file system).
pub fn mount_image(img: &Path, flags: i32) -> rump::KResult<std::sync::Arc<rump::Kernel>> {
    use rumpvfs::VfsCalls;
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .unwrap();
    rumpvfs::etfs::register(
        &k,
        "/dev/ffs",
        img.to_str().unwrap(),
        rumpvfs::etfs::EtfsType::Blk,
    )
    .unwrap();
    k.sys_mkdir("/mnt", 0o755).unwrap();
    k.sys_mount_dev("ffs", "/dev/ffs", "/mnt", flags)?;
    Ok(k)
}

/// `line` with placeholders where two runs differ by nature: the default
/// host name (`rump-PID.HOST`), link addresses and times of day (`HH:MM`);
/// spaces at either end go.
pub fn normalize_line(line: &str) -> String {
    let words: Vec<String> = line
        .split(' ')
        .map(|w| {
            let is_mac = w.len() == 17
                && w.split(':').count() == 6
                && w.split(':')
                    .all(|b| b.len() == 2 && b.chars().all(|c| c.is_ascii_hexdigit()));
            let host = w.strip_prefix("rump-").and_then(|r| r.split_once('.'));
            // ls -l's time of day: two servers started seconds apart may
            // stamp their boot-time nodes in different minutes.
            let is_clock = w.len() == 5
                && w.char_indices()
                    .all(|(i, c)| if i == 2 { c == ':' } else { c.is_ascii_digit() });
            if is_clock {
                "<hh:mm>".to_owned()
            } else if is_mac {
                "<link address>".to_owned()
            } else if host.is_some_and(|(pid, _)| pid.chars().all(|c| c.is_ascii_digit())) {
                "<rump host name>".to_owned()
            } else {
                w.to_owned()
            }
        })
        .collect();
    words.join(" ").trim().to_owned()
}

/// Make an FFS image at `img` with the installed `newfs_ffs` and `args`
/// (`-O 2`, `-s 64m`, ...); the test fails with newfs's message if it does.
pub fn newfs(img: &Path, args: &[&str]) {
    let o = Command::new(bin("newfs_ffs"))
        .arg("-F")
        .args(args)
        .arg(img)
        .output()
        .unwrap();
    assert!(o.status.success(), "newfs_ffs: {}", stderr(&o));
}

/// `s` with its NUL, as a system call takes a path.
pub fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

/// `mount("tmpfs", path, 0, &tmpfs_args, size)` through client `c`: at
/// most `size_max` bytes (0: no limit), the root directory's mode `mode`.
pub fn mount_tmpfs(c: &rumpclient::Client, path: &str, size_max: u64, mode: u32) {
    let m = rumpclient::Regions::new();
    let ta = tmpfs_args(size_max, mode);
    c.syscall(
        netbsd_abi::SYS___mount50,
        &[
            m.add(&cstr("tmpfs")),
            m.add(&cstr(path)),
            0,
            m.add(&ta),
            ta.len() as u64,
        ],
        &m,
    )
    .unwrap();
}

/// A `struct tmpfs_args` for `mount(2)`: the current version, at most
/// `size_max` bytes (0: no limit), the root directory's mode.
pub fn tmpfs_args(size_max: u64, root_mode: u32) -> Vec<u8> {
    use netbsd_abi::layout::tmpfs_args as ta;
    let mut a = vec![0u8; ta::SIZE];
    ta::ta_version.put(&mut a, netbsd_abi::TMPFS_ARGS_VERSION as u64);
    ta::ta_size_max.put(&mut a, size_max);
    ta::ta_root_mode.put(&mut a, root_mode.into());
    a
}

/// A kernel booted in this process with `components` (its console quiet),
/// served on a unix socket in a new temporary folder named after `tag`:
/// the kernel, the server (serving until dropped) and the socket's URL.
pub fn in_process_server(
    tag: &str,
    components: &[&'static rump::Component],
) -> (std::sync::Arc<rump::Kernel>, rump_server::SpServer, String) {
    let dir = tempdir(tag);
    let mut b = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .console(Box::new(|_, _| ()));
    for c in components {
        b = b.component(c);
    }
    let k = b.boot().unwrap();
    let url = sysproxy::Url::Unix(dir.join("s").to_string_lossy().into_owned());
    let s = rump_server::SpServer::start(std::sync::Arc::clone(&k), &url).unwrap();
    (k, s, url.to_string())
}

/// A server's resident memory, watched over a stretch of work: `start`
/// notes its RSS and resets its peak (`clear_refs` 5), `growth` gives how
/// far the peak rose above the start, in KiB.
pub struct RssWatch {
    pid: u32,
    start: u64,
}

fn status_kib(pid: u32, field: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    s.lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} for {pid}"))
}

impl RssWatch {
    /// Start watching process `pid`.
    pub fn start(pid: u32) -> RssWatch {
        std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
        RssWatch {
            pid,
            start: status_kib(pid, "VmRSS:"),
        }
    }

    /// How far the peak RSS rose since `start`, in KiB.
    pub fn growth(&self) -> u64 {
        status_kib(self.pid, "VmHWM:").saturating_sub(self.start)
    }
}
