//! `flock(2)` on kernel files under the hijack: util-linux's `flock(1)`
//! and python3's `fcntl.flock` take the kernel's locks, so programs in
//! different processes exclude each other as on the host.

mod common;

use common::*;
use std::process::Command;
use std::time::{Duration, Instant};

#[test]
fn flock_excludes_other_processes() {
    let dir = tempdir("flock");
    let url = format!("unix://{}", dir.join("s").display());
    let (mut server, _c) = serve("rump_server", &["-lrumpvfs"], &url);
    // One holder for a second and a half...
    let mut holder = Command::new("flock")
        .args([
            "-x",
            "/rump/lock",
            "-c",
            "echo held > /rump/held; sleep 1.5",
        ])
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", &url)
        .spawn()
        .unwrap();
    let t = Instant::now();
    while hijacked(&url, &["cat", "/rump/held"]).stdout != b"held\n" {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the holder never ran"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // ...meanwhile another process cannot take it, shared or exclusive.
    let busy = hijacked(&url, &["flock", "-n", "-s", "/rump/lock", "-c", "true"]);
    assert_eq!(busy.status.code(), Some(1), "{}", stderr(&busy));
    let prog = "import fcntl\n\
                f = open('/rump/lock')\n\
                try:\n    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB); print('taken')\n\
                except BlockingIOError: print('busy')\n\
                fcntl.flock(f, fcntl.LOCK_EX); print('waited')\n";
    let py = hijacked(&url, &["/usr/bin/python3", "-c", prog]);
    assert!(py.status.success(), "{}", stderr(&py));
    assert_eq!(stdout(&py), "busy\nwaited\n");
    assert!(holder.wait().unwrap().success());
    let free = hijacked(&url, &["flock", "-n", "/rump/lock", "-c", "true"]);
    assert!(free.status.success(), "{}", stderr(&free));
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
