//! Applying an operation to the file system and to the model, and
//! comparing the results of each.

use super::*;

impl Harness {
    pub(crate) fn apply(&mut self, op: &Op) {
        match op {
            Op::Open { path, flags } => self.do_open(path, *flags),
            Op::Close { slot } => {
                let f = self.fds.remove(*slot);
                if let Err(e) = self.k.sys_close(f.fd) {
                    self.diverged(format!("close({}) failed: {e:?}", f.fd));
                }
                let n = self.model.nodes.get_mut(&f.id).unwrap();
                n.opens -= 1;
                if n.opens == 0 && n.links == 0 {
                    self.model.nodes.remove(&f.id);
                    self.forget(vec![f.id]);
                }
            }
            Op::Pwrite {
                slot,
                off,
                len,
                tag,
            } => self.do_write(*slot, Some(*off), *len, *tag),
            Op::Write { slot, len, tag } => self.do_write(*slot, None, *len, *tag),
            Op::Pread { slot, off, len } => self.do_read(*slot, Some(*off), *len),
            Op::Read { slot, len } => self.do_read(*slot, None, *len),
            Op::Lseek { slot, off, whence } => self.do_lseek(*slot, *off, *whence),
            Op::Ftruncate { slot, len } => {
                let f = &self.fds[*slot];
                let (fd, id, write) = (f.fd, f.id, f.write);
                let got = self.k.sys_ftruncate(fd, *len as i64);
                let want = if write { Ok(()) } else { Err(Errno::EINVAL) };
                if got != want {
                    self.diverged(format!(
                        "ftruncate({fd}, {len}): got {got:?}, want {want:?}"
                    ));
                }
                if got.is_ok() {
                    self.model.file_mut(id).resize(*len as usize, 0);
                }
                self.check_fd(*slot);
            }
            Op::Truncate { path, len } => {
                let want = match self.model.lookup(&comps(path)) {
                    Err(e) => Err(e),
                    Ok(id) if self.model.is_dir(id) => Err(Errno::EISDIR),
                    Ok(id) => Ok(id),
                };
                let got = self.k.sys_truncate(&self.abs(path), *len as i64);
                match (want, got) {
                    (Ok(id), Ok(())) => self.model.file_mut(id).resize(*len as usize, 0),
                    (Err(w), Err(g)) if w == g => {}
                    (w, g) => self.diverged(format!(
                        "truncate({path}, {len}): got {g:?}, want {:?}",
                        w.map(|_| ())
                    )),
                }
                self.check_path(path);
            }
            Op::Fstat { slot } => self.check_fd(*slot),
            Op::Stat { path } => self.check_path(path),
            Op::Unlink { path } => self.do_unlink(path),
            Op::Mkdir { path } => self.do_mkdir(path),
            Op::Rmdir { path } => self.do_rmdir(path),
            Op::Rename { from, to } => self.do_rename(from, to),
            Op::Link { from, to } => self.do_link(from, to),
            Op::Readdir { path } => self.do_readdir(path),
        }
    }

