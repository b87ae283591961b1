//! Comparing the whole tree: listings, attributes, contents and open
//! descriptors, against the model.

use super::*;

impl Harness {
    /// getdents on `fd` must list exactly the model's entries of `dir`, each
    /// once, with the right types and inode numbers, plus "." and ".."
    /// (not on rumpfs).
    pub(crate) fn compare_listing(&mut self, path: &str, dir: Id, fd: i32) {
        let ents = match self.k.sys_getdents(fd) {
            Ok(e) => e,
            Err(e) => self.diverged(format!("getdents of {path:?}: {e:?}")),
        };
        let mut seen = BTreeMap::new();
        for d in &ents {
            let name = String::from_utf8_lossy(&d.name).into_owned();
            if seen.insert(name.clone(), (d.ino, d.typ)).is_some() {
                self.diverged(format!("getdents of {path:?} lists {name:?} twice"));
            }
        }
        let dot = seen.remove(".");
        let dotdot = seen.remove("..");
        if self.fs == Fs::Rumpfs {
            // NetBSD's rumpfs lists neither, and the newest entry first:
            // without renames and links, the highest number first.
            if dot.is_some() || dotdot.is_some() {
                self.diverged(format!("getdents of {path:?} lists \".\" or \"..\""));
            }
            if ents.windows(2).any(|w| w[0].ino < w[1].ino) {
                self.diverged(format!("getdents of {path:?} is not newest first"));
            }
        } else {
            if dot.is_none() || dotdot.is_none() {
                self.diverged(format!(
                    "getdents of {path:?} lacks \".\" or \"..\": {seen:?}"
                ));
            }
            let (dot_ino, _) = dot.unwrap();
            self.observe(dir, dot_ino, &format!("\".\" of {path:?}"));
            if dir != self.model.root {
                let parent = self.model.parent(dir);
                self.observe(parent, dotdot.unwrap().0, &format!("\"..\" of {path:?}"));
            }
        }
        let want: Vec<(String, Id)> = self
            .model
            .entries(dir)
            .iter()
            .map(|(n, &id)| (n.clone(), id))
            .collect();
        let got_names: Vec<&String> = seen.keys().collect();
        let want_names: Vec<&String> = want.iter().map(|(n, _)| n).collect();
        if got_names != want_names {
            self.diverged(format!(
                "listing of {path:?}: got {got_names:?}, want {want_names:?}"
            ));
        }
        for (name, id) in want {
            let (ino, typ) = seen[&name];
            let want_typ = if self.model.is_dir(id) {
                DT_DIR
            } else {
                DT_REG
            };
            if typ != want_typ {
                self.diverged(format!(
                    "d_type of {path:?}/{name}: got {typ}, want {want_typ}"
                ));
            }
            self.observe(id, ino, &format!("dirent {path:?}/{name}"));
        }
    }

    /// stat `path` and compare it with the model.
    pub(crate) fn check_path(&mut self, path: &str) {
        let want = self.model.lookup(&comps(path));
        let got = self.k.sys_lstat(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(st)) => self.compare_stat(id, &st, &format!("lstat({path})")),
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "lstat({path}): got {:?}, want {:?}",
                g.map(|st| (st.mode, st.size, st.nlink)),
                w
            )),
        }
    }

    /// stat the directory `path` is in (its link count may have changed).
    pub(crate) fn check_parent(&mut self, path: &str) {
        match path.rsplit_once('/') {
            Some((parent, _)) => self.check_path(parent),
            None => {
                let st = self.k.sys_lstat(&self.base).unwrap();
                self.compare_stat(self.model.root, &st, "lstat of the test directory");
            }
        }
    }

    pub(crate) fn compare_stat(&mut self, id: Id, st: &rump::file::Stat, what: &str) {
        let is_dir = self.model.is_dir(id);
        let want_type = if is_dir { S_IFDIR } else { S_IFREG };
        if st.mode & S_IFMT != want_type {
            self.diverged(format!(
                "{what}: mode {:o}, want type {want_type:o}",
                st.mode
            ));
        }
        // NetBSD's rumpfs keeps a directory's count at 2 (`makeprivate`).
        let want_nlink = if is_dir && self.fs == Fs::Rumpfs {
            2
        } else {
            self.model.nlink(id)
        };
        if st.nlink != want_nlink {
            self.diverged(format!("{what}: nlink {}, want {want_nlink}", st.nlink));
        }
        if !is_dir {
            let size = self.model.file(id).len() as i64;
            if st.size != size {
                self.diverged(format!("{what}: size {}, want {size}", st.size));
            }
        }
        self.observe(id, st.ino, what);
    }

    pub(crate) fn check_fd(&mut self, slot: usize) {
        let (fd, id) = (self.fds[slot].fd, self.fds[slot].id);
        match self.k.sys_fstat(fd) {
            Ok(st) => self.compare_stat(id, &st, &format!("fstat({fd})")),
            Err(e) => self.diverged(format!("fstat({fd}): {e:?}")),
        }
    }

    /// pread `len` bytes at `off`, retrying short reads.
    pub(crate) fn pread_all(&self, fd: i32, off: u64, len: usize) -> Result<Vec<u8>, Errno> {
        let mut out = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let n = self
                .k
                .sys_pread(fd, &mut out[done..], (off as usize + done) as i64)?;
            if n == 0 {
                break;
            }
            done += n;
        }
        out.truncate(done);
        Ok(out)
    }

    /// Compare everything: every listing, every object's attributes, every
    /// file's contents, every open descriptor.
    pub(crate) fn full_check(&mut self) {
        let root_fd = match self.k.sys_open(&self.base, O_RDONLY | O_DIRECTORY, 0) {
            Ok(fd) => fd,
            Err(e) => self.diverged(format!("open of the test directory: {e:?}")),
        };
        self.compare_listing("", self.model.root, root_fd);
        self.k.sys_close(root_fd).unwrap();
        for (path, id) in self.model.paths() {
            self.check_path(&path);
            if self.model.is_dir(id) {
                self.do_readdir(&path);
            } else {
                let want = self.model.file(id).clone();
                let fd = match self.k.sys_open(&self.abs(&path), O_RDONLY, 0) {
                    Ok(fd) => fd,
                    Err(e) => self.diverged(format!("open({path}) for the full check: {e:?}")),
                };
                let got = self.pread_all(fd, 0, want.len() + 1);
                self.k.sys_close(fd).unwrap();
                if got.as_deref() != Ok(&want[..]) {
                    self.diverged(format!("contents of {path}: {}", describe_diff(got, &want)));
                }
            }
        }
        for slot in 0..self.fds.len() {
            self.check_fd(slot);
            let (fd, id, read) = (self.fds[slot].fd, self.fds[slot].id, self.fds[slot].read);
            if read {
                let want = self.model.file(id).clone();
                let got = self.pread_all(fd, 0, want.len() + 1);
                if got.as_deref() != Ok(&want[..]) {
                    self.diverged(format!(
                        "contents through fd {fd}: {}",
                        describe_diff(got, &want)
                    ));
                }
            }
        }
    }
}
