//! A tmpfs instance: the VFS faction's memory engine with NetBSD's tmpfs
//! rules, and the answers tmpfs gives as a file system.

use crate::args::TmpfsArgs;
use crate::statvfs;
use rump::Kernel;
use rump::{Errno, KResult};
use rumpvfs::memfs::{Limits, Listing, MemFs, PAGE, Rules, Sizes};
use rumpvfs::node::{FileSystem, FlagPolicy, FsStats, NewNode, Node, VType};
use rumpvfs::pathconf::PathconfLimits;
use std::sync::Arc;

/// The type name.
pub const FSTYPE: &str = "tmpfs";

/// How tmpfs's nodes answer (`tmpfs_vnops.c`).
const RULES: Rules = Rules {
    // NetBSD's tmpfs numbers its root 2.
    root_ino: 2,
    makers_own: true,
    stamps_times: true,
    renames_and_links: true,
    dirs_count_subdirs: true,
    // `tmpfs_getattr`: a directory's size is its `tmpfs_dirent`s', and
    // the bytes held are the size in whole pages.
    sizes: Sizes::Counted {
        dirent: statvfs::DIRENT_SIZE,
    },
    listing: Listing::DotsThenByName,
};

/// `tmpfs_pathconf`'s answers: 64 file size bits, no symlink names.
pub const PATHCONF: PathconfLimits = PathconfLimits {
    filesizebits: 64,
    symlinks: false,
    fifofs: true,
};

/// A mounted tmpfs.
pub struct Tmpfs {
    mem: MemFs,
}

impl Tmpfs {
    /// A new, empty tmpfs as `args` ask.
    pub fn new(k: &Kernel, args: &TmpfsArgs) -> Arc<Tmpfs> {
        let limits = Limits {
            size_max: args.size_max,
            nodes_max: args.nodes_max,
        };
        let root = NewNode {
            typ: VType::Dir,
            mode: args.mode,
            uid: args.uid,
            gid: args.gid,
            rdev: 0,
        };
        let mem = MemFs::new(
            RULES,
            Arc::clone(k.kmem()),
            Arc::clone(k.clock()),
            limits,
            root,
        );
        Arc::new(Tmpfs { mem })
    }
}

impl FileSystem for Tmpfs {
    fn flag_policy(&self) -> FlagPolicy {
        // `tmpfs_chflags`, and the genfs rules for remove and rename.
        FlagPolicy::Enforced
    }

    fn pathconf_limits(&self) -> Option<PathconfLimits> {
        Some(PATHCONF)
    }

    fn io_blksize(&self) -> i32 {
        PAGE as i32
    }

    fn makes_file_handles(&self) -> bool {
        // `tmpfs_vptofh`, `tmpfs_fhtovp`.
        true
    }

    fn vget(&self, ino: u64) -> KResult<Arc<dyn Node>> {
        self.mem.node(ino)
    }

    fn root(&self) -> Arc<dyn Node> {
        self.mem.root()
    }

    fn fstype(&self) -> &'static str {
        FSTYPE
    }

    fn stats(&self) -> FsStats {
        statvfs::stats(&self.mem.usage(), self.mem.limits(), self.mem.kmem())
    }

    fn set_noatime(&self, on: bool) {
        self.mem.set_noatime(on);
    }
}

/// Mount a tmpfs as the mount's arguments ask: EINVAL without them (a
/// mount with no `tmpfs_args`, as NetBSD's `tmpfs_mount`).
pub fn mount(k: &Kernel, a: &rumpvfs::MountArgs) -> KResult<Arc<dyn FileSystem>> {
    let args = a.fs_args::<TmpfsArgs>().ok_or(Errno::EINVAL)?;
    Ok(Tmpfs::new(k, args))
}
