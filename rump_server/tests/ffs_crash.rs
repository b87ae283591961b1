//! A server killed with SIGKILL while clients write to an FFS: `fsck_ffs
//! -y` makes the image clean, it mounts, and every file that was fsync'd
//! before the kill is there, whole.

mod common;

use common::*;
use rumpclient::{Client, Regions};
use rumpvfs::VfsCalls;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Contents of writer `w`'s file number `i`.
fn contents(w: usize, i: usize) -> Vec<u8> {
    let len = 5000 + (i * 7919 + w * 131) % 90_000;
    (0..len).map(|k| (k * 31 + i * 7 + w) as u8).collect()
}

const O_CREAT_RDWR: u64 = (netbsd_abi::O_CREAT | netbsd_abi::O_RDWR) as u64;

/// Write `data` to `path` through client `c` in pieces; fsync when asked.
fn write_file(c: &Client, path: &str, data: &[u8], fsync: bool) -> Result<(), String> {
    let m = Regions::new();
    let fd = c
        .syscall(
            netbsd_abi::SYS_open,
            &[m.add(&cstr(path)), O_CREAT_RDWR, 0o644],
            &m,
        )
        .map_err(|e| format!("open: {e:?}"))?[0] as u64;
    for piece in data.chunks(16_384) {
        c.syscall(
            netbsd_abi::SYS_write,
            &[fd, m.add(piece), piece.len() as u64],
            &m,
        )
        .map_err(|e| format!("write: {e:?}"))?;
    }
    if fsync {
        c.syscall(netbsd_abi::SYS_fsync, &[fd], &m)
            .map_err(|e| format!("fsync: {e:?}"))?;
    }
    c.syscall(netbsd_abi::SYS_close, &[fd], &m)
        .map_err(|e| format!("close: {e:?}"))?;
    Ok(())
}

/// Make a file system of `version`, let three clients write and fsync
/// until `kill_after` files are synced, wait `delay` more (so that the kill
/// lands inside whatever the server is doing then), and kill it.
fn crash_once(version: &str, kill_after: usize, delay: Duration) {
    let dir = tempdir("ffscrash");
    let img = dir.join("ffs.img");
    newfs(&img, &["-O", version, "-s", "64m"]);
    let url = format!("unix://{}", dir.join("s").display());
    let spec = format!("key=/dev/ffs,hostpath={},size=host", img.display());
    let (mut server, c) = serve("rump_allserver", &["-d", &spec], &url);
    let m = Regions::new();
    c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m)
        .unwrap();
    // mount("ffs", "/mnt", 0, &ufs_args{fspec}, sizeof)
    use netbsd_abi::layout::ufs_args;
    let mut ua = [0u8; ufs_args::SIZE];
    ufs_args::fspec.put(&mut ua, m.add(&cstr("/dev/ffs")));
    let args = m.add(&ua);
    c.syscall(
        netbsd_abi::SYS___mount50,
        &[
            m.add(&cstr("ffs")),
            m.add(&cstr("/mnt")),
            0,
            args,
            ufs_args::SIZE as u64,
        ],
        &m,
    )
    .unwrap();
    let durable: Arc<Mutex<Vec<(usize, usize)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|w| {
            let (url, durable, stop) = (url.clone(), Arc::clone(&durable), Arc::clone(&stop));
            std::thread::spawn(move || {
                let Ok(c) = Client::connect(&url) else {
                    return;
                };
                for i in 0.. {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    if write_file(&c, &format!("/mnt/w{w}-{i}"), &contents(w, i), true).is_err() {
                        return;
                    }
                    durable.lock().unwrap().push((w, i));
                    // More that is never synced: lost or not, it must not
                    // take the synced files with it.
                    let scratch = format!("/mnt/w{w}-{i}.tmp");
                    if write_file(&c, &scratch, &contents(w, i + 1000), false).is_err() {
                        return;
                    }
                    if i % 3 == 0 {
                        let m = Regions::new();
                        let _ = c.syscall(netbsd_abi::SYS_unlink, &[m.add(&cstr(&scratch))], &m);
                    }
                }
            })
        })
        .collect();
    let t0 = Instant::now();
    while durable.lock().unwrap().len() < kill_after {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "writers made no progress"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    std::thread::sleep(delay);
    server.kill().unwrap();
    server.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.join().unwrap();
    }
    let synced = durable.lock().unwrap().clone();
    // Repair, then a check that must find nothing.
    let fix = Command::new(bin("fsck_ffs"))
        .arg("-y")
        .arg(&img)
        .output()
        .unwrap();
    assert!(
        fix.status.success(),
        "fsck_ffs -y failed:\n{}{}",
        stdout(&fix),
        stderr(&fix)
    );
    let check = Command::new(bin("fsck_ffs"))
        .arg("-n")
        .arg(&img)
        .output()
        .unwrap();
    assert!(
        check.status.success() && !stdout(&check).contains('?'),
        "not clean after fsck_ffs -y:\n{}",
        stdout(&check)
    );
    // Mount it in a kernel of our own and read back every synced file.
    let k = mount_image(&img, 0).unwrap();
    assert!(synced.len() >= kill_after);
    for (w, i) in synced {
        let path = format!("/mnt/w{w}-{i}");
        let fd = k
            .sys_open(&path, rumpvfs::flags::O_RDONLY, 0)
            .unwrap_or_else(|e| panic!("synced file {path} is gone: {e:?}\n{}", stdout(&fix)));
        let want = contents(w, i);
        let mut got = vec![0u8; want.len() + 1];
        let n = k.sys_pread(fd, &mut got, 0).unwrap();
        assert_eq!(&got[..n], &want[..], "contents of synced file {path}");
        k.sys_close(fd).unwrap();
    }
    k.sys_unmount("/mnt", 0).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_while_writing_loses_nothing_synced() {
    for (version, kill_after, ms) in [
        ("2", 10, 0),
        ("1", 25, 3),
        ("2", 40, 7),
        ("1", 15, 11),
        ("2", 20, 1),
    ] {
        crash_once(version, kill_after, Duration::from_millis(ms));
    }
}
