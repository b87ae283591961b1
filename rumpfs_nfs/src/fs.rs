//! The mounted NFS file system: its nodes, one per file handle (NetBSD's
//! `nfs_nget`), each with its cached attributes, and the VFS operations
//! (statvfs from FSSTAT, the limits FSINFO gave at mount).

use crate::attr::{self, Cached};
use crate::conn::Connection;
use crate::nfs3::{Fattr, FsInfo};
use rump::sync::lock;
use rump::{Errno, KResult};
use rumpvfs::node::{FileSystem, FlagPolicy, FsStats, Node};
use rumpvfs::pathconf::PathconfLimits;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

/// The file system type's name.
pub const FSTYPE: &str = "nfs";

/// `NFS_FABLKSIZE`: the block size NetBSD's client gives its files and
/// counts statvfs in.
pub const FABLKSIZE: u64 = 512;

/// What a mount's nodes share.
pub struct Shared {
    /// The server's connection.
    pub conn: Connection,
    /// Bytes per READ, within what the server allows.
    pub rsize: u32,
    /// Bytes per WRITE, likewise.
    pub wsize: u32,
    /// Bytes of directory entries asked per READDIRPLUS.
    pub readdirsize: u32,
    /// The root's handle.
    pub root_fh: Vec<u8>,
    nodes: Mutex<HashMap<Vec<u8>, Weak<crate::node::NfsNode>>>,
    /// Nodes with writes waiting for a COMMIT, held so that `sync` and
    /// unmount find them after their last descriptor and name are gone.
    uncommitted: Mutex<HashMap<Vec<u8>, Arc<crate::node::NfsNode>>>,
    /// Counts the changes of names made through this mount; attributes
    /// cached before one are fetched again.
    generation: AtomicU64,
}

impl Shared {
    /// The change count now.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Names changed (a create, remove, rename or link): cached
    /// attributes of directories and link counts may be wrong.
    pub fn names_changed(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The node of `fh` has writes waiting for a COMMIT.
    pub fn uncommitted(&self, fh: &[u8]) {
        let Some(n) = lock(&self.nodes).get(fh).and_then(Weak::upgrade) else {
            return;
        };
        self.conn
            .lock_off_cpu(&self.uncommitted)
            .insert(fh.to_vec(), n);
    }

    /// The node of `fh` had its writes committed; forgotten unless
    /// `nothing_waits` says no others came meanwhile.
    pub fn committed(&self, fh: &[u8], nothing_waits: impl FnOnce() -> bool) {
        let mut u = self.conn.lock_off_cpu(&self.uncommitted);
        if nothing_waits() {
            u.remove(fh);
        }
    }

    /// COMMIT every node's waiting writes (`sync`, unmount).
    pub fn commit_all(&self) -> KResult<()> {
        let waiting: Vec<_> = self
            .conn
            .lock_off_cpu(&self.uncommitted)
            .values()
            .cloned()
            .collect();
        for n in waiting {
            n.commit()?;
        }
        Ok(())
    }

    /// The node of handle `fh`, made if it has none, with `attr` as its
    /// attributes (NetBSD's `nfs_nget` and `nfs_loadattrcache`).
    pub fn node(self: &Arc<Self>, fh: Vec<u8>, a: Fattr) -> Arc<crate::node::NfsNode> {
        let mut nodes = lock(&self.nodes);
        if let Some(n) = nodes.get(&fh).and_then(Weak::upgrade) {
            n.load(a);
            return n;
        }
        // Forget the nodes nobody holds any more now and then, so that the
        // table does not grow with every file ever looked up.
        if nodes.len() >= 1024 && nodes.len().is_power_of_two() {
            nodes.retain(|_, w| w.strong_count() > 0);
        }
        let n = Arc::new(crate::node::NfsNode::new(
            Arc::clone(self),
            fh.clone(),
            Cached::new(a, self.generation()),
        ));
        nodes.insert(fh, Arc::downgrade(&n));
        n
    }
}

/// An NFS mount.
pub struct NfsFs {
    shared: Arc<Shared>,
    root: Arc<crate::node::NfsNode>,
    info: FsInfo,
    /// `host:/path` as the mount named it (`f_mntfromname`).
    from: String,
}

/// Sizes as `nfs_fsinfo` settles them: at most what the server takes
/// (`rtmax`, `wtmax`), rounded down to `NFS_FABLKSIZE`.
fn clamp_size(asked: u32, server_max: u32) -> u32 {
    let v = if server_max > 0 {
        asked.min(server_max)
    } else {
        asked
    };
    let unit = FABLKSIZE as u32;
    (v & !(unit - 1)).max(unit)
}

impl NfsFs {
    /// Mount: FSINFO and GETATTR of the root over `conn`. ENOTDIR when
    /// the handle is not a directory's.
    pub fn mount(conn: Connection, root_fh: Vec<u8>, from: String) -> KResult<Arc<NfsFs>> {
        conn.open()?;
        let (info, root_attr) = conn.call(|c| Ok((c.fsinfo(&root_fh)?, c.getattr(&root_fh)?)))?;
        if attr::vtype(root_attr.ftype) != rumpvfs::node::VType::Dir {
            return Err(Errno::ENOTDIR);
        }
        let p = conn.params().clone();
        let shared = Arc::new(Shared {
            rsize: clamp_size(p.rsize, info.rtmax),
            wsize: clamp_size(p.wsize, info.wtmax),
            readdirsize: p.readdirsize,
            root_fh: root_fh.clone(),
            conn,
            nodes: Mutex::new(HashMap::new()),
            uncommitted: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
        });
        let root = shared.node(root_fh, root_attr);
        Ok(Arc::new(NfsFs {
            shared,
            root,
            info,
            from,
        }))
    }