    pub(crate) fn do_open(&mut self, path: &str, flags: i32) {
        let c = comps(path);
        let acc = flags & 3;
        let writes = acc != O_RDONLY;
        // (node or "create", is a directory)
        let want: Result<Option<Id>, Errno> = match self.model.lookup_parent(&c) {
            Err(e) => Err(e),
            Ok(dir) => match self.model.entries(dir).get(*c.last().unwrap()) {
                Some(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => Err(Errno::EEXIST),
                Some(&id) if self.model.is_dir(id) && (writes || flags & O_TRUNC != 0) => {
                    Err(Errno::EISDIR)
                }
                Some(&id) => Ok(Some(id)),
                None if flags & O_CREAT != 0 => Ok(None),
                None => Err(Errno::ENOENT),
            },
        };
        let got = self.k.sys_open(&self.abs(path), flags, 0o644);
        let fd = match (&want, got) {
            (Ok(_), Ok(fd)) => fd,
            (Err(w), Err(g)) if *w == g => return,
            (w, g) => self.diverged(format!("open({path}, {flags:#x}): got {g:?}, want {w:?}")),
        };
        let id = match want.unwrap() {
            Some(id) if self.model.is_dir(id) => {
                // a directory opened for reading: nothing to track
                if let Err(e) = self.k.sys_close(fd) {
                    self.diverged(format!("close of a directory descriptor: {e:?}"));
                }
                return;
            }
            Some(id) => {
                if flags & O_TRUNC != 0 {
                    self.model.file_mut(id).clear();
                }
                id
            }
            None => {
                let dir = self.model.lookup_parent(&c).unwrap();
                let id = self.model.new_node(Kind::File(Vec::new()), 1);
                self.model
                    .entries_mut(dir)
                    .insert(c.last().unwrap().to_string(), id);
                id
            }
        };
        self.model.nodes.get_mut(&id).unwrap().opens += 1;
        self.fds.push(OpenFile {
            fd,
            id,
            read: acc != O_WRONLY,
            write: writes,
            append: flags & O_APPEND != 0,
            offset: 0,
        });
        self.check_fd(self.fds.len() - 1);
        self.check_path(path);
    }

    pub(crate) fn do_write(&mut self, slot: usize, off: Option<u64>, len: usize, tag: u8) {
        let f = &self.fds[slot];
        let (fd, id, append) = (f.fd, f.id, f.append);
        let size = self.model.file(id).len() as u64;
        // NetBSD: an O_APPEND descriptor writes at the end, pwrite included.
        let at = if append {
            size
        } else {
            off.unwrap_or(f.offset)
        };
        let buf = data(tag, at, len);
        let got = match off {
            Some(o) => self.k.sys_pwrite(fd, &buf, o as i64),
            None => self.k.sys_write(fd, &buf),
        };
        let want = if f.write { Ok(len) } else { Err(Errno::EBADF) };
        if got != want {
            self.diverged(format!(
                "{}({fd}, {len} bytes{}): got {got:?}, want {want:?}",
                if off.is_some() { "pwrite" } else { "write" },
                off.map(|o| format!(" at {o}")).unwrap_or_default()
            ));
        }
        if got.is_ok() {
            let d = self.model.file_mut(id);
            let end = at as usize + len;
            if d.len() < end {
                d.resize(end, 0);
            }
            d[at as usize..end].copy_from_slice(&buf);
            if off.is_none() {
                self.fds[slot].offset = end as u64;
            }
            // read the written range back
            if self.fds[slot].read {
                let back = self.pread_all(fd, at, len);
                if back.as_deref() != Ok(&buf[..]) {
                    self.diverged(format!(
                        "reading back {len} bytes written at {at} through fd {fd}: {}",
                        describe_diff(back, &buf)
                    ));
                }
            }
        }
        self.check_fd(slot);
    }

    pub(crate) fn do_read(&mut self, slot: usize, off: Option<u64>, len: usize) {
        let f = &self.fds[slot];
        let (fd, id) = (f.fd, f.id);
        let at = off.unwrap_or(f.offset);
        let mut buf = vec![0u8; len];
        let got = match off {
            Some(o) => self.k.sys_pread(fd, &mut buf, o as i64),
            None => self.k.sys_read(fd, &mut buf),
        };
        if !f.read {
            if got != Err(Errno::EBADF) {
                self.diverged(format!(
                    "read on write-only fd {fd}: got {got:?}, want EBADF"
                ));
            }
            return;
        }
        let d = self.model.file(id);
        let start = (at as usize).min(d.len());
        let end = (at as usize + len).min(d.len());
        let want = &d[start..end];
        match got {
            Ok(n) if n == want.len() && &buf[..n] == want => {}
            Ok(n) => self.diverged(format!(
                "read {len} at {at} from fd {fd} (size {}): got {n} bytes, {}",
                d.len(),
                describe_diff(Ok(buf[..n].to_vec()), want)
            )),
            Err(e) => self.diverged(format!("read {len} at {at} from fd {fd}: {e:?}")),
        }
        if off.is_none() {
            self.fds[slot].offset = at + want.len() as u64;
        }
    }

    pub(crate) fn do_lseek(&mut self, slot: usize, off: i64, whence: i32) {
        let f = &self.fds[slot];
        let fd = f.fd;
        let base = match whence {
            SEEK_SET => 0,
            SEEK_CUR => f.offset as i64,
            _ => self.model.file(f.id).len() as i64,
        };
        let want = if base + off < 0 {
            Err(Errno::EINVAL)
        } else {
            Ok(base + off)
        };
        let got = self.k.sys_lseek(fd, off, whence);
        if got != want {
            self.diverged(format!(
                "lseek({fd}, {off}, {whence}): got {got:?}, want {want:?}"
            ));
        }
        if let Ok(n) = got {
            self.fds[slot].offset = n as u64;
        }
    }

    pub(crate) fn do_unlink(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup(&c) {
            Err(e) => Err(e),
            Ok(id) if self.model.is_dir(id) => Err(Errno::EPERM),
            Ok(id) => Ok(id),
        };
        let got = self.k.sys_unlink(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(())) => {
                let dir = self.model.lookup_parent(&c).unwrap();
                self.model.entries_mut(dir).remove(*c.last().unwrap());
                let dead = self.model.unref(id);
                self.forget(dead);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "unlink({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    pub(crate) fn do_mkdir(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup_parent(&c) {
            Err(e) => Err(e),
            Ok(dir) if self.model.entries(dir).contains_key(*c.last().unwrap()) => {
                Err(Errno::EEXIST)
            }
            Ok(dir) => Ok(dir),
        };
        let got = self.k.sys_mkdir(&self.abs(path), 0o755);
        match (want, got) {
            (Ok(dir), Ok(())) => {
                let id = self.model.new_node(Kind::Dir(BTreeMap::new(), dir), 0);
                self.model
                    .entries_mut(dir)
                    .insert(c.last().unwrap().to_string(), id);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "mkdir({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    pub(crate) fn do_rmdir(&mut self, path: &str) {
        let c = comps(path);
        let want = match self.model.lookup(&c) {
            Err(e) => Err(e),
            Ok(id) if !self.model.is_dir(id) => Err(Errno::ENOTDIR),
            Ok(id) if !self.model.entries(id).is_empty() => Err(Errno::ENOTEMPTY),
            Ok(id) => Ok(id),
        };
        let got = self.k.sys_rmdir(&self.abs(path));
        match (want, got) {
            (Ok(id), Ok(())) => {
                let dir = self.model.lookup_parent(&c).unwrap();
                self.model.entries_mut(dir).remove(*c.last().unwrap());
                let dead = self.model.unref(id);
                self.forget(dead);
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "rmdir({path}): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
        self.check_path(path);
        self.check_parent(path);
    }

    /// rename as NetBSD does it: lookup errors of the source first, then of
    /// the target; then the rename rules. Where several rules are broken at
    /// once NetBSD's order is an implementation detail, so any of their
    /// errors is accepted; where exactly one is broken, only its errno.
    pub(crate) fn rename_want(&self, from: &str, to: &str) -> Result<(), Vec<Errno>> {
        let m = &self.model;
        let fc = comps(from);
        let tc = comps(to);
        let src = m.lookup(&fc).map_err(|e| vec![e])?;
        let tdir = m.lookup_parent(&tc).map_err(|e| vec![e])?;
        if self.fs == Fs::Rumpfs {
            // NetBSD's rumpfs refuses the target's lookup for RENAME.
            return Err(vec![Errno::EOPNOTSUPP]);
        }
        let tgt = m.entries(tdir).get(*tc.last().unwrap()).copied();
        let fdir = m.lookup_parent(&fc).unwrap();
        if fdir == tdir && fc.last() == tc.last() {
            return Ok(()); // the same entry: nothing to do
        }
        if tgt == Some(src) {
            return Ok(()); // hard links of one file: the source name goes
        }
        let mut errs = Vec::new();
        let src_dir = m.is_dir(src);
        if src_dir && m.is_ancestor(src, tdir) {
            errs.push(Errno::EINVAL);
        }
        if let Some(t) = tgt {
            let t_dir = m.is_dir(t);
            if src_dir && !t_dir {
                errs.push(Errno::ENOTDIR);
            }
            if !src_dir && t_dir {
                errs.push(Errno::EISDIR);
            }
            if src_dir && t_dir && !m.entries(t).is_empty() {
                errs.push(Errno::ENOTEMPTY);
            }
            if t_dir && m.is_ancestor(t, fdir) {
                // the target contains the source: also refused as EINVAL
                errs.push(Errno::EINVAL);
                if !src_dir {
                    errs.push(Errno::EISDIR);
                } else {
                    errs.push(Errno::ENOTEMPTY);
                }
                if self.fs == Fs::Nfs {
                    errs.push(nfs::TARGET_CONTAINS_SOURCE);
                }
            }
        }
        if errs.is_empty() { Ok(()) } else { Err(errs) }
    }

    pub(crate) fn do_rename(&mut self, from: &str, to: &str) {
        let want = self.rename_want(from, to);
        let got = self.k.sys_rename(&self.abs(from), &self.abs(to));
        match (&want, got) {
            (Ok(()), Ok(())) => self.apply_rename(from, to),
            (Err(set), Err(g)) if set.contains(&g) => {}
            (w, g) => self.diverged(format!("rename({from}, {to}): got {g:?}, want {w:?}")),
        }
        for p in [from, to] {
            self.check_path(p);
            self.check_parent(p);
        }
    }

    pub(crate) fn apply_rename(&mut self, from: &str, to: &str) {
        let fc = comps(from);
        let tc = comps(to);
        let m = &mut self.model;
        let src = m.lookup(&fc).unwrap();
        let fdir = m.lookup_parent(&fc).unwrap();
        let tdir = m.lookup_parent(&tc).unwrap();
        let fname = fc.last().unwrap().to_string();
        let tname = tc.last().unwrap().to_string();
        if fdir == tdir && fname == tname {
            return;
        }
        let tgt = m.entries(tdir).get(&tname).copied();
        m.entries_mut(fdir).remove(&fname);
        let dead = if tgt == Some(src) {
            // hard links of one file: NetBSD removes the source name
            m.unref(src)
        } else {
            m.entries_mut(tdir).insert(tname, src);
            if m.is_dir(src) {
                m.set_parent(src, tdir);
            }
            match tgt {
                Some(t) => m.unref(t),
                None => Vec::new(),
            }
        };
        self.forget(dead);
    }

    pub(crate) fn do_link(&mut self, from: &str, to: &str) {
        let fc = comps(from);
        let tc = comps(to);
        let want: Result<Id, Vec<Errno>> = (|| {
            let m = &self.model;
            let src = m.lookup(&fc).map_err(|e| vec![e])?;
            let tdir = m.lookup_parent(&tc).map_err(|e| vec![e])?;
            let exists = m.entries(tdir).contains_key(*tc.last().unwrap());
            let mut errs = Vec::new();
            if exists {
                errs.push(Errno::EEXIST);
            }
            if m.is_dir(src) {
                errs.push(Errno::EPERM);
            }
            if errs.is_empty() && self.fs == Fs::Rumpfs {
                // NetBSD's rumpfs has no VOP_LINK.
                errs.push(Errno::EOPNOTSUPP);
            }
            if errs.is_empty() { Ok(src) } else { Err(errs) }
        })();
        let got = self.k.sys_link(&self.abs(from), &self.abs(to));
        match (&want, got) {
            (Ok(src), Ok(())) => {
                let src = *src;
                let tdir = self.model.lookup_parent(&tc).unwrap();
                self.model
                    .entries_mut(tdir)
                    .insert(tc.last().unwrap().to_string(), src);
                self.model.nodes.get_mut(&src).unwrap().links += 1;
            }
            (Err(set), Err(g)) if set.contains(&g) => {}
            (w, g) => self.diverged(format!("link({from}, {to}): got {g:?}, want {w:?}")),
        }
        self.check_path(from);
        self.check_path(to);
    }

    pub(crate) fn do_readdir(&mut self, path: &str) {
        let want = if path.is_empty() {
            Ok(self.model.root)
        } else {
            match self.model.lookup(&comps(path)) {
                Ok(id) if !self.model.is_dir(id) => Err(Errno::ENOTDIR),
                r => r,
            }
        };
        let abs = if path.is_empty() {
            self.base.clone()
        } else {
            self.abs(path)
        };
        let got = self.k.sys_open(&abs, O_RDONLY | O_DIRECTORY, 0);
        match (want, got) {
            (Ok(id), Ok(fd)) => {
                self.compare_listing(path, id, fd);
                if let Err(e) = self.k.sys_close(fd) {
                    self.diverged(format!("close of directory fd: {e:?}"));
                }
            }
            (Err(w), Err(g)) if w == g => {}
            (w, g) => self.diverged(format!(
                "open({path:?}, O_DIRECTORY): got {g:?}, want {:?}",
                w.map(|_| ())
            )),
        }
    }
}
