//! Issue #15, point 13: what the server and the tools print when
//! something is wrong, worded as NetBSD's tools word it: `prog: what:
//! strerror text`, with no "(os error N)" and no internal names.

mod common;

use common::*;
use std::process::Command;

/// A server killed when the test ends, however it ends.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Run installed `name` with `args` in `dir`, without `RUMP_SERVER`.
fn run(dir: &std::path::Path, name: &str, args: &[&str]) -> std::process::Output {
    Command::new(bin(name))
        .current_dir(dir)
        .args(args)
        .env_remove("RUMP_SERVER")
        .output()
        .unwrap()
}

#[test]
fn host_errors_are_strerror_text_alone() {
    let dir = tempdir("strerror");
    let q = tool(&dir, "unix://nonesuch", "rump.sysctl", &["kern.ostype"]);
    assert_eq!(
        stderr(&q),
        "rump.sysctl: prog init failed: No such file or directory\n"
    );
    let h = tool(&dir, "unix://nonesuch", "rump.halt", &[]);
    assert_eq!(
        stderr(&h),
        "rump.halt: init failed: No such file or directory\n"
    );
    let s = run(&dir, "rump_server", &["unix://nodir/s"]);
    assert_eq!(
        stderr(&s),
        "rump_server: rump server init failed: rump_sp: failed to bind to URL \
         unix://nodir/s: No such file or directory\n"
    );
    let d = run(&dir, "shmif_dumpbus", &["nobus"]);
    assert_eq!(
        stderr(&d),
        "shmif_dumpbus: open bus nobus: No such file or directory\n"
    );
    let f = run(&dir, "fsck_ffs", &["-n", "noimage"]);
    assert_eq!(stderr(&f), "fsck_ffs: noimage: No such file or directory\n");
    for out in [q, h, s, d, f] {
        assert!(!out.status.success());
    }
}

#[test]
fn an_unset_rump_server_is_reported_with_the_programs_name() {
    let dir = tempdir("unset");
    for (name, args) in [
        ("rump.sysctl", &["kern.ostype"][..]),
        ("rump.halt", &[]),
        ("rump.mount", &[]),
    ] {
        let o = run(&dir, name, args);
        assert!(!o.status.success());
        assert_eq!(stderr(&o), format!("{name}: RUMP_SERVER not set\n"));
    }
}

#[test]
fn sysctl_q_keeps_unknown_names_quiet() {
    let dir = tempdir("sysctlq");
    let url = format!("unix://{}/s", dir.display());
    let (child, _c) = serve("rump_server", &[], &url);
    let _server = Killed(child);
    let loud = tool(&dir, &url, "rump.sysctl", &["kern.nonesuch"]);
    assert!(!loud.status.success());
    assert_eq!(
        stderr(&loud),
        "rump.sysctl: second level name 'nonesuch' in 'kern.nonesuch' is invalid\n"
    );
    let quiet = tool(&dir, &url, "rump.sysctl", &["-q", "kern.nonesuch"]);
    assert!(!quiet.status.success(), "the status still says");
    assert_eq!(stderr(&quiet), "");
    let quiet = tool(&dir, &url, "rump.sysctl", &["-qw", "kern.nonesuch=1"]);
    assert!(!quiet.status.success());
    assert_eq!(stderr(&quiet), "");
    let q = tool(&dir, &url, "rump.sysctl", &["-q", "kern.ostype"]);
    assert!(q.status.success(), "{}", stderr(&q));
}

