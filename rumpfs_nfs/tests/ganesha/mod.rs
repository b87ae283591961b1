//! A real NFS server for the tests: Debian's nfs-ganesha (VFS back end)
//! with rpcbind, in a private network namespace with its own `/run`,
//! exporting a fresh directory, all removed when the value is dropped.
//!
//! Facts (DESIGN.md): ganesha needs `rpcbind -f -w` running; `Bind_addr`
//! is left out. Only the namespace's loopback carries traffic.
//!
//! A test reaches the server by running code inside the namespace: it
//! calls [`inside`] first, and the test binary runs itself again there
//! (`ip netns exec`) for that one test.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Set in the copy of the test that runs inside the namespace: the
/// exported directory.
pub const EXPORT_ENV: &str = "RUMP_TEST_GANESHA_EXPORT";
/// Set beside it: a shell command that stops the server and starts it
/// again on the same export (see [`Ganesha::restart_command`]).
pub const RESTART_ENV: &str = "RUMP_TEST_GANESHA_RESTART";

const GANESHA: &str = "/usr/bin/ganesha.nfsd";
const RPCBIND: &str = "/usr/sbin/rpcbind";

/// A running server.
pub struct Ganesha {
    ns: String,
    dir: PathBuf,
    export: PathBuf,
    server: Child,
}

/// Why no server: the packages are missing or we are not root.
fn unavailable() -> Option<String> {
    for p in [
        GANESHA,
        RPCBIND,
        "/usr/bin/rpcinfo",
        "/usr/bin/unshare",
        "/usr/sbin/ip",
    ] {
        let exists = Path::new(p).exists() || Path::new(&p.replace("/usr/sbin", "/sbin")).exists();
        if !exists {
            return Some(format!(
                "{p} missing (apt-get install nfs-ganesha nfs-ganesha-vfs rpcbind libnfs-utils)"
            ));
        }
    }
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
        });
    (uid.as_deref() != Some("0")).then(|| "not root: no network namespace".to_owned())
}

/// The server's configuration; with `log_requests`, its log names every
/// NFS and MOUNT request it serves (NFSPROTO at DEBUG: "REQUEST
/// PROCESSING: Calling MNT_UMNT path ..." and the like).
fn config(export: &Path, log_requests: bool) -> String {
    let components = if log_requests {
        " COMPONENTS { NFSPROTO = DEBUG; }"
    } else {
        ""
    };
    format!(
        "NFS_CORE_PARAM {{ Protocols = 3, 4; Enable_NLM = false; Enable_RQUOTA = false; }}\n\
         NFS_KRB5 {{ Active_krb5 = false; }}\n\
         EXPORT {{\n  Export_Id = 1; Path = {p}; Pseudo = {p};\n  Access_Type = RW; \
         Squash = No_Root_Squash; Protocols = 3, 4; Transports = TCP, UDP; SecType = sys;\n  \
         FSAL {{ Name = VFS; }}\n}}\n\
         LOG {{ Default_Log_Level = EVENT;{components} }}\n",
        p = export.display()
    )
}

impl Ganesha {
    /// Start a server exporting a new directory under `base`; `None`
    /// (with one line on stderr) when the machine cannot run one.
    pub fn start(base: &Path, tag: &str) -> Option<Ganesha> {
        Ganesha::start_with(base, tag, false)
    }

