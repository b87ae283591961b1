//! `librumpclient.so` from C: programs compiled with `cc` against our
//! headers (`include/rump`) and linked with our library run against a
//! `rump_server`; with `NETBSD_PEER` set, a program compiled against
//! NetBSD's headers and linked with our library behaves the same against
//! NetBSD's server and ours, and NetBSD's rumpctrl tools run with our
//! library in place of NetBSD's.

mod common;

use common::cc::{abi_defines, compile, netbsd_header_flags, peer, workspace};
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Link flags for our library as installed.
fn our_library() -> Vec<String> {
    let lib = prefix().join("lib");
    vec![
        format!("-L{}", lib.display()),
        "-lrumpclient".into(),
        format!("-Wl,-rpath,{}", lib.display()),
    ]
}

#[test]
fn a_c_program_against_our_headers_works_in_the_servers_kernel() {
    let dir = tempdir("c-client");
    let url = format!("unix://{}", dir.join("sock").display());
    let mut flags = vec![format!("-I{}", workspace().join("include").display())];
    flags.extend(abi_defines());
    flags.extend(our_library());
    let exe = compile("remote_client.c", &dir, &flags);
    let (mut server, c) = serve("rump_allserver", &[], &url);
    let m = rumpclient::Regions::new();
    let made = c.syscall(netbsd_abi::SYS_mkdir, &[m.add(&cstr("/mnt")), 0o755], &m);
    if made.is_err() {
        server.kill().unwrap();
    }
    made.unwrap();
    mount_tmpfs(&c, "/mnt", 1 << 20, 0o1777);
    let out = client_program(&exe, &dir, &url, &[]);
    drop(c);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "before init: -1 errno ENOTCONN 1\n\
         getpid matches rumpclient_syscall: 1\n\
         mkdir /mnt/d: ok\n\
         open /mnt/d/f: ok\n\
         write: 13\n\
         lseek: 0\n\
         read: 13 hello, kernel\n\
         pread at 7: 6 kernel\n\
         stat: ok\n\
         st_size: 13\n\
         getdents finds f: 1\n\
         sysctl kern.ostype: ok\n\
         kern.ostype: NetBSD (7)\n\
         open missing: -1 errno ENOENT 1\n\
         close 999: -1 errno EBADF 1\n\
         errno after a call that worked: 0\n\
         pipe: ok\n\
         pipe read: 2 xy\n\
         prefork child: exit 0\n\
         parent still 1\n\
         rumpclient_fork child: exit 0\n\
         stat again: ok\n\
         st_size after the children wrote: 15\n\
         stat to a bad pointer: -1 errno EFAULT 1\n\
         then: -1 errno ENOTCONN 1\n"
    );
}

#[test]
fn rumpclient_exec_goes_on_as_the_same_process() {
    let dir = tempdir("c-client-exec");
    let url = format!("unix://{}", dir.join("sock").display());
    let mut flags = vec![format!("-I{}", workspace().join("include").display())];
    flags.extend(our_library());
    let exe = compile("exec_client.c", &dir, &flags);
    let (mut server, c) = serve("rump_allserver", &[], &url);
    let out = client_program(&exe, &dir, &url, &[]);
    drop(c);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "same process after exec: 1\ndescriptor kept: 3 abc\n"
    );
}

#[test]
fn rumpclient_init_without_a_server_says_so() {
    let dir = tempdir("c-client-noserver");
    let mut flags = vec![format!("-I{}", workspace().join("include").display())];
    flags.extend(abi_defines());
    flags.extend(our_library());
    let exe = compile("remote_client.c", &dir, &flags);
    let out = Command::new(&exe)
        .env_remove("RUMP_SERVER")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: RUMP_SERVER not set\nrumpclient_init: No such file or directory\n"
    );
}

