//! Clients get only what they are allowed (issue #17): a unix-socket
//! client of another host user acts with that user's credentials in the
//! kernel, checked with unmodified coreutils under the hijack, NetBSD's
//! sysctl tool and a module load; a TCP server asks for a key that is
//! never sent in clear, refuses and logs who does not prove it, and one
//! that asks for none speaks NetBSD's protocol unchanged.

mod common;

use common::*;
use rumpclient::{Client, Regions};
use std::io::{Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use sysproxy::{Class, HEADER_LEN, Handshake, Header, SpError, Type};

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| stdout(&o).trim() == "0")
}

fn run(cmd: &str, args: &[&str]) -> Output {
    Command::new(cmd).args(args).output().unwrap()
}

/// A host user made for one test, in a group of its own besides its
/// primary one, removed afterwards.
struct ThrowawayUser {
    name: String,
    group: String,
    uid: u32,
    gid: u32,
    /// The extra group's id.
    extra_gid: u32,
}

impl ThrowawayUser {
    fn new() -> ThrowawayUser {
        let tag = std::process::id() % 100_000;
        let (name, group) = (format!("rumpu{tag}"), format!("rumpg{tag}"));
        let _ = run("userdel", &[&name]);
        let _ = run("groupdel", &[&group]);
        assert!(run("groupadd", &[&group]).status.success());
        let o = run(
            "useradd",
            &["-M", "-s", "/usr/sbin/nologin", "-G", &group, &name],
        );
        assert!(o.status.success(), "useradd: {}", stderr(&o));
        let id = |args: &[&str]| -> u32 { stdout(&run("id", args)).trim().parse().unwrap() };
        let extra = stdout(&run("getent", &["group", &group]));
        ThrowawayUser {
            uid: id(&["-u", &name]),
            gid: id(&["-g", &name]),
            extra_gid: extra.split(':').nth(2).unwrap().parse().unwrap(),
            name,
            group,
        }
    }

    /// `args` run as this user (its groups from the host's database),
    /// with `env` set.
    fn run(&self, env: &[(&str, String)], args: &[&str]) -> Output {
        let mut c = Command::new("setpriv");
        c.args([
            "--reuid",
            &self.uid.to_string(),
            "--regid",
            &self.gid.to_string(),
            "--init-groups",
            "--",
            "env",
        ]);
        for (k, v) in env {
            c.arg(format!("{k}={v}"));
        }
        c.args(args).output().unwrap()
    }
}

impl Drop for ThrowawayUser {
    fn drop(&mut self) {
        let _ = run("userdel", &[&self.name]);
        let _ = run("groupdel", &[&self.group]);
    }
}

/// A server that stops when dropped, also when a test fails.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `rump_allserver` in the foreground on `url` with `args`, its console
/// (stderr) kept to read at the end.
fn server(args: &[&str], url: &str) -> Server {
    Server(
        Command::new(bin("rump_allserver"))
            .arg("-s")
            .args(args)
            .arg(url)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    )
}

/// Stop the server (as SIGTERM does) and return what it printed on its
/// console.
fn console_of(mut server: Server) -> String {
    kill("-TERM", server.0.id() as i32);
    let _ = server.0.wait();
    let mut s = String::new();
    server
        .0
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut s)
        .unwrap();
    s
}

fn wait_for_tcp(port: u16) {
    eventually("the server to listen", || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
}

fn hijack_env(url: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "LD_PRELOAD",
            prefix().join("lib/librumphijack.so").display().to_string(),
        ),
        ("RUMP_SERVER", url.to_string()),
    ]
}

/// modctl load of `path` in the kernel: the errno, 0 on success.
fn modctl_load(c: &Client, path: &str) -> i32 {
    use netbsd_abi::layout::modctl_load as ml;
    let m = Regions::new();
    let mut arg = vec![0u8; ml::SIZE];
    ml::ml_filename.put(&mut arg, m.add(&cstr(path)));
    let a = m.add(&arg);
    match c.syscall(
        netbsd_abi::SYS_modctl,
        &[netbsd_abi::MODCTL_LOAD as u64, a],
        &m,
    ) {
        Ok(_) => 0,
        Err(e) => e.0,
    }
}

