//! Remote calls: our client and server against the host baselines, and NetBSD's client against NetBSD's server and ours.

use crate::*;
use netbsd_abi::{O_CREAT, O_RDWR, O_WRONLY, SYS_open, SYS_pread, SYS_write};
use std::process::Command;
use std::time::Duration;

/// The length of the single-call bulk write.
pub(crate) const BULK: usize = 256 << 20;

pub(crate) fn remote(records: &mut Vec<Record>, runs: usize) {
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
pub(crate) fn arg(v: i32) -> u64 {
    v as u32 as u64
}
