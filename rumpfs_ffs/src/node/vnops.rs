//! The vnode operations of an FFS inode: what the VFS calls on it.

use super::*;

impl Node for FfsNode {
    fn ino(&self) -> u64 {
        self.ino
    }

    fn getattr(&self) -> Attr {
        let st = self.st();
        let d = &st.d;
        let ts = |s: (i64, i32)| (s.0, i64::from(s.1));
        Attr {
            typ: vtype_of(d.mode),
            mode: u32::from(d.mode & ALLPERMS),
            nlink: u32::from(d.nlink),
            uid: d.uid,
            gid: d.gid,
            ino: self.ino,
            size: d.size,
            bytes: d.blocks.saturating_mul(DEV_BSIZE),
            rdev: match d.ifmt() {
                dinode::IFBLK | dinode::IFCHR => d.rdev(self.fs.version()),
                _ => 0,
            },
            atime: ts(d.atime),
            mtime: ts(d.mtime),
            ctime: ts(d.ctime),
            birthtime: ts(d.birthtime),
            gen_: d.gen_,
            flags: d.flags,
        }
    }

    fn setattr(&self, s: &SetAttr) -> KResult<()> {
        let _change = self.fs.change()?;
        let mut st = self.st();
        if let Some(size) = s.size {
            match st.d.ifmt() {
                dinode::IFREG => {}
                IFDIR => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            let res = self.fs.truncate(self.ino, &mut st.d, size);
            st.dirty = true;
            res?;
            self.touch(&mut st, true, false);
        }
        if let Some(m) = s.mode {
            st.d.mode = (st.d.mode & IFMT) | (m as u16 & ALLPERMS);
        }
        if let Some(u) = s.uid {
            st.d.uid = u;
        }
        if let Some(g) = s.gid {
            st.d.gid = g;
        }
        if let Some(a) = s.atime {
            st.d.atime = (a.0, a.1 as i32);
        }
        if let Some(m) = s.mtime {
            st.d.mtime = (m.0, m.1 as i32);
        }
        if let Some(f) = s.flags {
            st.d.flags = f;
        }
        self.touch(&mut st, false, true);
        Ok(())
    }

    fn lookup(&self, name: &[u8]) -> KResult<Arc<dyn Node>> {
        Ok(self.child(name)? as Arc<dyn Node>)
    }

    fn parent(&self) -> KResult<Arc<dyn Node>> {
        if self.ino == ROOTINO {
            return Ok(self.fs.iget(ROOTINO)? as Arc<dyn Node>);
        }
        self.lookup(b"..")
    }

    fn create(&self, name: &[u8], new: NewNode) -> KResult<Arc<dyn Node>> {
        let _change = self.fs.change()?;
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let dir = new.typ == VType::Dir;
        if dir && st.d.nlink >= LINK_MAX {
            return Err(Errno::EMLINK);
        }
        let mode = ifmt_of(new.typ) | (new.mode as u16 & ALLPERMS);
        let rdev = if matches!(new.typ, VType::Blk | VType::Chr) {
            new.rdev
        } else {
            0
        };
        let node = self.new_inode(mode, new.uid, new.gid, rdev)?;
        if dir {
            let mut ns = node.st();
            let chunk = self
                .fs
                .dirfmt()
                .new_dir_chunk(node.ino as u32, self.ino as u32);
            let res = node.write_chunk(&mut ns, 0, &chunk);
            if let Err(e) = res {
                ns.d.nlink = 0;
                return Err(e);
            }
        }
        if let Err(e) = self.dir_add(&mut st, name, node.ino, dt_of(new.typ)) {
            node.st().d.nlink = 0;
            return Err(e);
        }
        if dir {
            st.d.nlink += 1;
        }
        Ok(node as Arc<dyn Node>)
    }

    fn symlink(&self, name: &[u8], target: &[u8], uid: u32, gid: u32) -> KResult<Arc<dyn Node>> {
        let _change = self.fs.change()?;
        if target.len() as u64 >= MAXPATHLEN {
            return Err(Errno::ENAMETOOLONG);
        }
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let node = self.new_inode(IFLNK | 0o777, uid, gid, 0)?;
        {
            let mut ns = node.st();
            let (v, e) = (self.fs.version(), self.fs.geo.endian);
            if (target.len() as u64) < self.fs.geo.maxsymlinklen {
                ns.d.set_addr_bytes(v, e, target);
                ns.d.size = target.len() as u64;
            } else {
                let r = self.fs.write_data(node.ino, &mut ns.d, 0, target);
                if !matches!(r, Ok(n) if n == target.len()) {
                    ns.d.nlink = 0;
                    return Err(r.err().unwrap_or(Errno::ENOSPC));
                }
            }
            ns.dirty = true;
        }
        if let Err(e) = self.dir_add(&mut st, name, node.ino, dt::LNK) {
            node.st().d.nlink = 0;
            return Err(e);
        }
        Ok(node as Arc<dyn Node>)
    }

    fn link(&self, name: &[u8], target: &Arc<dyn Node>) -> KResult<()> {
        let _change = self.fs.change()?;
        let t = Self::downcast(target)?;
        self.same_fs(t)?;
        if t.ino == self.ino {
            // A directory, which takes no hard links (checked here, before
            // its lock would be taken twice).
            return Err(Errno::EPERM);
        }
        let _ns = lock(&self.fs.names);
        let mut st = self.st();
        self.check_name_free(&mut st, name)?;
        let typ = {
            let mut ts = t.st();
            if ts.d.ifmt() == IFDIR {
                return Err(Errno::EPERM);
            }
            if ts.d.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            if ts.d.nlink >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            ts.d.nlink += 1;
            self.touch(&mut ts, false, true);
            dt_of(vtype_of(ts.d.mode))
        };
        if let Err(e) = self.dir_add(&mut st, name, t.ino, typ) {
            t.st().d.nlink -= 1;
            return Err(e);
        }
        Ok(())
    }

    fn remove(&self, name: &[u8], dir: bool) -> KResult<()> {
        let _change = self.fs.change()?;
        let _ns = lock(&self.fs.names);
        let victim = self.child(name)?;
        if victim.ino == self.ino {
            // Only `.` names a directory from inside it: a damaged entry.
            return Err(Errno::EIO);
        }
        let mut st = self.st();
        {
            let mut vs = victim.st();
            match (vs.d.ifmt() == IFDIR, dir) {
                (true, true) => {
                    if !victim.dir_is_empty(&mut vs)? {
                        return Err(Errno::ENOTEMPTY);
                    }
                }
                (true, false) => return Err(Errno::EPERM),
                (false, true) => return Err(Errno::ENOTDIR),
                (false, false) => {}
            }
        }
        self.dir_remove(&mut st, name)?;
        let mut vs = victim.st();
        if dir {
            vs.d.nlink = 0;
            st.d.nlink = st.d.nlink.saturating_sub(1);
            // NetBSD cuts a removed directory down at once.
            let res = self.fs.truncate(victim.ino, &mut vs.d, 0);
            vs.dirty = true;
            res?;
            vs.index = None;
        } else {
            vs.d.nlink = vs.d.nlink.saturating_sub(1);
        }
        self.touch(&mut vs, false, true);
        Ok(())
    }

    fn rename(&self, from: &[u8], to_dir: &Arc<dyn Node>, to: &[u8]) -> KResult<()> {
        let _change = self.fs.change()?;
        let dst = Self::downcast(to_dir)?;
        self.same_fs(dst)?;
        let _ns = lock(&self.fs.names);
        let src = self.child(from)?;
        let src_dir = src.is_dir();
        let same_dir = dst.ino == self.ino;
        if src_dir && !same_dir && dst.is_within(src.ino)? {
            return Err(Errno::EINVAL);
        }
        let existing = match dst.child(to) {
            Ok(n) => Some(n),
            Err(Errno::ENOENT) => None,
            Err(e) => return Err(e),
        };
        let typ = dt_of(vtype_of(src.st().d.mode));
        if let Some(ex) = &existing {
            if ex.ino == src.ino {
                // Two names of one file: the source name goes, unless it is
                // the very same entry.
                if same_dir && from == to {
                    return Ok(());
                }
                let mut st = self.st();
                self.dir_remove(&mut st, from)?;
                let mut ss = src.st();
                ss.d.nlink = ss.d.nlink.saturating_sub(1);
                self.touch(&mut ss, false, true);
                return Ok(());
            }
            let ex_dir = ex.is_dir();
            match (ex_dir, src_dir) {
                (true, true) => {
                    let mut es = ex.st();
                    if !ex.dir_is_empty(&mut es)? {
                        return Err(Errno::ENOTEMPTY);
                    }
                }
                (true, false) => return Err(Errno::EISDIR),
                (false, true) => return Err(Errno::ENOTDIR),
                (false, false) => {}
            }
            {
                let mut ds = if same_dir { self.st() } else { dst.st() };
                let node = if same_dir { self } else { dst };
                node.dir_retarget(&mut ds, to, src.ino, typ)?;
                if ex_dir {
                    ds.d.nlink = ds.d.nlink.saturating_sub(1);
                }
            }
            let mut es = ex.st();
            if ex_dir {
                es.d.nlink = 0;
                let res = self.fs.truncate(ex.ino, &mut es.d, 0);
                es.dirty = true;
                res?;
                es.index = None;
            } else {
                es.d.nlink = es.d.nlink.saturating_sub(1);
            }
            self.touch(&mut es, false, true);
        } else {
            let mut ds = if same_dir { self.st() } else { dst.st() };
            let node = if same_dir { self } else { dst };
            if src_dir && !same_dir && ds.d.nlink >= LINK_MAX {
                return Err(Errno::EMLINK);
            }
            node.dir_add(&mut ds, to, src.ino, typ)?;
        }
        {
            let mut st = self.st();
            self.dir_remove(&mut st, from)?;
            if src_dir && !same_dir {
                st.d.nlink = st.d.nlink.saturating_sub(1);
            }
        }
        if src_dir && !same_dir {
            {
                let mut ss = src.st();
                src.dir_retarget(&mut ss, b"..", dst.ino, dt::DIR)?;
            }
            // The moved directory's `..` now counts in its new parent (which
            // lost the replaced directory's, if one was replaced, above).
            let mut ds = dst.st();
            ds.d.nlink = ds.d.nlink.saturating_add(1);
            self.touch(&mut ds, false, true);
        }
        let mut ss = src.st();
        self.touch(&mut ss, false, true);
        Ok(())
    }

    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize> {
        let mut st = self.st();
        match st.d.ifmt() {
            dinode::IFREG => {}
            IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        let n = self.fs.read_data(&st.d, off, buf)?;
        if !self.fs.read_only() && !self.fs.gone() {
            st.d.atime = self.fs.now();
            st.dirty = true;
        }
        Ok(n)
    }

    fn write(&self, off: u64, data: &[u8]) -> KResult<usize> {
        let _change = self.fs.change()?;
        let mut st = self.st();
        match st.d.ifmt() {
            dinode::IFREG => {}
            IFDIR => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        // Even a failed write may have moved blocks: the inode must go out.
        let res = self.fs.write_data(self.ino, &mut st.d, off, data);
        st.dirty = true;
        let n = res?;
        self.touch(&mut st, true, true);
        Ok(n)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let entries: Vec<(Vec<u8>, u32, u8)> = {
            let st = self.st();
            if st.d.ifmt() != IFDIR {
                return Err(Errno::ENOTDIR);
            }
            let blocks = self.fs.dir_blocks(self.ino, &st.d)?;
            blocks
                .into_iter()
                .flatten()
                .filter(|e| e.ino != 0 && e.ino != WINO)
                .map(|e| (e.name, e.ino, e.typ))
                .collect::<Vec<_>>()
        };
        let mut out = Vec::with_capacity(entries.len());
        for (name, ino, t) in entries {
            let typ = match VType::from_dirent_type(t) {
                Some(t) => t,
                // No type in the entry (4.2BSD format): ask the inode.
                None => match self.fs.iget(u64::from(ino)) {
                    Ok(n) => vtype_of(n.st().d.mode),
                    Err(_) => VType::Reg,
                },
            };
            out.push(DirEntry {
                name,
                ino: u64::from(ino),
                typ,
            });
        }
        // `.` and `..` first, as the VFS expects.
        out.sort_by_key(|e| match e.name.as_slice() {
            b"." => 0,
            b".." => 1,
            _ => 2,
        });
        Ok(out)
    }

    fn readlink(&self) -> KResult<Vec<u8>> {
        let st = self.st();
        if st.d.ifmt() != IFLNK {
            return Err(Errno::EINVAL);
        }
        let size = st.d.size;
        if size > MAXPATHLEN {
            return Err(Errno::EIO);
        }
        if self.fs.is_fast_symlink(&st.d) {
            let b = st.d.addr_bytes(self.fs.version(), self.fs.geo.endian);
            return Ok(b[..(size as usize).min(b.len())].to_vec());
        }
        let mut b = vec![0u8; size as usize];
        let n = self.fs.read_data(&st.d, 0, &mut b)?;
        b.truncate(n);
        Ok(b)
    }

    fn fsync(&self) -> KResult<()> {
        self.fs.sync()
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
