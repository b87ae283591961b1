//! `cargo xtask stress`: load and soak of the remote path (issue #17).
//!
//! A release `rump_allserver` is started and measured idle (its kernel's
//! processes from `kern.proc2`, and from `/proc` its descriptors, threads
//! and resident memory). Then many clients hold connections at once, and
//! many more come and go in waves, a share of them hanging up mid-request
//! or mid-call or leaving descriptors open for process teardown to close.
//! After each phase the server must come back to its idle values, within
//! the slack stated at [`RSS_SLACK_KIB`]; a table of every measurement is
//! printed and the task fails if one did not return.

use anyhow::{Context, Result, bail};
use rumpclient::{Client, Regions};
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};
use sysproxy::{Class, HEADER_LEN, Handshake, Header, Type, payload};

/// The size of a `struct kinfo_proc2` record (`sys/sysctl.h`, amd64): not
/// in netbsd_abi's layouts.
const KINFO_PROC2_LEN: usize = 680;

/// How far resident memory may stay above idle, in KiB. Idle is measured
/// after a warm-up round of the same load (clients held at once, then
/// short-lived ones): the allocator keeps freed memory for reuse (glibc's
/// per-thread arenas are not given back while a chunk above stays in use)
/// and the kernel's tables keep the room they grew to, so the first round
/// sets the level a server under this load sits at. What leaks grows with
/// every further client instead: 4 MiB over 100,000 short-lived clients is
/// 42 bytes each, less than any record of a process or descriptor.
const RSS_SLACK_KIB: u64 = 4 * 1024;

/// How long the server may take to tear down closed connections' processes.
const SETTLE: Duration = Duration::from_secs(60);

/// Short-lived clients come in waves of this many, measured after each.
const WAVE: usize = 10_000;

/// Short-lived clients run by this many threads at once.
const WORKERS: usize = 32;

/// What the task was asked to do.
pub struct Options {
    /// Clients holding connections at once.
    pub clients: usize,
    /// Short-lived clients in all.
    pub short_lived: usize,
    /// The server binary; `None`: build and use the release one.
    pub server: Option<PathBuf>,
}

impl Options {
    /// Parse `[--clients N] [--short-lived M] [--server PATH]`.
    pub fn parse(args: &[String]) -> Result<Options> {
        let mut o = Options {
            clients: 1000,
            short_lived: 100_000,
            server: None,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = || it.next().with_context(|| format!("{a} needs a value"));
            match a.as_str() {
                "--clients" => o.clients = value()?.parse().context("--clients")?,
                "--short-lived" => o.short_lived = value()?.parse().context("--short-lived")?,
                "--server" => o.server = Some(PathBuf::from(value()?)),
                _ => bail!(
                    "usage: cargo xtask stress [--clients N] [--short-lived M] [--server PATH]"
                ),
            }
        }
        Ok(o)
    }
}

/// One measurement of the server.
#[derive(Clone, Copy, Debug)]
struct Sample {
    procs: usize,
    fds: usize,
    threads: usize,
    rss_kib: u64,
}

fn sample(pid: u32, monitor: &Client) -> Result<Sample> {
    let all = monitor
        .sysctl_read(&[
            netbsd_abi::CTL_KERN,
            netbsd_abi::KERN_PROC2,
            netbsd_abi::KERN_PROC_ALL,
            0,
            KINFO_PROC2_LEN as i32,
            i32::MAX / KINFO_PROC2_LEN as i32,
        ])
        .map_err(|e| anyhow::anyhow!("kern.proc2: {e:?}"))?;
    let count = |dir: &str| -> Result<usize> {
        Ok(std::fs::read_dir(format!("/proc/{pid}/{dir}"))
            .with_context(|| format!("/proc/{pid}/{dir}"))?
            .count())
    };
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS")?;
    Ok(Sample {
        procs: all.len() / KINFO_PROC2_LEN,
        fds: count("fd")?,
        threads: count("task")?,
        rss_kib,
    })
}