/// Run as another user by `unix_client_of_another_user...`: load the
/// module at `RUMP_ACCESS_MODULE` and print the errno.
#[test]
fn child_loads_a_module() {
    let Ok(path) = std::env::var("RUMP_ACCESS_MODULE") else {
        return;
    };
    let c = Client::from_env().unwrap();
    println!("modctl load errno {}", modctl_load(&c, &path));
}

#[test]
fn unix_client_of_another_user_gets_its_own_credentials() {
    if !is_root() {
        eprintln!("skipped: making a throwaway host user needs root");
        return;
    }
    let user = ThrowawayUser::new();
    let dir = tempdir("access-unix");
    let sock = dir.join("s");
    let url = format!("unix://{}", sock.display());
    let child = server(&[], &url);
    let mut root = None;
    eventually("the server to answer", || {
        root = Client::connect(&url).ok();
        root.is_some()
    });
    let root = root.unwrap();
    // As the man page advises, the socket's permissions say who may
    // connect: here everyone.
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o777)).unwrap();
    mount_tmpfs(&root, "/", 0, 0o755);
    let module = prefix().join("lib/libk_helper.so");
    let setup = format!(
        "echo secret > /rump/secret && chmod 600 /rump/secret && \
         echo public > /rump/public && chmod 644 /rump/public && \
         echo group > /rump/group && chown 0:{g} /rump/group && chmod 640 /rump/group && \
         mkdir /rump/tmp && chmod 1777 /rump/tmp && cp {m} /rump/k_helper.so",
        g = user.extra_gid,
        m = module.display()
    );
    let o = hijacked(&url, &["sh", "-c", &setup]);
    assert!(o.status.success(), "setup: {}", stderr(&o));

    let env = hijack_env(&url);
    let o = user.run(&env, &["cat", "/rump/public", "/rump/group"]);
    assert_eq!(stdout(&o), "public\ngroup\n", "{}", stderr(&o));
    let o = user.run(&env, &["cat", "/rump/secret"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    let o = user.run(&env, &["sh", "-c", "echo evil > /rump/secret"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("Permission denied"), "{}", stderr(&o));
    let o = user.run(&env, &["rm", "-f", "/rump/secret"]);
    assert!(!o.status.success(), "rm of root's file in root's directory");
    // What it makes is its own.
    let o = user.run(
        &env,
        &[
            "sh",
            "-c",
            "echo mine > /rump/tmp/mine && stat -c %u /rump/tmp/mine",
        ],
    );
    assert_eq!(stdout(&o), format!("{}\n", user.uid), "{}", stderr(&o));
    let o = hijacked(&url, &["cat", "/rump/secret"]);
    assert_eq!(stdout(&o), "secret\n");

    // NetBSD's sysctl tool semantics: a root-only write is EPERM.
    let o = user.run(
        &[("RUMP_SERVER", url.clone())],
        &[
            bin("rump.sysctl").to_str().unwrap(),
            "-w",
            "kern.hostname=evil",
        ],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("Operation not permitted"),
        "{}",
        stderr(&o)
    );
    let o = tool(&dir, &url, "rump.sysctl", &["-n", "kern.hostname"]);
    assert_ne!(stdout(&o).trim(), "evil");

    // A module load runs host code in the server: not for this user.
    let me = std::env::current_exe().unwrap();
    let o = user.run(
        &[
            ("RUMP_SERVER", url.clone()),
            ("RUMP_ACCESS_MODULE", "/k_helper.so".into()),
        ],
        &[
            me.to_str().unwrap(),
            "--exact",
            "child_loads_a_module",
            "--nocapture",
        ],
    );
    assert!(
        stdout(&o).contains(&format!(
            "modctl load errno {}",
            netbsd_abi::errno::raw::EPERM
        )),
        "{}{}",
        stdout(&o),
        stderr(&o)
    );
    // The same file is a module root may load.
    assert_eq!(modctl_load(&root, "/k_helper.so"), 0);
    drop(root);
    console_of(child);

    // -T: every client is root, as in NetBSD.
    let child = server(&["-T"], &url);
    eventually("the server to answer", || Client::connect(&url).is_ok());
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o777)).unwrap();
    let o = user.run(
        &[("RUMP_SERVER", url.clone())],
        &[
            bin("rump.sysctl").to_str().unwrap(),
            "-w",
            "kern.hostname=trusted",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    console_of(child);
}

#[test]
fn module_files_can_be_forbidden_to_every_client() {
    let dir = tempdir("access-nomod");
    let url = format!("unix://{}", dir.join("s").display());
    let child = server(&["-M"], &url);
    let mut c = None;
    eventually("the server to answer", || {
        c = Client::connect(&url).ok();
        c.is_some()
    });
    let c = c.unwrap();
    // Refused before the file is looked for: root asks, for a file that
    // is not even there.
    assert_eq!(
        modctl_load(&c, "/k_helper.so"),
        netbsd_abi::errno::raw::EPERM
    );
    drop(c);
    let console = console_of(child);
    assert!(
        console.contains("module load of /k_helper.so refused"),
        "{console}"
    );
}

#[test]
fn tcp_beyond_loopback_needs_an_access_rule() {
    let port = free_port();
    let url = format!("tcp://0:{port}/");
    let o = Command::new(bin("rump_server"))
        .args(["-s", &url])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("can be reached from other hosts") && e.contains("-k"),
        "{e}"
    );
    // -A says anyone may connect; module files are then forbidden.
    let child = server(&["-A"], &url);
    wait_for_tcp(port);
    let c = Client::connect(&format!("tcp://127.0.0.1:{port}/")).unwrap();
    assert_eq!(modctl_load(&c, "/any.so"), netbsd_abi::errno::raw::EPERM);
    drop(c);
    console_of(child);
}

fn write_key(dir: &Path, name: &str, key: &str, mode: u32) -> String {
    let p = dir.join(name);
    std::fs::write(&p, key).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    p.display().to_string()
}

/// The banner, as a client without our library reads it.
fn raw_banner(s: &mut std::net::TcpStream) -> String {
    let mut b = [0u8; sysproxy::payload::MAX_BANNER];
    let n = s.read(&mut b).unwrap();
    String::from_utf8_lossy(&b[..n]).into_owned()
}

#[test]
fn tcp_clients_prove_the_key_before_any_call() {
    let dir = tempdir("access-key");
    let key = write_key(&dir, "key", "correct horse\n", 0o600);
    let wrong = write_key(&dir, "wrong", "battery staple\n", 0o600);
    let open = write_key(&dir, "open", "correct horse\n", 0o644);
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}/");
    let child = server(&["-k", &key], &url);
    wait_for_tcp(port);
    let sysctl = |k: Option<&str>| {
        let mut c = Command::new(bin("rump.sysctl"));
        c.args(["-n", "kern.ostype"]).env("RUMP_SERVER", &url);
        match k {
            Some(k) => c.env("RUMP_SERVER_KEY", k),
            None => c.env_remove("RUMP_SERVER_KEY"),
        };
        c.output().unwrap()
    };
    let o = sysctl(Some(&key));
    assert_eq!(stdout(&o), "NetBSD\n", "{}", stderr(&o));
    let o = sysctl(None);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("the server asks for a key: set RUMP_SERVER_KEY"),
        "{}",
        stderr(&o)
    );
    let o = sysctl(Some(&wrong));
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("the server refused the key") && stderr(&o).contains("wrong key"),
        "{}",
        stderr(&o)
    );
    let o = sysctl(Some(&open));
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
    // The hijack connects the same way.
    let o = Command::new("ls")
        .args(["-d", "/rump/dev"])
        .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
        .env("RUMP_SERVER", &url)
        .env("RUMP_SERVER_KEY", &key)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "/rump/dev\n", "{}", stderr(&o));

    // A client that does not know of keys (NetBSD's) sends its handshake
    // and a call at once: the handshake is refused with AUTH, the call
    // never answered, the connection closed.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let banner = raw_banner(&mut s);
    assert!(banner.starts_with("RUMPSP-0.4-NetBSD-"), "{banner}");
    assert!(sysproxy::auth::challenge(banner.as_bytes()).is_some());
    let hello = sysproxy::payload::emit_name("netbsd-client");
    let h = Header::new(
        1,
        Class::Req,
        Type::Handshake,
        Handshake::Guest as u32,
        hello.len(),
    );
    s.write_all(&sysproxy::frame(&h, &hello)).unwrap();
    let args = sysproxy::payload::emit_args(&[]);
    let call = Header::new(
        2,
        Class::Req,
        Type::Syscall,
        netbsd_abi::SYS_getpid as u32,
        args.len(),
    );
    // The server may have refused and closed already, so this write may
    // fail (EPIPE), and the close of a socket with the call unread may end
    // the read with ECONNRESET after what was sent: neither is an answer.
    let _ = s.write_all(&sysproxy::frame(&call, &args));
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    assert!(rest.len() >= HEADER_LEN, "no refusal frame: {rest:?}");
    let mut hb = [0u8; HEADER_LEN];
    hb.copy_from_slice(&rest[..HEADER_LEN]);
    let r = Header::parse(&hb).unwrap();
    assert_eq!(
        (r.class, r.reqno, r.union),
        (Class::Error, 1, SpError::Auth.code())
    );
    assert_eq!(rest.len(), r.len as usize, "nothing after the refusal");

    let console = console_of(child);
    let refused: Vec<&str> = console
        .lines()
        .filter(|l| l.contains("refused client 127.0.0.1:"))
        .collect();
    assert_eq!(refused.len(), 4, "{console}");
    assert!(
        refused.iter().any(|l| l.ends_with("wrong key")),
        "{console}"
    );
}

