//! rumpfs, the root file system: the memory engine ([`crate::memfs`])
//! answering as NetBSD 7.99's `rumpfs.c` does, which is deliberately
//! small: no renames and no hard links (EOPNOTSUPP), every node root's and
//! one block big, times set only when a node is made and by `utimes`,
//! listings without `.` and `..`, newest entry first, no file handles, no
//! revoke, poll or ioctl. Users who want a full file system mount a memory
//! file system component, as on NetBSD.

use crate::memfs::{Limits, Listing, MemFs, Rules, Sizes};
use crate::node::{FileSystem, FlagPolicy, FsStats, NewNode, Node, VType};
use crate::pathconf::PathconfLimits;
use rump::devsw::DEV_BSIZE;
use rump::{Errno, Kernel};
use std::sync::Arc;

/// The type name of the root file system.
pub const FSTYPE: &str = "rumpfs";

/// How rumpfs's nodes answer.
const RULES: Rules = Rules {
    // NetBSD's rumpfs numbers from `lastino` (2) plus one.
    root_ino: 3,
    // `makeprivate` makes every node root's, group 0, whoever makes it.
    makers_own: false,
    // `makeprivate` sets the times; afterwards only `rump_vop_setattr`.
    stamps_times: false,
    // "we don't do rename" (`rump_vop_lookup`); `vop_link` is
    // `genfs_eopnotsupp`.
    renames_and_links: false,
    // fts, and so `ls -R` and `find`, then see no subdirectories: NetBSD's
    // tools do not descend below the top of a rumpfs tree.
    dirs_count_subdirs: false,
    // `makeprivate`'s `va_bytes`, and the size of directories and of
    // `rump_vop_mknod`'s and `rump_vop_create`'s device, FIFO and socket
    // nodes.
    sizes: Sizes::Fixed(DEV_BSIZE),
    // `rump_vop_readdir` walks a list each entry is put at the head of.
    listing: Listing::NewestFirst,
};

/// NetBSD's rumpfs's `pathconf` answers (`rump_vop_pathconf`).
pub const PATHCONF: PathconfLimits = PathconfLimits {
    filesizebits: 43,
    symlinks: true,
    fifofs: false,
};

/// A rumpfs instance: the root file system, or etfs's empty directory.
pub struct RumpFs {
    mem: MemFs,
}

impl RumpFs {
    /// A new, empty rumpfs whose root directory (root's) has permission
    /// bits `mode`.
    pub fn new(k: &Kernel, mode: u32) -> Arc<RumpFs> {
        let root = NewNode {
            typ: VType::Dir,
            mode,
            uid: 0,
            gid: 0,
            rdev: 0,
        };
        let mem = MemFs::new(
            RULES,
            Arc::clone(k.kmem()),
            Arc::clone(k.clock()),
            Limits::default(),
            root,
        );
        Arc::new(RumpFs { mem })
    }
}

impl FileSystem for RumpFs {
    fn flag_policy(&self) -> FlagPolicy {
        // Kept without being acted on.
        FlagPolicy::StoredOnly
    }

    fn pathconf_limits(&self) -> Option<PathconfLimits> {
        Some(PATHCONF)
    }

    fn revocable(&self) -> bool {
        false
    }

    fn kqfilters(&self) -> bool {
        false
    }

    fn renames(&self) -> bool {
        false
    }

    fn links(&self) -> bool {
        false
    }

    fn unknown_ioctl(&self) -> Errno {
        // No `VOP_IOCTL`: `vn_default_error`.
        Errno::EOPNOTSUPP
    }

    fn poll_events(&self, _events: i16) -> i16 {
        // No `VOP_POLL`: `vn_default_error`'s EOPNOTSUPP as event bits.
        Errno::EOPNOTSUPP.0 as i16
    }

    fn io_blksize(&self) -> i32 {
        // `makeprivate`'s `va_blocksize`.
        DEV_BSIZE as i32
    }

    fn dev_is_ino(&self) -> bool {
        true
    }

    fn root(&self) -> Arc<dyn Node> {
        self.mem.root()
    }

    fn fstype(&self) -> &'static str {
        FSTYPE
    }

    fn stats(&self) -> FsStats {
        // `genfs_statvfs`: two blocks, none free, "to keep df happy".
        FsStats {
            bsize: DEV_BSIZE,
            frsize: DEV_BSIZE,
            blocks: 2,
            ..FsStats::default()
        }
    }

    fn set_noatime(&self, on: bool) {
        self.mem.set_noatime(on);
    }
}