/// A server of `side` ("ours" or "netbsd") on a socket in a new folder:
/// the child, its URL and the folder.
fn start(side: &str, peer: &Path) -> (std::process::Child, String, PathBuf) {
    let dir = tempdir(&format!("c-peer-{side}"));
    let url = format!("unix://{}", dir.join("s").display());
    let server = match side {
        "ours" => bin("rump_allserver"),
        _ => peer.join("rump/bin/rump_allserver"),
    };
    let child = Command::new(server)
        .args(["-s", &url])
        .env("LD_LIBRARY_PATH", peer.join("rump/lib"))
        .spawn()
        .unwrap();
    eventually("the server to answer", || dir.join("s").exists());
    (child, url, dir)
}

fn halt(mut child: std::process::Child, url: &str, peer: &Path) {
    let _ = Command::new(peer.join("rumpctrl/bin/halt"))
        .env("RUMP_SERVER", url)
        .output();
    let _ = child.wait();
}

/// `exe` against each side's server, with our library first on the
/// library path; the two outputs.
fn both_sides(peer: &Path, run: impl Fn(&str, &Path) -> Output) -> [Output; 2] {
    ["netbsd", "ours"].map(|side| {
        let (child, url, dir) = start(side, peer);
        let out = run(&url, &dir);
        halt(child, &url, peer);
        out
    })
}

#[test]
fn a_program_built_on_netbsds_headers_runs_with_our_library_on_both_kernels() {
    let Some(peer) = peer("netbsd_headers") else {
        return;
    };
    let dir = tempdir("c-client-netbsd");
    let mut flags = netbsd_header_flags(&peer);
    flags.extend(abi_defines());
    flags.extend(our_library());
    let exe = compile("netbsd_client.c", &dir, &flags);
    let [theirs, ours] = both_sides(&peer, |url, d| client_program(&exe, d, url, &[]));
    assert!(
        theirs.status.success(),
        "{}{}",
        stdout(&theirs),
        stderr(&theirs)
    );
    assert_eq!(stdout(&ours), stdout(&theirs));
    assert_eq!(stderr(&ours), stderr(&theirs));
    assert_eq!(ours.status.code(), theirs.status.code());
}

#[test]
fn netbsds_rumpctrl_tools_run_with_our_library() {
    let Some(peer) = peer("rumpctrl_tools") else {
        return;
    };
    let tools: &[&[&str]] = &[
        &["sysctl", "kern.ostype"],
        &["mkdir", "/x"],
        &["ls", "-d", "/x"],
        &["cat", "/nonexistent"],
        &["sysctl", "-w", "kern.hostname=capi"],
        &["sysctl", "kern.hostname"],
    ];
    // The tools link NetBSD's librumpclient.so.0; ours goes first on the
    // library path. On each kernel the outputs with NetBSD's library and
    // with ours must agree: only the library differs.
    let run = |side: &str, libdir: &Path| {
        let (child, url, dir) = start(side, &peer);
        let outs: Vec<Output> = tools
            .iter()
            .map(|t| {
                Command::new(peer.join("rumpctrl/bin").join(t[0]))
                    .args(&t[1..])
                    .current_dir(&dir)
                    .env("RUMP_SERVER", &url)
                    .env("LD_LIBRARY_PATH", libdir)
                    .output()
                    .unwrap()
            })
            .collect();
        halt(child, &url, &peer);
        outs
    };
    for side in ["netbsd", "ours"] {
        let theirs = run(side, &peer.join("rumpctrl/hostlib/lib"));
        let ours = run(side, &prefix().join("lib"));
        for ((t, a), b) in tools.iter().zip(&theirs).zip(&ours) {
            assert_eq!(
                (b.status.code(), without_pids(&stdout(b)), stderr(b)),
                (a.status.code(), without_pids(&stdout(a)), stderr(a)),
                "{t:?} on {side}'s kernel"
            );
        }
    }
}

/// `text` with the server's pid taken out of its default host name
/// (`rump-1234.vm`), which differs between two servers by nature.
fn without_pids(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("rump-") {
        out.push_str(&rest[..at + 5]);
        rest = rest[at + 5..].trim_start_matches(|c: char| c.is_ascii_digit());
        out.push('N');
    }
    out.push_str(rest);
    out
}
