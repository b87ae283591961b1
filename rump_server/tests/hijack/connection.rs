//! The connection to the server: the error when it is unreachable,
//! `RUMPHIJACK` specifiers, retries after a lost connection, descriptor
//! numbers a program closes or reuses, and relative socket URLs.

use super::*;

#[test]
fn unreachable_server_is_a_one_line_error() {
    let dir = tempdir("hj-noserver");
    let o = Command::new("true")
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", format!("unix://{}/nothing", dir.display()))
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert_eq!(e.lines().count(), 1, "{e}");
    assert!(e.contains("rumpclient init"), "{e}");
}

#[test]
fn rumphijack_specifiers() {
    let r = Rig::start("hj-spec");
    let run = |spec: &str, args: &[&str]| r.rump_env(args, &[("RUMPHIJACK", spec)]);
    // path=: another prefix.
    let o = run("path=/kern", &["sh", "-c", "mkdir /kern/x && ls /kern"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "x\n");
    // blanket=: paths go in as they are.
    let o = run("blanket=/x", &["ls", "-d", "/x"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Nothing hijacked: /rump is the host's, which has none.
    let o = run("", &["ls", "/rump"]);
    assert!(!o.status.success());
    // fdoff=: kernel descriptors from 100.
    let o = run(
        "path=/rump,fdoff=100",
        &[
            "/usr/bin/python3",
            "-c",
            "import os; print(os.open('/rump/x', os.O_RDONLY) >= 100)",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "True\n");
    // socket= and sysctl parse; errors stop the program with NetBSD's words.
    for (spec, msg) in [
        ("bogus=1", "invalid hijack specifier name in bogus=1"),
        ("path=rump", "hijack path specifier must begin with ``/''"),
        ("blanket=x", "invalid blanket specifier x"),
        ("socket=ipx", "invalid socket specifier ipx"),
        ("vfs=x", "invalid vfscall specifier x"),
        (
            "sysctl=maybe",
            "sysctl value should be y(es)/n(o), gave: maybe",
        ),
        ("fdoff=1", "fdoff out of range"),
    ] {
        let o = run(spec, &["true"]);
        assert!(!o.status.success(), "{spec}");
        let e = stderr(&o);
        assert_eq!(e.lines().count(), 1, "{spec}: {e}");
        assert!(e.contains(msg), "{spec}: {e}");
    }
    for spec in [
        "socket=all:nolocal",
        "socket=inet:inet6",
        "sysctl=yes,modctl",
        "vfs=all:nofhcalls",
    ] {
        let o = run(spec, &["true"]);
        assert!(o.status.success(), "{spec}: {}", stderr(&o));
    }
    let o = r.rump_env(&["true"], &[("RUMPHIJACK_RETRYCONNECT", "sometimes")]);
    assert!(stderr(&o).contains("RUMPHIJACK_RETRYCONNECT must be keyword or integer"));
}

#[test]
fn retryconnect_says_what_a_lost_connection_does() {
    let prog = r#"
import os, sys, time
os.stat('/rump')
print('ready', flush=True)
sys.stdin.readline()
try:
    os.stat('/rump')
    print('stat ok')
except OSError as e:
    print('errno', e.errno)
"#;
    for (policy, code, out) in [
        (None, 0, "errno 107"),
        (Some("once"), 0, "errno 107"),
        (Some("die"), 1, ""),
    ] {
        let mut r = Rig::start("hj-retry");
        let mut c = Command::new("/usr/bin/python3");
        c.args(["-c", prog])
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &r.url)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        if let Some(p) = policy {
            c.env("RUMPHIJACK_RETRYCONNECT", p);
        }
        let mut child = c.spawn().unwrap();
        let mut line = String::new();
        let mut rd = std::io::BufReader::new(child.stdout.take().unwrap());
        std::io::BufRead::read_line(&mut rd, &mut line).unwrap();
        assert_eq!(line, "ready\n");
        // The server goes away between two calls.
        let _ = r.child.kill();
        let _ = r.child.wait();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), b"go\n").unwrap();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut rd, &mut rest).unwrap();
        let st = child.wait().unwrap();
        assert_eq!(st.code(), Some(code), "{policy:?}: {rest}");
        assert_eq!(rest.trim(), out, "{policy:?}");
    }
}

#[test]
fn the_connection_survives_a_program_closing_or_reusing_its_number() {
    let r = Rig::start("hj-conn");
    let prog = r#"
import os
os.mkdir('/rump/d')
os.closerange(3, 100000)
print(os.path.isdir('/rump/d'))
for fd in range(3, 512):
    try:
        os.close(fd)
    except OSError:
        pass
print(os.path.isdir('/rump/d'))
r, w = os.pipe()
for fd in range(3, 400):
    if fd not in (r, w):
        os.dup2(w, fd)
print(os.path.isdir('/rump/d'))
"#;
    assert_eq!(python(&r, prog, &[]), "True\nTrue\nTrue\n");
}

#[test]
fn a_relative_socket_url_survives_changes_of_directory() {
    let r = Rig::start("hj-relurl");
    r.same(&["mkdir", "/rump/d"]);
    let rel = [("RUMP_SERVER", "unix://s")];
    // Every fork of bash connects again: with the URL as given, from /usr.
    let o = r.rump_env(&["bash", "-c", "cd /usr; /bin/echo hi"], &rel);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "hi\n");
    // Children exec'd after the cd reach the kernel, and the URL handed on
    // in the environment names the socket from anywhere.
    let o = r.rump_env(
        &[
            "bash",
            "-c",
            "cd /usr; ls -d /rump/d; (cd /; ls /rump); printenv RUMP_SERVER",
        ],
        &rel,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        format!("/rump/d\nd\nunix://{}/s\n", r.dir.display())
    );
    // A program started by glibc's own exec (execl: past the hijack, so
    // with nothing handed on) connects anew with RUMP_SERVER.
    let prog = r#"
import ctypes, os
os.chdir('/usr')
libc = ctypes.CDLL(None)
libc.execl(b'/bin/ls', b'ls', b'-d', b'/rump/d', None)
"#;
    let o = r.rump_env(&["/usr/bin/python3", "-c", prog], &rel);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "/rump/d\n");
    // An absolute URL is left as it was.
    let o = r.rump(&["printenv", "RUMP_SERVER"]);
    assert_eq!(stdout(&o).trim(), r.url);
}
