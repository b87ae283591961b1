//! What a file system implements: its nodes (vnode operations) and the
//! file system itself (VFS operations). Permission checks, path lookup and
//! mount points are the VFS's; a file system only stores and retrieves.

use rump::KResult;
use std::sync::Arc;

/// Type of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VType {
    /// Regular file.
    Reg,
    /// Directory.
    Dir,
    /// Symbolic link.
    Lnk,
    /// Block device.
    Blk,
    /// Character device.
    Chr,
    /// Named pipe.
    Fifo,
    /// Socket.
    Sock,
}

impl VType {
    /// The `S_IF*` bits of the type.
    pub fn mode_bits(self) -> u32 {
        use crate::flags::*;
        match self {
            VType::Reg => S_IFREG,
            VType::Dir => S_IFDIR,
            VType::Lnk => S_IFLNK,
            VType::Blk => S_IFBLK,
            VType::Chr => S_IFCHR,
            VType::Fifo => S_IFIFO,
            VType::Sock => S_IFSOCK,
        }
    }

    /// The type whose `S_IF*` bits `mode` carries (permission bits ignored).
    pub fn from_mode(mode: u32) -> Option<VType> {
        use crate::flags::*;
        [
            VType::Reg,
            VType::Dir,
            VType::Lnk,
            VType::Blk,
            VType::Chr,
            VType::Fifo,
            VType::Sock,
        ]
        .into_iter()
        .find(|t| t.mode_bits() == mode & S_IFMT)
    }

    /// The type a `DT_*` value names (`None` for unknown and whiteouts).
    pub fn from_dirent_type(dt: u8) -> Option<VType> {
        [
            VType::Reg,
            VType::Dir,
            VType::Lnk,
            VType::Blk,
            VType::Chr,
            VType::Fifo,
            VType::Sock,
        ]
        .into_iter()
        .find(|t| t.dirent_type() == dt)
    }

    /// The `DT_*` value of the type.
    pub fn dirent_type(self) -> u8 {
        use crate::flags::*;
        match self {
            VType::Reg => DT_REG,
            VType::Dir => DT_DIR,
            VType::Lnk => DT_LNK,
            VType::Blk => DT_BLK,
            VType::Chr => DT_CHR,
            VType::Fifo => DT_FIFO,
            VType::Sock => DT_SOCK,
        }
    }
}

/// A time stamp: seconds and nanoseconds since the epoch.
pub type Time = (i64, i64);

/// A node's attributes (`struct vattr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Type.
    pub typ: VType,
    /// Permission bits (no type bits).
    pub mode: u32,
    /// Links.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Inode number.
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Bytes of storage used.
    pub bytes: u64,
    /// Device number for device nodes.
    pub rdev: u64,
    /// Last access.
    pub atime: Time,
    /// Last data change.
    pub mtime: Time,
    /// Last status change.
    pub ctime: Time,
    /// Creation.
    pub birthtime: Time,
    /// Generation number.
    pub gen_: u32,
    /// `chflags(2)` flags (`UF_*`, `SF_*`).
    pub flags: u32,
}

/// Attribute changes (`VOP_SETATTR`); `None` leaves a field alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits.
    pub mode: Option<u32>,
    /// New owner.
    pub uid: Option<u32>,
    /// New group.
    pub gid: Option<u32>,
    /// New size (truncate or extend with zeros).
    pub size: Option<u64>,
    /// New access time.
    pub atime: Option<Time>,
    /// New modification time.
    pub mtime: Option<Time>,
    /// New `chflags(2)` flags, stored as given (the VFS has decided which
    /// bits may change).
    pub flags: Option<u32>,
}

/// What a new node is to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NewNode {
    /// Type (not `Lnk`: symlinks are made with [`Node::symlink`]).
    pub typ: VType,
    /// Permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device number for device nodes.
    pub rdev: u64,
}

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Name.
    pub name: Vec<u8>,
    /// Inode number.
    pub ino: u64,
    /// Type.
    pub typ: VType,
}

