//! The NFS group: our NFS client against libnfs's `nfs-cp` on the same
//! nfs-ganesha export in the same run (the server started as the NFS
//! tests start it, in a network namespace of its own): reading and
//! writing 256 MiB, and 1,000 file creations against `nfs-cp`'s copies of
//! an empty file one by one. Skipped, with one line, where ganesha or
//! `nfs-cp` is missing.
//!
//! The measuring runs inside the namespace (`rumpbench --nfs-inside
//! EXPORT`, printing its nanoseconds), where the kernel's sockin reaches
//! the server on the namespace's loopback.
//!
//! Where reading falls short (measured on a loaded two-core machine): the
//! server is not the limit (with ganesha's MaxRead at 64 KiB, nfs-cp reads
//! as fast as with its 1 MiB), nor the window (readahead 2 or 8, rsize 32
//! or 64 KiB, alike); our client spends most of a read waiting in recv,
//! about one wait per three READs of 32 KiB at about 200 us each, where
//! the server answers a READ in about 35 us. Such a wait is now woken by
//! the host kernel directly, as nfs-cp's blocking receive is (sockin's
//! blocking calls poll their own host socket instead of being woken by
//! the poller thread), which halves the context switches of a wait but
//! left the read's ratio within this machine's noise.
//!
//! Measured next (64 MiB runs of our side alone, `RUMPBENCH_NFS_ONLY=ours`
//! under `RUMPBENCH_NFS_WRAP`, so that load does not blur them): writing
//! committed every write(2) of 1 MiB, and each COMMIT is an fsync(2) of
//! the server's file (192 fsyncs for three 64 MiB copies, where nfs-cp's
//! three cost 3): writes now wait for one COMMIT at close, fsync, sync or
//! unmount, or after 32 MiB, as NetBSD's write-behind does (6 fsyncs).
//! Four copies per byte read (a zero-filled record, a Vec of the results,
//! the READ's data, the caller's buffer) and three per byte written (the
//! arguments, the call, the record) became one or two and two, with the
//! call's and the reply's buffers reused, and the kept writes share one
//! buffer: callgrind counts 237 M instructions for three 16 MiB writes,
//! reads and the creations, where it counted 506 M (memset from 51 M to
//! none, memcpy from 355 M to 168 M); page faults fell from 118,858 to
//! 25,155 and our CPU time from 929 ms to 513 ms.
//!
//! What was left was the server's work per request (`perf stat -p` of
//! ganesha over `RUMPBENCH_NFS_PHASES=read`, three 256 MiB reads): 1,096 ms
//! and 76,211 context switches for our 24,576 READs of 32 KiB, 603 ms and
//! 43,872 for 12,288 of 64 KiB, 234 ms and 2,659 for nfs-cp's 768 of
//! 1 MiB; on two shared cores that time is ours to wait. So the mount here
//! asks nfs-cp's 1 MiB (`mount_nfs -r 1048576 -w 1048576`, which this
//! client takes over TCP where NetBSD stops at 64 KiB). With that, what
//! remained was the wire standing idle between calls: a read(2) waited
//! for its READ, then the bench wrote the MiB to its local file (most of
//! a read's CPU time, in the host kernel) while the server had nothing to
//! do, and each write(2) waited for its WRITE. Now READs go ahead of a
//! sequential reader (with two 1 MiB READs ahead, 47 waits for the server
//! in three 256 MiB reads, `strace -c`, where each READ had been one; one
//! READ ahead is faster still, see `rumpfs_nfs::readahead`) and sequential
//! writes are gathered and sent four at a time (131 waits where there
//! were 469).

#[path = "../../rumpfs_nfs/tests/ganesha/mod.rs"]
mod ganesha;
#[path = "../../rumpfs_nfs/tests/mounting/mod.rs"]
mod mounting;

use crate::{Record, median};
use rumpvfs::VfsCalls;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

/// The size of the file read and written (`RUMPBENCH_NFS_MIB` MiB when
/// set, for a smaller run under callgrind or strace).
fn big() -> usize {
    std::env::var("RUMPBENCH_NFS_MIB")
        .ok()
        .and_then(|m| m.parse::<usize>().ok())
        .unwrap_or(256)
        << 20
}

/// Which side `--nfs-inside` measures: `RUMPBENCH_NFS_ONLY=ours` or
/// `nfs-cp` leaves the other out (its times printed as 0), so that
/// `RUMPBENCH_NFS_WRAP` (a command put before the run inside the
/// namespace, e.g. `strace -f -c`) counts one client alone.
fn measures(side: &str) -> bool {
    std::env::var("RUMPBENCH_NFS_ONLY").map_or(true, |o| o == side)
}