    /// [`Ganesha::start`], the server's log naming every request it serves
    /// when `log_requests` (see [`Ganesha::log`]).
    pub fn start_with(base: &Path, tag: &str, log_requests: bool) -> Option<Ganesha> {
        if let Some(why) = unavailable() {
            eprintln!("skipped: no NFS server: {why}");
            return None;
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let ns = format!(
            "rumpnfs-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        );
        let dir = base.join(format!("ganesha-{tag}"));
        let _ = std::fs::remove_dir_all(&dir);
        let export = dir.join("export");
        std::fs::create_dir_all(&export).unwrap();
        let conf = dir.join("ganesha.conf");
        std::fs::write(&conf, config(&export, log_requests)).unwrap();
        let ok = Command::new("ip").args(["netns", "add", &ns]).status();
        assert!(ok.unwrap().success(), "ip netns add {ns}");
        let g = Ganesha {
            ns,
            dir: dir.clone(),
            export,
            // Replaced below; the namespace is removed on drop from here on.
            server: Command::new("true").spawn().unwrap(),
        };
        g.netns(&["ip", "link", "set", "lo", "up"]);
        // One shell in a private mount namespace: tmpfs on /run, rpcbind
        // in the background, then ganesha in its place (so that killing
        // the shell's pid stops ganesha; rpcbind's pid is written down).
        let script = format!(
            "mount -t tmpfs tmpfs /run && mkdir -p /run/rpcbind /run/ganesha || exit 1\n\
             {RPCBIND} -f -w & echo $! > {d}/rpcbind.pid\n\
             for i in $(seq 50); do [ -S /run/rpcbind.sock ] && break; sleep 0.1; done\n\
             exec {GANESHA} -F -f {c} -L {d}/ganesha.log -p /run/ganesha/pid\n",
            d = dir.display(),
            c = conf.display()
        );
        let mut g = g;
        g.server = Command::new("ip")
            .args(["netns", "exec", &g.ns, "unshare", "-m", "sh", "-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let t = Instant::now();
        loop {
            let o = Command::new("ip")
                .args([
                    "netns",
                    "exec",
                    &g.ns,
                    "rpcinfo",
                    "-T",
                    "tcp",
                    "127.0.0.1",
                    "mountd",
                    "3",
                ])
                .output()
                .unwrap();
            if o.status.success() {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "ganesha did not come up: {}",
                std::fs::read_to_string(dir.join("ganesha.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Some(g)
    }

    fn netns(&self, args: &[&str]) {
        let st = Command::new("ip")
            .args(["netns", "exec", &self.ns])
            .args(args)
            .status()
            .unwrap();
        assert!(st.success(), "{args:?} in {}", self.ns);
    }

    /// The exported directory (the host's view of the files).
    pub fn export(&self) -> &Path {
        &self.export
    }

    /// A command that runs inside the server's network namespace.
    pub fn command(&self, prog: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.ns]).arg(prog);
        c
    }

    /// A command for `sh -c` inside the namespace that stops the server,
    /// waits `down` seconds (the first server is our child: it stays a
    /// zombie, which `kill -0` still finds, until we reap it), and starts
    /// it again on the same export, in
    /// the private mount namespace where rpcbind runs (ganesha registers
    /// with it through `/run/rpcbind.sock`). Then waits until it answers.
    pub fn restart_command(&self, down: u32) -> String {
        let d = self.dir.display();
        format!(
            "kill {pid}; while grep -qs '^State:.*[RSD]' /proc/{pid}/status; do sleep 0.1; done\n\
             sleep {down}\n\
             nsenter -m -t $(cat {d}/rpcbind.pid) {GANESHA} -F -f {d}/ganesha.conf \
             -L {d}/ganesha.log -p /run/ganesha/pid2 </dev/null >/dev/null 2>&1 &\n\
             echo $! > {d}/ganesha2.pid\n\
             for i in $(seq 300); do rpcinfo -T tcp 127.0.0.1 nfs 3 >/dev/null 2>&1 && exit 0; sleep 0.1; done; exit 1\n",
            pid = self.server.id(),
        )
    }

    /// Run test `name` of this test binary again inside the namespace
    /// (where it finds the export in [`EXPORT_ENV`]), and fail if it does.
    pub fn run_inside(&self, name: &str) {
        let exe = std::env::current_exe().unwrap();
        let dir = &self.dir;
        let (out, err) = (
            dir.join(format!("{name}.out")),
            dir.join(format!("{name}.err")),
        );
        let mut child = self
            .command(exe)
            .args(["--exact", name, "--nocapture", "--test-threads=1"])
            .env(EXPORT_ENV, &self.export)
            .env(RESTART_ENV, self.restart_command(2))
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        // A copy that hangs is killed rather than holding up the run.
        let t = Instant::now();
        let status = loop {
            if let Some(st) = child.try_wait().unwrap() {
                break Some(st);
            }
            if t.elapsed() > INSIDE_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let out = std::fs::read_to_string(&out).unwrap_or_default();
        let err = std::fs::read_to_string(&err).unwrap_or_default();
        assert!(
            status.is_some_and(|s| s.success()) && out.contains("1 passed"),
            "{name} inside the namespace ({}): {out}\n{err}",
            status.map_or("killed after the time limit".to_owned(), |s| s.to_string())
        );
    }
}

/// How long the copy of a test inside the namespace may run.
const INSIDE_LIMIT: Duration = Duration::from_secs(300);

impl Drop for Ganesha {
    fn drop(&mut self) {
        // Ganesha exits on SIGTERM; rpcbind is ours by its pid file.
        let _ = Command::new("kill")
            .arg(self.server.id().to_string())
            .status();
        // A server started again by the restart command is no child of
        // ours: its pid is in its file.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("ganesha2.pid")) {
            let _ = Command::new("kill")
                .arg(pid.trim())
                .stderr(Stdio::null())
                .status();
            let t = Instant::now();
            while Path::new(&format!("/proc/{}", pid.trim())).exists()
                && t.elapsed() < Duration::from_secs(10)
            {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("rpcbind.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
        let t = Instant::now();
        while self.server.try_wait().ok().flatten().is_none() {
            if t.elapsed() > Duration::from_secs(10) {
                let _ = self.server.kill();
                let _ = self.server.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).status();
    }
}

/// The server's log, from inside the namespace as from outside: it is
/// beside the export.
pub fn log(export: &Path) -> String {
    std::fs::read_to_string(export.parent().unwrap().join("ganesha.log")).unwrap_or_default()
}

/// The export, when this copy of the test runs inside the namespace.
pub fn inside() -> Option<PathBuf> {
    std::env::var_os(EXPORT_ENV).map(PathBuf::from)
}

/// What mount_nfs does before mount(2), from inside the namespace: the
/// mount daemon's port from the portmapper, then the export's root handle
/// from MNT, asked as root.
pub fn root_handle(export: &Path) -> Vec<u8> {
    use rumpfs_nfs::mount;
    use rumpfs_nfs::portmap::{self, IPPROTO_TCP, PMAP_PORT};
    use rumpfs_nfs::rpc::{AuthSys, Credentials, StreamClient};
    let connect = |port| {
        StreamClient::new(
            std::net::TcpStream::connect(("127.0.0.1", port)).unwrap(),
            9,
        )
    };
    let mountd = portmap::getport(&mut connect(PMAP_PORT), mount::MOUNT_PROG, 3, IPPROTO_TCP)
        .unwrap()
        .expect("mountd over TCP");
    let root = Credentials::Sys(AuthSys {
        stamp: 0,
        machine: b"rumptest".to_vec(),
        uid: 0,
        gid: 0,
        gids: vec![0],
    });
    let path = export.as_os_str().as_encoded_bytes();
    mount::mnt(&mut connect(mountd), &root, path).unwrap().fh
}
