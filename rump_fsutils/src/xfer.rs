//! Copies between the host and the image (`fsu_ecp`, `fsu_put`,
//! `fsu_get`): each side behind [`Side`], so that one walk copies either
//! way. As fs-utils' `fsu_ecp`: a directory needs `-R` and lands inside
//! the target (`to/name`), hard links stay links, symbolic links are
//! copied as links unless `-L`, and a put gives the copies the host
//! files' owners.

use crate::session::Session;
use crate::tree;
use rump::{Errno, Kernel};
use rumpvfs::VfsCalls;
use rumpvfs::flags::*;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};

/// What a copy needs to know of a node.
#[derive(Clone, Copy, Debug)]
pub struct Meta {
    /// `S_IF*` type and permission bits (NetBSD's and Linux's agree on them).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Links.
    pub nlink: u64,
    /// Device and inode, to find hard links.
    pub id: (u64, u64),
    /// Access and modification times (seconds, nanoseconds).
    pub times: [(i64, i64); 2],
}

/// An error worded for a message: what failed and why.
pub type Failure = (String, String);

/// Where a file's bytes go, a chunk at a time.
pub type Sink<'a> = dyn FnMut(&[u8]) -> Result<(), Failure> + 'a;

/// What feeds a file's bytes to a [`Sink`].
pub type Source<'a> = dyn FnMut(&mut Sink) -> Result<(), Failure> + 'a;

fn host_err(path: &str, e: std::io::Error) -> Failure {
    (path.to_string(), rumpuser::strerror(&e))
}

fn kern_err(path: &str, e: Errno) -> Failure {
    (path.to_string(), e.to_string())
}

/// One end of a copy.
pub trait Side {
    /// `lstat`.
    fn lstat(&self, p: &str) -> Result<Meta, Failure>;
    /// `stat` (following a link).
    fn stat(&self, p: &str) -> Result<Meta, Failure>;
    /// Sorted names in a directory.
    fn list(&self, p: &str) -> Result<Vec<String>, Failure>;
    /// Make a directory.
    fn mkdir(&self, p: &str, mode: u32) -> Result<(), Failure>;
    /// The whole content of a file, streamed to `sink`.
    fn read_into(&self, p: &str, sink: &mut Sink) -> Result<(), Failure>;
    /// Create or truncate a file and write the chunks `source` gives.
    fn write_from(&self, p: &str, mode: u32, source: &mut Source) -> Result<(), Failure>;
    /// A symbolic link's target.
    fn readlink(&self, p: &str) -> Result<String, Failure>;
    /// Make a symbolic link.
    fn symlink(&self, target: &str, p: &str) -> Result<(), Failure>;
    /// Make a hard link.
    fn link(&self, existing: &str, p: &str) -> Result<(), Failure>;
    /// Remove a non-directory.
    fn unlink(&self, p: &str) -> Result<(), Failure>;
    /// Make a FIFO.
    fn mkfifo(&self, p: &str, mode: u32) -> Result<(), Failure>;
    /// Set permission bits, owner (when `owner`) and times.
    fn set_attrs(&self, p: &str, m: &Meta, owner: bool) -> Result<(), Failure>;
}

/// The host's file system.
pub struct Host;

fn host_meta(m: &std::fs::Metadata) -> Meta {
    Meta {
        mode: m.mode(),
        uid: m.uid(),
        gid: m.gid(),
        nlink: m.nlink(),
        id: (m.dev(), m.ino()),
        times: [(m.atime(), m.atime_nsec()), (m.mtime(), m.mtime_nsec())],
    }
}

fn to_system_time((s, ns): (i64, i64)) -> std::time::SystemTime {
    let d = std::time::Duration::new(s.unsigned_abs(), ns.clamp(0, 999_999_999) as u32);
    if s >= 0 {
        std::time::UNIX_EPOCH + d
    } else {
        std::time::UNIX_EPOCH - d
    }
}

