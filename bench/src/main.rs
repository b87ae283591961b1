//! Benchmarks, run by `cargo xtask bench`: each prints our time, the host's
//! time for the comparable work measured in the same run, and the ratio.
//!
//! `--json FILE` also writes the records as JSON; `--runs N` sets how many
//! repetitions each median is taken over. The remote benchmarks need the
//! `rump_server` binary of the same build next to this one.

#![forbid(unsafe_code)]

mod dev;
mod net;
mod peer;

use netbsd_abi::{O_CREAT, O_RDWR, O_WRONLY, SYS_close, SYS_mkdir, SYS_open, SYS_pread, SYS_write};
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

struct Record {
    name: &'static str,
    unit: &'static str,
    ours: f64,
    baseline_name: &'static str,
    baseline: f64,
}

impl Record {
    /// Two timings of the same work, in milliseconds.
    fn ms(
        name: &'static str,
        ours: Duration,
        baseline_name: &'static str,
        baseline: Duration,
    ) -> Record {
        Record {
            name,
            unit: "ms",
            ours: ours.as_secs_f64() * 1e3,
            baseline_name,
            baseline: baseline.as_secs_f64() * 1e3,
        }
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_runs(runs: usize, mut f: impl FnMut()) -> Duration {
    f(); // warm up caches and lazy host state
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// Median cost of one call of `f`, measured in batches.
fn per_call(runs: usize, batch: u32, mut f: impl FnMut()) -> f64 {
    time_runs(runs, || {
        for _ in 0..batch {
            f();
        }
    })
    .as_secs_f64()
        / f64::from(batch)
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn boot(components: &[&'static rump::Component]) {
    let mut b = rump::KernelBuilder::new();
    for &c in components {
        b = b.component(c);
    }
    drop(b.boot().expect("boot"));
}

fn spawn_true() {
    let st = Command::new("true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("spawn true");
    assert!(st.success());
}

/// Every component linked into this benchmark: the full kernel so far.
const ALL: &[&rump::Component] = &[&rumpvfs::COMPONENT];

/// The length of the single-call bulk write.
const BULK: usize = 256 << 20;

/// The request and reply sizes of a remote getpid on the wire.
const GETPID_REQ: usize = 24;
const GETPID_RESP: usize = 48;

/// `rumpbench --echo PATH`: the baseline's other process. Accepts one
/// connection and answers every 24-byte message with 48 bytes.
fn echo(path: &str, req_len: usize, resp_len: usize) -> ExitCode {
    let l = UnixListener::bind(path).expect("bind");
    let (mut s, _) = l.accept().expect("accept");
    let mut req = vec![0u8; req_len];
    let resp = vec![0u8; resp_len];
    while s.read_exact(&mut req).is_ok() {
        if s.write_all(&resp).is_err() {
            break;
        }
    }
    ExitCode::SUCCESS
}

/// `taskset -c CPU` before `exe` when `pin` is asked for, the host has a
/// second CPU and `taskset` is there: the ping-pong's two ends then run on
/// CPUs of their own, a baseline that does not move with where the
/// scheduler puts them.
fn pinned(pin: bool, cpu: usize, exe: &Path) -> Command {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let taskset = Command::new("taskset")
        .arg("-V")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !pin || cpus < 2 || !taskset {
        return Command::new(exe);
    }
    let mut c = Command::new("taskset");
    c.args(["-c", &cpu.to_string()]).arg(exe);
    c
}

/// `rumpbench --ping PATH RUNS BATCH REQ RESP`: the baseline's measuring
/// end. Prints the median seconds of one round trip with the echo peer.
fn ping(path: &str, runs: usize, batch: u32, req_len: usize, resp_len: usize) -> ExitCode {
    let mut s = connect_when_listening(Path::new(path));
    let (req, mut resp) = (vec![1u8; req_len], vec![0u8; resp_len]);
    let cost = per_call(runs, batch, || {
        s.write_all(&req).expect("ping");
        s.read_exact(&mut resp).expect("pong");
    });
    println!("{cost:e}");
    ExitCode::SUCCESS
}

/// Time round trips of `req_len` bytes out and `resp_len` back between two
/// host processes over a unix socket, pinned to different CPUs if `pin`.
fn pingpong(
    dir: &Path,
    (runs, batch): (usize, u32),
    req_len: usize,
    resp_len: usize,
    pin: bool,
) -> f64 {
    let exe = std::env::current_exe().expect("exe");
    let sock = dir.join(format!("echo-{req_len}-{resp_len}.sock"));
    let _ = std::fs::remove_file(&sock);
    let sizes = [req_len.to_string(), resp_len.to_string()];
    let mut peer = pinned(pin, 1, &exe)
        .args(["--echo", &sock.to_string_lossy(), &sizes[0], &sizes[1]])
        .spawn()
        .expect("echo peer");
    let out = pinned(pin, 0, &exe)
        .args(["--ping", &sock.to_string_lossy()])
        .args([runs.to_string(), batch.to_string()])
        .args(&sizes)
        .output()
        .expect("ping end");
    let _ = peer.wait();
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("the ping end prints its cost")
}

/// `rumpbench --sink PATH LEN`: reads `LEN` bytes from its one connection,
/// answers one byte, again until the connection ends.
fn sink(path: &str, len: usize) -> ExitCode {
    let l = UnixListener::bind(path).expect("bind");
    let (mut s, _) = l.accept().expect("accept");
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let mut left = len;
        while left > 0 {
            match s.read(&mut buf[..left.min(1 << 20)]) {
                Ok(0) | Err(_) => return ExitCode::SUCCESS,
                Ok(n) => left -= n,
            }
        }
        if s.write_all(&[1]).is_err() {
            return ExitCode::SUCCESS;
        }
    }
}

/// Median time of sending `len` bytes over a bare unix socket to a host
/// process that reads them all and answers one byte.
fn bare_bulk(dir: &Path, runs: usize, len: usize) -> Duration {
    let exe = std::env::current_exe().expect("exe");
    let sock = dir.join("sink.sock");
    let _ = std::fs::remove_file(&sock);
    let mut peer = Command::new(&exe)
        .args(["--sink", &sock.to_string_lossy(), &len.to_string()])
        .spawn()
        .expect("sink peer");
    let mut s = connect_when_listening(&sock);
    let data = vec![7u8; len];
    let t = time_runs(runs, || {
        s.write_all(&data).expect("send");
        s.read_exact(&mut [0u8]).expect("ack");
    });
    drop(s);
    let _ = peer.wait();
    t
}

/// Connect to the listener at `path` once it listens (without taking a
/// connection of a one-connection peer just to see, as [`wait_for`] would).
fn connect_when_listening(path: &Path) -> UnixStream {
    let t = Instant::now();
    loop {
        if let Ok(s) = UnixStream::connect(path) {
            return s;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{} never listened",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn scratch() -> PathBuf {
    let d = std::env::temp_dir().join(format!("rumpbench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&d);
    d
}

fn wait_for(path: &Path) {
    let t = Instant::now();
    while UnixStream::connect(path).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{} never served",
            path.display()
        );
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// Start `rump_server -s` on a fresh socket; returns it once it serves.
fn start_server(server: &Path, args: &[&str], sock: &Path) -> Child {
    let _ = std::fs::remove_file(sock);
    let url = format!("unix://{}", sock.display());
    let child = Command::new(server)
        .args(args)
        .args(["-s", &url])
        .spawn()
        .expect("start rump_server");
    wait_for(sock);
    child
}

fn stop(mut c: Child) {
    let _ = c.kill();
    let _ = c.wait();
}

fn rss_kib(pid: u32) -> f64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(f64::NAN)
}

/// tmpfs through the in-process API against the host's tmpfs (`/dev/shm`)
/// through libc (`std::fs`), the same work on each.
fn vfs(records: &mut Vec<Record>) {
    use rumpvfs::VfsCalls;
    use rumpvfs::flags::{O_CREAT, O_RDONLY, O_WRONLY};
    const FILES: usize = 10_000;
    const TOTAL: usize = 256 << 20;
    const CHUNK: usize = 64 << 10;
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_tmpfs::COMPONENT)
        .boot()
        .expect("boot");
    k.sys_mkdir("/t", 0o755).expect("mkdir");
    k.sys_mount_tmpfs("/t", 0, 0).expect("mount tmpfs");
    let names: Vec<String> = (0..FILES).map(|i| format!("/t/f{i}")).collect();
    let ours = time_runs(3, || {
        for n in &names {
            let fd = k.sys_open(n, O_CREAT | O_WRONLY, 0o644).expect("create");
            k.sys_close(fd).expect("close");
        }
        for n in &names {
            std::hint::black_box(k.sys_stat(n).expect("stat"));
        }
        for n in &names {
            k.sys_unlink(n).expect("unlink");
        }
    });
    let Ok(host_dir) =
        std::fs::create_dir_all(format!("/dev/shm/rumpbench-{}", std::process::id()))
            .map(|_| PathBuf::from(format!("/dev/shm/rumpbench-{}", std::process::id())))
    else {
        eprintln!("rumpbench: no /dev/shm: skipping the file system benchmarks");
        return;
    };
    let host_names: Vec<PathBuf> = (0..FILES).map(|i| host_dir.join(format!("f{i}"))).collect();
    let host = time_runs(3, || {
        for n in &host_names {
            drop(std::fs::File::create(n).expect("create"));
        }
        for n in &host_names {
            std::hint::black_box(std::fs::metadata(n).expect("stat"));
        }
        for n in &host_names {
            std::fs::remove_file(n).expect("unlink");
        }
    });
    records.push(Record::ms(
        "tmpfs 10k create/stat/rm",
        ours,
        "host: the same in /dev/shm",
        host,
    ));
    let chunk = vec![0x5au8; CHUNK];
    let mut back = vec![0u8; CHUNK];
    let ours = time_runs(3, || {
        let fd = k
            .sys_open("/t/big", O_CREAT | O_WRONLY, 0o644)
            .expect("create");
        for _ in 0..TOTAL / CHUNK {
            k.sys_write(fd, &chunk).expect("write");
        }
        k.sys_close(fd).expect("close");
        let fd = k.sys_open("/t/big", O_RDONLY, 0).expect("open");
        for _ in 0..TOTAL / CHUNK {
            k.sys_read(fd, &mut back).expect("read");
        }
        k.sys_close(fd).expect("close");
        k.sys_unlink("/t/big").expect("unlink");
    });
    let big = host_dir.join("big");
    let host = time_runs(3, || {
        use std::io::{Read, Write};
        let mut f = std::fs::File::create(&big).expect("create");
        for _ in 0..TOTAL / CHUNK {
            f.write_all(&chunk).expect("write");
        }
        drop(f);
        let mut f = std::fs::File::open(&big).expect("open");
        for _ in 0..TOTAL / CHUNK {
            f.read_exact(&mut back).expect("read");
        }
        drop(f);
        std::fs::remove_file(&big).expect("unlink");
    });
    let _ = std::fs::remove_dir_all(&host_dir);
    records.push(Record::ms(
        "tmpfs 256 MiB write+read",
        ours,
        "host: the same in /dev/shm, 64 KiB calls",
        host,
    ));
}

/// FFS on an image file, next to the host doing the same I/O on the same
/// file with pread/pwrite (the most the image can give).
fn ffs(records: &mut Vec<Record>) {
    use rumpvfs::VfsCalls;
    use rumpvfs::etfs::{self, EtfsType};
    use rumpvfs::flags::{O_CREAT, O_RDONLY, O_WRONLY};
    use std::os::unix::fs::FileExt;
    const IMAGE: u64 = 1 << 30;
    const TOTAL: usize = 256 << 20;
    const CHUNK: usize = 64 << 10;
    const FILES: usize = 10_000;
    const SMALL: usize = 2000;
    let dir = scratch();
    let img = dir.join("ffs.img");
    let path = img.to_str().expect("utf-8 path").to_string();
    // Written out whole first (newfs -Z), so that neither side pays for the
    // host allocating a sparse file.
    {
        let f = std::fs::File::create(&img).expect("image");
        let zeros = vec![0u8; 1 << 20];
        for i in 0..IMAGE >> 20 {
            f.write_all_at(&zeros, i << 20).expect("zero the image");
        }
    }
    let dev = rumpfs_ffs::dev::HostDev::open(&path, true).expect("image");
    rumpfs_ffs::mkfs::newfs(
        std::sync::Arc::new(dev),
        &rumpfs_ffs::mkfs::Params::default(),
    )
    .expect("newfs");
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .component(&rumpvfs::COMPONENT)
        .component(&rumpfs_ffs::COMPONENT)
        .boot()
        .expect("boot");
    k.sys_mkdir("/m", 0o755).expect("mkdir");
    // A fresh device each time, so that reads start from the image.
    let attach = || {
        let _ = etfs::remove(&k, "/dev/ffs");
        etfs::register(&k, "/dev/ffs", &path, EtfsType::Blk).expect("register");
        k.sys_mount_dev("ffs", "/dev/ffs", "/m", 0).expect("mount");
    };
    let chunk = vec![0x5au8; CHUNK];
    let mut back = vec![0u8; CHUNK];
    let (mut w, mut r) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        attach();
        let t = Instant::now();
        let fd = k
            .sys_open("/m/big", O_CREAT | O_WRONLY, 0o644)
            .expect("create");
        for _ in 0..TOTAL / CHUNK {
            k.sys_write(fd, &chunk).expect("write");
        }
        k.sys_fsync(fd).expect("fsync");
        k.sys_close(fd).expect("close");
        w.push(t.elapsed());
        k.sys_unmount("/m", 0).expect("unmount");
        attach();
        let t = Instant::now();
        let fd = k.sys_open("/m/big", O_RDONLY, 0).expect("open");
        for _ in 0..TOTAL / CHUNK {
            k.sys_read(fd, &mut back).expect("read");
        }
        k.sys_close(fd).expect("close");
        r.push(t.elapsed());
        k.sys_unlink("/m/big").expect("unlink");
        k.sys_unmount("/m", 0).expect("unmount");
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&img)
        .expect("image");
    // The second half of the image: past what the file system wrote.
    let base = IMAGE / 2;
    let host_w = time_runs(3, || {
        for i in 0..TOTAL / CHUNK {
            file.write_all_at(&chunk, base + (i * CHUNK) as u64)
                .expect("pwrite");
        }
        file.sync_data().expect("fdatasync");
    });
    let host_r = time_runs(3, || {
        for i in 0..TOTAL / CHUNK {
            file.read_exact_at(&mut back, base + (i * CHUNK) as u64)
                .expect("pread");
        }
    });
    records.push(Record::ms(
        "ffs 256 MiB write+fsync",
        median(w),
        "host: pwrite+fdatasync of the image",
        host_w,
    ));
    records.push(Record::ms(
        "ffs 256 MiB read",
        median(r),
        "host: pread of the image",
        host_r,
    ));
    let small = vec![0x33u8; SMALL];
    let mut c = Vec::new();
    for round in 0..3 {
        attach();
        let t = Instant::now();
        for i in 0..FILES {
            let fd = k
                .sys_open(&format!("/m/s{round}-{i}"), O_CREAT | O_WRONLY, 0o644)
                .expect("create");
            k.sys_write(fd, &small).expect("write");
            k.sys_close(fd).expect("close");
        }
        k.sys_sync().expect("sync");
        c.push(t.elapsed());
        k.sys_unmount("/m", 0).expect("unmount");
    }
    // The same bytes, each file's data, inode and entry, written in place.
    let host_c = time_runs(3, || {
        for i in 0..FILES as u64 {
            file.write_all_at(&small, base + i * 4096).expect("pwrite");
            file.write_all_at(&small[..256], base + (1 << 28) + i * 256)
                .expect("pwrite");
        }
        file.sync_data().expect("fdatasync");
    });
    records.push(Record::ms(
        "ffs 10k small files",
        median(c),
        "host: pwrite of their bytes",
        host_c,
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

fn remote(records: &mut Vec<Record>, runs: usize) {
    let exe = std::env::current_exe().expect("exe");
    let server = exe.with_file_name("rump_server");
    if !server.exists() {
        eprintln!(
            "rumpbench: {} not built: skipping the remote benchmarks",
            server.display()
        );
        return;
    }
    let dir = scratch();

    // Start-up: from spawning the server until its socket answers.
    let sock = dir.join("start.sock");
    let ready = time_runs(runs.min(41), || stop(start_server(&server, &[], &sock)));
    let spawn = time_runs(runs.min(41), spawn_true);
    records.push(Record {
        name: "server start to serving",
        unit: "us",
        ours: us(ready),
        baseline_name: "host: spawn and wait for true(1)",
        baseline: us(spawn),
    });

    // Remote getpid against a bare ping-pong of the same sizes.
    let sock = dir.join("rt.sock");
    let child = start_server(&server, &["-lrumpvfs"], &sock);
    let idle = rss_kib(child.id());
    let c = rumpclient::Client::connect(&format!("unix://{}", sock.display())).expect("connect");
    let remote_getpid = per_call(runs.min(101), 200, || {
        c.getpid().expect("getpid");
    });
    // A 64 KiB file in the server's rumpfs, read back whole again and again.
    let m = rumpclient::Regions::new();
    let fd = c
        .syscall(
            SYS_open,
            &[m.add(b"/bench\0"), arg(O_CREAT | O_RDWR), 0o644],
            &m,
        )
        .expect("open")[0] as u64;
    c.syscall(SYS_write, &[fd, m.add(&[7u8; 65536]), 65536], &m)
        .expect("write");
    let buf = m.add_zeroed(65536);
    let remote_read = per_call(runs.min(101), 50, || {
        assert_eq!(
            c.syscall(SYS_pread, &[fd, buf, 65536, 0, 0], &m)
                .expect("pread")[0],
            65536
        );
    });
    // One write of 256 MiB to /dev/null: the call moves it in pieces.
    let bulk = m.add(&vec![7u8; BULK]);
    let null = c
        .syscall(SYS_open, &[m.add(b"/dev/null\0"), arg(O_WRONLY)], &m)
        .expect("open /dev/null")[0] as u64;
    let remote_bulk = time_runs(runs.min(5), || {
        let n = c
            .syscall(SYS_write, &[null, bulk, BULK as u64], &m)
            .expect("write");
        assert_eq!(n[0], BULK as i64);
    });
    drop(c);
    stop(child);
    let bare = bare_bulk(&dir, runs.min(5), BULK);
    records.push(Record::ms(
        "remote 256 MiB write, one call",
        remote_bulk,
        "host: 256 MiB over a unix socket (goal <= 2)",
        bare,
    ));
    // A trivial Rust process's memory, for the RSS baseline.
    let mut idle_peer = Command::new(&exe)
        .args(["--sleep"])
        .spawn()
        .expect("idle peer");
    std::thread::sleep(Duration::from_millis(100));
    let peer_rss = rss_kib(idle_peer.id());
    let _ = idle_peer.kill();
    let _ = idle_peer.wait();
    // Each against the two ends of a bare ping-pong left to the scheduler
    // and pinned to different CPUs (on this kind of host a wake-up across
    // CPUs costs tens of microseconds, so the two differ).
    for (pin, small, big) in [
        (
            false,
            "host: unix socket ping-pong 24/48 bytes",
            "host: unix socket ping-pong 48/65624 bytes",
        ),
        (
            true,
            "host: pinned unix ping-pong 24/48 bytes (goal <= 1.2)",
            "host: pinned unix ping-pong 48/65624 bytes",
        ),
    ] {
        let pingpong_small = pingpong(&dir, (runs.min(101), 200), GETPID_REQ, GETPID_RESP, pin);
        records.push(Record {
            name: "remote getpid",
            unit: "us",
            ours: remote_getpid * 1e6,
            baseline_name: small,
            baseline: pingpong_small * 1e6,
        });
        // On the wire: a 48-byte request, then a COPYOUT of 64 KiB (40
        // bytes of header and copydata) and a 48-byte reply.
        let pingpong_64k = pingpong(&dir, (runs.min(101), 50), 48, 40 + 65536 + 48, pin);
        records.push(Record {
            name: "remote 64 KiB read",
            unit: "us",
            ours: remote_read * 1e6,
            baseline_name: big,
            baseline: pingpong_64k * 1e6,
        });
    }
    records.push(Record {
        name: "server idle RSS (vfs)",
        unit: "KiB",
        ours: idle,
        baseline_name: "host: a trivial Rust process",
        baseline: peer_rss,
    });
    peer::peer(records, &server);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A NetBSD `int` constant as a system-call argument.
fn arg(v: i32) -> u64 {
    v as u32 as u64
}

/// Mount tmpfs on the root of the server at `url` (the hijack benchmarks
/// work in the server's tmpfs).
fn mount_tmpfs_root(url: &str) -> rumpclient::Client {
    let c = rumpclient::Client::connect(url).expect("connect");
    let m = rumpclient::Regions::new();
    use netbsd_abi::layout::tmpfs_args as ta;
    let mut args = [0u8; ta::SIZE];
    ta::ta_version.put(&mut args, netbsd_abi::TMPFS_ARGS_VERSION as u64);
    ta::ta_root_mode.put(&mut args, 0o755);
    c.syscall(
        netbsd_abi::SYS___mount50,
        &[
            m.add(b"tmpfs\0"),
            m.add(b"/\0"),
            0,
            m.add(&args),
            ta::SIZE as u64,
        ],
        &m,
    )
    .expect("mount tmpfs");
    c
}

/// Median time of running `args` (under the hijack when `hijack` names the
/// library and the server), output thrown away.
fn time_command(runs: usize, args: &[&str], hijack: Option<(&Path, &str)>) -> Duration {
    time_runs(runs, || {
        let mut c = Command::new(args[0]);
        c.args(&args[1..]).stdout(Stdio::null());
        if let Some((lib, url)) = hijack {
            c.env("LD_PRELOAD", lib).env("RUMP_SERVER", url);
        }
        let st = c.status().expect("run command");
        assert!(st.success(), "{args:?} failed");
    })
}

/// Unmodified programs under `librumphijack.so` against a server's tmpfs,
/// next to the same programs on the host's tmpfs.
fn hijack(records: &mut Vec<Record>, runs: usize) {
    let exe = std::env::current_exe().expect("exe");
    let server = exe.with_file_name("rump_server");
    let lib = exe.with_file_name("librumphijack.so");
    if !server.exists() || !lib.exists() {
        eprintln!(
            "rumpbench: rump_server or librumphijack.so not built: skipping the hijack benchmarks"
        );
        return;
    }
    let dir = scratch();
    let sock = dir.join("hj.sock");
    let child = start_server(&server, &["-lrumpvfs", "-lrumpfs_tmpfs"], &sock);
    let url = format!("unix://{}", sock.display());
    let c = mount_tmpfs_root(&url);
    let shm = Path::new("/dev/shm").join(format!("rumpbench-{}", std::process::id()));
    std::fs::create_dir_all(&shm).expect("host tmpfs directory");

    // cp of a 256 MiB file from the host into each tmpfs.
    let src = shm.join("src");
    std::fs::write(&src, vec![0x5au8; 256 << 20]).expect("256 MiB source");
    let src = src.to_string_lossy().into_owned();
    let host_dst = shm.join("copy").to_string_lossy().into_owned();
    let n = runs.clamp(1, 5);
    let host_cp = time_command(n, &["cp", &src, &host_dst], None);
    let ours_cp = time_command(n, &["cp", &src, "/rump/copy"], Some((&lib, &url)));
    let _ = std::fs::remove_file(&host_dst);
    let _ = std::fs::remove_file(&src);
    records.push(Record::ms(
        "hijack cp 256 MiB",
        ours_cp,
        "host: the same cp within /dev/shm",
        host_cp,
    ));

    // ls -l of a directory of 10,000 files, made through the client.
    let m = rumpclient::Regions::new();
    c.syscall(SYS_mkdir, &[m.add(b"/many\0"), 0o755], &m)
        .expect("mkdir");
    let host_many = shm.join("many");
    std::fs::create_dir_all(&host_many).expect("host directory");
    for i in 0..10_000 {
        let name = format!("/many/file{i}\0");
        let fd = c
            .syscall(
                SYS_open,
                &[m.add(name.as_bytes()), arg(O_CREAT | O_WRONLY), 0o644],
                &m,
            )
            .expect("create")[0];
        c.syscall(SYS_close, &[fd as u64], &m).expect("close");
        std::fs::write(host_many.join(format!("file{i}")), b"").expect("host file");
    }
    let host_many = host_many.to_string_lossy().into_owned();
    let host_ls = time_command(n, &["ls", "-l", &host_many], None);
    let ours_ls = time_command(n, &["ls", "-l", "/rump/many"], Some((&lib, &url)));
    records.push(Record::ms(
        "hijack ls -l 10k entries",
        ours_ls,
        "host: the same ls -l in /dev/shm",
        host_ls,
    ));
    drop(c);
    stop(child);
    let _ = std::fs::remove_dir_all(&shm);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The table: our time, the baseline's, and ours over theirs.
fn print_records(records: &[Record]) {
    println!(
        "{:<26} {:>12} {:>12} {:>8}  baseline",
        "benchmark", "ours", "baseline", "ratio"
    );
    for r in records {
        println!(
            "{:<26} {:>9.2} {:<3} {:>8.2} {:<3} {:>7.3}  {}",
            r.name,
            r.ours,
            r.unit,
            r.baseline,
            r.unit,
            r.ours / r.baseline,
            r.baseline_name
        );
    }
}

fn main() -> ExitCode {
    let mut runs = 501;
    let mut json = None;
    let mut only: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--json" => json = args.next(),
            "--only" => only = args.next(),
            "--runs" => runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(runs),
            "--echo" => {
                let path = args.next().unwrap_or_default();
                let req = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(GETPID_REQ);
                let resp = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(GETPID_RESP);
                return echo(&path, req, resp);
            }
            "--host-tcp" => return net::host_tcp(),
            "--ping" => {
                let v: Vec<String> = args.by_ref().take(5).collect();
                let num = |i: usize| v.get(i).and_then(|n| n.parse().ok()).unwrap_or(1);
                return ping(&v[0], num(1), num(2) as u32, num(3), num(4));
            }
            "--sink" => {
                let path = args.next().unwrap_or_default();
                let len = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
                return sink(&path, len);
            }
            "--sleep" => {
                std::thread::sleep(Duration::from_secs(30));
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!(
                    "usage: rumpbench [--runs N] [--json FILE] [--only vfs|ffs|remote|hijack|net]"
                );
                return ExitCode::FAILURE;
            }
        }
    }
    if let Some(group) = only {
        let mut records = Vec::new();
        match group.as_str() {
            "vfs" => vfs(&mut records),
            "ffs" => ffs(&mut records),
            "remote" => remote(&mut records, runs),
            "hijack" => hijack(&mut records, runs),
            "net" => net::net(&mut records),
            "dev" => dev::dev(&mut records),
            _ => {
                eprintln!("rumpbench: --only vfs, ffs, remote, hijack or net");
                return ExitCode::FAILURE;
            }
        }
        print_records(&records);
        return ExitCode::SUCCESS;
    }
    let host_spawn = us(time_runs(runs.min(201), spawn_true));
    let mut records = vec![
        Record {
            name: "boot, no components",
            unit: "us",
            ours: us(time_runs(runs, || boot(&[]))),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
        Record {
            name: "boot, every component",
            unit: "us",
            ours: us(time_runs(runs, || boot(ALL))),
            baseline_name: "host: spawn and wait for true(1)",
            baseline: host_spawn,
        },
    ];
    let k = rump::KernelBuilder::new()
        .config(rump::BootConfig::default())
        .boot()
        .expect("boot");
    let local = per_call(runs.min(101), 10_000, || {
        std::hint::black_box(k.sys_getpid().expect("getpid"));
    });
    let host = per_call(runs.min(101), 10_000, || {
        std::hint::black_box(std::process::id());
    });
    records.push(Record {
        name: "local getpid",
        unit: "us",
        ours: local * 1e6,
        baseline_name: "host: getpid(2)",
        baseline: host * 1e6,
    });
    let lim = rump::resource::Rlimit {
        cur: 64,
        max: rump::resource::RLIM_INFINITY,
    };
    let local_set = per_call(runs.min(101), 10_000, || {
        k.sys_setrlimit(netbsd_abi::RLIMIT_NOFILE, lim)
            .expect("setrlimit");
    });
    records.push(Record {
        name: "local setrlimit",
        unit: "us",
        ours: local_set * 1e6,
        baseline_name: "host: getpid(2)",
        baseline: host * 1e6,
    });
    vfs(&mut records);
    ffs(&mut records);
    remote(&mut records, runs);
    hijack(&mut records, runs);
    net::net(&mut records);
    dev::dev(&mut records);

    print_records(&records);
    if let Some(path) = json {
        let rows: Vec<String> = records
            .iter()
            .map(|r| {
                format!(
                    "  {{\"name\": \"{}\", \"unit\": \"{}\", \"ours\": {:.3}, \"baseline\": \"{}\", \"baseline_value\": {:.3}, \"ratio\": {:.6}}}",
                    r.name,
                    r.unit,
                    r.ours,
                    r.baseline_name,
                    r.baseline,
                    r.ours / r.baseline
                )
            })
            .collect();
        if let Err(e) = std::fs::write(&path, format!("[\n{}\n]\n", rows.join(",\n"))) {
            eprintln!("rumpbench: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