/// The server, killed however the task ends.
struct Server {
    child: Child,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cstr(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

fn call(c: &Client, nr: usize, args: &[u64], m: &Regions) -> Result<i64> {
    c.syscall(nr, args, m)
        .map(|r| r[0])
        .map_err(|e| anyhow::anyhow!("system call {nr}: {e:?}"))
}

/// The few calls every client makes: getpid, a file in tmpfs created,
/// written and (with `tidy`) closed and removed, a socket (with `tidy`
/// closed; otherwise process teardown must close both).
fn a_few_calls(c: &Client, n: usize, tidy: bool) -> Result<()> {
    let m = Regions::new();
    call(c, netbsd_abi::SYS_getpid, &[], &m)?;
    let path = m.add(&cstr(&format!("/stress-{n}")));
    let fd = call(
        c,
        netbsd_abi::SYS_open,
        &[
            path,
            (netbsd_abi::O_CREAT | netbsd_abi::O_WRONLY) as u64,
            0o644,
        ],
        &m,
    )?;
    let text = format!("client {n}\n");
    let buf = m.add(text.as_bytes());
    let wrote = call(
        c,
        netbsd_abi::SYS_write,
        &[fd as u64, buf, text.len() as u64],
        &m,
    )?;
    if wrote != text.len() as i64 {
        bail!("write wrote {wrote} of {} bytes", text.len());
    }
    let s = call(
        c,
        netbsd_abi::SYS___socket30,
        &[
            netbsd_abi::AF_INET as u64,
            netbsd_abi::SOCK_STREAM as u64,
            0,
        ],
        &m,
    )?;
    // The file goes either way: tmpfs must not fill over 100,000 clients.
    call(c, netbsd_abi::SYS_unlink, &[path], &m)?;
    if tidy {
        call(c, netbsd_abi::SYS_close, &[fd as u64], &m)?;
        call(c, netbsd_abi::SYS_close, &[s as u64], &m)?;
    }
    Ok(())
}

fn frame(reqno: u64, typ: Type, union: u32, body: &[u8]) -> Vec<u8> {
    let mut f = Header::new(reqno, Class::Req, typ, union, body.len())
        .emit()
        .to_vec();
    f.extend_from_slice(body);
    f
}

/// A raw client that says hello as a guest, then starts a `write` and
/// hangs up: with `mid_call`, once the server asks for the call's bytes
/// (the call is running in the kernel); otherwise halfway through
/// sending the request's frame.
fn hang_up(sock: &Path, n: usize, mid_call: bool) -> Result<()> {
    let mut s = UnixStream::connect(sock)?;
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut banner = [0u8; payload::MAX_BANNER];
    let got = s.read(&mut banner)?;
    if got == 0 || banner[got - 1] != b'\n' {
        bail!("no banner");
    }
    let hello = payload::emit_name(&format!("stress-{n}"));
    s.write_all(&frame(1, Type::Handshake, Handshake::Guest as u32, &hello))?;
    let mut header = [0u8; HEADER_LEN];
    s.read_exact(&mut header)?;
    let h = Header::parse(&header).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut rest = vec![0u8; h.payload_len()];
    s.read_exact(&mut rest)?;
    if h.class != Class::Resp {
        bail!("handshake refused: {h:?}");
    }
    // open(2) asks the client for its path first: the call is then
    // running in the kernel, waiting for this client.
    let path_at = 1u64 << 32;
    let args = payload::emit_args(&[path_at, netbsd_abi::O_RDONLY as u64, 0]);
    let call = frame(2, Type::Syscall, netbsd_abi::SYS_open as u32, &args);
    if mid_call {
        s.write_all(&call)?;
        // The server's request for the path.
        s.read_exact(&mut header)?;
    } else {
        s.write_all(&call[..call.len() / 2])?;
    }
    Ok(())
}

/// Short-lived client number `n`: most are tidy, one in ten leaves its
/// descriptors to process teardown, one in ten hangs up halfway through a
/// request and one in ten while its call runs in the kernel.
fn short_lived(url: &str, sock: &Path, n: usize) -> Result<()> {
    match n % 10 {
        7 => hang_up(sock, n, false),
        8 => hang_up(sock, n, true),
        k => {
            let c = Client::connect(url).map_err(|e| anyhow::anyhow!("connect: {e}"))?;
            a_few_calls(&c, n, k != 9)
        }
    }
}

/// Wait until the server is back to `idle`, and return the last sample.
fn settle(pid: u32, monitor: &Client, idle: &Sample) -> Result<Sample> {
    let t = Instant::now();
    loop {
        let s = sample(pid, monitor)?;
        let back = s.procs <= idle.procs
            && s.fds <= idle.fds
            && s.threads <= idle.threads
            && s.rss_kib <= idle.rss_kib + RSS_SLACK_KIB;
        if back || t.elapsed() > SETTLE {
            return Ok(s);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Wait until the server's processes, descriptors and threads are back to
/// `booted`'s (its memory is what warming up sets), and return the sample.
fn settle_counts(pid: u32, monitor: &Client, booted: &Sample) -> Result<Sample> {
    let t = Instant::now();
    loop {
        let s = sample(pid, monitor)?;
        if s.procs <= booted.procs && s.fds <= booted.fds || t.elapsed() > SETTLE {
            return Ok(s);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Table {
    rows: Vec<(String, Sample, Duration)>,
}

impl Table {
    fn add(&mut self, what: &str, s: Sample, took: Duration) {
        println!(
            "{what:<34} {:>7} {:>6} {:>8} {:>10} {:>8.1}",
            s.procs,
            s.fds,
            s.threads,
            s.rss_kib,
            took.as_secs_f64()
        );
        self.rows.push((what.to_string(), s, took));
    }
}

fn build_server(root: &Path, mut cargo: Command) -> Result<PathBuf> {
    cargo.args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "rump_server",
        "--bin",
        "rump_allserver",
    ]);
    let st = cargo.status().context("running cargo build")?;
    if !st.success() {
        bail!("building the release rump_allserver failed: {st}");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("release/rump_allserver"))
}

/// Run the stress task; `Err` if the server did not come back to idle.
pub fn run(o: &Options, root: &Path, cargo: Command) -> Result<()> {
    let bin = match &o.server {
        Some(p) => p.clone(),
        None => build_server(root, cargo)?,
    };
    let dir = std::env::temp_dir().join(format!("rump-stress-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let sock = dir.join("s");
    let url = format!("unix://{}", sock.display());
    let child = Command::new(&bin)
        .arg("-s")
        .arg(&url)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let server = Server { child, dir };
    let pid = server.child.id();
    let t = Instant::now();
    let monitor = loop {
        match Client::connect(&url) {
            Ok(c) => break c,
            Err(_) if t.elapsed() < Duration::from_secs(30) => {
                std::thread::sleep(Duration::from_millis(50))
            }
            Err(e) => bail!("the server did not answer: {e}"),
        }
    };
    let m = Regions::new();
    let ta = tmpfs_args();
    call(
        &monitor,
        netbsd_abi::SYS___mount50,
        &[
            m.add(&cstr("tmpfs")),
            m.add(&cstr("/")),
            0,
            m.add(&ta),
            ta.len() as u64,
        ],
        &m,
    )?;
    println!(
        "{:<34} {:>7} {:>6} {:>8} {:>10} {:>8}",
        "phase", "procs", "fds", "threads", "rss KiB", "secs"
    );
    let mut table = Table { rows: Vec::new() };
    let booted = sample(pid, &monitor)?;
    table.add("booted", booted, t.elapsed());
    // Warm up with a round of the same load (see RSS_SLACK_KIB).
    let t = Instant::now();
    waves(&url, &sock, 0, o.short_lived.min(WAVE))?;
    hold(&url, o.clients, || Ok(()))?;
    let idle = settle_counts(pid, &monitor, &booted)?;
    table.add("idle (after a warm-up round)", idle, t.elapsed());

    let t = Instant::now();
    let during = hold(&url, o.clients, || sample(pid, &monitor))?;
    table.add(
        &format!("{} clients held at once", o.clients),
        during,
        t.elapsed(),
    );
    if during.procs < idle.procs + o.clients {
        bail!(
            "{} processes while {} clients held connections (idle {})",
            during.procs,
            o.clients,
            idle.procs
        );
    }
    let after = settle(pid, &monitor, &idle)?;
    table.add(&format!("{} clients gone", o.clients), after, t.elapsed());

    let wave = WAVE.min(o.short_lived.max(1));
    let mut done = 0;
    while done < o.short_lived {
        let t = Instant::now();
        let n = wave.min(o.short_lived - done);
        waves(&url, &sock, 1_000_000 + done, n)?;
        done += n;
        let s = settle(pid, &monitor, &idle)?;
        table.add(&format!("{done} short-lived clients gone"), s, t.elapsed());
    }
    println!(
        "back to idle: processes, descriptors and threads at most idle's; \
         RSS at most idle + {RSS_SLACK_KIB} KiB"
    );
    let bad: Vec<_> = table
        .rows
        .iter()
        .filter(|(what, ..)| what.ends_with("gone"))
        .filter(|(_, s, _)| {
            s.procs > idle.procs
                || s.fds > idle.fds
                || s.threads > idle.threads
                || s.rss_kib > idle.rss_kib + RSS_SLACK_KIB
        })
        .map(|(what, ..)| what.clone())
        .collect();
    if !bad.is_empty() {
        bail!(
            "the server did not return to idle after: {}",
            bad.join(", ")
        );
    }
    println!("PASS");
    Ok(())
}

/// A `struct tmpfs_args` of the current version, without a size limit,
/// the root open to all (`fs/tmpfs/tmpfs_args.h`).
fn tmpfs_args() -> Vec<u8> {
    use netbsd_abi::layout::tmpfs_args as ta;
    let mut a = vec![0u8; ta::SIZE];
    ta::ta_version.put(&mut a, netbsd_abi::TMPFS_ARGS_VERSION as u64);
    ta::ta_root_mode.put(&mut a, 0o777);
    a
}

/// `count` clients held at once: each connects and makes its calls, then
/// all wait until `measure` has run, then all hang up.
fn hold<T: Send>(url: &str, count: usize, measure: impl FnOnce() -> Result<T>) -> Result<T> {
    let ready = Arc::new(Barrier::new(count + 1));
    let release = Arc::new(Barrier::new(count + 1));
    let failed = Arc::new(AtomicUsize::new(0));
    let mut threads = Vec::with_capacity(count);
    for n in 0..count {
        let (url, ready, release, failed) = (
            url.to_string(),
            Arc::clone(&ready),
            Arc::clone(&release),
            Arc::clone(&failed),
        );
        let th = std::thread::Builder::new()
            .stack_size(256 << 10)
            .spawn(move || {
                let c = Client::connect(&url)
                    .map_err(|e| anyhow::anyhow!("connect: {e}"))
                    .and_then(|c| a_few_calls(&c, n, false).map(|()| c));
                if let Err(e) = &c
                    && failed.fetch_add(1, Ordering::Relaxed) == 0
                {
                    eprintln!("held client {n}: {e:#}");
                }
                ready.wait();
                release.wait();
                drop(c);
            })?;
        threads.push(th);
    }
    ready.wait();
    let r = measure();
    release.wait();
    for th in threads {
        let _ = th.join();
    }
    match failed.load(Ordering::Relaxed) {
        0 => r,
        f => bail!("{f} of {count} held clients failed"),
    }
}

/// Short-lived clients `first..first + count`, at most `WORKERS` at once.
fn waves(url: &str, sock: &Path, first: usize, count: usize) -> Result<()> {
    let next = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..WORKERS.min(count))
        .map(|_| {
            let (url, sock, next, failed) = (
                url.to_string(),
                sock.to_path_buf(),
                Arc::clone(&next),
                Arc::clone(&failed),
            );
            std::thread::spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    if let Err(e) = short_lived(&url, &sock, first + i)
                        && failed.fetch_add(1, Ordering::Relaxed) == 0
                    {
                        eprintln!("short-lived client {}: {e:#}", first + i);
                    }
                }
            })
        })
        .collect();
    for th in threads {
        let _ = th.join();
    }
    match failed.load(Ordering::Relaxed) {
        0 => Ok(()),
        f => bail!("{f} of {count} short-lived clients failed"),
    }
}