/// A node of a file system (a vnode's operations). Names are single path
/// components, never `.` or `..` (the VFS resolves those), at most
/// `NAME_MAX` bytes. Directory operations default to ENOTDIR and
/// `readlink` to EINVAL, so a node implements only what it is.
pub trait Node: Send + Sync {
    /// Inode number, unique within the file system.
    fn ino(&self) -> u64;
    /// Current attributes.
    fn getattr(&self) -> Attr;
    /// The node's type: `getattr().typ`, which a file system may answer
    /// without building every attribute (path lookup asks it at each
    /// component).
    fn vtype(&self) -> VType {
        self.getattr().typ
    }
    /// The node's `chflags(2)` flags: `getattr().flags`, which a file
    /// system may answer without building every attribute (every remove
    /// and write access asks).
    fn flags(&self) -> u32 {
        self.getattr().flags
    }
    /// Change attributes.
    fn setattr(&self, s: &SetAttr) -> KResult<()>;
    /// Find `name` in this directory.
    fn lookup(&self, _name: &[u8]) -> KResult<Arc<dyn Node>> {
        Err(rump::Errno::ENOTDIR)
    }
    /// The parent of this directory (`..`); the root returns itself.
    fn parent(&self) -> KResult<Arc<dyn Node>> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Make a new node called `name` in this directory; EEXIST if taken.
    fn create(&self, _name: &[u8], _new: NewNode) -> KResult<Arc<dyn Node>> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Make a symbolic link `name` -> `target`.
    fn symlink(
        &self,
        _name: &[u8],
        _target: &[u8],
        _uid: u32,
        _gid: u32,
    ) -> KResult<Arc<dyn Node>> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Add a hard link `name` to `target` (a node of the same file system);
    /// EOPNOTSUPP where the file system has none (NetBSD's rumpfs).
    fn link(&self, _name: &[u8], _target: &Arc<dyn Node>) -> KResult<()> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Remove `name`: a directory (must be empty) when `dir`, else a non-directory.
    fn remove(&self, _name: &[u8], _dir: bool) -> KResult<()> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Move `from` in this directory to `to` in `to_dir` (same file system),
    /// replacing what is there as POSIX `rename` allows.
    fn rename(&self, _from: &[u8], _to_dir: &Arc<dyn Node>, _to: &[u8]) -> KResult<()> {
        Err(rump::Errno::ENOTDIR)
    }
    /// Read at `off`; returns bytes read (0 at end of file).
    fn read(&self, off: u64, buf: &mut [u8]) -> KResult<usize>;
    /// Read `len` bytes at `off` as [`Node::read`] does, handing them to
    /// `sink` in pieces as they lie in memory, so a caller that transforms
    /// them (cgd decrypting) copies them once: the bytes handed, short at
    /// the end of the file. The sink may run under the node's lock, so it
    /// must not call back into the node. The default reads through `read`
    /// into a bounce buffer.
    fn read_to(
        &self,
        off: u64,
        len: usize,
        sink: &mut rump::devsw::ReadSink<'_>,
    ) -> KResult<usize> {
        rump::devsw::bounce_read(len, &mut |at, buf| self.read(off + at as u64, buf), sink)
    }
    /// Write at `off`, extending the file as needed.
    fn write(&self, off: u64, data: &[u8]) -> KResult<usize>;
    /// The entries of this directory, `.` and `..` first where the file
    /// system lists them (NetBSD's rumpfs does not).
    fn readdir(&self) -> KResult<Vec<DirEntry>> {
        Err(rump::Errno::ENOTDIR)
    }
    /// The target of this symbolic link.
    fn readlink(&self) -> KResult<Vec<u8>> {
        Err(rump::Errno::EINVAL)
    }
    /// Flush to stable storage.
    fn fsync(&self) -> KResult<()> {
        Ok(())
    }
    /// The last descriptor of an open file of this node closed
    /// (`VOP_CLOSE`): writes a file system held back go out now.
    fn close(&self) -> KResult<()> {
        Ok(())
    }
    /// For downcasting within a file system (rename and link targets).
    fn as_any(&self) -> &dyn std::any::Any;
}