/// Whether to run `phase` (write, read or create): all of them unless
/// `RUMPBENCH_NFS_PHASES` lists some (comma-separated); one left out is
/// printed as 0.
fn runs(phase: &str) -> bool {
    std::env::var("RUMPBENCH_NFS_PHASES").map_or(true, |p| p.split(',').any(|x| x == phase))
}

/// `f`'s time when `phase` runs, else 0.
fn timed_phase(phase: &str, f: impl FnOnce() -> Duration) -> Duration {
    if runs(phase) { f() } else { Duration::ZERO }
}
/// The size of each read(2) and write(2) of ours.
const IO_SIZE: usize = 1 << 20;
/// How many files the creation benchmark makes.
const CREATES: usize = 1000;
/// Runs of the read and write benchmarks (the median is kept).
const RUNS: usize = 3;
/// The local file `nfs-cp` writes from, beside the export.
const LOCAL_SOURCE: &str = "source-256m";
/// The empty local file `nfs-cp` copies for the creations.
const LOCAL_EMPTY: &str = "empty";

/// The group: start the server, measure inside its namespace, and record
/// the six times as three comparisons.
pub(crate) fn nfs(records: &mut Vec<Record>) {
    if !Path::new("/usr/bin/nfs-cp").exists() {
        eprintln!("nfs: skipped: no nfs-cp (apt-get install libnfs-utils)");
        return;
    }
    let base = std::env::temp_dir().join(format!("rumpbench-nfs-{}", std::process::id()));
    let Some(g) = ganesha::Ganesha::start(&base, "bench") else {
        let _ = std::fs::remove_dir_all(&base);
        return;
    };
    let export = g.export().to_path_buf();
    let data: Vec<u8> = (0..big()).map(|i| (i * 7 + i / 4093) as u8).collect();
    std::fs::write(export.join("src"), &data).expect("the file to read");
    let dir = export.parent().unwrap();
    std::fs::write(dir.join(LOCAL_SOURCE), &data).expect("nfs-cp's source");
    std::fs::write(dir.join(LOCAL_EMPTY), b"").expect("nfs-cp's empty file");
    drop(data);
    let me = std::env::current_exe().expect("own path");
    let wrap = std::env::var("RUMPBENCH_NFS_WRAP").unwrap_or_default();
    let mut words = wrap.split_whitespace();
    let mut cmd = match words.next() {
        Some(w) => {
            let mut c = g.command(w);
            c.args(words).arg(me);
            c
        }
        None => g.command(me),
    };
    let out = cmd
        .arg("--nfs-inside")
        .arg(&export)
        .stderr(Stdio::inherit())
        .output()
        .expect("run inside the namespace");
    drop(g);
    let _ = std::fs::remove_dir_all(&base);
    let text = String::from_utf8_lossy(&out.stdout);
    let t: Vec<Duration> = text
        .split_whitespace()
        .filter_map(|n| n.parse().ok())
        .map(Duration::from_nanos)
        .collect();
    if !out.status.success() || t.len() != 6 {
        eprintln!("nfs: the run inside the namespace failed: {text}");
        return;
    }
    records.push(Record::ms(
        "nfs write 256 MiB",
        t[0],
        "nfs-cp from a local file to the server",
        t[3],
    ));
    records.push(Record::ms(
        "nfs read 256 MiB",
        t[1],
        "nfs-cp from the server to a local file",
        t[4],
    ));
    records.push(Record::ms(
        "nfs create 1000 files",
        t[2],
        "nfs-cp of an empty file, 1000 times",
        t[5],
    ));
}

/// `nfs-cp src dst`, which must succeed.
fn nfs_cp(src: &str, dst: &str) {
    let st = Command::new("nfs-cp")
        .args([src, dst])
        .stdout(Stdio::null())
        .status()
        .expect("nfs-cp");
    assert!(st.success(), "nfs-cp {src} {dst}");
}

/// Time `f`, after `prepare` (not timed).
fn timed(mut prepare: impl FnMut(usize), mut f: impl FnMut(usize)) -> Duration {
    median(
        (0..RUNS)
            .map(|i| {
                prepare(i);
                let t = Instant::now();
                f(i);
                t.elapsed()
            })
            .collect(),
    )
}