#[test]
fn server_arguments_are_checked_with_clear_messages() {
    let dir = tempdir("srvargs");
    for small in ["0", "1k", "1000k"] {
        let o = run(&dir, "rump_server", &["-r", small, "unix://s"]);
        assert!(!o.status.success(), "-r {small}");
        assert!(
            stderr(&o).starts_with(&format!(
                "rump_server: -r {small}: too little memory for a kernel: at least 1m"
            )),
            "{}",
            stderr(&o)
        );
    }
    let o = run(&dir, "rump_server", &["-r", "1m", "unix://s"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(tool(&dir, "unix://s", "rump.halt", &[]).status.success());
    // unix:/// names no socket.
    let o = run(&dir, "rump_server", &["unix:///"]);
    assert_eq!(
        stderr(&o),
        "rump_server: invalid URL \"unix:///\": the path names a directory, not a socket\n"
    );
    let q = tool(&dir, "unix:///", "rump.sysctl", &["kern.ostype"]);
    assert_eq!(
        stderr(&q),
        "rump.sysctl: prog init failed: invalid URL \"unix:///\": the path names a \
         directory, not a socket\n"
    );
    // -m names the file the user gave, not an internal one.
    let notes = dir.join("notes.kmod");
    std::fs::write(&notes, "not an object file\n").unwrap();
    let notes = notes.to_str().unwrap();
    let o = run(&dir, "rump_server", &["-lrumpvfs", "-m", notes, "unix://s"]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(!err.contains("/module.mod"), "{err}");
    assert!(
        err.contains(&format!("module load of {notes} failed")),
        "{err}"
    );
    assert!(
        err.ends_with(&format!(
            "rump_server: module load failed: {notes}: Exec format error\n"
        )),
        "{err}"
    );
}

#[test]
fn shmif_dumpbus_p_dash_writes_only_the_pcap_to_stdout() {
    let dir = tempdir("dumpbus");
    let url = format!("unix://{}/s", dir.display());
    let (child, _c) = serve(
        "rump_server",
        &["-lrumpnet", "-lrumpnet_netinet", "-lrumpnet_shmif"],
        &url,
    );
    let server = Killed(child);
    // Configuring an address announces it on the bus: a frame to dump.
    let bus = dir.join("bus");
    let bus = bus.to_str().unwrap();
    let o = tool(
        &dir,
        &url,
        "rump.ifconfig",
        &["shmif0", "create", "linkstr", bus, "inet", "1.1.1.1/24"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    drop(server);
    let to_file = run(&dir, "shmif_dumpbus", &["-p", "bus.pcap", bus]);
    assert!(to_file.status.success(), "{}", stderr(&to_file));
    assert!(stdout(&to_file).contains("packet 0, offset 0x"));
    let pcap = std::fs::read(dir.join("bus.pcap")).unwrap();
    assert_eq!(pcap[..4], 0xa1b2c3d4u32.to_ne_bytes());
    assert!(pcap.len() > 24 + 16, "a frame follows the file header");
    let piped = run(&dir, "shmif_dumpbus", &["-p", "-", bus]);
    assert!(piped.status.success(), "{}", stderr(&piped));
    assert_eq!(piped.stdout, pcap, "stdout is the pcap and nothing else");
    assert_eq!(stderr(&piped), "");
}

/// A server that closes a connection before its banner, as NetBSD's does
/// when it has no room for another client, is reported as such.
#[test]
fn a_connection_closed_before_the_banner_is_explained() {
    let dir = tempdir("nobanner");
    let sock = dir.join("s");
    let listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
    let closer = std::thread::spawn(move || drop(listener.accept().unwrap()));
    let url = format!("unix://{}", sock.display());
    let q = tool(&dir, &url, "rump.sysctl", &["kern.ostype"]);
    closer.join().unwrap();
    assert_eq!(
        stderr(&q),
        "rump.sysctl: prog init failed: the server closed the connection before its \
         banner (it may have no room for another client)\n"
    );
}

/// A tool whose reader has gone (`rump.sysctl -a | head -1`) ends by
/// SIGPIPE, silently, as NetBSD's tools do: no panic, nothing on stderr.
#[test]
fn a_closed_pipe_ends_a_tool_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::Stdio;
    let dir = tempdir("sigpipe");
    let url = format!("unix://{}/s", dir.display());
    let (child, _c) = serve("rump_server", &[], &url);
    let _server = Killed(child);
    let mut t = Command::new(bin("rump.sysctl"))
        .arg("-a")
        .env("RUMP_SERVER", &url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes before the tool's first write.
    drop(t.stdout.take());
    let mut err = String::new();
    t.stderr.take().unwrap().read_to_string(&mut err).unwrap();
    let status = t.wait().unwrap();
    assert_eq!(status.signal(), Some(13), "{status:?}: {err}");
    assert_eq!(err, "");
}