/// Space and node counts of a file system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FsStats {
    /// Block size (the preferred I/O size).
    pub bsize: u64,
    /// Fragment size, the unit of the counts (0: the block size).
    pub frsize: u64,
    /// Total blocks.
    pub blocks: u64,
    /// Free blocks.
    pub bfree: u64,
    /// Free blocks a non-root user may use.
    pub bavail: u64,
    /// Blocks kept for root (`f_bresvd`: FFS's `minfree` share).
    pub bresvd: u64,
    /// Total nodes.
    pub files: u64,
    /// Free nodes.
    pub ffree: u64,
}

/// An `extattrctl(2)` request as a file system sees it.
#[derive(Clone, Copy, Debug)]
pub struct ExtattrCtl<'a> {
    /// `EXTATTR_CMD_*` (start, stop, enable, disable).
    pub cmd: i32,
    /// The type of the attribute backing file, if one was named.
    pub file: Option<VType>,
    /// `EXTATTR_NAMESPACE_*`.
    pub namespace: i32,
    /// The attribute's name, if one was given.
    pub name: Option<&'a [u8]>,
    /// Whether root asks (only root configures extended attributes).
    pub root: bool,
}

/// How a file system treats `chflags(2)` flags, after the NetBSD file
/// system it stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlagPolicy {
    /// Not stored: `chflags` fails with EOPNOTSUPP.
    Unsupported,
    /// Stored and shown but never acted on, and owners may set system
    /// flags: NetBSD's rumpfs (`rump_vop_setattr`).
    StoredOnly,
    /// Stored and enforced: immutable and append-only nodes keep their
    /// names, attributes and data (NetBSD's `genfs_ufslike_*` rules, and
    /// the memory file system's `chflags`).
    Enforced,
    /// Stored and enforced as NetBSD's UFS does (`ufs_setattr`): the
    /// snapshot flags cannot change, and a write to an append-only file
    /// must start at its end.
    Ufs,
}