/// `rumpbench --nfs-inside EXPORT`: the measurements, inside the
/// server's namespace, printed as six numbers of nanoseconds: ours
/// (write, read, create), then nfs-cp's.
pub fn inside(export: &str) -> ExitCode {
    let export = Path::new(export);
    let dir = export.parent().unwrap();
    let skipped = [Duration::ZERO; 3];
    let ours = if measures("ours") {
        ours(export, dir)
    } else {
        skipped
    };
    let theirs = if measures("nfs-cp") {
        theirs(export, dir)
    } else {
        skipped
    };
    for d in ours.iter().chain(&theirs) {
        print!("{} ", d.as_nanos());
    }
    println!();
    ExitCode::SUCCESS
}

/// Our side: write, read and create through an in-process kernel's NFS
/// client.
fn ours(export: &Path, dir: &Path) -> [Duration; 3] {
    let k = mounting::boot();
    let fh = ganesha::root_handle(export);
    k.sys_mkdir("/mnt", 0o755).unwrap();
    // READs and WRITEs of 1 MiB, as nfs-cp's (mount_nfs -r 1048576 -w
    // 1048576; the default is NFS_RSIZE's 32 KiB): the server's work goes
    // by the request.
    let flags = netbsd_abi::NFSMNT_NFSV3 | netbsd_abi::NFSMNT_RSIZE | netbsd_abi::NFSMNT_WSIZE;
    let tcp = netbsd_abi::SOCK_STREAM;
    let host = "127.0.0.1:/export";
    mounting::mount_nfs_sized(&k, "/mnt", &fh, host, 2049, flags, tcp, 1 << 20).expect("mount");

    // Both clients copy between a local file and the server, as nfs-cp
    // does: the same local reads and writes on each side.
    let source = dir.join(LOCAL_SOURCE);
    let copy = dir.join("copy");
    let mut buf = vec![0u8; IO_SIZE];
    let ours_write = timed_phase("write", || {
        timed(
            |_| {},
            |i| {
                let mut from = std::fs::File::open(&source).unwrap();
                let p = format!("/mnt/w{i}");
                let fd = k
                    .sys_open(&p, netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT, 0o644)
                    .unwrap();
                loop {
                    let n = from.read(&mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    assert_eq!(k.sys_write(fd, &buf[..n]).unwrap(), n);
                }
                k.sys_close(fd).unwrap();
            },
        )
    });
    let ours_read = timed_phase("read", || {
        timed(
            |_| {
                let _ = std::fs::remove_file(&copy);
            },
            |_| {
                let mut to = std::fs::File::create(&copy).unwrap();
                let fd = k.sys_open("/mnt/src", netbsd_abi::O_RDONLY, 0).unwrap();
                let mut total = 0;
                loop {
                    let n = k.sys_read(fd, &mut buf).unwrap();
                    if n == 0 {
                        break;
                    }
                    to.write_all(&buf[..n]).unwrap();
                    total += n;
                }
                k.sys_close(fd).unwrap();
                assert_eq!(total, big());
            },
        )
    });
    let ours_create = timed_phase("create", || {
        k.sys_mkdir("/mnt/ours", 0o755).unwrap();
        let t = Instant::now();
        for i in 0..CREATES {
            let fd = k
                .sys_open(
                    &format!("/mnt/ours/f{i}"),
                    netbsd_abi::O_WRONLY | netbsd_abi::O_CREAT | netbsd_abi::O_EXCL,
                    0o644,
                )
                .unwrap();
            k.sys_close(fd).unwrap();
        }
        t.elapsed()
    });
    k.sys_unmount("/mnt", 0).unwrap();

    [ours_write, ours_read, ours_create]
}

/// nfs-cp's side: the same copies and creations.
fn theirs(export: &Path, dir: &Path) -> [Duration; 3] {
    let url = |rel: &str| format!("nfs://127.0.0.1{}/{rel}", export.display());
    let source = dir.join(LOCAL_SOURCE);
    let copy = dir.join("copy");
    let cp_write = timed_phase("write", || {
        timed(
            |i| {
                let _ = std::fs::remove_file(export.join(format!("c{i}")));
            },
            |i| nfs_cp(source.to_str().unwrap(), &url(&format!("c{i}"))),
        )
    });
    let cp_read = timed_phase("read", || {
        timed(
            |_| {
                let _ = std::fs::remove_file(&copy);
            },
            |_| nfs_cp(&url("src"), copy.to_str().unwrap()),
        )
    });
    let cp_create = timed_phase("create", || {
        std::fs::create_dir(export.join("theirs")).unwrap();
        let empty = dir.join(LOCAL_EMPTY);
        let t = Instant::now();
        for i in 0..CREATES {
            nfs_cp(empty.to_str().unwrap(), &url(&format!("theirs/f{i}")));
        }
        t.elapsed()
    });
    [cp_write, cp_read, cp_create]
}
