//! The rig the tests share: a server with tmpfs on its root beside a host
//! directory to compare with, and programs run under the hijack.

use super::*;

/// A server with tmpfs mounted on its root, and a host directory to
/// compare with.
pub(crate) struct Rig {
    pub(crate) child: Child,
    pub(crate) url: String,
    /// The host directory that plays `/rump`'s part.
    pub(crate) host: PathBuf,
    pub(crate) dir: PathBuf,
}

impl Rig {
    pub(crate) fn start(tag: &str) -> Rig {
        let dir = tempdir(tag);
        let sock = dir.join("s");
        let url = format!("unix://{}", sock.display());
        let child = Command::new(bin("rump_server"))
            .args(["-s", "-lrumpvfs", "-lrumpfs_tmpfs", &url])
            .spawn()
            .unwrap();
        // The socket's name appears at bind, before the server listens.
        let mut client = None;
        eventually("the server to answer", || {
            client = Client::connect(&url).ok();
            client.is_some()
        });
        let c = client.unwrap();
        mount_tmpfs(&c, "/", 0, 0o755);
        let host = dir.join("host");
        std::fs::create_dir(&host).unwrap();
        Rig {
            child,
            url,
            host,
            dir,
        }
    }

    /// `args` run under the hijack.
    pub(crate) fn rump(&self, args: &[&str]) -> Output {
        self.rump_env(args, &[])
    }

    pub(crate) fn rump_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut c = Command::new(args[0]);
        c.args(&args[1..])
            .current_dir(&self.dir)
            .env("LD_PRELOAD", prefix().join("lib/librumphijack.so"))
            .env("RUMP_SERVER", &self.url);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }

    /// The same command on the host, `/rump` being the host directory.
    pub(crate) fn host(&self, args: &[&str]) -> Output {
        let h = self.host.to_string_lossy().into_owned();
        let args: Vec<String> = args.iter().map(|a| a.replace("/rump", &h)).collect();
        Command::new(&args[0])
            .args(&args[1..])
            .current_dir(&self.dir)
            .output()
            .unwrap()
    }

    /// Run `args` both ways; both must succeed. Returns both stdouts, the
    /// host directory's name written as `/rump`.
    pub(crate) fn both(&self, args: &[&str]) -> (String, String) {
        let r = self.rump(args);
        let h = self.host(args);
        assert!(
            r.status.success(),
            "{args:?} under the hijack: {}",
            stderr(&r)
        );
        assert!(h.status.success(), "{args:?} on the host: {}", stderr(&h));
        let hp = self.host.to_string_lossy().into_owned();
        (stdout(&r), stdout(&h).replace(&hp, "/rump"))
    }

    /// Run `args` both ways and require the same output.
    pub(crate) fn same(&self, args: &[&str]) -> String {
        let (r, h) = self.both(args);
        assert_eq!(r, h, "{args:?}");
        r
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `ls -la` lines without what legitimately differs between two file
/// systems: directory sizes, times, owners' names are kept (same user).
pub(crate) fn ls_shape(s: &str) -> Vec<String> {
    s.lines()
        .filter(|l| !l.starts_with("total"))
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 9 {
                return l.to_string();
            }
            let size = if f[0].starts_with('d') { "-" } else { f[4] };
            format!("{} {} {} {} {}", f[0], f[2], f[3], size, f[8..].join(" "))
        })
        .collect()
}

/// Run a Python program under the hijack; it must succeed. Returns stdout.
pub(crate) fn python(r: &Rig, prog: &str, env: &[(&str, &str)]) -> String {
    let o = r.rump_env(&["/usr/bin/python3", "-c", prog], env);
    assert!(o.status.success(), "python: {}{}", stdout(&o), stderr(&o));
    stdout(&o)
}