impl Side for Host {
    fn lstat(&self, p: &str) -> Result<Meta, Failure> {
        std::fs::symlink_metadata(p)
            .map(|m| host_meta(&m))
            .map_err(|e| host_err(p, e))
    }
    fn stat(&self, p: &str) -> Result<Meta, Failure> {
        std::fs::metadata(p)
            .map(|m| host_meta(&m))
            .map_err(|e| host_err(p, e))
    }
    fn list(&self, p: &str) -> Result<Vec<String>, Failure> {
        let mut v = Vec::new();
        for e in std::fs::read_dir(p).map_err(|e| host_err(p, e))? {
            let e = e.map_err(|e| host_err(p, e))?;
            v.push(e.file_name().to_string_lossy().into_owned());
        }
        v.sort();
        Ok(v)
    }
    fn mkdir(&self, p: &str, mode: u32) -> Result<(), Failure> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .mode(mode & 0o7777)
            .create(p)
            .map_err(|e| host_err(p, e))
    }
    fn read_into(&self, p: &str, sink: &mut Sink) -> Result<(), Failure> {
        let mut f = std::fs::File::open(p).map_err(|e| host_err(p, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf).map_err(|e| host_err(p, e))? {
                0 => return Ok(()),
                n => sink(&buf[..n])?,
            }
        }
    }
    fn write_from(&self, p: &str, mode: u32, source: &mut Source) -> Result<(), Failure> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode & 0o7777)
            .open(p)
            .map_err(|e| host_err(p, e))?;
        source(&mut |chunk| f.write_all(chunk).map_err(|e| host_err(p, e)))
    }
    fn readlink(&self, p: &str) -> Result<String, Failure> {
        std::fs::read_link(p)
            .map(|t| t.to_string_lossy().into_owned())
            .map_err(|e| host_err(p, e))
    }
    fn symlink(&self, target: &str, p: &str) -> Result<(), Failure> {
        std::os::unix::fs::symlink(target, p).map_err(|e| host_err(p, e))
    }
    fn link(&self, existing: &str, p: &str) -> Result<(), Failure> {
        std::fs::hard_link(existing, p).map_err(|e| host_err(p, e))
    }
    fn unlink(&self, p: &str) -> Result<(), Failure> {
        std::fs::remove_file(p).map_err(|e| host_err(p, e))
    }
    fn mkfifo(&self, p: &str, _mode: u32) -> Result<(), Failure> {
        // The standard library cannot make one, and the tools keep to it.
        Err((
            p.to_string(),
            "making a FIFO on the host is not supported yet".into(),
        ))
    }
    fn set_attrs(&self, p: &str, m: &Meta, _owner: bool) -> Result<(), Failure> {
        if m.mode & S_IFMT == S_IFLNK {
            return Ok(());
        }
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m.mode & 0o7777))
            .map_err(|e| host_err(p, e))?;
        let times = std::fs::FileTimes::new()
            .set_accessed(to_system_time(m.times[0]))
            .set_modified(to_system_time(m.times[1]));
        std::fs::File::open(p)
            .and_then(|f| f.set_times(times))
            .map_err(|e| host_err(p, e))
    }
}

/// The mounted image.
pub struct Image<'a>(pub &'a Kernel);

fn image_meta(st: &rump::file::Stat) -> Meta {
    Meta {
        mode: st.mode,
        uid: st.uid,
        gid: st.gid,
        nlink: u64::from(st.nlink),
        id: (st.dev, st.ino),
        times: [st.atime, st.mtime],
    }
}

impl Side for Image<'_> {
    fn lstat(&self, p: &str) -> Result<Meta, Failure> {
        self.0
            .sys_lstat(p)
            .map(|s| image_meta(&s))
            .map_err(|e| kern_err(p, e))
    }
    fn stat(&self, p: &str) -> Result<Meta, Failure> {
        self.0
            .sys_stat(p)
            .map(|s| image_meta(&s))
            .map_err(|e| kern_err(p, e))
    }
    fn list(&self, p: &str) -> Result<Vec<String>, Failure> {
        tree::read_dir(self.0, p).map_err(|e| kern_err(p, e))
    }
    fn mkdir(&self, p: &str, mode: u32) -> Result<(), Failure> {
        self.0
            .sys_mkdir(p, mode & 0o7777)
            .map_err(|e| kern_err(p, e))
    }
    fn read_into(&self, p: &str, sink: &mut Sink) -> Result<(), Failure> {
        let k = self.0;
        let fd = k.sys_open(p, O_RDONLY, 0).map_err(|e| kern_err(p, e))?;
        let mut buf = vec![0u8; 64 * 1024];
        let r = loop {
            match k.sys_read(fd, &mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    if let Err(f) = sink(&buf[..n]) {
                        break Err(f);
                    }
                }
                Err(e) => break Err(kern_err(p, e)),
            }
        };
        let _ = k.sys_close(fd);
        r
    }
    fn write_from(&self, p: &str, mode: u32, source: &mut Source) -> Result<(), Failure> {
        let k = self.0;
        let fd = k
            .sys_open(p, O_WRONLY | O_CREAT | O_TRUNC, mode & 0o7777)
            .map_err(|e| kern_err(p, e))?;
        let r = source(&mut |chunk| tree::write_all(k, fd, chunk).map_err(|e| kern_err(p, e)));
        let closed = k.sys_close(fd).map_err(|e| kern_err(p, e));
        r.and(closed)
    }
    fn readlink(&self, p: &str) -> Result<String, Failure> {
        self.0
            .sys_readlink(p)
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .map_err(|e| kern_err(p, e))
    }
    fn symlink(&self, target: &str, p: &str) -> Result<(), Failure> {
        self.0.sys_symlink(target, p).map_err(|e| kern_err(p, e))
    }
    fn link(&self, existing: &str, p: &str) -> Result<(), Failure> {
        self.0.sys_link(existing, p).map_err(|e| kern_err(p, e))
    }
    fn unlink(&self, p: &str) -> Result<(), Failure> {
        self.0.sys_unlink(p).map_err(|e| kern_err(p, e))
    }
    fn mkfifo(&self, p: &str, mode: u32) -> Result<(), Failure> {
        self.0
            .sys_mkfifo(p, mode & 0o7777)
            .map_err(|e| kern_err(p, e))
    }
    fn set_attrs(&self, p: &str, m: &Meta, owner: bool) -> Result<(), Failure> {
        let k = self.0;
        if owner {
            k.sys_lchown(p, m.uid, m.gid).map_err(|e| kern_err(p, e))?;
        }
        if m.mode & S_IFMT == S_IFLNK {
            return Ok(());
        }
        k.sys_chmod(p, m.mode & 0o7777)
            .map_err(|e| kern_err(p, e))?;
        k.sys_utimes(p, m.times[0], m.times[1])
            .map_err(|e| kern_err(p, e))
    }
}