    /// The mount's READ and WRITE sizes.
    pub fn io_sizes(&self) -> (u32, u32) {
        (self.shared.rsize, self.shared.wsize)
    }
}

impl FileSystem for NfsFs {
    fn flag_policy(&self) -> FlagPolicy {
        FlagPolicy::Unsupported
    }

    fn pathconf_limits(&self) -> Option<PathconfLimits> {
        // The bits a file's size takes at the server's largest.
        let bits = 64 - i64::from(self.info.maxfilesize.leading_zeros());
        Some(PathconfLimits {
            filesizebits: bits,
            symlinks: false,
            fifofs: true,
        })
    }

    fn io_blksize(&self) -> i32 {
        FABLKSIZE as i32
    }

    fn mounted_from(&self) -> Option<String> {
        Some(self.from.clone())
    }

    fn local(&self) -> bool {
        false
    }

    fn root(&self) -> Arc<dyn Node> {
        Arc::clone(&self.root) as Arc<dyn Node>
    }

    fn fstype(&self) -> &'static str {
        FSTYPE
    }

    /// `nfs_statvfs`: FSSTAT's bytes in `NFS_FABLKSIZE` blocks. The VFS
    /// asks without a way to fail: a server that does not answer gives
    /// zeros.
    fn stats(&self) -> FsStats {
        let root = &self.shared.root_fh;
        match self.shared.conn.call(|c| c.fsstat(root)) {
            Ok(s) => FsStats {
                bsize: FABLKSIZE,
                frsize: FABLKSIZE,
                blocks: s.tbytes / FABLKSIZE,
                bfree: s.fbytes / FABLKSIZE,
                bavail: s.abytes / FABLKSIZE,
                bresvd: 0,
                files: s.tfiles,
                ffree: s.ffiles,
            },
            Err(_) => FsStats::default(),
        }
    }

    /// Writes still waiting go to the server's disk (see `node`).
    fn sync(&self) -> KResult<()> {
        self.shared.commit_all()
    }

    /// Waiting writes are committed first; when that fails the mount stays.
    fn unmount(&self) -> KResult<()> {
        self.shared.commit_all()?;
        // The held nodes hold the mount's shared state in turn.
        self.shared
            .conn
            .lock_off_cpu(&self.shared.uncommitted)
            .clear();
        self.shared.conn.close();
        Ok(())
    }
}