#[test]
fn without_a_key_the_protocol_is_netbsds() {
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}/");
    let child = server(&[], &url);
    wait_for_tcp(port);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let banner = raw_banner(&mut s);
    assert!(
        banner.starts_with("RUMPSP-0.4-NetBSD-") && !banner.contains("key"),
        "{banner}"
    );
    drop(s);
    // A client with a key it need not use goes on as usual.
    let dir = tempdir("access-nokey");
    let key = write_key(&dir, "key", "k", 0o600);
    let o = Command::new(bin("rump.sysctl"))
        .args(["-n", "kern.ostype"])
        .env("RUMP_SERVER", &url)
        .env("RUMP_SERVER_KEY", &key)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "NetBSD\n", "{}", stderr(&o));
    let console = console_of(child);
    assert!(!console.contains("refused"), "{console}");
}

/// With NetBSD's peer (`NETBSD_PEER`, issue #16): NetBSD's client, which
/// knows of no key, is refused by a server that asks for one, at its
/// handshake and before any call, and the refusal is logged; ours, given
/// a key, works against NetBSD's server, which asks for none.
#[test]
fn netbsd_clients_and_keys() {
    let Some(peer) = std::env::var_os("NETBSD_PEER").map(std::path::PathBuf::from) else {
        eprintln!("skipped: NETBSD_PEER is not set (see issue #16)");
        return;
    };
    let dir = tempdir("access-peer");
    let key = write_key(&dir, "key", "peer key", 0o600);
    let port = free_port();
    let url = format!("tcp://127.0.0.1:{port}/");
    let ours = server(&["-k", &key], &url);
    wait_for_tcp(port);
    let o = Command::new(peer.join("rumpctrl/bin/sysctl"))
        .args(["-n", "kern.ostype"])
        .env("RUMP_SERVER", &url)
        .output()
        .unwrap();
    assert!(!o.status.success(), "{}", stdout(&o));
    assert!(stdout(&o).is_empty());
    let console = console_of(ours);
    assert!(
        console.contains("refused client 127.0.0.1:")
            && console.contains("no key: it sent a request before proving one"),
        "{console}"
    );

    let sock = dir.join("netbsd");
    let nurl = format!("unix://{}", sock.display());
    let mut theirs = Server(
        Command::new(peer.join("rump/bin/rump_allserver"))
            .env("LD_LIBRARY_PATH", peer.join("rump/lib"))
            .args(["-s", &nurl])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    eventually("NetBSD's server to answer", || {
        Client::connect(&nurl).is_ok()
    });
    let o = Command::new(bin("rump.sysctl"))
        .args(["-n", "kern.ostype"])
        .env("RUMP_SERVER", &nurl)
        .env("RUMP_SERVER_KEY", &key)
        .output()
        .unwrap();
    assert_eq!(stdout(&o), "NetBSD\n", "{}", stderr(&o));
    let _ = Command::new(bin("rump.halt"))
        .env("RUMP_SERVER", &nurl)
        .output();
    let _ = theirs.0.wait();
}
