//! Issue #15, point 11: a socket file left by a server killed with
//! `kill -9` is replaced by the next server on that URL, while a socket
//! someone listens on, or a file that is not a socket, is left alone and
//! the new server says why it cannot start.

mod common;

use common::*;
use std::process::Command;

/// Start a detached server on `url` in `dir`; its exit status and stderr.
fn start(dir: &std::path::Path, url: &str) -> (bool, String) {
    let o = Command::new(bin("rump_server"))
        .current_dir(dir)
        .arg(url)
        .output()
        .unwrap();
    (o.status.success(), stderr(&o))
}

#[test]
fn a_socket_left_by_a_killed_server_is_replaced() {
    let dir = tempdir("stale");
    let sock = dir.join("s");
    let url = format!("unix://{}", sock.display());
    let (mut child, c) = serve("rump_server", &[], &url);
    drop(c);
    child.kill().unwrap(); // SIGKILL: nothing runs to remove the socket
    child.wait().unwrap();
    assert!(sock.exists(), "the killed server's socket is left behind");
    let (ok, err) = start(&dir, &url);
    assert!(ok, "{err}");
    let q = tool(&dir, &url, "rump.sysctl", &["kern.ostype"]);
    assert_eq!(stdout(&q), "kern.ostype = NetBSD\n", "{}", stderr(&q));
    assert!(tool(&dir, &url, "rump.halt", &[]).status.success());
    eventually("the socket to go at halt", || !sock.exists());
}

#[test]
fn a_socket_with_a_server_behind_it_is_kept() {
    let dir = tempdir("live");
    let url = "unix://s";
    let (ok, err) = start(&dir, url);
    assert!(ok, "{err}");
    let (ok, err) = start(&dir, url);
    assert!(!ok);
    assert_eq!(
        err,
        "rump_server: rump server init failed: rump_sp: failed to bind to URL unix://s: \
         a server is already listening on this socket\n"
    );
    // The first server still serves.
    let q = tool(&dir, url, "rump.sysctl", &["kern.ostype"]);
    assert_eq!(stdout(&q), "kern.ostype = NetBSD\n", "{}", stderr(&q));
    assert!(tool(&dir, url, "rump.halt", &[]).status.success());
}

#[test]
fn a_file_that_is_not_a_socket_is_never_removed() {
    let dir = tempdir("notsock");
    std::fs::write(dir.join("s"), "precious\n").unwrap();
    let (ok, err) = start(&dir, "unix://s");
    assert!(!ok);
    assert_eq!(
        err,
        "rump_server: rump server init failed: rump_sp: failed to bind to URL unix://s: \
         the path exists and is not a socket\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("s")).unwrap(),
        "precious\n"
    );
}