/// `fsu_ecp`'s options.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Copy directories (`-R`).
    pub recursive: bool,
    /// Follow symbolic links instead of copying them (`-L`).
    pub follow: bool,
    /// Name each file copied (`-v`).
    pub verbose: bool,
    /// Give copies the source's owner (a put: the image keeps the host's ids).
    pub owner: bool,
    /// Give copies the source's permission bits and times (`fsu_ecp`
    /// always, `fsu_cp` with `-p`).
    pub attrs: bool,
    /// `fsu_cp`'s layout: a directory copied to a name that does not
    /// exist becomes that name, where `fsu_ecp` makes the name and copies
    /// into it.
    pub cp_layout: bool,
}

/// One copy run from side `src` to side `dst`.
pub struct Copier<'a> {
    src: &'a dyn Side,
    dst: &'a dyn Side,
    opts: Options,
    /// First copy of each multiply linked source file: (device, inode) to path.
    linked: HashMap<(u64, u64), String>,
}

fn basename(p: &str) -> &str {
    let t = p.trim_end_matches('/');
    t.rsplit('/').next().filter(|b| !b.is_empty()).unwrap_or(t)
}

impl<'a> Copier<'a> {
    /// A copier from `src` to `dst`.
    pub fn new(src: &'a dyn Side, dst: &'a dyn Side, opts: Options) -> Copier<'a> {
        Copier {
            src,
            dst,
            opts,
            linked: HashMap::new(),
        }
    }

    /// Copy `from` to `to` as `fsu_ecp` does; each failure is reported on
    /// `s` and the copy goes on with the next file.
    pub fn copy(&mut self, s: &mut Session, from: &str, to: &str) {
        let meta = if self.opts.follow {
            self.src.stat(from)
        } else {
            self.src.lstat(from)
        };
        let meta = match meta {
            Ok(m) => m,
            Err((p, why)) => return s.warnx(&format!("{p}: {why}")),
        };
        let to_is_dir = self.dst.stat(to).is_ok_and(|m| m.mode & S_IFMT == S_IFDIR);
        if meta.mode & S_IFMT == S_IFDIR {
            if !self.opts.recursive {
                return s.warnx(&format!("{from}: is a directory"));
            }
            if !to_is_dir && self.opts.cp_layout {
                return self.tree(s, from, to, &meta);
            }
            if !to_is_dir && let Err((p, why)) = self.dst.mkdir(to, 0o777) {
                return s.warnx(&format!("{p}: {why}"));
            }
            let target = tree::join(to, basename(from));
            return self.tree(s, from, &target, &meta);
        }
        let target = if to_is_dir {
            tree::join(to, basename(from))
        } else {
            to.to_string()
        };
        self.node(s, from, &target, &meta);
    }

    fn tree(&mut self, s: &mut Session, from: &str, to: &str, meta: &Meta) {
        // Owner-writable while it is filled, unless no bits are copied.
        let mode = if self.opts.attrs { 0o700 } else { meta.mode };
        let made = self.dst.mkdir(to, mode);
        if let Err((p, why)) = made {
            let exists = self.dst.lstat(to).is_ok_and(|m| m.mode & S_IFMT == S_IFDIR);
            if !exists {
                return s.warnx(&format!("{p}: {why}"));
            }
        }
        match self.src.list(from) {
            Ok(names) => {
                for n in names {
                    let (f, t) = (tree::join(from, &n), tree::join(to, &n));
                    let m = if self.opts.follow {
                        self.src.stat(&f)
                    } else {
                        self.src.lstat(&f)
                    };
                    match m {
                        Ok(m) if m.mode & S_IFMT == S_IFDIR => self.tree(s, &f, &t, &m),
                        Ok(m) => self.node(s, &f, &t, &m),
                        Err((p, why)) => s.warnx(&format!("{p}: {why}")),
                    }
                }
            }
            Err((p, why)) => s.warnx(&format!("{p}: {why}")),
        }
        // Last, so that a read-only directory could still be filled.
        if let Err((p, why)) = self.finish_attrs(to, meta) {
            s.warnx(&format!("{p}: {why}"));
        }
    }

    fn node(&mut self, s: &mut Session, from: &str, to: &str, meta: &Meta) {
        if self.opts.verbose {
            println!("{from} -> {to}");
        }
        if let Err((p, why)) = self.node_inner(from, to, meta) {
            s.warnx(&format!("{p}: {why}"));
        }
    }

    fn node_inner(&mut self, from: &str, to: &str, meta: &Meta) -> Result<(), Failure> {
        let kind = meta.mode & S_IFMT;
        if kind != S_IFDIR && meta.nlink > 1 {
            if let Some(first) = self.linked.get(&meta.id) {
                let _ = self.dst.unlink(to);
                return self.dst.link(first, to);
            }
            self.linked.insert(meta.id, to.to_string());
        }
        match kind {
            S_IFREG => {
                let src = self.src;
                // Writable while it is filled; the source's bits come after.
                let mode = if self.opts.attrs {
                    meta.mode | 0o200
                } else {
                    meta.mode
                };
                self.dst
                    .write_from(to, mode, &mut |write| src.read_into(from, write))?;
            }
            S_IFLNK => {
                let target = self.src.readlink(from)?;
                if self.dst.lstat(to).is_ok() {
                    self.dst.unlink(to)?;
                }
                self.dst.symlink(&target, to)?;
            }
            S_IFIFO => {
                if self.dst.lstat(to).is_ok() {
                    self.dst.unlink(to)?;
                }
                self.dst.mkfifo(to, meta.mode)?;
            }
            _ => {
                let why = "device nodes and sockets are not copied yet";
                return Err((from.to_string(), why.into()));
            }
        }
        self.finish_attrs(to, meta)
    }

    /// The attributes a copy takes from its source, by the options.
    fn finish_attrs(&self, to: &str, meta: &Meta) -> Result<(), Failure> {
        if self.opts.attrs {
            return self.dst.set_attrs(to, meta, self.opts.owner);
        }
        Ok(())
    }
}

