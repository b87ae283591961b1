//! DIR keys: a host directory as a read-only tree under its key, each
//! entry a host file or directory reached through it.

use super::*;

/// A stable inode number for a host path (etfs directories have no inodes of their own).
fn path_ino(path: &str) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for b in path.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
    h | 1 << 62
}

/// A host directory under a DIR (files only) or DIR_SUBDIRS key. Its files
/// read and write the host files; the tree takes no new names.
pub struct EtfsDir {
    top: String,
    path: String,
    subdirs: bool,
    /// The kernel's clock, for the times of the directory and its files.
    clock: Arc<rump::clock::KernelClock>,
}

impl EtfsDir {
    pub(super) fn new(
        top: &str,
        path: &str,
        subdirs: bool,
        clock: Arc<rump::clock::KernelClock>,
    ) -> EtfsDir {
        EtfsDir {
            top: top.to_owned(),
            path: path.to_owned(),
            subdirs,
            clock,
        }
    }

    fn child_path(&self, name: &[u8]) -> String {
        format!("{}/{}", self.path, String::from_utf8_lossy(name))
    }
}

/// A host file inside an etfs directory: a whole-file REG node.
fn host_file_node(path: &str, created: (i64, i64)) -> KResult<Arc<dyn Node>> {
    let host = HostFile::open(
        path,
        OpenFlags {
            write: true,
            ..OpenFlags::default()
        },
    )
    .or_else(|_| HostFile::open(path, OpenFlags::default()))
    .map_err(|e| Errno::from_host(&e))?;
    Ok(Arc::new(EtfsNode {
        ino: path_ino(path),
        typ: EtfsType::Reg,
        host,
        begin: 0,
        size: None,
        rdev: 0,
        created,
        kmem: Kmem::new(None),
        cache: Arc::new(Mutex::new(BTreeMap::new())),
    }))
}

impl Node for EtfsDir {
    fn ino(&self) -> u64 {
        path_ino(&self.path)
    }

    fn getattr(&self) -> Attr {
        let t = self.clock.realtime_timespec();
        Attr {
            typ: VType::Dir,
            mode: 0o755,
            nlink: 2,
            uid: 0,
            gid: 0,
            ino: self.ino(),
            size: 512,
            bytes: rump::devsw::DEV_BSIZE,
            rdev: 0,
            atime: t,
            mtime: t,
            ctime: t,
            birthtime: t,
            gen_: 0,
            flags: 0,
        }
    }

    fn setattr(&self, _: &SetAttr) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn lookup(&self, name: &[u8]) -> KResult<Arc<dyn Node>> {
        let p = self.child_path(name);
        match rumpuser::link_info(&p)
            .map_err(|e| Errno::from_host(&e))?
            .kind
        {
            rumpuser::FileKind::Regular => host_file_node(&p, self.clock.realtime_timespec()),
            rumpuser::FileKind::Directory if self.subdirs => Ok(Arc::new(EtfsDir::new(
                &self.top,
                &p,
                true,
                Arc::clone(&self.clock),
            ))),
            // DIR shows files only; other kinds are not mapped.
            _ => Err(Errno::ENOENT),
        }
    }

    fn parent(&self) -> KResult<Arc<dyn Node>> {
        let up = match self.path.rsplit_once('/') {
            Some((parent, _)) if self.path != self.top => parent.to_owned(),
            _ => self.top.clone(),
        };
        Ok(Arc::new(EtfsDir::new(
            &self.top,
            &up,
            self.subdirs,
            Arc::clone(&self.clock),
        )))
    }

    fn create(&self, _: &[u8], _: NewNode) -> KResult<Arc<dyn Node>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn symlink(&self, _: &[u8], _: &[u8], _: u32, _: u32) -> KResult<Arc<dyn Node>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn link(&self, _: &[u8], _: &Arc<dyn Node>) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn remove(&self, _: &[u8], _: bool) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn rename(&self, _: &[u8], _: &Arc<dyn Node>, _: &[u8]) -> KResult<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn read(&self, _: u64, _: &mut [u8]) -> KResult<usize> {
        Err(Errno::EISDIR)
    }

    fn write(&self, _: u64, _: &[u8]) -> KResult<usize> {
        Err(Errno::EISDIR)
    }

    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        let mut v = vec![
            DirEntry {
                name: b".".to_vec(),
                ino: self.ino(),
                typ: VType::Dir,
            },
            DirEntry {
                name: b"..".to_vec(),
                ino: self.parent()?.ino(),
                typ: VType::Dir,
            },
        ];
        for (name, kind) in rumpuser::dir_entries(&self.path).map_err(|e| Errno::from_host(&e))? {
            let typ = match kind {
                rumpuser::FileKind::Regular => VType::Reg,
                rumpuser::FileKind::Directory if self.subdirs => VType::Dir,
                _ => continue,
            };
            let ino = path_ino(&self.child_path(&name));
            v.push(DirEntry { name, ino, typ });
        }
        Ok(v)
    }

    fn readlink(&self) -> KResult<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