/// A mounted file system (VFS operations).
pub trait FileSystem: Send + Sync {
    /// How the file system treats `chflags(2)` flags.
    fn flag_policy(&self) -> FlagPolicy {
        FlagPolicy::Unsupported
    }
    /// The `pathconf(2)` limits it answers with; `None` when not known
    /// yet (`pathconf` then fails with EOPNOTSUPP).
    fn pathconf_limits(&self) -> Option<crate::pathconf::PathconfLimits> {
        None
    }
    /// Whether `revoke(2)` kills the files open on its nodes (NetBSD's
    /// `genfs_revoke`); NetBSD's rumpfs has no revoke.
    fn revocable(&self) -> bool {
        true
    }
    /// Whether its vnodes take kqueue filters (`VOP_KQFILTER`, NetBSD's
    /// `genfs_kqfilter`); NetBSD's rumpfs has none (EOPNOTSUPP).
    fn kqfilters(&self) -> bool {
        true
    }
    /// What `statvfs(2)` names as mounted (`f_mntfromname`) for a file
    /// system mounted from no device: NFS's `host:/path`. `None`: the
    /// type's name.
    fn mounted_from(&self) -> Option<String> {
        None
    }
    /// Whether its storage is local (`MNT_LOCAL`); a network file system
    /// is not.
    fn local(&self) -> bool {
        true
    }
    /// Whether names move (`rename(2)`); NetBSD's rumpfs refuses the
    /// lookup of a last component for RENAME ("we don't do rename",
    /// EOPNOTSUPP).
    fn renames(&self) -> bool {
        true
    }
    /// Whether it makes hard links; NetBSD's rumpfs has no `VOP_LINK`
    /// (`genfs_eopnotsupp`).
    fn links(&self) -> bool {
        true
    }
    /// What `VOP_IOCTL` answers for a command it does not know: ENOTTY
    /// (`genfs_enoioctl`'s EPASSTHROUGH); NetBSD's rumpfs has no
    /// `VOP_IOCTL`, so `vn_default_error`'s EOPNOTSUPP.
    fn unknown_ioctl(&self) -> rump::Errno {
        rump::Errno::ENOTTY
    }
    /// What `VOP_POLL` answers for a regular file or directory asked for
    /// `events`: `genfs_poll`'s "always ready" for those asked. NetBSD's
    /// rumpfs has no `VOP_POLL`, and `poll(2)` takes `vn_default_error`'s
    /// EOPNOTSUPP for the event bits (`POLLIN|POLLOUT|POLLERR|POLLNVAL`).
    fn poll_events(&self, events: i16) -> i16 {
        events & rump::file::POLL_ALWAYS_READY
    }
    /// `st_blksize` of its nodes (`va_blocksize`).
    fn io_blksize(&self) -> i32 {
        4096
    }
    /// Whether `stat(2)` gives each node's own number as its `st_dev`:
    /// NetBSD's rumpfs sets `va_fsid` to `va_fileid` (`makeprivate`).
    fn dev_is_ino(&self) -> bool {
        false
    }
    /// Whether nodes of this file system have file handles (`VFS_VPTOFH`);
    /// NetBSD's rumpfs has none.
    fn makes_file_handles(&self) -> bool {
        false
    }
    /// `VFS_EXTATTRCTL` (`extattrctl(2)`): command `cmd` with the type of
    /// the attribute backing file if one was named, a namespace and an
    /// attribute name, asked by root or not. EOPNOTSUPP where the file
    /// system has nothing to configure (NetBSD's `vfs_stdextattrctl`).
    fn extattrctl(&self, _req: &ExtattrCtl<'_>) -> KResult<()> {
        Err(rump::Errno::EOPNOTSUPP)
    }
    /// The node numbered `ino`, for a file handle (`VFS_FHTOVP`): ESTALE
    /// when no such node lives, EOPNOTSUPP without file handles.
    fn vget(&self, _ino: u64) -> KResult<Arc<dyn Node>> {
        Err(rump::Errno::EOPNOTSUPP)
    }
    /// The root directory.
    fn root(&self) -> Arc<dyn Node>;
    /// Whether lookups may enter the root directory (`VFS_ROOT` succeeding).
    /// NetBSD mounts an FFS whose root inode is unallocated, and then
    /// every lookup that reaches its root fails (ENOENT, from
    /// `ffs_loadvnode`); [`FileSystem::root`] still names the node, for
    /// what needs only the mount (statvfs of every mount, unmount at halt).
    fn check_root(&self) -> KResult<()> {
        Ok(())
    }
    /// The file system type name (`rumpfs`, `ffs`, ...).
    fn fstype(&self) -> &'static str;
    /// Space and node counts.
    fn stats(&self) -> FsStats;
    /// Write everything to stable storage.
    fn sync(&self) -> KResult<()> {
        Ok(())
    }
    /// Whether reads stop stamping access times (`MNT_NOATIME`); only a
    /// file system that stamps them on reads needs to answer.
    fn set_noatime(&self, _on: bool) {}
    /// Switch between read-only and read-write (`MNT_UPDATE`); `force`
    /// allows read-write on a file system that needs checking.
    fn remount(&self, _read_only: bool, _force: bool) -> KResult<()> {
        Ok(())
    }
    /// The last write before the file system is unmounted; nothing is
    /// written afterwards.
    fn unmount(&self) -> KResult<()> {
        self.sync()
    }
}