/// `fsu_ecp`, `fsu_put` and `fsu_get` after their options: copy each
/// source to the last operand, `put` from the host into the image, else
/// from the image to the host.
pub fn run_ecp(cmd: crate::session::Command, put: bool) -> ! {
    let a = &cmd.args;
    if a.operands.len() < 2 {
        cmd.usage();
    }
    let opts = Options {
        recursive: a.has('R'),
        follow: a.has('L'),
        verbose: a.has('v'),
        owner: put,
        attrs: true,
        cp_layout: false,
    };
    let (to, from) = a
        .operands
        .split_last()
        .map(|(t, f)| (t.clone(), f.to_vec()))
        .unwrap_or_default();
    let access = if put {
        crate::Access::ReadWrite
    } else {
        crate::Access::ReadOnly
    };
    let mut s = cmd.mount(access);
    let k = s.kernel();
    let image = Image(&k);
    let host = Host;
    let (src, dst): (&dyn Side, &dyn Side) = if put {
        (&host, &image)
    } else {
        (&image, &host)
    };
    let mut c = Copier::new(src, dst, opts);
    for f in &from {
        // As fs-utils: trailing slashes go, "/" stays.
        let f = if f.len() > 1 {
            f.trim_end_matches('/')
        } else {
            f.as_str()
        };
        c.copy(&mut s, f, &to);
    }
    drop(c);
    s.finish()
}
